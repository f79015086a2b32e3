/*
 * NVMe/TCP send path, for both roles: the PDUs of one connection gathered
 * into one socket write (NVMe/TCP 1.0, 3.6: a PDU is a header, padding to
 * PDO, data and digests, all of it ordered on one byte stream).
 *
 * Whoever has PDUs to send (a host request with a capsule or H2CData, a
 * controller request with an R2T, data and a response, the connection's own
 * ICResp or TermReq) queues an item. tcp_tx_flush(), which the role calls
 * after each read and once per loop turn, asks the role to emit each queued
 * item in turn into a batch: headers and digests are copied into the
 * connection's arena, data is referenced where it lies (the caller's
 * buffer, the namespace buffer), so a batch is one iovec list and one
 * socket write. An item that does not fit waits for the next batch. While
 * a write is in flight nothing more is written: new items gather for the
 * next one, so under load there is one write per read or loop turn, not
 * per PDU.
 *
 * Buffer lifetime: data referenced by the write in flight must stay valid
 * until it ends. An owner that pushes data records tcp_tx_batch() with it;
 * tcp_tx_pinned() says whether that batch is still being written, and the
 * role's written() callback runs when it is no longer (also after the write
 * was cancelled by a close).
 *
 * Volatile data (tcp_tx_push_data_volatile): bytes that may change as soon
 * as control returns to the loop (the controller's RAM namespace, which the
 * next Write command rewrites). tcp_tx_flush() either hands them to the
 * kernel before it returns (uv_try_write: the kernel copies them) or copies
 * what is left into the bounce buffer the owner gave with them, so the write
 * in flight never reads them later. A read of a RAM namespace thus costs no
 * copy in user space while the socket has room, and never more than one.
 *
 * Every plaintext batch is first offered to the socket that way. When the
 * kernel takes all of it, which is the usual case, the batch is over before
 * tcp_tx_flush() returns: written() has run, nothing is in flight, and the
 * role flushes again at once if its queue holds more than one batch.
 *
 * TLS (tcp_tx_set_tls): each batch is handed to the TLS engine in pieces
 * of 64 KiB (small entries gathered, tcp/tls.h), and the records of each
 * piece are offered to the socket (uv_try_write) as soon as they are made,
 * so that the peer decrypts while the rest is encrypted (tx.c, tls_flush);
 * what the kernel did not take goes out from the engine's own buffer
 * (tcp_tls_out_take: no copy) in one uv_write, and the batch counts as in
 * flight until that write ends; a batch the kernel took whole is over
 * before tcp_tx_flush() returns, as in plaintext. The rules above hold
 * unchanged. The same path sends what the engine has to say by itself (the
 * handshake, alerts, a KeyUpdate answer): tcp_tx_flush() with an empty queue
 * writes it.
 *
 * Internal (prefix tcp_tx_). No allocation after tcp_tx_init().
 */
#ifndef NVMF_TCP_TX_H
#define NVMF_TCP_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "tcp/pdu.h"

struct tcp_tx;
struct tcp_tls;

/* Something with PDUs to send; the owner embeds it. */
struct tcp_tx_item {
	struct tcp_tx_item *next;
	bool     queued;
};

struct tcp_tx_ops {
	/*
	 * Put the item's pending PDUs into the batch (tcp_tx_room,
	 * tcp_tx_hdr_space/tcp_tx_push_hdr, tcp_tx_push_data). Return false if
	 * it ran out of room: it stays first in the queue, and what it did
	 * put in goes out now, so it must remember how far it got.
	 */
	bool (*emit)(struct tcp_tx *tx, struct tcp_tx_item *it);
	/* The write ended: status 0, or a libuv error (UV_ECANCELED when the
	 * stream was closed). Data of the batch tcp_tx_batch() returned while
	 * it was built is no longer read. */
	void (*written)(struct tcp_tx *tx, int status);
};

/*
 * In-process seam (fuzzers, tests without sockets): instead of uv_write, each
 * batch (and each tcp_tx_send_now) goes to a sink. A batch handed to the
 * sink counts as in flight until the owner of the sink calls
 * tcp_tx_sink_done(), as a uv_write would until its callback. The sink
 * returns 0 or a libuv error, as uv_write would.
 */
typedef int (*tcp_tx_sink_fn)(void *arg, const uv_buf_t *iov, unsigned iovcnt);

struct tcp_tx {
	uv_stream_t *stream;
	tcp_tx_sink_fn sink;		/* NULL: write to stream */
	void    *sink_arg;
	const struct tcp_params *params;	/* digests on or off */
	const struct tcp_tx_ops *ops;
	void    *arg;
	struct tcp_tx_item *head, *tail;
	uint8_t *arena;			/* headers and digests of the batch */
	size_t   arena_size, arena_used;
	uv_buf_t *iov;
	unsigned iov_max, iovcnt;
	/* Per iov entry: the bounce buffer of volatile data, else NULL. */
	void   **bounce;
	uv_write_t wr;
	bool     inflight;
	uint64_t seq;			/* batch being built, or in flight */
	/* TLS: the engine (NULL: plaintext) and its buffer being written. */
	struct tcp_tls *tls;
	void    *cdata;
	/* Counters for the owner's statistics. */
	uint64_t writes, bytes, pdus;
};

int  tcp_tx_init(struct tcp_tx *tx, uv_stream_t *stream, const struct tcp_params *params,
		 size_t arena_size, unsigned iov_max, const struct tcp_tx_ops *ops, void *arg);
/* As tcp_tx_init(), with buffers the caller allocated (malloc): arena of
 * arena_size bytes, iov of tcp_tx_iov_bytes(iov_max) bytes, owned by tx
 * from then on. */
void tcp_tx_init_with(struct tcp_tx *tx, uv_stream_t *stream, const struct tcp_params *params,
		      uint8_t *arena, size_t arena_size, uv_buf_t *iov, unsigned iov_max,
		      const struct tcp_tx_ops *ops, void *arg);
void tcp_tx_fini(struct tcp_tx *tx);
/* Size of the iov buffer for iov_max entries (each with its bounce slot). */
size_t tcp_tx_iov_bytes(unsigned iov_max);

void tcp_tx_enqueue(struct tcp_tx *tx, struct tcp_tx_item *it);
void tcp_tx_dequeue(struct tcp_tx *tx, struct tcp_tx_item *it);
/* Forget every queued item (the connection is closing). */
void tcp_tx_drop_queue(struct tcp_tx *tx);

/*
 * From now on every byte goes through the TLS engine t (NULL: plaintext
 * again). The caller keeps owning it and must not free it while a write is
 * in flight; the records go out from the engine's own buffer.
 */
void tcp_tx_set_tls(struct tcp_tx *tx, struct tcp_tls *t);

/* Send through sink from now on (see tcp_tx_sink_fn); NULL: the stream. */
void tcp_tx_set_sink(struct tcp_tx *tx, tcp_tx_sink_fn sink, void *arg);
/* The batch the sink took is written (status 0) or failed: the owner's
 * written() callback runs, as after uv_write. No-op if none is in flight. */
void tcp_tx_sink_done(struct tcp_tx *tx, int status);
/*
 * Write n bytes now if the stream takes all of them at once (uv_try_write),
 * or hand them to the sink; true if they went. For a connection's last
 * words (a TermReq) that bypass the queue; plaintext only.
 */
bool tcp_tx_send_now(struct tcp_tx *tx, const void *buf, size_t n);

/* Nothing queued, nothing being written, and no TLS output waiting. */
bool tcp_tx_idle(const struct tcp_tx *tx);

/*
 * Emit the queue into one batch and write it, unless a write is in flight
 * or nothing is queued (then 0); with TLS, also write what the engine has
 * waiting. written() may run before this returns (the socket took the
 * whole batch). Returns 0, or the libuv error of the socket write, or UV_EPROTO
 * when the TLS engine failed (tcp_tx_strerror names it): the role fails the
 * connection.
 */
int  tcp_tx_flush(struct tcp_tx *tx);

/* What an error of tcp_tx_flush() or of written() means, for messages. */
const char *tcp_tx_strerror(const struct tcp_tx *tx, int err);

/* ---- For emit() ---------------------------------------------------------- */

/* Room for hdr_bytes more header/digest bytes and iovs more iovecs. */
bool tcp_tx_room(const struct tcp_tx *tx, size_t hdr_bytes, unsigned iovs);
/* Where the next header is built (8-byte aligned, TCP_PDU_HDR_BUF free). */
uint8_t *tcp_tx_hdr_space(struct tcp_tx *tx);
/* The n bytes just built at tcp_tx_hdr_space() are the next of the batch. */
void tcp_tx_push_hdr(struct tcp_tx *tx, size_t n);
/* len bytes of data where they lie, then their digest if data digests are
 * on (3.6.1.1). The caller records tcp_tx_batch() with the buffer. */
void tcp_tx_push_data(struct tcp_tx *tx, const void *data, uint32_t len);
/*
 * As tcp_tx_push_data(), for data that may change once control returns to
 * the loop (see the top of this file): before tcp_tx_flush() returns, the
 * bytes not yet in the kernel are copied to bounce (len bytes, the owner's,
 * valid like pushed data until the batch is written). The digest is of the
 * bytes as they are now, which are the bytes sent.
 */
void tcp_tx_push_data_volatile(struct tcp_tx *tx, const void *data, uint32_t len, void *bounce);
/* The batch being built (in emit) or in flight. */
static inline uint64_t tcp_tx_batch(const struct tcp_tx *tx)
{
	return tx->seq;
}
/* Data pushed into batch seq is still being written. */
static inline bool tcp_tx_pinned(const struct tcp_tx *tx, uint64_t seq)
{
	return tx->inflight && seq == tx->seq;
}

#endif /* NVMF_TCP_TX_H */
