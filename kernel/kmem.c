/*
 * kmem.c - the kernel's own address space: the loader's page tables, the
 * page-table pool, the TLB hook and the PAT.
 */
#include "fatal.h"
#include "frames.h"
#include "io.h"
#include "kmem.h"
#include "lib.h"
#include "panic.h"

/*
 * Page-table frames: the loader's pool chunks, continued. Freed frames go
 * on a list threaded through their first word (reached via the window).
 * When the last chunk is down to KPOOL_RESERVE frames, a new chunk is taken
 * from the frame allocator and mapped into the window; the reserve pays for
 * the tables that mapping needs (a PD, and a PDPT in a new 512 GiB slot),
 * so growing never runs dry half-way. The few reserve frames left in an
 * old chunk stay there (at most KPOOL_RESERVE per 2 MiB chunk).
 */
#define KPOOL_RESERVE 4

struct kpool {
	struct pt_frame_source src;
	struct handoff_pool_chunk chunk[HANDOFF_MAX_POOL_CHUNKS];
	uint32_t count;
	bool growing;             /* kpool_grow is mapping a new chunk */
	paddr_t free_list;        /* PT_NO_FRAME when empty */
};

static struct kpool kpool;
static struct pt_space kas;

static void *window_va(paddr_t pa)
{
	if (pa >= PT_WINDOW_MAX_PHYS)
		panic("window_va: %lx outside the page-table window", pa);
	return (void *)(PT_WINDOW_BASE + pa);
}

static uint64_t chunk_left(const struct handoff_pool_chunk *c)
{
	return (c->end - c->next) / PAGE_SIZE;
}

/* Add a chunk from the frame allocator (if it runs yet) to the pool. */
static void kpool_grow(struct kpool *p)
{
	if (p->growing || p->count == HANDOFF_MAX_POOL_CHUNKS || !frames())
		return;
	p->growing = true;
	paddr_t pa = frames_alloc_pt_chunk();
	if (pa != PT_NO_FRAME) {
		int st = pt_map(&kas, PT_WINDOW_BASE + pa, pa, PT_POOL_CHUNK, MAP_WRITE | MAP_GLOBAL);
		if (st == E_OK)
			p->chunk[p->count++] = (struct handoff_pool_chunk){ pa, pa, pa + PT_POOL_CHUNK };
		else
			frames_free(pa, FRAME_ORDER_2M);
	}
	p->growing = false;
}

static paddr_t kpool_alloc(struct pt_frame_source *src)
{
	struct kpool *p = (struct kpool *)src;
	paddr_t pa = p->free_list;

	if (pa != PT_NO_FRAME) {
		p->free_list = *(paddr_t *)window_va(pa);
	} else {
		if (p->count && chunk_left(&p->chunk[p->count - 1]) <= KPOOL_RESERVE)
			kpool_grow(p);
		struct handoff_pool_chunk *c = p->count ? &p->chunk[p->count - 1] : NULL;
		if (!c || c->next == c->end)
			return PT_NO_FRAME;
		pa = c->next;
		c->next += PAGE_SIZE;
	}
	memset(window_va(pa), 0, PAGE_SIZE);
	return pa;
}

static bool in_pool(const struct kpool *p, paddr_t pa)
{
	for (uint32_t i = 0; i < p->count; i++)
		if (pa >= p->chunk[i].start && pa < p->chunk[i].next)
			return true;
	return false;
}

static void kpool_free(struct pt_frame_source *src, paddr_t pa)
{
	struct kpool *p = (struct kpool *)src;

	if (!IS_ALIGNED(pa, PAGE_SIZE) || !in_pool(p, pa))
		panic("kpool_free: %lx is not a page-table frame from the pool", pa);
	*(paddr_t *)window_va(pa) = p->free_list;
	p->free_list = pa;
}

/* mm_fatal (fatal.h) for the kernel. */
void mm_fatal(const char *caller, const char *what, uint64_t value)
{
	panic("%s: %s (%lx)", caller, what, value);
}

static void tlb_invalidate(struct pt_space *as, vaddr_t va, uint64_t size)
{
	/* Past 64 pages a full flush is cheaper than page-by-page invlpg;
	 * global entries need CR4.PGE toggled to go. */
	if (size > 64 * PAGE_SIZE) {
		uint64_t cr4 = read_cr4();
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
		return;
	}
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		invlpg(va + off);
}

struct pt_space *kernel_space(void)
{
	return &kas;
}

void kmem_init(const struct handoff *h)
{
	kpool.src.alloc = kpool_alloc;
	kpool.src.free = kpool_free;
	kpool.count = h->pool_count;
	kpool.free_list = PT_NO_FRAME;
	memcpy(kpool.chunk, h->pool, sizeof(h->pool[0]) * h->pool_count);

	kas.root = h->pml4;
	kas.levels = PT_LEVELS;
	kas.window = PT_WINDOW_BASE;
	kas.src = &kpool.src;
	kas.has_1g = h->has_1g;
	kas.invalidate = tlb_invalidate;
	kas.tables = h->pt_tables;
	if (read_cr3() != h->pml4)
		panic("kmem_init: CR3 %lx is not the hand-off's PML4 %lx", read_cr3(), h->pml4);
}

void pat_init(void)
{
	/* Intel SDM 11.12.4: change the PAT with caches flushed and the TLB
	 * flushed afterwards. One CPU, interrupts off: no IPIs needed yet. */
	__asm__ volatile("wbinvd" ::: "memory");
	wrmsr(MSR_PAT, PAT_MSR_VALUE);
	__asm__ volatile("wbinvd" ::: "memory");
	tlb_invalidate(&kas, 0, ~0ull);
}

void kmem_drop_identity(const struct handoff *h)
{
	int st = pt_unmap(&kas, h->trampoline_va, PAGE_SIZE);
	if (st != E_OK)
		panic("kmem_drop_identity: unmapping %lx failed: %s", h->trampoline_va, status_name(st));
	const uint64_t *pml4 = window_va(kas.root);
	for (unsigned i = 0; i < PT_ENTRIES / 2; i++)
		if (pml4[i] & PTE_P)
			panic("kmem_drop_identity: lower-half PML4 entry %u still present", i);
}

uint64_t kmem_pt_frames(void)
{
	return kas.tables;
}

uint64_t kmem_pool_free_frames(void)
{
	uint64_t n = 0;
	for (paddr_t pa = kpool.free_list; pa != PT_NO_FRAME; pa = *(paddr_t *)window_va(pa))
		n++;
	return n + (kpool.count ? chunk_left(&kpool.chunk[kpool.count - 1]) : 0);
}

uint32_t kmem_pool_chunks(void)
{
	return kpool.count;
}
