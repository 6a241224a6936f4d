/*
 * arena.h - a private "physical memory" for host tests of page-table code.
 *
 * An arena is one page-aligned block of host memory standing in for a run
 * of physical frames at a made-up physical address (ARENA_DEFAULT_PHYS,
 * 4 GiB, unless the test picks another). The frame at fake physical address
 * pa lives at host address (window + pa), where window = host_ptr - fake_phys,
 * exactly as page-table frames live at PT_WINDOW_BASE + pa in the kernel.
 * So a struct pt_space built with arena_window() reaches its tables the way
 * the kernel does, and any pa outside the arena is a bug the test can see
 * (arena_owns) or ASan reports.
 *
 * The arena is a struct pt_frame_source (its first member), so it plugs
 * straight into pt_init():
 *
 *   struct arena a;
 *   if (arena_init(&a, 256, ARENA_DEFAULT_PHYS) != 0) ...;
 *   struct pt_space as;
 *   pt_init(&as, &a.src, arena_window(&a), true);
 *   ...
 *   arena_fail_after(&a, 3);     // the next 3 allocations succeed, then none
 *   ...
 *   arena_destroy(&a);
 *
 * What it counts: allocs (successful), frees, live (allocs - frees), peak
 * live, refused allocations (failing on purpose or full) and bad frees
 * (a pa outside the arena, not frame aligned, or not allocated: double free).
 * Frames are handed out zeroed, as struct pt_frame_source requires; freed
 * frames are filled with ARENA_POISON so a dangling table pointer reads
 * garbage with the present bit set rather than a plausible empty table.
 *
 * Header-only (static functions) so each test program includes it without
 * a link dependency. Host only: uses malloc.
 */
#ifndef CARTO_TEST_ARENA_H
#define CARTO_TEST_ARENA_H

#include <stdlib.h>
#include <string.h>

#include "pt.h"

#define ARENA_DEFAULT_PHYS 0x100000000ull   /* fake physical base: 4 GiB */
#define ARENA_POISON       0xdb             /* byte pattern of a freed frame */
#define ARENA_NEVER_FAIL   (-1L)

struct arena {
	struct pt_frame_source src;  /* first: a src pointer is an arena pointer */
	unsigned char *mem;          /* frames * PAGE_SIZE bytes, page aligned */
	paddr_t phys_base;           /* fake physical address of mem[0] */
	size_t frames;               /* capacity in frames */
	unsigned char *in_use;       /* one byte per frame: 1 = allocated */
	size_t hint;                 /* where the next search for a free frame starts */
	long fail_after;             /* allocations left before refusing; ARENA_NEVER_FAIL */
	/* statistics */
	uint64_t allocs, frees, live, peak;
	uint64_t refused;            /* alloc() calls answered PT_NO_FRAME */
	uint64_t bad_frees;          /* free() of a frame not allocated from here */
};

/* Index of the frame at fake physical address pa, or (size_t)-1 if pa is
 * not the start of a frame inside the arena. */
static inline size_t arena_frame_index(const struct arena *a, paddr_t pa)
{
	if (pa < a->phys_base || !IS_ALIGNED(pa, PAGE_SIZE))
		return (size_t)-1;
	uint64_t i = (pa - a->phys_base) >> PAGE_SHIFT;
	return i < a->frames ? (size_t)i : (size_t)-1;
}

/* True if pa is a frame of the arena that is currently allocated. */
static inline bool arena_owns(const struct arena *a, paddr_t pa)
{
	size_t i = arena_frame_index(a, pa);
	return i != (size_t)-1 && a->in_use[i];
}

/* The window value for struct pt_space: table at pa is at (window + pa). */
static inline uint64_t arena_window(const struct arena *a)
{
	return (uint64_t)(uintptr_t)a->mem - a->phys_base;
}

/* Host pointer to the frame at fake physical address pa (must be inside). */
static inline void *arena_ptr(const struct arena *a, paddr_t pa)
{
	return a->mem + (pa - a->phys_base);
}

/* pt_frame_source.alloc: the next free frame (searching round-robin from
 * the last one handed out), zeroed; PT_NO_FRAME when the arena is full or
 * arena_fail_after's budget is spent. */
static inline paddr_t arena_alloc(struct pt_frame_source *src)
{
	struct arena *a = (struct arena *)src;
	if (a->fail_after == 0 || a->live == a->frames) {
		a->refused++;
		return PT_NO_FRAME;
	}
	size_t i = a->hint;
	while (a->in_use[i])
		i = (i + 1) % a->frames;
	a->in_use[i] = 1;
	a->hint = (i + 1) % a->frames;
	if (a->fail_after > 0)
		a->fail_after--;
	a->allocs++;
	a->live++;
	if (a->live > a->peak)
		a->peak = a->live;
	memset(a->mem + i * PAGE_SIZE, 0, PAGE_SIZE);
	return a->phys_base + (paddr_t)i * PAGE_SIZE;
}

/* pt_frame_source.free: give pa back and poison it; a pa that is not an
 * allocated frame of this arena only counts as a bad free. */
static inline void arena_free(struct pt_frame_source *src, paddr_t pa)
{
	struct arena *a = (struct arena *)src;
	size_t i = arena_frame_index(a, pa);
	if (i == (size_t)-1 || !a->in_use[i]) {
		a->bad_frees++;
		return;
	}
	a->in_use[i] = 0;
	memset(a->mem + i * PAGE_SIZE, ARENA_POISON, PAGE_SIZE);
	a->frees++;
	a->live--;
}

/*
 * arena_init - set up an arena of @frames frames at fake physical address
 * @phys_base (page aligned). Returns 0, or -1 if the host is out of memory
 * or the arguments are bad (zero frames, unaligned base).
 */
static inline int arena_init(struct arena *a, size_t frames, paddr_t phys_base)
{
	memset(a, 0, sizeof(*a));
	if (frames == 0 || !IS_ALIGNED(phys_base, PAGE_SIZE))
		return -1;
	a->mem = aligned_alloc(PAGE_SIZE, frames * PAGE_SIZE);
	a->in_use = calloc(frames, 1);
	if (!a->mem || !a->in_use) {
		free(a->mem);
		free(a->in_use);
		return -1;
	}
	memset(a->mem, ARENA_POISON, frames * PAGE_SIZE);
	a->src.alloc = arena_alloc;
	a->src.free = arena_free;
	a->phys_base = phys_base;
	a->frames = frames;
	a->fail_after = ARENA_NEVER_FAIL;
	return 0;
}

/* Let the next @n allocations succeed and refuse every one after them;
 * ARENA_NEVER_FAIL lifts the limit. */
static inline void arena_fail_after(struct arena *a, long n)
{
	a->fail_after = n;
}

/* Release the host memory. */
static inline void arena_destroy(struct arena *a)
{
	free(a->mem);
	free(a->in_use);
	memset(a, 0, sizeof(*a));
}

#endif
