/*
 * arch.c - GDT, TSS, IDT and the exception reporter (see arch.h).
 */
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "klib.h"
#include "kspace.h"
#include "memlayout.h"
#include "monitor.h"
#include "panic.h"
#include "pt.h"

_Static_assert(sizeof(struct trap_frame) == 22 * 8, "traps.S pushes 22 words");
_Static_assert(__builtin_offsetof(struct trap_frame, vector) == 15 * 8, "15 registers first");
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == 17 * 8, "CPU frame after error code");

/* ---- GDT and TSS ---------------------------------------------------------- */

/* Segment descriptors: in long mode only the access byte and the L/D bits
 * matter for code and data; base and limit are ignored. The accessed bit
 * is preset so the CPU never has to write it. */
#define DESC_KCODE64 0x00af9b000000ffffull   /* P, DPL0, code R, L=1, G */
#define DESC_KDATA   0x00cf93000000ffffull   /* P, DPL0, data W, D=1, G */
#define DESC_UDATA   0x00cff3000000ffffull   /* as kernel data, DPL3 */
#define DESC_UCODE64 0x00affb000000ffffull   /* as kernel code, DPL3 */
#define TSS_TYPE_AVAILABLE 0x89ull           /* P, DPL0, 64-bit TSS (available) */

enum gdt_slot { GDT_NULL, GDT_KCODE, GDT_KDATA, GDT_UDATA, GDT_UCODE, GDT_TSS_LO, GDT_TSS_HI,
		GDT_SLOTS };
_Static_assert(SEL_KCODE == GDT_KCODE * 8 && SEL_KDATA == GDT_KDATA * 8 &&
	       (SEL_UDATA & ~3) == GDT_UDATA * 8 && (SEL_UCODE & ~3) == GDT_UCODE * 8 &&
	       SEL_TSS == GDT_TSS_LO * 8, "selectors match GDT slots");

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];              /* stack for a switch to ring 0..2 */
	uint64_t reserved1;
	uint64_t ist[7];              /* IST1..IST7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;          /* past the limit: no I/O bitmap */
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS layout");

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Written by the CPU (TSS busy bit): keep in writable data. In the entry
 * area (aspace.h), which isolated processes' tables map too. */
#define ENTRY_DATA __attribute__((section(".entry.data")))
static uint64_t gdt[GDT_SLOTS] __attribute__((aligned(16))) ENTRY_DATA;
static struct tss tss __attribute__((aligned(16))) ENTRY_DATA;
extern char entry_stack_top[];   /* traps.S */

/* The kernel stack each IST slot uses (stack 0 is the boot stack). */
static const unsigned ist_stack[] = {
	[IST_DOUBLE_FAULT] = 1, [IST_NMI] = 2, [IST_MACHINE_CHECK] = 3,
};
_Static_assert(ARRAY_SIZE(ist_stack) == KSTACK_IST_END, "IST slots and IST stacks agree");

static void tss_descriptor(uint64_t base, uint32_t limit, uint64_t *lo, uint64_t *hi)
{
	*lo = (limit & 0xffffull) | ((base & 0xffffffull) << 16) | (TSS_TYPE_AVAILABLE << 40) |
	      ((uint64_t)(limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	*hi = base >> 32;
}

static void gdt_build(void)
{
	gdt[GDT_NULL] = 0;
	gdt[GDT_KCODE] = DESC_KCODE64;
	gdt[GDT_KDATA] = DESC_KDATA;
	gdt[GDT_UDATA] = DESC_UDATA;
	gdt[GDT_UCODE] = DESC_UCODE64;
	tss_descriptor((uintptr_t)&tss, sizeof(tss) - 1, &gdt[GDT_TSS_LO], &gdt[GDT_TSS_HI]);
}

static void tss_build(void)
{
	memset(&tss, 0, sizeof(tss));
	tss.rsp[0] = (uintptr_t)entry_stack_top;   /* entries from ring 3 */
	for (unsigned i = 1; i < ARRAY_SIZE(ist_stack); i++)
		tss.ist[i - 1] = KSTACK_TOP(ist_stack[i]);
	tss.iomap_base = sizeof(tss);
}

/* ---- IDT ----------------------------------------------------------------- */

#define GATE_INTERRUPT 0x8eu     /* P, DPL0, 64-bit interrupt gate (IF cleared) */

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16))) ENTRY_DATA;
extern const uint64_t trap_stub_table[IDT_VECTORS];   /* traps.S */

static void idt_set_gate(unsigned vec, uint64_t handler, unsigned ist)
{
	struct idt_gate *g = &idt[vec];

	g->offset_lo = (uint16_t)handler;
	g->selector = SEL_KCODE;
	g->ist = (uint8_t)ist;
	g->type = GATE_INTERRUPT;
	g->offset_mid = (uint16_t)(handler >> 16);
	g->offset_hi = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

static void idt_build(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++)
		idt_set_gate(v, trap_stub_table[v], 0);
	idt_set_gate(VEC_DF, trap_stub_table[VEC_DF], IST_DOUBLE_FAULT);
	idt_set_gate(VEC_NMI, trap_stub_table[VEC_NMI], IST_NMI);
	idt_set_gate(VEC_MC, trap_stub_table[VEC_MC], IST_MACHINE_CHECK);
}

/* ---- system calls and CPU protections -------------------------------------- */

#define MSR_STAR  0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_FMASK 0xc0000084u
/* STAR: syscall loads CS = SEL_KCODE, SS = +8; sysretq loads CS = base+16,
 * SS = base+8, with base = SEL_UDATA - 8 (RPL 3). */
#define STAR_SYSRET_BASE ((uint64_t)(SEL_UDATA - 8))
_Static_assert(STAR_SYSRET_BASE + 16 == SEL_UCODE && STAR_SYSRET_BASE + 8 == SEL_UDATA,
	       "GDT order suits sysret");
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_NT (1ull << 14)
#define RFLAGS_AC (1ull << 18)

extern const char syscall_entry[];   /* traps.S */
static struct cpu_prot prot;

const struct cpu_prot *cpu_prot(void)
{
	return &prot;
}

static void syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (STAR_SYSRET_BASE << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC);
}

/* SMEP, SMAP and UMIP on when the CPU has them (CPUID 7.0); PCID and
 * INVPCID are only reported (aspace.h: no PCID yet). */
static void protections_init(void)
{
	struct cpuid_regs r1 = cpuid(1, 0), r7 = { 0, 0, 0, 0 };
	uint64_t cr4 = read_cr4();

	if (cpuid(0, 0).eax >= 7)
		r7 = cpuid(7, 0);
	prot.smep = r7.ebx & (1u << 7);
	prot.smap = r7.ebx & (1u << 20);
	prot.umip = r7.ecx & (1u << 2);
	prot.invpcid = r7.ebx & (1u << 10);
	prot.pcid = r1.ecx & (1u << 17);
	cr4 |= (prot.smep ? CR4_SMEP : 0) | (prot.smap ? CR4_SMAP : 0) | (prot.umip ? CR4_UMIP : 0);
	write_cr4(cr4);
	entry_smap = prot.smap;
}

/* ---- the exception table ---------------------------------------------------- */

struct extable_entry {
	uint64_t insn, fixup;
};
extern const struct extable_entry __ex_table_start[], __ex_table_end[];

uint64_t extable_fixup(uint64_t rip)
{
	for (const struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

void arch_init(void)
{
	struct desc_ptr gdtr = { sizeof(gdt) - 1, (uintptr_t)gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (uintptr_t)idt };

	cli();
	tss_build();
	gdt_build();
	idt_build();
	__asm__ volatile("lgdt %0" : : "m"(gdtr) : "memory");
	gdt_reload_segments(SEL_KCODE, SEL_KDATA);
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS) : "memory");
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
	write_cr0(read_cr0() | CR0_WP);
	syscall_init();
	protections_init();
}

/* ---- names and decoders ---------------------------------------------------- */

static const char *const exc_names[EXC_VECTORS] = {
	"divide error", "debug", "non-maskable interrupt", "breakpoint", "overflow",
	"BOUND range exceeded", "invalid opcode", "device not available", "double fault",
	"coprocessor segment overrun", "invalid TSS", "segment not present",
	"stack-segment fault", "general protection fault", "page fault", "reserved 15",
	"x87 floating-point error", "alignment check", "machine check",
	"SIMD floating-point error", "virtualization exception", "control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
	"reserved 27", "hypervisor injection", "VMM communication", "security exception",
	"reserved 31",
};

static const char *const exc_mnemonics[EXC_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF9", "#TS", "#NP",
	"#SS", "#GP", "#PF", "-", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "-", "-", "-",
	"-", "-", "-", "#HV", "#VC", "#SX", "-",
};

const char *exc_name(unsigned vec)
{
	return vec < EXC_VECTORS ? exc_names[vec] : "?";
}

const char *exc_mnemonic(unsigned vec)
{
	return vec < EXC_VECTORS ? exc_mnemonics[vec] : "?";
}

static bool has_error_code(unsigned vec)
{
	switch (vec) {
	case VEC_DF: case VEC_TS: case VEC_NP: case VEC_SS: case VEC_GP: case VEC_PF:
	case VEC_AC: case VEC_CP: case VEC_VC: case VEC_SX:
		return true;
	default:
		return false;
	}
}

/* A string builder over a fixed buffer, for the decoders. */
struct sbuf {
	char *buf;
	size_t size, len;
};

__attribute__((format(printf, 2, 3)))
static void sb_add(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t room = sb->len < sb->size ? sb->size - sb->len : 0;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(sb->buf + sb->len, room, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n < room ? (size_t)n : (room ? room - 1 : 0);
}

static void describe_pf(struct sbuf *sb, uint64_t e)
{
	sb_add(sb, "%s, %s, %s mode", e & PF_ERR_P ? "protection violation" : "page not present",
	       e & PF_ERR_I ? "instruction fetch" : e & PF_ERR_W ? "write" : "read",
	       e & PF_ERR_U ? "user" : "kernel");
	if (e & PF_ERR_RSVD)
		sb_add(sb, ", reserved bit set");
	if (e & PF_ERR_PK)
		sb_add(sb, ", protection key");
	if (e & PF_ERR_SS)
		sb_add(sb, ", shadow stack");
	if (e & PF_ERR_SGX)
		sb_add(sb, ", SGX");
}

static void describe_selector(struct sbuf *sb, uint64_t e)
{
	const char *table = e & SEL_ERR_IDT ? "IDT" : e & SEL_ERR_TI ? "LDT" : "GDT";

	if (e == 0) {
		sb_add(sb, "no selector (e.g. non-canonical address, privileged instruction)");
		return;
	}
	sb_add(sb, "selector %#llx: index %llu in %s%s", (unsigned long long)(e & 0xffff),
	       (unsigned long long)((e & 0xffff) >> SEL_ERR_INDEX_SHIFT), table,
	       e & SEL_ERR_EXT ? ", external event" : "");
	if (e & SEL_ERR_IDT)
		sb_add(sb, " (vector %llu)", (unsigned long long)((e & 0xffff) >> SEL_ERR_INDEX_SHIFT));
}

void trap_describe_error(unsigned vec, uint64_t error, char *buf, size_t size)
{
	struct sbuf sb = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	if (!has_error_code(vec))
		return;
	switch (vec) {
	case VEC_PF:
		describe_pf(&sb, error);
		break;
	case VEC_TS: case VEC_NP: case VEC_SS: case VEC_GP:
		describe_selector(&sb, error);
		break;
	default:
		sb_add(&sb, "%#llx", (unsigned long long)error);
		break;
	}
}

static const struct {
	uint64_t bit;
	const char *name;
} pte_bit_names[] = {
	{ PTE_P, "P" }, { PTE_W, "W" }, { PTE_U, "U" }, { PTE_PWT, "PWT" }, { PTE_PCD, "PCD" },
	{ PTE_A, "A" }, { PTE_D, "D" }, { PTE_G, "G" }, { PTE_NX, "NX" },
};

static bool pte_is_leaf(uint64_t pte, unsigned level)
{
	return level == 1 || ((level == 2 || level == 3) && (pte & PTE_PS));
}

void pte_describe(uint64_t pte, unsigned level, char *buf, size_t size)
{
	struct sbuf sb = { buf, size, 0 };
	bool leaf = pte_is_leaf(pte, level);
	uint64_t addr = pte & PTE_ADDR_MASK;

	if (size)
		buf[0] = '\0';
	if (!(pte & PTE_P)) {
		sb_add(&sb, "not present");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(pte_bit_names); i++)
		if (pte & pte_bit_names[i].bit)
			sb_add(&sb, "%s ", pte_bit_names[i].name);
	if (level > 1 && (pte & PTE_PS))
		sb_add(&sb, "PS ");
	if (leaf && (pte & (level == 1 ? PTE_PAT4K : PTE_PATLG)))
		sb_add(&sb, "PAT ");
	if (leaf && level > 1)
		addr &= ~(PT_LEVEL_SIZE(level) - 1);
	sb_add(&sb, "-> %#llx", (unsigned long long)addr);
	if (leaf)
		sb_add(&sb, " (%s page)", level == 1 ? "4K" : level == 2 ? "2M" : "1G");
}

int kstack_guard_hit(uint64_t addr)
{
	for (int i = 0; i < KSTACK_COUNT; i++)
		if (addr >= KSTACK_BOTTOM(i) - PAGE_SIZE && addr < KSTACK_BOTTOM(i) + PAGE_SIZE)
			return i;
	return -1;
}

/* ---- the report ----------------------------------------------------------- */

static const char *const kstack_names[KSTACK_COUNT] = {
	"boot stack", "double-fault IST stack", "NMI IST stack", "machine-check IST stack",
	"EFI runtime stack",
};

static void print_registers(const struct trap_frame *f)
{
	kprintf("RAX %016lx RBX %016lx RCX %016lx\n", f->rax, f->rbx, f->rcx);
	kprintf("RDX %016lx RSI %016lx RDI %016lx\n", f->rdx, f->rsi, f->rdi);
	kprintf("RBP %016lx R8  %016lx R9  %016lx\n", f->rbp, f->r8, f->r9);
	kprintf("R10 %016lx R11 %016lx R12 %016lx\n", f->r10, f->r11, f->r12);
	kprintf("R13 %016lx R14 %016lx R15 %016lx\n", f->r13, f->r14, f->r15);
}

static const char *level_name(unsigned level)
{
	static const char *const names[] = { "?", "PT", "PD", "PDPT", "PML4", "PML5" };
	return level < ARRAY_SIZE(names) ? names[level] : "?";
}

/* print_walk - the kernel page tables' entries on the way to @va. */
static void print_walk(const char *what, uint64_t va)
{
	const struct pt_space *as = kernel_space();
	struct pt_walk w;
	char desc[96];

	kprintf("page walk of %s %lx:", what, va);
	if (!as || !as->root) {
		kputs(" kernel address space not set up yet\n");
		return;
	}
	if (as->root != (read_cr3() & PTE_ADDR_MASK))
		kprintf(" (CR3 %lx is not the kernel space %lx)", read_cr3(), as->root);
	kputs("\n");
	pt_walk(as, va, &w);
	for (unsigned i = 0; i < w.depth; i++) {
		pte_describe(w.entry[i], w.level[i], desc, sizeof(desc));
		kprintf("  %-4s[%3llu] %016lx %s\n", level_name(w.level[i]),
			(unsigned long long)PX(w.level[i], va), w.entry[i], desc);
	}
}

static void print_header(const struct trap_frame *f)
{
	char err[96];

	console_set_color(CON_LIGHT_RED, CON_BLACK);
	if (f->vector < EXC_VECTORS)
		kprintf("\nexception %s %s (vector %lu)\n", exc_mnemonic(f->vector),
			exc_name(f->vector), f->vector);
	else
		kprintf("\nunexpected interrupt, vector %lu\n", f->vector);
	console_set_color(CON_DEFAULT_FG, CON_DEFAULT_BG);
	kprintf("RIP %016lx CS %04lx RFLAGS %016lx\n", f->rip, f->cs, f->rflags);
	kprintf("RSP %016lx SS %04lx error  %016lx\n", f->rsp, f->ss, f->error);
	trap_describe_error(f->vector, f->error, err, sizeof(err));
	if (err[0])
		kprintf("error code: %s\n", err);
	kprintf("CR0 %lx CR2 %016lx CR3 %016lx CR4 %lx\n", read_cr0(), read_cr2(),
		read_cr3(), read_cr4());
}

/* print_overflow - name the stack whose guard page was hit, if any. */
static void print_overflow(const struct trap_frame *f, uint64_t cr2)
{
	int s = -1;

	if (f->vector == VEC_DF)
		s = kstack_guard_hit(f->rsp);
	else if (f->vector == VEC_PF && kstack_guard_hit(cr2) >= 0 &&
		 cr2 < KSTACK_BOTTOM(kstack_guard_hit(cr2)))
		s = kstack_guard_hit(cr2);
	if (s < 0)
		return;
	console_set_color(CON_YELLOW, CON_BLACK);
	kprintf("kernel stack overflow (guard page hit): %s, guard page [%lx, %lx)\n",
		kstack_names[s], KSTACK_BOTTOM(s) - PAGE_SIZE, KSTACK_BOTTOM(s));
	console_set_color(CON_DEFAULT_FG, CON_DEFAULT_BG);
}

const char *pf_page_table_write(uint64_t cr2, uint64_t error)
{
	if (!(error & PF_ERR_W) || cr2 < DMAP_BASE || cr2 >= DMAP_END)
		return NULL;
	if (!pt_window_holds(kspace_window(), cr2 - DMAP_BASE))
		return NULL;
	return "a write to a page table through the direct map: page tables are writable only "
	       "through the page-table window";
}

/* print_pt_write - say so if the fault was a page-table write through the
 * direct map (page tables are read-only there). */
static void print_pt_write(const struct trap_frame *f, uint64_t cr2)
{
	const char *why = f->vector == VEC_PF ? pf_page_table_write(cr2, f->error) : NULL;

	if (!why)
		return;
	console_set_color(CON_YELLOW, CON_BLACK);
	paddr_t frame = ALIGN_DOWN(cr2 - DMAP_BASE, PAGE_SIZE);
	kprintf("%s (frame %lx, window address %p)\n", why, frame,
		pt_window_va(kspace_window(), frame));
	console_set_color(CON_DEFAULT_FG, CON_DEFAULT_BG);
}

static void trap_report(const struct trap_frame *f)
{
	uint64_t cr2 = read_cr2();

	console_pager_stop();   /* a fault report never waits for a key */
	print_header(f);
	print_overflow(f, cr2);
	print_pt_write(f, cr2);
	print_registers(f);
	kprintf("at %lx: ", f->rip);
	print_backtrace(f->rbp);
	if (f->vector == VEC_PF)
		print_walk("CR2", cr2);
	else
		print_walk("RIP", f->rip);
	if (f->vector == VEC_DF)
		print_walk("RSP", f->rsp);
}

/* ---- dispatch ----------------------------------------------------------- */

static trap_hook_fn trap_hook;
static user_trap_fn user_handler;
static user_trap_fn irq_handler[IDT_VECTORS];

void arch_set_user_handler(user_trap_fn fn)
{
	user_handler = fn;
}

void arch_set_irq_handler(unsigned vec, user_trap_fn fn)
{
	if (vec < EXC_VECTORS || vec >= IDT_VECTORS)
		panic("arch_set_irq_handler: vector %u is not an interrupt vector", vec);
	irq_handler[vec] = fn;
}
static unsigned trap_depth;         /* fatal traps being reported */

trap_hook_fn trap_set_hook(trap_hook_fn hook)
{
	trap_hook_fn old = trap_hook;

	trap_hook = hook;
	return old;
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector >= EXC_VECTORS && f->vector < IDT_VECTORS && irq_handler[f->vector]) {
		irq_handler[f->vector](f);
		return;
	}
	if ((f->cs & 3) && user_handler) {
		user_handler(f);
		return;
	}
	if (!(f->cs & 3) && (f->vector == VEC_PF || f->vector == VEC_GP)) {
		uint64_t fixup = extable_fixup(f->rip);
		if (fixup) {
			f->rip = fixup;
			return;
		}
	}
	if (trap_hook && trap_depth == 0 && trap_hook(f))
		return;
	switch (++trap_depth) {
	case 1:
		trap_report(f);
		break;
	case 2:
		/* The report itself faulted: the screen or the page tables may
		 * be what broke, so keep to serial and to the bare facts. */
		console_fb_stop();
		kprintf("\nexception %s (vector %lu) at %lx, CR2 %lx, while reporting an "
			"earlier one\n", exc_mnemonic(f->vector), f->vector, f->rip, read_cr2());
		break;
	default:
		break;
	}
	halt_forever();
}

/* ---- the monitor's page walk ---------------------------------------------- */

static void cmd_pt(const struct handoff *h, int argc, char **argv)
{
	const struct pt_space *as = kernel_space();
	uint64_t va, size;
	paddr_t pa;

	if (!monitor_parse_hex(argv[1], &va)) {
		monitor_error("pt", "'%s' is not an address (up to 16 hex digits, 0x optional)",
			      argv[1]);
		return;
	}
	if (!va_is_canonical(va)) {
		monitor_error("pt", "%lx is not canonical (bits 63..48 must equal bit 47)", va);
		return;
	}
	print_walk("VA", va);
	if (as && as->root && pt_translate(as, va, &pa, &size, NULL) == E_OK)
		kprintf("  %lx -> phys %lx (%s page)\n", va, pa,
			size == PT_LEVEL_SIZE(PT_LEVEL_1G) ? "1G" :
			size == PT_LEVEL_SIZE(PT_LEVEL_2M) ? "2M" : "4K");
	else
		kprintf("  %lx is not mapped\n", va);
}
MONITOR_COMMAND("pt", "VA", "walk the kernel page tables to VA, each entry decoded", cmd_pt);
