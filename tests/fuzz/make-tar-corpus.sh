#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regenerates the seed corpus of fuzz-tar-extract: small hostile and ordinary tar files crafted with
# Python's tarfile (which, unlike GNU tar, writes "../" and absolute names verbatim). Trailing record padding
# is cut so each file stays well below 10 KB. Usage: make-tar-corpus.sh [OUTDIR]
set -eu

out="${1:-$(dirname "$0")/corpus/tar-extract}"
mkdir -p "$out"

python3 - "$out" <<'PY'
import bz2
import gzip
import io
import lzma
import sys
import tarfile

out = sys.argv[1]


def entry(name, kind=tarfile.REGTYPE, data=b"", link="", mode=None, uid=0, gid=0, major=0, minor=0,
          pax=None):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    ti.mode = mode if mode is not None else (0o755 if kind == tarfile.DIRTYPE else 0o644)
    ti.uid, ti.gid = uid, gid
    ti.mtime = 1700000000
    ti.devmajor, ti.devminor = major, minor
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    if pax:
        ti.pax_headers = pax
    return ti, data


def build(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for ti, data in entries:
            tf.addfile(ti, io.BytesIO(data) if ti.size else None)
    raw = buf.getvalue().rstrip(b"\0")
    raw += b"\0" * (-len(raw) % 512)
    return raw + b"\0" * 1024


def write(name, data):
    assert len(data) < 10 * 1024, name
    with open(f"{out}/{name}", "wb") as f:
        f.write(data)


D, L, H = tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE

normal = build([
    entry("./", D),
    entry("etc/", D),
    entry("etc/hostname", data=b"berth\n"),
    entry("etc/localtime", L, link="/usr/share/zoneinfo/UTC"),
    entry("bin/", D),
    entry("bin/su", data=b"#!/bin/sh\n", mode=0o4755, uid=0),
    entry("bin/sudo", H, link="bin/su"),
    entry("home/user/", D, mode=0o700, uid=1000, gid=1000),
    entry("home/user/.profile", data=b"export PATH\n", uid=1000, gid=1000),
])
write("normal.tar", normal)
write("normal.tar.gz", gzip.compress(normal, mtime=0))
write("normal.tar.xz", lzma.compress(normal))
write("normal.tar.bz2", bz2.compress(normal))

write("traversal.tar", build([
    entry("../escape", data=b"1"),
    entry("a/../../escape2", data=b"2"),
    entry("/abs/path", data=b"3"),
    entry("./x//y/./z", data=b"4"),
    entry("../../../../../../tmp/escape3", data=b"5"),
]))

# Each file ends with the entry that must fail, so everything before it is extracted.
write("symlink-escape.tar", build([
    entry("f", L, link="../victim"),
    entry("f", data=b"replaces the symlink"),
    entry("up", L, link="../.."),
    entry("d/", D),
    entry("d/self", L, link="."),
    entry("root", L, link="/"),
    entry("root/escape", data=b"pwned"),
]))

write("hardlink-escape.tar", build([
    entry("a", data=b"a"),
    entry("b", H, link="a"),
    entry("sl", L, link="/etc/shadow"),
    entry("hl", H, link="sl"),
    entry("dir/", D),
    entry("hd", H, link="dir"),
    entry("passwd", H, link="/etc/passwd"),
    entry("out", H, link="../victim"),
]))

write("whiteouts.tar", build([
    entry("foo", data=b"x"),
    entry(".wh.foo"),
    entry("dir/", D),
    entry("dir/x", data=b"x"),
    entry("dir/.wh..wh..opq"),
    entry("sub/.wh.gone"),
    entry(".wh.dir"),
    entry("bad/.wh.."),
]))

write("devices.tar", build([
    entry("dev/", D),
    entry("dev/null", tarfile.CHRTYPE, mode=0o666, major=1, minor=3),
    entry("dev/loop0", tarfile.BLKTYPE, mode=0o660, major=7, minor=0),
    entry("run/fifo", tarfile.FIFOTYPE, mode=0o600),
], fmt=tarfile.USTAR_FORMAT))

write("pax-xattrs.tar", build([
    entry("f", data=b"data", pax={
        "SCHILY.xattr.user.foo": "bar",
        "SCHILY.xattr.trusted.overlay.opaque": "y",
        "SCHILY.xattr.security.selinux": "system_u:object_r:etc_t:s0",
    }),
    entry("long/" + "n" * 200 + "/" + "m" * 200, data=b"long"),
    entry("link", L, link="t" * 300),
]))

write("gnu-longnames.tar", build([
    entry("g" * 150 + "/" + "h" * 150, data=b"gnu"),
    entry("l" * 120, H, link="g" * 150 + "/" + "h" * 150),
], fmt=tarfile.GNU_FORMAT))
PY
