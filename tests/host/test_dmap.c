/*
 * test_dmap.c - host tests of mm/dmap.c: the direct map built on an arena
 * is checked leaf by leaf against the memory map, and dmap_plan() against
 * what dmap_build() really built.
 */
#include <inttypes.h>
#include <stdio.h>

#include "arena.h"
#include "death.h"
#include "dmap.h"
#include "pt_check.h"
#include "tap.h"

#define ARENA_FRAMES 8192
#define MAX_ENTRIES  256
#define DMAP_LEAF_FLAGS (MAP_WRITE | MAP_GLOBAL | MAP_CACHE(CACHE_WB))

/* ---- building memory maps ------------------------------------------------ */

struct test_map {
	struct memmap map;
	struct mem_entry e[MAX_ENTRIES];
};

static void map_reset(struct test_map *m)
{
	m->map.entries = m->e;
	m->map.count = 0;
	m->map.capacity = MAX_ENTRIES;
}

static void map_add(struct test_map *m, paddr_t start, paddr_t end, uint32_t type)
{
	if (m->map.count == MAX_ENTRIES || end <= start) {
		TAP_DIAG("map_add: bad test map entry [%#" PRIx64 ", %#" PRIx64 ")", start, end);
		return;
	}
	m->e[m->map.count++] = (struct mem_entry){ .start = start, .end = end, .type = type };
}

/* ---- an oracle over the map, independent of dmap.c ----------------------- */

/* True if [pa, pa+size) is covered by RAM entries without a gap and lies
 * below DMAP_MAX_PHYS. */
static bool all_ram(const struct memmap *m, paddr_t pa, uint64_t size)
{
	paddr_t end = pa + size;
	if (end > DMAP_MAX_PHYS)
		return false;
	for (size_t i = 0; i < m->count && pa < end; i++) {
		const struct mem_entry *e = &m->entries[i];
		if (e->end <= pa)
			continue;
		if (e->start > pa || !mem_type_is_ram(e->type))
			return false;
		pa = e->end;
	}
	return pa >= end;
}

/* RAM bytes of the map below DMAP_MAX_PHYS and at or above it. */
static void ram_split(const struct memmap *m, uint64_t *below, uint64_t *above)
{
	*below = *above = 0;
	for (size_t i = 0; i < m->count; i++) {
		const struct mem_entry *e = &m->entries[i];
		if (!mem_type_is_ram(e->type))
			continue;
		*below += MIN(e->end, DMAP_MAX_PHYS) - MIN(e->start, DMAP_MAX_PHYS);
		*above += MAX(e->end, DMAP_MAX_PHYS) - MAX(e->start, DMAP_MAX_PHYS);
	}
}

/* What the leaf visitor finds wrong, and how many bytes the leaves map. */
struct leaf_check {
	const struct memmap *map;
	bool has_1g;
	uint64_t bytes;
	uint64_t bad_place, bad_bits, not_ram, not_largest;
};

static void check_leaf(void *ctx, const struct pt_leaf *l)
{
	struct leaf_check *c = ctx;
	uint64_t size = PT_LEVEL_SIZE(l->level);
	unsigned top = c->has_1g ? PT_LEVEL_1G : PT_LEVEL_2M;

	c->bytes += size;
	if (l->va != DMAP_BASE + l->pa)
		c->bad_place++;
	if (l->pte != (l->pa | pt_pte_bits(DMAP_LEAF_FLAGS, l->level)))
		c->bad_bits++;
	if (!all_ram(c->map, l->pa, size))
		c->not_ram++;
	/* Largest leaf: the next bigger aligned block must not be all RAM. */
	if (l->level < top) {
		uint64_t bigger = PT_LEVEL_SIZE(l->level + 1);
		if (all_ram(c->map, ALIGN_DOWN(l->pa, bigger), bigger))
			c->not_largest++;
	}
}

/* Every page of [lo, hi): translates iff RAM, to itself, with DMAP flags. */
static uint64_t check_pages(const struct pt_space *as, const struct memmap *m,
			    paddr_t lo, paddr_t hi)
{
	uint64_t bad = 0;
	size_t i = 0;
	for (paddr_t pa = lo; pa < hi; pa += PAGE_SIZE) {
		while (i < m->count && m->entries[i].end <= pa)
			i++;
		bool ram = i < m->count && m->entries[i].start <= pa &&
			   mem_type_is_ram(m->entries[i].type) && pa < DMAP_MAX_PHYS;
		paddr_t got;
		uint32_t fl;
		int r = pt_translate(as, DMAP_BASE + pa + 0x10, &got, NULL, &fl);
		bool ok = ram ? (r == E_OK && got == pa + 0x10 && fl == DMAP_LEAF_FLAGS) : r == E_NOENT;
		if (!ok && bad++ < 3)
			TAP_DIAG("pa %#" PRIx64 ": ram %d, translate %d -> %#" PRIx64, pa, ram, r, got);
	}
	return bad;
}

static bool stats_equal(const struct dmap_stats *a, const struct dmap_stats *b)
{
	return a->pages_4k == b->pages_4k && a->pages_2m == b->pages_2m &&
	       a->pages_1g == b->pages_1g && a->ram_bytes == b->ram_bytes &&
	       a->skipped_bytes == b->skipped_bytes && a->tables == b->tables;
}

static void stats_diag(const char *what, const struct dmap_stats *s)
{
	TAP_DIAG("%s: 4K %" PRIu64 " 2M %" PRIu64 " 1G %" PRIu64 " ram %#" PRIx64
		 " skipped %#" PRIx64 " tables %" PRIu64, what, s->pages_4k, s->pages_2m,
		 s->pages_1g, s->ram_bytes, s->skipped_bytes, s->tables);
}

/*
 * Build the direct map of m in a fresh arena and check it completely:
 * tree invariants, every leaf (place, bits, inside RAM, largest possible),
 * leaves cover exactly the RAM below DMAP_MAX_PHYS, build stats agree with
 * the tree and with dmap_plan. Returns the build's stats in *out.
 * With pages_hi > 0 also checks every page of [0, pages_hi) by translate.
 * Emits a fixed number of TAP lines, each prefixed with name.
 */
static void build_and_check(const char *name, const struct memmap *m, bool has_1g,
			    paddr_t pages_hi, struct dmap_stats *out)
{
	struct arena a;
	struct pt_space as;
	struct dmap_stats built, planned;
	memset(out, 0, sizeof(*out));
	if (arena_init(&a, ARENA_FRAMES, ARENA_DEFAULT_PHYS) != 0 ||
	    pt_init(&as, &a.src, arena_window(&a), has_1g) != E_OK) {
		TAP_CHECK(0, "%s: arena/pt_init", name);
		return;
	}
	int r = dmap_build(&as, m, DMAP_MAX_PHYS, &built);
	dmap_plan(m, has_1g, DMAP_MAX_PHYS, &planned);
	TAP_CHECK(r == E_OK, "%s (1G %s): dmap_build -> %d", name, has_1g ? "on" : "off", r);

	struct leaf_check c = { .map = m, .has_1g = has_1g };
	struct pt_scan s;
	pt_scan(&as, &a, check_leaf, &c, &s);
	TAP_CHECK(s.problems == 0 && s.tables == as.tables && as.tables == a.live,
		  "%s: tree well-formed, %" PRIu64 " tables (%s)", name, s.tables, s.first_problem);
	TAP_CHECK(c.bad_place == 0 && c.bad_bits == 0,
		  "%s: every leaf at DMAP_BASE + pa with RW NX WB G bits (%" PRIu64 " misplaced, %"
		  PRIu64 " wrong bits)", name, c.bad_place, c.bad_bits);
	TAP_CHECK(c.not_ram == 0, "%s: no leaf covers anything but RAM (%" PRIu64 " do)",
		  name, c.not_ram);
	TAP_CHECK(c.not_largest == 0, "%s: every leaf is the largest the RAM allows (%" PRIu64
		  " could be bigger)", name, c.not_largest);
	uint64_t below, above;
	ram_split(m, &below, &above);
	TAP_CHECK(c.bytes == below && built.ram_bytes == below && built.skipped_bytes == above,
		  "%s: leaves map exactly the RAM below 64 TiB (%#" PRIx64 " of %#" PRIx64
		  "), %#" PRIx64 " skipped", name, c.bytes, below, above);
	TAP_CHECK(built.pages_4k == s.leaves[1] && built.pages_2m == s.leaves[2] &&
		  built.pages_1g == s.leaves[3] && built.tables == s.tables - 1,
		  "%s: build stats match the tree", name);
	if (!TAP_CHECK(stats_equal(&built, &planned), "%s: dmap_plan == dmap_build", name)) {
		stats_diag("built", &built);
		stats_diag("planned", &planned);
	}
	if (pages_hi) {
		uint64_t bad = check_pages(&as, m, 0, pages_hi);
		TAP_CHECK(bad == 0, "%s: every page below %#" PRIx64 " mapped iff RAM (%" PRIu64
			  " wrong)", name, pages_hi, bad);
	}
	*out = built;
	arena_destroy(&a);
}

static void expect_stats(const char *name, const struct dmap_stats *s, uint64_t n4k,
			 uint64_t n2m, uint64_t n1g, uint64_t tables)
{
	if (!TAP_CHECK(s->pages_4k == n4k && s->pages_2m == n2m && s->pages_1g == n1g &&
		       s->tables == tables,
		       "%s: 4K/2M/1G/tables = %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
		       " (want %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 ")", name,
		       s->pages_4k, s->pages_2m, s->pages_1g, s->tables, n4k, n2m, n1g, tables))
		stats_diag(name, s);
}

/* ---- the cases ------------------------------------------------------------ */

static void test_full_gib(void)
{
	struct test_map t;
	struct dmap_stats s;
	map_reset(&t);
	map_add(&t, 0, 0xa0000, EFI_CONVENTIONAL);
	map_add(&t, 0xa0000, 0x100000, EFI_RESERVED);
	map_add(&t, 0x100000, 0x40000000, EFI_CONVENTIONAL);
	map_add(&t, 0x40000000, 0x80000000, EFI_CONVENTIONAL);
	map_add(&t, 0xfec00000, 0xfec01000, EFI_MMIO);
	build_and_check("full GiB", &t.map, true, 0x100000000ull, &s);
	/* [0, 640K): 160 4K. [1M, 2M): 256 4K. [2M, 1G): 511 2M. [1G, 2G): one 1G.
	 * Tables: PDPT, PD of GiB 0, PT of the first 2 MiB. */
	expect_stats("full GiB, 1G on", &s, 160 + 256, 511, 1, 3);
	build_and_check("full GiB", &t.map, false, 0, &s);
	expect_stats("full GiB, 1G off", &s, 160 + 256, 511 + 512, 0, 4);
}

static void test_hole_in_gib(void)
{
	struct test_map t;
	struct dmap_stats s;
	paddr_t hole = PAGE_SIZE_1G + 5 * PAGE_SIZE_2M + 3 * PAGE_SIZE;
	map_reset(&t);
	map_add(&t, PAGE_SIZE_1G, hole, EFI_CONVENTIONAL);
	map_add(&t, hole + PAGE_SIZE, 2 * PAGE_SIZE_1G, EFI_CONVENTIONAL);
	build_and_check("4K hole", &t.map, true, 3 * PAGE_SIZE_1G, &s);
	/* 5 2M, then the 2M block with the hole as 511 4K, then 506 2M. */
	expect_stats("4K hole", &s, 511, 5 + 506, 0, 3);
}

static void test_ram_types_join(void)
{
	struct test_map t;
	struct dmap_stats s;
	map_reset(&t);
	map_add(&t, 1 * PAGE_SIZE_1G, 1 * PAGE_SIZE_1G + 300 * MiB, EFI_CONVENTIONAL);
	map_add(&t, 1 * PAGE_SIZE_1G + 300 * MiB, 1 * PAGE_SIZE_1G + 301 * MiB, EFI_LOADER_DATA);
	map_add(&t, 1 * PAGE_SIZE_1G + 301 * MiB, 1 * PAGE_SIZE_1G + 302 * MiB + 4 * KiB, EFI_BS_CODE);
	map_add(&t, 1 * PAGE_SIZE_1G + 302 * MiB + 4 * KiB, 1 * PAGE_SIZE_1G + 900 * MiB, EFI_ACPI_RECLAIM);
	map_add(&t, 1 * PAGE_SIZE_1G + 900 * MiB, 2 * PAGE_SIZE_1G, EFI_LOADER_CODE);
	map_add(&t, 2 * PAGE_SIZE_1G, 3 * PAGE_SIZE_1G, EFI_BS_DATA);
	build_and_check("RAM types joined", &t.map, true, 0, &s);
	expect_stats("RAM types joined", &s, 0, 0, 2, 1);

	/* The same with one ACPI NVS page in the middle: no 1G leaf for that GiB. */
	map_reset(&t);
	map_add(&t, 1 * PAGE_SIZE_1G, 1 * PAGE_SIZE_1G + 300 * MiB, EFI_CONVENTIONAL);
	map_add(&t, 1 * PAGE_SIZE_1G + 300 * MiB, 1 * PAGE_SIZE_1G + 300 * MiB + 4 * KiB, EFI_ACPI_NVS);
	map_add(&t, 1 * PAGE_SIZE_1G + 300 * MiB + 4 * KiB, 2 * PAGE_SIZE_1G, EFI_BS_CODE);
	build_and_check("NVS page splits", &t.map, true, 2 * PAGE_SIZE_1G, &s);
	expect_stats("NVS page splits", &s, 511, 511, 0, 3);
}

static void test_never_mapped(void)
{
	static const uint32_t not_ram[] = {
		EFI_RESERVED, EFI_RT_CODE, EFI_RT_DATA, EFI_UNUSABLE, EFI_ACPI_NVS, EFI_MMIO,
		EFI_MMIO_PORT, EFI_PAL_CODE, EFI_PERSISTENT, EFI_UNACCEPTED, 16, 0x70000000,
		0x80000000,
	};
	struct test_map t;
	struct dmap_stats s;
	map_reset(&t);
	paddr_t pa = 0;
	for (size_t i = 0; i < ARRAY_SIZE(not_ram); i++) {
		/* RAM, then a non-RAM region of an awkward size, no gaps. */
		map_add(&t, pa, pa + 3 * PAGE_SIZE_2M, EFI_CONVENTIONAL);
		pa += 3 * PAGE_SIZE_2M;
		map_add(&t, pa, pa + PAGE_SIZE_2M + (i + 1) * PAGE_SIZE, not_ram[i]);
		pa += PAGE_SIZE_2M + (i + 1) * PAGE_SIZE;
	}
	map_add(&t, pa, pa + PAGE_SIZE_2M, EFI_CONVENTIONAL);
	build_and_check("non-RAM types", &t.map, true, pa + PAGE_SIZE_2M, &s);
	TAP_CHECK(s.ram_bytes == (3 * ARRAY_SIZE(not_ram) + 1) * PAGE_SIZE_2M,
		  "non-RAM types: only the RAM entries' bytes mapped");
}

/* OVMF on QEMU i440FX with 3 GiB, as the firmware reported it
 * (tests/data/memmaps/10-qemu-i440fx-ovmf-3g-efi.txt, inclusive ends made
 * exclusive). */
static const struct { paddr_t start, end; uint32_t type; } qemu_3g[] = {
	{ 0x000000000, 0x000001000, EFI_BS_CODE },
	{ 0x000001000, 0x0000a0000, EFI_CONVENTIONAL },
	{ 0x000100000, 0x000806000, EFI_CONVENTIONAL },
	{ 0x000806000, 0x000808000, EFI_ACPI_NVS },
	{ 0x000808000, 0x000810000, EFI_CONVENTIONAL },
	{ 0x000810000, 0x000900000, EFI_ACPI_NVS },
	{ 0x000900000, 0x001400000, EFI_BS_DATA },
	{ 0x001400000, 0x0033e6000, EFI_LOADER_DATA },
	{ 0x0033e6000, 0x0b9d8e000, EFI_CONVENTIONAL },
	{ 0x0b9d8e000, 0x0bbf78000, EFI_LOADER_CODE },
	{ 0x0bbf78000, 0x0bbf98000, EFI_BS_DATA },
	{ 0x0bbf98000, 0x0be49c000, EFI_CONVENTIONAL },
	{ 0x0be49c000, 0x0be56e000, EFI_LOADER_CODE },
	{ 0x0be56e000, 0x0be587000, EFI_CONVENTIONAL },
	{ 0x0be587000, 0x0be5c2000, EFI_LOADER_DATA },
	{ 0x0be5c2000, 0x0be5e0000, EFI_BS_DATA },
	{ 0x0be5e0000, 0x0be5e7000, EFI_CONVENTIONAL },
	{ 0x0be5e7000, 0x0be5f8000, EFI_LOADER_DATA },
	{ 0x0be5f8000, 0x0be7ec000, EFI_BS_DATA },
	{ 0x0be7ec000, 0x0be934000, EFI_BS_CODE },
	{ 0x0be934000, 0x0be946000, EFI_ACPI_NVS },
	{ 0x0be946000, 0x0be961000, EFI_RESERVED },
	{ 0x0be961000, 0x0bea6c000, EFI_BS_CODE },
	{ 0x0bea6c000, 0x0bea71000, EFI_RT_DATA },
	{ 0x0bea71000, 0x0bea76000, EFI_RT_CODE },
	{ 0x0bea76000, 0x0bea7b000, EFI_RT_DATA },
	{ 0x0bea7b000, 0x0bea80000, EFI_RT_CODE },
	{ 0x0bea80000, 0x0bea85000, EFI_RT_DATA },
	{ 0x0bea85000, 0x0bea8c000, EFI_RT_CODE },
	{ 0x0bea8c000, 0x0beb1b000, EFI_RT_DATA },
	{ 0x0beb1b000, 0x0bfa1b000, EFI_BS_DATA },
	{ 0x0bfa1b000, 0x0bfb9b000, EFI_BS_CODE },
	{ 0x0bfb9b000, 0x0bfbcb000, EFI_RT_CODE },
	{ 0x0bfbcb000, 0x0bfbef000, EFI_RT_DATA },
	{ 0x0bfbef000, 0x0bfbf3000, EFI_RESERVED },
	{ 0x0bfbf3000, 0x0bfbfb000, EFI_ACPI_RECLAIM },
	{ 0x0bfbfb000, 0x0bfbff000, EFI_ACPI_NVS },
	{ 0x0bfbff000, 0x0bfe00000, EFI_BS_DATA },
	{ 0x0bfe00000, 0x0bfe8a000, EFI_CONVENTIONAL },
	{ 0x0bfe8a000, 0x0bfeaa000, EFI_BS_DATA },
	{ 0x0bfeaa000, 0x0bfecd000, EFI_BS_CODE },
	{ 0x0bfecd000, 0x0bfed6000, EFI_BS_DATA },
	{ 0x0bfed6000, 0x0bfef4000, EFI_BS_CODE },
	{ 0x0bfef4000, 0x0bff78000, EFI_RT_DATA },
	{ 0x0bff78000, 0x0c0000000, EFI_ACPI_NVS },
	{ 0x0ffc00000, 0x100000000, EFI_MMIO },
};

static void test_qemu_map(void)
{
	struct test_map t;
	struct dmap_stats s;
	map_reset(&t);
	for (size_t i = 0; i < ARRAY_SIZE(qemu_3g); i++)
		map_add(&t, qemu_3g[i].start, qemu_3g[i].end, qemu_3g[i].type);
	build_and_check("QEMU OVMF 3G", &t.map, true, 0x100000000ull, &s);
	/* GiB 0 has ACPI NVS at 8 MiB and GiB 2 at 0xbe934000: only GiB 1 is whole. */
	TAP_CHECK(s.pages_1g == 1, "QEMU OVMF 3G: one 1G leaf, for GiB 1 (got %" PRIu64 ")",
		  s.pages_1g);
	build_and_check("QEMU OVMF 3G", &t.map, false, 0, &s);
}

static void test_large(void)
{
	struct test_map t;
	struct dmap_stats s, p;

	/* 1 TiB from 0: two PML4 slots. */
	map_reset(&t);
	map_add(&t, 0, 1 * TiB, EFI_CONVENTIONAL);
	build_and_check("1 TiB", &t.map, true, 0, &s);
	expect_stats("1 TiB, 1G on", &s, 0, 0, 1024, 2);
	build_and_check("1 TiB", &t.map, false, 0, &s);
	expect_stats("1 TiB, 1G off", &s, 0, 1024 * 512, 0, 2 + 1024);

	/* 4 TiB in 8 runs of 512 GiB, each starting 4 KiB into a 2 TiB block. */
	map_reset(&t);
	for (uint64_t k = 0; k < 8; k++) {
		paddr_t base = k * 2 * TiB;
		map_add(&t, base, base + PAGE_SIZE, EFI_RESERVED);
		map_add(&t, base + PAGE_SIZE, base + 512 * GiB + PAGE_SIZE, EFI_CONVENTIONAL);
		map_add(&t, base + 512 * GiB + PAGE_SIZE, base + 513 * GiB, EFI_MMIO);
	}
	build_and_check("4 TiB sparse", &t.map, true, 0, &s);
	/* Per run: 511 4K + 511 2M up to the first GiB, 511 1G, one 4K after
	 * 512 GiB. Tables per run: 2 PDPT, 2 PD, 2 PT. */
	expect_stats("4 TiB sparse, 1G on", &s, 8 * 512, 8 * 511, 8 * 511, 8 * 6);
	dmap_plan(&t.map, false, DMAP_MAX_PHYS, &p);
	/* Without 1G: 2M pages fill [2M, 512G): 512 * 511 + 511 per run. Tables
	 * per run: 2 PDPT, 513 PD, 2 PT. (Plan only: building needs ~4000 tables.) */
	expect_stats("4 TiB sparse, 1G off, planned", &p, 8 * 512, 8 * (512 * 511 + 511), 0, 8 * 517);
	TAP_CHECK(p.ram_bytes == 4 * TiB && p.skipped_bytes == 0, "4 TiB sparse: 4 TiB planned");

	/* RAM reaching past DMAP_MAX_PHYS is clipped and counted. */
	map_reset(&t);
	map_add(&t, DMAP_MAX_PHYS - 1 * GiB - 2 * MiB, DMAP_MAX_PHYS + 2 * GiB, EFI_CONVENTIONAL);
	map_add(&t, DMAP_MAX_PHYS + 6 * TiB, DMAP_MAX_PHYS + 7 * TiB, EFI_CONVENTIONAL);
	build_and_check("past 64 TiB", &t.map, true, 0, &s);
	TAP_CHECK(s.ram_bytes == 1 * GiB + 2 * MiB && s.skipped_bytes == 2 * GiB + 1 * TiB &&
		  s.pages_1g == 1 && s.pages_2m == 1, "past 64 TiB: %#" PRIx64 " mapped, %#" PRIx64
		  " skipped", s.ram_bytes, s.skipped_bytes);

	/* Nothing at all. */
	map_reset(&t);
	map_add(&t, 0, 1 * GiB, EFI_MMIO);
	dmap_plan(&t.map, true, DMAP_MAX_PHYS, &p);
	expect_stats("no RAM", &p, 0, 0, 0, 0);
}

/* xorshift64*: reproducible pseudo-random numbers. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* A random clean map: sorted, gaps and every kind of entry, sizes biased
 * toward 2 MiB and 1 GiB multiples with odd pages on top. */
static void random_map(struct test_map *t, size_t entries)
{
	static const uint32_t types[] = {
		EFI_CONVENTIONAL, EFI_CONVENTIONAL, EFI_CONVENTIONAL, EFI_BS_DATA, EFI_BS_CODE,
		EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_ACPI_RECLAIM, EFI_ACPI_NVS, EFI_RT_CODE,
		EFI_RESERVED, EFI_MMIO, EFI_PERSISTENT,
	};
	map_reset(t);
	paddr_t pa = (rng() % 4) * PAGE_SIZE;
	for (size_t i = 0; i < entries; i++) {
		if (rng() % 4 == 0)
			pa += (rng() % 3) * PAGE_SIZE_2M + (rng() % 3) * PAGE_SIZE;
		uint64_t size;
		switch (rng() % 4) {
		case 0: size = (1 + rng() % 8) * PAGE_SIZE; break;
		case 1: size = (1 + rng() % 6) * PAGE_SIZE_2M; break;
		case 2: size = (1 + rng() % 300) * PAGE_SIZE_2M + (rng() % 4) * PAGE_SIZE; break;
		default: size = (rng() % 3) * PAGE_SIZE_1G + (1 + rng() % 4) * PAGE_SIZE_2M; break;
		}
		map_add(t, pa, pa + size, types[rng() % ARRAY_SIZE(types)]);
		pa += size;
	}
}

static void test_random_maps(void)
{
	struct test_map t;
	struct dmap_stats s;
	char name[64];
	for (unsigned n = 0; n < 12; n++) {
		random_map(&t, 4 + n * 4);
		snprintf(name, sizeof(name), "random map %u (%zu entries)", n, t.map.count);
		build_and_check(name, &t.map, n % 2 == 0, n < 3 ? t.e[t.map.count - 1].end : 0, &s);
	}
}

static void test_build_errors(void)
{
	struct test_map t;
	struct arena a;
	struct pt_space as;
	map_reset(&t);
	map_add(&t, 0, 64 * MiB + 4 * KiB, EFI_CONVENTIONAL);

	arena_init(&a, 64, ARENA_DEFAULT_PHYS);
	pt_init(&as, &a.src, arena_window(&a), true);
	pt_map(&as, DMAP_BASE + 32 * MiB, 0, PAGE_SIZE, MAP_READ);
	struct dmap_stats s;
	paddr_t pa;
	int r = dmap_build(&as, &t.map, DMAP_MAX_PHYS, &s);
	/* [0, 64M) is one batch of 32 2M leaves; pt_map refuses it whole. */
	TAP_CHECK(r == E_EXIST && s.pages_2m == 0 && s.pages_4k == 0 &&
		  pt_translate(&as, DMAP_BASE, &pa, NULL, NULL) == E_NOENT,
		  "dmap_build over an existing mapping -> E_EXIST (%d), the clashing batch "
		  "left unmapped and uncounted", r);
	arena_destroy(&a);

	arena_init(&a, 64, ARENA_DEFAULT_PHYS);
	pt_init(&as, &a.src, arena_window(&a), true);
	arena_fail_after(&a, 2);     /* PDPT and PD, but no PT for the last 4 KiB */
	r = dmap_build(&as, &t.map, DMAP_MAX_PHYS, NULL);
	TAP_CHECK(r == E_NOMEM && pt_translate(&as, DMAP_BASE + 64 * MiB - 1, &pa, NULL, NULL) == E_OK,
		  "dmap_build out of frames -> E_NOMEM (%d), with no stats pointer", r);
	arena_destroy(&a);
}

/* phys_to_dmap checks its range: beyond DMAP_MAX_PHYS is mm_fatal naming
 * the caller (run in a child: death.h). */
static void dmap_beyond(void *arg)
{
	phys_to_dmap(DMAP_MAX_PHYS);
}

static void test_phys_to_dmap_range(void)
{
	struct death d;

	TAP_CHECK(phys_to_dmap(0) == DMAP_BASE && phys_to_dmap(DMAP_MAX_PHYS - 1) == DMAP_END - 1,
		  "phys_to_dmap of the first and last byte it covers");
	death_run(dmap_beyond, NULL, &d);
	TAP_CHECK(d.aborted && strstr(d.msg, "dmap_beyond") && strstr(d.msg, "DMAP_MAX_PHYS"),
		  "phys_to_dmap(DMAP_MAX_PHYS) stops naming the caller (%s: \"%s\")",
		  d.aborted ? "aborted" : "did not abort", d.msg);
}

int main(void)
{
	tap_plan_unknown();
	test_full_gib();
	test_hole_in_gib();
	test_ram_types_join();
	test_never_mapped();
	test_qemu_map();
	test_large();
	test_random_maps();
	test_build_errors();
	test_phys_to_dmap_range();
	return tap_done();
}
