/*
 * layout.c - self-tests of the address space the loader built, on
 * the live page tables: the direct map is exactly RAM, nothing is writable
 * and executable, the kernel sections have their ELF permissions, the
 * lower half is empty, the window reaches every page-table frame, and a
 * write to read-only data faults.
 */
#include "arch.h"
#include "boot.h"
#include "dmap.h"
#include "cpu.h"
#include "klib.h"
#include "physmem.h"
#include "kmap.h"
#include "kspace.h"
#include "selftest.h"

extern const char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

/* True if [pa, pa + size) overlaps a page-table pool chunk. */
static bool overlaps_pool(paddr_t pa, uint64_t size)
{
	const struct pt_window *w = kspace_window();

	for (uint32_t i = 0; i < w->count; i++)
		if (pa < w->chunk[i].end && w->chunk[i].start < pa + size)
			return true;
	return false;
}

/* Where pa would lie in the direct map, whether it is mapped or not (the
 * checked phys_to_dmap refuses what the direct map does not cover). */
static vaddr_t dmap_slot_of(paddr_t pa)
{
	return DMAP_BASE + pa;
}

/* Both ends of each RAM entry below the direct map's limit are mapped at
 * DMAP_BASE + pa (RW, NX, WB; read-only in a page-table pool chunk); both ends of each other entry, and of RAM
 * at or above the limit (highmem; everything with addressing=explicit),
 * are not mapped at all. */
SELFTEST(dmap_is_exactly_ram)
{
	const struct handoff *h = selftest_handoff();
	const struct pt_space *as = kernel_space();
	const struct mem_entry *e = boot_memmap(h).entries;

	for (uint32_t i = 0; i < h->memmap_count; i++) {
		if (e[i].start >= DMAP_MAX_PHYS)
			continue;
		paddr_t probe[2] = { e[i].start, e[i].end - PAGE_SIZE };
		for (int k = 0; k < 2; k++) {
			paddr_t pa;
			uint32_t flags;
			int r = pt_translate(as, dmap_slot_of(probe[k]), &pa, NULL, &flags);
			if (mem_type_is_ram(e[i].type) && probe[k] < h->dmap_limit)
				ST_CHECK(r == E_OK && pa == probe[k] &&
					 !(flags & MAP_WRITE) == overlaps_pool(probe[k], PAGE_SIZE) &&
					 !(flags & MAP_EXEC) && MAP_CACHE_OF(flags) == CACHE_WB,
					 "RAM page %lx (%s): %s pa %lx flags %#x", probe[k],
					 efi_mem_type_name(e[i].type), status_name(r), pa, flags);
			else
				ST_CHECK(r == E_NOENT, "%s page %lx (%s) is in the direct map",
					 mem_type_is_ram(e[i].type) ? "highmem" : "non-RAM",
					 probe[k], efi_mem_type_name(e[i].type));
		}
	}
}

struct leaf_count {
	uint64_t leaves[PT_LEVELS + 1];
	uint64_t wx, user, lower;
	uint64_t pt_writable;     /* writable leaves outside the window onto a pool chunk */
	vaddr_t pt_writable_va;
};


/* Visit every leaf under the table at @pa (level @level) covering @va. */
static void count_leaves(const struct pt_space *as, paddr_t pa, unsigned level, vaddr_t va,
			 struct leaf_count *c)
{
	const uint64_t *t = (const uint64_t *)(as->window + pa);

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t e = t[i];
		vaddr_t v = va + i * PT_LEVEL_SIZE(level);
		if (level == as->levels && i >= PT_ENTRIES / 2)
			v |= 0xffff000000000000ul;   /* sign-extend the kernel half */
		if (!(e & PTE_P))
			continue;
		if (level == as->levels && as->recursive_slot && i == as->recursive_slot)
			continue;   /* the tables themselves: recursive_slot_points_at_root */
		if (level > 1 && !(e & PTE_PS)) {
			count_leaves(as, e & PTE_ADDR_MASK, level - 1, v, c);
			continue;
		}
		c->leaves[level]++;
		c->wx += (e & PTE_W) && !(e & PTE_NX);
		c->user += (e & PTE_U) != 0;
		c->lower += v < 0x0000800000000000ul;
		if ((e & PTE_W) && (v < PT_WINDOW_BASE || v >= PT_WINDOW_END) &&
		    overlaps_pool(e & PTE_ADDR_MASK & ~(PT_LEVEL_SIZE(level) - 1), PT_LEVEL_SIZE(level))) {
			c->pt_writable++;
			c->pt_writable_va = v;
		}
	}
}

SELFTEST(no_page_writable_and_executable)
{
	const struct pt_space *as = kernel_space();
	struct leaf_count c = { 0 };

	count_leaves(as, as->root, as->levels, 0, &c);
	ST_CHECK(c.wx == 0, "%lu leaves are writable and executable", c.wx);
	ST_CHECK(c.user == 0, "%lu leaves are user-accessible", c.user);
	ST_CHECK(c.lower == 0, "%lu leaves in the lower half (identity trampoline left?)", c.lower);
	ST_CHECK(c.leaves[1] + c.leaves[2] + c.leaves[3] > 0, "no leaves found at all");
}

/* Every leaf of the live tables that maps a page-table pool chunk
 * writable lies in the window (or, with ptaccess=recursive, is reached
 * through the recursive slot): nowhere else can a page table be written. */
SELFTEST(page_tables_writable_only_in_window)
{
	const struct pt_space *as = kernel_space();
	struct leaf_count c = { 0 };

	count_leaves(as, as->root, as->levels, 0, &c);
	ST_CHECK(c.pt_writable == 0, "%lu writable mappings of page-table chunks outside the window "
		 "(last at %lx)", c.pt_writable, c.pt_writable_va);
}

/* A write to a page table through the direct map faults, and the fault
 * report says what it was; the table is unchanged. In addressing=explicit
 * (or with the root in highmem) there is no such alias to write to. */
SELFTEST(page_table_write_through_dmap_faults)
{
	const struct pt_space *as = kernel_space();
	const uint64_t *root = pt_window_va(kspace_window(), as->root);
	paddr_t pa;
	vaddr_t alias;

	if (dmap_try(as->root, &alias) != E_OK) {
		ST_CHECK(pt_translate(as, dmap_slot_of(as->root), &pa, NULL, NULL) == E_NOENT,
			 "the root table is mapped in the direct map beyond its limit");
		return;
	}
	uint64_t before = root[PT_ENTRIES - 1];
	const struct st_caught *k = st_try_write(alias + 8 * (PT_ENTRIES - 1), before ^ 0x800);
	ST_CHECK(k->hits == 1 && k->vector == 14 && (k->error & 3) == 3 && k->cr2 == alias + 8 * (PT_ENTRIES - 1),
		 "write to the root table through the direct map: hits %u vector %lu error %#lx cr2 %lx",
		 k->hits, k->vector, k->error, k->cr2);
	ST_CHECK(k->hits == 1 && pf_page_table_write(k->cr2, k->error) != NULL,
		 "the fault report does not call it a page-table write");
	ST_CHECK(root[PT_ENTRIES - 1] == before, "root entry changed to %lx", root[PT_ENTRIES - 1]);
	ST_CHECK(pf_page_table_write(alias, PF_ERR_P) == NULL, "a read called a page-table write");
}

SELFTEST(dmap_page_counts_match_handoff)
{
	const struct handoff *h = selftest_handoff();
	struct memmap m = boot_memmap(h);
	struct dmap_stats st;

	dmap_plan(&m, h->has_1g, h->dmap_limit, &st);
	ST_CHECK(st.pages_1g == h->dmap_pages_1g && st.pages_2m == h->dmap_pages_2m &&
		 st.pages_4k == h->dmap_pages_4k,
		 "plan of the final map %lu/%lu/%lu (1G/2M/4K) vs built %lu/%lu/%lu",
		 st.pages_1g, st.pages_2m, st.pages_4k, h->dmap_pages_1g, h->dmap_pages_2m,
		 h->dmap_pages_4k);
	if (!h->has_1g)
		ST_CHECK(h->dmap_pages_1g == 0, "1 GiB pages used on a CPU without them");
}

/* Each kernel section is mapped with exactly its ELF permissions. */
static void check_range(const char *name, vaddr_t start, vaddr_t end, uint32_t want)
{
	const struct pt_space *as = kernel_space();

	for (vaddr_t va = ALIGN_DOWN(start, PAGE_SIZE); va < end; va += PAGE_SIZE) {
		paddr_t pa;
		uint32_t flags;
		int r = pt_translate(as, va, &pa, NULL, &flags);
		uint32_t perm = flags & (MAP_WRITE | MAP_EXEC);
		if (!ST_CHECK(r == E_OK && perm == want, "%s page %lx: %s, W%d X%d, want W%d X%d",
			      name, va, status_name(r), !!(perm & MAP_WRITE), !!(perm & MAP_EXEC),
			      !!(want & MAP_WRITE), !!(want & MAP_EXEC)))
			return;
	}
}

SELFTEST(kernel_sections_have_elf_permissions)
{
	check_range("text", (vaddr_t)__text_start, (vaddr_t)__text_end, MAP_EXEC);
	check_range("rodata", (vaddr_t)__rodata_start, (vaddr_t)__rodata_end, 0);
	check_range("data/bss", (vaddr_t)__data_start, (vaddr_t)__data_end, MAP_WRITE);
}

/* Every pool chunk is in the window; the root table reads the same through
 * the window and through the direct map. */
SELFTEST(window_reaches_page_tables)
{
	const struct handoff *h = selftest_handoff();
	const struct pt_space *as = kernel_space();

	ST_CHECK(as->window == PT_WINDOW_BASE, "window %lx", as->window);
	ST_CHECK(read_cr3() == as->root, "CR3 %lx, root %lx", read_cr3(), as->root);
	for (uint32_t i = 0; i < h->pool_count; i++) {
		paddr_t pa;
		uint32_t flags;
		int r = pt_translate(as, (vaddr_t)pt_window_va(kspace_window(), h->pool[i].start),
				     &pa, NULL, &flags);
		ST_CHECK(r == E_OK && pa == h->pool[i].start && (flags & MAP_WRITE) &&
			 !(flags & MAP_EXEC), "pool chunk %lx: %s pa %lx flags %#x",
			 h->pool[i].start, status_name(r), pa, flags);
		ST_CHECK(h->pool[i].start < PT_WINDOW_MAX_PHYS && IS_ALIGNED(h->pool[i].start, PT_POOL_CHUNK),
			 "pool chunk %lx misplaced", h->pool[i].start);
	}
	const uint64_t *via_window = pt_window_va(kspace_window(), as->root);
	const uint64_t *via_kmap = kmap(as->root);   /* any mode: the direct map may not reach it */
	ST_CHECK(memcmp(via_window, via_kmap, PAGE_SIZE) == 0, "root table differs between views");
	kunmap(via_kmap);
	ST_CHECK(!(via_window[0] & PTE_P), "PML4[0] present: lower half not empty");
}

/*
 * ptaccess=recursive: the root's RECURSIVE_SLOT entry is the root itself,
 * present, writable, NX and supervisor-only; the root and the page table
 * of a kernel address read the same there as in the window; pt.c reaches
 * the root there; a change made through pt_map shows in both views. In
 * the default mode the slot holds an ordinary PDPT (aspace_init prefills
 * every kernel-half slot), never the root.
 */
SELFTEST(recursive_slot_points_at_root)
{
	struct pt_space *as = kernel_space();
	const uint64_t *via_window = pt_window_va(kspace_window(), as->root);
	uint64_t e = via_window[RECURSIVE_SLOT];

	if (!as->recursive_slot) {
		/* Like every kernel-half slot, prefilled (aspace.h): not the root. */
		ST_CHECK((e & PTE_ADDR_MASK) != as->root, "ptaccess=window, yet PML4[%u] points at "
			 "the root (%lx)", RECURSIVE_SLOT, e);
		ST_CHECK(pt_root_table(as) == via_window, "the root is not reached through the window");
		return;
	}
	ST_CHECK(as->recursive_slot == RECURSIVE_SLOT, "recursive slot %u", as->recursive_slot);
	/* A and D: the CPU sets them when it uses the entry as a leaf. */
	ST_CHECK((e & ~(PTE_A | PTE_D)) == (as->root | PTE_P | PTE_W | PTE_NX),
		 "PML4[%u] = %lx, want the root %lx | P | W | NX (no U)", RECURSIVE_SLOT, e, as->root);
	vaddr_t root_va = pt_recursive_va(as->levels, RECURSIVE_SLOT, 0, as->levels);
	ST_CHECK((vaddr_t)pt_root_table(as) == root_va, "pt.c reaches the root at %p, not %lx",
		 (void *)pt_root_table(as), root_va);
	ST_CHECK(memcmp((const void *)root_va, via_window, PAGE_SIZE) == 0,
		 "the root reads differently at %lx and in the window", root_va);

	/* The page table under a fresh 4 KiB mapping of the scratch region. */
	vaddr_t va = TEMPMAP_BASE + 7 * PAGE_SIZE;
	paddr_t frame;
	if (!ST_CHECK(frames_alloc(0, 0, &frame) == E_OK, "no frame"))
		return;
	int r = pt_map(as, va, frame, PAGE_SIZE, MAP_WRITE);
	struct pt_walk w;
	pt_walk(as, va, &w);
	if (ST_CHECK(r == E_OK && w.depth == as->levels, "map %lx: %s, walk depth %u", va,
		     status_name(r), w.depth)) {
		const uint64_t *pt = (const uint64_t *)pt_recursive_va(as->levels, RECURSIVE_SLOT, va, 1);
		const uint64_t *pt_w = pt_window_va(kspace_window(), w.table[w.depth - 1]);
		ST_CHECK(pt[PX(1, va)] == pt_w[PX(1, va)] && (pt[PX(1, va)] & PTE_ADDR_MASK) == frame,
			 "the new leaf reads %lx through the slot, %lx in the window (frame %lx)",
			 pt[PX(1, va)], pt_w[PX(1, va)], frame);
	}
	ST_CHECK(pt_unmap(as, va, PAGE_SIZE) == E_OK, "unmap %lx", va);
	frames_free(frame, 0);
}

static const uint64_t rodata_word = 0x1234;

SELFTEST(write_to_rodata_faults)
{
	const struct st_caught *c = st_try_write((vaddr_t)&rodata_word, 0);

	ST_CHECK(c->hits == 1 && c->vector == 14, "hits %u vector %lu", c->hits, c->vector);
	ST_CHECK(c->cr2 == (uint64_t)&rodata_word, "CR2 %lx", c->cr2);
	ST_CHECK((c->error & 3) == 3, "error %#lx: want present + write", c->error);
	ST_CHECK(rodata_word == 0x1234, "rodata changed to %lx", rodata_word);
}

SELFTEST(cpu_protection_bits)
{
	ST_CHECK(rdmsr(MSR_EFER) & EFER_NXE, "EFER.NXE clear");
	ST_CHECK(read_cr0() & CR0_WP, "CR0.WP clear");
	ST_CHECK(rdmsr(MSR_PAT) == PAT_MSR_VALUE, "PAT %lx, want %lx", rdmsr(MSR_PAT),
		 (uint64_t)PAT_MSR_VALUE);
}
