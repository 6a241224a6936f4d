#!/bin/bash
# test_monitor.sh - the carto> monitor driven over serial and PS/2 (issue
# 12; run by `make test` / `make boot-test` through tests/run-suite.sh).
#
#   tests/boot/test_monitor.sh [monitor.py options]
#
# One QEMU boot whose serial port is a unix socket the test types into and
# whose keyboard it types on with the QEMU monitor's sendkey: every
# command, the page walk checked against the live page tables, bad input,
# line editing, history, self-tests run from the prompt, and storms of
# random bytes and keys. A second boot runs the commands (bench among
# them) in addressing=explicit, a third checks that a self-test boot
# without QEMU's exit device still halts, two more that a missing i8042,
# then a missing keyboard altogether, are reported. Details: monitor.py
# (--self-check is on).
#
# Prints TAP; the last line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# Whole-run limit; each QEMU boot has its own, much shorter, timeouts.
RUN_TIMEOUT=900

mkdir -p build/boot-tests
if ! make -s esp/EFI/BOOT/BOOTX64.EFI >build/boot-tests/make-monitor.log 2>&1; then
	echo "not ok 1 - BOOTX64.EFI builds"
	tail -n 20 build/boot-tests/make-monitor.log | sed 's/^/#   /'
	echo "0 passed, 1 failed"
	exit 1
fi
echo "# monitor: five QEMU boots, typed into over serial and PS/2"
. tests/boot/lib/locked.sh
run_locked monitor "$RUN_TIMEOUT" tests/boot/monitor.py --self-check "$@"
