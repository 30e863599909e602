"""Checks that a browser's screenshot shows a rendered page, not a blank one.

Usage: png_colours.py SHOT.png [#RRGGBB ...]

Decodes the PNG (8-bit RGB or RGBA, not interlaced: what Chromium writes) with the standard
library alone, filters undone, and exits 0 when the image is at least 800x500, has at least 50
distinct colours, no colour covers 98 % of it, and every colour named on the command line (the
palette of what must be drawn) appears. Prints what it found either way.
"""
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, width, height, channels = 8, [], 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                sys.exit(f"{path}: unsupported PNG (depth {depth}, colour {colour}, interlace {interlace})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                up_left = prev[i - channels] if i >= channels else 0
                line[i] = (line[i] + paeth(left, prev[i], up_left)) & 0xFF
        elif kind != 0:
            sys.exit(f"{path}: bad filter {kind} on row {y}")
        rows.append(line)
        prev = line
    return width, height, channels, rows


def main():
    path, wanted = sys.argv[1], [c.lstrip("#").upper() for c in sys.argv[2:]]
    width, height, channels, rows = decode(path)
    counts = {}
    # Every second pixel of every second row: a 10-pixel-wide bar still shows.
    for line in rows[::2]:
        for x in range(0, width * channels, 2 * channels):
            px = bytes(line[x:x + 3])
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    top = max(counts.values()) if counts else 0
    seen = {px.hex().upper() for px in counts}
    missing = [c for c in wanted if c not in seen]
    print(
        f"{path}: {width}x{height}, {len(counts)} distinct colours, the commonest covers "
        f"{100 * top / max(total, 1):.1f} %, palette colours missing: {missing or 'none'}"
    )
    ok = width >= 800 and height >= 500 and len(counts) >= 50 and top < 0.98 * total and not missing
    sys.exit(0 if ok else 1)


main()
