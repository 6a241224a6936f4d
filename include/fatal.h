/*
 * fatal.h - how code shared by the loader, the kernel and the host stops
 * when one of its invariants is broken.
 *
 * mm/ code is built three ways, so it cannot call the kernel's panic() or
 * the loader's fail() (their formats differ, too: kprintf's %s is the
 * firmware Print's %a). It calls mm_fatal() with fixed arguments instead,
 * and each environment that links mm/ defines it:
 *   kernel        kernel/kspace.c        panic()
 *   loader        efi/loader/firmware.c fail(), or late_panic() after
 *                                      ExitBootServices
 *   memory dump   efi/memdump/main.c   a message on the console, then halt
 *   host          mm/fatal.c           a message on stderr, then abort()
 * Host tests check that something is caught by running it in a child
 * process and expecting SIGABRT and the caller's name on stderr.
 *
 * Only for broken invariants (a bad address handed to a converter, a frame
 * freed that was never handed out); what a caller can handle is a status
 * return (status.h).
 */
#ifndef CARTO_FATAL_H
#define CARTO_FATAL_H

#include <stdint.h>

/*
 * mm_fatal - stop for good: "<caller>: <what> (<value in hex>)".
 * @caller is the function that found the problem (usually the __func__ of
 * the function that was handed the bad value), @what says what is wrong,
 * @value is the offending address or number. Never returns.
 */
__attribute__((noreturn, cold)) void mm_fatal(const char *caller, const char *what, uint64_t value);

#endif
