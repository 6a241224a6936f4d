"""checks - the boot-test checks, as pure functions of what was observed.

Paging checks take a snapshot.Snapshot (read from the QEMU monitor, never
from the kernel's own report) and an Expect (what the firmware map, the
kernel ELF, include/memlayout.h and the CPU model say should be there), and
return a Result. PAGING_CHECKS lists them in report order.

self_check() feeds every paging check deliberately wrong expectations (or
a deliberately broken copy of the snapshot) and reports any check that
still passes: a check that cannot fail proves nothing.
"""
import copy
import re

from . import fwmap
from . import image
from . import paging
from . import ranges

CR0_WP = 1 << 16
CR0_PG = 1 << 31
CR4_PAE = 1 << 5
EFER_LMA = 1 << 10
EFER_NXE = 1 << 11
TOP_OF_VA = 1 << 64
QEMU_EXIT_PASS = 33       # isa-debug-exit status for (0x10 << 1) | 1, see kernel/qemu_exit.h
TLB_PA_MASK = 0x3fffffffff000   # the physical-address bits QEMU's `info tlb` prints
DIAG_ITEMS = 5            # ranges / entries listed per kind of mismatch


class Result:
    """title: the TAP description; ok; diag: lines shown on failure."""

    def __init__(self, title, ok, diag=None):
        self.title = title
        self.ok = bool(ok)
        self.diag = diag or []


class Expect:
    """What a correct boot looks like.
    ram:      canonical set of RAM physical ranges (fwmap.ram of the dump)
    descs:    the firmware map descriptors (for naming what a range is)
    has_1g:   the CPU model offers 1 GiB pages
    min_1g:   at least this many GiBs must be all RAM (and so 1G leaves)
    layout:   image.layout() constants
    segments: the kernel's PT_LOAD segments; elf_bytes: {va: first bytes}
    dmap_limit: RAM at or above is not in the direct map (addressing=:
              DMAP_MAX_PHYS for direct, LIMIT for direct:LIMIT, 0 for explicit)
    recursive: ptaccess=recursive: the PML4 slot that must point at the PML4
              (None: no slot may)"""

    def __init__(self, ram, descs, has_1g, layout, segments, elf_bytes, min_1g=0, dmap_limit=None,
                 recursive=None):
        self.dmap_limit = layout["DMAP_MAX_PHYS"] if dmap_limit is None else dmap_limit
        self.recursive = recursive
        self.ram = ram
        self.descs = descs
        self.has_1g = has_1g
        self.layout = layout
        self.segments = segments
        self.elf_bytes = elf_bytes
        self.min_1g = min_1g

    def changed(self, **kw):
        """A copy with some fields replaced."""
        other = copy.copy(self)
        for k, v in kw.items():
            setattr(other, k, v)
        return other


# ---- helpers ------------------------------------------------------------------

def _runs_text(leaves, limit=DIAG_ITEMS):
    rs = paging.runs(leaves, key=lambda l: (l.perms(), l.cache_index))
    out = ["[%#x, %#x) -> %#x %s pat%d" % (va, end, pa, k[0], k[1]) for va, end, pa, k in rs[:limit]]
    if len(rs) > limit:
        out.append("... and %d more runs" % (len(rs) - limit))
    return out


def _what_is(descs, start, end):
    """Names of the firmware descriptors overlapping [start, end)."""
    names = sorted({"%s(%d)" % (d.name, d.type) for d in descs if d.start < end and d.end > start})
    return ", ".join(names) or "not in the firmware map (a hole)"


def _pool_chunks(snap, exp):
    """Physical ranges of the page-table pool chunks: what the window maps."""
    W, end = exp.layout["PT_WINDOW_BASE"], exp.layout["PT_WINDOW_END"]
    return ranges.normalize([(l.pa, l.pa + l.size) for l in snap.walk.leaves_in(W, end)])


def _dmap_ram(exp):
    """The RAM the direct map must cover in this addressing mode."""
    return ranges.clip(exp.ram, 0, min(exp.dmap_limit, exp.layout["DMAP_MAX_PHYS"]))


def _all_ram_blocks(ram, size):
    """Start addresses of the size-aligned blocks wholly inside ram."""
    out = []
    for start, end in ram:
        b = (start + size - 1) & ~(size - 1)
        while b + size <= end:
            out.append(b)
            b += size
    return out


# ---- the paging checks -----------------------------------------------------------

def check_wx(snap, exp):
    """(1) No page anywhere is both writable and executable."""
    nxe = bool(snap.regs["EFER"] & EFER_NXE)
    bad = [l for l in snap.walk.leaves if l.write and not (l.nx and nxe)]
    diag = ([] if nxe else ["EFER.NXE is clear: NX bits are ignored, every page is executable"])
    diag += ["writable and executable:"] + _runs_text(bad) if bad else []
    return Result("no page is both writable and executable (%d leaves)" % len(snap.walk.leaves),
                  not bad and snap.walk.leaves, diag or ["no leaves at all"])


def check_dmap_ram(snap, exp):
    """(2) The direct map is exactly the RAM of the firmware map, at base + phys."""
    L = exp.layout
    base = L["DMAP_BASE"]
    leaves = snap.walk.leaves_in(base, L["DMAP_END"])
    wrong = [l for l in leaves if l.pa != l.va - base]
    actual = ranges.shift(snap.walk.mapped(base, L["DMAP_END"]), -base)
    expected = _dmap_ram(exp)
    missing = ranges.subtract(expected, actual)
    extra = ranges.subtract(actual, expected)
    diag = []
    if not expected and exp.dmap_limit:
        diag.append("the firmware map has no RAM at all")
    if missing:
        diag += ["RAM not in the direct map (phys):"] + ranges.fmt_first(missing)
    if extra:
        diag.append("direct-mapped but not RAM (phys):")
        diag += ["%s: %s" % (ranges.fmt(r), _what_is(exp.descs, *r)) for r in extra[:DIAG_ITEMS]]
        if len(extra) > DIAG_ITEMS:
            diag.append("... and %d more ranges" % (len(extra) - DIAG_ITEMS))
    if wrong:
        diag += ["direct-map leaves not at base + phys:"] + [repr(l) for l in wrong[:DIAG_ITEMS]]
    title = "direct map at %#x + phys is exactly the firmware map's RAM below %#x (%s in %d ranges)" % (
        base, exp.dmap_limit, ranges.human(ranges.total(expected)), len(expected))
    return Result(title, (expected or not exp.dmap_limit) and not (missing or extra or wrong), diag)


def check_dmap_attrs(snap, exp):
    """(2) Direct-map pages are writable (read-only over page-table pool
    chunks), NX, supervisor-only, write-back."""
    L = exp.layout
    leaves = snap.walk.leaves_in(L["DMAP_BASE"], L["DMAP_END"])
    pool = _pool_chunks(snap, exp)
    bad = [l for l in leaves if not (l.nx and not l.user and l.cache_index == 0 and
                                     l.write != bool(ranges.intersect(pool, [(l.pa, l.pa + l.size)])))]
    diag = ["direct-map pages that are not rw- (r-- over a pool chunk) supervisor pat0 (WB):"] + \
        _runs_text(bad) if bad else []
    return Result("direct-map pages are writable (read-only over the %d page-table chunks), NX, "
                  "supervisor-only, write-back (PAT entry 0)" % len(pool),
                  (leaves or not exp.dmap_limit) and not bad, diag or ["the direct map is empty"])


def check_pt_writable_only_in_window(snap, exp):
    """Every page-table frame is mapped writable only in the window."""
    W, end = exp.layout["PT_WINDOW_BASE"], exp.layout["PT_WINDOW_END"]
    tables = sorted(snap.walk.tables)
    bad = []
    for l in snap.walk.leaves:
        if not l.write or W <= l.va < end:
            continue
        inside = [pa for pa in tables if l.pa <= pa < l.pa + l.size]
        if inside:
            bad.append("%r maps page table %#x writable" % (l, inside[0]))
    return Result("every page-table frame (%d) is writable only through the window" % len(tables),
                  tables and not bad, bad[:DIAG_ITEMS])


def check_explicit_no_dmap(snap, exp):
    """With addressing=explicit nothing at all is in the direct map's region,
    and RAM is mapped only as the kernel image, stacks, window chunks,
    the hand-off window and the explicit (kmap/vmap) and MMIO regions."""
    L = exp.layout
    if exp.dmap_limit:
        return Result("(direct map present: the explicit-mode check does not apply)", True)
    allowed = [(L["PT_WINDOW_BASE"], L["PT_WINDOW_END"]), (L["KMAP_BASE"], L["VMAP_END"]),
               (L["HANDOFF_BASE"], L["HANDOFF_BASE"] + L["HANDOFF_MAX_PHYS"]),
               (L["MMIO_BASE"], L["MMIO_END"]), (L["KSTACK_BASE"], 1 << 64)]
    bad = [l for l in snap.walk.leaves
           if ranges.intersect(exp.ram, [(l.pa, l.pa + l.size)]) and
           not any(a <= l.va < b for a, b in allowed)]
    return Result("addressing=explicit: no RAM mapped outside the image, stacks, window, hand-off "
                  "window and explicit mappings (%d leaves)" % len(snap.walk.leaves), not bad,
                  ["RAM mapped elsewhere:"] + _runs_text(bad) if bad else [])


def check_1g(snap, exp):
    """(3) 1 GiB leaves for every all-RAM GiB if the CPU has them, else none."""
    base = exp.layout["DMAP_BASE"]
    gib = exp.layout["PAGE_SIZE_1G"]
    ones = [l for l in snap.walk.leaves if l.level == 3]
    if not exp.has_1g:
        diag = ["1 GiB leaves on a CPU without 1 GiB pages:"] + [repr(l) for l in ones[:DIAG_ITEMS]]
        return Result("no 1 GiB leaves anywhere (this CPU model has no 1 GiB pages)", not ones, diag)
    # A GiB holding a page-table pool chunk is split so the chunk can be read-only.
    pool = _pool_chunks(snap, exp)
    blocks = [b for b in _all_ram_blocks(_dmap_ram(exp), gib)
              if not ranges.intersect(pool, [(b, b + gib)])]
    bad = []
    for b in blocks:
        leaf = snap.walk.lookup(base + b)
        if leaf is None or leaf.level != 3:
            bad.append("phys [%#x, %#x) is all RAM but is mapped by %s" % (
                b, b + gib, "nothing" if leaf is None else "a %s leaf %r" % (
                    paging.LEAF_NAMES[leaf.level], leaf)))
    if len(blocks) < exp.min_1g and exp.dmap_limit >= exp.layout["DMAP_MAX_PHYS"]:
        bad.append("only %d all-RAM GiBs in the firmware map, expected at least %d"
                   % (len(blocks), exp.min_1g))
    return Result("1 GiB leaves for every all-RAM GiB of the direct map (%d of them)" % len(blocks),
                  not bad, bad[:DIAG_ITEMS + 1])


def check_2m(snap, exp):
    """(3) 2 MiB leaves wherever a whole 2 MiB block is RAM (outside 1G leaves)."""
    base = exp.layout["DMAP_BASE"]
    two = exp.layout["PAGE_SIZE_2M"]
    ram = _dmap_ram(exp)
    gib = exp.layout["PAGE_SIZE_1G"]
    pool = _pool_chunks(snap, exp)
    big = set(b for b in _all_ram_blocks(ram, gib)
              if not ranges.intersect(pool, [(b, b + gib)])) if exp.has_1g else set()
    blocks = [b for b in _all_ram_blocks(ram, two)
              if (b & ~(exp.layout["PAGE_SIZE_1G"] - 1)) not in big]
    bad = []
    for b in blocks:
        leaf = snap.walk.lookup(base + b)
        if leaf is None or leaf.level != 2:
            bad.append("phys [%#x, %#x) is all RAM but is mapped by %s" % (
                b, b + two, "nothing" if leaf is None else "a %s leaf" % paging.LEAF_NAMES[leaf.level]))
    diag = bad[:DIAG_ITEMS] + (["... and %d more blocks" % (len(bad) - DIAG_ITEMS)]
                               if len(bad) > DIAG_ITEMS else [])
    return Result("2 MiB leaves for every other all-RAM 2 MiB block (%d of them)" % len(blocks),
                  not bad, diag)


def check_lower_half(snap, exp):
    """(4) Nothing is mapped below 0x0000800000000000; lower PML4 slots empty."""
    pml4 = snap.tables[snap.root]
    present = [i for i in range(paging.ENTRIES // 2) if pml4[i] & paging.PTE_P]
    leaves = snap.walk.leaves_in(0, paging.LOWER_HALF_END)
    diag = []
    if present:
        diag.append("present lower-half PML4 entries: " +
                    ", ".join("[%d] %#x" % (i, pml4[i]) for i in present[:DIAG_ITEMS]))
    if leaves:
        diag += ["lower-half mappings:"] + _runs_text(leaves)
    return Result("no lower-half mapping is left (PML4 slots 0..255 empty)",
                  not present and not leaves, diag)


def check_kernel_image(snap, exp):
    """(5) Kernel segments are mapped with their ELF permissions, nothing else.

    Each PT_LOAD segment is mapped with exactly its ELF permissions, its
    read-only bytes are the ELF's, and nothing else is mapped above
    KERNEL_BASE."""
    diag = []
    pages = ranges.normalize(seg.pages() for seg in exp.segments)
    if ranges.total(pages) != sum(s.pages()[1] - s.pages()[0] for s in exp.segments):
        diag.append("kernel segments share pages, so W^X cannot hold: %r" % exp.segments)
    for seg in exp.segments:
        s, e = seg.pages()
        missing = ranges.subtract([(s, e)], snap.walk.mapped(s, e))
        if missing:
            diag += ["segment %r: not mapped:" % seg] + ranges.fmt_first(missing)
        bad = [l for l in snap.walk.leaves_in(s, e)
               if l.write != seg.write or l.nx == seg.execute or l.user]
        if bad:
            diag += ["segment %r: mapped with other permissions:" % seg] + _runs_text(bad)
        want = exp.elf_bytes.get(seg.va)
        if want is not None and snap.image_probe.get(seg.va, b"")[:len(want)] != want:
            diag.append("segment %r: first bytes through the mapping %s, ELF has %s"
                        % (seg, snap.image_probe.get(seg.va, b"").hex() or "(unreadable)", want.hex()))
    base = exp.layout["KERNEL_BASE"]
    extra = ranges.subtract(snap.walk.mapped(base, TOP_OF_VA), pages)
    if extra:
        diag += ["mapped above KERNEL_BASE but in no segment:"] + ranges.fmt_first(extra)
    title = "kernel image at %#x mapped as its ELF segments say (%s), nothing else" % (
        base, ", ".join(s.perms() for s in exp.segments))
    return Result(title, not diag, diag)


def check_stacks(snap, exp):
    """(6) Each kernel stack is mapped rw- NX with an unmapped guard page below."""
    L = exp.layout
    diag = []
    for i, bottom in enumerate(L["KSTACK_BOTTOM"]):
        guard = bottom - L["PAGE_SIZE"]
        leaf = snap.walk.lookup(guard)
        if leaf is not None:
            diag.append("stack %d: guard page %#x is mapped: %r" % (i, guard, leaf))
        top = bottom + L["KSTACK_SIZE"]
        missing = ranges.subtract([(bottom, top)], snap.walk.mapped(bottom, top))
        if missing:
            diag += ["stack %d [%#x, %#x): not mapped:" % (i, bottom, top)] + ranges.fmt_first(missing)
        bad = [l for l in snap.walk.leaves_in(bottom, top) if not (l.write and l.nx and not l.user)]
        if bad:
            diag += ["stack %d: pages not rw- supervisor:" % i] + _runs_text(bad)
    return Result("%d kernel stacks mapped rw- NX, each above an unmapped guard page"
                  % len(L["KSTACK_BOTTOM"]), L["KSTACK_BOTTOM"] and not diag, diag)


def check_window(snap, exp):
    """(7) The page-table window maps every table frame; it shows CR3 as xp does.

    Every page-table frame is at PT_WINDOW_BASE + pa, rw- NX, and the
    top-level table read through the window equals `xp` of CR3."""
    W, end = exp.layout["PT_WINDOW_BASE"], exp.layout["PT_WINDOW_END"]
    diag = []
    for pa in sorted(snap.walk.tables):
        leaf = snap.walk.lookup(W + pa)
        if leaf is None:
            diag.append("table frame %#x: window address %#x not mapped" % (pa, W + pa))
        elif leaf.pa + (W + pa - leaf.va) != pa:
            diag.append("table frame %#x: window address %#x maps %#x"
                        % (pa, W + pa, leaf.pa + (W + pa - leaf.va)))
        elif not (leaf.write and leaf.nx and not leaf.user):
            diag.append("table frame %#x: window page is %s" % (pa, leaf.perms()))
    off = [l for l in snap.walk.leaves_in(W, end) if l.pa != l.va - W]
    diag += ["window leaves not at PT_WINDOW_BASE + pa: %r" % l for l in off[:DIAG_ITEMS]]
    diag = diag[:2 * DIAG_ITEMS]
    root = snap.tables[snap.root]
    if snap.window_root is None:
        diag.append("cannot read CR3's table through the window: %s" % snap.window_error)
    elif snap.window_root != root:
        diffs = [i for i in range(len(root)) if snap.window_root[i] != root[i]]
        diag.append("CR3's table through the window differs from xp %#x in %d entries, e.g. "
                    "[%d] %#x != %#x" % (snap.root, len(diffs), diffs[0], snap.window_root[diffs[0]],
                                         root[diffs[0]]))
    return Result("page-table window maps all %d table frames rw- NX at %#x + pa; "
                  "CR3's table reads the same through it" % (len(snap.walk.tables), W), not diag, diag)


def check_cpu_regs(snap, exp):
    """(8) CR0.WP and EFER.NXE are set (and long mode paging is on)."""
    r = snap.regs
    want = [("CR0", CR0_WP, "CR0.WP"), ("EFER", EFER_NXE, "EFER.NXE"), ("CR0", CR0_PG, "CR0.PG"),
            ("CR4", CR4_PAE, "CR4.PAE"), ("EFER", EFER_LMA, "EFER.LMA")]
    clear = ["%s is clear (%s = %#x)" % (name, reg, r[reg]) for reg, bit, name in want
             if not r[reg] & bit]
    return Result("CR0.WP and EFER.NXE set (CR0 %#x, EFER %#x)" % (r["CR0"], r["EFER"]),
                  not clear, clear)


def _slot_range(slot):
    """[start, end) of the virtual addresses of PML4 slot `slot`."""
    start = paging.canonical(slot << 39)
    return start, start + (1 << 39)


def _in_recursive(snap, va):
    """True if va lies in a PML4 slot that points at the PML4."""
    return any(a <= va < b for a, b in (_slot_range(i) for i, _ in snap.walk.recursive))


def check_walk_vs_tlb(snap, exp):
    """The page-table walk is well-formed and finds exactly what info tlb lists."""
    mine = {(l.va, l.pa & TLB_PA_MASK, paging.tlb_flags(l)) for l in snap.walk.leaves}
    # What QEMU lists under a recursive slot is the tables: check_recursive.
    qemu = {t for t in snap.tlb if not _in_recursive(snap, t[0])}
    diag = list(snap.walk.problems[:DIAG_ITEMS])
    only_mine = sorted(mine - qemu)
    only_qemu = sorted(qemu - mine)
    if only_mine:
        diag += ["walk has, info tlb lacks:"] + ["%#x -> %#x %s" % t for t in only_mine[:DIAG_ITEMS]]
    if only_qemu:
        diag += ["info tlb has, walk lacks:"] + ["%#x -> %#x %s" % t for t in only_qemu[:DIAG_ITEMS]]
    return Result("page-table walk from CR3 is well-formed and agrees with info tlb (%d leaves)"
                  % len(mine), mine and not diag, diag or ["no leaves"])


def check_recursive(snap, exp):
    """ptaccess=recursive: exactly the expected PML4 slot points at the PML4,
    present, writable, NX and supervisor-only, and what the CPU maps through
    it (info tlb) is every page-table frame and nothing else but the first
    frame of a large leaf (a 2 MiB or 1 GiB leaf read as a smaller page one
    level down: the wart of a recursive slot); the slot's entry makes all of
    it NX and supervisor-only.
    Default mode: no slot points at the PML4."""
    rec = snap.walk.recursive
    if exp.recursive is None:
        return Result("ptaccess=window: no PML4 entry points at the PML4", not rec,
                      ["PML4[%d] = %#x points at the PML4" % r for r in rec])
    diag = []
    slots = [i for i, _ in rec]
    if slots != [exp.recursive]:
        diag.append("PML4 slots pointing at the PML4: %s, want [%d]" % (slots, exp.recursive))
    for i, e in rec:
        want = paging.PTE_P | paging.PTE_W | paging.PTE_NX
        if e & (want | paging.PTE_U) != want:
            diag.append("PML4[%d] = %#x: want P, W, NX and no U" % (i, e))
    # A large leaf read as a 4 KiB page: its address bits, PAT bit (12)
    # included - a PAT-selecting leaf (the WC framebuffer) shows pa + 4 KiB.
    large = {l.entry & paging.PTE_ADDR_MASK & TLB_PA_MASK for l in snap.walk.leaves if l.level > 1}
    huge = {l.pa & TLB_PA_MASK for l in snap.walk.leaves if l.level == 3}
    seen, bad = set(), []
    for va, pa, flags in snap.tlb:
        if not _in_recursive(snap, va):
            continue
        # NX and supervisor-only come from the slot's own entry (checked
        # above): `info tlb` prints the last entry's bits, a table pointer's.
        ok = pa in huge if "P" in flags else (pa in snap.walk.tables or pa in large)
        seen.add(pa)
        if not ok:
            bad.append("%#x -> %#x %s" % (va, pa, flags))
    missing = sorted(set(snap.walk.tables) - seen)
    if bad:
        diag += ["mapped through the slot, not a table:"] + bad[:DIAG_ITEMS]
    if missing:
        diag += ["page tables not reachable through the slot:"] + ["%#x" % t for t in missing[:DIAG_ITEMS]]
    return Result("ptaccess=recursive: PML4[%d] points at the PML4 (P W NX, supervisor) and maps "
                  "the %d page-table frames and nothing else (%d entries)"
                  % (exp.recursive, len(snap.walk.tables), sum(1 for t in snap.tlb if _in_recursive(snap, t[0]))),
                  not diag, diag)


PAGING_CHECKS = [check_walk_vs_tlb, check_wx, check_dmap_ram, check_dmap_attrs, check_1g, check_2m,
                 check_lower_half, check_kernel_image, check_stacks, check_window, check_cpu_regs,
                 check_pt_writable_only_in_window, check_explicit_no_dmap, check_recursive]


def run_paging_checks(snap, exp):
    """Every paging check's Result, in report order. A check that raises
    is a failed Result naming the exception."""
    out = []
    for check in PAGING_CHECKS:
        try:
            out.append(check(snap, exp))
        except Exception as e:     # a checker bug must fail loudly, not stop the run
            out.append(Result(check.__doc__.strip().splitlines()[0], False,
                              ["%s raised %s: %s" % (check.__name__, type(e).__name__, e)]))
    return out


# ---- self-tests and fault reports (serial text) ------------------------------------

KTAP_RESULT = re.compile(r"^(not ok|ok) (\d+)\b(.*)$", re.M)


def after_ready(serial):
    """The serial text from the "carto: ready" line on ("" if none)."""
    i = serial.find("carto: ready")
    return serial[i:] if i >= 0 else ""


def check_ktap(serial, status):
    """The KTAP self-test output: a plan of N > 0, results 1..N all "ok",
    "P passed, 0 failed" (", S skipped" with P + S = N, the skips marked
    "# SKIP" on their result lines), and QEMU's exit status 33 (pass)."""
    text = after_ready(serial)
    diag = []
    if status != QEMU_EXIT_PASS:
        diag.append("QEMU exit status %s, expected %d (isa-debug-exit pass)" % (status, QEMU_EXIT_PASS))
    k = text.find("KTAP version 1")
    if k < 0:
        return Result("self-tests pass (no KTAP output)", False, diag + ["no \"KTAP version 1\" line"])
    text = text[k:]
    plan = re.search(r"^1\.\.(\d+)$", text, re.M)
    planned = int(plan.group(1)) if plan else 0
    results = KTAP_RESULT.findall(text)
    numbers = [int(n) for _, n, _ in results]
    failed = ["%s %s%s" % r for r in results if r[0] != "ok"]
    summary = [(p, f, s or "0") for p, f, s in
               re.findall(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", text, re.M)]
    skips = sum(1 for _, _, rest in results if "# SKIP" in rest)
    if planned <= 0:
        diag.append("no test plan (1..N with N > 0)")
    if numbers != list(range(1, planned + 1)):
        diag.append("results numbered %s, plan 1..%d" % (numbers[:10], planned))
    diag += failed
    if not summary or summary[-1] != (str(planned - skips), "0", str(skips)):
        diag.append("summary %s, expected \"%d passed, 0 failed\" (%d skipped)"
                    % (summary[-1] if summary else "missing", planned - skips, skips))
    # "# " lines are the tests' comments (a failed check's detail, or a note
    # such as "no MCFG on this machine"): shown with a failure, not one.
    notes = [l for l in text.splitlines() if l.startswith("# ")][:DIAG_ITEMS]
    return Result("self-tests pass: %d of %d KTAP results ok (%d skipped), exit status %s"
                  % (len(results) - len(failed), planned, skips, status), not diag, diag + notes)


def _hex_after(label, text):
    m = re.search(r"\b%s\s+(?:0x)?([0-9a-f]+)\b" % label, text)
    return int(m.group(1), 16) if m else None


# What each crash=KIND report must say, and whether CR2 must be mapped.
CRASH_TEXT = {"stack": [r"double fault", r"guard page"],
              "pf": [r"page fault", r"not present"],
              "wp": [r"page fault", r"protection", r"write"]}
CRASH_CR2_MAPPED = {"stack": False, "pf": False, "wp": True}


def check_crash(kind, serial, regs, exp, cr2_mapped):
    """A crash=KIND boot: the fault report names the fault (and the guard
    page for a stack overflow), the CR2 it prints is the CPU's (from the
    monitor), CR2 lies where the fault was provoked and is unmapped (mapped,
    for the write to .rodata) per the monitor's gva2gpa, and the CPU is
    halted."""
    text = after_ready(serial)
    L = exp.layout
    diag = []
    want = CRASH_TEXT[kind]
    for pattern in want:
        if not re.search(pattern, text, re.I):
            diag.append("no %r in the fault report" % pattern)
    cr2 = regs.get("CR2")
    printed = _hex_after("CR2", text)
    if printed is None or printed != cr2:
        diag.append("the report's CR2 is %s, the CPU's CR2 is %s"
                    % ("missing" if printed is None else "%#x" % printed,
                       "unknown" if cr2 is None else "%#x" % cr2))
    where = _crash_region(kind, L, exp.segments)
    if cr2 is None or not where[0] <= cr2 < where[1]:
        diag.append("CR2 %s is not in %s [%#x, %#x)" % (cr2 if cr2 is None else "%#x" % cr2,
                                                       where[2], where[0], where[1]))
    if cr2_mapped != CRASH_CR2_MAPPED[kind]:
        diag.append("the monitor says CR2 is %s, expected %s" % (
            {True: "mapped", False: "unmapped", None: "unknown"}[cr2_mapped],
            "mapped" if CRASH_CR2_MAPPED[kind] else "unmapped"))
    if kind == "stack" and "%x" % where[0] not in text:
        diag.append("the report does not name the guard page %#x" % where[0])
    if regs.get("HLT") != 1:
        diag.append("the CPU is not halted after the report (HLT=%s, RIP %#x)"
                    % (regs.get("HLT"), regs.get("RIP", 0)))
    titles = {"stack": "crash=stack: stack overflow hits the guard page, reported as a double "
                       "fault, CPU halted (no triple fault)",
              "pf": "crash=pf: page fault reported with the CPU's CR2, CPU halted",
              "wp": "crash=wp: write to .rodata reported as a write protection fault, CPU halted"}
    return Result(titles[kind], not diag, diag)


def _crash_region(kind, L, segments):
    """[start, end, name) where CR2 must lie after crash=KIND."""
    if kind == "stack":
        guard = L["KSTACK_BOTTOM"][0] - L["PAGE_SIZE"]
        return guard, guard + L["PAGE_SIZE"], "the boot stack's guard page"
    if kind == "wp":
        ro = [s for s in segments if not s.write and not s.execute]
        return (ro[0].va, ro[0].va + ro[0].memsz, ".rodata") if ro else (0, 0, ".rodata")
    return 1, TOP_OF_VA, "any address but 0"


# ---- self-check -------------------------------------------------------------------------

def _flip_entry(snap, pred, bits_set=0, bits_clear=0):
    """A snapshot copy where the entry of the first leaf matching pred has
    bits changed; None if no leaf matches."""
    leaf = next((l for l in snap.walk.leaves if pred(l)), None)
    if leaf is None:
        return None
    table = leaf.path[-1]
    tables = dict(snap.tables)
    tables[table] = list(tables[table])
    i = (leaf.va >> paging.level_shift(leaf.level)) & (paging.ENTRIES - 1)
    tables[table][i] = (leaf.entry | bits_set) & ~bits_clear
    return snap.with_changes(tables=tables)


def mutations(snap, exp):
    """(description, check, snapshot, expect) cases every one of which the
    check must FAIL. Cases that do not apply to this boot are left out."""
    L = exp.layout
    base = L["DMAP_BASE"]
    cases = []
    # An MMIO range of the map if there is one, else the first other non-RAM range.
    nonram = sorted((d.type != fwmap.EFI_MMIO, d.start, d.end) for d in exp.descs
                    if not d.is_ram() and d.start < L["DMAP_MAX_PHYS"] and d.end > d.start)
    if nonram:
        r = nonram[0][1:]
        cases.append(("pretend %s (%s) is RAM" % (ranges.fmt(r), _what_is(exp.descs, *r)),
                      check_dmap_ram, snap, exp.changed(ram=ranges.normalize(exp.ram + [r]))))
    if exp.ram:
        first = exp.ram[0][0]
        cases.append(("pretend the RAM page at %#x is reserved" % first, check_dmap_ram, snap,
                      exp.changed(ram=ranges.subtract(exp.ram, [(first, first + L["PAGE_SIZE"])]))))
    gib = L["PAGE_SIZE_1G"]
    # A GiB without a page-table chunk (one with a chunk is rightly split).
    pool = _pool_chunks(snap, exp)
    g = next(g for g in range(0, 64 * gib, gib) if not ranges.intersect(pool, [(g, g + gib)]))
    cases.append(("pretend [%#x, +1 GiB) is all RAM on a CPU with 1 GiB pages" % g, check_1g, snap,
                  exp.changed(ram=ranges.normalize(exp.ram + [(g, g + gib)]), has_1g=True)))
    root_alias = base + snap.root
    if exp.dmap_limit > snap.root:
        cases.append(("make the root table writable in the direct map", check_pt_writable_only_in_window,
                      _flip_entry(snap, lambda l: l.va <= root_alias < l.va + l.size,
                                  bits_set=paging.PTE_W), exp))
        cases.append(("make the root table writable in the direct map (attributes)", check_dmap_attrs,
                      _flip_entry(snap, lambda l: l.va <= root_alias < l.va + l.size,
                                  bits_set=paging.PTE_W), exp))
        cases.append(("expect addressing=explicit where there is a direct map", check_explicit_no_dmap,
                      snap, exp.changed(dmap_limit=0)))
    if any(l.level == 3 for l in snap.walk.leaves):
        cases.append(("expect no 1 GiB pages where there are some", check_1g, snap,
                      exp.changed(has_1g=False)))
    else:
        cases.append(("demand one more all-RAM GiB than the map has", check_1g, snap,
                      exp.changed(has_1g=True, min_1g=len(_all_ram_blocks(exp.ram, gib)) + 1)))
    small = next((l for l in snap.walk.leaves_in(base, L["DMAP_END"]) if l.level == 1), None)
    if small:
        b = (small.va - base) & ~(L["PAGE_SIZE_2M"] - 1)
        cases.append(("pretend the 4K-mapped block at phys %#x is all RAM" % b, check_2m, snap,
                      exp.changed(ram=ranges.normalize(exp.ram + [(b, b + L["PAGE_SIZE_2M"])]))))
    data = [s for s in exp.segments if s.write]
    if data:
        cases.append(("clear NX on a kernel data page", check_wx,
                      _flip_entry(snap, lambda l: l.va == data[0].va, bits_clear=paging.PTE_NX), exp))
    pml4 = list(snap.tables[snap.root])
    upper = next((e for e in pml4[256:] if e & paging.PTE_P), 0)
    tables = dict(snap.tables)
    tables[snap.root] = [upper] + pml4[1:]
    cases.append(("add a lower-half PML4 entry", check_lower_half, snap.with_changes(tables=tables), exp))
    for i, seg in enumerate(exp.segments):
        flipped = copy.copy(seg)
        # text made writable, the others executable
        flipped.flags = seg.flags ^ (image.PF_W if seg.execute else image.PF_X)
        segs = exp.segments[:i] + [flipped] + exp.segments[i + 1:]
        cases.append(("pretend the ELF says %r" % flipped, check_kernel_image, snap,
                      exp.changed(segments=segs)))
    text = next((s for s in exp.segments if s.execute), None)
    if text is not None and text.va in exp.elf_bytes:
        wrong = dict(exp.elf_bytes)
        wrong[text.va] = bytes(b ^ 0xff for b in exp.elf_bytes[text.va])
        cases.append(("expect other bytes at the start of .text", check_kernel_image, snap,
                      exp.changed(elf_bytes=wrong)))
    layout = dict(L)
    layout["KSTACK_BOTTOM"] = [b + L["PAGE_SIZE"] for b in L["KSTACK_BOTTOM"]]
    cases.append(("pretend each stack starts one page higher", check_stacks, snap,
                  exp.changed(layout=layout)))
    layout = dict(L)
    layout["PT_WINDOW_BASE"] = L["PT_WINDOW_BASE"] + L["PAGE_SIZE_2M"]
    cases.append(("pretend the window is 2 MiB higher", check_window, snap, exp.changed(layout=layout)))
    other = next((pa for pa in sorted(snap.tables) if pa != snap.root), None)
    if other is not None:
        cases.append(("compare the window's view of CR3 with another table", check_window,
                      snap.with_changes(window_root=snap.tables[other]), exp))
    for reg, bit, name in (("CR0", CR0_WP, "CR0.WP"), ("EFER", EFER_NXE, "EFER.NXE")):
        regs = dict(snap.regs)
        regs[reg] &= ~bit
        cases.append(("clear %s" % name, check_cpu_regs, snap.with_changes(regs=regs), exp))
    if snap.tlb:
        cases.append(("drop a line of info tlb", check_walk_vs_tlb, snap.with_changes(tlb=snap.tlb[1:]), exp))
    if exp.recursive is None:
        cases.append(("expect a recursive slot where there is none", check_recursive, snap,
                      exp.changed(recursive=L["RECURSIVE_SLOT"])))
    else:
        cases += _recursive_mutations(snap, exp)
    return [c for c in cases if c[2] is not None]


def _recursive_mutations(snap, exp):
    """Cases check_recursive must fail in a ptaccess=recursive boot."""
    slot = exp.recursive
    cases = [("expect no recursive slot where there is one", check_recursive, snap,
              exp.changed(recursive=None)),
             ("expect the recursive slot one higher", check_recursive, snap,
              exp.changed(recursive=slot + 1))]
    for what, set_, clear in (("user-accessible", paging.PTE_U, 0), ("executable", 0, paging.PTE_NX)):
        tables = dict(snap.tables)
        tables[snap.root] = list(tables[snap.root])
        tables[snap.root][slot] = (tables[snap.root][slot] | set_) & ~clear
        cases.append(("make the recursive entry %s" % what, check_recursive,
                      snap.with_changes(tables=tables), exp))
    lo, hi = _slot_range(slot)
    rec_lines = [t for t in snap.tlb if lo <= t[0] < hi]
    if rec_lines:
        va, pa, flags = rec_lines[0]
        data = next((l.pa for l in snap.walk.leaves if l.level == 1 and l.pa not in snap.walk.tables), 0)
        tlb = [t for t in snap.tlb if t != rec_lines[0]] + [(va, data & TLB_PA_MASK, flags)]
        cases.append(("info tlb shows a data page through the slot", check_recursive,
                      snap.with_changes(tlb=tlb), exp))
        tlb = [t for t in snap.tlb if t[1] != rec_lines[0][1] or not lo <= t[0] < hi]
        cases.append(("a page table missing from the slot", check_recursive,
                      snap.with_changes(tlb=tlb), exp))
    return cases


def self_check(snap, exp):
    """Run every mutation; returns (number run, descriptions of those whose
    check wrongly passed)."""
    cases = mutations(snap, exp)
    wrong = []
    for desc, check, s, e in cases:
        try:
            passed = check(s, e).ok
        except Exception as ex:      # a crash is not a detected failure
            passed = True
            desc += " (raised %s: %s)" % (type(ex).__name__, ex)
        if passed:
            wrong.append("%s: %s still passes" % (desc, check.__name__))
    return len(cases), wrong
