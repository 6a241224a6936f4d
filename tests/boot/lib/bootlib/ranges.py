"""ranges - sets of half-open [start, end) integer intervals.

An interval set is a list of (start, end) tuples. normalize() turns any
list (unsorted, overlapping, touching, empty members) into the canonical
form: sorted, disjoint, non-touching, no empty members. Every other
function takes and returns canonical sets, so comparing two sets is `==`.
"""


def normalize(ranges):
    """Canonical form of an iterable of (start, end) pairs: sorted, merged
    where they overlap or touch, empty pairs (end <= start) dropped."""
    out = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(a, b):
    """The part of canonical set a not in canonical set b."""
    out = []
    j = 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k = j
        cur = start
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            k += 1
        if cur < end:
            out.append((cur, end))
    return out


def intersect(a, b):
    """The part common to canonical sets a and b."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def clip(a, start, end):
    """Canonical set a restricted to [start, end)."""
    return intersect(a, [(start, end)] if end > start else [])


def contains(a, start, end):
    """True if canonical set a covers all of [start, end) (True if empty)."""
    return end <= start or subtract([(start, end)], a) == []


def total(a):
    """Number of units (bytes) in canonical set a."""
    return sum(end - start for start, end in a)


def shift(a, offset):
    """Canonical set a moved by offset."""
    return [(start + offset, end + offset) for start, end in a]


def fmt(r):
    """'[0x1000, 0x3000) 8 KiB' for one range."""
    return "[%#x, %#x) %s" % (r[0], r[1], human(r[1] - r[0]))


def fmt_first(a, limit=5):
    """The first `limit` ranges of a set, formatted, plus a count of the rest."""
    lines = [fmt(r) for r in a[:limit]]
    if len(a) > limit:
        lines.append("... and %d more ranges (%s in all)" % (len(a) - limit, human(total(a))))
    return lines


def human(nbytes):
    """'12.5 MiB': one decimal, largest binary unit that keeps it >= 1."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    u = 0
    value = float(nbytes)
    while value >= 1024 and u + 1 < len(units):
        value /= 1024
        u += 1
    return ("%d B" % nbytes) if u == 0 else "%.1f %s" % (value, units[u])
