#!/usr/bin/env python3
"""psf2c.py - turn a PSF1/PSF2 console font into C source for the kernel.

    python3 scripts/psf2c.py FONT.psf[.gz] OUT.c

Writes OUT.c defining (declared in kernel/font.h):
    const unsigned char console_font_glyphs[];   count * bytes_per_glyph bytes
    const unsigned console_font_width, console_font_height,
                   console_font_bytes_per_glyph, console_font_count;

The output is indexed by character code 0..255, read as Latin-1: glyph c is
the font's glyph for code point U+00XX. If the font has a Unicode table it
decides which glyph that is; every printable ASCII character (0x20..0x7e)
must then be in it, or this script fails. Codes the table lacks get the
font's U+FFFD (or '?') glyph. Without a table, glyph c is the font's glyph c.

Each glyph is height rows of ceil(width/8) bytes, the most significant bit
the leftmost pixel. Errors name the file and the problem; the output file is
only replaced when conversion succeeded.

Standard library only.
"""

import gzip
import os
import struct
import sys

PSF1_MAGIC = b"\x36\x04"
PSF1_MODE512 = 0x01
PSF1_MODEHASTAB = 0x02
PSF1_MODESEQ = 0x04
PSF1_SEPARATOR = 0xFFFF
PSF1_STARTSEQ = 0xFFFE

PSF2_MAGIC = b"\x72\xb5\x4a\x86"
PSF2_HAS_UNICODE_TABLE = 0x01
PSF2_SEPARATOR = 0xFF
PSF2_STARTSEQ = 0xFE

GZIP_MAGIC = b"\x1f\x8b"
OUTPUT_GLYPHS = 256
ASCII_PRINTABLE = range(0x20, 0x7F)
REPLACEMENT_CODEPOINTS = (0xFFFD, ord("?"))
MAX_DIMENSION = 64          # sanity bound for width/height in pixels


class FontError(Exception):
    pass


def read_font_bytes(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise FontError("cannot read: %s" % e.strerror)
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise FontError("bad gzip data: %s" % e)
    return data


def parse_psf1_table(table, count):
    """Return {glyph index: [code points]} from a PSF1 Unicode table."""
    mapping = {}
    pos = 0
    for glyph in range(count):
        cps = []
        in_sequence = False
        while True:
            if pos + 2 > len(table):
                raise FontError("PSF1 Unicode table ends inside glyph %d" % glyph)
            (u,) = struct.unpack_from("<H", table, pos)
            pos += 2
            if u == PSF1_SEPARATOR:
                break
            if u == PSF1_STARTSEQ:
                in_sequence = True      # combining sequences are not single code points
            elif not in_sequence:
                cps.append(u)
        mapping[glyph] = cps
    return mapping


def decode_utf8_run(run, glyph):
    try:
        return [ord(ch) for ch in run.decode("utf-8")]
    except UnicodeDecodeError:
        raise FontError("PSF2 Unicode table has bad UTF-8 at glyph %d" % glyph)


def parse_psf2_table(table, count):
    """Return {glyph index: [code points]} from a PSF2 Unicode table."""
    mapping = {}
    pos = 0
    for glyph in range(count):
        end = table.find(bytes([PSF2_SEPARATOR]), pos)
        if end < 0:
            raise FontError("PSF2 Unicode table ends inside glyph %d" % glyph)
        entry = table[pos:end]
        pos = end + 1
        singles = entry.split(bytes([PSF2_STARTSEQ]))[0]   # drop sequences
        mapping[glyph] = decode_utf8_run(singles, glyph)
    return mapping


def parse_psf1(data):
    if len(data) < 4:
        raise FontError("PSF1 header truncated")
    mode, charsize = data[2], data[3]
    count = 512 if mode & PSF1_MODE512 else 256
    if charsize == 0:
        raise FontError("PSF1 header gives glyph height 0")
    glyph_bytes = count * charsize
    if len(data) < 4 + glyph_bytes:
        raise FontError("PSF1 file holds %d bytes, its %d glyphs need %d"
                        % (len(data), count, 4 + glyph_bytes))
    glyphs = data[4:4 + glyph_bytes]
    table = None
    if mode & (PSF1_MODEHASTAB | PSF1_MODESEQ):
        table = parse_psf1_table(data[4 + glyph_bytes:], count)
    return 8, charsize, charsize, count, glyphs, table


def parse_psf2(data):
    if len(data) < 32:
        raise FontError("PSF2 header truncated")
    (_, version, headersize, flags, count, charsize, height,
     width) = struct.unpack_from("<4sIIIIIII", data, 0)
    if version != 0:
        raise FontError("PSF2 version %d is not supported" % version)
    if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION):
        raise FontError("PSF2 glyph size %dx%d out of range" % (width, height))
    if charsize != height * ((width + 7) // 8):
        raise FontError("PSF2 charsize %d does not match %dx%d glyphs"
                        % (charsize, width, height))
    if count == 0 or headersize < 32:
        raise FontError("PSF2 header: %d glyphs, header size %d" % (count, headersize))
    end = headersize + count * charsize
    if len(data) < end:
        raise FontError("PSF2 file holds %d bytes, its %d glyphs need %d"
                        % (len(data), count, end))
    glyphs = data[headersize:end]
    table = None
    if flags & PSF2_HAS_UNICODE_TABLE:
        table = parse_psf2_table(data[end:], count)
    return width, height, charsize, count, glyphs, table


def parse_font(data):
    if data[:2] == PSF1_MAGIC:
        return parse_psf1(data)
    if data[:4] == PSF2_MAGIC:
        return parse_psf2(data)
    raise FontError("not a PSF1 or PSF2 font (magic %s)" % data[:4].hex())


def choose_glyphs(count, table):
    """Glyph index for each output character code 0..255."""
    if table is None:
        if count < OUTPUT_GLYPHS:
            raise FontError("font has %d glyphs and no Unicode table; need %d"
                            % (count, OUTPUT_GLYPHS))
        return list(range(OUTPUT_GLYPHS))
    by_cp = {}
    for glyph in sorted(table):
        for cp in table[glyph]:
            by_cp.setdefault(cp, glyph)
    missing = [cp for cp in ASCII_PRINTABLE if cp not in by_cp]
    if missing:
        raise FontError("Unicode table has no glyph for %s"
                        % ", ".join("U+%04X" % cp for cp in missing[:8]))
    fallback = next(by_cp[cp] for cp in REPLACEMENT_CODEPOINTS if cp in by_cp)
    return [by_cp.get(code, fallback) for code in range(OUTPUT_GLYPHS)]


def render_c(src, width, height, charsize, glyphs, order):
    lines = [
        "/* Generated by scripts/psf2c.py from %s - do not edit. */" % src,
        '#include "font.h"',
        "",
        "const unsigned console_font_width = %d;" % width,
        "const unsigned console_font_height = %d;" % height,
        "const unsigned console_font_bytes_per_glyph = %d;" % charsize,
        "const unsigned console_font_count = %d;" % len(order),
        "",
        "const unsigned char console_font_glyphs[%d] = {" % (len(order) * charsize),
    ]
    for code, glyph in enumerate(order):
        bits = glyphs[glyph * charsize:(glyph + 1) * charsize]
        shown = chr(code) if 0x20 < code < 0x7F and chr(code) not in "\\*/" else ""
        lines.append("\t/* 0x%02x %s(glyph %d) */" % (code, shown + " " if shown else "", glyph))
        lines.append("\t" + ", ".join("0x%02x" % b for b in bits) + ",")
    lines.append("};")
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: psf2c.py FONT.psf[.gz] OUT.c\n")
        return 2
    src, out = argv[1], argv[2]
    try:
        width, height, charsize, count, glyphs, table = parse_font(read_font_bytes(src))
        order = choose_glyphs(count, table)
    except FontError as e:
        sys.stderr.write("psf2c: %s: %s\n" % (src, e))
        return 1
    text = render_c(os.path.basename(src), width, height, charsize, glyphs, order)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
