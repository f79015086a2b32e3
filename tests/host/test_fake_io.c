/*
 * The host stack against the fake controller (tests/fake), part 2: I/O and
 * its completions (flags, aio, the text a failed command carries), commands
 * retried or timed out, queues that fail under I/O, Keep Alive, and
 * synchronous calls from several threads. Part 1 is test_fake.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"
#include "fake_test_util.h"

/* Written on the I/O thread; freed is the release/acquire flag that hands
 * the rest to the thread that waits for it. */
struct counts {
	int done, freed, errors;
	uint64_t last_cookie;
};

static void count_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct counts *k = user;

	k->done++;
	if (cpl->result != 0)
		k->errors++;
	k->last_cookie = cookie;
}

static void count_free(void *user)
{
	__atomic_fetch_add(&((struct counts *)user)->freed, 1, __ATOMIC_RELEASE);
}

/*
 * flags of the I/O calls: a bit the library does not know, and DEAC where
 * the command has no such bit (Read, Write), are refused with -EINVAL
 * naming them, in the sync and the aio forms, before anything is sent.
 * They used to be dropped: the command went out without them.
 */
static void test_io_flags(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct counts k = { 0 };
	struct nvmf_callback cb = { count_cb, &k, count_free };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t buf[4096] = { 0 };
	unsigned before;

	(void)state;
	o.kato = 0;	/* no Keep Alive nor CSTS check among the commands counted */
	assert_int_equal(nvmf_connect(&o, &c), 0);
	fake_ctrl_stats(fc, &st);
	before = st.cmds - st.keep_alives;

	assert_int_equal(nvmf_read(c, 1, buf, 0, 1, 0x80), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Read: flags 0x80: unknown bits 0x80"));
	assert_int_equal(nvmf_write(c, 1, buf, 0, 1, NVMF_IO_FUA | 0x100), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Write: flags 0x101: unknown bits 0x100"));
	assert_int_equal(nvmf_write_zeroes(c, 1, 0, 8, 0x80000000u), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(),
			       "Write Zeroes: flags 0x80000000: unknown bits 0x80000000"));
	assert_int_equal(nvmf_read(c, 1, buf, 0, 1, NVMF_IO_DEAC), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(),
			       "Read: flags 0x2: NVMF_IO_DEAC applies to Write Zeroes only"));
	assert_int_equal(nvmf_write(c, 1, buf, 0, 1, NVMF_IO_DEAC | NVMF_IO_FUA), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(),
			       "Write: flags 0x3: NVMF_IO_DEAC applies to Write Zeroes only"));

	/* The aio forms: refused at the call, the free hook run, no completion. */
	assert_int_equal(nvmf_aio_read(c, 1, buf, 0, 1, 0x4, cb), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Read: flags 0x4: unknown bits 0x4"));
	assert_int_equal(nvmf_aio_write(c, 1, buf, 0, 1, NVMF_IO_DEAC, cb), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Write: flags 0x2: NVMF_IO_DEAC"));
	assert_int_equal(nvmf_aio_write_zeroes(c, 1, 0, 8, 0x10, cb), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Write Zeroes: flags 0x10: unknown bits 0x10"));
	assert_int_equal(__atomic_load_n(&k.freed, __ATOMIC_ACQUIRE), 3);
	assert_int_equal(k.done, 0);

	/* Nothing reached the controller (keep-alives aside). */
	fake_ctrl_stats(fc, &st);
	assert_int_equal(st.cmds - st.keep_alives, before);

	/* What each command has still goes. */
	assert_int_equal(nvmf_read(c, 1, buf, 0, 1, NVMF_IO_FUA), 0);
	assert_int_equal(nvmf_write(c, 1, buf, 0, 1, NVMF_IO_FUA), 0);
	assert_int_equal(nvmf_write_zeroes(c, 1, 0, 8, NVMF_IO_DEAC | NVMF_IO_FUA), 0);

	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

static void test_aio_many(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 2);
	struct nvmf_ctrl *c;
	struct counts k = { 0 };
	struct nvmf_callback cb = { count_cb, &k, count_free };
	uint8_t *buf = malloc(64 * 4096);
	int64_t ck, prev = 0;

	(void)state;
	o.queue_size = 16;	/* 64 in flight on 2 x 15: the host holds the rest */
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 64 * 4096; i++)
		buf[i] = (uint8_t)(i ^ (i >> 9));
	for (int i = 0; i < 64; i++) {
		ck = nvmf_aio_write(c, 1, buf + i * 4096, (uint64_t)i * 8, 8, 0, cb);
		assert_true(ck > prev);
		prev = ck;
	}
	while (__atomic_load_n(&k.freed, __ATOMIC_ACQUIRE) < 64)
		uv_sleep(1);
	assert_int_equal(k.done, 64);
	assert_int_equal(k.errors, 0);
	assert_int_equal(nvmf_aio_in_flight(c), 0);
	assert_memory_equal(fake_ctrl_disk(fc), buf, 64 * 4096);

	/* A failing submission: no completion, the free hook exactly once. */
	k = (struct counts){ 0 };
	assert_true(nvmf_aio_read(c, 9, buf, 0, 1, 0, cb) < 0);
	assert_int_equal(k.done, 0);
	assert_int_equal(k.freed, 1);
	assert_true(nvmf_aio_read(NULL, 1, buf, 0, 1, 0, cb) < 0);
	assert_int_equal(k.freed, 2);

	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
	free(buf);
}

/*
 * A failed asynchronous command carries its text to the callback, as the
 * synchronous calls do through nvmf_get_error(): the NVMe status by name,
 * or what the transport found wrong. Only during the callback and only for
 * the pointer it received.
 */
struct errmsg_ctx {
	int done;
	int result;
	char msg[512];
	bool copy_empty;	/* the accessor on a copy of the completion */
};

static void errmsg_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct errmsg_ctx *x = user;
	struct nvmf_completion copy = *cpl;

	(void)cookie;
	x->result = cpl->result;
	snprintf(x->msg, sizeof(x->msg), "%s", nvmf_completion_errmsg(cpl));
	x->copy_empty = nvmf_completion_errmsg(&copy)[0] == '\0';
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
}

static void wait_done(struct errmsg_ctx *x)
{
	for (int i = 0; i < 10000 && !__atomic_load_n(&x->done, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	assert_true(__atomic_load_n(&x->done, __ATOMIC_ACQUIRE));
}

/* The connection-lost event says why as well. */
struct lost_ctx {
	int n;
	int error;
	bool null_msg;		/* an event without its text (checked off the I/O thread) */
	char msg[512];
};

static void lost_cb(void *user, const struct nvmf_event *ev)
{
	struct lost_ctx *l = user;

	if (!ev->msg)
		l->null_msg = true;
	if (ev->type != NVMF_EVENT_CONN_LOST || !ev->msg)
		return;
	l->error = ev->error;
	snprintf(l->msg, sizeof(l->msg), "%s", ev->msg);
	__atomic_fetch_add(&l->n, 1, __ATOMIC_ACQ_REL);
}

static void test_aio_errmsg(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_C2H_OUT_OF_ORDER, &o, 1);
	struct nvmf_completion mine = { .result = -EIO };
	struct errmsg_ctx x = { 0 };
	struct lost_ctx lost = { 0 };
	struct nvmf_ctrl *c;
	uint8_t buf[4096], sqe[64];

	(void)state;
	o.event_cb = lost_cb;
	o.event_user = &lost;
	assert_int_equal(nvmf_connect(&o, &c), 0);

	/* Success: no text. */
	assert_true(nvmf_aio_identify(c, 1, 0, 0, 0, buf,
				      (struct nvmf_callback){ errmsg_cb, &x, NULL }) > 0);
	wait_done(&x);
	assert_int_equal(x.result, 0);
	assert_string_equal(x.msg, "");

	/* An NVMe status: the command and the status by name. */
	x = (struct errmsg_ctx){ 0 };
	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0xc0;
	assert_true(nvmf_aio_admin_passthru(c, sqe, NULL, 0, NVMF_DIR_NONE,
					    (struct nvmf_callback){ errmsg_cb, &x, NULL }) > 0);
	wait_done(&x);
	assert_int_equal(x.result, -EIO);
	assert_string_equal(x.msg,
			    "admin passthrough failed: Invalid Command Opcode (SCT 0h SC 01h)");
	assert_true(x.copy_empty);

	/* A transport error: C2HData from the middle of the transfer. */
	x = (struct errmsg_ctx){ 0 };
	assert_true(nvmf_aio_read(c, 1, buf, 0, 8, 0,
				  (struct nvmf_callback){ errmsg_cb, &x, NULL }) > 0);
	wait_done(&x);
	assert_int_equal(x.result, -EPROTO);
	if (!strstr(x.msg, "Read failed: queue 1: ") || !strstr(x.msg, "DATAO 2048, expected 0") ||
	    !strstr(x.msg, "out of order"))
		fail_msg("completion text: \"%s\"", x.msg);
	assert_true(x.copy_empty);

	/* The queue failed with it: the event carries the same text. */
	for (int i = 0; i < 10000 && !__atomic_load_n(&lost.n, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	assert_int_equal(__atomic_load_n(&lost.n, __ATOMIC_ACQUIRE), 1);
	assert_false(lost.null_msg);
	assert_int_equal(lost.error, -EPROTO);
	if (!strstr(lost.msg, "queue 1: ") || !strstr(lost.msg, "DATAO 2048, expected 0"))
		fail_msg("connection-lost event text: \"%s\"", lost.msg);

	/* Outside a callback, and for a completion the library did not deliver. */
	assert_string_equal(nvmf_completion_errmsg(&mine), "");
	assert_string_equal(nvmf_completion_errmsg(NULL), "");

	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * A queue that is being failed takes no new command: a write submitted from
 * the callback of a command its failure completes goes to the other I/O queue
 * and succeeds. Queue 1's first read is never answered (its timeout fails the
 * queue) or answered with a C2HTermReq; the rotor points at queue 1 again
 * when the callback runs (a write went to queue 2 in between).
 */
struct retry_ctx {
	struct nvmf_ctrl *c;
	uint8_t buf[4096];
	int first;		/* the failed read's result */
	int64_t retry;		/* nvmf_aio_write() inside its callback */
	int retry_result;
	bool retry_done, b_done;
};

static void retry_done_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct retry_ctx *x = user;

	(void)cookie;
	x->retry_result = cpl->result;
	x->retry_done = true;
}

static void retry_first_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct retry_ctx *x = user;

	(void)cookie;
	x->first = cpl->result;
	x->retry = nvmf_aio_write(x->c, 1, x->buf, 16, 8, 0,
				  (struct nvmf_callback){ retry_done_cb, x, NULL });
}

static void b_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct retry_ctx *x = user;

	(void)cookie;
	/* On the other queue: done, or closed by the reset that follows. */
	assert_true(cpl->result == 0 || cpl->result == -ECONNRESET);
	x->b_done = true;
}

static void io_avoids_failing_queue(enum fake_scenario s, int first_err)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(s, &o, 2);
	struct retry_ctx *x = calloc(1, sizeof(*x));
	uv_loop_t loop;

	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	o.io_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &x->c), 0);
	/* Caller's loop: both are dispatched now, the read to queue 1. */
	assert_true(nvmf_aio_read(x->c, 1, x->buf, 0, 8, 0,
				  (struct nvmf_callback){ retry_first_cb, x, NULL }) > 0);
	assert_true(nvmf_aio_write(x->c, 1, x->buf, 8, 8, 0,
				   (struct nvmf_callback){ b_cb, x, NULL }) > 0);
	/* Bounded: the keep-alive timer (2.5 s) wakes the loop at least. */
	for (uint64_t end = uv_hrtime() + 10000000000ull;
	     !(x->retry_done && x->b_done) && x->retry >= 0 && uv_hrtime() < end;)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(x->first, first_err);
	if (x->retry < 0)
		fail_msg("write from the callback refused: %s", nvmf_get_error());
	assert_true(x->retry_done);
	/* Sent to queue 2, not to the failing queue 1 (whose error it would
	 * carry); then ended by the reset that queue 1's loss starts, with
	 * reconnecting off in these tests. */
	assert_int_equal(x->retry_result, -ECONNRESET);
	nvmf_disconnect(x->c);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, NULL);
	free(x);
}

static void test_io_avoids_failing_queue(void **state)
{
	(void)state;
	io_avoids_failing_queue(FAKE_NO_ANSWER, -ETIMEDOUT);
	io_avoids_failing_queue(FAKE_C2H_TERM, -EPROTO);
}

static void test_no_answer(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_NO_ANSWER, &o, 1);
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	o.io_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -ETIMEDOUT);
	assert_non_null(strstr(nvmf_get_error(), "Read"));
	/* A command timeout resets the controller (nvmf.h, OUTAGES); without
	 * reconnect it is dead, says why, and still closes cleanly. */
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -ECONNRESET);
	assert_int_equal(nvmf_identify(c, 1, 0, 0, 0, buf), -ECONNRESET);
	{
		struct nvmf_ctrl_state_info st;

		assert_int_equal(nvmf_ctrl_get_state(c, &st), 0);
		assert_int_equal(st.state, NVMF_CTRL_DEAD);
		if (!strstr(st.msg, "ctrl_loss_tmo 0") || !strstr(st.msg, "timeout"))
			fail_msg("state message: %s", st.msg);
	}
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
}

/*
 * A data digest error fails one command with Transient Transport Error
 * (NVMe/TCP 1.0, 3.6.2.1) and the message says it was the digest, not
 * just the status the transport made up for it; the queue goes on.
 */
static void test_ddgst_error_message(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_DDGST_ERROR, &o, 1);
	struct nvmf_ctrl *c;
	struct nvmf_completion cpl;
	struct fake_stats st;
	uint8_t buf[4096], sqe[64] = { 0x02 };

	(void)state;
	o.data_digest = true;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	/* A passthrough command is the caller's to retry (dispatch.c). */
	nvmf_put_le32(sqe + 4, 1);
	nvmf_put_le64(sqe + 40, 0);
	nvmf_put_le32(sqe + 48, 7);
	assert_int_equal(nvmf_io_passthru(c, sqe, buf, sizeof(buf), NVMF_DIR_FROM_CTRL, &cpl),
			 -EIO);
	assert_int_equal(NVMF_SF_SC(nvmf_get_status()), NVMF_SC_TRANSIENT_TRANSPORT);
	if (strstr(nvmf_get_error(), "Transient Transport Error") == NULL ||
	    strstr(nvmf_get_error(), "data digest error in C2HData") == NULL)
		fail_msg("error '%s' does not name the status and the digest", nvmf_get_error());
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
	/* A read is retried: the status has no DNR. */
	fc = start_fake(FAKE_DDGST_ERROR, &o, 1);
	o.data_digest = true;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(buf[0], fake_pattern(0));
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.triggered, 1);
}

/*
 * A status without DNR: I/O is submitted again, up to 5 times, after the
 * delay CRD picks (CRDT1, which the host enabled with ACRE); data intact.
 */
static void test_io_interrupted(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_INTERRUPTED, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t wbuf[8192], rbuf[8192];
	uint64_t t0;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = (uint8_t)(i * 7 + 1);
	/* 8 KiB: beyond the fake's 4 KiB in-capsule data, by R2T. Three
	 * times interrupted, each CRD 1: 100 ms at least before each retry
	 * (a lower bound, which a loaded machine only lengthens). */
	t0 = uv_hrtime();
	assert_int_equal(nvmf_write(c, 1, wbuf, 64, 16, 0), 0);
	assert_true(uv_hrtime() - t0 >= 300 * 1000000ull);
	assert_int_equal(nvmf_read(c, 1, rbuf, 64, 16, 0), 0);
	assert_memory_equal(rbuf, wbuf, sizeof(wbuf));
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 3);
	assert_true(st.acre);
	assert_int_equal(st.acre_crd, 3);

	/* Never anything else: the 6th answer is the caller's. */
	fc = start_fake(FAKE_IO_INTERRUPTED_ALWAYS, &o, 1);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, rbuf, 0, 8, 0), -EIO);
	assert_int_equal(NVMF_SF_SC(nvmf_get_status()), NVMF_SC_CMD_INTERRUPTED);
	if (strstr(nvmf_get_error(), "Command Interrupted") == NULL ||
	    strstr(nvmf_get_error(), "(attempt 6; retried for a status without DNR)") == NULL)
		fail_msg("error '%s' does not name the status and the attempts", nvmf_get_error());
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 6);
	assert_false(st.acre);	/* no CRDT: not asked for */
}

/*
 * Commands waiting for a free queue entry go on when a retried command
 * gives its entry back: 12 reads on one queue of 4 entries (3 usable),
 * the first 3 interrupted. Before, the waiting ones stalled until an
 * unrelated completion (Keep Alive, KATO/2 later) or their timeout.
 */
static void test_io_interrupted_waitq(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_INTERRUPTED, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t rbuf[12][4096];
	int result[12];

	(void)state;
	o.queue_size = 4;
	o.kato = 60;		/* no Keep Alive completion to unstick it */
	o.io_timeout = 20;	/* the stall failed them with -ETIMEDOUT */
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 12; i++) {
		result[i] = 1;
		assert_true(nvmf_aio_read(c, 1, rbuf[i], (uint64_t)i * 8, 8, 0,
					  (struct nvmf_callback){ result_cb, &result[i], NULL }) >= 0);
	}
	for (int i = 0; i < 12; i++) {
		for (int w = 0; w < 1000 && __atomic_load_n(&result[i], __ATOMIC_ACQUIRE) == 1; w++)
			usleep(10000);
		assert_int_equal(__atomic_load_n(&result[i], __ATOMIC_ACQUIRE), 0);
		assert_int_equal(rbuf[i][0], fake_pattern((uint64_t)i * 4096));
	}
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 3);
}

/*
 * A retry delay is bounded by the command's timeout (CRDT1 60 s here,
 * io_timeout 1 s), and a command waiting for its retry is canceled by
 * nvmf_disconnect() like one in flight.
 */
static void test_io_interrupted_slow(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_INTERRUPTED_SLOW, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t rbuf[4096];
	int result = 1;

	(void)state;
	o.io_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, rbuf, 0, 8, 0), 0);
	assert_int_equal(rbuf[0], fake_pattern(0));
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 2);
	assert_int_equal(st.acre_crd, 2);

	fc = start_fake(FAKE_IO_INTERRUPTED_SLOW, &o, 1);
	o.io_timeout = 30;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_true(nvmf_aio_read(c, 1, rbuf, 0, 8, 0,
				  (struct nvmf_callback){ result_cb, &result, NULL }) >= 0);
	/* Its first answer came: it waits for its retry (30 s). */
	for (int i = 0; i < 1000; i++) {
		fake_ctrl_stats(fc, &st);
		if (st.interrupted >= 1)
			break;
		usleep(10000);
	}
	assert_int_equal(st.interrupted, 1);
	assert_int_equal(__atomic_load_n(&result, __ATOMIC_ACQUIRE), 1);
	nvmf_disconnect(c);
	assert_int_equal(__atomic_load_n(&result, __ATOMIC_ACQUIRE), -ECANCELED);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 1);
}

/* Keep Alive goes out by itself while the host is idle (KATO 1 s: every 500 ms). */
static void test_keep_alive(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	unsigned before;

	(void)state;
	o.kato = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	fake_ctrl_stats(fc, &st);
	before = st.cmds;
	for (int i = 0; i < 1000 && st.cmds < before + 2; i++) {
		uv_sleep(10);
		fake_ctrl_stats(fc, &st);
	}
	assert_true(st.cmds >= before + 2);	/* bounded wait, not a timing check */
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * A command held for lack of a free submission queue entry has a bound: with
 * SQ flow control on and a controller whose SQHD never advances, the I/O
 * queue of 8 entries takes 7 commands (Connect's entry consumed, the head
 * stuck at 1) and never another; the
 * ones held behind them fail with -ETIMEDOUT after io_timeout, not never.
 */
struct held_ctx {
	int done, ok, timedout, other;
	char msg[512];
};

static void held_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct held_ctx *x = user;

	(void)cookie;
	if (cpl->result == 0)
		x->ok++;
	else if (cpl->result == -ETIMEDOUT) {
		if (x->timedout++ == 0)
			snprintf(x->msg, sizeof(x->msg), "%s", nvmf_completion_errmsg(cpl));
	} else
		x->other++;
	__atomic_fetch_add(&x->done, 1, __ATOMIC_ACQ_REL);
}

static void test_held_command_times_out(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_SQHD_STUCK, &o, 1);
	struct held_ctx x = { 0 };
	struct nvmf_ctrl *c;
	uint8_t *buf = malloc(12 * 4096);

	(void)state;
	o.queue_size = 8;
	o.io_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 12; i++)
		assert_true(nvmf_aio_read(c, 1, buf + i * 4096, (uint64_t)i * 8, 8, 0,
					  (struct nvmf_callback){ held_cb, &x, NULL }) > 0);
	for (int i = 0; i < 10000 && __atomic_load_n(&x.done, __ATOMIC_ACQUIRE) < 12; i++)
		uv_sleep(1);
	assert_int_equal(__atomic_load_n(&x.done, __ATOMIC_ACQUIRE), 12);
	assert_int_equal(x.other, 0);
	assert_int_equal(x.ok, 7);
	assert_int_equal(x.timedout, 5);
	if (!strstr(x.msg, "Read timed out") || !strstr(x.msg, "submission queue entry"))
		fail_msg("completion text: \"%s\"", x.msg);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
	free(buf);
}

/*
 * Losing the admin queue ends the association (keep-alive timeout: the
 * controller has given the host up, NVMe Base 2.0, 3.9): the I/O queues stop
 * with it. A command in flight on an I/O queue fails at once, not after
 * io_timeout (30 s here), and so does new I/O. The fake stops answering
 * anything from the first Keep Alive on, as a silent partition would.
 */
struct admin_lost_ctx {
	int admin_lost;
	int done, result;
	char msg[512];
};

static void admin_lost_ev(void *user, const struct nvmf_event *ev)
{
	struct admin_lost_ctx *x = user;

	if (ev->type == NVMF_EVENT_CONN_LOST && strstr(ev->msg, "the admin queue was lost: Keep Alive got no answer") != NULL)
		__atomic_store_n(&x->admin_lost, 1, __ATOMIC_RELEASE);
}

static void admin_lost_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct admin_lost_ctx *x = user;

	(void)cookie;
	x->result = cpl->result;
	snprintf(x->msg, sizeof(x->msg), "%s", nvmf_completion_errmsg(cpl));
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
}

static bool wait_flag(int *flag, unsigned ms)
{
	for (unsigned i = 0; i < ms && !__atomic_load_n(flag, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

static void test_admin_lost_stops_io(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_KA_BLACKHOLE, &o, 1);
	struct admin_lost_ctx x = { 0 }, y = { 0 };
	struct fake_stats st = { 0 };
	struct nvmf_ctrl *c;
	uint8_t buf[4096];
	int64_t r;

	(void)state;
	o.kato = 1;
	o.io_timeout = 30;
	o.event_cb = admin_lost_ev;
	o.event_user = &x;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 5000 && st.triggered == 0; i++) {
		uv_sleep(1);
		fake_ctrl_stats(fc, &st);
	}
	assert_true(st.triggered >= 1);		/* the partition began */
	/* In flight on the I/O queue when the keep-alive timeout hits. */
	assert_true(nvmf_aio_read(c, 1, buf, 0, 8, 0,
				  (struct nvmf_callback){ admin_lost_cb, &x, NULL }) > 0);
	assert_true(wait_flag(&x.admin_lost, 5000));
	assert_true(wait_flag(&x.done, 5000));
	assert_true(x.result < 0);
	if (!strstr(x.msg, "admin queue"))
		fail_msg("completion text: \"%s\"", x.msg);
	/* New I/O fails at once too. */
	r = nvmf_aio_read(c, 1, buf, 0, 8, 0, (struct nvmf_callback){ admin_lost_cb, &y, NULL });
	if (r > 0) {
		assert_true(wait_flag(&y.done, 5000));
		assert_true(y.result < 0);
	}
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Keep Alive is never held behind a burst of admin commands: 40 Get Log Page
 * commands the controller never answers fill the admin queue (31 entries)
 * and wait, yet Keep Alive still reaches the controller within its KATO (1 s),
 * before the commands' own timeout (3 s) ends the burst. An entry of the admin
 * queue is kept for it, as Linux reserves one (NVMF_RESERVED_TAGS).
 */
static void test_keep_alive_not_held(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_LOG_NO_ANSWER, &o, 1);
	struct held_ctx x = { 0 };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t logs[40][512];
	unsigned before;

	(void)state;
	o.kato = 1;
	o.io_timeout = 3;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	fake_ctrl_stats(fc, &st);
	before = st.keep_alives;
	for (int i = 0; i < 40; i++)
		assert_true(nvmf_aio_get_log_page(c, 2, NVMF_NSID_ALL, 0, false, 0, logs[i], 512,
						  (struct nvmf_callback){ held_cb, &x, NULL }) > 0);
	for (int i = 0; i < 2500 && st.keep_alives == before; i++) {
		uv_sleep(1);
		fake_ctrl_stats(fc, &st);
	}
	assert_true(st.keep_alives > before);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
	assert_int_equal(x.done, 40);
}

/* Synchronous calls from several threads at once share the I/O thread. */
struct worker {
	struct nvmf_ctrl *c;
	int id;
	int errors;
	uv_thread_t t;
};

static void worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[4096], rbuf[4096];

	for (int i = 0; i < 50; i++) {
		uint64_t lba = (uint64_t)(w->id * 400 + i * 8);

		memset(buf, w->id * 50 + i, sizeof(buf));
		if (nvmf_write(w->c, 1, buf, lba, 8, 0) < 0 ||
		    nvmf_read(w->c, 1, rbuf, lba, 8, 0) < 0 || memcmp(buf, rbuf, sizeof(buf)))
			w->errors++;
	}
}

static void test_threads(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 2);
	struct worker w[4];
	struct nvmf_ctrl *c;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .c = c, .id = i };
		assert_int_equal(uv_thread_create(&w[i].t, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		uv_thread_join(&w[i].t);
		assert_int_equal(w[i].errors, 0);
	}
	assert_int_equal(nvmf_aio_in_flight(c), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_flags),
		cmocka_unit_test(test_aio_many),
		cmocka_unit_test(test_aio_errmsg),
		cmocka_unit_test(test_io_avoids_failing_queue),
		cmocka_unit_test(test_io_interrupted),
		cmocka_unit_test(test_io_interrupted_slow),
		cmocka_unit_test(test_io_interrupted_waitq),
		cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_ddgst_error_message),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_held_command_times_out),
		cmocka_unit_test(test_admin_lost_stops_io),
		cmocka_unit_test(test_keep_alive_not_held),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
