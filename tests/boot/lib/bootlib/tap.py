"""tap - TAP output for the boot tests.

Each result is one "ok N - description" / "not ok N - description" line,
followed on failure by "#   " diagnostic lines. done() prints the plan and
the summary line tests/run-suite.sh counts: "N passed, N failed". Every
line that is not a result starts with "#", so text echoed from a guest (a
KTAP "25 passed, 0 failed", say) can never be taken for the summary.
"""
import sys

DIAG_LIMIT = 40       # diagnostic lines shown per failure


class Tap:
    """A TAP stream on `out` (default stdout), flushed after every line."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.n = 0
        self.passed = 0
        self.failed = 0

    def _line(self, text):
        self.out.write(text + "\n")
        self.out.flush()

    def note(self, text):
        """A comment line (or several, split at newlines)."""
        for line in str(text).splitlines() or [""]:
            self._line("# " + line)

    def result(self, ok, desc, diag=None):
        """Record one result; diag (a string or list of lines) is shown only
        on failure. Returns ok, so callers can chain on it."""
        self.n += 1
        desc = desc.replace("\n", " ").replace("#", "no.")
        if ok:
            self.passed += 1
            self._line("ok %d - %s" % (self.n, desc))
            return True
        self.failed += 1
        self._line("not ok %d - %s" % (self.n, desc))
        if isinstance(diag, str):
            diag = diag.splitlines()
        lines = list(diag or [])
        if len(lines) > DIAG_LIMIT:
            lines = lines[:DIAG_LIMIT] + ["... %d more lines" % (len(lines) - DIAG_LIMIT)]
        for line in lines:
            self._line("#   " + line)
        return False

    def done(self):
        """Print the plan and "N passed, N failed"; returns the exit status
        (0 if nothing failed, else 1)."""
        self._line("1..%d" % self.n)
        self._line("%d passed, %d failed" % (self.passed, self.failed))
        return 0 if self.failed == 0 else 1
