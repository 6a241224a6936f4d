/*
 * resource.h - who owns which physical address range: the ownership
 * registry behind mmio_map (in the spirit of Linux's iomem resource tree).
 *
 * The registry is a tree of claims on physical addresses. Every claim is a
 * half-open range [start, end) with an owner (a string the caller keeps
 * alive for as long as the claim lives), the cache type it is mapped with
 * and one of two kinds:
 *
 *   RESOURCE_BUSY       one owner uses the whole range (a device's
 *                       registers, a framebuffer); nothing may overlap it
 *                       or nest inside it.
 *   RESOURCE_CONTAINER  a window or bus (a PCIe ECAM segment, a bridge
 *                       window) that nested claims subdivide. A nested claim
 *                       must lie wholly inside its container; a claim that
 *                       crosses a container's edge is refused.
 *
 * The root of the tree is the whole physical address space
 * [0, PHYS_ADDR_LIMIT). resource_init fills it with the RAM of the clean
 * memory map (mem_type_is_ram; adjacent RAM entries joined) as busy claims
 * owned by RESOURCE_RAM_OWNER ("System RAM"). RAM can never be claimed:
 * the direct map already maps it write-back, and a second mapping with
 * another cache type is undefined behaviour on x86.
 *
 *   [0000000000000000, 00000000000a0000) WB  System RAM
 *   [00000000b0000000, 00000000c0000000) UC  PCIe ECAM segment 0 (container)
 *     [00000000b0000000, 00000000b0100000) UC  PCI bus 0 config
 *   [00000000fee00000, 00000000fee01000) UC  local APIC
 *
 * Children of a node are kept sorted by start and never overlap. Claims
 * are made from the outside in: a container must be claimed before the
 * claims inside it (a new claim that would swallow existing ones is
 * refused, naming the first of them).
 *
 * Storage: no allocation. The caller gives resource_init a fixed array of
 * nodes; claims take nodes from it and releases give them back. Errors are
 * reported by status code and, for a conflict, by an out-pointer to the
 * node in the way - never through hidden globals.
 *
 * Not thread-safe: one CPU, interrupts off (the kernel's callers lock
 * later).
 */
#ifndef CARTO_RESOURCE_H
#define CARTO_RESOURCE_H

#include "memmap.h"
#include "pt.h"
#include "status.h"
#include "types.h"

/* Kinds of claim (resource.flags); exactly one of BUSY/CONTAINER is set. */
#define RESOURCE_BUSY      (1u << 0)
#define RESOURCE_CONTAINER (1u << 1)
#define RESOURCE_RAM       (1u << 2)   /* set by resource_init only (with BUSY) */

#define RESOURCE_RAM_OWNER  "System RAM"
#define RESOURCE_ROOT_OWNER "physical address space"

struct resource {
	struct range range;           /* [start, end) physical */
	const char *owner;            /* kept alive by the claimer */
	enum cache_type cache;
	uint32_t flags;               /* RESOURCE_* */
	struct resource *parent;      /* NULL for the root; pool nodes: tree links */
	struct resource *child;       /* first (lowest) nested claim */
	struct resource *sibling;     /* next claim at the same level, higher */
};

struct resource_tree {
	struct resource root;         /* [0, PHYS_ADDR_LIMIT), container */
	struct resource *pool;        /* the caller's node array */
	size_t pool_size;
	struct resource *free_list;   /* unused nodes, chained through sibling */
	size_t used;                  /* nodes in the tree (root not counted) */
};

/*
 * resource_init - make @t an empty registry over [0, PHYS_ADDR_LIMIT) that
 * takes its nodes from @pool[0..pool_size), then record every RAM run of
 * @map (entries for which mem_type_is_ram is true; adjacent ones joined) as
 * a busy claim of RESOURCE_RAM_OWNER with cache type WB. @map may be NULL
 * (no RAM). Returns E_OK; E_INVAL (t NULL, pool NULL with pool_size > 0,
 * a map entry empty, unaligned, past PHYS_ADDR_LIMIT, or the map not sorted
 * and disjoint); E_NOMEM (more RAM runs than nodes: raise the pool size).
 * On failure @t is left empty (no RAM recorded) but usable.
 */
int resource_init(struct resource_tree *t, struct resource *pool, size_t pool_size,
		  const struct memmap *map);

/*
 * resource_claim - claim [start, end) for @owner.
 * @flags:  RESOURCE_BUSY or RESOURCE_CONTAINER (exactly one).
 * @cache:  the cache type the owner maps the range with (CACHE_WB..CACHE_WC).
 * @out:    may be NULL. On E_OK *out is the new node; on E_BUSY or E_PERM
 *          it is the node in the way (print its owner in the refusal); on
 *          other errors NULL.
 * The claim goes into the deepest container that wholly contains it.
 * Refused with:
 *   E_PERM   the range overlaps RAM (*out = the RAM node);
 *   E_BUSY   it overlaps a busy claim, crosses the edge of a container, or
 *            would swallow an existing claim (*out = the first such node,
 *            lowest address first);
 *   E_INVAL  t or owner NULL, owner empty, start >= end, end past
 *            PHYS_ADDR_LIMIT, bad flags or cache type;
 *   E_NOMEM  no free node in the pool.
 * Nothing changes unless E_OK is returned.
 */
int resource_claim(struct resource_tree *t, paddr_t start, paddr_t end, const char *owner,
		   enum cache_type cache, uint32_t flags, struct resource **out);

/*
 * resource_release - give back the claim @r (a node resource_claim
 * returned) and its node. Returns E_OK; E_INVAL (t or r NULL, r not a node
 * of @t's pool or not in the tree: never claimed or already released);
 * E_PERM (r is RAM, which is never released); E_BUSY (r is a container
 * that still has nested claims: release those first).
 */
int resource_release(struct resource_tree *t, struct resource *r);

/*
 * resource_find - the deepest node whose range contains @pa, or NULL if
 * no claim covers it (the root is never returned).
 */
struct resource *resource_find(const struct resource_tree *t, paddr_t pa);

/*
 * resource_first_overlap - the first node (lowest start, outermost first)
 * among the claims that overlap [start, end) at any depth, or NULL.
 * Changes nothing; for callers that must only check (read-only firmware
 * mappings, tests).
 */
struct resource *resource_first_overlap(const struct resource_tree *t, paddr_t start,
					paddr_t end);

/*
 * resource_find_gap - the lowest @align-aligned address a in
 * [within.start, within.end) such that [a, a+size) overlaps no top-level
 * claim (RAM or otherwise). Sets *out and returns E_OK, or returns E_NOENT
 * (no such gap) or E_INVAL (size 0, align not a power of two).
 */
int resource_find_gap(const struct resource_tree *t, uint64_t size, uint64_t align,
		      struct range within, paddr_t *out);

/* resource_depth - nesting depth of @r: 0 for a top-level claim. */
unsigned resource_depth(const struct resource *r);

/* cache_type_name - "WB", "WT", "UC-", "UC", "WC", "?" for a bad value. */
const char *cache_type_name(enum cache_type c);

/*
 * resource_print - print the tree as a table, one line per claim in
 * address order, each nested claim indented two spaces per level:
 *   "[0000000000000000, 00000000000a0000) WB  System RAM"
 * Containers end in " (container)". A header line comes first. Each line
 * (without '\n', at most RESOURCE_LINE_MAX - 1 characters: a longer owner
 * is cut) goes to @out(@ctx, line).
 */
#define RESOURCE_LINE_MAX 128
typedef void (*resource_out_fn)(void *ctx, const char *line);
void resource_print(const struct resource_tree *t, resource_out_fn out, void *ctx);

#endif
