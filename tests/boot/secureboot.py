#!/usr/bin/env python3
"""secureboot.py - Secure Boot test of `make sign` and `make usb` (issue 5),
run by secureboot.sh.

usage: tests/boot/secureboot.py [--artifacts DIR] [--boot-timeout SEC]

Uses the test key Debian's ovmf package ships for exactly this purpose
(/usr/share/ovmf/PkKek-1-snakeoil.key, passphrase "snakeoil" per its
README.Debian), which OVMF_VARS_4M.snakeoil.fd has enrolled in PK, KEK and
db. Steps, each a TAP result:
  1. the key is encrypted and opens with that passphrase, given to
     scripts/sign.sh non-interactively (--passin pass:snakeoil);
  2. sign.sh signs BOOTX64.EFI and memmap.efi; sbverify accepts both copies
     against the snakeoil certificate and refuses the unsigned binaries and
     copies signed with a throwaway key (so the verification can fail);
  3. scripts/mkusb.sh builds three USB images from one snapshot of esp/:
     snakeoil-signed, unsigned, signed with the throwaway key; the signed
     image carries the signed bytes;
  4. boots, one after another, under OVMF_CODE_4M.secboot.fd (q35, SMM,
     secure pflash) with the snakeoil variable store, through
     scripts/qemu.sh --usb IMG --firmware secboot:
       signed      -> "carto: ready", no refusal from the firmware
       unsigned    -> the firmware says Access Denied / Security Violation
                      for the USB boot option, and no "carto:" or
                      "Carto kernel" line ever appears
       wrong key   -> refused the same way (the firmware checks db, not
                      merely that a signature is there)
     and, as the control that makes the refusals mean something, the
     unsigned image under the default (non-Secure-Boot) OVMF -> ready.
     The refusals are also the proof that the firmware enforces Secure Boot.
Prints TAP, one "# time" note per boot, and "N passed, N failed" last.
Serial logs: DIR/sb-*.serial.log (default build/boot-tests/secureboot).
"""
import argparse
import filecmp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "boot", "lib"))

from bootlib import qemu                   # noqa: E402
from bootlib.tap import Tap                # noqa: E402

SNAKEOIL_KEY = "/usr/share/ovmf/PkKek-1-snakeoil.key"
SNAKEOIL_CERT = "/usr/share/ovmf/PkKek-1-snakeoil.pem"
SNAKEOIL_PASS = "snakeoil"          # /usr/share/doc/ovmf/README.Debian
BINARIES = ("EFI/BOOT/BOOTX64.EFI", "EFI/carto/memmap.efi")
TOOLS = ("sbsign", "sbverify", "openssl", "sfdisk", "mformat", "mcopy", "qemu-system-x86_64")
ESP_OFFSET = 1 << 20                # where mkusb.sh puts the partition

READY = r"^carto: ready tsc \d+"
# EDK II's BDS when the image verification fails for a boot option.
REFUSED = r'failed to (load|start) Boot[0-9A-F]{4} "[^"]*USB[^"]*".*: (Access Denied|Security Violation)'
# ... and when it has run out of boot options (it then waits for a key).
GAVE_UP = r"No bootable option or device was found|Press any key to enter the Boot Manager"
CARTO_OUTPUT = re.compile(r"^(carto:|Carto kernel)", re.M)
QUIET_AFTER_REFUSAL = 3.0           # seconds of silence before judging "never appears"


def run(cmd, **kw):
    """Run cmd; returns (ok, combined output)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       cwd=TOP, **kw)
    return p.returncode == 0, p.stdout


class Test:
    def __init__(self, args):
        self.args = args
        self.tap = Tap()
        self.art = args.artifacts
        os.makedirs(self.art, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="carto-secureboot.")

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def prerequisites(self):
        """Everything the test needs is there; each missing piece fails."""
        t = self.tap
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        t.result(not missing, "tools present: " + " ".join(TOOLS),
                 "missing: %s (apt-get install sbsigntool mtools fdisk openssl qemu-system-x86)"
                 % " ".join(missing))
        files = [SNAKEOIL_KEY, SNAKEOIL_CERT] + [os.path.join(TOP, "esp", b) for b in BINARIES]
        absent = [f for f in files if not os.path.isfile(f)]
        t.result(not absent, "snakeoil key, certificate and both EFI binaries present",
                 ["missing: " + f for f in absent] + ["(the key: Debian's ovmf package; "
                                                      "the binaries: make)"])
        ok, out = run([os.path.join(TOP, "ovmf", "firmware.sh"), "code", "secboot"])
        t.result(ok, "the Secure Boot OVMF build is installed (ovmf/firmware.sh code secboot)", out)
        return not missing and not absent and ok

    def keys(self):
        """Step 1: the snakeoil key needs its passphrase; a throwaway key."""
        t = self.tap
        ok_none, _ = run(["openssl", "pkey", "-in", SNAKEOIL_KEY, "-passin", "pass:", "-noout"])
        ok_pass, out = run(["openssl", "pkey", "-in", SNAKEOIL_KEY,
                            "-passin", "pass:" + SNAKEOIL_PASS, "-noout"])
        t.result(not ok_none and ok_pass,
                 "the snakeoil key is encrypted and opens with the passphrase from README.Debian",
                 "without a passphrase: %s; with %r: %s\n%s"
                 % ("opens" if ok_none else "refused", SNAKEOIL_PASS,
                    "opens" if ok_pass else "refused", out))
        ok, out = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                       "-subj", "/CN=Carto test key not in db", "-keyout", self.path("other.key"),
                       "-out", self.path("other.pem")])
        t.result(ok, "a throwaway key and certificate (not enrolled anywhere)", out)
        return ok_pass and ok

    def sign(self):
        """Step 2: sign.sh with both keys; sbverify accepts and refuses."""
        t = self.tap
        # One snapshot of the built binaries: a rebuild during the test
        # changes nothing here.
        esp = self.path("esp")
        for b in BINARIES:
            os.makedirs(os.path.dirname(os.path.join(esp, b)), exist_ok=True)
            shutil.copy2(os.path.join(TOP, "esp", b), os.path.join(esp, b))
        sign = os.path.join(TOP, "scripts", "sign.sh")
        ok1, out = run([sign, "--key", SNAKEOIL_KEY, "--passin", "pass:" + SNAKEOIL_PASS,
                        "--cert", SNAKEOIL_CERT, "--esp", esp, "--out", self.path("signed")],
                       stdin=subprocess.DEVNULL)
        t.result(ok1, "sign.sh signs both binaries with the snakeoil key, no prompt", out)
        ok2, out = run([sign, "--key", self.path("other.key"), "--cert", self.path("other.pem"),
                        "--esp", esp, "--out", self.path("other-signed")], stdin=subprocess.DEVNULL)
        t.result(ok2, "sign.sh signs both binaries with the throwaway key", out)
        for b in BINARIES:
            ok, out = run(["sbverify", "--cert", SNAKEOIL_CERT, self.path("signed", b)])
            t.result(ok, "sbverify accepts the snakeoil-signed %s" % b, out)
            ok, out = run(["sbverify", "--cert", SNAKEOIL_CERT, os.path.join(esp, b)])
            t.result(not ok, "sbverify refuses the unsigned %s" % b, out)
            ok, out = run(["sbverify", "--cert", SNAKEOIL_CERT, self.path("other-signed", b)])
            t.result(not ok, "sbverify refuses %s signed with the throwaway key" % b, out)
        ok3, out = run([sign, "--key", SNAKEOIL_KEY, "--passin", "pass:wrong",
                        "--cert", SNAKEOIL_CERT, "--esp", esp, "--out", self.path("bad")],
                       stdin=subprocess.DEVNULL)
        t.result(not ok3 and "passphrase" in out and not os.path.exists(self.path("bad")),
                 "sign.sh with a wrong passphrase fails, says why, writes nothing", out)
        return ok1 and ok2

    def images(self):
        """Step 3: the three USB images."""
        t = self.tap
        mkusb = os.path.join(TOP, "scripts", "mkusb.sh")
        esp = self.path("esp")
        made = {}
        for name, opts in (("signed", ["--signed", self.path("signed")]),
                           ("unsigned", ["--unsigned"]),
                           ("wrongkey", ["--signed", self.path("other-signed")])):
            img = self.path(name + ".img")
            ok, out = run([mkusb, "--esp", esp, "--out", img] + opts)
            t.result(ok and os.path.isfile(img), "mkusb.sh builds the %s image" % name, out)
            if ok:
                made[name] = img
        if "signed" in made:
            back = self.path("from-image.efi")
            ok, out = run(["mcopy", "-n", "-i", "%s@@%d" % (made["signed"], ESP_OFFSET),
                           "::/EFI/BOOT/BOOTX64.EFI", back])
            same = ok and filecmp.cmp(back, self.path("signed", BINARIES[0]), shallow=False)
            t.result(same, "the signed image's \\EFI\\BOOT\\BOOTX64.EFI is the signed copy", out)
        return made

    def boot(self, name, img, firmware):
        """A QEMU run (not started yet) of img as a USB stick under firmware."""
        return qemu.Boot(TOP, name, self.art, firmware=firmware, extra=["--usb", img],
                         hard_timeout=int(self.args.boot_timeout) + 60)

    def expect_ready(self, name, img, firmware, desc):
        t = self.tap
        with self.boot(name, img, firmware) as b:
            got = b.wait_for(READY, timeout=self.args.boot_timeout)
            secs = b.elapsed()
            text = b.serial()
        t.note("%s: %.1f s" % (name, secs))
        t.result(got is not None, desc, [b.why()] + b.serial_tail())
        if got is not None:
            refusal = re.search(REFUSED, text, re.M)
            t.result(refusal is None, "%s: the firmware refused nothing on the way" % name,
                     refusal.group(0) if refusal else "")

    def expect_refused(self, name, img, what):
        t = self.tap
        with self.boot(name, img, "secboot") as b:
            got = b.wait_for([REFUSED, GAVE_UP], timeout=self.args.boot_timeout)
            # Give a (wrongly) started Carto time to print before judging.
            b.wait_quiet(QUIET_AFTER_REFUSAL, timeout=QUIET_AFTER_REFUSAL + 10)
            secs = b.elapsed()
            text = b.serial()
        t.note("%s: %.1f s" % (name, secs))
        t.result(got is not None,
                 "Secure Boot refuses the %s image (Access Denied / Security Violation)" % what,
                 [b.why()] + b.serial_tail())
        if got is not None:
            t.note("firmware: " + got[0].group(0))
        carto = CARTO_OUTPUT.search(text)
        t.result(carto is None and text.strip() != "",
                 "%s: no Carto output ever appears" % name,
                 ["Carto printed: " + carto.group(0)] if carto else b.serial_tail())

    def main(self):
        t = self.tap
        start = time.monotonic()
        if self.prerequisites() and self.keys() and self.sign():
            made = self.images()
            if "signed" in made:
                self.expect_ready("sb-signed", made["signed"], "secboot",
                                  "Secure Boot: the snakeoil-signed image boots to \"carto: ready\"")
            if "unsigned" in made:
                self.expect_refused("sb-unsigned", made["unsigned"], "unsigned")
            if "wrongkey" in made:
                self.expect_refused("sb-wrongkey", made["wrongkey"], "throwaway-key-signed")
            if "unsigned" in made:
                self.expect_ready("nosb-unsigned", made["unsigned"], "default",
                                  "control: the same unsigned image boots without Secure Boot")
        t.note("secureboot.py: %.0f s in all" % (time.monotonic() - start))
        return t.done()


def parse_args():
    p = argparse.ArgumentParser(description="Secure Boot test (see the file's header)")
    p.add_argument("--artifacts", default=os.path.join(TOP, "build", "boot-tests", "secureboot"))
    p.add_argument("--boot-timeout", type=float, default=120.0,
                   help="seconds to wait for the expected serial output of each boot")
    return p.parse_args()


if __name__ == "__main__":
    test = Test(parse_args())
    try:
        status = test.main()
    finally:
        test.close()
    sys.exit(status)
