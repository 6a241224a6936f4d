#!/bin/bash
# qemu.sh - the one way Carto starts QEMU (make run, make debug, tests, people).
#
# usage: scripts/qemu.sh [options] [-- extra qemu args]
#   --mem SIZE         guest RAM (default 512M); any size uses a RAM backend
#                      with reserve=off, so 64G guests start on small hosts
#   --cpu MODEL        CPU model (default max: 1 GiB pages, LA57); e.g. qemu64
#   --phys-bits N      add phys-bits=N to the CPU (1-4 TiB guests need 46)
#   --machine TYPE     q35 (default) or pc (i440fx)
#   --smp N            virtual CPUs (default 1)
#   --cmdline TEXT     kernel command line, written to \EFI\carto\cmdline.txt
#                      of a private copy of the boot volume (make run CMDLINE=)
#   --selftest         add "selftest" to the command line and the isa-debug-exit
#                      device; QEMU then exits 33 on pass, 35 on fail
#   --esp DIR          boot volume tree (default esp/)
#   --usb IMG          boot this disk image (make usb) as USB mass storage on
#                      xHCI instead, with no other disk or CD drive; IMG is
#                      never written (--cmdline patches a private copy)
#   --usb-keyboard     a USB keyboard (usb-kbd, id usbkbd) on a qemu-xhci
#                      controller (id xhci; the --usb stick's when given)
#   --no-serial        no serial port at all (like most real PCs)
#   --serial-log FILE  serial to FILE instead of this terminal
#   --serial-socket SOCK  serial on a unix socket (QEMU listens, does not
#                      wait) that scripts connect to and type into; with
#                      --serial-log FILE the guest's output also goes to FILE
#   --monitor SOCK     HMP monitor on a unix socket
#   --display          show a window (default: no display)
#   --icount           -icount shift=0: deterministic, repeatable TSC counts
#   --reboot           a guest reset restarts the machine (default: QEMU
#                      exits, -no-reboot); the boot tests' reboot check
#   --firmware VAR     default (OVMF), secboot (OVMF with Secure Boot; needs
#                      q35 + SMM) or uboot (U-Boot's UEFI, not EDK II; q35:
#                      the boot volume or --usb image is a SATA disk)
#   --debug            start paused with a GDB stub on :1234; make debug
#                      (scripts/debug.sh) attaches GDB and resumes it
#   --timeout SEC      kill QEMU after SEC seconds (exit status 124)
#   --dry-run          print the kernel command line and the QEMU command
#                      instead of running it (its temporary files are gone
#                      when this script exits)
#   -h, --help         this text
#
# The firmware variable store and the boot volume copy live in a temporary
# directory ($TMPDIR or /tmp, carto-qemu.XXXXXX), removed however the script
# ends: QEMU exiting, an error, Ctrl-C, SIGTERM or SIGHUP (QEMU is stopped
# first). Exit status: QEMU's own (33/35 with --selftest, 124 on --timeout),
# 1 if something is missing, 2 on a usage error; on a signal the script
# dies of that signal once QEMU has exited.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
# value OPTION ARGC [VALUE]: fail unless OPTION (which takes a value) got one.
value() {
	if [ "$2" -lt 2 ]; then
		echo "qemu.sh: option $1 needs a value (see --help)" >&2
		exit 2
	fi
	case $3 in
	--*)
		echo "qemu.sh: option $1 needs a value, got the option '$3' (see --help)" >&2
		exit 2 ;;
	esac
}

mem=512M cpu=max physbits= machine=q35 smp=1 cmdline= selftest=0 esp=$top/esp
usb= usbkbd=0 serial=stdio serial_log= serial_sock= monitor= display=0 icount=0 noreboot=1 firmware=default debug=0 timeout=
dry=0 extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--mem|--cpu|--phys-bits|--machine|--smp|--cmdline|--esp|--usb|--serial-log|\
	--serial-socket|--monitor|--firmware|--timeout)
		value "$1" $# "${2-}" ;;
	esac
	case $1 in
	--mem) mem=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--phys-bits) physbits=$2; shift ;;
	--machine) machine=$2; shift ;;
	--smp) smp=$2; shift ;;
	--cmdline) cmdline=$2; shift ;;
	--selftest) selftest=1 ;;
	--esp) esp=$2; shift ;;
	--usb) usb=$2; shift ;;
	--usb-keyboard) usbkbd=1 ;;
	--no-serial) serial=none ;;
	--serial-log) serial=file:$2; serial_log=$2; shift ;;
	--serial-socket) serial_sock=$2; shift ;;
	--monitor) monitor=$2; shift ;;
	--display) display=1 ;;
	--icount) icount=1 ;;
	--reboot) noreboot=0 ;;
	--firmware) firmware=$2; shift ;;
	--debug) debug=1 ;;
	--timeout) timeout=$2; shift ;;
	--dry-run) dry=1 ;;
	--) shift; extra=("$@"); break ;;
	-h|--help) usage; exit 0 ;;
	*) echo "qemu.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

if [ ! -f "$esp/EFI/BOOT/BOOTX64.EFI" ] && [ -z "$usb" ]; then
	echo "qemu.sh: $esp/EFI/BOOT/BOOTX64.EFI missing: run 'make' first" >&2
	exit 1
fi
# Every way out removes the run directory: the EXIT trap on a normal exit
# or an error (set -e), on_signal on SIGINT (Ctrl-C), SIGTERM and SIGHUP.
run= qpid=
trap 'rm -rf "$run"' EXIT
# on_signal SIG: stop QEMU with SIGTERM (a background job starts with
# SIGINT ignored, and QEMU only catches it once initialised), wait for it
# (SIGKILL after 10 s), remove the run directory, then die of SIG so the
# caller (make, a shell) sees how this script ended.
on_signal() {
	trap '' INT TERM HUP
	if [ -n "$qpid" ]; then
		kill -s TERM "$qpid" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.1
		done
		kill -s KILL "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	rm -rf "$run"
	trap - EXIT INT TERM HUP
	kill -s "$1" $$
}
for sig in INT TERM HUP; do
	trap "on_signal $sig" "$sig"
done
run=$(mktemp -d "${TMPDIR:-/tmp}/carto-qemu.XXXXXX")

"$top/ovmf/firmware.sh" vars "$firmware" "$run/vars.fd"
code=$("$top/ovmf/firmware.sh" code "$firmware")

# usb_with_cmdline IMG TEXT: a copy of disk image IMG in the run directory
# whose EFI System Partition holds \EFI\carto\cmdline.txt = TEXT; prints
# the copy's path.
usb_with_cmdline() {
	local copy=$run/usb.img start
	# The first partition of type ESP (GPT) or 0xef (MBR), in 512-byte sectors.
	start=$(sfdisk -d "$1" 2>/dev/null | sed -n \
		's/.*start= *\([0-9]*\),.*type=\(C12A7328-F81F-11D2-BA4B-00A0C93EC93B\|ef\)\b.*/\1/p' | head -n 1)
	if [ -z "$start" ]; then
		echo "qemu.sh: --usb $1 has no EFI System Partition: cannot set the command line" >&2
		exit 1
	fi
	cp --sparse=always "$1" "$copy"
	printf '%s\r\n' "$2" >"$run/cmdline.txt"
	mmd -D s -i "$copy@@$((start * 512))" ::/EFI/carto 2>/dev/null || true
	if ! mcopy -o -i "$copy@@$((start * 512))" "$run/cmdline.txt" ::/EFI/carto/cmdline.txt; then
		echo "qemu.sh: --usb $1: could not write the command line into a copy of it" >&2
		exit 1
	fi
	echo "$copy"
}

if [ -n "$usb" ] && [ ! -r "$usb" ]; then
	echo "qemu.sh: --usb $usb: no such disk image ('make usb' writes build/carto-usb.img)" >&2
	exit 1
fi
[ "$selftest" = 1 ] && cmdline="selftest${cmdline:+ $cmdline}"
bootdisk=()
if [ -n "$usb" ]; then
	disk=$usb
	if [ -n "$cmdline" ]; then
		disk=$(usb_with_cmdline "$usb" "$cmdline")
	fi
	# -nodefaults: no empty CD-ROM (q35, pc) or floppy (pc) next to the
	# stick; the VGA it would also drop is put back.
	bootdisk=(-nodefaults -vga std -drive "if=none,id=usbdisk,format=raw,file=$disk,snapshot=on")
	if [ "$firmware" = uboot ]; then
		# U-Boot boots the image from a SATA disk (q35's built-in AHCI).
		bootdisk+=(-device ide-hd,drive=usbdisk,bus=ide.0)
	else
		bootdisk+=(-device qemu-xhci,id=xhci -device usb-storage,bus=xhci.0,drive=usbdisk)
	fi
else
	# A private copy of the boot volume, so the command line is per run.
	cp -r "$esp" "$run/esp"
	if [ -n "$cmdline" ]; then
		mkdir -p "$run/esp/EFI/carto"
		printf '%s\n' "$cmdline" >"$run/esp/EFI/carto/cmdline.txt"
	fi
	bootdisk=(-drive "format=raw,file=fat:rw:$run/esp")
fi

if [ "$usbkbd" = 1 ]; then
	# One controller: the stick's when it is on xHCI (not under U-Boot).
	if [ -z "$usb" ] || [ "$firmware" = uboot ]; then
		bootdisk+=(-device qemu-xhci,id=xhci)
	fi
	bootdisk+=(-device usb-kbd,id=usbkbd,bus=xhci.0)
fi

mach=$machine
[ "$firmware" = secboot ] && mach="$machine,smm=on"
cpuopt=$cpu
[ -n "$physbits" ] && cpuopt="$cpu,phys-bits=$physbits"
args=(-machine "$mach" -cpu "$cpuopt" -smp "$smp" -m "$mem"
	-object "memory-backend-ram,id=ram0,size=$mem,reserve=off" -machine memory-backend=ram0
	"${bootdisk[@]}" -net none)
[ "$noreboot" = 1 ] && args+=(-no-reboot)
if [ "$firmware" = uboot ]; then
	args+=(-bios "$code")
else
	args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
		-drive "if=pflash,format=raw,unit=1,file=$run/vars.fd")
fi
[ "$firmware" = secboot ] && args+=(-global driver=cfi.pflash01,property=secure,value=on)
if [ -n "$serial_sock" ] && [ "$serial" != none ]; then
	args+=(-chardev "socket,id=serial0,path=$serial_sock,server=on,wait=off${serial_log:+,logfile=$serial_log}"
		-serial chardev:serial0)
else
	args+=(-serial "$serial")
fi
[ "$display" = 1 ] || args+=(-display none -vga std)
[ -n "$monitor" ] && args+=(-monitor "unix:$monitor,server,nowait")
[ "$selftest" = 1 ] && args+=(-device isa-debug-exit,iobase=0xf4,iosize=0x04)
[ "$icount" = 1 ] && args+=(-icount shift=0)
if [ "$debug" = 1 ]; then
	args+=(-s -S)
	echo "qemu.sh: paused with a GDB stub on localhost:1234 until GDB (or the monitor's 'cont') resumes it" >&2
fi
args+=("${extra[@]}")

cmd=(qemu-system-x86_64 "${args[@]}")
[ -n "$timeout" ] && cmd=(timeout --foreground "$timeout" "${cmd[@]}")
if [ "$dry" = 1 ]; then
	printf 'kernel command line: "%s"\n' "$cmdline"
	printf '%q ' "${cmd[@]}"; echo
	exit 0
fi
# QEMU runs as a child, not exec'd, so this script is still there to clean
# up when it ends. A background job would get /dev/null as its input: <&0
# keeps the terminal for -serial stdio. Ctrl-C reaches QEMU directly (same
# process group); a signal sent to this script alone ends QEMU through
# on_signal. The exit status is QEMU's.
"${cmd[@]}" <&0 &
qpid=$!
status=0
wait "$qpid" || status=$?
exit "$status"
