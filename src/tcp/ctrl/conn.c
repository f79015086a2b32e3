/*
 * One NVMe/TCP connection on the controller side (NVMe/TCP 1.0, 3): its
 * life (accept, the set-up, data and send deadlines, closing) and what it
 * sends: R2Ts, C2HData and CapsuleResp, the ICResp, and a C2HTermReq on a
 * host protocol error, after which this connection ends (and only this
 * one). What the host sends is taken apart in conn_rx.c.
 *
 * Output goes through the send path both roles share (tcp/tx.h): an R2T,
 * a command's data and response, the ICResp or a TermReq are queued as they
 * arise and emitted into batches, one socket write each, after each read
 * (tcp_cconn_after_read) and from a uv_check handle (listen.c) for what
 * arose otherwise: under load one batch per connection per read, more
 * while the socket takes each one whole. A command whose data a write in
 * flight reads is freed once that write ends.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>

#include "tcp/ctrl/conn.h"

static void conn_maybe_free(struct tcp_cconn *c);
static void conn_maybe_shutdown(struct tcp_cconn *c);

/* ---- Transmit queue ---------------------------------------------------------- */

static void req_free(struct tcp_creq *r)
{
	struct tcp_cconn *c = r->conn;

	tcp_tx_dequeue(&c->tx, &r->txi);
	if (c->slots[r->ttag] == r) {
		c->slots[r->ttag] = NULL;
		c->nslots--;
		c->free_slots[c->nfree_slots++] = r->ttag;
	}
	if (c->cur == r)
		c->cur = NULL;
	if (c->h2c_cur == r)
		c->h2c_cur = NULL;
	tcp_cconn_owner(c)->release(&r->x);
	tcp_creq_put(c->srv, r);
	c->nreqs--;
}

/*
 * Free r if nothing needs it any more: the controller is done with it, its
 * response is queued and written (or the connection is gone), and no write
 * in flight reads its data.
 */
static void req_maybe_free(struct tcp_creq *r)
{
	struct tcp_cconn *c = r->conn;

	if (r->in_ctl || !(r->finished || c->closed) || r->txi.queued ||
	    tcp_tx_pinned(&c->tx, r->tx_seq))
		return;
	req_free(r);
}

/* Push raw bytes the connection owns (ICResp, TermReq: no digests). */
static bool emit_raw(struct tcp_tx *tx, const uint8_t *pdu, size_t n)
{
	if (!tcp_tx_room(tx, n, 1))
		return false;
	memcpy(tcp_tx_hdr_space(tx), pdu, n);
	tcp_tx_push_hdr(tx, n);
	return true;
}

/* The response of a finished command: its data first if it moves any to
 * the host (3.6.2.9), then the CapsuleResp unless SUCCESS replaced it. */
static bool emit_resp(struct tcp_tx *tx, struct tcp_creq *r)
{
	struct tcp_cconn *c = r->conn;
	struct xp_creq *cr = &r->x;
	uint16_t sf = nvmf_get_le16(cr->cqe + offsetof(struct nvmf_cqe, status));
	bool data = nvmf_cqe_status_ok(sf) && cr->dir == XP_DIR_C2H && cr->xfer_len > 0;
	bool success_flag = false;
	size_t n;

	if (!tcp_tx_room(tx, 2 * TCP_PDU_HDR_BUF + NVMF_TCP_DIGEST_LEN, 4))
		return false;
	if (data) {
		/* SUCCESS in the last C2HData replaces the CapsuleResp, only when
		 * the host disabled SQ flow control (NVMe/TCP 1.0, 3.6.2.9) and
		 * the CQE would carry nothing else. */
		success_flag = c->srv->base.opts.c2h_success && c->q.sqfc_disabled &&
			nvmf_get_le32(cr->cqe + offsetof(struct nvmf_cqe, dw0)) == 0 &&
			nvmf_get_le32(cr->cqe + offsetof(struct nvmf_cqe, dw1)) == 0;
		n = tcp_build_c2h_data(tcp_tx_hdr_space(tx), &c->params, r->cid, 0, cr->xfer_len,
				       true, success_flag);
		tcp_tx_push_hdr(tx, n);
		if (cr->bounce != NULL)
			tcp_tx_push_data_volatile(tx, cr->data, cr->xfer_len, cr->bounce);
		else
			tcp_tx_push_data(tx, cr->data, cr->xfer_len);
	}
	if (!success_flag) {
		n = tcp_build_capsule_resp(tcp_tx_hdr_space(tx), &c->params, cr->cqe);
		tcp_tx_push_hdr(tx, n);
	}
	/* Pinned by this batch whether or not it carries data: it goes on the
	 * retire list, which the write's callback walks, so a close while the
	 * write is in flight must leave it to that callback. */
	r->tx_seq = tcp_tx_batch(tx);
	r->send_resp = false;
	r->retire_next = c->retire;
	c->retire = r;
	return true;
}

/* ---- The data deadline ------------------------------------------------------- */

/*
 * A command whose data the target solicited holds its buffer, counted in
 * the controller's buffer budget, until the data comes: a host that never
 * sends it would hold both for as long as it kept the connection (Keep
 * Alive, or none with KATO 0), and with enough such commands starve every
 * other host. So all of an R2T's data must arrive within data_timeout_ms
 * of the R2T, or the connection is closed. The connection's timer, idle
 * between the set-up deadline and linger's, runs while R2Ts wait: armed
 * for the oldest one, it looks over the slots when it fires.
 */
static void data_deadline_cb(uv_timer_t *t)
{
	struct tcp_cconn *c = t->data;
	uint32_t limit = c->srv->base.opts.data_timeout_ms;
	uint64_t now = uv_now(c->srv->base.loop), next = 0;

	for (unsigned i = 0; i < c->slots_hw; i++) {
		struct tcp_creq *r = c->slots[i];

		if (!r || !r->r2t_sent || r->in_ctl || r->finished)
			continue;
		if (now - r->r2t_at >= limit) {
			tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: cid %u: only %u of the %u bytes "
				    "its R2T asked for came within %u ms", c->peer, r->cid,
				    r->h2c_next, r->x.xfer_len, limit);
			tcp_ctrl_drop(&c->q, "the host did not send the data it was asked for");
			return;
		}
		if (next == 0 || r->r2t_at + limit < next)
			next = r->r2t_at + limit;
	}
	if (next != 0)
		uv_timer_start(&c->timer, data_deadline_cb, next - now, 0);
}

static void data_deadline_arm(struct tcp_cconn *c)
{
	/* Before Connect the set-up deadline bounds everything; closing,
	 * linger's. */
	if (!c->connected || c->linger || c->closed || uv_is_active((uv_handle_t *)&c->timer))
		return;
	uv_timer_start(&c->timer, data_deadline_cb, c->srv->base.opts.data_timeout_ms, 0);
}

/* ---- The send deadline ------------------------------------------------------- */

/*
 * The data deadline's other half: a command's data for the host, with its
 * buffer counted in the owner's buffer budget, stays pinned until the socket
 * has taken it all, and so do the responses queued behind it. A host that
 * stops reading its socket would hold them for as long as it kept the
 * connection (nothing else is owed: Keep Alive is met by commands, and
 * KATO may be 0), and enough such queues starve every other host's I/O.
 * So while a write is in flight the socket must take some of it within
 * send_timeout_ms (30 s, as the data deadline: each bounds a buffer a host
 * holds by not moving data), or the connection is closed at once (lingering
 * would wait on the same socket). Any progress restarts it: a slow reader
 * is not a stalled one. The listener's timer walks the connections.
 */
static void stall_check(struct tcp_cconn *c, uint64_t now)
{
	uint32_t limit = c->srv->base.opts.send_timeout_ms;
	size_t wq;

	/* A sink (fuzzers) has no socket: its owner ends each batch. */
	if (c->closed || !c->tx.inflight || c->tx.sink) {
		c->stall_watch = false;
		return;
	}
	wq = uv_stream_get_write_queue_size((const uv_stream_t *)&c->sock);
	if (!c->stall_watch || c->tx.writes != c->stall_writes || wq != c->stall_wq) {
		c->stall_watch = true;
		c->stall_writes = c->tx.writes;
		c->stall_wq = wq;
		c->stall_since = now;
		return;
	}
	if (now - c->stall_since < limit)
		return;
	tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s (host %s, queue %u): the host took none of the "
		    "%zu bytes waiting for it in %llu ms: closing the connection", c->peer,
		    !c->q.connected ? "not connected" : c->q.hostnqn[0] ? c->q.hostnqn :
		    "with an empty HOSTNQN", c->q.qid, wq, (unsigned long long)(now - c->stall_since));
	tcp_cconn_close(c, "the host does not read what it is sent");
	conn_maybe_free(c);
}

void tcp_srv_stall_check(struct tcp_srv *srv)
{
	uint64_t now = uv_now(srv->base.loop);
	struct tcp_cconn *c, *n;

	for (c = srv->conns; c; c = n) {
		n = c->next;
		stall_check(c, now);
	}
}

static bool tx_emit(struct tcp_tx *tx, struct tcp_tx_item *it)
{
	struct tcp_cconn *c = tx->arg;
	struct tcp_creq *r;
	size_t n;

	if (it == &c->ic_item)
		return emit_raw(tx, c->icresp, c->icresp_len);
	if (it == &c->term_item)
		return emit_raw(tx, c->term, c->term_len);
	r = container_of(it, struct tcp_creq, txi);
	if (r->send_r2t) {
		/* Solicit the data: one R2T for the whole transfer, which is
		 * within MAXR2T (at least one outstanding R2T per command). The
		 * host splits it into H2CData PDUs of at most MAXH2CDATA. */
		if (!tcp_tx_room(tx, TCP_PDU_HDR_BUF, 1))
			return false;
		n = tcp_build_r2t(tcp_tx_hdr_space(tx), &c->params, r->cid, r->ttag, 0,
				  r->x.xfer_len);
		tcp_tx_push_hdr(tx, n);
		r->send_r2t = false;
		/* From now on its H2CData may come, not before: a host that
		 * sends data under a TTAG it guessed, ahead of the R2T, is
		 * told so (h2c_hdr). */
		r->r2t_sent = true;
		r->r2t_at = uv_now(c->srv->base.loop);
		data_deadline_arm(c);
	}
	return !r->send_resp || emit_resp(tx, r);
}

static void tx_written(struct tcp_tx *tx, int status)
{
	struct tcp_cconn *c = tx->arg;
	struct tcp_creq *r = c->retire;

	/* The requests answered by that write may go now. */
	c->retire = NULL;
	while (r != NULL) {
		struct tcp_creq *next = r->retire_next;

		req_maybe_free(r);
		r = next;
	}
	if (status < 0 && !c->closed)
		tcp_cconn_close(c, status == UV_ECANCELED ? "closed" : tcp_tx_strerror(tx, status));
	else
		conn_maybe_shutdown(c);
	if (c->srv->base.draining)
		tcp_srv_drain_check(c->srv);
	conn_maybe_free(c);
}

static const struct tcp_tx_ops conn_tx_ops = {
	.emit = tx_emit,
	.written = tx_written,
};

void tcp_cconn_flush(struct tcp_cconn *c)
{
	/* A batch the socket took at once is done before tcp_tx_flush()
	 * returns (tx_written ran): a queue longer than one batch goes on
	 * now, as nothing else wakes the loop for it. A round that wrote
	 * nothing ends it. c outlives this: it is freed only once its
	 * handles are closed, which takes a loop turn. */
	while (!c->closed) {
		uint64_t writes = c->tx.writes;
		int rc = tcp_tx_flush(&c->tx);

		if (rc < 0) {
			tcp_cconn_close(c, tcp_tx_strerror(&c->tx, rc));
			conn_maybe_free(c);
			return;
		}
		if (c->tx.inflight || c->tx.head == NULL || c->tx.writes == writes)
			return;
	}
}

static void shut_cb(uv_shutdown_t *sh, int status)
{
	struct tcp_cconn *c = sh->data;

	tcp_cconn_close(c, "closed after the last PDU");
}

/* A lingering connection whose output is all written: half-close it; the
 * close follows the shutdown. */
static void conn_maybe_shutdown(struct tcp_cconn *c)
{
	if (!c->linger || c->closed || c->shut_started || !tcp_cconn_idle(c))
		return;
	/* Under TLS, close_notify follows the last PDU (RFC 8446, 6.1). */
	if (c->tls && c->tio.open && !c->tls_closing) {
		c->tls_closing = true;
		if (tcp_tls_io_close(&c->tio) == 0) {
			tcp_cconn_flush(c);
			return;
		}
	}
	c->shut_started = true;
	c->shut.data = c;
	if (uv_shutdown(&c->shut, (uv_stream_t *)&c->sock, shut_cb) < 0)
		tcp_cconn_close(c, "closed");
}

struct tcp_cconn *tcp_cconn_next(struct tcp_cconn *c)
{
	return c->next;
}

void tcp_cconn_pause(struct tcp_cconn *c)
{
	if (!c->closed)
		uv_read_stop((uv_stream_t *)&c->sock);
}

bool tcp_cconn_idle(const struct tcp_cconn *c)
{
	return tcp_tx_idle(&c->tx);
}

void tcp_srv_flush_all(struct tcp_srv *srv)
{
	struct tcp_cconn *c, *n;

	for (c = srv->conns; c; c = n) {
		n = c->next;
		tcp_cconn_flush(c);
		conn_maybe_shutdown(c);
	}
}

/* ---- Closing ---------------------------------------------------------------- */

static void handle_closed(uv_handle_t *h)
{
	struct tcp_cconn *c = h->data;

	c->handles_open--;
	conn_maybe_free(c);
}

static void conn_maybe_free(struct tcp_cconn *c)
{
	struct tcp_srv *srv = c->srv;
	struct tcp_cconn **pp;

	if (!c->closed || c->handles_open || c->nreqs || c->tx.inflight)
		return;
	for (pp = &srv->conns; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	srv->nconns--;
	tcp_cconn_tls_fini(c);
	tcp_cconn_mem_put(srv, c);
	if (srv->base.draining && srv->nconns == 0 && srv->base.drain_cb) {
		void (*cb)(struct xp_listener *, void *) = srv->base.drain_cb;

		srv->base.drain_cb = NULL;
		cb(&srv->base, srv->base.arg);
	}
	tcp_srv_maybe_free(srv);
}

void tcp_cconn_close(struct tcp_cconn *c, const char *why)
{
	if (c->closed)
		return;
	c->closed = true;
	tcp_srv_log(c->srv, NVMF_LOG_INFO, "%s: connection closed: %s", c->peer, why);
	uv_read_stop((uv_stream_t *)&c->sock);
	uv_timer_stop(&c->timer);
	/* Held AERs come back through complete() and are freed there. */
	tcp_cconn_owner(c)->closed(&c->q);
	/* Requests neither in the controller nor in the write in flight: free
	 * now. Queued but unsent PDUs are dropped with their requests. */
	tcp_tx_drop_queue(&c->tx);
	/* No write in flight: nothing will walk the retire list, and the loop
	 * below frees its requests (a write in flight pins them: kept). */
	if (!c->tx.inflight)
		c->retire = NULL;
	for (unsigned i = 0; i < c->slots_hw; i++) {
		struct tcp_creq *r = c->slots[i];

		/* In the controller: complete() frees it; read by the write
		 * in flight: the write callback does (UV_ECANCELED). */
		if (r)
			req_maybe_free(r);
	}
	uv_close((uv_handle_t *)&c->sock, handle_closed);
	uv_close((uv_handle_t *)&c->timer, handle_closed);
}

static void linger_cb(uv_timer_t *t)
{
	struct tcp_cconn *c = t->data;

	tcp_cconn_close(c, c->linger ? "peer does not read: forced close"
			   : c->tls_sniffing ? "nothing received in time"
			   : c->tls && !c->tio.open ? "no TLS handshake in time"
			   : !c->ic_done ? "no ICReq in time" : "no Connect in time");
}

void tcp_cconn_setup_deadline(struct tcp_cconn *c)
{
	uv_timer_start(&c->timer, linger_cb, c->srv->base.opts.connect_timeout_ms, 0);
}

/* Close once the queued PDUs are written (bounded by a timer). */
static void conn_linger(struct tcp_cconn *c)
{
	if (c->linger || c->closed)
		return;
	c->linger = true;
	uv_read_stop((uv_stream_t *)&c->sock);
	uv_timer_start(&c->timer, linger_cb, TCP_LINGER_MS, 0);
}

/* The owner asks for the queue to go away. */
void tcp_ctrl_drop(struct xp_cqueue *q, const char *why)
{
	struct tcp_cconn *c = conn_of(q);

	tcp_srv_log(c->srv, NVMF_LOG_INFO, "%s: closing queue %u: %s", c->peer, q->qid, why);
	conn_linger(c);
	/* From a timer (keep-alive, authentication deadline) no loop turn
	 * may follow soon: send what is queued and start the shutdown now
	 * rather than at the next wake-up. A failed write closes c, whose
	 * memory stays until its handles' close callbacks run. */
	tcp_cconn_flush(c);
	conn_maybe_shutdown(c);
}

/* Protocol error by the host: C2HTermReq, then close (3.6.2.4). */
void tcp_cconn_fatal(struct tcp_cconn *c, const struct tcp_err *err)
{
	size_t hl = c->rx.lay.hlen ? c->rx.lay.hlen : sizeof(struct nvmf_tcp_ch);

	tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: protocol error: %s; sending C2HTermReq (%s, FEI %u)",
		c->peer, err->msg, tcp_fes_name(err->fes), err->fei);
	if (hl > NVMF_TCP_TERM_DATA_MAX)
		hl = NVMF_TCP_TERM_DATA_MAX;
	c->term_len = tcp_build_term_req(c->term, TCP_ROLE_CTRL, err->fes, err->fei, c->rx.hbuf,
					 hl);
	/* PDUs already queued go first; none follows the TermReq (lingering
	 * connections send nothing more). */
	tcp_tx_enqueue(&c->tx, &c->term_item);
	conn_linger(c);
}

/* ---- Completion from the controller ---------------------------------------- */

void tcp_ctrl_complete(struct xp_creq *cr)
{
	struct tcp_creq *r = creq_of(cr);
	struct tcp_cconn *c = r->conn;

	r->in_ctl = false;
	r->r2t_sent = false;
	r->finished = true;
	if (!c->connected && c->q.connected && !c->closed && !c->linger) {
		/* Connected: the ICReq/Connect deadline is over. */
		c->connected = true;
		uv_timer_stop(&c->timer);
	}
	if (c->closed || c->linger) {
		req_maybe_free(r);
		conn_maybe_free(c);
		return;
	}
	/* Its data and response go out with the next batch (emit_resp). */
	r->send_resp = true;
	tcp_tx_enqueue(&c->tx, &r->txi);
}

/* ---- Accept ------------------------------------------------------------------ */

struct tcp_cconn *tcp_cconn_new(struct tcp_srv *srv, bool io)
{
	const struct xp_listen_opts *o = &srv->base.opts;
	struct tcp_cconn_bufs b;
	struct tcp_cconn *c = tcp_cconn_mem_get(srv, &b);
	struct tcp_params p0;

	if (!c)
		return NULL;
	c->srv = srv;
	c->max_icd = o->max_icd;
	c->maxh2cdata = o->max_xfer;
	c->discard = b.discard;
	c->nslots_max = tcp_cconn_nslots(srv);
	c->slots = b.slots;
	c->free_slots = (uint16_t *)(void *)(c->slots + c->nslots_max);
	memset(&p0, 0, sizeof(p0));
	p0.role = TCP_ROLE_CTRL;
	p0.rx_pda = o->tp.tcp.cpda;
	p0.maxh2cdata = c->maxh2cdata;
	p0.max_icd = 0;
	c->params = p0;
	tcp_cconn_rx_init(c, b.stage, o->tp.tcp.stage_size);
	tcp_tx_init_with(&c->tx, (uv_stream_t *)&c->sock, &c->params, b.arena, TCP_CTRL_TX_ARENA,
			 b.iov, TCP_CTRL_TX_IOV, &conn_tx_ops, c);
	uv_tcp_init(srv->base.loop, &c->sock);
	uv_timer_init(srv->base.loop, &c->timer);
	c->sock.data = c;
	c->timer.data = c;
	c->handles_open = 2;
	c->next = srv->conns;
	srv->conns = c;
	srv->nconns++;
	tcp_srv_stall_arm(srv);
	c->q.cops = &tcp_ctrl_xp_cops;
	c->q.listener = &srv->base;
	c->q.io_allowed = io;
	srv->base.ops->accepted(&c->q, srv->base.arg);
	return c;
}

int tcp_cconn_accept(struct tcp_srv *srv, uv_stream_t *server, bool io)
{
	const struct xp_listen_opts *o = &srv->base.opts;
	struct tcp_cconn *c = tcp_cconn_new(srv, io);
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;
	char ip[64] = "?";

	if (!c)
		return -ENOMEM;
	rc = uv_accept(server, (uv_stream_t *)&c->sock);
	if (rc == 0 && uv_tcp_getpeername(&c->sock, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
			snprintf(c->peer, sizeof(c->peer), "[%s]:%u", ip,
				 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
		} else {
			uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
			snprintf(c->peer, sizeof(c->peer), "%s:%u", ip,
				 ntohs(((struct sockaddr_in *)&ss)->sin_port));
		}
	}
	snprintf(c->q.peer, sizeof(c->q.peer), "%s", c->peer);
	len = sizeof(ss);
	if (rc == 0 && uv_tcp_getsockname(&c->sock, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6)
			uv_ip6_name((struct sockaddr_in6 *)&ss, c->q.local_addr,
				    sizeof(c->q.local_addr));
		else
			uv_ip4_name((struct sockaddr_in *)&ss, c->q.local_addr,
				    sizeof(c->q.local_addr));
	}
	if (rc < 0) {
		tcp_cconn_close(c, uv_strerror(rc));
		return rc;
	}
	if (srv->nconns > o->max_conns || srv->base.draining) {
		srv->refused++;
		tcp_srv_log(srv, NVMF_LOG_WARN, "%s: refused: %s", c->peer,
			    srv->base.draining ? "shutting down" : "too many connections");
		tcp_cconn_close(c, "refused");
		return -EBUSY;
	}
	srv->accepted++;
	tcp_srv_log(srv, NVMF_LOG_INFO, "%s: connected", c->peer);
	uv_tcp_nodelay(&c->sock, 1);
	tcp_cconn_setup_deadline(c);
	if (o->tp.tcp.tls != XP_TLS_NONE && tcp_cconn_tls_init(c) < 0) {
		tcp_cconn_close(c, "out of memory for TLS");
		return -ENOMEM;
	}
	rc = tcp_cconn_read_start(c);
	if (rc < 0)
		tcp_cconn_close(c, uv_strerror(rc));
	return 0;
}
