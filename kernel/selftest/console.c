/*
 * console.c - self-tests of the built-in font and of the
 * framebuffer pixel formats (console.h).
 */
#include "console.h"
#include "font.h"
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
