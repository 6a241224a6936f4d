/*
 * userprogs.S - the user programs (the files of user/, built by the Makefile into
 * build/user/NAME.elf), embedded in the kernel image the way the loader
 * embeds the kernel (efi/loader/blob.S), and their table (proc.h
 * struct user_prog, ended by a NULL name).
 */
	.macro PROG name
	.section .rodata.user_elf, "a"
	.balign 4096
user_elf_\name:
	.incbin "build/user/\name\().elf"
user_elf_end_\name:
	.section .rodata.user_names, "a"
user_name_\name:
	.asciz "\name"
	.section .rodata.user_progs, "a"
	.quad user_name_\name, user_elf_\name, user_elf_end_\name
	.endm

	.section .rodata.user_progs, "a"
	.balign 8
	.globl user_progs
user_progs:
	PROG hello
	PROG spin
	PROG bad
	PROG sysbad
	PROG ubench
	PROG busy
	.section .rodata.user_progs, "a"
	.quad 0, 0, 0

	.section .note.GNU-stack, "", @progbits
