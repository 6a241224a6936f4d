/*
 * plan.h - how Carto would map a clean memory map: the direct map (from
 * dmap_plan, the planner the loader's builder shares), the page-table
 * window it needs, and the frame allocator's metadata.
 */
#ifndef CARTO_PLAN_H
#define CARTO_PLAN_H

#include "dmap.h"
#include "memmap.h"

struct plan {
	bool has_1g;                 /* 1 GiB leaves allowed */
	struct dmap_stats dm;
	uint64_t ram_runs;           /* maximal runs of adjacent RAM entries */
	uint64_t table_bytes;        /* dm.tables * 4 KiB */
	uint64_t window_chunks;      /* page-table pool chunks (plan_window_chunks) */
	uint64_t window_bytes;       /* window_chunks * PT_POOL_CHUNK */
	uint64_t alloc_meta_bytes;   /* plan_alloc_meta_bytes */
};

/* plan_make - fill @p for @m (a clean map) with or without 1 GiB pages. */
void plan_make(const struct memmap *m, bool has_1g, struct plan *p);

/*
 * plan_window_chunks - page-table pool chunks needed for @tables frames:
 * ceil(tables * 4 KiB / PT_POOL_CHUNK). Each chunk is one 2 MiB page of the
 * page-table window.
 */
uint64_t plan_window_chunks(uint64_t tables);

/*
 * plan_alloc_meta_bytes - bytes of frame-allocator metadata for @m:
 * frame_meta_bytes() of mm/frame.c for the map alone (about 1.1 bits per
 * 4 KiB frame: a bit per frame plus the tree above it), so the plan is
 * what the kernel's frame_init carves, minus its extra reservations.
 */
uint64_t plan_alloc_meta_bytes(const struct memmap *m);

/* plan_ram_runs - number of maximal runs of adjacent RAM entries in @m. */
uint64_t plan_ram_runs(const struct memmap *m);

#endif
