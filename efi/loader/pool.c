/*
 * pool.c - page-table frames for the loader, taken from 2 MiB pool chunks.
 *
 * Every page-table frame Carto ever uses lies in a pool chunk: a 2 MiB,
 * 2 MiB-aligned block below PT_WINDOW_MAX_PHYS. The chunks are recorded in
 * the hand-off; the window maps each with one 2 MiB page, and the kernel
 * goes on allocating from the last chunk where the loader stopped.
 * While the firmware runs, a frame at pa is reached at pa (identity map).
 */
#include "loader.h"

struct pool {
	struct pt_frame_source src;
	struct handoff *h;
	const struct memmap *map;   /* where free 2 MiB blocks are looked for */
};

static struct pool pool;

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

static void add_chunk(struct handoff *h)
{
	if (h->pool_count >= HANDOFF_MAX_POOL_CHUNKS)
		fail(EFI_SUCCESS, "page tables need more than %u pool chunks", HANDOFF_MAX_POOL_CHUNKS);
	paddr_t pa = alloc_chunk(pool.map);
	h->pool[h->pool_count++] = (struct handoff_pool_chunk){
		.start = pa, .next = pa, .end = pa + PT_POOL_CHUNK };
	reserve(h, pa, pa + PT_POOL_CHUNK, FRAME_RES_PT_POOL);
}

static paddr_t pool_alloc(struct pt_frame_source *src)
{
	struct handoff *h = ((struct pool *)src)->h;

	if (h->pool_count == 0 || h->pool[h->pool_count - 1].next == h->pool[h->pool_count - 1].end)
		add_chunk(h);
	struct handoff_pool_chunk *c = &h->pool[h->pool_count - 1];
	paddr_t pa = c->next;
	c->next += PAGE_SIZE;
	fast_zero((void *)pa, PAGE_SIZE);
	return pa;
}

static void pool_free(struct pt_frame_source *src, paddr_t pa)
{
	/* The loader never frees page tables; a call means a bug in pt.c. */
	fail(EFI_SUCCESS, "pool_free(%lx) called in the loader", pa);
}

struct pt_frame_source *pool_init(struct handoff *h, const struct memmap *map)
{
	pool.map = map;
	pool.src.alloc = pool_alloc;
	pool.src.free = pool_free;
	pool.h = h;
	return &pool.src;
}
