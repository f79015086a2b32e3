/*
 * A misbehaving controller after a good Initialize Connection: one test per
 * misbehaviour. Each checks the command's status, the error text, the
 * queue pair's state (failed, or still usable where NVMe/TCP 1.0 says so),
 * and what the controller received (H2CTermReq with FES/FEI). The harness
 * checks that everything closes; ASan/UBSan builds check memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport/harness.h"

static uint8_t *buf_new(size_t n)
{
	uint8_t *b = malloc(n);

	assert_non_null(b);
	memset(b, 0xee, n);
	return b;
}

static void expect_msg(struct th *t, const char *what)
{
	if (strstr(xp_qpair_errmsg(t->qp), what) == NULL)
		fail_msg("error '%s' does not mention '%s'", xp_qpair_errmsg(t->qp), what);
}

/*
 * Runs one read of nblocks against a fake playing scenario s and expects
 * it to fail the connection with a protocol error: -EPROTO for the
 * command, on_lost(-EPROTO), FAILED, the message, and (if fes != 0) an
 * H2CTermReq with that FES (and FEI if fei != ~0u) at the controller.
 */
/* What the last expect_fatal_read() saw at the controller. */
static struct fake_stats last_st;

static void expect_fatal_read(enum fake_scenario s, struct xp_qpair_opts qo, uint32_t nblocks,
			      int status, const char *what, uint16_t fes, uint32_t fei)
{
	struct fake_opts fo = { .scenario = s };
	uint8_t *buf = buf_new(nblocks * 512);
	struct th t;
	struct tcmd tc;

	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, false, 8, nblocks, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, status);
	assert_true(t.lost);
	assert_int_equal(t.lost_err, status);
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_FAILED);
	assert_int_equal(xp_qpair_inflight(t.qp), 0);
	expect_msg(&t, what);
	assert_non_null(strstr(t.lost_msg, what));
	/* A failed queue pair refuses work without calling back. */
	{
		struct tcmd tc2;

		assert_int_equal(th_rw(&t, false, 0, 1, buf, &tc2, 0), -ENOTCONN);
		assert_false(tc2.done);
	}
	th_teardown(&t);
	assert_int_equal(t.st.triggered, 1);
	if (fes != 0) {
		assert_true(t.st.term_received);
		assert_int_equal(t.st.term_fes, fes);
		if (fei != ~0u)
			assert_int_equal(t.st.term_fei, fei);
	} else {
		assert_false(t.st.term_received);
	}
	last_st = t.st;
	free(buf);
}

static void hdgst_error(void **state)
{
	struct xp_qpair_opts qo = th_qopts();

	(void)state;
	qo.tp.tcp.hdgst = true;
	expect_fatal_read(FAKE_HDGST_ERROR, qo, 8, -EPROTO, "header digest",
			  NVMF_TCP_FES_HDR_DIGEST_ERR, ~0u);
}

static void unknown_cid(void **state)
{
	(void)state;
	/* FEI: CapsuleResp's CQE.CID, byte 8 + 12 of the PDU. */
	expect_fatal_read(FAKE_UNKNOWN_CID, th_qopts(), 1, -EPROTO,
			  "CapsuleResp for CID 7, which names no outstanding command",
			  NVMF_TCP_FES_INVALID_PDU_HDR, 20);
}

/*
 * The TermReq's data is the offending header as far as it was received and
 * trusted (NVMe/TCP 1.0, 3.6.2.4): the whole 24-byte CapsuleResp when a field
 * inside it was wrong ...
 */
static void term_data_whole_header(void **state)
{
	(void)state;
	expect_fatal_read(FAKE_UNKNOWN_CID, th_qopts(), 1, -EPROTO, "CapsuleResp for CID 7",
			  NVMF_TCP_FES_INVALID_PDU_HDR, 20);
	assert_int_equal(last_st.term_data_len, NVMF_TCP_CAPSULE_RESP_HLEN);
	assert_int_equal(last_st.term_data[0], NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(last_st.term_data[2], NVMF_TCP_CAPSULE_RESP_HLEN);
	assert_int_equal(last_st.term_data[8 + 12], 7);	/* the CQE's CID */
}

/* ... and only the 8-byte CH when the CH itself (here its HLEN of 100) was
 * refused: the wire HLEN is not to be trusted, the rest was never read. */
static void bad_hlen_term_data(void **state)
{
	(void)state;
	/* FEI: CH.HLEN, byte 2. */
	expect_fatal_read(FAKE_BAD_HLEN, th_qopts(), 1, -EPROTO, "HLEN 100",
			  NVMF_TCP_FES_INVALID_PDU_HDR, 2);
	assert_int_equal(last_st.term_data_len, sizeof(struct nvmf_tcp_ch));
	assert_int_equal(last_st.term_data[0], NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(last_st.term_data[2], 100);
}

static void c2h_unknown_cid(void **state)
{
	(void)state;
	/* FEI: C2HData.CCCID, byte 8. */
	expect_fatal_read(FAKE_C2H_UNKNOWN_CID, th_qopts(), 8, -EPROTO,
			  "C2HData for CID 7, which names no outstanding command",
			  NVMF_TCP_FES_INVALID_PDU_HDR, 8);
}

static void c2h_beyond(void **state)
{
	(void)state;
	expect_fatal_read(FAKE_C2H_BEYOND, th_qopts(), 8, -EPROTO,
			  "beyond the command's 4096-byte transfer",
			  NVMF_TCP_FES_DATA_OUT_OF_RANGE, ~0u);
}

static void c2h_overlap(void **state)
{
	(void)state;
	expect_fatal_read(FAKE_C2H_OVERLAP, th_qopts(), 16, -EPROTO,
			  "DATAO 3584, expected 4096", NVMF_TCP_FES_PDU_SEQ_ERR, 12);
}

static void c2h_out_of_order(void **state)
{
	(void)state;
	expect_fatal_read(FAKE_C2H_OUT_OF_ORDER, th_qopts(), 16, -EPROTO,
			  "DATAO 4096, expected 0", NVMF_TCP_FES_PDU_SEQ_ERR, 12);
}

static void success_without_last(void **state)
{
	(void)state;
	expect_fatal_read(FAKE_SUCCESS_NO_LAST, th_qopts(), 16, -EPROTO, "SUCCESS",
			  NVMF_TCP_FES_INVALID_PDU_HDR, 1);
}

/*
 * SUCCESS although Connect left SQ flow control on: NVMe/TCP 1.0, 3.3.2
 * does not allow it, but SPDK's target does it by default and Linux's host
 * accepts it, so the read completes with its data and the queue goes on.
 */
static void success_with_sqfc_on(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_C2H_SUCCESS };
	uint8_t *buf = buf_new(8 * 512);
	struct xp_qpair_opts qo = th_qopts();
	struct th t;
	struct tcmd tc;
	int i;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	for (i = 0; i < 2; i++) {
		memset(buf, 0xee, 8 * 512);
		assert_int_equal(th_rw(&t, false, 8, 8, buf, &tc, 0), 0);
		th_wait(&t, &tc.done);
		assert_int_equal(tc.status, 0);
		assert_true(th_pattern_ok(buf, 8 * 512, 8 * 512));
		assert_int_not_equal(tc.cpl.sqhd, 0xffff);	/* flow control stays on */
	}
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_READY);
	assert_false(t.lost);
	th_teardown(&t);
	assert_int_equal(t.st.triggered, 2);
	assert_false(t.st.term_received);
	free(buf);
}

/*
 * A read is successful only with all of its data, in order, LAST_PDU on
 * the last C2HData (NVMe/TCP 1.0, 3.6.2.9). Anything short is a PDU
 * sequence error: the reader would otherwise get memory nobody wrote.
 */
static void capsule_resp_after_short_data(void **state)
{
	(void)state;
	/* FEI: the CQE's status field, byte 8 + 14. */
	expect_fatal_read(FAKE_C2H_SHORT_RESP, th_qopts(), 8, -EPROTO,
			  "success for CID 0 but its data is incomplete (2048 of its 4096",
			  NVMF_TCP_FES_PDU_SEQ_ERR, 22);
}

static void capsule_resp_without_data(void **state)
{
	(void)state;
	expect_fatal_read(FAKE_RESP_NO_DATA, th_qopts(), 8, -EPROTO,
			  "success for CID 0 but its data is incomplete (0 of its 4096",
			  NVMF_TCP_FES_PDU_SEQ_ERR, 22);
}

static void capsule_resp_without_last_pdu(void **state)
{
	(void)state;
	expect_fatal_read(FAKE_C2H_NO_LAST, th_qopts(), 8, -EPROTO,
			  "success for CID 0 but no C2HData had LAST_PDU",
			  NVMF_TCP_FES_PDU_SEQ_ERR, 22);
}

static void success_before_data_ends(void **state)
{
	(void)state;
	/* FEI: CH.FLAGS, byte 1. */
	expect_fatal_read(FAKE_SUCCESS_SHORT, th_qopts(), 8, -EPROTO,
			  "has LAST_PDU and SUCCESS but its data ends at byte 2048 of the "
			  "command's 4096", NVMF_TCP_FES_INVALID_PDU_HDR, 1);
}

static void r2t_for_read(void **state)
{
	(void)state;
	expect_fatal_read(FAKE_R2T_FOR_READ, th_qopts(), 8, -EPROTO,
			  "R2T for CID 0, a command that reads data",
			  NVMF_TCP_FES_INVALID_PDU_HDR, 8);
}

static void c2h_term_req(void **state)
{
	(void)state;
	/* No TermReq goes back to a controller that sent one (3.6.2.5). */
	expect_fatal_read(FAKE_C2H_TERM, th_qopts(), 8, -EPROTO,
			  "C2HTermReq): FES 0x02 (", 0, 0);
}

/* Like expect_fatal_read, for a write of nblocks with this in-capsule limit. */
static void expect_fatal_write(enum fake_scenario s, uint32_t icd_max, uint32_t nblocks,
			       const char *what, uint16_t fes, uint32_t fei)
{
	struct fake_opts fo = { .scenario = s };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(nblocks * 512);
	struct th t;
	struct tcmd tc;

	qo.icd_max = icd_max;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, true, 0, nblocks, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, -EPROTO);
	assert_true(t.lost);
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_FAILED);
	expect_msg(&t, what);
	th_teardown(&t);
	assert_int_equal(t.st.triggered, 1);
	assert_true(t.st.term_received);
	assert_int_equal(t.st.term_fes, fes);
	assert_int_equal(t.st.term_fei, fei);
	free(buf);
}

/* MAXR2T 0 (one R2T at a time, NVMe/TCP 1.0, 3.6.2.2): a second R2T for the
 * same command before the first is served exceeds it (FES 05h). */
static void r2t_beyond_maxr2t(void **state)
{
	(void)state;
	expect_fatal_write(FAKE_R2T_TWICE, 0, 32,
			   "R2T for CID 0 while its previous R2T is still being served",
			   NVMF_TCP_FES_DATA_LIMIT_EXCEEDED, 8);
}

static void r2t_for_icd_write(void **state)
{
	(void)state;
	expect_fatal_write(FAKE_R2T_FOR_ICD, 8192, 8,
			   "R2T for CID 0, whose data was sent in the capsule",
			   NVMF_TCP_FES_INVALID_PDU_HDR, 8);
}

/* A write reported successful must have sent all its data (else the caller
 * is told data is written that never left): FEI the CQE's status field. */
static void write_success_without_r2t(void **state)
{
	(void)state;
	expect_fatal_write(FAKE_WRITE_RESP_NO_R2T, 0, 8,
			   "success for CID 0 but only 0 of its 4096 data bytes were asked for",
			   NVMF_TCP_FES_PDU_SEQ_ERR, 22);
}

static void write_success_after_half(void **state)
{
	(void)state;
	expect_fatal_write(FAKE_WRITE_RESP_HALF_R2T, 0, 8,
			   "success for CID 0 but only 2048 of its 4096 data bytes were asked for",
			   NVMF_TCP_FES_PDU_SEQ_ERR, 22);
}

static void c2h_for_write(void **state)
{
	(void)state;
	expect_fatal_write(FAKE_C2H_FOR_WRITE, 8192, 8,
			   "C2HData for CID 0, a command that writes data",
			   NVMF_TCP_FES_INVALID_PDU_HDR, 8);
}

/* R2T asking for more than the write has. */
static void r2t_out_of_range(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_R2T_OUT_OF_RANGE };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(16384);
	struct th t;
	struct tcmd tc;

	(void)state;
	qo.icd_max = 0;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, true, 0, 32, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, -EPROTO);
	assert_true(t.lost);
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_FAILED);
	expect_msg(&t, "R2TL 20480 beyond the command's 16384-byte transfer");
	th_teardown(&t);
	assert_true(t.st.term_received);
	assert_int_equal(t.st.term_fes, NVMF_TCP_FES_DATA_OUT_OF_RANGE);
	assert_int_equal(t.st.h2c_pdus, 0);	/* not a byte of data was sent for it */
	free(buf);
}

/* A data digest error fails that command only (3.6.2.1). */
static void ddgst_error_not_fatal(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_DDGST_ERROR };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(8192);
	struct th t;
	struct tcmd tc;

	(void)state;
	qo.tp.tcp.ddgst = true;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, false, 0, 16, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, NVMF_SC_TRANSIENT_TRANSPORT);
	assert_int_equal(NVMF_SF_SCT(tc.status), 0);
	assert_int_equal(NVMF_SF_SC(tc.status), 0x22);
	assert_int_equal(tc.cpl.status, 0x22);
	expect_msg(&t, "data digest error in C2HData for CID 0");
	/* Still usable: the next read works. */
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_READY);
	assert_false(t.lost);
	memset(buf, 0, 8192);
	assert_int_equal(th_rw(&t, false, 16, 16, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, 0);
	assert_true(th_pattern_ok(buf, 16 * 512, 8192));
	th_teardown(&t);
	assert_false(t.st.term_received);
	free(buf);
}

/* The controller closes mid-C2HData: every outstanding command fails at once. */
static void close_mid_transfer(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_CLOSE_MID_TRANSFER };
	struct xp_qpair_opts qo = th_qopts();
	enum { N = 4 };
	uint8_t *buf[N];
	struct tcmd tc[N];
	struct th t;
	int i;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	for (i = 0; i < N; i++) {
		buf[i] = buf_new(65536);
		assert_int_equal(th_rw(&t, false, (uint64_t)i * 128, 128, buf[i], &tc[i], 0), 0);
	}
	th_wait(&t, &t.lost);
	assert_int_equal(t.lost_err, -ECONNRESET);
	for (i = 0; i < N; i++) {
		assert_true(tc[i].done);
		assert_int_equal(tc[i].status, -ECONNRESET);
	}
	assert_int_equal(xp_qpair_inflight(t.qp), 0);
	expect_msg(&t, "controller closed the connection (4 commands outstanding)");
	th_teardown(&t);
	for (i = 0; i < N; i++)
		free(buf[i]);
}

/* A controller that never answers: the command's timeout fires. */
static void no_answer_timeout(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_NO_ANSWER };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(4096);
	struct th t;
	struct tcmd tc;
	struct xp_stats st;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, false, 0, 8, buf, &tc, 150), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, -ETIMEDOUT);
	assert_true(t.lost);
	assert_int_equal(t.lost_err, -ETIMEDOUT);
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_FAILED);
	/* Every command in flight fails with this text: it says first that
	 * the connection closed, then which command timed out. */
	expect_msg(&t, "connection closed: command CID");
	expect_msg(&t, "got no completion within its 150 ms timeout");
	xp_qpair_get_stats(t.qp, &st);
	assert_int_equal(st.timeouts, 1);
	th_teardown(&t);
	free(buf);
}

/* A controller that stops inside a PDU: the timeout's message says where. */
static void stall_timeout(enum fake_scenario sc, const char *where)
{
	struct fake_opts fo = { .scenario = sc };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(4096);
	struct th t;
	struct tcmd tc;

	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, false, 0, 8, buf, &tc, 300), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, -ETIMEDOUT);
	expect_msg(&t, where);
	th_teardown(&t);
	assert_int_equal(t.st.triggered, 1);
	free(buf);
}

static void stall_mid_pdu(void **state)
{
	(void)state;
	stall_timeout(FAKE_STALL_MID_DATA, "got no completion within its 300 ms timeout, the "
		      "peer having stopped inside a C2HData PDU: 2048 of its 4096 data bytes");
	stall_timeout(FAKE_STALL_MID_HEADER, "the peer having stopped inside a PDU: 5 of its "
		      "8 common header bytes");
}

/*
 * The timed-out command's callback already sees the queue pair failed: an
 * owner that resubmits from it (the host dispatches held commands there) must
 * not be handed a queue whose connection is being closed.
 */
struct timeout_probe {
	struct th *t;
	bool done;
	int status;
	enum xp_qpair_state state;	/* seen inside the callback */
	int resubmit;			/* xp_submit() inside the callback */
	struct tcmd again;
};

static void timeout_probe_cb(struct xp_qpair *qp, const struct xp_cpl *cpl, int status, void *arg)
{
	struct timeout_probe *p = arg;
	static uint8_t buf[512];

	(void)cpl;
	p->status = status;
	p->state = xp_qpair_state(qp);
	p->resubmit = th_rw(p->t, false, 0, 1, buf, &p->again, 0);
	p->done = true;
}

static void timeout_callback_sees_failed_queue(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_NO_ANSWER };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(4096);
	struct timeout_probe p = { 0 };
	struct xp_cmd c;
	struct th t;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	p.t = &t;
	memset(&c, 0, sizeof(c));
	c.sqe.opcode = NVMF_NVM_READ;
	c.sqe.nsid = nvmf_htole32(1);
	c.sqe.cdw12 = nvmf_htole32(7);
	c.buf = buf;
	c.len = 4096;
	c.dir = XP_DIR_C2H;
	c.timeout_ms = 100;
	c.cb = timeout_probe_cb;
	c.arg = &p;
	assert_int_equal(xp_submit(t.qp, &c), 0);
	th_wait(&t, &p.done);
	assert_int_equal(p.status, -ETIMEDOUT);
	assert_int_equal(p.state, XP_QP_FAILED);
	assert_int_equal(p.resubmit, -ENOTCONN);
	assert_false(p.again.done);
	th_wait(&t, &t.lost);
	assert_int_equal(t.lost_err, -ETIMEDOUT);
	th_teardown(&t);
	free(buf);
}

/* Default timeout from the options, with other commands failing -ECONNABORTED. */
static void default_timeout_aborts_others(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_NO_ANSWER };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(8192);
	struct th t;
	struct tcmd a, b;

	(void)state;
	qo.default_timeout_ms = 100;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, false, 0, 8, buf, &a, 0), 0);
	/* The second has a long timeout of its own; the fake answers it only
	 * after the first, which it never answers. */
	assert_int_equal(th_rw(&t, false, 0, 8, buf + 4096, &b, 60000), 0);
	th_wait(&t, &t.lost);
	assert_int_equal(a.status, -ETIMEDOUT);
	assert_true(b.done);
	/* b may have been answered before the timeout fired. */
	assert_true(b.status == -ECONNABORTED || b.status == 0);
	th_teardown(&t);
	free(buf);
}

/* The owner closes with commands outstanding: all complete inside the call. */
static void close_completes_all(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_NO_ANSWER };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(4096);
	struct th t;
	struct tcmd tc;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, false, 0, 8, buf, &tc, 0), 0);
	/* Let the capsule go out and the fake swallow it. */
	{
		int i;

		for (i = 0; i < 5; i++)
			uv_run(&t.loop, UV_RUN_NOWAIT);
	}
	xp_qpair_close(t.qp, 0);
	assert_true(tc.done);
	assert_int_equal(tc.status, -ECANCELED);
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_CLOSING);
	th_wait(&t, &t.closed);
	t.qp = NULL;
	th_teardown(&t);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hdgst_error),
		cmocka_unit_test(ddgst_error_not_fatal),
		cmocka_unit_test(unknown_cid),
		cmocka_unit_test(term_data_whole_header),
		cmocka_unit_test(bad_hlen_term_data),
		cmocka_unit_test(c2h_unknown_cid),
		cmocka_unit_test(c2h_beyond),
		cmocka_unit_test(c2h_overlap),
		cmocka_unit_test(c2h_out_of_order),
		cmocka_unit_test(success_without_last),
		cmocka_unit_test(success_with_sqfc_on),
		cmocka_unit_test(capsule_resp_after_short_data),
		cmocka_unit_test(capsule_resp_without_data),
		cmocka_unit_test(capsule_resp_without_last_pdu),
		cmocka_unit_test(success_before_data_ends),
		cmocka_unit_test(r2t_for_read),
		cmocka_unit_test(r2t_out_of_range),
		cmocka_unit_test(r2t_beyond_maxr2t),
		cmocka_unit_test(r2t_for_icd_write),
		cmocka_unit_test(c2h_for_write),
		cmocka_unit_test(write_success_without_r2t),
		cmocka_unit_test(write_success_after_half),
		cmocka_unit_test(c2h_term_req),
		cmocka_unit_test(close_mid_transfer),
		cmocka_unit_test(stall_mid_pdu),
		cmocka_unit_test(no_answer_timeout),
		cmocka_unit_test(timeout_callback_sees_failed_queue),
		cmocka_unit_test(default_timeout_aborts_others),
		cmocka_unit_test(close_completes_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
