/*
 * pt_check.h - test-side inspection of page tables built in an arena.
 *
 * pt_scan() walks a whole address space recursively, independently of
 * mm/pt.c's own walk, and
 *   - counts tables (root included) and leaves by level,
 *   - calls a visitor for every leaf with its va, pa, level and raw PTE,
 *   - checks the structural invariants Carto promises, counting every
 *     violation in problems and describing the first one:
 *       * every table is an allocated arena frame, reached exactly once;
 *       * a non-present entry is all zero;
 *       * an intermediate entry is exactly P|W|U (lower half) or P|W
 *         (kernel half) plus its table address: never NX, never G;
 *       * PS only at levels 2 and 3; a leaf's address is aligned to its
 *         size and below 2^52; no bits 52..62 set anywhere.
 *
 * Host only (malloc, snprintf). Include after arena.h.
 */
#ifndef CARTO_TEST_PT_CHECK_H
#define CARTO_TEST_PT_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "pt.h"

struct pt_leaf {
	vaddr_t va;
	paddr_t pa;
	unsigned level;
	uint64_t pte;
};

typedef void (*pt_leaf_fn)(void *ctx, const struct pt_leaf *leaf);

struct pt_scan {
	uint64_t tables;                  /* root included */
	uint64_t leaves[PT_LEVELS + 2];   /* by level (index 1..3 used) */
	uint64_t problems;
	char first_problem[200];
};

#define PT_CHECK_HIGH_BITS 0x7ff0000000000000ull   /* bits 52..62 */

struct pt_scan_state {
	const struct pt_space *as;
	const struct arena *a;
	unsigned char *seen;              /* per arena frame: table reached */
	pt_leaf_fn fn;
	void *ctx;
	struct pt_scan *s;
};

static inline void pt_scan_problem(struct pt_scan_state *st, const char *what,
				   vaddr_t va, unsigned level, uint64_t e)
{
	if (st->s->problems++ == 0)
		snprintf(st->s->first_problem, sizeof(st->s->first_problem),
			 "%s at va %#llx level %u entry %#llx", what,
			 (unsigned long long)va, level, (unsigned long long)e);
}

/* The va of entry i of a level-`level` table whose block starts at base,
 * sign-extended for the space's address width. */
static inline vaddr_t pt_scan_va(const struct pt_space *as, vaddr_t base,
				 unsigned level, uint64_t i)
{
	unsigned bits = PT_LEVEL_SHIFT(as->levels + 1);
	vaddr_t va = base | (i << PT_LEVEL_SHIFT(level));
	if ((va >> (bits - 1)) & 1)
		va |= ~0ull << bits;
	return va;
}

static inline void pt_scan_entry(struct pt_scan_state *st, uint64_t e,
				 unsigned level, vaddr_t va);

static inline void pt_scan_table(struct pt_scan_state *st, paddr_t table,
				 unsigned level, vaddr_t base)
{
	size_t idx = arena_frame_index(st->a, table);
	st->s->tables++;
	if (idx == (size_t)-1 || !st->a->in_use[idx]) {
		pt_scan_problem(st, "table not an allocated arena frame", base, level, table);
		return;
	}
	if (st->seen[idx]++) {
		pt_scan_problem(st, "table reached twice", base, level, table);
		return;
	}
	const uint64_t *t = arena_ptr(st->a, table);
	for (uint64_t i = 0; i < PT_ENTRIES; i++)
		pt_scan_entry(st, t[i], level, pt_scan_va(st->as, base, level, i));
}

static inline void pt_scan_entry(struct pt_scan_state *st, uint64_t e,
				 unsigned level, vaddr_t va)
{
	if (!(e & PTE_P)) {
		if (e != 0)
			pt_scan_problem(st, "non-present entry not zero", va, level, e);
		return;
	}
	if (e & PT_CHECK_HIGH_BITS)
		pt_scan_problem(st, "bits 52..62 set", va, level, e);
	bool leaf = level == PT_LEVEL_4K || (e & PTE_PS);
	if (leaf && level > PT_LEVEL_1G) {
		pt_scan_problem(st, "PS set above level 3", va, level, e);
		return;
	}
	if (leaf) {
		uint64_t size = PT_LEVEL_SIZE(level);
		paddr_t pa = e & PTE_ADDR_MASK & ~(size - 1);
		uint64_t low = e & PTE_ADDR_MASK & (size - 1);
		if (level > PT_LEVEL_4K)
			low &= ~PTE_PATLG;
		if (low)
			pt_scan_problem(st, "leaf address not aligned to its size", va, level, e);
		st->s->leaves[level]++;
		if (st->fn) {
			struct pt_leaf l = { va, pa, level, e };
			st->fn(st->ctx, &l);
		}
		return;
	}
	bool lower = (va >> 63) == 0;
	uint64_t want = lower ? (PTE_P | PTE_W | PTE_U) : (PTE_P | PTE_W);
	if ((e & ~PTE_ADDR_MASK) != want)
		pt_scan_problem(st, "intermediate entry bits not P|W(|U)", va, level, e);
	pt_scan_table(st, e & PTE_ADDR_MASK, level - 1, va);
}

/* Scan every table of as (built in arena a), calling fn (may be NULL) for
 * every leaf. Fills s. */
static inline void pt_scan(const struct pt_space *as, const struct arena *a,
			   pt_leaf_fn fn, void *ctx, struct pt_scan *s)
{
	struct pt_scan_state st = { as, a, calloc(a->frames, 1), fn, ctx, s };
	memset(s, 0, sizeof(*s));
	if (!st.seen) {
		pt_scan_problem(&st, "host out of memory", 0, 0, 0);
		return;
	}
	pt_scan_table(&st, as->root, as->levels, 0);
	free(st.seen);
}

#endif
