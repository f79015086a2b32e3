"""Support code of tests/interop/nvmet: kernel cache, initramfs, control channel,
ICReq probe and QEMU supervision. Only the Python standard library."""

import base64
import ctypes
import errno
import fcntl
import json
import lzma
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

IO_PORT = 4420
DISC_PORT = 8009

# Short names for the kernels the suite uses. The metapackages depend on the
# current ABI package (linux-image-6.1.0-NN-cloud-amd64, which changes with
# security updates); apt-cache resolves it at fetch time.
KERNEL_ALIASES = {
    "6.1": "linux-image-cloud-amd64",
    "6.12": "linux-image-6.12-cloud-amd64",
}
MODULES = ["configfs", "nvmet", "nvmet-tcp", "virtio_pci", "virtio_blk", "virtio_net"]


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
            with open(alias_file + ".tmp", "w") as f:
                f.write(pkg + "\n")
            os.replace(alias_file + ".tmp", alias_file)
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
        out = run(["modprobe", "-d", root, "-S", kver, "--show-depends", "-a"] + MODULES)
        mods = []
        for line in out.splitlines():
            m = re.match(r"insmod (\S+)", line)
            if m and m.group(1) not in mods:
                mods.append(m.group(1))
        entries = [(d, 0o40755, b"", 0, 0) for d in
                   ("bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "run", "tmp")]
        entries.append(("dev/console", 0o20600, b"", 5, 1))
        entries.append(("dev/null", 0o20666, b"", 1, 3))
        entries.append(("bin/busybox", 0o100755, open("/bin/busybox", "rb").read(), 0, 0))
        names = []
        for path in mods:
            data = open(path, "rb").read()
            base = os.path.basename(path)
            # busybox insmod hands the file to init_module() as is: decompress.
            if base.endswith(".xz"):
                data, base = lzma.decompress(data), base[:-3]
            names.append(base)
            entries.append(("lib/modules/" + base, 0o100644, data, 0, 0))
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


# ---------------------------------------------------------------------------
# ICReq probe (NVMe/TCP 1.0, 3.6.2.2-3.6.2.3), independent of libnvmf so that
# the harness proves the target is up before any libnvmf code runs.

def icreq_probe(host, port, timeout=3.0):
    """Returns the ICResp fields as a dict, or raises OSError / Fail."""
    icreq = struct.pack("<BBBBIHBBI", 0, 0, 128, 0, 128, 0, 0, 0, 0) + bytes(112)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(icreq)
        buf = b""
        while len(buf) < 128:
            chunk = s.recv(128 - len(buf))
            if not chunk:
                raise OSError(errno.ECONNRESET, "connection closed after %d bytes of ICResp" % len(buf))
            buf += chunk
    typ, flags, hlen, pdo, plen, pfv, cpda, dgst, maxh2c = struct.unpack_from("<BBBBIHBBI", buf)
    if typ != 1 or hlen != 128 or plen != 128 or pfv != 0 or maxh2c < 4096 or maxh2c % 4:
        raise Fail("bad ICResp: type %d hlen %d plen %d pfv %d maxh2cdata %d" % (typ, hlen, plen, pfv, maxh2c))
    return {"cpda": cpda, "dgst": dgst, "maxh2cdata": maxh2c}


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
    for _ in range(50 if low > 12000 else 0):
        port = rng.randrange(10000, low)
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
