/*
 * test_keys.c - the keyboard decoders the kernel runs, on the host: PS/2
 * scan codes (kernel/scancode.c: set 1, set 2, E0 prefixes, break codes,
 * Shift/Ctrl/Alt, Caps and Num Lock, Pause, garbage) and a serial
 * terminal's bytes (kernel/termkeys.c: escape sequences, control keys,
 * UTF-8, the lone-ESC timeout, broken sequences).
 *
 * Both decoders are pure code with no kernel dependency beyond the key
 * codes of kernel/input.h, so their sources are compiled into this test
 * as they are (the host library does not build kernel/).
 */
#include <stdlib.h>
#include <string.h>

#include "../../kernel/scancode.c"
#include "../../kernel/termkeys.c"
#include "tap.h"

#define MAXK 64

/* ---- scan codes ------------------------------------------------------------ */

/* Feed @n bytes; the keys produced go to @out; returns their count. */
static unsigned sc_feed(struct scancode_state *s, const uint8_t *b, size_t n, uint32_t *out)
{
	unsigned k = 0;
	uint32_t key;

	for (size_t i = 0; i < n; i++)
		if (scancode_feed(s, b[i], &key) && k < MAXK)
			out[k++] = key;
	return k;
}

/* The keys of byte string @b (set @set, fresh decoder) must be @want. */
#define SC_EXPECT(set, desc, bytes, ...) do {                                          \
	static const uint8_t b_[] = { bytes };                                          \
	static const uint32_t w_[] = { __VA_ARGS__ };                                   \
	sc_expect(set, desc, b_, sizeof(b_), w_, sizeof(w_) / sizeof(w_[0]));          \
} while (0)
#define BYTES(...) __VA_ARGS__
#define NOKEY 0xffffffffu           /* marks "no key" in an expectation list */

static void sc_expect(enum scancode_set set, const char *desc, const uint8_t *b, size_t n,
		      const uint32_t *want, size_t nwant)
{
	struct scancode_state s;
	uint32_t got[MAXK];
	unsigned k;

	if (nwant == 1 && want[0] == NOKEY)
		nwant = 0;
	scancode_init(&s, set);
	k = sc_feed(&s, b, n, got);
	bool ok = k == nwant && memcmp(got, want, k * sizeof(uint32_t)) == 0;
	TAP_CHECK(ok, "set %d: %s: %u keys%s", set, desc, k, ok ? "" : " (differs)");
	if (!ok)
		for (unsigned i = 0; i < k || i < nwant; i++)
			TAP_DIAG("  key %u: got %#x, want %#x", i, i < k ? got[i] : 0,
				 i < nwant ? want[i] : 0);
}

static void test_set1(void)
{
	SC_EXPECT(1, "a: make, break", BYTES(0x1e, 0x9e), 'a');
	SC_EXPECT(1, "help, Enter", BYTES(0x23, 0xa3, 0x12, 0x92, 0x26, 0xa6, 0x19, 0x99, 0x1c, 0x9c),
		  'h', 'e', 'l', 'p', '\n');
	SC_EXPECT(1, "a held: typematic repeats type it again", BYTES(0x1e, 0x1e, 0x1e, 0x9e),
		  'a', 'a', 'a');
	SC_EXPECT(1, "left Shift + a, 1", BYTES(0x2a, 0x1e, 0x02, 0xaa, 0x1e),
		  'A' | KEYMOD_SHIFT, '!' | KEYMOD_SHIFT, 'a');
	SC_EXPECT(1, "right Shift + /", BYTES(0x36, 0x35, 0xb6, 0x35), '?' | KEYMOD_SHIFT, '/');
	SC_EXPECT(1, "left Ctrl + c (Ctrl+letter is the letter with KEYMOD_CTRL)",
		  BYTES(0x1d, 0x2e, 0xae, 0x9d, 0x2e), 'c' | KEYMOD_CTRL, 'c');
	SC_EXPECT(1, "right Ctrl (E0 1D) + u", BYTES(0xe0, 0x1d, 0x16, 0xe0, 0x9d, 0x16),
		  'u' | KEYMOD_CTRL, 'u');
	SC_EXPECT(1, "left and right Alt", BYTES(0x38, 0x1e, 0xb8, 0xe0, 0x38, 0x1e, 0xe0, 0xb8, 0x1e),
		  'a' | KEYMOD_ALT, 'a' | KEYMOD_ALT, 'a');
	SC_EXPECT(1, "both Shifts, one released: still shifted",
		  BYTES(0x2a, 0x36, 0xaa, 0x1e, 0xb6, 0x1e), 'A' | KEYMOD_SHIFT, 'a');
	SC_EXPECT(1, "Caps Lock: letters upper case, digits not, Shift inverts",
		  BYTES(0x3a, 0xba, 0x1e, 0x02, 0x2a, 0x1e, 0xaa, 0x3a, 0xba, 0x1e),
		  'A', '1', 'a' | KEYMOD_SHIFT, 'a');
	SC_EXPECT(1, "Caps Lock held (repeats) toggles once", BYTES(0x3a, 0x3a, 0x3a, 0xba, 0x1e), 'A');
	SC_EXPECT(1, "E0 arrows, break codes type nothing",
		  BYTES(0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x50, 0xe0, 0xd0, 0xe0, 0x4b, 0xe0, 0xcb,
			0xe0, 0x4d, 0xe0, 0xcd),
		  KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT);
	SC_EXPECT(1, "E0 Home End PgUp PgDn Insert Delete, keypad Enter and /",
		  BYTES(0xe0, 0x47, 0xe0, 0x4f, 0xe0, 0x49, 0xe0, 0x51, 0xe0, 0x52, 0xe0, 0x53,
			0xe0, 0x1c, 0xe0, 0x35),
		  KEY_HOME, KEY_END, KEY_PGUP, KEY_PGDN, KEY_INSERT, KEY_DELETE, '\n', '/');
	SC_EXPECT(1, "Shift + PgUp (scrollback)", BYTES(0x2a, 0xe0, 0x49, 0xe0, 0xc9, 0xaa),
		  KEY_PGUP | KEYMOD_SHIFT);
	SC_EXPECT(1, "E0 2A fake shift around a navigation key is no Shift",
		  BYTES(0xe0, 0x2a, 0xe0, 0x49, 0xe0, 0xc9, 0xe0, 0xaa, 0x1e), KEY_PGUP, 'a');
	SC_EXPECT(1, "keypad with Num Lock on (the default): digits",
		  BYTES(0x47, 0x48, 0x4c, 0x52, 0x53, 0x37, 0x4a, 0x4e), '7', '8', '5', '0', '.',
		  '*', '-', '+');
	SC_EXPECT(1, "keypad with Num Lock off: navigation, 5 types nothing",
		  BYTES(0x45, 0xc5, 0x47, 0x48, 0x4c, 0x51, 0x53), KEY_HOME, KEY_UP, KEY_PGDN,
		  KEY_DELETE);
	SC_EXPECT(1, "Esc, Backspace, Tab, F1, F10, F11, F12, space",
		  BYTES(0x01, 0x0e, 0x0f, 0x3b, 0x44, 0x57, 0x58, 0x39),
		  0x1b, '\b', '\t', KEY_F1, KEY_F10, KEY_F11, KEY_F12, ' ');
	SC_EXPECT(1, "Pause (E1 1D 45 E1 9D C5) types nothing; the next key is fine",
		  BYTES(0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, 0x1e), 'a');
	SC_EXPECT(1, "Print Screen (E0 2A E0 37) types nothing",
		  BYTES(0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa, 0x1e), 'a');
	SC_EXPECT(1, "replies and error codes (FA FE AA EE 00 FF) type nothing",
		  BYTES(0xfa, 0xfe, 0xaa, 0xee, 0x00, 0xff, 0x1e), 'a');
	SC_EXPECT(1, "an E0 before an error code is forgotten", BYTES(0xe0, 0xff, 0x48), '8');
	SC_EXPECT(1, "codes no key has (0x59..0x7f, E0 + unknown) type nothing",
		  BYTES(0x59, 0x5a, 0x7f, 0xe0, 0x10, 0xe0, 0x7f, 0x1e), 'a');
}

static void test_set2(void)
{
	SC_EXPECT(2, "a: make, F0 break", BYTES(0x1c, 0xf0, 0x1c), 'a');
	SC_EXPECT(2, "Shift + a", BYTES(0x12, 0x1c, 0xf0, 0x1c, 0xf0, 0x12, 0x1c),
		  'A' | KEYMOD_SHIFT, 'a');
	SC_EXPECT(2, "E0 arrows and their E0 F0 breaks",
		  BYTES(0xe0, 0x75, 0xe0, 0xf0, 0x75, 0xe0, 0x72, 0xe0, 0x6b, 0xe0, 0x74),
		  KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT);
	SC_EXPECT(2, "E0 PgUp PgDn Home End Delete, keypad Enter",
		  BYTES(0xe0, 0x7d, 0xe0, 0x7a, 0xe0, 0x6c, 0xe0, 0x69, 0xe0, 0x71, 0xe0, 0x5a),
		  KEY_PGUP, KEY_PGDN, KEY_HOME, KEY_END, KEY_DELETE, '\n');
	SC_EXPECT(2, "right Ctrl (E0 14) + c", BYTES(0xe0, 0x14, 0x21, 0xe0, 0xf0, 0x14, 0x21),
		  'c' | KEYMOD_CTRL, 'c');
	SC_EXPECT(2, "Caps Lock (58)", BYTES(0x58, 0xf0, 0x58, 0x1c), 'A');
	SC_EXPECT(2, "F7 (83), F12 (07)", BYTES(0x83, 0x07), KEY_F7, KEY_F12);
	SC_EXPECT(2, "Pause (E1 14 77 E1 F0 14 F0 77) types nothing",
		  BYTES(0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77, 0x1c), 'a');
	SC_EXPECT(2, "self-test passed (AA), ack (FA) and codes above 0x83 type nothing",
		  BYTES(0xaa, 0xfa, 0x84, 0xe0, 0x90, 0x1c), 'a');

	/* Every set 2 code the table knows types what its set 1 code types,
	 * plain, shifted and after E0. */
	unsigned same = 0, total = 0;
	for (unsigned c2 = 0; c2 < ARRAY_SIZE(set2_to_set1); c2++) {
		uint8_t c1 = set2_to_set1[c2];
		if (!c1)
			continue;
		const uint8_t seq2[][4] = { { (uint8_t)c2 }, { 0x12, (uint8_t)c2 },
					    { 0xe0, (uint8_t)c2 } };
		const uint8_t seq1[][4] = { { c1 }, { 0x2a, c1 }, { 0xe0, c1 } };
		const size_t len[] = { 1, 2, 2 };
		for (unsigned v = 0; v < 3; v++) {
			struct scancode_state s1, s2;
			uint32_t k1[MAXK], k2[MAXK];
			scancode_init(&s1, SCANCODE_SET1);
			scancode_init(&s2, SCANCODE_SET2);
			unsigned n1 = sc_feed(&s1, seq1[v], len[v], k1);
			unsigned n2 = sc_feed(&s2, seq2[v], len[v], k2);
			total++;
			if (n1 == n2 && memcmp(k1, k2, n1 * sizeof(uint32_t)) == 0 &&
			    s1.held == s2.held && s1.locks == s2.locks)
				same++;
			else
				TAP_DIAG("set 2 %#x (variant %u) differs from set 1 %#x", c2, v, c1);
		}
	}
	TAP_CHECK(same == total && total > 3 * 80,
		  "set 2: all %u known codes (plain, Shift, E0) decode as their set 1 code (%u of %u)",
		  total / 3, same, total);
}

static void test_sc_garbage(void)
{
	struct scancode_state s;
	uint32_t key;
	unsigned keys = 0, bad = 0;

	srand(12);
	for (int set = 1; set <= 2; set++) {
		scancode_init(&s, (enum scancode_set)set);
		for (int i = 0; i < 1000000; i++) {
			if (!scancode_feed(&s, (uint8_t)rand(), &key))
				continue;
			keys++;
			uint32_t c = key_code(key);
			if ((key & ~(KEY_CODE_MASK | KEYMOD_SHIFT | KEYMOD_CTRL | KEYMOD_ALT)) ||
			    c == 0 || (c >= 0x80 && (c < KEY_BASE || c >= KEY_LAST)))
				bad++;
		}
		/* Then an error code, every modifier released, and a known key. */
		static const uint8_t release1[] = { 0xff, 0xaa, 0xb6, 0x9d, 0xb8, 0xe0, 0x9d,
						    0xe0, 0xb8 };
		static const uint8_t release2[] = { 0xff, 0xf0, 0x12, 0xf0, 0x59, 0xf0, 0x14,
						    0xf0, 0x11, 0xe0, 0xf0, 0x14, 0xe0, 0xf0, 0x11 };
		uint32_t got[MAXK];
		if (set == 1)
			sc_feed(&s, release1, sizeof(release1), got);
		else
			sc_feed(&s, release2, sizeof(release2), got);
		uint8_t a = set == 1 ? 0x1e : 0x1c;
		unsigned n = sc_feed(&s, &a, 1, got);
		TAP_CHECK(n == 1 && (got[0] == 'a' || got[0] == 'A'),
			  "set %d: after 1,000,000 random bytes, an error code and releases, 'a' "
			  "types a (got %u keys, %#x)", set, n, n ? got[0] : 0);
	}
	TAP_CHECK(bad == 0 && keys > 0, "random bytes: %u keys decoded, %u of them not valid "
		  "key codes", keys, bad);
}

/* ---- terminal bytes ------------------------------------------------------------ */

static unsigned tk_feed(struct termkeys *t, const char *b, size_t n, uint64_t now, uint32_t *out)
{
	unsigned k = 0;
	uint32_t got[TERMKEYS_MAX_OUT];

	for (size_t i = 0; i < n; i++) {
		unsigned m = termkeys_feed(t, (uint8_t)b[i], now, got);
		for (unsigned j = 0; j < m && k < MAXK; j++)
			out[k++] = got[j];
	}
	return k;
}

#define TK_EXPECT(desc, str, ...) do {                                                  \
	static const uint32_t w_[] = { __VA_ARGS__ };                                   \
	tk_expect(desc, str, sizeof(str) - 1, w_, sizeof(w_) / sizeof(w_[0]));          \
} while (0)

static void tk_expect(const char *desc, const char *b, size_t n, const uint32_t *want,
		      size_t nwant)
{
	struct termkeys t;
	uint32_t got[MAXK];

	if (nwant == 1 && want[0] == NOKEY)
		nwant = 0;
	termkeys_init(&t);
	unsigned k = tk_feed(&t, b, n, 0, got);
	bool ok = k == nwant && memcmp(got, want, k * sizeof(uint32_t)) == 0;
	TAP_CHECK(ok, "terminal: %s: %u keys", desc, k);
	if (!ok)
		for (unsigned i = 0; i < k || i < nwant; i++)
			TAP_DIAG("  key %u: got %#x, want %#x", i, i < k ? got[i] : 0,
				 i < nwant ? want[i] : 0);
}

static void test_terminal(void)
{
	TK_EXPECT("text and CR", "pt 1\r", 'p', 't', ' ', '1', '\n');
	TK_EXPECT("LF alone, and CR LF once", "a\nb\r\nc\r\r", 'a', '\n', 'b', '\n', 'c', '\n', '\n');
	TK_EXPECT("DEL and BS are Backspace, Tab", "\x7f\b\t", '\b', '\b', '\t');
	TK_EXPECT("Ctrl+C, Ctrl+U, Ctrl+A", "\x03\x15\x01", 'c' | KEYMOD_CTRL, 'u' | KEYMOD_CTRL,
		  'a' | KEYMOD_CTRL);
	TK_EXPECT("NUL and FS..US type nothing", "\0\x1c\x1f" "a", 'a');
	TK_EXPECT("CSI arrows", "\x1b[A\x1b[B\x1b[C\x1b[D", KEY_UP, KEY_DOWN, KEY_RIGHT, KEY_LEFT);
	TK_EXPECT("SS3 arrows (application mode), Home, End, F1, keypad Enter",
		  "\x1bOA\x1bOD\x1bOH\x1bOF\x1bOP\x1bOM", KEY_UP, KEY_LEFT, KEY_HOME, KEY_END,
		  KEY_F1, '\n');
	TK_EXPECT("CSI Home/End letters and tilde forms",
		  "\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[7~\x1b[8~", KEY_HOME, KEY_END, KEY_HOME,
		  KEY_END, KEY_HOME, KEY_END);
	TK_EXPECT("Insert Delete PgUp PgDn", "\x1b[2~\x1b[3~\x1b[5~\x1b[6~", KEY_INSERT,
		  KEY_DELETE, KEY_PGUP, KEY_PGDN);
	TK_EXPECT("F5 F6 F12", "\x1b[15~\x1b[17~\x1b[24~", KEY_F5, KEY_F6, KEY_F12);
	TK_EXPECT("modifiers: Shift+PgUp, Ctrl+Left, Shift+Up, Alt+Right",
		  "\x1b[5;2~\x1b[1;5D\x1b[1;2A\x1b[1;3C", KEY_PGUP | KEYMOD_SHIFT,
		  KEY_LEFT | KEYMOD_CTRL, KEY_UP | KEYMOD_SHIFT, KEY_RIGHT | KEYMOD_ALT);
	TK_EXPECT("Shift+Tab (CSI Z)", "\x1b[Z", '\t' | KEYMOD_SHIFT);
	TK_EXPECT("ESC x is Alt+x", "\x1bx", 'x' | KEYMOD_ALT);
	TK_EXPECT("ESC ESC [A: Escape, then Up", "\x1b\x1b[A", 0x1b, KEY_UP);
	TK_EXPECT("ESC then CR: Escape, Enter", "\x1b\r", 0x1b, '\n');
	TK_EXPECT("unknown finals and tilde numbers type nothing", "\x1b[9~\x1b[99~\x1b[x\x1bOz" "a",
		  'a');
	TK_EXPECT("private sequences (CSI ?) type nothing", "\x1b[?25h\x1b[>0c" "a", 'a');
	TK_EXPECT("too many parameters", "\x1b[1;2;3;4;5A" "a", 'a');
	TK_EXPECT("a huge parameter", "\x1b[99999999999999999999~" "a", 'a');
	TK_EXPECT("an over-long sequence is dropped up to its final byte",
		  "\x1b[1;1;1;1111111111111111111111111111111A" "b", 'b');
	TK_EXPECT("a control character breaks a sequence and counts", "\x1b[1\x03" "a",
		  'c' | KEYMOD_CTRL, 'a');
	TK_EXPECT("UTF-8: e-acute (2 bytes), euro (3), emoji (4)", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		  0xe9, 0x20ac, 0x1f600);
	TK_EXPECT("UTF-8: overlong, surrogate, stray continuation, truncated, F5+ dropped",
		  "\xc0\xaf\xe0\x80\xaf\xed\xa0\x80\x80\xbf\xe2\x82" "a\xf5\xff" "b", 'a', 'b');

	/* The lone ESC. */
	struct termkeys t;
	uint32_t out[TERMKEYS_MAX_OUT];
	termkeys_init(&t);
	unsigned n0 = termkeys_feed(&t, 0x1b, 1000, out);
	unsigned n1 = termkeys_idle(&t, 1000 + TERMKEYS_ESC_TICKS - 1, out);
	unsigned n2 = termkeys_idle(&t, 1000 + TERMKEYS_ESC_TICKS, out);
	TAP_CHECK(n0 == 0 && n1 == 0 && n2 == 1 && out[0] == 0x1b,
		  "terminal: a lone ESC is the Escape key once TERMKEYS_ESC_TICKS pass (%u %u %u)",
		  n0, n1, n2);
	n0 = termkeys_feed(&t, 'q', 0, out);
	TAP_CHECK(n0 == 1 && out[0] == 'q', "terminal: after it, q types q");
	termkeys_init(&t);
	termkeys_feed(&t, 0x1b, 0, out);
	termkeys_feed(&t, '[', 1, out);
	termkeys_feed(&t, '5', 2, out);
	n1 = termkeys_idle(&t, TERMKEYS_ESC_TICKS + 5, out);
	n2 = termkeys_feed(&t, '~', TERMKEYS_ESC_TICKS + 6, out);
	TAP_CHECK(n1 == 0 && n2 == 1 && out[0] == '~',
		  "terminal: an unfinished sequence times out without a key; the next byte is "
		  "itself (%u, %u)", n1, n2);

	/* Garbage. */
	unsigned keys = 0, bad = 0;
	srand(34);
	termkeys_init(&t);
	for (int i = 0; i < 1000000; i++) {
		unsigned m = termkeys_feed(&t, (uint8_t)rand(), (uint64_t)i, out);
		if (i % 1000 == 0)
			m += termkeys_idle(&t, (uint64_t)i + TERMKEYS_ESC_TICKS, out + m);
		for (unsigned j = 0; j < m && j < TERMKEYS_MAX_OUT; j++) {
			uint32_t c = key_code(out[j]);
			keys++;
			bad += m > TERMKEYS_MAX_OUT || c == 0 || c >= KEY_LAST ||
			       (out[j] & ~(KEY_CODE_MASK | KEYMOD_SHIFT | KEYMOD_CTRL | KEYMOD_ALT));
		}
	}
	termkeys_idle(&t, UINT64_MAX / 2, out);
	uint32_t got[MAXK];
	unsigned n = tk_feed(&t, "\x1b[A", 3, UINT64_MAX / 2 + 1, got);
	TAP_CHECK(bad == 0 && keys > 0 && n == 1 && got[0] == KEY_UP,
		  "terminal: 1,000,000 random bytes: %u keys, %u invalid; afterwards ESC [ A "
		  "is Up", keys, bad);
}

int main(void)
{
	tap_plan_unknown();
	test_set1();
	test_set2();
	test_sc_garbage();
	test_terminal();
	return tap_done();
}
