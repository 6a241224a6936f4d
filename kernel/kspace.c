/*
 * kspace.c - the kernel's own address space: the loader's page tables, the
 * page-table pool, the TLB hook and the PAT.
 */
#include "cmdline.h"
#include "fatal.h"
#include "physmem.h"
#include "cpu.h"
#include "dmap.h"
#include "kspace.h"
#include "lib.h"
#include "panic.h"
#include "ptwindow.h"

/*
 * Page-table frames: the loader's pool chunks, continued by the shared
 * pool (mm/ptwindow.c) with frames reached through the window. When the
 * last chunk is down to KPOOL_RESERVE frames, kpool_grow takes a new chunk
 * from the frame allocator and maps it into the window; the reserve pays
 * for the tables that mapping needs (a PD, and a PDPT in a new 512 GiB
 * slot), so growing never runs dry half-way.
 */
#define KPOOL_RESERVE 4

static struct pt_window kpool;
static struct pt_space kas;
static uint64_t ro_tables;   /* tables added to make chunks read-only in the direct map */

/* pt_window_grow_fn: a chunk from the frame allocator (once it runs),
 * mapped into the window before the pool hands out any frame of it. */
static paddr_t kpool_grow(struct pt_window *w, void *ctx)
{
	if (!frames())
		return PT_NO_FRAME;
	paddr_t pa = frames_alloc_pt_chunk();
	if (pa == PT_NO_FRAME)
		return PT_NO_FRAME;
	if (pt_window_map_chunk(&kas, pa) != E_OK) {
		frames_free(pa, FRAME_ORDER_2M);
		return PT_NO_FRAME;
	}
	/* Writable only through the window (the reserve pays for a split). */
	if (pt_window_protect_alias(&kas, pa, dmap_limit, &ro_tables) != E_OK)
		panic("kpool_grow: cannot make the direct-map alias of chunk %lx read-only", pa);
	return pa;
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

int kspace_parse_ptaccess(const char *value, size_t len, bool *recursive)
{
	*recursive = false;
	if (!value || (len == 6 && memcmp(value, "window", 6) == 0))
		return E_OK;
	if (len == 9 && memcmp(value, "recursive", 9) == 0) {
		*recursive = true;
		return E_OK;
	}
	return E_INVAL;
}

/* pt_space.is_current: the CPU walks as's tables now. */
static bool kspace_is_current(const struct pt_space *as)
{
	return (read_cr3() & PTE_ADDR_MASK) == as->root;
}

/* ptaccess=recursive: point the root's RECURSIVE_SLOT entry at the root
 * (NX, supervisor, writable: the tables are edited through it), and from
 * now on reach the current space's tables there. The entry was empty, so
 * no TLB entry can be stale. */
static void kspace_enable_recursive(void)
{
	uint64_t *root = pt_window_va(&kpool, kas.root);

	if (root[RECURSIVE_SLOT] & PTE_P)
		panic("kspace_init: PML4 slot %u, the recursive slot, is already in use (%lx)",
		      RECURSIVE_SLOT, root[RECURSIVE_SLOT]);
	root[RECURSIVE_SLOT] = kas.root | PTE_P | PTE_W | PTE_NX;
	kas.recursive_slot = RECURSIVE_SLOT;
}

void kspace_init(const struct handoff *h)
{
	pt_window_init(&kpool, PT_WINDOW_BASE, KPOOL_RESERVE, kpool_grow, NULL);
	if (pt_window_adopt(&kpool, h->pool, h->pool_count) != E_OK)
		panic("kspace_init: the hand-off's %u page-table pool chunks are not valid chunks",
		      h->pool_count);

	kas.root = h->pml4;
	kas.levels = PT_LEVELS;
	kas.window = kpool.reach;
	kas.src = &kpool.src;
	kas.has_1g = h->has_1g;
	kas.invalidate = tlb_invalidate;
	kas.tables = h->pt_tables;
	ro_tables = h->pt_ro_tables;
	kas.is_current = kspace_is_current;
	if (read_cr3() != h->pml4)
		panic("kspace_init: CR3 %lx is not the hand-off's PML4 %lx", read_cr3(), h->pml4);

	size_t len = 0;
	const char *access = cmdline_value(h->cmdline, "ptaccess", &len);
	bool recursive;
	if (kspace_parse_ptaccess(access, len, &recursive) == E_OK && recursive)
		kspace_enable_recursive();   /* an unknown value: the report names it */
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

void kspace_drop_identity(const struct handoff *h)
{
	int st = pt_unmap(&kas, h->trampoline_va, PAGE_SIZE);
	if (st != E_OK)
		panic("kspace_drop_identity: unmapping %lx failed: %s", h->trampoline_va, status_name(st));
	kspace_check_lower_half("kspace_drop_identity");
}

void kspace_check_lower_half(const char *who)
{
	const uint64_t *pml4 = pt_root_table(&kas);
	for (unsigned i = 0; i < PT_ENTRIES / 2; i++)
		if (pml4[i] & PTE_P)
			panic("%s: lower-half PML4 entry %u still present", who, i);
}

uint64_t kspace_pt_frames(void)
{
	return kas.tables;
}

uint64_t kspace_pool_free_frames(void)
{
	return pt_window_free_frames(&kpool);
}

uint64_t kspace_pt_ro_tables(void)
{
	return ro_tables;
}

uint32_t kspace_pool_chunks(void)
{
	return kpool.count;
}

struct pt_window *kspace_window(void)
{
	return &kpool;
}
