"""snapshot - read, once, everything the paging checks look at.

collect() stops the guest's CPU (so nothing changes while we read), reads
the registers, walks the page tables from CR3 with `xp`, and takes `info
tlb`, `info mem`, the top-level table through the page-table window (`x`,
virtual) and the first bytes of the kernel's read-only segments (`x`). A
Snapshot can be saved as JSON and loaded again, so the checks can be re-run
on a saved boot (bootcheck.py --recheck) and fed altered copies in the
self-check.
"""
import json

from . import hmp as hmplib
from . import paging

IMAGE_PROBE_BYTES = 64     # bytes of each read-only kernel segment compared with the ELF


class Snapshot:
    """Monitor data of one boot. tables maps a table's physical address to
    its 512 entries; walk is derived from tables and regs["CR3"]."""

    def __init__(self, regs, tables, tlb, info_mem, window_root, image_probe, window_error=None):
        self.regs = regs
        self.tables = tables
        self.tlb = tlb
        self.info_mem = info_mem
        self.window_root = window_root          # x /512gx PT_WINDOW_BASE + CR3 (None if unreadable)
        self.window_error = window_error
        self.image_probe = image_probe          # {segment va: bytes read through `x`}
        self._walk = None

    @property
    def root(self):
        return self.regs["CR3"] & paging.CR3_ADDR_MASK

    @property
    def walk(self):
        if self._walk is None:
            self._walk = paging.walk(self._read_table, self.regs["CR3"])
        return self._walk

    def _read_table(self, pa):
        if pa not in self.tables:
            raise hmplib.HmpError("table %#x is not in the snapshot" % pa)
        return self.tables[pa]

    def with_changes(self, regs=None, tables=None, tlb=None, window_root=None):
        """A copy with some parts replaced (for the self-check)."""
        return Snapshot(regs if regs is not None else self.regs,
                        tables if tables is not None else self.tables,
                        tlb if tlb is not None else self.tlb, self.info_mem,
                        window_root if window_root is not None else self.window_root,
                        self.image_probe, self.window_error)

    def to_json(self):
        return json.dumps({
            "regs": self.regs,
            "tables": {"%#x" % pa: ["%#x" % e for e in ents] for pa, ents in self.tables.items()},
            "tlb": [["%#x" % va, "%#x" % pa, fl] for va, pa, fl in self.tlb],
            "info_mem": [["%#x" % s, "%#x" % e, p] for s, e, p in self.info_mem],
            "window_root": None if self.window_root is None else ["%#x" % e for e in self.window_root],
            "window_error": self.window_error,
            "image_probe": {"%#x" % va: data.hex() for va, data in self.image_probe.items()},
        }, indent=0)

    @staticmethod
    def from_json(text):
        d = json.loads(text)
        return Snapshot(
            d["regs"],
            {int(pa, 16): [int(e, 16) for e in ents] for pa, ents in d["tables"].items()},
            [(int(va, 16), int(pa, 16), fl) for va, pa, fl in d["tlb"]],
            [(int(s, 16), int(e, 16), p) for s, e, p in d["info_mem"]],
            None if d["window_root"] is None else [int(e, 16) for e in d["window_root"]],
            {int(va, 16): bytes.fromhex(h) for va, h in d["image_probe"].items()},
            d.get("window_error"))


def collect(hmp, layout, segments):
    """Read a Snapshot through the monitor connection hmp. layout is
    image.layout(), segments the kernel's PT_LOAD segments. The guest is
    left stopped. Raises HmpError if the monitor fails."""
    hmp.cmd("stop")
    regs = hmplib.parse_registers(hmp.cmd("info registers"))
    tables = {}

    def read_table(pa):
        tables[pa] = hmp.read_qwords(pa, paging.ENTRIES)
        return tables[pa]

    paging.walk(read_table, regs["CR3"])
    tlb = hmplib.parse_info_tlb(hmp.cmd("info tlb"))
    info_mem = hmplib.parse_info_mem(hmp.cmd("info mem"))
    root = regs["CR3"] & paging.CR3_ADDR_MASK
    window_root, window_error = None, None
    try:
        window_root = hmp.read_qwords(layout["PT_WINDOW_BASE"] + root, paging.ENTRIES,
                                      physical=False)
    except hmplib.HmpError as e:
        window_error = str(e)
    probe = {}
    for seg in segments:
        if not seg.write:
            try:
                words = hmp.read_qwords(seg.va, IMAGE_PROBE_BYTES // 8, physical=False)
                probe[seg.va] = b"".join(w.to_bytes(8, "little") for w in words)
            except hmplib.HmpError:
                probe[seg.va] = b""
    return Snapshot(regs, tables, tlb, info_mem, window_root, probe, window_error)


def describe(snap):
    """A readable listing of the mappings (runs of leaves with equal
    permissions), for the artifacts directory."""
    w = snap.walk
    lines = ["CR0 %#x CR3 %#x CR4 %#x EFER %#x" % (snap.regs["CR0"], snap.regs["CR3"],
                                                 snap.regs["CR4"], snap.regs["EFER"]),
             "%d page-table frames, %d leaves" % (len(w.tables), len(w.leaves))]
    for level in (3, 2, 1):
        lines.append("  %s leaves: %d" % (paging.LEAF_NAMES[level],
                                          sum(1 for leaf in w.leaves if leaf.level == level)))
    for va, end, pa, key in paging.runs(w.leaves, key=lambda l: (l.perms(), l.cache_index, l.level)):
        lines.append("%016x-%016x -> %013x %-4s pat%d %s" % (va, end, pa, key[0], key[1],
                                                          paging.LEAF_NAMES[key[2]]))
    lines += ["problem: " + p for p in w.problems]
    return "\n".join(lines) + "\n"
