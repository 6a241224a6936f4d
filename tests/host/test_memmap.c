/*
 * test_memmap.c - host tests of memmap_from_efi() and its helpers (mm/).
 *
 * Inputs are hand-made EFI maps, encoded with a chosen descriptor size and
 * junk in the padding. Every result goes through check_invariants(); the
 * overlap rules are checked entry by entry, over all permutations of small
 * inputs, and against a brute-force reference on a few thousand random
 * maps. Buffers are allocated at their exact size so ASan catches any read
 * past the map or write past the output capacity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memlayout.h"
#include "memmap.h"
#include "status.h"
#include "tap.h"

#define PG    4096ull
#define LIMIT PHYS_ADDR_LIMIT
#define WB    EFI_MEMORY_WB
#define RT    EFI_MEMORY_RUNTIME
#define UNKNOWN_ATTR_BIT (1ull << 20)

/* One input descriptor, as the test writes it. */
struct d {
	uint32_t type;
	uint64_t start, pages, attr;
};

/* An expected output entry. */
#define E(s, e, t, a) { .start = (s), .end = (e), .type = (t), .attr = (a) }

/* ---- warning log -------------------------------------------------------- */

#define WLOG_CAP 16384

struct wlog {
	size_t n;          /* stored */
	size_t total;      /* reported (may exceed WLOG_CAP) */
	struct memmap_warning w[WLOG_CAP];
};

static struct wlog the_log;

static void collect(void *ctx, const struct memmap_warning *w)
{
	struct wlog *log = ctx;
	if (log->n < WLOG_CAP)
		log->w[log->n++] = *w;
	log->total++;
}

/* An expected warning; other = the winner's type for MEMMAP_OVERLAP. */
struct wexp {
	enum memmap_problem p;
	size_t index;
	uint32_t other;
};

/* ---- running a conversion ----------------------------------------------- */

struct result {
	int status;
	struct memmap m;
	struct wlog *log;
};

static unsigned char junk_byte(size_t i)
{
	return (unsigned char)(0xa5 ^ (i * 37));
}

/* Encode n descriptors with stride desc_size; padding and pad fields junk. */
static unsigned char *encode(const struct d *in, size_t n, size_t desc_size)
{
	unsigned char *buf = malloc(n * desc_size + 1);
	for (size_t i = 0; i < n * desc_size; i++)
		buf[i] = junk_byte(i);
	for (size_t i = 0; i < n; i++) {
		struct efi_mem_desc d = {
			.type = in[i].type, .pad = 0xdeadbeef,
			.phys_start = in[i].start, .virt_start = 0x5a5a5a5a5a5a5a5aull,
			.num_pages = in[i].pages, .attr = in[i].attr,
		};
		memcpy(buf + i * desc_size, &d, sizeof(d));
	}
	return buf;
}

static struct result convert_ex(const struct d *in, size_t n, size_t desc_size,
				size_t cap)
{
	struct result r;
	unsigned char *buf = encode(in, n, desc_size);

	r.m.entries = cap ? malloc(cap * sizeof(struct mem_entry)) : NULL;
	if (cap)
		memset(r.m.entries, 0x77, cap * sizeof(struct mem_entry));
	r.m.capacity = cap;
	r.m.count = 12345;
	r.log = &the_log;
	the_log.n = the_log.total = 0;
	r.status = memmap_from_efi(&r.m, buf, n * desc_size, desc_size,
				   collect, &the_log);
	free(buf);
	return r;
}

/* The usual case: 48-byte descriptors (as OVMF uses), capacity 2n. */
static struct result convert(const struct d *in, size_t n)
{
	return convert_ex(in, n, 48, 2 * n);
}

static void free_result(struct result *r)
{
	free(r->m.entries);
	r->m.entries = NULL;
}

/* ---- checks ------------------------------------------------------------- */

static void dump_map(const struct memmap *m)
{
	for (size_t i = 0; i < m->count && i < 64; i++)
		TAP_DIAG("  [%#llx, %#llx) type %#x attr %#llx",
			 (unsigned long long)m->entries[i].start,
			 (unsigned long long)m->entries[i].end,
			 m->entries[i].type, (unsigned long long)m->entries[i].attr);
}

/* First invariant m breaks, or NULL. */
static const char *invariant_broken(const struct memmap *m, size_t *at)
{
	for (size_t i = 0; i < m->count; i++) {
		const struct mem_entry *e = &m->entries[i];
		*at = i;
		if (e->start >= e->end)
			return "start >= end";
		if (e->start % PG || e->end % PG)
			return "not page aligned";
		if (e->end > LIMIT)
			return "ends past PHYS_ADDR_LIMIT";
		if (e->pad != 0)
			return "pad not zero";
		if (i == 0)
			continue;
		const struct mem_entry *p = &m->entries[i - 1];
		if (p->start >= e->start)
			return "not sorted";
		if (p->end > e->start)
			return "overlaps previous";
		if (p->end == e->start && p->type == e->type && p->attr == e->attr)
			return "mergeable with previous";
	}
	return NULL;
}

static bool invariants_ok(const struct memmap *m)
{
	size_t at;
	return invariant_broken(m, &at) == NULL;
}

static void check_invariants(const char *name, const struct memmap *m)
{
	size_t at = 0;
	const char *why = invariant_broken(m, &at);
	if (!TAP_CHECK(!why, "%s: output invariants hold%s%s (entry %zu)", name,
		       why ? ": " : "", why ? why : "", why ? at : m->count))
		dump_map(m);
}

static bool same_entry(const struct mem_entry *a, const struct mem_entry *b)
{
	return a->start == b->start && a->end == b->end && a->type == b->type &&
	       a->attr == b->attr;
}

static bool same_map(const struct memmap *m, const struct mem_entry *exp, size_t n)
{
	if (m->count != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!same_entry(&m->entries[i], &exp[i]))
			return false;
	return true;
}

static void expect_map(const char *name, const struct result *r,
		       const struct mem_entry *exp, size_t n)
{
	TAP_CHECK(r->status == E_OK, "%s: returns E_OK (got %s)", name,
		  status_name(r->status));
	check_invariants(name, &r->m);
	if (!TAP_CHECK(same_map(&r->m, exp, n), "%s: %zu entries as expected (got %zu)",
		       name, n, r->m.count)) {
		TAP_DIAG("got:");
		dump_map(&r->m);
		TAP_DIAG("expected:");
		for (size_t i = 0; i < n; i++)
			TAP_DIAG("  [%#llx, %#llx) type %#x attr %#llx",
				 (unsigned long long)exp[i].start,
				 (unsigned long long)exp[i].end, exp[i].type,
				 (unsigned long long)exp[i].attr);
	}
}

static int cmp_wexp(const void *a, const void *b)
{
	const struct wexp *x = a, *y = b;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if (x->other != y->other)
		return x->other < y->other ? -1 : 1;
	return 0;
}

/*
 * True if the log matches exp: non-overlap warnings in order, overlap
 * warnings as a multiset (after all the others), each carrying a copy of
 * the descriptor it names.
 */
static bool warnings_match(const struct wlog *log, const struct d *in, size_t nin,
			   const struct wexp *exp, size_t n, char *why, size_t whylen)
{
	static struct wexp got_ov[WLOG_CAP], exp_ov[WLOG_CAP];
	size_t ngot = 0, nexp = 0, ei = 0;

	if (log->n > WLOG_CAP || n > WLOG_CAP) {
		snprintf(why, whylen, "too many warnings to compare");
		return false;
	}

	if (log->total != log->n) {
		snprintf(why, whylen, "log overflow");
		return false;
	}
	for (size_t i = 0; i < log->n; i++) {
		const struct memmap_warning *w = &log->w[i];
		if (w->index >= nin) {
			snprintf(why, whylen, "warning %zu: index %zu out of range", i, w->index);
			return false;
		}
		const struct d *s = &in[w->index];
		if (w->desc.type != s->type || w->desc.phys_start != s->start ||
		    w->desc.num_pages != s->pages || w->desc.attr != s->attr) {
			snprintf(why, whylen, "warning %zu: desc copy differs from input %zu",
				 i, w->index);
			return false;
		}
		if (w->problem == MEMMAP_OVERLAP) {
			got_ov[ngot++] = (struct wexp){ w->problem, w->index, w->other_type };
			continue;
		}
		if (ngot > 0) {
			snprintf(why, whylen, "warning %zu (%s) after an overlap warning", i,
				 memmap_problem_name(w->problem));
			return false;
		}
		while (ei < n && exp[ei].p == MEMMAP_OVERLAP)
			exp_ov[nexp++] = exp[ei++];
		if (ei >= n || exp[ei].p != w->problem || exp[ei].index != w->index) {
			snprintf(why, whylen, "warning %zu: got %s at %zu, expected %s at %zu",
				 i, memmap_problem_name(w->problem), w->index,
				 ei < n ? memmap_problem_name(exp[ei].p) : "nothing",
				 ei < n ? exp[ei].index : 0);
			return false;
		}
		if (w->other_type != 0) {
			snprintf(why, whylen, "warning %zu: other_type %#x, expected 0", i,
				 w->other_type);
			return false;
		}
		ei++;
	}
	for (; ei < n; ei++) {
		if (exp[ei].p != MEMMAP_OVERLAP) {
			snprintf(why, whylen, "missing %s at %zu",
				 memmap_problem_name(exp[ei].p), exp[ei].index);
			return false;
		}
		exp_ov[nexp++] = exp[ei];
	}
	if (ngot != nexp) {
		snprintf(why, whylen, "%zu overlap warnings, expected %zu", ngot, nexp);
		return false;
	}
	qsort(got_ov, ngot, sizeof(got_ov[0]), cmp_wexp);
	qsort(exp_ov, nexp, sizeof(exp_ov[0]), cmp_wexp);
	for (size_t i = 0; i < ngot; i++) {
		if (cmp_wexp(&got_ov[i], &exp_ov[i]) != 0) {
			snprintf(why, whylen, "overlap warning: got index %zu other %#x, "
				 "expected index %zu other %#x", got_ov[i].index,
				 got_ov[i].other, exp_ov[i].index, exp_ov[i].other);
			return false;
		}
	}
	return true;
}

static void expect_warnings(const char *name, const struct result *r,
			    const struct d *in, size_t nin,
			    const struct wexp *exp, size_t n)
{
	char why[200] = "";
	bool ok = warnings_match(r->log, in, nin, exp, n, why, sizeof(why));
	if (!TAP_CHECK(ok, "%s: warnings as expected (%zu)%s%s", name, n,
		       ok ? "" : ": ", why))
		for (size_t i = 0; i < r->log->n && i < 32; i++)
			TAP_DIAG("  got %s at %zu other %#x",
				 memmap_problem_name(r->log->w[i].problem),
				 r->log->w[i].index, r->log->w[i].other_type);
}

/* Run one hand-made case: entries and warnings checked. */
static void check_case(const char *name, const struct d *in, size_t nin,
		       const struct mem_entry *exp, size_t nexp,
		       const struct wexp *wexp, size_t nw)
{
	struct result r = convert(in, nin);
	expect_map(name, &r, exp, nexp);
	expect_warnings(name, &r, in, nin, wexp, nw);
	free_result(&r);
}

#define CASE(name, in, exp, w) \
	check_case(name, in, ARRAY_SIZE(in), exp, ARRAY_SIZE(exp), w, ARRAY_SIZE(w))
#define CASE_NOWARN(name, in, exp) \
	check_case(name, in, ARRAY_SIZE(in), exp, ARRAY_SIZE(exp), NULL, 0)

/* ---- the brute-force reference ----------------------------------------- */

/* The documented order, written out again independently of mm/. */
static int ref_rank(uint32_t type)
{
	switch (type) {
	case EFI_CONVENTIONAL: return 0;
	case EFI_BS_CODE: case EFI_BS_DATA: return 1;
	case EFI_LOADER_CODE: case EFI_LOADER_DATA: return 2;
	case EFI_ACPI_RECLAIM: return 3;
	case EFI_ACPI_NVS: return 4;
	case EFI_RT_CODE: case EFI_RT_DATA: return 5;
	case EFI_PERSISTENT: return 6;
	case EFI_UNACCEPTED: return 7;
	case EFI_UNUSABLE: return 8;
	case EFI_MMIO: case EFI_MMIO_PORT: return 10;
	default: return 9;  /* reserved, PAL code, unknown */
	}
}

static bool ref_is_ram(uint32_t type)
{
	return type == EFI_CONVENTIONAL || type == EFI_LOADER_CODE ||
	       type == EFI_LOADER_DATA || type == EFI_BS_CODE ||
	       type == EFI_BS_DATA || type == EFI_ACPI_RECLAIM;
}

struct ref_ent {
	uint64_t s, e;
	uint32_t type;
	uint64_t attr;
	size_t idx;
	bool kept;
};

/* Normalize one descriptor by the documented rules, listing its warnings. */
static void ref_normalize(const struct d *d, size_t idx, struct ref_ent *r,
			  struct wexp *w, size_t *nw)
{
	unsigned __int128 end = (unsigned __int128)d->start +
				(unsigned __int128)d->pages * PG;
	bool ram = ref_is_ram(d->type);

	r->kept = false;
	r->idx = idx;
	r->type = d->type;
	r->attr = d->attr;
	if (d->pages == 0) {
		w[(*nw)++] = (struct wexp){ MEMMAP_ZERO_LENGTH, idx, 0 };
		return;
	}
	if ((unsigned __int128)d->pages * PG > UINT64_MAX || end > UINT64_MAX) {
		w[(*nw)++] = (struct wexp){ MEMMAP_OVERFLOW, idx, 0 };
		return;
	}
	if (d->start >= LIMIT || (end > LIMIT && ram)) {
		w[(*nw)++] = (struct wexp){ MEMMAP_ABOVE_LIMIT, idx, 0 };
		return;
	}
	if (d->type >= 16)
		w[(*nw)++] = (struct wexp){ MEMMAP_UNKNOWN_TYPE, idx, 0 };
	if (d->attr & ~EFI_MEMORY_KNOWN_BITS)
		w[(*nw)++] = (struct wexp){ MEMMAP_UNKNOWN_ATTR, idx, 0 };
	if (end > LIMIT) {
		w[(*nw)++] = (struct wexp){ MEMMAP_ABOVE_LIMIT, idx, 0 };
		end = LIMIT;
	}
	r->s = d->start;
	r->e = (uint64_t)end;
	if (d->start % PG) {
		w[(*nw)++] = (struct wexp){ MEMMAP_UNALIGNED, idx, 0 };
		if (ram) {
			r->s = (r->s / PG + 1) * PG;
			r->e = r->e / PG * PG;
		} else {
			r->s = r->s / PG * PG;
			r->e = (r->e + PG - 1) / PG * PG;
		}
		if (r->s >= r->e)
			return;
	}
	r->kept = true;
}

/* True if a beats b on an overlap: rank, then type, then attributes. */
static bool ref_beats(const struct ref_ent *a, const struct ref_ent *b)
{
	if (ref_rank(a->type) != ref_rank(b->type))
		return ref_rank(a->type) > ref_rank(b->type);
	if (a->type != b->type)
		return a->type > b->type;
	return a->attr > b->attr;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * ref_check - compare a conversion of in[0..n) against the reference:
 * expected warnings, and at every boundary segment of the address space the
 * output type/attributes == the winner among kept inputs covering it.
 * Returns NULL if all agree, else what differed.
 */
static const char *ref_check(const struct d *in, size_t n, const struct result *r,
			     char *why, size_t whylen)
{
	struct ref_ent *re = calloc(n + 1, sizeof(*re));
	struct wexp *w = calloc(5 * n + 2, sizeof(*w));
	uint64_t *pts = calloc(2 * n + 2 * r->m.count + 2, sizeof(*pts));
	size_t nw = 0, np = 0, pairs = 0;
	const char *res = NULL;

	/* The input's order is never a problem (UEFI does not promise one). */
	for (size_t i = 0; i < n; i++)
		ref_normalize(&in[i], i, &re[i], w, &nw);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			pairs += re[i].kept && re[j].kept && re[i].e > re[j].s &&
				 re[j].e > re[i].s;
	w = realloc(w, (5 * n + 2 + pairs) * sizeof(*w));
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			const struct ref_ent *a = &re[i], *b = &re[j];
			if (!a->kept || !b->kept || a->e <= b->s || b->e <= a->s)
				continue;
			/* Loser: lower priority; on a full tie, the later index (j). */
			bool a_loses = ref_beats(b, a);
			w[nw++] = (struct wexp){ MEMMAP_OVERLAP, a_loses ? i : j,
						 a_loses ? b->type : a->type };
		}
	if (r->status != E_OK) {
		snprintf(why, whylen, "status %s", status_name(r->status));
		res = why;
		goto out;
	}
	if (!warnings_match(r->log, in, n, w, nw, why, whylen)) {
		res = why;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (re[i].kept) {
			pts[np++] = re[i].s;
			pts[np++] = re[i].e;
		}
	for (size_t i = 0; i < r->m.count; i++) {
		pts[np++] = r->m.entries[i].start;
		pts[np++] = r->m.entries[i].end;
	}
	qsort(pts, np, sizeof(*pts), cmp_u64);
	for (size_t k = 0; k < np; k++) {
		uint64_t x = pts[k];
		const struct ref_ent *win = NULL;
		const struct mem_entry *got = NULL;
		if (k > 0 && pts[k - 1] == x)
			continue;
		for (size_t i = 0; i < n; i++)
			if (re[i].kept && re[i].s <= x && x < re[i].e &&
			    (!win || ref_beats(&re[i], win)))
				win = &re[i];
		for (size_t i = 0; i < r->m.count; i++)
			if (r->m.entries[i].start <= x && x < r->m.entries[i].end)
				got = &r->m.entries[i];
		if (!win && !got)
			continue;
		if (!win || !got || win->type != got->type || win->attr != got->attr) {
			snprintf(why, whylen, "at %#llx: expected %s type %#x attr %#llx, "
				 "got %s type %#x attr %#llx", (unsigned long long)x,
				 win ? "covered" : "hole", win ? win->type : 0,
				 (unsigned long long)(win ? win->attr : 0),
				 got ? "covered" : "hole", got ? got->type : 0,
				 (unsigned long long)(got ? got->attr : 0));
			res = why;
			goto out;
		}
	}
out:
	free(re);
	free(w);
	free(pts);
	return res;
}

/* ---- the cases ---------------------------------------------------------- */

static void test_type_helpers(void)
{
	static const uint32_t order[][2] = {
		{ EFI_CONVENTIONAL, EFI_BS_CODE }, { EFI_BS_DATA, EFI_LOADER_CODE },
		{ EFI_LOADER_DATA, EFI_ACPI_RECLAIM }, { EFI_ACPI_RECLAIM, EFI_ACPI_NVS },
		{ EFI_ACPI_NVS, EFI_RT_CODE }, { EFI_RT_DATA, EFI_PERSISTENT },
		{ EFI_PERSISTENT, EFI_UNACCEPTED }, { EFI_UNACCEPTED, EFI_UNUSABLE },
		{ EFI_UNUSABLE, EFI_RESERVED }, { EFI_RESERVED, EFI_MMIO },
		{ 0x70000001, EFI_MMIO_PORT },
	};
	static const uint32_t same[][2] = {
		{ EFI_BS_CODE, EFI_BS_DATA }, { EFI_LOADER_CODE, EFI_LOADER_DATA },
		{ EFI_RT_CODE, EFI_RT_DATA }, { EFI_MMIO, EFI_MMIO_PORT },
		{ EFI_RESERVED, EFI_PAL_CODE }, { EFI_RESERVED, 16 },
		{ EFI_RESERVED, 0x70000001 }, { EFI_RESERVED, 0xffffffff },
	};
	bool ok = true;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (!(mem_type_rank(order[i][0]) < mem_type_rank(order[i][1]))) {
			TAP_DIAG("rank(%#x) >= rank(%#x)", order[i][0], order[i][1]);
			ok = false;
		}
	TAP_CHECK(ok, "mem_type_rank: documented order, strictly increasing");
	ok = true;
	for (size_t i = 0; i < ARRAY_SIZE(same); i++)
		ok &= mem_type_rank(same[i][0]) == mem_type_rank(same[i][1]);
	TAP_CHECK(ok, "mem_type_rank: code/data pairs, PAL, unknown types share ranks");
	TAP_CHECK(mem_type_rank(EFI_CONVENTIONAL) == 0, "mem_type_rank: conventional is 0");

	ok = true;
	for (uint32_t t = 0; t < 20; t++)
		ok &= mem_type_is_ram(t) == ref_is_ram(t);
	ok &= !mem_type_is_ram(0x70000007) && !mem_type_is_ram(0x80000007);
	TAP_CHECK(ok, "mem_type_is_ram: exactly conventional, loader, BS, ACPI reclaim");

	TAP_CHECK(strcmp(efi_mem_type_name(EFI_CONVENTIONAL), "Conventional") == 0,
		  "efi_mem_type_name(7) = Conventional");
	TAP_CHECK(strcmp(efi_mem_type_name(16), "?") == 0 &&
		  strcmp(efi_mem_type_name(0x70000001), "?") == 0,
		  "efi_mem_type_name: unknown types are ?");
	ok = true;
	for (uint32_t t = 0; t < EFI_MEM_TYPE_COUNT; t++)
		for (uint32_t u = 0; u < t; u++)
			ok &= efi_mem_type_name(t) && strcmp(efi_mem_type_name(t), "?") &&
			      strcmp(efi_mem_type_name(t), efi_mem_type_name(u)) != 0;
	TAP_CHECK(ok, "efi_mem_type_name: every known type has its own name");
	TAP_CHECK(strcmp(status_name(E_OK), "E_OK") == 0 &&
		  strcmp(status_name(E_INVAL), "E_INVAL") == 0 &&
		  strcmp(status_name(E_NOSPC), "E_NOSPC") == 0 &&
		  strcmp(status_name(E_PERM), "E_PERM") == 0 &&
		  strcmp(status_name(-99), "E_?") == 0, "status_name");
	ok = true;
	for (int p = MEMMAP_ZERO_LENGTH; p <= MEMMAP_OVERLAP; p++)
		for (int q = MEMMAP_ZERO_LENGTH; q < p; q++)
			ok &= strcmp(memmap_problem_name(p), memmap_problem_name(q)) != 0;
	TAP_CHECK(ok && strcmp(memmap_problem_name(MEMMAP_ZERO_LENGTH), "zero-length entry") == 0,
		  "memmap_problem_name: distinct names");
}

static void test_clean(void)
{
	static const struct d in[] = {
		{ EFI_BS_CODE, 0x0, 1, WB },
		{ EFI_CONVENTIONAL, 0x1000, 0x9f, WB },
		{ EFI_RESERVED, 0xa0000, 0x60, 0 },
		{ EFI_LOADER_DATA, 0x100000, 0x100, WB },
		{ EFI_CONVENTIONAL, 0x200000, 0x600, WB },
		{ EFI_ACPI_NVS, 0x800000, 8, WB },
		{ EFI_RT_DATA, 0x808000, 4, WB | RT },
		{ EFI_CONVENTIONAL, 0x900000, 0x1000, WB },
		{ EFI_MMIO, 0xffc00000, 0x400, RT | EFI_MEMORY_UC },
		{ EFI_CONVENTIONAL, 0x100000000, 0x40000, WB },
	};
	static const struct mem_entry exp[] = {
		E(0x0, 0x1000, EFI_BS_CODE, WB),
		E(0x1000, 0xa0000, EFI_CONVENTIONAL, WB),
		E(0xa0000, 0x100000, EFI_RESERVED, 0),
		E(0x100000, 0x200000, EFI_LOADER_DATA, WB),
		E(0x200000, 0x800000, EFI_CONVENTIONAL, WB),
		E(0x800000, 0x808000, EFI_ACPI_NVS, WB),
		E(0x808000, 0x80c000, EFI_RT_DATA, WB | RT),
		E(0x900000, 0x1900000, EFI_CONVENTIONAL, WB),
		E(0xffc00000, 0x100000000, EFI_MMIO, RT | EFI_MEMORY_UC),
		E(0x100000000, 0x140000000, EFI_CONVENTIONAL, WB),
	};
	CASE_NOWARN("clean map", in, exp);

	struct result r = convert(in, ARRAY_SIZE(in));
	TAP_CHECK(memmap_ram_bytes(&r.m) == 0x1000 + 0x9f000 + 0x100000 + 0x600000 +
		  0x1000000 + 0x40000000ull, "memmap_ram_bytes of the clean map");
	TAP_CHECK(memmap_bytes_of_type(&r.m, EFI_CONVENTIONAL) ==
		  0x9f000 + 0x600000 + 0x1000000 + 0x40000000ull &&
		  memmap_bytes_of_type(&r.m, EFI_MMIO) == 0x400000 &&
		  memmap_bytes_of_type(&r.m, EFI_UNUSABLE) == 0,
		  "memmap_bytes_of_type of the clean map");
	free_result(&r);

	/* The same map in an odd order: same result and no problem, since
	 * UEFI does not promise a sorted map (OVMF with 4 GiB returns one). */
	const struct d shuffled[] = {
		in[3], in[9], in[0], in[8], in[1], in[2], in[4], in[5], in[6], in[7],
	};
	CASE_NOWARN("unsorted map: sorted, 0 problems", shuffled, exp);
	r = convert(shuffled, ARRAY_SIZE(shuffled));
	TAP_CHECK(r.status == E_OK && the_log.total == 0,
		  "unsorted map: the warn callback is never called");
	free_result(&r);

	/* Unsorted does not hide a real problem: a zero-length entry and an
	 * overlap in the same shuffled map are both still reported. */
	struct d bad[ARRAY_SIZE(shuffled) + 2];
	for (size_t i = 0; i < ARRAY_SIZE(shuffled); i++)
		bad[i] = shuffled[i];
	bad[ARRAY_SIZE(shuffled)] = (struct d){ EFI_RESERVED, 0x5000, 0, 0 };
	bad[ARRAY_SIZE(shuffled) + 1] = (struct d){ EFI_MMIO, 0x1000, 1, RT };
	static const struct mem_entry bad_exp[] = {
		E(0x0, 0x1000, EFI_BS_CODE, WB),
		E(0x1000, 0x2000, EFI_MMIO, RT),
		E(0x2000, 0xa0000, EFI_CONVENTIONAL, WB),
		E(0xa0000, 0x100000, EFI_RESERVED, 0),
		E(0x100000, 0x200000, EFI_LOADER_DATA, WB),
		E(0x200000, 0x800000, EFI_CONVENTIONAL, WB),
		E(0x800000, 0x808000, EFI_ACPI_NVS, WB),
		E(0x808000, 0x80c000, EFI_RT_DATA, WB | RT),
		E(0x900000, 0x1900000, EFI_CONVENTIONAL, WB),
		E(0xffc00000, 0x100000000, EFI_MMIO, RT | EFI_MEMORY_UC),
		E(0x100000000, 0x140000000, EFI_CONVENTIONAL, WB),
	};
	static const struct wexp bad_w[] = {
		{ MEMMAP_ZERO_LENGTH, ARRAY_SIZE(shuffled), 0 },
		{ MEMMAP_OVERLAP, 4, EFI_MMIO },
	};
	CASE("unsorted map with a zero-length entry and an overlap: 2 problems",
	     bad, bad_exp, bad_w);

	/* Fully reversed. */
	struct d rev[ARRAY_SIZE(in)];
	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		rev[i] = in[ARRAY_SIZE(in) - 1 - i];
	CASE_NOWARN("reversed map: sorted, 0 problems", rev, exp);

	/* Out of order but touching: merged, nothing reported. */
	static const struct d eq[] = {
		{ EFI_CONVENTIONAL, 0x2000, 2, WB },
		{ EFI_CONVENTIONAL, 0x1000, 1, WB },
	};
	static const struct mem_entry eq_exp[] = { E(0x1000, 0x4000, EFI_CONVENTIONAL, WB) };
	CASE_NOWARN("two entries, second lower: merged, 0 problems", eq, eq_exp);

	static const struct d empty[1];
	struct result e = convert_ex(empty, 0, 48, 0);
	TAP_CHECK(e.status == E_OK && e.m.count == 0 && the_log.total == 0,
		  "empty map: E_OK, no entries, no warnings");
	free_result(&e);
}

static void test_merge(void)
{
	static const struct d in[] = {
		{ EFI_CONVENTIONAL, 0x0, 1, WB },
		{ EFI_CONVENTIONAL, 0x1000, 2, WB },
		{ EFI_CONVENTIONAL, 0x3000, 1, WB },
		{ EFI_CONVENTIONAL, 0x4000, 1, WB | RT },       /* attrs differ */
		{ EFI_CONVENTIONAL, 0x5000, 1, WB | RT },
		{ EFI_CONVENTIONAL, 0x7000, 1, WB | RT },       /* gap before */
		{ EFI_BS_DATA, 0x8000, 1, WB | RT },             /* type differs */
		{ EFI_BS_DATA, 0x9000, 1, WB | EFI_MEMORY_UC },  /* cache attr differs */
		{ EFI_BS_DATA, 0xa000, 1, WB | EFI_MEMORY_UC },
	};
	static const struct mem_entry exp[] = {
		E(0x0, 0x4000, EFI_CONVENTIONAL, WB),
		E(0x4000, 0x6000, EFI_CONVENTIONAL, WB | RT),
		E(0x7000, 0x8000, EFI_CONVENTIONAL, WB | RT),
		E(0x8000, 0x9000, EFI_BS_DATA, WB | RT),
		E(0x9000, 0xb000, EFI_BS_DATA, WB | EFI_MEMORY_UC),
	};
	CASE_NOWARN("adjacent same type+attr merge, different attr/type/gap do not", in, exp);

	/* Dozens of 1-page BS fragments (like the Mac mini) become one. */
	struct d frag[200];
	for (size_t i = 0; i < ARRAY_SIZE(frag); i++)
		frag[i] = (struct d){ i % 2 ? EFI_BS_CODE : EFI_BS_DATA, 0x100000 + i * PG, 1, WB };
	struct result r = convert(frag, ARRAY_SIZE(frag));
	check_invariants("200 alternating BS fragments", &r.m);
	TAP_CHECK(r.status == E_OK && r.m.count == 200 && the_log.total == 0,
		  "alternating BS code/data fragments stay apart (%zu)", r.m.count);
	free_result(&r);
	for (size_t i = 0; i < ARRAY_SIZE(frag); i++)
		frag[i].type = EFI_BS_DATA;
	r = convert(frag, ARRAY_SIZE(frag));
	static const struct mem_entry one[] = { E(0x100000, 0x100000 + 200 * PG, EFI_BS_DATA, WB) };
	expect_map("200 BS data fragments", &r, one, 1);
	free_result(&r);
}

static void test_dropped(void)
{
	/* Phoenix notebook: five trailing zero-page Reserved entries at 0. */
	static const struct d phoenix[] = {
		{ EFI_CONVENTIONAL, 0x0, 0x9f, WB },
		{ EFI_RESERVED, 0x9f000, 1, 0 },
		{ EFI_CONVENTIONAL, 0x100000, 0x100, WB },
		{ EFI_RESERVED, 0, 0, 0 }, { EFI_RESERVED, 0, 0, 0 },
		{ EFI_RESERVED, 0, 0, 0 }, { EFI_RESERVED, 0, 0, 0 },
		{ EFI_RESERVED, 0, 0, 0 },
	};
	static const struct mem_entry phoenix_exp[] = {
		E(0x0, 0x9f000, EFI_CONVENTIONAL, WB),
		E(0x9f000, 0xa0000, EFI_RESERVED, 0),
		E(0x100000, 0x200000, EFI_CONVENTIONAL, WB),
	};
	static const struct wexp phoenix_w[] = {
		{ MEMMAP_ZERO_LENGTH, 3, 0 }, { MEMMAP_ZERO_LENGTH, 4, 0 },
		{ MEMMAP_ZERO_LENGTH, 5, 0 }, { MEMMAP_ZERO_LENGTH, 6, 0 },
		{ MEMMAP_ZERO_LENGTH, 7, 0 },
	};
	CASE("zero-length Reserved entries at 0 (Phoenix)", phoenix, phoenix_exp, phoenix_w);

	static const struct d limit[] = {
		{ EFI_CONVENTIONAL, 0x1000, 1, WB },
		{ EFI_MMIO, LIMIT, 1, RT },                     /* starts at the limit */
		{ EFI_CONVENTIONAL, 1ull << 60, 16, WB },       /* far past */
		{ EFI_MMIO, LIMIT - 0x2000, 4, RT },            /* straddles: clipped */
		{ EFI_CONVENTIONAL, LIMIT - 0x10000, 0x20, WB },/* RAM straddling: dropped */
		{ EFI_RESERVED, LIMIT - 0x10000, 0x10, 0 },     /* ends exactly at it: kept */
		{ EFI_RESERVED, 0, (LIMIT >> 12) * 2, 0 },      /* 0..2^53: clipped to [0, 2^52) */
	};
	static const struct mem_entry limit_exp[] = {
		E(0x0, LIMIT - 0x2000, EFI_RESERVED, 0),
		E(LIMIT - 0x2000, LIMIT, EFI_MMIO, RT),
	};
	static const struct wexp limit_w[] = {
		{ MEMMAP_ABOVE_LIMIT, 1, 0 }, { MEMMAP_ABOVE_LIMIT, 2, 0 },
		{ MEMMAP_ABOVE_LIMIT, 3, 0 }, { MEMMAP_ABOVE_LIMIT, 4, 0 },
		{ MEMMAP_ABOVE_LIMIT, 6, 0 },
		{ MEMMAP_OVERLAP, 0, EFI_RESERVED },
		{ MEMMAP_OVERLAP, 6, EFI_MMIO },
		{ MEMMAP_OVERLAP, 6, EFI_RESERVED },       /* full tie with 5: later loses */
		{ MEMMAP_OVERLAP, 5, EFI_MMIO },
	};
	CASE("past / straddling / at PHYS_ADDR_LIMIT", limit, limit_exp, limit_w);

	static const struct d straddle_only[] = {
		{ EFI_MMIO, LIMIT - 0x2000, 4, RT },
		{ EFI_CONVENTIONAL, LIMIT - 0x10000, 0x20, WB },
		{ EFI_PERSISTENT, LIMIT - 0x100000, 0x100, WB },
	};
	static const struct wexp straddle_w[] = {
		{ MEMMAP_ABOVE_LIMIT, 0, 0 }, { MEMMAP_ABOVE_LIMIT, 1, 0 },
		{ MEMMAP_OVERLAP, 2, EFI_MMIO },
	};
	/* MMIO [L-8K, L) wins over Persistent [L-1M, L) on its part. */
	static const struct mem_entry straddle_exp2[] = {
		E(LIMIT - 0x100000, LIMIT - 0x2000, EFI_PERSISTENT, WB),
		E(LIMIT - 0x2000, LIMIT, EFI_MMIO, RT),
	};
	CASE("MMIO clipped at the limit wins over persistent below it",
	     straddle_only, straddle_exp2, straddle_w);

	static const struct d wrap[] = {
		{ EFI_MMIO, 0xfffffffffffff000ull, 1, RT },           /* end == 2^64 */
		{ EFI_MMIO, 0xffffffff00000000ull, 0x100001, RT },    /* wraps */
		{ EFI_RESERVED, 0x1000, (1ull << 52) - 1, 0 },        /* 0x1000 + 2^64-4K */
		{ EFI_CONVENTIONAL, 0x2000, 1ull << 52, WB },         /* pages*4096 = 2^64 */
		{ EFI_CONVENTIONAL, 0x3000, UINT64_MAX, WB },         /* multiply overflow */
		{ EFI_RESERVED, 0x4000, 0x0010000000000001ull, 0 },
		{ EFI_CONVENTIONAL, 0x10000, 1, WB },
	};
	static const struct mem_entry wrap_exp[] = { E(0x10000, 0x11000, EFI_CONVENTIONAL, WB) };
	static const struct wexp wrap_w[] = {
		{ MEMMAP_OVERFLOW, 0, 0 }, { MEMMAP_OVERFLOW, 1, 0 },
		{ MEMMAP_OVERFLOW, 2, 0 }, { MEMMAP_OVERFLOW, 3, 0 },
		{ MEMMAP_OVERFLOW, 4, 0 }, { MEMMAP_OVERFLOW, 5, 0 },
	};
	CASE("end wrapping 2^64 and pages*4096 overflow", wrap, wrap_exp, wrap_w);

	/* Largest size that does not overflow: clipped (non-RAM) or dropped (RAM). */
	static const struct d big[] = {
		{ EFI_RESERVED, 0x0, (1ull << 52) - 1, 0 },
		{ EFI_CONVENTIONAL, 0x0, (1ull << 52) - 1, WB },
	};
	static const struct mem_entry big_exp[] = { E(0, LIMIT, EFI_RESERVED, 0) };
	static const struct wexp big_w[] = {
		{ MEMMAP_ABOVE_LIMIT, 0, 0 }, { MEMMAP_ABOVE_LIMIT, 1, 0 },
	};
	CASE("2^52-1 pages from 0", big, big_exp, big_w);
}

static void test_unaligned_unknown(void)
{
	static const struct d in[] = {
		{ EFI_CONVENTIONAL, 0x1800, 3, WB },      /* -> [0x2000, 0x4000) */
		{ EFI_CONVENTIONAL, 0x5800, 1, WB },      /* shrinks to nothing */
		{ EFI_RESERVED, 0x10800, 2, 0 },          /* -> [0x10000, 0x13000) */
		{ EFI_MMIO, 0x20010, 1, RT },             /* -> [0x20000, 0x22000) */
		{ EFI_ACPI_RECLAIM, 0x30fff, 2, WB },     /* RAM -> [0x31000, 0x32000) */
	};
	static const struct mem_entry exp[] = {
		E(0x2000, 0x4000, EFI_CONVENTIONAL, WB),
		E(0x10000, 0x13000, EFI_RESERVED, 0),
		E(0x20000, 0x22000, EFI_MMIO, RT),
		E(0x31000, 0x32000, EFI_ACPI_RECLAIM, WB),
	};
	static const struct wexp w[] = {
		{ MEMMAP_UNALIGNED, 0, 0 }, { MEMMAP_UNALIGNED, 1, 0 },
		{ MEMMAP_UNALIGNED, 2, 0 }, { MEMMAP_UNALIGNED, 3, 0 },
		{ MEMMAP_UNALIGNED, 4, 0 },
	};
	CASE("unaligned starts: RAM shrinks, non-RAM grows", in, exp, w);

	/* A grown non-RAM edge takes a page from the RAM next to it. */
	static const struct d grow[] = {
		{ EFI_CONVENTIONAL, 0x0, 5, WB },
		{ EFI_RESERVED, 0x4800, 1, 0 },           /* -> [0x4000, 0x6000) */
		{ EFI_CONVENTIONAL, 0x5800, 2, WB },      /* -> [0x6000, 0x7000) */
	};
	static const struct mem_entry grow_exp[] = {
		E(0x0, 0x4000, EFI_CONVENTIONAL, WB),
		E(0x4000, 0x6000, EFI_RESERVED, 0),
		E(0x6000, 0x7000, EFI_CONVENTIONAL, WB),
	};
	static const struct wexp grow_w[] = {
		{ MEMMAP_UNALIGNED, 1, 0 }, { MEMMAP_UNALIGNED, 2, 0 },
		{ MEMMAP_OVERLAP, 0, EFI_RESERVED },
	};
	CASE("unaligned reserved between RAM entries", grow, grow_exp, grow_w);

	static const struct d unk[] = {
		{ EFI_CONVENTIONAL, 0x0, 0x10, WB },
		{ 0x70000001, 0x4000, 4, RT },            /* OEM type over RAM: wins */
		{ 16, 0x10000, 4, 0 },
		{ EFI_RESERVED, 0x12000, 4, 0 },          /* ties with 16: 16 wins */
		{ 0x80000000, 0x20000, 1, WB | UNKNOWN_ATTR_BIT },
		{ EFI_MMIO, 0x20000, 1, RT },             /* MMIO beats unknown */
		{ EFI_CONVENTIONAL, 0x30000, 1, WB | UNKNOWN_ATTR_BIT | (1ull << 40) },
		{ 0x7fffffff, 0x40800, 1, 1ull << 33 },   /* all three problems */
	};
	static const struct mem_entry unk_exp[] = {
		E(0x0, 0x4000, EFI_CONVENTIONAL, WB),
		E(0x4000, 0x8000, 0x70000001, RT),
		E(0x8000, 0x10000, EFI_CONVENTIONAL, WB),
		E(0x10000, 0x14000, 16, 0),
		E(0x14000, 0x16000, EFI_RESERVED, 0),
		E(0x20000, 0x21000, EFI_MMIO, RT),
		E(0x30000, 0x31000, EFI_CONVENTIONAL, WB | UNKNOWN_ATTR_BIT | (1ull << 40)),
		E(0x40000, 0x42000, 0x7fffffff, 1ull << 33),
	};
	static const struct wexp unk_w[] = {
		{ MEMMAP_UNKNOWN_TYPE, 1, 0 },
		{ MEMMAP_UNKNOWN_TYPE, 2, 0 },
		{ MEMMAP_UNKNOWN_TYPE, 4, 0 }, { MEMMAP_UNKNOWN_ATTR, 4, 0 },
		{ MEMMAP_UNKNOWN_ATTR, 6, 0 },
		{ MEMMAP_UNKNOWN_TYPE, 7, 0 }, { MEMMAP_UNKNOWN_ATTR, 7, 0 },
		{ MEMMAP_UNALIGNED, 7, 0 },
		{ MEMMAP_OVERLAP, 0, 0x70000001 },
		{ MEMMAP_OVERLAP, 3, 16 },
		{ MEMMAP_OVERLAP, 4, EFI_MMIO },
	};
	CASE("unknown types and attribute bits", unk, unk_exp, unk_w);
}

static void test_overlaps(void)
{
	static const struct d left[] = {
		{ EFI_CONVENTIONAL, 0x0, 4, WB },
		{ EFI_RESERVED, 0x2000, 4, 0 },
	};
	static const struct mem_entry left_exp[] = {
		E(0x0, 0x2000, EFI_CONVENTIONAL, WB), E(0x2000, 0x6000, EFI_RESERVED, 0),
	};
	static const struct wexp left_w[] = { { MEMMAP_OVERLAP, 0, EFI_RESERVED } };
	CASE("overlap: restrictive entry over the right edge", left, left_exp, left_w);

	static const struct d right[] = {
		{ EFI_RESERVED, 0x0, 4, 0 },
		{ EFI_CONVENTIONAL, 0x2000, 4, WB },
	};
	static const struct mem_entry right_exp[] = {
		E(0x0, 0x4000, EFI_RESERVED, 0), E(0x4000, 0x6000, EFI_CONVENTIONAL, WB),
	};
	static const struct wexp right_w[] = { { MEMMAP_OVERLAP, 1, EFI_RESERVED } };
	CASE("overlap: restrictive entry over the left edge", right, right_exp, right_w);

	static const struct d inside[] = {
		{ EFI_CONVENTIONAL, 0x0, 16, WB },
		{ EFI_MMIO, 0x4000, 2, RT | EFI_MEMORY_UC },
	};
	static const struct mem_entry inside_exp[] = {
		E(0x0, 0x4000, EFI_CONVENTIONAL, WB),
		E(0x4000, 0x6000, EFI_MMIO, RT | EFI_MEMORY_UC),
		E(0x6000, 0x10000, EFI_CONVENTIONAL, WB),
	};
	static const struct wexp inside_w[] = { { MEMMAP_OVERLAP, 0, EFI_MMIO } };
	CASE("overlap: MMIO inside RAM splits it", inside, inside_exp, inside_w);

	static const struct d outside[] = {
		{ EFI_MMIO, 0x0, 16, RT },
		{ EFI_CONVENTIONAL, 0x4000, 2, WB },
	};
	static const struct mem_entry outside_exp[] = { E(0x0, 0x10000, EFI_MMIO, RT) };
	static const struct wexp outside_w[] = { { MEMMAP_OVERLAP, 1, EFI_MMIO } };
	CASE("overlap: RAM inside MMIO vanishes", outside, outside_exp, outside_w);

	static const struct d ident[] = {
		{ EFI_ACPI_NVS, 0x1000, 2, WB },
		{ EFI_CONVENTIONAL, 0x1000, 2, WB },
		{ EFI_CONVENTIONAL, 0x8000, 2, WB },
		{ EFI_CONVENTIONAL, 0x8000, 2, WB },      /* exact duplicate */
	};
	static const struct mem_entry ident_exp[] = {
		E(0x1000, 0x3000, EFI_ACPI_NVS, WB), E(0x8000, 0xa000, EFI_CONVENTIONAL, WB),
	};
	static const struct wexp ident_w[] = {
		{ MEMMAP_OVERLAP, 1, EFI_ACPI_NVS }, { MEMMAP_OVERLAP, 3, EFI_CONVENTIONAL },
	};
	CASE("overlap: identical ranges", ident, ident_exp, ident_w);

	static const struct d three[] = {
		{ EFI_CONVENTIONAL, 0x0, 16, WB },
		{ EFI_BS_DATA, 0x2000, 6, WB },
		{ EFI_RT_DATA, 0x6000, 6, WB | RT },
	};
	static const struct mem_entry three_exp[] = {
		E(0x0, 0x2000, EFI_CONVENTIONAL, WB),
		E(0x2000, 0x6000, EFI_BS_DATA, WB),
		E(0x6000, 0xc000, EFI_RT_DATA, WB | RT),
		E(0xc000, 0x10000, EFI_CONVENTIONAL, WB),
	};
	static const struct wexp three_w[] = {
		{ MEMMAP_OVERLAP, 0, EFI_BS_DATA }, { MEMMAP_OVERLAP, 0, EFI_RT_DATA },
		{ MEMMAP_OVERLAP, 1, EFI_RT_DATA },
	};
	CASE("overlap: three-way", three, three_exp, three_w);

	static const struct d ram2[] = {
		{ EFI_CONVENTIONAL, 0x0, 8, WB },
		{ EFI_LOADER_DATA, 0x4000, 8, WB },
		{ EFI_BS_CODE, 0x20000, 4, WB },
		{ EFI_BS_DATA, 0x22000, 4, WB },          /* same rank: BS data (4) wins */
		{ EFI_CONVENTIONAL, 0x30000, 4, WB },
		{ EFI_CONVENTIONAL, 0x32000, 4, WB | RT },/* same type: larger attr wins */
	};
	static const struct mem_entry ram2_exp[] = {
		E(0x0, 0x4000, EFI_CONVENTIONAL, WB),
		E(0x4000, 0xc000, EFI_LOADER_DATA, WB),
		E(0x20000, 0x22000, EFI_BS_CODE, WB),
		E(0x22000, 0x26000, EFI_BS_DATA, WB),
		E(0x30000, 0x32000, EFI_CONVENTIONAL, WB),
		E(0x32000, 0x36000, EFI_CONVENTIONAL, WB | RT),
	};
	static const struct wexp ram2_w[] = {
		{ MEMMAP_OVERLAP, 0, EFI_LOADER_DATA }, { MEMMAP_OVERLAP, 2, EFI_BS_DATA },
		{ MEMMAP_OVERLAP, 4, EFI_CONVENTIONAL },
	};
	CASE("overlap: two RAM types, equal-rank and equal-type ties", ram2, ram2_exp, ram2_w);

	static const struct d mmio[] = {
		{ EFI_CONVENTIONAL, 0xc0000000, 0x40000, WB },   /* 3 GiB .. 4 GiB */
		{ EFI_MMIO, 0xe0000000, 0x10000, RT | EFI_MEMORY_UC },
		{ EFI_MMIO, 0xfec00000, 0x1800, RT | EFI_MEMORY_UC }, /* crosses 4 GiB */
	};
	static const struct mem_entry mmio_exp[] = {
		E(0xc0000000, 0xe0000000, EFI_CONVENTIONAL, WB),
		E(0xe0000000, 0xf0000000, EFI_MMIO, RT | EFI_MEMORY_UC),
		E(0xf0000000, 0xfec00000, EFI_CONVENTIONAL, WB),
		E(0xfec00000, 0x100400000, EFI_MMIO, RT | EFI_MEMORY_UC),
	};
	static const struct wexp mmio_w[] = {
		{ MEMMAP_OVERLAP, 0, EFI_MMIO }, { MEMMAP_OVERLAP, 0, EFI_MMIO },
	};
	CASE("overlap: RAM over the PCI hole, MMIO wins",
	     mmio, mmio_exp, mmio_w);

	/* Overlapping same type/attr entries fuse into one. */
	static const struct d fuse[] = {
		{ EFI_CONVENTIONAL, 0x0, 4, WB },
		{ EFI_CONVENTIONAL, 0x2000, 4, WB },
		{ EFI_CONVENTIONAL, 0x6000, 2, WB },
	};
	static const struct mem_entry fuse_exp[] = { E(0x0, 0x8000, EFI_CONVENTIONAL, WB) };
	static const struct wexp fuse_w[] = { { MEMMAP_OVERLAP, 1, EFI_CONVENTIONAL } };
	CASE("overlap: same type and attributes fuse", fuse, fuse_exp, fuse_w);

	/* A restrictive entry spanning several pieces keeps higher ones. */
	static const struct d span[] = {
		{ EFI_CONVENTIONAL, 0x0, 32, WB },
		{ EFI_MMIO, 0x4000, 1, RT },
		{ EFI_RESERVED, 0x8000, 1, 0 },
		{ EFI_ACPI_NVS, 0x2000, 16, WB },
	};
	static const struct mem_entry span_exp[] = {
		E(0x0, 0x2000, EFI_CONVENTIONAL, WB),
		E(0x2000, 0x4000, EFI_ACPI_NVS, WB),
		E(0x4000, 0x5000, EFI_MMIO, RT),
		E(0x5000, 0x8000, EFI_ACPI_NVS, WB),
		E(0x8000, 0x9000, EFI_RESERVED, 0),
		E(0x9000, 0x12000, EFI_ACPI_NVS, WB),
		E(0x12000, 0x20000, EFI_CONVENTIONAL, WB),
	};
	static const struct wexp span_w[] = {
		{ MEMMAP_OVERLAP, 0, EFI_MMIO }, { MEMMAP_OVERLAP, 0, EFI_RESERVED },
		{ MEMMAP_OVERLAP, 0, EFI_ACPI_NVS }, { MEMMAP_OVERLAP, 3, EFI_MMIO },
		{ MEMMAP_OVERLAP, 3, EFI_RESERVED },
	};
	CASE("overlap: NVS painted over RAM around MMIO and reserved", span, span_exp, span_w);
}

/* ---- permutations ------------------------------------------------------- */

static bool next_permutation(size_t *p, size_t n)
{
	size_t i = n - 1, j = n - 1;
	if (n < 2)
		return false;
	while (i > 0 && p[i - 1] >= p[i])
		i--;
	if (i == 0)
		return false;
	while (p[j] <= p[i - 1])
		j--;
	size_t t = p[i - 1]; p[i - 1] = p[j]; p[j] = t;
	for (j = n - 1; i < j; i++, j--) {
		t = p[i]; p[i] = p[j]; p[j] = t;
	}
	return true;
}

/* A warning mapped back to the original entry it names. */
struct owarn {
	int p;
	size_t orig;
	uint32_t other;
};

static int cmp_owarn(const void *a, const void *b)
{
	const struct owarn *x = a, *y = b;
	if (x->p != y->p) return x->p - y->p;
	if (x->orig != y->orig) return x->orig < y->orig ? -1 : 1;
	return x->other < y->other ? -1 : x->other > y->other;
}

/*
 * Every order of in[0..n) gives exactly exp, the reference's answer, and
 * the same overlap warnings about the same original entries (the entries
 * of @in must not be full duplicates of each other for that last check).
 */
static void check_permutations(const char *name, const struct d *in, size_t n,
			       const struct mem_entry *exp, size_t nexp,
			       size_t expect_overlaps)
{
	size_t perm[8], count = 0, bad_map = 0, bad_ref = 0, bad_warn = 0;
	struct d p_in[8];
	struct owarn first[64], cur[64];
	size_t nfirst = 0;
	char why[256];
	const char *first_why = NULL;
	static char first_why_buf[256];

	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	do {
		for (size_t i = 0; i < n; i++)
			p_in[i] = in[perm[i]];
		struct result r = convert(p_in, n);
		if (r.status != E_OK || !invariants_ok(&r.m) || !same_map(&r.m, exp, nexp))
			bad_map++;
		const char *rw = ref_check(p_in, n, &r, why, sizeof(why));
		if (rw) {
			if (!bad_ref++) {
				snprintf(first_why_buf, sizeof(first_why_buf), "%s", rw);
				first_why = first_why_buf;
			}
		}
		size_t ncur = 0;
		for (size_t i = 0; i < the_log.n && ncur < 64; i++)
			if (the_log.w[i].problem == MEMMAP_OVERLAP)
				cur[ncur++] = (struct owarn){ MEMMAP_OVERLAP,
					perm[the_log.w[i].index], the_log.w[i].other_type };
		qsort(cur, ncur, sizeof(cur[0]), cmp_owarn);
		if (count == 0) {
			memcpy(first, cur, sizeof(cur));
			nfirst = ncur;
		} else {
			bool same = ncur == nfirst;
			for (size_t i = 0; same && i < ncur; i++)
				same = cmp_owarn(&first[i], &cur[i]) == 0;
			bad_warn += !same;
		}
		free_result(&r);
		count++;
	} while (next_permutation(perm, n));

	TAP_CHECK(bad_map == 0, "%s: all %zu orders give the expected map (%zu differ)",
		  name, count, bad_map);
	TAP_CHECK(bad_ref == 0, "%s: all %zu orders agree with the reference%s%s", name,
		  count, first_why ? ": " : "", first_why ? first_why : "");
	TAP_CHECK(bad_warn == 0 && nfirst == expect_overlaps,
		  "%s: same %zu overlap warnings about the same entries in every order "
		  "(got %zu, %zu orders differ)", name, expect_overlaps, nfirst, bad_warn);
}

static void test_permutations(void)
{
	static const struct d a[] = {
		{ EFI_CONVENTIONAL, 0x0, 16, WB },
		{ EFI_MMIO, 0x4000, 2, RT },
		{ EFI_BS_DATA, 0x2000, 6, WB },
		{ EFI_RT_DATA, 0x7000, 11, WB | RT },
	};
	static const struct mem_entry a_exp[] = {
		E(0x0, 0x2000, EFI_CONVENTIONAL, WB),
		E(0x2000, 0x4000, EFI_BS_DATA, WB),
		E(0x4000, 0x6000, EFI_MMIO, RT),
		E(0x6000, 0x7000, EFI_BS_DATA, WB),
		E(0x7000, 0x12000, EFI_RT_DATA, WB | RT),
	};
	check_permutations("4 nested/partial overlaps", a, ARRAY_SIZE(a), a_exp,
			   ARRAY_SIZE(a_exp), 5);

	static const struct d b[] = {
		{ EFI_CONVENTIONAL, 0x0, 4, WB },
		{ EFI_CONVENTIONAL, 0x4000, 4, WB },
		{ EFI_ACPI_NVS, 0x3000, 2, WB },
		{ EFI_ACPI_NVS, 0x3000, 2, WB | RT },
		{ EFI_RESERVED, 0x7000, 2, 0 },
	};
	static const struct mem_entry b_exp[] = {
		E(0x0, 0x3000, EFI_CONVENTIONAL, WB),
		E(0x3000, 0x5000, EFI_ACPI_NVS, WB | RT),
		E(0x5000, 0x7000, EFI_CONVENTIONAL, WB),
		E(0x7000, 0x9000, EFI_RESERVED, 0),
	};
	check_permutations("5 entries: identical ranges, adjacent merge", b,
			   ARRAY_SIZE(b), b_exp, ARRAY_SIZE(b_exp), 6);

	static const struct d c[] = {
		{ EFI_CONVENTIONAL, 0x0, 8, WB },
		{ EFI_LOADER_CODE, 0x2000, 8, WB },
		{ EFI_BS_CODE, 0x1000, 2, WB },
		{ EFI_UNUSABLE, 0x9000, 2, 0 },
		{ EFI_CONVENTIONAL, 0xb000, 1, WB },
	};
	static const struct mem_entry c_exp[] = {
		E(0x0, 0x1000, EFI_CONVENTIONAL, WB),
		E(0x1000, 0x2000, EFI_BS_CODE, WB),
		E(0x2000, 0x9000, EFI_LOADER_CODE, WB),
		E(0x9000, 0xb000, EFI_UNUSABLE, 0),
		E(0xb000, 0xc000, EFI_CONVENTIONAL, WB),
	};
	check_permutations("5 entries: RAM ranks and an unusable edge", c,
			   ARRAY_SIZE(c), c_exp, ARRAY_SIZE(c_exp), 4);
}

/* ---- descriptor sizes and argument errors -------------------------------- */

static void test_desc_sizes(void)
{
	static const struct d in[] = {
		{ EFI_CONVENTIONAL, 0x0, 16, WB },
		{ EFI_MMIO, 0x4000, 2, RT },
		{ EFI_LOADER_DATA, 0x100000, 0x20, WB },
		{ EFI_RESERVED, 0x0, 0, 0 },
		{ 0x70000000, 0x200000, 1, UNKNOWN_ATTR_BIT },
	};
	static const struct mem_entry exp[] = {
		E(0x0, 0x4000, EFI_CONVENTIONAL, WB),
		E(0x4000, 0x6000, EFI_MMIO, RT),
		E(0x6000, 0x10000, EFI_CONVENTIONAL, WB),
		E(0x100000, 0x120000, EFI_LOADER_DATA, WB),
		E(0x200000, 0x201000, 0x70000000, UNKNOWN_ATTR_BIT),
	};
	static const struct wexp w[] = {
		{ MEMMAP_ZERO_LENGTH, 3, 0 },
		{ MEMMAP_UNKNOWN_TYPE, 4, 0 }, { MEMMAP_UNKNOWN_ATTR, 4, 0 },
		{ MEMMAP_OVERLAP, 0, EFI_MMIO },
	};
	static const size_t sizes[] = { 40, 48, 56, 64, 128 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char name[64];
		snprintf(name, sizeof(name), "desc_size %zu with junk padding", sizes[i]);
		struct result r = convert_ex(in, ARRAY_SIZE(in), sizes[i], 2 * ARRAY_SIZE(in));
		expect_map(name, &r, exp, ARRAY_SIZE(exp));
		expect_warnings(name, &r, in, ARRAY_SIZE(in), w, ARRAY_SIZE(w));
		free_result(&r);
	}
}

static int raw_convert(struct memmap *m, const void *buf, size_t map_size,
		       size_t desc_size)
{
	the_log.n = the_log.total = 0;
	m->count = 99;
	return memmap_from_efi(m, buf, map_size, desc_size, collect, &the_log);
}

static void test_errors(void)
{
	static const struct d in[] = {
		{ EFI_CONVENTIONAL, 0x0, 16, WB },
		{ EFI_MMIO, 0x4000, 2, RT },
		{ EFI_RESERVED, 0x20000, 2, 0 },
	};
	unsigned char *buf = encode(in, 3, 48);
	struct mem_entry ents[6];
	struct memmap m = { ents, 0, 6 };
	int st;

	st = raw_convert(&m, buf, 3 * 32, 32);
	TAP_CHECK(st == E_INVAL && m.count == 0, "desc_size 32 < struct: E_INVAL (%s)",
		  status_name(st));
	st = raw_convert(&m, buf, 3 * 44, 44);
	TAP_CHECK(st == E_INVAL && m.count == 0, "desc_size 44 not a multiple of 8: E_INVAL (%s)",
		  status_name(st));
	st = raw_convert(&m, buf, 3 * 48 - 8, 48);
	TAP_CHECK(st == E_INVAL && m.count == 0,
		  "map_size not a multiple of desc_size: E_INVAL (%s)", status_name(st));
	st = raw_convert(&m, buf, 48, 0);
	TAP_CHECK(st == E_INVAL && m.count == 0, "desc_size 0: E_INVAL (%s)", status_name(st));
	st = raw_convert(&m, NULL, 48, 48);
	TAP_CHECK(st == E_INVAL && m.count == 0, "NULL map: E_INVAL (%s)", status_name(st));
	st = memmap_from_efi(NULL, buf, 3 * 48, 48, collect, &the_log);
	TAP_CHECK(st == E_INVAL, "NULL out: E_INVAL (%s)", status_name(st));
	struct memmap bad = { NULL, 0, 6 };
	st = raw_convert(&bad, buf, 3 * 48, 48);
	TAP_CHECK(st == E_INVAL && bad.count == 0, "NULL entries with capacity: E_INVAL (%s)",
		  status_name(st));
	TAP_CHECK(the_log.total == 0, "no warnings on refused input");

	m.capacity = 5;
	memset(ents, 0x77, sizeof(ents));
	st = raw_convert(&m, buf, 3 * 48, 48);
	TAP_CHECK(st == E_NOSPC && m.count == 0 && the_log.total == 0,
		  "capacity 2n-1: E_NOSPC, count 0, nothing reported (%s)", status_name(st));
	unsigned char untouched[sizeof(ents)];
	memset(untouched, 0x77, sizeof(untouched));
	TAP_CHECK(memcmp(ents, untouched, sizeof(ents)) == 0, "E_NOSPC: output untouched");
	m.capacity = 0;
	st = raw_convert(&m, buf, 3 * 48, 48);
	TAP_CHECK(st == E_NOSPC && m.count == 0, "capacity 0: E_NOSPC (%s)", status_name(st));
	m.capacity = 6;
	st = raw_convert(&m, buf, 3 * 48, 48);
	TAP_CHECK(st == E_OK && m.count == 4 && the_log.total == 1,
		  "capacity 2n: E_OK (%s, %zu entries)", status_name(st), m.count);
	st = memmap_from_efi(&m, buf, 3 * 48, 48, NULL, NULL);
	TAP_CHECK(st == E_OK && m.count == 4, "NULL warn callback is allowed");
	free(buf);
}

/* ---- big maps ------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_big(void)
{
	enum { N = 2000 };
	static struct d in[N];
	double t;

	/* One RAM range with N-1 MMIO holes: 2N-1 output pieces, the maximum. */
	in[0] = (struct d){ EFI_CONVENTIONAL, 0, 4 * N, WB };
	for (size_t i = 1; i < N; i++)
		in[i] = (struct d){ EFI_MMIO, (4 * i + 1) * PG, 1, RT };
	t = now();
	struct result r = convert(in, N);
	t = now() - t;
	check_invariants("2000: RAM with 1999 holes", &r.m);
	TAP_CHECK(r.status == E_OK && r.m.count == 2 * N - 1 && the_log.total == N - 1,
		  "2000: RAM with 1999 holes gives 3999 pieces, 1999 overlaps (%zu, %zu)",
		  r.m.count, the_log.total);
	TAP_DIAG("2000 entries, 1999 overlaps: %.1f ms", t * 1e3);
	const char *why;
	char buf[256];
	why = ref_check(in, N, &r, buf, sizeof(buf));
	TAP_CHECK(!why, "2000: RAM with holes agrees with the reference%s%s",
		  why ? ": " : "", why ? why : "");
	free_result(&r);

	/* The same in reverse order: the holes come first. */
	for (size_t i = 0; i < N / 2; i++) {
		struct d x = in[i]; in[i] = in[N - 1 - i]; in[N - 1 - i] = x;
	}
	r = convert(in, N);
	check_invariants("2000 reversed", &r.m);
	TAP_CHECK(r.status == E_OK && r.m.count == 2 * N - 1,
		  "2000 reversed: 3999 pieces (%zu)", r.m.count);
	why = ref_check(in, N, &r, buf, sizeof(buf));
	TAP_CHECK(!why, "2000 reversed agrees with the reference%s%s",
		  why ? ": " : "", why ? why : "");
	free_result(&r);

	/* Sorted, no overlaps, alternating types: the fast path. */
	for (size_t i = 0; i < N; i++)
		in[i] = (struct d){ i % 3 == 0 ? EFI_BS_CODE : EFI_CONVENTIONAL, i * 2 * PG,
				    2, i % 2 ? WB : WB | RT };
	t = now();
	r = convert(in, N);
	t = now() - t;
	check_invariants("2000 sorted clean", &r.m);
	why = ref_check(in, N, &r, buf, sizeof(buf));
	TAP_CHECK(r.status == E_OK && !why && the_log.total == 0,
		  "2000 sorted clean: agrees with the reference, no warnings%s%s",
		  why ? ": " : "", why ? why : "");
	TAP_DIAG("2000 sorted entries: %.3f ms", t * 1e3);
	free_result(&r);

	/* Staircase: every entry overlaps every other (N^2/2 warnings). */
	enum { S = 600 };
	for (size_t i = 0; i < S; i++)
		in[i] = (struct d){ (uint32_t)(i % EFI_MEM_TYPE_COUNT), i * PG, S, i % 4 ? WB : 0 };
	t = now();
	r = convert(in, S);
	t = now() - t;
	check_invariants("600 mutually overlapping", &r.m);
	TAP_CHECK(r.status == E_OK && the_log.total == S * (S - 1) / 2,
		  "600 mutually overlapping: %u overlap warnings (%zu)", S * (S - 1) / 2,
		  the_log.total);
	TAP_DIAG("600 mutually overlapping entries: %.1f ms", t * 1e3);
	free_result(&r);
}

/* ---- random maps ------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static struct d random_desc(void)
{
	static const uint32_t odd_types[] = { 16, 0x70000001, 0x80000000, 0xffffffff };
	static const uint64_t attrs[] = {
		WB, WB, WB | RT, EFI_MEMORY_UC, RT | EFI_MEMORY_UC, 0,
		WB | UNKNOWN_ATTR_BIT,
	};
	struct d d;
	uint64_t r = rnd_below(100);

	d.type = rnd_below(20) == 0 ? odd_types[rnd_below(ARRAY_SIZE(odd_types))]
				    : (uint32_t)rnd_below(EFI_MEM_TYPE_COUNT);
	d.attr = attrs[rnd_below(ARRAY_SIZE(attrs))];
	d.start = rnd_below(96) * PG;
	d.pages = 1 + rnd_below(rnd_below(4) == 0 ? 48 : 6);
	if (r < 4)
		d.pages = 0;
	else if (r < 6)
		d.start = LIMIT - rnd_below(8) * PG;               /* at / just below the limit */
	else if (r < 7)
		d.start = UINT64_MAX - rnd_below(16) * PG;        /* wraps */
	else if (r < 8)
		d.pages = (1ull << 52) + rnd_below(4);            /* multiply overflow */
	else if (r < 14)
		d.start += 1 + rnd_below(PG - 1);                  /* unaligned */
	return d;
}

static void test_fuzz(void)
{
	enum { ITER = 4000, MAXN = 40 };
	size_t failed = 0, invariant_fail = 0, total_in = 0, total_warn = 0;
	char why[256];
	static char first_why[256];

	for (int it = 0; it < ITER; it++) {
		struct d in[MAXN];
		size_t n = 1 + rnd_below(MAXN);
		size_t desc_size = 40 + 8 * rnd_below(4);
		/* Sometimes sorted, so the no-overlap and sorted paths are hit too. */
		bool sorted = rnd_below(4) == 0;
		uint64_t pos = 0;

		for (size_t i = 0; i < n; i++) {
			in[i] = random_desc();
			if (sorted && in[i].pages > 0 && in[i].pages < 64) {
				in[i].start = pos + rnd_below(3) * PG;
				pos = in[i].start + in[i].pages * PG - (rnd_below(8) == 0 ? PG : 0);
			}
		}
		struct result r = convert_ex(in, n, desc_size, 2 * n);
		if (!invariants_ok(&r.m))
			invariant_fail++;
		const char *w = ref_check(in, n, &r, why, sizeof(why));
		if (w && !failed++) {
			snprintf(first_why, sizeof(first_why), "iteration %d: %s", it, w);
			for (size_t i = 0; i < n; i++)
				TAP_DIAG("  in[%zu] type %#x start %#llx pages %#llx attr %#llx", i,
					 in[i].type, (unsigned long long)in[i].start,
					 (unsigned long long)in[i].pages,
					 (unsigned long long)in[i].attr);
		}
		total_in += n;
		total_warn += the_log.total;
		free_result(&r);
	}
	TAP_CHECK(invariant_fail == 0, "fuzz: invariants hold on %d random maps (%zu fail)",
		  ITER, invariant_fail);
	TAP_CHECK(failed == 0, "fuzz: %d random maps (%zu descriptors, %zu warnings) agree "
		  "with the brute-force reference%s%s", ITER, total_in, total_warn,
		  failed ? ": " : "", failed ? first_why : "");
}

int main(void)
{
	tap_plan_unknown();
	test_type_helpers();
	test_clean();
	test_merge();
	test_dropped();
	test_unaligned_unknown();
	test_overlaps();
	test_permutations();
	test_desc_sizes();
	test_errors();
	test_big();
	test_fuzz();
	return tap_done();
}
