/*
 * pcap_gen: writes NVMe/TCP conversations built by libnvmf's PDU codec
 * (src/tcp/pdu.h) into a pcap file, plus the expectations an independent
 * dissector (tshark) must confirm: judge.py compares them.
 *
 * Only the codec builds PDUs here (tcp_build_*, tcp_data_digest,
 * tcp_put_digest); what this program writes into the expectations is
 * derived from the NVMe/TCP 1.0 rules on its own (PDO rounded up to the
 * PDA, PLEN covering header, digests, padding and data, digest flags only
 * on PDUs that carry what they protect), never read back from the built
 * bytes, so that a codec bug shows up as a mismatch.
 *
 * Two connections go into each file: an admin queue (ICReq/ICResp,
 * Connect with in-capsule data, Property Get, Identify with C2HData,
 * C2HTermReq) and an I/O queue (Connect, Write with in-capsule data,
 * Write through two R2Ts answered by several H2CData, Read with several
 * C2HData the last of which carries SUCCESS, a small Read, H2CTermReq).
 *
 * Usage: pcap_gen [options] OUT.pcap OUT.expect (see usage()).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>
#include <nvmf/nvme_tcp.h>

#include "tcp/pdu.h"
#include "pcapw.h"

#define MAX_PDUS   128
#define LINE_MAX_  1024
#define ADMIN_PORT 40001
#define IO_PORT    40002

#define SUBNQN  "nqn.2014-08.org.nvmexpress:uuid:judge-subsystem"
#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:6a0c1f6e-judge-host"

/* Negative modes: one PDU deliberately wrong so that the judge must object. */
enum brk { BRK_NONE, BRK_FIELD, BRK_DDGST, BRK_HDGST };

struct gen {
	/* options */
	uint8_t  hpda, cpda;
	bool     hdgst, ddgst, mixed;
	enum brk brk;
	/* state */
	struct pcapw    w;
	struct tconv    c;
	struct tcp_params tx[2];	/* what each side honours when it sends */
	int      npdu;
	uint32_t frame[MAX_PDUS];
	char     line[MAX_PDUS][LINE_MAX_];
	int      nh2c;			/* H2CData PDUs sent so far (BRK_FIELD) */
	int      nc2h;			/* C2HData PDUs sent so far (BRK_DDGST) */
	int      nresp;			/* CapsuleResps sent so far (BRK_HDGST) */
};

/* Segment sizes of the "mixed" mode: PDU headers, even the 8-byte CH, get
 * split across segments and several PDUs share one segment. */
static const uint32_t mixed_pattern[] = { 100, 1, 7, 1460, 333, 24, 3, 900, 1460, 61, 1460, 5 };

static const char *type_name(uint8_t t)
{
	switch (t) {
	case NVMF_TCP_ICREQ: return "ICReq";
	case NVMF_TCP_ICRESP: return "ICResp";
	case NVMF_TCP_H2C_TERM_REQ: return "H2CTermReq";
	case NVMF_TCP_C2H_TERM_REQ: return "C2HTermReq";
	case NVMF_TCP_CAPSULE_CMD: return "CapsuleCmd";
	case NVMF_TCP_CAPSULE_RESP: return "CapsuleResp";
	case NVMF_TCP_H2C_DATA: return "H2CData";
	case NVMF_TCP_C2H_DATA: return "C2HData";
	case NVMF_TCP_R2T: return "R2T";
	}
	return "?";
}

/* Deterministic payload bytes; judge.py regenerates them to check digests. */
static void fill_pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

static uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }

/*
 * Sends one PDU: hdr (hdr_len bytes from a builder), then data and, when
 * data digests are on and there is data, its digest. The expectation line
 * gets the common-header values the spec requires, then the fields fmt gives.
 * Digests never apply to ICReq/ICResp/TermReq (NVMe/TCP 1.0, 3.6.2.2-5).
 */
static int send_pdu(struct gen *g, int side, uint8_t type, uint8_t flags_extra,
		    uint8_t *hdr, size_t hdr_len, const uint8_t *data, uint32_t datal,
		    const char *data_desc, const char *fmt, ...)
{
	const struct tcp_params *p = &g->tx[side];
	bool dig_ok = type != NVMF_TCP_ICREQ && type != NVMF_TCP_ICRESP &&
		      type != NVMF_TCP_H2C_TERM_REQ && type != NVMF_TCP_C2H_TERM_REQ;
	bool hd = dig_ok && p->hdgst;
	bool dd = dig_ok && p->ddgst && datal > 0;
	uint32_t hlen, pdo = 0, plen, flags;
	uint8_t dgst[4];
	char *l;
	size_t n;
	va_list ap;
	int rc;

	switch (type) {
	case NVMF_TCP_ICREQ: case NVMF_TCP_ICRESP: hlen = 128; break;
	case NVMF_TCP_CAPSULE_CMD: hlen = 72; break;
	default: hlen = 24; break;
	}
	if (dig_ok && datal > 0)
		pdo = align_up(hlen + (hd ? 4 : 0), tcp_pda_bytes(p->tx_pda));
	if (type == NVMF_TCP_H2C_TERM_REQ || type == NVMF_TCP_C2H_TERM_REQ)
		plen = hlen + datal;	/* the copied header follows at once, PDO 0 */
	else
		plen = (pdo ? pdo : hlen + (hd ? 4 : 0)) + datal + (dd ? 4 : 0);
	flags = (hd ? NVMF_TCP_F_HDGST : 0) | (dd ? NVMF_TCP_F_DDGST : 0) | flags_extra;

	if (g->npdu == MAX_PDUS)
		return -ENOSPC;
	l = g->line[g->npdu];
	n = (size_t)snprintf(l, LINE_MAX_, "type=%s TYPE=%u FLAGS=0x%02x HLEN=%u PDO=%u PLEN=%u "
			     "HDGST=%d DDGST=%d", type_name(type), type, flags, hlen, pdo,
			     plen, hd, dd);
	if (datal && data_desc && n < LINE_MAX_)
		n += (size_t)snprintf(l + n, LINE_MAX_ - n, " DATA=%s DLEN=%u", data_desc, datal);
	va_start(ap, fmt);
	if (fmt && *fmt && n + 1 < LINE_MAX_) {
		l[n++] = ' ';
		vsnprintf(l + n, LINE_MAX_ - n, fmt, ap);
	}
	va_end(ap);

	/* TermReq builders already hold the copied header. */
	rc = tconv_write(&g->c, side, hdr, hdr_len);
	if (!rc && datal && dig_ok)
		rc = tconv_write(&g->c, side, data, datal);
	if (!rc && dd) {
		struct iovec iov = { .iov_base = (void *)data, .iov_len = datal };

		tcp_put_digest(dgst, tcp_data_digest(&iov, 1));
		if (g->brk == BRK_DDGST && type == NVMF_TCP_C2H_DATA && g->nc2h == 0)
			dgst[0] ^= 0x01;	/* the negative case: one bit off */
		rc = tconv_write(&g->c, side, dgst, 4);
	}
	if (!rc)
		rc = tconv_mark(&g->c, side, &g->frame[g->npdu]);
	g->npdu++;
	if (!rc && !g->mixed)
		rc = tconv_flush(&g->c, side);
	return rc;
}

/* In mixed mode a side's bytes go out when the other side starts talking. */
static int turn(struct gen *g, int side)
{
	return tconv_flush(&g->c, !side);
}

/* Recomputes a header digest after a deliberate corruption of the header. */
static void redigest(struct gen *g, uint8_t *hdr, uint32_t hlen, int side)
{
	struct iovec iov = { .iov_base = hdr, .iov_len = hlen };

	if (g->tx[side].hdgst)
		tcp_put_digest(hdr + hlen, tcp_data_digest(&iov, 1));
}

/* ---- PDU senders ---------------------------------------------------------- */

static int send_icreq(struct gen *g, uint32_t maxr2t)
{
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n = tcp_build_icreq(b, g->hpda, g->hdgst, g->ddgst, maxr2t);

	return send_pdu(g, TCONV_HOST, NVMF_TCP_ICREQ, 0, b, n, NULL, 0, NULL,
			"PFV=0 HPDA=%u DGST=%u MAXR2T=%u", g->hpda,
			(g->hdgst ? 1 : 0) | (g->ddgst ? 2 : 0), maxr2t);
}

static int send_icresp(struct gen *g, uint32_t maxh2cdata)
{
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n = tcp_build_icresp(b, g->cpda, g->hdgst, g->ddgst, maxh2cdata);

	return send_pdu(g, TCONV_CTRL, NVMF_TCP_ICRESP, 0, b, n, NULL, 0, NULL,
			"PFV=0 CPDA=%u DGST=%u MAXH2CDATA=%u", g->cpda,
			(g->hdgst ? 1 : 0) | (g->ddgst ? 2 : 0), maxh2cdata);
}

/* SQE common part (NVMe Base 2.0, 4.2): opcode, PSDT 01b (SGLs, as fabrics
 * require), CID, NSID and SGL1 (transport data block for data the
 * controller fetches with R2T, or a data block with the Offset subtype for
 * in-capsule data: NVMe/TCP 1.0, 3.3.5). */
static void sqe_init(uint8_t *sqe, uint8_t opc, uint16_t cid, uint32_t nsid, uint32_t len,
		     bool icd)
{
	memset(sqe, 0, 64);
	sqe[0] = opc;
	sqe[1] = 0x40;
	nvmf_put_le16(sqe + 2, cid);
	nvmf_put_le32(sqe + 4, nsid);
	nvmf_put_le64(sqe + 24, 0);
	nvmf_put_le32(sqe + 32, len);
	sqe[39] = icd ? 0x01 : 0x5a;
}

static int send_connect(struct gen *g, uint16_t cid, uint16_t qid, uint16_t sqsize,
			uint8_t cattr, uint32_t kato)
{
	uint8_t sqe[64], data[1024], b[TCP_PDU_HDR_BUF];
	size_t n;

	sqe_init(sqe, 0x7f, cid, 0, sizeof(data), true);
	sqe[4] = 0x01;			/* FCTYPE Connect (NVMe-oF 1.1, 3.3) */
	nvmf_put_le16(sqe + 40, 0);	/* RECFMT */
	nvmf_put_le16(sqe + 42, qid);
	nvmf_put_le16(sqe + 44, sqsize);
	sqe[46] = cattr;
	nvmf_put_le32(sqe + 48, kato);
	/* Connect data: HOSTID, CNTLID, SUBNQN at 256, HOSTNQN at 512. */
	memset(data, 0, sizeof(data));
	fill_pattern(data, 16, 0x11);
	nvmf_put_le16(data + 16, qid ? 1 : 0xffff);
	memcpy(data + 256, SUBNQN, strlen(SUBNQN));
	memcpy(data + 512, HOSTNQN, strlen(HOSTNQN));
	n = tcp_build_capsule_cmd(b, &g->tx[TCONV_HOST], sqe, sizeof(data));
	return send_pdu(g, TCONV_HOST, NVMF_TCP_CAPSULE_CMD, 0, b, n, data, sizeof(data),
			"connect", "CID=%u OPC=0x7f FCTYPE=1 QID=%u SQSIZE=%u CATTR=%u KATO=%u "
			"SGL_TYPE=0x01 SGL_LEN=1024 CNTLID=%u SUBNQN=%s HOSTNQN=%s",
			cid, qid, sqsize, cattr, kato, qid ? 1 : 0xffff, SUBNQN, HOSTNQN);
}

static int send_prop_get(struct gen *g, uint16_t cid, uint32_t ofst)
{
	uint8_t sqe[64], b[TCP_PDU_HDR_BUF];
	size_t n;

	sqe_init(sqe, 0x7f, cid, 0, 0, true);
	sqe[4] = 0x04;			/* FCTYPE Property Get */
	sqe[40] = 1;			/* ATTRIB: 8 bytes */
	nvmf_put_le32(sqe + 44, ofst);
	n = tcp_build_capsule_cmd(b, &g->tx[TCONV_HOST], sqe, 0);
	return send_pdu(g, TCONV_HOST, NVMF_TCP_CAPSULE_CMD, 0, b, n, NULL, 0, NULL,
			"CID=%u OPC=0x7f FCTYPE=4 PROP_OFST=%u", cid, ofst);
}

/* An NVMe command: Identify (admin 06h) or Read/Write (I/O 02h/01h). */
static int send_nvme_cmd(struct gen *g, uint8_t opc, uint16_t cid, uint32_t nsid,
			 uint64_t slba, uint16_t nlb0, uint32_t len, const uint8_t *icd,
			 uint32_t icd_len, uint32_t seed)
{
	uint8_t sqe[64], b[TCP_PDU_HDR_BUF];
	char desc[32];
	size_t n;

	sqe_init(sqe, opc, cid, nsid, len, icd_len > 0);
	if (opc == 0x06) {
		sqe[40] = 0x01;		/* CNS 01h: Identify Controller */
	} else {
		nvmf_put_le64(sqe + 40, slba);
		nvmf_put_le16(sqe + 48, nlb0);
	}
	n = tcp_build_capsule_cmd(b, &g->tx[TCONV_HOST], sqe, icd_len);
	snprintf(desc, sizeof(desc), "pat:%u", seed);
	if (opc == 0x06)
		return send_pdu(g, TCONV_HOST, NVMF_TCP_CAPSULE_CMD, 0, b, n, icd, icd_len, desc,
				"CID=%u OPC=0x%02x NSID=%u SGL_TYPE=0x%02x SGL_LEN=%u CNS=1",
				cid, opc, nsid, sqe[39], len);
	return send_pdu(g, TCONV_HOST, NVMF_TCP_CAPSULE_CMD, 0, b, n, icd, icd_len, desc,
			"CID=%u OPC=0x%02x NSID=%u SLBA=%llu NLB=%u SGL_TYPE=0x%02x SGL_LEN=%u",
			cid, opc, nsid, (unsigned long long)slba, nlb0, sqe[39], len);
}

/* Get Features (admin 0Ah) of a Feature Identifier given in CDW10. */
static int send_get_features(struct gen *g, uint16_t cid, uint8_t fid)
{
	uint8_t sqe[64], b[TCP_PDU_HDR_BUF];
	size_t n;

	sqe_init(sqe, 0x0a, cid, 0, 0, true);
	sqe[40] = fid;
	n = tcp_build_capsule_cmd(b, &g->tx[TCONV_HOST], sqe, 0);
	return send_pdu(g, TCONV_HOST, NVMF_TCP_CAPSULE_CMD, 0, b, n, NULL, 0, NULL,
			"CID=%u OPC=0x0a NSID=0 SGL_TYPE=0x01 SGL_LEN=0 FID=%u", cid, fid);
}

/* CQE (NVMe Base 2.0, 4.6): DW0, DW1, SQHD, SQID, CID, status + phase. */
static int send_resp(struct gen *g, uint16_t cid, uint16_t sqhd, uint16_t sqid,
		     uint16_t status, uint32_t dw0, const char *kind)
{
	uint8_t cqe[16], b[TCP_PDU_HDR_BUF];
	size_t n;

	memset(cqe, 0, sizeof(cqe));
	nvmf_put_le32(cqe, dw0);
	nvmf_put_le16(cqe + 8, sqhd);
	nvmf_put_le16(cqe + 10, sqid);
	nvmf_put_le16(cqe + 12, cid);
	nvmf_put_le16(cqe + 14, (uint16_t)(status << 1));
	n = tcp_build_capsule_resp(b, &g->tx[TCONV_CTRL], cqe);
	if (g->brk == BRK_HDGST && g->nresp == 1 && g->tx[TCONV_CTRL].hdgst)
		b[24] ^= 0x80;		/* the negative case: header digest off */
	g->nresp++;
	return send_pdu(g, TCONV_CTRL, NVMF_TCP_CAPSULE_RESP, 0, b, n, NULL, 0, NULL,
			"CID=%u SQHD=%u SQID=%u STATUS=%u DW0=%u KIND=%s", cid, sqhd, sqid,
			status, dw0, kind);
}

static int send_r2t(struct gen *g, uint16_t cid, uint16_t ttag, uint32_t r2to, uint32_t r2tl)
{
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n = tcp_build_r2t(b, &g->tx[TCONV_CTRL], cid, ttag, r2to, r2tl);

	return send_pdu(g, TCONV_CTRL, NVMF_TCP_R2T, 0, b, n, NULL, 0, NULL,
			"CID=%u TTAG=%u R2TO=%u R2TL=%u", cid, ttag, r2to, r2tl);
}

static int send_h2c(struct gen *g, uint16_t cid, uint16_t ttag, uint32_t datao, uint32_t datal,
		    bool last, uint32_t seed)
{
	uint8_t b[TCP_PDU_HDR_BUF], *data;
	char desc[32];
	size_t n;
	int rc;

	data = malloc(datal);
	if (!data)
		return -ENOMEM;
	fill_pattern(data, datal, seed);
	n = tcp_build_h2c_data(b, &g->tx[TCONV_HOST], cid, ttag, datao, datal, last);
	if (g->brk == BRK_FIELD && g->nh2c == 1) {
		/* The negative case: DATAO moved into the reserved bytes 20-23. */
		memcpy(b + 20, b + 12, 4);
		memset(b + 12, 0, 4);
		redigest(g, b, 24, TCONV_HOST);
	}
	g->nh2c++;
	snprintf(desc, sizeof(desc), "pat:%u", seed);
	rc = send_pdu(g, TCONV_HOST, NVMF_TCP_H2C_DATA, last ? NVMF_TCP_F_DATA_LAST : 0, b, n,
		      data, datal, desc, "CID=%u TTAG=%u DATAO=%u DATAL=%u LAST=%d",
		      cid, ttag, datao, datal, last);
	free(data);
	return rc;
}

static int send_c2h(struct gen *g, uint16_t cid, uint32_t datao, uint32_t datal, bool last,
		    bool success, uint32_t seed)
{
	uint8_t b[TCP_PDU_HDR_BUF], *data;
	char desc[32];
	size_t n;
	int rc;

	data = malloc(datal);
	if (!data)
		return -ENOMEM;
	fill_pattern(data, datal, seed);
	n = tcp_build_c2h_data(b, &g->tx[TCONV_CTRL], cid, datao, datal, last, success);
	snprintf(desc, sizeof(desc), "pat:%u", seed);
	rc = send_pdu(g, TCONV_CTRL, NVMF_TCP_C2H_DATA,
		      (last ? NVMF_TCP_F_DATA_LAST : 0) | (success ? NVMF_TCP_F_DATA_SUCCESS : 0),
		      b, n, data, datal, desc, "CID=%u DATAO=%u DATAL=%u LAST=%d SUCCESS=%d",
		      cid, datao, datal, last, success);
	g->nc2h++;
	free(data);
	return rc;
}

static int send_term(struct gen *g, int side, uint16_t fes, uint32_t fei, const uint8_t *bad,
		     size_t bad_len)
{
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n, copied = bad_len > NVMF_TCP_TERM_DATA_MAX ? NVMF_TCP_TERM_DATA_MAX : bad_len;

	n = tcp_build_term_req(b, side == TCONV_HOST ? TCP_ROLE_HOST : TCP_ROLE_CTRL, fes, fei,
			       bad, bad_len);
	return send_pdu(g, side, side == TCONV_HOST ? NVMF_TCP_H2C_TERM_REQ :
			NVMF_TCP_C2H_TERM_REQ, 0, b, n, NULL, (uint32_t)copied, NULL,
			"FES=%u FEI=%u", fes, fei);
}

/* ---- The conversations ---------------------------------------------------- */

static int admin_queue(struct gen *g)
{
	uint8_t bad[24];
	int rc;

	rc = tconv_open(&g->c, &g->w, ADMIN_PORT, NVMF_TCP_IO_PORT, 0x10000000, 0x20000000);
	if (rc)
		return rc;
	g->c.pattern = g->mixed ? mixed_pattern : NULL;
	g->c.npattern = g->mixed ? sizeof(mixed_pattern) / sizeof(mixed_pattern[0]) : 0;
	rc = send_icreq(g, 0);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_icresp(g, 8192);
	if (!rc) rc = turn(g, TCONV_HOST);
	if (!rc) rc = send_connect(g, 0x0010, 0, 31, 0, 120000);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_resp(g, 0x0010, 1, 0, 0, 0x0001, "connect");
	if (!rc) rc = turn(g, TCONV_HOST);
	if (!rc) rc = send_prop_get(g, 0x0011, 0x00);
	/* Two commands in flight: Identify goes out before the answer. */
	if (!rc) rc = send_nvme_cmd(g, 0x06, 0x0012, 0, 0, 0, 4096, NULL, 0, 0);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_resp(g, 0x0011, 2, 0, 0, 0x0040ff, "propget");
	if (!rc) rc = send_c2h(g, 0x0012, 0, 4096, true, false, 3);
	if (!rc) rc = send_resp(g, 0x0012, 3, 0, 0, 0, "nvme");
	if (!rc) rc = turn(g, TCONV_HOST);
	/* A failing command: Get Features of a reserved FID gets Invalid Field
	 * in Command (SCT 0, SC 02h) with Do Not Retry (status bit 14). */
	if (!rc) rc = send_get_features(g, 0x0013, 0x7e);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_resp(g, 0x0013, 4, 0, 0x4002, 0, "nvme");
	/* The controller then fails the connection (FES 02h, FEI reserved). */
	memset(bad, 0, sizeof(bad));
	bad[0] = NVMF_TCP_H2C_DATA;
	bad[2] = 24;
	if (!rc) rc = send_term(g, TCONV_CTRL, NVMF_TCP_FES_PDU_SEQ_ERR, 0, bad, sizeof(bad));
	if (!rc) rc = tconv_close(&g->c);
	return rc;
}

static int io_queue(struct gen *g)
{
	uint8_t icd[512], bad[132];
	int rc;

	rc = tconv_open(&g->c, &g->w, IO_PORT, NVMF_TCP_IO_PORT, 0x30000000, 0x40000000);
	if (rc)
		return rc;
	g->c.pattern = g->mixed ? mixed_pattern : NULL;
	g->c.npattern = g->mixed ? sizeof(mixed_pattern) / sizeof(mixed_pattern[0]) : 0;
	rc = send_icreq(g, 1);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_icresp(g, 8192);
	if (!rc) rc = turn(g, TCONV_HOST);
	/* CATTR bit 2: SQ flow control disabled, so C2HData may carry SUCCESS. */
	if (!rc) rc = send_connect(g, 0x0001, 1, 127, 0x04, 0);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_resp(g, 0x0001, 0xffff, 1, 0, 0x0001, "connect");
	if (!rc) rc = turn(g, TCONV_HOST);
	/* Write with in-capsule data: one 512-byte block. */
	fill_pattern(icd, sizeof(icd), 21);
	if (!rc) rc = send_nvme_cmd(g, 0x01, 0x0021, 1, 0, 0, sizeof(icd), icd, sizeof(icd), 21);
	/* Write of 16 KiB through two R2Ts, MAXH2CDATA 8192. */
	if (!rc) rc = send_nvme_cmd(g, 0x01, 0x0022, 1, 8, 31, 16384, NULL, 0, 0);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_resp(g, 0x0021, 0xffff, 1, 0, 0, "nvme");
	if (!rc) rc = send_r2t(g, 0x0022, 1, 0, 8192);
	if (!rc) rc = turn(g, TCONV_HOST);
	if (!rc) rc = send_h2c(g, 0x0022, 1, 0, 4096, false, 31);
	if (!rc) rc = send_h2c(g, 0x0022, 1, 4096, 4096, true, 32);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_r2t(g, 0x0022, 2, 8192, 8192);
	if (!rc) rc = turn(g, TCONV_HOST);
	if (!rc) rc = send_h2c(g, 0x0022, 2, 8192, 8192, true, 33);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_resp(g, 0x0022, 0xffff, 1, 0, 0, "nvme");
	if (!rc) rc = turn(g, TCONV_HOST);
	/* Read of 8 KiB in three C2HData, the last one with SUCCESS. */
	if (!rc) rc = send_nvme_cmd(g, 0x02, 0x0023, 1, 16, 15, 8192, NULL, 0, 0);
	if (!rc) rc = send_nvme_cmd(g, 0x02, 0x0024, 1, 40, 0, 512, NULL, 0, 0);
	if (!rc) rc = turn(g, TCONV_CTRL);
	if (!rc) rc = send_c2h(g, 0x0023, 0, 4096, false, false, 41);
	if (!rc) rc = send_c2h(g, 0x0023, 4096, 1000, false, false, 42);
	if (!rc) rc = send_c2h(g, 0x0023, 5096, 3096, true, true, 43);
	if (!rc) rc = send_c2h(g, 0x0024, 0, 512, true, false, 44);
	if (!rc) rc = send_resp(g, 0x0024, 0xffff, 1, 0, 0, "nvme");
	if (!rc) rc = turn(g, TCONV_HOST);
	/* The host gives up on a header it finds invalid (FES 01h, FEI = byte 2,
	 * HLEN); only the first 128 of the 132 bytes it got fit in the TermReq. */
	memset(bad, 0, sizeof(bad));
	bad[0] = NVMF_TCP_CAPSULE_RESP;
	bad[2] = 128;
	if (!rc) rc = send_term(g, TCONV_HOST, NVMF_TCP_FES_INVALID_PDU_HDR, 2, bad, sizeof(bad));
	if (!rc) rc = tconv_close(&g->c);
	return rc;
}

static int write_expect(struct gen *g, const char *path)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		return -errno;
	fprintf(f, "conf HPDA=%u CPDA=%u HDGST=%d DDGST=%d MIXED=%d BREAK=%d PDUS=%d FRAMES=%u\n",
		g->hpda, g->cpda, g->hdgst, g->ddgst, g->mixed, (int)g->brk, g->npdu,
		g->w.nframes);
	for (i = 0; i < g->npdu; i++)
		fprintf(f, "pdu=%d frame=%u %s\n", i, g->frame[i], g->line[i]);
	return fclose(f) ? -EIO : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pcap_gen [--hpda N] [--cpda N] [--hdgst] [--ddgst] [--mixed]\n"
		"                [--break field|ddgst|hdgst] OUT.pcap OUT.expect\n"
		"  --hpda/--cpda  PDU data alignments, 0's based dwords (0..31)\n"
		"  --mixed        split PDUs across TCP segments and pack several per segment\n"
		"  --break        deliberately spoil one PDU (negative test of the judge)\n");
}

static int parse_pda(const char *s, uint8_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > NVMF_TCP_PDA_MAX) {
		fprintf(stderr, "pcap_gen: PDA '%s' is not a number in 0..31\n", s);
		return -EINVAL;
	}
	*out = (uint8_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hpda", required_argument, NULL, 'H' },
		{ "cpda", required_argument, NULL, 'C' },
		{ "hdgst", no_argument, NULL, 'h' },
		{ "ddgst", no_argument, NULL, 'd' },
		{ "mixed", no_argument, NULL, 'm' },
		{ "break", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gen g;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'H': if (parse_pda(optarg, &g.hpda)) return 2; break;
		case 'C': if (parse_pda(optarg, &g.cpda)) return 2; break;
		case 'h': g.hdgst = true; break;
		case 'd': g.ddgst = true; break;
		case 'm': g.mixed = true; break;
		case 'b':
			if (!strcmp(optarg, "field")) g.brk = BRK_FIELD;
			else if (!strcmp(optarg, "ddgst")) g.brk = BRK_DDGST;
			else if (!strcmp(optarg, "hdgst")) g.brk = BRK_HDGST;
			else { fprintf(stderr, "pcap_gen: unknown --break '%s'\n", optarg); return 2; }
			break;
		default: usage(); return 2;
		}
	}
	if (argc - optind != 2) {
		usage();
		return 2;
	}
	if ((g.brk == BRK_DDGST && !g.ddgst) || (g.brk == BRK_HDGST && !g.hdgst)) {
		fprintf(stderr, "pcap_gen: --break %s needs that digest on\n",
			g.brk == BRK_DDGST ? "ddgst" : "hdgst");
		return 2;
	}
	/* Host sends with the controller's CPDA, the controller with the HPDA. */
	g.tx[TCONV_HOST] = (struct tcp_params){ .role = TCP_ROLE_HOST, .hdgst = g.hdgst,
		.ddgst = g.ddgst, .rx_pda = g.hpda, .tx_pda = g.cpda, .maxh2cdata = 8192 };
	g.tx[TCONV_CTRL] = (struct tcp_params){ .role = TCP_ROLE_CTRL, .hdgst = g.hdgst,
		.ddgst = g.ddgst, .rx_pda = g.cpda, .tx_pda = g.hpda, .maxh2cdata = 8192,
		.max_icd = 8192 };

	rc = pcapw_open(&g.w, argv[optind]);
	if (rc) {
		fprintf(stderr, "pcap_gen: cannot create %s: %s\n", argv[optind], strerror(-rc));
		return 1;
	}
	rc = admin_queue(&g);
	if (!rc)
		rc = io_queue(&g);
	if (pcapw_close(&g.w) && !rc)
		rc = -EIO;
	if (!rc)
		rc = write_expect(&g, argv[optind + 1]);
	if (rc) {
		fprintf(stderr, "pcap_gen: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}
