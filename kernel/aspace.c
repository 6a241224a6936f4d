/*
 * aspace.c - address spaces sharing the kernel half (aspace.h).
 */
#include "aspace.h"
#include "cpu.h"
#include "klib.h"
#include "kmap.h"
#include "kspace.h"
#include "panic.h"
#include "physmem.h"

#define KHALF_FIRST (PT_ENTRIES / 2)   /* first kernel-half PML4 slot */

extern const char __entry_text_start[], __entry_text_end[];
extern const char __entry_data_start[], __entry_data_end[];

static uint64_t prefill_tables;
/* The isolated spaces' upper half: a space that maps only the entry area;
 * its kernel-half root entries are copied into every isolated root. */
static struct pt_space entry_tmpl;

/* The root table of @pt: through the recursive slot when @pt is current
 * in that mode (pt.h), else the window. */
static const uint64_t *root_of(const struct pt_space *pt)
{
	return pt_root_table(pt);
}

/* pt_space.invalidate of a process space: only the current space can have
 * TLB entries (no PCID: a CR3 write drops them all). */
static void aspace_invalidate(struct pt_space *pt, vaddr_t va, uint64_t size)
{
	if ((read_cr3() & PTE_ADDR_MASK) != pt->root)
		return;
	if (size > 64 * PAGE_SIZE) {
		write_cr3(read_cr3());
		return;
	}
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		invlpg(va + off);
}

/* Map the kernel pages [start, end) at their kernel addresses into the
 * template, with the kernel's own attributes. */
static void entry_map(const char *start, const char *end)
{
	for (vaddr_t va = (vaddr_t)start; va < (vaddr_t)end; va += PAGE_SIZE) {
		paddr_t pa;
		uint32_t flags;
		if (pt_translate(kernel_space(), va, &pa, NULL, &flags) != E_OK ||
		    pt_map(&entry_tmpl, va, ALIGN_DOWN(pa, PAGE_SIZE), PAGE_SIZE, flags | MAP_NOHUGE) != E_OK)
			panic("aspace_init: cannot map entry-area page %lx", va);
	}
}

void aspace_init(void)
{
	struct pt_space *k = kernel_space();
	uint64_t before = k->tables;

	if (pt_fill_top(k, KHALF_FIRST, PT_ENTRIES) != E_OK)
		panic("aspace_init: no page-table page for the kernel half");
	prefill_tables = k->tables - before;
	if (pt_init(&entry_tmpl, k->src, k->window, false) != E_OK)
		panic("aspace_init: no page-table page for the entry area");
	entry_map(__entry_text_start, __entry_text_end);
	entry_map(__entry_data_start, __entry_data_end);
	/* The IST stacks (#DF, NMI, #MC) are entry stacks too: the CPU
	 * switches to them before any CR3 write. Not the EFI runtime stack. */
	for (unsigned i = 1; i < KSTACK_IST_END; i++)
		entry_map((const char *)KSTACK_BOTTOM(i), (const char *)KSTACK_TOP(i));
}

uint64_t aspace_prefill_tables(void)
{
	return prefill_tables;
}

/* Copy the kernel-half top-level entries of @from into the table at @root. */
static void copy_upper(paddr_t root, const struct pt_space *from)
{
	uint64_t *r = pt_window_va(kspace_window(), root);
	const uint64_t *upper = root_of(from);

	for (unsigned i = KHALF_FIRST; i < PT_ENTRIES; i++)
		r[i] = upper[i];
}

static void sync_user_root(struct aspace *as, uint64_t tables_before);

/* ptaccess=recursive: the copied kernel half points the recursive slot at
 * the kernel's root; point it at @pt's own root instead, so that while @pt
 * is current its tables are where pt.c looks for them. An isolated
 * space's user tables never get the slot: they map only the entry area. */
static void set_recursive(struct pt_space *pt, const struct pt_space *k)
{
	if (!k->recursive_slot)
		return;
	uint64_t *r = pt_window_va(kspace_window(), pt->root);
	r[k->recursive_slot] = pt->root | PTE_P | PTE_W | PTE_NX;
	pt->recursive_slot = k->recursive_slot;
	pt->is_current = k->is_current;
}

int aspace_create(struct aspace *as, bool isolated)
{
	const struct pt_space *k = kernel_space();
	int st = pt_init(&as->pt, k->src, k->window, k->has_1g);

	if (st != E_OK)
		return st;
	as->pt.invalidate = aspace_invalidate;
	as->isolated = isolated;
	copy_upper(as->pt.root, k);
	set_recursive(&as->pt, k);
	as->user_root = as->pt.root;
	if (isolated) {
		as->user_root = k->src->alloc(k->src);
		if (as->user_root == PT_NO_FRAME) {
			as->isolated = false;
			aspace_destroy(as);
			return E_NOMEM;
		}
		copy_upper(as->user_root, &entry_tmpl);
	}
	return E_OK;
}

/* An isolated space's user tables see the same lower half: copy the
 * top-level entries (the tables below them are shared). Only needed when
 * a page-table page was added or freed (@tables_before: as->pt.tables
 * before the change): otherwise no top-level entry changed. Stale
 * translations go with the CR3 write of the next exit to user mode. */
static void sync_user_root(struct aspace *as, uint64_t tables_before)
{
	if (!as->isolated || as->pt.tables == tables_before)
		return;
	uint64_t *u = pt_window_va(kspace_window(), as->user_root);
	memcpy(u, root_of(&as->pt), KHALF_FIRST * sizeof(uint64_t));
}

/* pt_release_fn: give a user leaf's frames back. */
static void release_frames(void *ctx, paddr_t pa, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		if (frames_free(pa + off, 0) != E_OK)
			panic("aspace: freeing user frame %lx failed", pa + off);
	(void)ctx;
}

void aspace_destroy(struct aspace *as)
{
	if (aspace_current_is(as))
		panic("aspace_destroy: space %lx is current", as->pt.root);
	if (pt_unmap_release(&as->pt, 0, USER_END, release_frames, NULL) != E_OK)
		panic("aspace_destroy: unmapping the lower half of %lx failed", as->pt.root);
	if (as->pt.tables != 1)
		panic("aspace_destroy: %lu page-table pages left under %lx", as->pt.tables, as->pt.root);
	if (as->isolated) {
		memset(pt_window_va(kspace_window(), as->user_root), 0, PAGE_SIZE);
		as->pt.src->free(as->pt.src, as->user_root);
	}
	uint64_t *root = pt_window_va(kspace_window(), as->pt.root);
	memset(root, 0, PAGE_SIZE);   /* the pool hands out zeroed frames */
	as->pt.src->free(as->pt.src, as->pt.root);
	as->pt.tables = 0;
	as->pt.root = PT_NO_FRAME;
}

void aspace_switch(struct aspace *as)
{
	/* PCID: CR3 = root | tag | bit 63 (keep the tag's entries). */
	paddr_t root = as ? as->pt.root : kernel_space()->root;

	if ((read_cr3() & PTE_ADDR_MASK) != root)
		write_cr3(root);
}

bool aspace_current_is(const struct aspace *as)
{
	paddr_t cr3 = read_cr3() & PTE_ADDR_MASK;

	return cr3 == as->pt.root || cr3 == as->user_root;
}

bool user_range_ok(vaddr_t va, uint64_t len)
{
	return va < USER_END && len <= USER_END - va;
}

static int check_user_range(vaddr_t va, uint64_t size)
{
	if (size == 0 || !IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE) ||
	    !user_range_ok(va, size))
		return E_INVAL;
	return E_OK;
}

int aspace_map_anon(struct aspace *as, vaddr_t va, uint64_t size, uint32_t flags)
{
	if (check_user_range(va, size) != E_OK || (flags & ~(MAP_WRITE | MAP_EXEC)) ||
	    (flags & (MAP_WRITE | MAP_EXEC)) == (MAP_WRITE | MAP_EXEC))
		return E_INVAL;
	uint64_t tables = as->pt.tables;
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		paddr_t pa;
		int st = frames_alloc(0, FRAME_ZERO, &pa);
		if (st == E_OK) {
			st = pt_map(&as->pt, va + off, pa, PAGE_SIZE, flags | MAP_USER | MAP_NOHUGE);
			if (st != E_OK)
				frames_free(pa, 0);
		}
		if (st != E_OK) {
			if (off)
				pt_unmap_release(&as->pt, va, off, release_frames, NULL);
			sync_user_root(as, tables);
			return st == E_EXIST ? E_EXIST : E_NOMEM;
		}
	}
	sync_user_root(as, tables);
	return E_OK;
}

int aspace_unmap(struct aspace *as, vaddr_t va, uint64_t size)
{
	if (check_user_range(va, size) != E_OK)
		return E_INVAL;
	uint64_t tables = as->pt.tables;
	int st = pt_unmap_release(&as->pt, va, size, release_frames, NULL);
	sync_user_root(as, tables);
	return st;
}

int aspace_write(struct aspace *as, vaddr_t va, const void *src, uint64_t len)
{
	const char *s = src;

	while (len > 0) {
		paddr_t pa;
		uint64_t n = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		if (pt_translate(&as->pt, va, &pa, NULL, NULL) != E_OK)
			return E_NOENT;
		char *p = kmap(pa);
		memcpy(p, s, n);
		kunmap(p);
		va += n;
		s += n;
		len -= n;
	}
	return E_OK;
}
