/*
 * entry.S - the first instructions of every Carto EFI application
 * (BOOTX64.EFI and memmap.efi): make SSE usable, then enter gnu-efi's
 * _start (self-relocation, then efi_main).
 *
 * Why: the loader's C code and gnu-efi's libefi.a are compiled for x86_64,
 * whose ABI includes SSE2, and the compiler emits SSE instructions (block
 * copies, zeroing, struct moves) wherever it likes. The UEFI specification
 * (2.3.4, x64 platforms) says the firmware hands over with the x87 control
 * word at 0x037F and MXCSR at 0x1F80, which presumes SSE is enabled, but
 * not every implementation does it: U-Boot's UEFI on x86 leaves CR4.OSFXSR
 * clear, and the first SSE instruction then raises #UD before anything is
 * printed. We cannot promise that no SSE instruction is reachable (libefi.a
 * is Debian's build), so we set the state up ourselves, here, before any
 * compiled code runs:
 *
 *   CR0.EM = 0, CR0.TS = 0   no x87/SSE emulation trap, no lazy-switch trap
 *   CR0.MP = 1               WAIT honours TS (the documented pairing)
 *   CR4.OSFXSR = 1           SSE instructions and FXSAVE/FXRSTOR allowed
 *   CR4.OSXMMEXCPT = 1       unmasked SIMD exceptions give #XM, not #UD
 *   FNINIT                   x87 control word 0x037F, empty register stack
 *   LDMXCSR 0x1F80           all SIMD exceptions masked, round to nearest
 *
 * Every x86_64 CPU has SSE, SSE2 and FXSR, so there is nothing to probe.
 * These bits only enable what the specification already promises, so the
 * firmware is left in a state it must accept if the application returns.
 * The kernel itself is built without SSE (-mgeneral-regs-only) and does not
 * depend on any of this.
 *
 * Registers on entry (MS x64 ABI): RCX = image handle, RDX = system table,
 * RSP = 8 mod 16 (return address pushed). Only RAX (volatile) is used and
 * RSP is restored, so _start sees exactly what the firmware passed.
 */
#define CR0_MP		(1 << 1)
#define CR0_EM		(1 << 2)
#define CR0_TS		(1 << 3)
#define CR4_OSFXSR	(1 << 9)
#define CR4_OSXMMEXCPT	(1 << 10)
#define MXCSR_DEFAULT	0x1f80

	.text
	.globl	carto_efi_entry
	.type	carto_efi_entry, @function
carto_efi_entry:
	mov	%cr0, %rax
	and	$~(CR0_EM | CR0_TS), %rax
	or	$CR0_MP, %rax
	mov	%rax, %cr0
	mov	%cr4, %rax
	or	$(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
	mov	%rax, %cr4
	fninit
	pushq	$MXCSR_DEFAULT
	ldmxcsr	(%rsp)
	add	$8, %rsp
	jmp	_start
	.size	carto_efi_entry, . - carto_efi_entry

	.section .note.GNU-stack, "", @progbits
