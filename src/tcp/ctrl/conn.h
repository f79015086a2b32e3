/*
 * One NVMe/TCP connection on the controller side: its state, shared by
 * conn.c (the connection and its send side), conn_rx.c (its receive side)
 * and conn_tls.c (TLS on it). Private to src/tcp/ctrl.
 */
#ifndef NVMF_TCP_CTRL_CONN_H
#define NVMF_TCP_CTRL_CONN_H

#include <stddef.h>

#include "tcp/ctrl/tcp_ctrl.h"
#include "tcp/tls_io.h"

#define TCP_LINGER_MS    5000
/* Send batch limits: header/digest bytes and iovecs in one uv_write. */
#define TCP_CTRL_TX_ARENA (32 * 1024)
#define TCP_CTRL_TX_IOV   256
/* Request objects a listener keeps for reuse (tcp_srv.free_reqs). */
#define TCP_CREQ_POOL_MAX 1024
/* Closed connections' memory a listener keeps for the next ones. */
#define TCP_CONN_CACHE    4

struct tcp_creq {
	/* First, and the one field readable while the request waits in the
	 * listener's pool (tcp_srv.free_reqs; the rest is poisoned there). */
	struct tcp_creq *pool_next;
	struct tcp_cconn *conn;
	uint16_t ttag;			/* slot index, the R2T transfer tag */
	uint16_t cid;
	uint32_t h2c_next;		/* next DATAO expected */
	uint32_t icd_off;		/* in-capsule data: the command's starts here */
	uint64_t r2t_at;		/* loop time its R2T went out (data deadline) */
	bool     r2t_sent;
	bool     ddgst_bad;
	bool     in_ctl;		/* the controller owns it until complete() */
	bool     finished;		/* its response is queued: free once written */
	struct tcp_tx_item txi;		/* on the send queue: */
	bool     send_r2t;		/*   an R2T for its data */
	bool     send_resp;		/*   its data (C2H) and response */
	uint64_t tx_seq;		/* the batch that carries its data (tcp_tx_batch) */
	struct tcp_creq *retire_next;	/* on the connection's retire list */
	/* Last: the owner's request struct starts with it and extends past
	 * the end (xp_listen_opts.req_size). */
	struct xp_creq x;
};

struct tcp_cconn {
	struct tcp_cconn *next;
	struct tcp_srv *srv;
	uv_tcp_t sock;
	uv_timer_t timer;		/* ICReq and Connect deadline, then the
					 * R2T data deadline, then linger's */
	uv_shutdown_t shut;
	unsigned handles_open;
	struct tcp_rx rx;
	struct tcp_params params;
	bool     ic_done;
	bool     connected;		/* Connect succeeded: the set-up timer is off */
	/* Commands a connection may have between CapsuleCmd and the write of
	 * its response: twice the largest queue size, because a response
	 * handed to the kernel can reach the host (which then reuses the
	 * slot) before our write callback has run. The index is the TTAG. */
	struct tcp_creq **slots;
	unsigned nslots_max;
	unsigned nslots;
	/* Freed slots as a stack (no scan per command); slots_hw: one past
	 * the highest slot ever used, the bound of a walk over them. */
	uint16_t *free_slots;
	unsigned nfree_slots;
	unsigned slots_hw;
	unsigned nreqs;			/* live tcp_req objects */
	struct tcp_creq *cur;		/* CapsuleCmd being received (NULL: discard) */
	struct tcp_creq *h2c_cur;	/* H2CData being received */
	uint8_t *discard;		/* in-capsule data of a failed command */
	uint32_t max_icd;
	uint32_t maxh2cdata;
	struct tcp_tx tx;		/* the send path (tcp/tx.h) */
	/* Requests whose response went into the batch being written: freed
	 * once that write ends (tx_written), the only ones it may free. */
	struct tcp_creq *retire;
	struct tcp_tx_item ic_item;	/* ICResp queued */
	struct tcp_tx_item term_item;	/* C2HTermReq queued: the last PDU */
	/* Send progress (tcp_srv_stall_check): while a write is in flight,
	 * the write count and the bytes libuv still had to write when the
	 * socket was last seen to take some, and when that was. */
	bool     stall_watch;
	uint64_t stall_writes;
	size_t   stall_wq;
	uint64_t stall_since;
	bool     linger;		/* closing once the queued PDUs are out */
	bool     shut_started;
	bool     closed;
	uint8_t  icresp[TCP_PDU_HDR_BUF];
	size_t   icresp_len;
	uint8_t  term[TCP_PDU_HDR_BUF + NVMF_TCP_TERM_DATA_MAX];
	size_t   term_len;
	char     peer[80];
	/* TLS (conn_tls.c): the listener allows or requires it. Until the
	 * first bytes arrive (sniffing) reads land in tio's buffer. */
	bool     tls_sniffing;		/* first read decides TLS or plaintext */
	bool     tls;			/* the connection runs over TLS */
	bool     tls_closing;		/* close_notify queued after the last PDU */
	struct tcp_tls_io tio;
	/* Last: the owner's queue struct starts with it and extends past the
	 * end (xp_listen_opts.queue_size). */
	struct xp_cqueue q;
};

#define container_of(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

static inline struct tcp_creq *creq_of(struct xp_creq *x)
{
	return container_of(x, struct tcp_creq, x);
}

static inline struct tcp_cconn *conn_of(struct xp_cqueue *q)
{
	return container_of(q, struct tcp_cconn, q);
}

/* The controller layer's callbacks for this connection's queue. */
static inline const struct xp_cqueue_ops *tcp_cconn_owner(const struct tcp_cconn *c)
{
	return c->srv->base.ops;
}

/* conn_tls.c */
/* At accept, when the listener has TLS: get ready to tell TLS from
 * plaintext. 0 or -ENOMEM. */
int  tcp_cconn_tls_init(struct tcp_cconn *c);
/* A read while sniffing or under TLS; rx_result() takes what the framer
 * returned. */
void tcp_cconn_tls_input(struct tcp_cconn *c, const void *data, size_t n);
/* End of file under TLS: the reason for the log. */
const char *tcp_cconn_tls_eof(struct tcp_cconn *c);
void tcp_cconn_tls_fini(struct tcp_cconn *c);
/* conn.c */
/* A new connection of srv, its handles initialized, owned by the owner
 * (accepted): all but the socket's own set-up. NULL: out of memory. */
struct tcp_cconn *tcp_cconn_new(struct tcp_srv *srv, bool io);
/* Start the deadline of the ICReq and Connect (connect_timeout_ms). */
void tcp_cconn_setup_deadline(struct tcp_cconn *c);
void tcp_cconn_flush(struct tcp_cconn *c);
/* A protocol error by the host: C2HTermReq, then close (3.6.2.4). */
void tcp_cconn_fatal(struct tcp_cconn *c, const struct tcp_err *err);
/* conn_rx.c */
/* The framer, on c->params and the given staging buffer. */
void tcp_cconn_rx_init(struct tcp_cconn *c, uint8_t *stage, size_t stage_size);
/* Start reading the socket: 0 or a libuv error. */
int  tcp_cconn_read_start(struct tcp_cconn *c);
void tcp_cconn_rx_result(struct tcp_cconn *c, int rc);
/* A read was parsed (or input fed as one): send what it completed now. */
void tcp_cconn_after_read(struct tcp_cconn *c);
bool tcp_cconn_live(void *c);

/* conn_mem.c: memory kept by the listener for reuse */
/* A zeroed request object of srv's size (pool, else heap); NULL: no memory. */
struct tcp_creq *tcp_creq_get(struct tcp_srv *srv);
void tcp_creq_put(struct tcp_srv *srv, struct tcp_creq *r);
/* The buffers of a connection, their sizes set by the listener's options:
 * the framer's staging buffer (tp.tcp.stage_size), the send arena and
 * iovecs (TCP_CTRL_TX_*), the slots and their free stack, and where the
 * in-capsule data of a failed command goes (max_icd). */
struct tcp_cconn_bufs {
	uint8_t  *stage;
	uint8_t  *arena;
	uv_buf_t *iov;
	struct tcp_creq **slots;	/* zeroed */
	uint8_t  *discard;
};
unsigned tcp_cconn_nslots(const struct tcp_srv *srv);
/* Memory for a new connection: the struct, zeroed, and its buffers, kept
 * from a closed connection or allocated. NULL: out of memory. */
struct tcp_cconn *tcp_cconn_mem_get(struct tcp_srv *srv, struct tcp_cconn_bufs *b);
/* A closed connection's memory and buffers: kept, or freed. */
void tcp_cconn_mem_put(struct tcp_srv *srv, struct tcp_cconn *c);

#endif /* NVMF_TCP_CTRL_CONN_H */
