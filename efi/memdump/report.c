/*
 * report.c - build the text of a memory-map dump (format in report.h).
 */
#include "lib.h"
#include "../common/efinames.h"
#include "report.h"

/* Bytes in which any one report line fits (rows are about 200). */
#define LINE_MAX_BYTES 320
/* Lines the fixed parts of the report take at most, besides rows. */
#define FIXED_LINES 32
/* Distinct types the totals list; any more go into one "other" line. */
#define TOTAL_SLOTS 48
/* x86-64 physical addresses have at most 52 bits. */
#define PHYS_LIMIT (1ull << 52)
/* Memory attributes table sizes beyond this are treated as garbage. */
#define MAT_MAX_ENTRIES 65536u
/* UEFI 2.10 type ranges past the defined ones. */
#define EFI_OEM_TYPE_FIRST    0x70000000u
#define EFI_LOADER_TYPE_FIRST 0x80000000u
#define EFI_MAT_VERSION_MAX 2

static const char column_header[] =
	"  idx type                   start              end                "
	"pages        size attributes\n";

/* ---- descriptors -------------------------------------------------------- */

/* A descriptor array as the firmware laid it out. */
struct desc_array {
	const unsigned char *base;
	size_t count;
	size_t stride;           /* the firmware's descriptor size */
};

static struct efi_mem_desc desc_get(const struct desc_array *a, size_t i)
{
	struct efi_mem_desc d;

	memcpy(&d, a->base + i * a->stride, sizeof(d));
	return d;
}

/* A descriptor's range [start, end); end saturates at UINT64_MAX. */
static bool desc_range(const struct efi_mem_desc *d, uint64_t *end)
{
	return efiu_desc_end(d->phys_start, d->num_pages, end);
}

/* "BootServicesCode(3)" */
static const char *type_label(uint32_t type, char *buf, size_t cap)
{
	fmt_buf(buf, cap, "%s(%u)", efiu_type_name(type), type);
	return buf;
}

static void put_row(struct textbuf *tb, size_t idx,
		    const struct efi_mem_desc *d)
{
	char label[40], size[16], attrs[128];
	uint64_t end;

	desc_range(d, &end);
	efiu_human_size(end - d->phys_start, size, sizeof(size));
	efiu_attr_names(d->attr, attrs, sizeof(attrs));
	tb_printf(tb, "%5zu %-22s 0x%016lx 0x%016lx %12lu %9s 0x%016lx%s\n",
		  idx, type_label(d->type, label, sizeof(label)),
		  d->phys_start, end, d->num_pages, size, d->attr, attrs);
}

static void put_rows(struct textbuf *tb, const struct desc_array *a)
{
	tb_putn(tb, column_header, sizeof(column_header) - 1);
	for (size_t i = 0; i < a->count; i++) {
		struct efi_mem_desc d = desc_get(a, i);
		put_row(tb, i, &d);
	}
}

/* ---- totals per type ---------------------------------------------------- */

struct type_total {
	uint32_t type;
	size_t descs;
	uint64_t pages;          /* saturates at UINT64_MAX */
};

struct totals {
	struct type_total slot[TOTAL_SLOTS];
	size_t used;
	struct type_total other;  /* types that found no free slot */
	struct type_total all;
};

static void total_add(struct type_total *t, uint64_t pages)
{
	t->descs++;
	t->pages = pages > UINT64_MAX - t->pages ? UINT64_MAX : t->pages + pages;
}

static struct type_total *total_slot(struct totals *t, uint32_t type)
{
	for (size_t i = 0; i < t->used; i++)
		if (t->slot[i].type == type)
			return &t->slot[i];
	if (t->used == TOTAL_SLOTS)
		return &t->other;
	/* Insert keeping the slots sorted by type. */
	size_t at = t->used;
	while (at > 0 && t->slot[at - 1].type > type) {
		t->slot[at] = t->slot[at - 1];
		at--;
	}
	t->used++;
	t->slot[at] = (struct type_total){ .type = type };
	return &t->slot[at];
}

static void put_total(struct textbuf *tb, const char *label,
		      const struct type_total *t)
{
	char size[16];
	uint64_t bytes = t->pages > (UINT64_MAX >> EFI_PAGE_SHIFT)
				 ? UINT64_MAX : t->pages << EFI_PAGE_SHIFT;

	efiu_human_size(bytes, size, sizeof(size));
	tb_printf(tb, "  %-22s %11zu %12lu %9s\n", label, t->descs, t->pages,
		  size);
}

static void put_totals(struct textbuf *tb, const struct desc_array *a)
{
	static struct totals t;   /* too big for a firmware stack */
	char label[40];

	memset(&t, 0, sizeof(t));
	for (size_t i = 0; i < a->count; i++) {
		struct efi_mem_desc d = desc_get(a, i);
		total_add(total_slot(&t, d.type), d.num_pages);
		total_add(&t.all, d.num_pages);
	}
	tb_printf(tb, "totals per type:\n"
		  "  type                   descriptors        pages      size\n");
	for (size_t i = 0; i < t.used; i++)
		put_total(tb, type_label(t.slot[i].type, label, sizeof(label)),
			  &t.slot[i]);
	if (t.other.descs)
		put_total(tb, "other types", &t.other);
	put_total(tb, "all", &t.all);
	if (t.all.pages == UINT64_MAX)
		tb_printf(tb, "  (page counts saturated at 2^64-1)\n");
}

/* ---- warnings ----------------------------------------------------------- */

/* Counts warnings; prints them only in the printing pass. */
struct warner {
	struct textbuf *tb;      /* NULL: count only */
	size_t count;
};

static void warn(struct warner *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(struct warner *w, const char *fmt, ...)
{
	va_list ap;

	w->count++;
	if (!w->tb || w->count > REPORT_MAX_WARNING_LINES)
		return;
	tb_printf(w->tb, "  warning: ");
	va_start(ap, fmt);
	tb_vprintf(w->tb, fmt, ap);
	va_end(ap);
	tb_putc(w->tb, '\n');
}

static const char *type_range_name(uint32_t type)
{
	if (type >= EFI_LOADER_TYPE_FIRST)
		return "OS loader range";
	if (type >= EFI_OEM_TYPE_FIRST)
		return "OEM range";
	return "not defined by UEFI 2.10";
}

/* Checks of one descriptor on its own. @what: "descriptor" or "attributes
 * table entry". */
static void check_desc(struct warner *w, const char *what, size_t i,
		       const struct efi_mem_desc *d)
{
	uint64_t end;

	if (d->num_pages == 0)
		warn(w, "%s %zu: zero length (0 pages) at 0x%016lx", what, i,
		     d->phys_start);
	if (!IS_ALIGNED(d->phys_start, EFI_PAGE_SIZE))
		warn(w, "%s %zu: start 0x%016lx is not 4 KiB aligned", what, i,
		     d->phys_start);
	if (!desc_range(d, &end))
		warn(w, "%s %zu: 0x%016lx + %lu pages overflows 64 bits", what,
		     i, d->phys_start, d->num_pages);
	else if (end > PHYS_LIMIT)
		warn(w, "%s %zu: ends at 0x%016lx, past the 52-bit physical "
		     "address limit", what, i, end);
	if (!efiu_type_known(d->type))
		warn(w, "%s %zu: unknown type %u (0x%08x, %s)", what, i,
		     d->type, d->type, type_range_name(d->type));
	if (d->attr & ~EFI_MEMORY_KNOWN_BITS)
		warn(w, "%s %zu: attribute bits 0x%016lx not defined by UEFI "
		     "2.10", what, i,
		     (uint64_t)(d->attr & ~EFI_MEMORY_KNOWN_BITS));
}

/* Order and overlap checks over a whole array. */
static void check_order(struct warner *w, const char *what,
			const struct desc_array *a)
{
	for (size_t i = 1; i < a->count; i++) {
		struct efi_mem_desc prev = desc_get(a, i - 1);
		struct efi_mem_desc d = desc_get(a, i);
		if (d.phys_start < prev.phys_start)
			warn(w, "%s %zu: starts at 0x%016lx, below entry %zu at "
			     "0x%016lx: not sorted", what, i, d.phys_start,
			     i - 1, prev.phys_start);
	}
	for (size_t i = 0; i < a->count; i++) {
		struct efi_mem_desc x = desc_get(a, i);
		uint64_t xend;
		desc_range(&x, &xend);
		for (size_t j = i + 1; j < a->count; j++) {
			struct efi_mem_desc y = desc_get(a, j);
			uint64_t yend;
			desc_range(&y, &yend);
			if (MAX(x.phys_start, y.phys_start) < MIN(xend, yend))
				warn(w, "%s %zu overlaps entry %zu: [0x%016lx, "
				     "0x%016lx) and [0x%016lx, 0x%016lx)", what,
				     i, j, x.phys_start, xend, y.phys_start,
				     yend);
		}
	}
}

/* True if [start, end) lies inside one RUNTIME descriptor of the map. */
static bool in_runtime_desc(const struct desc_array *map, uint64_t start,
			    uint64_t end)
{
	for (size_t i = 0; i < map->count; i++) {
		struct efi_mem_desc d = desc_get(map, i);
		uint64_t dend;
		if ((d.attr & EFI_MEMORY_RUNTIME) && desc_range(&d, &dend) &&
		    d.phys_start <= start && end <= dend)
			return true;
	}
	return false;
}

static void check_mat(struct warner *w, const struct mat_view *mat,
		      const struct desc_array *entries,
		      const struct desc_array *map)
{
	static const char what[] = "attributes table entry";

	if (mat->version == 0 || mat->version > EFI_MAT_VERSION_MAX)
		warn(w, "attributes table version %u (this tool knows 1 and "
		     "2)", mat->version);
	for (size_t i = 0; i < entries->count; i++) {
		struct efi_mem_desc d = desc_get(entries, i);
		uint64_t end;
		check_desc(w, what, i, &d);
		if (d.type != EFI_RT_CODE && d.type != EFI_RT_DATA)
			warn(w, "%s %zu: type %s(%u), expected runtime code or "
			     "data", what, i, efiu_type_name(d.type), d.type);
		if (desc_range(&d, &end) && d.num_pages &&
		    !in_runtime_desc(map, d.phys_start, end))
			warn(w, "%s %zu: [0x%016lx, 0x%016lx) is not inside one "
			     "runtime descriptor of the memory map", what, i,
			     d.phys_start, end);
	}
	check_order(w, what, entries);
}

/* Every check, in report order. */
static void check_all(struct warner *w, const struct dump_input *in,
		      const struct desc_array *map,
		      const struct desc_array *mat_entries)
{
	if (in->desc_version != 1)
		warn(w, "descriptor version %u (this tool knows version 1)",
		     in->desc_version);
	if (in->desc_size % 8)
		warn(w, "descriptor size %zu is not a multiple of 8",
		     in->desc_size);
	if (in->desc_size && in->map_size % in->desc_size)
		warn(w, "map size %zu is not a multiple of the descriptor size; "
		     "%zu trailing bytes ignored", in->map_size,
		     in->map_size % in->desc_size);
	if (map->count == 0)
		warn(w, "the memory map is empty");
	for (size_t i = 0; i < map->count; i++) {
		struct efi_mem_desc d = desc_get(map, i);
		check_desc(w, "descriptor", i, &d);
	}
	check_order(w, "descriptor", map);
	if (in->mat)
		check_mat(w, in->mat, mat_entries, map);
}

static void put_warnings(struct textbuf *tb, const struct dump_input *in,
			 const struct desc_array *map,
			 const struct desc_array *mat_entries)
{
	struct warner count = { .tb = NULL };

	check_all(&count, in, map, mat_entries);
	if (count.count == 0) {
		tb_printf(tb, "warnings: none\n");
		return;
	}
	tb_printf(tb, "warnings: %zu\n", count.count);
	struct warner print = { .tb = tb };
	check_all(&print, in, map, mat_entries);
	if (count.count > REPORT_MAX_WARNING_LINES)
		tb_printf(tb, "  ... and %zu more warnings not shown\n",
			  count.count - REPORT_MAX_WARNING_LINES);
}

/* ---- the memory attributes table ---------------------------------------- */

/* The table's entries, or an empty array if it cannot be read. */
static struct desc_array mat_entries(const struct mat_view *mat)
{
	struct desc_array a = { .base = NULL, .count = 0, .stride = 0 };

	if (!mat || mat->desc_size < sizeof(struct efi_mem_desc) ||
	    mat->count > MAT_MAX_ENTRIES)
		return a;
	a.base = mat->entries;
	a.count = mat->count;
	a.stride = mat->desc_size;
	return a;
}

static void put_mat(struct textbuf *tb, const struct mat_view *mat,
		    const struct desc_array *entries)
{
	tb_printf(tb, "memory attributes table: descriptor size %u bytes, "
		  "flags 0x%08x\n", mat->desc_size, mat->flags);
	if (mat->desc_size < sizeof(struct efi_mem_desc)) {
		tb_printf(tb, "error: attributes table descriptor size %u is "
			  "smaller than a descriptor (%zu bytes): table not "
			  "shown\n", mat->desc_size,
			  sizeof(struct efi_mem_desc));
		return;
	}
	if (mat->count > MAT_MAX_ENTRIES) {
		tb_printf(tb, "error: attributes table claims %u entries (more "
			  "than %u): table not shown\n", mat->count,
			  MAT_MAX_ENTRIES);
		return;
	}
	tb_printf(tb, "Memory attributes table v%u: %u entries\n",
		  mat->version, mat->count);
	put_rows(tb, entries);
	tb_printf(tb, "end of table: %u entries\n", mat->count);
}

/* ---- the report --------------------------------------------------------- */

static void put_header(struct textbuf *tb, const struct dump_input *in,
		       size_t count)
{
	tb_printf(tb, "Carto memory map dump v1\n");
	tb_printf(tb, "firmware: %s revision 0x%08x, UEFI %u.%u\n",
		  in->fw_vendor, in->fw_revision, in->uefi_revision >> 16,
		  in->uefi_revision & 0xffff);
	tb_printf(tb, "descriptors: %zu of %zu bytes, version %u\n", count,
		  in->desc_size, in->desc_version);
}

size_t report_size_bound(const struct dump_input *in)
{
	size_t lines = FIXED_LINES + TOTAL_SLOTS + REPORT_MAX_WARNING_LINES;

	if (in->desc_size)
		lines += in->map_size / in->desc_size;
	if (in->mat && in->mat->count <= MAT_MAX_ENTRIES)
		lines += in->mat->count;
	return lines * LINE_MAX_BYTES;
}

void report_build(struct textbuf *tb, const struct dump_input *in)
{
	struct desc_array map = { .base = in->map, .stride = in->desc_size };
	struct desc_array mat = mat_entries(in->mat);

	if (in->desc_size >= sizeof(struct efi_mem_desc))
		map.count = in->map_size / in->desc_size;
	put_header(tb, in, map.count);
	if (in->desc_size < sizeof(struct efi_mem_desc)) {
		tb_printf(tb, "error: descriptor size %zu is smaller than a "
			  "descriptor (%zu bytes): the map cannot be read\n",
			  in->desc_size, sizeof(struct efi_mem_desc));
		return;
	}
	put_rows(tb, &map);
	tb_printf(tb, "end of map: %zu descriptors\n", map.count);
	put_totals(tb, &map);
	put_warnings(tb, in, &map, &mat);
	if (in->mat)
		put_mat(tb, in->mat, &mat);
}
