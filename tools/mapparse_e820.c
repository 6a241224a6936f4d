/*
 * mapparse_e820.c - e820 tables as Linux and Xen print them.
 *
 *   BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable     (inclusive)
 *   reserve setup_data: [mem 0x...-0x...] usable                      (inclusive)
 *   BIOS-e820: 0000000000000000 - 000000000009f800 (usable)           (2.6: exclusive)
 *   (XEN)  [0000000000000000, 000000000009ffff] (usable)               (inclusive)
 *
 * e820 types become EFI types (mapparse.h). An e820 table is sorted and
 * byte granular; a start below the previous one begins a new table. When
 * a table ends its entries become page-granular descriptors: pieces of
 * one type split at a byte boundary (Linux splits usable RAM around
 * setup_data) are joined, then RAM is rounded inward and everything else
 * outward to 4 KiB, each change noted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapparse_int.h"

/* Where a table line comes from, as the text says it. */
static const struct {
	const char *anchor;
	const char *label;
	bool only_mem_form;     /* only "[mem a-b] type" lines count */
} sources[] = {
	{ "BIOS-e820:", "e820: BIOS-e820 table", false },
	{ "reserve setup_data:", "e820: table after reserving setup_data", false },
	{ "modified:", "e820: modified table", true },
	{ "user:", "e820: user-defined table", true },
	{ "e820:", "e820 table", true },
	{ "(XEN)", "Xen: e820-style table", false },
};

/* e820 type numbers (ACPI spec, Linux's e820 types). */
enum {
	E820_USABLE = 1,
	E820_RESERVED = 2,
	E820_ACPI = 3,
	E820_NVS = 4,
	E820_UNUSABLE = 5,
	E820_PMEM = 7,
	E820_PRAM = 12,
};

static const struct {
	const char *name;
	uint32_t e820;
} e820_names[] = {
	{ "usable", E820_USABLE },
	{ "reserved", E820_RESERVED },
	{ "ACPI data", E820_ACPI },
	{ "ACPI NVS", E820_NVS },
	{ "unusable", E820_UNUSABLE },
	{ "persistent (type 7)", E820_PMEM },
	{ "persistent (type 12)", E820_PRAM },
	{ "persistent", E820_PMEM },
};

/* EFI type for an e820 type number; false if Carto does not know it. */
static bool e820_to_efi(uint32_t e820, uint32_t *efi)
{
	switch (e820) {
	case E820_USABLE:   *efi = EFI_CONVENTIONAL; return true;
	case E820_RESERVED: *efi = EFI_RESERVED; return true;
	case E820_ACPI:     *efi = EFI_ACPI_RECLAIM; return true;
	case E820_NVS:      *efi = EFI_ACPI_NVS; return true;
	case E820_UNUSABLE: *efi = EFI_UNUSABLE; return true;
	case E820_PMEM:
	case E820_PRAM:     *efi = EFI_PERSISTENT; return true;
	default:            *efi = EFI_RESERVED; return false;
	}
}


/*
 * Read the type text [s, e) into ent (efi_type, ram, and the e820 number
 * with known = false if Carto has no EFI equivalent for it).
 */
static int read_type(struct parser *p, const char *s, const char *e,
		     unsigned no, struct e820_ent *ent)
{
	uint32_t e820 = 0;
	bool found = false;

	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	for (size_t i = 0; i < ARRAY_SIZE(e820_names) && !found; i++) {
		if (span_equal_ci(s, e, e820_names[i].name)) {
			e820 = e820_names[i].e820;
			found = true;
		}
	}
	if (!found && span_equal_ci(s, e, "soft reserved")) {
		ent->efi_type = EFI_RESERVED;
		ent->soft_reserved = true;
		return 0;
	}
	struct cur c = { s, e };
	if (!found && cur_lit(&c, "type ")) {
		u128 v = 0;
		enum num_result r = cur_hex0x(&c, &v);
		if (r == NUM_NONE)
			r = cur_dec(&c, &v);
		if (r != NUM_OK || v >= ((u128)1 << 32) || !cur_eol(&c))
			return mp_error(p, no, "bad e820 type number '%.*s'", (int)(e - s), s);
		e820 = (uint32_t)v;
		found = true;
	}
	if (!found)
		return mp_error(p, no, "unknown e820 type '%.*s'", (int)(e - s), s);
	ent->e820_type = e820;
	ent->known = e820_to_efi(e820, &ent->efi_type);
	ent->ram = e820 == E820_USABLE;
	return 0;
}

/* Read a hex number with or without "0x" that must fit 64 bits. */
static int read_addr(struct parser *p, struct cur *c, unsigned no, u128 *v,
		     const char *what)
{
	enum num_result r = cur_hex0x(c, v);
	if (r == NUM_NONE)
		r = cur_hex(c, v, NULL);
	if (r == NUM_NONE)
		return mp_error(p, no, "expected the %s address", what);
	if (r == NUM_HUGE || *v >= U64_LIMIT)
		return mp_error(p, no, "%s address is wider than 64 bits", what);
	return 0;
}

/* Which form the rest of the line (after the anchor) has, if any. */
static enum map_format line_form(struct cur c, bool only_mem_form)
{
	u128 v;

	cur_skip_spaces(&c);
	if (cur_lit(&c, "[mem "))
		return FMT_E820;
	if (only_mem_form)
		return FMT_COUNT;
	if (cur_lit(&c, "[")) {
		if (cur_hex(&c, &v, NULL) != NUM_NONE && cur_lit(&c, ","))
			return FMT_E820_XEN;
		return FMT_COUNT;
	}
	if (cur_hex0x(&c, &v) == NUM_NONE && cur_hex(&c, &v, NULL) == NUM_NONE)
		return FMT_COUNT;
	cur_skip_spaces(&c);
	return cur_lit(&c, "-") ? FMT_E820_OLD : FMT_COUNT;
}

/* Parse the entry of form @fmt at c into ent. */
static int read_entry(struct parser *p, struct cur c, unsigned no,
		      enum map_format fmt, struct e820_ent *ent)
{
	u128 a = 0, b = 0;
	const char *close;

	cur_skip_spaces(&c);
	if (fmt == FMT_E820) {
		cur_lit(&c, "[mem ");
		if (read_addr(p, &c, no, &a, "start") < 0)
			return -1;
		if (!cur_lit(&c, "-"))
			return mp_error(p, no, "expected '-' between start and end");
		if (read_addr(p, &c, no, &b, "end") < 0)
			return -1;
		if (!cur_lit(&c, "]"))
			return mp_error(p, no, "expected ']' after the end address");
		b += 1;
		close = c.end;
	} else {
		bool xen = fmt == FMT_E820_XEN;
		if (xen)
			cur_lit(&c, "[");
		if (read_addr(p, &c, no, &a, "start") < 0)
			return -1;
		cur_skip_spaces(&c);
		if (!cur_lit(&c, xen ? "," : "-"))
			return mp_error(p, no, "expected '%s' between start and end", xen ? "," : "-");
		cur_skip_spaces(&c);
		if (read_addr(p, &c, no, &b, "end") < 0)
			return -1;
		if (xen && !cur_lit(&c, "]"))
			return mp_error(p, no, "expected ']' after the end address");
		if (xen)
			b += 1;
		cur_skip_spaces(&c);
		if (!cur_lit(&c, "("))
			return mp_error(p, no, "expected '(type)' after the range");
		close = c.end;
		while (close > c.p && close[-1] != ')')
			close--;
		if (close == c.p)
			return mp_error(p, no, "no ')' closing the type");
		close--;
	}
	if (b < a)
		return mp_error(p, no, "range end is below its start");
	ent->start = a;
	ent->end = b;
	ent->line = no;
	return read_type(p, c.p, close, no, ent);
}

/* The map an entry joins: the open one if same source and form and the
 * table is still ascending, else a new one. */
static struct parsed_map *entry_map(struct parser *p, enum map_format fmt,
				    const char *label, const struct e820_ent *ent)
{
	struct parsed_map *m = mp_current(p);

	if (m && m->format == fmt && m->kind == MAP_KIND_E820 &&
	    strcmp(p->e820_source, label) == 0 && p->e820_count > 0 &&
	    ent->start >= p->e820[p->e820_count - 1].start)
		return m;
	m = mp_begin(p, MAP_KIND_E820, fmt, label, ent->line);
	if (m)
		snprintf(p->e820_source, sizeof(p->e820_source), "%s", label);
	return m;
}

static int stage(struct parser *p, const struct e820_ent *ent)
{
	if (p->e820_count >= MAPPARSE_MAX_DESCS)
		return mp_error(p, ent->line, "more than %u entries in one e820 table",
				MAPPARSE_MAX_DESCS);
	if (p->e820_count == p->e820_cap) {
		size_t cap = p->e820_cap ? 2 * p->e820_cap : 64;
		struct e820_ent *n = realloc(p->e820, cap * sizeof(*n));
		if (!n)
			return mp_error(p, ent->line, "out of memory");
		p->e820 = n;
		p->e820_cap = cap;
	}
	p->e820[p->e820_count++] = *ent;
	return 0;
}

int e820_line(struct parser *p, struct cur line, unsigned no)
{
	for (size_t i = 0; i < ARRAY_SIZE(sources); i++) {
		const char *q = cur_find(&line, sources[i].anchor);
		if (!q)
			continue;
		struct cur c = { q + strlen(sources[i].anchor), line.end };
		enum map_format fmt = line_form(c, sources[i].only_mem_form);
		if (fmt == FMT_COUNT)
			continue;
		struct e820_ent ent;
		memset(&ent, 0, sizeof(ent));
		ent.known = true;
		if (read_entry(p, c, no, fmt, &ent) < 0)
			return LINE_ERROR;
		struct parsed_map *m = entry_map(p, fmt, sources[i].label, &ent);
		if (!m || stage(p, &ent) < 0)
			return LINE_ERROR;
		if (ent.soft_reserved)
			mp_note(m, no, "e820 'soft reserved' (EFI_MEMORY_SP) memory is "
				"treated as reserved");
		if (!ent.known)
			mp_note(m, no, "e820 type %u is not a type Carto knows: treated "
				"as reserved", ent.e820_type);
		m->last_line = no;
		return LINE_MINE;
	}
	return LINE_NOT_MINE;
}

/* ---- turning a finished table into descriptors --------------------------- */

#define PAGE_MASK128 ((u128)EFI_PAGE_SIZE - 1)

static bool page_aligned(u128 x)
{
	return (x & PAGE_MASK128) == 0;
}

/* Join pieces of one type that meet at a boundary inside a page. */
static size_t join_split_pieces(struct parsed_map *m, struct e820_ent *e, size_t n)
{
	size_t w = 0;

	for (size_t r = 0; r < n; r++) {
		if (w > 0 && e[w - 1].end == e[r].start && !page_aligned(e[r].start) &&
		    e[w - 1].efi_type == e[r].efi_type && e[w - 1].ram == e[r].ram) {
			mp_note(m, e[r].line, "joined with the piece above: same type, "
				"split inside a page");
			e[w - 1].end = e[r].end;
			continue;
		}
		e[w++] = e[r];
	}
	return w;
}

int e820_finish(struct parser *p, struct parsed_map *m)
{
	char a[40], b[40];
	size_t n = join_split_pieces(m, p->e820, p->e820_count);

	for (size_t i = 0; i < n; i++) {
		struct e820_ent *e = &p->e820[i];
		u128 start = e->start, end = e->end;
		if (e->ram) {
			start = (start + PAGE_MASK128) & ~PAGE_MASK128;
			end &= ~PAGE_MASK128;
		} else {
			start &= ~PAGE_MASK128;
			end = (end + PAGE_MASK128) & ~PAGE_MASK128;
		}
		if (e->ram && end <= start) {
			mp_note(m, e->line, "usable piece smaller than a page once rounded "
				"inward: dropped");
			continue;
		}
		if (start != e->start || end != e->end)
			mp_note(m, e->line, "not page aligned: %s rounded to [%s, %s)",
				e->ram ? "RAM shrunk inward" : "grown outward",
				u128_hex(a, start), u128_hex(b, end));
		if (mp_add_range(p, e->line, e->efi_type, 0, start, end) < 0)
			return -1;
	}
	return 0;
}
