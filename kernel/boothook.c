/*
 * boothook.c - run the hooks of a boot stage (boothook.h).
 */
#include "boothook.h"

extern const struct boot_hook __boothooks_start[], __boothooks_end[];

void boot_hooks_run(enum boot_stage stage, const struct handoff *h)
{
	for (const struct boot_hook *b = __boothooks_start; b < __boothooks_end; b++)
		if (b->stage == stage)
			b->fn(h);
}
