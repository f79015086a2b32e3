"""Helpers of the nvmfctl CLI tests: run the real binary, targets, fakes, clean-up.

Every test gets a private temporary directory; NVMF_RUNTIME_DIR points nvmf-fuse's
state records there, NVMF_DISCOVERY_CONF the discovery.conf nvmfctl reads, and
sanitizer reports of every process started (nvmf-fuse daemons detach their stderr)
land there too and fail the test. Everything started is stopped, even on failure.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nvmf_testlib import (Fail, Fake, check, is_mounted, log, rm_tree, unmount,  # noqa: E402,F401
                          wait_gone)

SKIP = 77
NQN = "nqn.2026-11.org.libnvmf:ctl-test"
NQN2 = "nqn.2026-11.org.libnvmf:ctl-test-2"
HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:6a1e7c52-3b9d-4e0f-8c21-7d4b5a6e9f10"
OTHER_HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-1111-2222-3333-444444444444"
MiB = 1 << 20


def free_port():
    """A loopback port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fuse_usable():
    return os.path.exists("/dev/fuse") and (os.geteuid() == 0 or any(
        os.access(os.path.join(d, "fusermount3"), os.X_OK)
        for d in os.environ.get("PATH", "/usr/bin:/bin").split(":")))


class Target:
    """nvmf-target on a free loopback port (I/O and discovery on the same port)."""

    def __init__(self, exe, backing=(), nqn=NQN, lba=512, hosts=(), config=None, env=None,
                 addr="127.0.0.1"):
        args = [exe, "-a", addr, "-p", "0", "-P", "0", "-b", str(lba)]
        if config:
            args += ["-c", config]
        else:
            args += ["-n", nqn]
        for h in hosts:
            args += ["-H", h]
        args += list(backing)
        self.errf = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.errf, text=True,
                                     env=env)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on \[?([0-9a-fA-F.:]+?)\]?:(\d+) ", line)
        if not m:
            self.kill()
            self.errf.seek(0)
            raise Fail("nvmf-target did not start: %r %s" % (line, self.errf.read().decode()))
        self.addr, self.port = m.group(1), int(m.group(2))
        self.nqn = nqn

    def host(self):
        return "[%s]" % self.addr if ":" in self.addr else self.addr

    def uri(self, nqn=None, nsid=None):
        u = "nvme+tcp://%s:%d/%s" % (self.host(), self.port, nqn or self.nqn)
        return u + ("/%d" % nsid if nsid else "")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise Fail("nvmfctl %s: output is not JSON (%s):\n%s"
                       % (" ".join(self.args), e, self.out))

    def err_lines(self):
        return [ln for ln in self.err.splitlines() if ln.strip()]


class Env:
    def __init__(self, a):
        self.ctl_exe, self.target_exe = a.nvmfctl, a.target
        self.fake_exe, self.fuse_exe = a.fake, a.fuse
        self.tmp = tempfile.mkdtemp(prefix="nvmfctl-test-")
        self.rundir = os.path.join(self.tmp, "run")
        os.makedirs(self.rundir)
        self.conf = os.path.join(self.tmp, "discovery.conf")
        self.sanlog = os.path.join(self.tmp, "sanitizer")
        self.targets, self.fakes = [], []
        self.env = dict(os.environ, NVMF_RUNTIME_DIR=self.rundir,
                        NVMF_DISCOVERY_CONF=self.conf, TMPDIR=self.tmp)
        self.env.pop("LIBNVMF_DEBUG", None)
        if self.fuse_exe:
            self.env["NVMF_FUSE"] = self.fuse_exe
        # Targets and fakes keep their own sanitizer output: only nvmfctl and the
        # nvmf-fuse servers it starts are judged here.
        self.peer_env = dict(self.env)
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            old = self.env.get(var, "")
            self.env[var] = (old + ":" if old else "") + "log_path=" + self.sanlog

    def path(self, name):
        return os.path.join(self.tmp, name)

    def ctl(self, *args, rc=0, timeout=120, env=None):
        """Run nvmfctl; rc=None accepts any exit status."""
        args = [str(a) for a in args]
        try:
            p = subprocess.run([self.ctl_exe] + args, capture_output=True, text=True,
                               timeout=timeout, env=env or self.env)
        except subprocess.TimeoutExpired:
            raise Fail("nvmfctl %s did not finish within %d s" % (" ".join(args), timeout))
        r = Result(args, p.returncode, p.stdout, p.stderr)
        if rc is not None and r.rc != rc:
            raise Fail("nvmfctl %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s"
                       % (" ".join(args), r.rc, rc, r.out, r.err))
        return r

    def fails(self, *args, rc=1, want=(), cmd=None, usage=False, timeout=120):
        """A failure: exit rc, one error line "nvmfctl: CMD: ..." holding every word
        of want (plus the "Try ..." line for usage errors), nothing on stdout."""
        r = self.ctl(*args, rc=rc, timeout=timeout)
        lines = r.err_lines()
        check(len(lines) == (2 if usage else 1),
              "nvmfctl %s: expected %s error line(s), got:\n%s"
              % (" ".join(r.args), 2 if usage else 1, r.err))
        prefix = "nvmfctl: %s: " % cmd if cmd else "nvmfctl: "
        check(lines[0].startswith(prefix), "error line %r does not start with %r"
              % (lines[0], prefix))
        for w in want:
            check(w in lines[0], "error line %r does not say %r" % (lines[0], w))
        if usage:
            check(lines[1].startswith("Try 'nvmfctl"), "no hint line: %r" % lines[1])
        return lines[0]

    def target(self, backing=("ram:16M",), **kw):
        t = Target(self.target_exe, backing, env=self.peer_env, **kw)
        self.targets.append(t)
        return t

    def fake(self, scenario):
        f = Fake(self.fake_exe, scenario, env=self.peer_env)
        self.fakes.append(f)
        return f

    def records(self):
        return sorted(n for n in os.listdir(self.rundir) if n.endswith(".json"))

    def sanitizer_reports(self):
        out = []
        for n in sorted(os.listdir(self.tmp)):
            if n.startswith("sanitizer"):
                with open(os.path.join(self.tmp, n), errors="replace") as f:
                    out.append(f.read())
        return out

    def cleanup_connections(self):
        """Kill whatever nvmf-fuse servers the test left and lift their mounts."""
        for n in self.records():
            try:
                with open(os.path.join(self.rundir, n)) as f:
                    rec = json.load(f)
            except (OSError, ValueError):
                continue
            if not isinstance(rec, dict):   # a corrupt record (a test's) names none
                continue
            pid = rec.get("pid", 0)
            if pid > 0:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                wait_gone(pid, 10)
            mp = rec.get("mountpoint")
            if mp and is_mounted(mp):
                unmount(mp, force=True)

    def close(self):
        self.cleanup_connections()
        for f in self.fakes:
            f.stop()
        for t in self.targets:
            t.kill()
        rm_tree(self.tmp)


def main(tests):
    """cli_tests.py TEST --nvmfctl EXE [--target EXE] [--fake EXE] [--fuse EXE]"""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(tests))
    ap.add_argument("--nvmfctl", required=True)
    ap.add_argument("--target", default="")
    ap.add_argument("--fake", default="")
    ap.add_argument("--fuse", default="")
    a = ap.parse_args()
    env = Env(a)
    try:
        tests[a.test](env)
        env.cleanup_connections()
        reports = env.sanitizer_reports()
        if reports:
            raise Fail("sanitizer reports:\n" + "\n".join(reports))
    except Fail as e:
        log("FAIL: %s" % e)
        for r in env.sanitizer_reports():
            log(r)
        return 1
    except SkipTest as e:
        log("SKIP: %s" % e)
        return SKIP
    finally:
        env.close()
    log("PASS")
    return 0


class SkipTest(Exception):
    pass


if __name__ == "__main__":
    sys.exit("this module is imported by cli_tests.py")
