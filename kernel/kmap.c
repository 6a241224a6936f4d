/*
 * kmap.c - temporary (kmap) and long-lived (vmap) mappings of RAM, and
 * ram_map on top of them and the direct map (see kmap.h).
 */
#include "cpu.h"
#include "dmap.h"
#include "klib.h"
#include "kmap.h"
#include "kspace.h"
#include "panic.h"
#include "physmem.h"
#include "pt.h"

#define KMAP_FLAGS (MAP_WRITE | MAP_CACHE(CACHE_WB))   /* RW, NX, WB, not global */
#define VMAP_MAX_AREAS 256

_Static_assert(KMAP_SLOTS <= 64, "a CPU's slots fit one bitmap word");

/* One CPU's slots: their level-1 entries are consecutive (memlayout.h). */
struct kmap_cpu {
	uint64_t *pte;                     /* entry of slot 0 (through the window) */
	uint64_t used;                     /* bitmap of slots in use */
	const char *owner[KMAP_SLOTS];
};

/* A live vmap area: [start, end) mapped, the page at end is the guard. */
struct vmap_area {
	vaddr_t start, end;
	const char *owner;
};

static struct kmap_cpu kcpu[KMAP_MAX_CPUS];
static struct vmap_area areas[VMAP_MAX_AREAS];   /* sorted by start */
static unsigned area_count;

/* The CPU we run on. Carto runs on the boot CPU only so far; when the
 * application processors start, this reads the CPU number. */
static struct kmap_cpu *this_cpu(void)
{
	return &kcpu[0];
}

static unsigned cpu_index(const struct kmap_cpu *c)
{
	return (unsigned)(c - kcpu);
}

static vaddr_t slot_va(const struct kmap_cpu *c, unsigned i)
{
	return KMAP_CPU_BASE(cpu_index(c)) + (vaddr_t)i * PAGE_SIZE;
}

void kmap_init(const struct handoff *h)
{
	struct pt_space *as = kernel_space();

	for (unsigned cpu = 0; cpu < KMAP_MAX_CPUS; cpu++) {
		uint64_t *pte;
		int st = pt_pte_slot(as, KMAP_CPU_BASE(cpu), &pte);
		if (st != E_OK)
			panic("kmap_init: no page table for the kmap slots of CPU %u: %s", cpu,
			      status_name(st));
		kcpu[cpu].pte = pte;
	}
	if (h->dmap_limit > DMAP_MAX_PHYS)
		panic("kmap_init: the hand-off's direct-map limit %lx is beyond DMAP_MAX_PHYS",
		      h->dmap_limit);
	dmap_limit = h->dmap_limit;   /* phys_to_dmap refuses what lies above */
}

int kmap_try(paddr_t pa, const char *owner, void **va)
{
	struct kmap_cpu *c = this_cpu();

	if (pa >= PHYS_ADDR_LIMIT)
		return E_RANGE;
	uint64_t free = ~c->used & (KMAP_SLOTS == 64 ? ~0ull : (1ull << KMAP_SLOTS) - 1);
	if (!free)
		return E_NOSPC;
	unsigned i = (unsigned)__builtin_ctzll(free);
	c->used |= 1ull << i;
	c->owner[i] = owner;
	__atomic_store_n(&c->pte[i], ALIGN_DOWN(pa, PAGE_SIZE) | pt_pte_bits(KMAP_FLAGS, PT_LEVEL_4K),
			 __ATOMIC_RELEASE);
	*va = (void *)(slot_va(c, i) + (pa & (PAGE_SIZE - 1)));
	return E_OK;
}

void *kmap_owned(paddr_t pa, const char *owner)
{
	void *va;
	int st = kmap_try(pa, owner, &va);

	if (st == E_NOSPC)
		panic("kmap: %s maps %lx but all %u slots of CPU %u are in use (slot 0 by %s, "
		      "slot %u by %s): a kunmap is missing", owner, pa, KMAP_SLOTS,
		      cpu_index(this_cpu()), this_cpu()->owner[0], KMAP_SLOTS - 1,
		      this_cpu()->owner[KMAP_SLOTS - 1]);
	if (st != E_OK)
		panic("kmap: %s maps %lx: %s", owner, pa, status_name(st));
	return va;
}

int kunmap(const void *va)
{
	struct kmap_cpu *c = this_cpu();
	vaddr_t v = (vaddr_t)va, base = slot_va(c, 0);

	if (v < base || v >= base + KMAP_SLOTS * PAGE_SIZE)
		return E_INVAL;
	unsigned i = (unsigned)((v - base) >> PAGE_SHIFT);
	if (!(c->used & (1ull << i)))
		return E_INVAL;
	__atomic_store_n(&c->pte[i], 0, __ATOMIC_RELEASE);
	invlpg(slot_va(c, i));
	c->used &= ~(1ull << i);
	c->owner[i] = NULL;
	return E_OK;
}

unsigned kmap_slots_used(void)
{
	unsigned n = 0;

	for (uint64_t u = this_cpu()->used; u; u &= u - 1)
		n++;
	return n;
}

const char *kmap_slot_owner(unsigned i)
{
	return i < KMAP_SLOTS ? this_cpu()->owner[i] : NULL;
}

struct kmap_scope kmap_scope_begin(const char *owner)
{
	return (struct kmap_scope){ this_cpu()->used, owner };
}

int kmap_scope_leak(const struct kmap_scope *s)
{
	uint64_t leaked = this_cpu()->used & ~s->used_at_entry;

	return leaked ? __builtin_ctzll(leaked) : -1;
}

void kmap_scope_end(struct kmap_scope *s)
{
	int i = kmap_scope_leak(s);

	if (i < 0)
		return;
	struct kmap_cpu *c = this_cpu();
	panic("kmap: slot %d of CPU %u (va %lx -> pa %lx), mapped by %s, still in use when %s "
	      "returned", i, cpu_index(c), slot_va(c, (unsigned)i), (uint64_t)(c->pte[i] & PTE_ADDR_MASK),
	      c->owner[i], s->owner);
}

/* ---- vmap ------------------------------------------------------------------ */

/* Find room for @size bytes (plus a guard page) aligned to @align; returns
 * the address and *at the index the area goes to, or 0 if full. */
static vaddr_t vmap_find(uint64_t size, uint64_t align, unsigned *at)
{
	vaddr_t cand = ALIGN_UP(VMAP_BASE, align);
	unsigned i = 0;

	if (area_count == VMAP_MAX_AREAS)
		return 0;
	for (; i < area_count; i++) {
		if (cand + size + PAGE_SIZE <= areas[i].start)
			break;
		cand = ALIGN_UP(areas[i].end + PAGE_SIZE, align);
	}
	if (cand + size + PAGE_SIZE > VMAP_END || cand + size < cand)
		return 0;
	*at = i;
	return cand;
}

static void vmap_insert(unsigned at, vaddr_t va, uint64_t size, const char *owner)
{
	memmove(&areas[at + 1], &areas[at], (area_count - at) * sizeof(areas[0]));
	areas[at] = (struct vmap_area){ va, va + size, owner };
	area_count++;
}

#define VMAP_FLAGS_ALLOWED (MAP_WRITE | MAP_CACHE_MASK)

vaddr_t vmap(const paddr_t *frames, size_t n, uint32_t flags, const char *owner)
{
	struct pt_space *as = kernel_space();
	unsigned at;

	if (n == 0 || (flags & ~VMAP_FLAGS_ALLOWED))
		return 0;
	for (size_t k = 0; k < n; k++)
		if (!IS_ALIGNED(frames[k], PAGE_SIZE))
			return 0;
	vaddr_t va = vmap_find(n * PAGE_SIZE, PAGE_SIZE, &at);
	if (!va)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (pt_map(as, va + k * PAGE_SIZE, frames[k], PAGE_SIZE, flags | MAP_GLOBAL) != E_OK) {
			if (k)
				pt_unmap(as, va, k * PAGE_SIZE);
			return 0;
		}
	vmap_insert(at, va, n * PAGE_SIZE, owner);
	return va;
}

vaddr_t vmap_range(paddr_t pa, uint64_t size, uint32_t flags, const char *owner)
{
	struct pt_space *as = kernel_space();
	unsigned at;

	if (size == 0 || !IS_ALIGNED(pa | size, PAGE_SIZE) || (flags & ~VMAP_FLAGS_ALLOWED))
		return 0;
	/* Same offset in a 2 MiB page as pa, so pt_map can use large leaves. */
	uint64_t align = size >= PAGE_SIZE_2M && IS_ALIGNED(pa, PAGE_SIZE_2M) ? PAGE_SIZE_2M : PAGE_SIZE;
	vaddr_t va = vmap_find(size, align, &at);
	if (!va)
		return 0;
	int st = pt_map(as, va, pa, size, flags | MAP_GLOBAL);
	if (st != E_OK) {
		pt_unmap(as, va, size);
		return 0;
	}
	vmap_insert(at, va, size, owner);
	return va;
}

int vunmap(vaddr_t va)
{
	for (unsigned i = 0; i < area_count; i++) {
		if (areas[i].start != va)
			continue;
		int st = pt_unmap(kernel_space(), va, areas[i].end - va);
		if (st != E_OK)
			panic("vunmap: unmapping %s at %lx failed: %s", areas[i].owner, va,
			      status_name(st));
		memmove(&areas[i], &areas[i + 1], (area_count - i - 1) * sizeof(areas[0]));
		area_count--;
		return E_OK;
	}
	return E_NOENT;
}

unsigned vmap_areas(void)
{
	return area_count;
}

uint64_t vmap_bytes(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < area_count; i++)
		n += areas[i].end - areas[i].start;
	return n;
}

/* ---- ram_map ---------------------------------------------------------------- */

paddr_t kmap_dmap_limit(void)
{
	return dmap_limit;
}

bool dmap_covers(paddr_t pa, uint64_t size)
{
	return pa < dmap_limit && size <= dmap_limit - pa;
}

uint64_t phys_read64(paddr_t pa)
{
	if (dmap_covers(pa, sizeof(uint64_t)))
		return *(volatile uint64_t *)phys_to_dmap(pa);
	volatile uint64_t *p = kmap(pa);
	uint64_t v = *p;
	kunmap((const void *)p);
	return v;
}

void phys_copy_frame(paddr_t dst, paddr_t src)
{
	if (dmap_covers(dst, PAGE_SIZE) && dmap_covers(src, PAGE_SIZE)) {
		fast_copy((void *)phys_to_dmap(dst), (const void *)phys_to_dmap(src), PAGE_SIZE);
		return;
	}
	void *d = kmap(dst), *s = kmap(src);
	fast_copy(d, s, PAGE_SIZE);
	kunmap(s);
	kunmap(d);
}

void *ram_map(paddr_t pa, uint64_t size, const char *owner)
{
	if (size == 0 || pa + size < pa)
		return NULL;
	if (dmap_covers(pa, size))
		return (void *)phys_to_dmap(pa);
	paddr_t first = ALIGN_DOWN(pa, PAGE_SIZE);
	vaddr_t va = vmap_range(first, ALIGN_UP(pa + size, PAGE_SIZE) - first,
				MAP_WRITE | MAP_CACHE(CACHE_WB), owner);
	return va ? (void *)(va + (pa - first)) : NULL;
}

void ram_unmap(void *p, uint64_t size)
{
	vaddr_t v = (vaddr_t)p;

	(void)size;
	if (v >= DMAP_BASE && v < DMAP_END)
		return;
	if (vunmap(ALIGN_DOWN(v, PAGE_SIZE)) != E_OK)
		panic("ram_unmap: %p is neither in the direct map nor a ram_map area", p);
}

void *ram_alloc(size_t bytes)
{
	unsigned order = 0;
	paddr_t pa;

	while (order < FRAME_MAX_ORDER && ((size_t)PAGE_SIZE << order) < bytes)
		order++;
	if (((size_t)PAGE_SIZE << order) < bytes || frames_alloc(order, 0, &pa) != E_OK)
		return NULL;
	void *p = ram_map(pa, (uint64_t)PAGE_SIZE << order, "ram_alloc");
	if (!p && frames_free(pa, order) != E_OK)
		panic("ram_alloc: frames_free(%lx, order %u) refused", pa, order);
	return p;
}

/* ---- the frame allocator's way to its memory ---------------------------------- */

/* struct frame_mem.map, for the metadata (kept for good): the direct map
 * where it covers the range; without a direct map, a long-lived mapping
 * (ram_map). Under direct:LIMIT highmem is refused, so the metadata lands
 * in lowmem, where the direct map reaches it. */
static void *meta_reach(struct frame_mem *m, paddr_t pa, uint64_t size)
{
	if (dmap_covers(pa, size))
		return (void *)phys_to_dmap(pa);
	if (dmap_limit == 0)
		return ram_map(pa, size, "frame allocator metadata");
	return NULL;
}

/* struct frame_mem.map_temp/unmap_temp, for zeroing and poisoning: the
 * direct map, else a kmap slot for one frame, a vmap for a block. */
static void *fill_map(struct frame_mem *m, paddr_t pa, uint64_t size)
{
	if (dmap_covers(pa, size))
		return (void *)phys_to_dmap(pa);
	if (size == PAGE_SIZE)
		return kmap(pa);
	return (void *)vmap_range(pa, size, MAP_WRITE | MAP_CACHE(CACHE_WB), "frame fill");
}

static void fill_unmap(struct frame_mem *m, void *p, uint64_t size)
{
	vaddr_t va = (vaddr_t)p;

	if (va >= DMAP_BASE && va < DMAP_END)
		return;
	if (size == PAGE_SIZE ? kunmap(p) != E_OK : vunmap(va) != E_OK)
		panic("frames: cannot unmap the fill mapping at %p", p);
}

static struct frame_mem kmap_mem = { .map = meta_reach, .map_temp = fill_map,
				     .unmap_temp = fill_unmap };

struct frame_mem *kmap_frame_mem(void)
{
	return &kmap_mem;
}
