#!/usr/bin/env python3
"""memdump_vs_kernel.py - the dump tool's file agrees with the map the
kernel saw (issue 4), run by test_memdump_vs_kernel.sh.

usage: tests/boot/memdump_vs_kernel.py [--configs LIST] [--artifacts DIR]
                                       [--boot-timeout SEC]
  --configs LIST   comma-separated MEM/MACHINE[@FIRMWARE] guests (default
                   512M/q35,4G/q35,3G/pc,512M/q35@uboot: small, RAM above
                   4 GiB, the i440fx PCI hole, and U-Boot's UEFI instead
                   of OVMF; FIRMWARE is a scripts/qemu.sh --firmware)

Per guest, in the same QEMU configuration (memory size, machine type, one
CPU of QEMU's default model qemu64, the default OVMF build with a fresh
variable store, or U-Boot's UEFI):
  a. scripts/memmap-run.sh boots esp/EFI/carto/memmap.efi, which writes
     \\carto-memmap.txt to its disk; the script copies the file out;
  b. scripts/qemu.sh boots Carto with "fwmap" on its command line: the
     kernel prints the firmware map the loader got at ExitBootServices in
     the same dump format (kernel/report.c report_fw_map);
  c. build/host/carto-memmap show --json reads both: the written file, and
     the kernel's serial log as it came out of QEMU (the analyzer skips the
     other lines), and the two clean maps (memmap_from_efi) must agree:
       - the same firmware vendor, firmware revision and UEFI revision, the
         same descriptor size and version;
       - every range that is not RAM (reserved, MMIO, ACPI NVS, runtime
         services code and data, ...) identical: start, end, type and
         attributes;
       - RAM (conventional, loader, boot services, ACPI reclaim) identical
         as one set of addresses, hence the same total.
     Loader, boot-services and conventional memory are compared only as that
     union: the dump tool and Carto's loader are different programs, so the
     firmware hands each of them different allocations out of the same RAM.
     What differs is printed as "#" notes.
A self-check first feeds the comparison maps that differ in one reserved
range, one attribute and one RAM page, and fails if it misses any.
Prints TAP and "N passed, N failed" last. Logs: DIR (default
build/boot-tests/memdump-vs-kernel): MEM-MACHINE.dump.txt (the file the tool
wrote), .kernel.serial.log, .tool.serial.log, .{dump,kernel}.json.
"""
import argparse
import copy
import json
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))

from bootlib import qemu, ranges           # noqa: E402
from bootlib.tap import Tap                # noqa: E402

DEFAULT_CONFIGS = "512M/q35,4G/q35,3G/pc,512M/q35@uboot"
# memmap-run.sh gives QEMU no -cpu, so its guest has QEMU's default model.
QEMU_DEFAULT_CPU = "qemu64"
ANALYZER = os.path.join(TOP, "build", "host", "carto-memmap")
MEMMAP_RUN = os.path.join(TOP, "scripts", "memmap-run.sh")
READY = r"^carto: ready tsc \d+"
MAP_END = r"^end of map: \d+ descriptors$"
HEADER_RE = {
    "firmware": re.compile(r"^firmware: (.*?) revision (0x[0-9a-f]+), UEFI (\d+)\.(\d+)\s*$", re.M),
    "descriptors": re.compile(r"^descriptors: \d+ of (\d+) bytes, version (\d+)\s*$", re.M),
}
TOOL_QEMU_TIMEOUT = 120


FIRMWARE_NAMES = {"default": "OVMF", "uboot": "U-Boot"}


class Config:
    def __init__(self, spec):
        spec, _, self.firmware = spec.partition("@")
        self.firmware = self.firmware or "default"
        if self.firmware not in FIRMWARE_NAMES:
            raise SystemExit("memdump_vs_kernel.py: bad firmware %r: one of %s"
                             % (self.firmware, ", ".join(FIRMWARE_NAMES)))
        parts = spec.split("/")
        if len(parts) != 2 or not re.match(r"^\d+[MG]$", parts[0]):
            raise SystemExit("memdump_vs_kernel.py: bad config %r: expected MEM/MACHINE "
                             "such as 512M/q35 or 3G/pc" % spec)
        self.mem, self.machine = parts
        self.name = "%s-%s%s" % (self.mem, self.machine,
                                 "" if self.firmware == "default" else "-" + self.firmware)


def header(text):
    """The dump header fields of the last dump in text, as strings; missing
    ones are None. UEFI revision as major.minor exactly as printed."""
    out = {}
    m = list(HEADER_RE["firmware"].finditer(text))
    if m:
        vendor, rev, major, minor = m[-1].groups()
        out.update(vendor=vendor, revision=rev, uefi="%s.%s" % (major, minor))
    m = list(HEADER_RE["descriptors"].finditer(text))
    if m:
        out.update(desc_size=m[-1].group(1), desc_version=m[-1].group(2))
    return out


def parse_addr(text):
    return int(text, 16)


def entries(js):
    """(non_ram, ram) of an analyzer JSON: non-RAM entries as a sorted list of
    (start, end, type, attr), RAM as a canonical interval set."""
    non_ram, ram = [], []
    for e in js["entries"]:
        start, end = parse_addr(e["start"]), parse_addr(e["end"])
        if e["ram"]:
            ram.append((start, end))
        else:
            non_ram.append((start, end, e["type"], parse_addr(e["attr"])))
    return sorted(non_ram), ranges.normalize(ram)


def fmt_entry(e):
    start, end, typ, attr = e
    return "[%#x, %#x) %s type %d attr %#x" % (start, end, ranges.human(end - start), typ, attr)


def compare(dump, kernel):
    """Differences between two analyzer JSON maps: a dict with lists of text
    lines under "non_ram" and "ram" (empty lists when they agree)."""
    dn, dr = entries(dump)
    kn, kr = entries(kernel)
    diff = {"non_ram": [], "ram": []}
    sd, sk = set(dn), set(kn)
    diff["non_ram"] += ["only in the dump:   " + fmt_entry(e) for e in sorted(sd - sk)]
    diff["non_ram"] += ["only in the kernel: " + fmt_entry(e) for e in sorted(sk - sd)]
    for label, a, b in (("RAM only in the dump:   ", dr, kr), ("RAM only in the kernel: ", kr, dr)):
        extra = ranges.subtract(a, b)
        diff["ram"] += [label + line for line in ranges.fmt_first(extra)] if extra else []
    return diff


def type_totals(js):
    return {t["type_name"]: t["bytes"] for t in js["totals"]}


class Test:
    def __init__(self, args):
        self.args = args
        self.tap = Tap()
        self.art = args.artifacts
        os.makedirs(self.art, exist_ok=True)

    def analyze(self, path, save, desc):
        """carto-memmap show --json --map efi PATH, kept in SAVE; the JSON
        or None."""
        p = subprocess.run([ANALYZER, "show", "--json", "--map", "efi", path],
                           capture_output=True, text=True)
        try:
            js = json.loads(p.stdout) if p.returncode == 0 else None
        except ValueError as e:
            js, p.stderr = None, "%s\nJSON: %s" % (p.stderr, e)
        self.tap.result(js is not None and not js["partial"], desc,
                        "exit status %d\n%s" % (p.returncode, p.stderr))
        if js is not None:
            with open(save, "w") as f:
                json.dump(js, f, indent=1)
        return js

    def self_check(self):
        """compare() notices one changed reserved range, attribute, RAM page."""
        base = {"entries": [
            {"start": "0x0", "end": "0xa0000", "type": 7, "attr": "0xf", "ram": True},
            {"start": "0x100000", "end": "0x800000", "type": 7, "attr": "0xf", "ram": True},
            {"start": "0x800000", "end": "0x808000", "type": 10, "attr": "0xf", "ram": False},
            {"start": "0x808000", "end": "0x900000", "type": 4, "attr": "0xf", "ram": True},
            {"start": "0xffc00000", "end": "0x100000000", "type": 0, "attr": "0x0", "ram": False}]}
        same = copy.deepcopy(base)
        # Same RAM, allocated differently: must count as agreement.
        same["entries"][1]["end"] = "0x400000"
        same["entries"].insert(2, {"start": "0x400000", "end": "0x800000", "type": 2,
                                   "attr": "0xf", "ram": True})
        moved = copy.deepcopy(base)
        moved["entries"][4]["start"] = "0xffe00000"
        attr = copy.deepcopy(base)
        attr["entries"][2]["attr"] = "0x800000000000000f"
        lost = copy.deepcopy(base)
        lost["entries"][3]["end"] = "0x8ff000"
        problems = []
        d = compare(base, same)
        if d["non_ram"] or d["ram"]:
            problems.append("a re-split of the same RAM counted as a difference: %s" % d)
        for name, other, key in (("moved reserved range", moved, "non_ram"),
                                 ("changed attribute", attr, "non_ram"),
                                 ("one RAM page less", lost, "ram")):
            if not compare(base, other)[key] or not compare(other, base)[key]:
                problems.append("%s not noticed" % name)
        self.tap.result(not problems, "self-check: the comparison notices a moved reserved "
                        "range, a changed attribute and a missing RAM page", problems)

    def run_tool(self, cfg):
        """a: the dump tool; returns (dump text path or None)."""
        dump = os.path.join(self.art, cfg.name + ".dump.txt")
        log = os.path.join(self.art, cfg.name + ".tool.serial.log")
        if os.path.exists(dump):
            os.unlink(dump)
        start = time.monotonic()
        p = subprocess.run(["timeout", str(TOOL_QEMU_TIMEOUT + 30), MEMMAP_RUN, "--quiet",
                            "--mem", cfg.mem, "--machine", cfg.machine, "--out", dump,
                            "--firmware", cfg.firmware,
                            "--serial-log", log, "--timeout", str(TOOL_QEMU_TIMEOUT)],
                           capture_output=True, text=True, cwd=TOP)
        self.tap.note("%s: dump tool boot %.1f s" % (cfg.name, time.monotonic() - start))
        ok = p.returncode == 0 and os.path.isfile(dump) and os.path.getsize(dump) > 0
        self.tap.result(ok, "%s: memmap-run.sh: the dump tool wrote its file" % cfg.name,
                        "exit status %d\n%s" % (p.returncode, p.stderr))
        return dump if ok else None

    def run_kernel(self, cfg):
        """b: Carto with fwmap; returns the raw serial log path or None."""
        name = cfg.name + ".kernel"
        with qemu.Boot(TOP, name, self.art, mem=cfg.mem, machine=cfg.machine,
                       cpu=QEMU_DEFAULT_CPU, cmdline="fwmap", firmware=cfg.firmware,
                       hard_timeout=int(self.args.boot_timeout) + 60) as b:
            got = b.wait_for([MAP_END, READY], timeout=self.args.boot_timeout)
            secs = b.elapsed()
        self.tap.note("%s: Carto boot %.1f s" % (cfg.name, secs))
        self.tap.result(got is not None, "%s: Carto printed the firmware map (fwmap) and got "
                        "ready" % cfg.name, [b.why()] + b.serial_tail())
        return b.serial_path if got is not None else None

    def check_config(self, cfg):
        t = self.tap
        dump = self.run_tool(cfg)
        serial = self.run_kernel(cfg)
        if not dump or not serial:
            return
        dj = self.analyze(dump, os.path.join(self.art, cfg.name + ".dump.json"),
                          "%s: carto-memmap show --json reads the dump file" % cfg.name)
        kj = self.analyze(serial, os.path.join(self.art, cfg.name + ".kernel.json"),
                          "%s: carto-memmap show --json reads the kernel's map from "
                          "its serial log" % cfg.name)
        if dj is None or kj is None:
            return
        with open(dump, errors="replace") as f:
            dh = header(f.read())
        kh = header(qemu.clean_serial(open(serial, "rb").read().decode("utf-8", "replace")))
        for key, what in (("vendor", "firmware vendor"), ("revision", "firmware revision"),
                          ("uefi", "UEFI revision"), ("desc_size", "descriptor size"),
                          ("desc_version", "descriptor version")):
            t.result(key in dh and dh.get(key) == kh.get(key),
                     "%s: same %s in both headers" % (cfg.name, what),
                     "dump file: %r, kernel: %r" % (dh.get(key), kh.get(key)))
        diff = compare(dj, kj)
        dn, dr = entries(dj)
        t.result(not diff["non_ram"], "%s: every non-RAM range identical (%d ranges: start, end, "
                 "type, attributes)" % (cfg.name, len(dn)), diff["non_ram"])
        t.result(not diff["ram"], "%s: RAM identical as one set of addresses (%d runs)"
                 % (cfg.name, len(dr)), diff["ram"])
        t.result(dj["ram_bytes"] == kj["ram_bytes"] and dj["ram_bytes"] > 0,
                 "%s: same RAM total (%s)" % (cfg.name, ranges.human(dj["ram_bytes"])),
                 "dump file %d bytes, kernel %d bytes" % (dj["ram_bytes"], kj["ram_bytes"]))
        self.note_differences(cfg, dj, kj)

    def note_differences(self, cfg, dj, kj):
        """What legitimately differs: descriptor counts and RAM by type."""
        t = self.tap
        t.note("%s: %d descriptors in the dump, %d seen by the kernel"
               % (cfg.name, dj["maps"][dj["selected"] - 1]["descriptors"],
                  kj["maps"][kj["selected"] - 1]["descriptors"]))
        dt, kt = type_totals(dj), type_totals(kj)
        for name in sorted(set(dt) | set(kt)):
            a, b = dt.get(name, 0), kt.get(name, 0)
            if a != b:
                t.note("  %-20s dump %10s  kernel %10s  (kernel %s%s)"
                       % (name, ranges.human(a), ranges.human(b), "+" if b > a else "-",
                          ranges.human(abs(b - a))))

    def main(self):
        start = time.monotonic()
        self.self_check()
        ok = os.access(ANALYZER, os.X_OK)
        self.tap.result(ok, "the analyzer is built (%s)" % ANALYZER, "run: make")
        if ok:
            for spec in self.args.configs.split(","):
                self.check_config(Config(spec))
        self.tap.note("memdump_vs_kernel.py: %.0f s in all" % (time.monotonic() - start))
        return self.tap.done()


def parse_args():
    p = argparse.ArgumentParser(description="dump tool vs kernel map (see the file's header)")
    p.add_argument("--configs", default=DEFAULT_CONFIGS)
    p.add_argument("--artifacts",
                   default=os.path.join(TOP, "build", "boot-tests", "memdump-vs-kernel"))
    p.add_argument("--boot-timeout", type=float, default=120.0,
                   help="seconds to wait for Carto's map and \"carto: ready\"")
    return p.parse_args()


if __name__ == "__main__":
    sys.exit(Test(parse_args()).main())
