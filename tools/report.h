/*
 * report.h - the text and JSON outputs of `carto-memmap show` and `plan`.
 *
 * Both say which map of the file they describe and list every map found,
 * every note the parser made and every problem memmap_from_efi reported,
 * each as NAME:LINE so the user can find it in the input.
 */
#ifndef CARTO_REPORT_H
#define CARTO_REPORT_H

#include <stdio.h>

#include "analyze.h"
#include "plan.h"

enum out_style { OUT_TEXT, OUT_JSON };

/* `show`: the maps found, the clean map, totals per type, problems. */
void report_show(FILE *f, const char *name, const struct analysis *a,
		 enum out_style style);

/* `plan`: direct-map pages by size, page tables, window, allocator
 * metadata, what is not mapped and what was dropped. */
void report_plan(FILE *f, const char *name, const struct analysis *a,
		 const struct plan *p, enum out_style style);

#endif
