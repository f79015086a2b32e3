/*
 * NVMe/TCP host: TLS 1.3 with a pre-shared key on a queue pair's connection
 * (NVMe/TCP 1.0 as TP 8011 amends it, 3.6.1.3 and 3.6.1.4).
 *
 * At connect the options' configured PSK (interchange form) becomes the TLS
 * PSK and its identity (tcp/tls_psk.h), or, without one, the key file's
 * entry for the host and subsystem NQNs is that TLS PSK and identity
 * already (nvme-cli's files hold derived keys, tcp/tls_keyfile.h); the
 * engine takes a copy and ours is wiped. Once
 * TCP is up the handshake runs first, then ICReq goes out inside TLS; the
 * queue pair's connect timeout bounds all of it, so a peer that stalls the
 * handshake is caught like one that never answers ICReq. Every connection
 * (every queue, every reconnect) derives and shakes hands anew.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tcp/host_qpair.h"
#ifdef NVMF_WITH_TLS
#include "tcp/tls.h"
#include "tcp/tls_keyfile.h"
#endif

#ifdef NVMF_WITH_TLS
/* The key file's TLS PSK for the two NQNs, of the identity version the
 * options name (-1: any, in Linux's order of preference). */
static int host_tls_from_file(struct tcp_host_qpair *hq)
{
	const struct xp_tcp_opts *o = &hq->base.opts.tp.tcp;
	const char *path = o->tls_key_file ? o->tls_key_file : TCP_KEYFILE_DEFAULT;
	struct tcp_keyfile *kf = tcp_keyfile_new();
	int rc;

	if (kf == NULL) {
		xp_set_error(&hq->base, "TLS: out of memory");
		return -ENOMEM;
	}
	rc = tcp_keyfile_load(kf, path);
	for (size_t i = 0; i < tcp_keyfile_warning_count(kf); i++)
		xp_log(&hq->base, NVMF_LOG_WARN, "TLS: %s", tcp_keyfile_warning(kf, i));
	if (rc == -ENOENT)
		xp_set_error(&hq->base, "TLS: no key given and no key file %s", path);
	else if (rc != 0)
		xp_set_error(&hq->base, "TLS: %s", tcp_keyfile_error(kf));
	if (rc == 0) {
		rc = tcp_keyfile_lookup(kf, o->tls_hostnqn, o->tls_subnqn,
					o->tls_identity, TCP_PSK_HASH_NONE, &hq->psk);
		if (rc != 0 && o->tls_identity >= 0 &&
		    tcp_keyfile_lookup(kf, o->tls_hostnqn, o->tls_subnqn, -1, TCP_PSK_HASH_NONE,
				       &hq->psk) == 0) {
			tcp_psk_tls_wipe(&hq->psk);
			xp_set_error(&hq->base, "TLS: %s has no version %d identity for host %s and "
				     "subsystem %s, only another version (tls_identity -1 takes "
				     "any)", path, o->tls_identity, o->tls_hostnqn, o->tls_subnqn);
		} else if (rc != 0) {
			xp_set_error(&hq->base, "TLS: %s has no key for host %s and subsystem %s",
				     path, o->tls_hostnqn, o->tls_subnqn);
		}
	}
	tcp_keyfile_free(kf);
	return rc;
}
#endif

int tcp_host_tls_prepare(struct tcp_host_qpair *hq)
{
#ifdef NVMF_WITH_TLS
	const struct xp_tcp_opts *o = &hq->base.opts.tp.tcp;
	struct tcp_psk configured;
	int rc;

	if (o->tls_hostnqn == NULL || o->tls_subnqn == NULL || o->tls_identity > 1 ||
	    o->tls_identity < -1) {
		xp_set_error(&hq->base, "TLS: host and subsystem NQN and an identity version "
			     "of 0, 1 or -1 are needed");
		return -EINVAL;
	}
	if (o->tls_key == NULL) {
		rc = host_tls_from_file(hq);
		if (rc == 0)
			hq->tls = true;
		return rc;
	}
	rc = tcp_psk_parse(o->tls_key, &configured);
	if (rc != 0) {
		tcp_psk_wipe(&configured);
		xp_set_error(&hq->base, "TLS key: %s", tcp_psk_strerror(rc));
		return -EINVAL;
	}
	rc = tcp_psk_derive(&configured, o->tls_hostnqn, o->tls_subnqn,
			    o->tls_identity < 0 ? 0 : o->tls_identity,
			    o->tls_compat ? TCP_PSK_KDF_COMPAT : TCP_PSK_KDF_RFC8446, &hq->psk);
	tcp_psk_wipe(&configured);
	if (rc != 0) {
		xp_set_error(&hq->base, "TLS: deriving the PSK for host %s and subsystem %s: %s",
			     o->tls_hostnqn, o->tls_subnqn, tcp_psk_strerror(rc));
		return -EINVAL;
	}
	hq->tls = true;
	return 0;
#else
	xp_set_error(&hq->base, "TLS: libnvmf was built without OpenSSL");
	return -ENOTSUP;
#endif
}

int tcp_host_tls_start(struct tcp_host_qpair *hq)
{
#ifdef NVMF_WITH_TLS
	struct xp_qpair *qp = &hq->base;
	struct tcp_tls_config cfg = { .role = TCP_TLS_CLIENT, .psk = &hq->psk };
	int rc;

	qp->connect_phase = "the TLS handshake";
	rc = tcp_tls_io_start(&hq->tio, &cfg, &hq->tx);
	tcp_psk_tls_wipe(&hq->psk);	/* the engine has its copy */
	if (rc == 0)
		rc = tcp_tx_flush(&hq->tx);
	if (rc != 0) {
		xp_set_error(qp, "TLS with %s port %s: %s", hq->peer, hq->trsvcid,
			     hq->tio.err[0] ? hq->tio.err : uv_strerror(rc));
		return rc < 0 ? rc : -EIO;
	}
	xp_log(qp, NVMF_LOG_DEBUG, "TLS handshake with %s port %s started", hq->peer,
	       hq->trsvcid);
	return 0;
#else
	(void)hq;
	return -ENOTSUP;
#endif
}

void tcp_host_tls_input(struct tcp_host_qpair *hq, const void *data, size_t n)
{
	struct xp_qpair *qp = &hq->base;
	int st, rc;

	st = tcp_tls_io_input(&hq->tio, data, n);
	/* Send what the engine has to say, an alert after a failure included. */
	rc = hq->tx.head == NULL ? tcp_tx_flush(&hq->tx) : 0;
	if (st < 0) {
		xp_set_error(qp, "TLS %s %s port %s failed: %s",
			     st == -EACCES ? "handshake with" : "connection to", hq->peer,
			     hq->trsvcid, hq->tio.err);
		xp_fail(qp, st == -EACCES ? -EACCES : -ECONNRESET);
		return;
	}
	if (rc != 0) {
		xp_set_error(qp, "sending to %s port %s: %s", hq->peer, hq->trsvcid,
			     tcp_tx_strerror(&hq->tx, rc));
		xp_fail(qp, -ECONNRESET);
		return;
	}
	if (st == TCP_TLS_IO_HANDSHAKE)
		return;
	if (st == TCP_TLS_IO_OPENED) {
		xp_log(qp, NVMF_LOG_DEBUG, "TLS 1.3 with %s port %s: %s, identity '%s'", hq->peer,
		       hq->trsvcid, tcp_tls_io_cipher(&hq->tio), tcp_tls_io_identity(&hq->tio));
		rc = tcp_host_send_icreq(hq);
		if (rc != 0) {
			xp_set_error(qp, "sending ICReq to %s port %s: %s", hq->peer, hq->trsvcid,
				     tcp_tx_strerror(&hq->tx, rc));
			xp_fail(qp, -ECONNRESET);
			return;
		}
	}
	rc = tcp_tls_io_pump(&hq->tio, &hq->rx, tcp_host_live, hq);
	if (rc == -ECONNRESET) {
		/* xp_fail ends a connect attempt or a live queue pair alike. */
		xp_set_error(qp, "TLS connection to %s port %s failed: %s", hq->peer, hq->trsvcid,
			     hq->tio.err);
		xp_fail(qp, -ECONNRESET);
		return;
	}
	tcp_host_rx_result(hq, rc);
	/* A read may leave output (a KeyUpdate's answer): send it unless the
	 * next batch will. */
	if (tcp_host_live(hq) && hq->tx.head == NULL && !hq->tx.inflight)
		(void)tcp_tx_flush(&hq->tx);
}

const char *tcp_host_tls_eof(struct tcp_host_qpair *hq)
{
	tcp_tls_io_eof(&hq->tio);
	return hq->tio.err;
}

void tcp_host_tls_fini(struct tcp_host_qpair *hq)
{
#ifdef NVMF_WITH_TLS
	tcp_psk_tls_wipe(&hq->psk);
#endif
	tcp_tls_io_free(&hq->tio);
}
