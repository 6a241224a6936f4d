/*
 * test_mapparse.c - the memory-map parsers, the analysis and the plan.
 *
 *  1. Every map in tests/data/memmaps parses into the maps, kinds, formats
 *     and descriptor counts listed below, and its bytes per type equal the
 *     totals listed below. Those totals were computed outside this code
 *     (by reading each file with separate regular expressions, one per
 *     format, and summing end - start per type), not by the parser.
 *  2. The UEFI Shell listing with a summary agrees with the shell's own
 *     summary lines, read here with sscanf.
 *  3. The plan of every map keeps Carto's invariants: the direct map built
 *     by dmap_build in an arena of exactly the planned number of tables
 *     maps each RAM byte once, at DMAP_BASE + pa, RW NX, nothing else, and
 *     every leaf (huge or not) lies inside RAM; the page counts are the
 *     planned ones. With and without 1 GiB pages.
 *  4. Hand-made inputs: each format's bad lines give the right line and
 *     message; the Carto dump's truncation and count checks; special
 *     cases (UTF-16, wrapped lines, invalid entries, >64-bit ranges,
 *     unknown types, unaligned e820, map selection).
 */
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "analyze.h"
#include "arena.h"
#include "mapparse.h"
#include "plan.h"
#include "pt_check.h"
#include "frame.h"
#include "tap.h"
#include "testdata.h"

#define MAX_MAPS   3
#define MAX_TOTALS 12

struct want_total {
	uint32_t type;
	uint64_t bytes;
};

struct want_map {
	enum map_kind kind;
	enum map_format fmt;
	size_t count;              /* descriptors */
	bool partial;
	uint64_t ram;              /* clean map RAM bytes */
	struct want_total tot[MAX_TOTALS];   /* zero bytes ends the list */
};

struct want_file {
	const char *name;
	size_t default_map;        /* 0-based */
	struct want_map maps[MAX_MAPS];
};

/* Totals computed independently of the parser (see the top comment). */
static const struct want_file files[] = {
	{ "02-apple-macmini3-1-efi110-198-entries.txt", 0, {
	  { MAP_KIND_EFI, FMT_LINUX_TYPEATTR, 198, false, 1875079168, {
	    {0, 268460032}, {1, 1261568}, {2, 490582016}, {3, 2244608}, {4, 82489344},
	    {5, 159744}, {6, 131072}, {7, 1298423808}, {9, 77824}, {10, 2211840},
	    {11, 4198400} } } } },
	{ "03-intel-mac-2006-efi-shell-memmap.txt", 0, {
	  { MAP_KIND_EFI, FMT_SHELL_OLD, 33, false, 2126635008, {
	    {1, 1196032}, {2, 856064}, {3, 1110016}, {4, 24379392}, {5, 155648},
	    {6, 184320}, {7, 2099007488}, {9, 86016}, {10, 2289664}, {11, 217088} } } } },
	{ "04-intel-mac-2006-linux-efi-memmap.txt", 0, {
	  { MAP_KIND_EFI, FMT_LINUX_2006, 35, false, 2126635008, {
	    {1, 274432}, {2, 53219328}, {3, 1110016}, {4, 23748608}, {5, 155648},
	    {6, 184320}, {7, 2048196608}, {9, 86016}, {10, 2289664}, {11, 217088} } } } },
	{ "07-phoenix-notebook-zero-length-reserved-entries.txt", 0, {
	  { MAP_KIND_EFI, FMT_LINUX_INCLUSIVE, 5, true, 0, { {0, 0} } } } },
	{ "08-lenovo-g50-amd-insyde-efi.txt", 0, {
	  { MAP_KIND_EFI, FMT_LINUX_TYPEATTR, 56, false, 5327306752, {
	    {0, 1092755456}, {1, 1261568}, {2, 723451904}, {3, 3846144}, {4, 51568640},
	    {5, 2097152}, {6, 2195456}, {7, 4546916352}, {9, 262144}, {10, 1056768},
	    {11, 75517952} } } } },
	{ "09-lenovo-g50-amd-insyde-e820.txt", 0, {
	  { MAP_KIND_E820, FMT_E820, 20, false, 5327306752, {
	    {0, 1172566016}, {7, 5327044608}, {9, 262144}, {10, 1056768} } } } },
	{ "10-qemu-i440fx-ovmf-3g-efi.txt", 0, {
	  { MAP_KIND_EFI, FMT_LINUX_INCLUSIVE, 46, false, 3217465344, {
	    {0, 126976}, {1, 36421632}, {2, 33759232}, {3, 4280320}, {4, 31834112},
	    {5, 266240}, {6, 1335296}, {7, 3111137280}, {9, 32768}, {10, 1638400},
	    {11, 4194304} } } } },
	{ "11-qemu-i440fx-ovmf-3g-e820-and-setup-data.txt", 0, {
	  { MAP_KIND_E820, FMT_E820, 18, false, 3217465344, {
	    {0, 5922816}, {7, 3217432576}, {9, 32768}, {10, 1638400} } },
	  /* 22 lines; the 5 usable pieces split at setup_data join into 1 */
	  { MAP_KIND_E820, FMT_E820, 18, false, 3217465344, {
	    {0, 5922816}, {7, 3217432576}, {9, 32768}, {10, 1638400} } } } },
	{ "13-intel-desktop-opencore-shell-memmap.txt", 0, {
	  { MAP_KIND_EFI, FMT_SHELL_EDK2, 85, false, 4175286272, {
	    {0, 76550144}, {1, 1642496}, {2, 1048576}, {3, 6606848}, {4, 195575808},
	    {5, 598016}, {6, 3588096}, {7, 3970392064}, {9, 20480}, {10, 9191424},
	    {11, 83927040} } } } },
	{ "15-hyperv-gen2-vm-e820.txt", 0, {
	  { MAP_KIND_E820, FMT_E820, 16, false, 4294029312, {
	    {0, 30150656}, {7, 4293865472}, {9, 163840}, {10, 16384} } } } },
	{ "17-qemu-virt-arm64-uboot-efi-64k-pages.txt", 0, {
	  { MAP_KIND_EFI, FMT_LINUX_ADDRFIRST, 34, false, 17179766784, {
	    {1, 123969536}, {2, 38100992}, {4, 106496}, {5, 65536}, {6, 36864},
	    {7, 17015463936}, {9, 2125824} } } } },
	{ "18-qemu-i440fx-ovmf-3g-runtime-map-and-memattr.txt", 0, {
	  { MAP_KIND_RUNTIME, FMT_LINUX_INCLUSIVE, 38, false, 3217432576, {
	    {1, 36421632}, {2, 33759232}, {3, 4280320}, {4, 31834112}, {5, 266240},
	    {6, 1335296}, {7, 3111137280}, {11, 4194304} } },
	  { MAP_KIND_MEMATTR, FMT_LINUX_ADDRFIRST, 28, false, 0, {
	    {5, 266240}, {6, 1335296} } } } },
	{ "19-supermicro-skylake-sp-128g-xen-efi-memmap.txt", 1, {
	  { MAP_KIND_E820, FMT_E820_XEN, 13, false, 137081032704, {
	    {0, 658370560}, {7, 137081032704}, {10, 10080256} } },
	  { MAP_KIND_EFI, FMT_XEN_EFI, 40, false, 137081032704, {
	    {0, 311324672}, {1, 18874368}, {2, 73420800}, {3, 11685888}, {4, 179036160},
	    {5, 1748992}, {6, 34766848}, {7, 136798015488}, {10, 10080256},
	    {11, 310530048} } } } },
	{ "20-vmware-vm-efi-e820.txt", 0, {
	  { MAP_KIND_E820, FMT_E820, 17, false, 8589004800, {
	    {0, 929792}, {7, 8588771328}, {9, 233472}, {10, 40960} } },
	  /* 23 lines; 7 usable pieces split at setup_data join into 1 */
	  { MAP_KIND_E820, FMT_E820, 17, false, 8589004800, {
	    {0, 929792}, {7, 8588771328}, {9, 233472}, {10, 40960} } } } },
	{ "21-dell-pro16-lunar-lake-2025-e820-efi-mmio-removal.txt", 0, {
	  { MAP_KIND_E820, FMT_E820, 13, false, 16667385856, {
	    {0, 697028608}, {7, 16664711168}, {9, 2674688}, {10, 8785920} } } } },
};

/* ---- helpers -------------------------------------------------------------- */

/* Parse a string; returns the parse result. */
static int parse_str(struct map_file *mf, const char *s, struct parse_error *e)
{
	return mapfile_parse(mf, s, strlen(s), e);
}

/* ---- plan invariants ---------------------------------------------------- */

struct leaf_state {
	struct range runs[4096];     /* RAM runs below DMAP_MAX_PHYS */
	size_t nruns, at;
	paddr_t last_end;
	uint64_t bytes, bad, by_level[PT_LEVELS + 1];
	char first_bad[200];
};

static void leaf_bad(struct leaf_state *s, const char *what, const struct pt_leaf *l)
{
	if (s->bad++ == 0)
		snprintf(s->first_bad, sizeof(s->first_bad), "%s: va %#llx pa %#llx level %u",
			 what, (unsigned long long)l->va, (unsigned long long)l->pa, l->level);
}

static void check_leaf(void *ctx, const struct pt_leaf *l)
{
	struct leaf_state *s = ctx;
	uint64_t size = PT_LEVEL_SIZE(l->level);

	s->by_level[l->level]++;
	if (l->va < DMAP_BASE || l->va >= DMAP_END || l->va - DMAP_BASE != l->pa)
		return leaf_bad(s, "leaf outside the direct map or not at DMAP_BASE + pa", l);
	if (l->pa < s->last_end)
		return leaf_bad(s, "leaf overlaps the previous one", l);
	if (!(l->pte & PTE_W) || !(l->pte & PTE_NX) || (l->pte & PTE_U) || !(l->pte & PTE_G))
		return leaf_bad(s, "leaf not RW NX global supervisor", l);
	while (s->at < s->nruns && s->runs[s->at].end <= l->pa)
		s->at++;
	if (s->at == s->nruns || l->pa < s->runs[s->at].start ||
	    l->pa + size > s->runs[s->at].end)
		return leaf_bad(s, "leaf not wholly inside RAM", l);
	s->last_end = l->pa + size;
	s->bytes += size;
}

/* RAM runs of m (adjacent RAM entries joined) below DMAP_MAX_PHYS, and
 * their total. Written here, separately from mm/ and tools/. */
static uint64_t ram_runs(const struct memmap *m, struct leaf_state *s)
{
	uint64_t total = 0;

	s->nruns = 0;
	for (size_t i = 0; i < m->count; i++) {
		const struct mem_entry *e = &m->entries[i];
		if (!mem_type_is_ram(e->type) || e->start >= DMAP_MAX_PHYS)
			continue;
		paddr_t end = MIN(e->end, DMAP_MAX_PHYS);
		if (s->nruns && s->runs[s->nruns - 1].end == e->start)
			s->runs[s->nruns - 1].end = end;
		else if (s->nruns < ARRAY_SIZE(s->runs))
			s->runs[s->nruns++] = (struct range){ e->start, end };
		total += end - e->start;
	}
	return total;
}

static void check_plan(const char *what, const struct memmap *m, bool has_1g)
{
	static struct leaf_state s;
	struct plan p;
	struct arena a;
	struct pt_space as;
	struct dmap_stats st;
	struct pt_scan scan;

	memset(&s, 0, sizeof(s));
	plan_make(m, NULL, has_1g, &p);
	uint64_t ram = ram_runs(m, &s);
	if (arena_init(&a, p.dm.tables + 1, ARENA_DEFAULT_PHYS) != 0) {
		TAP_CHECK(0, "%s: arena for %llu tables", what, (unsigned long long)p.dm.tables);
		return;
	}
	int r = pt_init(&as, &a.src, arena_window(&a), has_1g);
	if (r == E_OK)
		r = dmap_build(&as, m, DMAP_MAX_PHYS, &st);
	TAP_CHECK(r == E_OK, "%s%s: dmap_build fits in the %llu planned tables (%s)", what,
		  has_1g ? "" : " no-1g", (unsigned long long)p.dm.tables, status_name(r));
	pt_scan(&as, &a, check_leaf, &s, &scan);
	TAP_CHECK(scan.problems == 0 && s.bad == 0, "%s%s: every leaf is RAM at DMAP_BASE+pa, "
		  "RW NX, no overlap (%s%s)", what, has_1g ? "" : " no-1g", scan.first_problem,
		  s.first_bad);
	TAP_CHECK(s.bytes == ram && p.dm.ram_bytes == ram, "%s%s: RAM bytes mapped once each: "
		  "%llu mapped, %llu planned, %llu RAM", what, has_1g ? "" : " no-1g",
		  (unsigned long long)s.bytes, (unsigned long long)p.dm.ram_bytes,
		  (unsigned long long)ram);
	TAP_CHECK(s.by_level[1] == p.dm.pages_4k && s.by_level[2] == p.dm.pages_2m &&
		  s.by_level[3] == p.dm.pages_1g && (has_1g || p.dm.pages_1g == 0) &&
		  st.tables == p.dm.tables && a.live == p.dm.tables + 1,
		  "%s%s: built as planned: 4K %llu/%llu 2M %llu/%llu 1G %llu/%llu tables %llu/%llu",
		  what, has_1g ? "" : " no-1g",
		  (unsigned long long)s.by_level[1], (unsigned long long)p.dm.pages_4k,
		  (unsigned long long)s.by_level[2], (unsigned long long)p.dm.pages_2m,
		  (unsigned long long)s.by_level[3], (unsigned long long)p.dm.pages_1g,
		  (unsigned long long)st.tables, (unsigned long long)p.dm.tables);
	TAP_CHECK(p.window_chunks == (p.dm.tables * PAGE_SIZE + PT_POOL_CHUNK - 1) / PT_POOL_CHUNK,
		  "%s%s: window chunks %llu for %llu tables", what, has_1g ? "" : " no-1g",
		  (unsigned long long)p.window_chunks, (unsigned long long)p.dm.tables);
	arena_destroy(&a);
}

/* ---- the real maps (tests/data/memmaps) -------------------------------- */

static void check_totals(const char *what, const struct parsed_map *m,
			 const struct want_map *w)
{
	uint64_t want[EFI_MEM_TYPE_COUNT] = { 0 };
	bool ok = true;

	for (size_t i = 0; i < MAX_TOTALS && (w->tot[i].bytes || i == 0); i++)
		if (w->tot[i].type < EFI_MEM_TYPE_COUNT)
			want[w->tot[i].type] = w->tot[i].bytes;
	for (uint32_t t = 0; t < EFI_MEM_TYPE_COUNT; t++) {
		uint64_t got = map_raw_bytes_of_type(m, t);
		if (got != want[t]) {
			TAP_DIAG("%s: type %u: %llu bytes, want %llu", what, t,
				 (unsigned long long)got, (unsigned long long)want[t]);
			ok = false;
		}
	}
	TAP_CHECK(ok, "%s: bytes per type match the hand-computed totals", what);
}

static void check_file(const struct want_file *wf)
{
	char path[900], what[200];
	size_t len = 0;
	struct map_file mf;
	struct parse_error e = { 0 };
	char *data;
	size_t nmaps = 0;

	snprintf(path, sizeof(path), "%s/%s", testdata_memmaps(), wf->name);
	data = read_file(path, &len);
	if (!TAP_CHECK(data != NULL, "%s: readable", path))
		return;
	while (nmaps < MAX_MAPS && wf->maps[nmaps].count)
		nmaps++;
	int r = mapfile_parse(&mf, data, len, &e);
	free(data);
	if (!TAP_CHECK(r == 0, "%s: parses (%u: %s)", wf->name, e.line, e.msg))
		return;
	TAP_CHECK(mf.count == nmaps && mapfile_default(&mf) == wf->default_map,
		  "%s: %zu maps found (want %zu), default %zu (want %zu)", wf->name,
		  mf.count, nmaps, mapfile_default(&mf), wf->default_map);
	for (size_t i = 0; i < nmaps && i < mf.count; i++) {
		const struct parsed_map *m = &mf.maps[i];
		const struct want_map *w = &wf->maps[i];
		struct analysis a;
		char err[200];
		snprintf(what, sizeof(what), "%.40s map %zu", wf->name, i + 1);
		TAP_CHECK(m->kind == w->kind && m->format == w->fmt && m->count == w->count &&
			  m->partial == w->partial, "%s: %s, %s, %zu descriptors%s", what,
			  map_kind_name(m->kind), map_format_name(m->format), m->count,
			  m->partial ? ", partial" : "");
		check_totals(what, m, w);
		if (!TAP_CHECK(analyze_map(&a, &mf, i, err, sizeof(err)) == 0, "%s: analysis (%s)",
			       what, err)) {
			analysis_free(&a);
			continue;
		}
		TAP_CHECK(a.ram_bytes == w->ram, "%s: clean RAM %llu bytes (want %llu)", what,
			  (unsigned long long)a.ram_bytes, (unsigned long long)w->ram);
		check_plan(what, &a.clean, true);
		check_plan(what, &a.clean, false);
		analysis_free(&a);
	}
	mapfile_free(&mf);
}

/* The shell's own summary lines, read with sscanf, against the listing. */
static void check_shell_summary(void)
{
	static const struct { const char *name; uint32_t type; } names[] = {
		{ "Reserved", 0 }, { "LoaderCode", 1 }, { "LoaderData", 2 }, { "BS_Code", 3 },
		{ "BS_Data", 4 }, { "RT_Code", 5 }, { "RT_Data", 6 }, { "ACPI_Recl", 9 },
		{ "ACPI_NVS", 10 }, { "MMIO", 11 }, { "MMIO_Port", 12 }, { "PalCode", 13 },
		{ "Available", 7 }, { "Persistent", 14 },
	};
	char path[900], *data;
	size_t len = 0, lines = 0;
	struct map_file mf;
	struct parse_error e = { 0 };

	snprintf(path, sizeof(path), "%s/13-intel-desktop-opencore-shell-memmap.txt",
		 testdata_memmaps());
	data = read_file(path, &len);
	if (!TAP_CHECK(data && mapfile_parse(&mf, data, len, &e) == 0, "shell summary: %s parses",
		       path))
		return free(data);
	data[len] = '\0';
	for (char *l = strtok(data, "\n"); l; l = strtok(NULL, "\n")) {
		char name[32], pages_s[32];
		if (sscanf(l, " %31[A-Za-z_] : %31[0-9,] Pages", name, pages_s) != 2)
			continue;
		uint64_t pages = 0;
		for (char *c = pages_s; *c; c++)
			if (*c != ',')
				pages = pages * 10 + (uint64_t)(*c - '0');
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			if (strcmp(names[i].name, name) != 0)
				continue;
			uint64_t got = map_raw_bytes_of_type(&mf.maps[0], names[i].type) / EFI_PAGE_SIZE;
			TAP_CHECK(got == pages, "shell summary: %s %llu pages, parsed %llu", name,
				  (unsigned long long)pages, (unsigned long long)got);
			lines++;
		}
	}
	TAP_CHECK(lines == ARRAY_SIZE(names), "shell summary: %zu summary lines checked", lines);
	mapfile_free(&mf);
	free(data);
}

/* ---- bad inputs: each must fail at the right line with the right words --- */

static const struct {
	const char *what;
	const char *text;
	unsigned line;
	const char *words;
} bad[] = {
	{ "3.x bad attr", "efi: mem00: type=7, attr=0xf, range=[0x0-0x8f000) (0MB)\n"
	  "efi: mem01: type=7, attr=0xzz, range=[0x8f000-0x90000) (0MB)\n", 2, "attr=" },
	{ "3.x missing line", "efi: mem00: type=7, attr=0xf, range=[0x0-0x1000) (0MB)\n"
	  "efi: mem02: type=7, attr=0xf, range=[0x1000-0x2000) (0MB)\n", 2, "mem01 is missing" },
	{ "3.x type too big", "x\nefi: mem00: type=4294967296, attr=0xf, range=[0x0-0x1000) (0MB)\n",
	  2, "32-bit type" },
	{ "3.x not pages", "efi: mem00: type=7, attr=0xf, range=[0x0-0x1800) (0MB)\n", 1,
	  "whole number of 4 KiB pages" },
	{ "3.x end below start", "efi: mem00: type=7, attr=0xf, range=[0x2000-0x1000) (0MB)\n", 1,
	  "below its start" },
	{ "3.x size mismatch", "efi: mem00: type=7, attr=0xf, range=[0x0-0x1000000) (3MB)\n", 1,
	  "does not match" },
	{ "2006 cut line", "mem00: type=7, attr=0xf,\n", 1, "range=[" },
	{ "5.x unknown type", "\nefi: mem00: [Foo Code |   |WB] range=[0x0-0xfff] (0MB)\n", 2,
	  "unknown memory type name 'Foo Code'" },
	{ "5.x unknown column", "efi: mem00: [Boot Code|RUN|ZZ|WB] range=[0x0-0xfff] (0MB)\n", 1,
	  "unknown attribute column 'ZZ'" },
	{ "5.x start wider than 64 bits",
	  "efi: mem00: [Boot Code|WB] range=[0x10000000000000000-0x10000000000000fff] (0MB)\n", 1,
	  "wider than 64 bits" },
	{ "5.x huge number", "efi: mem00: [Boot Code|WB] range=[0x0-"
	  "0x1111111111111111111111111111111111111111] (0MB)\n", 1, "too large" },
	{ "4.x no bracket end", "efi: mem00: [Boot Code|WB range=[0x0-0x1000) (0MB)\n", 1,
	  "no ']' closing" },
	{ "arm64 bad range", "efi:   0x000040000000-0x00004000zfff [Conventional|WB]\n", 1,
	  "expected '['" },
	{ "xen bad attr", "(XEN)  0000000000000-0000000007fff type=3 attr=zz\n", 1, "attr=" },
	{ "e820 unknown type", "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
	  "BIOS-e820: [mem 0x00000000000a0000-0x00000000000fffff] bogus\n", 2,
	  "unknown e820 type 'bogus'" },
	{ "e820 missing ]", "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff usable\n", 1,
	  "expected ']'" },
	{ "e820 old form no type", "BIOS-e820: 0000000000000000 - 000000000009f800\n", 1,
	  "(type)" },
	{ "xen e820 reversed", "(XEN)  [0000000000100000, 0000000000000fff] (usable)\n", 1,
	  "below its start" },
	{ "shell pages mismatch",
	  "available  0000000000000000-000000000008EFFF  000000000000008E 000000000000000F\n", 1,
	  "does not match the range" },
	{ "shell unknown name",
	  "Type       Start            End              # Pages          Attributes\n"
	  "Frobnicated 0000000000000000-0000000000000FFF 0000000000000001 000000000000000F\n", 2,
	  "unknown memory type name 'Frobnicated'" },
	{ "shell summary mismatch",
	  "Type       Start            End              # Pages          Attributes\n"
	  "Available  0000000000000000-0000000000000FFF 0000000000000001 000000000000000F\n"
	  "\n  Available :              2 Pages (8,192 Bytes)\n", 4, "listing above has 1" },
	{ "shell summary bytes", "Type       Start            End              # Pages          Attributes\n"
	  "Available  0000000000000000-0000000000000FFF 0000000000000001 000000000000000F\n"
	  "  Available :              1 Pages (8,192 Bytes)\n", 3, "are not" },
	{ "sfo short", "MemoryMap,\"Available\",\"0\",\"FFF\"\n", 1, "5 quoted fields" },
	{ "no map", "hello\nworld\n", 0, "no memory map found" },
	{ "binary", "efi: mem00: type=7\0x", 1, "NUL" },
	{ "carto truncated", "Carto memory map dump v1\nfirmware: EDK II revision 0x00010000, UEFI 2.70\n"
	  "descriptors: 2 of 48 bytes, version 1\n"
	  "    0 BootServicesCode(3)    0x0000000000000000 0x0000000000001000            1   4.0 KiB 0x000000000000000f UC\n",
	  4, "no 'end of map'" },
	{ "carto count mismatch", "Carto memory map dump v1\ndescriptors: 2 of 48 bytes, version 1\n"
	  "    0 Conventional(7)    0x0000000000000000 0x0000000000001000            1   4.0 KiB 0x000000000000000f\n"
	  "end of map: 1 descriptors\n", 4, "'end of map' says 1" },
	{ "carto row skipped", "Carto memory map dump v1\ndescriptors: 2 of 48 bytes, version 1\n"
	  "    0 Conventional(7)    0x0000000000000000 0x0000000000001000            1   4.0 KiB 0x000000000000000f\n"
	  "    2 Conventional(7)    0x0000000000001000 0x0000000000002000            1   4.0 KiB 0x000000000000000f\n"
	  "end of map: 2 descriptors\n", 4, "row 2 where row 1" },
	{ "carto end mismatch", "Carto memory map dump v1\ndescriptors: 1 of 48 bytes, version 1\n"
	  "    0 Conventional(7)    0x0000000000000000 0x0000000000003000            1   4.0 KiB 0x000000000000000f\n"
	  "end of map: 1 descriptors\n", 3, "is not start + 1 pages" },
	{ "carto version", "Carto memory map dump v2\n", 1, "version 2" },
	{ "carto tool error", "Carto memory map dump v1\nfirmware: X revision 0x00000001, UEFI 2.70\n"
	  "descriptors: 0 of 8 bytes, version 1\nerror: descriptor size 8 is smaller than a "
	  "descriptor (40 bytes): the map cannot be read\n", 4, "could not read the map: descriptor size 8" },
	{ "carto no header", "Carto memory map dump v1\n    0 Conventional(7) 0x0 0x1000 1 4 KiB 0x0\n",
	  2, "'descriptors:'" },
	{ "carto bad type", "Carto memory map dump v1\ndescriptors: 1 of 48 bytes, version 1\n"
	  "    0 Conventional    0x0000000000000000 0x0000000000001000            1   4.0 KiB 0x000000000000000f\n",
	  3, "Name(number)" },
	{ "carto memattr truncated", "Carto memory map dump v1\ndescriptors: 0 of 48 bytes, version 1\n"
	  "end of map: 0 descriptors\nMemory attributes table v1: 2 entries\n"
	  "    0 RuntimeServicesCode(5) 0x0000000000001000 0x0000000000002000 1 4.0 KiB 0x8000000000020000 RO RUNTIME\n"
	  "totals:\n", 6, "memory attributes table truncated" },
#define FRAME_DUMP "Carto memory map dump v1\ndescriptors: 1 of 48 bytes, version 1\n" \
	"    0 Conventional(7)    0x0000000000000000 0x0000000000001000            1   4.0 KiB 0x000000000000000f\n" \
	"end of map: 1 descriptors\nframe allocator: 2 reservations, limit 0x0000400000000000\n"
	{ "carto frame reservations truncated", FRAME_DUMP
	  "  0x0000000000000000 0x0000000000100000 6 low memory\nframe allocator metadata: 64 bytes\n",
	  7, "frame allocator reservations truncated (1 of 2 rows)" },
	{ "carto frame reservation kind", FRAME_DUMP
	  "  0x0000000000000000 0x0000000000100000 7 allocator\n", 6, "reservation kind" },
	{ "carto frame reservation backwards", FRAME_DUMP
	  "  0x0000000000200000 0x0000000000100000 0 kernel\n", 6, "ends before it starts" },
	{ "carto frame section twice", FRAME_DUMP "  0x0 0x1000 6 low memory\n"
	  "  0x1000 0x2000 0 kernel\nframe allocator: 0 reservations, limit 0x0\n", 8,
	  "a second 'frame allocator:' section" },
	{ "carto descriptor count", "Carto memory map dump v1\n"
	  "descriptors: 8193 of 48 bytes, version 1\n", 2, "the descriptor count is too large" },
	{ "carto firmware revision", "Carto memory map dump v1\n"
	  "firmware: X revision 0x100000000, UEFI 2.70\n", 2, "firmware revision is too large" },
#undef FRAME_DUMP
};

static void check_bad_inputs(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct map_file mf;
		struct parse_error e = { 0 };
		size_t len = strlen(bad[i].text);
		if (strcmp(bad[i].what, "binary") == 0)
			len = 20;
		int r = mapfile_parse(&mf, bad[i].text, len, &e);
		TAP_CHECK(r < 0 && e.line == bad[i].line && strstr(e.msg, bad[i].words) &&
			  mf.count == 0, "bad input '%s': line %u: %s", bad[i].what, e.line, e.msg);
		if (r == 0)
			mapfile_free(&mf);
	}
}

/* ---- special inputs ----------------------------------------------------------- */

static const char carto_dump[] =
	"Carto memory map dump v1\n"
	"firmware: EDK II revision 0x00010000, UEFI 2.70\n"
	"descriptors: 5 of 48 bytes, version 1\n"
	"  idx type                   start              end                pages        size attributes\n"
	"    0 BootServicesCode(3)    0x0000000000000000 0x0000000000001000            1   4.0 KiB 0x000000000000000f UC WC WT WB\n"
	"    1 Conventional(7)        0x0000000000001000 0x00000000000a0000          159 636.0 KiB 0x000000000000000f UC WC WT WB\n"
	"    2 RuntimeServicesCode(5) 0x00000000000a0000 0x00000000000a2000            2   8.0 KiB 0x800000000000000f UC WC WT WB RUNTIME\n"
	"    3 Unknown(20)            0x0000000000100000 0x0000000000200000          256   1.0 MiB 0x000000000000000f UC WC WT WB\n"
	"    4 Conventional(7)        0xfffffffffffff000 0xffffffffffffffff            2   8.0 KiB 0x000000000000000f UC WC WT WB\n"
	"end of map: 5 descriptors\n"
	"\n"
	"totals per type:\n"
	"  Conventional   651264 bytes\n"
	"warnings:\n"
	"  descriptor 3: unknown type 20\n"
	"Memory attributes table v1: 2 entries\n"
	"  idx type                   start              end                pages        size attributes\n"
	"    0 RuntimeServicesCode(5) 0x00000000000a0000 0x00000000000a1000            1   4.0 KiB 0x8000000000020000 RO RUNTIME\n"
	"    1 RuntimeServicesCode(5) 0x00000000000a1000 0x00000000000a2000            1   4.0 KiB 0x8000000000004000 XP RUNTIME\n"
	"  (end)\n";

static void check_carto_dump(void)
{
	struct map_file mf;
	struct parse_error e = { 0 };
	struct analysis a;
	char err[200];

	if (!TAP_CHECK(parse_str(&mf, carto_dump, &e) == 0, "carto dump parses (%u: %s)",
		       e.line, e.msg))
		return;
	const struct parsed_map *m = &mf.maps[0];
	TAP_CHECK(mf.count == 2 && m->kind == MAP_KIND_EFI && m->format == FMT_CARTO &&
		  m->count == 5 && mf.maps[1].kind == MAP_KIND_MEMATTR && mf.maps[1].count == 2,
		  "carto dump: efi map of 5 and memattr table of 2 (%zu maps)", mf.count);
	TAP_CHECK(m->has_header && strcmp(m->fw_vendor, "EDK II") == 0 &&
		  m->fw_revision == 0x10000 && m->uefi_major == 2 && m->uefi_minor == 70 &&
		  m->desc_size == 48 && m->desc_version == 1, "carto dump: header read ('%s')",
		  m->fw_vendor);
	TAP_CHECK(m->descs[1].d.num_pages == 159 && m->descs[1].line == 6 &&
		  m->descs[3].d.type == 20 && m->descs[2].d.attr == 0x800000000000000full &&
		  mf.maps[1].descs[0].d.attr == 0x8000000000020000ull,
		  "carto dump: rows read, typenum authoritative");
	if (analyze_map(&a, &mf, 0, err, sizeof(err)) == 0) {
		bool unknown = false, overflow = false;
		for (size_t i = 0; i < a.warning_count; i++) {
			unknown |= a.warnings[i].w.problem == MEMMAP_UNKNOWN_TYPE &&
				   a.warnings[i].line == 8;
			overflow |= a.warnings[i].w.problem == MEMMAP_OVERFLOW &&
				    a.warnings[i].line == 9;
		}
		TAP_CHECK(unknown && overflow && a.ram_bytes == 0xa0000,
			  "carto dump: type 20 and the saturated overflow reported at lines 8 "
			  "and 9, RAM %llu", (unsigned long long)a.ram_bytes);
	}
	analysis_free(&a);
	mapfile_free(&mf);
}

/* A 64-bit overflowing descriptor, a type past the spec and an unaligned
 * start reach memmap_from_efi and are reported, not used. */
static void check_garbage_reported(void)
{
	static const char text[] =
		"efi: mem00: type=7, attr=0xf, range=[0x0-0x1000) (0MB)\n"
		"efi: mem01: type=7, attr=0xf, range=[0xfffffffffffff000-0x10000000000001000)\n"
		"efi: mem02: type=99, attr=0xf, range=[0x1000-0x2000) (0MB)\n"
		"efi: mem03: type=7, attr=0xf, range=[0x2800-0x4800) (0MB)\n"
		"efi: mem04: type=7, attr=0x100000000000f, range=[0x10000-0x11000) (0MB)\n";
	struct map_file mf;
	struct parse_error e = { 0 };
	struct analysis a;
	char err[200];
	unsigned seen = 0;

	if (!TAP_CHECK(parse_str(&mf, text, &e) == 0, "garbage descriptors parse (%u: %s)",
		       e.line, e.msg))
		return;
	if (TAP_CHECK(analyze_map(&a, &mf, 0, err, sizeof(err)) == 0, "garbage: analysis")) {
		for (size_t i = 0; i < a.warning_count; i++) {
			const struct an_warning *w = &a.warnings[i];
			if (w->w.problem == MEMMAP_OVERFLOW && w->line == 2)
				seen |= 1;
			if (w->w.problem == MEMMAP_UNKNOWN_TYPE && w->line == 3)
				seen |= 2;
			if (w->w.problem == MEMMAP_UNALIGNED && w->line == 4)
				seen |= 4;
			if (w->w.problem == MEMMAP_UNKNOWN_ATTR && w->line == 5)
				seen |= 8;
		}
		TAP_CHECK(seen == 15, "garbage: overflow, unknown type, unaligned, unknown attr "
			  "reported with their lines (%x)", seen);
		TAP_CHECK(a.ram_bytes == 0x1000 + 0x1000 + 0x1000, "garbage: only sane RAM kept (%llu)",
			  (unsigned long long)a.ram_bytes);
	}
	analysis_free(&a);
	mapfile_free(&mf);
}

static void check_special(void)
{
	struct map_file mf;
	struct parse_error e = { 0 };

	/* UTF-16LE with BOM, as `memmap > file` writes in the shell. */
	static const char ascii[] =
		"Type       Start            End              # Pages          Attributes\r\n"
		"Available  0000000000000000-0000000000000FFF 0000000000000001 000000000000000F\r\n";
	char u16[2 * sizeof(ascii) + 2];
	u16[0] = (char)0xff;
	u16[1] = (char)0xfe;
	for (size_t i = 0; i + 1 < sizeof(ascii); i++) {
		u16[2 + 2 * i] = ascii[i];
		u16[3 + 2 * i] = 0;
	}
	int r = mapfile_parse(&mf, u16, 2 + 2 * (sizeof(ascii) - 1), &e);
	TAP_CHECK(r == 0 && mf.utf16 && mf.count == 1 && mf.maps[0].count == 1 &&
		  mf.maps[0].format == FMT_SHELL_EDK2, "UTF-16 shell file (%u: %s)", e.line, e.msg);
	if (r == 0)
		mapfile_free(&mf);

	/* A mail-wrapped 5.x line, and timestamps and noise around it. */
	r = parse_str(&mf, "[    1.0] noise\n[    1.1] efi: mem00: [Boot Data  |   |  |  |\n"
		      "|  |WB] range=[0x0000000000001000-0x0000000000002fff] (0MB)\nmore noise\n", &e);
	TAP_CHECK(r == 0 && mf.count == 1 && mf.maps[0].count == 1 &&
		  mf.maps[0].descs[0].d.num_pages == 2 && mf.maps[0].descs[0].line == 2 &&
		  mf.maps[0].descs[0].d.attr == EFI_MEMORY_WB, "wrapped line joined (%u: %s)",
		  e.line, e.msg);
	if (r == 0)
		mapfile_free(&mf);

	/* An e820 table with byte-granular boundaries and an unknown type. */
	r = parse_str(&mf, "BIOS-e820: [mem 0x0000000000000000-0x0000000000001fff] usable\n"
		      "BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] type 20\n"
		      "BIOS-e820: [mem 0x0000000000003000-0x0000000000004010] usable\n"
		      "BIOS-e820: [mem 0x0000000000004011-0x0000000000006fff] ACPI NVS\n"
		      "BIOS-e820: [mem 0x0000000000007000-0x0000000000007fff] persistent (type 12)\n", &e);
	if (TAP_CHECK(r == 0 && mf.count == 1 && mf.maps[0].count == 5, "e820 with odd bounds (%u: %s)",
		      e.line, e.msg)) {
		const struct parsed_map *m = &mf.maps[0];
		TAP_CHECK(m->descs[1].d.type == EFI_RESERVED && m->descs[2].d.num_pages == 1 &&
			  m->descs[3].d.phys_start == 0x4000 && m->descs[3].d.num_pages == 3 &&
			  m->descs[4].d.type == EFI_PERSISTENT && m->note_count == 3,
			  "e820: RAM shrunk, NVS grown, type 20 reserved, all noted (%zu notes)",
			  m->note_count);
		mapfile_free(&mf);
	}

	/* Several maps: default, --map and --index equivalents. */
	r = parse_str(&mf, "BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] usable\n"
		      "efi: EFI runtime memory map:\n"
		      "efi: mem00: [Runtime Code|RUN|WB] range=[0x1000-0x1fff] (0MB)\n"
		      "efi: mem00: type=7, attr=0xf, range=[0x0-0x1000) (0MB)\n", &e);
	TAP_CHECK(r == 0 && mf.count == 3 && mapfile_default(&mf) == 2 &&
		  mapfile_find_kind(&mf, MAP_KIND_E820) == 0 &&
		  mapfile_find_kind(&mf, MAP_KIND_RUNTIME) == 1 &&
		  mapfile_find_kind(&mf, MAP_KIND_MEMATTR) == -1,
		  "map selection: e820, runtime, efi found; efi is the default");
	if (r == 0)
		mapfile_free(&mf);

	/* The kernel's invalid-entry list: zero pages, and a >64-bit end. */
	r = parse_str(&mf, "efi: [Firmware Bug]: Invalid EFI memory map entries:\n"
		      "efi: mem07: [Reserved |   |  ] range=[0x0000000000000000-0x0000000000000000] (invalid)\n"
		      "efi: mem08: [Conventional Memory|WB] range=[0x0000000000100000-0x1000000000000fffff] (invalid)\n",
		      &e);
	TAP_CHECK(r == 0 && mf.count == 1 && mf.maps[0].partial && mf.maps[0].count == 2 &&
		  mf.maps[0].descs[0].d.num_pages == 0 &&
		  mf.maps[0].descs[1].d.num_pages == 1ull << 56,
		  "invalid entries: zero pages and an overflowing descriptor (%u: %s)", e.line, e.msg);
	if (r == 0)
		mapfile_free(&mf);
}

/* More descriptors than one map may hold: refused at the first one too many. */
static void check_too_many(void)
{
	static const char line[] = "efi:   0x000040000000-0x000040000fff [Conventional|WB]\n";
	size_t n = MAPPARSE_MAX_DESCS + 1, len = n * (sizeof(line) - 1);
	char *text = malloc(len);
	struct map_file mf;
	struct parse_error e = { 0 };

	if (!TAP_CHECK(text != NULL, "too many: memory"))
		return;
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * (sizeof(line) - 1), line, sizeof(line) - 1);
	int r = mapfile_parse(&mf, text, len, &e);
	TAP_CHECK(r < 0 && e.line == n && strstr(e.msg, "descriptors in one map"),
		  "%zu descriptors refused at line %u: %s", n, e.line, e.msg);
	if (r == 0)
		mapfile_free(&mf);
	free(text);
}

/* The two formulas the plan adds to dmap_plan. */
static void check_formulas(void)
{
	struct mem_entry ent[] = {
		{ 0, 64 * PAGE_SIZE, EFI_CONVENTIONAL, 0, 0 },
		{ 64 * PAGE_SIZE, 65 * PAGE_SIZE, EFI_BS_DATA, 0, 0 },    /* same run */
		{ 65 * PAGE_SIZE, 66 * PAGE_SIZE, EFI_ACPI_NVS, 0, 0 },
		{ MiB, MiB + PAGE_SIZE, EFI_LOADER_CODE, 0, 0 },
	};
	struct memmap m = { ent, ARRAY_SIZE(ent), ARRAY_SIZE(ent) };

	/* The plan asks the allocator itself (frame_meta_bytes) with the
	 * kernel's limit and low-memory reservation (the first run is all low
	 * memory, so only the page at 1 MiB is managed), so check it is that
	 * figure, and that it is the "about one bit per frame" the design
	 * promises on a large map: 32 KiB per GiB is exactly 1 bit. */
	struct frame_reservation low = { 0, FRAME_LOWMEM_END, FRAME_RES_LOWMEM, 0 };
	struct frame_config cfg = { .map = &m, .res = &low, .res_count = 1, .limit = DMAP_MAX_PHYS };
	struct frame_config alone = { .map = &m };
	uint64_t planned = plan_alloc_meta_bytes(&m, NULL);
	TAP_CHECK(planned == frame_meta_bytes(&cfg) && planned > 0 &&
		  planned < frame_meta_bytes(&alone) && plan_ram_runs(&m) == 2,
		  "allocator metadata of a small map is frame_meta_bytes with low memory reserved "
		  "(%llu, %llu without), 2 runs", (unsigned long long)planned,
		  (unsigned long long)frame_meta_bytes(&alone));
	struct mem_entry big[] = { { 4 * GiB, 68 * GiB, EFI_CONVENTIONAL, 0, 0 } };
	struct memmap mb = { big, 1, 1 };
	uint64_t per_gib = plan_alloc_meta_bytes(&mb, NULL) / 64;
	TAP_CHECK(per_gib >= 32 * KiB && per_gib <= 40 * KiB,
		  "allocator metadata for 64 GiB: %llu bytes per GiB (1 bit/frame = 32768)",
		  (unsigned long long)per_gib);
	TAP_CHECK(plan_window_chunks(0) == 0 && plan_window_chunks(1) == 1 &&
		  plan_window_chunks(512) == 1 && plan_window_chunks(513) == 2,
		  "window chunks: ceil(tables * 4 KiB / 2 MiB)");
}

/*
 * The plan of a kernel 'fwmap' dump (tests/data/fwmap) sizes the
 * allocator's metadata exactly as that boot's kernel did: the figure is
 * read from the kernel's own "frames: ... meta_bytes=N" line with sscanf,
 * not through the parser. Without the dump's reservation section the plan
 * reserves only low memory, so it must come out lower (the boot's
 * reservations split regions).
 */
static void check_kernel_dump(const char *file, uint64_t regions_min)
{
	char path[900], *data;
	size_t len = 0;
	uint64_t kernel = 0, without = 0;
	struct map_file mf;
	struct parse_error e = { 0 };
	struct analysis a;
	struct plan p;
	char err[200];

	testdata_path(path, sizeof(path), file);
	data = read_file(path, &len);
	if (!TAP_CHECK(data != NULL, "%s: readable", path))
		return;
	for (const char *l = data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long long v;
		if (sscanf(l, "frames: init_tsc=%*u meta_bytes=%llu", &v) == 1)
			kernel = v;
	}
	TAP_CHECK(kernel > 0, "%s: the kernel's meta_bytes= line", file);
	if (!TAP_CHECK(mapfile_parse(&mf, data, len, &e) == 0, "%s: parses (%u: %s)", file, e.line, e.msg)) {
		free(data);
		return;
	}
	TAP_CHECK(mf.maps[0].has_frame_inputs && mf.maps[0].frame_res_count >= regions_min,
		  "%s: the frame allocator section lists %zu reservations", file,
		  mf.maps[0].frame_res_count);
	if (TAP_CHECK(analyze_map(&a, &mf, 0, err, sizeof(err)) == 0, "%s: analysis (%s)", file, err)) {
		plan_make(&a.clean, a.map, true, &p);
		TAP_CHECK(p.meta_from_kernel && p.alloc_meta_bytes == kernel,
			  "%s: plan's allocator metadata %llu bytes = the kernel's %llu", file,
			  (unsigned long long)p.alloc_meta_bytes, (unsigned long long)kernel);
		without = plan_alloc_meta_bytes(&a.clean, NULL);
		TAP_CHECK(without > 0 && without < kernel,
			  "%s: without the boot's reservations the plan says less (%llu)", file,
			  (unsigned long long)without);
	}
	analysis_free(&a);
	mapfile_free(&mf);
	free(data);
}

int main(void)
{
	tap_plan_unknown();
	testdata_check_memmaps(testdata_memmaps(), ARRAY_SIZE(files), "test_mapparse");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		check_file(&files[i]);
	check_shell_summary();
	check_bad_inputs();
	check_carto_dump();
	check_garbage_reported();
	check_special();
	check_too_many();
	check_formulas();
	check_kernel_dump("fwmap/qemu-q35-ovmf-512m.txt", 4);
	return tap_done();
}
