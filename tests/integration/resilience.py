#!/usr/bin/env python3
"""Outage tests of issue 12 through nvmf-fuse (label integration).

  resilience.py cycles   --build DIR   >= 10 SIGKILL/restart cycles of nvmf-target under
                                       nvmf-soak, nvmf-fuse --ctrl-loss-tmo -1
                                       --reconnect-delay 1: no lost acknowledged
                                       write, no error to the writer
  resilience.py gave_up  --build DIR   --ctrl-loss-tmo 3 --reconnect-delay 1, the
                                       target held down until the controller is
                                       given up: I/O fails with EIO, the state record
                                       and nvmfctl list say dead and why
  resilience.py defaults --build DIR   the tools' default reconnect options: five
                                       2-second SIGKILL outages, no error, nothing lost

cycles and defaults run bench/soak/run-soak, the benchmark's driver, with a
fixed seed; gave_up drives the same pieces (bench/soak/soak_env.py) itself.
Exit 0 pass, 1 fail, 77 skip (no /dev/fuse, or not root without fusermount3).
"""
import argparse
import errno
import json
import mmap
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True	# no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
SOAK_DIR = os.path.join(HERE, "..", "..", "bench", "soak")
sys.path.insert(0, SOAK_DIR)
import soak_env as se  # noqa: E402
from soak_env import Fail, check  # noqa: E402

SKIP = 77
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def log(msg):
    print(msg, flush=True)


def need_fuse():
    if not os.path.exists("/dev/fuse"):
        log("SKIP: no /dev/fuse")
        sys.exit(SKIP)
    if os.geteuid() != 0 and not shutil.which("fusermount3"):
        log("SKIP: not root and no fusermount3")
        sys.exit(SKIP)


def run_soak(build, work, args):
    """bench/soak/run-soak with a work directory of its own; returns its exit status."""
    cmd = [sys.executable, os.path.join(SOAK_DIR, "run-soak"), "--build", build,
           "--workdir", work] + args
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd, timeout=900).returncode


def t_cycles(build, work):
    """>= 10 SIGKILL/restart cycles with ctrl_loss_tmo -1 and a 1 s reconnect delay;
    outages of 0.5 to 1 s. run-soak fails on any lost acknowledged write, corrupt
    block, error returned to the writer or cycle without recovery."""
    rc = run_soak(build, work, ["--cycles", "10", "--seed", "12", "--outage", "0.5",
                                "--outage-max", "1", "--uptime", "0.3", "--uptime-max", "1",
                                "--size", "16M", "--fuse-args", "--ctrl-loss-tmo -1 --reconnect-delay 1",
                                "--recovery-timeout", "30"])
    check(rc == 0, "run-soak failed (exit %d): see its log above" % rc)


def t_defaults(build, work):
    """The tools' defaults (reconnect_delay 10 s, ctrl_loss_tmo 600 s): five 2-second
    outages. The first attempt starts at once and fails (the target is down); the next
    one, 10 s later, succeeds: about 8 s per recovery."""
    rc = run_soak(build, work, ["--cycles", "5", "--seed", "5", "--outage", "2",
                                "--uptime", "0.5", "--uptime-max", "1.5", "--size", "16M",
                                "--recovery-timeout", "40"])
    check(rc == 0, "run-soak failed (exit %d): see its log above" % rc)


PROBE = 4095 * 4096	# the last block of the 16 MiB namespace: the writer leaves it alone


def direct_io(path, write):
    """One O_DIRECT 4 KiB read or write of the probe block (no page cache to answer it);
    returns None on success, else the errno."""
    buf = mmap.mmap(-1, 4096)
    fd = os.open(path, (os.O_RDWR if write else os.O_RDONLY) | getattr(os, "O_DIRECT", 0))
    try:
        if write:
            buf.write(b"\xa5" * 4096)
            os.pwritev(fd, [buf], PROBE)
            os.fsync(fd)
        else:
            os.preadv(fd, [buf], PROBE)
        return None
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def t_gave_up(build, work):
    """ctrl_loss_tmo 3 s, reconnect_delay 1 s; the target is SIGKILLed and not restarted
    until the controller is given up."""
    bins = se.Bins(build=build)
    bins.need("target", "fuse", "soak", "ctl")
    backing = os.path.join(work, "backing.img")
    se.make_backing(backing, 16 << 20)
    target = se.Target(bins.target, backing, os.path.join(work, "target.log"))
    target.start()
    rundir = os.path.join(work, "run")
    fuse = soak = None
    try:
        uri = "nvme+tcp://127.0.0.1:%d/%s" % (target.port, se.NQN)
        fuse = se.Fuse(bins.fuse, uri, os.path.join(work, "mnt"), rundir,
                       os.path.join(work, "fuse.log"), args=["--ctrl-loss-tmo", "3", "--reconnect-delay", "1"])
        soak = se.Soak(bins.soak, fuse.file(1), work, seed=3, allow_errors=True,
                       extra=["--blocks", "4095"])
        end = time.monotonic() + 30
        while len(soak.fsyncs) < 20 and soak.running() and time.monotonic() < end:
            time.sleep(0.05)
            soak.poll_progress()
        check(len(soak.fsyncs) >= 20, "the writer made no progress before the fault: %s"
              % soak.log_tail())
        check(direct_io(fuse.file(1), False) is None, "a read failed before the fault")
        t_kill = target.kill()
        log("target SIGKILLed; kept down until the controller is given up")
        states, rec = [], None
        end = time.monotonic() + 30	# ctrl_loss_tmo 3 s: dead after some 3 s
        while time.monotonic() < end:
            rec = fuse.record() or rec
            st = rec.get("state") if rec else None
            if st and (not states or states[-1] != st):
                states.append(st)
                log("  %.2f s: state %s %s" % (se.mono() - t_kill, st, {
                    k: rec.get(k) for k in ("attempt", "max_attempts", "last_error",
                                            "outages", "reconnects") if k in rec}))
            if st == "dead":
                break
            time.sleep(0.05)
        check(rec and rec.get("state") == "dead",
              "state record never said dead within 30 s (states seen: %s)" % states)
        why = rec.get("last_error")
        check(why not in (None, "", 0, {}), "the dead record does not say why: %s"
              % json.dumps(rec))
        log("record: state dead, last_error %r" % (why,))
        # New I/O fails with EIO, neither hanging nor answered from a cache.
        for write in (False, True):
            e = direct_io(fuse.file(1), write)
            check(e == errno.EIO, "%s on a given-up controller: %s, expected EIO"
                  % ("write" if write else "read", "success" if e is None else
                     errno.errorcode.get(e, e)))
        # nvmfctl list says so too.
        env = dict(os.environ, NVMF_RUNTIME_DIR=rundir)
        r = subprocess.run([bins.ctl, "list", "-o", "json"], env=env, capture_output=True,
                           text=True, timeout=30)
        check(r.returncode == 0, "nvmfctl list -o json: %s" % r.stderr)
        conns = json.loads(r.stdout).get("connections", [])
        mine = [c for c in conns if c.get("name") == "soak"]
        check(mine and mine[0].get("state") == "dead", "nvmfctl list: %s" % r.stdout)
        r = subprocess.run([bins.ctl, "list"], env=env, capture_output=True, text=True,
                           timeout=30)
        log("nvmfctl list:\n" + r.stdout.rstrip())
        check("dead" in r.stdout, "nvmfctl list does not show dead")
        # The writer: every error it saw is EIO (held writes failed when given up).
        rc, summary = soak.finish()
        log("nvmf-soak: %s" % summary)
        check(summary and summary["errors"] > 0, "the writer saw no error")
        bad = [ln for ln in soak.errors if not ln.endswith("errno 5")]
        check(not bad, "errors other than EIO: %s" % bad[:5])
        check(summary["lost"] == 0 and summary["corrupt"] == 0,
              "the writer found lost or corrupt blocks: %s" % summary)
        frc = fuse.unmount()
        check(frc == 0, "nvmf-fuse exited %s" % frc)
        fuse = None
        # What was acknowledged before the outage is on the target's file.
        vrc, vsum, verr = se.verify_only(bins.soak, backing, soak.journal)
        log("backing file check: %s %s" % (vsum, verr.strip()))
        check(vrc == 0, "backing file check failed: %s" % vsum)
        log_text = open(os.path.join(work, "fuse.log"), errors="replace").read()
        marks = [m for m in SANITIZER_MARKS if m in log_text]
        check(not marks, "sanitizer report in nvmf-fuse's log:\n" + log_text[-4000:])
    finally:
        if soak and soak.running():
            soak.proc.kill()
            soak.proc.wait()
        if fuse:
            log("nvmf-fuse log:\n" + fuse.log_tail(40))
            fuse.kill()
        target.kill()


TESTS = {"cycles": t_cycles, "gave_up": t_gave_up, "defaults": t_defaults}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--build", required=True, help="the build tree")
    a = ap.parse_args()
    need_fuse()
    work = tempfile.mkdtemp(prefix="nvmf-resilience-%s-" % a.test)
    try:
        TESTS[a.test](os.path.abspath(a.build), work)
    except Fail as e:
        log("FAIL: %s (work directory kept: %s)" % (e, work))
        return 1
    log("PASS")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
