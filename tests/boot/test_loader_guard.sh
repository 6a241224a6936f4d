#!/bin/bash
# test_loader_guard.sh - after ExitBootServices, a firmware call or an
# allocation by the loader must be a loud panic on the serial port, not a
# jump into firmware memory. The command-line word loader-test=late-alloc
# makes the loader try one allocation right after the exit.
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
check() {  # check OK DESCRIPTION
	if [ "$1" = 0 ]; then pass=$((pass + 1)); echo "ok $((pass + fail)) - $2"
	else fail=$((fail + 1)); echo "not ok $((pass + fail)) - $2"; fi
}
echo "TAP version 13"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
scripts/qemu.sh --timeout 120 --serial-log "$log" --cmdline "loader-test=late-alloc" >/dev/null 2>&1 &
qemu=$!
for _ in $(seq 600); do
	grep -aq "fatal after ExitBootServices" "$log" 2>/dev/null && break
	kill -0 $qemu 2>/dev/null || break
	sleep 0.2
done
sleep 1
kill $qemu 2>/dev/null
wait $qemu 2>/dev/null
grep -aq "carto loader: fatal after ExitBootServices: allocation after ExitBootServices" "$log"
check $? "a loader allocation after ExitBootServices panics with a message"
! grep -aq "carto: ready" "$log"
check $? "the kernel is not entered after the guard fired"
if [ "$fail" != 0 ]; then echo "# serial log tail:"; tail -n 20 "$log" | sed 's/^/#   /'; fi
echo "1..$((pass + fail))"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
