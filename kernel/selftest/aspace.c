/*
 * aspace.c - self-tests of address spaces (kernel/aspace.h): the kernel
 * half shared without propagation, user mappings, and every frame and
 * page-table page back after destroy.
 */
#include "aspace.h"
#include "klib.h"
#include "kmap.h"
#include "kspace.h"
#include "physmem.h"
#include "selftest.h"

/* The propagation test maps a page in a kernel-half slot of the reserved
 * range (memlayout.h: between the EFI runtime region and the stacks) whose
 * PDPT is still empty: the highest such slot. */
#define PROPAGATE_FIRST (EFIRT_SLOT + EFIRT_SLOTS)
#define PROPAGATE_END   KSTACK_SLOT
#define USER_VA        0x10000000ul

struct counts {
	uint64_t free_frames, pool_free, pool_chunks, ktables;
};

static struct counts counts_now(void)
{
	struct frame_stats st;

	frame_get_stats(frames(), &st);
	return (struct counts){ st.free, kspace_pool_free_frames(), kspace_pool_chunks(),
				kernel_space()->tables };
}

static bool counts_equal(struct counts a, struct counts b)
{
	return a.free_frames == b.free_frames && a.pool_free == b.pool_free &&
	       a.pool_chunks == b.pool_chunks && a.ktables == b.ktables;
}

#define ST_COUNTS(before, after)                                                        \
	ST_CHECK(counts_equal(before, after),                                           \
		 "frames free %lu -> %lu, pool free %lu -> %lu, chunks %lu -> %lu, kernel " \
		 "tables %lu -> %lu", before.free_frames, after.free_frames, before.pool_free, \
		 after.pool_free, before.pool_chunks, after.pool_chunks, before.ktables, after.ktables)

SELFTEST(aspace_kernel_half_shared)
{
	const uint64_t *k = pt_window_va(kspace_window(), kernel_space()->root);
	struct aspace a;

	for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		if (!ST_CHECK(k[i] & PTE_P, "kernel PML4 slot %u was not filled at boot", i))
			return;
	if (!ST_CHECK(aspace_create(&a, false) == E_OK, "create"))
		return;
	const uint64_t *r = pt_window_va(kspace_window(), a.pt.root);
	unsigned rec = kernel_space()->recursive_slot;   /* 0: ptaccess=window */
	for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		if (i != rec)
			ST_CHECK(r[i] == k[i], "kernel-half slot %u differs from the kernel's: %lx, %lx",
				 i, r[i], k[i]);
	if (rec)
		ST_CHECK(r[rec] == (a.pt.root | PTE_P | PTE_W | PTE_NX) && a.pt.recursive_slot == rec,
			 "the recursive slot %u of the new space is %lx, not its own root %lx", rec,
			 r[rec], a.pt.root);
	for (unsigned i = 0; i < PT_ENTRIES / 2; i++)
		ST_CHECK(r[i] == 0, "lower-half slot %u not empty: %lx", i, r[i]);
	aspace_destroy(&a);
}

/* True if two top-level tables are equal but for the accessed bits the
 * CPU sets itself while walking. */
static bool same_but_accessed(const uint64_t *x, const uint64_t *y)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if ((x[i] ^ y[i]) & ~PTE_A)
			return false;
	return true;
}

/* A kernel mapping made while A is current, in a slot empty at boot, is
 * seen from B with B's top-level table untouched. */
SELFTEST(aspace_kernel_mapping_reaches_all)
{
	struct counts before = counts_now();
	struct aspace a, b;
	paddr_t pa;
	uint64_t v = 0;
	static uint64_t b_root_copy[PT_ENTRIES];

	const uint64_t *k = pt_window_va(kspace_window(), kernel_space()->root);
	unsigned slot = PROPAGATE_END;
	while (slot-- > PROPAGATE_FIRST) {
		const uint64_t *pdpt = pt_window_va(kspace_window(), k[slot] & PTE_ADDR_MASK);
		unsigned used = 0;
		for (unsigned i = 0; i < PT_ENTRIES; i++)
			used += pdpt[i] != 0;
		if (used == 0)
			break;
	}
	if (!ST_CHECK(slot >= PROPAGATE_FIRST, "no empty slot in %u..%u", PROPAGATE_FIRST,
		      PROPAGATE_END - 1))
		return;
	const vaddr_t prop_va = KSLOT(slot) + 5 * PAGE_SIZE_1G;
	if (!ST_CHECK(aspace_create(&a, false) == E_OK && aspace_create(&b, false) == E_OK, "create"))
		return;
	if (!ST_CHECK(frames_alloc(0, FRAME_ZERO, &pa) == E_OK, "frame"))
		return;
	uint64_t *p = kmap(pa);
	*p = 0xfeedface12345678ull;
	kunmap(p);
	memcpy(b_root_copy, pt_window_va(kspace_window(), b.pt.root), PAGE_SIZE);

	aspace_switch(&a);
	ST_CHECK(pt_map(kernel_space(), prop_va, pa, PAGE_SIZE, MAP_WRITE) == E_OK, "map");
	aspace_switch(&b);
	ST_CHECK(st_try_read(prop_va, &v)->hits == 0 && v == 0xfeedface12345678ull,
		 "B reads %lx at %lx", v, prop_va);
	ST_CHECK(same_but_accessed(b_root_copy, pt_window_va(kspace_window(), b.pt.root)),
		 "B's top-level table was written");
	ST_CHECK(pt_unmap(kernel_space(), prop_va, PAGE_SIZE) == E_OK, "unmap");
	ST_CHECK(st_try_read(prop_va, &v)->hits != 0, "still readable from B after unmap");
	aspace_switch(NULL);
	aspace_destroy(&a);
	aspace_destroy(&b);
	frames_free(pa, 0);
	ST_COUNTS(before, counts_now());
}

SELFTEST(aspace_user_mappings_and_destroy)
{
	struct counts before = counts_now();
	struct aspace a;
	paddr_t pa;
	uint64_t size;
	uint32_t flags;
	static const char msg[] = "user page";

	if (!ST_CHECK(aspace_create(&a, false) == E_OK, "create"))
		return;
	ST_CHECK(aspace_map_anon(&a, USER_VA, 16 * PAGE_SIZE, MAP_WRITE) == E_OK, "map 16 pages");
	ST_CHECK(aspace_map_anon(&a, USER_VA + 15 * PAGE_SIZE, PAGE_SIZE, 0) == E_EXIST, "remap");
	ST_CHECK(aspace_map_anon(&a, USER_VA, PAGE_SIZE, MAP_WRITE | MAP_EXEC) == E_INVAL, "W+X");
	ST_CHECK(aspace_map_anon(&a, USER_END - PAGE_SIZE, 2 * PAGE_SIZE, 0) == E_INVAL, "into the hole");
	ST_CHECK(aspace_map_anon(&a, KERNEL_BASE, PAGE_SIZE, 0) == E_INVAL, "kernel half");
	ST_CHECK(aspace_map_anon(&a, 0x1000000, 3 * PAGE_SIZE, MAP_EXEC) == E_OK, "map code");
	ST_CHECK(pt_translate(&a.pt, USER_VA + 3 * PAGE_SIZE, &pa, &size, &flags) == E_OK &&
		 size == PAGE_SIZE && flags == (MAP_USER | MAP_WRITE), "flags %#x size %lx", flags, size);
	ST_CHECK(aspace_write(&a, USER_VA + PAGE_SIZE - 4, msg, sizeof(msg)) == E_OK, "write");
	ST_CHECK(aspace_unmap(&a, USER_VA + 4 * PAGE_SIZE, 4 * PAGE_SIZE) == E_OK, "unmap part");
	ST_CHECK(pt_translate(&a.pt, USER_VA + 5 * PAGE_SIZE, &pa, NULL, NULL) == E_NOENT, "gone");
	ST_CHECK(a.pt.tables == 5, "%lu page-table pages for two user ranges (root, PDPT, PD, 2 PT)", a.pt.tables);
	aspace_destroy(&a);
	ST_COUNTS(before, counts_now());
}
