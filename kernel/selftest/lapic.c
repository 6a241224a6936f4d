/*
 * lapic.c - self-tests of the LAPIC's interrupt side (kernel/lapic.h): the
 * spurious vector is counted and never EOId, a timer interrupt in ring 0
 * is EOId (a second one arrives, nothing stays in service), a stopped
 * timer raises nothing, and a timer whose count does not run is refused
 * in bounded time (register images in RAM).
 */
#include "console.h"
#include "cpu.h"
#include "devices.h"
#include "klib.h"
#include "lapic.h"
#include "selftest.h"

#define WAIT_MS 30                 /* three default slices */

/* Interrupts on for up to @ms (until @stop returns true), then off. */
static void interrupts_on_for(unsigned ms, bool (*stop)(uint64_t), uint64_t arg)
{
	uint64_t t0 = rdtsc(), limit = devices_get()->tsc_hz / 1000 * ms;

	sti();
	while (rdtsc() - t0 < limit && !(stop && stop(arg)))
		__asm__ volatile("pause" : : : "memory");
	cli();
}

static bool kernel_ticks_past(uint64_t n)
{
	return lapic_get_stats()->timer_kernel > n;
}

SELFTEST(lapic_spurious_and_eoi)
{
	const struct lapic_stats *s = lapic_get_stats();
	struct lapic_stats b = *s;

	if (!lapic_timer_ready()) {
		selftest_skip("no usable LAPIC timer");
		return;
	}
	__asm__ volatile("int %0" : : "i"(LAPIC_SPURIOUS_VECTOR) : "memory");
	ST_CHECK(s->spurious == b.spurious + 1 && s->eoi == b.eoi, "spurious vector: counted %lu, "
		 "EOIs %lu -> %lu (want none)", s->spurious - b.spurious, b.eoi, s->eoi);
	/* Two ring-0 expiries: the second arrives only if the first was EOId. */
	for (unsigned i = 0; i < 2; i++) {
		uint64_t k = s->timer_kernel;
		lapic_timer_oneshot(1000);
		interrupts_on_for(WAIT_MS, kernel_ticks_past, k);
		lapic_timer_stop();
		ST_CHECK(s->timer_kernel == k + 1, "ring-0 timer interrupt %u: %lu arrived", i + 1,
			 s->timer_kernel - k);
		ST_CHECK(!lapic_in_service(LAPIC_TIMER_VECTOR), "timer vector still in service "
			 "after interrupt %u", i + 1);
	}
	ST_CHECK(s->eoi == b.eoi + 2 && s->timer_user == b.timer_user, "EOIs %lu (want 2), "
		 "ring-3 ticks %lu (want 0)", s->eoi - b.eoi, s->timer_user - b.timer_user);
	/* Stopped: nothing arrives however long interrupts are on. */
	uint64_t k = s->timer_kernel;
	lapic_timer_oneshot(1000);
	lapic_timer_stop();
	interrupts_on_for(WAIT_MS, NULL, 0);
	ST_CHECK(s->timer_kernel == k, "%lu timer interrupts after lapic_timer_stop",
		 s->timer_kernel - k);
	kprintf("# %u LAPIC timer ticks per ms; spurious, two ring-0 expiries and a stopped "
		"timer seen as expected\n", lapic_timer_ticks_per_ms());
}

/* A page of RAM posing as LAPIC registers: its count register never runs. */
static uint32_t fake_regs[1024] __attribute__((aligned(4096)));

SELFTEST(lapic_timer_broken_refused)
{
	uint64_t hz = devices_get()->tsc_hz, t0 = rdtsc();
	struct lapic_regs none = { 0, false }, fake = { (vaddr_t)fake_regs, false };
	uint32_t per_ms = 7;
	int st;

	if (!hz) {
		selftest_skip("the TSC is not calibrated");
		return;
	}
	st = lapic_timer_calibrate(&none, hz, &per_ms);
	ST_CHECK(st == E_NOENT, "no LAPIC: %s", status_name(st));
	st = lapic_timer_calibrate(&fake, 0, &per_ms);
	ST_CHECK(st == E_INVAL, "no TSC frequency: %s", status_name(st));
	memset(fake_regs, 0, sizeof(fake_regs));
	st = lapic_timer_calibrate(&fake, hz, &per_ms);
	ST_CHECK(st == E_IO, "count reads 0: %s", status_name(st));
	fake_regs[LAPIC_REG_TIMER_COUNT / 4] = 0x12345678;
	st = lapic_timer_calibrate(&fake, hz, &per_ms);
	ST_CHECK(st == E_IO, "count stuck at 0x12345678: %s", status_name(st));
	ST_CHECK(fake_regs[LAPIC_REG_TIMER_INIT / 4] == 0, "the timer is left stopped: init %#x",
		 fake_regs[LAPIC_REG_TIMER_INIT / 4]);
	ST_CHECK(per_ms == 7, "ticks per ms written on failure: %u", per_ms);
	uint64_t ms = (rdtsc() - t0) / (hz / 1000);
	ST_CHECK(ms < 4 * LAPIC_CALIBRATE_US / 1000 + 10, "refusing took %lu ms", ms);
}
