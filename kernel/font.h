/*
 * font.h - the console font, generated at build time by scripts/psf2c.py
 * into build/kernel/font.c from a PSF font (Makefile: FONT_PSF).
 *
 * console_font_count glyphs, indexed by character code (Latin-1); glyph c
 * is console_font_height rows of (console_font_width + 7) / 8 bytes at
 * console_font_glyphs + c * console_font_bytes_per_glyph, most significant
 * bit = leftmost pixel.
 */
#ifndef CARTO_FONT_H
#define CARTO_FONT_H

extern const unsigned char console_font_glyphs[];
extern const unsigned console_font_width;
extern const unsigned console_font_height;
extern const unsigned console_font_bytes_per_glyph;
extern const unsigned console_font_count;

#endif
