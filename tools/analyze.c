/*
 * analyze.c - run memmap_from_efi on one parsed map and total the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "status.h"

static void collect_warning(void *ctx, const struct memmap_warning *w)
{
	struct analysis *a = ctx;

	if (a->warning_count == AN_MAX_WARNINGS) {
		a->warnings_dropped++;
		return;
	}
	if (a->warning_count == a->warning_cap) {
		size_t cap = a->warning_cap ? 2 * a->warning_cap : 16;
		struct an_warning *n = realloc(a->warnings, cap * sizeof(*n));
		if (!n) {
			a->warnings_dropped++;
			return;
		}
		a->warnings = n;
		a->warning_cap = cap;
	}
	struct an_warning *aw = &a->warnings[a->warning_count++];
	aw->w = *w;
	aw->line = w->index < a->map->count ? a->map->descs[w->index].line : 0;
}

/* Add bytes of type to the sorted totals list. Returns 0 or -1 (no memory). */
static int add_total(struct analysis *a, uint32_t type, uint64_t bytes)
{
	size_t i = 0;

	while (i < a->total_count && a->totals[i].type < type)
		i++;
	if (i < a->total_count && a->totals[i].type == type) {
		a->totals[i].bytes += bytes;
		return 0;
	}
	struct type_total *n = realloc(a->totals, (a->total_count + 1) * sizeof(*n));
	if (!n)
		return -1;
	a->totals = n;
	memmove(&n[i + 1], &n[i], (a->total_count - i) * sizeof(*n));
	n[i].type = type;
	n[i].bytes = bytes;
	a->total_count++;
	return 0;
}

static int total_up(struct analysis *a)
{
	for (size_t i = 0; i < a->clean.count; i++) {
		const struct mem_entry *e = &a->clean.entries[i];
		if (add_total(a, e->type, e->end - e->start) < 0)
			return -1;
	}
	a->ram_bytes = memmap_ram_bytes(&a->clean);
	a->all_bytes = 0;
	for (size_t i = 0; i < a->total_count; i++)
		a->all_bytes += a->totals[i].bytes;
	return 0;
}

int analyze_map(struct analysis *a, const struct map_file *mf, size_t index,
		char *err, size_t err_len)
{
	const struct parsed_map *m = &mf->maps[index];
	struct efi_mem_desc *buf = NULL;
	int st;

	memset(a, 0, sizeof(*a));
	a->file = mf;
	a->map = m;
	a->map_index = index;
	if (m->count > 0) {
		buf = malloc(m->count * sizeof(*buf));
		a->clean.entries = malloc(2 * m->count * sizeof(*a->clean.entries));
		if (!buf || !a->clean.entries) {
			free(buf);
			snprintf(err, err_len, "out of memory");
			return -1;
		}
		a->clean.capacity = 2 * m->count;
		for (size_t i = 0; i < m->count; i++)
			buf[i] = m->descs[i].d;
	}
	st = memmap_from_efi(&a->clean, buf, m->count * sizeof(*buf), sizeof(*buf),
			     collect_warning, a);
	free(buf);
	if (st != E_OK) {
		snprintf(err, err_len, "memmap_from_efi refused the map: %s", status_name(st));
		return -1;
	}
	if (total_up(a) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	return 0;
}

void analysis_free(struct analysis *a)
{
	free(a->clean.entries);
	free(a->warnings);
	free(a->totals);
	memset(a, 0, sizeof(*a));
}

const char *an_consequence(const struct memmap_warning *w)
{
	switch (w->problem) {
	case MEMMAP_ZERO_LENGTH:
	case MEMMAP_OVERFLOW:
		return "dropped";
	case MEMMAP_ABOVE_LIMIT:
		return "dropped, or clipped at 2^52 if not RAM";
	case MEMMAP_UNALIGNED:
		return "rounded to pages (RAM inward, the rest outward)";
	case MEMMAP_UNKNOWN_TYPE:
		return "kept, treated as reserved (never mapped)";
	case MEMMAP_UNKNOWN_ATTR:
		return "kept";
	case MEMMAP_OVERLAP:
		return "the more restrictive type wins where they overlap";
	}
	return "?";
}
