/*
 * console.c - serial (16550, COM1) and framebuffer text output.
 *
 * The framebuffer side keeps a shadow grid of the cells on screen. A cell
 * is drawn only when its content changes, and scrolling shifts the grid and
 * redraws the cells that differ from what is already there. Each row also
 * remembers how far its text reaches (row_len), so a mostly empty screen
 * scrolls in time proportional to its text, not to its pixels. The
 * framebuffer is never read back: reads of write-combining memory are
 * uncached and slow on real hardware.
 */
#include "console.h"
#include "font.h"
#include "cpu.h"
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
	unsigned col, row;             /* cursor; col == cols means "wrap next" */
	uint8_t attr;                  /* for new text */
} fbc = { .attr = BLANK_ATTR };

static struct cell grid[CONSOLE_MAX_COLS * CONSOLE_MAX_ROWS];
static uint16_t row_len[CONSOLE_MAX_ROWS];   /* cells [0, len) may be non-blank */

static struct {
	bool open;                     /* still recording (fb not tried yet) */
	size_t len;
	char buf[CONSOLE_EARLY_LOG];
} early = { .open = true };

static const struct cell blank_cell = { ' ', BLANK_ATTR };

static struct cell *cell_at(unsigned r, unsigned c)
{
	return &grid[(size_t)r * fbc.cols + c];
}

static void put_pixel(uint8_t *dst, uint32_t px)
{
	for (unsigned i = 0; i < fbc.pf.bytes; i++)
		dst[i] = (uint8_t)(px >> (BYTE_BITS * i));
}

/*
 * draw_span - one glyph row: bit 31 of @bits is the leftmost pixel.
 * 32-bit pixels are stored two at a time from a 4-entry table of pixel
 * pairs (the common case, and half the stores); other sizes byte-wise.
 */
static void draw_span(uint8_t *dst, uint32_t bits, uint32_t fg, uint32_t bg)
{
	unsigned x = 0;

	if (fbc.pf.bytes == sizeof(pixel32_t)) {
		/* Index: left pixel's bit, right pixel's bit. Little endian:
		 * the left pixel is the low half. */
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

static void draw_cell(unsigned r, unsigned c, struct cell cl)
{
	const uint8_t *g = glyph_of(cl.ch);
	uint32_t fg = fbc.palette[ATTR_FG(cl.attr)], bg = fbc.palette[ATTR_BG(cl.attr)];
	uint8_t *line = fbc.base + (size_t)r * fbc.fh * fbc.pitch +
			(size_t)c * fbc.fw * fbc.pf.bytes;

	for (unsigned y = 0; y < fbc.fh; y++, line += fbc.pitch, g += fbc.glyph_row_bytes)
		draw_span(line, glyph_row_bits(g), fg, bg);
}

/* set_cell - make cell (r, c) show @cl, drawing only if it changes. */
static void set_cell(unsigned r, unsigned c, struct cell cl)
{
	struct cell *cur = cell_at(r, c);

	if (cur->ch == cl.ch && cur->attr == cl.attr)
		return;
	*cur = cl;
	draw_cell(r, c, cl);
	if (c + 1 > row_len[r])
		row_len[r] = (uint16_t)(c + 1);
}

static void clear_row(unsigned r)
{
	for (unsigned c = 0; c < row_len[r]; c++)
		set_cell(r, c, blank_cell);
	row_len[r] = 0;
}

/* fb_scroll - move every row up by one and blank the last. */
static void fb_scroll(void)
{
	for (unsigned r = 0; r + 1 < fbc.rows; r++) {
		unsigned n = MAX(row_len[r], row_len[r + 1]);
		for (unsigned c = 0; c < n; c++)
			set_cell(r, c, *cell_at(r + 1, c));
		row_len[r] = row_len[r + 1];
	}
	clear_row(fbc.rows - 1);
}

static void fb_newline(void)
{
	fbc.col = 0;
	if (++fbc.row < fbc.rows)
		return;
	fb_scroll();
	fbc.row = fbc.rows - 1;
}

static void fb_putc(char ch)
{
	switch (ch) {
	case '\n':
		fb_newline();
		return;
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
	if (fbc.col >= fbc.cols)
		fb_newline();
	set_cell(fbc.row, fbc.col, (struct cell){ (uint8_t)ch, fbc.attr });
	fbc.col++;
}

static void fill_screen(uint32_t px)
{
	uint8_t *line = fbc.base;

	for (unsigned y = 0; y < fbc.height; y++, line += fbc.pitch) {
		if (fbc.pf.bytes == sizeof(pixel32_t)) {
			pixel32_t *p = (pixel32_t *)line;
			for (unsigned x = 0; x < fbc.width; x++)
				p[x] = px;
			continue;
		}
		for (unsigned x = 0; x < fbc.width; x++)
			put_pixel(line + x * fbc.pf.bytes, px);
	}
}

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

static void early_replay(void)
{
	for (size_t i = 0; i < early.len; i++)
		fb_putc(early.buf[i]);
}

void console_init_fb(const struct handoff_fb *fb, void *fb_va)
{
	const char *why = fb_check(fb, fb_va);

	fbc.up = false;
	early.open = false;
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
	fbc.fw = console_font_width;
	fbc.fh = console_font_height;
	fbc.glyph_row_bytes = (fbc.fw + BYTE_BITS - 1) / BYTE_BITS;
	fbc.cols = MIN(fb->width / fbc.fw, CONSOLE_MAX_COLS);
	fbc.rows = MIN(fb->height / fbc.fh, CONSOLE_MAX_ROWS);
	fbc.col = fbc.row = 0;
	for (int i = 0; i < CON_COLOR_COUNT; i++)
		fbc.palette[i] = fb_pixel(&fbc.pf, palette_rgb[i]);
	for (size_t i = 0; i < (size_t)fbc.cols * fbc.rows; i++)
		grid[i] = blank_cell;
	for (unsigned r = 0; r < fbc.rows; r++)
		row_len[r] = 0;
	fill_screen(fbc.palette[CON_DEFAULT_BG]);
	fbc.up = true;
	early_replay();
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

bool console_key(uint32_t key)
{
	(void)key;
	return false;   /* no scrollback yet: every key is the caller's */
}

/* pager: from the console-fast branch (this branch's placeholders do
 * nothing; the console-fast branch's versions replace them at merge). */
void console_pager_start(void)
{
}

void console_pager_stop(void)
{
}
