#!/bin/bash
# test_qemu_script.sh - scripts/qemu.sh as a command (TAP).
#
#   tests/host/test_qemu_script.sh
#
# Run from anywhere; needs the built boot volume (esp/, `make`) and QEMU with
# OVMF for the signal cases. Checks:
#   - every option that takes a value fails with exit status 2 and a message
#     naming the option when the value is missing;
#   - --help is the header text only (no shell code) and names every option
#     the script accepts;
#   - --dry-run and `make run CMDLINE=...` pass the kernel command line on;
#   - --serial-socket (with --serial-log) makes the serial port a logged socket;
#   - the temporary directory (carto-qemu.XXXXXX under TMPDIR) is gone however
#     the script ends: QEMU exiting by itself, an error before QEMU starts,
#     QEMU failing to start, SIGINT to the process group (Ctrl-C), SIGINT,
#     SIGTERM and SIGHUP to the script; and after a signal neither the script
#     nor QEMU is left running.
# A missing tool or boot volume is a failure, never a skip. Ends with
# "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
QS=scripts/qemu.sh
# Job control: every background job gets its own process group (as a
# terminal's foreground job has) and keeps the default SIGINT disposition,
# which a background job of a plain script would not.
set -m

TMP=$(mktemp -d "${TMPDIR:-/tmp}/carto-qstest.XXXXXX") || exit 1
started=()
cleanup() {
	for p in "${started[@]}"; do
		kill -s KILL -- "-$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

n=0 failed=0
result() {   # result OK DESCRIPTION [DIAGNOSTIC FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/#   /' "$3" | head -20
	fi
}

echo "TAP version 13"

# ---- usage errors -------------------------------------------------------
# The options that take a value, read from the script's own option parser.
value_opts=$(sed -n '/^	--mem|/,/value "\$1"/p' "$QS" | grep -oE -- '--[a-z-]+' | sort -u)
[ "$(echo "$value_opts" | wc -w)" -ge 10 ]
result $? "found the options that take a value in $QS ($(echo $value_opts))"
for opt in $value_opts; do
	"$QS" "$opt" >"$TMP/out" 2>&1
	st=$?
	[ "$st" = 2 ] && grep -q -- "option $opt needs a value" "$TMP/out" &&
		! grep -q "unbound variable" "$TMP/out"
	result $? "$opt with no value: exit 2 ($st), message names $opt" "$TMP/out"
done
"$QS" --mem --selftest >"$TMP/out" 2>&1
st=$?
[ "$st" = 2 ] && grep -q -- "option --mem needs a value, got the option '--selftest'" "$TMP/out"
result $? "--mem followed by another option: exit 2 ($st), names both" "$TMP/out"
"$QS" --no-such-option >"$TMP/out" 2>&1
st=$?
[ "$st" = 2 ] && grep -q -- "unknown option '--no-such-option'" "$TMP/out"
result $? "unknown option: exit 2 ($st), named" "$TMP/out"

# ---- --help -------------------------------------------------------------
"$QS" --help >"$TMP/help" 2>&1
result $? "--help exits 0" "$TMP/help"
grep -nE '^\s*(fi|esac|done|then|else|;;|\{|\})\s*$|^\s*(set -|top=|usage\(\)|[a-z_]+=)|\$\(|;;' \
	"$TMP/help" >"$TMP/out"
[ ! -s "$TMP/out" ] && grep -q '^usage: scripts/qemu.sh' "$TMP/help" && ! grep -q '^#' "$TMP/help"
result $? "--help is the header text, no shell code and no '#'" "$TMP/out"
# Every option in the parser's case patterns appears in the help text.
missing=
for opt in $(sed -n '/^while \[ \$# -gt 0 \]/,/^done/p' "$QS" | grep -oE -- '^	(-h\|)?--[a-z-]+[|)]' |
	     grep -oE -- '--[a-z-]+'); do
	grep -qE -- "(^|[ ,])$opt( |,|$)" "$TMP/help" || missing="$missing $opt"
done
[ -z "$missing" ]
result $? "--help names every option the script accepts${missing:+ (missing:$missing)}"

# ---- the kernel command line ------------------------------------------------
if [ ! -f esp/EFI/BOOT/BOOTX64.EFI ]; then
	echo "# esp/EFI/BOOT/BOOTX64.EFI missing: run 'make' first"
fi
d=$TMP/dry && mkdir "$d"
TMPDIR=$d "$QS" --dry-run --cmdline "memmap fwmap" >"$TMP/out" 2>&1
st=$?
[ "$st" = 0 ] && grep -qx 'kernel command line: "memmap fwmap"' "$TMP/out" &&
	grep -q '^qemu-system-x86_64 ' "$TMP/out" && [ -z "$(ls -A "$d")" ]
result $? "--dry-run prints the command line and the QEMU command, leaves no directory" "$TMP/out"
"$QS" --dry-run --serial-socket /tmp/s.sock --serial-log /tmp/s.log >"$TMP/out" 2>&1
sed 's/\\,/,/g' "$TMP/out" | grep -q -- '-chardev socket,id=serial0,path=/tmp/s.sock,server=on,wait=off,logfile=/tmp/s.log -serial chardev:serial0' &&
	! grep -q -- '-serial file:' "$TMP/out"
result $? "--serial-socket with --serial-log: one serial port, a socket logged to the file" "$TMP/out"
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s --no-print-directory run \
	CMDLINE="memmap fw'map" QEMU_ARGS=--dry-run >"$TMP/out" 2>&1
grep -qx "kernel command line: \"memmap fw'map\"" "$TMP/out"
result $? "make run CMDLINE=\"memmap fw'map\" reaches qemu.sh --cmdline" "$TMP/out"

# ---- the temporary directory, however the script ends ---------------------------
leftover() {   # leftover DIR: the carto-qemu.* directories in DIR
	find "$1" -maxdepth 1 -name 'carto-qemu.*'
}

# Runs to the end by itself: QEMU killed by --timeout (status 124).
d=$TMP/timeout && mkdir "$d"
TMPDIR=$d "$QS" --timeout 2 --serial-log "$d/serial" </dev/null >"$TMP/out" 2>&1
st=$?
[ "$st" = 124 ] && [ -z "$(leftover "$d")" ]
result $? "QEMU ends (--timeout 2): exit 124 ($st), no directory left" "$TMP/out"

# An error after the directory was made: an unknown firmware variant.
d=$TMP/fwerr && mkdir "$d"
TMPDIR=$d "$QS" --firmware nosuch </dev/null >"$TMP/out" 2>&1
st=$?
[ "$st" != 0 ] && grep -q "unknown variant 'nosuch'" "$TMP/out" && [ -z "$(leftover "$d")" ]
result $? "error before QEMU (--firmware nosuch): exit $st, no directory left" "$TMP/out"

# QEMU refuses its arguments.
d=$TMP/qemuerr && mkdir "$d"
TMPDIR=$d "$QS" --serial-log "$d/serial" -- -no-such-qemu-option </dev/null >"$TMP/out" 2>&1
st=$?
[ "$st" != 0 ] && [ -z "$(leftover "$d")" ]
result $? "QEMU fails to start: exit $st, no directory left" "$TMP/out"

# signal_case HOW SIG: start qemu.sh, wait until QEMU runs, send SIG to the
# process group (HOW=group, as Ctrl-C does) or to the script alone (HOW=pid).
signal_case() {
	local how=$1 sig=$2 d=$TMP/sig-$1-$2 pid qpid= st want
	mkdir "$d"
	TMPDIR=$d "$QS" --serial-log "$d/serial" </dev/null >"$d/out" 2>&1 &
	pid=$!
	started+=("$pid")
	for _ in $(seq 100); do
		# QEMU: a child of the script, or the script itself had it exec'd.
		qpid=$( (pgrep -P "$pid" -f '^qemu-system-x86_64 '; pgrep -f '^qemu-system-x86_64 ' |
			grep -x "$pid") | head -n 1)
		[ -n "$qpid" ] && break
		sleep 0.1
	done
	if [ -z "$qpid" ] || [ -z "$(leftover "$d")" ]; then
		echo "no QEMU child or no directory after 10 s" >>"$d/out"
		result 1 "SIG$sig to the $how: QEMU started" "$d/out"
		return
	fi
	if [ "$how" = group ]; then
		kill -s "$sig" -- "-$pid"
	else
		kill -s "$sig" "$pid"
	fi
	# Wait (at most 20 s) for the script to end; it dies of the signal.
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "still running 20 s after SIG$sig" >>"$d/out"
		kill -s KILL -- "-$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	st=$?
	want=$((128 + $(kill -l "$sig")))
	ok=0
	[ -z "$(leftover "$d")" ] || { ok=1; echo "left: $(leftover "$d")" >>"$d/out"; }
	! kill -0 "$qpid" 2>/dev/null || { ok=1; echo "QEMU $qpid still running" >>"$d/out"; }
	# Ctrl-C to the group: QEMU may exit first (status 0) and the script
	# then ends normally; any other case must die of the signal.
	if [ "$how" = pid ] && [ "$st" != "$want" ]; then
		ok=1
		echo "exit status $st, expected $want" >>"$d/out"
	fi
	result "$ok" "SIG$sig to the $how: script and QEMU ended (status $st), no directory left" "$d/out"
}
# (stderr: the shell's own "Interrupt"/"Terminated" job notices)
{
	signal_case group INT
	signal_case pid INT
	signal_case pid TERM
	signal_case pid HUP
	signal_case group TERM
} 2>/dev/null

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
