/*
 * TLS under an NVMe/TCP connection, for both roles (NVMe/TCP 1.0 as TP 8011
 * amends it, 3.6.1: TLS 1.3 with a pre-shared key, negotiated before the
 * ICReq; every PDU, the IC exchange included, then travels in TLS records).
 *
 * The glue between a connection's socket callbacks, its framer (tcp/rx.h),
 * its send path (tcp/tx.h) and the engine (tcp/tls.h): the role hands libuv
 * the engine's input queue to read ciphertext into, passes each read to
 * tcp_tls_io_input(), and once the handshake is over tcp_tls_io_pump()
 * decrypts straight into whatever buffer the framer asks for (a command's
 * data buffer for large C2HData or H2CData, the staging buffer otherwise),
 * so TLS adds the decryption and no copy of its own on the receive side.
 * The send path encrypts (tcp_tx_set_tls). The handshake's deadline is the
 * role's: the host's connect timeout, the controller's set-up timer.
 *
 * Internal (prefix tcp_tls_io_). Without OpenSSL (NVMF_WITH_TLS off) the
 * functions below exist as stubs that fail with -ENOTSUP, so the roles need
 * no conditional code; nothing can reach them, since nothing configures TLS.
 */
#ifndef NVMF_TCP_TLS_IO_H
#define NVMF_TCP_TLS_IO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <uv.h>

#include "tcp/rx.h"
#include "tcp/tx.h"

struct tcp_tls;
struct tcp_tls_config;

/* Ciphertext read per socket read: a few full 16 KiB records. */
#define TCP_TLS_IO_CIN (64 * 1024)

/* The first byte of a TLS record carrying a handshake message (RFC 8446,
 * 5.1, ContentType handshake): how a port that allows both tells a TLS
 * client from a plaintext ICReq (PDU type 00h). */
#define TCP_TLS_IO_HANDSHAKE_BYTE 0x16

struct tcp_tls_io {
	struct tcp_tls *tls;
	bool     open;			/* handshake complete */
	char     err[256];		/* why it failed, never key material */
};

enum tcp_tls_io_status {
	TCP_TLS_IO_HANDSHAKE = 0,	/* handshake still running */
	TCP_TLS_IO_OPENED    = 1,	/* handshake just completed: the role
					 * does its part, then pumps */
	TCP_TLS_IO_DATA      = 2,	/* open: pump */
};

#ifdef NVMF_WITH_TLS

/*
 * Start TLS on a connection whose TCP is up: create the engine from cfg,
 * switch tx to it and send the first flight (the client's ClientHello; a
 * server has nothing to send yet). 0, or a negative errno with io->err.
 */
int  tcp_tls_io_start(struct tcp_tls_io *io, const struct tcp_tls_config *cfg,
		      struct tcp_tx *tx);
/* Free the engine and buffer (after the socket is closed: the send path may
 * still write its output until then). */
void tcp_tls_io_free(struct tcp_tls_io *io);

/* Plaintext to send outside the batches (the host's ICReq): encrypted into
 * the output, which the next tcp_tx_flush() writes. 0 or -EPROTO. */
int  tcp_tls_io_write(struct tcp_tls_io *io, const void *buf, size_t len);

/*
 * Orderly end (RFC 8446, 6.1): queue close_notify after everything sent so
 * far; the next tcp_tx_flush() writes it. 0, or -EPROTO if not open.
 */
int  tcp_tls_io_close(struct tcp_tls_io *io);
/*
 * The same for a socket about to be closed at once (the host's close):
 * close_notify is written now if the socket takes it without waiting and
 * nothing else is pending; else the peer sees an end without it.
 */
void tcp_tls_io_goodbye(struct tcp_tls_io *io, uv_stream_t *s);
/* A last PDU (the host's H2CTermReq), encrypted and written now on the same
 * terms; true if all of it was written. */
bool tcp_tls_io_send_now(struct tcp_tls_io *io, uv_stream_t *s, const void *buf, size_t len);

/* libuv's alloc callback: where the next ciphertext goes. */
void tcp_tls_io_buf(struct tcp_tls_io *io, uv_buf_t *buf);

/*
 * n bytes of ciphertext arrived in the tcp_tls_io_buf() buffer (data, which
 * is in the engine's input already). Returns an enum
 * tcp_tls_io_status, or -EACCES when the handshake failed, -EPROTO when the
 * connection failed after it (io->err says why). The role flushes tx after
 * every call, failures included (an alert for the peer).
 */
int  tcp_tls_io_input(struct tcp_tls_io *io, const void *data, size_t n);

/*
 * Decrypt what has arrived into the framer, as long as live(arg) holds.
 * 0, or the framer's error (-EPROTO with rx->err), or -ECONNRESET when the
 * peer closed TLS (close_notify) or the engine failed (io->err).
 */
int  tcp_tls_io_pump(struct tcp_tls_io *io, struct tcp_rx *rx, bool (*live)(void *arg),
		     void *arg);

/*
 * The socket reached end of file: a message for it in io->err, saying
 * whether it came during the handshake (the usual sign of a PSK or
 * identity the peer does not accept), or after close_notify.
 */
void tcp_tls_io_eof(struct tcp_tls_io *io);

/* Negotiated suite and identity once open, else NULL. */
const char *tcp_tls_io_cipher(const struct tcp_tls_io *io);
const char *tcp_tls_io_identity(const struct tcp_tls_io *io);

#else /* !NVMF_WITH_TLS */

static inline int tcp_tls_io_start(struct tcp_tls_io *io, const struct tcp_tls_config *cfg,
				   struct tcp_tx *tx)
{
	(void)cfg;
	(void)tx;
	snprintf(io->err, sizeof(io->err), "TLS: libnvmf was built without OpenSSL");
	return -ENOTSUP;
}
static inline void tcp_tls_io_free(struct tcp_tls_io *io)
{
	(void)io;
}
static inline int tcp_tls_io_write(struct tcp_tls_io *io, const void *buf, size_t len)
{
	(void)io;
	(void)buf;
	(void)len;
	return -EPROTO;
}
static inline int tcp_tls_io_close(struct tcp_tls_io *io)
{
	(void)io;
	return -EPROTO;
}
static inline void tcp_tls_io_goodbye(struct tcp_tls_io *io, uv_stream_t *s)
{
	(void)io;
	(void)s;
}
static inline bool tcp_tls_io_send_now(struct tcp_tls_io *io, uv_stream_t *s,
				       const void *buf, size_t len)
{
	(void)io;
	(void)s;
	(void)buf;
	(void)len;
	return false;
}
static inline void tcp_tls_io_buf(struct tcp_tls_io *io, uv_buf_t *buf)
{
	(void)io;
	*buf = uv_buf_init(NULL, 0);
}
static inline int tcp_tls_io_input(struct tcp_tls_io *io, const void *data, size_t n)
{
	(void)io;
	(void)data;
	(void)n;
	return -EPROTO;
}
static inline int tcp_tls_io_pump(struct tcp_tls_io *io, struct tcp_rx *rx,
				  bool (*live)(void *arg), void *arg)
{
	(void)io;
	(void)rx;
	(void)live;
	(void)arg;
	return -ECONNRESET;
}
static inline void tcp_tls_io_eof(struct tcp_tls_io *io)
{
	(void)io;
}
static inline const char *tcp_tls_io_cipher(const struct tcp_tls_io *io)
{
	(void)io;
	return NULL;
}
static inline const char *tcp_tls_io_identity(const struct tcp_tls_io *io)
{
	(void)io;
	return NULL;
}

#endif /* NVMF_WITH_TLS */

#endif /* NVMF_TCP_TLS_IO_H */
