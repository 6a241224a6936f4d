/*
 * mapparse.c - split a text into lines, hand each to the format readers,
 * and collect the maps they build (see mapparse.h for the formats).
 *
 * The readers are tried in a fixed order on every line: the Carto dump
 * first (inside a dump every line is its), then the Linux efi prints, Xen's
 * EFI print, e820 tables and UEFI Shell listings. A line none of them
 * claims is log noise, or a section header that says what the next map is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapparse_int.h"

/* ---- cursor helpers --------------------------------------------------------- */

size_t cur_skip_spaces(struct cur *c)
{
	size_t n = 0;
	while (!cur_eol(c) && is_space(*c->p)) {
		c->p++;
		n++;
	}
	return n;
}

bool cur_lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

bool cur_lit_ci(struct cur *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->end - c->p) < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (to_lower(c->p[i]) != to_lower(s[i]))
			return false;
	c->p += n;
	return true;
}

bool span_equal_ci(const char *s, const char *e, const char *name)
{
	size_t n = strlen(name);
	if ((size_t)(e - s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (to_lower(s[i]) != to_lower(name[i]))
			return false;
	return true;
}

const char *cur_find(const struct cur *c, const char *s)
{
	size_t n = strlen(s);
	for (const char *q = c->p; (size_t)(c->end - q) >= n; q++)
		if (memcmp(q, s, n) == 0)
			return q;
	return NULL;
}

/* Digits beyond 128 bits make NUM_HUGE; leading zeros never count. */
static enum num_result read_digits(struct cur *c, unsigned base, u128 *v,
				   unsigned *ndigits)
{
	u128 x = 0;
	unsigned n = 0;
	bool huge = false;

	for (; !cur_eol(c); c->p++, n++) {
		int d = base == 16 ? hex_value(*c->p) : (is_digit(*c->p) ? *c->p - '0' : -1);
		if (d < 0)
			break;
		if (x > (~(u128)0 - (u128)d) / base)
			huge = true;
		else
			x = x * base + (u128)d;
	}
	if (ndigits)
		*ndigits = n;
	if (n == 0)
		return NUM_NONE;
	*v = x;
	return huge ? NUM_HUGE : NUM_OK;
}

enum num_result cur_hex(struct cur *c, u128 *v, unsigned *ndigits)
{
	return read_digits(c, 16, v, ndigits);
}

enum num_result cur_hex0x(struct cur *c, u128 *v)
{
	struct cur save = *c;
	if (!cur_lit_ci(c, "0x"))
		return NUM_NONE;
	enum num_result r = read_digits(c, 16, v, NULL);
	if (r == NUM_NONE)
		*c = save;
	return r;
}

enum num_result cur_dec(struct cur *c, u128 *v)
{
	return read_digits(c, 10, v, NULL);
}

const char *u128_hex(char *buf, u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;
	if (hi)
		snprintf(buf, 40, "0x%llx%016llx", (unsigned long long)hi,
			 (unsigned long long)lo);
	else
		snprintf(buf, 40, "0x%llx", (unsigned long long)lo);
	return buf;
}

/* ---- errors and notes ---------------------------------------------------- */

int mp_error(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	p->err->line = line;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return LINE_ERROR;
}

int mp_want_num(struct parser *p, unsigned line, const char *prefix, enum num_result r,
		u128 v, u128 limit, const char *what)
{
	if (r == NUM_NONE)
		return mp_error(p, line, "%sexpected %s", prefix, what);
	if (r == NUM_HUGE || v >= limit)
		return mp_error(p, line, "%s%s is too large", prefix, what);
	return 0;
}

void mp_note(struct parsed_map *m, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (m->note_count == m->note_cap) {
		size_t cap = m->note_cap ? 2 * m->note_cap : 8;
		struct map_note *n = realloc(m->notes, cap * sizeof(*n));
		if (!n)
			return;
		m->notes = n;
		m->note_cap = cap;
	}
	struct map_note *n = &m->notes[m->note_count++];
	n->line = line;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

/* ---- building maps ---------------------------------------------------------- */

struct parsed_map *mp_current(struct parser *p)
{
	return p->cur < 0 ? NULL : &p->mf->maps[p->cur];
}

struct parsed_map *mp_continue(struct parser *p, enum map_kind kind,
			       enum map_format fmt)
{
	struct parsed_map *m = mp_current(p);
	if (!m || m->kind != kind || m->format != fmt)
		return NULL;
	return m;
}

int mp_close(struct parser *p)
{
	struct parsed_map *m = mp_current(p);
	int r = 0;

	if (!m)
		return 0;
	switch (m->format) {
	case FMT_E820:
	case FMT_E820_OLD:
	case FMT_E820_XEN:
		r = e820_finish(p, m);
		break;
	case FMT_SHELL_EDK2:
	case FMT_SHELL_OLD:
		r = shell_finish(p, m);
		break;
	case FMT_LINUX_TYPEATTR:
	case FMT_LINUX_2006:
	case FMT_LINUX_HALFOPEN:
	case FMT_LINUX_INCLUSIVE:
		r = linux_finish(p, m);
		break;
	default:
		break;
	}
	p->cur = -1;
	p->e820_count = 0;
	return r;
}

int mp_header(struct parser *p, enum map_kind kind, enum map_format fmt,
	      const char *label, bool partial)
{
	if (mp_close(p) < 0)
		return LINE_ERROR;
	p->pending = true;
	p->pending_kind = kind;
	p->pending_format = fmt;
	p->pending_partial = partial;
	snprintf(p->pending_label, sizeof(p->pending_label), "%s", label);
	return LINE_MINE;
}

/* May a header announcing @pending name a map whose lines say @kind? An
 * e820 header only names e820 tables; a memattr line is only a memattr
 * table; a Linux EFI print may be the firmware's map or the runtime map. */
static bool pending_fits(enum map_kind pending, enum map_kind kind)
{
	if (kind == MAP_KIND_E820 || pending == MAP_KIND_E820)
		return kind == pending;
	if (kind == MAP_KIND_MEMATTR)
		return pending == MAP_KIND_MEMATTR;
	return true;
}

struct parsed_map *mp_begin(struct parser *p, enum map_kind kind,
			    enum map_format fmt, const char *label, unsigned line)
{
	struct map_file *mf = p->mf;
	struct parsed_map *m;

	if (mp_close(p) < 0)
		return NULL;
	if (mf->count == mf->cap) {
		size_t cap = mf->cap ? 2 * mf->cap : 4;
		m = realloc(mf->maps, cap * sizeof(*m));
		if (!m) {
			mp_error(p, line, "out of memory");
			return NULL;
		}
		mf->maps = m;
		mf->cap = cap;
	}
	m = &mf->maps[mf->count];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->format = fmt;
	m->first_index = m->last_index = -1;
	snprintf(m->label, sizeof(m->label), "%s", label);
	/* A header names the map that follows it, if the formats agree. */
	if (p->pending && (p->pending_format == fmt || p->pending_format == FMT_COUNT) &&
	    pending_fits(p->pending_kind, kind)) {
		m->kind = p->pending_kind;
		m->partial = p->pending_partial;
		snprintf(m->label, sizeof(m->label), "%s", p->pending_label);
	}
	p->pending = false;
	m->first_line = m->last_line = line;
	p->cur = (long)mf->count++;
	return m;
}

int mp_add_desc(struct parser *p, unsigned line, const struct efi_mem_desc *d)
{
	struct parsed_map *m = mp_current(p);

	if (!m)
		return mp_error(p, line, "internal error: descriptor outside a map");
	if (m->count >= MAPPARSE_MAX_DESCS)
		return mp_error(p, line, "more than %u descriptors in one map",
				MAPPARSE_MAX_DESCS);
	if (m->count == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct map_desc *n = realloc(m->descs, cap * sizeof(*n));
		if (!n)
			return mp_error(p, line, "out of memory");
		m->descs = n;
		m->cap = cap;
	}
	m->descs[m->count].d = *d;
	m->descs[m->count].line = line;
	m->count++;
	m->last_line = line;
	return 0;
}

int mp_add_range(struct parser *p, unsigned line, uint32_t type, uint64_t attr,
		 u128 start, u128 end)
{
	struct efi_mem_desc d;
	char a[40], b[40];

	if (start >= U64_LIMIT)
		return mp_error(p, line, "start address %s is wider than 64 bits",
				u128_hex(a, start));
	if (end < start)
		return mp_error(p, line, "range end %s is below its start %s",
				u128_hex(a, end), u128_hex(b, start));
	u128 len = end - start;
	if (len % EFI_PAGE_SIZE != 0)
		return mp_error(p, line, "range [%s, %s) is not a whole number of 4 KiB pages",
				u128_hex(a, start), u128_hex(b, end));
	if ((len >> EFI_PAGE_SHIFT) >= U64_LIMIT)
		return mp_error(p, line, "range [%s, %s) is too large for an EFI descriptor",
				u128_hex(a, start), u128_hex(b, end));
	memset(&d, 0, sizeof(d));
	d.type = type;
	d.phys_start = (uint64_t)start;
	d.num_pages = (uint64_t)(len >> EFI_PAGE_SHIFT);
	d.attr = attr;
	return mp_add_desc(p, line, &d);
}

/* ---- input text ------------------------------------------------------------- */

struct line {
	const char *s;
	size_t len;
};

/*
 * decode_text - the input as 8-bit text: UTF-16 (with a byte-order mark,
 * as the UEFI Shell writes files) becomes ASCII with '?' for anything
 * else; a UTF-8 byte-order mark is skipped. *owned is set if the result
 * was allocated. Returns NULL (error set) on a NUL byte or no memory.
 */
static const char *decode_text(struct parser *p, const unsigned char *in,
			       size_t len, size_t *out_len, char **owned)
{
	*owned = NULL;
	if (len >= 2 && ((in[0] == 0xff && in[1] == 0xfe) || (in[0] == 0xfe && in[1] == 0xff))) {
		bool le = in[0] == 0xff;
		size_t n = (len - 2) / 2;
		char *t = malloc(n + 1);
		if (!t) {
			mp_error(p, 0, "out of memory");
			return NULL;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned u = le ? in[2 + 2 * i] | (unsigned)in[3 + 2 * i] << 8
					: in[3 + 2 * i] | (unsigned)in[2 + 2 * i] << 8;
			t[i] = u == 0 ? '\0' : (u < 0x80 ? (char)u : '?');
		}
		p->mf->utf16 = true;
		*owned = t;
		*out_len = n;
		return t;
	}
	if (len >= 3 && in[0] == 0xef && in[1] == 0xbb && in[2] == 0xbf) {
		in += 3;
		len -= 3;
	}
	*out_len = len;
	return (const char *)in;
}

/* Split text into lines ("\n", "\r\n" or "\r"), trailing blanks cut.
 * Returns the count, or -1 (error set) on a NUL byte or no memory. */
static long split_lines(struct parser *p, const char *t, size_t len,
			struct line **out)
{
	size_t cap = 256, n = 0, i = 0;
	struct line *v = malloc(cap * sizeof(*v));

	if (!v)
		return mp_error(p, 0, "out of memory");
	while (i < len) {
		size_t j = i;
		while (j < len && t[j] != '\n' && t[j] != '\r') {
			if (t[j] == '\0') {
				free(v);
				return mp_error(p, (unsigned)n + 1,
						"NUL byte: this is not a text file");
			}
			j++;
		}
		if (n == cap) {
			struct line *w = realloc(v, 2 * cap * sizeof(*v));
			if (!w) {
				free(v);
				return mp_error(p, 0, "out of memory");
			}
			v = w;
			cap *= 2;
		}
		size_t k = j;
		while (k > i && (is_space(t[k - 1]) || t[k - 1] == '\f' || t[k - 1] == '\v'))
			k--;
		v[n].s = t + i;
		v[n].len = k - i;
		n++;
		if (j < len && t[j] == '\r' && j + 1 < len && t[j + 1] == '\n')
			j++;
		i = j + 1;
	}
	*out = v;
	return (long)n;
}

static struct cur line_cur(const struct line *l)
{
	struct cur c = { l->s, l->s + l->len };
	return c;
}

/*
 * Remember "efi: EFI v2.31 by INSYDE Corp." from a Linux log, once. The
 * "efi:" prefix must be a log's (start of line, after a blank or a
 * timestamp's ']'), so quoted text in comments is not taken.
 */
static void note_firmware(struct parser *p, struct cur c, unsigned no)
{
	const char *q = cur_find(&c, "efi: EFI v");
	if (!q || p->mf->firmware[0])
		return;
	if (q > c.p && !is_space(q[-1]) && q[-1] != ']')
		return;
	struct cur rest = { q + 5, c.end };
	if (!cur_find(&rest, " by "))
		return;
	snprintf(p->mf->firmware, sizeof(p->mf->firmware), "%.*s",
		 (int)(rest.end - rest.p), rest.p);
	p->mf->firmware_line = no;
}

/* Try every reader on one line. Returns 0 or -1 (error set). */
static int dispatch(struct parser *p, struct cur c, unsigned no)
{
	static int (*const readers[])(struct parser *, struct cur, unsigned) = {
		carto_line, linux_line, linux_addr_line, xen_efi_line, e820_line, shell_line,
		linux_header,
	};

	for (size_t i = 0; i < ARRAY_SIZE(readers); i++) {
		int r = readers[i](p, c, no);
		if (r == LINE_ERROR)
			return -1;
		if (r == LINE_MINE)
			return 0;
		if (p->carto != CARTO_OUTSIDE)
			return 0;   /* a dump's trailer: nobody else's business */
	}
	note_firmware(p, c, no);
	return 0;
}

/* Join a mail-wrapped Linux line with its continuation into *buf. */
static int join_lines(struct parser *p, const struct line *a, const struct line *b,
		      char **buf, size_t *cap, struct cur *out, unsigned no)
{
	size_t need = a->len + 1 + b->len;
	if (need > *cap) {
		char *n = realloc(*buf, need);
		if (!n)
			return mp_error(p, no, "out of memory");
		*buf = n;
		*cap = need;
	}
	memcpy(*buf, a->s, a->len);
	(*buf)[a->len] = ' ';
	memcpy(*buf + a->len + 1, b->s, b->len);
	out->p = *buf;
	out->end = *buf + need;
	return 0;
}

static int parse_lines(struct parser *p, const struct line *lines, size_t n)
{
	char *joined = NULL;
	size_t joined_cap = 0;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		struct cur c = line_cur(&lines[i]);
		unsigned no = (unsigned)i + 1;
		if (i + 1 < n && p->carto == CARTO_OUTSIDE &&
		    linux_wants_join(c, line_cur(&lines[i + 1]))) {
			r = join_lines(p, &lines[i], &lines[i + 1], &joined,
				       &joined_cap, &c, no);
			i++;
		}
		if (r == 0)
			r = dispatch(p, c, no);
	}
	free(joined);
	if (r == 0)
		r = carto_eof(p, (unsigned)n);
	if (r == 0)
		r = mp_close(p);
	return r;
}

/* ---- the public calls ---------------------------------------------------------- */

void mapfile_free(struct map_file *mf)
{
	for (size_t i = 0; mf->maps && i < mf->count; i++) {
		free(mf->maps[i].descs);
		free(mf->maps[i].notes);
	}
	free(mf->maps);
	memset(mf, 0, sizeof(*mf));
}

int mapfile_parse(struct map_file *mf, const void *data, size_t len,
		  struct parse_error *err)
{
	struct parser p;
	struct line *lines = NULL;
	const char *text;
	char *owned;
	size_t text_len;
	long n;
	int r = -1;

	memset(mf, 0, sizeof(*mf));
	memset(err, 0, sizeof(*err));
	memset(&p, 0, sizeof(p));
	p.mf = mf;
	p.err = err;
	p.cur = -1;
	p.carto_map = -1;
	if (len > MAPPARSE_MAX_INPUT) {
		mp_error(&p, 0, "input larger than %u MiB: not a memory map",
			 MAPPARSE_MAX_INPUT >> 20);
		return -1;
	}
	text = decode_text(&p, data, len, &text_len, &owned);
	if (!text)
		return -1;
	n = split_lines(&p, text, text_len, &lines);
	if (n >= 0 && parse_lines(&p, lines, (size_t)n) == 0) {
		if (mf->count == 0)
			mp_error(&p, 0, "no memory map found (looked for Carto dumps, "
				 "Linux efi/e820 prints, UEFI Shell memmap, Xen logs)");
		else
			r = 0;
	}
	free(lines);
	free(owned);
	free(p.e820);
	if (r != 0)
		mapfile_free(mf);
	return r;
}

long mapfile_find_kind(const struct map_file *mf, enum map_kind kind)
{
	for (size_t i = 0; i < mf->count; i++)
		if (mf->maps[i].kind == kind)
			return (long)i;
	return -1;
}

size_t mapfile_default(const struct map_file *mf)
{
	static const enum map_kind order[] = {
		MAP_KIND_EFI, MAP_KIND_E820, MAP_KIND_RUNTIME, MAP_KIND_MEMATTR,
	};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		long k = mapfile_find_kind(mf, order[i]);
		if (k >= 0)
			return (size_t)k;
	}
	return 0;
}

static const char *const kind_names[MAP_KIND_COUNT] = {
	[MAP_KIND_EFI] = "efi",
	[MAP_KIND_E820] = "e820",
	[MAP_KIND_RUNTIME] = "runtime",
	[MAP_KIND_MEMATTR] = "memattr",
};

const char *map_kind_name(enum map_kind kind)
{
	return (unsigned)kind < MAP_KIND_COUNT ? kind_names[kind] : "?";
}

int map_kind_from_name(const char *name)
{
	for (int k = 0; k < MAP_KIND_COUNT; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

const char *map_format_name(enum map_format fmt)
{
	static const char *const names[FMT_COUNT] = {
		[FMT_CARTO] = "Carto memory map dump v1",
		[FMT_LINUX_TYPEATTR] = "Linux 3.x efi=debug (type=N, attr=, half-open ranges)",
		[FMT_LINUX_2006] = "Linux 2.6 efi print (no efi: prefix, half-open ranges)",
		[FMT_LINUX_HALFOPEN] = "Linux 4.x efi=debug ([Name|attrs], half-open ranges)",
		[FMT_LINUX_INCLUSIVE] = "Linux 5.x+ efi=debug ([Name|attrs], inclusive ends)",
		[FMT_LINUX_ADDRFIRST] = "Linux efi print, address first (arm64 / memattr)",
		[FMT_SHELL_OLD] = "UEFI Shell memmap, EFI 1.10 style",
		[FMT_SHELL_EDK2] = "UEFI Shell memmap, EDK II style",
		[FMT_SHELL_SFO] = "UEFI Shell memmap -sfo",
		[FMT_XEN_EFI] = "Xen EFI memory map (type=N attr=)",
		[FMT_E820] = "e820 table, [mem a-b] inclusive",
		[FMT_E820_OLD] = "e820 table, a - b (type) exclusive",
		[FMT_E820_XEN] = "Xen e820-style table, [a, b] inclusive",
	};
	return (unsigned)fmt < FMT_COUNT ? names[fmt] : "?";
}

uint64_t map_raw_bytes_of_type(const struct parsed_map *m, uint32_t type)
{
	u128 sum = 0;
	for (size_t i = 0; i < m->count; i++)
		if (m->descs[i].d.type == type)
			sum += (u128)m->descs[i].d.num_pages << EFI_PAGE_SHIFT;
	return sum >= U64_LIMIT ? UINT64_MAX : (uint64_t)sum;
}
