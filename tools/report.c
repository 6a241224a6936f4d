/*
 * report.c - `carto-memmap show` and `plan` output, as text or JSON.
 */
#include <inttypes.h>

#include "memlayout.h"
#include "report.h"
#include "textout.h"

/* ---- text ----------------------------------------------------------------- */

static void text_maps(FILE *f, const struct analysis *a)
{
	const struct map_file *mf = a->file;

	fprintf(f, "maps found (%zu):\n", mf->count);
	for (size_t i = 0; i < mf->count; i++) {
		const struct parsed_map *m = &mf->maps[i];
		fprintf(f, "  %s %zu  %-8s lines %u-%u, %zu descriptors%s: %s\n",
			i == a->map_index ? "*" : " ", i + 1, map_kind_name(m->kind),
			m->first_line, m->last_line, m->count,
			m->partial ? " (PARTIAL)" : "", m->label);
		fprintf(f, "            format: %s\n", map_format_name(m->format));
	}
	fprintf(f, "  (* = the map shown; choose another with --map KIND or --index N)\n");
}

static void text_source(FILE *f, const char *name, const struct analysis *a)
{
	const struct parsed_map *m = a->map;

	if (m->has_header)
		fprintf(f, "firmware: %s, revision 0x%08" PRIx32 ", UEFI %u.%u\n",
			m->fw_vendor, m->fw_revision, m->uefi_major, m->uefi_minor);
	else if (a->file->firmware[0])
		fprintf(f, "firmware: %s (%s:%u)\n", a->file->firmware, name,
			a->file->firmware_line);
	if (m->format == FMT_CARTO && m->kind == MAP_KIND_EFI)
		fprintf(f, "descriptors: %zu of %" PRIu32 " bytes, version %" PRIu32 "\n",
			m->count, m->desc_size, m->desc_version);
	if (a->file->utf16)
		fprintf(f, "input was UTF-16 text\n");
	if (m->partial)
		fprintf(f, "PARTIAL MAP: the input does not hold the whole map; totals "
			"cover only what is listed\n");
	if (m->note_count) {
		fprintf(f, "notes (%zu):\n", m->note_count);
		for (size_t i = 0; i < m->note_count; i++)
			fprintf(f, "  %s:%u: %s\n", name, m->notes[i].line, m->notes[i].text);
	}
}

static void text_warning(FILE *f, const char *name, const struct an_warning *aw)
{
	const struct memmap_warning *w = &aw->w;
	char t[TYPE_NAME_LEN], o[TYPE_NAME_LEN];

	fprintf(f, "  %s:%u: %s: %s at 0x%" PRIx64 ", %" PRIu64 " pages",
		name, aw->line, memmap_problem_name(w->problem),
		type_name(t, w->desc.type), w->desc.phys_start, w->desc.num_pages);
	if (w->problem == MEMMAP_OVERLAP)
		fprintf(f, ", overlaps %s", type_name(o, w->other_type));
	if (w->problem == MEMMAP_UNKNOWN_ATTR)
		fprintf(f, ", attributes 0x%" PRIx64, w->desc.attr);
	fprintf(f, ": %s\n", an_consequence(w));
}

static void text_dropped(FILE *f, const struct analysis *a)
{
	if (a->warnings_dropped)
		fprintf(f, "  ... and %zu more problems, not listed\n", a->warnings_dropped);
}

static void text_warnings(FILE *f, const char *name, const struct analysis *a)
{
	if (!a->warning_count) {
		fprintf(f, "memmap_from_efi reported no problems\n");
		return;
	}
	fprintf(f, "problems memmap_from_efi reported (%zu):\n",
		a->warning_count + a->warnings_dropped);
	for (size_t i = 0; i < a->warning_count; i++)
		text_warning(f, name, &a->warnings[i]);
	text_dropped(f, a);
}

static void text_show(FILE *f, const char *name, const struct analysis *a)
{
	char s[HUMAN_SIZE_LEN], t[TYPE_NAME_LEN], at[ATTR_TEXT_LEN];

	fprintf(f, "carto-memmap show: %s\n", name);
	text_maps(f, a);
	text_source(f, name, a);
	fprintf(f, "\nclean map (memmap_from_efi, as Carto's loader builds it): %zu entries\n",
		a->clean.count);
	fprintf(f, "  %-18s %-18s %10s  %-20s %s\n", "start", "end", "size", "type",
		"attributes");
	for (size_t i = 0; i < a->clean.count; i++) {
		const struct mem_entry *e = &a->clean.entries[i];
		fprintf(f, "  0x%016" PRIx64 " 0x%016" PRIx64 " %10s  %-20s 0x%" PRIx64 " %s\n",
			e->start, e->end, human_size(s, e->end - e->start),
			type_name(t, e->type), e->attr, attr_text(at, e->attr));
	}
	fprintf(f, "\ntotals per type (bytes, clean map):\n");
	for (size_t i = 0; i < a->total_count; i++)
		fprintf(f, "  %-20s %20" PRIu64 "  %s\n", type_name(t, a->totals[i].type),
			a->totals[i].bytes, human_size(s, a->totals[i].bytes));
	fprintf(f, "  %-20s %20" PRIu64 "  %s\n", "RAM (direct-mapped)", a->ram_bytes,
		human_size(s, a->ram_bytes));
	fprintf(f, "  %-20s %20" PRIu64 "  %s\n\n", "all types", a->all_bytes,
		human_size(s, a->all_bytes));
	text_warnings(f, name, a);
}

static void text_plan(FILE *f, const char *name, const struct analysis *a,
		      const struct plan *p)
{
	char s[HUMAN_SIZE_LEN], t[TYPE_NAME_LEN];
	const struct dmap_stats *d = &p->dm;

	fprintf(f, "carto-memmap plan: %s, map %zu (%s: %s)%s\n", name, a->map_index + 1,
		map_kind_name(a->map->kind), a->map->label,
		a->map->partial ? " PARTIAL MAP" : "");
	fprintf(f, "RAM: %" PRIu64 " bytes (%s) in %" PRIu64 " runs of adjacent RAM entries\n",
		a->ram_bytes, human_size(s, a->ram_bytes), p->ram_runs);
	fprintf(f, "direct map at 0x%016llx, 1 GiB pages %s:\n", (unsigned long long)DMAP_BASE,
		p->has_1g ? "used where possible" : "not used (--no-1g)");
	fprintf(f, "  1 GiB pages  %12" PRIu64 "\n", d->pages_1g);
	fprintf(f, "  2 MiB pages  %12" PRIu64 "\n", d->pages_2m);
	fprintf(f, "  4 KiB pages  %12" PRIu64 "\n", d->pages_4k);
	fprintf(f, "  bytes mapped %12" PRIu64 " (%s)\n", d->ram_bytes, human_size(s, d->ram_bytes));
	if (d->skipped_bytes)
		fprintf(f, "  RAM at or above 64 TiB, not mapped: %" PRIu64 " bytes (%s)\n",
			d->skipped_bytes, human_size(s, d->skipped_bytes));
	fprintf(f, "  page tables  %12" PRIu64 " frames = %" PRIu64 " bytes "
		"(PDPTs, PDs, PTs; the PML4 is not counted)\n", d->tables, p->table_bytes);
	fprintf(f, "page-table window: %" PRIu64 " pool chunk%s of 2 MiB = %" PRIu64
		" bytes mapped (ceil(tables * 4 KiB / 2 MiB))\n", p->window_chunks,
		p->window_chunks == 1 ? "" : "s", p->window_bytes);
	fprintf(f, "allocator metadata: %" PRIu64 " bytes (%s, ~1.1 bits per managed 4 KiB frame)\n",
		p->alloc_meta_bytes, human_size(s, p->alloc_meta_bytes));
	if (p->meta_from_kernel)
		fprintf(f, "  as the kernel's frame allocator used it, with the %zu reservations "
			"this dump lists\n", a->map->frame_res_count);
	else
		fprintf(f, "  with the first MiB reserved, as the kernel does; each of the boot's own\n"
			"  reservations that splits a region adds about 200 bytes in the kernel\n");
	fprintf(f, "not mapped (not RAM for Carto):\n");
	for (size_t i = 0; i < a->total_count; i++)
		if (!mem_type_is_ram(a->totals[i].type))
			fprintf(f, "  %-20s %20" PRIu64 "  %s\n", type_name(t, a->totals[i].type),
				a->totals[i].bytes, human_size(s, a->totals[i].bytes));
	fprintf(f, "ranges dropped or changed, and why:\n");
	for (size_t i = 0; i < a->map->note_count; i++)
		fprintf(f, "  %s:%u: %s\n", name, a->map->notes[i].line, a->map->notes[i].text);
	for (size_t i = 0; i < a->warning_count; i++)
		text_warning(f, name, &a->warnings[i]);
	text_dropped(f, a);
	if (!a->warning_count && !a->map->note_count)
		fprintf(f, "  none\n");
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_hex(FILE *f, uint64_t v)
{
	fprintf(f, "\"0x%" PRIx64 "\"", v);
}

static void json_type(FILE *f, uint32_t type)
{
	char t[TYPE_NAME_LEN];
	fprintf(f, "\"type\": %" PRIu32 ", \"type_name\": ", type);
	json_string(f, type_name(t, type));
}

static void json_maps(FILE *f, const struct analysis *a)
{
	const struct map_file *mf = a->file;

	fprintf(f, "  \"maps\": [\n");
	for (size_t i = 0; i < mf->count; i++) {
		const struct parsed_map *m = &mf->maps[i];
		fprintf(f, "    {\"index\": %zu, \"kind\": \"%s\", \"format\": ", i + 1,
			map_kind_name(m->kind));
		json_string(f, map_format_name(m->format));
		fprintf(f, ", \"label\": ");
		json_string(f, m->label);
		fprintf(f, ", \"first_line\": %u, \"last_line\": %u, \"descriptors\": %zu, "
			"\"partial\": %s, \"selected\": %s}%s\n", m->first_line, m->last_line,
			m->count, m->partial ? "true" : "false",
			i == a->map_index ? "true" : "false", i + 1 < mf->count ? "," : "");
	}
	fprintf(f, "  ],\n  \"selected\": %zu,\n", a->map_index + 1);
}

static void json_notes(FILE *f, const struct parsed_map *m)
{
	fprintf(f, "  \"notes\": [");
	for (size_t i = 0; i < m->note_count; i++) {
		fprintf(f, "%s\n    {\"line\": %u, \"text\": ", i ? "," : "", m->notes[i].line);
		json_string(f, m->notes[i].text);
		fprintf(f, "}");
	}
	fprintf(f, "%s],\n", m->note_count ? "\n  " : "");
}

static void json_warnings(FILE *f, const struct analysis *a)
{
	fprintf(f, "  \"warnings\": [");
	for (size_t i = 0; i < a->warning_count; i++) {
		const struct an_warning *aw = &a->warnings[i];
		fprintf(f, "%s\n    {\"line\": %u, \"problem\": ", i ? "," : "", aw->line);
		json_string(f, memmap_problem_name(aw->w.problem));
		fprintf(f, ", ");
		json_type(f, aw->w.desc.type);
		fprintf(f, ", \"start\": ");
		json_hex(f, aw->w.desc.phys_start);
		fprintf(f, ", \"pages\": %" PRIu64 ", \"attr\": ", aw->w.desc.num_pages);
		json_hex(f, aw->w.desc.attr);
		if (aw->w.problem == MEMMAP_OVERLAP)
			fprintf(f, ", \"other_type\": %" PRIu32, aw->w.other_type);
		fprintf(f, ", \"consequence\": ");
		json_string(f, an_consequence(&aw->w));
		fprintf(f, "}");
	}
	fprintf(f, "%s],\n  \"warnings_not_listed\": %zu", a->warning_count ? "\n  " : "",
		a->warnings_dropped);
}

/* Which totals json_totals lists. */
enum totals_filter { TOTALS_ALL, TOTALS_NOT_RAM };

static void json_totals(FILE *f, const struct analysis *a, enum totals_filter which)
{
	bool first = true;

	for (size_t i = 0; i < a->total_count; i++) {
		if (which == TOTALS_NOT_RAM && mem_type_is_ram(a->totals[i].type))
			continue;
		fprintf(f, "%s\n    {", first ? "" : ",");
		json_type(f, a->totals[i].type);
		fprintf(f, ", \"bytes\": %" PRIu64 "}", a->totals[i].bytes);
		first = false;
	}
	fprintf(f, "%s]", first ? "" : "\n  ");
}

static void json_head(FILE *f, const char *name, const struct analysis *a)
{
	fprintf(f, "{\n  \"file\": ");
	json_string(f, name);
	fprintf(f, ",\n");
	json_maps(f, a);
	fprintf(f, "  \"firmware\": ");
	if (a->map->has_header) {
		fprintf(f, "{\"vendor\": ");
		json_string(f, a->map->fw_vendor);
		fprintf(f, ", \"revision\": %" PRIu32 ", \"uefi\": \"%u.%u\"}", a->map->fw_revision,
			a->map->uefi_major, a->map->uefi_minor);
	} else if (a->file->firmware[0]) {
		fprintf(f, "{\"vendor\": ");
		json_string(f, a->file->firmware);
		fprintf(f, ", \"line\": %u}", a->file->firmware_line);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\n  \"partial\": %s,\n", a->map->partial ? "true" : "false");
	json_notes(f, a->map);
}

static void json_show(FILE *f, const char *name, const struct analysis *a)
{
	json_head(f, name, a);
	fprintf(f, "  \"entries\": [");
	for (size_t i = 0; i < a->clean.count; i++) {
		const struct mem_entry *e = &a->clean.entries[i];
		fprintf(f, "%s\n    {\"start\": ", i ? "," : "");
		json_hex(f, e->start);
		fprintf(f, ", \"end\": ");
		json_hex(f, e->end);
		fprintf(f, ", \"bytes\": %" PRIu64 ", ", e->end - e->start);
		json_type(f, e->type);
		fprintf(f, ", \"attr\": ");
		json_hex(f, e->attr);
		fprintf(f, ", \"ram\": %s}", mem_type_is_ram(e->type) ? "true" : "false");
	}
	fprintf(f, "%s],\n  \"totals\": [", a->clean.count ? "\n  " : "");
	json_totals(f, a, TOTALS_ALL);
	fprintf(f, ",\n  \"ram_bytes\": %" PRIu64 ",\n  \"all_bytes\": %" PRIu64 ",\n",
		a->ram_bytes, a->all_bytes);
	json_warnings(f, a);
	fprintf(f, "\n}\n");
}

static void json_plan(FILE *f, const char *name, const struct analysis *a,
		      const struct plan *p)
{
	const struct dmap_stats *d = &p->dm;

	json_head(f, name, a);
	fprintf(f, "  \"has_1g\": %s,\n  \"ram_bytes\": %" PRIu64 ",\n  \"ram_runs\": %" PRIu64
		",\n", p->has_1g ? "true" : "false", a->ram_bytes, p->ram_runs);
	fprintf(f, "  \"pages\": {\"1g\": %" PRIu64 ", \"2m\": %" PRIu64 ", \"4k\": %" PRIu64 "},\n",
		d->pages_1g, d->pages_2m, d->pages_4k);
	fprintf(f, "  \"mapped_bytes\": %" PRIu64 ",\n  \"skipped_bytes\": %" PRIu64 ",\n",
		d->ram_bytes, d->skipped_bytes);
	fprintf(f, "  \"page_tables\": %" PRIu64 ",\n  \"page_table_bytes\": %" PRIu64 ",\n",
		d->tables, p->table_bytes);
	fprintf(f, "  \"window_chunks\": %" PRIu64 ",\n  \"window_bytes\": %" PRIu64 ",\n",
		p->window_chunks, p->window_bytes);
	fprintf(f, "  \"alloc_meta_bytes\": %" PRIu64 ",\n  \"alloc_meta_reservations\": \"%s\",\n"
		"  \"not_mapped\": [", p->alloc_meta_bytes,
		p->meta_from_kernel ? "kernel dump" : "low memory only");
	json_totals(f, a, TOTALS_NOT_RAM);
	fprintf(f, ",\n");
	json_warnings(f, a);
	fprintf(f, "\n}\n");
}

/* ---- entry points ------------------------------------------------------------ */

void report_show(FILE *f, const char *name, const struct analysis *a,
		 enum out_style style)
{
	if (style == OUT_JSON)
		json_show(f, name, a);
	else
		text_show(f, name, a);
}

void report_plan(FILE *f, const char *name, const struct analysis *a,
		 const struct plan *p, enum out_style style)
{
	if (style == OUT_JSON)
		json_plan(f, name, a, p);
	else
		text_plan(f, name, a, p);
}
