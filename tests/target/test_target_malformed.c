/*
 * nvmf-target against a hostile host: malformed PDUs get a C2HTermReq with
 * the right FES and the connection closes, while other connections keep
 * working; data digest errors fail one command; random bytes never crash
 * the target. Also keep-alive expiry and asynchronous events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/endian.h>

#include "th.h"

static struct tf F;

static int setup(void **state)
{
	tf_start(&F, 9, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	tf_stop(&F);
	return 0;
}

/* A fresh, well-behaved host still gets served. */
static void check_alive(void)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t id[4096];

	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_identify(&h, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_close(&h);
}

/* Expect a C2HTermReq with this FES (and FEI unless ~0), then EOF. */
static void expect_term(struct th *h, uint16_t fes, uint32_t fei)
{
	assert_int_equal(th_recv_pdu(h), 0);
	assert_int_equal(h->hdr.ch.pdu_type, NVMF_TCP_C2H_TERM_REQ);
	assert_int_equal(nvmf_le16toh(h->hdr.term.fes), fes);
	if (fei != ~0u)
		assert_int_equal(nvmf_le16toh(h->hdr.term.feil) |
				 ((uint32_t)nvmf_le16toh(h->hdr.term.feiu) << 16), fei);
	assert_true(th_wait_closed(h, TH_TIMEOUT_MS));
	th_close(h);
}

static void test_bad_ic(void **state)
{
	struct th h;
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	/* Undefined PDU type. */
	assert_int_equal(th_open(&h, F.port), 0);
	memset(b, 0, 8);
	b[0] = 0x55;
	b[2] = 8;
	nvmf_put_le32(b + 4, 8);
	assert_int_equal(th_send(&h, b, 8), 0);
	expect_term(&h, NVMF_TCP_FES_INVALID_PDU_HDR, 0);
	/* A CapsuleCmd before ICReq. */
	assert_int_equal(th_open(&h, F.port), 0);
	{
		uint8_t sqe[64] = { 0 };

		n = tcp_build_capsule_cmd(b, &h.p, sqe, 0);
		assert_int_equal(th_send(&h, b, n), 0);
	}
	expect_term(&h, NVMF_TCP_FES_PDU_SEQ_ERR, 0);
	/* ICReq with a wrong HLEN. */
	assert_int_equal(th_open(&h, F.port), 0);
	n = tcp_build_icreq(b, 0, false, false, 0);
	b[2] = 100;
	assert_int_equal(th_send(&h, b, n), 0);
	expect_term(&h, NVMF_TCP_FES_INVALID_PDU_HDR, 2);
	/* PFV 1. */
	assert_int_equal(th_open(&h, F.port), 0);
	n = tcp_build_icreq(b, 0, false, false, 0);
	nvmf_put_le16(b + 8, 1);
	assert_int_equal(th_send(&h, b, n), 0);
	expect_term(&h, NVMF_TCP_FES_UNSUPPORTED_PARAM, 8);
	/* HPDA 32. */
	assert_int_equal(th_open(&h, F.port), 0);
	n = tcp_build_icreq(b, 0, false, false, 0);
	b[10] = 32;
	assert_int_equal(th_send(&h, b, n), 0);
	expect_term(&h, NVMF_TCP_FES_INVALID_PDU_HDR, 10);
	/* A second ICReq. */
	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	n = tcp_build_icreq(b, 0, false, false, 0);
	assert_int_equal(th_send(&h, b, n), 0);
	expect_term(&h, NVMF_TCP_FES_PDU_SEQ_ERR, 0);
	check_alive();
}

static void test_bad_capsules(void **state)
{
	struct th h, other;
	uint8_t b[TCP_PDU_HDR_BUF], sqe[64];
	uint8_t *big = calloc(1, 16384);
	size_t n;

	/* A second connection stays up through all of it. */
	assert_int_equal(th_admin_up(&other, F.port, TH_SUBNQN, 0), 0);

	/* PLEN 4 GiB - 1 on a CapsuleCmd without data. */
	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	th_sqe(sqe, NVMF_ADM_KEEP_ALIVE, 0);
	n = tcp_build_capsule_cmd(b, &h.p, sqe, 0);
	nvmf_put_le32(b + 4, 0xFFFFFFFFu);
	assert_int_equal(th_send(&h, b, n), 0);
	expect_term(&h, NVMF_TCP_FES_INVALID_PDU_HDR, ~0u);

	/* In-capsule data above the admin queue's 8 KiB. */
	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	th_sqe(sqe, NVMF_ADM_FABRICS, 0);
	sqe[4] = NVMF_FCTYPE_CONNECT;
	n = tcp_build_capsule_cmd(b, &h.p, sqe, 8192 + 16);
	assert_int_equal(th_send(&h, b, n), 0);
	assert_int_equal(th_send(&h, big, 8192 + 16), 0);
	expect_term(&h, NVMF_TCP_FES_DATA_LIMIT_EXCEEDED, 4);

	/* H2CData naming no R2T. */
	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	n = tcp_build_h2c_data(b, &h.p, 5, 77, 0, 512, true);
	assert_int_equal(th_send(&h, b, n), 0);
	assert_int_equal(th_send(&h, big, 512), 0);
	expect_term(&h, NVMF_TCP_FES_INVALID_PDU_HDR, 10);

	/* Header digest mismatch. */
	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, true, false), 0);
	th_sqe(sqe, NVMF_ADM_KEEP_ALIVE, 0);
	n = tcp_build_capsule_cmd(b, &h.p, sqe, 0);
	b[NVMF_TCP_CAPSULE_CMD_HLEN] ^= 0x5A;
	assert_int_equal(th_send(&h, b, n), 0);
	expect_term(&h, NVMF_TCP_FES_HDR_DIGEST_ERR, ~0u);

	{
		struct th_cqe cqe;
		uint8_t id[4096];

		assert_int_equal(th_identify(&other, NVMF_CNS_CTRL, 0, id, &cqe), 0);
		assert_int_equal(cqe.status, 0);
	}
	th_close(&other);
	free(big);
}

static void test_bad_h2c_range(void **state)
{
	struct th a, q;
	struct th_cqe cqe;
	uint8_t b[TCP_PDU_HDR_BUF], sqe[64], data[4096] = { 0 };
	uint16_t ttag;
	size_t n;

	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_io_up(&q, F.port, &a, 1, 0), 0);
	th_sqe(sqe, NVMF_NVM_WRITE, 1);
	sqe[1] = 0x40;
	nvmf_put_le16(sqe + 2, 9);
	nvmf_put_le32(sqe + 48, 7);		/* 8 blocks */
	nvmf_put_le32(sqe + 32, 4096);
	sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
	n = tcp_build_capsule_cmd(b, &q.p, sqe, 0);
	assert_int_equal(th_send(&q, b, n), 0);
	assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_R2T);
	assert_int_equal(nvmf_le32toh(q.hdr.r2t.r2tl), 4096);
	ttag = nvmf_le16toh(q.hdr.r2t.ttag);
	/* DATAO 2048 + DATAL 4096 runs past the 4 KiB transfer. */
	n = tcp_build_h2c_data(b, &q.p, 9, ttag, 2048, 4096, true);
	assert_int_equal(th_send(&q, b, n), 0);
	assert_int_equal(th_send(&q, data, 4096), 0);
	expect_term(&q, NVMF_TCP_FES_DATA_OUT_OF_RANGE, ~0u);
	/* The I/O queue died alone: its admin queue still answers. */
	assert_int_equal(th_prop_get(&a, NVMF_PROP_CSTS, false, NULL, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	/* H2CData under the TTAG the R2T will have (a fresh queue's first
	 * slot, 0), sent with the command in one write, ahead of the R2T:
	 * it answers no R2T on the wire, so it is a protocol error, not data
	 * taken. */
	assert_int_equal(th_io_up(&q, F.port, &a, 1, 0), 0);
	{
		uint8_t both[2 * TCP_PDU_HDR_BUF + 4096];
		size_t m;

		nvmf_put_le16(sqe + 2, 10);
		m = tcp_build_capsule_cmd(both, &q.p, sqe, 0);
		m += tcp_build_h2c_data(both + m, &q.p, 10, 0, 0, 4096, true);
		memcpy(both + m, data, 4096);
		assert_int_equal(th_send(&q, both, m + 4096), 0);
	}
	/* The R2T queued before the error may go out first. */
	assert_int_equal(th_recv_pdu(&q), 0);
	if (q.hdr.ch.pdu_type == NVMF_TCP_R2T)
		assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_C2H_TERM_REQ);
	assert_int_equal(nvmf_le16toh(q.hdr.term.fes), NVMF_TCP_FES_INVALID_PDU_HDR);
	assert_int_equal(nvmf_le16toh(q.hdr.term.feil), 10);
	assert_true(th_wait_closed(&q, TH_TIMEOUT_MS));
	th_close(&q);
	assert_int_equal(th_prop_get(&a, NVMF_PROP_CSTS, false, NULL, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_close(&a);
}

static void test_too_many_outstanding(void **state)
{
	struct th a, q;
	struct th_cqe cqe;
	uint8_t b[TCP_PDU_HDR_BUF], sqe[64];
	int r2ts = 0;
	size_t n;

	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_open(&q, F.port), 0);
	memcpy(q.hostid, a.hostid, 16);
	assert_int_equal(th_icreq(&q, 0, false, false), 0);
	assert_int_equal(th_connect(&q, 1, 3, 0, a.cntlid, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	/* SQSIZE 3: four entries. Writes whose data never comes hold their
	 * slots; far more than the queue can hold ends the connection. */
	for (int i = 0; i < 9; i++) {
		th_sqe(sqe, NVMF_NVM_WRITE, 1);
		sqe[1] = 0x40;
		nvmf_put_le16(sqe + 2, (uint16_t)(100 + i));
		nvmf_put_le32(sqe + 32, 512);
		sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
		n = tcp_build_capsule_cmd(b, &q.p, sqe, 0);
		assert_int_equal(th_send(&q, b, n), 0);
	}
	for (;;) {
		assert_int_equal(th_recv_pdu(&q), 0);
		if (q.hdr.ch.pdu_type != NVMF_TCP_R2T)
			break;
		r2ts++;
	}
	assert_int_equal(r2ts, 8);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_C2H_TERM_REQ);
	assert_int_equal(nvmf_le16toh(q.hdr.term.fes), NVMF_TCP_FES_PDU_SEQ_ERR);
	assert_true(th_wait_closed(&q, TH_TIMEOUT_MS));
	th_close(&q);
	th_close(&a);
	check_alive();
}

static void test_data_digest_error(void **state)
{
	struct th a, q;
	struct th_cqe cqe;
	uint8_t b[TCP_PDU_HDR_BUF], sqe[64], data[512], dg[4];
	size_t n;

	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_open(&q, F.port), 0);
	memcpy(q.hostid, a.hostid, 16);
	assert_int_equal(th_icreq(&q, 0, false, true), 0);
	assert_int_equal(th_connect(&q, 1, 31, 0, a.cntlid, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	/* In-capsule write with a wrong data digest: Transient Transport
	 * Error for that command, the connection lives on. */
	memset(data, 0xAB, sizeof(data));
	th_sqe(sqe, NVMF_NVM_WRITE, 1);
	sqe[1] = 0x40;
	nvmf_put_le16(sqe + 2, 55);
	nvmf_put_le32(sqe + 32, 512);
	sqe[39] = NVMF_SGL_ID_ICD;
	n = tcp_build_capsule_cmd(b, &q.p, sqe, 512);
	tcp_put_digest(dg, tcp_crc32c(data, 512) ^ 1);
	assert_int_equal(th_send(&q, b, n), 0);
	assert_int_equal(th_send(&q, data, 512), 0);
	assert_int_equal(th_send(&q, dg, 4), 0);
	assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal((nvmf_get_le16(q.hdr.rsp.cqe + 14) >> 1) & 0x7FF, NVMF_SC_TRANSIENT_TRANSPORT);
	assert_int_equal(th_write(&q, 1, 0, 1, data, 512, true, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_close(&q);
	th_close(&a);
}

static void test_host_termreq(void **state)
{
	struct th h;
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t n;

	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	n = tcp_build_term_req(b, TCP_ROLE_HOST, NVMF_TCP_FES_PDU_SEQ_ERR, 0, NULL, 0);
	assert_int_equal(th_send(&h, b, n), 0);
	assert_true(th_wait_closed(&h, TH_TIMEOUT_MS));
	th_close(&h);
	check_alive();
}

static void test_fuzz(void **state)
{
	uint32_t seed = 12345;

	/* Random bytes after a valid ICReq, and valid headers with random
	 * fields: the target must answer, terminate or close, never crash. */
	for (int i = 0; i < 200; i++) {
		struct th h;
		uint8_t b[512];
		size_t len;

		assert_int_equal(th_open(&h, F.port), 0);
		if (i % 3 != 0)
			assert_int_equal(th_icreq(&h, (uint8_t)(i % 4), i & 1, i & 2), 0);
		seed = seed * 1103515245u + 12345u;
		len = 8 + (seed >> 16) % (sizeof(b) - 8);
		for (size_t k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			b[k] = (uint8_t)(seed >> 16);
		}
		if (i % 2) {
			/* A plausible header: known type, sane HLEN. */
			static const uint8_t types[] = { 4, 6, 2, 0 };
			static const uint8_t hl[] = { 72, 24, 24, 128 };

			b[0] = types[i % 4];
			b[2] = hl[i % 4];
			b[3] = (uint8_t)(b[3] & 0x7C);
			nvmf_put_le32(b + 4, (uint32_t)len);
		}
		(void)th_send(&h, b, len);
		th_close(&h);
	}
	check_alive();
}

static void test_keep_alive_expiry(void **state)
{
	struct th a, q;

	/* KATO 1 s and silence: the controller is dropped, its I/O queue
	 * too. The bound here is generous; the target uses at most 2 KATO. */
	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 1000), 0);
	assert_int_equal(th_io_up(&q, F.port, &a, 1, 0), 0);
	assert_true(th_wait_closed(&a, 30000));
	assert_true(th_wait_closed(&q, 30000));
	th_close(&a);
	th_close(&q);
	check_alive();
}

static void hot_add(struct tf *f, void *arg)
{
	struct ctl_ns *ns;
	char msg[128];

	assert_int_equal(ctl_ns_open(&ns, "ram:2M", 9, false, msg, sizeof(msg)), 0);
	assert_int_equal(ctl_subsys_attach_ns(f->s, ns, 5), 0);
}

static void hot_remove(struct tf *f, void *arg)
{
	ctl_subsys_detach_ns(f->s, 5);
}

static void resized(struct tf *f, void *arg)
{
	ctl_subsys_ns_changed(f->s, 1);
}

static void send_aer(struct th *h, uint16_t cid)
{
	uint8_t sqe[64], b[TCP_PDU_HDR_BUF];
	size_t n;

	th_sqe(sqe, NVMF_ADM_ASYNC_EVENT, 0);
	sqe[1] = 0x40;
	sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
	nvmf_put_le16(sqe + 2, cid);
	n = tcp_build_capsule_cmd(b, &h->p, sqe, 0);
	assert_int_equal(th_send(h, b, n), 0);
}

static void test_aen_namespace(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t sqe[64], log[4096], id[4096];

	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_ASYNC_EVENT);
	nvmf_put_le32(sqe + 44, NVMF_AEC_NS_ATTR);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	send_aer(&h, 900);
	tf_call(&F, hot_add, NULL);
	assert_int_equal(th_recv_pdu(&h), 0);
	assert_int_equal(h.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(h.hdr.rsp.cqe + 12), 900);
	assert_int_equal(nvmf_get_le32(h.hdr.rsp.cqe),
			 nvmf_aer_dw0(NVMF_AER_TYPE_NOTICE, NVMF_AER_NOTICE_NS_CHANGED,
				      NVMF_LID_CHANGED_NS));
	/* Changed Namespace List names nsid 5; RAE 0 re-arms the notice. */
	assert_int_equal(th_get_log(&h, NVMF_LID_CHANGED_NS, false, 0, log, 4096, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(nvmf_get_le32(log), 5);
	assert_int_equal(nvmf_get_le32(log + 4), 0);
	assert_int_equal(th_identify(&h, NVMF_CNS_NS, 5, id, &cqe), 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), (2u << 20) / 512);
	/* Removal raises the next notice. */
	send_aer(&h, 901);
	tf_call(&F, hot_remove, NULL);
	assert_int_equal(th_recv_pdu(&h), 0);
	assert_int_equal(nvmf_get_le16(h.hdr.rsp.cqe + 12), 901);
	assert_int_equal(th_get_log(&h, NVMF_LID_CHANGED_NS, true, 0, log, 4096, &cqe), 0);
	assert_int_equal(nvmf_get_le32(log), 5);
	assert_int_equal(th_identify(&h, NVMF_CNS_NS, 5, id, &cqe), 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), 0);
	/* The log was read with RAE set: the notice stays masked. Clear it,
	 * then grow the backing file of nsid 1: a resize is a notice too. */
	assert_int_equal(th_get_log(&h, NVMF_LID_CHANGED_NS, false, 0, log, 4096, &cqe), 0);
	send_aer(&h, 902);
	assert_int_equal(truncate(F.path, 8 << 20), 0);
	tf_call(&F, resized, NULL);
	assert_int_equal(th_recv_pdu(&h), 0);
	assert_int_equal(nvmf_get_le16(h.hdr.rsp.cqe + 12), 902);
	assert_int_equal(th_get_log(&h, NVMF_LID_CHANGED_NS, false, 0, log, 4096, &cqe), 0);
	assert_int_equal(nvmf_get_le32(log), 1);
	assert_int_equal(th_identify(&h, NVMF_CNS_NS, 1, id, &cqe), 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), (8u << 20) / 512);
	assert_int_equal(truncate(F.path, 4 << 20), 0);
	tf_call(&F, resized, NULL);
	th_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_ic),
		cmocka_unit_test(test_bad_capsules),
		cmocka_unit_test(test_bad_h2c_range),
		cmocka_unit_test(test_too_many_outstanding),
		cmocka_unit_test(test_data_digest_error),
		cmocka_unit_test(test_host_termreq),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_keep_alive_expiry),
		cmocka_unit_test(test_aen_namespace),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
