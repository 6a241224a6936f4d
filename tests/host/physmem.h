/*
 * physmem.h - "physical memory" for host tests and benchmarks of the frame
 * allocator (a struct frame_mem), backed only where something is written.
 *
 * A test describes machines of up to 4 TiB and more, but only the frame
 * allocator's metadata and the frames a test zeroes or poisons need real
 * memory. physmem_map() answers for any [pa, pa+size):
 *   - inside a block it backed before: that block;
 *   - otherwise, if on-demand backing is on: a new block of exactly that
 *     range (mmap'd, so a 143 MiB metadata block costs only the pages
 *     the allocator really writes);
 *   - otherwise NULL ("cannot be reached"), which the allocator must handle.
 *
 *   struct physmem pm;
 *   physmem_init(&pm, PHYSMEM_ON_DEMAND);
 *   cfg.mem = &pm.fm;
 *   ...
 *   physmem_destroy(&pm);
 *
 * Header-only; host only (mmap).
 */
#ifndef CARTO_TEST_PHYSMEM_H
#define CARTO_TEST_PHYSMEM_H

#include <stdlib.h>
#include <sys/mman.h>

#include "frame.h"

#define PHYSMEM_MAX_BLOCKS 4096

enum physmem_mode {
	PHYSMEM_FIXED,       /* only blocks added with physmem_back() answer */
	PHYSMEM_ON_DEMAND,   /* any range is backed when first asked for */
};

struct physmem_block {
	paddr_t pa;
	uint64_t size;
	unsigned char *mem;
};

struct physmem {
	struct frame_mem fm;         /* first: a frame_mem pointer is a physmem pointer */
	enum physmem_mode mode;
	struct physmem_block block[PHYSMEM_MAX_BLOCKS];
	size_t count;
	uint64_t maps;               /* calls answered */
	uint64_t refused;            /* calls answered NULL */
	uint64_t backed_bytes;       /* address space backed (not all of it touched) */
};

/* The block holding [pa, pa+size), or NULL. */
static inline struct physmem_block *physmem_find(struct physmem *pm, paddr_t pa, uint64_t size)
{
	for (size_t i = 0; i < pm->count; i++) {
		struct physmem_block *b = &pm->block[i];
		if (pa >= b->pa && pa - b->pa <= b->size && size <= b->size - (pa - b->pa))
			return b;
	}
	return NULL;
}

/*
 * physmem_back - give [pa, pa+size) real, zeroed memory (page multiples).
 * Returns the host pointer, or NULL if the host is out of memory or of
 * block slots, or the range overlaps a block.
 */
static inline void *physmem_back(struct physmem *pm, paddr_t pa, uint64_t size)
{
	for (size_t i = 0; i < pm->count; i++)
		if (pa < pm->block[i].pa + pm->block[i].size && pm->block[i].pa < pa + size)
			return NULL;
	if (pm->count == PHYSMEM_MAX_BLOCKS || size == 0)
		return NULL;
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	pm->block[pm->count++] = (struct physmem_block){ pa, size, m };
	pm->backed_bytes += size;
	return m;
}

/* struct frame_mem.map */
static inline void *physmem_map(struct frame_mem *fm, paddr_t pa, uint64_t size)
{
	struct physmem *pm = (struct physmem *)fm;
	struct physmem_block *b = physmem_find(pm, pa, size);
	void *p = NULL;

	if (b)
		p = b->mem + (pa - b->pa);
	else if (pm->mode == PHYSMEM_ON_DEMAND)
		p = physmem_back(pm, pa, size);
	if (p)
		pm->maps++;
	else
		pm->refused++;
	return p;
}

/* Host pointer of pa if backed, else NULL (for checking what was written). */
static inline unsigned char *physmem_peek(struct physmem *pm, paddr_t pa, uint64_t size)
{
	struct physmem_block *b = physmem_find(pm, pa, size);
	return b ? b->mem + (pa - b->pa) : NULL;
}

static inline void physmem_init(struct physmem *pm, enum physmem_mode mode)
{
	pm->fm.map = physmem_map;
	pm->mode = mode;
	pm->count = 0;
	pm->maps = pm->refused = pm->backed_bytes = 0;
}

static inline void physmem_destroy(struct physmem *pm)
{
	for (size_t i = 0; i < pm->count; i++)
		munmap(pm->block[i].mem, pm->block[i].size);
	pm->count = 0;
}

#endif
