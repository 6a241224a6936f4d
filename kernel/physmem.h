/*
 * physmem.h - the kernel's physical frame allocator: one struct frame_alloc
 * (include/frame.h) seeded from the hand-off, reaching memory the way the
 * addressing mode allows (kmap.h kmap_frame_mem).
 *
 * What frames_init withholds, on top of the allocator's own policy (loader
 * and boot-services memory given back, ACPI reclaim/NVS and runtime memory
 * kept - see frame.h):
 *   - every reservation the loader listed (kernel image, hand-off block and
 *     maps, stacks, page-table pool chunks, trampoline);
 *   - the first MiB (FRAME_RES_LOWMEM): application processors start in
 *     real mode from a page below 1 MiB, and firmware of every age leaves
 *     things there (Linux reserves it too);
 *   - the pages of the ACPI tables (RSDP, root table, every table it lists,
 *     FACS, DSDT) and the framebuffer, should the firmware have put them in
 *     reusable RAM (FRAME_RES_FIRMWARE; U-Boot keeps its ACPI tables in
 *     boot-services code).
 * Freed frames are poisoned (FRAME_POISON) unless the kernel is built with
 * FRAMES_POISON=0.
 */
#ifndef CARTO_FRAMES_H
#define CARTO_FRAMES_H

#include "frame.h"
#include "handoff.h"

#define FRAMES_LOWMEM_END FRAME_LOWMEM_END

#ifndef FRAMES_POISON
#define FRAMES_POISON 1          /* debug build: poison freed frames */
#endif

/* At most this many firmware ranges frames_init keeps out for its caller. */
#define FRAMES_FIRMWARE_RES 8

/*
 * frames_init - build the kernel's allocator from @h, keeping out also the
 * @n (at most FRAMES_FIRMWARE_RES) ranges @firmware[] of firmware data the
 * caller found in RAM (the ACPI tables: kernel/acpi.h acpi_ram_ranges),
 * reaching RAM through @mem (kmap.h kmap_frame_mem: the direct map, or
 * explicit mappings where it does not reach). Call
 * it once, early (after kspace_init). Panics if the allocator cannot be built
 * (no room for its metadata, a broken hand-off), naming the reason.
 */
void frames_init(const struct handoff *h, const struct range *firmware, size_t n,
		 struct frame_mem *mem);

/* frames - the kernel's allocator, NULL before frames_init. */
struct frame_alloc *frames(void);

/* frames_alloc/frames_free - frame_alloc_block/frame_free_block on the
 * kernel's allocator (same flags, orders and status codes). */
int frames_alloc(unsigned order, uint32_t flags, paddr_t *pa);
int frames_free(paddr_t pa, unsigned order);

/*
 * frames_alloc_pt_chunk - a new page-table pool chunk: PT_POOL_CHUNK bytes,
 * aligned, below PT_WINDOW_MAX_PHYS, not zeroed (the pool zeroes each frame
 * it hands out). Returns its physical address,
 * or PT_NO_FRAME if there is none. Mapping it in the page-table window is
 * the caller's (kspace.c's) job.
 */
paddr_t frames_alloc_pt_chunk(void);

/* TSC ticks frame_init took. */
uint64_t frames_init_ticks(void);

/*
 * frames_report - print the counts: managed, free, used, each kind of
 * reservation, what is kept out, the metadata and the init time, in lines
 * that fit 80 columns. With FRAMES_REPORT_STATS (the "framestats" command
 * line option) one more, machine-readable line for the scale script:
 *   frames: init_tsc=N meta_bytes=N managed_bytes=N free_bytes=N regions=N init_words=N
 */
#define FRAMES_REPORT_STATS 1u
void frames_report(unsigned what);

/*
 * frames_report_inputs - print what frame_init was given besides the map,
 * and the metadata it used, in the form the analyzer reads after a Carto
 * dump's 'end of map' (tools/mapparse_carto.c), so `carto-memmap plan`
 * of a 'fwmap' dump sizes the metadata exactly as the kernel did:
 *   frame allocator: N reservations, limit 0x<hex16>
 *     0x<start> 0x<end> <kind> <kind name>      (N rows)
 *   frame allocator metadata: N bytes
 */
void frames_report_inputs(void);

#endif
