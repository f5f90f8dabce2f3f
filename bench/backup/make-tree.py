#!/usr/bin/env python3
"""Writes an SPSE-like upload tree: bid documents of an e-procurement server.

About 55% of the bytes are incompressible (scanned PDFs, ZIP/RAR archives), 35% compressible
office documents and text, 10% exact duplicates of other files (the same document uploaded
again). Deterministic for a given seed.

usage: make-tree.py DIR [TOTAL_MIB] [FILES] [SEED]
"""
import os
import random
import sys

root = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
count = int(sys.argv[3]) if len(sys.argv) > 3 else 4000
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 2026
rng = random.Random(seed)

WORDS = ("pengadaan barang jasa penawaran harga satuan rencana anggaran biaya dokumen kualifikasi "
         "penyedia pokja pemilihan kontrak addendum jaminan pelaksanaan lelang tender seleksi "
         "evaluasi teknis administrasi pembuktian sanggah berita acara negosiasi").split()

def text_block(n):
    out = []
    size = 0
    while size < n:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        line += " Rp %d,00;\n" % rng.randint(1000, 10**9)
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]

avg = total * 1024 * 1024 // count
written = []
os.makedirs(root, exist_ok=True)
for i in range(count):
    year = 2019 + i % 8
    pkg = "paket-%05d" % (i // 7)
    d = os.path.join(root, str(year), pkg)
    os.makedirs(d, exist_ok=True)
    size = max(1024, int(rng.lognormvariate(0, 0.9) * avg * 0.67))
    roll = rng.random()
    if written and roll < 0.10:
        src = rng.choice(written)
        with open(src, "rb") as f:
            data = f.read()
        name = "salinan-%d.pdf" % i
    elif roll < 0.10 + 0.55:
        data = rng.randbytes(size)
        name = "scan-%d.%s" % (i, rng.choice(["pdf", "zip", "rar", "jpg"]))
    else:
        data = text_block(size)
        name = "dokumen-%d.%s" % (i, rng.choice(["docx", "xlsx", "txt", "xml"]))
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data)
    written.append(p)
