"""paging - walk x86_64 4-level page tables the way the CPU does.

walk(read_table, cr3) reads the top-level table at CR3 and follows every
present entry down to the leaves (4 KiB, 2 MiB and 1 GiB pages), giving
each leaf its effective permissions: writable only if every level allows
writes, user only if every level allows user access, no-execute if any
level sets NX (EFER.NXE is checked separately). read_table(pa) must return
the 512 64-bit entries of the table at physical address pa; in the boot
tests it is `xp` through the QEMU monitor, in the self-check a dict.

Levels are numbered as the hardware walks them from the leaf, like
include/pt.h: 1 = page table, 2 = page directory, 3 = PDPT, 4 = PML4.
"""
import bisect

PAGE_SIZE = 4096
ENTRIES = 512
LEVELS = 4
VA_BITS = 48
LOWER_HALF_END = 1 << (VA_BITS - 1)          # 0x0000800000000000

PTE_P = 1 << 0
PTE_W = 1 << 1
PTE_U = 1 << 2
PTE_PWT = 1 << 3
PTE_PCD = 1 << 4
PTE_A = 1 << 5
PTE_D = 1 << 6
PTE_PS = 1 << 7            # large leaf at levels 2 and 3
PTE_PAT_4K = 1 << 7        # PAT bit of a level-1 entry
PTE_G = 1 << 8
PTE_PAT_LARGE = 1 << 12    # PAT bit of a level-2/3 leaf
PTE_NX = 1 << 63
PTE_ADDR_MASK = 0x000ffffffffff000
CR3_ADDR_MASK = 0x000ffffffffff000

LEAF_NAMES = {1: "4K", 2: "2M", 3: "1G"}


def level_shift(level):
    return 12 + 9 * (level - 1)


def level_size(level):
    """Bytes one entry maps at this level (4 KiB at level 1)."""
    return 1 << level_shift(level)


def canonical(va):
    """Sign-extend a 48-bit virtual address."""
    va &= (1 << VA_BITS) - 1
    return va | (0xffff << VA_BITS) if va & LOWER_HALF_END else va


class Leaf:
    """One present leaf: [va, va + size) -> [pa, pa + size), with the leaf
    entry and the effective permissions of the whole walk."""
    __slots__ = ("va", "size", "pa", "level", "entry", "write", "user", "nx", "path")

    def __init__(self, va, level, entry, write, user, nx, path):
        self.va = va
        self.level = level
        self.size = level_size(level)
        self.pa = entry & PTE_ADDR_MASK & ~(self.size - 1)
        self.entry = entry
        self.write = write
        self.user = user
        self.nx = nx
        self.path = path          # table physical addresses, top level first

    @property
    def end(self):
        return self.va + self.size

    @property
    def cache_index(self):
        """The PAT entry this leaf selects: PAT:PCD:PWT (0 = WB by default)."""
        pat = PTE_PAT_4K if self.level == 1 else PTE_PAT_LARGE
        return ((4 if self.entry & pat else 0) | (2 if self.entry & PTE_PCD else 0)
                | (1 if self.entry & PTE_PWT else 0))

    def perms(self):
        """'rwx'-style effective permissions, 'u' appended for user pages."""
        return "r" + ("w" if self.write else "-") + ("-" if self.nx else "x") + \
            ("u" if self.user else "")

    def __repr__(self):
        return "%#x-%#x %s -> %#x %s" % (self.va, self.end, LEAF_NAMES[self.level], self.pa,
                                          self.perms())


class Walk:
    """The result of walk(): leaves sorted by address, every table frame
    found (pa -> (level, first va it maps)), the top-level entries that
    point at the top-level table itself (recursive: [(slot, entry)], not
    followed: what the CPU sees through them is the tables themselves),
    and problems (reserved bits set, a table reached twice) as text."""

    def __init__(self, root):
        self.root = root
        self.leaves = []
        self.tables = {}
        self.recursive = []
        self.problems = []
        self._starts = None

    def _index(self):
        if self._starts is None:
            self._starts = [leaf.va for leaf in self.leaves]
        return self._starts

    def lookup(self, va):
        """The leaf mapping va, or None."""
        starts = self._index()
        i = bisect.bisect_right(starts, va) - 1
        if i >= 0 and self.leaves[i].va <= va < self.leaves[i].end:
            return self.leaves[i]
        return None

    def leaves_in(self, start, end):
        """Leaves that overlap [start, end), in address order."""
        starts = self._index()
        i = max(bisect.bisect_right(starts, start) - 1, 0)
        out = []
        while i < len(self.leaves) and self.leaves[i].va < end:
            if self.leaves[i].end > start:
                out.append(self.leaves[i])
            i += 1
        return out

    def mapped(self, start, end):
        """Canonical interval set of the virtual addresses in [start, end)
        that are mapped."""
        out = []
        for leaf in self.leaves_in(start, end):
            s, e = max(leaf.va, start), min(leaf.end, end)
            if out and out[-1][1] == s:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return out


def walk(read_table, cr3):
    """Walk the 4-level page tables rooted at CR3; returns a Walk."""
    w = Walk(cr3 & CR3_ADDR_MASK)
    _visit(w, read_table, w.root, LEVELS, 0, True, True, False, ())
    return w


def _visit(w, read_table, table, level, va_base, write, user, nx, path):
    if table in w.tables:
        w.problems.append("table %#x reached twice (level %d at %#x and level %d at %#x)"
                          % (table, w.tables[table][0], w.tables[table][1], level, va_base))
        return
    w.tables[table] = (level, va_base)
    entries = read_table(table)
    path = path + (table,)
    for i, e in enumerate(entries):
        if not e & PTE_P:
            continue
        if level == LEVELS and e & PTE_ADDR_MASK == w.root:
            w.recursive.append((i, e))
            continue
        va = canonical(va_base + (i << level_shift(level)))
        ew, eu, enx = write and bool(e & PTE_W), user and bool(e & PTE_U), nx or bool(e & PTE_NX)
        if level == 1 or (e & PTE_PS and level in (2, 3)):
            _check_leaf_bits(w, level, va, e)
            w.leaves.append(Leaf(va, level, e, ew, eu, enx, path))
        elif e & PTE_PS:
            w.problems.append("PS set in level-%d entry %d of table %#x (%#018x): reserved"
                              % (level, i, table, e))
        else:
            _visit(w, read_table, e & PTE_ADDR_MASK, level - 1, va, ew, eu, enx, path)


def _check_leaf_bits(w, level, va, e):
    """Address bits below the page size (other than PAT) must be 0."""
    if level == 1:
        return
    low = (level_size(level) - 1) & PTE_ADDR_MASK & ~PTE_PAT_LARGE
    if e & low:
        w.problems.append("%s leaf for %#x has reserved address bits set: %#018x"
                          % (LEAF_NAMES[level], va, e))


def runs(leaves, key=lambda leaf: (leaf.write, leaf.nx, leaf.user, leaf.cache_index)):
    """Coalesce leaves into runs [(va, end, pa, key)] where consecutive
    leaves are contiguous in va and pa and have equal key()."""
    out = []
    for leaf in leaves:
        k = key(leaf)
        if out and out[-1][1] == leaf.va and out[-1][2] + (leaf.va - out[-1][0]) == leaf.pa \
                and out[-1][3] == k:
            out[-1] = (out[-1][0], leaf.end, out[-1][2], k)
        else:
            out.append((leaf.va, leaf.end, leaf.pa, k))
    return out


def tlb_flags(leaf):
    """The 9 flag letters QEMU's `info tlb` prints for this leaf entry."""
    e = leaf.entry
    ps = leaf.level > 1 and e & PTE_PS
    bits = [(e & PTE_NX, "X"), (e & PTE_G, "G"), (ps, "P"), (e & PTE_D, "D"),
            (e & PTE_A, "A"), (e & PTE_PCD, "C"), (e & PTE_PWT, "T"), (e & PTE_U, "U"),
            (e & PTE_W, "W")]
    return "".join(c if b else "-" for b, c in bits)
