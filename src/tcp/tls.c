/*
 * NVMe/TCP TLS 1.3 PSK engine over OpenSSL memory BIOs (see tls.h).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>

#include "tcp/tls.h"
#include "tcp/tls_bio.h"

#define TLS_ERR_MAX 512
/* TLS 1.3's largest record plaintext (RFC 8446, 5.1). */
#define TCP_TLS_RECORD_MAX 16384
/* Small pieces gathered per SSL_write: a few records' worth. */
#define TCP_TLS_GATHER (4 * TCP_TLS_RECORD_MAX)
/* The byte queues start with room for a couple of records each way and
 * grow to what the traffic needs (once: they never shrink). */
#define TCP_TLS_BIO_INITIAL (32 * 1024)

enum tls_state { ST_HANDSHAKE, ST_OPEN, ST_FAILED };

struct tcp_tls {
	enum tcp_tls_role role;
	enum tls_state state;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio;		/* ciphertext from the peer (OpenSSL reads it) */
	BIO *wbio;		/* ciphertext for the peer (OpenSSL writes it) */
	struct tcp_psk_tls psk;	/* client only; wiped when the handshake ends */
	int have_psk;
	tcp_tls_lookup_fn lookup;
	void *lookup_arg;
	int first_byte;		/* first byte fed, -1 until then */
	char alert[96];		/* first alert received or sent */
	int alert_rx;		/* its description, if received during the handshake */
	char note[TCP_PSK_IDENTITY_MAX + 64];	/* what a callback found */
	char identity[TCP_PSK_IDENTITY_MAX];	/* the PSK identity in use */
	char err[TLS_ERR_MAX];
	unsigned char *gather;	/* writev's buffer */
	size_t gather_size;
};

/* TLS 1.3 cipher suite ids (RFC 8446 B.4). */
static const unsigned char SUITE_AES128_SHA256[2] = { 0x13, 0x01 };
static const unsigned char SUITE_AES256_SHA384[2] = { 0x13, 0x02 };

static void wipe_psk(struct tcp_tls *t)
{
	OPENSSL_cleanse(&t->psk, sizeof(t->psk));
	t->have_psk = 0;
}

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

/* The next error on OpenSSL's queue (ERR_get_error_line_data is gone in 3.0). */
static unsigned long get_error(const char **file, int *line, const char **data, int *flags)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	return ERR_get_error_all(file, line, NULL, data, flags);
#else
	return ERR_get_error_line_data(file, line, data, flags);
#endif
}

/*
 * Fail for good. The message leads with what it means when that can be
 * told (the hint), then the alert and OpenSSL's reasons (short forms: the
 * text travels into nvmf_ctrl_state_info's 256 bytes): "TLS client
 * handshake failed: the server refused our PSK binder, the keys probably
 * differ (received alert illegal parameter)". The error queue is emptied.
 */
static int fail(struct tcp_tls *t, const char *what)
{
	char reasons[TLS_ERR_MAX] = "", hbuf[96];
	unsigned long e;
	const char *file, *data, *hint = NULL;
	int line, flags, n = 0;

	if (t->state == ST_FAILED) {
		ERR_clear_error();
		return TCP_TLS_ERROR;
	}
	t->state = ST_FAILED;
	wipe_psk(t);
	while ((e = get_error(&file, &line, &data, &flags)) != 0) {
		const char *r = ERR_reason_error_string(e);

		(void)file;
		(void)line;
		if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    ERR_GET_REASON(e) == SSL_R_BINDER_DOES_NOT_VERIFY)
			hint = "the client's PSK is not ours for this identity, the keys differ";
		if (n++ >= 2 || r == NULL)
			continue;
		append(reasons, sizeof(reasons), "%s%s", reasons[0] ? "; " : "", r);
		if ((flags & ERR_TXT_STRING) && data && data[0])
			append(reasons, sizeof(reasons), " (%s)", data);
	}
	if (!hint && t->role == TCP_TLS_CLIENT && t->alert_rx &&
	    (t->alert_rx == SSL_AD_ILLEGAL_PARAMETER || t->alert_rx == SSL_AD_DECRYPT_ERROR))
		hint = "the server refused our PSK binder, the keys probably differ";
	if (!hint && t->role == TCP_TLS_CLIENT && t->alert_rx == SSL_AD_HANDSHAKE_FAILURE)
		hint = "the server found no usable PSK (unknown identity, or another hash)";
	/* A server answers a ClientHello with a handshake record (16h) or an
	 * alert (15h); an NVMe/TCP target without TLS sends a C2HTermReq
	 * (PDU type 03h) or nothing. */
	if (!hint && t->role == TCP_TLS_CLIENT && t->first_byte >= 0 && t->first_byte != 0x16 &&
	    t->first_byte != 0x15) {
		snprintf(hbuf, sizeof(hbuf), "the server's first byte 0x%02x is not a TLS record: "
			 "a target without TLS?", t->first_byte);
		hint = hbuf;
	}
	if (!hint && t->role == TCP_TLS_SERVER && t->first_byte >= 0 && t->first_byte != 0x16) {
		snprintf(hbuf, sizeof(hbuf), "the peer's first byte 0x%02x is not a TLS handshake "
			 "record: a peer without TLS?", t->first_byte);
		hint = hbuf;
	}
	snprintf(t->err, sizeof(t->err), "TLS %s %s",
		 t->role == TCP_TLS_CLIENT ? "client" : "server", what);
	if (hint)
		append(t->err, sizeof(t->err), ": %s", hint);
	if (t->note[0])
		append(t->err, sizeof(t->err), ": %s", t->note);
	if (t->alert[0] || reasons[0])
		append(t->err, sizeof(t->err), " (%s%s%s)", t->alert,
		       t->alert[0] && reasons[0] ? "; " : "", reasons);
	return TCP_TLS_ERROR;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct tcp_tls *t = SSL_get_app_data(ssl);

	if (!t || !(where & SSL_CB_ALERT))
		return;
	/* close_notify is not worth naming; keep the first real alert. */
	if ((ret & 0xff) == SSL_AD_CLOSE_NOTIFY || t->alert[0])
		return;
	if ((where & SSL_CB_READ) && t->state == ST_HANDSHAKE)
		t->alert_rx = ret & 0xff;
	snprintf(t->alert, sizeof(t->alert), "%s alert %s (%s)",
		 (where & SSL_CB_READ) ? "received" : "sent",
		 SSL_alert_desc_string_long(ret), SSL_alert_type_string_long(ret));
}

static const SSL_CIPHER *suite_for(SSL *ssl, enum tcp_psk_hash hash)
{
	if (hash == TCP_PSK_HASH_SHA256)
		return SSL_CIPHER_find(ssl, SUITE_AES128_SHA256);
	if (hash == TCP_PSK_HASH_SHA384)
		return SSL_CIPHER_find(ssl, SUITE_AES256_SHA384);
	return NULL;
}

/* A resumption-style session carrying an external PSK. */
static SSL_SESSION *psk_session(SSL *ssl, enum tcp_psk_hash hash,
				const uint8_t *key, size_t len)
{
	const SSL_CIPHER *c = suite_for(ssl, hash);
	SSL_SESSION *s;

	if (!c || len != tcp_psk_hash_len(hash))
		return NULL;
	s = SSL_SESSION_new();
	if (!s)
		return NULL;
	if (!SSL_SESSION_set1_master_key(s, key, len) ||
	    !SSL_SESSION_set_cipher(s, c) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);	/* cleanses the master key */
		return NULL;
	}
	return s;
}

static int client_psk_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
			 size_t *idlen, SSL_SESSION **sess)
{
	struct tcp_tls *t = SSL_get_app_data(ssl);
	const SSL_CIPHER *c;
	SSL_SESSION *s;

	*sess = NULL;
	if (!t || !t->have_psk)
		return 0;
	c = suite_for(ssl, t->psk.hash);
	/* After a HelloRetryRequest md is the chosen suite's hash. */
	if (md && c && md != SSL_CIPHER_get_handshake_digest(c))
		return 1;
	s = psk_session(ssl, t->psk.hash, t->psk.key, t->psk.len);
	if (!s) {
		snprintf(t->note, sizeof(t->note), "cannot set up the PSK session");
		return 0;
	}
	*id = (const unsigned char *)t->psk.identity;
	*idlen = strlen(t->psk.identity);
	*sess = s;
	return 1;
}

static int server_psk_cb(SSL *ssl, const unsigned char *id, size_t idlen,
			 SSL_SESSION **sess)
{
	struct tcp_tls *t = SSL_get_app_data(ssl);
	char identity[TCP_PSK_IDENTITY_MAX];
	struct tcp_psk_tls k;
	const SSL_CIPHER *c, *mine;
	size_t i;

	*sess = NULL;
	if (!t)
		return 0;
	if (idlen == 0 || idlen >= sizeof(identity) || memchr(id, 0, idlen)) {
		snprintf(t->note, sizeof(t->note),
			 "the client's PSK identity is not a string (%zu bytes)", idlen);
		return 1;	/* no PSK: the handshake fails */
	}
	memcpy(identity, id, idlen);
	identity[idlen] = 0;
	memset(&k, 0, sizeof(k));
	if (!t->lookup || t->lookup(t->lookup_arg, identity, &k) != 0) {
		for (i = 0; i < idlen; i++)	/* printable in the message */
			if (identity[i] < 0x20 || identity[i] > 0x7e)
				identity[i] = '?';
		snprintf(t->note, sizeof(t->note), "unknown PSK identity \"%s\"", identity);
		OPENSSL_cleanse(&k, sizeof(k));
		return 1;
	}
	c = SSL_get_pending_cipher(ssl);
	mine = suite_for(ssl, k.hash);
	if (c && mine && SSL_CIPHER_get_handshake_digest(c) !=
			 SSL_CIPHER_get_handshake_digest(mine)) {
		snprintf(t->note, sizeof(t->note),
			 "the PSK for the identity is a %s key but the client offers %s",
			 k.hash == TCP_PSK_HASH_SHA384 ? "SHA-384" : "SHA-256",
			 SSL_CIPHER_get_name(c));
		OPENSSL_cleanse(&k, sizeof(k));
		return 1;
	}
	*sess = psk_session(ssl, k.hash, k.key, k.len);
	if (!*sess)
		snprintf(t->note, sizeof(t->note),
			 "the PSK found for the identity is not a SHA-256 or SHA-384 key");
	else
		memcpy(t->identity, identity, idlen + 1);
	OPENSSL_cleanse(&k, sizeof(k));
	return 1;
}

struct tcp_tls *tcp_tls_new(const struct tcp_tls_config *cfg, char *err, size_t errlen)
{
	struct tcp_tls *t;
	const char *suites;
	const char *why = "out of memory";

	if (!cfg || (cfg->role == TCP_TLS_CLIENT && !cfg->psk) ||
	    (cfg->role == TCP_TLS_SERVER && !cfg->lookup) ||
	    (cfg->role != TCP_TLS_CLIENT && cfg->role != TCP_TLS_SERVER)) {
		snprintf(err, errlen, "TLS: bad configuration (client needs a PSK, server a lookup)");
		return NULL;
	}
	if (cfg->role == TCP_TLS_CLIENT) {
		if (cfg->psk->len != tcp_psk_hash_len(cfg->psk->hash) || cfg->psk->len == 0) {
			snprintf(err, errlen, "TLS: the PSK is neither a SHA-256 nor a SHA-384 key");
			return NULL;
		}
		if (!memchr(cfg->psk->identity, 0, sizeof(cfg->psk->identity)) ||
		    !cfg->psk->identity[0]) {
			snprintf(err, errlen, "TLS: the PSK has no identity");
			return NULL;
		}
		suites = cfg->psk->hash == TCP_PSK_HASH_SHA256 ? "TLS_AES_128_GCM_SHA256"
							       : "TLS_AES_256_GCM_SHA384";
	} else {
		suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";
	}

	t = calloc(1, sizeof(*t));
	if (!t)
		goto fail;
	t->role = cfg->role;
	t->first_byte = -1;
	t->lookup = cfg->lookup;
	t->lookup_arg = cfg->lookup_arg;
	ERR_clear_error();
	t->ctx = SSL_CTX_new(cfg->role == TCP_TLS_CLIENT ? TLS_client_method()
							  : TLS_server_method());
	if (!t->ctx)
		goto fail_ssl;
	why = "cannot configure TLS 1.3 with PSK";
	if (!SSL_CTX_set_min_proto_version(t->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(t->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(t->ctx, suites))
		goto fail_ssl;
	/* psk_ke beside psk_dhe_ke; no tickets, no certificates. */
	SSL_CTX_set_options(t->ctx, SSL_OP_ALLOW_NO_DHE_KEX | SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	if (cfg->role == TCP_TLS_SERVER && !SSL_CTX_set_num_tickets(t->ctx, 0))
		goto fail_ssl;
	SSL_CTX_set_mode(t->ctx, SSL_MODE_AUTO_RETRY);

	t->ssl = SSL_new(t->ctx);
	if (!t->ssl)
		goto fail_ssl;
	SSL_set_app_data(t->ssl, t);
	SSL_set_info_callback(t->ssl, info_cb);
	/* Byte queues, not memory BIOs (tls_bio.h says why); an empty input
	 * is "retry later", never end of file. */
	t->rbio = tcp_tls_bio_new(TCP_TLS_BIO_INITIAL);
	t->wbio = tcp_tls_bio_new(TCP_TLS_BIO_INITIAL);
	if (!t->rbio || !t->wbio) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		goto fail_ssl;
	}
	SSL_set_bio(t->ssl, t->rbio, t->wbio);	/* the SSL owns both now */

	if (cfg->role == TCP_TLS_CLIENT) {
		memcpy(&t->psk, cfg->psk, sizeof(t->psk));
		snprintf(t->identity, sizeof(t->identity), "%s", cfg->psk->identity);
		t->have_psk = 1;
		SSL_set_psk_use_session_callback(t->ssl, client_psk_cb);
		SSL_set_connect_state(t->ssl);
	} else {
		SSL_set_psk_find_session_callback(t->ssl, server_psk_cb);
		SSL_set_accept_state(t->ssl);
	}
	return t;

fail_ssl:
	if (t) {
		t->state = ST_HANDSHAKE;
		fail(t, why);
		snprintf(err, errlen, "%s", t->err);
		tcp_tls_free(t);
		return NULL;
	}
fail:
	snprintf(err, errlen, "TLS: %s", why);
	return NULL;
}

void tcp_tls_free(struct tcp_tls *t)
{
	if (!t)
		return;
	wipe_psk(t);
	SSL_free(t->ssl);	/* frees the BIOs, cleanses the session keys */
	SSL_CTX_free(t->ctx);
	free(t->gather);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

int tcp_tls_feed(struct tcp_tls *t, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (t->state == ST_FAILED)
		return TCP_TLS_ERROR;
	if (len == 0)
		return TCP_TLS_OK;
	if (t->first_byte < 0)
		t->first_byte = p[0];
	if (tcp_tls_bio_append(t->rbio, p, len) != 0)
		return fail(t, "cannot buffer input: out of memory");
	return TCP_TLS_OK;
}

/* An SSL_* call returned r <= 0: WANT_INPUT, EOF or failure. */
static int ssl_result(struct tcp_tls *t, int r, const char *what)
{
	int e = SSL_get_error(t->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return TCP_TLS_WANT_INPUT;
	case SSL_ERROR_ZERO_RETURN:
		return TCP_TLS_EOF;
	case SSL_ERROR_WANT_WRITE:	/* memory BIOs never refuse a write */
	default:
		break;
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return fail(t, what[0] == 'h' ? "handshake failed: the input ended"
					      : "failed: the input ended");
	return fail(t, what);
}

int tcp_tls_handshake(struct tcp_tls *t)
{
	int r;

	if (t->state == ST_FAILED)
		return TCP_TLS_ERROR;
	if (t->state == ST_OPEN)
		return TCP_TLS_OK;
	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		wipe_psk(t);
		if (SSL_version(t->ssl) != TLS1_3_VERSION)
			return fail(t, "handshake ended in a version other than TLS 1.3");
		if (!SSL_session_reused(t->ssl))
			return fail(t, "handshake ended without the PSK");
		t->state = ST_OPEN;
		return TCP_TLS_OK;
	}
	r = ssl_result(t, r, "handshake failed");
	if (r == TCP_TLS_EOF)
		return fail(t, "handshake failed: the peer closed");
	return r;
}

int tcp_tls_is_open(const struct tcp_tls *t)
{
	return t->state == ST_OPEN;
}

ssize_t tcp_tls_read(struct tcp_tls *t, void *buf, size_t len)
{
	size_t got = 0;
	int r;

	if (t->state != ST_OPEN)
		return TCP_TLS_ERROR;
	if (len == 0)
		return 0;
	ERR_clear_error();
	r = SSL_read_ex(t->ssl, buf, len, &got);
	if (r == 1)
		return (ssize_t)got;
	r = ssl_result(t, 0, "read failed");
	if (r == TCP_TLS_WANT_INPUT)
		return 0;
	return r;
}

int tcp_tls_write(struct tcp_tls *t, const void *buf, size_t len)
{
	size_t done = 0;

	if (t->state != ST_OPEN)
		return TCP_TLS_ERROR;
	if (len == 0)
		return TCP_TLS_OK;
	ERR_clear_error();
	/* Without partial writes and with a memory BIO, one call takes all. */
	if (SSL_write_ex(t->ssl, buf, len, &done) != 1) {
		if (ssl_result(t, 0, "write failed") == TCP_TLS_ERROR)
			return TCP_TLS_ERROR;
		return fail(t, "write failed: OpenSSL asked to wait, which a memory BIO never needs");
	}
	if (done != len)
		return fail(t, "write failed: OpenSSL did not take all the data");
	return TCP_TLS_OK;
}

/* Encrypt what the gather buffer holds (one SSL_write: full records). */
static int gather_flush(struct tcp_tls *t, size_t *used)
{
	int r = TCP_TLS_OK;

	if (*used)
		r = tcp_tls_write(t, t->gather, *used);
	*used = 0;
	return r;
}

/*
 * Small pieces (PDU headers, digests, small data) are gathered so that they
 * share records: a record per piece would cost its header, tag and AEAD set
 * up each time. A piece of a full record or more goes to SSL_write where it
 * lies, after what was gathered before it, which keeps the order and spares
 * copying large data twice. The gather buffer holds the user's data, not
 * key material: it is not wiped.
 */
int tcp_tls_writev(struct tcp_tls *t, const struct iovec *iov, int iovcnt)
{
	size_t used = 0;
	int i;

	if (t->state != ST_OPEN)
		return TCP_TLS_ERROR;
	if (t->gather == NULL) {
		t->gather = malloc(TCP_TLS_GATHER);
		if (t->gather == NULL)
			return fail(t, "write failed: out of memory");
		t->gather_size = TCP_TLS_GATHER;
	}
	for (i = 0; i < iovcnt; i++) {
		size_t len = iov[i].iov_len;

		if (len == 0)
			continue;
		if (len >= TCP_TLS_RECORD_MAX) {
			if (gather_flush(t, &used) != TCP_TLS_OK ||
			    tcp_tls_write(t, iov[i].iov_base, len) != TCP_TLS_OK)
				return TCP_TLS_ERROR;
			continue;
		}
		if (used + len > t->gather_size && gather_flush(t, &used) != TCP_TLS_OK)
			return TCP_TLS_ERROR;
		memcpy(t->gather + used, iov[i].iov_base, len);
		used += len;
	}
	return gather_flush(t, &used);
}

int tcp_tls_in_space(struct tcp_tls *t, size_t want, void **buf, size_t *len)
{
	if (t->state == ST_FAILED)
		return TCP_TLS_ERROR;
	if (tcp_tls_bio_space(t->rbio, want, buf, len) != 0)
		return fail(t, "cannot buffer input: out of memory");
	return TCP_TLS_OK;
}

int tcp_tls_in_commit(struct tcp_tls *t, size_t n)
{
	if (t->state == ST_FAILED)
		return TCP_TLS_ERROR;
	if (n > 0 && t->first_byte < 0) {
		void *tail;
		size_t len;

		/* Nothing came before: the first byte is where these begin. */
		if (tcp_tls_bio_space(t->rbio, 0, &tail, &len) == 0)
			t->first_byte = *(const unsigned char *)tail;
	}
	tcp_tls_bio_produced(t->rbio, n);
	return TCP_TLS_OK;
}

void *tcp_tls_out_take(struct tcp_tls *t, size_t *len)
{
	return tcp_tls_bio_take(t->wbio, len);
}

void tcp_tls_out_give_back(struct tcp_tls *t, void *buf)
{
	tcp_tls_bio_give_back(t->wbio, buf);
}

size_t tcp_tls_out_pending(const struct tcp_tls *t)
{
	return tcp_tls_bio_pending(t->wbio);
}

const void *tcp_tls_out_peek(const struct tcp_tls *t, size_t *len)
{
	return tcp_tls_bio_peek(t->wbio, len);
}

void tcp_tls_out_consume(struct tcp_tls *t, size_t n)
{
	tcp_tls_bio_consume(t->wbio, n);
}

size_t tcp_tls_out_read(struct tcp_tls *t, void *buf, size_t len)
{
	size_t n;
	const void *p = tcp_tls_bio_peek(t->wbio, &n);

	if (p == NULL || len == 0)
		return 0;
	if (n > len)
		n = len;
	memcpy(buf, p, n);
	tcp_tls_bio_consume(t->wbio, n);
	return n;
}

int tcp_tls_peer_closed(struct tcp_tls *t)
{
	if (t->state == ST_FAILED)
		return TCP_TLS_ERROR;
	if (t->state == ST_HANDSHAKE)
		return fail(t, "handshake failed: the peer closed the connection");
	if (SSL_get_shutdown(t->ssl) & SSL_RECEIVED_SHUTDOWN)
		return TCP_TLS_OK;
	return fail(t, "failed: the connection ended without close_notify"
		       " (the data may be truncated)");
}

int tcp_tls_close(struct tcp_tls *t)
{
	if (t->state != ST_OPEN)
		return TCP_TLS_ERROR;
	ERR_clear_error();
	if (SSL_shutdown(t->ssl) < 0)
		return fail(t, "close failed");
	return TCP_TLS_OK;
}

const char *tcp_tls_error(const struct tcp_tls *t)
{
	return t->err;
}

const char *tcp_tls_identity(const struct tcp_tls *t)
{
	if (t->state != ST_OPEN)
		return NULL;
	return t->identity;
}

const char *tcp_tls_cipher(const struct tcp_tls *t)
{
	if (t->state != ST_OPEN)
		return NULL;
	return SSL_get_cipher_name(t->ssl);
}
