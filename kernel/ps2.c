/*
 * ps2.c - the i8042 PS/2 controller and its keyboard, polled (ps2.h).
 */
#include "console.h"
#include "cpu.h"
#include "input.h"
#include "klib.h"
#include "ps2.h"
#include "scancode.h"

#define I8042_DATA    0x60
#define I8042_STATUS  0x64         /* read */
#define I8042_COMMAND 0x64         /* write */
#define I8042_ABSENT  0xff         /* what a port without a device reads */

/* Status register bits. */
#define ST_OUT_FULL   0x01         /* a byte waits at the data port */
#define ST_IN_FULL    0x02         /* the controller has not taken the last write */
#define ST_AUX        0x20         /* the waiting byte is from the mouse port */
#define ST_ERRORS     0xc0         /* parity error, timeout */

/* Controller commands and the configuration byte. */
#define CTL_READ_CONFIG  0x20
#define CTL_WRITE_CONFIG 0x60
#define CTL_DISABLE_AUX  0xa7
#define CTL_SELF_TEST    0xaa
#define CTL_TEST_KBD     0xab
#define CTL_DISABLE_KBD  0xad
#define CTL_ENABLE_KBD   0xae
#define SELF_TEST_PASSED 0x55
#define PORT_TEST_PASSED 0x00
#define CFG_KBD_IRQ      0x01
#define CFG_AUX_IRQ      0x02
#define CFG_KBD_CLOCK_OFF 0x10
#define CFG_TRANSLATE    0x40

/* Keyboard commands and replies. */
#define KBD_SET_LEDS     0xed
#define KBD_SCANCODE_SET 0xf0      /* then 0: which set? 1..3: use that set */
#define KBD_ENABLE       0xf4
#define KBD_ACK          0xfa
#define KBD_RESEND       0xfe
#define KBD_RETRIES      3
#define PS2_FLUSH_MAX    64        /* stale bytes drained at most */
#define PS2_NO_REPLY     (-1)

static struct {
	bool up;
	struct scancode_state sc;
} kbd;

static bool wait_status(uint8_t bit, bool set)
{
	for (unsigned i = 0; i < PS2_SPIN_LIMIT; i++) {
		uint8_t st = inb(I8042_STATUS);
		if (st != I8042_ABSENT && !!(st & bit) == set)
			return true;
		cpu_relax();
	}
	return false;
}

static bool ctl_command(uint8_t cmd)
{
	if (!wait_status(ST_IN_FULL, false))
		return false;
	outb(I8042_COMMAND, cmd);
	return true;
}

/* Send a controller command that answers one byte; false on a timeout. */
static bool ctl_query(uint8_t cmd, uint8_t *answer)
{
	if (!ctl_command(cmd) || !wait_status(ST_OUT_FULL, true))
		return false;
	*answer = inb(I8042_DATA);
	return true;
}

static bool ctl_write_config(uint8_t cfg)
{
	if (!ctl_command(CTL_WRITE_CONFIG) || !wait_status(ST_IN_FULL, false))
		return false;
	outb(I8042_DATA, cfg);
	return true;
}

static void flush_output(void)
{
	for (unsigned i = 0; i < PS2_FLUSH_MAX && (inb(I8042_STATUS) & ST_OUT_FULL) &&
	     inb(I8042_STATUS) != I8042_ABSENT; i++)
		(void)inb(I8042_DATA);
}

/* A byte typed while the driver talks to the keyboard: a key once up. */
static void key_byte(uint8_t b)
{
	uint32_t key;

	if (kbd.up && scancode_feed(&kbd.sc, b, &key))
		input_push(key);
}

/* The keyboard's reply to a command byte: ACK or RESEND, PS2_NO_REPLY on a
 * timeout. Other bytes (keys) go to key_byte. */
static int kbd_reply(void)
{
	for (unsigned n = 0; n < PS2_FLUSH_MAX; n++) {
		if (!wait_status(ST_OUT_FULL, true))
			return PS2_NO_REPLY;
		uint8_t st = inb(I8042_STATUS), b = inb(I8042_DATA);
		if (st & (ST_AUX | ST_ERRORS))
			continue;
		if (b == KBD_ACK || b == KBD_RESEND)
			return b;
		key_byte(b);
	}
	return PS2_NO_REPLY;
}

/* Send @b to the keyboard, again on RESEND; true once it is acknowledged. */
static bool kbd_send(uint8_t b)
{
	for (unsigned i = 0; i < KBD_RETRIES; i++) {
		if (!wait_status(ST_IN_FULL, false))
			return false;
		outb(I8042_DATA, b);
		int r = kbd_reply();
		if (r == KBD_ACK)
			return true;
		if (r == PS2_NO_REPLY)
			return false;
	}
	return false;
}

/* Without translation: the set the keyboard uses (asking it), or set 2,
 * which it is then told to use. */
static enum scancode_set untranslated_set(void)
{
	uint8_t set;

	if (kbd_send(KBD_SCANCODE_SET) && kbd_send(0) && wait_status(ST_OUT_FULL, true)) {
		set = inb(I8042_DATA);
		if (set == SCANCODE_SET1 || set == SCANCODE_SET2)
			return (enum scancode_set)set;
	}
	if (kbd_send(KBD_SCANCODE_SET))
		kbd_send(SCANCODE_SET2);
	return SCANCODE_SET2;
}

static void set_leds(void)
{
	kbd.sc.leds_changed = false;
	if (kbd_send(KBD_SET_LEDS))
		kbd_send(kbd.sc.locks);
}

static void ps2_poll(void)
{
	for (unsigned n = 0; n < PS2_POLL_BYTES; n++) {
		uint8_t st = inb(I8042_STATUS);
		if (st == I8042_ABSENT || !(st & ST_OUT_FULL))
			break;
		uint8_t b = inb(I8042_DATA);
		if (!(st & (ST_AUX | ST_ERRORS)))
			key_byte(b);
	}
	if (kbd.sc.leds_changed)
		set_leds();
}

/* Bring the controller up for polling; NULL, or why it is not used. */
static const char *controller_setup(uint8_t *cfg)
{
	uint8_t r;

	if (inb(I8042_STATUS) == I8042_ABSENT)
		return "no i8042 controller (status port 0x64 reads 0xff)";
	if (!ctl_command(CTL_DISABLE_KBD) || !ctl_command(CTL_DISABLE_AUX))
		return "i8042 takes no commands (its input buffer stays full)";
	flush_output();
	if (!ctl_query(CTL_READ_CONFIG, cfg))
		return "i8042 does not answer 'read configuration'";
	*cfg &= (uint8_t)~(CFG_KBD_IRQ | CFG_AUX_IRQ);     /* polled */
	if (!ctl_write_config(*cfg))
		return "i8042 does not take its configuration";
	if (!ctl_query(CTL_SELF_TEST, &r))
		return "i8042 self-test: no answer";
	if (r != SELF_TEST_PASSED) {
		static char why[64];
		ksnprintf(why, sizeof(why), "i8042 self-test failed (answer %#x, not 0x55)", r);
		return why;
	}
	if (!ctl_write_config(*cfg))                     /* the self-test may reset it */
		return "i8042 does not take its configuration";
	if (!ctl_query(CTL_TEST_KBD, &r) || r != PORT_TEST_PASSED)
		return "i8042 keyboard port test failed";
	*cfg &= (uint8_t)~CFG_KBD_CLOCK_OFF;
	if (!ctl_command(CTL_ENABLE_KBD) || !ctl_write_config(*cfg))
		return "i8042 does not enable its keyboard port";
	flush_output();
	return NULL;
}

void ps2_init(void)
{
	uint8_t cfg = 0;
	const char *why = controller_setup(&cfg);

	if (why) {
		kprintf("ps2: %s; not used\n", why);
		return;
	}
	bool translated = cfg & CFG_TRANSLATE;
	enum scancode_set set = translated ? SCANCODE_SET1 : untranslated_set();
	bool answered = kbd_send(KBD_ENABLE);

	scancode_init(&kbd.sc, set);
	kbd.up = true;
	set_leds();
	if (!input_add_source("ps2", ps2_poll)) {
		kbd.up = false;
		kprintf("ps2: no input source slot left; keyboard not used\n");
		return;
	}
	kprintf("ps2: i8042 keyboard, scan code set %u%s%s\n", set,
		translated ? " (translated from set 2)" : "",
		answered ? "" : "; no keyboard answers yet");
}

bool ps2_present(void)
{
	return kbd.up;
}
