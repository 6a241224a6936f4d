#!/bin/bash
# test_matrix.sh - the boot-test matrix of issue 5 (run by `make test` /
# `make boot-test` through tests/run-suite.sh).
#
#   tests/boot/test_matrix.sh [matrix.py options, e.g. --only noserial]
#
# Builds BOOTX64.EFI (and the dump tool the USB image carries) if needed,
# then runs tests/boot/matrix.py: one QEMU/OVMF boot per case - q35 and pc,
# 128 MiB to 64 GiB, -cpu qemu64 and max, 4 vCPUs, the USB image on xHCI,
# no serial port (the report read back from a screendump), video= GOP
# modes, Secure Boot - each waiting for "carto: ready" or passing selftest.
# See matrix.py's header for the cases and what each checks.
#
# Prints TAP, one line per case with its wall time; the last line is
# "N passed, N failed[, N skipped]". Logs and screenshots (PNG) of the last
# run: build/boot-tests/matrix-*, noserial.png, video-*.png.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# Whole-run limit; each QEMU boot has its own, much shorter, timeouts.
RUN_TIMEOUT=1500

mkdir -p build/boot-tests
if ! make -s esp/EFI/BOOT/BOOTX64.EFI esp/EFI/carto/memmap.efi \
	>build/boot-tests/matrix-make.log 2>&1; then
	echo "not ok 1 - BOOTX64.EFI and memmap.efi build"
	tail -n 20 build/boot-tests/matrix-make.log | sed 's/^/#   /'
	echo "0 passed, 1 failed"
	exit 1
fi
echo "# boot-test matrix: one QEMU boot per case, 5-30 s each under TCG"
start=$(date +%s)
PYTHONDONTWRITEBYTECODE=1 timeout "$RUN_TIMEOUT" python3 tests/boot/matrix.py "$@"
status=$?
echo "# test_matrix.sh: $(( $(date +%s) - start )) s wall time"
if [ "$status" = 124 ]; then
	echo "# matrix.py did not finish within $RUN_TIMEOUT s"
fi
exit "$status"
