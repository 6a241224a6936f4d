/*
 * addressing.c - what reaching memory costs in the addressing mode the
 * kernel booted in (issue 11): the benchmarks of "bench" (bench.h).
 *
 *   translate           pt_translate of a kernel data address (4 levels)
 *   map-unmap-4k        pt_map + pt_unmap of one 4 KiB page in kernel space
 *   kmap-unmap          kmap + kunmap of one frame (a temporary slot)
 *   touch-random-frame  read one word of a random RAM frame the mode's way
 *                       (direct-map load, or kmap, load, kunmap)
 *   copy-frame          copy one 4 KiB frame to another, the mode's way
 *   alloc-zero-frame    frames_alloc of one zeroed frame (the free, with
 *                       its poisoning, is not timed)
 *   pt-bytes            bytes of page tables the kernel's space uses
 *   boot-to-ready       TSC at "carto: ready" (from CPU reset: firmware,
 *                       loader and kernel)
 *   loader-to-ready     the same from the loader's first instruction
 */
#include "bench.h"
#include "boot.h"
#include "klib.h"
#include "kmap.h"
#include "kspace.h"
#include "panic.h"
#include "physmem.h"

/* Scratch addresses in the self-tests' slot, clear of their aliases. */
#define BENCH_VA (TEMPMAP_BASE + 64 * GiB)

static uint64_t scratch;   /* a kernel data word: what translate looks up */

static void op_translate(void *ctx)
{
	paddr_t pa;

	pt_translate(kernel_space(), (vaddr_t)&scratch, &pa, NULL, NULL);
	__asm__ volatile("" : : "r"(pa) : "memory");
	(void)ctx;
}

static uint64_t bench_translate(void)
{
	return bench_ticks_per_op(op_translate, NULL);
}
BENCH(translate, "translate", "ticks/op");

static void op_map_unmap(void *ctx)
{
	struct pt_space *as = kernel_space();
	paddr_t pa = *(paddr_t *)ctx;

	if (pt_map(as, BENCH_VA, pa, PAGE_SIZE, MAP_WRITE) != E_OK ||
	    pt_unmap(as, BENCH_VA, PAGE_SIZE) != E_OK)
		panic("bench map-unmap-4k: pt_map/pt_unmap of %lx failed", BENCH_VA);
}

/* One frame for the map benchmarks, or 0. */
static paddr_t take_frame(void)
{
	paddr_t pa;

	return frames_alloc(0, FRAME_ZERO, &pa) == E_OK ? pa : 0;
}

static uint64_t bench_map_unmap(void)
{
	struct pt_space *as = kernel_space();
	paddr_t pa = take_frame();

	if (!pa)
		return 0;
	/* A neighbour in the same page table keeps that table from being
	 * freed and allocated again each time: the steady state is timed. */
	if (pt_map(as, BENCH_VA + PAGE_SIZE, pa, PAGE_SIZE, 0) != E_OK)
		panic("bench map-unmap-4k: cannot map the neighbour page");
	uint64_t t = bench_ticks_per_op(op_map_unmap, &pa);
	pt_unmap(as, BENCH_VA + PAGE_SIZE, PAGE_SIZE);
	frames_free(pa, 0);
	return t;
}
BENCH(map_unmap, "map-unmap-4k", "ticks/op");

static void op_kmap(void *ctx)
{
	void *p = kmap(*(paddr_t *)ctx);
	kunmap(p);
}

static uint64_t bench_kmap(void)
{
	paddr_t pa = take_frame();

	if (!pa)
		return 0;
	uint64_t t = bench_ticks_per_op(op_kmap, &pa);
	frames_free(pa, 0);
	return t;
}
BENCH(kmap, "kmap-unmap", "ticks/op");

/* Random RAM frames, chosen before timing. */
#define TOUCH_FRAMES 256
struct touch {
	paddr_t pa[TOUCH_FRAMES];
	unsigned next;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Fill t with frames drawn uniformly from every RAM frame of the map. */
static void pick_frames(struct touch *t)
{
	struct memmap map = boot_memmap(bench_handoff());
	uint64_t total = 0, seed = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < map.count; i++)
		if (mem_type_is_ram(map.entries[i].type))
			total += (map.entries[i].end - map.entries[i].start) >> PAGE_SHIFT;
	for (unsigned k = 0; k < TOUCH_FRAMES; k++) {
		uint64_t n = xorshift(&seed) % total;
		for (size_t i = 0; i < map.count; i++) {
			const struct mem_entry *e = &map.entries[i];
			uint64_t pages = (e->end - e->start) >> PAGE_SHIFT;
			if (!mem_type_is_ram(e->type))
				continue;
			if (n < pages) {
				t->pa[k] = e->start + (n << PAGE_SHIFT);
				break;
			}
			n -= pages;
		}
	}
	t->next = 0;
}

static void op_touch(void *ctx)
{
	struct touch *t = ctx;
	uint64_t v = phys_read64(t->pa[t->next++ % TOUCH_FRAMES]);

	__asm__ volatile("" : : "r"(v));
}

static uint64_t bench_touch(void)
{
	static struct touch t;

	pick_frames(&t);
	return bench_ticks_per_op(op_touch, &t);
}
BENCH(touch, "touch-random-frame", "ticks/op");

static void op_copy(void *ctx)
{
	paddr_t *f = ctx;

	phys_copy_frame(f[0], f[1]);
}

static uint64_t bench_copy(void)
{
	paddr_t f[2] = { take_frame(), take_frame() };
	uint64_t t = 0;

	if (f[0] && f[1])
		t = bench_ticks_per_op(op_copy, f);
	for (unsigned i = 0; i < 2; i++)
		if (f[i])
			frames_free(f[i], 0);
	return t;
}
BENCH(copy, "copy-frame", "ticks/op");

static uint64_t bench_alloc_zero(void)
{
	uint64_t round[BENCH_ROUNDS];
	paddr_t pa[BENCH_BATCH];

	for (unsigned r = 0; r < BENCH_ROUNDS; r++) {
		uint64_t t0 = bench_tsc();
		for (unsigned i = 0; i < BENCH_BATCH; i++)
			if (frames_alloc(0, FRAME_ZERO, &pa[i]) != E_OK)
				panic("bench alloc-zero-frame: out of frames");
		round[r] = bench_tsc() - t0;
		for (unsigned i = 0; i < BENCH_BATCH; i++)
			frames_free(pa[i], 0);
	}
	return bench_median(round, BENCH_ROUNDS) / BENCH_BATCH;
}
BENCH(alloc_zero, "alloc-zero-frame", "ticks/op");

static uint64_t bench_pt_bytes(void)
{
	return kspace_pt_frames() * PAGE_SIZE;
}
BENCH(pt_bytes, "pt-bytes", "bytes");

static uint64_t bench_boot(void)
{
	return bench_ready_tsc();
}
BENCH(boot, "boot-to-ready", "ticks");

static uint64_t bench_loader(void)
{
	return bench_ready_tsc() - bench_handoff()->tsc[PHASE_LOADER_START];
}
BENCH(loader, "loader-to-ready", "ticks");
