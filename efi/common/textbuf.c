/*
 * textbuf.c - the ASCII text buffer and its small printf (see textbuf.h).
 */
#include "textbuf.h"

/* Longest number we render: 20 decimal digits of a uint64_t. */
#define NUM_DIGITS_MAX 24

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

static size_t cstr_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static void put_repeat(struct textbuf *tb, char c, int n)
{
	for (; n > 0; n--)
		tb_putc(tb, c);
}

/* One parsed conversion specification. */
struct spec {
	bool left;       /* '-' */
	bool zero;       /* '0' */
	int width;
	bool wide;       /* l, ll or z: a 64-bit argument */
	char conv;
};

/* Pad @s (length @n) to the spec's width. */
static void put_field(struct textbuf *tb, const struct spec *sp,
		      const char *s, size_t n)
{
	int pad = sp->width - (int)n;

	if (!sp->left)
		put_repeat(tb, sp->zero ? '0' : ' ', pad);
	tb_putn(tb, s, n);
	if (sp->left)
		put_repeat(tb, ' ', pad);
}

/* Render @v in @base into the end of @buf; returns the first digit. */
static char *render_unsigned(char buf[NUM_DIGITS_MAX], uint64_t v,
			     unsigned base)
{
	static const char digits[] = "0123456789abcdef";
	char *p = buf + NUM_DIGITS_MAX;

	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	return p;
}

static void put_number(struct textbuf *tb, const struct spec *sp, va_list *ap)
{
	char buf[NUM_DIGITS_MAX + 1];
	uint64_t v;
	bool negative = false;

	if (sp->conv == 'd') {
		int64_t s = sp->wide ? va_arg(*ap, int64_t) : va_arg(*ap, int);
		negative = s < 0;
		v = negative ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
	} else {
		v = sp->wide ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned int);
	}
	char *p = render_unsigned(buf, v, sp->conv == 'x' ? 16 : 10);
	if (negative)
		*--p = '-';
	put_field(tb, sp, p, (size_t)(buf + NUM_DIGITS_MAX - p));
}

/* Parse flags, width and length after a '%'; returns the conversion char. */
static const char *parse_spec(const char *f, struct spec *sp)
{
	*sp = (struct spec){ 0 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	while (*f == 'l' || *f == 'z') {
		sp->wide = true;
		f++;
	}
	sp->conv = *f;
	return f;
}

void tb_vprintf(struct textbuf *tb, const char *fmt, va_list ap)
{
	va_list args;

	va_copy(args, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			tb_putc(tb, *f);
			continue;
		}
		const char *start = f;
		struct spec sp;
		f = parse_spec(f + 1, &sp);
		if (sp.conv == 's') {
			const char *s = va_arg(args, const char *);
			if (!s)
				s = "(null)";
			put_field(tb, &sp, s, cstr_len(s));
		} else if (sp.conv == 'c') {
			char c = (char)va_arg(args, int);
			put_field(tb, &sp, &c, 1);
		} else if (sp.conv == 'd' || sp.conv == 'u' || sp.conv == 'x') {
			put_number(tb, &sp, &args);
		} else if (sp.conv == '%') {
			tb_putc(tb, '%');
		} else {
			/* Unknown or truncated spec: show it, stop at the NUL. */
			tb_putn(tb, start, (size_t)(f - start) + (*f != '\0'));
			if (!*f)
				break;
		}
	}
	va_end(args);
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
