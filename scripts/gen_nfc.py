#!/usr/bin/env python3
# scripts/gen_nfc.py — writes the table of engine/text.c (python3 scripts/gen_nfc.py):
# the canonical compositions (base + one combining mark -> precomposed) whose
# result lies in Latin-1 Supplement, Latin Extended-A/B or Cyrillic, sorted by (base, mark).
import unicodedata as u
pairs = []
for cp in list(range(0xC0, 0x250)) + list(range(0x400, 0x500)):
    d = u.decomposition(chr(cp))
    if not d or d.startswith('<'):
        continue
    parts = [int(x, 16) for x in d.split()]
    if len(parts) != 2 or u.normalize('NFC', chr(parts[0]) + chr(parts[1])) != chr(cp):
        continue
    pairs.append((parts[0], parts[1], cp))
pairs.sort()
print("/* generated from Unicode %s by scripts/gen_nfc.py: %d pairs */" % (u.unidata_version, len(pairs)))
line = "   "
for a, b, c in pairs:
    item = " {0x%04X, 0x%04X, 0x%04X}," % (a, b, c)
    if len(line) + len(item) > 92:
        print(line)
        line = "   "
    line += item
print(line)
