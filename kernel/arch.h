/*
 * arch.h - the CPU tables the kernel owns: GDT, TSS, IDT, and the fault
 * reporter behind every exception vector.
 *
 * GDT layout (selectors):
 *   0x00  null
 *   0x08  kernel code, 64-bit          SEL_KCODE
 *   0x10  kernel data                  SEL_KDATA
 *   0x18  user data (DPL 3)            SEL_UDATA   placeholders; the order
 *   0x20  user code, 64-bit (DPL 3)    SEL_UCODE   suits SYSRET (STAR)
 *   0x28  TSS (two slots)              SEL_TSS
 *
 * Interrupt stacks (TSS IST, see KSTACK_* in memlayout.h): the boot stack
 * is stack 0; #DF runs on stack 1, NMI on 2, #MC on 3, so they work even
 * when the interrupted stack is exhausted. Every vector 0..255 has a stub
 * (traps.S) that pushes a uniform struct trap_frame and calls
 * trap_dispatch(). Every exception is fatal: the reporter prints it (name,
 * registers, decoded error code, page-table walk, backtrace) and halts
 * through halt_forever (panic.h), whose hook may end the machine first.
 * Self-tests may install a hook that claims expected traps and resumes.
 */
#ifndef CARTO_ARCH_H
#define CARTO_ARCH_H

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS   0x28

/* IST slots (1..7) and the kernel stack (memlayout.h KSTACK_*) each uses. */
#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3

#define IDT_VECTORS 256
/* The pseudo-vector of a frame built by syscall_entry (traps.S). */
#define SYSCALL_VECTOR 256
/* The entry stack (TSS.RSP0, syscalls): in the entry area (aspace.h). */
#define ENTRY_STACK_SIZE (16 * 1024)
/* struct trap_frame offsets and size, for traps.S. */
#define FRAME_VECTOR (15 * 8)
#define FRAME_CS     (18 * 8)
#define FRAME_SIZE   (22 * 8)
#define EXC_VECTORS 32            /* 0..31 are CPU exceptions */

#ifndef __ASSEMBLER__
#include "types.h"

enum exc_vector {
	VEC_DE = 0,  VEC_DB = 1,  VEC_NMI = 2, VEC_BP = 3,  VEC_OF = 4,
	VEC_BR = 5,  VEC_UD = 6,  VEC_NM = 7,  VEC_DF = 8,  VEC_CSO = 9,
	VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14,
	VEC_MF = 16, VEC_AC = 17, VEC_MC = 18, VEC_XM = 19, VEC_VE = 20,
	VEC_CP = 21, VEC_HV = 28, VEC_VC = 29, VEC_SX = 30,
};

/* #PF error-code bits (Intel SDM vol. 3, 4.7). */
#define PF_ERR_P    (1u << 0)     /* 1: protection violation, 0: not present */
#define PF_ERR_W    (1u << 1)
#define PF_ERR_U    (1u << 2)
#define PF_ERR_RSVD (1u << 3)
#define PF_ERR_I    (1u << 4)
#define PF_ERR_PK   (1u << 5)
#define PF_ERR_SS   (1u << 6)
#define PF_ERR_SGX  (1u << 15)

/* Selector error-code bits (#TS #NP #SS #GP). */
#define SEL_ERR_EXT   (1u << 0)
#define SEL_ERR_IDT   (1u << 1)
#define SEL_ERR_TI    (1u << 2)   /* with IDT clear: 1 LDT, 0 GDT */
#define SEL_ERR_INDEX_SHIFT 3

/* What traps.S pushes, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error;               /* 0 for vectors without an error code */
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};

/*
 * arch_init - load Carto's GDT (reloading CS with a far return and the
 * data segments), the TSS with its IST stacks and the IDT; set CR0.WP so
 * read-only pages bind the kernel too. Interrupts stay off. Call once,
 * first thing on the boot stack; may be called again (rebuilds all).
 */
void arch_init(void);

/*
 * trap_dispatch - called by traps.S with the frame of any vector. Returns
 * (to iretq) only if the test hook claimed the trap.
 */
void trap_dispatch(struct trap_frame *f);

/*
 * trap_set_hook - @hook sees every trap first; returning true resumes at
 * f->rip (which it may change), false falls through to the fatal report.
 * NULL removes it. Returns the previous hook, which a hook installed for a
 * while (the self-tests', efirt.c's during a runtime call) passes the
 * traps it does not claim to, and puts back afterwards.
 */
typedef bool (*trap_hook_fn)(struct trap_frame *f);
trap_hook_fn trap_set_hook(trap_hook_fn hook);

/* exc_name - "page fault"; exc_mnemonic - "#PF". "?" past 31. */
const char *exc_name(unsigned vec);
const char *exc_mnemonic(unsigned vec);

/*
 * trap_describe_error - the error code of vector @vec in words into @buf
 * ("page not present, write, kernel mode"; "selector 0x28: index 5 in GDT,
 * external"). Empty for vectors that push no error code.
 */
void trap_describe_error(unsigned vec, uint64_t error, char *buf, size_t size);

/*
 * pte_describe - entry @pte read at page-table @level, decoded into @buf:
 * its set bits by name (P W U PWT PCD A D PS G NX, PAT on leaves) and the
 * physical address it points to ("P W A G NX -> 0x1234000").
 */
void pte_describe(uint64_t pte, unsigned level, char *buf, size_t size);

/*
 * kstack_guard_hit - the kernel stack (0..KSTACK_COUNT-1) whose guard page
 * @addr lies in or less than a page above - i.e. the stack pointer of an
 * overflow - or -1.
 */
int kstack_guard_hit(uint64_t addr);

/*
 * pf_page_table_write - for a page fault at @cr2 with error code @error:
 * if it was a write through the direct map to a page-table pool frame
 * (read-only there: writable only through the window), the sentence the
 * fault report prints; NULL otherwise.
 */
const char *pf_page_table_write(uint64_t cr2, uint64_t error);

/*
 * User mode. arch_set_user_handler - @fn gets every trap and system call
 * from ring 3 (proc.c); it returns to resume the process through @f, or
 * does not return. user_enter (traps.S) leaves to ring 3 through a copy
 * of @f (iretq). entry_* are the entry area's variables traps.S reads.
 */
typedef void (*user_trap_fn)(struct trap_frame *f);
void arch_set_user_handler(user_trap_fn fn);

/*
 * arch_set_irq_handler - @fn gets every interrupt at vector @vec
 * (EXC_VECTORS..IDT_VECTORS-1), from ring 0 or ring 3, before the user
 * handler and the fatal report (the LAPIC's vectors, lapic.h); it returns
 * to resume through @f, or does not return. NULL removes it. A vector
 * without a handler stays fatal (ring 0) or a panic (ring 3, proc.c).
 */
void arch_set_irq_handler(unsigned vec, user_trap_fn fn);
_Noreturn void user_enter(const struct trap_frame *f);
extern uint64_t entry_kernel_cr3, entry_user_cr3;
extern uint8_t entry_isolated, entry_smap;

/* The CPU's protections arch_init turned on, and PCID support (report). */
struct cpu_prot {
	bool smep, smap, umip, pcid, invpcid;
};
const struct cpu_prot *cpu_prot(void);

/*
 * extable_fixup - the fixup address of the exception-table entry for a
 * faulting kernel @rip (the copy routines, kernel/uaccess.h), or 0.
 */
uint64_t extable_fixup(uint64_t rip);

/* gdt_reload_segments (traps.S) - load @code into CS with a far return and
 * @data into DS, ES and SS; FS and GS get the null selector. */
void gdt_reload_segments(uint64_t code, uint64_t data);

#endif /* !__ASSEMBLER__ */
#endif
