"""The processes of an outage soak: nvmf-target on a fixed port, nvmf-fault-proxy,
nvmf-fuse in the foreground, nvmf-soak; used by bench/soak/run-soak and by the
resilience tests (tests/integration/resilience.py).

Python 3 standard library only. Every process writes its stderr to a log file
in the work directory; nothing here prints but through the caller's log.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "..", "..", "tests", "lib"))
from nvmf_testlib import Fail, check, free_port, is_mounted, wait_gone  # noqa: E402,F401

NQN = "nqn.2014-08.org.libnvmf:soak"
HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:0b5e4c1a-6d2f-4e8b-9a7c-3f1d2e4b5a60"


def mono():
    """CLOCK_MONOTONIC seconds: nvmf-soak's --progress timestamps use the same clock."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def find_build(start=None):
    """The build tree holding the programs: $NVMF_BUILD, else <repo>/build."""
    b = os.environ.get("NVMF_BUILD")
    if b:
        return b
    return os.path.join(start or os.path.join(_here, "..", ".."), "build")


class Bins:
    """Paths of the programs, from a build tree unless given one by one."""

    def __init__(self, build=None, target=None, fuse=None, soak=None, proxy=None, ctl=None):
        build = build or find_build()
        self.target = target or os.path.join(build, "tools", "nvmf-target", "nvmf-target")
        self.fuse = fuse or os.path.join(build, "tools", "nvmf-fuse", "nvmf-fuse")
        self.soak = soak or os.path.join(build, "bench", "nvmf-soak")
        self.proxy = proxy or os.path.join(build, "tests", "proxy", "nvmf-fault-proxy")
        self.ctl = ctl or os.path.join(build, "tools", "nvmfctl", "nvmfctl")

    def need(self, *names):
        for n in names:
            p = getattr(self, n)
            check(os.access(p, os.X_OK), "%s not found at %s (build first, or --build)" % (n, p))


class Target:
    """nvmf-target serving one backing file; restartable on the same port.

    start() returns once the target printed its "listening on" line and
    records that moment (self.listen_at, CLOCK_MONOTONIC) for recovery times.
    """

    def __init__(self, exe, backing, logpath, lba=512, nqn=NQN, port=0, addr="127.0.0.1"):
        self.exe, self.backing, self.logpath = exe, backing, logpath
        self.lba, self.nqn, self.addr, self.port = lba, nqn, addr, port
        self.proc = None
        self.listen_at = None
        self.starts = 0
        # No port given: one below the ephemeral range (free_port), which no other
        # test's bind(0) or connection can take while a restart has this target down.
        self.pick = not port

    def start(self, tries=50):
        last = ""
        for _ in range(tries):
            if self.pick:	# the first start: another port if some test took this one
                self.port = free_port(self.addr)
            args = [self.exe, "-a", self.addr, "-p", str(self.port), "-P", "0",
                    "-b", str(self.lba), "-n", self.nqn, self.backing]
            with open(self.logpath, "ab") as errf:
                errf.write(("--- start %d: %s\n" % (self.starts + 1, " ".join(args))).encode())
                errf.flush()
                self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errf,
                                             stdin=subprocess.DEVNULL, text=True)
            line = self.proc.stdout.readline()
            m = re.search(r"listening on \[?([0-9a-f.:]+)\]?:(\d+)", line)
            if m:
                self.listen_at = mono()
                self.port = int(m.group(2))
                self.pick = False
                self.starts += 1
                return self.listen_at
            self.proc.wait()
            last = line
            time.sleep(0.1)	# the port may still be held for a moment
        raise Fail("nvmf-target did not start (last output %r; see %s)" % (last, self.logpath))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.running():
            self.proc.send_signal(sig)
            self.proc.wait()
        t = mono()
        self.proc = None
        return t

    def stop(self):
        """SIGTERM, the target's orderly stop; returns its exit status."""
        if not self.running():
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


class Proxy:
    """nvmf-fault-proxy in front of the target's port; survives target restarts."""

    def __init__(self, exe, upstream, args, logpath):
        cmd = [exe, "--upstream", str(upstream), "--port", "0"] + list(args)
        self.errf = open(logpath, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.errf,
                                     stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"port (\d+)", line)
        if not m:
            self.stop()
            raise Fail("nvmf-fault-proxy did not start: %r" % line)
        self.port = int(m.group(1))
        self.summary = ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                out, _ = self.proc.communicate(timeout=15)
                self.summary = (out or "").strip().splitlines()[-1:] or [""]
                self.summary = self.summary[0]
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errf.close()
        return self.summary


class Fuse:
    """nvmf-fuse in the foreground (-f), its stderr in a log file."""

    def __init__(self, exe, uri, mnt, rundir, logpath, args=(), name="soak", env=None):
        self.mnt, self.rundir, self.name, self.logpath = mnt, rundir, name, logpath
        os.makedirs(mnt, exist_ok=True)
        os.makedirs(rundir, exist_ok=True)
        self.pidfile = os.path.join(rundir, "..", "fuse-%s.pid" % name)
        self.pidfile = os.path.realpath(self.pidfile)
        env = dict(env or os.environ, NVMF_RUNTIME_DIR=rundir)
        self.cmd = [exe, mnt, uri, "-f", "-P", self.pidfile, "--name", name,
                    "--hostnqn", HOSTNQN, "--nr-io-queues", "2"] + list(args)
        self.errf = open(logpath, "ab")
        # Its stderr (and LIBNVMF_DEBUG's library log) through a pipe, each line
        # stamped with CLOCK_MONOTONIC, the clock of the recovery measurements.
        self.proc = subprocess.Popen(self.cmd, env=env, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self._reader = threading.Thread(target=self._copy_log, daemon=True)
        self._reader.start()
        end = time.monotonic() + 30
        while not os.path.exists(self.pidfile):
            if self.proc.poll() is not None or time.monotonic() > end:
                self.kill()
                raise Fail("nvmf-fuse did not start (exit %s): %s" % (self.proc.returncode,
                                                                      self.log_tail()))
            time.sleep(0.05)

    def _copy_log(self):
        for line in iter(self.proc.stderr.readline, b""):
            try:
                self.errf.write(b"%.6f " % mono() + line)
                self.errf.flush()
            except ValueError:	# closed by kill()
                break

    def _close_log(self):
        self._reader.join(10)
        if not self.errf.closed:
            self.errf.close()

    def file(self, nsid=1):
        return os.path.join(self.mnt, "n%d" % nsid)

    def log_tail(self, lines=20):
        try:
            with open(self.logpath, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def record(self):
        """The state record (JSON), or None while it is being replaced."""
        try:
            with open(os.path.join(self.rundir, self.name + ".json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def unmount(self, timeout=60):
        """fusermount3 -u, then wait for the server; returns its exit status."""
        if self.proc.poll() is None:
            r = subprocess.run(["fusermount3", "-u", self.mnt], capture_output=True, text=True)
            if r.returncode != 0 and is_mounted(self.mnt):
                subprocess.run(["umount", self.mnt], capture_output=True)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
                rc = None
        self._close_log()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if is_mounted(self.mnt):
            subprocess.run(["umount", "-l", self.mnt], capture_output=True)
        self._close_log()


class Soak:
    """nvmf-soak writing until SIGTERM (or its --duration/--writes)."""

    def __init__(self, exe, path, workdir, seed, block_size=4096, fsync_every=8,
                 direct=True, allow_errors=False, extra=()):
        self.progress = os.path.join(workdir, "soak.progress")
        self.journal = os.path.join(workdir, "soak.journal")
        self.logpath = os.path.join(workdir, "soak.log")
        self.exe, self.seed, self.block_size = exe, seed, block_size
        for p in (self.progress,):
            if os.path.exists(p):
                os.unlink(p)
        self.cmd = [exe, "--file", path, "--block-size", str(block_size),
                    "--fsync-every", str(fsync_every), "--seed", str(seed),
                    "--journal", self.journal, "--progress", self.progress]
        if direct:
            self.cmd.append("--direct")
        if allow_errors:
            self.cmd.append("--allow-errors")
        self.cmd += list(extra)
        if not any(a in ("--duration", "--writes") for a in extra):
            self.cmd += ["--duration", "1000000"]
        self.errf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=self.errf,
                                     stdin=subprocess.DEVNULL, text=True)
        self._off = 0
        self._partial = ""
        self.fsyncs = []	# (monotonic time, fsync number)
        self.errors = []	# progress "error" lines
        self.summary = None

    def poll_progress(self):
        """Reads the new lines of the progress file; returns the new fsync times."""
        new = []
        try:
            with open(self.progress) as f:
                f.seek(self._off)
                data = f.read()
                self._off = f.tell()
        except OSError:
            return new
        data = self._partial + data
        lines = data.split("\n")
        self._partial = lines.pop()
        for line in lines:
            w = line.split()
            if len(w) >= 3 and w[1] == "fsync":
                self.fsyncs.append((float(w[0]), int(w[2])))
                new.append(float(w[0]))
            elif len(w) >= 2 and w[1] == "error":
                self.errors.append(line)
        return new

    def first_fsync_after(self, t):
        self.poll_progress()
        for ts, _ in self.fsyncs:
            if ts > t:
                return ts
        return None

    def running(self):
        return self.proc.poll() is None

    def finish(self, timeout=600):
        """SIGTERM (ends the writes; the writer then fsyncs and verifies every
        block); returns (exit status, summary dict)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            raise Fail("nvmf-soak did not finish within %d s of SIGTERM" % timeout)
        self.errf.close()
        self.poll_progress()
        self.summary = parse_summary(out)
        return self.proc.returncode, self.summary

    def log_tail(self, lines=30):
        try:
            with open(self.logpath, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


def parse_summary(text):
    """The last 'soak: writes=W ...' line as a dict of ints, or None."""
    found = None
    for line in (text or "").splitlines():
        if line.startswith("soak: writes="):
            found = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    return found


def verify_only(exe, backing, journal, direct=False):
    """nvmf-soak --verify-only on the target's backing file: (exit status, summary, stderr)."""
    cmd = [exe, "--file", backing, "--verify-only", "--journal", journal]
    if direct:
        cmd.append("--direct")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return r.returncode, parse_summary(r.stdout), r.stderr


def make_backing(path, size):
    with open(path, "wb") as f:
        f.truncate(size)


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s.strip().upper())
    if not m:
        raise ValueError("bad size %r" % s)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]
