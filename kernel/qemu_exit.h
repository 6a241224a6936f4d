/*
 * qemu_exit.h - ending a QEMU guest with a status, through QEMU's
 * isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04):
 * writing v to port 0xf4 makes QEMU exit with status (v << 1) | 1.
 *
 * Powering off (power.h) ends a machine without a result; this is how a
 * run under QEMU ends with one. Whether to end the guest is the caller's
 * decision: the self-test runner does, at the end of a run and on a panic
 * during one (panic.h, halt_set_hook), and powers off when the device is
 * not there.
 */
#ifndef CARTO_QEMU_EXIT_H
#define CARTO_QEMU_EXIT_H

#include "types.h"

#define QEMU_EXIT_PORT     0xf4
#define QEMU_EXIT_PASS     0x10   /* QEMU exits with status 33 */
#define QEMU_EXIT_FAIL     0x11   /* QEMU exits with status 35 */
#define QEMU_STATUS_PASS   ((QEMU_EXIT_PASS << 1) | 1)
#define QEMU_STATUS_FAIL   ((QEMU_EXIT_FAIL << 1) | 1)
_Static_assert(QEMU_STATUS_PASS == 33 && QEMU_STATUS_FAIL == 35, "exit statuses");

/*
 * qemu_exit - end QEMU with status 33 (@success) or 35. Touches the port
 * only inside a hypervisor (CPUID) and writes it only if an isa-debug-exit
 * device answers there; on a real PC port 0xf4 may belong to something
 * else and is neither read nor written. Returns if there is no such
 * device (or it did not end QEMU).
 */
void qemu_exit(bool success);

#endif
