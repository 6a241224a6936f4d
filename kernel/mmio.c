/*
 * mmio.c - device mappings with ownership (mmio.h): the registry, the
 * MMIO region's virtual-address allocator and the mapping table.
 */
#include "boot.h"
#include "console.h"
#include "dmap.h"
#include "klib.h"
#include "kspace.h"
#include "mmio.h"
#include "monitor.h"
#include "panic.h"

#define MMIO_LEAF_FLAGS     (MAP_WRITE | MAP_GLOBAL)
#define FIRMWARE_LEAF_FLAGS (MAP_READ | MAP_GLOBAL)
#define GUARD_SIZE          PAGE_SIZE    /* unmapped page after each mapping */

/* ---- virtual addresses: sorted, coalesced free ranges ----------------------- */

/* Free ranges are separated by allocated ones, so there are at most one
 * more of them than live mappings. */
#define VA_FREE_MAX (MMIO_MAX_MAPPINGS + 1)

static struct {
	struct range free[VA_FREE_MAX];   /* sorted by start, never touching */
	unsigned count;
} va_space;

/* The lowest va in @r with va % align == offset and [va, va+size) inside @r,
 * or 0 if none. */
static vaddr_t fit_in(const struct range *r, uint64_t size, uint64_t align, uint64_t offset)
{
	vaddr_t va = ALIGN_UP(r->start - offset, align) + offset;

	if (va < r->start || va + size < va || va + size > r->end)
		return 0;
	return va;
}

static void va_remove(unsigned i)
{
	memmove(&va_space.free[i], &va_space.free[i + 1],
		(va_space.count - i - 1) * sizeof(va_space.free[0]));
	va_space.count--;
}

static bool va_insert(unsigned i, vaddr_t start, vaddr_t end)
{
	if (va_space.count == VA_FREE_MAX)
		return false;
	memmove(&va_space.free[i + 1], &va_space.free[i],
		(va_space.count - i) * sizeof(va_space.free[0]));
	va_space.free[i] = (struct range){ start, end };
	va_space.count++;
	return true;
}

/* va_alloc - first fit of @size bytes at va % align == offset; 0 if none. */
static vaddr_t va_alloc(uint64_t size, uint64_t align, uint64_t offset)
{
	for (unsigned i = 0; i < va_space.count; i++) {
		struct range *r = &va_space.free[i];
		vaddr_t va = fit_in(r, size, align, offset);
		if (!va)
			continue;
		vaddr_t end = va + size, r_end = r->end;
		if (va == r->start && end == r_end) {
			va_remove(i);
		} else if (va == r->start) {
			r->start = end;
		} else {
			r->end = va;
			if (end != r_end && !va_insert(i + 1, end, r_end)) {
				r->end = r_end;       /* no room to split: try further on */
				continue;
			}
		}
		return va;
	}
	return 0;
}

/* va_free - give [va, va+size) back, merging with its neighbours. */
static void va_free(vaddr_t va, uint64_t size)
{
	vaddr_t end = va + size;
	unsigned i = 0;

	while (i < va_space.count && va_space.free[i].start < va)
		i++;
	bool join_prev = i > 0 && va_space.free[i - 1].end == va;
	bool join_next = i < va_space.count && va_space.free[i].start == end;
	if (join_prev && join_next) {
		va_space.free[i - 1].end = va_space.free[i].end;
		va_remove(i);
	} else if (join_prev) {
		va_space.free[i - 1].end = end;
	} else if (join_next) {
		va_space.free[i].start = va;
	} else if (!va_insert(i, va, end)) {
		panic("va_free: more than %u free MMIO ranges", VA_FREE_MAX);
	}
}

/* ---- the mapping table -------------------------------------------------------- */

struct mmio_mapping {
	vaddr_t va;                   /* page-aligned; 0: slot unused */
	uint64_t size;                /* bytes mapped, page multiple (guard not included) */
	paddr_t pa;
	struct resource *claim;       /* NULL for firmware mappings */
};

static struct mmio_mapping mappings[MMIO_MAX_MAPPINGS];
static unsigned mapping_count;
static struct resource registry_pool[MMIO_REGISTRY_POOL];
static struct resource_tree registry;
static bool ready;

static struct mmio_mapping *free_slot(void)
{
	for (unsigned i = 0; i < MMIO_MAX_MAPPINGS; i++)
		if (!mappings[i].va)
			return &mappings[i];
	return NULL;
}

static struct mmio_mapping *slot_of(vaddr_t va)
{
	for (unsigned i = 0; i < MMIO_MAX_MAPPINGS; i++)
		if (mappings[i].va && va >= mappings[i].va && va - mappings[i].va < mappings[i].size)
			return &mappings[i];
	return NULL;
}

/* The alignment that lets pt_map use the largest leaves for @size bytes. */
static uint64_t large_page_align(uint64_t size)
{
	if (size >= PAGE_SIZE_1G && kernel_space()->has_1g)
		return PAGE_SIZE_1G;
	if (size >= PAGE_SIZE_2M)
		return PAGE_SIZE_2M;
	return PAGE_SIZE;
}

/*
 * map_pages - find a slot and virtual space for [base, base+bytes) and map
 * it with @flags. On failure nothing is left behind.
 */
static int map_pages(paddr_t base, uint64_t bytes, uint32_t flags, struct mmio_mapping **out)
{
	struct mmio_mapping *m = free_slot();
	uint64_t align = large_page_align(bytes);

	if (!m)
		return E_NOMEM;
	vaddr_t va = va_alloc(bytes + GUARD_SIZE, align, base & (align - 1));
	if (!va)
		return E_NOMEM;
	int st = pt_map(kernel_space(), va, base, bytes, flags);
	if (st == E_EXIST)
		panic("map_pages: [%lx, %lx) in the MMIO region is already mapped: something maps "
		      "there without mmio_map (a direct pt_map on kernel_space()?)", va, va + bytes);
	if (st != E_OK) {
		if (st == E_NOMEM && pt_unmap(kernel_space(), va, bytes) != E_OK)
			panic("map_pages: cannot undo a partial mapping at %lx", va);
		va_free(va, bytes + GUARD_SIZE);
		return st;
	}
	*m = (struct mmio_mapping){ va, bytes, base, NULL };
	mapping_count++;
	*out = m;
	return E_OK;
}

/* Page-align [phys, phys+size) into [*base, *base + *bytes); false if the
 * range is empty or wraps. */
static bool page_span(paddr_t phys, uint64_t size, paddr_t *base, uint64_t *bytes)
{
	paddr_t end = phys + size;

	if (size == 0 || end < phys || end > PHYS_ADDR_LIMIT)
		return false;
	*base = ALIGN_DOWN(phys, PAGE_SIZE);
	*bytes = ALIGN_UP(end, PAGE_SIZE) - *base;
	return true;
}

int mmio_try_map(paddr_t phys, uint64_t size, enum cache_type cache, const char *owner,
		 vaddr_t *va, const struct resource **conflict)
{
	struct resource *claim = NULL;
	struct mmio_mapping *m;
	paddr_t base;
	uint64_t bytes;

	if (conflict)
		*conflict = NULL;
	if (!ready || !va || !page_span(phys, size, &base, &bytes))
		return E_INVAL;
	int st = resource_claim(&registry, base, base + bytes, owner, cache, RESOURCE_BUSY, &claim);
	if (st != E_OK) {
		if (conflict)
			*conflict = claim;
		return st;
	}
	st = map_pages(base, bytes, MMIO_LEAF_FLAGS | MAP_CACHE(cache), &m);
	if (st != E_OK) {
		resource_release(&registry, claim);
		return st;
	}
	m->claim = claim;
	*va = m->va + (phys - base);
	return E_OK;
}

static const char *refusal_reason(int st)
{
	switch (st) {
	case E_PERM:  return "it is RAM, which is never device-mapped (the direct map has it WB)";
	case E_BUSY:  return "busy";
	case E_INVAL: return "bad argument (empty, wrapping or past 2^52, bad cache type or owner)";
	case E_NOMEM: return "out of registry nodes, mapping slots, MMIO space or page tables";
	default:      return status_name(st);
	}
}

vaddr_t mmio_map(paddr_t phys, uint64_t size, enum cache_type cache, const char *owner)
{
	const struct resource *in_way;
	vaddr_t va = 0;
	int st = mmio_try_map(phys, size, cache, owner, &va, &in_way);

	if (st == E_OK)
		return va;
	/* The reason on a line of its own: the boot report fits 80 columns. */
	kprintf("mmio: \"%s\" [%lx, %lx) %s refused:\n  %s", owner ? owner : "(null)", phys,
		phys + size, cache_type_name(cache), refusal_reason(st));
	if (in_way)
		kprintf(", %s \"%s\" [%lx, %lx)",
			in_way->flags & RESOURCE_CONTAINER ? "crosses the edge of" : "held by",
			in_way->owner, in_way->range.start, in_way->range.end);
	kputs("\n");
	return 0;
}

int mmio_map_firmware(paddr_t phys, uint64_t size, enum cache_type cache, vaddr_t *va,
		      const struct resource **conflict)
{
	struct mmio_mapping *m;
	paddr_t base;
	uint64_t bytes;

	if (conflict)
		*conflict = NULL;
	if (!ready || !va || !page_span(phys, size, &base, &bytes) ||
	    (unsigned)cache >= CACHE_TYPE_COUNT)
		return E_INVAL;
	const struct resource *r = resource_first_overlap(&registry, base, base + bytes);
	if (r) {
		if (conflict)
			*conflict = r;
		return r->flags & RESOURCE_RAM ? E_PERM : E_BUSY;
	}
	int st = map_pages(base, bytes, FIRMWARE_LEAF_FLAGS | MAP_CACHE(cache), &m);
	if (st == E_OK)
		*va = m->va + (phys - base);
	return st;
}

int mmio_unmap(vaddr_t va)
{
	struct mmio_mapping *m = slot_of(va);

	if (!m)
		return E_NOENT;
	int st = pt_unmap(kernel_space(), m->va, m->size);
	if (st != E_OK)
		panic("mmio_unmap: pt_unmap of [%lx, %lx) failed: %s", m->va, m->va + m->size,
		      status_name(st));
	if (m->claim && (st = resource_release(&registry, m->claim)) != E_OK)
		panic("mmio_unmap: releasing \"%s\" failed: %s", m->claim->owner, status_name(st));
	va_free(m->va, m->size + GUARD_SIZE);
	*m = (struct mmio_mapping){ 0, 0, 0, NULL };
	mapping_count--;
	return E_OK;
}

int mmio_claim_window(paddr_t phys, uint64_t size, const char *owner, struct resource **out)
{
	paddr_t base;
	uint64_t bytes;

	if (out)
		*out = NULL;
	if (!ready || !page_span(phys, size, &base, &bytes))
		return E_INVAL;
	return resource_claim(&registry, base, base + bytes, owner, CACHE_UC, RESOURCE_CONTAINER,
			      out);
}

vaddr_t mmio_va_of(paddr_t pa)
{
	for (unsigned i = 0; i < MMIO_MAX_MAPPINGS; i++) {
		const struct mmio_mapping *m = &mappings[i];
		if (m->va && pa >= m->pa && pa - m->pa < m->size)
			return m->va + (pa - m->pa);
	}
	return 0;
}

struct resource_tree *mmio_registry(void)
{
	return ready ? &registry : NULL;
}

unsigned mmio_mapping_count(void)
{
	return mapping_count;
}

/* ---- init and report -------------------------------------------------------- */

void mmio_init(const struct handoff *h)
{
	struct memmap map = boot_memmap(h);
	paddr_t pa;

	int st = resource_init(&registry, registry_pool, MMIO_REGISTRY_POOL, &map);
	if (st != E_OK)
		panic("mmio_init: recording RAM of the %u-entry memory map failed: %s%s",
		      h->memmap_count, status_name(st),
		      st == E_NOMEM ? " (raise MMIO_REGISTRY_POOL in mmio.h)" : "");
	if (pt_translate(kernel_space(), MMIO_BASE, &pa, NULL, NULL) == E_OK)
		panic("mmio_init: MMIO_BASE %lx is already mapped (to %lx): map devices with "
		      "mmio_map after mmio_init, not with pt_map directly", MMIO_BASE, pa);
	va_space.free[0] = (struct range){ MMIO_BASE, MMIO_END };
	va_space.count = 1;
	ready = true;
}

static void print_line(void *ctx, const char *line)
{
	kprintf("  %s\n", line);
}

void mmio_report(void)
{
	if (!ready) {
		kprintf("iomem: registry not set up (mmio_init not called)\n");
		return;
	}
	kprintf("iomem: %zu of %u registry nodes in use, %u MMIO mappings\n", registry.used,
		MMIO_REGISTRY_POOL, mapping_count);
	resource_print(&registry, print_line, NULL);
}

static void cmd_iomem(const struct handoff *h, int argc, char **argv)
{
	mmio_report();
}
MONITOR_COMMAND("iomem", "", "the physical-range ownership registry", cmd_iomem);
