/*
 * test_ptwindow.c - host tests of mm/ptwindow.c, the page-table pool and
 * window shared by the loader and the kernel.
 *
 * "Physical memory" is a few 2 MiB chunks of host memory at a made-up
 * physical address; the pool reaches them at reach + pa as the kernel does
 * at PT_WINDOW_BASE + pa. The grow callback hands them out one by one, and
 * can map each into the window of a pt_space whose tables come from the
 * pool itself - the kernel's situation, where the reserve must pay for it.
 * Broken invariants must stop the program (mm_fatal): those checks run in
 * a child process (death.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "death.h"
#include "ptwindow.h"
#include "tap.h"

#define BACKED_CHUNKS 3
#define POISON 0xdb
#define FRAMES_PER_CHUNK (PT_POOL_CHUNK / PAGE_SIZE)

/* Backing memory and the grow callback's state. */
struct fake {
	unsigned char *mem;        /* BACKED_CHUNKS * PT_POOL_CHUNK bytes */
	paddr_t base;              /* fake physical address of mem[0] */
	unsigned given;            /* chunks handed to the pool so far */
	unsigned grow_calls;
	bool refuse;               /* answer PT_NO_FRAME */
	paddr_t bad;               /* if not 0: answer this (a bad chunk) */
	struct pt_space *map_into; /* if set: map each new chunk into its window */
};

static bool fake_init(struct fake *f, paddr_t base)
{
	memset(f, 0, sizeof(*f));
	f->base = base;
	f->mem = aligned_alloc(PT_POOL_CHUNK, BACKED_CHUNKS * PT_POOL_CHUNK);
	if (f->mem)
		memset(f->mem, POISON, BACKED_CHUNKS * PT_POOL_CHUNK);
	return f->mem != NULL;
}

static uint64_t fake_reach(const struct fake *f)
{
	return (uint64_t)(uintptr_t)f->mem - f->base;
}

static paddr_t fake_chunk(const struct fake *f, unsigned i)
{
	return f->base + (paddr_t)i * PT_POOL_CHUNK;
}

static paddr_t fake_grow(struct pt_window *w, void *ctx)
{
	struct fake *f = ctx;

	f->grow_calls++;
	if (f->bad)
		return f->bad;
	if (f->refuse || f->given == BACKED_CHUNKS)
		return PT_NO_FRAME;
	paddr_t pa = fake_chunk(f, f->given++);
	if (f->map_into && pt_window_map_chunk(f->map_into, pa) != E_OK)
		return PT_NO_FRAME;
	return pa;
}

static paddr_t alloc(struct pt_window *w)
{
	return w->src.alloc(&w->src);
}

static bool frame_is_zero(const struct pt_window *w, paddr_t pa)
{
	const unsigned char *p = pt_window_va(w, pa);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- allocation, free list, conversion ------------------------------------- */

static void test_alloc_and_free_list(void)
{
	struct fake f;
	struct pt_window w;

	if (!TAP_CHECK(fake_init(&f, 64 * MiB), "backing memory"))
		return;
	pt_window_init(&w, fake_reach(&f), 0, fake_grow, &f);
	TAP_CHECK(w.count == 0 && pt_window_free_frames(&w) == 0, "a new pool is empty");

	paddr_t a = alloc(&w), b = alloc(&w), c = alloc(&w);
	TAP_CHECK(f.grow_calls == 1 && w.count == 1 && a == fake_chunk(&f, 0) &&
		  b == a + PAGE_SIZE && c == b + PAGE_SIZE,
		  "first allocation grows once, frames bumped in order: %#" PRIx64 " %#" PRIx64
		  " %#" PRIx64 " (%u grow calls)", a, b, c, f.grow_calls);
	TAP_CHECK(frame_is_zero(&w, a) && frame_is_zero(&w, c), "frames come zeroed (memory was poisoned)");
	TAP_CHECK(pt_window_free_frames(&w) == FRAMES_PER_CHUNK - 3, "free frames: %" PRIu64,
		  pt_window_free_frames(&w));

	memset(pt_window_va(&w, a), 0x55, PAGE_SIZE);
	memset(pt_window_va(&w, b), 0x55, PAGE_SIZE);
	w.src.free(&w.src, a);
	w.src.free(&w.src, b);
	TAP_CHECK(pt_window_free_frames(&w) == FRAMES_PER_CHUNK - 1, "freed frames count as free: %" PRIu64,
		  pt_window_free_frames(&w));
	paddr_t r1 = alloc(&w), r2 = alloc(&w), d = alloc(&w);
	TAP_CHECK(r1 == b && r2 == a && d == c + PAGE_SIZE,
		  "free list reused last-in first-out before bumping: %#" PRIx64 " %#" PRIx64 " %#" PRIx64,
		  r1, r2, d);
	TAP_CHECK(frame_is_zero(&w, r1) && frame_is_zero(&w, r2), "reused frames are zeroed again");

	paddr_t s = fake_chunk(&f, 0);
	TAP_CHECK(pt_window_va(&w, s) == (void *)f.mem &&
		  pt_window_va(&w, s + PT_POOL_CHUNK - 1) == (void *)(f.mem + PT_POOL_CHUNK - 1),
		  "pt_window_va: reach + pa for the first and last byte of a chunk");

	struct handoff_pool_chunk out[HANDOFF_MAX_POOL_CHUNKS];
	uint32_t n = 0;
	pt_window_export(&w, out, &n);
	TAP_CHECK(n == 1 && out[0].start == s && out[0].next == d + PAGE_SIZE &&
		  out[0].end == s + PT_POOL_CHUNK, "export: one chunk, next after the last frame bumped");
	free(f.mem);
}

/* ---- growth and the reserve ------------------------------------------------- */

/*
 * The kernel's case: the pool feeds the page tables that map its own chunks
 * into the window. Chunk 0 ends at 512 GiB, so mapping chunk 1 needs a new
 * PDPT and a new PD: two frames that must come from chunk 0's reserve.
 */
static void test_growth_with_reserve(void)
{
	const uint32_t reserve = 4;
	struct fake f;
	struct pt_window w;
	struct pt_space as;

	if (!TAP_CHECK(fake_init(&f, 512 * GiB - PT_POOL_CHUNK), "backing memory"))
		return;
	pt_window_init(&w, fake_reach(&f), reserve, fake_grow, &f);
	if (!TAP_CHECK(pt_init(&as, &w.src, w.reach, false) == E_OK, "pt_init on the pool"))
		return;
	paddr_t c0 = fake_chunk(&f, 0), c1 = fake_chunk(&f, 1);
	TAP_CHECK(pt_window_map_chunk(&as, c0) == E_OK, "chunk 0 mapped into the window");
	f.map_into = &as;

	/* Take frames until chunk 0 is down to its reserve. */
	while (w.chunk[0].end - w.chunk[0].next > reserve * PAGE_SIZE)
		alloc(&w);
	TAP_CHECK(f.grow_calls == 1 && w.count == 1, "no growth before the reserve is reached");
	paddr_t pa = alloc(&w);
	TAP_CHECK(f.grow_calls == 2 && w.count == 2 && pa == c1,
		  "at the reserve the pool grows and hands out the new chunk's first frame (%#" PRIx64 ")",
		  pa);
	uint64_t used = (w.chunk[0].next - (w.chunk[0].end - reserve * PAGE_SIZE)) / PAGE_SIZE;
	TAP_CHECK(used == 2, "mapping the new chunk took %" PRIu64 " reserve frames (a PDPT and a PD)",
		  used);

	paddr_t got;
	uint64_t size;
	uint32_t flags;
	int r = pt_translate(&as, (vaddr_t)PT_WINDOW_BASE + c1 + 5 * PAGE_SIZE, &got, &size, &flags);
	TAP_CHECK(r == E_OK && got == c1 + 5 * PAGE_SIZE && size == PAGE_SIZE_2M &&
		  (flags & MAP_WRITE) && !(flags & MAP_EXEC) && (flags & MAP_GLOBAL),
		  "the new chunk is in the window: one 2 MiB page, RW NX G (%s)", status_name(r));
	TAP_CHECK(pt_window_map_chunk(&as, c1) == E_EXIST, "mapping a chunk twice is refused");
	TAP_CHECK(pt_window_map_chunk(&as, c1 + PAGE_SIZE) == E_INVAL &&
		  pt_window_map_chunk(&as, PT_WINDOW_MAX_PHYS) == E_INVAL,
		  "pt_window_map_chunk refuses a misaligned chunk and one beyond PT_WINDOW_MAX_PHYS");
	free(f.mem);
}

/* Growing fails: the reserve is handed out, then nothing. */
static void test_growth_refused(void)
{
	struct fake f;
	struct pt_window w;

	if (!TAP_CHECK(fake_init(&f, 64 * MiB), "backing memory"))
		return;
	pt_window_init(&w, fake_reach(&f), 4, fake_grow, &f);
	alloc(&w);
	f.refuse = true;
	uint64_t n = 1;
	while (alloc(&w) != PT_NO_FRAME)
		n++;
	TAP_CHECK(n == FRAMES_PER_CHUNK && w.count == 1,
		  "with growth refused the whole chunk, reserve included, is handed out: %" PRIu64, n);
	TAP_CHECK(f.grow_calls == 6, "growth retried at each allocation inside the reserve: %u calls",
		  f.grow_calls);
	struct pt_window nogrow;
	pt_window_init(&nogrow, fake_reach(&f), 0, NULL, NULL);
	TAP_CHECK(alloc(&nogrow) == PT_NO_FRAME, "a pool without a grow callback and chunks is empty");
	free(f.mem);
}

/* The chunk list is full: no growth is asked for, allocation fails. */
static void test_chunk_exhaustion(void)
{
	static struct handoff_pool_chunk full[HANDOFF_MAX_POOL_CHUNKS];
	struct fake f;
	struct pt_window w;

	if (!TAP_CHECK(fake_init(&f, 64 * MiB), "backing memory"))
		return;
	/* Chunks used up by someone before, far from the backed memory. */
	for (uint32_t i = 0; i < HANDOFF_MAX_POOL_CHUNKS - 1; i++) {
		paddr_t pa = 1 * TiB + (paddr_t)i * PT_POOL_CHUNK;
		full[i] = (struct handoff_pool_chunk){ pa, pa + PT_POOL_CHUNK, pa + PT_POOL_CHUNK };
	}
	pt_window_init(&w, fake_reach(&f), 0, fake_grow, &f);
	TAP_CHECK(pt_window_adopt(&w, full, HANDOFF_MAX_POOL_CHUNKS - 1) == E_OK,
		  "adopt %u used-up chunks", HANDOFF_MAX_POOL_CHUNKS - 1);
	uint64_t n = 0;
	while (alloc(&w) != PT_NO_FRAME)
		n++;
	TAP_CHECK(w.count == HANDOFF_MAX_POOL_CHUNKS && n == FRAMES_PER_CHUNK && f.grow_calls == 1,
		  "the last chunk slot is filled once, its %" PRIu64 " frames handed out, then none "
		  "(%u chunks, %u grow calls)", n, w.count, f.grow_calls);
	free(f.mem);
}

/* ---- adopting the hand-off --------------------------------------------------- */

static void test_adopt(void)
{
	struct fake f;
	struct pt_window w;

	if (!TAP_CHECK(fake_init(&f, 64 * MiB), "backing memory"))
		return;
	paddr_t c0 = fake_chunk(&f, 0), c1 = fake_chunk(&f, 1);
	struct handoff_pool_chunk ok[2] = {
		{ c0, c0 + PT_POOL_CHUNK, c0 + PT_POOL_CHUNK },
		{ c1, c1 + 7 * PAGE_SIZE, c1 + PT_POOL_CHUNK },
	};
	pt_window_init(&w, fake_reach(&f), 0, NULL, NULL);
	TAP_CHECK(pt_window_adopt(&w, ok, 2) == E_OK && alloc(&w) == c1 + 7 * PAGE_SIZE,
		  "adopted chunks: allocation goes on from the last one's next");

	const struct { paddr_t start, next, end; const char *why; } bad[] = {
		{ c0 + PAGE_SIZE, c0 + PAGE_SIZE, c0 + PAGE_SIZE + PT_POOL_CHUNK, "misaligned" },
		{ c0, c0, c0 + PAGE_SIZE, "not 2 MiB long" },
		{ c0, c0 + PT_POOL_CHUNK + PAGE_SIZE, c0 + PT_POOL_CHUNK, "next past the end" },
		{ c0, c0 + 8, c0 + PT_POOL_CHUNK, "next not page aligned" },
		{ PT_WINDOW_MAX_PHYS, PT_WINDOW_MAX_PHYS, PT_WINDOW_MAX_PHYS + PT_POOL_CHUNK,
		  "beyond PT_WINDOW_MAX_PHYS" },
		{ c1, c1, c1 + PT_POOL_CHUNK, "the same chunk twice" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct handoff_pool_chunk two[2] = { ok[1], { bad[i].start, bad[i].next, bad[i].end } };
		struct pt_window v;
		pt_window_init(&v, fake_reach(&f), 0, NULL, NULL);
		TAP_CHECK(pt_window_adopt(&v, two, 2) == E_INVAL && v.count == 0,
			  "adopt refuses a chunk: %s", bad[i].why);
	}
	TAP_CHECK(pt_window_adopt(&w, ok, HANDOFF_MAX_POOL_CHUNKS + 1) == E_INVAL,
		  "adopt refuses more than HANDOFF_MAX_POOL_CHUNKS chunks");
	free(f.mem);
}

/* ---- broken invariants stop the program --------------------------------------- */

static struct fake dfake;
static struct pt_window dw;

/* A pool of one chunk (the second backed one) with a few frames out. */
static bool death_pool(void)
{
	if (!fake_init(&dfake, 64 * MiB))
		return false;
	dfake.given = 1;
	pt_window_init(&dw, fake_reach(&dfake), 0, fake_grow, &dfake);
	for (int i = 0; i < 3; i++)
		alloc(&dw);
	return dw.count == 1 && dw.chunk[0].start == fake_chunk(&dfake, 1);
}

static void convert_past_chunk(void *arg)
{
	pt_window_va(&dw, dw.chunk[0].end);
}

static void convert_below_chunk(void *arg)
{
	pt_window_va(&dw, dw.chunk[0].start - 1);
}

static void convert_beyond_window(void *arg)
{
	pt_window_va(&dw, PT_WINDOW_MAX_PHYS + dw.chunk[0].start);
}

static void free_not_handed_out(void *arg)
{
	dw.src.free(&dw.src, dw.chunk[0].next);
}

static void free_misaligned(void *arg)
{
	dw.src.free(&dw.src, dw.chunk[0].start + 8);
}

static void free_other_memory(void *arg)
{
	dw.src.free(&dw.src, fake_chunk(&dfake, 0));
}

static void grow_bad(void *arg)
{
	dfake.bad = *(const paddr_t *)arg;
	while (alloc(&dw) != PT_NO_FRAME)
		;
}

static void expect_death(void (*fn)(void *), void *arg, const char *caller, const char *what,
			 const char *name)
{
	struct death d;
	death_run(fn, arg, &d);
	TAP_CHECK(d.aborted && strstr(d.msg, caller) && strstr(d.msg, what),
		  "%s stops naming %s (%s: \"%s\")", name, caller, d.aborted ? "aborted" : "did not abort",
		  d.msg);
}

static void test_broken_invariants(void)
{
	if (!TAP_CHECK(death_pool(), "pool for the fatal checks"))
		return;
	TAP_CHECK(pt_window_va(&dw, dw.chunk[0].start) == (void *)(dfake.mem + PT_POOL_CHUNK),
		  "in range: the chunk's first byte is reached");
	expect_death(convert_past_chunk, NULL, "convert_past_chunk", "not in a page-table pool chunk",
		     "pt_window_va of the byte after the chunk");
	expect_death(convert_below_chunk, NULL, "convert_below_chunk", "not in a page-table pool chunk",
		     "pt_window_va of the byte before the chunk");
	expect_death(convert_beyond_window, NULL, "convert_beyond_window", "PT_WINDOW_MAX_PHYS",
		     "pt_window_va beyond the window");
	expect_death(free_not_handed_out, NULL, "pt_window_free", "not a page-table frame",
		     "freeing a frame never handed out");
	expect_death(free_misaligned, NULL, "pt_window_free", "not a page-table frame",
		     "freeing a misaligned address");
	expect_death(free_other_memory, NULL, "pt_window_free", "not a page-table frame",
		     "freeing memory outside the pool");

	paddr_t misaligned = fake_chunk(&dfake, 2) + PAGE_SIZE, overlapping = dw.chunk[0].start,
		beyond = PT_WINDOW_MAX_PHYS;
	expect_death(grow_bad, &misaligned, "pt_window grow", "misaligned", "a misaligned new chunk");
	expect_death(grow_bad, &beyond, "pt_window grow", "PT_WINDOW_MAX_PHYS",
		     "a new chunk at PT_WINDOW_MAX_PHYS");
	expect_death(grow_bad, &overlapping, "pt_window grow", "overlaps", "a new chunk already in the pool");

	free(dfake.mem);
}

int main(void)
{
	tap_plan_unknown();
	test_alloc_and_free_list();
	test_growth_with_reserve();
	test_growth_refused();
	test_chunk_exhaustion();
	test_adopt();
	test_broken_invariants();
	return tap_done();
}
