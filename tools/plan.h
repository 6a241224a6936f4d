/*
 * plan.h - how Carto would map a clean memory map: the direct map (from
 * dmap_plan, the planner the loader's builder shares), the page-table
 * window it needs, and the frame allocator's metadata.
 */
#ifndef CARTO_PLAN_H
#define CARTO_PLAN_H

#include "dmap.h"
#include "frame.h"
#include "mapparse.h"
#include "memmap.h"

struct plan {
	bool has_1g;                 /* 1 GiB leaves allowed */
	struct dmap_stats dm;
	uint64_t ram_runs;           /* maximal runs of adjacent RAM entries */
	uint64_t table_bytes;        /* dm.tables * 4 KiB */
	uint64_t window_chunks;      /* page-table pool chunks (plan_window_chunks) */
	uint64_t window_bytes;       /* window_chunks * PT_POOL_CHUNK */
	uint64_t alloc_meta_bytes;   /* plan_alloc_meta_bytes */
	bool meta_from_kernel;       /* with the reservations a kernel dump listed */
};

/*
 * plan_make - fill @p for @m (the clean map of @src) with or without 1 GiB
 * pages. @src (may be NULL) supplies the frame allocator's reservations
 * when it is a kernel 'fwmap' dump that lists them.
 */
void plan_make(const struct memmap *m, const struct parsed_map *src, bool has_1g,
	       struct plan *p);

/*
 * plan_window_chunks - page-table pool chunks needed for @tables frames:
 * ceil(tables * 4 KiB / PT_POOL_CHUNK). Each chunk is one 2 MiB page of the
 * page-table window.
 */
uint64_t plan_window_chunks(uint64_t tables);

/*
 * plan_alloc_meta_bytes - bytes of frame-allocator metadata for @m:
 * frame_meta_bytes() of mm/frame.c (about 1.1 bits per 4 KiB frame: a bit
 * per frame plus the tree above it) with the kernel's inputs
 * (kernel/physmem.c): the limit DMAP_MAX_PHYS and its reservations. With
 * @src a kernel 'fwmap' dump (has_frame_inputs), those are the dump's own
 * list and the result is exactly the kernel's "metadata" figure. Otherwise
 * the boot's reservations (kernel image, hand-off, stacks, page-table
 * pool, trampoline, RSDP page, framebuffer) are unknown and only low
 * memory [0, FRAME_LOWMEM_END) is reserved: each boot reservation inside
 * a region splits it, and the kernel's figure is higher by a region's
 * cost (about 200 bytes) per split.
 */
uint64_t plan_alloc_meta_bytes(const struct memmap *m, const struct parsed_map *src);

/*
 * plan_frame_config - the frame_init inputs plan_alloc_meta_bytes sizes
 * for (map, reservations, limit; no cfg->mem), so a caller can build the
 * real allocator from the same inputs. The reservations are static or
 * @src's: valid while @src is.
 */
void plan_frame_config(const struct memmap *m, const struct parsed_map *src,
		       struct frame_config *cfg);

/* plan_ram_runs - number of maximal runs of adjacent RAM entries in @m. */
uint64_t plan_ram_runs(const struct memmap *m);

#endif
