#!/usr/bin/env python3
"""monitor.py - the `carto>` monitor driven from outside, as a user would:
typing on the serial port (a unix socket) and on the PS/2 keyboard (the
QEMU monitor's `sendkey`). Run by test_monitor.sh.

usage: tests/boot/monitor.py [--artifacts DIR] [--boot-timeout SEC] [--self-check]

Boot 1 (512 MiB, -cpu max, serial socket + HMP), over serial:
  - `help` lists every command; `help pt` describes one, `help nosuch` is
    refused;
  - `pt 0xffffffff80000000` and `pt` of a direct-map address: every entry
    printed is the one in the live page tables (read with `xp` from CR3
    down), and the physical address printed is QEMU's own (`gva2gpa`);
  - bad input gets one line of error and the prompt again: `pt xyz`, `pt`
    alone, `pt 1 2`, a non-canonical `pt 0x0000800000000000`, an unknown
    command, a line longer than the buffer;
  - editing: Backspace (DEL), Home + insert, Left, Delete, Ctrl+U, Ctrl+C,
    and the history (Up runs the last command again; Up Up Down);
  - memmap, fwmap, iomem, frames, report print what they should;
  - selftest runs the self-tests twice in a row, all passing, and QEMU is
    still running after them (the monitor never ends QEMU);
  - 20000 random bytes, then Ctrl+C and `help`: the monitor still answers;
then over PS/2 (sendkey): `help`, `pt ffffffff80000000`, Caps Lock and
Shift, Backspace, the arrows and the history, and a storm of 400 random
keys followed by Ctrl+C and `help`. No panic or exception anywhere.

Boot 1b: a USB keyboard (usb-kbd on qemu-xhci): `help` typed on it with
sendkey runs; Shift+PgUp scrolls the screen back to the report's first
line and another key returns to the prompt (read from screendumps).

Boot 2 (addressing=explicit: no direct map), over serial: report, memmap,
fwmap and frames print what they should (the hand-off data through the
hand-off window); `pt 0xffffffff80000000` is the live walk; `pt` of a
direct-map address says it is not mapped, as QEMU does; `bench map`
prints its bench lines (variant explicit) and `bench: done`; `bench
null-syscall` and `bench user-pagefault` (user processes, shared and
isolated) run twice, and the free frames after both runs are equal;
`bench nosuch` is refused in one line.

Boot 3: "selftest=lib" without QEMU's exit device: the results are printed
and the machine powers off (no prompt).
Boot 4: q35 without its i8042 (-machine i8042=off): one "ps2: no i8042
controller" line, and the serial keyboard alone works.
Boot 5: no serial port and no i8042: "monitor: no keyboard ...; halting"
on screen (read from a screendump) and the CPU halted.

--self-check also feeds the checks wrong answers (a walk that differs from
the live tables, a help list missing a command) and fails if one passes.
Prints TAP; the last line is "N passed, N failed".
"""
import argparse
import os
import random
import re
import sys
import time

sys.dont_write_bytecode = True
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))

from bootlib import qemu, screen                            # noqa: E402
from bootlib import hmp as hmplib                           # noqa: E402
from bootlib.tap import Tap                                 # noqa: E402

READY = r"^carto: ready tsc \d+"
FONT_C = os.path.join(TOP, "build", "kernel", "font.c")
PROMPT = "carto> "
COMMANDS = ("help", "report", "memmap", "fwmap", "iomem", "frames", "pt", "selftest", "bench",
            "reboot", "poweroff")
LINE_MAX = 127                  # characters a line may hold (MONITOR_LINE_MAX - 1)
ANSWER_TIMEOUT = 60.0           # seconds for one command's answer
KERNEL_VA = 0xffffffff80000000
DMAP_VA = 0xffff800000200000    # direct map of physical 2 MiB: RAM on every PC guest
ADDR_MASK = 0x000ffffffffff000
LEVELS = {"PML4": 4, "PDPT": 3, "PD": 2, "PT": 1}
WALK_LINE = re.compile(r"^  (PML4|PDPT|PD|PT) *\[ *(\d+)\] ([0-9a-f]{16}) (.*)$", re.M)
PHYS_LINE = re.compile(r"^  ([0-9a-f]+) -> phys ([0-9a-f]+) \((4K|2M|1G) page\)$", re.M)
BAD = re.compile(r"^(panic: .*|exception #.*|unexpected interrupt.*)$", re.M)
KEYS = {" ": "spc", "\n": "ret", "\b": "backspace", "/": "slash", ".": "dot", "-": "minus",
        "[": "bracket_left", "]": "bracket_right"}


class Session:
    """One boot's monitor, typed into over serial or PS/2, read on serial."""

    def __init__(self, run):
        self.run = run
        self.port = run.serial_port()
        self.hmp = run.monitor()

    def _wait_prompt(self, start, timeout):
        """Output after text offset start, up to and including the next
        prompt that ends the log; None on a timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.port.text()
            if text.endswith(PROMPT) and len(text) > start and PROMPT in text[start:]:
                return text[start:]
            if not self.run.running():
                return None
            time.sleep(0.1)
        return None

    def type_serial(self, data, timeout=ANSWER_TIMEOUT):
        """Type data (ending in Enter) on serial; returns what the kernel
        printed after it, the echo included, up to the next prompt."""
        start = len(self.port.text())
        self.port.send(data)
        return self._wait_prompt(start, timeout)

    def type_ps2(self, keys, timeout=ANSWER_TIMEOUT):
        """Type QEMU key names (a list) with sendkey; as type_serial."""
        start = len(self.port.text())
        for k in keys:
            self.hmp.cmd("sendkey %s" % k)
        return self._wait_prompt(start, timeout)

    def output(self, answer):
        """The command's output: the answer without its echo line and the
        final prompt."""
        if answer is None:
            return None
        body = answer[:-len(PROMPT)]
        nl = body.find("\n")
        return body[nl + 1:] if nl >= 0 else ""


def ps2_keys(text):
    """sendkey names that type text (lower case, digits, a few signs)."""
    return [KEYS.get(c, c) for c in text]


def points_to(entry, level, desc):
    """The address an entry points to as pte_describe prints it: a large
    leaf's address is aligned to its page size (which drops the PAT bit)."""
    addr = entry & ADDR_MASK
    if level > 1 and "page)" in desc:
        addr &= ~((1 << (12 + 9 * (level - 1))) - 1)
    return addr


def check_walk(out, va, hmp):
    """The walk `pt` printed is the live page tables' (xp from CR3), and its
    physical address QEMU's gva2gpa. Returns a list of problems ([]: ok)."""
    problems = []
    if out is None:
        return ["no answer"]
    walk = WALK_LINE.findall(out)
    phys = PHYS_LINE.search(out)
    if len(walk) < 2 or not phys:
        return ["no walk or no '-> phys' line in %r" % out[:400]]
    regs = hmplib.parse_registers(hmp.cmd("info registers"))
    table = regs["CR3"] & ADDR_MASK
    want_level = 4
    for name, index, value, desc in walk:
        index, value = int(index), int(value, 16)
        if LEVELS[name] != want_level:
            problems.append("%s where level %d was due" % (name, want_level))
        if index != (va >> (12 + 9 * (LEVELS[name] - 1))) & 0x1ff:
            problems.append("%s index %d is not va's" % (name, index))
        live = hmp.read_qwords(table + 8 * index, 1)[0]
        if live != value:
            problems.append("%s[%d] printed %016x, the live table at %#x has %016x"
                            % (name, index, value, table + 8 * index, live))
        if not desc.startswith("P ") or "-> %#x" % points_to(value, LEVELS[name], desc) not in desc:
            problems.append("%s entry %016x decoded as %r" % (name, value, desc))
        table = value & ADDR_MASK
        want_level -= 1
    got_va, got_pa = int(phys.group(1), 16), int(phys.group(2), 16)
    live_pa = hmp.translate(va)
    if got_va != va or live_pa is None or got_pa != live_pa:
        problems.append("pt says %x -> %x; QEMU's gva2gpa %#x -> %s"
                        % (got_va, got_pa, va, "%#x" % live_pa if live_pa is not None else "unmapped"))
    return problems


def check_help(out):
    if out is None:
        return ["no answer"]
    listed = re.findall(r"^  (\S+)", out, re.M)
    return ["'%s' is not listed" % c for c in COMMANDS if c not in listed]


def one_error(out, pattern):
    """out is exactly one line matching pattern."""
    if out is None:
        return ["no answer (no prompt came back)"]
    lines = out.rstrip("\n").split("\n")
    if len(lines) != 1 or not re.search(pattern, lines[0]):
        return ["expected one line matching %r, got %r" % (pattern, out[:300])]
    return []


class Runner:
    def __init__(self, args):
        self.args = args
        self.tap = Tap()
        self.rng = random.Random(1234)

    def boot(self, name, **kw):
        t = self.args.boot_timeout
        return qemu.Boot(TOP, name, self.args.artifacts, hard_timeout=int(max(300, 3 * t)), **kw)

    def result(self, problems, desc, run=None):
        diag = list(problems)
        if problems and run is not None:
            diag += run.serial_tail()
        return self.tap.result(not problems, desc, diag)

    # ---- serial ------------------------------------------------------------------------

    def serial_tests(self, s):
        out = s.output(s.type_serial("help\r"))
        self.result(check_help(out), "serial: help lists every command (%s)" % ", ".join(COMMANDS))
        self.result(one_error(s.output(s.type_serial("help pt\r")), r"^  pt VA +walk"),
                    "serial: 'help pt' describes pt in one line")
        self.result(one_error(s.output(s.type_serial("help nosuch\r")), r"^help: no command 'nosuch'$"),
                    "serial: 'help nosuch' is refused in one line")
        for va in (KERNEL_VA, DMAP_VA):
            out = s.output(s.type_serial("pt %#x\r" % va))
            self.result(check_walk(out, va, s.hmp), "serial: pt %#x prints the live page-table "
                        "entries, decoded, and QEMU's physical address" % va, s.run)
        bad = [("pt xyz", r"^pt: 'xyz' is not an address"),
               ("pt", r"^pt: missing arguments \(usage: pt VA\)$"),
               ("pt 1 2", r"^pt: too many arguments \(usage: pt VA\)$"),
               ("pt 0x0000800000000000", r"^pt: 800000000000 is not canonical"),
               ("pt 0x1ffffffffffffffff", r"^pt: '0x1ffffffffffffffff' is not an address"),
               ("frames 1", r"^frames: takes no arguments$"),
               ("nosuch 1 2", r"^monitor: unknown command 'nosuch'"),
               ("x" * (LINE_MAX + 60), r"^monitor: line longer than %d characters refused$" % LINE_MAX)]
        for line, pattern in bad:
            shown = line if len(line) < 40 else "%s... (%d characters)" % (line[:8], len(line))
            self.result(one_error(s.output(s.type_serial(line + "\r")), pattern),
                        "serial: '%s' gets one line of error and the prompt" % shown)
        out = s.output(s.type_serial("x" * LINE_MAX + "\r"))
        self.result(one_error(out, r"^monitor: unknown command 'x{%d}'" % LINE_MAX),
                    "serial: a line of exactly %d characters is taken whole" % LINE_MAX)
        self.editing_tests(s)
        self.command_tests(s)
        self.storm_serial(s)

    def editing_tests(self, s):
        cases = [("Backspace (DEL) deletes", "helpx\x7f\r", r"^commands \("),
                 ("Home, then typing inserts", "elp\x1b[Hh\r", r"^commands \("),
                 ("Left, then typing inserts", "hlp\x1b[D\x1b[De\x1b[F\r", r"^commands \("),
                 ("Delete deletes at the cursor", "helpp\x1b[D\x1b[3~\r", r"^commands \("),
                 ("Ctrl+U clears the line", "pt xyz\x15help\r", r"^commands \(")]
        for desc, keys, pattern in cases:
            out = s.output(s.type_serial(keys))
            ok = out is not None and re.search(pattern, out, re.M) and "unknown command" not in out
            self.result([] if ok else ["got %r" % (out or "")[:300]], "serial editing: %s" % desc)
        answer = s.type_serial("pt xyz\x03")
        self.result([] if answer is not None and answer.endswith("^C\n" + PROMPT) and
                    "not an address" not in answer else ["got %r" % answer],
                    "serial editing: Ctrl+C abandons the line (^C, nothing runs)")
        s.type_serial("iomem\r")
        out = s.output(s.type_serial("\x1b[A\r"))
        self.result([] if out and out.startswith("iomem: ") else ["got %r" % (out or "")[:200]],
                    "serial history: Up + Enter runs the last command (iomem) again")
        s.type_serial("frames\r")
        out = s.output(s.type_serial("\x1b[A\x1b[A\x1b[A\x1b[B\r"))
        self.result([] if out and out.startswith("iomem: ") else ["got %r" % (out or "")[:200]],
                    "serial history: Up Up Up Down picks the second most recent (iomem)")

    def command_tests(self, s):
        checks = [("memmap", "the clean map's entries",
                   r"^  \[[0-9a-f]{16}, [0-9a-f]{16}\) Conventional"),
                  ("fwmap", "the dump-format map, header to end line",
                   r"^Carto memory map dump v1$[\s\S]*^end of map: \d+ descriptors$"),
                  ("iomem", "the registry table",
                   r"^iomem: \d+ of \d+ registry nodes in use[\s\S]*System RAM"),
                  ("frames", "the allocator's counts and its machine-readable line",
                   r"^frames: [\s\S]*^frames: init_tsc=\d+ meta_bytes=\d+"),
                  ("report", "the boot report (firmware, direct map, frames)",
                   r"^Carto kernel: firmware [\s\S]*^direct map: [\s\S]*^frames: ")]
        for cmd, what, pattern in checks:
            out = s.output(s.type_serial(cmd + "\r"))
            ok = out is not None and re.search(pattern, out, re.M)
            self.result([] if ok else ["got %r" % (out or "")[:400]],
                        "serial: %s prints %s" % (cmd, what))
        for n in (1, 2):
            out = s.output(s.type_serial("selftest\r", timeout=240))
            m = re.search(r"^(\d+) passed, (\d+) failed(?:, \d+ skipped)?$", out or "", re.M)
            ok = out is not None and out.startswith("KTAP version 1") and m and \
                int(m.group(1)) > 10 and m.group(2) == "0" and s.run.running()
            self.result([] if ok else ["got %r" % (out or "")[-600:]],
                        "serial: selftest run %d from the monitor: %s, QEMU still running"
                        % (n, "%s passed, %s failed" % m.groups() if m else "no result line"))

    def after_storm(self, s, send_ctrl_u, type_help):
        """Once the storm's keys are handled (the serial log is quiet), end
        whatever line it left, type help, and check the list comes."""
        s.run.wait_quiet(quiet=2.0, timeout=180)
        s.run.wait_quiet(quiet=2.0, timeout=180)
        send_ctrl_u()
        out = s.output(type_help())
        # The storm may have left Caps Lock on, or held (a lost release:
        # the next press only ends the hold): press it until help is typed.
        for _ in range(2):
            if out is None or "unknown command 'HELP'" not in out:
                break
            out = s.output(s.type_ps2(["caps_lock"] + ps2_keys("help\n")))
        return check_help(out) if out is not None else ["no prompt came back"]

    def storm_serial(self, s):
        noise = bytes(self.rng.randrange(256) for _ in range(20000))
        start = time.monotonic()
        s.port.send(noise)
        problems = self.after_storm(s, lambda: s.type_serial("\x03"),
                                    lambda: s.type_serial("help\r"))
        self.result(problems, "serial: 20000 random bytes, then Ctrl+C and help: the monitor "
                    "answers (%.0f s)" % (time.monotonic() - start), s.run)

    # ---- PS/2 --------------------------------------------------------------------------------

    def ps2_tests(self, s):
        out = s.output(s.type_ps2(ps2_keys("help\n")))
        self.result(check_help(out), "ps2: help typed with sendkey lists every command")
        out = s.output(s.type_ps2(ps2_keys("pt ffffffff80000000\n")))
        self.result(check_walk(out, KERNEL_VA, s.hmp), "ps2: pt ffffffff80000000 typed with "
                    "sendkey walks the live page tables", s.run)
        out = s.output(s.type_ps2(["caps_lock"] + ps2_keys("he") + ["caps_lock", "shift-l",
                                                                 "p", "ret"]))
        self.result(one_error(out, r"^monitor: unknown command 'HELp' "),
                    "ps2: Caps Lock and Shift: typing he (caps) shift-l p gives 'HELp'")
        out = s.output(s.type_ps2(ps2_keys("hexlp") + ["left", "left", "backspace", "end",
                                                       "ret"]))
        self.result([] if out and out.startswith("commands (") else ["got %r" % (out or "")[:200]],
                    "ps2: Left, Backspace, End edit the line (hexlp -> help)")
        out = s.output(s.type_ps2(ps2_keys("pt xyz") + ["ctrl-u"] + ps2_keys("iomem\n")))
        self.result([] if out and out.startswith("iomem: ") else ["got %r" % (out or "")[:200]],
                    "ps2: Ctrl+U clears the line")
        out = s.output(s.type_ps2(["up", "ret"]))
        self.result([] if out and out.startswith("iomem: ") else ["got %r" % (out or "")[:200]],
                    "ps2: Up + Enter runs the last command again")
        keys = [k for k in ("a", "z", "x", "ret", "backspace", "left", "right", "up", "down",
                            "home", "end", "delete", "pgup", "shift-pgup", "kp_5", "caps_lock",
                            "esc", "f1", "ctrl-a", "alt-x", "num_lock", "tab", "spc", "1")]
        storm = [self.rng.choice(keys) for _ in range(400)]
        start = time.monotonic()
        for k in storm:
            s.hmp.cmd("sendkey %s" % k)
        # QEMU's PS/2 queue holds 16 bytes: a storm this fast loses key
        # releases, as a real keyboard's overrun would. Pressing and
        # releasing each modifier, as a user would, un-sticks them.
        problems = self.after_storm(s, lambda: s.type_ps2(["shift", "ctrl", "alt", "ctrl-c"]),
                                    lambda: s.type_ps2(ps2_keys("help\n")))
        self.result(problems, "ps2: a storm of 400 random keys, then Ctrl+C and help: the "
                    "monitor answers (%.0f s)" % (time.monotonic() - start), s.run)

    # ---- boots -------------------------------------------------------------------------------

    def monitor_boot(self):
        t = self.args.boot_timeout
        with self.boot("monitor", cmdline="", monitor=True, serial_socket=True) as run:
            if not run.wait_for([READY, r"^carto> "], t):
                self.result([run.why()], "boots to the carto> prompt", run)
                return
            self.tap.result(True, "boots to \"carto: ready\" and the carto> prompt (%.1f s)"
                            % run.elapsed())
            try:
                s = Session(run)
                self.serial_tests(s)
                self.ps2_tests(s)
                if self.args.self_check:
                    self.self_check(s)
            except (OSError, hmplib.HmpError) as e:
                self.result(["%s: %s" % (type(e).__name__, e)], "the serial socket and the "
                            "QEMU monitor stay usable", run)
            serial = run.serial()
            bad = [m.group(0) for m in BAD.finditer(serial)]
            self.result(bad, "no panic, exception or fault in the whole session", run)

    def explicit_boot(self):
        """addressing=explicit: the monitor's commands without a direct map."""
        t = self.args.boot_timeout
        with self.boot("monitor-explicit", cmdline="addressing=explicit", monitor=True,
                       serial_socket=True) as run:
            if not run.wait_for([READY, r"^carto> "], t):
                self.result([run.why()], "explicit: boots to the carto> prompt", run)
                return
            try:
                s = Session(run)
                checks = [("report", r"^addressing: explicit: no direct map[\s\S]*^frames: "),
                          ("memmap", r"^  \[[0-9a-f]{16}, [0-9a-f]{16}\) Conventional"),
                          ("fwmap", r"^Carto memory map dump v1$[\s\S]*^end of map: \d+ descriptors$"),
                          ("frames", r"^frames: [\s\S]*^frames: init_tsc=\d+ meta_bytes=\d+"),
                          ("bench map", r"^bench: map-unmap-4k explicit \d+$[\s\S]*^bench: done$")]
                for cmd, pattern in checks:
                    out = s.output(s.type_serial(cmd + "\r", timeout=120))
                    ok = out is not None and re.search(pattern, out, re.M)
                    self.result([] if ok else ["got %r" % (out or "")[:400]],
                                "explicit: %s prints what it should" % cmd, run)
                self.aspace_bench_twice(s, run)
                self.result(one_error(s.output(s.type_serial("bench nosuch\r")),
                                      r"^bench: no benchmark name starts with 'nosuch'$"),
                            "explicit: 'bench nosuch' is refused in one line")
                out = s.output(s.type_serial("pt %#x\r" % KERNEL_VA))
                self.result(check_walk(out, KERNEL_VA, s.hmp), "explicit: pt %#x is the live "
                            "walk and QEMU's physical address" % KERNEL_VA, run)
                out = s.output(s.type_serial("pt %#x\r" % DMAP_VA))
                live = s.hmp.translate(DMAP_VA)
                ok = out is not None and re.search(r"^  %x is not mapped$" % DMAP_VA, out, re.M)
                self.result([] if ok and live is None else
                            ["pt said %r; QEMU's gva2gpa %s" % ((out or "")[-200:], live)],
                            "explicit: pt %#x (the direct map's place) is not mapped, and QEMU "
                            "agrees" % DMAP_VA, run)
            except (OSError, hmplib.HmpError) as e:
                self.result(["%s: %s" % (type(e).__name__, e)], "explicit: the serial socket "
                            "and the QEMU monitor stay usable", run)
            bad = [m.group(0) for m in BAD.finditer(run.serial())]
            self.result(bad, "explicit: no panic, exception or fault in the session", run)

    def aspace_bench_twice(self, s, run):
        """`bench null-syscall` and `bench user-pagefault` (processes in
        user mode, shared and isolated) twice from the monitor: each prints
        both variants, and the free frames after the second run equal those
        after the first (every process's frames and page tables came back)."""
        free = []
        for i in range(2):
            for prefix in ("null-syscall", "user-pagefault"):
                out = s.output(s.type_serial("bench %s\r" % prefix, timeout=180))
                ok = out is not None and all(
                    re.search(r"^bench: %s %s \d+$" % (prefix, v), out, re.M)
                    for v in ("shared", "isolated")) and re.search(r"^bench: done$", out, re.M)
                self.result([] if ok else ["got %r" % (out or "")[-400:]],
                            "explicit: bench %s (run %d) prints its shared and isolated lines"
                            % (prefix, i + 1), run)
            out = s.output(s.type_serial("frames\r")) or ""
            m = re.search(r"free_bytes=(\d+)", out)
            free.append(int(m.group(1)) if m else None)
        self.result([] if free[0] is not None and free[0] == free[1] else
                    ["free bytes after run 1 %s, after run 2 %s" % tuple(free)],
                    "explicit: the user-mode benchmarks run again from the monitor and give "
                    "every frame back (%s bytes free after each run)" % free[0], run)

    def selftest_halt_boot(self):
        t = self.args.boot_timeout
        with self.boot("monitor-selftest-halt", cmdline="selftest=lib") as run:
            problems = []
            if not run.wait_for(r"^\d+ passed, \d+ failed", t):
                problems.append(run.why())
            else:
                status = run.wait_exit(t)
                after = run.serial().split("KTAP version 1", 1)[-1]
                if PROMPT in after:
                    problems.append("the prompt came after the self-tests")
                if status != 0:
                    problems.append("QEMU did not power off by itself (status %s)" % status)
                if "power: power-off by" not in after:
                    problems.append("no 'power: power-off by' line after the results")
            self.result(problems, "selftest=lib without the exit device: results, then the "
                        "machine powers off with no prompt", run)

    def no_i8042_boot(self):
        """q35 without its i8042: the probe says so in one line and the
        serial keyboard alone works."""
        t = self.args.boot_timeout
        with self.boot("monitor-no-i8042", machine="q35,i8042=off", serial_socket=True,
                       monitor=True) as run:
            problems = []
            if not run.wait_for([READY, r"^carto> "], t):
                problems.append(run.why())
            else:
                if not re.search(r"^ps2: no i8042 controller \(status port 0x64 reads 0xff\); "
                                 r"not used$", run.serial(), re.M):
                    problems.append("no 'ps2: no i8042 controller ...; not used' line")
                s = Session(run)
                problems += check_help(s.output(s.type_serial("help\r")))
            self.result(problems, "no i8042 (q35,i8042=off): reported in one line, skipped; "
                        "help typed on serial answers", run)

    def no_keyboard_boot(self):
        """No serial port and no i8042: the monitor says there is no
        keyboard, on screen, and the CPU halts."""
        t = self.args.boot_timeout
        ppm = os.path.join(self.args.artifacts, "monitor-no-keyboard.ppm")
        problems = []
        with self.boot("monitor-no-keyboard", machine="q35,i8042=off", monitor=True,
                       extra=["--no-serial"]) as run:
            font, text = screen.Font.from_c(FONT_C), []
            deadline = time.monotonic() + t
            while time.monotonic() < deadline and run.running():
                time.sleep(3)
                run.monitor().cmd("screendump %s" % ppm)
                text = screen.read_text(screen.read_ppm(ppm), font)
                if any(l.startswith("monitor: no keyboard") for l in text):
                    break
            if not any(l == "monitor: no keyboard (no serial port, PS/2 or USB keyboard); halting"
                       for l in text):
                problems.append("no 'monitor: no keyboard ...; halting' line on screen; last "
                                "lines: %r" % text[-4:])
            else:
                time.sleep(1)
                regs = hmplib.parse_registers(run.monitor().cmd("info registers"))
                if regs.get("HLT") != 1:
                    problems.append("the CPU is not halted (HLT=%s)" % regs.get("HLT"))
            if os.path.exists(ppm):
                os.unlink(ppm)
        self.result(problems, "no serial port and no i8042: 'no keyboard' on screen, then the "
                    "CPU halts", run)

    def self_check(self, s):
        good = s.output(s.type_serial("pt %#x\r" % KERNEL_VA))
        wrong = []
        m = WALK_LINE.search(good or "")
        if m:
            flipped = good.replace(m.group(3), "%016x" % (int(m.group(3), 16) ^ 0x1000), 1)
            if not check_walk(flipped, KERNEL_VA, s.hmp):
                wrong.append("a walk entry that differs from the live table")
        p = PHYS_LINE.search(good or "")
        if p:
            moved = good.replace("phys " + p.group(2), "phys %x" % (int(p.group(2), 16) + 0x1000))
            if not check_walk(moved, KERNEL_VA, s.hmp):
                wrong.append("a physical address that is not QEMU's")
        if not check_walk(good, KERNEL_VA + 0x1000, s.hmp):
            wrong.append("the walk of another address")
        if not check_help("  help [COMMAND] x\n  pt VA y\n"):
            wrong.append("a help list missing commands")
        if not one_error("a\nb\n", r"a"):
            wrong.append("two lines taken for one error line")
        self.tap.result(not wrong and m and p, "self-check: the checks catch 5 wrong answers", wrong)

    def screen_text(self, run, ppm, font):
        """The text on screen now (a screendump read back with the font)."""
        run.monitor().cmd("screendump %s" % ppm)
        return screen.read_text(screen.read_ppm(ppm), font)

    def usb_scrollback_boot(self):
        """A USB keyboard (usb-kbd on qemu-xhci, the newest keyboard, so
        sendkey types on it) drives the monitor, and Shift+PgUp on it
        scrolls the screen back to the report's first line; any other key
        returns to the bottom. Read from screendumps."""
        t = self.args.boot_timeout
        ppm = os.path.join(self.args.artifacts, "monitor-usb-scrollback.ppm")
        font = screen.Font.from_c(FONT_C)
        first = "Carto kernel: firmware"
        with self.boot("monitor-usb-scrollback", monitor=True, serial_socket=True,
                       extra=["--usb-keyboard"]) as run:
            s = Session(run)
            problems = []
            if not run.wait_for(r"^usbkbd: keyboard on port", t) or s._wait_prompt(0, t) is None:
                problems.append("no USB keyboard line or no prompt: %s" % run.why())
                self.result(problems, "USB keyboard: help typed on it runs", run)
                return
            out = s.output(s.type_ps2(ps2_keys("help\n")))
            self.result(check_help(out), "USB keyboard: `help` typed on it (sendkey to usb-kbd) "
                        "lists every command", run)
            before = self.screen_text(run, ppm, font)
            if any(l.startswith(first) for l in before):
                problems.append("the report's first line is still on screen: nothing to scroll")
            seen = None
            for i in range(12):
                s.hmp.cmd("sendkey shift-pgup")
                time.sleep(1.0)
                text = self.screen_text(run, ppm, font)
                if any(l.startswith(first) for l in text):
                    seen = i + 1
                    break
            if seen is None:
                problems.append("12 x Shift+PgUp never showed %r; top lines: %r"
                                % (first, self.screen_text(run, ppm, font)[:3]))
            s.hmp.cmd("sendkey ctrl-u")
            time.sleep(1.0)
            after = self.screen_text(run, ppm, font)
            if not after or not after[-1].startswith(PROMPT.rstrip()):
                problems.append("after a key the bottom line is not the prompt: %r" % after[-2:])
            if any(l.startswith(first) for l in after):
                problems.append("after a key the screen still shows the scrolled-back report")
            if os.path.exists(ppm):
                os.unlink(ppm)
            self.result(problems, "scrollback on screen: Shift+PgUp (%s presses) shows the "
                        "report's first line, another key returns to the prompt" % seen, run)

    def run(self):
        self.monitor_boot()
        self.usb_scrollback_boot()
        self.explicit_boot()
        self.selftest_halt_boot()
        self.no_i8042_boot()
        self.no_keyboard_boot()
        return self.tap.done()


def main():
    p = argparse.ArgumentParser(description=__doc__, usage=argparse.SUPPRESS,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--artifacts", default=os.path.join(TOP, "build", "boot-tests"))
    p.add_argument("--boot-timeout", type=float, default=120)
    p.add_argument("--self-check", action="store_true")
    return Runner(p.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
