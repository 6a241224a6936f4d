"""fwmap - the firmware memory map the kernel prints with "fwmap" on its
command line ("Carto memory map dump v1", kernel/report.c report_fw_map),
and the RAM it describes.

Rows: "  idx Name(type) 0xSTART 0xEND pages size 0xATTR" with END exclusive.
The map is the firmware's own, untouched: it may be unsorted and entries
may overlap. RAM (what Carto direct-maps, include/memmap.h) is worked out
here independently of Carto's code: a byte is RAM when at least one entry
of a RAM type covers it and no entry of another type does - the more
restrictive type wins an overlap, and every non-RAM type is more
restrictive than every RAM type.
"""
import re

from . import ranges

PAGE_SIZE = 4096
# EFI_MEMORY_TYPE values Carto counts as RAM: loader code/data, boot
# services code/data, conventional, ACPI reclaim.
RAM_TYPES = frozenset({1, 2, 3, 4, 7, 9})
EFI_MMIO = 11
HEADER = "Carto memory map dump v1"
ROW = re.compile(r"^ *(\d+) +(\S+)\((\d+)\) +0x([0-9a-f]+) +0x([0-9a-f]+) +(\d+) +"
                 r"\S+ [KMGTPE]?i?B +0x([0-9a-f]+)\s*$")
COUNT = re.compile(r"^descriptors: (\d+) of (\d+) bytes, version (\d+)$")
END = re.compile(r"^end of map: (\d+) descriptors$")


class FwMapError(Exception):
    """The dump is missing, cut short or malformed."""


class Descriptor:
    __slots__ = ("index", "type", "name", "start", "end", "pages", "attr")

    def __init__(self, index, typ, name, start, end, pages, attr):
        self.index, self.type, self.name = index, typ, name
        self.start, self.end, self.pages, self.attr = start, end, pages, attr

    def is_ram(self):
        return self.type in RAM_TYPES

    def __repr__(self):
        return "%d %s(%d) [%#x, %#x)" % (self.index, self.name, self.type, self.start, self.end)


def parse(text):
    """The descriptors of the last complete dump in text (a serial log).
    Raises FwMapError naming the line and the problem if the dump is absent,
    incomplete, or a row does not parse or disagrees with itself."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == HEADER]
    if not starts:
        raise FwMapError("no %r in the serial log (was \"fwmap\" on the command line?)" % HEADER)
    descs, expected = [], None
    for n, line in enumerate(lines[starts[-1] + 1:], starts[-1] + 2):
        line = line.rstrip()
        m = COUNT.match(line)
        if m:
            expected = int(m.group(1))
            continue
        m = END.match(line)
        if m:
            return _finish(descs, expected, int(m.group(1)), n)
        m = ROW.match(line)
        if m:
            descs.append(_row(m, n, len(descs)))
    raise FwMapError("the memory map dump has no \"end of map\" line (output cut short?)")


def _row(m, lineno, expect_index):
    idx, name, typ, start, end, pages, attr = m.groups()
    d = Descriptor(int(idx), int(typ), name, int(start, 16), int(end, 16), int(pages),
                   int(attr, 16))
    if d.index != expect_index:
        raise FwMapError("serial line %d: descriptor index %d, expected %d"
                         % (lineno, d.index, expect_index))
    if d.end != d.start + d.pages * PAGE_SIZE:
        raise FwMapError("serial line %d: end %#x is not start + %d pages" % (lineno, d.end, d.pages))
    return d


def _finish(descs, expected, ended, lineno):
    if ended != len(descs) or (expected is not None and expected != len(descs)):
        raise FwMapError("serial line %d: %d descriptor rows, but the dump announces %s and "
                         "ends with %d" % (lineno, len(descs), expected, ended))
    return descs


def ram(descs):
    """Canonical interval set of the RAM the map describes (see above)."""
    is_ram = ranges.normalize((d.start, d.end) for d in descs if d.is_ram())
    not_ram = ranges.normalize((d.start, d.end) for d in descs if not d.is_ram())
    return ranges.subtract(is_ram, not_ram)


def non_ram(descs):
    """Canonical interval set of what the map marks as anything but RAM."""
    return ranges.normalize((d.start, d.end) for d in descs if not d.is_ram())


# An unsorted, overlapping map (type, start, end) and the RAM it holds:
# reserved, MMIO and ACPI NVS cut holes in conventional and loader memory
# whatever the order of the entries.
SELF_TEST_MAP = [(7, 0x8000, 0xa000), (7, 0x0, 0x4000), (0, 0x1000, 0x2000),
                 (2, 0x3000, 0x6000), (11, 0x5000, 0x7000), (10, 0x8000, 0x9000)]
SELF_TEST_RAM = [(0x0, 0x1000), (0x2000, 0x5000), (0x9000, 0xa000)]


def self_test():
    """Check ram() on SELF_TEST_MAP; returns a list of problems (empty if
    it works)."""
    descs = [Descriptor(i, t, "type%d" % t, s, e, (e - s) // PAGE_SIZE, 0)
             for i, (t, s, e) in enumerate(SELF_TEST_MAP)]
    got = ram(descs)
    if got != SELF_TEST_RAM:
        return ["ram() of the self-test map is %s, expected %s"
                % (ranges.fmt_first(got), ranges.fmt_first(SELF_TEST_RAM))]
    return []
