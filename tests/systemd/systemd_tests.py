#!/usr/bin/env python3
"""systemd integration without systemd: readiness (sd_notify) and nvmfctl autoconnect.

  systemd_tests.py TEST --target nvmf-target [--fuse nvmf-fuse] [--nvmfctl nvmfctl]
                        [--unit BUILD/systemd/nvmf-fuse@.service]
                        [--target-unit BUILD/systemd/nvmf-target.service]

ready_target  nvmf-target sends READY=1 (path and abstract NOTIFY_SOCKET) only once
              its listener accepts, STOPPING=1 on SIGTERM; a bad NOTIFY_SOCKET is a
              warning, not a failure; nvmf-target.service's ExecStart= (its /etc paths
              the test's) gets READY=1 and reloads on SIGHUP.
ready_fuse    nvmf-fuse -f sends READY=1 once the mount serves reads (checked at
              once against the backing file), STOPPING=1 on SIGTERM; a failed
              start sends no READY=1, nor does one that nvmfctl connect starts.
autoconnect   nvmfctl autoconnect against nvmf-target's discovery service (two
              subsystems): --dry-run, discovery.conf, the instance files, the
              systemctl command (a stand-in), names escaped as systemd-escape does;
              then one instance run as nvmf-fuse@.service's ExecStart= would run it
              (the configured unit's command line, expanded as systemd does), which
              must report READY=1 and serve the subsystem's data (FUSE only).
Exit 0 pass, 1 fail, 77 skip.
"""
import argparse
import os
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuse"))
from fuse_env import (HOSTNQN, SKIP, Fail, Target, check, is_mounted, log,  # noqa: E402
                      write_random_file)

MiB = 1 << 20
# is_mounted() reads /proc/self/mounts: Linux only (FreeBSD: the data check alone).
LINUX = sys.platform.startswith("linux")
NQN_A = "nqn.2026-11.org.libnvmf:auto-a"
NQN_B = "nqn.2026-11.org.libnvmf:auto-b"


class Notify:
    """The service manager's side: a datagram socket NOTIFY_SOCKET names."""

    def __init__(self, tmp, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "nvmf-systemd-test-%d-%d" % (os.getpid(), int(time.monotonic() * 1e6))
            self.sock.bind("\0" + name)
            self.addr = "@" + name
        else:
            self.addr = tempfile.mktemp(prefix="notify-", dir=tmp)
            self.sock.bind(self.addr)

    def env(self, **more):
        return dict(os.environ, NOTIFY_SOCKET=self.addr, **more)

    def recv(self, timeout):
        """The next message, or None after timeout seconds."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        return self.sock.recv(4096).decode()

    def close(self):
        self.sock.close()
        if not self.addr.startswith("@"):
            os.unlink(self.addr)


def start_target(exe, tmp, notify_env, args):
    errf = open(os.path.join(tmp, "target.err"), "w+")
    p = subprocess.Popen([exe, "-a", "127.0.0.1", "-p", "0", "-P", "0"] + args,
                         stdout=subprocess.PIPE, stderr=errf, text=True, env=notify_env)
    return p, errf


def stop(p, timeout=30):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Fail("pid %d did not exit within %d s of SIGTERM" % (p.pid, timeout))
    return p.returncode


def kill(p):
    if p and p.poll() is None:
        p.kill()
        p.wait()


# ---- nvmf-target -------------------------------------------------------------------

def ready_target_once(a, tmp, abstract):
    img = os.path.join(tmp, "t.img")
    with open(img, "wb") as f:
        f.truncate(16 * MiB)
    n = Notify(tmp, abstract)
    p = None
    try:
        p, errf = start_target(a.target, tmp, n.env(), ["-n", NQN_A, img])
        msg = n.recv(20)
        check(msg is not None, "nvmf-target sent nothing to NOTIFY_SOCKET within 20 s")
        m = re.match(r"READY=1\nSTATUS=listening on 127\.0\.0\.1:(\d+) ", msg)
        check(m, "nvmf-target's first notification is not READY=1 with its "
              "listener: %r" % msg)
        port = int(m.group(1))
        # READY=1 means connectable: the listener accepts now, with no retry.
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        except OSError as e:
            raise Fail("READY=1 came, but connecting to port %d failed: %s" % (port, e))
        line = p.stdout.readline()
        check(("127.0.0.1:%d" % port) in line, "stdout line %r does not match" % line)
        check(p.poll() is None, "nvmf-target exited")
        p.send_signal(signal.SIGTERM)
        msg = n.recv(20)
        check(msg == "STOPPING=1", "after SIGTERM: %r instead of STOPPING=1" % msg)
        # One SIGTERM, as systemd sends: a second one while it exits is not
        # what is tested here.
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            raise Fail("nvmf-target did not exit within 30 s of SIGTERM")
        check(p.returncode == 0, "nvmf-target exited with %s" % p.returncode)
        errf.seek(0)
        check("notify" not in errf.read(), "nvmf-target warned about notifying")
        log("ok: nvmf-target READY=1 then accepts on %d, STOPPING=1 (%s socket)"
            % (port, "abstract" if abstract else "path"))
    finally:
        kill(p)
        n.close()


def target_unit(a, tmp):
    """nvmf-target.service's command line, its /etc files the test's."""
    img = os.path.join(tmp, "u.img")
    with open(img, "wb") as f:
        f.truncate(16 * MiB)
    conf = os.path.join(tmp, "target.conf")
    with open(conf, "w") as f:
        f.write("subsystem %s\nnamespace %s\n" % (NQN_A, img))
    env = {"NVMF_TARGET_ARGS": "-a 127.0.0.1 -p 0 -P 0"}
    argv = exec_start(a.target_unit, a.target, "", env,
                      {"/etc/nvmf/target.conf": conf})
    n = Notify(tmp)
    errf = open(os.path.join(tmp, "unit.err"), "w+")
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errf, env=n.env())
    try:
        msg = n.recv(20)
        errf.seek(0)
        check(msg and msg.startswith("READY=1\nSTATUS=listening on 127.0.0.1:"),
              "nvmf-target as its unit runs it (%s): %r %s" % (argv, msg, errf.read()))
        port = int(re.search(r":(\d+) ", msg).group(1))
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        # systemctl reload: SIGHUP rereads the file, the target stays.
        p.send_signal(signal.SIGHUP)
        end = time.monotonic() + 10
        while True:
            errf.seek(0)
            err = errf.read()
            if "configuration reloaded from %s" % conf in err:
                break
            check(time.monotonic() < end and p.poll() is None,
                  "no reload within 10 s of SIGHUP (exit %s): %s" % (p.poll(), err))
            time.sleep(0.05)
        check(stop(p) == 0, "nvmf-target exited with %s" % p.returncode)
        log("ok: nvmf-target.service's command line (%s): READY=1, reload"
            % " ".join(argv[1:]))
    finally:
        kill(p)
        n.close()


def t_ready_target(a, tmp):
    ready_target_once(a, tmp, False)
    if LINUX:
        ready_target_once(a, tmp, True)
    if a.target_unit:
        target_unit(a, tmp)
    # A NOTIFY_SOCKET that cannot be used: said on stderr, the target serves anyway.
    img = os.path.join(tmp, "t.img")
    p, errf = start_target(a.target, tmp, dict(os.environ, NOTIFY_SOCKET="not/a/socket"),
                           ["-n", NQN_A, img])
    try:
        line = p.stdout.readline()
        check("listening on" in line, "with a bad NOTIFY_SOCKET: %r" % line)
        check(stop(p) == 0, "nvmf-target exited with %s" % p.returncode)
        errf.seek(0)
        err = errf.read()
        check("cannot notify the service manager (NOTIFY_SOCKET=not/a/socket)" in err,
              "no warning about the bad NOTIFY_SOCKET: %r" % err)
        log("ok: a bad NOTIFY_SOCKET is a warning: %s"
            % [x for x in err.splitlines() if "notify" in x][0])
    finally:
        kill(p)


# ---- nvmf-fuse ---------------------------------------------------------------------

def need_fuse():
    if not os.path.exists("/dev/fuse"):
        log("SKIP: no /dev/fuse")
        sys.exit(SKIP)
    if os.geteuid() != 0 and not shutil.which("fusermount3"):
        log("SKIP: not root and no fusermount3")
        sys.exit(SKIP)


def serve_and_check(cmd, env, n, mnt, img, name, timeout=60):
    """Run an nvmf-fuse -f command line; READY=1 must mean the mount serves."""
    errf = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd, env=env, stderr=errf, stdout=errf)
    try:
        msg = n.recv(timeout)
        if msg is None:
            errf.seek(0)
            raise Fail("nvmf-fuse sent no READY=1 within %d s (exit %s): %s"
                       % (timeout, p.poll(), errf.read().decode(errors="replace")))
        check(msg.startswith("READY=1\n"), "first notification %r is not READY=1" % msg)
        # At once, no retry: the mount is there and reads are served.
        check(not LINUX or is_mounted(mnt), "READY=1 came but %s is not mounted" % mnt)
        with open(os.path.join(mnt, "n1"), "rb") as f:
            got = f.read(MiB)
        with open(img, "rb") as f:
            want = f.read(MiB)
        check(got == want, "READY=1 came but n1's first MiB is not the backing file's")
        check(("on %s as %s" % (os.path.realpath(mnt), name)) in msg,
              "STATUS does not name the mount point and the name: %r" % msg)
        p.send_signal(signal.SIGTERM)
        msg = n.recv(30)
        check(msg == "STOPPING=1", "after SIGTERM: %r instead of STOPPING=1" % msg)
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            raise Fail("nvmf-fuse did not exit within 60 s of SIGTERM")
        errf.seek(0)
        check(rc == 0, "nvmf-fuse exited with %d: %s" % (rc, errf.read().decode()))
        check(not LINUX or not is_mounted(mnt), "%s still mounted after exit" % mnt)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if is_mounted(mnt):
            subprocess.run(["umount", "-l", mnt], capture_output=True)
    return msg


def t_ready_fuse(a, tmp):
    need_fuse()
    img = os.path.join(tmp, "f.img")
    write_random_file(img, 8 * MiB)
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt)
    rundir = os.path.join(tmp, "run")
    os.makedirs(rundir)
    t = Target(a.target, [img])
    n = Notify(tmp)
    try:
        env = n.env(NVMF_RUNTIME_DIR=rundir)
        cmd = [a.fuse, "-f", "--name", "svc", "--hostnqn", HOSTNQN, "--nr-io-queues", "1",
               mnt, t.uri()]
        serve_and_check(cmd, env, n, mnt, img, "svc")
        log("ok: nvmf-fuse READY=1 with the mount serving reads, STOPPING=1 on SIGTERM")
        # A start that fails (nothing listens on the port) tells no READY=1.
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = subprocess.run([a.fuse, "-f", mnt, "nvme+tcp://127.0.0.1:%d/%s" % (port, NQN_A),
                            "--connect-timeout", "3"], env=env, capture_output=True,
                           text=True, timeout=60)
        check(r.returncode != 0, "nvmf-fuse against a closed port exited 0")
        msg = n.recv(0.5)
        check(msg is None, "a failed nvmf-fuse sent %r" % msg)
        log("ok: a failed start sends nothing (exit %d: %s)"
            % (r.returncode, r.stderr.strip().splitlines()[-1]))
        # nvmfctl connect run by some service: the nvmf-fuse it starts is not that
        # service's main process and must not claim its readiness.
        if a.nvmfctl:
            cenv = dict(env, NVMF_FUSE=a.fuse)
            ctl(a, ["connect", t.uri(), "--name", "viactl", "-q", HOSTNQN, "-i", "1",
                    "-m", mnt], env=cenv)
            try:
                msg = n.recv(1)
            finally:
                ctl(a, ["disconnect", "viactl"], env=cenv)
            check(msg is None, "nvmf-fuse started by nvmfctl connect sent %r" % msg)
            log("ok: nvmf-fuse started by nvmfctl connect sends nothing")
    finally:
        n.close()
        t.stop()


# ---- nvmfctl autoconnect -----------------------------------------------------------

def systemd_escape(s):
    """systemd.unit(5)'s string escaping, for checking ours."""
    out = []
    for i, ch in enumerate(s.encode()):
        c = chr(ch)
        if c == "/":
            out.append("-")
        elif (c.isascii() and (c.isalnum() or c in ":_.")) and not (c == "." and i == 0):
            out.append(c)
        else:
            out.append("\\x%02x" % ch)
    return "".join(out)


def parse_env_file(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            k, _, v = line.partition("=")
            env[k] = v
    return env


def ctl(a, args, env=None, ok=True):
    r = subprocess.run([a.nvmfctl] + args, capture_output=True, text=True, timeout=120,
                       env=env or dict(os.environ))
    if ok and r.returncode != 0:
        raise Fail("nvmfctl %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout,
                                                   r.stderr))
    return r


def exec_start(unit, exe, name, env, paths=None):
    """A unit's ExecStart=, expanded as systemd does: %I the unescaped
    instance name, "$VAR" alone split at blanks (zero or more words), "${VAR}"
    one word; the installed program replaced by exe (the built one), and
    the paths of the paths dict by the test's."""
    line = None
    with open(unit) as f:
        for ln in f:
            if ln.startswith("ExecStart="):
                line = ln[len("ExecStart="):].strip()
    check(line, "%s has no ExecStart=" % unit)
    words = line.split()
    check(os.path.basename(words[0]) == os.path.basename(exe),
          "ExecStart= runs %s" % words[0])
    argv = [exe]
    for w in words[1:]:
        w = w.replace("%I", name)
        w = (paths or {}).get(w, w)
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", w)
        if m:
            argv += env.get(m.group(1), "").split()
            continue
        argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                           lambda mm: env.get(mm.group(1), ""), w))
    return argv


def unit_values(unit, key):
    """The words of every KEY= line of a unit file."""
    out = []
    with open(unit) as f:
        for ln in f:
            if ln.startswith(key + "="):
                out += ln[len(key) + 1:].split()
    return out


def restart_policy(a, tmp, name, port):
    """nvmf-fuse@.service restarts on failure: a configuration nvmf-fuse
    refuses (its usage exit status) must be one RestartPreventExitStatus=
    names, or the unit retries it forever; a target that is not there yet
    must not be, so that the mount comes once it is."""
    check(unit_values(a.unit, "Restart") == ["on-failure"],
          "%s: Restart= is %r" % (a.unit, unit_values(a.unit, "Restart")))
    prevent = unit_values(a.unit, "RestartPreventExitStatus")
    mnt = os.path.join(tmp, "mnt-policy")
    os.makedirs(mnt)
    base = {"NVMF_URI": "nvme+tcp://127.0.0.1:1/%s" % NQN_A, "NVMF_MOUNTPOINT": mnt}
    for what, more, refused in (("an unknown option", {"NVMF_FUSE_ARGS": "--io-queues 2"}, True),
                                ("a URI of another scheme", {"NVMF_URI": "nvme+rdma://x/" + NQN_A},
                                 True),
                                ("a mount option FUSE refuses (once connected)",
                                 {"NVMF_URI": "nvme+tcp://127.0.0.1:%d/%s" % (port, NQN_B),
                                  "NVMF_FUSE_ARGS": "-o no_such_fuse_option"}, True),
                                ("a secret file not there (yet)",
                                 {"NVMF_FUSE_ARGS": "--dhchap-secret-file " +
                                  os.path.join(tmp, "no-such-secret")}, False),
                                ("no target listening", {}, False)):
        e = dict(base, **more)
        argv = exec_start(a.unit, a.fuse, name, e)
        r = subprocess.run(argv, env=dict(os.environ, **e), capture_output=True, text=True,
                           timeout=60)
        check(r.returncode != 0, "%s: nvmf-fuse exited 0" % what)
        check(r.stderr.strip(), "%s: nvmf-fuse exited %d saying nothing" % (what, r.returncode))
        check((str(r.returncode) in prevent) == refused,
              "%s: nvmf-fuse exits %d, and RestartPreventExitStatus= is %r: systemd would %s"
              % (what, r.returncode, prevent, "retry it every RestartSec= for ever" if refused
                 else "give up on it"))
        log("ok: %s: exit %d, %s (%s)" % (what, r.returncode,
                                         "not restarted" if refused else "restarted",
                                         r.stderr.strip().splitlines()[0]))


def t_autoconnect(a, tmp):
    imgs = [os.path.join(tmp, "a.img"), os.path.join(tmp, "b.img")]
    for img in imgs:
        write_random_file(img, 4 * MiB)
    cfg = os.path.join(tmp, "target.conf")
    with open(cfg, "w") as f:
        f.write("subsystem %s\nnamespace %s\nsubsystem %s\nnamespace %s\n"
                % (NQN_A, imgs[0], NQN_B, imgs[1]))
    t = Target(a.target, [], config=cfg)
    inst = os.path.join(tmp, "inst")
    try:
        # --dry-run: the services and their files, nothing written.
        r = ctl(a, ["autoconnect", "--dry-run", "-a", "127.0.0.1", "-s", str(t.port),
                    "--instance-dir", inst, "-i", "1", "-g", "-l", "-1"])
        units = re.findall(r"^(nvmf-fuse@\S+\.service)$", r.stdout, re.M)
        check(len(units) == 2, "dry run: %d services, not 2:\n%s" % (len(units), r.stdout))
        check("autoconnect: 2 services would be started, 0 skipped, 0 failed" in r.stdout,
              "dry run summary:\n%s" % r.stdout)
        for nqn in (NQN_A, NQN_B):
            check("  NVMF_URI=nvme+tcp://127.0.0.1:%d/%s?ctrl_loss_tmo=-1\n" % (t.port, nqn)
                  in r.stdout, "dry run: no NVMF_URI for %s:\n%s" % (nqn, r.stdout))
        check(r.stdout.count("  NVMF_FUSE_ARGS=--nr-io-queues 1 --hdr-digest\n") == 2,
              "dry run: NVMF_FUSE_ARGS:\n%s" % r.stdout)
        check(not os.path.exists(inst), "--dry-run wrote %s" % inst)
        names = []
        for u in units:
            esc = u[len("nvmf-fuse@"):-len(".service")]
            name = esc.replace("\\x2d", "-")
            check(re.fullmatch(r"auto-[ab]-[0-9a-f]{8}", name), "instance name %r" % name)
            check(esc == systemd_escape(name), "%s is not systemd-escape(%s)" % (esc, name))
            if shutil.which("systemd-escape"):
                e = subprocess.run(["systemd-escape", name], capture_output=True, text=True)
                check(e.stdout.strip() == esc, "systemd-escape %s says %r, we %r"
                      % (name, e.stdout.strip(), esc))
                e = subprocess.run(["systemd-escape", "-u", esc], capture_output=True,
                                   text=True)
                check(e.stdout.strip() == name, "systemd-escape -u %s: %r" % (esc, e.stdout))
            names.append(name)
        log("ok: dry run: %s" % ", ".join(units))

        # From discovery.conf, as at boot: instance files, then one systemctl start.
        # A DH-HMAC-CHAP secret (OpenSSL builds) goes to the instance file, never
        # to a command line.
        g = ctl(a, ["gen-dhchap-key"], ok=False)
        secret = g.stdout.strip() if g.returncode == 0 else ""
        conf = os.path.join(tmp, "discovery.conf")
        with open(conf, "w") as f:
            f.write("# as nvme-cli's\n\n--transport=tcp --traddr=127.0.0.1 --trsvcid=%d "
                    "--hostnqn=%s --nr-io-queues=1%s\n"
                    % (t.port, HOSTNQN, " --dhchap-secret=" + secret if secret else ""))
        sysctl = os.path.join(tmp, "systemctl")
        argsf = os.path.join(tmp, "systemctl.args")
        with open(sysctl, "w") as f:
            f.write("#!/bin/sh\nfor x in \"$@\"; do printf '%%s\\n' \"$x\"; done > %s\n"
                    "[ -z \"$SYSTEMCTL_SLEEP\" ] || exec sleep $SYSTEMCTL_SLEEP\n"
                    "exit ${SYSTEMCTL_RC:-0}\n" % argsf)
        os.chmod(sysctl, 0o755)
        env = dict(os.environ, NVMF_DISCOVERY_CONF=conf, NVMF_SYSTEMCTL=sysctl)
        env.pop("NVMF_DHCHAP_SECRET", None)
        r = ctl(a, ["autoconnect", "--instance-dir", inst], env=env)
        check("autoconnect: 2 services started, 0 skipped, 0 failed" in r.stdout,
              "summary:\n%s%s" % (r.stdout, r.stderr))
        with open(argsf) as f:
            called = f.read().split("\n")[:-1]
        check(called[:2] == ["start", "--"] and sorted(called[2:]) == sorted(units),
              "systemctl was run with %r, not start -- %s" % (called, units))
        st = os.stat(inst)
        check(stat.S_IMODE(st.st_mode) == 0o700, "instance dir mode %o" % st.st_mode)
        files = sorted(os.listdir(inst))
        check(files == sorted(n + ".conf" for n in names),
              "instance files %r for names %r" % (files, names))
        for name in names:
            path = os.path.join(inst, name + ".conf")
            check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, "%s is not mode 0600" % path)
            e = parse_env_file(path)
            check(e.get("NVMF_FUSE_ARGS") == "--hostnqn %s --nr-io-queues 1" % HOSTNQN,
                  "%s: NVMF_FUSE_ARGS %r" % (path, e.get("NVMF_FUSE_ARGS")))
            check(e.get("NVMF_DHCHAP_SECRET", "") == secret,
                  "%s: NVMF_DHCHAP_SECRET %r, not the secret given" % (path, e))
        log("ok: discovery.conf: %s written (0600), systemctl %s" % (files, " ".join(called)))

        # Names are stable from one run to the next; a failing systemctl is a failure.
        env["SYSTEMCTL_RC"] = "1"
        r = ctl(a, ["autoconnect", "--instance-dir", inst], env=env, ok=False)
        check(r.returncode == 1 and "start failed (status 1)" in r.stderr and
              "not all started" in r.stdout, "systemctl failing: exit %d\n%s%s"
              % (r.returncode, r.stdout, r.stderr))
        check(sorted(os.listdir(inst)) == files, "the names changed: %r" % os.listdir(inst))
        log("ok: same names on a second run; systemctl failing -> %s"
            % r.stderr.strip().splitlines()[-1])
        # A systemctl still waiting (a service retrying its connection) is given
        # --timeout seconds; --timeout 0 does not wait at all (--no-block).
        del env["SYSTEMCTL_RC"]
        env["SYSTEMCTL_SLEEP"] = "30"
        t0 = time.monotonic()
        r = ctl(a, ["autoconnect", "--instance-dir", inst, "--timeout", "1"], env=env,
                ok=False)
        took = time.monotonic() - t0
        check(r.returncode == 1 and "have not all started after 1 s" in r.stderr and
              took < 15, "--timeout 1: exit %d after %.1f s\n%s%s"
              % (r.returncode, took, r.stdout, r.stderr))
        del env["SYSTEMCTL_SLEEP"]
        r = ctl(a, ["autoconnect", "--instance-dir", inst, "--timeout", "0"], env=env)
        with open(argsf) as f:
            called = f.read().split("\n")[:-1]
        check(called[:3] == ["start", "--no-block", "--"] and
              "2 services queued to start" in r.stdout,
              "--timeout 0: systemctl %r\n%s" % (called, r.stdout))
        log("ok: --timeout 1 ends a waiting systemctl after %.1f s; --timeout 0: %s"
            % (took, " ".join(called[:3])))
        r = ctl(a, ["autoconnect", "--dry-run", "-D", "-a", "127.0.0.1"], ok=False)
        check(r.returncode == 2 and "does not apply to autoconnect" in r.stderr,
              "-D: exit %d %s" % (r.returncode, r.stderr))
        # An NQN that an instance file cannot carry as it is ('$' could be read
        # as a variable): percent-encoded in NVMF_URI.
        odd = os.path.join(tmp, "odd.conf")
        with open(odd, "w") as f:
            f.write("subsystem nqn.2026-11.org.libnvmf:odd$name\nnamespace %s\n" % imgs[0])
        t2 = Target(a.target, [], config=odd)
        try:
            r = ctl(a, ["autoconnect", "--dry-run", "-a", "127.0.0.1", "-s", str(t2.port)])
        finally:
            t2.stop()
        want = "  NVMF_URI=nvme+tcp://127.0.0.1:%d/nqn.2026-11.org.libnvmf:odd%%24name\n" % t2.port
        check(want in r.stdout and re.search(r"^nvmf-fuse@odd_name\\x2d[0-9a-f]{8}\.service$",
                                             r.stdout, re.M),
              "NQN with '$':\n%s%s" % (r.stdout, r.stderr))
        log("ok: an NQN with '$': %s" % " ".join(r.stdout.split()[:2]))

        # One instance as its unit would run it: READY=1 and the subsystem's data.
        if not a.unit or not a.fuse:
            log("note: no --unit/--fuse: the instance was not run")
            return
        restart_policy(a, tmp, names[0], t.port)
        if not os.path.exists("/dev/fuse") or os.geteuid() != 0:
            log("note: no /dev/fuse or not root: the instance was not run")
            return
        name = [x for x in names if x.startswith("auto-b-")][0]
        e = parse_env_file(os.path.join(inst, name + ".conf"))
        e.pop("NVMF_DHCHAP_SECRET", None)  # nvmf-target here has no secret for this host
        mnt = os.path.join(tmp, "mnt")
        os.makedirs(mnt)
        e["NVMF_MOUNTPOINT"] = mnt
        argv = exec_start(a.unit, a.fuse, name, e)
        rundir = os.path.join(tmp, "run")
        os.makedirs(rundir)
        n = Notify(tmp)
        try:
            fenv = n.env(NVMF_RUNTIME_DIR=rundir, **e)
            serve_and_check(argv, fenv, n, mnt, imgs[1], name)
        finally:
            n.close()
        log("ok: %s's instance as ExecStart= runs it (%s): READY=1, %s's data served"
            % (name, " ".join(argv[1:]), NQN_B))
    finally:
        t.stop()


TESTS = {"ready_target": t_ready_target, "ready_fuse": t_ready_fuse,
         "autoconnect": t_autoconnect}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--target", required=True)
    ap.add_argument("--fuse", default="")
    ap.add_argument("--nvmfctl", default="")
    ap.add_argument("--unit", default="")
    ap.add_argument("--target-unit", default="")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="nvmf-systemd-test-")
    try:
        TESTS[a.test](a, tmp)
    except Fail as e:
        log("FAIL: %s" % e)
        return 1
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", tmp], capture_output=True)
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
