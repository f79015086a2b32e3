#!/usr/bin/env python3
"""Outages of the Linux kernel target under a verifying writer (issue 12, interop).

  reconnect_soak.py STATEDIR --cache DIR --fuse nvmf-fuse --soak WRITER
                    [--cycles port,restart,...] [--reconnect-delay S] [--outage S]

Boots a private nvmet guest (its own state directory: restarting a shared
fixture would disturb the tests using it), mounts its namespace with nvmf-fuse
(ctrl_loss_tmo -1, a short reconnect delay, LIBNVMF_DEBUG=1 into
STATEDIR/fuse.log) and runs the writer (nvmf-soak's command line) on the file
n1. Meanwhile it causes one outage per --cycles entry:

  port     the nvmet port is removed in the guest (its subsystem link first),
           kept away --outage seconds, then re-created with the same link
  restart  QEMU is stopped and booted again on the same forwarded ports and
           the same disk image (the namespace keeps its UUID and NGUID)

After each outage the writer must complete two good fsyncs after the target
came back, and nvmet must have created a new controller (the host really
reconnected), before the next one starts. Then the writer is stopped, reads
everything back and must report 0 lost, 0 corrupt, 0 errors; nvmf-fuse's state
record must say live, with a reconnect for every outage. Last, with the guest
stopped, the writer checks its disk image on this machine against its journal
(--verify-only): every acknowledged write reached the target's medium. Prints
the time of every cycle and a summary line. --ctrl-loss-tmo 0 makes it fail at
the first outage (a host that does not reconnect).
"""
import argparse
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True	# no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nvmf_testlib import is_mounted  # noqa: E402

HERE = os.path.dirname(os.path.realpath(__file__))
NVMET = os.path.join(HERE, "nvmet")
NQN = "nqn.2014-08.org.libnvmf:reconnect"
T0 = time.monotonic()


class Fail(Exception):
    pass


def log(msg):
    print("[%6.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


def nvmet(*args, timeout=180):
    r = subprocess.run([sys.executable, NVMET] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if r.returncode != 0:
        raise Fail("nvmet %s failed (%d):\n%s" % (" ".join(map(str, args)), r.returncode, r.stdout))
    return r.stdout


def load_env(statedir):
    kv = {}
    with open(os.path.join(statedir, "target.env")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                vals = shlex.split(v)
                kv[k] = vals[0] if vals else ""
    return kv


def head(path, n):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return "(%s: none)" % path
    return "---- %s (first %d of %d lines) ----\n%s" % (path, min(n, len(lines)), len(lines),
                                                       "\n".join(lines[:n]))


def tail(path, n):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return "(%s: none)" % path
    return "---- %s (last %d of %d lines) ----\n%s" % (path, min(n, len(lines)), len(lines),
                                                      "\n".join(lines[-n:]))


def fsyncs_done(path):
    """Good fsyncs so far, from the writer's progress lines "<time> fsync N writes M"."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return 0
    m = re.findall(r"^\S+ fsync (\d+) writes \d+$", text, re.M)
    return int(m[-1]) if m else 0


def summary(path):
    """The writer's summary line "soak: writes=.. acked=.. lost=.. ..." as a dict, and the line."""
    try:
        with open(path, errors="replace") as f:
            lines = [l for l in f.read().splitlines() if l.startswith("soak: writes=")]
    except OSError:
        lines = []
    if not lines:
        return None, ""
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}, lines[-1]


class Run:
    def __init__(self, a):
        self.a = a
        self.sd = os.path.abspath(a.statedir)
        self.mnt = os.path.join(self.sd, "mnt")
        self.rundir = os.path.join(self.sd, "run")
        self.fuse = self.soak = None
        self.fuse_log = os.path.join(self.sd, "fuse.log")
        self.soak_log = os.path.join(self.sd, "soak.log")
        self.progress = os.path.join(self.sd, "progress")
        self.journal = os.path.join(self.sd, "journal")

    # ---- target --------------------------------------------------------------------

    def start_target(self):
        os.makedirs(self.sd, exist_ok=True)
        t = time.monotonic()
        nvmet("start", self.sd, "--cache", self.a.cache, "--kernel", "6.1", "--lba", "512",
              "--disk-size", "%dM" % self.a.disk_mib, "--subsys", NQN)
        self.env = load_env(self.sd)
        log("target up on 127.0.0.1:%s in %.1fs (kernel %s, namespace uuid %s nguid %s)" % (
            self.env["NVMF_TEST_TRSVCID"], time.monotonic() - t, self.env["NVMF_TEST_KERNEL"],
            self.env.get("NVMF_TEST_NS_UUID"), self.env.get("NVMF_TEST_NS_NGUID")))

    def ctl(self, *args):
        return nvmet(*((args[0], self.sd) + args[1:]))

    # ---- nvmf-fuse and the writer ----------------------------------------------------

    def mount(self):
        if is_mounted(self.mnt):
            subprocess.run(["umount", "-l", self.mnt])
        os.makedirs(self.mnt, exist_ok=True)
        os.makedirs(self.rundir, exist_ok=True)
        uri = "nvme+tcp://127.0.0.1:%s/%s" % (self.env["NVMF_TEST_TRSVCID"], NQN)
        pidfile = os.path.join(self.sd, "fuse.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        # An emulated guest on a loaded machine can stall for seconds: a generous
        # keep-alive timeout keeps stalls from adding outages of their own.
        cmd = [self.a.fuse, "-f", self.mnt, uri, "-P", pidfile, "--name", "reconnect",
               "--hostnqn", self.env["NVMF_TEST_HOSTNQN"], "--hostid", self.env["NVMF_TEST_HOSTID"],
               "--nr-io-queues", "2", "--keep-alive-tmo", "30",
               "--reconnect-delay", str(self.a.reconnect_delay), "--ctrl-loss-tmo", str(self.a.ctrl_loss_tmo)]
        env = dict(os.environ, LIBNVMF_DEBUG="1", NVMF_RUNTIME_DIR=self.rundir)
        log("mount: %s" % " ".join(shlex.quote(c) for c in cmd))
        self.fuse = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # The log gets this script's clock, to line it up with the outages.
        self.fuse_lines = []
        threading.Thread(target=self.copy_log, args=(self.fuse.stdout,), daemon=True).start()
        end = time.monotonic() + 60
        while not os.path.exists(pidfile):
            if self.fuse.poll() is not None or time.monotonic() > end:
                raise Fail("nvmf-fuse did not start (status %s)\n%s" % (self.fuse.poll(), tail(self.fuse_log, 30)))
            time.sleep(0.05)
        self.file = os.path.join(self.mnt, "n1")
        size = os.stat(self.file).st_size
        if size != int(self.env["NVMF_TEST_DISK_SIZE"]):
            raise Fail("%s: size %d, expected %s" % (self.file, size, self.env["NVMF_TEST_DISK_SIZE"]))

    def copy_log(self, pipe):
        with open(self.fuse_log, "w") as out:
            for raw in pipe:
                t = time.monotonic() - T0
                line = raw.decode(errors="replace").rstrip("\n")
                self.fuse_lines.append((t, line))
                out.write("[%6.1fs] %s\n" % (t, line))
                out.flush()

    def host_saw(self, since, pattern):
        """Times (script clock) of nvmf-fuse log lines after `since` matching pattern."""
        return [t for t, line in list(self.fuse_lines) if t >= since and re.search(pattern, line)]

    def controllers(self):
        """Controllers nvmet created since the guest booted (its console log): each one
        is a host connecting anew."""
        try:
            with open(os.path.join(self.sd, "console.log"), errors="replace") as f:
                return len(re.findall(r"nvmet: creating nvm controller \d+", f.read()))
        except OSError:
            return 0

    def start_writer(self):
        self.blocks = blocks = self.a.disk_mib * (1 << 20) // 4096
        cmd = self.a.soak + ["--file", self.file, "--block-size", "4096", "--blocks", str(blocks),
                             "--fsync-every", str(self.a.fsync_every), "--seed", str(self.a.seed),
                             "--duration", "3600", "--journal", self.journal, "--progress", self.progress]
        for p in (self.progress, self.journal):
            if os.path.exists(p):
                os.unlink(p)
        log("writer: %s" % " ".join(shlex.quote(c) for c in cmd))
        self.soak = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(self.soak_log, "w"),
                                     stderr=subprocess.STDOUT)

    def fsyncs(self):
        return fsyncs_done(self.progress)

    def check_alive(self, what):
        if self.soak.poll() is not None:
            raise Fail("the writer exited (status %d) %s" % (self.soak.returncode, what))
        if self.fuse.poll() is not None:
            raise Fail("nvmf-fuse exited (status %d) %s" % (self.fuse.returncode, what))

    def wait_fsyncs(self, least, what, timeout):
        """Waits until the writer has completed `least` good fsyncs."""
        end = time.monotonic() + timeout
        while True:
            n = self.fsyncs()
            if n >= least:
                return n
            self.check_alive(what)
            if time.monotonic() > end:
                raise Fail("the writer completed no fsync within %ds %s (%d so far, waiting for %d)"
                           % (timeout, what, n, least))
            time.sleep(0.05)

    # ---- outages ---------------------------------------------------------------------

    def outage(self, kind):
        """Returns (seconds the target was away, when it was back)."""
        t = time.monotonic()
        if kind == "port":
            self.ctl("port-remove")
            time.sleep(self.a.outage)
            self.check_alive("while the port was away")
            self.ctl("port-add")
        elif kind == "restart":
            self.ctl("restart")
            env = load_env(self.sd)
            if env["NVMF_TEST_TRSVCID"] != self.env["NVMF_TEST_TRSVCID"]:
                raise Fail("the restarted target moved from port %s to %s" % (self.env["NVMF_TEST_TRSVCID"],
                                                                             env["NVMF_TEST_TRSVCID"]))
        else:
            raise Fail("unknown cycle kind %r" % kind)
        back = time.monotonic()
        return back - t, back

    def run(self):
        a = self.a
        self.start_target()
        self.mount()
        self.start_writer()
        first = self.wait_fsyncs(2, "before the first outage", 60)
        log("writer running: %d fsyncs done" % first)
        cycles = []
        for i, kind in enumerate(a.cycles, 1):
            before = self.fsyncs()
            ctrls = self.controllers()
            t = time.monotonic()
            away, back = self.outage(kind)
            at_back = self.fsyncs()
            # Two more good fsyncs after the target came back: the second covers
            # writes made after the first, all through the new connection.
            n = self.wait_fsyncs(at_back + 2, "after outage %d (%s)" % (i, kind), a.recover_timeout)
            recovered = time.monotonic()
            # The host really lost its connection and made a new one: nvmet created
            # a controller since (a restarted guest counts from its boot).
            now = self.controllers()
            if now <= (0 if kind == "restart" else ctrls):
                raise Fail("outage %d (%s): nvmet created no new controller (%d before, %d now): the host "
                           "never reconnected, so this cycle proved nothing" % (i, kind, ctrls, now))
            live = self.host_saw(t - T0, r"reconnected after|-> live")
            cycles.append((kind, recovered - t, recovered - back))
            log("cycle %d/%d %-7s: target away %.1fs; host live again %s after it was back; 2 fsyncs done "
                "%.1fs after it was back; cycle %.1fs (fsyncs %d before, %d when back, %d)" % (
                    i, len(a.cycles), kind, away,
                    ("%.1fs" % (live[-1] - (back - T0))) if live else "(not in its log)",
                    recovered - back, recovered - t, before, at_back, n))
        # Stop the writer: it finishes its fsync group and reads everything back.
        self.soak.send_signal(signal.SIGTERM)
        try:
            rc = self.soak.wait(300)
        except subprocess.TimeoutExpired:
            raise Fail("the writer did not finish within 300s of SIGTERM\n" + tail(self.soak_log, 20))
        res, last = summary(self.soak_log)
        log("writer exited %d: %s" % (rc, last))
        if rc != 0 or not res:
            raise Fail("the writer failed (status %d)" % rc)
        if res.get("lost") or res.get("corrupt") or res.get("errors") or not res.get("acked"):
            raise Fail("writer: %s" % last)
        writes, acked = res["writes"], res["acked"]
        self.check_record()
        self.unmount()
        # What the guest's disk holds, read on this machine with the guest stopped:
        # every acknowledged generation must be there.
        nvmet("stop", self.sd, timeout=60)
        image = self.env["NVMF_TEST_IMAGE"]
        r = subprocess.run(self.a.soak + ["--file", image, "--block-size", "4096", "--blocks", str(self.blocks),
                                          "--seed", str(a.seed), "--journal", self.journal, "--verify-only"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        img = [l for l in r.stdout.splitlines() if l.startswith("soak: writes=")]
        log("host image %s: %s" % (image, img[-1] if img else "(no summary)"))
        if r.returncode != 0 or not img:
            raise Fail("the host image does not hold what was acknowledged (status %d):\n%s"
                       % (r.returncode, "\n".join(r.stdout.splitlines()[-20:])))
        per = [c[1] for c in cycles] or [0]
        rec = [c[2] for c in cycles] or [0]
        log("summary: %d cycles (%s), %d writes, %d acknowledged, 0 lost, 0 corrupt, 0 errors; "
            "cycle mean %.1fs max %.1fs; 2 fsyncs done after the target was back: "
            "median %.1fs max %.1fs; total %.1fs" % (
                len(cycles), ", ".join("%s %d" % (k, sum(1 for c in cycles if c[0] == k))
                                       for k in sorted(set(a.cycles))),
                writes, acked, statistics.mean(per), max(per), statistics.median(rec), max(rec),
                time.monotonic() - T0))

    def check_record(self):
        """nvmf-fuse's state record (what nvmfctl list shows): live, and every outage
        ended in a reconnect (a stall of the emulated guest may add outages of its own)."""
        path = os.path.join(self.rundir, "reconnect.json")
        try:
            with open(path) as f:
                rec = json.load(f)
        except (OSError, ValueError) as e:
            raise Fail("nvmf-fuse's state record %s: %s" % (path, e))
        keys = {k: v for k, v in rec.items() if re.search(r"state|attempt|outage|reconnect", k)}
        log("state record: %s" % json.dumps(keys, sort_keys=True))
        n = len(self.a.cycles)
        if rec.get("state") != "live" or not rec.get("reconnects", 0) >= n or rec.get("outages") != rec.get("reconnects"):
            raise Fail("nvmf-fuse's state record says %s; expected state live and %d or more outages, "
                       "each ended by a reconnect" % (json.dumps(keys, sort_keys=True), n))

    def unmount(self):
        if self.fuse and self.fuse.poll() is None:
            subprocess.run(["fusermount3", "-u", self.mnt], capture_output=True)
            try:
                rc = self.fuse.wait(60)
            except subprocess.TimeoutExpired:
                raise Fail("nvmf-fuse did not exit within 60s of the unmount")
            if rc != 0:
                raise Fail("nvmf-fuse exited %d\n%s" % (rc, tail(self.fuse_log, 30)))

    def cleanup(self):
        for p in (self.soak, self.fuse):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if is_mounted(self.mnt):
            subprocess.run(["umount", "-l", self.mnt], capture_output=True)
        try:
            nvmet("stop", self.sd, timeout=60)
        except (Fail, subprocess.TimeoutExpired) as e:
            log("stopping the target: %s" % e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("statedir")
    ap.add_argument("--cache", required=True)
    ap.add_argument("--fuse", required=True)
    ap.add_argument("--soak", required=True, help="writer command (nvmf-soak's command line)")
    ap.add_argument("--cycles", default="port,restart,port,restart,port,restart",
                    help="comma-separated outage kinds: port, restart")
    ap.add_argument("--reconnect-delay", type=int, default=1)
    ap.add_argument("--ctrl-loss-tmo", type=int, default=-1,
                    help="0 shows the test failing with a host that does not reconnect")
    ap.add_argument("--outage", type=float, default=3, help="seconds a removed port stays away")
    ap.add_argument("--fsync-every", type=int, default=8)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--disk-mib", type=int, default=16)
    ap.add_argument("--recover-timeout", type=int, default=90)
    a = ap.parse_args()
    if not os.path.exists("/dev/fuse") or os.geteuid() != 0:
        log("SKIP: nvmf-fuse mounts need /dev/fuse and root")
        return 77
    a.soak = shlex.split(a.soak)
    a.cycles = [c for c in a.cycles.split(",") if c]
    r = Run(a)
    try:
        r.run()
    except (Fail, OSError, subprocess.TimeoutExpired) as e:
        log("FAIL: %s" % e)
        print(head(r.soak_log, 5))
        print(tail(r.soak_log, 10))
        print(tail(r.fuse_log, 60))
        print(tail(os.path.join(r.sd, "console.log"), 30))
        return 1
    finally:
        r.cleanup()
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
