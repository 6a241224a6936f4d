/*
 * runner.c - the KTAP self-test runner, the self-test entry points and the
 * fault injection of the boot tests (see selftest.h).
 */
#include "arch.h"
#include "boothook.h"
#include "console.h"
#include "cpu.h"
#include "klib.h"
#include "kmap.h"
#include "kspace.h"
#include "monitor.h"
#include "panic.h"
#include "power.h"
#include "pt.h"
#include "qemu_exit.h"
#include "selftest.h"

/* Linker-script symbols around the .selftests section (kernel.ld). */
extern const struct selftest __selftests_start[], __selftests_end[];
extern const char __rodata_start[], __rodata_end[];

static struct {
	const struct handoff *handoff;
	bool mode;
	const char *current;          /* name of the running test */
	unsigned failures;            /* failed checks in the running test */
	const char *skip;             /* selftest_skip's reason, or NULL */
} st;

/* The halt hook of self-test mode: a panic or a fatal exception fails the
 * run, and ends it: under QEMU with the failure status, else by power-off
 * (so a plain QEMU run or a real PC ends too). */
static void fail_on_halt(void)
{
	qemu_exit(false);
	kputs("# the self-tests were stopped by a panic or a fatal exception\n");
	power_off();
}

/*
 * selftest_init - remember the hand-off block (tests may inspect it
 * through selftest_handoff()) and turn self-test mode on if its command
 * line has "selftest"; in that mode, set the halt hook (panic.h) so that
 * a panic or a fatal exception ends QEMU with the failure status. A
 * BOOT_EARLY hook, so that a failure during boot already counts.
 */
static void selftest_init(const struct handoff *h)
{
	st.handoff = h;
	st.mode = h && cmdline_has(h->cmdline, "selftest");
	if (st.mode)
		halt_set_hook(fail_on_halt);
}
BOOT_HOOK(BOOT_EARLY, selftest_init);

const struct handoff *selftest_handoff(void)
{
	return st.handoff;
}

bool selftest_mode(void)
{
	return st.mode;
}

void selftest_skip(const char *reason)
{
	st.skip = reason;
}

bool selftest_check(bool ok, const char *file, int line, const char *cond,
		    const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	st.failures++;
	kprintf("# %s: %s:%d: check `%s` failed", st.current ? st.current : "(no test)",
		file, line, cond);
	if (strcmp(fmt, ST_MESSAGE_SEP) != 0) {
		va_start(ap, fmt);
		kvprintf(fmt, ap);
		va_end(ap);
	}
	kputs("\n");
	return false;
}

/* selected - does "selftest=PREFIX" (or plain "selftest") select @t? */
static bool selected(const struct selftest *t, const char *prefix, size_t plen)
{
	return strncmp(t->name, prefix, plen) == 0;
}

/*
 * selftest_run - run every registered test whose name starts with
 * @prefix[0..@plen) (plen 0: all), printing KTAP version 1:
 *     KTAP version 1
 *     1..N
 *     # <test>: <file>:<line>: check `<cond>` failed: <message>
 *     not ok 1 <test>
 *     ok 2 <test>
 *     ok 3 <test> # SKIP <reason>          (selftest_skip)
 *     N passed, N failed[, N skipped]
 * Returns the number of failed tests (no tests at all counts as one
 * failure: the section was lost). May run any number of times: the boot
 * runs it in self-test mode, the monitor's `selftest` command whenever
 * asked (each test leaves what it changed as it found it).
 */
static unsigned selftest_run(const char *prefix, size_t plen)
{
	const struct selftest *t;
	size_t bytes = (size_t)((const char *)__selftests_end - (const char *)__selftests_start);
	unsigned planned = 0, n = 0, failed = 0, skipped = 0;

	kputs("KTAP version 1\n");
	if (bytes % sizeof(struct selftest)) {
		kprintf("1..0\n# .selftests is %zu bytes, not a multiple of %zu: "
			"check its alignment in kernel.ld\n0 passed, 1 failed\n",
			bytes, sizeof(struct selftest));
		return 1;
	}
	for (t = __selftests_start; t < __selftests_end; t++)
		planned += selected(t, prefix, plen);
	kprintf("1..%u\n", planned);
	if (planned == 0)
		kprintf("# no self-tests %s\n", plen ? "match the selftest= prefix" :
			"registered (is .selftests kept by kernel.ld?)");
	for (t = __selftests_start; t < __selftests_end; t++) {
		if (!selected(t, prefix, plen))
			continue;
		st.current = t->name;
		st.failures = 0;
		struct kmap_scope scope = kmap_scope_begin(t->name);
		st.skip = NULL;
		t->fn();
		kmap_scope_end(&scope);   /* a temporary mapping the test leaked: panic */
		failed += st.failures != 0;
		skipped += st.failures == 0 && st.skip;
		kprintf("%s %u %s%s%s\n", st.failures ? "not ok" : "ok", ++n, t->name,
			!st.failures && st.skip ? " # SKIP " : "", !st.failures && st.skip ? st.skip : "");
	}
	st.current = NULL;
	if (planned == 0)
		failed = 1;
	unsigned passed = n - (failed > n ? n : failed) - skipped;
	if (skipped)
		kprintf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
	else
		kprintf("%u passed, %u failed\n", passed, failed);
	return failed;
}

/*
 * The monitor's `selftest [PREFIX]`: the same run, at any time. It never
 * ends QEMU, whatever the result.
 */
static void cmd_selftest(const struct handoff *h, int argc, char **argv)
{
	selftest_run(argc > 1 ? argv[1] : "", argc > 1 ? strlen(argv[1]) : 0);
}
MONITOR_COMMAND("selftest", "[PREFIX]", "run the self-tests (those starting with PREFIX)",
		cmd_selftest);

/* ---- fault injection -------------------------------------------------------- */

/* In .rodata, mapped read-only by the loader: crash=wp writes to it. */
static const uint64_t crash_rodata_target = 0x5afe5afe5afe5afeull;

static bool word_is(const char *word, const char *s)
{
	size_t n = strlen(s);

	return cmdline_word_len(word) == n && strncmp(word, s, n) == 0;
}

/* Each frame keeps a 256-byte buffer live across the call, so neither
 * inlining nor tail-call elimination can turn the recursion into a loop. */
__attribute__((noinline)) static uint64_t crash_recurse(uint64_t depth)
{
	volatile uint8_t frame[256];
	uint64_t r;

	frame[0] = (uint8_t)depth;
	if (depth == UINT64_MAX)
		return frame[0];
	r = crash_recurse(depth + 1);
	__asm__ volatile("" : "+r"(r) : "r"(frame) : "memory");
	return r + frame[0];
}

static void crash_stack(void)
{
	uint64_t rsp;

	__asm__ volatile("movq %%rsp, %0" : "=r"(rsp));
	kprintf("selftest: crash=stack: recursing from rsp %lx until the stack's guard "
		"page at %lx\n", rsp, KSTACK_BOTTOM(0) - PAGE_SIZE);
	crash_recurse(0);
	panic("selftest_crash: recursion returned without overflowing the stack");
}

static void crash_pf(void)
{
	const struct pt_space *as = kernel_space();
	paddr_t pa;

	if (as && as->root && pt_translate(as, SELFTEST_UNMAPPED_VA, &pa, NULL, NULL) == E_OK)
		panic("selftest_crash: %lx should be unmapped but maps %lx",
		      SELFTEST_UNMAPPED_VA, pa);
	kprintf("selftest: crash=pf: reading unmapped %lx\n", SELFTEST_UNMAPPED_VA);
	(void)*(volatile uint64_t *)SELFTEST_UNMAPPED_VA;
	panic("selftest_crash: reading %lx did not fault", SELFTEST_UNMAPPED_VA);
}

static void crash_wp(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)&crash_rodata_target;

	if ((const char *)p < __rodata_start || (const char *)p >= __rodata_end)
		panic("selftest_crash: target %p is not in .rodata [%p, %p)", (void *)p,
		      (const void *)__rodata_start, (const void *)__rodata_end);
	kprintf("selftest: crash=wp: writing to .rodata at %p\n", (void *)p);
	*p = 0xbad;
	panic("selftest_crash: write to .rodata at %p did not fault (CR0.WP %s)", (void *)p,
	      read_cr0() & CR0_WP ? "set" : "clear");
}

static void crash_ud(void)
{
	kprintf("selftest: crash=ud: executing ud2\n");
	__asm__ volatile("ud2");
	panic("selftest_crash: ud2 did not fault");
}

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
static void selftest_crash(const char *what)
{
	if (!what)
		what = "";
	if (word_is(what, "stack"))
		crash_stack();
	else if (word_is(what, "pf"))
		crash_pf();
	else if (word_is(what, "wp"))
		crash_wp();
	else if (word_is(what, "ud"))
		crash_ud();
	/* A mistyped option is no reason to stop the machine. */
	kprintf("crash=%.*s: no such fault to inject (known: stack, pf, wp, ud); ignored\n",
		(int)cmdline_word_len(what), what);
}

/*
 * selftest_start - do what the command line asks of the test code, once
 * the kernel is up: "crash=WORD" injects that fault (stack: overflow the
 * boot stack into its guard page, #DF; pf: read an unmapped kernel
 * address; wp: write to the kernel's .rodata; ud: execute ud2) and does
 * not return, unless WORD is unknown (reported in one line, ignored).
 * Then, in self-test mode, runs the tests (all, or those selected by
 * "selftest=PREFIX"), printing KTAP version 1:
 *     KTAP version 1
 *     1..N
 *     # <test>: <file>:<line>: check `<cond>` failed: <message>
 *     not ok 1 <test>
 *     ok 2 <test>
 *     ok 3 <test> # SKIP <reason>          (selftest_skip)
 *     N passed, N failed[, N skipped]
 * and ends QEMU with status 33 if all passed, 35 if not (no tests at all
 * is a failure: the section was lost); without QEMU's isa-debug-exit
 * device it powers the machine off (power.h) instead, so a plain QEMU run
 * or a real PC ends too. Returns only when there is nothing to do (no
 * "selftest", and "crash=" absent or unknown): the monitor starts then.
 */
static void selftest_start(const struct handoff *h)
{
	const char *crash = h ? cmdline_value(h->cmdline, "crash", NULL) : NULL;

	size_t plen = 0;
	const char *prefix = h ? cmdline_value(h->cmdline, "selftest", &plen) : NULL;

	if (crash)
		selftest_crash(crash);
	if (!st.mode)
		return;
	qemu_exit(selftest_run(prefix, plen) == 0);
	/* No isa-debug-exit device: the results are on screen and serial;
	 * power off (power.h) so a plain QEMU run or a real PC ends too. */
	power_off();
}
BOOT_HOOK(BOOT_READY, selftest_start);
