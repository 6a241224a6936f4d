#!/bin/bash
# test_efirt.sh - boot tests of the EFI runtime services and of reboot and
# power-off (issue 13 part B), run by `make test` / `make boot-test`
# through tests/run-suite.sh. See tests/boot/efirtcheck.py for what each
# boot checks. Prints TAP; the last line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
RUN_TIMEOUT=900

mkdir -p build/boot-tests
if ! make -s esp/EFI/BOOT/BOOTX64.EFI >build/boot-tests/make-efirt.log 2>&1; then
	echo "not ok 1 - BOOTX64.EFI builds"
	tail -n 20 build/boot-tests/make-efirt.log | sed 's/^/#   /'
	echo "0 passed, 1 failed"
	exit 1
fi
start=$(date +%s)
PYTHONDONTWRITEBYTECODE=1 timeout "$RUN_TIMEOUT" python3 tests/boot/efirtcheck.py --self-check "$@"
status=$?
echo "# test_efirt.sh: $(( $(date +%s) - start )) s wall time"
[ "$status" = 124 ] && echo "# efirtcheck.py did not finish within $RUN_TIMEOUT s"
exit "$status"
