#!/usr/bin/env python3
"""An NVMe/TCP host that connects the way SPDK's tools do, written from scratch.

spdk_nvme_perf and spdk_nvme_identify send an empty HOSTNQN in the Connect
data unless told otherwise. This client speaks NVMe/TCP itself (no libnvmf)
with SPDK's defaults, so nvmf-target is judged against that host rather than
against our own library:

  admin queue: ICReq (PFV 0, HPDA 0, no digests, MAXR2T 0), Fabrics Connect
      with HOSTNQN empty, a random HOSTID, CNTLID FFFFh, SQSIZE 31 (0's
      based), KATO 10000 ms, CATTR 0; Property Get CAP; Property Set CC.EN=1
      and wait for CSTS.RDY within CAP.TO; Identify Controller; Identify
      Namespace 1; Set Features Number of Queues.
  I/O queue 1: Connect with SQSIZE = CAP.MQES and the CNTLID the admin
      Connect returned; Write (one in-capsule, one through R2T/H2CData),
      Read back, Flush; then the backing file is read from disk and compared.
  Shutdown: CC.SHN = 01b, wait for CSTS.SHST = 10b.

--expect refused: the admin Connect must fail with Connect Invalid Host
(SCT 1h, SC 84h, DNR), as with an allow-list configured.
With --target-log, the target's log must name this host's address (a warning
when accepted, a rejection when refused).

Target parameters come from a target.env file (NVMF_TEST_ENV or --env, as
written by tests/target/nvmf-target-fixture) or from the options. Every wait
is bounded by --timeout. Exit status 0 on the expected outcome, 1 otherwise.
"""

import argparse
import os
import socket
import struct
import sys
import time
import uuid

# NVMe/TCP 1.0, 3.6: PDU types and common header flags.
ICREQ, ICRESP, H2C_TERM, C2H_TERM, CAPSULE_CMD, CAPSULE_RESP, H2C_DATA, C2H_DATA, R2T = \
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09
F_HDGST, F_DDGST, F_LAST_PDU, F_SUCCESS = 0x01, 0x02, 0x04, 0x08

# Fabrics 1.1, 3: command types; Base 2.0, 3.1: property offsets.
OPC_FABRICS = 0x7F
FCT_PROP_SET, FCT_CONNECT, FCT_PROP_GET = 0x00, 0x01, 0x04
REG_CAP, REG_VS, REG_CC, REG_CSTS = 0x00, 0x08, 0x14, 0x1C
ADM_IDENTIFY, ADM_SET_FEATURES = 0x06, 0x09
IO_FLUSH, IO_WRITE, IO_READ = 0x00, 0x01, 0x02
FID_NUM_QUEUES = 0x07

# SGL descriptor identifiers (Base 2.0, 4.3.2; NVMe/TCP 1.0, 3.3.2).
SGL_DATA_OFFSET = 0x01      # Data Block, Offset subtype: in-capsule data
SGL_TRANSPORT_A = 0x5A      # Transport SGL Data Block: data through R2T/C2HData

STATUS_NAMES = {
    (0, 0x00): "Successful Completion",
    (0, 0x01): "Invalid Command Opcode",
    (0, 0x02): "Invalid Field in Command",
    (0, 0x0C): "Command Sequence Error",
    (0, 0x0F): "Data SGL Length Invalid",
    (1, 0x80): "Connect Incompatible Format",
    (1, 0x81): "Connect Controller Busy",
    (1, 0x82): "Connect Invalid Parameters",
    (1, 0x83): "Connect Restart Discovery",
    (1, 0x84): "Connect Invalid Host",
}
# Connect data (Fabrics 1.1, 3.3): field offsets, for IPO decoding.
CONNECT_DATA_FIELDS = {0: "HOSTID", 16: "CNTLID", 256: "SUBNQN", 512: "HOSTNQN"}


class Fail(Exception):
    pass


def step(name, detail=""):
    print("spdk-like: %-34s %s" % (name, detail), flush=True)


def status_text(cqe):
    sct, sc = cqe["sct"], cqe["sc"]
    s = "status %#05x (SCT %xh SC %02xh, %s)%s" % (
        (sct << 8) | sc, sct, sc, STATUS_NAMES.get((sct, sc), "unknown"),
        ", DNR" if cqe["dnr"] else "")
    if (sct, sc) == (1, 0x82):
        # Connect response DW0: IATTR bit 16 (1 = Connect data), IPO 15:0.
        ipo, data = cqe["dw0"] & 0xFFFF, (cqe["dw0"] >> 16) & 1
        where = ("Connect data byte %d (%s)" % (ipo, CONNECT_DATA_FIELDS.get(ipo, "?"))
                 if data else "SQE byte %d" % ipo)
        s += ", invalid parameter at " + where
    return s


def load_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


def align(n, a):
    return (n + a - 1) // a * a


class Queue:
    """One NVMe/TCP connection (one queue pair), one command at a time."""

    def __init__(self, addr, port, timeout, what):
        self.what = what
        self.timeout = timeout
        self.cid = 0
        try:
            self.sock = socket.create_connection((addr, port), timeout=timeout)
        except OSError as e:
            raise Fail("%s: cannot connect to %s:%d: %s" % (what, addr, port, e))
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        host, lport = self.sock.getsockname()[:2]
        self.local = ("[%s]:%d" if ":" in host else "%s:%d") % (host, lport)

    def close(self):
        self.sock.close()

    def _recv_exact(self, n, waiting_for):
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except socket.timeout:
                raise Fail("%s: no %s within %g s" % (self.what, waiting_for, self.timeout))
            except OSError as e:
                raise Fail("%s: receiving %s: %s" % (self.what, waiting_for, e))
            if not chunk:
                raise Fail("%s: the target closed the connection while we waited for %s"
                           % (self.what, waiting_for))
            buf += chunk
        return bytes(buf)

    def recv_pdu(self, waiting_for):
        """Returns (type, flags, hlen, pdo, header bytes, data bytes)."""
        ch = self._recv_exact(8, waiting_for)
        ptype, flags, hlen, pdo, plen = struct.unpack_from("<BBBBI", ch)
        if hlen < 8 or plen < hlen or plen > (1 << 24):
            raise Fail("%s: bad PDU header: type %#x HLEN %d PLEN %d" % (self.what, ptype, hlen, plen))
        rest = self._recv_exact(plen - 8, waiting_for)
        pdu = ch + rest
        if flags & (F_HDGST | F_DDGST):
            raise Fail("%s: PDU type %#x carries digests we did not ask for (flags %#x)"
                       % (self.what, ptype, flags))
        hdr = pdu[:hlen]
        data = pdu[pdo:] if pdo else b""
        if ptype == C2H_TERM:
            fes, = struct.unpack_from("<H", pdu, 8)
            raise Fail("%s: target sent C2HTermReq FES %d while we waited for %s"
                       % (self.what, fes, waiting_for))
        return ptype, flags, hlen, pdo, hdr, data

    def send(self, b):
        try:
            self.sock.sendall(b)
        except socket.timeout:
            raise Fail("%s: send blocked for %g s" % (self.what, self.timeout))
        except OSError as e:
            raise Fail("%s: send: %s" % (self.what, e))

    def icreq(self):
        # ICReq (NVMe/TCP 1.0, 3.6.2): PFV 0, HPDA 0, no digests, MAXR2T 0.
        pdu = struct.pack("<BBBBIHBBI", ICREQ, 0, 128, 0, 128, 0, 0, 0, 0).ljust(128, b"\0")
        self.send(pdu)
        ptype, flags, hlen, pdo, hdr, _ = self.recv_pdu("ICResp")
        if ptype != ICRESP or hlen != 128 or len(hdr) != 128:
            raise Fail("%s: expected ICResp, got PDU type %#x HLEN %d" % (self.what, ptype, hlen))
        pfv, cpda, dgst, maxh2c = struct.unpack_from("<HBBI", hdr, 8)
        if pfv != 0:
            raise Fail("%s: ICResp PFV %d, want 0" % (self.what, pfv))
        if dgst != 0:
            raise Fail("%s: ICResp enables digests %#x that were not requested" % (self.what, dgst))
        if cpda > 31:
            raise Fail("%s: ICResp CPDA %d out of range" % (self.what, cpda))
        if maxh2c < 4096 or maxh2c % 4:
            raise Fail("%s: ICResp MAXH2CDATA %d invalid" % (self.what, maxh2c))
        self.cpda_align = (cpda + 1) * 4
        self.maxh2c = maxh2c
        return cpda, maxh2c

    def command(self, sqe, wdata=None, rlen=0, icd=False):
        """Runs one command; returns (cqe dict, read data)."""
        sqe = bytearray(sqe)
        self.cid = (self.cid + 1) & 0xFFFF
        cid = self.cid
        struct.pack_into("<H", sqe, 2, cid)
        sqe[1] = (sqe[1] & 0x3F) | 0x40     # PSDT 01b: SGLs (Fabrics always)
        wlen = len(wdata) if wdata else 0
        length = wlen or rlen
        struct.pack_into("<QI3xB", sqe, 24, 0, length,
                         SGL_DATA_OFFSET if icd else SGL_TRANSPORT_A)
        if icd and wlen:
            pdo = align(72, self.cpda_align)
            pdu = struct.pack("<BBBBI", CAPSULE_CMD, 0, 72, pdo, pdo + wlen) + bytes(sqe)
            pdu = pdu.ljust(pdo, b"\0") + bytes(wdata)
        else:
            pdu = struct.pack("<BBBBI", CAPSULE_CMD, 0, 72, 0, 72) + bytes(sqe)
        self.send(pdu)
        rbuf = bytearray(rlen)
        got = 0
        while True:
            ptype, flags, hlen, pdo, hdr, data = self.recv_pdu("the completion of cid %d" % cid)
            if ptype == CAPSULE_RESP:
                cqe = parse_cqe(hdr[8:24])
                if cqe["cid"] != cid:
                    raise Fail("%s: completion for cid %d, want %d" % (self.what, cqe["cid"], cid))
                if cqe["sc"] == 0 and cqe["sct"] == 0 and got != rlen:
                    raise Fail("%s: cid %d completed after %d of %d data bytes"
                               % (self.what, cid, got, rlen))
                return cqe, bytes(rbuf)
            if ptype == C2H_DATA:
                cccid, datao, datal = struct.unpack_from("<H2xII", hdr, 8)
                if cccid != cid or datao != got or datao + datal > rlen or len(data) != datal:
                    raise Fail("%s: C2HData cid %d offset %d length %d does not fit cid %d "
                               "(%d of %d bytes received)" % (self.what, cccid, datao, datal,
                                                               cid, got, rlen))
                rbuf[datao:datao + datal] = data
                got += datal
                if flags & F_SUCCESS:
                    # NVMe/TCP 1.0, 3.6.2: SUCCESS only with LAST_PDU.
                    if not flags & F_LAST_PDU or got != rlen:
                        raise Fail("%s: C2HData SUCCESS without LAST_PDU or before all data"
                                   % self.what)
                    return {"dw0": 0, "dw1": 0, "sqhd": None, "sqid": None, "cid": cid,
                            "sct": 0, "sc": 0, "dnr": False}, bytes(rbuf)
                continue
            if ptype == R2T:
                cccid, ttag, r2to, r2tl = struct.unpack_from("<HHII", hdr, 8)
                if cccid != cid or r2to + r2tl > wlen or r2tl == 0:
                    raise Fail("%s: R2T cid %d offset %d length %d does not fit cid %d (%d bytes)"
                               % (self.what, cccid, r2to, r2tl, cid, wlen))
                off = r2to
                while off < r2to + r2tl:
                    n = min(self.maxh2c, r2to + r2tl - off)
                    last = F_LAST_PDU if off + n == r2to + r2tl else 0
                    hpdo = align(24, self.cpda_align)
                    h = struct.pack("<BBBBIHHII4x", H2C_DATA, last, 24, hpdo, hpdo + n,
                                    cid, ttag, off, n)
                    self.send(h.ljust(hpdo, b"\0") + bytes(wdata[off:off + n]))
                    off += n
                continue
            raise Fail("%s: unexpected PDU type %#x while waiting for cid %d"
                       % (self.what, ptype, cid))

    # Fabrics helpers (NVMe over Fabrics 1.1, 3.3-3.5).
    def connect(self, qid, sqsize, kato, cntlid, hostid, subnqn, hostnqn):
        sqe = bytearray(64)
        sqe[0] = OPC_FABRICS
        sqe[4] = FCT_CONNECT
        # RECFMT 0, QID, SQSIZE (0's based), CATTR 0, KATO in ms.
        struct.pack_into("<HHHBxI", sqe, 40, 0, qid, sqsize, 0, kato)
        data = bytearray(1024)
        data[0:16] = hostid
        struct.pack_into("<H", data, 16, cntlid)
        data[256:256 + len(subnqn)] = subnqn.encode()
        data[512:512 + len(hostnqn)] = hostnqn.encode()
        return self.command(sqe, wdata=data, icd=True)[0]

    def prop_get(self, ofst, eight):
        sqe = bytearray(64)
        sqe[0], sqe[4] = OPC_FABRICS, FCT_PROP_GET
        sqe[40] = 1 if eight else 0
        struct.pack_into("<I", sqe, 44, ofst)
        cqe = self.command(sqe)[0]
        expect_ok(cqe, "Property Get %#x" % ofst)
        return cqe["dw0"] | (cqe["dw1"] << 32 if eight else 0)

    def prop_set(self, ofst, value):
        sqe = bytearray(64)
        sqe[0], sqe[4] = OPC_FABRICS, FCT_PROP_SET
        struct.pack_into("<I", sqe, 44, ofst)
        struct.pack_into("<Q", sqe, 48, value)
        expect_ok(self.command(sqe)[0], "Property Set %#x" % ofst)


def parse_cqe(b):
    dw0, dw1, sqhd, sqid, cid, st = struct.unpack("<IIHHHH", b)
    return {"dw0": dw0, "dw1": dw1, "sqhd": sqhd, "sqid": sqid, "cid": cid,
            "sc": (st >> 1) & 0xFF, "sct": (st >> 9) & 7, "dnr": bool(st >> 15)}


def expect_ok(cqe, what):
    if cqe["sc"] or cqe["sct"]:
        raise Fail("%s failed: %s" % (what, status_text(cqe)))


def sqe_new(opc, nsid=0, cdw=None):
    sqe = bytearray(64)
    sqe[0] = opc
    struct.pack_into("<I", sqe, 4, nsid)
    for i, v in (cdw or {}).items():
        struct.pack_into("<I", sqe, 4 * i, v & 0xFFFFFFFF)
    return sqe


def ascii_field(b):
    return b.decode("ascii", "replace").rstrip(" \0")


def wait_log(path, peer, needles, timeout):
    """A line of the target's log naming peer and every needle, within timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    if peer in line and all(n in line for n in needles):
                        return line.rstrip("\n")
        except FileNotFoundError:
            pass
        if time.monotonic() >= deadline:
            raise Fail("the target log %s has no line naming %s with %s within %g s"
                       % (path, peer, " and ".join(repr(n) for n in needles), timeout))
        time.sleep(0.02)


def run(a):
    hostid = uuid.uuid4().bytes            # random HOSTID, as SPDK generates one
    hostnqn = ""                           # SPDK's default: no HOSTNQN
    t = a.timeout

    adm = Queue(a.addr, a.port, t, "admin queue")
    cpda, maxh2c = adm.icreq()
    step("admin ICReq/ICResp", "CPDA %d MAXH2CDATA %d (from %s)" % (cpda, maxh2c, adm.local))

    cqe = adm.connect(0, 31, 10000, 0xFFFF, hostid, a.subnqn, hostnqn)
    if a.expect == "refused":
        if not cqe["sc"] and not cqe["sct"]:
            raise Fail("admin Connect with an empty HOSTNQN was accepted (CNTLID %d) although "
                       "the subsystem has an allow-list" % (cqe["dw0"] & 0xFFFF))
        step("admin Connect (empty HOSTNQN)", "refused: " + status_text(cqe))
        if (cqe["sct"], cqe["sc"]) != (1, 0x84) or not cqe["dnr"]:
            raise Fail("admin Connect refused with %s; want Connect Invalid Host (SCT 1h "
                       "SC 84h) with DNR" % status_text(cqe))
        if a.target_log:
            line = wait_log(a.target_log, adm.local, ["empty HOSTNQN", "rejected"], t)
            step("target log", line)
        adm.close()
        return "Connect with an empty HOSTNQN refused with Connect Invalid Host"
    expect_ok(cqe, "admin Connect (empty HOSTNQN, SQSIZE 31, KATO 10000, CNTLID FFFFh)")
    cntlid = cqe["dw0"] & 0xFFFF
    step("admin Connect (empty HOSTNQN)", "CNTLID %d, SQHD %d" % (cntlid, cqe["sqhd"]))
    if a.target_log:
        step("target log", wait_log(a.target_log, adm.local, ["warning", "empty HOSTNQN"], t))

    cap = adm.prop_get(REG_CAP, True)
    mqes, to = cap & 0xFFFF, (cap >> 24) & 0xFF
    step("Property Get CAP", "%#018x: MQES %d, TO %d (%d ms)" % (cap, mqes, to, to * 500))
    if mqes < 1:
        raise Fail("CAP.MQES %d: no room for an I/O queue" % mqes)

    # CC (Base 2.0, 3.1.4.5): EN, CSS 000b NVM, MPS 0 (4 KiB), AMS round
    # robin, IOSQES 6 (64 bytes), IOCQES 4 (16 bytes).
    cc = 1 | (6 << 16) | (4 << 20)
    adm.prop_set(REG_CC, cc)
    limit = min(to * 0.5, t) if to else t
    deadline = time.monotonic() + limit
    while True:
        csts = adm.prop_get(REG_CSTS, False)
        if csts & 2:
            raise Fail("CSTS.CFS set after CC.EN = 1 (CSTS %#x)" % csts)
        if csts & 1:
            break
        if time.monotonic() >= deadline:
            raise Fail("CSTS.RDY not set within %g s of CC.EN = 1 (CAP.TO)" % limit)
        time.sleep(0.01)
    step("Property Set CC.EN=1", "CSTS.RDY = 1 (CSTS %#x)" % csts)

    cqe, idc = adm.command(sqe_new(ADM_IDENTIFY, 0, {10: 1}), rlen=4096)
    expect_ok(cqe, "Identify Controller")
    mdts = idc[77]
    idc_cntlid, = struct.unpack_from("<H", idc, 78)
    nn, = struct.unpack_from("<I", idc, 516)
    ioccsz, = struct.unpack_from("<I", idc, 1792)
    subnqn = ascii_field(idc[768:1024])
    step("Identify Controller", "MN %r SN %r CNTLID %d MDTS %d NN %d IOCCSZ %d"
         % (ascii_field(idc[24:64]), ascii_field(idc[4:24]), idc_cntlid, mdts, nn, ioccsz))
    if idc_cntlid != cntlid:
        raise Fail("Identify Controller CNTLID %d differs from the Connect's %d"
                   % (idc_cntlid, cntlid))
    if subnqn != a.subnqn:
        raise Fail("Identify Controller SUBNQN %r, connected to %r" % (subnqn, a.subnqn))

    cqe, idn = adm.command(sqe_new(ADM_IDENTIFY, 1, {10: 0}), rlen=4096)
    expect_ok(cqe, "Identify Namespace 1")
    nsze, = struct.unpack_from("<Q", idn, 0)
    flbas = idn[26] & 0xF
    lbads = idn[128 + 4 * flbas + 2]
    bs = 1 << lbads
    step("Identify Namespace 1", "NSZE %d, LBA format %d: %d-byte blocks" % (nsze, flbas, bs))
    if lbads < 9 or nsze == 0:
        raise Fail("Identify Namespace 1: NSZE %d LBADS %d is not a usable namespace"
                   % (nsze, lbads))
    if a.lba and bs != a.lba:
        raise Fail("namespace 1 has %d-byte blocks, the target was started with %d" % (bs, a.lba))
    if a.image:
        size = os.path.getsize(a.image)
        if nsze * bs != size:
            raise Fail("NSZE %d x %d bytes differs from the backing file's %d bytes"
                       % (nsze, bs, size))

    # Set Features Number of Queues (FID 07h, as SPDK sends before its I/O
    # queues): one submission and one completion queue, 0's based.
    cqe, _ = adm.command(sqe_new(ADM_SET_FEATURES, 0, {10: FID_NUM_QUEUES, 11: 0}))
    expect_ok(cqe, "Set Features Number of Queues")
    step("Set Features Number of Queues", "granted NSQA %d NCQA %d"
         % ((cqe["dw0"] & 0xFFFF) + 1, (cqe["dw0"] >> 16) + 1))

    ioq = Queue(a.addr, a.port, t, "I/O queue 1")
    ioq.icreq()
    cqe = ioq.connect(1, mqes, 0, cntlid, hostid, a.subnqn, hostnqn)
    expect_ok(cqe, "I/O queue Connect (QID 1, SQSIZE %d = CAP.MQES, CNTLID %d)" % (mqes, cntlid))
    step("I/O queue Connect", "QID 1, SQSIZE %d (CAP.MQES), CNTLID %d" % (mqes, cntlid))

    # Two writes: one small enough for in-capsule data (IOCCSZ counts 16-byte
    # units including the 64-byte SQE), one larger that goes through R2T.
    icd_max = ioccsz * 16 - 64 if ioccsz >= 4 else 0
    mdts_bytes = (4096 << mdts) if mdts else 1 << 20
    big = min(128 * 1024, mdts_bytes) // bs * bs
    small = min(4096, icd_max) // bs * bs
    if big == 0:
        raise Fail("MDTS %d allows no transfer of one %d-byte block" % (mdts, bs))
    writes = []
    if small:
        writes.append((1, small, True))
    writes.append((nsze // 2 - (big // bs) // 2, big, False))
    for slba, n, icd in writes:
        if slba + n // bs > nsze:
            raise Fail("namespace of %d blocks too small for the test pattern" % nsze)
    done = []
    for slba, n, icd in writes:
        pat = os.urandom(n)
        nlb = n // bs - 1
        sqe = sqe_new(IO_WRITE, 1, {10: slba, 11: slba >> 32, 12: nlb})
        cqe, _ = ioq.command(sqe, wdata=pat, icd=icd)
        expect_ok(cqe, "Write LBA %d+%d" % (slba, nlb + 1))
        step("Write", "LBA %d, %d blocks, %s" % (slba, nlb + 1,
                                                  "in-capsule" if icd else "R2T/H2CData"))
        cqe, back = ioq.command(sqe_new(IO_READ, 1, {10: slba, 11: slba >> 32, 12: nlb}), rlen=n)
        expect_ok(cqe, "Read LBA %d+%d" % (slba, nlb + 1))
        if back != pat:
            bad = next(i for i in range(n) if back[i] != pat[i])
            raise Fail("Read LBA %d: data differs from what was written at byte %d" % (slba, bad))
        step("Read back", "LBA %d, %d blocks: matches" % (slba, nlb + 1))
        done.append((slba, n, pat))

    cqe, _ = ioq.command(sqe_new(IO_FLUSH, 1))
    expect_ok(cqe, "Flush")
    step("Flush", "namespace 1")
    if a.image:
        with open(a.image, "rb") as f:
            for slba, n, pat in done:
                f.seek(slba * bs)
                disk = f.read(n)
                if disk != pat:
                    bad = next((i for i in range(min(len(disk), n)) if disk[i] != pat[i]),
                               len(disk))
                    raise Fail("backing file %s at LBA %d differs from the written pattern "
                               "at byte %d" % (a.image, slba, bad))
        step("backing file", "%s: %d ranges match" % (a.image, len(done)))

    # Normal shutdown (Base 2.0, 3.6.2): CC.SHN = 01b, CSTS.SHST = 10b.
    adm.prop_set(REG_CC, cc | (1 << 14))
    deadline = time.monotonic() + t
    while (adm.prop_get(REG_CSTS, False) >> 2) & 3 != 2:
        if time.monotonic() >= deadline:
            raise Fail("CSTS.SHST not complete within %g s of CC.SHN = 01b" % t)
        time.sleep(0.01)
    step("shutdown", "CSTS.SHST = complete")
    ioq.close()
    adm.close()
    return "connected with an empty HOSTNQN, identified, %d writes read back and found " \
           "on disk" % len(done)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--env", default=os.environ.get("NVMF_TEST_ENV"),
                    help="target.env of nvmf-target-fixture (default $NVMF_TEST_ENV)")
    ap.add_argument("--addr")
    ap.add_argument("--port", type=int)
    ap.add_argument("--subnqn")
    ap.add_argument("--image", help="backing file of namespace 1, compared after the writes")
    ap.add_argument("--lba", type=int, help="expected block size of namespace 1")
    ap.add_argument("--target-log", help="the target's log, checked for a line naming us")
    ap.add_argument("--expect", choices=("io", "refused"), default="io")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds for any one wait")
    a = ap.parse_args()
    env = load_env(a.env) if a.env else {}
    a.addr = a.addr or env.get("NVMF_TEST_TRADDR") or "127.0.0.1"
    a.port = a.port or int(env.get("NVMF_TEST_TRSVCID") or 4420)
    a.subnqn = a.subnqn or env.get("NVMF_TEST_SUBNQN")
    a.image = a.image or env.get("NVMF_TEST_IMAGE") or None
    a.lba = a.lba or int(env.get("NVMF_TEST_LBA") or 0)
    if a.target_log is None and env.get("NVMF_TEST_TARGET") == "nvmf-target":
        a.target_log = env.get("NVMF_TEST_CONSOLE_LOG") or None
    if not a.subnqn:
        ap.error("no subsystem NQN: give --subnqn or --env")
    step("target", "%s:%d %s (expect %s)" % (a.addr, a.port, a.subnqn, a.expect))
    try:
        msg = run(a)
    except Fail as e:
        print("spdk-like: FAIL: %s" % e, flush=True)
        return 1
    print("spdk-like: PASS: %s" % msg, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
