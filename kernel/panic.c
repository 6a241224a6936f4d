/*
 * panic.c - panic(), halt_forever() and its hook (see panic.h).
 */
#include "arch.h"
#include "console.h"
#include "io.h"
#include "panic.h"

static bool panicking;
static halt_hook_fn halt_hook;

halt_hook_fn halt_set_hook(halt_hook_fn hook)
{
	halt_hook_fn old = halt_hook;

	halt_hook = hook;
	return old;
}

void halt_forever(void)
{
	halt_hook_fn hook = halt_hook;

	cli();
	halt_hook = NULL;   /* once: a hook that faults ends in a plain halt */
	if (hook)
		hook();
	for (;;) {
		cli();
		hlt();
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;

	cli();
	if (panicking) {
		/* The first panic's output path may be what failed. */
		console_fb_stop();
		kputs("\npanic: nested panic: ");
	} else {
		panicking = true;
		console_set_color(CON_LIGHT_RED, CON_BLACK);
		kputs("\npanic: ");
	}
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kputs("\n");
	console_set_color(CON_DEFAULT_FG, CON_DEFAULT_BG);
	print_backtrace((uint64_t)__builtin_frame_address(0));
	halt_forever();
}
