/*
 * traps.S - the entry stubs of all 256 IDT vectors and the common path.
 *
 * Each stub makes the stack look the same whatever the vector: it pushes
 * a zero where the CPU pushes no error code, then the vector number, and
 * jumps to trap_common, which saves the general registers (struct
 * trap_frame in arch.h), calls trap_dispatch(frame) and, if that returns,
 * restores them and irets.
 *
 * trap_stub_table (in .rodata) holds the address of stub i at index i.
 *
 * Stack alignment: the CPU aligns RSP to 16 before pushing its 5-word
 * frame; with error code, vector and 15 registers the frame is 22 words,
 * so RSP is 16-aligned again at the call, as the C ABI wants.
 */
#include "arch.h"

/* Exceptions for which the CPU pushes an error code. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
			   (v) == 21 || (v) == 29 || (v) == 30)

	.section .rodata
	.p2align 3
	.globl trap_stub_table
trap_stub_table:

	.text
	.set vec, 0
	.rept IDT_VECTORS
	.p2align 4
1:
	.if !HAS_ERROR_CODE(vec)
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.pushsection .rodata
	.quad 1b
	.popsection
	.set vec, vec + 1
	.endr

	.p2align 4
trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp          /* vector and error code */
	iretq

/* void gdt_reload_segments(uint64_t code, uint64_t data) */
	.globl gdt_reload_segments
gdt_reload_segments:
	movw %si, %ds
	movw %si, %es
	movw %si, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	popq %rax               /* return address */
	pushq %rdi              /* new CS */
	pushq %rax
	lretq                   /* "return" into the new code segment */

	.section .note.GNU-stack, "", @progbits
