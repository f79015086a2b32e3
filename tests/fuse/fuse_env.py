"""Helpers of the nvmf-fuse integration tests: targets, mounts, clean-up.

Every test gets a private temporary directory (backing files, mount points,
runtime directory through NVMF_RUNTIME_DIR) and undoes whatever it set up,
mounts and loop devices included, even when it fails.
"""
import ctypes
import errno
import ctypes.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nvmf_testlib import Fail, check, free_port, is_mounted, log, rm_tree, unmount, wait_gone  # noqa: E402,F401
from nvmf_testlib import LINUX  # noqa: E402
from nvmf_testlib import Fake as _Fake  # noqa: E402

SKIP = 77
NQN = "nqn.2026-11.org.libnvmf:fuse-test"
HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:5f3c1e2a-9b7d-4c6e-8a1f-0d2b3c4e5f60"

FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
FALLOC_FL_ZERO_RANGE = 0x10

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
# Linux only (FreeBSD's libc has no fallocate): looked up here, not at import,
# so that every other test of this harness runs there.
_fallocate = getattr(_libc, "fallocate", None)
if _fallocate is not None:
    _fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]


def have_fallocate():
    return _fallocate is not None


def fallocate(fd, mode, off, length):
    if _fallocate is None:
        raise OSError(errno.ENOSYS, "fallocate(2) is Linux's")
    if _fallocate(fd, mode, off, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def need_fuse():
    if not os.path.exists("/dev/fuse"):
        log("SKIP: no /dev/fuse")
        sys.exit(SKIP)
    if os.geteuid() != 0 and not shutil_which("fusermount3"):
        log("SKIP: not root and no fusermount3")
        sys.exit(SKIP)


def need_root(what):
    if os.geteuid() != 0:
        log("SKIP: %s needs root" % what)
        sys.exit(SKIP)


def shutil_which(name):
    for d in os.environ.get("PATH", "/usr/bin:/bin").split(":") + ["/sbin", "/usr/sbin"]:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return None


def write_random_file(path, size, seed=None):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n


class Target:
    """nvmf-target on a free loopback port serving backing files."""

    def __init__(self, exe, backing, lba=512, config=None, extra=(), port=0):
        self.exe = exe
        self.lba, self.config, self.extra = lba, config, extra
        # No port given: one below the ephemeral range (free_port), which no other
        # test's bind(0) or connection can take while restart() has this one down;
        # another one if some test took it before this target bound it.
        for attempt in range(10):
            try:
                self._start(backing, port or free_port())
                return
            except Fail as e:
                if port or attempt == 9 or "address already in use" not in str(e):
                    raise

    def _start(self, backing, port):
        exe, lba, config, extra = self.exe, self.lba, self.config, self.extra
        args = [exe, "-a", "127.0.0.1", "-p", str(port), "-P", "0", "-b", str(lba)]
        if config:
            args += ["-c", config]
        else:
            args += ["-n", NQN]
        args += list(extra) + list(backing)
        self.errf = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.errf,
                                     text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on ([0-9.]+):(\d+)", line)
        if not m:
            self.proc.kill()
            self.proc.wait()
            self.errf.seek(0)
            raise Fail("nvmf-target did not start: %r %s" % (line, self.errf.read().decode()))
        self.addr, self.port = m.group(1), int(m.group(2))

    def uri(self, nsid=None, nqn=NQN):
        u = "nvme+tcp://%s:%d/%s" % (self.addr, self.port, nqn)
        return u + ("/%d" % nsid if nsid else "")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self, backing, lba=None):
        """A new nvmf-target on the same port (this one killed first if still running),
        as a target restarted after a crash: same subsystem, these backing files."""
        self.kill()
        end = time.monotonic() + 10
        while True:  # the port may linger a moment
            try:
                new = Target(self.exe, backing, lba=lba or self.lba, config=self.config,
                             extra=self.extra, port=self.port)
                break
            except Fail:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
        self.proc, self.errf = new.proc, new.errf


class Fake(_Fake):
    """nvmf-fake-ctrl (tests/lib/nvmf_testlib.py) whose URI names this harness's NQN;
    extra: more of its options (--lbads 20, --mdts 0...)."""

    def __init__(self, exe, scenario, extra=()):
        if not extra:
            super().__init__(exe, scenario)
            return
        self.proc = subprocess.Popen([exe, "--scenario", scenario, "--stdin-eof"] + list(extra),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"port (\d+)", line)
        if not m:
            self.stop()
            raise Fail("nvmf-fake-ctrl %s %s did not start: %r" % (scenario, extra, line))
        self.port = int(m.group(1))

    def uri(self, nqn=NQN):
        return super().uri(nqn)


class Mount:
    """One nvmf-fuse server; daemon mode unless foreground=True."""

    def __init__(self, exe, uri, mnt, rundir, args=(), foreground=False, name=None,
                 expect_fail=False):
        self.mnt, self.rundir = mnt, rundir
        self.pidfile = os.path.join(rundir, "..", "fuse-%d.pid" % id(self))
        self.pidfile = os.path.realpath(self.pidfile)
        env = dict(os.environ, NVMF_RUNTIME_DIR=rundir)
        cmd = [exe]
        if mnt:
            cmd.append(mnt)
        cmd.append(uri)
        cmd += ["-P", self.pidfile, "--hostnqn", HOSTNQN, "--nr-io-queues", "2"]
        if name:
            cmd += ["--name", name]
        cmd += list(args)
        self.proc = None
        self.pid = None
        if foreground:
            self.errf = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(cmd + ["-f"], env=env, stderr=self.errf)
            end = time.monotonic() + 30
            while not os.path.exists(self.pidfile):
                if self.proc.poll() is not None or time.monotonic() > end:
                    self.errf.seek(0)
                    raise Fail("nvmf-fuse -f did not start: %s" % self.errf.read().decode(errors="replace"))
                time.sleep(0.05)
            self.pid = self.proc.pid
            return
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        self.rc, self.stderr = r.returncode, r.stderr
        if expect_fail:
            return
        if r.returncode != 0:
            raise Fail("nvmf-fuse failed (%d): %s" % (r.returncode, r.stderr))
        with open(self.pidfile) as f:
            self.pid = int(f.read())

    def file(self, nsid=1):
        return os.path.join(self.mnt, "n%d" % nsid)

    def stderr_text(self):
        """What a foreground server wrote on stderr so far."""
        self.errf.seek(0)
        return self.errf.read().decode(errors="replace")

    def record(self, name="nvmf0"):
        with open(os.path.join(self.rundir, name + ".json")) as f:
            return json.load(f)

    def stop(self, how="umount", timeout=60):
        """Unmount (fusermount3 -u; umount on FreeBSD) or signal; returns the exit status
        when known."""
        if self.pid is None:
            return None
        if how == "umount":
            unmount(self.mnt)
        else:
            try:
                os.kill(self.pid, how)
            except ProcessLookupError:
                pass
        if self.proc:
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                raise Fail("nvmf-fuse did not exit within %d s" % timeout)
            if rc != 0:
                self.errf.seek(0)
                log("nvmf-fuse stderr:\n" + self.errf.read().decode(errors="replace"))
        else:
            check(wait_gone(self.pid, timeout), "nvmf-fuse did not exit within %d s" % timeout)
            rc = None
        self.pid = None
        return rc

    def cleanup(self):
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait_gone(self.pid, 10)
            self.pid = None
        if self.mnt and is_mounted(self.mnt):
            unmount(self.mnt, force=True)


class Env:
    """Per-test scratch space; tracks what must be undone."""

    def __init__(self, fuse_exe, target_exe, fake_exe=""):
        self.fuse_exe, self.target_exe, self.fake_exe = fuse_exe, target_exe, fake_exe
        self.tmp = tempfile.mkdtemp(prefix="nvmf-fuse-test-")
        self.rundir = os.path.join(self.tmp, "run")
        os.makedirs(self.rundir)
        self.targets, self.mounts, self.loops, self.fsmounts = [], [], [], []
        self.fakes = []
        # Sanitizer reports of the daemons (whose stderr is /dev/null) land here.
        self.sanlog = os.path.join(self.tmp, "sanitizer")
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"):
            old = os.environ.get(var, "")
            os.environ[var] = (old + ":" if old else "") + "log_path=" + self.sanlog

    def sanitizer_reports(self):
        """Reports of nvmf-fuse processes; the target's are only shown, except
        ThreadSanitizer's (the TSan step runs these tests to judge both)."""
        d = os.path.dirname(self.sanlog)
        tpids = {str(t.proc.pid) for t in self.targets}
        out = []
        for n in sorted(os.listdir(d)):
            if n.startswith("sanitizer"):
                with open(os.path.join(d, n), errors="replace") as f:
                    text = f.read()
                if n.split(".")[-1] in tpids and "ThreadSanitizer" not in text:
                    log("(nvmf-target sanitizer report, not judged here)\n" + text)
                else:
                    out.append(text)
        return out

    def path(self, name):
        return os.path.join(self.tmp, name)

    def mkdir(self, name):
        p = self.path(name)
        os.makedirs(p, exist_ok=True)
        return p

    def target(self, backing, **kw):
        t = Target(self.target_exe, backing, **kw)
        self.targets.append(t)
        return t

    def fake(self, scenario, extra=()):
        if not self.fake_exe:
            raise Fail("this test needs --fake nvmf-fake-ctrl")
        f = Fake(self.fake_exe, scenario, extra)
        self.fakes.append(f)
        return f

    def mount(self, uri, mnt="mnt", **kw):
        m = Mount(self.fuse_exe, uri, self.mkdir(mnt) if mnt else None, self.rundir, **kw)
        self.mounts.append(m)
        return m

    def close(self):
        for d in reversed(self.fsmounts):
            if LINUX:
                subprocess.run(["umount", "-l", d], capture_output=True)
            else:
                subprocess.run(["umount", "-f", d], capture_output=True)
        for dev in self.loops:
            subprocess.run(["losetup", "-d", dev], capture_output=True)
        for m in self.mounts:
            m.cleanup()
        for t in self.targets:
            t.kill()
        for f in self.fakes:
            f.stop()
        rm_tree(self.tmp)


def main(tests):
    """fuse_tests.py TEST --fuse EXE --target EXE [--fake EXE]"""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(tests))
    ap.add_argument("--fuse", required=True)
    ap.add_argument("--target", default="")
    ap.add_argument("--fake", default="")
    a = ap.parse_args()
    need_fuse()
    env = Env(a.fuse, a.target, a.fake)
    try:
        tests[a.test](env)
        for m in env.mounts:
            m.cleanup()
        for t in env.targets:
            t.stop()
        reports = env.sanitizer_reports()
        if reports:
            raise Fail("sanitizer reports:\n" + "\n".join(reports))
    except Fail as e:
        log("FAIL: %s" % e)
        for r in env.sanitizer_reports():
            log(r)
        return 1
    finally:
        env.close()
    log("PASS")
    return 0
