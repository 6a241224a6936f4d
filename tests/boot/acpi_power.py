#!/usr/bin/env python3
"""acpi_power.py - the ACPI reset register and S5 power-off on the live
machine (kernel/acpi.h, the self-tests of kernel/selftest/acpi.c).

Boots without the isa-debug-exit device, so only a real power-off or reset
can end the guest:
  - OVMF on q35 and pc (i440fx), selftest=acpi_s5_poweroff: QEMU must exit
    by itself with status 0
    (an S5 power-off; a hang ends in the hard timeout, a triple fault in a
    reset and another boot);
  - OVMF and U-Boot, selftest=acpi_reset_reboot: after the kernel writes the
    reset register the firmware must start again (a second "Carto kernel:"
    banner on the serial port, the self-test never reporting that it
    returned);
  - U-Boot: the boot report must say why S5 is not offered (QEMU's FADT puts
    PM1a control at io 0x4 there).
Prints TAP; the last line is "N passed, N failed".
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))
from bootlib import qemu, tap  # noqa: E402

ART = os.path.join(TOP, "build", "boot-tests", "acpi-power")
# scripts/qemu.sh passes -no-reboot (a reset ends QEMU with status 0, like
# a power-off); this makes a reset restart the firmware again, so status 0
# means a power-off and a reset shows as a second boot.
RESET_RESTARTS = ["-action", "reboot=reset"]
BANNER = r"^Carto kernel: firmware"


def poweroff(t, machine, port):
    run = qemu.Boot(TOP, "poweroff-" + machine, ART, machine=machine,
                    cmdline="selftest=acpi_s5_poweroff", qemu_args=RESET_RESTARTS,
                    hard_timeout=150)
    with run:
        status = run.wait_exit(140)
        serial = run.serial()
    t.result(status == 0, "OVMF %s: S5 power-off ends QEMU with status 0 (got %s)"
             % (machine, status), run.serial_tail())
    t.result(re.search(r"^acpi: power-off: S5 \(SLP_TYP a=0 b=0\) through PM1a control "
                       r"io %s$" % port, serial, re.M) and "still running" not in serial,
             "OVMF %s: the kernel powered off through PM1a control io %s" % (machine, port),
             run.serial_tail())


def reboot(t, firmware):
    run = qemu.Boot(TOP, "reboot-" + firmware, ART, cmdline="selftest=acpi_reset_reboot",
                    firmware=firmware, qemu_args=RESET_RESTARTS, hard_timeout=200)
    with run:
        ok = run.wait_for([r"^acpi: reset: writing 0xf to the reset register \(io 0xcf9\)$",
                           r"(?s)reset register \(io 0xcf9\).*" + BANNER[1:]], timeout=180)
        why = run.why()
        serial = run.serial()
    t.result(ok is not None and "did not reset" not in serial,
             "%s: the reset register restarts the firmware (a second boot follows)" % firmware,
             [why] + run.serial_tail())
    return serial


def main():
    t = tap.Tap()
    t.note("acpi power: 4 QEMU boots without isa-debug-exit, 15-40 s each under TCG")
    poweroff(t, "q35", "0x604")
    poweroff(t, "pc", "0xb004")
    reboot(t, "default")
    serial = reboot(t, "uboot")
    # The report breaks this line in two (and wraps the reason) to fit 80 columns.
    t.result(re.search(r"^acpi: reset register io 0xcf9 value 0x0f;\nacpi: no S5 \(PM1a control "
                       r"at io 0x4,\s+among\s+the\s+legacy\s+devices\s+below\s+0x100", serial, re.M),
             "U-Boot: the boot report says why S5 is not offered",
             [l for l in serial.splitlines() if l.startswith("acpi:")])
    sys.exit(t.done())


if __name__ == "__main__":
    main()
