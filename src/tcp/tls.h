/*
 * NVMe/TCP TLS 1.3 with external pre-shared keys: the engine.
 *
 * Internal to libnvmf (prefix tcp_tls_), compiled only with OpenSSL
 * (NVMF_WITH_TLS). It knows nothing of sockets or libuv: OpenSSL runs over
 * two memory BIOs, the caller feeds it the ciphertext it received and sends
 * the ciphertext it hands out. No call ever blocks or waits for the peer.
 *
 * What it negotiates (as Linux's tlshd and SPDK do): TLS 1.3 only (minimum
 * and maximum); TLS_AES_128_GCM_SHA256 for a SHA-256 PSK,
 * TLS_AES_256_GCM_SHA384 for a SHA-384 PSK (the client offers only its key's
 * suite, the server accepts both and the PSK's hash must match); both PSK
 * key-exchange modes (psk_dhe_ke and psk_ke, SSL_OP_ALLOW_NO_DHE_KEX on both
 * sides); no certificates; no session tickets. The client's PSK is given at
 * creation; the server looks the identity the client sent up through the
 * caller's callback.
 *
 * Keys: the engine's copy of a PSK is wiped (OPENSSL_cleanse) as soon as the
 * handshake ends, whichever way, and at tcp_tls_free(); what a lookup
 * callback filled in is wiped once OpenSSL has its copy. No message names a
 * key (identities are not secret and may appear).
 *
 * Use:
 *   t = tcp_tls_new(&cfg, err, sizeof(err));
 *   loop: tcp_tls_handshake(t) -> TCP_TLS_WANT_INPUT: send tcp_tls_out_*(),
 *         wait for bytes, tcp_tls_feed(); TCP_TLS_OK: open; TCP_TLS_ERROR:
 *         send what output there is (the alert), then close; tcp_tls_error(t).
 *   open: tcp_tls_write(v)() then send the output; tcp_tls_feed() then
 *         tcp_tls_read() until it returns 0, and send any output after that
 *         too (a read can answer a peer's KeyUpdate or send an alert).
 *
 * Batching: every write is one SSL_write (records of up to 16 KiB), and the
 * records pile up in the output until taken, so a caller that gathers its
 * PDUs with writev and drains with one tcp_tls_out_peek()/consume pair per
 * loop turn encrypts and sends in large pieces. The output is a plain memory
 * BIO: peek's pointer is invalidated by the next write, so a caller that
 * hands it to an asynchronous send must copy it (or stop writing until the
 * send completes).
 * Once failed, every call returns TCP_TLS_ERROR and the first message stays.
 */
#ifndef NVMF_TCP_TLS_H
#define NVMF_TCP_TLS_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "tcp/tls_psk.h"

enum tcp_tls_role {
	TCP_TLS_CLIENT = 0,	/* the host */
	TCP_TLS_SERVER = 1,	/* the controller */
};

/* Results (tcp_tls_read() returns a byte count >= 0 or one of the negative ones). */
enum tcp_tls_status {
	TCP_TLS_OK         = 0,	/* handshake done / call succeeded */
	TCP_TLS_WANT_INPUT = 1,	/* handshake: feed the peer's bytes, then call again */
	TCP_TLS_ERROR      = -1,	/* failed for good; tcp_tls_error() says why */
	TCP_TLS_EOF        = -2,	/* read: the peer sent close_notify */
};

/*
 * Server side: find the PSK for an identity the client sent (NUL-terminated,
 * not checked beyond its length). Fill *out (hash, len, key; identity is not
 * needed) and return 0, or return -1 if the identity is not known. The
 * engine wipes *out afterwards.
 */
typedef int (*tcp_tls_lookup_fn)(void *arg, const char *identity,
				 struct tcp_psk_tls *out);

struct tcp_tls_config {
	enum tcp_tls_role role;
	/* client: the TLS PSK and its identity (copied; the caller may wipe it) */
	const struct tcp_psk_tls *psk;
	/* server: identity -> PSK */
	tcp_tls_lookup_fn lookup;
	void *lookup_arg;
};

struct tcp_tls;

/* A new engine, or NULL with a message in err. */
struct tcp_tls *tcp_tls_new(const struct tcp_tls_config *cfg, char *err, size_t errlen);

/* Free the engine; wipes any key it still holds. NULL is fine. */
void tcp_tls_free(struct tcp_tls *t);

/* Ciphertext from the peer (all of it is taken). OK, or ERROR if failed. */
int tcp_tls_feed(struct tcp_tls *t, const void *buf, size_t len);

/*
 * Drive the handshake with what has been fed: OK once it is complete (and on
 * any later call), WANT_INPUT, or ERROR. Check for output after every call,
 * failures included (the alert for the peer).
 */
int tcp_tls_handshake(struct tcp_tls *t);

/* 1 when the handshake is complete and the engine has not failed. */
int tcp_tls_is_open(const struct tcp_tls *t);

/*
 * Plaintext received: up to len bytes into buf. Returns the count (> 0),
 * 0 if no whole record is waiting (feed more), TCP_TLS_EOF, or TCP_TLS_ERROR.
 * Only after the handshake (ERROR before).
 */
ssize_t tcp_tls_read(struct tcp_tls *t, void *buf, size_t len);

/*
 * Encrypt plaintext to send: all of it is taken and its records wait in the
 * output. writev gathers the buffers and encrypts them in one SSL_write.
 * len 0 is a no-op. OK or ERROR.
 */
int tcp_tls_write(struct tcp_tls *t, const void *buf, size_t len);
int tcp_tls_writev(struct tcp_tls *t, const struct iovec *iov, int iovcnt);

/* Bytes of ciphertext waiting to be sent. */
size_t tcp_tls_out_pending(const struct tcp_tls *t);

/*
 * The waiting ciphertext in one piece (valid until the next call on t), its
 * length in *len; NULL if none. tcp_tls_out_consume() drops the first n bytes.
 */
const void *tcp_tls_out_peek(const struct tcp_tls *t, size_t *len);
void tcp_tls_out_consume(struct tcp_tls *t, size_t n);

/* Copy up to len bytes of waiting ciphertext out; returns the count. */
size_t tcp_tls_out_read(struct tcp_tls *t, void *buf, size_t len);

/*
 * Zero-copy forms, for a socket's reads and writes:
 * tcp_tls_in_space() gives room for at least want bytes of ciphertext
 * (*buf, *len: libuv's alloc callback), tcp_tls_in_commit() says n bytes
 * were read into it, as tcp_tls_feed() would have taken them (0 or ERROR).
 * tcp_tls_out_take() hands over all the waiting ciphertext in its buffer,
 * which no later call touches until tcp_tls_out_give_back(); one buffer may
 * be out at a time (NULL while one is, or when nothing waits).
 */
int   tcp_tls_in_space(struct tcp_tls *t, size_t want, void **buf, size_t *len);
int   tcp_tls_in_commit(struct tcp_tls *t, size_t n);
void *tcp_tls_out_take(struct tcp_tls *t, size_t *len);
void  tcp_tls_out_give_back(struct tcp_tls *t, void *buf);

/*
 * The transport saw the connection end (end of file). OK if the peer had sent
 * close_notify; else the engine fails, saying whether it was during the
 * handshake or a truncation. A peer that stops sending mid-handshake is the
 * caller's to time out: WANT_INPUT never ends by itself.
 */
int tcp_tls_peer_closed(struct tcp_tls *t);

/* Queue a close_notify (once open). OK or ERROR. */
int tcp_tls_close(struct tcp_tls *t);

/* Why it failed ("" if it has not): OpenSSL's errors and any alert, named. */
const char *tcp_tls_error(const struct tcp_tls *t);

/*
 * The PSK identity the connection runs on once open, else NULL: the client's
 * own, or the one the server's lookup accepted (the controller checks that
 * the host NQN in it is the one the Connect command names).
 */
const char *tcp_tls_identity(const struct tcp_tls *t);

/* The negotiated cipher suite's name once open, else NULL. */
const char *tcp_tls_cipher(const struct tcp_tls *t);

#endif /* NVMF_TCP_TLS_H */
