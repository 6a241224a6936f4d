/*
 * types.h - the basic types every part of Carto shares, freestanding or host.
 *
 * Physical and virtual addresses are both 64-bit integers; they are kept
 * apart by name: paddr_t / "pa" for physical, vaddr_t / "va" for virtual.
 * Converting one into the other goes through a named helper that checks its
 * range (phys_to_dmap, pt_window_va), never through a bare addition.
 */
#ifndef CARTO_TYPES_H
#define CARTO_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;   /* a physical address */
typedef uint64_t vaddr_t;   /* a virtual address */

/* A half-open range [start, end) of addresses. end == start is empty. */
struct range {
	uint64_t start;
	uint64_t end;
};

#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ALIGN_UP(x, a)   ALIGN_DOWN((x) + (uint64_t)(a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a) - 1)) == 0)
#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))

#define KiB (1ul << 10)
#define MiB (1ul << 20)
#define GiB (1ul << 30)
#define TiB (1ul << 40)

#endif
