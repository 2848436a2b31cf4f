#!/usr/bin/python3
"""tests/browser/pages.py PDF [--max-blank N] — the printed pages as a reader holds them.

Renders every page of PDF to greyscale at 40 dpi (pdftoppm) and checks: every page is
A4 (pdfinfo); nothing is cut at the right edge (no ink in the outer 6 mm, where a
table wider than the text would run off the page); at most N pages (default 0), the
last and any before an explicit break aside, are mostly blank (ink ends in the top
third). Prints one line per problem and a summary; exits 1 on a problem.
"""
import os
import subprocess
import sys
import tempfile

DPI = 40


def pgm(path):
    data = open(path, 'rb').read()
    parts = data.split(maxsplit=4)
    assert parts[0] == b'P5', path
    w, h = int(parts[1]), int(parts[2])
    return w, h, parts[4][:w * h]


def main():
    pdf = sys.argv[1]
    max_blank = int(sys.argv[sys.argv.index('--max-blank') + 1]) if '--max-blank' in sys.argv else 0
    info = subprocess.run(['pdfinfo', pdf], capture_output=True, text=True, check=True).stdout
    size = [l for l in info.splitlines() if l.startswith('Page size:')][0]
    pages = int([l for l in info.splitlines() if l.startswith('Pages:')][0].split()[1])
    bad = 0
    if '(A4)' not in size:
        print(f'{pdf}: pages are not A4: {size}')
        bad += 1
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(['pdftoppm', '-r', str(DPI), '-gray', pdf, os.path.join(tmp, 'p')], check=True)
        files = sorted(f for f in os.listdir(tmp) if f.endswith('.pgm'))
        edge = int(6 / 25.4 * DPI)
        blank = []
        for i, f in enumerate(files, 1):
            w, h, px = pgm(os.path.join(tmp, f))
            cut = sum(1 for y in range(h) for x in range(w - edge, w) if px[y * w + x] < 128)
            if cut > 3:
                print(f'{pdf}: page {i}: {cut} dark pixels within 6 mm of the right edge (cut off?)')
                bad += 1
            rows = [y for y in range(h) if any(px[y * w + x] < 160 for x in range(0, w, 2))]
            # the page number at the foot does not count as content
            body = [y for y in rows if y < h - int(15 / 25.4 * DPI)]
            last = max(body) if body else 0
            if i < len(files) and last < h / 3:
                blank.append(i)
        print(f'{pdf}: {pages} A4 pages; mostly blank: {blank or "none"}')
        if len(blank) > max_blank:
            bad += 1
    sys.exit(1 if bad else 0)


main()
