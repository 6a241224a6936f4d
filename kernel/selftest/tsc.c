/*
 * tsc.c - self-test of the TSC frequency the boot found (devices.h):
 * against a long HPET window. Prints the error for make bench-boot.
 */
#include "console.h"
#include "devices.h"
#include "klib.h"
#include "selftest.h"

#define TSC_MAX_ERROR_PPM 2000   /* 0.2 %: a read's duration over 0.5 ms, with room */
#define TSC_STABLE_PPM    1000   /* two long windows agree this well: a steady timebase */

static int64_t ppm_off(uint64_t hz, uint64_t ref)
{
	return ((int64_t)hz - (int64_t)ref) * 1000000 / (int64_t)ref;
}

/*
 * The boot's frequency against a long HPET count. Under -icount (make
 * bench-boot) the guest's clocks are exact and the error must be within
 * TSC_MAX_ERROR_PPM. Plain TCG ties the TSC and the HPET to the host's
 * clocks through an emulator that is descheduled at will, and long
 * windows then disagree with each other by percents: the test sees that
 * (two long windows differ by more than TSC_STABLE_PPM), says so and
 * checks only that the boot's figure is within a factor of four (seen
 * here: a 0.5 ms window at 0.52 of the 20 ms one).
 */
SELFTEST(tsc_calibration)
{
	const struct devices *d = devices_get();

	if (!d->hpet_period_fs) {
		ST_CHECK(d->tsc_source != TSC_HPET, "TSC from the HPET, but no HPET");
		kprintf("# tsc: no HPET to check the boot's %lu Hz (%s) against\n", d->tsc_hz,
			tsc_source_name(d->tsc_source));
		return;
	}
	uint64_t ref = tsc_hz_from_hpet(TSC_CALIBRATE_LONG_NS);
	uint64_t ref2 = tsc_hz_from_hpet(TSC_CALIBRATE_LONG_NS);
	if (!ST_CHECK(ref > 0 && ref2 > 0, "the HPET counter does not advance") ||
	    !ST_CHECK(d->tsc_hz > 0, "the boot left the TSC uncalibrated"))
		return;
	int64_t ppm = ppm_off(d->tsc_hz, ref), drift = ppm_off(ref2, ref);
	kprintf("# tsc: boot %lu Hz (%s), %lu ms HPET window %lu Hz: %s error %ld ppm\n",
		d->tsc_hz, tsc_source_name(d->tsc_source), TSC_CALIBRATE_LONG_NS / 1000000, ref,
		d->tsc_source == TSC_HPET ? "short-window" : "stated-frequency", ppm);
	ST_CHECK(d->tsc_hz < 4 * MAX(ref, ref2) && 4 * d->tsc_hz > MIN(ref, ref2),
		 "the boot's %lu Hz is not within a factor of four of %lu and %lu Hz", d->tsc_hz,
		 ref, ref2);
	if (drift > TSC_STABLE_PPM || drift < -TSC_STABLE_PPM) {
		kprintf("# tsc: two %lu ms windows differ by %ld ppm: no steady timebase (plain "
			"TCG?); the %d ppm bound is checked under -icount (make bench-boot)\n",
			TSC_CALIBRATE_LONG_NS / 1000000, drift, TSC_MAX_ERROR_PPM);
		return;
	}
	ST_CHECK(ppm <= TSC_MAX_ERROR_PPM && ppm >= -TSC_MAX_ERROR_PPM,
		 "the boot's TSC frequency is %ld ppm off a %lu ms count", ppm,
		 TSC_CALIBRATE_LONG_NS / 1000000);
}
