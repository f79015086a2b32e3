#!/usr/bin/env python3
"""Issue 13, TLS 1.3 with pre-shared keys: our host (nvmfctl, nvmf-fuse) against our
nvmf-target over loopback (labels tls, integration). One ctest test per subcommand:

  fuse_env        --tls required --tls-key (SHA-256 key from gen-tls-key); nvmf-fuse gets the
                  key in NVMF_TLS_KEY: identity version 0 (page cache) then 1 (--direct-io);
                  random writes (128 KiB crossings, unaligned large ones) read back with
                  O_DIRECT and compared with the target's backing file
  fuse_keyfile    SHA-384 key: `gen-tls-key -m 2 --insert --keyfile F` gives the target its
                  --tls-key and the host its --tls-key-file; identity 0, then 1 (entry added by
                  check-tls-key --insert -I 1, with header and data digests); checked I/O
  fuse_compat     --tls-compat on both sides (identity 1): checked I/O; the host without
                  --tls-compat is refused (the derivations differ)
  ctl_discovery   on 127.0.0.1 and ::1: nvmfctl id-ctrl and discover over TLS; the discovery
                  log of a required port says TREQ "required" and TSAS TLS 1.3 (JSON and the
                  raw log page); nvmfctl without a key is refused with a message naming TLS
  allowed         --tls allowed: a plaintext host and a TLS host on one port, at once, both
                  move checked data; TREQ "not required"
  wrong_psk       host key differs from the target's: both sides name the key / handshake
  unknown_identity  host NQN with no key on the target (configuration file `host NQN
                  tls-key=KEY` for another host): both sides name the identity
  tls12_client    `openssl s_client -tls1_2 -psk` against nvmf-target: refused (protocol
                  version); the same s_client with -tls1_3 completes (control)
  tls12_server    `openssl s_server -tls1_2 -nocert -psk` as the target of nvmfctl and nvmf-fuse
  plain_on_required  a plaintext host on a TLS-required port: target log and host message
  tls_on_plain    a TLS host against a plaintext-only target: the host message names the cause
  silent_server   TCP accepted, ClientHello never answered: "timed out ... TLS handshake"
  closed_mid_handshake  peers that close (FIN, after a partial record, RST) mid-handshake
  stalled_client  the target's side: half a ClientHello, or nothing: closed by the target
                  on its own (about 10 s), a real host served meanwhile
  connect_other_host  tls_rogue_host: TLS as host A, Connect as host B (or to another
                  subsystem): Connect Invalid Host; as host A: success (control)
  no_key_leak     -vvv target, LIBNVMF_DEBUG=1 tools and nvmf-fuse, nvmfctl connect handing
                  the key to nvmf-fuse: no key material (interchange string, Base64, hex,
                  derived TLS PSKs) in any output, log, state record or command line
  connect_all     nvmfctl connect-all: a required port with the key, an allowed port without
  reconnect       nvmf-fuse over TLS under nvmf-soak, nvmf-target SIGKILLed and restarted
                  three times on the same port with the same key: no error, nothing lost,
                  the handshakes redone
  reset_under_load  20 nvmfctl reconnects (controller resets) under nvmf-soak: the target
                  survives every one, no error, nothing lost
  reconnect_keyfile  nvmfctl connect --tls-key-file, absolute then relative path: the
                  nvmf-fuse daemon reconnects after a target restart
  reconnect_wrong_key  the target back with another key: the state record says why the
                  attempts fail; back with the right key: live and usable
  tshark          loopback capture (dumpcap): the TLS port shows a TLS 1.3 handshake with
                  pre_shared_key and no NVMe/TCP PDU when decoded as nvme-tcp; a plaintext
                  port in the same capture does show PDUs (the decode was looking)
  help            --help of nvmf-fuse and nvmfctl's commands names the TLS options they accept
  batches         fio writes 128 KiB-1 MiB blocks at queue depth 16 through nvmf-fuse over
                  TLS on one I/O queue (batches of several MiB each way), then reads and
                  checks them (verify=crc32c); the backing file matches what was read

Every test also checks, at its end, that no key it used appears in anything captured
(tool output, target log, nvmf-fuse log and state record) and that no sanitizer report
was printed. Every process runs under a hard timeout; nothing asserts on timings.
Exit 0 pass, 1 fail, 77 skip (no /dev/fuse for the FUSE tests).
"""
import argparse
import base64
import json
import mmap
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from nvmf_testlib import LINUX, Fail, check, free_port, is_mounted, log, unmount, wait_gone  # noqa: E402

SKIP = 77
NQN = "nqn.2026-11.org.libnvmf:tls-test"
NQN2 = "nqn.2026-11.org.libnvmf:tls-other"
DISC_NQN = "nqn.2014-08.org.nvmexpress.discovery"
HOST1 = "nqn.2014-08.org.nvmexpress:uuid:3c0f7a52-1d4e-4b7a-9e21-6a5d0c8b1f01"
HOST2 = "nqn.2014-08.org.nvmexpress:uuid:3c0f7a52-1d4e-4b7a-9e21-6a5d0c8b1f02"
SIZE = 16 << 20
SAN_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
             "WARNING: ThreadSanitizer")
CONNECT_TIMEOUT = "3"


# ---- processes ---------------------------------------------------------------------------

class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def text(self):
        return self.out + self.err

    def show(self):
        return "$ %s\nexit %s\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.argv), self.rc, self.out.rstrip(), self.err.rstrip())


class Ctx:
    """One test: a private directory, the processes it started, everything they printed
    (judged for key material and sanitizer reports at the end)."""

    def __init__(self, a, name):
        self.a, self.name = a, name
        self.tmp = tempfile.mkdtemp(prefix="nvmf-tls-%s-" % name)
        self.rundir = os.path.join(self.tmp, "run")
        os.makedirs(self.rundir)
        self.outputs = []	# (label, text): judged
        self.files = []		# paths read and judged at the end (logs)
        self.secrets = []	# (label, string)
        self.cleanups = []
        self.env = dict(os.environ, NVMF_RUNTIME_DIR=self.rundir, TMPDIR=self.tmp)
        for v in ("NVMF_TLS_KEY", "LIBNVMF_DEBUG"):
            self.env.pop(v, None)
        if a.fuse:
            self.env["NVMF_FUSE"] = a.fuse

    def path(self, name):
        return os.path.join(self.tmp, name)

    def record(self, label, text):
        self.outputs.append((label, text))

    def run(self, argv, env=None, timeout=20, stdin=None, judge=True, cwd=None):
        """Run a command under a hard timeout: a hang is a failure, never a wait."""
        argv = [str(x) for x in argv]
        e = dict(self.env)
        e.update(env or {})
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=e,
                               input=stdin, cwd=cwd,
                               stdin=None if stdin is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired as x:
            out = (x.stdout or b"")
            err = (x.stderr or b"")
            out = out.decode(errors="replace") if isinstance(out, bytes) else out
            err = err.decode(errors="replace") if isinstance(err, bytes) else err
            raise Fail("%s did not finish within %d s (hung):\nstdout:\n%s\nstderr:\n%s"
                       % (" ".join(argv), timeout, out, err))
        r = Result(argv, p.returncode, p.stdout, p.stderr)
        if judge:
            self.record(" ".join(argv[:3]), r.text())
        return r

    def ctl(self, *args, rc=0, env=None, timeout=20, stdin=None, cwd=None):
        r = self.run([self.a.ctl] + list(args), env=env, timeout=timeout, stdin=stdin, cwd=cwd)
        if rc is not None and r.rc != rc:
            raise Fail("nvmfctl: exit %s, expected %s\n%s" % (r.rc, rc, r.show()))
        return r

    # -- keys

    def secret(self, key, label="key"):
        """Register an interchange key (configured or TLS PSK): the string, its Base64,
        pieces of it, and the key bytes in hex must never be printed."""
        m = re.fullmatch(r"NVMeTLSkey-[01]:0[0-2]:([A-Za-z0-9+/=]+):", key)
        check(m is not None, "not an interchange key: %r" % key[:16])
        b64 = m.group(1)
        raw = base64.b64decode(b64)[:-4]
        for s in (key, b64, b64[4:28], b64[-28:-4], raw.hex(), raw.hex().upper(),
                  raw[:12].hex(), raw[-12:].hex(), raw[:12].hex().upper()):
            self.secrets.append((label, s))

    def keyfile_secrets(self, path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    self.secret(line.split()[-1], "TLS PSK of " + " ".join(line.split()[:3]))

    def gen_key(self, hmac=1):
        # gen-tls-key prints the key by design: its output is not judged.
        r = self.run([self.a.ctl, "gen-tls-key", "-m", hmac], judge=False)
        check(r.rc == 0, r.show())
        key = r.out.strip()
        self.secret(key)
        return key

    def derived_secrets(self, key, hostnqn, subnqn):
        """The TLS PSKs the key derives for the pair (identities 0 and 1, both KDFs):
        secrets too. check-tls-key reads the key on standard input."""
        kf = self.path("derived-%d" % len(self.secrets))
        for extra in ([], ["-I", "1"], ["-C"], ["-C", "-I", "1"]):
            r = self.run([self.a.ctl, "check-tls-key", "-i", "-f", kf, "-n", hostnqn, "-c",
                          subnqn] + extra, stdin=key + "\n")
            check(r.rc == 0, r.show())
        self.keyfile_secrets(kf)

    # -- end

    def judge(self):
        texts = list(self.outputs)
        for p in self.files:
            try:
                with open(p, errors="replace") as f:
                    texts.append((p, f.read()))
            except OSError:
                pass
        for n in sorted(os.listdir(self.rundir)):
            p = os.path.join(self.rundir, n)
            if os.path.isfile(p):
                with open(p, errors="replace") as f:
                    texts.append(("state record " + n, f.read()))
        for label, text in texts:
            for what, s in self.secrets:
                check(s not in text, "key material (%s, %r...) in %s:\n%s"
                      % (what, s[:6], label, excerpt(text, s)))
            for mark in SAN_MARKS:
                check(mark not in text, "sanitizer report in %s:\n%s" % (label, text[-6000:]))
        log("checked %d outputs for %d key strings and sanitizer reports: clean"
            % (len(texts), len(self.secrets)))

    def cleanup(self, ok):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # noqa: BLE001 -- clean-up goes on
                log("clean-up: %s" % e)
        if ok:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            log("kept %s for a look" % self.tmp)


def excerpt(text, s):
    i = text.find(s)
    return text[max(0, i - 200):i + len(s) + 200]


def read_line(proc, timeout):
    """One line of a child's stdout (binary pipe) within timeout, else ""."""
    fd = proc.stdout.fileno()
    buf = b""
    end = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            break
        c = os.read(fd, 1)
        if not c:
            break
        buf += c
    return buf.decode(errors="replace")


class Target:
    """nvmf-target on 127.0.0.1 (any free port, or a given one for restarts); its stderr
    in a log file that the test judges."""

    def __init__(self, ctx, extra, backing=(), nqn=NQN, port=0, name="target", verbose="-vv",
                 addr="127.0.0.1"):
        self.ctx, self.extra, self.backing, self.nqn = ctx, list(extra), list(backing), nqn
        self.addr = addr
        self.port, self.name, self.verbose = port, name, verbose
        # No port given: one below the ephemeral range (free_port), which no other test's
        # bind(0) or connection can take while a restart has this target down.
        self.pick = not port
        self.logpath = ctx.path(name + ".log")
        ctx.files.append(self.logpath)
        ctx.cleanups.append(self.kill)
        self.proc = None
        self.start()

    def argv(self):
        a = [self.ctx.a.target, "-a", self.addr, "-p", str(self.port), "-P", "0"]
        if self.nqn:
            a += ["-n", self.nqn]
        if self.verbose:
            a.append(self.verbose)
        return a + self.extra + self.backing

    def start(self, tries=50):
        last = ""
        for _ in range(tries):
            if self.pick:	# the first start: another port if some test took this one
                self.port = free_port(self.addr)
            with open(self.logpath, "ab") as errf:
                errf.write(("--- start: %s\n" % " ".join(
                    "KEY" if x.startswith("NVMeTLSkey") else x for x in self.argv())).encode())
                errf.flush()
                self.proc = subprocess.Popen(self.argv(), stdout=subprocess.PIPE, stderr=errf,
                                             stdin=subprocess.DEVNULL, env=self.ctx.env)
            line = read_line(self.proc, 15)
            m = re.search(r"listening on \[?[0-9a-f.:]+\]?:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self.pick = False
                return
            self.kill()
            last = line
            if not self.port or (self.pick and "address already in use" not in
                                 self.log().rsplit("--- start: ", 1)[-1]):
                break
            time.sleep(0.1)	# a restart: the port may still be held for a moment
        raise Fail("nvmf-target did not start (%r):\n%s" % (last, self.log()[-3000:]))

    def host(self):
        return "[%s]" % self.addr if ":" in self.addr else self.addr

    def uri(self, nqn=None):
        return "nvme+tcp://%s:%d/%s" % (self.host(), self.port, nqn or self.nqn)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def log_when(self, *needles, timeout=10):
        """The log once it holds every needle (a string, or a tuple of alternatives), or
        as it is after timeout seconds: the target may log a refusal after the client has
        seen it (the alert goes out before the line is written)."""
        end = time.monotonic() + timeout
        while True:
            text = self.log()
            if all(any(n in text for n in (x if isinstance(x, tuple) else (x,)))
                   for x in needles) or time.monotonic() >= end:
                return text
            time.sleep(0.05)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.running():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        """SIGTERM, the orderly stop (its log then ends with what it said)."""
        self.kill(signal.SIGTERM)


class Mount:
    """nvmf-fuse in the foreground on a private mount point; stderr in a judged log."""

    def __init__(self, ctx, uri, hostnqn, args=(), env=None, name="m", nr_io=2):
        self.ctx, self.name = ctx, name
        self.mnt = ctx.path("mnt-" + name)
        os.makedirs(self.mnt, exist_ok=True)
        self.pidfile = ctx.path("fuse-%s.pid" % name)
        self.logpath = ctx.path("fuse-%s.log" % name)
        ctx.files.append(self.logpath)
        self.cmd = [ctx.a.fuse, self.mnt, uri, "-f", "-P", self.pidfile, "--name", name,
                    "--hostnqn", hostnqn, "--nr-io-queues", str(nr_io),
                    "--connect-timeout", CONNECT_TIMEOUT] + list(args)
        e = dict(ctx.env)
        e.update(env or {})
        self.errf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.cmd, env=e, stdout=self.errf, stderr=self.errf,
                                     stdin=subprocess.DEVNULL)
        ctx.cleanups.append(self.kill)
        end = time.monotonic() + 20
        while not os.path.exists(self.pidfile):
            if self.proc.poll() is not None or time.monotonic() > end:
                self.kill()
                raise Fail("nvmf-fuse did not start (exit %s): %s" % (self.proc.returncode,
                                                                      self.log()))
            time.sleep(0.05)
        self.record()

    def file(self, nsid=1):
        return os.path.join(self.mnt, "n%d" % nsid)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def record(self):
        """The state record (its text judged with the rest), or None."""
        try:
            with open(os.path.join(self.ctx.rundir, self.name + ".json")) as f:
                text = f.read()
            self.ctx.record("state record of " + self.name, text)
            return json.loads(text)
        except (OSError, ValueError):
            return None

    def cmdline(self):
        try:
            with open("/proc/%d/cmdline" % self.proc.pid, "rb") as f:
                return f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""

    def unmount(self):
        self.record()
        self.ctx.record("nvmf-fuse command line " + self.name, self.cmdline())
        if self.proc.poll() is None:
            unmount(self.mnt)
        try:
            rc = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fail("nvmf-fuse did not end within 20 s of the unmount")
        self.errf.close()
        check(rc == 0, "nvmf-fuse exited %s: %s" % (rc, self.log()))
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if is_mounted(self.mnt):
            unmount(self.mnt, force=True)
        if not self.errf.closed:
            self.errf.close()


def fuse_fails(ctx, uri, hostnqn, args=(), env=None, timeout=20):
    """nvmf-fuse that must fail to connect: its exit status and message."""
    mnt = ctx.path("mnt-fail")
    os.makedirs(mnt, exist_ok=True)
    r = ctx.run([ctx.a.fuse, mnt, uri, "-f", "--hostnqn", hostnqn, "--connect-timeout",
                 CONNECT_TIMEOUT, "--nr-io-queues", "1"] + list(args), env=env, timeout=timeout)
    if is_mounted(mnt):
        unmount(mnt, force=True)
        raise Fail("nvmf-fuse mounted although it should have failed:\n" + r.show())
    check(r.rc != 0, "nvmf-fuse succeeded although it should have failed:\n" + r.show())
    return r


def need_fuse(a):
    if not a.fuse:
        log("SKIP: nvmf-fuse not built")
        sys.exit(SKIP)
    if not os.path.exists("/dev/fuse"):
        log("SKIP: no /dev/fuse")
        sys.exit(SKIP)
    if os.geteuid() != 0 and not shutil.which("fusermount3"):
        log("SKIP: not root and no fusermount3")
        sys.exit(SKIP)


def make_backing(ctx, name="backing.img", size=SIZE):
    p = ctx.path(name)
    with open(p, "wb") as f:
        for _ in range(size >> 20):
            f.write(os.urandom(1 << 20))
    return p


# ---- checks --------------------------------------------------------------------------------

def words(msg, *groups):
    """msg (lower-cased) holds one word of every group."""
    low = msg.lower()
    for g in groups:
        if isinstance(g, str):
            g = (g,)
        check(any(w.lower() in low for w in g),
              "the message does not say %s:\n%s" % (" or ".join(repr(w) for w in g), msg))


def not_words(msg, *bad, why=""):
    low = msg.lower()
    for w in bad:
        check(w.lower() not in low, "the message says %r%s:\n%s" % (w, why, msg))


SOFT = []	# failed checks that let the test go on (every finding is reported)


def expect(fn, *args, **kw):
    """A check whose failure is reported at the end without stopping the test."""
    try:
        fn(*args, **kw)
    except Fail as e:
        log("NOTE (will fail the test): %s" % str(e).splitlines()[0])
        SOFT.append(str(e))


def balanced(msg):
    """A message cut short leaves a parenthesis or bracket open."""
    for o, c in ("()", "[]"):
        check(msg.count(o) == msg.count(c),
              "the message looks truncated (%d '%s' but %d '%s'):\n%s"
              % (msg.count(o), o, msg.count(c), c, msg))


def tls_lines(target_log, identity_prefix=None):
    lines = [ln for ln in target_log.splitlines() if ": TLS 1.3, " in ln]
    if identity_prefix:
        lines = [ln for ln in lines if ("PSK identity '%s" % identity_prefix) in ln]
    return lines


# Writes of the checked I/O: (offset, length). 128 KiB crossings, unaligned large writes,
# a write ending at the last byte.
WRITES = [
    (0, 4096),
    ((128 << 10) - 512, 1024),			# crosses 128 KiB, sector-aligned
    ((128 << 10) - 4096, (128 << 10) + 8192),	# 136 KiB across the 128 KiB boundary
    ((1 << 20) + 123, 300001),			# unaligned start and length, ~293 KiB
    ((3 << 20), 1 << 20),			# aligned 1 MiB
    ((5 << 20) + 4095, (128 << 10) + 2),	# 128 KiB + 2 at an odd offset
    ((6 << 20) - 7, (2 << 20) + 13),		# unaligned 2 MiB
    ((8 << 20) - 1, 2),				# two bytes across a MiB boundary
    ((12 << 20) + 511, 777),			# small, unaligned
    (SIZE - 4099, 4099),			# ends at the last byte
]


def checked_io(path, backing, writes=WRITES, region=(0, SIZE), model=None):
    """Random data written through the nvmf-fuse file, fsync'ed, read back with O_DIRECT
    (and unaligned buffered reads after dropping the file's cached pages), compared with
    what was written and with the target's backing file. Returns the model."""
    if model is None:
        with open(backing, "rb") as f:
            model = bytearray(f.read())
    base = region[0]
    fd = os.open(path, os.O_RDWR)
    try:
        for off, n in writes:
            off += base
            check(off + n <= region[1], "write outside the region")
            data = os.urandom(n)
            done = 0
            while done < n:
                done += os.pwrite(fd, data[done:], off + done)
            model[off:off + n] = data
        os.fsync(fd)
        # Unaligned reads of exactly what was written, the page cache dropped first.
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        for off, n in writes:
            off += base
            got = b""
            while len(got) < n:
                chunk = os.pread(fd, n - len(got), off + len(got))
                check(chunk, "short read at %d" % (off + len(got)))
                got += chunk
            check(got == model[off:off + n], "read back of the write at %d+%d differs (first "
                  "difference at %d)" % (off, n, off + first_diff(got, model[off:off + n])))
    finally:
        os.close(fd)
    # The whole region with O_DIRECT: nothing from a cache.
    flags = os.O_RDONLY | getattr(os, "O_DIRECT", 0)
    fd = os.open(path, flags)
    buf = mmap.mmap(-1, 1 << 20)
    try:
        off = region[0]
        while off < region[1]:
            n = os.preadv(fd, [buf], off)
            check(n > 0, "O_DIRECT read at %d returned %d" % (off, n))
            if buf[:n] != model[off:off + n]:
                raise Fail("O_DIRECT read at %d+%d differs from what was written (first "
                           "difference at %d)" % (off, n, off + first_diff(buf[:n],
                                                                        model[off:off + n])))
            off += n
    finally:
        buf.close()
        os.close(fd)
    with open(backing, "rb") as f:
        disk = f.read()
    lo, hi = region
    if disk[lo:hi] != model[lo:hi]:
        raise Fail("the backing file differs from what was written at %d"
                   % (lo + first_diff(disk[lo:hi], model[lo:hi])))
    log("checked I/O: %d writes (%d bytes) through %s, read back and on the backing file"
        % (len(writes), sum(n for _, n in writes), path))
    return model


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b))


def key_env(key):
    return {"NVMF_TLS_KEY": key}


# ---- 1. data path ---------------------------------------------------------------------------

def t_fuse_env(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    backing = make_backing(ctx)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], [backing])
    # Identity version 0, through the page cache.
    m = Mount(ctx, tgt.uri(), HOST1, env=key_env(key), name="id0")
    check(key not in m.cmdline(), "the key is on nvmf-fuse's command line")
    rec = m.record()
    check(rec and rec.get("state") == "live", "state record: %s" % rec)
    model = checked_io(m.file(), backing)
    m.unmount()
    lines = tls_lines(tgt.log(), "NVMe0R01 %s %s'" % (HOST1, NQN))
    check(len(lines) >= 3 and all("TLS_AES_128_GCM_SHA256" in ln for ln in lines),
          "expected the admin and 2 I/O queues over TLS 1.3 with TLS_AES_128_GCM_SHA256 and "
          "identity version 0, target log:\n%s" % tgt.log())
    # Identity version 1, FUSE direct I/O (unaligned writes reach nvmf-fuse as they are).
    m = Mount(ctx, tgt.uri(), HOST1, args=["--tls-identity", "1", "--direct-io"],
              env=key_env(key), name="id1")
    checked_io(m.file(), backing, model=model)
    m.unmount()
    lines = tls_lines(tgt.log(), "NVMe1R01 %s %s " % (HOST1, NQN))
    check(len(lines) >= 3, "no identity version 1 connections in the target log:\n%s" % tgt.log())
    # Every connection the target saw ran TLS.
    conns = [ln for ln in tgt.log().splitlines() if ln.endswith(": connected")]
    check(len(tls_lines(tgt.log())) == len(conns),
          "%d connections, %d over TLS:\n%s" % (len(conns), len(tls_lines(tgt.log())), tgt.log()))
    tgt.stop()


def t_fuse_keyfile(ctx):
    need_fuse(ctx.a)
    kf = ctx.path("tls-keys")
    r = ctx.run([ctx.a.ctl, "gen-tls-key", "-m", "2", "--insert", "--keyfile", kf,
                 "--hostnqn", HOST1, "--subsysnqn", NQN], judge=False)
    check(r.rc == 0, r.show())
    keys = [w for w in r.out.split() if w.startswith("NVMeTLSkey-1:02:")]
    check(len(keys) == 1, "gen-tls-key -m 2 --insert printed no SHA-384 key:\n" + r.show())
    key = keys[0]
    ctx.secret(key)
    ctx.keyfile_secrets(kf)
    check(oct(os.stat(kf).st_mode & 0o777) == "0o600", "key file mode %o"
          % (os.stat(kf).st_mode & 0o777))
    backing = make_backing(ctx)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], [backing])
    m = Mount(ctx, tgt.uri(), HOST1, args=["--tls", "--tls-key-file", kf, "--direct-io"],
              name="kf0")
    model = checked_io(m.file(), backing)
    m.unmount()
    lines = tls_lines(tgt.log(), "NVMe0R02 %s %s'" % (HOST1, NQN))
    check(len(lines) >= 3 and all("TLS_AES_256_GCM_SHA384" in ln for ln in lines),
          "expected TLS_AES_256_GCM_SHA384 with identity NVMe0R02, target log:\n%s" % tgt.log())
    # The identity version 1 entry of the same key, added by check-tls-key --insert -I 1.
    r = ctx.run([ctx.a.ctl, "check-tls-key", "--insert", "-I", "1", "--keyfile", kf,
                 "--hostnqn", HOST1, "--subsysnqn", NQN], stdin=key + "\n")
    check(r.rc == 0, r.show())
    ctx.keyfile_secrets(kf)
    m = Mount(ctx, tgt.uri(), HOST1, args=["--tls", "--tls-key-file", kf, "--tls-identity", "1",
                                           "--hdr-digest", "--data-digest"], name="kf1")
    checked_io(m.file(), backing, model=model)
    m.unmount()
    check(len(tls_lines(tgt.log(), "NVMe1R02 %s %s " % (HOST1, NQN))) >= 3,
          "no identity version 1 (NVMe1R02) connections:\n%s" % tgt.log())
    tgt.stop()


def t_fuse_compat(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    backing = make_backing(ctx)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key, "--tls-compat"], [backing])
    # Control: without --tls-compat the host derives another key and is refused.
    for ident in ("0", "1"):
        r = ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout",
                    CONNECT_TIMEOUT, "--tls-identity", ident, rc=1, env=key_env(key))
        words(r.err, "TLS", "handshake")
    r = ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
                "--tls-compat", "-o", "json", env=key_env(key))
    check(json.loads(r.out).get("mn", "").strip() == "nvmf-target", r.show())
    m = Mount(ctx, tgt.uri(), HOST1, args=["--tls-compat", "--tls-identity", "1"],
              env=key_env(key), name="compat")
    checked_io(m.file(), backing, writes=WRITES[:6])
    m.unmount()
    check(len(tls_lines(tgt.log(), "NVMe1R01 %s %s " % (HOST1, NQN))) >= 3,
          "no --tls-compat identity 1 connections:\n%s" % tgt.log())
    tgt.stop()


def t_batches(ctx):
    """Large batches under TLS, both ways: fio (libaio, O_DIRECT) writes 128 KiB-1 MiB blocks
    at queue depth 16 through nvmf-fuse on one I/O queue, so that each side sends several MiB
    per batch, which the send path encrypts and puts on the socket piece by piece while it
    encrypts the rest (src/tcp/tx.c, tls_flush); then reads them back at the same depth,
    checking every block's checksum (verify=crc32c), and the backing file is compared with
    what was read."""
    need_fuse(ctx.a)
    fio = shutil.which("fio")
    check(fio, "fio is needed (scripts/deps installs it)")
    key = ctx.gen_key(1)
    backing = make_backing(ctx)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], [backing])
    m = Mount(ctx, tgt.uri(), HOST1, env=key_env(key), name="batches", nr_io=1)
    out = ctx.run([fio, "--name=batches", "--filename=" + m.file(), "--ioengine=libaio",
                   "--direct=1", "--rw=randwrite", "--bsrange=128k-1m", "--iodepth=16",
                   "--size=%d" % SIZE, "--verify=crc32c", "--do_verify=1",
                   "--verify_fatal=1", "--verify_state_save=0", "--randrepeat=0",
                   "--output-format=json"],
                  timeout=110, judge=False)
    check(out.rc == 0, "fio failed (exit %s): %s" % (out.rc, out.text()[-2000:]))
    res = json.loads(out.out[out.out.index("{"):])["jobs"][0]
    check(res["error"] == 0 and res["write"]["io_bytes"] >= SIZE
          and res["read"]["io_bytes"] >= SIZE,
          "fio moved too little or failed: error %s, wrote %s, read %s bytes"
          % (res["error"], res["write"]["io_bytes"], res["read"]["io_bytes"]))
    with open(m.file(), "rb") as f:
        seen = f.read(SIZE)
    # A record put on the wire wrongly is a decryption failure and a reconnect, after which
    # the replayed I/O would pass: so no outage either.
    rec = m.record()
    check(rec and rec.get("state") == "live" and rec.get("outages", 0) == 0,
          "the connection did not stay up: state record %s\nnvmf-fuse log:\n%s\ntarget log:\n%s"
          % (rec, m.log()[-2000:], tgt.log()[-2000:]))
    m.unmount()
    with open(backing, "rb") as f:
        disk = f.read(SIZE)
    check(disk == seen, "the backing file differs from what the host read at %d"
          % first_diff(disk, seen))
    check(tls_lines(tgt.log()), "no TLS connection in the target log:\n%s" % tgt.log())
    tgt.stop()


def discovery_entries(raw):
    n = int.from_bytes(raw[8:16], "little")
    return [raw[1024 + i * 1024:2048 + i * 1024] for i in range(n)]


def t_ctl_discovery(ctx):
    key = ctx.gen_key(1)
    env = key_env(key)
    for addr in ("127.0.0.1", "::1"):
        log("--- %s" % addr)
        tgt = Target(ctx, ["--tls", "required", "--tls-key", key], ["ram:4M"], addr=addr,
                     name="target-" + addr.replace(":", "_"))
        r = ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout",
                    CONNECT_TIMEOUT, "-o", "json", env=env)
        check(json.loads(r.out).get("mn", "").strip() == "nvmf-target", r.show())
        # The discovery controller of the same port, over TLS.
        r = ctx.ctl("discover", "-t", "tcp", "-a", addr, "-s", tgt.port, "-q", HOST1,
                    "--connect-timeout", CONNECT_TIMEOUT, "-o", "json", env=env)
        recs = [e for e in json.loads(r.out).get("records", []) if e.get("subnqn") == NQN]
        check(len(recs) == 1, "discovery log has no record of %s:\n%s" % (NQN, r.out))
        check(recs[0].get("treq", "").startswith("required"),
              "TREQ is not 'required': %s" % recs[0])
        check(recs[0].get("sectype") == "tls13", "TSAS sectype is not tls13: %s" % recs[0])
        check(recs[0].get("traddr") == addr and recs[0].get("adrfam") ==
              ("ipv6" if ":" in addr else "ipv4"), "address of the record: %s" % recs[0])
        check(len(tls_lines(tgt.log(), "NVMe0R01 %s %s'" % (HOST1, DISC_NQN))) >= 1,
              "the discovery controller was not reached over TLS:\n%s" % tgt.log())
        # The log page's bytes as the target sent them.
        r = subprocess.run([ctx.a.ctl, "get-log", "nvme+tcp://%s:%d" % (tgt.host(), tgt.port),
                            "-i", "discovery", "-b", "--hostnqn", HOST1, "--connect-timeout",
                            CONNECT_TIMEOUT], capture_output=True, timeout=20,
                           env=dict(ctx.env, **env))
        ctx.record("get-log -b stderr", r.stderr.decode(errors="replace"))
        check(r.returncode == 0, "get-log -i discovery -b: exit %d: %s"
              % (r.returncode, r.stderr))
        ents = [e for e in discovery_entries(r.stdout)
                if e[256:512].rstrip(b"\0").decode(errors="replace") == NQN]
        check(len(ents) == 1, "raw discovery log: no entry of %s (%d bytes)"
              % (NQN, len(r.stdout)))
        e = ents[0]
        check(e[0] == 3, "TRTYPE %d, not TCP" % e[0])
        check(e[3] & 3 == 1, "raw TREQ 0x%02x: secure channel is not 'required' (01b)" % e[3])
        check(e[768] == 2, "raw TSAS SECTYPE %d, not 2 (TLS 1.3)" % e[768])
        # Without a key on this port: refused, and the message says why.
        r = ctx.ctl("discover", "-t", "tcp", "-a", addr, "-s", tgt.port, "-q", HOST1,
                    "--connect-timeout", CONNECT_TIMEOUT, rc=1)
        words(r.err, "TLS")
        tgt.stop()


def t_allowed(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    backing = make_backing(ctx)
    tgt = Target(ctx, ["--tls", "allowed", "--tls-key", key], [backing])
    # nvmfctl: plaintext and TLS.
    r = ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST2, "--connect-timeout", CONNECT_TIMEOUT,
                "-o", "json")
    check(json.loads(r.out).get("mn", "").strip() == "nvmf-target", r.show())
    r = ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
                "-o", "json", env=key_env(key))
    check(json.loads(r.out).get("mn", "").strip() == "nvmf-target", r.show())
    r = ctx.ctl("discover", "-t", "tcp", "-a", "127.0.0.1", "-s", tgt.port, "-q", HOST2,
                "--connect-timeout", CONNECT_TIMEOUT, "-o", "json")
    recs = [e for e in json.loads(r.out).get("records", []) if e.get("subnqn") == NQN]
    check(len(recs) == 1 and recs[0].get("treq", "").startswith("not required")
          and recs[0].get("sectype") == "tls13",
          "TREQ/TSAS of an 'allowed' port: %s" % recs)
    # Two mounts at once, one plaintext, one TLS, each on its half of the namespace.
    plain = Mount(ctx, tgt.uri(), HOST2, name="plain")
    tls = Mount(ctx, tgt.uri(), HOST1, env=key_env(key), name="tls")
    half = SIZE // 2
    w = [(o, n) for o, n in WRITES if o + n <= half]
    model = checked_io(plain.file(), backing, writes=w, region=(0, half))
    model = checked_io(tls.file(), backing, writes=w, region=(half, SIZE), model=model)
    checked_io(plain.file(), backing, writes=w[:3], region=(0, half), model=model)
    tls.unmount()
    plain.unmount()
    text = tgt.log()
    check(len(tls_lines(text, "NVMe0R01 %s %s'" % (HOST1, NQN))) >= 3,
          "the TLS host's queues did not run TLS:\n%s" % text)
    peers_tls = {ln.split(": ")[1] for ln in tls_lines(text)}
    peers_icreq = {ln.split(": ")[1] for ln in text.splitlines() if ": ICReq " in ln}
    plain_peers = peers_icreq - peers_tls
    check(len(plain_peers) >= 3, "expected the plaintext host's queues (and nvmfctl's) in "
          "plaintext, found %d:\n%s" % (len(plain_peers), text))
    check("created for %s" % HOST2 in text, "no controller for the plaintext host:\n" + text)
    tgt.stop()


# ---- 3. hostile cases -----------------------------------------------------------------------

def ctl_refused(ctx, uri, hostnqn, env=None, extra=()):
    r = ctx.ctl("id-ctrl", uri, "--hostnqn", hostnqn, "--connect-timeout", CONNECT_TIMEOUT,
                *extra, rc=1, env=env)
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    check(len(lines) >= 1 and not r.out.strip(), "expected an error line:\n" + r.show())
    log("nvmfctl: " + r.err.strip())
    return r.err.strip()


def no_chap(msg):
    """A TLS failure is not an authentication (DH-HMAC-CHAP) requirement."""
    not_words(msg, "DH-HMAC-CHAP", "in-band authentication",
              why=" although the cause is the TLS handshake, not DH-HMAC-CHAP")


def t_wrong_psk(ctx):
    need_fuse(ctx.a)
    key, other = ctx.gen_key(1), ctx.gen_key(1)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], ["ram:4M"], verbose="-vvv")
    msg = ctl_refused(ctx, tgt.uri(), HOST1, env=key_env(other))
    expect(words, msg, "TLS", "handshake", ("key", "PSK"))
    r = fuse_fails(ctx, tgt.uri(), HOST1, env=key_env(other))
    log("nvmf-fuse: " + r.err.strip())
    expect(balanced, r.err.strip())
    expect(words, r.err, "TLS", "handshake", ("key", "PSK"))
    text = tgt.log_when("TLS handshake failed", ("keys differ", "PSK"))
    expect(words, text, "TLS handshake failed", ("keys differ", "PSK"))
    # The target goes on serving the right key.
    ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
            env=key_env(key))
    tgt.stop()
    expect(balanced, msg)
    expect(no_chap, msg)


def t_unknown_identity(ctx):
    key = ctx.gen_key(1)
    conf = ctx.path("target.conf")
    with open(os.open(conf, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("subsystem %s\nhost %s tls-key=%s\nnamespace ram:4M\n" % (NQN, HOST1, key))
    tgt = Target(ctx, ["--tls", "required", "-c", conf], nqn=None)
    check("chmod" not in tgt.log(), "warning about a 0600 configuration file:\n" + tgt.log())
    # HOST1 has a key: control.
    ctx.ctl("id-ctrl", tgt.uri(NQN), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
            env=key_env(key))
    # HOST2 has none: its identity is unknown to the target.
    msg = ctl_refused(ctx, tgt.uri(NQN), HOST2, env=key_env(key))
    expect(words, msg, "TLS", "handshake", "identity")
    text = tgt.log_when("no PSK for host %s" % HOST2, "TLS handshake failed")
    expect(words, text, "no PSK for host %s" % HOST2)
    expect(words, text, "TLS handshake failed")
    tgt.stop()
    expect(balanced, msg)
    expect(no_chap, msg)


def openssl_exe():
    exe = shutil.which("openssl")
    check(exe is not None, "the openssl command is needed (package openssl)")
    return exe


def tls_psk_hex(ctx, key, hostnqn, subnqn):
    """The TLS PSK (hex) and identity that key gives for the pair (check-tls-key --insert
    into a scratch key file)."""
    kf = ctx.path("scratch-%d" % len(ctx.secrets))
    r = ctx.run([ctx.a.ctl, "check-tls-key", "-i", "-f", kf, "-n", hostnqn, "-c", subnqn],
                stdin=key + "\n")
    check(r.rc == 0, r.show())
    with open(kf) as f:
        line = f.read().strip()
    ident, psk = line.rsplit(" ", 1)
    ctx.secret(psk, "TLS PSK")
    b64 = psk.split(":")[2]
    return ident, base64.b64decode(b64)[:-4].hex()


def t_tls12_client(ctx):
    exe = openssl_exe()
    key = ctx.gen_key(1)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], ["ram:4M"], verbose="-vvv")
    ident, hexpsk = tls_psk_hex(ctx, key, HOST1, NQN)
    base = [exe, "s_client", "-connect", "127.0.0.1:%d" % tgt.port, "-psk_identity", ident,
            "-psk", hexpsk, "-nocommands"]
    # s_client's own output holds nothing of ours: not judged for keys.
    r12 = ctx.run(base + ["-tls1_2"], timeout=15, stdin="", judge=False)
    log("s_client -tls1_2: exit %d, %s" % (r12.rc, " | ".join(
        ln for ln in r12.text().splitlines() if "alert" in ln or "error" in ln)[:400]))
    expect(words, r12.text(), ("alert protocol version", "unsupported protocol"))
    text = tgt.log_when("TLS handshake failed", ("protocol version", "unsupported protocol"))
    expect(words, text, "TLS handshake failed")
    expect(words, text, ("protocol version", "unsupported protocol"))
    # Control: the same client, TLS 1.3 with the suite of a SHA-256 key, gets through.
    r13 = ctx.run(base + ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"], timeout=15,
                  stdin="", judge=False)
    expect(words, r13.text(), "TLSv1.3")
    check(len(tls_lines(tgt.log(), ident + "'")) == 1,
          "s_client -tls1_3 did not complete the handshake:\n%s\n%s" % (r13.show(), tgt.log()))
    ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
            env=key_env(key))
    tgt.stop()


class SServer:
    """openssl s_server -tls1_2 -nocert -psk: a TLS 1.2-only peer."""

    def __init__(self, ctx):
        self.proc = subprocess.Popen([openssl_exe(), "s_server", "-accept", "127.0.0.1:0",
                                      "-tls1_2", "-nocert", "-psk", "00" * 32],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.PIPE)
        ctx.cleanups.append(self.stop)
        end = time.monotonic() + 15
        self.port = None
        while self.port is None and time.monotonic() < end:
            line = read_line(self.proc, end - time.monotonic())
            if not line:
                break
            m = re.match(r"ACCEPT .*:(\d+)", line)
            if m:
                self.port = int(m.group(1))
        check(self.port is not None, "openssl s_server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def t_tls12_server(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    srv = SServer(ctx)
    uri = "nvme+tcp://127.0.0.1:%d/%s" % (srv.port, NQN)
    msg = ctl_refused(ctx, uri, HOST1, env=key_env(key))
    expect(words, msg, "TLS", "handshake", "protocol version")
    r = fuse_fails(ctx, uri, HOST1, env=key_env(key))
    log("nvmf-fuse: " + r.err.strip())
    expect(balanced, r.err.strip())
    expect(words, r.err, "TLS", "handshake", "protocol version")
    expect(balanced, msg)
    expect(no_chap, msg)


def t_plain_on_required(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], ["ram:4M"])
    msg = ctl_refused(ctx, tgt.uri(), HOST1)
    expect(words, msg, "TLS")
    r = fuse_fails(ctx, tgt.uri(), HOST1)
    log("nvmf-fuse: " + r.err.strip())
    expect(balanced, r.err.strip())
    expect(words, r.err, "TLS")
    expect(words, tgt.log_when("TLS is required on this port"), "TLS is required on this port")
    check(len(tls_lines(tgt.log())) == 0, "a TLS session appeared:\n" + tgt.log())
    ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
            env=key_env(key))
    tgt.stop()
    expect(balanced, msg)


def t_tls_on_plain(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    tgt = Target(ctx, [], ["ram:4M"])
    r = fuse_fails(ctx, tgt.uri(), HOST1, env=key_env(key))
    log("nvmf-fuse: " + r.err.strip())
    expect(balanced, r.err.strip())
    msg = ctl_refused(ctx, tgt.uri(), HOST1, env=key_env(key))
    # The target is still fine for plaintext hosts.
    ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT)
    tgt.stop()
    expect(words, msg, "TLS")
    expect(balanced, msg)
    expect(no_chap, msg)
    # The cause: the port does not speak TLS (it answered a ClientHello with a plaintext
    # NVMe/TCP C2HTermReq). OpenSSL's "wrong version number" alone does not say that.
    for text, who in ((msg, "nvmfctl"), (r.err, "nvmf-fuse")):
        expect(check, any(w in text.lower() for w in ("not speak tls", "plaintext", "not tls",
                                                       "no tls", "without tls", "termreq",
                                                       "not a tls")),
               "%s's message does not say that the target does not run TLS on that port:\n%s"
               % (who, text))


class RawServer:
    """A TCP listener on loopback playing a broken TLS peer:
    silent  accepts and never answers (nor reads)
    fin     reads the ClientHello, closes
    partial reads the ClientHello, sends the first bytes of a ServerHello record, closes
    rst     reads the ClientHello, resets the connection"""

    def __init__(self, ctx, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stopped = False
        self.hellos = 0
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()
        ctx.cleanups.append(self.stop)

    def serve(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.mode == "silent":
                continue
            c.settimeout(10)
            try:
                d = c.recv(65536)
                if d[:1] == b"\x16":
                    self.hellos += 1
                if self.mode == "partial":
                    c.sendall(bytes([0x16, 3, 3, 0, 90, 2, 0, 0, 86, 3, 3]))
                    time.sleep(0.1)
                if self.mode == "rst":
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
                c.close()
            except OSError:
                pass

    def stop(self):
        self.stopped = True
        try:
            self.sock.close()
        except OSError:
            pass
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def t_silent_server(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    srv = RawServer(ctx, "silent")
    uri = "nvme+tcp://127.0.0.1:%d/%s" % (srv.port, NQN)
    # nvmfctl and nvmf-fuse at once: each must give up after its 3 s connect timeout.
    out = {}

    def fuse():
        try:
            out["fuse"] = fuse_fails(ctx, uri, HOST1, env=key_env(key))
        except Fail as e:
            out["fuse_fail"] = str(e)

    th = threading.Thread(target=fuse)
    th.start()
    msg = ctl_refused(ctx, uri, HOST1, env=key_env(key))
    th.join(40)
    check("fuse_fail" not in out, out.get("fuse_fail", ""))
    check("fuse" in out, "nvmf-fuse did not end")
    log("nvmf-fuse: " + out["fuse"].err.strip())
    for text in (msg, out["fuse"].err):
        expect(words, text, "timed out", "TLS handshake")
    expect(balanced, msg)


def t_closed_mid_handshake(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    for mode in ("fin", "partial", "rst"):
        srv = RawServer(ctx, mode)
        uri = "nvme+tcp://127.0.0.1:%d/%s" % (srv.port, NQN)
        msg = ctl_refused(ctx, uri, HOST1, env=key_env(key))
        check(srv.hellos >= 1, "%s: the server saw no ClientHello" % mode)
        if mode == "rst":
            expect(words, msg, "reset")
        else:
            expect(words, msg, "closed", "handshake")
        r = fuse_fails(ctx, uri, HOST1, env=key_env(key))
        log("nvmf-fuse (%s): %s" % (mode, r.err.strip()))
        expect(balanced, r.err.strip())
        if mode != "rst":
            expect(words, r.err, "closed", "handshake")
        expect(no_chap, msg)
        expect(balanced, msg)
        srv.stop()


def t_stalled_client(ctx):
    """The target's side of a stalled handshake: a client that sends half a ClientHello,
    one that sends nothing, one that sends a ClientHello and stops reading. The target
    serves a real host meanwhile, and closes the stalled connections by itself (its
    set-up timer) with a log line saying why."""
    key = ctx.gen_key(1)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], ["ram:4M"])
    socks = {}
    for what in ("partial", "silent"):
        c = socket.create_connection(("127.0.0.1", tgt.port), timeout=5)
        if what == "partial":
            c.sendall(b"\x16\x03\x01\x00\xff\x01\x00")
        socks[what] = c
        ctx.cleanups.append(c.close)
    ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
            env=key_env(key))
    log("a host was served while two connections stall")
    for what, c in socks.items():
        c.settimeout(40)
        try:
            got = c.recv(4096)
        except socket.timeout:
            raise Fail("%s: the target kept a stalled connection open for 40 s" % what)
        except OSError as e:
            got = b"(%s)" % str(e).encode()
        log("%s: the target ended the connection (%r)" % (what, got[:16]))
    # Both closes logged (the line may follow the close the client saw).
    end = time.monotonic() + 10
    while True:
        text = tgt.log()
        closed = [ln for ln in text.splitlines() if "connection closed" in ln and "in time" in ln]
        if len(closed) >= 2 or time.monotonic() >= end:
            break
        time.sleep(0.05)
    words(text, "no TLS handshake in time")
    check(len(closed) == 2, "expected two connections closed for want of data in time:\n"
          + text)
    check(len(tls_lines(text)) == 1, "unexpected TLS sessions:\n" + text)
    ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
            env=key_env(key))
    tgt.stop()


def t_connect_other_host(ctx):
    key1, key2 = ctx.gen_key(1), ctx.gen_key(1)
    conf = ctx.path("target.conf")
    with open(os.open(conf, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("subsystem %s\nhost %s tls-key=%s\nhost %s tls-key=%s\nnamespace ram:4M\n"
                "subsystem %s\nhost %s tls-key=%s\nnamespace ram:1M\n"
                % (NQN, HOST1, key1, HOST2, key2, NQN2, HOST1, key1))
    tgt = Target(ctx, ["--tls", "required", "-c", conf], nqn=None, verbose="-vvv")
    # Controls: each host with its own key, through our host.
    for h, k in ((HOST1, key1), (HOST2, key2)):
        ctx.ctl("id-ctrl", tgt.uri(NQN), "--hostnqn", h, "--connect-timeout", CONNECT_TIMEOUT,
                env=key_env(k))

    def rogue(id_host, id_sub, conn_host, conn_sub):
        r = ctx.run([ctx.a.rogue, "127.0.0.1", tgt.port, id_host, id_sub, conn_host, conn_sub],
                    env={"TLS_ROGUE_KEY": key1}, timeout=30)
        log("tls_rogue_host (identity %s/%s, Connect %s/%s):\n  %s" % (
            id_host[-2:], id_sub[-9:], conn_host[-2:], conn_sub[-9:],
            r.out.strip().replace("\n", "\n  ")))
        check(r.rc == 0, "tls_rogue_host did not get a Connect response:\n" + r.show())
        check("tls: open TLS_AES_128_GCM_SHA256 identity 'NVMe0R01 %s %s'" % (id_host, id_sub)
              in r.out, "TLS did not open with the identity of %s:\n%s" % (id_host, r.show()))
        m = re.search(r"connect: status 0x([0-9a-f]+) dnr (\d)", r.out)
        check(m, r.show())
        return int(m.group(1), 16), m.group(2) == "1"

    st, _ = rogue(HOST1, NQN, HOST1, NQN)
    check(st == 0, "control: the identity's own host was refused (status 0x%x)" % st)
    st, dnr = rogue(HOST1, NQN, HOST2, NQN)
    check(st == 0x184 and dnr, "Connect for host B over host A's PSK: status 0x%x dnr %s, "
          "expected Connect Invalid Host (0x184) with DNR" % (st, dnr))
    words(tgt.log_when("Connect for host %s" % HOST2, "the TLS PSK identity names host %s" % HOST1),
          "Connect for host %s" % HOST2, "the TLS PSK identity names host %s" % HOST1)
    # Host A's identity for subsystem 1, Connect to subsystem 2 (whose key A also holds).
    st, dnr = rogue(HOST1, NQN, HOST1, NQN2)
    check(st == 0x184 and dnr, "Connect to another subsystem than the identity's: status 0x%x"
          % st)
    tgt.stop()


def t_no_key_leak(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    key384 = ctx.gen_key(2)
    wrong = ctx.gen_key(1)
    for k in (key, key384, wrong):
        ctx.derived_secrets(k, HOST1, NQN)
        ctx.derived_secrets(k, HOST1, DISC_NQN)
    kf = ctx.path("tls-keys")
    r = ctx.run([ctx.a.ctl, "check-tls-key", "-i", "-f", kf, "-n", HOST2, "-c", NQN],
                stdin=key384 + "\n")
    check(r.rc == 0, r.show())
    ctx.keyfile_secrets(kf)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key, "--tls-key-file", kf], ["ram:8M"],
                 verbose="-vvv")
    dbg = {"LIBNVMF_DEBUG": "1"}
    # Successes and failures, everything logged.
    ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
            env=dict(dbg, **key_env(key)))
    ctx.ctl("discover", "-t", "tcp", "-a", "127.0.0.1", "-s", tgt.port, "-q", HOST1,
            "--connect-timeout", CONNECT_TIMEOUT, env=dict(dbg, **key_env(key)))
    ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST2, "--connect-timeout", CONNECT_TIMEOUT,
            "--tls", "--tls-key-file", kf, env=dbg)
    ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
            rc=1, env=dict(dbg, **key_env(wrong)))
    # On the command line: works, warns, and the warning does not repeat the key.
    r = ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
                "--tls-key", key, env=dbg)
    words(r.err, "warning", "visible")
    # Malformed keys: refused without being echoed.
    bad = key[:-6] + ("AAAAA:" if key[-6:] != "AAAAA:" else "BBBBB:")
    ctx.secrets.append(("malformed key", bad))
    ctx.secrets.append(("malformed key", bad[16:-1]))
    r = ctx.ctl("id-ctrl", tgt.uri(), "--hostnqn", HOST1, "--connect-timeout", CONNECT_TIMEOUT,
                rc=None, env=dict(dbg, **key_env(bad)))
    check(r.rc != 0, "a malformed key was accepted:\n" + r.show())
    # nvmf-fuse with the library's debug log, moving data over TLS.
    m = Mount(ctx, tgt.uri(), HOST1, env=dict(dbg, **key_env(key)), name="dbg", nr_io=1)
    with open(m.file(), "r+b") as f:
        f.write(os.urandom(300000))
        f.flush()
        os.fsync(f.fileno())
    m.unmount()
    check("libnvmf: debug:" in m.log(), "LIBNVMF_DEBUG=1 gave no library log")
    # nvmfctl connect hands the key to nvmf-fuse in its environment.
    r = ctx.ctl("connect", "-t", "tcp", "-a", "127.0.0.1", "-s", tgt.port, "-n", NQN, "-q", HOST1,
                "--name", "leak", "-i", "1", "--connect-timeout", CONNECT_TIMEOUT, "-o", "json",
                env=dict(dbg, **key_env(key)), timeout=40)
    ctx.cleanups.append(lambda: subprocess.run([ctx.a.ctl, "disconnect", "leak"], env=ctx.env,
                                               capture_output=True, timeout=30))
    rec_path = os.path.join(ctx.rundir, "leak.json")
    check(os.path.exists(rec_path), "no state record after nvmfctl connect:\n" + r.show())
    with open(rec_path) as f:
        rec = json.load(f)
    pid = rec.get("pid", 0)
    try:
        if LINUX:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                line = f.read().replace(b"\0", b" ").decode()
        else:  # FreeBSD: no /proc; ps shows what the kernel keeps of argv
            line = subprocess.run(["ps", "-ww", "-o", "args=", "-p", str(pid)],
                                  capture_output=True, text=True, timeout=30,
                                  check=True).stdout.strip()
        ctx.record("nvmf-fuse command line", line)
    except (OSError, subprocess.CalledProcessError) as e:
        raise Fail("nvmf-fuse (pid %s) is not running: %s" % (pid, e))
    mnt = rec.get("mountpoint")
    with open(os.path.join(mnt, "n1"), "r+b") as f:
        f.write(os.urandom(65536))
        f.flush()
        os.fsync(f.fileno())
    ctx.ctl("list", "-o", "json")
    ctx.ctl("list")
    ctx.ctl("reconnect", "leak")
    ctx.ctl("disconnect", "leak", timeout=40)
    check(wait_gone(pid, 20), "nvmf-fuse did not end after disconnect")
    tgt.stop()
    log("the target's command line holds --tls-key by request (it warns): not judged")


def t_connect_all(ctx):
    """nvmfctl connect-all over TLS: the discovery controller of a required port reached
    with the key, and its NVM subsystem record (TREQ required, TSAS TLS 1.3) connected
    with the same TLS options, as connect does. On an 'allowed' port (TREQ not required,
    TSAS TLS 1.3) a host without a key connects in plaintext."""
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    for mode, env in (("required", key_env(key)), ("allowed", {})):
        tgt = Target(ctx, ["--tls", mode, "--tls-key", key], ["ram:4M"], name="t-" + mode)
        r = ctx.ctl("connect-all", "-t", "tcp", "-a", "127.0.0.1", "-s", tgt.port, "-q", HOST1,
                    "--connect-timeout", CONNECT_TIMEOUT, "-i", "1", "-o", "json", rc=None,
                    env=env, timeout=60)
        ctx.cleanups.append(lambda: subprocess.run([ctx.a.ctl, "disconnect-all"], env=ctx.env,
                                                   capture_output=True, timeout=60))
        log("connect-all (%s port%s): exit %d\n%s%s" % (mode, ", key given" if env else "",
                                                        r.rc, r.out, r.err))
        try:
            res = json.loads(r.out)
        except ValueError:
            res = {}
        expect(check, r.rc == 0 and res.get("connected") == 1 and res.get("skipped") == 0,
               "connect-all on a TLS %s port (%s) did not connect its one subsystem:\n%s"
               % (mode, "with the key" if env else "plaintext host", r.show()))
        lst = ctx.ctl("list", "-o", "json")
        conns = json.loads(lst.out).get("connections", [])
        if res.get("connected") == 1:
            check(len(conns) == 1 and conns[0].get("state") == "live",
                  "nvmfctl list after connect-all: %s" % lst.out)
            tls = tls_lines(tgt.log(), "NVMe0R01 %s %s'" % (HOST1, NQN))
            check(bool(tls) == bool(env), "%s port: %d TLS sessions for the subsystem, "
                  "expected %s:\n%s" % (mode, len(tls), "some" if env else "none", tgt.log()))
        ctx.ctl("disconnect-all", timeout=60)
        tgt.stop()


# ---- 4. reconnect ---------------------------------------------------------------------------

def soak_mount(ctx, key, name):
    """A TLS target on a 16 MiB file, nvmf-fuse on it (reconnecting for ever, every
    second), nvmf-soak writing through it; returns (se, target, mount, soak, progress)."""
    sys.path.insert(0, os.path.join(HERE, "..", "..", "bench", "soak"))
    import soak_env as se  # noqa: E402
    check(ctx.a.soak, "nvmf-soak (bench) is needed")
    backing = ctx.path("backing.img")
    with open(backing, "wb") as f:
        f.truncate(SIZE)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], [backing])
    m = Mount(ctx, tgt.uri(), HOST1, args=["--ctrl-loss-tmo", "-1", "--reconnect-delay", "1"],
              env=key_env(key), name=name)
    soak = se.Soak(ctx.a.soak, m.file(), ctx.tmp, seed=13, extra=["--blocks", "4000"])
    ctx.files.append(soak.logpath)
    ctx.cleanups.append(lambda: soak.proc.kill() if soak.running() else None)

    def progress(after, want, timeout=30):
        """want fsyncs after the CLOCK_MONOTONIC time after, within timeout s."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            soak.poll_progress()
            if len([t for t, _ in soak.fsyncs if t > after]) >= want:
                return True
            check(soak.running(), "nvmf-soak ended: %s" % soak.log_tail())
            time.sleep(0.05)
        return False

    check(progress(0, 20), "the writer made no progress over TLS: %s" % soak.log_tail())
    return se, tgt, m, soak, progress, backing


def soak_finish(ctx, se, soak, m, backing, min_reconnects):
    rc, summary = soak.finish(timeout=120)
    log("nvmf-soak: %s" % summary)
    check(rc == 0 and summary and summary["lost"] == 0 and summary["corrupt"] == 0
          and summary["errors"] == 0, "nvmf-soak failed (exit %s): %s\n%s"
          % (rc, summary, soak.log_tail()))
    rec = m.record()
    check(rec and rec.get("state") == "live" and rec.get("reconnects", 0) >= min_reconnects,
          "state record: %s" % rec)
    m.unmount()
    vrc, vsum, verr = se.verify_only(ctx.a.soak, backing, soak.journal)
    check(vrc == 0, "the backing file lost acknowledged writes: %s %s" % (vsum, verr))


def t_reconnect(ctx):
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    se, tgt, m, soak, progress, backing = soak_mount(ctx, key, "rc")
    cycles = 3
    for i in range(cycles):
        tgt.kill()
        log("cycle %d: target SIGKILLed" % (i + 1))
        time.sleep(0.5)
        tgt.start()
        restarted = se.mono()
        check(progress(restarted, 10), "cycle %d: no fsync completed within 30 s of the "
              "restart; nvmf-fuse log:\n%s" % (i + 1, m.log()[-3000:]))
        check(tgt.running(), "nvmf-target died (exit %s):\n%s" % (tgt.proc.returncode,
                                                                 tgt.log()[-6000:]))
        log("cycle %d: writes go on after the restart" % (i + 1))
    soak_finish(ctx, se, soak, m, backing, cycles)
    # Each start of the target saw TLS handshakes again (the handshake is redone).
    starts = tgt.log().split("--- start: ")[1:]
    check(len(starts) == cycles + 1, "%d target starts logged" % len(starts))
    for i, seg in enumerate(starts):
        check(len(tls_lines(seg, "NVMe0R01 %s %s'" % (HOST1, NQN))) >= 3,
              "target start %d: the host did not reconnect over TLS:\n%s" % (i + 1, seg[-3000:]))
    tgt.stop()


def t_reset_under_load(ctx):
    """nvmfctl reconnect, again and again under the writer: a reset of the live controller,
    its queues closed (close_notify) while responses are being written, a new handshake on
    every queue. The target must survive every one."""
    need_fuse(ctx.a)
    key = ctx.gen_key(1)
    se, tgt, m, soak, progress, backing = soak_mount(ctx, key, "rs")
    resets = 20
    before = len(tls_lines(tgt.log()))
    t = se.mono()
    for i in range(resets):
        prev = (m.record() or {}).get("reconnects", 0)
        ctx.ctl("reconnect", "--timeout", "0", "rs")
        end = time.monotonic() + 15
        while time.monotonic() < end and tgt.running():
            if (m.record() or {}).get("reconnects", 0) > prev:
                break
            time.sleep(0.05)
        check(tgt.running(), "nvmf-target died during nvmfctl reconnect %d of %d (exit %s):\n%s"
              % (i + 1, resets, tgt.proc.returncode, tgt.log()[-6000:]))
        check((m.record() or {}).get("reconnects", 0) > prev,
              "reset %d: the connection did not come back within 15 s: %s" % (i + 1, m.record()))
        time.sleep(0.1)
    log("%d resets, the target alive" % resets)
    check(progress(t, 10), "no fsync completed within 30 s of the resets; nvmf-fuse "
          "log:\n%s" % m.log()[-3000:])
    end = time.monotonic() + 10
    while len(tls_lines(tgt.log())) < before + 3 * resets and time.monotonic() < end:
        time.sleep(0.05)
    check(len(tls_lines(tgt.log())) >= before + 3 * resets, "%d nvmfctl reconnects, %d new "
          "TLS handshakes" % (resets, len(tls_lines(tgt.log())) - before))
    soak_finish(ctx, se, soak, m, backing, resets)
    tgt.stop()


def t_reconnect_keyfile(ctx):
    """nvmfctl connect --tls --tls-key-file F: the nvmf-fuse daemon it starts reads F again
    at every reconnect. F given as an absolute path (control), then relative to the
    directory nvmfctl runs in, as a user types it: the reconnect after a target restart
    must work either way."""
    need_fuse(ctx.a)
    kf = ctx.path("tls-keys")
    r = ctx.run([ctx.a.ctl, "gen-tls-key", "--insert", "--keyfile", kf, "--hostnqn", HOST1,
                 "--subsysnqn", NQN], judge=False)
    check(r.rc == 0, r.show())
    key = [w for w in r.out.split() if w.startswith("NVMeTLSkey-1:01:")][0]
    ctx.secret(key)
    ctx.keyfile_secrets(kf)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], ["ram:4M"])
    for how, path in (("absolute", kf), ("relative", "tls-keys")):
        name = "kf" + how[:3]
        ctx.ctl("connect", "-t", "tcp", "-a", "127.0.0.1", "-s", tgt.port, "-n", NQN,
                "-q", HOST1, "--name", name, "-i", "1", "--connect-timeout", CONNECT_TIMEOUT,
                "-c", "1", "-l", "30", "--tls", "--tls-key-file", path, timeout=40,
                cwd=ctx.tmp)
        ctx.cleanups.append(lambda n=name: subprocess.run(
            [ctx.a.ctl, "disconnect", n], env=ctx.env, capture_output=True, timeout=30))
        rec_path = os.path.join(ctx.rundir, name + ".json")

        def record():
            try:
                with open(rec_path) as f:
                    text = f.read()
                ctx.record("state record " + name, text)
                return json.loads(text)
            except (OSError, ValueError):
                return {}
        check(record().get("state") == "live", "%s: not live after connect: %s"
              % (how, record()))
        tgt.kill()
        time.sleep(0.3)
        tgt.start()
        end = time.monotonic() + 20
        rec = {}
        while time.monotonic() < end:
            rec = record()
            if rec.get("state") == "live" and rec.get("reconnects", 0) >= 1:
                break
            # Failed attempts against a running target: no need to wait for more.
            if rec.get("attempt", 0) >= 3 and rec.get("last_error"):
                break
            time.sleep(0.1)
        log("%s key file path: state %s, reconnects %s, last_error %r"
            % (how, rec.get("state"), rec.get("reconnects"), rec.get("last_error")))
        expect(check, rec.get("state") == "live" and rec.get("reconnects", 0) >= 1,
               "nvmf-fuse started by nvmfctl connect --tls-key-file %s (%s path) does not "
               "reconnect after a target restart: state %s, attempt %s, last_error %r"
               % (path, how, rec.get("state"), rec.get("attempt"), rec.get("last_error")))
        ctx.ctl("disconnect", name, timeout=40)
    tgt.stop()


def t_reconnect_wrong_key(ctx):
    """An outage during which the target comes back with another key: nvmf-fuse keeps
    trying, its state record says why the attempts fail (the TLS handshake, the key),
    and once the target has the right key again the mount is live and usable."""
    need_fuse(ctx.a)
    key, other = ctx.gen_key(1), ctx.gen_key(1)
    backing = make_backing(ctx)
    tgt = Target(ctx, ["--tls", "required", "--tls-key", key], [backing])
    m = Mount(ctx, tgt.uri(), HOST1, args=["--ctrl-loss-tmo", "60", "--reconnect-delay", "1"],
              env=key_env(key), name="wk", nr_io=1)
    model = checked_io(m.file(), backing, writes=WRITES[:3])
    tgt.kill()
    tgt.extra = ["--tls", "required", "--tls-key", other]
    tgt.start()
    end = time.monotonic() + 20
    rec = {}
    while time.monotonic() < end:
        rec = m.record() or rec
        # The first attempt may meet the target still starting: judge a later one.
        if rec.get("state") == "connecting" and rec.get("attempt", 0) >= 3:
            break
        time.sleep(0.1)
    why = rec.get("last_error", "")
    log("with another key on the target: state %s, attempt %s, last_error %r"
        % (rec.get("state"), rec.get("attempt"), why))
    check(rec.get("state") == "connecting", "state record: %s" % rec)
    expect(words, why, "TLS", "handshake", ("key", "PSK"))
    expect(balanced, why)
    r = ctx.ctl("list")
    log("nvmfctl list:\n" + r.out.rstrip())
    tgt.kill()
    tgt.extra = ["--tls", "required", "--tls-key", key]
    tgt.start()
    end = time.monotonic() + 20
    while time.monotonic() < end:
        rec = m.record() or rec
        if rec.get("state") == "live":
            break
        time.sleep(0.1)
    check(rec.get("state") == "live", "not live again with the right key: %s" % rec)
    checked_io(m.file(), backing, writes=WRITES[3:6], model=model)
    m.unmount()
    tgt.stop()


# ---- 5. tshark ------------------------------------------------------------------------------

def tshark_fields(pcap, fields, display, extra=()):
    argv = ["tshark", "-r", pcap] + list(extra) + ["-Y", display, "-T", "fields", "-E",
                                                   "separator=|"]
    for f in fields:
        argv += ["-e", f]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr))
    return [line.split("|") for line in r.stdout.splitlines() if line.strip()]


def capture(ctx, pcap, bpf, action):
    """dumpcap on lo with the filter bpf while action() runs."""
    cap = subprocess.Popen(["dumpcap", "-q", "-i", "lo" if LINUX else "lo0", "-f", bpf, "-w", pcap],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop_cap():
        if cap.poll() is None:
            cap.send_signal(signal.SIGINT)
            try:
                cap.wait(10)
            except subprocess.TimeoutExpired:
                cap.kill()
                cap.wait()
    ctx.cleanups.append(stop_cap)
    said = b""
    end = time.monotonic() + 15
    while b"Capturing on" not in said and time.monotonic() < end:
        if cap.poll() is not None:
            raise Fail("dumpcap exited: %s" % (said + cap.stderr.read()).decode())
        r, _, _ = select.select([cap.stderr], [], [], 0.5)
        if r:
            said += os.read(cap.stderr.fileno(), 4096)
    check(b"Capturing on" in said, "dumpcap did not start capturing: %r" % said)
    time.sleep(1)	# not a judgement of time: a margin before the first packet
    action()
    time.sleep(0.5)	# the last segments into the file
    stop_cap()


def t_tshark(ctx):
    for tool in ("tshark", "dumpcap"):
        check(shutil.which(tool), "%s is needed (package tshark; scripts/deps installs it)" % tool)
    key = ctx.gen_key(1)
    tls_t = Target(ctx, ["--tls", "required", "--tls-key", key], ["ram:4M"], name="tls")
    plain_t = Target(ctx, [], ["ram:4M"], name="plain")
    P, Q = str(tls_t.port), str(plain_t.port)
    # dumpcap may say "Capturing on" a moment before packets reach it: a capture that
    # misses a connection's start or a segment is made again (at most 3 times).
    for attempt in range(1, 4):
        pcap = ctx.path("capture-%d.pcapng" % attempt)
        capture(ctx, pcap, "tcp port %s or tcp port %s" % (P, Q), lambda: (
            ctx.ctl("id-ctrl", tls_t.uri(), "--hostnqn", HOST1, "--connect-timeout",
                    CONNECT_TIMEOUT, env=key_env(key)),
            ctx.ctl("id-ctrl", plain_t.uri(), "--hostnqn", HOST1, "--connect-timeout",
                    CONNECT_TIMEOUT)))
        syns = tshark_fields(pcap, ["tcp.dstport"], "tcp.flags.syn == 1 && tcp.flags.ack == 0")
        lost = tshark_fields(pcap, ["frame.number"], "tcp.analysis.lost_segment || "
                             "tcp.analysis.ack_lost_segment")
        if sorted(s[0] for s in syns) == sorted([P, Q]) and not lost:
            break
        log("capture %d incomplete (SYNs to %s, %d lost segments): again"
            % (attempt, [s[0] for s in syns], len(lost)))
    else:
        raise Fail("three captures on lo missed packets")
    tls_t.stop()
    plain_t.stop()
    decode = ["-d", "tcp.port==%s,nvme-tcp" % P, "-d", "tcp.port==%s,nvme-tcp" % Q]
    pdus = tshark_fields(pcap, ["tcp.srcport", "tcp.dstport", "nvme-tcp.type"], "nvme-tcp", decode)
    # A TLS record read as a PDU header has type 16h (handshake) or 17h (application
    # data): no NVMe/TCP PDU type (00h-09h). Those are what the dissector makes of the
    # ciphertext, not cleartext PDUs; they are counted apart.
    def defined(p):
        return all(t.isdigit() and int(t) <= 9 for t in p[2].split(",") if t)
    on_tls = [p for p in pdus if P in p[:2] and defined(p)]
    junk = [p for p in pdus if P in p[:2] and not defined(p)]
    on_plain = [p for p in pdus if Q in p[:2] and defined(p)]
    log("decoded as nvme-tcp: %d PDUs on the plaintext port, %d on the TLS port (and %d "
        "TLS records misread as undefined PDU types %s)" % (len(on_plain), len(on_tls),
                                                           len(junk), sorted({p[2] for p in junk})))
    check(len(on_plain) >= 6, "the plaintext connection shows %d NVMe/TCP PDUs: the decode "
          "does not work, so the TLS check would prove nothing" % len(on_plain))
    check(not on_tls, "%d NVMe/TCP PDUs in cleartext on the TLS port: %s" % (len(on_tls),
                                                                            on_tls[:5]))
    # The bytes of the TLS connection hold no ICReq header and no Identify data (the model
    # number "nvmf-target"), which the plaintext one does.
    def payload(port):
        raw = ["--disable-protocol", "tls", "-o", "tcp.desegment_tcp_streams:FALSE"]
        return "".join(p[0] for p in tshark_fields(pcap, ["tcp.payload"],
                                                    "tcp.port == %s && tcp.len > 0" % port,
                                                    raw)).replace(":", "")
    mn = b"nvmf-target".hex()
    check(mn in payload(Q), "the plaintext connection does not carry the model number")
    tls_bytes = payload(P)
    check(len(tls_bytes) > 2 * 4096, "the TLS connection carried only %d bytes"
          % (len(tls_bytes) // 2))
    icreq = "0000800080000000"
    check(icreq in payload(Q), "the plaintext connection does not carry an ICReq header")
    check(mn not in tls_bytes and icreq not in tls_bytes,
          "cleartext NVMe/TCP data (ICReq header or Identify data) on the TLS connection")
    # As TLS: a TLS 1.3 handshake with the pre_shared_key extension (41) both ways.
    hs = tshark_fields(pcap, ["tcp.srcport", "tls.handshake.type",
                              "tls.handshake.extensions.supported_version",
                              "tls.handshake.ciphersuite", "tls.handshake.extension.type",
                              "tls.handshake.extensions.psk.identity.identity"],
                       "tcp.port == %s && tls.handshake.type" % P,
                       ["-d", "tcp.port==%s,tls" % P])
    ch = [h for h in hs if "1" in h[1].split(",") and h[0] != P]
    sh = [h for h in hs if "2" in h[1].split(",") and h[0] == P]
    log("ClientHello %s; ServerHello %s" % ([h[2:5] for h in ch], [h[2:5] for h in sh]))
    ident = "NVMe0R01 %s %s" % (HOST1, NQN)
    check(len(ch) == 1 and "0x0304" in ch[0][2].split(",") and "41" in ch[0][4].split(",")
          and "45" in ch[0][4].split(",")
          and bytes.fromhex(ch[0][5].replace(":", "")).decode(errors="replace") == ident,
          "the ClientHello does not offer TLS 1.3 with pre_shared_key (and psk_key_exchange_"
          "modes) for %r: %s" % (ident, ch))
    check(len(sh) == 1 and sh[0][2] == "0x0304" and sh[0][3] == "0x1301"
          and "41" in sh[0][4].split(","),
          "the ServerHello does not select TLS 1.3, TLS_AES_128_GCM_SHA256 and the PSK: %s" % sh)
    appdata = tshark_fields(pcap, ["frame.number"], "tcp.port == %s && tls.record.opaque_type"
                            " == 23" % P, ["-d", "tcp.port==%s,tls" % P])
    check(len(appdata) >= 4, "only %d TLS application data records" % len(appdata))


# ---- docs -------------------------------------------------------------------------------------

def t_help(ctx):
    """--help names the TLS options each command accepts (nvmf-target's is the control)."""
    host_opts = ("--tls", "--tls-key", "--tls-key-file", "--tls-identity", "--tls-compat")
    cmds = [([ctx.a.target, "--help"], ("--tls", "--tls-key", "--tls-key-file", "--tls-compat"))]
    for c in ("connect", "connect-all", "discover", "id-ctrl", "get-log"):
        cmds.append(([ctx.a.ctl, c, "--help"], host_opts))
    if ctx.a.fuse:
        cmds.append(([ctx.a.fuse, "--help"], host_opts))
    missing = []
    for argv, opts in cmds:
        r = ctx.run(argv)
        text = r.out + r.err
        gone = [o for o in opts if not re.search(re.escape(o) + r"\b(?!-)", text)]
        if gone:
            missing.append("%s: %s" % (" ".join(os.path.basename(x) for x in argv[:2]),
                                       " ".join(gone)))
    check(not missing, "--help does not document TLS options the command accepts:\n  "
          + "\n  ".join(missing))


TESTS = {
    "fuse_env": t_fuse_env,
    "fuse_keyfile": t_fuse_keyfile,
    "fuse_compat": t_fuse_compat,
    "ctl_discovery": t_ctl_discovery,
    "allowed": t_allowed,
    "wrong_psk": t_wrong_psk,
    "unknown_identity": t_unknown_identity,
    "tls12_client": t_tls12_client,
    "tls12_server": t_tls12_server,
    "plain_on_required": t_plain_on_required,
    "tls_on_plain": t_tls_on_plain,
    "silent_server": t_silent_server,
    "closed_mid_handshake": t_closed_mid_handshake,
    "stalled_client": t_stalled_client,
    "connect_other_host": t_connect_other_host,
    "no_key_leak": t_no_key_leak,
    "connect_all": t_connect_all,
    "reconnect": t_reconnect,
    "reset_under_load": t_reset_under_load,
    "reconnect_keyfile": t_reconnect_keyfile,
    "reconnect_wrong_key": t_reconnect_wrong_key,
    "tshark": t_tshark,
    "help": t_help,
    "batches": t_batches,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--target", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--fuse")
    ap.add_argument("--soak")
    ap.add_argument("--rogue")
    a = ap.parse_args()
    for k in ("target", "ctl", "fuse", "soak", "rogue"):
        if getattr(a, k):
            setattr(a, k, os.path.abspath(getattr(a, k)))
    ctx = Ctx(a, a.test)
    failures = []
    t0 = time.monotonic()
    try:
        try:
            TESTS[a.test](ctx)
        except Fail as e:
            failures.append(str(e))
        # Judged whatever happened: a failed test may still have printed a key.
        failures += SOFT
        try:
            ctx.judge()
        except Fail as e:
            failures.append(str(e))
    finally:
        ctx.cleanup(not failures)
    for f in failures:
        log("FAIL: %s" % f)
    ok = not failures
    log("%s: %s (%.1f s)" % (a.test, "PASS" if ok else "FAIL", time.monotonic() - t0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
