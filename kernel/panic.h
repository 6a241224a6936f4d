/*
 * panic.h - stopping the kernel when an invariant is broken.
 *
 * Messages follow "function: reason" (STYLE.md), e.g.
 *   panic("mmio_init: MMIO_BASE %lx is already mapped", MMIO_BASE);
 */
#ifndef CARTO_PANIC_H
#define CARTO_PANIC_H

#include "types.h"

/*
 * panic - print "panic: <message>" and a backtrace on the console, then
 * stop for good with halt_forever (which runs the halt hook first). A
 * panic while panicking only prints the nested message on serial.
 */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * halt_forever - interrupts off, bring the screen up to date
 * (console_flush), run the halt hook if one is set (once: it is removed
 * before it runs), then hlt in a loop (an NMI cannot resume us). The end
 * of a panic and of a fatal exception.
 */
_Noreturn void halt_forever(void);

/*
 * halt_set_hook - @hook runs in halt_forever, with interrupts off, when
 * the kernel is about to stop for good; it may end the machine (the
 * self-test runner ends QEMU with the failure status) or return to let
 * the CPU halt. NULL removes it. Returns the previous hook.
 */
typedef void (*halt_hook_fn)(void);
halt_hook_fn halt_set_hook(halt_hook_fn hook);

/* print_backtrace - print the frame-pointer chain from @rbp (only frames
 * inside the kernel stacks are followed; repeats are collapsed). */
void print_backtrace(uint64_t rbp);

#endif
