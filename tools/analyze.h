/*
 * analyze.h - one parsed map, cleaned the way Carto's loader cleans it.
 *
 * analyze_map() hands the descriptors of one map to memmap_from_efi() (the
 * same mm/ code the loader runs, never a copy of it), keeps every warning
 * it reports together with the source line of the descriptor concerned,
 * and totals the clean map per type.
 */
#ifndef CARTO_ANALYZE_H
#define CARTO_ANALYZE_H

#include "mapparse.h"
#include "memmap.h"

/* A memmap_from_efi warning and the line its descriptor came from. */
struct an_warning {
	struct memmap_warning w;
	unsigned line;               /* 0 if not known */
};

struct type_total {
	uint32_t type;
	uint64_t bytes;
};

/* Warnings kept per analysis; past this they are only counted (n
 * overlapping descriptors make n*(n-1)/2 overlap reports). */
#define AN_MAX_WARNINGS 1000

struct analysis {
	const struct map_file *file;
	const struct parsed_map *map;
	size_t map_index;            /* into file->maps */
	struct memmap clean;         /* entries allocated here */
	struct an_warning *warnings;
	size_t warning_count, warning_cap;
	size_t warnings_dropped;     /* reported but not kept (cap or no memory) */
	struct type_total *totals;   /* clean map, one per type present, by type */
	size_t total_count;
	uint64_t ram_bytes;          /* clean map, RAM types */
	uint64_t all_bytes;          /* clean map, every type */
};

/*
 * analyze_map - clean map @index of @mf into @a. Returns 0, or -1 with a
 * message in @err (out of memory, or memmap_from_efi refused the input).
 * Free with analysis_free() either way.
 */
int analyze_map(struct analysis *a, const struct map_file *mf, size_t index,
		char *err, size_t err_len);

void analysis_free(struct analysis *a);

/* What memmap_from_efi did about a problem ("dropped", "kept as reserved"). */
const char *an_consequence(const struct memmap_warning *w);

#endif
