/*
 * qemu_exit.c - QEMU's isa-debug-exit device (see qemu_exit.h).
 */
#include "cpu.h"
#include "qemu_exit.h"

#define CPUID_ECX_HYPERVISOR (1u << 31)   /* CPUID.1:ECX: running in a VM */
#define QEMU_EXIT_READS      0x00        /* isa-debug-exit reads 0; no device: 0xff */

/*
 * debug_exit_present - does QEMU's isa-debug-exit sit at its port? Asked
 * only inside a VM: on a real PC port 0xf4 may belong to something else
 * and is neither read nor written.
 */
static bool debug_exit_present(void)
{
	return (cpuid(1, 0).ecx & CPUID_ECX_HYPERVISOR) &&
	       inb(QEMU_EXIT_PORT) == QEMU_EXIT_READS;
}

void qemu_exit(bool success)
{
	if (!debug_exit_present())
		return;
	outl(QEMU_EXIT_PORT, success ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
	/* Still here: the device did not end QEMU. */
}
