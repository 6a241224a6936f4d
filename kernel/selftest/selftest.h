/*
 * selftest.h - in-kernel self-tests, reported in KTAP version 1, and the
 * fault-injection commands of the boot tests.
 *
 * The self-tests live in kernel/selftest/, one file per subsystem under
 * test (arch.c, mmio.c, pt.c, ...), and only here: production code never
 * calls into them. They join the boot through two boot hooks
 * (boothook.h) that runner.c registers: BOOT_EARLY (selftest_init) and
 * BOOT_READY (selftest_start); kernel_main names neither.
 *
 * Adding a test - the whole registration interface is the SELFTEST macro,
 * in any file of kernel/selftest/ (a new file is built by the Makefile's
 * kernel/selftest/ wildcard):
 *
 *     #include "selftest.h"
 *     SELFTEST(fmt_zero_pad)
 *     {
 *         char b[16];
 *         ksnprintf(b, sizeof(b), "%05d", 42);
 *         ST_CHECK(strcmp(b, "00042") == 0, "got \"%s\"", b);
 *     }
 *
 * SELFTEST places a struct selftest descriptor in the read-only section
 * ".selftests"; the linker script keeps that section between the symbols
 * __selftests_start and __selftests_end (8-byte aligned). Tests run in
 * link order (file name order, then order in the file). The name is the
 * test's KTAP name, which the boot tests see. ST_CHECK records a failure
 * (with file, line, the condition and the message as a "# " diagnostic)
 * and lets the test continue; it returns whether the check passed, so a
 * test can stop early:
 *     if (!ST_CHECK(p != NULL, "no buffer")) return;
 *
 * Self-test mode is on when the command line has the word "selftest";
 * "selftest=PREFIX" runs only the tests whose name starts with PREFIX.
 * In that mode the run ends QEMU through its isa-debug-exit device
 * (qemu_exit.h) with status 33 if every test passed, 35 otherwise; a
 * panic or a fatal exception from selftest_init on also ends it with 35
 * (the runner sets the halt hook of panic.h). Without that device the
 * machine is powered off (power.h) after the last KTAP line.
 */
#ifndef CARTO_SELFTEST_H
#define CARTO_SELFTEST_H

#include "handoff.h"
#include "memlayout.h"
#include "types.h"

/* A kernel address that is never mapped: the page below the kernel image
 * (PML4 slot 511, "unused" in memlayout.h). crash=pf and the trap tests
 * read it. */
#define SELFTEST_UNMAPPED_VA (KERNEL_BASE - PAGE_SIZE)

struct selftest {
	const char *name;
	void (*fn)(void);
};

#define SELFTEST(name)                                                         \
	static void selftest_fn_##name(void);                                  \
	static const struct selftest selftest_desc_##name                      \
		__attribute__((used, section(".selftests"), aligned(8))) =     \
		{ #name, selftest_fn_##name };                                 \
	static void selftest_fn_##name(void)

/* ST_CHECK(cond) or ST_CHECK(cond, "format", args...); the format must be
 * a string literal. */
#define ST_CHECK(cond, ...) \
	selftest_check((cond) ? true : false, __FILE__, __LINE__, #cond, \
		       ST_MESSAGE_SEP __VA_ARGS__)
#define ST_MESSAGE_SEP ": "   /* also keeps the format from being empty */

/* selftest_check - ST_CHECK's worker: on !ok, count a failure for the
 * running test and print the diagnostic; @fmt starts with ST_MESSAGE_SEP.
 * Returns ok. */
bool selftest_check(bool ok, const char *file, int line, const char *cond,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));


/*
 * Catching an expected trap: st_catch_begin() installs a hook that records
 * the next trap, sets RAX to HOOK_RAX and resumes at the address the test
 * put in RDX; st_catch_end() removes it and returns what was seen. The
 * faulting code is inline asm of the form
 *     leaq 1f(%rip), %rdx ; <faulting instruction> ; 1:
 */
#define HOOK_RAX 0x5a5a5a5a5a5a5a5aull
struct st_caught {
	unsigned hits;
	uint64_t vector, error, cr2, rip, resume;
};
void st_catch_begin(void);
const struct st_caught *st_catch_end(void);

/* st_try_read/st_try_write - one 8-byte access at @va with the trap
 * caught; returns what was caught (hits == 0: no trap). A read that traps
 * leaves HOOK_RAX in *value. */
const struct st_caught *st_try_read(vaddr_t va, uint64_t *value);
const struct st_caught *st_try_write(vaddr_t va, uint64_t value);

/* The hand-off block given to selftest_init, or NULL. */
const struct handoff *selftest_handoff(void);

/* True once selftest_init has seen "selftest" on the command line. */
bool selftest_mode(void);

/*
 * selftest_skip - mark the running test skipped (it did not do what it is
 * named for, e.g. a test that would power the machine off in a full run):
 * its KTAP line reads "ok N name # SKIP @reason" and the summary counts it
 * as skipped, not passed ("N passed, N failed, N skipped"). A failed
 * check still fails the test. @reason must outlive the run (a literal).
 */
void selftest_skip(const char *reason);

#endif
