/*
 * mmio.h - device memory: claim a physical range in the ownership registry
 * (resource.h), map it into the MMIO region of the kernel address space
 * (MMIO_BASE..MMIO_END in memlayout.h) with the cache type the device
 * needs, and give both back on unmap.
 *
 * Every mapping made here is RW, NX, global and lies in the MMIO region,
 * never in the direct map. RAM is never device-mapped: the direct map
 * already maps it write-back, and a second mapping with another cache type
 * is undefined behaviour on x86 (Intel SDM vol. 3, 11.12.4).
 *
 * Claims cover whole pages: the range [ALIGN_DOWN(phys), ALIGN_UP(phys +
 * size)) is claimed and mapped, since a page is the smallest unit a cache
 * type can be given to. Two devices whose registers share a page cannot
 * both be mapped (the second is refused, naming the first).
 *
 * Virtual addresses come from a first-fit allocator over the MMIO region
 * with an unmapped guard page after each mapping. A mapping of 2 MiB or
 * more is placed so that va and phys agree modulo 2 MiB (1 GiB for 1 GiB
 * or more on CPUs with 1 GiB pages), so pt_map can use large pages.
 *
 * Single CPU, interrupts off; no locking yet.
 */
#ifndef CARTO_MMIO_H
#define CARTO_MMIO_H

#include "handoff.h"
#include "pt.h"
#include "resource.h"

#define MMIO_MAX_MAPPINGS  64      /* live mmio_map/mmio_map_firmware mappings */
#define MMIO_REGISTRY_POOL 512     /* registry nodes: RAM runs + claims */

/*
 * mmio_init - set up the registry from @h's clean memory map (RAM recorded
 * as "System RAM") and the MMIO virtual-address allocator. Call once,
 * after kspace_init and pat_init and before the first mmio_map. Panics if
 * the registry pool is too small for the map's RAM runs or if something
 * is already mapped at MMIO_BASE (a device mapped there by a direct
 * pt_map() on kernel_space(): map it with mmio_map after mmio_init).
 */
void mmio_init(const struct handoff *h);

/*
 * mmio_try_map - claim [phys, phys+size) (whole pages, see above) for
 * @owner with cache type @cache and map it. @owner must stay alive until
 * mmio_unmap. On E_OK sets *va to the address of @phys (its offset in the
 * page kept). @conflict may be NULL; on E_BUSY/E_PERM it is set to the
 * registry node in the way (its owner names who holds the range), else to
 * NULL. Prints nothing. Returns:
 *   E_OK;
 *   E_PERM   the range overlaps RAM;
 *   E_BUSY   it overlaps another claim (or crosses a container's edge);
 *   E_INVAL  size 0, the range wraps or ends past PHYS_ADDR_LIMIT, bad
 *            cache type, owner NULL or empty, va NULL, mmio_init not run;
 *   E_NOMEM  no registry node, mapping slot, MMIO virtual space or
 *            page-table frame left.
 * Nothing is claimed or mapped unless E_OK is returned.
 */
int mmio_try_map(paddr_t phys, uint64_t size, enum cache_type cache, const char *owner,
		 vaddr_t *va, const struct resource **conflict);

/*
 * mmio_map - mmio_try_map that explains a refusal on the console:
 *   mmio: "HPET (second)" [fed00000, fed01000) UC refused:
 *     busy, held by "HPET" [fed00000, fed01000)
 * Returns the virtual address of @phys, or 0 if refused.
 */
vaddr_t mmio_map(paddr_t phys, uint64_t size, enum cache_type cache, const char *owner);

/*
 * mmio_map_firmware - map firmware data that is not RAM (ACPI NVS,
 * reserved memory) read-only and NX with @cache, for reading tables. No
 * claim is made (firmware data has no device owner), but the range must
 * overlap no claim at all: E_PERM if it overlaps RAM (read RAM through the
 * direct map), E_BUSY if a device holds it (*conflict as for
 * mmio_try_map). Unmap with mmio_unmap. Other returns as mmio_try_map.
 */
int mmio_map_firmware(paddr_t phys, uint64_t size, enum cache_type cache, vaddr_t *va,
		      const struct resource **conflict);

/*
 * mmio_unmap - undo the mapping that contains @va (any address inside it,
 * e.g. the one mmio_map returned): unmap it, release its claim and give
 * its virtual range back. Returns E_OK or E_NOENT (no mapping there).
 * Panics if the page tables or the registry refuse (broken invariant).
 */
int mmio_unmap(vaddr_t va);

/*
 * mmio_claim_window - claim [phys, phys+size) as a container (a bus or
 * window that later mmio_map calls subdivide), without mapping it. Whole
 * pages as for mmio_try_map. @out, if non-NULL, gets the new node on E_OK
 * (give it back with resource_release(mmio_registry(), node)) or the node
 * in the way on E_BUSY/E_PERM. Returns as resource_claim.
 */
int mmio_claim_window(paddr_t phys, uint64_t size, const char *owner, struct resource **out);

/* mmio_va_of - the virtual address at which a live mapping (mmio_map or
 * mmio_map_firmware) maps physical address @pa, or 0 if none does. */
vaddr_t mmio_va_of(paddr_t pa);

/* mmio_registry - the kernel's ownership registry (NULL before mmio_init). */
struct resource_tree *mmio_registry(void);

/* mmio_mapping_count - live mappings made by mmio_try_map/_firmware. */
unsigned mmio_mapping_count(void);

/* mmio_report - print the registry as an iomem-style table and the MMIO
 * region's use. */
void mmio_report(void);

/* Device register access: one aligned access of exactly that width. */
static inline uint32_t mmio_read32(vaddr_t va)
{
	return *(const volatile uint32_t *)va;
}

static inline void mmio_write32(vaddr_t va, uint32_t v)
{
	*(volatile uint32_t *)va = v;
}

static inline uint64_t mmio_read64(vaddr_t va)
{
	return *(const volatile uint64_t *)va;
}

static inline void mmio_write64(vaddr_t va, uint64_t v)
{
	*(volatile uint64_t *)va = v;
}

#endif
