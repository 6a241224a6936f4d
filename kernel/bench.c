/*
 * bench.c - the benchmark runner and timing (bench.h), the "bench"
 * command-line word and the monitor's bench command.
 */
#include "bench.h"
#include "boothook.h"
#include "console.h"
#include "cpu.h"
#include "klib.h"
#include "kmap.h"
#include "kspace.h"
#include "monitor.h"

extern const struct bench __benches_start[], __benches_end[];

static uint64_t ready_tsc;
static const struct handoff *handoff;

uint64_t bench_ready_tsc(void)
{
	return ready_tsc;
}

const struct handoff *bench_handoff(void)
{
	return handoff;
}

/* TSC read that earlier instructions cannot drift past. */
uint64_t bench_tsc(void)
{
	__asm__ volatile("lfence" ::: "memory");
	uint64_t t = rdtsc();
	__asm__ volatile("lfence" ::: "memory");
	return t;
}

uint64_t bench_ticks_per_op(void (*op)(void *ctx), void *ctx)
{
	uint64_t round[BENCH_ROUNDS];

	for (unsigned r = 0; r < BENCH_ROUNDS; r++) {
		uint64_t t0 = bench_tsc();
		for (unsigned i = 0; i < BENCH_BATCH; i++)
			op(ctx);
		round[r] = bench_tsc() - t0;
	}
	return bench_median(round, BENCH_ROUNDS) / BENCH_BATCH;
}

uint64_t bench_median(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)   /* insertion sort: a few dozen values */
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? v[n / 2] : 0;
}

const char *bench_variant(char *buf, size_t size)
{
	paddr_t limit = kmap_dmap_limit();
	const char *pt = kernel_space()->recursive_slot ? "recursive" : NULL;

	if (limit == 0)
		ksnprintf(buf, size, "explicit%s%s", pt ? "-" : "", pt ? pt : "");
	else if (limit >= DMAP_MAX_PHYS)
		ksnprintf(buf, size, "%s", pt ? pt : "direct");
	else if (IS_ALIGNED(limit, GiB))
		ksnprintf(buf, size, "direct-%luG%s%s", limit / GiB, pt ? "-" : "", pt ? pt : "");
	else
		ksnprintf(buf, size, "direct-%luM%s%s", limit / MiB, pt ? "-" : "", pt ? pt : "");
	return buf;
}

#define BENCH_MAX 32

unsigned bench_run(const char *prefix, size_t prefix_len)
{
	char variant[48];
	uint64_t value[BENCH_MAX];
	const struct bench *ran[BENCH_MAX];
	unsigned n = 0;

	bench_variant(variant, sizeof(variant));
	for (const struct bench *b = __benches_start; b < __benches_end && n < BENCH_MAX; b++) {
		if (prefix_len && strncmp(b->test, prefix, prefix_len) != 0)
			continue;
		value[n] = b->fn();
		ran[n] = b;
		kprintf("bench: %s %s %lu\n", b->test, b->variant ? b->variant : variant, value[n]);
		n++;
	}
	char head[64];
	ksnprintf(head, sizeof(head), "benchmark (%s)", variant);
	kprintf("\n  %-32s %12s  unit\n", head, "value");
	for (unsigned i = 0; i < n; i++) {
		char name[64];
		ksnprintf(name, sizeof(name), ran[i]->variant ? "%s (%s)" : "%s", ran[i]->test,
			  ran[i]->variant);
		kprintf("  %-32s %12lu  %s\n", name, value[i], ran[i]->unit);
	}
	kprintf("bench: done\n");
	return n;
}

/* "bench" or "bench=PREFIX" on the command line: run them once the kernel
 * is up (a BOOT_READY hook; the self-tests, if asked for too, run after). */
static void bench_boot(const struct handoff *h)
{
	size_t len = 0;
	ready_tsc = rdtsc();
	handoff = h;
	const char *prefix = cmdline_value(h->cmdline, "bench", &len);

	if (prefix || cmdline_has(h->cmdline, "bench"))
		bench_run(prefix, prefix ? len : 0);
}
BOOT_HOOK(BOOT_READY, bench_boot);

/* The monitor's "bench [PREFIX]": the runner, every benchmark or those
 * whose TEST starts with PREFIX; a PREFIX no benchmark has is refused. */
static void cmd_bench(const struct handoff *h, int argc, char **argv)
{
	const char *prefix = argc > 1 ? argv[1] : "";
	size_t len = strlen(prefix);

	for (const struct bench *b = __benches_start; b < __benches_end; b++)
		if (strncmp(b->test, prefix, len) == 0) {
			bench_run(prefix, len);
			return;
		}
	monitor_error("bench", "no benchmark name starts with '%s'", prefix);
}
MONITOR_COMMAND("bench", "[PREFIX]", "run the benchmarks (those starting with PREFIX)", cmd_bench);
