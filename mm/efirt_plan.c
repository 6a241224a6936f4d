/*
 * efirt_plan.c - the EFI runtime regions' mapping plan (see efirt_plan.h).
 */
#include "efirt_plan.h"
#include "lib.h"
#include "memlayout.h"

struct ctx {
	struct efirt_plan *plan;
	efirt_warn_fn warn;
	void *wctx;
	paddr_t max_phys;
};

/* A checked MAT entry: [pa, end) with the MAP_* it allows. */
struct mat_entry {
	paddr_t pa, end;
	uint32_t type;
	uint32_t index;
	uint64_t attr;
};

static void warn(struct ctx *c, enum efirt_problem p, uint32_t index, paddr_t s, paddr_t e)
{
	if (c->warn)
		c->warn(c->wctx, p, index, s, e);
}

static const char *const problem_names[EFIRT_PROBLEM_COUNT] = {
	[EFIRT_MAP_DESC_SIZE] = "memory map descriptor size or map size is wrong",
	[EFIRT_MAP_DESC_VERSION] = "memory map descriptor version is not 1",
	[EFIRT_MAP_EMPTY] = "runtime descriptor of 0 pages",
	[EFIRT_MAP_UNALIGNED] = "runtime descriptor not page aligned",
	[EFIRT_MAP_WRAPS] = "runtime descriptor wraps past 2^64",
	[EFIRT_MAP_TOO_HIGH] = "runtime descriptor beyond the mappable physical range",
	[EFIRT_MAP_OVERLAP] = "runtime descriptors overlap",
	[EFIRT_MAP_TOO_MANY] = "too many runtime descriptors",
	[EFIRT_MAT_HEADER] = "Memory Attributes Table header is wrong",
	[EFIRT_MAT_ENTRY] = "Memory Attributes Table entry empty, unaligned or wrapping",
	[EFIRT_MAT_TYPE] = "Memory Attributes Table entry neither runtime code nor data",
	[EFIRT_MAT_OUTSIDE] = "Memory Attributes Table entry outside the runtime code/data of the map",
	[EFIRT_MAT_OVERLAP] = "Memory Attributes Table entries overlap",
	[EFIRT_MAT_WX] = "Memory Attributes Table entry asks for write+execute: mapped as its type allows",
	[EFIRT_NOT_COVERED] = "runtime code/data not described by the Memory Attributes Table: mapped by type",
};

const char *efirt_problem_name(enum efirt_problem p)
{
	return (unsigned)p < EFIRT_PROBLEM_COUNT && problem_names[p] ? problem_names[p] : "?";
}

bool efirt_problem_drops_mat(enum efirt_problem p)
{
	return p >= EFIRT_MAT_HEADER && p <= EFIRT_MAT_OVERLAP;
}

static bool is_code_or_data(uint32_t type)
{
	return type == EFI_RT_CODE || type == EFI_RT_DATA;
}

/* Check the range of @pages pages at @pa: true, or false with the problem
 * in *p (for a MAT entry every such problem is EFIRT_MAT_ENTRY). */
static bool range_ok(paddr_t pa, uint64_t pages, paddr_t max_phys, bool mat, enum efirt_problem *p)
{
	if (pages == 0)
		*p = EFIRT_MAP_EMPTY;
	else if (!IS_ALIGNED(pa, PAGE_SIZE))
		*p = EFIRT_MAP_UNALIGNED;
	else if (pages > (UINT64_MAX >> PAGE_SHIFT) || pa + (pages << PAGE_SHIFT) < pa)
		*p = EFIRT_MAP_WRAPS;
	else if (max_phys && pa + (pages << PAGE_SHIFT) > max_phys)
		*p = EFIRT_MAP_TOO_HIGH;
	else
		return true;
	if (mat)
		*p = EFIRT_MAT_ENTRY;
	return false;
}

/* Insert @d into the sorted runtime descriptor list. */
static void insert_desc(struct efirt_plan *plan, const struct efirt_desc *d)
{
	uint32_t i = plan->descs++;

	while (i > 0 && plan->desc[i - 1].pa > d->pa) {
		plan->desc[i] = plan->desc[i - 1];
		i--;
	}
	plan->desc[i] = *d;
}

/* Collect, check and sort the runtime descriptors. */
static int read_map(struct ctx *c, const uint8_t *map, size_t map_size, size_t desc_size,
		    uint32_t desc_version)
{
	struct efirt_plan *plan = c->plan;
	enum efirt_problem p;

	if (desc_size < sizeof(struct efi_mem_desc) || desc_size % 8 || map_size % desc_size ||
	    (map_size && !map)) {
		warn(c, EFIRT_MAP_DESC_SIZE, 0, 0, 0);
		return E_INVAL;
	}
	if (desc_version != EFI_MEMORY_DESCRIPTOR_VERSION) {
		warn(c, EFIRT_MAP_DESC_VERSION, 0, 0, 0);
		return E_INVAL;
	}
	for (size_t i = 0; i < map_size / desc_size; i++) {
		struct efi_mem_desc d;

		memcpy(&d, map + i * desc_size, sizeof(d));
		if (!(d.attr & EFI_MEMORY_RUNTIME))
			continue;
		if (!range_ok(d.phys_start, d.num_pages, c->max_phys, false, &p)) {
			warn(c, p, (uint32_t)i, d.phys_start, d.phys_start + d.num_pages * PAGE_SIZE);
			return E_INVAL;
		}
		if (plan->descs == EFIRT_MAX_DESCS) {
			warn(c, EFIRT_MAP_TOO_MANY, (uint32_t)i, d.phys_start, 0);
			return E_INVAL;
		}
		insert_desc(plan, &(struct efirt_desc){ d.phys_start,
			    d.phys_start + (d.num_pages << PAGE_SHIFT), d.type, (uint32_t)i, d.attr });
	}
	for (uint32_t i = 1; i < plan->descs; i++)
		if (plan->desc[i].pa < plan->desc[i - 1].end) {
			warn(c, EFIRT_MAP_OVERLAP, plan->desc[i].index, plan->desc[i].pa,
			     plan->desc[i - 1].end);
			return E_INVAL;
		}
	return E_OK;
}

/* The runtime descriptor containing [pa, end) wholly, or NULL. */
static const struct efirt_desc *desc_holding(const struct efirt_plan *plan, paddr_t pa, paddr_t end)
{
	for (uint32_t i = 0; i < plan->descs; i++)
		if (plan->desc[i].pa <= pa && end <= plan->desc[i].end)
			return &plan->desc[i];
	return NULL;
}

static void insert_mat(struct mat_entry *m, uint32_t n, const struct mat_entry *e)
{
	uint32_t i = n;

	while (i > 0 && m[i - 1].pa > e->pa) {
		m[i] = m[i - 1];
		i--;
	}
	m[i] = *e;
}

/* Check the MAT and sort its entries into @m; returns the entry count, or
 * -1 after reporting why the MAT is not used. */
static int read_mat(struct ctx *c, const uint8_t *mat, size_t mat_size, struct mat_entry *m)
{
	struct efi_mat_header h;
	enum efirt_problem p;
	uint32_t n = 0;

	if (mat_size < sizeof(h)) {
		warn(c, EFIRT_MAT_HEADER, 0, 0, 0);
		return -1;
	}
	memcpy(&h, mat, sizeof(h));
	if (h.version < EFI_MAT_VERSION_MIN || h.version > EFI_MAT_VERSION_MAX ||
	    h.desc_size < sizeof(struct efi_mem_desc) || h.desc_size % 8 ||
	    h.entries > EFIRT_MAX_MAT || sizeof(h) + (uint64_t)h.entries * h.desc_size > mat_size) {
		warn(c, EFIRT_MAT_HEADER, 0, 0, 0);
		return -1;
	}
	for (uint32_t i = 0; i < h.entries; i++) {
		struct efi_mem_desc d;
		paddr_t end;

		memcpy(&d, mat + sizeof(h) + (size_t)i * h.desc_size, sizeof(d));
		if (!range_ok(d.phys_start, d.num_pages, 0, true, &p)) {
			warn(c, p, i, d.phys_start, 0);
			return -1;
		}
		end = d.phys_start + (d.num_pages << PAGE_SHIFT);
		if (!is_code_or_data(d.type)) {
			warn(c, EFIRT_MAT_TYPE, i, d.phys_start, end);
			return -1;
		}
		const struct efirt_desc *in = desc_holding(c->plan, d.phys_start, end);
		if (!in || !is_code_or_data(in->type)) {
			warn(c, EFIRT_MAT_OUTSIDE, i, d.phys_start, end);
			return -1;
		}
		insert_mat(m, n++, &(struct mat_entry){ d.phys_start, end, d.type, i, d.attr });
	}
	for (uint32_t i = 1; i < n; i++)
		if (m[i].pa < m[i - 1].end) {
			warn(c, EFIRT_MAT_OVERLAP, m[i].index, m[i].pa, m[i - 1].end);
			return -1;
		}
	return (int)n;
}

/* MAP_* for memory of EFI @type with attributes @attr, by type alone. */
static uint32_t flags_by_type(uint32_t type, uint64_t attr)
{
	bool mmio = type == EFI_MMIO || type == EFI_MMIO_PORT;
	uint32_t f = type == EFI_RT_CODE ? MAP_EXEC : MAP_WRITE;

	f |= MAP_CACHE(!mmio && (attr & EFI_MEMORY_WB) ? CACHE_WB : CACHE_UC);
	return f;
}

/* Take away what the descriptor's own RO / XP attributes forbid. */
static uint32_t restrict_by_attr(uint32_t f, uint64_t attr)
{
	if (attr & EFI_MEMORY_RO)
		f &= ~MAP_WRITE;
	if (attr & EFI_MEMORY_XP)
		f &= ~MAP_EXEC;
	return f;
}

static int add_piece(struct ctx *c, const struct efirt_desc *d, paddr_t pa, paddr_t end,
		     uint32_t flags, bool from_mat)
{
	struct efirt_plan *plan = c->plan;

	if (pa == end)
		return E_OK;
	if (plan->count == EFIRT_MAX_PIECES)
		return E_NOSPC;
	plan->piece[plan->count++] = (struct efirt_piece){
		.pa = pa, .va = plan->base + pa, .size = end - pa, .type = d->type,
		.flags = restrict_by_attr(flags, d->attr), .desc = d->index, .from_mat = from_mat };
	return E_OK;
}

/* The MAP_* a MAT entry allows; W+X is never granted. */
static uint32_t flags_by_mat(struct ctx *c, const struct efirt_desc *d, const struct mat_entry *e)
{
	uint32_t cache = flags_by_type(d->type, d->attr) & MAP_CACHE_MASK;
	uint32_t f = cache;

	if (!(e->attr & EFI_MEMORY_RO))
		f |= MAP_WRITE;
	if (!(e->attr & EFI_MEMORY_XP))
		f |= MAP_EXEC;
	if ((f & MAP_WRITE) && (f & MAP_EXEC)) {
		warn(c, EFIRT_MAT_WX, e->index, e->pa, e->end);
		f = flags_by_type(e->type, d->attr);
	}
	return f;
}

/* Pieces of runtime code/data descriptor @d along the MAT entries. */
static int cut_by_mat(struct ctx *c, const struct efirt_desc *d, const struct mat_entry *m, int n)
{
	paddr_t at = d->pa;
	int st;

	for (int i = 0; i < n; i++) {
		if (m[i].end <= d->pa || m[i].pa >= d->end)
			continue;
		if (m[i].pa > at) {
			warn(c, EFIRT_NOT_COVERED, d->index, at, m[i].pa);
			if ((st = add_piece(c, d, at, m[i].pa, flags_by_type(d->type, d->attr), false)))
				return st;
		}
		if ((st = add_piece(c, d, m[i].pa, m[i].end, flags_by_mat(c, d, &m[i]), true)))
			return st;
		at = m[i].end;
	}
	if (at < d->end) {
		warn(c, EFIRT_NOT_COVERED, d->index, at, d->end);
		return add_piece(c, d, at, d->end, flags_by_type(d->type, d->attr), false);
	}
	return E_OK;
}

int efirt_plan_build(struct efirt_plan *plan, const void *map, size_t map_size,
		     size_t desc_size, uint32_t desc_version, const void *mat, size_t mat_size,
		     vaddr_t base, paddr_t max_phys, efirt_warn_fn warn_fn, void *wctx)
{
	static struct mat_entry m[EFIRT_MAX_MAT];   /* one CPU; too big for a kernel stack */
	struct ctx c = { plan, warn_fn, wctx, max_phys };
	int n = -1, st;

	plan->count = plan->descs = 0;
	plan->mat_used = false;
	plan->base = base;
	st = read_map(&c, map, map_size, desc_size, desc_version);
	if (st != E_OK) {
		plan->descs = 0;
		return st;
	}
	if (mat)
		n = read_mat(&c, mat, mat_size, m);
	plan->mat_used = n >= 0;
	for (uint32_t i = 0; i < plan->descs && st == E_OK; i++) {
		const struct efirt_desc *d = &plan->desc[i];
		if (plan->mat_used && is_code_or_data(d->type))
			st = cut_by_mat(&c, d, m, n);
		else
			st = add_piece(&c, d, d->pa, d->end, flags_by_type(d->type, d->attr), false);
	}
	if (st != E_OK)
		plan->count = plan->descs = 0;
	return st;
}

const struct efirt_piece *efirt_plan_find(const struct efirt_plan *plan, paddr_t pa)
{
	for (uint32_t i = 0; i < plan->count; i++)
		if (pa >= plan->piece[i].pa && pa - plan->piece[i].pa < plan->piece[i].size)
			return &plan->piece[i];
	return NULL;
}

const struct efirt_piece *efirt_plan_find_va(const struct efirt_plan *plan, vaddr_t va)
{
	return va >= plan->base ? efirt_plan_find(plan, va - plan->base) : NULL;
}
