/*
 * elf.c - check and load the embedded kernel ELF.
 *
 * The kernel is our own build output, but it is still checked as if it
 * were foreign: a truncated or mislinked image must stop the boot with a
 * message, not load garbage. Each PT_LOAD segment gets its own frames and
 * its permissions from p_flags; a segment both writable and executable is
 * refused (W^X).
 */
#include "elf64.h"
#include "loader.h"

extern const uint8_t kernel_elf_start[], kernel_elf_end[];

static const struct elf64_ehdr *check_header(uint64_t size)
{
	const struct elf64_ehdr *eh = (const void *)kernel_elf_start;

	if (size < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->elf_class != ELFCLASS64 ||
	    eh->data != ELFDATA2LSB)
		fail(EFI_SUCCESS, "embedded kernel is not a 64-bit little-endian ELF");
	if (eh->type != ET_EXEC || eh->machine != EM_X86_64)
		fail(EFI_SUCCESS, "embedded kernel is not an x86_64 executable");
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 ||
	    eh->phoff > size || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff)
		fail(EFI_SUCCESS, "embedded kernel has a bad program header table");
	return eh;
}

static uint32_t map_flags_of(const struct elf64_phdr *ph)
{
	uint32_t f = MAP_GLOBAL | MAP_CACHE(CACHE_WB);
	if (ph->flags & PF_W)
		f |= MAP_WRITE;
	if (ph->flags & PF_X)
		f |= MAP_EXEC;
	return f;
}

static void check_segment(const struct elf64_phdr *ph, uint64_t size, unsigned i)
{
	if (ph->filesz > ph->memsz || ph->offset > size || ph->filesz > size - ph->offset)
		fail(EFI_SUCCESS, "kernel segment %u lies outside the image", i);
	if (ph->vaddr < KERNEL_BASE || ph->memsz > 0 - ph->vaddr || ph->memsz == 0)
		fail(EFI_SUCCESS, "kernel segment %u at %lx is outside the top 2 GiB", i, ph->vaddr);
	if ((ph->vaddr ^ ph->offset) & (PAGE_SIZE - 1))
		fail(EFI_SUCCESS, "kernel segment %u is not page-congruent", i);
	if ((ph->flags & PF_W) && (ph->flags & PF_X))
		fail(EFI_SUCCESS, "kernel segment %u is writable and executable (W^X)", i);
}

void load_kernel(struct handoff *h)
{
	uint64_t size = (uint64_t)(kernel_elf_end - kernel_elf_start);
	const struct elf64_ehdr *eh = check_header(size);
	const struct elf64_phdr *ph = (const void *)(kernel_elf_start + eh->phoff);
	bool entry_ok = false;

	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		check_segment(&ph[i], size, i);
		if (h->segment_count >= HANDOFF_MAX_SEGMENTS)
			fail(EFI_SUCCESS, "kernel has more than %u segments", HANDOFF_MAX_SEGMENTS);
		vaddr_t va = ALIGN_DOWN(ph[i].vaddr, PAGE_SIZE);
		uint64_t bytes = ALIGN_UP(ph[i].vaddr + ph[i].memsz, PAGE_SIZE) - va;
		for (unsigned k = 0; k < h->segment_count; k++) {
			const struct handoff_segment *s = &h->segments[k];
			if (va < s->va + s->size && s->va < va + bytes)
				fail(EFI_SUCCESS, "kernel segments %u and %u overlap", k, i);
		}
		paddr_t pa = fw_alloc_pages(bytes / PAGE_SIZE, 0, "a kernel segment");
		/* Copy the file part, zero the rest (head padding and bss). */
		uint64_t head = ph[i].vaddr - va;
		fast_zero((void *)pa, head);
		fast_copy((void *)(pa + head), kernel_elf_start + ph[i].offset, ph[i].filesz);
		fast_zero((void *)(pa + head + ph[i].filesz), bytes - head - ph[i].filesz);
		h->segments[h->segment_count++] = (struct handoff_segment){
			.va = va, .pa = pa, .size = bytes, .flags = map_flags_of(&ph[i]) };
		reserve(h, pa, pa + bytes, FRAME_RES_KERNEL);
		if (eh->entry >= ph[i].vaddr && eh->entry < ph[i].vaddr + ph[i].memsz && (ph[i].flags & PF_X))
			entry_ok = true;
	}
	if (!entry_ok)
		fail(EFI_SUCCESS, "kernel entry %lx is not in an executable segment", eh->entry);
	h->kernel_entry = eh->entry;
}
