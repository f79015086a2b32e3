/*
 * Keep Alive (Base 2.0, 3.9): a command every KATO/2 so the controller's
 * timer never expires; with traffic-based keep alive (CTRATT.TBKAS) an
 * interval with completed commands needs none.
 *
 * The same tick reads CSTS: a controller that hit a fatal error sets
 * CSTS.CFS (Base 2.0, 3.1.4.2, 9.5) and may go on answering commands, or
 * none; Linux's host checks it the same way when deciding to reset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

static void ka_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct nvmf_ctrl *c = user;

	(void)cookie;
	c->ka_outstanding = false;
	/* Timed out on the wire: the transport completes this command before it
	 * reports the admin queue lost (xport.h), so the loss can say why. */
	if (cpl->result == -ETIMEDOUT)
		c->ka_timed_out = true;
	if (cpl->result == -ETIMEDOUT && !c->stopping && c->admin.ready && c->admin.qp &&
	    xp_qpair_state(c->admin.qp) == XP_QP_READY) {
		/* Held KATO long without a free admin entry (a timeout on the wire
		 * fails the queue pair before this runs): the controller's timer
		 * has expired by now (Base 2.0, 3.9.4), the association is over.
		 * host_queue_lost logs it. */
		host_queue_lost(&c->admin, -ETIMEDOUT, nvmf_completion_errmsg(cpl));
		return;
	}
	if (cpl->result == -EIO && !c->stopping) {
		/* The controller refused Keep Alive: it no longer keeps the
		 * association alive for us. Recover it as a whole (state.c). */
		host_ctrl_failed(c, -EIO, nvmf_completion_errmsg(cpl), true);
	}
}

static void csts_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct nvmf_ctrl *c = user;
	char msg[96];

	(void)cookie;
	c->csts_outstanding = false;
	/* A failed read is the queue's failure, handled as such. */
	if (cpl->result < 0 || !(cpl->dw0 & NVMF_CSTS_CFS) || c->stopping)
		return;
	snprintf(msg, sizeof(msg), "controller fatal status (CSTS.CFS) set (CSTS %08xh)",
		 cpl->dw0);
	host_ctrl_failed(c, -EIO, msg, true);
}

/* Fabrics 1.1, 3.4 (Property Get): CSTS, 4 bytes. */
static void csts_check(struct nvmf_ctrl *c)
{
	struct nvmf_prop_get_cmd cmd = {
		.opcode = NVMF_ADM_FABRICS,
		.fctype = NVMF_FCTYPE_PROPERTY_GET,
		.attrib = NVMF_PROP_ATTRIB_SIZE_4,
		.ofst = nvmf_htole32(NVMF_PROP_CSTS),
	};
	struct host_req *req;

	if (c->csts_outstanding || c->state != NVMF_CTRL_LIVE)
		return;
	req = host_req_new(c, true, "Property Get (CSTS)");
	if (!req)
		return;
	memcpy(&req->xc.sqe, &cmd, sizeof(req->xc.sqe));
	req->q = &c->admin;
	/* Longer than Keep Alive's: on a silent connection Keep Alive, sent
	 * first, is what times out and names the cause. */
	req->xc.timeout_ms = 2 * c->kato_ms;
	req->cb.cb = csts_done;
	req->cb.user = c;
	req->internal = true;
	if (host_submit(req) >= 0)
		c->csts_outstanding = true;
}

static void ka_send(struct nvmf_ctrl *c)
{
	struct host_req *req;
	uint64_t now = uv_now(c->loop);

	if (c->ka_outstanding || !c->admin.ready)
		return;
	/* Traffic-based keep alive (CTRATT bit 6): completions count as traffic. */
	if ((c->ctratt & NVMF_CTRATT_TBKAS) &&
	    atomic_load(&c->last_completion_ms) + c->kato_ms / 2 > now)
		return;
	req = host_req_new(c, true, "Keep Alive");
	if (!req)
		return;
	host_sqe_init(&req->xc.sqe, NVMF_ADM_KEEP_ALIVE, 0);
	/* Aimed at the admin queue: it runs during the bring-up too. */
	req->q = &c->admin;
	req->xc.timeout_ms = c->kato_ms;
	req->cb.cb = ka_done;
	req->cb.user = c;
	req->internal = true;
	req->urgent = true;
	if (host_submit(req) >= 0)
		c->ka_outstanding = true;
}

static void ka_tick(uv_timer_t *t)
{
	struct nvmf_ctrl *c = t->data;

	/* Not c->stopping: Keep Alive goes on through the orderly shutdown
	 * (nvmf_disconnect); close_all_fn stops the timer. The CSTS read is
	 * the shutdown's own business then. */
	ka_send(c);
	if (!c->stopping && c->admin.ready)
		csts_check(c);
	/* Replaced namespace tables a reader kept at the last scan (ns.c). */
	host_ns_reap(c);
}

void host_ka_start(struct nvmf_ctrl *c)
{
	uint64_t period;

	if (c->kato_ms == 0)
		return;
	c->ka_timed_out = false;
	if (!c->ka_init) {
		if (uv_timer_init(c->loop, &c->ka_timer) < 0)
			return;
		c->ka_init = true;
		c->ka_timer.data = c;
	}
	period = c->kato_ms / 2;
	if (period == 0)
		period = 1;
	uv_timer_start(&c->ka_timer, ka_tick, period, period);
}

void host_ka_stop(struct nvmf_ctrl *c)
{
	if (c->ka_init)
		uv_timer_stop(&c->ka_timer);
}
