#!/usr/bin/env python3
"""Changes 1% of the files of a tree (an edit in the middle) and adds 1% new ones.

usage: mutate.py DIR [SEED]
"""
import os
import random
import sys

root = sys.argv[1]
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
n = max(1, len(files) // 100)
for p in rng.sample(files, n):
    size = os.path.getsize(p)
    with open(p, "r+b") as f:
        f.seek(size // 2)
        f.write(rng.randbytes(min(4096, max(1, size // 10))))
for i in range(n):
    d = os.path.join(root, "2026", "paket-baru-%03d" % i)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "penawaran.pdf"), "wb") as f:
        f.write(rng.randbytes(rng.randint(50_000, 600_000)))
