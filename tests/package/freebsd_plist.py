#!/usr/bin/env python3
"""packaging/freebsd/pkg-plist against what CMake installs.

    freebsd_plist.py --build BUILD_DIR --port PORT_DIR --cmake CMAKE
                     --libdir LIBDIR --pkgconfigdir DIR --build-type TYPE --version V

Installs the build tree into a temporary prefix (cmake --install --prefix),
lists its files and symlinks relative to the prefix, maps them to what the
port installs on FreeBSD, and compares with pkg-plist; every difference is
named. The port's DISTVERSION must be the project's version.

The mapping (the FreeBSD-relevant options, since a Linux build tree cannot
be reconfigured for FreeBSD without a second build):
  - Linux-only files are left out: systemd units (lib/systemd/, CMake
    installs them on Linux only) and the fio engine (built only against a
    fio source tree that scripts/fio-src fetches with Debian's apt).
  - LIBDIR (lib/<multiarch> when configured for /usr) is lib.
  - the pkg-config folder is libdata/pkgconfig (the port passes
    NVMF_PKGCONFIGDIR=libdata/pkgconfig, the default on FreeBSD).
  - manual pages are compressed by the ports framework: .N becomes .N.gz.
  - pkg-plist's %%CMAKE_BUILD_TYPE%% (Uses/cmake.mk's PLIST_SUB, the build
    type in lower case, "release" in a port) stands for this tree's build type.
Lines of pkg-plist starting with @ (keywords) are not file names and are
skipped. On a difference the expected pkg-plist is written to
BUILD_DIR/freebsd-pkg-plist.expected, to copy over packaging/freebsd/pkg-plist
once the difference is intended.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

LINUX_ONLY = [re.compile(r"^lib/systemd/"),
              # The fio engine builds only against a configured fio source
              # tree (scripts/fio-src, Debian's apt); the port has none.
              re.compile(r"^(lib|%s)/libnvmf/libnvmf-fio\.so$" % "lib/[^/]+")]


def installed(build, cmake):
    with tempfile.TemporaryDirectory(prefix="nvmf-plist-") as tmp:
        r = subprocess.run([cmake, "--install", build, "--prefix", tmp],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            sys.exit("FAIL: cmake --install %s:\n%s" % (build, r.stdout))
        out = []
        for d, dirs, files in os.walk(tmp):
            for n in files + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
                out.append(os.path.relpath(os.path.join(d, n), tmp))
        return out


def to_port(path, a):
    """The file's path in the FreeBSD package, or None if FreeBSD has none."""
    if any(p.search(path) for p in LINUX_ONLY):
        return None
    pcdir = a.pkgconfigdir.strip("/")
    if path.startswith(pcdir + "/"):
        path = "libdata/pkgconfig/" + path[len(pcdir) + 1:]
    libdir = a.libdir.strip("/")
    if libdir != "lib" and path.startswith(libdir + "/"):
        path = "lib/" + path[len(libdir) + 1:]
    if re.match(r"^share/man/man[0-9n]/[^/]+\.[0-9n][a-z]*$", path):
        path += ".gz"
    bt = (a.build_type or "noconfig").lower()
    path = re.sub(r"(/[^/]*Targets-)" + re.escape(bt) + r"(\.cmake)$",
                  r"\1%%CMAKE_BUILD_TYPE%%\2", path)
    return path


def main():
    ap = argparse.ArgumentParser()
    for o in ("build", "port", "cmake", "libdir", "pkgconfigdir", "version"):
        ap.add_argument("--" + o, required=True)
    ap.add_argument("--build-type", default="")
    a = ap.parse_args()

    with open(os.path.join(a.port, "Makefile")) as f:
        m = re.search(r"^DISTVERSION=\s*(\S+)", f.read(), re.M)
    if not m or m.group(1) != a.version:
        sys.exit("FAIL: packaging/freebsd/Makefile's DISTVERSION is %s, the project's version %s"
                 % (m.group(1) if m else "missing", a.version))

    want = set()
    for p in installed(a.build, a.cmake):
        q = to_port(p, a)
        if q is not None:
            want.add(q)
    with open(os.path.join(a.port, "pkg-plist")) as f:
        have = [l.strip() for l in f if l.strip() and not l.startswith("@")]
    dup = sorted({x for x in have if have.count(x) > 1})
    have = set(have)

    ok = True
    for x in dup:
        print("pkg-plist lists %s twice" % x)
        ok = False
    for x in sorted(want - have):
        print("installed by CMake, missing from pkg-plist: %s" % x)
        ok = False
    for x in sorted(have - want):
        print("in pkg-plist, not installed by CMake: %s" % x)
        ok = False
    if not ok:
        exp = os.path.join(a.build, "freebsd-pkg-plist.expected")
        with open(exp, "w") as f:
            f.write("".join(x + "\n" for x in sorted(want)))
        print("FAIL: pkg-plist and the CMake install differ; the install's list is in %s" % exp)
        return 1
    print("ok: pkg-plist matches the CMake install (%d files)" % len(want))
    return 0


if __name__ == "__main__":
    sys.exit(main())
