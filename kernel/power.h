/*
 * power.h - rebooting and switching the machine off.
 *
 * Each of the two is an ordered list of methods, best first; a method
 * says whether this machine offers it (available) and tries it (act).
 * power_reboot and power_off try every available method in order; a
 * method that returns (the machine did not reset or go off) is reported
 * in one line and the next one is tried.
 *
 *   reboot:    EFI ResetSystem(EfiResetCold), [ACPI FADT reset register],
 *              port 0xCF9 (PCI reset control), the keyboard controller's
 *              reset line (8042 command 0xFE), a deliberate triple fault
 *              (an empty IDT, then int3): the last one always works.
 *   power-off: EFI ResetSystem(EfiResetShutdown), [ACPI S5], then a message
 *              that it is safe to switch off, and halt.
 *
 * The bracketed ACPI methods come with the ACPI parser (kernel/acpi.h:
 * acpi_can_reset/acpi_reset, acpi_can_poweroff/acpi_poweroff); power.c
 * marks where they go.
 *
 * U-Boot quirk: U-Boot's ResetSystem(EfiResetShutdown) on x86 never
 * returns (it spins with interrupts off, where nothing can time it out),
 * so under firmware whose vendor is "Das U-Boot" the EFI power-off method
 * is not offered and power-off goes to the next method (ACPI S5).
 */
#ifndef CARTO_POWER_H
#define CARTO_POWER_H

#include "handoff.h"

/*
 * power_init - note the firmware (for the quirks) and print one line per
 * list: the method this machine offers first, e.g.
 *   power: reboot method: EFI ResetSystem(cold)
 *   power: power-off method: EFI ResetSystem(shutdown)
 * Call after efirt_init (and the ACPI parse).
 */
void power_init(const struct handoff *h);

/*
 * power_reboot - reboot the machine. Prints "power: reboot by METHOD" for
 * each method tried and "power: METHOD returned; trying the next" when one
 * did not work. Interrupts off. Never returns (the triple fault, last,
 * cannot fail).
 */
_Noreturn void power_reboot(void);

/*
 * power_off - switch the machine off. Prints as power_reboot; if no method
 * worked, prints "power: it is now safe to switch off the machine" (on
 * serial and screen) and halts for good. Never returns.
 */
_Noreturn void power_off(void);

#endif
