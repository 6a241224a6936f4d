/*
 * ptwindow.c - the page-table window: the pool of page-table frames and
 * the one conversion from their physical address to a pointer.
 *
 * A bump allocator over 2 MiB chunks with a free list in front of it; the
 * environment supplies new chunks through a callback. include/ptwindow.h
 * states the invariants; the comments here say where each is kept.
 */
#include "lib.h"
#include "dmap.h"
#include "ptwindow.h"

/* True if a chunk at pa would keep invariant 2's shape: aligned, whole,
 * and ending at or below PT_WINDOW_MAX_PHYS. */
static bool chunk_shape_ok(paddr_t pa)
{
	return IS_ALIGNED(pa, PT_POOL_CHUNK) && pa < PT_WINDOW_MAX_PHYS &&
	       PT_WINDOW_MAX_PHYS - pa >= PT_POOL_CHUNK;
}

/* The chunk holding pa (any byte of it), newest first, or NULL. */
static const struct handoff_pool_chunk *chunk_of(const struct pt_window *w, paddr_t pa)
{
	for (uint32_t i = w->count; i-- > 0;)
		if (pa >= w->chunk[i].start && pa < w->chunk[i].end)
			return &w->chunk[i];
	return NULL;
}

void *pt_window_reach(const struct pt_window *w, paddr_t pa, const char *caller)
{
	if (pa >= PT_WINDOW_MAX_PHYS)
		mm_fatal(caller, "beyond the page-table window (PT_WINDOW_MAX_PHYS)", pa);
	if (!chunk_of(w, pa))
		mm_fatal(caller, "not in a page-table pool chunk", pa);
	return (void *)(uintptr_t)(w->reach + pa);
}

/* Frames left to bump in the last chunk (0 without chunks). */
static uint64_t last_chunk_left(const struct pt_window *w)
{
	if (w->count == 0)
		return 0;
	const struct handoff_pool_chunk *c = &w->chunk[w->count - 1];
	return (c->end - c->next) / PAGE_SIZE;
}

/* Add a chunk from the grow callback. Recursion (the callback mapping the
 * chunk allocates tables) is cut by w->growing: those tables come from
 * the reserve (invariant 5). */
static void grow(struct pt_window *w)
{
	if (!w->grow || w->growing || w->count == HANDOFF_MAX_POOL_CHUNKS)
		return;
	w->growing = true;
	paddr_t pa = w->grow(w, w->grow_ctx);
	w->growing = false;
	if (pa == PT_NO_FRAME)
		return;
	if (!chunk_shape_ok(pa))
		mm_fatal("pt_window grow", "new chunk misaligned or beyond PT_WINDOW_MAX_PHYS", pa);
	for (uint32_t i = 0; i < w->count; i++)
		if (pa < w->chunk[i].end && w->chunk[i].start < pa + PT_POOL_CHUNK)
			mm_fatal("pt_window grow", "new chunk overlaps a chunk of the pool", pa);
	w->chunk[w->count++] = (struct handoff_pool_chunk){
		.start = pa, .next = pa, .end = pa + PT_POOL_CHUNK };
}

/* pt_frame_source.alloc: the free list first (invariant 6), else bump the
 * last chunk (4), growing when down to the reserve (5). */
static paddr_t pt_window_alloc(struct pt_frame_source *src)
{
	struct pt_window *w = (struct pt_window *)src;
	paddr_t pa = w->free_list;

	if (pa != PT_NO_FRAME) {
		w->free_list = *(paddr_t *)pt_window_va(w, pa);
	} else {
		if (last_chunk_left(w) <= w->reserve)
			grow(w);
		if (last_chunk_left(w) == 0)
			return PT_NO_FRAME;
		struct handoff_pool_chunk *c = &w->chunk[w->count - 1];
		pa = c->next;
		c->next += PAGE_SIZE;
	}
	fast_zero(pt_window_va(w, pa), PAGE_SIZE);
	return pa;
}

/* pt_frame_source.free: only a frame this pool handed out (invariant 1). */
static void pt_window_free(struct pt_frame_source *src, paddr_t pa)
{
	struct pt_window *w = (struct pt_window *)src;
	const struct handoff_pool_chunk *c = chunk_of(w, pa);

	if (!IS_ALIGNED(pa, PAGE_SIZE) || !c || pa >= c->next)
		mm_fatal("pt_window_free", "not a page-table frame handed out by the pool", pa);
	*(paddr_t *)pt_window_va(w, pa) = w->free_list;
	w->free_list = pa;
}

void pt_window_init(struct pt_window *w, uint64_t reach, uint32_t reserve,
		    pt_window_grow_fn grow_fn, void *grow_ctx)
{
	w->src.alloc = pt_window_alloc;
	w->src.free = pt_window_free;
	w->reach = reach;
	w->reserve = reserve;
	w->count = 0;
	w->free_list = PT_NO_FRAME;
	w->grow = grow_fn;
	w->grow_ctx = grow_ctx;
	w->growing = false;
}

int pt_window_adopt(struct pt_window *w, const struct handoff_pool_chunk *chunks,
		    uint32_t count)
{
	if (count > HANDOFF_MAX_POOL_CHUNKS)
		return E_INVAL;
	for (uint32_t i = 0; i < count; i++) {
		const struct handoff_pool_chunk *c = &chunks[i];
		if (!chunk_shape_ok(c->start) || c->end != c->start + PT_POOL_CHUNK ||
		    c->next < c->start || c->next > c->end || !IS_ALIGNED(c->next, PAGE_SIZE))
			return E_INVAL;
		for (uint32_t j = 0; j < i; j++)
			if (c->start == chunks[j].start)   /* aligned and equal-sized */
				return E_INVAL;
	}
	fast_copy(w->chunk, chunks, sizeof(chunks[0]) * count);
	w->count = count;
	return E_OK;
}

void pt_window_export(const struct pt_window *w, struct handoff_pool_chunk *chunks,
		      uint32_t *count)
{
	fast_copy(chunks, w->chunk, sizeof(w->chunk[0]) * w->count);
	*count = w->count;
}

int pt_window_map_chunk(struct pt_space *as, paddr_t pa)
{
	if (!chunk_shape_ok(pa))
		return E_INVAL;
	return pt_map(as, PT_WINDOW_BASE + pa, pa, PT_POOL_CHUNK, MAP_WRITE | MAP_GLOBAL);
}

uint64_t pt_window_free_frames(const struct pt_window *w)
{
	uint64_t n = 0;

	for (paddr_t pa = w->free_list; pa != PT_NO_FRAME; pa = *(paddr_t *)pt_window_va(w, pa))
		n++;
	return n + last_chunk_left(w);
}

bool pt_window_holds(const struct pt_window *w, paddr_t pa)
{
	return chunk_of(w, pa) != NULL;
}

int pt_window_protect_alias(struct pt_space *as, paddr_t pa, paddr_t dmap_limit,
			    uint64_t *tables_added)
{
	uint64_t before = as->tables;

	if (pa >= dmap_limit || dmap_limit - pa < PT_POOL_CHUNK)
		return E_OK;
	int st = pt_protect(as, dmap_va(pa, __func__), PT_POOL_CHUNK,
			    MAP_GLOBAL | MAP_CACHE(CACHE_WB));
	if (tables_added)
		*tables_added += as->tables - before;
	return st;
}
