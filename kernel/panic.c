/*
 * panic.c - panic(), halt_forever() and its hook, and the backtrace that
 * panics and fatal exceptions print (see panic.h).
 */
#include "console.h"
#include "cpu.h"
#include "memlayout.h"
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
	console_flush();    /* the last words reach the screen */
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
	console_pager_stop();   /* a panic never waits for a key */
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

/* ---- backtrace ------------------------------------------------------------ */

#define BACKTRACE_MAX_FRAMES 256   /* followed */
#define BACKTRACE_MAX_SHOWN  8     /* distinct return addresses printed */

/* frame_ok - [rbp, rbp+16) lies inside one kernel stack. */
static bool frame_ok(uint64_t rbp)
{
	if (!IS_ALIGNED(rbp, sizeof(uint64_t)))
		return false;
	for (int i = 0; i < KSTACK_COUNT; i++)
		if (rbp >= KSTACK_BOTTOM(i) && rbp + 2 * sizeof(uint64_t) <= KSTACK_TOP(i))
			return true;
	return false;
}

void print_backtrace(uint64_t rbp)
{
	uint64_t last = 0;
	unsigned repeat = 0, shown = 0;

	kputs("backtrace:");
	for (unsigned n = 0; n < BACKTRACE_MAX_FRAMES && frame_ok(rbp); n++) {
		const uint64_t *fp = (const uint64_t *)rbp;
		uint64_t ret = fp[1];

		if (ret == 0)                /* the outermost frame */
			break;
		if (ret == last) {
			repeat++;
		} else {
			if (repeat)
				kprintf(" x%u", repeat + 1);
			if (shown++ == BACKTRACE_MAX_SHOWN)
				break;
			kprintf(" %lx", ret);
			last = ret;
			repeat = 0;
		}
		if (fp[0] <= rbp)            /* frames must move up the stack */
			break;
		rbp = fp[0];
	}
	if (repeat)
		kprintf(" x%u", repeat + 1);
	kputs(shown ? "\n" : " (no frames)\n");
}
