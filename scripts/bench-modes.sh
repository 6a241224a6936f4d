#!/bin/sh
# bench-modes.sh - boot Carto once per addressing mode under -icount shift=0
# (one TSC tick per instruction: repeatable, emulated figures, not hardware
# ones), run the in-kernel benchmarks ("bench", kernel/bench.h) in each, and
# print one table: a row per benchmark, a column per mode.
#
# usage: scripts/bench-modes.sh [--mem SIZE] [--modes "M1 M2 ..."] [--timeout SEC]
#   (default 1G and "direct explicit direct:896M recursive": RAM above
#   896 MiB exists, so direct:896M has highmem). A mode is an addressing=
#   value, "recursive" (ptaccess=recursive with the direct map) or both
#   joined by "+" (explicit+recursive).
# Each boot ends through QEMU's isa-debug-exit: "selftest=-none-" selects
# no self-test, so the run stops right after the benchmarks (the self-test
# runner reports "no self-tests match"; that status is ignored here).
set -u
mem=1G
timeout=300
modes="direct explicit direct:896M recursive"
while [ $# -gt 0 ]; do
	case "$1" in
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "bench-modes.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/carto-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
for m in $modes; do
	log="$out/$(echo "$m" | tr ':+' '--').log"
	words=
	for w in $(echo "$m" | tr '+' ' '); do
		case "$w" in
		recursive) words="$words ptaccess=recursive" ;;
		*) words="$words addressing=$w" ;;
		esac
	done
	"$here/qemu.sh" --icount --mem "$mem" --selftest --timeout "$timeout" \
		--cmdline "bench$words selftest=-none-" --serial-log "$log" >/dev/null 2>&1
	if ! grep -q '^bench: done' "$log"; then
		echo "bench-modes.sh: $m ($words): no 'bench: done' within $timeout s (log follows)" >&2
		tail -20 "$log" >&2
		exit 1
	fi
done
# One table: TEST, then the value of each mode (VARIANT in the header).
cat "$out"/*.log | tr -d '\r' | awk '
	/^bench: done/ { next }
	/^bench: / {
		t = $2; v = $3
		if (!(t in seen)) { seen[t] = 1; order[++nt] = t }
		if (!(v in vseen)) { vseen[v] = 1; vars[++nv] = v }
		val[t, v] = $4
	}
	END {
		printf "%-20s", "benchmark"
		for (j = 1; j <= nv; j++) printf " %14s", vars[j]
		printf "\n"
		for (i = nt; i >= 1; i--) {
			printf "%-20s", order[i]
			for (j = 1; j <= nv; j++) printf " %14s", ((order[i], vars[j]) in val) ? val[order[i], vars[j]] : "-"
			printf "\n"
		}
	}'
