#!/usr/bin/env python3
"""nvmf-fuse integration tests against nvmf-target (issue 6's acceptance tests).

Run one test: fuse_tests.py TEST --fuse nvmf-fuse --target nvmf-target.
Exit 0 pass, 1 fail, 77 skip (no /dev/fuse, not root for losetup...).
"""
import errno
import hashlib
import json
import os
import platform
import random
import re
import select
import shutil
import signal
import subprocess
import stat
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuse_env import (FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE,  # noqa
                      HOSTNQN, NQN, SKIP, Fail, check, fallocate, have_fallocate,
                      is_mounted, log, main, need_root, unmount, wait_gone, write_random_file)

MiB = 1 << 20


def read_all(path):
    with open(path, "rb") as f:
        return f.read()


def pread_direct(path, off, n):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        import mmap
        buf = mmap.mmap(-1, n)
        os.lseek(fd, off, os.SEEK_SET)
        got = os.readv(fd, [buf])
        return bytes(buf[:got])
    finally:
        os.close(fd)


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b))


def same(a, b, what):
    if a != b:
        raise Fail("%s differ (lengths %d/%d, first difference at byte %d)"
                   % (what, len(a), len(b), first_diff(a, b)))


# ---- dd patterns, file semantics ---------------------------------------------------

def t_data(env, lba=512):
    size = 32 * MiB
    back = env.path("back.img")
    write_random_file(back, size)  # old data the namespace starts with
    t = env.target([back], lba=lba)
    m = env.mount(t.uri())
    f = m.file()
    st = os.stat(f)
    check(st.st_size == size, "n1 size %d, expected %d" % (st.st_size, size))
    check(st.st_mode & 0o777 == 0o600, "n1 mode %o, expected 600" % (st.st_mode & 0o777))
    check(sorted(os.listdir(m.mnt)) == ["n1"], "files: %s" % os.listdir(m.mnt))
    same(read_all(f), read_all(back), "n1 and the backing file before any write")

    # dd with several block sizes, aligned and not, buffered and direct.
    pat = env.path("pattern")
    write_random_file(pat, 8 * MiB)
    cases = [(MiB, 0, 8, ""), (4096, 9 * MiB // 4096, 300, ""), (512, 3 * 4096 + 7, 129, ""),
             (7, 3000001, 5000, ""), (128 * 1024, 100, 20, "oflag=direct")]
    ref = bytearray(read_all(back))
    patdata = read_all(pat)
    for bs, seek, count, extra in cases:
        cmd = ["dd", "if=" + pat, "of=" + f, "bs=%d" % bs, "seek=%d" % seek,
               "count=%d" % count, "conv=notrunc,fsync", "status=none"] + extra.split()
        r = subprocess.run(cmd, capture_output=True, text=True)
        check(r.returncode == 0, "%s: %s" % (" ".join(cmd), r.stderr))
        ref[seek * bs:(seek + count) * bs] = patdata[:count * bs]
        log("dd bs=%d seek=%d count=%d %s: ok" % (bs, seek, count, extra))
    same(read_all(f), bytes(ref), "n1 read back and the expected pattern")
    same(pread_direct(f, 0, size), bytes(ref), "n1 read with O_DIRECT and the pattern")
    same(read_all(back), bytes(ref), "the backing file and the expected pattern")

    # A file of fixed size: O_TRUNC ignored, truncate to the size works, others EINVAL.
    fd = os.open(f, os.O_WRONLY | os.O_TRUNC)
    os.close(fd)
    check(os.stat(f).st_size == size, "O_TRUNC changed the size")
    os.truncate(f, size)
    for bad in (0, size - 512, size + 4096):
        try:
            os.truncate(f, bad)
            raise Fail("truncate to %d succeeded" % bad)
        except OSError as e:
            check(e.errno == errno.EINVAL, "truncate to %d: %s, expected EINVAL" % (bad, e))
    same(read_all(back), bytes(ref), "the backing file after open(O_TRUNC)/truncate")
    # Reads stop at the end; writes past it fail with ENOSPC; short at the edge.
    fd = os.open(f, os.O_RDWR)
    try:
        check(os.pread(fd, 100, size) == b"", "read at the end returned data")
        check(len(os.pread(fd, 1000, size - 10)) == 10, "read across the end not short")
        try:
            os.pwrite(fd, b"x", size)
            raise Fail("write at the end succeeded")
        except OSError as e:
            check(e.errno in (errno.ENOSPC, errno.EFBIG), "write at end: %s" % e)
        check(os.pwrite(fd, b"y" * 100, size - 40) == 40, "write across the end not short")
        os.fsync(fd)
    finally:
        os.close(fd)
    check(read_all(back)[-40:] == b"y" * 40, "tail write did not reach the backing file")
    if sys.platform.startswith("linux"):
        odirect_across_end(f, back, size)
    # Owner and mode are fixed, but setting them to what they are succeeds
    # (cp -p, install); another value is refused.
    st = os.stat(f)
    for what, call in (("chmod", lambda: os.chmod(f, st.st_mode & 0o7777)),
                       ("chown", lambda: os.chown(f, st.st_uid, st.st_gid)),
                       ("chmod of the directory", lambda: os.chmod(m.mnt, os.stat(m.mnt).st_mode & 0o7777))):
        try:
            call()
        except OSError as e:
            raise Fail("%s to the same value: %s" % (what, e))
    try:
        os.chmod(f, (st.st_mode & 0o7777) ^ 0o044)
        raise Fail("chmod to another mode succeeded")
    except OSError as e:
        check(e.errno == errno.EPERM, "chmod to another mode: %s, expected EPERM" % e)
    check(os.stat(f).st_mode == st.st_mode, "the mode changed")
    names_fixed(m.mnt, f)
    if lba == 4096 and sys.platform.startswith("linux"):
        direct_io_across_end(env, t, back, size)
    # Linux tells a dead mount by statvfs(); FreeBSD's answers for a dead server.
    if lba == 512 and sys.platform.startswith("linux"):
        t_data_dead_mount(env, t, m)
        return
    m.stop()
    check(not is_mounted(m.mnt), "still mounted after fusermount3 -u")


def names_fixed(mnt, f):
    """Files are the namespaces: creating, removing, renaming or linking fails
    with EPERM, every one the same way (rename, mkdir and symlink used to fail
    with ENOSYS)."""
    new = os.path.join(mnt, "new")
    calls = (("create", lambda: os.close(os.open(new, os.O_CREAT | os.O_WRONLY, 0o600))),
             ("mknod", lambda: os.mknod(new, 0o600 | stat.S_IFREG)),
             ("mkdir", lambda: os.mkdir(new)),
             ("symlink", lambda: os.symlink("n1", new)),
             ("link", lambda: os.link(f, new)),
             ("rename", lambda: os.rename(f, new)),
             ("unlink", lambda: os.unlink(f)))
    got = {}
    for what, call in calls:
        try:
            call()
            got[what] = "succeeded"
        except OSError as e:
            got[what] = errno.errorcode.get(e.errno, str(e.errno))
    # FreeBSD's mknod(2) refuses S_IFREG itself (EINVAL) before fusefs sees it.
    if platform.system() != "Linux" and got.get("mknod") == "EINVAL":
        got["mknod"] = "EPERM"
    check(all(v == "EPERM" for v in got.values()),
          "namespace-changing calls, expected EPERM each: %s" % got)
    check(os.path.exists(f) and not os.path.lexists(new), "the directory changed")


def odirect_across_end(f, back, size):
    """Linux: an O_DIRECT write across the end. The kernel would turn a short reply
    into EIO although the part was written, so nvmf-fuse refuses it whole (ENOSPC)
    and writes nothing. (FreeBSD returns a short direct write as it is.)"""
    import mmap
    buf = mmap.mmap(-1, 8192)
    buf.write(b"z" * 8192)
    before = read_all(back)[-4096:]
    fd = os.open(f, os.O_RDWR | os.O_DIRECT)
    try:
        try:
            n = os.pwritev(fd, [buf], size - 4096)
            raise Fail("O_DIRECT write across the end returned %d" % n)
        except OSError as e:
            check(e.errno == errno.ENOSPC, "O_DIRECT write across the end: %s, expected ENOSPC" % e)
    finally:
        os.close(fd)
    check(read_all(back)[-4096:] == before, "a refused O_DIRECT write changed the last block")
    check(read_all(f)[-4096:] == before, "a refused O_DIRECT write changed the file's last block")


def direct_io_across_end(env, t, back, size):
    """Linux: on a --direct-io mount any write may take the asynchronous direct path
    (every asynchronous one does since Linux 6.9), so a write across the end is
    refused whole there too (ENOSPC), with nothing written."""
    m2 = env.mount(t.uri(), mnt="mdio", args=["--direct-io"])
    before = read_all(back)[-4096:]
    fd = os.open(m2.file(), os.O_RDWR)
    try:
        try:
            n = os.pwrite(fd, b"d" * 100, size - 40)
            raise Fail("write across the end on a --direct-io mount returned %d" % n)
        except OSError as e:
            check(e.errno == errno.ENOSPC, "write across the end on a --direct-io mount: %s, "
                  "expected ENOSPC" % e)
    finally:
        os.close(fd)
    check(read_all(back)[-4096:] == before, "a refused write changed the last block")
    m2.stop()


def t_data_dead_mount(env, t, m):
    """A server killed outright leaves a dead mount: nvmf-fuse started again on it
    names the cause and the way out (exit 1), and does not call it "not a directory"."""
    os.kill(m.pid, signal.SIGKILL)
    check(wait_gone(m.pid, 10), "nvmf-fuse survived SIGKILL")
    m.pid = None
    r = subprocess.run([env.fuse_exe, m.mnt, t.uri(), "--hostnqn", HOSTNQN],
                       env=dict(os.environ, NVMF_RUNTIME_DIR=env.rundir),
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 1, "nvmf-fuse on a dead mount: exit %d (%s)" % (r.returncode, r.stderr))
    check("fusermount3 -u" in r.stderr and "not a directory" not in r.stderr,
          "nvmf-fuse on a dead mount said: %s" % r.stderr.strip())
    unmount(m.mnt, force=True)
    check(not is_mounted(m.mnt), "the dead mount is still there")


def t_data4k(env):
    t_data(env, lba=4096)


# ---- 8 parallel writers/readers -----------------------------------------------------

def t_parallel(env):
    size = 16 * MiB
    back = env.path("back.img")
    write_random_file(back, size)
    t = env.target([back])
    # Tiny queues: most requests wait for a free slot (nvmf-fuse's credits).
    m = env.mount(t.uri(), args=["--queue-size", "4"])
    f = m.file()
    shadow = bytearray(read_all(back))
    nthreads = 8
    # Slices with unaligned borders: neighbours share a block, so their
    # sub-block writes are read-modify-writes of the same blocks.
    borders = [0] + [i * (size // nthreads) + 333 * i for i in range(1, nthreads)] + [size]
    errors = []

    def worker(i):
        rnd = random.Random(1000 + i)
        lo, hi = borders[i], borders[i + 1]
        fd = os.open(f, os.O_RDWR)
        try:
            for it in range(150):
                n = rnd.choice([1, 7, 511, 512, 4096, 5000, 65536, 200000])
                n = min(n, hi - lo)
                off = rnd.randrange(lo, hi - n + 1)
                data = rnd.randbytes(n)
                check(os.pwrite(fd, data, off) == n, "short write")
                shadow[off:off + n] = data
                # Read back a random range of our own slice.
                roff = rnd.randrange(lo, hi)
                rn = min(rnd.choice([1, 513, 4096, 100000]), hi - roff)
                got = os.pread(fd, rn, roff)
                if got != bytes(shadow[roff:roff + rn]):
                    raise Fail("thread %d: read at %d+%d differs from what was written"
                               % (i, roff, rn))
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)
        finally:
            os.close(fd)

    ths = [threading.Thread(target=worker, args=(i,)) for i in range(nthreads)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(300)
        check(not th.is_alive(), "a worker hangs")
    if errors:
        raise Fail("worker failed: %s" % errors[0])
    fd = os.open(f, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    same(pread_direct(f, 0, size), bytes(shadow), "n1 and the writers' shadow copy")
    same(read_all(back), bytes(shadow), "the backing file and the writers' shadow copy")
    m.stop()


# ---- fallocate ------------------------------------------------------------------------

def t_punch(env):
    if not have_fallocate():
        log("SKIP: no fallocate(2) (Linux's) to punch holes with")
        sys.exit(SKIP)
    size = 32 * MiB
    back = env.path("back.img")
    write_random_file(back, size)
    t = env.target([back])
    m = env.mount(t.uri())
    f = m.file()
    ref = bytearray(read_all(back))
    fd = os.open(f, os.O_RDWR)
    try:
        blocks_before = os.stat(back).st_blocks
        # Unaligned edges: partial blocks are zeroed by read-modify-write.
        off, n = 4 * MiB + 100, 8 * MiB + 300
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, n)
        ref[off:off + n] = bytes(n)
        off2, n2 = 20 * MiB + 1, 3 * MiB
        fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off2, n2)
        ref[off2:off2 + n2] = bytes(n2)
        # Inside one block.
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 30 * MiB + 10, 20)
        ref[30 * MiB + 10:30 * MiB + 30] = bytes(20)
        # Past the end with KEEP_SIZE: clipped, size unchanged.
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, size - 1000, 1 << 30)
        ref[size - 1000:] = bytes(1000)
        for mode, what in ((FALLOC_FL_PUNCH_HOLE, "PUNCH_HOLE without KEEP_SIZE"),
                           (0x08, "COLLAPSE_RANGE")):
            try:
                fallocate(fd, mode, 0, 4096)
                raise Fail("%s succeeded" % what)
            except OSError as e:
                check(e.errno in (errno.EINVAL, errno.EOPNOTSUPP), "%s: %s" % (what, e))
        try:
            fallocate(fd, 0, size - 4096, 8192)
            raise Fail("fallocate growing the file succeeded")
        except OSError as e:
            check(e.errno in (errno.EFBIG, errno.ENOSPC, errno.EOPNOTSUPP), "grow: %s" % e)
        os.fsync(fd)
    finally:
        os.close(fd)
    check(os.stat(f).st_size == size, "size changed")
    same(pread_direct(f, 0, size), bytes(ref), "n1 after punch/zero and the expected data")
    same(read_all(back), bytes(ref), "the backing file after punch/zero")
    # nvmf-target deallocates by punching holes in its file: fewer blocks, and a
    # hole inside the punched range.
    blocks_after = os.stat(back).st_blocks
    check(blocks_after * 512 <= blocks_before * 512 - 4 * MiB,
          "backing file blocks %d -> %d: no hole punched" % (blocks_before, blocks_after))
    bfd = os.open(back, os.O_RDONLY)
    try:
        hole = os.lseek(bfd, 4 * MiB + 100, os.SEEK_HOLE)
        check(hole < 12 * MiB, "no hole in the backing file's punched range (at %d)" % hole)
    finally:
        os.close(bfd)
    m.stop()


# ---- mkfs.ext4, losetup, mount, fsck ----------------------------------------------

def t_ext4(env):
    need_root("losetup and mount")
    for tool in ("mkfs.ext4", "losetup", "fsck.ext4"):
        if subprocess.run(["which", tool], capture_output=True).returncode:
            log("SKIP: %s missing" % tool)
            sys.exit(77)
    size = 128 * MiB
    back = env.path("back.img")
    write_random_file(back, size)  # old data: punch-hole semantics matter
    t = env.target([back])
    m = env.mount(t.uri())
    f = m.file()

    def run(*cmd):
        r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, "%s: exit %d: %s%s" % (" ".join(cmd), r.returncode,
                                                         r.stdout, r.stderr))
        return r.stdout

    run("mkfs.ext4", "-q", "-F", f)
    dev = run("losetup", "--find", "--show", f).strip()
    env.loops.append(dev)
    fsdir = env.mkdir("fs")
    run("mount", dev, fsdir)
    env.fsmounts.append(fsdir)
    sums = {}
    rnd = random.Random(7)
    for i in range(40):
        data = rnd.randbytes(rnd.choice([100, 4096, 70000, 1 << 20]))
        p = os.path.join(fsdir, "d%d" % (i % 5), "file%d" % i)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as fh:
            fh.write(data)
        sums[p] = hashlib.sha256(data).hexdigest()
    run("sync")
    # Delete some so ext4 discards/frees blocks, then write more.
    for i in range(0, 40, 3):
        p = os.path.join(fsdir, "d%d" % (i % 5), "file%d" % i)
        os.unlink(p)
        del sums[p]
    run("fstrim", fsdir) if subprocess.run(["which", "fstrim"], capture_output=True) \
        .returncode == 0 else None
    run("umount", fsdir)
    env.fsmounts.remove(fsdir)
    out = run("fsck.ext4", "-f", "-n", dev)
    log(out.strip().splitlines()[-1] if out.strip() else "fsck clean")
    run("mount", dev, fsdir)
    env.fsmounts.append(fsdir)
    for p, h in sums.items():
        with open(p, "rb") as fh:
            check(hashlib.sha256(fh.read()).hexdigest() == h, "%s corrupted" % p)
    run("umount", fsdir)
    env.fsmounts.remove(fsdir)
    run("losetup", "-d", dev)
    env.loops.remove(dev)
    m.stop()
    # The backing file itself is a clean ext4 image.
    out = run("fsck.ext4", "-f", "-n", back)


# ---- SIGTERM during writes -------------------------------------------------------------

WRITER = r"""
import os, sys
f, first, n, rec = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fd = os.open(f, os.O_WRONLY)
for i in range(first, first + n):
    data = (b"%08d" % i) * (rec // 8)
    try:
        os.pwrite(fd, data, i * rec)
    except OSError as e:
        print("error %d %s" % (i, e), flush=True)
        break
    print("ack %d" % i, flush=True)
"""


def t_sigterm(env):
    """Four writers keep writes in flight; SIGTERM; every acknowledged write is
    on the target afterwards, and nvmf-fuse exits 0 leaving nothing behind."""
    size = 64 * MiB
    rec = 64 * 1024
    nwriters = 4
    per = size // rec // nwriters
    back = env.path("back.img")
    with open(back, "wb") as fh:
        fh.truncate(size)
    t = env.target([back])
    m = env.mount(t.uri(), foreground=True)
    acked, lock = [], threading.Lock()

    def reader(w):
        for line in w.stdout:
            if line.startswith("ack"):
                with lock:
                    acked.append(int(line.split()[1]))
                    if len(acked) == 300:
                        os.kill(m.pid, signal.SIGTERM)

    ws = [subprocess.Popen([sys.executable, "-c", WRITER, m.file(), str(i * per), str(per),
                            str(rec)], stdout=subprocess.PIPE, text=True)
          for i in range(nwriters)]
    ths = [threading.Thread(target=reader, args=(w,)) for w in ws]
    for th in ths:
        th.start()
    for w, th in zip(ws, ths):
        w.wait(120)
        th.join(30)
    rc = m.stop(how=signal.SIGTERM)
    check(rc == 0, "nvmf-fuse exited %s after SIGTERM, expected 0" % rc)
    check(not is_mounted(m.mnt), "still mounted after SIGTERM")
    check(not os.path.exists(m.pidfile), "pidfile left behind")
    check(not os.listdir(env.rundir), "state record left: %s" % os.listdir(env.rundir))
    check(len(acked) >= 300, "only %d writes acknowledged" % len(acked))
    check(t.stop() == 0, "nvmf-target did not exit cleanly")
    with open(back, "rb") as fh:
        for i in acked:
            fh.seek(i * rec)
            want = (b"%08d" % i) * (rec // 8)
            check(fh.read(rec) == want, "acknowledged write %d lost" % i)
    log("%d acknowledged writes all on the target" % len(acked))

    # A signal ignored when nvmf-fuse started (nohup) stays ignored: SIGHUP
    # changes nothing, SIGTERM still ends it cleanly.
    t = env.target([back])
    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        m = env.mount(t.uri(), mnt="mnt-nohup", foreground=True)
    finally:
        signal.signal(signal.SIGHUP, old)
    os.kill(m.pid, signal.SIGHUP)
    time.sleep(0.5)
    check(m.proc.poll() is None, "nvmf-fuse started with SIGHUP ignored ended on SIGHUP")
    check(is_mounted(m.mnt), "unmounted by an ignored SIGHUP")
    check(len(pread_direct(m.file(), 0, 4096)) == 4096, "read after SIGHUP failed")
    rc = m.stop(how=signal.SIGTERM)
    check(rc == 0, "nvmf-fuse exited %s after SIGTERM (SIGHUP ignored), expected 0" % rc)
    check(not is_mounted(m.mnt), "still mounted after SIGTERM")
    log("SIGHUP ignored at start stays ignored")


# ---- lost connection, not reconnecting -> EIO, not a hang ----------------------------

def t_lost(env):
    """With --ctrl-loss-tmo 0 (no reconnecting, release 0.1's behaviour) a target that
    dies fails the I/O with EIO at once, and the state record says dead."""
    back = env.path("back.img")
    write_random_file(back, 8 * MiB)
    t = env.target([back])
    io_timeout = 3
    m = env.mount(t.uri(), args=["--io-timeout", str(io_timeout), "--keep-alive-tmo", "2",
                                 "--ctrl-loss-tmo", "0"])
    f = m.file()
    check(len(pread_direct(f, 0, 4096)) == 4096, "first read failed")
    t.kill()  # SIGKILL: no shutdown, the connection just dies
    result = {}

    def io():
        for what, fn in (("read", lambda: pread_direct(f, MiB, 65536)),
                         ("write", lambda: os.pwrite(fd, b"z" * 4096, 0))):
            try:
                fn()
                result[what] = "succeeded"
            except OSError as e:
                result[what] = e.errno

    fd = os.open(f, os.O_WRONLY)
    th = threading.Thread(target=io, daemon=True)
    th.start()
    # A hang detector, not a timing assertion: generous beyond the I/O timeout.
    th.join(io_timeout + 60)
    check(not th.is_alive(), "I/O still blocked %d s after the target died" % (io_timeout + 60))
    check(result.get("read") == errno.EIO, "read after target death: %s, expected EIO"
          % result.get("read"))
    check(result.get("write") == errno.EIO, "write after target death: %s, expected EIO"
          % result.get("write"))
    end = time.monotonic() + 30
    while m.record()["state"] != "dead" and time.monotonic() < end:
        time.sleep(0.1)
    check(m.record()["state"] == "dead", "state record still says %s" % m.record()["state"])
    try:
        os.close(fd)
    except OSError:
        pass
    m.stop(how=signal.SIGTERM)
    check(not is_mounted(m.mnt), "still mounted")


def t_hang(env):
    """A target that stops answering (SIGSTOP), not reconnecting (--ctrl-loss-tmo 0):
    I/O fails with EIO after the I/O timeout instead of hanging; unmounting still
    works."""
    back = env.path("back.img")
    write_random_file(back, 8 * MiB)
    t = env.target([back])
    io_timeout = 3
    m = env.mount(t.uri(), args=["--io-timeout", str(io_timeout), "--ctrl-loss-tmo", "0"])
    f = m.file()
    check(len(pread_direct(f, 0, 4096)) == 4096, "first read failed")
    t.proc.send_signal(signal.SIGSTOP)
    result = {}

    def io():
        try:
            pread_direct(f, 2 * MiB, 65536)
            result["read"] = "succeeded"
        except OSError as e:
            result["read"] = e.errno

    th = threading.Thread(target=io, daemon=True)
    th.start()
    th.join(io_timeout + 60)  # hang detector, not a timing assertion
    try:
        check(not th.is_alive(), "read still blocked %d s after the target stopped"
              % (io_timeout + 60))
        check(result.get("read") == errno.EIO, "read from a stopped target: %s, expected EIO"
              % result.get("read"))
        m.stop(how=signal.SIGTERM)
        check(not is_mounted(m.mnt), "still mounted")
    finally:
        t.proc.send_signal(signal.SIGCONT)


def t_startstop(env):
    """nvmf-fuse (daemon mode) stopped while its server is still connecting, as nvmfctl
    connect stops it when its bound runs out: the server is told to stop too, and dies of
    it at once, its state record removed, instead of serving a mount nobody waits for."""
    back = env.path("back.img")
    write_random_file(back, 4 * MiB)
    t = env.target([back])
    mnt = env.mkdir("mnt")
    t.proc.send_signal(signal.SIGSTOP)  # its connections wait in the accept queue
    try:
        p = subprocess.Popen([env.fuse_exe, mnt, t.uri(), "-P", env.path("fuse.pid"),
                              "--hostnqn", HOSTNQN, "--nr-io-queues", "1",
                              "--connect-timeout", "30"],
                             env=dict(os.environ, NVMF_RUNTIME_DIR=env.rundir),
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        # (Not p.stderr.read() here: the server holds that pipe open.)
        check(p.poll() is None, "nvmf-fuse returned %s while the target was stopped"
              % p.returncode)
        p.send_signal(signal.SIGTERM)
        rc = p.wait(20)
        # The server writes to the same pipe ("Terminated while connecting"),
        # before or after the parent's line: read until the parent's, bounded.
        err, m = "", None
        end = time.monotonic() + 20
        while m is None and time.monotonic() < end:
            ready, _, _ = select.select([p.stderr], [], [], max(0.0, end - time.monotonic()))
            line = p.stderr.readline() if ready else ""
            if not line:
                break
            err += line
            m = re.search(r"the server \(pid (\d+)\) was starting; it was told to stop too",
                          line)
    finally:
        t.proc.send_signal(signal.SIGCONT)
    check(rc == -signal.SIGTERM, "nvmf-fuse exited %s after SIGTERM, expected to die of it: %s"
          % (rc, err))
    check(m, "no line naming the server it stopped: %r" % err)
    child = int(m.group(1))
    # While it connects, it dies of the SIGTERM at once, its record removed.
    check(wait_gone(child, 90), "the server (pid %d) still runs 90 s after it was told to "
          "stop" % child)
    check(not is_mounted(mnt), "still mounted after the server stopped")
    check(not os.listdir(env.rundir), "state record left: %s" % os.listdir(env.rundir))


def t_connectint(env):
    """^C on nvmf-fuse -f while it connects (the target stopped, so the connect waits
    for --connect-timeout): it stops at once, by the signal, with a line saying so,
    and leaves neither its state record nor the mount point it made."""
    back = env.path("back.img")
    write_random_file(back, 4 * MiB)
    t = env.target([back])
    t.proc.send_signal(signal.SIGSTOP)  # its connections wait in the accept queue
    try:
        # No mount point given: nvmf-fuse makes one in the runtime directory.
        p = subprocess.Popen([env.fuse_exe, t.uri(), "-f", "--hostnqn", HOSTNQN,
                              "--nr-io-queues", "1", "--connect-timeout", "30"],
                             env=dict(os.environ, NVMF_RUNTIME_DIR=env.rundir),
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        check(p.poll() is None, "nvmf-fuse returned %s while the target was stopped"
              % p.returncode)
        check(os.listdir(env.rundir), "no state record or mount point while connecting")
        p.send_signal(signal.SIGINT)
        try:
            rc = p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Fail("nvmf-fuse -f still connecting 10 s after SIGINT")
        err = p.stderr.read()
    finally:
        t.proc.send_signal(signal.SIGCONT)
    check(rc == -signal.SIGINT, "nvmf-fuse exited %s after SIGINT, expected to die of it: %s"
          % (rc, err))
    check("nvmf-fuse: Interrupt while connecting: stopping" in err, "stderr: %r" % err)
    check(not os.listdir(env.rundir), "left in the runtime directory: %s"
          % os.listdir(env.rundir))


# ---- outages: held, replayed, given up, revived ---------------------------------------

def direct_fd(path):
    return os.open(path, os.O_RDWR | os.O_DIRECT)


def fd_read(fd, off, n):
    import mmap
    buf = mmap.mmap(-1, n)
    got = os.preadv(fd, [buf], off)
    return bytes(buf[:got])


def fd_write(fd, off, data):
    import mmap
    buf = mmap.mmap(-1, len(data))
    buf[:] = data
    return os.pwritev(fd, [buf], off)


def wait_for(what, cond, timeout=30):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise Fail("still not %s after %d s" % (what, timeout))
        time.sleep(0.05)


def wait_lines(m, pats, timeout=30):
    """Every pattern matches a line of the foreground server's stderr."""
    end = time.monotonic() + timeout
    while True:
        err = m.stderr_text()
        missing = [p for p in pats if not re.search(p, err, re.M)]
        if not missing:
            return err
        if time.monotonic() > end:
            raise Fail("no line matching %r in nvmf-fuse's stderr:\n%s" % (missing[0], err))
        time.sleep(0.05)


def in_thread(fn):
    """Run fn in a thread; .result is its value or the OSError's errno."""
    th = threading.Thread(target=lambda: _run(th, fn), daemon=True)
    th.result = None
    th.start()
    return th


def _run(th, fn):
    try:
        th.result = fn()
    except OSError as e:
        th.result = e.errno


def t_outage(env):
    """The target is SIGKILLed under an open file and restarted on the same port: the
    read and the write issued meanwhile block (held, not failed), then complete once
    reconnected, through the same file descriptor; one line per transition, and the
    state record counts the outage. Then SIGUSR1 under a running writer: a reconnect
    no writer notices."""
    back = env.path("back.img")
    write_random_file(back, 8 * MiB)
    t = env.target([back])
    m = env.mount(t.uri(), foreground=True, args=["--reconnect-delay", "1"])
    fd = direct_fd(m.file())
    try:
        with open(back, "rb") as fh:
            want = fh.read()
        same(fd_read(fd, 0, 65536), want[:65536], "first read")
        t.kill()
        data = os.urandom(65536)
        w = in_thread(lambda: fd_write(fd, 3 * MiB, data) and os.fsync(fd))
        r = in_thread(lambda: fd_read(fd, 5 * MiB, 131072))
        wait_lines(m, [r"^nvmf-fuse: connection lost: .*; reconnecting \(ctrl_loss_tmo 600 s\)$",
                       r"^nvmf-fuse: reconnecting: attempt 1 of 600$"])
        time.sleep(1.5)
        check(w.is_alive() and r.is_alive(), "I/O did not wait for the connection: "
              "write %s, read %s" % (w.result, r.result))
        rec = m.record()
        check(rec["state"] in ("connecting", "resetting") and rec["outages"] == 1
              and rec["reconnects"] == 0 and rec["max_attempts"] == 600
              and rec["last_error"], "record during the outage: %s" % rec)
        t.restart([back])
        w.join(60)
        r.join(60)
        check(not w.is_alive() and not r.is_alive(), "I/O still blocked after the target "
              "came back")
        check(w.result is None, "write across the outage: %s" % w.result)
        same(r.result, want[5 * MiB:5 * MiB + 131072], "read across the outage")
        err = wait_lines(m, [r"^nvmf-fuse: reconnected after \d+ attempts?$"])
        check(not re.search(r"failed|gave up", err), "a failure was reported:\n" + err)
        wait_for("live in the record", lambda: m.record()["state"] == "live")
        rec = m.record()
        check(rec["outages"] == 1 and rec["reconnects"] == 1, "record after: %s" % rec)
        with open(back, "rb") as fh:
            fh.seek(3 * MiB)
            check(fh.read(65536) == data, "the write held across the outage is not on the "
                  "target")
        same(fd_read(fd, 0, 65536), want[:65536], "read after the outage, same descriptor")

        # SIGUSR1 with writes in flight: a reset nobody sees but the record.
        errors, acked = [], [0]
        stop = threading.Event()

        def writer():
            i = 0
            while not stop.is_set() and i < 100000:
                try:
                    fd_write(fd, (i % 64) * 65536, (b"%08d" % i) * 8192)
                    acked[0] = i
                except OSError as e:
                    errors.append(e)
                    return
                i += 1

        th = threading.Thread(target=writer, daemon=True)
        th.start()
        time.sleep(0.3)
        os.kill(m.pid, signal.SIGUSR1)
        wait_for("reconnected by SIGUSR1", lambda: m.record()["reconnects"] == 2)
        time.sleep(0.3)
        stop.set()
        th.join(60)
        check(not errors, "writes failed across SIGUSR1: %s" % errors)
        check(m.record()["state"] == "live", "state after SIGUSR1: %s" % m.record())
        wait_lines(m, [r"^nvmf-fuse: reconnect requested \(SIGUSR1\)$"])
        log("%d writes across the SIGUSR1 reconnect" % acked[0])
    finally:
        os.close(fd)
    check(m.stop(how=signal.SIGTERM) == 0, "nvmf-fuse did not exit 0")


def t_termheld(env):
    """SIGTERM while requests are held through an outage: nvmf-fuse fails them
    with EIO before it unmounts (an unmount first would end them with
    ECONNABORTED), without waiting for a reconnect (before, it waited the I/O
    timeout + 5 s for one), and exits leaving no mount."""
    back = env.path("back.img")
    write_random_file(back, 8 * MiB)
    t = env.target([back])
    io_timeout = 60
    m = env.mount(t.uri(), foreground=True,
                  args=["--reconnect-delay", "1", "--io-timeout", str(io_timeout)])
    fd = direct_fd(m.file())
    try:
        check(len(fd_read(fd, 0, 4096)) == 4096, "first read")
        t.kill()
        r = in_thread(lambda: fd_read(fd, MiB, 65536))
        w = in_thread(lambda: fd_write(fd, 2 * MiB, b"w" * 65536))
        wait_lines(m, [r"^nvmf-fuse: connection lost: "])
        time.sleep(0.5)
        check(r.is_alive() and w.is_alive(), "I/O was not held: read %s, write %s"
              % (r.result, w.result))
        os.kill(m.pid, signal.SIGTERM)
        # Not a timing assertion but a bound far from both outcomes: the
        # held requests end at once, where waiting for a reconnect would take
        # the I/O timeout (60 s) + 5 s.
        r.join(30)
        w.join(30)
        check(not r.is_alive() and not w.is_alive(),
              "I/O still blocked 30 s after SIGTERM (waiting for a reconnect?)")
        check(r.result == errno.EIO, "held read after SIGTERM: %s, expected EIO (%s)"
              % (r.result, errno.errorcode.get(r.result, r.result)))
        check(w.result == errno.EIO, "held write after SIGTERM: %s, expected EIO (%s)"
              % (w.result, errno.errorcode.get(w.result, w.result)))
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    m.stop(how=signal.SIGTERM)
    check(not is_mounted(m.mnt), "still mounted after SIGTERM")
    err = m.stderr_text()
    check("failing them" in err, "no word of the requests failed at shutdown:\n" + err)


def t_ramrestart(env):
    """A RAM target restarted on the same port is another namespace (its contents
    are gone): the reconnecting host must not take it for the old one, so a read
    held across the restart fails instead of returning the new namespace's zeroes,
    and so do reads after it."""
    t = env.target(["ram:8M"])
    m = env.mount(t.uri(), foreground=True, args=["--reconnect-delay", "1"])
    fd = direct_fd(m.file())
    try:
        data = os.urandom(65536)
        fd_write(fd, MiB, data)
        same(fd_read(fd, MiB, 65536), data, "read before the restart")
        t.kill()
        r = in_thread(lambda: fd_read(fd, MiB, 65536))
        wait_lines(m, [r"^nvmf-fuse: connection lost: "])
        t.restart(["ram:8M"])
        r.join(60)
        check(not r.is_alive(), "read still blocked after the target came back")
        check(r.result == errno.EIO, "read held across a RAM target's restart: %s, "
              "expected EIO (the old namespace is gone)"
              % ("%d bytes" % len(r.result) if isinstance(r.result, bytes) else r.result))
        try:
            fd_read(fd, MiB, 65536)
            raise Fail("a read after the restart succeeded")
        except OSError as e:
            check(e.errno in (errno.EIO, errno.ENOENT, errno.ENXIO),
                  "read after the restart: %s" % e)
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    check(m.stop(how=signal.SIGTERM) is not None, "nvmf-fuse did not stop")


def t_giveup(env):
    """A short --ctrl-loss-tmo with the target down: the held read fails with EIO once
    given up, new I/O fails at once, the record says dead and why; after the target is
    back, SIGUSR1 revives the connection and the same descriptor reads again."""
    back = env.path("back.img")
    write_random_file(back, 4 * MiB)
    t = env.target([back])
    m = env.mount(t.uri(), foreground=True,
                  args=["--reconnect-delay", "1", "--ctrl-loss-tmo", "2"])
    fd = direct_fd(m.file())
    try:
        with open(back, "rb") as fh:
            want = fh.read()
        same(fd_read(fd, 0, 4096), want[:4096], "first read")
        t.kill()
        r = in_thread(lambda: fd_read(fd, MiB, 4096))
        r.join(60)
        check(not r.is_alive(), "read still blocked 60 s after ctrl-loss-tmo 2")
        check(r.result == errno.EIO, "read once given up: %s, expected EIO" % r.result)
        wait_lines(m, [r"^nvmf-fuse: connection lost: .*; reconnecting \(ctrl_loss_tmo 2 s\)$",
                       r"^nvmf-fuse: reconnecting: attempt 2 of 2; attempt 1: ",
                       r"^nvmf-fuse: gave up: "])
        wait_for("dead in the record", lambda: m.record()["state"] == "dead")
        rec = m.record()
        check(rec["attempt"] == 2 and rec["max_attempts"] == 2 and rec["last_error"]
              and rec["outages"] == 1 and rec["reconnects"] == 0, "record: %s" % rec)
        try:
            fd_read(fd, 0, 4096)
            raise Fail("a read on a dead connection succeeded")
        except OSError as e:
            check(e.errno == errno.EIO, "read while dead: %s, expected EIO" % e)
        t.restart([back])
        os.kill(m.pid, signal.SIGUSR1)
        wait_for("reconnected by SIGUSR1", lambda: m.record()["reconnects"] == 1)
        check(m.record()["state"] == "live", "record: %s" % m.record())
        same(fd_read(fd, 2 * MiB, 4096), want[2 * MiB:2 * MiB + 4096],
             "read after the revival, same descriptor")
    finally:
        os.close(fd)
    m.stop(how=signal.SIGTERM)


def t_identity(env):
    """The target comes back with another namespace under NSID 1 (another size): it is
    not silently reused. Its file goes away, a line says why, and the descriptor still
    open on it fails rather than reading the other namespace's data."""
    back, other = env.path("back.img"), env.path("other.img")
    write_random_file(back, 4 * MiB)
    write_random_file(other, 6 * MiB)
    t = env.target([back])
    m = env.mount(t.uri(), foreground=True, args=["--reconnect-delay", "1"])
    fd = direct_fd(m.file())
    try:
        check(len(fd_read(fd, 0, 4096)) == 4096, "first read")
        t.restart([other])
        wait_lines(m, [r"^nvmf-fuse: reconnected after \d+ attempts?$",
                       r"^nvmf-fuse: namespace 1 removed: "])
        wait_for("n1 removed", lambda: os.listdir(m.mnt) == [])
        check(m.record()["namespaces"] == [], "record namespaces %s" % m.record()["namespaces"])
        try:
            got = fd_read(fd, 0, 4096)
            raise Fail("a read of the replaced namespace returned %d bytes" % len(got))
        except OSError as e:
            log("read of the replaced namespace: %s" % e)
    finally:
        os.close(fd)
    m.stop(how=signal.SIGTERM)


# ---- state record, names, lifecycle errors --------------------------------------------

def t_state(env):
    b1, b2 = env.path("b1.img"), env.path("b2.img")
    write_random_file(b1, 4 * MiB)
    write_random_file(b2, 8 * MiB)
    t = env.target([b1, b2])
    m0 = env.mount(t.uri(), mnt="m0")
    r = m0.record("nvmf0")
    want = {"pid": m0.pid, "mountpoint": os.path.realpath(m0.mnt), "address": "127.0.0.1",
            "port": t.port, "subnqn": NQN, "hostnqn": HOSTNQN, "state": "live"}
    for k, v in want.items():
        check(r.get(k) == v, "record %s = %r, expected %r" % (k, r.get(k), v))
    check(isinstance(r.get("cntlid"), int), "record has no cntlid")
    files = sorted((n["nsid"], n["file"], n["size"]) for n in r["namespaces"])
    check(files == [(1, os.path.join(os.path.realpath(m0.mnt), "n1"), 4 * MiB),
                    (2, os.path.join(os.path.realpath(m0.mnt), "n2"), 8 * MiB)],
          "record namespaces %s" % files)
    check(sorted(os.listdir(m0.mnt)) == ["n1", "n2"], "files %s" % os.listdir(m0.mnt))
    # Second connection: smallest free name; URI with /nsid shows only that one;
    # -r gives read-only files.
    m1 = env.mount(t.uri(nsid=2), mnt="m1", args=["-r"])
    check(os.path.exists(os.path.join(env.rundir, "nvmf1.json")), "second record not nvmf1")
    check(os.listdir(m1.mnt) == ["n2"], "files with /2: %s" % os.listdir(m1.mnt))
    check(os.stat(m1.file(2)).st_mode & 0o777 == 0o400, "read-only file mode")
    check(os.statvfs(m1.mnt).f_flag & os.ST_RDONLY, "-r is not a read-only mount (-o ro)")
    same(read_all(m1.file(2)), read_all(b2), "read-only n2 and its backing file")
    for flags in (os.O_WRONLY, os.O_RDWR):
        try:
            os.close(os.open(m1.file(2), flags))
            raise Fail("opening a read-only file for writing succeeded")
        except OSError as e:
            check(e.errno == errno.EROFS, "open for write: %s, expected EROFS" % e)
    # A name in use is refused; the parent reports the child's error.
    bad = env.mount(t.uri(), mnt="m2", name="nvmf0", expect_fail=True)
    check(bad.rc != 0 and "in use" in bad.stderr, "duplicate name: %d %s" % (bad.rc, bad.stderr))
    # Nothing listening: non-zero exit with the reason, no record left.
    dead = env.mount("nvme+tcp://127.0.0.1:1/" + NQN, mnt="m3", expect_fail=True)
    check(dead.rc != 0 and "connect" in dead.stderr, "dead target: %d %s"
          % (dead.rc, dead.stderr))
    # Default mountpoint <runtime dir>/<name>/ with --name.
    m4 = env.mount(t.uri(nsid=1), mnt=None, name="named")
    r4 = m4.record("named")
    m4.mnt = os.path.join(env.rundir, "named")
    check(r4["mountpoint"] == os.path.realpath(m4.mnt), "default mountpoint %s"
          % r4["mountpoint"])
    check(os.listdir(m4.mnt) == ["n1"], "default mountpoint content")
    check(sorted(os.listdir(env.rundir)) == ["named", "named.json", "nvmf0.json", "nvmf1.json"],
          "runtime dir: %s" % sorted(os.listdir(env.rundir)))
    for m in (m4, m1):
        m.stop()
    m0.stop(how=signal.SIGINT)
    check(os.listdir(env.rundir) == [], "left in the runtime dir: %s" % os.listdir(env.rundir))


# ---- namespace changes -----------------------------------------------------------------

def wait_files(m, want):
    """The mount's files become want (sorted names), within 30 s."""
    end = time.monotonic() + 30
    while sorted(os.listdir(m.mnt)) != want and time.monotonic() < end:
        time.sleep(0.1)
    check(sorted(os.listdir(m.mnt)) == want, "files %s, expected %s"
          % (sorted(os.listdir(m.mnt)), want))


def t_nschange(env):
    b1, b2 = env.path("b1.img"), env.path("b2.img")
    write_random_file(b1, 4 * MiB)
    write_random_file(b2, 6 * MiB)
    cfg = env.path("target.conf")
    with open(cfg, "w") as fh:
        fh.write("subsystem %s\nnamespace %s nsid=1\n" % (NQN, b1))
    t = env.target([], config=cfg)
    m = env.mount(t.uri())
    check(os.listdir(m.mnt) == ["n1"], "files %s" % os.listdir(m.mnt))

    with open(cfg, "w") as fh:
        fh.write("subsystem %s\nnamespace %s nsid=1\nnamespace %s nsid=2\n" % (NQN, b1, b2))
    t.proc.send_signal(signal.SIGHUP)
    wait_files(m, ["n1", "n2"])
    check(os.stat(m.file(2)).st_size == 6 * MiB, "n2 size")
    same(read_all(m.file(2)), read_all(b2), "new n2 and its backing file")
    names = [n["nsid"] for n in m.record()["namespaces"]]
    end = time.monotonic() + 10
    while names != [1, 2] and time.monotonic() < end:
        time.sleep(0.1)
        names = [n["nsid"] for n in m.record()["namespaces"]]
    check(names == [1, 2], "record namespaces %s" % names)
    with open(cfg, "w") as fh:
        fh.write("subsystem %s\nnamespace %s nsid=2\n" % (NQN, b2))
    t.proc.send_signal(signal.SIGHUP)
    wait_files(m, ["n2"])
    m.stop()


def t_nsreadd(env):
    """A namespace the controller detaches and later attaches again at the same NSID,
    with another disk behind it, is another file: a descriptor opened on the first
    keeps failing with EIO (writes must not land on the new disk), the new file has
    another inode, and each change has its line on stderr."""
    b1, b2, b3 = env.path("b1.img"), env.path("b2.img"), env.path("b3.img")
    for b in (b1, b2, b3):
        write_random_file(b, 4 * MiB)
    cfg = env.path("target.conf")

    def config(*nsids):
        with open(cfg, "w") as fh:
            fh.write("subsystem %s\n" % NQN)
            for nsid, back in nsids:
                fh.write("namespace %s nsid=%d\n" % (back, nsid))

    def fails_eio(what, fn):
        try:
            fn()
        except OSError as e:
            check(e.errno == errno.EIO, "%s: %s, expected EIO" % (what, e))
            return
        raise Fail("%s succeeded" % what)

    config((1, b1), (2, b2))
    t = env.target([], config=cfg)
    m = env.mount(t.uri(), foreground=True)
    wait_files(m, ["n1", "n2"])
    fd = direct_fd(m.file(2))
    try:
        old_ino = os.fstat(fd).st_ino
        config((1, b1))
        t.proc.send_signal(signal.SIGHUP)
        wait_files(m, ["n1"])
        wait_lines(m, [r"^nvmf-fuse: namespace 2 removed by the controller: n2 is gone"])
        fails_eio("a write on the removed namespace's descriptor",
                  lambda: fd_write(fd, 0, b"\xa5" * 4096))
        want3 = read_all(b3)
        config((1, b1), (2, b3))
        t.proc.send_signal(signal.SIGHUP)
        wait_files(m, ["n1", "n2"])
        wait_lines(m, [r"^nvmf-fuse: namespace 2 attached again: a new n2"])
        check(os.stat(m.file(2)).st_ino != old_ino,
              "the namespace attached again kept inode %d" % old_ino)
        fails_eio("a write on the old descriptor after the NSID was attached again",
                  lambda: fd_write(fd, 0, b"\x5a" * 4096))
        fails_eio("a read on the old descriptor", lambda: fd_read(fd, 0, 4096))
        same(read_all(b3), want3, "the new disk after writes on the old descriptor")
        same(read_all(m.file(2)), want3, "the new n2 and its disk")
    finally:
        os.close(fd)
    m.stop(how=signal.SIGTERM)


def t_nsblip(env):
    """A namespace the library finds unusable for a while (an Identify that failed
    during a reconnect's scan) and then the same again is the same file: its file
    goes and comes back under the same inode, and a descriptor opened before works
    again (only an NSID that left the controller's list becomes a new file)."""
    f = env.fake("ns-id-blip")
    m = env.mount(f.uri(), foreground=True)
    fd = direct_fd(m.file())
    try:
        ino = os.fstat(fd).st_ino
        data = os.urandom(8192)
        fd_write(fd, 0, data)
        os.kill(m.pid, signal.SIGUSR1)      # reconnect: its scan's Identify fails
        wait_lines(m, [r"^nvmf-fuse: namespace 1 removed: "])
        os.kill(m.pid, signal.SIGUSR1)      # and the next one reads it again
        wait_lines(m, [r"^nvmf-fuse: namespace 1 added: n1$"])
        check(os.stat(m.file()).st_ino == ino, "n1 came back under another inode")
        same(fd_read(fd, 0, 8192), data, "a read on the descriptor opened before")
        fd_write(fd, 8192, data)
    finally:
        os.close(fd)
    m.stop(how=signal.SIGTERM)


def t_maxread(env):
    """-o max_read=N, nvmf-fuse.1's example of a FUSE mount option: the mount serves
    (libfuse ends a session whose init() asks for another max_read than the mount's),
    and a value that is no byte count is refused before mounting, with exit status 2."""
    back = env.path("b.img")
    write_random_file(back, 4 * MiB)
    t = env.target([back])
    m = env.mount(t.uri(), args=["-o", "max_read=65536"])
    check(is_mounted(m.mnt), "-o max_read=65536: exit 0 but not mounted")
    same(read_all(m.file()), read_all(back), "n1 read with max_read=65536")
    bad = env.mount(t.uri(), mnt="mnt2", args=["-o", "max_read=0"], expect_fail=True)
    check(bad.rc == 2 and "max_read=0" in bad.stderr,
          "-o max_read=0: exit %d, %r" % (bad.rc, bad.stderr))
    m.stop()


# ---- failures carry their cause -------------------------------------------------------

def t_fault(env):
    """A controller that breaks NVMe/TCP on a read (C2HData out of order,
    tests/fake): the read fails with EIO and nvmf-fuse's stderr says why in the
    library's words -- the library itself printing nothing. The subsystem NQN
    holds 0xFF (as one copied from a hostile discovery record could; control
    characters are refused by the URI parser): the state record stays ASCII
    JSON, the NQN escaped. Not reconnecting (--ctrl-loss-tmo 0): the fake
    breaks every connection the same way. Then a namespace too large for a file."""
    f = env.fake("c2h-out-of-order")
    m = env.mount(f.uri(nqn=NQN + "%FF"), foreground=True, args=["--ctrl-loss-tmo", "0"])
    end = time.monotonic() + 30
    while True:  # written in full once the mount serves, claimed before
        with open(os.path.join(env.rundir, "nvmf0.json"), "rb") as fh:
            raw = fh.read()
        try:
            rec = json.loads(raw.decode("ascii"))
        except ValueError as e:
            raise Fail("state record is not ASCII JSON (%s): %r" % (e, raw))
        if "subnqn" in rec or time.monotonic() > end:
            break
        time.sleep(0.05)
    check(rec.get("subnqn") == NQN + "\\xff", "record subnqn %r" % rec.get("subnqn"))
    try:
        pread_direct(m.file(), 0, 4096)
        raise Fail("a read the controller answered out of order succeeded")
    except OSError as e:
        check(e.errno == errno.EIO, "read: %s, expected EIO" % e)
    cause = r"queue [12]: protocol error: C2HData: DATAO 2048, expected 0 \(data out of order\)"
    want = [r"^nvmf-fuse: n1: read of 4096 bytes at offset 0 failed: Input/output error "
            r"\[Read failed: " + cause + r".*\]$",
            r"^nvmf-fuse: connection lost: " + cause + r".*; not reconnecting \(ctrl_loss_tmo 0\)$"]
    end = time.monotonic() + 30
    while not all(re.search(w, m.stderr_text(), re.M) for w in want) and \
            time.monotonic() < end:
        time.sleep(0.1)
    m.stop(how=signal.SIGTERM)
    err = m.stderr_text()
    for w in want:
        check(re.search(w, err, re.M), "no line matching %r in nvmf-fuse's stderr:\n%s"
              % (w, err))
    check("libnvmf:" not in err, "the library printed by itself:\n" + err)
    # A namespace of 2^63 bytes is beyond a file's size (off_t): not served, with a line
    # saying why, rather than a file every stat of which fails with EIO.
    f = env.fake("ns-huge")
    m = env.mount(f.uri(), mnt="mnt-huge", foreground=True, args=["--ctrl-loss-tmo", "0"])
    wait_lines(m, [r"^nvmf-fuse: namespace 1 not served: its size, 9223372036854775808 "
                   r"bytes, is beyond a file's \(2\^63 - 1\)$"])
    check(os.listdir(m.mnt) == [], "mount lists %s" % os.listdir(m.mnt))
    m.stop(how=signal.SIGTERM)


# ---- block size and transfer limit (tests/fake) ----------------------------------------

def fake_pattern(off, n):
    """The fake's initial bytes at [off, off + n) (fake_pattern() in tests/fake)."""
    return bytes(((o * 7 + (o >> 9) * 13 + 3) & 0xff) for o in range(off, off + n))


def t_bigblock(env):
    """1 MiB blocks (LBADS 20) without Write Zeroes or Deallocate (ONCS 0, DLFEAT 0):
    fallocate zeroes a block by writing zeroes from nvmf-fuse's memory. Its zero
    buffer is 256 KiB: each such write took a whole 1 MiB block from it, 768 KiB of
    the heap beyond (helper-81's finding; ASan: heap-buffer-overflow in writev), and
    fallocate said 0. Now every block written reads back as zeroes, its neighbours
    untouched, with no transfer limit (MDTS 0) and with one of exactly a block
    (MDTS 8: 1 MiB)."""
    if not have_fallocate():
        log("SKIP: no fallocate(2) (Linux's) to zero ranges with")
        sys.exit(SKIP)
    blk = MiB
    for mdts in ("0", "8"):
        f = env.fake("good", ["--lbads", "20", "--mdts", mdts, "--no-zeroes"])
        m = env.mount(f.uri(), mnt="mnt-mdts" + mdts, foreground=True,
                      args=["--ctrl-loss-tmo", "0"])
        fd = os.open(m.file(), os.O_RDWR)
        try:
            check(os.fstat(fd).st_size == 4 * blk, "size %d" % os.fstat(fd).st_size)
            # Whole blocks: zeroed, then a hole punched (no Deallocate: zeroes written).
            fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, blk, blk)
            fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 3 * blk, blk)
        finally:
            os.close(fd)
        want = fake_pattern(0, blk) + bytes(blk) + fake_pattern(2 * blk, blk) + bytes(blk)
        got = pread_direct(m.file(), 0, 4 * blk)
        if got != want:
            d = first_diff(got, want)
            raise Fail("MDTS %s: after zeroing blocks 1 and 3 (%d bytes read), byte %d "
                       "differs: %r, expected %r" % (mdts, len(got), d, got[d:d + 8],
                                                     want[d:d + 8]))
        m.stop(how=signal.SIGTERM)
        err = m.stderr_text()
        check("AddressSanitizer" not in err, "nvmf-fuse's stderr:\n" + err)
        f.stop()


def t_blocklimit(env):
    """1 MiB blocks behind a 128 KiB transfer limit (MDTS 5): no command can carry one
    block. n1 was listed and every read of it failed with EIO; now it is not served,
    with a line naming both sizes, like the other namespaces nvmf-fuse cannot serve."""
    f = env.fake("good", ["--lbads", "20", "--mdts", "5"])
    m = env.mount(f.uri(), foreground=True, args=["--ctrl-loss-tmo", "0"])
    wait_lines(m, [r"^nvmf-fuse: namespace 1 not served: its block size, 1048576 bytes, "
                   r"exceeds the controller's transfer limit \(MDTS\), 131072 bytes$"])
    check(os.listdir(m.mnt) == [], "mount lists %s" % os.listdir(m.mnt))
    m.stop(how=signal.SIGTERM)


def t_xfershrink(env):
    """The transfer limit shrinks across a reconnect (MDTS 5, 128 KiB, then MDTS 1,
    8 KiB: fake --mdts2, SIGUSR1 drops its connections). nvmf-fuse computed its
    command size once at startup, so every 64 KiB read failed with EIO after the
    reconnect (helper-81's fuse_mdts.sh); now requests are cut by the limit of the
    latest connection, and a line says it changed. FUSE's 1 MiB requests (fixed at
    mount) are still served, in 8 KiB commands."""
    f = env.fake("good", ["--mdts", "5", "--mdts2", "1"])
    m = env.mount(f.uri(), foreground=True, args=["--reconnect-delay", "1"])
    fd = direct_fd(m.file())
    try:
        check(fd_read(fd, 0, 64 << 10) == fake_pattern(0, 64 << 10), "64 KiB read before")
        f.proc.send_signal(signal.SIGUSR1)
        wait_lines(m, [r"^nvmf-fuse: reconnected after \d+ attempts?$"])
        for off, n in ((128 << 10, 64 << 10), (0, MiB)):
            try:
                got = fd_read(fd, off, n)
            except OSError as e:
                raise Fail("%d-byte read at %d after the reconnect (MDTS 8 KiB): %s"
                           % (n, off, e))
            check(got == fake_pattern(off, n), "%d-byte read at %d after the reconnect: "
                  "wrong data" % (n, off))
        data = os.urandom(64 << 10)
        check(fd_write(fd, 256 << 10, data) == len(data), "64 KiB write after")
        check(fd_read(fd, 256 << 10, len(data)) == data, "64 KiB write read back")
    finally:
        os.close(fd)
    wait_lines(m, [r"^nvmf-fuse: the controller's transfer limit \(MDTS\) is now 8192 bytes "
                   r"\(it was 131072 bytes\)$"])
    m.stop(how=signal.SIGTERM)
    err = m.stderr_text()
    check("AddressSanitizer" not in err and " failed: " not in err,
          "nvmf-fuse's stderr:\n" + err)


def t_xferheld(env):
    """I/O held through an outage comes back against a smaller transfer limit (MDTS 5,
    128 KiB, then 1, 8 KiB: fake --mdts2): the fake is stopped (SIGSTOP) under reads
    and writes larger than 8 KiB, nvmf-fuse reconnects (SIGUSR1: the commands in
    flight are held) and more are submitted while its attempt waits. (After the
    fake's own drop, SIGUSR1 to it, the first attempt starts at once and succeeds
    within milliseconds: whether a request falls into that outage is timing.) The
    library replays them after the reconnect and fails each with EINVAL for its
    length; nvmf-fuse answered their requests with EIO. Now it cuts each such
    command again by the new limit: every request succeeds, and what was written
    reads back."""
    f = env.fake("good", ["--mdts", "5", "--mdts2", "1"])
    m = env.mount(f.uri(), foreground=True, args=["--reconnect-delay", "2"])
    fd = direct_fd(m.file())
    # Apart: the fake's pattern where only reads go, random data where writes go.
    # Linux sends one O_DIRECT write of a file at a time (the inode lock): the
    # first is held; the others follow it after the reconnect.
    reads = [(0, MiB), (MiB, 64 << 10), (MiB + (256 << 10), 128 << 10)]
    writes = [(2 * MiB + i * (128 << 10), os.urandom(n))
              for i, n in enumerate((64 << 10, 128 << 10, 16 << 10, 96 << 10))]
    ths = []
    stopped = False
    try:
        check(fd_read(fd, 0, 64 << 10) == fake_pattern(0, 64 << 10), "64 KiB read before")

        def start(rs, ws):
            for off, n in rs:
                ths.append(("%d-byte read at %d" % (n, off),
                            in_thread(lambda off=off, n=n: fd_read(fd, off, n))))
            for off, data in ws:
                ths.append(("%d-byte write at %d" % (len(data), off),
                            in_thread(lambda off=off, data=data: [fd_write(fd, off, data)])))

        # In flight when the connection goes: sent, never answered.
        f.proc.send_signal(signal.SIGSTOP)
        stopped = True
        # Stopped once the parent hears of it: before every thread of the fake
        # stopped, one answered the first reads (about 1 run in 60 under ASan).
        _, st = os.waitpid(f.proc.pid, os.WUNTRACED)
        check(os.WIFSTOPPED(st), "the fake did not stop: status %#x" % st)
        start(reads[:2], writes[:2])
        time.sleep(0.5)
        os.kill(m.pid, signal.SIGUSR1)
        wait_lines(m, [r"^nvmf-fuse: reconnecting: attempt 1 of \d+$"])
        # Submitted during the outage: its first attempt waits for the stopped fake.
        start(reads[2:], writes[2:])
        time.sleep(0.5)
        done = [what for what, th in ths if not th.is_alive()]
        check(not done, "not held through the outage: %s" % done)
        f.proc.send_signal(signal.SIGCONT)
        stopped = False
        wait_lines(m, [r"^nvmf-fuse: reconnected after \d+ attempts?$"])
        for what, th in ths:
            th.join(60)
            check(not th.is_alive(), "%s: still blocked after the reconnect" % what)
        # A failure is its errno; a read's result is its bytes, a write's its count.
        failed = ["%s: %s" % (what, errno.errorcode.get(th.result, th.result))
                  for what, th in ths if isinstance(th.result, int)]
        check(not failed, "held across the outage, then failed after the reconnect "
              "(MDTS 8 KiB): %s" % failed)
        for (off, n), (what, th) in zip(reads, [t for t in ths if " read " in t[0]]):
            check(th.result == fake_pattern(off, n), "%s: wrong data" % what)
        for (off, data), (what, th) in zip(writes, [t for t in ths if " write " in t[0]]):
            check(th.result == [len(data)], "%s: returned %s" % (what, th.result))
        for off, data in writes:
            check(fd_read(fd, off, len(data)) == data, "%d-byte write at %d held across "
                  "the outage: not what reads back" % (len(data), off))
    finally:
        if stopped:
            f.proc.send_signal(signal.SIGCONT)
        os.close(fd)
    wait_lines(m, [r"^nvmf-fuse: the controller's transfer limit \(MDTS\) is now 8192 bytes "
                   r"\(it was 131072 bytes\)$"])
    m.stop(how=signal.SIGTERM)
    err = m.stderr_text()
    check("AddressSanitizer" not in err and " failed: " not in err,
          "nvmf-fuse's stderr:\n" + err)


def rss_kib(pid, field="VmRSS"):
    """Resident KiB of pid now (VmRSS), or its peak (VmHWM)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise Fail("no %s for pid %d" % (field, pid))


def t_idletrim(env):
    """An idle mount gives back what a burst of large requests left in its pool.
    fio's 1 MiB direct writes and reads, 64 in flight, make nvmf-fuse keep a receive
    buffer and a data buffer per request (about 100 MiB, which it kept for good before:
    helper-102's report); once no request came for a tick (2 s), the pool is cut to a
    couple of buffers. The memory must go at least halfway back to where it was
    before the burst within 20 s. Linux only (/proc); not under a sanitizer, whose
    allocator keeps freed memory in quarantine."""
    if not os.path.exists("/proc/self/status"):
        log("SKIP: needs /proc")
        sys.exit(SKIP)
    if not shutil.which("fio"):
        log("SKIP: fio is not installed")
        sys.exit(SKIP)
    with open(env.fuse_exe, "rb") as f:
        if re.search(rb"__(asan|tsan|msan)_init", f.read()):
            log("SKIP: nvmf-fuse is built with a sanitizer")
            sys.exit(SKIP)
    t = env.target(["ram:64M"])
    m = env.mount(t.uri(), foreground=True)
    before = rss_kib(m.pid)
    for rw in ("write", "read"):
        r = subprocess.run(["fio", "--name=burst", "--filename=" + m.file(),
                            "--ioengine=libaio", "--direct=1", "--rw=" + rw, "--bs=1M",
                            "--iodepth=64", "--size=48M", "--output-format=terse"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "fio %s: exit %d: %s" % (rw, r.returncode, r.stderr))
    # The peak: by the time fio has ended, the trim may have begun.
    after = rss_kib(m.pid, "VmHWM")
    log("nvmf-fuse resident: %d KiB before, %d KiB at the peak of the burst"
        % (before, after))
    check(after - before >= 16 * 1024, "the burst did not grow nvmf-fuse by 16 MiB "
          "(%d -> %d KiB): the test measures nothing" % (before, after))
    goal = before + (after - before) // 2
    end = time.monotonic() + 20
    while rss_kib(m.pid) > goal:
        if time.monotonic() > end:
            raise Fail("nvmf-fuse still holds %d KiB 20 s after the burst (%d before it, "
                       "%d at its peak): an idle mount keeps what the burst took"
                       % (rss_kib(m.pid), before, after))
        time.sleep(0.2)
    log("nvmf-fuse resident after idling: %d KiB" % rss_kib(m.pid))
    m.stop(how=signal.SIGTERM)


TESTS = {"data": t_data, "data4k": t_data4k, "parallel": t_parallel, "punch": t_punch,
         "ext4": t_ext4, "sigterm": t_sigterm, "lost": t_lost, "hang": t_hang, "state": t_state,
         "nschange": t_nschange, "nsreadd": t_nsreadd, "nsblip": t_nsblip, "maxread": t_maxread, "connectint": t_connectint, "fault": t_fault, "outage": t_outage, "termheld": t_termheld, "ramrestart": t_ramrestart, "giveup": t_giveup,
         "identity": t_identity, "startstop": t_startstop,
         "bigblock": t_bigblock, "blocklimit": t_blocklimit,
         "xfershrink": t_xfershrink, "idletrim": t_idletrim, "xferheld": t_xferheld}

if __name__ == "__main__":
    sys.exit(main(TESTS))
