/*
 * The controller as the owner of controller-role queue pairs
 * (transport/xport_ctrl.h): what a transport calls when it accepts a
 * connection, receives a command, has its data, or loses the connection.
 * Each callback is a thin step into ctrl.c; the transport never includes
 * this layer's headers.
 */
#include <string.h>

#include "controller/ctl.h"

static void x_accepted(struct xp_cqueue *xq, void *arg)
{
	ctl_queue_init((struct ctl_queue *)xq, arg);
}

static int x_prepare(struct xp_creq *xr)
{
	struct ctl_req *req = (struct ctl_req *)xr;

	req->q = (struct ctl_queue *)xr->q;
	return ctl_req_prepare(req) != 0;
}

static void x_execute(struct xp_creq *xr)
{
	ctl_req_execute((struct ctl_req *)xr);
}

static void x_fail(struct xp_creq *xr, uint16_t code, bool dnr)
{
	/* Before execute (the transport fails only commands it never handed
	 * over), so the target's in-flight count is not involved. */
	ctl_req_complete((struct ctl_req *)xr, (uint16_t)(code | (dnr ? CTL_DNR : 0)), 0, 0);
}

static void x_release(struct xp_creq *xr)
{
	ctl_req_release((struct ctl_req *)xr);
}

static void x_closed(struct xp_cqueue *xq)
{
	ctl_queue_destroy((struct ctl_queue *)xq);
}

/* Draining waits for commands being executed (not for held AERs). */
static bool x_busy(void *arg)
{
	const struct ctl_target *t = arg;

	return t->inflight != 0;
}

/* The transport's messages, in the target's log. */
static void x_log(void *arg, enum nvmf_log_level level, const char *msg)
{
	ctl_log(arg, level, "%s", msg);
}

const struct xp_cqueue_ops ctl_xp_ops = {
	.accepted = x_accepted,
	.prepare = x_prepare,
	.execute = x_execute,
	.fail = x_fail,
	.release = x_release,
	.closed = x_closed,
	.busy = x_busy,
	.log = x_log,
};

void ctl_listen_opts(const struct ctl_target *t, struct xp_listen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->queue_size = sizeof(struct ctl_queue);
	o->req_size = sizeof(struct ctl_req);
	o->max_qsize = CTL_MQES + 1;
	o->max_icd = t->opts.io_icd;
	o->max_xfer = (uint32_t)CTL_MPS << t->opts.mdts;
	o->c2h_success = t->opts.c2h_success;
	/* What ctl_log() shows at this verbosity (-v count). */
	o->log_level = t->opts.verbose < 0 ? -1 : t->opts.verbose == 0 ? NVMF_LOG_WARN :
		t->opts.verbose == 1 ? NVMF_LOG_INFO : NVMF_LOG_DEBUG;
}
