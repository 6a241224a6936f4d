/*
 * scancode.c - PS/2 scan codes (set 1, or set 2 translated here) to key
 * codes (scancode.h).
 */
#include "scancode.h"

#define SC_BREAK      0x80        /* set 1: make | 0x80 is the break code */
#define SC_CODE_MASK  0x7f
#define SC_EXTENDED   0xe0
#define SC_PAUSE      0xe1
#define SC_PAUSE_TAIL 2           /* bytes after each E1 of the Pause key */
#define SC_SET2_BREAK 0xf0
#define SC_ERROR      0xff        /* key detection error / buffer overrun */
#define SC_ERROR0     0x00

/* Keys held (scancode_state.held). */
#define SC_HELD_LSHIFT 0x01
#define SC_HELD_RSHIFT 0x02
#define SC_HELD_LCTRL  0x04
#define SC_HELD_RCTRL  0x08
#define SC_HELD_LALT   0x10
#define SC_HELD_RALT   0x20
#define SC_HELD_CAPS   0x40       /* lock keys: toggle once per press */
#define SC_HELD_NUM    0x80
#define SC_HELD_SHIFT  (SC_HELD_LSHIFT | SC_HELD_RSHIFT)
#define SC_HELD_CTRL   (SC_HELD_LCTRL | SC_HELD_RCTRL)
#define SC_HELD_ALT    (SC_HELD_LALT | SC_HELD_RALT)

enum key_kind {
	K_NONE,       /* no key, or one that types nothing */
	K_CHAR,       /* a: unshifted, b: with Shift */
	K_LETTER,     /* as K_CHAR, and Caps Lock swaps the two */
	K_KEY,        /* a: the key code whatever the modifiers */
	K_PAD,        /* keypad: a with Num Lock on, b (0: nothing) with it off */
	K_MOD,        /* a modifier: a is its SC_HELD_* bit */
	K_LOCK,       /* a lock: a is its SCANCODE_LED_* bit, b its SC_HELD_* bit */
};

struct keydef {
	uint8_t kind;
	uint32_t a, b;
};

#define CH(x, y)  { K_CHAR, (x), (y) }
#define LT(x)     { K_LETTER, (x), (x) - 'a' + 'A' }
#define KY(k)     { K_KEY, (k), 0 }
#define PAD(x, k) { K_PAD, (x), (k) }
#define MOD(m)    { K_MOD, (m), 0 }

/* Set 1 make codes without a prefix (a US layout). */
static const struct keydef set1_keys[0x59] = {
	[0x01] = KY(0x1b),
	[0x02] = CH('1', '!'), [0x03] = CH('2', '@'), [0x04] = CH('3', '#'),
	[0x05] = CH('4', '$'), [0x06] = CH('5', '%'), [0x07] = CH('6', '^'),
	[0x08] = CH('7', '&'), [0x09] = CH('8', '*'), [0x0a] = CH('9', '('),
	[0x0b] = CH('0', ')'), [0x0c] = CH('-', '_'), [0x0d] = CH('=', '+'),
	[0x0e] = KY('\b'), [0x0f] = KY('\t'),
	[0x10] = LT('q'), [0x11] = LT('w'), [0x12] = LT('e'), [0x13] = LT('r'),
	[0x14] = LT('t'), [0x15] = LT('y'), [0x16] = LT('u'), [0x17] = LT('i'),
	[0x18] = LT('o'), [0x19] = LT('p'), [0x1a] = CH('[', '{'), [0x1b] = CH(']', '}'),
	[0x1c] = KY('\n'), [0x1d] = MOD(SC_HELD_LCTRL),
	[0x1e] = LT('a'), [0x1f] = LT('s'), [0x20] = LT('d'), [0x21] = LT('f'),
	[0x22] = LT('g'), [0x23] = LT('h'), [0x24] = LT('j'), [0x25] = LT('k'),
	[0x26] = LT('l'), [0x27] = CH(';', ':'), [0x28] = CH('\'', '"'),
	[0x29] = CH('`', '~'), [0x2a] = MOD(SC_HELD_LSHIFT), [0x2b] = CH('\\', '|'),
	[0x2c] = LT('z'), [0x2d] = LT('x'), [0x2e] = LT('c'), [0x2f] = LT('v'),
	[0x30] = LT('b'), [0x31] = LT('n'), [0x32] = LT('m'), [0x33] = CH(',', '<'),
	[0x34] = CH('.', '>'), [0x35] = CH('/', '?'), [0x36] = MOD(SC_HELD_RSHIFT),
	[0x37] = KY('*'), [0x38] = MOD(SC_HELD_LALT), [0x39] = KY(' '),
	[0x3a] = { K_LOCK, SCANCODE_LED_CAPS, SC_HELD_CAPS },
	[0x3b] = KY(KEY_F1), [0x3c] = KY(KEY_F2), [0x3d] = KY(KEY_F3), [0x3e] = KY(KEY_F4),
	[0x3f] = KY(KEY_F5), [0x40] = KY(KEY_F6), [0x41] = KY(KEY_F7), [0x42] = KY(KEY_F8),
	[0x43] = KY(KEY_F9), [0x44] = KY(KEY_F10),
	[0x45] = { K_LOCK, SCANCODE_LED_NUM, SC_HELD_NUM },
	[0x46] = KY(0),        /* Scroll Lock: no key, no toggle (nothing uses it) */
	[0x47] = PAD('7', KEY_HOME), [0x48] = PAD('8', KEY_UP), [0x49] = PAD('9', KEY_PGUP),
	[0x4a] = KY('-'),
	[0x4b] = PAD('4', KEY_LEFT), [0x4c] = PAD('5', 0), [0x4d] = PAD('6', KEY_RIGHT),
	[0x4e] = KY('+'),
	[0x4f] = PAD('1', KEY_END), [0x50] = PAD('2', KEY_DOWN), [0x51] = PAD('3', KEY_PGDN),
	[0x52] = PAD('0', KEY_INSERT), [0x53] = PAD('.', KEY_DELETE),
	[0x56] = CH('\\', '|'),  /* the key left of Z on ISO keyboards */
	[0x57] = KY(KEY_F11), [0x58] = KY(KEY_F12),
};

/* Set 1 make codes after E0. E0 2A / E0 36 (fake shifts around the
 * navigation keys), E0 37 (Print Screen) and the GUI keys type nothing. */
static const struct keydef set1_e0_keys[0x54] = {
	[0x1c] = KY('\n'), [0x1d] = MOD(SC_HELD_RCTRL), [0x35] = KY('/'),
	[0x38] = MOD(SC_HELD_RALT),
	[0x47] = KY(KEY_HOME), [0x48] = KY(KEY_UP), [0x49] = KY(KEY_PGUP),
	[0x4b] = KY(KEY_LEFT), [0x4d] = KY(KEY_RIGHT),
	[0x4f] = KY(KEY_END), [0x50] = KY(KEY_DOWN), [0x51] = KY(KEY_PGDN),
	[0x52] = KY(KEY_INSERT), [0x53] = KY(KEY_DELETE),
};

/* Set 2 make code -> set 1 make code, for every key of set1_keys (the E0
 * keys use the same second byte as their set 1 equivalent's). 0: none. */
static const uint8_t set2_to_set1[0x84] = {
	[0x01] = 0x43, [0x03] = 0x3f, [0x04] = 0x3d, [0x05] = 0x3b, [0x06] = 0x3c,
	[0x07] = 0x58, [0x09] = 0x44, [0x0a] = 0x42, [0x0b] = 0x40, [0x0c] = 0x3e,
	[0x0d] = 0x0f, [0x0e] = 0x29, [0x11] = 0x38, [0x12] = 0x2a, [0x14] = 0x1d,
	[0x15] = 0x10, [0x16] = 0x02, [0x1a] = 0x2c, [0x1b] = 0x1f, [0x1c] = 0x1e,
	[0x1d] = 0x11, [0x1e] = 0x03, [0x21] = 0x2e, [0x22] = 0x2d, [0x23] = 0x20,
	[0x24] = 0x12, [0x25] = 0x05, [0x26] = 0x04, [0x29] = 0x39, [0x2a] = 0x2f,
	[0x2b] = 0x21, [0x2c] = 0x14, [0x2d] = 0x13, [0x2e] = 0x06, [0x31] = 0x31,
	[0x32] = 0x30, [0x33] = 0x23, [0x34] = 0x22, [0x35] = 0x15, [0x36] = 0x07,
	[0x3a] = 0x32, [0x3b] = 0x24, [0x3c] = 0x16, [0x3d] = 0x08, [0x3e] = 0x09,
	[0x41] = 0x33, [0x42] = 0x25, [0x43] = 0x17, [0x44] = 0x18, [0x45] = 0x0b,
	[0x46] = 0x0a, [0x49] = 0x34, [0x4a] = 0x35, [0x4b] = 0x26, [0x4c] = 0x27,
	[0x4d] = 0x19, [0x4e] = 0x0c, [0x52] = 0x28, [0x54] = 0x1a, [0x55] = 0x0d,
	[0x58] = 0x3a, [0x59] = 0x36, [0x5a] = 0x1c, [0x5b] = 0x1b, [0x5d] = 0x2b,
	[0x61] = 0x56, [0x66] = 0x0e, [0x69] = 0x4f, [0x6b] = 0x4b, [0x6c] = 0x47,
	[0x70] = 0x52, [0x71] = 0x53, [0x72] = 0x50, [0x73] = 0x4c, [0x74] = 0x4d,
	[0x75] = 0x48, [0x76] = 0x01, [0x77] = 0x45, [0x78] = 0x57, [0x79] = 0x4e,
	[0x7a] = 0x51, [0x7b] = 0x4a, [0x7c] = 0x37, [0x7d] = 0x49, [0x7e] = 0x46,
	[0x83] = 0x41,
};

void scancode_init(struct scancode_state *s, enum scancode_set set)
{
	*s = (struct scancode_state){ .set = set, .locks = SCANCODE_LED_NUM };
}

static uint32_t modifier_bits(uint8_t held)
{
	return (held & SC_HELD_SHIFT ? KEYMOD_SHIFT : 0) |
	       (held & SC_HELD_CTRL ? KEYMOD_CTRL : 0) |
	       (held & SC_HELD_ALT ? KEYMOD_ALT : 0);
}

/* The key code @d types now (0: none), before modifier bits. */
static uint32_t key_of(const struct scancode_state *s, const struct keydef *d)
{
	bool shift = s->held & SC_HELD_SHIFT;

	switch (d->kind) {
	case K_CHAR:
		return shift ? d->b : d->a;
	case K_LETTER:
		return shift != !!(s->locks & SCANCODE_LED_CAPS) ? d->b : d->a;
	case K_KEY:
		return d->a;
	case K_PAD:
		return s->locks & SCANCODE_LED_NUM ? d->a : d->b;
	default:
		return 0;
	}
}

/* Track a modifier or lock key; true if @d was one. */
static bool track_held(struct scancode_state *s, const struct keydef *d, bool released)
{
	uint8_t bit;

	if (d->kind == K_MOD)
		bit = (uint8_t)d->a;
	else if (d->kind == K_LOCK)
		bit = (uint8_t)d->b;
	else
		return false;
	if (released) {
		s->held &= (uint8_t)~bit;
		return true;
	}
	if (d->kind == K_LOCK && !(s->held & bit)) {   /* first make, not a repeat */
		s->locks ^= (uint8_t)d->a;
		s->leds_changed = true;
	}
	s->held |= bit;
	return true;
}

/* One set 1 byte. */
static bool feed_set1(struct scancode_state *s, uint8_t byte, uint32_t *key)
{
	if (s->skip) {
		s->skip--;
		return false;
	}
	if (byte == SC_EXTENDED) {
		s->prefix = SC_EXTENDED;
		return false;
	}
	if (byte == SC_PAUSE) {
		s->prefix = 0;
		s->skip = SC_PAUSE_TAIL;
		return false;
	}
	bool extended = s->prefix == SC_EXTENDED, released = byte & SC_BREAK;
	uint8_t code = byte & SC_CODE_MASK;
	const struct keydef *d = NULL;

	s->prefix = 0;
	if (extended && code < ARRAY_SIZE(set1_e0_keys))
		d = &set1_e0_keys[code];
	else if (!extended && code < ARRAY_SIZE(set1_keys))
		d = &set1_keys[code];
	if (!d || track_held(s, d, released) || released)
		return false;
	uint32_t k = key_of(s, d);
	if (!k)
		return false;
	*key = k | modifier_bits(s->held);
	return true;
}

/* One set 2 byte: F0 marks the next code a break; known codes become
 * their set 1 equivalent; E0 and E1 pass unchanged. */
static bool feed_set2(struct scancode_state *s, uint8_t byte, uint32_t *key)
{
	if (byte == SC_SET2_BREAK) {
		s->set2_break = true;
		return false;
	}
	if (byte == SC_EXTENDED || byte == SC_PAUSE)
		return feed_set1(s, byte, key);
	bool released = s->set2_break;
	uint8_t code = byte < ARRAY_SIZE(set2_to_set1) ? set2_to_set1[byte] : 0;

	s->set2_break = false;
	if (!code) {              /* a reply (FA, FE, AA, EE) or no key: */
		s->prefix = 0;        /* forget a prefix it interrupted */
		return false;
	}
	return feed_set1(s, (uint8_t)(code | (released ? SC_BREAK : 0)), key);
}

bool scancode_feed(struct scancode_state *s, uint8_t byte, uint32_t *key)
{
	if (byte == SC_ERROR || byte == SC_ERROR0) {
		s->prefix = 0;
		s->skip = 0;
		s->set2_break = false;
		return false;
	}
	return s->set == SCANCODE_SET2 ? feed_set2(s, byte, key) : feed_set1(s, byte, key);
}
