#!/bin/bash
# run-all.sh - the whole test run behind `make test`: host unit tests, host
# tool tests, then the boot tests in QEMU. Ends with the grand total line.
set -u
cd "$(dirname "$0")/.."
host=( "$@" tests/host/test_*.sh )
boot=( tests/boot/test_*.sh )
[ -e "${host[-1]}" ] || unset 'host[-1]'
[ -e "${boot[0]}" ] || boot=()
hlog=$(mktemp) blog=$(mktemp)
trap 'rm -f "$hlog" "$blog"' EXIT
tests/run-suite.sh host "${host[@]}" 2>&1 | tee "$hlog"
tests/run-suite.sh boot "${boot[@]}" 2>&1 | tee "$blog"
# Each suite's total is its last line.
totals=$(tail -n 1 "$hlog"; tail -n 1 "$blog")
p=$(awk '{s+=$1} END {print s+0}' <<<"$totals")
f=$(awk '{s+=$3} END {print s+0}' <<<"$totals")
echo
echo "== all tests: host $(tail -n 1 "$hlog" | tr -d '\n'); boot $(tail -n 1 "$blog") =="
echo "$p passed, $f failed"
[ "$f" = 0 ]
