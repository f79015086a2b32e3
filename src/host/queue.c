/*
 * Submission machinery: the loop thread, the MPSC inbox, synchronous
 * calls, dispatch of commands to queue pairs and their completion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

/* ---- SQE helpers ------------------------------------------------------------ */

/* A zeroed SQE (NVMe Base 2.0, 4.2, Figure 88) with its opcode and NSID; the
 * transport fills CID and the data pointer. */
void host_sqe_init(struct nvmf_sqe *sqe, uint8_t opc, uint32_t nsid)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opc;
	sqe->nsid = nvmf_htole32(nsid);
}

/* ---- Loop thread ------------------------------------------------------------- */

bool host_on_loop_thread(struct nvmf_ctrl *c)
{
	uv_thread_t self = uv_thread_self();

	return uv_thread_equal(&self, &c->loop_tid) != 0;
}

static void host_drain_inbox(uv_async_t *h);

struct thread_start {
	struct nvmf_ctrl *c;
	uv_sem_t sem;
};

static void thread_main(void *arg)
{
	struct thread_start *ts = arg;
	struct nvmf_ctrl *c = ts->c;

	c->loop_tid = uv_thread_self();
	uv_sem_post(&ts->sem);	/* ts is gone after this */
	uv_run(c->loop, UV_RUN_DEFAULT);
}

int host_loop_start(struct nvmf_ctrl *c)
{
	struct thread_start ts = { .c = c };
	int r;

	if (c->opts.loop) {
		/* Caller's loop: the connecting thread is the loop's thread. */
		c->loop = (uv_loop_t *)c->opts.loop;
		c->loop_tid = uv_thread_self();
		return 0;
	}
	r = uv_loop_init(&c->own_loop);
	if (r < 0)
		return host_err(r, "cannot create the I/O loop: %s", uv_strerror(r));
	c->loop = &c->own_loop;
	r = uv_async_init(c->loop, &c->wake, host_drain_inbox);
	if (r < 0) {
		uv_loop_close(c->loop);
		return host_err(r, "cannot create the I/O loop wake-up: %s", uv_strerror(r));
	}
	c->wake.data = c;
	c->wake_init = true;
	uv_sem_init(&ts.sem, 0);
	r = uv_thread_create(&c->thread, thread_main, &ts);
	if (r < 0) {
		uv_sem_destroy(&ts.sem);
		uv_close((uv_handle_t *)&c->wake, NULL);
		uv_run(c->loop, UV_RUN_DEFAULT);
		uv_loop_close(c->loop);
		return host_err(r, "cannot start the I/O thread: %s", uv_strerror(r));
	}
	uv_sem_wait(&ts.sem);
	uv_sem_destroy(&ts.sem);
	c->own_thread = true;
	return 0;
}

static void stop_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;

	if (c->wake_init)
		uv_close((uv_handle_t *)&c->wake, NULL);
	if (c->ka_init)
		uv_close((uv_handle_t *)&c->ka_timer, NULL);
	c->ka_init = false;
	if (c->held_init)
		uv_close((uv_handle_t *)&c->held_timer, NULL);
	c->held_init = false;
	host_call_done(call, 0);
}

void host_loop_stop(struct nvmf_ctrl *c)
{
	struct host_call call;

	if (c->own_thread) {
		host_call(c, stop_fn, NULL, &call);
		c->wake_init = false;
		uv_thread_join(&c->thread);
		if (uv_loop_close(c->loop) != 0)
			host_log(NVMF_LOG_WARN, "I/O loop closed with handles still open");
		c->own_thread = false;
		return;
	}
	if (c->ka_init || c->held_init) {
		if (c->ka_init)
			uv_close((uv_handle_t *)&c->ka_timer, NULL);
		if (c->held_init)
			uv_close((uv_handle_t *)&c->held_timer, NULL);
		c->ka_init = false;
		c->held_init = false;
		/* Let the close callbacks run so the caller's loop holds nothing of ours. */
		uv_run(c->loop, UV_RUN_NOWAIT);
	}
}

/* ---- Calls ---------------------------------------------------------------------- */

void host_call_done(struct host_call *call, int result)
{
	struct nvmf_ctrl *c = call->c;
	bool post = c->own_thread;

	call->result = result;
	atomic_store(&call->done, true);
	if (post)
		uv_sem_post(&call->sem);	/* call may be gone after this */
}

void host_call_fail(struct host_call *call, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(call->msg, sizeof(call->msg), fmt, ap);
	va_end(ap);
	host_call_done(call, err < 0 ? err : -err);
}

static void inbox_push(struct nvmf_ctrl *c, struct host_req *req)
{
	struct host_req *old = atomic_load_explicit(&c->inbox, memory_order_relaxed);

	do {
		req->next = old;
	} while (!atomic_compare_exchange_weak_explicit(&c->inbox, &old, req,
							memory_order_release,
							memory_order_relaxed));
	/* Only the push that made the stack non-empty wakes the loop: the
	 * drain takes everything, so later pushes ride on the same wake-up. */
	if (old == NULL)
		uv_async_send(&c->wake);
}

int host_call(struct nvmf_ctrl *c, host_call_fn fn, void *arg, struct host_call *call)
{
	memset(call, 0, sizeof(*call));
	call->c = c;
	call->fn = fn;
	call->arg = arg;
	atomic_init(&call->done, false);

	if (host_on_loop_thread(c)) {
		if (c->own_thread || c->in_cb > 0)
			return host_err(EDEADLK, "synchronous libnvmf call from a libnvmf callback "
					"would deadlock; use the nvmf_aio_* form");
		call->started = true;
		fn(call);
		while (!atomic_load(&call->done))
			uv_run(c->loop, UV_RUN_ONCE);
	} else if (c->own_thread) {
		struct host_req *req = calloc(1, sizeof(*req));

		if (!req)
			return host_err(ENOMEM, "out of memory");
		req->kind = HOST_REQ_CALL;
		req->c = c;
		req->call = call;
		uv_sem_init(&call->sem, 0);
		inbox_push(c, req);
		uv_sem_wait(&call->sem);
		uv_sem_destroy(&call->sem);
	} else {
		return host_err(EINVAL, "controller uses the caller's loop: call libnvmf from "
				"that loop's thread");
	}
	if (call->result < 0)
		return host_err_set(call->result, call->status,
				    call->msg[0] ? call->msg : strerror(-call->result));
	return call->result;
}

/* ---- Requests --------------------------------------------------------------------- */

struct host_req *host_req_new(struct nvmf_ctrl *c, bool admin, const char *what)
{
	struct host_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->kind = HOST_REQ_CMD;
	req->c = c;
	req->admin = admin;
	req->what = what;
	req->timeout_ms = (uint32_t)c->opts.io_timeout * 1000u;
	return req;
}

/*
 * The completion being delivered on this thread and its text, for
 * nvmf_completion_errmsg(). Every completion of a controller is delivered
 * on its loop's thread, so a thread-local pair needs no lock, and the
 * public struct nvmf_completion keeps its size (callers allocate it for the
 * synchronous passthrough calls).
 */
static _Thread_local const struct nvmf_completion *tl_cpl;
static _Thread_local const char *tl_cpl_msg;

const char *nvmf_completion_errmsg(const struct nvmf_completion *cpl)
{
	if (cpl != NULL && cpl == tl_cpl && tl_cpl_msg != NULL)
		return tl_cpl_msg;
	return "";
}

/* Deliver a completion; msg says why it failed (NULL on success). */
static void req_finish(struct host_req *req, const struct nvmf_completion *cpl, const char *msg)
{
	struct nvmf_ctrl *c = req->c;

	/* Completed before the user hears of it: a waiter woken by the
	 * callback sees a consistent in-flight count. */
	if (!req->internal)
		atomic_fetch_sub(&c->in_flight, 1);
	c->in_cb++;
	if (req->cb.cb && cpl->result < 0) {
		/* Only failures carry text: successes skip the thread-local
		 * stores on the I/O path (the accessor says "" for them). */
		const struct nvmf_completion *outer_cpl = tl_cpl;
		const char *outer_msg = tl_cpl_msg;

		tl_cpl = cpl;
		tl_cpl_msg = msg ? msg : "";
		req->cb.cb(req->cb.user, req->cookie, cpl);
		/* Restored, not cleared: a callback never runs inside another
		 * today, but the accessor must not lie if one ever does. */
		tl_cpl = outer_cpl;
		tl_cpl_msg = outer_msg;
	} else if (req->cb.cb) {
		req->cb.cb(req->cb.user, req->cookie, cpl);
	}
	if (req->cb.free)
		req->cb.free(req->cb.user);
	c->in_cb--;
	free(req);
}

void host_req_fail(struct host_req *req, int err, const char *msg)
{
	struct nvmf_completion cpl = { .result = err };

	req_finish(req, &cpl, msg);
}

/* A request refused on the loop: try_dispatch() named it in the thread's error. */
static void req_fail(struct host_req *req, int err)
{
	char msg[HOST_MSG_MAX];

	/* A copy: the callback's own library calls reuse the thread's error. */
	snprintf(msg, sizeof(msg), "%s", nvmf_get_error());
	host_req_fail(req, err, msg);
}

static void drain_waitq(struct nvmf_ctrl *c);

/*
 * The text of a failed command: "<command> failed: <why>", why being the
 * NVMe status with its name (Base 2.0, 4.6.1), or what the transport
 * said about its connection (it names the queue), or what closed it.
 */
static void xp_done_msg(const struct host_req *req, struct xp_qpair *qp, int status,
			char *msg, size_t len)
{
	const char *xm = xp_qpair_errmsg(qp);
	char st[128];

	if (status == NVMF_SC_TRANSIENT_TRANSPORT && xm[0])
		/* Made up by the transport (a data digest error): say why. */
		snprintf(msg, len, "%s failed: %s; %.*s", req->what,
			 nvmf_status_format((uint16_t)status, st, sizeof(st)),
			 (int)(len > 192 ? len - 192 : 0), xm);
	else if (status > 0)
		snprintf(msg, len, "%s failed: %s", req->what,
			 nvmf_status_format((uint16_t)status, st, sizeof(st)));
	else if (status == -ECONNRESET && req->c->failed && !xm[0])
		/* Closed by the host because the admin queue was lost (q_on_lost). */
		snprintf(msg, len, "%s failed: the controller's admin queue was lost: %.*s",
			 req->what, (int)(len > 96 ? len - 96 : 0), req->c->admin.errmsg);
	else if (status == -ECANCELED)
		/* The host closed the queue pair: the transport's text, if any,
		 * is about something earlier. */
		snprintf(msg, len, "%s canceled: %s", req->what,
			 req->c->stopping ? "the controller is disconnecting"
					  : "its queue was closed");
	else
		snprintf(msg, len, "%s failed: %.*s", req->what, (int)(len > 64 ? len - 64 : 0),
			 xm[0] ? xm : strerror(-status));
}

static void host_xp_done(struct xp_qpair *qp, const struct xp_cpl *xc, int status, void *arg)
{
	struct host_req *req = arg;
	struct nvmf_ctrl *c = req->c;
	struct nvmf_completion cpl = { 0 };
	char msg[HOST_MSG_MAX];

	if (status > 0) {
		cpl.result = -EIO;
		cpl.status = (uint16_t)status;
	} else {
		cpl.result = status;
	}
	cpl.dw0 = xc->dw0;
	cpl.dw1 = xc->dw1;
	if (status != 0 && req->cb.cb)
		xp_done_msg(req, qp, status, msg, sizeof(msg));
	atomic_store(&c->last_completion_ms, uv_now(c->loop));
	req_finish(req, &cpl, status != 0 ? msg : NULL);
	drain_waitq(c);
}

static struct host_queue *pick_io_queue(struct nvmf_ctrl *c, bool *all_full)
{
	int i;

	*all_full = false;
	for (i = 0; i < c->nr_io; i++) {
		struct host_queue *q = &c->io[(c->rr + (unsigned)i) % (unsigned)c->nr_io];

		/* The transport's state, not only ours: while a queue pair is
		 * failing it completes its commands before on_lost tells us, and
		 * a command dispatched from those callbacks would die with it. */
		if (!q->ready || q->failed || !q->qp || q->closing ||
		    xp_qpair_state(q->qp) != XP_QP_READY)
			continue;
		if (xp_qpair_inflight(q->qp) + 1u >= q->qsize) {
			*all_full = true;
			continue;
		}
		c->rr = (c->rr + (unsigned)i + 1) % (unsigned)c->nr_io;
		return q;
	}
	return NULL;
}

/* Hand req to a queue pair: 0, -EAGAIN (all full) or another negative errno. */
static int try_dispatch(struct host_req *req, struct host_queue *q)
{
	struct nvmf_ctrl *c = req->c;
	struct xp_cmd cmd;
	bool full = false;
	int r;

	if (!q) {
		if (req->admin) {
			q = &c->admin;
			if (!q->ready)
				q = NULL;
		} else {
			if (c->nr_io == 0)
				return host_err(ENOTCONN, "%s: the controller has no I/O queues",
						req->what);
			q = pick_io_queue(c, &full);
			if (!q && full)
				return -EAGAIN;
		}
	}
	if (q && q->qid == 0 && !req->urgent && q->qp && !q->failed && !q->closing &&
	    xp_qpair_inflight(q->qp) + 2u >= q->qsize)
		/* One admin entry stays free for Keep Alive: a burst of admin
		 * commands must not delay it past KATO (Base 2.0, 3.9.4), which
		 * would end the association. Linux reserves it the same way. */
		return -EAGAIN;
	if (!q || !q->qp || q->failed || q->closing)
		return host_err(ENOTCONN, "%s: %s", req->what,
				c->stopping ? "controller is disconnecting"
				: c->failed ? "the controller's admin queue was lost"
					    : "the queue's connection is lost");
	cmd.sqe = req->sqe;
	cmd.buf = req->buf;
	cmd.len = req->len;
	cmd.dir = req->dir;
	cmd.timeout_ms = req->timeout_ms;
	cmd.cb = host_xp_done;
	cmd.arg = req;
	r = xp_submit(q->qp, &cmd);
	if (r == -EAGAIN)
		return -EAGAIN;
	if (r < 0)
		return host_err(r, "%s: %s", req->what,
				xp_qpair_errmsg(q->qp)[0] ? xp_qpair_errmsg(q->qp) : strerror(-r));
	return 0;
}

static struct host_queue *req_queue(struct host_req *req);

static int req_class(const struct host_req *req)
{
	return req->q ? (req->q->qid != 0) : !req->admin;
}

static void held_timer_cb(uv_timer_t *t);

/* Arm the held-command timer for deadline if it is earlier than its due time. */
static void held_arm(struct nvmf_ctrl *c, uint64_t deadline)
{
	uint64_t now = uv_now(c->loop);

	if (!c->held_init) {
		uv_timer_init(c->loop, &c->held_timer);	/* cannot fail on a live loop */
		c->held_timer.data = c;
		c->held_init = true;
		c->held_due = 0;
	}
	if (c->held_due != 0 && c->held_due <= deadline)
		return;
	c->held_due = deadline;
	uv_timer_start(&c->held_timer, held_timer_cb, deadline > now ? deadline - now : 0, 0);
}

/*
 * Held commands whose timeout passed fail with -ETIMEDOUT. They never reached
 * the controller, so unlike a command timeout in the transport nothing of
 * theirs is on the wire and the connection need not be closed for their
 * buffers' sake; what is wrong (a controller that stopped moving its SQ head,
 * NVMe over Fabrics 1.1, 3.3.1.1 / Base 2.0, 4.1) shows in the message. The
 * others wait on, each bounded by its own timeout.
 */
static void held_timer_cb(uv_timer_t *t)
{
	struct nvmf_ctrl *c = t->data;
	uint64_t now = uv_now(c->loop), next = 0;
	struct host_req *expired = NULL, **tail = &expired;

	c->held_due = 0;
	for (int k = 0; k < 2; k++) {
		struct host_req **pp = &c->waitq[k];

		while (*pp) {
			struct host_req *req = *pp;

			if (req->held_deadline == 0 || req->held_deadline > now) {
				pp = &req->next;
				continue;
			}
			*pp = req->next;
			req->next = NULL;
			*tail = req;
			tail = &req->next;
		}
		c->waitq_tail[k] = pp;
	}
	while (expired) {
		struct host_req *req = expired;
		char msg[HOST_MSG_MAX];

		expired = req->next;
		snprintf(msg, sizeof(msg), "%s timed out: held %u ms without a free submission "
			 "queue entry (the controller's SQ head pointer did not advance)",
			 req->what, req->timeout_ms);
		/* The caller hears of it through the completion. */
		host_log(NVMF_LOG_DEBUG, "%s", msg);
		host_req_fail(req, -ETIMEDOUT, msg);
	}
	/* Callbacks may have held more: rearm for the earliest left. */
	for (int k = 0; k < 2; k++)
		for (struct host_req *req = c->waitq[k]; req; req = req->next)
			if (req->held_deadline != 0 && (next == 0 || req->held_deadline < next))
				next = req->held_deadline;
	if (next != 0)
		held_arm(c, next);
}

int host_dispatch(struct host_req *req)
{
	struct nvmf_ctrl *c = req->c;
	int k = req_class(req), r;

	/* Keep order within a class: while others wait, wait behind them.
	 * Keep Alive has no order to keep: it goes first, and waits first. */
	if (c->waitq[k] && !req->urgent)
		r = -EAGAIN;
	else
		r = try_dispatch(req, req_queue(req));
	if (r != -EAGAIN)
		return r;
	if (!c->waitq[k])
		host_dbg("%s held: no free %s queue entry", req->what, k ? "I/O" : "admin");
	if (req->urgent) {
		req->next = c->waitq[k];
		if (!c->waitq[k])
			c->waitq_tail[k] = &req->next;
		c->waitq[k] = req;
	} else {
		req->next = NULL;
		if (c->waitq[k])
			*c->waitq_tail[k] = req;
		else
			c->waitq[k] = req;
		c->waitq_tail[k] = &req->next;
	}
	/* Its timeout runs from now: nothing else would ever end the wait. */
	req->held_deadline = req->timeout_ms ? uv_now(c->loop) + req->timeout_ms : 0;
	if (req->held_deadline)
		held_arm(c, req->held_deadline);
	return 0;
}

static void drain_waitq(struct nvmf_ctrl *c)
{
	for (int k = 0; k < 2; k++) {
		while (c->waitq[k]) {
			struct host_req *req = c->waitq[k];
			int r = try_dispatch(req, req_queue(req));

			if (r == -EAGAIN)
				break;
			c->waitq[k] = req->next;
			if (r < 0)
				req_fail(req, r);
		}
	}
}

/* Requests aimed at one queue (Fabrics Connect before the queue is ready). */
static struct host_queue *req_queue(struct host_req *req)
{
	return req->q;
}

static void host_drain_inbox(uv_async_t *h)
{
	struct nvmf_ctrl *c = h->data;
	struct host_req *list, *rev = NULL;

	list = atomic_exchange_explicit(&c->inbox, NULL, memory_order_acquire);
	while (list) {		/* the stack is LIFO: reverse for submission order */
		struct host_req *n = list->next;

		list->next = rev;
		rev = list;
		list = n;
	}
	while (rev) {
		struct host_req *req = rev;
		int r;

		rev = rev->next;
		if (req->kind == HOST_REQ_CALL) {
			req->call->started = true;
			req->call->fn(req->call);
			free(req);
			continue;
		}
		r = host_dispatch(req);
		if (r < 0)
			req_fail(req, r);
	}
}

int64_t host_submit(struct host_req *req)
{
	struct nvmf_ctrl *c = req->c;
	int64_t cookie = (int64_t)atomic_fetch_add(&c->next_cookie, 1);
	int r;

	req->cookie = (uint64_t)cookie;
	if (!req->internal)
		atomic_fetch_add(&c->in_flight, 1);
	if (host_on_loop_thread(c)) {
		r = host_dispatch(req);
		if (r < 0) {
			/* Not submitted: no completion, but the free hook runs once. */
			if (req->cb.free)
				req->cb.free(req->cb.user);
			if (!req->internal)
				atomic_fetch_sub(&c->in_flight, 1);
			free(req);
			return r;
		}
		return cookie;
	}
	if (!c->own_thread || c->stopping) {
		if (req->cb.free)
			req->cb.free(req->cb.user);
		if (!req->internal)
			atomic_fetch_sub(&c->in_flight, 1);
		free(req);
		return c->stopping ? host_err(ESHUTDOWN, "controller is disconnecting")
				   : host_err(EINVAL, "controller uses the caller's loop: submit "
					      "from that loop's thread");
	}
	inbox_push(c, req);
	return cookie;
}

/* ---- Synchronous commands --------------------------------------------------------- */

static void sync_cmd_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct host_call *call = user;

	(void)cookie;
	call->cpl = *cpl;
	if (cpl->result == -EIO && cpl->status)
		call->status = cpl->status;
	if (cpl->result < 0)
		snprintf(call->msg, sizeof(call->msg), "%s", nvmf_completion_errmsg(cpl));
	host_call_done(call, cpl->result);
}

static void sync_cmd_fn(struct host_call *call)
{
	struct host_req *req = call->arg;
	int r;

	atomic_fetch_add(&call->c->in_flight, 1);
	r = host_dispatch(req);
	if (r < 0) {
		atomic_fetch_sub(&call->c->in_flight, 1);
		snprintf(call->msg, sizeof(call->msg), "%s", nvmf_get_error());
		free(req);
		host_call_done(call, r);
	}
}

int host_sync_cmd(struct nvmf_ctrl *c, struct host_req *req, struct nvmf_completion *cpl)
{
	struct host_call call;
	int r;

	req->cb.cb = sync_cmd_cb;
	req->cb.user = &call;
	req->cb.free = NULL;
	req->cookie = 0;
	r = host_call(c, sync_cmd_fn, req, &call);
	if (!call.started)
		free(req);	/* refused before it reached the loop */
	if (cpl)
		*cpl = call.cpl;
	return r;
}

/* ---- Queue pairs -------------------------------------------------------------------- */

/* The transport's text without its leading "queue N: ", said once already. */
static const char *strip_queue(const char *m)
{
	unsigned qid;
	int n = 0;

	if (sscanf(m, "queue %u: %n", &qid, &n) == 1 && n > 0)
		return m + n;
	return m;
}

static void q_on_connect(struct xp_qpair *qp, int status, void *arg)
{
	struct host_queue *q = arg;
	struct host_call *call = q->connect_call;
	struct nvmf_ctrl *c = q->c;

	q->connect_call = NULL;
	if (!call)
		return;
	if (status < 0) {
		const char *xm = xp_qpair_errmsg(qp);

		q->failed = true;
		/* The transport's text already names the queue and, for resolution
		 * and TCP failures, the address: a host name can be 255 characters,
		 * so it is not repeated. */
		if (xm[0] && strstr(xm, c->opts.traddr) != NULL)
			host_call_fail(call, status, "%s", xm);
		else
			host_call_fail(call, status, "queue %u: connecting to %s port %s: %s", q->qid,
				       c->opts.traddr, c->opts.trsvcid,
				       xm[0] ? strip_queue(xm) : strerror(-status));
		host_queue_close(q, status);
		return;
	}
	host_call_done(call, 0);
}

static void q_on_lost(struct xp_qpair *qp, int err, const char *msg, void *arg)
{
	(void)qp;
	host_queue_lost(arg, err, msg);
}

void host_queue_lost(struct host_queue *q, int err, const char *msg)
{
	struct nvmf_ctrl *c = q->c;
	struct nvmf_event ev = { .type = NVMF_EVENT_CONN_LOST, .error = err, .msg = q->errmsg };

	snprintf(q->errmsg, sizeof(q->errmsg), "%s", msg ? msg : "");
	q->failed = true;
	q->ready = false;
	if (!c->stopping)
		host_log(NVMF_LOG_ERROR, "queue %u lost: %s", q->qid, q->errmsg);
	/* What is still outstanding did not time out itself: it is aborted
	 * with the connection, as the transport does (xp_fail3). */
	host_queue_close(q, err == -ETIMEDOUT ? -ECONNABORTED : err);
	if (q == &c->admin) {
		c->failed = true;
		host_ka_stop(c);
		/*
		 * The admin queue carries the association (Fabrics 1.1, 3.3:
		 * I/O queues are connected to the admin queue's controller):
		 * once it is gone, a keep-alive timeout above all, the
		 * controller has given the host up (Base 2.0, 3.9.4) and its
		 * I/O queues are dead or about to be. Close them now so that
		 * what is in flight and what comes next fail at once rather
		 * than after io_timeout each, as Linux's error recovery does.
		 */
		/* All marked failed first: a completion's callback run by
		 * one close must not send I/O to a queue closed next. */
		for (int i = 0; i < c->nr_io; i++) {
			struct host_queue *io = &c->io[i];

			if (!io->qp || io->closing)
				continue;
			io->failed = true;
			io->ready = false;
			snprintf(io->errmsg, sizeof(io->errmsg), "the admin queue was lost: %.*s",
				 (int)sizeof(io->errmsg) - 32, q->errmsg);
		}
		for (int i = 0; i < c->nr_io; i++)
			if (c->io[i].failed)
				host_queue_close(&c->io[i], -ECONNRESET);
	}
	if (!c->stopping)
		host_event(c, &ev);
	/* Held commands may go to the queues left, or fail now if none is. */
	drain_waitq(c);
}

static void q_on_closed(struct xp_qpair *qp, void *arg)
{
	struct host_queue *q = arg;
	struct nvmf_ctrl *c = q->c;

	(void)qp;
	q->qp = NULL;
	q->ready = false;
	c->open_qpairs--;
}

static void q_log(void *arg, enum nvmf_log_level level, const char *msg)
{
	struct host_queue *q = arg;
	enum nvmf_log_level l = level;

	/*
	 * Once nvmf_disconnect() started, what the transport reports -- the
	 * controller closing the connection after shutdown, commands canceled
	 * by the close -- is the teardown itself: a trace, not an error. A
	 * shutdown that really failed is nvmf_disconnect()'s return value.
	 * (The transport's messages already name the queue.)
	 */
	if (atomic_load(&q->c->stopping) && l < NVMF_LOG_INFO)
		l = NVMF_LOG_DEBUG;
	if (host_log_enabled(l))
		host_log(l, "%s", msg);
}

int host_queue_open(struct host_queue *q, struct host_call *call)
{
	struct nvmf_ctrl *c = q->c;
	struct xp_qpair_opts o;
	struct xp_qpair_cbs cbs = {
		.on_connect = q_on_connect,
		.on_lost = q_on_lost,
		.on_closed = q_on_closed,
		.log = q_log,
	};
	int r;

	memset(&o, 0, sizeof(o));
	o.qid = q->qid;
	o.qsize = q->qsize;
	o.tp.tcp.hdgst = c->opts.hdr_digest;
	o.tp.tcp.ddgst = c->opts.data_digest;
	o.tp.tcp.hpda = 0;
	/* In-capsule data: 8 KiB on the admin queue (NVMe/TCP 1.0, 3.3.1),
	 * IOCCSZ * 16 - 64 on I/O queues. */
	o.icd_max = q->qid == 0 ? NVMF_TCP_ADMIN_ICD_MAX : c->icd_max;
	o.connect_timeout_ms = (uint32_t)c->opts.connect_timeout * 1000u;
	o.default_timeout_ms = 0;	/* every command carries its own */
	q->failed = false;
	q->closing = false;
	q->ready = false;
	r = xp_qpair_create("tcp", c->loop, &o, &cbs, q, &q->qp);
	if (r < 0) {
		q->qp = NULL;
		host_call_fail(call, r, "queue %u: cannot create the queue pair: %s", q->qid,
			       strerror(-r));
		return r;
	}
	c->open_qpairs++;
	/* Before Connect: the transport must know whether SQHD is tracked. */
	xp_qpair_set_sqfc_disable(q->qp, c->opts.disable_sqflow);
	q->connect_call = call;
	r = xp_qpair_connect(q->qp, c->opts.traddr, c->opts.trsvcid);
	if (r < 0) {
		q->connect_call = NULL;
		host_call_fail(call, r, "queue %u: cannot connect to %s port %s: %s", q->qid,
			       c->opts.traddr, c->opts.trsvcid,
			       xp_qpair_errmsg(q->qp)[0] ? xp_qpair_errmsg(q->qp) : strerror(-r));
		host_queue_close(q, r);
		return r;
	}
	return 0;
}

void host_queue_close(struct host_queue *q, int err)
{
	struct host_call *call = q->connect_call;

	q->ready = false;
	/* Closed while its transport connect is under way (the admin queue
	 * was lost meanwhile): the queue pair will not report the connect, so
	 * the caller waiting for it hears now. */
	if (call) {
		q->connect_call = NULL;
		q->failed = true;
		host_call_fail(call, err < 0 ? err : -ECANCELED, "queue %u: closed while connecting: %s",
			       q->qid, q->c->failed ? "the controller's admin queue was lost"
						    : "the controller is disconnecting");
	}
	if (q->qp && !q->closing) {
		q->closing = true;
		xp_qpair_close(q->qp, err);
	}
}

void host_event(struct nvmf_ctrl *c, const struct nvmf_event *ev)
{
	struct nvmf_event e = *ev;

	if (!c->opts.event_cb)
		return;
	if (!e.msg)
		e.msg = "";	/* promised never NULL */
	c->in_cb++;
	c->opts.event_cb(c->opts.event_user, &e);
	c->in_cb--;
}
