/*
 * resource.c - the ownership registry of physical ranges (resource.h).
 *
 * A node's children form a singly linked list sorted by start, without
 * overlaps; every child lies inside its parent. A claim walks down from
 * the root: at each level it looks at the children it overlaps, descends
 * into the one container that wholly contains it, and is inserted where it
 * overlaps nothing. Free nodes are chained through their sibling pointer
 * and have parent == NULL, which is how a release tells a live node from a
 * stale one.
 */
#include "lib.h"
#include "resource.h"

static const char *const cache_names[CACHE_TYPE_COUNT] = {
	[CACHE_WB] = "WB", [CACHE_WT] = "WT", [CACHE_UC_MINUS] = "UC-",
	[CACHE_UC] = "UC", [CACHE_WC] = "WC",
};

const char *cache_type_name(enum cache_type c)
{
	return (unsigned)c < CACHE_TYPE_COUNT ? cache_names[c] : "?";
}

/* ---- the pool ---------------------------------------------------------- */

static void tree_reset(struct resource_tree *t)
{
	memset(&t->root, 0, sizeof(t->root));
	t->root.range = (struct range){ 0, PHYS_ADDR_LIMIT };
	t->root.owner = RESOURCE_ROOT_OWNER;
	t->root.cache = CACHE_UC;
	t->root.flags = RESOURCE_CONTAINER;
	t->free_list = NULL;
	t->used = 0;
	for (size_t i = t->pool_size; i-- > 0;) {
		memset(&t->pool[i], 0, sizeof(t->pool[i]));
		t->pool[i].sibling = t->free_list;
		t->free_list = &t->pool[i];
	}
}

static struct resource *node_alloc(struct resource_tree *t)
{
	struct resource *r = t->free_list;

	if (r) {
		t->free_list = r->sibling;
		t->used++;
	}
	return r;
}

static void node_free(struct resource_tree *t, struct resource *r)
{
	memset(r, 0, sizeof(*r));
	r->sibling = t->free_list;
	t->free_list = r;
	t->used--;
}

/* True if @r is one of @t's pool nodes and currently in the tree. */
static bool node_is_live(const struct resource_tree *t, const struct resource *r)
{
	uintptr_t p = (uintptr_t)r, base = (uintptr_t)t->pool;

	if (!t->pool || p < base || p >= base + t->pool_size * sizeof(*r))
		return false;
	if ((p - base) % sizeof(*r) != 0)
		return false;
	return r->parent != NULL;
}

/* ---- lookups ------------------------------------------------------------ */

static bool overlaps(const struct resource *r, paddr_t start, paddr_t end)
{
	return r->range.start < end && start < r->range.end;
}

static bool contains(const struct resource *r, paddr_t start, paddr_t end)
{
	return r->range.start <= start && end <= r->range.end;
}

/* The first child of @parent overlapping [start, end), or NULL. */
static struct resource *first_overlap_child(const struct resource *parent, paddr_t start,
					    paddr_t end)
{
	for (struct resource *c = parent->child; c && c->range.start < end; c = c->sibling)
		if (overlaps(c, start, end))
			return c;
	return NULL;
}

/* The first RAM node among the children of @parent from @c on that overlap
 * [start, end), or NULL. */
static struct resource *overlapping_ram(struct resource *c, paddr_t start, paddr_t end)
{
	for (; c && c->range.start < end; c = c->sibling)
		if ((c->flags & RESOURCE_RAM) && overlaps(c, start, end))
			return c;
	return NULL;
}

struct resource *resource_find(const struct resource_tree *t, paddr_t pa)
{
	const struct resource *r = &t->root;
	struct resource *c;

	while ((c = first_overlap_child(r, pa, pa + 1)) != NULL)
		r = c;
	return r == &t->root ? NULL : (struct resource *)r;
}

struct resource *resource_first_overlap(const struct resource_tree *t, paddr_t start,
					paddr_t end)
{
	/* Nested claims lie inside their top-level ancestor, so the first
	 * overlapping top-level claim is the answer. */
	if (!t || start >= end)
		return NULL;
	return first_overlap_child(&t->root, start, end);
}

unsigned resource_depth(const struct resource *r)
{
	unsigned d = 0;

	for (r = r->parent; r && r->parent; r = r->parent)
		d++;
	return d;
}

int resource_find_gap(const struct resource_tree *t, uint64_t size, uint64_t align,
		      struct range within, paddr_t *out)
{
	if (!t || !out || size == 0 || align == 0 || (align & (align - 1)))
		return E_INVAL;
	paddr_t a = ALIGN_UP(within.start, align);
	for (const struct resource *c = t->root.child;; c = c->sibling) {
		if (a < within.start || a + size < a || a + size > within.end)
			return E_NOENT;       /* wrapped or ran out of the window */
		if (!c || c->range.start >= a + size)
			break;
		if (c->range.end > a)
			a = ALIGN_UP(c->range.end, align);
	}
	*out = a;
	return E_OK;
}

/* ---- claim and release -------------------------------------------------- */

static int check_claim(const struct resource_tree *t, paddr_t start, paddr_t end,
		       const char *owner, enum cache_type cache, uint32_t flags)
{
	uint32_t kind = flags & (RESOURCE_BUSY | RESOURCE_CONTAINER);

	if (!t || !owner || !owner[0] || start >= end || end > PHYS_ADDR_LIMIT)
		return E_INVAL;
	if ((unsigned)cache >= CACHE_TYPE_COUNT)
		return E_INVAL;
	if ((kind != RESOURCE_BUSY && kind != RESOURCE_CONTAINER) || (flags & ~kind))
		return E_INVAL;
	return E_OK;
}

/*
 * Find the container [start, end) goes into. Returns E_OK with *parent
 * set, or E_PERM/E_BUSY with *in_way set to the node that refuses it.
 */
static int find_parent(struct resource_tree *t, paddr_t start, paddr_t end,
		       struct resource **parent, struct resource **in_way)
{
	struct resource *p = &t->root;

	for (;;) {
		struct resource *c = first_overlap_child(p, start, end);
		if (!c)
			break;
		struct resource *ram = overlapping_ram(c, start, end);
		if (ram) {
			*in_way = ram;
			return E_PERM;
		}
		bool only = !c->sibling || !overlaps(c->sibling, start, end);
		if (!only || !(c->flags & RESOURCE_CONTAINER) || !contains(c, start, end)) {
			*in_way = c;
			return E_BUSY;
		}
		p = c;
	}
	*parent = p;
	return E_OK;
}

/* Link @r into @parent's children, keeping them sorted by start. */
static void link_child(struct resource *parent, struct resource *r)
{
	struct resource **pp = &parent->child;

	while (*pp && (*pp)->range.start < r->range.start)
		pp = &(*pp)->sibling;
	r->sibling = *pp;
	*pp = r;
	r->parent = parent;
}

static int claim(struct resource_tree *t, paddr_t start, paddr_t end, const char *owner,
		 enum cache_type cache, uint32_t flags, struct resource **out)
{
	struct resource *parent = NULL, *in_way = NULL;
	int st = find_parent(t, start, end, &parent, &in_way);

	if (st != E_OK) {
		*out = in_way;
		return st;
	}
	struct resource *r = node_alloc(t);
	if (!r)
		return E_NOMEM;
	r->range = (struct range){ start, end };
	r->owner = owner;
	r->cache = cache;
	r->flags = flags;
	r->child = NULL;
	link_child(parent, r);
	*out = r;
	return E_OK;
}

int resource_claim(struct resource_tree *t, paddr_t start, paddr_t end, const char *owner,
		   enum cache_type cache, uint32_t flags, struct resource **out)
{
	struct resource *dummy = NULL;

	if (!out)
		out = &dummy;
	*out = NULL;
	int st = check_claim(t, start, end, owner, cache, flags);
	if (st != E_OK)
		return st;
	return claim(t, start, end, owner, cache, flags, out);
}

int resource_release(struct resource_tree *t, struct resource *r)
{
	if (!t || !r || !node_is_live(t, r))
		return E_INVAL;
	if (r->flags & RESOURCE_RAM)
		return E_PERM;
	if (r->child)
		return E_BUSY;
	struct resource **pp = &r->parent->child;
	while (*pp != r)
		pp = &(*pp)->sibling;
	*pp = r->sibling;
	node_free(t, r);
	return E_OK;
}

/* ---- init from the memory map ------------------------------------------ */

static bool entry_ok(const struct mem_entry *e, paddr_t prev_end)
{
	return e->start < e->end && e->start >= prev_end && e->end <= PHYS_ADDR_LIMIT &&
	       IS_ALIGNED(e->start, PAGE_SIZE) && IS_ALIGNED(e->end, PAGE_SIZE);
}

static int add_ram(struct resource_tree *t, paddr_t start, paddr_t end)
{
	struct resource *r;

	return claim(t, start, end, RESOURCE_RAM_OWNER, CACHE_WB,
		     RESOURCE_BUSY | RESOURCE_RAM, &r);
}

/* Record the RAM runs of @map: adjacent RAM entries become one claim. */
static int add_ram_runs(struct resource_tree *t, const struct memmap *map)
{
	paddr_t run_start = 0, run_end = 0, prev_end = 0;

	for (size_t i = 0; i < map->count; i++) {
		const struct mem_entry *e = &map->entries[i];
		if (!entry_ok(e, prev_end))
			return E_INVAL;
		prev_end = e->end;
		if (!mem_type_is_ram(e->type))
			continue;
		if (run_end == e->start && run_end != run_start) {
			run_end = e->end;
			continue;
		}
		int st = run_end != run_start ? add_ram(t, run_start, run_end) : E_OK;
		if (st != E_OK)
			return st;
		run_start = e->start;
		run_end = e->end;
	}
	return run_end != run_start ? add_ram(t, run_start, run_end) : E_OK;
}

int resource_init(struct resource_tree *t, struct resource *pool, size_t pool_size,
		  const struct memmap *map)
{
	if (!t)
		return E_INVAL;
	t->pool = pool_size ? pool : NULL;
	t->pool_size = pool ? pool_size : 0;
	tree_reset(t);
	if (!pool && pool_size)
		return E_INVAL;
	if (!map || map->count == 0)
		return E_OK;
	if (!map->entries)
		return E_INVAL;
	int st = add_ram_runs(t, map);
	if (st != E_OK)
		tree_reset(t);
	return st;
}

/* ---- the table ---------------------------------------------------------- */

struct line {
	char buf[RESOURCE_LINE_MAX];
	size_t len;
};

static void line_add(struct line *l, const char *s)
{
	while (*s && l->len + 1 < sizeof(l->buf))
		l->buf[l->len++] = *s++;
	l->buf[l->len] = '\0';
}

static void line_hex16(struct line *l, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char s[17];

	for (int i = 15; i >= 0; i--, v >>= 4)
		s[i] = digits[v & 0xf];
	s[16] = '\0';
	line_add(l, s);
}

static void print_node(const struct resource *r, resource_out_fn out, void *ctx)
{
	struct line l = { .len = 0 };
	const char *cache = cache_type_name(r->cache);

	for (unsigned d = resource_depth(r); d > 0; d--)
		line_add(&l, "  ");
	line_add(&l, "[");
	line_hex16(&l, r->range.start);
	line_add(&l, ", ");
	line_hex16(&l, r->range.end);
	line_add(&l, ") ");
	line_add(&l, cache);
	line_add(&l, strlen(cache) == 2 ? "  " : " ");
	line_add(&l, r->owner);
	if (r->flags & RESOURCE_CONTAINER)
		line_add(&l, " (container)");
	out(ctx, l.buf);
}

/* The node after @r in a depth-first walk below @root, or NULL. */
static const struct resource *walk_next(const struct resource *root, const struct resource *r)
{
	if (r->child)
		return r->child;
	while (r != root && !r->sibling)
		r = r->parent;
	return r == root ? NULL : r->sibling;
}

void resource_print(const struct resource_tree *t, resource_out_fn out, void *ctx)
{
	out(ctx, "physical range [start, end)            cache owner");
	for (const struct resource *r = walk_next(&t->root, &t->root); r;
	     r = walk_next(&t->root, r))
		print_node(r, out, ctx);
}
