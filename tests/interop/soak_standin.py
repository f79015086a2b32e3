#!/usr/bin/env python3
"""Stand-in for bench/soak's nvmf-soak until it is on main: the same command line
and summary line, a simpler writer.

  soak_standin.py --file PATH --block-size 4096 --blocks N --fsync-every K --seed S
                  (--duration SEC | --writes N) [--journal PATH] [--progress PATH]

Writes blocks chosen at random (seeded), each stamped with its index, a
generation (the write's sequence number) and a CRC-32; fsync every K writes;
after each fsync the generations it covered are acknowledged (journal line
"ack GEN BLOCK..."). Stops after the duration, the write count, or SIGTERM /
SIGINT, then reads every acknowledged block back with O_DIRECT: a block whose
stamp is older than its acknowledged generation is lost, one whose stamp or
checksum is wrong is corrupt. Last line:
  soak: writes=.. acked=.. lost=.. corrupt=.. errors=..
Exit 0 iff nothing was lost or corrupt and no call failed.
"""
import argparse
import hashlib
import mmap
import os
import random
import signal
import struct
import sys
import time
import zlib

MAGIC = b"NVMFSOAK"
HDR = struct.Struct("<8sQQQ")     # magic, block, generation, seed


def stamp(bs, seed, block, gen):
    hdr = HDR.pack(MAGIC, block, gen, seed)
    fill = hashlib.sha256(hdr).digest()
    body = hdr + (fill * (bs // len(fill) + 1))[:bs - len(hdr) - 4]
    return body + struct.pack("<I", zlib.crc32(body))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--block-size", type=int, default=4096)
    ap.add_argument("--blocks", type=int, required=True)
    ap.add_argument("--fsync-every", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=float)
    ap.add_argument("--writes", type=int)
    ap.add_argument("--journal")
    ap.add_argument("--progress")
    a = ap.parse_args()
    bs = a.block_size
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *x: stop.append(1))
    rng = random.Random(a.seed)
    journal = open(a.journal, "w", buffering=1) if a.journal else None
    print("soak: file %s blocks %d x %d, fsync every %d, seed %d" % (a.file, a.blocks, bs, a.fsync_every,
                                                                   a.seed), flush=True)
    acked = {}          # block -> last acknowledged generation
    written = {}        # block -> generations written since that acknowledgement
    pending = []
    writes = nacked = errors = 0
    end = time.monotonic() + a.duration if a.duration else None

    def progress():
        if a.progress:
            with open(a.progress + ".tmp", "w") as f:
                f.write("writes=%d acked=%d errors=%d\n" % (writes, nacked, errors))
            os.replace(a.progress + ".tmp", a.progress)

    def sync(fd):
        nonlocal nacked
        os.fsync(fd)
        if pending:
            for gen, blk in pending:
                acked[blk] = gen
                written[blk] = [g for g in written[blk] if g >= gen]
            nacked += len(pending)
            if journal:
                journal.write("ack %d %s\n" % (pending[-1][0], " ".join(str(b) for _, b in pending)))
            pending.clear()
        progress()

    fd = os.open(a.file, os.O_RDWR)
    try:
        while not stop and (end is None or time.monotonic() < end) and (a.writes is None or writes < a.writes):
            blk = rng.randrange(a.blocks)
            gen = writes + 1
            written.setdefault(blk, []).append(gen)
            os.pwrite(fd, stamp(bs, a.seed, blk, gen), blk * bs)
            writes += 1
            pending.append((gen, blk))
            if len(pending) >= a.fsync_every:
                sync(fd)
        sync(fd)
    except OSError as e:
        errors += 1
        print("soak: write %d failed: %s" % (writes + 1, e), flush=True)
        progress()
    finally:
        os.close(fd)
    # Read back what was acknowledged, around the page cache.
    lost = corrupt = 0
    try:
        fd = os.open(a.file, os.O_RDONLY | os.O_DIRECT)
        buf = mmap.mmap(-1, bs)
        try:
            for blk in sorted(acked):
                os.lseek(fd, blk * bs, os.SEEK_SET)
                if os.readv(fd, [buf]) != bs:
                    raise OSError(0, "short read of block %d" % blk)
                data = bytes(buf)
                magic, b, gen, seed = HDR.unpack_from(data)
                if magic != MAGIC or b != blk or seed != a.seed or data != stamp(bs, a.seed, blk, gen):
                    corrupt += 1
                    print("soak: block %d corrupt (stamp %r block %d gen %d)" % (blk, magic, b, gen))
                elif gen < acked[blk] or (gen > acked[blk] and gen not in written.get(blk, [])):
                    lost += 1
                    print("soak: block %d lost: holds generation %d, acknowledged %d" % (blk, gen, acked[blk]))
        finally:
            os.close(fd)
    except OSError as e:
        errors += 1
        print("soak: read-back failed: %s" % e)
    print("soak: writes=%d acked=%d lost=%d corrupt=%d errors=%d" % (writes, nacked, lost, corrupt, errors),
          flush=True)
    return 0 if not (lost or corrupt or errors) else 1


if __name__ == "__main__":
    sys.exit(main())
