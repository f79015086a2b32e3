#!/usr/bin/env python3
"""nvmf-fuse against the Linux kernel target (nvmet under QEMU, tests/interop).

fuse_interop.py TEST --fuse nvmf-fuse, with NVMF_TEST_ENV naming the fixture's
target.env. The namespace is shared with the other interop tests of the
configuration (these tests take its resource lock): its content is saved first
and restored at the end.
"""
import errno
import hashlib
import os
import random
import shlex
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuse_env import (FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE,  # noqa
                      SKIP, Env, Fail, Mount, check, fallocate, is_mounted, log, need_fuse,
                      need_root)
from fuse_tests import MiB, pread_direct, read_all, same  # noqa: E402


def load_env():
    path = os.environ.get("NVMF_TEST_ENV")
    if not path or not os.path.exists(path):
        log("SKIP: NVMF_TEST_ENV not set or missing")
        sys.exit(SKIP)
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


class Kernel:
    def __init__(self, env, kv):
        self.kv = kv
        self.uri = "nvme+tcp://%s:%s/%s/%s" % (kv["NVMF_TEST_TRADDR"], kv["NVMF_TEST_TRSVCID"],
                                              kv["NVMF_TEST_SUBNQN"], kv["NVMF_TEST_NSID"])
        self.lba = int(kv.get("NVMF_TEST_LBA", "512"))
        self.size = int(kv.get("NVMF_TEST_DISK_SIZE", "0"))

    def mount(self, env, mnt="mnt"):
        # An emulated guest sharing two cores with the host can stall for
        # seconds: a generous keep-alive timeout keeps it from ending the
        # association mid-test (correctness is judged here, not speed).
        m = Mount(env.fuse_exe, self.uri, env.mkdir(mnt), env.rundir,
                  args=["--hostnqn", self.kv["NVMF_TEST_HOSTNQN"],
                        "--hostid", self.kv["NVMF_TEST_HOSTID"],
                        "--keep-alive-tmo", "30"])
        env.mounts.append(m)
        return m


def with_saved(env, k, body):
    """Mount, save the namespace, run body(m, f, size), restore, unmount."""
    m = k.mount(env)
    f = m.file(int(k.kv["NVMF_TEST_NSID"]))
    size = os.stat(f).st_size
    check(size > 0 and size % k.lba == 0, "size %d not a multiple of %d" % (size, k.lba))
    if k.size:
        check(size == k.size, "n%s size %d, target says %d" % (k.kv["NVMF_TEST_NSID"], size,
                                                              k.size))
    saved = env.path("saved.img")
    with open(saved, "wb") as out:
        out.write(pread_direct(f, 0, size))
    try:
        body(m, f, size)
    finally:
        if is_mounted(m.mnt):
            with open(saved, "rb") as src:
                data = src.read()
            fd = os.open(f, os.O_WRONLY)
            try:
                os.pwrite(fd, data, 0)
                os.fsync(fd)
            finally:
                os.close(fd)
    same(pread_direct(f, 0, size), read_all(saved), "restored namespace and its saved copy")
    m.stop()
    check(not is_mounted(m.mnt), "still mounted")


def i_data(env, k):
    def body(m, f, size):
        rnd = random.Random(11)
        ref = bytearray(pread_direct(f, 0, size))
        pat = env.path("pattern")
        with open(pat, "wb") as fh:
            fh.write(rnd.randbytes(4 * MiB))
        patdata = read_all(pat)
        for bs, seek, count, extra in ((MiB, 1, 4, ""), (4096, 1500, 200, ""),
                                       (512, 20001, 77, ""), (7, 1000003, 3000, ""),
                                       (65536, 333, 16, "oflag=direct")):
            cmd = ["dd", "if=" + pat, "of=" + f, "bs=%d" % bs, "seek=%d" % seek,
                   "count=%d" % count, "conv=notrunc,fsync", "status=none"] + extra.split()
            r = subprocess.run(cmd, capture_output=True, text=True)
            check(r.returncode == 0, "%s: %s" % (" ".join(cmd), r.stderr))
            ref[seek * bs:(seek + count) * bs] = patdata[:count * bs]
        same(read_all(f), bytes(ref), "n1 read back and the pattern")
        # The guest's namespace 1 is a virtio disk backed by NVMF_TEST_IMAGE
        # (raw): after fsync (Flush) the host file holds the same bytes.
        img = k.kv.get("NVMF_TEST_IMAGE", "")
        if k.kv["NVMF_TEST_NSID"] == "1" and img and os.path.exists(img) \
                and os.path.getsize(img) == size:
            same(read_all(img), bytes(ref), "the target's backing image and the pattern")
            log("backing image matches")
        # A second, independent connection sees the same bytes.
        m2 = k.mount(env, "mnt2")
        same(pread_direct(m2.file(int(k.kv["NVMF_TEST_NSID"])), 0, size), bytes(ref),
             "the namespace through a second connection and the pattern")
        m2.stop()
    with_saved(env, k, body)


def i_parallel(env, k):
    def body(m, f, size):
        region = min(size, 16 * MiB)
        shadow = bytearray(pread_direct(f, 0, region))
        n = 8
        borders = [0] + [i * (region // n) + 333 * i for i in range(1, n)] + [region]
        errors = []

        def worker(i):
            rnd = random.Random(i)
            lo, hi = borders[i], borders[i + 1]
            fd = os.open(f, os.O_RDWR)
            try:
                for _ in range(60):
                    ln = min(rnd.choice([1, 511, 4096, 70000]), hi - lo)
                    off = rnd.randrange(lo, hi - ln + 1)
                    data = rnd.randbytes(ln)
                    os.pwrite(fd, data, off)
                    shadow[off:off + ln] = data
                    if os.pread(fd, ln, off) != data:
                        raise Fail("thread %d: read back differs at %d+%d" % (i, off, ln))
            except Exception as e:  # noqa: BLE001
                errors.append(e)
            finally:
                os.close(fd)

        ths = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(600)
            check(not th.is_alive(), "a worker hangs")
        if errors:
            raise Fail(str(errors[0]))
        same(pread_direct(f, 0, region), bytes(shadow), "namespace and shadow copy")
    with_saved(env, k, body)


def i_punch(env, k):
    def body(m, f, size):
        fd = os.open(f, os.O_RDWR)
        try:
            os.pwrite(fd, os.urandom(8 * MiB), MiB)
            ref = bytearray(pread_direct(f, 0, 10 * MiB))
            fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, MiB + 100, 3 * MiB)
            ref[MiB + 100:4 * MiB + 100] = bytes(3 * MiB)
            fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 6 * MiB + 1, MiB)
            ref[6 * MiB + 1:7 * MiB + 1] = bytes(MiB)
            os.fsync(fd)
        finally:
            os.close(fd)
        same(pread_direct(f, 0, 10 * MiB), bytes(ref), "punched/zeroed range read back")
    with_saved(env, k, body)


def i_ext4(env, k):
    need_root("losetup and mount")

    def run(*cmd):
        r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, "%s: %s%s" % (" ".join(cmd), r.stdout, r.stderr))
        return r.stdout

    def body(m, f, size):
        # Old data first, so discards really have to read back as zeroes.
        fd = os.open(f, os.O_WRONLY)
        os.pwrite(fd, os.urandom(size), 0)
        os.fsync(fd)
        os.close(fd)
        run("mkfs.ext4", "-q", "-F", f)
        dev = run("losetup", "--find", "--show", f).strip()
        env.loops.append(dev)
        d = env.mkdir("fs")
        run("mount", dev, d)
        env.fsmounts.append(d)
        sums = {}
        for i in range(20):
            data = os.urandom(random.choice([100, 5000, 300000]))
            p = os.path.join(d, "f%d" % i)
            with open(p, "wb") as fh:
                fh.write(data)
            sums[p] = hashlib.sha256(data).hexdigest()
        run("umount", d)
        env.fsmounts.remove(d)
        run("fsck.ext4", "-f", "-n", dev)
        run("mount", dev, d)
        env.fsmounts.append(d)
        for p, h in sums.items():
            with open(p, "rb") as fh:
                check(hashlib.sha256(fh.read()).hexdigest() == h, "%s corrupted" % p)
        run("umount", d)
        env.fsmounts.remove(d)
        run("losetup", "-d", dev)
        env.loops.remove(dev)
    with_saved(env, k, body)


def i_nschange(env, k):
    """Namespaces added, resized and removed on the kernel target show up as
    files appearing, changing size and vanishing, without remounting."""
    import time
    nvmet = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop", "nvmet")
    state, nqn, nsid = k.kv["NVMF_TEST_STATEDIR"], k.kv["NVMF_TEST_SUBNQN"], "7"
    k.uri = k.uri.rsplit("/", 1)[0]  # every namespace
    m = k.mount(env)

    def ctl(*args):
        r = subprocess.run([sys.executable, nvmet] + list(args), capture_output=True,
                           text=True, timeout=120)
        check(r.returncode == 0, "nvmet %s: %s%s" % (" ".join(args), r.stdout, r.stderr))

    def wait_for(what, cond):
        end = time.monotonic() + 60
        while not cond() and time.monotonic() < end:
            time.sleep(0.2)
        check(cond(), what)

    f = os.path.join(m.mnt, "n" + nsid)
    try:
        ctl("ns-add", state, nqn, nsid, "--size", "8M")
        wait_for("n7 did not appear", lambda: os.path.exists(f))
        wait_for("n7 size %s" % os.stat(f).st_size, lambda: os.stat(f).st_size == 8 * MiB)
        fd = os.open(f, os.O_RDWR)
        os.pwrite(fd, b"A" * 4096, 4096)
        os.fsync(fd)
        os.close(fd)
        ctl("ns-resize", state, nqn, nsid, "16M")
        wait_for("n7 not resized", lambda: os.stat(f).st_size == 16 * MiB)
        check(pread_direct(f, 4096, 4096) == b"A" * 4096, "data lost across the resize")
        rec = m.record()
        check(any(n["nsid"] == 7 and n["size"] == 16 * MiB for n in rec["namespaces"]),
              "state record not updated: %s" % rec["namespaces"])
    finally:
        subprocess.run([sys.executable, nvmet, "ns-remove", state, nqn, nsid],
                       capture_output=True, timeout=120)
    wait_for("n7 did not vanish", lambda: not os.path.exists(f))
    m.stop()


TESTS = {"data": i_data, "parallel": i_parallel, "punch": i_punch, "ext4": i_ext4,
         "nschange": i_nschange}


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--fuse", required=True)
    a = ap.parse_args()
    need_fuse()
    kv = load_env()
    env = Env(a.fuse, "")
    try:
        TESTS[a.test](env, Kernel(env, kv))
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


if __name__ == "__main__":
    sys.exit(main())
