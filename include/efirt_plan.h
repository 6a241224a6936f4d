/*
 * efirt_plan.h - where and with which permissions the kernel maps the
 * firmware's EFI runtime regions (kernel/efirt.c does the mapping).
 *
 * Input: the firmware's final memory map (the hand-off's fw_map, raw
 * descriptors of the firmware's size and version) and, if the firmware has
 * one, its Memory Attributes Table (MAT). Both are firmware data, that is
 * bad input: every field used is checked here, and this code also builds
 * for the host, where tests feed it broken maps and tables.
 *
 * The runtime regions are the descriptors with EFI_MEMORY_RUNTIME. Each is
 * mapped at base + its physical address (memlayout.h EFIRT_BASE), so the
 * regions keep their distances and the virtual map handed to
 * SetVirtualAddressMap is that one rule. The plan is a sorted list of
 * pieces [pa, pa+size), each with MAP_* permissions, never both
 * MAP_WRITE and MAP_EXEC:
 *
 *   with a valid MAT, the runtime code and data descriptors are cut along
 *   the MAT's entries: EFI_MEMORY_RO drops MAP_WRITE, EFI_MEMORY_XP drops
 *   MAP_EXEC. An entry with neither (it asks for W+X) is mapped as its MAT
 *   type allows (code RX, data RW) and reported. Parts of a runtime code or
 *   data descriptor no MAT entry covers are mapped by type and reported;
 *
 *   without a MAT (or with one that is malformed: reported, then ignored
 *   as a whole), by type: runtime code RX, runtime data RW + NX;
 *
 *   other runtime descriptors (MMIO such as a flash chip, reserved) RW +
 *   NX, uncached if they are MMIO or do not offer write-back.
 *
 * A descriptor's own EFI_MEMORY_RO / EFI_MEMORY_XP attributes take away
 * write / execute as well. Cache type: write-back where the descriptor
 * offers it (EFI_MEMORY_WB) and it is not MMIO, else strong uncached.
 *
 * A map that cannot be mapped safely (bad descriptor size or version, a
 * runtime descriptor empty, unaligned, wrapping, at or past max_phys, or
 * overlapping another one) yields no plan at all: the runtime services are
 * not used, since SetVirtualAddressMap needs every runtime region.
 */
#ifndef CARTO_EFIRT_PLAN_H
#define CARTO_EFIRT_PLAN_H

#include "efi_mem.h"
#include "pt.h"
#include "status.h"
#include "types.h"

#define EFIRT_MAX_DESCS   128      /* runtime descriptors in the map */
#define EFIRT_MAX_MAT     256      /* MAT entries */
#define EFIRT_MAX_PIECES  512      /* pieces of the plan */

struct efirt_piece {
	paddr_t pa;
	vaddr_t va;                   /* base + pa */
	uint64_t size;                /* bytes, page multiple */
	uint32_t type;                /* EFI type of the map descriptor */
	uint32_t flags;               /* MAP_WRITE / MAP_EXEC / MAP_CACHE(...) */
	uint32_t desc;                /* index of the descriptor in the firmware map */
	bool from_mat;                /* permissions from a MAT entry (else by type) */
};

/* One runtime descriptor of the map, as SetVirtualAddressMap needs it. */
struct efirt_desc {
	paddr_t pa, end;              /* [pa, end) */
	uint32_t type;
	uint32_t index;               /* in the firmware map */
	uint64_t attr;
};

struct efirt_plan {
	struct efirt_piece piece[EFIRT_MAX_PIECES];
	uint32_t count;               /* pieces */
	struct efirt_desc desc[EFIRT_MAX_DESCS];
	uint32_t descs;               /* runtime descriptors, sorted by pa */
	bool mat_used;                /* permissions came from the MAT */
	vaddr_t base;
};

enum efirt_problem {
	/* the map: no plan */
	EFIRT_MAP_DESC_SIZE,          /* descriptor size too small, not a multiple of 8, or map size not a multiple */
	EFIRT_MAP_DESC_VERSION,       /* not EFI_MEMORY_DESCRIPTOR_VERSION */
	EFIRT_MAP_EMPTY,              /* a runtime descriptor of 0 pages */
	EFIRT_MAP_UNALIGNED,          /* its start is not page aligned */
	EFIRT_MAP_WRAPS,              /* its end passes 2^64 */
	EFIRT_MAP_TOO_HIGH,           /* it reaches max_phys (no room to map it) */
	EFIRT_MAP_OVERLAP,            /* two runtime descriptors overlap */
	EFIRT_MAP_TOO_MANY,           /* more than EFIRT_MAX_DESCS runtime descriptors */
	/* the MAT: ignored as a whole, mapping by type */
	EFIRT_MAT_HEADER,             /* version, descriptor size or table size wrong */
	EFIRT_MAT_ENTRY,              /* an entry empty, unaligned or wrapping */
	EFIRT_MAT_TYPE,               /* an entry neither runtime code nor data */
	EFIRT_MAT_OUTSIDE,            /* an entry not inside one runtime code/data descriptor */
	EFIRT_MAT_OVERLAP,            /* two entries overlap */
	/* notes: the plan is still made */
	EFIRT_MAT_WX,                 /* an entry asks for W+X: mapped as its type allows */
	EFIRT_NOT_COVERED,            /* runtime code/data the MAT leaves out: mapped by type */
	EFIRT_PROBLEM_COUNT
};

/* @index: the descriptor's (map problems, EFIRT_NOT_COVERED) or the MAT
 * entry's index; [start, end) the range concerned (0, 0 for header
 * problems). */
typedef void (*efirt_warn_fn)(void *ctx, enum efirt_problem p, uint32_t index,
			      paddr_t start, paddr_t end);

/*
 * efirt_plan_build - work out the plan (see above) into @plan.
 * @map, @map_size, @desc_size, @desc_version: the firmware's map as
 *             GetMemoryMap returned it (descriptors read at map + i *
 *             desc_size, any alignment).
 * @mat, @mat_size: the MAT's bytes (header first), or NULL / 0 for none.
 * @base:      virtual address of physical 0 (EFIRT_BASE); @max_phys: the
 *             first physical address that cannot be mapped (EFIRT_MAX_PHYS).
 * @warn:      called once per problem (may be NULL).
 * Returns E_OK (plan->count may be 0: no runtime regions), E_INVAL (a map
 * problem, reported; plan->count 0), E_NOSPC (more than EFIRT_MAX_PIECES
 * pieces; plan->count 0). Never allocates.
 */
int efirt_plan_build(struct efirt_plan *plan, const void *map, size_t map_size,
		     size_t desc_size, uint32_t desc_version, const void *mat, size_t mat_size,
		     vaddr_t base, paddr_t max_phys, efirt_warn_fn warn, void *ctx);

/* efirt_plan_find - the piece containing physical address @pa, or NULL. */
const struct efirt_piece *efirt_plan_find(const struct efirt_plan *plan, paddr_t pa);

/* efirt_plan_find_va - the piece containing virtual address @va, or NULL. */
const struct efirt_piece *efirt_plan_find_va(const struct efirt_plan *plan, vaddr_t va);

/* Short description of a problem ("runtime descriptors overlap"). */
const char *efirt_problem_name(enum efirt_problem p);

/* True for the problems after which the MAT is not used. */
bool efirt_problem_drops_mat(enum efirt_problem p);

#endif
