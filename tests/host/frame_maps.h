/*
 * frame_maps.h - memory maps for the frame allocator's tests and
 * benchmarks: a builder, and OVMF-shaped maps of any size.
 *
 *   struct mapb b;
 *   big_map(&b, 4 * TiB);            // b.m is a clean struct memmap
 *
 * Header-only, host only.
 */
#ifndef CARTO_TEST_FRAME_MAPS_H
#define CARTO_TEST_FRAME_MAPS_H

#include "memmap.h"

#define MB_MAX 512

/* A map under construction: entries must be added in address order. */
struct mapb {
	struct mem_entry e[MB_MAX];
	struct memmap m;
};

static inline void mb_reset(struct mapb *b)
{
	b->m = (struct memmap){ b->e, 0, MB_MAX };
}

static inline void mb_add(struct mapb *b, paddr_t start, paddr_t end, uint32_t type, uint64_t attr)
{
	if (b->m.count < MB_MAX)
		b->e[b->m.count++] = (struct mem_entry){ start, end, type, 0, attr };
}

/*
 * big_map - an OVMF-like map with @ram bytes of RAM (>= 64 MiB): low
 * memory pieces around NVS and runtime entries, boot-services data and
 * ACPI tables under 2 GiB, the flash below 4 GiB, and the rest of the RAM
 * in one run from 4 GiB. 11 or 12 entries whatever the size.
 */
static inline void big_map(struct mapb *b, uint64_t ram)
{
	uint64_t low_end = MIN(ram, 2 * GiB) - 0x1000000;

	mb_reset(b);
	mb_add(b, 0, 0x9f000, EFI_CONVENTIONAL, EFI_MEMORY_WB);
	mb_add(b, 0x100000, 0x800000, EFI_CONVENTIONAL, EFI_MEMORY_WB);
	mb_add(b, 0x800000, 0x808000, EFI_ACPI_NVS, EFI_MEMORY_WB);
	mb_add(b, 0x808000, 0x810000, EFI_CONVENTIONAL, EFI_MEMORY_WB);
	mb_add(b, 0x810000, 0x900000, EFI_ACPI_NVS, EFI_MEMORY_WB);
	mb_add(b, 0x900000, low_end, EFI_CONVENTIONAL, EFI_MEMORY_WB);
	mb_add(b, low_end, low_end + 0x800000, EFI_BS_DATA, EFI_MEMORY_WB);
	mb_add(b, low_end + 0x800000, low_end + 0x900000, EFI_ACPI_RECLAIM, EFI_MEMORY_WB);
	mb_add(b, low_end + 0x900000, low_end + 0xa00000, EFI_RT_DATA, EFI_MEMORY_WB | EFI_MEMORY_RUNTIME);
	mb_add(b, low_end + 0xa00000, low_end + 0x1000000, EFI_CONVENTIONAL, EFI_MEMORY_WB);
	mb_add(b, 0xffc00000, 0x100000000, EFI_RESERVED, 0);
	if (ram > 2 * GiB)
		mb_add(b, 4 * GiB, 4 * GiB + ram - 2 * GiB, EFI_CONVENTIONAL, EFI_MEMORY_WB);
}

#endif
