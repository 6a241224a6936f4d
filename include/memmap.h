/*
 * memmap.h - Carto's own memory map: the firmware map, cleaned once.
 *
 * The loader reads the firmware's EFI memory map and converts it at once
 * with memmap_from_efi(). The result is what every later stage uses (the
 * direct-map builder, the frame allocator, the analyzer):
 *   - entries are half-open [start, end), page aligned, sorted by start,
 *     never overlapping;
 *   - adjacent entries of the same type and attributes are merged;
 *   - zero-length entries, entries whose end overflows 64 bits or lies past
 *     PHYS_ADDR_LIMIT (2^52), are dropped and reported;
 *   - where firmware entries overlap, the more restrictive type wins
 *     (mem_type_rank), deterministically, whatever the input order.
 *
 * Which types are RAM (direct-mapped, see mem_type_is_ram):
 *   conventional, loader code/data, boot-services code/data, ACPI reclaim.
 * Not RAM for Carto:
 *   ACPI NVS      - firmware-owned for the system's whole life (S3/S4 state);
 *                   the OS must never hand it out, so it is not in the direct
 *                   map; code that must read it maps it explicitly.
 *   persistent    - NVDIMM-style memory is a device: a driver maps it with the
 *                   cache type it needs; it may be huge.
 *   unaccepted    - touching it before acceptance faults in confidential VMs.
 *   runtime code/data, reserved, unusable, MMIO, PAL code, unknown types.
 *
 * This code builds freestanding (kernel, loader) and on the host (tests,
 * tools): no allocation, no libc beyond the compiler's own headers.
 */
#ifndef CARTO_MEMMAP_H
#define CARTO_MEMMAP_H

#include "efi_mem.h"
#include "types.h"

struct mem_entry {
	paddr_t start;    /* first byte, page aligned */
	paddr_t end;      /* one past the last byte, page aligned */
	uint32_t type;    /* enum efi_mem_type (unknown types kept as read) */
	uint32_t pad;
	uint64_t attr;    /* EFI_MEMORY_* attribute bits */
};

struct memmap {
	struct mem_entry *entries;
	size_t count;
	size_t capacity;
};

/* What memmap_from_efi noticed about its input. */
enum memmap_problem {
	MEMMAP_ZERO_LENGTH,    /* NumberOfPages == 0: dropped */
	MEMMAP_OVERFLOW,       /* end wraps past 2^64: dropped */
	MEMMAP_ABOVE_LIMIT,    /* reaches past PHYS_ADDR_LIMIT: dropped (or clipped) */
	MEMMAP_UNALIGNED,      /* start not page aligned: RAM shrunk, other grown */
	MEMMAP_UNKNOWN_TYPE,   /* type past the spec: kept, treated as reserved */
	MEMMAP_UNKNOWN_ATTR,   /* attribute bits the spec does not define */
	MEMMAP_UNSORTED,       /* input not sorted by address (sorted here) */
	MEMMAP_OVERLAP,        /* two entries overlap: more restrictive type won */
};

struct memmap_warning {
	enum memmap_problem problem;
	size_t index;                /* index of the descriptor in the input */
	struct efi_mem_desc desc;    /* copy of that descriptor */
	uint32_t other_type;         /* MEMMAP_OVERLAP: the type it overlapped */
};

typedef void (*memmap_warn_fn)(void *ctx, const struct memmap_warning *w);

/*
 * memmap_from_efi - convert a firmware memory map into a clean Carto map.
 * @out:       destination; out->entries/capacity set by the caller. Needs
 *             capacity >= 2 * (map_size / desc_size) to be sure to succeed
 *             (overlaps can split entries).
 * @map:       the firmware's buffer of descriptors.
 * @map_size:  bytes of @map in use, as GetMemoryMap returned.
 * @desc_size: the firmware's descriptor size (>= sizeof(struct efi_mem_desc));
 *             descriptors are read at map + i * desc_size, never by sizeof.
 * @warn:      called once per problem found (may be NULL).
 * Returns E_OK, E_INVAL (desc_size too small or not a multiple of 8, map_size
 * not a multiple of desc_size) or E_NOSPC (out too small). Never allocates.
 */
int memmap_from_efi(struct memmap *out, const void *map, size_t map_size,
		    size_t desc_size, memmap_warn_fn warn, void *ctx);

/* True if memory of this type is RAM that Carto direct-maps (list above). */
bool mem_type_is_ram(uint32_t type);

/*
 * Restrictiveness of a type, for overlap resolution: the higher rank wins.
 * conventional < boot services < loader < ACPI reclaim < ACPI NVS <
 * runtime < persistent < unaccepted < unusable < reserved/unknown < MMIO.
 */
int mem_type_rank(uint32_t type);

/* Short human name of a problem ("zero-length entry"). */
const char *memmap_problem_name(enum memmap_problem p);

/* Total bytes of entries of the given type / of all RAM types. */
uint64_t memmap_bytes_of_type(const struct memmap *m, uint32_t type);
uint64_t memmap_ram_bytes(const struct memmap *m);

#endif
