/*
 * dma.h - memory a device reads and writes by itself (bus-master DMA):
 * whole frames from the frame allocator (physmem.h), zeroed, whose
 * physical address goes to the device and whose kernel address the driver
 * uses.
 *
 * Placement: a buffer is one buddy block of 2^order frames, so it is
 * aligned to its own size. Anything up to 64 KiB therefore never crosses a
 * 64 KiB boundary and is 64-byte aligned, which covers the xHCI rules for
 * rings, contexts and the event ring segment table (xHCI 1.2, 6.1 Table
 * 6-1). DMA_LOW32 keeps the block below 4 GiB for devices that cannot
 * address more.
 *
 * Cache type: the kernel reaches the frames write-back. That is right on
 * x86, where PCI and PCIe bus-master accesses snoop the CPU caches (the
 * device sees what the CPU wrote, the CPU what the device wrote); a device
 * behind a non-coherent bus would need UC mappings or cache flushes here.
 * What remains for the driver is ordering: fill a descriptor before
 * handing it over (dma_wmb) and read a descriptor's fields only after the
 * one that says it is the device's result (dma_rmb).
 *
 * The kernel reaches a buffer through b->va only, which dma_alloc gets
 * from ram_map (kmap.h): the direct map where it covers the buffer, else
 * a vmap, so drivers work in every addressing mode.
 */
#ifndef CARTO_DMA_H
#define CARTO_DMA_H

#include "types.h"

#define DMA_LOW32 (1u << 0)    /* the whole buffer below 4 GiB */

struct dma_buf {
	paddr_t pa;            /* what the device is given */
	void *va;              /* what the kernel uses (ram_map of pa) */
	uint64_t size;         /* bytes: PAGE_SIZE << order */
	unsigned order;
};

/*
 * dma_alloc - a zeroed buffer of at least @size bytes (rounded up to a
 * power-of-two number of frames) with @flags (DMA_LOW32). Returns E_OK,
 * E_INVAL (size 0 or above FRAME_MAX_ORDER frames, unknown flag) or
 * E_NOMEM (no frames, or no room to map them). On failure *@b is zeroed.
 */
int dma_alloc(uint64_t size, uint32_t flags, struct dma_buf *b);

/* dma_free - give @b's frames back (nothing if b->size is 0) and zero *@b.
 * Only when the device can no longer touch it. */
void dma_free(struct dma_buf *b);

/* Ordering between the CPU's accesses and the device's view of them. */
static inline void dma_wmb(void) { __asm__ volatile("sfence" ::: "memory"); }
static inline void dma_rmb(void) { __asm__ volatile("lfence" ::: "memory"); }

#endif
