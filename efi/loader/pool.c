/*
 * pool.c - page-table frames for the loader, taken from 2 MiB pool chunks.
 *
 * Every page-table frame Carto ever uses lies in a pool chunk: a 2 MiB,
 * 2 MiB-aligned block below PT_WINDOW_MAX_PHYS. The chunks are recorded in
 * the hand-off; the window maps each with one 2 MiB page, and the kernel
 * goes on allocating from the last chunk where the loader stopped.
 * The pool itself is mm/ptwindow.c, shared with the kernel; the loader
 * supplies its growth (a firmware allocation at a chosen address) and
 * reaches frames by identity while the firmware runs (reach 0).
 */
#include "loader.h"

/* What the grow callback needs: where to look for free blocks, where to
 * record the reservation. */
struct pool_ctx {
	struct handoff *h;
	const struct memmap *map;   /* where free 2 MiB blocks are looked for */
};

static struct pool_ctx pool_ctx;
static struct pt_window pool;
/*
 * Ask the firmware for an aligned chunk at a chosen address: the highest
 * free 2 MiB block of the map below the window's limit (low memory is left
 * to devices that need it). One AllocatePages(AllocateAddress) call is far
 * cheaper than over-allocating and freeing the unaligned ends. Falls back
 * to that if no candidate can be had (the map is from before our own
 * allocations, so a candidate may be taken by now).
 */
static paddr_t alloc_chunk(const struct memmap *map)
{
	for (size_t i = map->count; i-- > 0;) {
		const struct mem_entry *e = &map->entries[i];
		if (e->type != EFI_CONVENTIONAL)
			continue;
		paddr_t end = ALIGN_DOWN(MIN(e->end, PT_WINDOW_MAX_PHYS), PT_POOL_CHUNK);
		for (paddr_t pa = end - PT_POOL_CHUNK; end >= PT_POOL_CHUNK && pa >= e->start &&
		     pa + PT_POOL_CHUNK <= end; pa -= PT_POOL_CHUNK) {
			if (fw_alloc_at(pa, PT_POOL_CHUNK / PAGE_SIZE))
				return pa;
			if (pa < PT_POOL_CHUNK)
				break;
		}
	}
	return fw_alloc_aligned(PT_POOL_CHUNK, PT_POOL_CHUNK, PT_WINDOW_MAX_PHYS,
				"a page-table pool chunk");
}

/* pt_window_grow_fn: a chunk from the firmware, reserved in the hand-off.
 * Never PT_NO_FRAME: the firmware running out stops the loader. */
static paddr_t pool_grow(struct pt_window *w, void *ctx)
{
	struct pool_ctx *p = ctx;
	paddr_t pa = alloc_chunk(p->map);

	reserve(p->h, pa, pa + PT_POOL_CHUNK, FRAME_RES_PT_POOL);
	return pa;
}

struct pt_window *pool_init(struct handoff *h, const struct memmap *map)
{
	pool_ctx = (struct pool_ctx){ .h = h, .map = map };
	pt_window_init(&pool, 0, 0, pool_grow, &pool_ctx);
	return &pool;
}
