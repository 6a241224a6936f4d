#!/bin/sh
# firmware.sh - find the OVMF firmware files and make a fresh variable store.
#
#   ovmf/firmware.sh code [VARIANT]        print the path of the code image
#   ovmf/firmware.sh vars VARIANT DEST     copy a pristine variable store to DEST
#
# VARIANT: "default" (OVMF_CODE_4M.fd, no Secure Boot) or "secboot" (the
# Secure Boot build with Debian's snakeoil test keys enrolled). The files
# come from Debian's ovmf package; nothing here is committed. Override with
# OVMF_CODE / OVMF_VARS in the environment to use another build.
set -eu
dir=${OVMF_DIR:-/usr/share/OVMF}
variant=${2:-default}
case $variant in
default) code=$dir/OVMF_CODE_4M.fd; vars=$dir/OVMF_VARS_4M.fd ;;
secboot) code=$dir/OVMF_CODE_4M.secboot.fd; vars=$dir/OVMF_VARS_4M.snakeoil.fd ;;
*) echo "firmware.sh: unknown variant '$variant' (default|secboot)" >&2; exit 2 ;;
esac
code=${OVMF_CODE:-$code}
vars=${OVMF_VARS:-$vars}
for f in "$code" "$vars"; do
	if [ ! -r "$f" ]; then
		echo "firmware.sh: $f not found: install Debian's 'ovmf' package (scripts/deps.sh)" >&2
		exit 1
	fi
done
case ${1:-} in
code) echo "$code" ;;
vars) cp "$vars" "${3:?firmware.sh vars VARIANT DEST}" && chmod u+w "$3" ;;
*) echo "usage: firmware.sh code [VARIANT] | vars VARIANT DEST" >&2; exit 2 ;;
esac
