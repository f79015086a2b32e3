/*
 * Requests: their dispatch to queue pairs, the wait for a free submission
 * queue entry, completion, and the synchronous form. What becomes of them
 * while the controller is not LIVE (the held list) is in outage.c.
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

/* ---- Requests --------------------------------------------------------------------- */

struct host_req *host_req_new(struct nvmf_ctrl *c, bool admin, const char *what)
{
	/* Pooled (reqpool.c): no allocation per command once warm. */
	struct host_req *req = host_req_alloc(c);

	if (!req)
		return NULL;
	req->kind = HOST_REQ_CMD;
	req->c = c;
	req->admin = admin;
	req->what = what;
	req->xc.timeout_ms = (uint32_t)c->opts.io_timeout * 1000u;
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
	 * callback sees a consistent in-flight count. Only the application's
	 * commands keep a polling thread polling (nvmf.h, POLLING): the
	 * library's own (Keep Alive every kato/2, AER, CSTS) would keep an
	 * idle controller's thread spinning forever. */
	if (!req->internal) {
		atomic_fetch_sub(&c->in_flight, 1);
		if (c->hl)
			c->hl->poll_work++;
	}
	host_cb_enter(c);
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
	host_cb_exit();
	host_req_free(c, req);
}

void host_req_fail(struct host_req *req, int err, const char *msg)
{
	struct nvmf_completion cpl = { .result = err };

	req_finish(req, &cpl, msg);
}

/* A request refused on the loop: try_dispatch() named it in the thread's error. */
void host_req_refuse(struct host_req *req, int err)
{
	char msg[HOST_MSG_MAX];

	/* A copy: the callback's own library calls reuse the thread's error. */
	snprintf(msg, sizeof(msg), "%s", nvmf_get_error());
	host_req_fail(req, err, msg);
}

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

	if (status > 0)
		host_status_format((uint16_t)status, req->xc.sqe.opcode, st, sizeof(st));
	if (status == NVMF_SC_TRANSIENT_TRANSPORT && xm[0])
		/* Made up by the transport (a data digest error): say why. */
		snprintf(msg, len, "%s failed: %s; %.*s", req->what, st,
			 (int)(len > 192 ? len - 192 : 0), xm);
	else if (status > 0 && req->retries > 0)
		snprintf(msg, len, "%s failed: %s (attempt %u; retried for a status without DNR)",
			 req->what, st, req->retries + 1u);
	else if (status > 0)
		snprintf(msg, len, "%s failed: %s", req->what, st);
	else if (status == -ECONNRESET && req->c->state != NVMF_CTRL_LIVE && !xm[0])
		/* Closed by the host because another queue failed (state.c). */
		snprintf(msg, len, "%s failed: the controller's connection was lost%s%.*s",
			 req->what, req->c->last_msg[0] ? ": " : "",
			 (int)(len > 96 ? len - 96 : 0), req->c->last_msg);
	else if (status == -ECANCELED)
		/* The host closed the queue pair: the transport's text, if any,
		 * is about something earlier. */
		snprintf(msg, len, "%s canceled: %s", req->what,
			 req->c->stopping ? "the controller is disconnecting"
					  : "its queue was closed");
	else
		snprintf(msg, len, "%s failed: %.*s", req->what, (int)(len > 64 ? len - 64 : 0),
			 xm[0] ? xm : strerror(-status));
	if (status < 0 && status != -ECANCELED)
		host_replay_limit_note(req, msg, len);
}

/* ---- Retries: a status without DNR ---------------------------------------------------- */

/* At most this many resubmissions for a status without DNR (as Linux's
 * nvme_max_retries). */
#define HOST_MAX_RETRIES 5

static void held_arm(struct nvmf_ctrl *c, uint64_t deadline);

/*
 * A status without DNR says the command may succeed if submitted again
 * (Base 2.0, 4.6.1, Figure 93): a controller short of buffers (Command
 * Interrupted), a transient transport error, a data digest error. I/O
 * commands (the replayable ones; passthrough is the caller's to retry) go
 * again, up to HOST_MAX_RETRIES times, as Linux's block layer does. The
 * Command Retry Delay field picks the wait, CRDT1-3 of Identify Controller
 * in 100 ms units (Base 2.0, 5.17.2.1; the host asked for it with ACRE,
 * bringup.c); CRD 0, none. A delay is bounded by the command's timeout.
 */
static bool retry(struct host_req *req, uint16_t status)
{
	struct nvmf_ctrl *c = req->c;
	/* Without ACRE the field is reserved (the controller leaves it 0). */
	unsigned crd = c->acre ? NVMF_SF_CRD(status) : 0;
	uint64_t delay = crd ? c->crdt[crd - 1] * 100ull : 0;
	char st[128];

	if (!req->replayable || NVMF_SF_DNR(status) || req->retries >= HOST_MAX_RETRIES ||
	    c->stopping || c->state != NVMF_CTRL_LIVE)
		return false;
	if (req->xc.timeout_ms && delay > req->xc.timeout_ms)
		delay = req->xc.timeout_ms;
	req->retries++;
	host_dbg("%s: %s: retry %u of %d in %llu ms", req->what,
		 nvmf_status_format(status, st, sizeof(st)), req->retries, HOST_MAX_RETRIES,
		 (unsigned long long)delay);
	/* From the time now, not the loop's cached time (taken when this
	 * turn began, maybe milliseconds ago): the controller asked for at
	 * least delay ms (Base 2.0, CRDT), and early retries can make three
	 * CRD waits of 100 ms less than 300 ms (test_io_interrupted). Not on
	 * the I/O path. */
	uv_update_time(c->loop);
	/* + 1: uv_now() counts whole milliseconds, rounded down. */
	req->retry_at = uv_now(c->loop) + delay + (delay ? 1 : 0);
	req->next = NULL;
	if (c->retryq)
		*c->retryq_tail = req;
	else
		c->retryq = req;
	c->retryq_tail = &req->next;
	held_arm(c, req->retry_at);
	return true;
}

/* Resubmit the retries whose delay is over, in the order they failed;
 * returns the earliest retry_at of those left (0: none). */
static uint64_t retry_due(struct nvmf_ctrl *c, uint64_t now)
{
	struct host_req *due = NULL, **tail = &due, **pp = &c->retryq;
	uint64_t next = 0;

	while (*pp) {
		struct host_req *req = *pp;

		if (req->retry_at > now) {
			if (next == 0 || req->retry_at < next)
				next = req->retry_at;
			pp = &req->next;
			continue;
		}
		*pp = req->next;
		req->next = NULL;
		*tail = req;
		tail = &req->next;
	}
	c->retryq_tail = pp;
	while (due) {
		struct host_req *req = due;
		int r;

		due = req->next;
		r = host_dispatch(req);
		if (r < 0)
			host_req_refuse(req, r);
	}
	return next;
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
	if (status > 0 && retry(req, (uint16_t)status)) {
		/* Its entry is free: what waited for one goes now. */
		host_drain_waitq(c);
		return;
	}
	/* A queue pair that is failing completes its commands before its
	 * on_lost tells us (which then fails the controller, state.c): they
	 * are held already, as if the controller had failed. */
	if (status < 0 && req->replayable &&
	    host_hold(req, xp_qpair_state(qp) != XP_QP_READY)) {
		host_dbg("%s held for replay: %s", req->what,
			 xp_qpair_errmsg(qp)[0] ? xp_qpair_errmsg(qp) : strerror(-status));
		return;
	}
	if (status != 0 && req->cb.cb)
		xp_done_msg(req, qp, status, msg, sizeof(msg));
	atomic_store(&c->last_completion_ms, uv_now(c->loop));
	req_finish(req, &cpl, status != 0 ? msg : NULL);
	host_drain_waitq(c);
}

/* ---- Dispatch: to a queue pair, or the wait for a free entry -------------------- */

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

/*
 * The namespace of an I/O command checked again on the loop thread when a
 * scan replaced the table since the submitter checked it: after a
 * reconnect, a namespace that is not the same one must not be written.
 */
static int ns_still_valid(struct host_req *req)
{
	struct nvmf_ctrl *c = req->c;
	uint64_t gen;
	uint32_t nsid = nvmf_le32toh(req->xc.sqe.nsid);
	const struct nvmf_ns_info *ns = host_ns_lookup_gen(c, nsid, &gen);

	if (gen == req->nsgen)
		return 0;
	req->nsgen = gen;
	if (!ns)
		return host_err(ENODEV, "%s: namespace %u is gone", req->what, nsid);
	if (!ns->supported)
		return host_err(ENODEV, "%s: namespace %u is not usable any more: %.300s",
				req->what, nsid, ns->reason);
	return 0;
}

/* Hand req to a queue pair: 0, -EAGAIN (all full) or another negative errno. */
static int try_dispatch(struct host_req *req, struct host_queue *q)
{
	struct nvmf_ctrl *c = req->c;
	bool full = false;
	int r;

	if (!q && c->state != NVMF_CTRL_LIVE)
		return host_outage_dispatch(req);
	if (!q) {
		if (req->admin) {
			q = &c->admin;
			if (!q->ready)
				q = NULL;
		} else {
			if (c->nr_io == 0)
				return host_err(ENOTCONN, "%s: the controller has no I/O queues (%s)",
						req->what, c->info.discovery ?
						"a discovery controller" :
						c->info.cntrltype == NVMF_CNTRLTYPE_ADMIN ?
						"an administrative controller, CNTRLTYPE 3" :
						"connected with nr_io_queues 0");
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
	if (!q || !q->qp || q->failed || q->closing || (!q->ready && !req->connect))
		return host_err(ENOTCONN, "%s: %s", req->what,
				c->stopping ? "controller is disconnecting"
				: c->failed ? "the controller's connection was lost"
					    : "the queue's connection is lost");
	/* Handed over as built: no copy of the SQE on the way (issue 15). */
	req->xc.cb = host_xp_done;
	req->xc.arg = req;
	r = xp_submit(q->qp, &req->xc);
	if (r == -EAGAIN)
		return -EAGAIN;
	if (r == 0)
		req->dispatched = true;
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
 * Whether the queues of class k (0 admin, 1 I/O) have a command with a
 * timeout outstanding: then an entry frees up when it completes, and if it
 * never does the transport fails the connection at its deadline, which
 * holds the commands waiting here for the reconnect (OUTAGES). Either way
 * the wait ends without failing them.
 */
static bool class_moving(struct nvmf_ctrl *c, int k)
{
	if (k == 0)
		return c->admin.qp && xp_qpair_timed_inflight(c->admin.qp);
	for (int i = 0; i < c->nr_io; i++)
		if (c->io[i].qp && xp_qpair_timed_inflight(c->io[i].qp))
			return true;
	return false;
}

/*
 * Commands waiting for a free queue entry whose timeout passed. While their
 * queues have commands in flight they wait on, for another timeout: those
 * commands' own deadlines bound the wait (class_moving), and failing the
 * waiting ones first would turn an outage the controller rides out into
 * -ETIMEDOUT for whatever was submitted in the same loop turn as the last
 * dispatched commands. With nothing in flight, nothing else would end the
 * wait: they fail with -ETIMEDOUT. They never reached the controller, so
 * unlike a command timeout in the transport nothing of theirs is on the wire
 * and the connection need not be closed for their buffers' sake; what is
 * wrong (a controller that stopped moving its SQ head, NVMe over Fabrics
 * 1.1, 3.3.1.1 / Base 2.0, 4.1) shows in the message.
 */
static void held_timer_cb(uv_timer_t *t)
{
	struct nvmf_ctrl *c = t->data;
	uint64_t now = uv_now(c->loop), next = 0;
	struct host_req *expired = NULL, **tail = &expired;

	c->held_due = 0;
	for (int k = 0; k < 2; k++) {
		struct host_req **pp = &c->waitq[k];
		int moving = -1;	/* class_moving(), asked once */

		while (*pp) {
			struct host_req *req = *pp;

			if (req->held_deadline == 0 || req->held_deadline > now) {
				pp = &req->next;
				continue;
			}
			/* Keep Alive (urgent) keeps its own bound: its loss must
			 * show within KATO (keepalive.c), not at the deadline of
			 * whatever else the admin queue has in flight. */
			if (moving < 0 && !req->urgent && !req->q)
				moving = class_moving(c, k);
			if (moving > 0 && !req->urgent && !req->q) {
				req->held_deadline = now + req->xc.timeout_ms;
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
		snprintf(msg, sizeof(msg), "%s timed out: no free submission queue entry for "
			 "at least %u ms, the last of them with no command with a timeout in "
			 "flight (the controller's SQ head pointer did not advance)", req->what,
			 req->xc.timeout_ms);
		/* The caller hears of it through the completion. */
		host_log(NVMF_LOG_DEBUG, "%s", msg);
		host_req_fail(req, -ETIMEDOUT, msg);
	}
	/* Retries whose delay is over; callbacks may have held more, and
	 * resubmissions may have waited: rearm for the earliest left. */
	next = retry_due(c, now);
	host_drain_waitq(c);
	for (int k = 0; k < 2; k++)
		for (struct host_req *req = c->waitq[k]; req; req = req->next)
			if (req->held_deadline != 0 && (next == 0 || req->held_deadline < next))
				next = req->held_deadline;
	if (next != 0)
		held_arm(c, next);
}

/*
 * A reconnect may bring the controller back with a smaller MDTS (Base 2.0,
 * 5.17.2.1) than the one a command was checked against when it was built:
 * held through the outage, waiting out a retry delay, or on its way from
 * another thread. Sent anyway, it would be refused as an Invalid Field that
 * names nothing.
 */
static int xfer_still_valid(const struct host_req *req)
{
	uint32_t max_xfer = atomic_load_explicit(&req->c->max_xfer, memory_order_relaxed);

	if (max_xfer == 0 || req->xc.len <= max_xfer)
		return 0;
	return host_err(EINVAL, "%s: %u bytes exceed the controller's transfer limit, "
			"lowered by a reconnect since it was submitted (MDTS %u bytes)",
			req->what, req->xc.len, max_xfer);
}

int host_dispatch(struct host_req *req)
{
	struct nvmf_ctrl *c = req->c;
	int k = req_class(req), r;

	/* Keep order within a class: while others wait, wait behind them.
	 * Keep Alive has no order to keep: it goes first, and waits first. */
	if (req->replayable && (r = ns_still_valid(req)) < 0)
		return r;
	if (req->replayable && (r = xfer_still_valid(req)) < 0)
		return r;
	if (!req->q && c->state != NVMF_CTRL_LIVE)
		r = host_outage_dispatch(req);
	else if (c->waitq[k] && !req->urgent)
		r = -EAGAIN;
	else
		r = try_dispatch(req, req_queue(req));
	if (r == 1)
		return 0;	/* held for the reconnect */
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
	req->held_deadline = req->xc.timeout_ms ? uv_now(c->loop) + req->xc.timeout_ms : 0;
	if (req->held_deadline)
		held_arm(c, req->held_deadline);
	return 0;
}

void host_drain_waitq(struct nvmf_ctrl *c)
{
	for (int k = 0; k < 2; k++) {
		while (c->waitq[k]) {
			struct host_req *req = c->waitq[k];
			struct host_req *next = req->next;	/* a hold relinks req */
			int r = try_dispatch(req, req_queue(req));

			if (r == -EAGAIN)
				break;
			c->waitq[k] = next;
			if (r < 0)
				host_req_refuse(req, r);
		}
	}
}

/* Requests aimed at one queue (Fabrics Connect before the queue is ready). */
static struct host_queue *req_queue(struct host_req *req)
{
	return req->q;
}

/* A submission refused before it was handed over: no completion, but the
 * free hook runs once. */
static int64_t submit_refused(struct host_req *req, int r)
{
	struct nvmf_ctrl *c = req->c;

	if (req->cb.free)
		req->cb.free(req->cb.user);
	if (!req->internal)
		atomic_fetch_sub(&c->in_flight, 1);
	host_req_free(c, req);
	return r;
}

int64_t host_submit(struct host_req *req)
{
	struct nvmf_ctrl *c = req->c;
	int64_t cookie = (int64_t)atomic_fetch_add(&c->next_cookie, 1);
	int r;

	req->cookie = (uint64_t)cookie;
	if (!req->internal)
		atomic_fetch_add(&c->in_flight, 1);
	/* nvmf_disconnect() has begun: what was submitted before it still
	 * completes (its drain, connect.c); nothing new from any thread, the
	 * callbacks' resubmissions included, or the drain would not end. */
	if (!req->internal && (atomic_load(&c->draining) || atomic_load(&c->stopping)))
		return submit_refused(req, host_err(ESHUTDOWN, "%s: the controller is "
						    "disconnecting", req->what));
	if (host_on_loop_thread(c)) {
		r = host_dispatch(req);
		if (r < 0)
			return submit_refused(req, r);
		return cookie;
	}
	if (atomic_load(&c->stopping))
		return submit_refused(req, host_err(ESHUTDOWN, "controller is disconnecting"));
	if (!c->own_thread)
		return submit_refused(req, host_err(EINVAL, "controller uses the caller's loop: "
						    "submit from that loop's thread"));
	host_inbox_push(c, req);
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
	/* A cookie for its place in the held list's order; never returned. */
	req->cookie = atomic_fetch_add(&call->c->next_cookie, 1);
	r = host_dispatch(req);
	if (r < 0) {
		atomic_fetch_sub(&call->c->in_flight, 1);
		snprintf(call->msg, sizeof(call->msg), "%s", nvmf_get_error());
		host_req_free(call->c, req);
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
		host_req_free(c, req);	/* refused before it reached the loop */
	if (cpl)
		*cpl = call.cpl;
	return r;
}
