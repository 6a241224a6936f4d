/*
 * dmap.h - the direct map: every RAM byte at DMAP_BASE + phys, nothing else.
 *
 * Built from a clean memory map (memmap.h). Adjacent RAM entries of any RAM
 * type are joined into runs; each run is mapped with the largest leaves that
 * lie wholly inside it: 1 GiB where the whole GiB is RAM and the CPU has
 * 1 GiB pages, else 2 MiB where the whole 2 MiB is RAM, else 4 KiB. Holes,
 * MMIO and reserved memory are never mapped. Mappings are RW, NX, WB, global.
 *
 * dmap_plan() and dmap_build() walk the runs with the same chunking code, so
 * the analyzer's plan is exactly what the loader builds.
 */
#ifndef CARTO_DMAP_H
#define CARTO_DMAP_H

#include "fatal.h"
#include "memmap.h"
#include "pt.h"

struct dmap_stats {
	uint64_t pages_4k, pages_2m, pages_1g;
	uint64_t ram_bytes;        /* bytes mapped = RAM below DMAP_MAX_PHYS */
	uint64_t skipped_bytes;    /* RAM above DMAP_MAX_PHYS, not mapped */
	uint64_t tables;           /* page-table frames the direct map needs
	                              (PDPTs, PDs, PTs; the PML4 not counted) */
};

/*
 * phys_to_dmap - the direct-map address of physical address pa: the one
 * conversion from a physical address to the direct map. A pa at or above
 * DMAP_MAX_PHYS is beyond the direct map: mm_fatal naming the function
 * that asked. Only the range is checked (one compare, as it is on hot
 * paths); that pa is RAM (holes and MMIO are never mapped) is the caller's
 * to know.
 */
#define phys_to_dmap(pa) dmap_va((pa), __func__)

/* dmap_va - phys_to_dmap with the caller named explicitly. */
static inline vaddr_t dmap_va(paddr_t pa, const char *caller)
{
	if (__builtin_expect(pa >= DMAP_MAX_PHYS, 0))
		mm_fatal(caller, "physical address beyond the direct map (DMAP_MAX_PHYS)", pa);
	return DMAP_BASE + pa;
}

/*
 * dmap_plan - compute what dmap_build would map for @map, without building
 * anything. @has_1g says whether 1 GiB leaves may be used.
 */
void dmap_plan(const struct memmap *map, bool has_1g, struct dmap_stats *st);

/*
 * dmap_build - map every RAM run of @map into @as at DMAP_BASE + phys.
 * Fills @st (may be NULL). Returns E_OK, or the first pt_map error.
 */
int dmap_build(struct pt_space *as, const struct memmap *map,
	       struct dmap_stats *st);

#endif
