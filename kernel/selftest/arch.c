/*
 * arch.c - self-tests of the CPU tables and the trap path
 * (arch.h): the tables are loaded, the kernel stacks have their guard
 * pages, and a breakpoint, a page fault, an invalid opcode and a general
 * protection fault all reach the C handler with a correct frame and can
 * be resumed from a test hook.
 */
#include "arch.h"
#include "cpu.h"
#include "klib.h"
#include "kspace.h"
#include "pt.h"
#include "selftest.h"

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

SELFTEST(arch_tables_loaded)
{
	struct desc_ptr gdtr, idtr;
	uint16_t tr, cs, ss;

	__asm__ volatile("sgdt %0; sidt %1; str %2; mov %%cs, %3; mov %%ss, %4"
			 : "=m"(gdtr), "=m"(idtr), "=r"(tr), "=r"(cs), "=r"(ss));
	ST_CHECK(gdtr.limit == 7 * 8 - 1, "GDT limit %#x", gdtr.limit);
	ST_CHECK(idtr.limit == IDT_VECTORS * 16 - 1, "IDT limit %#x", idtr.limit);
	ST_CHECK(tr == SEL_TSS, "TR %#x", tr);
	ST_CHECK(cs == SEL_KCODE && ss == SEL_KDATA, "CS %#x SS %#x", cs, ss);
	ST_CHECK(read_cr0() & CR0_WP, "CR0.WP clear: the kernel could write read-only pages");
	ST_CHECK(!(read_rflags() & RFLAGS_IF), "interrupts are on");
}

SELFTEST(kernel_stacks_and_guards)
{
	const struct pt_space *as = kernel_space();
	uint64_t rsp, size;
	uint32_t flags;
	paddr_t pa;

	__asm__ volatile("movq %%rsp, %0" : "=r"(rsp));
	ST_CHECK(rsp >= KSTACK_BOTTOM(0) && rsp < KSTACK_TOP(0), "running on %lx, not stack 0", rsp);
	if (!ST_CHECK(as && as->root, "no kernel address space"))
		return;
	for (int i = 0; i < KSTACK_COUNT; i++) {
		for (uint64_t va = KSTACK_BOTTOM(i); va < KSTACK_TOP(i); va += PAGE_SIZE) {
			int r = pt_translate(as, va, &pa, &size, &flags);
			ST_CHECK(r == E_OK && (flags & MAP_WRITE) && !(flags & MAP_EXEC),
				 "stack %d page %lx: %s, flags %#x", i, va, status_name(r), flags);
		}
		ST_CHECK(pt_translate(as, KSTACK_BOTTOM(i) - PAGE_SIZE, &pa, NULL, NULL) == E_NOENT,
			 "stack %d guard page %lx is mapped", i, KSTACK_BOTTOM(i) - PAGE_SIZE);
	}
}

SELFTEST(stack_guard_classifier)
{
	ST_CHECK(kstack_guard_hit(KSTACK_BOTTOM(0) - 8) == 0, "inside guard page 0");
	ST_CHECK(kstack_guard_hit(KSTACK_BOTTOM(0) + 16) == 0, "bottom page of stack 0");
	ST_CHECK(kstack_guard_hit(KSTACK_BOTTOM(2) - PAGE_SIZE) == 2, "first byte of guard 2");
	ST_CHECK(kstack_guard_hit(KSTACK_BOTTOM(1) + PAGE_SIZE) == -1, "second page of stack 1");
	ST_CHECK(kstack_guard_hit(KSTACK_TOP(0) - 8) == -1, "top of stack 0");
	ST_CHECK(kstack_guard_hit(KERNEL_BASE) == -1, "kernel image");
}

SELFTEST(trap_error_decoding)
{
	char b[96];

	trap_describe_error(VEC_PF, PF_ERR_W, b, sizeof(b));
	ST_CHECK(strcmp(b, "page not present, write, kernel mode") == 0, "#PF 0x2: \"%s\"", b);
	trap_describe_error(VEC_PF, PF_ERR_P | PF_ERR_I | PF_ERR_U | PF_ERR_RSVD, b, sizeof(b));
	ST_CHECK(strcmp(b, "protection violation, instruction fetch, user mode, "
			"reserved bit set") == 0, "#PF 0x1d: \"%s\"", b);
	trap_describe_error(VEC_GP, SEL_TSS | SEL_ERR_EXT, b, sizeof(b));
	ST_CHECK(strcmp(b, "selector 0x29: index 5 in GDT, external event") == 0, "#GP: \"%s\"", b);
	trap_describe_error(VEC_NP, (VEC_PF << SEL_ERR_INDEX_SHIFT) | SEL_ERR_IDT, b, sizeof(b));
	ST_CHECK(strcmp(b, "selector 0x72: index 14 in IDT (vector 14)") == 0, "#NP: \"%s\"", b);
	trap_describe_error(VEC_UD, 0, b, sizeof(b));
	ST_CHECK(b[0] == '\0', "#UD has no error code: \"%s\"", b);
	ST_CHECK(strcmp(exc_name(VEC_DF), "double fault") == 0, "name of vector 8");
}

SELFTEST(pte_decoding)
{
	char b[96];

	pte_describe(0x1000 | PTE_P | PTE_W | PTE_NX, 1, b, sizeof(b));
	ST_CHECK(strcmp(b, "P W NX -> 0x1000 (4K page)") == 0, "4K leaf: \"%s\"", b);
	pte_describe(0x40000000ull | PTE_PATLG | PTE_PS | PTE_P | PTE_G, 3, b, sizeof(b));
	ST_CHECK(strcmp(b, "P G PS PAT -> 0x40000000 (1G page)") == 0, "1G leaf: \"%s\"", b);
	pte_describe(0x7000 | PTE_P | PTE_W | PTE_A, 4, b, sizeof(b));
	ST_CHECK(strcmp(b, "P W A -> 0x7000") == 0, "table entry: \"%s\"", b);
	pte_describe(0x7000, 2, b, sizeof(b));
	ST_CHECK(strcmp(b, "not present") == 0, "empty entry: \"%s\"", b);
}

/* ---- traps resumed from a hook ------------------------------------------- */


struct st_caught seen;

/* Record the trap, load RAX and continue at the address the test left in
 * RDX (the instruction after the one that trapped). */
static bool resume_hook(struct trap_frame *f)
{
	seen.hits++;
	seen.vector = f->vector;
	seen.error = f->error;
	seen.cr2 = read_cr2();
	seen.rip = f->rip;
	seen.resume = f->rdx;
	f->rax = HOOK_RAX;
	f->rip = f->rdx;
	return true;
}

void st_catch_begin(void)
{
	memset(&seen, 0, sizeof(seen));
	trap_set_hook(resume_hook);
}

const struct st_caught *st_catch_end(void)
{
	trap_set_hook(NULL);
	return &seen;
}

const struct st_caught *st_try_read(vaddr_t va, uint64_t *value)
{
	uint64_t rax = 0;

	st_catch_begin();
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "movq (%%rcx), %%rax\n"
			 "1:"
			 : "+a"(rax) : "c"(va) : "rdx", "memory");
	*value = rax;
	return st_catch_end();
}

const struct st_caught *st_try_write(vaddr_t va, uint64_t value)
{
	st_catch_begin();
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "movq %%rax, (%%rcx)\n"
			 "1:"
			 : "+a"(value) : "c"(va) : "rdx", "memory");
	return st_catch_end();
}

SELFTEST(trap_breakpoint_resumes)
{
	uint64_t rax = 0, r12 = 0x1122334455667788ull;

	st_catch_begin();
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
			 "int3\n"
			 "1:"
			 : "+a"(rax), "+r"(r12) : : "rdx", "memory");
	trap_set_hook(NULL);
	ST_CHECK(seen.hits == 1 && seen.vector == VEC_BP, "hits %u vector %lu", seen.hits,
		 seen.vector);
	ST_CHECK(seen.rip == seen.resume, "#BP is a trap: rip %lx, want the next instruction %lx",
		 seen.rip, seen.resume);
	ST_CHECK(rax == HOOK_RAX, "RAX from the frame not restored: %lx", rax);
	ST_CHECK(r12 == 0x1122334455667788ull, "R12 clobbered: %lx", r12);
}

SELFTEST(trap_page_fault_reported)
{
	uint64_t rax = 0;
	const struct st_caught *c = st_try_read(SELFTEST_UNMAPPED_VA, &rax);

	ST_CHECK(c->hits == 1 && c->vector == VEC_PF, "hits %u vector %lu", c->hits, c->vector);
	ST_CHECK(c->cr2 == SELFTEST_UNMAPPED_VA, "CR2 %lx", c->cr2);
	ST_CHECK(c->error == 0, "error %#lx, want not present, read, kernel", c->error);
	ST_CHECK(c->rip < c->resume, "#PF is a fault: rip %lx should be before %lx",
		 c->rip, c->resume);
	ST_CHECK(rax == HOOK_RAX, "RAX %lx", rax);
}

SELFTEST(trap_invalid_opcode_and_gp)
{
	uint64_t rax = 0;

	st_catch_begin();
	__asm__ volatile("leaq 1f(%%rip), %%rdx\n\tud2\n1:" : "+a"(rax) : : "rdx", "memory");
	ST_CHECK(seen.hits == 1 && seen.vector == VEC_UD, "ud2: hits %u vector %lu", seen.hits,
		 seen.vector);

	/* A non-canonical address raises #GP with error code 0. */
	const struct st_caught *c = st_try_read(0x8000000000000000ull, &rax);
	ST_CHECK(c->hits == 1 && c->vector == VEC_GP && c->error == 0,
		 "non-canonical read: hits %u vector %lu error %#lx", c->hits, c->vector, c->error);
}
