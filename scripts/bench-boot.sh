#!/bin/bash
# bench-boot.sh - where the boot's time goes, phase by phase (make bench-boot).
#
# usage: scripts/bench-boot.sh [--mem SIZE] [--runs N] [--keep DIR]
#   --mem SIZE   guest RAM (default 2G)
#   --runs N     boots to measure (default 1; under -icount every run gives
#                the same figures, so more only checks that)
#   --keep DIR   keep the serial logs in DIR
#
# Boots the q35 guest under `-icount shift=0` (scripts/qemu.sh --icount:
# one TSC tick per guest instruction, so the figures repeat exactly) with
# QEMU's standard VGA, so the framebuffer console is on, and reads the
# kernel's "boot phases" lines, printed after "carto: ready" from the TSC
# stamps of include/handoff.h (enum boot_phase). Then boots once more with
# "selftest=tsc_" to read how far the fast TSC calibration is from a long
# one. Prints a table (each phase's end since the loader started, and its
# own length), then lines
#   bench: boot PHASE TICKS          (PHASE's end, ticks since loader start)
#   bench: tsc short-window-error PPM
#   bench: done
# These are emulated figures: instructions under TCG, not hardware time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mem=2G runs=1 keep=
while [ $# -gt 0 ]; do
	case $1 in
	--mem) mem=${2:?--mem needs a size}; shift ;;
	--runs) runs=${2:?--runs needs a count}; shift ;;
	--keep) keep=${2:?--keep needs a directory}; shift ;;
	-h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "bench-boot.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $runs in ''|*[!0-9]*|0) echo "bench-boot.sh: --runs wants a positive number, got '$runs'" >&2; exit 2 ;; esac
[ -f "$top/esp/EFI/BOOT/BOOTX64.EFI" ] || make -C "$top" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/carto-bench-boot.XXXXXX")
qpid=
cleanup() {
	if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
	[ -n "$keep" ] && mkdir -p "$keep" && cp "$work"/*.log "$keep"/ 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# boot LOG PATTERN [qemu.sh options]: boot until PATTERN shows in LOG (or
# QEMU ends, or 300 s pass), then stop QEMU.
boot() {
	local log=$1 pattern=$2
	shift 2
	: >"$log"
	"$top/scripts/qemu.sh" --mem "$mem" --icount --timeout 300 --serial-log "$log" "$@" \
		>/dev/null 2>&1 &
	qpid=$!
	while kill -0 "$qpid" 2>/dev/null && ! grep -aq "$pattern" "$log"; do sleep 0.5; done
	kill "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
	qpid=
	grep -aq "$pattern" "$log"
}

# The phases, in boot order: the name in the kernel's line, and the bench name.
names=("map read" "page tables" "exit boot services" "kernel entry" "memory init"
	"kernel init" "report" "devices" "ready")
keys=(map-read page-tables exit-boot-services kernel-entry memory-init console report devices ready)
what=("firmware map read (loader)" "page tables built (loader)" "ExitBootServices (loader)"
	"kernel entry" "memory init: kspace, frames, PAT, MMIO" "console: screen mapped, cleared"
	"boot report printed" "devices: ACPI, APICs, HPET/TSC, PCI" "carto: ready on screen")

declare -A sum
for r in $(seq "$runs"); do
	log=$work/boot-$r.log
	if ! boot "$log" "loader -> kernel entry"; then
		echo "bench-boot.sh: run $r: no boot phases after \"carto: ready\" (serial log:)" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
	# The last "boot phases" block: the one printed after "carto: ready".
	block=$(awk '/^boot phases/ { b = "" } { b = b $0 "\n" } END { printf "%s", b }' "$log" | tr -d '\r')
	for i in "${!names[@]}"; do
		v=$(printf '%s' "$block" | grep -oE "${names[$i]} [0-9]+" | head -n 1 | awk '{print $NF}')
		if [ -z "$v" ]; then
			echo "bench-boot.sh: run $r: no \"${names[$i]}\" in the boot phases:" >&2
			printf '%s\n' "$block" >&2
			exit 1
		fi
		if [ "$r" -gt 1 ] && [ "${sum[$i]}" != "$v" ]; then
			echo "bench-boot.sh: note: run $r: ${keys[$i]} $v, run 1 had ${sum[$i]}" >&2
		fi
		sum[$i]=$v
	done
done

printf '%-42s %14s %14s\n' "phase (guest: q35, $mem, -icount shift=0)" "end (ticks)" "length"
printf '%-42s %14s %14s\n' "BOOTX64.EFI started (loader start)" 0 -
prev=0
for i in "${!names[@]}"; do
	printf '%-42s %14s %14s\n' "${what[$i]}" "${sum[$i]}" $(( sum[$i] - prev ))
	prev=${sum[$i]}
done

# The TSC calibration's error: the self-test times the fast method against
# a long HPET window and prints "# tsc: ... error N ppm".
tlog=$work/tsc.log
tsc_err=
if boot "$tlog" "passed, [0-9]* failed" --cmdline "selftest=tsc_"; then
	tsc_err=$(grep -aoE 'error -?[0-9]+ ppm' "$tlog" | head -n 1 | awk '{print $2}')
	grep -aE '^# tsc:' "$tlog" | tr -d '\r' || true
fi

for i in "${!names[@]}"; do
	echo "bench: boot ${keys[$i]} ${sum[$i]}"
done
if [ -n "$tsc_err" ]; then
	echo "bench: tsc short-window-error $tsc_err"
else
	echo "bench-boot.sh: the tsc_ self-test printed no error figure" >&2
	exit 1
fi
echo "bench: done"
