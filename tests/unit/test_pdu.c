/*
 * PDU builders (exact wire bytes), tcp_tx_pdo, the Initialize Connection
 * checks, tcp_check_data_range and the name helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "tcp/pdu.h"

static void assert_ch(const uint8_t *b, uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo,
		      uint32_t plen)
{
	assert_int_equal(b[0], type);
	assert_int_equal(b[1], flags);
	assert_int_equal(b[2], hlen);
	assert_int_equal(b[3], pdo);
	assert_int_equal(nvmf_get_le32(b + 4), plen);
}

static void test_icreq_icresp(void **state)
{
	uint8_t b[TCP_PDU_HDR_BUF];

	memset(b, 0xaa, sizeof(b));
	assert_int_equal(tcp_build_icreq(b, 31, true, false, 5), 128);
	assert_ch(b, NVMF_TCP_ICREQ, 0, 128, 0, 128);
	assert_int_equal(nvmf_get_le16(b + 8), 0);
	assert_int_equal(b[10], 31);
	assert_int_equal(b[11], NVMF_TCP_HDGST_ENABLE);
	assert_int_equal(nvmf_get_le32(b + 12), 5);
	for (int i = 16; i < 128; i++)
		assert_int_equal(b[i], 0);

	memset(b, 0xaa, sizeof(b));
	assert_int_equal(tcp_build_icresp(b, 2, false, true, 0x20000), 128);
	assert_ch(b, NVMF_TCP_ICRESP, 0, 128, 0, 128);
	assert_int_equal(b[10], 2);
	assert_int_equal(b[11], NVMF_TCP_DDGST_ENABLE);
	assert_int_equal(nvmf_get_le32(b + 12), 0x20000);
	for (int i = 16; i < 128; i++)
		assert_int_equal(b[i], 0);
}

static void test_tx_pdo(void **state)
{
	struct tcp_params p = { 0 };

	assert_int_equal(tcp_tx_pdo(&p, 24), 24);
	assert_int_equal(tcp_tx_pdo(&p, 72), 72);
	p.hdgst = true;
	assert_int_equal(tcp_tx_pdo(&p, 24), 28);
	p.tx_pda = 1;	/* 8 bytes */
	assert_int_equal(tcp_tx_pdo(&p, 24), 32);
	assert_int_equal(tcp_tx_pdo(&p, 72), 80);
	p.tx_pda = 31;	/* 128 bytes */
	assert_int_equal(tcp_tx_pdo(&p, 72), 128);
	p.hdgst = false;
	p.tx_pda = 5;	/* 24 bytes */
	assert_int_equal(tcp_tx_pdo(&p, 24), 24);
	assert_int_equal(tcp_tx_pdo(&p, 72), 72);
	p.hdgst = true;
	assert_int_equal(tcp_tx_pdo(&p, 72), 96);
	assert_int_equal(tcp_pda_bytes(0), 4);
	assert_int_equal(tcp_pda_bytes(31), 128);
}

static void test_capsule_cmd(void **state)
{
	struct tcp_params p = { .hdgst = true, .ddgst = true, .tx_pda = 3 };	/* 16 bytes */
	uint8_t b[TCP_PDU_HDR_BUF], sqe[64];

	for (int i = 0; i < 64; i++)
		sqe[i] = (uint8_t)(i + 1);
	memset(b, 0xaa, sizeof(b));
	/* With data: HLEN 72 + HDGST 4 = 76, PAD to 80, data, DDGST. */
	assert_int_equal(tcp_build_capsule_cmd(b, &p, sqe, 1000), 80);
	assert_ch(b, NVMF_TCP_CAPSULE_CMD, NVMF_TCP_F_HDGST | NVMF_TCP_F_DDGST, 72, 80,
		  80 + 1000 + 4);
	assert_memory_equal(b + 8, sqe, 64);
	assert_int_equal(nvmf_get_le32(b + 72), tcp_crc32c(b, 72));
	for (int i = 76; i < 80; i++)
		assert_int_equal(b[i], 0);
	/* Without data: no PDO, no DDGSTF, no pad. */
	memset(b, 0xaa, sizeof(b));
	assert_int_equal(tcp_build_capsule_cmd(b, &p, sqe, 0), 76);
	assert_ch(b, NVMF_TCP_CAPSULE_CMD, NVMF_TCP_F_HDGST, 72, 0, 76);
	assert_int_equal(nvmf_get_le32(b + 72), tcp_crc32c(b, 72));
	/* No digests. */
	p.hdgst = p.ddgst = false;
	p.tx_pda = 0;
	assert_int_equal(tcp_build_capsule_cmd(b, &p, sqe, 8), 72);
	assert_ch(b, NVMF_TCP_CAPSULE_CMD, 0, 72, 72, 80);
}

static void test_capsule_resp(void **state)
{
	struct tcp_params p = { .hdgst = false, .ddgst = true, .tx_pda = 31 };
	uint8_t b[TCP_PDU_HDR_BUF], cqe[16];

	for (int i = 0; i < 16; i++)
		cqe[i] = (uint8_t)(0xf0 + i);
	assert_int_equal(tcp_build_capsule_resp(b, &p, cqe), 24);
	assert_ch(b, NVMF_TCP_CAPSULE_RESP, 0, 24, 0, 24);
	assert_memory_equal(b + 8, cqe, 16);
	p.hdgst = true;
	assert_int_equal(tcp_build_capsule_resp(b, &p, cqe), 28);
	assert_ch(b, NVMF_TCP_CAPSULE_RESP, NVMF_TCP_F_HDGST, 24, 0, 28);
	assert_int_equal(nvmf_get_le32(b + 24), tcp_crc32c(b, 24));
}

static void test_data_pdus(void **state)
{
	struct tcp_params p = { .hdgst = true, .ddgst = true, .tx_pda = 0 };
	uint8_t b[TCP_PDU_HDR_BUF];

	assert_int_equal(tcp_build_h2c_data(b, &p, 0x1234, 0x5678, 0x1000, 0x2000, true), 28);
	assert_ch(b, NVMF_TCP_H2C_DATA,
		  NVMF_TCP_F_HDGST | NVMF_TCP_F_DDGST | NVMF_TCP_F_DATA_LAST, 24, 28,
		  28 + 0x2000 + 4);
	assert_int_equal(nvmf_get_le16(b + 8), 0x1234);
	assert_int_equal(nvmf_get_le16(b + 10), 0x5678);
	assert_int_equal(nvmf_get_le32(b + 12), 0x1000);
	assert_int_equal(nvmf_get_le32(b + 16), 0x2000);
	assert_int_equal(nvmf_get_le32(b + 20), 0);
	assert_int_equal(nvmf_get_le32(b + 24), tcp_crc32c(b, 24));

	p.hdgst = p.ddgst = false;
	assert_int_equal(tcp_build_h2c_data(b, &p, 1, 2, 0, 10, false), 24);
	assert_ch(b, NVMF_TCP_H2C_DATA, 0, 24, 24, 34);

	assert_int_equal(tcp_build_c2h_data(b, &p, 0xabcd, 7, 9, true, true), 24);
	assert_ch(b, NVMF_TCP_C2H_DATA, NVMF_TCP_F_DATA_LAST | NVMF_TCP_F_DATA_SUCCESS, 24, 24,
		  33);
	assert_int_equal(nvmf_get_le16(b + 8), 0xabcd);
	assert_int_equal(nvmf_get_le16(b + 10), 0);
	assert_int_equal(nvmf_get_le32(b + 12), 7);
	assert_int_equal(nvmf_get_le32(b + 16), 9);
	assert_int_equal(tcp_build_c2h_data(b, &p, 1, 0, 9, false, false), 24);
	assert_int_equal(b[1], 0);
}

static void test_r2t(void **state)
{
	struct tcp_params p = { .hdgst = true, .ddgst = true, .tx_pda = 31 };
	uint8_t b[TCP_PDU_HDR_BUF];

	assert_int_equal(tcp_build_r2t(b, &p, 3, 4, 0x10000, 0x8000), 28);
	assert_ch(b, NVMF_TCP_R2T, NVMF_TCP_F_HDGST, 24, 0, 28);
	assert_int_equal(nvmf_get_le16(b + 8), 3);
	assert_int_equal(nvmf_get_le16(b + 10), 4);
	assert_int_equal(nvmf_get_le32(b + 12), 0x10000);
	assert_int_equal(nvmf_get_le32(b + 16), 0x8000);
	assert_int_equal(nvmf_get_le32(b + 24), tcp_crc32c(b, 24));
}

static void test_term_req(void **state)
{
	uint8_t b[TCP_PDU_HDR_BUF], bad[300];

	for (int i = 0; i < 300; i++)
		bad[i] = (uint8_t)i;
	assert_int_equal(tcp_build_term_req(b, TCP_ROLE_HOST, 2, 0x01020304, bad, 24), 48);
	assert_ch(b, NVMF_TCP_H2C_TERM_REQ, 0, 24, 0, 48);
	assert_int_equal(nvmf_get_le16(b + 8), 2);
	assert_int_equal(nvmf_get_le32(b + 10), 0x01020304);
	assert_int_equal(nvmf_get_le16(b + 10), 0x0304);	/* FEIL */
	assert_int_equal(nvmf_get_le16(b + 12), 0x0102);	/* FEIU */
	assert_memory_equal(b + 24, bad, 24);
	assert_int_equal(tcp_build_term_req(b, TCP_ROLE_CTRL, 1, 4, bad, 300), 152);
	assert_ch(b, NVMF_TCP_C2H_TERM_REQ, 0, 24, 0, 152);
	assert_memory_equal(b + 24, bad, 128);
	assert_int_equal(tcp_build_term_req(b, TCP_ROLE_CTRL, 6, 8, NULL, 50), 24);
	assert_ch(b, NVMF_TCP_C2H_TERM_REQ, 0, 24, 0, 24);
}

/* ---- IC checks ---- */

static void icresp(struct nvmf_tcp_icresp *r, uint8_t cpda, bool hd, bool dd, uint32_t maxh2c)
{
	tcp_build_icresp(r, cpda, hd, dd, maxh2c);
}

static void test_icresp_ok(void **state)
{
	struct nvmf_tcp_icresp r;
	struct tcp_ic_request req = { .hpda = 4, .hdgst = true, .ddgst = false };
	struct tcp_params p;
	struct tcp_err err = { 0 };

	icresp(&r, 7, true, false, 65536);
	assert_int_equal(tcp_check_icresp(&r, &req, &p, &err), 0);
	assert_int_equal(p.role, TCP_ROLE_HOST);
	assert_true(p.hdgst);
	assert_false(p.ddgst);
	assert_int_equal(p.rx_pda, 4);
	assert_int_equal(p.tx_pda, 7);
	assert_int_equal(p.maxh2cdata, 65536);
	/* The largest MAXH2CDATA is taken, but an H2CData stays within
	 * TCP_PDU_DATA_CAP: PLEN must hold it with its header and digests. */
	icresp(&r, 7, true, false, 0xfffffffcu);
	assert_int_equal(tcp_check_icresp(&r, &req, &p, &err), 0);
	assert_int_equal(p.maxh2cdata, TCP_PDU_DATA_CAP);
}

static void icresp_bad(struct nvmf_tcp_icresp *r, const struct tcp_ic_request *req,
		       uint16_t fes, uint32_t fei)
{
	struct tcp_params p;
	struct tcp_err err = { 0 };

	assert_int_equal(tcp_check_icresp(r, req, &p, &err), -EPROTO);
	assert_int_equal(err.fes, fes);
	assert_int_equal(err.fei, fei);
	assert_true(strlen(err.msg) > 0);
}

static void test_icresp_bad(void **state)
{
	struct nvmf_tcp_icresp r;
	struct tcp_ic_request req = { .hpda = 0, .hdgst = true, .ddgst = true };

	icresp(&r, 0, true, true, 4096);
	nvmf_put_le16(&r.pfv, 1);
	icresp_bad(&r, &req, NVMF_TCP_FES_UNSUPPORTED_PARAM, 8);
	icresp(&r, 32, true, true, 4096);
	icresp_bad(&r, &req, NVMF_TCP_FES_INVALID_PDU_HDR, 10);
	/* Digests: declined or enabled unasked. */
	icresp(&r, 0, false, true, 4096);
	icresp_bad(&r, &req, NVMF_TCP_FES_INVALID_PDU_HDR, 11);
	icresp(&r, 0, true, false, 4096);
	icresp_bad(&r, &req, NVMF_TCP_FES_INVALID_PDU_HDR, 11);
	req.hdgst = req.ddgst = false;
	icresp(&r, 0, true, false, 4096);
	icresp_bad(&r, &req, NVMF_TCP_FES_INVALID_PDU_HDR, 11);
	icresp(&r, 0, false, true, 4096);
	icresp_bad(&r, &req, NVMF_TCP_FES_INVALID_PDU_HDR, 11);
	/* MAXH2CDATA >= 4096 and a multiple of 4 (3.6.2.3). */
	icresp(&r, 0, false, false, 4092);
	icresp_bad(&r, &req, NVMF_TCP_FES_INVALID_PDU_HDR, 12);
	icresp(&r, 0, false, false, 4098);
	icresp_bad(&r, &req, NVMF_TCP_FES_INVALID_PDU_HDR, 12);
	icresp(&r, 0, false, false, 0);
	icresp_bad(&r, &req, NVMF_TCP_FES_INVALID_PDU_HDR, 12);
}

static void test_icreq(void **state)
{
	struct nvmf_tcp_icreq q;
	struct tcp_params p;
	struct tcp_err err = { 0 };

	tcp_build_icreq(&q, 9, false, true, 0);
	assert_int_equal(tcp_check_icreq(&q, 3, 8192, 4096, &p, &err), 0);
	assert_int_equal(p.role, TCP_ROLE_CTRL);
	assert_false(p.hdgst);
	assert_true(p.ddgst);
	assert_int_equal(p.rx_pda, 3);
	assert_int_equal(p.tx_pda, 9);
	assert_int_equal(p.maxh2cdata, 8192);
	assert_int_equal(p.max_icd, 4096);

	nvmf_put_le16(&q.pfv, 2);
	assert_int_equal(tcp_check_icreq(&q, 0, 8192, 0, &p, &err), -EPROTO);
	assert_int_equal(err.fes, NVMF_TCP_FES_UNSUPPORTED_PARAM);
	assert_int_equal(err.fei, 8);

	tcp_build_icreq(&q, 32, false, false, 0);
	assert_int_equal(tcp_check_icreq(&q, 0, 8192, 0, &p, &err), -EPROTO);
	assert_int_equal(err.fes, NVMF_TCP_FES_INVALID_PDU_HDR);
	assert_int_equal(err.fei, 10);
}

/* ---- Data ranges ---- */

static void range_bad(const void *b, uint32_t xfer, uint32_t expected, uint16_t fes, uint32_t fei)
{
	union nvmf_tcp_pdu_hdr h;
	struct tcp_err err = { 0 };

	memset(&h, 0, sizeof(h));
	memcpy(&h, b, 24);
	assert_int_equal(tcp_check_data_range(&h, xfer, expected, &err), -EPROTO);
	assert_int_equal(err.fes, fes);
	assert_int_equal(err.fei, fei);
	assert_true(strlen(err.msg) > 0);
}

static void range_ok(const void *b, uint32_t xfer, uint32_t expected)
{
	union nvmf_tcp_pdu_hdr h;
	struct tcp_err err = { 0 };

	memset(&h, 0, sizeof(h));
	memcpy(&h, b, 24);
	assert_int_equal(tcp_check_data_range(&h, xfer, expected, &err), 0);
}

static void test_data_range(void **state)
{
	struct tcp_params p = { 0 };
	uint8_t b[TCP_PDU_HDR_BUF];

	tcp_build_c2h_data(b, &p, 1, 4096, 4096, true, false);
	range_ok(b, 8192, 4096);
	range_bad(b, 4096, 4096, NVMF_TCP_FES_DATA_OUT_OF_RANGE, 12);	/* DATAO at the end */
	range_bad(b, 8191, 4096, NVMF_TCP_FES_DATA_OUT_OF_RANGE, 16);	/* DATAL one too long */
	range_bad(b, 8192, 0, NVMF_TCP_FES_PDU_SEQ_ERR, 12);		/* out of order */

	tcp_build_h2c_data(b, &p, 1, 2, 0xfffff000u, 0x2000, true);	/* no wrap-around */
	range_bad(b, 0xfffff800u, 0xfffff000u, NVMF_TCP_FES_DATA_OUT_OF_RANGE, 16);
	tcp_build_h2c_data(b, &p, 1, 2, 100, 50, true);
	range_ok(b, 150, 100);
	range_bad(b, 149, 100, NVMF_TCP_FES_DATA_OUT_OF_RANGE, 16);

	tcp_build_r2t(b, &p, 1, 2, 512, 512);
	range_ok(b, 1024, 512);
	range_bad(b, 512, 512, NVMF_TCP_FES_DATA_OUT_OF_RANGE, 12);
	range_bad(b, 1000, 512, NVMF_TCP_FES_DATA_OUT_OF_RANGE, 16);

	tcp_build_capsule_resp(b, &p, b + 100);
	range_bad(b, 1000, 0, NVMF_TCP_FES_INVALID_PDU_HDR, 0);
}

static void test_names(void **state)
{
	assert_string_equal(tcp_pdu_type_name(NVMF_TCP_ICREQ), "ICReq");
	assert_string_equal(tcp_pdu_type_name(NVMF_TCP_ICRESP), "ICResp");
	assert_string_equal(tcp_pdu_type_name(NVMF_TCP_H2C_TERM_REQ), "H2CTermReq");
	assert_string_equal(tcp_pdu_type_name(NVMF_TCP_C2H_TERM_REQ), "C2HTermReq");
	assert_string_equal(tcp_pdu_type_name(NVMF_TCP_CAPSULE_CMD), "CapsuleCmd");
	assert_string_equal(tcp_pdu_type_name(NVMF_TCP_CAPSULE_RESP), "CapsuleResp");
	assert_string_equal(tcp_pdu_type_name(NVMF_TCP_H2C_DATA), "H2CData");
	assert_string_equal(tcp_pdu_type_name(NVMF_TCP_C2H_DATA), "C2HData");
	assert_string_equal(tcp_pdu_type_name(NVMF_TCP_R2T), "R2T");
	assert_string_equal(tcp_pdu_type_name(8), "unknown PDU type");
	assert_string_equal(tcp_fes_name(NVMF_TCP_FES_PDU_SEQ_ERR), "PDU sequence error");
	assert_string_equal(tcp_fes_name(NVMF_TCP_FES_HDR_DIGEST_ERR), "header digest error");
	assert_string_equal(tcp_fes_name(99), "unknown fatal error status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icreq_icresp),
		cmocka_unit_test(test_tx_pdo),
		cmocka_unit_test(test_capsule_cmd),
		cmocka_unit_test(test_capsule_resp),
		cmocka_unit_test(test_data_pdus),
		cmocka_unit_test(test_r2t),
		cmocka_unit_test(test_term_req),
		cmocka_unit_test(test_icresp_ok),
		cmocka_unit_test(test_icresp_bad),
		cmocka_unit_test(test_icreq),
		cmocka_unit_test(test_data_range),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
