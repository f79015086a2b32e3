/*
 * NVMe/TCP host send path: command capsules and H2CData PDUs (NVMe/TCP
 * 1.0, 3.6.2.6 and 3.6.2.8) gathered into one socket write per loop turn.
 *
 * Submitting only queues the request. A uv_prepare handle, run just before
 * the loop polls, turns everything queued into one iovec list (headers and
 * digests in a per-queue-pair arena, data straight from the callers'
 * buffers) and makes one uv_write. While that write is in flight, new work
 * accumulates for the next one. So under load the number of writes is the
 * number of loop turns, not of PDUs.
 *
 * Buffer lifetime: a command whose data is referenced by the write in
 * flight is not completed until that write is done, even if the controller
 * already answered (it may fail a command before reading its data); its
 * owner could otherwise free a buffer the kernel has not finished copying.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/host_qpair.h"

static bool tx_live(const struct tcp_host_qpair *hq)
{
	return hq->base.state == XP_QP_READY && hq->tcp_open;
}

static void tx_prep_cb(uv_prepare_t *p)
{
	tcp_tx_flush(p->data);
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

int tcp_tx_init(struct tcp_host_qpair *hq)
{
	hq->arena = malloc(TCP_HOST_TX_ARENA);
	hq->iov = calloc(TCP_HOST_TX_IOV, sizeof(*hq->iov));
	if (hq->arena == NULL || hq->iov == NULL)
		return -ENOMEM;
	uv_prepare_init(hq->base.loop, &hq->prep);
	hq->prep.data = hq;
	/* The prepare handle must not keep the loop alive by itself. */
	uv_unref((uv_handle_t *)&hq->prep);
	hq->prep_open = true;
	hq->base.open_handles++;
	return 0;
}

void tcp_tx_fini(struct tcp_host_qpair *hq)
{
	free(hq->arena);
	free(hq->iov);
	hq->arena = NULL;
	hq->iov = NULL;
}

void tcp_tx_close(struct tcp_host_qpair *hq)
{
	struct tcp_host_req *r;

	for (r = hq->txq_head; r != NULL; r = r->tx_next)
		r->tx_queued = false;
	hq->txq_head = hq->txq_tail = NULL;
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

void tcp_tx_enqueue(struct tcp_host_qpair *hq, struct tcp_host_req *req)
{
	if (req->tx_queued)
		return;
	req->tx_queued = true;
	req->tx_next = NULL;
	if (hq->txq_tail != NULL)
		hq->txq_tail->tx_next = req;
	else
		hq->txq_head = req;
	hq->txq_tail = req;
	if (!hq->write_inflight)
		tx_prep_start(hq);
}

void tcp_tx_dequeue(struct tcp_host_qpair *hq, struct tcp_host_req *req)
{
	struct tcp_host_req **pp, *prev = NULL;

	if (!req->tx_queued)
		return;
	for (pp = &hq->txq_head; *pp != NULL; prev = *pp, pp = &(*pp)->tx_next) {
		if (*pp == req) {
			*pp = req->tx_next;
			if (hq->txq_tail == req)
				hq->txq_tail = prev;
			break;
		}
	}
	req->tx_queued = false;
	req->tx_next = NULL;
}

/* ---- Building a batch -------------------------------------------------------- */

static bool tx_room(const struct tcp_host_qpair *hq, size_t bytes, unsigned iovs)
{
	return hq->arena_used + bytes + 8 <= TCP_HOST_TX_ARENA &&
	       hq->iovcnt + iovs <= TCP_HOST_TX_IOV;
}

static void tx_push(struct tcp_host_qpair *hq, const void *base, size_t len)
{
	hq->iov[hq->iovcnt++] = uv_buf_init((char *)base, (unsigned)len);
}

/* Header space in the arena, 8-byte aligned for the builders. */
static uint8_t *tx_hdr_space(struct tcp_host_qpair *hq)
{
	hq->arena_used = (hq->arena_used + 7) & ~(size_t)7;
	return hq->arena + hq->arena_used;
}

/* Data, then its digest (3.6.1.1: DDGST over the data only) if on. */
static void tx_push_data(struct tcp_host_qpair *hq, struct tcp_host_req *req, uint32_t off,
			 uint32_t len)
{
	uint8_t *data = (uint8_t *)req->base.buf + off;

	tx_push(hq, data, len);
	req->tx_seq = hq->tx_seq;
	if (hq->params.ddgst) {
		struct iovec v = { .iov_base = data, .iov_len = len };
		uint8_t *d = tx_hdr_space(hq);

		tcp_put_digest(d, tcp_data_digest(&v, 1));
		hq->arena_used += NVMF_TCP_DIGEST_LEN;
		tx_push(hq, d, NVMF_TCP_DIGEST_LEN);
	}
}

/* Put the request's pending PDUs in the batch; false if it ran out of room. */
static bool tx_emit(struct tcp_host_qpair *hq, struct tcp_host_req *req)
{
	struct xp_qpair *qp = &hq->base;
	uint8_t *h;
	size_t n;

	if (req->capsule_pending) {
		uint32_t icd = req->icd ? req->base.len : 0;

		if (!tx_room(hq, TCP_PDU_HDR_BUF + NVMF_TCP_DIGEST_LEN, 3))
			return false;
		h = tx_hdr_space(hq);
		n = tcp_build_capsule_cmd(h, &hq->params, &req->base.sqe, icd);
		hq->arena_used += n;
		tx_push(hq, h, n);
		if (icd > 0)
			tx_push_data(hq, req, 0, icd);
		req->capsule_pending = false;
		qp->stats.pdus_tx++;
	}
	/* 3.6.2.8: the R2T's range in H2CData PDUs of at most MAXH2CDATA,
	 * LAST_PDU on the one that ends the range. */
	while (req->r2t_active && req->h2c_off < req->h2c_end) {
		uint32_t chunk = req->h2c_end - req->h2c_off;
		bool last;

		if (!tx_room(hq, TCP_PDU_HDR_BUF + NVMF_TCP_DIGEST_LEN, 3))
			return false;
		if (chunk > hq->params.maxh2cdata)
			chunk = hq->params.maxh2cdata;
		last = req->h2c_off + chunk == req->h2c_end;
		h = tx_hdr_space(hq);
		n = tcp_build_h2c_data(h, &hq->params, req->base.cid, req->ttag, req->h2c_off,
				       chunk, last);
		hq->arena_used += n;
		tx_push(hq, h, n);
		tx_push_data(hq, req, req->h2c_off, chunk);
		req->h2c_off += chunk;
		qp->stats.pdus_tx++;
		if (last)
			req->r2t_active = false;
	}
	return true;
}

static void tx_written(uv_write_t *wr, int status)
{
	struct tcp_host_qpair *hq = wr->data;
	struct xp_qpair *qp = &hq->base;
	struct tcp_host_req *list, *req;

	hq->write_inflight = false;
	if (status == UV_ECANCELED || !tx_live(hq))
		return;
	if (status < 0) {
		xp_set_error(qp, "sending to %s port %s: %s", hq->peer, hq->trsvcid,
			     uv_strerror(status));
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
	if (hq->txq_head != NULL && tx_live(hq))
		tx_prep_start(hq);
}

void tcp_tx_flush(struct tcp_host_qpair *hq)
{
	struct xp_qpair *qp = &hq->base;
	size_t total = 0;
	unsigned i;
	int rc;

	if (hq->write_inflight || !tx_live(hq) || hq->txq_head == NULL) {
		tx_prep_stop(hq);
		return;
	}
	hq->tx_seq++;
	hq->arena_used = 0;
	hq->iovcnt = 0;
	while (hq->txq_head != NULL) {
		struct tcp_host_req *req = hq->txq_head;

		if (!tx_emit(hq, req))
			break;
		hq->txq_head = req->tx_next;
		if (hq->txq_head == NULL)
			hq->txq_tail = NULL;
		req->tx_queued = false;
		req->tx_next = NULL;
	}
	tx_prep_stop(hq);
	if (hq->iovcnt == 0)
		return;
	for (i = 0; i < hq->iovcnt; i++)
		total += hq->iov[i].len;
	hq->wr.data = hq;
	rc = uv_write(&hq->wr, (uv_stream_t *)&hq->tcp, hq->iov, hq->iovcnt, tx_written);
	if (rc != 0) {
		xp_set_error(qp, "sending to %s port %s: %s", hq->peer, hq->trsvcid,
			     uv_strerror(rc));
		xp_fail(qp, -ECONNRESET);
		return;
	}
	hq->write_inflight = true;
	qp->stats.writes++;
	qp->stats.bytes_tx += total;
}
