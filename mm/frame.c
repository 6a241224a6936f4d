/*
 * frame.c - the physical frame allocator: per-region 64-ary bitmap trees,
 * built lazily (see frame.h for the design, the figures and the policy).
 *
 * Vocabulary used below:
 *   f          an absolute frame number, pa >> PAGE_SHIFT
 *   level 0    the leaf words: bit i of word n is frame 64n + i, 1 = free
 *   level P>=1 nodes of words_per_node(P) words; the node covering frame f
 *              is node f >> span_shift(P); its child c covers
 *              2^child_shift(P) frames
 *   status     what a node (or leaf word) offers its parent: bit k set if
 *              it holds a free naturally aligned block of 2^k frames, for
 *              k <= FRAME_MAX_ORDER, and bit span_shift(P) if it is all
 *              free (status_mask(P) keeps just those bits)
 *   has[k]     node word k (k < all_index(P)): bit c = child c has order k
 *   all        node word all_index(P): bit c = child c is all free
 *   uniform    a child with its "all" bit set (all free) or its has[0]
 *              bit clear (nothing free): its own words are stale and
 *              rewritten by materialize() before anything reads them
 */
#include "frame.h"
#include "lib.h"

#define FANOUT_SHIFT 6                       /* 64 children per node, 64 frames per leaf word */
#define FANOUT       (1u << FANOUT_SHIFT)
#define ALL_ONES     (~0ull)
#define ORDER_BITS   ((1ull << (FRAME_MAX_ORDER + 1)) - 1)   /* status bits of orders 0..max */
#define NO_FRAME     (~0ull)

enum refusal { REFUSED_UNMANAGED, REFUSED_RESERVED, REFUSED_FREE, REFUSED_INVALID };
_Static_assert(REFUSED_INVALID < 4, "frame_alloc.refused has room for every refusal");
_Static_assert(FRAME_MAX_ORDER >= FANOUT_SHIFT && FRAME_MAX_ORDER < FANOUT_SHIFT * (FRAME_LEVELS - 1),
	       "orders span at least a leaf word and fit the tree");
_Static_assert(FANOUT_SHIFT * FRAME_LEVELS >= PHYS_ADDR_BITS_MAX - PAGE_SHIFT + 1,
	       "the top level covers every frame below PHYS_ADDR_LIMIT without filling it");

struct frame_region {
	uint64_t fs, fe;                   /* frames [fs, fe) */
	uint32_t top;                      /* level of the root node (one node) */
	uint32_t index;                    /* position in fa->regions: its bit in the summaries */
	uint32_t zone;                     /* enum frame_zone */
	uint32_t pad;
	uint64_t *lvl[FRAME_LEVELS];       /* level arrays, nodes base[P].. */
	uint64_t base[FRAME_LEVELS];       /* node number of each array's first node */
};

/* ---- level geometry ------------------------------------------------------- */

/* Frames covered by one node of level P: 2^span_shift(P). */
static inline unsigned span_shift(unsigned P)
{
	return FANOUT_SHIFT * (P + 1);
}

/* Frames covered by one child of a node of level P (P >= 1). */
static inline unsigned child_shift(unsigned P)
{
	return FANOUT_SHIFT * P;
}

/* Index of the "all free" word of a level-P node: the word of order
 * child_shift(P) while that order is tracked, the one after the last
 * tracked order above that. */
static inline unsigned all_index(unsigned P)
{
	return MIN(child_shift(P), FRAME_MAX_ORDER + 1u);
}

static inline unsigned words_per_node(unsigned P)
{
	return P == 0 ? 1 : all_index(P) + 1;
}

/* The status bits a level-P node reports to its parent. */
static inline uint64_t status_mask(unsigned P)
{
	return ORDER_BITS | 1ull << span_shift(P);
}

/* Bits [a, b) of a word, 0 <= a < b <= 64. */
static inline uint64_t bit_span(unsigned a, unsigned b)
{
	return ALL_ONES >> (64 - (b - a)) << a;
}

static inline unsigned lowest_bit(uint64_t w)
{
	return (unsigned)__builtin_ctzll(w);
}

/* Bits set in w, without the libgcc helper the kernel does not link. */
static unsigned count_bits(uint64_t w)
{
	w = w - ((w >> 1) & 0x5555555555555555ull);
	w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((w * 0x0101010101010101ull) >> 56);
}

/* fold_mask[j]: the bits at multiples of 2^j. */
static const uint64_t fold_mask[FANOUT_SHIFT + 1] = {
	ALL_ONES, 0x5555555555555555ull, 0x1111111111111111ull, 0x0101010101010101ull,
	0x0001000100010001ull, 0x0000000100000001ull, 0x1ull,
};

/* fold - bit i (a multiple of 2^j) set iff bits i..i+2^j-1 of w are all set:
 * the naturally aligned free 2^j-runs of a word. */
static inline uint64_t fold(uint64_t w, unsigned j)
{
	for (unsigned i = 0; i < j; i++)
		w &= (w >> (1u << i)) & fold_mask[i + 1];
	return w;
}

/*
 * fold_status - bit j set iff fold(w, j) != 0, for j = 0..6. A word with
 * an aligned free 2^j run has one of every smaller order, so the result
 * is always bits 0..n-1: count the non-empty folds (unrolled, branch-free).
 * Used for block changes and "all free" words; single frames take the
 * shorter single_delta().
 */
static inline uint64_t fold_status(uint64_t w)
{
	uint64_t f1 = w & (w >> 1) & fold_mask[1];
	uint64_t f2 = f1 & (f1 >> 2) & fold_mask[2];
	uint64_t f3 = f2 & (f2 >> 4) & fold_mask[3];
	uint64_t f4 = f3 & (f3 >> 8) & fold_mask[4];
	uint64_t f5 = f4 & (f4 >> 16) & fold_mask[5];
	uint64_t f6 = f5 & (f5 >> 32);
	unsigned n = (w != 0) + (f1 != 0) + (f2 != 0) + (f3 != 0) + (f4 != 0) + (f5 != 0) + (f6 != 0);

	return (1ull << n) - 1;
}

/* node_at - the words of the level-P node (leaf word if P == 0) covering f. */
static inline uint64_t *node_at(const struct frame_region *r, unsigned P, uint64_t f)
{
	return r->lvl[P] + ((f >> span_shift(P)) - r->base[P]) * words_per_node(P);
}

/* node_status - the status of a level-P node from its own words. */
static uint64_t node_status(const uint64_t *node, unsigned P)
{
	if (P == 0)
		return fold_status(*node) & status_mask(0);
	unsigned a = all_index(P);
	uint64_t s = 0;
	for (unsigned k = 0; k < a; k++)
		s |= (uint64_t)(node[k] != 0) << k;
	return (s | fold_status(node[a]) << child_shift(P)) & status_mask(P);
}

/* materialize - write a uniform node's words: all free or nothing free. */
static void materialize(uint64_t *node, unsigned P, uint64_t fill)
{
	for (unsigned i = 0; i < words_per_node(P); i++)
		node[i] = fill;
}

/* ---- keeping the summaries right -------------------------------------------- */

/* Forget the fast-path words: called when a block operation flipped
 * whole children without writing them, which may leave a hint stale. */
static void drop_hints(struct frame_alloc *fa)
{
	for (unsigned z = 0; z < FRAME_ZONE_COUNT; z++)
		fa->hint[z].word = NULL;
}

static void summary_toggle(struct frame_alloc *fa, const struct frame_region *r, uint64_t delta)
{
	uint64_t *word = fa->summary + r->index / 64;
	uint64_t bit = 1ull << (r->index % 64);

	for (delta &= ORDER_BITS; delta; delta &= delta - 1)
		word[(size_t)lowest_bit(delta) * fa->summary_words] ^= bit;
}

/*
 * propagate - the status of the level-(P-1) child holding f changed by
 * @delta (bits that flipped); update its parent at level P and go up for
 * as long as a node's own status changes, then the region summaries.
 */
static void propagate(struct frame_alloc *fa, struct frame_region *r, uint64_t f,
		      unsigned P, uint64_t delta)
{
	for (; delta && P <= r->top; P++) {
		uint64_t *node = node_at(r, P, f);
		uint64_t bit = 1ull << ((f >> child_shift(P)) & (FANOUT - 1));
		unsigned a = all_index(P);
		uint64_t up = 0;

		for (uint64_t has = delta & ((1ull << a) - 1); has; has &= has - 1) {
			unsigned k = lowest_bit(has);
			uint64_t old = node[k];
			node[k] = old ^ bit;
			up |= (uint64_t)((old & ~bit) == 0) << k;
		}
		if (delta >> child_shift(P) & 1) {
			uint64_t old = node[a];
			node[a] = old ^ bit;
			up |= (fold_status(old) ^ fold_status(old ^ bit)) << child_shift(P);
		}
		delta = up & status_mask(P);
	}
	if (delta)
		summary_toggle(fa, r, delta);
}

/* set_children - make the children @mask of the level-P node holding f
 * all free (fill) or all allocated (!fill) without writing them. */
static void set_children(struct frame_alloc *fa, struct frame_region *r, uint64_t *node,
			 unsigned P, uint64_t f, uint64_t mask, bool fill)
{
	uint64_t before = node_status(node, P);

	for (unsigned i = 0; i < words_per_node(P); i++)
		node[i] = fill ? node[i] | mask : node[i] & ~mask;
	propagate(fa, r, f, P + 1, before ^ node_status(node, P));
	drop_hints(fa);
}

/*
 * fold_step - one level of single_delta: fold *f from aligned 2^(j-1) runs
 * to 2^j runs, record in *d whether b's 2^j run is the only one left, and
 * tell whether b's 2^(j+1) run is still all free (else no higher order
 * can change).
 */
static inline bool fold_step(uint64_t *f, uint64_t *d, unsigned b, unsigned j)
{
	unsigned base = b & ~((1u << j) - 1);

	*f &= (*f >> (1u << (j - 1))) & fold_mask[j];
	*d |= (uint64_t)(*f == 1ull << base) << j;
	return j < FANOUT_SHIFT && (*f >> (base ^ (1u << j)) & 1);
}

/*
 * single_delta - how the status of a leaf word changes when frame bit b
 * alone flips; @x is the word with b free (before an allocation, after a
 * free). Order j changes iff b's aligned 2^j run is the word's only free
 * one. The fold stops at the first order whose run around b is not all
 * free: no higher order can involve b. Most words stop at once.
 */
static inline uint64_t single_delta(uint64_t x, unsigned b)
{
	uint64_t d = x == 1ull << b, f = x;

	if (x >> (b ^ 1) & 1 && fold_step(&f, &d, b, 1) && fold_step(&f, &d, b, 2) &&
	    fold_step(&f, &d, b, 3) && fold_step(&f, &d, b, 4) && fold_step(&f, &d, b, 5))
		fold_step(&f, &d, b, 6);
	return d;
}

/* set_leaf - replace the leaf word holding f by @w, keeping the summaries. */
static inline void set_leaf(struct frame_alloc *fa, struct frame_region *r, uint64_t *leaf,
			    uint64_t f, uint64_t w)
{
	uint64_t old = *leaf, changed = old ^ w;
	uint64_t delta = changed & (changed - 1) ? fold_status(old) ^ fold_status(w)
						  : single_delta(old | w, (unsigned)(f & (FANOUT - 1)));

	*leaf = w;
	if (delta)
		propagate(fa, r, f, 1, delta);
}

/*
 * single_frame_pick - the free bits of leaf word w a single frame should
 * come from: those whose buddy is in use, if any (taking one breaks no
 * free pair, keeps larger blocks whole and skips the fold in set_leaf),
 * else all free bits. Never 0 for w != 0.
 */
static inline uint64_t single_frame_pick(uint64_t w)
{
	uint64_t buddies_free = (w & fold_mask[1]) << 1 | (w >> 1 & fold_mask[1]);
	uint64_t lonely = w & ~buddies_free;

	return lonely ? lonely : w;
}

/* ---- finding regions ---------------------------------------------------------- */

/* The first region in [lo, hi) whose summary says it holds an order-k block. */
static struct frame_region *find_region(const struct frame_alloc *fa, unsigned k,
					uint32_t lo, uint32_t hi)
{
	const uint64_t *s = fa->summary + (size_t)k * fa->summary_words;

	for (uint32_t i = lo; i < hi; i = (i | 63) + 1) {
		uint64_t w = s[i / 64] & (ALL_ONES << (i % 64));
		if (w) {
			uint32_t idx = (i & ~63u) + lowest_bit(w);
			return idx < hi ? &fa->regions[idx] : NULL;
		}
	}
	return NULL;
}

/* Regions [0, this) are allowed to an allocation with @flags: highmem
 * only with FRAME_HIGHMEM. */
static uint32_t regions_allowed(const struct frame_alloc *fa, uint32_t flags)
{
	return flags & FRAME_HIGHMEM ? fa->region_count : fa->direct_count;
}

/* The region a FRAME_LOW32 (or default) allocation of order k takes from:
 * default allocations prefer memory above 4 GiB; highmem only with
 * FRAME_HIGHMEM. */
static struct frame_region *pick_region(const struct frame_alloc *fa, unsigned k, uint32_t flags)
{
	struct frame_region *r = NULL;
	uint32_t hi = regions_allowed(fa, flags);

	if (fa->region_count == 0)
		return NULL;
	if (!(flags & FRAME_LOW32) && fa->low_count < hi)
		r = find_region(fa, k, fa->low_count, hi);
	return r ? r : find_region(fa, k, 0, MIN(fa->low_count, hi));
}

/* The region holding frame f, or NULL: last hit, then binary search. */
static struct frame_region *region_of(const struct frame_alloc *fa, uint64_t f)
{
	struct frame_region *r = fa->last;
	uint32_t lo = 0, hi = fa->region_count;

	if (r && f - r->fs < r->fe - r->fs)
		return r;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		r = &fa->regions[mid];
		if (f < r->fs)
			hi = mid;
		else if (f >= r->fe)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* True if any frame of [fs, fe) is in a reservation. */
static bool is_reserved(const struct frame_alloc *fa, uint64_t fs, uint64_t fe)
{
	for (uint32_t i = 0; i < fa->res_count; i++)
		if (fs < fa->res[i].end >> PAGE_SHIFT && fa->res[i].start >> PAGE_SHIFT < fe)
			return true;
	return false;
}

/* ---- filling frames ---------------------------------------------------------- */

/* Write @byte over the 2^k frames at f through cfg->mem. E_RANGE if the
 * frames cannot be reached. */
static int fill_frames(struct frame_alloc *fa, uint64_t f, unsigned k, int byte)
{
	uint64_t size = PAGE_SIZE << k;
	struct frame_mem *m = fa->mem;
	void *p = (m->map_temp ? m->map_temp : m->map)(m, f << PAGE_SHIFT, size);

	if (!p)
		return E_RANGE;
	memset(p, byte, size);
	if (m->map_temp)
		m->unmap_temp(m, p, size);
	return E_OK;
}

static void poison(struct frame_alloc *fa, uint64_t f, unsigned k)
{
	if (fa->flags & FRAME_INIT_POISON)
		(void)fill_frames(fa, f, k, FRAME_POISON);   /* unreachable frames stay as they are */
}

/* ---- allocating and freeing inside a region ---------------------------------- */

/*
 * region_alloc - take a free order-k block of r (its summary says there is
 * one): the lowest, except that a single frame is taken from the first
 * leaf word with one free preferably where its buddy is in use. Returns
 * its first frame, or NO_FRAME if the tree does not hold what the summary
 * promised (a bug; nothing is changed then).
 */
static uint64_t region_alloc(struct frame_alloc *fa, struct frame_region *r, unsigned k)
{
	unsigned P = r->top, level = k / FANOUT_SHIFT;
	uint64_t f = r->fs >> span_shift(P) << span_shift(P);
	uint64_t *node = node_at(r, P, f);

	for (; P > level; P--) {
		if (!node[k])
			return NO_FRAME;
		unsigned c = lowest_bit(node[k]);
		bool all_free = node[all_index(P)] >> c & 1;
		f += (uint64_t)c << child_shift(P);
		node = node_at(r, P - 1, f);
		if (all_free)
			materialize(node, P - 1, ALL_ONES);
	}
	if (P == 0) {
		uint64_t runs = k ? fold(*node, k) : single_frame_pick(*node);
		if (!runs)
			return NO_FRAME;
		unsigned b = lowest_bit(runs);
		f += b;
		set_leaf(fa, r, node, f, *node & ~bit_span(b, b + (1u << k)));
		return f;
	}
	unsigned j = k - child_shift(P);
	uint64_t runs = fold(node[all_index(P)], j);
	if (!runs)
		return NO_FRAME;
	unsigned c = lowest_bit(runs);
	f += (uint64_t)c << child_shift(P);
	set_children(fa, r, node, P, f, bit_span(c, c + (1u << j)), false);
	return f;
}

/*
 * region_free - give back the order-k block at f (inside r, aligned).
 * Checks every frame is allocated before changing anything: E_NOENT if
 * not. Poisons the block, then marks it free.
 */
static int region_free(struct frame_alloc *fa, struct frame_region *r, uint64_t f, unsigned k)
{
	unsigned P = r->top, level = k / FANOUT_SHIFT;
	uint64_t *node = node_at(r, P, f);

	for (; P > level; P--) {
		uint64_t bit = 1ull << ((f >> child_shift(P)) & (FANOUT - 1));
		if (node[all_index(P)] & bit)
			return E_NOENT;
		bool none_free = !(node[0] & bit);
		node = node_at(r, P - 1, f);
		if (none_free)
			materialize(node, P - 1, 0);
	}
	if (P == 0) {
		uint64_t m = bit_span(f & (FANOUT - 1), (f & (FANOUT - 1)) + (1u << k));
		if (*node & m)
			return E_NOENT;
		poison(fa, f, k);
		set_leaf(fa, r, node, f, *node | m);
		return E_OK;
	}
	unsigned c = (f >> child_shift(P)) & (FANOUT - 1);
	uint64_t m = bit_span(c, c + (1u << (k - child_shift(P))));
	if (node[0] & m)
		return E_NOENT;
	poison(fa, f, k);
	set_children(fa, r, node, P, f, m, true);
	return E_OK;
}

/* ---- the public allocation API ----------------------------------------------- */

static inline struct frame_hint *hint_for(struct frame_alloc *fa, uint32_t flags)
{
	return &fa->hint[flags & FRAME_LOW32 ? FRAME_ZONE_LOW : FRAME_ZONE_HIGH];
}

/* Make the leaf word holding f (just walked to, so accurate) a hint. */
static void set_hint(struct frame_hint *h, struct frame_region *r, uint64_t f)
{
	uint64_t first = f & ~(uint64_t)(FANOUT - 1);
	uint64_t lo = MAX(r->fs, first) - first, hi = MIN(r->fe, first + FANOUT) - first;

	*h = (struct frame_hint){ r, node_at(r, 0, f), first, bit_span((unsigned)lo, (unsigned)hi) };
}

/* Give back a block just taken (zeroing failed): no poison, no checks. */
static void undo_alloc(struct frame_alloc *fa, struct frame_region *r, uint64_t f, unsigned k)
{
	uint32_t flags = fa->flags;

	fa->flags &= ~FRAME_INIT_POISON;
	if (region_free(fa, r, f, k) == E_OK)
		fa->free[r->zone] += 1ull << k;
	fa->flags = flags;
}

/* The slow path of every allocation: find a region, walk its tree. */
static int alloc_slow(struct frame_alloc *fa, unsigned k, uint32_t flags, paddr_t *pa)
{
	struct frame_region *r = pick_region(fa, k, flags);
	uint64_t f = r ? region_alloc(fa, r, k) : NO_FRAME;

	if (f == NO_FRAME)
		return E_NOMEM;
	fa->free[r->zone] -= 1ull << k;
	if (k == 0)
		set_hint(hint_for(fa, flags), r, f);
	if ((flags & FRAME_ZERO) && fill_frames(fa, f, k, 0) != E_OK) {
		undo_alloc(fa, r, f, k);
		return E_RANGE;
	}
	*pa = f << PAGE_SHIFT;
	return E_OK;
}

int frame_alloc_one(struct frame_alloc *fa, uint32_t flags, paddr_t *pa)
{
	if ((flags & ~FRAME_FLAGS_KNOWN) || !pa)
		return E_INVAL;
	struct frame_hint *h = hint_for(fa, flags);
	uint64_t *leaf = h->word;
	if (!leaf || !*leaf || h->region->index >= regions_allowed(fa, flags))
		return alloc_slow(fa, 0, flags, pa);

	uint64_t w = *leaf;
	uint64_t f = h->frame + lowest_bit(single_frame_pick(w));
	set_leaf(fa, h->region, leaf, f, w & ~(1ull << (f & (FANOUT - 1))));
	fa->free[h->region->zone]--;
	if ((flags & FRAME_ZERO) && fill_frames(fa, f, 0, 0) != E_OK) {
		undo_alloc(fa, h->region, f, 0);
		return E_RANGE;
	}
	*pa = f << PAGE_SHIFT;
	return E_OK;
}

int frame_alloc_block(struct frame_alloc *fa, unsigned order, uint32_t flags, paddr_t *pa)
{
	if (order > FRAME_MAX_ORDER || (flags & ~FRAME_FLAGS_KNOWN) || !pa)
		return E_INVAL;
	if (order == 0)
		return frame_alloc_one(fa, flags, pa);
	return alloc_slow(fa, order, flags, pa);
}

/* Count a refused free and return its status. */
static int refuse(struct frame_alloc *fa, enum refusal why, int status)
{
	fa->refused[why]++;
	return status;
}

/* Why [f, f + 2^k) cannot be freed when it is not inside one region. */
static int refuse_outside(struct frame_alloc *fa, uint64_t f, unsigned k)
{
	if (is_reserved(fa, f, f + (1ull << k)))
		return refuse(fa, REFUSED_RESERVED, E_PERM);
	return refuse(fa, REFUSED_UNMANAGED, E_RANGE);
}

int frame_free_block(struct frame_alloc *fa, paddr_t pa, unsigned order)
{
	if (order > FRAME_MAX_ORDER || !IS_ALIGNED(pa, PAGE_SIZE << order))
		return refuse(fa, REFUSED_INVALID, E_INVAL);
	uint64_t f = pa >> PAGE_SHIFT;
	struct frame_region *r = region_of(fa, f);
	if (!r || f + (1ull << order) > r->fe)
		return refuse_outside(fa, f, order);
	fa->last = r;
	int st = region_free(fa, r, f, order);
	if (st != E_OK)
		return refuse(fa, REFUSED_FREE, st);
	fa->free[r->zone] += 1ull << order;
	if (order < FANOUT_SHIFT)   /* the word just walked to: recently freed, accurate */
		set_hint(&fa->hint[r->zone], r, f);
	return E_OK;
}

int frame_free_one(struct frame_alloc *fa, paddr_t pa)
{
	uint64_t f = pa >> PAGE_SHIFT;

	for (unsigned z = 0; z < FRAME_ZONE_COUNT; z++) {
		struct frame_hint *h = &fa->hint[z];
		uint64_t bit = 1ull << (f & (FANOUT - 1));
		if (!h->word || (f ^ h->frame) >= FANOUT || !(h->valid & bit) || !IS_ALIGNED(pa, PAGE_SIZE))
			continue;
		if (*h->word & bit)
			return refuse(fa, REFUSED_FREE, E_NOENT);
		poison(fa, f, 0);
		set_leaf(fa, h->region, h->word, f, *h->word | bit);
		fa->free[h->region->zone]++;
		return E_OK;
	}
	return frame_free_block(fa, pa, 0);
}

/* ---- queries ------------------------------------------------------------------- */

enum frame_state frame_state(const struct frame_alloc *fa, paddr_t pa)
{
	uint64_t f = pa >> PAGE_SHIFT;
	const struct frame_region *r = pa < PHYS_ADDR_LIMIT ? region_of(fa, f) : NULL;

	if (!r)
		return pa < PHYS_ADDR_LIMIT && is_reserved(fa, f, f + 1) ? FRAME_STATE_RESERVED
									 : FRAME_STATE_UNMANAGED;
	for (unsigned P = r->top; P > 0; P--) {
		const uint64_t *node = node_at(r, P, f);
		uint64_t bit = 1ull << ((f >> child_shift(P)) & (FANOUT - 1));
		if (node[all_index(P)] & bit)
			return FRAME_STATE_FREE;
		if (!(node[0] & bit))
			return FRAME_STATE_USED;
	}
	return *node_at(r, 0, f) >> (f & (FANOUT - 1)) & 1 ? FRAME_STATE_FREE : FRAME_STATE_USED;
}

void frame_get_stats(const struct frame_alloc *fa, struct frame_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->ram = fa->ram;
	st->managed_low = fa->managed[FRAME_ZONE_LOW];
	st->managed_highmem = fa->managed_highmem;
	st->managed = st->managed_low + fa->managed[FRAME_ZONE_HIGH];
	st->free_low = fa->free[FRAME_ZONE_LOW];
	st->free = st->free_low + fa->free[FRAME_ZONE_HIGH];
	st->used = st->managed - st->free;
	memcpy(st->reserved, fa->reserved, sizeof(st->reserved));
	st->kept_acpi = fa->kept_acpi;
	st->kept_runtime = fa->kept_runtime;
	st->kept_limit = fa->kept_limit;
	st->meta_bytes = fa->meta_used;
	st->init_words = fa->init_words;
	st->regions = fa->region_count;
	st->refused_unmanaged = fa->refused[REFUSED_UNMANAGED];
	st->refused_reserved = fa->refused[REFUSED_RESERVED];
	st->refused_free = fa->refused[REFUSED_FREE];
	st->refused_invalid = fa->refused[REFUSED_INVALID];
}

const char *frame_res_kind_name(unsigned kind)
{
	static const char *const names[FRAME_RES_KIND_COUNT] = {
		[FRAME_RES_KERNEL] = "kernel",
		[FRAME_RES_HANDOFF] = "hand-off",
		[FRAME_RES_STACKS] = "stacks",
		[FRAME_RES_PT_POOL] = "page tables",
		[FRAME_RES_TRAMPOLINE] = "trampoline",
		[FRAME_RES_FIRMWARE] = "firmware",
		[FRAME_RES_LOWMEM] = "low memory",
		[FRAME_RES_METADATA] = "allocator",
	};
	return kind < FRAME_RES_KIND_COUNT ? names[kind] : "?";
}

/* ---- verification ------------------------------------------------------------ */

struct verify {
	const struct frame_region *r;
	uint64_t free;          /* free frames counted */
	uint64_t bad;           /* first frame of the first bad node, NO_FRAME if none */
};

static uint64_t verify_node(struct verify *v, unsigned P, uint64_t n);

static void verify_fail(struct verify *v, uint64_t f)
{
	if (v->bad == NO_FRAME)
		v->bad = f;
}

/* Check child c of the level-P node (node number n) against the node's bits. */
static void verify_child(struct verify *v, const uint64_t *node, unsigned P, uint64_t n, unsigned c)
{
	const struct frame_region *r = v->r;
	uint64_t cs = (n << span_shift(P)) + ((uint64_t)c << child_shift(P));
	uint64_t ce = cs + (1ull << child_shift(P));
	uint64_t bit = 1ull << c, set = 0;
	unsigned a = all_index(P);

	for (unsigned i = 0; i <= a; i++)
		set |= (uint64_t)((node[i] & bit) != 0) << i;
	if (node[a] & bit) {                        /* all free: whole child in the region */
		if (cs < r->fs || ce > r->fe || set != (1ull << (a + 1)) - 1)
			verify_fail(v, cs);
		v->free += ce - cs;
		return;
	}
	if (!(node[0] & bit)) {                     /* nothing free: no bit at all */
		if (set)
			verify_fail(v, cs);
		return;
	}
	if (ce <= r->fs || cs >= r->fe) {           /* outside the region, yet "has" */
		verify_fail(v, cs);
		return;
	}
	uint64_t s = verify_node(v, P - 1, cs >> span_shift(P - 1));
	uint64_t want = (s & ((1ull << a) - 1)) | (s >> child_shift(P) & 1) << a;
	if (want != set)
		verify_fail(v, cs);
}

/* Check a materialised node and everything materialised below it; returns
 * its status. */
static uint64_t verify_node(struct verify *v, unsigned P, uint64_t n)
{
	const struct frame_region *r = v->r;
	uint64_t start = n << span_shift(P);
	const uint64_t *node = node_at(r, P, start);

	if (P == 0) {
		uint64_t lo = MAX(r->fs, start) - start, hi = MIN(r->fe, start + FANOUT) - start;
		if (*node & ~bit_span((unsigned)lo, (unsigned)hi))
			verify_fail(v, start);
		v->free += count_bits(*node);
		return node_status(node, 0);
	}
	for (unsigned c = 0; c < FANOUT; c++)
		verify_child(v, node, P, n, c);
	return node_status(node, P);
}

int frame_verify(const struct frame_alloc *fa, paddr_t *bad)
{
	uint64_t free[FRAME_ZONE_COUNT] = { 0 };
	struct verify v = { .bad = NO_FRAME };

	for (uint32_t i = 0; i < fa->region_count && v.bad == NO_FRAME; i++) {
		const struct frame_region *r = &fa->regions[i];
		v.r = r;
		v.free = 0;
		uint64_t s = verify_node(&v, r->top, r->fs >> span_shift(r->top)) & ORDER_BITS;
		for (unsigned k = 0; k <= FRAME_MAX_ORDER; k++) {
			uint64_t w = fa->summary[(size_t)k * fa->summary_words + i / 64];
			if ((w >> (i % 64) & 1) != (s >> k & 1))
				verify_fail(&v, r->fs);
		}
		free[r->zone] += v.free;
	}
	if (v.bad == NO_FRAME && (free[FRAME_ZONE_LOW] != fa->free[FRAME_ZONE_LOW] ||
				  free[FRAME_ZONE_HIGH] != fa->free[FRAME_ZONE_HIGH]))
		v.bad = fa->region_count ? fa->regions[0].fs : 0;
	if (v.bad == NO_FRAME)
		return E_OK;
	if (bad)
		*bad = v.bad << PAGE_SHIFT;
	return E_INVAL;
}

/* ---- init: which frames, and where the metadata goes ------------------------- */

/* Map types whose frames the allocator may hand out (see frame.h): RAM
 * except ACPI reclaim, which holds the ACPI tables the kernel still reads. */
static bool type_is_usable(uint32_t type)
{
	return mem_type_is_ram(type) && type != EFI_ACPI_RECLAIM;
}

static bool entry_is_usable(const struct mem_entry *e)
{
	return type_is_usable(e->type) && !(e->attr & EFI_MEMORY_RUNTIME);
}

typedef void (*region_fn)(void *ctx, uint64_t fs, uint64_t fe);

/* A sorted, disjoint list of reservations (fa->res, or a scratch copy),
 * and where regions are cut besides 4 GiB: the direct limit. */
struct res_list {
	struct frame_reservation *res;
	uint32_t count;
	uint64_t direct_cut;        /* frame number; ~0 for none */
};

/* Hand [fs, fe) to fn, cut at 4 GiB and at the direct limit. */
static void emit(const struct res_list *rl, region_fn fn, void *ctx, uint64_t fs, uint64_t fe)
{
	uint64_t low = FRAME_LOW_LIMIT >> PAGE_SHIFT;
	uint64_t cuts[2] = { MIN(low, rl->direct_cut), MAX(low, rl->direct_cut) };

	for (unsigned i = 0; i < 2; i++)
		if (fs < cuts[i] && cuts[i] < fe) {
			fn(ctx, fs, cuts[i]);
			fs = cuts[i];
		}
	fn(ctx, fs, fe);
}

/* Hand the parts of the run [s, e) outside every reservation to fn;
 * *j is the first reservation that may still matter (both ascend). */
static void emit_run(const struct res_list *rl, uint32_t *j, paddr_t s, paddr_t e,
		     region_fn fn, void *ctx)
{
	const struct frame_reservation *res = rl->res;

	while (*j < rl->count && res[*j].end <= s)
		(*j)++;
	for (uint32_t i = *j; i < rl->count && res[i].start < e; i++) {
		if (res[i].start > s)
			emit(rl, fn, ctx, s >> PAGE_SHIFT, res[i].start >> PAGE_SHIFT);
		s = MAX(s, res[i].end);
		if (s >= e)
			return;
	}
	emit(rl, fn, ctx, s >> PAGE_SHIFT, e >> PAGE_SHIFT);
}

/* walk_regions - call fn for every region, in ascending order: usable map
 * entries below @limit, adjacent ones joined, minus reservations, cut at
 * 4 GiB. */
static void walk_regions(const struct res_list *rl, const struct memmap *map, paddr_t limit,
			 region_fn fn, void *ctx)
{
	uint32_t j = 0;
	paddr_t s = 0, e = 0;       /* the run being joined; empty at first */

	for (size_t i = 0; i < map->count; i++) {
		const struct mem_entry *m = &map->entries[i];
		if (!entry_is_usable(m) || m->start >= limit)
			continue;
		paddr_t end = MIN(m->end, limit);
		if (m->start != e && s < e) {
			emit_run(rl, &j, s, e, fn, ctx);
			s = m->start;
		} else if (s == e) {
			s = m->start;
		}
		e = end;
	}
	if (s < e)
		emit_run(rl, &j, s, e, fn, ctx);
}

/* The level of a region's root: the lowest level >= 1 with one node
 * holding the whole region without being filled by it (so every block
 * the region can hold lies inside the root). */
static unsigned region_top(uint64_t fs, uint64_t fe)
{
	unsigned P = 1;

	while (P < FRAME_LEVELS - 1 &&
	       ((fs >> span_shift(P)) != ((fe - 1) >> span_shift(P)) ||
		fe - fs == 1ull << span_shift(P)))
		P++;
	return P;
}

/* Nodes of level P a region [fs, fe) needs. */
static uint64_t level_nodes(uint64_t fs, uint64_t fe, unsigned P)
{
	return ((fe - 1) >> span_shift(P)) - (fs >> span_shift(P)) + 1;
}

static uint64_t region_words(uint64_t fs, uint64_t fe)
{
	uint64_t words = 0;

	for (unsigned P = 0; P <= region_top(fs, fe); P++)
		words += level_nodes(fs, fe, P) * words_per_node(P);
	return words;
}

/* Pass 1: count regions and tree words. */
struct sizing {
	uint64_t regions, words;
};

static void size_region(void *ctx, uint64_t fs, uint64_t fe)
{
	struct sizing *sz = ctx;

	sz->regions++;
	sz->words += region_words(fs, fe);
}

static uint64_t summary_words_for(uint64_t regions)
{
	return (regions + 63) / 64;
}

static uint64_t meta_bytes_for(const struct sizing *sz)
{
	return ALIGN_UP(sz->regions * sizeof(struct frame_region), 8) +
	       (FRAME_MAX_ORDER + 1) * summary_words_for(sz->regions) * 8 + sz->words * 8;
}

/* Pass 1b: the highest region below @below with room for @bytes. */
struct meta_pick {
	uint64_t pages, below;      /* frames wanted; only regions ending at or below */
	uint64_t fs, fe;            /* the pick; fe == 0 if none */
};

static void pick_meta(void *ctx, uint64_t fs, uint64_t fe)
{
	struct meta_pick *mp = ctx;

	if (fe <= mp->below && fe - fs >= mp->pages) {
		mp->fs = fs;
		mp->fe = fe;
	}
}

/* ---- init: building the trees ---------------------------------------------------- */

struct builder {
	struct frame_alloc *fa;
	uint64_t *next;             /* next free metadata word */
};

/* Record a partly covered child's status in its level-P parent. */
static void add_child(uint64_t *node, unsigned P, unsigned c, uint64_t s)
{
	unsigned a = all_index(P);

	for (unsigned k = 0; k < a; k++)
		node[k] |= (s >> k & 1) << c;
	node[a] |= (s >> child_shift(P) & 1) << c;
}

/*
 * init_node - write node n of level P of a region that starts out all free:
 * children wholly inside the region are marked all free (and left
 * unwritten), children partly inside are built the same way (at most two
 * per node), the rest stay nothing-free. Returns the node's status.
 */
static uint64_t init_node(struct frame_alloc *fa, const struct frame_region *r, unsigned P, uint64_t n)
{
	uint64_t start = n << span_shift(P);
	uint64_t lo = MAX(r->fs, start) - start;
	uint64_t hi = MIN(r->fe, start + (1ull << span_shift(P))) - start;
	uint64_t *node = node_at(r, P, start);

	fa->init_words += words_per_node(P);
	if (P == 0) {
		*node = bit_span((unsigned)lo, (unsigned)hi);
		return node_status(node, 0);
	}
	unsigned cs = child_shift(P);
	uint64_t first = lo >> cs, last = (hi - 1) >> cs;          /* children touched */
	uint64_t full_lo = (lo + (1ull << cs) - 1) >> cs, full_hi = hi >> cs;
	materialize(node, P, full_lo < full_hi ? bit_span((unsigned)full_lo, (unsigned)full_hi) : 0);
	if (first < full_lo)
		add_child(node, P, (unsigned)first, init_node(fa, r, P - 1, (start >> cs) + first));
	if (last >= full_hi && (last != first || first >= full_lo))
		add_child(node, P, (unsigned)last, init_node(fa, r, P - 1, (start >> cs) + last));
	return node_status(node, P);
}

static void build_region(void *ctx, uint64_t fs, uint64_t fe)
{
	struct builder *b = ctx;
	struct frame_alloc *fa = b->fa;
	struct frame_region *r = &fa->regions[fa->region_count];

	*r = (struct frame_region){ .fs = fs, .fe = fe, .top = region_top(fs, fe),
		.index = fa->region_count,
		.zone = fe <= FRAME_LOW_LIMIT >> PAGE_SHIFT ? FRAME_ZONE_LOW : FRAME_ZONE_HIGH };
	for (unsigned P = 0; P <= r->top; P++) {
		r->lvl[P] = b->next;
		r->base[P] = fs >> span_shift(P);
		b->next += level_nodes(fs, fe, P) * words_per_node(P);
	}
	uint64_t s = init_node(fa, r, r->top, fs >> span_shift(r->top));
	fa->region_count++;
	if (r->zone == FRAME_ZONE_LOW)
		fa->low_count = fa->region_count;
	if (fe <= fa->direct_cut)
		fa->direct_count = fa->region_count;
	else
		fa->managed_highmem += fe - fs;
	fa->managed[r->zone] += fe - fs;
	fa->free[r->zone] += fe - fs;
	summary_toggle(fa, r, s);
	fa->init_words += sizeof(*r) / 8;
}

/* ---- init: checking and recording the input -------------------------------------- */

static int check_map(const struct memmap *map)
{
	if (!map || (map->count && !map->entries))
		return E_INVAL;
	for (size_t i = 0; i < map->count; i++) {
		const struct mem_entry *e = &map->entries[i];
		if (!IS_ALIGNED(e->start | e->end, PAGE_SIZE) || e->start >= e->end ||
		    e->end > PHYS_ADDR_LIMIT || (i > 0 && e->start < map->entries[i - 1].end))
			return E_INVAL;
	}
	return E_OK;
}

/* Insert [start, end), which overlaps no reservation, into the sorted list. */
static int add_reservation(struct res_list *rl, paddr_t start, paddr_t end, uint32_t kind)
{
	uint32_t i = rl->count;

	if (rl->count == FRAME_MAX_RESERVED)
		return E_NOSPC;
	for (; i > 0 && rl->res[i - 1].start > start; i--)
		rl->res[i] = rl->res[i - 1];
	rl->res[i] = (struct frame_reservation){ .start = start, .end = end, .kind = kind };
	rl->count++;
	return E_OK;
}

/*
 * record_reservations - copy cfg->res into @rl (room for FRAME_MAX_RESERVED):
 * rounded out to whole frames, clipped to PHYS_ADDR_LIMIT, sorted, and made
 * disjoint (a frame in two reservations counts for the one that starts
 * first, or is listed first if both start together). One slot is kept for
 * the metadata.
 */
static int record_reservations(struct res_list *rl, const struct frame_config *cfg)
{
	rl->count = 0;
	if (cfg->res_count && !cfg->res)
		return E_INVAL;
	if (cfg->res_count >= FRAME_MAX_RESERVED)
		return E_NOSPC;
	for (size_t i = 0; i < cfg->res_count; i++) {
		const struct frame_reservation *rv = &cfg->res[i];
		if (rv->end < rv->start || rv->kind >= FRAME_RES_METADATA)
			return E_INVAL;
		paddr_t start = ALIGN_DOWN(MIN(rv->start, PHYS_ADDR_LIMIT), PAGE_SIZE);
		paddr_t end = rv->end > PHYS_ADDR_LIMIT - PAGE_SIZE ? PHYS_ADDR_LIMIT
								    : ALIGN_UP(rv->end, PAGE_SIZE);
		add_reservation(rl, start, end, rv->kind);
	}
	uint32_t n = 0;
	paddr_t covered = 0;
	for (uint32_t i = 0; i < rl->count; i++) {
		struct frame_reservation rv = rl->res[i];
		rv.start = MAX(rv.start, covered);
		if (rv.start >= rv.end)
			continue;
		covered = rv.end;
		rl->res[n++] = rv;
	}
	rl->count = n;
	return E_OK;
}

/* Frames of [s, e) inside reservations, added to fa->reserved by kind. */
static void count_reserved(struct frame_alloc *fa, paddr_t s, paddr_t e)
{
	for (uint32_t i = 0; i < fa->res_count; i++) {
		paddr_t lo = MAX(s, fa->res[i].start), hi = MIN(e, fa->res[i].end);
		if (lo < hi)
			fa->reserved[fa->res[i].kind] += (hi - lo) >> PAGE_SHIFT;
	}
}

/* The RAM accounting of frame.h: ram = managed + reserved + kept. */
static void count_memory(struct frame_alloc *fa, const struct memmap *map, paddr_t limit)
{
	for (size_t i = 0; i < map->count; i++) {
		const struct mem_entry *e = &map->entries[i];
		uint64_t frames = (e->end - e->start) >> PAGE_SHIFT;
		if (mem_type_is_ram(e->type))
			fa->ram += frames;
		if (e->type == EFI_ACPI_RECLAIM)
			fa->kept_acpi += frames;
		if (!type_is_usable(e->type))
			continue;
		if (e->attr & EFI_MEMORY_RUNTIME) {
			fa->kept_runtime += frames;
			continue;
		}
		if (e->end > limit)
			fa->kept_limit += (e->end - MAX(e->start, limit)) >> PAGE_SHIFT;
		if (e->start < limit)
			count_reserved(fa, e->start, MIN(e->end, limit));
	}
}

/*
 * place_metadata - choose the metadata range: the top of the highest
 * region that holds @bytes and that cfg->mem reaches. Returns the pointer
 * (NULL if nothing fits) and sets fa->meta_start/meta_end.
 */
static void *place_metadata(struct frame_alloc *fa, const struct frame_config *cfg,
			    const struct res_list *rl, paddr_t limit, uint64_t bytes)
{
	struct meta_pick mp = { .pages = ALIGN_UP(bytes, PAGE_SIZE) >> PAGE_SHIFT, .below = ALL_ONES };

	for (;;) {
		mp.fe = 0;
		walk_regions(rl, cfg->map, limit, pick_meta, &mp);
		if (mp.fe == 0)
			return NULL;
		paddr_t start = (mp.fe - mp.pages) << PAGE_SHIFT;
		void *p = cfg->mem->map(cfg->mem, start, mp.pages << PAGE_SHIFT);
		if (p) {
			fa->meta_start = start;
			fa->meta_end = mp.fe << PAGE_SHIFT;
			return p;
		}
		mp.below = mp.fs;   /* unreachable: try the regions below it */
	}
}

/* cfg's direct limit as a frame number (rounded down); ~0 for none. */
static uint64_t direct_cut_of(const struct frame_config *cfg)
{
	return cfg->direct_limit ? cfg->direct_limit >> PAGE_SHIFT : ~0ull;
}

/* The limit cfg asks for, page aligned; PHYS_ADDR_LIMIT for none. */
static paddr_t config_limit(const struct frame_config *cfg)
{
	return cfg->limit && cfg->limit < PHYS_ADDR_LIMIT ? ALIGN_DOWN(cfg->limit, PAGE_SIZE)
							  : PHYS_ADDR_LIMIT;
}

uint64_t frame_meta_bytes(const struct frame_config *cfg)
{
	struct frame_reservation res[FRAME_MAX_RESERVED];
	struct res_list rl = { res, 0, direct_cut_of(cfg) };
	struct sizing sz = { 0 }, carved = { 0 };

	if (!cfg || check_map(cfg->map) != E_OK || record_reservations(&rl, cfg) != E_OK)
		return 0;
	paddr_t limit = config_limit(cfg);
	walk_regions(&rl, cfg->map, limit, size_region, &sz);
	if (!sz.regions)
		return 0;
	/* As frame_init does when cfg->mem reaches every region: carve the
	 * metadata from the top of the highest region that holds it, then
	 * build the trees without it. The region array and the summaries
	 * keep the first count; the carve can only shrink the trees. */
	uint64_t need = meta_bytes_for(&sz);
	struct meta_pick mp = { .pages = ALIGN_UP(need, PAGE_SIZE) >> PAGE_SHIFT, .below = ALL_ONES };
	walk_regions(&rl, cfg->map, limit, pick_meta, &mp);
	if (mp.fe == 0 || add_reservation(&rl, (mp.fe - mp.pages) << PAGE_SHIFT, mp.fe << PAGE_SHIFT,
					  FRAME_RES_METADATA) != E_OK)
		return need;
	walk_regions(&rl, cfg->map, limit, size_region, &carved);
	return need - sz.words * 8 + carved.words * 8;
}

/* Lay out the metadata at @meta and build every region's tree. */
static void build(struct frame_alloc *fa, const struct frame_config *cfg, const struct res_list *rl,
		  paddr_t limit, void *meta, uint64_t regions)
{
	fa->regions = meta;
	fa->summary_words = (uint32_t)summary_words_for(regions);
	fa->summary = (uint64_t *)((char *)meta + ALIGN_UP(regions * sizeof(struct frame_region), 8));
	memset(fa->summary, 0, (FRAME_MAX_ORDER + 1) * fa->summary_words * 8);
	fa->init_words += (FRAME_MAX_ORDER + 1) * fa->summary_words;
	struct builder b = { fa, fa->summary + (FRAME_MAX_ORDER + 1) * fa->summary_words };
	walk_regions(rl, cfg->map, limit, build_region, &b);
	fa->meta_used = (uint64_t)((char *)b.next - (char *)meta);
}

/* frame_init's work once the arguments are known to be good. */
static int init_checked(struct frame_alloc *fa, const struct frame_config *cfg)
{
	struct res_list rl = { fa->res, 0, direct_cut_of(cfg) };
	fa->direct_cut = rl.direct_cut;
	int st = record_reservations(&rl, cfg);
	if (st != E_OK)
		return st;

	paddr_t limit = config_limit(cfg);
	struct sizing sz = { 0 };
	walk_regions(&rl, cfg->map, limit, size_region, &sz);
	if (sz.regions) {
		void *meta = place_metadata(fa, cfg, &rl, limit, meta_bytes_for(&sz));
		if (!meta)
			return E_NOMEM;
		st = add_reservation(&rl, fa->meta_start, fa->meta_end, FRAME_RES_METADATA);
		if (st != E_OK)
			return st;
		build(fa, cfg, &rl, limit, meta, sz.regions);
	}
	fa->res_count = rl.count;
	count_memory(fa, cfg->map, limit);
	return E_OK;
}

int frame_init(struct frame_alloc *fa, const struct frame_config *cfg)
{
	if (!fa)
		return E_INVAL;
	memset(fa, 0, sizeof(*fa));
	if (!cfg || !cfg->mem || !cfg->mem->map || (cfg->flags & ~FRAME_INIT_FLAGS_KNOWN) ||
	    check_map(cfg->map) != E_OK)
		return E_INVAL;
	fa->mem = cfg->mem;
	fa->flags = cfg->flags;
	int st = init_checked(fa, cfg);
	if (st != E_OK)
		memset(fa, 0, sizeof(*fa));
	return st;
}
