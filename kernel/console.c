/*
 * console.c - serial (16550, COM1) and framebuffer text output.
 *
 * The framebuffer side writes text into a ring of lines (the scrollback)
 * and draws nothing until a flush: when CONSOLE_FLUSH_LINES lines are
 * pending, before input_getkey waits, at the end of the boot, in
 * halt_forever (panics, fatal exceptions) and when the view scrolls. A
 * flush draws each screen row's changed cells into that row's slab of a
 * back buffer in RAM and copies the changed spans to the framebuffer with
 * string instructions, so lines that scrolled away meanwhile cost nothing
 * and the framebuffer gets long writes. The framebuffer is never read
 * back: reads of write-combining memory are uncached and slow.
 */
#include "console.h"
#include "font.h"
#include "cpu.h"
#include "input.h"
#include "klib.h"
#include "status.h"
#include "uart16550.h"

/* ---- 16550 UART (base/uart16550.c) ------------------------------------- */

static struct uart16550 serial;

void console_init_serial(void)
{
	uart16550_init(&serial, UART_COM1, UART_BAUD_115200);
}

static void serial_putc(char c)
{
	uart16550_putc(&serial, c);
}

bool console_serial_getc(uint8_t *c)
{
	return uart16550_getc(&serial, c);
}

static void serial_emit(void *ctx, const char *s, size_t n)
{
	for (; n; n--, s++) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s);
	}
}

__attribute__((format(printf, 1, 2)))
static void serial_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvformat(serial_emit, NULL, fmt, ap);
	va_end(ap);
}

bool console_has_serial(void)
{
	return serial.up;
}

/* ---- pixel formats -------------------------------------------------------- */

enum { CH_RED, CH_GREEN, CH_BLUE, CH_COUNT };

#define CHANNEL_MAX_BITS 16
#define BYTE_BITS 8

static void pixfmt_set(struct fb_pixfmt *pf, unsigned r, unsigned g, unsigned b)
{
	pf->bytes = 4;
	pf->shift[CH_RED] = r;
	pf->shift[CH_GREEN] = g;
	pf->shift[CH_BLUE] = b;
	for (int ch = 0; ch < CH_COUNT; ch++)
		pf->bits[ch] = BYTE_BITS;
}

/* mask_channel - position and width of one contiguous, non-empty mask. */
static bool mask_channel(uint32_t mask, unsigned *shift, unsigned *bits)
{
	unsigned s = 0, n = 0;

	if (!mask)
		return false;
	while (!(mask & 1)) {
		mask >>= 1;
		s++;
	}
	while (mask & 1) {
		mask >>= 1;
		n++;
	}
	if (mask || n > CHANNEL_MAX_BITS)     /* a gap, or absurdly wide */
		return false;
	*shift = s;
	*bits = n;
	return true;
}

static unsigned highest_bit(uint32_t v)
{
	unsigned b = 0;

	while (v >>= 1)
		b++;
	return b;
}

static int pixfmt_from_masks(struct fb_pixfmt *pf, const struct handoff_fb *fb,
			     const char **why)
{
	const uint32_t m[CH_COUNT] = { fb->mask_r, fb->mask_g, fb->mask_b };

	for (int ch = 0; ch < CH_COUNT; ch++) {
		if (!mask_channel(m[ch], &pf->shift[ch], &pf->bits[ch])) {
			*why = "a colour mask is zero, not contiguous or wider than 16 bits";
			return E_INVAL;
		}
	}
	if ((m[CH_RED] & m[CH_GREEN]) || (m[CH_RED] & m[CH_BLUE]) ||
	    (m[CH_GREEN] & m[CH_BLUE]) ||
	    (fb->mask_x & (m[CH_RED] | m[CH_GREEN] | m[CH_BLUE]))) {
		*why = "colour masks overlap";
		return E_INVAL;
	}
	pf->bytes = highest_bit(m[CH_RED] | m[CH_GREEN] | m[CH_BLUE] | fb->mask_x) / BYTE_BITS + 1;
	return E_OK;
}

int fb_pixfmt_init(struct fb_pixfmt *pf, const struct handoff_fb *fb, const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	switch (fb->format) {
	case FB_RGBX:
		pixfmt_set(pf, 0, 8, 16);
		return E_OK;
	case FB_BGRX:
		pixfmt_set(pf, 16, 8, 0);
		return E_OK;
	case FB_BITMASK:
		return pixfmt_from_masks(pf, fb, why);
	case FB_NONE:
		*why = "no GOP framebuffer (FB_NONE)";
		return E_INVAL;
	case FB_BLT_ONLY:
		*why = "BLT-only mode, no linear framebuffer (FB_BLT_ONLY)";
		return E_INVAL;
	default:
		*why = "unknown pixel format";
		return E_INVAL;
	}
}

uint32_t fb_pixel(const struct fb_pixfmt *pf, uint32_t rgb)
{
	uint32_t px = 0;

	for (int ch = 0; ch < CH_COUNT; ch++) {
		uint32_t c8 = (rgb >> (BYTE_BITS * (CH_COUNT - 1 - ch))) & 0xff;
		uint32_t max = (1u << pf->bits[ch]) - 1;

		px |= (c8 * max / 0xff) << pf->shift[ch];
	}
	return px;
}

/* ---- framebuffer text console --------------------------------------------- */

#define FONT_MAX_WIDTH 32          /* one glyph row fits a uint32_t */
#define TAB_WIDTH      8
#define MEM_CHUNK      (2ul << 20) /* storage is asked for in pieces of this size */
#define NO_SLAB        0xffffu     /* drawn.fb_slab: the row's pixels are not a slab's */

struct cell {
	uint8_t ch;
	uint8_t attr;                  /* fg | bg << 4 (enum console_color) */
};

#define ATTR(fg, bg)   ((uint8_t)((fg) | ((bg) << 4)))
#define ATTR_FG(a)     ((a) & 0xf)
#define ATTR_BG(a)     ((a) >> 4)
#define BLANK_ATTR     ATTR(CON_DEFAULT_FG, CON_DEFAULT_BG)

/* A VGA-like palette, 0xRRGGBB. */
static const uint32_t palette_rgb[CON_COLOR_COUNT] = {
	0x000000, 0x0000aa, 0x00aa00, 0x00aaaa, 0xaa0000, 0xaa00aa, 0xaa5500, 0xaaaaaa,
	0x555555, 0x5555ff, 0x55ff55, 0x55ffff, 0xff5555, 0xff55ff, 0xffff55, 0xffffff,
};

typedef uint32_t __attribute__((may_alias)) pixel32_t;
typedef uint64_t __attribute__((may_alias, aligned(4))) pixel64_t;  /* two pixels */

static struct {
	bool up;
	uint8_t *base;                 /* mapped framebuffer */
	size_t pitch;                  /* bytes per scan line */
	unsigned width, height;        /* pixels */
	struct fb_pixfmt pf;
	uint32_t palette[CON_COLOR_COUNT];  /* in the framebuffer's format */
	unsigned fw, fh, glyph_row_bytes;
	unsigned cols, rows;
	unsigned col;                  /* cursor on the last line; col == cols means "wrap next" */
	uint8_t attr;                  /* for new text */
	unsigned pending;              /* lines written since the last flush */
} fbc = { .attr = BLANK_ATTR };

/*
 * The text: a ring of hist.count lines of fbc.cols cells, numbered from 0
 * at boot; lines [first, last] are kept and the cursor is on the last.
 * Cells at or past a line's length are blank. The screen shows the last
 * fbc.rows lines, or from view_top on while scrolled back.
 */
static struct {
	struct cell *cells;            /* count x cols */
	uint16_t *len;                 /* count */
	uint64_t count, first, last;
	bool scrolled;
	uint64_t view_top;
} hist;

/*
 * What is drawn. Text rows are drawn into slabs (fbc.fh pixel lines of the
 * text width each) and copied to the screen. With a back buffer the slabs
 * are RAM and line L lives in slab L % rows, so scrolling moves no pixels
 * in RAM; without one (no memory for it) slab s is screen row s itself.
 * shadow[] holds the cells each slab shows: a cell is drawn only when it
 * changes, and the framebuffer is never read.
 */
static struct {
	bool back;
	uint8_t *slab[CONSOLE_MAX_ROWS];
	size_t slab_pitch;             /* bytes per pixel line of a slab */
	uint16_t known[CONSOLE_MAX_ROWS];    /* slab s: cells [0, known) drawn as shadow says */
	uint32_t ver[CONSOLE_MAX_ROWS];      /* slab s: counts its changes */
	/* Screen row r: cells [fb_len, cols) show the background; [0, fb_len)
	 * are slab fb_slab's as of its version fb_ver. */
	uint16_t fb_len[CONSOLE_MAX_ROWS];
	uint16_t fb_slab[CONSOLE_MAX_ROWS];
	uint32_t fb_ver[CONSOLE_MAX_ROWS];
	size_t back_bytes, hist_bytes;       /* storage taken, for console_report */
} drawn;

static struct cell shadow[CONSOLE_MAX_COLS * CONSOLE_MAX_ROWS];

/* The pager (console_pager_start). */
static struct {
	bool active, discard, full;
	unsigned lines;                /* completed since the last key */
} pager;

static struct {
	bool open;                     /* still recording (fb not tried yet) */
	size_t len;
	char buf[CONSOLE_EARLY_LOG];
} early = { .open = true };

static const struct cell blank_cell = { ' ', BLANK_ATTR };

static bool cell_eq(struct cell a, struct cell b)
{
	return a.ch == b.ch && a.attr == b.attr;
}

/* ---- drawing: glyphs into slabs, slabs onto the screen ---------------------------- */

static void put_pixel(uint8_t *dst, uint32_t px)
{
	for (unsigned i = 0; i < fbc.pf.bytes; i++)
		dst[i] = (uint8_t)(px >> (BYTE_BITS * i));
}

/* The glyph-row table of the common case (8-pixel glyphs, 32-bit pixels):
 * for each glyph row byte, its 8 pixels as 4 pixel pairs, for one attr. */
static struct {
	int attr;                      /* -1: not built */
	uint64_t q[256][4];
} gtab = { .attr = -1 };

static bool fast_glyphs(void)
{
	return fbc.pf.bytes == sizeof(pixel32_t) && fbc.fw == 8 && fbc.glyph_row_bytes == 1;
}

static void gtab_build(uint8_t attr)
{
	uint64_t fg = fbc.palette[ATTR_FG(attr)], bg = fbc.palette[ATTR_BG(attr)];

	for (unsigned b = 0; b < 256; b++)
		for (unsigned k = 0; k < 4; k++) {
			uint64_t left = (b >> (7 - 2 * k)) & 1, right = (b >> (6 - 2 * k)) & 1;
			gtab.q[b][k] = (left ? fg : bg) | (right ? fg : bg) << 32;
		}
	gtab.attr = attr;
}

/*
 * draw_span - one glyph row of any format: bit 31 of @bits is the leftmost
 * pixel. 32-bit pixels are stored two at a time; other sizes byte-wise.
 */
static void draw_span(uint8_t *dst, uint32_t bits, uint32_t fg, uint32_t bg)
{
	unsigned x = 0;

	if (fbc.pf.bytes == sizeof(pixel32_t)) {
		const uint64_t pair[4] = {
			bg | (uint64_t)bg << 32, bg | (uint64_t)fg << 32,   /* 00 01 */
			fg | (uint64_t)bg << 32, fg | (uint64_t)fg << 32,   /* 10 11 */
		};
		pixel32_t *p = (pixel32_t *)dst;
		for (; x + 2 <= fbc.fw; x += 2, bits <<= 2)
			*(pixel64_t *)(p + x) = pair[bits >> 30];
		if (x < fbc.fw)
			p[x] = (bits & 0x80000000u) ? fg : bg;
		return;
	}
	for (; x < fbc.fw; x++, bits <<= 1)
		put_pixel(dst + x * fbc.pf.bytes, (bits & 0x80000000u) ? fg : bg);
}

static const uint8_t *glyph_of(uint8_t ch)
{
	if (ch >= console_font_count)
		ch = '?';
	return console_font_glyphs + (size_t)ch * console_font_bytes_per_glyph;
}

static uint32_t glyph_row_bits(const uint8_t *g)
{
	uint32_t bits = 0;

	for (unsigned i = 0; i < fbc.glyph_row_bytes; i++)
		bits |= (uint32_t)g[i] << (24 - BYTE_BITS * i);
	return bits;
}

/* draw_cell - draw @cl at column @c of slab @s. */
static void draw_cell(unsigned s, unsigned c, struct cell cl)
{
	const uint8_t *g = glyph_of(cl.ch);
	uint8_t *line = drawn.slab[s] + (size_t)c * fbc.fw * fbc.pf.bytes;

	if (fast_glyphs()) {
		if (gtab.attr != cl.attr)
			gtab_build(cl.attr);
		for (unsigned y = 0; y < fbc.fh; y++, line += drawn.slab_pitch) {
			const uint64_t *q = gtab.q[g[y]];
			pixel64_t *d = (pixel64_t *)line;
			d[0] = q[0];
			d[1] = q[1];
			d[2] = q[2];
			d[3] = q[3];
		}
		return;
	}
	uint32_t fg = fbc.palette[ATTR_FG(cl.attr)], bg = fbc.palette[ATTR_BG(cl.attr)];
	for (unsigned y = 0; y < fbc.fh; y++, line += drawn.slab_pitch, g += fbc.glyph_row_bytes)
		draw_span(line, glyph_row_bits(g), fg, bg);
}

/* Large copies and fills: the string instructions, 8 bytes at a time. */
static void copy_out(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t q = n / 8, b = n % 8;

	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(b) : : "memory");
}

/* fill_px - @n pixels of value @px at @dst. */
static void fill_px(uint8_t *dst, size_t n, uint32_t px)
{
	if (fbc.pf.bytes != sizeof(pixel32_t)) {
		for (size_t i = 0; i < n; i++, dst += fbc.pf.bytes)
			put_pixel(dst, px);
		return;
	}
	if (n && ((uintptr_t)dst & 4)) {      /* to an 8-byte boundary */
		*(pixel32_t *)dst = px;
		dst += 4;
		n--;
	}
	size_t q = n / 2;
	uint64_t pair = px | (uint64_t)px << 32;
	__asm__ volatile("rep stosq" : "+D"(dst), "+c"(q) : "a"(pair) : "memory");
	if (n & 1)
		*(pixel32_t *)dst = px;
}

/* fill_rect - the background colour on pixels [x0, x1) x [y0, y1). */
static void fill_rect(unsigned x0, unsigned x1, unsigned y0, unsigned y1)
{
	uint8_t *line = fbc.base + (size_t)y0 * fbc.pitch + (size_t)x0 * fbc.pf.bytes;

	for (unsigned y = y0; x0 < x1 && y < y1; y++, line += fbc.pitch)
		fill_px(line, x1 - x0, fbc.palette[CON_DEFAULT_BG]);
}

/* Screen row @r, cells [c0, c1): the background colour. */
static void fb_blank_cells(unsigned r, unsigned c0, unsigned c1)
{
	fill_rect(c0 * fbc.fw, c1 * fbc.fw, r * fbc.fh, (r + 1) * fbc.fh);
}

/* Screen row @r, cells [c0, c1): slab @s's pixels. */
static void fb_copy_cells(unsigned r, unsigned s, unsigned c0, unsigned c1)
{
	size_t off = (size_t)c0 * fbc.fw * fbc.pf.bytes, n = (size_t)(c1 - c0) * fbc.fw * fbc.pf.bytes;
	uint8_t *dst = fbc.base + (size_t)r * fbc.fh * fbc.pitch + off;
	const uint8_t *src = drawn.slab[s] + off;

	for (unsigned y = 0; y < fbc.fh; y++, dst += fbc.pitch, src += drawn.slab_pitch)
		copy_out(dst, src, n);
}

/* ---- the text ring -------------------------------------------------------- */

static struct cell *line_cells(uint64_t l)
{
	return hist.cells + (size_t)(l % hist.count) * fbc.cols;
}

static uint16_t *line_len(uint64_t l)
{
	return &hist.len[l % hist.count];
}

/* The first line on screen at the bottom of the text (not scrolled). */
static uint64_t live_top(void)
{
	return hist.last >= fbc.rows ? hist.last - fbc.rows + 1 : 0;
}

static uint64_t view_top(void)
{
	return hist.scrolled ? hist.view_top : live_top();
}

/*
 * draw_row - make screen row @r show line @l (blank if not kept): draw its
 * changed cells into its slab, then copy what differs to the screen.
 */
static void draw_row(unsigned r, uint64_t l)
{
	bool kept = l >= hist.first && l <= hist.last;
	const struct cell *cells = kept ? line_cells(l) : NULL;
	unsigned len = kept ? *line_len(l) : 0;
	unsigned s = drawn.back ? (unsigned)(l % fbc.rows) : r;
	struct cell *sh = shadow + (size_t)s * fbc.cols;
	bool synced = drawn.fb_slab[r] == s && drawn.fb_ver[r] == drawn.ver[s];
	unsigned d0 = len, d1 = 0, old = drawn.fb_len[r];

	for (unsigned c = 0; c < len; c++) {
		if (c < drawn.known[s] && cell_eq(sh[c], cells[c]))
			continue;
		draw_cell(s, c, cells[c]);
		sh[c] = cells[c];
		d0 = MIN(d0, c);
		d1 = c + 1;
	}
	drawn.known[s] = (uint16_t)MAX(drawn.known[s], len);
	if (d1)
		drawn.ver[s]++;
	if (drawn.back) {
		unsigned c0 = synced ? d0 : 0, c1 = synced ? d1 : len;
		if (len > old) {               /* cells the screen shows blank */
			c0 = MIN(c0, old);
			c1 = len;
		}
		if (c0 < c1)
			fb_copy_cells(r, s, c0, c1);
	}
	if (len < old) {
		fb_blank_cells(r, len, old);
		if (!drawn.back)               /* the slab was the screen */
			drawn.known[s] = (uint16_t)MIN(drawn.known[s], len);
	}
	drawn.fb_len[r] = (uint16_t)len;
	drawn.fb_slab[r] = (uint16_t)s;
	drawn.fb_ver[r] = drawn.ver[s];
}

void console_flush(void)
{
	if (!fbc.up)
		return;
	uint64_t top = view_top();
	for (unsigned r = 0; r < fbc.rows; r++)
		draw_row(r, top + r);
	fbc.pending = 0;
}

/* ---- writing text into the ring ------------------------------------------------ */

static void pager_wait(void);

static void fb_newline(void)
{
	if (pager.active && ++pager.lines >= MAX(fbc.rows, 2u) - 1)
		pager.full = true;
	hist.last++;
	if (hist.last - hist.first >= hist.count)
		hist.first++;
	if (hist.scrolled && hist.view_top < hist.first)
		hist.view_top = hist.first;
	*line_len(hist.last) = 0;
	fbc.col = 0;
	if (++fbc.pending >= CONSOLE_FLUSH_LINES)
		console_flush();
}

static void fb_putc(char ch)
{
	switch (ch) {
	case '\r':
		fbc.col = 0;
		return;
	case '\t':
		fbc.col = MIN((fbc.col / TAB_WIDTH + 1) * TAB_WIDTH, fbc.cols);
		return;
	case '\b':
		if (fbc.col)
			fbc.col--;
		return;
	}
	if (pager.full)
		pager_wait();
	if (pager.discard)
		return;
	if (ch == '\n') {
		fb_newline();
		return;
	}
	if (fbc.col >= fbc.cols) {
		fb_newline();
		if (pager.full)
			pager_wait();
		if (pager.discard)
			return;
	}
	struct cell *cells = line_cells(hist.last);
	uint16_t *len = line_len(hist.last);
	for (; *len < fbc.col; (*len)++)
		cells[*len] = blank_cell;
	cells[fbc.col] = (struct cell){ (uint8_t)ch, fbc.attr };
	if (++fbc.col > *len)
		*len = (uint16_t)fbc.col;
}

/* ---- scrollback and the pager ---------------------------------------------- */

/* view_set - show from line @top on (clamped to what is kept); at or past
 * the bottom, follow the output again. */
static void view_set(int64_t top)
{
	int64_t bottom = (int64_t)live_top();

	if (top < (int64_t)hist.first)
		top = (int64_t)hist.first;
	hist.scrolled = top < bottom;
	hist.view_top = hist.scrolled ? (uint64_t)top : 0;
	console_flush();
}

bool console_key(uint32_t key)
{
	uint32_t mods = key & (KEYMOD_SHIFT | KEYMOD_CTRL | KEYMOD_ALT);
	int64_t top = (int64_t)view_top(), page = fbc.rows;

	if (!fbc.up)
		return false;
	if (mods == KEYMOD_SHIFT) {
		switch (key_code(key)) {
		case KEY_PGUP: view_set(top - page); return true;
		case KEY_PGDN: view_set(top + page); return true;
		case KEY_UP:   view_set(top - 1); return true;
		case KEY_DOWN: view_set(top + 1); return true;
		}
	}
	if (hist.scrolled)
		view_set((int64_t)live_top());   /* any other key: back to the bottom */
	return false;
}

void console_pager_start(void)
{
	pager = (typeof(pager)){ .active = fbc.up };
}

void console_pager_stop(void)
{
	pager = (typeof(pager)){ 0 };
}

#define PAGER_PROMPT "--More--"

/*
 * pager_wait - a screenful was written since the last key: show the prompt
 * on the (empty) cursor line and wait for space (a page more), Enter (a
 * line more) or q (drop the rest until console_pager_stop). Scrollback
 * keys work meanwhile. Only the screen waits: serial got it all already.
 */
static void pager_wait(void)
{
	uint8_t attr = fbc.attr;

	pager.full = false;
	fbc.attr = ATTR(CON_BLACK, CON_LIGHT_GREY);
	pager.active = false;              /* the prompt itself is not paged */
	for (unsigned i = 0; i < sizeof(PAGER_PROMPT) - 1 && i < fbc.cols; i++)
		fb_putc(PAGER_PROMPT[i]);
	fbc.attr = attr;
	console_flush();
	for (;;) {
		uint32_t key = input_getkey();
		if (console_key(key))
			continue;
		if (key == ' ') {
			pager.lines = 0;
			break;
		}
		if (key == '\n' || key == '\r') {
			pager.lines = fbc.rows > 2 ? fbc.rows - 2 : 0;
			break;
		}
		if (key_code(key) == 'q' || key_code(key) == 'Q') {
			pager.discard = true;
			break;
		}
	}
	*line_len(hist.last) = 0;           /* remove the prompt */
	fbc.col = 0;
	pager.active = true;
}

/* ---- setting up ------------------------------------------------------------------ */

static bool font_usable(void)
{
	unsigned row_bytes = (console_font_width + BYTE_BITS - 1) / BYTE_BITS;

	return console_font_width > 0 && console_font_width <= FONT_MAX_WIDTH &&
	       console_font_height > 0 && console_font_count > 0 &&
	       console_font_bytes_per_glyph >= row_bytes * console_font_height;
}

/* fb_check - why @fb cannot carry the console, or NULL if it can; fills
 * fbc.pf on success. */
static const char *fb_check(const struct handoff_fb *fb, void *fb_va)
{
	const char *why;

	if (!fb)
		return "no framebuffer description";
	if (fb_pixfmt_init(&fbc.pf, fb, &why) != E_OK)
		return why;
	if (!fb_va)
		return "framebuffer not mapped";
	if (fb->width == 0 || fb->height == 0)
		return "empty mode";
	if (fb->stride < fb->width)
		return "stride smaller than width";
	if (fb->size < (uint64_t)fb->stride * fb->height * fbc.pf.bytes)
		return "size smaller than stride x height x bytes per pixel";
	if (!font_usable())
		return "the built-in font is unusable";
	if (fb->width < console_font_width || fb->height < console_font_height)
		return "screen smaller than one character";
	return NULL;
}

/* hist_alloc - the ring: at least CONSOLE_SCROLLBACK_MIN lines, as many
 * as fill the MEM_CHUNK multiple that takes. */
static bool hist_alloc(console_mem_fn mem)
{
	size_t line = (size_t)fbc.cols * sizeof(struct cell) + sizeof(uint16_t);
	size_t bytes = ALIGN_UP(CONSOLE_SCROLLBACK_MIN * line, MEM_CHUNK);
	void *p = mem ? mem(bytes) : NULL;

	if (!p)
		return false;
	hist.count = bytes / line;
	hist.len = p;
	hist.cells = (struct cell *)(hist.len + hist.count);
	hist.first = hist.last = 0;
	hist.scrolled = false;
	hist.len[0] = 0;
	drawn.hist_bytes = bytes;
	return true;
}

/* back_alloc - one slab per text row, packed into MEM_CHUNK pieces; false
 * (draw straight onto the screen) if memory runs out. */
static bool back_alloc(console_mem_fn mem)
{
	size_t slab = drawn.slab_pitch * fbc.fh;
	size_t chunk = MAX(MEM_CHUNK, ALIGN_UP(slab, PAGE_SIZE)), per = chunk / slab;
	uint8_t *p = NULL;

	drawn.back_bytes = 0;
	for (unsigned s = 0; s < fbc.rows; s++) {
		if (s % per == 0) {
			p = mem ? mem(chunk) : NULL;
			if (!p)
				return false;
			drawn.back_bytes += chunk;
		}
		drawn.slab[s] = p + (s % per) * slab;
	}
	return true;
}

static void early_replay(void)
{
	for (size_t i = 0; i < early.len; i++)
		fb_putc(early.buf[i]);
}

/* draw_init - nothing drawn yet. With a back buffer the text area is left
 * as the firmware had it until the first flush copies over every row;
 * without, the whole screen is cleared now. */
static void draw_init(console_mem_fn mem)
{
	drawn.slab_pitch = (size_t)fbc.cols * fbc.fw * fbc.pf.bytes;
	drawn.back = back_alloc(mem);
	if (!drawn.back) {
		drawn.slab_pitch = fbc.pitch;
		for (unsigned s = 0; s < fbc.rows; s++)
			drawn.slab[s] = fbc.base + (size_t)s * fbc.fh * fbc.pitch;
	}
	for (unsigned r = 0; r < fbc.rows; r++) {
		drawn.known[r] = 0;
		drawn.ver[r] = 0;
		drawn.fb_slab[r] = NO_SLAB;
		drawn.fb_len[r] = (uint16_t)(drawn.back ? fbc.cols : 0);
	}
	if (!drawn.back)
		fill_rect(0, fbc.width, 0, fbc.height);
	/* The margins right of and below the text. */
	fill_rect(fbc.cols * fbc.fw, fbc.width, 0, fbc.height);
	fill_rect(0, fbc.cols * fbc.fw, fbc.rows * fbc.fh, fbc.height);
}

void console_init_fb(const struct handoff_fb *fb, void *fb_va, console_mem_fn mem)
{
	const char *why = fb_check(fb, fb_va);

	fbc.up = false;
	early.open = false;
	if (!why) {
		fbc.fw = console_font_width;
		fbc.fh = console_font_height;
		fbc.cols = MIN(fb->width / fbc.fw, CONSOLE_MAX_COLS);
		fbc.rows = MIN(fb->height / fbc.fh, CONSOLE_MAX_ROWS);
		if (!hist_alloc(mem))
			why = "no memory for the scrollback";
	}
	if (why) {
		serial_printf("console: framebuffer not used: %s", why);
		if (fb && fb->format != FB_NONE)
			serial_printf(" (%ux%u, stride %u, format %u, size %#llx)",
				      fb->width, fb->height, fb->stride, fb->format,
				      (unsigned long long)fb->size);
		serial_printf("; output on serial only\n");
		return;
	}
	fbc.base = fb_va;
	fbc.width = fb->width;
	fbc.height = fb->height;
	fbc.pitch = (size_t)fb->stride * fbc.pf.bytes;
	fbc.glyph_row_bytes = (fbc.fw + BYTE_BITS - 1) / BYTE_BITS;
	fbc.col = 0;
	fbc.pending = 0;
	for (int i = 0; i < CON_COLOR_COUNT; i++)
		fbc.palette[i] = fb_pixel(&fbc.pf, palette_rgb[i]);
	gtab.attr = -1;
	pager = (typeof(pager)){ 0 };
	draw_init(mem);
	fbc.up = true;
	input_set_wait_hook(console_flush);
	early_replay();
}

void console_report(void)
{
	char a[24], b[24];

	if (!fbc.up)
		return;
	kprintf("console: %ux%u, %lu lines of scrollback (%s), ", fbc.cols, fbc.rows,
		hist.count, kfmt_size(drawn.hist_bytes, a, sizeof(a)));
	if (drawn.back)
		kprintf("back buffer %s\n", kfmt_size(drawn.back_bytes, b, sizeof(b)));
	else
		kprintf("no back buffer\n");
}

/* The console kept aside by console_fb_suspend. */
static struct {
	bool kept;
	typeof(fbc) fbc;
	typeof(hist) hist;
	typeof(drawn) drawn;
} aside;

void console_fb_suspend(void)
{
	if (aside.kept)
		return;
	console_flush();
	aside.fbc = fbc;
	aside.hist = hist;
	aside.drawn = drawn;
	aside.kept = true;
	fbc.up = false;
	pager = (typeof(pager)){ 0 };
}

void console_fb_resume(void)
{
	if (!aside.kept)
		return;
	fbc = aside.fbc;
	hist = aside.hist;
	drawn = aside.drawn;
	aside.kept = false;
	pager = (typeof(pager)){ 0 };
	gtab.attr = -1;
	/* The shadow cells were the other console's: draw every cell again. */
	for (unsigned s = 0; s < fbc.rows; s++)
		drawn.known[s] = 0;
	if (fbc.up)
		input_set_wait_hook(console_flush);
	console_flush();
}

void console_fb_stop(void)
{
	fbc.up = false;
	early.open = false;
}

bool console_has_fb(void)
{
	return fbc.up;
}

void console_text_size(unsigned *cols, unsigned *rows)
{
	*cols = fbc.up ? fbc.cols : 0;
	*rows = fbc.up ? fbc.rows : 0;
}

void console_set_color(enum console_color fg, enum console_color bg)
{
	if ((unsigned)fg >= CON_COLOR_COUNT || (unsigned)bg >= CON_COLOR_COUNT)
		return;
	fbc.attr = ATTR(fg, bg);
}

int console_screen_row(unsigned r, char *buf, size_t n)
{
	if (!fbc.up || r >= fbc.rows || drawn.fb_slab[r] == NO_SLAB || n == 0)
		return -1;
	const struct cell *sh = shadow + (size_t)drawn.fb_slab[r] * fbc.cols;
	size_t len = MIN((size_t)drawn.fb_len[r], n - 1);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)sh[i].ch;
	buf[len] = 0;
	return (int)len;
}

/* ---- output ------------------------------------------------------------- */

void console_write(const char *s, size_t n)
{
	serial_emit(NULL, s, n);
	if (fbc.up) {
		for (size_t i = 0; i < n; i++)
			fb_putc(s[i]);
	} else if (early.open) {
		size_t k = MIN(n, sizeof(early.buf) - early.len);
		memcpy(early.buf + early.len, s, k);
		early.len += k;
	}
}

void kputs(const char *s)
{
	console_write(s, strlen(s));
}

static void console_emit(void *ctx, const char *s, size_t n)
{
	console_write(s, n);
}

int kvprintf(const char *fmt, va_list ap)
{
	return kvformat(console_emit, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}
