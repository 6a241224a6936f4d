#!/usr/bin/env python3
"""monitor-pte.py - walk a guest's page tables through the QEMU HMP monitor and
report the cache type of the page that maps a virtual address.

usage: scripts/monitor-pte.py SOCK VA [--expect UC|WC|WB|WT|UC-]

SOCK is the monitor socket of `scripts/qemu.sh --monitor SOCK`; VA is a
kernel virtual address (hex), e.g. the local APIC's from the boot line
"lapic: fee00000 -> fffff000003e9000 UC ...". The walk reads CR3 from
`info registers` and each entry with `xp /1gx`, so it sees exactly what the
CPU sees. Each entry is printed raw with its PWT/PCD/PAT bits; the leaf's
PAT index is decoded with the PAT layout Carto programs (include/pt.h
PAT_MSR_VALUE: 0 WB, 1 WT, 2 UC-, 3 UC, 4 WC, 5 WP, 6 UC-, 7 UC).
(`info tlb` shows PCD and PWT as 'C' and 'T' but never the PAT bit, so WC
cannot be seen there.) Exit status: 0 if the type matches --expect (or
none given and the page is mapped), 1 on a mismatch or unmapped page, 2 on
a usage or monitor error.
"""
import re
import socket
import sys
import time

PAT_TYPES = ["WB", "WT", "UC-", "UC", "WC", "WP", "UC-", "UC"]   # PAT_MSR_VALUE
LEVEL_NAMES = {4: "PML4", 3: "PDPT", 2: "PD", 1: "PT"}
P, PWT, PCD, PS, PAT4K, PATLG = 1 << 0, 1 << 3, 1 << 4, 1 << 7, 1 << 7, 1 << 12
ADDR_MASK = 0x000FFFFFFFFFF000


class Monitor:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.sock.settimeout(0.3)
        self.command("")            # swallow the banner

    def command(self, cmd):
        self.sock.sendall((cmd + "\n").encode())
        out, deadline = b"", time.time() + 5
        while time.time() < deadline:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                if out.rstrip().endswith(b"(qemu)"):
                    break
                continue
            if not data:
                break
            out += data
        return out.decode(errors="replace")

    def read64(self, pa):
        text = self.command("xp /1gx 0x%x" % pa)
        m = re.search(r"%016x:\s+0x([0-9a-f]+)" % pa, text)
        if not m:
            raise RuntimeError("no answer to xp at %#x: %r" % (pa, text))
        return int(m.group(1), 16)


def main(argv):
    if len(argv) < 3 or (len(argv) == 5 and argv[3] != "--expect") or len(argv) not in (3, 5):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    expect = argv[4] if len(argv) == 5 else None
    va = int(argv[2], 16)
    mon = Monitor(argv[1])
    m = re.search(r"CR3=([0-9a-f]+)", mon.command("info registers"))
    if not m:
        print("monitor-pte: no CR3 in 'info registers'", file=sys.stderr)
        return 2
    table = int(m.group(1), 16) & ADDR_MASK
    print("va %016x, CR3 %016x" % (va, table))
    for level in (4, 3, 2, 1):
        index = (va >> (12 + 9 * (level - 1))) & 511
        entry = mon.read64(table + 8 * index)
        leaf = level == 1 or (level in (2, 3) and entry & PS)
        print("  %-4s[%3d] %016x%s%s%s" % (LEVEL_NAMES[level], index, entry,
              " PWT" if entry & PWT else "", " PCD" if entry & PCD else "",
              " PS" if level > 1 and entry & PS else ""))
        if not entry & P:
            print("not mapped")
            return 1
        if leaf:
            pat = bool(entry & (PAT4K if level == 1 else PATLG))
            idx = (4 if pat else 0) | (2 if entry & PCD else 0) | (1 if entry & PWT else 0)
            kind = PAT_TYPES[idx]
            print("leaf at level %d: PAT=%d PCD=%d PWT=%d -> PAT entry %d = %s" %
                  (level, pat, bool(entry & PCD), bool(entry & PWT), idx, kind))
            if expect and kind != expect:
                print("expected %s" % expect)
                return 1
            return 0
        table = entry & ADDR_MASK
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
