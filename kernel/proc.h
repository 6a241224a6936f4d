/*
 * proc.h - processes: user programs loaded from the ELF images embedded
 * in the kernel (user/, kernel/userprogs.S), each in its own address
 * space (aspace.h), and a preemptive round-robin scheduler.
 *
 * Scheduling: each turn is a time slice (10 ms by default, "slice=MS";
 * SCHED_SLICE_MS_MAX at most). User mode runs with interrupts on (IF=1 in
 * the user RFLAGS); sched_run arms the LAPIC timer one-shot for the slice
 * before entering the process and stops it when the turn ends
 * (lapic.h), so the timer interrupts only user mode: when it hits ring 3
 * the process's turn ends as for SYS_YIELD (it stays runnable) and the
 * next one runs. The kernel keeps interrupts off throughout (syscall's
 * FMASK, interrupt gates): a slice that runs out during a system call is
 * taken right after it returns to user mode. Without a usable LAPIC timer,
 * or with "slice=0", scheduling is cooperative: user mode runs with
 * interrupts off and a process runs until it yields, exits or faults.
 *
 * The kernel has one stack for entries from user mode (the entry stack,
 * arch.h) and no kernel stack per process: a process's whole state is its
 * address space and its saved user registers (a struct trap_frame). A
 * trap or system call from ring 3 runs on the entry stack; when it ends
 * the process's turn (SYS_YIELD, SYS_EXIT, a fault that kills it) the
 * registers are saved in the process and control goes back to
 * sched_run's loop on the kernel stack, which picks the next process.
 *
 * A fault in user mode kills only that process, with a report: the fault,
 * address, RIP, the error code decoded, the reason in words, the page
 * walk of the process's tables. The kernel and the other processes go on.
 */
#ifndef CARTO_PROC_H
#define CARTO_PROC_H

#include "aspace.h"
#include "arch.h"
#include "handoff.h"

#define PROC_MAX 8

enum proc_state { PROC_FREE, PROC_RUNNABLE, PROC_ZOMBIE };

struct proc {
	enum proc_state state;
	int pid;
	char name[16];
	struct aspace as;
	struct trap_frame frame;      /* user registers while not running */
	vaddr_t lazy_va;              /* SYS_MAP_LAZY range, 0 if none */
	uint64_t lazy_size;
	uint32_t lazy_flags;
	long status;                  /* exit status (SYS_EXIT or main's result) */
	uint64_t preemptions;         /* turns ended by the timer */
	uint64_t end_order;           /* 1, 2, ...: the order processes ended in */
	bool killed;                  /* ended by a fault, not SYS_EXIT */
	uint64_t fault_vector, fault_addr;
};

/* proc_init - install the user-mode trap handler, take the default mode
 * from "isolation=on|off" (another value is reported and ignored) and
 * print the CPU's protections. Call once at boot, after aspace_init. */
void proc_init(const struct handoff *h);

/*
 * sched_init - take the time slice from "slice=MS" (0: cooperative; a bad
 * value is reported and the default kept) and print the "sched:" line:
 * preemptive with the slice, or cooperative and why. Call once, after
 * devices_init has set up the LAPIC timer.
 */
void sched_init(const struct handoff *h);

#define SCHED_SLICE_MS_DEFAULT 10
#define SCHED_SLICE_MS_MAX     1000

/* sched_set_slice_ms - the slice of the following turns (0: cooperative,
 * at most SCHED_SLICE_MS_MAX); returns the previous one. */
unsigned sched_set_slice_ms(unsigned ms);

/* sched_preemptive - the next turn will be preempted: a slice is set and
 * the LAPIC timer is usable. */
bool sched_preemptive(void);

/* isolation=on|off on the command line: the default mode of processes
 * (proc_spawn's PROC_DEFAULT). */
void proc_set_default_isolation(bool isolated);
bool proc_default_isolation(void);

#define PROC_SHARED   0
#define PROC_ISOLATED 1
#define PROC_DEFAULT  2

/*
 * proc_spawn - a new runnable process running the embedded program
 * @prog with RDI = @arg, in an address space of mode @mode (PROC_*).
 * Returns its pid (>= 1), or -E_NOENT (no such program), -E_INVAL (its
 * ELF image is broken or asks for W+X or memory outside the user area),
 * -E_NOSPC (PROC_MAX alive) or -E_NOMEM.
 */
int proc_spawn(const char *prog, uint64_t arg, int mode);

/*
 * sched_run - run the runnable processes, round robin, until none is
 * left runnable; returns with the kernel's own address space current.
 * Ended processes stay as zombies (their memory already freed) for
 * proc_reap.
 */
void sched_run(void);

/*
 * proc_reap - the result of ended process @pid, freeing its slot: copies
 * it to *out (state, status, killed, fault) and returns E_OK; E_NOENT if
 * no such ended process.
 */
int proc_reap(int pid, struct proc *out);

/* The process running now (in a system call or trap), or NULL. */
struct proc *proc_current(void);


/* Programs embedded in the kernel: name, ELF image. */
struct user_prog {
	const char *name;
	const uint8_t *start, *end;
};
const struct user_prog *user_prog_find(const char *name);

/* syscall_dispatch (syscall.c) - run the call in @f (RAX, args) for @p,
 * result in f->rax. Returns false if the process's turn ended (yield,
 * exit): sched_run resumes. */
bool syscall_dispatch(struct proc *p, struct trap_frame *f);

/* proc_end_turn - save @f as @p's registers and go back to sched_run's
 * loop (the process stays runnable unless its state was changed). */
_Noreturn void proc_end_turn(struct proc *p, const struct trap_frame *f);

/* proc_lazy_fault - serve a user page fault at @addr in @p's lazy
 * range: true if a page was mapped. */
bool proc_lazy_fault(struct proc *p, uint64_t addr, uint64_t error);

#endif
