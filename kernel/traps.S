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
 *
 * User mode (kernel/proc.h): this file is the entry area's code
 * (.entry.text, kernel/aspace.h), the only kernel code an isolated
 * process's tables map. From ring 3 the CPU switches to the entry stack
 * (TSS.RSP0); `syscall` (syscall_entry, LSTAR) switches to it by hand and
 * builds the same frame with vector SYSCALL_VECTOR. On entry from ring 3
 * SMAP's AC flag is cleared and, for an isolated process, CR3 becomes the
 * process's kernel-view tables (entry_kernel_cr3); on the way back CR3
 * becomes its user tables (entry_user_cr3) just before iretq/sysretq.
 * Each CR3 write flushes the non-global TLB entries (no PCID). sysretq is
 * used only for a frame of vector SYSCALL_VECTOR whose RIP the C code has
 * checked canonical (proc.c): sysret to a non-canonical RIP faults in
 * ring 0 on Intel CPUs.
 */
#include "arch.h"

/* The 15 general registers of struct trap_frame, in its order (arch.h):
 * pushed on every entry, popped on every exit. */
.macro PUSH_REGS
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
.endm
.macro POP_REGS
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
.endm

/* Exceptions for which the CPU pushes an error code. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
			   (v) == 21 || (v) == 29 || (v) == 30)

	.section .rodata
	.p2align 3
	.globl trap_stub_table
trap_stub_table:

	.section .entry.text, "ax"
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
	PUSH_REGS
	cld
	testb $3, FRAME_CS(%rsp)
	jz 1f
	cmpb $0, entry_smap(%rip)
	je 2f
	clac
2:	cmpb $0, entry_isolated(%rip)
	je 1f
	movq entry_kernel_cr3(%rip), %rax
	movq %rax, %cr3
1:	movq %rsp, %rdi
	call trap_dispatch

/* trap_exit: leave through the frame at RSP (user_enter jumps here). */
	.globl trap_exit
trap_exit:
	testb $3, FRAME_CS(%rsp)
	jz 3f
	cmpb $0, entry_isolated(%rip)
	je 3f
	movq entry_user_cr3(%rip), %rax
	movq %rax, %cr3
3:	cmpq $SYSCALL_VECTOR, FRAME_VECTOR(%rsp)
	je syscall_exit
	POP_REGS
	addq $16, %rsp          /* vector and error code */
	iretq

/* Back to user mode from a system call: RCX = RIP, R11 = RFLAGS. */
syscall_exit:
	POP_REGS
	movq 16(%rsp), %rcx     /* rip */
	movq 32(%rsp), %r11     /* rflags */
	movq 40(%rsp), %rsp     /* the user stack; interrupts are off */
	sysretq

/* syscall_entry (LSTAR): FMASK has cleared IF, so nothing runs before the
 * stack switch. Builds a struct trap_frame on the entry stack. */
	.globl syscall_entry
syscall_entry:
	movq %rsp, entry_user_rsp(%rip)
	leaq entry_stack_top(%rip), %rsp
	pushq $SEL_UDATA
	pushq entry_user_rsp(%rip)
	pushq %r11
	pushq $SEL_UCODE
	pushq %rcx
	pushq $0
	pushq $SYSCALL_VECTOR
	jmp trap_common

/* void user_enter(const struct trap_frame *f): copy *f to the top of the
 * entry stack and leave to user mode through it. Does not return. */
	.globl user_enter
user_enter:
	leaq entry_stack_top(%rip), %rsp
	subq $FRAME_SIZE, %rsp
	movq %rdi, %rsi
	movq %rsp, %rdi
	movl $FRAME_SIZE / 8, %ecx
	rep movsq
	jmp trap_exit

/* The entry area's data: read and written on entry and exit. */
	.section .entry.data, "aw"
	.p2align 12
	.globl entry_stack_top
entry_stack:
	.skip ENTRY_STACK_SIZE
entry_stack_top:
	.globl entry_kernel_cr3, entry_user_cr3, entry_isolated, entry_smap
entry_user_rsp:   .quad 0
entry_kernel_cr3: .quad 0
entry_user_cr3:   .quad 0
entry_isolated:   .byte 0
entry_smap:       .byte 0

	.text
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
