/*
 * nvmf-target with non-default transport settings: a controller PDU data
 * alignment (CPDA) the host must honour, a small connection limit, short
 * ICReq/Connect deadlines, a 64 KiB buffer budget (its refusals' Command
 * Retry Delay) and a 1 s R2T data deadline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/endian.h>

#include "th.h"

#define MAX_CONNS 6

/* F serves every test but test_setup_deadlines, whose own target (D) has the
 * short ICReq/Connect deadline: on F a legitimate connection must not be
 * closed for a machine that stalls a moment between its steps. */
static struct tf F, D;

static void tune(struct tf *f, void *arg)
{
	f->lopts.tp.tcp.cpda = 7;		/* 32-byte alignment */
	f->lopts.max_conns = MAX_CONNS;
	f->lopts.connect_timeout_ms = *(const uint32_t *)arg;
	f->t.opts.c2h_success = false;		/* --no-c2h-success */
	f->t.opts.max_data_bytes = 64 * 1024;
	f->lopts.data_timeout_ms = 3000;
}

static int setup(void **state)
{
	static const uint32_t generous = 60000;

	tf_start(&F, 9, tune, (void *)&generous);
	return 0;
}

static int teardown(void **state)
{
	tf_stop(&F);
	return 0;
}

static int setup_short(void **state)
{
	static const uint32_t short_ms = 1000;

	tf_start(&D, 9, tune, (void *)&short_ms);
	return 0;
}

static int teardown_short(void **state)
{
	tf_stop(&D);
	return 0;
}

static void test_cpda(void **state)
{
	struct th a, q;
	struct th_cqe cqe;
	uint8_t w[8192], r[8192], b[TCP_PDU_HDR_BUF], sqe[64];
	size_t n;

	/* ICResp announces CPDA 7; the test host then pads in-capsule and
	 * H2CData to 32 bytes (pdu.c builders), and both are accepted. */
	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(a.p.tx_pda, 7);
	assert_int_equal(th_io_up(&q, F.port, &a, 1, 0), 0);
	for (int i = 0; i < 8192; i++)
		w[i] = (uint8_t)(i ^ 0x5A);
	assert_int_equal(th_write(&q, 1, 0, 16, w, 8192, true, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_write(&q, 1, 16, 16, w, 8192, false, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_read(&q, 1, 0, 16, r, 8192, &cqe), 0);
	assert_memory_equal(w, r, 8192);
	assert_int_equal(th_read(&q, 1, 16, 16, r, 8192, &cqe), 0);
	assert_memory_equal(w, r, 8192);
	/* In-capsule data at PDO 72, not a multiple of 32: fatal. */
	th_sqe(sqe, NVMF_NVM_WRITE, 1);
	sqe[1] = 0x40;
	nvmf_put_le32(sqe + 32, 512);
	sqe[39] = NVMF_SGL_ID_ICD;
	memset(b, 0, sizeof(b));
	b[0] = NVMF_TCP_CAPSULE_CMD;
	b[2] = NVMF_TCP_CAPSULE_CMD_HLEN;
	b[3] = NVMF_TCP_CAPSULE_CMD_HLEN;
	nvmf_put_le32(b + 4, NVMF_TCP_CAPSULE_CMD_HLEN + 512);
	memcpy(b + 8, sqe, 64);
	n = NVMF_TCP_CAPSULE_CMD_HLEN;
	assert_int_equal(th_send(&q, b, n), 0);
	assert_int_equal(th_send(&q, w, 512), 0);
	assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_C2H_TERM_REQ);
	assert_int_equal(nvmf_le16toh(q.hdr.term.fes), NVMF_TCP_FES_INVALID_PDU_HDR);
	assert_int_equal(nvmf_le16toh(q.hdr.term.feil), 3);	/* PDO */
	th_close(&q);
	th_close(&a);
}

static void test_no_success_flag(void **state)
{
	struct th a, q;
	struct th_cqe cqe;
	uint8_t r[512];

	/* The host disables SQ flow control, but the target was told never to
	 * use SUCCESS: every read ends with a CapsuleResp. */
	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_io_up(&q, F.port, &a, 1, NVMF_CONNECT_CATTR_DISABLE_SQFC), 0);
	assert_int_equal(th_read(&q, 1, 0, 1, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_false(q.saw_success_flag);
	assert_int_equal(cqe.sqhd, 0xFFFF);
	th_close(&q);
	th_close(&a);
}

static void send_write(struct th *q, uint16_t cid, uint32_t len)
{
	uint8_t sqe[64], b[TCP_PDU_HDR_BUF];
	size_t n;

	th_sqe(sqe, NVMF_NVM_WRITE, 1);
	sqe[1] = 0x40;
	nvmf_put_le16(sqe + 2, cid);
	nvmf_put_le32(sqe + 48, len / 512 - 1);
	nvmf_put_le32(sqe + 32, len);
	sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
	n = tcp_build_capsule_cmd(b, &q->p, sqe, 0);
	assert_int_equal(th_send(q, b, n), 0);
}

static void test_buffer_budget(void **state)
{
	struct th a, q;
	struct th_cqe cqe;
	uint8_t *w = calloc(1, 49152), b[TCP_PDU_HDR_BUF];
	uint16_t ttag;
	size_t n;

	/* 64 KiB of buffers for the whole target: a 48 KiB write waiting for
	 * its data holds them, a second one is refused with the retryable
	 * Command Interrupted; once the first completes, it goes through. */
	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_io_up(&q, F.port, &a, 1, 0), 0);
	send_write(&q, 1, 49152);
	assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_R2T);
	ttag = nvmf_le16toh(q.hdr.r2t.ttag);
	send_write(&q, 2, 49152);
	assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(q.hdr.rsp.cqe + 12), 2);
	assert_int_equal((nvmf_get_le16(q.hdr.rsp.cqe + 14) >> 1) & 0x7FF, NVMF_SC_CMD_INTERRUPTED);
	assert_int_equal(nvmf_get_le16(q.hdr.rsp.cqe + 14) & 0x8000, 0);	/* no DNR */
	n = tcp_build_h2c_data(b, &q.p, 1, ttag, 0, 49152, true);
	assert_int_equal(th_send(&q, b, n), 0);
	assert_int_equal(th_send(&q, w, 49152), 0);
	assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(q.hdr.rsp.cqe + 12), 1);
	assert_int_equal((nvmf_get_le16(q.hdr.rsp.cqe + 14) >> 1) & 0x7FF, 0);
	assert_int_equal(th_write(&q, 1, 0, 96, w, 49152, false, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_close(&q);
	th_close(&a);
	free(w);
}

/* The response to cid: Command Interrupted, no DNR; its CRD. */
static unsigned expect_interrupted(struct th *q, uint16_t cid)
{
	uint16_t sf;

	assert_int_equal(th_recv_pdu(q), 0);
	assert_int_equal(q->hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(q->hdr.rsp.cqe + 12), cid);
	sf = nvmf_get_le16(q->hdr.rsp.cqe + 14);
	assert_int_equal((sf >> 1) & 0x7FF, NVMF_SC_CMD_INTERRUPTED);
	assert_int_equal(sf & 0x8000, 0);	/* no DNR */
	return (sf >> 12) & 3;
}

static void test_budget_crd(void **state)
{
	struct th a, q, b, bq;
	struct th_cqe cqe;
	uint8_t *w = calloc(1, 49152), hb[NVMF_HOST_BEHAVIOR_LEN], r[512], b2[TCP_PDU_HDR_BUF];
	uint16_t ttag;
	size_t n;

	/* A 48 KiB write waiting for its data holds the budget. */
	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_io_up(&q, F.port, &a, 1, 0), 0);
	assert_int_equal(th_admin_up(&b, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_io_up(&bq, F.port, &b, 1, 0), 0);
	send_write(&q, 1, 49152);
	assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_R2T);
	ttag = nvmf_le16toh(q.hdr.r2t.ttag);
	/* Before the host enabled retry delays the refusal's CRD is 0 (the
	 * field is reserved then, Base 2.0, 4.6.1). */
	send_write(&q, 2, 49152);
	assert_int_equal(expect_interrupted(&q, 2), 0);
	/* ACRE set (admin commands have their reserve beyond the budget):
	 * CRD 1, wait CRDT1. */
	memset(hb, 0, sizeof(hb));
	hb[0] = NVMF_HOST_BEHAVIOR_ACRE;
	assert_int_equal(th_set_host_behavior(&a, hb, sizeof(hb), &cqe), 0);
	assert_int_equal(cqe.status, 0);
	send_write(&q, 3, 49152);
	assert_int_equal(expect_interrupted(&q, 3), 1);
	assert_int_equal(th_read(&q, 1, 0, 96, w, 49152, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CMD_INTERRUPTED);
	assert_int_equal(cqe.crd, 1);
	assert_false(cqe.dnr);
	/* The other controller did not set it: CRD 0 there. */
	assert_int_equal(th_read(&bq, 1, 0, 96, w, 49152, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CMD_INTERRUPTED);
	assert_int_equal(cqe.crd, 0);
	/* ACRE cleared: 0 again. */
	hb[0] = 0;
	assert_int_equal(th_set_host_behavior(&a, hb, sizeof(hb), &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_read(&q, 1, 0, 96, w, 49152, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CMD_INTERRUPTED);
	assert_int_equal(cqe.crd, 0);
	/* The data comes, the budget is free: successes carry no CRD. */
	n = tcp_build_h2c_data(b2, &q.p, 1, ttag, 0, 49152, true);
	assert_int_equal(th_send(&q, b2, n), 0);
	assert_int_equal(th_send(&q, w, 49152), 0);
	assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(q.hdr.rsp.cqe + 12), 1);
	assert_int_equal(nvmf_get_le16(q.hdr.rsp.cqe + 14) >> 1, 0);
	assert_int_equal(th_read(&bq, 1, 0, 1, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(cqe.crd, 0);
	th_close(&bq);
	th_close(&b);
	th_close(&q);
	th_close(&a);
	free(w);
}

static void test_budget_hog(void **state)
{
	struct th a, q, b, bq;
	struct th_cqe cqe;
	uint8_t id[4096], r[512];

	/* One host holds the whole 64 KiB budget: a write whose data it
	 * never sends. */
	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_io_up(&q, F.port, &a, 1, 0), 0);
	send_write(&q, 1, 65536);
	assert_int_equal(th_recv_pdu(&q), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_R2T);
	/* Another host still connects (a Connect is never refused for the
	 * budget) and identifies (admin commands have a reserve beyond it);
	 * its I/O is refused, retryably. */
	assert_int_equal(th_admin_up(&b, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_identify(&b, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_io_up(&bq, F.port, &b, 1, 0), 0);
	assert_int_equal(th_read(&bq, 1, 0, 1, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CMD_INTERRUPTED);
	assert_false(cqe.dnr);
	/* The data does not come within data_timeout_ms (3 s here): the
	 * hog's connection is closed, its buffer given back. */
	assert_true(th_wait_closed(&q, TH_TIMEOUT_MS));
	th_close(&q);
	assert_int_equal(th_read(&bq, 1, 0, 1, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_close(&bq);
	th_close(&b);
	th_close(&a);
}

/* A capsule of opcode opc (7Fh: fctype fct) asking for len bytes by R2T. */
static void send_sgl_cmd(struct th *q, uint8_t opc, uint8_t fct, uint16_t cid, uint32_t len)
{
	uint8_t sqe[64], b[TCP_PDU_HDR_BUF];
	size_t n;

	th_sqe(sqe, opc, opc == NVMF_ADM_FABRICS ? 0 : 1);
	if (opc == NVMF_ADM_FABRICS)
		sqe[4] = fct;
	else
		nvmf_put_le32(sqe + 48, len / 512 - 1);
	sqe[1] = 0x40;
	nvmf_put_le16(sqe + 2, cid);
	nvmf_put_le32(sqe + 32, len);
	sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
	n = tcp_build_capsule_cmd(b, &q->p, sqe, 0);
	assert_int_equal(th_send(q, b, n), 0);
}

static void expect_seq_error(struct th *q, uint16_t cid)
{
	/* The answer, at once: no R2T, no buffer held. */
	assert_int_equal(th_recv_pdu(q), 0);
	assert_int_equal(q->hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(q->hdr.rsp.cqe + 12), cid);
	assert_int_equal((nvmf_get_le16(q->hdr.rsp.cqe + 14) >> 1) & 0x7FF, NVMF_SC_CMD_SEQ_ERROR);
	assert_int_not_equal(nvmf_get_le16(q->hdr.rsp.cqe + 14) & 0x8000, 0);	/* DNR */
}

static void test_budget_before_connect(void **state)
{
	struct th a, q, h;
	struct th_cqe cqe;
	uint8_t r[512];

	/* A Connect on a queue already connected, or a write before its
	 * queue's Connect, would each hold 64 KiB, the whole budget: both
	 * are refused before their data is asked for. */
	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_io_up(&q, F.port, &a, 1, 0), 0);
	send_sgl_cmd(&q, NVMF_ADM_FABRICS, NVMF_FCTYPE_CONNECT, 1, 65536);
	expect_seq_error(&q, 1);
	send_sgl_cmd(&a, NVMF_ADM_FABRICS, NVMF_FCTYPE_CONNECT, 2, 65536);
	expect_seq_error(&a, 2);
	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	send_sgl_cmd(&h, NVMF_NVM_WRITE, 0, 3, 65536);
	expect_seq_error(&h, 3);
	/* None of them holds a byte of it. */
	assert_int_equal(th_read(&q, 1, 0, 1, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_close(&h);
	th_close(&q);
	th_close(&a);
}

static void test_connection_limit(void **state)
{
	struct th h[MAX_CONNS + 1];

	/* MAX_CONNS connections are served; one more is closed at once. */
	for (int i = 0; i < MAX_CONNS; i++) {
		assert_int_equal(th_open(&h[i], F.port), 0);
		assert_int_equal(th_icreq(&h[i], 0, false, false), 0);
	}
	assert_int_equal(th_open(&h[MAX_CONNS], F.port), 0);
	assert_true(th_wait_closed(&h[MAX_CONNS], TH_TIMEOUT_MS));
	th_close(&h[MAX_CONNS]);
	for (int i = 0; i < MAX_CONNS; i++)
		th_close(&h[i]);
	/* Slots free again once those are gone (closing is asynchronous:
	 * retry briefly). */
	for (int tries = 0; tries < 50; tries++) {
		struct th x;
		bool ok;

		assert_int_equal(th_open(&x, F.port), 0);
		ok = th_icreq(&x, 0, false, false) == 0;
		th_close(&x);
		if (ok)
			return;
		usleep(100000);
	}
	fail_msg("connections refused after the others closed");
}

static void test_setup_deadlines(void **state)
{
	struct th h;

	/* D: a 1 s deadline. Silent after connecting: closed for want of an ICReq. */
	assert_int_equal(th_open(&h, D.port), 0);
	assert_true(th_wait_closed(&h, TH_TIMEOUT_MS));
	th_close(&h);
	/* ICReq but no Connect: closed too. */
	assert_int_equal(th_open(&h, D.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	assert_true(th_wait_closed(&h, TH_TIMEOUT_MS));
	th_close(&h);
	/* Connected in time: stays, well past the deadline. */
	assert_int_equal(th_admin_up(&h, D.port, TH_SUBNQN, 0), 0);
	assert_false(th_wait_closed(&h, 1000));
	th_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpda),
		cmocka_unit_test(test_no_success_flag),
		cmocka_unit_test(test_buffer_budget),
		cmocka_unit_test(test_connection_limit),
		cmocka_unit_test_setup_teardown(test_setup_deadlines, setup_short, teardown_short),
		cmocka_unit_test(test_budget_hog),
		cmocka_unit_test(test_budget_crd),
		cmocka_unit_test(test_budget_before_connect),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
