/*
 * boothook.h - code that asks to run at a fixed point of the boot, without
 * kernel_main naming it: the way the self-tests (kernel/selftest/) join
 * the boot, so production code never calls test code and a kernel built
 * without them still links.
 *
 *     static void my_hook(const struct handoff *h) { ... }
 *     BOOT_HOOK(BOOT_EARLY, my_hook);
 *
 * BOOT_HOOK places a descriptor in the read-only section ".boothooks"
 * (kept by kernel.ld between __boothooks_start and __boothooks_end);
 * kernel_main runs each stage's hooks in link order.
 */
#ifndef CARTO_BOOTHOOK_H
#define CARTO_BOOTHOOK_H

#include "handoff.h"

enum boot_stage {
	BOOT_EARLY,   /* traps and serial up, hand-off checked; no memory services yet */
	BOOT_READY,   /* after "carto: ready": everything is up */
};

struct boot_hook {
	enum boot_stage stage;
	void (*fn)(const struct handoff *h);
	const char *name;
};

#define BOOT_HOOK(stage_, fn_)                                                     \
	static const struct boot_hook boothook_##fn_                               \
		__attribute__((used, section(".boothooks"), aligned(8))) = {       \
			.stage = (stage_), .fn = (fn_), .name = #fn_ }

/* boot_hooks_run - call every hook registered for @stage, in link order,
 * with @h. */
void boot_hooks_run(enum boot_stage stage, const struct handoff *h);

#endif
