/*
 * NVMe/TCP receive framing (NVMe/TCP 1.0, 3.6.1): a state machine that cuts
 * the byte stream into PDUs, checks each header (pdu.c) before trusting any
 * length in it, and delivers the data straight to the buffer the upper layer
 * names for it.
 *
 * Bytes reach the parser in two ways. Normally the reader asks
 * tcp_rx_get_buf() where to read: into the staging buffer, from which the
 * parser copies headers into hbuf and data into its destination; or, while
 * a large part of a PDU's data is still missing, into the destination
 * itself, so bulk data crosses memory once (tcp_rx_commit() then only
 * counts it). tcp_rx_feed() copies in bytes from anywhere (tests, fakes).
 *
 * The parser always consumes everything it is given, so the staging buffer
 * is empty between calls: a read never has to be split or compacted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/rx.h"

/* Below this many missing data bytes, reading through the staging buffer
 * (and picking up the next headers in the same read) beats a direct read. */
#define TCP_RX_DIRECT_MIN 4096

/*
 * Bulk transfers: once a PDU with at least TCP_RX_BULK_MIN data bytes has
 * arrived, the next PDU is probably as large, and a full staging read
 * after its header would copy up to a staging buffer's worth of its data
 * twice (socket -> stage -> destination): with 128 KiB reads and a 64 KiB
 * stage, half of the data. Until a smaller data PDU arrives, staging reads
 * bring at most TCP_RX_BULK_STAGE bytes: room for the headers in between
 * and a data tail below TCP_RX_DIRECT_MIN, while the rest of each PDU's data
 * is read straight into its destination. The number of reads stays the
 * same (one staged, one direct per PDU).
 */
#define TCP_RX_BULK_MIN   (32 * 1024)
#define TCP_RX_BULK_STAGE (8 * 1024)

static int rx_fail(struct tcp_rx *rx, int rc, uint16_t fes, uint32_t fei, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int rx_fail(struct tcp_rx *rx, int rc, uint16_t fes, uint32_t fei, const char *fmt, ...)
{
	va_list ap;

	rx->err.fes = fes;
	rx->err.fei = fei;
	va_start(ap, fmt);
	vsnprintf(rx->err.msg, sizeof(rx->err.msg), fmt, ap);
	va_end(ap);
	rx->state = TCP_RX_DEAD;
	return rc;
}

/* A check or callback failed with err filled: the connection is dead. */
static int rx_dead(struct tcp_rx *rx, int rc)
{
	rx->state = TCP_RX_DEAD;
	if (rc >= 0)
		rc = -EPROTO;
	if (rx->err.msg[0] == '\0')
		snprintf(rx->err.msg, sizeof(rx->err.msg), "receive callback failed (%d)", rc);
	return rc;
}

int tcp_rx_init_with(struct tcp_rx *rx, const struct tcp_params *p, uint8_t *stage,
		     size_t stage_size, const struct tcp_rx_ops *ops, void *arg)
{
	memset(rx, 0, sizeof(*rx));
	if (stage == NULL || stage_size < TCP_RX_STAGE_MIN || ops == NULL || ops->on_pdu == NULL ||
	    p == NULL)
		return -EINVAL;
	rx->stage = stage;
	rx->stage_size = stage_size;
	rx->ops = ops;
	rx->arg = arg;
	rx->params = *p;
	rx->state = TCP_RX_CH;
	return 0;
}

int tcp_rx_init(struct tcp_rx *rx, const struct tcp_params *p, size_t stage_size,
		const struct tcp_rx_ops *ops, void *arg)
{
	uint8_t *stage;
	int rc;

	memset(rx, 0, sizeof(*rx));
	if (stage_size < TCP_RX_STAGE_MIN)
		return -EINVAL;
	stage = malloc(stage_size);
	if (stage == NULL)
		return -ENOMEM;
	rc = tcp_rx_init_with(rx, p, stage, stage_size, ops, arg);
	if (rc < 0)
		free(stage);
	return rc;
}

void tcp_rx_free(struct tcp_rx *rx)
{
	free(rx->stage);
	rx->stage = NULL;
	rx->stage_size = 0;
	rx->state = TCP_RX_DEAD;
}

void tcp_rx_set_params(struct tcp_rx *rx, const struct tcp_params *p)
{
	/* Takes effect at the next common header: the PDU being parsed was
	 * checked against the parameters in force when it began. */
	rx->params = *p;
}

static bool rx_is_term(const struct tcp_rx *rx)
{
	return rx->hdr.ch.pdu_type == NVMF_TCP_H2C_TERM_REQ ||
	       rx->hdr.ch.pdu_type == NVMF_TCP_C2H_TERM_REQ;
}

/* Copies up to want - have bytes of the input into dst + have. */
static size_t rx_take(struct tcp_rx *rx, uint8_t *dst, uint32_t want, const uint8_t **p,
		      size_t *n)
{
	size_t k = want - rx->have;

	if (k > *n)
		k = *n;
	if (dst != NULL && k > 0)
		memcpy(dst + rx->have, *p, k);
	rx->have += (uint32_t)k;
	*p += k;
	*n -= k;
	return k;
}

/* The PDU is complete: verify the data digest and hand it up. */
static int rx_deliver(struct tcp_rx *rx)
{
	bool ddgst_ok = true;
	int rc;

	if (rx->lay.ddgst_len > 0) {
		/* 3.6.1.1: DDGST covers the DATA only, not the PAD. A
		 * mismatch fails the command, not the connection (3.6.2.1). */
		uint32_t want = tcp_crc32c(rx->dst, rx->lay.datal);

		ddgst_ok = nvmf_get_le32(rx->ddgst) == want;
	}
	if (rx->lay.datal > 0 && !rx_is_term(rx))
		rx->bulk = rx->lay.datal >= TCP_RX_BULK_MIN;
	rx->state = TCP_RX_CH;
	rx->have = 0;
	rx->inplace = false;
	rc = rx->ops->on_pdu(rx->arg, &rx->hdr, &rx->lay, rx->lay.datal ? rx->dst : NULL,
			     ddgst_ok, &rx->err);
	if (rc != 0)
		return rx_dead(rx, rc);
	return 0;
}

/* After the header or data, moves to the next section that has bytes. */
static int rx_advance(struct tcp_rx *rx)
{
	rx->have = 0;
	if (rx->state == TCP_RX_HDR && rx->lay.pad > 0) {
		rx->state = TCP_RX_PAD;
		return 0;
	}
	if ((rx->state == TCP_RX_HDR || rx->state == TCP_RX_PAD) && rx->lay.datal > 0) {
		rx->state = TCP_RX_DATA;
		return 0;
	}
	if (rx->state != TCP_RX_DDGST && rx->lay.ddgst_len > 0 && rx->lay.datal > 0) {
		rx->state = TCP_RX_DDGST;
		return 0;
	}
	return rx_deliver(rx);
}

static int rx_got_ch(struct tcp_rx *rx)
{
	memcpy(&rx->hdr.ch, rx->hbuf, sizeof(rx->hdr.ch));
	if (tcp_check_ch(&rx->hdr.ch, &rx->params, rx->ic_done, &rx->lay, &rx->err) != 0)
		return rx_dead(rx, -EPROTO);
	rx->state = TCP_RX_HDR;
	return 0;
}

/* n bytes of input follow the header (at p): offer the data in place if
 * the whole rest of the PDU is among them (see tcp_rx_layout.inplace). */
static int rx_got_hdr(struct tcp_rx *rx, const uint8_t *p, size_t n_in)
{
	size_t n = rx->lay.hdr_total < sizeof(rx->hdr.raw) ? rx->lay.hdr_total
							    : sizeof(rx->hdr.raw);
	void *dst = NULL;
	int rc;

	memset(&rx->hdr, 0, sizeof(rx->hdr));
	memcpy(rx->hdr.raw, rx->hbuf, n);
	if (tcp_check_hdr(&rx->hdr, &rx->lay, &rx->params, &rx->err) != 0)
		return rx_dead(rx, -EPROTO);
	rx->lay.inplace = NULL;
	if (rx->lay.datal > 0 && !rx_is_term(rx) &&
	    n_in >= (size_t)rx->lay.pad + rx->lay.datal + rx->lay.ddgst_len)
		rx->lay.inplace = p + rx->lay.pad;
	if (rx->hdr.ch.pdu_type == NVMF_TCP_ICREQ || rx->hdr.ch.pdu_type == NVMF_TCP_ICRESP)
		rx->ic_done = true;	/* 3.3: exactly one IC PDU per connection */

	if (rx->ops->on_hdr != NULL) {
		rc = rx->ops->on_hdr(rx->arg, &rx->hdr, &rx->lay, &dst, &rx->err);
		if (rc != 0)
			return rx_dead(rx, rc);
	}
	if (rx_is_term(rx)) {
		dst = rx->term_data;	/* at most 128 bytes, checked in tcp_check_ch */
	} else if (rx->lay.datal > 0 && dst == NULL) {
		return rx_fail(rx, -EINVAL, 0, 0, "%s: no destination for %u data bytes",
			       tcp_pdu_type_name(rx->hdr.ch.pdu_type), rx->lay.datal);
	}
	rx->dst = dst;
	rx->inplace = dst != NULL && dst == rx->lay.inplace;
	return rx_advance(rx);
}

static int rx_parse(struct tcp_rx *rx, const uint8_t *p, size_t n)
{
	int rc = 0;

	while (n > 0 && rc == 0) {
		switch (rx->state) {
		case TCP_RX_CH:
			rx_take(rx, rx->hbuf, sizeof(struct nvmf_tcp_ch), &p, &n);
			if (rx->have == sizeof(struct nvmf_tcp_ch))
				rc = rx_got_ch(rx);
			break;
		case TCP_RX_HDR:
			rx_take(rx, rx->hbuf, rx->lay.hdr_total, &p, &n);
			if (rx->have == rx->lay.hdr_total)
				rc = rx_got_hdr(rx, p, n);
			break;
		case TCP_RX_PAD:
			rx_take(rx, NULL, rx->lay.pad, &p, &n);
			if (rx->have == rx->lay.pad)
				rc = rx_advance(rx);
			break;
		case TCP_RX_DATA:
			/* In place: the bytes are already where dst points. */
			rx_take(rx, rx->inplace ? NULL : rx->dst, rx->lay.datal, &p, &n);
			if (rx->have == rx->lay.datal)
				rc = rx_advance(rx);
			break;
		case TCP_RX_DDGST:
			rx_take(rx, rx->ddgst, NVMF_TCP_DIGEST_LEN, &p, &n);
			if (rx->have == NVMF_TCP_DIGEST_LEN)
				rc = rx_advance(rx);
			break;
		case TCP_RX_DEAD:
			return -EPROTO;
		}
	}
	return rc;
}

void tcp_rx_get_buf(struct tcp_rx *rx, void **buf, size_t *len)
{
	if (rx->state == TCP_RX_DATA && rx->dst != rx->term_data &&
	    rx->lay.datal - rx->have >= TCP_RX_DIRECT_MIN) {
		/* Exactly the missing data: the read cannot run into the
		 * digest or the next PDU, which go through the stage. */
		*buf = rx->dst + rx->have;
		*len = rx->lay.datal - rx->have;
		rx->direct = true;
		return;
	}
	*buf = rx->stage;
	*len = rx->bulk && rx->stage_size > TCP_RX_BULK_STAGE ? TCP_RX_BULK_STAGE
							       : rx->stage_size;
	rx->direct = false;
}

int tcp_rx_commit(struct tcp_rx *rx, size_t n)
{
	bool direct = rx->direct;

	rx->direct = false;
	if (rx->state == TCP_RX_DEAD)
		return -EPROTO;
	if (!direct) {
		if (n > rx->stage_size)
			return rx_fail(rx, -EINVAL, 0, 0, "commit of %zu bytes, staging buffer "
				       "holds %zu", n, rx->stage_size);
		return rx_parse(rx, rx->stage, n);
	}
	if (rx->state != TCP_RX_DATA || n > rx->lay.datal - rx->have)
		return rx_fail(rx, -EINVAL, 0, 0, "commit of %zu bytes does not match the "
			       "direct buffer", n);
	rx->have += (uint32_t)n;
	if (rx->have == rx->lay.datal)
		return rx_advance(rx);
	return 0;
}

int tcp_rx_feed(struct tcp_rx *rx, const void *data, size_t n)
{
	if (rx->state == TCP_RX_DEAD)
		return -EPROTO;
	rx->direct = false;
	return rx_parse(rx, data, n);
}

size_t tcp_rx_err_hdr(const struct tcp_rx *rx, const void **hdr)
{
	/* tcp_check_ch() clears the layout first and sets HLEN only once the
	 * CH passed; from then on hbuf holds the whole header. */
	size_t n = rx->lay.hlen ? rx->lay.hlen : sizeof(struct nvmf_tcp_ch);

	if (n > NVMF_TCP_TERM_DATA_MAX)
		n = NVMF_TCP_TERM_DATA_MAX;
	*hdr = rx->hbuf;
	return n;
}

size_t tcp_rx_partial(const struct tcp_rx *rx, char *buf, size_t len)
{
	const char *section;
	uint32_t total;
	int n;

	switch (rx->state) {
	case TCP_RX_CH:
		if (rx->have == 0)
			return 0;
		n = snprintf(buf, len, "a PDU: %u of its 8 common header bytes", rx->have);
		return n > 0 ? (size_t)n : 0;
	case TCP_RX_HDR:
		section = "header", total = rx->lay.hdr_total;
		break;
	case TCP_RX_PAD:
		section = "padding", total = rx->lay.pad;
		break;
	case TCP_RX_DATA:
		section = "data", total = rx->lay.datal;
		break;
	case TCP_RX_DDGST:
		section = "data digest", total = NVMF_TCP_DIGEST_LEN;
		break;
	default:
		return 0;
	}
	n = snprintf(buf, len, "a %s PDU: %u of its %u %s bytes",
		     tcp_pdu_type_name(rx->hdr.ch.pdu_type), rx->have, total, section);
	return n > 0 ? (size_t)n : 0;
}
