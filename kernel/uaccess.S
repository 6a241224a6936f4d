/*
 * uaccess.S - the raw user copies of uaccess.h, with their exception-table
 * entries (section __ex_table: pairs of faulting instruction, fixup).
 * stac/clac only when the CPU has SMAP (entry_smap), since they are
 * invalid opcodes elsewhere.
 */
#include "sysabi.h"

	.macro SMAP_ALLOW
	cmpb $0, entry_smap(%rip)
	je 98f
	stac
98:
	.endm
	.macro SMAP_DENY
	cmpb $0, entry_smap(%rip)
	je 99f
	clac
99:
	.endm

	.text
/* long uaccess_copy(void *dst, const void *src, uint64_t n) */
	.globl uaccess_copy
uaccess_copy:
	SMAP_ALLOW
	movq %rdx, %rcx
copy_insn:
	rep movsb
	xorl %eax, %eax
copy_out:
	SMAP_DENY
	ret
copy_fault:
	movq $-SYS_EFAULT, %rax
	jmp copy_out

/* long uaccess_strncpy(char *dst, const char *src, uint64_t n) */
	.globl uaccess_strncpy
uaccess_strncpy:
	SMAP_ALLOW
	xorl %eax, %eax
1:	cmpq %rdx, %rax
	je 3f
strn_insn:
	movb (%rsi,%rax), %cl
	movb %cl, (%rdi,%rax)
	testb %cl, %cl
	jz strn_out
	incq %rax
	jmp 1b
3:	movq $-SYS_E2BIG, %rax
strn_out:
	SMAP_DENY
	ret
strn_fault:
	movq $-SYS_EFAULT, %rax
	jmp strn_out

	.section __ex_table, "a"
	.quad copy_insn, copy_fault
	.quad strn_insn, strn_fault

	.section .note.GNU-stack, "", @progbits
