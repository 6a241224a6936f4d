/*
 * paging.c - build the kernel's address space while the firmware still runs.
 *
 * What gets mapped (see include/memlayout.h):
 *   - the direct map of RAM below the addressing= limit (dmap_build;
 *     none at all with addressing=explicit);
 *   - the hand-off window: the hand-off block and its maps;
 *   - each kernel segment at its link address with its ELF permissions;
 *   - the kernel and IST stacks, each above an unmapped guard page;
 *   - the page-table window: every pool chunk (pt_window_map_chunk);
 *   - the trampoline page, identity-mapped and executable: the only
 *     lower-half mapping, removed by the kernel once it runs.
 * Under the firmware a page-table frame at pa is reached at pa, so the
 * pool's reach, and the window offset of this pt_space, is 0.
 */
#include "loader.h"
#include "dmap.h"

/* Stop unless a mapping succeeded. E_NOMEM means the pool's chunk list
 * is full: the firmware running out stops the loader before. */
static void check_map(int st, vaddr_t va, const char *what)
{
	if (st == E_NOMEM)
		fail(EFI_SUCCESS, "cannot map %a at %lx: page tables need more than %u pool chunks",
		     what, va, HANDOFF_MAX_POOL_CHUNKS);
	if (st != E_OK)
		fail(EFI_SUCCESS, "cannot map %a at %lx: %a", what, va, status_name(st));
}

static void map_or_fail(struct pt_space *as, vaddr_t va, paddr_t pa, uint64_t size,
			uint32_t flags, const char *what)
{
	check_map(pt_map(as, va, pa, size, flags), va, what);
}

/* Map every FRAME_RES_HANDOFF reservation (the hand-off block, the final
 * maps' buffers: all allocated by now) at HANDOFF_BASE + pa. */
static void map_handoff(struct pt_space *as, const struct handoff *h)
{
	for (uint32_t i = 0; i < h->reservation_count; i++) {
		const struct handoff_reservation *r = &h->reservations[i];
		if (r->kind != FRAME_RES_HANDOFF)
			continue;
		paddr_t start = ALIGN_DOWN(r->start, PAGE_SIZE), end = ALIGN_UP(r->end, PAGE_SIZE);
		if (end > HANDOFF_MAX_PHYS)
			fail(EFI_SUCCESS, "hand-off data at %lx lies beyond the hand-off window (%lx)",
			     start, HANDOFF_MAX_PHYS);
		map_or_fail(as, (vaddr_t)handoff_va(start), start, end - start,
			    MAP_WRITE | MAP_GLOBAL | MAP_NOHUGE, "the hand-off data");
	}
}

/* Map every pool chunk into the window, and make its direct-map alias
 * read-only: page tables are writable only through the window. Either
 * may need a new table, which may need a new chunk: loop until every
 * chunk is done. Counts the tables the splits cost in the hand-off. */
static void map_window(struct pt_space *as, const struct pt_window *pool, struct handoff *h)
{
	for (uint32_t done = 0; done < pool->count; done++) {
		paddr_t pa = pool->chunk[done].start;
		check_map(pt_window_map_chunk(as, pa), pa, "the page-table window (chunk pa)");
		check_map(pt_window_protect_alias(as, pa, h->dmap_limit, &h->pt_ro_tables), pa,
			  "the direct-map alias of a page-table chunk read-only (chunk pa)");
	}
}

void build_page_tables(struct handoff *h, const struct memmap *map,
		       paddr_t stacks_pa, paddr_t trampoline_pa)
{
	struct pt_window *pool = pool_init(h, map);
	struct pt_space as;
	struct dmap_stats st;
	int err;

	if (pt_init(&as, &pool->src, pool->reach, h->has_1g) != E_OK)
		fail(EFI_SUCCESS, "cannot allocate the top-level page table");
	/* addressing=: how much RAM the direct map covers (dmap.h). An
	 * unknown value means the default; the kernel reports it. */
	size_t len = 0;
	const char *mode = cmdline_value(h->cmdline, "addressing", &len);
	paddr_t limit;
	(void)dmap_parse_addressing(mode, len, &limit);
	err = dmap_build(&as, map, limit, &st);
	if (err != E_OK)
		fail(EFI_SUCCESS, "cannot build the direct map: %a", status_name(err));
	h->dmap_pages_4k = st.pages_4k;
	h->dmap_pages_2m = st.pages_2m;
	h->dmap_pages_1g = st.pages_1g;
	h->dmap_limit = limit;

	for (uint32_t i = 0; i < h->segment_count; i++) {
		const struct handoff_segment *s = &h->segments[i];
		map_or_fail(&as, s->va, s->pa, s->size, s->flags, "a kernel segment");
	}
	for (unsigned i = 0; i < KSTACK_COUNT; i++)
		map_or_fail(&as, KSTACK_BOTTOM(i), stacks_pa + i * KSTACK_SIZE, KSTACK_SIZE,
			    MAP_WRITE | MAP_GLOBAL, "a kernel stack");
	map_or_fail(&as, trampoline_pa, trampoline_pa, PAGE_SIZE, MAP_EXEC, "the trampoline");
	map_handoff(&as, h);
	map_window(&as, pool, h);
	/* The last page-table frame the loader takes was taken above. */
	pt_window_export(pool, h->pool, &h->pool_count);

	h->pml4 = as.root;
	h->pt_tables = as.tables;
	h->trampoline_va = trampoline_pa;
}
