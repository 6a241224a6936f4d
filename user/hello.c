/* hello.c - the first user program: prints, maps and unmaps memory, and
 * yields @arg times so a second process runs in between. */
#include "ulib.h"

#define SCRATCH ((char *)0x20000000ul)

long main(long arg);

long main(long arg)
{
	long pid = sys_getpid();

	report("hello: pid", pid);
	if (sys_map(SCRATCH, 8192, SYS_PROT_WRITE) != 0)
		return 1;
	for (int i = 0; i < 8192; i++)
		SCRATCH[i] = (char)i;
	long sum = sys_copyin(SCRATCH + 4096, 4096);
	unsigned long want = 0;
	for (int i = 0; i < 512; i++)
		want += ((unsigned long *)(SCRATCH + 4096))[i];
	if (sum != (long)(want & SYS_COPYIN_SUM_MASK))
		return 3;
	if (sys_unmap(SCRATCH, 8192) != 0)
		return 2;
	report("hello: sum", sum);
	for (long i = 0; i < arg; i++) {
		report("hello: pid and turn", pid * 1000 + i);
		sys_yield();
	}
	return 0;
}
