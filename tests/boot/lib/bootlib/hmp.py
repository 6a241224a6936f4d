"""hmp - the QEMU human monitor (HMP) over a unix socket, and parsers for
the output of the commands the boot tests use.

scripts/qemu.sh --monitor SOCK starts the monitor as a server on SOCK. The
monitor echoes each command with terminal escapes, prints its output and a
new "(qemu) " prompt; Hmp.cmd() returns just the output, CRs removed.
"""
import re
import socket
import time

PROMPT = b"(qemu) "
ANSI = re.compile(r"\x1b\[[0-9;?=]*[A-Za-z]")


class HmpError(Exception):
    """The monitor could not be reached, went away or answered nonsense."""


class Hmp:
    """A connection to one QEMU monitor. Every command is written to the
    transcript file `log` (if given) with its output."""

    def __init__(self, path, timeout=30.0, log=None):
        """Connect to the monitor socket at path, retrying until timeout
        seconds have passed (QEMU creates it a moment after starting)."""
        self.path = path
        self.log = log
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError as e:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise HmpError("cannot connect to the QEMU monitor at %s: %s" % (path, e))
                time.sleep(0.1)
        self._read_prompt(timeout)   # the greeting

    def _read_prompt(self, timeout):
        buf = b""
        deadline = time.monotonic() + timeout
        while not buf.endswith(PROMPT):
            left = deadline - time.monotonic()
            if left <= 0:
                raise HmpError("QEMU monitor at %s: no prompt within %.0f s (got %r)"
                               % (self.path, timeout, buf[-200:]))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                continue
            if not data:
                raise HmpError("QEMU monitor at %s closed the connection" % self.path)
            buf += data
        return buf[:-len(PROMPT)]

    def cmd(self, line, timeout=60.0):
        """Run one monitor command; returns its output (no echo, no prompt,
        no CRs). Raises HmpError if the monitor does not answer in time."""
        self.sock.sendall(line.encode() + b"\n")
        raw = self._read_prompt(timeout).decode("utf-8", "replace")
        # The echo of the command line ends at the first CRLF.
        nl = raw.find("\r\n")
        out = raw[nl + 2:] if nl >= 0 else ""
        out = ANSI.sub("", out).replace("\r", "")
        if self.log:
            self.log.write("(qemu) %s\n%s" % (line, out))
            self.log.flush()
        return out

    def quit(self, timeout=10.0):
        """Tell QEMU to exit; returns when the monitor connection closes."""
        if self.log:
            self.log.write("(qemu) quit\n")
        try:
            self.sock.sendall(b"quit\n")
            self.sock.settimeout(timeout)
            while self.sock.recv(1 << 16):
                pass
        except OSError:
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # ---- memory -------------------------------------------------------------

    def translate(self, va):
        """The physical address the CPU's current page tables map va to
        (`gva2gpa`), or None if va is unmapped."""
        out = self.cmd("gva2gpa %#x" % va).strip()
        m = re.match(r"gpa: (?:0x)?([0-9a-f]+)$", out)
        if m:
            return int(m.group(1), 16)
        if out.startswith("Unmapped"):
            return None
        raise HmpError("gva2gpa %#x: unexpected answer %r" % (va, out))

    def read_qwords(self, addr, count, physical=True):
        """count 64-bit words at addr (physical: `xp`, virtual: `x`).
        Raises HmpError if QEMU cannot read them (unmapped virtual address)."""
        out = self.cmd("%s /%dgx %#x" % ("xp" if physical else "x", count, addr))
        words = parse_memory_dump(out, addr)
        if len(words) != count:
            raise HmpError("%s of %d qwords at %#x: got %d (%s)"
                           % ("xp" if physical else "x", count, addr, len(words),
                              out.strip().splitlines()[:1]))
        return words


# ---- parsers ----------------------------------------------------------------

DUMP_LINE = re.compile(r"^([0-9a-f]+): ((?:0x[0-9a-f]+ ?)+)$")
REG = re.compile(r"\b([A-Z][A-Z0-9]*) ?=([0-9a-fA-F]+)\b")
TLB_LINE = re.compile(r"^([0-9a-f]+): ([0-9a-f]+) ([-XGPDACTUW]{9})$")
MEM_LINE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) ([0-9a-f]+) ([-urwx]+)$")


def parse_memory_dump(text, addr):
    """Words of an `xp /Ngx` or `x /Ngx` output that starts at addr. The
    line addresses must follow each other (else HmpError)."""
    words = []
    for line in text.splitlines():
        m = DUMP_LINE.match(line.strip())
        if not m:
            continue
        at = int(m.group(1), 16)
        if at & 0xffffffffffff != (addr + 8 * len(words)) & 0xffffffffffff:
            raise HmpError("memory dump line at %#x, expected %#x" % (at, addr + 8 * len(words)))
        words.extend(int(w, 16) for w in m.group(2).split())
    return words


def parse_registers(text):
    """`info registers` of the first CPU as a dict of name -> int (CR0,
    CR2, CR3, CR4, EFER, RIP, RFL, HLT, ...). Segment registers map to
    their selector. Raises HmpError if CR0, CR3, CR4 or EFER is missing."""
    first = re.split(r"^CPU#1\b", text, flags=re.M)[0]
    regs = {}
    for m in REG.finditer(first):
        regs.setdefault(m.group(1), int(m.group(2), 16))
    missing = [r for r in ("CR0", "CR3", "CR4", "EFER") if r not in regs]
    if missing:
        raise HmpError("info registers: no %s in %r" % (", ".join(missing), text[:300]))
    return regs


def parse_info_tlb(text):
    """`info tlb`: a list of (va, pa, flags) per leaf, flags the 9 letters
    QEMU prints (X G P D A C T U W, '-' where clear)."""
    out = []
    for line in text.splitlines():
        m = TLB_LINE.match(line.strip())
        if m:
            out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
    return out


def parse_info_mem(text):
    """`info mem`: a list of (start, end, prot) ranges, prot like "-rw"."""
    out = []
    for line in text.splitlines():
        m = MEM_LINE.match(line.strip())
        if m:
            out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(4)))
    return out
