/*
 * efirt.c - self-tests of the EFI runtime call path (kernel/efirt.h):
 * a runtime function that faults is reported as a firmware fault and the
 * kernel goes on; calls run on the EFI runtime stack with interrupts off;
 * GetTime answers a valid time; then the firmware's own GetTime, given a
 * pointer to unmapped memory, faults inside the firmware, which is caught
 * the same way (GetTime is then marked broken for good).
 */
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "efirt.h"
#include "klib.h"
#include "selftest.h"

static volatile uint64_t fake_rsp, fake_rflags;

/* A stand-in for a firmware function: notes where it runs, then reads an
 * address that is never mapped. */
static uint64_t __attribute__((ms_abi, noinline)) fake_faulting_service(uint64_t a0, uint64_t a1,
									 uint64_t a2, uint64_t a3)
{
	__asm__ volatile("movq %%rsp, %0" : "=r"(fake_rsp));
	fake_rflags = read_rflags();
	return *(volatile uint64_t *)a0 + a1 + a2 + a3;
}

static uint64_t __attribute__((ms_abi)) fake_good_service(uint64_t a0, uint64_t a1, uint64_t a2,
							  uint64_t a3)
{
	__asm__ volatile("movq %%rsp, %0" : "=r"(fake_rsp));
	return a0 * 1000 + a1 * 100 + a2 * 10 + a3;
}

static bool dummy_hook(struct trap_frame *f)
{
	return false;
}

/* One test, in this order: a good call, then a faulting one (which leaves
 * the test service broken). */
SELFTEST(efirt_call_path)
{
	trap_hook_fn before;
	uint64_t st;
	const struct efirt_fault *f = efirt_last_fault();

	ST_CHECK(!efirt_forget_fault(EFIRT_SVC_GET_TIME), "a firmware service's fault was forgotten");
	ST_CHECK(efirt_forget_fault(EFIRT_SVC_TEST), "the test service cannot be reset for this run");
	st = efirt_call(EFIRT_SVC_TEST, fake_good_service, 1, 2, 3, 4);

	ST_CHECK(st == 1234, "the four arguments arrive in order (got %lu)", st);
	ST_CHECK(fake_rsp >= KSTACK_BOTTOM(KSTACK_EFIRT) && fake_rsp < KSTACK_TOP(KSTACK_EFIRT),
		 "ran on %lx, not on the EFI runtime stack [%lx, %lx)", (uint64_t)fake_rsp,
		 KSTACK_BOTTOM(KSTACK_EFIRT), KSTACK_TOP(KSTACK_EFIRT));

	before = trap_set_hook(dummy_hook);
	st = efirt_call(EFIRT_SVC_TEST, fake_faulting_service, SELFTEST_UNMAPPED_VA, 0, 0, 0);
	ST_CHECK(st == EFIRT_STATUS_FAULT, "status %lx, expected the fault status", st);
	ST_CHECK(f->seen && f->service == EFIRT_SVC_TEST && f->vector == VEC_PF &&
		 f->cr2 == SELFTEST_UNMAPPED_VA && !f->rip_in_firmware,
		 "fault record: seen %d service %d vector %lu CR2 %lx", f->seen, f->service,
		 f->vector, f->cr2);
	ST_CHECK(!(fake_rflags & RFLAGS_IF), "interrupts were on during the call");
	ST_CHECK(fake_rsp >= KSTACK_BOTTOM(KSTACK_EFIRT) && fake_rsp < KSTACK_TOP(KSTACK_EFIRT),
		 "ran on %lx, not on the EFI runtime stack", (uint64_t)fake_rsp);
	ST_CHECK(trap_set_hook(before) == dummy_hook, "the trap hook in place before the call "
		 "was not put back");
	ST_CHECK(efirt_call(EFIRT_SVC_TEST, fake_good_service, 0, 0, 0, 1) == EFIRT_UNSUPPORTED,
		 "a broken service is called again");
}

/* GetTime answers a valid time twice; then, given an EFI_TIME pointer to
 * unmapped memory, faults inside the firmware: caught, GetTime broken. */
SELFTEST(efirt_get_time_and_firmware_fault)
{
	const struct efirt_fault *f = efirt_last_fault();
	struct efi_time a, b;
	const char *why, *bad;
	uint64_t st;

	if (!efirt_service_usable(EFIRT_SVC_GET_TIME, &why)) {
		kprintf("# GetTime is not usable here (%s): efirt_call_path covers the fault "
			"path\n", why);
		return;
	}
	ST_CHECK(efirt_get_time(&a) == EFIRT_SUCCESS, "first GetTime failed");
	ST_CHECK(efirt_get_time(&b) == EFIRT_SUCCESS, "second GetTime failed");
	bad = efi_time_check(&b);
	ST_CHECK(!bad, "the firmware's time has a bad %s", bad ? bad : "");
	ST_CHECK(b.year > a.year || (b.year == a.year && (b.month > a.month || (b.month == a.month &&
		 b.day * 86400 + b.hour * 3600 + b.minute * 60 + b.second >=
		 a.day * 86400 + a.hour * 3600 + a.minute * 60 + a.second))),
		 "time went backwards between two calls");

	st = efirt_get_time_at(SELFTEST_UNMAPPED_VA);
	ST_CHECK(st == EFIRT_STATUS_FAULT, "GetTime with an unmapped EFI_TIME returned %lx (%s)",
		 st, efirt_status_name(st));
	ST_CHECK(f->service == EFIRT_SVC_GET_TIME && f->rip_in_firmware && f->vector == VEC_PF &&
		 f->cr2 - SELFTEST_UNMAPPED_VA < sizeof(struct efi_time),
		 "fault record: service %d RIP %lx in firmware %d vector %lu CR2 %lx", f->service,
		 f->rip, f->rip_in_firmware, f->vector, f->cr2);
	ST_CHECK(!efirt_service_usable(EFIRT_SVC_GET_TIME, NULL), "GetTime not marked broken");
}
