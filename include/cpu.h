/*
 * cpu.h - x86_64 instructions the loader and the kernel need, as inline
 * functions (one copy for both sides of the hand-off).
 *
 * Port I/O, model-specific registers, the time-stamp counter, CPUID, the
 * control registers, TLB invalidation and interrupt-flag control. Every
 * wrapper is one instruction; the "memory" clobbers keep the compiler from
 * moving memory accesses across the ones that order against memory (CR
 * writes, invlpg, cli/sti, port I/O to devices that DMA).
 */
#ifndef CARTO_CPU_H
#define CARTO_CPU_H

#include "types.h"

/* MSR numbers (Intel SDM vol. 4). */
#define MSR_EFER          0xc0000080u   /* extended feature enables */
#define MSR_PAT           0x00000277u   /* page attribute table */
#define MSR_FS_BASE       0xc0000100u
#define MSR_GS_BASE       0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

/* EFER bits. */
#define EFER_SCE  (1ull << 0)    /* syscall/sysret */
#define EFER_LME  (1ull << 8)    /* long mode enable */
#define EFER_LMA  (1ull << 10)   /* long mode active */
#define EFER_NXE  (1ull << 11)   /* PTE bit 63 is no-execute */

/* CR0 bits. */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)      /* supervisor writes honour read-only PTEs */
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

/* CR4 bits. */
#define CR4_PAE        (1ull << 5)
#define CR4_PGE        (1ull << 7)   /* global pages */
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP       (1ull << 11)
#define CR4_LA57       (1ull << 12)
#define CR4_FSGSBASE   (1ull << 16)
#define CR4_PCIDE      (1ull << 17)
#define CR4_OSXSAVE    (1ull << 18)
#define CR4_SMEP       (1ull << 20)
#define CR4_SMAP       (1ull << 21)
#define CR4_PKE        (1ull << 22)

/* RFLAGS bits. */
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_RESERVED1 (1ull << 1)   /* always 1 */

/* ---- port I/O ---------------------------------------------------------- */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* ---- MSRs, TSC, CPUID -------------------------------------------------- */

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* cpuid - execute CPUID with EAX = leaf, ECX = subleaf. */
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

/* ---- control registers, TLB -------------------------------------------- */

static inline uint64_t read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* invlpg - drop the TLB entry for the page holding va (this CPU only). */
static inline void invlpg(vaddr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

/* ---- interrupt flag, halting ------------------------------------------- */

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" : : : "memory");
}

/* pause - spin-wait hint. */
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

#endif
