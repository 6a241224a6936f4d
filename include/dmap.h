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
 * dmap_limit - the end of what the direct map covers in this program:
 * DMAP_MAX_PHYS, unless the kernel booted with a smaller direct map
 * (addressing=direct:LIMIT: LIMIT; addressing=explicit: 0) and set it so
 * at init, before any phys_to_dmap. Nothing else writes it.
 */
extern paddr_t dmap_limit;

/*
 * phys_to_dmap - the direct-map address of physical address pa: the one
 * conversion from a physical address to the direct map. A pa at or above
 * dmap_limit is not in the direct map (highmem, or no direct map at all):
 * mm_fatal naming the function that asked and saying so. Only the range
 * is checked (one compare, as it is on hot paths); that pa is RAM (holes
 * and MMIO are never mapped) is the caller's to know. dmap_try is the
 * same with a status for callers that can take another way.
 */
#define phys_to_dmap(pa) dmap_va((pa), __func__)

/* dmap_va - phys_to_dmap with the caller named explicitly. */
static inline vaddr_t dmap_va(paddr_t pa, const char *caller)
{
	if (__builtin_expect(pa >= dmap_limit, 0))
		mm_fatal(caller, pa >= DMAP_MAX_PHYS ?
			 "physical address beyond the direct map (DMAP_MAX_PHYS)" :
			 "physical address not in the direct map (highmem under addressing=direct:LIMIT, "
			 "or addressing=explicit): reach it with kmap or ram_map", pa);
	return DMAP_BASE + pa;
}

/* dmap_try - *va = the direct-map address of pa and E_OK, or E_RANGE if
 * the direct map does not cover pa (*va unchanged). */
static inline int dmap_try(paddr_t pa, vaddr_t *va)
{
	if (pa >= dmap_limit)
		return E_RANGE;
	*va = DMAP_BASE + pa;
	return E_OK;
}

/*
 * dmap_plan - compute what dmap_build would map for @map below @limit,
 * without building anything. @has_1g says whether 1 GiB leaves may be
 * used. RAM at or above @limit (or DMAP_MAX_PHYS) counts as skipped.
 */
void dmap_plan(const struct memmap *map, bool has_1g, paddr_t limit, struct dmap_stats *st);

/*
 * dmap_build - map every RAM run of @map below @limit (and DMAP_MAX_PHYS)
 * into @as at DMAP_BASE + phys. Fills @st (may be NULL). Returns E_OK, or
 * the first pt_map error.
 */
int dmap_build(struct pt_space *as, const struct memmap *map, paddr_t limit,
	       struct dmap_stats *st);

/*
 * The addressing modes (addressing= on the command line), as the limit of
 * the direct map: RAM at or above it is not direct-mapped ("highmem",
 * reached through explicit mappings: kernel/kmap.h).
 *   direct        DMAP_MAX_PHYS: all RAM (the default)
 *   direct:LIMIT  LIMIT: a number with a K, M, G or T suffix (binary
 *                 units), e.g. direct:896M; rounded down to 2 MiB, at
 *                 least 2 MiB; above DMAP_MAX_PHYS means DMAP_MAX_PHYS
 *   explicit      0: no direct map at all
 */
#define DMAP_ADDRESSING_VALUES "direct, direct:LIMIT (e.g. direct:896M, direct:4G), explicit"

/*
 * dmap_parse_addressing - the direct map's limit for the addressing=
 * value @value (@len bytes; @value NULL: the word is absent, the default).
 * Returns E_OK with *limit set, or E_INVAL for a value that is none of
 * DMAP_ADDRESSING_VALUES, with *limit = DMAP_MAX_PHYS (the default).
 */
int dmap_parse_addressing(const char *value, size_t len, paddr_t *limit);

#endif
