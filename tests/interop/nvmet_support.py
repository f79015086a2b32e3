"""Support code of tests/interop/nvmet: kernel cache, initramfs, control channel,
ICReq probe and QEMU supervision. Only the Python standard library."""

import base64
import ctypes
import errno
import fcntl
import hashlib
import json
import lzma
import os
import re
import secrets
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

IO_PORT = 4420
DISC_PORT = 8009
TLS_OPT_PORT = 4421  # tls configuration's second port: TLS 1.3 offered, not required

# Short names for the kernels the suite uses. The metapackages depend on the
# current ABI package (linux-image-6.1.0-NN-cloud-amd64, which changes with
# security updates); apt-cache resolves it at fetch time.
KERNEL_ALIASES = {
    "6.1": "linux-image-cloud-amd64",
    "6.12": "linux-image-6.12-cloud-amd64",
}
MODULES = ["configfs", "nvmet", "nvmet-tcp", "virtio_pci", "virtio_blk", "virtio_net"]
# The kernel TLS (kTLS) and the crypto it installs after tlshd's handshake. The guest has no
# modprobe, so nothing is loaded on demand: without these the handshake succeeds and the kernel
# then logs "TLS handshake complete, error -5" (tlshd: "The kernel does not support the
# requested algorithm").
TLS_MODULES = ["tls", "crypto_null", "gcm", "ghash-generic", "ccm", "cryptd", "crypto_simd", "aesni-intel"]

# Debian 13 (trixie) userland of the tls configuration: the TLS handshake daemon (ktls-utils:
# tlshd), keyctl (keyutils) and nvme-cli 2.13 (libnvme 1.13), with every library they load and
# Debian 13's glibc and loader (Debian 12 packages no tlshd; nvme-cli 2.13's key derivation is
# the one under test). Downloaded with a private apt configuration, unpacked with dpkg -x, never
# installed on this machine.
TRIXIE_PACKAGES = [
    "ktls-utils", "keyutils", "nvme-cli",
    "libc6", "libgnutls30t64", "libglib2.0-0t64", "libkeyutils1", "libnl-3-200", "libnl-genl-3-200",
    "libnvme1t64", "libjson-c5", "libssl3t64", "libgmp10", "libhogweed6t64", "libnettle8t64",
    "libidn2-0", "libunistring5", "libp11-kit0", "libtasn1-6", "libatomic1", "libffi8",
    "libpcre2-8-0", "zlib1g", "libzstd1",
]
TRIXIE_BINARIES = ["usr/sbin/tlshd", "usr/bin/keyctl", "usr/sbin/nvme"]
TRIXIE_FILES = ["etc/tlshd.conf"]
TRIXIE_LIBDIR = "usr/lib/x86_64-linux-gnu"


class Fail(Exception):
    pass


def log(msg):
    print("nvmet: " + msg, file=sys.stderr, flush=True)


def history(statedir, msg):
    """Appends to STATEDIR/harness.log, which outlives ctest's output."""
    try:
        with open(os.path.join(statedir, "harness.log"), "a") as f:
            f.write("%s [%d] %s\n" % (time.strftime("%H:%M:%S"), os.getpid(), msg))
    except OSError:
        pass


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)(i?B)?", str(s).strip(), re.I)
    if not m:
        raise Fail("bad size '%s' (want e.g. 65536, 64M, 1G)" % s)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


class Lock:
    """flock on a file: serialises fetches of one kernel, one state dir's
    start/stop and the control channel, across processes (ctest -j)."""

    def __init__(self, path, timeout=600):
        self.path, self.timeout = path, timeout

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        end = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > end:
                    raise Fail("timed out waiting for lock %s" % self.path)
                time.sleep(0.1)

    def __exit__(self, *a):
        os.close(self.fd)


# ---------------------------------------------------------------------------
# Kernel cache: apt-get download + dpkg -x, modules resolved by modprobe.

def default_cache():
    return os.environ.get("NVMF_INTEROP_CACHE") or os.path.join(os.getcwd(), "interop-cache")


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        raise Fail("%s failed (%d):\n%s" % (" ".join(cmd), r.returncode, r.stdout))
    return r.stdout


def resolve_package(name):
    """A metapackage resolves to the linux-image-* package it depends on."""
    out = run(["apt-cache", "depends", name])
    deps = re.findall(r"^\s*Depends:\s*(linux-image-\S+)", out, re.M)
    deps = [d for d in deps if not d.endswith("-dbg")]
    return deps[0] if deps else name


def cpio_newc(entries):
    """A newc cpio archive from (name, mode, data, rdev_major, rdev_minor)."""
    out = bytearray()
    for ino, (name, mode, data, rmaj, rmin) in enumerate(entries + [("TRAILER!!!", 0, b"", 0, 0)], 1):
        nb = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, rmaj, rmin, len(nb), 0))
        out += hdr.encode() + nb
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def module_paths(root, kver, modules):
    """The .ko files of modules and their dependencies, in load order (modprobe's)."""
    out = run(["modprobe", "-d", root, "-S", kver, "--show-depends", "-a"] + modules)
    mods = []
    for line in out.splitlines():
        m = re.match(r"insmod (\S+)", line)
        if m and m.group(1) not in mods:
            mods.append(m.group(1))
    return mods


def module_entries(paths, entries):
    """Appends lib/modules/<name>.ko cpio entries for paths; returns the names in order."""
    names = []
    for path in paths:
        data = open(path, "rb").read()
        base = os.path.basename(path)
        # busybox insmod hands the file to init_module() as is: decompress.
        if base.endswith(".xz"):
            data, base = lzma.decompress(data), base[:-3]
        names.append(base)
        entries.append(("lib/modules/" + base, 0o100644, data, 0, 0))
    return names


def fetch_kernel(cache, kernel):
    """Returns (dir with vmlinuz and base.cpio, kernel version), preparing it once."""
    alias_file = os.path.join(cache, "resolved-" + kernel.replace("/", "_"))
    pkg = KERNEL_ALIASES.get(kernel, kernel)

    def apt_lists_mtime():
        return max((os.stat(p).st_mtime for p in ("/var/lib/apt/lists", "/var/cache/apt/pkgcache.bin")
                    if os.path.exists(p)), default=0)
    try:
        os.makedirs(cache, exist_ok=True)
    except OSError as e:
        raise Fail("cannot use %s as the download cache: %s" % (cache, e.strerror))
    try:
        # The resolution only changes with apt-get update: reuse it until then.
        if os.path.exists(alias_file) and os.path.getmtime(alias_file) > apt_lists_mtime():
            pkg = open(alias_file).read().strip()
        else:
            pkg = resolve_package(pkg)
            # The setups of all configurations resolve at once, outside any
            # lock: each writes its own temporary file, and the last rename
            # wins (they all wrote the same name).
            tmp = "%s.tmp.%d" % (alias_file, os.getpid())
            with open(tmp, "w") as f:
                f.write(pkg + "\n")
            os.replace(tmp, alias_file)
    except Fail as e:
        # Offline: use what an earlier run resolved, if anything.
        if not os.path.exists(alias_file):
            raise Fail("cannot resolve kernel package %s: %s" % (pkg, e))
        pkg = open(alias_file).read().strip()
        log("apt-cache failed, using cached %s" % pkg)
    kdir = os.path.join(cache, pkg)
    with Lock(os.path.join(cache, pkg + ".lock")):
        ready = os.path.join(kdir, "ready")
        if os.path.exists(ready):
            return kdir, open(ready).read().strip()
        t0 = time.monotonic()
        shutil.rmtree(kdir, ignore_errors=True)
        os.makedirs(kdir)
        log("downloading %s" % pkg)
        run(["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg], cwd=kdir)
        debs = [f for f in os.listdir(kdir) if f.endswith(".deb")]
        if len(debs) != 1:
            raise Fail("apt-get download %s left %s in %s" % (pkg, debs, kdir))
        t1 = time.monotonic()
        root = os.path.join(kdir, "root")
        run(["dpkg", "-x", os.path.join(kdir, debs[0]), root])
        kvers = os.listdir(os.path.join(root, "lib", "modules"))
        if len(kvers) != 1:
            raise Fail("%s holds modules for %s, expected one version" % (debs[0], kvers))
        kver = kvers[0]
        # The package ships no modules.dep: build it, then let modprobe order
        # the dependencies of exactly the modules the target needs.
        run(["depmod", "-b", root, kver])
        mods = module_paths(root, kver, MODULES)
        entries = [(d, 0o40755, b"", 0, 0) for d in
                   ("bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "run", "tmp")]
        entries.append(("dev/console", 0o20600, b"", 5, 1))
        entries.append(("dev/null", 0o20666, b"", 1, 3))
        entries.append(("bin/busybox", 0o100755, open("/bin/busybox", "rb").read(), 0, 0))
        names = module_entries(mods, entries)
        entries.append(("etc/modules.list", 0o100644, ("\n".join(names) + "\n").encode(), 0, 0))
        with open(os.path.join(kdir, "base.cpio"), "wb") as f:
            f.write(cpio_newc(entries))
        shutil.copy(os.path.join(root, "boot", "vmlinuz-" + kver), os.path.join(kdir, "vmlinuz"))
        shutil.copy(os.path.join(root, "boot", "config-" + kver), os.path.join(kdir, "config"))
        shutil.rmtree(root)
        with open(os.path.join(kdir, "timing"), "w") as f:
            f.write("download %.1fs prepare %.1fs\n" % (t1 - t0, time.monotonic() - t1))
        with open(ready, "w") as f:
            f.write(kver + "\n")
        log("prepared %s (%s): %s, modules %s" % (pkg, kver, open(os.path.join(kdir, "timing")).read().strip(),
                                                   " ".join(names)))
        return kdir, kver

def kernel_extra_modules(kdir, kver, modules, tag):
    """A cpio archive, kept in the kernel's cache directory, of the given modules and of their
    dependencies that base.cpio lacks, listed in load order in /etc/modules-<tag>.list (the
    guest's /init loads every /etc/modules-*.list after /etc/modules.list). Made once per
    kernel, from the cached .deb, so that base.cpio and its cache stay as they are."""
    path = os.path.join(kdir, "modules-%s.cpio" % tag)
    with Lock(kdir + ".lock"):
        if os.path.exists(path):
            return path
        debs = [f for f in os.listdir(kdir) if f.endswith(".deb")]
        if len(debs) != 1:
            raise Fail("no kernel package in %s (found %s): remove the directory to fetch it again" % (kdir, debs))
        root = tempfile.mkdtemp(prefix="root-", dir=kdir)
        try:
            run(["dpkg", "-x", os.path.join(kdir, debs[0]), root])
            run(["depmod", "-b", root, kver])
            base = set(os.path.basename(m) for m in module_paths(root, kver, MODULES))
            mods = [m for m in module_paths(root, kver, MODULES + modules) if os.path.basename(m) not in base]
            entries = []
            names = module_entries(mods, entries)
            entries.append(("etc/modules-%s.list" % tag, 0o100644, ("\n".join(names) + "\n").encode(), 0, 0))
            with open(path + ".tmp", "wb") as f:
                f.write(cpio_newc(entries))
            os.replace(path + ".tmp", path)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        log("prepared the %s modules of %s: %s" % (tag, kver, " ".join(names)))
        return path


# ---------------------------------------------------------------------------
# Debian 13 userland (tls configuration): apt-get download with a private apt
# configuration under the cache, dpkg -x, the binaries and the libraries they
# load into a cpio archive appended to the initramfs.

def trixie_source():
    """A deb822 stanza for Debian 13's main archive, from the mirror this machine uses."""
    uri, signed = "http://deb.debian.org/debian", "/usr/share/keyrings/debian-archive-keyring.gpg"
    deb822 = "/etc/apt/sources.list.d/debian.sources"
    try:
        if os.path.exists(deb822):
            first = re.split(r"\n\s*\n", open(deb822).read().strip())[0]
            m = re.search(r"^URIs:\s*(\S+)", first, re.M)
            uri = m.group(1) if m else uri
            m = re.search(r"^Signed-By:\s*(\S+)", first, re.M)
            signed = m.group(1) if m else signed
        elif os.path.exists("/etc/apt/sources.list"):
            m = re.search(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s", open("/etc/apt/sources.list").read(), re.M)
            uri = m.group(1) if m else uri
    except OSError:
        pass
    lines = ["Types: deb", "URIs: " + uri, "Suites: trixie", "Components: main"]
    if os.path.exists(signed):
        lines.append("Signed-By: " + signed)
    return "\n".join(lines) + "\n"


def elf_needed(path):
    """DT_NEEDED entries of an ELF64 little-endian file (its section headers)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise Fail("%s is not an ELF64 little-endian file" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    # (name, type, flags, addr, offset, size, link, info, addralign, entsize)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    out = []
    for sec in secs:
        if sec[1] != 6:  # SHT_DYNAMIC
            continue
        strtab = secs[sec[6]][4]
        for off in range(sec[4], sec[4] + sec[5], 16):
            tag, val = struct.unpack_from("<qQ", data, off)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                p = strtab + val
                out.append(data[p:data.index(b"\0", p)].decode())
    return out


def userland_entries(root):
    """cpio entries: TRIXIE_BINARIES, TRIXIE_FILES, the loader and every library the binaries
    need (DT_NEEDED, transitively) with their symlinks, plus lib64 -> usr/lib64 and
    lib/x86_64-linux-gnu -> ../usr/lib/x86_64-linux-gnu (the base archive has a real /lib)."""
    want = list(TRIXIE_BINARIES) + list(TRIXIE_FILES) + ["usr/lib64/ld-linux-x86-64.so.2"]
    queue = list(TRIXIE_BINARIES)
    seen_libs = set()
    while queue:
        rel = queue.pop()
        for lib in elf_needed(os.path.join(root, rel)):
            if lib in seen_libs:
                continue
            seen_libs.add(lib)
            lrel = os.path.join(TRIXIE_LIBDIR, lib)
            if not os.path.exists(os.path.join(root, lrel)):
                raise Fail("%s needs %s, which none of the Debian 13 packages %s provides"
                           % (rel, lib, " ".join(TRIXIE_PACKAGES)))
            want.append(lrel)
            queue.append(os.path.relpath(os.path.realpath(os.path.join(root, lrel)), root))
    entries, done = [], set()

    def add(rel):
        if rel in done:
            return
        parent = os.path.dirname(rel)
        if parent:
            add(parent)
        done.add(rel)
        full = os.path.join(root, rel)
        st = os.lstat(full)
        if os.path.islink(full):
            target = os.readlink(full)
            entries.append((rel, 0o120777, target.encode(), 0, 0))
            add(os.path.normpath(os.path.join(parent, target)).lstrip("/") if not target.startswith("/")
                else target.lstrip("/"))
        elif os.path.isdir(full):
            entries.append((rel, 0o40755, b"", 0, 0))
        else:
            entries.append((rel, 0o100000 | (st.st_mode & 0o7777), open(full, "rb").read(), 0, 0))
    for rel in want:
        add(rel)
    entries.append(("lib64", 0o120777, b"usr/lib64", 0, 0))
    entries.append(("lib/x86_64-linux-gnu", 0o120777, b"../usr/lib/x86_64-linux-gnu", 0, 0))
    return entries


def fetch_trixie(cache):
    """Returns (path of the userland cpio archive, "package version" lines), preparing them
    once. The .debs stay in CACHE/trixie-tls/debs; apt's lists live in CACHE/trixie-tls/apt
    only while downloading. This machine's apt state is never used for writing: sources,
    lists, package cache and preferences all point into the cache (apt-get reads the dpkg
    status file, and changes nothing)."""
    d = os.path.join(cache, "trixie-tls")
    cpio = os.path.join(d, "userland.cpio")
    try:
        os.makedirs(cache, exist_ok=True)
    except OSError as e:
        raise Fail("cannot use %s as the download cache: %s" % (cache, e.strerror))
    with Lock(d + ".lock"):
        ready = os.path.join(d, "ready")
        if os.path.exists(ready) and os.path.exists(cpio):
            return cpio, open(ready).read()
        t0 = time.monotonic()
        shutil.rmtree(d, ignore_errors=True)
        apt = os.path.join(d, "apt")
        for sub in ("sources", "preferences", "lists/partial", "cache/archives/partial"):
            os.makedirs(os.path.join(apt, sub))
        os.makedirs(os.path.join(d, "debs"))
        with open(os.path.join(apt, "sources", "trixie.sources"), "w") as f:
            f.write(trixie_source())
        opts = ["-o", "Dir::Etc::SourceList=/dev/null", "-o", "Dir::Etc::SourceParts=" + os.path.join(apt, "sources"),
                "-o", "Dir::Etc::Preferences=/dev/null",
                "-o", "Dir::Etc::PreferencesParts=" + os.path.join(apt, "preferences"),
                "-o", "Dir::State::Lists=" + os.path.join(apt, "lists"),
                "-o", "Dir::Cache=" + os.path.join(apt, "cache"),
                "-o", "APT::Sandbox::User=root", "-q"]
        log("downloading Debian 13 packages: %s" % " ".join(TRIXIE_PACKAGES))
        try:
            run(["apt-get"] + opts + ["update"])
            run(["apt-get"] + opts + ["download"] + TRIXIE_PACKAGES, cwd=os.path.join(d, "debs"))
        except Fail as e:
            raise Fail("cannot download the Debian 13 packages of the tls configuration "
                       "(a Debian mirror must be reachable): %s" % e)
        shutil.rmtree(apt)
        t1 = time.monotonic()
        debs = sorted(f for f in os.listdir(os.path.join(d, "debs")) if f.endswith(".deb"))
        if len(debs) != len(TRIXIE_PACKAGES):
            raise Fail("apt-get download left %d packages, expected %d: %s" % (len(debs), len(TRIXIE_PACKAGES), debs))
        root = tempfile.mkdtemp(prefix="root-", dir=d)
        try:
            for deb in debs:
                run(["dpkg", "-x", os.path.join(d, "debs", deb), root])
            entries = userland_entries(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        with open(cpio + ".tmp", "wb") as f:
            f.write(cpio_newc(entries))
        os.replace(cpio + ".tmp", cpio)
        # "nvme-cli_2.13-2_amd64.deb" -> "nvme-cli 2.13-2" (":" of an epoch is "%3a" in the name)
        versions = "".join("%s %s\n" % tuple(deb.split("_")[:2]) for deb in debs).replace("%3a", ":")
        size = sum(len(e[2]) for e in entries)
        with open(os.path.join(d, "timing"), "w") as f:
            f.write("download %.1fs prepare %.1fs, %d files, %.1f MB\n"
                    % (t1 - t0, time.monotonic() - t1, len(entries), size / 1e6))
        with open(ready, "w") as f:
            f.write(versions)
        log("prepared the Debian 13 userland: %s" % open(os.path.join(d, "timing")).read().strip())
        return cpio, versions


# ---------------------------------------------------------------------------
# ICReq probe (NVMe/TCP 1.0, 3.6.2.2-3.6.2.3), independent of libnvmf so that
# the harness proves the target is up before any libnvmf code runs.

ICREQ = struct.pack("<BBBBIHBBI", 0, 0, 128, 0, 128, 0, 0, 0, 0) + bytes(112)


def parse_icresp(buf):
    typ, flags, hlen, pdo, plen, pfv, cpda, dgst, maxh2c = struct.unpack_from("<BBBBIHBBI", buf)
    if typ != 1 or hlen != 128 or plen != 128 or pfv != 0 or maxh2c < 4096 or maxh2c % 4:
        raise Fail("bad ICResp: type %d hlen %d plen %d pfv %d maxh2cdata %d" % (typ, hlen, plen, pfv, maxh2c))
    return {"cpda": cpda, "dgst": dgst, "maxh2cdata": maxh2c}


def icreq_probe(host, port, timeout=3.0):
    """Returns the ICResp fields as a dict, or raises OSError / Fail."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(ICREQ)
        buf = b""
        while len(buf) < 128:
            chunk = s.recv(128 - len(buf))
            if not chunk:
                raise OSError(errno.ECONNRESET, "connection closed after %d bytes of ICResp" % len(buf))
            buf += chunk
    return parse_icresp(buf)


# ---------------------------------------------------------------------------
# The same over TLS 1.3 with an external PSK (NVMe/TCP 1.1, 3.6.1), through the
# openssl command: Python 3.11's ssl module has no TLS 1.3 external PSKs.

def _der(tag, body):
    n = len(body)
    size = bytes([n]) if n < 0x80 else (b"\x81" + bytes([n]) if n < 0x100 else b"\x82" + n.to_bytes(2, "big"))
    return bytes([tag]) + size + body


def psk_session_pem(psk, hash_id):
    """A PEM "SSL SESSION PARAMETERS" whose master key is psk and whose cipher suite is
    TLS_AES_128_GCM_SHA256 (hash_id 1) or TLS_AES_256_GCM_SHA384 (2), for s_client
    -psk_session: with -psk the openssl command always pairs the key with SHA-256. Only the
    mandatory fields of OpenSSL's SSL_SESSION_ASN1: version 1, TLS 1.3, cipher, empty
    session id, master key."""
    cipher = b"\x13\x01" if hash_id == 1 else b"\x13\x02"
    der = _der(0x30, _der(2, b"\x01") + _der(2, b"\x03\x04") + _der(4, cipher) + _der(4, b"") + _der(4, psk))
    return ("-----BEGIN SSL SESSION PARAMETERS-----\n%s-----END SSL SESSION PARAMETERS-----\n"
            % base64.encodebytes(der).decode())


def tls_icreq_probe(host, port, identity, psk_hex, hash_id=1, timeout=10.0, openssl="openssl", keylog=None):
    """One ICReq over TLS 1.3 with the external PSK psk_hex (the TLS PSK itself, as the
    target's keyring holds it) and its identity, through `openssl s_client -tls1_3 -brief`.
    keylog: a file for s_client's TLS secrets (NSS key log, for tshark).
    Returns a dict: icresp (the ICResp fields, or None when none came), error (why not),
    protocol and ciphersuite (s_client's summary), stderr (all s_client said), rc."""
    icresp, error = None, None
    with tempfile.TemporaryDirectory(prefix="nvmet-tls-") as tmp:
        argv = [openssl, "s_client", "-connect", "%s:%d" % (host, port), "-tls1_3", "-brief", "-nocommands",
                "-psk_identity", identity]
        if hash_id == 1:
            argv += ["-ciphersuites", "TLS_AES_128_GCM_SHA256", "-psk", psk_hex]
        else:
            sess = os.path.join(tmp, "psk.pem")
            with open(sess, "w") as f:
                f.write(psk_session_pem(bytes.fromhex(psk_hex), hash_id))
            argv += ["-ciphersuites", "TLS_AES_256_GCM_SHA384", "-psk_session", sess]
        if keylog:
            argv += ["-keylogfile", keylog]
        try:
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:
            raise Fail("cannot run %s (the openssl command, package openssl): %s" % (openssl, e.strerror))
        buf = b""
        try:
            p.stdin.write(ICREQ)
            p.stdin.flush()
            end = time.monotonic() + timeout
            while len(buf) < 128:
                left = end - time.monotonic()
                if left <= 0:
                    error = "no ICResp within %.0fs (%d bytes)" % (timeout, len(buf))
                    break
                r, _, _ = select.select([p.stdout], [], [], left)
                if not r:
                    continue
                chunk = os.read(p.stdout.fileno(), 128 - len(buf))
                if not chunk:
                    error = "connection closed after %d bytes of ICResp" % len(buf)
                    break
                buf += chunk
        except BrokenPipeError:
            error = "s_client exited before the ICReq was sent"
        # End of input: s_client sends close_notify and exits (-brief does not ignore EOF).
        try:
            _, err = p.communicate(timeout=5)
        except (subprocess.TimeoutExpired, BrokenPipeError, ValueError):
            p.kill()
            _, err = p.communicate()
    err = err.decode(errors="replace")
    if len(buf) == 128:
        try:
            icresp = parse_icresp(buf)
        except Fail as e:
            error = str(e)
    proto = re.search(r"^Protocol version: (\S+)", err, re.M)
    suite = re.search(r"^Ciphersuite: (\S+)", err, re.M)
    return {"icresp": icresp, "error": error, "protocol": proto.group(1) if proto else None,
            "ciphersuite": suite.group(1) if suite else None, "stderr": err, "rc": p.returncode}


def interchange_key(hmac, secret):
    """The PSK interchange format (NVMe TCP 1.1, 3.6.1.5) of secret with hash id hmac:
    "NVMeTLSkey-1:0H:" Base64(secret || CRC-32(secret) as LE32) ":"."""
    crc = struct.pack("<I", zlib.crc32(secret))
    return "NVMeTLSkey-1:%02x:%s:" % (hmac, base64.b64encode(secret + crc).decode())


def interchange_secret(key):
    """(hash id, secret) of an interchange key; raises Fail on a malformed one."""
    m = re.fullmatch(r"NVMeTLSkey-1:0([0-2]):([A-Za-z0-9+/=]+):", key)
    if not m:
        raise Fail("not a PSK interchange key: %r" % key)
    raw = base64.b64decode(m.group(2))
    if len(raw) not in (36, 52) or struct.pack("<I", zlib.crc32(raw[:-4])) != raw[-4:]:
        raise Fail("interchange key with a bad length or CRC: %r" % key)
    return int(m.group(1)), raw[:-4]


def fixed_secret(label, length):
    """A fixed configured PSK for tests: the first length bytes of SHA-384(label)."""
    return hashlib.sha384(label.encode()).digest()[:length]


def free_port():
    """A free port below the kernel's ephemeral range: the host keeps its
    forwarded ports across `restart`, and while QEMU is down an outgoing
    connection (a host reconnecting, any other test) could otherwise be given
    that very port as its local port, and QEMU could not bind it again."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    rng = secrets.SystemRandom()
    # 10000-19999: the other tests' restartable servers take theirs from
    # 20000 up (tests/lib/nvmf_testlib.py), so none takes a forwarded port
    # while its guest restarts.
    for _ in range(50 if low > 12000 else 0):
        port = rng.randrange(10000, min(low, 20000))
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# Control channel: the guest's ttyS1 on a UNIX socket (guest/nvmet-ctl.sh).

def ctl_call(statedir, script, timeout=60.0):
    """Runs a shell script in the guest; returns (status, output)."""
    sock_path = os.path.join(statedir, "ctl.sock")
    rid = secrets.token_hex(6)
    body = base64.encodebytes(script.encode()).decode()
    req = ("REQ %s\n%sEND\n" % (rid, body)).encode()
    with Lock(os.path.join(statedir, "ctl.lock"), timeout=timeout):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(timeout)
            s.connect(sock_path)
            s.sendall(req)
            end = time.monotonic() + timeout
            buf, lines, inside = b"", [], False
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no answer from the guest within %.0fs" % timeout)
                s.settimeout(left)
                chunk = s.recv(65536)
                if not chunk:
                    raise Fail("control channel closed (QEMU gone?)")
                buf += chunk.replace(b"\r", b"")
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.decode(errors="replace")
                    if line == "BEGIN " + rid:
                        inside, lines = True, []
                    elif inside and line.startswith("DONE %s " % rid):
                        out = base64.b64decode("".join(lines)).decode(errors="replace")
                        return int(line.split()[2]), out
                    elif inside:
                        lines.append(line)
        finally:
            s.close()


def guest(statedir, func, *args, timeout=60.0):
    """Calls one helper of guest/nvmet.sh; raises Fail with its message."""
    cmd = ". /lib/nvmet.sh; " + " ".join([func] + [shlex.quote(str(a)) for a in args])
    rc, out = ctl_call(statedir, cmd, timeout=timeout)
    if rc != 0:
        raise Fail("%s %s: status %d: %s" % (func, " ".join(map(str, args)), rc, out.strip()))
    return out


def qmp(statedir, command, **arguments):
    """One QMP command on QEMU's monitor socket (used for disk resize)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(os.path.join(statedir, "qmp.sock"))
        f = s.makefile("rw")
        json.loads(f.readline())
        for cmd in ({"execute": "qmp_capabilities"}, {"execute": command, "arguments": arguments}):
            f.write(json.dumps(cmd) + "\n")
            f.flush()
            while True:
                r = json.loads(f.readline())
                if "event" in r:
                    continue
                if "error" in r:
                    raise Fail("QMP %s: %s" % (cmd["execute"], r["error"].get("desc")))
                break


# ---------------------------------------------------------------------------
# Process supervision: QEMU runs as the child of a detached supervisor that
# kills it when the watched process (ctest, or whoever started us) goes away
# or the lifetime bound passes. QEMU also gets PDEATHSIG so that killing the
# supervisor takes QEMU along, and the guest reboots itself (-no-reboot makes
# that an exit) after the same bound.

def proc_start_time(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def watch_target():
    """Nearest ctest ancestor, else our parent."""
    pid = os.getppid()
    p = pid
    while p > 1:
        try:
            with open("/proc/%d/stat" % p) as f:
                st = f.read()
        except OSError:
            break
        comm = st[st.index("(") + 1:st.rindex(")")]
        if comm == "ctest":
            return p
        p = int(st.rsplit(")", 1)[1].split()[1])
    return pid


def supervise(statedir):
    cfg = json.load(open(os.path.join(statedir, "run.json")))
    watch, watch_start = cfg["watch_pid"], cfg["watch_start"]
    deadline = time.monotonic() + cfg["lifetime"]
    libc = ctypes.CDLL(None, use_errno=True)

    parent = os.getpid()

    def child_setup():
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the supervisor died before prctl
            os._exit(1)

    qlog = open(os.path.join(statedir, "qemu.log"), "ab")
    p = subprocess.Popen(cfg["argv"], stdin=subprocess.DEVNULL, stdout=qlog, stderr=qlog,
                         preexec_fn=child_setup, close_fds=True)
    # Atomically: a reader must never see an empty pid file (it would take
    # QEMU for dead).
    with open(os.path.join(statedir, "qemu.pid.tmp"), "w") as f:
        f.write("%d %s\n" % (p.pid, proc_start_time(p.pid)))
    os.replace(os.path.join(statedir, "qemu.pid.tmp"), os.path.join(statedir, "qemu.pid"))
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *a: p.terminate())
    reason = None
    while p.poll() is None:
        if watch and proc_start_time(watch) != watch_start:
            reason = "watched process %d is gone" % watch
        elif time.monotonic() > deadline:
            reason = "lifetime of %ds is over" % cfg["lifetime"]
        if reason:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
            break
        time.sleep(0.5)
    rc = p.wait()
    with open(os.path.join(statedir, "supervisor.log"), "a") as f:
        f.write("%s qemu %d exited %d%s\n" % (time.strftime("%H:%M:%S"), p.pid, rc,
                                              (": " + reason) if reason else ""))


def qemu_alive(statedir):
    try:
        pid, start = open(os.path.join(statedir, "qemu.pid")).read().split()
        pid = int(pid)
    except (OSError, ValueError):
        return None
    return pid if proc_start_time(pid) == start else None


def stop_qemu(statedir, timeout=10):
    pid = qemu_alive(statedir)
    if not pid:
        return False
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + timeout
    while qemu_alive(statedir) and time.monotonic() < end:
        time.sleep(0.1)
    if qemu_alive(statedir):
        os.kill(pid, signal.SIGKILL)
        while qemu_alive(statedir):
            time.sleep(0.1)
    return True


def console_tail(statedir, n=80):
    text = ""
    for name in ("qemu.log", "supervisor.log", "console.log"):
        try:
            lines = open(os.path.join(statedir, name), errors="replace").read().splitlines()
        except OSError:
            continue
        if lines:
            text += "---- %s (last %d lines) ----\n%s\n" % (name, min(n, len(lines)), "\n".join(lines[-n:]))
        elif name == "console.log":
            text += "---- console.log is empty (QEMU or the kernel failed before any output) ----\n"
    return text
