/*
 * Every invalid received PDU the codec must refuse, each asserting the exact
 * termination request it would send (FES and FEI, NVMe/TCP 1.0 3.6.2.4), the
 * framer's DEAD state afterwards, and that nothing of the bad PDU was
 * delivered. Each error is fed all at once, byte by byte and through
 * tcp_rx_get_buf/commit. A data digest mismatch is the one non-fatal case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit/rx_harness.h"

#define FES_HDR   NVMF_TCP_FES_INVALID_PDU_HDR
#define FES_SEQ   NVMF_TCP_FES_PDU_SEQ_ERR
#define FES_HDGST NVMF_TCP_FES_HDR_DIGEST_ERR
#define FES_RANGE NVMF_TCP_FES_DATA_OUT_OF_RANGE
#define FES_LIMIT NVMF_TCP_FES_DATA_LIMIT_EXCEEDED

static const struct tcp_params host_p = { .role = TCP_ROLE_HOST, .maxh2cdata = 8192 };
static const struct tcp_params ctrl_p = { .role = TCP_ROLE_CTRL, .maxh2cdata = 8192,
					  .max_icd = 8192 };

/* Options of one case. */
struct fcase {
	const struct tcp_params *p;
	bool     ic_done;
	bool     check_range;
	uint32_t xfer_len, expected;
	size_t   good;		/* PDUs delivered before the bad one */
};

static void harness_case(struct harness *h, const struct fcase *c)
{
	harness_init(h, c->p, 4096);
	h->rx.ic_done = c->ic_done;
	h->check_range = c->check_range;
	h->xfer_len = c->xfer_len;
	h->expected = c->expected;
}

static void assert_dead(struct harness *h, const struct fcase *c, int rc, uint16_t fes,
			uint32_t fei)
{
	void *buf;
	size_t len;

	assert_int_equal(rc, -EPROTO);
	assert_int_equal(h->rx.err.fes, fes);
	assert_int_equal(h->rx.err.fei, fei);
	assert_true(strlen(h->rx.err.msg) > 0);
	assert_int_equal(h->rx.state, TCP_RX_DEAD);
	assert_int_equal(h->nev, c->good);
	/* Nothing more is parsed. */
	assert_int_equal(tcp_rx_feed(&h->rx, "\x05", 1), -EPROTO);
	tcp_rx_get_buf(&h->rx, &buf, &len);
	assert_non_null(buf);
	assert_int_equal(tcp_rx_commit(&h->rx, 0), -EPROTO);
	assert_int_equal(h->nev, c->good);
}

static void check_fatal(const struct fcase *c, const struct stream *s, uint16_t fes, uint32_t fei)
{
	struct harness h;

	harness_case(&h, c);
	assert_dead(&h, c, feed_all(&h, s), fes, fei);
	harness_free(&h);

	harness_case(&h, c);
	assert_dead(&h, c, feed_bytewise(&h, s), fes, fei);
	harness_free(&h);

	harness_case(&h, c);
	assert_dead(&h, c, feed_socket(&h, s, 77, 100), fes, fei);
	harness_free(&h);
}

/* Sends hdr (n bytes) plus datal bytes of data and a digest if tx->ddgst. */
static void one(const struct fcase *c, const struct tcp_params *tx, const uint8_t *hdr, size_t n,
		uint32_t datal, uint16_t fes, uint32_t fei)
{
	struct stream s = { 0 };

	stream_put_pdu(&s, tx, hdr, n, datal, 1);
	check_fatal(c, &s, fes, fei);
	stream_free(&s);
}

static const struct tcp_params tx_ctrl = { .role = TCP_ROLE_CTRL };
static const struct tcp_params tx_host = { .role = TCP_ROLE_HOST };
static const uint8_t zero64[64];

/* ---- FES 01h: HLEN (FEI 2) ---- */

static void test_bad_hlen(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	struct fcase cc = { .p = &ctrl_p, .ic_done = true };
	struct fcase cpre = { .p = &ctrl_p, .ic_done = false };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
	b[2] = 28;
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 2);

	n = tcp_build_capsule_cmd(b, &tx_host, zero64, 0);
	b[2] = 24;
	one(&cc, &tx_host, b, n, 0, FES_HDR, 2);

	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	b[2] = 0;
	one(&ch, &tx_ctrl, b, n, 8, FES_HDR, 2);

	n = tcp_build_icreq(b, 0, false, false, 0);
	b[2] = 127;
	one(&cpre, &tx_host, b, n, 0, FES_HDR, 2);

	n = tcp_build_term_req(b, TCP_ROLE_CTRL, 1, 0, NULL, 0);
	b[2] = 8;
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 2);
}

/* ---- FES 01h: PLEN (FEI 4) ---- */

static void test_bad_plen_no_data_types(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	struct fcase cpre = { .p = &host_p, .ic_done = false };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	/* CapsuleResp and R2T never carry data: PLEN = HLEN (+ HDGST). */
	n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
	nvmf_put_le32(b + 4, 32);
	one(&ch, &tx_ctrl, b, n, 8, FES_HDR, 4);
	n = tcp_build_r2t(b, &tx_ctrl, 1, 1, 0, 512);
	nvmf_put_le32(b + 4, 20);
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 4);
	/* ICResp is exactly 128 bytes. */
	n = tcp_build_icresp(b, 0, false, false, 4096);
	nvmf_put_le32(b + 4, 132);
	one(&cpre, &tx_ctrl, b, n, 4, FES_HDR, 4);
}

static void test_bad_plen_term_req(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	/* TermReq PLEN 24..152: at most 128 bytes of offending header. */
	n = tcp_build_term_req(b, TCP_ROLE_CTRL, 1, 0, NULL, 0);
	nvmf_put_le32(b + 4, 153);
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 4);
	nvmf_put_le32(b + 4, 23);
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 4);
}

static void test_bad_plen_data_types(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	struct tcp_params hd = host_p;
	struct tcp_params txd = { .role = TCP_ROLE_CTRL, .ddgst = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	/* Shorter than the header. */
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	nvmf_put_le32(b + 4, 20);
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 4);
	/* Data digest flagged but PLEN leaves no data before it. */
	hd.ddgst = true;
	ch.p = &hd;
	n = tcp_build_c2h_data(b, &txd, 1, 0, 8, true, false);
	nvmf_put_le32(b + 4, 24 + 4);
	one(&ch, &txd, b, n, 0, FES_HDR, 4);
}

/* ---- FES 01h: PDO (FEI 3) ---- */

static void test_bad_pdo_alignment(void **state)
{
	struct tcp_params rp = host_p;
	struct fcase ch = { .p = &rp, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	/* We asked for 16-byte alignment (HPDA 3); PDO 24 is not. */
	rp.rx_pda = 3;
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	assert_int_equal(b[3], 24);
	one(&ch, &tx_ctrl, b, n, 8, FES_HDR, 3);
	/* Same for in-capsule data at the controller (CPDA 1 = 8 bytes, PDO 76). */
	struct tcp_params cp = ctrl_p;
	struct fcase cc = { .p = &cp, .ic_done = true };
	struct tcp_params txh = { .role = TCP_ROLE_HOST, .hdgst = true };
	cp.hdgst = true;
	cp.rx_pda = 1;
	n = tcp_build_capsule_cmd(b, &txh, zero64, 16);
	assert_int_equal(b[3], 76);
	one(&cc, &txh, b, n, 16, FES_HDR, 3);
}

static void test_bad_pdo_values(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	/* Inside the header. */
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	b[3] = 20;
	nvmf_put_le32(b + 4, 28);
	one(&ch, &tx_ctrl, b, n, 8, FES_HDR, 3);
	/* 0 although the PDU carries data. */
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	b[3] = 0;
	one(&ch, &tx_ctrl, b, n, 8, FES_HDR, 3);
	/* Beyond PLEN. */
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	b[3] = 64;
	one(&ch, &tx_ctrl, b, n, 8, FES_HDR, 3);
	/* On PDU types without data. */
	n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
	b[3] = 24;
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 3);
	n = tcp_build_r2t(b, &tx_ctrl, 1, 1, 0, 8);
	b[3] = 4;
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 3);
	n = tcp_build_term_req(b, TCP_ROLE_CTRL, 1, 0, zero64, 8);
	b[3] = 24;
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 3);
}

/* ---- FES 01h: PDU type (FEI 0) ---- */

static void test_unknown_type(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	struct fcase cc = { .p = &ctrl_p, .ic_done = false };
	static const uint8_t types[] = { 0x08, 0x0a, 0x0b, 0x10, 0x7f, 0xff };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	for (size_t i = 0; i < sizeof(types); i++) {
		n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
		b[0] = types[i];
		one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 0);
		one(&cc, &tx_ctrl, b, n, 0, FES_HDR, 0);
	}
}

/* ---- FES 02h: direction and sequence (FEI 0) ---- */

static void test_wrong_direction(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	struct fcase cc = { .p = &ctrl_p, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	/* The host never receives host-to-controller PDUs. */
	n = tcp_build_capsule_cmd(b, &tx_host, zero64, 0);
	one(&ch, &tx_host, b, n, 0, FES_SEQ, 0);
	n = tcp_build_h2c_data(b, &tx_host, 1, 1, 0, 8, true);
	one(&ch, &tx_host, b, n, 8, FES_SEQ, 0);
	n = tcp_build_term_req(b, TCP_ROLE_HOST, 1, 0, NULL, 0);
	one(&ch, &tx_host, b, n, 0, FES_SEQ, 0);
	/* Nor the controller controller-to-host ones. */
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	one(&cc, &tx_ctrl, b, n, 8, FES_SEQ, 0);
	n = tcp_build_r2t(b, &tx_ctrl, 1, 1, 0, 8);
	one(&cc, &tx_ctrl, b, n, 0, FES_SEQ, 0);
	n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
	one(&cc, &tx_ctrl, b, n, 0, FES_SEQ, 0);
	n = tcp_build_term_req(b, TCP_ROLE_CTRL, 1, 0, NULL, 0);
	one(&cc, &tx_ctrl, b, n, 0, FES_SEQ, 0);
	/* The wrong IC PDU before initialization. */
	struct fcase chpre = { .p = &host_p, .ic_done = false };
	n = tcp_build_icreq(b, 0, false, false, 0);
	one(&chpre, &tx_host, b, n, 0, FES_SEQ, 0);
	struct fcase ccpre = { .p = &ctrl_p, .ic_done = false };
	n = tcp_build_icresp(b, 0, false, false, 4096);
	one(&ccpre, &tx_ctrl, b, n, 0, FES_SEQ, 0);
}

static void test_before_ic(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = false };
	struct fcase cc = { .p = &ctrl_p, .ic_done = false };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	n = tcp_build_capsule_cmd(b, &tx_host, zero64, 0);
	one(&cc, &tx_host, b, n, 0, FES_SEQ, 0);
	n = tcp_build_h2c_data(b, &tx_host, 1, 1, 0, 8, true);
	one(&cc, &tx_host, b, n, 8, FES_SEQ, 0);
	n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
	one(&ch, &tx_ctrl, b, n, 0, FES_SEQ, 0);
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	one(&ch, &tx_ctrl, b, n, 8, FES_SEQ, 0);
	n = tcp_build_r2t(b, &tx_ctrl, 1, 1, 0, 8);
	one(&ch, &tx_ctrl, b, n, 0, FES_SEQ, 0);
}

static void test_ic_after_ic(void **state)
{
	struct fcase cc = { .p = &ctrl_p, .ic_done = false, .good = 1 };
	struct fcase ch = { .p = &host_p, .ic_done = false, .good = 1 };
	uint8_t b[TCP_PDU_HDR_BUF];
	struct stream s = { 0 };
	size_t n;

	n = tcp_build_icreq(b, 0, false, false, 0);
	stream_put(&s, b, n);
	stream_put(&s, b, n);
	check_fatal(&cc, &s, FES_SEQ, 0);
	stream_free(&s);

	n = tcp_build_icresp(b, 0, false, false, 4096);
	stream_put(&s, b, n);
	stream_put(&s, b, n);
	check_fatal(&ch, &s, FES_SEQ, 0);
	stream_free(&s);
}

/* A controller may refuse an ICReq with a C2HTermReq: legal before ICResp. */
static void test_term_req_before_ic(void **state)
{
	uint8_t b[TCP_PDU_HDR_BUF], bad[128];
	struct harness h;
	size_t n;

	fill_pattern(bad, sizeof(bad), 3);
	n = tcp_build_term_req(b, TCP_ROLE_CTRL, NVMF_TCP_FES_UNSUPPORTED_PARAM, 8, bad, 128);
	harness_init(&h, &host_p, 4096);
	assert_int_equal(tcp_rx_feed(&h.rx, b, n), 0);
	assert_int_equal(h.nev, 1);
	assert_int_equal(h.ev[0].hdr.ch.pdu_type, NVMF_TCP_C2H_TERM_REQ);
	assert_int_equal(nvmf_get_le16(h.ev[0].hdr.raw + 8), NVMF_TCP_FES_UNSUPPORTED_PARAM);
	assert_int_equal(nvmf_get_le32(h.ev[0].hdr.raw + 10), 8);
	assert_int_equal(h.ev[0].datal, 128);
	assert_memory_equal(h.ev[0].data, bad, 128);
	assert_memory_equal(h.rx.term_data, bad, 128);
	assert_false(h.rx.ic_done);
	harness_free(&h);
}

/* ---- FES 01h: flags (FEI 1) ---- */

static void test_flags_success_without_last(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, false, true);
	assert_int_equal(b[1], NVMF_TCP_F_DATA_SUCCESS);
	one(&ch, &tx_ctrl, b, n, 8, FES_HDR, 1);
}

static void test_flags_undefined(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	struct fcase cc = { .p = &ctrl_p, .ic_done = true };
	struct fcase ccpre = { .p = &ctrl_p, .ic_done = false };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
	b[1] = NVMF_TCP_F_DATA_LAST;
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 1);
	n = tcp_build_r2t(b, &tx_ctrl, 1, 1, 0, 8);
	b[1] = NVMF_TCP_F_DATA_SUCCESS;
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 1);
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	b[1] |= 0x10;
	one(&ch, &tx_ctrl, b, n, 8, FES_HDR, 1);
	n = tcp_build_h2c_data(b, &tx_host, 1, 1, 0, 8, true);
	b[1] |= NVMF_TCP_F_DATA_SUCCESS;
	one(&cc, &tx_host, b, n, 8, FES_HDR, 1);
	n = tcp_build_capsule_cmd(b, &tx_host, zero64, 0);
	b[1] = NVMF_TCP_F_DATA_LAST;
	one(&cc, &tx_host, b, n, 0, FES_HDR, 1);
	/* IC and TermReq PDUs carry no flags, digests included. */
	n = tcp_build_icreq(b, 0, true, true, 0);
	b[1] = NVMF_TCP_F_HDGST;
	one(&ccpre, &tx_host, b, n, 0, FES_HDR, 1);
	n = tcp_build_term_req(b, TCP_ROLE_HOST, 1, 0, NULL, 0);
	b[1] = NVMF_TCP_F_HDGST;
	one(&cc, &tx_host, b, n, 0, FES_HDR, 1);
}

static void test_flags_hdgst_mismatch(void **state)
{
	struct tcp_params on = host_p;
	struct tcp_params tx_on = { .role = TCP_ROLE_CTRL, .hdgst = true };
	struct fcase c_on = { .p = &on, .ic_done = true };
	struct fcase c_off = { .p = &host_p, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	on.hdgst = true;
	/* Negotiated but missing. */
	n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
	one(&c_on, &tx_ctrl, b, n, 0, FES_HDR, 1);
	/* Present although not negotiated. */
	n = tcp_build_capsule_resp(b, &tx_on, zero64);
	one(&c_off, &tx_on, b, n, 0, FES_HDR, 1);
	n = tcp_build_c2h_data(b, &tx_on, 1, 0, 8, true, false);
	one(&c_off, &tx_on, b, n, 8, FES_HDR, 1);
}

static void test_flags_ddgst_mismatch(void **state)
{
	struct tcp_params on = host_p, con = ctrl_p;
	struct tcp_params tx_on = { .role = TCP_ROLE_CTRL, .ddgst = true };
	struct tcp_params txh_on = { .role = TCP_ROLE_HOST, .ddgst = true };
	struct fcase c_on = { .p = &on, .ic_done = true };
	struct fcase c_off = { .p = &host_p, .ic_done = true };
	struct fcase cc_on = { .p = &con, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	on.ddgst = con.ddgst = true;
	/* Negotiated but missing on a PDU with data. */
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	one(&c_on, &tx_ctrl, b, n, 8, FES_HDR, 1);
	/* Present although not negotiated. */
	n = tcp_build_c2h_data(b, &tx_on, 1, 0, 8, true, false);
	one(&c_off, &tx_on, b, n, 8, FES_HDR, 1);
	/* Present on a PDU without data. */
	n = tcp_build_capsule_cmd(b, &txh_on, zero64, 0);
	b[1] |= NVMF_TCP_F_DDGST;
	one(&cc_on, &txh_on, b, n, 0, FES_HDR, 1);
	/* On a type that never has a data digest. */
	n = tcp_build_capsule_resp(b, &tx_on, zero64);
	b[1] |= NVMF_TCP_F_DDGST;
	one(&c_on, &tx_on, b, n, 0, FES_HDR, 1);
}

/* ---- FES 03h: header digest ---- */

static void test_header_digest(void **state)
{
	struct tcp_params on = host_p, con = ctrl_p;
	struct tcp_params tx_on = { .role = TCP_ROLE_CTRL, .hdgst = true, .ddgst = true };
	struct tcp_params txh_on = { .role = TCP_ROLE_HOST, .hdgst = true, .ddgst = true };
	struct fcase c = { .p = &on, .ic_done = true };
	struct fcase cc = { .p = &con, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	on.hdgst = on.ddgst = con.hdgst = con.ddgst = true;
	n = tcp_build_capsule_resp(b, &tx_on, zero64);
	b[24] ^= 1;			/* the digest itself */
	one(&c, &tx_on, b, n, 0, FES_HDGST, 0);
	n = tcp_build_c2h_data(b, &tx_on, 1, 0, 8, true, false);
	b[8] ^= 0x80;			/* CCCID, covered by the digest */
	one(&c, &tx_on, b, n, 8, FES_HDGST, 0);
	n = tcp_build_r2t(b, &tx_on, 1, 1, 0, 8);
	b[23] ^= 0x01;			/* reserved byte */
	one(&c, &tx_on, b, n, 0, FES_HDGST, 0);
	n = tcp_build_capsule_cmd(b, &txh_on, zero64, 100);
	b[70] ^= 0x40;			/* last SQE byte */
	one(&cc, &txh_on, b, n, 100, FES_HDGST, 0);
}

/* ---- FES 01h: type-specific fields ---- */

static void test_datal_fields(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true };
	struct fcase cc = { .p = &ctrl_p, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	/* DATAL disagrees with PLEN - PDO. */
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	nvmf_put_le32(b + 16, 9);
	one(&ch, &tx_ctrl, b, n, 8, FES_HDR, 16);
	n = tcp_build_h2c_data(b, &tx_host, 1, 1, 0, 8, true);
	nvmf_put_le32(b + 16, 4);
	one(&cc, &tx_host, b, n, 8, FES_HDR, 16);
	/* A data PDU without data. */
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 0, true, false);
	assert_int_equal(nvmf_get_le32(b + 4), 24);
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 16);
	/* An R2T for nothing. */
	n = tcp_build_r2t(b, &tx_ctrl, 1, 1, 0, 0);
	one(&ch, &tx_ctrl, b, n, 0, FES_HDR, 16);
}

/* ---- FES 04h: data out of the command's range (checked in on_hdr) ---- */

static void test_data_out_of_range(void **state)
{
	struct fcase ch = { .p = &host_p, .ic_done = true, .check_range = true,
			    .xfer_len = 4096, .expected = 0 };
	struct fcase cc = { .p = &ctrl_p, .ic_done = true, .check_range = true,
			    .xfer_len = 4096, .expected = 0 };
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 4096, 8, true, false);
	one(&ch, &tx_ctrl, b, n, 8, FES_RANGE, 12);
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 4097, true, false);
	one(&ch, &tx_ctrl, b, n, 4097, FES_RANGE, 16);
	n = tcp_build_h2c_data(b, &tx_host, 1, 1, 4000, 100, true);
	cc.expected = 4000;
	one(&cc, &tx_host, b, n, 100, FES_RANGE, 16);
	/* In range but not where the transfer stands: sequence error. */
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 1024, 8, true, false);
	one(&ch, &tx_ctrl, b, n, 8, FES_SEQ, 12);
}

/* ---- FES 05h: limits ---- */

static void test_h2c_over_maxh2cdata(void **state)
{
	struct fcase cc = { .p = &ctrl_p, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	struct harness h;
	struct stream s = { 0 };
	size_t n;

	n = tcp_build_h2c_data(b, &tx_host, 1, 1, 0, 8192 + 4, true);
	one(&cc, &tx_host, b, n, 8192 + 4, FES_LIMIT, 16);
	/* Exactly MAXH2CDATA is fine. */
	n = tcp_build_h2c_data(b, &tx_host, 1, 1, 0, 8192, true);
	stream_put_pdu(&s, &tx_host, b, n, 8192, 2);
	harness_init(&h, &ctrl_p, 4096);
	h.rx.ic_done = true;
	assert_int_equal(feed_all(&h, &s), 0);
	assert_int_equal(h.nev, 1);
	harness_free(&h);
	stream_free(&s);
}

static void test_icd_over_limit(void **state)
{
	struct tcp_params cp = ctrl_p;
	struct fcase cc = { .p = &cp, .ic_done = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	struct harness h;
	struct stream s = { 0 };
	size_t n;

	cp.max_icd = 4096;
	n = tcp_build_capsule_cmd(b, &tx_host, zero64, 4097);
	one(&cc, &tx_host, b, n, 4097, FES_LIMIT, 4);
	/* No in-capsule data accepted at all. */
	cp.max_icd = 0;
	n = tcp_build_capsule_cmd(b, &tx_host, zero64, 1);
	one(&cc, &tx_host, b, n, 1, FES_LIMIT, 4);
	/* At the limit. */
	cp.max_icd = 4096;
	n = tcp_build_capsule_cmd(b, &tx_host, zero64, 4096);
	stream_put_pdu(&s, &tx_host, b, n, 4096, 2);
	harness_init(&h, &cp, 4096);
	h.rx.ic_done = true;
	assert_int_equal(feed_all(&h, &s), 0);
	assert_int_equal(h.nev, 1);
	harness_free(&h);
	stream_free(&s);
}

/* ---- Data digest: not fatal ---- */

static void ddgst_case(int mode)
{
	struct tcp_params rp = host_p;
	struct tcp_params tx = { .role = TCP_ROLE_CTRL, .hdgst = true, .ddgst = true, .tx_pda = 1 };
	uint8_t b[TCP_PDU_HDR_BUF];
	struct stream s = { 0 };
	struct harness h;
	size_t n, at;

	rp.hdgst = rp.ddgst = true;
	rp.rx_pda = 1;
	n = tcp_build_c2h_data(b, &tx, 1, 0, 5000, true, false);
	stream_put_pdu(&s, &tx, b, n, 5000, 9);
	at = n + 1234;		/* a data byte */
	n = tcp_build_c2h_data(b, &tx, 2, 0, 6000, true, true);
	stream_put_pdu(&s, &tx, b, n, 6000, 10);
	n = tcp_build_capsule_resp(b, &tx, zero64);
	stream_put_pdu(&s, &tx, b, n, 0, 0);
	s.buf[at] ^= 0x04;

	harness_init(&h, &rp, 4096);
	h.rx.ic_done = true;
	if (mode == 0)
		assert_int_equal(feed_all(&h, &s), 0);
	else if (mode == 1)
		assert_int_equal(feed_bytewise(&h, &s), 0);
	else
		assert_int_equal(feed_socket(&h, &s, 5, 1 << 16), 0);
	assert_int_equal(h.nev, 3);
	assert_false(h.ev[0].ddgst_ok);
	assert_true(h.ev[1].ddgst_ok);
	assert_int_equal(nvmf_get_le16(h.ev[1].hdr.raw + 8), 2);
	assert_true(h.ev[2].ddgst_ok);
	assert_int_equal(h.ev[2].hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(h.rx.state, TCP_RX_CH);
	harness_free(&h);
	stream_free(&s);
}

static void test_data_digest_mismatch(void **state)
{
	ddgst_case(0);
	ddgst_case(1);
	ddgst_case(2);
}

/* The digest bytes themselves corrupted, on in-capsule data. */
static void test_data_digest_bytes(void **state)
{
	struct tcp_params cp = ctrl_p;
	struct tcp_params tx = { .role = TCP_ROLE_HOST, .ddgst = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	struct stream s = { 0 };
	struct harness h;
	size_t n;

	cp.ddgst = true;
	n = tcp_build_capsule_cmd(b, &tx, zero64, 100);
	stream_put_pdu(&s, &tx, b, n, 100, 1);
	s.buf[s.len - 1] ^= 0xff;
	n = tcp_build_capsule_cmd(b, &tx, zero64, 0);
	stream_put_pdu(&s, &tx, b, n, 0, 0);
	harness_init(&h, &cp, 4096);
	h.rx.ic_done = true;
	assert_int_equal(feed_all(&h, &s), 0);
	assert_int_equal(h.nev, 2);
	assert_false(h.ev[0].ddgst_ok);
	assert_true(h.ev[1].ddgst_ok);
	harness_free(&h);
	stream_free(&s);
}

/* ---- Callback failures ---- */

static int hdr_no_dst(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		      const struct tcp_rx_layout *lay, void **dst, struct tcp_err *err)
{
	return 0;
}

static int pdu_fail(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		    const struct tcp_rx_layout *lay, void *data, bool ddgst_ok,
		    struct tcp_err *err)
{
	err->fes = NVMF_TCP_FES_PDU_SEQ_ERR;
	err->fei = 8;
	strcpy(err->msg, "unknown CCCID");
	return -EPROTO;
}

static void test_callback_errors(void **state)
{
	static const struct tcp_rx_ops ops = { .on_hdr = hdr_no_dst, .on_pdu = pdu_fail };
	uint8_t b[TCP_PDU_HDR_BUF];
	struct tcp_rx rx;
	size_t n;

	/* Data but no destination: a bug in the caller, not the peer. */
	assert_int_equal(tcp_rx_init(&rx, &host_p, 4096, &ops, NULL), 0);
	rx.ic_done = true;
	n = tcp_build_c2h_data(b, &tx_ctrl, 1, 0, 8, true, false);
	assert_int_equal(tcp_rx_feed(&rx, b, n), -EINVAL);
	assert_int_equal(rx.state, TCP_RX_DEAD);
	assert_int_equal(tcp_rx_feed(&rx, b, n), -EPROTO);
	tcp_rx_free(&rx);

	/* on_pdu refuses the PDU: its error is the connection's. */
	assert_int_equal(tcp_rx_init(&rx, &host_p, 4096, &ops, NULL), 0);
	rx.ic_done = true;
	n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
	assert_int_equal(tcp_rx_feed(&rx, b, n), -EPROTO);
	assert_int_equal(rx.state, TCP_RX_DEAD);
	assert_int_equal(rx.err.fes, NVMF_TCP_FES_PDU_SEQ_ERR);
	assert_int_equal(rx.err.fei, 8);
	assert_string_equal(rx.err.msg, "unknown CCCID");
	tcp_rx_free(&rx);
}

/* A bad ICResp caught by on_pdu through tcp_check_icresp. */
static void test_bad_icresp_through_framer(void **state)
{
	uint8_t b[TCP_PDU_HDR_BUF];
	struct harness h;
	size_t n;

	harness_init(&h, &host_p, 4096);
	h.negotiate = true;
	h.icreq = (struct tcp_ic_request){ .hpda = 0 };
	n = tcp_build_icresp(b, 0, false, false, 1000);
	assert_int_equal(tcp_rx_feed(&h.rx, b, n), -EPROTO);
	assert_int_equal(h.rx.err.fes, FES_HDR);
	assert_int_equal(h.rx.err.fei, 12);
	assert_int_equal(h.rx.state, TCP_RX_DEAD);
	harness_free(&h);
}

/* The offending header as the TermReq should carry it. */
static void test_err_hdr(void **state)
{
	struct tcp_params on = host_p;
	struct tcp_params tx_on = { .role = TCP_ROLE_CTRL, .hdgst = true };
	uint8_t b[TCP_PDU_HDR_BUF];
	struct harness h;
	const void *bad;
	size_t n;

	/* CH refused: only the 8 CH bytes (HLEN is not trusted). */
	n = tcp_build_capsule_resp(b, &tx_ctrl, zero64);
	b[2] = 200;
	harness_init(&h, &host_p, 4096);
	h.rx.ic_done = true;
	assert_int_equal(tcp_rx_feed(&h.rx, b, n), -EPROTO);
	assert_int_equal(tcp_rx_err_hdr(&h.rx, &bad), 8);
	assert_memory_equal(bad, b, 8);
	harness_free(&h);

	/* Header digest refused: HLEN bytes. */
	on.hdgst = true;
	n = tcp_build_c2h_data(b, &tx_on, 1, 0, 8, true, false);
	b[9] ^= 1;
	harness_init(&h, &on, 4096);
	h.rx.ic_done = true;
	assert_int_equal(tcp_rx_feed(&h.rx, b, n), -EPROTO);
	assert_int_equal(h.rx.err.fes, FES_HDGST);
	assert_int_equal(tcp_rx_err_hdr(&h.rx, &bad), 24);
	assert_memory_equal(bad, b, 24);
	harness_free(&h);

	/* Refused by on_hdr (range), after a good PDU with a longer header. */
	struct tcp_params cp = ctrl_p;
	harness_init(&h, &cp, 4096);
	h.rx.ic_done = true;
	h.check_range = true;
	h.xfer_len = 10;
	n = tcp_build_capsule_cmd(b, &tx_host, zero64, 0);
	assert_int_equal(tcp_rx_feed(&h.rx, b, n), 0);
	n = tcp_build_h2c_data(b, &tx_host, 1, 1, 0, 16, true);
	assert_int_equal(tcp_rx_feed(&h.rx, b, n), -EPROTO);
	assert_int_equal(h.rx.err.fes, FES_RANGE);
	assert_int_equal(tcp_rx_err_hdr(&h.rx, &bad), 24);
	assert_memory_equal(bad, b, 24);
	harness_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_hlen),
		cmocka_unit_test(test_bad_plen_no_data_types),
		cmocka_unit_test(test_bad_plen_term_req),
		cmocka_unit_test(test_bad_plen_data_types),
		cmocka_unit_test(test_bad_pdo_alignment),
		cmocka_unit_test(test_bad_pdo_values),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_wrong_direction),
		cmocka_unit_test(test_before_ic),
		cmocka_unit_test(test_ic_after_ic),
		cmocka_unit_test(test_term_req_before_ic),
		cmocka_unit_test(test_flags_success_without_last),
		cmocka_unit_test(test_flags_undefined),
		cmocka_unit_test(test_flags_hdgst_mismatch),
		cmocka_unit_test(test_flags_ddgst_mismatch),
		cmocka_unit_test(test_header_digest),
		cmocka_unit_test(test_datal_fields),
		cmocka_unit_test(test_data_out_of_range),
		cmocka_unit_test(test_h2c_over_maxh2cdata),
		cmocka_unit_test(test_icd_over_limit),
		cmocka_unit_test(test_data_digest_mismatch),
		cmocka_unit_test(test_data_digest_bytes),
		cmocka_unit_test(test_callback_errors),
		cmocka_unit_test(test_bad_icresp_through_framer),
		cmocka_unit_test(test_err_hdr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
