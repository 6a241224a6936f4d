/*
 * ptwindow.h - the page-table window: where every page-table frame comes
 * from, and the one way to reach it.
 *
 * Page tables are the memory the kernel must reach even without a direct
 * map (memlayout.h says why), so they are not taken frame by frame from
 * anywhere in RAM. Every page-table frame Carto uses comes from a pool
 * chunk: PT_POOL_CHUNK (2 MiB) of RAM, and only those chunks are mapped in
 * the window, at PT_WINDOW_BASE + pa. A struct pt_window is that pool of
 * chunks with its allocator; the loader and the kernel use the same code:
 *
 *   loader  starts empty; its grow callback takes a free 2 MiB block from
 *           the firmware at a chosen address. While the firmware runs a
 *           frame at pa is reached at pa (reach 0). Once the page tables
 *           are built, every chunk is mapped into the window
 *           (pt_window_map_chunk) and the chunk list goes into the
 *           hand-off (pt_window_export).
 *   kernel  adopts the hand-off's chunks (pt_window_adopt) and goes on
 *           from the last one; reach is PT_WINDOW_BASE. Its grow callback
 *           takes a chunk from the frame allocator and maps it into the
 *           window before the pool hands out any frame of it.
 *   host    tests use a private arena; reach is its host offset.
 *
 * Invariants (the module keeps 1, 2, 4-7; the environment keeps 3):
 *   1. Every page-table frame handed out lies in a chunk of the list:
 *      between its start and its next (bump) pointer.
 *   2. Every chunk is PT_POOL_CHUNK bytes, PT_POOL_CHUNK aligned, ends at
 *      or below PT_WINDOW_MAX_PHYS and overlaps no other chunk; at most
 *      HANDOFF_MAX_POOL_CHUNKS of them. A chunk is never given back.
 *   3. In the kernel's address space every chunk is mapped at
 *      PT_WINDOW_BASE + start by one 2 MiB page, RW, NX, global, and
 *      nothing else is mapped in the window (the loader maps its chunks
 *      before the hand-off; the kernel's grow callback maps each new one).
 *   4. Frames are bumped from the last chunk only; the frames left in an
 *      older chunk when a newer one was added stay unused.
 *   5. The reserve: the pool grows as soon as the last chunk has no more
 *      than `reserve` frames left, and frames asked for while it grows
 *      come from those. So mapping the new chunk into the window (a PD,
 *      and a PDPT in a new 512 GiB slot: KPOOL_RESERVE in the kernel)
 *      never runs dry half-way. With reserve 0 it grows when the last
 *      chunk is empty.
 *   6. Freed frames go on a free list threaded through their first word
 *      (reached with pt_window_va) and are handed out again first. The
 *      free list is not part of the hand-off: a frame the loader freed
 *      stays used for the kernel.
 *   7. A frame is reached at reach + pa and nowhere else, and
 *      pt_window_va() is the only conversion: a pa outside every chunk is
 *      a broken invariant, mm_fatal (fatal.h) naming the caller.
 */
#ifndef CARTO_PTWINDOW_H
#define CARTO_PTWINDOW_H

#include "fatal.h"
#include "handoff.h"
#include "pt.h"

struct pt_window;

/*
 * Growth: return the physical address of a new chunk (PT_POOL_CHUNK bytes,
 * PT_POOL_CHUNK aligned, below PT_WINDOW_MAX_PHYS, owned by nobody else
 * and already reachable at reach + pa), or PT_NO_FRAME if there is none.
 * It may allocate page-table frames from @w (they come from the reserve).
 * A chunk that breaks invariant 2 is mm_fatal.
 */
typedef paddr_t (*pt_window_grow_fn)(struct pt_window *w, void *ctx);

struct pt_window {
	struct pt_frame_source src;   /* first: give &w->src to pt_init() */
	uint64_t reach;               /* frame at pa is at reach + pa here */
	uint32_t reserve;             /* frames kept back for growing (inv. 5) */
	uint32_t count;               /* chunks in chunk[] */
	paddr_t free_list;            /* first freed frame; PT_NO_FRAME if none */
	pt_window_grow_fn grow;       /* NULL: the pool never grows */
	void *grow_ctx;
	bool growing;                 /* inside grow: frames come from the reserve */
	struct handoff_pool_chunk chunk[HANDOFF_MAX_POOL_CHUNKS];
};

/*
 * pt_window_init - an empty pool whose frames are reached at reach + pa,
 * which grows through @grow (may be NULL) keeping @reserve frames back
 * (invariant 5). Then &w->src is the frame source for pt_init(); its
 * alloc() returns zeroed frames, or PT_NO_FRAME when the free list and
 * the last chunk are empty and growing failed (or the chunk list is full).
 * Its free() takes a frame handed out by this pool; anything else (not
 * page aligned, not handed out) is mm_fatal.
 */
void pt_window_init(struct pt_window *w, uint64_t reach, uint32_t reserve,
		    pt_window_grow_fn grow, void *grow_ctx);

/*
 * pt_window_adopt - take over @count chunks (the hand-off's) after
 * pt_window_init: allocation goes on from the last one's next pointer.
 * Returns E_OK, or E_INVAL (nothing adopted) if a chunk breaks invariant
 * 2, has next outside [start, end] or not page aligned, or if @count
 * exceeds HANDOFF_MAX_POOL_CHUNKS.
 */
int pt_window_adopt(struct pt_window *w, const struct handoff_pool_chunk *chunks,
		    uint32_t count);

/*
 * pt_window_export - write the chunk list into @chunks (room for
 * HANDOFF_MAX_POOL_CHUNKS) and its length into *count, for the hand-off.
 * Frames allocated afterwards are not in the copy: export last.
 */
void pt_window_export(const struct pt_window *w, struct handoff_pool_chunk *chunks,
		      uint32_t *count);

/*
 * pt_window_va - where this code reaches the byte at physical address pa
 * of a page-table frame: reach + pa. The one conversion from a page-table
 * frame's physical address to a pointer. pa at or above PT_WINDOW_MAX_PHYS,
 * or in no chunk of @w, is mm_fatal naming the function that asked.
 * Costs a scan of the chunk list, newest first (a chunk or two in practice).
 */
#define pt_window_va(w, pa) pt_window_reach((w), (pa), __func__)

/* pt_window_reach - pt_window_va with the caller named explicitly. */
void *pt_window_reach(const struct pt_window *w, paddr_t pa, const char *caller);

/*
 * pt_window_map_chunk - map the chunk at @pa into the window of @as: one
 * 2 MiB page at PT_WINDOW_BASE + pa, RW, NX, global (invariant 3). Its
 * tables come from @as's frame source. Returns E_INVAL if @pa is not a
 * valid chunk address (invariant 2), else what pt_map returns (E_OK,
 * E_EXIST if already mapped, E_NOMEM).
 */
int pt_window_map_chunk(struct pt_space *as, paddr_t pa);

/* pt_window_holds - true if pa lies in a chunk of @w (a page-table frame
 * or a free frame of the pool). Never fatal: for fault reports. */
bool pt_window_holds(const struct pt_window *w, paddr_t pa);

/*
 * pt_window_protect_alias - make the direct-map alias of the chunk at @pa
 * read-only (NX, WB, global) in @as, so that page tables are writable only
 * through the window. A direct map without that alias (the chunk at or
 * above @dmap_limit) is left alone: E_OK. A 1 GiB leaf around the chunk
 * is split (pt_protect), its tables from @as's source; *tables_added (may
 * be NULL) grows by the page-table frames that cost. Returns what
 * pt_protect returns (E_OK, E_NOMEM).
 */
int pt_window_protect_alias(struct pt_space *as, paddr_t pa, paddr_t dmap_limit,
			    uint64_t *tables_added);

/* pt_window_free_frames - frames the pool can hand out without growing:
 * the free list plus what is left in the last chunk (reserve included). */
uint64_t pt_window_free_frames(const struct pt_window *w);

#endif
