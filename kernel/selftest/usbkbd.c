/*
 * usbkbd.c - self-tests of the HID boot-keyboard translation (usbkbd.h):
 * usages to input.h key codes, and reports to newly pressed keys.
 */
#include "input.h"
#include "klib.h"
#include "selftest.h"
#include "usbkbd.h"

SELFTEST(usbkbd_usage_keys)
{
	struct { uint8_t usage, mods; bool caps; uint32_t want; } cases[] = {
		{ 0x04, 0, false, 'a' },
		{ 0x04, HID_MOD_LSHIFT, false, 'A' | KEYMOD_SHIFT },
		{ 0x04, 0, true, 'A' },
		{ 0x04, HID_MOD_RSHIFT, true, 'a' | KEYMOD_SHIFT },
		{ 0x1d, HID_MOD_LCTRL, false, 'z' | KEYMOD_CTRL },
		{ 0x1e, 0, true, '1' },                  /* Caps Lock leaves digits alone */
		{ 0x1e, HID_MOD_LSHIFT, false, '!' | KEYMOD_SHIFT },
		{ 0x27, 0, false, '0' },
		{ 0x28, 0, false, '\n' },
		{ 0x29, 0, false, 0x1b },
		{ 0x2a, 0, false, '\b' },
		{ 0x2b, 0, false, '\t' },
		{ 0x38, HID_MOD_RSHIFT, false, '?' | KEYMOD_SHIFT },
		{ 0x3a, 0, false, KEY_F1 },
		{ 0x45, HID_MOD_LALT, false, KEY_F12 | KEYMOD_ALT },
		{ 0x4a, 0, false, KEY_HOME },
		{ 0x4b, HID_MOD_LSHIFT, false, KEY_PGUP | KEYMOD_SHIFT },
		{ 0x4c, 0, false, KEY_DELETE },
		{ 0x4d, 0, false, KEY_END },
		{ 0x4e, HID_MOD_RSHIFT, false, KEY_PGDN | KEYMOD_SHIFT },
		{ 0x4f, 0, false, KEY_RIGHT },
		{ 0x50, 0, false, KEY_LEFT },
		{ 0x51, 0, false, KEY_DOWN },
		{ 0x52, HID_MOD_RCTRL, false, KEY_UP | KEYMOD_CTRL },
		{ 0x58, 0, false, '\n' },                /* keypad Enter */
		{ 0x62, 0, false, '0' },
		{ HID_USAGE_CAPS_LOCK, 0, false, 0 },
		{ 0xe1, 0, false, 0 },                   /* Left Shift as a usage */
		{ 0xff, 0, false, 0 },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t got = hid_usage_key(cases[i].usage, cases[i].mods, cases[i].caps);
		ST_CHECK(got == cases[i].want, "usage %#x mods %#x caps %d: %#x, want %#x",
			 cases[i].usage, cases[i].mods, cases[i].caps, got, cases[i].want);
	}
}

SELFTEST(usbkbd_reports)
{
	struct hid_kbd s = { { 0 }, false };
	uint32_t keys[HID_REPORT_SLOTS];
	const uint8_t a[8] = { 0, 0, 0x04 };
	const uint8_t ab[8] = { 0, 0, 0x04, 0x05 };
	const uint8_t b[8] = { 0, 0, 0x05 };
	const uint8_t rollover[8] = { 0, 0, 1, 1, 1, 1, 1, 1 };
	const uint8_t caps[8] = { 0, 0, HID_USAGE_CAPS_LOCK };
	const uint8_t none[8] = { 0 };

	ST_CHECK(hid_kbd_report(&s, a, keys, 6) == 1 && keys[0] == 'a', "first press");
	ST_CHECK(hid_kbd_report(&s, a, keys, 6) == 0, "a held: no new key");
	ST_CHECK(hid_kbd_report(&s, ab, keys, 6) == 1 && keys[0] == 'b', "b added while a held");
	ST_CHECK(hid_kbd_report(&s, rollover, keys, 6) == 0, "rollover report gives no key");
	ST_CHECK(s.down[0] == 0x04 && s.down[1] == 0x05, "rollover leaves the state alone");
	ST_CHECK(hid_kbd_report(&s, b, keys, 6) == 0, "a released, b still held");
	ST_CHECK(hid_kbd_report(&s, caps, keys, 6) == 0 && s.caps, "Caps Lock toggles, types nothing");
	ST_CHECK(hid_kbd_report(&s, none, keys, 6) == 0, "all released");
	ST_CHECK(hid_kbd_report(&s, a, keys, 6) == 1 && keys[0] == 'A', "Caps Lock on: 'A'");
	ST_CHECK(hid_kbd_report(&s, ab, keys, 0) == 0, "max 0: nothing written");
}
