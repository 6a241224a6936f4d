/*
 * fmt.c - printf-style formatting for the kernel, the loader and the EFI
 * dump tool (include/fmt.h).
 *
 * One formatter, kvformat, parses the format and sends the output in pieces
 * to an emit callback: ksnprintf emits into a buffer, the kernel's kprintf
 * (kernel/console.c) into the console, the EFI applications' tb_printf
 * (efi/common/textbuf.c) into a text buffer. The supported subset is
 * documented in include/fmt.h.
 */
#include "fmt.h"
#include "lib.h"

enum fmt_flag {
	FL_LEFT = 1u << 0,    /* '-' */
	FL_ZERO = 1u << 1,    /* '0' */
	FL_ALT = 1u << 2,     /* '#' */
	FL_PLUS = 1u << 3,    /* '+' */
	FL_SPACE = 1u << 4,   /* ' ' */
};

enum fmt_length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

#define NO_PRECISION (-1)
#define POINTER_DIGITS 16     /* %p: a full 64-bit address */

/* One parsed conversion specification. */
struct fmt_spec {
	unsigned flags;
	int width;
	int prec;                 /* NO_PRECISION if absent */
	enum fmt_length length;
	char conv;
};

struct fmt_out {
	kfmt_emit_fn emit;
	void *ctx;
	size_t total;
};

static void out_put(struct fmt_out *o, const char *s, size_t n)
{
	if (n)
		o->emit(o->ctx, s, n);
	o->total += n;
}

static void out_pad(struct fmt_out *o, char c, int n)
{
	char chunk[16];
	int i;

	for (i = 0; i < (int)sizeof(chunk); i++)
		chunk[i] = c;
	while (n > 0) {
		int k = n < (int)sizeof(chunk) ? n : (int)sizeof(chunk);
		out_put(o, chunk, (size_t)k);
		n -= k;
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* parse_number - a decimal field, or '*' taken from the arguments. */
static const char *parse_number(const char *p, va_list *ap, int *val)
{
	int v = 0;

	if (*p == '*') {
		*val = va_arg(*ap, int);
		return p + 1;
	}
	while (is_digit(*p)) {
		if (v < 100000)          /* clamp absurd widths, never overflow */
			v = v * 10 + (*p - '0');
		p++;
	}
	*val = v;
	return p;
}

static const char *parse_flags(const char *p, unsigned *flags)
{
	for (;; p++) {
		switch (*p) {
		case '-': *flags |= FL_LEFT; break;
		case '0': *flags |= FL_ZERO; break;
		case '#': *flags |= FL_ALT; break;
		case '+': *flags |= FL_PLUS; break;
		case ' ': *flags |= FL_SPACE; break;
		default: return p;
		}
	}
}

static const char *parse_length(const char *p, enum fmt_length *len)
{
	*len = LEN_INT;
	if (p[0] == 'h' && p[1] == 'h') {
		*len = LEN_CHAR;
		return p + 2;
	}
	if (p[0] == 'l' && p[1] == 'l') {
		*len = LEN_LLONG;
		return p + 2;
	}
	switch (*p) {
	case 'h': *len = LEN_SHORT; return p + 1;
	case 'l': *len = LEN_LONG; return p + 1;
	case 'z': case 'j': case 't': *len = LEN_SIZE; return p + 1;
	default: return p;
	}
}

/* parse_spec - parse the specification after a '%'; returns the character
 * after the conversion (sp->conv is '\0' if the format ended early). */
static const char *parse_spec(const char *p, va_list *ap, struct fmt_spec *sp)
{
	sp->flags = 0;
	sp->prec = NO_PRECISION;
	p = parse_flags(p, &sp->flags);
	p = parse_number(p, ap, &sp->width);
	if (sp->width < 0) {             /* "*" with a negative argument */
		sp->flags |= FL_LEFT;
		sp->width = -sp->width;
	}
	if (*p == '.') {
		p = parse_number(p + 1, ap, &sp->prec);
		if (sp->prec < 0)
			sp->prec = NO_PRECISION;
	}
	p = parse_length(p, &sp->length);
	sp->conv = *p;
	return *p ? p + 1 : p;
}

static int64_t fetch_signed(va_list *ap, enum fmt_length len)
{
	switch (len) {
	case LEN_CHAR: return (signed char)va_arg(*ap, int);
	case LEN_SHORT: return (short)va_arg(*ap, int);
	case LEN_LONG: return va_arg(*ap, long);
	case LEN_LLONG: return va_arg(*ap, long long);
	case LEN_SIZE: return (int64_t)va_arg(*ap, size_t);
	default: return va_arg(*ap, int);
	}
}

static uint64_t fetch_unsigned(va_list *ap, enum fmt_length len)
{
	switch (len) {
	case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG: return va_arg(*ap, unsigned long);
	case LEN_LLONG: return va_arg(*ap, unsigned long long);
	case LEN_SIZE: return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned);
	}
}

/*
 * emit_number - one integer: [pad][prefix][zeros]digits[pad].
 * @prefix is the sign or "0x" (may be empty).
 */
static void emit_number(struct fmt_out *o, const struct fmt_spec *sp,
			uint64_t mag, unsigned base, const char *prefix)
{
	const char *xdigits = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[24];
	int nd = 0, zeros, len;
	int plen = (int)strlen(prefix);

	while (mag) {
		digits[sizeof(digits) - 1 - nd++] = xdigits[mag % base];
		mag /= base;
	}
	if (nd == 0 && sp->prec != 0)    /* C: "%.0d" of 0 prints no digit */
		digits[sizeof(digits) - 1 - nd++] = '0';
	zeros = sp->prec > nd ? sp->prec - nd : 0;
	len = plen + zeros + nd;
	if ((sp->flags & (FL_ZERO | FL_LEFT)) == FL_ZERO && sp->prec == NO_PRECISION &&
	    sp->width > len) {
		zeros += sp->width - len;
		len = sp->width;
	}
	if (!(sp->flags & FL_LEFT))
		out_pad(o, ' ', sp->width - len);
	out_put(o, prefix, (size_t)plen);
	out_pad(o, '0', zeros);
	out_put(o, digits + sizeof(digits) - nd, (size_t)nd);
	if (sp->flags & FL_LEFT)
		out_pad(o, ' ', sp->width - len);
}

static void emit_signed(struct fmt_out *o, const struct fmt_spec *sp, int64_t v)
{
	/* Negate in unsigned arithmetic: INT64_MIN has no positive int64_t. */
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	const char *sign = "";

	if (v < 0)
		sign = "-";
	else if (sp->flags & FL_PLUS)
		sign = "+";
	else if (sp->flags & FL_SPACE)
		sign = " ";
	emit_number(o, sp, mag, 10, sign);
}

/* emit_padded - n bytes of s, padded to the field width. */
static void emit_padded(struct fmt_out *o, const struct fmt_spec *sp,
			const char *s, size_t n)
{
	int pad = sp->width > (int)n ? sp->width - (int)n : 0;

	if (!(sp->flags & FL_LEFT))
		out_pad(o, ' ', pad);
	out_put(o, s, n);
	if (sp->flags & FL_LEFT)
		out_pad(o, ' ', pad);
}

static void emit_string(struct fmt_out *o, const struct fmt_spec *sp, const char *s)
{
	size_t n = 0;

	if (!s)
		s = "(null)";
	while ((sp->prec == NO_PRECISION || n < (size_t)sp->prec) && s[n])
		n++;
	emit_padded(o, sp, s, n);
}

/* emit_conversion - format one argument according to @sp. @start is the
 * '%' that began it, for copying unknown conversions through. */
static void emit_conversion(struct fmt_out *o, struct fmt_spec *sp, va_list *ap,
			    const char *start, const char *end)
{
	char c;
	uint64_t u;

	switch (sp->conv) {
	case 'd':
	case 'i':
		emit_signed(o, sp, fetch_signed(ap, sp->length));
		break;
	case 'u':
		emit_number(o, sp, fetch_unsigned(ap, sp->length), 10, "");
		break;
	case 'x':
	case 'X':
		u = fetch_unsigned(ap, sp->length);
		emit_number(o, sp, u, 16, (sp->flags & FL_ALT) && u ?
			    (sp->conv == 'X' ? "0X" : "0x") : "");
		break;
	case 'p':
		sp->conv = 'x';
		if (sp->prec == NO_PRECISION)
			sp->prec = POINTER_DIGITS;
		emit_number(o, sp, (uintptr_t)va_arg(*ap, void *), 16, "0x");
		break;
	case 's':
		emit_string(o, sp, va_arg(*ap, const char *));
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		emit_padded(o, sp, &c, 1);
		break;
	case '%':
		out_put(o, "%", 1);
		break;
	default:                          /* unknown or cut short: copy as is */
		out_put(o, start, (size_t)(end - start));
		break;
	}
}

int kvformat(kfmt_emit_fn emit, void *ctx, const char *fmt, va_list ap)
{
	struct fmt_out o = { emit, ctx, 0 };
	struct fmt_spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		const char *pct = fmt;

		while (*pct && *pct != '%')
			pct++;
		out_put(&o, fmt, (size_t)(pct - fmt));
		if (!*pct)
			break;
		fmt = parse_spec(pct + 1, &args, &sp);
		emit_conversion(&o, &sp, &args, pct, fmt);
	}
	va_end(args);
	return o.total > (size_t)INT32_MAX ? INT32_MAX : (int)o.total;
}

/* ---- into a buffer ------------------------------------------------------ */

struct buf_sink {
	char *buf;
	size_t size;      /* bytes of buf, terminator included */
	size_t pos;       /* bytes stored so far (< size when size > 0) */
};

static void buf_emit(void *ctx, const char *s, size_t n)
{
	struct buf_sink *b = ctx;
	size_t room;

	if (b->size == 0)
		return;
	room = b->size - 1 - b->pos;
	if (n > room)
		n = room;
	memcpy(b->buf + b->pos, s, n);
	b->pos += n;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_sink b = { buf, size, 0 };
	int n = kvformat(buf_emit, &b, fmt, ap);

	if (size)
		buf[b.pos] = '\0';
	return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

const char *kfmt_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t whole = bytes, tenth = 0;

	while (whole >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		tenth = (whole % 1024) * 10 / 1024;
		whole /= 1024;
		u++;
	}
	ksnprintf(buf, size, "%lu.%lu %s", whole, tenth, unit[u]);
	return buf;
}
