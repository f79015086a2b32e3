/*
 * NVMe/TCP listeners of the userland target, the per-turn flush of every
 * connection's queued PDUs, and draining for an orderly shutdown.
 */
#include <errno.h>
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
void tcp_srv_drain_check(struct tcp_srv *srv)
{
	if (srv->draining && srv->target->inflight == 0) {
		bool idle = true;

		for (struct tcp_cconn *c = srv->conns; c; c = tcp_cconn_next(c))
			idle = idle && tcp_cconn_idle(c);
		/* Every command answered and written: close the connections. */
		for (struct tcp_cconn *c = srv->conns, *next; c && idle; c = next) {
			next = tcp_cconn_next(c);
			tcp_cconn_close(c, "target shutting down");
		}
		if (srv->nconns == 0 && srv->drain_cb) {
			void (*cb)(struct tcp_srv *) = srv->drain_cb;

			srv->drain_cb = NULL;
			cb(srv);
		}
	}
}

static void flush_cb(uv_check_t *h)
{
	struct tcp_srv *srv = h->data;

	tcp_srv_flush_all(srv);
	tcp_srv_drain_check(srv);
}

void tcp_srv_init(struct tcp_srv *srv, struct ctl_target *t)
{
	memset(srv, 0, sizeof(*srv));
	srv->target = t;
	srv->loop = t->loop;
	srv->opts.cpda = 0;
	srv->opts.max_conns = 256;
	srv->opts.ic_timeout_ms = 10000;
	srv->opts.stage_size = 64 * 1024;
	uv_check_init(srv->loop, &srv->flush);
	srv->flush.data = srv;
	uv_check_start(&srv->flush, flush_cb);
	uv_unref((uv_handle_t *)&srv->flush);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct tcp_listener *l = server->data;

	if (status < 0) {
		ctl_log(l->srv->target, 0, "accept: %s", uv_strerror(status));
		return;
	}
	tcp_cconn_accept(l->srv, server, l->io);
}

static void listener_closed(uv_handle_t *h)
{
	free(h->data);
}

int tcp_srv_listen(struct tcp_srv *srv, const char *addr, int port, bool io, int *real_port,
		   char *msg, size_t msglen)
{
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
		snprintf(msg, msglen, "%s: not an IPv4 or IPv6 address", addr);
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	l->srv = srv;
	l->io = io;
	uv_tcp_init(srv->loop, &l->sock);
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
	ctl_target_add_listener(srv->target, addr, *real_port, io);
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

void tcp_srv_drain(struct tcp_srv *srv, void (*cb)(struct tcp_srv *srv))
{
	close_listeners(srv);
	srv->draining = true;
	srv->drain_cb = cb;
	/* New commands are not read any more; what is in flight finishes. */
	for (struct tcp_cconn *c = srv->conns; c; c = tcp_cconn_next(c))
		tcp_cconn_pause(c);
	flush_cb(&srv->flush);
}

void tcp_srv_close(struct tcp_srv *srv)
{
	struct tcp_cconn *c, *n;

	close_listeners(srv);
	srv->closing = true;
	for (c = srv->conns; c; c = n) {
		n = tcp_cconn_next(c);
		tcp_cconn_close(c, "target stopping");
	}
	uv_check_stop(&srv->flush);
	uv_close((uv_handle_t *)&srv->flush, NULL);
}
