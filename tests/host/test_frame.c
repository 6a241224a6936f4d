/*
 * test_frame.c - host tests of the frame allocator (mm/frame.c).
 *
 * The allocator runs on "physical memory" from physmem.h: small maps are
 * backed for real (so zeroing and poisoning can be checked byte by byte),
 * large ones only where the allocator writes (its metadata), so a 4 TiB
 * machine costs a few MiB of host memory.
 *
 * What is covered: the API contract (every status), the policy (which map
 * types are handed out, reservations, the 4 GiB zone, the limit), the
 * accounting identity, exhaustion, fragmentation, alignment of every
 * order, zeroing and poisoning, init from every real memory map (tests/data/memmaps),
 * 1 TiB and 4 TiB maps (init writes a handful of metadata pages, checked
 * with mincore), and long random alloc/free sequences against a shadow
 * model that also proves E_NOMEM is only returned when no block exists.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "frame.h"
#include "frame_maps.h"
#include "mapparse.h"
#include "physmem.h"
#include "tap.h"
#include "testdata.h"

#define FRAMES(bytes) ((uint64_t)(bytes) >> PAGE_SHIFT)

/* ---- building maps --------------------------------------------------------- */

static bool usable_type(const struct mem_entry *e)
{
	return (e->type == EFI_CONVENTIONAL || e->type == EFI_LOADER_CODE ||
		e->type == EFI_LOADER_DATA || e->type == EFI_BS_CODE || e->type == EFI_BS_DATA) &&
	       !(e->attr & EFI_MEMORY_RUNTIME);
}

/* The map entry holding pa, or NULL. */
static const struct mem_entry *entry_of(const struct memmap *m, paddr_t pa)
{
	for (size_t i = 0; i < m->count; i++)
		if (pa >= m->entries[i].start && pa < m->entries[i].end)
			return &m->entries[i];
	return NULL;
}

static bool in_reservations(const struct frame_reservation *res, size_t n, paddr_t pa)
{
	for (size_t i = 0; i < n; i++)
		if (pa >= ALIGN_DOWN(res[i].start, PAGE_SIZE) && pa < ALIGN_UP(res[i].end, PAGE_SIZE))
			return true;
	return false;
}

/* Frames a map has to hand out, computed the slow, obvious way: every
 * usable frame below limit not in a reservation. (Excludes nothing for
 * the metadata: callers subtract stats.reserved[FRAME_RES_METADATA].) */
static uint64_t expected_usable(const struct memmap *m, const struct frame_reservation *res,
				size_t n, paddr_t limit)
{
	uint64_t frames = 0;

	for (size_t i = 0; i < m->count; i++) {
		const struct mem_entry *e = &m->entries[i];
		if (!usable_type(e))
			continue;
		/* walk the entry by reservation edges, not frame by frame */
		paddr_t end = MIN(e->end, limit);
		for (paddr_t pa = e->start; pa < end;) {
			paddr_t next = end;
			bool reserved = in_reservations(res, n, pa);
			for (size_t r = 0; r < n; r++) {
				paddr_t rs = ALIGN_DOWN(res[r].start, PAGE_SIZE), re = ALIGN_UP(res[r].end, PAGE_SIZE);
				if (rs > pa && rs < next)
					next = rs;
				if (re > pa && re < next)
					next = re;
			}
			if (!reserved)
				frames += FRAMES(next - pa);
			pa = next;
		}
	}
	return frames;
}

/* ---- common checks ------------------------------------------------------------ */

static struct physmem pm;     /* big: static */

static int init_fa(struct frame_alloc *fa, const struct memmap *m, const struct frame_reservation *res,
		   size_t n, struct physmem *mem, paddr_t limit, uint32_t flags)
{
	struct frame_config cfg = { .map = m, .res = res, .res_count = n, .mem = &mem->fm,
				    .limit = limit, .flags = flags };
	return frame_init(fa, &cfg);
}

/* The accounting identity of frame.h, and a clean verify. */
static void check_accounting(const struct frame_alloc *fa, const char *what)
{
	struct frame_stats st;
	frame_get_stats(fa, &st);
	uint64_t reserved = 0;
	for (unsigned k = 0; k < FRAME_RES_KIND_COUNT; k++)
		reserved += st.reserved[k];
	TAP_CHECK(st.ram == st.managed + reserved + st.kept_acpi + st.kept_runtime + st.kept_limit &&
		  st.managed == st.free + st.used && st.free_low <= st.free && st.managed_low <= st.managed,
		  "%s: ram %" PRIu64 " = managed %" PRIu64 " + reserved %" PRIu64 " + acpi %" PRIu64
		  " + runtime %" PRIu64 " + above limit %" PRIu64 "; managed = free %" PRIu64 " + used %" PRIu64,
		  what, st.ram, st.managed, reserved, st.kept_acpi, st.kept_runtime, st.kept_limit,
		  st.free, st.used);
	/* The carve is sized before the region it is cut from shrinks, so it
	 * may exceed what ends up used by that region's share (< 0.1%). */
	TAP_CHECK(st.meta_bytes <= st.reserved[FRAME_RES_METADATA] * PAGE_SIZE &&
		  st.reserved[FRAME_RES_METADATA] * PAGE_SIZE < st.meta_bytes + st.meta_bytes / 1000 + PAGE_SIZE,
		  "%s: metadata %" PRIu64 " bytes in %" PRIu64 " reserved frames", what,
		  st.meta_bytes, st.reserved[FRAME_RES_METADATA]);
	paddr_t bad = 0;
	int v = frame_verify(fa, &bad);
	TAP_CHECK(v == E_OK, "%s: frame_verify -> %s (bad node at %#" PRIx64 ")", what, status_name(v), bad);
}

static uint64_t free_frames(const struct frame_alloc *fa)
{
	struct frame_stats st;
	frame_get_stats(fa, &st);
	return st.free;
}

/* A growable list of allocated blocks. */
struct blocks {
	struct blk { paddr_t pa; unsigned order; } *b;
	size_t n, cap;
};

static void blocks_push(struct blocks *l, paddr_t pa, unsigned order)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->b = realloc(l->b, l->cap * sizeof(*l->b));
		if (!l->b)
			abort();
	}
	l->b[l->n++] = (struct blk){ pa, order };
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Free every block of @l in random order; returns how many frees failed. */
static size_t free_all_random(struct frame_alloc *fa, struct blocks *l)
{
	size_t failed = 0;

	while (l->n) {
		size_t i = rnd() % l->n;
		if (frame_free_block(fa, l->b[i].pa, l->b[i].order) != E_OK)
			failed++;
		l->b[i] = l->b[--l->n];
	}
	return failed;
}

/* Allocate everything, largest orders first; returns frames taken.
 * Every block must lie in usable, unreserved memory of @m. */
static uint64_t drain(struct frame_alloc *fa, struct blocks *l, const struct memmap *m,
		      const struct frame_reservation *res, size_t n, size_t *misplaced)
{
	uint64_t frames = 0, cap = free_frames(fa);   /* a broken allocator must not loop forever */

	for (int order = FRAME_MAX_ORDER; order >= 0; order--) {
		paddr_t pa;
		while (frames < cap + 1 && frame_alloc_block(fa, (unsigned)order, 0, &pa) == E_OK) {
			paddr_t last = pa + (PAGE_SIZE << order) - PAGE_SIZE;
			const struct mem_entry *a = entry_of(m, pa), *b = entry_of(m, last);
			if (!IS_ALIGNED(pa, PAGE_SIZE << order) || !a || !b || !usable_type(a) ||
			    !usable_type(b) || in_reservations(res, n, pa) || in_reservations(res, n, last) ||
			    frame_state(fa, pa) != FRAME_STATE_USED || frame_state(fa, last) != FRAME_STATE_USED)
				(*misplaced)++;
			blocks_push(l, pa, (unsigned)order);
			frames += 1ull << order;
		}
	}
	return frames;
}

/* ---- a small machine, backed for real ------------------------------------------ */

#define LOW_BACKED   (64 * MiB)
#define HIGH_BASE    (4 * GiB)
#define HIGH_BACKED  (64 * MiB)

static void small_map(struct mapb *b)
{
	mb_reset(b);
	mb_add(b, 0, 0xa0000, EFI_CONVENTIONAL, EFI_MEMORY_WB);
	mb_add(b, 0xa0000, 0x100000, EFI_RESERVED, 0);
	mb_add(b, 0x100000, 0x800000, EFI_CONVENTIONAL, EFI_MEMORY_WB);
	mb_add(b, 0x800000, 0x900000, EFI_BS_DATA, EFI_MEMORY_WB);
	mb_add(b, 0x900000, 0x980000, EFI_ACPI_RECLAIM, EFI_MEMORY_WB);
	mb_add(b, 0x980000, 0xa00000, EFI_ACPI_NVS, EFI_MEMORY_WB);
	mb_add(b, 0xa00000, 0x1000000, EFI_LOADER_DATA, EFI_MEMORY_WB);
	mb_add(b, 0x1000000, 0x1100000, EFI_BS_CODE, EFI_MEMORY_WB | EFI_MEMORY_RUNTIME);
	mb_add(b, 0x1100000, 0x4000000, EFI_CONVENTIONAL, EFI_MEMORY_WB);
	mb_add(b, 0xfec00000, 0xfec01000, EFI_MMIO, EFI_MEMORY_UC | EFI_MEMORY_RUNTIME);
	mb_add(b, HIGH_BASE, HIGH_BASE + HIGH_BACKED, EFI_CONVENTIONAL, EFI_MEMORY_WB);
}

static const struct frame_reservation small_res[] = {
	{ 0x200000, 0x280000, FRAME_RES_KERNEL, 0 },
	{ 0xa00000, 0xa02000, FRAME_RES_HANDOFF, 0 },
	{ 0x300000, 0x308000, FRAME_RES_STACKS, 0 },
	{ 0x3e00000, 0x4000000, FRAME_RES_PT_POOL, 0 },
	{ 0x1000, 0x2000, FRAME_RES_TRAMPOLINE, 0 },
	{ 0xfec00000, 0xfec01000, FRAME_RES_FIRMWARE, 0 },   /* not RAM: counts nothing */
};

static bool back_small(struct physmem *m)
{
	physmem_init(m, PHYSMEM_FIXED);
	return physmem_back(m, 0, LOW_BACKED) && physmem_back(m, HIGH_BASE, HIGH_BACKED);
}

static void test_basics(void)
{
	static struct frame_alloc fa;
	struct mapb b;
	struct frame_stats st;
	paddr_t pa = 0, lo = 0;

	small_map(&b);
	if (!TAP_CHECK(back_small(&pm), "basics: host memory"))
		return;
	int r = init_fa(&fa, &b.m, small_res, ARRAY_SIZE(small_res), &pm, 0, FRAME_INIT_POISON);
	if (!TAP_CHECK(r == E_OK, "basics: frame_init -> %s", status_name(r)))
		return;
	frame_get_stats(&fa, &st);
	uint64_t want = expected_usable(&b.m, small_res, ARRAY_SIZE(small_res), PHYS_ADDR_LIMIT) -
			st.reserved[FRAME_RES_METADATA];
	TAP_CHECK(st.managed == want && st.free == want, "basics: managed %" PRIu64 " == free == expected %" PRIu64,
		  st.managed, want);
	TAP_CHECK(st.kept_acpi == FRAMES(0x80000) && st.kept_runtime == FRAMES(0x100000) &&
		  st.kept_limit == 0 && st.ram == FRAMES(0xa0000 + 0x700000 + 0x100000 + 0x80000 + 0x600000 +
							 0x100000 + 0x2f00000 + HIGH_BACKED),
		  "basics: ACPI reclaim %" PRIu64 " and runtime-flagged boot services %" PRIu64
		  " frames kept out of %" PRIu64 " RAM frames", st.kept_acpi, st.kept_runtime, st.ram);
	TAP_CHECK(st.reserved[FRAME_RES_KERNEL] == 128 && st.reserved[FRAME_RES_HANDOFF] == 2 &&
		  st.reserved[FRAME_RES_STACKS] == 8 && st.reserved[FRAME_RES_PT_POOL] == 512 &&
		  st.reserved[FRAME_RES_TRAMPOLINE] == 1 && st.reserved[FRAME_RES_FIRMWARE] == 0 &&
		  st.reserved[FRAME_RES_METADATA] >= 1,
		  "basics: reserved by kind: kernel %" PRIu64 " hand-off %" PRIu64 " stacks %" PRIu64
		  " pool %" PRIu64 " trampoline %" PRIu64 " firmware %" PRIu64 " metadata %" PRIu64,
		  st.reserved[0], st.reserved[1], st.reserved[2], st.reserved[3], st.reserved[4],
		  st.reserved[5], st.reserved[FRAME_RES_METADATA]);
	TAP_CHECK(frame_state(&fa, HIGH_BASE + HIGH_BACKED - PAGE_SIZE) == FRAME_STATE_RESERVED &&
		  frame_state(&fa, HIGH_BASE) == FRAME_STATE_FREE,
		  "basics: metadata carved from the top of the highest region");
	check_accounting(&fa, "basics after init");

	r = frame_alloc_one(&fa, 0, &pa);
	TAP_CHECK(r == E_OK && pa >= HIGH_BASE && frame_state(&fa, pa) == FRAME_STATE_USED,
		  "basics: default allocation prefers memory above 4 GiB (%#" PRIx64 ")", pa);
	r = frame_alloc_one(&fa, FRAME_LOW32, &lo);
	TAP_CHECK(r == E_OK && lo + PAGE_SIZE <= FRAME_LOW_LIMIT && frame_state(&fa, lo) == FRAME_STATE_USED,
		  "basics: FRAME_LOW32 frame below 4 GiB (%#" PRIx64 ")", lo);
	TAP_CHECK(free_frames(&fa) == want - 2, "basics: two frames in use");
	TAP_CHECK(frame_free_one(&fa, pa) == E_OK && frame_state(&fa, pa) == FRAME_STATE_FREE,
		  "basics: free");
	TAP_CHECK(frame_free_one(&fa, pa) == E_NOENT, "basics: double free refused (E_NOENT)");
	TAP_CHECK(frame_free_one(&fa, lo) == E_OK && frame_free_one(&fa, lo) == E_NOENT,
		  "basics: double free of a low frame refused");
	TAP_CHECK(frame_free_one(&fa, 0x3000000) == E_NOENT, "basics: free of a frame never handed out: E_NOENT");
	TAP_CHECK(frame_free_one(&fa, 0x200000) == E_PERM && frame_free_one(&fa, 0x27f000) == E_PERM &&
		  frame_free_one(&fa, HIGH_BASE + HIGH_BACKED - PAGE_SIZE) == E_PERM &&
		  frame_free_one(&fa, 0x1000) == E_PERM,
		  "basics: free of reserved frames (kernel, metadata, trampoline): E_PERM");
	TAP_CHECK(frame_free_one(&fa, 0xfec00000) == E_PERM, "basics: a reservation outside RAM is still reserved");
	TAP_CHECK(frame_free_one(&fa, 0x900000) == E_RANGE && frame_free_one(&fa, 0x980000) == E_RANGE &&
		  frame_free_one(&fa, 0x1000000) == E_RANGE && frame_free_one(&fa, 0x5000000) == E_RANGE &&
		  frame_free_one(&fa, 0xa0000) == E_RANGE && frame_free_one(&fa, 1ull << 51) == E_RANGE &&
		  frame_free_one(&fa, ~0ull & ~(PAGE_SIZE - 1)) == E_RANGE,
		  "basics: free of ACPI, NVS, runtime, hole, reserved-type, far addresses: E_RANGE");
	TAP_CHECK(frame_free_one(&fa, 0x100001) == E_INVAL && frame_free_block(&fa, 0x101000, 1) == E_INVAL &&
		  frame_free_block(&fa, 0x100000, FRAME_MAX_ORDER + 1) == E_INVAL,
		  "basics: unaligned or too large frees: E_INVAL");
	TAP_CHECK(frame_free_block(&fa, 0x300000, 4) == E_PERM,
		  "basics: a block reaching into a reservation: E_PERM");
	TAP_CHECK(frame_alloc_one(&fa, 0x80, &pa) == E_INVAL && frame_alloc_block(&fa, FRAME_MAX_ORDER + 1, 0, &pa) == E_INVAL &&
		  frame_alloc_one(&fa, 0, NULL) == E_INVAL && frame_alloc_block(&fa, 3, 0, NULL) == E_INVAL,
		  "basics: unknown flag, order too large, NULL result: E_INVAL");
	frame_get_stats(&fa, &st);
	TAP_CHECK(st.free == want && st.refused_free == 3 && st.refused_reserved == 6 &&
		  st.refused_unmanaged == 7 && st.refused_invalid == 3,
		  "basics: nothing changed by the refused calls, each counted (free %" PRIu64
		  ", not allocated %" PRIu64 ", reserved %" PRIu64 ", unmanaged %" PRIu64 ", invalid %" PRIu64 ")",
		  st.free, st.refused_free, st.refused_reserved, st.refused_unmanaged, st.refused_invalid);
	TAP_CHECK(!strcmp(frame_res_kind_name(FRAME_RES_PT_POOL), "page tables") &&
		  !strcmp(frame_res_kind_name(99), "?"), "basics: kind names");
	check_accounting(&fa, "basics at the end");
	physmem_destroy(&pm);
}

/* ---- exhaustion, zoning, fragmentation -------------------------------------------- */

static void test_exhaustion(void)
{
	static struct frame_alloc fa;
	static unsigned char seen[FRAMES(LOW_BACKED) + FRAMES(HIGH_BACKED)];
	struct mapb b;
	struct blocks l = { 0 };
	paddr_t pa;
	size_t dup = 0, bad = 0;

	small_map(&b);
	back_small(&pm);
	if (!TAP_CHECK(init_fa(&fa, &b.m, small_res, ARRAY_SIZE(small_res), &pm, 0, 0) == E_OK,
		       "exhaustion: init"))
		return;
	uint64_t managed = free_frames(&fa);
	memset(seen, 0, sizeof(seen));
	while (l.n <= managed && frame_alloc_one(&fa, 0, &pa) == E_OK) {
		size_t i = pa >= HIGH_BASE ? FRAMES(LOW_BACKED) + FRAMES(pa - HIGH_BASE) : FRAMES(pa);
		const struct mem_entry *e = entry_of(&b.m, pa);
		if (i >= sizeof(seen) || seen[i]++)
			dup++;
		if (!e || !usable_type(e) || in_reservations(small_res, ARRAY_SIZE(small_res), pa))
			bad++;
		blocks_push(&l, pa, 0);
	}
	TAP_CHECK(l.n == managed && dup == 0 && bad == 0,
		  "exhaustion: every managed frame handed out exactly once (%zu of %" PRIu64
		  ", %zu twice, %zu outside usable memory)", l.n, managed, dup, bad);
	TAP_CHECK(frame_alloc_one(&fa, 0, &pa) == E_NOMEM && frame_alloc_one(&fa, FRAME_LOW32, &pa) == E_NOMEM &&
		  frame_alloc_block(&fa, 1, 0, &pa) == E_NOMEM && frame_alloc_block(&fa, 9, FRAME_ZERO, &pa) == E_NOMEM,
		  "exhaustion: then E_NOMEM for every order and zone");
	check_accounting(&fa, "exhaustion: all used");
	TAP_CHECK(free_all_random(&fa, &l) == 0 && free_frames(&fa) == managed,
		  "exhaustion: all freed again");
	check_accounting(&fa, "exhaustion: all free");
	uint64_t frames = drain(&fa, &l, &b.m, small_res, ARRAY_SIZE(small_res), &bad);
	TAP_CHECK(frames == managed && bad == 0, "exhaustion: drained by largest blocks first: %" PRIu64
		  " frames in %zu blocks", frames, l.n);
	free_all_random(&fa, &l);
	check_accounting(&fa, "exhaustion: drained and freed");
	free(l.b);
	physmem_destroy(&pm);
}

static void test_low32(void)
{
	static struct frame_alloc fa;
	struct mapb b;
	struct blocks l = { 0 };
	struct frame_stats st;
	paddr_t pa;
	size_t above = 0;

	mb_reset(&b);
	mb_add(&b, 0x100000, 0x4000000, EFI_CONVENTIONAL, 0);
	mb_add(&b, 3 * GiB, 6 * GiB, EFI_CONVENTIONAL, 0);   /* straddles 4 GiB */
	physmem_init(&pm, PHYSMEM_ON_DEMAND);
	if (!TAP_CHECK(init_fa(&fa, &b.m, NULL, 0, &pm, 0, 0) == E_OK, "low32: init"))
		return;
	frame_get_stats(&fa, &st);
	TAP_CHECK(st.managed_low == FRAMES(0x3f00000 + GiB) && st.regions == 3,
		  "low32: %" PRIu64 " frames below 4 GiB in %u regions (cut at 4 GiB)", st.managed_low, st.regions);
	int r = frame_alloc_block(&fa, FRAME_MAX_ORDER, FRAME_LOW32, &pa);
	TAP_CHECK(r == E_OK && pa == 3 * GiB, "low32: 1 GiB block below 4 GiB is [3 GiB, 4 GiB) (%#" PRIx64 ")", pa);
	TAP_CHECK(frame_alloc_block(&fa, FRAME_MAX_ORDER, FRAME_LOW32, &pa) == E_NOMEM,
		  "low32: no second one");
	r = frame_alloc_block(&fa, FRAME_MAX_ORDER, 0, &pa);
	TAP_CHECK(r == E_OK && pa == 4 * GiB, "low32: a default 1 GiB block comes from above (%#" PRIx64 ")", pa);
	free_all_random(&fa, &l);
	frame_free_block(&fa, 3 * GiB, FRAME_MAX_ORDER);
	frame_free_block(&fa, 4 * GiB, FRAME_MAX_ORDER);

	while (l.n <= st.managed && frame_alloc_block(&fa, 4, FRAME_LOW32, &pa) == E_OK) {
		if (pa + (PAGE_SIZE << 4) > FRAME_LOW_LIMIT)
			above++;
		blocks_push(&l, pa, 4);
	}
	while (l.n <= st.managed && frame_alloc_one(&fa, FRAME_LOW32, &pa) == E_OK) {
		if (pa >= FRAME_LOW_LIMIT)
			above++;
		blocks_push(&l, pa, 0);
	}
	frame_get_stats(&fa, &st);
	TAP_CHECK(above == 0 && st.free_low == 0 && st.free > 0,
		  "low32: the low zone runs dry with the high zone untouched (%" PRIu64 " free above)", st.free);
	r = frame_alloc_one(&fa, 0, &pa);
	TAP_CHECK(r == E_OK && pa >= FRAME_LOW_LIMIT, "low32: default allocations still succeed above 4 GiB");
	blocks_push(&l, pa, 0);
	free_all_random(&fa, &l);

	/* Default allocations use the high zone first, then fall back. */
	uint64_t high = st.managed - st.managed_low;
	size_t low_early = 0;
	for (uint64_t i = 0; i < high; i++) {
		if (frame_alloc_one(&fa, 0, &pa) != E_OK || pa < FRAME_LOW_LIMIT)
			low_early++;
		blocks_push(&l, pa, 0);
	}
	r = frame_alloc_one(&fa, 0, &pa);
	TAP_CHECK(low_early == 0 && r == E_OK && pa < FRAME_LOW_LIMIT,
		  "low32: default allocations take all %" PRIu64 " high frames before a low one", high);
	blocks_push(&l, pa, 0);
	free_all_random(&fa, &l);
	check_accounting(&fa, "low32");
	free(l.b);
	physmem_destroy(&pm);
}

/* A direct limit (addressing=direct:LIMIT): frames at or above it are
 * highmem, handed out only with FRAME_HIGHMEM, whatever else is asked. */
static void test_highmem_at(paddr_t direct_limit)
{
	static struct frame_alloc fa;
	struct mapb b;
	struct blocks l = { 0 };
	struct frame_stats st;
	paddr_t pa;
	size_t wrong = 0;
	char what[48];

	snprintf(what, sizeof(what), "highmem %" PRIu64 " MiB", direct_limit / MiB);
	mb_reset(&b);
	mb_add(&b, 0x100000, 0x4000000, EFI_CONVENTIONAL, 0);
	mb_add(&b, 512 * MiB, 6 * GiB, EFI_CONVENTIONAL, 0);   /* straddles the limit and 4 GiB */
	physmem_init(&pm, PHYSMEM_ON_DEMAND);
	struct frame_config cfg = { .map = &b.m, .mem = &pm.fm, .direct_limit = direct_limit };
	if (!TAP_CHECK(frame_init(&fa, &cfg) == E_OK, "%s: init", what))
		return;
	frame_get_stats(&fa, &st);
	/* The metadata is carved from the top of the highest region. */
	TAP_CHECK(st.managed_highmem + st.reserved[FRAME_RES_METADATA] == FRAMES(6 * GiB - direct_limit),
		  "%s: %" PRIu64 " managed highmem frames + %" PRIu64 " of metadata", what,
		  st.managed_highmem, st.reserved[FRAME_RES_METADATA]);
	/* Every kind of allocation without FRAME_HIGHMEM stays below the limit
	 * until lowmem runs dry, then fails although highmem is free. */
	for (uint32_t flags = 0; flags <= FRAME_LOW32; flags += FRAME_LOW32) {
		while (frame_alloc_block(&fa, 6, flags, &pa) == E_OK) {
			wrong += pa + (PAGE_SIZE << 6) > direct_limit;
			blocks_push(&l, pa, 6);
		}
		while (frame_alloc_one(&fa, flags, &pa) == E_OK) {
			wrong += pa >= direct_limit;
			blocks_push(&l, pa, 0);
		}
	}
	frame_get_stats(&fa, &st);
	TAP_CHECK(wrong == 0 && st.free == st.managed_highmem,
		  "%s: %zu lowmem allocations got highmem; %" PRIu64 " free left, all highmem", what,
		  wrong, st.free);
	TAP_CHECK(frame_alloc_one(&fa, FRAME_HIGHMEM, &pa) == E_OK && pa >= direct_limit,
		  "%s: FRAME_HIGHMEM gets a highmem frame (%#" PRIx64 ")", what, pa);
	blocks_push(&l, pa, 0);
	/* A freed highmem frame must not become a lowmem caller's hint. */
	frame_free_one(&fa, pa);
	l.n--;
	TAP_CHECK(frame_alloc_one(&fa, 0, &pa) == E_NOMEM, "%s: a freed highmem frame is not handed "
		  "to a caller that did not ask for highmem", what);
	/* Below 4 GiB only highmem is left, if any. */
	int r = frame_alloc_one(&fa, FRAME_HIGHMEM | FRAME_LOW32, &pa);
	if (direct_limit >= FRAME_LOW_LIMIT) {
		TAP_CHECK(r == E_NOMEM, "%s: FRAME_HIGHMEM|FRAME_LOW32 with all of low memory taken -> %s",
			  what, status_name(r));
	} else {
		TAP_CHECK(r == E_OK && pa >= direct_limit && pa < FRAME_LOW_LIMIT,
			  "%s: FRAME_HIGHMEM|FRAME_LOW32 gets %#" PRIx64, what, pa);
		blocks_push(&l, pa, 0);
	}
	free_all_random(&fa, &l);
	check_accounting(&fa, what);
	free(l.b);
	physmem_destroy(&pm);
}

static void test_highmem(void)
{
	test_highmem_at(896 * MiB);
	test_highmem_at(5 * GiB);
}

static void test_fragmentation(void)
{
	static struct frame_alloc fa;
	struct mapb b;
	struct blocks l = { 0 };
	paddr_t pa;
	const paddr_t base = 16 * MiB;
	const uint64_t n = FRAMES(4 * MiB);

	mb_reset(&b);
	mb_add(&b, base, base + 4 * MiB, EFI_CONVENTIONAL, 0);
	mb_add(&b, base + 4 * MiB, base + 5 * MiB, EFI_CONVENTIONAL, 0);   /* room for metadata */
	physmem_init(&pm, PHYSMEM_ON_DEMAND);
	struct frame_reservation keep = { base + 4 * MiB, base + 4 * MiB + 1, FRAME_RES_FIRMWARE, 0 };
	if (!TAP_CHECK(init_fa(&fa, &b.m, &keep, 1, &pm, 0, 0) == E_OK, "fragmentation: init"))
		return;
	/* Take the 4 MiB region frame by frame (it comes first: lowest). */
	for (uint64_t i = 0; i < n; i++) {
		if (frame_alloc_one(&fa, 0, &pa) != E_OK || pa != base + i * PAGE_SIZE)
			break;
		blocks_push(&l, pa, 0);
	}
	TAP_CHECK(l.n == n, "fragmentation: 1024 frames in address order (%zu)", l.n);
	/* Drain what is left elsewhere so only the 4 MiB region matters. */
	struct blocks rest = { 0 };
	size_t bad = 0;
	drain(&fa, &rest, &b.m, &keep, 1, &bad);
	for (uint64_t i = 0; i < n; i += 2)
		frame_free_one(&fa, base + i * PAGE_SIZE);
	TAP_CHECK(frame_alloc_block(&fa, 1, 0, &pa) == E_NOMEM && free_frames(&fa) == n / 2,
		  "fragmentation: every other frame free: 2 MiB free, no 8 KiB block");
	for (uint64_t i = 1; i < n; i += 4)
		frame_free_one(&fa, base + i * PAGE_SIZE);
	int r = frame_alloc_block(&fa, 1, 0, &pa);
	TAP_CHECK(r == E_OK && pa == base && frame_alloc_block(&fa, 2, 0, &pa) == E_NOMEM,
		  "fragmentation: pairs free: the first 8 KiB block, no 16 KiB one");
	frame_free_block(&fa, base, 1);
	for (uint64_t i = 3; i < n; i += 4)
		if (i != n / 2 + 3)
			frame_free_one(&fa, base + i * PAGE_SIZE);
	r = frame_alloc_block(&fa, 10, 0, &pa);
	TAP_CHECK(r == E_NOMEM, "fragmentation: one frame in use spoils the 4 MiB block");
	r = frame_alloc_block(&fa, 9, 0, &pa);
	TAP_CHECK(r == E_OK && pa == base, "fragmentation: the other 2 MiB half is still whole");
	frame_free_block(&fa, base, 9);
	frame_free_one(&fa, base + (n / 2 + 3) * PAGE_SIZE);
	r = frame_alloc_block(&fa, 10, 0, &pa);
	TAP_CHECK(r == E_OK && pa == base, "fragmentation: all given back: 4 MiB block again");
	frame_free_block(&fa, pa, 10);
	/* Freeing with another order than allocated: the bits stay exact. */
	r = frame_alloc_block(&fa, 3, 0, &pa);
	TAP_CHECK(r == E_OK && frame_free_block(&fa, pa, 0) == E_OK &&
		  frame_free_block(&fa, pa, 3) == E_NOENT && frame_state(&fa, pa + PAGE_SIZE) == FRAME_STATE_USED,
		  "fragmentation: order mismatch: the frames freed are free, the rest stay used");
	frame_free_block(&fa, pa + PAGE_SIZE, 0);
	frame_free_block(&fa, pa + 2 * PAGE_SIZE, 1);
	frame_free_block(&fa, pa + 4 * PAGE_SIZE, 2);
	TAP_CHECK(frame_state(&fa, pa) == FRAME_STATE_FREE && frame_alloc_block(&fa, 3, 0, &pa) == E_OK,
		  "fragmentation: pieces freed separately merge back into a block");
	frame_free_block(&fa, pa, 3);
	/* A 2 MiB block with one frame already given back is refused whole. */
	r = frame_alloc_block(&fa, 9, 0, &pa);
	int r2 = r == E_OK ? frame_free_one(&fa, pa + 100 * PAGE_SIZE) : r;
	TAP_CHECK(r2 == E_OK && frame_free_block(&fa, pa, 9) == E_NOENT &&
		  frame_state(&fa, pa) == FRAME_STATE_USED && frame_state(&fa, pa + 511 * PAGE_SIZE) == FRAME_STATE_USED,
		  "fragmentation: freeing a 2 MiB block with a free frame inside: E_NOENT, nothing changed");
	TAP_CHECK(frame_free_block(&fa, pa + 2 * MiB, 9) == E_NOENT,
		  "fragmentation: freeing a 2 MiB block that is all free: E_NOENT");
	for (unsigned i = 0; i < 512; i++)
		if (i != 100 && frame_free_one(&fa, pa + i * PAGE_SIZE) != E_OK)
			r2 = E_INVAL;
	TAP_CHECK(r2 == E_OK && frame_alloc_block(&fa, 10, 0, &pa) == E_OK && frame_free_block(&fa, pa, 10) == E_OK,
		  "fragmentation: its frames freed one by one: whole again");
	free_all_random(&fa, &rest);
	free(rest.b);
	free(l.b);
	check_accounting(&fa, "fragmentation");
	physmem_destroy(&pm);
}

/* ---- alignment of every order, and nodes the region fills exactly -------------------- */

static void test_orders(void)
{
	static struct frame_alloc fa;
	struct mapb b;
	paddr_t pa;
	size_t bad = 0;

	mb_reset(&b);
	mb_add(&b, 0x1000, 0x9f000, EFI_CONVENTIONAL, 0);
	mb_add(&b, 16 * MiB, 32 * MiB, EFI_CONVENTIONAL, 0);       /* exactly one 16 MiB node */
	mb_add(&b, 1 * GiB, 2 * GiB, EFI_CONVENTIONAL, 0);         /* exactly one 1 GiB node */
	mb_add(&b, 4 * GiB + 12 * MiB + PAGE_SIZE, 13 * GiB - 3 * PAGE_SIZE, EFI_CONVENTIONAL, 0);
	physmem_init(&pm, PHYSMEM_ON_DEMAND);
	if (!TAP_CHECK(init_fa(&fa, &b.m, NULL, 0, &pm, 0, 0) == E_OK, "orders: init"))
		return;
	int r = frame_alloc_block(&fa, 12, FRAME_LOW32, &pa);
	TAP_CHECK(r == E_OK && pa == 16 * MiB, "orders: a region that is exactly one 16 MiB node gives a 16 MiB block");
	frame_free_block(&fa, pa, 12);
	r = frame_alloc_block(&fa, 18, FRAME_LOW32, &pa);
	TAP_CHECK(r == E_OK && pa == 1 * GiB, "orders: a region that is exactly 1 GiB gives a 1 GiB block");
	frame_free_block(&fa, pa, 18);
	for (unsigned order = 0; order <= FRAME_MAX_ORDER; order++) {
		for (uint32_t flags = 0; flags <= FRAME_LOW32; flags += FRAME_LOW32) {
			r = frame_alloc_block(&fa, order, flags, &pa);
			uint64_t size = PAGE_SIZE << order;
			bool ok = r == E_OK && IS_ALIGNED(pa, size) && frame_state(&fa, pa) == FRAME_STATE_USED &&
				  frame_state(&fa, pa + size - PAGE_SIZE) == FRAME_STATE_USED &&
				  (!(flags & FRAME_LOW32) || pa + size <= FRAME_LOW_LIMIT) &&
				  frame_free_block(&fa, pa, order) == E_OK && frame_state(&fa, pa) == FRAME_STATE_FREE;
			if (!ok)
				bad++;
		}
	}
	TAP_CHECK(bad == 0, "orders: every order 0..%d, both zones: aligned, used, freed (%zu bad)",
		  FRAME_MAX_ORDER, bad);
	/* Count: 8 GiB above 4 GiB minus ragged edges holds 7 whole 1 GiB blocks. */
	size_t n = 0;
	while (n < 100 && frame_alloc_block(&fa, 18, 0, &pa) == E_OK && pa >= FRAME_LOW_LIMIT)
		n++;
	TAP_CHECK(n == 7, "orders: 7 aligned 1 GiB blocks in [4 GiB + 12 MiB + 4 KiB, 13 GiB - 12 KiB) (%zu)", n);
	check_accounting(&fa, "orders");
	physmem_destroy(&pm);
}

/* ---- zeroing, poisoning, unreachable memory --------------------------------------------- */

static bool all_bytes(const unsigned char *p, uint64_t n, unsigned char v)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void test_zero_poison(void)
{
	static struct frame_alloc fa;
	struct mapb b;
	paddr_t pa, pb;

	small_map(&b);
	back_small(&pm);
	if (!TAP_CHECK(init_fa(&fa, &b.m, small_res, ARRAY_SIZE(small_res), &pm, 0, FRAME_INIT_POISON) == E_OK,
		       "poison: init"))
		return;
	int r = frame_alloc_one(&fa, 0, &pa);
	unsigned char *p = r == E_OK ? physmem_peek(&pm, pa, PAGE_SIZE) : NULL;
	if (!TAP_CHECK(p, "poison: a frame in backed memory (%s %#" PRIx64 ")", status_name(r), pa))
		return;
	memset(p, 0x11, PAGE_SIZE);
	frame_free_one(&fa, pa);
	TAP_CHECK(all_bytes(p, PAGE_SIZE, FRAME_POISON), "poison: a freed frame is filled with %#x", FRAME_POISON);
	TAP_CHECK(frame_alloc_one(&fa, FRAME_ZERO, &pb) == E_OK && pb == pa && all_bytes(p, PAGE_SIZE, 0),
		  "poison: the same frame handed out again with FRAME_ZERO is all zeros");
	TAP_CHECK(frame_free_one(&fa, pb) == E_OK, "poison: freed again");
	r = frame_alloc_block(&fa, 3, FRAME_ZERO | FRAME_LOW32, &pa);
	p = r == E_OK ? physmem_peek(&pm, pa, 8 * PAGE_SIZE) : NULL;
	TAP_CHECK(p && all_bytes(p, 8 * PAGE_SIZE, 0), "poison: an order-3 FRAME_ZERO block is all zeros");
	if (p) {
		memset(p, 0x22, 8 * PAGE_SIZE);
		TAP_CHECK(frame_free_block(&fa, pa, 3) == E_OK && all_bytes(p, 8 * PAGE_SIZE, FRAME_POISON),
			  "poison: a freed block is poisoned throughout");
		memset(p, 0x33, PAGE_SIZE);
		TAP_CHECK(frame_free_block(&fa, pa, 3) == E_NOENT && all_bytes(p, PAGE_SIZE, 0x33),
			  "poison: a refused free writes nothing");
	}
	physmem_destroy(&pm);

	/* Without FRAME_INIT_POISON nothing is written on free. */
	back_small(&pm);
	init_fa(&fa, &b.m, small_res, ARRAY_SIZE(small_res), &pm, 0, 0);
	r = frame_alloc_one(&fa, 0, &pa);
	p = r == E_OK ? physmem_peek(&pm, pa, PAGE_SIZE) : NULL;
	if (!TAP_CHECK(p, "poison: a frame in backed memory"))
		return;
	memset(p, 0x44, PAGE_SIZE);
	frame_free_one(&fa, pa);
	TAP_CHECK(all_bytes(p, PAGE_SIZE, 0x44), "poison: off unless asked for");
	physmem_destroy(&pm);

	/* Frames the mem callback cannot reach: FRAME_ZERO fails, frame stays free. */
	physmem_init(&pm, PHYSMEM_ON_DEMAND);
	init_fa(&fa, &b.m, small_res, ARRAY_SIZE(small_res), &pm, 0, 0);
	pm.mode = PHYSMEM_FIXED;
	uint64_t before = free_frames(&fa);
	r = frame_alloc_one(&fa, FRAME_ZERO, &pa);
	int r2 = frame_alloc_block(&fa, 5, FRAME_ZERO, &pb);
	TAP_CHECK(r == E_RANGE && r2 == E_RANGE && free_frames(&fa) == before,
		  "poison: FRAME_ZERO on unreachable frames: E_RANGE, nothing taken");
	TAP_CHECK(frame_alloc_one(&fa, 0, &pa) == E_OK && frame_free_one(&fa, pa) == E_OK,
		  "poison: the same frames still allocate without FRAME_ZERO");
	check_accounting(&fa, "poison: unreachable");
	physmem_destroy(&pm);

	/* Metadata: the highest region is unreachable, so it goes lower. */
	physmem_init(&pm, PHYSMEM_FIXED);
	physmem_back(&pm, 0x1100000, 0x4000000 - 0x1100000);
	r = init_fa(&fa, &b.m, small_res, ARRAY_SIZE(small_res), &pm, 0, 0);
	TAP_CHECK(r == E_OK && frame_state(&fa, 0x3dff000) == FRAME_STATE_RESERVED &&
		  frame_state(&fa, HIGH_BASE + HIGH_BACKED - PAGE_SIZE) == FRAME_STATE_FREE,
		  "poison: metadata placed in the highest region the callback reaches");
	check_accounting(&fa, "metadata placed low");
	physmem_destroy(&pm);

	physmem_init(&pm, PHYSMEM_FIXED);
	r = init_fa(&fa, &b.m, small_res, ARRAY_SIZE(small_res), &pm, 0, 0);
	TAP_CHECK(r == E_NOMEM && frame_alloc_one(&fa, 0, &pa) == E_NOMEM && frame_free_one(&fa, 0x100000) == E_RANGE,
		  "poison: no reachable room for metadata: E_NOMEM, and an allocator with nothing");
}

/* ---- init: bad input, policy, limit, reservations ------------------------------------- */

static void test_init_input(void)
{
	static struct frame_alloc fa;
	struct mapb b;
	struct frame_stats st;
	struct frame_config cfg;
	paddr_t pa;
	int r;

	physmem_init(&pm, PHYSMEM_ON_DEMAND);
	mb_reset(&b);
	mb_add(&b, 2 * MiB, 4 * MiB, EFI_CONVENTIONAL, 0);
	mb_add(&b, 1 * MiB, 2 * MiB, EFI_CONVENTIONAL, 0);
	TAP_CHECK(init_fa(&fa, &b.m, NULL, 0, &pm, 0, 0) == E_INVAL, "init: unsorted map: E_INVAL");
	mb_reset(&b);
	mb_add(&b, 1 * MiB, 3 * MiB, EFI_CONVENTIONAL, 0);
	mb_add(&b, 2 * MiB, 4 * MiB, EFI_ACPI_NVS, 0);
	TAP_CHECK(init_fa(&fa, &b.m, NULL, 0, &pm, 0, 0) == E_INVAL, "init: overlapping map: E_INVAL");
	mb_reset(&b);
	mb_add(&b, 1 * MiB + 100, 3 * MiB, EFI_CONVENTIONAL, 0);
	TAP_CHECK(init_fa(&fa, &b.m, NULL, 0, &pm, 0, 0) == E_INVAL, "init: unaligned entry: E_INVAL");
	mb_reset(&b);
	mb_add(&b, 1 * MiB, 1 * MiB, EFI_CONVENTIONAL, 0);
	TAP_CHECK(init_fa(&fa, &b.m, NULL, 0, &pm, 0, 0) == E_INVAL, "init: empty entry: E_INVAL");
	mb_reset(&b);
	mb_add(&b, 1 * MiB, 64 * MiB, EFI_CONVENTIONAL, 0);
	struct frame_reservation bad_res = { 3 * MiB, 2 * MiB, FRAME_RES_KERNEL, 0 };
	TAP_CHECK(init_fa(&fa, &b.m, &bad_res, 1, &pm, 0, 0) == E_INVAL, "init: reservation end < start: E_INVAL");
	bad_res = (struct frame_reservation){ 2 * MiB, 3 * MiB, FRAME_RES_METADATA, 0 };
	TAP_CHECK(init_fa(&fa, &b.m, &bad_res, 1, &pm, 0, 0) == E_INVAL, "init: FRAME_RES_METADATA from the caller: E_INVAL");
	bad_res.kind = 77;
	TAP_CHECK(init_fa(&fa, &b.m, &bad_res, 1, &pm, 0, 0) == E_INVAL, "init: unknown kind: E_INVAL");
	static struct frame_reservation many[FRAME_MAX_RESERVED];
	for (size_t i = 0; i < FRAME_MAX_RESERVED; i++)
		many[i] = (struct frame_reservation){ 2 * MiB + i * 2 * PAGE_SIZE, 2 * MiB + i * 2 * PAGE_SIZE + PAGE_SIZE,
						      FRAME_RES_FIRMWARE, 0 };
	TAP_CHECK(init_fa(&fa, &b.m, many, FRAME_MAX_RESERVED, &pm, 0, 0) == E_NOSPC,
		  "init: %d reservations: E_NOSPC (one slot is the metadata's)", FRAME_MAX_RESERVED);
	r = init_fa(&fa, &b.m, many, FRAME_MAX_RESERVED - 1, &pm, 0, 0);
	frame_get_stats(&fa, &st);
	TAP_CHECK(r == E_OK && st.reserved[FRAME_RES_FIRMWARE] == FRAME_MAX_RESERVED - 1 &&
		  st.regions == FRAME_MAX_RESERVED,
		  "init: %d reservations split the region into %u regions", FRAME_MAX_RESERVED - 1, st.regions);
	check_accounting(&fa, "init: many reservations");
	TAP_CHECK(init_fa(&fa, &b.m, NULL, 0, &pm, 0, 0x10) == E_INVAL, "init: unknown init flag: E_INVAL");
	cfg = (struct frame_config){ .map = &b.m, .mem = NULL };
	TAP_CHECK(frame_init(&fa, &cfg) == E_INVAL && frame_init(&fa, NULL) == E_INVAL &&
		  frame_init(NULL, &cfg) == E_INVAL, "init: NULL arguments: E_INVAL");
	cfg = (struct frame_config){ .map = NULL, .mem = &pm.fm };
	TAP_CHECK(frame_init(&fa, &cfg) == E_INVAL, "init: NULL map: E_INVAL");

	/* An empty map, and a map without usable RAM: allocators with nothing. */
	mb_reset(&b);
	r = init_fa(&fa, &b.m, NULL, 0, &pm, 0, 0);
	TAP_CHECK(r == E_OK && frame_alloc_one(&fa, 0, &pa) == E_NOMEM && frame_verify(&fa, NULL) == E_OK,
		  "init: empty map: E_OK, nothing to hand out");
	mb_add(&b, 0, 1 * MiB, EFI_ACPI_RECLAIM, 0);
	mb_add(&b, 1 * MiB, 2 * MiB, EFI_RT_DATA, EFI_MEMORY_RUNTIME);
	mb_add(&b, 2 * MiB, 3 * MiB, EFI_BS_DATA, EFI_MEMORY_RUNTIME);
	r = init_fa(&fa, &b.m, NULL, 0, &pm, 0, 0);
	frame_get_stats(&fa, &st);
	TAP_CHECK(r == E_OK && st.managed == 0 && st.kept_acpi == 256 && st.kept_runtime == 256 &&
		  st.ram == 512 && frame_alloc_block(&fa, 0, 0, &pa) == E_NOMEM,
		  "init: ACPI reclaim and runtime-flagged boot services only: nothing managed");

	/* Every usable type is given back; the limit keeps what is above it. */
	mb_reset(&b);
	mb_add(&b, 0, 1 * MiB, EFI_LOADER_CODE, 0);
	mb_add(&b, 1 * MiB, 2 * MiB, EFI_LOADER_DATA, 0);
	mb_add(&b, 2 * MiB, 3 * MiB, EFI_BS_CODE, 0);
	mb_add(&b, 3 * MiB, 4 * MiB, EFI_BS_DATA, 0);
	mb_add(&b, 4 * MiB, 5 * MiB, EFI_CONVENTIONAL, 0);
	mb_add(&b, 5 * MiB, 6 * MiB, EFI_PERSISTENT, 0);
	mb_add(&b, 6 * MiB, 7 * MiB, EFI_UNACCEPTED, 0);
	mb_add(&b, 7 * MiB, 8 * MiB, EFI_UNUSABLE, 0);
	mb_add(&b, 8 * MiB, 9 * MiB, 0x80000001u, 0);       /* OS-loader-defined type */
	mb_add(&b, 9 * MiB, 12 * MiB, EFI_CONVENTIONAL, 0);
	r = init_fa(&fa, &b.m, NULL, 0, &pm, 10 * MiB + 100, 0);
	frame_get_stats(&fa, &st);
	TAP_CHECK(r == E_OK && st.managed + st.reserved[FRAME_RES_METADATA] == FRAMES(6 * MiB) &&
		  st.kept_limit == FRAMES(2 * MiB) && st.regions == 2,
		  "init: loader and boot-services code/data given back, persistent/unaccepted/unusable/OEM not, "
		  "limit 10 MiB keeps %" PRIu64 " frames", st.kept_limit);
	TAP_CHECK(frame_state(&fa, 10 * MiB) == FRAME_STATE_UNMANAGED && frame_state(&fa, 5 * MiB) == FRAME_STATE_UNMANAGED &&
		  frame_state(&fa, 0) == FRAME_STATE_FREE,
		  "init: frame_state of unmanaged and free frames");
	check_accounting(&fa, "init: types and limit");

	/* Overlapping, unaligned and out-of-RAM reservations. */
	struct frame_reservation ov[] = {
		{ 1 * MiB + 100, 1 * MiB + 200, FRAME_RES_KERNEL, 0 },     /* rounds out to one frame */
		{ 2 * MiB, 3 * MiB, FRAME_RES_STACKS, 0 },
		{ 2 * MiB + 512 * KiB, 4 * MiB, FRAME_RES_HANDOFF, 0 },    /* half inside the previous */
		{ 5 * MiB, 7 * MiB, FRAME_RES_FIRMWARE, 0 },               /* not usable memory */
		{ 0, 0, FRAME_RES_LOWMEM, 0 },                             /* empty */
		{ 3 * MiB, 3 * MiB + PAGE_SIZE, FRAME_RES_TRAMPOLINE, 0 }, /* inside an earlier start */
	};
	r = init_fa(&fa, &b.m, ov, ARRAY_SIZE(ov), &pm, 0, 0);
	frame_get_stats(&fa, &st);
	TAP_CHECK(r == E_OK && st.reserved[FRAME_RES_KERNEL] == 1 && st.reserved[FRAME_RES_STACKS] == 256 &&
		  st.reserved[FRAME_RES_HANDOFF] == 256 && st.reserved[FRAME_RES_FIRMWARE] == 0 &&
		  st.reserved[FRAME_RES_TRAMPOLINE] == 0 && st.reserved[FRAME_RES_LOWMEM] == 0,
		  "init: overlapping reservations count once, for the earliest; unaligned ones round out");
	TAP_CHECK(frame_free_one(&fa, 3 * MiB) == E_PERM && frame_free_one(&fa, 1 * MiB) == E_PERM &&
		  frame_state(&fa, 1 * MiB + PAGE_SIZE) == FRAME_STATE_FREE,
		  "init: reserved frames refused, their neighbours free");
	check_accounting(&fa, "init: reservations");
	struct frame_config mc = { .map = &b.m, .res = ov, .res_count = ARRAY_SIZE(ov), .mem = &pm.fm };
	uint64_t planned = frame_meta_bytes(&mc);
	TAP_CHECK(planned == st.meta_bytes && planned <= st.reserved[FRAME_RES_METADATA] * PAGE_SIZE,
		  "init: frame_meta_bytes %" PRIu64 " is what frame_init used (%" PRIu64 ")",
		  planned, st.meta_bytes);
	physmem_destroy(&pm);
}

/* ---- large sparse machines ---------------------------------------------------------- */

/* Resident host pages of the metadata block (mincore): what init wrote. */
static uint64_t resident_pages(struct physmem *m)
{
	static unsigned char vec[1 << 20];
	uint64_t pages = 0;
	long host_page = sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < m->count; i++) {
		uint64_t n = (m->block[i].size + host_page - 1) / host_page;
		for (uint64_t off = 0; off < n; off += sizeof(vec)) {
			uint64_t len = MIN(n - off, sizeof(vec));
			if (mincore(m->block[i].mem + off * host_page, len * host_page, vec) != 0)
				return ~0ull;
			for (uint64_t j = 0; j < len; j++)
				pages += vec[j] & 1;
		}
	}
	return pages;
}

static void test_large(void)
{
	static struct frame_alloc fa;
	static const uint64_t sizes[] = { 1 * GiB, 64 * GiB, 1 * TiB, 4 * TiB, 16 * TiB };
	uint64_t words[ARRAY_SIZE(sizes)];
	struct mapb b;
	struct frame_stats st;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t gib = sizes[i] / GiB;
		big_map(&b, sizes[i]);
		physmem_init(&pm, PHYSMEM_ON_DEMAND);
		struct frame_reservation res[] = { { 0, 1 * MiB, FRAME_RES_LOWMEM, 0 },
						   { 0x1000000, 0x1400000, FRAME_RES_KERNEL, 0 } };
		int r = init_fa(&fa, &b.m, res, ARRAY_SIZE(res), &pm, 0, 0);
		frame_get_stats(&fa, &st);
		words[i] = st.init_words;
		uint64_t resident = resident_pages(&pm);
		double per_gib = (double)st.meta_bytes / ((double)st.managed * PAGE_SIZE / GiB);
		TAP_CHECK(r == E_OK && st.managed + st.reserved[FRAME_RES_METADATA] ==
			  expected_usable(&b.m, res, ARRAY_SIZE(res), PHYS_ADDR_LIMIT),
			  "large %4" PRIu64 " GiB: init, %" PRIu64 " frames managed", gib, st.managed);
		TAP_CHECK(per_gib >= 32 * KiB && per_gib <= 40 * KiB,
			  "large %4" PRIu64 " GiB: %" PRIu64 " metadata bytes = %.0f bytes/GiB (%.3f bits/frame)",
			  gib, st.meta_bytes, per_gib, per_gib * 8 / (GiB / PAGE_SIZE));
		TAP_CHECK(st.init_words < 2500 && resident <= 24,
			  "large %4" PRIu64 " GiB: init wrote %" PRIu64 " words, %" PRIu64 " host pages resident of %"
			  PRIu64 " backed", gib, st.init_words, resident, pm.backed_bytes / 4096);
		check_accounting(&fa, "large");

		/* Use the top of memory, then all of it, by 1 GiB blocks first. */
		struct blocks l = { 0 };
		size_t bad = 0;
		paddr_t pa;
		for (int k = 0; k < 100; k++)
			if (frame_alloc_one(&fa, 0, &pa) == E_OK)
				blocks_push(&l, pa, 0);
		uint64_t frames = 100 + drain(&fa, &l, &b.m, res, ARRAY_SIZE(res), &bad);
		TAP_CHECK(frames == st.managed && bad == 0 && frame_alloc_one(&fa, 0, &pa) == E_NOMEM,
			  "large %4" PRIu64 " GiB: drained in %zu blocks", gib, l.n);
		check_accounting(&fa, "large: drained");
		TAP_CHECK(free_all_random(&fa, &l) == 0, "large %4" PRIu64 " GiB: all freed", gib);
		check_accounting(&fa, "large: freed");
		free(l.b);
		physmem_destroy(&pm);
	}
	/* 64 GiB and 16 TiB have the same map entries: 256 times the RAM. */
	TAP_CHECK(words[4] <= words[1] + words[1] / 4 && words[4] < 1000,
		  "large: init work does not grow with RAM: %" PRIu64 " words for 1 GiB, %" PRIu64 " for 64 GiB, %"
		  PRIu64 " for 1 TiB, %" PRIu64 " for 4 TiB, %" PRIu64 " for 16 TiB",
		  words[0], words[1], words[2], words[3], words[4]);
}

/* ---- the real maps ---------------------------------------------------------------------- */

static const char *const real_maps[] = {
	"02-apple-macmini3-1-efi110-198-entries.txt",
	"03-intel-mac-2006-efi-shell-memmap.txt",
	"04-intel-mac-2006-linux-efi-memmap.txt",
	"07-phoenix-notebook-zero-length-reserved-entries.txt",
	"08-lenovo-g50-amd-insyde-efi.txt",
	"09-lenovo-g50-amd-insyde-e820.txt",
	"10-qemu-i440fx-ovmf-3g-efi.txt",
	"11-qemu-i440fx-ovmf-3g-e820-and-setup-data.txt",
	"13-intel-desktop-opencore-shell-memmap.txt",
	"15-hyperv-gen2-vm-e820.txt",
	"17-qemu-virt-arm64-uboot-efi-64k-pages.txt",
	"18-qemu-i440fx-ovmf-3g-runtime-map-and-memattr.txt",
	"19-supermicro-skylake-sp-128g-xen-efi-memmap.txt",
	"20-vmware-vm-efi-e820.txt",
	"21-dell-pro16-lunar-lake-2025-e820-efi-mmio-removal.txt",
};

/* Reservations like the loader's: low memory, a kernel in the largest
 * usable entry, a pool chunk at its 2 MiB-aligned top. */
static size_t loader_like(const struct memmap *m, struct frame_reservation *res)
{
	const struct mem_entry *big = NULL;
	size_t n = 0;

	res[n++] = (struct frame_reservation){ 0, 1 * MiB, FRAME_RES_LOWMEM, 0 };
	for (size_t i = 0; i < m->count; i++)
		if (usable_type(&m->entries[i]) &&
		    (!big || m->entries[i].end - m->entries[i].start > big->end - big->start))
			big = &m->entries[i];
	if (big && big->end - big->start >= 8 * MiB) {
		res[n++] = (struct frame_reservation){ big->start + 1 * MiB, big->start + 3 * MiB + 100,
						       FRAME_RES_KERNEL, 0 };
		paddr_t top = ALIGN_DOWN(big->end, 2 * MiB);
		res[n++] = (struct frame_reservation){ top - 2 * MiB, top, FRAME_RES_PT_POOL, 0 };
	}
	return n;
}

static void check_real_map(const char *file, size_t idx, const struct parsed_map *pmap)
{
	static struct frame_alloc fa;
	struct efi_mem_desc *d = malloc((pmap->count + 1) * sizeof(*d));
	struct mem_entry *e = malloc((2 * pmap->count + 2) * sizeof(*e));
	struct memmap m = { e, 0, 2 * pmap->count + 2 };
	struct frame_reservation res[4];
	struct frame_stats st;
	char what[160];

	snprintf(what, sizeof(what), "real map %.24s #%zu (%s, %zu descriptors)", file, idx,
		 map_kind_name(pmap->kind), pmap->count);
	for (size_t i = 0; i < pmap->count; i++)
		d[i] = pmap->descs[i].d;
	int r = memmap_from_efi(&m, d, pmap->count * sizeof(*d), sizeof(*d), NULL, NULL);
	if (!TAP_CHECK(r == E_OK, "%s: memmap_from_efi -> %s", what, status_name(r)))
		goto out;
	size_t n = loader_like(&m, res);
	physmem_init(&pm, PHYSMEM_ON_DEMAND);
	r = init_fa(&fa, &m, res, n, &pm, 0, FRAME_INIT_POISON);
	frame_get_stats(&fa, &st);
	uint64_t want = expected_usable(&m, res, n, PHYS_ADDR_LIMIT);
	TAP_CHECK(r == E_OK && st.managed + st.reserved[FRAME_RES_METADATA] == want,
		  "%s: init -> %s, %" PRIu64 " frames managed in %u regions, metadata %" PRIu64 " bytes",
		  what, status_name(r), st.managed, st.regions, st.meta_bytes);
	struct frame_config mc = { .map = &m, .res = res, .res_count = n };
	TAP_CHECK(frame_meta_bytes(&mc) == st.meta_bytes,
		  "%s: frame_meta_bytes %" PRIu64 " is what frame_init used (%" PRIu64 ")", what,
		  frame_meta_bytes(&mc), st.meta_bytes);
	check_accounting(&fa, what);
	struct blocks l = { 0 };
	size_t bad = 0;
	uint64_t frames = drain(&fa, &l, &m, res, n, &bad);
	TAP_CHECK(frames == st.managed && bad == 0,
		  "%s: every managed frame allocated once, inside usable unreserved memory (%zu blocks)", what, l.n);
	check_accounting(&fa, what);
	pm.mode = PHYSMEM_FIXED;   /* poisoning unbacked frames is skipped, not faked */
	TAP_CHECK(free_all_random(&fa, &l) == 0 && free_frames(&fa) == st.managed, "%s: all freed", what);
	check_accounting(&fa, what);
	free(l.b);
	physmem_destroy(&pm);
out:
	free(d);
	free(e);
}

static void test_real_maps(void)
{
	const char *dir = testdata_memmaps();
	size_t checked = 0;

	testdata_check_memmaps(dir, ARRAY_SIZE(real_maps), "test_frame");
	for (size_t i = 0; i < ARRAY_SIZE(real_maps); i++) {
		char path[1024];
		size_t len = 0;
		struct map_file mf = { 0 };
		struct parse_error err;
		snprintf(path, sizeof(path), "%s/%s", dir, real_maps[i]);
		char *text = read_file(path, &len);
		if (!TAP_CHECK(text, "real map %s: readable", path))
			continue;
		if (TAP_CHECK(mapfile_parse(&mf, text, len, &err) == 0, "real map %s: parses (line %u: %s)",
			      real_maps[i], err.line, err.msg)) {
			for (size_t k = 0; k < mf.count; k++) {
				if (mf.maps[k].kind != MAP_KIND_EFI && mf.maps[k].kind != MAP_KIND_E820)
					continue;
				check_real_map(real_maps[i], k, &mf.maps[k]);
				checked++;
			}
			mapfile_free(&mf);
		}
		free(text);
	}
	TAP_CHECK(checked >= ARRAY_SIZE(real_maps), "real maps: %zu firmware/e820 maps checked", checked);
}

/* ---- random operations against a shadow model ------------------------------------------- */

/*
 * The shadow covers two windows of the small machine below, one frame per
 * byte. Frames outside them are unmanaged. Every allocator answer is
 * checked against it: a block handed out must be free in the shadow and
 * aligned; E_NOMEM must mean the shadow has no such block in the zone; a
 * default allocation must come from above 4 GiB when the shadow has one
 * there; refused frees change nothing; frame_state and the free count
 * agree with the shadow, and each allocated page keeps a signature
 * nobody else overwrites.
 */
#define SH_LOW_FRAMES  FRAMES(32 * MiB)
#define SH_HIGH_START  FRAMES(4 * GiB - 1 * MiB)
#define SH_HIGH_FRAMES FRAMES(17 * MiB)
#define SH_FRAMES      (SH_LOW_FRAMES + SH_HIGH_FRAMES)
#define SIGNATURE      0x5a17c0de00000000ull

enum { SH_UNMANAGED, SH_RESERVED, SH_FREE, SH_USED };

static unsigned char shadow[SH_FRAMES];

static long sh_index(uint64_t f)
{
	if (f < SH_LOW_FRAMES)
		return (long)f;
	if (f >= SH_HIGH_START && f < SH_HIGH_START + SH_HIGH_FRAMES)
		return (long)(SH_LOW_FRAMES + f - SH_HIGH_START);
	return -1;
}

static uint64_t sh_frame(long i)
{
	return (uint64_t)i < SH_LOW_FRAMES ? (uint64_t)i : (uint64_t)i - SH_LOW_FRAMES + SH_HIGH_START;
}

static uint64_t sh_free[2];   /* free frames below / above 4 GiB */

static int sh_get(uint64_t f)
{
	long i = sh_index(f);
	return i < 0 ? SH_UNMANAGED : shadow[i];
}

static void sh_set(uint64_t f, int state)
{
	long i = sh_index(f);
	bool high = f >= FRAMES(FRAME_LOW_LIMIT);

	sh_free[high] -= shadow[i] == SH_FREE;
	shadow[i] = (unsigned char)state;
	sh_free[high] += state == SH_FREE;
}

/* First frame of a free aligned 2^k block in the shadow within [lo, hi)
 * frames, or ~0. */
static uint64_t sh_find(unsigned k, uint64_t lo, uint64_t hi)
{
	static const uint64_t win[2][2] = { { 0, SH_LOW_FRAMES },
					    { SH_HIGH_START, SH_HIGH_START + SH_HIGH_FRAMES } };
	uint64_t n = 1ull << k;

	if (k == 0 && lo == 0 && hi == ~0ull)
		return sh_free[0] + sh_free[1] ? 0 : ~0ull;
	if (k == 0 && lo == FRAMES(FRAME_LOW_LIMIT) && hi == ~0ull)
		return sh_free[1] ? 0 : ~0ull;
	if (k == 0 && lo == 0 && hi == FRAMES(FRAME_LOW_LIMIT))
		return sh_free[0] ? 0 : ~0ull;
	for (int w = 0; w < 2; w++) {
		uint64_t end = MIN(win[w][1], hi);
		for (uint64_t f = ALIGN_UP(MAX(win[w][0], lo), n); f + n <= end; f += n) {
			uint64_t j = 0;
			while (j < n && sh_get(f + j) == SH_FREE)
				j++;
			if (j == n)
				return f;
		}
	}
	return ~0ull;
}

static void random_map(struct mapb *b, struct frame_reservation *res, size_t *n)
{
	mb_reset(b);
	mb_add(b, 0, 0x9f000, EFI_CONVENTIONAL, 0);
	mb_add(b, 0x100000, 0x1000000, EFI_CONVENTIONAL, 0);
	mb_add(b, 0x1000000, 0x1010000, EFI_ACPI_RECLAIM, 0);
	mb_add(b, 0x1010000, 0x1800000, EFI_BS_DATA, 0);
	mb_add(b, 0x1800000, 0x1a00000, EFI_LOADER_CODE, 0);
	mb_add(b, 0x1a00000, 0x1a01000, EFI_RESERVED, 0);
	mb_add(b, 0x1a01000, 0x1fff000, EFI_CONVENTIONAL, 0);
	mb_add(b, 4 * GiB - 1 * MiB, 4 * GiB + 1 * MiB, EFI_CONVENTIONAL, 0);
	mb_add(b, 4 * GiB + 1 * MiB, 4 * GiB + 16 * MiB - 3 * PAGE_SIZE, EFI_LOADER_DATA, 0);
	*n = 0;
	res[(*n)++] = (struct frame_reservation){ 0x200000, 0x280000, FRAME_RES_KERNEL, 0 };
	res[(*n)++] = (struct frame_reservation){ 0x5ff000, 0x601000, FRAME_RES_STACKS, 0 };
	res[(*n)++] = (struct frame_reservation){ 0x1000, 0x2000, FRAME_RES_TRAMPOLINE, 0 };
	res[(*n)++] = (struct frame_reservation){ 4 * GiB + 4 * MiB, 4 * GiB + 6 * MiB, FRAME_RES_PT_POOL, 0 };
}

/* Shadow state after init: from the map and reservations; the metadata
 * range is read back from frame_state (checked to be one run at the top of
 * the highest region). */
static bool shadow_init(const struct frame_alloc *fa, const struct memmap *m,
			const struct frame_reservation *res, size_t n)
{
	long meta = 0, meta_first = -1, meta_last = -1;

	sh_free[0] = sh_free[1] = 0;

	for (long i = 0; i < (long)SH_FRAMES; i++) {
		paddr_t pa = sh_frame(i) << PAGE_SHIFT;
		const struct mem_entry *e = entry_of(m, pa);
		shadow[i] = !e || !usable_type(e) ? SH_UNMANAGED : in_reservations(res, n, pa) ? SH_RESERVED : SH_FREE;
		if (shadow[i] == SH_FREE && frame_state(fa, pa) == FRAME_STATE_RESERVED) {
			shadow[i] = SH_RESERVED;
			meta++;
			if (meta_first < 0)
				meta_first = i;
			meta_last = i;
		}
		sh_free[sh_frame(i) >= FRAMES(FRAME_LOW_LIMIT)] += shadow[i] == SH_FREE;
	}
	return meta > 0 && meta_last - meta_first + 1 == meta && sh_frame(meta_last) == FRAMES(4 * GiB + 16 * MiB) - 4;
}

static bool signature_ok(struct physmem *m, paddr_t pa, unsigned k)
{
	for (uint64_t i = 0; i < (1ull << k); i++) {
		uint64_t *p = (uint64_t *)physmem_peek(m, pa + i * PAGE_SIZE, PAGE_SIZE);
		if (!p || *p != (SIGNATURE ^ (pa + i * PAGE_SIZE)))
			return false;
	}
	return true;
}

struct rstats {
	size_t ops, allocs, frees, nomem, refused, errors;
};

static void random_alloc(struct frame_alloc *fa, struct blocks *live, struct rstats *rs)
{
	unsigned k = rnd() % 2 ? 0 : (unsigned)(rnd() % 13);
	uint32_t flags = (rnd() % 5 == 0 ? FRAME_LOW32 : 0) | (rnd() % 3 == 0 ? FRAME_ZERO : 0);
	uint64_t hi = flags & FRAME_LOW32 ? FRAMES(FRAME_LOW_LIMIT) : ~0ull;
	uint64_t want_high = flags & FRAME_LOW32 ? ~0ull : sh_find(k, FRAMES(FRAME_LOW_LIMIT), ~0ull);
	paddr_t pa;
	int r = k ? frame_alloc_block(fa, k, flags, &pa) : frame_alloc_one(fa, flags, &pa);

	if (r == E_NOMEM) {
		rs->nomem++;
		if (sh_find(k, 0, hi) != ~0ull) {
			rs->errors++;
			TAP_CHECK(0, "random: E_NOMEM for order %u flags %#x while the shadow has a block", k, flags);
		}
		return;
	}
	uint64_t f = pa >> PAGE_SHIFT, n = 1ull << k;
	bool ok = r == E_OK && IS_ALIGNED(pa, PAGE_SIZE << k) && f + n <= hi &&
		  (want_high == ~0ull || f >= FRAMES(FRAME_LOW_LIMIT));
	for (uint64_t j = 0; ok && j < n; j++)
		ok = sh_get(f + j) == SH_FREE;
	if (ok && (flags & FRAME_ZERO))
		ok = all_bytes(physmem_peek(&pm, pa, PAGE_SIZE << k), PAGE_SIZE << k, 0);
	if (!ok) {
		rs->errors++;
		TAP_CHECK(0, "random: alloc order %u flags %#x -> %s %#" PRIx64 " is wrong", k, flags,
			  status_name(r), pa);
		return;
	}
	for (uint64_t j = 0; j < n; j++) {
		sh_set(f + j, SH_USED);
		*(uint64_t *)physmem_peek(&pm, pa + j * PAGE_SIZE, PAGE_SIZE) = SIGNATURE ^ (pa + j * PAGE_SIZE);
	}
	blocks_push(live, pa, k);
	rs->allocs++;
}

static void random_free(struct frame_alloc *fa, struct blocks *live, struct rstats *rs)
{
	size_t i = rnd() % live->n;
	struct blk bl = live->b[i];
	bool sig = signature_ok(&pm, bl.pa, bl.order);
	int r = bl.order == 0 && rnd() % 2 ? frame_free_one(fa, bl.pa) : frame_free_block(fa, bl.pa, bl.order);
	unsigned char *p = physmem_peek(&pm, bl.pa, PAGE_SIZE << bl.order);

	live->b[i] = live->b[--live->n];
	if (r != E_OK || !sig || !p || !all_bytes(p, 64, FRAME_POISON) ||
	    !all_bytes(p + (PAGE_SIZE << bl.order) - 64, 64, FRAME_POISON)) {
		rs->errors++;
		TAP_CHECK(0, "random: free of %#" PRIx64 " order %u -> %s, signature %s", bl.pa, bl.order,
			  status_name(r), sig ? "kept" : "overwritten");
		return;
	}
	for (uint64_t j = 0; j < (1ull << bl.order); j++)
		sh_set((bl.pa >> PAGE_SHIFT) + j, SH_FREE);
	rs->frees++;
}

/* A free that must be refused; returns the expected status. */
static void random_bad_free(struct frame_alloc *fa, const struct blocks *live, struct rstats *rs)
{
	long i = (long)(rnd() % SH_FRAMES);
	uint64_t f = sh_frame(i);
	unsigned k = (unsigned)(rnd() % 11);
	int want, r;
	uint64_t before = free_frames(fa);

	switch (rnd() % 4) {
	case 0:                                  /* one frame, whatever it is */
		want = shadow[i] == SH_FREE ? E_NOENT : shadow[i] == SH_RESERVED ? E_PERM :
		       shadow[i] == SH_UNMANAGED ? E_RANGE : 0;
		if (!want)
			return;
		r = frame_free_one(fa, f << PAGE_SHIFT);
		break;
	case 1: {                                /* an aligned block mixing free and used */
		f &= ~((1ull << k) - 1);
		int seen[4] = { 0 };
		for (uint64_t j = 0; j < (1ull << k); j++)
			seen[sh_get(f + j)]++;
		if (!k || seen[SH_UNMANAGED] || seen[SH_RESERVED] || !seen[SH_FREE] || !seen[SH_USED])
			return;
		want = E_NOENT;
		r = frame_free_block(fa, f << PAGE_SHIFT, k);
		break;
	}
	case 2:                                  /* misaligned block */
		if (!live->n || !k)
			return;
		want = E_INVAL;
		r = frame_free_block(fa, live->b[rnd() % live->n].pa | PAGE_SIZE, k + 1);
		break;
	default:                                 /* far outside */
		want = E_RANGE;
		r = frame_free_one(fa, (64 * GiB + (rnd() % 1024) * PAGE_SIZE));
		break;
	}
	rs->refused++;
	if (r != want || free_frames(fa) != before) {
		rs->errors++;
		TAP_CHECK(0, "random: bad free at frame %#" PRIx64 " order %u -> %s, want %s", f, k,
			  status_name(r), status_name(want));
	}
}

/* frame_state and the free count against the shadow. */
static bool shadow_agrees(const struct frame_alloc *fa)
{
	static const enum frame_state as_state[] = {
		[SH_UNMANAGED] = FRAME_STATE_UNMANAGED, [SH_RESERVED] = FRAME_STATE_RESERVED,
		[SH_FREE] = FRAME_STATE_FREE, [SH_USED] = FRAME_STATE_USED,
	};
	uint64_t free = 0;

	for (long i = 0; i < (long)SH_FRAMES; i++) {
		if (frame_state(fa, sh_frame(i) << PAGE_SHIFT) != as_state[shadow[i]])
			return false;
		free += shadow[i] == SH_FREE;
	}
	return free == free_frames(fa);
}

static void test_random(void)
{
	static struct frame_alloc fa;
	struct frame_reservation res[8];
	struct mapb b;
	struct blocks live = { 0 };
	struct rstats rs = { 0 };
	size_t n, disagreements = 0, verify_failures = 0;
	const size_t ops = 60000;

	random_map(&b, res, &n);
	physmem_init(&pm, PHYSMEM_FIXED);
	physmem_back(&pm, 0, SH_LOW_FRAMES * PAGE_SIZE);
	physmem_back(&pm, SH_HIGH_START * PAGE_SIZE, SH_HIGH_FRAMES * PAGE_SIZE);
	if (!TAP_CHECK(init_fa(&fa, &b.m, res, n, &pm, 0, FRAME_INIT_POISON) == E_OK, "random: init"))
		return;
	TAP_CHECK(shadow_init(&fa, &b.m, res, n) && shadow_agrees(&fa),
		  "random: initial state matches the map, reservations and a metadata run at the top");
	for (rs.ops = 0; rs.ops < ops && rs.errors < 10; rs.ops++) {
		unsigned dice = (unsigned)(rnd() % 100);
		/* phases: fill up, drain, churn, so exhaustion is visited often */
		unsigned phase = (unsigned)(rs.ops / 5000 % 3);
		unsigned alloc_share = phase == 0 ? 70 : phase == 1 ? 25 : 48;
		if (dice < alloc_share)
			random_alloc(&fa, &live, &rs);
		else if (dice < 90 && live.n)
			random_free(&fa, &live, &rs);
		else
			random_bad_free(&fa, &live, &rs);
		if (rs.ops % 1000 == 999) {
			if (!shadow_agrees(&fa))
				disagreements++;
			if (frame_verify(&fa, NULL) != E_OK)
				verify_failures++;
		}
	}
	TAP_CHECK(rs.errors == 0 && disagreements == 0 && verify_failures == 0 && rs.nomem > 100,
		  "random: %zu ops (%zu allocs, %zu frees, %zu E_NOMEM, %zu refused frees) agree with the shadow "
		  "(%zu errors, %zu state disagreements, %zu verify failures)", rs.ops, rs.allocs, rs.frees,
		  rs.nomem, rs.refused, rs.errors, disagreements, verify_failures);
	free_all_random(&fa, &live);
	for (long i = 0; i < (long)SH_FRAMES; i++)
		if (shadow[i] == SH_USED)
			shadow[i] = SH_FREE;
	TAP_CHECK(shadow_agrees(&fa), "random: all freed at the end");
	check_accounting(&fa, "random");
	free(live.b);
	physmem_destroy(&pm);
}

int main(void)
{
	tap_plan_unknown();
	test_basics();
	test_exhaustion();
	test_low32();
	test_highmem();
	test_fragmentation();
	test_orders();
	test_zero_poison();
	test_init_input();
	test_large();
	test_real_maps();
	test_random();
	return tap_done();
}
