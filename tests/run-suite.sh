#!/bin/bash
# run-suite.sh - run test programs and add up their results.
#
# usage: tests/run-suite.sh NAME PROGRAM...
# Each PROGRAM prints TAP and ends with a line "N passed, N failed"
# (optionally ", N skipped"). A program that exits non-zero without such a
# line (a crash, a timeout) counts as one failure. Prints the programs'
# output, one summary line per program, and the total as its last line;
# exits non-zero if anything failed.
set -u
name=$1; shift
tp=0 tf=0 ts=0
summary=()
for prog in "$@"; do
	out=$(mktemp)
	start=$(date +%s)
	"$prog" 2>&1 | tee "$out"
	status=${PIPESTATUS[0]}
	secs=$(( $(date +%s) - start ))
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$line" ]; then
		p=0 f=1 s=0
		line="no result line (exit status $status): counted as 1 failed"
	else
		p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/.*passed, ([0-9]+) failed.*/\1/' <<<"$line")
		s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
		if [ "$status" != 0 ] && [ "$f" = 0 ]; then
			f=1
			line="$line, but exit status $status: counted as 1 failed"
		fi
	fi
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + ${s:-0}))
	summary+=("$(printf '%-44s %4ss  %s' "$(basename "$prog")" "$secs" "$line")")
done
echo
echo "== $name summary =="
printf '%s\n' "${summary[@]}"
if [ "$ts" -gt 0 ]; then
	echo "$tp passed, $tf failed, $ts skipped"
else
	echo "$tp passed, $tf failed"
fi
[ "$tf" = 0 ]
