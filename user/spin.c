/* spin.c - announce itself, then loop in user mode for ever (the boot test
 * reads the live page tables through the QEMU monitor meanwhile). */
#include "ulib.h"

long main(long arg);

long main(long arg)
{
	report("spin: looping, pid", sys_getpid());
	for (;;)
		__asm__ volatile("pause");
	return arg;
}
