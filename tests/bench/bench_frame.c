/*
 * bench_frame.c - how fast is the frame allocator (mm/frame.c)?
 *
 * For each operation prints nanoseconds per operation (clock_gettime,
 * best of BENCH_REPEAT runs), TSC ticks per operation, and instructions
 * per operation. Instructions are counted with perf_event_open
 * (PERF_COUNT_HW_INSTRUCTIONS, user space only) where the machine offers
 * it; where it does not (most VMs without a virtual PMU), the operation
 * is re-run in a child process under ptrace(PTRACE_SINGLESTEP) and every
 * user-space instruction is counted one by one - exact, but slow, so it
 * uses fewer repetitions. Either way the count of an empty run is
 * subtracted. The header line says which method was used. With the
 * environment variable BENCH_NO_COUNT set, instructions are not counted
 * (quick runs).
 *
 * Operations (the allocator runs on physmem.h's sparse "physical memory",
 * so a 4 TiB map costs only its metadata pages):
 *   single frame alloc+free, same frame   the hot path, 64 GiB map with
 *                                         1000 frames in use
 *   single frame alloc+free, 1024-batches 1024 allocations then 1024 frees
 *   2 MiB alloc+free                      order 9
 *   fragmentation workload                random orders 0..9 (mostly
 *                                         small) at ~75% occupancy of a
 *                                         4 GiB region: per alloc or free,
 *                                         random choice included
 *   init                                  frame_init for 1 GiB, 64 GiB,
 *                                         1 TiB and 4 TiB OVMF-like maps
 *                                         (metadata pages already faulted
 *                                         in, as RAM would be)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "frame_maps.h"
#include "physmem.h"

#define BENCH_REPEAT 5

/* ---- counting ------------------------------------------------------------- */

enum count_method { COUNT_PERF, COUNT_PTRACE, COUNT_NONE };

static enum count_method method;
static int perf_fd = -1;
static char method_note[160];

static void probe_counting(void)
{
	struct perf_event_attr a;

	if (getenv("BENCH_NO_COUNT")) {
		method = COUNT_NONE;
		snprintf(method_note, sizeof(method_note), "not counted (BENCH_NO_COUNT set)");
		return;
	}

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	perf_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (perf_fd >= 0) {
		method = COUNT_PERF;
		snprintf(method_note, sizeof(method_note), "perf_event_open(PERF_COUNT_HW_INSTRUCTIONS), user space");
		return;
	}
	int err = errno;
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	bool traced = WIFSTOPPED(status) && ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) == 0;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	method = traced ? COUNT_PTRACE : COUNT_NONE;
	snprintf(method_note, sizeof(method_note), "%s (perf events unavailable: %s)",
		 traced ? "ptrace single-step count" : "not counted", strerror(err));
}

typedef void (*bench_fn)(uint64_t n);

/* User-space instructions fn(n) executes, via perf. */
static uint64_t perf_count(bench_fn fn, uint64_t n)
{
	uint64_t count = 0;

	ioctl(perf_fd, PERF_EVENT_IOC_RESET, 0);
	ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0);
	fn(n);
	ioctl(perf_fd, PERF_EVENT_IOC_DISABLE, 0);
	if (read(perf_fd, &count, sizeof(count)) != sizeof(count))
		return 0;
	return count;
}

/* User-space instructions fn(n) executes, single-stepped in a child that
 * shares the parent's state as of the fork. */
static uint64_t ptrace_count(bench_fn fn, uint64_t n)
{
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		fn(n);
		raise(SIGUSR1);
		_exit(0);
	}
	int status;
	uint64_t steps = 0;
	waitpid(pid, &status, 0);
	while (WIFSTOPPED(status) && (WSTOPSIG(status) == SIGTRAP || steps == 0)) {
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0)
			break;
		waitpid(pid, &status, 0);
		steps++;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return steps;
}

/* Instructions per operation of fn, or -1 if not counted. */
static double instructions_per_op(bench_fn fn, uint64_t n)
{
	if (method == COUNT_PERF) {
		uint64_t base = perf_count(fn, 0), all = perf_count(fn, n);
		return (double)(all - base) / (double)n;
	}
	if (method == COUNT_PTRACE) {
		uint64_t base = ptrace_count(fn, 0), all = ptrace_count(fn, n);
		return (double)(all - base) / (double)n;
	}
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

struct result {
	double ns, tsc, instr;
};

/* Best-of-BENCH_REPEAT time of fn(n); @reset restores the state between. */
static struct result measure(bench_fn fn, uint64_t n, void (*reset)(void), uint64_t n_count)
{
	struct result r = { 1e30, 1e30, -1 };

	for (int i = 0; i < BENCH_REPEAT; i++) {
		if (reset)
			reset();
		uint64_t t0 = now_ns(), c0 = rdtsc();
		fn(n);
		uint64_t c1 = rdtsc(), t1 = now_ns();
		if ((double)(t1 - t0) / (double)n < r.ns) {
			r.ns = (double)(t1 - t0) / (double)n;
			r.tsc = (double)(c1 - c0) / (double)n;
		}
	}
	if (reset)
		reset();
	r.instr = instructions_per_op(fn, method == COUNT_PERF ? n : n_count);
	return r;
}

static void print_result(const char *what, struct result r)
{
	char instr[48];

	if (r.instr < 0)
		snprintf(instr, sizeof(instr), "n/a");
	else
		snprintf(instr, sizeof(instr), "%.1f", r.instr);
	printf("  %-46s %12.1f %12.1f %12s\n", what, r.ns, r.tsc, instr);
	fflush(stdout);
}

/* ---- the allocator under test ---------------------------------------------- */

static struct physmem pm;
static struct frame_alloc fa;
static struct mapb map;
static volatile uint64_t sink;
static int failures;

static void must(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "bench_frame: %s failed\n", what);
		failures++;
	}
}

static void init_map(uint64_t ram)
{
	struct frame_reservation res[] = { { 0, 1 * MiB, FRAME_RES_LOWMEM, 0 },
					   { 0x1000000, 0x1400000, FRAME_RES_KERNEL, 0 } };
	struct frame_config cfg = { .map = &map.m, .res = res, .res_count = ARRAY_SIZE(res), .mem = &pm.fm };

	big_map(&map, ram);
	must(frame_init(&fa, &cfg) == E_OK, "frame_init");
}

static void one_same(uint64_t n)
{
	paddr_t pa = 0;
	for (uint64_t i = 0; i < n; i++) {
		frame_alloc_one(&fa, 0, &pa);
		frame_free_one(&fa, pa);
	}
	sink = pa;
}

#define BATCH 1024
static paddr_t batch[BATCH];

static void one_batches(uint64_t n)
{
	for (uint64_t done = 0; done < n; done += BATCH) {
		uint64_t m = MIN(BATCH, n - done);
		for (uint64_t i = 0; i < m; i++)
			frame_alloc_one(&fa, 0, &batch[i]);
		for (uint64_t i = 0; i < m; i++)
			frame_free_one(&fa, batch[i]);
	}
}

static void two_mib(uint64_t n)
{
	paddr_t pa = 0;
	for (uint64_t i = 0; i < n; i++) {
		frame_alloc_block(&fa, FRAME_ORDER_2M, 0, &pa);
		frame_free_block(&fa, pa, FRAME_ORDER_2M);
	}
	sink = pa;
}

/* ---- fragmentation workload ------------------------------------------------- */

#define FRAG_LIVE_MAX (1u << 20)
static struct live { paddr_t pa; unsigned order; } *live;
static size_t live_n;
static uint64_t live_frames, frag_target, rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned random_order(void)
{
	unsigned d = (unsigned)(rnd() % 100);
	return d < 70 ? 0 : d < 85 ? 1 + (unsigned)(rnd() % 3) : d < 97 ? 4 + (unsigned)(rnd() % 5) : 9;
}

static void frag_alloc(void)
{
	paddr_t pa;
	unsigned order = random_order();
	if (live_n < FRAG_LIVE_MAX && frame_alloc_block(&fa, order, 0, &pa) == E_OK) {
		live[live_n++] = (struct live){ pa, order };
		live_frames += 1ull << order;
	}
}

static void frag_free(void)
{
	size_t i = rnd() % live_n;
	frame_free_block(&fa, live[i].pa, live[i].order);
	live_frames -= 1ull << live[i].order;
	live[i] = live[--live_n];
}

/* One op: allocate when under the target occupancy, else free, with noise. */
static void frag_ops(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		bool under = live_frames < frag_target;
		if (live_n && (rnd() % 4 == 0 ? under : !under))
			frag_free();
		else
			frag_alloc();
	}
}

static void frag_setup(void)
{
	struct mapb one;
	struct frame_config cfg = { .map = &one.m, .mem = &pm.fm };

	mb_reset(&one);
	mb_add(&one, 4 * GiB, 8 * GiB, EFI_CONVENTIONAL, 0);
	must(frame_init(&fa, &cfg) == E_OK, "frame_init (fragmentation)");
	live_n = 0;
	live_frames = 0;
	frag_target = (3 * GiB) >> PAGE_SHIFT;
	while (live_frames < frag_target)
		frag_alloc();
	frag_ops(200000);                 /* churn into a fragmented steady state */
}

/* ---- init ---------------------------------------------------------------------- */

static uint64_t init_ram;

static void init_n(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		init_map(init_ram);
}

int main(void)
{
	static const struct { uint64_t ram; const char *name; } sizes[] = {
		{ 1 * GiB, "init, 1 GiB map" }, { 64 * GiB, "init, 64 GiB map" },
		{ 1 * TiB, "init, 1 TiB map" }, { 4 * TiB, "init, 4 TiB map" },
	};
	struct frame_stats st;
	paddr_t pa;

	probe_counting();
	physmem_init(&pm, PHYSMEM_ON_DEMAND);
	uint64_t t0 = now_ns(), c0 = rdtsc();
	while (now_ns() - t0 < 50000000)
		;
	double ghz = (double)(rdtsc() - c0) / (double)(now_ns() - t0);
	printf("bench_frame: instructions: %s; TSC %.2f GHz\n", method_note, ghz);
	printf("  %-46s %12s %12s %12s\n", "operation", "ns/op", "tsc/op", "instr/op");

	init_map(64 * GiB);
	for (int i = 0; i < 1000; i++)
		must(frame_alloc_one(&fa, 0, &pa) == E_OK, "warm-up allocation");
	print_result("single frame alloc+free, same frame", measure(one_same, 2000000, NULL, 100));
	print_result("single frame alloc+free, batches of 1024", measure(one_batches, 1 << 21, NULL, 1024));
	print_result("2 MiB alloc+free (order 9)", measure(two_mib, 200000, NULL, 50));
	must(frame_verify(&fa, NULL) == E_OK, "frame_verify after the hot paths");
	physmem_destroy(&pm);

	physmem_init(&pm, PHYSMEM_ON_DEMAND);
	live = malloc(FRAG_LIVE_MAX * sizeof(*live));
	if (!live)
		return 1;
	frag_setup();
	print_result("fragmentation workload (per alloc or free)", measure(frag_ops, 1000000, NULL, 200));
	frame_get_stats(&fa, &st);
	must(frame_verify(&fa, NULL) == E_OK, "frame_verify after the fragmentation workload");
	printf("  %-46s %" PRIu64 " of %" PRIu64 " frames used in %zu blocks\n", "  (state after it)",
	       st.used, st.managed, live_n);
	physmem_destroy(&pm);
	free(live);

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		physmem_init(&pm, PHYSMEM_ON_DEMAND);
		init_ram = sizes[i].ram;
		init_map(init_ram);                   /* back the metadata once */
		print_result(sizes[i].name, measure(init_n, 20, NULL, 1));
		frame_get_stats(&fa, &st);
		printf("  %-46s %" PRIu64 " metadata bytes (%.0f per GiB managed), %" PRIu64
		       " words written, %zu map entries, %u regions\n", "", st.meta_bytes,
		       (double)st.meta_bytes * GiB / ((double)st.managed * PAGE_SIZE), st.init_words,
		       map.m.count, st.regions);
		physmem_destroy(&pm);
	}
	return failures ? 1 : 0;
}
