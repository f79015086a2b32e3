/*
 * NVMe/TCP controller side (NVMe/TCP 1.0): listeners and connections, the
 * controller role of the queue-pair layer (transport/xport_ctrl.h). Each
 * accepted connection is one controller-role queue (struct xp_cqueue) whose
 * owner is whatever created the listener (nvmf-target's src/controller);
 * nothing here knows that owner beyond xport_ctrl.h.
 *
 * Internal (prefix tcp_). Everything runs on the listener's libuv loop.
 */
#ifndef NVMF_TCP_CTRL_H
#define NVMF_TCP_CTRL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "tcp/rx.h"
#include "tcp/tx.h"
#include "transport/xport_ctrl.h"

struct tcp_cconn;
struct tcp_listener;

struct tcp_srv {
	struct xp_listener base;	/* first: embedded-base pattern */
	struct tcp_listener *listeners;
	struct tcp_cconn *conns;
	unsigned nconns;
	uv_check_t flush;	/* sends what a loop turn queued outside a read (a
				 * read sends its own: tcp_cconn_after_read) */
	uv_timer_t stall;	/* looks for connections whose peer stopped reading
				 * (tcp_srv_stall_check), every stall_tick ms while
				 * there are connections (tcp_srv_stall_arm) */
	uint32_t stall_tick;
	bool     closing;
	bool     flush_closed;
	bool     stall_closed;
	uint64_t accepted, refused;
	/* Request objects of closed commands, reused by the next ones: no
	 * allocation per command once warm (at most TCP_CREQ_POOL_MAX). */
	struct tcp_creq *free_reqs;
	unsigned nfree_reqs;
	/* Closed connections' memory (buffers too), for the next accept. */
	struct conn_kept *conn_cache;
	unsigned nconn_cache;
};

static inline struct tcp_srv *tcp_srv_of(struct xp_listener *l)
{
	return (struct tcp_srv *)l;
}

/* Log through the owner's callback (listen.c). */
void tcp_srv_log(struct tcp_srv *srv, enum nvmf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Part of draining: close the connections once all is answered. */
void tcp_srv_drain_check(struct tcp_srv *srv);
/* Free the listener once closed and every connection is gone. */
void tcp_srv_maybe_free(struct tcp_srv *srv);

/* conn.c */
/* Free the pooled request objects (the listener is going away). */
void tcp_srv_free_reqs(struct tcp_srv *srv);
void tcp_srv_free_conn_cache(struct tcp_srv *srv);
int  tcp_cconn_accept(struct tcp_srv *srv, uv_stream_t *server, bool io);
/*
 * In-process seam (fuzzers, tests without sockets): a connection of
 * listener l with no socket. What it sends goes to sink (tcp/tx.h; a batch
 * is in flight until tcp_tx_sink_done(tcp_cconn_tx(c), status)); what the
 * host sends is fed with tcp_cconn_input(), as reads would bring it (and
 * what each piece completed is sent, as after a read). The listener's
 * uv_check flushes it on each loop turn too; tcp_cconn_close() ends
 * it. Plaintext listeners only: 0, -EINVAL or -ENOMEM.
 */
int  tcp_cconn_open_sink(struct xp_listener *l, bool io, tcp_tx_sink_fn sink, void *arg,
			 struct tcp_cconn **out);
void tcp_cconn_input(struct tcp_cconn *c, const void *data, size_t n);
struct tcp_tx *tcp_cconn_tx(struct tcp_cconn *c);
void tcp_cconn_close(struct tcp_cconn *c, const char *why);
/* Close the connections whose socket took nothing of a write in flight for
 * send_timeout_ms (the stall timer's callback). */
void tcp_srv_stall_check(struct tcp_srv *srv);
/* listen.c: start the stall timer if it is not running (a connection came). */
void tcp_srv_stall_arm(struct tcp_srv *srv);
/* Flush queued PDUs of every connection (the uv_check callback). */
void tcp_srv_flush_all(struct tcp_srv *srv);
/* No PDU queued or being written. */
bool tcp_cconn_idle(const struct tcp_cconn *c);
struct tcp_cconn *tcp_cconn_next(struct tcp_cconn *c);
/* Stop reading new PDUs (draining). */
void tcp_cconn_pause(struct tcp_cconn *c);
void tcp_ctrl_complete(struct xp_creq *req);
void tcp_ctrl_drop(struct xp_cqueue *q, const char *why);

#endif /* NVMF_TCP_CTRL_H */
