/*
 * console.h - kernel text output: COM1 serial and a framebuffer text console.
 *
 * Everything written goes to both outputs that are up. The serial port is
 * a 16550 on COM1 (115200 8N1); it is probed first (scratch register and
 * loopback test) so a machine without one costs nothing, and every wait on
 * it is bounded. Serial output is written at once.
 *
 * The framebuffer console draws an 8x16 (any PSF size up to 32 pixels
 * wide) font on the GOP framebuffer the loader handed over. Text goes into
 * a scrollback ring (at least CONSOLE_SCROLLBACK_MIN lines, with colours)
 * and reaches the screen in bursts (console_flush): at most
 * CONSOLE_FLUSH_LINES lines late, and whenever the output pauses (before
 * input_getkey waits, in halt_forever, at "carto: ready"). A back buffer
 * in RAM holds one slab of pixels per text row; a flush draws the cells
 * that changed into it and copies the changed spans to the framebuffer,
 * which is never read (it is write-combining: reads are uncached).
 * Shift+PgUp/PgDn (a page) and Shift+Up/Down (a line) scroll back through
 * console_key; a pager (console_pager_start) stops long output a screen
 * at a time with --More--.
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
#define CONSOLE_SCROLLBACK_MIN 4096  /* lines kept at least (more if they fit) */
#define CONSOLE_FLUSH_LINES 128  /* lines written before the screen is brought up to date */

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
 * console_mem_fn - where the console's storage comes from: @bytes (a
 * multiple of 2 MiB, or of the page size for a slab larger than that) of
 * RAM mapped for the kernel, page aligned, not necessarily zeroed; NULL if
 * there is none. Called only from console_init_fb, never freed.
 */
typedef void *(*console_mem_fn)(size_t bytes);

/*
 * console_init_fb - start the framebuffer console on @fb, whose pixels the
 * caller mapped (write-combining) at @fb_va, with storage from @mem: the
 * scrollback ring (CONSOLE_SCROLLBACK_MIN lines of cells and more as fit
 * in the 2 MiB multiple they take: 2 MiB and 6512 lines at 160 columns)
 * and the back buffer (width x 16 x bytes-per-pixel per text row, in
 * 2 MiB pieces: 4 MiB at 1280x800x32). Accepts FB_RGBX, FB_BGRX and
 * FB_BITMASK (channel positions taken from the masks; 1..4 bytes per
 * pixel) with any stride >= width. Refuses FB_NONE, FB_BLT_ONLY, unknown
 * formats, inconsistent geometry and no memory for the scrollback with a
 * message on serial, leaving output on serial only. Without memory for
 * the back buffer it draws straight onto the screen. On success it clears
 * the margins, replays the early log and registers console_flush as
 * input_getkey's wait hook; the text area is cleared by the first flush.
 * Screens larger than CONSOLE_MAX_COLS x CONSOLE_MAX_ROWS characters use
 * their top-left part.
 */
void console_init_fb(const struct handoff_fb *fb, void *fb_va, console_mem_fn mem);

/* console_report - one line for the boot report: the text size, the
 * scrollback's lines and memory, the back buffer's memory. Nothing if the
 * screen console is not up. */
void console_report(void);

#define CONSOLE_MAX_COLS 480     /* 3840 pixels of an 8-pixel font */
#define CONSOLE_MAX_ROWS 160     /* 2560 pixels of a 16-pixel font */

/* console_fb_stop - stop drawing on the framebuffer; serial continues.
 * For fault handlers that cannot trust the framebuffer path. */
void console_fb_stop(void);

/*
 * console_fb_suspend / console_fb_resume - for the self-tests: suspend
 * flushes the screen console and keeps its state aside (framebuffer,
 * scrollback, back buffer) with the screen off, so that console_init_fb
 * may start another (on a test framebuffer in RAM); resume drops that
 * one and brings the kept console back, drawing every cell again. One
 * console is kept at most; a second suspend and a resume without a
 * suspend do nothing.
 */
void console_fb_suspend(void);
void console_fb_resume(void);

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

/* console_flush - bring the screen up to date with everything written so
 * far (or with the scrolled-back view): the changed cells of each row are
 * drawn into the back buffer and the changed spans copied out. Safe at any
 * time; does nothing without a screen. */
void console_flush(void);

/*
 * console_key - offer a key (input.h code) to the console before anyone
 * else acts on it. Shift+PgUp / Shift+PgDn scroll the screen back and
 * forth by a page, Shift+Up / Shift+Down by a line (not past the oldest
 * line kept, and reaching the bottom follows the output again); these
 * return true: the caller ignores them. Any other key while scrolled back
 * first returns the view to the bottom; it and every key when not
 * scrolled return false: the caller acts on them. Always false without a
 * screen.
 */
bool console_key(uint32_t key);

/*
 * console_pager_start / console_pager_stop - page the screen output
 * written between them: once a screenful minus one line has been written
 * since the start or the last key, the next output first shows --More--
 * on the bottom line, flushes, and waits (input_getkey) for space (another
 * page), Enter (one more line) or q (the screen drops the rest of the
 * output until console_pager_stop). Scrollback keys work at the prompt;
 * other keys are ignored. Serial output never waits and is never dropped.
 * Without a screen both do nothing. Not nested: a start resets the count.
 */
void console_pager_start(void);
void console_pager_stop(void);

/* console_screen_row - the characters drawn on screen row @r as of the
 * last flush (the cells the back buffer and the screen show; trailing
 * blanks omitted), NUL-terminated in @buf of @n bytes. Returns the length,
 * or -1 if there is no screen, @r is past the last row or nothing was
 * drawn there yet. For the self-tests. */
int console_screen_row(unsigned r, char *buf, size_t n);

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
