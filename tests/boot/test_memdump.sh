#!/bin/bash
# test_memdump.sh - boot test of the memory-map dump tool (issue 4).
#
# Boots esp/EFI/carto/memmap.efi in QEMU/OVMF through scripts/memmap-run.sh
# (the `make memmap` path) and checks what it wrote back to its boot disk:
#   - 512 MiB and 4 GiB q35 guests under OVMF, and 512 MiB under U-Boot: the dump exists, the console says where
#     it went, every line parses and agrees with itself and with the guest's
#     RAM size (tests/boot/memdump_check.py), and build/host/carto-memmap
#     reads it (skipped, and counted as skipped, if the analyzer is not built)
#   - a second run on the same disk writes \carto-memmap-1.txt and leaves
#     \carto-memmap.txt byte for byte as it was
#   - on a read-only disk the tool still shows the table, says the volume is
#     read-only, writes nothing and powers off
#   - on a full disk it says there is no space and writes nothing
# Prints TAP; the last line is "N passed, N failed[, N skipped]".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
run=scripts/memmap-run.sh
check=tests/boot/memdump_check.py
analyzer=build/host/carto-memmap
# Per QEMU boot; memmap-run.sh has its own, shorter timeout inside.
BOOT_TIMEOUT=180
QEMU_TIMEOUT=120

work=$(mktemp -d "${TMPDIR:-/tmp}/test_memdump.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0 skipped=0 n=0

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | tail -n 20 | sed 's/^/#   /'
	return 0
}
skip() { n=$((n + 1)); skipped=$((skipped + 1)); echo "ok $n - $1 # SKIP $2"; }
# check DESCRIPTION COMMAND...: ok if the command succeeds, else its output.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
# The console log as text, without CRs and terminal escapes.
console() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }
# Dump files on a test disk image, one a line.
dumps_on() {
	mdir -b -i "$1@@1M" ::/ 2>/dev/null | sed -n 's|^::/\(carto-memmap.*\.txt\)$|\1|p' | sort
}
# boot NAME ARGS...: one memmap-run.sh boot; output in $work/NAME.{out,log}.
boot() {
	local name=$1
	shift
	timeout "$BOOT_TIMEOUT" "$run" --quiet --timeout "$QEMU_TIMEOUT" \
		--serial-log "$work/$name.log" "$@" >"$work/$name.out" 2>&1
}
# analyze DESCRIPTION DUMP: the host analyzer reads the dump and finds as
# many descriptors as its "end of map" line says.
analyze() {
	local desc=$1 file=$2 count out
	if [ ! -x "$analyzer" ]; then
		skip "$desc" "$analyzer not built"
		return
	fi
	count=$(sed -n 's/^end of map: \([0-9]*\) descriptors$/\1/p' "$file")
	if out=$("$analyzer" show "$file" 2>&1) && [ -n "$count" ] &&
		grep -q "[^0-9]$count descriptors" <<<"$out"; then
		ok "$desc"
	else
		not_ok "$desc" "$out"
	fi
}

if ! make -s esp/EFI/carto/memmap.efi >"$work/make.out" 2>&1; then
	not_ok "memmap.efi builds" "$(cat "$work/make.out")"
	echo "$passed passed, $failed failed"
	exit 1
fi
echo "# dump tool boots in QEMU; each boot takes 10-30 s under TCG"

# ---- one boot per guest size ------------------------------------------------
# Under OVMF, and once under U-Boot's UEFI (SATA disk, no power-off: the
# tool must say so and return, memmap-run.sh stops QEMU on that line).
for guest in 512M 4G 512M@uboot; do
	mem=${guest%@*} fw=default label=$guest
	if [ "$guest" != "$mem" ]; then
		fw=${guest#*@} label="$mem U-Boot"
	fi
	tag=${guest/@/-}
	img=$work/disk-$tag.img dump=$work/dump-$tag.txt
	case $mem in
	*G) mib=$(( ${mem%G} * 1024 )) ;;
	*) mib=${mem%M} ;;
	esac
	extra=()
	[ "$mem" = 4G ] && extra=(--expect-high-ram)
	[ "$fw" = default ] && extra+=(--expect-mat)   # OVMF publishes one, U-Boot none
	ended="powered off"
	[ "$fw" = uboot ] && ended="said it cannot power off, returned"
	if boot "$tag" --mem "$mem" --firmware "$fw" --image "$img" --out "$dump" && [ -s "$dump" ]; then
		ok "$label: the tool ran, $ended and wrote a dump"
	else
		not_ok "$label: the tool ran, $ended and wrote a dump" \
			"$(cat "$work/$tag.out")"
		continue
	fi
	if [ "$fw" = uboot ]; then
		check "$label: the dump names Das U-Boot as the firmware" \
			grep -q '^firmware: Das U-Boot revision' "$dump"
		check "$label: the console says the firmware cannot power off" \
			grep -q 'memmap: this firmware cannot power off' <(console "$work/$tag.log")
	fi
	check "$label: the dump is \\carto-memmap.txt, the only one on the disk" \
		test "$(dumps_on "$img")" = carto-memmap.txt
	check "$label: the console says where the dump went" \
		grep -q 'memmap: report written to \\carto-memmap.txt ([0-9]* bytes) on the volume' \
		<(console "$work/$tag.log")
	check "$label: the console shows the same table" \
		grep -qF "$(sed -n '5p' "$dump")" <(console "$work/$tag.log")
	check "$label: every line of the dump parses and adds up" \
		python3 "$check" "$dump" --ram-mib "$mib" "${extra[@]}"
	analyze "$label: carto-memmap show reads the dump, same descriptor count" "$dump"
done

# ---- a second run on the same disk ------------------------------------------
# Two boots of the same guest may write identical dumps, so the first dump
# on the disk gets a marker line in front: an overwrite (even one that does
# not truncate) would lose it.
img=$work/disk-512M.img first=$work/dump-512M.txt second=$work/dump-512M-1.txt
if [ -s "$first" ]; then
	{ echo "marker: written by test_memdump.sh"; cat "$first"; } >"$work/marked.txt"
	mcopy -o -i "$img@@1M" "$work/marked.txt" ::/carto-memmap.txt
	if boot second --image "$img" --out "$second"; then
		ok "second run on the same disk succeeded"
	else
		not_ok "second run on the same disk succeeded" "$(cat "$work/second.out")"
	fi
	check "second run wrote \\carto-memmap-1.txt" \
		grep -qF 'the tool wrote \carto-memmap-1.txt' "$work/second.out"
	check "both dumps are on the disk" \
		test "$(dumps_on "$img" | tr '\n' ' ')" = "carto-memmap-1.txt carto-memmap.txt "
	rm -f "$work/first-again.txt"
	mcopy -i "$img@@1M" ::/carto-memmap.txt "$work/first-again.txt" 2>/dev/null
	check "the first dump was not overwritten" cmp "$work/marked.txt" "$work/first-again.txt"
	check "the second dump parses and adds up" \
		python3 "$check" "$second" --ram-mib 512 --expect-mat
fi

# ---- a read-only disk ------------------------------------------------------------
if [ -f "$img" ]; then
	before=$(dumps_on "$img")
	if boot readonly --image "$img" --read-only; then
		ok "read-only disk: the tool ran and powered off"
	else
		not_ok "read-only disk: the tool ran and powered off" "$(cat "$work/readonly.out")"
	fi
	check "read-only disk: the console says why nothing was saved" \
		grep -q 'memmap: report not saved: the boot volume is read-only' \
		<(console "$work/readonly.log")
	check "read-only disk: the table is still shown" \
		grep -q '^end of map: [1-9][0-9]* descriptors$' <(console "$work/readonly.log")
	check "read-only disk: no new dump file" test "$(dumps_on "$img")" = "$before"
fi

# ---- a full disk --------------------------------------------------------------------
if [ -f "$img" ]; then
	# Fill the volume to within 4 KiB; a dump is about 20 KiB.
	free=$(mdir -i "$img@@1M" ::/ | sed -n 's/^ *\([0-9 ]*\) bytes free$/\1/p' | tr -d ' ')
	head -c "$(( ${free:-0} - 4096 ))" /dev/zero >"$work/filler"
	mcopy -i "$img@@1M" "$work/filler" ::/filler.bin
	before=$(dumps_on "$img")
	boot full --image "$img"
	status=$?
	check "full disk: the tool reports no new dump (exit status 1)" test "$status" = 1
	check "full disk: the console says there is no space" \
		grep -q 'memmap: report not saved: no space' <(console "$work/full.log")
	check "full disk: the table is still shown" \
		grep -q '^end of map: [1-9][0-9]* descriptors$' <(console "$work/full.log")
	check "full disk: no new dump file" test "$(dumps_on "$img")" = "$before"
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
