#!/usr/bin/env python3
"""memdump_check.py - check a Carto memory map dump (v1) line by line.

usage: memdump_check.py DUMP [--ram-mib N] [--expect-high-ram] [--no-warnings]
                        [--expect-mat]

An independent reader of the format efi/memdump/report.h describes, used by
tests/boot/test_memdump.sh: every row must parse at its columns, agree with
itself (end = start + pages * 4 KiB, size text, attribute names, type name)
and with the counts, totals and the attributes table section. With
--ram-mib, the RAM-like types must add up to 90-100% of the guest's RAM;
with --expect-high-ram some RAM must lie above 4 GiB. The warnings must be
exactly those worked out here from the rows (count, and which descriptors
are out of order); with --no-warnings there must be none. The memory
attributes table is optional (U-Boot publishes none); with --expect-mat
(OVMF always publishes one) it must be there. The map must be
free of overlaps. Prints nothing and exits 0 if all is well; else
prints "DUMP:LINE: what is wrong" and exits 1.
"""
import re
import sys

PAGE = 4096
TYPE_NAMES = ["Reserved", "LoaderCode", "LoaderData", "BootServicesCode",
              "BootServicesData", "RuntimeServicesCode", "RuntimeServicesData",
              "Conventional", "Unusable", "ACPIReclaim", "ACPINVS", "MMIO",
              "MMIOPortSpace", "PalCode", "Persistent", "Unaccepted"]
ATTR_NAMES = [(0x1, "UC"), (0x2, "WC"), (0x4, "WT"), (0x8, "WB"),
              (0x10, "UCE"), (0x1000, "WP"), (0x2000, "RP"), (0x4000, "XP"),
              (0x8000, "NV"), (0x10000, "MR"), (0x20000, "RO"),
              (0x40000, "SP"), (0x80000, "CPU-crypto"),
              (0x4000000000000000, "ISA-valid"),
              (0x8000000000000000, "RUNTIME")]
KNOWN_ATTRS = 0xc0000000000ff01f
# Types whose pages are guest RAM in OVMF's map (not MMIO, not holes).
RAM_LIKE = {1, 2, 3, 4, 5, 6, 7, 9, 10}
RT_TYPES = {5, 6}
COLUMN_HEADER = ("  idx type                   start              end"
                 "                pages        size attributes")
ROW = re.compile(r"^( {0,4}\d+) (\w+)\((\d+)\) *0x([0-9a-f]{16}) "
                 r"0x([0-9a-f]{16}) +(\d+) +(\d+(?:\.\d)? [KMGTPE]?i?B) "
                 r"0x([0-9a-f]{16})((?: \S+)*)$")


class Bad(Exception):
    pass


def human(nbytes):
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    u = 0
    while u + 1 < len(units) and nbytes >> (10 * (u + 1)):
        u += 1
    if u == 0:
        return "%d B" % nbytes
    shift = 10 * u
    whole, rest = nbytes >> shift, nbytes & ((1 << shift) - 1)
    tenths = whole * 10 + ((rest * 10 + (1 << (shift - 1))) >> shift)
    if tenths >= 10000:
        return "%d %s" % (tenths // 10, units[u])
    return "%d.%d %s" % (tenths // 10, tenths % 10, units[u])


def attr_names(attr):
    names = [n for bit, n in ATTR_NAMES if attr & bit]
    if attr & ~KNOWN_ATTRS:
        names.append("unknown=0x%x" % (attr & ~KNOWN_ATTRS))
    return "".join(" " + n for n in names)


def parse_row(line, where, expect_idx):
    """Parse one table row; returns (type, start, end, pages, attr)."""
    m = ROW.match(line)
    if not m:
        raise Bad("%s: not a table row: %r" % (where, line))
    idx, name, typ, start, end, pages, size, attr, names = m.groups()
    typ, start, end = int(typ), int(start, 16), int(end, 16)
    pages, attr = int(pages), int(attr, 16)
    # Columns: idx right-aligned in 5, type from 6, start at 29, end at 48.
    if len(idx) != 5 or line[29:31] != "0x" or line[48:50] != "0x":
        raise Bad("%s: columns out of place: %r" % (where, line))
    if int(idx) != expect_idx:
        raise Bad("%s: index %s, expected %d" % (where, idx, expect_idx))
    want = TYPE_NAMES[typ] if typ < len(TYPE_NAMES) else "Unknown"
    if name != want:
        raise Bad("%s: type %d named %s, expected %s" % (where, typ, name, want))
    if start % PAGE:
        raise Bad("%s: start 0x%x not page aligned" % (where, start))
    if pages == 0 or end != start + pages * PAGE:
        raise Bad("%s: end 0x%x != start 0x%x + %d pages" %
                  (where, end, start, pages))
    if size != human(pages * PAGE):
        raise Bad("%s: size %r, expected %r" % (where, size, human(pages * PAGE)))
    if names != attr_names(attr):
        raise Bad("%s: attribute names %r for 0x%x, expected %r" %
                  (where, names, attr, attr_names(attr)))
    return typ, start, end, pages, attr


class Dump:
    def __init__(self, path):
        self.path = path
        with open(path, encoding="ascii") as f:
            self.lines = f.read().split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.pos = 0

    def where(self):
        return "%s:%d" % (self.path, self.pos + 1)

    def next(self):
        if self.pos >= len(self.lines):
            raise Bad("%s: unexpected end of file" % self.where())
        line = self.lines[self.pos]
        self.pos += 1
        return line

    def expect(self, regex, what):
        line = self.next()
        m = re.match(regex, line)
        if not m:
            self.pos -= 1
            raise Bad("%s: expected %s, got %r" % (self.where(), what, line))
        return m

    def rows(self, count):
        if self.next() != COLUMN_HEADER:
            self.pos -= 1
            raise Bad("%s: column header missing" % self.where())
        out = []
        for i in range(count):
            line = self.next()
            out.append(parse_row(line, "%s:%d" % (self.path, self.pos), i))
        return out


def check_totals(d, rows):
    d.expect(r"^totals per type:$", "totals")
    d.expect(r"^  type +descriptors +pages +size$", "totals header")
    want = {}
    for typ, _, _, pages, _ in rows:
        c, p = want.get(typ, (0, 0))
        want[typ] = (c + 1, p + pages)
    got = {}
    while True:
        m = d.expect(r"^  (\S+) +(\d+) +(\d+) +(\d+(?:\.\d)? [KMGTPE]?i?B)$",
                     "a totals line")
        label, count, pages = m.group(1), int(m.group(2)), int(m.group(3))
        if m.group(4) != human(pages * PAGE):
            raise Bad("%s: total size %r wrong" % (d.where(), m.group(4)))
        if label == "all":
            if (count, pages) != (len(rows), sum(r[3] for r in rows)):
                raise Bad("%s: 'all' total %d/%d, expected %d/%d" %
                          (d.where(), count, pages, len(rows),
                           sum(r[3] for r in rows)))
            break
        typ = int(re.match(r"^\w+\((\d+)\)$", label).group(1))
        got[typ] = (count, pages)
    if got != want:
        raise Bad("%s: totals per type %r, expected %r" % (d.where(), got, want))


def check_layout(rows, ram_mib, high_ram, where):
    srt = sorted(rows, key=lambda r: r[1])
    for (_, _, e1, _, _), (_, s2, _, _, _) in zip(srt, srt[1:]):
        if s2 < e1:
            raise Bad("%s: descriptors overlap at 0x%x" % (where, s2))
    ram = sum(r[3] for r in rows if r[0] in RAM_LIKE) * PAGE
    if ram_mib and not (0.9 * ram_mib * 2**20 <= ram <= ram_mib * 2**20):
        raise Bad("%s: RAM-like types add up to %d MiB, guest has %d MiB" %
                  (where, ram >> 20, ram_mib))
    if high_ram and not any(r[0] in RAM_LIKE and r[2] > 2**32 for r in rows):
        raise Bad("%s: no RAM above 4 GiB" % where)


def expected_warnings(rows, entries):
    """What the tool should warn about, worked out here independently:
    a list of (kind, index) pairs. Rows already passed parse_row, so they
    are page aligned, non-empty and do not overflow."""
    out = []
    for what, table in (("descriptor", rows), ("entry", entries)):
        for i, (typ, start, end, _, attr) in enumerate(table):
            if end > 2**52:
                out.append(("limit", i))
            if typ >= len(TYPE_NAMES):
                out.append(("type", i))
            if attr & ~KNOWN_ATTRS:
                out.append(("attr", i))
            if what == "entry" and typ not in RT_TYPES:
                out.append(("rt type", i))
            if what == "entry" and not any(
                    r[4] >> 63 and r[1] <= start and end <= r[2] for r in rows):
                out.append(("outside", i))
        for i in range(1, len(table)):
            if table[i][1] < table[i - 1][1]:
                out.append((what + " unsorted", i))
        for i in range(len(table)):
            for j in range(i + 1, len(table)):
                if max(table[i][1], table[j][1]) < min(table[i][2], table[j][2]):
                    out.append((what + " overlap", i))
    return out


def check_warnings(d, rows, entries, no_warnings):
    """The warnings section against expected_warnings()."""
    want = expected_warnings(rows, entries)
    m = d.expect(r"^warnings: (none|\d+)$", "the warnings line")
    n = 0 if m.group(1) == "none" else int(m.group(1))
    if n != len(want) or (no_warnings and n):
        raise Bad("%s: %d warnings, expected %d: %r" %
                  (d.where(), n, 0 if no_warnings else len(want), want))
    unsorted = []
    for _ in range(min(n, 200)):
        m = d.expect(r"^  warning: ", "a warning")
        u = re.match(r"^  warning: descriptor (\d+): starts at .* not sorted$",
                     d.lines[d.pos - 1])
        if u:
            unsorted.append(("descriptor unsorted", int(u.group(1))))
    if n > 200:
        d.expect(r"^  \.\.\. and \d+ more warnings not shown$", "more")
    elif unsorted != [w for w in want if w[0] == "descriptor unsorted"]:
        raise Bad("%s: 'not sorted' warnings for %r, expected %r" %
                  (d.where(), unsorted, want))


def mat_rows(d):
    """Parse the attributes table section; returns its rows."""
    d.expect(r"^memory attributes table: descriptor size \d+ bytes, "
             r"flags 0x[0-9a-f]{8}$", "attributes table details")
    m = d.expect(r"^Memory attributes table v(\d+): (\d+) entries$",
                 "attributes table section")
    count = int(m.group(2))
    entries = d.rows(count)
    d.expect(r"^end of table: %d entries$" % count, "end of table")
    return entries


def check(path, ram_mib, high_ram, no_warnings, expect_mat):
    d = Dump(path)
    d.expect(r"^Carto memory map dump v1$", "the title line")
    d.expect(r"^firmware: .+ revision 0x[0-9a-f]{8}, UEFI 2\.\d+$",
             "the firmware line")
    m = d.expect(r"^descriptors: (\d+) of (\d+) bytes, version 1$",
                 "the descriptors line")
    count, size = int(m.group(1)), int(m.group(2))
    if count == 0 or size < 40 or size % 8:
        raise Bad("%s:3: implausible count %d or size %d" % (path, count, size))
    rows = d.rows(count)
    d.expect(r"^end of map: %d descriptors$" % count, "'end of map: %d "
             "descriptors'" % count)
    check_totals(d, rows)
    check_layout(rows, ram_mib, high_ram, path)
    # The warnings cover the attributes table too, which comes after them:
    # read it first.
    warn_pos = d.pos
    while d.pos < len(d.lines) and not d.lines[d.pos].startswith(
            "memory attributes table:"):
        d.pos += 1
    if d.pos == len(d.lines):
        if expect_mat:
            raise Bad("%s: no memory attributes table (OVMF publishes one)" % path)
        entries, mat_pos = [], len(d.lines)
    else:
        mat_pos = d.pos
        entries = mat_rows(d)
    end_pos = d.pos
    d.pos = warn_pos
    check_warnings(d, rows, entries, no_warnings)
    if d.pos != mat_pos:
        raise Bad("%s: unexpected text after the warnings: %r" %
                  (d.where(), d.lines[d.pos]))
    if end_pos != len(d.lines):
        raise Bad("%s:%d: unexpected text after the table: %r" %
                  (path, end_pos + 1, d.lines[end_pos]))


def main(argv):
    args = argv[1:]
    if not args:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    path, ram_mib, high, quiet, mat = args[0], 0, False, False, False
    i = 1
    while i < len(args):
        if args[i] == "--ram-mib":
            ram_mib = int(args[i + 1])
            i += 1
        elif args[i] == "--expect-high-ram":
            high = True
        elif args[i] == "--no-warnings":
            quiet = True
        elif args[i] == "--expect-mat":
            mat = True
        else:
            print("memdump_check.py: unknown option %r" % args[i],
                  file=sys.stderr)
            return 2
        i += 1
    try:
        check(path, ram_mib, high, quiet, mat)
    except (Bad, OSError, UnicodeDecodeError) as e:
        print(e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
