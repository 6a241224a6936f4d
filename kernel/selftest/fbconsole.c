/*
 * fbconsole.c - the screen console on a framebuffer of odd geometry, in
 * RAM: 1001x203 pixels, a stride of 1003, 3-byte pixels (a bit-mask mode
 * no GOP driver of ours offers), drawn with and without a back buffer.
 * The live console is kept aside meanwhile (console_fb_suspend).
 */
#include "console.h"
#include "kmap.h"
#include "font.h"
#include "klib.h"
#include "physmem.h"
#include "selftest.h"
#include "status.h"

#define TFB_W       1001
#define TFB_H       203
#define TFB_STRIDE  1003
#define TFB_BPP     3
#define TFB_JUNK    0x5a          /* what the test framebuffer holds before */
#define TFB_ORDER   11            /* 8 MiB: the framebuffer, then the consoles' storage */
#define TFB_ARENA   (1ul << 20)   /* where the storage starts in the block */

static struct {
	uint8_t *next, *end;
	bool refuse_back;             /* grant the scrollback only: no back buffer */
	unsigned calls;
} arena;

static void *arena_mem(size_t bytes)
{
	if (arena.refuse_back && arena.calls++ > 0)
		return NULL;
	if (bytes > (size_t)(arena.end - arena.next))
		return NULL;
	void *p = arena.next;
	arena.next += bytes;
	return p;
}

static uint32_t px_at(const uint8_t *fb, unsigned x, unsigned y)
{
	const uint8_t *p = fb + ((size_t)y * TFB_STRIDE + x) * TFB_BPP;

	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

/* Does the cell at text (row, col) show glyph @ch in colours fg/bg? */
static bool cell_shows(const uint8_t *fb, unsigned row, unsigned col, uint8_t ch,
		       uint32_t fg, uint32_t bg)
{
	const uint8_t *g = console_font_glyphs + (size_t)ch * console_font_bytes_per_glyph;

	for (unsigned y = 0; y < console_font_height; y++)
		for (unsigned x = 0; x < console_font_width; x++) {
			bool on = g[y] & (0x80 >> x);
			uint32_t px = px_at(fb, col * console_font_width + x, row * console_font_height + y);
			if (px != (on ? fg : bg))
				return false;
		}
	return true;
}

/* Pixels outside the text, and in the stride past the width: what they must be. */
static unsigned bad_margins(const uint8_t *fb, unsigned cols, unsigned rows, uint32_t bg)
{
	unsigned bad = 0;
	uint32_t junk = TFB_JUNK | TFB_JUNK << 8 | TFB_JUNK << 16;

	for (unsigned y = 0; y < TFB_H; y++)
		for (unsigned x = 0; x < TFB_STRIDE; x++) {
			bool text = x < cols * console_font_width && y < rows * console_font_height;
			if (!text && px_at(fb, x, y) != (x < TFB_W ? bg : junk))
				bad++;
		}
	return bad;
}

/* Text-area pixels that are neither colour (junk left over, or a stray write). */
static unsigned bad_text(const uint8_t *fb, unsigned cols, unsigned rows, uint32_t fg, uint32_t bg)
{
	unsigned bad = 0;

	for (unsigned y = 0; y < rows * console_font_height; y++)
		for (unsigned x = 0; x < cols * console_font_width; x++)
			bad += px_at(fb, x, y) != fg && px_at(fb, x, y) != bg;
	return bad;
}

static void odd_geometry(uint8_t *block, bool back)
{
	struct handoff_fb fb = { .width = TFB_W, .height = TFB_H, .stride = TFB_STRIDE,
				 .format = FB_BITMASK, .mask_r = 0xff0000, .mask_g = 0x00ff00,
				 .mask_b = 0x0000ff, .size = (uint64_t)TFB_STRIDE * TFB_H * TFB_BPP };
	struct fb_pixfmt pf;
	unsigned cols, rows;
	const char *mode = back ? "back buffer" : "no back buffer";

	memset(block, TFB_JUNK, fb.size);
	arena = (typeof(arena)){ .next = block + TFB_ARENA, .end = block + (PAGE_SIZE << TFB_ORDER),
				 .refuse_back = !back };
	fb_pixfmt_init(&pf, &fb, NULL);
	uint32_t fg = fb_pixel(&pf, 0xaaaaaa), bg = fb_pixel(&pf, 0);

	console_init_fb(&fb, block, arena_mem);
	console_text_size(&cols, &rows);
	if (!ST_CHECK(console_has_fb() && cols == TFB_W / console_font_width &&
		      rows == TFB_H / console_font_height, "%s: console %ux%u on %ux%u", mode, cols,
		      rows, TFB_W, TFB_H))
		return;
	/* Two screens of lines, then "A" on the last: row 0 holds line 2R-... */
	for (unsigned i = 0; i < 2 * rows; i++)
		kprintf("L%u\n", i % 10);
	kputs("A");
	console_flush();
	ST_CHECK(cell_shows(block, rows - 1, 0, 'A', fg, bg), "%s: the last row's 'A'", mode);
	ST_CHECK(cell_shows(block, rows - 1, 1, ' ', fg, bg), "%s: a blank after it", mode);
	ST_CHECK(cell_shows(block, 0, 0, 'L', fg, bg) &&
		 cell_shows(block, 0, 1, (uint8_t)('0' + (rows + 1) % 10), fg, bg),
		 "%s: row 0 does not show \"L%u\"", mode, (rows + 1) % 10);
	ST_CHECK(bad_margins(block, cols, rows, bg) == 0,
		 "%s: %u pixels outside the text are not background (or past the width not "
		 "left alone)", mode, bad_margins(block, cols, rows, bg));
	ST_CHECK(bad_text(block, cols, rows, fg, bg) == 0, "%s: %u text pixels are junk", mode,
		 bad_text(block, cols, rows, fg, bg));
	kputs("\n");
}

SELFTEST(console_odd_geometry)
{
	paddr_t pa;
	char row[CONSOLE_MAX_COLS + 1];

	if (!console_has_fb()) {
		kprintf("# no screen console to set aside: odd geometry not tested\n");
		return;
	}
	if (!ST_CHECK(frames_alloc(TFB_ORDER, 0, &pa) == E_OK, "no 8 MiB block for the test"))
		return;
	uint8_t *block = (uint8_t *)ram_map(pa, (uint64_t)PAGE_SIZE << TFB_ORDER, "odd geometry");
	if (!ST_CHECK(block, "cannot map the 8 MiB block")) {
		frames_free(pa, TFB_ORDER);
		return;
	}
	console_fb_suspend();
	odd_geometry(block, true);
	odd_geometry(block, false);
	console_fb_resume();
	ram_unmap(block, (uint64_t)PAGE_SIZE << TFB_ORDER);
	frames_free(pa, TFB_ORDER);
	ST_CHECK(console_has_fb() && console_screen_row(0, row, sizeof(row)) >= 0,
		 "the live console did not come back");
}
