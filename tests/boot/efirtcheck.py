#!/usr/bin/env python3
"""efirtcheck.py - boot tests of the EFI runtime services and the reboot /
power-off chains (issue 13 part B), run by test_efirt.sh.

usage: tests/boot/efirtcheck.py [--firmware LIST] [--artifacts DIR]
                                [--boot-timeout SEC] [--self-check]

Boots (512 MiB, -cpu max), none with QEMU's isa-debug-exit device:
  OVMF:
  1. "fwmap", monitor: at "carto: ready" the live page tables (every table
     read from CR3 with `xp`, cross-checked with `info tlb`) map every page
     of every EFI_MEMORY_RUNTIME descriptor of the firmware map the kernel
     printed at EFIRT_BASE + phys, with the permissions the Memory
     Attributes Table the kernel printed gives (RO: not writable, XP: not
     executable; outside it, or without it: runtime code r-x, data rw-,
     others rw- uncached), nothing else in the EFI runtime region, no page
     W+X, nothing in the lower half; and the boot report's "efi time:" is
     within a minute of the host's UTC clock when it was printed.
  2. "poweroff": QEMU exits by itself with status 0 after "carto: ready".
  3. "reboot" with scripts/qemu.sh --reboot: the firmware starts a second
     time (its boot manager's "BdsDxe: starting" line, and a second
     "carto: ready") on the same serial port.
  4. "selftest": the KTAP results are all ok and QEMU exits by itself with
     status 0 (the kernel powered off after the last line).
  U-Boot (--firmware default,uboot, the default):
  5. "poweroff" and 6. "selftest" as 2 and 4, when the kernel offers a
     power-off method there (the report's "power: power-off method: X");
     until the ACPI S5 method is in kernel/acpi.h it offers none, and the
     check is then that the kernel says it is safe to switch off and stops
     without a fault. Which of the two was checked is in the result line.
     Once kernel/acpi.h declares acpi_can_poweroff, offering none fails.
--self-check feeds the checks wrong inputs (a MAT entry's permissions
flipped, the host clock two minutes off, QEMU still running, one firmware
start only, a KTAP result "not ok") and fails if a check still passes.

Prints TAP; the last line is "N passed, N failed".
"""
import argparse
import calendar
import os
import re
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))

from bootlib import checks, fwmap, hmp as hmplib, image, qemu, snapshot   # noqa: E402
from bootlib.tap import Tap                                             # noqa: E402

READY = r"^carto: ready tsc \d+"
FW_START = {"default": r"BdsDxe: starting", "uboot": r"U-Boot \d{4}\.\d\d"}
FW_NAMES = {"default": "OVMF", "uboot": "U-Boot"}
EFI_RT_CODE, EFI_RT_DATA, EFI_MMIO, EFI_MMIO_PORT = 5, 6, 11, 12
ATTR_RUNTIME = 1 << 63
ATTR_WB, ATTR_RO, ATTR_XP = 0x8, 0x20000, 0x4000
PAT_WB, PAT_UC = 0, 3
PAGE = 4096
TIME_LIMIT = 60.0
MAT_ROW = re.compile(r"^  mat (\d+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+)$")
TIME_LINE = re.compile(r"^efi time: (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) ", re.M)
POWEROFF_BY = re.compile(r"^power: power-off method: (.*)$", re.M)
SAFE_OFF = "power: it is now safe to switch off the machine"
FAULTS = r"efi runtime: firmware fault in|^exception |^panic: "


def parse_mat(serial):
    """[(type, start, end, attr)] of the MAT the kernel printed, or None."""
    if "efi memory attributes table:" not in serial:
        return None
    rows = []
    for line in serial.split("efi memory attributes table:", 1)[1].splitlines()[1:]:
        m = MAT_ROW.match(line)
        if not m:
            break
        t, s, n, a = int(m.group(1)), int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16)
        rows.append((t, s, s + n * PAGE, a))
    return rows


def expected_pages(descs, mat):
    """{pa: (write, exec, pat index)} for every page of every runtime descriptor."""
    want = {}
    for d in descs:
        if not d.attr & ATTR_RUNTIME:
            continue
        mmio = d.type in (EFI_MMIO, EFI_MMIO_PORT)
        pat = PAT_WB if (d.attr & ATTR_WB) and not mmio else PAT_UC
        for pa in range(d.start, d.end, PAGE):
            w, x = d.type != EFI_RT_CODE, d.type == EFI_RT_CODE
            if mat and d.type in (EFI_RT_CODE, EFI_RT_DATA):
                for t, s, e, a in mat:
                    if s <= pa < e:
                        w, x = not a & ATTR_RO, not a & ATTR_XP
                        if w and x:               # asks for W+X: mapped as the type allows
                            w, x = t != EFI_RT_CODE, t == EFI_RT_CODE
                        break
            if d.attr & ATTR_RO:
                w = False
            if d.attr & ATTR_XP:
                x = False
            want[pa] = (w, x, pat)
    return want


def check_runtime_pages(snap, layout, descs, mat):
    """Every runtime page at EFIRT_BASE + phys with the expected permissions;
    nothing else in the EFI runtime region."""
    base, end = layout["EFIRT_BASE"], layout["EFIRT_END"]
    want = expected_pages(descs, mat)
    bad, seen = [], set()
    for pa, (w, x, pat) in sorted(want.items()):
        leaf = snap.walk.lookup(base + pa)
        if leaf is None:
            bad.append("%#x (phys %#x) not mapped" % (base + pa, pa))
            continue
        got_pa = leaf.pa + (base + pa - leaf.va)
        got = (leaf.write, not leaf.nx, leaf.cache_index)
        if got_pa != pa or got != (w, x, pat) or leaf.user:
            bad.append("%#x: maps %#x %s pat %d, want %#x %s pat %d" % (
                base + pa, got_pa, leaf.perms(), leaf.cache_index, pa,
                "r" + ("w" if w else "-") + ("x" if x else "-"), pat))
        seen.add(pa)
    extra = [l for l in snap.walk.leaves_in(base, end)
             if any(pa - base not in want for pa in range(max(l.va, base), min(l.end, end), PAGE))]
    bad += ["mapped but not a runtime page: %r" % l for l in extra[:5]]
    pieces = "MAT" if mat else "memory types"
    return checks.Result("the runtime regions' %d pages are mapped at EFIRT_BASE + phys with the "
                         "permissions of the %s, nothing else in the region" % (len(want), pieces),
                         want and not bad, bad[:12] or (["no runtime descriptors"] if not want else []))


def check_time(serial, host_utc):
    """The report's "efi time:" within TIME_LIMIT s of host_utc (seconds)."""
    m = TIME_LINE.search(serial)
    if not m:
        return checks.Result("the boot report's date and time match the host's", False,
                             ["no \"efi time: YYYY-MM-DD HH:MM:SS\" line"])
    t = calendar.timegm(tuple(int(g) for g in m.groups()) + (0, 0, 0))
    d = t - host_utc
    return checks.Result("the boot report's date and time (%s) are within %.0f s of the host's "
                         "UTC clock (%+.1f s)" % (m.group(0)[10:29], TIME_LIMIT, d),
                         abs(d) <= TIME_LIMIT, [] if abs(d) <= TIME_LIMIT else
                         ["host %s UTC" % time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(host_utc))])


def check_poweroff(serial, status, offered, tail=None):
    """QEMU ended by itself with status 0 after "carto: ready" (a power-off
    method offered), or the kernel said it is safe to switch off (none)
    with no fault or exception in @tail (default: all of @serial)."""
    ready = re.search(READY, serial, re.M)
    tail = serial if tail is None else tail
    if offered:
        ok = ready and status == 0 and "power: power-off by" in serial
        return checks.Result("powered off by %s: QEMU exited by itself with status 0" % offered,
                             ok, [] if ok else ["exit status %s, ready %s" % (status, bool(ready))])
    ok = ready and status is None and SAFE_OFF in tail and not re.search(FAULTS, tail, re.M)
    diag = [] if ok else ["exit status %s" % status]
    why = re.search(r"^acpi: .*\bno S5\b", serial, re.M)
    if not why:
        ok = False
        diag.append("no power-off method is offered and no acpi line says why S5 is not: "
                    "is ACPI S5 in kernel/power.c's off_methods?")
    return checks.Result("no power-off method offered: the kernel says it is safe to switch off "
                         "and stops", ok, diag)


def check_reboot(serial, fw):
    """The firmware started twice and the kernel reached ready twice."""
    starts = len(re.findall(FW_START[fw], serial))
    readies = len(re.findall(READY, serial, re.M))
    ok = starts >= 2 and readies >= 2 and "power: reboot by" in serial
    return checks.Result("reboot: the firmware started again (%d starts, %d \"carto: ready\")"
                         % (starts, readies), ok, [] if ok else ["serial shows %d firmware starts"
                                                                 % starts])


def check_selftest(serial, status, offered):
    """All KTAP results ok; then power-off as check_poweroff."""
    r = checks.check_ktap(serial, checks.QEMU_EXIT_PASS)   # the exit status is checked below
    summary = list(re.finditer(r"^\d+ passed, \d+ failed(?:, \d+ skipped)?$", serial, re.M))
    p = check_poweroff(serial, status, offered, serial[summary[-1].start():] if summary else "")
    return checks.Result("self-tests pass without isa-debug-exit and then: %s" % p.title,
                         r.ok and p.ok, r.diag + p.diag)


def power_off_method(serial):
    """The power-off method the report names, or None for "none"."""
    m = POWEROFF_BY.search(serial)
    if not m or m.group(1).startswith("none"):
        return None
    return m.group(1)


class Runner:
    def __init__(self, args):
        self.args = args
        self.tap = Tap()
        self.layout = image.layout(TOP)
        self.tmp = tempfile.mkdtemp(prefix="carto-efirtcheck.")
        self.esp = os.path.join(self.tmp, "esp")
        shutil.copytree(os.path.join(TOP, "esp"), self.esp)
        self.kernel = image.Kernel.from_efi(os.path.join(self.esp, "EFI", "BOOT", "BOOTX64.EFI"))
        self.seen = {}

    def boot(self, name, fw, **kw):
        return qemu.Boot(TOP, name, self.args.artifacts, firmware=fw, esp=self.esp,
                         hard_timeout=int(2 * self.args.boot_timeout + 60), **kw)

    def result(self, label, r, run=None):
        self.tap.result(r.ok, "%s: %s" % (label, r.title), r.diag + ([] if r.ok or run is None
                                                                    else run.serial_tail(15)))

    def pages_and_time(self, fw, label):
        t = self.args.boot_timeout
        with self.boot("efirt-pages-" + fw, fw, cmdline="fwmap", monitor=True) as run:
            ok = run.wait_for(READY, t)
            host = time.time()
            snap, err = None, run.why()
            if ok:
                try:
                    snap = snapshot.collect(run.monitor(), self.layout, self.kernel.segments)
                except hmplib.HmpError as e:
                    err = "monitor: %s" % e
        if snap is None:
            self.tap.result(False, "%s: boots to \"carto: ready\" with the monitor" % label,
                            [err] + run.serial_tail())
            return
        serial = run.serial()
        try:
            descs = fwmap.parse(serial)
        except fwmap.FwMapError as e:
            self.tap.result(False, "%s: the kernel printed the firmware map" % label, [str(e)])
            return
        mat = parse_mat(serial)
        self.result(label, check_runtime_pages(snap, self.layout, descs, mat), run)
        for c in (checks.check_walk_vs_tlb, checks.check_wx, checks.check_lower_half):
            self.result(label, c(snap, None), run)
        self.result(label, check_time(serial, host), run)
        self.seen["pages"] = (snap, descs, mat, serial, host)

    def poweroff(self, fw, label):
        with self.boot("efirt-poweroff-" + fw, fw, cmdline="poweroff") as run:
            run.wait_for(READY, self.args.boot_timeout)
            offered = power_off_method(run.serial())
            status = run.wait_exit(30 if offered else 5)
            if status is None:
                run.wait_quiet(1.0, 5.0)
        self.result(label, check_poweroff(run.serial(), status, offered), run)
        self.seen.setdefault("poweroff", (run.serial(), status, offered))

    def reboot(self, fw, label):
        with self.boot("efirt-reboot-" + fw, fw, cmdline="reboot", extra=["--reboot"]) as run:
            run.wait_for([READY, r"power: reboot by"], self.args.boot_timeout)
            text = run.serial()
            run.wait_for(r"(?s)power: reboot by.*" + FW_START[fw] + r".*carto: ready",
                         self.args.boot_timeout)
        self.result(label, check_reboot(run.serial(), fw), run)
        self.seen["reboot"] = (text, fw)

    def selftest(self, fw, label):
        with self.boot("efirt-selftest-" + fw, fw, cmdline="selftest") as run:
            run.wait_for(r"^\d+ passed, \d+ failed(?:, \d+ skipped)?$", 2 * self.args.boot_timeout)
            offered = power_off_method(run.serial())
            status = run.wait_exit(30 if offered else 5)
        self.result(label, check_selftest(run.serial(), status, offered), run)
        self.seen.setdefault("selftest", (run.serial(), status, offered))

    def self_check(self):
        wrong = []
        if "pages" in self.seen:
            snap, descs, mat, serial, host = self.seen["pages"]
            if mat:
                flipped = [(t, s, e, a ^ (ATTR_RO | ATTR_XP)) for t, s, e, a in mat]
                if check_runtime_pages(snap, self.layout, descs, flipped).ok:
                    wrong.append("MAT permissions flipped")
            if check_runtime_pages(snap, self.layout, descs, []).ok and mat:
                wrong.append("MAT ignored")
            if check_time(serial, host + 120).ok:
                wrong.append("host clock two minutes ahead")
        if "poweroff" in self.seen:
            s, st, offered = self.seen["poweroff"]
            if check_poweroff(s, None, offered or "EFI").ok:
                wrong.append("QEMU still running")
        if "reboot" in self.seen:
            text, fw = self.seen["reboot"]
            if check_reboot(text, fw).ok:
                wrong.append("one firmware start only")
        if "selftest" in self.seen:
            s, st, offered = self.seen["selftest"]
            if check_selftest(s.replace("\nok 1 ", "\nnot ok 1 ", 1), st, offered).ok:
                wrong.append("a KTAP result not ok")
        self.tap.result(not wrong and len(self.seen) == 4, "self-check: the checks catch %d "
                        "wrong inputs" % (2 + 4), wrong or ([] if len(self.seen) == 4 else
                                                            ["only %s seen" % sorted(self.seen)]))

    def run(self):
        for fw in self.args.firmware.split(","):
            label = "512M max %s" % FW_NAMES[fw]
            if fw == "default":
                self.pages_and_time(fw, label)
                self.reboot(fw, label)
            self.poweroff(fw, label)
            self.selftest(fw, label)
        if self.args.self_check:
            self.self_check()
        return self.tap.done()


def main():
    p = argparse.ArgumentParser(description=__doc__, usage=argparse.SUPPRESS,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--firmware", default="default,uboot")
    p.add_argument("--artifacts", default=os.path.join(TOP, "build", "boot-tests"))
    p.add_argument("--boot-timeout", type=float, default=120)
    p.add_argument("--self-check", action="store_true")
    args = p.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    try:
        runner = Runner(args)
    except (image.ImageError, OSError) as e:
        print("not ok 1 - boot volume and layout readable\n#   %s\n0 passed, 1 failed" % e)
        return 1
    try:
        return runner.run()
    finally:
        shutil.rmtree(runner.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
