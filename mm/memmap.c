/*
 * memmap.c - turn the firmware's EFI memory map into Carto's clean map.
 *
 * Runs in the loader right after ExitBootServices, in the kernel and on the
 * host, so it allocates nothing, recurses nowhere and keeps its stack small.
 * The caller's output buffer (capacity >= 2n) doubles as scratch space:
 *
 *   entries[0 .. k)              the clean list, built from the left
 *   entries[cap-n .. cap-n+m)    the m kept input entries, sorted
 *
 * Entries are "painted" onto the clean list in sorted order. Every entry
 * painted so far starts at or below the new one, so the part of the clean
 * list the new entry can touch is a contiguous tail; a map without overlaps
 * only ever appends (O(n) for sorted input, O(n log n) with the heapsort).
 * Each paint adds at most two pieces, so after i+1 entries the clean list
 * holds at most 2i+1 pieces and never reaches the input entries still to
 * be painted (2i+1 <= cap-n+i+1 because cap >= 2n).
 */
#include "lib.h"
#include "memlayout.h"
#include "memmap.h"
#include "status.h"

_Static_assert(EFI_PAGE_SIZE == PAGE_SIZE, "EFI pages are Carto pages");
_Static_assert(IS_ALIGNED(PHYS_ADDR_LIMIT, PAGE_SIZE), "limit is page aligned");

/* Overlap ranks, lowest first (memmap.h): the higher rank wins. */
enum mem_rank {
	RANK_CONVENTIONAL,
	RANK_BOOT_SERVICES,
	RANK_LOADER,
	RANK_ACPI_RECLAIM,
	RANK_ACPI_NVS,
	RANK_RUNTIME,
	RANK_PERSISTENT,
	RANK_UNACCEPTED,
	RANK_UNUSABLE,
	RANK_RESERVED,          /* also PAL code and every unknown type */
	RANK_MMIO,              /* also MMIO port space */
};

static const uint8_t type_rank[EFI_MEM_TYPE_COUNT] = {
	[EFI_RESERVED]     = RANK_RESERVED,
	[EFI_LOADER_CODE]  = RANK_LOADER,
	[EFI_LOADER_DATA]  = RANK_LOADER,
	[EFI_BS_CODE]      = RANK_BOOT_SERVICES,
	[EFI_BS_DATA]      = RANK_BOOT_SERVICES,
	[EFI_RT_CODE]      = RANK_RUNTIME,
	[EFI_RT_DATA]      = RANK_RUNTIME,
	[EFI_CONVENTIONAL] = RANK_CONVENTIONAL,
	[EFI_UNUSABLE]     = RANK_UNUSABLE,
	[EFI_ACPI_RECLAIM] = RANK_ACPI_RECLAIM,
	[EFI_ACPI_NVS]     = RANK_ACPI_NVS,
	[EFI_MMIO]         = RANK_MMIO,
	[EFI_MMIO_PORT]    = RANK_MMIO,
	[EFI_PAL_CODE]     = RANK_RESERVED,
	[EFI_PERSISTENT]   = RANK_PERSISTENT,
	[EFI_UNACCEPTED]   = RANK_UNACCEPTED,
};

/* Largest NumberOfPages whose byte size fits in 64 bits. */
#define EFI_MAX_PAGES (UINT64_MAX >> EFI_PAGE_SHIFT)
/* Descriptor sizes are multiples of this (UEFI 2.10, GetMemoryMap). */
#define EFI_DESC_ALIGN 8

bool mem_type_is_ram(uint32_t type)
{
	switch (type) {
	case EFI_CONVENTIONAL:
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BS_CODE:
	case EFI_BS_DATA:
	case EFI_ACPI_RECLAIM:
		return true;
	default:
		return false;
	}
}

int mem_type_rank(uint32_t type)
{
	if (type >= EFI_MEM_TYPE_COUNT)
		return RANK_RESERVED;
	return type_rank[type];
}

uint64_t memmap_bytes_of_type(const struct memmap *m, uint32_t type)
{
	uint64_t sum = 0;
	for (size_t i = 0; m && i < m->count; i++)
		if (m->entries[i].type == type)
			sum += m->entries[i].end - m->entries[i].start;
	return sum;
}

uint64_t memmap_ram_bytes(const struct memmap *m)
{
	uint64_t sum = 0;
	for (size_t i = 0; m && i < m->count; i++)
		if (mem_type_is_ram(m->entries[i].type))
			sum += m->entries[i].end - m->entries[i].start;
	return sum;
}

/* ---- reading and checking descriptors ----------------------------------- */

/* What one conversion reads from and reports to. */
struct conv {
	const unsigned char *map;
	size_t desc_size;
	memmap_warn_fn warn;
	void *ctx;
};

/* Copy descriptor i out of the firmware buffer (no alignment assumed). */
static void read_desc(const struct conv *c, size_t i, struct efi_mem_desc *d)
{
	memcpy(d, c->map + i * c->desc_size, sizeof(*d));
}

static void report(const struct conv *c, enum memmap_problem p, size_t index,
		   uint32_t other_type)
{
	struct memmap_warning w;

	if (!c->warn)
		return;
	memset(&w, 0, sizeof(w));
	w.problem = p;
	w.index = index;
	read_desc(c, index, &w.desc);
	w.other_type = other_type;
	c->warn(c->ctx, &w);
}

/*
 * to_entry - check descriptor @d (input index @i) and turn it into [start,
 * end) in *e, reporting every problem. Returns false if it is dropped.
 */
static bool to_entry(const struct conv *c, size_t i,
		     const struct efi_mem_desc *d, struct mem_entry *e)
{
	bool ram = mem_type_is_ram(d->type);
	uint64_t start = d->phys_start, end;

	if (d->num_pages == 0) {
		report(c, MEMMAP_ZERO_LENGTH, i, 0);
		return false;
	}
	if (d->num_pages > EFI_MAX_PAGES ||
	    (d->num_pages << EFI_PAGE_SHIFT) > UINT64_MAX - start) {
		report(c, MEMMAP_OVERFLOW, i, 0);
		return false;
	}
	end = start + (d->num_pages << EFI_PAGE_SHIFT);
	/* Past the limit: drop; straddling it: clip non-RAM, drop RAM. */
	if (start >= PHYS_ADDR_LIMIT || (end > PHYS_ADDR_LIMIT && ram)) {
		report(c, MEMMAP_ABOVE_LIMIT, i, 0);
		return false;
	}
	if (d->type >= EFI_MEM_TYPE_COUNT)
		report(c, MEMMAP_UNKNOWN_TYPE, i, 0);
	if (d->attr & ~EFI_MEMORY_KNOWN_BITS)
		report(c, MEMMAP_UNKNOWN_ATTR, i, 0);
	if (end > PHYS_ADDR_LIMIT) {
		report(c, MEMMAP_ABOVE_LIMIT, i, 0);
		end = PHYS_ADDR_LIMIT;
	}
	if (!IS_ALIGNED(start, PAGE_SIZE)) {
		report(c, MEMMAP_UNALIGNED, i, 0);
		/* RAM shrinks inward, anything else grows outward. */
		start = ram ? ALIGN_UP(start, PAGE_SIZE) : ALIGN_DOWN(start, PAGE_SIZE);
		end = ram ? ALIGN_DOWN(end, PAGE_SIZE) : ALIGN_UP(end, PAGE_SIZE);
		if (start >= end)
			return false;
	}
	e->start = start;
	e->end = end;
	e->type = d->type;
	e->pad = (uint32_t)i;      /* input index, until painted */
	e->attr = d->attr;
	return true;
}

/*
 * read_entries - convert all @n descriptors into @in, dropping bad ones.
 * The order of the input is not checked: UEFI does not promise a sorted
 * map, so sort_entries() sorts it and nothing is reported.
 * Returns how many were kept.
 */
static size_t read_entries(const struct conv *c, struct mem_entry *in, size_t n)
{
	struct efi_mem_desc d;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		read_desc(c, i, &d);
		if (to_entry(c, i, &d, &in[m]))
			m++;
	}
	return m;
}

/* ---- sorting ---------------------------------------------------------- */

/* Total order for sorting: start, end, type, attributes, input index. */
static bool sorts_before(const struct mem_entry *a, const struct mem_entry *b)
{
	if (a->start != b->start)
		return a->start < b->start;
	if (a->end != b->end)
		return a->end < b->end;
	if (a->type != b->type)
		return a->type < b->type;
	if (a->attr != b->attr)
		return a->attr < b->attr;
	return a->pad < b->pad;
}

static void swap_entries(struct mem_entry *a, struct mem_entry *b)
{
	struct mem_entry t = *a;
	*a = *b;
	*b = t;
}

static void sift_down(struct mem_entry *a, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && sorts_before(&a[child], &a[child + 1]))
			child++;
		if (!sorts_before(&a[root], &a[child]))
			return;
		swap_entries(&a[root], &a[child]);
		root = child;
	}
}

/* Heapsort: in place, no recursion, O(n) when already sorted. */
static void sort_entries(struct mem_entry *a, size_t n)
{
	size_t i;

	for (i = 1; i < n && sorts_before(&a[i - 1], &a[i]); i++)
		;
	if (i >= n)
		return;
	for (i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (i = n; i-- > 1;) {
		swap_entries(&a[0], &a[i]);
		sift_down(a, 0, i);
	}
}

/* ---- overlaps ---------------------------------------------------------- */

/*
 * True if a wins over b where they overlap: higher rank, then higher type
 * value, then higher attribute value (so EFI_MEMORY_RUNTIME, bit 63, is
 * kept). Equal on all three means the same memory: nothing to choose.
 */
static bool outranks(const struct mem_entry *a, const struct mem_entry *b)
{
	int ra = mem_type_rank(a->type), rb = mem_type_rank(b->type);

	if (ra != rb)
		return ra > rb;
	if (a->type != b->type)
		return a->type > b->type;
	return a->attr > b->attr;
}

/* Report one overlapping pair on the entry that loses (on a tie, the one
 * later in the input), naming the winner's type. */
static void report_pair(const struct conv *c, const struct mem_entry *a,
			const struct mem_entry *b)
{
	bool a_loses = outranks(b, a) || (!outranks(a, b) && a->pad > b->pad);
	const struct mem_entry *loser = a_loses ? a : b;
	const struct mem_entry *winner = a_loses ? b : a;

	report(c, MEMMAP_OVERLAP, loser->pad, winner->type);
}

/*
 * report_overlaps - one warning per overlapping pair of the sorted entries.
 * Only entries that start below the furthest end so far are compared with
 * their predecessors, so a map without overlaps costs O(n).
 */
static void report_overlaps(const struct conv *c, const struct mem_entry *a,
			    size_t n)
{
	uint64_t max_end = 0;

	for (size_t i = 0; i < n; i++) {
		if (a[i].start < max_end) {
			for (size_t j = 0; j < i; j++)
				if (a[j].end > a[i].start)
					report_pair(c, &a[j], &a[i]);
		}
		max_end = MAX(max_end, a[i].end);
	}
}

/* ---- painting the clean list ------------------------------------------ */

static bool mergeable(const struct mem_entry *a, const struct mem_entry *b)
{
	return a->end == b->start && a->type == b->type && a->attr == b->attr;
}

/* Append e to the clean list l[0..*n), merging it into the last piece. */
static void append(struct mem_entry *l, size_t *n, const struct mem_entry *e)
{
	if (*n > 0 && mergeable(&l[*n - 1], e)) {
		l[*n - 1].end = e->end;
		return;
	}
	l[*n] = *e;
	l[*n].pad = 0;
	(*n)++;
}

/* Split piece i of l[0..*n) at address at (inside it) into two pieces. */
static void split(struct mem_entry *l, size_t *n, size_t i, paddr_t at)
{
	memmove(&l[i + 1], &l[i], (*n - i) * sizeof(*l));
	l[i].end = at;
	l[i + 1].start = at;
	(*n)++;
}

/* Merge mergeable neighbours in l[from..*n). */
static void compact(struct mem_entry *l, size_t *n, size_t from)
{
	size_t w = from;

	if (*n == 0)
		return;
	for (size_t r = from + 1; r < *n; r++) {
		if (mergeable(&l[w], &l[r]))
			l[w].end = l[r].end;
		else
			l[++w] = l[r];
	}
	*n = w + 1;
}

/*
 * paint - lay e over the clean list l[0..*n), where e wins (outranks).
 * Every piece of l comes from an entry starting at or below e->start, so
 * the pieces reaching past e->start form one gap-free tail of l.
 */
static void paint(struct mem_entry *l, size_t *n, const struct mem_entry *e)
{
	size_t f = *n, g;

	while (f > 0 && l[f - 1].end > e->start)
		f--;
	if (f == *n) {
		append(l, n, e);
		return;
	}
	if (l[f].start < e->start) {
		split(l, n, f, e->start);
		f++;
	}
	for (g = f; g < *n && l[g].start < e->end; g++) {
		if (l[g].end > e->end)
			split(l, n, g, e->end);
		if (outranks(e, &l[g])) {
			l[g].type = e->type;
			l[g].attr = e->attr;
		}
	}
	if (e->end > l[*n - 1].end) {
		l[*n] = *e;
		l[*n].start = l[*n - 1].end;
		l[*n].pad = 0;
		(*n)++;
	}
	compact(l, n, f > 0 ? f - 1 : 0);
}

/* ---- the conversion ---------------------------------------------------- */

static int check_args(const struct memmap *out, const void *map,
		      size_t map_size, size_t desc_size)
{
	if (desc_size < sizeof(struct efi_mem_desc) || desc_size % EFI_DESC_ALIGN != 0)
		return E_INVAL;
	if (map_size % desc_size != 0 || (map_size > 0 && !map))
		return E_INVAL;
	if (map_size / desc_size > UINT32_MAX)
		return E_INVAL;
	if (!out->entries && out->capacity > 0)
		return E_INVAL;
	if (out->capacity / 2 < map_size / desc_size)
		return E_NOSPC;
	return E_OK;
}

int memmap_from_efi(struct memmap *out, const void *map, size_t map_size,
		    size_t desc_size, memmap_warn_fn warn, void *ctx)
{
	struct conv c = { map, desc_size, warn, ctx };
	struct mem_entry *in, e;
	size_t n, m, k = 0;
	int err;

	if (!out)
		return E_INVAL;
	out->count = 0;
	err = check_args(out, map, map_size, desc_size);
	if (err != E_OK)
		return err;
	n = map_size / desc_size;
	if (n == 0)
		return E_OK;
	in = out->entries + (out->capacity - n);
	m = read_entries(&c, in, n);
	sort_entries(in, m);
	report_overlaps(&c, in, m);
	for (size_t i = 0; i < m; i++) {
		e = in[i];
		paint(out->entries, &k, &e);
	}
	out->count = k;
	return E_OK;
}
