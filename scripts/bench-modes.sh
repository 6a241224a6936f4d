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
# One table: a column per mode, in the order given, named by the variant
# the kernel printed in its "benchmark (VARIANT)" header; a row per TEST.
# A benchmark that names its own variant (the user-mode ones: shared,
# isolated) gets a row "TEST (VARIANT)", measured in each mode.
logs=
for m in $modes; do
	logs="$logs $out/$(echo "$m" | tr ':+' '--').log"
done
# shellcheck disable=SC2086
awk '
	{ sub(/\r$/, "") }
	FNR == 1 { col++ }
	match($0, /benchmark \([^)]*\)/) { name[col] = substr($0, RSTART + 11, RLENGTH - 12) }
	/^bench: done/ { next }
	/^bench: / { test[col, ++n[col]] = $2; var[col, n[col]] = $3; v[col, n[col]] = $4 }
	END {
		for (c = 1; c <= col; c++)
			for (i = 1; i <= n[c]; i++) {
				r = var[c, i] == name[c] ? test[c, i] : test[c, i] " (" var[c, i] ")"
				if (!(r in seen)) { seen[r] = 1; rows[++nr] = r }
				val[r, c] = v[c, i]
			}
		printf "%-28s", "benchmark"
		for (c = 1; c <= col; c++) printf " %18s", name[c]
		printf "\n"
		for (i = 1; i <= nr; i++) {
			printf "%-28s", rows[i]
			for (c = 1; c <= col; c++) printf " %18s", ((rows[i], c) in val) ? val[rows[i], c] : "-"
			printf "\n"
		}
	}' $logs
