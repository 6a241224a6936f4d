/*
 * panic.h - stopping the kernel when an invariant is broken.
 *
 * Messages follow "function: reason" (STYLE.md), e.g.
 *   panic("kpool_free: %lx is not a page-table frame from the pool", pa);
 */
#ifndef CARTO_PANIC_H
#define CARTO_PANIC_H

/*
 * panic - print "panic: <message>" and a backtrace on the console, then
 * stop for good with interrupts off. In self-test mode (selftest.h) QEMU
 * is ended with the failure status first. A panic while panicking only
 * prints the nested message on serial.
 */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* halt_forever - interrupts off, hlt in a loop (an NMI cannot resume us). */
_Noreturn void halt_forever(void);

#endif
