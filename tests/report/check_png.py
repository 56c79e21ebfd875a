#!/usr/bin/env python3
"""A screenshot is the expected size and not blank: decodes the PNG with the
standard library (zlib + the five PNG row filters), then counts pixels that are
not the page's white and looks for the colour of our bars (#1f77b4), which only
appears when the inline SVG was drawn. usage: check_png.py PNG WIDTH HEIGHT"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("%s: not a PNG" % path)
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit("%s: unexpected PNG kind (depth %d, colour type %d)" % (path, depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    w, h, bpp, rows = decode(path)
    ok = True
    if (w, h) != (want_w, want_h):
        print("FAIL: %s is %dx%d, want %dx%d" % (path, w, h, want_w, want_h))
        ok = False
    inked = blue = 0
    colours = set()
    for line in rows:
        for x in range(0, w * bpp, bpp):
            r, g, b = line[x], line[x + 1], line[x + 2]
            colours.add((r >> 4, g >> 4, b >> 4))
            if r < 240 or g < 240 or b < 240:
                inked += 1
            if abs(r - 0x1f) < 24 and abs(g - 0x77) < 24 and abs(b - 0xb4) < 24:
                blue += 1
    frac = inked / float(w * h)
    print("%s: %dx%d, %.1f%% inked, %d colours, %d bar-blue pixels" % (path, w, h, 100 * frac, len(colours), blue))
    if frac < 0.01 or len(colours) < 8:
        print("FAIL: the page is blank")
        ok = False
    if blue < 200:
        print("FAIL: no bars drawn (the SVG did not render)")
        ok = False
    return 0 if ok else 1


sys.exit(main())
