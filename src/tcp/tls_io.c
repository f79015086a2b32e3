/*
 * TLS under an NVMe/TCP connection, both roles (see tls_io.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tls.h"
#include "tcp/tls_io.h"

static int io_fail(struct tcp_tls_io *io, int err)
{
	if (io->err[0] == '\0')
		snprintf(io->err, sizeof(io->err), "%s", tcp_tls_error(io->tls));
	return err;
}

int tcp_tls_io_start(struct tcp_tls_io *io, const struct tcp_tls_config *cfg, struct tcp_tx *tx)
{
	int rc;

	io->err[0] = '\0';
	io->open = false;
	io->tls = tcp_tls_new(cfg, io->err, sizeof(io->err));
	if (io->tls == NULL)
		return -EINVAL;
	tcp_tx_set_tls(tx, io->tls);
	/* The client speaks first: its ClientHello is output now. */
	rc = tcp_tls_handshake(io->tls);
	if (rc == TCP_TLS_ERROR)
		return io_fail(io, -EACCES);
	return 0;
}

void tcp_tls_io_free(struct tcp_tls_io *io)
{
	tcp_tls_free(io->tls);
	io->tls = NULL;
	io->open = false;
}

int tcp_tls_io_write(struct tcp_tls_io *io, const void *buf, size_t len)
{
	if (tcp_tls_write(io->tls, buf, len) != TCP_TLS_OK)
		return io_fail(io, -EPROTO);
	return 0;
}

int tcp_tls_io_close(struct tcp_tls_io *io)
{
	if (io->tls == NULL || !io->open || tcp_tls_close(io->tls) != TCP_TLS_OK)
		return -EPROTO;
	return 0;
}

/* Write all the engine's output now, or report that it could not be. */
static bool try_send_output(struct tcp_tls_io *io, uv_stream_t *s)
{
	const void *p;
	uv_buf_t b;
	size_t n;

	p = tcp_tls_out_peek(io->tls, &n);
	if (p == NULL || n == 0)
		return false;
	/* libuv refuses (UV_EAGAIN) while a queued write is unfinished, so
	 * the record never lands inside another. */
	b = uv_buf_init((char *)p, (unsigned)n);
	return uv_try_write(s, &b, 1) == (int)n;
}

bool tcp_tls_io_send_now(struct tcp_tls_io *io, uv_stream_t *s, const void *buf, size_t len)
{
	/* Output still waiting would have to go first: then nothing. */
	if (io->tls == NULL || !io->open || tcp_tls_out_pending(io->tls) != 0 ||
	    tcp_tls_write(io->tls, buf, len) != TCP_TLS_OK)
		return false;
	return try_send_output(io, s);
}

void tcp_tls_io_goodbye(struct tcp_tls_io *io, uv_stream_t *s)
{
	if (io->tls == NULL || !io->open || tcp_tls_out_pending(io->tls) != 0 ||
	    tcp_tls_close(io->tls) != TCP_TLS_OK)
		return;
	(void)try_send_output(io, s);
}

void tcp_tls_io_buf(struct tcp_tls_io *io, uv_buf_t *buf)
{
	void *p;
	size_t len;

	/* Straight into the engine's input queue: no copy. A failed engine
	 * or no memory: an empty buffer, which libuv reports as ENOBUFS. */
	if (io->tls == NULL ||
	    tcp_tls_in_space(io->tls, TCP_TLS_IO_CIN, &p, &len) != TCP_TLS_OK) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init(p, (unsigned)len);
}

int tcp_tls_io_input(struct tcp_tls_io *io, const void *data, size_t n)
{
	int rc;

	/* data is where tcp_tls_io_buf() pointed: in the engine already. */
	(void)data;
	if (tcp_tls_in_commit(io->tls, n) != TCP_TLS_OK)
		return io_fail(io, io->open ? -EPROTO : -EACCES);
	if (io->open)
		return TCP_TLS_IO_DATA;
	rc = tcp_tls_handshake(io->tls);
	if (rc == TCP_TLS_WANT_INPUT)
		return TCP_TLS_IO_HANDSHAKE;
	if (rc != TCP_TLS_OK)
		return io_fail(io, -EACCES);
	io->open = true;
	return TCP_TLS_IO_OPENED;
}

int tcp_tls_io_pump(struct tcp_tls_io *io, struct tcp_rx *rx, bool (*live)(void *arg), void *arg)
{
	while (live(arg)) {
		void *buf;
		size_t len;
		ssize_t n;
		int rc;

		/* Straight into where the framer wants the bytes: a command's
		 * buffer for large data, its staging buffer for headers. */
		tcp_rx_get_buf(rx, &buf, &len);
		n = tcp_tls_read(io->tls, buf, len);
		if (n == 0)
			return 0;
		if (n == TCP_TLS_EOF) {
			snprintf(io->err, sizeof(io->err), "the peer closed TLS (close_notify)");
			return -ECONNRESET;
		}
		if (n < 0)
			return io_fail(io, -ECONNRESET);
		rc = tcp_rx_commit(rx, (size_t)n);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void tcp_tls_io_eof(struct tcp_tls_io *io)
{
	if (io->tls == NULL) {
		snprintf(io->err, sizeof(io->err), "the peer closed the connection before TLS began");
		return;
	}
	if (tcp_tls_peer_closed(io->tls) == TCP_TLS_OK) {
		snprintf(io->err, sizeof(io->err), "the peer closed TLS (close_notify)");
		return;
	}
	if (io->open) {
		/* After the handshake NVMe/TCP's own framing tells a cut PDU;
		 * Linux's kernel host ends without close_notify. */
		snprintf(io->err, sizeof(io->err), "closed without TLS close_notify");
		return;
	}
	snprintf(io->err, sizeof(io->err), "%s (so a peer refuses an unknown PSK identity or "
		 "another key)", tcp_tls_error(io->tls));
}

const char *tcp_tls_io_cipher(const struct tcp_tls_io *io)
{
	return io->tls != NULL ? tcp_tls_cipher(io->tls) : NULL;
}

const char *tcp_tls_io_identity(const struct tcp_tls_io *io)
{
	return io->tls != NULL ? tcp_tls_identity(io->tls) : NULL;
}
