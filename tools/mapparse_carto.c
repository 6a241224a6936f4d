/*
 * mapparse_carto.c - the dump the Carto EFI tool (memmap.efi) writes, v1:
 *
 *   Carto memory map dump v1
 *   firmware: <vendor> revision 0x<hex8>, UEFI <major>.<minor>
 *   descriptors: <count> of <size> bytes, version <n>
 *     idx type                   start              end                pages        size attributes
 *       0 BootServicesCode(3)    0x0000000000000000 0x0000000000001000            1   4.0 KiB 0x000000000000000f UC WC WT WB
 *   ...
 *   end of map: <count> descriptors
 *   (totals, warnings: ignored)
 *   Memory attributes table v<N>: <count> entries
 *     (rows as above)
 *
 * The kernel's 'fwmap' dump adds, after 'end of map', what its frame
 * allocator was given, so a plan can size the metadata as frame_init did:
 *
 *   frame allocator: <count> reservations, limit 0x<hex16>
 *     0x<start hex16> 0x<end hex16> <kind> <kind name>
 *   frame allocator metadata: <bytes> bytes
 *
 * The kind is enum frame_res_kind (frame.h) in decimal, the name is
 * ignored; the metadata line is for people and tests, and is ignored here.
 *
 * Columns: decimal index, Name(typenum) (the number is authoritative),
 * start and exclusive end (16 hex digits), decimal pages, a human size
 * (ignored), the attributes in hex, then their names (ignored). The end
 * must be start + pages * 4 KiB; where that passes 2^64 the dump prints
 * 0xffffffffffffffff, and the entry is kept for memmap_from_efi to report.
 * An "error:" line where rows belong is the tool saying it could not read
 * the map; it is passed on as the error. Our own format, so read strictly:
 * inside the table every line must be a row, and a missing "end of map"
 * line or a count that does not add up means the dump is truncated.
 */
#include <stdio.h>
#include <string.h>

#include "mapparse_int.h"

#define CARTO_MAGIC   "Carto memory map dump v"
#define CARTO_VERSION 1
#define MEMATTR_MAGIC "Memory attributes table v"
/* Tokens the human size may take ("4.0 KiB"). */
#define SIZE_TOKENS_MAX 3

static bool blank(struct cur c)
{
	cur_skip_spaces(&c);
	return cur_eol(&c);
}

/* Starts with s (after blanks)? Then the cursor is past it. */
static bool starts(struct cur *c, const char *s)
{
	struct cur t = *c;
	cur_skip_spaces(&t);
	if (!cur_lit(&t, s))
		return false;
	*c = t;
	return true;
}

/* Read a number of the dump at *c with @read into *v, or an error naming
 * the field. (Read first, then check: the value must not be fetched
 * before the reader has stored it.) */
static int number(struct parser *p, unsigned no, enum num_result (*read)(struct cur *, u128 *),
		  struct cur *c, u128 *v, u128 limit, const char *what)
{
	enum num_result r = read(c, v);
	return mp_want_num(p, no, "Carto dump: ", r, *v, limit, what);
}

/* ---- header lines ---------------------------------------------------------- */

/* "Carto memory map dump v1": open a new map. */
static int dump_start(struct parser *p, struct cur c, unsigned no)
{
	u128 v = 0;

	if (number(p, no, cur_dec, &c, &v, U64_LIMIT, "the dump version") < 0)
		return LINE_ERROR;
	if (v != CARTO_VERSION)
		return mp_error(p, no, "Carto dump version %llu: this analyzer reads v%d",
				(unsigned long long)v, CARTO_VERSION);
	if (!mp_begin(p, MAP_KIND_EFI, FMT_CARTO, "Carto dump: firmware memory map", no))
		return LINE_ERROR;
	p->carto = CARTO_HEADER;
	p->carto_rows = 0;
	p->carto_expect = 0;
	p->carto_start_line = no;
	p->carto_map = -1;
	return LINE_MINE;
}

/* "firmware: <vendor> revision 0x<hex8>, UEFI <major>.<minor>" */
static int firmware_line(struct parser *p, struct parsed_map *m, struct cur c,
			 unsigned no)
{
	const char *rev = NULL;
	u128 v = 0, major = 0, minor = 0;

	cur_skip_spaces(&c);
	for (const char *q = cur_find(&c, " revision 0x"); q; ) {
		rev = q;
		struct cur rest = { q + 1, c.end };
		q = cur_find(&rest, " revision 0x");
	}
	if (!rev)
		return mp_error(p, no, "Carto dump: firmware line without ' revision 0x'");
	snprintf(m->fw_vendor, sizeof(m->fw_vendor), "%.*s", (int)(rev - c.p), c.p);
	c.p = rev + strlen(" revision ");
	if (number(p, no, cur_hex0x, &c, &v, (u128)1 << 32, "a 32-bit firmware revision") < 0)
		return LINE_ERROR;
	m->fw_revision = (uint32_t)v;
	if (!cur_lit(&c, ", UEFI "))
		return mp_error(p, no, "Carto dump: expected ', UEFI <major>.<minor>'");
	if (number(p, no, cur_dec, &c, &major, 1u << 16, "the UEFI major version") < 0)
		return LINE_ERROR;
	if (!cur_lit(&c, "."))
		return mp_error(p, no, "Carto dump: expected '.' in the UEFI version");
	if (number(p, no, cur_dec, &c, &minor, 1u << 16, "the UEFI minor version") < 0)
		return LINE_ERROR;
	m->uefi_major = (unsigned)major;
	m->uefi_minor = (unsigned)minor;
	m->has_header = true;
	return LINE_MINE;
}

/* "descriptors: <count> of <size> bytes, version <n>" */
static int descriptors_line(struct parser *p, struct parsed_map *m, struct cur c,
			    unsigned no)
{
	u128 count = 0, size = 0, version = 0;

	cur_skip_spaces(&c);
	if (number(p, no, cur_dec, &c, &count, MAPPARSE_MAX_DESCS + 1,
		   "the descriptor count") < 0)
		return LINE_ERROR;
	if (!cur_lit(&c, " of "))
		return mp_error(p, no, "Carto dump: expected '<count> of <size> bytes'");
	if (number(p, no, cur_dec, &c, &size, 1u << 16, "the descriptor size") < 0)
		return LINE_ERROR;
	if (!cur_lit(&c, " bytes, version "))
		return mp_error(p, no, "Carto dump: expected 'bytes, version <n>'");
	if (number(p, no, cur_dec, &c, &version, (u128)1 << 32,
		   "the descriptor version") < 0)
		return LINE_ERROR;
	m->declared_count = (uint64_t)count;
	m->desc_size = (uint32_t)size;
	m->desc_version = (uint32_t)version;
	p->carto_expect = (uint64_t)count;
	p->carto = CARTO_ROWS;
	return LINE_MINE;
}

/* ---- rows -------------------------------------------------------------- */

/* "Name(typenum)" -> the number. */
static int row_type(struct parser *p, struct cur *c, unsigned no, uint32_t *type)
{
	const char *s = c->p;
	while (!cur_eol(c) && !is_space(*c->p))
		c->p++;
	const char *e = c->p, *open = NULL;
	for (const char *q = s; q < e; q++)
		if (*q == '(')
			open = q;
	if (!open || e - s < 3 || e[-1] != ')')
		return mp_error(p, no, "Carto dump: expected the type as Name(number)");
	struct cur n = { open + 1, e - 1 };
	u128 v = 0;
	enum num_result r = cur_hex0x(&n, &v);
	if (r == NUM_NONE)
		r = cur_dec(&n, &v);
	if (mp_want_num(p, no, "Carto dump: ", r, v, (u128)1 << 32, "a 32-bit type number") < 0)
		return -1;
	if (!cur_eol(&n))
		return mp_error(p, no, "Carto dump: junk in the type number");
	*type = (uint32_t)v;
	return 0;
}

/* One descriptor row; @index is the row number it must carry. */
static int row(struct parser *p, struct cur c, unsigned no, uint64_t index)
{
	struct efi_mem_desc d;
	u128 idx = 0, start = 0, end = 0, pages = 0, attr = 0;

	memset(&d, 0, sizeof(d));
	cur_skip_spaces(&c);
	if (number(p, no, cur_dec, &c, &idx, U64_LIMIT, "the row index") < 0)
		return -1;
	if (idx != index)
		return mp_error(p, no, "Carto dump: row %llu where row %llu was expected "
				"(rows lost or reordered)", (unsigned long long)idx,
				(unsigned long long)index);
	cur_skip_spaces(&c);
	if (row_type(p, &c, no, &d.type) < 0)
		return -1;
	cur_skip_spaces(&c);
	if (number(p, no, cur_hex0x, &c, &start, U64_LIMIT, "the 0x start address") < 0)
		return -1;
	cur_skip_spaces(&c);
	if (number(p, no, cur_hex0x, &c, &end, U64_LIMIT, "the 0x end address") < 0)
		return -1;
	cur_skip_spaces(&c);
	if (number(p, no, cur_dec, &c, &pages, U64_LIMIT, "the page count") < 0)
		return -1;
	for (int t = 0; t <= SIZE_TOKENS_MAX; t++) {
		cur_skip_spaces(&c);
		struct cur probe = c;
		if (cur_hex0x(&probe, &attr) != NUM_NONE)
			break;
		while (!cur_eol(&c) && !is_space(*c.p))
			c.p++;
	}
	if (number(p, no, cur_hex0x, &c, &attr, U64_LIMIT, "the 0x attributes") < 0)
		return -1;
	/* An end past 2^64 is printed saturated (or wrapped, by older dumps). */
	u128 want = start + (pages << EFI_PAGE_SHIFT);
	bool overflows = want >= U64_LIMIT;
	if (end != want && !(overflows && (end == UINT64_MAX || end == (uint64_t)want)))
		return mp_error(p, no, "Carto dump: end 0x%016llx is not start + %llu pages",
				(unsigned long long)end, (unsigned long long)pages);
	d.phys_start = (uint64_t)start;
	d.num_pages = (uint64_t)pages;
	d.attr = (uint64_t)attr;
	return mp_add_desc(p, no, &d);
}

/* ---- the state machine -------------------------------------------------- */

static int rows_state(struct parser *p, struct cur c, unsigned no)
{
	struct parsed_map *m = mp_current(p);
	u128 count = 0;

	if (blank(c) || starts(&c, "idx"))
		return LINE_MINE;
	if (starts(&c, "end of map:")) {
		cur_skip_spaces(&c);
		if (number(p, no, cur_dec, &c, &count, U64_LIMIT, "the count") < 0)
			return LINE_ERROR;
		if (count != p->carto_expect || p->carto_rows != p->carto_expect)
			return mp_error(p, no, "Carto dump: 'end of map' says %llu descriptors, "
					"the header %llu, and %llu rows were read",
					(unsigned long long)count,
					(unsigned long long)p->carto_expect,
					(unsigned long long)p->carto_rows);
		p->carto = CARTO_TRAILER;
		p->carto_map = p->cur;
		return mp_close(p) < 0 ? LINE_ERROR : LINE_MINE;
	}
	if (starts(&c, "error:")) {
		cur_skip_spaces(&c);
		return mp_error(p, no, "the dump tool could not read the map: %.*s",
				(int)(c.end - c.p), c.p);
	}
	if (starts(&c, CARTO_MAGIC))
		return mp_error(p, no, "Carto dump truncated: a new dump starts before "
				"'end of map' (%llu of %llu descriptors read)",
				(unsigned long long)p->carto_rows,
				(unsigned long long)p->carto_expect);
	if (p->carto_rows == p->carto_expect)
		return mp_error(p, no, "Carto dump: more rows than the %llu announced",
				(unsigned long long)p->carto_expect);
	if (!m || row(p, c, no, p->carto_rows) < 0)
		return LINE_ERROR;
	p->carto_rows++;
	return LINE_MINE;
}

/* "Memory attributes table v<N>: <count> entries" */
static int memattr_start(struct parser *p, struct cur c, unsigned no)
{
	u128 version = 0, count = 0;

	if (number(p, no, cur_dec, &c, &version, (u128)1 << 32,
		   "the table version") < 0)
		return LINE_ERROR;
	if (!cur_lit(&c, ":"))
		return mp_error(p, no, "Carto dump: expected ':' after the table version");
	cur_skip_spaces(&c);
	if (number(p, no, cur_dec, &c, &count, MAPPARSE_MAX_DESCS + 1,
		   "the entry count") < 0)
		return LINE_ERROR;
	if (!mp_begin(p, MAP_KIND_MEMATTR, FMT_CARTO,
		      "Carto dump: EFI memory attributes table", no))
		return LINE_ERROR;
	mp_current(p)->declared_count = (uint64_t)count;
	p->carto_expect = (uint64_t)count;
	p->carto_rows = 0;
	p->carto_start_line = no;
	p->carto = CARTO_MEMATTR;
	if (count == 0) {
		p->carto = CARTO_TRAILER;
		return mp_close(p) < 0 ? LINE_ERROR : LINE_MINE;
	}
	return LINE_MINE;
}

static int memattr_state(struct parser *p, struct cur c, unsigned no)
{
	if (blank(c) || starts(&c, "idx"))
		return LINE_MINE;
	struct cur probe = c;
	u128 v;
	cur_skip_spaces(&probe);
	if (cur_dec(&probe, &v) == NUM_NONE)
		return mp_error(p, no, "Carto dump: memory attributes table truncated "
				"(%llu of %llu entries)", (unsigned long long)p->carto_rows,
				(unsigned long long)p->carto_expect);
	if (row(p, c, no, p->carto_rows) < 0)
		return LINE_ERROR;
	if (++p->carto_rows == p->carto_expect) {
		p->carto = CARTO_TRAILER;
		return mp_close(p) < 0 ? LINE_ERROR : LINE_MINE;
	}
	return LINE_MINE;
}

/* "frame allocator: <count> reservations, limit 0x<hex>" after a dump's
 * 'end of map': the kernel's frame_init inputs for that map. */
static int reservations_start(struct parser *p, struct cur c, unsigned no)
{
	u128 count = 0, limit = 0;

	if (p->carto_map < 0 || (size_t)p->carto_map >= p->mf->count)
		return mp_error(p, no, "Carto dump: 'frame allocator:' without a map before it");
	struct parsed_map *m = &p->mf->maps[p->carto_map];
	if (m->has_frame_inputs)
		return mp_error(p, no, "Carto dump: a second 'frame allocator:' section for one map");
	cur_skip_spaces(&c);
	if (number(p, no, cur_dec, &c, &count, FRAME_MAX_RESERVED, "the reservation count") < 0)
		return LINE_ERROR;
	if (!starts(&c, "reservations, limit"))
		return mp_error(p, no, "Carto dump: expected 'reservations, limit 0x...' after "
				"the reservation count");
	cur_skip_spaces(&c);
	if (number(p, no, cur_hex0x, &c, &limit, U64_LIMIT, "the limit") < 0)
		return LINE_ERROR;
	m->has_frame_inputs = true;
	m->frame_limit = (uint64_t)limit;
	m->frame_res_count = 0;
	p->carto_expect = (uint64_t)count;
	p->carto_rows = 0;
	p->carto = count ? CARTO_RESERVATIONS : CARTO_TRAILER;
	return LINE_MINE;
}

/* "0x<start> 0x<end> <kind> <name>" */
static int reservations_state(struct parser *p, struct cur c, unsigned no)
{
	struct parsed_map *m = &p->mf->maps[p->carto_map];
	u128 start = 0, end = 0, kind = 0;

	cur_skip_spaces(&c);
	struct cur probe = c;
	if (!cur_lit(&probe, "0x"))
		return mp_error(p, no, "Carto dump: frame allocator reservations truncated "
				"(%llu of %llu rows)", (unsigned long long)p->carto_rows,
				(unsigned long long)p->carto_expect);
	if (number(p, no, cur_hex0x, &c, &start, U64_LIMIT, "the reservation start") < 0)
		return LINE_ERROR;
	cur_skip_spaces(&c);
	if (number(p, no, cur_hex0x, &c, &end, U64_LIMIT, "the reservation end") < 0)
		return LINE_ERROR;
	cur_skip_spaces(&c);
	if (number(p, no, cur_dec, &c, &kind, FRAME_RES_METADATA, "the reservation kind") < 0)
		return LINE_ERROR;
	if (end < start)
		return mp_error(p, no, "Carto dump: reservation ends before it starts");
	m->frame_res[m->frame_res_count++] = (struct frame_reservation){
		(paddr_t)start, (paddr_t)end, (uint32_t)kind, 0 };
	if (++p->carto_rows == p->carto_expect)
		p->carto = CARTO_TRAILER;
	return LINE_MINE;
}

int carto_line(struct parser *p, struct cur c, unsigned no)
{
	struct parsed_map *m = mp_current(p);

	switch (p->carto) {
	case CARTO_OUTSIDE:
		return starts(&c, CARTO_MAGIC) ? dump_start(p, c, no) : LINE_NOT_MINE;
	case CARTO_HEADER:
		if (blank(c))
			return LINE_MINE;
		if (starts(&c, "firmware:"))
			return firmware_line(p, m, c, no);
		if (starts(&c, "descriptors:"))
			return descriptors_line(p, m, c, no);
		return mp_error(p, no, "Carto dump: expected 'firmware:' or 'descriptors:' "
				"header lines");
	case CARTO_ROWS:
		return rows_state(p, c, no);
	case CARTO_TRAILER:
		if (starts(&c, CARTO_MAGIC))
			return dump_start(p, c, no);
		if (starts(&c, MEMATTR_MAGIC))
			return memattr_start(p, c, no);
		if (starts(&c, "frame allocator:"))
			return reservations_start(p, c, no);
		return LINE_MINE;
	case CARTO_MEMATTR:
		return memattr_state(p, c, no);
	case CARTO_RESERVATIONS:
		return reservations_state(p, c, no);
	}
	return LINE_NOT_MINE;
}

int carto_eof(struct parser *p, unsigned last_line)
{
	switch (p->carto) {
	case CARTO_HEADER:
	case CARTO_ROWS:
		return mp_error(p, last_line, "Carto dump truncated: no 'end of map' line "
				"(%llu of %llu descriptors read; dump began at line %u)",
				(unsigned long long)p->carto_rows,
				(unsigned long long)p->carto_expect, p->carto_start_line);
	case CARTO_MEMATTR:
		return mp_error(p, last_line, "Carto dump: memory attributes table truncated "
				"(%llu of %llu entries)", (unsigned long long)p->carto_rows,
				(unsigned long long)p->carto_expect);
	case CARTO_RESERVATIONS:
		return mp_error(p, last_line, "Carto dump: frame allocator reservations truncated "
				"(%llu of %llu rows)", (unsigned long long)p->carto_rows,
				(unsigned long long)p->carto_expect);
	default:
		return 0;
	}
}
