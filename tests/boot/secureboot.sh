#!/bin/bash
# secureboot.sh - Secure Boot test of issue 5, run as one case of the boot
# matrix (tests/boot/test_matrix.sh); runnable alone too.
#
# Signs BOOTX64.EFI and memmap.efi with Debian's OVMF snakeoil test key
# (scripts/sign.sh, the `make sign` path), builds USB images with
# scripts/mkusb.sh (the `make usb` path) and boots them under the Secure
# Boot OVMF build with the snakeoil key enrolled: the signed image must
# reach "carto: ready", the unsigned one and one signed with a key that is
# not enrolled must be refused by the firmware with no Carto output; the
# unsigned image must boot without Secure Boot. Details: secureboot.py.
# Nothing is written outside a temporary directory and build/boot-tests/.
#
# Prints TAP; the last line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# Whole-run limit; each QEMU boot has its own, much shorter, timeouts.
RUN_TIMEOUT=900

mkdir -p build/boot-tests
if ! make -s esp/EFI/BOOT/BOOTX64.EFI esp/EFI/carto/memmap.efi >build/boot-tests/make-secureboot.log 2>&1; then
	echo "not ok 1 - BOOTX64.EFI and memmap.efi build"
	tail -n 20 build/boot-tests/make-secureboot.log | sed 's/^/#   /'
	echo "0 passed, 1 failed"
	exit 1
fi
echo "# Secure Boot: four QEMU boots, 5-30 s each under TCG"
. tests/boot/lib/locked.sh
run_locked secureboot "$RUN_TIMEOUT" tests/boot/secureboot.py "$@"
