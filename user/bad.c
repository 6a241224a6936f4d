/* bad.c - a program that breaks the rules in the way @arg says; the kernel
 * must kill it with a report and go on (the self-tests check). */
#include "ulib.h"

#define KERNEL_ADDR 0xffffffff80000000ul   /* the kernel image */

long main(long arg);

/* Recurse until the stack runs into its guard page (depth is never 0
 * again: the compiler cannot prove the recursion endless). */
static long smash(long depth)
{
	volatile char buf[512];
	buf[0] = (char)depth;
	if (depth == -1)
		return 0;
	return smash(depth + 1) + buf[0];
}

long main(long arg)
{
	report("bad: trying", arg);
	switch (arg) {
	case 1:   /* read kernel memory */
		return *(volatile long *)KERNEL_ADDR;
	case 2:   /* write kernel memory */
		*(volatile long *)KERNEL_ADDR = 1;
		break;
	case 3:   /* execute a kernel address */
		((void (*)(void))KERNEL_ADDR)();
		break;
	case 4:   /* jump to a non-canonical address */
		((void (*)(void))0x0000800000000000ul)();
		break;
	case 5:   /* write its own (read-only) code */
		*(volatile char *)(void *)main = 0;
		break;
	case 6: { /* execute its (no-execute) stack */
		volatile unsigned char code[4] = { 0xc3 };
		((void (*)(void))(void *)code)();
		break;
	}
	case 7:   /* overflow the stack into the guard page */
		smash(0);
		break;
	case 8:   /* a privileged instruction */
		__asm__ volatile("cli");
		break;
	case 9: { /* read the GDT's address: #GP under UMIP, allowed without */
		struct __attribute__((packed)) { unsigned short limit; unsigned long base; } g;
		__asm__ volatile("sgdt %0" : "=m"(g));
		return g.limit == 0;
	}
	}
	return 0;
}
