/* busy.c - never yields: the preemption tests' program (kernel/selftest/
 * preempt.c). @arg is (TSC ticks << 4) | mode; for that many ticks of
 * wall-clock time it
 *   BUSY_SPIN      spins, keeping four values in registers that must stay
 *                  related; exits 0, or 1 if one changed (registers lost
 *                  across a preemption)
 *   BUSY_SYSCALLS  makes system calls in a tight loop (getpid, copyin of a
 *                  known buffer, map/unmap, a bad pointer); exits with the
 *                  number of wrong results
 *   BUSY_FAULT     spins, then writes kernel memory: killed by a #PF
 * The TSC keeps counting while other processes run, so the time is the
 * same with or without preemption; only who ends first changes. */
#include "ulib.h"

enum { BUSY_SPIN = 0, BUSY_SYSCALLS = 1, BUSY_FAULT = 2 };

#define BUF     ((unsigned long *)0x30000000ul)
#define SCRATCH ((char *)0x31000000ul)
#define KERNEL_VA 0xffffffff80000000ul

long main(long arg);

static unsigned long tsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long)hi << 32) | lo;
}

/* a, b = 3a + 1, c = ~a, d = a ^ 0x5a5a...: opaque to the compiler, so
 * they live in registers across every iteration. */
static long spin(unsigned long end)
{
	unsigned long a = 0, b = 1, c = ~0ul, d = 0x5a5a5a5a5a5a5a5aul;

	while (tsc() < end) {
		a++;
		b += 3;
		c--;
		d = a ^ 0x5a5a5a5a5a5a5a5aul;
		__asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d));
		if (b != 3 * a + 1 || c != ~a || d != (a ^ 0x5a5a5a5a5a5a5a5aul))
			return 1;
	}
	return 0;
}

static long syscalls(unsigned long end)
{
	long pid = sys_getpid(), wrong = 0;
	unsigned long want = 0;

	if (sys_map(BUF, 4096, SYS_PROT_WRITE) != 0)
		return 1000;
	for (int i = 0; i < 512; i++)
		want += BUF[i] = (unsigned long)i * 0x9e3779b97f4a7c15ul;
	want &= SYS_COPYIN_SUM_MASK;
	for (unsigned long n = 0; tsc() < end; n++) {
		wrong += sys_getpid() != pid;
		wrong += sys_copyin(BUF, 4096) != (long)want;
		wrong += syscall3(SYS_NULL, 0, 0, 0) != 0;
		wrong += sys_copyin((void *)KERNEL_VA, 8) != -SYS_EFAULT;
		if (n % 16 == 0) {
			wrong += sys_map(SCRATCH, 8192, SYS_PROT_WRITE) != 0;
			SCRATCH[4096] = 1;
			wrong += sys_unmap(SCRATCH, 8192) != 0;
		}
	}
	return wrong;
}

long main(long arg)
{
	unsigned long end = tsc() + ((unsigned long)arg >> 4);

	switch (arg & 0xf) {
	case BUSY_SPIN:
		return spin(end);
	case BUSY_SYSCALLS:
		return syscalls(end);
	case BUSY_FAULT:
		spin(end);
		*(volatile long *)KERNEL_VA = 1;
		return 0;
	}
	return -1;
}
