#!/usr/bin/env python3
"""matrix.py - Carto's boot-test matrix (issue 5), run by test_matrix.sh.

usage: tests/boot/matrix.py [options]
  --only NAMES        comma-separated case names to run (see --list)
  --list              print the cases and exit
  --artifacts DIR     logs, screendumps (PNG) go here (default build/boot-tests)
  --boot-timeout SEC  wait this long for "carto: ready", the self-tests or
                      the screen (default 150; QEMU is killed after 300)
  --no-self-check     skip the checks of the checks (no boot of their own)

Each case is one boot of Carto in QEMU/OVMF, chosen so that every dimension
real PCs differ in is covered at least once without multiplying them:
machine type (q35, pc), guest RAM (128 MiB .. 64 GiB, the i440fx PCI hole,
RAM above 4 GiB), CPU model (qemu64 without 1 GiB pages, max), 4 vCPUs,
the USB image on xHCI, no serial port at all, GOP modes other than the
default (video=), and Secure Boot. A case passes when the kernel says
"carto: ready" (or the self-tests pass, QEMU exit status 33) and its own
checks hold: the RAM the kernel reports matches the guest, RAM above 4 GiB
is mapped, the framebuffer has the asked size, and what is on screen (read
back from a QEMU screendump with the kernel's own font) is exactly the
kernel's output laid out by the console's wrap and scroll rules.

The USB case builds a private image with scripts/mkusb.sh (else uses
build/carto-usb.img); the Secure Boot case runs tests/boot/secureboot.sh.
Either is reported as "# SKIP ... not built" when its script or image does
not exist yet, never as a pass.

Prints TAP, one line per case with its wall time; the last line is
"N passed, N failed" (", N skipped" when some were skipped). Artifacts:
DIR/matrix-NAME.serial.log, .qemu.log, .monitor.txt, DIR/noserial.png,
DIR/video-WxH.png.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))

from bootlib import checks, qemu, screen            # noqa: E402
from bootlib import hmp as hmplib                   # noqa: E402
from bootlib.tap import Tap                         # noqa: E402

READY = r"^carto: ready tsc \d+"
FONT_C = os.path.join(TOP, "build", "kernel", "font.c")
MKUSB = os.path.join(TOP, "scripts", "mkusb.sh")
USB_IMG = os.path.join(TOP, "build", "carto-usb.img")
SECBOOT_TEST = os.path.join(TOP, "tests", "boot", "secureboot.sh")
SECBOOT_TIMEOUT = 900        # the whole Secure Boot script, seconds
MKUSB_TIMEOUT = 120
HARD_TIMEOUT = 300           # qemu.sh --timeout per boot
SCREEN_POLL = 3.0            # seconds between screendumps without serial
SETTLE = 0.5                 # after "carto: ready": let the last line reach the screen
REPORT_COLS = 80             # a 640x480 screen with an 8x16 font
SERIAL_TAIL = 25
MiB, GiB = 1 << 20, 1 << 30
# Where the machine types put the end of RAM below 4 GiB once the guest is
# large (QEMU pc_q35.c / pc_piix.c), and from which guest size on.
LOWMEM = {"q35": (2 * GiB, 0xb0000000), "pc": (3 * GiB, 0xe0000000)}
# Reported RAM: at least this share of the guest (firmware reserves the rest).
RAM_MIN_SHARE = 0.90
HIGH_RAM_SLACK = 64 * MiB
BAD_MODE = "1000x700"        # no OVMF mode has this size
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": MiB, "GiB": GiB, "TiB": 1 << 40}


def mem_bytes(text):
    return int(text[:-1]) * {"M": MiB, "G": GiB}[text[-1]]


# ---- checks on what the kernel wrote (serial text) -> list of problems ------------

def reported_ram(serial):
    """The RAM the boot report's "memory:" line gives, in bytes (or None)."""
    m = re.search(r"^memory: \d+ entries, RAM ([\d.]+) (\w+),", serial, re.M)
    if not m or m.group(2) not in UNITS:
        return None
    return float(m.group(1)) * UNITS[m.group(2)]


def iomem_ram(serial):
    """The "System RAM" ranges of the kernel's iomem table: [(start, end)]."""
    return [(int(a, 16), int(b, 16)) for a, b in re.findall(
        r"^\s+\[([0-9a-f]{16}), ([0-9a-f]{16})\) WB\s+System RAM$", serial, re.M)]


def check_ram(case, serial):
    """RAM reported is the guest's, less what firmware keeps; RAM above
    4 GiB is mapped exactly when the machine type puts some there."""
    size = mem_bytes(case.mem)
    problems = []
    got = reported_ram(serial)
    if got is None:
        problems.append("no \"memory: ... RAM X\" line in the boot report")
    elif not RAM_MIN_SHARE * size <= got <= size:
        problems.append("the report says RAM %s for a %s guest (expected %.0f%%..100%%)"
                        % (human(got), case.mem, 100 * RAM_MIN_SHARE))
    low_end, from_size = LOWMEM[case.machine]
    want_high = size - low_end if size >= from_size else 0
    ram = iomem_ram(serial)
    high = sum(e - max(s, 4 * GiB) for s, e in ram if e > 4 * GiB)
    if not ram:
        problems.append("no System RAM in the iomem table")
    elif not want_high - HIGH_RAM_SLACK <= high <= want_high:
        problems.append("%s of System RAM above 4 GiB in the iomem table, expected %s (%s %s)"
                        % (human(high), human(want_high), case.machine, case.mem))
    if ram and want_high == 0 and max(e for _, e in ram) > size:
        problems.append("System RAM ends at %#x, beyond the guest's %s"
                        % (max(e for _, e in ram), case.mem))
    return problems


def human(n):
    for unit in ("GiB", "MiB", "KiB"):
        if n >= UNITS[unit]:
            return "%.1f %s" % (n / UNITS[unit], unit)
    return "%d B" % n


def framebuffer_size(serial):
    m = re.search(r"^framebuffer: (\d+)x(\d+) ", serial, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_bad_mode(case, serial):
    """video=BAD_MODE: the loader says there is no such mode and the boot
    goes on in the mode it says it keeps."""
    m = re.search(r"carto: video=%s: the firmware has no %s mode; keeping (\d+)x(\d+)\."
                  % (BAD_MODE, BAD_MODE), serial)
    if not m:
        return ["no \"carto: video=%s: the firmware has no %s mode\" message" % (BAD_MODE,
                                                                                BAD_MODE)]
    kept, fb = (int(m.group(1)), int(m.group(2))), framebuffer_size(serial)
    if fb != kept:
        return ["the loader says it keeps %dx%d, the kernel reports framebuffer %s"
                % (kept[0], kept[1], "%dx%d" % fb if fb else "(no line)")]
    return []


def check_cpus(case, serial):
    """The firmware's MADT lists every vCPU; the kernel ran on the boot CPU
    alone while the others sat in the firmware's wait loop."""
    m = re.search(r"^lapic: (\d+) CPUs in the MADT", serial, re.M)
    if not m or int(m.group(1)) != case.smp:
        return ["the report says %s CPUs in the MADT, the guest has %d"
                % (m.group(1) if m else "no line with the number of", case.smp)]
    return []


def check_xhci_boot(case, serial):
    """The firmware booted a USB device and the kernel sees an xHCI controller."""
    problems = []
    if not re.search(r"BdsDxe: starting Boot\w+ \"[^\"]*USB", serial, re.I):
        problems.append("the firmware's \"BdsDxe: starting ...\" line names no USB device")
    if not re.search(r"^pci \S+ \S+ class 0c\.03\.30\b", serial, re.M):
        problems.append("the kernel lists no xHCI controller (PCI class 0c.03.30)")
    return problems


UBOOT_ARGS = "root=/dev/sdb3 init=/sbin/init rootwait ro"   # Debian u-boot-qemu's bootargs
UBOOT_CMDLINE = "memmap"


def check_uboot(case, serial):
    """U-Boot's UEFI booted the disk; Carto took cmdline.txt ("memmap", and
    the clean map it asks for is printed) *and* U-Boot's Linux bootargs,
    listed as ignored words; with no GOP the report says so."""
    problems = []
    if not re.search(r"^Carto kernel: firmware Das U-Boot ", serial, re.M):
        problems.append("the report does not name Das U-Boot as the firmware")
    m = re.search(r"^command line \(cmdline\.txt \+ load options\): (.*(?:\n    .*)*)", serial,
                  re.M)
    words = m.group(1).split() if m else None
    if words != (UBOOT_CMDLINE + " " + UBOOT_ARGS).split():
        problems.append("the command line should be cmdline.txt's %r then U-Boot's %r, from "
                        "both sources; the report has %r" % (UBOOT_CMDLINE, UBOOT_ARGS, words))
    if ("ignored (not Carto options): %s" % UBOOT_ARGS) not in serial:
        problems.append("U-Boot's bootargs are not listed as ignored words")
    if not re.search(r"^  \[[0-9a-f]{16}, [0-9a-f]{16}\) Conventional\s", serial, re.M):
        problems.append("no clean memory map printed: \"memmap\" in cmdline.txt had no effect")
    if not re.search(r"^framebuffer: none \(serial console only\)", serial, re.M):
        problems.append("no \"framebuffer: none (serial console only)\" line")
    if not re.search(r"^acpi: RSDP rev 0 at [0-9a-f]+, OEM \"[^\"]*\", RSDT at ", serial, re.M):
        problems.append("no ACPI 1.0 RSDP with an RSDT in the report")
    return problems


def report_lines(serial):
    """The kernel's boot report: its output from "Carto kernel:" to
    "carto: ready" (excluded), as lines."""
    start = serial.find("Carto kernel:")
    end = serial.find("\ncarto: ready", start)
    if start < 0 or end < 0:
        return None
    return serial[start:end].split("\n")


def check_width(serial, cols=REPORT_COLS):
    lines = report_lines(serial)
    if lines is None:
        return ["no boot report (\"Carto kernel:\" ... \"carto: ready\") in the serial log"]
    return ["%d columns: %s" % (len(l), l) for l in lines if len(l) > cols]


# A boot report in miniature, for the self-check.
SYNTHETIC_REPORT = (
    "BdsDxe: starting Boot0002 \"UEFI QEMU HARDDISK QM00001 \" from PciRoot(0x0)\n"
    "Carto kernel: x\n"
    "memory: 9 entries, RAM 505.6 MiB, free 460.0 MiB, 0 problems in the firmware map\n"
    "framebuffer: 1280x800 stride 1280 BGRX at c0000000; ACPI RSDP 1f77d014 (rev 2)\n"
    "lapic: 1 CPUs in the MADT\n"
    "pci 00:1f.2 8086:2922 class 01.06.01 storage\n"
    "iomem: 13 of 512 registry nodes in use, 5 MMIO mappings\n"
    "  [0000000000000000, 00000000000a0000) WB  System RAM\n"
    "  [0000000000100000, 000000001f000000) WB  System RAM\n"
    "carto: ready tsc 1\n")


def kernel_output(serial):
    """What the kernel wrote, from its first line on (the console's input)."""
    i = serial.find("Carto kernel:")
    return serial[i:] if i >= 0 else ""


# ---- cases --------------------------------------------------------------------------

class Case:
    """One boot. kind: ready | selftest | screen | noserial | usb | secboot
    | width (no boot: the line-width check of another case's report)."""

    def __init__(self, name, label, kind, mem="512M", cpu="max", machine="q35", smp=1,
                 cmdline="", video=None, checks=(), source=None, firmware="default"):
        self.name, self.label, self.kind = name, label, kind
        self.firmware = firmware
        self.mem, self.cpu, self.machine, self.smp = mem, cpu, machine, smp
        self.cmdline = cmdline
        self.video = video
        self.checks = list(checks)
        self.source = source

    def boot(self, art, esp, timeout, **kw):
        return qemu.Boot(TOP, "matrix-" + self.name, art, mem=self.mem, cpu=self.cpu,
                         machine=self.machine, smp=self.smp, cmdline=self.cmdline, esp=esp,
                         firmware=self.firmware,
                         hard_timeout=int(max(HARD_TIMEOUT, 2 * timeout)), **kw)


CASES = [
    Case("128M-q35-max", "q35, 128 MiB, -cpu max, video=%s (no such mode)" % BAD_MODE,
         "ready", mem="128M", cmdline="video=" + BAD_MODE, checks=[check_ram, check_bad_mode]),
    Case("512M-pc-qemu64", "pc (i440fx), 512 MiB, -cpu qemu64", "ready", machine="pc",
         cpu="qemu64", checks=[check_ram]),
    Case("3G-pc-max", "pc, 3 GiB (RAM up to the PCI hole), -cpu max", "ready", mem="3G",
         machine="pc", checks=[check_ram]),
    Case("6G-q35-qemu64", "q35, 6 GiB (4 GiB above 4 GiB), -cpu qemu64", "ready", mem="6G",
         cpu="qemu64", checks=[check_ram]),
    Case("64G-q35-max", "q35, 64 GiB, -cpu max, selftest", "selftest", mem="64G",
         checks=[check_ram]),
    Case("smp4-pc-qemu64", "pc, 512 MiB, -cpu qemu64, 4 vCPUs, selftest", "selftest",
         machine="pc", cpu="qemu64", smp=4, checks=[check_ram, check_cpus]),
    Case("usb-xhci", "USB image on xHCI (q35, 512 MiB)", "usb", checks=[check_xhci_boot]),
    Case("noserial", "no serial port: the report on screen (screendump)", "noserial"),
    Case("video-1024x768", "video=1024x768: GOP mode, report and screen", "screen",
         cmdline="video=1024x768", video=(1024, 768)),
    Case("video-640x480", "video=640x480: GOP mode, report and screen", "screen",
         cmdline="video=640x480", video=(640, 480), machine="pc", cpu="qemu64"),
    Case("report-80-columns", "every boot report line fits 80 columns (640x480), in every "
         "boot above", "width", source="video-640x480"),
    Case("secure-boot", "Secure Boot: signed image boots, unsigned refused", "secboot",
         firmware="secboot"),
    Case("uboot-sata", "the USB image as a SATA disk (q35, 512 MiB, -cpu max), cmdline.txt "
         "\"%s\"" % UBOOT_CMDLINE, "usb", cmdline=UBOOT_CMDLINE, firmware="uboot",
         checks=[check_ram, check_uboot]),
]
# What each case's line says it ran under (scripts/qemu.sh --firmware).
FIRMWARE_NAMES = {"default": "OVMF", "secboot": "OVMF Secure Boot", "uboot": "U-Boot"}


class MatrixTap(Tap):
    """Tap with SKIP results counted apart."""

    def __init__(self):
        super().__init__()
        self.skipped = 0

    def skip(self, desc, reason):
        self.n += 1
        self.skipped += 1
        self._line("ok %d - %s # SKIP %s" % (self.n, desc.replace("#", "no."), reason))

    def done(self):
        self._line("1..%d" % self.n)
        tail = ", %d skipped" % self.skipped if self.skipped else ""
        self._line("%d passed, %d failed%s" % (self.passed, self.failed, tail))
        return 0 if self.failed == 0 else 1


class Outcome:
    """What one case found: problems (empty = pass), or a skip reason."""

    def __init__(self, problems=(), skip=None, run=None, serial="", notes=()):
        self.problems = list(problems)
        self.skip = skip
        self.run = run
        self.serial = serial
        self.notes = list(notes)


class Matrix:
    def __init__(self, args):
        self.args = args
        self.art = args.artifacts
        os.makedirs(self.art, exist_ok=True)
        self.tap = MatrixTap()
        # Every boot uses one copy of the boot volume taken now, so a rebuild
        # while the matrix runs changes nothing.
        self.tmp = tempfile.mkdtemp(prefix="carto-matrix.")
        self.esp = os.path.join(self.tmp, "esp")
        shutil.copytree(os.path.join(TOP, "esp"), self.esp)
        self.font = screen.Font.from_c(FONT_C)
        self.serials = {}
        self.screens = {}

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- one boot, again once if someone else's cleanup killed QEMU ---------------

    def attempt(self, gather, case):
        out = gather(case)
        killer = out.run.killed_from_outside() if out.run else None
        if killer:
            self.tap.note("%s: %s; booting it again" % (case.name, killer))
            out = gather(case)
        return out

    def after_boot(self, case, run, problems):
        serial = run.serial()
        if not problems:
            for check in case.checks:
                problems += check(case, serial)
        ram, fb = reported_ram(serial), framebuffer_size(serial)
        note = "report: RAM %s, framebuffer %s" % (human(ram) if ram else "?",
                                                   "%dx%d" % fb if fb else "?")
        return Outcome(problems, run=run, serial=serial, notes=[note])

    def run_ready(self, case, extra=()):
        t = self.args.boot_timeout
        with case.boot(self.art, self.esp, t, extra=extra) as run:
            ok = run.wait_for(READY, t)
        return self.after_boot(case, run, [] if ok else [run.why()])

    def run_selftest(self, case):
        t = self.args.boot_timeout
        with case.boot(self.art, self.esp, t, selftest=True) as run:
            status = run.wait_exit(t)
            why = run.why()
        r = checks.check_ktap(run.serial(), status)
        problems = [] if r.ok else ([why] if status is None else []) + r.diag
        out = self.after_boot(case, run, problems)
        out.notes.append(r.title)
        return out

    def run_usb(self, case):
        img = os.path.join(self.art, "matrix-usb.img")
        if os.path.exists(MKUSB):
            cmd = [MKUSB, "--out", img, "--esp", self.esp, "--unsigned"]
            try:
                p = subprocess.run(cmd, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=MKUSB_TIMEOUT, universal_newlines=True)
            except subprocess.TimeoutExpired:
                return Outcome(["%s did not finish in %d s" % (" ".join(cmd), MKUSB_TIMEOUT)])
            if p.returncode != 0 or not os.path.exists(img):
                return Outcome(["%s failed (exit status %d):" % (" ".join(cmd), p.returncode)] +
                               p.stdout.strip().splitlines()[-15:])
        elif os.path.exists(USB_IMG):
            img = USB_IMG
        else:
            return Outcome(skip="%s not built (no scripts/mkusb.sh yet)"
                           % os.path.relpath(USB_IMG, TOP))
        out = self.run_ready(case, extra=["--usb", img])
        if img != USB_IMG:
            os.unlink(img)
        return out

    def screendump(self, run, path):
        """Take a screendump to path (PPM) and read it back as an Image."""
        if os.path.exists(path):
            os.unlink(path)
        answer = run.monitor().cmd("screendump %s" % path).strip()
        if answer:
            raise screen.ScreenError("screendump: %s" % answer)
        return screen.read_ppm(path)

    def keep_png(self, img, name):
        path = os.path.join(self.art, name)
        screen.write_png(img, path)
        return path

    def run_screen(self, case):
        t = self.args.boot_timeout
        ppm = os.path.join(self.art, "matrix-%s.ppm" % case.name)
        img, problems = None, []
        with case.boot(self.art, self.esp, t, monitor=True) as run:
            if run.wait_for(READY, t):
                run.wait_quiet(SETTLE)
                try:
                    img = self.screendump(run, ppm)
                except (screen.ScreenError, hmplib.HmpError) as e:
                    problems.append(str(e))
            else:
                problems.append(run.why())
        serial = run.serial()
        if img is not None:
            os.unlink(ppm)
            png = self.keep_png(img, "video-%dx%d.png" % case.video)
            problems += self.screen_problems(case, serial, img, png)
            self.screens[case.name] = (img, serial)
        out = Outcome(problems, run=run, serial=serial)
        self.serials[case.name] = serial
        return out

    def screen_problems(self, case, serial, img, png):
        w, h = case.video
        problems = []
        fb = framebuffer_size(serial)
        if fb != (w, h):
            problems.append("the report says framebuffer %s, asked for %dx%d"
                            % ("%dx%d" % fb if fb else "(no line)", w, h))
        if (img.width, img.height) != (w, h):
            problems.append("the screendump is %dx%d, asked for %dx%d"
                            % (img.width, img.height, w, h))
        problems += self.text_problems(serial, img, png)
        return problems

    def text_problems(self, serial, img, png):
        """The screen shows exactly the kernel's output, wrapped and scrolled."""
        f = self.font
        cols, rows = img.width // f.width, img.height // f.height
        want = screen.emulate(kernel_output(serial), cols, rows)
        seen = screen.read_text(img, f)
        diffs = screen.compare(seen, want)
        if diffs:
            return ["the screen (%s) differs from the kernel's output laid out on %dx%d "
                    "characters:" % (png, cols, rows)] + diffs
        return []

    def run_noserial(self, case):
        t = self.args.boot_timeout
        ppm = os.path.join(self.art, "noserial.ppm")
        img, text, problems = None, [], []
        with case.boot(self.art, self.esp, t, monitor=True, extra=["--no-serial"]) as run:
            deadline = time.monotonic() + t
            while True:
                time.sleep(SCREEN_POLL)
                if not run.running():
                    problems.append("QEMU exited with status %s" % run.status)
                    break
                try:
                    img = self.screendump(run, ppm)
                except (screen.ScreenError, hmplib.HmpError) as e:
                    problems.append(str(e))
                    break
                text = screen.read_text(img, self.font)
                if any(re.match(READY, line) for line in text):
                    break
                if time.monotonic() > deadline:
                    problems.append("no \"carto: ready\" on screen within %.0f s" % t)
                    break
        if img is not None:
            os.unlink(ppm)
            png = self.keep_png(img, "noserial.png")
            problems += noserial_problems(img, text, self.font, png)
        if run.serial():
            problems.append("%s is not empty: QEMU had a serial port after all"
                            % run.serial_path)
        return Outcome(problems, run=run)

    def run_width(self, case):
        """The boot reports of every case that ran (at least case.source,
        the 640x480 one): one line per distinct over-wide line, with the
        first case that printed it."""
        if case.source not in self.serials:
            return Outcome(["case %s did not run, so there is no 640x480 report to measure"
                            % case.source])
        seen, lines = {}, 0
        for name, serial in self.serials.items():
            if report_lines(serial) is None:
                continue
            lines += len(report_lines(serial))
            for problem in check_width(serial):
                # Numbers differ between boots; the words identify the line.
                seen.setdefault(re.sub(r"[0-9a-f]{4,}|\d+", "#", problem), (name, problem))
        if seen:
            return Outcome(["%d kinds of boot report line are wider than %d columns (they wrap "
                            "on a 640x480 screen):" % (len(seen), REPORT_COLS)] +
                           ["%s (%s)" % (p, n) for n, p in seen.values()])
        return Outcome(notes=["%d report lines of %d boots measured" % (lines, len(self.serials))])

    def run_secboot(self, case):
        if not os.path.exists(SECBOOT_TEST):
            return Outcome(skip="%s not built yet (Secure Boot signing)"
                           % os.path.relpath(SECBOOT_TEST, TOP))
        try:
            p = subprocess.run([SECBOOT_TEST], cwd=TOP, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=SECBOOT_TIMEOUT,
                               universal_newlines=True)
        except subprocess.TimeoutExpired:
            return Outcome(["%s did not finish in %d s" % (SECBOOT_TEST, SECBOOT_TIMEOUT)])
        out = p.stdout.strip().splitlines()
        results = [l for l in out if re.match(r"(not )?ok \d+", l)]
        summary = [l for l in out if re.match(r"^\d+ passed, \d+ failed(, \d+ skipped)?$", l)]
        nums = [int(x) for x in re.findall(r"\d+", summary[-1])] if summary else []
        if p.returncode == 0 and nums and nums[0] == 0 and len(nums) > 2 and nums[2] > 0 \
                and nums[1] == 0:
            reasons = [l.split("# SKIP", 1)[1].strip() for l in results if "# SKIP" in l]
            return Outcome(skip="secureboot.sh skipped everything: %s"
                           % "; ".join(reasons[:2]))
        if p.returncode != 0 or not nums or nums[1] != 0 or nums[0] == 0:
            return Outcome(["tests/boot/secureboot.sh: exit status %d, summary %s"
                            % (p.returncode, summary[-1] if summary else "missing")] +
                           [l for l in out if l.startswith("not ok")] + out[-SERIAL_TAIL:])
        return Outcome(notes=["secureboot.sh: " + summary[-1]] + results)

    # ---- the matrix ---------------------------------------------------------------

    def run_case(self, case):
        runners = {"ready": self.run_ready, "selftest": self.run_selftest, "usb": self.run_usb,
                   "screen": self.run_screen, "noserial": self.run_noserial,
                   "width": self.run_width, "secboot": self.run_secboot}
        start = time.monotonic()
        gather = runners[case.kind]
        out = self.attempt(gather, case) if case.kind not in ("width", "secboot") else gather(case)
        secs = time.monotonic() - start
        if out.run is not None and case.name not in self.serials:
            self.serials[case.name] = out.serial
        fw = "no boot" if case.kind == "width" else FIRMWARE_NAMES[case.firmware]
        desc = "%s: %s (%.1f s)" % (fw, case.label, secs)
        if out.skip:
            self.tap.skip(desc, out.skip)
            return
        diag = list(out.problems)
        if out.run is not None and diag and case.kind != "noserial":
            diag += out.run.serial_tail(SERIAL_TAIL)
        if self.tap.result(not out.problems, desc, diag):
            for n in out.notes:
                self.tap.note("  " + n)

    def self_check(self):
        """Feed the checks wrong inputs, each of which must be rejected, and
        a right one, which must pass (so a check that rejects everything
        is caught too)."""
        wrong, total = [], 0

        def expect(what, problems, ok=False):
            nonlocal total
            total += 1
            if bool(problems) == ok:
                wrong.append("%s: %s" % ("rejected" if ok else "passed", what))

        good = SYNTHETIC_REPORT
        expect("the right 512 MiB report", check_ram(Case("x", "x", "ready"), good), ok=True)
        expect("a 512 MiB report for a 4 GiB guest", check_ram(Case("x", "x", "ready", mem="4G"),
                                                               good))
        expect("a report without RAM above 4 GiB for a 6 GiB q35 guest",
               check_ram(Case("x", "x", "ready", mem="6G"),
                         good.replace("RAM 505.6 MiB", "RAM 5.9 GiB")))
        expect("1 CPU for 1 vCPU", check_cpus(Case("x", "x", "ready"), good), ok=True)
        expect("1 CPU for 4 vCPUs", check_cpus(Case("x", "x", "ready", smp=4), good))
        keep = "carto: video=%s: the firmware has no %s mode; keeping %%s.\n" % (BAD_MODE,
                                                                                BAD_MODE)
        expect("the kept mode reported", check_bad_mode(None, keep % "1280x800" + good), ok=True)
        expect("no message about video=", check_bad_mode(None, good))
        expect("a kept mode other than the framebuffer's",
               check_bad_mode(None, keep % "1024x768" + good))
        expect("an 80-column report", check_width(good), ok=True)
        expect("an 82-column line", check_width(good.replace("x\n", "x" * 81 + "\n", 1)))
        expect("a boot from the SATA disk", check_xhci_boot(None, good))
        expect("an OVMF report as a U-Boot one", check_uboot(None, good))
        uboot = ("Carto kernel: firmware Das U-Boot rev 20230100, UEFI 2.100\n"
                 "command line (cmdline.txt + load options): %s %s\n"
                 "  ignored (not Carto options): %s\n"
                 "  [0000000000000000, 00000000000a0000) Conventional          640.0 KiB attr 8\n"
                 "framebuffer: none (serial console only); ACPI RSDP 1dcee000 (rev 1)\n"
                 "acpi: RSDP rev 0 at 1dcee000, OEM \"BOCHS \", RSDT at 1ed54472\n"
                 % (UBOOT_CMDLINE, UBOOT_ARGS, UBOOT_ARGS))
        expect("a U-Boot report", check_uboot(None, uboot), ok=True)
        expect("U-Boot with cmdline.txt not read", check_uboot(None, uboot.replace(
            "(cmdline.txt + load options): %s %s" % (UBOOT_CMDLINE, UBOOT_ARGS),
            "(load options): %s" % UBOOT_ARGS)))
        shot = next(iter(self.screens.items()), None)
        if shot:
            name, (img, serial) = shot
            out = kernel_output(serial)
            blank = screen.Image(img.width, img.height, bytes(len(img.rgb)))
            blank_text = screen.read_text(blank, self.font)
            expect("the screen of %s" % name, self.text_problems(serial, img, "shot"), ok=True)
            expect("a blank screen", self.text_problems(serial, blank, "blank"))
            expect("one character changed", self.text_problems(
                out.replace("carto: ready", "carto: rEady"), img, "changed"))
            expect("the last two lines joined", self.text_problems(
                out.replace("\ncarto: ready", "carto: ready"), img, "joined"))
            expect("a blank screen without serial",
                   noserial_problems(blank, blank_text, self.font, "blank"))
        self.tap.result(not wrong, "self-check: the checks pass right inputs and reject wrong "
                        "ones (%d cases)" % total, wrong)

    def run(self, names):
        start = time.monotonic()
        for case in CASES:
            if names and case.name not in names:
                continue
            self.run_case(case)
        if not self.args.no_self_check:
            self.self_check()
        self.tap.note("matrix took %.0f s" % (time.monotonic() - start))
        return self.tap.done()


def noserial_problems(img, text, font, png):
    """Without serial there is nothing to compare the screen with, so: the
    picture is not blank, the report's text region fills the screen from
    the top row down (most text rows have ink), every cell reads as a glyph,
    and the report's last lines are there ("iomem:", "carto: ready")."""
    rows = img.height // font.height
    ink = screen.ink_rows(img, font)
    problems = []
    if not any(ink):
        return ["the screen (%s) is blank" % png]
    inked = sum(1 for n in ink if n)
    if inked < 0.8 * rows or not all(ink[:min(10, rows)]):
        problems.append("text on only %d of %d rows (ink per row from the top: %s)"
                        % (inked, rows, ink[:12]))
    unreadable = [i for i, line in enumerate(text) if screen.UNKNOWN in line]
    if unreadable:
        problems.append("rows %s hold cells that match no glyph of the font, e.g. %r"
                        % (unreadable[:5], text[unreadable[0]]))
    for pattern in (READY, r"^iomem: \d+ of \d+ registry nodes", r"^pci: \d+ functions"):
        if not any(re.match(pattern, line) for line in text):
            problems.append("no line matching %r on screen" % pattern)
    if problems:
        shown = [line for line in text if line.strip()][-SERIAL_TAIL:]
        problems.append("screen (%s) reads (%d non-blank rows%s):"
                        % (png, len(shown), ", the last ones" if len(shown) == SERIAL_TAIL else ""))
        problems += ["  |" + line for line in shown]
    return problems


def main():
    p = argparse.ArgumentParser(description=__doc__, usage=argparse.SUPPRESS,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="")
    p.add_argument("--list", action="store_true")
    p.add_argument("--artifacts", default=os.path.join(TOP, "build", "boot-tests"))
    p.add_argument("--boot-timeout", type=float, default=150)
    p.add_argument("--no-self-check", action="store_true")
    args = p.parse_args()
    if args.list:
        for c in CASES:
            print("%-20s %s" % (c.name, c.label))
        return 0
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in {c.name for c in CASES}]
    if unknown:
        sys.stderr.write("matrix.py: unknown case %s (see --list)\n" % ", ".join(unknown))
        return 2
    try:
        m = Matrix(args)
    except (screen.ScreenError, OSError) as e:
        print("not ok 1 - the matrix can start")
        print("#   %s" % e)
        print("0 passed, 1 failed")
        return 1
    try:
        return m.run(names)
    finally:
        m.close()


if __name__ == "__main__":
    sys.exit(main())
