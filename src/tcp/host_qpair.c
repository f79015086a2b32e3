/*
 * NVMe/TCP host queue pair: Initialize Connection, the receive path, the
 * send path and protocol errors (NVMe/TCP 1.0, 3.3 to 3.6), behind the
 * transport ops table of transport/xport.h.
 *
 * Received bytes go through the rx framer (tcp/rx.h), which validates
 * every header with the codec before any length in it is trusted. The
 * callbacks here check what only the queue pair knows: that a CID names an
 * outstanding command, that data and R2Ts fit the command's direction and
 * length, and that a read completes successfully only once every byte of
 * it arrived, in order, the last C2HData carrying LAST_PDU: anything less
 * would hand the reader memory the controller never wrote. Anything wrong is
 * fatal to the connection: H2CTermReq with the FES and the offending field's
 * offset (3.6.2.4), then every outstanding command fails at once. A data
 * digest mismatch is the exception (3.6.2.1): that one command fails with
 * Transient Transport Error and the queue pair goes on.
 *
 * Sending: submitting only queues the request; host_send.c writes the
 * queue out, and holds a completion until the write that reads its data
 * is done (hq_complete defers it).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/host_qpair.h"

#define container_of(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

/* Offsets of header fields, for FEI (3.6.2.4: byte offset in the PDU header). */
#define FEI_FLAGS      1
#define FEI_CCCID      8
#define FEI_RSP_CID    (8 + 12)
#define FEI_RSP_STATUS (8 + 14)

static bool hq_live(const struct tcp_host_qpair *hq)
{
	return hq->base.state == XP_QP_READY || hq->base.state == XP_QP_CONNECTING;
}

/*
 * The outstanding request a PDU names, or NULL. A request whose completion
 * is only waiting for the socket write to finish (done_pending) is already
 * answered, so anything more for it is as wrong as for an unknown CID.
 */
static struct tcp_host_req *hq_lookup(struct tcp_host_qpair *hq, uint16_t cid)
{
	struct tcp_host_req *req = (struct tcp_host_req *)xp_req_lookup(&hq->base, cid);

	return req != NULL && !req->done_pending ? req : NULL;
}

/*
 * Before ICResp, a first PDU whose type no controller sends (3.6.1, Figure
 * 8: undefined, or a host's) means the peer is not an NVMe/TCP controller
 * at all (an HTTP server, a TLS port answering plaintext, an echo
 * service): say that, with its first bytes as text, rather than which
 * header field of a PDU it never sent was wrong. A controller's PDU out of
 * sequence stays a protocol error. True if the error was set so.
 */
static bool hq_foreign_peer(struct tcp_host_qpair *hq, const struct tcp_err *err)
{
	const unsigned char *h;
	const void *hdr;
	char text[sizeof(struct nvmf_tcp_ch) + 1];
	size_t n = tcp_rx_err_hdr(&hq->rx, &hdr), i;

	h = hdr;
	if (hq->ic_done || n < sizeof(struct nvmf_tcp_ch))
		return false;
	switch (h[0]) {
	case NVMF_TCP_ICRESP: case NVMF_TCP_C2H_TERM_REQ: case NVMF_TCP_CAPSULE_RESP:
	case NVMF_TCP_C2H_DATA: case NVMF_TCP_R2T:
		return false;
	default:
		break;
	}
	/* The common header: 8 bytes, "HTTP/1.1" from a web server. */
	for (i = 0; i < sizeof(struct nvmf_tcp_ch); i++)
		text[i] = h[i] >= 0x20 && h[i] < 0x7f && h[i] != '"' ? (char)h[i] : '.';
	text[i] = '\0';
	/* A TLS record (RFC 8446, 5.1: alert 21 or handshake 22, version 3.x). */
	xp_set_error(&hq->base, "the peer does not speak NVMe/TCP: it answered ICReq with "
		     "\"%s\"%s (%s)", text, (h[0] == 21 || h[0] == 22) && h[1] == 3 ?
		     ", a TLS record (a port that requires TLS?)" : "", err->msg);
	return true;
}

/*
 * A protocol error: tell the controller with H2CTermReq (3.6.2.4) and fail
 * the queue pair. The TermReq is written only if nothing else is queued on
 * the socket, since bytes cannot be slipped into the middle of a PDU that
 * is half sent; in that case the connection is just closed.
 */
static void hq_protocol_error(struct tcp_host_qpair *hq, const struct tcp_err *err)
{
	struct xp_qpair *qp = &hq->base;
	bool sent = false;

	if (err->fes != 0 && hq->tcp_open &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&hq->tcp) == 0) {
		const void *hdr;
		/* The framer knows how much of the header is trustworthy: the
		 * CH alone when the CH itself was refused, not the wire HLEN. */
		size_t hlen = tcp_rx_err_hdr(&hq->rx, &hdr);
		size_t n;

		n = tcp_build_term_req(hq->term_buf, TCP_ROLE_HOST, err->fes, err->fei,
				       hdr, hlen);
		if (hq->tls)
			sent = tcp_tls_io_send_now(&hq->tio, (uv_stream_t *)&hq->tcp,
						   hq->term_buf, n);
		else
			sent = tcp_tx_send_now(&hq->tx, hq->term_buf, n);
	}
	if (err->fes != 0 && hq_foreign_peer(hq, err))
		;	/* the message says what the peer is instead */
	else if (err->fes != 0)
		xp_set_error(qp, "protocol error: %s; %s H2CTermReq (FES 0x%02x %s, FEI 0x%x)",
			     err->msg, sent ? "sent" : "could not send", err->fes,
			     tcp_fes_name(err->fes), err->fei);
	else
		xp_set_error(qp, "receive error: %s", err->msg);
	xp_fail(qp, -EPROTO);
}

/* ---- Receive callbacks ------------------------------------------------------ */

/*
 * A PDU about a command whose capsule has not even been put in a send
 * batch: the controller cannot have received it, only guessed its CID (the
 * CID's generation bits make that easy), so nothing it says about the
 * command is true (3.6.2.4, PDU sequence error).
 */
static int unsent_fail(struct tcp_err *err, const char *what, uint32_t fei, uint16_t cid)
{
	return tcp_fail(err, NVMF_TCP_FES_PDU_SEQ_ERR, fei,
			"%s for CID %u, whose command capsule has not been sent yet", what, cid);
}

static int hq_on_hdr(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		     const struct tcp_rx_layout *lay, void **dst, struct tcp_err *err)
{
	struct tcp_host_qpair *hq = arg;
	struct tcp_host_req *req;
	uint16_t cid;
	int rc;

	if (!hq_live(hq))
		return -ECANCELED;
	if (hdr->ch.pdu_type != NVMF_TCP_C2H_DATA)
		return 0;

	cid = nvmf_le16toh(hdr->c2h.cccid);
	req = hq_lookup(hq, cid);
	if (req == NULL)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_CCCID,
				"C2HData for CID %u, which names no outstanding command", cid);
	if (req->capsule_pending)
		return unsent_fail(err, "C2HData", FEI_CCCID, cid);
	if (req->base.dir != XP_DIR_C2H)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_CCCID,
				"C2HData for CID %u, a command that %s", cid,
				req->base.dir == XP_DIR_H2C ? "writes data" : "has no data");
	/*
	 * 3.6.2.9: SUCCESS only with LAST_PDU. The spec lets a controller set
	 * SUCCESS only if Connect disabled SQ flow control (3.3.2), but SPDK's
	 * target sets it whenever DW0 and DW1 of the completion are zero, and
	 * Linux's host accepts it: so do we, and the SQ head is derived from
	 * the command's slot instead (transport/qpair.c, xp_req_complete).
	 */
	if ((hdr->ch.flags & NVMF_TCP_F_DATA_SUCCESS) && !(hdr->ch.flags & NVMF_TCP_F_DATA_LAST))
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS,
				"C2HData for CID %u has SUCCESS without LAST_PDU", cid);
	rc = tcp_check_data_range(hdr, req->base.len, req->c2h_next, err);
	if (rc != 0)
		return rc;
	/* LAST_PDU marks the end of the command's data (3.6.2.9): on a PDU
	 * that stops short, the rest would never arrive. Data after a LAST_PDU
	 * cannot pass the range check above, since the data is complete. */
	if ((hdr->ch.flags & NVMF_TCP_F_DATA_LAST) &&
	    nvmf_le32toh(hdr->c2h.datao) + nvmf_le32toh(hdr->c2h.datal) != req->base.len)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_FLAGS,
				"C2HData for CID %u has LAST_PDU%s but its data ends at byte %u "
				"of the command's %u", cid,
				(hdr->ch.flags & NVMF_TCP_F_DATA_SUCCESS) ? " and SUCCESS" : "",
				nvmf_le32toh(hdr->c2h.datao) + nvmf_le32toh(hdr->c2h.datal),
				req->base.len);
	*dst = (uint8_t *)req->base.buf + nvmf_le32toh(hdr->c2h.datao);
	(void)lay;
	return 0;
}

/*
 * A command is answered: complete it now, or, if the write in flight still
 * reads its data ("Buffer lifetime" at the top), once that write is done.
 * The common case, a read or a write whose data went out earlier, completes
 * here without touching the send path.
 */
static void hq_complete(struct tcp_host_qpair *hq, struct tcp_host_req *req, int status,
			const struct nvmf_cqe *cqe)
{
	if (req->txi.queued)	/* an R2T's data not sent yet: the controller gave up */
		tcp_host_tx_dequeue(hq, req);
	req->r2t_active = false;
	req->capsule_pending = false;
	if (tcp_tx_pinned(&hq->tx, req->tx_seq)) {
		req->done_pending = true;
		req->done_status = cqe != NULL ? INT_MIN : status;
		if (cqe != NULL)
			req->done_cqe = *cqe;
		req->done_next = hq->done_head;
		hq->done_head = req;
		return;
	}
	if (cqe != NULL)
		xp_req_complete_cqe(&req->base, cqe);
	else
		xp_req_complete(&req->base, status);
}

static int hq_icresp(struct tcp_host_qpair *hq, const union nvmf_tcp_pdu_hdr *hdr,
		     struct tcp_err *err)
{
	struct xp_qpair *qp = &hq->base;
	struct tcp_params p;

	if (tcp_check_icresp(&hdr->icresp, &hq->icreq, &p, err) != 0) {
		/* No TermReq: the connection never got past initialization.
		 * A protocol error (-EPROTO), not a refused TCP connection. */
		xp_set_error(qp, "%s", err->msg);
		xp_connect_done(qp, -EPROTO);
		return -ECANCELED;
	}
	hq->params = p;
	hq->cpda = hdr->icresp.cpda;
	hq->ic_done = true;
	tcp_rx_set_params(&hq->rx, &p);
	xp_log(qp, NVMF_LOG_DEBUG, "connected to %s port %s: hdgst %d ddgst %d cpda %u "
	       "maxh2cdata %u", hq->peer, hq->trsvcid, p.hdgst, p.ddgst, hq->cpda,
	       p.maxh2cdata);
	xp_connect_done(qp, 0);
	return hq_live(hq) ? 0 : -ECANCELED;
}

static int hq_capsule_resp(struct tcp_host_qpair *hq, const union nvmf_tcp_pdu_hdr *hdr,
			   struct tcp_err *err)
{
	struct nvmf_cqe cqe;
	uint16_t cid;
	struct tcp_host_req *req;

	memcpy(&cqe, hdr->rsp.cqe, sizeof(cqe));	/* the header has no alignment */
	cid = nvmf_le16toh(cqe.cid);
	req = hq_lookup(hq, cid);

	if (req == NULL)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_RSP_CID,
				"CapsuleResp for CID %u, which names no outstanding command", cid);
	if (req->capsule_pending)
		return unsent_fail(err, "CapsuleResp", FEI_RSP_CID, cid);
	/*
	 * A read reported successful must have received all of its data, in
	 * order (checked per PDU), the last PDU with LAST_PDU (3.6.2.9):
	 * otherwise the caller would take bytes the controller never sent
	 * for data. Not a per-command error: a controller that answers
	 * before its data is done is out of step with the host, so the
	 * connection is not to be trusted (PDU sequence error, 3.6.2.4).
	 * An error status with partial data is passed on as it is.
	 */
	if (req->base.dir == XP_DIR_C2H && nvmf_cqe_status_ok(nvmf_cqe_status(&cqe)) &&
	    (req->c2h_next != req->base.len || !req->c2h_last))
		return tcp_fail(err, NVMF_TCP_FES_PDU_SEQ_ERR, FEI_RSP_STATUS,
				"CapsuleResp reports success for CID %u but %s (%u of its %u "
				"data bytes arrived)", cid,
				req->c2h_next != req->base.len ? "its data is incomplete" :
				"no C2HData had LAST_PDU", req->c2h_next, req->base.len);
	/*
	 * Likewise a write reported successful must have sent all of its
	 * data: in the capsule (sent, as checked above), or every byte asked
	 * for by R2Ts and put in a send batch. Else the caller would be told
	 * data is written that never left this host.
	 */
	if (req->base.dir == XP_DIR_H2C && !req->icd && nvmf_cqe_status_ok(nvmf_cqe_status(&cqe)) &&
	    (req->r2t_next != req->base.len || req->h2c_off != req->h2c_end))
		return tcp_fail(err, NVMF_TCP_FES_PDU_SEQ_ERR, FEI_RSP_STATUS,
				"CapsuleResp reports success for CID %u but only %u of its %u "
				"data bytes were %s", cid,
				req->r2t_next != req->base.len ? req->r2t_next : req->h2c_off,
				req->base.len,
				req->r2t_next != req->base.len ? "asked for (R2T)" : "sent");
	if (req->ddgst_err)
		hq_complete(hq, req, NVMF_SC_TRANSIENT_TRANSPORT, NULL);
	else
		hq_complete(hq, req, 0, &cqe);
	return 0;
}

static int hq_c2h_data(struct tcp_host_qpair *hq, const union nvmf_tcp_pdu_hdr *hdr,
		       bool ddgst_ok)
{
	uint16_t cid = nvmf_le16toh(hdr->c2h.cccid);
	struct tcp_host_req *req = hq_lookup(hq, cid);
	uint32_t datao = nvmf_le32toh(hdr->c2h.datao);
	uint32_t datal = nvmf_le32toh(hdr->c2h.datal);

	if (req == NULL)	/* checked by hq_on_hdr; cannot happen */
		return -ECANCELED;
	req->c2h_next = datao + datal;
	req->c2h_last = (hdr->ch.flags & NVMF_TCP_F_DATA_LAST) != 0;
	if (!ddgst_ok) {
		req->ddgst_err = true;
		xp_set_error(&hq->base, "data digest error in C2HData for CID %u (DATAO %u, "
			     "DATAL %u): the command fails with Transient Transport Error",
			     cid, datao, datal);
	}
	/* 3.3.2: the command completed successfully; no CapsuleResp follows.
	 * on_hdr saw to it that this PDU ends the data (SUCCESS needs LAST).
	 * The controller consumed its SQ entry, even if the data digest
	 * failed here: no CQE will report the head. */
	if (hdr->ch.flags & NVMF_TCP_F_DATA_SUCCESS) {
		xp_req_sq_consumed(&req->base);
		hq_complete(hq, req, req->ddgst_err ? NVMF_SC_TRANSIENT_TRANSPORT : 0,
			    NULL);
	}
	return 0;
}

static int hq_r2t(struct tcp_host_qpair *hq, const union nvmf_tcp_pdu_hdr *hdr,
		  struct tcp_err *err)
{
	uint16_t cid = nvmf_le16toh(hdr->r2t.cccid);
	struct tcp_host_req *req = hq_lookup(hq, cid);
	uint32_t r2to = nvmf_le32toh(hdr->r2t.r2to);
	uint32_t r2tl = nvmf_le32toh(hdr->r2t.r2tl);
	int rc;

	if (req == NULL)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_CCCID,
				"R2T for CID %u, which names no outstanding command", cid);
	if (req->capsule_pending)
		return unsent_fail(err, "R2T", FEI_CCCID, cid);
	if (req->base.dir != XP_DIR_H2C)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_CCCID,
				"R2T for CID %u, a command that %s", cid,
				req->base.dir == XP_DIR_C2H ? "reads data" : "has no data");
	if (req->icd)
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, FEI_CCCID,
				"R2T for CID %u, whose data was sent in the capsule", cid);
	if (req->r2t_active)
		return tcp_fail(err, NVMF_TCP_FES_DATA_LIMIT_EXCEEDED, FEI_CCCID,
				"R2T for CID %u while its previous R2T is still being served "
				"(MAXR2T allows one)", cid);
	rc = tcp_check_data_range(hdr, req->base.len, req->r2t_next, err);
	if (rc != 0)
		return rc;
	req->ttag = nvmf_le16toh(hdr->r2t.ttag);
	req->h2c_off = r2to;
	req->h2c_end = r2to + r2tl;
	req->r2t_next = req->h2c_end;
	req->r2t_active = true;
	hq->r2ts++;
	tcp_host_tx_enqueue(hq, req);
	return 0;
}

static void hq_c2h_term(struct tcp_host_qpair *hq, const union nvmf_tcp_pdu_hdr *hdr)
{
	uint16_t fes = nvmf_le16toh(hdr->term.fes);
	uint32_t fei = nvmf_le16toh(hdr->term.feil) | (uint32_t)nvmf_le16toh(hdr->term.feiu) << 16;

	/* 3.6.2.5: the controller ends the connection; no TermReq back. */
	xp_set_error(&hq->base, "controller terminated the connection (C2HTermReq): FES 0x%02x "
		     "(%s), FEI 0x%x", fes, tcp_fes_name(fes), fei);
	xp_fail(&hq->base, -EPROTO);
}

static int hq_on_pdu(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		     const struct tcp_rx_layout *lay, void *data, bool ddgst_ok,
		     struct tcp_err *err)
{
	struct tcp_host_qpair *hq = arg;

	(void)lay;
	(void)data;
	if (!hq_live(hq))
		return -ECANCELED;
	hq->base.stats.pdus_rx++;
	switch (hdr->ch.pdu_type) {
	case NVMF_TCP_ICRESP:
		return hq_icresp(hq, hdr, err);
	case NVMF_TCP_CAPSULE_RESP:
		return hq_capsule_resp(hq, hdr, err);
	case NVMF_TCP_C2H_DATA:
		return hq_c2h_data(hq, hdr, ddgst_ok);
	case NVMF_TCP_R2T:
		return hq_r2t(hq, hdr, err);
	case NVMF_TCP_C2H_TERM_REQ:
		hq_c2h_term(hq, hdr);
		return -ECANCELED;
	default:
		/* tcp_check_ch lets no other type through for the host role. */
		return tcp_fail(err, NVMF_TCP_FES_INVALID_PDU_HDR, 0, "unexpected %s PDU",
				tcp_pdu_type_name(hdr->ch.pdu_type));
	}
}

static const struct tcp_rx_ops hq_rx_ops = {
	.on_hdr = hq_on_hdr,
	.on_pdu = hq_on_pdu,
};

/* ---- Socket callbacks --------------------------------------------------- */

static void hq_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct tcp_host_qpair *hq = h->data;
	void *base;
	size_t len;

	(void)hint;
	if (hq->tls) {
		tcp_tls_io_buf(&hq->tio, buf);
		return;
	}
	tcp_rx_get_buf(&hq->rx, &base, &len);
	*buf = uv_buf_init(base, (unsigned)len);
}

bool tcp_host_live(void *arg)
{
	return hq_live(arg);
}

void tcp_host_rx_result(struct tcp_host_qpair *hq, int rc)
{
	struct xp_qpair *qp = &hq->base;

	if (rc == 0 || !hq_live(hq))
		return;
	if (rc == -EPROTO) {
		hq_protocol_error(hq, &hq->rx.err);
		return;
	}
	xp_set_error(qp, "receive error: %s", hq->rx.err.msg);
	xp_fail(qp, -EIO);
}

static void hq_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_host_qpair *hq = s->data;
	struct xp_qpair *qp = &hq->base;
	unsigned inflight = qp->stats.inflight;

	if (!hq_live(hq))
		return;
	if (nread < 0) {
		if (nread == UV_EOF && hq->tls && !hq->tio.open) {
			/* How tlshd and OpenSSL servers refuse a PSK: nvmf.h's
			 * TLS section calls that -EACCES. */
			xp_set_error(qp, "TLS handshake with %s port %s failed: %s", hq->peer,
				     hq->trsvcid, tcp_host_tls_eof(hq));
			xp_fail(qp, -EACCES);
			return;
		}
		if (nread == UV_EOF && hq->tls)
			xp_set_error(qp, "controller closed the connection: %s (%u command%s "
				     "outstanding)", tcp_host_tls_eof(hq), inflight,
				     inflight == 1 ? "" : "s");
		else if (nread == UV_EOF)
			xp_set_error(qp, "controller closed the connection%s (%u command%s "
				     "outstanding)", hq->ic_done ? ""
				     : " before ICResp (a target that requires TLS closes a "
				       "plaintext connection so)",
				     inflight, inflight == 1 ? "" : "s");
		else
			xp_set_error(qp, "connection error: %s (%u command%s outstanding)",
				     uv_strerror((int)nread), inflight, inflight == 1 ? "" : "s");
		xp_fail(qp, -ECONNRESET);
		return;
	}
	if (nread == 0)
		return;
	qp->stats.bytes_rx += (uint64_t)nread;
	if (hq->tls)
		tcp_host_tls_input(hq, buf->base, (size_t)nread);
	else
		tcp_host_rx_result(hq, tcp_rx_commit(&hq->rx, (size_t)nread));
	if (hq_live(hq))
		tcp_host_tx_after_read(hq);
}

static void hq_icreq_written(uv_write_t *wr, int status)
{
	struct tcp_host_qpair *hq = wr->data;

	if (status == 0 || status == UV_ECANCELED || !hq_live(hq))
		return;
	xp_set_error(&hq->base, "sending ICReq to %s port %s: %s", hq->peer, hq->trsvcid,
		     uv_strerror(status));
	xp_connect_done(&hq->base, -ECONNRESET);
}

int tcp_host_send_icreq(struct tcp_host_qpair *hq)
{
	struct xp_qpair *qp = &hq->base;
	uv_buf_t b;
	size_t n;

	n = tcp_build_icreq(hq->icreq_buf, hq->icreq.hpda, hq->icreq.hdgst, hq->icreq.ddgst,
			    TCP_HOST_MAXR2T);
	qp->connect_phase = "ICResp";
	qp->stats.pdus_tx++;
	qp->stats.bytes_tx += n;
	if (hq->tls) {
		/* Inside TLS: the send path writes it after the handshake's
		 * last flight (tcp/tx.h orders everything it sends). */
		if (tcp_tls_io_write(&hq->tio, hq->icreq_buf, n) != 0)
			return UV_EPROTO;
		return tcp_tx_flush(&hq->tx);
	}
	if (hq->tx.sink != NULL)	/* in process (tcp_host_set_sink) */
		return tcp_tx_send_now(&hq->tx, hq->icreq_buf, n) ? 0 : UV_EPIPE;
	b = uv_buf_init((char *)hq->icreq_buf, (unsigned)n);
	hq->icreq_wr.data = hq;
	return uv_write(&hq->icreq_wr, (uv_stream_t *)&hq->tcp, &b, 1, hq_icreq_written);
}

/* TCP is up: start reading and send ICReq (3.3, 3.6.2.2), or first run
 * the TLS handshake (3.6.1.3: TLS is set up before the IC exchange). */
void tcp_host_connected(struct tcp_host_qpair *hq)
{
	struct xp_qpair *qp = &hq->base;
	int rc;

	uv_tcp_nodelay(&hq->tcp, 1);
	rc = uv_read_start((uv_stream_t *)&hq->tcp, hq_alloc, hq_read);
	if (rc == 0 && hq->tls) {
		if (tcp_host_tls_start(hq) != 0)
			xp_connect_done(qp, -EACCES);
		return;
	}
	if (rc == 0)
		rc = tcp_host_send_icreq(hq);
	if (rc != 0) {
		xp_set_error(qp, "starting I/O on the connection to %s port %s: %s", hq->peer,
			     hq->trsvcid, uv_strerror(rc));
		xp_connect_done(qp, -ECONNRESET);
	}
}

/* ---- Transport ops --------------------------------------------------------- */

static int hq_init(struct xp_qpair *qp)
{
	struct tcp_host_qpair *hq = tcp_hq(qp);
	struct tcp_params p;
	int rc;

	if (qp->opts.tp.tcp.hpda > 31)	/* 0's based dwords: 128 bytes at most */
		return -EINVAL;
	hq->icreq.hpda = qp->opts.tp.tcp.hpda;
	hq->icreq.hdgst = qp->opts.tp.tcp.hdgst;
	hq->icreq.ddgst = qp->opts.tp.tcp.ddgst;
	/* Until ICResp: no digests, only the IC PDU is legal (rx ic_done). */
	memset(&p, 0, sizeof(p));
	p.role = TCP_ROLE_HOST;
	p.rx_pda = qp->opts.tp.tcp.hpda;
	hq->params = p;
	rc = tcp_rx_init(&hq->rx, &p, TCP_HOST_RX_STAGE, &hq_rx_ops, hq);
	if (rc != 0)
		return rc;
	hq->rx_init = true;
	return tcp_host_tx_init(hq);
}

static int hq_connect(struct xp_qpair *qp, const char *traddr, const char *trsvcid)
{
	struct tcp_host_qpair *hq = tcp_hq(qp);
	int rc;

	if (hq->tx.sink != NULL)
		return tcp_conn_start_sink(hq, traddr, trsvcid);

	if (qp->opts.tp.tcp.tls) {
		rc = tcp_host_tls_prepare(hq);
		if (rc != 0)
			return rc;
	}
	return tcp_conn_start(hq, traddr, trsvcid);
}

static int hq_submit(struct xp_qpair *qp, struct xp_req *xreq)
{
	struct tcp_host_qpair *hq = tcp_hq(qp);
	struct tcp_host_req *req = (struct tcp_host_req *)xreq;
	struct nvmf_sgl_desc *sgl = &xreq->sqe.dptr.sgl;

	req->txi.next = NULL;
	req->txi.queued = false;
	req->ddgst_err = false;
	req->done_pending = false;
	req->r2t_active = false;
	req->h2c_off = req->h2c_end = 0;
	req->r2t_next = 0;
	req->c2h_next = 0;
	req->c2h_last = false;
	req->tx_seq = 0;
	req->icd = xreq->dir == XP_DIR_H2C && xreq->len <= qp->opts.icd_max &&
		   xreq->len <= TCP_PDU_DATA_CAP;

	/*
	 * NVMe-oF commands use SGLs (PSDT 01b, NVMe-oF 1.1, 2.3.1). NVMe/TCP
	 * 1.0, 3.3.x: in-capsule data is described by an SGL Data Block with
	 * the Offset subtype (01h), offset 0 into the capsule's data; data
	 * moved by C2HData/R2T by a Transport SGL Data Block (5Ah), also used,
	 * with length 0, for commands without data.
	 */
	xreq->sqe.flags = (uint8_t)((xreq->sqe.flags & ~NVMF_SQE_PSDT_MASK) | NVMF_SQE_FLAGS_SGL);
	memset(sgl, 0, sizeof(*sgl));
	sgl->length = nvmf_htole32(xreq->len);
	sgl->id = req->icd ? NVMF_SGL_ID_ICD : NVMF_SGL_ID_TCP_TRANSPORT;

	req->capsule_pending = true;
	tcp_host_tx_enqueue(hq, req);
	return 0;
}

static int hq_close(struct xp_qpair *qp)
{
	struct tcp_host_qpair *hq = tcp_hq(qp);

	/* TLS ends with close_notify where the socket takes it at once. */
	if (hq->tls && hq->tcp_open)
		tcp_tls_io_goodbye(&hq->tio, (uv_stream_t *)&hq->tcp);
	/* Socket first: a pending write must not read buffers that the
	 * completions following this call hand back to their owners. */
	tcp_conn_close(hq);
	tcp_host_tx_close(hq);
	return 0;
}

static void hq_fini(struct xp_qpair *qp)
{
	struct tcp_host_qpair *hq = tcp_hq(qp);

	if (hq->rx_init)
		tcp_rx_free(&hq->rx);
	if (hq->ai_list != NULL)
		freeaddrinfo(hq->ai_list);
	tcp_host_tx_fini(hq);
	tcp_host_tls_fini(hq);
}

static void hq_get_info(struct xp_qpair *qp, struct xp_qpair_info *info)
{
	struct tcp_host_qpair *hq = tcp_hq(qp);

	info->tp.tcp.hdgst = hq->params.hdgst;
	info->tp.tcp.ddgst = hq->params.ddgst;
	info->tp.tcp.cpda = hq->cpda;
	info->tp.tcp.hpda = hq->icreq.hpda;
	info->tp.tcp.maxh2cdata = hq->params.maxh2cdata;
	info->tp.tcp.r2ts = hq->r2ts;
	info->tp.tcp.tls = hq->tls && hq->tio.open && tcp_tls_io_cipher(&hq->tio) != NULL;
	if (info->tp.tcp.tls) {
		const char *cipher = tcp_tls_io_cipher(&hq->tio);

		snprintf(info->tp.tcp.tls_cipher, sizeof(info->tp.tcp.tls_cipher), "%s",
			 cipher ? cipher : "");
	}
	snprintf(info->traddr, sizeof(info->traddr), "%s", hq->peer);
	snprintf(info->trsvcid, sizeof(info->trsvcid), "%s", hq->trsvcid);
}

static size_t hq_rx_partial(struct xp_qpair *qp, char *buf, size_t len)
{
	return tcp_rx_partial(&tcp_hq(qp)->rx, buf, len);
}

const struct xp_ops tcp_host_xp_ops = {
	.name = "tcp",
	.qpair_size = sizeof(struct tcp_host_qpair),
	.req_size = sizeof(struct tcp_host_req),
	.init = hq_init,
	.connect = hq_connect,
	.submit = hq_submit,
	.close = hq_close,
	.fini = hq_fini,
	.get_info = hq_get_info,
	.rx_partial = hq_rx_partial,
};
