/*
 * Receive framer round trips: every PDU type built by the builders is
 * parsed back by tcp_rx with and without header/data digests, for every
 * PDA 0..31 and data lengths 0, 1, 4, 4095, 4096, 65539; feeding all at
 * once, byte by byte, in random chunks and through tcp_rx_get_buf/commit
 * must give identical callbacks. The zero-copy path is checked to put large
 * data straight into its destination.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit/rx_harness.h"

static const uint32_t lens[] = { 0, 1, 4, 4095, 4096, 65536 + 3 };
#define NLENS (sizeof(lens) / sizeof(lens[0]))
#define MAXH2C (128 * 1024)

/* What the sender put on the wire, PDU by PDU. */
struct expect {
	uint8_t  hdr[TCP_PDU_HDR_BUF];
	size_t   hdr_len;
	uint32_t datal;
	uint32_t seed;
};

struct script {
	struct stream s;
	struct expect e[64];
	size_t n;
};

static void put(struct script *sc, const struct tcp_params *tx, const uint8_t *hdr,
		size_t hdr_len, uint32_t datal)
{
	struct expect *e = &sc->e[sc->n];

	assert_true(sc->n < 64);
	assert_true(hdr_len <= sizeof(e->hdr));
	memcpy(e->hdr, hdr, hdr_len);
	e->hdr_len = hdr_len;
	e->datal = datal;
	e->seed = (uint32_t)sc->n * 7919u + datal;
	stream_put_pdu(&sc->s, tx, hdr, hdr_len, datal, e->seed);
	sc->n++;
}

/* Host -> controller: ICReq, CapsuleCmd (+ICD), H2CData, H2CTermReq. */
static void script_h2c(struct script *sc, uint8_t pda, bool hd, bool dd)
{
	struct tcp_params tx = { .role = TCP_ROLE_HOST, .hdgst = hd, .ddgst = dd,
				 .tx_pda = pda, .rx_pda = 3, .maxh2cdata = MAXH2C };
	uint8_t b[TCP_PDU_HDR_BUF], sqe[64];
	size_t n;

	memset(sc, 0, sizeof(*sc));
	n = tcp_build_icreq(b, 3, hd, dd, 0);
	put(sc, &tx, b, n, 0);
	for (size_t i = 0; i < NLENS; i++) {
		fill_pattern(sqe, sizeof(sqe), (uint32_t)i);
		n = tcp_build_capsule_cmd(b, &tx, sqe, lens[i]);
		put(sc, &tx, b, n, lens[i]);
		if (lens[i] == 0)
			continue;
		n = tcp_build_h2c_data(b, &tx, (uint16_t)i, (uint16_t)(0x100 + i), 512 * (uint32_t)i,
				       lens[i], i & 1);
		put(sc, &tx, b, n, lens[i]);
	}
	fill_pattern(sqe, sizeof(sqe), 99);
	n = tcp_build_term_req(b, TCP_ROLE_HOST, NVMF_TCP_FES_PDU_SEQ_ERR, 0, sqe, 64);
	put(sc, &tx, b, n, 0);
}

/* Controller -> host: ICResp, CapsuleResp, C2HData, R2T, C2HTermReq. */
static void script_c2h(struct script *sc, uint8_t pda, bool hd, bool dd)
{
	struct tcp_params tx = { .role = TCP_ROLE_CTRL, .hdgst = hd, .ddgst = dd,
				 .tx_pda = pda, .rx_pda = 0, .maxh2cdata = MAXH2C };
	uint8_t b[TCP_PDU_HDR_BUF], cqe[16], bad[200];
	size_t n;

	memset(sc, 0, sizeof(*sc));
	n = tcp_build_icresp(b, 0, hd, dd, MAXH2C);
	put(sc, &tx, b, n, 0);
	for (size_t i = 0; i < NLENS; i++) {
		fill_pattern(cqe, sizeof(cqe), (uint32_t)i);
		n = tcp_build_capsule_resp(b, &tx, cqe);
		put(sc, &tx, b, n, 0);
		if (lens[i] == 0)
			continue;
		n = tcp_build_c2h_data(b, &tx, (uint16_t)i, 4096 * (uint32_t)i, lens[i], true,
				       i & 1);
		put(sc, &tx, b, n, lens[i]);
		n = tcp_build_r2t(b, &tx, (uint16_t)i, (uint16_t)(7 * i), 8 * (uint32_t)i, lens[i]);
		put(sc, &tx, b, n, 0);
	}
	/* The builder truncates the offending header to 128 bytes. */
	fill_pattern(bad, sizeof(bad), 5);
	n = tcp_build_term_req(b, TCP_ROLE_CTRL, NVMF_TCP_FES_HDR_DIGEST_ERR, 0, bad, sizeof(bad));
	assert_int_equal(n, 24 + 128);
	put(sc, &tx, b, n, 0);
	n = tcp_build_term_req(b, TCP_ROLE_CTRL, NVMF_TCP_FES_UNSUPPORTED_PARAM, 8, NULL, 0);
	put(sc, &tx, b, n, 0);
}

static void harness_for(struct harness *h, enum tcp_role role, uint8_t pda, bool hd, bool dd)
{
	/* Before the IC exchange nothing is negotiated; the IC PDU sets it. */
	struct tcp_params p = { .role = role, .maxh2cdata = 4096 };

	harness_init(h, &p, 8192);
	h->negotiate = true;
	h->icreq = (struct tcp_ic_request){ .hpda = pda, .hdgst = hd, .ddgst = dd };
	h->cpda = pda;
	h->maxh2cdata = MAXH2C;
	h->max_icd = MAXH2C;
}

/* The all-at-once recording matches what was sent, PDU by PDU. */
static void check_against_script(const struct harness *h, const struct script *sc,
				 uint8_t pda, bool hd)
{
	assert_int_equal(h->nev, sc->n);
	for (size_t i = 0; i < sc->n; i++) {
		const struct rx_event *ev = &h->ev[i];
		const struct expect *e = &sc->e[i];
		uint8_t type = e->hdr[0];
		uint32_t hlen = e->hdr[2];
		bool term = type == NVMF_TCP_H2C_TERM_REQ || type == NVMF_TCP_C2H_TERM_REQ;
		bool ic = type == NVMF_TCP_ICREQ || type == NVMF_TCP_ICRESP;

		assert_int_equal(ev->hdr.ch.pdu_type, type);
		assert_int_equal(ev->lay.hlen, hlen);
		assert_memory_equal(ev->hdr.raw, e->hdr, hlen);
		assert_true(ev->ddgst_ok);
		if (term) {
			/* TermReq data: the header copy, kept by the framer. */
			assert_int_equal(ev->datal, e->hdr_len - 24);
			if (ev->datal)
				assert_memory_equal(ev->data, e->hdr + 24, ev->datal);
			continue;
		}
		assert_int_equal(ev->lay.hdr_total, hlen + (hd && !ic ? 4 : 0));
		assert_int_equal(ev->datal, e->datal);
		if (e->datal > 0) {
			uint8_t *want = malloc(e->datal);

			assert_non_null(want);
			fill_pattern(want, e->datal, e->seed);
			assert_memory_equal(ev->data, want, e->datal);
			free(want);
			/* Data starts at the first multiple of the alignment. */
			uint32_t pdo = ev->hdr.ch.pdo;
			assert_int_equal(pdo % tcp_pda_bytes(pda), 0);
			assert_true(pdo >= ev->lay.hdr_total);
			assert_true(pdo < ev->lay.hdr_total + tcp_pda_bytes(pda));
			assert_int_equal(ev->lay.pad, pdo - ev->lay.hdr_total);
		}
	}
}

static size_t count_data_pdus(const struct harness *h)
{
	size_t n = 0;

	for (size_t i = 0; i < h->nev; i++) {
		uint8_t t = h->ev[i].hdr.ch.pdu_type;

		/* TermReq data stays with the framer (never offered). */
		n += h->ev[i].datal > 0 && t != NVMF_TCP_H2C_TERM_REQ && t != NVMF_TCP_C2H_TERM_REQ;
	}
	return n;
}

static void roundtrip(bool c2h, uint8_t pda, bool hd, bool dd, bool bytewise)
{
	enum tcp_role role = c2h ? TCP_ROLE_HOST : TCP_ROLE_CTRL;
	struct script *sc = calloc(1, sizeof(*sc));
	struct harness ref, h;
	uint32_t seed = 1000u + pda * 4u + hd * 2u + dd;

	assert_non_null(sc);
	if (c2h)
		script_c2h(sc, pda, hd, dd);
	else
		script_h2c(sc, pda, hd, dd);

	harness_for(&ref, role, pda, hd, dd);
	assert_int_equal(feed_all(&ref, &sc->s), 0);
	check_against_script(&ref, sc, pda, hd);
	assert_int_equal(ref.rx.state, TCP_RX_CH);
	assert_true(ref.rx.ic_done);

	if (bytewise) {
		harness_for(&h, role, pda, hd, dd);
		assert_int_equal(feed_bytewise(&h, &sc->s), 0);
		assert_same_events(&ref, &h);
		harness_free(&h);
	}
	harness_for(&h, role, pda, hd, dd);
	assert_int_equal(feed_random(&h, &sc->s, seed, 3000), 0);
	assert_same_events(&ref, &h);
	harness_free(&h);

	harness_for(&h, role, pda, hd, dd);
	assert_int_equal(feed_random(&h, &sc->s, seed + 1, 70000), 0);
	assert_same_events(&ref, &h);
	harness_free(&h);

	harness_for(&h, role, pda, hd, dd);
	assert_int_equal(feed_socket(&h, &sc->s, seed, 100000), 0);
	assert_same_events(&ref, &h);
	assert_true(h.direct_bytes > 0);	/* the 64 KiB PDU went direct */
	harness_free(&h);

	harness_for(&h, role, pda, hd, dd);
	assert_int_equal(feed_socket(&h, &sc->s, seed + 7, 1500), 0);
	assert_same_events(&ref, &h);
	harness_free(&h);

	/* Taking data in place (the controller's in-capsule path) delivers
	 * the same bytes and verdicts: in one feed every PDU is whole, so
	 * each one's data is offered; in small reads through the staging
	 * buffer (reused by the next read) only some are. */
	harness_for(&h, role, pda, hd, dd);
	h.take_inplace = true;
	assert_int_equal(feed_all(&h, &sc->s), 0);
	assert_same_events(&ref, &h);
	assert_int_equal(h.inplace_taken, count_data_pdus(&ref));
	harness_free(&h);

	harness_for(&h, role, pda, hd, dd);
	h.take_inplace = true;
	assert_int_equal(feed_socket(&h, &sc->s, seed + 3, 1500), 0);
	assert_same_events(&ref, &h);
	assert_true(h.inplace_taken < count_data_pdus(&ref));
	harness_free(&h);

	harness_free(&ref);
	stream_free(&sc->s);
	free(sc);
}

static void run_all(bool c2h)
{
	for (uint8_t pda = 0; pda <= NVMF_TCP_PDA_MAX; pda++)
		for (int d = 0; d < 4; d++)
			roundtrip(c2h, pda, d & 1, d & 2, true);
}

static void test_roundtrip_h2c(void **state) { run_all(false); }
static void test_roundtrip_c2h(void **state) { run_all(true); }

/* Large data lands in the destination without passing the staging buffer. */
static void zero_copy(bool dd)
{
	struct tcp_params tx = { .role = TCP_ROLE_CTRL, .ddgst = dd, .tx_pda = 0,
				 .maxh2cdata = MAXH2C };
	struct tcp_params rxp = { .role = TCP_ROLE_HOST, .ddgst = dd, .maxh2cdata = MAXH2C };
	uint8_t b[TCP_PDU_HDR_BUF], cqe[16] = { 0 };
	struct stream s = { 0 };
	struct harness h;
	size_t n;
	const uint32_t big = 65536 + 3;

	n = tcp_build_c2h_data(b, &tx, 1, 0, big, true, false);
	stream_put_pdu(&s, &tx, b, n, big, 42);
	n = tcp_build_capsule_resp(b, &tx, cqe);
	stream_put_pdu(&s, &tx, b, n, 0, 0);

	harness_init(&h, &rxp, 4096);
	h.rx.ic_done = true;
	/* Reads as large as allowed: the first brings the header and 4072
	 * data bytes through the stage, the rest goes direct. */
	assert_int_equal(feed_socket(&h, &s, 1, 1 << 20), 0);
	assert_int_equal(h.nev, 2);
	assert_int_equal(h.ev[0].datal, big);
	assert_true(h.ev[0].ddgst_ok);
	assert_int_equal(h.direct_bytes, big - (4096 - 24));
	uint8_t *want = malloc(big);
	assert_non_null(want);
	fill_pattern(want, big, 42);
	assert_memory_equal(h.ev[0].data, want, big);
	free(want);
	harness_free(&h);
	stream_free(&s);
}

static void test_zero_copy(void **state) { zero_copy(false); }
static void test_zero_copy_ddgst(void **state) { zero_copy(true); }

/*
 * Back-to-back large data PDUs, with every read as large as the framer
 * allows (a sender far ahead): after the first large PDU, staging reads
 * are short, so each later PDU's data goes through the stage for at most
 * 8 KiB and the rest straight to its destination (64 KiB, half of each
 * PDU, went through a full-sized stage before). A small data PDU ends
 * this: the next staging read may fill the stage again.
 */
static void test_bulk_short_staging(void **state)
{
	struct tcp_params tx = { .role = TCP_ROLE_CTRL, .maxh2cdata = MAXH2C };
	struct tcp_params rxp = { .role = TCP_ROLE_HOST, .maxh2cdata = MAXH2C };
	const uint32_t big = 128 * 1024, stage = 64 * 1024;
	uint8_t b[TCP_PDU_HDR_BUF], cqe[16] = { 0 };
	struct stream s = { 0 };
	struct harness h;
	size_t off = 0, staged = 0;
	uint8_t *want = malloc(big);

	(void)state;
	assert_non_null(want);
	for (int i = 0; i < 4; i++) {
		size_t n = tcp_build_c2h_data(b, &tx, (uint16_t)i, 0, big, true, false);

		stream_put_pdu(&s, &tx, b, n, big, (uint32_t)i);
		n = tcp_build_capsule_resp(b, &tx, cqe);
		stream_put_pdu(&s, &tx, b, n, 0, 0);
	}
	{
		size_t n = tcp_build_c2h_data(b, &tx, 9, 0, 4096, true, false);

		stream_put_pdu(&s, &tx, b, n, 4096, 9);
	}
	harness_init(&h, &rxp, stage);
	h.rx.ic_done = true;
	while (off < s.len) {
		void *buf;
		size_t len;

		tcp_rx_get_buf(&h.rx, &buf, &len);
		if (len > s.len - off)
			len = s.len - off;
		if (buf == h.rx.stage)
			staged += len;
		else
			h.direct_bytes += len;
		memcpy(buf, s.buf + off, len);
		off += len;
		assert_int_equal(tcp_rx_commit(&h.rx, len), 0);
	}
	assert_int_equal(h.nev, 9);
	for (int i = 0; i < 4; i++) {
		fill_pattern(want, big, (uint32_t)i);
		assert_int_equal(h.ev[2 * i].datal, big);
		assert_memory_equal(h.ev[2 * i].data, want, big);
	}
	/* The first PDU: one full staging read; each of the 3 others at most
	 * 8 KiB (headers included); then the last response, the small PDU's
	 * header and its data. */
	assert_true(staged <= stage + 3 * 8192 + (24 + 24 + 4096));
	assert_true(h.direct_bytes >= 4 * (size_t)big - stage - 3 * 8192);
	assert_false(h.rx.bulk);
	{
		void *buf;
		size_t len;

		tcp_rx_get_buf(&h.rx, &buf, &len);
		assert_ptr_equal(buf, h.rx.stage);
		assert_int_equal(len, stage);	/* full reads again */
	}
	free(want);
	harness_free(&h);
	stream_free(&s);
}

/* Data shorter than the threshold always goes through the stage. */
static void test_small_data_staged(void **state)
{
	struct tcp_params p = { .role = TCP_ROLE_CTRL, .maxh2cdata = MAXH2C };
	struct tcp_params rxp = { .role = TCP_ROLE_HOST, .maxh2cdata = MAXH2C };
	uint8_t b[TCP_PDU_HDR_BUF];
	struct stream s = { 0 };
	struct harness h;

	for (int i = 0; i < 5; i++) {
		size_t n = tcp_build_c2h_data(b, &p, 1, 4095u * (uint32_t)i, 4095, i == 4, false);
		stream_put_pdu(&s, &p, b, n, 4095, (uint32_t)i);
	}
	harness_init(&h, &rxp, 4096);
	h.rx.ic_done = true;
	assert_int_equal(feed_socket(&h, &s, 3, 1 << 20), 0);
	assert_int_equal(h.nev, 5);
	assert_int_equal(h.direct_bytes, 0);
	harness_free(&h);
	stream_free(&s);
}

/* A sender may place data beyond the minimal PDO if aligned (FreeBSD, SPDK). */
static void test_pdo_above_minimum(void **state)
{
	struct tcp_params tx = { .role = TCP_ROLE_CTRL, .tx_pda = 7 };	/* 32 bytes */
	struct tcp_params rxp = { .role = TCP_ROLE_HOST, .rx_pda = 1 };	/* 8 bytes */
	uint8_t b[TCP_PDU_HDR_BUF];
	struct stream s = { 0 };
	struct harness h;
	size_t n = tcp_build_c2h_data(b, &tx, 9, 0, 100, true, false);

	assert_int_equal(n, 32);
	assert_int_equal(b[3], 32);
	stream_put_pdu(&s, &tx, b, n, 100, 8);
	harness_init(&h, &rxp, 4096);
	h.rx.ic_done = true;
	assert_int_equal(feed_bytewise(&h, &s), 0);
	assert_int_equal(h.nev, 1);
	assert_int_equal(h.ev[0].lay.pad, 8);
	assert_int_equal(h.ev[0].datal, 100);
	harness_free(&h);
	stream_free(&s);
}

/* Several PDUs in one feed, then a PDU split across feeds. */
static void test_many_per_feed(void **state)
{
	struct tcp_params p = { .role = TCP_ROLE_CTRL, .hdgst = true, .ddgst = true };
	struct tcp_params rxp = { .role = TCP_ROLE_HOST, .hdgst = true, .ddgst = true };
	uint8_t b[TCP_PDU_HDR_BUF], cqe[16] = { 1, 2, 3 };
	struct stream s = { 0 };
	struct harness h;

	for (int i = 0; i < 40; i++) {
		size_t n = tcp_build_capsule_resp(b, &p, cqe);
		stream_put_pdu(&s, &p, b, n, 0, 0);
	}
	harness_init(&h, &rxp, 4096);
	h.rx.ic_done = true;
	assert_int_equal(tcp_rx_feed(&h.rx, s.buf, s.len - 5), 0);
	assert_int_equal(h.nev, 39);
	assert_int_equal(h.rx.state, TCP_RX_HDR);
	assert_int_equal(tcp_rx_feed(&h.rx, s.buf + s.len - 5, 5), 0);
	assert_int_equal(h.nev, 40);
	assert_int_equal(h.rx.state, TCP_RX_CH);
	harness_free(&h);
	stream_free(&s);
}

static void test_init_args(void **state)
{
	struct tcp_params p = { .role = TCP_ROLE_HOST };
	struct tcp_rx rx;

	assert_int_equal(tcp_rx_init(&rx, &p, 100, &harness_ops, NULL), -EINVAL);
	assert_int_equal(tcp_rx_init(&rx, &p, 4096, NULL, NULL), -EINVAL);
	assert_int_equal(tcp_rx_init(&rx, &p, 4096, &harness_ops, NULL), 0);
	assert_int_equal(rx.state, TCP_RX_CH);
	assert_false(rx.ic_done);
	tcp_rx_free(&rx);
}

/*
 * Corrupted streams: whatever a peer sends, the framer never crashes (ASan
 * and UBSan builds), ends either parsing cleanly or DEAD with a FES, and
 * does exactly the same whatever the feeding pattern.
 */
struct fuzz_run {
	int      rc;
	uint16_t fes;
	uint32_t fei;
};

static void fuzz_harness(struct harness *h, enum tcp_role role, uint8_t pda, bool hd, bool dd)
{
	harness_for(h, role, pda, hd, dd);
	h->check_range = true;
	h->any_order = true;
	h->xfer_len = 1u << 20;
}

static struct fuzz_run fuzz_feed(struct harness *h, const struct stream *s, int mode)
{
	struct fuzz_run r;

	if (mode == 0)
		r.rc = feed_all(h, s);
	else if (mode == 1)
		r.rc = feed_bytewise(h, s);
	else
		r.rc = feed_socket(h, s, 11, 700);
	r.fes = r.rc ? h->rx.err.fes : 0;
	r.fei = r.rc ? h->rx.err.fei : 0;
	if (r.rc != 0) {
		assert_int_equal(r.rc, -EPROTO);
		assert_int_equal(h->rx.state, TCP_RX_DEAD);
		assert_true(r.fes >= 1 && r.fes <= 6);
	}
	return r;
}

static void test_fuzz_consistency(void **state)
{
	uint32_t seed = 4242;
	int died = 0;

	for (int it = 0; it < 3000; it++) {
		bool c2h = it & 1, hd = (it >> 1) & 1, dd = (it >> 2) & 1;
		uint8_t pda = (uint8_t)(test_rand(&seed) % 32);
		struct tcp_params tx = { .role = c2h ? TCP_ROLE_CTRL : TCP_ROLE_HOST,
					 .hdgst = hd, .ddgst = dd, .tx_pda = pda };
		uint8_t b[TCP_PDU_HDR_BUF], sqe[64] = { 0 };
		struct stream s = { 0 };
		size_t n;

		n = c2h ? tcp_build_icresp(b, 0, hd, dd, MAXH2C) : tcp_build_icreq(b, pda, hd, dd, 0);
		stream_put(&s, b, n);
		for (int k = 0; k < 4; k++) {
			uint32_t len = test_rand(&seed) % 300;

			if (c2h)
				n = k & 1 ? tcp_build_capsule_resp(b, &tx, sqe)
					  : tcp_build_c2h_data(b, &tx, 1, 0, len + 1, true, false);
			else
				n = k & 1 ? tcp_build_capsule_cmd(b, &tx, sqe, len)
					  : tcp_build_h2c_data(b, &tx, 1, 1, 0, len + 1, true);
			stream_put_pdu(&s, &tx, b, n, (k & 1) ? (c2h ? 0 : len) : len + 1, (uint32_t)k);
		}
		/* Flip one to three bytes anywhere. */
		int flips = 1 + (int)(test_rand(&seed) % 3);
		for (int f = 0; f < flips; f++)
			s.buf[test_rand(&seed) % s.len] ^= (uint8_t)(1u << (test_rand(&seed) % 8));

		struct harness ref, h;
		enum tcp_role role = c2h ? TCP_ROLE_HOST : TCP_ROLE_CTRL;
		fuzz_harness(&ref, role, pda, hd, dd);
		struct fuzz_run want = fuzz_feed(&ref, &s, 0);
		died += want.rc != 0;
		for (int mode = 1; mode <= 2; mode++) {
			fuzz_harness(&h, role, pda, hd, dd);
			struct fuzz_run got = fuzz_feed(&h, &s, mode);
			assert_int_equal(got.rc, want.rc);
			assert_int_equal(got.fes, want.fes);
			assert_int_equal(got.fei, want.fei);
			assert_same_events(&ref, &h);
			harness_free(&h);
		}
		harness_free(&ref);
		stream_free(&s);
	}
	/* Many corruptions hit a checked field (the rest hit data or
	 * unchecked fields such as CCCID). */
	print_message("%d of 3000 corrupted streams were fatal\n", died);
	assert_true(died > 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_h2c),
		cmocka_unit_test(test_roundtrip_c2h),
		cmocka_unit_test(test_zero_copy),
		cmocka_unit_test(test_zero_copy_ddgst),
		cmocka_unit_test(test_small_data_staged),
		cmocka_unit_test(test_bulk_short_staging),
		cmocka_unit_test(test_pdo_above_minimum),
		cmocka_unit_test(test_many_per_feed),
		cmocka_unit_test(test_init_args),
		cmocka_unit_test(test_fuzz_consistency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
