/*
 * dmap.c - the direct map: RAM runs cut into the largest leaves that fit.
 *
 * dmap_walk() is shared by the planner and the builder: it joins adjacent
 * RAM entries into runs, clips them at DMAP_MAX_PHYS, cuts each run into
 * leaves with dmap_leaf_level() and hands every leaf to a visitor. The
 * planner's visitor counts page-table frames; the builder's maps the leaf.
 * Since both see the same leaves, the plan is what gets built.
 */
#include "dmap.h"
#include "lib.h"

#define DMAP_FLAGS (MAP_WRITE | MAP_GLOBAL | MAP_CACHE(CACHE_WB))   /* RW, NX, WB */

paddr_t dmap_limit = DMAP_MAX_PHYS;

/* Called for each batch of @count consecutive leaves of one level starting
 * at @pa, in increasing address order. */
typedef int (*dmap_visit_fn)(void *ctx, paddr_t pa, unsigned level, uint64_t count);

/*
 * dmap_next_run - the next run of RAM at or after entry *i: RAM entries
 * (any RAM type) joined while each starts where the previous one ended.
 * Advances *i past the run. Returns false when no RAM is left.
 */
static bool dmap_next_run(const struct memmap *map, size_t *i, struct range *run)
{
	size_t k = *i;

	while (k < map->count && !mem_type_is_ram(map->entries[k].type))
		k++;
	if (k == map->count) {
		*i = k;
		return false;
	}
	run->start = map->entries[k].start;
	run->end = map->entries[k].end;
	for (k++; k < map->count; k++) {
		const struct mem_entry *e = &map->entries[k];
		if (!mem_type_is_ram(e->type) || e->start != run->end)
			break;
		run->end = e->end;
	}
	*i = k;
	return true;
}

/*
 * dmap_leaf_level - the leaf that maps pa next in a run ending at end: the
 * largest size whose block at pa is aligned (physically, and so in the
 * direct map, whose base is 1 GiB aligned) and lies wholly inside the run;
 * 1 GiB only if has_1g. Called for every leaf: no conversion in here.
 */
_Static_assert(IS_ALIGNED(DMAP_BASE, PAGE_SIZE_1G), "direct-map leaves align like their pa");
static unsigned dmap_leaf_level(paddr_t pa, paddr_t end, bool has_1g)
{
	unsigned level = has_1g ? PT_LEVEL_1G : PT_LEVEL_2M;

	for (; level > PT_LEVEL_4K; level--) {
		uint64_t leaf = PT_LEVEL_SIZE(level);
		if (IS_ALIGNED(pa, leaf) && end - pa >= leaf)
			return level;
	}
	return PT_LEVEL_4K;
}

/* Count @count leaves of the given level in st. */
static void dmap_count_leaves(struct dmap_stats *st, unsigned level, uint64_t count)
{
	switch (level) {
	case PT_LEVEL_1G: st->pages_1g += count; break;
	case PT_LEVEL_2M: st->pages_2m += count; break;
	default:          st->pages_4k += count; break;
	}
	st->ram_bytes += count * PT_LEVEL_SIZE(level);
}

/*
 * dmap_walk - cut every RAM run of map below limit (at most DMAP_MAX_PHYS) into leaves and
 * call visit for each; fills st's page and byte counts (not tables). RAM
 * at or above the limit is counted in skipped_bytes. Runs are shrunk to
 * whole pages (a clean map has nothing to shrink). Stops at the first
 * visitor error and returns it, else E_OK; st then counts the batches
 * visited successfully before it.
 */
static int dmap_walk(const struct memmap *map, bool has_1g, paddr_t limit, dmap_visit_fn visit,
		     void *ctx, struct dmap_stats *st)
{
	struct range run;
	size_t i = 0;

	limit = MIN(limit, DMAP_MAX_PHYS);
	memset(st, 0, sizeof(*st));
	while (dmap_next_run(map, &i, &run)) {
		paddr_t start = ALIGN_UP(run.start, PAGE_SIZE);
		paddr_t end = ALIGN_DOWN(run.end, PAGE_SIZE);
		if (end <= start)
			continue;
		if (end > limit) {
			st->skipped_bytes += end - MAX(start, limit);
			end = MAX(start, limit);
		}
		for (paddr_t pa = start; pa < end; ) {
			/* A batch: leaves of one level, back to back. */
			unsigned level = dmap_leaf_level(pa, end, has_1g);
			paddr_t first = pa;
			uint64_t count = 0;
			do {
				pa += PT_LEVEL_SIZE(level);
				count++;
			} while (pa < end && dmap_leaf_level(pa, end, has_1g) == level);
			int r = visit(ctx, first, level, count);
			if (r != E_OK)
				return r;
			dmap_count_leaves(st, level, count);
		}
	}
	return E_OK;
}

/* The planner's state: the last table seen at each level. Leaves arrive in
 * increasing address order, so a table is new exactly when its index
 * differs from the last one seen at its level. */
struct dmap_plan_ctx {
	bool seen[PT_LEVELS + 1];
	uint64_t last[PT_LEVELS + 1];   /* last[l]: which level-l table, by va */
	uint64_t tables;
};

/* Count the tables below the root that a leaf at pa, level needs. */
static int dmap_plan_visit(void *ctx, paddr_t pa, unsigned level, uint64_t count)
{
	struct dmap_plan_ctx *c = ctx;

	for (uint64_t k = 0; k < count; k++) {
		vaddr_t va = phys_to_dmap(pa + k * PT_LEVEL_SIZE(level));
		for (unsigned l = level; l < PT_LEVELS; l++) {
			uint64_t table = va >> PT_LEVEL_SHIFT(l + 1);
			if (!c->seen[l] || c->last[l] != table) {
				c->seen[l] = true;
				c->last[l] = table;
				c->tables++;
			}
		}
	}
	return E_OK;
}

void dmap_plan(const struct memmap *map, bool has_1g, paddr_t limit, struct dmap_stats *st)
{
	struct dmap_plan_ctx c;

	memset(&c, 0, sizeof(c));
	dmap_walk(map, has_1g, limit, dmap_plan_visit, &c, st);
	st->tables = c.tables;
}

/* Map one batch with one pt_map call. pt_map picks exactly this level for
 * every leaf: it chooses, like dmap_leaf_level, the largest leaf that the
 * alignment and the remaining length allow, and within a batch of level-L
 * leaves no larger leaf fits (else dmap_leaf_level would have chosen it).
 * The tests check that what is built equals the plan. */
static int dmap_build_visit(void *ctx, paddr_t pa, unsigned level, uint64_t count)
{
	struct pt_space *as = ctx;

	return pt_map(as, phys_to_dmap(pa), pa, count * PT_LEVEL_SIZE(level), DMAP_FLAGS);
}

int dmap_build(struct pt_space *as, const struct memmap *map, paddr_t limit,
	       struct dmap_stats *st)
{
	struct dmap_stats local;
	uint64_t tables_before = as->tables;

	if (!st)
		st = &local;
	int r = dmap_walk(map, as->has_1g, limit, dmap_build_visit, as, st);
	st->tables = as->tables - tables_before;
	return r;
}

/* The number at s[0..len) with a K, M, G or T suffix, in bytes; false if
 * it is not one or overflows. */
static bool parse_size(const char *s, size_t len, uint64_t *bytes)
{
	static const char units[] = "KMGT";
	uint64_t v = 0;
	size_t i = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || i + 1 != len)
		return false;
	for (unsigned u = 0; units[u]; u++)
		if (s[i] == units[u]) {
			unsigned shift = 10 * (u + 1);
			if (v > (UINT64_MAX >> shift))
				return false;
			*bytes = v << shift;
			return true;
		}
	return false;
}

/* True if s[0..len) is exactly the string w. */
static bool word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && memcmp(s, w, len) == 0;
}

int dmap_parse_addressing(const char *value, size_t len, paddr_t *limit)
{
	static const char prefix[] = "direct:";
	const size_t plen = sizeof(prefix) - 1;
	uint64_t bytes;

	*limit = DMAP_MAX_PHYS;
	if (!value || word_is(value, len, "direct"))
		return E_OK;
	if (word_is(value, len, "explicit")) {
		*limit = 0;
		return E_OK;
	}
	if (len > plen && memcmp(value, prefix, plen) == 0 &&
	    parse_size(value + plen, len - plen, &bytes) && bytes >= PAGE_SIZE_2M) {
		*limit = MIN(ALIGN_DOWN(bytes, PAGE_SIZE_2M), DMAP_MAX_PHYS);
		return E_OK;
	}
	return E_INVAL;
}
