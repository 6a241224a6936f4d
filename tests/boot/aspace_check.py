#!/usr/bin/env python3
"""aspace_check.py - the boot tests of user mode and the isolated kernel
(issue 10), read from the live machine through the QEMU monitor.

  1. isolation=on, user=spin: while the process loops in ring 3 (CS 0x23
     in `info registers`), CR3's tables map, of the kernel half, exactly
     the entry area (the pages between __entry_text_start/_end and
     __entry_data_start/_end of build/kernel/kernel.elf, and the IST
     stacks) and nothing else;
     every lower-half page is a user page; no page is writable and
     executable; an NMI injected from the monitor is handled (on its IST
     stack, mapped in the entry area) and the process resumes.
  2. shared (default), user=spin: the process's top-level table's kernel
     half equals the kernel's own (accessed bits aside), user pages are
     user and only in the lower half, no W+X page in either half, and
     every page-table frame - the process's own lower-half tables too - is
     writable only through the page-table window (bootlib.checks' rule).
  1b, 2b. the same two boots with addressing=explicit (no direct map).
  1c, 2c. the same two boots with ptaccess=recursive: the isolated tables
     still map only the entry area (no recursive slot), and the shared
     process's recursive slot points at its own root, the kernel's at the
     kernel's.
  1d, 2d. in the default isolated and shared boots, the preemption timer on
     the live machine: RFLAGS.IF set in ring 3, `info lapic` shows the timer
     one-shot at vector 0x40, unmasked, armed with the slice (10 ms x the
     ticks per ms the kernel printed; or stopped, between two turns) and
     counting down in at least two of ten samples, the LAPIC enabled
     with spurious vector 0xff; `info pic`: both 8259s masked (imr=ff) at
     vectors 0x20/0x28. 2e. user=spin slice=0 (cooperative): IF clear in
     ring 3, the timer not armed (initial count 0). 2f. -cpu qemu64,-apic
     (no LAPIC: its registers read 0): the kernel says the timer is not
     used and scheduling is cooperative, and user=hello still runs.
  3. `bench` under -icount shift=0 and under plain TCG: the eight
     "bench: TEST VARIANT TICKS" lines of null-syscall, copy-from-user-4k,
     as-switch and user-pagefault x shared/isolated, and "bench: done";
     the tables are kept in build/boot-tests/aspace-bench-*.txt.
Each page-table check is also run on a deliberately broken copy of what was
read, to show it can fail. Prints TAP ending "N passed, N failed".
"""
import os
import re
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))

from bootlib import checks, hmp as hmplib, image, paging, qemu, tap as taplib    # noqa: E402

ARTIFACTS = os.path.join(TOP, "build", "boot-tests")
KERNEL_ELF = os.path.join(TOP, "build", "kernel", "kernel.elf")
BENCH_TESTS = ["null-syscall", "copy-from-user-4k", "as-switch", "user-pagefault"]
LOWER_END = paging.LOWER_HALF_END


def symbols():
    out = subprocess.run(["nm", KERNEL_ELF], capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return syms


# include/memlayout.h: kernel stacks (KSTACK_*); 1..3 are the IST stacks.
KSTACK_BASE = 0xffffff0000000000
KSTACK_SIZE = 8 * 4096
KSTACK_STRIDE = KSTACK_SIZE + 4096
IST_STACKS = (1, 2, 3)


def entry_area(syms):
    """The entry area: the .entry.text and .entry.data pages and the IST
    stacks (kernel/aspace.h)."""
    area = [(syms["__entry_text_start"], syms["__entry_text_end"]),
            (syms["__entry_data_start"], syms["__entry_data_end"])]
    for i in IST_STACKS:
        bottom = KSTACK_BASE + i * KSTACK_STRIDE + 4096
        area.append((bottom, bottom + KSTACK_SIZE))
    return area


def read_table_fn(hmp):
    cache = {}

    def read(pa):
        if pa not in cache:
            cache[pa] = hmp.read_qwords(pa, paging.ENTRIES)
        return cache[pa]
    return read


def wx_problems(leaves):
    return ["%r is writable and executable" % l for l in leaves if l.write and not l.nx]


def user_problems(leaves):
    """User pages only in the lower half, and every lower-half page user."""
    out = []
    for leaf in leaves:
        if leaf.va < LOWER_END and not leaf.user:
            out.append("%r: lower-half page without U" % leaf)
        if leaf.va >= LOWER_END and leaf.user:
            out.append("%r: user page in the kernel half" % leaf)
    return out


def isolated_problems(leaves, area):
    """Kernel-half leaves outside the entry area, and entry-area pages
    missing."""
    out = []
    covered = set()
    for leaf in leaves:
        if leaf.va < LOWER_END:
            continue
        inside = any(s <= leaf.va and leaf.end <= e for s, e in area)
        if not inside:
            out.append("%r: kernel page outside the entry area" % leaf)
        else:
            covered.update(range(leaf.va, leaf.end, paging.PAGE_SIZE))
    for s, e in area:
        for va in range(s, e, paging.PAGE_SIZE):
            if va not in covered:
                out.append("entry-area page %#x not mapped" % va)
    return out


def boot_spin(t, name, cmdline, cpu="max"):
    """Boot user=spin, wait until it loops in ring 3; returns (run, hmp,
    regs, serial) or None after reporting the failure."""
    run = qemu.Boot(TOP, name, ARTIFACTS, cpu=cpu, cmdline=cmdline, monitor=True,
                    hard_timeout=180)
    run.start()
    if not run.wait_for(r"^spin: looping, pid \d+", timeout=120):
        t.result(False, "%s: spin reaches user mode" % name, run.serial_tail())
        run.stop()
        return None
    hmp = run.monitor()
    # The line is printed inside SYS_WRITE: wait until the CPU has left the
    # kernel (the serial port is slow), up to 10 s.
    for _ in range(100):
        regs = hmplib.parse_registers(hmp.cmd("info registers"))
        if (regs.get("CS", 0) & 3) == 3:
            break
        time.sleep(0.1)
    ok = (regs.get("CS", 0) & 3) == 3
    t.result(ok, "%s: the CPU is in ring 3 (CS %#x, RIP %#x)" % (name, regs.get("CS", 0),
                                                                   regs.get("RIP", 0)))
    return run, hmp, regs, run.serial()


SLICE_MS = 10   # kernel/proc.h SCHED_SLICE_MS_DEFAULT
TIMER_SAMPLES = 100   # `info lapic` reads at most, 50 ms apart
RFLAGS_IF = 1 << 9


def timer_problems(hmp, serial, regs, preemptive):
    """What is wrong with the live preemption timer and 8259s (ring 3 now)."""
    out = []
    if bool(regs.get("RFL", 0) & RFLAGS_IF) != preemptive:
        out.append("RFLAGS %#x in ring 3: IF should be %s" % (regs.get("RFL", 0),
                                                          "set" if preemptive else "clear"))
    m = re.search(r"^lapic timer: (\d+) ticks per ms", serial, re.M)
    if not m:
        return out + ["no 'lapic timer: N ticks per ms' line"]
    want = SLICE_MS * int(m.group(1)) if preemptive else 0
    # Sample until the timer has been seen counting down twice (or 100
    # samples, 5 s): on a loaded host the guest may be descheduled past a
    # slice's expiry between samples, so a fixed handful can miss it.
    counts = []
    for _ in range(TIMER_SAMPLES):
        lapic = hmp.cmd("info lapic")
        c = re.search(r"initial_count = (\d+) current_count = (\d+)", lapic)
        if not c:
            return out + ["info lapic: no timer counts in %r" % lapic[:300]]
        counts.append((int(c.group(1)), int(c.group(2))))
        if len(counts) >= 10 and (not preemptive or
                                  len(set(c for i, c in counts if i == want and 0 < c <= i)) >= 2):
            break
        time.sleep(0.05)
    lvtt = re.search(r"^LVTT\s+(0x[0-9a-f]+)(.*)$", lapic, re.M)
    if not lvtt or "one-shot" not in lvtt.group(2) or "(vec 64)" not in lvtt.group(2) or \
            "masked" in lvtt.group(2):
        out.append("LVTT not one-shot, unmasked, vector 64: %r" % (lvtt and lvtt.group(0)))
    if not re.search(r"^SPIV\s+\S+ APIC enabled.*spurious vec 255", lapic, re.M):
        out.append("SPIV: the LAPIC not enabled with spurious vector 255")
    # Preemptive: armed with the slice, or stopped (0) for the moment between
    # two turns (under TCG, with isolation's TLB flushes, a sample may land
    # there); counting down in several samples.
    allowed = {want, 0} if preemptive else {0}
    if any(i not in allowed for i, _ in counts):
        out.append("timer initial counts %s, want %s" % ([i for i, _ in counts], sorted(allowed)))
    running = set(c for i, c in counts if i == want and 0 < c <= i)
    if preemptive and len(running) < 2:
        out.append("timer not seen counting down within the slice in %d samples: %s"
                   % (len(counts), counts[:20]))
    pics = re.findall(r"^pic(\d): .*imr=([0-9a-f]+) .*irq_base=([0-9a-f]+)", hmp.cmd("info pic"), re.M)
    if sorted(pics) != [("0", "ff", "20"), ("1", "ff", "28")]:
        out.append("8259s not masked at 0x20/0x28: %s" % pics)
    return out


def check_timer(t, what, hmp, regs, serial, preemptive=True):
    probs = timer_problems(hmp, serial, regs, preemptive)
    t.result(not probs, "%s: %s" % (what, "IF set in ring 3, LAPIC timer one-shot at vector "
             "0x40 armed with the %d ms slice and counting, 8259s masked" % SLICE_MS
             if preemptive else "cooperative (slice=0): IF clear in ring 3, timer stopped, "
             "8259s masked"), probs)
    # Self-check: the same live state read as if the other mode were wanted.
    t.result(bool(timer_problems(hmp, serial, regs, not preemptive)),
             "%s: the timer check sees the other mode's state as wrong (self-check)" % what)


def check_isolated(t, syms, name="aspace-isolated", extra=""):
    got = boot_spin(t, name, " ".join(w for w in ("user=spin isolation=on", extra) if w))
    if not got:
        return
    run, hmp, regs, serial = got
    what = "isolated" + (" " + extra if extra else "")
    try:
        w = paging.walk(read_table_fn(hmp), regs["CR3"])
        area = entry_area(syms)
        kernel = [l for l in w.leaves if l.va >= LOWER_END]
        t.result(not isolated_problems(w.leaves, area),
                 "%s: CR3 %#x maps of the kernel only the entry area (%d kernel pages)"
                 % (what, regs["CR3"], sum(l.size for l in kernel) // paging.PAGE_SIZE),
                 isolated_problems(w.leaves, area))
        t.result(not user_problems(w.leaves) and any(l.va < LOWER_END for l in w.leaves),
                 "%s: user pages are user and only in the lower half" % what,
                 user_problems(w.leaves))
        t.result(not wx_problems(w.leaves) and not w.problems, "%s: no W+X page" % what,
                 wx_problems(w.leaves) + w.problems)
        if not extra:
            check_timer(t, what, hmp, regs, serial)
        # The checks can fail: the kernel image's first page added, writable
        # and executable, then the same as a user page.
        fake = paging.Leaf(paging.canonical(0xffffffff80000000), 1, 0x1000 | 3, True, False,
                           False, ())
        fake_user = paging.Leaf(fake.va, 1, 0x1000 | 7, True, True, False, ())
        t.result(bool(isolated_problems(w.leaves + [fake], area)) and bool(wx_problems([fake]))
                 and bool(user_problems([fake_user])),
                 "%s: the checks see a kernel page outside the entry area, a W+X page and "
                 "a user page in the kernel half (self-check)" % what)
        # An NMI in ring 3 runs on its IST stack through the isolated tables
        # (a triple fault would reset the machine) and the process goes on.
        hmp.cmd("nmi")
        ok = run.wait_for(r"^NMI while process \d+ \(spin\) ran in user mode", timeout=60)
        for _ in range(100):
            regs2 = hmplib.parse_registers(hmp.cmd("info registers"))
            if (regs2.get("CS", 0) & 3) == 3:
                break
            time.sleep(0.1)
        t.result(ok is not None and (regs2.get("CS", 0) & 3) == 3 and
                 "BdsDxe" not in run.serial().split("spin: looping")[-1],
                 "%s: an NMI in user mode is handled and the process resumes (CS %#x)"
                 % (what, regs2.get("CS", 0)), run.serial_tail())
    finally:
        run.stop()


def pt_alias_result(walk, layout):
    """bootlib.checks' rule (every page-table frame writable only through
    the window) on a process's walk: its own tables included."""
    snap = type("Snap", (), {"walk": walk})()
    exp = type("Exp", (), {"layout": layout})()
    return checks.check_pt_writable_only_in_window(snap, exp)


def check_pt_aliases(t, what, w, layout):
    """The process's page-table frames, like the kernel's, are writable
    only through the window (they come from the same pool chunks)."""
    user_tables = [pa for pa, (level, va) in w.tables.items() if va < LOWER_END and level < 4]
    r = pt_alias_result(w, layout)
    t.result(r.ok and user_tables, "%s: %s, %d of them the process's lower-half tables"
             % (what, r.title, len(user_tables)), r.diag)
    if not user_tables:
        return
    # Self-check: a writable alias of a user page table must be seen.
    fake = paging.Leaf(paging.canonical(layout["DMAP_BASE"] + user_tables[0]), 1,
                       user_tables[0] | 3, True, False, True, ())
    w.leaves.append(fake)
    t.result(not pt_alias_result(w, layout).ok,
             "%s: the check sees a writable alias of user page table %#x (self-check)"
             % (what, user_tables[0]))
    w.leaves.remove(fake)


def check_shared(t, layout, name="aspace-shared", extra=""):
    got = boot_spin(t, name, " ".join(w for w in ("user=spin", extra) if w))
    if not got:
        return
    run, hmp, regs, serial = got
    what = "shared" + (" " + extra if extra else "")
    try:
        m = re.search(r"tables ([0-9a-f]+) \(user mode ([0-9a-f]+)\), kernel tables ([0-9a-f]+)",
                      serial)
        if not t.result(m is not None, "%s: the kernel names its tables" % what, run.serial_tail()):
            return
        proc_root, kernel_root = int(m.group(1), 16), int(m.group(3), 16)
        t.result(regs["CR3"] & paging.CR3_ADDR_MASK == proc_root,
                 "%s: CR3 %#x is the process's tables %#x" % (what, regs["CR3"], proc_root))
        p = hmp.read_qwords(proc_root, 512)
        k = hmp.read_qwords(kernel_root, 512)
        # ptaccess=recursive: that slot points at each space's own root.
        rec = layout["RECURSIVE_SLOT"] if "ptaccess=recursive" in extra else None
        diff = [i for i in range(256, 512) if i != rec and (p[i] ^ k[i]) & ~paging.PTE_A]
        t.result(not diff, "%s: the process's kernel half equals the kernel's (%d entries)"
                 % (what, 256 - (rec is not None)),
                 ["slot %d: %#x vs %#x" % (i, p[i], k[i]) for i in diff])
        if rec is not None:
            want = paging.PTE_P | paging.PTE_W | paging.PTE_NX
            flags = paging.PTE_P | paging.PTE_W | paging.PTE_U | paging.PTE_NX
            t.result(p[rec] & paging.PTE_ADDR_MASK == proc_root and p[rec] & flags == want and
                     k[rec] & paging.PTE_ADDR_MASK == kernel_root and k[rec] & flags == want,
                     "%s: recursive slot %d points at each space's own root (process %#x, "
                     "kernel %#x), P W NX, no U" % (what, rec, p[rec], k[rec]))
        p2 = list(p)
        p2[300] ^= 0x1000
        t.result(any((p2[i] ^ k[i]) & ~paging.PTE_A for i in range(256, 512)),
                 "%s: the comparison sees a changed entry (self-check)" % what)
        w = paging.walk(read_table_fn(hmp), regs["CR3"])
        lower = [l for l in w.leaves if l.va < LOWER_END]
        t.result(lower and not user_problems(w.leaves),
                 "%s: %d user pages, all user, none in the kernel half" % (what, len(lower)),
                 user_problems(w.leaves))
        t.result(not wx_problems(w.leaves) and not w.problems,
                 "%s: no W+X page in either half" % what, wx_problems(w.leaves) + w.problems)
        check_pt_aliases(t, what, w, layout)
        if not extra:
            check_timer(t, what, hmp, regs, serial)
    finally:
        run.stop()


def check_cooperative(t):
    got = boot_spin(t, "aspace-cooperative", "user=spin slice=0")
    if not got:
        return
    run, hmp, regs, serial = got
    try:
        t.result("sched: cooperative round robin (slice=0)" in serial,
                 "slice=0: the kernel says scheduling is cooperative", run.serial_tail())
        check_timer(t, "slice=0", hmp, regs, serial, preemptive=False)
    finally:
        run.stop()


def check_no_lapic(t):
    run = qemu.Boot(TOP, "aspace-no-lapic", ARTIFACTS, cpu="qemu64,-apic", cmdline="user=hello",
                    hard_timeout=180)
    run.start()
    try:
        ok = run.wait_for([r"^lapic timer: not used: .*broken", r"^sched: cooperative round "
                           r"robin: no usable LAPIC timer", r"^user: process \d+ \(hello\) "
                           r"exited, status 0, preempted 0 times", r"^carto> "], timeout=150)
        t.result(ok is not None, "no LAPIC (-cpu qemu64,-apic): reported, the scheduler "
                 "cooperative, hello exits 0, the monitor starts", run.serial_tail())
    finally:
        run.stop()


def check_bench(t, name, extra):
    run = qemu.Boot(TOP, name, ARTIFACTS, cmdline="bench", extra=extra, hard_timeout=240)
    run.start()
    ok = run.wait_for(r"^bench: done", timeout=220)
    serial = run.serial()
    run.stop()
    if not t.result(ok is not None, "%s: bench runs to 'bench: done'" % name, run.serial_tail()):
        return
    figures = {}
    for m in re.finditer(r"^bench: (\S+) (shared|isolated) (\d+)$", serial, re.M):
        figures[(m.group(1), m.group(2))] = int(m.group(3))
    missing = [(test, v) for test in BENCH_TESTS for v in ("shared", "isolated")
               if figures.get((test, v), 0) <= 0]
    t.result(not missing, "%s: 8 figures (4 tests x shared/isolated)" % name,
             ["missing or zero: %s %s" % m for m in missing])
    table = serial[serial.find("\n  benchmark ("):serial.find("bench: done")]
    with open(os.path.join(ARTIFACTS, "%s.txt" % name), "w") as f:
        f.write(table.strip("\n") + "\n")
    for test in BENCH_TESTS:
        if (test, "shared") in figures and (test, "isolated") in figures:
            t.note("%-18s shared %8d  isolated %8d ticks" % (test, figures[(test, "shared")],
                                                         figures[(test, "isolated")]))


def main():
    t = taplib.Tap()
    os.makedirs(ARTIFACTS, exist_ok=True)
    syms = symbols()
    layout = image.layout(TOP)
    check_isolated(t, syms)
    check_shared(t, layout)
    check_isolated(t, syms, "aspace-isolated-explicit", "addressing=explicit")
    check_shared(t, layout, "aspace-shared-explicit", "addressing=explicit")
    check_isolated(t, syms, "aspace-isolated-recursive", "ptaccess=recursive")
    check_shared(t, layout, "aspace-shared-recursive", "ptaccess=recursive")
    check_cooperative(t)
    check_no_lapic(t)
    check_bench(t, "aspace-bench-icount", ["--icount"])
    check_bench(t, "aspace-bench-tcg", [])
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
