/*
 * exercise.c - the invariants every input must keep (see exercise.h).
 */
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "exercise.h"
#include "mapparse.h"
#include "memlayout.h"
#include "plan.h"
#include "report.h"
#include "svg.h"

#define WHY_LEN 200
/*
 * Above this much RAM the plan without 1 GiB pages is skipped: dmap_plan
 * visits every 2 MiB leaf (32M of them for 64 TiB), which is right but
 * takes seconds under coverage instrumentation and would stall fuzzing.
 */
#define NO_1G_PLAN_MAX_RAM TiB

/* The clean map's promises (memmap.h). */
static int check_clean(const struct memmap *m, char *why)
{
	for (size_t i = 0; i < m->count; i++) {
		const struct mem_entry *e = &m->entries[i];
		if (e->start >= e->end || !IS_ALIGNED(e->start, PAGE_SIZE) ||
		    !IS_ALIGNED(e->end, PAGE_SIZE) || e->end > PHYS_ADDR_LIMIT) {
			snprintf(why, WHY_LEN, "clean entry %zu [%#llx, %#llx) empty, unaligned "
				 "or past 2^52", i, (unsigned long long)e->start,
				 (unsigned long long)e->end);
			return -1;
		}
		if (i == 0)
			continue;
		const struct mem_entry *p = &m->entries[i - 1];
		if (p->end > e->start) {
			snprintf(why, WHY_LEN, "clean entries %zu and %zu overlap or are unsorted",
				 i - 1, i);
			return -1;
		}
		if (p->end == e->start && p->type == e->type && p->attr == e->attr) {
			snprintf(why, WHY_LEN, "clean entries %zu and %zu should have merged", i - 1, i);
			return -1;
		}
	}
	return 0;
}

/*
 * What the frame allocator manages of a clean map, counted here apart
 * from mm/frame.c (frame.h, WHAT IS MANAGED): RAM other than ACPI reclaim,
 * without EFI_MEMORY_RUNTIME, below the limit, outside the reservations
 * (the plan's: a kernel dump's list, else the first MiB). Reservations
 * may overlap, so this gives bounds: at most the frames before taking
 * reservations out, at least that minus every reservation's overlap.
 * Regions are runs of such entries, cut at 4 GiB and at reservations.
 */
struct managed {
	uint64_t min_frames, max_frames, max_regions;
};

static struct managed count_managed(const struct memmap *m, const struct parsed_map *src)
{
	static const struct frame_reservation lowmem = { 0, FRAME_LOWMEM_END, FRAME_RES_LOWMEM, 0 };
	const struct frame_reservation *res = &lowmem;
	size_t nres = 1;
	paddr_t limit = DMAP_MAX_PHYS, run_end = 0;
	struct managed n = { 0, 0, 0 };
	uint64_t taken = 0;

	if (src && src->has_frame_inputs) {
		res = src->frame_res;
		nres = src->frame_res_count;
		limit = src->frame_limit && src->frame_limit < PHYS_ADDR_LIMIT ? src->frame_limit
									       : PHYS_ADDR_LIMIT;
	}
	for (size_t i = 0; i < m->count; i++) {
		const struct mem_entry *e = &m->entries[i];
		if (!mem_type_is_ram(e->type) || e->type == EFI_ACPI_RECLAIM ||
		    (e->attr & EFI_MEMORY_RUNTIME) || e->start >= limit)
			continue;
		paddr_t end = MIN(e->end, limit);
		n.max_frames += (end - e->start) / PAGE_SIZE;
		for (size_t k = 0; k < nres; k++) {
			paddr_t lo = MAX(e->start, ALIGN_DOWN(res[k].start, PAGE_SIZE));
			paddr_t hi = MIN(end, ALIGN_UP(MIN(res[k].end, PHYS_ADDR_LIMIT), PAGE_SIZE));
			if (lo < hi)
				taken += (hi - lo) / PAGE_SIZE;
		}
		if (n.max_regions == 0 || e->start != run_end || e->start == 4 * GiB)
			n.max_regions++;
		if (e->start < 4 * GiB && end > 4 * GiB)
			n.max_regions++;
		run_end = end;
	}
	n.min_frames = n.max_frames > taken ? n.max_frames - taken : 0;
	n.max_regions += nres;
	return n;
}

/*
 * Bounds on the allocator's metadata for @n (frame.h, DESIGN): at least
 * one bit per managed frame; at most that, plus the tree above it (fewer
 * than 20 words per 4096 frames), plus per region its descriptor, the two
 * edge nodes of each level and the summary bits (generously 4 KiB).
 */
static bool meta_in_bounds(uint64_t bytes, struct managed n)
{
	uint64_t low = n.min_frames / 64 * 8;
	uint64_t high = n.max_frames / 8 + n.max_frames / 4096 * 20 * 8 +
			(n.max_regions + 1) * 4 * KiB;

	if (n.max_frames == 0)
		return bytes == 0;
	return bytes >= low && bytes <= high && (n.min_frames == 0 || bytes > 0);
}

/*
 * Build the real allocator from the plan's inputs, as the kernel would,
 * with its metadata in a private buffer, and check it used exactly the
 * plan's figure and manages a frame count within the bounds above. Plans
 * needing more than the buffer are left to the bounds.
 */
#define REAL_META_MAX (4 * MiB)

static uint64_t real_meta[REAL_META_MAX / 8];

static void *real_meta_map(struct frame_mem *m, paddr_t pa, uint64_t size)
{
	return size <= sizeof(real_meta) ? real_meta : NULL;
}

static int check_real_allocator(const struct analysis *a, const struct plan *p,
				struct managed n, char *why)
{
	static struct frame_alloc fa;
	static struct frame_mem mem = { .map = real_meta_map };
	struct frame_config cfg;
	struct frame_stats st;

	if (p->alloc_meta_bytes + PAGE_SIZE > REAL_META_MAX)
		return 0;
	plan_frame_config(&a->clean, a->map, &cfg);
	cfg.mem = &mem;
	int r = frame_init(&fa, &cfg);
	if (r == E_NOMEM)   /* no region holds the metadata: nothing to compare */
		return 0;
	frame_get_stats(&fa, &st);
	if (r != E_OK || st.meta_bytes != p->alloc_meta_bytes ||
	    st.managed + st.reserved[FRAME_RES_METADATA] < n.min_frames ||
	    st.managed + st.reserved[FRAME_RES_METADATA] > n.max_frames) {
		snprintf(why, WHY_LEN, "frame_init (%s) used %llu bytes of metadata, the plan says "
			 "%llu; manages %llu frames, bounds %llu to %llu", status_name(r),
			 (unsigned long long)st.meta_bytes, (unsigned long long)p->alloc_meta_bytes,
			 (unsigned long long)st.managed, (unsigned long long)n.min_frames,
			 (unsigned long long)n.max_frames);
		return -1;
	}
	return 0;
}

/* The plan's numbers must add up. */
static int check_plan(const struct analysis *a, const struct plan *p, char *why)
{
	const struct dmap_stats *d = &p->dm;
	uint64_t leaves = d->pages_4k * PAGE_SIZE + d->pages_2m * PAGE_SIZE_2M +
			  d->pages_1g * PAGE_SIZE_1G;
	struct managed n = count_managed(&a->clean, a->map);

	if (d->ram_bytes + d->skipped_bytes != a->ram_bytes || leaves != d->ram_bytes ||
	    (!p->has_1g && d->pages_1g) || p->window_chunks != plan_window_chunks(d->tables) ||
	    (d->ram_bytes && !d->tables)) {
		snprintf(why, WHY_LEN, "plan does not add up: ram %llu mapped %llu skipped %llu "
			 "leaves %llu tables %llu", (unsigned long long)a->ram_bytes,
			 (unsigned long long)d->ram_bytes, (unsigned long long)d->skipped_bytes,
			 (unsigned long long)leaves, (unsigned long long)d->tables);
		return -1;
	}
	if (!meta_in_bounds(p->alloc_meta_bytes, n)) {
		snprintf(why, WHY_LEN, "allocator metadata %llu bytes out of bounds for %llu to %llu "
			 "managed frames in at most %llu regions (RAM %llu bytes)",
			 (unsigned long long)p->alloc_meta_bytes, (unsigned long long)n.min_frames,
			 (unsigned long long)n.max_frames, (unsigned long long)n.max_regions,
			 (unsigned long long)a->ram_bytes);
		return -1;
	}
	return check_real_allocator(a, p, n, why);
}

static int exercise_map(const struct map_file *mf, size_t i, FILE *sink, char *why)
{
	struct analysis a;
	struct plan p;
	char err[WHY_LEN];
	int r = 0;

	if (analyze_map(&a, mf, i, err, sizeof(err)) < 0) {
		analysis_free(&a);
		snprintf(why, WHY_LEN, "analysis failed: %.150s", err);
		return strstr(err, "out of memory") ? 0 : -1;
	}
	r = check_clean(&a.clean, why);
	report_show(sink, "fuzz", &a, OUT_TEXT);
	report_show(sink, "fuzz", &a, OUT_JSON);
	svg_write(sink, "fuzz", &a);
	int first = a.ram_bytes > NO_1G_PLAN_MAX_RAM;
	for (int has_1g = first; has_1g < 2 && r == 0; has_1g++) {
		plan_make(&a.clean, a.map, has_1g, &p);
		r = check_plan(&a, &p, why);
		report_plan(sink, "fuzz", &a, &p, has_1g ? OUT_TEXT : OUT_JSON);
	}
	analysis_free(&a);
	return r;
}

int mapfile_exercise(const void *data, size_t len, FILE *sink, char *why)
{
	struct map_file mf;
	struct parse_error e;
	int r = 0;

	why[0] = '\0';
	if (mapfile_parse(&mf, data, len, &e) < 0) {
		if (e.msg[0] == '\0' || mf.count != 0) {
			snprintf(why, WHY_LEN, "refused without a message, or with maps left");
			return -1;
		}
		return 0;
	}
	if (mf.count == 0 || mapfile_default(&mf) >= mf.count) {
		snprintf(why, WHY_LEN, "parsed but no usable map");
		r = -1;
	}
	for (size_t i = 0; i < mf.count && r == 0; i++)
		r = exercise_map(&mf, i, sink, why);
	mapfile_free(&mf);
	return r;
}
