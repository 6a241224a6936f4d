/*
 * efirt.h - the UEFI runtime services after ExitBootServices.
 *
 * efirt_init maps the firmware's runtime regions (the EFI_MEMORY_RUNTIME
 * entries of the hand-off's final memory map) at EFIRT_BASE + phys in the
 * kernel half (memlayout.h), with the permissions include/efirt_plan.h
 * works out (the Memory Attributes Table's, or by type; never W+X), claims
 * each in the ownership registry and calls SetVirtualAddressMap once.
 * That call runs in the firmware's physical mode: for its duration the
 * regions are also mapped at their physical addresses, and removed right
 * after, so that afterwards nothing of the firmware is mapped in the lower
 * half. (EDK II's and U-Boot's SetVirtualAddressMap apply their runtime
 * images' relocations in place, through those physical addresses, while
 * running from them: the temporary copy of the runtime *code* is writable
 * and executable for that one call, with interrupts off. The kernel-half
 * mapping, the one that stays, never is.)
 *
 * Every runtime call goes through efirt_call: interrupts off, on the
 * dedicated kernel stack KSTACK_EFIRT, the firmware reached only through
 * its kernel-half mapping (after SetVirtualAddressMap). An exception
 * inside the call - a firmware bug, or a bad pointer it was given - is a
 * firmware fault, not a kernel one: it is recorded (which call, vector,
 * RIP, CR2), the call returns EFIRT_STATUS_FAULT, the service is marked
 * broken and never called again, and the kernel goes on.
 *
 * Single CPU, no locking: one runtime call at a time.
 */
#ifndef CARTO_EFIRT_H
#define CARTO_EFIRT_H

#include "efi_time.h"
#include "handoff.h"
#include "types.h"

/* EFI_STATUS values the kernel names (UEFI 2.10, Appendix D). */
#define EFI_STATUS_ERROR_BIT   (1ull << 63)
#define EFIRT_SUCCESS          0ull
#define EFIRT_INVALID_PARAM    (EFI_STATUS_ERROR_BIT | 2)
#define EFIRT_UNSUPPORTED      (EFI_STATUS_ERROR_BIT | 3)
#define EFIRT_DEVICE_ERROR     (EFI_STATUS_ERROR_BIT | 7)
#define EFIRT_NOT_READY        (EFI_STATUS_ERROR_BIT | 6)
#define EFIRT_ABORTED          (EFI_STATUS_ERROR_BIT | 21)
/* What efirt_call returns when the firmware faulted (EFI_ABORTED). */
#define EFIRT_STATUS_FAULT     EFIRT_ABORTED

/* The services Carto calls, by name in reports. */
enum efirt_service {
	EFIRT_SVC_SET_VIRTUAL_ADDRESS_MAP,
	EFIRT_SVC_GET_TIME,
	EFIRT_SVC_RESET_SYSTEM,
	EFIRT_SVC_TEST,               /* self-tests' own functions (efirt_call) */
	EFIRT_SVC_COUNT
};

/* EFI_RESET_TYPE. */
enum efirt_reset_type {
	EFIRT_RESET_COLD = 0,
	EFIRT_RESET_WARM = 1,
	EFIRT_RESET_SHUTDOWN = 2,
};

/* A runtime function: the UEFI calling convention (Microsoft x64). */
typedef uint64_t (__attribute__((ms_abi)) *efirt_fn)(uint64_t a0, uint64_t a1, uint64_t a2,
						     uint64_t a3);

/* The last firmware fault. */
struct efirt_fault {
	bool seen;
	enum efirt_service service;
	uint64_t vector, error, rip, cr2;
	bool rip_in_firmware;         /* RIP lies in a runtime region */
};

/*
 * efirt_init - do everything above from @h and print the "efi runtime:"
 * lines of the boot report (what was mapped and how, what is missing and
 * why), then the date and time from GetTime. Call once, after mmio_init.
 * Never fails: without a usable table, map or plan the runtime services
 * are simply not used (and the report says why).
 */
void efirt_init(const struct handoff *h);

/* efirt_available - SetVirtualAddressMap succeeded: the services may be
 * called (each may still be unsupported or broken). */
bool efirt_available(void);

/*
 * efirt_service_usable - @svc can be called: the services are available,
 * its pointer lies in the firmware's runtime code, it has not faulted and
 * has not answered EFI_UNSUPPORTED. If not, and @why is non-NULL, *why
 * says why in a few words.
 */
bool efirt_service_usable(enum efirt_service svc, const char **why);

/*
 * efirt_get_time - GetTime into *@t. Returns the EFI status (EFIRT_SUCCESS;
 * EFIRT_UNSUPPORTED also when the service is not usable;
 * EFIRT_STATUS_FAULT when it faulted). @t is firmware data: check it with
 * efi_time_check before use.
 */
uint64_t efirt_get_time(struct efi_time *t);

/*
 * efirt_get_time_at - GetTime with @t_va as its EFI_TIME pointer, which
 * need not be valid: for the self-test that makes the firmware fault.
 */
uint64_t efirt_get_time_at(vaddr_t t_va);

/*
 * efirt_reset - ResetSystem(@type, EFI_SUCCESS, 0, NULL). Does not return
 * if the firmware resets; returns the status otherwise (EFIRT_UNSUPPORTED
 * when the service is not usable).
 */
uint64_t efirt_reset(enum efirt_reset_type type);

/*
 * efirt_call - the one path of every runtime call: interrupts off, switch
 * to the KSTACK_EFIRT stack, call @fn(a0..a3) with the UEFI convention,
 * catch any exception it raises (see above), restore the interrupt flag.
 * Returns @fn's status, or EFIRT_STATUS_FAULT after marking @svc broken
 * (the fault is in efirt_last_fault and printed). EFIRT_UNSUPPORTED
 * without calling if @svc is already broken. Not reentrant.
 */
uint64_t efirt_call(enum efirt_service svc, efirt_fn fn, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3);

/* efirt_forget_fault - mark EFIRT_SVC_TEST usable again, so the self-test
 * of the call path can run more than once (the monitor's `selftest`). A
 * firmware service that faulted stays broken: any other @svc is refused
 * (returns false). */
bool efirt_forget_fault(enum efirt_service svc);

/* efirt_last_fault - the last firmware fault (seen == false: none). */
const struct efirt_fault *efirt_last_fault(void);

/* efirt_service_name - "GetTime", ... */
const char *efirt_service_name(enum efirt_service svc);

/* efirt_status_name - "unsupported" for EFIRT_UNSUPPORTED, ...; "error"
 * or "warning" for the others. */
const char *efirt_status_name(uint64_t status);

#endif
