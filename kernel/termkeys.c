/*
 * termkeys.c - a serial terminal's bytes to key codes (termkeys.h).
 */
#include "termkeys.h"

#define ESC      0x1b
#define DEL      0x7f
#define CTRL_A   0x01
#define CTRL_Z   0x1a
#define UNICODE_MAX   0x10ffffu
#define SURROGATE_LO  0xd800u
#define SURROGATE_HI  0xdfffu

void termkeys_init(struct termkeys *t)
{
	*t = (struct termkeys){ .mode = TK_GROUND };
}

static void start(struct termkeys *t, enum termkeys_mode mode, uint64_t now)
{
	t->mode = mode;
	t->since = now;
	t->seq_len = 0;
	t->nparams = 0;
	t->bad = false;
	for (unsigned i = 0; i < TERMKEYS_MAX_PARAMS; i++)
		t->params[i] = 0;
}

/* xterm's modifier parameter: 1 + (1 shift, 2 alt, 4 ctrl). */
static uint32_t xterm_mods(unsigned p)
{
	if (p < 2)
		return 0;
	p--;
	return (p & 1 ? KEYMOD_SHIFT : 0) | (p & 2 ? KEYMOD_ALT : 0) | (p & 4 ? KEYMOD_CTRL : 0);
}

/* The key of a letter final byte shared by CSI and SS3 sequences. */
static uint32_t letter_key(uint8_t final)
{
	switch (final) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	case 'P': return KEY_F1;
	case 'Q': return KEY_F2;
	case 'R': return KEY_F3;
	case 'S': return KEY_F4;
	default:  return 0;
	}
}

/* ESC [ N ~ */
static uint32_t tilde_key(unsigned n)
{
	static const uint32_t keys[] = {
		[1] = KEY_HOME, [2] = KEY_INSERT, [3] = KEY_DELETE, [4] = KEY_END,
		[5] = KEY_PGUP, [6] = KEY_PGDN, [7] = KEY_HOME, [8] = KEY_END,
		[11] = KEY_F1, [12] = KEY_F2, [13] = KEY_F3, [14] = KEY_F4, [15] = KEY_F5,
		[17] = KEY_F6, [18] = KEY_F7, [19] = KEY_F8, [20] = KEY_F9, [21] = KEY_F10,
		[23] = KEY_F11, [24] = KEY_F12,
	};
	return n < ARRAY_SIZE(keys) ? keys[n] : 0;
}

static unsigned csi_final(struct termkeys *t, uint8_t final, uint32_t *out)
{
	uint32_t key = 0;

	t->mode = TK_GROUND;
	if (t->bad)
		return 0;
	if (final == '~')
		key = tilde_key(t->params[0]);
	else if (final == 'Z')
		key = '\t' | KEYMOD_SHIFT;
	else
		key = letter_key(final);
	if (!key)
		return 0;
	out[0] = key | xterm_mods(t->params[1]);
	return 1;
}

/* A byte inside ESC [ ... : parameters, then a final byte 0x40..0x7e. */
static unsigned csi_byte(struct termkeys *t, uint8_t b, uint32_t *out)
{
	if (b >= '0' && b <= '9') {
		unsigned *p = &t->params[t->nparams < TERMKEYS_MAX_PARAMS ? t->nparams : 0];
		if (*p > TERMKEYS_PARAM_MAX)
			t->bad = true;
		else
			*p = *p * 10 + (b - '0');
		return 0;
	}
	if (b == ';') {
		if (++t->nparams >= TERMKEYS_MAX_PARAMS)
			t->bad = true;
		return 0;
	}
	if (b >= 0x20 && b < 0x40) {  /* private marker or intermediate: not ours */
		t->bad = true;
		return 0;
	}
	return csi_final(t, b, out);
}

static unsigned ss3_byte(struct termkeys *t, uint8_t b, uint32_t *out)
{
	uint32_t key = b == 'M' ? '\n' : letter_key(b);

	t->mode = TK_GROUND;
	if (!key)
		return 0;
	out[0] = key;
	return 1;
}

/* The key of a single byte outside any sequence (0: none). */
static uint32_t plain_key(struct termkeys *t, uint8_t b)
{
	bool after_cr = t->last_cr;

	t->last_cr = b == '\r';
	switch (b) {
	case '\r':
		return '\n';
	case '\n':
		return after_cr ? 0 : '\n';
	case '\b':
	case DEL:
		return '\b';
	case '\t':
		return '\t';
	}
	if (b >= CTRL_A && b <= CTRL_Z)
		return (uint32_t)('a' + b - CTRL_A) | KEYMOD_CTRL;
	if (b >= 0x20 && b < DEL)
		return b;
	return 0;                     /* NUL, FS..US */
}

static bool utf8_start(struct termkeys *t, uint8_t b, uint64_t now)
{
	unsigned more;

	if (b >= 0xc2 && b <= 0xdf)
		more = 1;
	else if (b >= 0xe0 && b <= 0xef)
		more = 2;
	else if (b >= 0xf0 && b <= 0xf4)
		more = 3;
	else
		return false;             /* a stray continuation, C0/C1, F5..FF */
	start(t, TK_UTF8, now);
	t->utf8_left = t->utf8_len = more;
	t->cp = b & (0x3fu >> more);
	return true;
}

static unsigned utf8_byte(struct termkeys *t, uint8_t b, uint32_t *out)
{
	static const uint32_t min_of_len[] = { 0, 0x80, 0x800, 0x10000 };

	t->cp = t->cp << 6 | (b & 0x3f);
	if (--t->utf8_left)
		return 0;
	t->mode = TK_GROUND;
	if (t->cp < min_of_len[t->utf8_len] || t->cp > UNICODE_MAX ||
	    (t->cp >= SURROGATE_LO && t->cp <= SURROGATE_HI))
		return 0;                 /* overlong, too large, a surrogate */
	out[0] = t->cp;
	return 1;
}

static unsigned ground_byte(struct termkeys *t, uint8_t b, uint64_t now, uint32_t *out)
{
	if (b == ESC) {
		t->last_cr = false;
		start(t, TK_ESC, now);
		return 0;
	}
	if (b >= 0x80) {
		t->last_cr = false;
		utf8_start(t, b, now);
		return 0;
	}
	uint32_t key = plain_key(t, b);
	if (!key)
		return 0;
	out[0] = key;
	return 1;
}

static unsigned esc_byte(struct termkeys *t, uint8_t b, uint64_t now, uint32_t *out)
{
	if (b == '[') {
		start(t, TK_CSI, now);
		return 0;
	}
	if (b == 'O') {
		start(t, TK_SS3, now);
		return 0;
	}
	if (b > 0x20 && b < DEL) {    /* Meta sends ESC before the character */
		t->mode = TK_GROUND;
		out[0] = b | KEYMOD_ALT;
		return 1;
	}
	/* The ESC was the Escape key; this byte starts afresh. */
	t->mode = TK_GROUND;
	out[0] = ESC;
	return 1 + ground_byte(t, b, now, out + 1);
}

unsigned termkeys_feed(struct termkeys *t, uint8_t byte, uint64_t now, uint32_t *out)
{
	switch (t->mode) {
	case TK_ESC:
		return esc_byte(t, byte, now, out);
	case TK_CSI:
	case TK_SS3:
		if (byte < 0x20 || byte >= DEL) {
			t->mode = TK_GROUND;      /* broken off: the byte counts as itself */
			return ground_byte(t, byte, now, out);
		}
		if (++t->seq_len > TERMKEYS_MAX_SEQ)
			t->bad = true;            /* dropped at its final byte */
		return t->mode == TK_CSI ? csi_byte(t, byte, out) : ss3_byte(t, byte, out);
	case TK_UTF8:
		if ((byte & 0xc0) == 0x80)
			return utf8_byte(t, byte, out);
		t->mode = TK_GROUND;          /* truncated character: dropped */
		return ground_byte(t, byte, now, out);
	case TK_GROUND:
	default:
		t->mode = TK_GROUND;
		return ground_byte(t, byte, now, out);
	}
}

unsigned termkeys_idle(struct termkeys *t, uint64_t now, uint32_t *out)
{
	if (t->mode == TK_GROUND || now - t->since < TERMKEYS_ESC_TICKS)
		return 0;
	bool lone_esc = t->mode == TK_ESC;
	t->mode = TK_GROUND;
	if (!lone_esc)
		return 0;
	out[0] = ESC;
	return 1;
}
