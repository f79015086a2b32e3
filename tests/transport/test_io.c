/*
 * Queue pair data paths against a well-behaved fake controller: in-capsule
 * writes, R2T writes split at MAXH2CDATA with CPDA padding, multi-PDU reads
 * landing in the caller's buffer, many commands in flight gathered into one
 * socket write, C2HData SUCCESS, digests on, and the pool limits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "transport/harness.h"
#include "tcp/host_qpair.h"

static uint8_t *buf_new(size_t n)
{
	uint8_t *b = malloc(n);

	assert_non_null(b);
	memset(b, 0xee, n);
	return b;
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 31 + seed);
}

static void icd_write(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(4096);
	struct th t;
	struct tcmd tc;

	(void)state;
	fill(buf, 4096, 1);
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, true, 4, 8, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, 0);
	assert_int_equal(memcmp(fake_ctrl_disk(t.fc) + 4 * 512, buf, 4096), 0);
	/* A lower limit (as from IOCCSZ) sends the same write through R2T. */
	xp_qpair_set_icd_max(t.qp, 2048);
	assert_int_equal(th_rw(&t, true, 12, 8, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, 0);
	assert_int_equal(memcmp(fake_ctrl_disk(t.fc) + 12 * 512, buf, 4096), 0);
	th_teardown(&t);
	assert_int_equal(t.st.icd_cmds, 1);
	assert_int_equal(t.st.icd_bytes, 4096);
	assert_int_equal(t.st.r2ts, 1);
	free(buf);
}

/* Writes beyond the in-capsule limit go through R2T; H2CData at most
 * MAXH2CDATA each, padded to CPDA; digests checked by the fake. */
static void r2t_write(struct fake_opts fo, bool digests, uint32_t nblocks, unsigned r2ts,
		      unsigned h2c)
{
	struct xp_qpair_opts qo = th_qopts();
	size_t len = (size_t)nblocks * 512;
	uint8_t *buf = buf_new(len);
	struct th t;
	struct tcmd tc;
	struct xp_qpair_info info;

	fill(buf, len, 7);
	qo.icd_max = 4096;	/* smaller than the write */
	qo.tp.tcp.hdgst = qo.tp.tcp.ddgst = digests;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, true, 100, nblocks, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, 0);
	assert_int_equal(memcmp(fake_ctrl_disk(t.fc) + 100 * 512, buf, len), 0);
	xp_qpair_get_info(t.qp, &info);
	assert_int_equal(info.tp.tcp.r2ts, r2ts);
	th_teardown(&t);
	assert_int_equal(t.st.icd_cmds, 0);
	assert_int_equal(t.st.r2ts, r2ts);
	assert_int_equal(t.st.h2c_pdus, h2c);
	assert_true(t.st.h2c_max_datal <= (fo.maxh2cdata ? fo.maxh2cdata : 131072));
	assert_int_equal(t.st.h2c_bad_pdo, 0);
	assert_int_equal(t.st.hdgst_errors, 0);
	assert_int_equal(t.st.ddgst_errors, 0);
	free(buf);
}

static void r2t_write_split_cpda(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD, .maxh2cdata = 4096, .cpda = 7 };

	(void)state;
	/* 20 KiB in one R2T: five H2CData of 4096, each PDO 32 (CPDA 7). */
	r2t_write(fo, false, 40, 1, 5);
}

static void r2t_write_digests_multi_r2t(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD, .maxh2cdata = 4096, .cpda = 31,
				.r2t_chunk = 8192 };

	(void)state;
	/* 20 KiB in R2Ts of 8 KiB: 3 R2Ts, 2 + 2 + 1 H2CData, 128-byte PDO. */
	r2t_write(fo, true, 40, 3, 5);
}

static void multi_pdu_read(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD, .c2h_chunk = 4096 };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(65536);
	struct th t;
	struct tcmd tc;

	(void)state;
	qo.tp.tcp.hpda = 3;
	qo.tp.tcp.hdgst = qo.tp.tcp.ddgst = true;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, false, 200, 128, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, 0);
	assert_true(th_pattern_ok(buf, 200 * 512, 65536));
	th_teardown(&t);
	assert_int_equal(t.st.c2h_pdus, 16);
	assert_int_equal(t.st.hdgst_errors, 0);
	free(buf);
}

/* A large read in one C2HData: the framer reads it into the buffer itself. */
static void large_read(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD, .c2h_chunk = 1 << 20 };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(1 << 20);
	struct th t;
	struct tcmd tc;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, false, 0, 2048, buf, &tc, 0), 0);
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, 0);
	assert_true(th_pattern_ok(buf, 0, 1 << 20));
	th_teardown(&t);
	free(buf);
}

/* 64 commands in flight; their capsules leave in a single write. */
static void many_in_flight(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct xp_qpair_opts qo = th_qopts();
	enum { N = 64 };
	uint8_t *buf = buf_new(N * 4096);
	struct tcmd tc[N];
	struct xp_stats st;
	struct th t;
	int i;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	for (i = 0; i < N; i++)
		assert_int_equal(th_rw(&t, false, (uint64_t)i * 8, 8, buf + i * 4096, &tc[i], 0),
				 0);
	assert_int_equal(xp_qpair_inflight(t.qp), N);
	for (i = 0; i < N; i++)
		th_wait(&t, &tc[i].done);
	for (i = 0; i < N; i++)
		assert_int_equal(tc[i].status, 0);
	assert_true(th_pattern_ok(buf, 0, N * 4096));
	xp_qpair_get_stats(t.qp, &st);
	assert_int_equal(st.inflight_max, N);
	assert_int_equal(st.cmds_completed, N);
	assert_int_equal(st.cmds_failed, 0);
	assert_int_equal(st.writes, 1);	/* gathered: one uv_write for 64 capsules */
	assert_int_equal(st.inflight, 0);
	th_teardown(&t);
	assert_int_equal(t.st.cmds, N);
	free(buf);
}

/*
 * Commands that completions submit leave after the read that completed
 * them (tcp/host_send.c, tcp_host_tx_after_read), not from the prepare
 * handle at the next loop turn: the controller gets the first new commands
 * while the rest of a batch of responses is still being parsed. 8 reads are
 * answered while the loop does not run; one loop turn then parses all the
 * answers, and the 8 reads their callbacks submit must already have gone
 * out in that turn (from the prepare handle, which runs before the poll,
 * they would leave only a turn later). 33 KB: on any kernel the socket
 * holds them unread.
 */
struct resub {
	struct th *t;
	uint8_t   *buf;
	int        n, first_done, second_done, second_failed;
	bool       all_done;
	struct xp_cmd next;
};

static void resub_second_cb(struct xp_qpair *qp, const struct xp_cpl *cpl, int status, void *arg)
{
	struct resub *r = arg;

	(void)qp;
	(void)cpl;
	if (status != 0)
		r->second_failed++;
	r->all_done = ++r->second_done == r->n;
}

static void resub_first_cb(struct xp_qpair *qp, const struct xp_cpl *cpl, int status, void *arg)
{
	struct resub *r = arg;

	(void)cpl;
	assert_int_equal(status, 0);
	r->first_done++;
	assert_int_equal(xp_submit(qp, &r->next), 0);
}

static size_t socket_queued(struct th *t)
{
	struct tcp_host_qpair *hq = (struct tcp_host_qpair *)(void *)t->qp;
	uv_os_fd_t fd;
	int k = 0;

	if (uv_fileno((uv_handle_t *)&hq->tcp, &fd) != 0 || ioctl(fd, FIONREAD, &k) != 0 || k < 0)
		return 0;
	return (size_t)k;
}

static void resubmit_per_read(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct xp_qpair_opts qo = th_qopts();
	enum { N = 8 };
	uint8_t *buf = buf_new(2 * N * 4096);
	struct xp_cmd c[N];
	struct xp_stats st;
	struct resub r = { 0 };
	struct th t;
	uint64_t writes;
	size_t q = 0;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	r.t = &t;
	r.n = N;
	r.buf = buf;
	for (int i = 0; i < N; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].sqe.opcode = NVMF_NVM_READ;
		c[i].sqe.nsid = nvmf_htole32(1);
		c[i].sqe.cdw10 = nvmf_htole32((uint32_t)i * 8);
		c[i].sqe.cdw12 = nvmf_htole32(8 - 1);
		c[i].buf = buf + (size_t)i * 4096;
		c[i].len = 4096;
		c[i].dir = XP_DIR_C2H;
		c[i].cb = resub_first_cb;
		c[i].arg = &r;
	}
	/* Every first command's callback submits the same second one (the
	 * queue pair copies the command at submission). */
	r.next = c[0];
	r.next.buf = buf + (size_t)N * 4096;
	r.next.cb = resub_second_cb;
	for (int i = 0; i < N; i++)
		assert_int_equal(xp_submit(t.qp, &c[i]), 0);
	/* Sent without a loop turn (which could already read answers); then
	 * the answers pile up in the socket. */
	tcp_host_tx_after_read((struct tcp_host_qpair *)(void *)t.qp);
	xp_qpair_get_stats(t.qp, &st);
	assert_int_equal(st.writes, 1);
	assert_int_equal(r.first_done, 0);
	/* Each answer: C2HData header, 4 KiB, CapsuleResp (no digests). */
	for (int i = 0; i < 10000 && (q = socket_queued(&t)) < (size_t)N * (24 + 4096 + 24); i++)
		usleep(1000);
	assert_int_equal(q, (size_t)N * (24 + 4096 + 24));
	writes = st.writes;
	uv_run(&t.loop, UV_RUN_NOWAIT);
	xp_qpair_get_stats(t.qp, &st);
	assert_int_equal(r.first_done, N);
	assert_true(st.writes - writes >= 1);
	th_wait(&t, &r.all_done);
	assert_int_equal(r.second_done, N);
	assert_int_equal(r.second_failed, 0);
	assert_true(th_pattern_ok(buf, 0, N * 4096));
	assert_true(th_pattern_ok(buf + N * 4096, 0, 4096));
	th_teardown(&t);
	free(buf);
}

/* More capsules than one batch holds: several writes, all delivered. */
static void batch_overflow(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct xp_qpair_opts qo = th_qopts();
	enum { N = 600 };	/* more than TCP_HOST_TX_IOV (512) iovecs */
	uint8_t *buf = buf_new(N * 512);
	struct tcmd *tc = calloc(N, sizeof(*tc));
	struct xp_stats st;
	struct th t;
	int i;

	(void)state;
	assert_non_null(tc);
	qo.qsize = 1024;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	for (i = 0; i < N; i++)
		assert_int_equal(th_rw(&t, false, (uint64_t)i, 1, buf + i * 512, &tc[i], 0), 0);
	for (i = 0; i < N; i++)
		th_wait(&t, &tc[i].done);
	for (i = 0; i < N; i++)
		assert_int_equal(tc[i].status, 0);
	assert_true(th_pattern_ok(buf, 0, N * 512));
	xp_qpair_get_stats(t.qp, &st);
	assert_true(st.writes >= 2);
	assert_true(st.writes < N / 10);	/* still gathered */
	th_teardown(&t);
	assert_int_equal(t.st.cmds, N);
	free(tc);
	free(buf);
}

/* Mixed in-capsule and R2T writes in flight together, then read back. */
static void mixed_writes_in_flight(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD, .maxh2cdata = 8192 };
	struct xp_qpair_opts qo = th_qopts();
	enum { N = 8 };
	uint8_t *wbuf = buf_new(N * 16384), *rbuf = buf_new(N * 16384);
	struct tcmd tc[N];
	struct th t;
	int i;

	(void)state;
	fill(wbuf, N * 16384, 3);
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	for (i = 0; i < N; i++)	/* odd ones fit in the capsule (8 KiB), even ones not */
		assert_int_equal(th_rw(&t, true, (uint64_t)i * 32, i % 2 ? 16 : 32,
				       wbuf + i * 16384, &tc[i], 0), 0);
	for (i = 0; i < N; i++)
		th_wait(&t, &tc[i].done);
	for (i = 0; i < N; i++) {
		assert_int_equal(tc[i].status, 0);
		assert_int_equal(th_rw(&t, false, (uint64_t)i * 32, i % 2 ? 16 : 32,
				       rbuf + i * 16384, &tc[i], 0), 0);
	}
	for (i = 0; i < N; i++) {
		th_wait(&t, &tc[i].done);
		assert_int_equal(tc[i].status, 0);
		assert_int_equal(memcmp(rbuf + i * 16384, wbuf + i * 16384,
					i % 2 ? 8192 : 16384), 0);
	}
	th_teardown(&t);
	assert_int_equal(t.st.icd_cmds, N / 2);
	assert_int_equal(t.st.r2ts, N / 2);
	free(wbuf);
	free(rbuf);
}

/* SUCCESS flag with SQ flow control disabled: no CapsuleResp, SQHD 0xffff. */
static void success_flag_read(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_C2H_SUCCESS, .c2h_chunk = 4096 };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t *buf = buf_new(16384);
	struct th t;
	struct tcmd tc;
	int i;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	xp_qpair_set_sqfc_disable(t.qp, true);
	for (i = 0; i < 2; i++) {
		memset(buf, 0, 16384);
		assert_int_equal(th_rw(&t, false, 64, 32, buf, &tc, 0), 0);
		th_wait(&t, &tc.done);
		assert_int_equal(tc.status, 0);
		assert_int_equal(tc.cpl.sqhd, 0xffff);
		assert_true(th_pattern_ok(buf, 64 * 512, 16384));
	}
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_READY);
	th_teardown(&t);
	assert_int_equal(t.st.triggered, 2);
	free(buf);
}

/* The pool holds qsize - 1 commands; beyond that -EAGAIN, no callback. */
static void pool_limit(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t buf[512];
	struct tcmd tc[8];
	struct xp_cmd bad;
	struct th t;
	int i;

	(void)state;
	qo.qsize = 8;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	for (i = 0; i < 7; i++)
		assert_int_equal(th_rw(&t, false, 0, 1, buf, &tc[i], 0), 0);
	assert_int_equal(th_rw(&t, false, 0, 1, buf, &tc[7], 0), -EAGAIN);
	/* Bad direction/length combinations. */
	memset(&bad, 0, sizeof(bad));
	bad.dir = XP_DIR_C2H;
	assert_int_equal(xp_submit(t.qp, &bad), -EINVAL);
	bad.dir = XP_DIR_NONE;
	bad.len = 4;
	assert_int_equal(xp_submit(t.qp, &bad), -EINVAL);
	for (i = 0; i < 7; i++)
		th_wait(&t, &tc[i].done);
	/* CIDs are distinct. */
	for (i = 1; i < 7; i++)
		assert_int_not_equal(tc[i].cpl.cid, tc[0].cpl.cid);
	/* Room again. */
	assert_int_equal(th_rw(&t, false, 0, 1, buf, &tc[7], 0), 0);
	th_wait(&t, &tc[7].done);
	assert_int_equal(tc[7].status, 0);
	th_teardown(&t);
}

/* NVMe status from the controller comes back positive, CQE intact. */
static void nvme_status(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD, .ns_blocks = 64 };
	struct xp_qpair_opts qo = th_qopts();
	uint8_t buf[4096];
	struct tcmd tc;
	struct th t;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(th_rw(&t, false, 60, 8, buf, &tc, 0), 0);	/* past the end */
	th_wait(&t, &tc.done);
	assert_int_equal(tc.status, 0x4080);	/* LBA Out of Range, DNR */
	assert_int_equal(NVMF_SF_SC(tc.status), 0x80);
	assert_true(NVMF_SF_DNR(tc.status));
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_READY);
	th_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(icd_write),
		cmocka_unit_test(r2t_write_split_cpda),
		cmocka_unit_test(r2t_write_digests_multi_r2t),
		cmocka_unit_test(multi_pdu_read),
		cmocka_unit_test(large_read),
		cmocka_unit_test(many_in_flight),
		cmocka_unit_test(resubmit_per_read),
		cmocka_unit_test(batch_overflow),
		cmocka_unit_test(mixed_writes_in_flight),
		cmocka_unit_test(success_flag_read),
		cmocka_unit_test(pool_limit),
		cmocka_unit_test(nvme_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
