/* crt0.S - a user program's entry: main(arg) with RDI as the kernel set
 * it, then SYS_EXIT with main's result. */
#include "sysabi.h"
	.section .text.start, "ax"
	.globl _start
_start:
	andq $-16, %rsp
	call main
	movq %rax, %rdi
	movl $SYS_EXIT, %eax
	syscall
	ud2
	.section .note.GNU-stack, "", @progbits
