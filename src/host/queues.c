/*
 * Queue pair slots: opening one (transport connect), losing one, closing
 * one, and the events that go with them. A slot is reused: after an outage
 * the bring-up opens a new queue pair in it (state.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

/* The transport's text without its leading "queue N: ", said once already. */
static const char *strip_queue(const char *m)
{
	unsigned qid;
	int n = 0;

	if (sscanf(m, "queue %u: %n", &qid, &n) == 1 && n > 0)
		return m + n;
	return m;
}

/* Tell whoever opened q how its transport connect ended (once). */
static void connect_report(struct host_queue *q, int r, const char *msg)
{
	void (*cb)(struct host_queue *, int, const char *) = q->connect_cb;

	q->connect_cb = NULL;
	if (cb)
		cb(q, r, msg);
}

static void q_on_connect(struct xp_qpair *qp, int status, void *arg)
{
	struct host_queue *q = arg;
	struct nvmf_ctrl *c = q->c;
	char msg[HOST_MSG_MAX];

	if (!q->connect_cb)
		return;
	if (status < 0) {
		const char *xm = xp_qpair_errmsg(qp);

		q->failed = true;
		/* The transport's text already names the queue and, for resolution
		 * and TCP failures, the address: a host name can be 255 characters,
		 * so it is not repeated. */
		if (xm[0] && strstr(xm, c->opts.traddr) != NULL)
			snprintf(msg, sizeof(msg), "%s", xm);
		else
			snprintf(msg, sizeof(msg), "queue %u: connecting to %.120s port %.32s: %.300s",
				 q->qid, c->opts.traddr, c->opts.trsvcid,
				 xm[0] ? strip_queue(xm) : strerror(-status));
		/* Told here, with the transport's reason, not by the close. */
		{
			void (*cb)(struct host_queue *, int, const char *) = q->connect_cb;

			q->connect_cb = NULL;
			host_queue_close(q, status);
			cb(q, status, msg);
		}
		return;
	}
	connect_report(q, 0, NULL);
}

static void q_on_lost(struct xp_qpair *qp, int err, const char *msg, void *arg)
{
	(void)qp;
	host_queue_lost(arg, err, msg);
}

void host_queue_lost(struct host_queue *q, int err, const char *msg)
{
	struct nvmf_ctrl *c = q->c;
	char why[HOST_MSG_MAX];

	if (q->failed && q->closing)
		return;		/* said already */
	snprintf(q->errmsg, sizeof(q->errmsg), "%s", msg ? msg : "");
	q->failed = true;
	q->ready = false;
	/* A trace: the outage it starts is logged once, by state.c. */
	host_dbg("queue %u lost: %s", q->qid, strip_queue(q->errmsg));
	/* What is still outstanding did not time out itself: it is aborted
	 * with the connection, as the transport does (xp_fail3). */
	host_queue_close(q, err == -ETIMEDOUT ? -ECONNABORTED : err);
	/*
	 * One queue lost is the controller lost: the admin queue carries the
	 * association (Fabrics 1.1, 3.3: I/O queues are connected to the admin
	 * queue's controller), and an I/O queue's connection failing means the
	 * path failed. Like Linux's error recovery, the whole controller is
	 * reset (state.c), rather than waiting for io_timeout on each queue.
	 */
	if (q->qid == 0 && c->ka_timed_out)
		/* keepalive.c saw its command expire just before this. */
		snprintf(why, sizeof(why), "the admin queue was lost: Keep Alive got no answer "
			 "within KATO (%u ms): %.380s", c->kato_ms, q->errmsg);
	else if (q->qid == 0)
		/* The association itself. */
		snprintf(why, sizeof(why), "the admin queue was lost: %.400s", q->errmsg);
	else if (strncmp(q->errmsg, "queue ", 6) == 0)
		snprintf(why, sizeof(why), "%s", q->errmsg);
	else
		snprintf(why, sizeof(why), "queue %u: %.400s", q->qid, q->errmsg);
	host_ctrl_failed(c, err, why, false);
	/* During a bring-up one queue lost ends the attempt: close the rest,
	 * so that a transport connect under way fails now with this reason
	 * rather than after connect_timeout. */
	if (c->bu && !c->stopping) {
		host_state_note(c, err, why);
		host_queues_close_all(c, -ECONNRESET, why);
	}
	/* Held commands may go to the queues left, or wait, or fail. */
	host_drain_waitq(c);
}

static void q_on_closed(struct xp_qpair *qp, void *arg)
{
	struct host_queue *q = arg;
	struct nvmf_ctrl *c = q->c;

	(void)qp;
	q->qp = NULL;
	q->ready = false;
	if (--c->open_qpairs == 0)
		host_state_queues_closed(c);
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
	 * Likewise for the queues of a controller already out of LIVE: the
	 * outage was reported once. (The messages already name the queue.)
	 */
	if ((atomic_load(&q->c->stopping) || q->c->state != NVMF_CTRL_LIVE) &&
	    l < NVMF_LOG_INFO)
		l = NVMF_LOG_DEBUG;
	if (host_log_enabled(l))
		host_log(l, "%s", msg);
}

int host_queue_open(struct host_queue *q, void (*cb)(struct host_queue *, int, const char *),
		    void *arg)
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
	if (c->opts.tls) {
		o.tp.tcp.tls = true;
		o.tp.tcp.tls_compat = c->opts.tls_compat;
		o.tp.tcp.tls_identity = (int8_t)c->opts.tls_identity;
		o.tp.tcp.tls_key = c->opts.tls_key[0] ? c->opts.tls_key : NULL;
		o.tp.tcp.tls_key_file = c->opts.tls_key_file[0] ? c->opts.tls_key_file : NULL;
		o.tp.tcp.tls_hostnqn = c->opts.hostnqn;
		o.tp.tcp.tls_subnqn = c->opts.subnqn;
	}
	/* In-capsule data: 8 KiB on the admin queue (NVMe/TCP 1.0, 3.3.1),
	 * IOCCSZ * 16 - 64 on I/O queues. */
	o.icd_max = q->qid == 0 ? NVMF_TCP_ADMIN_ICD_MAX : c->icd_max;
	o.connect_timeout_ms = (uint32_t)c->opts.connect_timeout * 1000u;
	o.default_timeout_ms = 0;	/* every command carries its own */
	q->failed = false;
	q->closing = false;
	q->ready = false;
	q->errmsg[0] = '\0';
	r = xp_qpair_create("tcp", c->loop, &o, &cbs, q, &q->qp);
	if (r < 0) {
		q->qp = NULL;
		q->failed = true;
		return host_err(r, "queue %u: cannot create the queue pair: %s", q->qid,
				strerror(-r));
	}
	c->open_qpairs++;
	/* Before Connect: the transport must know whether SQHD is tracked. */
	xp_qpair_set_sqfc_disable(q->qp, c->opts.disable_sqflow);
	q->connect_cb = cb;
	q->connect_arg = arg;
	r = xp_qpair_connect(q->qp, c->opts.traddr, c->opts.trsvcid);
	if (r < 0) {
		q->connect_cb = NULL;
		/* Refused before any network I/O: the transport's text names
		 * the queue and what was wrong (a TLS key, say), which no
		 * "cannot connect to" should dress up as a network failure. */
		if (xp_qpair_errmsg(q->qp)[0])
			r = host_err(r, "%s", xp_qpair_errmsg(q->qp));
		else
			r = host_err(r, "queue %u: cannot connect to %.255s port %s: %s", q->qid,
				     c->opts.traddr, c->opts.trsvcid, strerror(-r));
		q->failed = true;
		host_queue_close(q, r);
		return r;
	}
	return 0;
}

void host_queue_close(struct host_queue *q, int err)
{
	q->ready = false;
	/* Closed while its transport connect is under way (the controller
	 * failed meanwhile, or is disconnecting): the queue pair will not
	 * report the connect, so the opener hears now. */
	if (q->connect_cb) {
		char msg[HOST_MSG_MAX];

		q->failed = true;
		snprintf(msg, sizeof(msg), "queue %u: closed while connecting: %.400s", q->qid,
			 q->c->stopping ? "the controller is disconnecting"
			 : q->errmsg[0] ? q->errmsg : "the controller's connection was lost");
		connect_report(q, err < 0 ? err : -ECANCELED, msg);
	}
	if (q->qp && !q->closing) {
		q->closing = true;
		xp_qpair_close(q->qp, err);
	}
}

void host_queues_close_all(struct nvmf_ctrl *c, int err, const char *why)
{
	/* All marked failed first: a completion's callback run by one close
	 * must not send a command to a queue closed next. */
	for (int i = 0; i < c->nr_io; i++) {
		struct host_queue *io = &c->io[i];

		if (!io->qp || io->closing)
			continue;
		io->failed = true;
		io->ready = false;
		if (why && !io->errmsg[0])
			snprintf(io->errmsg, sizeof(io->errmsg), "%s", why);
	}
	if (c->admin.qp && !c->admin.closing) {
		c->admin.failed = true;
		c->admin.ready = false;
	}
	for (int i = 0; i < c->nr_io; i++)
		host_queue_close(&c->io[i], err);
	host_queue_close(&c->admin, err);
}

void host_event(struct nvmf_ctrl *c, const struct nvmf_event *ev)
{
	struct nvmf_event e = *ev;

	/* None once nvmf_disconnect() has begun (nvmf_events(3)): neither
	 * during its drain nor after. */
	if (!c->opts.event_cb || atomic_load(&c->draining) || c->stopping)
		return;
	if (!e.msg)
		e.msg = "";	/* promised never NULL */
	host_cb_enter(c);
	c->opts.event_cb(c->opts.event_user, &e);
	host_cb_exit();
}
