#!/bin/bash
# test_boot.sh - the scripted boot tests of issue 2 (run by `make test` /
# `make boot-test` through tests/run-suite.sh).
#
#   tests/boot/test_boot.sh [bootcheck.py options]
#
# Builds BOOTX64.EFI if needed, then runs tests/boot/bootcheck.py, which
# boots Carto in QEMU/OVMF - 512 MiB and 4 GiB guests, -cpu max (1 GiB
# pages) and -cpu qemu64 (none) - and checks, from the QEMU monitor and not
# from the kernel's own report: W^X over the whole address space, a direct
# map of exactly the firmware map's RAM with the largest pages possible, no
# lower-half mapping, the kernel's segment permissions, stack guard pages,
# the page-table window, CR0.WP and EFER.NXE; then that the in-kernel
# self-tests pass, and that crash=stack/pf/wp are reported and halt.
# --self-check (on by default here) also proves every check can fail.
# See bootcheck.py's header for the details and the options.
#
# Prints TAP; the last line is "N passed, N failed". Logs and monitor dumps
# of the last run: build/boot-tests/ (last-run.txt lists them).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# Whole-run limit; each QEMU boot has its own, much shorter, timeouts.
RUN_TIMEOUT=1200

mkdir -p build/boot-tests
if ! make -s esp/EFI/BOOT/BOOTX64.EFI >build/boot-tests/make.log 2>&1; then
	echo "not ok 1 - BOOTX64.EFI builds"
	tail -n 20 build/boot-tests/make.log | sed 's/^/#   /'
	echo "0 passed, 1 failed"
	exit 1
fi
echo "# boot tests: each QEMU boot takes 5-15 s under TCG"
start=$(date +%s)
PYTHONDONTWRITEBYTECODE=1 timeout "$RUN_TIMEOUT" python3 tests/boot/bootcheck.py --self-check "$@"
status=$?
echo "# test_boot.sh: $(( $(date +%s) - start )) s wall time"
if [ "$status" = 124 ]; then
	echo "# bootcheck.py did not finish within $RUN_TIMEOUT s"
fi
exit "$status"
