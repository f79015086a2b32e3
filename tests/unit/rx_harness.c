/* Test harness for the NVMe/TCP codec (see rx_harness.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit/rx_harness.h"

void stream_put(struct stream *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < s->len + n)
			cap *= 2;
		s->buf = realloc(s->buf, cap);
		assert_non_null(s->buf);
		s->cap = cap;
	}
	if (n > 0)
		memcpy(s->buf + s->len, p, n);
	s->len += n;
}

void stream_free(struct stream *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)(x >> 7);
	}
}

void stream_put_pdu(struct stream *s, const struct tcp_params *tx, const void *hdr,
		    size_t hdr_len, uint32_t datal, uint32_t seed)
{
	stream_put(s, hdr, hdr_len);
	if (datal == 0)
		return;
	uint8_t *data = malloc(datal);

	assert_non_null(data);
	fill_pattern(data, datal, seed);
	stream_put(s, data, datal);
	if (tx->ddgst) {
		uint8_t d[4];

		tcp_put_digest(d, tcp_crc32c(data, datal));
		stream_put(s, d, 4);
	}
	free(data);
}

uint32_t test_rand(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x12345u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static int h_on_hdr(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		    const struct tcp_rx_layout *lay, void **dst, struct tcp_err *err)
{
	struct harness *h = arg;
	uint8_t t = hdr->ch.pdu_type;

	assert_false(h->hdr_pending);
	h->hdr_pending = true;
	if (h->check_range && (t == NVMF_TCP_C2H_DATA || t == NVMF_TCP_H2C_DATA)) {
		uint32_t exp = h->any_order ? nvmf_get_le32(hdr->raw + 12) : h->expected;
		int rc = tcp_check_data_range(hdr, h->xfer_len, exp, err);

		if (rc != 0)
			return rc;
	}
	if (lay->inplace != NULL) {
		/* Only data PDUs, and the offer holds the whole data. */
		assert_true(lay->datal > 0);
		assert_true(t != NVMF_TCP_H2C_TERM_REQ && t != NVMF_TCP_C2H_TERM_REQ);
	}
	if (h->take_inplace && lay->inplace != NULL) {
		h->cur_inplace = lay->inplace;
		*dst = (void *)(uintptr_t)lay->inplace;
	} else if (lay->datal > 0 && t != NVMF_TCP_H2C_TERM_REQ && t != NVMF_TCP_C2H_TERM_REQ) {
		h->cur_dst = malloc(lay->datal);
		assert_non_null(h->cur_dst);
		memset(h->cur_dst, 0xee, lay->datal);
		h->cur_datal = lay->datal;
		*dst = h->cur_dst;
	}
	return 0;
}

static int h_on_pdu(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		    const struct tcp_rx_layout *lay, void *data, bool ddgst_ok,
		    struct tcp_err *err)
{
	struct harness *h = arg;
	struct rx_event *e;

	assert_true(h->hdr_pending);
	h->hdr_pending = false;
	if (h->nev == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->ev = realloc(h->ev, h->cap * sizeof(*h->ev));
		assert_non_null(h->ev);
	}
	e = &h->ev[h->nev++];
	memset(e, 0, sizeof(*e));
	e->hdr = *hdr;
	e->lay = *lay;
	e->lay.inplace = NULL;	/* where the bytes were differs per feeding */
	e->datal = lay->datal;
	e->ddgst_ok = ddgst_ok;
	e->hdr_seen = true;
	if (lay->datal > 0) {
		assert_non_null(data);
		e->data = malloc(lay->datal);
		assert_non_null(e->data);
		memcpy(e->data, data, lay->datal);
	} else {
		assert_null(data);
	}
	if (data != NULL && data == h->cur_dst) {
		free(h->cur_dst);
	}
	if (data != NULL && data == h->cur_inplace)
		h->inplace_taken++;
	h->cur_inplace = NULL;
	h->cur_dst = NULL;
	h->cur_datal = 0;

	if (h->negotiate && hdr->ch.pdu_type == NVMF_TCP_ICREQ) {
		struct tcp_params p;
		int rc = tcp_check_icreq(&hdr->icreq, h->cpda, h->maxh2cdata, h->max_icd, &p, err);

		if (rc != 0)
			return rc;
		tcp_rx_set_params(&h->rx, &p);
	} else if (h->negotiate && hdr->ch.pdu_type == NVMF_TCP_ICRESP) {
		struct tcp_params p;
		int rc = tcp_check_icresp(&hdr->icresp, &h->icreq, &p, err);

		if (rc != 0)
			return rc;
		tcp_rx_set_params(&h->rx, &p);
	}
	return 0;
}

const struct tcp_rx_ops harness_ops = {
	.on_hdr = h_on_hdr,
	.on_pdu = h_on_pdu,
};

void harness_init(struct harness *h, const struct tcp_params *p, size_t stage)
{
	memset(h, 0, sizeof(*h));
	h->init = *p;
	assert_int_equal(tcp_rx_init(&h->rx, p, stage, &harness_ops, h), 0);
}

void harness_free(struct harness *h)
{
	for (size_t i = 0; i < h->nev; i++)
		free(h->ev[i].data);
	free(h->ev);
	free(h->cur_dst);
	tcp_rx_free(&h->rx);
	memset(h, 0, sizeof(*h));
}

int feed_all(struct harness *h, const struct stream *s)
{
	return tcp_rx_feed(&h->rx, s->buf, s->len);
}

int feed_bytewise(struct harness *h, const struct stream *s)
{
	for (size_t i = 0; i < s->len; i++) {
		int rc = tcp_rx_feed(&h->rx, s->buf + i, 1);

		if (rc != 0)
			return rc;
	}
	return 0;
}

int feed_random(struct harness *h, const struct stream *s, uint32_t seed, size_t max_chunk)
{
	size_t off = 0;

	while (off < s->len) {
		size_t n = 1 + test_rand(&seed) % max_chunk;

		if (n > s->len - off)
			n = s->len - off;
		int rc = tcp_rx_feed(&h->rx, s->buf + off, n);
		if (rc != 0)
			return rc;
		off += n;
	}
	return 0;
}

int feed_socket(struct harness *h, const struct stream *s, uint32_t seed, size_t max_read)
{
	size_t off = 0;

	while (off < s->len) {
		void *buf;
		size_t len, n;

		tcp_rx_get_buf(&h->rx, &buf, &len);
		assert_non_null(buf);
		assert_true(len > 0);
		n = 1 + test_rand(&seed) % max_read;
		if (n > len)
			n = len;
		if (n > s->len - off)
			n = s->len - off;
		if (h->cur_dst != NULL && (uint8_t *)buf >= h->cur_dst &&
		    (uint8_t *)buf < h->cur_dst + h->cur_datal) {
			/* The read lands in the destination itself. */
			assert_true((uint8_t *)buf + len <= h->cur_dst + h->cur_datal);
			h->direct_bytes += n;
		} else {
			assert_ptr_equal(buf, h->rx.stage);
		}
		memcpy(buf, s->buf + off, n);
		off += n;
		int rc = tcp_rx_commit(&h->rx, n);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void assert_same_events(const struct harness *a, const struct harness *b)
{
	assert_int_equal(a->nev, b->nev);
	for (size_t i = 0; i < a->nev; i++) {
		const struct rx_event *x = &a->ev[i], *y = &b->ev[i];

		assert_memory_equal(&x->hdr, &y->hdr, sizeof(x->hdr));
		assert_memory_equal(&x->lay, &y->lay, sizeof(x->lay));
		assert_int_equal(x->datal, y->datal);
		assert_int_equal(x->ddgst_ok, y->ddgst_ok);
		if (x->datal > 0)
			assert_memory_equal(x->data, y->data, x->datal);
	}
}

void fix_hdgst(uint8_t *p)
{
	uint8_t hlen = p[2];

	tcp_put_digest(p + hlen, tcp_crc32c(p, hlen));
}
