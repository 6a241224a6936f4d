#!/bin/bash
# test_acpi_power.sh - the ACPI reset register and S5 power-off in QEMU,
# without isa-debug-exit (tests/boot/acpi_power.py has the details).
# Prints TAP; the last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
if ! make -s esp/EFI/BOOT/BOOTX64.EFI >/dev/null 2>&1; then
	echo "not ok 1 - BOOTX64.EFI builds"
	echo "0 passed, 1 failed"
	exit 1
fi
PYTHONDONTWRITEBYTECODE=1 timeout 900 python3 tests/boot/acpi_power.py
