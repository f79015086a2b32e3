#!/usr/bin/env python3
"""libnvmf's DH-HMAC-CHAP host (nvmfctl, nvmf-fuse) against the Linux kernel target of the auth
fixture (nvmet 6.12).

  auth_host.py TEST --nvmfctl EXE --fuse EXE [--tls-env FILE]   (NVMF_TEST_ENV: the auth fixture)

Every case has a host NQN of its own (with a tag per run), given its secrets, hash and DH group
on the guest (guest/nvmet.sh host_add, host_allow), so the fixture's own host is left alone.

  nvmecli    secrets made by nvme-cli's gen-dhchap-key, as nvme-cli prints them: Debian 12's
             nvme-cli 2.3 on this machine and Debian 13's nvme-cli 2.13 in the tls fixture's guest
             (--tls-env names its target.env; its userland has nvme 2.13): hh 00 with 32, 48
             and 64 bytes, 01, 02 and 03, host and controller secrets, transformed with the
             case's host NQN (and the subsystem NQN for controller secrets) as nvme-cli does.
             Each is checked (Base64, CRC-32, length), given to nvmet as is, and used by nvmfctl
             id-ctrl (NVMF_DHCHAP_SECRET and NVMF_DHCHAP_CTRL_SECRET, once from nvme-cli's output
             file through --dhchap-secret-file): the debug log says the queue authenticated with
             the hash and group nvmet was given, nvmet's console shows the controller "with
             DH-HMAC-CHAP" for the case's NQN.
  reconnect  nvmf-fuse (secret files, --ctrl-loss-tmo -1 --reconnect-delay 1, one I/O queue)
             while the port is removed and added again (nvmet ctl port-remove / port-add): a
             write made during the outage waits and completes, nvmet's console shows new
             controllers "with DH-HMAC-CHAP" for the host (the host authenticated again), the
             data is read back, in the image and on the guest's disk. Then nvmet gets another
             host secret and the port goes away again: the re-authentication fails, the host
             stops reconnecting at once although ctrl_loss_tmo is -1 (nvmf.h, AUTHENTICATION:
             a failed authentication is permanent), the state record says dead with the reason,
             reads fail with EIO; no secret in the record or on nvmf-fuse's command line.

Exit 0 pass, 1 fail, 77 skip (reconnect only: no /dev/fuse or not allowed to mount).
"""
import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from nvmf_testlib import Fail, check, is_mounted, log, wait_gone  # noqa: E402

SKIP = 77
MiB = 1 << 20
HH_LEN = {1: 32, 2: 48, 3: 64}


def load_env(path, what):
    if not path or not os.path.exists(path):
        raise Fail("%s target.env %r is missing: run this test from ctest's interop fixtures" % (what, path))
    kv = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            vals = shlex.split(v)
            kv[k] = vals[0] if vals else ""
    return kv


def fuse_usable():
    return os.path.exists("/dev/fuse") and (os.geteuid() == 0 or shutil.which("fusermount3"))


def dhchap_key(hh, length=None, raw=None):
    """A secret in the DHHC-1 representation, made here (not by the product)."""
    raw = raw if raw is not None else secrets.token_bytes(length or HH_LEN.get(hh, 32))
    return "DHHC-1:%02x:%s:" % (hh, base64.b64encode(raw + struct.pack("<I", zlib.crc32(raw))).decode())


def parse_dhchap(text):
    """(hh, key bytes) of a DHHC-1 secret, checked as Linux's nvme_auth_extract_key does, plus
    nvme-cli's length rule (hh 00: 32, 48 or 64 bytes; else the hash's length)."""
    m = re.fullmatch(r"DHHC-1:(0[0-3]):([A-Za-z0-9+/=]+):", text)
    check(m, "not a DHHC-1 secret: %r" % text)
    hh, blob = int(m.group(1)), base64.b64decode(m.group(2), validate=True)
    key, crc = blob[:-4], struct.unpack("<I", blob[-4:])[0]
    check(zlib.crc32(key) == crc, "CRC-32 of %r is wrong" % text)
    check(len(key) in (32, 48, 64) and (hh == 0 or len(key) == HH_LEN[hh]),
          "%r: %d key bytes with hh %02d" % (text, len(key), hh))
    return hh, key


def leaks(text, secret):
    body = secret[10:].rstrip(":")
    return secret in text or body in text or body[:12] in text


class Env:
    def __init__(self, a):
        self.e = load_env(os.environ.get("NVMF_TEST_ENV"), "auth fixture")
        check(self.e.get("NVMF_TEST_AUTH") == "1", "NVMF_TEST_ENV is not the auth fixture")
        self.tls_env = a.tls_env
        self.ctl_exe, self.fuse_exe = a.nvmfctl, a.fuse
        self.tmp = tempfile.mkdtemp(prefix="auth-host-")
        self.rundir = os.path.join(self.tmp, "run")
        os.makedirs(self.rundir)
        self.env = dict(os.environ, NVMF_RUNTIME_DIR=self.rundir, TMPDIR=self.tmp)
        for var in ("NVMF_DHCHAP_SECRET", "NVMF_DHCHAP_CTRL_SECRET", "LIBNVMF_DEBUG"):
            self.env.pop(var, None)
        self.mounts = []
        self.secrets = []  # every secret of the run: none may appear in an output
        e = self.e
        self.addr, self.port, self.subnqn = e["NVMF_TEST_TRADDR"], e["NVMF_TEST_TRSVCID"], e["NVMF_TEST_SUBNQN"]
        self.uri = "nvme+tcp://%s:%s/%s" % (self.addr, self.port, self.subnqn)
        self.tag = secrets.token_hex(3)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def no_leak(self, what, text):
        for k in self.secrets:
            check(not leaks(text, k), "%s holds a DH-HMAC-CHAP secret" % what)

    def secret_file(self, name, text):
        path = self.path(name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text if text.endswith("\n") else text + "\n")
        return path

    # -- nvmfctl ------------------------------------------------------------------------------
    def nvmfctl(self, *args, hs=None, cs=None, debug=False, rc=0, timeout=90):
        args = [str(x) for x in args]
        env = dict(self.env)
        if hs:
            env["NVMF_DHCHAP_SECRET"] = hs
        if cs:
            env["NVMF_DHCHAP_CTRL_SECRET"] = cs
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
            # QEMU's forwarded port has a listen backlog of 1.
            flaky = re.search(r"connection error: connection (reset by peer|refused)", p.stderr)
            if not (rc == 0 and p.returncode != 0 and flaky and attempt < 3):
                break
            log("  (nvmfctl %s: %s; retrying)" % (args[0], flaky.group(0)))
            time.sleep(0.5)
        self.no_leak("nvmfctl %s's output" % args[0], p.stdout + p.stderr)
        if rc is not None and p.returncode != rc:
            raise Fail("nvmfctl %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s%s"
                       % (" ".join(args), p.returncode, rc, p.stdout[-3000:], p.stderr[-3000:],
                          self.console_tail()))
        return p

    # -- the guest ------------------------------------------------------------------------------
    def guest(self, *args, rc=0, timeout=240, env=None):
        ctl = (env or self.e)["NVMF_TEST_CTL"]
        p = subprocess.run([ctl] + [str(x) for x in args], capture_output=True, text=True,
                           timeout=timeout + 30)
        if rc is not None and p.returncode != rc:
            raise Fail("ctl %s: exit %d\n%s%s" % (" ".join(map(str, args))[:300], p.returncode,
                                                  p.stdout, p.stderr))
        return p.stdout

    def add_hosts(self, hosts):
        """One guest request: host_add (secrets, hash, group) and host_allow for each
        (hostnqn, key, ctrl_key, hash, dhgroup)."""
        q = shlex.quote
        lines = [". /lib/nvmet.sh", "set -e"]
        for h, k, ck, hash_, group in hosts:
            lines.append("host_add %s %s %s %s %s" % (q(h), q(k), q(ck or ""), q("hmac(%s)" % hash_), q(group)))
            lines.append("host_allow %s %s" % (q(self.subnqn), q(h)))
        lines.append("echo configured")
        out = self.guest("\n".join(lines) + "\n", "--timeout", "240")
        check("configured" in out, "configuring the hosts: %s" % out)

    def console(self):
        with open(self.e["NVMF_TEST_CONSOLE_LOG"], errors="replace") as f:
            return f.read()

    def console_tail(self, n=15):
        return "\nconsole:\n  " + "\n  ".join(self.console().splitlines()[-n:])

    def auth_ctrls(self, hostnqn, since=0):
        """nvmet's controllers created "with DH-HMAC-CHAP" for hostnqn since offset since."""
        return [int(m.group(1)) for m in re.finditer(
            r"creating nvm controller (\d+) for subsystem \S+ for NQN %s with DH-HMAC-CHAP\."
            % re.escape(hostnqn), self.console()[since:])]

    def wait_console(self, cond, timeout=5):
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end:
            time.sleep(0.1)
        return cond()

    def guest_md5(self, off, length):
        dev = self.guest("cat /sys/kernel/config/nvmet/subsystems/%s/namespaces/%s/device_path"
                         % (self.subnqn, self.e["NVMF_TEST_NSID"])).strip()
        check(dev.startswith("/dev/"), "namespace 1's device_path: %r" % dev)
        out = self.guest("dd if=%s bs=1048576 skip=%d count=%d iflag=direct 2>/dev/null | md5sum"
                         % (dev, off // MiB, length // MiB))
        return out.split()[0]

    # -- nvmf-fuse ------------------------------------------------------------------------------
    def mount(self, name, hostnqn, *extra):
        mnt = self.path("mnt-" + name)
        os.makedirs(mnt, exist_ok=True)
        pidfile = self.path("fuse-%s.pid" % name)
        cmd = [self.fuse_exe, mnt, self.uri, "-P", pidfile, "--name", name, "--hostnqn", hostnqn,
               "--nr-io-queues", "1", "--keep-alive-tmo", "30"] + [str(x) for x in extra]
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=90)
        self.no_leak("nvmf-fuse's output", p.stdout + p.stderr)
        if p.returncode != 0:
            raise Fail("nvmf-fuse %s failed (%d): %s%s" % (" ".join(cmd[4:]), p.returncode, p.stderr,
                                                            self.console_tail()))
        with open(pidfile) as f:
            m = {"name": name, "mnt": mnt, "pid": int(f.read()), "file": os.path.join(mnt, "n1")}
        self.mounts.append(m)
        return m

    def record(self, name):
        with open(os.path.join(self.rundir, name + ".json")) as f:
            text = f.read()
        self.no_leak("the state record", text)
        return json.loads(text)

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
        shutil.rmtree(self.tmp, ignore_errors=True)


def md5(data):
    return hashlib.md5(data).hexdigest()


def dd_read(path, off, length):
    p = subprocess.run(["dd", "if=" + path, "bs=1M", "skip=%d" % (off // MiB), "count=%d" % (length // MiB),
                        "iflag=direct", "status=none"], capture_output=True, timeout=120)
    check(p.returncode == 0 and len(p.stdout) == length, "dd iflag=direct %s: %s (%d bytes)"
          % (path, p.stderr.decode(errors="replace"), len(p.stdout)))
    return p.stdout


def image_read(t, off, length):
    with open(t.e["NVMF_TEST_IMAGE"], "rb") as f:
        f.seek(off)
        return f.read(length)


# ---------------------------------------------------------------------------------------------
# nvmecli: secrets made by nvme-cli 2.3 (here) and 2.13 (the tls guest)

# (hh, key length, hash, group, controller secret (hh, length) or None)
NVMECLI_CASES = [
    (0, 32, "sha256", "null", None),
    (0, 48, "sha384", "ffdhe2048", (0, 64)),
    (0, 64, "sha512", "null", None),
    (1, 32, "sha256", "ffdhe2048", (2, 48)),
    (2, 48, "sha384", "null", None),
    (3, 64, "sha512", "ffdhe2048", (3, 64)),
]


def gen_args(hh, length, nqn):
    args = ["gen-dhchap-key", "--hmac=%d" % hh, "--nqn=%s" % nqn]
    if hh == 0:
        args.append("--key-length=%d" % length)
    return args


def t_nvmecli(t):
    nvme = shutil.which("nvme")
    check(nvme, "no nvme command (nvme-cli) on this machine; scripts/deps installs it")
    tls = load_env(t.tls_env, "tls fixture (its guest has nvme-cli 2.13)")
    v23 = subprocess.run([nvme, "version"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    cases = []  # dicts: version, hostnqn, hh, len, hash, group, ckey form
    for version in ("2.3", "2.13"):
        for i, (hh, length, hash_, group, cform) in enumerate(NVMECLI_CASES):
            cases.append({"version": version, "hh": hh, "len": length, "hash": hash_, "group": group,
                          "cform": cform or (None, None), "hostnqn": "nqn.2014-08.org.libnvmf:auth-cli-%s-%s-%d"
                          % (t.tag, version.replace(".", ""), i)})
    # nvme-cli 2.3, here: one run per secret.
    t0 = time.monotonic()
    for c in (c for c in cases if c["version"] == "2.3"):
        for role, (hh, length), nqn in (("key", (c["hh"], c["len"]), c["hostnqn"]),
                                        ("ckey", c["cform"], t.subnqn)):
            if hh is None:
                continue
            p = subprocess.run([nvme] + gen_args(hh, length, nqn), capture_output=True, text=True,
                               timeout=30)
            check(p.returncode == 0, "nvme %s: %s" % (" ".join(gen_args(hh, length, nqn)), p.stderr))
            c[role] = p.stdout.strip()
            c[role + "_out"] = p.stdout
    # nvme-cli 2.13 in the tls guest: every secret in one request.
    script = []
    for n, c in enumerate(cases):
        if c["version"] != "2.13":
            continue
        script.append("echo \"KEY %d key $(nvme %s)\"" % (n, " ".join(map(shlex.quote, gen_args(c["hh"], c["len"], c["hostnqn"])))))
        if c["cform"][0] is not None:
            script.append("echo \"KEY %d ckey $(nvme %s)\"" % (n, " ".join(map(shlex.quote, gen_args(c["cform"][0], c["cform"][1], t.subnqn)))))
    script.append("nvme version | head -1")
    out = t.guest("\n".join(script) + "\n", env=tls)
    v213 = [ln for ln in out.splitlines() if ln.startswith("nvme version")]
    for ln in out.splitlines():
        f = ln.split(" ", 3)
        if f[0] == "KEY" and len(f) == 4:
            cases[int(f[1])][f[2]] = f[3].strip()
            cases[int(f[1])][f[2] + "_out"] = f[3].strip() + "\n"
    log("secrets from %s (here) and %s (tls guest) in %.1f s" % (v23, v213[0] if v213 else "nvme-cli 2.13?",
                                                               time.monotonic() - t0))
    # Every secret well formed, of the form asked for.
    for c in cases:
        check("key" in c and (c["cform"][0] is None or "ckey" in c), "nvme-cli %s gave no secret for %s: %s"
              % (c["version"], c["hostnqn"], out))
        hh, key = parse_dhchap(c["key"])
        check(hh == c["hh"] and len(key) == c["len"], "nvme-cli %s: %s for hh %02d/%d" % (c["version"], c["key"], c["hh"], c["len"]))
        if c["cform"][0] is not None:
            hh, key = parse_dhchap(c["ckey"])
            check((hh, len(key)) == tuple(c["cform"]), "nvme-cli %s: %s for %s" % (c["version"], c["ckey"], c["cform"]))
        t.secrets += [c["key"]] + ([c["ckey"]] if c.get("ckey") else [])
    t.add_hosts([(c["hostnqn"], c["key"], c.get("ckey"), c["hash"], c["group"]) for c in cases])
    # Our host with each.
    for n, c in enumerate(cases):
        since = len(t.console())
        bidi = c.get("ckey") is not None
        extra = []
        hs = c["key"]
        if n == len(cases) - 1:
            # nvme-cli's output file, as it printed it, through --dhchap-secret-file.
            extra = ["--dhchap-secret-file", t.secret_file("cli.key", c["key_out"])]
            hs = None
        p = t.nvmfctl("id-ctrl", t.uri, "--hostnqn", c["hostnqn"], "-o", "json", *extra, hs=hs,
                      cs=c.get("ckey"), debug=True)
        j = json.loads(p.stdout)
        check(j["subnqn"] == t.subnqn, "id-ctrl: subnqn %r" % j["subnqn"])
        want = "DH-HMAC-CHAP: %s, %s%s" % (c["hash"], c["group"], ", bidirectional" if bidi else "\n")
        check("queue 0: authenticated" in p.stderr and want in p.stderr,
              "nvme-cli %s secret hh %02d/%d: the debug log lacks %r:\n%s"
              % (c["version"], c["hh"], c["len"], want.strip(), p.stderr[-1500:]))
        check(t.wait_console(lambda: t.auth_ctrls(c["hostnqn"], since)),
              "nvmet's console shows no controller with DH-HMAC-CHAP for %s%s" % (c["hostnqn"], t.console_tail()))
        log("nvme-cli %-4s host %02d/%d%s, %s, %s%s: authenticated in %.2f s%s"
            % (c["version"], c["hh"], c["len"], (", ctrl %02d/%d" % tuple(c["cform"])) if bidi else "",
               c["hash"], c["group"], ", bidirectional" if bidi else "", p.seconds,
               " (from nvme-cli's output file)" if extra else ""))
    return 0


# ---------------------------------------------------------------------------------------------
# reconnect: port-remove / port-add under nvmf-fuse; then a failed re-authentication

def t_reconnect(t):
    if not fuse_usable():
        log("SKIP: needs /dev/fuse and the right to mount")
        return SKIP
    host = "nqn.2014-08.org.libnvmf:auth-rc-%s" % t.tag
    key, ckey = dhchap_key(2), dhchap_key(1)
    t.secrets += [key, ckey]
    t.guest("host-allow", t.subnqn, host, "--key", key, "--ctrl-key", ckey, "--hash", "hmac(sha384)",
            "--dhgroup", "ffdhe2048")
    hf, cf = t.secret_file("host.key", key), t.secret_file("ctrl.key", ckey)
    m = t.mount("rc", host, "--dhchap-secret-file", hf, "--dhchap-ctrl-secret-file", cf,
                "--ctrl-loss-tmo", -1, "--reconnect-delay", 1)
    with open("/proc/%d/cmdline" % m["pid"], "rb") as f:
        t.no_leak("nvmf-fuse's command line", f.read().decode(errors="replace"))
    check(t.wait_console(lambda: len(t.auth_ctrls(host)) == 1),
          "after the mount: %d controllers with DH-HMAC-CHAP for %s, want 1" % (len(t.auth_ctrls(host)), host))
    off = 24 * MiB
    a, b = os.urandom(MiB), os.urandom(MiB)
    with open(m["file"], "r+b") as f:
        f.seek(off)
        f.write(a)
        os.fsync(f.fileno())
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
    since = len(t.console())
    t.guest("port-add", "--port", "4420")
    back = time.monotonic() - t0
    log("%.1fs port 4420 added again" % back)
    th.join(90)
    check("done" in result, "the write made during the outage: %s" % result)
    end = time.monotonic() + 30
    while time.monotonic() < end and t.record("rc")["state"] != "live":
        time.sleep(0.2)
    rec = t.record("rc")
    check(rec["state"] == "live" and rec["reconnects"] >= 1 and rec["outages"] >= 1, "state record: %s" % rec)
    new = t.auth_ctrls(host, since)
    check(len(new) >= 1, "no new controller with DH-HMAC-CHAP for %s after port-add%s" % (host, t.console_tail()))
    log("%.1fs write completed, live again (%.1f s after port-add), outages %d reconnects %d; nvmet: %d new "
        "authenticated controller(s) %s" % (result["done"], result["done"] - back, rec["outages"],
                                            rec["reconnects"], len(new), new))
    want = md5(a + b)
    check(md5(dd_read(m["file"], off, 2 * MiB)) == want, "read back after the reconnect differs")
    check(md5(image_read(t, off, 2 * MiB)) == want, "the backing image differs")
    check(t.guest_md5(off, 2 * MiB) == want, "the guest's disk differs")
    log("both writes read back, in the image and on the guest's disk")

    # nvmet gets another host secret: the next re-authentication fails, and that ends it.
    t.guest(". /lib/nvmet.sh; host_add %s %s" % (shlex.quote(host), shlex.quote(dhchap_key(2))))
    since = len(t.console())
    t1 = time.monotonic()
    t.guest("port-remove", "--port", "4420")
    t.guest("port-add", "--port", "4420")
    end = time.monotonic() + 30
    while time.monotonic() < end and t.record("rc")["state"] != "dead":
        time.sleep(0.2)
    rec = t.record("rc")
    check(rec["state"] == "dead", "a refused re-authentication did not end the reconnects "
          "(ctrl_loss_tmo -1): %s%s" % (rec, t.console_tail()))
    check("authentication" in rec.get("last_error", ""), "the record's last error does not name the "
          "authentication: %r" % rec.get("last_error"))
    check(t.wait_console(lambda: "host response mismatch" in t.console()[since:]),
          "nvmet's console does not say 'host response mismatch'%s" % t.console_tail())
    log("%.1fs after the port came back with another secret on nvmet: %s after %s attempt(s): %s"
        % (time.monotonic() - t1, rec["state"], rec.get("attempt"), rec.get("last_error")))
    try:
        with open(m["file"], "rb") as f:
            os.pread(f.fileno(), 4096, off + 8 * MiB)
        check(False, "a read after the host gave up did not fail")
    except OSError as e:
        check(e.errno == 5, "a read after the host gave up: %s, want EIO" % e)
    t.umount(m)
    return 0


TESTS = {"nvmecli": t_nvmecli, "reconnect": t_reconnect}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--nvmfctl", required=True)
    ap.add_argument("--fuse", required=True)
    ap.add_argument("--tls-env", help="target.env of the tls fixture (nvmecli: nvme-cli 2.13 in its guest)")
    a = ap.parse_args()
    t = None
    t0 = time.monotonic()
    try:
        t = Env(a)
        rc = TESTS[a.test](t)
    except Exception as e:  # noqa: BLE001  (any failure: report it, clean up)
        if not isinstance(e, Fail):
            traceback.print_exc()
        print("FAIL: %s: %s" % (a.test, e), flush=True)
        rc = 1
    finally:
        if t:
            t.cleanup()
    print("%s %s (%.1f s)" % (a.test, {0: "PASS", SKIP: "SKIP"}.get(rc, "FAIL"), time.monotonic() - t0))
    return rc


if __name__ == "__main__":
    sys.exit(main())
