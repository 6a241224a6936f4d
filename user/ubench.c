/* ubench.c - the user side of the benchmarks (kernel/bench/aspace.c):
 * @arg picks one; it times ROUNDS rounds of BATCH operations with the TSC
 * and exits with the median round's ticks per operation. */
#include "ulib.h"

#define ROUNDS 31
#define BATCH  16
#define BUF    ((char *)0x40000000ul)
#define LAZY   ((char *)0x50000000ul)

enum { UB_NULL = 1, UB_COPYIN = 2, UB_SWITCH = 3, UB_PAGEFAULT = 4 };

long main(long arg);

static unsigned long tsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((unsigned long)hi << 32) | lo;
}

static unsigned long median(unsigned long *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned long t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

static void op(long which, int r, int i)
{
	switch (which) {
	case UB_NULL:
		syscall3(SYS_NULL, 0, 0, 0);
		break;
	case UB_COPYIN:
		sys_copyin(BUF, 4096);
		break;
	case UB_SWITCH:
		sys_yield();
		break;
	case UB_PAGEFAULT:
		LAZY[((long)r * BATCH + i) * 4096] = 1;
		break;
	}
}

long main(long arg)
{
	unsigned long round[ROUNDS];

	if (arg == UB_COPYIN && sys_map(BUF, 4096, SYS_PROT_WRITE) != 0)
		return -1;
	if (arg == UB_PAGEFAULT &&
	    sys_map(LAZY, (unsigned long)ROUNDS * BATCH * 4096, SYS_PROT_WRITE | SYS_MAP_LAZY) != 0)
		return -1;
	for (int r = 0; r < ROUNDS; r++) {
		unsigned long t0 = tsc();
		for (int i = 0; i < BATCH; i++)
			op(arg, r, i);
		round[r] = tsc() - t0;
	}
	return (long)(median(round, ROUNDS) / BATCH);
}
