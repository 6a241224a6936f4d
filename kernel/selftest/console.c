/*
 * console.c - self-tests of the built-in font and of the
 * framebuffer pixel formats (console.h).
 */
#include "console.h"
#include "font.h"
#include "input.h"
#include "klib.h"
#include "selftest.h"
#include "status.h"

static const unsigned char *glyph(unsigned char c)
{
	return console_font_glyphs + (size_t)c * console_font_bytes_per_glyph;
}

static bool glyph_blank(unsigned char c)
{
	for (unsigned i = 0; i < console_font_bytes_per_glyph; i++)
		if (glyph(c)[i])
			return false;
	return true;
}

SELFTEST(font_glyphs)
{
	ST_CHECK(console_font_count >= 256, "%u glyphs", console_font_count);
	ST_CHECK(console_font_width > 0 && console_font_width <= 32 && console_font_height > 0,
		 "glyph size %ux%u", console_font_width, console_font_height);
	ST_CHECK(glyph_blank(' '), "space has pixels: the Unicode table was not used");
	for (unsigned char c = '!'; c <= '~'; c++)
		ST_CHECK(!glyph_blank(c), "glyph for '%c' is empty", c);
	ST_CHECK(memcmp(glyph('A'), glyph('B'), console_font_bytes_per_glyph) != 0,
		 "'A' and 'B' share a glyph");
	ST_CHECK(memcmp(glyph('0'), glyph('O'), console_font_bytes_per_glyph) != 0,
		 "'0' and 'O' share a glyph");
}

SELFTEST(fb_pixel_formats)
{
	struct handoff_fb fb = { .format = FB_RGBX };
	struct fb_pixfmt pf;
	const char *why = NULL;

	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_OK && pf.bytes == 4, "RGBX accepted");
	ST_CHECK(fb_pixel(&pf, 0x123456) == 0x563412, "RGBX pixel %#x", fb_pixel(&pf, 0x123456));
	fb.format = FB_BGRX;
	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_OK, "BGRX accepted");
	ST_CHECK(fb_pixel(&pf, 0x123456) == 0x123456, "BGRX pixel %#x", fb_pixel(&pf, 0x123456));

	/* RGB 5:6:5, 16 bits per pixel. */
	fb = (struct handoff_fb){ .format = FB_BITMASK, .mask_r = 0xf800, .mask_g = 0x07e0,
				  .mask_b = 0x001f };
	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_OK, "565 refused: %s", why ? why : "?");
	ST_CHECK(pf.bytes == 2 && pf.shift[0] == 11 && pf.bits[1] == 6 && pf.shift[2] == 0,
		 "565 decoded as %u bytes, red shift %u, green bits %u", pf.bytes, pf.shift[0],
		 pf.bits[1]);
	ST_CHECK(fb_pixel(&pf, 0xffffff) == 0xffff && fb_pixel(&pf, 0xff0000) == 0xf800,
		 "565 white %#x red %#x", fb_pixel(&pf, 0xffffff), fb_pixel(&pf, 0xff0000));

	/* 10:10:10 with the reserved bits on top. */
	fb = (struct handoff_fb){ .format = FB_BITMASK, .mask_r = 0x3ff00000,
				  .mask_g = 0x000ffc00, .mask_b = 0x000003ff, .mask_x = 0xc0000000 };
	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_OK && pf.bytes == 4, "10-bit accepted");
	ST_CHECK(fb_pixel(&pf, 0x00ff00) == 0x000ffc00, "10-bit green %#x", fb_pixel(&pf, 0x00ff00));
}

SELFTEST(fb_bad_formats_refused)
{
	struct handoff_fb fb = { .format = FB_BLT_ONLY };
	struct fb_pixfmt pf;
	const char *why = NULL;

	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_INVAL && why, "BLT-only refused");
	fb.format = FB_NONE;
	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_INVAL && why, "FB_NONE refused");
	fb.format = 99;
	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_INVAL && why, "unknown format refused");
	fb = (struct handoff_fb){ .format = FB_BITMASK, .mask_r = 0xff0000, .mask_g = 0x00ff00,
				  .mask_b = 0x0000ff, .mask_x = 0x010000 };
	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_INVAL, "overlapping masks refused");
	fb.mask_x = 0;
	fb.mask_g = 0x00f0f0;
	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_INVAL, "split mask refused");
	fb.mask_g = 0;
	ST_CHECK(fb_pixfmt_init(&pf, &fb, &why) == E_INVAL, "zero mask refused");
}

/* ---- scrollback and pager (on the live console) ------------------------------ */

#define ST_LINE_MAX (CONSOLE_MAX_COLS + 1)

/* Does screen row @r (after a flush) start with @want? */
static bool row_is(unsigned r, const char *want)
{
	static char buf[ST_LINE_MAX];

	return console_screen_row(r, buf, sizeof(buf)) >= 0 && strcmp(buf, want) == 0;
}

static const char *row_text(unsigned r)
{
	static char buf[ST_LINE_MAX];

	if (console_screen_row(r, buf, sizeof(buf)) < 0)
		return "(nothing drawn)";
	return buf;
}

SELFTEST(console_scrollback)
{
	unsigned cols, rows;
	char want[32];

	console_text_size(&cols, &rows);
	if (!console_has_fb() || cols < 16 || rows < 4) {
		kprintf("# no screen console of 16x4 or more: scrollback not tested\n");
		return;
	}
	/* Three screens of numbered lines; the last one shows lines 2R+1..3R-1. */
	for (unsigned i = 0; i < 3 * rows; i++)
		kprintf("scrollback %u\n", i);
	console_flush();
	ksnprintf(want, sizeof(want), "scrollback %u", 3 * rows - 1);
	ST_CHECK(row_is(rows - 2, want), "bottom row reads \"%s\", want \"%s\"", row_text(rows - 2), want);
	ST_CHECK(!console_key('x'), "a plain key is not the console's");

	/* Shift+PgUp: a page back, the rows above the bottom page. */
	ST_CHECK(console_key(KEY_PGUP | KEYMOD_SHIFT), "Shift+PgUp not taken");
	ksnprintf(want, sizeof(want), "scrollback %u", 2 * rows - 1);
	ST_CHECK(row_is(rows - 2, want), "after Shift+PgUp row %u reads \"%s\", want \"%s\"",
		 rows - 2, row_text(rows - 2), want);
	ST_CHECK(console_key(KEY_UP | KEYMOD_SHIFT), "Shift+Up not taken");
	ksnprintf(want, sizeof(want), "scrollback %u", 2 * rows - 2);
	ST_CHECK(row_is(rows - 2, want), "after Shift+Up row %u reads \"%s\", want \"%s\"",
		 rows - 2, row_text(rows - 2), want);
	ST_CHECK(console_key(KEY_DOWN | KEYMOD_SHIFT) && row_is(rows - 1, "scrollback 0") == false,
		 "Shift+Down not taken");

	/* Output while scrolled back lands in the ring, not on the view. */
	kprintf("written while scrolled back\n");
	console_flush();
	ksnprintf(want, sizeof(want), "scrollback %u", 2 * rows - 1);
	ST_CHECK(row_is(rows - 2, want), "new output moved the scrolled view: row %u reads \"%s\"",
		 rows - 2, row_text(rows - 2));

	/* Any other key: back to the bottom, and the key is the caller's. */
	ST_CHECK(!console_key('x'), "a plain key while scrolled back was taken");
	ST_CHECK(row_is(rows - 2, "written while scrolled back"),
		 "not back at the bottom: row %u reads \"%s\"", rows - 2, row_text(rows - 2));

	/* Shift+PgDn at the bottom stays there; far back stops at the oldest line. */
	ST_CHECK(console_key(KEY_PGDN | KEYMOD_SHIFT), "Shift+PgDn not taken");
	ST_CHECK(row_is(rows - 2, "written while scrolled back"), "Shift+PgDn moved past the bottom");
	for (unsigned i = 0; i < 20000 / rows + 2; i++)
		console_key(KEY_PGUP | KEYMOD_SHIFT);
	static char oldest[ST_LINE_MAX];
	ST_CHECK(console_screen_row(0, oldest, sizeof(oldest)) >= 0, "nothing drawn at the top");
	console_key(KEY_UP | KEYMOD_SHIFT);
	ST_CHECK(row_is(0, oldest), "scrolled past the oldest line \"%s\": \"%s\"", oldest,
		 row_text(0));
	ST_CHECK(console_key(KEY_PGDN | KEYMOD_SHIFT) && !row_is(0, oldest),
		 "Shift+PgDn from the top did not move");
	console_key('x');
}

SELFTEST(console_pager)
{
	unsigned cols, rows;
	char want[32];

	console_text_size(&cols, &rows);
	if (!console_has_fb() || cols < 16 || rows < 4) {
		kprintf("# no screen console of 16x4 or more: pager not tested\n");
		return;
	}
	/* Queued answers for the two --More-- prompts: a page, then quit. */
	while (input_pop(&(uint32_t){ 0 }))
		;
	ST_CHECK(input_push(' ') && input_push('q'), "key queue full");
	console_pager_start();
	for (unsigned i = 0; i < 4 * rows; i++)
		kprintf("paged %u\n", i);
	console_pager_stop();
	console_flush();
	/* The first page (R-1 lines), a second (R-1 more); q dropped the rest. */
	ksnprintf(want, sizeof(want), "paged %u", 2 * (rows - 1) - 1);
	ST_CHECK(row_is(rows - 2, want), "after space and q, row %u reads \"%s\", want \"%s\"",
		 rows - 2, row_text(rows - 2), want);
	ST_CHECK(row_is(rows - 1, ""), "the --More-- prompt stayed: \"%s\"", row_text(rows - 1));
	uint32_t k;
	ST_CHECK(!input_pop(&k), "the pager left key %#x unread", k);
}

/* Bad input: every byte value, and a line three screens wide, wrap and show. */
SELFTEST(console_bad_input)
{
	unsigned cols, rows;
	char bytes[256], row[ST_LINE_MAX];

	console_text_size(&cols, &rows);
	if (!console_has_fb() || rows < 6) {
		kprintf("# no screen console of 6 rows or more: not tested\n");
		return;
	}
	for (unsigned i = 0; i < sizeof(bytes); i++)
		bytes[i] = (char)(i == '\n' || i == '\r' || i == '\b' ? ' ' : i);
	console_write(bytes, sizeof(bytes));
	kputs("\n");
	for (unsigned i = 0; i < 3 * cols + 5; i++)
		kputs("x");
	kputs("\n");
	console_flush();
	for (unsigned r = rows - 5; r < rows - 2; r++) {
		int n = console_screen_row(r, row, sizeof(row));
		ST_CHECK(n == (int)cols && row[0] == 'x' && row[cols - 1] == 'x',
			 "row %u of the wrapped line: %d characters \"%.20s...\", want %u x", r, n,
			 n >= 0 ? row : "", cols);
	}
	ST_CHECK(row_is(rows - 2, "xxxxx"), "the wrapped line's tail: \"%s\"", row_text(rows - 2));
}
