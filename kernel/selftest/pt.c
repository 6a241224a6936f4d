/*
 * pt.c - the page-table API (pt.h) on the live kernel page tables:
 * map a 2 MiB leaf, split it by unmapping one page in the middle, change
 * the protection of part of it, and check that the CPU sees exactly what
 * pt_translate reports, that the neighbours keep their attributes, and that
 * every page-table frame goes back to the pool at the end.
 *
 * The memory used is the first page-table pool chunk: 2 MiB of RAM, 2 MiB
 * aligned, mapped here read-only (an alias; nothing is written through it).
 */
#include "klib.h"
#include "kspace.h"
#include "selftest.h"

#define TEST_VA (TEMPMAP_BASE + PAGE_SIZE_1G)   /* clear of other tests' aliases */

/* Write the word at va back unchanged: if the read-only alias wrongly
 * allowed the write, the page-table memory behind it still is intact. */
static bool st_write_back_faults(vaddr_t va)
{
	uint64_t v = *(volatile uint64_t *)pt_window_va(kspace_window(),
							selftest_handoff()->pool[0].start + (va - TEST_VA));
	return st_try_write(va, v)->hits != 0;
}

SELFTEST(pt_map_split_protect_unmap_live)
{
	struct pt_space *as = kernel_space();
	const struct handoff *h = selftest_handoff();
	paddr_t pa = h->pool[0].start, got;
	uint64_t size, tables_before = as->tables, v;
	uint32_t flags;
	const uint32_t ro = MAP_GLOBAL | MAP_CACHE(CACHE_WB);
	/* A kernel-half top-level entry, once made, stays (pt_unmap): if this
	 * test creates the PDPT under it, that one frame is kept. */
	const uint64_t *root = pt_window_va(kspace_window(), as->root);
	uint64_t kept = (root[PX(PT_LEVELS, TEST_VA)] & PTE_P) ? 0 : 1;

	if (!ST_CHECK(pt_map(as, TEST_VA, pa, PAGE_SIZE_2M, ro) == E_OK, "map 2M alias"))
		return;
	ST_CHECK(pt_translate(as, TEST_VA + 5 * PAGE_SIZE, &got, &size, &flags) == E_OK &&
		 size == PAGE_SIZE_2M && got == pa + 5 * PAGE_SIZE, "2M leaf: size %lx pa %lx", size, got);
	ST_CHECK(!(st_try_read(TEST_VA + 8, &v)->hits != 0) &&
		 v == *(uint64_t *)pt_window_va(kspace_window(), pa + 8),
		 "alias reads the same as the window");
	ST_CHECK(st_write_back_faults(TEST_VA), "write through the read-only alias did not fault");
	ST_CHECK(pt_map(as, TEST_VA + PAGE_SIZE, pa, PAGE_SIZE, ro) == E_EXIST,
		 "mapping over a present 2M leaf is not refused");

	/* Unmap one page in the middle: the leaf is split, the rest stays. */
	ST_CHECK(pt_unmap(as, TEST_VA + 100 * PAGE_SIZE, PAGE_SIZE) == E_OK, "unmap one page");
	ST_CHECK((st_try_read(TEST_VA + 100 * PAGE_SIZE, &v)->hits != 0), "unmapped page still readable");
	ST_CHECK(pt_translate(as, TEST_VA + 99 * PAGE_SIZE, &got, &size, &flags) == E_OK &&
		 size == PAGE_SIZE && got == pa + 99 * PAGE_SIZE && flags == ro,
		 "neighbour after split: size %lx pa %lx flags %#x", size, got, flags);
	ST_CHECK(!(st_try_read(TEST_VA + 101 * PAGE_SIZE, &v)->hits != 0), "page after the hole not readable");

	/* Make part of it uncached and check the PTE says so. */
	ST_CHECK(pt_protect(as, TEST_VA, 4 * PAGE_SIZE, MAP_GLOBAL | MAP_CACHE(CACHE_UC)) == E_OK,
		 "protect 4 pages UC");
	ST_CHECK(pt_translate(as, TEST_VA + 3 * PAGE_SIZE, &got, NULL, &flags) == E_OK &&
		 MAP_CACHE_OF(flags) == CACHE_UC && got == pa + 3 * PAGE_SIZE, "UC flags %#x", flags);
	ST_CHECK(pt_translate(as, TEST_VA + 4 * PAGE_SIZE, &got, NULL, &flags) == E_OK &&
		 MAP_CACHE_OF(flags) == CACHE_WB, "page after the UC range: flags %#x", flags);
	ST_CHECK(pt_protect(as, TEST_VA + 99 * PAGE_SIZE, 2 * PAGE_SIZE, ro) == E_NOENT,
		 "protect over the hole not refused");

	ST_CHECK(pt_unmap(as, TEST_VA, PAGE_SIZE_2M) == E_OK, "unmap all");
	ST_CHECK(pt_translate(as, TEST_VA, &got, NULL, NULL) == E_NOENT, "still mapped after unmap");
	ST_CHECK((st_try_read(TEST_VA + 200 * PAGE_SIZE, &v)->hits != 0), "readable after unmap (stale TLB?)");
	ST_CHECK(as->tables == tables_before + kept, "page-table frames %lu after, %lu before "
		 "(+%lu kept kernel-half PDPT)", as->tables, tables_before, kept);
}

/*
 * Use more page-table frames than the pool has left, so that it must grow
 * from the frame allocator (and map the new chunk into the window), then
 * give them all back. The mappings are 4 KiB-leaf aliases of one page.
 */
SELFTEST(pt_pool_grows_from_frame_allocator)
{
	struct pt_space *as = kernel_space();
	paddr_t pa = selftest_handoff()->pool[0].start, got;
	uint64_t need = kspace_pool_free_frames() + 16;   /* one PT per 2 MiB below */
	uint32_t chunks = kspace_pool_chunks();
	uint64_t tables = as->tables;
	const vaddr_t base = TEST_VA + PAGE_SIZE_1G;
	uint64_t mapped = 0;

	for (; mapped < need; mapped++) {
		int st = pt_map(as, base + mapped * PAGE_SIZE_2M, pa, PAGE_SIZE, MAP_GLOBAL);
		if (!ST_CHECK(st == E_OK, "map %lu of %lu: %s", mapped, need, status_name(st)))
			break;
	}
	ST_CHECK(kspace_pool_chunks() > chunks, "pool did not grow: %u chunks", kspace_pool_chunks());
	ST_CHECK(pt_translate(as, base + (mapped - 1) * PAGE_SIZE_2M, &got, NULL, NULL) == E_OK &&
		 got == pa, "last alias translates to %lx", got);
	for (uint64_t i = 0; i < mapped; i++)
		pt_unmap(as, base + i * PAGE_SIZE_2M, PAGE_SIZE);
	ST_CHECK(as->tables <= tables + 2, "tables %lu after, %lu before", as->tables, tables);
}
