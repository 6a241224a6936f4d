/*
 * proc.c - processes, the ELF loader and the scheduler (proc.h).
 */
#include "boothook.h"
#include "console.h"
#include "cpu.h"
#include "elf64.h"
#include "klib.h"
#include "kspace.h"
#include "lapic.h"
#include "panic.h"
#include "physmem.h"
#include "proc.h"
#include "sysabi.h"

/* ---- embedded programs (userprogs.S) ------------------------------------- */

extern const struct user_prog user_progs[];   /* ends with a NULL name */

const struct user_prog *user_prog_find(const char *name)
{
	for (const struct user_prog *p = user_progs; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* ---- the ELF loader ------------------------------------------------------- */

#define ELF_MAX_PHDRS 16

/* The user area a program's segments may use: from USER_LOAD_BASE up to
 * the guard page below the stack. */
#define LOAD_END (USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE)

static int load_segment(struct aspace *as, const struct user_prog *prog,
			const struct elf64_phdr *ph)
{
	uint64_t size = (uint64_t)(prog->end - prog->start);
	vaddr_t lo = ALIGN_DOWN(ph->vaddr, PAGE_SIZE);

	if ((ph->flags & (PF_W | PF_X)) == (PF_W | PF_X) || ph->filesz > ph->memsz ||
	    ph->offset > size || ph->filesz > size - ph->offset || ph->vaddr < USER_LOAD_BASE ||
	    ph->memsz > LOAD_END - ph->vaddr || ph->vaddr > LOAD_END)
		return E_INVAL;
	vaddr_t hi = ALIGN_UP(ph->vaddr + ph->memsz, PAGE_SIZE);
	uint32_t flags = (ph->flags & PF_W ? MAP_WRITE : 0) | (ph->flags & PF_X ? MAP_EXEC : 0);
	int st = aspace_map_anon(as, lo, hi - lo, flags);
	if (st == E_OK)
		st = aspace_write(as, ph->vaddr, prog->start + ph->offset, ph->filesz);
	return st == E_EXIST ? E_INVAL : st;   /* overlapping segments */
}

/* Map the program's PT_LOAD segments W^X and its stack; *entry = e_entry. */
static int load_elf(struct aspace *as, const struct user_prog *prog, uint64_t *entry)
{
	const struct elf64_ehdr *eh = (const void *)prog->start;
	uint64_t size = (uint64_t)(prog->end - prog->start);

	if (size < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->elf_class != ELFCLASS64 ||
	    eh->data != ELFDATA2LSB || eh->type != ET_EXEC || eh->machine != EM_X86_64 ||
	    eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum > ELF_MAX_PHDRS ||
	    eh->phoff > size || eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff)
		return E_INVAL;
	const struct elf64_phdr *ph = (const void *)(prog->start + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
			continue;
		int st = load_segment(as, prog, &ph[i]);
		if (st != E_OK)
			return st;
	}
	*entry = eh->entry;
	/* The stack; the page below it stays unmapped: the guard page. */
	return aspace_map_anon(as, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_SIZE, MAP_WRITE);
}

/* ---- processes ---------------------------------------------------------- */

static struct proc procs[PROC_MAX];
static struct proc *current;
static int next_pid = 1;
static bool default_isolated;
static void *sched_jmp[5];   /* __builtin_setjmp buffer: sched_run's loop */
static unsigned slice_ms = SCHED_SLICE_MS_DEFAULT;
static uint64_t ended;       /* processes ended so far (end_order) */

/* User RFLAGS at the start: reserved bit 1; run_turn sets IF when the turn
 * is preemptive. */
#define USER_RFLAGS RFLAGS_RESERVED1

void proc_set_default_isolation(bool isolated)
{
	default_isolated = isolated;
}

bool proc_default_isolation(void)
{
	return default_isolated;
}

struct proc *proc_current(void)
{
	return current;
}

int proc_spawn(const char *name, uint64_t arg, int mode)
{
	const struct user_prog *prog = user_prog_find(name);
	struct proc *p = NULL;
	uint64_t entry;

	if (!prog)
		return -E_NOENT;
	for (unsigned i = 0; i < PROC_MAX && !p; i++)
		if (procs[i].state == PROC_FREE)
			p = &procs[i];
	if (!p)
		return -E_NOSPC;
	memset(p, 0, sizeof(*p));
	bool isolated = mode == PROC_DEFAULT ? default_isolated : mode == PROC_ISOLATED;
	if (aspace_create(&p->as, isolated) != E_OK)
		return -E_NOMEM;
	int st = load_elf(&p->as, prog, &entry);
	if (st != E_OK) {
		aspace_destroy(&p->as);
		return -st;
	}
	p->pid = next_pid++;
	ksnprintf(p->name, sizeof(p->name), "%s", name);
	p->frame.rip = entry;
	p->frame.cs = SEL_UCODE;
	p->frame.ss = SEL_UDATA;
	p->frame.rsp = USER_STACK_TOP;
	p->frame.rflags = USER_RFLAGS;
	p->frame.rdi = arg;
	p->state = PROC_RUNNABLE;
	return p->pid;
}

/* The next runnable process after the last one run, round robin. */
static struct proc *pick_next(struct proc *last)
{
	unsigned start = last ? (unsigned)(last - procs) + 1 : 0;

	for (unsigned k = 0; k < PROC_MAX; k++) {
		struct proc *p = &procs[(start + k) % PROC_MAX];
		if (p->state == PROC_RUNNABLE)
			return p;
	}
	return NULL;
}

unsigned sched_set_slice_ms(unsigned ms)
{
	unsigned old = slice_ms;

	slice_ms = MIN(ms, SCHED_SLICE_MS_MAX);
	return old;
}

bool sched_preemptive(void)
{
	return slice_ms && lapic_timer_ready();
}

/* The timer interrupted @current in ring 3 (lapic.h, after the EOI): its
 * turn ends, it stays runnable. */
static void preempt(struct trap_frame *f)
{
	struct proc *p = current;

	if (!p)
		panic("preempt: timer interrupt from ring 3 with no current process");
	p->preemptions++;
	proc_end_turn(p, f);
}

/* Enter @p's user mode; returns (through sched_jmp) when its turn ends.
 * A preemptive turn runs with IF set in user mode and the timer armed
 * for one slice; the timer is stopped before anything else happens. */
static void run_turn(struct proc *p)
{
	bool preemptive = sched_preemptive();

	current = p;
	aspace_switch(&p->as);
	entry_kernel_cr3 = p->as.pt.root;
	entry_user_cr3 = p->as.user_root;
	entry_isolated = p->as.isolated;
	p->frame.rflags = preemptive ? p->frame.rflags | RFLAGS_IF : p->frame.rflags & ~RFLAGS_IF;
	if (__builtin_setjmp(sched_jmp) == 0) {
		if (preemptive)
			lapic_timer_oneshot((uint64_t)slice_ms * 1000);
		user_enter(&p->frame);
	}
	lapic_timer_stop();
	current = NULL;
	entry_isolated = 0;
	aspace_switch(NULL);
}

void sched_run(void)
{
	struct proc *p = NULL;

	while ((p = pick_next(p)) != NULL) {
		run_turn(p);
		if (p->state == PROC_ZOMBIE) {
			p->end_order = ++ended;
			aspace_destroy(&p->as);
		}
	}
}

void proc_end_turn(struct proc *p, const struct trap_frame *f)
{
	p->frame = *f;
	__builtin_longjmp(sched_jmp, 1);
}

int proc_reap(int pid, struct proc *out)
{
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (procs[i].state == PROC_ZOMBIE && procs[i].pid == pid) {
			if (out)
				*out = procs[i];
			procs[i].state = PROC_FREE;
			return E_OK;
		}
	return E_NOENT;
}

/* ---- user faults -------------------------------------------------------- */

bool proc_lazy_fault(struct proc *p, uint64_t addr, uint64_t error)
{
	if (!p->lazy_size || (error & PF_ERR_P) || addr < p->lazy_va ||
	    addr - p->lazy_va >= p->lazy_size)
		return false;
	return aspace_map_anon(&p->as, ALIGN_DOWN(addr, PAGE_SIZE), PAGE_SIZE, p->lazy_flags) == E_OK;
}

/* Why a user fault happened, in words. */
static const char *fault_reason(const struct trap_frame *f, uint64_t addr)
{
	switch (f->vector) {
	case VEC_PF:
		if (addr >= USER_END)
			return f->error & PF_ERR_I ? "user code executing a kernel address"
						   : "user access to kernel memory";
		if (!(f->error & PF_ERR_P))
			return addr < USER_STACK_TOP - USER_STACK_SIZE &&
			       addr >= USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE
				       ? "stack overflow into the guard page"
				       : "access to an unmapped user address";
		if (f->error & PF_ERR_I)
			return "executing a no-execute page";
		return f->error & PF_ERR_W ? "write to a read-only page" : "access not allowed";
	case VEC_GP:
		return "general protection: a non-canonical address or a privileged instruction";
	case VEC_UD:
		return "invalid opcode";
	default:
		return "exception in user mode";
	}
}

/* Kill @p for the fault in @f, with a report, and end its turn. */
static _Noreturn void kill_for_fault(struct proc *p, struct trap_frame *f)
{
	uint64_t addr = f->vector == VEC_PF ? read_cr2() : 0;
	char err[96], desc[96];
	struct pt_walk w;

	trap_describe_error(f->vector, f->error, err, sizeof(err));
	kprintf("process %d (%s) killed: %s %s at RIP %lx", p->pid, p->name,
		exc_mnemonic(f->vector), exc_name(f->vector), f->rip);
	if (f->vector == VEC_PF)
		kprintf(", address %lx", addr);
	kprintf("\n  error code %#lx%s%s\n  reason: %s\n", f->error, err[0] ? ": " : "", err,
		fault_reason(f, addr));
	pt_walk(&p->as.pt, f->vector == VEC_PF ? addr : f->rip, &w);
	for (unsigned i = 0; i < w.depth; i++) {
		pte_describe(w.entry[i], w.level[i], desc, sizeof(desc));
		kprintf("  level %u [%3lu] %016lx %s\n", w.level[i],
			(unsigned long)PX(w.level[i], f->vector == VEC_PF ? addr : f->rip), w.entry[i], desc);
	}
	p->killed = true;
	p->fault_vector = f->vector;
	p->fault_addr = addr;
	p->status = -1;
	p->state = PROC_ZOMBIE;
	proc_end_turn(p, f);
}

/* The user handler (arch.h): every trap and system call from ring 3. */
static void user_trap(struct trap_frame *f)
{
	struct proc *p = current;

	if (!p)
		panic("user_trap: vector %lu from ring 3 with no current process", f->vector);
	if (f->vector == SYSCALL_VECTOR) {
		if (!syscall_dispatch(p, f))
			proc_end_turn(p, f);
		if (!va_is_canonical(f->rip) || f->rip >= USER_END)
			kill_for_fault(p, f);   /* never sysret to a non-canonical RIP */
		return;
	}
	if (f->vector == VEC_PF && proc_lazy_fault(p, read_cr2(), f->error))
		return;
	if (f->vector == VEC_NMI) {   /* not the process's doing: say so and go on */
		kprintf("NMI while process %d (%s) ran in user mode at RIP %lx; resumed\n", p->pid,
			p->name, f->rip);
		return;
	}
	if (f->vector < EXC_VECTORS)
		kill_for_fault(p, f);
	panic("user_trap: unexpected interrupt %lu in user mode", f->vector);
}

void proc_init(const struct handoff *h)
{
	const struct cpu_prot *c = cpu_prot();
	size_t len = 0;
	const char *v = cmdline_value(h->cmdline, "isolation", &len);

	arch_set_user_handler(user_trap);
	lapic_timer_set_user_handler(preempt);
	if (v && len == 2 && strncmp(v, "on", 2) == 0)
		default_isolated = true;
	else if (v && !(len == 3 && strncmp(v, "off", 3) == 0))
		kprintf("isolation=%.*s: unknown value (on or off); the kernel stays shared\n",
			(int)len, v);
	kprintf("user mode: %s kernel; SMEP %s, SMAP %s, UMIP %s; PCID %s, INVPCID %s "
		"(not used); kernel half pre-filled with %lu page-table pages (%lu KiB)\n",
		default_isolated ? "isolated" : "shared", c->smep ? "on" : "absent",
		c->smap ? "on" : "absent", c->umip ? "on" : "absent", c->pcid ? "yes" : "no",
		c->invpcid ? "yes" : "no", aspace_prefill_tables(), aspace_prefill_tables() * 4);
}

void sched_init(const struct handoff *h)
{
	size_t len = 0;
	const char *v = cmdline_value(h->cmdline, "slice", &len);

	if (v) {
		uint64_t ms = 0;
		size_t i = 0;
		while (i < len && v[i] >= '0' && v[i] <= '9' && ms <= SCHED_SLICE_MS_MAX)
			ms = ms * 10 + (uint64_t)(v[i++] - '0');
		if (len == 0 || i < len || ms > SCHED_SLICE_MS_MAX)
			kprintf("slice=%.*s: not a number of milliseconds from 0 to %u; the slice "
				"stays %u ms\n", (int)len, v, SCHED_SLICE_MS_MAX, slice_ms);
		else
			slice_ms = (unsigned)ms;
	}
	if (sched_preemptive())
		kprintf("sched: preemptive round robin, %u ms time slices (LAPIC timer)\n", slice_ms);
	else if (!slice_ms)
		kprintf("sched: cooperative round robin (slice=0): no preemption\n");
	else
		kprintf("sched: cooperative round robin: no usable LAPIC timer\n");
}

/* "user=PROGRAM": run it once the kernel is up, and say how it ended. */
static void user_boot(const struct handoff *h)
{
	size_t len = 0;
	const char *v = cmdline_value(h->cmdline, "user", &len);
	char name[16];
	struct proc r;

	if (!v)
		return;
	ksnprintf(name, sizeof(name), "%.*s", (int)len, v);
	int pid = proc_spawn(name, 0, PROC_DEFAULT);
	if (pid < 0) {
		kprintf("user=%s: cannot start it: %s\n", name, status_name(-pid));
		return;
	}
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (procs[i].pid == pid)
			kprintf("user: process %d (%s) started, %s, tables %lx (user mode %lx), "
				"kernel tables %lx\n", pid, name, procs[i].as.isolated ? "isolated" : "shared",
				procs[i].as.pt.root, procs[i].as.user_root, kernel_space()->root);
	sched_run();
	if (proc_reap(pid, &r) == E_OK)
		kprintf("user: process %d (%s) %s %ld, preempted %lu times\n", pid, name,
			r.killed ? "killed, status" : "exited, status", r.status, r.preemptions);
}
BOOT_HOOK(BOOT_READY, user_boot);
