#!/usr/bin/env python3
"""libnvmf's TLS host (nvmfctl, nvmf-fuse) against the Linux kernel target of the tls fixture.

  tls_host.py TEST --nvmfctl EXE --fuse EXE      (NVMF_TEST_ENV names the fixture's target.env)

The guest runs nvmet 6.12 with Debian 13's tlshd 1.0.0; the TLS PSKs in its .nvme keyring were
derived by nvme-cli 2.13 (libnvme 1.13's HKDF labels), so the host runs with --tls-compat, as
NVMF_TEST_HOSTNQN (the only host on the allow-list), to NVMF_TEST_TRADDR:NVMF_TEST_TRSVCID.

  host       nvmfctl id-ctrl over TLS with identity versions 0 and 1 (key in NVMF_TLS_KEY, and
             once with --tls-key), key files in nvme-cli's format (from the guest's keyring, and
             written by nvmfctl check-tls-key/gen-tls-key --insert, compared line for line),
             the port where TLS is optional (TLS and plaintext); nvmf-fuse over TLS: a pattern
             written through the file, read back directly, in the target's backing image, on
             the guest's disk (read in the guest with O_DIRECT), through a second mount with a
             key file, and after nvmfctl connect (key handed on in NVMF_TLS_KEY)
  refused    a wrong key, the RFC 8446 derivation of the right one, the SHA-384 key (refused by
             tlshd 1.0.0, see README.md), an identity unknown to the target, the whole keyring
             as key file (the host prefers its SHA-384 entry, as Linux does), plaintext on the
             TLS-only port, a key file without the host's key: nvmfctl and nvmf-fuse fail with
             one clear message each; tlshd's reason (console) is printed with it
  discovery  nvmfctl discover over TLS: refused while .nvme has no key for the discovery NQN,
             then one is added (nvmet tls-key-add) and the log says TLS 1.3 required; the
             optional port's log in plaintext
  reconnect  nvmf-fuse (ctrl_loss_tmo -1, reconnect delay 1 s) while the TLS port is removed
             and added again: a write made during the outage completes, every queue shakes
             hands again (tlshd's count), the data is on the target

Exit 0 pass, 1 fail, 77 skip (no /dev/fuse or not allowed to mount: host and reconnect only).
"""
import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import nvmet_support as ns  # noqa: E402  (interchange_key, interchange_secret)
from nvmf_testlib import Fail, check, is_mounted, log, wait_gone  # noqa: E402

SKIP = 77
MiB = 1 << 20
DISC_NQN = "nqn.2014-08.org.nvmexpress.discovery"
SUITE = "TLS_AES_128_GCM_SHA256"
# A well-formed configured PSK that nobody configured (nvmfctl's and nvme-cli's test vector).
WRONG_KEY = "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
OTHER_HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-1111-2222-3333-444444444444"


def load_env():
    path = os.environ.get("NVMF_TEST_ENV")
    if not path or not os.path.exists(path):
        raise Fail("NVMF_TEST_ENV is not set or missing: run this test from ctest's tls fixture")
    kv = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            vals = shlex.split(v)
            kv[k] = vals[0] if vals else ""
    if kv.get("NVMF_TEST_TLS") != "1":
        raise Fail("%s is not the tls configuration (NVMF_TEST_TLS=%r)" % (path, kv.get("NVMF_TEST_TLS")))
    return kv


def fuse_usable():
    return os.path.exists("/dev/fuse") and (os.geteuid() == 0 or shutil.which("fusermount3"))


class Env:
    def __init__(self, a):
        self.e = load_env()
        self.ctl_exe, self.fuse_exe = a.nvmfctl, a.fuse
        self.tmp = tempfile.mkdtemp(prefix="tls-host-")
        self.rundir = os.path.join(self.tmp, "run")
        os.makedirs(self.rundir)
        self.env = dict(os.environ, NVMF_RUNTIME_DIR=self.rundir, TMPDIR=self.tmp)
        for var in ("NVMF_TLS_KEY", "LIBNVMF_DEBUG"):
            self.env.pop(var, None)
        self.mounts = []
        self.bugs = []  # broken promises of the product: reported at the end, the test goes on
        e = self.e
        self.addr, self.port, self.subnqn = e["NVMF_TEST_TRADDR"], e["NVMF_TEST_TRSVCID"], e["NVMF_TEST_SUBNQN"]
        self.host, self.key, self.key384 = e["NVMF_TEST_HOSTNQN"], e["NVMF_TEST_TLS_KEY"], e["NVMF_TEST_TLS_KEY384"]
        self.uri = "nvme+tcp://%s:%s/%s" % (self.addr, self.port, self.subnqn)
        # The keyring nvme-cli 2.13 filled: identity -> TLS PSK (hex).
        self.ring = {}
        with open(e["NVMF_TEST_TLS_KEYRING"]) as f:
            for line in f:
                hexkey, ident = line.rstrip("\n").split(" ", 1)
                self.ring[ident] = hexkey
        self.ids = {0: e["NVMF_TEST_TLS_IDENTITY"], 1: self.ring_identity(1, 1, self.subnqn)}
        check(self.ids[0] in self.ring, "NVMF_TEST_TLS_IDENTITY %r is not in the keyring" % self.ids[0])

    def ring_identity(self, version, hmac, subnqn):
        pre = "NVMe%dR%02d %s %s" % (version, hmac, self.host, subnqn)
        found = [i for i in self.ring if i == pre or i.startswith(pre + " ")]
        check(len(found) == 1, "keyring: %d identities %r... (want 1): %s" % (len(found), pre, sorted(self.ring)))
        return found[0]

    def expect(self, cond, msg):
        """A check whose failure is a product bug: printed now, fails the test at the end."""
        if not cond:
            log("BUG: " + msg)
            self.bugs.append(msg)
        return cond

    def path(self, name):
        return os.path.join(self.tmp, name)

    # -- nvmfctl --------------------------------------------------------------------------
    def nvmfctl(self, *args, key=None, debug=False, rc=0, retry=True, timeout=90):
        """nvmfctl ARGS (key in NVMF_TLS_KEY, LIBNVMF_DEBUG=1 with debug). rc None: any status.
        A connection the forwarded port reset or refused before TLS began (QEMU's backlog of
        1) is retried when rc is 0."""
        args = [str(x) for x in args]
        env = dict(self.env)
        if key:
            env["NVMF_TLS_KEY"] = key
        if debug:
            env["LIBNVMF_DEBUG"] = "1"
        for attempt in range(4):
            t0 = time.monotonic()
            try:
                p = subprocess.run([self.ctl_exe] + args, capture_output=True, text=True, env=env,
                                   timeout=timeout)
            except subprocess.TimeoutExpired:
                raise Fail("nvmfctl %s did not finish within %d s" % (" ".join(args), timeout))
            p.seconds = time.monotonic() - t0
            flaky = re.search(r"connection error: connection (reset by peer|refused)", p.stderr)
            if not (rc == 0 and p.returncode != 0 and flaky and retry and attempt < 3):
                break
            log("  (nvmfctl %s: %s; retrying)" % (args[0], flaky.group(0)))
            time.sleep(0.5)
        if rc is not None and p.returncode != rc:
            raise Fail("nvmfctl %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s%s"
                       % (" ".join(args), p.returncode, rc, p.stdout[-3000:], p.stderr[-3000:], self.tlshd_tail()))
        return p

    def id_ctrl(self, *extra, key=None, port=None, hostnqn=None):
        """id-ctrl -o json over TLS; returns (json, (suite, identity) the host used)."""
        p = self.nvmfctl("id-ctrl", "--traddr", self.addr, "--trsvcid", port or self.port, "--nqn",
                         self.subnqn, "--hostnqn", hostnqn or self.host, "-o", "json", *extra,
                         key=key, debug=True)
        j = json.loads(p.stdout)
        check(j["subnqn"] == self.subnqn and j["mn"] == "Linux",
              "id-ctrl: %s" % {k: j.get(k) for k in ("subnqn", "mn")})
        return j, used_tls(p.stderr)

    # -- the guest ------------------------------------------------------------------------
    def guest(self, *args, rc=0, timeout=120):
        p = subprocess.run([self.e["NVMF_TEST_CTL"]] + [str(x) for x in args], capture_output=True,
                           text=True, timeout=timeout)
        if rc is not None and p.returncode != rc:
            raise Fail("ctl %s: exit %d\n%s%s" % (" ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
        return p.stdout

    def console(self):
        with open(self.e["NVMF_TEST_CONSOLE_LOG"], errors="replace") as f:
            return f.read()

    def tlshd_lines(self, since=0):
        """tlshd's lines of the console log from offset since (kernel lines can run into them)."""
        text = self.console()[since:]
        return [m.group(0) for m in re.finditer(r"tlshd\[\d+\]: [^\[\n]*", text)]

    def tlshd_tail(self, n=12):
        return "\ntlshd (console):\n  " + "\n  ".join(self.tlshd_lines()[-n:])

    def handshakes(self):
        return self.console().count("was successful")

    def guest_md5(self, off, length):
        """MD5 of the guest's own disk behind namespace 1, read with O_DIRECT in the guest."""
        dev = self.guest("cat /sys/kernel/config/nvmet/subsystems/%s/namespaces/%s/device_path"
                         % (self.subnqn, self.e["NVMF_TEST_NSID"])).strip()
        check(dev.startswith("/dev/"), "namespace 1's device_path: %r" % dev)
        check(off % MiB == 0 and length % MiB == 0, "guest_md5 works in MiB")
        out = self.guest("dd if=%s bs=1048576 skip=%d count=%d iflag=direct 2>/dev/null | md5sum"
                         % (dev, off // MiB, length // MiB))
        return out.split()[0]

    # -- nvmf-fuse ------------------------------------------------------------------------
    def mount(self, name, *extra, key=None, expect_fail=False):
        mnt = self.path("mnt-" + name)
        os.makedirs(mnt, exist_ok=True)
        pidfile = self.path("fuse-%s.pid" % name)
        env = dict(self.env)
        if key:
            env["NVMF_TLS_KEY"] = key
        cmd = [self.fuse_exe, mnt, self.uri, "-P", pidfile, "--name", name, "--hostnqn", self.host,
               "--hostid", self.e["NVMF_TEST_HOSTID"], "--nr-io-queues", "2", "--keep-alive-tmo", "30",
               "--tls", "--tls-compat"] + [str(x) for x in extra]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=90)
        if expect_fail:
            check(p.returncode != 0, "nvmf-fuse %s mounted: %s" % (" ".join(extra), p.stderr))
            check(not is_mounted(mnt), "nvmf-fuse failed but %s is mounted" % mnt)
            return p
        if p.returncode != 0:
            raise Fail("nvmf-fuse %s failed (%d): %s%s" % (" ".join(cmd[4:]), p.returncode, p.stderr,
                                                            self.tlshd_tail()))
        with open(pidfile) as f:
            m = {"name": name, "mnt": mnt, "pid": int(f.read()), "file": os.path.join(mnt, "n1")}
        self.mounts.append(m)
        return m

    def record(self, name):
        with open(os.path.join(self.rundir, name + ".json")) as f:
            return json.load(f)

    def umount(self, m):
        subprocess.run(["fusermount3", "-u", m["mnt"]], capture_output=True)
        check(wait_gone(m["pid"], 30), "nvmf-fuse %s did not exit after unmount" % m["name"])
        check(not is_mounted(m["mnt"]), "%s still mounted" % m["mnt"])
        self.mounts.remove(m)

    def cleanup(self):
        for m in list(self.mounts):
            subprocess.run(["fusermount3", "-u", m["mnt"]], capture_output=True)
            if not wait_gone(m["pid"], 10):
                try:
                    os.kill(m["pid"], signal.SIGKILL)
                except ProcessLookupError:
                    pass
                wait_gone(m["pid"], 10)
            if is_mounted(m["mnt"]):
                subprocess.run(["umount", "-l", m["mnt"]], capture_output=True)
        # Connections nvmfctl connect made and a failed test left.
        for n in os.listdir(self.rundir):
            if n.endswith(".json"):
                try:
                    rec = json.load(open(os.path.join(self.rundir, n)))
                except (OSError, ValueError):
                    continue
                if rec.get("pid", 0) > 0:
                    try:
                        os.kill(rec["pid"], signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                    wait_gone(rec["pid"], 10)
                if rec.get("mountpoint") and is_mounted(rec["mountpoint"]):
                    subprocess.run(["umount", "-l", rec["mountpoint"]], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def used_tls(stderr):
    """(cipher suite, identity) of the last TLS handshake in a LIBNVMF_DEBUG log, or None."""
    found = re.findall(r"TLS 1\.3 with \S+ port \d+: (\S+), identity '([^']*)'", stderr)
    return found[-1] if found else None


def md5(data):
    return hashlib.md5(data).hexdigest()


def dd_read(path, off, length):
    """length bytes at off of a namespace file, read with O_DIRECT (not the page cache)."""
    p = subprocess.run(["dd", "if=" + path, "bs=1M", "skip=%d" % (off // MiB), "count=%d" % (length // MiB),
                        "iflag=direct", "status=none"], capture_output=True, timeout=120)
    check(p.returncode == 0 and len(p.stdout) == length, "dd iflag=direct %s: %s (%d bytes)"
          % (path, p.stderr.decode(errors="replace"), len(p.stdout)))
    return p.stdout


def image_read(t, off, length):
    with open(t.e["NVMF_TEST_IMAGE"], "rb") as f:
        f.seek(off)
        return f.read(length)


def write_keyfile(path, lines):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(l + "\n" for l in lines))


def ring_line(t, ident):
    """nvme-cli's key file line of a keyring entry: identity, TLS PSK in interchange form."""
    return "%s %s" % (ident, ns.interchange_key(int(ident[6:8]), bytes.fromhex(t.ring[ident])))


def keyfile_lines(path):
    with open(path) as f:
        return sorted(l.rstrip("\n") for l in f if l.strip())


# ---------------------------------------------------------------------------------------------

def t_host(t):
    # nvmfctl id-ctrl, the configured PSK in NVMF_TLS_KEY, identity versions 0 and 1.
    for v in (0, 1):
        j, used = t.id_ctrl("--tls", "--tls-compat", "--tls-identity", v, key=t.key)
        check(used == (SUITE, t.ids[v]), "identity version %d: the host used %s, the keyring holds %r"
              % (v, used, t.ids[v]))
        log("id-ctrl over TLS, identity %d: cntlid %d, %s, '%s'" % (v, j["cntlid"], used[0], used[1][:8]))
    # The key on the command line: a warning that others can read it, and it works.
    p = t.nvmfctl("id-ctrl", t.uri, "--hostnqn", t.host, "--tls-key", t.key, "--tls-compat")
    check(p.stdout.startswith("NVME Identify Controller:") and "subnqn    : %s\n" % t.subnqn in p.stdout,
          "id-ctrl --tls-key:\n%s" % p.stdout[:300])
    check("warning" in p.stderr and "--tls-key" in p.stderr, "no warning about --tls-key: %r" % p.stderr)
    log("id-ctrl --tls-key: ok, warned: %s" % p.stderr.strip().splitlines()[0])

    # Key files in nvme-cli's format. From the guest's keyring (what nvme-cli 2.13 derived), the
    # SHA-256 entries of this host and subsystem, both identity versions:
    ring_file = t.path("tls-keys.ring")
    write_keyfile(ring_file, [ring_line(t, t.ids[0]), ring_line(t, t.ids[1])])
    # nvmf.h: tls_identity 0 (the default) and 1 take that version; -1 any, version 1 first as Linux.
    _, used = t.id_ctrl("--tls", "--tls-key-file", ring_file)
    check(used == (SUITE, t.ids[0]), "key file, no --tls-identity: used %s, want version 0 (the default)"
          % (used,))
    _, used = t.id_ctrl("--tls", "--tls-key-file", ring_file, "--tls-identity", -1)
    check(used == (SUITE, t.ids[1]), "key file, --tls-identity -1: used %s, want version 1 (Linux's order)"
          % (used,))
    _, used = t.id_ctrl("--tls", "--tls-key-file", ring_file, "--tls-identity", 1)
    check(used == (SUITE, t.ids[1]), "key file, --tls-identity 1: used %s" % (used,))
    # --tls-identity 0 asks for version 0.
    _, used = t.id_ctrl("--tls", "--tls-key-file", ring_file, "--tls-identity", 0)
    t.expect(used == (SUITE, t.ids[0]), "key file with version 0 and 1 entries, --tls-identity 0: the host "
             "offered %r, not the version 0 identity (src/tcp/host_tls.c looks up any version unless "
             "tls_identity is 1)" % (used[1] if used else None,))
    v0_file = t.path("tls-keys.v0")
    write_keyfile(v0_file, [ring_line(t, t.ids[0])])
    _, used = t.id_ctrl("--tls", "--tls-key-file", v0_file, "--tls-identity", 0)
    check(used == (SUITE, t.ids[0]), "key file with the version 0 entry only: used %s" % (used,))
    log("id-ctrl --tls-key-file (keyring's entries): version 0 by default and with --tls-identity 0, "
        "version 1 with 1 and with -1 (Linux's order), version 0 from a file holding only it")
    # Written by nvmfctl (check-tls-key -i, gen-tls-key -i with the key's secret): the same lines.
    ctl_file = t.path("tls-keys.nvmfctl")
    t.nvmfctl("check-tls-key", "-d", t.key, "-c", t.subnqn, "-n", t.host, "-I", 0, "-C", "-i", "-f", ctl_file)
    hmac, secret = ns.interchange_secret(t.key)
    p = subprocess.run([t.ctl_exe, "gen-tls-key", "-m", str(hmac), "-s", "-", "-c", t.subnqn, "-n", t.host,
                        "-I", "1", "-C", "-i", "-f", ctl_file], input=secret.hex() + "\n",
                       capture_output=True, text=True, env=t.env, timeout=30)
    check(p.returncode == 0 and p.stdout.splitlines()[0] == t.key,
          "gen-tls-key -s - printed %r (%s), want the configured key" % (p.stdout, p.stderr))
    check(keyfile_lines(ctl_file) == keyfile_lines(ring_file),
          "nvmfctl's key file:\n%s\nthe keyring's lines:\n%s"
          % ("\n".join(keyfile_lines(ctl_file)), "\n".join(keyfile_lines(ring_file))))
    _, used = t.id_ctrl("--tls", "--tls-key-file", ctl_file, "--tls-identity", -1)
    check(used == (SUITE, t.ids[1]), "nvmfctl's key file, --tls-identity -1: used %s" % (used,))
    log("nvmfctl check-tls-key/gen-tls-key --insert wrote the keyring's lines; id-ctrl with it: ok")

    # The port where TLS is offered, not required: TLS and plaintext.
    opt = t.e.get("NVMF_TEST_TLS_OPT_TRSVCID")
    if opt:
        _, used = t.id_ctrl("--tls", "--tls-compat", key=t.key, port=opt)
        check(used == (SUITE, t.ids[0]), "optional port over TLS: used %s" % (used,))
        _, used = t.id_ctrl(port=opt)
        check(used is None, "optional port in plaintext: a TLS handshake happened: %s" % (used,))
        log("port %s (TLS not required): TLS and plaintext: ok" % opt)

    if not fuse_usable():
        log("SKIP: the nvmf-fuse part needs /dev/fuse and the right to mount")
        return SKIP

    # nvmf-fuse over TLS (identity 1, key in NVMF_TLS_KEY): a pattern written through the file.
    t0 = time.monotonic()
    m1 = t.mount("tls1", "--tls-identity", 1, key=t.key)
    log("nvmf-fuse over TLS (identity 1) serving in %.2f s" % (time.monotonic() - t0))
    rec = t.record("tls1")
    check(rec["state"] == "live" and rec["namespaces"][0]["size"] == int(t.e["NVMF_TEST_DISK_SIZE"]),
          "state record: %s" % rec)
    off, length = 8 * MiB, 6 * MiB
    ref = bytearray(dd_read(m1["file"], off, length))
    big, small, small_off = os.urandom(4 * MiB), os.urandom(100000), off + 5 * MiB + 12345
    t0 = time.monotonic()
    with open(m1["file"], "r+b") as f:
        f.seek(off)
        f.write(big)
        f.seek(small_off)
        f.write(small)
        f.flush()
        os.fsync(f.fileno())
    ref[0:4 * MiB] = big
    ref[small_off - off:small_off - off + len(small)] = small
    want = md5(bytes(ref))
    log("wrote 4 MiB + 100000 bytes through %s and fsynced in %.2f s" % (m1["file"], time.monotonic() - t0))
    check(md5(dd_read(m1["file"], off, length)) == want, "read back (O_DIRECT) differs from the pattern")
    check(md5(image_read(t, off, length)) == want, "the target's backing image differs from the pattern")
    check(t.guest_md5(off, length) == want, "the guest's disk (read in the guest) differs from the pattern")
    log("pattern: read back, backing image and guest's disk agree (md5 %s)" % want)
    # A second mount, identity 0 from the keyring's key file, sees it.
    m2 = t.mount("tls0", "--tls-key-file", v0_file, "--read-only")
    check(md5(dd_read(m2["file"], off, length)) == want, "the second mount (key file, identity 0) differs")
    t.umount(m2)
    t.umount(m1)
    log("second mount (key file, identity 0): same data; both unmounted")
    # nvmfctl connect (it hands the key to nvmf-fuse in NVMF_TLS_KEY), read, disconnect.
    p = t.nvmfctl("connect", "-t", "tcp", "-a", t.addr, "-s", t.port, "-n", t.subnqn, "-q", t.host,
                  "-I", t.e["NVMF_TEST_HOSTID"], "-i", 1, "-k", 30, "--tls", "--tls-compat", "--name", "again",
                  key=t.key)
    f = os.path.join(t.rundir, "again", "n1")
    check(("namespace 1: %s" % f) in p.stdout, "connect:\n%s" % p.stdout)
    check(md5(dd_read(f, off, length)) == want, "after nvmfctl connect over TLS the data differs")
    pid = t.record("again")["pid"]
    t.nvmfctl("disconnect", "again")
    check(wait_gone(pid, 10), "nvmfctl disconnect left nvmf-fuse %d" % pid)
    log("nvmfctl connect --tls (key via NVMF_TLS_KEY): same data; disconnected")
    return 0


def refusal(t, what, run, tlshd_says):
    """run() must fail; returns (its one error line, tlshd's reason). tlshd_says: a pattern
    tlshd's new console lines must hold (None: no handshake reached tlshd)."""
    mark = len(t.console())
    line = run()
    reason = ""
    if tlshd_says:
        end = time.monotonic() + 5
        while True:  # the console log is written a moment after the connection closes
            lines = t.tlshd_lines(mark)
            hit = [l for l in lines if re.search(tlshd_says, l)]
            if hit or time.monotonic() > end:
                break
            time.sleep(0.2)
        check(hit, "%s: tlshd did not say %r; it said:\n  %s" % (what, tlshd_says, "\n  ".join(lines)))
        reason = hit[0].split(": ", 1)[1]
    log("%-34s -> %s\n%36s tlshd: %s" % (what, line, "", reason or "-"))
    return line, reason


def ctl_refused(t, *args, key=None, want=("TLS", "handshake failed", "peer closed")):
    p = t.nvmfctl(*args, key=key, rc=1, retry=False)
    lines = [l for l in p.stderr.splitlines() if l.strip() and not l.startswith("warning:")]
    check(len(lines) == 1 and lines[0].startswith("nvmfctl: %s: " % args[0]),
          "nvmfctl %s: expected one error line, got:\n%s" % (args[0], p.stderr))
    check(p.stdout == "", "nvmfctl %s printed on stdout: %r" % (args[0], p.stdout))
    for w in want:
        check(w in lines[0], "nvmfctl %s: the message does not say %r: %s" % (args[0], w, lines[0]))
    # Not to be taken for in-band authentication (nvmfctl's hint for -EACCES).
    check("DH-HMAC-CHAP" not in lines[0], "nvmfctl %s blames DH-HMAC-CHAP: %s" % (args[0], lines[0]))
    return lines[0]


def t_refused(t):
    ic = ["id-ctrl", "--traddr", t.addr, "--trsvcid", t.port, "--nqn", t.subnqn, "--hostnqn", t.host]
    outcomes = []

    def case(what, args, tlshd, key=None, want=("TLS", "handshake failed", "peer closed")):
        line, reason = refusal(t, what, lambda: ctl_refused(t, *args, key=key, want=want), tlshd)
        outcomes.append((what, reason))
        return line

    # tlshd's reasons (README.md): GnuTLS -55 (the binder does not verify), -31 (unknown
    # identity), -15 (not TLS at all).
    case("wrong key", ic + ["--tls", "--tls-compat"], r"error -55", key=WRONG_KEY)
    case("right key, RFC 8446 KDF", ic + ["--tls"], r"error -55", key=t.key)
    case("SHA-384 key, identity 0", ic + ["--tls", "--tls-compat"], r"error -55", key=t.key384)
    case("SHA-384 key, identity 1", ic + ["--tls", "--tls-compat", "--tls-identity", "1"], r"error -55",
         key=t.key384)
    other = list(ic)
    other[other.index("--hostnqn") + 1] = OTHER_HOSTNQN
    case("identity unknown to the target", other + ["--tls", "--tls-compat"],
         r"failed to search 'psk' key 'NVMe0R01 %s " % re.escape(OTHER_HOSTNQN), key=t.key)
    # The whole keyring as key file: the host takes the SHA-384 version 1 entry first (Linux's
    # order), which this tlshd cannot use.
    whole = t.path("tls-keys.whole")
    write_keyfile(whole, [ring_line(t, i) for i in sorted(t.ring)])
    case("whole keyring as key file", ic + ["--tls", "--tls-key-file", whole], r"error -55")
    case("plaintext on the TLS port", ic, r"error -15",
         want=("closed the connection before ICResp", "requires TLS"))
    # No entry for these NQNs in the key file: nothing leaves the host.
    nokey = t.path("tls-keys.nokey")
    write_keyfile(nokey, [ring_line(t, t.ids[0]).replace(t.subnqn, "nqn.2014-08.org.libnvmf:other")])
    case("key file without this subsystem", ic + ["--tls", "--tls-key-file", nokey], None,
         want=("has no key for host", t.subnqn))
    if fuse_usable():
        mark = len(t.console())
        p = t.mount("wrong", key=WRONG_KEY, expect_fail=True)
        err = p.stderr.strip()
        check("TLS" in err and "handshake failed" in err and "peer closed" in err,
              "nvmf-fuse with a wrong key: %r" % err)
        check(any("error -55" in l for l in t.tlshd_lines(mark)), "nvmf-fuse, wrong key: tlshd said %s"
              % t.tlshd_lines(mark))
        log("%-34s -> %s" % ("nvmf-fuse, wrong key", err.splitlines()[-1]))
    # Still usable after all that.
    t.id_ctrl("--tls", "--tls-compat", key=t.key)
    log("outcomes: " + "; ".join("%s: %s" % (w, r or "refused by the host") for w, r in outcomes))
    return 0


def t_discovery(t):
    def disc_identities():
        return [l.split(" ", 1)[1] for l in t.guest("tls-keys").splitlines()
                if " %s %s" % (t.host, DISC_NQN) in l]

    disc = ["discover", "-t", "tcp", "-a", t.addr, "-s", t.port, "-q", t.host, "--tls", "--tls-compat"]
    if len(disc_identities()) < 2:
        # .nvme holds keys for the I/O subsystem only: tlshd cannot find the discovery NQN's.
        refusal(t, "discovery, no key for its NQN", lambda: ctl_refused(t, *disc, key=t.key),
                r"failed to search 'psk' key 'NVMe0R01 %s %s'" % (re.escape(t.host), DISC_NQN))
        for v in (0, 1):
            t.guest("tls-key-add", "--key", t.key, "--hostnqn", t.host, "--subnqn", DISC_NQN, "--identity", v)
        log("added the discovery NQN's keys (identities 0 and 1) to .nvme with nvme-cli 2.13")
    ids = disc_identities()
    for v in (0, 1):
        p = t.nvmfctl(*disc, "--tls-identity", v, "-o", "json", key=t.key, debug=True)
        used = used_tls(p.stderr)
        want = [i for i in ids if i.startswith("NVMe%dR01 " % v)]
        check(used and used[0] == SUITE and [used[1]] == want,
              "discover, identity %d: used %s (.nvme holds %s)" % (v, used, ids))
        recs = json.loads(p.stdout)["records"]
        mine = [r for r in recs if r["subnqn"] == t.subnqn]
        check(mine and all(r["trsvcid"] == "4420" and r["sectype"] == "tls13" and r["treq"].startswith("required")
                           for r in mine), "discovery log over TLS: %s" % recs)
        log("discover over TLS, identity %d: %d records, %s: treq %r sectype %s"
            % (v, len(recs), t.subnqn, mine[0]["treq"], mine[0]["sectype"]))
    # The text output too.
    p = t.nvmfctl(*disc, key=t.key)
    check("subnqn:  %s\n" % t.subnqn in p.stdout and "sectype: tls13" in p.stdout, "discover:\n%s" % p.stdout)
    opt = t.e.get("NVMF_TEST_TLS_OPT_TRSVCID")
    if opt:
        p = t.nvmfctl("discover", "-t", "tcp", "-a", t.addr, "-s", opt, "-q", t.host, "-o", "json")
        recs = [r for r in json.loads(p.stdout)["records"] if r["subnqn"] == t.subnqn]
        check(recs and all(r["trsvcid"] == "4421" and r["treq"].startswith("not required") for r in recs),
              "plaintext discovery on the optional port: %s" % recs)
        log("discover in plaintext on port %s (4421): treq %r" % (opt, recs[0]["treq"]))
    return 0


def t_reconnect(t):
    if not fuse_usable():
        log("SKIP: needs /dev/fuse and the right to mount")
        return SKIP
    m = t.mount("rc", "--ctrl-loss-tmo", -1, "--reconnect-delay", 1, key=t.key)
    off = 24 * MiB
    a, b = os.urandom(MiB), os.urandom(MiB)
    with open(m["file"], "r+b") as f:
        f.seek(off)
        f.write(a)
        os.fsync(f.fileno())
    before = t.handshakes()
    t0 = time.monotonic()
    t.guest("port-remove", "--port", "4420")
    log("%.1fs port 4420 removed" % (time.monotonic() - t0))
    result = {}

    def writer():
        try:
            with open(m["file"], "r+b") as f:
                f.seek(off + MiB)
                f.write(b)
                os.fsync(f.fileno())
            result["done"] = time.monotonic() - t0
        except OSError as e:
            result["error"] = e

    th = threading.Thread(target=writer, daemon=True)
    th.start()
    end = time.monotonic() + 15
    while time.monotonic() < end and t.record("rc")["state"] == "live":
        time.sleep(0.2)
    rec = t.record("rc")
    check(rec["state"] != "live", "still live 15 s after the port went away: %s" % rec)
    time.sleep(2)
    check("done" not in result and "error" not in result, "the write did not wait for the outage: %s" % result)
    log("%.1fs state %s (last error: %s)" % (time.monotonic() - t0, t.record("rc")["state"],
                                            t.record("rc").get("last_error")))
    t.guest("port-add", "--port", "4420")
    back = time.monotonic() - t0
    log("%.1fs port 4420 added again (TLS settings kept)" % back)
    th.join(90)
    check("done" in result, "the write made during the outage: %s" % result)
    end = time.monotonic() + 30
    while time.monotonic() < end and t.record("rc")["state"] != "live":
        time.sleep(0.2)
    rec = t.record("rc")
    check(rec["state"] == "live" and rec["reconnects"] >= 1 and rec["outages"] >= 1, "state record: %s" % rec)
    log("%.1fs write completed, live again (%.1f s after port-add), outages %d reconnects %d"
        % (result["done"], result["done"] - back, rec["outages"], rec["reconnects"]))
    # tlshd's lines reach the serial console after the queues are up (a
    # run read "...was suc" mid-line): give the console up to 10 s.
    end = time.monotonic() + 10
    shaken = t.handshakes() - before
    while shaken < 3 and time.monotonic() < end:
        time.sleep(0.2)
        shaken = t.handshakes() - before
    check(shaken >= 3, "tlshd logged %d successful handshakes since the outage, want >= 3 (admin + 2 I/O)"
          % shaken)
    want = md5(a + b)
    check(md5(dd_read(m["file"], off, 2 * MiB)) == want, "read back after the reconnect differs")
    check(md5(image_read(t, off, 2 * MiB)) == want, "the backing image differs")
    check(t.guest_md5(off, 2 * MiB) == want, "the guest's disk differs")
    log("%d new TLS handshakes (tlshd); both writes read back, in the image and on the guest's disk" % shaken)
    t.umount(m)
    return 0


TESTS = {"host": t_host, "refused": t_refused, "discovery": t_discovery, "reconnect": t_reconnect}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--nvmfctl", required=True)
    ap.add_argument("--fuse", required=True)
    a = ap.parse_args()
    t = None
    t0 = time.monotonic()
    try:
        t = Env(a)
        rc = TESTS[a.test](t)
        if t.bugs:
            print("FAIL: %d product bug(s):\n  %s" % (len(t.bugs), "\n  ".join(t.bugs)), flush=True)
            rc = 1
    except Exception as e:  # noqa: BLE001  (any failure: report it, clean up)
        if not isinstance(e, Fail):
            traceback.print_exc()
        print("FAIL: %s: %s" % (a.test, e), flush=True)
        if t:
            print(t.tlshd_tail(20))
        rc = 1
    finally:
        if t:
            t.cleanup()
    print("%s %s (%.1f s)" % (a.test, {0: "PASS", SKIP: "SKIP"}.get(rc, "FAIL"), time.monotonic() - t0))
    return rc


if __name__ == "__main__":
    sys.exit(main())
