/*
 * NVMe/TCP PDU codec: builders for every PDU we send and strict checks of
 * every PDU header we receive (NVMe/TCP Transport Specification 1.0, 3.6).
 *
 * Received headers are checked field by field in wire order, so that the
 * termination request names the lowest offending field (FEI is the byte
 * offset of that field in the PDU header, 3.6.2.4 Figure 27). The rules
 * follow the specification and what the Linux, SPDK and FreeBSD
 * implementations enforce:
 *  - ICReq/ICResp and TermReqs carry no digests, no PDO (3.6.2.2-3.6.2.5);
 *    ICReq/ICResp are exactly 128 bytes; a TermReq carries at most 128
 *    bytes of the offending header, PLEN 24..152.
 *  - CapsuleResp and R2T carry a header digest when negotiated, never data.
 *  - CapsuleCmd (in-capsule data), H2CData and C2HData carry data at PDO,
 *    which is at least HLEN + HDGST and a multiple of the receiver's
 *    alignment ((PDA + 1) * 4 bytes, 3.6.2.2/3.6.2.3); it may exceed the
 *    minimum (FreeBSD and SPDK accept any aligned PDO). PDO is 0 when there
 *    is no data. DDGSTF is set iff data digests were negotiated and the PDU
 *    carries data (3.6.1, 3.6.2.1).
 *  - SUCCESS is legal only on C2HData together with LAST_PDU (3.6.2.9).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tcp/pdu.h"

/* Byte offsets used as FEI (3.6.1 Figure 20 and the PSH layouts). */
#define FEI_PDU_TYPE  0
#define FEI_FLAGS     1
#define FEI_HLEN      2
#define FEI_PDO       3
#define FEI_PLEN      4
#define FEI_PFV       8
#define FEI_PDA       10	/* ICReq.HPDA / ICResp.CPDA */
#define FEI_DGST      11
#define FEI_MAXH2C    12	/* ICResp.MAXH2CDATA */
#define FEI_DATAO     12	/* H2CData/C2HData.DATAO, R2T.R2TO */
#define FEI_DATAL     16	/* H2CData/C2HData.DATAL, R2T.R2TL */

#define TCP_TERM_REQ_PLEN_MAX (NVMF_TCP_TERM_REQ_HLEN + NVMF_TCP_TERM_DATA_MAX)

int tcp_fail(struct tcp_err *err, uint16_t fes, uint32_t fei, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -EPROTO;
	err->fes = fes;
	err->fei = fei;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EPROTO;
}

const char *tcp_pdu_type_name(uint8_t type)
{
	switch (type) {
	case NVMF_TCP_ICREQ:		return "ICReq";
	case NVMF_TCP_ICRESP:		return "ICResp";
	case NVMF_TCP_H2C_TERM_REQ:	return "H2CTermReq";
	case NVMF_TCP_C2H_TERM_REQ:	return "C2HTermReq";
	case NVMF_TCP_CAPSULE_CMD:	return "CapsuleCmd";
	case NVMF_TCP_CAPSULE_RESP:	return "CapsuleResp";
	case NVMF_TCP_H2C_DATA:		return "H2CData";
	case NVMF_TCP_C2H_DATA:		return "C2HData";
	case NVMF_TCP_R2T:		return "R2T";
	default:			return "unknown PDU type";
	}
}

const char *tcp_fes_name(uint16_t fes)
{
	switch (fes) {
	case 0:					return "no error";
	case NVMF_TCP_FES_INVALID_PDU_HDR:	return "invalid PDU header field";
	case NVMF_TCP_FES_PDU_SEQ_ERR:		return "PDU sequence error";
	case NVMF_TCP_FES_HDR_DIGEST_ERR:	return "header digest error";
	case NVMF_TCP_FES_DATA_OUT_OF_RANGE:	return "data transfer out of range";
	case NVMF_TCP_FES_DATA_LIMIT_EXCEEDED:	return "data transfer limit exceeded";
	case NVMF_TCP_FES_UNSUPPORTED_PARAM:	return "unsupported parameter";
	default:				return "unknown fatal error status";
	}
}

/* ---- Layout and builders ------------------------------------------------- */

static uint32_t tcp_roundup(uint32_t v, uint32_t align)
{
	return (v + align - 1) / align * align;
}

uint32_t tcp_tx_pdo(const struct tcp_params *p, uint32_t hlen)
{
	uint32_t hdr_total = hlen + (p->hdgst ? NVMF_TCP_DIGEST_LEN : 0);

	/* 3.6.1: PAD brings the data to the alignment the receiver asked for
	 * (HPDA for the controller's PDUs, CPDA for the host's). */
	return tcp_roundup(hdr_total, tcp_pda_bytes(p->tx_pda));
}

void tcp_put_digest(void *buf, uint32_t digest)
{
	nvmf_put_le32(buf, digest);
}

static void tcp_put_ch(uint8_t *b, uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo,
		       uint32_t plen)
{
	b[0] = type;
	b[1] = flags;
	b[2] = hlen;
	b[3] = pdo;
	nvmf_put_le32(b + 4, plen);
}

/*
 * Common tail of the builders of digest-capable PDUs: computes PDO and PLEN,
 * fills the CH, appends the header digest and zeroes the PAD. The PSH must
 * already be in place (bytes 8..hlen-1) because the digest covers it.
 */
static size_t tcp_finish_hdr(uint8_t *b, const struct tcp_params *p, uint8_t type,
			     uint8_t flags, uint32_t hlen, uint32_t datal)
{
	uint32_t hdr_total = hlen + (p->hdgst ? NVMF_TCP_DIGEST_LEN : 0);
	uint32_t pdo = 0, plen = hdr_total, len = hdr_total;

	if (p->hdgst)
		flags |= NVMF_TCP_F_HDGST;
	if (datal > 0) {
		pdo = tcp_tx_pdo(p, hlen);
		plen = pdo + datal;
		if (p->ddgst) {
			flags |= NVMF_TCP_F_DDGST;
			plen += NVMF_TCP_DIGEST_LEN;
		}
		len = pdo;
	}
	tcp_put_ch(b, type, flags, (uint8_t)hlen, (uint8_t)pdo, plen);
	if (p->hdgst)
		tcp_put_digest(b + hlen, tcp_crc32c(b, hlen));
	if (len > hdr_total)
		memset(b + hdr_total, 0, len - hdr_total);
	return len;
}

size_t tcp_build_icreq(void *buf, uint8_t hpda, bool hdgst, bool ddgst, uint32_t maxr2t)
{
	uint8_t *b = buf;

	/* 3.6.2.2: 128 bytes, no digest, no data. */
	memset(b, 0, NVMF_TCP_ICREQ_HLEN);
	tcp_put_ch(b, NVMF_TCP_ICREQ, 0, NVMF_TCP_ICREQ_HLEN, 0, NVMF_TCP_ICREQ_HLEN);
	nvmf_put_le16(b + 8, NVMF_TCP_PFV_1_0);
	b[10] = hpda;
	b[11] = (hdgst ? NVMF_TCP_HDGST_ENABLE : 0) | (ddgst ? NVMF_TCP_DDGST_ENABLE : 0);
	nvmf_put_le32(b + 12, maxr2t);
	return NVMF_TCP_ICREQ_HLEN;
}

size_t tcp_build_icresp(void *buf, uint8_t cpda, bool hdgst, bool ddgst, uint32_t maxh2cdata)
{
	uint8_t *b = buf;

	/* 3.6.2.3: 128 bytes, no digest, no data. */
	memset(b, 0, NVMF_TCP_ICRESP_HLEN);
	tcp_put_ch(b, NVMF_TCP_ICRESP, 0, NVMF_TCP_ICRESP_HLEN, 0, NVMF_TCP_ICRESP_HLEN);
	nvmf_put_le16(b + 8, NVMF_TCP_PFV_1_0);
	b[10] = cpda;
	b[11] = (hdgst ? NVMF_TCP_HDGST_ENABLE : 0) | (ddgst ? NVMF_TCP_DDGST_ENABLE : 0);
	nvmf_put_le32(b + 12, maxh2cdata);
	return NVMF_TCP_ICRESP_HLEN;
}

size_t tcp_build_capsule_cmd(void *buf, const struct tcp_params *p, const void *sqe64,
			     uint32_t icd_len)
{
	uint8_t *b = buf;

	/* 3.6.2.6: the SQE, then in-capsule data at PDO. */
	memcpy(b + 8, sqe64, 64);
	return tcp_finish_hdr(b, p, NVMF_TCP_CAPSULE_CMD, 0, NVMF_TCP_CAPSULE_CMD_HLEN, icd_len);
}

size_t tcp_build_capsule_resp(void *buf, const struct tcp_params *p, const void *cqe16)
{
	uint8_t *b = buf;

	/* 3.6.2.7: the CQE, never data. */
	memcpy(b + 8, cqe16, 16);
	return tcp_finish_hdr(b, p, NVMF_TCP_CAPSULE_RESP, 0, NVMF_TCP_CAPSULE_RESP_HLEN, 0);
}

size_t tcp_build_h2c_data(void *buf, const struct tcp_params *p, uint16_t cccid,
			  uint16_t ttag, uint32_t datao, uint32_t datal, bool last)
{
	uint8_t *b = buf;

	/* 3.6.2.8 */
	memset(b + 8, 0, NVMF_TCP_DATA_HLEN - 8);
	nvmf_put_le16(b + 8, cccid);
	nvmf_put_le16(b + 10, ttag);
	nvmf_put_le32(b + 12, datao);
	nvmf_put_le32(b + 16, datal);
	return tcp_finish_hdr(b, p, NVMF_TCP_H2C_DATA, last ? NVMF_TCP_F_DATA_LAST : 0,
			      NVMF_TCP_DATA_HLEN, datal);
}

size_t tcp_build_c2h_data(void *buf, const struct tcp_params *p, uint16_t cccid,
			  uint32_t datao, uint32_t datal, bool last, bool success)
{
	uint8_t *b = buf;
	uint8_t flags = 0;

	/* 3.6.2.9: SUCCESS is only meaningful (and only legal) with LAST_PDU;
	 * the caller decides, the receiver enforces. */
	if (last)
		flags |= NVMF_TCP_F_DATA_LAST;
	if (success)
		flags |= NVMF_TCP_F_DATA_SUCCESS;
	memset(b + 8, 0, NVMF_TCP_DATA_HLEN - 8);
	nvmf_put_le16(b + 8, cccid);
	nvmf_put_le32(b + 12, datao);
	nvmf_put_le32(b + 16, datal);
	return tcp_finish_hdr(b, p, NVMF_TCP_C2H_DATA, flags, NVMF_TCP_DATA_HLEN, datal);
}

size_t tcp_build_r2t(void *buf, const struct tcp_params *p, uint16_t cccid, uint16_t ttag,
		     uint32_t r2to, uint32_t r2tl)
{
	uint8_t *b = buf;

	/* 3.6.2.10 */
	memset(b + 8, 0, NVMF_TCP_R2T_HLEN - 8);
	nvmf_put_le16(b + 8, cccid);
	nvmf_put_le16(b + 10, ttag);
	nvmf_put_le32(b + 12, r2to);
	nvmf_put_le32(b + 16, r2tl);
	return tcp_finish_hdr(b, p, NVMF_TCP_R2T, 0, NVMF_TCP_R2T_HLEN, 0);
}

size_t tcp_build_term_req(void *buf, enum tcp_role sender, uint16_t fes, uint32_t fei,
			  const void *bad_hdr, size_t bad_hdr_len)
{
	uint8_t *b = buf;
	uint8_t type = sender == TCP_ROLE_HOST ? NVMF_TCP_H2C_TERM_REQ : NVMF_TCP_C2H_TERM_REQ;

	/* 3.6.2.4/3.6.2.5: no digests, no PDO; the data is the header of
	 * the PDU in error, truncated to 128 bytes (PLEN at most 152). */
	if (bad_hdr == NULL)
		bad_hdr_len = 0;
	if (bad_hdr_len > NVMF_TCP_TERM_DATA_MAX)
		bad_hdr_len = NVMF_TCP_TERM_DATA_MAX;
	memset(b, 0, NVMF_TCP_TERM_REQ_HLEN);
	tcp_put_ch(b, type, 0, NVMF_TCP_TERM_REQ_HLEN, 0,
		   (uint32_t)(NVMF_TCP_TERM_REQ_HLEN + bad_hdr_len));
	nvmf_put_le16(b + 8, fes);
	nvmf_put_le32(b + 10, fei);
	if (bad_hdr_len > 0)
		memcpy(b + NVMF_TCP_TERM_REQ_HLEN, bad_hdr, bad_hdr_len);
	return NVMF_TCP_TERM_REQ_HLEN + bad_hdr_len;
}

/* ---- Initialize Connection ------------------------------------------------ */

int tcp_check_icresp(const struct nvmf_tcp_icresp *resp, const struct tcp_ic_request *req,
		     struct tcp_params *out, struct tcp_err *err)
{
	uint16_t pfv = nvmf_le16toh(resp->pfv);
	uint32_t maxh2c = nvmf_le32toh(resp->maxh2cdata);
	bool hdgst = (resp->dgst & NVMF_TCP_HDGST_ENABLE) != 0;
	bool ddgst = (resp->dgst & NVMF_TCP_DDGST_ENABLE) != 0;

	/* 3.6.2.3 */
	if (pfv != NVMF_TCP_PFV_1_0)
		return tcp_fail(err, NVMF_TCP_FES_UNSUPPORTED_PARAM, FEI_PFV,
				"ICResp: PFV %u, only 0 (1.0) is supported", pfv);
	if (resp->cpda > NVMF_TCP_PDA_MAX)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PDA,
				"ICResp: CPDA %u above 31", resp->cpda);
	/* Linux requires exactly the digests it asked for, FreeBSD refuses
	 * unrequested ones: a controller that enables a digest we did not
	 * ask for, or declines one we asked for, is refused either way. */
	if (hdgst != req->hdgst)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_DGST,
				"ICResp: header digest %s by the controller, %s by the host",
				hdgst ? "enabled" : "declined",
				req->hdgst ? "requested" : "not requested");
	if (ddgst != req->ddgst)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_DGST,
				"ICResp: data digest %s by the controller, %s by the host",
				ddgst ? "enabled" : "declined",
				req->ddgst ? "requested" : "not requested");
	if (maxh2c < NVMF_TCP_MIN_MAXH2CDATA || maxh2c % 4 != 0)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_MAXH2C,
				"ICResp: MAXH2CDATA %u, must be >= 4096 and a multiple of 4",
				maxh2c);
	memset(out, 0, sizeof(*out));
	out->role = TCP_ROLE_HOST;
	out->hdgst = hdgst;
	out->ddgst = ddgst;
	out->rx_pda = req->hpda;
	out->tx_pda = resp->cpda;
	/* Any value above 4096 is the controller's to give; we send no more
	 * than TCP_PDU_DATA_CAP per H2CData all the same. */
	out->maxh2cdata = maxh2c < TCP_PDU_DATA_CAP ? maxh2c : TCP_PDU_DATA_CAP;
	out->max_icd = 0;
	return 0;
}

int tcp_check_icreq(const struct nvmf_tcp_icreq *req, uint8_t cpda, uint32_t maxh2cdata,
		    uint32_t max_icd, struct tcp_params *out, struct tcp_err *err)
{
	uint16_t pfv = nvmf_le16toh(req->pfv);

	/* 3.6.2.2 */
	if (pfv != NVMF_TCP_PFV_1_0)
		return tcp_fail(err, NVMF_TCP_FES_UNSUPPORTED_PARAM, FEI_PFV,
				"ICReq: PFV %u, only 0 (1.0) is supported", pfv);
	if (req->hpda > NVMF_TCP_PDA_MAX)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PDA,
				"ICReq: HPDA %u above 31", req->hpda);
	memset(out, 0, sizeof(*out));
	out->role = TCP_ROLE_CTRL;
	out->hdgst = (req->dgst & NVMF_TCP_HDGST_ENABLE) != 0;
	out->ddgst = (req->dgst & NVMF_TCP_DDGST_ENABLE) != 0;
	out->rx_pda = cpda;
	out->tx_pda = req->hpda;
	out->maxh2cdata = maxh2cdata;
	out->max_icd = max_icd;
	return 0;
}

/* ---- Received common header ----------------------------------------------- */

/* Static facts about a PDU type (3.6.1 Figure 21 and 3.6.2.x). */
struct tcp_type_info {
	uint8_t hlen;
	uint8_t valid_flags;	/* flag bits the type may carry */
	bool    digests;	/* may carry HDGST (and DDGST if data) */
	bool    data;		/* carries data at PDO */
	bool    to_ctrl;	/* sent by the host */
	bool    ic;		/* ICReq/ICResp */
	bool    term;		/* TermReq */
};

static const struct tcp_type_info *tcp_type_info(uint8_t type)
{
	static const struct tcp_type_info info[] = {
		[NVMF_TCP_ICREQ] = { NVMF_TCP_ICREQ_HLEN, 0, false, false, true, true, false },
		[NVMF_TCP_ICRESP] = { NVMF_TCP_ICRESP_HLEN, 0, false, false, false, true, false },
		[NVMF_TCP_H2C_TERM_REQ] = { NVMF_TCP_TERM_REQ_HLEN, 0, false, false, true, false, true },
		[NVMF_TCP_C2H_TERM_REQ] = { NVMF_TCP_TERM_REQ_HLEN, 0, false, false, false, false, true },
		[NVMF_TCP_CAPSULE_CMD] = { NVMF_TCP_CAPSULE_CMD_HLEN,
			NVMF_TCP_F_HDGST | NVMF_TCP_F_DDGST, true, true, true, false, false },
		[NVMF_TCP_CAPSULE_RESP] = { NVMF_TCP_CAPSULE_RESP_HLEN,
			NVMF_TCP_F_HDGST, true, false, false, false, false },
		[NVMF_TCP_H2C_DATA] = { NVMF_TCP_DATA_HLEN,
			NVMF_TCP_F_HDGST | NVMF_TCP_F_DDGST | NVMF_TCP_F_DATA_LAST,
			true, true, true, false, false },
		[NVMF_TCP_C2H_DATA] = { NVMF_TCP_DATA_HLEN,
			NVMF_TCP_F_HDGST | NVMF_TCP_F_DDGST | NVMF_TCP_F_DATA_LAST |
			NVMF_TCP_F_DATA_SUCCESS, true, true, false, false, false },
		[NVMF_TCP_R2T] = { NVMF_TCP_R2T_HLEN, NVMF_TCP_F_HDGST, true, false, false,
			false, false },
	};

	if (type >= sizeof(info) / sizeof(info[0]) || info[type].hlen == 0)
		return NULL;
	return &info[type];
}

/*
 * PDU type: known (FES 01h, FEI 0), sent in our receive direction and in
 * sequence (FES 02h, FEI 0). Before the IC exchange only the peer's IC PDU
 * is legal, plus a TermReq (a controller may refuse an ICReq with a
 * C2HTermReq, 3.6.2.4); after it, never an IC PDU again (3.3).
 */
static int tcp_check_type(const struct tcp_type_info *ti, uint8_t type,
			  const struct tcp_params *p, bool ic_done, struct tcp_err *err)
{
	bool to_ctrl = p->role == TCP_ROLE_CTRL;

	if (ti == NULL)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PDU_TYPE,
				"PDU type %#x is not defined", type);
	if (ti->to_ctrl != to_ctrl)
		return tcp_fail(err, NVMF_TCP_FES_PDU_SEQ_ERR, FEI_PDU_TYPE,
				"%s received by the %s: wrong direction",
				tcp_pdu_type_name(type), to_ctrl ? "controller" : "host");
	if (!ic_done && !ti->ic && !ti->term)
		return tcp_fail(err, NVMF_TCP_FES_PDU_SEQ_ERR, FEI_PDU_TYPE,
				"%s received before the %s", tcp_pdu_type_name(type),
				to_ctrl ? "ICReq" : "ICResp");
	if (ic_done && ti->ic)
		return tcp_fail(err, NVMF_TCP_FES_PDU_SEQ_ERR, FEI_PDU_TYPE,
				"%s received after connection initialization",
				tcp_pdu_type_name(type));
	return 0;
}

/* Flags (FEI 1): defined bits for the type, digests exactly as negotiated. */
static int tcp_check_flags(const struct tcp_type_info *ti, uint8_t type, uint8_t flags,
			   uint32_t plen, const struct tcp_params *p, struct tcp_err *err)
{
	const char *name = tcp_pdu_type_name(type);
	uint32_t hdr_total = ti->hlen + (p->hdgst ? NVMF_TCP_DIGEST_LEN : 0);
	bool want_h = ti->digests && p->hdgst;
	bool want_d = ti->digests && ti->data && p->ddgst && plen > hdr_total;

	if (flags & ~ti->valid_flags)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS,
				"%s: flags %#x has bits %#x undefined for this PDU type",
				name, flags, flags & ~ti->valid_flags);
	if (((flags & NVMF_TCP_F_HDGST) != 0) != want_h)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS,
				"%s: HDGSTF %s but header digests are %s", name,
				(flags & NVMF_TCP_F_HDGST) ? "set" : "clear",
				p->hdgst ? "on" : "off");
	if (((flags & NVMF_TCP_F_DDGST) != 0) != want_d)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS,
				"%s: DDGSTF %s but data digests are %s%s", name,
				(flags & NVMF_TCP_F_DDGST) ? "set" : "clear",
				p->ddgst ? "on" : "off",
				p->ddgst && !want_d ? " and the PDU has no data" : "");
	if (type == NVMF_TCP_C2H_DATA &&
	    (flags & (NVMF_TCP_F_DATA_SUCCESS | NVMF_TCP_F_DATA_LAST)) == NVMF_TCP_F_DATA_SUCCESS)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS,
				"C2HData: SUCCESS set without LAST_PDU");
	return 0;
}

/* PDO (FEI 3) and PLEN (FEI 4) of a PDU type that may carry data. */
static int tcp_check_data_layout(const char *name, uint32_t pdo, uint32_t plen, bool ddgst,
				 const struct tcp_params *p, struct tcp_rx_layout *lay,
				 struct tcp_err *err)
{
	uint32_t align = tcp_pda_bytes(p->rx_pda);
	uint32_t dlen = ddgst ? NVMF_TCP_DIGEST_LEN : 0;

	if (plen < lay->hdr_total)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PLEN,
				"%s: PLEN %u shorter than its header (%u)", name, plen,
				lay->hdr_total);
	if (pdo == 0) {
		if (plen != lay->hdr_total)
			return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PDO,
					"%s: PDO 0 but PLEN %u leaves %u bytes of data", name,
					plen, plen - lay->hdr_total);
		return 0;
	}
	if (pdo < lay->hdr_total)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PDO,
				"%s: PDO %u inside the header (header and digest are %u bytes)",
				name, pdo, lay->hdr_total);
	if (pdo % align != 0)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PDO,
				"%s: PDO %u not a multiple of the negotiated %u-byte alignment "
				"(PDA %u)", name, pdo, align, p->rx_pda);
	if (pdo > plen)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PDO,
				"%s: PDO %u beyond PLEN %u", name, pdo, plen);
	if (plen == pdo && pdo == lay->hdr_total && !ddgst)
		return 0;	/* no data, PDO set anyway: tolerated as FreeBSD does */
	if (plen <= pdo + dlen)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PLEN,
				"%s: PLEN %u leaves no data after PDO %u%s", name, plen, pdo,
				ddgst ? " and the data digest" : "");
	lay->pad = pdo - lay->hdr_total;
	lay->datal = plen - pdo - dlen;
	lay->ddgst_len = dlen;
	return 0;
}

int tcp_check_ch(const struct nvmf_tcp_ch *ch, const struct tcp_params *p, bool ic_done,
		 struct tcp_rx_layout *lay, struct tcp_err *err)
{
	const struct tcp_type_info *ti = tcp_type_info(ch->pdu_type);
	uint32_t plen = nvmf_le32toh(ch->plen);
	const char *name = tcp_pdu_type_name(ch->pdu_type);
	int rc;

	memset(lay, 0, sizeof(*lay));
	rc = tcp_check_type(ti, ch->pdu_type, p, ic_done, err);
	if (rc != 0)
		return rc;
	rc = tcp_check_flags(ti, ch->pdu_type, ch->flags, plen, p, err);
	if (rc != 0)
		return rc;
	if (ch->hlen != ti->hlen)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_HLEN,
				"%s: HLEN %u, must be %u", name, ch->hlen, ti->hlen);
	lay->hlen = ti->hlen;
	lay->hdr_total = ti->hlen + ((ch->flags & NVMF_TCP_F_HDGST) ? NVMF_TCP_DIGEST_LEN : 0);

	if (ti->data)
		return tcp_check_data_layout(name, ch->pdo, plen,
					     (ch->flags & NVMF_TCP_F_DDGST) != 0, p, lay, err);

	/* No PDO on PDUs without data (3.6.1); TermReq data follows HLEN. */
	if (ch->pdo != 0)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PDO,
				"%s: PDO %u, must be 0 for this PDU type", name, ch->pdo);
	if (ti->term) {
		if (plen < NVMF_TCP_TERM_REQ_HLEN || plen > TCP_TERM_REQ_PLEN_MAX)
			return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PLEN,
					"%s: PLEN %u outside %u..%u", name, plen,
					NVMF_TCP_TERM_REQ_HLEN, TCP_TERM_REQ_PLEN_MAX);
		lay->datal = plen - NVMF_TCP_TERM_REQ_HLEN;
		return 0;
	}
	if (plen != lay->hdr_total)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PLEN,
				"%s: PLEN %u, must be %u", name, plen, lay->hdr_total);
	return 0;
}

/* ---- Received complete header --------------------------------------------- */

int tcp_check_hdr(const union nvmf_tcp_pdu_hdr *hdr, const struct tcp_rx_layout *lay,
		  const struct tcp_params *p, struct tcp_err *err)
{
	uint8_t type = hdr->ch.pdu_type;
	const char *name = tcp_pdu_type_name(type);
	uint32_t datal;

	/* 3.6.1.1: HDGST is the CRC32C of the HLEN header bytes. FEI is
	 * reserved for this FES; 0 as SPDK sends. */
	if (lay->hdr_total > lay->hlen) {
		uint32_t want = tcp_crc32c(hdr->raw, lay->hlen);
		uint32_t got = nvmf_get_le32(hdr->raw + lay->hlen);

		if (want != got)
			return tcp_fail(err, NVMF_TCP_FES_HDR_DIGEST_ERR, 0,
					"%s: header digest %#010x, computed %#010x", name, got,
					want);
	}

	switch (type) {
	case NVMF_TCP_CAPSULE_CMD:
		/* In-capsule data limit: 8 KiB on the admin queue, IOCCSZ on
		 * I/O queues (NVMe/TCP 1.0, 3.3 and 3.6.2.6); the caller sets
		 * max_icd per queue. PLEN carries the length: FEI 4. */
		if (p->role == TCP_ROLE_CTRL && lay->datal > p->max_icd)
			return tcp_fail(err, NVMF_TCP_FES_DATA_LIMIT_EXCEEDED, FEI_PLEN,
					"CapsuleCmd: %u bytes of in-capsule data, limit %u",
					lay->datal, p->max_icd);
		break;
	case NVMF_TCP_H2C_DATA:
	case NVMF_TCP_C2H_DATA:
		datal = nvmf_get_le32(hdr->raw + FEI_DATAL);
		if (datal == 0)
			return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_DATAL,
					"%s: DATAL 0", name);
		if (datal != lay->datal)
			return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_DATAL,
					"%s: DATAL %u but PLEN/PDO leave %u data bytes", name,
					datal, lay->datal);
		/* 3.6.2.3: MAXH2CDATA bounds every H2CData PDU. */
		if (type == NVMF_TCP_H2C_DATA && datal > p->maxh2cdata)
			return tcp_fail(err, NVMF_TCP_FES_DATA_LIMIT_EXCEEDED, FEI_DATAL,
					"H2CData: DATAL %u above MAXH2CDATA %u", datal,
					p->maxh2cdata);
		break;
	case NVMF_TCP_R2T:
		if (nvmf_get_le32(hdr->raw + FEI_DATAL) == 0)
			return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_DATAL,
					"R2T: R2TL 0");
		break;
	default:
		break;
	}
	return 0;
}

int tcp_check_data_range(const union nvmf_tcp_pdu_hdr *hdr, uint32_t xfer_len,
			 uint32_t expected, struct tcp_err *err)
{
	uint8_t type = hdr->ch.pdu_type;
	const char *name = tcp_pdu_type_name(type);
	const char *fo = type == NVMF_TCP_R2T ? "R2TO" : "DATAO";
	const char *fl = type == NVMF_TCP_R2T ? "R2TL" : "DATAL";
	uint32_t off, len;

	if (type != NVMF_TCP_H2C_DATA && type != NVMF_TCP_C2H_DATA && type != NVMF_TCP_R2T)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_PDU_TYPE,
				"%s has no data range", name);
	off = nvmf_get_le32(hdr->raw + FEI_DATAO);
	len = nvmf_get_le32(hdr->raw + FEI_DATAL);
	/* 3.6.2.8-3.6.2.10: the range must lie within the command's data. */
	if (off >= xfer_len)
		return tcp_fail(err, NVMF_TCP_FES_DATA_OUT_OF_RANGE, FEI_DATAO,
				"%s: %s %u outside the command's %u-byte transfer", name, fo,
				off, xfer_len);
	if (len > xfer_len - off)
		return tcp_fail(err, NVMF_TCP_FES_DATA_OUT_OF_RANGE, FEI_DATAL,
				"%s: %s %u + %s %u beyond the command's %u-byte transfer",
				name, fo, off, fl, len, xfer_len);
	/* Data arrives in order (FreeBSD and Linux refuse gaps and overlaps):
	 * an unexpected offset is a PDU sequence error. */
	if (off != expected)
		return tcp_fail(err, NVMF_TCP_FES_PDU_SEQ_ERR, FEI_DATAO,
				"%s: %s %u, expected %u (data out of order)", name, fo, off,
				expected);
	return 0;
}
