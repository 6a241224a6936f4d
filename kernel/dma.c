/*
 * dma.c - DMA buffers from the frame allocator (dma.h).
 */
#include "dma.h"
#include "kmap.h"
#include "lib.h"
#include "panic.h"
#include "physmem.h"
#include "status.h"

int dma_alloc(uint64_t size, uint32_t flags, struct dma_buf *b)
{
	unsigned order = 0;
	paddr_t pa;

	memset(b, 0, sizeof(*b));
	if (size == 0 || (flags & ~DMA_LOW32))
		return E_INVAL;
	while ((PAGE_SIZE << order) < size) {
		if (++order > FRAME_MAX_ORDER)
			return E_INVAL;
	}
	int st = frames_alloc(order, FRAME_ZERO | (flags & DMA_LOW32 ? FRAME_LOW32 : 0), &pa);
	if (st != E_OK)
		return st;
	void *va = ram_map(pa, PAGE_SIZE << order, "DMA buffer");
	if (!va) {
		if (frames_free(pa, order) != E_OK)
			panic("dma_alloc: frames_free(%lx, order %u) refused", pa, order);
		return E_NOMEM;
	}
	*b = (struct dma_buf){ .pa = pa, .va = va, .size = PAGE_SIZE << order, .order = order };
	return E_OK;
}

void dma_free(struct dma_buf *b)
{
	if (b->size)
		ram_unmap(b->va, b->size);
	if (b->size && frames_free(b->pa, b->order) != E_OK)
		panic("dma_free: frames_free(%lx, order %u) refused", b->pa, b->order);
	memset(b, 0, sizeof(*b));
}
