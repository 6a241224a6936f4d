/*
 * test_pt.c - host tests of mm/pt.c on a private arena.
 */
#include <inttypes.h>
#include <stdio.h>

#include "arena.h"
#include "pt.h"
#include "pt_check.h"
#include "tap.h"

#define ARENA_FRAMES 2048
#define LOW_VA   0x0000000040000000ull    /* 1 GiB, lower half */
#define HIGH_VA  0xffffc00000000000ull    /* kernel half, 512 GiB aligned */
#define RAM_PA   0x0000000080000000ull    /* 2 GiB, 1 GiB aligned */

/* The PAT memory-type encoding each cache type must select (Intel SDM). */
static const uint8_t want_pat_type[CACHE_TYPE_COUNT] = {
	[CACHE_WB] = 0x06, [CACHE_WT] = 0x04, [CACHE_UC_MINUS] = 0x07,
	[CACHE_UC] = 0x00, [CACHE_WC] = 0x01,
};
static const char *const cache_name[CACHE_TYPE_COUNT] = {
	"WB", "WT", "UC-", "UC", "WC",
};

struct fixture {
	struct arena a;
	struct pt_space as;
};

static bool fixture_init(struct fixture *f, bool has_1g)
{
	if (arena_init(&f->a, ARENA_FRAMES, ARENA_DEFAULT_PHYS) != 0) {
		TAP_CHECK(0, "arena_init");
		return false;
	}
	int r = pt_init(&f->as, &f->a.src, arena_window(&f->a), has_1g);
	return TAP_CHECK(r == E_OK, "pt_init -> %d", r);
}

/* Scan the tree; check invariants, tables == as->tables == arena live. */
static void check_tree(struct fixture *f, const char *when, struct pt_scan *out)
{
	struct pt_scan s;
	pt_scan(&f->as, &f->a, NULL, NULL, &s);
	TAP_CHECK(s.problems == 0, "%s: tree well-formed (%" PRIu64 " problems%s%s)",
		  when, s.problems, s.problems ? ": " : "", s.first_problem);
	TAP_CHECK(s.tables == f->as.tables && f->as.tables == f->a.live,
		  "%s: tables scanned %" PRIu64 " == as->tables %" PRIu64 " == arena live %" PRIu64,
		  when, s.tables, f->as.tables, f->a.live);
	if (out)
		*out = s;
}

/* True if every page of [va, va+size) translates to pa + offset with the
 * given leaf size and flags. */
static bool range_maps(const struct pt_space *as, vaddr_t va, paddr_t pa,
		       uint64_t size, uint64_t leaf, uint32_t flags)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		paddr_t got;
		uint64_t ps;
		uint32_t fl;
		if (pt_translate(as, va + off + 0x123, &got, &ps, &fl) != E_OK)
			return false;
		if (got != pa + off + 0x123 || ps != leaf || fl != flags) {
			TAP_DIAG("va %#" PRIx64 ": pa %#" PRIx64 " size %#" PRIx64 " flags %#x",
				 va + off, got, ps, fl);
			return false;
		}
	}
	return true;
}

/* True if no page of [va, va+size) translates. */
static bool range_unmapped(const struct pt_space *as, vaddr_t va, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		paddr_t got;
		if (pt_translate(as, va + off, &got, NULL, NULL) != E_NOENT)
			return false;
	}
	return true;
}

static void test_init(void)
{
	struct fixture f;
	if (!fixture_init(&f, true))
		return;
	TAP_CHECK(f.as.tables == 1 && f.a.live == 1 && arena_owns(&f.a, f.as.root),
		  "pt_init: one root table from the arena");
	TAP_CHECK(f.as.levels == PT_LEVELS && f.as.invalidate == NULL, "pt_init: levels, no hook");
	TAP_CHECK(range_unmapped(&f.as, LOW_VA, 16 * PAGE_SIZE), "empty space maps nothing");
	arena_destroy(&f.a);

	struct arena a;
	struct pt_space as;
	arena_init(&a, 4, ARENA_DEFAULT_PHYS);
	arena_fail_after(&a, 0);
	int r = pt_init(&as, &a.src, arena_window(&a), true);
	TAP_CHECK(r == E_NOMEM && a.live == 0 && as.tables == 0,
		  "pt_init with no frame -> E_NOMEM (%d), nothing allocated", r);
	arena_destroy(&a);
}

static void test_leaf_choice(void)
{
	struct fixture f;
	uint32_t fl = MAP_WRITE | MAP_CACHE(CACHE_WB);
	struct pt_scan s;

	if (!fixture_init(&f, true))
		return;
	/* 1 GiB + 2 MiB + 4 KiB, all aligned: one leaf of each size. */
	uint64_t size = PAGE_SIZE_1G + PAGE_SIZE_2M + PAGE_SIZE;
	int r = pt_map(&f.as, LOW_VA, RAM_PA, size, fl);
	TAP_CHECK(r == E_OK, "map 1G+2M+4K aligned -> %d", r);
	check_tree(&f, "1G+2M+4K", &s);
	TAP_CHECK(s.leaves[3] == 1 && s.leaves[2] == 1 && s.leaves[1] == 1,
		  "leaves 1G/2M/4K = %" PRIu64 "/%" PRIu64 "/%" PRIu64 " (want 1/1/1)",
		  s.leaves[3], s.leaves[2], s.leaves[1]);
	TAP_CHECK(range_maps(&f.as, LOW_VA, RAM_PA, PAGE_SIZE_1G, PAGE_SIZE_1G, fl),
		  "first GiB translates through a 1G leaf");
	TAP_CHECK(range_maps(&f.as, LOW_VA + PAGE_SIZE_1G, RAM_PA + PAGE_SIZE_1G,
			     PAGE_SIZE_2M, PAGE_SIZE_2M, fl), "next 2 MiB through a 2M leaf");
	TAP_CHECK(range_maps(&f.as, LOW_VA + PAGE_SIZE_1G + PAGE_SIZE_2M,
			     RAM_PA + PAGE_SIZE_1G + PAGE_SIZE_2M, PAGE_SIZE, PAGE_SIZE, fl),
		  "last page through a 4K leaf");
	TAP_CHECK(range_unmapped(&f.as, LOW_VA + size, 4 * PAGE_SIZE) &&
		  range_unmapped(&f.as, LOW_VA - 4 * PAGE_SIZE, 4 * PAGE_SIZE),
		  "nothing mapped around the range");

	/* va 4 KiB below a 2 MiB boundary: 4K, then 2M leaves, then 4K tail. */
	vaddr_t va = 0x0000000200000000ull - PAGE_SIZE;
	paddr_t pa = 0x0000000400000000ull - PAGE_SIZE;
	r = pt_map(&f.as, va, pa, PAGE_SIZE + 2 * PAGE_SIZE_2M + PAGE_SIZE, fl);
	TAP_CHECK(r == E_OK, "map from 4K below a 2M boundary -> %d", r);
	check_tree(&f, "unaligned start", &s);
	TAP_CHECK(s.leaves[3] == 1 && s.leaves[2] == 3 && s.leaves[1] == 3,
		  "leaves now 1G/2M/4K = %" PRIu64 "/%" PRIu64 "/%" PRIu64 " (want 1/3/3)",
		  s.leaves[3], s.leaves[2], s.leaves[1]);
	TAP_CHECK(range_maps(&f.as, va + PAGE_SIZE, pa + PAGE_SIZE, 2 * PAGE_SIZE_2M,
			     PAGE_SIZE_2M, fl), "middle of it through 2M leaves");

	/* va 2 MiB aligned but pa only 4 KiB aligned: 4 KiB leaves only. */
	va = 0x0000000300000000ull;
	pa = 0x0000000500001000ull;
	r = pt_map(&f.as, va, pa, PAGE_SIZE_2M, fl);
	check_tree(&f, "pa misaligned", &s);
	TAP_CHECK(r == E_OK && s.leaves[1] == 3 + 512 && s.leaves[2] == 3,
		  "pa not 2M aligned -> 512 4K leaves (r=%d, 4K=%" PRIu64 ")", r, s.leaves[1]);
	TAP_CHECK(range_maps(&f.as, va, pa, PAGE_SIZE_2M, PAGE_SIZE, fl),
		  "misaligned-pa range translates page by page");

	/* 2 GiB aligned to 1 GiB in va but pa only 2 MiB aligned: 2M leaves. */
	va = 0x0000008000000000ull;
	pa = 0x0000000600200000ull;
	r = pt_map(&f.as, va, pa, 2 * PAGE_SIZE_1G, fl);
	check_tree(&f, "pa 2M aligned", &s);
	TAP_CHECK(r == E_OK && s.leaves[3] == 1 && s.leaves[2] == 3 + 1024,
		  "pa 2M aligned -> 1024 2M leaves, no new 1G (1G=%" PRIu64 " 2M=%" PRIu64 ")",
		  s.leaves[3], s.leaves[2]);
	arena_destroy(&f.a);
}

static void test_no_1g_and_nohuge(void)
{
	struct fixture f;
	struct pt_scan s;
	uint32_t fl = MAP_WRITE | MAP_GLOBAL | MAP_CACHE(CACHE_WB);

	if (!fixture_init(&f, false))
		return;
	int r = pt_map(&f.as, HIGH_VA, 0, 2 * PAGE_SIZE_1G, fl);
	check_tree(&f, "has_1g false", &s);
	TAP_CHECK(r == E_OK && s.leaves[3] == 0 && s.leaves[2] == 1024 && s.leaves[1] == 0,
		  "has_1g false: 2 GiB -> 1024 2M leaves, no 1G (r=%d 1G=%" PRIu64 " 2M=%" PRIu64 ")",
		  r, s.leaves[3], s.leaves[2]);
	TAP_CHECK(range_maps(&f.as, HIGH_VA + PAGE_SIZE_1G - PAGE_SIZE_2M,
			     PAGE_SIZE_1G - PAGE_SIZE_2M, 2 * PAGE_SIZE_2M, PAGE_SIZE_2M, fl),
		  "2M leaves across the GiB boundary translate");

	r = pt_map(&f.as, LOW_VA, RAM_PA, 2 * PAGE_SIZE_2M, fl | MAP_NOHUGE);
	check_tree(&f, "MAP_NOHUGE", &s);
	TAP_CHECK(r == E_OK && s.leaves[1] == 1024 && s.leaves[2] == 1024,
		  "MAP_NOHUGE: 4 MiB aligned -> 1024 4K leaves (4K=%" PRIu64 ")", s.leaves[1]);
	TAP_CHECK(range_maps(&f.as, LOW_VA, RAM_PA, 2 * PAGE_SIZE_2M, PAGE_SIZE, fl),
		  "MAP_NOHUGE range translates with 4K pages, flags without NOHUGE");
	arena_destroy(&f.a);
}

/* The PAT memory type a leaf selects: decode PAT:PCD:PWT and index PAT_MSR_VALUE. */
static unsigned pat_type_of(uint64_t pte, unsigned level)
{
	uint64_t pat = level == 1 ? (1ull << 7) : (1ull << 12);
	unsigned idx = ((pte >> 3) & 1) | (((pte >> 4) & 1) << 1) | ((pte & pat) ? 4 : 0);
	return (PAT_MSR_VALUE >> (8 * idx)) & 0xff;
}

static void test_flag_bits(void)
{
	for (unsigned level = 1; level <= 3; level++) {
		for (unsigned c = 0; c < CACHE_TYPE_COUNT; c++) {
			unsigned bad = 0;
			for (uint32_t perm = 0; perm < 16; perm++) {
				uint32_t fl = perm | MAP_CACHE(c);  /* W X U G */
				uint64_t e = pt_pte_bits(fl, level);
				bool ok = (e & PTE_P) && pat_type_of(e, level) == want_pat_type[c] &&
					  !!(e & PTE_W) == !!(fl & MAP_WRITE) &&
					  !!(e & PTE_NX) == !(fl & MAP_EXEC) &&
					  !!(e & PTE_U) == !!(fl & MAP_USER) &&
					  !!(e & PTE_G) == !!(fl & MAP_GLOBAL) &&
					  !(e & (PTE_A | PTE_D | (PTE_ADDR_MASK & ~PTE_PATLG))) &&
					  pt_flags_of(e, level) == fl;
				if (level == 1)
					ok = ok && !(e & PTE_PATLG);
				else
					ok = ok && (e & PTE_PS);
				if (!ok) {
					TAP_DIAG("flags %#x level %u -> pte %#" PRIx64 " -> %#x", fl,
						 level, e, pt_flags_of(e, level));
					bad++;
				}
			}
			TAP_CHECK(bad == 0, "level %u cache %s: 16 W/X/U/G combinations round-trip, "
				  "PAT entry selected is the %s encoding", level, cache_name[c],
				  cache_name[c]);
		}
	}
	TAP_CHECK((pt_pte_bits(MAP_CACHE(CACHE_WC), 1) & PTE_PAT4K) &&
		  (pt_pte_bits(MAP_CACHE(CACHE_WC), 2) & PTE_PATLG) &&
		  !(pt_pte_bits(MAP_CACHE(CACHE_WC), 2) & PTE_PWT),
		  "WC uses the PAT bit: bit 7 at level 1, bit 12 at level 2");

	/* The same through real mappings: every cache type at level 1 and 2. */
	struct fixture f;
	if (!fixture_init(&f, true))
		return;
	unsigned bad = 0;
	for (unsigned c = 0; c < CACHE_TYPE_COUNT; c++) {
		uint32_t fl = MAP_WRITE | MAP_USER | MAP_CACHE(c);
		vaddr_t va = LOW_VA + c * 2 * PAGE_SIZE_2M;
		if (pt_map(&f.as, va, RAM_PA + c * PAGE_SIZE_2M, PAGE_SIZE_2M, fl) != E_OK ||
		    pt_map(&f.as, va + PAGE_SIZE_2M, RAM_PA + PAGE_SIZE, PAGE_SIZE, fl) != E_OK)
			bad++;
		else if (!range_maps(&f.as, va, RAM_PA + c * PAGE_SIZE_2M, PAGE_SIZE_2M,
				     PAGE_SIZE_2M, fl) ||
			 !range_maps(&f.as, va + PAGE_SIZE_2M, RAM_PA + PAGE_SIZE, PAGE_SIZE,
				     PAGE_SIZE, fl))
			bad++;
	}
	TAP_CHECK(bad == 0, "every cache type mapped at 2M and 4K translates back unchanged");
	check_tree(&f, "cache types", NULL);
	arena_destroy(&f.a);
}

static void test_exist(void)
{
	struct fixture f;
	uint32_t fl = MAP_WRITE;

	if (!fixture_init(&f, true))
		return;
	vaddr_t page = LOW_VA + 5 * PAGE_SIZE_2M + 7 * PAGE_SIZE;
	pt_map(&f.as, page, RAM_PA, PAGE_SIZE, fl);
	uint64_t tables = f.as.tables;

	int r = pt_map(&f.as, LOW_VA + 5 * PAGE_SIZE_2M, RAM_PA, PAGE_SIZE_2M, fl);
	TAP_CHECK(r == E_EXIST, "2M over a mapped 4K page -> E_EXIST (%d)", r);
	r = pt_map(&f.as, page - PAGE_SIZE, RAM_PA, 2 * PAGE_SIZE, fl);
	TAP_CHECK(r == E_EXIST, "range ending on the mapped page -> E_EXIST (%d)", r);
	TAP_CHECK(range_unmapped(&f.as, LOW_VA + 5 * PAGE_SIZE_2M, 7 * PAGE_SIZE) &&
		  f.as.tables == tables, "refused maps changed nothing");
	r = pt_map(&f.as, page, RAM_PA, PAGE_SIZE, fl);
	TAP_CHECK(r == E_EXIST, "same page twice -> E_EXIST (%d)", r);

	/* A 2 MiB leaf, then overlaps with its first, middle and last page. */
	vaddr_t big = LOW_VA + 8 * PAGE_SIZE_2M;
	pt_map(&f.as, big, RAM_PA, PAGE_SIZE_2M, fl);
	tables = f.as.tables;
	r = pt_map(&f.as, big + 9 * PAGE_SIZE, 0, PAGE_SIZE, fl);
	TAP_CHECK(r == E_EXIST, "4K inside a 2M leaf -> E_EXIST (%d)", r);
	r = pt_map(&f.as, big - 3 * PAGE_SIZE, 0, 4 * PAGE_SIZE, fl | MAP_NOHUGE);
	TAP_CHECK(r == E_EXIST, "range running into a 2M leaf -> E_EXIST (%d)", r);
	r = pt_map(&f.as, big + PAGE_SIZE_2M - PAGE_SIZE, 0, 2 * PAGE_SIZE, fl);
	TAP_CHECK(r == E_EXIST, "range starting in the 2M leaf's last page -> E_EXIST (%d)", r);
	TAP_CHECK(range_unmapped(&f.as, big - 3 * PAGE_SIZE, 3 * PAGE_SIZE) &&
		  range_unmapped(&f.as, big + PAGE_SIZE_2M, PAGE_SIZE) && f.as.tables == tables,
		  "no page of a refused range got mapped, no table added");

	/* A 1 GiB leaf covers a whole PD's worth: 4K and 2M maps inside fail. */
	vaddr_t giant = HIGH_VA + 3 * PAGE_SIZE_1G;
	pt_map(&f.as, giant, 0, PAGE_SIZE_1G, fl);
	r = pt_map(&f.as, giant + 77 * PAGE_SIZE_2M, 0, PAGE_SIZE_2M, fl);
	TAP_CHECK(r == E_EXIST, "2M inside a 1G leaf -> E_EXIST (%d)", r);
	r = pt_map(&f.as, giant + PAGE_SIZE_1G - PAGE_SIZE, 0, 2 * PAGE_SIZE, fl);
	TAP_CHECK(r == E_EXIST, "4K pair straddling a 1G leaf's end -> E_EXIST (%d)", r);
	TAP_CHECK(range_unmapped(&f.as, giant + PAGE_SIZE_1G, PAGE_SIZE),
		  "page after the 1G leaf still unmapped");
	check_tree(&f, "after E_EXIST cases", NULL);
	arena_destroy(&f.a);
}

static void test_inval(void)
{
	struct fixture f;
	uint32_t fl = MAP_WRITE;

	if (!fixture_init(&f, true))
		return;
	static const struct {
		vaddr_t va;
		paddr_t pa;
		uint64_t size;
		uint32_t flags;
		const char *what;
	} cases[] = {
		{ LOW_VA, 0, 0, MAP_WRITE, "zero size" },
		{ LOW_VA + 1, 0, PAGE_SIZE, MAP_WRITE, "unaligned va" },
		{ LOW_VA, 0x800, PAGE_SIZE, MAP_WRITE, "unaligned pa" },
		{ LOW_VA, 0, PAGE_SIZE + 8, MAP_WRITE, "unaligned size" },
		{ 0x0000800000000000ull, 0, PAGE_SIZE, MAP_WRITE, "non-canonical va" },
		{ 0xffff7ffffffff000ull, 0, PAGE_SIZE, MAP_WRITE, "non-canonical va below the kernel half" },
		{ 0x00007ffffffff000ull, 0, 2 * PAGE_SIZE, MAP_WRITE, "range running into the hole" },
		{ 0x00007ffffffff000ull, 0, 0xffff000000002000ull, MAP_WRITE, "range spanning the hole" },
		{ 0xfffffffffffff000ull, 0, 2 * PAGE_SIZE, MAP_WRITE, "range wrapping past 2^64" },
		{ LOW_VA, PHYS_ADDR_LIMIT, PAGE_SIZE, MAP_WRITE, "pa at 2^52" },
		{ LOW_VA, PHYS_ADDR_LIMIT - PAGE_SIZE, 2 * PAGE_SIZE, MAP_WRITE, "pa range crossing 2^52" },
		{ LOW_VA, 0xfffffffffffff000ull, PAGE_SIZE, MAP_WRITE, "pa near 2^64" },
		{ LOW_VA, 0, PAGE_SIZE, 1u << 7, "unknown flag bit" },
		{ LOW_VA, 0, PAGE_SIZE, MAP_CACHE(5), "cache type 5" },
		{ LOW_VA, 0, PAGE_SIZE, MAP_CACHE(7), "cache type 7" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = pt_map(&f.as, cases[i].va, cases[i].pa, cases[i].size, cases[i].flags);
		TAP_CHECK(r == E_INVAL, "E_INVAL: %s (got %d)", cases[i].what, r);
	}
	TAP_CHECK(f.as.tables == 1 && f.a.live == 1, "rejected maps allocated nothing");

	int r = pt_map(&f.as, 0xfffffffffffff000ull, PHYS_ADDR_LIMIT - PAGE_SIZE, PAGE_SIZE, fl);
	paddr_t pa = 0;
	TAP_CHECK(r == E_OK && pt_translate(&f.as, 0xffffffffffffffffull, &pa, NULL, NULL) == E_OK &&
		  pa == PHYS_ADDR_LIMIT - 1, "last page of the address space, last frame below 2^52");
	r = pt_map(&f.as, 0x00007ffffffff000ull, 0, PAGE_SIZE, fl);
	TAP_CHECK(r == E_OK, "last page of the lower half (%d)", r);
	r = pt_map(&f.as, 0, 0, PAGE_SIZE, fl);
	TAP_CHECK(r == E_OK, "va 0 (%d)", r);
	TAP_CHECK(pt_translate(&f.as, 0x0000800000000000ull, &pa, NULL, NULL) == E_NOENT &&
		  pt_translate(&f.as, 0x0000800000000000ull | 0xfff, &pa, NULL, NULL) == E_NOENT,
		  "non-canonical va never translates (even where the low 48 bits alias va 0)");
	check_tree(&f, "after edge maps", NULL);
	arena_destroy(&f.a);
}

/* Every page of [va, va+size) is mapped for a prefix, unmapped after. */
static uint64_t mapped_prefix(const struct pt_space *as, vaddr_t va, paddr_t pa,
			      uint64_t size, bool *consistent)
{
	uint64_t off = 0;
	paddr_t got;
	*consistent = true;
	while (off < size && pt_translate(as, va + off, &got, NULL, NULL) == E_OK) {
		if (got != pa + off)
			*consistent = false;
		off += PAGE_SIZE;
	}
	if (!range_unmapped(as, va + off, size - off))
		*consistent = false;
	return off;
}

static void test_nomem(void)
{
	uint32_t fl = MAP_WRITE | MAP_NOHUGE;
	unsigned limits[] = { 0, 1, 2, 3, 100, 513 };

	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		struct fixture f;
		if (!fixture_init(&f, true))
			return;
		/* 1 GiB of 4 KiB pages needs a PDPT, a PD and 512 PTs. */
		arena_fail_after(&f.a, limits[i]);
		int r = pt_map(&f.as, LOW_VA, RAM_PA, PAGE_SIZE_1G, fl);
		bool consistent;
		uint64_t done = mapped_prefix(&f.as, LOW_VA, RAM_PA, PAGE_SIZE_1G, &consistent);
		uint64_t want = limits[i] < 3 ? 0 : (limits[i] - 2) * PAGE_SIZE_2M;
		TAP_CHECK(r == E_NOMEM && f.a.refused == 1,
			  "frames limited to %u: E_NOMEM (%d)", limits[i], r);
		TAP_CHECK(consistent && done == want,
			  "limit %u: the first %" PRIu64 " bytes mapped correctly, the rest not (want %" PRIu64 ")",
			  limits[i], done, want);
		check_tree(&f, "after E_NOMEM", NULL);
		arena_fail_after(&f.a, ARENA_NEVER_FAIL);
		r = pt_map(&f.as, LOW_VA + done, RAM_PA + done, PAGE_SIZE_1G - done, fl);
		TAP_CHECK(r == E_OK && mapped_prefix(&f.as, LOW_VA, RAM_PA, PAGE_SIZE_1G,
						     &consistent) == PAGE_SIZE_1G && consistent,
			  "limit %u: mapping the rest afterwards completes the range", limits[i]);
		TAP_CHECK(f.as.tables == 1 + 2 + 512, "no table leaked or doubled (%" PRIu64 ")",
			  f.as.tables);
		arena_destroy(&f.a);
	}
}

static void test_walk(void)
{
	struct fixture f;
	struct pt_walk w;

	if (!fixture_init(&f, true))
		return;
	vaddr_t kva = KERNEL_BASE + 0x5000;
	uint32_t fl = MAP_EXEC | MAP_GLOBAL;
	pt_map(&f.as, kva, RAM_PA + 0x5000, PAGE_SIZE, fl);
	pt_walk(&f.as, kva + 0x10, &w);
	bool levels_ok = w.depth == 4;
	for (unsigned i = 0; i < w.depth && i < 4; i++)
		levels_ok = levels_ok && w.level[i] == 4 - i;
	TAP_CHECK(levels_ok, "walk of a 4K page: depth %u, levels 4,3,2,1", w.depth);
	TAP_CHECK(w.table[0] == f.as.root, "walk starts at the root");
	bool chain = true;
	for (unsigned i = 1; i < w.depth; i++)
		chain = chain && w.table[i] == (w.entry[i - 1] & PTE_ADDR_MASK) &&
			(w.entry[i - 1] & ~PTE_ADDR_MASK) == (PTE_P | PTE_W);
	TAP_CHECK(chain, "each table is the one the entry above points at; kernel-half "
		  "intermediates are exactly P|W (no U, no NX)");
	TAP_CHECK(w.entry[3] == ((RAM_PA + 0x5000) | pt_pte_bits(fl, 1)),
		  "leaf entry is pa | pt_pte_bits (%#" PRIx64 ")", w.entry[3]);

	pt_map(&f.as, LOW_VA, RAM_PA, PAGE_SIZE_2M, MAP_USER | MAP_WRITE);
	pt_walk(&f.as, LOW_VA + 0x1234, &w);
	TAP_CHECK(w.depth == 3 && w.level[2] == 2 && (w.entry[2] & PTE_PS) &&
		  (w.entry[0] & ~PTE_ADDR_MASK) == (PTE_P | PTE_W | PTE_U) &&
		  (w.entry[1] & ~PTE_ADDR_MASK) == (PTE_P | PTE_W | PTE_U),
		  "walk of a 2M leaf stops at level 2; lower-half intermediates are P|W|U");

	pt_walk(&f.as, 0x0000700000000000ull, &w);
	TAP_CHECK(w.depth == 1 && w.entry[0] == 0 && w.level[0] == 4,
		  "walk of an empty slot stops at the PML4 entry");
	pt_walk(&f.as, LOW_VA + PAGE_SIZE_2M, &w);
	TAP_CHECK(w.depth == 3 && w.entry[2] == 0, "walk of an empty PD entry stops at level 2");
	pt_walk(&f.as, 0x0000900000000000ull, &w);
	TAP_CHECK(w.depth == 0, "walk of a non-canonical va reads nothing");
	arena_destroy(&f.a);
}

static void test_canonical(void)
{
	static const struct {
		vaddr_t va;
		bool ok;
	} cases[] = {
		{ 0, true }, { 0x00007fffffffffffull, true }, { 0x0000800000000000ull, false },
		{ 0x00ff000000000000ull, false }, { 0xffff7fffffffffffull, false },
		{ 0xffff800000000000ull, true }, { 0xffffffffffffffffull, true },
		{ 0x8000000000000000ull, false }, { 0x7fffffffffffffffull, false },
	};
	unsigned bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (va_is_canonical(cases[i].va) != cases[i].ok) {
			TAP_DIAG("va_is_canonical(%#" PRIx64 ") wrong", cases[i].va);
			bad++;
		}
	}
	TAP_CHECK(bad == 0, "va_is_canonical on %zu boundary cases", ARRAY_SIZE(cases));
	TAP_CHECK(va_is_canonical(DMAP_BASE) && va_is_canonical(KERNEL_BASE) &&
		  va_is_canonical(PT_WINDOW_BASE) && va_is_canonical(MMIO_END - 1),
		  "every memlayout base is canonical");
}

struct inval_log {
	unsigned calls;
	vaddr_t va;
	uint64_t size;
	const struct arena *arena;     /* if set, frees seen at the call */
	uint64_t frees_at_call;
};
static struct inval_log inval_log;

static void record_invalidate(struct pt_space *as, vaddr_t va, uint64_t size)
{
	inval_log.calls++;
	inval_log.va = va;
	inval_log.size = size;
	if (inval_log.arena)
		inval_log.frees_at_call = inval_log.arena->frees;
}

static void test_invalidate_hook(void)
{
	struct fixture f;
	if (!fixture_init(&f, true))
		return;
	f.as.invalidate = record_invalidate;
	int r = pt_map(&f.as, LOW_VA, RAM_PA, 3 * PAGE_SIZE_2M, MAP_WRITE);
	TAP_CHECK(r == E_OK && inval_log.calls == 1 && inval_log.va == LOW_VA &&
		  inval_log.size == 3 * PAGE_SIZE_2M, "invalidate called once with the mapped range");
	r = pt_map(&f.as, LOW_VA, RAM_PA, PAGE_SIZE, MAP_WRITE);
	TAP_CHECK(r == E_EXIST && inval_log.calls == 1, "no invalidate when nothing changed");
	arena_destroy(&f.a);
}

static void test_five_levels(void)
{
	struct fixture f;
	if (!fixture_init(&f, true))
		return;
	f.as.levels = 5;   /* the root is empty, so it serves as a PML5 */
	vaddr_t va = 0x00f0000000000000ull;   /* canonical for 57 bits only */
	int r = pt_map(&f.as, va, RAM_PA, PAGE_SIZE_2M + PAGE_SIZE, MAP_WRITE);
	paddr_t pa = 0;
	uint64_t ps = 0;
	TAP_CHECK(r == E_OK && pt_translate(&f.as, va + PAGE_SIZE_2M + 8, &pa, &ps, NULL) == E_OK &&
		  pa == RAM_PA + PAGE_SIZE_2M + 8 && ps == PAGE_SIZE,
		  "with levels = 5 a 57-bit va maps and translates (%d)", r);
	struct pt_walk w;
	pt_walk(&f.as, va, &w);
	TAP_CHECK(w.depth == 4 && w.level[0] == 5 && w.level[3] == 2,
		  "5-level walk of a 2M leaf reads levels 5..2 (depth %u)", w.depth);
	TAP_CHECK(pt_map(&f.as, 0x0100000000000000ull, 0, PAGE_SIZE, 0) == E_INVAL,
		  "5 levels: va beyond 57 bits is still E_INVAL");
	struct pt_scan s;
	check_tree(&f, "5 levels", &s);
	arena_destroy(&f.a);
}

/* ---- ptaccess=recursive: the addresses of tables through a self-entry ----- */

/*
 * The 4 KiB frame the CPU reaches at va, walking as the hardware does and
 * independently of mm/pt.c: at levels 2 and 3 a PS entry is a large leaf
 * (the frame holding va inside it), at level 1 the entry's address is the
 * frame. PT_NO_FRAME if an entry on the way is not present.
 */
static paddr_t hw_frame(const struct fixture *f, unsigned levels, vaddr_t va)
{
	paddr_t table = f->as.root;

	for (unsigned l = levels;; l--) {
		uint64_t e = ((const uint64_t *)arena_ptr(&f->a, table))[PX(l, va)];
		if (!(e & PTE_P))
			return PT_NO_FRAME;
		if (l == 1)
			return e & PTE_ADDR_MASK;
		if ((l == 2 || l == 3) && (e & PTE_PS))
			return ALIGN_DOWN((e & PTE_ADDR_MASK & ~(PT_LEVEL_SIZE(l) - 1)) +
					  (va & (PT_LEVEL_SIZE(l) - 1)), PAGE_SIZE);
		table = e & PTE_ADDR_MASK;
	}
}

/* For every table on va's walk, pt_recursive_va(slot) reaches that table
 * through the self-entry in slot; returns how many tables were checked, 0
 * on a mismatch (diagnosed). */
static unsigned recursive_reaches_walk(const struct fixture *f, unsigned slot, vaddr_t va)
{
	struct pt_walk w;
	unsigned levels = f->as.levels;

	pt_walk(&f->as, va, &w);
	for (unsigned d = 0; d < w.depth; d++) {
		vaddr_t r = pt_recursive_va(levels, slot, va, w.level[d]);
		paddr_t got = hw_frame(f, levels, r);
		bool canon = levels == 4 ? va_is_canonical(r)
			: (int64_t)(r << 7) >> 7 == (int64_t)r;
		if (got != w.table[d] || !canon || (r & (PAGE_SIZE - 1))) {
			TAP_DIAG("va %#" PRIx64 " level %u: recursive va %#" PRIx64 " reaches %#" PRIx64
				 ", the table is %#" PRIx64, va, w.level[d], r, got, w.table[d]);
			return 0;
		}
	}
	return w.depth;
}

static void recursive_case(unsigned levels, unsigned slot)
{
	struct fixture f;
	if (!fixture_init(&f, true))
		return;
	f.as.levels = levels;
	vaddr_t high = levels == 4 ? HIGH_VA : 0xff80000000000000ull;   /* kernel half */
	int r = pt_map(&f.as, LOW_VA, RAM_PA, PAGE_SIZE, MAP_WRITE | MAP_USER);
	r = r ?: pt_map(&f.as, LOW_VA + PAGE_SIZE_2M, RAM_PA, PAGE_SIZE_2M, MAP_WRITE);
	r = r ?: pt_map(&f.as, high + PAGE_SIZE_1G, RAM_PA, PAGE_SIZE_1G, 0);
	r = r ?: pt_map(&f.as, high + 5 * PAGE_SIZE, RAM_PA, PAGE_SIZE, 0);
	TAP_CHECK(r == E_OK, "recursive, %u levels, slot %u: mappings made (%d)", levels, slot, r);
	pt_root_table(&f.as)[slot] = f.as.root | PTE_P | PTE_W | PTE_NX;

	const vaddr_t vas[] = { LOW_VA, LOW_VA + PAGE_SIZE_2M + 3 * PAGE_SIZE, high + PAGE_SIZE_1G,
				high + 5 * PAGE_SIZE, high + 77 * PAGE_SIZE_2M };
	unsigned checked = 0, bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(vas); i++) {
		unsigned n = recursive_reaches_walk(&f, slot, vas[i]);
		checked += n;
		bad += n == 0;
	}
	TAP_CHECK(bad == 0 && checked >= 3 * levels,
		  "recursive, %u levels, slot %u: through the self-entry every table on %zu walks is "
		  "where pt_recursive_va says (%u tables)", levels, slot, ARRAY_SIZE(vas), checked);
	/* The wart of a recursive slot: the level-1 "table" under a 2 MiB leaf
	 * is the leaf's own memory, read as a 4 KiB page: never use it. */
	paddr_t alias = hw_frame(&f, levels, pt_recursive_va(levels, slot, LOW_VA + PAGE_SIZE_2M, 1));
	TAP_CHECK(alias == RAM_PA, "recursive, %u levels: under a 2 MiB leaf the level-1 address "
		  "shows the leaf's first frame (%#" PRIx64 "), not a table", levels, alias);
	arena_destroy(&f.a);
}

static void test_recursive(void)
{
	recursive_case(4, RECURSIVE_SLOT);
	recursive_case(4, 5);           /* a lower-half slot: no sign extension */
	recursive_case(5, 300);
	TAP_CHECK(pt_recursive_va(4, 256, 0, 4) == 0xffff804020100000ull &&
		  pt_recursive_va(4, 511, 0, 4) == 0xfffffffffffff000ull &&
		  pt_recursive_va(4, 256, 0xffffffff80000000ull, 1) == 0xffff807fffc00000ull,
		  "pt_recursive_va: the root through slots 256 and 511, the kernel image's "
		  "page table through 256");
}

/* ---- phase 2: split, unmap, protect --------------------------------------- */

/* The raw leaf entry covering va, or 0 (test-side, through pt_walk). */
static uint64_t leaf_entry(const struct pt_space *as, vaddr_t va, unsigned *level)
{
	struct pt_walk w;
	pt_walk(as, va, &w);
	if (w.depth == 0 || !(w.entry[w.depth - 1] & PTE_P))
		return 0;
	*level = w.level[w.depth - 1];
	return w.entry[w.depth - 1];
}

/* Pointer to the leaf entry covering va, to plant A/D bits. */
static uint64_t *leaf_ptr(const struct fixture *f, vaddr_t va)
{
	struct pt_walk w;
	pt_walk(&f->as, va, &w);
	unsigned d = w.depth - 1;
	return (uint64_t *)arena_ptr(&f->a, w.table[d]) + PX(w.level[d], va);
}

/* What a large leaf's attributes must become in a 4 KiB leaf: PS dropped,
 * PAT moved from bit 12 to bit 7, everything else equal. */
static uint64_t attrs_as_4k(uint64_t big)
{
	uint64_t a = big & ~PTE_ADDR_MASK & ~PTE_PS;
	if (big & PTE_PATLG)
		a |= PTE_PAT4K;
	return a;
}

static void test_split(void)
{
	static const uint32_t perms[] = {
		MAP_WRITE | MAP_GLOBAL, MAP_EXEC | MAP_USER, MAP_WRITE | MAP_EXEC | MAP_USER | MAP_GLOBAL, 0,
	};
	struct fixture f;
	if (!fixture_init(&f, true))
		return;
	for (unsigned c = 0; c < CACHE_TYPE_COUNT; c++) {
		for (size_t p = 0; p < ARRAY_SIZE(perms); p++) {
			uint32_t fl = perms[p] | MAP_CACHE(c);
			vaddr_t va = HIGH_VA + (c * ARRAY_SIZE(perms) + p) * PAGE_SIZE_1G;
			paddr_t pa = (3 + c + p) * PAGE_SIZE_1G;
			pt_map(&f.as, va, pa, PAGE_SIZE_1G, fl);
			*leaf_ptr(&f, va) |= PTE_A | PTE_D | (1ull << 9);   /* hardware and software bits */
			unsigned level = 0;
			uint64_t big = leaf_entry(&f.as, va, &level);
			int r1 = pt_split(&f.as, va + 5 * PAGE_SIZE_2M + 77, PT_LEVEL_1G);
			unsigned bad2 = 0, bad4 = 0;
			for (uint64_t i = 0; i < PT_ENTRIES; i++) {
				uint64_t e = leaf_entry(&f.as, va + i * PAGE_SIZE_2M, &level);
				if (level != 2 || e != ((pa + i * PAGE_SIZE_2M) | (big & ~PTE_ADDR_MASK) |
							(big & PTE_PATLG)))
					bad2++;
			}
			uint64_t mid = leaf_entry(&f.as, va + 5 * PAGE_SIZE_2M, &level);
			int r2 = pt_split(&f.as, va + 5 * PAGE_SIZE_2M, PT_LEVEL_2M);
			for (uint64_t i = 0; i < PT_ENTRIES; i++) {
				vaddr_t v = va + 5 * PAGE_SIZE_2M + i * PAGE_SIZE;
				uint64_t e = leaf_entry(&f.as, v, &level);
				if (level != 1 || e != ((pa + 5 * PAGE_SIZE_2M + i * PAGE_SIZE) | attrs_as_4k(mid)) ||
				    pt_flags_of(e, 1) != fl)
					bad4++;
			}
			TAP_CHECK(r1 == E_OK && r2 == E_OK && bad2 == 0 && bad4 == 0,
				  "split 1G -> 2M -> 4K keeps every attribute bit of %s flags %#x "
				  "(%u/%u entries differ)", cache_name[c], perms[p], bad2, bad4);
			TAP_CHECK(range_maps(&f.as, va + 4 * PAGE_SIZE_2M, pa + 4 * PAGE_SIZE_2M,
					     PAGE_SIZE_2M, PAGE_SIZE_2M, fl) &&
				  range_maps(&f.as, va + 5 * PAGE_SIZE_2M, pa + 5 * PAGE_SIZE_2M,
					     PAGE_SIZE_2M, PAGE_SIZE, fl),
				  "%s %#x: translations unchanged after the splits", cache_name[c], perms[p]);
		}
	}
	check_tree(&f, "after splits", NULL);

	vaddr_t va = HIGH_VA;      /* now a table of 2M leaves */
	TAP_CHECK(pt_split(&f.as, va, PT_LEVEL_1G) == E_NOENT, "split: no 1G leaf there -> E_NOENT");
	TAP_CHECK(pt_split(&f.as, va + 5 * PAGE_SIZE_2M, PT_LEVEL_2M) == E_NOENT,
		  "split: 2M already split -> E_NOENT");
	TAP_CHECK(pt_split(&f.as, LOW_VA, PT_LEVEL_2M) == E_NOENT, "split: nothing mapped -> E_NOENT");
	TAP_CHECK(pt_split(&f.as, va, PT_LEVEL_4K) == E_INVAL && pt_split(&f.as, va, 4) == E_INVAL,
		  "split: level 1 or 4 -> E_INVAL");
	TAP_CHECK(pt_split(&f.as, 0x0000800000000000ull, PT_LEVEL_2M) == E_INVAL,
		  "split: non-canonical va -> E_INVAL");
	uint64_t tables = f.as.tables;
	arena_fail_after(&f.a, 0);
	int r = pt_split(&f.as, va, PT_LEVEL_2M);
	unsigned level = 0;
	TAP_CHECK(r == E_NOMEM && f.as.tables == tables && leaf_entry(&f.as, va, &level) && level == 2,
		  "split without a frame -> E_NOMEM, leaf untouched (%d)", r);
	arena_fail_after(&f.a, ARENA_NEVER_FAIL);
	f.as.invalidate = record_invalidate;
	inval_log.calls = 0;
	r = pt_split(&f.as, va + 3 * PAGE_SIZE, PT_LEVEL_2M);
	TAP_CHECK(r == E_OK && inval_log.calls == 1 && inval_log.va == va &&
		  inval_log.size == PAGE_SIZE_2M, "split calls invalidate over the old leaf");
	arena_destroy(&f.a);
}

/* Per-page picture of a region, from the tables or from the shadow model. */
#define PM_MAPPED 0x80000000u
struct page_model {
	vaddr_t base;
	size_t pages;
	paddr_t *pa;
	uint32_t *flags;       /* MAP_* | PM_MAPPED, 0 if unmapped */
	uint64_t outside;      /* leaves found outside the region */
};

static void model_init(struct page_model *m, vaddr_t base, size_t pages)
{
	m->base = base;
	m->pages = pages;
	m->pa = calloc(pages, sizeof(*m->pa));
	m->flags = calloc(pages, sizeof(*m->flags));
	m->outside = 0;
}

static void model_free(struct page_model *m)
{
	free(m->pa);
	free(m->flags);
}

static void model_leaf(void *ctx, const struct pt_leaf *l)
{
	struct page_model *m = ctx;
	uint64_t size = PT_LEVEL_SIZE(l->level);
	if (l->va < m->base || l->va + size - m->base > m->pages * PAGE_SIZE) {
		m->outside++;
		return;
	}
	size_t first = (l->va - m->base) / PAGE_SIZE;
	uint32_t fl = pt_flags_of(l->pte, l->level) | PM_MAPPED;
	for (size_t i = 0; i < size / PAGE_SIZE; i++) {
		m->pa[first + i] = l->pa + i * PAGE_SIZE;
		m->flags[first + i] = fl;
	}
}

/* Read the tables of f into m (cleared first); returns the scan. */
static struct pt_scan model_read(const struct fixture *f, struct page_model *m)
{
	struct pt_scan s;
	memset(m->pa, 0, m->pages * sizeof(*m->pa));
	memset(m->flags, 0, m->pages * sizeof(*m->flags));
	m->outside = 0;
	pt_scan(&f->as, &f->a, model_leaf, m, &s);
	return s;
}

/* Index of the first page where a and b differ, or pages if none. */
static size_t model_diff(const struct page_model *a, const struct page_model *b)
{
	for (size_t i = 0; i < a->pages; i++)
		if (a->flags[i] != b->flags[i] || (a->flags[i] && a->pa[i] != b->pa[i]))
			return i;
	return a->pages;
}

static void test_unmap(void)
{
	struct fixture f;
	struct pt_scan s;
	uint32_t fl = MAP_WRITE | MAP_CACHE(CACHE_WC);
	if (!fixture_init(&f, true))
		return;

	/* One page out of the middle of a 1 GiB leaf. */
	pt_map(&f.as, LOW_VA, RAM_PA, PAGE_SIZE_1G, fl);
	vaddr_t hole = LOW_VA + 300 * PAGE_SIZE_2M + 17 * PAGE_SIZE;
	int r = pt_unmap(&f.as, hole, PAGE_SIZE);
	check_tree(&f, "unmap one page of a 1G leaf", &s);
	TAP_CHECK(r == E_OK && s.leaves[3] == 0 && s.leaves[2] == 511 && s.leaves[1] == 511,
		  "1G leaf minus a page -> 511 2M + 511 4K leaves (r=%d)", r);
	paddr_t pa;
	TAP_CHECK(pt_translate(&f.as, hole, &pa, NULL, NULL) == E_NOENT, "the page is gone");
	TAP_CHECK(range_maps(&f.as, LOW_VA, RAM_PA, 300 * PAGE_SIZE_2M, PAGE_SIZE_2M, fl) &&
		  range_maps(&f.as, LOW_VA + 300 * PAGE_SIZE_2M, RAM_PA + 300 * PAGE_SIZE_2M,
			     17 * PAGE_SIZE, PAGE_SIZE, fl) &&
		  range_maps(&f.as, hole + PAGE_SIZE, RAM_PA + (hole + PAGE_SIZE - LOW_VA),
			     LOW_VA + 301 * PAGE_SIZE_2M - hole - PAGE_SIZE, PAGE_SIZE, fl) &&
		  range_maps(&f.as, LOW_VA + 301 * PAGE_SIZE_2M, RAM_PA + 301 * PAGE_SIZE_2M,
			     PAGE_SIZE_1G - 301 * PAGE_SIZE_2M, PAGE_SIZE_2M, fl),
		  "every other page keeps its address and WC/W flags");

	TAP_CHECK(pt_unmap(&f.as, hole, PAGE_SIZE) == E_OK, "unmapping it again (a hole) -> E_OK");
	f.as.invalidate = record_invalidate;
	inval_log.calls = 0;
	r = pt_unmap(&f.as, 0x0000100000000000ull, 64 * PAGE_SIZE_1G);
	TAP_CHECK(r == E_OK && inval_log.calls == 0 && f.a.allocs == f.as.tables + f.a.frees,
		  "unmapping an empty range -> E_OK, no invalidate, no table touched");
	inval_log.arena = &f.a;
	uint64_t frees_before = f.a.frees;
	r = pt_unmap(&f.as, LOW_VA - PAGE_SIZE_2M, PAGE_SIZE_1G + 2 * PAGE_SIZE_2M);
	inval_log.arena = NULL;
	TAP_CHECK(inval_log.frees_at_call == frees_before && f.a.frees > frees_before,
		  "emptied tables are freed only after invalidate (%" PRIu64 " freed)",
		  f.a.frees - frees_before);
	check_tree(&f, "unmap all", &s);
	TAP_CHECK(r == E_OK && f.as.tables == 1 && f.a.live == 1 && f.a.bad_frees == 0,
		  "unmapping everything (with holes around) frees every table but the root "
		  "(tables %" PRIu64 ")", f.as.tables);
	TAP_CHECK(inval_log.calls == 1 && inval_log.va <= LOW_VA &&
		  inval_log.va + inval_log.size >= LOW_VA + PAGE_SIZE_1G,
		  "invalidate covers the unmapped range");

	/* Bad ranges. */
	TAP_CHECK(pt_unmap(&f.as, LOW_VA, 0) == E_INVAL && pt_unmap(&f.as, LOW_VA + 8, PAGE_SIZE) == E_INVAL &&
		  pt_unmap(&f.as, LOW_VA, 100) == E_INVAL, "unmap: empty or unaligned -> E_INVAL");
	TAP_CHECK(pt_unmap(&f.as, 0x0000800000000000ull, PAGE_SIZE) == E_INVAL &&
		  pt_unmap(&f.as, 0x00007ffffffff000ull, 0xffff000000002000ull) == E_INVAL &&
		  pt_unmap(&f.as, 0xfffffffffffff000ull, 2 * PAGE_SIZE) == E_INVAL,
		  "unmap: non-canonical, spanning the hole, wrapping -> E_INVAL");
	TAP_CHECK(pt_unmap(&f.as, 0xffff800000000000ull, 0x0000800000000000ull) == E_OK &&
		  pt_unmap(&f.as, 0, 0x0000800000000000ull) == E_OK,
		  "unmap of a whole half (ending at 2^64 / at the hole) -> E_OK");

	/* E_NOMEM: a split is needed and there is no frame: nothing changes. */
	pt_map(&f.as, LOW_VA, RAM_PA, PAGE_SIZE_1G, fl);
	uint64_t tables = f.as.tables;
	arena_fail_after(&f.a, 1);       /* 1G -> 2M works, 2M -> 4K does not */
	r = pt_unmap(&f.as, hole, PAGE_SIZE);
	check_tree(&f, "unmap E_NOMEM", NULL);
	TAP_CHECK(r == E_NOMEM && range_maps(&f.as, hole - 17 * PAGE_SIZE, RAM_PA + 300 * PAGE_SIZE_2M,
					     PAGE_SIZE_2M, PAGE_SIZE_2M, fl) && f.as.tables == tables + 1,
		  "unmap needing a frame it cannot get -> E_NOMEM, every page still mapped (%d)", r);
	arena_fail_after(&f.a, ARENA_NEVER_FAIL);

	/* The kernel half keeps its top-level tables. */
	pt_map(&f.as, HIGH_VA + PAGE_SIZE_2M, 0, 3 * PAGE_SIZE, MAP_WRITE);
	pt_map(&f.as, KERNEL_BASE, 0x200000, PAGE_SIZE_2M + PAGE_SIZE, MAP_EXEC);
	pt_map(&f.as, DMAP_BASE, 0, 2 * PAGE_SIZE_1G, MAP_WRITE);
	r = pt_unmap(&f.as, LOW_VA, PAGE_SIZE_1G);
	int r2 = pt_unmap(&f.as, HIGH_VA, 2 * PAGE_SIZE_2M);
	int r3 = pt_unmap(&f.as, KERNEL_BASE, PAGE_SIZE_1G);
	int r4 = pt_unmap(&f.as, DMAP_BASE, PAGE_SIZE_1G * 4);
	check_tree(&f, "unmap kernel half", &s);
	TAP_CHECK(r == E_OK && r2 == E_OK && r3 == E_OK && r4 == E_OK && f.as.tables == 1 + 3 &&
		  s.leaves[1] + s.leaves[2] + s.leaves[3] == 0,
		  "after unmapping everything: root + the 3 kernel-half PDPTs remain (%" PRIu64 ")",
		  f.as.tables);
	TAP_CHECK(f.a.live == f.as.tables && f.a.bad_frees == 0, "arena agrees, no bad free");
	arena_destroy(&f.a);
}

static void test_protect(void)
{
	struct fixture f;
	struct pt_scan s;
	uint32_t fl = MAP_WRITE | MAP_GLOBAL;
	uint32_t uc = MAP_CACHE(CACHE_UC);
	if (!fixture_init(&f, true))
		return;

	pt_map(&f.as, LOW_VA, RAM_PA, PAGE_SIZE_1G, fl);
	*leaf_ptr(&f, LOW_VA) |= PTE_A | PTE_D;
	vaddr_t mid = LOW_VA + 7 * PAGE_SIZE_2M + 3 * PAGE_SIZE;
	int r = pt_protect(&f.as, mid, 5 * PAGE_SIZE, uc);
	check_tree(&f, "protect 5 pages of a 1G leaf", &s);
	TAP_CHECK(r == E_OK && s.leaves[2] == 511 && s.leaves[1] == 512,
		  "protect inside a 1G leaf splits it at the edges only (r=%d)", r);
	TAP_CHECK(range_maps(&f.as, mid, RAM_PA + (mid - LOW_VA), 5 * PAGE_SIZE, PAGE_SIZE, uc) &&
		  range_maps(&f.as, mid - 3 * PAGE_SIZE, RAM_PA + 7 * PAGE_SIZE_2M, 3 * PAGE_SIZE, PAGE_SIZE, fl) &&
		  range_maps(&f.as, mid + 5 * PAGE_SIZE, RAM_PA + (mid + 5 * PAGE_SIZE - LOW_VA),
			     504 * PAGE_SIZE, PAGE_SIZE, fl),
		  "the 5 pages are UC read-only NX, their neighbours unchanged, same addresses");
	unsigned level;
	uint64_t e = leaf_entry(&f.as, mid, &level);
	TAP_CHECK((e & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "A/D bits survive split and protect");

	r = pt_protect(&f.as, LOW_VA + 8 * PAGE_SIZE_2M, PAGE_SIZE_2M, MAP_EXEC | MAP_CACHE(CACHE_WT));
	e = leaf_entry(&f.as, LOW_VA + 8 * PAGE_SIZE_2M, &level);
	TAP_CHECK(r == E_OK && level == 2 && pt_flags_of(e, 2) == (MAP_EXEC | MAP_CACHE(CACHE_WT)),
		  "protect of a whole 2M leaf keeps it a 2M leaf");

	/* The TLB hook hears about the whole leaf that was split, not just the
	 * pages whose permissions changed. */
	f.as.invalidate = record_invalidate;
	inval_log.calls = 0;
	r = pt_protect(&f.as, LOW_VA + 9 * PAGE_SIZE_2M + 5 * PAGE_SIZE, PAGE_SIZE, MAP_READ);
	TAP_CHECK(r == E_OK && inval_log.calls == 1 && inval_log.va == LOW_VA + 9 * PAGE_SIZE_2M &&
		  inval_log.size == PAGE_SIZE_2M,
		  "protect of one page of a 2M leaf invalidates the old leaf's 2 MiB once");
	f.as.invalidate = NULL;

	/* A hole anywhere: E_NOENT and nothing changes. */
	pt_unmap(&f.as, LOW_VA + 100 * PAGE_SIZE_2M, PAGE_SIZE);
	struct page_model before, after;
	model_init(&before, LOW_VA, PAGE_SIZE_1G / PAGE_SIZE);
	model_init(&after, LOW_VA, PAGE_SIZE_1G / PAGE_SIZE);
	model_read(&f, &before);
	uint64_t tables = f.as.tables;
	r = pt_protect(&f.as, LOW_VA + 99 * PAGE_SIZE_2M + PAGE_SIZE, 3 * PAGE_SIZE_2M, MAP_WRITE);
	model_read(&f, &after);
	TAP_CHECK(r == E_NOENT && model_diff(&before, &after) == before.pages && f.as.tables == tables,
		  "protect over an unmapped page -> E_NOENT, nothing changed, no split (%d)", r);
	TAP_CHECK(pt_protect(&f.as, 0x0000700000000000ull, PAGE_SIZE, MAP_WRITE) == E_NOENT,
		  "protect of an unmapped range -> E_NOENT");

	/* E_NOMEM on the second edge: no permission changed. */
	arena_fail_after(&f.a, 1);
	r = pt_protect(&f.as, LOW_VA + 200 * PAGE_SIZE_2M + PAGE_SIZE, PAGE_SIZE_2M, MAP_READ);
	model_read(&f, &after);
	size_t diff = model_diff(&before, &after);
	TAP_CHECK(r == E_NOMEM && diff == before.pages,
		  "protect without frames for both edges -> E_NOMEM, no page changed (%d, diff at %zu)",
		  r, diff);
	arena_fail_after(&f.a, ARENA_NEVER_FAIL);
	check_tree(&f, "protect E_NOMEM", NULL);

	TAP_CHECK(pt_protect(&f.as, LOW_VA, PAGE_SIZE, MAP_NOHUGE) == E_INVAL &&
		  pt_protect(&f.as, LOW_VA, PAGE_SIZE, 1u << 6) == E_INVAL &&
		  pt_protect(&f.as, LOW_VA, PAGE_SIZE, MAP_CACHE(6)) == E_INVAL &&
		  pt_protect(&f.as, LOW_VA, 0, 0) == E_INVAL &&
		  pt_protect(&f.as, LOW_VA + 1, PAGE_SIZE, 0) == E_INVAL &&
		  pt_protect(&f.as, 0x0000800000000000ull, PAGE_SIZE, 0) == E_INVAL,
		  "protect: MAP_NOHUGE, unknown flag, bad cache type, bad range -> E_INVAL");
	model_free(&before);
	model_free(&after);
	arena_destroy(&f.a);
}

/* ---- random sequences against a shadow model ------------------------------ */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

enum op { OP_MAP, OP_UNMAP, OP_PROTECT, OP_COUNT };
static const char *const op_name[OP_COUNT] = { "map", "unmap", "protect" };

/* A random range of the region, at 4K, 2M or 1G granularity. */
static void random_range(const struct page_model *m, bool has_1g, vaddr_t *va, uint64_t *size)
{
	uint64_t region = m->pages * PAGE_SIZE;
	uint64_t pick = rng() % 10;
	uint64_t gran = pick < 4 ? PAGE_SIZE : (pick < 8 || !has_1g) ? PAGE_SIZE_2M : PAGE_SIZE_1G;
	uint64_t n = gran == PAGE_SIZE_1G ? 1 + rng() % 2 : 1 + rng() % 700;
	if (gran == PAGE_SIZE_2M && rng() % 2)
		n = 1 + rng() % 4;
	uint64_t off = ALIGN_DOWN(rng() % region, gran);
	/* Sometimes shift by whole pages so the edges fall inside large leaves. */
	if (rng() % 3 == 0) {
		uint64_t shift = (rng() % 512) * PAGE_SIZE;   /* MIN evaluates twice */
		off = MIN(off + shift, region - PAGE_SIZE);
	}
	*va = m->base + off;
	*size = MIN(n * gran, region - off);
}

static uint32_t random_flags(void)
{
	return (uint32_t)(rng() % 16) | MAP_CACHE(rng() % CACHE_TYPE_COUNT);
}

/* The status the shadow predicts for op: E_OK, E_EXIST or E_NOENT. */
static int shadow_predict(const struct page_model *m, enum op op, vaddr_t va, uint64_t size)
{
	size_t first = (va - m->base) / PAGE_SIZE, n = size / PAGE_SIZE;
	size_t mapped = 0;
	for (size_t i = 0; i < n; i++)
		mapped += m->flags[first + i] != 0;
	if (op == OP_MAP && mapped)
		return E_EXIST;
	if (op == OP_PROTECT && mapped != n)
		return E_NOENT;
	return E_OK;
}

/* Apply a successful op to the shadow. */
static void shadow_commit(struct page_model *m, enum op op, vaddr_t va, uint64_t size,
			  paddr_t pa, uint32_t flags)
{
	size_t first = (va - m->base) / PAGE_SIZE, n = size / PAGE_SIZE;
	for (size_t i = 0; i < n; i++) {
		if (op == OP_MAP)
			m->pa[first + i] = pa + i * PAGE_SIZE;
		m->flags[first + i] = op == OP_UNMAP ? 0 : ((flags & ~MAP_NOHUGE) | PM_MAPPED);
	}
}

/* Run ops random operations on a region of the given size at base; every
 * few operations inject a frame shortage into an unmap or protect, which
 * must then change nothing. Emits four TAP lines. */
static void random_sequence(const char *name, vaddr_t base, uint64_t region, bool has_1g,
			    unsigned ops, uint64_t final_tables)
{
	struct fixture f;
	struct page_model shadow, real;
	unsigned status_bad = 0, state_bad = 0, tree_bad = 0, nomem = 0, succeeded = 0;
	unsigned count[OP_COUNT] = { 0 };
	if (!fixture_init(&f, has_1g))
		return;
	model_init(&shadow, base, region / PAGE_SIZE);
	model_init(&real, base, region / PAGE_SIZE);

	for (unsigned i = 0; i < ops; i++) {
		enum op op = (enum op)(rng() % OP_COUNT);
		vaddr_t va;
		uint64_t size;
		random_range(&shadow, has_1g, &va, &size);
		uint32_t flags = random_flags();
		static const uint64_t pa_align[] = { PAGE_SIZE, PAGE_SIZE_2M, PAGE_SIZE_1G };
		uint64_t align = pa_align[rng() % ARRAY_SIZE(pa_align)];
		paddr_t pa = ALIGN_DOWN(rng() % (64 * GiB), align);
		if (op == OP_MAP && rng() % 8 == 0)
			flags |= MAP_NOHUGE;
		bool starve = op != OP_MAP && rng() % 3 == 0;
		if (starve)
			arena_fail_after(&f.a, (long)(rng() % 2));
		int got = op == OP_MAP ? pt_map(&f.as, va, pa, size, flags)
			: op == OP_UNMAP ? pt_unmap(&f.as, va, size)
			: pt_protect(&f.as, va, size, flags);
		arena_fail_after(&f.a, ARENA_NEVER_FAIL);
		int want = shadow_predict(&shadow, op, va, size);
		if (starve && got == E_NOMEM && want == E_OK) {
			nomem++;          /* must have changed nothing: shadow stays */
			want = E_NOMEM;
		} else if (want == E_OK) {
			shadow_commit(&shadow, op, va, size, pa, flags);
		}
		succeeded += got == E_OK;
		count[op]++;
		if (got != want && status_bad++ < 3)
			TAP_DIAG("%s op %u %s [%#" PRIx64 ", +%#" PRIx64 ") -> %d, want %d", name, i,
				 op_name[op], va, size, got, want);
		struct pt_scan s = model_read(&f, &real);
		size_t d = model_diff(&shadow, &real);
		if ((d != shadow.pages || real.outside) && state_bad++ < 3)
			TAP_DIAG("%s op %u %s: page %#" PRIx64 " differs (shadow %#x %#" PRIx64
				 ", tables %#x %#" PRIx64 ")", name, i, op_name[op],
				 (uint64_t)(base + d * PAGE_SIZE), d < shadow.pages ? shadow.flags[d] : 0,
				 d < shadow.pages ? shadow.pa[d] : 0, d < shadow.pages ? real.flags[d] : 0,
				 d < shadow.pages ? real.pa[d] : 0);
		if ((s.problems || s.tables != f.as.tables || f.as.tables != f.a.live) && tree_bad++ < 3)
			TAP_DIAG("%s op %u: %s; tables %" PRIu64 "/%" PRIu64 "/%" PRIu64, name, i,
				 s.first_problem, s.tables, f.as.tables, f.a.live);
	}
	TAP_CHECK(status_bad == 0, "%s: %u ops (%u map, %u unmap, %u protect; %u succeeded, %u "
		  "E_NOMEM): every status as the shadow model predicts", name, ops, count[OP_MAP],
		  count[OP_UNMAP], count[OP_PROTECT], succeeded, nomem);
	TAP_CHECK(state_bad == 0, "%s: after every op each page matches the shadow (pa, flags)", name);
	TAP_CHECK(tree_bad == 0, "%s: after every op the tree is well-formed and no frame leaks", name);
	int r = pt_unmap(&f.as, base, region);
	TAP_CHECK(r == E_OK && f.as.tables == final_tables && f.a.live == final_tables &&
		  f.a.bad_frees == 0, "%s: unmapping the region returns the arena to %" PRIu64
		  " tables (%" PRIu64 ")", name, final_tables, f.a.live);
	model_free(&shadow);
	model_free(&real);
	arena_destroy(&f.a);
}

static void test_random(void)
{
	random_sequence("4 GiB lower half, 1G pages", 4 * PAGE_SIZE_1G, 4 * PAGE_SIZE_1G, true, 150, 1);
	random_sequence("64 MiB kernel half, no 1G", KERNEL_BASE + 64 * MiB, 64 * MiB, false, 500, 2);
	random_sequence("2 GiB across a PML4 slot", SLOT_SIZE - PAGE_SIZE_1G, 2 * PAGE_SIZE_1G, true, 150, 1);
}

/* pt_unmap_release hands each removed leaf's memory to the callback, the
 * part inside the range only (split edges), and frees the tables. */
struct released {
	paddr_t pa[8];
	uint64_t size[8];
	unsigned n;
};

static void record_release(void *ctx, paddr_t pa, uint64_t size)
{
	struct released *r = ctx;
	if (r->n < 8) {
		r->pa[r->n] = pa;
		r->size[r->n] = size;
	}
	r->n++;
}

static void test_unmap_release(void)
{
	struct fixture f;
	struct released r = { .n = 0 };

	if (!fixture_init(&f, true))
		return;
	TAP_CHECK(pt_map(&f.as, 0x400000, 0x10000000, 3 * PAGE_SIZE, MAP_USER | MAP_WRITE) == E_OK &&
		  pt_map(&f.as, 0x40000000, 0x20000000, PAGE_SIZE_2M, MAP_USER) == E_OK, "map");
	/* The whole lower half: three 4K leaves, then the last 1 MiB of the 2M leaf. */
	TAP_CHECK(pt_unmap_release(&f.as, 0, 0x40100000, record_release, &r) == E_OK, "unmap");
	TAP_CHECK(r.n == 3 + 256 && r.pa[0] == 0x10000000 && r.size[0] == PAGE_SIZE &&
		  r.pa[2] == 0x10002000, "released %u leaves, first %lx+%lx", r.n,
		  (unsigned long)r.pa[0], (unsigned long)r.size[0]);
	r.n = 0;
	TAP_CHECK(pt_unmap_release(&f.as, 0, 1ull << 47, record_release, &r) == E_OK && r.n == 256 &&
		  f.as.tables == 1, "rest released: %u leaves, %lu tables left", r.n,
		  (unsigned long)f.as.tables);
	check_tree(&f, "after release", NULL);
	arena_destroy(&f.a);
}

/* pt_fill_top gives every empty top-level entry of a range a table, once. */
static void test_fill_top(void)
{
	struct fixture f;

	if (!fixture_init(&f, true))
		return;
	TAP_CHECK(pt_map(&f.as, 0xffffffff80000000ull, 0x1000000, PAGE_SIZE, 0) == E_OK, "map");
	uint64_t before = f.as.tables;
	TAP_CHECK(pt_fill_top(&f.as, 256, 512) == E_OK && f.as.tables == before + 255,
		  "255 tables added: %lu", (unsigned long)(f.as.tables - before));
	TAP_CHECK(pt_fill_top(&f.as, 256, 512) == E_OK && f.as.tables == before + 255, "idempotent");
	TAP_CHECK(pt_fill_top(&f.as, 10, 5) == E_INVAL && pt_fill_top(&f.as, 0, 513) == E_INVAL,
		  "bad ranges refused");
	/* A kernel-half table made by fill_top stays after an unmap empties it. */
	TAP_CHECK(pt_map(&f.as, 0xffff900000000000ull, 0x2000000, PAGE_SIZE, 0) == E_OK &&
		  pt_unmap(&f.as, 0xffff900000000000ull, PAGE_SIZE) == E_OK &&
		  f.as.tables == before + 255, "kernel-half table kept: %lu", (unsigned long)f.as.tables);
	check_tree(&f, "after fill", NULL);
	arena_destroy(&f.a);
}

int main(void)
{
	tap_plan_unknown();
	test_init();
	test_leaf_choice();
	test_no_1g_and_nohuge();
	test_flag_bits();
	test_exist();
	test_inval();
	test_nomem();
	test_walk();
	test_canonical();
	test_invalidate_hook();
	test_five_levels();
	test_recursive();
	test_split();
	test_unmap();
	test_protect();
	test_random();
	test_unmap_release();
	test_fill_top();
	return tap_done();
}
