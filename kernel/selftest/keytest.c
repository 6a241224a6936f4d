/*
 * keytest.c - the boot tests' view of the key queue: with "keytest=N" on
 * the command line, print each of the next N keys taken from input.h
 * once the kernel is up, so a test can type on an emulated keyboard
 * (QEMU's sendkey on a usb-kbd, tests/boot/usbkbd.py) and check what the
 * kernel received:
 *     keytest: waiting for 3 keys (60 s)
 *     keytest: key 1: 0x61 'a'
 *     keytest: key 2: 0x1100005 KEY_PGUP shift
 *     keytest: done, 3 keys
 * It polls the input sources itself and gives up after KEYTEST_SECONDS
 * ("keytest: timed out after 1 of 3 keys"); a bad N is reported and
 * ignored. Only until the monitor reads keys itself.
 */
#include "boothook.h"
#include "console.h"
#include "cpu.h"
#include "devices.h"
#include "input.h"
#include "klib.h"

#define KEYTEST_MAX_KEYS  1000
#define KEYTEST_SECONDS   60
#define SPIN_BOUND        4000000000ull   /* without a TSC frequency */

static const char *const key_names[KEY_LAST - KEY_BASE] = {
	"KEY_UP", "KEY_DOWN", "KEY_LEFT", "KEY_RIGHT", "KEY_HOME", "KEY_END", "KEY_PGUP",
	"KEY_PGDN", "KEY_INSERT", "KEY_DELETE", "KEY_F1", "KEY_F2", "KEY_F3", "KEY_F4",
	"KEY_F5", "KEY_F6", "KEY_F7", "KEY_F8", "KEY_F9", "KEY_F10", "KEY_F11", "KEY_F12",
};

/* The value of "keytest=N" as a number in [1, KEYTEST_MAX_KEYS], or 0. */
static unsigned key_count(const char *v, size_t len)
{
	unsigned n = 0;

	if (len == 0 || len > 4)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		n = n * 10 + (unsigned)(v[i] - '0');
	}
	return n <= KEYTEST_MAX_KEYS ? n : 0;
}

static void print_key(unsigned i, uint32_t key)
{
	uint32_t code = key_code(key);

	kprintf("keytest: key %u: %#x ", i, key);
	if (code >= KEY_BASE && code < KEY_LAST)
		kprintf("%s", key_names[code - KEY_BASE]);
	else if (code >= 0x20 && code < 0x7f)
		kprintf("'%c'", (int)code);
	else
		kprintf("U+%04x", code);
	kprintf("%s%s%s\n", key & KEYMOD_SHIFT ? " shift" : "", key & KEYMOD_CTRL ? " ctrl" : "",
		key & KEYMOD_ALT ? " alt" : "");
}

static void keytest(const struct handoff *h)
{
	size_t len;
	const char *v = cmdline_value(h->cmdline, "keytest", &len);
	uint64_t hz = devices_get()->tsc_hz, spins = 0, end = rdtsc() + hz * KEYTEST_SECONDS;
	unsigned want, got = 0;
	uint32_t key;

	if (!v)
		return;
	if (!(want = key_count(v, len))) {
		kprintf("keytest=%.*s: not a number of keys from 1 to %u; ignored\n", (int)len, v,
			KEYTEST_MAX_KEYS);
		return;
	}
	kprintf("keytest: waiting for %u keys (%u s)\n", want, KEYTEST_SECONDS);
	while (got < want) {
		input_poll();
		while (got < want && input_pop(&key))
			print_key(++got, key);
		if (hz ? rdtsc() >= end : ++spins >= SPIN_BOUND) {
			kprintf("keytest: timed out after %u of %u keys\n", got, want);
			return;
		}
		cpu_relax();
	}
	kprintf("keytest: done, %u keys\n", got);
}
BOOT_HOOK(BOOT_READY, keytest);
