/*
 * efirt.S - the stack switch of every EFI runtime call (kernel/efirt.c).
 *
 * uint64_t efirt_switch(efirt_fn fn, uint64_t a0, uint64_t a1, uint64_t a2,
 *                       uint64_t a3, uint64_t stack_top)
 *
 * Saves the System V callee-saved registers on the caller's stack and that
 * stack pointer in efirt_saved_rsp, moves to @stack_top (16-byte aligned),
 * and calls @fn with the UEFI (Microsoft x64) convention: a0..a3 in RCX,
 * RDX, R8, R9, 32 bytes of shadow space above the return address, the
 * direction flag clear. The firmware preserves RBX, RBP, RDI, RSI, R12-R15
 * by that convention, but nothing of it is trusted: everything is restored
 * from the saved stack.
 *
 * efirt_fault_resume is where the trap hook (efirt.c) resumes after an
 * exception inside the call, with RSP = efirt_saved_rsp: it returns
 * EFIRT_STATUS_FAULT to efirt_switch's caller through the same epilogue.
 */
#define EFIRT_STATUS_FAULT 0x8000000000000015

	.text
	.globl efirt_switch
efirt_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, efirt_saved_rsp(%rip)
	movq %rdi, %rax         /* fn */
	movq %r9, %rsp          /* the runtime stack */
	subq $32, %rsp          /* shadow space; RSP stays 16-byte aligned */
	movq %r8, %r9           /* a3 */
	movq %rcx, %r8          /* a2 (a1 is already in RDX) */
	movq %rsi, %rcx         /* a0 */
	cld
	call *%rax
efirt_epilogue:
	movq efirt_saved_rsp(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.globl efirt_fault_resume
efirt_fault_resume:
	movabsq $EFIRT_STATUS_FAULT, %rax
	jmp efirt_epilogue

	.bss
	.p2align 3
	.globl efirt_saved_rsp
efirt_saved_rsp:
	.quad 0

	.section .note.GNU-stack, "", @progbits
