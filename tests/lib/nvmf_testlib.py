"""What the Python test harnesses share (tests/fuse/fuse_env.py, tests/nvmfctl/ctl_env.py).

Standard library only. The harnesses re-export these names, so a test
imports them from its own harness as before.
"""

import os
import random
import re
import socket
import subprocess
import sys
import time


class Fail(Exception):
    """A test's check failed; the harness reports the message."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def log(msg):
    print(msg, flush=True)


def free_port(addr="127.0.0.1"):
    """A port free now on addr, from 20000 to below the kernel's ephemeral range, for a server
    restarted later on the same port: while it is down, no other process's
    bind(0) or outgoing connection is given that port (one inside
    ip_local_port_range could be, and the restart would fail). As
    tests/interop/nvmet_support.py free_port(); 0 (the server chooses) when the
    range leaves no room below it. Another test may still take it before the
    server binds it: a caller starting a server on it tries another port when
    that one is in use."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    rng = random.SystemRandom()
    # From 20000: 10000-19999 are the QEMU guests' forwarded ports
    # (nvmet_support.free_port()), kept across a guest's restart.
    for _ in range(50 if low > 22000 else 0):
        port = rng.randrange(20000, low)
        with socket.socket(fam) as s:
            try:
                s.bind((addr, port))
            except OSError:
                continue
            return port
    return 0


def wait_gone(pid, timeout):
    """Wait until pid no longer runs: gone, reaped (our child) or a zombie (not ours)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            # Not our child: a zombie waits for a parent that is not us.
            if is_zombie(pid):
                return True
        time.sleep(0.05)
    return False


def is_zombie(pid):
    """Has pid ended, waiting to be reaped (Z, or X on its way out)? /proc on Linux,
    ps(1) elsewhere (FreeBSD has no /proc by default). False when it cannot tell."""
    if os.path.exists("/proc/self/stat"):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
        except (OSError, IndexError):
            return False
    try:
        out = subprocess.run(["ps", "-o", "state=", "-p", str(pid)], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return False
    return out[:1] in ("Z", "X")


LINUX = sys.platform.startswith("linux")


def is_mounted(path):
    """From the mount table: Linux's /proc/self/mounts, else mount -p (FreeBSD)."""
    path = os.path.realpath(path)
    try:
        if LINUX:
            with open("/proc/self/mounts") as f:
                return any(line.split()[1] == path for line in f)
        out = subprocess.run(["mount", "-p"], capture_output=True, text=True,
                             timeout=30).stdout
        return any(len(ln.split()) > 1 and ln.split()[1] == path for ln in out.splitlines())
    except (OSError, subprocess.SubprocessError):
        return False


def unmount(path, force=False):
    """Unmount a FUSE mount; force: even a dead or busy one (lazily on Linux)."""
    if LINUX:
        subprocess.run(["fusermount3", "-u"] + (["-z"] if force else []) + [path],
                       capture_output=True, timeout=60)
        if force and is_mounted(path):
            subprocess.run(["umount", "-l", path], capture_output=True, timeout=60)
    else:  # FreeBSD: fusefs-libs3 has no fusermount3; umount -f for a dead one
        subprocess.run(["umount"] + (["-f"] if force else []) + [path],
                       capture_output=True, timeout=60)


def rm_tree(path):
    """rm -rf that does not cross into a file system still mounted below path."""
    subprocess.run(["rm", "-rf", "--one-file-system" if LINUX else "-x", path],
                   capture_output=True, timeout=120)


class Fake:
    """nvmf-fake-ctrl (tests/fake) playing one misbehaviour; ends when its stdin closes."""

    def __init__(self, exe, scenario, env=None):
        self.proc = subprocess.Popen([exe, "--scenario", scenario, "--stdin-eof"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env=env)
        line = self.proc.stdout.readline()
        m = re.match(r"port (\d+)", line)
        if not m:
            self.stop()
            raise Fail("nvmf-fake-ctrl %s did not start: %r" % (scenario, line))
        self.port = int(m.group(1))

    def uri(self, nqn):
        return "nvme+tcp://127.0.0.1:%d/%s" % (self.port, nqn)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(10)
            except (subprocess.TimeoutExpired, OSError):
                self.proc.kill()
                self.proc.wait()
