/*
 * The TLS 1.3 PSK engine (src/tcp/tls.c): a client and a server engine wired
 * back to back in memory, and raw OpenSSL peers for what the engine must
 * refuse (a TLS 1.2 only peer). Every loop here is bounded: a test that
 * would hang fails instead.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/ssl.h>

#include "tcp/tls.h"
#include "tcp/tls_psk.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001"
#define SUBNQN  "nqn.2026-01.io.libnvmf:test"

/* ---- keys ---------------------------------------------------------------- */

static void make_key(enum tcp_psk_hash hash, uint8_t fill, int version,
		     struct tcp_psk_tls *out)
{
	struct tcp_psk c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.hash = hash;
	c.len = tcp_psk_hash_len(hash);
	for (i = 0; i < c.len; i++)
		c.key[i] = (uint8_t)(fill + i * 7);
	assert_int_equal(tcp_psk_derive(&c, HOSTNQN, SUBNQN, version,
					TCP_PSK_KDF_RFC8446, out), 0);
	tcp_psk_wipe(&c);
}

/* The server's key table: one identity, one key. */
struct table {
	struct tcp_psk_tls key;
	int lookups;
};

static int lookup(void *arg, const char *identity, struct tcp_psk_tls *out)
{
	struct table *tb = arg;

	tb->lookups++;
	if (strcmp(identity, tb->key.identity) != 0)
		return -1;
	out->hash = tb->key.hash;
	out->len = tb->key.len;
	memcpy(out->key, tb->key.key, tb->key.len);
	return 0;
}

static struct tcp_tls *new_client(const struct tcp_psk_tls *psk)
{
	struct tcp_tls_config cfg = { .role = TCP_TLS_CLIENT, .psk = psk };
	char err[256];
	struct tcp_tls *t = tcp_tls_new(&cfg, err, sizeof(err));

	if (!t)
		fail_msg("client: %s", err);
	return t;
}

static struct tcp_tls *new_server(struct table *tb)
{
	struct tcp_tls_config cfg = { .role = TCP_TLS_SERVER, .lookup = lookup,
				      .lookup_arg = tb };
	char err[256];
	struct tcp_tls *t = tcp_tls_new(&cfg, err, sizeof(err));

	if (!t)
		fail_msg("server: %s", err);
	return t;
}

/* ---- moving bytes -------------------------------------------------------- */

/* Move all of a's output to b, step bytes per feed (0: in one piece). */
static size_t move(struct tcp_tls *a, struct tcp_tls *b, size_t step)
{
	size_t len, off;
	const unsigned char *p = tcp_tls_out_peek(a, &len);
	unsigned char *copy;

	if (!p)
		return 0;
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, p, len);
	tcp_tls_out_consume(a, len);
	assert_int_equal(tcp_tls_out_pending(a), 0);
	for (off = 0; off < len; ) {
		size_t n = step ? step : len;

		if (n > len - off)
			n = len - off;
		/* A failed engine refuses input; that is fine here. */
		(void)tcp_tls_feed(b, copy + off, n);
		off += n;
		if (step)
			(void)tcp_tls_handshake(b);
	}
	free(copy);
	return len;
}

/*
 * Run both handshakes until both are open, one fails, or nothing moves.
 * Returns 0 when both are open, -1 otherwise.
 */
static int pump(struct tcp_tls *c, struct tcp_tls *s, size_t step)
{
	int rc = TCP_TLS_WANT_INPUT, rs = TCP_TLS_WANT_INPUT, i;

	for (i = 0; i < 100; i++) {
		size_t moved;

		rc = tcp_tls_handshake(c);
		moved = move(c, s, step);
		rs = tcp_tls_handshake(s);
		moved += move(s, c, step);
		if (rc == TCP_TLS_OK && rs == TCP_TLS_OK && moved == 0)
			return 0;
		if ((rc == TCP_TLS_ERROR || rs == TCP_TLS_ERROR) && moved == 0) {
			/* let the other side see the alert */
			(void)tcp_tls_handshake(c);
			(void)tcp_tls_handshake(s);
			return -1;
		}
		if (moved == 0 && rc == TCP_TLS_WANT_INPUT && rs == TCP_TLS_WANT_INPUT)
			return -1;	/* stuck */
	}
	fail_msg("handshake did not settle in 100 rounds");
	return -1;
}

/* Read exactly len bytes of plaintext from b (all input already fed). */
static void read_all(struct tcp_tls *b, unsigned char *buf, size_t len)
{
	size_t got = 0;
	int guard = 0;

	while (got < len) {
		ssize_t n = tcp_tls_read(b, buf + got, len - got);

		if (n <= 0)
			fail_msg("read returned %zd after %zu of %zu bytes: %s", n, got, len,
				 tcp_tls_error(b));
		got += (size_t)n;
		assert_true(++guard < 1000000);
	}
}

static void pattern(unsigned char *p, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)((i * 131 + seed) ^ (i >> 9));
}

/* ---- handshakes ---------------------------------------------------------- */

static void handshake_with(enum tcp_psk_hash hash, int version, const char *suite,
			   size_t step)
{
	struct table tb = { 0 };
	struct tcp_tls *c, *s;
	struct tcp_psk_tls psk;

	make_key(hash, 0x11, version, &psk);
	tb.key = psk;
	c = new_client(&psk);
	tcp_psk_tls_wipe(&psk);
	s = new_server(&tb);
	if (pump(c, s, step) != 0)
		fail_msg("handshake failed: client \"%s\", server \"%s\"",
			 tcp_tls_error(c), tcp_tls_error(s));
	assert_true(tcp_tls_is_open(c));
	assert_true(tcp_tls_is_open(s));
	assert_string_equal(tcp_tls_cipher(c), suite);
	assert_string_equal(tcp_tls_cipher(s), suite);
	assert_string_equal(tcp_tls_error(c), "");
	assert_string_equal(tcp_tls_error(s), "");
	assert_int_equal(tb.lookups, 1);
	assert_string_equal(tcp_tls_identity(c), tb.key.identity);
	assert_string_equal(tcp_tls_identity(s), tb.key.identity);
	tcp_tls_free(c);
	tcp_tls_free(s);
	tcp_psk_tls_wipe(&tb.key);
}

static void test_handshake_sha256(void **state)
{
	handshake_with(TCP_PSK_HASH_SHA256, 0, "TLS_AES_128_GCM_SHA256", 0);
	handshake_with(TCP_PSK_HASH_SHA256, 1, "TLS_AES_128_GCM_SHA256", 0);
}

static void test_handshake_sha384(void **state)
{
	handshake_with(TCP_PSK_HASH_SHA384, 0, "TLS_AES_256_GCM_SHA384", 0);
	handshake_with(TCP_PSK_HASH_SHA384, 1, "TLS_AES_256_GCM_SHA384", 0);
}

/* The handshake itself fed one byte at a time, and in 7-byte pieces. */
static void test_handshake_bytewise(void **state)
{
	handshake_with(TCP_PSK_HASH_SHA256, 1, "TLS_AES_128_GCM_SHA256", 1);
	handshake_with(TCP_PSK_HASH_SHA384, 0, "TLS_AES_256_GCM_SHA384", 7);
}

/* An open pair for the data tests. */
struct pair {
	struct table tb;
	struct tcp_tls *c, *s;
};

static void open_pair(struct pair *p, enum tcp_psk_hash hash)
{
	struct tcp_psk_tls psk;

	memset(p, 0, sizeof(*p));
	make_key(hash, 0x42, 1, &psk);
	p->tb.key = psk;
	p->c = new_client(&psk);
	tcp_psk_tls_wipe(&psk);
	p->s = new_server(&p->tb);
	if (pump(p->c, p->s, 0) != 0)
		fail_msg("handshake failed: %s / %s", tcp_tls_error(p->c), tcp_tls_error(p->s));
}

static void close_pair(struct pair *p)
{
	tcp_tls_free(p->c);
	tcp_tls_free(p->s);
	tcp_psk_tls_wipe(&p->tb.key);
}

/* ---- data ---------------------------------------------------------------- */

static void transfer(struct tcp_tls *a, struct tcp_tls *b, size_t total,
		     const size_t *chunks, size_t nchunks, unsigned seed)
{
	unsigned char *src = malloc(total), *dst = malloc(total);
	size_t off = 0, k = 0;

	assert_non_null(src);
	assert_non_null(dst);
	pattern(src, total, seed);
	while (off < total) {
		size_t n = chunks[k++ % nchunks];

		if (n > total - off)
			n = total - off;
		assert_int_equal(tcp_tls_write(a, src + off, n), TCP_TLS_OK);
		off += n;
	}
	/* The records accumulated; move them in one piece. */
	assert_true(tcp_tls_out_pending(a) > total);
	move(a, b, 0);
	read_all(b, dst, total);
	assert_memory_equal(src, dst, total);
	/* Nothing more. */
	assert_int_equal(tcp_tls_read(b, dst, 1), 0);
	free(src);
	free(dst);
}

static void test_data_both_ways(void **state)
{
	static const size_t small[] = { 1, 72, 4096, 8192 + 72, 16384, 16385, 65536, 131072 + 5 };
	static const size_t big[] = { 131072 };
	struct pair p;

	open_pair(&p, TCP_PSK_HASH_SHA256);
	transfer(p.c, p.s, 100, small, 1, 1);
	transfer(p.s, p.c, 100, small, 1, 2);
	transfer(p.c, p.s, 1 << 20, small, sizeof(small) / sizeof(small[0]), 3);
	transfer(p.s, p.c, 1 << 20, small, sizeof(small) / sizeof(small[0]), 4);
	transfer(p.c, p.s, 1 << 20, big, 1, 5);
	transfer(p.s, p.c, 1 << 20, big, 1, 6);
	close_pair(&p);

	open_pair(&p, TCP_PSK_HASH_SHA384);
	transfer(p.c, p.s, 1 << 20, small, sizeof(small) / sizeof(small[0]), 7);
	transfer(p.s, p.c, 1 << 20, big, 1, 8);
	close_pair(&p);
}

/* writev gathers its buffers into one record stream. */
static void test_writev(void **state)
{
	unsigned char a[24], b[4096], c[100], got[24 + 4096 + 100];
	struct iovec iov[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	struct pair p;
	size_t len;

	pattern(a, sizeof(a), 1);
	pattern(b, sizeof(b), 2);
	pattern(c, sizeof(c), 3);
	open_pair(&p, TCP_PSK_HASH_SHA256);
	assert_int_equal(tcp_tls_writev(p.c, iov, 3), TCP_TLS_OK);
	/* one record: 5 header + data + 1 type + 16 tag */
	assert_non_null(tcp_tls_out_peek(p.c, &len));
	assert_int_equal(len, 5 + sizeof(got) + 1 + 16);
	move(p.c, p.s, 0);
	read_all(p.s, got, sizeof(got));
	assert_memory_equal(got, a, sizeof(a));
	assert_memory_equal(got + sizeof(a), b, sizeof(b));
	assert_memory_equal(got + sizeof(a) + sizeof(b), c, sizeof(c));
	close_pair(&p);
}

/*
 * A record split at every byte boundary: nothing comes out until the last
 * byte, then all of it. And a message fed one byte at a time.
 */
static void test_split_records(void **state)
{
	static const char msg[] = "NVMe/TCP capsule, split everywhere";
	unsigned char rec[256], out[64];
	struct pair p;
	size_t len, k, i;
	int dir;

	open_pair(&p, TCP_PSK_HASH_SHA256);
	for (dir = 0; dir < 2; dir++) {
		struct tcp_tls *a = dir ? p.s : p.c, *b = dir ? p.c : p.s;

		/* record length */
		assert_int_equal(tcp_tls_write(a, msg, sizeof(msg)), TCP_TLS_OK);
		len = tcp_tls_out_read(a, rec, sizeof(rec));
		assert_int_equal(len, 5 + sizeof(msg) + 1 + 16);
		assert_int_equal(tcp_tls_feed(b, rec, len), TCP_TLS_OK);
		read_all(b, out, sizeof(msg));
		assert_memory_equal(out, msg, sizeof(msg));

		for (k = 1; k < len; k++) {
			assert_int_equal(tcp_tls_write(a, msg, sizeof(msg)), TCP_TLS_OK);
			assert_int_equal(tcp_tls_out_read(a, rec, sizeof(rec)), len);
			assert_int_equal(tcp_tls_feed(b, rec, k), TCP_TLS_OK);
			assert_int_equal(tcp_tls_read(b, out, sizeof(out)), 0);
			assert_int_equal(tcp_tls_feed(b, rec + k, len - k), TCP_TLS_OK);
			read_all(b, out, sizeof(msg));
			assert_memory_equal(out, msg, sizeof(msg));
		}

		/* one byte at a time */
		assert_int_equal(tcp_tls_write(a, msg, sizeof(msg)), TCP_TLS_OK);
		assert_int_equal(tcp_tls_out_read(a, rec, sizeof(rec)), len);
		for (i = 0; i < len; i++) {
			assert_int_equal(tcp_tls_feed(b, rec + i, 1), TCP_TLS_OK);
			if (i + 1 < len)
				assert_int_equal(tcp_tls_read(b, out, sizeof(out)), 0);
		}
		read_all(b, out, sizeof(msg));
		assert_memory_equal(out, msg, sizeof(msg));
	}
	close_pair(&p);
}

/* close_notify: the peer's read says EOF. */
static void test_close(void **state)
{
	unsigned char buf[16];
	struct pair p;

	open_pair(&p, TCP_PSK_HASH_SHA256);
	assert_int_equal(tcp_tls_write(p.c, "bye", 3), TCP_TLS_OK);
	assert_int_equal(tcp_tls_close(p.c), TCP_TLS_OK);
	move(p.c, p.s, 0);
	read_all(p.s, buf, 3);
	assert_memory_equal(buf, "bye", 3);
	assert_int_equal(tcp_tls_read(p.s, buf, sizeof(buf)), TCP_TLS_EOF);
	close_pair(&p);
}

/* A record altered on the way: the reader fails, names it and gives nothing. */
static void test_tampered_record(void **state)
{
	static const char msg[] = "secret capsule";
	unsigned char rec[256], out[64];
	struct pair p;
	size_t len;

	open_pair(&p, TCP_PSK_HASH_SHA256);
	assert_int_equal(tcp_tls_write(p.c, msg, sizeof(msg)), TCP_TLS_OK);
	len = tcp_tls_out_read(p.c, rec, sizeof(rec));
	assert_true(len > 10);
	rec[len / 2] ^= 0x40;
	assert_int_equal(tcp_tls_feed(p.s, rec, len), TCP_TLS_OK);
	assert_int_equal(tcp_tls_read(p.s, out, sizeof(out)), TCP_TLS_ERROR);
	assert_false(tcp_tls_is_open(p.s));
	print_message("server: %s\n", tcp_tls_error(p.s));
	assert_non_null(strstr(tcp_tls_error(p.s), "bad record mac"));
	/* the alert goes to the client, which fails too */
	move(p.s, p.c, 0);
	assert_int_equal(tcp_tls_read(p.c, out, sizeof(out)), TCP_TLS_ERROR);
	assert_non_null(strstr(tcp_tls_error(p.c), "received alert bad record mac"));
	close_pair(&p);
}

/* The connection ends: during the handshake, after close_notify, without it. */
static void test_peer_closed(void **state)
{
	struct tcp_psk_tls psk;
	struct pair p;
	struct tcp_tls *c;

	make_key(TCP_PSK_HASH_SHA256, 0x11, 0, &psk);
	c = new_client(&psk);
	assert_int_equal(tcp_tls_handshake(c), TCP_TLS_WANT_INPUT);
	assert_int_equal(tcp_tls_peer_closed(c), TCP_TLS_ERROR);
	assert_non_null(strstr(tcp_tls_error(c), "handshake failed: the peer closed"));
	tcp_tls_free(c);
	tcp_psk_tls_wipe(&psk);

	open_pair(&p, TCP_PSK_HASH_SHA256);
	assert_int_equal(tcp_tls_peer_closed(p.s), TCP_TLS_ERROR);
	assert_non_null(strstr(tcp_tls_error(p.s), "without close_notify"));
	assert_int_equal(tcp_tls_close(p.c), TCP_TLS_OK);
	move(p.c, p.s, 0);
	close_pair(&p);

	open_pair(&p, TCP_PSK_HASH_SHA384);
	assert_int_equal(tcp_tls_close(p.c), TCP_TLS_OK);
	move(p.c, p.s, 0);
	assert_int_equal(tcp_tls_read(p.s, (unsigned char[8]){ 0 }, 8), TCP_TLS_EOF);
	assert_int_equal(tcp_tls_peer_closed(p.s), TCP_TLS_OK);
	close_pair(&p);
}

/* ---- failures ------------------------------------------------------------ */

/* Both failed, with messages, and neither gives or takes plaintext. */
static void assert_both_failed(struct tcp_tls *c, struct tcp_tls *s)
{
	unsigned char buf[16];

	assert_false(tcp_tls_is_open(c));
	assert_false(tcp_tls_is_open(s));
	assert_null(tcp_tls_identity(c));
	assert_null(tcp_tls_identity(s));
	assert_null(tcp_tls_cipher(s));
	assert_int_equal(tcp_tls_handshake(c), TCP_TLS_ERROR);
	assert_int_equal(tcp_tls_handshake(s), TCP_TLS_ERROR);
	assert_true(strlen(tcp_tls_error(c)) > 0);
	assert_true(strlen(tcp_tls_error(s)) > 0);
	assert_int_equal(tcp_tls_read(c, buf, sizeof(buf)), TCP_TLS_ERROR);
	assert_int_equal(tcp_tls_read(s, buf, sizeof(buf)), TCP_TLS_ERROR);
	assert_int_equal(tcp_tls_write(c, "x", 1), TCP_TLS_ERROR);
	assert_int_equal(tcp_tls_write(s, "x", 1), TCP_TLS_ERROR);
	assert_int_equal(tcp_tls_feed(c, "x", 1), TCP_TLS_ERROR);
	assert_int_equal(tcp_tls_feed(s, "x", 1), TCP_TLS_ERROR);
}

static void test_wrong_key(void **state)
{
	struct table tb = { 0 };
	struct tcp_psk_tls psk;
	struct tcp_tls *c, *s;

	make_key(TCP_PSK_HASH_SHA256, 0x11, 1, &psk);
	tb.key = psk;
	tb.key.key[0] ^= 1;	/* same identity, another key */
	c = new_client(&psk);
	s = new_server(&tb);
	assert_int_equal(pump(c, s, 0), -1);
	assert_both_failed(c, s);
	print_message("client: %s\nserver: %s\n", tcp_tls_error(c), tcp_tls_error(s));
	assert_non_null(strstr(tcp_tls_error(s), "binder does not verify"));
	/* OpenSSL 3.0 sends illegal_parameter for a bad binder, 3.2 and later decrypt_error */
	assert_true(strstr(tcp_tls_error(s), "sent alert illegal parameter") ||
		    strstr(tcp_tls_error(s), "sent alert decrypt error"));
	assert_true(strstr(tcp_tls_error(c), "received alert illegal parameter") ||
		    strstr(tcp_tls_error(c), "received alert decrypt error"));
	assert_non_null(strstr(tcp_tls_error(s), "the keys differ"));
	assert_non_null(strstr(tcp_tls_error(c), "the keys probably differ"));
	tcp_tls_free(c);
	tcp_tls_free(s);
	tcp_psk_tls_wipe(&psk);
	tcp_psk_tls_wipe(&tb.key);
}

static void test_unknown_identity(void **state)
{
	struct table tb = { 0 };
	struct tcp_psk_tls psk;
	struct tcp_tls *c, *s;

	make_key(TCP_PSK_HASH_SHA256, 0x11, 1, &psk);
	tb.key = psk;
	tb.key.identity[5] = '9';	/* NVMe1R01 -> NVMe19... */
	c = new_client(&psk);
	s = new_server(&tb);
	assert_int_equal(pump(c, s, 0), -1);
	assert_both_failed(c, s);
	print_message("client: %s\nserver: %s\n", tcp_tls_error(c), tcp_tls_error(s));
	assert_non_null(strstr(tcp_tls_error(s), "unknown PSK identity \"NVMe1R01 " HOSTNQN));
	assert_non_null(strstr(tcp_tls_error(c), "received alert handshake failure"));
	assert_non_null(strstr(tcp_tls_error(c), "unknown identity"));
	tcp_tls_free(c);
	tcp_tls_free(s);
	tcp_psk_tls_wipe(&psk);
	tcp_psk_tls_wipe(&tb.key);
}

/* A SHA-256 client against a server whose key for that identity is SHA-384. */
static void test_hash_mismatch(void **state)
{
	struct table tb = { 0 };
	struct tcp_psk_tls psk, k384;
	struct tcp_tls *c, *s;

	make_key(TCP_PSK_HASH_SHA256, 0x11, 0, &psk);
	make_key(TCP_PSK_HASH_SHA384, 0x11, 0, &k384);
	tb.key = k384;
	snprintf(tb.key.identity, sizeof(tb.key.identity), "%s", psk.identity);
	c = new_client(&psk);
	s = new_server(&tb);
	assert_int_equal(pump(c, s, 0), -1);
	assert_both_failed(c, s);
	print_message("client: %s\nserver: %s\n", tcp_tls_error(c), tcp_tls_error(s));
	assert_non_null(strstr(tcp_tls_error(s),
			       "is a SHA-384 key but the client offers TLS_AES_128_GCM_SHA256"));
	tcp_tls_free(c);
	tcp_tls_free(s);
	tcp_psk_tls_wipe(&psk);
	tcp_psk_tls_wipe(&k384);
	tcp_psk_tls_wipe(&tb.key);
}

/* ---- a raw OpenSSL peer restricted to TLS 1.2 ----------------------------- */

struct raw {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;
};

static struct tcp_psk_tls raw_key;

static unsigned int raw_client_cb(SSL *ssl, const char *hint, char *identity,
				  unsigned int max_identity_len, unsigned char *psk,
				  unsigned int max_psk_len)
{
	snprintf(identity, max_identity_len, "%s", raw_key.identity);
	memcpy(psk, raw_key.key, raw_key.len);
	return (unsigned int)raw_key.len;
}

static unsigned int raw_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
				  unsigned int max_psk_len)
{
	memcpy(psk, raw_key.key, raw_key.len);
	return (unsigned int)raw_key.len;
}

static void raw_open(struct raw *r, int server)
{
	r->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	assert_non_null(r->ctx);
	SSL_CTX_set_min_proto_version(r->ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(r->ctx, TLS1_2_VERSION);
	assert_int_equal(SSL_CTX_set_cipher_list(r->ctx, "PSK-AES128-GCM-SHA256"), 1);
	if (server)
		SSL_CTX_set_psk_server_callback(r->ctx, raw_server_cb);
	else
		SSL_CTX_set_psk_client_callback(r->ctx, raw_client_cb);
	r->ssl = SSL_new(r->ctx);
	r->rbio = BIO_new(BIO_s_mem());
	r->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(r->rbio, -1);
	BIO_set_mem_eof_return(r->wbio, -1);
	SSL_set_bio(r->ssl, r->rbio, r->wbio);
	if (server)
		SSL_set_accept_state(r->ssl);
	else
		SSL_set_connect_state(r->ssl);
}

static void raw_close(struct raw *r)
{
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
}

/* Pump between an engine and a raw peer; returns the engine's last result. */
static int raw_pump(struct tcp_tls *t, struct raw *r)
{
	unsigned char buf[16384];
	int i, rt = TCP_TLS_WANT_INPUT;

	for (i = 0; i < 50; i++) {
		size_t moved = 0, n;
		int rr = SSL_do_handshake(r->ssl);

		while ((n = (size_t)BIO_read(r->wbio, buf, sizeof(buf))) > 0 &&
		       n <= sizeof(buf)) {
			(void)tcp_tls_feed(t, buf, n);
			moved += n;
		}
		rt = tcp_tls_handshake(t);
		while ((n = tcp_tls_out_read(t, buf, sizeof(buf))) > 0) {
			BIO_write(r->rbio, buf, (int)n);
			moved += n;
		}
		if (moved == 0 && (rt != TCP_TLS_WANT_INPUT || rr <= 0))
			break;
	}
	return rt;
}

static void test_tls12_peer(void **state)
{
	struct table tb = { 0 };
	struct tcp_tls *t;
	struct raw r;

	make_key(TCP_PSK_HASH_SHA256, 0x11, 0, &raw_key);

	/* our client, their TLS 1.2 server */
	t = new_client(&raw_key);
	raw_open(&r, 1);
	assert_int_equal(raw_pump(t, &r), TCP_TLS_ERROR);
	assert_false(tcp_tls_is_open(t));
	print_message("client: %s\n", tcp_tls_error(t));
	assert_non_null(strstr(tcp_tls_error(t), "protocol version"));
	tcp_tls_free(t);
	raw_close(&r);

	/* their TLS 1.2 client, our server */
	tb.key = raw_key;
	t = new_server(&tb);
	raw_open(&r, 0);
	assert_int_equal(raw_pump(t, &r), TCP_TLS_ERROR);
	assert_false(tcp_tls_is_open(t));
	print_message("server: %s\n", tcp_tls_error(t));
	assert_non_null(strstr(tcp_tls_error(t), "protocol version"));
	assert_int_equal(tb.lookups, 0);
	tcp_tls_free(t);
	raw_close(&r);
	tcp_psk_tls_wipe(&raw_key);
	tcp_psk_tls_wipe(&tb.key);
}

/*
 * What our client offers, seen by a raw OpenSSL server's ClientHello
 * callback: both PSK key-exchange modes (psk_dhe_ke 1, psk_ke 0), TLS 1.3
 * only, the one cipher suite of the key's hash.
 */
struct hello_seen {
	unsigned char kex[8];
	size_t kexlen;
	unsigned char suites[16];
	size_t suiteslen;
	unsigned char versions[16];
	size_t versionslen;
	int called;
};

static int hello_cb(SSL *ssl, int *al, void *arg)
{
	struct hello_seen *h = arg;
	const unsigned char *p;
	size_t len;

	h->called++;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk_kex_modes, &p, &len) == 1 &&
	    len <= sizeof(h->kex)) {
		memcpy(h->kex, p, len);
		h->kexlen = len;
	}
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p, &len) == 1 &&
	    len <= sizeof(h->versions)) {
		memcpy(h->versions, p, len);
		h->versionslen = len;
	}
	len = SSL_client_hello_get0_ciphers(ssl, &p);
	if (len <= sizeof(h->suites)) {
		memcpy(h->suites, p, len);
		h->suiteslen = len;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

static void hello_of(enum tcp_psk_hash hash, struct hello_seen *h)
{
	struct tcp_psk_tls psk;
	struct tcp_tls *t;
	struct raw r;

	memset(h, 0, sizeof(*h));
	make_key(hash, 0x11, 1, &psk);
	t = new_client(&psk);
	r.ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(r.ctx);
	SSL_CTX_set_client_hello_cb(r.ctx, hello_cb, h);
	r.ssl = SSL_new(r.ctx);
	r.rbio = BIO_new(BIO_s_mem());
	r.wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(r.rbio, -1);
	BIO_set_mem_eof_return(r.wbio, -1);
	SSL_set_bio(r.ssl, r.rbio, r.wbio);
	SSL_set_accept_state(r.ssl);
	(void)raw_pump(t, &r);	/* the raw server has no PSK: it fails */
	assert_int_equal(h->called, 1);
	tcp_tls_free(t);
	raw_close(&r);
	tcp_psk_tls_wipe(&psk);
}

static void test_client_hello(void **state)
{
	static const unsigned char both_modes[] = { 2, 1, 0 };	/* psk_dhe_ke, psk_ke */
	static const unsigned char tls13_only[] = { 2, 0x03, 0x04 };
	static const unsigned char aes128[] = { 0x13, 0x01 }, aes256[] = { 0x13, 0x02 };
	struct hello_seen h;

	hello_of(TCP_PSK_HASH_SHA256, &h);
	assert_int_equal(h.kexlen, sizeof(both_modes));
	assert_memory_equal(h.kex, both_modes, sizeof(both_modes));
	assert_int_equal(h.versionslen, sizeof(tls13_only));
	assert_memory_equal(h.versions, tls13_only, sizeof(tls13_only));
	/* the suite, then possibly TLS_EMPTY_RENEGOTIATION_INFO_SCSV (00 ff) */
	assert_true(h.suiteslen >= 2);
	assert_memory_equal(h.suites, aes128, 2);
	assert_true(h.suiteslen == 2 || (h.suiteslen == 4 && h.suites[2] == 0 && h.suites[3] == 0xff));

	hello_of(TCP_PSK_HASH_SHA384, &h);
	assert_memory_equal(h.kex, both_modes, sizeof(both_modes));
	assert_memory_equal(h.suites, aes256, 2);
	assert_true(h.suiteslen == 2 || (h.suiteslen == 4 && h.suites[2] == 0 && h.suites[3] == 0xff));
}

/* ---- garbage ------------------------------------------------------------- */

/* A plaintext NVMe/TCP ICReq (pitfalls.md: 128 bytes, type 0, HLEN 128). */
static void icreq(unsigned char *p)
{
	memset(p, 0, 128);
	p[0] = 0x00;	/* ICReq */
	p[2] = 128;	/* HLEN */
	p[4] = 128;	/* PLEN, LE32 */
	p[10] = 0;	/* HPDA */
	p[12] = 0xff;	/* MAXR2T (0's based) */
}

static void test_plaintext_icreq(void **state)
{
	unsigned char pdu[128], buf[64];
	struct table tb = { 0 };
	struct tcp_tls *s;
	size_t step;

	make_key(TCP_PSK_HASH_SHA256, 0x11, 0, &tb.key);
	icreq(pdu);
	for (step = 128; step >= 1; step = step == 128 ? 1 : 0) {
		size_t off;
		int r = TCP_TLS_WANT_INPUT;

		s = new_server(&tb);
		for (off = 0; off < sizeof(pdu) && r == TCP_TLS_WANT_INPUT; off += step) {
			if (tcp_tls_feed(s, pdu + off, step) != TCP_TLS_OK)
				break;
			r = tcp_tls_handshake(s);
		}
		/* it must fail at once: the first 5 bytes are no TLS record */
		assert_int_equal(r, TCP_TLS_ERROR);
		if (step == 1)
			assert_true(off <= 5);
		assert_int_equal(tcp_tls_handshake(s), TCP_TLS_ERROR);
		assert_int_equal(tcp_tls_read(s, buf, sizeof(buf)), TCP_TLS_ERROR);
		print_message("server: %s\n", tcp_tls_error(s));
		assert_non_null(strstr(tcp_tls_error(s), "0x00 is not a TLS handshake record"));
		assert_int_equal(tb.lookups, 0);
		tcp_tls_free(s);
	}
	tcp_psk_tls_wipe(&tb.key);
}

/* Random bytes to a client that sent its ClientHello; and a truncated flight. */
static void test_garbage_to_client(void **state)
{
	unsigned char junk[512], buf[64];
	struct tcp_psk_tls psk;
	struct tcp_tls *c;
	size_t i;

	make_key(TCP_PSK_HASH_SHA256, 0x11, 0, &psk);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	junk[0] = 0x16;	/* looks like a handshake record, 0x0303, then nonsense */
	junk[1] = 0x03;
	junk[2] = 0x03;
	c = new_client(&psk);
	assert_int_equal(tcp_tls_handshake(c), TCP_TLS_WANT_INPUT);
	assert_true(tcp_tls_out_pending(c) > 0);
	tcp_tls_out_consume(c, tcp_tls_out_pending(c));
	assert_int_equal(tcp_tls_feed(c, junk, sizeof(junk)), TCP_TLS_OK);
	assert_int_equal(tcp_tls_handshake(c), TCP_TLS_ERROR);
	assert_int_equal(tcp_tls_read(c, buf, sizeof(buf)), TCP_TLS_ERROR);
	print_message("client: %s\n", tcp_tls_error(c));
	assert_true(strlen(tcp_tls_error(c)) > 0);
	/* it tells the peer */
	assert_true(tcp_tls_out_pending(c) > 0);
	tcp_tls_free(c);
	tcp_psk_tls_wipe(&psk);
}

/* ---- configuration -------------------------------------------------------- */

static void test_bad_config(void **state)
{
	struct tcp_tls_config cfg = { .role = TCP_TLS_CLIENT };
	struct tcp_psk_tls psk;
	char err[256];

	assert_null(tcp_tls_new(&cfg, err, sizeof(err)));
	assert_true(strlen(err) > 0);
	memset(&psk, 0, sizeof(psk));
	psk.hash = TCP_PSK_HASH_SHA256;
	psk.len = 48;
	snprintf(psk.identity, sizeof(psk.identity), "x");
	cfg.psk = &psk;
	assert_null(tcp_tls_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "SHA-256"));
	psk.len = 32;
	psk.identity[0] = 0;
	assert_null(tcp_tls_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "identity"));
	cfg.role = TCP_TLS_SERVER;
	cfg.psk = NULL;
	assert_null(tcp_tls_new(&cfg, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_sha256),
		cmocka_unit_test(test_handshake_sha384),
		cmocka_unit_test(test_handshake_bytewise),
		cmocka_unit_test(test_data_both_ways),
		cmocka_unit_test(test_writev),
		cmocka_unit_test(test_split_records),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_tampered_record),
		cmocka_unit_test(test_peer_closed),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_unknown_identity),
		cmocka_unit_test(test_hash_mismatch),
		cmocka_unit_test(test_tls12_peer),
		cmocka_unit_test(test_client_hello),
		cmocka_unit_test(test_plaintext_icreq),
		cmocka_unit_test(test_garbage_to_client),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
