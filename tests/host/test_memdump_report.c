/*
 * test_memdump_report.c - host tests of the dump tool's pure code: the
 * report text (efi/memdump/report.c), names and sizes (efi/common/
 * efinames.c) and the small printf (efi/common/textbuf.c).
 *
 * Those files build for the EFI app, not into the host library, so they
 * are compiled into this test directly. Maps are laid out with a
 * descriptor size larger than struct efi_mem_desc and junk in the padding,
 * so a reader that steps by sizeof shows garbage rows. Buffers are
 * allocated at their exact size, so ASan catches any read past them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "../../efi/common/efinames.c"
#include "../../efi/common/textbuf.c"
#include "../../efi/memdump/report.c"

#define PG 4096ull
#define WB_ALL (EFI_MEMORY_UC | EFI_MEMORY_WC | EFI_MEMORY_WT | EFI_MEMORY_WB)
#define RT EFI_MEMORY_RUNTIME
#define STRIDE 56          /* a firmware descriptor size > 40 */
#define JUNK 0xa5

struct d {
	uint32_t type;
	uint64_t start, pages, attr;
};

/* Encode @n descriptors @stride bytes apart, junk in between. */
static void *encode(const struct d *in, size_t n, size_t stride)
{
	unsigned char *buf = malloc(n * stride + 1);

	memset(buf, JUNK, n * stride);
	for (size_t i = 0; i < n; i++) {
		struct efi_mem_desc e = { .type = in[i].type,
					  .phys_start = in[i].start,
					  .virt_start = 0x1234,
					  .num_pages = in[i].pages,
					  .attr = in[i].attr };
		memcpy(buf + i * stride, &e, sizeof(e));
	}
	return buf;
}

/* Build the report for a map (and optional MAT) into a malloc'd string. */
static char *build(const struct d *map, size_t n, size_t stride,
		   const struct mat_view *mat, bool *truncated)
{
	void *enc = encode(map, n, stride);
	struct dump_input in = {
		.fw_vendor = "Test Vendor", .fw_revision = 0x10000,
		.uefi_revision = (2 << 16) | 70, .map = enc,
		.map_size = n * stride, .desc_size = stride,
		.desc_version = 1, .mat = mat,
	};
	size_t cap = report_size_bound(&in);
	char *text = malloc(cap);
	struct textbuf tb;

	tb_init(&tb, text, cap);
	report_build(&tb, &in);
	if (truncated)
		*truncated = tb.truncated;
	free(enc);
	return text;
}

/* Show a report under a failed check, as TAP comment lines. */
static void diag_text(const char *text)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		printf("#   | %.*s\n", len, p);
		p += len + (nl != NULL);
	}
}

static size_t count_lines_with(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- textbuf and names ------------------------------------------------- */

static void test_printf(void)
{
	char b[64];

	fmt_buf(b, sizeof(b), "[%5zu|%-6s|%016lx|%d|%u]", (size_t)42, "ab",
		(uint64_t)0xbeef, -17, 7u);
	TAP_CHECK(!strcmp(b, "[   42|ab    |000000000000beef|-17|7]"),
		  "printf widths, flags and lengths (got \"%s\")", b);
	fmt_buf(b, sizeof(b), "%lu %x %c%%", UINT64_MAX, 0xabcu, 'z');
	TAP_CHECK(!strcmp(b, "18446744073709551615 abc z%"),
		  "printf extremes (got \"%s\")", b);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
	fmt_buf(b, sizeof(b), "a%qb%");   /* a bad format on purpose */
#pragma GCC diagnostic pop
	TAP_CHECK(!strcmp(b, "a%qb%"), "unknown conversions copied (got \"%s\")",
		  b);
	size_t n = fmt_buf(b, 8, "%s", "0123456789");
	TAP_CHECK(n == 7 && !strcmp(b, "0123456"),
		  "fmt_buf cuts at its capacity and terminates (got \"%s\")", b);
	struct textbuf tb;
	tb_init(&tb, b, 4);
	tb_printf(&tb, "abcdef");
	TAP_CHECK(tb.truncated && tb.len == 3 && !strcmp(b, "abc"),
		  "textbuf overflow is flagged and stays terminated");
}

static void test_names(void)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} sizes[] = {
		{ 0, "0 B" }, { 512, "512 B" }, { 4096, "4.0 KiB" },
		{ 636 * KiB, "636.0 KiB" }, { 1023 * KiB + 1000, "1024 KiB" },
		{ 258 * PG, "1.0 MiB" }, { 7 * MiB + 24 * KiB, "7.0 MiB" },
		{ 3 * GiB + 512 * MiB, "3.5 GiB" }, { UINT64_MAX, "16.0 EiB" },
	};
	char b[32];

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		efiu_human_size(sizes[i].bytes, b, sizeof(b));
		TAP_CHECK(!strcmp(b, sizes[i].text), "human size of %llu is %s "
			  "(got %s)", (unsigned long long)sizes[i].bytes,
			  sizes[i].text, b);
	}
	char a[128];
	efiu_attr_names(RT | EFI_MEMORY_XP | EFI_MEMORY_RO |
			EFI_MEMORY_CPU_CRYPTO | (1ull << 20) | (1ull << 40),
			a, sizeof(a));
	TAP_CHECK(!strcmp(a, " XP RO CPU-crypto RUNTIME unknown=0x10000100000"),
		  "attribute names with unknown bits (got \"%s\")", a);
	TAP_CHECK(!strcmp(efiu_type_name(EFI_ACPI_NVS), "ACPINVS") &&
			  !strcmp(efiu_type_name(EFI_UNACCEPTED), "Unaccepted") &&
			  !strcmp(efiu_type_name(16), "Unknown") &&
			  !strcmp(efiu_type_name(0x80000000u), "Unknown"),
		  "type names");
	uint64_t end;
	TAP_CHECK(!efiu_desc_end(UINT64_MAX - PG + 1, 1, &end) &&
			  end == UINT64_MAX &&
			  !efiu_desc_end(0, 1ull << 52, &end) &&
			  efiu_desc_end(UINT64_MAX - 2 * PG + 1, 1, &end) &&
			  end == UINT64_MAX - PG + 1,
		  "descriptor ends that do not fit in 64 bits are refused");
}

/* ---- reports ------------------------------------------------------------ */

static void test_clean_map(void)
{
	static const struct d map[] = {
		{ EFI_BS_CODE, 0, 1, WB_ALL },
		{ EFI_CONVENTIONAL, 0x1000, 159, WB_ALL },
		{ EFI_RT_CODE, 0x100000, 16, WB_ALL | RT },
		{ EFI_MMIO, 0xffc00000, 1024, EFI_MEMORY_UC | RT },
	};
	static const struct d mat_rows[] = {
		{ EFI_RT_CODE, 0x100000, 4, RT | EFI_MEMORY_RO },
		{ EFI_RT_CODE, 0x104000, 12, RT | EFI_MEMORY_XP },
	};
	void *mat_enc = encode(mat_rows, 2, 48);
	struct mat_view mat = { .version = 2, .count = 2, .desc_size = 48,
				.flags = 1, .entries = mat_enc };
	bool truncated;
	char *r = build(map, ARRAY_SIZE(map), STRIDE, &mat, &truncated);

	TAP_CHECK(!truncated, "clean report fits its size bound");
	static const char head[] =
		"Carto memory map dump v1\n"
		"firmware: Test Vendor revision 0x00010000, UEFI 2.70\n"
		"descriptors: 4 of 56 bytes, version 1\n"
		"  idx type                   start              end"
		"                pages        size attributes\n"
		"    0 BootServicesCode(3)    0x0000000000000000 "
		"0x0000000000001000            1   4.0 KiB "
		"0x000000000000000f UC WC WT WB\n";
	TAP_CHECK(!strncmp(r, head, strlen(head)),
		  "header and first row exactly as specified");
	TAP_CHECK(strstr(r, "\n    3 MMIO(11)               0x00000000ffc00000 "
			 "0x0000000100000000         1024   4.0 MiB "
			 "0x8000000000000001 UC RUNTIME\n") != NULL,
		  "last row read at 3 * descriptor size, not 3 * sizeof");
	TAP_CHECK(strstr(r, "\nend of map: 4 descriptors\n") != NULL,
		  "end of map count");
	TAP_CHECK(strstr(r, "\n  Conventional(7)                  1          159 "
			 "636.0 KiB\n") != NULL &&
			  strstr(r, "\n  all                              4         "
				 "1200   4.7 MiB\n") != NULL,
		  "totals per type and overall");
	if (!TAP_CHECK(strstr(r, "\nwarnings: none\n") != NULL,
		       "no warnings for a clean map"))
		diag_text(r);
	TAP_CHECK(strstr(r, "\nmemory attributes table: descriptor size 48 "
			 "bytes, flags 0x00000001\nMemory attributes table v2: 2 "
			 "entries\n") != NULL &&
			  strstr(r, "\n    1 RuntimeServicesCode(5) "
				 "0x0000000000104000 0x0000000000110000           "
				 "12  48.0 KiB 0x8000000000004000 XP RUNTIME\n"
				 "end of table: 2 entries\n") != NULL,
		  "memory attributes table section");
	static const char tail[] = "\nend of table: 2 entries\n";
	TAP_CHECK(strlen(r) > strlen(tail) &&
			  !strcmp(r + strlen(r) - strlen(tail), tail),
		  "report ends with the table's last line");
	free(r);
	free(mat_enc);
}

static void test_odd_map(void)
{
	static const struct d map[] = {
		{ EFI_CONVENTIONAL, 0x200000, 16, WB_ALL },     /* 0 */
		{ EFI_BS_DATA, 0x100000, 4, WB_ALL },           /* 1 unsorted */
		{ EFI_RESERVED, 0, 0, 0 },                      /* 2 zero, unsorted */
		{ EFI_LOADER_DATA, 0x201800, 2, WB_ALL },       /* 3 unaligned, overlaps 0 */
		{ EFI_MMIO, UINT64_MAX - PG + 1, 2, EFI_MEMORY_UC }, /* 4 overflow */
		{ EFI_CONVENTIONAL, 1ull << 52, 1, WB_ALL },    /* 5 past 2^52 */
		{ 0x70000001u, 0x300000, 1, WB_ALL | (1ull << 20) }, /* 6 OEM type, bit 20 */
	};
	char *r = build(map, ARRAY_SIZE(map), STRIDE, NULL, NULL);
	static const char *const want[] = {
		"warning: descriptor 2: zero length (0 pages) at 0x0000000000000000",
		"warning: descriptor 3: start 0x0000000000201800 is not 4 KiB aligned",
		"warning: descriptor 4: 0xfffffffffffff000 + 2 pages overflows 64 bits",
		"warning: descriptor 5: ends at 0x0010000000001000, past the 52-bit",
		"warning: descriptor 6: unknown type 1879048193 (0x70000001, OEM range)",
		"warning: descriptor 6: attribute bits 0x0000000000100000 not defined",
		"warning: descriptor 1: starts at 0x0000000000100000, below entry 0",
		"warning: descriptor 2: starts at 0x0000000000000000, below entry 1",
		"warning: descriptor 5: starts at 0x0010000000000000, below entry 4",
		"warning: descriptor 6: starts at 0x0000000000300000, below entry 5",
		"warning: descriptor 0 overlaps entry 3: [0x0000000000200000, "
		"0x0000000000210000) and [0x0000000000201800, 0x0000000000203800)",
	};

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		TAP_CHECK(strstr(r, want[i]) != NULL, "odd map warns: %s", want[i]);
	/* 6 + 4 unsorted + 1 overlap: descriptor 4 (saturated at the top) and
	 * the zero-length one overlap nothing. */
	size_t n = count_lines_with(r, "  warning: ");
	if (!TAP_CHECK(strstr(r, "\nwarnings: 11\n") != NULL && n == 11,
		       "exactly the expected warnings (%zu lines)", n))
		diag_text(r);
	TAP_CHECK(strstr(r, "    4 MMIO(11)               0xfffffffffffff000 "
			 "0xffffffffffffffff            2") != NULL,
		  "an overflowing row shows end 0xffffffffffffffff");
	TAP_CHECK(strstr(r, "    6 Unknown(1879048193)    0x0000000000300000") &&
			  strstr(r, "0x000000000010000f UC WC WT WB "
				 "unknown=0x100000\n"),
		  "unknown type and attribute bits shown in the row");
	free(r);
}

static void test_bad_sizes(void)
{
	static const struct d map[] = { { EFI_CONVENTIONAL, 0, 1, WB_ALL } };
	void *enc = encode(map, 1, 48);
	struct dump_input in = { .fw_vendor = "V", .map = enc, .map_size = 40,
				 .desc_size = 32, .desc_version = 1 };
	char text[4096];
	struct textbuf tb;

	tb_init(&tb, text, sizeof(text));
	report_build(&tb, &in);
	TAP_CHECK(strstr(text, "error: descriptor size 32 is smaller than a "
			  "descriptor (40 bytes)") && !strstr(text, "end of map"),
		  "a too-small descriptor size is an error, not a table");

	in.desc_size = 44;       /* not a multiple of 8, map_size 48 */
	in.map_size = 48;
	in.desc_version = 2;
	tb_init(&tb, text, sizeof(text));
	report_build(&tb, &in);
	TAP_CHECK(strstr(text, "descriptor version 2 (this tool knows version 1)") &&
			  strstr(text, "descriptor size 44 is not a multiple of 8") &&
			  strstr(text, "map size 48 is not a multiple of the "
				 "descriptor size; 4 trailing bytes ignored") &&
			  strstr(text, "\nend of map: 1 descriptors\n"),
		  "odd descriptor size and version are warned about");

	struct mat_view mat = { .version = 1, .count = 1, .desc_size = 24,
				.entries = enc };
	in = (struct dump_input){ .fw_vendor = "V", .map = enc, .map_size = 48,
				  .desc_size = 48, .desc_version = 1,
				  .mat = &mat };
	tb_init(&tb, text, sizeof(text));
	report_build(&tb, &in);
	TAP_CHECK(strstr(text, "error: attributes table descriptor size 24") &&
			  !strstr(text, "Memory attributes table v"),
		  "a too-small attributes table descriptor is refused");
	mat.desc_size = 48;
	mat.count = 1000000;
	tb_init(&tb, text, sizeof(text));
	report_build(&tb, &in);
	TAP_CHECK(strstr(text, "claims 1000000 entries") != NULL,
		  "an implausible attributes table count is refused");
	free(enc);
}

static void test_mat_checks(void)
{
	static const struct d map[] = {
		{ EFI_RT_DATA, 0x100000, 4, WB_ALL | RT },
		{ EFI_CONVENTIONAL, 0x104000, 4, WB_ALL },
	};
	static const struct d rows[] = {
		{ EFI_RT_DATA, 0x101000, 1, RT | EFI_MEMORY_XP },
		{ EFI_RT_DATA, 0x100000, 2, RT | EFI_MEMORY_XP },  /* unsorted, overlaps 0 */
		{ EFI_CONVENTIONAL, 0x104000, 1, RT },              /* wrong type, outside */
	};
	void *mat_enc = encode(rows, 3, 48);
	struct mat_view mat = { .version = 3, .count = 3, .desc_size = 48,
				.entries = mat_enc };
	char *r = build(map, 2, 48, &mat, NULL);

	if (!TAP_CHECK(strstr(r, "attributes table version 3 (this tool knows 1 and 2)") &&
			  strstr(r, "attributes table entry 2: type Conventional(7), "
				 "expected runtime code or data") &&
			  strstr(r, "attributes table entry 2: [0x0000000000104000, "
				 "0x0000000000105000) is not inside one runtime") &&
			  strstr(r, "attributes table entry 1: starts at") &&
			  strstr(r, "attributes table entry 0 overlaps entry 1") &&
			  strstr(r, "\nwarnings: 5\n"),
		  "attributes table problems are warned about"))
		diag_text(r);
	free(r);
	free(mat_enc);
}

/* A big, bad map: the size bound must hold and warnings be capped. */
static void test_bound(void)
{
	enum { N = 3000 };
	struct d *map = calloc(N, sizeof(*map));
	bool truncated;

	for (size_t i = 0; i < N; i++)   /* all overlapping, descending */
		map[i] = (struct d){ 0x80000000u + (uint32_t)i, (N - i) * PG,
				     N, UINT64_MAX };
	char *r = build(map, N, STRIDE, NULL, &truncated);
	TAP_CHECK(!truncated, "a %d-descriptor garbage map fits the size bound", N);
	TAP_CHECK(count_lines_with(r, "  warning: ") == REPORT_MAX_WARNING_LINES &&
			  strstr(r, "more warnings not shown\n") != NULL,
		  "warning lines are capped at %d", REPORT_MAX_WARNING_LINES);
	TAP_CHECK(strstr(r, "  other types ") != NULL,
		  "types beyond the totals' slots are lumped together");
	free(r);
	free(map);
}

int main(void)
{
	tap_plan_unknown();
	test_printf();
	test_names();
	test_clean_map();
	test_odd_map();
	test_bad_sizes();
	test_mat_checks();
	test_bound();
	return tap_done();
}
