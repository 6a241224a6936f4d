#!/bin/bash
# sign.sh - sign Carto's EFI binaries for Secure Boot (what `make sign` runs).
#
# usage: scripts/sign.sh --key KEY --cert CERT [options]
#   --key KEY        the signing key (PEM; may be passphrase-protected)
#   --cert CERT      its X.509 certificate (PEM), the one enrolled in the
#                    firmware's db or as a MOK
#   --passin SRC     where the key's passphrase comes from, in openssl's
#                    syntax: pass:TEXT, env:VAR, file:PATH, fd:N. Without it
#                    an encrypted key makes sbsign ask on the terminal.
#   --esp DIR        tree with the built binaries (default esp/)
#   --out DIR        where the signed copies go (default build/signed)
#
# Signs EFI/BOOT/BOOTX64.EFI and EFI/carto/memmap.efi from --esp with sbsign
# and writes the signed copies to the same paths below --out; the built
# files are never changed, so `make` and `make run` keep booting the
# unsigned ones. `make usb` (scripts/mkusb.sh) puts the signed copies on the
# disk image whenever they exist and are newer than the built files. Each
# copy is checked with sbverify against CERT before it is kept. A decrypted
# key lives only in a private temporary directory (mode 700) and is deleted
# on exit. Exit status: 0 when both copies are signed and verified, 1 on any
# failure (no signed copy is left half-written), 2 on a usage error.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

key='' cert='' passin='' esp=$top/esp out=$top/build/signed
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
die() { echo "sign.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--key) key=${2?--key needs a file}; shift ;;
	--cert) cert=${2?--cert needs a file}; shift ;;
	--passin) passin=${2:?--passin needs pass:TEXT, env:VAR, file:PATH or fd:N}; shift ;;
	--esp) esp=${2:?--esp needs a directory}; shift ;;
	--out) out=${2:?--out needs a directory}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "sign.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$key" ] || [ -z "$cert" ]; then
	echo "sign.sh: needs a key and its certificate: make sign KEY=db.key CERT=db.crt" >&2
	exit 2
fi
for tool in sbsign sbverify openssl; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "'$tool' not found: install it (Debian/Ubuntu: apt-get install sbsigntool openssl)"
done
[ -r "$key" ] || die "key $key: not found or not readable"
[ -r "$cert" ] || die "certificate $cert: not found or not readable"
openssl x509 -in "$cert" -noout 2>/dev/null || die "certificate $cert: not a PEM X.509 certificate"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/carto-sign.XXXXXX")
chmod 700 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# With --passin, an unencrypted copy of the key for sbsign, which can only
# ask for a passphrase on the terminal.
if [ -n "$passin" ]; then
	(umask 077; openssl pkey -in "$key" -passin "$passin" -out "$tmp/key.pem" 2>"$tmp/err") ||
		die "key $key: cannot be read with the passphrase from --passin ($(head -n 1 "$tmp/err"))"
	key=$tmp/key.pem
fi
names=(EFI/BOOT/BOOTX64.EFI)
[ -f "$esp/EFI/carto/memmap.efi" ] && names+=(EFI/carto/memmap.efi)
for name in "${names[@]}"; do
	[ -f "$esp/$name" ] || die "$esp/$name missing: run 'make' first"
	mkdir -p "$tmp/out/$(dirname "$name")"
	# sbsign warns about the COFF symbol table gnu-efi's objcopy leaves after
	# the last section; it is hashed all the same (sbverify checks it below).
	if ! sbsign --key "$key" --cert "$cert" --output "$tmp/out/$name" "$esp/$name" \
		>"$tmp/log" 2>&1; then
		grep -v 'gaps between PE/COFF sections' "$tmp/log" >&2 || true
		die "sbsign could not sign $esp/$name"
	fi
	sbverify --cert "$cert" "$tmp/out/$name" >"$tmp/log" 2>&1 ||
		die "the signed copy of $name does not verify against $cert (is $key the key of that certificate?)"
done
for name in "${names[@]}"; do
	mkdir -p "$out/$(dirname "$name")"
	mv -f "$tmp/out/$name" "$out/$name"
	echo "sign.sh: $out/$name signed with $(openssl x509 -in "$cert" -noout -subject)" >&2
done
