#!/bin/sh
# firmware.sh - find the OVMF firmware files and make a fresh variable store.
#
#   ovmf/firmware.sh code [VARIANT]        print the path of the code image
#   ovmf/firmware.sh vars VARIANT DEST     copy a pristine variable store to DEST
#
# VARIANT: "default" (OVMF_CODE_4M.fd, no Secure Boot), "secboot" (the
# Secure Boot build with Debian's snakeoil test keys enrolled) or "uboot"
# (not EDK II at all: U-Boot's UEFI implementation, u-boot.rom from
# Debian's u-boot-qemu, given to QEMU with -bios; it has no variable store,
# so "vars" makes an empty file). The files come from Debian's packages;
# nothing here is committed. Override with OVMF_CODE / OVMF_VARS / UBOOT_ROM
# in the environment to use another build.
set -eu
dir=${OVMF_DIR:-/usr/share/OVMF}
variant=${2:-default}
case $variant in
default) code=$dir/OVMF_CODE_4M.fd; vars=$dir/OVMF_VARS_4M.fd ;;
secboot) code=$dir/OVMF_CODE_4M.secboot.fd; vars=$dir/OVMF_VARS_4M.snakeoil.fd ;;
uboot) code=${UBOOT_ROM:-/usr/lib/u-boot/qemu-x86_64/u-boot.rom}; vars= ;;
*) echo "firmware.sh: unknown variant '$variant' (default|secboot|uboot)" >&2; exit 2 ;;
esac
pkg=ovmf
if [ "$variant" = uboot ]; then
	pkg=u-boot-qemu
else
	code=${OVMF_CODE:-$code}
	vars=${OVMF_VARS:-$vars}
fi
for f in "$code" $vars; do
	if [ ! -r "$f" ]; then
		echo "firmware.sh: $f not found: install Debian's '$pkg' package (scripts/deps.sh)" >&2
		exit 1
	fi
done
case ${1:-} in
code) echo "$code" ;;
vars)
	: "${3:?firmware.sh vars VARIANT DEST}"
	if [ -n "$vars" ]; then cp "$vars" "$3" && chmod u+w "$3"; else : >"$3"; fi ;;
*) echo "usage: firmware.sh code [VARIANT] | vars VARIANT DEST" >&2; exit 2 ;;
esac
