/*
 * panic.c - panic() and halt_forever() (see panic.h).
 */
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "panic.h"
#include "selftest.h"

static bool panicking;

void halt_forever(void)
{
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
	qemu_exit(false);
	halt_forever();
}
