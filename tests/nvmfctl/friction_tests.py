#!/usr/bin/env python3
"""What a new user tripped over (issue 17, item 6): the tools' error lines for a peer
that is not NVMe/TCP, a wrong subsystem NQN, a discovery-only port, bad URIs, swapped
arguments, a missing mount point, and a second nvmf-fuse on a mounted directory.

Run one: friction_tests.py TEST --nvmfctl EXE [--target EXE] [--fuse EXE].
Exit 0 pass, 1 fail, 77 skip (no FUSE for the mount test).
"""
import os
import re
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_env import (HOSTNQN, NQN, OTHER_HOSTNQN, Fail, SkipTest, check, free_port,  # noqa: E402
                     fuse_usable, main)


def fuse(env, *args, timeout=60):
    """nvmf-fuse with the tests' environment; (rc, stdout, stderr lines)."""
    args = [str(a) for a in args]
    try:
        p = subprocess.run([env.fuse_exe] + args, capture_output=True, text=True,
                           timeout=timeout, env=env.env)
    except subprocess.TimeoutExpired:
        raise Fail("nvmf-fuse %s did not finish within %d s" % (" ".join(args), timeout))
    return p.returncode, p.stdout, [ln for ln in p.stderr.splitlines() if ln.strip()]


def fuse_fails(env, *args, rc=1, want=()):
    """nvmf-fuse fails with exit rc and one error line holding every word of want."""
    code, _, lines = fuse(env, *args)
    check(code == rc, "nvmf-fuse %s: exit %d, expected %d: %s" % (args, code, rc, lines))
    check(len(lines) == 1, "nvmf-fuse %s: expected one error line, got %s" % (args, lines))
    check(lines[0].startswith("nvmf-fuse: "), "error line %r" % lines[0])
    for w in want:
        check(w in lines[0], "error line %r does not say %r" % (lines[0], w))
    return lines[0]


class HttpPeer:
    """A tiny web server on a free loopback port: every connection gets a 400 answer
    to whatever it sent first (the ICReq), then is closed."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop_ev = threading.Event()
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        while not self.stop_ev.is_set():
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            c.settimeout(5)
            try:
                # The whole ICReq (128 bytes) first: closing with unread bytes
                # would reset the connection before the answer is read.
                got = b""
                while len(got) < 128:
                    b = c.recv(4096)
                    if not b:
                        break
                    got += b
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                          b"Connection: close\r\n\r\n")
            except OSError:
                pass
            c.close()

    def stop(self):
        self.stop_ev.set()
        self.th.join(5)
        self.sock.close()


def t_not_nvme(env):
    """A peer that answers ICReq with HTTP: said to be no NVMe/TCP target, its first
    bytes quoted."""
    h = HttpPeer()
    try:
        uri = "nvme+tcp://127.0.0.1:%d/%s" % (h.port, NQN)
        want = ["not an NVMe/TCP target", "does not speak NVMe/TCP", '"HTTP/1.1"']
        env.fails("id-ctrl", uri, "--connect-timeout", 5, cmd="id-ctrl",
                  want=want + ["-s/--trsvcid"])
        env.fails("discover", "-a", "127.0.0.1", "-s", h.port, "--connect-timeout", 5,
                  cmd="discover", want=want)
        if env.fuse_exe:
            mp = env.path("mnt")
            os.makedirs(mp, exist_ok=True)
            fuse_fails(env, mp, uri, "--connect-timeout", 5,
                       want=want + ["cannot connect to " + uri, "the URI's port"])
    finally:
        h.stop()


def usage_line(env, *args, want=()):
    """nvmfctl's usage error: exit 2, one error line (then the "Try" line)."""
    return env.fails(*args, rc=2, usage=True, cmd=args[0], want=want)


def t_uri_errors(env):
    """A bad URI: one error line naming it once, whole (or cut with "..."), and what
    is wrong with it."""
    long_uri = "http://127.0.0.1:4420/nqn.2026-12.org.example:" + "y" * 60
    for args in (["connect", long_uri], ["id-ctrl", long_uri], ["discover", long_uri]):
        ln = usage_line(env, *args, want=["URI '%s'" % long_uri, "does not start with "
                                          "\"nvme+tcp://\"", "scheme is \"http\""])
        check(ln.count("http://") == 1, "URI printed more than once: %r" % ln)
    bad = "nvme+tcp://127.0.0.1:/" + NQN
    usage_line(env, "connect", bad, want=["URI '%s': port is empty" % bad])
    # A long query value is cut, and says so.
    q = "nvme+tcp://127.0.0.1/%s?ctrl_loss_tmo=%s" % (NQN, "9x" * 30)
    usage_line(env, "connect", q, want=["query: ctrl_loss_tmo=" + "9x" * 16 + "...: not"])
    if env.fuse_exe:
        mp = env.path("mnt")
        os.makedirs(mp, exist_ok=True)
        ln = fuse_fails(env, mp, long_uri, rc=2,
                        want=["URI '%s'" % long_uri, "does not start with"])
        check(ln.count("http://") == 1, "URI printed more than once: %r" % ln)
        fuse_fails(env, mp, bad, rc=2, want=["URI '%s': port is empty" % bad])


def t_swapped_args(env):
    """nvmf-fuse URI MOUNTPOINT, nvmfctl connect MOUNTPOINT URI: the order is said."""
    uri = "nvme+tcp://127.0.0.1:%d/%s" % (free_port(), NQN)
    mp = env.path("mnt")
    os.makedirs(mp, exist_ok=True)
    usage_line(env, "connect", mp, uri, want=["unexpected argument '%s'" % mp,
                                              "-m/--mountpoint DIR"])
    if env.fuse_exe:
        fuse_fails(env, uri, mp, rc=2, want=["the mount point comes first",
                                             "MOUNTPOINT URI"])


class SplitTarget:
    """nvmf-target with its discovery controller on a port of its own."""

    def __init__(self, env, hosts=()):
        self.dport = free_port()
        args = [env.target_exe, "-a", "127.0.0.1", "-p", "0", "-P", str(self.dport),
                "-n", NQN]
        for h in hosts:
            args += ["-H", h]
        self.proc = subprocess.Popen(args + ["ram:4M"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env=env.peer_env)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+) \(discovery 127\.0\.0\.1:(\d+)\)",
                      line)
        if not m or int(m.group(2)) != self.dport:
            self.stop()
            raise Fail("nvmf-target did not start: %r" % line)
        self.port = int(m.group(1))

    def uri(self, port, nqn=NQN):
        return "nvme+tcp://127.0.0.1:%d/%s" % (port, nqn)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)


def t_wrong_nqn(env):
    """An NQN the target does not serve, an I/O NQN at the discovery-only port, the
    wrong host: said in words, the raw status kept, in both tools."""
    if not env.target_exe:
        raise SkipTest("no nvmf-target")
    t = SplitTarget(env, hosts=[HOSTNQN])
    try:
        nope = NQN + ":nope"
        env.fails("id-ctrl", t.uri(t.port, nope), "--hostnqn", HOSTNQN, cmd="id-ctrl",
                  want=["Connect rejected: the target has no subsystem %s at this port" % nope,
                        "discovery log lists " + NQN, "Connect Invalid Parameters",
                        "SC 82h", "offset 256 of the Connect data"])
        disc = ["the target has no subsystem %s at this port" % NQN,
                "port %d is a discovery port: the target serves %s at port %d"
                % (t.dport, NQN, t.port), "SC 82h"]
        env.fails("id-ctrl", t.uri(t.dport), "--hostnqn", HOSTNQN, cmd="id-ctrl", want=disc)
        if not env.fuse_exe:
            return
        # nvmfctl connect words nvmf-fuse's failure as its own, with its letters.
        env.fails("connect", t.uri(t.dport), "-q", HOSTNQN, cmd="connect", want=disc)
        env.fails("connect", t.uri(t.port), "-q", OTHER_HOSTNQN, cmd="connect",
                  want=["Connect Invalid Host", "-q/--hostnqn"])
        # nvmf-fuse alone: the same hints, its own option names.
        mp = env.path("mnt")
        os.makedirs(mp, exist_ok=True)
        fuse_fails(env, mp, t.uri(t.dport), "--hostnqn", HOSTNQN,
                   want=disc + ["cannot connect to " + t.uri(t.dport)])
        fuse_fails(env, mp, t.uri(t.port), "--hostnqn", OTHER_HOSTNQN,
                   want=["Connect rejected: Connect Invalid Host", "SC 84h",
                         "allows this host NQN (--hostnqn"])
        fuse_fails(env, mp, "nvme+tcp://127.0.0.1:%d/%s" % (free_port(), NQN),
                   want=["connection refused", "the URI's address and port"])
    finally:
        t.stop()


def t_missing_mountpoint(env):
    """nvmfctl connect -m /no/such/dir: the mount point is named, before any connection
    (nothing listens at the URI's port)."""
    uri = "nvme+tcp://127.0.0.1:%d/%s" % (free_port(), NQN)
    missing = env.path("no/such/dir")
    ln = usage_line(env, "connect", uri, "-m", missing,
                    want=["-m/--mountpoint " + missing, "No such file or directory"])
    check("refused" not in ln and "cannot connect" not in ln, "a connection was tried: %r" % ln)
    f = env.path("file")
    open(f, "w").close()
    usage_line(env, "connect", uri, "-m", f, want=["-m/--mountpoint %s is not a directory" % f])


def t_double_mount(env):
    """A second nvmf-fuse on a mount point in use fails with a clear message (nvmf-fuse
    alone and through nvmfctl connect -D); the first mount keeps serving."""
    if not env.target_exe or not env.fuse_exe:
        raise SkipTest("no nvmf-target or nvmf-fuse")
    if not fuse_usable():
        raise SkipTest("no /dev/fuse, or neither root nor fusermount3")
    t = env.target(backing=("ram:4M",))
    mp = env.path("mnt")
    os.makedirs(mp)
    code, _, lines = fuse(env, mp, t.uri())
    check(code == 0, "first nvmf-fuse: exit %d: %s" % (code, lines))
    n1 = os.path.join(mp, "n1")
    data = os.urandom(4096)
    with open(n1, "r+b") as f:
        f.write(data)
    want = ["mountpoint %s is already a mount point" % os.path.realpath(mp),
            "unmount it first"]
    fuse_fails(env, mp, t.uri(), want=want)
    env.fails("connect", t.uri(), "-D", "-m", mp, cmd="connect", want=want)
    with open(n1, "rb") as f:
        check(f.read(4096) == data, "the first mount no longer serves n1")
    check(len([r for r in env.records()]) == 1, "records: %s" % env.records())
    env.ctl("disconnect", mp)


TESTS = {"friction_uri_errors": t_uri_errors, "friction_swapped_args": t_swapped_args,
         "friction_missing_mountpoint": t_missing_mountpoint, "friction_not_nvme": t_not_nvme,
         "friction_wrong_nqn": t_wrong_nqn, "friction_double_mount": t_double_mount}

if __name__ == "__main__":
    sys.exit(main(TESTS))
