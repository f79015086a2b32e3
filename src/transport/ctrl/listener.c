/*
 * Controller-role queue pairs: the transport-neutral entry points
 * (xport_ctrl.h). Each call goes to the transport that created the
 * listener; this file only picks it by trtype and dispatches, so that the
 * controller logic names no transport.
 *
 * Built into the controller library, not into libnvmf: the host links no
 * controller code.
 */
#include <errno.h>
#include <string.h>

#include "transport/xport_ctrl.h"

static const struct xp_cops *find_cops(const char *trtype)
{
	if (trtype != NULL && strcmp(trtype, "tcp") == 0)
		return &tcp_ctrl_xp_cops;
	return NULL;
}

int xp_listener_create(const char *trtype, uv_loop_t *loop, const struct xp_listen_opts *opts,
		       const struct xp_cqueue_ops *ops, void *arg, struct xp_listener **out)
{
	const struct xp_cops *cops = find_cops(trtype);

	*out = NULL;
	if (cops == NULL)
		return -EPROTONOSUPPORT;
	/* The owner's structs extend ours: they cannot be smaller. */
	if (loop == NULL || opts == NULL || ops == NULL ||
	    opts->queue_size < sizeof(struct xp_cqueue) || opts->req_size < sizeof(struct xp_creq) ||
	    opts->max_qsize < XP_QSIZE_MIN || opts->max_qsize > XP_QSIZE_MAX)
		return -EINVAL;
	return cops->create(loop, opts, ops, arg, out);
}

int xp_listen(struct xp_listener *l, const char *addr, int port, bool io, int *real_port,
	      char *msg, size_t msglen)
{
	return l->cops->listen(l, addr, port, io, real_port, msg, msglen);
}

void xp_listener_drain(struct xp_listener *l, void (*cb)(struct xp_listener *l, void *arg))
{
	if (l->draining)
		return;
	l->draining = true;
	l->drain_cb = cb;
	l->cops->drain(l);
}

void xp_listener_close(struct xp_listener *l)
{
	if (l != NULL)
		l->cops->close(l);
}

void xp_creq_complete(struct xp_creq *req)
{
	req->q->cops->complete(req);
}

void xp_cqueue_drop(struct xp_cqueue *q, const char *why)
{
	q->cops->drop(q, why);
}
