/*
 * Asynchronous events (Base 2.0, 5.2): one AER is kept outstanding. A
 * namespace attribute notice makes the host read the Changed Namespace List
 * log with RAE cleared (otherwise the controller keeps that event type
 * masked and no later notice arrives), rescan, and report the change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"


/*
 * One namespace notice being handled. The Changed Namespace List is read into
 * the notice's own buffer: the AER is re-armed before the log is read, so a
 * second notice (a hostile or merely busy controller) can have its read in
 * flight at the same time, and two transfers must never share a buffer.
 */
struct aen_ctx {
	struct nvmf_ctrl *c;
	struct aen_ctx *next;		/* c->aen_head's queue */
	uint32_t dw0;
	uint32_t n;
	uint32_t nsids[NVMF_NS_LIST_MAX];
	uint8_t  log[NVMF_NS_LIST_MAX * 4];	/* Changed Namespace List, Figure 202 */
};

/*
 * A controller may send notices faster than the host rescans (the AER is
 * re-armed at once, a rescan takes a command per namespace): at most this
 * many are handled at once, and their rescans run one after the other, so
 * that memory stays bounded and a rescan that started earlier never
 * publishes its table after a later one. A notice beyond the bound is not
 * lost: its log is read (which re-arms notices, RAE 0) once one ends.
 */
#define HOST_AEN_MAX 4

static void aer_submit(struct nvmf_ctrl *c);
static void read_changed_log(struct nvmf_ctrl *c, uint32_t dw0);
static void aen_rescan_done(struct nvmf_ctrl *c, int r, void *arg);

/* x is done with: the next queued rescan starts, a missed notice is read. */
static void aen_put(struct nvmf_ctrl *c, struct aen_ctx *x)
{
	free(x);
	c->aen_busy--;
	if (!c->aen_scanning && c->aen_head) {
		struct aen_ctx *next = c->aen_head;

		c->aen_head = next->next;
		if (!c->aen_head)
			c->aen_tail = NULL;
		if (c->stopping || c->failed) {
			/* Nobody wants its event now, or the reconnect's own
			 * scan checks every namespace (and names changes). */
			aen_put(c, next);
			return;
		}
		c->aen_scanning = true;
		host_rescan_start(c, false, aen_rescan_done, next);
		return;
	}
	if (c->aen_missed && !c->stopping && c->aen_busy < HOST_AEN_MAX) {
		c->aen_missed = false;
		read_changed_log(c, c->aen_missed_dw0);
	}
}

static void aen_rescan_done(struct nvmf_ctrl *c, int r, void *arg)
{
	struct aen_ctx *x = arg;
	struct nvmf_event ev = {
		.type = NVMF_EVENT_NS_CHANGED,
		.aen_dw0 = x->dw0,
		.nr_nsids = x->n,
		.nsids = x->nsids,
		.error = r,
	};
	char msg[512];

	if (r < 0) {
		/* The scan left its reason in scan_msg: name it, not just r. */
		snprintf(msg, sizeof(msg), "namespace rescan after a notice failed: %.400s",
			 c->scan_msg[0] ? c->scan_msg : strerror(-r));
		ev.msg = msg;
		if (!c->stopping)
			host_log(NVMF_LOG_WARN, "%s", msg);
	}
	if (!c->stopping)
		host_event(c, &ev);
	c->aen_scanning = false;
	aen_put(c, x);
}

static void changed_log_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct aen_ctx *x = user;
	struct nvmf_ctrl *c = x->c;

	(void)cookie;
	if (cpl->result < 0) {
		/* While disconnecting, whatever ends it is the teardown. */
		if (cpl->result != -ECANCELED && !c->stopping)
			host_log(NVMF_LOG_WARN, "%s", nvmf_completion_errmsg(cpl));
		aen_put(c, x);
		return;
	}
	/* FFFFFFFFh first: more than 1024 changed, rescan everything (Figure 202). */
	x->n = 0;
	for (uint32_t i = 0; i < NVMF_NS_LIST_MAX; i++) {
		uint32_t v = nvmf_get_le32(x->log + 4 * i);

		if (v == 0 || v == NVMF_NSID_ALL)
			break;
		x->nsids[x->n++] = v;
	}
	if (c->aen_scanning) {
		if (c->aen_tail)
			c->aen_tail->next = x;
		else
			c->aen_head = x;
		c->aen_tail = x;
		return;
	}
	c->aen_scanning = true;
	host_rescan_start(c, false, aen_rescan_done, x);
}

static void read_changed_log(struct nvmf_ctrl *c, uint32_t dw0)
{
	struct aen_ctx *x;
	struct host_req *req;

	if (c->aen_busy >= HOST_AEN_MAX) {
		/* Read when one ends (aen_put): the controller keeps notices
		 * masked until then, so at most this one is pending. */
		c->aen_missed = true;
		c->aen_missed_dw0 = dw0;
		return;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return;
	x->c = c;
	x->dw0 = dw0;
	req = host_req_new(c, true, "Get Log Page (Changed Namespace List)");
	if (!req) {
		free(x);
		return;
	}
	c->aen_busy++;
	host_sqe_init(&req->xc.sqe, NVMF_ADM_GET_LOG_PAGE, NVMF_NSID_ALL);
	/* RAE = 0: reading the log re-arms namespace notices. */
	req->xc.sqe.cdw10 = nvmf_htole32(nvmf_get_log_cdw10(NVMF_LID_CHANGED_NS, 0, 0,
						      sizeof(x->log) / 4 - 1));
	req->xc.buf = x->log;
	req->xc.len = sizeof(x->log);
	req->xc.dir = XP_DIR_C2H;
	req->cb.cb = changed_log_done;
	req->cb.user = x;
	if (host_submit(req) < 0) {
		c->aen_busy--;
		free(x);
	}
}

static void aer_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct nvmf_ctrl *c = user;
	struct nvmf_event ev = { .type = NVMF_EVENT_AEN };

	(void)cookie;
	c->aer_outstanding = false;
	if (cpl->result < 0) {
		/* A controller being shut down may end the AER it holds with
		 * an abort status: only outside nvmf_disconnect() is it news. */
		if (cpl->result == -EIO && !c->stopping)
			host_log(NVMF_LOG_WARN, "%s", nvmf_completion_errmsg(cpl));
		return;	/* connection lost or shutting down */
	}
	if (c->stopping)
		return;
	aer_submit(c);
	host_dbg("asynchronous event %08x (type %u info %02x log %02xh)", cpl->dw0,
		 nvmf_aer_type(cpl->dw0), nvmf_aer_info(cpl->dw0), nvmf_aer_lid(cpl->dw0));
	if (nvmf_aer_type(cpl->dw0) == NVMF_AER_TYPE_NOTICE &&
	    nvmf_aer_info(cpl->dw0) == NVMF_AER_NOTICE_NS_CHANGED) {
		read_changed_log(c, cpl->dw0);
		return;
	}
	ev.aen_dw0 = cpl->dw0;
	host_event(c, &ev);
}

static void aer_submit(struct nvmf_ctrl *c)
{
	struct host_req *req;

	if (c->aer_outstanding || c->stopping || c->failed)
		return;
	req = host_req_new(c, true, "Asynchronous Event Request");
	if (!req)
		return;
	host_sqe_init(&req->xc.sqe, NVMF_ADM_ASYNC_EVENT, 0);
	req->xc.timeout_ms = 0;	/* completes only when an event occurs */
	req->cb.cb = aer_done;
	req->cb.user = c;
	req->internal = true;
	if (host_submit(req) >= 0)
		c->aer_outstanding = true;
}

void host_aer_start(struct nvmf_ctrl *c)
{
	aer_submit(c);
}
