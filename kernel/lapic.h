/*
 * lapic.h - the local APIC as the kernel's one interrupt source: software
 * enabled with a spurious vector, the legacy 8259 PICs masked, and its
 * timer, calibrated against the TSC and armed one-shot for the
 * scheduler's time slice (proc.h).
 *
 * devices.c finds and maps the LAPIC (lapic_probe: MADT address, mmio_map
 * UC, the boot report's "lapic:" lines) and hands it here. Registers are
 * reached by MMIO in xAPIC mode and by MSR 0x800 + offset/16 in x2APIC
 * mode (struct lapic_regs says which).
 *
 * Vectors (IDT, arch.h):
 *   0x20-0x2f  the two 8259s, remapped off the CPU exception vectors and
 *              masked: none arrives (a legacy IRQ at their power-on base
 *              would look like #DF..#XM)
 *   0x40       LAPIC_TIMER_VECTOR: EOI, then the user handler if it hit
 *              ring 3 (proc.c ends the process's turn); in ring 0 nothing
 *   0xff       LAPIC_SPURIOUS_VECTOR: counted, never EOId (the LAPIC sets
 *              no in-service bit for it)
 *
 * The kernel itself runs with interrupts off (syscall's FMASK, interrupt
 * gates); the timer is armed only while a process runs (sched_run), so a
 * timer interrupt reaches ring 0 only in lapic_timer_stop's drain.
 */
#ifndef CARTO_LAPIC_H
#define CARTO_LAPIC_H

#include "arch.h"
#include "types.h"

/* Local APIC registers (Intel SDM vol. 3, 11.4.1, table 11-1), offsets. */
#define LAPIC_REG_ID          0x020   /* bits 31:24: APIC ID (x2APIC: all 32) */
#define LAPIC_REG_VERSION     0x030   /* bits 7:0 version, 23:16 max LVT entry */
#define LAPIC_REG_EOI         0x0b0
#define LAPIC_REG_SVR         0x0f0   /* spurious vector, bit 8: software enable */
#define LAPIC_REG_ISR         0x100   /* in service: 8 registers of 32 vectors, 0x10 apart */
#define LAPIC_REG_IRR         0x200   /* requested: likewise */
#define LAPIC_REG_LVT_TIMER   0x320
#define LAPIC_REG_TIMER_INIT  0x380   /* initial count: writing starts (0 stops) */
#define LAPIC_REG_TIMER_COUNT 0x390   /* current count, down to 0 */
#define LAPIC_REG_TIMER_DIV   0x3e0
#define LAPIC_MMIO_SIZE       0x1000

#define PIC_VECTOR_BASE       0x20    /* the 8259s' 16 vectors, masked */
#define LAPIC_TIMER_VECTOR    0x40
#define LAPIC_SPURIOUS_VECTOR 0xff
#define LAPIC_TIMER_DIVIDE    16      /* bus clock / 16 drives the count */
#define LAPIC_CALIBRATE_US    500     /* TSC window the count is measured over (at least) */

/* How to reach one LAPIC's registers. */
struct lapic_regs {
	vaddr_t mmio;                  /* xAPIC: the mapped page; 0: none */
	bool x2apic;                   /* registers are MSRs (mmio unused) */
};

uint32_t lapic_read(const struct lapic_regs *r, unsigned reg);
void lapic_write(const struct lapic_regs *r, unsigned reg, uint32_t v);

/*
 * lapic_timer_calibrate - count @r's timer (one-shot, masked, divide 16)
 * over LAPIC_CALIBRATE_US of TSC time (@tsc_hz) and give its ticks per
 * millisecond in *ticks_per_ms. Touches only the timer registers; leaves
 * the timer stopped. Returns E_OK; E_NOENT if @r has no registers,
 * E_INVAL if @tsc_hz is 0, E_IO if the count does not move, moves up,
 * reads 0 or runs out within the window (a broken or absent timer).
 * Bounded by the TSC: never waits longer than the window.
 */
int lapic_timer_calibrate(const struct lapic_regs *r, uint64_t tsc_hz, uint32_t *ticks_per_ms);

/*
 * lapic_timer_init - take the LAPIC at @mmio (or the x2APIC when @x2apic):
 * mask and remap the 8259s, software-enable it with LAPIC_SPURIOUS_VECTOR,
 * install the two vectors' handlers (arch_set_irq_handler) and start
 * counting the timer down for its calibration. Call once, from
 * devices_init; lapic_timer_init_finish ends the calibration.
 */
void lapic_timer_init(vaddr_t mmio, bool x2apic);

/*
 * lapic_timer_init_finish - end the calibration against @tsc_hz, waiting
 * only for what is left of LAPIC_CALIBRATE_US since lapic_timer_init.
 * Prints one "lapic timer:" line: the ticks per ms, or why there is no
 * usable timer (then lapic_timer_ready is false and the scheduler stays
 * cooperative). Call once, from devices_finish, once the TSC is known.
 */
void lapic_timer_init_finish(uint64_t tsc_hz);

/* lapic_timer_ready - the timer was calibrated and can be armed. */
bool lapic_timer_ready(void);

/* lapic_timer_ticks_per_ms - the calibrated count rate (0: not ready). */
uint32_t lapic_timer_ticks_per_ms(void);

/*
 * lapic_timer_oneshot - arm the timer to raise LAPIC_TIMER_VECTOR once,
 * @us microseconds from now (at least one tick; at most the 32-bit count),
 * replacing any earlier arming. Nothing when the timer is not ready.
 */
void lapic_timer_oneshot(uint64_t us);

/*
 * lapic_timer_stop - disarm the timer, then take any expiry still pending
 * from while interrupts were off (one sti/cli window in ring 0, where the
 * handler only EOIs): afterwards no timer interrupt can arrive. Call with
 * interrupts off (the kernel always runs so); they are off on return.
 * Nothing when the timer is not ready.
 */
void lapic_timer_stop(void);

/*
 * lapic_timer_set_user_handler - @fn is called, after the EOI, for each
 * timer interrupt that hit ring 3 (with its frame; it may not return:
 * proc.c ends the process's turn). NULL: such interrupts just return.
 */
void lapic_timer_set_user_handler(void (*fn)(struct trap_frame *f));

/* What the two vectors' handlers have seen since boot. */
struct lapic_stats {
	uint64_t timer_user;           /* timer interrupts that hit ring 3 */
	uint64_t timer_kernel;         /* ... that hit ring 0 */
	uint64_t spurious;             /* LAPIC_SPURIOUS_VECTOR */
	uint64_t eoi;                  /* EOIs written */
};
const struct lapic_stats *lapic_get_stats(void);

/* lapic_in_service - @vector's bit in the in-service register (ISR). */
bool lapic_in_service(unsigned vector);

#endif
