"""A hostile NVMe/TCP discovery controller for nvmfctl's output tests.

Correct on the wire -- ICReq/ICResp (NVMe/TCP 1.0, 3.6.2), Fabrics Connect,
Property Get/Set with CSTS.RDY following CC.EN and SHST complete after CC.SHN
(NVMe over Fabrics 1.1, 3.3 and 3.5; NVMe Base 2.0, 3.6.2), Identify
Controller, Get Log Page of the discovery log (Base 2.0, 5.16.1.23) -- but the
strings it serves are what a hostile or broken target can send: Identify's SN,
MN, FR and SUBNQN and a discovery record's TRSVCID, SUBNQN and TRADDR hold
terminal escape sequences, the 8-bit CSI (0x9B), newlines that would forge
output lines, and 0xFF padding without any NUL. A tool must print them
escaped, and its JSON must stay valid.

Only what the host library sends to a discovery controller is implemented,
on any number of connections, each on its own thread.

HostileCtrl(log=...) serves another discovery log (disc_log() builds one
from records): the scripted discovery service of the referral and record
validation tests. It counts the connections it was given (connects), those
that opened with a plaintext ICReq (icreqs) and those that opened with a
TLS record instead (tls_hellos).
"""
import socket
import struct
import threading

# Identify Controller strings (space padded, as fixed-size ASCII fields are).
SN = b"SN\x1b[31mRED\x1b[0m"
MN = b"MN\x9b2J\n" + b"fake: line"
FR = b"\xff" * 8                     # no padding at all
ID_SUBNQN = b"nqn.2014-08.org.example:id\x1b]0;title\x07"
# One discovery record: fields with no NUL anywhere.
REC_TRSVCID = b"4420\r\nsubnqn: forged"
REC_SUBNQN = b"nqn.2014-08.org.example:rec\xff\xfe\x01"
REC_TRADDR = b"\xff" * 256


def escaped(raw):
    """What the tools print for raw bytes (tools/common/escape.c): printable
    ASCII as is, any other byte as \\xHH; trailing spaces and NULs trimmed
    first, as every fixed field is."""
    raw = raw.rstrip(b" \x00")
    return "".join(chr(b) if 0x20 <= b <= 0x7e else "\\x%02x" % b for b in raw)


def _field(raw, size):
    return raw[:size] + b" " * (size - len(raw[:size]))


def identify_ctrl():
    d = bytearray(4096)
    struct.pack_into("<H", d, 0, 0x1b36)            # VID
    d[4:24] = _field(SN, 20)
    d[24:64] = _field(MN, 40)
    d[64:72] = _field(FR, 8)
    d[77] = 0                                        # MDTS: no limit
    struct.pack_into("<H", d, 78, 1)                 # CNTLID
    struct.pack_into("<I", d, 80, 0x00010400)        # VER 1.4
    d[111] = 2                                       # CNTRLTYPE: discovery
    struct.pack_into("<H", d, 514, 32)               # MAXCMD
    struct.pack_into("<I", d, 536, 1 | 1 << 20)      # SGLS: supported, offsets
    d[768:768 + len(ID_SUBNQN)] = ID_SUBNQN          # NUL padded
    return bytes(d)


def disc_entry(subtype=2, traddr=b"127.0.0.1", trsvcid=b"4420", subnqn=b"", trtype=3,
               adrfam=1, treq=0, sectype=0):
    """One 1024-byte record; the strings as bytes or str, space padded (TRSVCID,
    TRADDR) or NUL padded (SUBNQN) as targets pad them."""
    b = [x.encode() if isinstance(x, str) else x for x in (traddr, trsvcid, subnqn)]
    e = bytearray(1024)
    e[0], e[1], e[2], e[3] = trtype, adrfam, subtype, treq
    struct.pack_into("<HHH", e, 4, 1, 0xffff, 128)   # PORTID, CNTLID, ASQSZ
    e[32:64] = _field(b[1], 32)
    e[256:256 + len(b[2][:256])] = b[2][:256]
    e[512:768] = _field(b[0], 256)
    e[768] = sectype                                 # TSAS byte 0 (TCP: SECTYPE)
    return bytes(e)


def disc_log(entries, genctr=1):
    """The log page: header (GENCTR, NUMREC, RECFMT 0) and the records."""
    hdr = bytearray(1024)
    struct.pack_into("<QQH", hdr, 0, genctr, len(entries), 0)
    return bytes(hdr) + b"".join(entries)


def discovery_log():
    hdr = bytearray(1024)
    struct.pack_into("<QQH", hdr, 0, 7, 1, 0)        # GENCTR, NUMREC, RECFMT
    e = bytearray(1024)
    e[0], e[1], e[2], e[3] = 3, 1, 2, 0              # TCP, IPv4, NVM subsystem
    struct.pack_into("<HHH", e, 4, 1, 0xffff, 128)   # PORTID, CNTLID, ASQSZ
    e[32:64] = _field(REC_TRSVCID, 32)
    e[256:512] = _field(REC_SUBNQN, 256)
    e[512:768] = REC_TRADDR
    return bytes(hdr + e)


class _Conn:
    def __init__(self, sock, log=None, owner=None):
        self.s = sock
        self.log = log if log is not None else discovery_log()
        self.owner = owner
        self.sqhd = 0
        self.qsize = 32
        self.cc = 0

    def recv(self, n):
        b = b""
        while len(b) < n:
            chunk = self.s.recv(n - len(b))
            if not chunk:
                raise EOFError
            b += chunk
        return b

    def pdu(self):
        ch = self.recv(8)
        ptype, flags, hlen, pdo, plen = struct.unpack("<BBBBI", ch)
        return ptype, ch + self.recv(plen - 8)

    def resp(self, cid, dw0=0, dw1=0, status=0):
        self.sqhd = (self.sqhd + 1) % self.qsize
        cqe = struct.pack("<IIHHHH", dw0, dw1, self.sqhd, 0, cid, status << 1)
        self.s.sendall(struct.pack("<BBBBI", 0x05, 0, 24, 0, 24) + cqe)

    def data(self, cid, buf):
        hdr = struct.pack("<BBBBIHHIII", 0x07, 0x04, 24, 24, 24 + len(buf), cid, 0, 0,
                          len(buf), 0)
        self.s.sendall(hdr + buf)

    def prop(self, sqe, cid):
        fctype = sqe[4]
        ofst = struct.unpack_from("<I", sqe, 44)[0]
        if fctype == 0x00:                           # Property Set
            if ofst == 0x14:
                self.cc = struct.unpack_from("<I", sqe, 48)[0]
            return self.resp(cid)
        v = {0x00: 127 | 1 << 16 | 20 << 24 | 1 << 37,      # CAP: MQES, CQR, TO, CSS
             0x08: 0x00010400,                               # VS
             0x14: self.cc,
             0x1c: (self.cc & 1) | (2 << 2 if (self.cc >> 14) & 3 else 0)}.get(ofst, 0)
        self.resp(cid, v & 0xffffffff, v >> 32)

    def serve(self):
        ptype, icreq = self.pdu()
        if self.owner and ptype == 0x16:             # a TLS handshake record
            self.owner.tls_hellos += 1
        if self.owner and ptype == 0x00:
            self.owner.icreqs += 1
        if ptype != 0x00:
            return
        icresp = bytearray(128)
        struct.pack_into("<BBBBIHBBI", icresp, 0, 0x01, 0, 128, 0, 128, 0, 0, 0, 131072)
        self.s.sendall(bytes(icresp))
        while True:
            ptype, p = self.pdu()
            if ptype != 0x04:                        # H2CTermReq or worse: done
                return
            sqe = p[8:72]
            opc, cid = sqe[0], struct.unpack_from("<H", sqe, 2)[0]
            cdw10, cdw11, cdw12, cdw13 = struct.unpack_from("<IIII", sqe, 40)
            if opc == 0x7f and sqe[4] == 0x01:       # Connect
                self.qsize = struct.unpack_from("<H", sqe, 44)[0] + 1
                self.sqhd = 0
                self.resp(cid, 1)
            elif opc == 0x7f and sqe[4] in (0x00, 0x04):
                self.prop(sqe, cid)
            elif opc == 0x06 and cdw10 & 0xff == 1:  # Identify Controller
                self.data(cid, identify_ctrl())
                self.resp(cid)
            elif opc == 0x02 and cdw10 & 0xff == 0x70:   # Get Log Page, discovery
                numd = ((cdw10 >> 16) | (cdw11 & 0xffff) << 16) + 1
                off = cdw12 | cdw13 << 32
                log = self.log
                buf = log[off:off + 4 * numd]
                self.data(cid, buf + bytes(4 * numd - len(buf)))
                self.resp(cid)
            elif opc == 0x18:                        # Keep Alive
                self.resp(cid)
            else:                                    # Invalid Command Opcode
                self.resp(cid, status=0x01 | 1 << 14)


class HostileCtrl:
    """Listening on 127.0.0.1:port until stop()."""

    def __init__(self, log=None):
        self.log = log
        self.connects = 0
        self.tls_hellos = 0
        self.icreqs = 0
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(8)
        self.port = self.ls.getsockname()[1]
        self.conns = []
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def _accept(self):
        while True:
            try:
                s, _ = self.ls.accept()
            except OSError:
                return
            self.conns.append(s)
            self.connects += 1
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, s):
        try:
            _Conn(s, self.log, self).serve()
        except (EOFError, OSError):
            pass
        finally:
            s.close()

    def stop(self):
        try:
            self.ls.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ls.close()
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
