#!/bin/bash
# mkusb.sh - write Carto's bootable USB disk image (what `make usb` runs).
#
# usage: scripts/mkusb.sh [options]
#   --out IMG        image to write (default build/carto-usb.img); replaced
#                    whole, never patched
#   --esp DIR        tree with the built EFI binaries (default esp/)
#   --signed DIR     signed copies made by `make sign` (default build/signed):
#                    each binary found there is used instead of the one in
#                    --esp; refused if it is older than that one (rebuilt
#                    since signing: run `make sign` again)
#   --unsigned       ignore --signed, put the binaries from --esp on the disk
#   --cmdline TEXT   the kernel command line, the first line of
#                    \EFI\carto\cmdline.txt (default: empty, a normal boot)
#   --size MIB       disk size in MiB (default 64, at least 40)
#
# The disk: a GPT (made by sfdisk, with the protective MBR every GPT has)
# holding one EFI System Partition from 1 MiB to the end, formatted FAT32
# by mformat and filled by mcopy through mtools' IMG@@OFFSET syntax, so no
# root, no loop device and no mount are needed:
#   \EFI\BOOT\BOOTX64.EFI    Carto (the removable-media boot path firmware tries)
#   \EFI\carto\memmap.efi    the memory-map dump tool (run it from a UEFI Shell)
#   \EFI\carto\cmdline.txt   the command line: an empty first line, then help
#                            text the loader never reads (it takes line one only)
# Exit status: 0 when the image is complete, 1 on any failure (nothing is left
# at --out then), 2 on a usage error.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

out=$top/build/carto-usb.img esp=$top/esp signed=$top/build/signed use_signed=1
cmdline='' disk_mib=64
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
die() { echo "mkusb.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:?--out needs a file}; shift ;;
	--esp) esp=${2:?--esp needs a directory}; shift ;;
	--signed) signed=${2:?--signed needs a directory}; shift ;;
	--unsigned) use_signed=0 ;;
	--cmdline) cmdline=${2?--cmdline needs text}; shift ;;
	--size) disk_mib=${2:?--size needs MiB}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "mkusb.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

# FAT32 needs at least 65525 clusters; with 512-byte clusters that is 32 MiB
# of data area plus the FATs, so 40 MiB of disk is the smallest that works.
MIN_DISK_MIB=40
ESP_START_SECTOR=2048            # 1 MiB: aligned for every flash page size
SECTOR=512
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
case $disk_mib in
'' | *[!0-9]*) echo "mkusb.sh: --size '$disk_mib' is not a number of MiB" >&2; exit 2 ;;
esac
[ "$disk_mib" -ge "$MIN_DISK_MIB" ] ||
	{ echo "mkusb.sh: --size $disk_mib is too small for FAT32 (at least $MIN_DISK_MIB MiB)" >&2; exit 2; }
case $cmdline in
*$'\n'* | *$'\r'*) echo "mkusb.sh: --cmdline must be one line" >&2; exit 2 ;;
esac
for tool in sfdisk mformat mcopy mmd; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found: run scripts/deps.sh --install"
done

# pick NAME: the file to put on the disk as NAME (a path below EFI/): the
# signed copy if there is one (and it is not stale), else the built one.
pick() {
	local name=$1 built=$esp/$1 sig=$signed/$1
	[ -f "$built" ] || die "$built missing: run 'make' first"
	if [ "$use_signed" = 1 ] && [ -f "$sig" ]; then
		[ "$built" -nt "$sig" ] &&
			die "$sig is older than $built (rebuilt since 'make sign'): run 'make sign' again, or remove $signed (or pass --unsigned) for an unsigned image"
		echo "mkusb.sh: $name: signed copy $sig" >&2
		printf '%s\n' "$sig"
		return
	fi
	echo "mkusb.sh: $name: unsigned $built" >&2
	printf '%s\n' "$built"
}
loader=$(pick EFI/BOOT/BOOTX64.EFI)
memdump=
[ -f "$esp/EFI/carto/memmap.efi" ] && memdump=$(pick EFI/carto/memmap.efi)

mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
truncate -s "${disk_mib}M" "$tmp"

# One partition from 1 MiB to the last usable sector (sfdisk leaves room for
# the backup GPT at the end of the disk).
printf 'label: gpt\nstart=%s, type=%s, name="Carto EFI system"\n' \
	"$ESP_START_SECTOR" "$ESP_TYPE" | sfdisk -q "$tmp" ||
	die "sfdisk could not partition $tmp"
sectors=$(sfdisk -d "$tmp" | sed -n 's/.*start= *'"$ESP_START_SECTOR"', size= *\([0-9]*\).*/\1/p')
[ -n "$sectors" ] || die "could not read back the partition of $tmp"

part="$tmp@@$((ESP_START_SECTOR * SECTOR))"
# -F: FAT32; -c 1: 512-byte clusters (what Windows uses below 260 MiB, and
# what keeps a 64 MiB partition above FAT32's cluster minimum); -H: the
# partition's first sector, recorded in the boot sector as hidden sectors.
mformat -i "$part" -F -c 1 -T "$sectors" -h 64 -s 32 -H "$ESP_START_SECTOR" -v CARTO :: ||
	die "mformat could not make a FAT32 file system on $tmp"
mmd -i "$part" ::/EFI ::/EFI/BOOT ::/EFI/carto
mcopy -i "$part" "$loader" ::/EFI/BOOT/BOOTX64.EFI
[ -n "$memdump" ] && mcopy -i "$part" "$memdump" ::/EFI/carto/memmap.efi

txt=$(mktemp)
trap 'rm -f "$tmp" "$txt"' EXIT
# CRLF, so Notepad on any Windows shows the lines; the loader stops at CR.
{
	printf '%s\n' "$cmdline"
	cat <<'EOF'
# Carto kernel command line: the FIRST line of this file, nothing else.
# Leave it empty for a normal boot, or put words on it, separated by spaces
# (a repeated setting: the last one wins; words Carto does not know are
# listed in the boot report and ignored; the firmware's load options, if
# any, are added after this line):
#   selftest[=PREFIX]       run the in-kernel tests (those named PREFIX...)
#   memmap                  print the clean memory map Carto built
#   fwmap                   print the firmware's own map (memmap.efi format)
#   framestats              add a machine-readable frame-allocator line
#   crash=stack|pf|wp|ud    inject a fault to see the exception report
#   video=WIDTHxHEIGHT      pick that screen mode, e.g. video=1024x768
#   verbose                 the loader prints what it does
#   gdb                     the loader waits for a debugger (make debug)
#   addressing=direct|direct:LIMIT|explicit  direct map: all RAM, below LIMIT, none
#   ptaccess=window|recursive   page tables through the window or a recursive PML4 slot
#   bench[=PREFIX]          run the benchmarks after "carto: ready"
#   isolation=on|off        processes get the isolated kernel (default off)
#   slice=MS                time slice of user processes (default 10; 0: cooperative)
#   user=PROGRAM            run that user program after "carto: ready"
#   loader-test=late-alloc  test hook: an allocation after ExitBootServices
#   reboot                  reboot once the kernel is ready
#   poweroff                switch the machine off once the kernel is ready
#   keytest=N               test hook: print the next N keys typed
#   usbtest=stall           test hook: a USB keyboard stall, recovered
# Lines after the first are never read.
EOF
} | sed 's/$/\r/' >"$txt"
mcopy -i "$part" "$txt" ::/EFI/carto/cmdline.txt

chmod 644 "$tmp"
mv "$tmp" "$out"
trap 'rm -f "$txt"' EXIT
echo "mkusb.sh: wrote $out ($disk_mib MiB GPT disk, FAT32 EFI system partition at 1 MiB)" >&2
