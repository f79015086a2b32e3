/*
 * NVMe/TCP PDU codec: building and validating PDUs (NVMe/TCP 1.0, 3.6).
 *
 * Internal to libnvmf (prefix tcp_). Shared by the host and the userland
 * target: it knows nothing of sockets or of the event loop. The receive-side
 * framing state machine that uses these checks is in rx.h.
 *
 * Layout of a PDU on the wire (3.6.1):
 *   CH+PSH (HLEN bytes) | HDGST (4, if on) | PAD (to PDO) | DATA (DATAL) | DDGST (4, if on)
 * PDO is the offset of DATA; it is 0 for PDUs without data. ICReq, ICResp
 * and the TermReqs never carry digests (3.6.2.2-3.6.2.5).
 */
#ifndef NVMF_TCP_PDU_H
#define NVMF_TCP_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <nvmf/nvme_tcp.h>

/* Which end of the connection this code plays: decides legal PDU directions. */
enum tcp_role {
	TCP_ROLE_HOST = 0,	/* receives ICResp, C2H*, CapsuleResp, R2T */
	TCP_ROLE_CTRL = 1,	/* receives ICReq, H2C*, CapsuleCmd */
};

/*
 * Connection parameters negotiated by ICReq/ICResp (3.6.2.2, 3.6.2.3).
 * PDAs are kept 0's based as on the wire: alignment = (pda + 1) * 4 bytes.
 */
struct tcp_params {
	enum tcp_role role;
	bool     hdgst;		/* header digests on */
	bool     ddgst;		/* data digests on */
	uint8_t  rx_pda;	/* alignment the peer honours in PDUs we receive
				 * (host: its HPDA; controller: its CPDA) */
	uint8_t  tx_pda;	/* alignment we honour in PDUs we send
				 * (host: the controller's CPDA; controller: the HPDA) */
	uint32_t maxh2cdata;	/* largest DATAL of an H2CData PDU */
	uint32_t max_icd;	/* largest in-capsule data we accept in a CapsuleCmd
				 * (controller role; 0 = none) */
};

/*
 * What a termination request would carry for a fatal error (3.6.2.4):
 * FES and FEI (the byte offset of the offending field in the PDU header),
 * plus a message for the error log naming the field. fes == 0 means the
 * error is not fatal to the connection (a data digest mismatch fails one
 * command with Transient Transport Error, 3.6.2.1).
 */
struct tcp_err {
	uint16_t fes;		/* enum nvmf_tcp_fes, or 0 */
	uint32_t fei;
	char     msg[128];
};

/* Fill err (a fatal error: FES, FEI and the message) and return -EPROTO. */
int tcp_fail(struct tcp_err *err, uint16_t fes, uint32_t fei, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Largest header part a builder writes: HLEN max + HDGST + PAD to PDA 31. */
#define TCP_PDU_HDR_BUF  (NVMF_TCP_HLEN_MAX + NVMF_TCP_DIGEST_LEN + 128)

/*
 * Most data the host puts in one PDU (in-capsule data, an H2CData), whatever
 * the controller's IOCCSZ or MAXH2CDATA allow: PLEN (32 bits, 3.6.2.1)
 * must hold it with the header, padding and digests, and smaller PDUs are
 * always allowed (larger writes go by R2T, in several H2CData).
 */
#define TCP_PDU_DATA_CAP (16u << 20)

/* ---- CRC32C (crc32c.c) ---------------------------------------------------- */

/*
 * CRC32C (Castagnoli) as NVMe/TCP digests use it: seed ~0, result inverted
 * (3.6.1.1 refers to RFC 3720, 12.1). tcp_crc32c() of a whole buffer is the
 * digest; the _update form chains pieces: crc = tcp_crc32c_update(~0, ...),
 * ..., digest = ~crc.
 */
uint32_t tcp_crc32c(const void *buf, size_t len);
uint32_t tcp_crc32c_update(uint32_t crc, const void *buf, size_t len);
/* Same results computed by the portable code, whatever the build uses. */
uint32_t tcp_crc32c_portable_update(uint32_t crc, const void *buf, size_t len);
/* Name of the implementation in use ("isa-l" or "portable"), for logs. */
const char *tcp_crc32c_impl(void);

/* Data digest over a scatter list. */
uint32_t tcp_data_digest(const struct iovec *iov, int iovcnt);

/* ---- Layout --------------------------------------------------------------- */

/* Bytes of the alignment a 0's based PDA stands for: (pda + 1) * 4. */
static inline uint32_t tcp_pda_bytes(uint8_t pda) { return ((uint32_t)pda + 1) * 4; }

/* PDO of a data-carrying PDU we send with this HLEN (header + digest, rounded up to tx_pda). */
uint32_t tcp_tx_pdo(const struct tcp_params *p, uint32_t hlen);

/* ---- Builders ------------------------------------------------------------- */
/*
 * Each writes CH + PSH, the header digest if on and the PAD up to PDO into
 * buf (TCP_PDU_HDR_BUF bytes) and returns the number of bytes written, which
 * the caller sends before the DATAL data bytes. If p->ddgst and DATAL > 0,
 * the caller then sends the 4-byte little-endian tcp_data_digest() of the
 * data. PLEN accounts for all of it.
 */
size_t tcp_build_icreq(void *buf, uint8_t hpda, bool hdgst, bool ddgst, uint32_t maxr2t);
size_t tcp_build_icresp(void *buf, uint8_t cpda, bool hdgst, bool ddgst, uint32_t maxh2cdata);
size_t tcp_build_capsule_cmd(void *buf, const struct tcp_params *p, const void *sqe64,
			     uint32_t icd_len);
size_t tcp_build_capsule_resp(void *buf, const struct tcp_params *p, const void *cqe16);
size_t tcp_build_h2c_data(void *buf, const struct tcp_params *p, uint16_t cccid,
			  uint16_t ttag, uint32_t datao, uint32_t datal, bool last);
size_t tcp_build_c2h_data(void *buf, const struct tcp_params *p, uint16_t cccid,
			  uint32_t datao, uint32_t datal, bool last, bool success);
size_t tcp_build_r2t(void *buf, const struct tcp_params *p, uint16_t cccid, uint16_t ttag,
		     uint32_t r2to, uint32_t r2tl);
/* TermReq (H2C for TCP_ROLE_HOST senders, C2H otherwise): header plus up to
 * NVMF_TCP_TERM_DATA_MAX bytes of the offending PDU header copied in. */
size_t tcp_build_term_req(void *buf, enum tcp_role sender, uint16_t fes, uint32_t fei,
			  const void *bad_hdr, size_t bad_hdr_len);

/* Store a digest little-endian (4 bytes). */
void tcp_put_digest(void *buf, uint32_t digest);

/* ---- Initialize Connection checks ---------------------------------------- */

/*
 * What a host asked for in its ICReq; tcp_check_icresp() validates the
 * controller's ICResp against it (PFV, CPDA <= 31, MAXH2CDATA >= 4096 and a
 * multiple of 4, digests exactly as requested: one the controller enabled
 * unasked or declined is refused, the message says which) and fills the
 * host's tcp_params. Returns 0 or -EPROTO with err filled.
 */
struct tcp_ic_request {
	uint8_t hpda;
	bool    hdgst;
	bool    ddgst;
};
int tcp_check_icresp(const struct nvmf_tcp_icresp *resp, const struct tcp_ic_request *req,
		     struct tcp_params *out, struct tcp_err *err);

/*
 * Controller side: validates an ICReq (PFV, HPDA <= 31) and fills the
 * controller's tcp_params given its own CPDA, MAXH2CDATA and in-capsule
 * limit; digests follow the host's request.
 */
int tcp_check_icreq(const struct nvmf_tcp_icreq *req, uint8_t cpda, uint32_t maxh2cdata,
		    uint32_t max_icd, struct tcp_params *out, struct tcp_err *err);

/* ---- Received header checks ----------------------------------------------- */

/*
 * Geometry of a received PDU, derived from its common header by
 * tcp_check_ch(): how many header bytes follow the CH, how much padding,
 * data and digest.
 */
struct tcp_rx_layout {
	uint32_t hlen;		/* CH.HLEN */
	uint32_t hdr_total;	/* hlen + header digest */
	uint32_t pad;		/* bytes between hdr_total and PDO */
	uint32_t datal;		/* data bytes */
	uint32_t ddgst_len;	/* 0 or 4 */
	/*
	 * Set by the framer (rx.c) before on_hdr: the data itself when the
	 * whole rest of the PDU (pad, data, digest) came in the bytes being
	 * parsed, else NULL. An on_hdr that sets *dst to it takes the data
	 * where it lies, without a copy; it stays valid until on_pdu returns.
	 */
	const uint8_t *inplace;
};

/*
 * Checks a received common header (8 bytes): PDU type known and allowed in
 * this direction (ic_done false: only the IC PDU is legal; true: never),
 * HLEN right for the type, PDO, digests and PLEN consistent, PDO a multiple
 * of the negotiated alignment (p->rx_pda), flags valid for the type (SUCCESS
 * only on C2HData with LAST_PDU; digest flags as negotiated). Returns 0 and
 * the layout, or -EPROTO with FES/FEI.
 *
 * Fields are checked in wire order, so the lowest offending field is named:
 *   unknown PDU type                              FES 01h, FEI 0
 *   type of the wrong direction, non-IC PDU before
 *   the IC PDU, IC PDU after it                   FES 02h, FEI 0
 *   flags undefined for the type, HDGSTF/DDGSTF
 *   not as negotiated, SUCCESS without LAST_PDU   FES 01h, FEI 1
 *   HLEN                                          FES 01h, FEI 2
 *   PDO (not 0 on a type without data, inside
 *   the header, unaligned, beyond PLEN, 0 with data) FES 01h, FEI 3
 *   PLEN                                          FES 01h, FEI 4
 * A TermReq of the peer's direction is accepted before the IC exchange too
 * (a controller may refuse an ICReq with a C2HTermReq). A PDO above the
 * minimum is accepted when aligned (FreeBSD, SPDK do the same). DDGSTF is
 * set iff data digests are on and the PDU carries data.
 */
int tcp_check_ch(const struct nvmf_tcp_ch *ch, const struct tcp_params *p, bool ic_done,
		 struct tcp_rx_layout *lay, struct tcp_err *err);

/*
 * Checks the complete header (hdr_total bytes, digest included) once it is
 * in memory: header digest (FES 03h), type-specific fields (DATAL against
 * the layout; H2CData DATAL > MAXH2CDATA and in-capsule data > max_icd are
 * FES 05h; R2T with R2TL 0). Returns 0 or -EPROTO.
 * FEI: header digest 0 (reserved for FES 03h); H2CData/C2HData DATAL 0 or
 * not PLEN - PDO - DDGST: FES 01h FEI 16 (as FreeBSD); R2TL 0: FES 01h
 * FEI 16; DATAL > MAXH2CDATA: FES 05h FEI 16; in-capsule data > max_icd
 * (controller role only): FES 05h FEI 4 (PLEN carries that length).
 */
int tcp_check_hdr(const union nvmf_tcp_pdu_hdr *hdr, const struct tcp_rx_layout *lay,
		  const struct tcp_params *p, struct tcp_err *err);

/*
 * Checks a data PDU or R2T range against the command it names: DATAO/DATAL
 * (or R2TO/R2TL) must lie within the command's transfer of xfer_len bytes
 * (FES 04h, FEI 12 for DATAO/R2TO, 16 for DATAL/R2TL), and data PDUs must
 * arrive in order, datao == expected (FES 02h PDU sequence error, FEI 12,
 * as FreeBSD). Only H2CData, C2HData and R2T have a range (else FES 01h,
 * FEI 0). LAST_PDU is not checked here: for H2CData it closes one R2T's
 * burst, which only the caller knows.
 */
int tcp_check_data_range(const union nvmf_tcp_pdu_hdr *hdr, uint32_t xfer_len,
			 uint32_t expected, struct tcp_err *err);

/* Human-readable name of a PDU type ("C2HData"), for messages. */
const char *tcp_pdu_type_name(uint8_t type);
/* Human-readable FES ("PDU sequence error"). */
const char *tcp_fes_name(uint16_t fes);

#endif /* NVMF_TCP_PDU_H */
