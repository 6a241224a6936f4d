/*
 * frame.h - the physical frame allocator: 4 KiB frames and naturally
 * aligned blocks of 2^order frames, for machines from 64 MiB to 4 TiB+.
 *
 * WHAT IS MANAGED
 * frame_init() is seeded from Carto's clean memory map (memmap.h) and a
 * list of reservations. A frame is handed out only if its map entry is
 *   conventional, loader code/data or boot-services code/data,
 *   without EFI_MEMORY_RUNTIME, below cfg->limit, and in no reservation.
 * So loader and boot-services memory is given back at once: by the time
 * the kernel runs, the only loader allocations still in use are the ones
 * the loader listed as reservations (kernel image, hand-off block and maps,
 * stacks, page-table pool chunks, trampoline), and nothing of the firmware's
 * boot services is used after ExitBootServices. What is kept out, and why:
 *   ACPI reclaim  the ACPI tables live there (UEFI 2.10 7.2: the OS may
 *                 reuse it only after it has read the tables; Carto reads
 *                 them whenever it likes, so it never reuses it);
 *   ACPI NVS, runtime code/data, reserved, MMIO, persistent, unaccepted:
 *                 not RAM for Carto at all (memmap.h);
 *   loader/boot-services entries carrying EFI_MEMORY_RUNTIME: the firmware
 *                 asked to keep them mapped for runtime services (Linux
 *                 keeps them too);
 *   RAM at or above cfg->limit (the kernel passes DMAP_MAX_PHYS: it could
 *                 not reach such frames).
 * Firmware data that may sit in boot-services memory is the caller's to
 * protect with a FRAME_RES_FIRMWARE reservation or to copy out before
 * frame_init: the kernel reserves the framebuffer and the pages of every
 * ACPI table found in RAM (kernel/acpi.h acpi_ram_ranges). OVMF puts every
 * table in ACPI reclaim/NVS, but U-Boot's UEFI keeps all of them except the
 * RSDP in boot-services code, so that reservation is not optional. The BGRT boot logo is
 * the exception: the table lives in ACPI memory but the image it points
 * to is commonly in boot-services data (Linux's efi_bgrt_init reserves it
 * with efi_mem_reserve for that reason; OVMF does this too: under QEMU the
 * image was found in a BootServicesData entry). Carto does not show the
 * logo, so that memory is reused; code that wants the logo must reserve
 * or copy it before frame_init.
 *
 * DESIGN: a lazily-built bitmap tree per region
 * The managed frames form "regions": maximal runs of manageable frames,
 * cut at reservations and at 4 GiB (so the below-4 GiB zone is exactly
 * regions [0, low_count)). Each region has a 64-ary tree over absolute
 * frame numbers f = pa >> 12:
 *   level 0: one bit per frame (1 = free), 64 frames per 64-bit word;
 *   level L >= 1: a node per 2^(6(L+1)) frames (L1: 16 MiB, L2: 1 GiB,
 *   L3: 64 GiB, L4: 4 TiB), with one 64-bit word per ORDER k giving, for
 *   each of its 64 children, "the child holds a free naturally aligned
 *   2^k block" (k = 0..min(6L, FRAME_MAX_ORDER)), plus one word "the child
 *   is all free" (at L1 and L2 that is the word of order 6L itself).
 * A free block of order k is then found by one tzcnt per level: the
 * has[k] word below the block's level, and at its level the "all free"
 * word (or the leaf word) folded 2^j bits at a time (aligned groups of
 * 2^j set bits). Blocks are naturally aligned in physical addresses
 * because nodes are aligned on absolute frame numbers. A change of a leaf
 * word changes its parent's words only where the child's set of available
 * orders changed, and that rarely goes up more than a level.
 *
 * Laziness: a child whose parent says "all free" or "nothing free" is
 * uniform and its own words are NOT kept: they are written (all ones or
 * all zeros) only when an operation has to go inside it. So init writes
 * only the nodes that straddle region edges - at most 2 per level - and
 * sets whole-child bits for everything in between; a 4 TiB region costs
 * the same few hundred word writes as a 4 MiB one. Block operations of
 * order >= 6 flip children bits the same way and never touch the frames'
 * bits below. The allocator never touches the frames it manages: only its
 * metadata (and the frames themselves for FRAME_ZERO and poisoning).
 *
 * Figures (FRAME_MAX_ORDER 18; per GiB of a region):
 *   level 0: 32 KiB (1 bit/frame), level 1: 3.5 KiB (7 words per 16 MiB),
 *   level 2+: ~0.1 KiB; total 36.5 KiB/GiB = 1.11 bits per 4 KiB frame
 *   (Linux: 64 bytes per frame = 16 MiB/GiB), plus sizeof(struct
 *   frame_region) (144 bytes) per region and (FRAME_MAX_ORDER+1) bits per
 *   region for the region summaries. 4 TiB of RAM: 142 MiB reserved, of
 *   which init writes a few KiB; the rest is written only as memory gets
 *   used.
 * Time: init O(entries * levels + reservations * entries) word operations,
 *   independent of the amount of RAM (stats.init_words counts them: 294
 *   words for an OVMF-like 64 GiB map, 334 for 4 TiB and 16 TiB);
 *   alloc/free of one block O(levels) (<= 7 levels for 2^52 bytes), the
 *   common single-frame case O(1) through a per-zone hint word; finding a
 *   region with a free block of order k: one bitmap scan over the regions
 *   (ceil(regions/64) words). frame_free locates the region by a last-hit
 *   check, then binary search. Measured (make bench, host, no poisoning):
 *   single-frame alloc+free ~20 ns (~50 TSC ticks), 2 MiB alloc+free ~90
 *   ns, init of a 4 TiB map ~2 us.
 *
 * Errors are status returns; the allocator is never left inconsistent. A
 * free is checked against the tree before anything changes: a frame not
 * in managed memory, a reserved frame, a free frame (double free or never
 * allocated), or a block not aligned to its order are refused. What one
 * bit per frame cannot see: freeing with a different order than allocated
 * when every frame involved is allocated (the bits stay exact: the frames
 * are simply free from then on).
 *
 * Poisoning (cfg->flags FRAME_INIT_POISON, debug builds): freed frames are
 * filled with FRAME_POISON before they become free, through cfg->mem, so a
 * use after free reads an obviously wrong pattern.
 *
 * Not thread-safe: one allocator per lock (Carto runs one CPU for now).
 * Builds freestanding (kernel, loader) and on the host: no libc beyond
 * lib.h, never allocates.
 */
#ifndef CARTO_FRAME_H
#define CARTO_FRAME_H

#include "memlayout.h"
#include "memmap.h"
#include "status.h"
#include "types.h"

#define FRAME_MAX_ORDER   18        /* largest block: 2^18 frames = 1 GiB */
#define FRAME_ORDER_2M    9         /* 2 MiB block */
#define FRAME_LEVELS      7         /* tree levels 0..6 cover 2^42 frames = 2^54 bytes */
#define FRAME_MAX_RESERVED 64       /* reservations frame_init accepts (metadata included) */
#define FRAME_POISON      0x6b      /* byte pattern of a freed frame (FRAME_INIT_POISON) */
#define FRAME_LOW_LIMIT   (4 * GiB) /* FRAME_LOW32 blocks end at or below this */
#define FRAME_LOWMEM_END  (1 * MiB) /* the kernel reserves [0, this) (FRAME_RES_LOWMEM) */

/* Allocation flags. */
#define FRAME_ZERO   (1u << 0)      /* fill the block with zeros before returning it */
#define FRAME_LOW32  (1u << 1)      /* the whole block lies below 4 GiB (32-bit DMA) */
#define FRAME_HIGHMEM (1u << 2)     /* the block may lie in highmem (at or above
                                       cfg->direct_limit): the caller reaches it
                                       through explicit mappings, not the direct map */
#define FRAME_FLAGS_KNOWN (FRAME_ZERO | FRAME_LOW32 | FRAME_HIGHMEM)

/* frame_init flags. */
#define FRAME_INIT_POISON (1u << 0)   /* fill freed frames with FRAME_POISON */
#define FRAME_INIT_FLAGS_KNOWN FRAME_INIT_POISON

/* Why a range of RAM is withheld. The first five are what the loader
 * records in the hand-off (handoff.h HANDOFF_RES_KINDS). */
enum frame_res_kind {
	FRAME_RES_KERNEL,       /* kernel image segments */
	FRAME_RES_HANDOFF,      /* hand-off block, memory maps, command line */
	FRAME_RES_STACKS,       /* kernel and IST stacks */
	FRAME_RES_PT_POOL,      /* page-table pool chunks */
	FRAME_RES_TRAMPOLINE,   /* the loader's CR3-switch page */
	FRAME_RES_FIRMWARE,     /* firmware data in reusable RAM (ACPI tables, framebuffer) */
	FRAME_RES_LOWMEM,       /* low memory kept for real-mode code, quirks */
	FRAME_RES_METADATA,     /* this allocator's own metadata (frame_init adds it) */
	FRAME_RES_KIND_COUNT
};

/* A reserved range [start, end); frame_init rounds it out to whole frames. */
struct frame_reservation {
	paddr_t start, end;
	uint32_t kind;          /* enum frame_res_kind, not FRAME_RES_METADATA */
	uint32_t pad;
};

/*
 * How the allocator reaches physical memory: map(m, pa, size) returns a
 * pointer through which [pa, pa+size) can be read and written, or NULL if
 * it cannot be reached. The kernel answers with the direct map
 * (phys_to_dmap), host tests with a private arena. Called once at init for
 * the metadata, and for FRAME_ZERO and poisoning - unless map_temp is
 * set: then fills go through map_temp, and unmap_temp(m, p, size) undoes
 * each right after (the kernel's kmap/vmap where the direct map does not
 * reach: highmem, or addressing=explicit).
 */
struct frame_mem {
	void *(*map)(struct frame_mem *m, paddr_t pa, uint64_t size);
	void *(*map_temp)(struct frame_mem *m, paddr_t pa, uint64_t size);     /* optional */
	void (*unmap_temp)(struct frame_mem *m, void *p, uint64_t size);      /* with map_temp */
};

struct frame_config {
	const struct memmap *map;   /* clean map: sorted, page aligned, disjoint */
	const struct frame_reservation *res;
	size_t res_count;
	struct frame_mem *mem;
	paddr_t limit;              /* RAM at or above is not managed; 0 = none */
	paddr_t direct_limit;       /* RAM at or above is highmem, handed out only
	                               with FRAME_HIGHMEM; 0 = no highmem */
	uint32_t flags;             /* FRAME_INIT_* */
};

/* One region of the tree (private to frame.c; in the metadata area). */
struct frame_region;

/* Where the single-frame fast path looks first (private). */
struct frame_hint {
	struct frame_region *region;
	uint64_t *word;             /* a leaf word known to be accurate, or NULL */
	uint64_t frame;             /* frame number of the word's bit 0 */
	uint64_t valid;             /* bits of the word inside the region */
};

enum frame_zone { FRAME_ZONE_LOW, FRAME_ZONE_HIGH, FRAME_ZONE_COUNT };

/* The allocator. The caller provides the storage (static in the kernel);
 * every field is private: use the functions below. */
struct frame_alloc {
	struct frame_hint hint[FRAME_ZONE_COUNT];  /* [LOW]: FRAME_LOW32, [HIGH]: default */
	struct frame_region *last;  /* region of the last free */
	struct frame_region *regions;
	uint32_t region_count;
	uint32_t low_count;         /* regions [0, low_count) lie below 4 GiB */
	uint32_t direct_count;      /* regions [0, direct_count) lie below direct_limit */
	uint64_t direct_cut;        /* direct_limit as a frame number; ~0: no highmem */
	uint64_t managed_highmem;   /* frames of regions [direct_count, region_count) */
	uint64_t *summary;          /* per order: bitmap of regions holding such a block */
	uint32_t summary_words;     /* words per order */
	uint32_t flags;             /* FRAME_INIT_* */
	struct frame_mem *mem;
	uint64_t free[FRAME_ZONE_COUNT];
	uint64_t managed[FRAME_ZONE_COUNT];
	uint64_t refused[4];        /* refused frees: not managed, reserved, not allocated, bad args */
	struct frame_reservation res[FRAME_MAX_RESERVED];  /* sorted, disjoint, whole frames */
	uint32_t res_count;
	uint64_t reserved[FRAME_RES_KIND_COUNT];   /* frames, within usable memory */
	uint64_t kept_acpi, kept_runtime, kept_limit, ram;
	paddr_t meta_start, meta_end;
	uint64_t meta_used;
	uint64_t init_words;
};

/* Counts, in frames unless named bytes. Invariant:
 *   ram = managed + sum(reserved) + kept_acpi + kept_runtime + kept_limit,
 *   managed = free + used. */
struct frame_stats {
	uint64_t ram;           /* RAM frames in the map (mem_type_is_ram) */
	uint64_t managed;       /* frames the allocator can hand out */
	uint64_t free;
	uint64_t used;          /* handed out, not yet freed */
	uint64_t managed_low, free_low;            /* the same, below 4 GiB */
	uint64_t managed_highmem;                  /* managed frames at or above direct_limit */
	uint64_t reserved[FRAME_RES_KIND_COUNT];   /* usable frames withheld, by kind */
	uint64_t kept_acpi;     /* ACPI reclaim, left to the tables */
	uint64_t kept_runtime;  /* loader/boot-services frames with EFI_MEMORY_RUNTIME */
	uint64_t kept_limit;    /* usable frames at or above cfg->limit */
	uint64_t meta_bytes;    /* metadata in use (reserved[METADATA] is that, in whole frames) */
	uint64_t init_words;    /* 64-bit metadata words frame_init wrote */
	uint32_t regions;
	uint64_t refused_unmanaged, refused_reserved, refused_free, refused_invalid;
};

/*
 * frame_init - build an allocator for cfg->map minus cfg->res.
 * Carves its metadata from the highest region that can hold it and that
 * cfg->mem->map reaches, at that region's top, and records it as a
 * FRAME_RES_METADATA reservation. Every manageable frame starts free.
 * Returns E_OK; E_INVAL (NULL argument or map; map not sorted, not page
 * aligned or overlapping; a reservation with end < start or an unknown or
 * FRAME_RES_METADATA kind; unknown flags); E_NOSPC (more than
 * FRAME_MAX_RESERVED - 1 reservations); E_NOMEM (no region both large
 * enough for the metadata and reachable). On failure @fa manages nothing
 * (every alloc returns E_NOMEM). Time: see the header comment.
 */
int frame_init(struct frame_alloc *fa, const struct frame_config *cfg);

/*
 * frame_meta_bytes - the metadata bytes frame_init uses for @cfg when
 * cfg->mem reaches the region it picks (the kernel's case: it reaches all
 * RAM below its limit): exactly frame_get_stats' meta_bytes, before
 * rounding up to whole frames (cfg->mem is not used). If no region can
 * hold the metadata (frame_init: E_NOMEM), the bytes it would need.
 * The analyzer's plan uses it. Returns 0 for a map with nothing to
 * manage, or one frame_init refuses as invalid.
 */
uint64_t frame_meta_bytes(const struct frame_config *cfg);

/*
 * frame_alloc_one - allocate one frame; *pa gets its address.
 * @flags: FRAME_ZERO, FRAME_LOW32. Without FRAME_LOW32 frames above 4 GiB
 * are used first, so low memory is left to devices that need it.
 * Returns E_OK, E_NOMEM (none free in the zone asked for), E_INVAL
 * (unknown flag, NULL pa) or E_RANGE (FRAME_ZERO but cfg->mem cannot reach
 * the frame; the frame stays free).
 */
int frame_alloc_one(struct frame_alloc *fa, uint32_t flags, paddr_t *pa);

/*
 * frame_free_one - give back a frame from frame_alloc_one (or any frame
 * of an allocated block). Returns E_OK; E_INVAL (pa not frame aligned);
 * E_RANGE (pa is not memory this allocator manages: it was never handed
 * out); E_PERM (pa is reserved: kernel, page tables, metadata...); E_NOENT
 * (pa is free: a double free, or never allocated). On error nothing
 * changes.
 */
int frame_free_one(struct frame_alloc *fa, paddr_t pa);

/*
 * frame_alloc_block - allocate 2^order contiguous frames, aligned to their
 * size (an order-9 block is a 2 MiB page). Flags and returns as for
 * frame_alloc_one, plus E_INVAL for order > FRAME_MAX_ORDER.
 */
int frame_alloc_block(struct frame_alloc *fa, unsigned order, uint32_t flags, paddr_t *pa);

/*
 * frame_free_block - give back 2^order frames at pa, all allocated. Returns
 * as frame_free_one; E_INVAL also for order > FRAME_MAX_ORDER or pa not
 * aligned to the block size; E_NOENT if any frame of the block is free;
 * E_RANGE/E_PERM if any frame is outside managed memory / reserved.
 */
int frame_free_block(struct frame_alloc *fa, paddr_t pa, unsigned order);

/* What one frame is, for tests and reports. */
enum frame_state {
	FRAME_STATE_FREE,
	FRAME_STATE_USED,       /* handed out */
	FRAME_STATE_RESERVED,   /* in a reservation (metadata included) */
	FRAME_STATE_UNMANAGED,  /* not memory this allocator hands out */
};

/* frame_state - the state of the frame holding pa. Changes nothing. */
enum frame_state frame_state(const struct frame_alloc *fa, paddr_t pa);

/* frame_get_stats - fill @st with the current counts. */
void frame_get_stats(const struct frame_alloc *fa, struct frame_stats *st);

/*
 * frame_verify - check every materialised node of every tree against its
 * children and the free counts against the bits, in time proportional to
 * the metadata written so far. Returns E_OK, or E_INVAL with *bad (if not
 * NULL) set to the first frame of the first inconsistent node.
 */
int frame_verify(const struct frame_alloc *fa, paddr_t *bad);

/* Short name of a reservation kind ("kernel", "page tables"), "?" if unknown. */
const char *frame_res_kind_name(unsigned kind);

#endif
