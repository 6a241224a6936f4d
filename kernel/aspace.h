/*
 * aspace.h - address spaces: one per process, each sharing the kernel half.
 *
 * An address space is a struct pt_space (pt.h) with its own top-level
 * table (PML4). Its lower half (slots 0..255, [0, USER_END)) is the
 * process's: user pages mapped with MAP_USER through the same pt_map, the
 * same page-table pool and window (kspace.h) and the same frame allocator
 * as the kernel's own mappings. Its upper half depends on the mode:
 *
 *   shared (default)  slots 256..511 hold exactly the kernel's top-level
 *                     entries, copied when the space is created.
 *   isolated          (in the user_root tables, below) slots 256..511
 *                     hold only the entry area: the pages
 *                     of the kernel image in the .entry.text and
 *                     .entry.data sections (trap and syscall entry/exit
 *                     code, GDT, IDT, TSS, the entry stack) and the IST
 *                     stacks (#DF, NMI, #MC; memlayout.h KSTACK 1..3), at
 *                     their kernel addresses, through tables shared by every
 *                     isolated space (built once by aspace_init). Entry
 *                     and exit switch CR3 (kernel/traps.S).
 *
 * How kernel mappings reach every address space: aspace_init gives every
 * kernel-half top-level entry of the kernel's PML4 that is still empty
 * its own (empty) PDPT, so the 256 kernel-half PML4 entries never change
 * afterwards (pt_unmap never frees a table under a kernel-half top-level
 * entry either). A kernel mapping made later, whichever address space is
 * current, is written below those shared PDPTs and so seen by every
 * space at once, with no write to any process's PML4 and no propagation
 * list. The price is one 4 KiB page-table page per kernel-half slot that
 * was empty at boot: at most 256 x 4 KiB = 1 MiB, in practice about 249
 * pages (996 KiB), reported at boot.
 *
 * No PCID: QEMU 7.2's TCG offers neither PCID nor INVPCID, so a CR3 write
 * flushes every non-global TLB entry. Where a tag would go is marked
 * "PCID:" below and in aspace.c.
 */
#ifndef CARTO_ASPACE_H
#define CARTO_ASPACE_H

#include "pt.h"

struct aspace {
	struct pt_space pt;           /* root, pool, window: the kernel's */
	bool isolated;
	/* The tables CR3 holds in user mode: pt.root when shared; when
	 * isolated a second top-level table whose lower half mirrors pt.root's
	 * (copied after every map and unmap) and whose upper half is only the
	 * entry area. pt.root (user half + the whole kernel) is what the
	 * kernel runs on during the process's system calls and traps. */
	paddr_t user_root;
	/* PCID: a 12-bit tag would live here, given at create; aspace_switch
	 * would put it in CR3 bits 0..11 (with bit 63 to keep its entries)
	 * and destroy would flush it with INVPCID (single context). */
};

/*
 * aspace_init - fill the kernel half of the kernel's PML4 (see above) and
 * build the isolated spaces' entry-area tables. Call once, after
 * kspace_init and frames_init. Panics if the page tables cannot be made.
 */
void aspace_init(void);

/* aspace_prefill_tables - page-table pages aspace_init added to the
 * kernel half (what sharing it costs). */
uint64_t aspace_prefill_tables(void);

/*
 * aspace_create - a new address space with an empty lower half and the
 * upper half of @isolated's mode. Returns E_OK or E_NOMEM.
 */
int aspace_create(struct aspace *as, bool isolated);

/*
 * aspace_destroy - unmap the whole lower half, give every user frame back
 * to the frame allocator and every page-table page (the root included) to
 * the pool. The space must not be current. Panics if it is, or if the
 * tables are broken (a page-table page left over).
 */
void aspace_destroy(struct aspace *as);

/* aspace_switch - make @as current (CR3); NULL: the kernel's own space. */
void aspace_switch(struct aspace *as);

/* aspace_current_is - true if @as's tables are in CR3. */
bool aspace_current_is(const struct aspace *as);

/*
 * aspace_map_anon - map [va, va+size) with fresh zeroed frames, MAP_USER
 * plus @flags (MAP_WRITE, MAP_EXEC; not both). Returns E_OK; E_INVAL
 * (range not page aligned, empty, outside [0, USER_END), wrapping, W+X or
 * another flag); E_EXIST (a page of it is mapped: nothing changed) or
 * E_NOMEM (nothing left mapped by this call).
 */
int aspace_map_anon(struct aspace *as, vaddr_t va, uint64_t size, uint32_t flags);

/*
 * aspace_unmap - unmap [va, va+size) of the lower half and free the
 * frames behind it (holes are skipped). Returns E_OK or E_INVAL (as for
 * aspace_map_anon).
 */
int aspace_unmap(struct aspace *as, vaddr_t va, uint64_t size);

/*
 * aspace_write - copy @len bytes from kernel memory @src to user address
 * @va of @as through temporary mappings (the space need not be current).
 * Every page must be mapped. Returns E_OK, or E_NOENT (a page unmapped;
 * the bytes before it are written).
 */
int aspace_write(struct aspace *as, vaddr_t va, const void *src, uint64_t len);

/* user_range_ok - true if [va, va+len) lies in the lower half: no wrap,
 * nothing at or past USER_END (len 0 is fine anywhere below USER_END). */
bool user_range_ok(vaddr_t va, uint64_t len);

#endif
