/*
 * memmap.h - Carto's own memory map: the firmware map, cleaned once.
 *
 * The loader reads the firmware's EFI memory map and converts it at once
 * with memmap_from_efi(). The result is what every later stage uses (the
 * direct-map builder, the frame allocator, the analyzer):
 *   - entries are half-open [start, end), page aligned, sorted by start,
 *     never overlapping;
 *   - adjacent entries (end == next start) are merged only when both the
 *     type AND the attributes are equal: the runtime and cacheability bits
 *     decide later how a region is mapped, so they must survive merging;
 *   - zero-length entries, entries whose end overflows 64 bits (NumberOfPages
 *     * 4096 overflows, or start + size reaches 2^64) and entries starting
 *     at or past PHYS_ADDR_LIMIT (2^52) are dropped and reported;
 *   - an entry that starts below PHYS_ADDR_LIMIT but ends above it is
 *     clipped to the limit if it is not RAM (the reservation is kept) and
 *     dropped if it is RAM (its size is corrupt: the part below the limit
 *     may not exist either); reported as MEMMAP_ABOVE_LIMIT both ways;
 *   - an unaligned start is fixed so the result is more restrictive: RAM
 *     shrinks inward to page boundaries (a one-page RAM entry vanishes),
 *     every other type grows outward;
 *   - where firmware entries overlap, the more restrictive type wins
 *     (mem_type_rank), deterministically, whatever the input order. Equal
 *     ranks are broken by the larger type value, then by the larger
 *     attribute value (so an entry with EFI_MEMORY_RUNTIME wins).
 *     Every byte of the result has exactly the type and attributes of the
 *     winning input entry that covers it (after the fixes above).
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
	uint32_t pad;     /* 0 in a converted map */
	uint64_t attr;    /* EFI_MEMORY_* attribute bits */
};

struct memmap {
	struct mem_entry *entries;
	size_t count;
	size_t capacity;
};

/*
 * What memmap_from_efi found wrong with its input. An unsorted map is not
 * one of them: UEFI does not require GetMemoryMap to return the
 * descriptors in address order, so the conversion sorts them silently.
 */
enum memmap_problem {
	MEMMAP_ZERO_LENGTH,    /* NumberOfPages == 0: dropped */
	MEMMAP_OVERFLOW,       /* end wraps past 2^64: dropped */
	MEMMAP_ABOVE_LIMIT,    /* reaches past PHYS_ADDR_LIMIT: dropped (or clipped) */
	MEMMAP_UNALIGNED,      /* start not page aligned: RAM shrunk, other grown */
	MEMMAP_UNKNOWN_TYPE,   /* type past the spec: kept, treated as reserved */
	MEMMAP_UNKNOWN_ATTR,   /* attribute bits the spec does not define */
	MEMMAP_OVERLAP,        /* two entries overlap: more restrictive type won */
};

struct memmap_warning {
	enum memmap_problem problem;
	size_t index;                /* index of the descriptor in the input */
	struct efi_mem_desc desc;    /* copy of that descriptor */
	uint32_t other_type;         /* MEMMAP_OVERLAP: the type that won
	                                over it; 0 for other problems */
};

typedef void (*memmap_warn_fn)(void *ctx, const struct memmap_warning *w);

/*
 * memmap_from_efi - convert a firmware memory map into a clean Carto map.
 * @out:       destination; out->entries/capacity set by the caller. Needs
 *             capacity >= 2 * (map_size / desc_size), checked before anything
 *             is read (overlaps can split entries, and the whole buffer is
 *             used as scratch space: entries past out->count are garbage).
 * @map:       the firmware's buffer of descriptors (any alignment).
 * @map_size:  bytes of @map in use, as GetMemoryMap returned.
 * @desc_size: the firmware's descriptor size (>= sizeof(struct efi_mem_desc));
 *             descriptors are read at map + i * desc_size, never by sizeof;
 *             bytes past the struct are ignored.
 * @warn:      called once per problem found (may be NULL), with @ctx.
 *             Per-descriptor problems come first, in input order (a dropped
 *             descriptor gets only the reason it was dropped); after all
 *             of those, one MEMMAP_OVERLAP per overlapping pair of kept
 *             entries, reported on the entry that loses (on a full tie, the
 *             later one in the input), with the winner's type in
 *             other_type. The input's order is never reported: any order
 *             is valid and converts to the same map.
 * On every return out->count is set (0 on failure). Returns E_OK, E_INVAL
 * (out NULL, map NULL with map_size > 0, out->entries NULL with capacity > 0,
 * desc_size too small or not a multiple of 8, map_size not a multiple of
 * desc_size, more than UINT32_MAX descriptors) or E_NOSPC (capacity too
 * small). Never allocates; O(n) for a sorted map without overlaps, O(n log n)
 * unsorted, O(n^2) in the worst case with overlaps.
 */
int memmap_from_efi(struct memmap *out, const void *map, size_t map_size,
		    size_t desc_size, memmap_warn_fn warn, void *ctx);

/* True if memory of this type is RAM that Carto direct-maps (list above). */
bool mem_type_is_ram(uint32_t type);

/*
 * Restrictiveness of a type, for overlap resolution: the higher rank wins.
 * conventional < boot services < loader < ACPI reclaim < ACPI NVS <
 * runtime < persistent < unaccepted < unusable < reserved/unknown < MMIO.
 * PAL code ranks as reserved, MMIO port space as MMIO. Ranks are small
 * non-negative integers (0 = conventional).
 */
int mem_type_rank(uint32_t type);

/* Short human name of a problem ("zero-length entry"). */
const char *memmap_problem_name(enum memmap_problem p);

/* Total bytes of entries of the given type / of all RAM types. */
uint64_t memmap_bytes_of_type(const struct memmap *m, uint32_t type);
uint64_t memmap_ram_bytes(const struct memmap *m);

#endif
