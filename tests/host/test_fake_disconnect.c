/*
 * The host stack against the fake controller (tests/fake), part 4: the
 * caller's loop, the log callback, and nvmf_disconnect() (from callbacks,
 * draining what is in flight, quiet, refusing resubmissions). Part 1 is
 * test_fake.c.
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

/* ---- Caller's loop ------------------------------------------------------------- */

struct loop_ctx {
	struct nvmf_ctrl *c;
	int done;
	int deadlock;
};

static void loop_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct loop_ctx *x = user;
	uint8_t b[512];

	(void)cookie;
	assert_int_equal(cpl->result, 0);
	/* A synchronous call from a callback would deadlock: refused. */
	x->deadlock = nvmf_read(x->c, 1, b, 0, 1, 0);
	x->done++;
}

static void test_caller_loop(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct loop_ctx x = { 0 };
	uv_loop_t loop;
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	assert_int_equal(nvmf_connect(&o, &x.c), 0);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(nvmf_write(x.c, 1, buf, 3, 8, 0), 0);
	assert_true(nvmf_aio_read(x.c, 1, buf, 3, 8, 0,
				  (struct nvmf_callback){ loop_cb, &x, NULL }) > 0);
	while (!x.done)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(x.deadlock, -EDEADLK);
	assert_int_equal(nvmf_disconnect(x.c), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Two controllers on one caller's loop: a callback of either one runs that
 * loop, so a synchronous call on the other (or a connect on that loop)
 * would nest uv_run() and re-enter the receive path under the callback.
 * Refused with -EDEADLK; a synchronous call on a controller of another
 * loop (its own I/O thread) is fine and goes through.
 */
struct loop2_ctx {
	struct nvmf_ctrl *b, *other;
	struct nvmf_opts *ob;
	int read_b, disc_b, connect_b, read_other;
	int done;
};

static void loop2_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct loop2_ctx *x = user;
	struct nvmf_ctrl *c3 = NULL;
	uint8_t b[512];

	(void)cookie;
	assert_int_equal(cpl->result, 0);
	x->read_b = nvmf_read(x->b, 1, b, 0, 1, 0);
	x->disc_b = nvmf_disconnect(x->b);
	x->connect_b = nvmf_connect(x->ob, &c3);
	assert_null(c3);
	x->read_other = nvmf_read(x->other, 1, b, 0, 1, 0);
	x->done++;
}

static void test_caller_loop_shared(void **state)
{
	struct nvmf_opts oa, ob, oc;
	struct fake_ctrl *fa = start_fake(FAKE_GOOD, &oa, 1);
	struct fake_ctrl *fb = start_fake(FAKE_GOOD, &ob, 1);
	struct fake_ctrl *fo = start_fake(FAKE_GOOD, &oc, 1);
	struct loop2_ctx x = { .ob = &ob };
	struct nvmf_ctrl *a;
	uv_loop_t loop;
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	oa.loop = &loop;
	ob.loop = &loop;
	assert_int_equal(nvmf_connect(&oa, &a), 0);
	assert_int_equal(nvmf_connect(&ob, &x.b), 0);
	assert_int_equal(nvmf_connect(&oc, &x.other), 0);
	assert_true(nvmf_aio_read(a, 1, buf, 0, 8, 0,
				  (struct nvmf_callback){ loop2_cb, &x, NULL }) > 0);
	while (!x.done)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(x.read_b, -EDEADLK);
	assert_int_equal(x.disc_b, -EDEADLK);
	assert_int_equal(x.connect_b, -EDEADLK);
	assert_int_equal(x.read_other, 0);
	/* Outside the callbacks all of it works. */
	assert_int_equal(nvmf_read(x.b, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(x.b), 0);
	assert_int_equal(nvmf_disconnect(a), 0);
	assert_int_equal(nvmf_disconnect(x.other), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fa, NULL);
	fake_ctrl_stop(fb, NULL);
	fake_ctrl_stop(fo, NULL);
}

/*
 * The log callback. A libnvmf call in it that fails logs its own error: that
 * used to reach the callback again, recursing until the stack ran out, and
 * the inner error replaced the caller's. On a caller's loop, a synchronous
 * call from the callback ran that loop inside whatever was logging (here the
 * connect of a second controller on the loop, whose state changes are
 * logged from the loop's callbacks): refused with -EDEADLK, as from a
 * completion callback.
 */
struct logcb_ctx {
	struct nvmf_ctrl *a;	/* synchronous reads on it, if set */
	int depth, max_depth, calls;
	int sync_calls, sync_deadlock, sync_other;
};

static void logcb_reenter(void *user, enum nvmf_log_level lvl, const char *msg)
{
	struct logcb_ctx *x = user;
	uint8_t b[512];
	int r;

	(void)lvl;
	(void)msg;
	x->calls++;
	if (++x->depth > x->max_depth)
		x->max_depth = x->depth;
	/* A NULL controller: fails, and logs its error. */
	assert_int_equal(nvmf_read(NULL, 1, b, 0, 1, 0), -EINVAL);
	if (x->a) {
		r = nvmf_read(x->a, 1, b, 0, 1, 0);
		x->sync_calls++;
		if (r == -EDEADLK)
			x->sync_deadlock++;
		else
			x->sync_other++;
	}
	x->depth--;
}

static void test_log_callback_reentry(void **state)
{
	struct nvmf_opts oa, ob;
	struct fake_ctrl *fa = start_fake(FAKE_GOOD, &oa, 1);
	struct fake_ctrl *fb = start_fake(FAKE_GOOD, &ob, 1);
	struct logcb_ctx x = { 0 };
	struct nvmf_ctrl *a, *b;
	char want[512];
	uv_loop_t loop;
	uint8_t buf[512];

	(void)state;
	/* The message a failing call leaves, without a callback. */
	assert_int_equal(nvmf_write(NULL, 1, buf, 0, 1, 0), -EINVAL);
	snprintf(want, sizeof(want), "%s", nvmf_get_error());
	assert_true(want[0] != '\0');
	nvmf_set_log_callback(logcb_reenter, &x);
	assert_int_equal(nvmf_write(NULL, 1, buf, 0, 1, 0), -EINVAL);
	nvmf_set_log_callback(NULL, NULL);
	assert_int_equal(x.calls, 1);
	assert_int_equal(x.max_depth, 1);
	assert_string_equal(nvmf_get_error(), want);
	assert_int_equal(nvmf_get_errno(), EINVAL);

	assert_int_equal(uv_loop_init(&loop), 0);
	oa.loop = &loop;
	ob.loop = &loop;
	assert_int_equal(nvmf_connect(&oa, &a), 0);
	memset(&x, 0, sizeof(x));
	x.a = a;
	nvmf_set_log_callback(logcb_reenter, &x);
	assert_int_equal(nvmf_connect(&ob, &b), 0);
	nvmf_set_log_callback(NULL, NULL);
	assert_int_equal(x.max_depth, 1);
	assert_true(x.sync_calls > 0);
	if (x.sync_other)
		fail_msg("%d of %d synchronous reads from the log callback were not refused",
			 x.sync_other, x.sync_calls);
	assert_int_equal(x.sync_deadlock, x.sync_calls);
	/* Outside the callback they work. */
	assert_int_equal(nvmf_read(a, 1, buf, 0, 1, 0), 0);
	assert_int_equal(nvmf_disconnect(b), 0);
	assert_int_equal(nvmf_disconnect(a), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fa, NULL);
	fake_ctrl_stop(fb, NULL);
}

/*
 * nvmf_disconnect() from a completion callback or an event callback, on the
 * controller's own I/O thread: it would free the loop it runs on and join
 * its own thread. Refused with -EDEADLK before anything is touched, also
 * when the controller has failed; the handle stays usable and is
 * disconnected later from the application's thread.
 */
struct disc_ctx {
	struct nvmf_ctrl *c;	/* __atomic: the callbacks run on the I/O thread */
	int cb_result;		/* nvmf_disconnect() inside the completion callback */
	int ev_result;		/* ... inside the connection-lost event callback */
	int done, events;
};

static void disc_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct disc_ctx *x = user;

	(void)cookie;
	(void)cpl;
	x->cb_result = nvmf_disconnect(__atomic_load_n(&x->c, __ATOMIC_ACQUIRE));
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
}

static void disc_ev(void *user, const struct nvmf_event *ev)
{
	struct disc_ctx *x = user;

	if (ev->type != NVMF_EVENT_CONN_LOST)
		return;
	x->ev_result = nvmf_disconnect(__atomic_load_n(&x->c, __ATOMIC_ACQUIRE));
	__atomic_fetch_add(&x->events, 1, __ATOMIC_ACQ_REL);
}

static void test_disconnect_in_callback(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct disc_ctx x = { 0 };
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(nvmf_connect(&o, &x.c), 0);
	assert_true(nvmf_aio_read(x.c, 1, buf, 0, 8, 0,
				  (struct nvmf_callback){ disc_cb, &x, NULL }) > 0);
	for (int i = 0; i < 10000 && !__atomic_load_n(&x.done, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	assert_true(__atomic_load_n(&x.done, __ATOMIC_ACQUIRE));
	assert_int_equal(x.cb_result, -EDEADLK);
	/* The handle is untouched: it still works, and disconnects cleanly. */
	assert_int_equal(nvmf_read(x.c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(x.c), 0);
	fake_ctrl_stop(fc, NULL);

	/* From the event callback of a failed admin queue (c->failed set): the
	 * controller closed the connections under the host. */
	fc = start_fake(FAKE_GOOD, &o, 0);
	x = (struct disc_ctx){ 0 };
	o.event_cb = disc_ev;
	o.event_user = &x;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	/* Published before the connections close: nothing else orders this
	 * thread's store with the event callback's load. */
	__atomic_store_n(&x.c, c, __ATOMIC_RELEASE);
	fake_ctrl_stop(fc, NULL);	/* closes the admin connection */
	for (int i = 0; i < 10000 && !__atomic_load_n(&x.events, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	assert_int_equal(__atomic_load_n(&x.events, __ATOMIC_ACQUIRE), 1);
	assert_int_equal(x.ev_result, -EDEADLK);
	assert_int_equal(nvmf_disconnect(x.c), 0);
}

/*
 * Reads submitted before nvmf_disconnect() complete before the shutdown:
 * the fake answers each 200 ms late, and one that reached it after CC.SHN
 * would get Command Sequence Error. Before, the shutdown went out at once
 * and the reads were canceled (-ECANCELED) when the queues closed; with a
 * real controller, some failed with that error status (-EIO).
 */
static void test_disconnect_drains(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_SLOW, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t rbuf[3][4096];
	int result[3] = { 1, 1, 1 };

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 3; i++)
		assert_true(nvmf_aio_read(c, 1, rbuf[i], (uint64_t)i * 8, 8, 0,
					  (struct nvmf_callback){ result_cb, &result[i], NULL }) >= 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(result[i], 0);
		assert_int_equal(rbuf[i][0], fake_pattern((uint64_t)i * 4096));
	}
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.triggered, 3);
}

/*
 * No event once nvmf_disconnect() has begun (nvmf_events(3)): the
 * connections dropped during its drain used to send CONN_LOST from inside
 * the call.
 *
 * The drop comes once the drain has begun, whatever the threads' timing:
 * each read's completion submits it again until a submission is refused
 * with -ESHUTDOWN, which says the drain has begun (nothing new is taken
 * then, callbacks' resubmissions included), and only that lets the drop
 * thread go. So reads are in flight when the drain begins, however late the
 * main thread gets there, and the drop never comes before it (a CONN_LOST
 * then would be no late event).
 */
struct quiet_ctx {
	int disconnecting;	/* __atomic: set before nvmf_disconnect() */
	int late_events;	/* __atomic: events after that */
	int drain_seen;		/* __atomic: a resubmission was refused with -ESHUTDOWN */
	int disconnected;	/* __atomic: nvmf_disconnect() has returned */
	int other_refusal;	/* __atomic: a resubmission refused otherwise (its error) */
	struct nvmf_ctrl *c;
	struct fake_ctrl *fc;
	uint8_t rbuf[10][4096];
	int result[10];
};

struct quiet_read {
	struct quiet_ctx *x;
	int i;
};

static void quiet_ev(void *user, const struct nvmf_event *ev)
{
	struct quiet_ctx *x = user;

	(void)ev;
	if (__atomic_load_n(&x->disconnecting, __ATOMIC_ACQUIRE))
		__atomic_fetch_add(&x->late_events, 1, __ATOMIC_ACQ_REL);
}

static int64_t quiet_submit(struct quiet_read *r);

/* On the I/O thread, which nvmf_disconnect() waits for: x->c is valid. */
static void quiet_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct quiet_read *r = user;
	struct quiet_ctx *x = r->x;
	int64_t n;

	(void)cookie;
	if (__atomic_load_n(&x->drain_seen, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&x->result[r->i], cpl->result, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&x->result[r->i], 1, __ATOMIC_RELEASE);
	n = quiet_submit(r);
	if (n >= 0)
		return;
	__atomic_store_n(&x->result[r->i], cpl->result, __ATOMIC_RELEASE);
	if (n == -ESHUTDOWN)
		__atomic_store_n(&x->drain_seen, 1, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&x->other_refusal, (int)n, __ATOMIC_RELEASE);
}

static int64_t quiet_submit(struct quiet_read *r)
{
	return nvmf_aio_read(r->x->c, 1, r->x->rbuf[r->i], (uint64_t)r->i * 8, 8, 0,
			     (struct nvmf_callback){ quiet_done, r, NULL });
}

static void quiet_drop(void *arg)
{
	struct quiet_ctx *x = arg;

	/* Inside the drain, which lasts as long as the reads in flight (200 ms
	 * each, one after the other: 2 s). */
	while (!__atomic_load_n(&x->drain_seen, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&x->disconnected, __ATOMIC_ACQUIRE))
		uv_sleep(1);
	fake_ctrl_drop(x->fc);
}

static void test_disconnect_no_events(void **state)
{
	struct nvmf_opts o;
	static struct quiet_ctx x;
	struct quiet_read rd[10];
	uv_thread_t t;

	(void)state;
	memset(&x, 0, sizeof(x));
	x.fc = start_fake(FAKE_IO_SLOW, &o, 1);
	o.event_cb = quiet_ev;
	o.event_user = &x;
	assert_int_equal(nvmf_connect(&o, &x.c), 0);
	for (int i = 0; i < 10; i++) {
		rd[i] = (struct quiet_read){ &x, i };
		x.result[i] = 1;
		assert_true(quiet_submit(&rd[i]) >= 0);
	}
	__atomic_store_n(&x.disconnecting, 1, __ATOMIC_RELEASE);
	assert_int_equal(uv_thread_create(&t, quiet_drop, &x), 0);
	(void)nvmf_disconnect(x.c);	/* its shutdown may fail: the connections dropped */
	__atomic_store_n(&x.disconnected, 1, __ATOMIC_RELEASE);
	assert_int_equal(uv_thread_join(&t), 0);
	assert_int_equal(__atomic_load_n(&x.other_refusal, __ATOMIC_ACQUIRE), 0);
	assert_true(__atomic_load_n(&x.drain_seen, __ATOMIC_ACQUIRE));	/* dropped while draining */
	assert_int_equal(__atomic_load_n(&x.late_events, __ATOMIC_ACQUIRE), 0);
	for (int i = 0; i < 10; i++)
		assert_true(__atomic_load_n(&x.result[i], __ATOMIC_ACQUIRE) != 1);	/* each completed */
	fake_ctrl_stop(x.fc, NULL);
}

/*
 * The drain in the caller's-loop mode, the loop not run for 5.5 s before
 * nvmf_disconnect(): its deadline counts from the call, not from the
 * loop's last turn (the time libuv had cached). Before, it had passed at
 * once and the reads were canceled (-ECANCELED).
 */
static void test_disconnect_drains_loop(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_SLOW, &o, 1);
	struct nvmf_ctrl *c;
	uv_loop_t loop;
	static uint8_t rbuf[3][4096];
	int result[3] = { 1, 1, 1 };

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	o.io_timeout = 30;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 3; i++)
		assert_true(nvmf_aio_read(c, 1, rbuf[i], (uint64_t)i * 8, 8, 0,
					  (struct nvmf_callback){ result_cb, &result[i], NULL }) >= 0);
	usleep(5500 * 1000);	/* the application busy elsewhere */
	assert_int_equal(nvmf_disconnect(c), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(result[i], 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Completion callbacks that resubmit (an application's I/O loop) while
 * nvmf_disconnect() drains: their submissions are refused (-ESHUTDOWN), so
 * the drain ends with what was submitted before; every callback still
 * runs once. Before, each resubmission was taken and the drain ran its 5 s
 * out ("... still in flight after 5000 ms").
 */
struct resub {
	struct nvmf_ctrl *c;
	uint8_t buf[8][4096];
	unsigned done;		/* __atomic: completions */
	unsigned refused;	/* ... resubmissions refused with -ESHUTDOWN */
	unsigned other;		/* ... refused otherwise */
	unsigned late_msgs;	/* "still in flight" log messages */
};

static struct resub *resub_log;

static void resub_log_cb(void *user, enum nvmf_log_level lvl, const char *msg)
{
	(void)user;
	(void)lvl;
	if (strstr(msg, "still in flight"))
		__atomic_add_fetch(&resub_log->late_msgs, 1, __ATOMIC_RELAXED);
}

static void resub_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl);

static int64_t resub_submit(struct resub *x, unsigned i)
{
	return nvmf_aio_read(x->c, 1, x->buf[i], (uint64_t)i * 8, 8, 0,
			     (struct nvmf_callback){ resub_cb, (void *)(uintptr_t)i, NULL });
}

static void resub_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct resub *x = resub_log;
	int64_t r;

	(void)cookie;
	(void)cpl;
	__atomic_add_fetch(&x->done, 1, __ATOMIC_RELAXED);
	r = resub_submit(x, (unsigned)(uintptr_t)user);
	if (r == -ESHUTDOWN)
		__atomic_add_fetch(&x->refused, 1, __ATOMIC_RELAXED);
	else if (r < 0)
		__atomic_add_fetch(&x->other, 1, __ATOMIC_RELAXED);
}

static void test_disconnect_refuses_resubmits(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	static struct resub x;

	(void)state;
	memset(&x, 0, sizeof(x));
	resub_log = &x;
	assert_int_equal(nvmf_connect(&o, &x.c), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_true(resub_submit(&x, i) >= 0);
	for (int i = 0; i < 1000 && __atomic_load_n(&x.done, __ATOMIC_RELAXED) < 200; i++)
		usleep(10000);
	assert_true(__atomic_load_n(&x.done, __ATOMIC_RELAXED) >= 200);
	nvmf_set_log_callback(resub_log_cb, NULL);
	assert_int_equal(nvmf_disconnect(x.c), 0);
	nvmf_set_log_callback(NULL, NULL);
	/* The 8 loops each ended with one refused resubmission. */
	assert_int_equal(x.refused, 8);
	assert_int_equal(x.other, 0);
	assert_int_equal(x.late_msgs, 0);
	fake_ctrl_stop(fc, NULL);
}

/* The log callback receives the library's debug messages. */
static int log_connected;

static void log_cb(void *user, enum nvmf_log_level lvl, const char *msg)
{
	(void)user;
	if (lvl == NVMF_LOG_DEBUG && strstr(msg, "connected to 127.0.0.1") && strstr(msg, "I/O queues of"))
		log_connected++;
}

static void test_log_callback(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct nvmf_ctrl *c;

	(void)state;
	nvmf_set_log_callback(log_cb, NULL);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	nvmf_set_log_callback(NULL, NULL);
	assert_int_equal(log_connected, 1);
	fake_ctrl_stop(fc, NULL);
}

/*
 * An orderly disconnect is quiet: a controller that drops every connection
 * once it reported shutdown complete (CSTS.SHST 10b after CC.SHN, NVMe Base
 * 2.0, 3.6.2) ends nothing the host still needs, so neither the host nor the
 * transport under it may report an error or a warning, and nvmf_disconnect()
 * succeeds. Checked through the log callback, which sees every message.
 */
struct log_tally {
	int bad;		/* ERROR and WARN messages */
	char first[512];	/* the first of them */
};

static void tally_cb(void *user, enum nvmf_log_level lvl, const char *msg)
{
	struct log_tally *t = user;

	if (lvl > NVMF_LOG_WARN)
		return;
	if (__atomic_fetch_add(&t->bad, 1, __ATOMIC_ACQ_REL) == 0)
		snprintf(t->first, sizeof(t->first), "%s: %s", lvl == NVMF_LOG_ERROR ? "error"
			 : "warning", msg);
}

static void test_close_after_shn_quiet(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_CLOSE_AFTER_SHN, &o, 2);
	struct log_tally t = { 0 };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	nvmf_set_log_callback(tally_cb, &t);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_write(c, 1, buf, 8, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	nvmf_set_log_callback(NULL, NULL);
	fake_ctrl_stop(fc, &st);
	/* The fake did close the connections: else this checks nothing. */
	assert_true(st.triggered >= 1);
	if (t.bad)
		fail_msg("%d error/warning message(s) during an orderly disconnect, first: %s",
			 t.bad, t.first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caller_loop),
		cmocka_unit_test(test_caller_loop_shared),
		cmocka_unit_test(test_log_callback_reentry),
		cmocka_unit_test(test_disconnect_in_callback),
		cmocka_unit_test(test_disconnect_drains),
		cmocka_unit_test(test_disconnect_no_events),
		cmocka_unit_test(test_disconnect_drains_loop),
		cmocka_unit_test(test_disconnect_refuses_resubmits),
		cmocka_unit_test(test_log_callback),
		cmocka_unit_test(test_close_after_shn_quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
