/*
 * mapparse_linux.c - EFI memory maps as Linux and Xen print them, and the
 * section headers of boot logs.
 *
 *   3.x   efi: mem00: type=7, attr=0xf, range=[0x0-0x8f000) (0MB)
 *   2006  mem00: type=7, attr=0xf, range=[0x0-0x8f000) (0MB)
 *   4.x   efi: mem00: [Boot Code |   |  |..|WB|WT|WC|UC] range=[0x0-0x1000) (0MB)
 *   5.x+  efi: mem00: [Boot Code |   |  |..|WB|WT|WC|UC] range=[0x0-0xfff] (0MB)
 *   arm64 efi:   0x000040000000-0x000047dfcfff [Conventional|..|WB|..]
 *   memattr   efi: memattr:  0x0000bea6c000-0x0000bea70fff [Runtime Data|RUN|..|XP|..]
 *   Xen   (XEN)  0000000000000-0000000007fff type=3 attr=000000000000000f
 *
 * The memNN numbers must run on without a gap inside one listing; a
 * listing that does not start at mem00 is marked partial. The kernel's
 * "(invalid)" lines print a zero-length entry with end 0.
 */
#include <stdio.h>
#include <string.h>

#include "mapparse_int.h"

/* Type names of the bracket form, old and new spellings. */
static const struct {
	const char *name;
	uint32_t type;
} linux_types[] = {
	{ "Reserved", EFI_RESERVED },
	{ "Loader Code", EFI_LOADER_CODE },
	{ "Loader Data", EFI_LOADER_DATA },
	{ "Boot Code", EFI_BS_CODE },
	{ "Boot Data", EFI_BS_DATA },
	{ "Runtime Code", EFI_RT_CODE },
	{ "Runtime Data", EFI_RT_DATA },
	{ "Conventional Memory", EFI_CONVENTIONAL },
	{ "Conventional", EFI_CONVENTIONAL },
	{ "Unusable Memory", EFI_UNUSABLE },
	{ "Unusable", EFI_UNUSABLE },
	{ "ACPI Reclaim Memory", EFI_ACPI_RECLAIM },
	{ "ACPI Reclaim", EFI_ACPI_RECLAIM },
	{ "ACPI Memory NVS", EFI_ACPI_NVS },
	{ "ACPI Mem NVS", EFI_ACPI_NVS },
	{ "Memory Mapped I/O", EFI_MMIO },
	{ "MMIO", EFI_MMIO },
	{ "MMIO Port Space", EFI_MMIO_PORT },
	{ "MMIO Port", EFI_MMIO_PORT },
	{ "PAL Code", EFI_PAL_CODE },
	{ "Persistent Memory", EFI_PERSISTENT },
	{ "Persistent", EFI_PERSISTENT },
	{ "Unaccepted Memory", EFI_UNACCEPTED },
	{ "Unaccepted", EFI_UNACCEPTED },
};

/* Attribute columns of the bracket form. */
static const struct {
	const char *name;
	uint64_t bit;
} linux_attrs[] = {
	{ "RUN", EFI_MEMORY_RUNTIME },
	{ "MR", EFI_MEMORY_MORE_RELIABLE },
	{ "CC", EFI_MEMORY_CPU_CRYPTO },
	{ "SP", EFI_MEMORY_SP },
	{ "NV", EFI_MEMORY_NV },
	{ "XP", EFI_MEMORY_XP },
	{ "RP", EFI_MEMORY_RP },
	{ "WP", EFI_MEMORY_WP },
	{ "RO", EFI_MEMORY_RO },
	{ "UCE", EFI_MEMORY_UCE },
	{ "WB", EFI_MEMORY_WB },
	{ "WT", EFI_MEMORY_WT },
	{ "WC", EFI_MEMORY_WC },
	{ "UC", EFI_MEMORY_UC },
};

/* [s, e) with blanks cut at both ends. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

/* Type of a bracket name: a known name or "type=N". */
static int bracket_type(struct parser *p, unsigned no, const char *s,
			const char *e, uint32_t *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(linux_types); i++) {
		if (span_equal_ci(s, e, linux_types[i].name)) {
			*type = linux_types[i].type;
			return 0;
		}
	}
	struct cur c = { s, e };
	u128 v = 0;
	if (cur_lit(&c, "type=")) {
		enum num_result r = cur_dec(&c, &v);
		if (mp_want_num(p, no, "", r, v, (u128)1 << 32, "a 32-bit type number after 'type='") < 0)
			return -1;
		if (!cur_eol(&c))
			return mp_error(p, no, "junk after the type number");
		*type = (uint32_t)v;
		return 0;
	}
	return mp_error(p, no, "unknown memory type name '%.*s'", (int)(e - s), s);
}

/* One attribute column ("WB", "" or "attr=0x..."), ORed into *attr. */
static int bracket_attr(struct parser *p, unsigned no, const char *s,
			const char *e, uint64_t *attr)
{
	if (s == e)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(linux_attrs); i++) {
		if (span_equal_ci(s, e, linux_attrs[i].name)) {
			*attr |= linux_attrs[i].bit;
			return 0;
		}
	}
	struct cur c = { s, e };
	u128 v = 0;
	if (cur_lit(&c, "attr=")) {
		enum num_result r = cur_hex0x(&c, &v);
		if (mp_want_num(p, no, "", r, v, U64_LIMIT, "a 64-bit value after 'attr='") < 0)
			return -1;
		*attr |= (uint64_t)v;
		return 0;
	}
	return mp_error(p, no, "unknown attribute column '%.*s'", (int)(e - s), s);
}

/* "[Name|col|col...]" -> type and attributes. */
static int read_bracket(struct parser *p, struct cur *c, unsigned no,
			uint32_t *type, uint64_t *attr)
{
	const char *s, *e;
	bool first = true;

	if (!cur_lit(c, "["))
		return mp_error(p, no, "expected '[' opening the type and attributes");
	*attr = 0;
	for (;;) {
		s = c->p;
		while (!cur_eol(c) && *c->p != '|' && *c->p != ']')
			c->p++;
		if (cur_eol(c))
			return mp_error(p, no, "no ']' closing the type and attributes");
		e = c->p;
		trim(&s, &e);
		if (first ? bracket_type(p, no, s, e, type) < 0
			  : bracket_attr(p, no, s, e, attr) < 0)
			return -1;
		first = false;
		if (*c->p++ == ']')
			return 0;
	}
}

/*
 * Read "0xa-0xb" and a closing ')' (half-open) or ']' (inclusive), or the
 * given closer only when @closer is not 0. Sets *start, *end (exclusive).
 */
static int read_range(struct parser *p, struct cur *c, unsigned no,
		      u128 *start, u128 *last, char *closer)
{
	enum num_result r = cur_hex0x(c, start);
	if (r != NUM_OK)
		return mp_error(p, no, r == NUM_HUGE ? "range start is too large"
				: "expected 0x<hex> range start");
	if (!cur_lit(c, "-"))
		return mp_error(p, no, "expected '-' between range start and end");
	r = cur_hex0x(c, last);
	if (r != NUM_OK)
		return mp_error(p, no, r == NUM_HUGE ? "range end is too large"
				: "expected 0x<hex> range end");
	char ch = cur_peek(c);
	if (ch != ')' && ch != ']')
		return mp_error(p, no, "expected ')' or ']' closing the range");
	if (*closer && ch != *closer)
		return mp_error(p, no, "range closed with '%c', this format uses '%c'",
				ch, *closer);
	*closer = ch;
	c->p++;
	return 0;
}

/* Check the "(NMB)" size print against the range: floor or ceiling. */
static int check_size(struct parser *p, struct cur *c, unsigned no, u128 bytes,
		      bool *invalid)
{
	static const char units[] = "KMGTP";
	u128 n = 0;

	*invalid = false;
	cur_skip_spaces(c);
	if (cur_lit(c, "(invalid)")) {
		*invalid = true;
		return 0;
	}
	if (!cur_lit(c, "("))
		return 0;             /* no size printed */
	if (cur_dec(c, &n) != NUM_OK)
		return mp_error(p, no, "bad size after the range");
	const char *u = strchr(units, cur_peek(c));
	if (!u || cur_eol(c))
		return mp_error(p, no, "bad size unit after the range");
	c->p++;
	if (!cur_lit(c, "B)"))
		return mp_error(p, no, "bad size unit after the range");
	unsigned shift = 10 * (unsigned)(u - units + 1);
	if (bytes >= U64_LIMIT)
		return 0;             /* the range itself is refused later */
	u128 floor = bytes >> shift;
	u128 ceil = (bytes + ((u128)1 << shift) - 1) >> shift;
	if (n != floor && n != ceil)
		return mp_error(p, no, "printed size (%llu%cB) does not match the range",
				(unsigned long long)(n >= U64_LIMIT ? UINT64_MAX : (uint64_t)n), *u);
	return 0;
}

/* ---- memNN lines ----------------------------------------------------------- */

struct memnn {
	struct cur body;       /* just after "memNN:" and blanks */
	long index;
	bool prefixed;         /* "efi:" before it */
};

static bool is_alnum(char ch)
{
	return is_alpha(ch) || is_digit(ch);
}

/* Find "memNN:" followed by "type=" or "[" anywhere in the line. */
static bool find_memnn(struct cur line, struct memnn *m)
{
	for (const char *q = line.p; line.end - q >= 5; q++) {
		if (memcmp(q, "mem", 3) != 0 || (q > line.p && is_alnum(q[-1])))
			continue;
		struct cur c = { q + 3, line.end };
		long idx = 0;
		unsigned nd = 0;
		while (!cur_eol(&c) && is_digit(*c.p) && nd < 7) {
			idx = idx * 10 + (*c.p++ - '0');
			nd++;
		}
		if (nd == 0 || nd == 7 || !cur_lit(&c, ":"))
			continue;
		cur_skip_spaces(&c);
		if (cur_peek(&c) != '[' && !(line.end - c.p >= 5 && memcmp(c.p, "type=", 5) == 0))
			continue;
		struct cur before = { line.p, q };
		const char *bs = before.p, *be = before.end;
		trim(&bs, &be);
		m->body = c;
		m->index = idx;
		m->prefixed = be - bs >= 4 && memcmp(be - 4, "efi:", 4) == 0;
		return true;
	}
	return false;
}

/* "type=7, attr=0xf, range=[" -> type, attr. */
static int read_typeattr(struct parser *p, struct cur *c, unsigned no,
			 uint32_t *type, uint64_t *attr)
{
	u128 v = 0;
	enum num_result r;

	cur_lit(c, "type=");
	r = cur_dec(c, &v);
	if (mp_want_num(p, no, "", r, v, (u128)1 << 32, "a 32-bit type number after 'type='") < 0)
		return -1;
	*type = (uint32_t)v;
	if (!cur_lit(c, ","))
		return mp_error(p, no, "expected ',' after the type");
	cur_skip_spaces(c);
	if (!cur_lit(c, "attr="))
		return mp_error(p, no, "expected 'attr=' after the type");
	r = cur_hex0x(c, &v);
	if (mp_want_num(p, no, "", r, v, U64_LIMIT, "a 64-bit 0x<hex> value after 'attr='") < 0)
		return -1;
	*attr = (uint64_t)v;
	if (!cur_lit(c, ","))
		return mp_error(p, no, "expected ',' after the attributes");
	return 0;
}

/* The map a memNN line belongs to: the open one if the numbers run on. */
static struct parsed_map *memnn_map(struct parser *p, enum map_format fmt,
				    long index, unsigned no)
{
	struct parsed_map *m = mp_current(p);

	if (m && m->format == fmt && m->kind != MAP_KIND_MEMATTR) {
		if (index == m->last_index + 1)
			return m;
		if (index == m->last_index + 2) {
			mp_error(p, no, "mem%02ld follows mem%02ld: mem%02ld is missing "
				 "(log lines lost?)", index, m->last_index, index - 1);
			return NULL;
		}
		if (index > m->last_index + 2) {
			mp_error(p, no, "mem%02ld follows mem%02ld: mem%02ld..mem%02ld are "
				 "missing (log lines lost?)", index, m->last_index,
				 m->last_index + 1, index - 1);
			return NULL;
		}
	}
	m = mp_begin(p, MAP_KIND_EFI, fmt, "Linux EFI memory map", no);
	if (m)
		m->first_index = index;
	return m;
}

int linux_line(struct parser *p, struct cur line, unsigned no)
{
	struct memnn mn;
	struct cur c;
	uint32_t type = 0;
	uint64_t attr = 0;
	u128 start = 0, last = 0;
	char closer = 0;
	enum map_format fmt;
	bool invalid;

	if (!find_memnn(line, &mn))
		return LINE_NOT_MINE;
	c = mn.body;
	if (cur_peek(&c) == '[') {
		if (read_bracket(p, &c, no, &type, &attr) < 0)
			return LINE_ERROR;
	} else {
		if (read_typeattr(p, &c, no, &type, &attr) < 0)
			return LINE_ERROR;
		closer = ')';
	}
	cur_skip_spaces(&c);
	if (!cur_lit(&c, "range=["))
		return mp_error(p, no, "expected 'range=[' (line cut or wrapped?)");
	if (read_range(p, &c, no, &start, &last, &closer) < 0)
		return LINE_ERROR;
	bool inclusive = closer == ']';
	u128 end = inclusive ? last + 1 : last;
	if (check_size(p, &c, no, end > start ? end - start : 0, &invalid) < 0)
		return LINE_ERROR;
	if (invalid && last == 0)
		end = start;          /* the kernel prints end 0 for NumberOfPages 0 */
	if (mn.body.p[0] == '[')
		fmt = inclusive ? FMT_LINUX_INCLUSIVE : FMT_LINUX_HALFOPEN;
	else
		fmt = mn.prefixed ? FMT_LINUX_TYPEATTR : FMT_LINUX_2006;
	struct parsed_map *m = memnn_map(p, fmt, mn.index, no);
	if (!m)
		return LINE_ERROR;
	if (mp_add_range(p, no, type, attr, start, end) < 0)
		return LINE_ERROR;
	m->last_index = mn.index;
	return LINE_MINE;
}

int linux_finish(struct parser *p, struct parsed_map *m)
{
	if (m->first_index > 0) {
		m->partial = true;
		mp_note(m, m->first_line, "listing starts at mem%02ld: mem00..mem%02ld are not "
			"in the text, so this is not the whole map", m->first_index,
			m->first_index - 1);
	}
	return 0;
}

bool linux_wants_join(struct cur line, struct cur next)
{
	struct memnn mn;

	if (!find_memnn(line, &mn) || cur_peek(&mn.body) != '[')
		return false;
	if (cur_find(&mn.body, "range=") || cur_find(&mn.body, "]"))
		return false;
	cur_skip_spaces(&next);
	return cur_peek(&next) == '|' || cur_peek(&next) == ']';
}

/* ---- address-first lines (arm64, memattr) ------------------------------------ */

/* After "efi:" [ "memattr:" ] blanks comes "0x<hex>-"? */
static bool find_addrfirst(struct cur line, struct cur *body, bool *memattr)
{
	const char *q = cur_find(&line, "efi:");
	if (!q)
		return false;
	struct cur c = { q + 4, line.end };
	cur_skip_spaces(&c);
	*memattr = cur_lit(&c, "memattr:");
	cur_skip_spaces(&c);
	struct cur probe = c;
	u128 v;
	if (cur_hex0x(&probe, &v) == NUM_NONE || !cur_lit(&probe, "-"))
		return false;
	*body = c;
	return true;
}

int linux_addr_line(struct parser *p, struct cur line, unsigned no)
{
	struct cur c;
	bool memattr;
	uint32_t type = 0;
	uint64_t attr = 0;
	u128 start = 0, last = 0;
	enum num_result r;

	if (!find_addrfirst(line, &c, &memattr))
		return LINE_NOT_MINE;
	r = cur_hex0x(&c, &start);
	if (r == NUM_HUGE)
		return mp_error(p, no, "range start is too large");
	cur_lit(&c, "-");
	r = cur_hex0x(&c, &last);
	if (r != NUM_OK)
		return mp_error(p, no, r == NUM_HUGE ? "range end is too large"
				: "expected 0x<hex> range end");
	cur_skip_spaces(&c);
	if (read_bracket(p, &c, no, &type, &attr) < 0)
		return LINE_ERROR;
	enum map_kind kind = memattr ? MAP_KIND_MEMATTR : MAP_KIND_EFI;
	struct parsed_map *m = mp_current(p);
	if (!m || m->format != FMT_LINUX_ADDRFIRST ||
	    (m->kind == MAP_KIND_MEMATTR) != memattr) {
		m = mp_begin(p, kind, FMT_LINUX_ADDRFIRST, memattr ?
			     "Linux: EFI memory attributes table" :
			     "Linux EFI memory map (address first)", no);
		if (!m)
			return LINE_ERROR;
	}
	if (mp_add_range(p, no, type, attr, start, last + 1) < 0)
		return LINE_ERROR;
	return LINE_MINE;
}

/* ---- Xen ------------------------------------------------------------------ */

/* Xen prints 13 hex digits; a shorter number is not this format. */
#define XEN_MIN_DIGITS 8

/* "(XEN)  0000000000000-0000000007fff type=3 attr=000000000000000f" */
int xen_efi_line(struct parser *p, struct cur line, unsigned no)
{
	struct cur c = line;
	const char *x = cur_find(&line, "(XEN)");
	u128 start = 0, last = 0, v = 0;
	enum num_result r;

	if (x)
		c.p = x + 5;
	cur_skip_spaces(&c);
	struct cur probe = c;
	unsigned nd = 0;
	if (cur_hex(&probe, &v, &nd) == NUM_NONE || nd < XEN_MIN_DIGITS || !cur_lit(&probe, "-") ||
	    cur_hex(&probe, &v, NULL) == NUM_NONE || cur_skip_spaces(&probe) == 0 ||
	    !cur_lit(&probe, "type="))
		return LINE_NOT_MINE;
	if (cur_hex(&c, &start, NULL) == NUM_HUGE)
		return mp_error(p, no, "range start is too large");
	cur_lit(&c, "-");
	if (cur_hex(&c, &last, NULL) == NUM_HUGE)
		return mp_error(p, no, "range end is too large");
	cur_skip_spaces(&c);
	cur_lit(&c, "type=");
	r = cur_dec(&c, &v);
	if (mp_want_num(p, no, "", r, v, (u128)1 << 32, "a 32-bit type number after 'type='") < 0)
		return LINE_ERROR;
	uint32_t type = (uint32_t)v;
	cur_skip_spaces(&c);
	if (!cur_lit(&c, "attr="))
		return mp_error(p, no, "expected 'attr=' after the type");
	r = cur_hex(&c, &v, NULL);
	if (mp_want_num(p, no, "", r, v, U64_LIMIT, "a 64-bit hex value after 'attr='") < 0)
		return LINE_ERROR;
	if (!mp_continue(p, MAP_KIND_EFI, FMT_XEN_EFI) &&
	    !mp_begin(p, MAP_KIND_EFI, FMT_XEN_EFI, "Xen: EFI memory map", no))
		return LINE_ERROR;
	if (mp_add_range(p, no, type, (uint64_t)v, start, last + 1) < 0)
		return LINE_ERROR;
	return LINE_MINE;
}

/* ---- section headers --------------------------------------------------------- */

static const struct {
	const char *text;
	enum map_kind kind;
	bool partial;
	const char *label;
} headers[] = {
	{ "EFI runtime memory map:", MAP_KIND_RUNTIME, false,
	  "Linux: EFI runtime memory map (the kernel's copy)" },
	{ "Processing EFI Memory Attributes table:", MAP_KIND_MEMATTR, false,
	  "Linux: EFI memory attributes table" },
	{ "Processing EFI memory map:", MAP_KIND_EFI, false,
	  "Linux: EFI memory map" },
	{ "Invalid EFI memory map entries:", MAP_KIND_EFI, true,
	  "Linux: only the entries the kernel rejected as invalid" },
	{ "EFI RAM map:", MAP_KIND_E820, false, "Xen: EFI RAM map (e820 form)" },
	{ "EFI memory map:", MAP_KIND_EFI, false, "EFI memory map" },
	{ "BIOS-provided physical RAM map:", MAP_KIND_E820, false,
	  "e820: BIOS-provided physical RAM map" },
	{ "extended physical RAM map:", MAP_KIND_E820, false,
	  "e820: extended map (split at setup_data)" },
	{ "modified physical RAM map:", MAP_KIND_E820, false,
	  "e820: modified physical RAM map" },
	{ "user-defined physical RAM map:", MAP_KIND_E820, false,
	  "e820: user-defined physical RAM map" },
	{ "Xen-e820 RAM map:", MAP_KIND_E820, false, "Xen: e820 RAM map" },
};

int linux_header(struct parser *p, struct cur line, unsigned no)
{
	char label[80];

	for (size_t i = 0; i < ARRAY_SIZE(headers); i++) {
		if (!cur_find(&line, headers[i].text))
			continue;
		bool xen = cur_find(&line, "(XEN)") && strncmp(headers[i].label, "Xen", 3);
		snprintf(label, sizeof(label), "%s%s", xen ? "Xen: " : "", headers[i].label);
		return mp_header(p, headers[i].kind, FMT_COUNT, label, headers[i].partial);
	}
	return LINE_NOT_MINE;
}
