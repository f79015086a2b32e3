/*
 * Outages against the fake controller (nvmf.h, OUTAGES): I/O in flight
 * held and replayed, admin commands not replayed, the namespace and
 * subsystem identity checks after a reconnect, a Connect refused with DNR,
 * ctrl_loss_tmo giving up, fast_io_fail_tmo, the replay limit, and
 * nvmf_reconnect() reviving a dead controller. The events and
 * nvmf_ctrl_get_state() are checked at each step.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"

#define WAIT_MS 15000

/* ---- Events, in order ------------------------------------------------------------------ */

struct evlog {
	uv_mutex_t mu;
	int n;
	enum nvmf_event_type type[64];
	unsigned attempt[64], max[64];
	char msg[64][256];
	uint32_t nsid0[64];
};

static void ev_cb(void *user, const struct nvmf_event *ev)
{
	struct evlog *l = user;

	uv_mutex_lock(&l->mu);
	if (l->n < 64) {
		l->type[l->n] = ev->type;
		l->attempt[l->n] = ev->attempt;
		l->max[l->n] = ev->max_attempts;
		l->nsid0[l->n] = ev->nr_nsids ? ev->nsids[0] : 0;
		snprintf(l->msg[l->n], sizeof(l->msg[0]), "%s", ev->msg);
		l->n++;
	}
	uv_mutex_unlock(&l->mu);
}

/* Index of the first event of type at or after from, or -1. */
static int ev_find(struct evlog *l, int from, enum nvmf_event_type type)
{
	int r = -1;

	uv_mutex_lock(&l->mu);
	for (int i = from; i < l->n && r < 0; i++)
		if (l->type[i] == type)
			r = i;
	uv_mutex_unlock(&l->mu);
	return r;
}

static int ev_wait(struct evlog *l, int from, enum nvmf_event_type type)
{
	int i;

	for (int t = 0; t < WAIT_MS && (i = ev_find(l, from, type)) < 0; t++)
		uv_sleep(1);
	i = ev_find(l, from, type);
	if (i < 0)
		fail_msg("no event %d after event %d in %d ms", type, from, WAIT_MS);
	return i;
}

/* A fake controller started with fo, and o set up to ride out its outages. */
static struct fake_ctrl *fake_with(const struct fake_opts *fo, struct nvmf_opts *o,
				  struct evlog *l)
{
	struct fake_ctrl *fc;

	assert_int_equal(fake_ctrl_start(fo, &fc), 0);
	if (!o)
		return fc;
	fake_host_opts(fc, o);
	o->nr_io_queues = 2;
	o->ctrl_loss_tmo = -1;
	o->reconnect_delay = 1;
	o->event_cb = ev_cb;
	o->event_user = l;
	memset(l, 0, sizeof(*l));
	uv_mutex_init(&l->mu);
	return fc;
}

static struct fake_ctrl *fake(enum fake_scenario s, uint16_t port, struct nvmf_opts *o,
			      struct evlog *l)
{
	/* restartable: tests start a fake again on the port of a stopped one
	 * (test_gave_up_then_revived, test_fast_io_fail). */
	struct fake_opts fo = { .scenario = s, .port = port, .restartable = true };

	return fake_with(&fo, o, l);
}

static struct nvmf_ctrl_state_info state_of(struct nvmf_ctrl *c)
{
	struct nvmf_ctrl_state_info st;

	assert_int_equal(nvmf_ctrl_get_state(c, &st), 0);
	return st;
}

static void wait_state(struct nvmf_ctrl *c, enum nvmf_ctrl_state s)
{
	for (int t = 0; t < WAIT_MS && state_of(c).state != s; t++)
		uv_sleep(1);
	if (state_of(c).state != s)
		fail_msg("state %s, expected %s", nvmf_ctrl_state_str(state_of(c).state),
			 nvmf_ctrl_state_str(s));
}

/* ---- Completions ---------------------------------------------------------------------- */

struct op {
	int done;
	int result;
	char msg[256];
};

static void op_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct op *x = user;

	(void)cookie;
	x->result = cpl->result;
	snprintf(x->msg, sizeof(x->msg), "%s", nvmf_completion_errmsg(cpl));
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
}

static struct nvmf_callback cb_of(struct op *x)
{
	return (struct nvmf_callback){ op_cb, x, NULL };
}

static bool op_wait(struct op *x)
{
	for (int t = 0; t < WAIT_MS && !__atomic_load_n(&x->done, __ATOMIC_ACQUIRE); t++)
		uv_sleep(1);
	return __atomic_load_n(&x->done, __ATOMIC_ACQUIRE) != 0;
}

static bool all_done(const struct op *x, int n)
{
	for (int i = 0; i < n; i++)
		if (!x[i].done)
			return false;
	return true;
}

/* ---- Tests ------------------------------------------------------------------------------ */

#define NW 24

/*
 * Writes in flight when the controller is reset are held and replayed; a new
 * read submitted during the outage waits too and sees them; an admin command
 * in flight fails (-ECONNRESET), one submitted during the outage is refused.
 * The caller's loop makes "in flight" exact: everything is dispatched to the
 * queue pairs before nvmf_reconnect() closes them.
 */
static void test_replay_in_flight(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_GOOD, 0, &o, &l);
	struct fake_stats fs;
	struct nvmf_ctrl *c;
	struct op w[NW] = { 0 }, id = { 0 }, rd = { 0 };
	static uint8_t wbuf[NW][4096], rbuf[NW * 4096], idbuf[4096];
	struct nvmf_ctrl_state_info st;
	uv_loop_t loop;
	int i, lost, rc, back;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (i = 0; i < NW; i++) {
		memset(wbuf[i], 0xa0 + i, sizeof(wbuf[i]));
		assert_true(nvmf_aio_write(c, 1, wbuf[i], (uint64_t)i * 8, 8, 0, cb_of(&w[i])) > 0);
	}
	assert_true(nvmf_aio_identify(c, NVMF_CNS_CTRL, 0, 0, 0, idbuf, cb_of(&id)) > 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	st = state_of(c);
	assert_int_equal(st.state, NVMF_CTRL_RESETTING);
	/* Refused while not LIVE: admin commands are never held. */
	assert_int_equal(nvmf_aio_identify(c, NVMF_CNS_CTRL, 0, 0, 0, idbuf,
					   (struct nvmf_callback){ 0 }), -ECONNRESET);
	assert_non_null(strstr(nvmf_get_error(), "admin and passthrough commands are not held"));
	/* Held too. (Resubmitted after the writes, but on any queue: like any
	 * commands in flight together, they may complete in any order.) */
	assert_true(nvmf_aio_read(c, 1, rbuf, 0, NW * 8, 0, cb_of(&rd)) > 0);
	for (uint64_t end = uv_hrtime() + WAIT_MS * 1000000ull;
	     !(rd.done && all_done(w, NW)) && uv_hrtime() < end;)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(rd.done);
	assert_int_equal(rd.result, 0);
	for (i = 0; i < NW; i++) {
		assert_true(w[i].done);
		assert_int_equal(w[i].result, 0);
	}
	/* Every acknowledged write is there. */
	assert_int_equal(nvmf_read(c, 1, rbuf, 0, NW * 8, 0), 0);
	for (i = 0; i < NW; i++)
		assert_memory_equal(rbuf + i * 4096, wbuf[i], 4096);
	assert_true(id.done);
	assert_int_equal(id.result, -ECONNRESET);
	st = state_of(c);
	assert_int_equal(st.state, NVMF_CTRL_LIVE);
	assert_int_equal(st.outages, 1);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.held, 0);
	lost = ev_find(&l, 0, NVMF_EVENT_CONN_LOST);
	rc = ev_find(&l, 0, NVMF_EVENT_RECONNECTING);
	back = ev_find(&l, 0, NVMF_EVENT_RECONNECTED);
	assert_true(lost >= 0 && rc > lost && back > rc);
	assert_int_equal(l.attempt[rc], 1);
	assert_int_equal(l.max[rc], 0);		/* ctrl_loss_tmo -1: no limit */
	assert_non_null(strstr(l.msg[lost], "reconnect requested"));
	assert_int_equal(nvmf_disconnect(c), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, &fs);
	assert_int_equal(fs.admin_connects, 2);
}

/*
 * After the reconnect the namespace reports another NGUID: it is not used.
 * A read held through the outage fails (-ENODEV), new I/O is refused
 * (-EOPNOTSUPP), and NS_CHANGED names it.
 */
static void test_ns_identity_changed(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_NS_IDENTITY_CHANGES, 0, &o, &l);
	struct nvmf_ctrl *c;
	struct nvmf_ns_info ni;
	struct op rd = { 0 };
	static uint8_t buf[4096];
	uv_loop_t loop;
	int ch;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	assert_true(nvmf_aio_read(c, 1, buf, 0, 8, 0, cb_of(&rd)) > 0);
	for (uint64_t end = uv_hrtime() + WAIT_MS * 1000000ull; !rd.done && uv_hrtime() < end;)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(rd.done);
	assert_int_equal(rd.result, -ENODEV);
	if (!strstr(rd.msg, "namespace 1: not the same namespace") || !strstr(rd.msg, "NGUID"))
		fail_msg("held read: %s", rd.msg);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	assert_non_null(strstr(ni.reason, "NGUID changed"));
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -EOPNOTSUPP);
	assert_non_null(strstr(nvmf_get_error(), "not the same namespace"));
	/* Named as the controller comes back, before RECONNECTED. */
	ch = ev_find(&l, ev_find(&l, 0, NVMF_EVENT_RECONNECTING), NVMF_EVENT_NS_CHANGED);
	assert_true(ch > 0 && ch < ev_find(&l, 0, NVMF_EVENT_RECONNECTED));
	assert_int_equal(l.nsid0[ch], 1);
	/* A second reconnect does not adopt the new identity. */
	assert_int_equal(nvmf_reconnect(c), 0);
	for (uint64_t end = uv_hrtime() + WAIT_MS * 1000000ull;
	     state_of(c).reconnects < 2 && uv_hrtime() < end;)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	assert_int_equal(nvmf_disconnect(c), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, NULL);
}

/* What the log callback saw: the most severe level, and whether an INFO
 * line named the request. Written on the I/O thread. */
static atomic_int req_log_worst = 99;
static atomic_bool req_log_info;

static void req_log_cb(void *user, enum nvmf_log_level level, const char *msg)
{
	(void)user;
	if ((int)level < atomic_load(&req_log_worst))
		atomic_store(&req_log_worst, (int)level);
	if (level == NVMF_LOG_INFO && strstr(msg, "reconnect requested"))
		atomic_store(&req_log_info, true);
}

/* nvmf_reconnect() on a live controller is no failure: nothing is logged
 * at ERROR or WARN (DEBUG LOG in nvmf.h), and an INFO line says why the
 * connections close. */
static void test_reconnect_requested_logs_info(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_GOOD, 0, &o, &l);
	struct nvmf_ctrl *c;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	nvmf_set_log_callback(req_log_cb, NULL);
	assert_int_equal(nvmf_reconnect(c), 0);
	for (int t = 0; t < WAIT_MS && state_of(c).reconnects < 1; t++)
		uv_sleep(1);
	wait_state(c, NVMF_CTRL_LIVE);
	nvmf_set_log_callback(NULL, NULL);
	if (atomic_load(&req_log_worst) < NVMF_LOG_INFO)
		fail_msg("a requested reconnect logged at level %d", atomic_load(&req_log_worst));
	assert_true(atomic_load(&req_log_info));
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * After the reconnect the namespace has 4096-byte blocks where it had 512:
 * the same bytes, so NSZE changed too, but what changed is the LBA format,
 * and the reason says so.
 */
static void test_ns_reformatted(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_NS_REFORMATTED, 0, &o, &l);
	struct nvmf_ctrl *c;
	struct nvmf_ns_info ni;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	for (int t = 0; t < WAIT_MS && state_of(c).reconnects < 1; t++)
		uv_sleep(1);
	wait_state(c, NVMF_CTRL_LIVE);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	if (!strstr(ni.reason, "not the same namespace after the reconnect (its LBA format changed)"))
		fail_msg("reason: %s", ni.reason);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/* Another subsystem at the address: given up at the first attempt. */
static void test_subsys_changed(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_SUBSYS_CHANGES, 0, &o, &l);
	struct nvmf_ctrl *c;
	struct nvmf_ctrl_state_info st;
	static uint8_t buf[4096];
	int gu;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	gu = ev_wait(&l, 0, NVMF_EVENT_GAVE_UP);
	if (!strstr(l.msg[gu], "not the same subsystem") || !strstr(l.msg[gu], "fake-other"))
		fail_msg("gave up: %s", l.msg[gu]);
	assert_int_equal(l.attempt[gu], 1);
	st = state_of(c);
	assert_int_equal(st.state, NVMF_CTRL_DEAD);
	assert_non_null(strstr(st.msg, "stopped after attempt 1"));
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -ECONNRESET);
	assert_non_null(strstr(nvmf_get_error(), "given up"));
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
}

/* A Connect refused with DNR stops reconnecting, even with no loss limit. */
static void test_reconnect_refused(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_RECONNECT_REFUSED, 0, &o, &l);
	struct nvmf_ctrl *c;
	int gu;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	gu = ev_wait(&l, 0, NVMF_EVENT_GAVE_UP);
	if (!strstr(l.msg[gu], "Connect Invalid Parameters"))
		fail_msg("gave up: %s", l.msg[gu]);
	assert_int_equal(ev_find(&l, 0, NVMF_EVENT_RECONNECTING), gu - 1);
	assert_int_equal(state_of(c).state, NVMF_CTRL_DEAD);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
}

/*
 * The controller goes away: ctrl_loss_tmo 2 with reconnect_delay 1 allows
 * 2 attempts, then the held read fails; nvmf_reconnect() on the dead
 * controller, once a controller listens again on the port, brings it back.
 */
static void test_gave_up_then_revived(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_GOOD, 0, &o, &l);
	struct nvmf_ctrl *c;
	struct op rd = { 0 };
	static uint8_t buf[4096];
	uint16_t port = fake_ctrl_port(fc);
	int lost, r1, r2, gu;

	(void)state;
	o.ctrl_loss_tmo = 2;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	/* The limit shows before any outage too (it said 0, "none"). */
	assert_int_equal(state_of(c).max_attempts, 2);
	fake_ctrl_stop(fc, NULL);
	lost = ev_wait(&l, 0, NVMF_EVENT_CONN_LOST);
	assert_true(nvmf_aio_read(c, 1, buf, 0, 8, 0, cb_of(&rd)) > 0);
	gu = ev_wait(&l, lost, NVMF_EVENT_GAVE_UP);
	r1 = ev_find(&l, lost, NVMF_EVENT_RECONNECTING);
	r2 = ev_find(&l, r1 + 1, NVMF_EVENT_RECONNECTING);
	assert_true(r1 > lost && r2 > r1 && gu > r2);
	assert_int_equal(l.attempt[r1], 1);
	assert_int_equal(l.attempt[r2], 2);
	assert_int_equal(l.max[r2], 2);
	assert_non_null(strstr(l.msg[gu], "gave up after 2 attempts (ctrl_loss_tmo 2 s)"));
	assert_true(op_wait(&rd));
	assert_int_equal(rd.result, -ECONNRESET);
	assert_non_null(strstr(rd.msg, "gave up after 2 attempts"));
	assert_int_equal(state_of(c).state, NVMF_CTRL_DEAD);

	fc = fake(FAKE_GOOD, port, NULL, NULL);
	assert_int_equal(nvmf_reconnect(c), 0);
	ev_wait(&l, gu, NVMF_EVENT_RECONNECTED);
	assert_int_equal(state_of(c).state, NVMF_CTRL_LIVE);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Reads waiting for a free submission queue entry while the ones in flight
 * go unanswered: the I/O timeout of those in flight fails the connection,
 * and the waiting ones are held with them and replayed after the reconnect
 * (nvmf.h, OUTAGES), not failed. Submitted in one loop turn while the queue
 * pair's timer runs for an earlier write, so their wait and the transport's
 * deadline end in the same millisecond with the transport's timer rearmed
 * last: the waiting reads' timer went first, and they failed -ETIMEDOUT
 * ("held 1000 ms without a free submission queue entry").
 */
#define NR_WAIT 20

static void test_waiting_held_through_timeout(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_READS_HANG_FIRST, 0, &o, &l);
	struct nvmf_ctrl *c;
	struct op r[NR_WAIT] = { 0 };
	static uint8_t buf[NR_WAIT][4096], wbuf[4096];
	struct nvmf_ctrl_state_info st;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	o.nr_io_queues = 1;
	o.queue_size = 8;
	o.io_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	memset(wbuf, 0x3c, sizeof(wbuf));
	assert_int_equal(nvmf_write(c, 1, wbuf, 0, 8, 0), 0);
	uv_sleep(20);
	uv_update_time(&loop);
	for (int i = 0; i < NR_WAIT; i++)
		assert_true(nvmf_aio_read(c, 1, buf[i], (uint64_t)i * 8, 8, 0, cb_of(&r[i])) > 0);
	for (uint64_t end = uv_hrtime() + WAIT_MS * 1000000ull;
	     !all_done(r, NR_WAIT) && uv_hrtime() < end;)
		uv_run(&loop, UV_RUN_ONCE);
	for (int i = 0; i < NR_WAIT; i++) {
		assert_true(r[i].done);
		if (r[i].result != 0)
			fail_msg("read %d: %d \"%s\"", i, r[i].result, r[i].msg);
	}
	assert_memory_equal(buf[0], wbuf, sizeof(wbuf));
	for (int i = 1; i < NR_WAIT; i++)
		for (int j = 0; j < 4096; j++)
			if (buf[i][j] != fake_pattern((uint64_t)i * 4096 + (uint64_t)j))
				fail_msg("read %d: byte %d differs", i, j);
	st = state_of(c);
	assert_int_equal(st.state, NVMF_CTRL_LIVE);
	assert_int_equal(st.outages, 1);
	assert_int_equal(nvmf_disconnect(c), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * A write held through an outage after which the controller's transfer
 * limit is smaller than the write: failed with -EINVAL naming the new limit,
 * not sent to be refused as an Invalid Field; the controller and smaller
 * writes go on.
 */
static void test_replay_above_new_mdts(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_opts fo = { .mdts2 = 2 };	/* 8 KiB from the second association */
	struct fake_ctrl *fc = fake_with(&fo, &o, &l);
	struct nvmf_ctrl *c;
	struct op w = { 0 };
	static uint8_t buf[65536];
	struct nvmf_ctrl_info ci;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	memset(buf, 0x6b, sizeof(buf));
	assert_true(nvmf_aio_write(c, 1, buf, 0, 128, 0, cb_of(&w)) > 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	for (uint64_t end = uv_hrtime() + WAIT_MS * 1000000ull; !w.done && uv_hrtime() < end;)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(w.done);
	assert_int_equal(w.result, -EINVAL);
	if (!strstr(w.msg, "65536 bytes exceed") || !strstr(w.msg, "MDTS 8192"))
		fail_msg("completion text: \"%s\"", w.msg);
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_int_equal(ci.max_xfer, 8192);
	assert_int_equal(nvmf_write(c, 1, buf, 0, 16, 0), 0);
	assert_int_equal(state_of(c).state, NVMF_CTRL_LIVE);
	assert_int_equal(nvmf_disconnect(c), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, NULL);
}

/* fast_io_fail_tmo: held I/O fails while reconnecting goes on. */
static void test_fast_io_fail(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_GOOD, 0, &o, &l);
	struct nvmf_ctrl *c;
	struct op rd = { 0 };
	static uint8_t buf[4096];
	uint16_t port = fake_ctrl_port(fc);

	(void)state;
	o.fast_io_fail_tmo = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	fake_ctrl_stop(fc, NULL);
	ev_wait(&l, 0, NVMF_EVENT_CONN_LOST);
	assert_true(nvmf_aio_read(c, 1, buf, 0, 8, 0, cb_of(&rd)) > 0);
	assert_true(op_wait(&rd));
	assert_int_equal(rd.result, -ECONNRESET);
	assert_non_null(strstr(rd.msg, "fast_io_fail_tmo (1 s) has passed"));
	assert_int_equal(state_of(c).state == NVMF_CTRL_CONNECTING ||
			 state_of(c).state == NVMF_CTRL_RESETTING, 1);
	/* New I/O fails at once until the controller is back. */
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -ECONNRESET);
	fc = fake(FAKE_GOOD, port, NULL, NULL);
	wait_state(c, NVMF_CTRL_LIVE);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * The I/O connections die while the bring-up's last command (Asynchronous
 * Event Configuration) waits: the connect fails rather than returning a
 * controller with every queue closed.
 */
static void test_io_lost_at_last_step(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct nvmf_ctrl *c = NULL;
	struct fake_ctrl *fc = fake(FAKE_IO_LOST_AT_AEC, 0, &o, &l);

	(void)state;
	o.connect_timeout = 2;
	assert_true(nvmf_connect(&o, &c) < 0);
	assert_null(c);
	if (!strstr(nvmf_get_error(), "queue 1") && !strstr(nvmf_get_error(), "queue 2"))
		fail_msg("error does not name the lost I/O queue: %s", nvmf_get_error());
	fake_ctrl_stop(fc, NULL);
}

/* A namespace found changed stays unusable: a later nvmf_rescan() on the
 * live controller does not adopt it. */
static void test_rescan_keeps_changed_ns_out(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct nvmf_ctrl *c;
	struct nvmf_ns_info ni;
	struct fake_ctrl *fc = fake(FAKE_NS_IDENTITY_CHANGES, 0, &o, &l);

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	ev_wait(&l, 0, NVMF_EVENT_RECONNECTED);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	assert_int_equal(nvmf_rescan(c), 0);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	assert_non_null(strstr(ni.reason, "NGUID changed"));
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Across outages: the first reconnect's Identify Namespace fails (the
 * namespace is unavailable meanwhile), the second finds another NGUID and
 * half the blocks. That is another namespace: compared with the one known
 * before the failure, it stays unsupported and NS_CHANGED names it.
 */
static void test_ns_identity_flap_across_outages(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct nvmf_ctrl *c;
	struct nvmf_ns_info ni;
	struct fake_stats st;
	struct fake_ctrl *fc = fake(FAKE_NS_ID_FLAP, 0, &o, &l);
	static uint8_t buf[4096];
	int rc1, rc2, ch;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	rc1 = ev_wait(&l, 0, NVMF_EVENT_RECONNECTED);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	if (!strstr(ni.reason, "Identify Namespace failed"))
		fail_msg("after the first reconnect: '%s'", ni.reason);
	assert_int_equal(nvmf_reconnect(c), 0);
	rc2 = ev_wait(&l, rc1 + 1, NVMF_EVENT_RECONNECTED);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	if (ni.supported || !strstr(ni.reason, "not the same namespace after the reconnect") ||
	    !strstr(ni.reason, "NGUID"))
		fail_msg("after the second reconnect: supported %d, reason '%s'", ni.supported,
			 ni.reason);
	ch = ev_find(&l, rc1 + 1, NVMF_EVENT_NS_CHANGED);
	assert_true(ch > rc1 && ch < rc2);
	assert_int_equal(l.nsid0[ch], 1);
	assert_int_equal(nvmf_write(c, 1, buf, 0, 8, 0), -EOPNOTSUPP);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.id_ns_cmds, 3);
}

/* nvmf_rescan() while reconnecting is refused: it cannot race the
 * bring-up's checking scan. */
static void test_rescan_refused_while_connecting(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_stats fs;
	struct nvmf_ctrl *c;
	struct nvmf_ns_info ni;
	struct fake_ctrl *fc = fake(FAKE_NS_IDENTITY_CHANGES_SLOW, 0, &o, &l);

	(void)state;
	o.io_timeout = 30;	/* the held Identify Controller is no timeout */
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	for (int t = 0; t < WAIT_MS; t++) {
		fake_ctrl_stats(fc, &fs);
		if (fs.admin_connects >= 2)
			break;
		uv_sleep(1);
	}
	uv_sleep(150);	/* the bring-up waits for Identify Controller (held 3 s) */
	assert_int_equal(state_of(c).state, NVMF_CTRL_CONNECTING);
	assert_int_equal(nvmf_rescan(c), -ECONNRESET);
	assert_non_null(strstr(nvmf_get_error(), "connecting"));
	ev_wait(&l, 0, NVMF_EVENT_RECONNECTED);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
}

/* A Connect refused with DNR and a generic status stops reconnecting too. */
static void test_reconnect_refused_generic(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct nvmf_ctrl *c;
	struct fake_ctrl *fc = fake(FAKE_RECONNECT_REFUSED_GENERIC, 0, &o, &l);
	int gu;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_reconnect(c), 0);
	gu = ev_wait(&l, 0, NVMF_EVENT_GAVE_UP);
	assert_int_equal(l.attempt[gu], 1);
	assert_non_null(strstr(l.msg[gu], "Invalid Field in Command"));
	assert_int_equal(state_of(c).state, NVMF_CTRL_DEAD);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
}

/* The ABI policy's guards: an options struct not filled by nvmf_opts_init(),
 * and a newer program's option this library does not have. */
static void test_opts_size(void **state)
{
	struct {
		struct nvmf_opts o;
		int newer;
	} big;
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;

	(void)state;
	nvmf_opts_init(&o);
	snprintf(o.traddr, sizeof(o.traddr), "127.0.0.1");
	o.size = 0;
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "nvmf_opts_init"));
	nvmf_opts_init_size(&big.o, sizeof(big));
	assert_int_equal(big.newer, 0);
	assert_int_equal(big.o.size, sizeof(big));
	snprintf(big.o.traddr, sizeof(big.o.traddr), "127.0.0.1");
	big.newer = 1;
	assert_int_equal(nvmf_connect(&big.o, &c), -E2BIG);
	assert_null(c);
}

/* CSTS.CFS while LIVE: FATAL, then a reset brings the controller back. */
static void test_cfs_resets(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_CFS_LATER, 0, &o, &l);
	struct nvmf_ctrl *c;
	static uint8_t buf[4096];
	int fatal;

	(void)state;
	o.kato = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	fatal = ev_wait(&l, 0, NVMF_EVENT_FATAL);
	assert_non_null(strstr(l.msg[fatal], "CSTS.CFS"));
	ev_wait(&l, fatal, NVMF_EVENT_RECONNECTED);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(state_of(c).outages, 1);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * A read whose transfer kills the connection every time: resubmitted 5
 * times after the first failure, then failed; the controller stays usable.
 */
static void test_replay_limit(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_CLOSE_MID_TRANSFER, 0, &o, &l);
	struct fake_stats fs;
	struct nvmf_ctrl *c;
	static uint8_t buf[65536];
	int r;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	r = nvmf_read(c, 1, buf, 0, 128, 0);
	assert_true(r < 0 && r != -ECANCELED);
	/* The text says why this outage, unlike the five before, failed it. */
	if (!strstr(nvmf_get_error(), "not held again: resubmitted after 5 outages"))
		fail_msg("error: \"%s\"", nvmf_get_error());
	/* The read fails as its sixth connection dies, before that outage is
	 * over: wait for the sixth reconnect. */
	for (int t = 0; t < WAIT_MS && state_of(c).reconnects < 6; t++)
		uv_sleep(1);
	assert_int_equal(state_of(c).state, NVMF_CTRL_LIVE);
	assert_int_equal(state_of(c).outages, 6);
	assert_int_equal(state_of(c).reconnects, 6);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &fs);
	assert_int_equal(fs.triggered, 6);
}

/*
 * Threads that submit and query while the controller reconnects under them
 * (nvmf.h, THREADING: any call from any thread). Two threads write
 * (synchronously, read back, and asynchronously) and ask
 * nvmf_ctrl_get_info() and nvmf_ctrl_get_state(); a third only submits
 * reads that are refused on its own thread for their size, so it never
 * waits for (nor synchronises with) the I/O thread. Three resets: no I/O fails (held, then
 * replayed), every acknowledged write reads back, and the refusals go on
 * unchanged. Small on purpose: it is the cross-thread path that the
 * ThreadSanitizer build (label tsan) checks.
 */
struct rc_worker {
	struct nvmf_ctrl *c;
	int id;
	bool prober;		/* only reads refused for their size */
	int *stop;		/* set by the main thread: __atomic */
	int errors;		/* read after the join */
	int aio_pending;	/* __atomic: completions still owed */
	int aio_errors;		/* __atomic */
	unsigned rounds;
	uv_thread_t t;
	uint8_t abuf[8][4096];	/* asynchronous writes' buffers, reused once done */
};

static void rc_aio_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct rc_worker *w = user;

	(void)cookie;
	if (cpl->result != 0)
		__atomic_fetch_add(&w->aio_errors, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&w->aio_pending, 1, __ATOMIC_RELEASE);
}

static void rc_writer_round(struct rc_worker *w)
{
	/* Blocks 0-63 of this worker's 1024: synchronous, read back. */
	uint64_t lba = (uint64_t)w->id * 1024 + (w->rounds % 8) * 8;
	uint8_t buf[4096], rbuf[4096];
	struct nvmf_ctrl_info ci;
	struct nvmf_ctrl_state_info st;

	memset(buf, (int)(w->id * 64 + w->rounds % 64), sizeof(buf));
	if (nvmf_write(w->c, 1, buf, lba, 8, 0) < 0 ||
	    nvmf_read(w->c, 1, rbuf, lba, 8, 0) < 0 || memcmp(buf, rbuf, sizeof(buf)))
		w->errors++;
	/* Blocks 512-575: asynchronous, the next eight once all are done. */
	if (__atomic_load_n(&w->aio_pending, __ATOMIC_ACQUIRE) == 0) {
		for (int i = 0; i < 8; i++)
			memset(w->abuf[i], (int)(w->rounds + (unsigned)i), 4096);
		__atomic_store_n(&w->aio_pending, 8, __ATOMIC_RELAXED);
		for (int i = 0; i < 8; i++)
			if (nvmf_aio_write(w->c, 1, w->abuf[i],
					   (uint64_t)w->id * 1024 + 512 + (uint64_t)i * 8, 8, 0,
					   (struct nvmf_callback){ rc_aio_cb, w, NULL }) < 0) {
				w->errors++;
				__atomic_fetch_sub(&w->aio_pending, 1, __ATOMIC_RELEASE);
			}
	}
	if (nvmf_ctrl_get_info(w->c, &ci) < 0 || ci.max_xfer != 128 * 1024 ||
	    nvmf_ctrl_get_state(w->c, &st) < 0)
		w->errors++;
}

static void rc_worker_main(void *arg)
{
	struct rc_worker *w = arg;
	uint8_t rbuf[512];

	while (!__atomic_load_n(w->stop, __ATOMIC_ACQUIRE)) {
		if (w->prober) {
			/* 256 KiB, beyond the fake's MDTS (128 KiB): refused
			 * here, LIVE or not; nothing reaches the I/O thread. */
			if (nvmf_read(w->c, 1, rbuf, 0, 512, 0) != -EINVAL)
				w->errors++;
			uv_sleep(1);
		} else {
			rc_writer_round(w);
		}
		w->rounds++;
	}
	while (__atomic_load_n(&w->aio_pending, __ATOMIC_ACQUIRE) > 0)
		uv_sleep(1);
}

static void test_threads_through_reconnects(void **state)
{
	struct nvmf_opts o;
	struct evlog l;
	struct fake_ctrl *fc = fake(FAKE_GOOD, 0, &o, &l);
	struct nvmf_ctrl *c;
	static struct rc_worker w[3];
	static uint8_t buf[4096];
	int stop = 0;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 3; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].c = c;
		w[i].id = i;
		w[i].prober = i == 2;
		w[i].stop = &stop;
		assert_int_equal(uv_thread_create(&w[i].t, rc_worker_main, &w[i]), 0);
	}
	for (unsigned k = 1; k <= 3; k++) {
		uv_sleep(20);
		assert_int_equal(nvmf_reconnect(c), 0);
		for (int t = 0; t < WAIT_MS && state_of(c).reconnects < k; t++)
			uv_sleep(1);
		assert_int_equal(state_of(c).reconnects, k);
		wait_state(c, NVMF_CTRL_LIVE);
	}
	uv_sleep(20);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 3; i++) {
		uv_thread_join(&w[i].t);
		assert_int_equal(w[i].errors, 0);
		assert_int_equal(__atomic_load_n(&w[i].aio_errors, __ATOMIC_ACQUIRE), 0);
		assert_true(w[i].rounds > 0);
	}
	/* The last asynchronous writes of each writer are there. */
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 8; j++) {
			assert_int_equal(nvmf_read(c, 1, buf, (uint64_t)i * 1024 + 512 + (uint64_t)j * 8,
						   8, 0), 0);
			assert_memory_equal(buf, w[i].abuf[j], 4096);
		}
	assert_int_equal(nvmf_aio_in_flight(c), 0);
	assert_int_equal(state_of(c).outages, 3);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_in_flight),
		cmocka_unit_test(test_ns_identity_changed),
		cmocka_unit_test(test_ns_reformatted),
		cmocka_unit_test(test_reconnect_requested_logs_info),
		cmocka_unit_test(test_subsys_changed),
		cmocka_unit_test(test_reconnect_refused),
		cmocka_unit_test(test_gave_up_then_revived),
		cmocka_unit_test(test_fast_io_fail),
		cmocka_unit_test(test_io_lost_at_last_step),
		cmocka_unit_test(test_rescan_keeps_changed_ns_out),
		cmocka_unit_test(test_ns_identity_flap_across_outages),
		cmocka_unit_test(test_rescan_refused_while_connecting),
		cmocka_unit_test(test_reconnect_refused_generic),
		cmocka_unit_test(test_opts_size),
		cmocka_unit_test(test_cfs_resets),
		cmocka_unit_test(test_replay_limit),
		cmocka_unit_test(test_threads_through_reconnects),
		cmocka_unit_test(test_waiting_held_through_timeout),
		cmocka_unit_test(test_replay_above_new_mdts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
