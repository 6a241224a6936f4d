/*
 * termkeys.h - bytes typed on a serial terminal to input.h key codes.
 *
 * A terminal (xterm, a Linux console, PuTTY, minicom, QEMU's -serial
 * stdio) sends text as UTF-8, control keys as control characters and
 * the other keys as escape sequences. The decoder understands:
 *   - printable ASCII and UTF-8 (a bad or overlong sequence is dropped);
 *   - CR or LF (CR LF counts once) as Enter ('\n'), BS and DEL as
 *     Backspace ('\b'), Tab, and Ctrl+A..Ctrl+Z as the letter with
 *     KEYMOD_CTRL (Ctrl+C is 'c' | KEYMOD_CTRL);
 *   - ESC [ A/B/C/D (and ESC O A..D) arrows, ESC [ H / F, ESC O H / F and
 *     ESC [ 1~ 4~ 7~ 8~ Home/End, ESC [ 2~ 3~ Insert/Delete, ESC [ 5~ 6~
 *     PgUp/PgDn, ESC O P..S and ESC [ 11~..24~ F1..F12, ESC [ Z Shift+Tab;
 *     a modifier parameter (ESC [ 1;2A, ESC [ 5;2~ for Shift+PgUp) adds
 *     KEYMOD_SHIFT, _ALT, _CTRL as xterm encodes them;
 *   - ESC followed by a printable character as Alt+that character, and a
 *     lone ESC, once TERMKEYS_ESC_TICKS pass with nothing after it, as the
 *     Escape key (0x1b).
 * Anything else is dropped: an unknown final byte, private sequences
 * (ESC [ ? ...), more than TERMKEYS_MAX_PARAMS parameters, a parameter
 * above TERMKEYS_PARAM_MAX, or a sequence longer than TERMKEYS_MAX_SEQ
 * bytes (all of it, up to its final byte); a control character inside a
 * sequence ends it and counts as itself. Nothing can leave the decoder
 * waiting: an unfinished sequence is dropped after TERMKEYS_ESC_TICKS.
 *
 * Pure code (no I/O): time is whatever counter the caller passes (the
 * kernel passes the TSC). kernel/serialkeys.c feeds it from COM1; the host
 * test tests/host/test_keys.c feeds it byte strings.
 */
#ifndef CARTO_TERMKEYS_H
#define CARTO_TERMKEYS_H

#include "input.h"
#include "types.h"

/* About 0.5 s at 2 GHz (0.25 s at 4 GHz): far longer than the gap between
 * the bytes of one sequence (87 us per byte at 115200 baud), with room for
 * a terminal behind a network or a busy virtual machine's serial (the boot
 * tests saw a 50 ms limit split ESC [ 3 ~ on a loaded host). Only a lone
 * Escape key waits this long. */
#define TERMKEYS_ESC_TICKS 1000000000ull
#define TERMKEYS_MAX_PARAMS 4
#define TERMKEYS_MAX_SEQ    16
#define TERMKEYS_PARAM_MAX  9999
#define TERMKEYS_MAX_OUT    2     /* keys one call can produce */

enum termkeys_mode { TK_GROUND, TK_ESC, TK_CSI, TK_SS3, TK_UTF8 };

struct termkeys {
	enum termkeys_mode mode;
	uint64_t since;               /* time the pending sequence started */
	unsigned seq_len;             /* bytes of it so far */
	unsigned params[TERMKEYS_MAX_PARAMS], nparams;
	bool bad;                     /* a private or over-long parameter list */
	uint32_t cp;                  /* UTF-8: code point so far */
	unsigned utf8_left, utf8_len;
	bool last_cr;                 /* the previous byte was CR (CR LF: one Enter) */
};

void termkeys_init(struct termkeys *t);

/*
 * termkeys_feed - decode @byte, received at time @now. Writes the keys it
 * completes (0 .. TERMKEYS_MAX_OUT) to @out and returns how many.
 */
unsigned termkeys_feed(struct termkeys *t, uint8_t byte, uint64_t now, uint32_t *out);

/*
 * termkeys_idle - nothing arrived up to time @now: a lone ESC pending for
 * TERMKEYS_ESC_TICKS becomes the Escape key (returned in @out, 1), an
 * unfinished sequence that old is dropped. Returns the number of keys.
 */
unsigned termkeys_idle(struct termkeys *t, uint64_t now, uint32_t *out);

#endif
