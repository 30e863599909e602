"""Exit 0 if a PNG screenshot shows something: enough distinct colours. Standard library only."""
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width, height, channels = 8, b"", 0, 0, 4
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        channels = {2: 3, 6: 4}[colour]
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * channels
# Filters are not undone: distinct raw pixel values still tell a blank image from a busy one.
colours = set()
for y in range(0, height, 4):
    row = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
    for x in range(0, width, 4):
        colours.add(row[x * channels:x * channels + 3])
print(f"{sys.argv[1]}: {width}x{height}, {len(colours)} distinct sampled values")
sys.exit(0 if width >= 800 and height >= 500 and len(colours) >= 50 else 1)
