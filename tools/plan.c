/*
 * plan.c - the numbers behind `carto-memmap plan`.
 */
#include <string.h>

#include "memlayout.h"
#include "frame.h"
#include "plan.h"

/*
 * next_ram_run - the next run of adjacent RAM entries at or after entry
 * *i, as [*start, *end). Advances *i past it; false when no RAM is left.
 */
static bool next_ram_run(const struct memmap *m, size_t *i, paddr_t *start,
			 paddr_t *end)
{
	size_t k = *i;

	while (k < m->count && !mem_type_is_ram(m->entries[k].type))
		k++;
	if (k == m->count) {
		*i = k;
		return false;
	}
	*start = m->entries[k].start;
	*end = m->entries[k].end;
	for (k++; k < m->count && mem_type_is_ram(m->entries[k].type) &&
		  m->entries[k].start == *end; k++)
		*end = m->entries[k].end;
	*i = k;
	return true;
}

uint64_t plan_ram_runs(const struct memmap *m)
{
	paddr_t s, e;
	size_t i = 0;
	uint64_t n = 0;

	while (next_ram_run(m, &i, &s, &e))
		n++;
	return n;
}

void plan_frame_config(const struct memmap *m, const struct parsed_map *src,
		       struct frame_config *cfg)
{
	static const struct frame_reservation lowmem = { 0, FRAME_LOWMEM_END, FRAME_RES_LOWMEM, 0 };

	*cfg = (struct frame_config){ .map = m, .res = &lowmem, .res_count = 1,
				      .limit = DMAP_MAX_PHYS };
	if (src && src->has_frame_inputs) {
		cfg->res = src->frame_res;
		cfg->res_count = src->frame_res_count;
		cfg->limit = src->frame_limit;
	}
}

uint64_t plan_alloc_meta_bytes(const struct memmap *m, const struct parsed_map *src)
{
	struct frame_config cfg;

	plan_frame_config(m, src, &cfg);
	return frame_meta_bytes(&cfg);
}

uint64_t plan_window_chunks(uint64_t tables)
{
	uint64_t frames_per_chunk = PT_POOL_CHUNK / PAGE_SIZE;
	return tables / frames_per_chunk + (tables % frames_per_chunk != 0);
}

void plan_make(const struct memmap *m, const struct parsed_map *src, bool has_1g,
	       struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->has_1g = has_1g;
	dmap_plan(m, has_1g, DMAP_MAX_PHYS, &p->dm);
	p->ram_runs = plan_ram_runs(m);
	p->table_bytes = p->dm.tables * PAGE_SIZE;
	p->window_chunks = plan_window_chunks(p->dm.tables);
	p->window_bytes = p->window_chunks * PT_POOL_CHUNK;
	p->alloc_meta_bytes = plan_alloc_meta_bytes(m, src);
	p->meta_from_kernel = src && src->has_frame_inputs;
}
