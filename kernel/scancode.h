/*
 * scancode.h - PS/2 keyboard scan codes to input.h key codes.
 *
 * A PS/2 keyboard sends scan code set 2 by default; an i8042 controller
 * with its translation bit on (the usual firmware setting) turns that into
 * set 1 before the kernel reads it. The decoder takes either: in set 2
 * mode each byte is first turned into its set 1 equivalent (the
 * controller's translation, for the keys this decoder knows: F0 makes the
 * next code a break code), so one key table, the set 1 one, serves both.
 *
 * Set 1 in one paragraph: a key sends its make code (0x01..0x58) when
 * pressed and again while it repeats, and make | 0x80 when released; keys
 * added after the XT (arrows, Home/End, PgUp/PgDn, Insert/Delete, keypad
 * Enter and '/', the right Ctrl and Alt) send 0xE0 first; Pause sends
 * E1 1D 45 E1 9D C5 (no break code). The keyboard's answers to commands
 * (0xFA ack, 0xFE resend, 0xAA self-test passed) and its error codes
 * (0x00, 0xFF) arrive in the same stream.
 *
 * What the decoder does with them: Shift, Ctrl and Alt (left and right)
 * are tracked and given to every key as KEYMOD_* bits; Caps Lock and Num
 * Lock toggle on their first make code (not on repeats) and set
 * leds_changed; letters follow Shift xor Caps Lock; keypad keys type
 * digits with Num Lock on and move (Home, Up, PgUp, ...) with it off.
 * Break codes, the E0 2A / E0 36 "fake shifts", Print Screen, Pause, GUI
 * and menu keys, replies to commands and codes no key has give no key.
 * Any byte sequence is accepted: an unknown code is dropped, a prefix
 * followed by nonsense is forgotten, and 0x00/0xFF (the keyboard's error
 * codes) reset the prefix state, so garbage never wedges the decoder.
 *
 * Pure code (no I/O): kernel/ps2.c feeds it from the controller, and the
 * host test tests/host/test_keys.c feeds it byte strings.
 */
#ifndef CARTO_SCANCODE_H
#define CARTO_SCANCODE_H

#include "input.h"
#include "types.h"

enum scancode_set { SCANCODE_SET1 = 1, SCANCODE_SET2 = 2 };

/* Lock states, bits as the keyboard's "set LEDs" command (0xED) wants. */
#define SCANCODE_LED_SCROLL 0x01
#define SCANCODE_LED_NUM    0x02
#define SCANCODE_LED_CAPS   0x04

struct scancode_state {
	enum scancode_set set;   /* what the bytes fed are */
	uint8_t prefix;          /* 0 or 0xE0: the next code is an extended key */
	bool set2_break;         /* set 2: 0xF0 seen, the next code is a break */
	uint8_t skip;            /* bytes of a Pause sequence still to drop */
	uint8_t held;            /* SC_HELD_* modifier and lock keys held down */
	uint8_t locks;           /* SCANCODE_LED_* locks that are on */
	bool leds_changed;       /* a lock toggled since the owner last cleared it */
};

/* scancode_init - a decoder for bytes of @set, no key held, Num Lock on
 * (what PC firmware leaves), Caps and Scroll Lock off. */
void scancode_init(struct scancode_state *s, enum scancode_set set);

/*
 * scancode_feed - decode one byte from the keyboard. Returns true and sets
 * *@key (input.h: a character or KEY_*, with KEYMOD_* bits) when the byte
 * completes the make code of a key that produces one; false otherwise
 * (prefixes, break codes, modifiers, locks, unknown codes, garbage).
 */
bool scancode_feed(struct scancode_state *s, uint8_t byte, uint32_t *key);

#endif
