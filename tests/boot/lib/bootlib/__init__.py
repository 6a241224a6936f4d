"""bootlib - helpers for Carto's scripted boot tests (python3, stdlib only).

Modules:
  tap       TAP output with "N passed, N failed" at the end
  qemu      start Carto in QEMU through scripts/qemu.sh, wait for serial text
  hmp       the QEMU human monitor over a unix socket, and its output parsers
  ranges    half-open [start, end) interval sets
  paging    x86_64 4-level page-table walk from CR3 (leaves, tables, lookups)
  fwmap     the "Carto memory map dump v1" text and the RAM it describes
  image     kernel ELF program headers and include/memlayout.h constants
  snapshot  everything the checks need, read from the monitor in one go
  checks    the boot-test checks (pure functions of a snapshot) and their
            self-check against deliberately wrong expectations

Put tests/boot/lib on sys.path and `import bootlib.qemu` etc. Nothing here
writes outside the artifacts directory the caller names.

A boot-test of another guest, in a few lines (bootcheck.py does this for
every --configs entry, and takes --machine, so `bootcheck.py --machine pc
--configs 2G/max --no-crash` may already be all a matrix needs):

    from bootlib import checks, fwmap, image, qemu, snapshot
    from bootlib.tap import Tap
    tap, layout = Tap(), image.layout(top)
    kernel = image.Kernel.from_efi(top + "/esp/EFI/BOOT/BOOTX64.EFI")
    with qemu.Boot(top, "2G-pc", artifacts, mem="2G", machine="pc",
                   cmdline="fwmap", monitor=True) as run:
        if run.wait_for(r"^carto: ready tsc \d+", timeout=120):
            snap = snapshot.collect(run.monitor(), layout, kernel.segments)
    descs = fwmap.parse(run.serial())
    exp = checks.Expect(fwmap.ram(descs), descs, True, layout, kernel.segments, {})
    for r in checks.run_paging_checks(snap, exp):
        tap.result(r.ok, r.title, r.diag)
    sys.exit(tap.done())
"""
