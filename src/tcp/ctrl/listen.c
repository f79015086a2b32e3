/*
 * NVMe/TCP listeners (the controller role's xp_listener), the per-turn flush
 * of every connection's queued PDUs, and draining for an orderly shutdown.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/ctrl/tcp_ctrl.h"

struct tcp_listener {
	struct tcp_listener *next;
	struct tcp_srv *srv;
	uv_tcp_t sock;
	bool     io;
	bool     closing;
};

/* Draining: once every command is answered and written, close the
 * connections; the last one to go calls drain_cb (conn.c). Called after
 * each flush and from write callbacks, since the loop may otherwise sleep
 * in poll after the last write completes. */
void tcp_srv_log(struct tcp_srv *srv, enum nvmf_log_level level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	/* Not formatted when the owner would drop it (a message per
	 * connection adds up when connections come and go by the thousand). */
	if (srv->base.ops->log == NULL || (int)level > srv->base.opts.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	srv->base.ops->log(srv->base.arg, level, buf);
}

void tcp_srv_drain_check(struct tcp_srv *srv)
{
	struct xp_listener *l = &srv->base;

	if (l->draining && !(l->ops->busy && l->ops->busy(l->arg))) {
		bool idle = true;

		for (struct tcp_cconn *c = srv->conns; c; c = tcp_cconn_next(c))
			idle = idle && tcp_cconn_idle(c);
		/* Every command answered and written: close the connections. */
		for (struct tcp_cconn *c = srv->conns, *next; c && idle; c = next) {
			next = tcp_cconn_next(c);
			tcp_cconn_close(c, "target shutting down");
		}
		if (srv->nconns == 0 && l->drain_cb) {
			void (*cb)(struct xp_listener *, void *) = l->drain_cb;

			l->drain_cb = NULL;
			cb(l, l->arg);
		}
	}
}

static void flush_cb(uv_check_t *h)
{
	struct tcp_srv *srv = h->data;

	tcp_srv_flush_all(srv);
	tcp_srv_drain_check(srv);
}

static void stall_cb(uv_timer_t *t)
{
	struct tcp_srv *srv = t->data;

	tcp_srv_stall_check(srv);
	/* Idle, a listener costs no wake-ups: the next connection rearms. */
	if (srv->nconns == 0)
		uv_timer_stop(t);
}

void tcp_srv_stall_arm(struct tcp_srv *srv)
{
	if (!srv->closing && !uv_is_active((uv_handle_t *)&srv->stall))
		uv_timer_start(&srv->stall, stall_cb, srv->stall_tick, srv->stall_tick);
}

static int srv_create(uv_loop_t *loop, const struct xp_listen_opts *opts,
		      const struct xp_cqueue_ops *ops, void *arg, struct xp_listener **out)
{
	struct tcp_srv *srv;
	uint32_t tick;

	if (opts->tp.tcp.cpda > 31)	/* 0's based dwords: 128 bytes at most */
		return -EINVAL;
	if (opts->tp.tcp.stage_size && opts->tp.tcp.stage_size < TCP_RX_STAGE_MIN)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->base.cops = &tcp_ctrl_xp_cops;
	srv->base.loop = loop;
	srv->base.opts = *opts;
	srv->base.ops = ops;
	srv->base.arg = arg;
	if (!srv->base.opts.max_conns)
		srv->base.opts.max_conns = 256;
	if (!srv->base.opts.connect_timeout_ms)
		srv->base.opts.connect_timeout_ms = 10000;
	if (!srv->base.opts.data_timeout_ms)
		srv->base.opts.data_timeout_ms = 30000;
	if (!srv->base.opts.send_timeout_ms)
		srv->base.opts.send_timeout_ms = 30000;
	if (!srv->base.opts.tp.tcp.stage_size)
		srv->base.opts.tp.tcp.stage_size = 64 * 1024;
	uv_check_init(loop, &srv->flush);
	srv->flush.data = srv;
	uv_check_start(&srv->flush, flush_cb);
	uv_unref((uv_handle_t *)&srv->flush);
	/* A stall is seen within a quarter of the timeout past it (at most
	 * a second): one walk over the connections per tick. */
	tick = srv->base.opts.send_timeout_ms / 4;
	srv->stall_tick = tick < 10 ? 10 : tick > 1000 ? 1000 : tick;
	uv_timer_init(loop, &srv->stall);
	srv->stall.data = srv;
	uv_unref((uv_handle_t *)&srv->stall);
	*out = &srv->base;
	return 0;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct tcp_listener *l = server->data;

	if (status < 0) {
		tcp_srv_log(l->srv, NVMF_LOG_WARN, "accept: %s", uv_strerror(status));
		return;
	}
	tcp_cconn_accept(l->srv, server, l->io);
}

static void listener_closed(uv_handle_t *h)
{
	free(h->data);
}

static int srv_listen(struct xp_listener *xl, const char *addr, int port, bool io,
		      int *real_port, char *msg, size_t msglen)
{
	struct tcp_srv *srv = tcp_srv_of(xl);
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;
	struct tcp_listener *l;
	bool v6 = strchr(addr, ':') != NULL;

	if (port < 0 || port > 65535) {
		snprintf(msg, msglen, "port %d out of range", port);
		return -EINVAL;
	}
	if (v6)
		rc = uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss);
	if (rc < 0) {
		snprintf(msg, msglen, "'%s': not an IPv4 or IPv6 address", addr);
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	l->srv = srv;
	l->io = io;
	uv_tcp_init(srv->base.loop, &l->sock);
	l->sock.data = l;
	rc = uv_tcp_bind(&l->sock, (struct sockaddr *)&ss, v6 ? UV_TCP_IPV6ONLY : 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->sock, 128, on_connection);
	if (rc == 0)
		rc = uv_tcp_getsockname(&l->sock, (struct sockaddr *)&ss, &len);
	if (rc < 0) {
		snprintf(msg, msglen, "listen on %s%s%s:%d: %s", v6 ? "[" : "", addr, v6 ? "]" : "",
			 port, uv_strerror(rc));
		uv_close((uv_handle_t *)&l->sock, listener_closed);
		return rc;
	}
	*real_port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			      : ((struct sockaddr_in *)&ss)->sin_port);
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
}

static void close_listeners(struct tcp_srv *srv)
{
	struct tcp_listener *l, *n;

	for (l = srv->listeners; l; l = n) {
		n = l->next;
		uv_close((uv_handle_t *)&l->sock, listener_closed);
	}
	srv->listeners = NULL;
}

static void srv_drain(struct xp_listener *xl)
{
	struct tcp_srv *srv = tcp_srv_of(xl);

	close_listeners(srv);
	/* New commands are not read any more; what is in flight finishes. */
	for (struct tcp_cconn *c = srv->conns; c; c = tcp_cconn_next(c))
		tcp_cconn_pause(c);
	flush_cb(&srv->flush);
}

static void flush_closed(uv_handle_t *h)
{
	struct tcp_srv *srv = h->data;

	srv->flush_closed = true;
	tcp_srv_maybe_free(srv);
}

static void stall_closed(uv_handle_t *h)
{
	struct tcp_srv *srv = h->data;

	srv->stall_closed = true;
	tcp_srv_maybe_free(srv);
}

void tcp_srv_maybe_free(struct tcp_srv *srv)
{
	if (srv->closing && srv->flush_closed && srv->stall_closed && srv->nconns == 0) {
		tcp_srv_free_reqs(srv);
		tcp_srv_free_conn_cache(srv);
		free(srv);
	}
}

static void srv_close(struct xp_listener *xl)
{
	struct tcp_srv *srv = tcp_srv_of(xl);
	struct tcp_cconn *c, *n;

	if (srv->closing)
		return;
	close_listeners(srv);
	srv->closing = true;
	srv->base.drain_cb = NULL;	/* closed: a drain no longer ends in a callback */
	for (c = srv->conns; c; c = n) {
		n = tcp_cconn_next(c);
		tcp_cconn_close(c, "target stopping");
	}
	uv_check_stop(&srv->flush);
	uv_close((uv_handle_t *)&srv->flush, flush_closed);
	uv_timer_stop(&srv->stall);
	uv_close((uv_handle_t *)&srv->stall, stall_closed);
}

const struct xp_cops tcp_ctrl_xp_cops = {
	.name = "tcp",
	.create = srv_create,
	.listen = srv_listen,
	.drain = srv_drain,
	.close = srv_close,
	.complete = tcp_ctrl_complete,
	.drop = tcp_ctrl_drop,
};
