/*
 * kmap.c - self-tests of the explicit mappings (kmap.h): temporary slots
 * seen by the CPU and gone after kunmap, misuse refused, slot exhaustion,
 * leak detection, vmap areas with their guard pages, ram_map.
 */
#include "dmap.h"
#include "klib.h"
#include "kmap.h"
#include "kspace.h"
#include "physmem.h"
#include "selftest.h"

/* A frame of our own for the tests; 0 if none. */
static paddr_t take_frame(void)
{
	paddr_t pa;

	return frames_alloc(0, FRAME_ZERO, &pa) == E_OK ? pa : 0;
}

SELFTEST(kmap_map_write_unmap)
{
	paddr_t pa = take_frame(), got;
	uint64_t v;

	if (!ST_CHECK(pa != 0, "no frame"))
		return;
	uint64_t *a = kmap(pa + 8), *b = kmap(pa);
	ST_CHECK((vaddr_t)a >= KMAP_BASE && (vaddr_t)a < KMAP_END && ((vaddr_t)a & 0xfff) == 8,
		 "slot address %p", (void *)a);
	*a = 0x1122334455667788ull;
	ST_CHECK(b[1] == 0x1122334455667788ull, "two slots of one frame disagree: %lx", b[1]);
	ST_CHECK(pt_translate(kernel_space(), (vaddr_t)b, &got, NULL, NULL) == E_OK && got == pa,
		 "slot translates to %lx, not %lx", got, pa);
	ST_CHECK(kmap_slots_used() >= 2, "%u slots in use", kmap_slots_used());
	ST_CHECK(kunmap(a) == E_OK && kunmap(b) == E_OK, "kunmap");
	ST_CHECK(st_try_read((vaddr_t)b, &v)->hits != 0, "slot still readable after kunmap (no invlpg?)");
	ST_CHECK(frames_free(pa, 0) == E_OK, "free");
}

SELFTEST(kmap_misuse_refused)
{
	paddr_t pa = take_frame();
	int x;

	if (!ST_CHECK(pa != 0, "no frame"))
		return;
	ST_CHECK(kunmap(&x) == E_INVAL, "kunmap of a stack address accepted");
	ST_CHECK(kunmap((void *)KMAP_BASE) == E_INVAL, "kunmap of a free slot accepted");
	ST_CHECK(kunmap((void *)KMAP_CPU_BASE(1)) == E_INVAL, "kunmap of another CPU's slot accepted");
	void *p = kmap(pa);
	ST_CHECK(kunmap(p) == E_OK, "kunmap");
	ST_CHECK(kunmap(p) == E_INVAL, "double kunmap accepted");
	void *q;
	ST_CHECK(kmap_try(PHYS_ADDR_LIMIT, "test", &q) == E_RANGE, "pa beyond 2^52 accepted");
	frames_free(pa, 0);
}

SELFTEST(kmap_slots_run_out)
{
	paddr_t pa = take_frame();
	void *va[KMAP_SLOTS + 1];
	unsigned n = 0, before = kmap_slots_used();

	if (!ST_CHECK(pa != 0, "no frame"))
		return;
	while (n < KMAP_SLOTS + 1 && kmap_try(pa, "kmap_slots_run_out", &va[n]) == E_OK)
		n++;
	ST_CHECK(n == KMAP_SLOTS - before, "%u slots mapped, %u expected", n, KMAP_SLOTS - before);
	ST_CHECK(kmap_try(pa, "kmap_slots_run_out", &va[n]) == E_NOSPC, "exhausted slots not refused");
	ST_CHECK(kmap_slot_owner(KMAP_SLOTS - 1) && strcmp(kmap_slot_owner(KMAP_SLOTS - 1),
							    "kmap_slots_run_out") == 0, "owner recorded");
	for (unsigned i = 0; i < n; i++)
		kunmap(va[i]);
	ST_CHECK(kmap_slots_used() == before, "%u slots in use after", kmap_slots_used());
	frames_free(pa, 0);
}

SELFTEST(kmap_scope_finds_leak)
{
	paddr_t pa = take_frame();

	if (!ST_CHECK(pa != 0, "no frame"))
		return;
	struct kmap_scope s = kmap_scope_begin("kmap_scope_finds_leak");
	ST_CHECK(kmap_scope_leak(&s) == -1, "leak before any kmap");
	void *p = kmap(pa);
	int leaked = kmap_scope_leak(&s);
	ST_CHECK(leaked >= 0 && (vaddr_t)p - ((vaddr_t)p & 0xfff) == KMAP_BASE + (vaddr_t)leaked * PAGE_SIZE,
		 "leak of slot at %p reported as slot %d", p, leaked);
	kunmap(p);
	ST_CHECK(kmap_scope_leak(&s) == -1, "leak reported after kunmap");
	frames_free(pa, 0);
}

SELFTEST(vmap_frames_and_guard)
{
	paddr_t f[3];
	uint64_t v;
	unsigned areas = vmap_areas();

	for (unsigned i = 0; i < 3; i++)
		if (!ST_CHECK((f[i] = take_frame()) != 0, "no frame"))
			return;
	/* Out of order, so consecutive addresses map scattered frames. */
	paddr_t order[3] = { f[2], f[0], f[1] };
	vaddr_t va = vmap(order, 3, MAP_WRITE, "vmap_frames_and_guard");
	if (!ST_CHECK(va >= VMAP_BASE && va < VMAP_END, "vmap gave %lx", va))
		return;
	for (unsigned i = 0; i < 3; i++)
		((uint64_t *)(va + i * PAGE_SIZE))[1] = 0xf00d0000 + i;
	for (unsigned i = 0; i < 3; i++) {
		uint64_t *k = kmap(order[i]);
		ST_CHECK(k[1] == 0xf00d0000 + i, "frame %u holds %lx through kmap", i, k[1]);
		kunmap(k);
	}
	ST_CHECK(st_try_read(va + 3 * PAGE_SIZE, &v)->hits != 0, "guard page after the area is mapped");
	ST_CHECK(vmap_areas() == areas + 1, "%u areas", vmap_areas());
	ST_CHECK(vunmap(va) == E_OK, "vunmap");
	ST_CHECK(st_try_read(va, &v)->hits != 0, "area readable after vunmap");
	ST_CHECK(vunmap(va) == E_NOENT, "double vunmap accepted");
	ST_CHECK(vunmap(va + PAGE_SIZE) == E_NOENT, "vunmap inside an area accepted");
	ST_CHECK(vmap(order, 3, MAP_EXEC, "x") == 0, "executable vmap accepted");
	for (unsigned i = 0; i < 3; i++)
		frames_free(f[i], 0);
}

SELFTEST(ram_map_long_lived)
{
	paddr_t pa;

	if (!ST_CHECK(frames_alloc(1, FRAME_ZERO, &pa) == E_OK, "no 2-frame block"))
		return;
	uint8_t *p = ram_map(pa + 100, 2 * PAGE_SIZE - 100, "ram_map_long_lived");
	if (!ST_CHECK(p != NULL, "ram_map failed"))
		return;
	p[0] = 0xab;
	p[2 * PAGE_SIZE - 101] = 0xcd;
	uint8_t *k = kmap(pa + PAGE_SIZE);
	ST_CHECK(k[PAGE_SIZE - 1] == 0xcd, "last byte %x through kmap", k[PAGE_SIZE - 1]);
	kunmap(k);
	ST_CHECK(dmap_covers(pa, 2 * PAGE_SIZE) == ((vaddr_t)p >= DMAP_BASE && (vaddr_t)p < DMAP_END),
		 "ram_map used %p with the direct map %s covering it", (void *)p,
		 dmap_covers(pa, 2 * PAGE_SIZE) ? "" : "not");
	ram_unmap(p, 2 * PAGE_SIZE - 100);
	frames_free(pa, 1);
}

/*
 * Highmem (addressing=direct:LIMIT): frames at or above the limit go only
 * to callers that ask (FRAME_HIGHMEM), the direct map refuses them, and
 * kmap reaches them (FRAME_ZERO included). In a mode without highmem the
 * same calls must simply work through the direct map.
 */
SELFTEST(highmem_only_on_request)
{
	paddr_t limit = kmap_dmap_limit(), lo, hi;
	vaddr_t va;

	if (!ST_CHECK(frames_alloc(0, FRAME_ZERO, &lo) == E_OK, "no default frame"))
		return;
	ST_CHECK(limit == 0 || lo < limit, "a default frame %lx lies at or above the direct limit %lx",
		 lo, limit);
	ST_CHECK((dmap_try(lo, &va) == E_OK) == (lo < limit), "dmap_try of %lx", lo);
	if (ST_CHECK(frames_alloc(0, FRAME_ZERO | FRAME_HIGHMEM, &hi) == E_OK, "no FRAME_HIGHMEM frame")) {
		uint64_t *p = kmap(hi);
		bool zero = true;
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			zero &= p[i] == 0;
		ST_CHECK(zero, "FRAME_ZERO highmem frame %lx is not zero", hi);
		kunmap(p);
		if (limit && limit < DMAP_MAX_PHYS && hi >= limit)
			ST_CHECK(dmap_try(hi, &va) == E_RANGE, "direct map hands out highmem frame %lx", hi);
		frames_free(hi, 0);
	}
	frames_free(lo, 0);
}
