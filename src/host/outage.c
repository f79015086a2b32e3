/*
 * Requests through an outage (nvmf.h, OUTAGES): while the controller is not
 * LIVE, I/O waits on the held list, in submission order, and is resubmitted
 * when the bring-up has made it LIVE again (state.c), at most
 * HOST_MAX_REPLAYS times per command; the rest fails, saying why. Apart
 * from dispatch.c, which hands requests to queue pairs and completes them,
 * because none of this runs for a command while the controller is LIVE and
 * its queue pair up: the per-I/O path calls in here only on a failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/ctrl.h"

/* At most this many resubmissions per command after outages (as Linux's
 * nvme_max_retries). */
#define HOST_MAX_REPLAYS 5

/* A command failed with its connection, not held because it was replayed
 * HOST_MAX_REPLAYS times already: the text says so, or it would read as if
 * the outage itself were fatal (nvmf_read(3): each at most 5 times). */
void host_replay_limit_note(const struct host_req *req, char *msg, size_t len)
{
	size_t n = strlen(msg);

	if (req->replayable && req->replays >= HOST_MAX_REPLAYS && n < len &&
	    !req->c->stopping)
		snprintf(msg + n, len - n, " (not held again: resubmitted after %u outages "
			 "already, the limit)", (unsigned)req->replays);
}

bool host_hold(struct host_req *req, bool failing)
{
	struct nvmf_ctrl *c = req->c;
	struct host_req **pp;

	if (!req->replayable || req->replays >= HOST_MAX_REPLAYS)
		return false;
	if (!host_state_holds_io(c) &&
	    !(failing && c->state == NVMF_CTRL_LIVE && !c->stopping && c->opts.ctrl_loss_tmo != 0))
		return false;
	/* Cookie order is submission order: in-flight commands come back
	 * from several queues in no particular order. */
	pp = &c->held;
	if (c->held_last && c->held_last->cookie <= req->cookie)
		pp = &c->held_last->next;
	else
		while (*pp && (*pp)->cookie <= req->cookie)
			pp = &(*pp)->next;
	req->next = *pp;
	*pp = req;
	if (!req->next)
		c->held_last = req;
	atomic_fetch_add(&c->nr_held, 1);
	return true;
}

void host_hold_waiting(struct nvmf_ctrl *c, int err, const char *why)
{
	for (int k = 0; k < 2; k++) {
		struct host_req *list = c->waitq[k];

		c->waitq[k] = NULL;
		while (list) {
			struct host_req *req = list;

			list = req->next;
			if (req->q)		/* aimed at one queue (Connect): it is gone */
				host_req_fail(req, err, why);
			else if (!host_hold(req, false)) {
				char msg[HOST_MSG_MAX];

				snprintf(msg, sizeof(msg), "%s failed: %.400s", req->what, why);
				host_replay_limit_note(req, msg, sizeof(msg));
				host_req_fail(req, err, msg);
			}
		}
	}
}

void host_held_fail(struct nvmf_ctrl *c, int err, const char *why)
{
	struct host_req *list = c->held, **tail = &list;

	c->held = NULL;
	c->held_last = NULL;
	atomic_store(&c->nr_held, 0);
	/* And what waits for its retry's delay: it would find nothing to
	 * go to. */
	while (*tail)
		tail = &(*tail)->next;
	*tail = c->retryq;
	c->retryq = NULL;
	while (list) {
		struct host_req *req = list;
		char msg[HOST_MSG_MAX];

		list = req->next;
		snprintf(msg, sizeof(msg), "%s %s: %.400s", req->what,
			 err == -ECANCELED ? "canceled" : "failed", why);
		host_req_fail(req, err, msg);
	}
}

void host_held_replay(struct nvmf_ctrl *c)
{
	struct host_req *list = c->held;

	c->held = NULL;
	c->held_last = NULL;
	atomic_store(&c->nr_held, 0);
	while (list) {
		struct host_req *req = list;
		uint32_t nsid = nvmf_le32toh(req->xc.sqe.nsid);
		const struct nvmf_ns_info *ns = host_ns_lookup(c, nsid);
		int r;

		list = req->next;
		if (!ns || !ns->supported) {
			char msg[HOST_MSG_MAX];

			/* nvmf.h, OUTAGES: a namespace that is not the same one
			 * after the reconnect is never written to. */
			snprintf(msg, sizeof(msg), "%s failed: namespace %u: %.300s", req->what,
				 nsid, ns ? ns->reason : "gone after the reconnect");
			host_req_fail(req, -ENODEV, msg);
			continue;
		}
		/* A command first submitted during the outage is not resubmitted. */
		if (req->dispatched)
			req->replays++;
		r = host_dispatch(req);
		if (r < 0)
			host_req_refuse(req, r);
	}
}

/*
 * A command while the controller is not LIVE (nvmf.h, OUTAGES): I/O waits
 * on the held list for the reconnect (1); the rest fails, saying why.
 */
int host_outage_dispatch(struct host_req *req)
{
	struct nvmf_ctrl *c = req->c;

	if (c->stopping || c->state == NVMF_CTRL_DELETING)
		return host_err(ESHUTDOWN, "%s: the controller is disconnecting", req->what);
	if (host_hold(req, false))
		return 1;
	if (c->state == NVMF_CTRL_DEAD)
		return host_err(ECONNRESET, "%s: the controller was given up: %.400s", req->what,
				c->last_msg);
	if (c->fast_failed)
		return host_err(ECONNRESET, "%s: the controller is reconnecting and "
				"fast_io_fail_tmo (%d s) has passed: %.400s", req->what,
				c->opts.fast_io_fail_tmo, c->last_msg);
	if (!c->reconnecting)
		return host_err(ECONNRESET, "%s: the controller's connection was lost: %.400s",
				req->what, c->last_msg);
	if (req->replayable)
		return host_err(ECONNRESET, "%s: the controller is reconnecting, and the "
				"command was resubmitted %d times already: %.400s", req->what,
				req->replays, c->last_msg);
	return host_err(ECONNRESET, "%s: the controller is reconnecting (admin and "
			"passthrough commands are not held, only I/O): %.400s", req->what,
			c->last_msg);
}
