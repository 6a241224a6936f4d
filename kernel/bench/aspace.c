/*
 * aspace.c - what user mode costs with the kernel half shared and with the
 * kernel isolated behind the entry area (issue 10): the benchmarks of
 * "bench" (bench.h), each measured in both modes in one boot, since every
 * process has its own mode (proc.h PROC_SHARED / PROC_ISOLATED).
 *
 *   null-syscall       SYS_NULL from user mode and back (syscall, entry,
 *                      dispatch, sysret; isolated: two CR3 writes more)
 *   copy-from-user-4k  SYS_COPYIN of 4 KiB: a null syscall plus the
 *                      range check and a 4 KiB copy_from_user
 *   as-switch          one switch from a process to another: SYS_YIELD
 *                      ping-pong between two processes, per switch (user
 *                      -> kernel -> the other's address space -> user)
 *   user-pagefault     first touch of a page of a SYS_MAP_LAZY range: the
 *                      #PF from user mode, a zeroed frame mapped, iretq
 *
 * The timing is done in user mode by user/ubench.c with the TSC (median
 * of 31 rounds of 16 operations, as bench_ticks_per_op), which returns it
 * as its exit status.
 */
#include "bench.h"
#include "panic.h"
#include "proc.h"

/* user/ubench.c's cases. */
enum { UB_NULL = 1, UB_COPYIN = 2, UB_SWITCH = 3, UB_PAGEFAULT = 4 };

/* Run ubench @which in @mode (@copies processes at once); the first's
 * result. */
static uint64_t ubench(uint64_t which, int mode, unsigned copies)
{
	int pid[2];
	struct proc r;
	uint64_t result = 0;

	for (unsigned i = 0; i < copies; i++) {
		pid[i] = proc_spawn("ubench", which, mode);
		if (pid[i] < 0)
			panic("bench: cannot start user/ubench (%d)", pid[i]);
	}
	sched_run();
	for (unsigned i = 0; i < copies; i++) {
		if (proc_reap(pid[i], &r) != E_OK || r.killed || r.status < 0)
			panic("bench: ubench %lu ended badly (killed %d, status %ld)", which, r.killed,
			      r.status);
		if (i == 0)
			result = (uint64_t)r.status;
	}
	return result;
}

#define UBENCH_PAIR(id, name, which, copies, divide)                                  \
	static uint64_t bench_##id##_shared(void)                                     \
	{                                                                             \
		return ubench(which, PROC_SHARED, copies) / (divide);                 \
	}                                                                             \
	BENCH_VARIANT(id##_shared, name, "shared", "ticks/op");                       \
	static uint64_t bench_##id##_isolated(void)                                   \
	{                                                                             \
		return ubench(which, PROC_ISOLATED, copies) / (divide);               \
	}                                                                             \
	BENCH_VARIANT(id##_isolated, name, "isolated", "ticks/op")

UBENCH_PAIR(null_syscall, "null-syscall", UB_NULL, 1, 1);
UBENCH_PAIR(copy_from_user, "copy-from-user-4k", UB_COPYIN, 1, 1);
/* Each of the first process's yields is two switches: to the other and back. */
UBENCH_PAIR(as_switch, "as-switch", UB_SWITCH, 2, 2);
UBENCH_PAIR(user_pagefault, "user-pagefault", UB_PAGEFAULT, 1, 1);
