/*
 * bench.h - in-kernel benchmarks: registration, timing and the runner.
 *
 * A benchmark is one function that returns one number (TSC ticks per
 * operation, bytes, ...) for the machine and mode the kernel booted in:
 *
 *     static uint64_t bench_translate(void)
 *     {
 *         return bench_ticks_per_op(do_translate, NULL);
 *     }
 *     BENCH(translate, "translate", "ticks/op");
 *
 * BENCH places a descriptor in the read-only section ".benches" (kept by
 * kernel.ld between __benches_start and __benches_end, like the boot
 * hooks of boothook.h), so any file can add one and the runner names
 * none. kernel/bench/ holds the benchmarks; a new file there is built by
 * the Makefile's wildcard.
 *
 * Output, for every benchmark run, as it finishes:
 *     bench: TEST VARIANT VALUE
 * then a readable table of the same figures, then
 *     bench: done
 * VARIANT names the addressing mode the kernel booted in (direct,
 * explicit, direct-896M, recursive, ...: bench_variant). Scripts collect
 * the "bench:" lines of several boots into one table
 * (scripts/bench-modes.sh). Under QEMU (TCG, or -icount shift=0 where one
 * tick is one instruction) the figures are emulated, not hardware ones.
 */
#ifndef CARTO_BENCH_H
#define CARTO_BENCH_H

#include "handoff.h"
#include "types.h"

struct bench {
	const char *test;              /* the TEST of the output line: no blanks */
	const char *unit;              /* for the table: "ticks/op", "bytes", ... */
	uint64_t (*fn)(void);
	const char *variant;           /* NULL: bench_variant's (the boot's mode) */
};

#define BENCH(id, test_, unit_) BENCH_VARIANT(id, test_, NULL, unit_)

/* BENCH_VARIANT - a benchmark that names its own VARIANT (one boot can
 * measure several: the shared and the isolated kernel, kernel/bench/aspace.c). */
#define BENCH_VARIANT(id, test_, variant_, unit_)                                 \
	static const struct bench bench_desc_##id                                 \
		__attribute__((used, section(".benches"), aligned(8))) = {        \
			.test = (test_), .unit = (unit_), .fn = (bench_##id),     \
			.variant = (variant_) }

/* Rounds and operations per round of bench_ticks_per_op. */
#define BENCH_ROUNDS 31
#define BENCH_BATCH  16

/*
 * bench_ticks_per_op - run @op(@ctx) BENCH_ROUNDS x BENCH_BATCH times,
 * timing each round of BENCH_BATCH calls with the TSC (fenced), and
 * return the median round's ticks divided by BENCH_BATCH: TSC ticks per
 * operation, loop overhead included (a few ticks).
 */
uint64_t bench_ticks_per_op(void (*op)(void *ctx), void *ctx);

/*
 * bench_run - the runner, for the "bench[=PREFIX]" command-line word and
 * the monitor's bench command. Runs every registered benchmark whose TEST
 * starts with @prefix (the first @prefix_len bytes; 0 runs all), in link
 * order, printing the lines and the table described above, and returns
 * how many ran. Needs the kernel up (call after "carto: ready"); runs
 * with interrupts as they are and takes a fraction of a second under
 * emulation; changes nothing the kernel keeps (benchmarks give back what
 * they take).
 */
unsigned bench_run(const char *prefix, size_t prefix_len);

/* bench_tsc - the TSC, fenced so earlier instructions cannot drift past. */
uint64_t bench_tsc(void);

/* bench_median - the median of @v[0..n) (sorts @v in place); 0 if n is 0. */
uint64_t bench_median(uint64_t *v, unsigned n);

/* bench_ready_tsc - the TSC just after "carto: ready" (the first
 * BOOT_READY hook); bench_handoff - the hand-off block. */
uint64_t bench_ready_tsc(void);
const struct handoff *bench_handoff(void);

/* bench_variant - the VARIANT of the output lines, into @buf. */
const char *bench_variant(char *buf, size_t size);

#endif
