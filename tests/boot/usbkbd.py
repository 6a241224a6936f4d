#!/usr/bin/env python3
"""usbkbd.py - boot tests of the xHCI driver and the USB boot keyboard
(kernel/xhci.c, kernel/usbkbd.c), run by test_usbkbd.sh.

usage: tests/boot/usbkbd.py [--self-check] [--artifacts DIR] [--boot-timeout SEC]
                            [--stick IMG]

Three or four boots of a 512 MiB q35 guest under OVMF:
  1. no xHCI controller: the report says so, and the kernel gets to ready;
  2. a qemu-xhci with only a usb-mouse (HID, but no boot keyboard): the
     mouse is looked at and refused in one line, "no USB keyboard";
  3. scripts/qemu.sh --usb-keyboard, command line "keytest=N usbtest=stall
     addressing=explicit" (no direct map: the driver reaches its rings and
     contexts through vmaps, kmap.h; boots 1, 2 and 4 use the direct map),
     an HMP monitor:
     - the report names the controller and the keyboard (vendor 0627);
     - checked on the live machine, not from the kernel's word: BAR0 as
       `info pci` shows it is the address the kernel printed, `info tlb`
       maps the kernel's virtual address to it uncached (PCD and PWT set),
       `info usb` lists the keyboard;
     - keys typed with `sendkey` (they go to the USB keyboard: it is the
       newest keyboard QEMU has) arrive in input.h as the expected codes:
       letters, Shift, Ctrl, Alt, Caps Lock, digits and symbols, Enter,
       Backspace, Tab, Escape, arrows, Home/End, PgUp/PgDn (also with
       Shift), Insert, Delete, F1 and F12;
     - `device_del` of the keyboard in the middle: reported as unplugged,
       no hang; a new usb-kbd added with `device_add` is found and its
       keys arrive;
     - the new keyboard stalls a request (usbtest=stall) and the driver
       recovers: the next request succeeds.
  4. booted from a USB stick image on the same qemu-xhci (--usb STICK): the
     firmware drove the controller until ExitBootServices; the kernel takes
     it over, refuses the stick (mass storage) in one line, finds the
     keyboard, and a key typed arrives.
--self-check also feeds the checks wrong expectations and fails if one
still passes.

Prints TAP; the last line is "N passed, N failed".
"""
import argparse
import os
import re
import sys
import time

sys.dont_write_bytecode = True
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))

from bootlib import qemu                     # noqa: E402
from bootlib import hmp as hmplib            # noqa: E402
from bootlib.tap import Tap                  # noqa: E402

READY = r"^carto: ready tsc \d+"

# kernel/input.h: key codes and modifier bits.
KEY_BASE = 0x110000
KEY_NAMES = ["up", "down", "left", "right", "home", "end", "pgup", "pgdn", "insert", "delete",
             "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12"]
KEY = {name: KEY_BASE + i for i, name in enumerate(KEY_NAMES)}
SHIFT, CTRL, ALT = 1 << 24, 1 << 25, 1 << 26

# (sendkey argument, key code expected; None: a key that types nothing)
BEFORE_UNPLUG = [
    ("a", ord("a")), ("shift-b", ord("B") | SHIFT), ("ctrl-c", ord("c") | CTRL),
    ("alt-x", ord("x") | ALT), ("1", ord("1")), ("shift-1", ord("!") | SHIFT),
    ("minus", ord("-")), ("shift-slash", ord("?") | SHIFT), ("ret", ord("\n")),
    ("backspace", ord("\b")), ("tab", ord("\t")), ("esc", 0x1b), ("spc", ord(" ")),
    ("caps_lock", None), ("q", ord("Q")), ("shift-q", ord("q") | SHIFT), ("caps_lock", None),
    ("up", KEY["up"]), ("down", KEY["down"]), ("left", KEY["left"]), ("right", KEY["right"]),
    ("home", KEY["home"]), ("end", KEY["end"]), ("pgup", KEY["pgup"]),
    ("shift-pgup", KEY["pgup"] | SHIFT), ("pgdn", KEY["pgdn"]),
    ("shift-pgdn", KEY["pgdn"] | SHIFT), ("insert", KEY["insert"]),
    ("delete", KEY["delete"]), ("f1", KEY["f1"]), ("f12", KEY["f12"]),
]
AFTER_REPLUG = [("z", ord("z")), ("shift-f5", KEY["f5"] | SHIFT)]
KEY_LINE = re.compile(r"^keytest: key (\d+): (0x[0-9a-f]+|0)\b", re.M)


def expected_keys(sent):
    return [code for _, code in sent if code is not None]


def check_keys(serial, want):
    """None if the keytest lines show exactly the codes in want, in order;
    else the reason."""
    got = [int(m.group(2), 16) for m in KEY_LINE.finditer(serial)]
    if got == want:
        return None
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return "key %d: got %#x, want %#x" % (i + 1, g, w)
    return "got %d keys, want %d" % (len(got), len(want))


def kernel_mapping(serial):
    """(pa, va) of the xHCI registers from the kernel's report line."""
    m = re.search(r"^xhci: xHCI \S+ at ([0-9a-f]+) -> ([0-9a-f]+) UC,", serial, re.M)
    return (int(m.group(1), 16), int(m.group(2), 16)) if m else None


def pci_bar0(info_pci):
    """BAR0 of the USB controller in `info pci`, or None."""
    m = re.search(r"USB controller:.*?BAR0: 64 bit memory at (0x[0-9a-f]+)", info_pci, re.S)
    return int(m.group(1), 16) if m else None


def check_mapping(serial, info_pci, tlb):
    """None if the kernel's pa is `info pci`'s BAR0 and `info tlb` maps its
    va there with PCD and PWT set (UC); else the reason."""
    mapping = kernel_mapping(serial)
    if not mapping:
        return "no 'xhci: ... at PA -> VA UC' line"
    pa, va = mapping
    bar = pci_bar0(info_pci)
    if bar != pa:
        return "kernel says BAR0 %#x, info pci says %s" % (pa, hex(bar) if bar else "none")
    for tva, tpa, flags in tlb:
        if tva == va:
            if tpa != pa:
                return "info tlb maps %#x to %#x, not %#x" % (va, tpa, pa)
            # QEMU's letters: X G P D A C T U W; C = PCD, T = PWT.
            if flags[5] != "C" or flags[6] != "T":
                return "info tlb flags %s at %#x: not uncached (PCD+PWT)" % (flags, va)
            return None
    return "info tlb has no entry at %#x" % va


def wait_line(t, run, pattern, desc, timeout):
    ok = run.wait_for(pattern, timeout) is not None
    t.result(ok, desc, [run.why()] + run.serial_tail() if not ok else None)
    return ok


def send_keys(hmp, keys):
    for name, _ in keys:
        hmp.cmd("sendkey " + name)
        time.sleep(0.15)      # QEMU's HID queue holds only a few events


def boot_no_controller(t, args):
    with qemu.Boot(TOP, "usb-none", args.artifacts) as run:
        if wait_line(t, run, READY, "no xHCI: the kernel gets to ready", args.boot_timeout):
            serial = run.serial()
            t.result("xhci: no xHCI controller on PCI bus 0" in serial,
                     "no xHCI: the report says there is no controller", run.serial_tail())
            t.result("usbkbd:" not in serial, "no xHCI: no keyboard line")


def boot_mouse_only(t, args):
    extra = ["-device", "qemu-xhci,id=xhci", "-device", "usb-mouse,bus=xhci.0"]
    with qemu.Boot(TOP, "usb-mouse", args.artifacts, qemu_args=extra) as run:
        if not wait_line(t, run, READY, "mouse only: the kernel gets to ready", args.boot_timeout):
            return
        serial = run.serial()
        t.result(re.search(r"^usbkbd: port \d+: device [0-9a-f]{4}:[0-9a-f]{4} has no boot "
                           r"keyboard interface", serial, re.M) is not None,
                 "mouse only: the mouse is refused in one line", run.serial_tail())
        t.result("usbkbd: no USB keyboard (1 devices looked at)" in serial,
                 "mouse only: 'no USB keyboard' after looking at 1 device", run.serial_tail())


def boot_keyboard(t, args):
    want = expected_keys(BEFORE_UNPLUG) + expected_keys(AFTER_REPLUG)
    cmdline = "keytest=%d usbtest=stall addressing=explicit" % len(want)
    with qemu.Boot(TOP, "usb-keyboard", args.artifacts, cmdline=cmdline, monitor=True,
                   extra=["--usb-keyboard"]) as run:
        if not wait_line(t, run, r"^keytest: waiting for", "keyboard: keytest starts",
                         args.boot_timeout):
            return
        serial = run.serial()
        t.result(kernel_mapping(serial) is not None, "keyboard: the controller is reported",
                 run.serial_tail())
        t.result(re.search(r"^usbkbd: keyboard on port \d+ \(0627:0001\), USB 2, \w+ speed",
                           serial, re.M) is not None,
                 "keyboard: the keyboard is reported (0627:0001)", run.serial_tail())
        hmp = run.monitor()
        info_pci, tlb = hmp.cmd("info pci"), hmplib.parse_info_tlb(hmp.cmd("info tlb"))
        why = check_mapping(serial, info_pci, tlb)
        t.result(why is None, "keyboard: BAR0 is the kernel's and mapped UC (info pci, info tlb)",
                 why)
        t.result("QEMU USB Keyboard" in hmp.cmd("info usb"), "keyboard: info usb lists it")
        send_keys(hmp, BEFORE_UNPLUG)
        n = len(expected_keys(BEFORE_UNPLUG))
        if not wait_line(t, run, r"^keytest: key %d:" % n, "keyboard: %d keys arrive" % n, 30):
            return
        hmp.cmd("device_del usbkbd")
        if not wait_line(t, run, r"^usbkbd: keyboard on port \d+ unplugged",
                         "keyboard: device_del is reported as unplugged", 30):
            return
        hmp.cmd("device_add usb-kbd,id=usbkbd2,bus=xhci.0")
        if not wait_line(t, run, r"(?s)unplugged.*^usbkbd: keyboard on port \d+ \(0627",
                         "keyboard: a keyboard added later is found", 30):
            return
        send_keys(hmp, AFTER_REPLUG)
        if wait_line(t, run, r"^keytest: done, %d keys" % len(want),
                     "keyboard: keytest gets all %d keys" % len(want), 30):
            why = check_keys(run.serial(), want)
            t.result(why is None, "keyboard: every key code is right", why)
        if wait_line(t, run, r"^usbtest: stall recovery \w+", "keyboard: the stall test runs", 30):
            t.result(re.search(r"^usbtest: stall recovery ok", run.serial(), re.M) is not None,
                     "keyboard: a stalled request is cleared, the next one works",
                     run.serial_tail())


def boot_from_stick(t, args):
    with qemu.Boot(TOP, "usb-stick", args.artifacts, cmdline="keytest=1", monitor=True,
                   extra=["--usb", args.stick, "--usb-keyboard"]) as run:
        if not wait_line(t, run, r"^keytest: waiting for",
                         "stick: the kernel takes the firmware's controller", args.boot_timeout):
            return
        serial = run.serial()
        t.result(re.search(r"^usbkbd: port \d+: device [0-9a-f:]+ has no boot keyboard",
                           serial, re.M) is not None,
                 "stick: the mass-storage stick is refused in one line", run.serial_tail())
        t.result(re.search(r"^usbkbd: keyboard on port \d+ \(0627:0001\)", serial, re.M)
                 is not None, "stick: the keyboard is found", run.serial_tail())
        send_keys(run.monitor(), [("k", ord("k"))])
        if wait_line(t, run, r"^keytest: done, 1 keys", "stick: a key typed arrives", 30):
            why = check_keys(run.serial(), [ord("k")])
            t.result(why is None, "stick: it is 'k'", why)


def self_check(t):
    """Feed the pure checks wrong expectations: each must complain."""
    want = expected_keys(BEFORE_UNPLUG)
    serial = "".join("keytest: key %d: %#x\n" % (i + 1, k) for i, k in enumerate(want))
    cases = [
        ("right keys pass", check_keys(serial, want) is None),
        ("a wrong key fails", check_keys(serial, [want[0] ^ 1] + want[1:]) is not None),
        ("a missing key fails", check_keys(serial, want + [ord("x")]) is not None),
        ("Shift lost fails", check_keys(serial.replace("%#x" % (ord("B") | SHIFT), "0x42"),
                                        want) is not None),
    ]
    line = "xhci: xHCI 00:02.0 at e000000000 -> fffff000004f0000 UC, version 1.00\n"
    pci = "USB controller: PCI device 1b36:000d\n      BAR0: 64 bit memory at 0xe000000000 [x]"
    good = [(0xfffff000004f0000, 0xe000000000, "XG-DACT-W")]
    cases += [
        ("a UC mapping of BAR0 passes", check_mapping(line, pci, good) is None),
        ("a WB mapping fails", check_mapping(line, pci, [(good[0][0], good[0][1], "XG-DA---W")])
         is not None),
        ("another BAR fails", check_mapping(line, pci.replace("e000000000", "e000100000"), good)
         is not None),
        ("a mapping elsewhere fails", check_mapping(line, pci, [(good[0][0], 0xe0000f0000,
                                                                 "XG-DACT-W")]) is not None),
    ]
    for desc, ok in cases:
        t.result(ok, "self-check: " + desc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--self-check", action="store_true")
    ap.add_argument("--artifacts", default=os.path.join(TOP, "build", "boot-tests"))
    ap.add_argument("--boot-timeout", type=float, default=120)
    ap.add_argument("--stick", help="a USB stick image (make usb) to boot from (boot 4)")
    args = ap.parse_args()
    t = Tap()
    if args.self_check:
        self_check(t)
    boots = [boot_no_controller, boot_mouse_only, boot_keyboard]
    if args.stick:
        boots.append(boot_from_stick)
    for boot in boots:
        try:
            boot(t, args)
        except hmplib.HmpError as e:
            t.result(False, "%s: the QEMU monitor answers" % boot.__name__, str(e))
    t.done()
    return 0 if t.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
