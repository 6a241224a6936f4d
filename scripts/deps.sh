#!/bin/sh
# deps.sh - check for (and, as root on Debian/Ubuntu, install) what Carto's
# build and tests need. The one place the list of packages lives.
#
#   scripts/deps.sh --check-or-install   install what is missing if we can,
#                                        else say exactly what to install
#   scripts/deps.sh --install            same, but always run apt-get update
#   scripts/deps.sh --check              only report; exit 1 if anything is missing
set -eu

# "package:path-or-command" pairs; a path starting with / must exist,
# anything else must be a command on PATH.
NEEDS="
gcc:gcc
binutils:ld
binutils:objcopy
make:make
gnu-efi:/usr/include/efi/efi.h
gnu-efi:/usr/lib/crt0-efi-x86_64.o
ovmf:/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf:/usr/share/OVMF/OVMF_VARS_4M.fd
u-boot-qemu:/usr/lib/u-boot/qemu-x86_64/u-boot.rom
qemu-system-x86:qemu-system-x86_64
mtools:mcopy
dosfstools:mkfs.fat
fdisk:sfdisk
python3:python3
psf-unifont:/usr/share/consolefonts/Unifont-APL8x16.psf.gz
libxml2-utils:xmllint
librsvg2-bin:rsvg-convert
sbsigntool:sbsign
openssl:openssl
"

missing_pkgs() {
	for pair in $NEEDS; do
		pkg=${pair%%:*}
		what=${pair#*:}
		case $what in
		/*) [ -e "$what" ] && continue ;;
		*) command -v "$what" >/dev/null 2>&1 && continue ;;
		esac
		echo "$pkg"
	done | sort -u | tr '\n' ' '
}

mode=${1:---check-or-install}
missing=$(missing_pkgs)
if [ -z "$missing" ] && [ "$mode" != --install ]; then
	exit 0
fi
if [ "$mode" = --check ]; then
	echo "carto: missing packages: $missing" >&2
	exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "carto: installing: ${missing:-(nothing missing; refreshing)}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	# shellcheck disable=SC2086
	[ -z "$missing" ] || apt-get install -y -q --no-install-recommends $missing >&2
	left=$(missing_pkgs)
	if [ -n "$left" ]; then
		echo "carto: still missing after apt-get install: $left" >&2
		exit 1
	fi
	exit 0
fi
echo "carto: missing build dependencies: $missing" >&2
echo "carto: on Debian/Ubuntu run as root:  apt-get install --no-install-recommends $missing" >&2
echo "carto: elsewhere install the equivalents (gnu-efi headers+libs, OVMF firmware, QEMU x86_64, mtools, ...)" >&2
exit 1
