/* sysbad.c - system calls with bad arguments: each must be refused with
 * the error sysabi.h names, never crash the kernel. Prints one line per
 * check that went wrong and exits with their count. */
#include "ulib.h"

#define KPTR ((char *)0xffffffff80000000ul)
#define UNMAPPED ((char *)0x30000000ul)
#define LOW_END 0x0000800000000000ul

long main(long arg);

static int wrong;

static void expect(const char *what, long got, long want)
{
	if (got == want)
		return;
	wrong++;
	puts_("sysbad: wrong: ");
	report(what, got);
}

long main(long arg)
{
	static char buf[64] = "ok\n";
	char *page = (char *)0x31000000ul;

	expect("write kernel pointer", sys_write(KPTR, 8), -SYS_EFAULT);
	expect("write unmapped", sys_write(UNMAPPED, 8), -SYS_EFAULT);
	expect("write wrapping", sys_write((char *)0xfffffffffffffff8ul, 16), -SYS_EFAULT);
	expect("write huge", sys_write(buf, 1ul << 62), -SYS_E2BIG);
	expect("copyin crossing into the kernel half", sys_copyin((char *)(LOW_END - 16), 32), -SYS_EFAULT);
	expect("copyin wrapping", sys_copyin((char *)-16l, 32), -SYS_EFAULT);
	expect("copyin huge", sys_copyin(buf, ~0ul), -SYS_E2BIG);
	expect("copyout kernel pointer", sys_copyout(KPTR, 8, 0), -SYS_EFAULT);
	expect("copyout to read-only code", sys_copyout((void *)(unsigned long)main, 8, 0), -SYS_EFAULT);
	expect("strlen kernel pointer", sys_strlen(KPTR, 16), -SYS_EFAULT);
	expect("strlen unmapped", sys_strlen(UNMAPPED, 16), -SYS_EFAULT);
	expect("strlen no NUL", sys_strlen("abcdef", 3), -SYS_E2BIG);
	expect("strlen", sys_strlen("abcdef", 16), 6);
	expect("map kernel half", sys_map(KPTR, 4096, 0), -SYS_EFAULT);
	expect("map crossing into the hole", sys_map((char *)(LOW_END - 4096), 8192, 0), -SYS_EFAULT);
	expect("map misaligned", sys_map(page + 1, 4096, 0), -SYS_EINVAL);
	expect("map write+exec", sys_map(page, 4096, SYS_PROT_WRITE | SYS_PROT_EXEC), -SYS_EINVAL);
	expect("map", sys_map(page, 8192, SYS_PROT_WRITE), 0);
	expect("map again", sys_map(page, 4096, 0), -SYS_EEXIST);
	/* a copy that runs off the end of the mapping into a hole */
	expect("copyin into a hole", sys_copyin(page + 8192 - 16, 32), -SYS_EFAULT);
	page[0] = 'x';
	expect("unmap", sys_unmap(page, 8192), 0);
	expect("unmap kernel half", sys_unmap(KPTR, 4096), -SYS_EFAULT);
	expect("unknown call", syscall3(999, 0, 0, 0), -SYS_ENOSYS);
	expect("negative call", syscall3(-1, 0, 0, 0), -SYS_ENOSYS);
	report("sysbad: wrong", wrong);
	return wrong + arg;
}
