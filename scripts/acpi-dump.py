#!/usr/bin/env python3
"""acpi-dump.py - dump the ACPI tables of a QEMU machine for the host tests.

    scripts/acpi-dump.py OUT [--firmware default|uboot] [--machine q35|pc] [--mem 512M]

Boots Carto with the `memmap` word (scripts/qemu.sh, through the boot tests'
tests/boot/lib), waits for `carto: ready`, takes the RSDP address from the
kernel's `framebuffer: ...; ACPI RSDP ADDR` line and Carto's clean memory
map from the `memmap` lines, then walks RSDP -> XSDT/RSDT -> each table ->
the FADT's FACS and DSDT (both the 32-bit and the X_ pointers) with the
QEMU monitor's `pmemsave`: guest memory as QEMU holds it, not as the kernel
reports it. Writes OUT in the text format tests/host/test_acpitab.c reads
(tests/data/acpi/README.md):
    rsdp ADDR
    mem START END TYPE ATTR          (hex; TYPE is the EFI memory type)
    data ADDR LENGTH NAME            (hex ADDR, decimal LENGTH)
    HEX...                           (32 bytes a line)
The walk follows pointers only as far as QEMU can read; it checks nothing
(the parser under test does).
"""
import argparse
import os
import re
import struct
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))
from bootlib import qemu  # noqa: E402

TYPES = {"Reserved": 0, "LoaderCode": 1, "LoaderData": 2, "BootServicesCode": 3,
         "BootServicesData": 4, "RuntimeServicesCode": 5, "RuntimeServicesData": 6,
         "Conventional": 7, "Unusable": 8, "ACPIReclaim": 9, "ACPINVS": 10, "MMIO": 11,
         "MMIOPortSpace": 12, "PalCode": 13, "Persistent": 14, "Unaccepted": 15}
MEM_LINE = re.compile(r"^\s+\[([0-9a-f]+), ([0-9a-f]+)\) (\S+)\s.* attr ([0-9a-f]+)$")


def read(hmp, tmp, addr, length):
    path = os.path.join(tmp, "chunk")
    hmp.cmd('pmemsave %#x %d "%s"' % (addr, length, path))
    with open(path, "rb") as f:
        data = f.read()
    if len(data) != length:
        raise SystemExit("pmemsave %#x %d gave %d bytes" % (addr, length, len(data)))
    return data


def walk(hmp, tmp, rsdp):
    """(addr, name, bytes) of every table reachable from the RSDP."""
    out = []
    r = read(hmp, tmp, rsdp, 36)
    rev = r[15]
    out.append((rsdp, "RSDP", r if rev >= 2 else r[:20]))
    xsdt = struct.unpack_from("<Q", r, 24)[0] if rev >= 2 else 0
    root, esize = (xsdt, 8) if xsdt else (struct.unpack_from("<I", r, 16)[0], 4)

    def table(addr):
        hdr = read(hmp, tmp, addr, 36)
        length = struct.unpack_from("<I", hdr, 4)[0]
        data = read(hmp, tmp, addr, min(max(length, 36), 1 << 20))
        return hdr[:4].decode("latin-1"), data

    seen = set()

    def add(addr, name=None):
        if not addr or addr in seen:
            return None
        seen.add(addr)
        sig, data = table(addr) if name != "FACS" else ("FACS", read(hmp, tmp, addr, 64))
        out.append((addr, sig, data))
        return sig, data

    sig, data = add(root)
    for i in range((len(data) - 36) // esize):
        e = struct.unpack_from("<Q" if esize == 8 else "<I", data, 36 + i * esize)[0]
        got = add(e)
        if got and got[0] == "FACP":
            f = got[1]
            for off32, off64, name in ((36, 132, "FACS"), (40, 140, "DSDT")):
                add(struct.unpack_from("<I", f, off32)[0], name)
                if len(f) >= off64 + 8:
                    add(struct.unpack_from("<Q", f, off64)[0], name)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--firmware", default="default")
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--mem", default="512M")
    a = ap.parse_args()
    artifacts = os.path.join(TOP, "build", "acpi-dump")
    run = qemu.Boot(TOP, "acpi-dump-%s-%s" % (a.machine, a.firmware), artifacts, mem=a.mem, machine=a.machine,
                    cmdline="memmap", monitor=True, firmware=a.firmware, hard_timeout=180)
    with run:
        if not run.wait_for(r"carto: ready tsc \d+", timeout=150):
            raise SystemExit("no `carto: ready`: " + "\n".join(run.serial_tail()))
        serial = run.serial()
        m = re.search(r"ACPI RSDP ([0-9a-f]+)", serial)
        if not m:
            raise SystemExit("no RSDP address in the serial log")
        rsdp = int(m.group(1), 16)
        mem = [MEM_LINE.match(l) for l in serial.splitlines()]
        mem = [x for x in mem if x]
        with tempfile.TemporaryDirectory(prefix="carto-acpi.") as tmp:
            tables = walk(run.monitor(), tmp, rsdp)
    with open(a.out, "w") as f:
        f.write("# ACPI tables of QEMU %s (%s firmware, %s), dumped by scripts/acpi-dump.py\n"
                % (a.machine, a.firmware, a.mem))
        f.write("rsdp %x\n" % rsdp)
        for x in mem:
            f.write("mem %s %s %x %s\n" % (x.group(1), x.group(2), TYPES.get(x.group(3), 0),
                                          x.group(4)))
        for addr, name, data in tables:
            f.write("data %x %d %s\n" % (addr, len(data), name))
            for i in range(0, len(data), 32):
                f.write(data[i:i + 32].hex() + "\n")
    print("%s: %d tables, %d memory-map entries" % (a.out, len(tables), len(mem)))


if __name__ == "__main__":
    main()
