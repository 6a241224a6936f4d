"""image - what the kernel image and the layout header promise.

Kernel reads the PT_LOAD program headers of the kernel ELF (the
permissions the loader must map each segment with), from
build/kernel/kernel.elf or, better, from the copy embedded in the
BOOTX64.EFI that boots. layout() compiles a few lines of C against
include/memlayout.h and returns its constants, so the tests check the
addresses the kernel is built with, not a copy of them.
"""
import os
import struct
import subprocess
import tempfile

PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4
PAGE_SIZE = 4096


class ImageError(Exception):
    """The kernel ELF or the layout header cannot be read."""


class Segment:
    """One PT_LOAD: [va, va + memsz), file bytes [offset, offset + filesz)."""
    __slots__ = ("va", "memsz", "offset", "filesz", "flags")

    def __init__(self, va, memsz, offset, filesz, flags):
        self.va, self.memsz, self.offset, self.filesz, self.flags = va, memsz, offset, filesz, flags

    @property
    def write(self):
        return bool(self.flags & PF_W)

    @property
    def execute(self):
        return bool(self.flags & PF_X)

    def pages(self):
        """[start, end) of the pages the segment occupies."""
        start = self.va & ~(PAGE_SIZE - 1)
        end = (self.va + self.memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        return start, end

    def perms(self):
        return "r" + ("w" if self.write else "-") + ("x" if self.execute else "-")

    def __repr__(self):
        return "[%#x, %#x) %s" % (self.pages() + (self.perms(),))


ELF_IDENT = b"\x7fELF\x02\x01\x01"     # ELF64, little-endian, version 1
ET_EXEC = 2
EM_X86_64 = 62


class Kernel:
    """A kernel ELF image held in memory: its PT_LOAD segments and bytes.
    source names where it came from, for messages."""

    def __init__(self, data, source):
        self.data = data
        self.source = source
        self.segments = _load_segments(data, source)

    @staticmethod
    def from_file(path):
        """The kernel ELF file at path (build/kernel/kernel.elf)."""
        try:
            with open(path, "rb") as f:
                return Kernel(f.read(), path)
        except OSError as e:
            raise ImageError("cannot read kernel ELF %s: %s" % (path, e))

    @staticmethod
    def from_efi(path):
        """The kernel ELF embedded in the loader (efi/loader/blob.S), i.e.
        exactly the kernel that boots from this BOOTX64.EFI: the first
        x86_64 ELF executable found in the file whose headers parse."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ImageError("cannot read %s: %s" % (path, e))
        at = data.find(ELF_IDENT)
        while at >= 0:
            try:
                return Kernel(data[at:], "%s (embedded at offset %#x)" % (path, at))
            except ImageError:
                at = data.find(ELF_IDENT, at + 1)
        raise ImageError("no embedded x86_64 kernel ELF found in %s" % path)

    def file_bytes(self, seg, count):
        """The first count bytes of a segment's file contents."""
        return self.data[seg.offset:seg.offset + min(count, seg.filesz)]


def _load_segments(data, source):
    """The PT_LOAD segments of an ELF64 x86_64 executable held in data."""
    if len(data) < 64 or data[:7] != ELF_IDENT:
        raise ImageError("%s is not a little-endian ELF64 file" % source)
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    if e_type != ET_EXEC or e_machine != EM_X86_64:
        raise ImageError("%s is not an x86_64 executable (type %d, machine %d)"
                         % (source, e_type, e_machine))
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    if phentsize < 56 or phoff + phnum * phentsize > len(data):
        raise ImageError("%s: program headers out of the file" % source)
    segs = []
    for i in range(phnum):
        p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz = \
            struct.unpack_from("<IIQQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD and p_memsz:
            if p_offset + p_filesz > len(data):
                raise ImageError("%s: segment %d lies past the end of the file" % (source, i))
            segs.append(Segment(p_vaddr, p_memsz, p_offset, p_filesz, p_flags))
    if not segs:
        raise ImageError("%s has no PT_LOAD segment" % source)
    return segs


LAYOUT_C = r"""
#include <stdio.h>
#include "memlayout.h"
#define P(name) printf("%s %#lx\n", #name, (unsigned long)(name))
int main(void)
{
	P(PAGE_SIZE); P(PAGE_SIZE_2M); P(PAGE_SIZE_1G);
	P(DMAP_BASE); P(DMAP_END); P(DMAP_MAX_PHYS);
	P(PT_WINDOW_BASE); P(PT_WINDOW_END); P(PT_POOL_CHUNK);
	P(MMIO_BASE); P(MMIO_END); P(EFIRT_BASE); P(EFIRT_END);
	P(KMAP_BASE); P(VMAP_END); P(HANDOFF_BASE); P(HANDOFF_MAX_PHYS);
	P(KSTACK_BASE); P(KSTACK_SIZE); P(KSTACK_STRIDE); P(KSTACK_COUNT);
	P(KERNEL_BASE); P(RECURSIVE_SLOT); P(RECURSIVE_BASE);
	for (int i = 0; i < KSTACK_COUNT; i++)
		printf("KSTACK_BOTTOM_%d %#lx\n", i, (unsigned long)KSTACK_BOTTOM(i));
	return 0;
}
"""


def layout(top, cc="cc"):
    """include/memlayout.h constants as a dict name -> int, plus
    "KSTACK_BOTTOM" as a list (one per stack). Raises ImageError if the
    helper program does not build or run."""
    with tempfile.TemporaryDirectory(prefix="carto-layout.") as tmp:
        src, exe = os.path.join(tmp, "layout.c"), os.path.join(tmp, "layout")
        with open(src, "w") as f:
            f.write(LAYOUT_C)
        build = subprocess.run([cc, "-std=gnu11", "-I", os.path.join(top, "include"), src, "-o", exe],
                               capture_output=True, text=True)
        if build.returncode:
            raise ImageError("cannot compile against include/memlayout.h:\n" + build.stderr)
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    consts = {}
    for line in out.splitlines():
        name, value = line.split()
        consts[name] = int(value, 16)
    consts["KSTACK_BOTTOM"] = [consts.pop("KSTACK_BOTTOM_%d" % i)
                               for i in range(consts["KSTACK_COUNT"])]
    return consts
