#!/bin/bash
# test_verbose.sh - the loader's "verbose" output (README, "What verbose
# shows"): both phase lines with rising TSC figures, the clean map with as
# many entry lines as it announces, the direct map's page counts equal to
# the ones the kernel reports from the same tables, and the reservations
# with as many lines as announced. Self-check: the same checks reject the
# log with the verbose lines taken out, and with one map entry dropped.
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
check() {  # check OK DESCRIPTION
	if [ "$1" = 0 ]; then pass=$((pass + 1)); echo "ok $((pass + fail)) - $2"
	else fail=$((fail + 1)); echo "not ok $((pass + fail)) - $2"; fi
}
# problems LOG: print what is wrong with the verbose output in LOG (nothing if right).
problems() {
	tr -d '\r' <"$1" | awk '
	/^carto: firmware map read \(TSC \+[0-9]+\)/ { split($0, a, "+"); t1 = a[2] + 0 }
	/^carto: page tables built \(TSC \+[0-9]+\)/ { split($0, a, "+"); t2 = a[2] + 0 }
	/^carto: clean map: [0-9]+ entries/ { want_map = $4; inmap = 1; next }
	inmap && /^  \[[0-9A-F]+, [0-9A-F]+\) +[0-9]+ KiB [A-Za-z]+/ { got_map++; next }
	inmap { inmap = 0 }
	/^carto: direct map: / { ldm = $4 " " $7 " " $10 }
	/^direct map: ffff/ { kdm = $4 " " $7 " " $10 }
	/^carto: [0-9]+ reservations for the kernel/ { want_res = $2; inres = 1; next }
	inres && /^  \[[0-9A-F]+, [0-9A-F]+\) [a-z]/ { got_res++; next }
	inres { inres = 0 }
	END {
		if (!t1 || !t2 || t2 <= t1) print "phase lines missing or not rising: map read +" t1 ", page tables +" t2
		if (want_map == "" || want_map + 0 == 0 || got_map != want_map + 0) print "clean map: announced " want_map " entries, listed " got_map + 0
		if (ldm == "" || ldm != kdm) print "direct map pages (1G 2M 4K): loader \"" ldm "\", kernel \"" kdm "\""
		if (want_res == "" || got_res != want_res + 0) print "reservations: announced " want_res ", listed " got_res + 0
	}'
}
echo "TAP version 13"
log=$(mktemp) doctored=$(mktemp)
trap 'rm -f "$log" "$doctored"' EXIT
scripts/qemu.sh --timeout 120 --serial-log "$log" --cmdline "verbose" >/dev/null 2>&1 &
qemu=$!
for _ in $(seq 600); do
	grep -aq "carto: ready" "$log" 2>/dev/null && break
	kill -0 $qemu 2>/dev/null || break
	sleep 0.2
done
kill $qemu 2>/dev/null
wait $qemu 2>/dev/null
found=$(problems "$log")
[ -z "$found" ]
check $? "verbose shows the phases, the clean map, the page tables and the reservations"
[ -n "$found" ] && printf '%s\n' "$found" | sed 's/^/#   /'
grep -av "^carto: \|^  \[[0-9A-F]*, " "$log" >"$doctored"
[ -n "$(problems "$doctored")" ]
check $? "self-check: the checks reject a boot without the verbose lines"
awk '/^  \[[0-9A-F]+, / && !done { done = 1; next } { print }' "$log" >"$doctored"
[ -n "$(problems "$doctored")" ]
check $? "self-check: the checks notice one clean-map entry missing"
if [ "$fail" != 0 ]; then echo "# serial log tail:"; tail -n 20 "$log" | sed 's/^/#   /'; fi
echo "1..$((pass + fail))"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
