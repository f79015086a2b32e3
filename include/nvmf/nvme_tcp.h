/*
 * libnvmf - NVMe/TCP PDU wire format (NVMe/TCP Transport Specification 1.0).
 *
 * Every structure here is exactly what travels on the wire: packed naturally
 * (no compiler padding), multi-byte fields little-endian (use the accessors
 * of <nvmf/endian.h>). Sizes and field offsets are checked at compile time.
 */
#ifndef NVMF_NVME_TCP_H
#define NVMF_NVME_TCP_H

#include <stdint.h>
#include <stddef.h>

#include <nvmf/endian.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NVMF_TCP_PFV_1_0          0x0000  /* PDU format version 1.0 (3.6.2.2) */
#define NVMF_TCP_DISC_PORT        8009    /* discovery service default TCP port */
#define NVMF_TCP_IO_PORT          4420    /* IANA NVMe/TCP port */
#define NVMF_TCP_DIGEST_LEN       4       /* HDGST and DDGST are CRC32C, 4 bytes */
#define NVMF_TCP_ADMIN_ICD_MAX    8192    /* in-capsule data limit on the admin queue (3.3.x) */
#define NVMF_TCP_MIN_MAXH2CDATA   4096    /* MAXH2CDATA lower bound (3.6.2.3) */
#define NVMF_TCP_PDA_MAX          31      /* HPDA/CPDA are 0's based dwords, 0..31 */
#define NVMF_TCP_TERM_DATA_MAX    128     /* bytes of the offending header a TermReq carries */

/* PDU types (3.6.1, Figure 21). */
enum nvmf_tcp_pdu_type {
	NVMF_TCP_ICREQ         = 0x00,
	NVMF_TCP_ICRESP        = 0x01,
	NVMF_TCP_H2C_TERM_REQ  = 0x02,
	NVMF_TCP_C2H_TERM_REQ  = 0x03,
	NVMF_TCP_CAPSULE_CMD   = 0x04,
	NVMF_TCP_CAPSULE_RESP  = 0x05,
	NVMF_TCP_H2C_DATA      = 0x06,
	NVMF_TCP_C2H_DATA      = 0x07,
	NVMF_TCP_R2T           = 0x09,
};

/* Common header flags (3.6.1, Figure 22). */
enum nvmf_tcp_pdu_flags {
	NVMF_TCP_F_HDGST       = 0x01, /* header digest present */
	NVMF_TCP_F_DDGST       = 0x02, /* data digest present */
	NVMF_TCP_F_DATA_LAST   = 0x04, /* H2CData/C2HData: last PDU of the transfer */
	NVMF_TCP_F_DATA_SUCCESS = 0x08, /* C2HData: command done, no CapsuleResp follows */
};

/* ICReq/ICResp DGST field bits (3.6.2.2, 3.6.2.3). */
enum nvmf_tcp_digest_option {
	NVMF_TCP_HDGST_ENABLE  = 0x01,
	NVMF_TCP_DDGST_ENABLE  = 0x02,
};

/* Fatal error status of a termination request (3.6.2.4, Figure 27). */
enum nvmf_tcp_fes {
	NVMF_TCP_FES_INVALID_PDU_HDR     = 0x01,
	NVMF_TCP_FES_PDU_SEQ_ERR         = 0x02,
	NVMF_TCP_FES_HDR_DIGEST_ERR      = 0x03,
	NVMF_TCP_FES_DATA_OUT_OF_RANGE   = 0x04,
	NVMF_TCP_FES_DATA_LIMIT_EXCEEDED = 0x05, /* also "R2T limit exceeded" */
	NVMF_TCP_FES_UNSUPPORTED_PARAM   = 0x06,
};

/* Header lengths (HLEN) of each PDU type. */
#define NVMF_TCP_ICREQ_HLEN        128
#define NVMF_TCP_ICRESP_HLEN       128
#define NVMF_TCP_TERM_REQ_HLEN     24
#define NVMF_TCP_CAPSULE_CMD_HLEN  72
#define NVMF_TCP_CAPSULE_RESP_HLEN 24
#define NVMF_TCP_DATA_HLEN         24  /* H2CData and C2HData */
#define NVMF_TCP_R2T_HLEN          24
#define NVMF_TCP_HLEN_MAX          128

/* PDU common header, CH (3.6.1). */
struct nvmf_tcp_ch {
	uint8_t  pdu_type;
	uint8_t  flags;
	uint8_t  hlen;    /* PDU header length, without header digest */
	uint8_t  pdo;     /* PDU data offset from the start of the PDU, 0 if no data */
	uint32_t plen;    /* whole PDU length: header, digests, padding, data */
};

/* ICReq (3.6.2.2). */
struct nvmf_tcp_icreq {
	struct nvmf_tcp_ch ch;
	uint16_t pfv;
	uint8_t  hpda;    /* host PDU data alignment, 0's based dwords */
	uint8_t  dgst;    /* enum nvmf_tcp_digest_option */
	uint32_t maxr2t;  /* 0's based: maximum outstanding R2Ts per command */
	uint8_t  rsvd[112];
};

/* ICResp (3.6.2.3). */
struct nvmf_tcp_icresp {
	struct nvmf_tcp_ch ch;
	uint16_t pfv;
	uint8_t  cpda;    /* controller PDU data alignment, 0's based dwords */
	uint8_t  dgst;
	uint32_t maxh2cdata; /* maximum H2CData DATAL, >= 4096, multiple of 4 */
	uint8_t  rsvd[112];
};

/*
 * H2CTermReq / C2HTermReq (3.6.2.4, 3.6.2.5). FEI is a 32-bit field at the
 * unaligned byte offset 10, so it is stored as two 16-bit halves.
 */
struct nvmf_tcp_term_req {
	struct nvmf_tcp_ch ch;
	uint16_t fes;
	uint16_t feil;    /* fatal error information, bits 15:0 */
	uint16_t feiu;    /* fatal error information, bits 31:16 */
	uint8_t  rsvd[10];
};

/* CapsuleCmd (3.6.2.6): the 64-byte submission queue entry follows the CH. */
struct nvmf_tcp_capsule_cmd {
	struct nvmf_tcp_ch ch;
	uint8_t  sqe[64];
};

/* CapsuleResp (3.6.2.7): the 16-byte completion queue entry follows the CH. */
struct nvmf_tcp_capsule_resp {
	struct nvmf_tcp_ch ch;
	uint8_t  cqe[16];
};

/* H2CData (3.6.2.8). */
struct nvmf_tcp_h2c_data {
	struct nvmf_tcp_ch ch;
	uint16_t cccid;   /* command capsule CID */
	uint16_t ttag;    /* transfer tag from the R2T */
	uint32_t datao;   /* offset of this data in the command's transfer */
	uint32_t datal;
	uint8_t  rsvd[4];
};

/* C2HData (3.6.2.9). */
struct nvmf_tcp_c2h_data {
	struct nvmf_tcp_ch ch;
	uint16_t cccid;
	uint8_t  rsvd1[2];
	uint32_t datao;
	uint32_t datal;
	uint8_t  rsvd2[4];
};

/* R2T (3.6.2.10). */
struct nvmf_tcp_r2t {
	struct nvmf_tcp_ch ch;
	uint16_t cccid;
	uint16_t ttag;
	uint32_t r2to;    /* offset of the requested data */
	uint32_t r2tl;    /* length of the requested data */
	uint8_t  rsvd[4];
};

/* Any PDU header, for code that dispatches on ch.pdu_type. */
union nvmf_tcp_pdu_hdr {
	struct nvmf_tcp_ch           ch;
	struct nvmf_tcp_icreq        icreq;
	struct nvmf_tcp_icresp       icresp;
	struct nvmf_tcp_term_req     term;
	struct nvmf_tcp_capsule_cmd  cmd;
	struct nvmf_tcp_capsule_resp rsp;
	struct nvmf_tcp_h2c_data     h2c;
	struct nvmf_tcp_c2h_data     c2h;
	struct nvmf_tcp_r2t          r2t;
	uint8_t                      raw[NVMF_TCP_HLEN_MAX];
};

NVMF_STATIC_ASSERT(sizeof(struct nvmf_tcp_ch) == 8, "CH is 8 bytes");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_ch, plen) == 4, "CH.PLEN at byte 4");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_tcp_icreq) == NVMF_TCP_ICREQ_HLEN, "ICReq");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_icreq, hpda) == 10, "ICReq.HPDA");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_icreq, dgst) == 11, "ICReq.DGST");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_icreq, maxr2t) == 12, "ICReq.MAXR2T");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_tcp_icresp) == NVMF_TCP_ICRESP_HLEN, "ICResp");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_icresp, cpda) == 10, "ICResp.CPDA");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_icresp, maxh2cdata) == 12, "ICResp.MAXH2CDATA");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_tcp_term_req) == NVMF_TCP_TERM_REQ_HLEN, "TermReq");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_term_req, feil) == 10, "TermReq.FEI");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_tcp_capsule_cmd) == NVMF_TCP_CAPSULE_CMD_HLEN, "CapsuleCmd");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_tcp_capsule_resp) == NVMF_TCP_CAPSULE_RESP_HLEN, "CapsuleResp");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_tcp_h2c_data) == NVMF_TCP_DATA_HLEN, "H2CData");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_h2c_data, datao) == 12, "H2CData.DATAO");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_h2c_data, datal) == 16, "H2CData.DATAL");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_tcp_c2h_data) == NVMF_TCP_DATA_HLEN, "C2HData");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_c2h_data, datao) == 12, "C2HData.DATAO");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_c2h_data, datal) == 16, "C2HData.DATAL");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_tcp_r2t) == NVMF_TCP_R2T_HLEN, "R2T");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_r2t, r2to) == 12, "R2T.R2TO");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_tcp_r2t, r2tl) == 16, "R2T.R2TL");
NVMF_STATIC_ASSERT(sizeof(union nvmf_tcp_pdu_hdr) == NVMF_TCP_HLEN_MAX, "PDU header union");

#ifdef __cplusplus
}
#endif

#endif /* NVMF_NVME_TCP_H */
