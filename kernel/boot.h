/*
 * boot.h - the kernel's view of what the loader handed over: the hand-off
 * block's maps, reached through the hand-off window (handoff.h). The one place that turns
 * the block's physical pointers into the kernel's structures.
 */
#ifndef CARTO_BOOT_H
#define CARTO_BOOT_H

#include "dmap.h"
#include "handoff.h"
#include "memmap.h"

/* boot_memmap - Carto's clean memory map from the hand-off (the loader's
 * conversion of the final firmware map); entries stay where the loader
 * put them (a FRAME_RES_HANDOFF reservation keeps them). */
static inline struct memmap boot_memmap(const struct handoff *h)
{
	return (struct memmap){ (struct mem_entry *)handoff_va(h->memmap_pa), h->memmap_count,
				h->memmap_capacity };
}

#endif
