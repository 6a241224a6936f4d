/*
 * ps2.h - a PS/2 keyboard on the i8042 controller (most laptops' own
 * keyboard, and desktops whose firmware emulates one for a USB keyboard).
 *
 * ps2_init probes the controller and never hangs doing it: every wait on
 * it is bounded (PS2_SPIN_LIMIT status reads), a controller that is not
 * there (its status port reads 0xff), does not take commands, or fails
 * its self-test or its keyboard-port test is reported in one line and not
 * used. A working controller is set up for polling (its interrupts off,
 * the mouse port disabled), the keyboard is told to scan, and the
 * controller becomes an input source (input.h) whose bytes scancode.h
 * decodes: set 1 when the controller translates (the usual case), else
 * the set the keyboard says it uses.
 *
 * ACPI's FADT can say there is no 8042 (IAPC_BOOT_ARCH bit 1), but many
 * firmwares get that bit wrong both ways; the probe is what decides.
 */
#ifndef CARTO_PS2_H
#define CARTO_PS2_H

#include "types.h"

#define PS2_SPIN_LIMIT 100000u   /* status reads per wait: ~100 ms on hardware */
#define PS2_POLL_BYTES 32        /* bytes one poll takes at most */

/*
 * ps2_init - probe the i8042 and, if it works, register the keyboard as an
 * input source. Prints one line saying what it found (or why the
 * controller is not used). Call once, after the console is up.
 */
void ps2_init(void);

/* ps2_present - true once ps2_init has registered the keyboard. */
bool ps2_present(void);

#endif
