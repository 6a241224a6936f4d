/*
 * mapparse_shell.c - the UEFI Shell's `memmap` command output.
 *
 *   EFI 1.10:  available  0000000000000000-000000000008EFFF  000000000000008F 000000000000000F
 *   EDK II:    Type       Start            End              # Pages          Attributes
 *              BS_Code    0000000000000000-0000000000007FFF 0000000000000008 000000000000000F
 *              ...
 *                Reserved  :         18,689 Pages (76,550,144 Bytes)
 *   -sfo:      MemoryMap,"Available","0","9FFFF","A0","F"
 *
 * End addresses are inclusive; the page count is authoritative and must
 * agree with the range. The EDK II summary (pages per type) is checked
 * against the listing when the listing ends: a mismatch means lines were
 * lost, and is an error. Types the shell cannot name are printed as hex
 * numbers.
 */
#include <string.h>

#include "mapparse_int.h"

static const struct {
	const char *name;
	uint32_t type;
} shell_types[] = {
	{ "Reserved", EFI_RESERVED },
	{ "LoaderCode", EFI_LOADER_CODE },
	{ "LoaderData", EFI_LOADER_DATA },
	{ "BS_Code", EFI_BS_CODE },
	{ "BS_Data", EFI_BS_DATA },
	{ "RT_Code", EFI_RT_CODE },
	{ "RT_Data", EFI_RT_DATA },
	{ "Available", EFI_CONVENTIONAL },
	{ "Unusable", EFI_UNUSABLE },
	{ "ACPI_Recl", EFI_ACPI_RECLAIM },
	{ "ACPI_NVS", EFI_ACPI_NVS },
	{ "MMIO", EFI_MMIO },
	{ "MemMapIO", EFI_MMIO },
	{ "MMIO_Port", EFI_MMIO_PORT },
	{ "MemPortIO", EFI_MMIO_PORT },
	{ "PalCode", EFI_PAL_CODE },
	{ "PAL_code", EFI_PAL_CODE },
	{ "Persistent", EFI_PERSISTENT },
	{ "Unaccepted", EFI_UNACCEPTED },
	/* the full names -sfo uses */
	{ "BootServiceCode", EFI_BS_CODE },
	{ "BootServiceData", EFI_BS_DATA },
	{ "RuntimeCode", EFI_RT_CODE },
	{ "RuntimeData", EFI_RT_DATA },
	{ "UnusableMemory", EFI_UNUSABLE },
	{ "ACPIReclaimMemory", EFI_ACPI_RECLAIM },
	{ "ACPIMemoryNVS", EFI_ACPI_NVS },
	{ "MemoryMappedIO", EFI_MMIO },
	{ "MemoryMappedIOPortSpace", EFI_MMIO_PORT },
};

/* The shell prints addresses with 16 digits; fewer than this is not it. */
#define MIN_ADDR_DIGITS 8

static bool is_word_char(char ch)
{
	return is_alpha(ch) || is_digit(ch) || ch == '_';
}


/* Type of a name, or of an all-hex token (a type the shell cannot name). */
static int shell_type(struct parser *p, unsigned no, const char *s, const char *e,
		      uint32_t *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(shell_types); i++) {
		if (span_equal_ci(s, e, shell_types[i].name)) {
			*type = shell_types[i].type;
			return 0;
		}
	}
	struct cur c = { s, e };
	u128 v = 0;
	if (cur_hex(&c, &v, NULL) == NUM_OK && cur_eol(&c) && v < ((u128)1 << 32)) {
		*type = (uint32_t)v;
		return 0;
	}
	return mp_error(p, no, "unknown memory type name '%.*s'", (int)(e - s), s);
}

/* ---- the summary -------------------------------------------------------------- */

/* Decimal with thousands separators ("18,689"). */
static bool read_grouped(struct cur *c, u128 *v)
{
	u128 x = 0;
	bool any = false;

	while (!cur_eol(c) && (is_digit(*c->p) || (*c->p == ',' && any))) {
		if (*c->p != ',') {
			if (x > (U64_LIMIT - 10) / 10)
				return false;
			x = x * 10 + (u128)(*c->p - '0');
			any = true;
		}
		c->p++;
	}
	*v = x;
	return any;
}

/*
 * "  Reserved  :         18,689 Pages (76,550,144 Bytes)": record it on
 * the open shell map. Not a summary line, or no shell map: not ours.
 */
static int summary_line(struct parser *p, struct cur c, unsigned no)
{
	struct parsed_map *m = mp_current(p);
	const char *s, *e;
	u128 pages, bytes;
	uint32_t type;

	if (!m || (m->format != FMT_SHELL_EDK2 && m->format != FMT_SHELL_OLD))
		return LINE_NOT_MINE;
	cur_skip_spaces(&c);
	if (cur_lit(&c, "Total Memory:"))
		return LINE_MINE;
	s = c.p;
	while (!cur_eol(&c) && is_word_char(*c.p))
		c.p++;
	e = c.p;
	cur_skip_spaces(&c);
	if (s == e || !cur_lit(&c, ":"))
		return LINE_NOT_MINE;
	cur_skip_spaces(&c);
	if (!read_grouped(&c, &pages) || !cur_lit(&c, " Pages ("))
		return LINE_NOT_MINE;
	if (!read_grouped(&c, &bytes) || !cur_lit(&c, " Bytes)"))
		return mp_error(p, no, "summary line: bad byte count");
	if (bytes != pages * EFI_PAGE_SIZE)
		return mp_error(p, no, "summary line: %llu pages are not %llu bytes",
				(unsigned long long)pages, (unsigned long long)bytes);
	if (shell_type(p, no, s, e, &type) < 0)
		return LINE_ERROR;
	if (m->summary_count == SHELL_SUMMARY_MAX)
		return mp_error(p, no, "more than %d summary lines", SHELL_SUMMARY_MAX);
	struct shell_summary_line *l = &m->summary[m->summary_count++];
	l->type = type;
	l->pages = (uint64_t)pages;
	l->line = no;
	return LINE_MINE;
}

static u128 listed_pages(const struct parsed_map *m, uint32_t type)
{
	u128 sum = 0;
	for (size_t i = 0; i < m->count; i++)
		if (m->descs[i].d.type == type)
			sum += m->descs[i].d.num_pages;
	return sum;
}

int shell_finish(struct parser *p, struct parsed_map *m)
{
	bool has_persistent = false;

	for (size_t i = 0; i < m->summary_count; i++)
		has_persistent |= m->summary[i].type == EFI_PERSISTENT;
	for (size_t i = 0; i < m->summary_count; i++) {
		const struct shell_summary_line *l = &m->summary[i];
		u128 listed = listed_pages(m, l->type);
		/* Shells without a Persistent line counted it as Available. */
		if (l->type == EFI_CONVENTIONAL && !has_persistent)
			listed += listed_pages(m, EFI_PERSISTENT);
		if (listed != l->pages)
			return mp_error(p, l->line, "the shell's summary counts %llu pages of "
					"this type but the listing above has %llu: lines are "
					"missing or changed", (unsigned long long)l->pages,
					(unsigned long long)(listed >= U64_LIMIT ? UINT64_MAX
							     : (uint64_t)listed));
	}
	return 0;
}

/* ---- listing lines --------------------------------------------------------- */

/* The open shell map, or a new one (EDK II style after a header). */
static struct parsed_map *listing_map(struct parser *p, enum map_format fmt,
				      unsigned no)
{
	struct parsed_map *m = mp_current(p);

	if (m && m->format == fmt)
		return m;
	if (fmt == FMT_SHELL_OLD && m && m->format == FMT_SHELL_EDK2)
		return m;
	if (fmt == FMT_SHELL_OLD && p->pending && p->pending_format == FMT_SHELL_EDK2)
		fmt = FMT_SHELL_EDK2;
	return mp_begin(p, MAP_KIND_EFI, fmt, fmt == FMT_SHELL_SFO ?
			"UEFI Shell: memmap -sfo" : "UEFI Shell: memmap", no);
}

/* Add the descriptor after checking start/end/pages agree (mod 2^64, as
 * the shell computes the end). */
static int add_checked(struct parser *p, unsigned no, uint32_t type, u128 start,
		       u128 last, u128 pages, u128 attr)
{
	struct efi_mem_desc d;

	if (start >= U64_LIMIT || last >= U64_LIMIT || pages >= U64_LIMIT || attr >= U64_LIMIT)
		return mp_error(p, no, "a number is wider than 64 bits");
	uint64_t want_last = (uint64_t)start + ((uint64_t)pages << EFI_PAGE_SHIFT) - 1;
	if ((uint64_t)last != want_last || (pages >> (64 - EFI_PAGE_SHIFT)) != 0)
		return mp_error(p, no, "page count 0x%llx does not match the range "
				"0x%llx-0x%llx", (unsigned long long)pages,
				(unsigned long long)start, (unsigned long long)last);
	memset(&d, 0, sizeof(d));
	d.type = type;
	d.phys_start = (uint64_t)start;
	d.num_pages = (uint64_t)pages;
	d.attr = (uint64_t)attr;
	return mp_add_desc(p, no, &d);
}

/* Read "hex-hex  hex hex" after the type name. */
static int listing_numbers(struct parser *p, struct cur *c, unsigned no,
			   u128 v[4])
{
	static const char *const what[4] = { "start", "end", "page count", "attributes" };

	for (int i = 0; i < 4; i++) {
		if (i == 1 && !cur_lit(c, "-"))
			return mp_error(p, no, "expected '-' between start and end");
		if (i >= 2 && cur_skip_spaces(c) == 0)
			return mp_error(p, no, "expected blanks before the %s", what[i]);
		enum num_result r = cur_hex(c, &v[i], NULL);
		if (r == NUM_NONE)
			return mp_error(p, no, "expected the %s (hex)", what[i]);
		if (r == NUM_HUGE)
			return mp_error(p, no, "the %s is wider than 64 bits", what[i]);
	}
	return 0;
}

static int listing_line(struct parser *p, struct cur c, unsigned no)
{
	const char *s, *e;
	u128 v[4];
	uint32_t type = 0;

	cur_skip_spaces(&c);
	s = c.p;
	while (!cur_eol(&c) && is_word_char(*c.p))
		c.p++;
	e = c.p;
	if (s == e || cur_skip_spaces(&c) == 0)
		return LINE_NOT_MINE;
	struct cur probe = c;
	unsigned nd = 0;
	if (cur_hex(&probe, &v[0], &nd) == NUM_NONE || nd < MIN_ADDR_DIGITS ||
	    !cur_lit(&probe, "-"))
		return LINE_NOT_MINE;
	if (listing_numbers(p, &c, no, v) < 0 || shell_type(p, no, s, e, &type) < 0)
		return LINE_ERROR;
	if (!listing_map(p, FMT_SHELL_OLD, no))
		return LINE_ERROR;
	if (add_checked(p, no, type, v[0], v[1], v[2], v[3]) < 0)
		return LINE_ERROR;
	return LINE_MINE;
}

/* One "..." field of an -sfo line into [*s, *e). */
static bool sfo_field(struct cur *c, const char **s, const char **e)
{
	if (!cur_lit(c, ",\""))
		return false;
	*s = c->p;
	while (!cur_eol(c) && *c->p != '"')
		c->p++;
	*e = c->p;
	return cur_lit(c, "\"");
}

static int sfo_line(struct parser *p, struct cur c, unsigned no)
{
	const char *fs[5], *fe[5];
	u128 v[4];
	uint32_t type = 0;

	for (int i = 0; i < 5; i++)
		if (!sfo_field(&c, &fs[i], &fe[i]))
			return mp_error(p, no, "memmap -sfo line: expected 5 quoted fields");
	for (int i = 0; i < 4; i++) {
		struct cur f = { fs[i + 1], fe[i + 1] };
		enum num_result r = cur_hex(&f, &v[i], NULL);
		if (r != NUM_OK || !cur_eol(&f))
			return mp_error(p, no, "memmap -sfo line: field %d is not a 64-bit hex number",
					i + 2);
	}
	if (shell_type(p, no, fs[0], fe[0], &type) < 0)
		return LINE_ERROR;
	if (!listing_map(p, FMT_SHELL_SFO, no))
		return LINE_ERROR;
	if (add_checked(p, no, type, v[0], v[1], v[2], v[3]) < 0)
		return LINE_ERROR;
	return LINE_MINE;
}

int shell_line(struct parser *p, struct cur line, unsigned no)
{
	struct cur c = line;

	cur_skip_spaces(&c);
	if (cur_lit(&c, "MemoryMap")) {
		if (cur_peek(&c) == ',')
			return sfo_line(p, c, no);
		if (cur_lit(&c, "Summary,"))
			return LINE_MINE;
		return LINE_NOT_MINE;
	}
	if (cur_lit(&c, "ShellCommand,\"memmap\""))
		return mp_header(p, MAP_KIND_EFI, FMT_SHELL_SFO, "UEFI Shell: memmap -sfo", false);
	c = line;
	cur_skip_spaces(&c);
	if (cur_lit(&c, "Type") && cur_skip_spaces(&c) && cur_lit(&c, "Start") &&
	    cur_skip_spaces(&c) && cur_lit(&c, "End") && cur_skip_spaces(&c) &&
	    cur_lit(&c, "# Pages"))
		return mp_header(p, MAP_KIND_EFI, FMT_SHELL_EDK2, "UEFI Shell: memmap", false);
	int r = summary_line(p, line, no);
	if (r != LINE_NOT_MINE)
		return r;
	return listing_line(p, line, no);
}
