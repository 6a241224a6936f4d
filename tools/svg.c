/*
 * svg.c - draw a clean memory map as SVG (see svg.h).
 *
 * Layout: the map becomes a list of rows (an entry, or a gap between
 * entries), each with a height; rows fill columns top to bottom, and the
 * number of columns is picked so the picture is roughly as wide as tall.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "memlayout.h"
#include "svg.h"
#include "textout.h"

/* Geometry, in SVG user units (pixels). */
#define MARGIN         20
#define TITLE_H        54
#define LEGEND_ROW_H   20
#define LEGEND_COLS    4
#define LEGEND_CELL_W  250
#define COL_W          460     /* one column: addresses, bar, label */
#define ADDR_W         136     /* address text left of the bar */
#define BAR_W          64
#define LABEL_GAP      8
#define ROW_MIN_H      16      /* one 4 KiB page */
#define ROW_MAX_H      100
#define ROW_H_PER_LOG2 3.0     /* extra height per doubling of the size */
#define GAP_H          22
#define TARGET_ASPECT  1.4     /* height per column vs. total width */
#define FONT           "font-family=\"DejaVu Sans Mono, monospace\""

struct row {
	paddr_t start, end;
	uint32_t type;
	uint64_t attr;
	bool gap;
	double h;
	int col;
	double y;
};

/* Fill colour of a type; unknown types share one loud colour. */
static const char *type_colour(uint32_t type)
{
	static const char *const colours[EFI_MEM_TYPE_COUNT] = {
		[EFI_RESERVED]     = "#9e9e9e",
		[EFI_LOADER_CODE]  = "#1565c0",
		[EFI_LOADER_DATA]  = "#64b5f6",
		[EFI_BS_CODE]      = "#00897b",
		[EFI_BS_DATA]      = "#80cbc4",
		[EFI_RT_CODE]      = "#ef6c00",
		[EFI_RT_DATA]      = "#ffca28",
		[EFI_CONVENTIONAL] = "#43a047",
		[EFI_UNUSABLE]     = "#212121",
		[EFI_ACPI_RECLAIM] = "#ba68c8",
		[EFI_ACPI_NVS]     = "#6a1b9a",
		[EFI_MMIO]         = "#e53935",
		[EFI_MMIO_PORT]    = "#ff8a65",
		[EFI_PAL_CODE]     = "#8d6e63",
		[EFI_PERSISTENT]   = "#00838f",
		[EFI_UNACCEPTED]   = "#c0ca33",
	};
	return type < EFI_MEM_TYPE_COUNT ? colours[type] : "#ec407a";
}

/* Height of an entry: grows with log2 of its size in pages (no libm). */
static double row_height(uint64_t bytes)
{
	uint64_t pages = bytes >> PAGE_SHIFT;
	int log2 = pages > 1 ? 63 - __builtin_clzll(pages) : 0;
	double h = ROW_MIN_H + ROW_H_PER_LOG2 * log2;
	return h > ROW_MAX_H ? ROW_MAX_H : h;
}

/* The rows for the clean map: entries, with gaps where nothing is listed. */
static struct row *make_rows(const struct memmap *m, size_t *n)
{
	struct row *r = calloc(2 * m->count + 1, sizeof(*r));
	size_t k = 0;
	paddr_t at = 0;

	if (!r)
		return NULL;
	for (size_t i = 0; i < m->count; i++) {
		const struct mem_entry *e = &m->entries[i];
		if (e->start > at) {
			r[k].start = at;
			r[k].end = e->start;
			r[k].gap = true;
			r[k].h = GAP_H;
			k++;
		}
		r[k].start = e->start;
		r[k].end = e->end;
		r[k].type = e->type;
		r[k].attr = e->attr;
		r[k].h = row_height(e->end - e->start);
		k++;
		at = e->end;
	}
	*n = k;
	return r;
}

/* Assign columns and y positions; returns the tallest column's height. */
static double lay_out(struct row *r, size_t n, int *cols)
{
	double total = 0, tallest = 0, y = 0;
	int col = 0;

	for (size_t i = 0; i < n; i++)
		total += r[i].h;
	/* Columns of height about TARGET_ASPECT * the picture's width. */
	int want = 1;
	while ((double)(want + 1) * (want + 1) * TARGET_ASPECT * COL_W <= total)
		want++;
	double limit = total / want;
	for (size_t i = 0; i < n; i++) {
		if (y > 0 && y + r[i].h > limit + ROW_MAX_H / 2.0) {
			col++;
			y = 0;
		}
		r[i].col = col;
		r[i].y = y;
		y += r[i].h;
		if (y > tallest)
			tallest = y;
	}
	*cols = col + 1;
	return tallest;
}

static void svg_head(FILE *f, double w, double h)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\">\n", w, h, w, h);
	fprintf(f, "<defs><pattern id=\"hatch\" width=\"8\" height=\"8\" "
		"patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
		"<rect width=\"8\" height=\"8\" fill=\"#fafafa\"/>"
		"<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#bdbdbd\" stroke-width=\"3\"/>"
		"</pattern></defs>\n");
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
}

static void svg_title(FILE *f, const char *name, const struct analysis *a)
{
	char s[HUMAN_SIZE_LEN];

	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"16\" font-weight=\"bold\" %s>"
		"Physical address space: ", MARGIN, MARGIN + 14, FONT);
	xml_text(f, name);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"12\" %s>map %zu (%s): ",
		MARGIN, MARGIN + 32, FONT, a->map_index + 1, map_kind_name(a->map->kind));
	xml_text(f, a->map->label);
	fprintf(f, "%s; %zu entries; RAM %s", a->map->partial ? " (PARTIAL)" : "",
		a->clean.count, human_size(s, a->ram_bytes));
	fprintf(f, "; %zu problems reported (carto-memmap show)</text>\n",
		a->warning_count + a->warnings_dropped);
}

/* Legend: one swatch per type present, then the gap swatch. Returns its height. */
static double svg_legend(FILE *f, const struct analysis *a, double y0)
{
	char t[TYPE_NAME_LEN];
	size_t n = 0;

	for (size_t i = 0; i <= a->total_count; i++, n++) {
		double x = MARGIN + (double)(n % LEGEND_COLS) * LEGEND_CELL_W;
		double y = y0 + (double)(n / LEGEND_COLS) * LEGEND_ROW_H;
		bool gap = i == a->total_count;
		uint32_t type = gap ? 0 : a->totals[i].type;
		fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"18\" height=\"12\" fill=\"%s\" "
			"stroke=\"#616161\" stroke-width=\"0.5\"/>", x, y,
			gap ? "url(#hatch)" : type_colour(type));
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" %s>", x + 24, y + 10, FONT);
		if (gap)
			fprintf(f, "not in the map (gap, compressed)");
		else
			fprintf(f, "%s%s", type_name(t, type), mem_type_is_ram(type) ? " (RAM)" : "");
		fprintf(f, "</text>\n");
	}
	return (double)((n + LEGEND_COLS - 1) / LEGEND_COLS) * LEGEND_ROW_H;
}

/* Draw row r; next is the row after it (NULL for the last), which decides
 * whether r's end address is labelled too. */
static void svg_row(FILE *f, const struct row *r, const struct row *next, double y0)
{
	bool last_before_gap = !next || next->gap || next->col != r->col;
	char s[HUMAN_SIZE_LEN], t[TYPE_NAME_LEN], at[ATTR_TEXT_LEN];
	double x = MARGIN + r->col * COL_W, y = y0 + r->y;
	double bx = x + ADDR_W, ty = y + (r->h < 22 ? r->h / 2 + 4 : 14);

	if (r->gap) {
		fprintf(f, "<g><title>gap [0x%" PRIx64 ", 0x%" PRIx64 "): %s not in the map"
			"</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" "
			"fill=\"url(#hatch)\" stroke=\"#9e9e9e\" stroke-dasharray=\"3,2\"/>",
			r->start, r->end, human_size(s, r->end - r->start), bx, y, BAR_W, r->h);
		fprintf(f, "<polyline points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" "
			"fill=\"none\" stroke=\"#616161\"/>", bx - 6, y + r->h / 2 + 3, bx + BAR_W / 3.0,
			y + r->h / 2 - 3, bx + 2 * BAR_W / 3.0, y + r->h / 2 + 3, bx + BAR_W + 6,
			y + r->h / 2 - 3);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" font-style=\"italic\" "
			"fill=\"#616161\" %s>gap of %s</text></g>\n", bx + BAR_W + LABEL_GAP, ty,
			FONT, human_size(s, r->end - r->start));
		return;
	}
	fprintf(f, "<g><title>%s [0x%" PRIx64 ", 0x%" PRIx64 ") %s, attributes %s</title>",
		type_name(t, r->type), r->start, r->end, human_size(s, r->end - r->start),
		attr_text(at, r->attr));
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\" "
		"stroke=\"#ffffff\" stroke-width=\"1\"/>", bx, y, BAR_W, r->h,
		type_colour(r->type));
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" %s>"
		"0x%016" PRIx64 "</text>", bx - 4, y + 10, FONT, r->start);
	if (last_before_gap && r->h >= 2 * ROW_MIN_H)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
			"fill=\"#757575\" %s>0x%016" PRIx64 "</text>", bx - 4, y + r->h - 3, FONT,
			r->end);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" %s>%s  %s</text></g>\n",
		bx + BAR_W + LABEL_GAP, ty, FONT, type_name(t, r->type),
		human_size(s, r->end - r->start));
}

void svg_write(FILE *f, const char *name, const struct analysis *a)
{
	size_t n = 0;
	int cols = 1;
	struct row *r = make_rows(&a->clean, &n);
	double tallest = r ? lay_out(r, n, &cols) : 0;
	size_t legend_rows = (a->total_count + 1 + LEGEND_COLS - 1) / LEGEND_COLS;
	double legend_h = (double)legend_rows * LEGEND_ROW_H;
	double w = 2 * MARGIN + (double)cols * COL_W;
	double h = MARGIN + TITLE_H + legend_h + 12 + tallest + 30 + MARGIN;

	if (w < 2 * MARGIN + LEGEND_COLS * LEGEND_CELL_W)
		w = 2 * MARGIN + LEGEND_COLS * LEGEND_CELL_W;
	svg_head(f, w, h);
	svg_title(f, name, a);
	double y0 = MARGIN + TITLE_H + svg_legend(f, a, MARGIN + TITLE_H) + 12;
	for (size_t i = 0; r && i < n; i++)
		svg_row(f, &r[i], i + 1 < n ? &r[i + 1] : NULL, y0);
	if (n > 0 && r[n - 1].h < 2 * ROW_MIN_H) {
		const struct row *l = &r[n - 1];
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
			"fill=\"#757575\" %s>end 0x%016" PRIx64 "</text>\n",
			MARGIN + l->col * COL_W + ADDR_W - 4.0, y0 + l->y + l->h + 12, FONT, l->end);
	} else if (n == 0) {
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" %s>the clean map is empty"
			"</text>\n", MARGIN, y0 + 12, FONT);
	}
	fprintf(f, "</svg>\n");
	free(r);
}
