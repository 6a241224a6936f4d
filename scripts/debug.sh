#!/bin/bash
# debug.sh - boot Carto under QEMU's GDB stub and attach GDB with the
# symbols of the loader (at the address the firmware loaded it) and of the
# kernel (at its link address). Run by `make debug`.
#
# How: QEMU starts paused (-S) with the stub on :1234 and "gdb" on the
# kernel command line. This script resumes it through the QEMU monitor; the
# loader prints "carto: loader at ADDR" and then spins in wait_for_debugger()
# (inside efi_main) until loader_wait is cleared. The script pauses QEMU,
# then starts GDB with scripts/gdbinit and ADDR. In GDB:
#   break build_page_tables     (any loader function)
#   carto-go                    clear loader_wait and continue
# A hardware breakpoint on kernel_main is already set.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/debug
mkdir -p "$dir"
log=$dir/serial.log mon=$dir/monitor.sock
rm -f "$log" "$mon"

monitor() {  # send one HMP command
	python3 - "$mon" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
time.sleep(0.2)
s.close()
PY
}

"$top/scripts/qemu.sh" --debug --cmdline "gdb $*" --serial-log "$log" --monitor "$mon" &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$mon" ] && break; sleep 0.1; done
monitor cont
base=
for _ in $(seq 600); do
	base=$(grep -aoE 'carto: loader at [0-9A-Fa-f]+' "$log" 2>/dev/null | awk '{print $4}' | head -n 1 || true)
	[ -n "$base" ] && break
	sleep 0.2
done
if [ -z "$base" ]; then
	echo "debug.sh: the loader did not print its address within 120 s; serial log: $log" >&2
	exit 1
fi
monitor stop
echo "debug.sh: loader at 0x$base; starting gdb (serial output: tail -f $log)"
gdb -q -x "$top/scripts/gdbinit" -ex "carto-attach 0x$base"
