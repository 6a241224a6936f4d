#!/bin/bash
# test_usbkbd.sh - boot tests of the xHCI driver and the USB boot keyboard
# (run by `make test` / `make boot-test` through tests/run-suite.sh).
#
#   tests/boot/test_usbkbd.sh [usbkbd.py options]
#
# Builds BOOTX64.EFI if needed, then runs tests/boot/usbkbd.py --self-check:
# boots without a controller, with a USB mouse only, and with a USB keyboard
# typed on through the QEMU monitor (sendkey), unplugged and plugged again
# (device_del, device_add) and made to stall a request, and booted from a
# USB stick on the same controller (the firmware used it first). See usbkbd.py's
# header. Prints TAP; the last line is "N passed, N failed". Logs:
# build/boot-tests/usb-*.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
RUN_TIMEOUT=600

mkdir -p build/boot-tests
if ! make -s esp/EFI/BOOT/BOOTX64.EFI >build/boot-tests/make-usbkbd.log 2>&1; then
	echo "not ok 1 - BOOTX64.EFI builds"
	tail -n 20 build/boot-tests/make-usbkbd.log | sed 's/^/#   /'
	echo "0 passed, 1 failed"
	exit 1
fi
# A stick image of its own (unsigned), so no other test's image is touched.
stick=build/boot-tests/usbkbd-stick.img
if ! scripts/mkusb.sh --unsigned --out "$stick" >build/boot-tests/mkusb-usbkbd.log 2>&1; then
	echo "not ok 1 - scripts/mkusb.sh makes a stick image"
	tail -n 20 build/boot-tests/mkusb-usbkbd.log | sed 's/^/#   /'
	echo "0 passed, 1 failed"
	exit 1
fi
PYTHONDONTWRITEBYTECODE=1 timeout "$RUN_TIMEOUT" python3 tests/boot/usbkbd.py --self-check \
	--stick "$stick" "$@"
status=$?
[ "$status" = 124 ] && echo "# usbkbd.py did not finish within $RUN_TIMEOUT s"
exit "$status"
