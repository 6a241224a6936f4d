/* blob.S - the kernel ELF, embedded in the loader so one file boots. */
	.section .rodata
	.balign 4096
	.globl kernel_elf_start, kernel_elf_end
kernel_elf_start:
	.incbin KERNEL_ELF
kernel_elf_end:
	.section .note.GNU-stack, "", @progbits
