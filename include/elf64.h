/*
 * elf64.h - the parts of the ELF-64 format Carto reads: the file header and
 * the program headers (System V ABI, "ELF-64 Object File Format"). The
 * loader reads the kernel's image with them (efi/loader/elf.c), the kernel
 * its user programs (kernel/proc.c). Both check every field they use; this
 * header only says where the fields are.
 */
#ifndef CARTO_ELF64_H
#define CARTO_ELF64_H

#include "types.h"

#define ELF_MAGIC   0x464c457fu   /* "\x7fELF", read as a little-endian word */
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define EM_X86_64   62
#define PT_LOAD     1
#define PF_X        1u
#define PF_W        2u

struct elf64_ehdr {
	uint32_t magic;
	uint8_t elf_class, data, version, osabi, pad[8];
	uint16_t type, machine;
	uint32_t version2;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF-64 file header is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF-64 program header is 56 bytes");

#endif
