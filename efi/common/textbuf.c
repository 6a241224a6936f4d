/*
 * textbuf.c - the ASCII text buffer and its printf (see textbuf.h); the
 * formatting itself is base/fmt.c's kvformat.
 */
#include "fmt.h"
#include "textbuf.h"

void tb_init(struct textbuf *tb, char *storage, size_t cap)
{
	tb->data = storage;
	tb->cap = cap;
	tb->len = 0;
	tb->truncated = false;
	tb->data[0] = '\0';
}

void tb_putc(struct textbuf *tb, char c)
{
	if (tb->len + 1 >= tb->cap) {
		tb->truncated = true;
		return;
	}
	tb->data[tb->len++] = c;
	tb->data[tb->len] = '\0';
}

void tb_putn(struct textbuf *tb, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tb_putc(tb, s[i]);
}

/* kvformat's callback: append a piece, with tb_putn's truncation. */
static void tb_emit(void *ctx, const char *s, size_t n)
{
	tb_putn(ctx, s, n);
}

void tb_vprintf(struct textbuf *tb, const char *fmt, va_list ap)
{
	kvformat(tb_emit, tb, fmt, ap);
}

void tb_printf(struct textbuf *tb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tb_vprintf(tb, fmt, ap);
	va_end(ap);
}

size_t fmt_buf(char *dst, size_t cap, const char *fmt, ...)
{
	struct textbuf tb;
	va_list ap;

	tb_init(&tb, dst, cap);
	va_start(ap, fmt);
	tb_vprintf(&tb, fmt, ap);
	va_end(ap);
	return tb.len;
}
