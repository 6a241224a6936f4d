/*
 * console.h - kernel text output: COM1 serial and a framebuffer text console.
 *
 * Everything written goes to both outputs that are up. The serial port is
 * a 16550 on COM1 (115200 8N1); it is probed first (scratch register and
 * loopback test) so a machine without one costs nothing, and every wait on
 * it is bounded. The framebuffer console draws an 8x16 (any PSF size up to
 * 32 pixels wide) font on the GOP framebuffer the loader handed over and
 * keeps a shadow grid of the characters on screen, so scrolling redraws
 * only cells that change and never reads the (write-combining, slow to
 * read) framebuffer.
 *
 * Output written before console_init_fb (up to CONSOLE_EARLY_LOG bytes) is
 * kept and replayed onto the screen when the framebuffer comes up.
 *
 * Single CPU, no locking: callers run with interrupts off.
 */
#ifndef CARTO_CONSOLE_H
#define CARTO_CONSOLE_H

#include <stdarg.h>

#include "handoff.h"
#include "types.h"

#define CONSOLE_EARLY_LOG 4096   /* bytes of pre-framebuffer output kept */

/* Text colours (framebuffer only; serial output stays plain text so logs
 * and test scripts see no escape sequences). */
enum console_color {
	CON_BLACK, CON_BLUE, CON_GREEN, CON_CYAN, CON_RED, CON_MAGENTA,
	CON_BROWN, CON_LIGHT_GREY, CON_DARK_GREY, CON_LIGHT_BLUE,
	CON_LIGHT_GREEN, CON_LIGHT_CYAN, CON_LIGHT_RED, CON_LIGHT_MAGENTA,
	CON_YELLOW, CON_WHITE,
	CON_COLOR_COUNT
};
#define CON_DEFAULT_FG CON_LIGHT_GREY
#define CON_DEFAULT_BG CON_BLACK

/*
 * console_init_serial - probe COM1 and, if a 16550 answers the scratch and
 * loopback tests, program it for 115200 8N1. Without a working UART serial
 * output is silently off. Safe to call again (re-probes).
 */
void console_init_serial(void);

/*
 * console_init_fb - start the framebuffer console on @fb, whose pixels the
 * caller mapped (write-combining) at @fb_va. Accepts FB_RGBX, FB_BGRX and
 * FB_BITMASK (channel positions taken from the masks; 1..4 bytes per
 * pixel) with any stride >= width. Refuses FB_NONE, FB_BLT_ONLY, unknown
 * formats and inconsistent geometry with a message on serial, leaving
 * output on serial only. On success clears the screen and replays the
 * early log. Screens larger than CONSOLE_MAX_COLS x CONSOLE_MAX_ROWS
 * characters use their top-left part.
 */
void console_init_fb(const struct handoff_fb *fb, void *fb_va);

#define CONSOLE_MAX_COLS 480     /* 3840 pixels of an 8-pixel font */
#define CONSOLE_MAX_ROWS 160     /* 2560 pixels of a 16-pixel font */

/* console_fb_stop - stop drawing on the framebuffer; serial continues.
 * For fault handlers that cannot trust the framebuffer path. */
void console_fb_stop(void);

/* console_serial_getc - a byte received on COM1, if one is waiting
 * (uart16550_getc: never waits; false when serial is down or nothing came).
 * For the serial keyboard (serialkeys.c). */
bool console_serial_getc(uint8_t *c);

/* True if that output is up. */
bool console_has_serial(void);
bool console_has_fb(void);

/* console_text_size - the framebuffer console's size in characters
 * (0 x 0 when it is not up). */
void console_text_size(unsigned *cols, unsigned *rows);

/* console_set_color - colours for text written from now on (framebuffer). */
void console_set_color(enum console_color fg, enum console_color bg);

/* console_write - write @n bytes of @s. '\n' starts a new line (CR LF on
 * serial), '\r' returns to column 0, '\t' advances to the next multiple of
 * 8 columns, '\b' moves one column left; other bytes below 0x20 are shown
 * as the font's replacement glyph. */
void console_write(const char *s, size_t n);

/* console_key - offer a key (input.h code) to the console before anyone
 * else reads it. Returns true if the console used it (scrollback keys),
 * false if the caller should act on it. */
bool console_key(uint32_t key);

/* console_pager_start/console_pager_stop - bracket one command's output:
 * in between, output that would scroll unread lines off the screen waits
 * at a --More-- prompt. pager: from the console-fast branch. */
void console_pager_start(void);
void console_pager_stop(void);

/* kputs - write the string @s as is (no newline is added). */
void kputs(const char *s);

/* kprintf/kvprintf - format (klib.h kvformat: %d %i %u %x %X %p %s %c %%,
 * l/ll/z, width, '0', '-') onto the console. Return the length written. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* ---- pixel formats (exported for the self-tests) ------------------------- */

/* Where each colour channel sits in a pixel. */
struct fb_pixfmt {
	unsigned bytes;             /* bytes per pixel, 1..4 */
	unsigned shift[3];          /* red, green, blue: lowest bit */
	unsigned bits[3];           /* red, green, blue: width in bits (1..16) */
};

/*
 * fb_pixfmt_init - derive the pixel layout of @fb's format. Returns E_OK,
 * or E_INVAL with *@why (if non-NULL) set to a static description of the
 * problem (no linear framebuffer, zero/overlapping/non-contiguous masks).
 */
int fb_pixfmt_init(struct fb_pixfmt *pf, const struct handoff_fb *fb, const char **why);

/* fb_pixel - the pixel value of colour 0xRRGGBB in format @pf. */
uint32_t fb_pixel(const struct fb_pixfmt *pf, uint32_t rgb);

#endif
