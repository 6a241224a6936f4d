#!/bin/bash
# memmap-run.sh - boot the memory-map dump tool in QEMU/OVMF and print the
# dump it wrote (what `make memmap` runs).
#
# usage: scripts/memmap-run.sh [options]
#   --mem SIZE         guest RAM (default 512M)
#   --machine TYPE     q35 (default) or pc
#   --image IMG        boot disk image to use: created if missing, else reused
#                      (the tool on it is refreshed, earlier dumps stay), so a
#                      second run writes \carto-memmap-1.txt. Default: a fresh
#                      image in a temporary directory, deleted afterwards.
#   --out FILE         also copy the dump this run wrote to FILE
#   --serial-log FILE  keep the guest's console output in FILE
#   --timeout SEC      give up on QEMU after SEC seconds (default 120)
#   --firmware VAR     default (OVMF) or uboot (U-Boot's UEFI; q35 only, the
#                      disk is attached as SATA instead of virtio)
#   --read-only        attach the disk read-only: the tool cannot save and
#                      must say why; prints the guest console (cleaned of
#                      terminal escapes) instead of a dump
#   --quiet            do not print the dump on standard output
#
# The image is a GPT disk with one FAT EFI system partition, made with
# sfdisk and mtools (no root, no loop devices):
#   \EFI\BOOT\BOOTX64.EFI   the dump tool, so OVMF boots it directly
#   \EFI\carto\memmap.efi   the same tool, for running it from a UEFI Shell
#   \carto-memmap.opt       "batch": no paging, power off when done
# The tool writes \carto-memmap.txt (or -1, -2, ... if taken) next to them;
# this script finds the file that was not there before the run, copies it
# out with mcopy and prints it. Exit status: 0 on success, 1 if QEMU failed,
# timed out or no new dump appeared (or, with --read-only, one did), 2 on a
# usage error.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
efi_app=$top/esp/EFI/carto/memmap.efi

mem=512M machine=q35 image='' out='' serial_log='' timeout=120 quiet=0 readonly=0
firmware=default
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while [ $# -gt 0 ]; do
	case $1 in
	--mem) mem=${2:?--mem needs a size}; shift ;;
	--machine) machine=${2:?--machine needs a type}; shift ;;
	--image) image=${2:?--image needs a file}; shift ;;
	--out) out=${2:?--out needs a file}; shift ;;
	--serial-log) serial_log=${2:?--serial-log needs a file}; shift ;;
	--timeout) timeout=${2:?--timeout needs seconds}; shift ;;
	--firmware) firmware=${2:?--firmware needs default or uboot}; shift ;;
	--quiet) quiet=1 ;;
	--read-only) readonly=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "memmap-run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $timeout in
'' | *[!0-9]*) echo "memmap-run.sh: --timeout '$timeout' is not a number of seconds" >&2; exit 2 ;;
esac
if [ ! -f "$efi_app" ]; then
	echo "memmap-run.sh: $efi_app missing: run 'make $(basename "$efi_app")' or 'make'" >&2
	exit 1
fi
for tool in qemu-system-x86_64 sfdisk mformat mcopy mdir mmd; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "memmap-run.sh: '$tool' not found: run scripts/deps.sh --install" >&2
		exit 1
	fi
done

run=$(mktemp -d "${TMPDIR:-/tmp}/carto-memmap.XXXXXX")
trap 'rm -rf "$run"' EXIT
[ -n "$image" ] || image=$run/boot.img
[ -n "$serial_log" ] || serial_log=$run/serial.log

# The ESP starts 1 MiB into the disk; mtools reaches it as IMG@@1M.
ESP_START_SECTOR=2048
DISK_MIB=64
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
esp="$image@@1M"

make_image() {
	rm -f "$image"
	truncate -s "${DISK_MIB}M" "$image"
	printf 'label: gpt\nstart=%s, type=%s, name="CARTO"\n' \
		"$ESP_START_SECTOR" "$ESP_TYPE" | sfdisk -q "$image"
	local sectors
	sectors=$(sfdisk -d "$image" | sed -n 's/.*start= *'"$ESP_START_SECTOR"', size= *\([0-9]*\).*/\1/p')
	if [ -z "$sectors" ]; then
		echo "memmap-run.sh: could not read back the partition of $image" >&2
		exit 1
	fi
	mformat -i "$esp" -T "$sectors" -h 64 -s 32 -H "$ESP_START_SECTOR" -v CARTO ::
	mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/carto
	printf 'batch\n' >"$run/opt"
	mcopy -i "$esp" "$run/opt" ::/carto-memmap.opt
}

# The dump files on the image, one name a line.
list_dumps() {
	mdir -b -i "$esp" ::/ 2>/dev/null | sed -n 's|^::/\(carto-memmap.*\.txt\)$|\1|p' | sort
}

if [ ! -f "$image" ]; then
	make_image
elif ! mdir -i "$esp" ::/EFI >/dev/null 2>&1; then
	echo "memmap-run.sh: $image exists but has no FAT partition at 1 MiB; delete it or pick another --image" >&2
	exit 1
fi
mcopy -o -i "$esp" "$efi_app" ::/EFI/BOOT/BOOTX64.EFI
mcopy -o -i "$esp" "$efi_app" ::/EFI/carto/memmap.efi
before=$(list_dumps)

case $firmware in
default | uboot) ;;
*) echo "memmap-run.sh: --firmware '$firmware': expected default or uboot" >&2; exit 2 ;;
esac
code=$("$top/ovmf/firmware.sh" code "$firmware")
"$top/ovmf/firmware.sh" vars "$firmware" "$run/vars.fd"

drive_ro=
[ "$readonly" = 1 ] && drive_ro=,readonly=on
if [ "$firmware" = uboot ]; then
	# U-Boot's x86 build boots from SATA (q35's AHCI), not virtio.
	fw_args=(-bios "$code")
	disk_args=(-drive "if=none,id=disk0,format=raw,file=$image$drive_ro"
		-device ide-hd,drive=disk0,bus=ide.0)
else
	fw_args=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
		-drive "if=pflash,format=raw,unit=1,file=$run/vars.fd")
	disk_args=(-drive "if=virtio,format=raw,file=$image$drive_ro")
fi

# Own invocation rather than scripts/qemu.sh: the tool must write to the
# disk and we read the disk afterwards (qemu.sh boots a read-only vvfat
# copy of esp/ or a snapshot=on image).
qemu=(qemu-system-x86_64 -machine "$machine" -m "$mem" -smp 1
	"${fw_args[@]}" "${disk_args[@]}"
	-net none -no-reboot -display none -vga std -monitor none
	-serial "file:$serial_log")
set +e
if [ "$firmware" = uboot ]; then
	# U-Boot cannot power the machine off: the tool says so and returns to
	# U-Boot, and that line is the end of the run. QEMU is then stopped
	# (quit on its stdin monitor) and the run counts as powered off.
	: >"$serial_log"
	timeout "$timeout" "${qemu[@]}" </dev/null &
	qpid=$!
	status=124
	while kill -0 "$qpid" 2>/dev/null; do
		if grep -q 'memmap: returning to the firmware' "$serial_log"; then
			kill "$qpid" 2>/dev/null
			wait "$qpid"
			status=0
			break
		fi
		sleep 0.5
	done
	[ "$status" = 0 ] || { wait "$qpid"; status=$?; }
else
	timeout --foreground "$timeout" "${qemu[@]}" </dev/null
	status=$?
fi
set -e

# The console log as plain text: no CRs, no terminal escape sequences.
console_text() {
	tr -d '\r' <"$serial_log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'
}
fail() {
	echo "memmap-run.sh: $*" >&2
	echo "memmap-run.sh: last console lines ($serial_log):" >&2
	console_text | tail -n 15 >&2
	exit 1
}
[ "$status" = 124 ] && fail "QEMU did not power off within $timeout s (tool hung or waited for a key?)"
[ "$status" = 0 ] || fail "QEMU exited with status $status"

after=$(list_dumps)
new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')
if [ "$readonly" = 1 ]; then
	[ -z "$new" ] || fail "the disk was read-only, yet $new appeared on $image"
	echo "memmap-run.sh: read-only run, no dump written (as expected); guest console:" >&2
	[ "$quiet" = 1 ] || console_text
	exit 0
fi
case $(printf '%s\n' "$new" | sed '/^$/d' | wc -l) in
0) fail "the tool wrote no new dump file on $image" ;;
1) ;;
*) fail "several new dump files appeared: $new" ;;
esac
mcopy -i "$esp" "::/$new" "$run/dump.txt"
[ -n "$out" ] && cp "$run/dump.txt" "$out"
echo "memmap-run.sh: the tool wrote \\$new (guest RAM $mem, machine $machine)" >&2
[ "$quiet" = 1 ] || cat "$run/dump.txt"
exit 0
