#!/usr/bin/env python3
"""Writes a tree of many small files, each with its own content (so each is its own blob):
DIR/<year>/<package>/dok-<n>.txt, 1000 files per package directory.

    python3 make-many.py DIR FILES
"""
import os
import sys

root, files = sys.argv[1], int(sys.argv[2])
per_dir = 1000
flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
n = 0
package = 0
while n < files:
    year = 2015 + package % 12
    d = os.path.join(root, str(year), "paket-%07d" % package)
    os.makedirs(d, exist_ok=True)
    for i in range(min(per_dir, files - n)):
        fd = os.open(os.path.join(d, "dok-%04d.txt" % i), flags, 0o644)
        os.write(fd, b"LPSE dokumen %d paket %d berkas %d\n" % (n, package, i) + os.urandom(16).hex().encode())
        os.close(fd)
        n += 1
    package += 1
    if package % 1000 == 0:
        print("%d files" % n, flush=True)
