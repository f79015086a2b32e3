#!/usr/bin/env python3
"""Independent judge of libnvmf's NVMe/TCP PDU codec.

pcap_gen writes a pcap of NVMe/TCP conversations built by the codec and an
expectations file stating, from the NVMe/TCP 1.0 rules, what every PDU must
look like. This script has tshark (Wireshark's NVMe/TCP dissector, digest
checking on) decode the pcap and compares, PDU by PDU: type, flags, HLEN,
PDO, PLEN, the type's own fields (CID, TTAG, DATAO, DATAL, R2TO, R2TL,
HPDA/CPDA, digest options, MAXR2T, MAXH2CDATA, FES, FEI, the SQE and CQE
fields tshark shows), header and data digests, and that tshark found no
malformed PDU and raised no warning or error. It needs only python3 and its
standard library.

  judge.py check PCAP EXPECT
  judge.py run --gen PCAP_GEN --outdir DIR --name NAME [--expect-mismatch TEXT] -- GEN_ARGS
  judge.py selftest

`run` generates then checks. With --expect-mismatch it inverts the verdict
for negative tests: it passes only if the check ran and reported a mismatch
whose message contains TEXT (a missing tshark is never a pass).

Known tshark 4.0 limitations, handled narrowly (pitfalls.md):
  * when PDO leaves padding after the header, the dissector computes the data
    digest over the wrong bytes (it may even read past the PDU), so files
    with padding are decoded with nvme-tcp.check_ddgst off and the digest
    value tshark shows is checked against a CRC32C computed here instead;
  * it dissects in-capsule data at HLEN + HDGST, ignoring PDO, so with
    padding the Connect data fields are not compared and the "Trailing
    stray characters" warnings its NQN strings then raise are tolerated on
    that PDU only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

SEV_WARN = 0x00600000  # expert severities: chat 0x200000, note 0x400000, warn, error 0x800000
TYPE_NAMES = {0: "ICReq", 1: "ICResp", 2: "H2CTermReq", 3: "C2HTermReq", 4: "CapsuleCmd",
              5: "CapsuleResp", 6: "H2CData", 7: "C2HData", 9: "R2T"}
STATUS_GOOD = 1  # proto_checksum_vals: 0 Bad, 1 Good, 2 Unverified


class SetupError(Exception):
    """The judge could not run (tshark missing, unreadable files): never a pass."""


# ---- CRC32C (Castagnoli, reflected 0x82F63B78), as NVMe/TCP digests use it ----

def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


def pattern(seed, length):
    """Same bytes as pcap_gen's fill_pattern()."""
    return bytes((seed * 31 + i * 7 + (i >> 8)) & 0xFF for i in range(length))


def connect_data(exp):
    """The 1024-byte Connect data (NVMe-oF 1.1, 3.3) pcap_gen sends."""
    d = bytearray(1024)
    d[0:16] = pattern(0x11, 16)
    d[16:18] = int(exp["CNTLID"]).to_bytes(2, "little")
    sub, host = exp["SUBNQN"].encode(), exp["HOSTNQN"].encode()
    d[256:256 + len(sub)] = sub
    d[512:512 + len(host)] = host
    return bytes(d)


def expected_data(exp):
    kind = exp.get("DATA", "")
    length = int(exp["DLEN"])
    if kind == "connect":
        return connect_data(exp)
    if kind.startswith("pat:"):
        return pattern(int(kind[4:]), length)
    raise SetupError("expectation has unknown DATA=%r" % kind)


# ---- expectations -------------------------------------------------------------

def parse_expect(path):
    conf, pdus = None, []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise SetupError("cannot read expectations %s: %s" % (path, e))
    for ln in lines:
        words = ln.split()
        if not words:
            continue
        kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if words[0] == "conf":
            conf = kv
        elif words[0].startswith("pdu="):
            kv["pdu"] = words[0][4:]
            pdus.append(kv)
    if conf is None or not pdus:
        raise SetupError("%s is not a pcap_gen expectations file" % path)
    if int(conf["PDUS"]) != len(pdus):
        raise SetupError("%s is truncated: %d PDUs of %s" % (path, len(pdus), conf["PDUS"]))
    return conf, pdus


def padded(exp):
    """True if PDO leaves padding between the header (and its digest) and the data."""
    pdo = int(exp["PDO"])
    return pdo != 0 and pdo != int(exp["HLEN"]) + 4 * int(exp["HDGST"])


# ---- tshark ---------------------------------------------------------------------

def find_tshark(explicit):
    path = explicit or shutil.which("tshark")
    if not path or not os.access(path, os.X_OK):
        raise SetupError("tshark not found: the judge needs Wireshark's tshark "
                         "(scripts/deps installs it; Debian: apt-get install tshark, "
                         "FreeBSD: pkg install wireshark-nox11)")
    return path


def run_tshark(tshark, pcap, check_ddgst):
    args = [tshark, "-n", "-r", pcap,
            "-o", "nvme-tcp.subsystem_ports:4420",
            "-o", "nvme-tcp.check_hdgst:TRUE",
            "-o", "nvme-tcp.check_ddgst:" + ("TRUE" if check_ddgst else "FALSE"),
            "-o", "tcp.desegment_tcp_streams:TRUE",
            "-o", "tcp.check_checksum:TRUE",
            "-o", "ip.check_checksum:TRUE",
            "-T", "json"]
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="judge-wsconf-") as conf:
        env["WIRESHARK_CONFIG_DIR"] = conf  # no personal preferences interfere
        try:
            p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env, timeout=90)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SetupError("running tshark failed: %s" % e)
    if p.returncode != 0:
        raise SetupError("tshark exited with %d: %s" % (p.returncode,
                                                     p.stderr.decode(errors="replace")[-2000:]))
    try:
        return json.loads(p.stdout.decode(errors="replace"), object_pairs_hook=lambda kv: kv)
    except ValueError as e:
        raise SetupError("tshark printed no valid JSON: %s" % e)


def pairs(v):
    return v if isinstance(v, list) and (not v or isinstance(v[0], tuple)) else None


def walk(name, value, fields, experts):
    """Flattens one layer: field -> list of values; collects expert entries."""
    sub = pairs(value)
    if sub is None:
        fields.setdefault(name, []).append(value)
        return
    if name == "_ws.expert":
        e = dict(sub)
        experts.append((int(e.get("_ws.expert.severity", "0")), e.get("_ws.expert.message", "?")))
    for k, v in sub:
        walk(k, v, fields, experts)


def decode(packets):
    """Returns (pdus, frame_problems): one record per NVMe/TCP PDU in wire order."""
    pdus, problems = [], []
    for pkt in packets:
        layers = pairs(dict(dict(pkt)["_source"])["layers"]) or []
        frame = None
        cur = None
        for name, value in layers:
            if name == "frame":
                frame = int(dict(value)["frame.number"])
            if name == "nvme-tcp":
                cur = {"frame": frame, "fields": {}, "experts": [], "malformed": False}
                pdus.append(cur)
            if name == "_ws.malformed":
                if cur is not None and cur["frame"] == frame:
                    cur["malformed"] = True
                else:
                    problems.append("frame %s: tshark reports a malformed packet" % frame)
                continue
            if name.startswith("nvme") and cur is not None and cur["frame"] == frame:
                walk(name, value, cur["fields"], cur["experts"])
            else:
                experts = []
                walk(name, value, {}, experts)
                for sev, msg in experts:
                    if sev >= SEV_WARN:
                        problems.append("frame %s: tshark %s expert info in %s: %s" %
                                        (frame, "error" if sev > SEV_WARN else "warning",
                                         name, msg))
    return pdus, problems


# ---- comparison -----------------------------------------------------------------

def num(s):
    s = s.strip()
    if s.startswith(("0x", "0X")) or s.isdigit():
        return int(s, 0)
    return int(s, 16)  # FT_BYTES such as nvme.fabrics.cmd.opc "7f"


class Pdu:
    def __init__(self, exp, got, judge_ddgst_status):
        self.exp, self.got = exp, got
        self.judge_ddgst_status = judge_ddgst_status
        self.errors = []
        self.name = "PDU #%s (%s, frame %s)" % (exp["pdu"], exp["type"], exp["frame"])

    def values(self, key):
        return self.got["fields"].get(key, [])

    def field(self, label, key, expected, conv=num):
        vals = self.values(key)
        if not vals:
            self.errors.append("%s: %s expected %s, but tshark shows no %s" %
                               (self.name, label, expected, key))
            return
        try:
            got = conv(vals[0])
        except ValueError:
            got = vals[0]
        if got != expected:
            self.errors.append("%s: %s expected %s, tshark decoded %s = %s" %
                               (self.name, label, fmt(expected), key, vals[0]))

    def absent(self, label, key):
        if self.values(key):
            self.errors.append("%s: %s should be absent, tshark shows %s = %s" %
                               (self.name, label, key, self.values(key)[0]))

    def e(self, k):
        return int(self.exp[k], 0)


def fmt(v):
    return "0x%x (%d)" % (v, v) if isinstance(v, int) and v > 9 else str(v)


def check_common(p):
    p.field("TYPE", "nvme-tcp.type", p.e("TYPE"))
    p.field("FLAGS", "nvme-tcp.flags", p.e("FLAGS"))
    p.field("HLEN", "nvme-tcp.hlen", p.e("HLEN"))
    p.field("PDO", "nvme-tcp.pdo", p.e("PDO"))
    p.field("PLEN", "nvme-tcp.plen", p.e("PLEN"))
    if p.e("HDGST"):
        p.field("header digest status (1 = good)", "nvme-tcp.hdgst.status", STATUS_GOOD)
    else:
        p.absent("header digest", "nvme-tcp.hdgst")
    if p.e("DDGST"):
        # Stored little-endian (as Linux and SPDK do); tshark shows the four
        # wire bytes read big-endian.
        wire = crc32c(expected_data(p.exp)).to_bytes(4, "little")
        p.field("data digest (CRC32C of the data, wire bytes %s)" % wire.hex(),
                "nvme-tcp.ddgst", int.from_bytes(wire, "big"))
        if p.judge_ddgst_status:
            p.field("data digest status (1 = good)", "nvme-tcp.ddgst.status", STATUS_GOOD)
    else:
        p.absent("data digest", "nvme-tcp.ddgst")
    if p.values("nvme-tcp.unknown_data"):
        p.errors.append("%s: tshark could not make sense of the PDU (nvme-tcp.unknown_data)"
                        % p.name)


def check_cmd(p):
    opc = p.e("OPC")
    if opc == 0x7F:
        p.field("CID", "nvme.fabrics.cmd.cid", p.e("CID"))
        p.field("OPC", "nvme.fabrics.cmd.opc", opc)
        p.field("FCTYPE", "nvme.fabrics.cmd.fctype", p.e("FCTYPE"))
        if p.e("FCTYPE") == 1:
            p.field("QID", "nvme.fabrics.cmd.connect.qid", p.e("QID"))
            p.field("SQSIZE", "nvme.fabrics.cmd.connect.sqsize", p.e("SQSIZE"))
            p.field("CATTR", "nvme.fabrics.cmd.connect.cattr", p.e("CATTR"))
            p.field("KATO", "nvme.fabrics.cmd.connect.kato", p.e("KATO"))
            if not padded(p.exp):  # tshark ignores PDO for in-capsule data
                p.field("Connect data CNTLID", "nvme.fabrics.cmd.connect.data.cntrlid",
                        p.e("CNTLID"))
                p.field("Connect data SUBNQN", "nvme.fabrics.cmd.connect.data.subnqn",
                        p.exp["SUBNQN"], str)
                p.field("Connect data HOSTNQN", "nvme.fabrics.cmd.connect.data.hostnqn",
                        p.exp["HOSTNQN"], str)
        elif p.e("FCTYPE") == 4:
            p.field("Property Get OFST", "nvme.fabrics.cmd.prop_get_set.offset",
                    p.e("PROP_OFST"))
    else:
        p.field("CID", "nvme.cmd.cid", p.e("CID"))
        p.field("OPC", "nvme.cmd.opc", opc)
        p.field("NSID", "nvme.cmd.nsid", p.e("NSID"))
        if "SLBA" in p.exp:
            p.field("SLBA", "nvme.cmd.slba", p.e("SLBA"))
            # tshark shows the block count, NLB is 0's based on the wire
            p.field("NLB (0's based)", "nvme.cmd.nlb", p.e("NLB"), lambda s: num(s) - 1)
        if "CNS" in p.exp:
            p.field("CNS", "nvme.cmd.identify.dword10.cns", p.e("CNS"))
    if "SGL_TYPE" not in p.exp:  # Property Get/Set have no SGL
        return
    p.field("SGL1 descriptor type", "nvme.cmd.sgl.type", p.e("SGL_TYPE") >> 4)
    p.field("SGL1 descriptor subtype", "nvme.cmd.sgl.subtype", p.e("SGL_TYPE") & 0xF)
    if p.e("SGL_TYPE") == 0x01 and p.e("SGL_LEN"):
        p.field("SGL1 length", "nvme.cmd.sgl1.len", p.e("SGL_LEN"))


def check_resp(p):
    p.field("CID", "nvme.cqe.cid", p.e("CID"))
    p.field("SQHD", "nvme.cqe.sqhd", p.e("SQHD"))
    p.field("SQID", "nvme.cqe.sqid", p.e("SQID"))
    p.field("status (with phase bit 0)", "nvme.cqe.status", p.e("STATUS") << 1)
    kind = p.exp["KIND"]
    if kind == "connect":
        p.field("Connect response CNTLID", "nvme.fabrics.cqe.connect.cntrlid",
                p.e("DW0") & 0xFFFF)
    elif kind == "propget":
        p.field("Property Get value", "nvme.fabrics.prop_get.ccap", p.e("DW0"))
    else:
        p.field("DW0", "nvme.cqe.dword0", p.e("DW0"))


def check_data(p, h2c):
    p.field("CCCID", "nvme-tcp.cmd.cid", p.e("CID"))
    p.field("TTAG" if h2c else "reserved bytes 10-11", "nvme-tcp.ttag",
            p.e("TTAG") if h2c else 0)
    p.field("DATAO", "nvme-tcp.data.offset", p.e("DATAO"))
    p.field("DATAL", "nvme-tcp.data.length", p.e("DATAL"))
    p.field("reserved bytes 20-23", "nvme-tcp.data.rsvd", "00:00:00:00", str)
    p.field("LAST_PDU flag", "nvme-tcp.flags.pdu.data_last", p.e("LAST"))
    p.field("SUCCESS flag", "nvme-tcp.flags.pdu.data_success",
            0 if h2c else p.e("SUCCESS"))


def check_pdu(p):
    check_common(p)
    t = p.e("TYPE")
    if t == 0:
        p.field("PFV", "nvme-tcp.icreq.pfv", p.e("PFV"))
        p.field("HPDA", "nvme-tcp.icreq.hpda", p.e("HPDA"))
        p.field("DGST", "nvme-tcp.icreq.digest", p.e("DGST"))
        p.field("MAXR2T", "nvme-tcp.icreq.maxr2t", p.e("MAXR2T"))
    elif t == 1:
        p.field("PFV", "nvme-tcp.icresp.pfv", p.e("PFV"))
        p.field("CPDA", "nvme-tcp.icresp.cpda", p.e("CPDA"))
        p.field("DGST", "nvme-tcp.icresp.digest", p.e("DGST"))
        p.field("MAXH2CDATA", "nvme-tcp.icresp.maxdata", p.e("MAXH2CDATA"))
    elif t in (2, 3):
        pre = "nvme-tcp.h2ctermreq" if t == 2 else "nvme-tcp.c2htermreq"
        p.field("FES", pre + ".fes", p.e("FES"))
        # tshark names FEI after the FES: field offset, digest, parameter offset
        for sub in ("phfo", "phd", "upfo", "reserved"):
            if p.values(pre + "." + sub):
                p.field("FEI", pre + "." + sub, p.e("FEI"))
                break
        else:
            p.errors.append("%s: FEI expected %d, tshark shows no %s.* FEI field" %
                            (p.name, p.e("FEI"), pre))
    elif t == 4:
        check_cmd(p)
    elif t == 5:
        check_resp(p)
    elif t in (6, 7):
        check_data(p, t == 6)
    elif t == 9:
        p.field("CCCID", "nvme-tcp.cmd.cid", p.e("CID"))
        p.field("TTAG", "nvme-tcp.ttag", p.e("TTAG"))
        p.field("R2TO", "nvme-tcp.r2t.offset", p.e("R2TO"))
        p.field("R2TL", "nvme-tcp.r2t.length", p.e("R2TL"))
        p.field("reserved bytes 20-23", "nvme-tcp.r2t.rsvd", "00:00:00:00", str)
    if p.got["malformed"]:
        p.errors.append("%s: tshark reports it malformed" % p.name)
    tolerated = t == 4 and "DATA" in p.exp and padded(p.exp)
    for sev, msg in p.got["experts"]:
        if tolerated and msg == "Trailing stray characters":
            continue
        p.errors.append("%s: tshark expert info (severity 0x%x): %s" % (p.name, sev, msg))


def check(pcap, expect, tshark=None):
    """Returns the list of mismatches (empty: the codec's PDUs are as expected)."""
    conf, exps = parse_expect(expect)
    judge_status = not any(padded(e) for e in exps)
    packets = run_tshark(find_tshark(tshark), pcap, judge_status)
    got, errors = decode(packets)
    nframes = len(packets)
    if nframes != int(conf["FRAMES"]):
        errors.append("tshark read %d frames, pcap_gen wrote %s" % (nframes, conf["FRAMES"]))
    for i, exp in enumerate(exps):
        if i >= len(got):
            errors.append("PDU #%s (%s, frame %s): tshark decoded no such PDU (only %d PDUs)"
                          % (exp["pdu"], exp["type"], exp["frame"], len(got)))
            break
        p = Pdu(exp, got[i], judge_status)
        gf, ef = got[i]["frame"], int(exp["frame"])
        if gf != ef:
            # tshark frames PDUs by PLEN: a wrong PLEN here or earlier on this
            # connection puts the stream out of step; nothing after is comparable.
            if gf < ef:  # most likely this very PDU, cut short
                check_pdu(p)
                errors.extend(p.errors)
                errors.append("%s: tshark decoded it already in frame %d: PLEN too small?"
                              % (p.name, gf))
            else:
                errors.append("%s: tshark decoded no PDU ending in frame %d (the next one "
                              "ends in frame %d): this PDU's PLEN exceeds the bytes sent?"
                              % (p.name, ef, gf))
            errors.append("stopping after PDU #%s: the rest of the stream is out of step"
                          % exp["pdu"])
            break
        check_pdu(p)
        errors.extend(p.errors)
    if len(got) > len(exps) and not errors:
        errors.append("tshark decoded %d PDUs, %d expected" % (len(got), len(exps)))
    return errors, len(exps), judge_status


def cmd_check(args):
    try:
        errors, n, status = check(args.pcap, args.expect, args.tshark)
    except SetupError as e:
        print("judge: ERROR: %s" % e)
        return 2
    for e in errors:
        print("judge: MISMATCH: %s" % e)
    if errors:
        print("judge: FAIL: %d mismatch(es) in %d PDUs of %s" % (len(errors), n, args.pcap))
        return 1
    print("judge: PASS: %d PDUs of %s decoded by tshark as expected (data digest status %s)"
          % (n, args.pcap, "judged" if status else "not judged: PDO padding, value checked"))
    return 0


def cmd_run(args):
    gen_args = [a for a in args.gen_args if a != "--"]
    os.makedirs(args.outdir, exist_ok=True)
    pcap = os.path.join(args.outdir, args.name + ".pcap")
    expect = os.path.join(args.outdir, args.name + ".expect")
    p = subprocess.run([args.gen] + gen_args + [pcap, expect], timeout=60)
    if p.returncode != 0:
        print("judge: ERROR: %s %s failed with status %d" % (args.gen, " ".join(gen_args),
                                                            p.returncode))
        return 2
    try:
        errors, n, _ = check(pcap, expect, args.tshark)
    except SetupError as e:
        print("judge: ERROR: %s" % e)
        return 2
    if args.expect_mismatch is None:
        for e in errors:
            print("judge: MISMATCH: %s" % e)
        if errors:
            print("judge: FAIL: %d mismatch(es) in %d PDUs (%s)" % (len(errors), n, pcap))
            return 1
        print("judge: PASS: %d PDUs of %s (%s) as expected" % (n, args.name, " ".join(gen_args)))
        return 0
    # Negative test: the spoiled PDU must be reported, and nothing about any other PDU.
    for e in errors:
        print("judge: (expected) MISMATCH: %s" % e)
    hits = [e for e in errors if args.expect_mismatch in e]
    if not hits:
        print("judge: FAIL: the deliberately spoiled PDU went unnoticed: no mismatch "
              "mentions %r" % args.expect_mismatch)
        return 1
    culprit = hits[0].split(":", 1)[0]
    others = [e for e in errors if not e.startswith(culprit + ":")]
    if others:
        print("judge: FAIL: besides %s, %d other mismatch(es)" % (culprit, len(others)))
        return 1
    print("judge: PASS: the judge caught the spoiled PDU (%s)" % hits[0])
    return 0


def cmd_selftest(_args):
    """The checker's own CRC32C against RFC 3720, B.4 test vectors."""
    vectors = [(bytes(32), 0x8A9136AA), (bytes([0xFF] * 32), 0x62A8AB43),
               (bytes(range(32)), 0x46DD794E), (b"123456789", 0xE3069283)]
    bad = [(d[:4].hex(), hex(c), hex(crc32c(d))) for d, c in vectors if crc32c(d) != c]
    for b in bad:
        print("judge: selftest: CRC32C of %s... expected %s, got %s" % b)
    print("judge: selftest %s" % ("FAIL" if bad else "PASS"))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="decode PCAP with tshark and compare with EXPECT")
    c.add_argument("pcap")
    c.add_argument("expect")
    c.add_argument("--tshark")
    r = sub.add_parser("run", help="run pcap_gen, then check")
    r.add_argument("--gen", required=True)
    r.add_argument("--outdir", required=True)
    r.add_argument("--name", required=True)
    r.add_argument("--tshark")
    r.add_argument("--expect-mismatch")
    r.add_argument("gen_args", nargs=argparse.REMAINDER)
    sub.add_parser("selftest", help="check the judge's own CRC32C")
    args = ap.parse_args()
    return {"check": cmd_check, "run": cmd_run, "selftest": cmd_selftest}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
