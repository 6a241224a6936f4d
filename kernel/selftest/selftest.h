/*
 * selftest.h - in-kernel self-tests, reported in KTAP version 1, and the
 * fault-injection commands of the boot tests.
 *
 * Writing a test, in any kernel .c file:
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
 * link order. ST_CHECK records a failure (with file, line, the condition
 * and the message as a "# " diagnostic) and lets the test continue; it
 * returns whether the check passed, so a test can stop early:
 *     if (!ST_CHECK(p != NULL, "no buffer")) return;
 *
 * Self-test mode is on when the command line has the word "selftest";
 * "selftest=PREFIX" runs only the tests whose name starts with PREFIX.
 * In that mode the kernel ends QEMU through the isa-debug-exit device
 * (-device isa-debug-exit,iobase=0xf4,iosize=0x04): writing v to port
 * 0xf4 makes QEMU exit with status (v << 1) | 1.
 */
#ifndef CARTO_SELFTEST_H
#define CARTO_SELFTEST_H

#include "handoff.h"
#include "memlayout.h"
#include "types.h"

#define QEMU_EXIT_PORT     0xf4
#define QEMU_EXIT_PASS     0x10   /* QEMU exits with status 33 */
#define QEMU_EXIT_FAIL     0x11   /* QEMU exits with status 35 */
#define QEMU_STATUS_PASS   ((QEMU_EXIT_PASS << 1) | 1)
#define QEMU_STATUS_FAIL   ((QEMU_EXIT_FAIL << 1) | 1)
_Static_assert(QEMU_STATUS_PASS == 33 && QEMU_STATUS_FAIL == 35, "exit statuses");

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
 * selftest_set_handoff - remember the hand-off block (tests may inspect it
 * through selftest_handoff()) and turn self-test mode on if its command
 * line has "selftest". Call it as early as possible, so that a panic or
 * an exception during boot already ends QEMU with the failure status.
 */
void selftest_set_handoff(const struct handoff *h);

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

/* The hand-off block given to selftest_set_handoff, or NULL. */
const struct handoff *selftest_handoff(void);

/* True once selftest_set_handoff has seen "selftest" on the command line. */
bool selftest_mode(void);

/*
 * selftest_run - run every registered test (or those selected by
 * "selftest=PREFIX"), printing KTAP version 1:
 *     KTAP version 1
 *     1..N
 *     # <test>: <file>:<line>: check `<cond>` failed: <message>
 *     not ok 1 <test>
 *     ok 2 <test>
 *     N passed, N failed
 * then calls qemu_exit(all passed). Returns the number of failed tests
 * (no tests at all counts as one failure: the section was lost).
 */
int selftest_run(void);

/*
 * qemu_exit - in self-test mode, end QEMU with status 33 (success) or 35
 * (failure). Outside self-test mode, or when no isa-debug-exit device
 * answers (real hardware), does nothing and returns.
 */
void qemu_exit(bool success);

/*
 * selftest_crash - inject the fault named by the word at @what (a
 * command-line value, ended by a blank or NUL):
 *   stack  recurse until the boot stack runs into its guard page (#DF)
 *   pf     read an unmapped kernel address (#PF, not present)
 *   wp     write to the kernel's own .rodata (#PF, protection violation)
 *   ud     execute ud2 (#UD)
 * The exception report follows and the kernel halts. Panics if the fault
 * did not happen. An unknown @what is reported in one line and ignored:
 * the only case that returns.
 */
void selftest_crash(const char *what);

#endif
