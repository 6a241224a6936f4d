#!/bin/bash
# test_memdump_vs_kernel.sh - the dump tool's file agrees with the map the
# kernel saw (issue 4; run by `make test` / `make boot-test` through
# tests/run-suite.sh).
#
#   tests/boot/test_memdump_vs_kernel.sh [memdump_vs_kernel.py options]
#
# Per guest (512 MiB q35, 4 GiB q35, 3 GiB pc by default), in one QEMU
# configuration: memmap.efi writes its dump (scripts/memmap-run.sh), Carto
# prints the firmware map it got at ExitBootServices ("fwmap"), the host
# analyzer reads both, and every non-RAM range, the RAM as a whole and the
# headers must agree. Details: memdump_vs_kernel.py.
#
# Prints TAP; the last line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# Whole-run limit; each QEMU boot has its own, much shorter, timeouts.
RUN_TIMEOUT=900

mkdir -p build/boot-tests
if ! make -s esp/EFI/BOOT/BOOTX64.EFI esp/EFI/carto/memmap.efi build/host/carto-memmap \
	>build/boot-tests/make-memdump-vs-kernel.log 2>&1; then
	echo "not ok 1 - BOOTX64.EFI, memmap.efi and carto-memmap build"
	tail -n 20 build/boot-tests/make-memdump-vs-kernel.log | sed 's/^/#   /'
	echo "0 passed, 1 failed"
	exit 1
fi
echo "# dump tool vs kernel: two QEMU boots per guest, 5-30 s each under TCG"
. tests/boot/lib/locked.sh
run_locked memdump-vs-kernel "$RUN_TIMEOUT" tests/boot/memdump_vs_kernel.py "$@"
