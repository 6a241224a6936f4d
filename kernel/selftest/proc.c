/*
 * proc.c - self-tests of user mode (kernel/proc.h): two processes alive
 * at once, bad programs killed while the other goes on, bad system-call
 * arguments refused, SMAP and SMEP, isolated tables, preemption by the
 * LAPIC timer (order, storms, faults), and every frame and page-table page
 * back once all processes are gone.
 */
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "devices.h"
#include "klib.h"
#include "kspace.h"
#include "lapic.h"
#include "physmem.h"
#include "proc.h"
#include "selftest.h"

struct counts {
	uint64_t free_frames, pool_free, pool_chunks;
};

static struct counts counts_now(void)
{
	struct frame_stats st;

	frame_get_stats(frames(), &st);
	return (struct counts){ st.free, kspace_pool_free_frames(), kspace_pool_chunks() };
}

#define ST_COUNTS_BACK(b)                                                                    \
	do {                                                                                 \
		struct counts a_ = counts_now();                                             \
		ST_CHECK(a_.free_frames == (b).free_frames && a_.pool_free == (b).pool_free && \
			 a_.pool_chunks == (b).pool_chunks,                                  \
			 "frames free %lu -> %lu, pool free %lu -> %lu, chunks %lu -> %lu",  \
			 (b).free_frames, a_.free_frames, (b).pool_free, a_.pool_free,       \
			 (b).pool_chunks, a_.pool_chunks);                                   \
	} while (0)

static bool reap(int pid, struct proc *r)
{
	return ST_CHECK(pid > 0, "spawn: %d", pid) && ST_CHECK(proc_reap(pid, r) == E_OK, "pid %d not ended", pid);
}

static void two_alive(int mode)
{
	struct counts before = counts_now();
	struct proc r;
	int a = proc_spawn("hello", 3, mode), b = proc_spawn("hello", 3, mode);

	sched_run();
	if (reap(a, &r))
		ST_CHECK(!r.killed && r.status == 0, "first hello: killed %d status %ld", r.killed, r.status);
	if (reap(b, &r))
		ST_CHECK(!r.killed && r.status == 0, "second hello: killed %d status %ld", r.killed, r.status);
	ST_COUNTS_BACK(before);
}

SELFTEST(proc_two_alive_shared)
{
	two_alive(PROC_SHARED);
}

SELFTEST(proc_two_alive_isolated)
{
	two_alive(PROC_ISOLATED);
}

/* bad.c's cases and the fault each must die of. */
static const struct {
	unsigned arg, vector;
	const char *what;
} bad_cases[] = {
	{ 1, VEC_PF, "read kernel memory" },
	{ 2, VEC_PF, "write kernel memory" },
	{ 3, VEC_PF, "execute a kernel address" },
	{ 4, VEC_GP, "jump to a non-canonical address" },
	{ 5, VEC_PF, "write its read-only code" },
	{ 6, VEC_PF, "execute its no-execute stack" },
	{ 7, VEC_PF, "overflow into the stack guard page" },
	{ 8, VEC_GP, "execute a privileged instruction" },
};

static void bad_killed(int mode)
{
	struct counts before = counts_now();

	for (unsigned i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		struct proc r;
		int good = proc_spawn("hello", 2, mode);
		int bad = proc_spawn("bad", bad_cases[i].arg, mode);
		sched_run();
		if (reap(bad, &r))
			ST_CHECK(r.killed && r.fault_vector == bad_cases[i].vector,
				 "%s: killed %d vector %lu status %ld", bad_cases[i].what, r.killed,
				 r.fault_vector, r.status);
		if (reap(good, &r))
			ST_CHECK(!r.killed && r.status == 0, "the other process after '%s': killed %d "
				 "status %ld", bad_cases[i].what, r.killed, r.status);
	}
	ST_COUNTS_BACK(before);
}

/* UMIP: sgdt in user mode is a #GP when the CPU has it, allowed without. */
SELFTEST(proc_umip)
{
	struct proc r;
	int pid = proc_spawn("bad", 9, PROC_DEFAULT);

	sched_run();
	if (!reap(pid, &r))
		return;
	if (cpu_prot()->umip)
		ST_CHECK(r.killed && r.fault_vector == VEC_GP, "sgdt under UMIP: killed %d vector %lu",
			 r.killed, r.fault_vector);
	else
		ST_CHECK(!r.killed && r.status == 0, "sgdt without UMIP: killed %d status %ld",
			 r.killed, r.status);
}

SELFTEST(proc_bad_programs_killed_shared)
{
	bad_killed(PROC_SHARED);
}

SELFTEST(proc_bad_programs_killed_isolated)
{
	bad_killed(PROC_ISOLATED);
}

static void sysbad(int mode)
{
	struct counts before = counts_now();
	struct proc r;
	int pid = proc_spawn("sysbad", 0, mode);

	sched_run();
	if (reap(pid, &r))
		ST_CHECK(!r.killed && r.status == 0, "sysbad: killed %d, %ld checks wrong", r.killed, r.status);
	ST_COUNTS_BACK(before);
}

SELFTEST(proc_syscall_bad_arguments_shared)
{
	sysbad(PROC_SHARED);
}

SELFTEST(proc_syscall_bad_arguments_isolated)
{
	sysbad(PROC_ISOLATED);
}

#define PROBE_VA 0x60000000ul

/* With SMAP the kernel reading a user page outside the copy routines
 * faults (a protection violation); with SMEP executing one does. */
SELFTEST(proc_smap_smep)
{
	const struct cpu_prot *c = cpu_prot();
	struct aspace as;
	static const uint8_t ret = 0xc3;
	uint64_t v = 0;

	if (!ST_CHECK(aspace_create(&as, false) == E_OK, "create"))
		return;
	ST_CHECK(aspace_map_anon(&as, PROBE_VA, PAGE_SIZE, MAP_WRITE) == E_OK &&
		 aspace_map_anon(&as, PROBE_VA + PAGE_SIZE, PAGE_SIZE, MAP_EXEC) == E_OK &&
		 aspace_write(&as, PROBE_VA + PAGE_SIZE, &ret, 1) == E_OK, "map probe pages");
	aspace_switch(&as);
	const struct st_caught *k = st_try_read(PROBE_VA, &v);
	if (c->smap)
		ST_CHECK(k->hits == 1 && k->vector == VEC_PF && (k->error & PF_ERR_P) &&
			 !(k->error & PF_ERR_U), "SMAP: kernel read of a user page: hits %u vector %lu "
			 "error %lx", k->hits, k->vector, k->error);
	else
		ST_CHECK(k->hits == 0, "no SMAP on this CPU, yet the read faulted");
	st_catch_begin();
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "jmp *%%rcx\n"
			 "1:"
			 : : "c"(PROBE_VA + PAGE_SIZE) : "rax", "rdx", "memory");
	k = st_catch_end();
	if (c->smep)
		ST_CHECK(k->hits == 1 && k->vector == VEC_PF && (k->error & PF_ERR_I) &&
			 k->cr2 == PROBE_VA + PAGE_SIZE, "SMEP: kernel executing a user page: hits %u "
			 "vector %lu error %lx", k->hits, k->vector, k->error);
	else
		ST_CHECK(c->smep == !!(cpuid(7, 0).ebx & (1u << 7)), "SMEP state disagrees with CPUID");
	aspace_switch(NULL);
	aspace_destroy(&as);
	kprintf("# SMAP %s, SMEP %s, UMIP %s on this CPU\n", c->smap ? "on" : "absent",
		c->smep ? "on" : "absent", c->umip ? "on" : "absent");
}

/* An isolated space's user tables map the lower half and, of the kernel
 * half, only the entry area's pages; its kernel view equals the
 * kernel's upper half. No page is writable and executable. */
SELFTEST(proc_isolated_tables_minimal)
{
	extern const char __entry_text_start[], __entry_text_end[];
	extern const char __entry_data_start[], __entry_data_end[];
	struct aspace as;
	struct pt_space user;

	if (!ST_CHECK(aspace_create(&as, true) == E_OK, "create"))
		return;
	user = as.pt;
	user.root = as.user_root;
	const uint64_t *u = pt_window_va(kspace_window(), as.user_root);
	for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		ST_CHECK(i == KERNEL_SLOT || i == KSTACK_SLOT ? (u[i] & PTE_P) != 0 : u[i] == 0,
			 "user root slot %u: %lx", i, u[i]);
	/* Of the stacks' slot, exactly the IST stacks (1..KSTACK_IST_END-1):
	 * neither the kernel stack nor the EFI runtime stack. */
	for (unsigned s = 0; s < KSTACK_COUNT; s++)
		for (vaddr_t va = KSTACK_BOTTOM(s) - PAGE_SIZE; va < KSTACK_TOP(s); va += PAGE_SIZE) {
			paddr_t pa;
			bool want = s > 0 && s < KSTACK_IST_END && va >= KSTACK_BOTTOM(s);
			ST_CHECK((pt_translate(&user, va, &pa, NULL, NULL) == E_OK) == want,
				 "stack %u page %lx %s", s, va, want ? "not mapped" : "mapped");
		}
	/* Every mapped page of the kernel image's slot is in the entry area. */
	unsigned mapped = 0;
	for (vaddr_t va = KERNEL_BASE; va < KERNEL_BASE + 64 * MiB; va += PAGE_SIZE) {
		paddr_t pa;
		uint32_t fl;
		if (pt_translate(&user, va, &pa, NULL, &fl) != E_OK)
			continue;
		mapped++;
		bool in_text = va >= (vaddr_t)__entry_text_start && va < (vaddr_t)__entry_text_end;
		bool in_data = va >= (vaddr_t)__entry_data_start && va < (vaddr_t)__entry_data_end;
		ST_CHECK(in_text || in_data, "kernel page %lx mapped in the user tables", va);
		ST_CHECK(!(fl & MAP_USER) && !((fl & MAP_WRITE) && (fl & MAP_EXEC)), "%lx flags %#x", va, fl);
	}
	uint64_t want = (uint64_t)(__entry_text_end - __entry_text_start + __entry_data_end -
				   __entry_data_start) / PAGE_SIZE;
	ST_CHECK(mapped == want, "%u kernel pages mapped, the entry area has %lu", mapped, want);
	aspace_destroy(&as);
}

/* ---- preemption: the LAPIC timer ends a turn that never yields ---------- */

enum { BUSY_SPIN = 0, BUSY_SYSCALLS = 1, BUSY_FAULT = 2 };   /* user/busy.c */
#define BUSY_MS 60                 /* six default slices of spinning */
#define BUSY_KERNEL_VA 0xffffffff80000000ul

/* user/busy.c's argument: @ms of TSC time, @mode. */
static uint64_t busy_arg(unsigned ms, unsigned mode)
{
	return (devices_get()->tsc_hz / 1000 * ms) << 4 | mode;
}

static bool need_preemption(void)
{
	if (sched_preemptive())
		return true;
	selftest_skip("no usable LAPIC timer or slice=0: scheduling is cooperative");
	return false;
}

/* busy (spins BUSY_MS, never yields) spawned before hello (prints, exits):
 * preemptive, hello ends first and busy was preempted with its registers
 * intact; with the slice 0 (cooperative), busy ends first. */
static void preempt_order(int mode)
{
	struct counts before = counts_now();
	struct proc b, h;
	uint64_t pre = 0;

	if (!need_preemption())
		return;
	for (unsigned slice = 1; slice < 3; slice++) {
		unsigned old = slice == 2 ? sched_set_slice_ms(0) : 0;
		int busy = proc_spawn("busy", busy_arg(BUSY_MS, BUSY_SPIN), mode);
		int hello = proc_spawn("hello", 0, mode);
		sched_run();
		if (slice == 2)
			sched_set_slice_ms(old);
		if (!reap(busy, &b) || !reap(hello, &h))
			continue;
		ST_CHECK(!b.killed && b.status == 0, "busy: killed %d status %ld (1: a register "
			 "changed across a preemption)", b.killed, b.status);
		ST_CHECK(!h.killed && h.status == 0, "hello: killed %d status %ld", h.killed, h.status);
		if (slice == 1) {
			pre = b.preemptions;
			ST_CHECK(h.end_order < b.end_order && b.preemptions >= 1, "preemptive: hello "
				 "ended %lu-th, busy %lu-th (preempted %lu times): want hello first",
				 h.end_order, b.end_order, b.preemptions);
		} else {
			ST_CHECK(b.end_order < h.end_order && b.preemptions == 0, "cooperative: busy "
				 "ended %lu-th (preempted %lu times), hello %lu-th: want busy first",
				 b.end_order, b.preemptions, h.end_order);
		}
	}
	ST_COUNTS_BACK(before);
	kprintf("# busy spun %u ms: preempted %lu times\n", BUSY_MS, pre);
}

SELFTEST(proc_preempt_order_shared)
{
	preempt_order(PROC_SHARED);
}

SELFTEST(proc_preempt_order_isolated)
{
	preempt_order(PROC_ISOLATED);
}

/* A system-call storm, a spinner and one that faults after being
 * preempted, with hello yielding among them: each gives its right result,
 * every ring-3 timer interrupt is one preemption, every frame is back. */
static void preempt_storm(int mode)
{
	struct counts before = counts_now();
	uint64_t ticks = lapic_get_stats()->timer_user;
	struct proc r[4];
	uint64_t preemptions = 0;

	if (!need_preemption())
		return;
	int pid[4] = {
		proc_spawn("busy", busy_arg(BUSY_MS, BUSY_SYSCALLS), mode),
		proc_spawn("busy", busy_arg(BUSY_MS, BUSY_SPIN), mode),
		proc_spawn("busy", busy_arg(BUSY_MS / 2, BUSY_FAULT), mode),
		proc_spawn("hello", 3, mode),
	};
	sched_run();
	for (unsigned i = 0; i < 4; i++)
		if (!reap(pid[i], &r[i]))
			return;
	for (unsigned i = 0; i < 4; i++)
		preemptions += r[i].preemptions;
	ST_CHECK(!r[0].killed && r[0].status == 0 && r[0].preemptions >= 1, "syscall storm: killed "
		 "%d, %ld wrong results, preempted %lu times", r[0].killed, r[0].status,
		 r[0].preemptions);
	ST_CHECK(!r[1].killed && r[1].status == 0 && r[1].preemptions >= 1, "spinner: killed %d "
		 "status %ld, preempted %lu times", r[1].killed, r[1].status, r[1].preemptions);
	ST_CHECK(r[2].killed && r[2].fault_vector == VEC_PF && r[2].fault_addr == BUSY_KERNEL_VA &&
		 r[2].preemptions >= 1, "faulter: killed %d vector %lu address %lx, preempted %lu "
		 "times", r[2].killed, r[2].fault_vector, r[2].fault_addr, r[2].preemptions);
	ST_CHECK(!r[3].killed && r[3].status == 0, "hello: killed %d status %ld", r[3].killed,
		 r[3].status);
	ST_CHECK(lapic_get_stats()->timer_user - ticks == preemptions, "%lu ring-3 timer "
		 "interrupts, %lu preemptions", lapic_get_stats()->timer_user - ticks, preemptions);
	ST_COUNTS_BACK(before);
	kprintf("# preempted: storm %lu, spinner %lu, faulter %lu, hello %lu times\n",
		r[0].preemptions, r[1].preemptions, r[2].preemptions, r[3].preemptions);
}

SELFTEST(proc_preempt_storm_shared)
{
	preempt_storm(PROC_SHARED);
}

SELFTEST(proc_preempt_storm_isolated)
{
	preempt_storm(PROC_ISOLATED);
}
