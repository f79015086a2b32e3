#!/usr/bin/env python3
"""Stand-in for bench/soak's nvmf-soak while it is not built: the same command line,
progress lines and summary line, a simpler writer (and its own journal format).

  soak_standin.py --file PATH --block-size 4096 --blocks N --fsync-every K --seed S
                  [--duration SEC | --writes N] [--journal PATH] [--progress PATH]
                  [--verify-only] [--direct] [--quiet]

Writes blocks chosen at random (seeded), each stamped with its index, a
generation (the write's sequence number), the seed and a CRC-32; fsync every
K writes: a good fsync acknowledges every write before it. The journal has a
line "w BLOCK GEN" before each write and "a GEN" after each good fsync.
Progress lines (appended): "<monotonic s> fsync N writes M". Stops after the
duration, the write count or SIGTERM/SIGINT, then reads every written block
back (O_DIRECT): a block older than its acknowledged generation is lost, one
whose stamp or checksum is wrong is corrupt. --verify-only checks --file
against --journal without writing. Last line:
  soak: writes=.. fsyncs=.. acked=.. checked=.. lost=.. corrupt=.. errors=..
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
    ap.add_argument("--verify-only", action="store_true")
    ap.add_argument("--direct", action="store_true", help="accepted; the read-back is always O_DIRECT")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    bs = a.block_size
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *x: stop.append(1))
    acked = {}          # block -> last acknowledged generation
    newer = {}          # block -> generations written after it (outcome unknown)
    writes = fsyncs = nacked = errors = 0
    pfile = open(a.progress, "a", buffering=1) if a.progress else None

    def progress(text):
        if pfile:
            pfile.write("%.6f %s\n" % (time.monotonic(), text))

    def ack(gen):
        for blk, gens in newer.items():
            done = [g for g in gens if g <= gen]
            if done:
                acked[blk] = max(done)
                newer[blk] = [g for g in gens if g > gen]

    if a.verify_only:
        with open(a.journal) as j:
            for line in j:
                f = line.split()
                if f and f[0] == "w":
                    newer.setdefault(int(f[1]), []).append(int(f[2]))
                elif f and f[0] == "a":
                    ack(int(f[1]))
    else:
        rng = random.Random(a.seed)
        journal = open(a.journal, "w", buffering=1) if a.journal else None
        if not a.quiet:
            print("soak: %s: %d blocks of %d bytes, fsync every %d, seed %d" % (
                a.file, a.blocks, bs, a.fsync_every, a.seed), file=sys.stderr, flush=True)
        progress("start seed %d" % a.seed)
        end = time.monotonic() + a.duration if a.duration else None
        unacked = 0
        fd = os.open(a.file, os.O_RDWR)
        try:
            while not stop and (end is None or time.monotonic() < end) and (a.writes is None or writes < a.writes):
                blk = rng.randrange(a.blocks)
                gen = writes + 1
                newer.setdefault(blk, []).append(gen)
                if journal:
                    journal.write("w %d %d\n" % (blk, gen))
                os.pwrite(fd, stamp(bs, a.seed, blk, gen), blk * bs)
                writes += 1
                unacked += 1
                if unacked >= a.fsync_every or stop:
                    os.fsync(fd)
                    fsyncs += 1
                    nacked += unacked
                    unacked = 0
                    ack(gen)
                    if journal:
                        journal.write("a %d\n" % gen)
                    progress("fsync %d writes %d" % (fsyncs, writes))
            if unacked:
                os.fsync(fd)
                fsyncs += 1
                nacked += unacked
                ack(writes)
                if journal:
                    journal.write("a %d\n" % writes)
                progress("fsync %d writes %d" % (fsyncs, writes))
        except OSError as e:
            errors += 1
            progress("error write-or-fsync errno %d" % e.errno)
            print("soak: write %d or its fsync failed: %s" % (writes + 1, e), file=sys.stderr, flush=True)
        finally:
            os.close(fd)
        progress("verify writes %d" % writes)
    # Read back what was written, around the page cache.
    lost = corrupt = checked = 0
    try:
        fd = os.open(a.file, os.O_RDONLY | os.O_DIRECT)
        buf = mmap.mmap(-1, bs)
        try:
            for blk in sorted(set(acked) | set(newer)):
                os.lseek(fd, blk * bs, os.SEEK_SET)
                if os.readv(fd, [buf]) != bs:
                    raise OSError(0, "short read of block %d" % blk)
                checked += 1
                data = bytes(buf)
                magic, b, gen, seed = HDR.unpack_from(data)
                if blk not in acked and data == bytes(bs):
                    continue        # never acknowledged, never reached the medium
                if blk in acked and data == bytes(bs):
                    lost += 1
                    print("soak: block %d lost: zeroes, acknowledged %d" % (blk, acked[blk]), file=sys.stderr)
                elif magic != MAGIC or b != blk or seed != a.seed or data != stamp(bs, a.seed, blk, gen):
                    corrupt += 1
                    print("soak: block %d corrupt (stamp %r block %d gen %d)" % (blk, magic, b, gen),
                          file=sys.stderr)
                elif gen != acked.get(blk) and gen not in newer.get(blk, []):
                    lost += 1
                    print("soak: block %d lost: holds generation %d, acknowledged %s" % (blk, gen, acked.get(blk)),
                          file=sys.stderr)
        finally:
            os.close(fd)
    except OSError as e:
        errors += 1
        print("soak: read-back failed: %s" % e, file=sys.stderr)
    progress("end")
    print("soak: writes=%d fsyncs=%d acked=%d checked=%d lost=%d corrupt=%d errors=%d" % (
        writes, fsyncs, nacked, checked, lost, corrupt, errors), flush=True)
    return 0 if not (lost or corrupt or errors) else 1


if __name__ == "__main__":
    sys.exit(main())
