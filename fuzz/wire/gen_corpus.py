#!/usr/bin/env python3
"""Seed corpora of the wire harnesses (fuzz/wire, FUZZING.md "Wire harnesses").

    fuzz/wire/gen_corpus.py            # rewrites fuzz/corpus/{host_rx,target_rx}

Each seed is one session as the harness's peer would send it: for host_rx
what a target sends to the harness's table of commands (CIDs 0..7, see
fuzz_host_rx.c), for target_rx what a host sends to nvmf-target (ICReq,
Connect, admin and I/O commands, H2CData after the R2T the target sends).
The PDUs are laid out as NVMe/TCP 1.0, 3.6 says (the same layout src/tcp/pdu.c
builds and the tshark judge checks); each session comes in several cuts into
reads (wire.h): whole PDUs, small pieces, large reads. Deterministic: the
committed files are this script's output.
"""
import os
import struct
import sys

# ---- CRC32C (Castagnoli, reflected 0x82F63B78), as NVMe/TCP digests -----
_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ---- PDUs (NVMe/TCP 1.0, 3.6) --------------------------------------------
ICREQ, ICRESP, H2C_TERM, C2H_TERM, CMD, RSP, H2C_DATA, C2H_DATA, R2T = 0, 1, 2, 3, 4, 5, 6, 7, 9
F_HDGST, F_DDGST, F_LAST, F_SUCCESS = 1, 2, 4, 8


def pdu(ptype, psh, data=b"", hd=False, dd=False, flags=0, pda=0):
    """CH + PSH, header digest, PAD to the alignment, data, data digest."""
    hlen = 8 + len(psh)
    hdr_total = hlen + (4 if hd else 0)
    if data:
        align = (pda + 1) * 4
        pdo = (hdr_total + align - 1) // align * align
    else:
        pdo = 0
    plen = (pdo if data else hdr_total) + len(data) + (4 if dd and data else 0)
    f = flags | (F_HDGST if hd else 0) | (F_DDGST if dd and data else 0)
    ch = struct.pack("<BBBBI", ptype, f, hlen, pdo, plen)
    out = ch + psh
    if hd:
        out += struct.pack("<I", crc32c(out))
    if data:
        out += b"\0" * (pdo - len(out)) + data
        if dd:
            out += struct.pack("<I", crc32c(data))
    return out


def icreq(hd=False, dd=False, hpda=0, maxr2t=0):
    psh = struct.pack("<HBBI", 0, hpda, (1 if hd else 0) | (2 if dd else 0), maxr2t)
    return pdu(ICREQ, psh + b"\0" * 112)


def icresp(hd=False, dd=False, cpda=0, maxh2cdata=4096):
    psh = struct.pack("<HBBI", 0, cpda, (1 if hd else 0) | (2 if dd else 0), maxh2cdata)
    return pdu(ICRESP, psh + b"\0" * 112)


def term(ptype, fes, fei, bad=b""):
    psh = struct.pack("<HHH", fes, fei & 0xFFFF, fei >> 16) + b"\0" * 10
    return pdu(ptype, psh) if not bad else _term_with_data(ptype, psh, bad)


def _term_with_data(ptype, psh, bad):
    # TermReqs carry the offending header as data, with no PDO (3.6.2.4).
    hlen = 8 + len(psh)
    return struct.pack("<BBBBI", ptype, 0, hlen, 0, hlen + len(bad)) + psh + bad


def cqe(cid, status=0, dw0=0, sqhd=0, sqid=0):
    return struct.pack("<IIHHHH", dw0, 0, sqhd, sqid, cid, status << 1)


def rsp(cid, status=0, dw0=0, sqhd=0, sqid=0, hd=False):
    return pdu(RSP, cqe(cid, status, dw0, sqhd, sqid), hd=hd)


def c2h(cid, datao, data, last=True, success=False, hd=False, dd=False, pda=0):
    psh = struct.pack("<HHIII", cid, 0, datao, len(data), 0)
    fl = (F_LAST if last else 0) | (F_SUCCESS if success else 0)
    return pdu(C2H_DATA, psh, data, hd, dd, fl, pda)


def h2c(cid, ttag, datao, data, last=True, hd=False, dd=False, pda=0):
    psh = struct.pack("<HHIII", cid, ttag, datao, len(data), 0)
    return pdu(H2C_DATA, psh, data, hd, dd, F_LAST if last else 0, pda)


def r2t(cid, ttag, off, length, hd=False):
    return pdu(R2T, struct.pack("<HHIII", cid, ttag, off, length, 0), hd=hd)


SGL_ICD, SGL_TRANSPORT = 0x01, 0x5A


def sqe(opc, cid, nsid=0, cdw10=0, cdw11=0, cdw12=0, cdw13=0, length=0, icd=False,
        fctype=None, raw=None):
    s = bytearray(64)
    s[0] = opc
    s[1] = 0x40  # PSDT 01b: SGL
    struct.pack_into("<HI", s, 2, cid, nsid)
    struct.pack_into("<QIxxxB", s, 24, 0, length, SGL_ICD if icd else SGL_TRANSPORT)
    struct.pack_into("<IIII", s, 40, cdw10, cdw11, cdw12, cdw13)
    if fctype is not None:
        s[4] = fctype
    if raw:
        for off, b in raw:
            s[off:off + len(b)] = b
    return bytes(s)


def cmd(s, data=b"", hd=False, dd=False, pda=0):
    return pdu(CMD, s, data, hd, dd, 0, pda)


SUBNQN = b"nqn.2014-08.io.libnvmf:fuzz"
HOSTNQN = b"nqn.2014-08.org.nvmexpress:uuid:6b1e5c3a-4f3e-4a57-9d7a-1f0c2b3d4e5f"
DISCNQN = b"nqn.2014-08.org.nvmexpress.discovery"


def connect(cid, qid, sqsize, cntlid, subnqn=SUBNQN, kato=0, cattr=0, hd=False, dd=False):
    s = sqe(0x7F, cid, length=1024, icd=True, fctype=0x01,
            raw=[(40, struct.pack("<HHHBxI", 0, qid, sqsize, cattr, kato))])
    d = bytearray(1024)
    d[0:16] = bytes(range(1, 17))
    struct.pack_into("<H", d, 16, cntlid)
    d[256:256 + len(subnqn)] = subnqn
    d[512:512 + len(HOSTNQN)] = HOSTNQN
    return cmd(s, bytes(d), hd, dd)


def prop_set(cid, ofst, value, size8=False, hd=False):
    return cmd(sqe(0x7F, cid, fctype=0x00,
                   raw=[(40, bytes([1 if size8 else 0])), (44, struct.pack("<IQ", ofst, value))]),
               hd=hd)


def prop_get(cid, ofst, size8=False, hd=False):
    return cmd(sqe(0x7F, cid, fctype=0x04,
                   raw=[(40, bytes([1 if size8 else 0])), (44, struct.pack("<I", ofst))]), hd=hd)


def pattern(n, seed):
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


# ---- Cuts into reads (wire.h) ----------------------------------------------
def encode_read(b, flag=False):
    """One read of b (any length): control bytes and pieces."""
    out = bytearray()
    while b:
        n = len(b)
        if n >= 128:
            k = min(n // 128, 64)
            ctl, take = 0x40 | (k - 1), k * 128
        else:
            take = min(n, 64)
            ctl = take - 1
        out.append(ctl | (0x80 if flag else 0))
        out += b[:take]
        b = b[take:]
    return bytes(out)


def cut(pdus, how, flags=None):
    """pdus: list of (bytes, flag). how: 'pdu' one read per PDU, 'small' each
    PDU in pieces, 'big' everything of one flag in as few reads as possible."""
    out = bytearray()
    if how == "pdu":
        for b, f in pdus:
            out += encode_read(b, f)
    elif how == "small":
        # Each PDU in pieces: part of the common header, the rest of the
        # header, then the data in reads of at most 64 bytes.
        for b, f in pdus:
            for piece in (b[:5], b[5:min(len(b), 30)], b[30:]):
                if piece:
                    for i in range(0, len(piece), 64):
                        out.append((min(64, len(piece) - i) - 1) | (0x80 if f else 0))
                        out += piece[i:i + 64]
    elif how == "big":
        # host_rx: a flagged PDU starts a new read (the target answers once
        # the host's write is through). target_rx: one read per run of PDUs
        # of one connection.
        run, rf = b"", None
        for b, f in pdus:
            if run and (f != rf or (f and flags == "host")):
                out += encode_read(run, rf)
                run = b""
            run, rf = run + b, f
        if run:
            out += encode_read(run, rf)
    return bytes(out)


# ---- host_rx: what a target sends to fuzz_host_rx.c's commands --------------
def host_sessions():
    S = {}
    for hd in (False, True):
        for dd in (False, True):
            tag = ("h" if hd else "") + ("d" if dd else "") or "plain"
            cfg = bytes([(1 if hd else 0) | (2 if dd else 0)])
            a = dict(hd=hd, dd=dd)
            seq = [icresp(hd, dd),
                   c2h(0, 0, pattern(4096, 1), **a), rsp(0, hd=hd),
                   c2h(1, 0, pattern(512, 2), **a), rsp(1, hd=hd),
                   c2h(2, 0, pattern(512, 3), last=False, **a),
                   c2h(2, 512, pattern(512, 4), **a), rsp(2, hd=hd),
                   c2h(3, 0, pattern(512, 5), success=True, **a),
                   r2t(4, 1, 0, 1024, hd=hd), r2t(4, 1, 1024, 1024, hd=hd), rsp(4, hd=hd),
                   rsp(5, hd=hd), rsp(6, hd=hd),
                   r2t(7, 2, 0, 8192, hd=hd), rsp(7, hd=hd)]
            # R2Ts are answered only after the host's H2CData went out: flag
            # the read after each R2T (finish the write in flight first).
            # The first answer too: the capsules went out in one write.
            fl = [False] * len(seq)
            fl[1] = True
            for i, b in enumerate(seq[:-1]):
                if b[0] == R2T:
                    fl[i + 1] = True
            pd = list(zip(seq, fl))
            for how in ("pdu", "small", "big"):
                S["session-%s-%s" % (tag, how)] = cfg + cut(pd, how, "host")
            if tag == "plain":
                # Byte 0 bit 7: the first write that finishes fails.
                S["session-write-fails"] = bytes([0x80]) + cut(pd, "pdu", "host")
    a = {}
    # Errors the controller reports, an error status with partial data, a
    # C2HTermReq, bogus CIDs.
    S["status-errors"] = b"\0" + cut([(icresp(), False), (c2h(2, 0, pattern(512, 9), last=False), False),
                                      (rsp(2, status=0x281), False), (rsp(0, status=0x2), False),
                                      (rsp(4, status=0x4002), False)], "pdu")
    S["c2h-termreq"] = b"\0" + cut([(icresp(), False), (c2h(0, 0, pattern(100, 1), last=False), False),
                                    (term(C2H_TERM, 2, 12, c2h(9, 0, b"x" * 4)[:24]), False)], "pdu")
    S["bogus-cid"] = b"\0" + cut([(icresp(), False), (rsp(0x123), False)], "pdu")
    S["c2h-unknown-cid"] = b"\0" + cut([(icresp(), False), (c2h(40, 0, b"abcd"), False)], "pdu")
    S["r2t-for-read"] = b"\0" + cut([(icresp(), False), (r2t(2, 1, 0, 512), False)], "pdu")
    S["success-incomplete"] = b"\0" + cut([(icresp(), False), (c2h(2, 0, pattern(512, 1)), False)], "pdu")
    S["digest-mismatch"] = b"\x02" + cut([(icresp(dd=True), False),
                                          (c2h(3, 0, pattern(512, 1), dd=True)[:-4] + b"\0\0\0\0", False),
                                          (rsp(3), False)], "pdu")
    S["icresp-cpda"] = b"\0" + cut([(icresp(cpda=3, maxh2cdata=8192), False),
                                    (c2h(1, 0, pattern(512, 2), pda=3), False), (rsp(1), False),
                                    (r2t(7, 5, 0, 8192), False), (rsp(7), True)], "pdu")
    S["hpda-aligned"] = bytes([3 << 2]) + cut([(icresp(), False),
                                               (c2h(3, 0, pattern(512, 2), pda=3), False),
                                               (rsp(3), False)], "pdu")
    # Bit 6: a command that succeeded is submitted again as CID 0400h + i;
    # an answer for the old CID must then be refused.
    S["resubmit-new-cid"] = b"\x40" + cut([(icresp(), False), (rsp(6), True), (rsp(0x406), True),
                                            (c2h(3, 0, pattern(512, 1)), True), (rsp(3), False),
                                            (c2h(0x403, 0, pattern(512, 2), success=True), True)],
                                           "pdu")
    S["resubmit-stale-cid"] = b"\x40" + cut([(icresp(), False), (rsp(6), True), (rsp(6), True)], "pdu")
    return S


# ---- target_rx: what a host sends to nvmf-target ----------------------------
def target_sessions():
    S = {}
    for hd in (False, True):
        for dd in (False, True):
            tag = ("h" if hd else "") + ("d" if dd else "") or "plain"
            a = dict(hd=hd, dd=dd)
            adm = [icreq(hd, dd),
                   connect(0, 0, 31, 0xFFFF, kato=120000, **a),
                   prop_get(1, 0x0, size8=True, hd=hd),         # CAP
                   prop_set(2, 0x14, 0x00460001, hd=hd),        # CC.EN
                   prop_get(3, 0x1C, hd=hd),                    # CSTS
                   cmd(sqe(0x06, 4, cdw10=1, length=4096), hd=hd),            # Identify Controller
                   cmd(sqe(0x06, 5, nsid=1, cdw10=0, length=4096), hd=hd),    # Identify Namespace
                   cmd(sqe(0x06, 6, cdw10=2, length=4096), hd=hd),            # active NS list
                   cmd(sqe(0x06, 7, nsid=1, cdw10=3, length=4096), hd=hd),    # NS descriptors
                   cmd(sqe(0x02, 8, nsid=0xFFFFFFFF, cdw10=(127 << 16) | 0x02, length=512), hd=hd),
                   cmd(sqe(0x02, 9, cdw10=(63 << 16) | 0x01, length=256), hd=hd),   # error log
                   cmd(sqe(0x09, 10, cdw10=0x07, cdw11=0x00030003), hd=hd),   # Set Features, queues
                   cmd(sqe(0x0A, 11, cdw10=0x0F), hd=hd),                     # Get Features, KATO
                   cmd(sqe(0x0C, 12), hd=hd),                                 # AER
                   cmd(sqe(0x18, 13), hd=hd)]                                 # Keep Alive
            io = [icreq(hd, dd),
                  connect(0, 1, 31, 1, **a),
                  cmd(sqe(0x01, 1, nsid=1, cdw10=0, cdw12=0, length=512, icd=True),
                      pattern(512, 1), **a),                                     # Write, in capsule
                  cmd(sqe(0x02, 2, nsid=1, cdw10=0, cdw12=0, length=512), hd=hd),   # Read
                  cmd(sqe(0x05, 3, nsid=1, cdw10=0, cdw12=0, length=512, icd=True),
                      pattern(512, 1), **a),                                     # Compare
                  cmd(sqe(0x01, 4, nsid=1, cdw10=8, cdw12=3, length=2048), hd=hd),   # Write: R2T
                  h2c(4, 0, 0, pattern(1024, 3), last=False, **a),
                  h2c(4, 0, 1024, pattern(1024, 4), **a),
                  cmd(sqe(0x02, 5, nsid=1, cdw10=8, cdw12=31, length=16384), hd=hd),
                  cmd(sqe(0x00, 6, nsid=1), hd=hd),                              # Flush
                  cmd(sqe(0x00, 7, nsid=0xFFFFFFFF), hd=hd),                     # Flush all
                  cmd(sqe(0x08, 8, nsid=2, cdw10=1, cdw12=3), hd=hd),            # Write Zeroes
                  cmd(sqe(0x09, 9, nsid=1, cdw10=1, cdw11=4, length=32, icd=True),
                      struct.pack("<IIQ", 0, 8, 16) + struct.pack("<IIQ", 0, 1, 100), **a),  # DSM
                  cmd(sqe(0x01, 10, nsid=3, cdw12=0, length=512, icd=True),
                      pattern(512, 7), **a)]                                     # Write to RO ns
            pd = [(b, False) for b in adm] + [(b, True) for b in io]
            for how in ("pdu", "small", "big"):
                S["session-%s-%s" % (tag, how)] = bytes([1]) + cut(pd, how)
            if tag == "plain":
                # Byte 0 bits 3:1: the Nth write that finishes fails.
                for n in (2, 5, 7):
                    S["session-write-%d-fails" % n] = bytes([1 | n << 1]) + cut(pd, "pdu")
    # The discovery controller, its log page, then a Disconnect.
    d = [icreq(), connect(0, 0, 31, 0xFFFF, subnqn=DISCNQN, kato=0),
         prop_set(1, 0x14, 0x00460001),
         cmd(sqe(0x06, 2, cdw10=1, length=4096)),
         cmd(sqe(0x02, 3, cdw10=(255 << 16) | 0x70, length=1024)),
         cmd(sqe(0x7F, 4, fctype=0x08))]
    S["discovery"] = b"\0" + cut([(b, False) for b in d], "pdu")
    # Protocol errors: H2CData without an R2T, a TermReq, a command before Connect.
    S["h2c-no-r2t"] = b"\0" + cut([(icreq(), False), (h2c(1, 3, 0, b"abcd"), False)], "pdu")
    S["h2c-termreq"] = b"\0" + cut([(icreq(), False), (term(H2C_TERM, 1, 2, icreq()[:24]), False)], "pdu")
    S["io-before-connect"] = b"\0" + cut([(icreq(), False),
                                          (cmd(sqe(0x02, 1, nsid=1, length=512)), False)], "pdu")
    S["connect-io-first"] = b"\0" + cut([(icreq(), True), (connect(0, 1, 31, 1), True)], "pdu")
    S["c2h-success"] = b"\x01" + cut(enabled() + [(cmd(sqe(0x02, 1, nsid=1, length=512)), True)],
                                     "pdu")
    # DH-HMAC-CHAP: Connect to the subsystem whose host authenticates, then
    # AUTH_Negotiate (SHA-256, NULL group), AUTH_Receive of the Challenge, a
    # Reply (whose response is wrong: the fuzzer cannot compute it) and an
    # AUTH_Receive of the Failure1; and a host that gives up (Failure2).
    neg = auth_negotiate(1, [1], [0])
    reply = struct.pack("<BBxxHBxBxHI", 1, 2, 1, 32, 0, 0, 0) + bytes(64)
    fail2 = struct.pack("<BBxxHBB", 0, 0xF0, 1, 1, 1)
    S["auth-reply"] = b"\0" + cut([(icreq(), False),
                                   (connect(0, 0, 31, 0xFFFF, subnqn=AUTHNQN, kato=0), False),
                                   (auth_send(1, neg), False), (auth_recv(2, 1024), False),
                                   (auth_send(3, reply), False), (auth_recv(4, 1024), False)], "pdu")
    S["auth-failure2"] = b"\0" + cut([(icreq(), False),
                                      (connect(0, 0, 31, 0xFFFF, subnqn=AUTHNQN, kato=0), False),
                                      (auth_send(1, neg), False), (auth_recv(2, 1024), False),
                                      (auth_send(3, fail2), False)], "pdu")
    return S


AUTHNQN = b"nqn.2014-08.io.libnvmf:fuzz-auth"


def auth_negotiate(t_id, hashes, groups):
    d = bytearray(64)
    d[0], d[2], d[3] = 1, len(hashes), len(groups)
    d[4:4 + len(hashes)] = bytes(hashes)
    d[34:34 + len(groups)] = bytes(groups)
    return struct.pack("<BBxxHBB", 0, 0, t_id, 0, 1) + bytes(d)


def auth_send(cid, msg):
    # Authentication Send: SECP E9h, SPSP0/1 01h, TL, the message in capsule.
    return cmd(sqe(0x7F, cid, fctype=0x05, length=len(msg), icd=True,
                   raw=[(41, bytes([1, 1, 0xE9])), (44, struct.pack("<I", len(msg)))]), msg)


def auth_recv(cid, al):
    return cmd(sqe(0x7F, cid, fctype=0x06, length=al,
                   raw=[(41, bytes([1, 1, 0xE9])), (44, struct.pack("<I", al))]))


def enabled(cattr=4):
    """An admin queue (connection 0) with CC.EN set and an I/O queue (1)."""
    return [(icreq(), False), (connect(0, 0, 31, 0xFFFF, kato=0), False),
            (prop_set(1, 0x14, 0x00460001), False),
            (icreq(), True), (connect(0, 1, 31, 1, cattr=cattr), True)]


# ---- Regression inputs (fuzz/regress/target_rx): each once a failure -------
def target_regress():
    R = {}
    # Compare on a RAM namespace went to the threadpool, which read ns->fd;
    # the command still there when the input ended, closing the admin queue
    # dropped the I/O queue, whose failed shutdown closed it at once, and
    # ctrl.c freed the controller twice (uv_close of its timer twice).
    R["compare-ram"] = b"\0" + cut(enabled(0) + [(cmd(sqe(0x05, 1, nsid=1, length=512, icd=True),
                                                       pattern(512, 0)), True)], "pdu")
    # Flush of every namespace with only RAM namespaces: threadpool work.
    R["flush-all-ram"] = b"\0" + cut(enabled(0) + [(cmd(sqe(0x00, 1, nsid=0xFFFFFFFF)), True)],
                                     "pdu")
    return R


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")
    for name, sessions in (("host_rx", host_sessions()), ("target_rx", target_sessions())):
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        for k, v in sorted(sessions.items()):
            with open(os.path.join(d, k), "wb") as fh:
                fh.write(v)
        print("%s: %d seeds" % (name, len(sessions)), file=sys.stderr)
    d = os.path.join(root, "..", "regress", "target_rx")
    os.makedirs(d, exist_ok=True)
    for k, v in sorted(target_regress().items()):
        with open(os.path.join(d, k), "wb") as fh:
            fh.write(v)


if __name__ == "__main__":
    main()
