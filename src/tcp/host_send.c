/*
 * NVMe/TCP host queue pair: the send path (tcp/tx.h, shared with the
 * controller role).
 *
 * Submitting only queues the request. A uv_prepare handle, run just before
 * the loop polls, flushes the queue, and so does the end of each read
 * (tcp_host_tx_after_read), for what its completions submitted: one socket
 * write carries every command capsule and H2CData PDU (NVMe/TCP 1.0,
 * 3.6.2.6, 3.6.2.8) queued meanwhile, the data straight from the callers'
 * buffers (offered to the socket at once; what it does not take goes on
 * with uv_write, and nothing more is written until that ends).
 *
 * Buffer lifetime: a command whose data is referenced by the write in
 * flight is not completed until that write is done, even if the controller
 * already answered (it may fail a command before reading its data); its
 * owner could otherwise free a buffer the kernel has not finished copying
 * (host_qpair.c's hq_complete defers it; tx_written completes it).
 */
#include <limits.h>

#include "tcp/host_qpair.h"

#define container_of(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

static void hq_tx_flush(struct tcp_host_qpair *hq);

static bool tx_live(const struct tcp_host_qpair *hq)
{
	return hq->base.state == XP_QP_READY && hq->tcp_open;
}

static void tx_prep_cb(uv_prepare_t *p)
{
	hq_tx_flush(p->data);
}

static void tx_prep_start(struct tcp_host_qpair *hq)
{
	if (hq->prep_open && !hq->prep_active) {
		uv_prepare_start(&hq->prep, tx_prep_cb);
		hq->prep_active = true;
	}
}

static void tx_prep_stop(struct tcp_host_qpair *hq)
{
	if (hq->prep_active) {
		uv_prepare_stop(&hq->prep);
		hq->prep_active = false;
	}
}

static void tx_prep_closed(uv_handle_t *h)
{
	struct tcp_host_qpair *hq = h->data;

	xp_handle_closed(&hq->base);
}

/* Put the request's pending PDUs in the batch; false if it ran out of room. */
static bool tx_emit(struct tcp_tx *tx, struct tcp_tx_item *it)
{
	struct tcp_host_req *req = container_of(it, struct tcp_host_req, txi);
	struct tcp_host_qpair *hq = tx->arg;
	size_t n;

	if (req->capsule_pending) {
		uint32_t icd = req->icd ? req->base.len : 0;

		if (!tcp_tx_room(tx, TCP_PDU_HDR_BUF + NVMF_TCP_DIGEST_LEN, 3))
			return false;
		n = tcp_build_capsule_cmd(tcp_tx_hdr_space(tx), &hq->params, &req->base.sqe, icd);
		tcp_tx_push_hdr(tx, n);
		if (icd > 0) {
			tcp_tx_push_data(tx, req->base.buf, icd);
			req->tx_seq = tcp_tx_batch(tx);
		}
		req->capsule_pending = false;
	}
	/* 3.6.2.8: the R2T's range in H2CData PDUs of at most MAXH2CDATA,
	 * LAST_PDU on the one that ends the range. */
	while (req->r2t_active && req->h2c_off < req->h2c_end) {
		uint32_t chunk = req->h2c_end - req->h2c_off;
		bool last;

		if (!tcp_tx_room(tx, TCP_PDU_HDR_BUF + NVMF_TCP_DIGEST_LEN, 3))
			return false;
		if (chunk > hq->params.maxh2cdata)
			chunk = hq->params.maxh2cdata;
		last = req->h2c_off + chunk == req->h2c_end;
		n = tcp_build_h2c_data(tcp_tx_hdr_space(tx), &hq->params, req->base.cid, req->ttag,
				       req->h2c_off, chunk, last);
		tcp_tx_push_hdr(tx, n);
		tcp_tx_push_data(tx, (uint8_t *)req->base.buf + req->h2c_off, chunk);
		req->tx_seq = tcp_tx_batch(tx);
		req->h2c_off += chunk;
		if (last)
			req->r2t_active = false;
	}
	return true;
}

static void tx_written(struct tcp_tx *tx, int status)
{
	struct tcp_host_qpair *hq = tx->arg;
	struct xp_qpair *qp = &hq->base;
	struct tcp_host_req *list, *req;

	if (status == UV_ECANCELED || !tx_live(hq))
		return;
	if (status < 0) {
		xp_set_error(qp, "sending to %s port %s: %s", hq->peer, hq->trsvcid,
			     tcp_tx_strerror(tx, status));
		xp_fail(qp, -ECONNRESET);
		return;
	}
	/* Completions that waited for this write. */
	list = hq->done_head;
	hq->done_head = NULL;
	while (list != NULL && tx_live(hq)) {
		req = list;
		list = req->done_next;
		req->done_pending = false;
		if (req->done_status == INT_MIN)
			xp_req_complete_cqe(&req->base, &req->done_cqe);
		else
			xp_req_complete(&req->base, req->done_status);
	}
	if (hq->tx.head != NULL && tx_live(hq))
		tx_prep_start(hq);
}

static const struct tcp_tx_ops hq_tx_ops = {
	.emit = tx_emit,
	.written = tx_written,
};

int tcp_host_tx_init(struct tcp_host_qpair *hq)
{
	int rc = tcp_tx_init(&hq->tx, (uv_stream_t *)&hq->tcp, &hq->params, TCP_HOST_TX_ARENA,
			     TCP_HOST_TX_IOV, &hq_tx_ops, hq);

	if (rc != 0)
		return rc;
	uv_prepare_init(hq->base.loop, &hq->prep);
	hq->prep.data = hq;
	/* The prepare handle must not keep the loop alive by itself. */
	uv_unref((uv_handle_t *)&hq->prep);
	hq->prep_open = true;
	hq->base.open_handles++;
	return 0;
}

void tcp_host_tx_fini(struct tcp_host_qpair *hq)
{
	tcp_tx_fini(&hq->tx);
}

void tcp_host_tx_close(struct tcp_host_qpair *hq)
{
	struct tcp_host_req *r;

	tcp_tx_drop_queue(&hq->tx);
	/* Deferred completions: the requests are still outstanding and the
	 * generic close completes them; the list is just forgotten. */
	for (r = hq->done_head; r != NULL; r = r->done_next)
		r->done_pending = false;
	hq->done_head = NULL;
	if (hq->prep_open) {
		tx_prep_stop(hq);
		hq->prep_open = false;
		uv_close((uv_handle_t *)&hq->prep, tx_prep_closed);
	}
}

void tcp_host_tx_enqueue(struct tcp_host_qpair *hq, struct tcp_host_req *req)
{
	tcp_tx_enqueue(&hq->tx, &req->txi);
	if (!hq->tx.inflight)
		tx_prep_start(hq);
}

void tcp_host_tx_dequeue(struct tcp_host_qpair *hq, struct tcp_host_req *req)
{
	tcp_tx_dequeue(&hq->tx, &req->txi);
}

/*
 * What the completions of one read submitted goes out at once rather than
 * from the prepare handle after the last read of the loop turn: with a
 * queue's worth of responses arriving in several reads, the controller
 * gets the first new commands while we still parse the rest, so both
 * sides work at once instead of taking turns (the controller side does
 * the same, tcp/ctrl/conn.c read_cb). One batch per read, more while the
 * socket takes each one whole.
 */
void tcp_host_tx_after_read(struct tcp_host_qpair *hq)
{
	if (hq->tx.head != NULL && !hq->tx.inflight)
		hq_tx_flush(hq);
}

static void hq_tx_flush(struct tcp_host_qpair *hq)
{
	struct xp_qpair *qp = &hq->base;

	tx_prep_stop(hq);
	/* A batch the socket took at once is done before tcp_tx_flush()
	 * returns (tx_written ran): a queue longer than one batch goes on
	 * now, since the prepare handle restarted from within its own
	 * callback would only run after the loop has slept. Each round
	 * writes a batch or leaves one in flight; a round that wrote
	 * nothing ends it. */
	while (tx_live(hq)) {
		uint64_t writes = hq->tx.writes, bytes = hq->tx.bytes, pdus = hq->tx.pdus;
		int rc = tcp_tx_flush(&hq->tx);

		qp->stats.writes += hq->tx.writes - writes;
		qp->stats.bytes_tx += hq->tx.bytes - bytes;
		qp->stats.pdus_tx += hq->tx.pdus - pdus;
		if (rc != 0) {
			xp_set_error(qp, "sending to %s port %s: %s", hq->peer, hq->trsvcid,
				     tcp_tx_strerror(&hq->tx, rc));
			xp_fail(qp, -ECONNRESET);
			return;
		}
		if (hq->tx.inflight || hq->tx.head == NULL || hq->tx.writes == writes)
			break;
	}
	/* Written synchronously and nothing left: no reason to run again. */
	if (tx_live(hq) && hq->tx.head == NULL)
		tx_prep_stop(hq);
}
