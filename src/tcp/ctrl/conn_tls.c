/*
 * TLS on a controller-side NVMe/TCP connection (NVMe/TCP 1.0 as TP 8011
 * amends it, 3.6.1.3 and 3.6.1.4).
 *
 * A listener that allows or requires TLS reads each new connection's first
 * bytes into the TLS buffer: a TLS handshake record starts with 16h, an
 * ICReq with its PDU type 00h, so one port can serve both (as Linux's nvmet
 * does when TLS is "not required"). A required port closes a plaintext
 * connection at once, before the framer parses a byte of it.
 *
 * The server finds the PSK through the identity the client sent: first in
 * the listener's key file (TLS PSKs by identity, nvme-cli's format, read at
 * each handshake), else from a configured PSK: the
 * identity names the host and subsystem NQNs (and, in version 1, a digest of
 * the key), the owner's callback gives the configured PSK for them, and the
 * derivation from that key must give back the very identity received (the
 * same version, hash and digest), else the key is not the one the client
 * holds and the handshake fails. Once open, the queue carries the NQNs so
 * the owner can refuse a Connect for another host or subsystem.
 *
 * The set-up timer that bounds ICReq and Connect (connect_timeout_ms) runs
 * from accept, so it bounds the handshake too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tcp/ctrl/conn.h"
#ifdef NVMF_WITH_TLS
#include <openssl/crypto.h>

#include "tcp/tls.h"
#include "tcp/tls_keyfile.h"
#include "tcp/tls_psk.h"
#endif

#ifdef NVMF_WITH_TLS
/* The key file's TLS PSK for exactly this identity: 0, or -1 (logged if the
 * file is unreadable or malformed; a missing entry is not an error yet). */
static int conn_tls_from_file(struct tcp_cconn *c, const char *path, const char *identity,
			      struct tcp_psk_tls *out)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();
	int rc = kf ? tcp_keyfile_load(kf, path) : -ENOMEM;

	if (rc != 0)
		tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: TLS: key file: %s", c->peer,
			    kf ? tcp_keyfile_error(kf) : "out of memory");
	else
		rc = tcp_keyfile_lookup_identity(kf, identity, out);
	tcp_keyfile_free(kf);
	return rc == 0 ? 0 : -1;
}

/* tcp_tls_lookup_fn: identity -> TLS PSK (see the top of this file). */
static int conn_tls_lookup(void *arg, const char *identity, struct tcp_psk_tls *out)
{
	struct tcp_cconn *c = arg;
	const struct xp_tcp_listen_opts *o = &c->srv->base.opts.tp.tcp;
	struct tcp_psk_identity id;
	struct tcp_psk configured;
	char key[TCP_PSK_INTERCHANGE_MAX + 8];
	int rc;

	rc = tcp_psk_identity_parse(identity, &id);
	if (rc != 0) {
		tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: TLS: PSK identity '%.80s' refused: %s",
			    c->peer, identity, tcp_psk_strerror(rc));
		return -1;
	}
	if (id.type != 'R') {
		tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: TLS: PSK identity '%.80s' refused: "
			    "generated PSKs (type G) need DH-HMAC-CHAP secure channel "
			    "concatenation, which this target does not offer", c->peer, identity);
		return -1;
	}
	if (o->tls_key_file != NULL && conn_tls_from_file(c, o->tls_key_file, identity, out) == 0)
		goto found;
	rc = o->tls_key != NULL ? o->tls_key(o->tls_key_arg, id.hostnqn, id.subnqn, key,
					      sizeof(key))
				: -ENOENT;
	if (rc != 0) {
		/* A callback that failed may have written part of a key. */
		OPENSSL_cleanse(key, sizeof(key));
		tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: TLS: no PSK for host %s and subsystem %s "
			    "(identity '%.80s')", c->peer, id.hostnqn, id.subnqn, identity);
		return -1;
	}
	rc = tcp_psk_parse(key, &configured);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == 0)
		rc = tcp_psk_derive(&configured, id.hostnqn, id.subnqn, id.version,
				    o->tls_compat ? TCP_PSK_KDF_COMPAT : TCP_PSK_KDF_RFC8446, out);
	tcp_psk_wipe(&configured);
	if (rc != 0) {
		tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: TLS: the PSK configured for host %s and "
			    "subsystem %s is unusable: %s", c->peer, id.hostnqn, id.subnqn,
			    tcp_psk_strerror(rc));
		return -1;
	}
	if (strcmp(out->identity, identity) != 0) {
		/* Version 1's digest or the hash differ: another key. */
		tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: TLS: PSK identity '%.80s' does not match "
			    "the key configured for host %s and subsystem %s (%s)", c->peer,
			    identity, id.hostnqn, id.subnqn,
			    id.hash != out->hash ? "another hash" : "another key digest");
		tcp_psk_tls_wipe(out);
		return -1;
	}
found:
	snprintf(c->q.tls_hostnqn, sizeof(c->q.tls_hostnqn), "%s", id.hostnqn);
	snprintf(c->q.tls_subnqn, sizeof(c->q.tls_subnqn), "%s", id.subnqn);
	return 0;
}
#endif

int tcp_cconn_tls_init(struct tcp_cconn *c)
{
#ifdef NVMF_WITH_TLS
	struct tcp_tls_config cfg = {
		.role = TCP_TLS_SERVER,
		.lookup = conn_tls_lookup,
		.lookup_arg = c,
	};
	int rc = tcp_tls_io_start(&c->tio, &cfg, &c->tx);

	if (rc != 0) {
		tcp_srv_log(c->srv, NVMF_LOG_ERROR, "%s: TLS: %s", c->peer, c->tio.err);
		return rc;
	}
	/* Plaintext until the first bytes say otherwise. */
	tcp_tx_set_tls(&c->tx, NULL);
	c->tls_sniffing = true;
	return 0;
#else
	tcp_srv_log(c->srv, NVMF_LOG_ERROR, "%s: TLS: built without OpenSSL", c->peer);
	return -ENOTSUP;
#endif
}

/* The first bytes decide: TLS, plaintext, or (TLS required) a refusal. */
static bool conn_sniff(struct tcp_cconn *c, const uint8_t *data, size_t n)
{
	enum xp_tls_mode mode = c->srv->base.opts.tp.tcp.tls;
	int rc;

	c->tls_sniffing = false;
	if (data[0] == TCP_TLS_IO_HANDSHAKE_BYTE) {
		c->tls = true;
		tcp_tx_set_tls(&c->tx, c->tio.tls);
		return true;
	}
	if (mode == XP_TLS_REQUIRED) {
		tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: TLS is required on this port and the "
			    "host did not start a TLS handshake (first byte 0x%02x%s)", c->peer,
			    data[0], data[0] == NVMF_TCP_ICREQ ? ": a plaintext ICReq" : "");
		tcp_cconn_close(c, "TLS required");
		return false;
	}
	/* Plaintext on a port that allows it: the bytes (in the TLS buffer,
	 * freed after) are the framer's. */
	rc = tcp_rx_feed(&c->rx, data, n);
	tcp_tls_io_free(&c->tio);
	tcp_cconn_rx_result(c, rc);
	return false;
}

void tcp_cconn_tls_input(struct tcp_cconn *c, const void *data, size_t n)
{
	int st, rc;

	if (c->tls_sniffing && !conn_sniff(c, data, n))
		return;
	st = tcp_tls_io_input(&c->tio, data, n);
	tcp_cconn_flush(c);	/* the handshake's answer, or an alert */
	if (c->closed)
		return;
	if (st < 0) {
		tcp_srv_log(c->srv, NVMF_LOG_WARN, "%s: TLS %s failed: %s", c->peer,
			    st == -EACCES ? "handshake" : "connection", c->tio.err);
		tcp_cconn_close(c, st == -EACCES ? "TLS handshake failed" : "TLS failed");
		return;
	}
	if (st == TCP_TLS_IO_HANDSHAKE)
		return;
	if (st == TCP_TLS_IO_OPENED) {
		c->q.tls = true;
		tcp_srv_log(c->srv, NVMF_LOG_INFO, "%s: TLS 1.3, %s, PSK identity '%s'", c->peer,
			    tcp_tls_io_cipher(&c->tio), tcp_tls_io_identity(&c->tio));
	}
	rc = tcp_tls_io_pump(&c->tio, &c->rx, tcp_cconn_live, c);
	if (rc == -ECONNRESET) {
		tcp_cconn_close(c, c->tio.err);
		return;
	}
	tcp_cconn_rx_result(c, rc);
}

const char *tcp_cconn_tls_eof(struct tcp_cconn *c)
{
	tcp_tls_io_eof(&c->tio);
	return c->tio.err;
}

void tcp_cconn_tls_fini(struct tcp_cconn *c)
{
	tcp_tls_io_free(&c->tio);
}
