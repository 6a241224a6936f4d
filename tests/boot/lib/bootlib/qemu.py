"""qemu - boot Carto in QEMU through scripts/qemu.sh and watch its serial.

    run = Boot(top, "512M-max", artifacts, mem="512M", cpu="max",
               cmdline="fwmap", monitor=True)
    run.start()
    if run.wait_for(r"carto: ready tsc \\d+", timeout=90):
        hmp = run.monitor()
        ...
    run.stop()

With serial_socket=True the guest's serial port is also a unix socket:
run.serial_port() connects to it and returns a SerialPort whose send()
types into the guest (tests/boot/monitor.py drives the monitor so).

Serial output goes to ARTIFACTS/NAME.serial.log, QEMU's own stdout/stderr
to ARTIFACTS/NAME.qemu.log, the monitor transcript to
ARTIFACTS/NAME.monitor.txt. Every run has a hard timeout (qemu.sh
--timeout) besides the waits here, so a hung guest never hangs the tests.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

from . import hmp as hmplib

ANSI = re.compile(r"\x1b\[[0-9;?=]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1bc")
POLL = 0.1            # seconds between looks at the serial log
HARD_TIMEOUT = 300    # default qemu.sh --timeout, seconds


def clean_serial(raw):
    """Serial log text without CRs and terminal escapes."""
    return ANSI.sub("", raw.replace("\r", ""))


class SerialPort:
    """The guest's serial port as a unix-socket client. What the guest
    writes is read by a thread all the time, since QEMU stalls the guest's
    transmitter once the socket's buffer is full, and kept: text() is the
    exact byte stream since the connection. (QEMU 7.2's chardev logfile is
    not: when the socket is full it logs a byte the 16550 then sends again,
    so the serial log can show characters twice.) send() types bytes into
    the guest."""

    def __init__(self, path, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError as e:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise OSError("cannot connect to the serial socket %s: %s" % (path, e))
                time.sleep(0.1)
        self._received = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self):
        try:
            while True:
                data = self.sock.recv(1 << 16)
                if not data:
                    break
                with self._lock:
                    self._received += data
        except OSError:
            pass

    def text(self):
        """Everything received since the connection, cleaned as the log."""
        with self._lock:
            raw = bytes(self._received)
        return clean_serial(raw.decode("utf-8", "replace"))

    def send(self, data):
        """Type the bytes data (str is encoded as Latin-1)."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Boot:
    """One QEMU run of Carto. Options mirror scripts/qemu.sh: mem, cpu,
    machine, smp, phys_bits, cmdline, selftest (adds "selftest" and the
    isa-debug-exit device), monitor (an HMP socket), serial_socket (serial
    also on a socket, see serial_port()), firmware, esp (the boot volume
    tree, default esp/), extra (more qemu.sh options) and qemu_args (raw
    QEMU arguments after --)."""

    def __init__(self, top, name, artifacts, mem="512M", cpu="max", machine="q35",
                 smp=1, phys_bits=None, cmdline="", selftest=False, monitor=False,
                 firmware="default", esp=None, extra=(), qemu_args=(), hard_timeout=HARD_TIMEOUT,
                 serial_socket=False):
        self.top = top
        self.name = name
        self.artifacts = artifacts
        self.opts = dict(mem=mem, cpu=cpu, machine=machine, smp=smp, phys_bits=phys_bits,
                         cmdline=cmdline, selftest=selftest, firmware=firmware, esp=esp)
        self.want_monitor = monitor
        self.want_serial_socket = serial_socket
        self.serial_socket_path = None
        self._serial_port = None
        self.extra = list(extra)
        self.qemu_args = list(qemu_args)
        self.hard_timeout = hard_timeout
        self.serial_path = os.path.join(artifacts, name + ".serial.log")
        self.qemu_log_path = os.path.join(artifacts, name + ".qemu.log")
        self.monitor_log_path = os.path.join(artifacts, name + ".monitor.txt")
        self.proc = None
        self.status = None
        self.hmp = None
        self._tmp = None
        self._monitor_log = None
        self.started_at = None
        self.monitor_path = None
        self._why = None
        self._signalled = False

    def command(self):
        """The scripts/qemu.sh command line this run uses."""
        o = self.opts
        cmd = [os.path.join(self.top, "scripts", "qemu.sh"), "--mem", o["mem"], "--cpu", o["cpu"],
               "--machine", o["machine"], "--smp", str(o["smp"]), "--firmware", o["firmware"],
               "--serial-log", self.serial_path, "--timeout", str(self.hard_timeout)]
        if o["phys_bits"]:
            cmd += ["--phys-bits", str(o["phys_bits"])]
        if o["cmdline"]:
            cmd += ["--cmdline", o["cmdline"]]
        if o["selftest"]:
            cmd.append("--selftest")
        if o["esp"]:
            cmd += ["--esp", o["esp"]]
        if self.want_monitor:
            cmd += ["--monitor", self.monitor_path]
        if self.want_serial_socket:
            cmd += ["--serial-socket", self.serial_socket_path]
        cmd += self.extra
        if self.qemu_args:
            cmd += ["--"] + self.qemu_args
        return cmd

    def start(self):
        """Start QEMU (in its own process group) and return at once."""
        os.makedirs(self.artifacts, exist_ok=True)
        for path in (self.serial_path, self.qemu_log_path, self.monitor_log_path):
            if os.path.exists(path):
                os.unlink(path)
        # A short private directory: unix socket paths are limited to 108 bytes.
        self._tmp = tempfile.TemporaryDirectory(prefix="carto-boot.")
        self.monitor_path = os.path.join(self._tmp.name, "monitor.sock")
        self.serial_socket_path = os.path.join(self._tmp.name, "serial.sock")
        with open(self.qemu_log_path, "w") as log:
            log.write("$ %s\n" % " ".join(self.command()))
            log.flush()
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         cwd=self.top)
        self.started_at = time.monotonic()
        self._signalled = False

    def elapsed(self):
        """Seconds since start()."""
        return time.monotonic() - self.started_at if self.started_at else 0.0

    def serial(self):
        """Everything the guest has written to serial so far, cleaned."""
        try:
            with open(self.serial_path, "rb") as f:
                return clean_serial(f.read().decode("utf-8", "replace"))
        except FileNotFoundError:
            return ""

    def serial_tail(self, lines=25):
        """The last lines of the serial log, for failure diagnostics."""
        text = self.serial().rstrip("\n").splitlines()
        head = ["serial log %s (last %d lines):" % (self.serial_path, min(lines, len(text)))]
        return head + (text[-lines:] if text else ["(empty)"])

    def running(self):
        """True while QEMU has not exited (records the exit status)."""
        if self.proc is None or self.status is not None:
            return False
        self.status = self.proc.poll()
        return self.status is None

    def wait_for(self, patterns, timeout):
        """Wait until every regex in patterns (one string or a list) matches
        the serial log. Returns the list of match objects, or None if QEMU
        exited or timeout seconds passed first (see why())."""
        if isinstance(patterns, str):
            patterns = [patterns]
        regexes = [re.compile(p, re.M) for p in patterns]
        deadline = time.monotonic() + timeout
        self._why = None
        while True:
            text = self.serial()
            matches = [r.search(text) for r in regexes]
            if all(matches):
                return matches
            if not self.running():
                self._why = "QEMU exited with status %s first" % self.status
                return None
            if time.monotonic() > deadline:
                missing = [p for p, m in zip(patterns, matches) if not m]
                self._why = "no %s on serial within %.0f s" % (" / ".join(map(repr, missing)), timeout)
                return None
            time.sleep(POLL)

    def why(self):
        """Why the last wait_for / wait_exit failed, as text."""
        return self._why or "?"

    def wait_quiet(self, quiet=1.0, timeout=10.0):
        """Wait until the serial log has not grown for `quiet` seconds (or
        timeout); used to let a fault report finish before reading it."""
        deadline = time.monotonic() + timeout
        size, since = -1, time.monotonic()
        while time.monotonic() < deadline and self.running():
            now = os.path.getsize(self.serial_path) if os.path.exists(self.serial_path) else 0
            if now != size:
                size, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return True
            time.sleep(POLL)
        return False

    def wait_exit(self, timeout):
        """Wait for QEMU to exit by itself; returns its exit status (qemu.sh
        passes QEMU's through: 33/35 from isa-debug-exit, 124 for the hard
        timeout) or None if it is still running after timeout seconds."""
        try:
            self.status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._why = "QEMU still running after %.0f s" % timeout
            return None
        return self.status

    def monitor(self, timeout=30.0):
        """The HMP connection (made on first use). Needs monitor=True."""
        if not self.want_monitor:
            raise hmplib.HmpError("%s was started without a monitor" % self.name)
        if self.hmp is None:
            self._monitor_log = open(self.monitor_log_path, "w")
            self.hmp = hmplib.Hmp(self.monitor_path, timeout=timeout, log=self._monitor_log)
        return self.hmp

    def serial_port(self, timeout=30.0):
        """The SerialPort (connected on first use). Needs serial_socket=True."""
        if not self.want_serial_socket:
            raise OSError("%s was started without a serial socket" % self.name)
        if self._serial_port is None:
            self._serial_port = SerialPort(self.serial_socket_path, timeout)
        return self._serial_port

    def stop(self):
        """End QEMU if it still runs (monitor `quit`, else SIGTERM then
        SIGKILL to the process group this run started) and clean up."""
        if self.proc is not None and self.running():
            if self.hmp is not None:
                self.hmp.quit()
                self._wait_or_none(10)
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if not self.running():
                    break
                self._signalled = True
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                self._wait_or_none(10)
        if self.hmp is not None:
            self.hmp.close()
        if self._serial_port is not None:
            self._serial_port.close()
            self._serial_port = None
        if self._monitor_log:
            self._monitor_log.close()
            self._monitor_log = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def killed_from_outside(self):
        """If QEMU was ended by a signal this run did not send (someone
        else's cleanup on a shared machine), QEMU's own line saying so;
        else None. The hard timeout (exit status 124) does not count."""
        if self._signalled or self.status == 124:
            return None
        try:
            with open(self.qemu_log_path) as f:
                for line in f:
                    if "terminating on signal" in line:
                        return line.strip()
        except FileNotFoundError:
            pass
        return None

    def _wait_or_none(self, timeout):
        try:
            self.status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
