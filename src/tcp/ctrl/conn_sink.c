/*
 * The in-process seam of the controller side (tcp_ctrl.h): a connection
 * with no socket, fed by its owner and sending into a tcp/tx.h sink, for
 * the fuzzers (fuzz/wire). Everything past the socket is conn.c's, unchanged:
 * the same framer callbacks, send path and closing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tcp/ctrl/conn.h"

int tcp_cconn_open_sink(struct xp_listener *l, bool io, tcp_tx_sink_fn sink, void *arg,
			struct tcp_cconn **out)
{
	struct tcp_srv *srv = tcp_srv_of(l);
	struct tcp_cconn *c;

	*out = NULL;
	if (l->opts.tp.tcp.tls != XP_TLS_NONE || srv->closing)
		return -EINVAL;
	c = tcp_cconn_new(srv, io);
	if (!c)
		return -ENOMEM;
	tcp_tx_set_sink(&c->tx, sink, arg);
	snprintf(c->peer, sizeof(c->peer), "in-process");
	snprintf(c->q.peer, sizeof(c->q.peer), "%s", c->peer);
	snprintf(c->q.local_addr, sizeof(c->q.local_addr), "127.0.0.1");
	srv->accepted++;
	tcp_cconn_setup_deadline(c);
	*out = c;
	return 0;
}

void tcp_cconn_input(struct tcp_cconn *c, const void *data, size_t n)
{
	while (n > 0 && !c->closed && !c->linger) {
		void *buf;
		size_t len;

		tcp_rx_get_buf(&c->rx, &buf, &len);
		if (len > n)
			len = n;
		memcpy(buf, data, len);
		data = (const uint8_t *)data + len;
		n -= len;
		tcp_cconn_rx_result(c, tcp_rx_commit(&c->rx, len));
		tcp_cconn_after_read(c);
	}
}

struct tcp_tx *tcp_cconn_tx(struct tcp_cconn *c)
{
	return &c->tx;
}
