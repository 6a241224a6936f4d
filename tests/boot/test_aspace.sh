#!/bin/bash
# test_aspace.sh - the boot tests of address spaces, user mode and the
# isolated kernel (issue 10): tests/boot/aspace_check.py (see its header).
# Prints TAP; the last line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
mkdir -p build/boot-tests
if ! make -s esp/EFI/BOOT/BOOTX64.EFI >build/boot-tests/make-aspace.log 2>&1; then
	echo "not ok 1 - BOOTX64.EFI builds"
	tail -n 20 build/boot-tests/make-aspace.log | sed 's/^/#   /'
	echo "0 passed, 1 failed"
	exit 1
fi
PYTHONDONTWRITEBYTECODE=1 timeout 900 python3 tests/boot/aspace_check.py "$@"
