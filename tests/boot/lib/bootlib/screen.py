"""screen - what Carto's framebuffer console shows, from a QEMU screendump.

    img = screen.read_ppm("shot.ppm")          # HMP `screendump shot.ppm`
    screen.write_png(img, "shot.png")          # stdlib zlib, no PIL
    font = screen.Font.from_c(top + "/build/kernel/font.c")
    rows = screen.read_text(img, font)         # OCR of the character grid
    want = screen.emulate(kernel_output, img.width // font.width,
                          img.height // font.height)

The kernel draws its font cell-aligned from the top-left corner on a black
background and never scales it, so reading the screen back needs no real
OCR: each cell's ink (any non-background pixel) is looked up in the font
the kernel was built with. emulate() replays text through the console's
rules (kernel/console.c: wrap at the last column, scroll at the last row,
tabs of 8, CR, backspace), so a screen can be compared cell by cell with
what the kernel wrote on serial.
"""
import re
import struct
import zlib

BACKGROUND = (0, 0, 0)     # CON_DEFAULT_BG: black
TAB_WIDTH = 8
UNKNOWN = "\ufffd"         # a cell whose ink is no glyph of the font


class ScreenError(Exception):
    """A screendump or font file that cannot be read."""


class Image:
    """width x height pixels, rgb: bytes, 3 per pixel, rows top to bottom."""

    def __init__(self, width, height, rgb):
        if len(rgb) != 3 * width * height:
            raise ScreenError("%dx%d image with %d bytes of pixels" % (width, height, len(rgb)))
        self.width = width
        self.height = height
        self.rgb = rgb

    def row(self, y):
        return self.rgb[3 * self.width * y:3 * self.width * (y + 1)]

    def ink_row(self, y, bg=BACKGROUND):
        """One pixel row as a list of 0/1: 1 where the pixel is not bg."""
        r = self.row(y)
        if bg == (0, 0, 0):
            return [1 if (a | b | c) else 0 for a, b, c in zip(r[0::3], r[1::3], r[2::3])]
        return [0 if (a, b, c) == bg else 1 for a, b, c in zip(r[0::3], r[1::3], r[2::3])]


def read_ppm(path):
    """A binary PPM (P6, maxval 255) as an Image; ScreenError if it is not one."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ScreenError("%s: %s" % (path, e.strerror))
    fields, pos = [], 0
    while len(fields) < 4:
        m = re.compile(rb"\s*(#[^\n]*\n\s*)*([^\s#]+)").match(data, pos)
        if not m:
            raise ScreenError("%s: truncated PPM header" % path)
        fields.append(m.group(2))
        pos = m.end()
    if fields[0] != b"P6":
        raise ScreenError("%s: not a binary PPM (magic %r)" % (path, fields[0]))
    try:
        w, h, maxval = (int(x) for x in fields[1:])
    except ValueError:
        raise ScreenError("%s: bad PPM header %r" % (path, fields))
    if maxval != 255 or w <= 0 or h <= 0:
        raise ScreenError("%s: PPM %dx%d maxval %d (need maxval 255)" % (path, w, h, maxval))
    pixels = data[pos + 1:pos + 1 + 3 * w * h]     # one whitespace byte after maxval
    if len(pixels) != 3 * w * h:
        raise ScreenError("%s: PPM %dx%d holds %d pixel bytes, needs %d"
                          % (path, w, h, len(pixels), 3 * w * h))
    return Image(w, h, pixels)


def _png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def write_png(img, path):
    """Write img as an 8-bit RGB PNG (filter 0 on every row)."""
    raw = b"".join(b"\x00" + img.row(y) for y in range(img.height))
    header = struct.pack(">IIBBBBB", img.width, img.height, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) +
                _png_chunk(b"IDAT", zlib.compress(raw, 6)) + _png_chunk(b"IEND", b""))


class Font:
    """The console font: width, height, and glyph bitmaps by character
    code (each a tuple of height row values, bit (width-1) = leftmost)."""

    def __init__(self, width, height, glyphs):
        self.width = width
        self.height = height
        self.glyphs = glyphs
        # Ink pattern -> character. Printable ASCII wins over other codes
        # that share a glyph (the control codes all show U+FFFD's glyph).
        self.by_ink = {}
        order = list(range(0x20, 0x7f)) + [c for c in range(len(glyphs)) if not 0x20 <= c < 0x7f]
        for code in order:
            ch = chr(code) if 0x20 <= code < 0x7f else UNKNOWN
            self.by_ink.setdefault(glyphs[code], ch)

    @classmethod
    def from_c(cls, path):
        """Read build/kernel/font.c, the font scripts/psf2c.py generated for
        the kernel (the exact glyphs it draws)."""
        try:
            with open(path) as f:
                text = f.read()
        except OSError as e:
            raise ScreenError("%s: %s (build the kernel first)" % (path, e.strerror))
        nums = {}
        for key in ("width", "height", "bytes_per_glyph", "count"):
            m = re.search(r"console_font_%s = (\d+);" % key, text)
            if not m:
                raise ScreenError("%s: no console_font_%s" % (path, key))
            nums[key] = int(m.group(1))
        body = text[text.find("console_font_glyphs["):]
        data = [int(x, 16) for x in re.findall(r"0x([0-9a-f]{2}),", body)]
        w, h, per, count = nums["width"], nums["height"], nums["bytes_per_glyph"], nums["count"]
        row_bytes = (w + 7) // 8
        if len(data) != per * count or per < row_bytes * h:
            raise ScreenError("%s: %d glyph bytes, expected %d x %d"
                              % (path, len(data), count, per))
        glyphs = []
        for c in range(count):
            g = data[c * per:(c + 1) * per]
            rows = []
            for y in range(h):
                v = 0
                for b in g[y * row_bytes:(y + 1) * row_bytes]:
                    v = v << 8 | b
                rows.append(v >> (8 * row_bytes - w))
            glyphs.append(tuple(rows))
        return cls(w, h, glyphs)


def ink_rows(img, font, bg=BACKGROUND):
    """For each text row of the grid, the number of pixels that are not bg."""
    out = []
    for r in range(img.height // font.height):
        out.append(sum(sum(img.ink_row(y, bg)) for y in range(r * font.height,
                                                              (r + 1) * font.height)))
    return out


def read_text(img, font, bg=BACKGROUND):
    """The character grid on the screen as a list of strings, one per text
    row, trailing blanks removed; cells that match no glyph read UNKNOWN."""
    cols, rows = img.width // font.width, img.height // font.height
    text = []
    for r in range(rows):
        ink = [img.ink_row(y, bg) for y in range(r * font.height, (r + 1) * font.height)]
        line = []
        for c in range(cols):
            x0 = c * font.width
            cell = []
            for bits in ink:
                v = 0
                for b in bits[x0:x0 + font.width]:
                    v = v << 1 | b
                cell.append(v)
            line.append(font.by_ink.get(tuple(cell), UNKNOWN))
        text.append("".join(line).rstrip(" "))
    return text


def emulate(text, cols, rows):
    """The grid (list of rows strings, trailing blanks removed) a console of
    cols x rows shows after text was written to an empty screen, following
    kernel/console.c's fb_putc."""
    grid = [[" "] * cols for _ in range(rows)]
    row = col = 0

    def newline():
        nonlocal row, col
        col = 0
        row += 1
        if row == rows:
            grid.pop(0)
            grid.append([" "] * cols)
            row = rows - 1

    for ch in text:
        if ch == "\n":
            newline()
        elif ch == "\r":
            col = 0
        elif ch == "\t":
            col = min((col // TAB_WIDTH + 1) * TAB_WIDTH, cols)
        elif ch == "\b":
            col = max(col - 1, 0)
        else:
            if col >= cols:
                newline()
            grid[row][col] = ch if 0x20 <= ord(ch) < 0x7f else UNKNOWN
            col += 1
    return ["".join(r).rstrip(" ") for r in grid]


def compare(seen, want, limit=6):
    """Differences between two grids (lists of row strings) as readable
    lines, at most limit of them; [] if they are equal."""
    diffs = []
    if len(seen) != len(want):
        diffs.append("the screen has %d text rows, expected %d" % (len(seen), len(want)))
    for i, (s, w) in enumerate(zip(seen, want)):
        if s != w:
            diffs.append("row %d: screen %r" % (i, s))
            diffs.append("row %d: wanted %r" % (i, w))
        if len(diffs) >= 2 * limit:
            diffs.append("...")
            break
    return diffs
