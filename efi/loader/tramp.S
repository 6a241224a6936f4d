/*
 * tramp.S - the last loader code: copied into its own page, which is
 * identity-mapped in both the firmware's tables and Carto's, so execution
 * continues across the CR3 switch.
 *
 *   void trampoline(vaddr_t handoff_va  (%rdi, passed on to the kernel),
 *                   paddr_t pml4        (%rsi),
 *                   vaddr_t entry       (%rdx),
 *                   vaddr_t stack_top   (%rcx));
 * Interrupts must be off. Never returns.
 */
	.text
	.globl tramp_start, tramp_end
	.balign 16
tramp_start:
	movq %rsi, %cr3
	movq %rcx, %rsp
	xorl %ebp, %ebp
	pushq $0                /* fake return address: ends backtraces */
	jmpq *%rdx
tramp_end:
	.section .note.GNU-stack, "", @progbits
