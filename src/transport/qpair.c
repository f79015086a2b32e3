/*
 * Transport-neutral queue pair: request pool, command identifiers, SQ head
 * accounting, per-command timeouts and the queue pair's life cycle. The
 * transport (ops table) moves bytes; everything that is the same for every
 * fabric lives here (NVMe over Fabrics 1.1, 2 and 3.3).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>

#include "transport/xport.h"

/*
 * CID layout: the low 10 bits are the request's pool index, the high 6 a
 * generation bumped at every reuse, so that a late or duplicated
 * completion for a recycled slot is recognized as unknown rather than
 * completing the wrong command. The pool never exceeds 1023 entries
 * (XP_QSIZE_MAX - 1), so CID 0xffff is never produced.
 */
#define XP_CID_IDX_BITS 10
#define XP_CID_IDX_MASK ((1u << XP_CID_IDX_BITS) - 1)

#define XP_CONNECT_TIMEOUT_DEFAULT_MS 10000

static const struct xp_ops *xp_find_ops(const char *trtype)
{
	if (trtype != NULL && strcmp(trtype, "tcp") == 0)
		return &tcp_host_xp_ops;
	return NULL;
}

struct xp_req *xp_req_at(struct xp_qpair *qp, uint16_t idx)
{
	if (idx >= qp->nreqs)
		return NULL;
	return (struct xp_req *)(qp->pool + (size_t)idx * qp->ops->req_size);
}

void xp_log(struct xp_qpair *qp, enum nvmf_log_level level, const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	if (qp->cbs.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	qp->cbs.log(qp->cb_arg, level, buf);
}

void xp_set_error(struct xp_qpair *qp, const char *fmt, ...)
{
	char buf[sizeof(qp->errmsg) - 24];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Name the queue: a controller has many and the owner passes the text on. */
	snprintf(qp->errmsg, sizeof(qp->errmsg), "queue %u: %s", qp->opts.qid, buf);
	if (qp->cbs.log != NULL)
		qp->cbs.log(qp->cb_arg, NVMF_LOG_ERROR, qp->errmsg);
}

static void xp_timer_cb(uv_timer_t *t);

/* Arm the queue pair's single timer for deadline if it is earlier. */
static void xp_timer_arm(struct xp_qpair *qp, uint64_t deadline)
{
	uint64_t now = uv_now(qp->loop);

	if (qp->state == XP_QP_CLOSING)
		return;
	if (qp->timer_due != 0 && qp->timer_due <= deadline)
		return;
	qp->timer_due = deadline;
	uv_timer_start(&qp->timer, xp_timer_cb, deadline > now ? deadline - now : 0, 0);
}

int xp_qpair_create(const char *trtype, uv_loop_t *loop, const struct xp_qpair_opts *opts,
		    const struct xp_qpair_cbs *cbs, void *cb_arg, struct xp_qpair **out)
{
	const struct xp_ops *ops = xp_find_ops(trtype);
	struct xp_qpair *qp;
	uint16_t i;
	int rc;

	*out = NULL;
	if (ops == NULL)
		return -EPROTONOSUPPORT;
	if (loop == NULL || opts == NULL || opts->qsize < XP_QSIZE_MIN ||
	    opts->qsize > XP_QSIZE_MAX)
		return -EINVAL;

	qp = calloc(1, ops->qpair_size);
	if (qp == NULL)
		return -ENOMEM;
	qp->ops = ops;
	qp->loop = loop;
	qp->opts = *opts;
	qp->opts.host_traddr = NULL;
	if (qp->opts.connect_timeout_ms == 0)
		qp->opts.connect_timeout_ms = XP_CONNECT_TIMEOUT_DEFAULT_MS;
	if (cbs != NULL)
		qp->cbs = *cbs;
	qp->cb_arg = cb_arg;
	qp->state = XP_QP_IDLE;
	qp->sqfc = true;
	if (opts->host_traddr != NULL && opts->host_traddr[0] != '\0') {
		qp->host_traddr = strdup(opts->host_traddr);
		if (qp->host_traddr == NULL)
			goto nomem;
	}

	qp->nreqs = opts->qsize - 1;
	qp->pool = calloc(qp->nreqs, ops->req_size);
	if (qp->pool == NULL)
		goto nomem;
	/* Free list in index order, so CIDs start at 0 and tests are readable. */
	for (i = qp->nreqs; i-- > 0;) {
		struct xp_req *req = xp_req_at(qp, i);

		req->qp = qp;
		req->cid = i;
		req->next = qp->free_list;
		qp->free_list = req;
	}

	uv_timer_init(loop, &qp->timer);
	qp->timer.data = qp;
	qp->open_handles = 1;

	rc = ops->init != NULL ? ops->init(qp) : 0;
	if (rc != 0) {
		/* Nothing transport-side is open: close the timer and let the
		 * close callback free the memory. */
		qp->cbs.on_closed = NULL;
		xp_qpair_close(qp, -ECANCELED);
		return rc;
	}
	*out = qp;
	return 0;

nomem:
	free(qp->host_traddr);
	free(qp->pool);
	free(qp);
	return -ENOMEM;
}

int xp_qpair_connect(struct xp_qpair *qp, const char *traddr, const char *trsvcid)
{
	int rc;

	if (qp->state != XP_QP_IDLE)
		return -EALREADY;
	if (traddr == NULL || traddr[0] == '\0' || trsvcid == NULL || trsvcid[0] == '\0') {
		xp_set_error(qp, "connect: %s is empty",
			     traddr == NULL || traddr[0] == '\0' ? "traddr" : "trsvcid");
		return -EINVAL;
	}
	qp->state = XP_QP_CONNECTING;
	qp->connect_deadline = uv_now(qp->loop) + qp->opts.connect_timeout_ms;
	xp_timer_arm(qp, qp->connect_deadline);
	rc = qp->ops->connect(qp, traddr, trsvcid);
	if (rc != 0) {
		qp->state = XP_QP_IDLE;
		uv_timer_stop(&qp->timer);
		qp->timer_due = 0;
	}
	return rc;
}

void xp_connect_done(struct xp_qpair *qp, int status)
{
	if (qp->state != XP_QP_CONNECTING)
		return;
	if (status != 0) {
		xp_fail(qp, status);
		return;
	}
	qp->state = XP_QP_READY;
	qp->connect_deadline = 0;
	/* The timer stays armed if it was; it rearms itself for commands. */
	if (qp->cbs.on_connect != NULL)
		qp->cbs.on_connect(qp, 0, qp->cb_arg);
}

/* Give the request back to the pool. */
static void xp_req_release(struct xp_qpair *qp, struct xp_req *req)
{
	uint16_t idx = req->cid & XP_CID_IDX_MASK;
	uint16_t gen = (uint16_t)((req->cid >> XP_CID_IDX_BITS) + 1) & 0x3f;

	req->busy = false;
	req->cb = NULL;
	req->arg = NULL;
	req->buf = NULL;
	req->deadline = 0;
	req->cid = (uint16_t)(idx | (gen << XP_CID_IDX_BITS));
	req->next = qp->free_list;
	qp->free_list = req;
	qp->stats.inflight--;
}

static void xp_req_finish(struct xp_req *req, const struct xp_cpl *cpl, int status)
{
	struct xp_qpair *qp = req->qp;
	xp_cmd_cb cb = req->cb;
	void *arg = req->arg;

	xp_req_release(qp, req);
	qp->stats.cmds_completed++;
	if (status != 0)
		qp->stats.cmds_failed++;
	if (cb != NULL)
		cb(qp, cpl, status, arg);
}

/*
 * Move the SQ head forward to head_seq, never backwards and never past the
 * tail (NVMe Base 2.0, 4.1: entries between head and tail are the ones the
 * controller has not consumed). Anything else is stale or wrong and
 * ignored: a CQE reporting an older head than one already derived from a
 * SUCCESS completion must not shrink the room the host knows it has.
 */
static void xp_sq_advance(struct xp_qpair *qp, uint64_t head_seq)
{
	if (head_seq > qp->sq_head_seq && head_seq <= qp->sq_tail_seq)
		qp->sq_head_seq = head_seq;
}

static uint16_t xp_sq_head(const struct xp_qpair *qp)
{
	return (uint16_t)(qp->sq_head_seq % qp->opts.qsize);
}

/* SQHD from a CQE is a ring index: it counts from the current head. */
static void xp_sq_advance_to_index(struct xp_qpair *qp, uint16_t sqhd)
{
	uint16_t q = qp->opts.qsize;

	if (sqhd < q)
		xp_sq_advance(qp, qp->sq_head_seq + (uint16_t)((sqhd + q - xp_sq_head(qp)) % q));
}

void xp_req_sq_consumed(struct xp_req *req)
{
	/* Harmless when the controller does no flow control: nothing reads it. */
	xp_sq_advance(req->qp, req->sq_seq + 1);
}

void xp_req_complete(struct xp_req *req, int status)
{
	struct xp_qpair *qp = req->qp;
	struct xp_cpl cpl;

	memset(&cpl, 0, sizeof(cpl));
	cpl.cid = req->cid;
	cpl.sqid = qp->opts.qid;
	if (status > 0)
		cpl.status = (uint16_t)status;
	/* Success without a CQE (NVMe/TCP 1.0, 3.3.2): the head the host
	 * derived (xp_req_sq_consumed), or "no flow control" if asked for. */
	if (status == 0)
		cpl.sqhd = qp->sqfc && !qp->sqfc_disable_requested ? xp_sq_head(qp) :
			   NVMF_SQHD_FLOW_CONTROL_OFF;
	xp_req_finish(req, &cpl, status);
}

void xp_req_complete_cqe(struct xp_req *req, const struct nvmf_cqe *cqe)
{
	struct xp_qpair *qp = req->qp;
	struct xp_cpl cpl;

	/* NVMe Base 2.0, 4.6, Figure 90; the phase tag is dropped. */
	cpl.dw0 = nvmf_le32toh(cqe->dw0);
	cpl.dw1 = nvmf_le32toh(cqe->dw1);
	cpl.sqhd = nvmf_le16toh(cqe->sqhd);
	cpl.sqid = nvmf_le16toh(cqe->sqid);
	cpl.cid = nvmf_le16toh(cqe->cid);
	cpl.status = nvmf_le16toh(cqe->status) >> NVMF_CQE_STATUS_SC_SHIFT;

	/*
	 * SQHD 0xffff: the controller does not do SQ flow control (NVMe-oF
	 * 1.1, 3.3.1.1, asked for by Connect). Otherwise it is the head the
	 * host may reuse entries up to.
	 */
	if (cpl.sqhd == NVMF_SQHD_FLOW_CONTROL_OFF)
		qp->sqfc = false;
	else
		xp_sq_advance_to_index(qp, cpl.sqhd);
	xp_req_finish(req, &cpl, cpl.status);
}

struct xp_req *xp_req_lookup(struct xp_qpair *qp, uint16_t cid)
{
	struct xp_req *req = xp_req_at(qp, cid & XP_CID_IDX_MASK);

	if (req == NULL || !req->busy || req->cid != cid)
		return NULL;
	return req;
}

/* Complete every outstanding request with err. Safe against callbacks
 * that close the queue pair: each request is checked when reached. */
static void xp_complete_all(struct xp_qpair *qp, int err)
{
	uint16_t i;

	for (i = 0; i < qp->nreqs; i++) {
		struct xp_req *req = xp_req_at(qp, i);

		if (req->busy)
			xp_req_complete(req, err);
	}
}

/*
 * Fail the queue pair: first (if any) completes with first_err, the others
 * with cmd_err, then the owner hears lost_err. The state is FAILED before
 * any completion runs, so a callback that submits again is refused
 * (-ENOTCONN) instead of being handed a connection that is being closed.
 */
static void xp_fail3(struct xp_qpair *qp, struct xp_req *first, int first_err, int cmd_err,
		     int lost_err)
{
	bool was_connecting = qp->state == XP_QP_CONNECTING;

	if (qp->state == XP_QP_FAILED || qp->state == XP_QP_CLOSING)
		return;
	qp->state = XP_QP_FAILED;
	uv_timer_stop(&qp->timer);
	qp->timer_due = 0;
	/* Close the connection first: once the socket is closed no pending
	 * write can still read a buffer the completions hand back. */
	qp->ops->close(qp);
	if (first != NULL && first->busy)
		xp_req_complete(first, first_err);
	xp_complete_all(qp, cmd_err);
	if (qp->state != XP_QP_FAILED)
		return;		/* a callback closed it */
	if (was_connecting) {
		if (qp->cbs.on_connect != NULL)
			qp->cbs.on_connect(qp, lost_err, qp->cb_arg);
	} else if (qp->cbs.on_lost != NULL) {
		qp->cbs.on_lost(qp, lost_err, qp->errmsg, qp->cb_arg);
	}
}

void xp_fail(struct xp_qpair *qp, int err)
{
	if (err >= 0)
		err = -EIO;
	xp_fail3(qp, NULL, 0, err, err);
}

static void xp_free(struct xp_qpair *qp)
{
	if (qp->cbs.on_closed != NULL)
		qp->cbs.on_closed(qp, qp->cb_arg);
	if (qp->ops->fini != NULL)
		qp->ops->fini(qp);
	free(qp->host_traddr);
	free(qp->pool);
	free(qp);
}

void xp_handle_closed(struct xp_qpair *qp)
{
	if (--qp->open_handles == 0)
		xp_free(qp);
}

static void xp_timer_closed(uv_handle_t *h)
{
	xp_handle_closed(h->data);
}

void xp_qpair_close(struct xp_qpair *qp, int err)
{
	if (qp == NULL || qp->state == XP_QP_CLOSING)
		return;
	if (err >= 0)
		err = -ECANCELED;
	qp->state = XP_QP_CLOSING;
	uv_timer_stop(&qp->timer);
	qp->timer_due = 0;
	qp->ops->close(qp);
	xp_complete_all(qp, err);
	uv_close((uv_handle_t *)&qp->timer, xp_timer_closed);
}

/*
 * The single timer fired: the connect deadline or the earliest command
 * deadline may have passed. Completed commands are not removed from the
 * timer's view (that would cost on every completion); the scan here finds
 * the real earliest deadline and rearms for it.
 */
static void xp_timer_cb(uv_timer_t *t)
{
	struct xp_qpair *qp = t->data;
	uint64_t now = uv_now(qp->loop), next = 0;
	struct xp_req *expired = NULL;
	char part[96];
	uint16_t i;

	qp->timer_due = 0;
	if (qp->state == XP_QP_CONNECTING) {
		if (qp->connect_deadline != 0 && qp->connect_deadline <= now) {
			xp_set_error(qp, "connect timed out after %u ms waiting for %s",
				     qp->opts.connect_timeout_ms,
				     qp->connect_phase ? qp->connect_phase
						       : "the TCP connection or ICResp");
			qp->stats.timeouts++;
			xp_fail(qp, -ETIMEDOUT);
			return;
		}
		next = qp->connect_deadline;
	}
	if (qp->state != XP_QP_READY && qp->state != XP_QP_CONNECTING)
		return;
	for (i = 0; i < qp->nreqs; i++) {
		struct xp_req *req = xp_req_at(qp, i);

		if (!req->busy || req->deadline == 0)
			continue;
		if (req->deadline <= now) {
			if (expired == NULL || req->deadline < expired->deadline)
				expired = req;
		} else if (next == 0 || req->deadline < next) {
			next = req->deadline;
		}
	}
	if (expired == NULL) {
		if (next != 0)
			xp_timer_arm(qp, next);
		return;
	}
	qp->stats.timeouts++;
	/* A peer that stopped in the middle of a PDU is a different fault
	 * from one that never answered: say which. */
	/* Every command in flight fails with this text after its own name:
	 * it says first that the connection closed, or "Property Get failed:
	 * queue 0: command CID 1 (opcode 0x18) got no completion" would read
	 * as if the Property Get were the command that timed out. */
	if (qp->ops->rx_partial != NULL && qp->ops->rx_partial(qp, part, sizeof(part)) > 0)
		xp_set_error(qp, "connection closed: command CID %u (opcode 0x%02x) got no "
			     "completion within its %u ms timeout, the peer having stopped "
			     "inside %s", expired->cid, expired->sqe.opcode, expired->timeout_ms,
			     part);
	else
		xp_set_error(qp, "connection closed: command CID %u (opcode 0x%02x) got no "
			     "completion within its %u ms timeout", expired->cid,
			     expired->sqe.opcode, expired->timeout_ms);
	/* The expired command first, with its own status; the connection is
	 * down and the queue pair FAILED before its callback runs. */
	xp_fail3(qp, expired, -ETIMEDOUT, -ECONNABORTED, -ETIMEDOUT);
}

int xp_submit(struct xp_qpair *qp, const struct xp_cmd *cmd)
{
	struct xp_req *req;
	uint32_t tmo;
	int rc;

	if (qp->state != XP_QP_READY)
		return -ENOTCONN;
	if (cmd == NULL || cmd->dir > XP_DIR_C2H ||
	    (cmd->dir == XP_DIR_NONE && cmd->len != 0) ||
	    (cmd->dir != XP_DIR_NONE && (cmd->len == 0 || cmd->buf == NULL)))
		return -EINVAL;
	if (qp->sqfc && qp->sq_tail_seq - qp->sq_head_seq >= (uint64_t)qp->opts.qsize - 1)
		return -EAGAIN;
	req = qp->free_list;
	if (req == NULL)
		return -EAGAIN;
	qp->free_list = req->next;
	req->next = NULL;
	req->busy = true;
	req->sqe = cmd->sqe;
	req->sqe.cid = nvmf_htole16(req->cid);
	req->buf = cmd->buf;
	req->len = cmd->len;
	req->dir = cmd->dir;
	req->cb = cmd->cb;
	req->arg = cmd->arg;
	tmo = cmd->timeout_ms != 0 ? cmd->timeout_ms : qp->opts.default_timeout_ms;
	req->timeout_ms = tmo;
	req->deadline = tmo != 0 ? uv_now(qp->loop) + tmo : 0;
	req->sq_seq = qp->sq_tail_seq;
	qp->stats.inflight++;

	rc = qp->ops->submit(qp, req);
	if (rc != 0) {
		xp_req_release(qp, req);
		return rc;
	}
	if (req->deadline != 0)
		xp_timer_arm(qp, req->deadline);
	qp->sq_tail_seq++;
	qp->stats.cmds_submitted++;
	if (qp->stats.inflight > qp->stats.inflight_max)
		qp->stats.inflight_max = qp->stats.inflight;
	return 0;
}

void xp_qpair_set_sqfc_disable(struct xp_qpair *qp, bool disable)
{
	qp->sqfc_disable_requested = disable;
	/* The controller confirms with SQHD 0xffff; until then only the
	 * request is known, and tracking the head is harmless either way. */
}

void xp_qpair_set_icd_max(struct xp_qpair *qp, uint32_t icd_max)
{
	qp->opts.icd_max = icd_max;
}

enum xp_qpair_state xp_qpair_state(const struct xp_qpair *qp)
{
	return qp->state;
}

const char *xp_qpair_errmsg(const struct xp_qpair *qp)
{
	return qp->errmsg;
}

unsigned xp_qpair_inflight(const struct xp_qpair *qp)
{
	return qp->stats.inflight;
}

bool xp_qpair_timed_inflight(struct xp_qpair *qp)
{
	if (qp->state != XP_QP_READY)
		return false;
	for (uint16_t i = 0; i < qp->nreqs; i++) {
		const struct xp_req *req = xp_req_at(qp, i);

		if (req->busy && req->deadline != 0)
			return true;
	}
	return false;
}

void xp_qpair_get_stats(const struct xp_qpair *qp, struct xp_stats *st)
{
	*st = qp->stats;
}

void xp_qpair_get_info(struct xp_qpair *qp, struct xp_qpair_info *info)
{
	memset(info, 0, sizeof(*info));
	info->icd_max = qp->opts.icd_max;
	info->sq_flow_control = qp->sqfc;
	info->sq_head = xp_sq_head(qp);
	if (qp->ops->get_info != NULL)
		qp->ops->get_info(qp, info);
}
