/*
 * test_efirt.c - host tests of mm/efirt_plan.c (the EFI runtime regions'
 * mapping plan) and base/efitime.c (EFI_TIME checked and written out):
 * maps and Memory Attributes Tables as OVMF and U-Boot hand them over,
 * then broken ones.
 */
#include <stdio.h>
#include <string.h>

#include "efi_time.h"
#include "efirt_plan.h"
#include "tap.h"

#define BASE 0xfffff40000000000ul
#define MAXP (1ul << 42)
#define RT   EFI_MEMORY_RUNTIME
#define CAPS (EFI_MEMORY_UC | EFI_MEMORY_WC | EFI_MEMORY_WT | EFI_MEMORY_WB)

static struct efirt_plan plan;
static unsigned seen[EFIRT_PROBLEM_COUNT];

static void note(void *ctx, enum efirt_problem p, uint32_t index, paddr_t s, paddr_t e)
{
	seen[p]++;
}

/* A map of 48-byte descriptors (OVMF's size) built from efi_mem_desc. */
struct desc48 {
	struct efi_mem_desc d;
	uint64_t extra;
};

#define D(type, pa, pages, attr) { { type, 0, pa, 0, pages, attr }, 0 }

static struct desc48 ovmf_map[] = {
	D(EFI_CONVENTIONAL, 0x0, 0xa0, CAPS),
	D(EFI_RT_DATA, 0x1f600000, 0x10, CAPS | RT),
	D(EFI_RT_CODE, 0x1f610000, 0x20, CAPS | RT),
	D(EFI_BS_DATA, 0x1f630000, 0x10, CAPS),
	D(EFI_MMIO, 0xffc00000, 0x400, EFI_MEMORY_UC | RT),
};

struct mat {
	struct efi_mat_header h;
	struct desc48 e[8];
};

static int build(const void *map, size_t bytes, size_t dsize, uint32_t ver, const void *mat,
		 size_t mat_size)
{
	memset(seen, 0, sizeof(seen));
	return efirt_plan_build(&plan, map, bytes, dsize, ver, mat, mat_size, BASE, MAXP, note, NULL);
}

static bool wx_free(void)
{
	for (uint32_t i = 0; i < plan.count; i++)
		if ((plan.piece[i].flags & MAP_WRITE) && (plan.piece[i].flags & MAP_EXEC))
			return false;
	return true;
}

static void test_by_type(void)
{
	int st = build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, NULL, 0);
	TAP_CHECK(st == E_OK && plan.count == 3 && plan.descs == 3, "no MAT: one piece per runtime descriptor (%d, %u)", st, plan.count);
	TAP_CHECK(!plan.mat_used, "no MAT: not used");
	const struct efirt_piece *p = efirt_plan_find(&plan, 0x1f610000);
	TAP_CHECK(p && p->flags == (MAP_EXEC | MAP_CACHE(CACHE_WB)) && p->va == BASE + 0x1f610000,
		  "runtime code: RX write-back at base + phys");
	p = efirt_plan_find(&plan, 0x1f600fff);
	TAP_CHECK(p && p->flags == (MAP_WRITE | MAP_CACHE(CACHE_WB)), "runtime data: RW NX write-back");
	p = efirt_plan_find(&plan, 0xffc00000);
	TAP_CHECK(p && p->flags == (MAP_WRITE | MAP_CACHE(CACHE_UC)), "runtime MMIO: RW NX uncached");
	TAP_CHECK(!efirt_plan_find(&plan, 0x1f630000), "boot-services data is not in the plan");
	TAP_CHECK(efirt_plan_find_va(&plan, BASE + 0x1f61ffff) == efirt_plan_find(&plan, 0x1f61ffff),
		  "find by virtual address");
}

static struct mat mat_of(int n, const struct desc48 *e)
{
	struct mat m;

	memset(&m, 0, sizeof(m));
	m.h = (struct efi_mat_header){ 1, (uint32_t)n, sizeof(struct desc48), 0 };
	memcpy(m.e, e, n * sizeof(*e));
	return m;
}

static void test_mat(void)
{
	/* The code descriptor holds an image: header RO+XP, text RO, data XP. */
	struct desc48 e[] = {
		D(EFI_RT_DATA, 0x1f600000, 0x10, RT | EFI_MEMORY_XP),
		D(EFI_RT_CODE, 0x1f610000, 0x1, RT | EFI_MEMORY_RO | EFI_MEMORY_XP),
		D(EFI_RT_CODE, 0x1f611000, 0x8, RT | EFI_MEMORY_RO),
		D(EFI_RT_DATA, 0x1f619000, 0x17, RT | EFI_MEMORY_XP),
	};
	struct mat m = mat_of(4, e);
	int st = build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, &m, sizeof(m));
	TAP_CHECK(st == E_OK && plan.mat_used && plan.count == 5, "MAT: code descriptor cut in three (%d, %u)", st, plan.count);
	const struct efirt_piece *p = efirt_plan_find(&plan, 0x1f611000);
	TAP_CHECK(p && p->from_mat && p->flags == (MAP_EXEC | MAP_CACHE(CACHE_WB)), "MAT RO: RX");
	p = efirt_plan_find(&plan, 0x1f619000);
	TAP_CHECK(p && p->flags == (MAP_WRITE | MAP_CACHE(CACHE_WB)) && p->size == 0x17000, "MAT XP: RW NX");
	p = efirt_plan_find(&plan, 0x1f610000);
	TAP_CHECK(p && p->flags == MAP_CACHE(CACHE_WB), "MAT RO+XP: read-only NX");
	TAP_CHECK(wx_free() && seen[EFIRT_NOT_COVERED] == 0, "no W+X, nothing uncovered");

	/* An entry asking for W+X; a gap the MAT leaves. */
	e[2].d.attr = RT;
	e[3].d.num_pages = 0x10;
	m = mat_of(4, e);
	st = build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, &m, sizeof(m));
	p = efirt_plan_find(&plan, 0x1f611000);
	TAP_CHECK(st == E_OK && seen[EFIRT_MAT_WX] == 1 && p && p->flags == (MAP_EXEC | MAP_CACHE(CACHE_WB)),
		  "MAT entry asking for W+X: reported, mapped RX as its code type allows");
	p = efirt_plan_find(&plan, 0x1f629000);
	TAP_CHECK(seen[EFIRT_NOT_COVERED] == 1 && p && !p->from_mat && p->flags == (MAP_EXEC | MAP_CACHE(CACHE_WB)),
		  "gap in the MAT: reported, mapped by type");
	TAP_CHECK(wx_free(), "still no W+X");
}

static void test_bad_mat(void)
{
	struct desc48 e[] = { D(EFI_RT_CODE, 0x1f630000, 0x1, RT | EFI_MEMORY_RO) };  /* BS data */
	struct mat m = mat_of(1, e);
	int st = build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, &m, sizeof(m));
	TAP_CHECK(st == E_OK && !plan.mat_used && seen[EFIRT_MAT_OUTSIDE] == 1 && plan.count == 3,
		  "MAT entry outside the runtime regions: MAT dropped, mapped by type");
	struct desc48 o[] = { D(EFI_RT_CODE, 0x1f610000, 0x4, RT | EFI_MEMORY_RO),
			      D(EFI_RT_DATA, 0x1f612000, 0x4, RT | EFI_MEMORY_XP) };
	m = mat_of(2, o);
	st = build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, &m, sizeof(m));
	TAP_CHECK(st == E_OK && !plan.mat_used && seen[EFIRT_MAT_OVERLAP] == 1, "overlapping MAT entries: MAT dropped");
	m = mat_of(2, o);
	m.h.entries = 1000000;
	st = build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, &m, sizeof(m));
	TAP_CHECK(st == E_OK && !plan.mat_used && seen[EFIRT_MAT_HEADER] == 1, "MAT entry count past its size: dropped");
	m = mat_of(1, o);
	m.h.version = 3;
	build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, &m, sizeof(m));
	TAP_CHECK(!plan.mat_used && seen[EFIRT_MAT_HEADER] == 1, "MAT version 3: dropped");
	m = mat_of(1, o);
	m.e[0].d.type = EFI_MMIO;
	build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, &m, sizeof(m));
	TAP_CHECK(!plan.mat_used && seen[EFIRT_MAT_TYPE] == 1, "MAT entry of type MMIO: dropped");
	m = mat_of(1, o);
	m.e[0].d.phys_start += 8;
	build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, &m, sizeof(m));
	TAP_CHECK(!plan.mat_used && seen[EFIRT_MAT_ENTRY] == 1, "unaligned MAT entry: dropped");
	TAP_CHECK(build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 1, &m, 10) == E_OK &&
		  seen[EFIRT_MAT_HEADER] == 1, "MAT shorter than its header: dropped");
}

static int build_one(struct desc48 *map, size_t n)
{
	return build(map, n * sizeof(*map), sizeof(*map), 1, NULL, 0);
}

static void test_bad_map(void)
{
	struct desc48 m[3];

	memcpy(m, ovmf_map + 1, sizeof(m));
	m[1].d.phys_start = 0x1f608000;   /* code overlaps data */
	TAP_CHECK(build_one(m, 3) == E_INVAL && seen[EFIRT_MAP_OVERLAP] == 1 && plan.count == 0,
		  "overlapping runtime descriptors: no plan");
	memcpy(m, ovmf_map + 1, sizeof(m));
	m[0].d.num_pages = 0;
	TAP_CHECK(build_one(m, 3) == E_INVAL && seen[EFIRT_MAP_EMPTY] == 1, "empty runtime descriptor: no plan");
	memcpy(m, ovmf_map + 1, sizeof(m));
	m[0].d.phys_start += 0x10;
	TAP_CHECK(build_one(m, 3) == E_INVAL && seen[EFIRT_MAP_UNALIGNED] == 1, "unaligned: no plan");
	memcpy(m, ovmf_map + 1, sizeof(m));
	m[0].d.num_pages = 1ull << 60;
	TAP_CHECK(build_one(m, 3) == E_INVAL && seen[EFIRT_MAP_WRAPS] == 1, "wrapping: no plan");
	memcpy(m, ovmf_map + 1, sizeof(m));
	m[0].d.phys_start = MAXP;
	TAP_CHECK(build_one(m, 3) == E_INVAL && seen[EFIRT_MAP_TOO_HIGH] == 1, "beyond EFIRT_MAX_PHYS: no plan");
	memcpy(m, ovmf_map + 1, sizeof(m));
	m[2].d.attr &= ~RT;
	TAP_CHECK(build_one(m, 3) == E_OK && plan.count == 2, "a descriptor without the runtime bit is left out");
	TAP_CHECK(build(ovmf_map, sizeof(ovmf_map), sizeof(struct desc48), 2, NULL, 0) == E_INVAL &&
		  seen[EFIRT_MAP_DESC_VERSION] == 1, "descriptor version 2: no plan");
	TAP_CHECK(build(ovmf_map, sizeof(ovmf_map) - 8, sizeof(struct desc48), 1, NULL, 0) == E_INVAL &&
		  seen[EFIRT_MAP_DESC_SIZE] == 1, "map size not a multiple of the descriptor size: no plan");
	TAP_CHECK(build(ovmf_map, sizeof(ovmf_map), 32, 1, NULL, 0) == E_INVAL &&
		  seen[EFIRT_MAP_DESC_SIZE] == 1, "descriptor size 32: no plan");
	/* U-Boot's 40-byte descriptors, in descending order. */
	struct efi_mem_desc u[] = { { EFI_RT_DATA, 0, 0x1e000000, 0, 2, CAPS | RT },
				    { EFI_RT_CODE, 0, 0x1d000000, 0, 4, CAPS | RT } };
	TAP_CHECK(build(u, sizeof(u), sizeof(u[0]), 1, NULL, 0) == E_OK && plan.count == 2 &&
		  plan.piece[0].pa == 0x1d000000 && plan.desc[0].index == 1,
		  "40-byte descriptors, unsorted: sorted plan");
	TAP_CHECK(build(NULL, 0, 48, 1, NULL, 0) == E_OK && plan.count == 0, "no runtime regions: empty plan");
}

/* ---- random maps and MATs: the plan's invariants hold whatever comes in ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : rng;
}

/* A random descriptor: mostly sane, sometimes broken in one field. */
static void random_desc(struct efi_mem_desc *d, bool mat)
{
	static const uint32_t types[] = { EFI_RT_CODE, EFI_RT_DATA, EFI_RT_CODE, EFI_RT_DATA,
					  EFI_MMIO, EFI_CONVENTIONAL, EFI_BS_DATA, EFI_RESERVED };
	static const uint64_t attrs[] = { 0, EFI_MEMORY_RO, EFI_MEMORY_XP, EFI_MEMORY_RO | EFI_MEMORY_XP,
					  EFI_MEMORY_WB, CAPS };

	d->type = types[rnd(ARRAY_SIZE(types))];
	d->phys_start = 0x1f000000 + rnd(64) * 0x1000;
	d->num_pages = 1 + rnd(8);
	d->attr = attrs[rnd(ARRAY_SIZE(attrs))] | (mat || rnd(4) ? RT : 0);
	switch (rnd(40)) {
	case 0: d->num_pages = 0; break;
	case 1: d->phys_start |= 0x10; break;
	case 2: d->num_pages = UINT64_MAX / 0x1000; break;
	case 3: d->phys_start = MAXP - 0x1000; break;
	default: break;
	}
}

/* Check a successful plan against the descriptors it came from. */
static const char *plan_invariant(void)
{
	uint64_t pieces = 0, descs = 0;

	for (uint32_t i = 0; i < plan.count; i++) {
		const struct efirt_piece *p = &plan.piece[i];
		if ((p->flags & MAP_WRITE) && (p->flags & MAP_EXEC))
			return "a piece is W+X";
		if (p->size == 0 || p->pa % 4096 || p->size % 4096 || p->va != BASE + p->pa)
			return "a piece is empty, unaligned or not at base + pa";
		if (i && p->pa < plan.piece[i - 1].pa + plan.piece[i - 1].size)
			return "pieces unsorted or overlapping";
		const struct efirt_desc *d = NULL;
		for (uint32_t k = 0; k < plan.descs; k++)
			if (plan.desc[k].pa <= p->pa && p->pa + p->size <= plan.desc[k].end)
				d = &plan.desc[k];
		if (!d || d->type != p->type)
			return "a piece lies outside its runtime descriptor";
		pieces += p->size;
	}
	for (uint32_t k = 0; k < plan.descs; k++)
		descs += plan.desc[k].end - plan.desc[k].pa;
	return pieces == descs ? NULL : "the pieces do not cover the runtime descriptors exactly";
}

static void test_random(void)
{
	static struct desc48 map[24];
	static struct mat m;
	unsigned ok = 0, refused = 0, bad = 0;
	const char *why = NULL;

	for (int round = 0; round < 20000; round++) {
		size_t n = rnd(ARRAY_SIZE(map) + 1), k = rnd(9);
		for (size_t i = 0; i < n; i++)
			random_desc(&map[i].d, false);
		memset(&m, 0, sizeof(m));
		m.h = (struct efi_mat_header){ 1 + (uint32_t)(rnd(20) == 0), (uint32_t)k,
					       sizeof(struct desc48), 0 };
		for (size_t i = 0; i < k && i < ARRAY_SIZE(m.e); i++)
			random_desc(&m.e[i].d, true);
		size_t msize = rnd(10) ? sizeof(m) : rnd(sizeof(m));
		int st = build(map, n * sizeof(map[0]), sizeof(map[0]), 1, rnd(3) ? &m : NULL, msize);
		if (st == E_OK && (why = plan_invariant()) != NULL) {
			bad++;
			break;
		}
		if (st != E_OK && plan.count != 0) {
			why = "a refused plan has pieces";
			bad++;
			break;
		}
		*(st == E_OK ? &ok : &refused) += 1;
	}
	TAP_CHECK(bad == 0, "20000 random maps and MATs: every plan keeps its invariants%s%s",
		  why ? ": " : "", why ? why : "");
	TAP_CHECK(ok > 1000 && refused > 1000, "both outcomes were exercised (%u plans, %u refused)",
		  ok, refused);
}

static void test_time(void)
{
	struct efi_time t = { 2026, 12, 1, 16, 42, 3, 0, 0, EFI_UNSPECIFIED_TIMEZONE, 0, 0 };
	char b[64];

	TAP_CHECK(!efi_time_check(&t), "a good time passes");
	efi_time_format(&t, b, sizeof(b));
	TAP_CHECK(strcmp(b, "2026-12-01 16:42:03 unknown zone") == 0, "written \"%s\"", b);
	t.time_zone = -90;
	efi_time_format(&t, b, sizeof(b));
	TAP_CHECK(strcmp(b, "2026-12-01 16:42:03 UTC-01:30") == 0, "zone written \"%s\"", b);
	struct { const char *field; struct efi_time t; } bad[] = {
		{ "year", { 1899, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 } },
		{ "month", { 2026, 13, 1, 0, 0, 0, 0, 0, 0, 0, 0 } },
		{ "day", { 2026, 2, 29, 0, 0, 0, 0, 0, 0, 0, 0 } },
		{ "day", { 2026, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
		{ "hour", { 2026, 4, 1, 24, 0, 0, 0, 0, 0, 0, 0 } },
		{ "minute", { 2026, 4, 1, 0, 60, 0, 0, 0, 0, 0, 0 } },
		{ "second", { 2026, 4, 1, 0, 0, 60, 0, 0, 0, 0, 0 } },
		{ "nanosecond", { 2026, 4, 1, 0, 0, 0, 0, 1000000000u, 0, 0, 0 } },
		{ "time zone", { 2026, 4, 1, 0, 0, 0, 0, 0, 1441, 0, 0 } },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *f = efi_time_check(&bad[i].t);
		TAP_CHECK(f && strcmp(f, bad[i].field) == 0, "bad %s reported (got %s)", bad[i].field, f ? f : "none");
	}
	struct efi_time leap = { 2024, 2, 29, 0, 0, 0, 0, 0, 0, 0, 0 };
	TAP_CHECK(!efi_time_check(&leap), "29 February 2024 is a day");
}

int main(void)
{
	tap_plan_unknown();
	test_by_type();
	test_mat();
	test_bad_mat();
	test_bad_map();
	test_random();
	test_time();
	return tap_done();
}
