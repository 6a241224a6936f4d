/*
 * sysabi.h - Carto's system-call ABI: the one header the kernel
 * (kernel/syscall.c) and the user programs (user/) both include.
 *
 * Calling convention (the `syscall` instruction):
 *   RAX  call number (SYS_*)
 *   RDI, RSI, RDX, R10, R8, R9   arguments 1..6
 *   RAX  result: >= 0 success, -SYS_E* on error
 *   RCX and R11 are clobbered (the CPU puts the return RIP and RFLAGS
 *   there); every other register is preserved.
 *
 * Pointers are user addresses: the kernel reads and writes them only
 * through copy_from_user/copy_to_user/strncpy_from_user, which refuse any
 * range not wholly in the lower half [0, 0x800000000000) (a kernel
 * pointer, a range that wraps or crosses into the kernel half, a huge
 * length) and turn a fault on an unmapped page into -SYS_EFAULT.
 *
 * A process starts at its ELF entry point with RDI = the argument its
 * spawner gave, RSP = the top of its stack (USER_STACK_TOP in
 * memlayout.h; 64 KiB, a guard page below), interrupts on in user mode
 * when scheduling is preemptive (the LAPIC timer ends a turn after its
 * time slice; off when it is cooperative: kernel/proc.h), and no FPU/SSE
 * state of its own (programs are built with -mgeneral-regs-only).
 * SYS_YIELD ends the turn early.
 */
#ifndef CARTO_SYSABI_H
#define CARTO_SYSABI_H

/* Call numbers. */
#define SYS_NULL    0   /* () -> 0: does nothing (the null-syscall benchmark) */
#define SYS_WRITE   1   /* (const char *buf, size_t len) -> len: print on the console;
			 * len <= SYS_WRITE_MAX */
#define SYS_EXIT    2   /* (long status) -> does not return */
#define SYS_MAP     3   /* (void *va, size_t size, unsigned prot) -> 0: map fresh zeroed
			 * anonymous memory at va (page aligned, lower half, not mapped);
			 * prot SYS_PROT_* (not WRITE and EXEC together) */
#define SYS_UNMAP   4   /* (void *va, size_t size) -> 0: unmap (page aligned, lower half;
			 * holes are fine) and free the memory */
#define SYS_YIELD   5   /* () -> 0: let the other processes run */
#define SYS_GETPID  6   /* () -> the process id (>= 1) */
#define SYS_COPYIN  7   /* (const void *buf, size_t len) -> the sum of its whole
			 * 64-bit words (bytes past len/8*8 left out) & SYS_COPYIN_SUM_MASK:
			 * copy_from_user of len <= SYS_COPY_MAX bytes */
#define SYS_COPYOUT 8   /* (void *buf, size_t len, unsigned byte) -> 0: copy_to_user
			 * of len <= SYS_COPY_MAX bytes of the value byte */
#define SYS_STRLEN  9   /* (const char *s, size_t max) -> length: strncpy_from_user
			 * into a kernel buffer; max <= SYS_COPY_MAX; -SYS_E2BIG if no
			 * NUL within max bytes */
#define SYS_CALLS   10

#define SYS_COPYIN_SUM_MASK 0x7fffffffffffffffull
#define SYS_WRITE_MAX 4096
#define SYS_COPY_MAX  4096

/* SYS_MAP protections (readable is implied). */
#define SYS_PROT_READ  0u
#define SYS_PROT_WRITE 1u
#define SYS_PROT_EXEC  2u
#define SYS_MAP_LAZY   4u   /* no frames yet: each page gets its zeroed frame on the
			     * process's first touch (a user page fault the kernel
			     * serves: the user-pagefault benchmark) */

/* Error numbers, returned negated. */
#define SYS_EFAULT  14  /* a pointer or range outside the lower half, or unmapped */
#define SYS_EEXIST  17  /* SYS_MAP over a mapped page */
#define SYS_EINVAL  22  /* a bad argument (alignment, flags, length) */
#define SYS_E2BIG   7   /* a length above the call's maximum; no NUL in range */
#define SYS_ENOMEM  12  /* no memory */
#define SYS_ENOSYS  38  /* unknown call number */

#endif
