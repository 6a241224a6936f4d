#!/usr/bin/env python3
"""bootcheck.py - Carto's scripted boot tests (issue 2), run by test_boot.sh.

usage: tests/boot/bootcheck.py [options]
  --configs LIST      comma-separated MEM/CPU[/1g|/no1g][@FIRMWARE][+MODE]
                      guests (default 512M/max,512M/qemu64,4G/max,4G/qemu64,
                      512M/max@uboot,512M/max+explicit,6G/qemu64+direct:896M,
                      4G/max+recursive,512M/qemu64+explicit+recursive);
                      +MODE boots with addressing=MODE (direct, explicit,
                      direct:LIMIT), +recursive with ptaccess=recursive; /1g or /no1g says whether the CPU
                      model has 1 GiB pages (needed for models other than
                      max and qemu64); @FIRMWARE is a scripts/qemu.sh
                      --firmware (default: OVMF; uboot: U-Boot's UEFI)
  --machine TYPE      QEMU machine type for every boot (default q35)
  --crash-mem MEM     guest size of the fault-report boots (default 512M)
  --no-selftest       skip the self-test boots
  --no-crash          skip the fault-report boots
  --self-check        also feed every check deliberately wrong expectations
                      and fail if one of them still passes (no extra boot)
  --artifacts DIR     where logs and monitor dumps go (default build/boot-tests)
  --boot-timeout SEC  wait this long for "carto: ready", the self-tests or a
                      fault report (default 120; QEMU is killed after 300)
  --recheck NAME      no boot: re-run the paging checks on the snapshot a
                      previous run saved as DIR/NAME.* (e.g. 512M-max)

Per guest in --configs, two boots:
  1. command line "fwmap", an HMP monitor: wait for "carto: ready", stop the
     CPU, read registers and every page table from CR3 (`xp`), `info tlb`,
     the window's view of CR3 (`x`), then check from that alone: W^X
     everywhere, the direct map is exactly the RAM of the firmware map the
     kernel printed, with 1 GiB / 2 MiB leaves wherever possible, no
     lower-half mapping, the kernel segments' permissions, stack guard
     pages, the page-table window, CR0.WP and EFER.NXE;
  2. --selftest: QEMU must exit with status 33 and the KTAP output must be
     all "ok".
Then crash=stack, crash=pf and crash=wp boots: the fault report must name
the fault and agree with the CPU's CR2, and the CPU must be halted.

Prints TAP; the last line is "N passed, N failed". Exit status 0 if all
passed. Artifacts of the last run: DIR/NAME.serial.log, NAME.qemu.log,
NAME.monitor.txt (every monitor command and its output), NAME.snapshot.json,
NAME.pagetables.txt, and last-run.txt listing them.
"""
import argparse
import json
import re
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))

from bootlib import checks, fwmap, image, qemu, snapshot    # noqa: E402
from bootlib import hmp as hmplib                           # noqa: E402
from bootlib.tap import Tap                                 # noqa: E402

DEFAULT_CONFIGS = ("512M/max,512M/qemu64,4G/max,4G/qemu64,512M/max@uboot,512M/max+explicit,"
                   "6G/qemu64+direct:896M,4G/max+recursive,512M/qemu64+explicit+recursive")
FIRMWARE_NAMES = {"default": "OVMF", "uboot": "U-Boot"}
KNOWN_1G = {"max": True, "qemu64": False}
READY = r"^carto: ready tsc \d+"
ELF = os.path.join(TOP, "build", "kernel", "kernel.elf")
BOOT_EFI = os.path.join("EFI", "BOOT", "BOOTX64.EFI")
CRASH_KINDS = ("stack", "pf", "wp")
# What to wait for on serial before reading a fault report.
CRASH_WAIT = {"stack": [r"(?i)double fault", r"(?i)guard page"],
              "pf": [r"(?i)page fault", r"(?i)page walk of"],
              "wp": [r"(?i)page fault", r"(?i)page walk of"]}
SERIAL_TAIL = 20
GiB = 1 << 30


class Config:
    """One guest: memory size, CPU model, whether it has 1 GiB pages."""

    def __init__(self, spec, machine):
        spec, *modes = spec.split("+")
        self.ptaccess = "recursive" if "recursive" in modes else ""
        rest = [m for m in modes if m != "recursive"]
        if len(rest) > 1:
            raise SystemExit("bootcheck.py: config %r names more than one addressing mode" % spec)
        self.addressing = rest[0] if rest else ""
        spec, _, self.firmware = spec.partition("@")
        self.firmware = self.firmware or "default"
        if self.firmware not in FIRMWARE_NAMES:
            raise SystemExit("bootcheck.py: bad firmware %r in a config: one of %s"
                             % (self.firmware, ", ".join(FIRMWARE_NAMES)))
        parts = spec.split("/")
        if len(parts) not in (2, 3) or parts[2:] not in ([], ["1g"], ["no1g"]):
            raise SystemExit("bootcheck.py: bad config %r: expected MEM/CPU or MEM/CPU/1g|no1g" % spec)
        self.mem, self.cpu = parts[0], parts[1]
        if len(parts) == 3:
            self.has_1g = parts[2] == "1g"
        elif self.cpu in KNOWN_1G:
            self.has_1g = KNOWN_1G[self.cpu]
        else:
            raise SystemExit("bootcheck.py: does CPU model %r have 1 GiB pages? say %s/%s/1g or /no1g"
                             % (self.cpu, self.mem, self.cpu))
        self.machine = machine
        self.bytes = mem_bytes(self.mem)
        # From 4 GiB on, q35 and pc guests have at least one whole GiB of RAM
        # above 4 GiB, so a CPU with 1 GiB pages must use at least one.
        self.min_1g = 1 if self.has_1g and self.bytes >= 4 * GiB else 0
        fw = "" if self.firmware == "default" else self.firmware
        self.name = "%s-%s%s%s" % (self.mem, self.cpu, "" if machine == "q35" else "-" + machine,
                                   "-" + fw if fw else "")
        # Every label names the firmware the guest ran under.
        self.label = "%s %s%s %s" % (self.mem, self.cpu, "" if machine == "q35" else " " + machine,
                                     FIRMWARE_NAMES[self.firmware])
        self.cmdline = ""
        if self.addressing:
            self.dmap_limit_of(self.addressing)      # refuse a bad mode early
            self.name += "-" + self.addressing.replace(":", "-")
            self.label += " addressing=" + self.addressing
            self.cmdline = "addressing=" + self.addressing
        if self.ptaccess:
            self.name += "-" + self.ptaccess
            self.label += " ptaccess=" + self.ptaccess
            self.cmdline = (self.cmdline + " ptaccess=" + self.ptaccess).strip()

    @staticmethod
    def dmap_limit_of(mode, dmap_max=1 << 46):
        """The direct map's limit for addressing=mode (as mm/dmap.c parses it)."""
        if mode in ("", "direct"):
            return dmap_max
        if mode == "explicit":
            return 0
        m = re.fullmatch(r"direct:(\d+)([KMGT])", mode)
        if not m:
            raise SystemExit("bootcheck.py: bad addressing mode %r in a config" % mode)
        limit = int(m.group(1)) << (10 * ("KMGT".index(m.group(2)) + 1))
        return min(limit & ~((2 << 20) - 1), dmap_max)

    def boot(self, name, artifacts, timeout, esp, **kw):
        kw["cmdline"] = " ".join(w for w in (kw.get("cmdline", ""), self.cmdline) if w)
        return qemu.Boot(TOP, name, artifacts, mem=self.mem, cpu=self.cpu, machine=self.machine,
                         esp=esp, firmware=self.firmware,
                         hard_timeout=int(max(300, 2 * timeout)), **kw)


def mem_bytes(text):
    """'512M' / '4G' -> bytes."""
    units = {"M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    try:
        return int(text[:-1]) * units[text[-1].upper()]
    except (ValueError, KeyError, IndexError):
        raise SystemExit("bootcheck.py: bad memory size %r (e.g. 512M, 4G)" % text)


class Runner:
    def __init__(self, args):
        self.args = args
        self.tap = Tap()
        self.art = args.artifacts
        os.makedirs(self.art, exist_ok=True)
        self.files = []
        self.layout = image.layout(TOP)
        # Every boot uses one copy of the boot volume taken now, and the
        # expected kernel segments come from the kernel embedded in it: a
        # rebuild while the tests run changes neither.
        self.tmp = tempfile.mkdtemp(prefix="carto-bootcheck.")
        self.esp = os.path.join(self.tmp, "esp")
        shutil.copytree(os.path.join(TOP, "esp"), self.esp)
        self.kernel = image.Kernel.from_efi(os.path.join(self.esp, BOOT_EFI))
        self.segments = self.kernel.segments
        self.elf_bytes = {s.va: self.kernel.file_bytes(s, snapshot.IMAGE_PROBE_BYTES)
                          for s in self.segments if not s.write}

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def note_kernel(self):
        """Say so if build/kernel/kernel.elf is not the kernel that boots."""
        try:
            built = image.Kernel.from_file(ELF)
        except image.ImageError as e:
            self.tap.note(str(e))
            return
        if built.data[:len(self.kernel.data)] != self.kernel.data[:len(built.data)]:
            self.tap.note("%s differs from the kernel in %s (rebuilt since?): checking the "
                          "embedded one" % (ELF, BOOT_EFI))

    def expect(self, descs, cfg):
        return checks.Expect(fwmap.ram(descs), descs, cfg.has_1g, self.layout, self.segments,
                             self.elf_bytes, min_1g=cfg.min_1g,
                             dmap_limit=cfg.dmap_limit_of(cfg.addressing, self.layout["DMAP_MAX_PHYS"]),
                             recursive=self.layout["RECURSIVE_SLOT"] if cfg.ptaccess else None)

    def save(self, name, text):
        path = os.path.join(self.art, name)
        with open(path, "w") as f:
            f.write(text)
        self.files.append(name)

    def note_boot(self, run):
        self.files += [os.path.basename(p) for p in (run.serial_path, run.qemu_log_path,
                                                     run.monitor_log_path) if os.path.exists(p)]

    def fail_unchecked(self, label, why):
        for check in checks.PAGING_CHECKS:
            doc = check.__doc__.strip().splitlines()[0]
            self.tap.result(False, "%s: %s (not checked: %s)" % (label, doc, why))

    def attempt(self, gather, *args):
        """Run gather(*args) (one boot; returns a tuple starting with the
        qemu.Boot) again, once, if something outside these tests killed
        QEMU: other people's scripts share this machine."""
        got = gather(*args)
        killer = got[0].killed_from_outside()
        if killer:
            self.tap.note("%s: %s; booting it again" % (got[0].name, killer))
            got = gather(*args)
        self.note_boot(got[0])
        return got

    # ---- boot 1: paging, read through the monitor ----------------------------------

    def paging_gather(self, cfg):
        t = self.args.boot_timeout
        with cfg.boot(cfg.name, self.art, t, self.esp, cmdline="fwmap", monitor=True) as run:
            ok = run.wait_for(READY, t)
            ready = run.elapsed()
            snap, err = None, run.why()
            if ok:
                try:
                    snap = snapshot.collect(run.monitor(), self.layout, self.segments)
                except hmplib.HmpError as e:
                    err = "monitor: %s" % e
        return run, snap, err, ready

    def paging_boot(self, cfg):
        run, snap, err, ready = self.attempt(self.paging_gather, cfg)
        booted = self.tap.result(snap is not None, "%s: boots to \"carto: ready\" and the monitor "
                                 "answers (%.1f s)" % (cfg.label, ready), [err] + run.serial_tail())
        if not booted:
            self.fail_unchecked(cfg.label, "no boot")
            return None
        try:
            descs = fwmap.parse(run.serial())
            self.tap.result(True, "%s: the kernel printed the firmware map (%d descriptors)"
                            % (cfg.label, len(descs)))
        except fwmap.FwMapError as e:
            self.tap.result(False, "%s: the kernel printed the firmware map" % cfg.label,
                            [str(e)] + run.serial_tail())
            self.fail_unchecked(cfg.label, "no firmware map")
            return None
        self.save(cfg.name + ".snapshot.json", snap.to_json())
        self.save(cfg.name + ".pagetables.txt", snapshot.describe(snap))
        self.save(cfg.name + ".config.json", json.dumps({
            "mem": cfg.mem, "cpu": cfg.cpu, "machine": cfg.machine, "has_1g": cfg.has_1g,
            "firmware": cfg.firmware, "addressing": cfg.addressing, "ptaccess": cfg.ptaccess,
            "segments": [[g.va, g.memsz, g.offset, g.filesz, g.flags] for g in self.segments],
            "elf_bytes": {"%#x" % va: b.hex() for va, b in self.elf_bytes.items()}}))
        exp = self.expect(descs, cfg)
        self.report(cfg.label, checks.run_paging_checks(snap, exp), run)
        self.device_cache_check(cfg.label, snap, run.serial())
        return snap, exp

    def device_cache_check(self, label, snap, serial):
        """The LAPIC and HPET mappings the kernel announces ("lapic: PHYS -> VA UC")
        are uncached in the page tables the CPU uses: PAT index 3 (PCD|PWT, entry 3
        = UC in Carto's PAT), at the physical address announced."""
        found, bad = 0, []
        for m in re.finditer(r"^(lapic|hpet): ([0-9a-f]+) -> ([0-9a-f]+) UC", serial, re.M):
            name, pa, va = m.group(1), int(m.group(2), 16), int(m.group(3), 16)
            found += 1
            leaf = snap.walk.lookup(va)
            if leaf is None:
                bad.append("%s at %#x is not mapped" % (name, va))
            elif leaf.cache_index != 3 or not leaf.nx:
                bad.append("%s at %#x: PAT index %d, NX %s (want 3 = UC, NX)"
                           % (name, va, leaf.cache_index, leaf.nx))
            elif (leaf.pa + (va - leaf.va)) & ~0xfff != pa & ~0xfff:
                bad.append("%s at %#x maps %#x, announced %#x"
                           % (name, va, leaf.pa + (va - leaf.va), pa))
        self.tap.result(found >= 2 and not bad, "%s: LAPIC and HPET mappings are uncached (UC) "
                        "in the live page tables (%d checked)" % (label, found),
                        bad or ([] if found >= 2 else ["no 'lapic:'/'hpet:' mapping lines on serial"]))

    def report(self, label, results, run=None):
        for r in results:
            self.tap.result(r.ok, "%s: %s" % (label, r.title), r.diag)
        if run is not None and not all(r.ok for r in results):
            self.tap.note("\n".join(run.serial_tail(SERIAL_TAIL)))

    def self_check(self, label, snap, exp):
        n, wrong = checks.self_check(snap, exp)
        self.tap.result(not wrong and n > 0, "%s: self-check: the checks catch all %d deliberately "
                        "wrong expectations" % (label, n), wrong)
        problems = fwmap.self_test()
        self.tap.result(not problems, "self-check: RAM of an unsorted map with overlapping "
                        "entries is worked out right", problems)

    # ---- boot 2: the in-kernel self-tests ---------------------------------------------

    def selftest_gather(self, cfg):
        t = self.args.boot_timeout
        with cfg.boot("selftest-" + cfg.name, self.art, t, self.esp, selftest=True) as run:
            status = run.wait_exit(t)
            why = run.why()
        return run, status, why

    def selftest_boot(self, cfg):
        run, status, why = self.attempt(self.selftest_gather, cfg)
        r = checks.check_ktap(run.serial(), status)
        diag = r.diag + ([why] if status is None else []) + ([] if r.ok else run.serial_tail())
        self.tap.result(r.ok, "%s: %s" % (cfg.label, r.title), diag)
        return run.serial(), status

    def ktap_self_check(self, serial, status):
        broken = serial.replace("\nok 1 ", "\nnot ok 1 ", 1)
        cases = [("first result turned into \"not ok\"", broken, status),
                 ("exit status 35 (fail)", serial, 35),
                 ("QEMU still running (no status)", serial, None),
                 ("no output after \"carto: ready\"", checks.after_ready(serial)[:20], status)]
        wrong = [d for d, s, st in cases if checks.check_ktap(s, st).ok]
        self.tap.result(not wrong, "self-check: the KTAP check catches %d broken self-test runs"
                        % len(cases), wrong)

    # ---- boots 3..5: fault reports ----------------------------------------------------------

    def crash_gather(self, kind, cfg):
        t = self.args.boot_timeout
        regs, mapped, diag = {}, None, []
        with cfg.boot("crash-" + kind, self.art, t, self.esp, cmdline="crash=" + kind,
                      monitor=True) as run:
            if not run.wait_for(CRASH_WAIT[kind], t):
                diag.append(run.why())
            run.wait_quiet()
            if run.running():
                try:
                    hmp = run.monitor()
                    regs = hmplib.parse_registers(hmp.cmd("info registers"))
                    mapped = hmp.translate(regs["CR2"]) is not None if "CR2" in regs else None
                except hmplib.HmpError as e:
                    diag.append("monitor: %s" % e)
            else:
                diag.append("QEMU exited (status %s) instead of halting: a triple fault or reset?"
                            % run.status)
        return run, regs, mapped, diag

    def crash_boot(self, kind, cfg):
        run, regs, mapped, diag = self.attempt(self.crash_gather, kind, cfg)
        exp = checks.Expect([], [], cfg.has_1g, self.layout, self.segments, self.elf_bytes)
        r = checks.check_crash(kind, run.serial(), regs, exp, mapped)
        ok = r.ok and not diag
        self.tap.result(ok, "%s: %s" % (cfg.label, r.title),
                        diag + r.diag + ([] if ok else run.serial_tail()))
        return run.serial(), regs, mapped

    def crash_self_check(self, seen, exp):
        """Each crash check must reject the other crashes' reports."""
        cases = []
        for kind, (serial, regs, mapped) in seen.items():
            for other in seen:
                if other != kind:
                    cases.append(("crash=%s report judged as crash=%s" % (other, kind),
                                  checks.check_crash(kind, *seen[other][:2], exp, seen[other][2]).ok))
            running = dict(regs, HLT=0)
            cases.append(("crash=%s with the CPU not halted" % kind,
                          checks.check_crash(kind, serial, running, exp, mapped).ok))
            cases.append(("crash=%s with CR2 %s" % (kind, "unmapped" if mapped else "mapped"),
                          checks.check_crash(kind, serial, regs, exp, not mapped).ok))
        wrong = [d for d, passed in cases if passed]
        self.tap.result(not wrong and cases, "self-check: the fault-report checks catch %d wrong "
                        "reports" % len(cases), wrong)

    # ---- everything ------------------------------------------------------------------------

    def run(self):
        a = self.args
        start = time.monotonic()
        configs = [Config(s, a.machine) for s in a.configs.split(",") if s]
        self.note_kernel()
        # The paging self-check runs on the first guest, and again on the
        # first ptaccess=recursive one (its checks of the slot differ).
        first_recursive = next((c for c in configs if c.ptaccess), None)
        for i, cfg in enumerate(configs):
            got = self.paging_boot(cfg)
            if a.self_check and (i == 0 or cfg is first_recursive) and got:
                self.self_check(cfg.label, *got)
            if not a.no_selftest:
                serial, status = self.selftest_boot(cfg)
                if a.self_check and i == 0 and status is not None:
                    self.ktap_self_check(serial, status)
        if not a.no_crash:
            cfg = Config("%s/max" % a.crash_mem, a.machine)
            seen = {kind: self.crash_boot(kind, cfg) for kind in CRASH_KINDS}
            if a.self_check:
                exp = checks.Expect([], [], True, self.layout, self.segments, self.elf_bytes)
                self.crash_self_check(seen, exp)
        self.tap.note("boot tests took %.0f s" % (time.monotonic() - start))
        self.save("last-run.txt", "artifacts of the last bootcheck.py run:\n" +
                  "".join("  %s\n" % f for f in self.files))
        return self.tap.done()

    def recheck(self, name):
        """Re-run the paging checks on DIR/NAME.snapshot.json."""
        base = os.path.join(self.art, name)
        with open(base + ".config.json") as f:
            c = json.load(f)
        cfg = Config("%s/%s/%s@%s%s" % (c["mem"], c["cpu"], "1g" if c["has_1g"] else "no1g",
                                        c.get("firmware", "default"),
                                        ("+" + c["addressing"] if c.get("addressing") else "") +
                                        ("+" + c["ptaccess"] if c.get("ptaccess") else "")),
                     c["machine"])
        with open(base + ".snapshot.json") as f:
            snap = snapshot.Snapshot.from_json(f.read())
        with open(base + ".serial.log", "rb") as f:
            descs = fwmap.parse(qemu.clean_serial(f.read().decode("utf-8", "replace")))
        # The kernel that booted then, not the one in esp/ now.
        self.segments = [image.Segment(*g) for g in c["segments"]]
        self.elf_bytes = {int(va, 16): bytes.fromhex(b) for va, b in c["elf_bytes"].items()}
        exp = self.expect(descs, cfg)
        self.report(cfg.label, checks.run_paging_checks(snap, exp))
        if self.args.self_check:
            self.self_check(cfg.label, snap, exp)
        return self.tap.done()


def main():
    p = argparse.ArgumentParser(description=__doc__, usage=argparse.SUPPRESS,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", default=DEFAULT_CONFIGS)
    p.add_argument("--machine", default="q35")
    p.add_argument("--crash-mem", default="512M")
    p.add_argument("--no-selftest", action="store_true")
    p.add_argument("--no-crash", action="store_true")
    p.add_argument("--self-check", action="store_true")
    p.add_argument("--artifacts", default=os.path.join(TOP, "build", "boot-tests"))
    p.add_argument("--boot-timeout", type=float, default=120)
    p.add_argument("--recheck", metavar="NAME")
    args = p.parse_args()
    try:
        runner = Runner(args)
    except (image.ImageError, OSError) as e:
        print("not ok 1 - boot volume, kernel image and layout readable\n#   %s\n"
              "0 passed, 1 failed" % e)
        return 1
    try:
        if args.recheck:
            return runner.recheck(args.recheck)
        return runner.run()
    finally:
        runner.close()


if __name__ == "__main__":
    sys.exit(main())
