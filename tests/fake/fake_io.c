/* Fake controller: socket and PDU I/O, R2T/H2CData (see fake_int.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nvmf/endian.h>

#include "fake/fake_int.h"

/* ---- Socket I/O -------------------------------------------------------------- */

int fake_rd_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int fake_wr_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

void fake_conn_shutdown(struct fake_conn *c)
{
	STAT(c, if (c->fd >= 0) shutdown(c->fd, SHUT_RDWR));
}

/* Reads one PDU into buf and parses its layout, checking the host's digests. */
int fake_read_pdu(struct fake_conn *c, uint8_t *buf, struct fake_pdu *pdu)
{
	bool ic;
	uint32_t hd;

	if (fake_rd_full(c->fd, buf, 8) != 0)
		return -1;
	memset(pdu, 0, sizeof(*pdu));
	pdu->buf = buf;
	pdu->type = buf[0];
	pdu->flags = buf[1];
	pdu->hlen = buf[2];
	pdu->pdo = buf[3];
	pdu->plen = nvmf_get_le32(buf + 4);
	if (pdu->plen < 8 || pdu->plen > FAKE_PDU_MAX || pdu->hlen < 8)
		return -1;
	if (fake_rd_full(c->fd, buf + 8, pdu->plen - 8) != 0)
		return -1;
	ic = pdu->type == NVMF_TCP_ICREQ || pdu->type == NVMF_TCP_H2C_TERM_REQ;
	hd = !ic && c->p.hdgst ? NVMF_TCP_DIGEST_LEN : 0;
	if (hd != 0 && pdu->plen >= pdu->hlen + hd &&
	    tcp_crc32c(buf, pdu->hlen) != nvmf_get_le32(buf + pdu->hlen))
		STAT(c, c->fc->st.hdgst_errors++);
	if (pdu->type == NVMF_TCP_H2C_TERM_REQ) {
		if (pdu->plen > pdu->hlen) {
			pdu->data = buf + pdu->hlen;
			pdu->datal = pdu->plen - pdu->hlen;
		}
		return 0;
	}
	if (pdu->pdo != 0 && pdu->pdo < pdu->plen) {
		uint32_t dd = c->p.ddgst ? NVMF_TCP_DIGEST_LEN : 0;

		if (pdu->plen < pdu->pdo + dd)
			return -1;
		pdu->data = buf + pdu->pdo;
		pdu->datal = pdu->plen - pdu->pdo - dd;
		if (dd != 0 && tcp_crc32c(pdu->data, pdu->datal) !=
		    nvmf_get_le32(pdu->data + pdu->datal))
			STAT(c, c->fc->st.ddgst_errors++);
		if (pdu->pdo % tcp_pda_bytes(c->p.rx_pda) != 0 ||
		    pdu->pdo != tcp_tx_pdo(&(struct tcp_params){ .hdgst = c->p.hdgst,
								.tx_pda = c->p.rx_pda },
					   pdu->hlen))
			STAT(c, c->fc->st.h2c_bad_pdo++);
	}
	return 0;
}

/* Recompute the header digest after a header was patched. */
void fake_fix_hdgst(struct fake_conn *c, uint8_t *hdr)
{
	if (c->p.hdgst)
		tcp_put_digest(hdr + hdr[2], tcp_crc32c(hdr, hdr[2]));
}

/* Sends a header built by the codec followed by data and its digest. */
int fake_send_pdu(struct fake_conn *c, size_t hlen, const void *data, uint32_t datal,
		  bool corrupt_ddgst)
{
	size_t n = hlen;

	if (datal > 0) {
		memcpy(c->obuf + n, data, datal);
		n += datal;
		if (c->p.ddgst) {
			uint32_t d = tcp_crc32c(data, datal);

			tcp_put_digest(c->obuf + n, corrupt_ddgst ? ~d : d);
			n += NVMF_TCP_DIGEST_LEN;
		}
	}
	return fake_wr_full(c->fd, c->obuf, n);
}

int fake_send_resp(struct fake_conn *c, uint16_t cid, uint16_t status, uint32_t dw0,
		   uint32_t dw1)
{
	uint8_t cqe[16];
	size_t n;

	nvmf_put_le32(cqe + 0, dw0);
	nvmf_put_le32(cqe + 4, dw1);
	nvmf_put_le16(cqe + 8, c->qid < 0 || c->sqfc_off ? 0xffff : c->sqhd);
	nvmf_put_le16(cqe + 10, c->qid < 0 ? 0 : (uint16_t)c->qid);
	nvmf_put_le16(cqe + 12, cid);
	nvmf_put_le16(cqe + 14, (uint16_t)(status << 1));
	n = tcp_build_capsule_resp(c->obuf, &c->p, cqe);
	return fake_send_pdu(c, n, NULL, 0, false);
}

/* C2HData in chunks, the last one with LAST_PDU (and SUCCESS if asked). */
int fake_send_c2h(struct fake_conn *c, uint16_t cid, const uint8_t *data, uint32_t off,
		  uint32_t len, bool last, bool success, bool corrupt_ddgst)
{
	uint32_t chunk = c->fc->o.c2h_chunk ? c->fc->o.c2h_chunk : 131072;
	uint32_t end = off + len;

	while (off < end) {
		uint32_t n = end - off < chunk ? end - off : chunk;
		bool l = last && off + n == end;
		size_t h = tcp_build_c2h_data(c->obuf, &c->p, cid, off, n, l, l && success);

		if (fake_send_pdu(c, h, data + off, n, corrupt_ddgst) != 0)
			return -1;
		STAT(c, c->fc->st.c2h_pdus++);
		off += n;
	}
	return 0;
}

void fake_trigger(struct fake_conn *c)
{
	c->triggered = true;
	STAT(c, c->fc->st.triggered++);
}

/* ---- Host to controller data ------------------------------------------------ */

int fake_queue_pending(struct fake_conn *c, const struct fake_pdu *pdu)
{
	struct fake_pdu *q;
	unsigned depth;

	if (c->npend == FAKE_MAX_PENDING)
		return -1;
	q = &c->pend[(c->pend_head + c->npend) % FAKE_MAX_PENDING];
	*q = *pdu;
	q->buf = malloc(pdu->plen);
	if (q->buf == NULL)
		return -1;
	memcpy(q->buf, pdu->buf, pdu->plen);
	if (pdu->data != NULL)
		q->data = q->buf + (pdu->data - pdu->buf);
	c->npend++;
	depth = c->npend;
	STAT(c, if (depth > c->fc->st.max_pending) c->fc->st.max_pending = depth);
	return 0;
}

void fake_record_term(struct fake_conn *c, const uint8_t *buf)
{
	uint32_t plen = nvmf_get_le32(buf + 4);
	uint32_t n = plen > NVMF_TCP_TERM_REQ_HLEN ? plen - NVMF_TCP_TERM_REQ_HLEN : 0;
	struct fake_stats *st = &c->fc->st;

	/* fake_read_pdu() bounded PLEN by the buffer; the data follows HLEN. */
	STAT(c, st->term_received = true;
	     st->term_fes = nvmf_get_le16(buf + 8);
	     st->term_fei = nvmf_get_le32(buf + 10);
	     st->term_data_len = n;
	     memcpy(st->term_data, buf + NVMF_TCP_TERM_REQ_HLEN,
		    n < sizeof(st->term_data) ? n : sizeof(st->term_data)));
}

/* After a fatal misbehaviour: read until the host closes, noting a TermReq. */
void fake_drain(struct fake_conn *c, uint8_t *buf)
{
	struct fake_pdu pdu;

	while (fake_read_pdu(c, buf, &pdu) == 0)
		if (pdu.type == NVMF_TCP_H2C_TERM_REQ)
			fake_record_term(c, buf);
}

/* Fetch a write's len bytes with R2T/H2CData (3.3.4 of NVMe/TCP 1.0). */
int fake_get_h2c(struct fake_conn *c, uint16_t cid, uint8_t *dst, uint32_t len)
{
	uint32_t rchunk = c->fc->o.r2t_chunk ? c->fc->o.r2t_chunk : len;
	uint8_t *buf = malloc(FAKE_PDU_MAX);
	uint32_t off = 0;
	uint16_t ttag = 0x100;
	int rc = -1;

	if (buf == NULL)
		return -1;
	if (c->fc->o.scenario == FAKE_R2T_TWICE && !c->triggered && len >= 1024) {
		/* Two R2Ts in one segment, beyond the host's MAXR2T of one. */
		size_t h;

		fake_trigger(c);
		h = tcp_build_r2t(c->obuf, &c->p, cid, ttag, 0, len / 2);
		h += tcp_build_r2t(c->obuf + h, &c->p, cid, ttag + 1, len / 2, len - len / 2);
		fake_wr_full(c->fd, c->obuf, h);
		fake_drain(c, buf);
		goto out;
	}
	while (off < len) {
		uint32_t r2tl = len - off < rchunk ? len - off : rchunk;
		uint32_t got = 0;
		size_t h;

		if (c->fc->o.scenario == FAKE_R2T_OUT_OF_RANGE && !c->triggered) {
			fake_trigger(c);
			r2tl = len - off + 4096;
		}
		h = tcp_build_r2t(c->obuf, &c->p, cid, ttag, off, r2tl);
		if (fake_send_pdu(c, h, NULL, 0, false) != 0)
			goto out;
		STAT(c, c->fc->st.r2ts++);
		while (got < r2tl) {
			struct fake_pdu pdu;

			if (fake_read_pdu(c, buf, &pdu) != 0)
				goto out;
			if (pdu.type == NVMF_TCP_CAPSULE_CMD) {
				if (fake_queue_pending(c, &pdu) != 0)
					goto out;
				continue;
			}
			if (pdu.type == NVMF_TCP_H2C_TERM_REQ) {
				fake_record_term(c, buf);
				goto out;
			}
			if (pdu.type != NVMF_TCP_H2C_DATA || pdu.data == NULL)
				goto out;
			{
				uint32_t datao = nvmf_get_le32(buf + 12);
				uint32_t datal = pdu.datal;

				STAT(c, c->fc->st.h2c_pdus++;
				     if (datal > c->fc->st.h2c_max_datal)
					     c->fc->st.h2c_max_datal = datal);
				if (nvmf_get_le16(buf + 8) != cid || nvmf_get_le16(buf + 10) != ttag ||
				    datao != off + got || datal > r2tl - got)
					goto out;
				memcpy(dst + datao, pdu.data, datal);
				got += datal;
				if (got == r2tl && !(pdu.flags & NVMF_TCP_F_DATA_LAST))
					goto out;
			}
		}
		off += r2tl;
		ttag++;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

