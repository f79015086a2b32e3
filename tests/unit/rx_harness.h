/*
 * Test harness for the NVMe/TCP codec: builds PDU streams with the builders
 * and records what the receive framer delivers, so that tests compare the
 * callbacks of different feeding patterns and assert exact FES/FEI.
 */
#ifndef NVMF_TEST_RX_HARNESS_H
#define NVMF_TEST_RX_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp/rx.h"

/* A growable byte stream (what one side sends). */
struct stream {
	uint8_t *buf;
	size_t   len, cap;
};

void stream_put(struct stream *s, const void *p, size_t n);
void stream_free(struct stream *s);

/* Deterministic data pattern: byte i of a PDU's data seeded by seed. */
void fill_pattern(uint8_t *p, size_t n, uint32_t seed);

/*
 * Appends a complete PDU whose header the caller built in hdr (hdr_len bytes
 * as the builder returned) followed by datal bytes of pattern(seed) and the
 * data digest if tx->ddgst and datal > 0.
 */
void stream_put_pdu(struct stream *s, const struct tcp_params *tx, const void *hdr,
		    size_t hdr_len, uint32_t datal, uint32_t seed);

/* One delivered PDU. */
struct rx_event {
	union nvmf_tcp_pdu_hdr hdr;
	struct tcp_rx_layout lay;
	uint8_t *data;		/* copy of the delivered data */
	uint32_t datal;
	bool     ddgst_ok;
	bool     hdr_seen;	/* on_hdr ran before on_pdu */
};

struct harness {
	struct tcp_rx rx;
	struct tcp_params init;	/* params before the IC exchange */
	/* Negotiation inputs, used by on_pdu on the IC PDU. */
	struct tcp_ic_request icreq;	/* host role: what it asked for */
	uint8_t  cpda;			/* controller role */
	uint32_t maxh2cdata, max_icd;
	bool     negotiate;		/* on_pdu sets params from the IC PDU */
	/* Optional data range check of C2HData/H2CData in on_hdr. */
	bool     check_range;
	bool     any_order;	/* expected = the PDU's own DATAO */
	uint32_t xfer_len, expected;
	/* Recorded PDUs. */
	struct rx_event *ev;
	size_t   nev, cap;
	bool     hdr_pending;
	/* Take data where it lies when the framer offers it (lay->inplace). */
	bool     take_inplace;
	const uint8_t *cur_inplace;
	size_t   inplace_taken;	/* PDUs whose on_pdu data was that pointer */
	/* Destination of the current PDU's data. */
	uint8_t *cur_dst;
	uint32_t cur_datal;
	size_t   direct_bytes;	/* bytes read straight into a destination */
	size_t   staged_data_bytes;
};

extern const struct tcp_rx_ops harness_ops;

/* Sets up a receiver of the given role; params apply from the start. */
void harness_init(struct harness *h, const struct tcp_params *p, size_t stage);
void harness_free(struct harness *h);

/* Feeding patterns. They return the last tcp_rx_* result. */
int feed_all(struct harness *h, const struct stream *s);
int feed_bytewise(struct harness *h, const struct stream *s);
int feed_random(struct harness *h, const struct stream *s, uint32_t seed, size_t max_chunk);
/* Through tcp_rx_get_buf/tcp_rx_commit, reads of at most max_read bytes. */
int feed_socket(struct harness *h, const struct stream *s, uint32_t seed, size_t max_read);

/* Asserts two recordings are identical. */
void assert_same_events(const struct harness *a, const struct harness *b);

/* Recomputes the header digest of a mutated header at p (hlen from CH). */
void fix_hdgst(uint8_t *p);

uint32_t test_rand(uint32_t *state);

#endif
