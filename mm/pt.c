/*
 * pt.c - x86_64 page tables: map, translate and walk with one loop over levels.
 *
 * A table in the tree is reached at (as->window + its physical address), so
 * the same code runs in the loader (window 0, identity map), in the kernel
 * (PT_WINDOW_BASE) and in host tests (a private arena) - or, with
 * ptaccess=recursive while the space is the CPU's current one, through the
 * recursive slot (pt_table_at). A frame outside the tree (a new table being
 * filled before it is linked, an unlinked one waiting to be freed) belongs
 * to the pool and is always reached through the window (pt_frame): filling
 * a table the CPU's walker can already see would let it cache garbage.
 *
 * pt_find() is the only walk: it follows va down from the root and stops at
 * a requested level, at the first non-present entry or at a leaf. Mapping,
 * checking, translating and reporting are all built on it; 4 KiB, 2 MiB and
 * 1 GiB leaves differ only in the level at which the walk stops.
 *
 * Entry bits:
 *   leaves        - pt_pte_bits(), the one place MAP_* become PTE bits.
 *   intermediates - P|W, plus U for tables under the lower (user) half, and
 *                   never NX: the leaf alone decides what an access may do.
 *                   Kernel-half tables carry no U so a user access can never
 *                   reach a kernel leaf, whatever the leaf says.
 */
#include "lib.h"
#include "pt.h"

/* Intermediate (table-pointing) entries. */
#define PTE_TABLE_KERNEL (PTE_P | PTE_W)
#define PTE_TABLE_USER   (PTE_P | PTE_W | PTE_U)

/* Every MAP_* bit pt_map accepts. */
#define MAP_KNOWN (MAP_WRITE | MAP_EXEC | MAP_USER | MAP_GLOBAL | MAP_NOHUGE | MAP_CACHE_MASK)

/*
 * PAT memory-type encodings (Intel SDM vol. 3, "PAT memory types") and the
 * PAT entry Carto uses for each cache type. The index is what a leaf
 * selects with PAT:PCD:PWT; the asserts tie it to PAT_MSR_VALUE.
 */
#define PAT_TYPE_UC       0x00
#define PAT_TYPE_WC       0x01
#define PAT_TYPE_WT       0x04
#define PAT_TYPE_WP       0x05
#define PAT_TYPE_WB       0x06
#define PAT_TYPE_UC_MINUS 0x07
#define PAT_ENTRY_BITS    8
#define PAT_ENTRY(i)      ((PAT_MSR_VALUE >> (PAT_ENTRY_BITS * (i))) & 0xff)

#define PAT_INDEX_WB       0
#define PAT_INDEX_WT       1
#define PAT_INDEX_UC_MINUS 2
#define PAT_INDEX_UC       3
#define PAT_INDEX_WC       4
_Static_assert(PAT_ENTRY(PAT_INDEX_WB) == PAT_TYPE_WB, "PAT entry for WB");
_Static_assert(PAT_ENTRY(PAT_INDEX_WT) == PAT_TYPE_WT, "PAT entry for WT");
_Static_assert(PAT_ENTRY(PAT_INDEX_UC_MINUS) == PAT_TYPE_UC_MINUS, "PAT entry for UC-");
_Static_assert(PAT_ENTRY(PAT_INDEX_UC) == PAT_TYPE_UC, "PAT entry for UC");
_Static_assert(PAT_ENTRY(PAT_INDEX_WC) == PAT_TYPE_WC, "PAT entry for WC");

/* The three PAT index bits of a PTE: bit 0 = PWT, bit 1 = PCD, bit 2 = PAT. */
#define PAT_INDEX_PWT 1u
#define PAT_INDEX_PCD 2u
#define PAT_INDEX_PAT 4u

static const uint8_t pat_index_of_cache[CACHE_TYPE_COUNT] = {
	[CACHE_WB] = PAT_INDEX_WB,
	[CACHE_WT] = PAT_INDEX_WT,
	[CACHE_UC_MINUS] = PAT_INDEX_UC_MINUS,
	[CACHE_UC] = PAT_INDEX_UC,
	[CACHE_WC] = PAT_INDEX_WC,
};

/* The PTE bit that holds the PAT index's top bit in a leaf at level. */
static uint64_t pat_bit(unsigned level)
{
	return level == PT_LEVEL_4K ? PTE_PAT4K : PTE_PATLG;
}

/* The cache type a PAT memory-type encoding stands for. WP has no
 * cache_type (Carto never selects it) and decodes as CACHE_UC, the
 * conservative answer; so do the reserved encodings. */
static enum cache_type cache_of_pat_type(uint64_t pat_type)
{
	switch (pat_type) {
	case PAT_TYPE_WB:       return CACHE_WB;
	case PAT_TYPE_WT:       return CACHE_WT;
	case PAT_TYPE_UC_MINUS: return CACHE_UC_MINUS;
	case PAT_TYPE_WC:       return CACHE_WC;
	default:                return CACHE_UC;
	}
}

uint64_t pt_pte_bits(uint32_t flags, unsigned level)
{
	enum cache_type cache = MAP_CACHE_OF(flags);
	unsigned idx = cache < CACHE_TYPE_COUNT ? pat_index_of_cache[cache] : PAT_INDEX_UC;
	uint64_t pte = PTE_P;

	if (flags & MAP_WRITE)
		pte |= PTE_W;
	if (!(flags & MAP_EXEC))
		pte |= PTE_NX;
	if (flags & MAP_USER)
		pte |= PTE_U;
	if (flags & MAP_GLOBAL)
		pte |= PTE_G;
	if (idx & PAT_INDEX_PWT)
		pte |= PTE_PWT;
	if (idx & PAT_INDEX_PCD)
		pte |= PTE_PCD;
	if (idx & PAT_INDEX_PAT)
		pte |= pat_bit(level);
	if (level != PT_LEVEL_4K)
		pte |= PTE_PS;
	return pte;
}

uint32_t pt_flags_of(uint64_t pte, unsigned level)
{
	uint32_t flags = MAP_READ;
	unsigned idx = 0;

	if (pte & PTE_W)
		flags |= MAP_WRITE;
	if (!(pte & PTE_NX))
		flags |= MAP_EXEC;
	if (pte & PTE_U)
		flags |= MAP_USER;
	if (pte & PTE_G)
		flags |= MAP_GLOBAL;
	if (pte & PTE_PWT)
		idx |= PAT_INDEX_PWT;
	if (pte & PTE_PCD)
		idx |= PAT_INDEX_PCD;
	if (pte & pat_bit(level))
		idx |= PAT_INDEX_PAT;
	return flags | MAP_CACHE(cache_of_pat_type(PAT_ENTRY(idx)));
}

/* True if va sign-extends from bit (va_bits - 1). */
static bool canonical_for(vaddr_t va, unsigned va_bits)
{
	uint64_t top = va >> (va_bits - 1);
	return top == 0 || top == (~0ull >> (va_bits - 1));
}

/* va with bits from va_bits up replaced by copies of bit (va_bits - 1). */
static vaddr_t canonical_extend(vaddr_t va, unsigned va_bits)
{
	return (vaddr_t)((int64_t)(va << (64 - va_bits)) >> (64 - va_bits));
}

bool va_is_canonical(vaddr_t va)
{
	return canonical_for(va, VA_BITS);
}

/* Virtual-address bits translated by as: 48 with 4 levels, 57 with 5. */
static unsigned pt_va_bits(const struct pt_space *as)
{
	return PT_LEVEL_SHIFT(as->levels + 1);
}

/* The pointer to the page-table frame at pa through the window: for
 * frames that are not (or no longer) in the tree. */
static uint64_t *pt_frame(const struct pt_space *as, paddr_t pa)
{
	return (uint64_t *)(uintptr_t)(as->window + pa);
}

vaddr_t pt_recursive_va(unsigned levels, unsigned slot, vaddr_t va, unsigned level)
{
	unsigned bits = PT_LEVEL_SHIFT(levels + 1);     /* 48 or 57 */
	uint64_t prefix = 0;

	/* Each pass through the slot takes the walk one level less deep: the
	 * top `level` indices are the slot, and va's own indices move down
	 * `level` places (9 bits each), its page offset falling off. */
	for (unsigned i = 0; i < level; i++)
		prefix = (prefix >> 9) | ((uint64_t)(slot & (PT_ENTRIES - 1)) << (bits - 9));
	uint64_t v = prefix | (((va & ((1ull << bits) - 1)) >> (9 * level)) & ~(uint64_t)(PAGE_SIZE - 1));
	return canonical_extend(v, bits);
}

/* True if as's tables are to be reached through its recursive slot now. */
static bool pt_use_recursive(const struct pt_space *as)
{
	return as->recursive_slot && as->is_current && as->is_current(as);
}

/* The pointer to the table at level (physical address pa) that is in the
 * tree and translates va: recursive while that applies, else the window. */
static uint64_t *pt_table_at(const struct pt_space *as, paddr_t pa, vaddr_t va,
			     unsigned level)
{
	if (pt_use_recursive(as))
		return (uint64_t *)(uintptr_t)pt_recursive_va(as->levels, as->recursive_slot,
							      va, level);
	return pt_frame(as, pa);
}

uint64_t *pt_root_table(const struct pt_space *as)
{
	return pt_table_at(as, as->root, 0, as->levels);
}

/* An entry at level (> 1) changed from pointing at a table or a large
 * leaf: the recursive address of the table below it may be in the TLB
 * (a large leaf read as a 4 KiB page there, global if the leaf is), so it
 * goes - even when the space is not current: a global entry outlives CR3
 * switches, and the recursive slot is the same in every space. */
static void pt_recursive_flush(struct pt_space *as, vaddr_t va, unsigned level)
{
	if (as->recursive_slot && as->invalidate)
		as->invalidate(as, pt_recursive_va(as->levels, as->recursive_slot, va, level - 1),
			       PAGE_SIZE);
}

/* True if pte, present at level, maps memory rather than a table. */
static bool pte_is_leaf(uint64_t pte, unsigned level)
{
	return level == PT_LEVEL_4K || (level <= PT_LEVEL_1G && (pte & PTE_PS));
}

/* Physical address a leaf at level maps (the PAT bit of large leaves,
 * bit 12, is not part of it). */
static paddr_t pte_leaf_pa(uint64_t pte, unsigned level)
{
	return pte & PTE_ADDR_MASK & ~(PT_LEVEL_SIZE(level) - 1);
}

/*
 * pt_find - the walk. Follows va from the root down to the entry at level
 * stop, stopping early at a non-present entry or a leaf. Returns a pointer
 * to the entry where it stopped and sets *level to that entry's level.
 * Records each entry read in rec when rec is non-NULL. va must be canonical.
 */
static uint64_t *pt_find(const struct pt_space *as, vaddr_t va, unsigned stop,
			 unsigned *level, struct pt_walk *rec)
{
	paddr_t table = as->root;
	/* Recursive: the root's address, then each table's from its parent's
	 * (pt_recursive_va one level down: the slot copies move up 9 bits and
	 * the parent's index comes in as the page number). */
	vaddr_t rva = pt_use_recursive(as) ?
		pt_recursive_va(as->levels, as->recursive_slot, 0, as->levels) : 0;
	unsigned bits = PT_LEVEL_SHIFT(as->levels + 1);

	for (unsigned l = as->levels;; l--) {
		uint64_t *e = (rva ? (uint64_t *)(uintptr_t)rva : pt_frame(as, table)) + PX(l, va);
		if (rec && rec->depth < ARRAY_SIZE(rec->entry)) {
			rec->level[rec->depth] = l;
			rec->entry[rec->depth] = *e;
			rec->table[rec->depth] = table;
			rec->depth++;
		}
		if (l == stop || !(*e & PTE_P) || pte_is_leaf(*e, l)) {
			*level = l;
			return e;
		}
		table = *e & PTE_ADDR_MASK;
		if (rva)
			rva = canonical_extend((rva << 9) | (PX(l, va) << PAGE_SHIFT), bits);
	}
}

/* Bytes from va to the end of the level-sized block holding it. */
static uint64_t to_block_end(vaddr_t va, unsigned level)
{
	return PT_LEVEL_SIZE(level) - (va & (PT_LEVEL_SIZE(level) - 1));
}

/* E_OK if no page of [va, va+size) is mapped, else E_EXIST. Skips whole
 * blocks under a non-present entry, so large empty ranges are cheap. */
static int pt_check_free(const struct pt_space *as, vaddr_t va, uint64_t size)
{
	while (size > 0) {
		unsigned level;
		uint64_t *e = pt_find(as, va, PT_LEVEL_4K, &level, NULL);
		if (*e & PTE_P)
			return E_EXIST;
		uint64_t step = MIN(to_block_end(va, level), size);
		va += step;
		size -= step;
	}
	return E_OK;
}

/* Store an entry in one untorn write, after every earlier store (a new
 * table's contents) as far as the compiler is concerned. */
static void pte_set(uint64_t *e, uint64_t value)
{
	__atomic_store_n(e, value, __ATOMIC_RELEASE);
}

/* True if va lies in the upper (kernel) half of as. */
static bool is_kernel_half(const struct pt_space *as, vaddr_t va)
{
	return (va >> (pt_va_bits(as) - 1)) != 0;
}

/* The entry pointing at the table at pa, for a table under va. */
static uint64_t pt_table_entry(const struct pt_space *as, paddr_t pa, vaddr_t va)
{
	return pa | (is_kernel_half(as, va) ? PTE_TABLE_KERNEL : PTE_TABLE_USER);
}

/* Allocate a zeroed table and point the non-present entry e (covering va) at it. */
static int pt_add_table(struct pt_space *as, uint64_t *e, vaddr_t va)
{
	paddr_t pa = as->src->alloc(as->src);
	if (pa == PT_NO_FRAME)
		return E_NOMEM;
	pte_set(e, pt_table_entry(as, pa, va));
	as->tables++;
	return E_OK;
}

/* Find the entry at leaf_level for va, creating the tables above it.
 * E_EXIST if va is already covered by a leaf; E_NOMEM if a table could not
 * be allocated (tables added so far stay: they are valid, just empty). */
static int pt_leaf_slot(struct pt_space *as, vaddr_t va, unsigned leaf_level,
			uint64_t **slot)
{
	for (;;) {
		unsigned level;
		uint64_t *e = pt_find(as, va, leaf_level, &level, NULL);
		if (*e & PTE_P)
			return E_EXIST;   /* the leaf, or a larger one covering va */
		if (level == leaf_level) {
			*slot = e;
			return E_OK;
		}
		int r = pt_add_table(as, e, va);
		if (r != E_OK)
			return r;
	}
}

/* The largest leaf level that va, pa and the remaining size allow. */
static unsigned pt_leaf_level(const struct pt_space *as, vaddr_t va, paddr_t pa,
			      uint64_t size, uint32_t flags)
{
	unsigned level = PT_LEVEL_4K;

	if (!(flags & MAP_NOHUGE))
		level = as->has_1g ? PT_LEVEL_1G : PT_LEVEL_2M;
	for (; level > PT_LEVEL_4K; level--) {
		uint64_t leaf = PT_LEVEL_SIZE(level);
		if (IS_ALIGNED(va | pa, leaf) && size >= leaf)
			break;
	}
	return level;
}

/* E_OK if [va, va+size) is a non-empty, page-aligned, canonical range on
 * one side of the hole. */
static int pt_check_va_range(const struct pt_space *as, vaddr_t va, uint64_t size)
{
	unsigned bits = pt_va_bits(as);
	vaddr_t last = va + size - 1;

	if (size == 0 || !IS_ALIGNED(va | size, PAGE_SIZE) || last < va)
		return E_INVAL;
	if (!canonical_for(va, bits) || !canonical_for(last, bits))
		return E_INVAL;
	if ((va ^ last) >> 63)
		return E_INVAL;       /* the range spans the non-canonical hole */
	return E_OK;
}

/* E_OK if flags uses only the bits in allowed and a known cache type. */
static int pt_check_flags(uint32_t flags, uint32_t allowed)
{
	if ((flags & ~allowed) || MAP_CACHE_OF(flags) >= CACHE_TYPE_COUNT)
		return E_INVAL;
	return E_OK;
}

/* E_OK if pt_map's arguments describe something it can map. */
static int pt_check_map_args(const struct pt_space *as, vaddr_t va, paddr_t pa,
			     uint64_t size, uint32_t flags)
{
	int r = pt_check_va_range(as, va, size);
	if (r != E_OK)
		return r;
	if (!IS_ALIGNED(pa, PAGE_SIZE) || pa >= PHYS_ADDR_LIMIT || size > PHYS_ADDR_LIMIT - pa)
		return E_INVAL;
	return pt_check_flags(flags, MAP_KNOWN);
}

int pt_init(struct pt_space *as, struct pt_frame_source *src, uint64_t window,
	    bool has_1g)
{
	memset(as, 0, sizeof(*as));
	as->root = PT_NO_FRAME;
	as->levels = PT_LEVELS;
	as->window = window;
	as->src = src;
	as->has_1g = has_1g;
	if (!src || !src->alloc)
		return E_INVAL;
	paddr_t root = src->alloc(src);
	if (root == PT_NO_FRAME)
		return E_NOMEM;
	as->root = root;
	as->tables = 1;
	return E_OK;
}

int pt_map(struct pt_space *as, vaddr_t va, paddr_t pa, uint64_t size,
	   uint32_t flags)
{
	int r = pt_check_map_args(as, va, pa, size, flags);
	if (r == E_OK)
		r = pt_check_free(as, va, size);
	if (r != E_OK)
		return r;

	uint64_t done = 0;
	while (done < size) {
		unsigned level = pt_leaf_level(as, va + done, pa + done, size - done, flags);
		uint64_t bits = pt_pte_bits(flags, level);
		uint64_t *slot;
		r = pt_leaf_slot(as, va + done, level, &slot);
		if (r != E_OK)
			break;
		/* Fill the following entries of the same table directly while
		 * the leaf level stays the same: one walk per table, not per
		 * leaf (pt_check_free has shown they are all empty). */
		do {
			pte_set(slot++, (pa + done) | bits);
			done += PT_LEVEL_SIZE(level);
		} while (done < size && PX(level, va + done) != 0 &&
			 pt_leaf_level(as, va + done, pa + done, size - done, flags) == level);
	}
	if (done > 0 && as->invalidate)
		as->invalidate(as, va, done);
	return r;
}

int pt_pte_slot(struct pt_space *as, vaddr_t va, uint64_t **slot)
{
	if (!IS_ALIGNED(va, PAGE_SIZE) || !canonical_for(va, pt_va_bits(as)))
		return E_INVAL;
	for (;;) {
		unsigned level;
		uint64_t *e = pt_find(as, va, PT_LEVEL_4K, &level, NULL);
		if (level == PT_LEVEL_4K) {
			*slot = e;
			return E_OK;
		}
		if (*e & PTE_P)
			return E_EXIST;   /* a large leaf covers va */
		int r = pt_add_table(as, e, va);
		if (r != E_OK)
			return r;
	}
}

int pt_translate(const struct pt_space *as, vaddr_t va, paddr_t *pa,
		 uint64_t *page_size, uint32_t *flags)
{
	if (!canonical_for(va, pt_va_bits(as)))
		return E_NOENT;
	unsigned level;
	uint64_t pte = *pt_find(as, va, PT_LEVEL_4K, &level, NULL);
	if (!(pte & PTE_P))
		return E_NOENT;

	uint64_t leaf = PT_LEVEL_SIZE(level);
	*pa = pte_leaf_pa(pte, level) + (va & (leaf - 1));
	if (page_size)
		*page_size = leaf;
	if (flags)
		*flags = pt_flags_of(pte, level);
	return E_OK;
}

void pt_walk(const struct pt_space *as, vaddr_t va, struct pt_walk *w)
{
	memset(w, 0, sizeof(*w));
	if (!canonical_for(va, pt_va_bits(as)))
		return;       /* no entry describes a non-canonical address */
	unsigned level;
	pt_find(as, va, PT_LEVEL_4K, &level, w);
}

/* ---- changing existing mappings: split, unmap, protect ------------------- */

/*
 * What one change of existing mappings did: the span of addresses whose
 * entries changed (size 0: none), and the tables it unlinked. An unlinked
 * table is only given back after as->invalidate, since until then a TLB or
 * paging-structure cache may still point into it. The unlinked tables are
 * chained through their own first entry (a page-aligned address: never
 * present), so no memory is needed to remember them.
 */
struct pt_change {
	vaddr_t lo;
	uint64_t size;
	paddr_t unlinked;             /* first unlinked table */
	uint64_t unlinked_count;
};

/* Grow the changed span to cover [va, va+size) as well. */
static void change_add(struct pt_change *ch, vaddr_t va, uint64_t size)
{
	if (ch->size == 0) {
		ch->lo = va;
		ch->size = size;
		return;
	}
	vaddr_t last = MAX(ch->lo + ch->size - 1, va + size - 1);
	ch->lo = MIN(ch->lo, va);
	ch->size = last - ch->lo + 1;
}

/* Remember a table taken out of the tree, to free it after invalidation. */
static void change_unlink(struct pt_space *as, struct pt_change *ch, paddr_t table)
{
	pte_set(pt_frame(as, table), ch->unlinked);
	ch->unlinked = table;
	ch->unlinked_count++;
	as->tables--;
}

/* Finish a change: tell the TLB hook about the span, if anything changed,
 * then give the unlinked tables back to the frame source. */
static void change_finish(struct pt_space *as, struct pt_change *ch)
{
	if (ch->size > 0 && as->invalidate)
		as->invalidate(as, ch->lo, ch->size);
	for (; ch->unlinked_count > 0; ch->unlinked_count--) {
		paddr_t table = ch->unlinked;
		uint64_t *t = pt_frame(as, table);
		ch->unlinked = t[0];
		t[0] = 0;
		as->src->free(as->src, table);
	}
}

/* A leaf's attribute bits: everything but its address (the PAT bit of a
 * large leaf, bit 12, included). */
static uint64_t pte_leaf_attrs(uint64_t pte, unsigned level)
{
	uint64_t attrs = pte & ~PTE_ADDR_MASK;
	if (level != PT_LEVEL_4K)
		attrs |= pte & PTE_PATLG;
	return attrs;
}

/* A large leaf's attributes re-expressed for a leaf at child_level: for
 * 4 KiB leaves PS goes and the PAT bit moves from bit 12 to bit 7. */
static uint64_t pte_attrs_for_child(uint64_t attrs, unsigned child_level)
{
	if (child_level != PT_LEVEL_4K)
		return attrs;
	uint64_t pat = attrs & PTE_PATLG;
	attrs &= ~(PTE_PATLG | PTE_PS);
	return pat ? attrs | PTE_PAT4K : attrs;
}

/* Replace the present large leaf *e at level (covering va) by a table of
 * leaves one level down with the same memory and attributes. */
static int pt_split_entry(struct pt_space *as, uint64_t *e, unsigned level, vaddr_t va)
{
	unsigned child = level - 1;
	paddr_t base = pte_leaf_pa(*e, level);
	uint64_t attrs = pte_attrs_for_child(pte_leaf_attrs(*e, level), child);
	paddr_t table = as->src->alloc(as->src);

	if (table == PT_NO_FRAME)
		return E_NOMEM;
	uint64_t *t = pt_frame(as, table);
	for (uint64_t i = 0; i < PT_ENTRIES; i++)
		t[i] = (base + i * PT_LEVEL_SIZE(child)) | attrs;
	pte_set(e, pt_table_entry(as, table, va));
	pt_recursive_flush(as, va, level);
	as->tables++;
	return E_OK;
}

/* Split leaves until va is the first byte of a leaf (or unmapped). A va
 * that is not canonical is the end of a half: a boundary of every block. */
static int pt_split_at(struct pt_space *as, vaddr_t va, struct pt_change *ch)
{
	if (!canonical_for(va, pt_va_bits(as)))
		return E_OK;
	for (;;) {
		unsigned level;
		uint64_t *e = pt_find(as, va, PT_LEVEL_4K, &level, NULL);
		uint64_t leaf = PT_LEVEL_SIZE(level);
		if (!(*e & PTE_P) || IS_ALIGNED(va, leaf))
			return E_OK;
		int r = pt_split_entry(as, e, level, va);
		if (r != E_OK)
			return r;
		change_add(ch, ALIGN_DOWN(va, leaf), leaf);
	}
}

/* Split the leaves straddling either edge of [va, va+size), so that every
 * leaf meeting the range lies wholly inside it. */
static int pt_split_edges(struct pt_space *as, vaddr_t va, uint64_t size,
			  struct pt_change *ch)
{
	int r = pt_split_at(as, va, ch);
	if (r == E_OK)
		r = pt_split_at(as, va + size, ch);
	return r;
}

/* True if every entry of the table at level (physical address pa, in the
 * tree, translating va) is zero. */
static bool table_is_empty(const struct pt_space *as, paddr_t pa, vaddr_t va, unsigned level)
{
	const uint64_t *t = pt_table_at(as, pa, va, level);
	for (uint64_t i = 0; i < PT_ENTRIES; i++)
		if (t[i] != 0)
			return false;
	return true;
}

/*
 * pt_prune - after a step of the walk w (toward va) that ended at va_next:
 * unlink, bottom up, each table on w's path that is empty and that the
 * range is done with (its block ends at va_next, or the range is finished).
 * Stops at the first table still in use or still to be visited. Never the
 * root, never a table under a kernel-half root entry.
 */
static void pt_prune(struct pt_space *as, const struct pt_walk *w, vaddr_t va,
		     vaddr_t va_next, bool finished, struct pt_change *ch)
{
	for (unsigned d = w->depth - 1; d > 0; d--) {
		unsigned level = w->level[d];
		if (!finished && !IS_ALIGNED(va_next, PT_LEVEL_SIZE(level + 1)))
			return;
		if (d == 1 && is_kernel_half(as, va))
			return;
		if (!table_is_empty(as, w->table[d], va, level))
			return;
		pte_set(pt_table_at(as, w->table[d - 1], va, w->level[d - 1]) +
			PX(w->level[d - 1], va), 0);
		pt_recursive_flush(as, va, w->level[d - 1]);
		change_unlink(as, ch, w->table[d]);
	}
}

/* Clear every leaf in [va, va+size), whose edges are already split, and
 * unlink the tables that leaves empty; each cleared leaf's memory goes to
 * release (if not NULL). */
static void pt_clear_range(struct pt_space *as, vaddr_t va, uint64_t size,
			   struct pt_change *ch, pt_release_fn release, void *ctx)
{
	while (size > 0) {
		struct pt_walk w = { .depth = 0 };
		unsigned level;
		uint64_t *e = pt_find(as, va, PT_LEVEL_4K, &level, &w);
		uint64_t step = MIN(to_block_end(va, level), size);
		if (*e & PTE_P) {
			/* Edges are split, so this leaf is [va, va + step). */
			paddr_t pa = pte_leaf_pa(*e, level);
			pte_set(e, 0);
			if (release)
				release(ctx, pa, step);
			change_add(ch, va, step);
		}
		pt_prune(as, &w, va, va + step, size == step, ch);
		va += step;
		size -= step;
	}
}

int pt_unmap_release(struct pt_space *as, vaddr_t va, uint64_t size,
		     pt_release_fn release, void *ctx)
{
	struct pt_change ch = { 0, 0, 0, 0 };
	int r = pt_check_va_range(as, va, size);

	if (r == E_OK)
		r = pt_split_edges(as, va, size, &ch);
	if (r == E_OK)
		pt_clear_range(as, va, size, &ch, release, ctx);
	change_finish(as, &ch);
	return r;
}

int pt_unmap(struct pt_space *as, vaddr_t va, uint64_t size)
{
	return pt_unmap_release(as, va, size, NULL, NULL);
}

int pt_fill_top(struct pt_space *as, unsigned first, unsigned end)
{
	uint64_t *root = pt_root_table(as);

	if (first > end || end > PT_ENTRIES)
		return E_INVAL;
	for (unsigned i = first; i < end; i++) {
		vaddr_t va = (vaddr_t)i << PT_LEVEL_SHIFT(as->levels);
		if (i >= PT_ENTRIES / 2)
			va |= ~0ull << pt_va_bits(as);   /* sign-extend: the kernel half */
		if (!(root[i] & PTE_P) && pt_add_table(as, &root[i], va) != E_OK)
			return E_NOMEM;
	}
	return E_OK;
}

/* E_OK if every page of [va, va+size) is mapped, else E_NOENT. */
static int pt_check_mapped(const struct pt_space *as, vaddr_t va, uint64_t size)
{
	while (size > 0) {
		unsigned level;
		uint64_t *e = pt_find(as, va, PT_LEVEL_4K, &level, NULL);
		if (!(*e & PTE_P))
			return E_NOENT;
		uint64_t step = MIN(to_block_end(va, level), size);
		va += step;
		size -= step;
	}
	return E_OK;
}

/* Rewrite every leaf in [va, va+size), whose edges are already split, with
 * flags, keeping its address and A/D bits. */
static void pt_set_flags(struct pt_space *as, vaddr_t va, uint64_t size,
			 uint32_t flags, struct pt_change *ch)
{
	change_add(ch, va, size);
	while (size > 0) {
		unsigned level;
		uint64_t *e = pt_find(as, va, PT_LEVEL_4K, &level, NULL);
		uint64_t keep = pte_leaf_pa(*e, level) | (*e & (PTE_A | PTE_D));
		pte_set(e, keep | pt_pte_bits(flags, level));
		va += PT_LEVEL_SIZE(level);
		size -= PT_LEVEL_SIZE(level);
	}
}

int pt_protect(struct pt_space *as, vaddr_t va, uint64_t size, uint32_t flags)
{
	struct pt_change ch = { 0, 0, 0, 0 };
	int r = pt_check_va_range(as, va, size);

	if (r == E_OK)
		r = pt_check_flags(flags, MAP_KNOWN & ~MAP_NOHUGE);
	if (r == E_OK)
		r = pt_check_mapped(as, va, size);
	if (r == E_OK)
		r = pt_split_edges(as, va, size, &ch);
	if (r == E_OK)
		pt_set_flags(as, va, size, flags, &ch);
	change_finish(as, &ch);
	return r;
}

int pt_split(struct pt_space *as, vaddr_t va, unsigned level)
{
	if (level < PT_LEVEL_2M || level > PT_LEVEL_1G || !canonical_for(va, pt_va_bits(as)))
		return E_INVAL;
	unsigned found;
	uint64_t *e = pt_find(as, va, level, &found, NULL);
	if (found != level || !(*e & PTE_P) || !pte_is_leaf(*e, level))
		return E_NOENT;
	int r = pt_split_entry(as, e, level, va);
	if (r == E_OK && as->invalidate)
		as->invalidate(as, ALIGN_DOWN(va, PT_LEVEL_SIZE(level)), PT_LEVEL_SIZE(level));
	return r;
}
