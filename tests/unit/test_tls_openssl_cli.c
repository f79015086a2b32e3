/*
 * The TLS engine against an independent peer on loopback: the openssl
 * command (s_server and s_client with -psk, TLS 1.3, no certificates). The
 * engine's client talks to `openssl s_server -rev` (it echoes lines
 * reversed); `openssl s_client` talks to the engine's server. A wrong key
 * fails with a message. Skipped when there is no openssl command.
 *
 * SHA-256 PSKs go in with -psk HEX; the openssl command builds that session
 * with TLS_AES_128_GCM_SHA256 whatever -ciphersuites says, so SHA-384 PSKs
 * go in as a PEM session file (-psk_session) whose cipher is
 * TLS_AES_256_GCM_SHA384 and whose master key is the PSK.
 *
 * Every wait has a deadline; the children are killed by pid.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "tcp/tls.h"
#include "tcp/tls_psk.h"

#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-0000000000aa"
#define SUBNQN  "nqn.2026-01.io.libnvmf:cli"
#define DEADLINE_MS 10000

static char openssl_path[256];

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int find_openssl(void)
{
	const char *dirs[] = { "/usr/bin", "/usr/local/bin", "/bin" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(openssl_path, sizeof(openssl_path), "%s/openssl", dirs[i]);
		if (access(openssl_path, X_OK) == 0)
			return 1;
	}
	return 0;
}

static void make_key(enum tcp_psk_hash hash, uint8_t fill, struct tcp_psk_tls *out, char *hex)
{
	struct tcp_psk c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.hash = hash;
	c.len = tcp_psk_hash_len(hash);
	for (i = 0; i < c.len; i++)
		c.key[i] = (uint8_t)(fill * 3 + i);
	assert_int_equal(tcp_psk_derive(&c, HOSTNQN, SUBNQN, 0, TCP_PSK_KDF_RFC8446, out), 0);
	tcp_psk_wipe(&c);
	for (i = 0; i < out->len; i++)
		sprintf(hex + 2 * i, "%02x", out->key[i]);
}

/*
 * A SHA-384 PSK for the openssl command: a PEM session file with the key as
 * its master key and TLS_AES_256_GCM_SHA384 (-psk_session). path gets the
 * name; the caller unlinks it.
 */
static void write_session(const struct tcp_psk_tls *psk, char *path, size_t size)
{
	static const unsigned char aes256[2] = { 0x13, 0x02 };
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	SSL *ssl = SSL_new(ctx);
	SSL_SESSION *sess = SSL_SESSION_new();
	FILE *f;
	int fd;

	assert_non_null(sess);
	assert_int_equal(SSL_SESSION_set1_master_key(sess, psk->key, psk->len), 1);
	assert_int_equal(SSL_SESSION_set_cipher(sess, SSL_CIPHER_find(ssl, aes256)), 1);
	assert_int_equal(SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION), 1);
	snprintf(path, size, "/tmp/unit_tls_cli.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_SSL_SESSION(f, sess), 1);
	fclose(f);
	SSL_SESSION_free(sess);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

/* A free loopback port (bound and released; the child binds it next). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static pid_t spawn(char *const argv[], int in_fd, int out_fd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(in_fd >= 0 ? in_fd : null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Send all of t's output on fd. */
static int flush_out(struct tcp_tls *t, int fd)
{
	size_t len;
	const char *p;

	while ((p = tcp_tls_out_peek(t, &len)) != NULL) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		tcp_tls_out_consume(t, (size_t)n);
	}
	return 0;
}

/*
 * Drive t over fd: handshake, send `send` once open, collect plaintext in
 * got until it contains `expect`. Returns 0, or -1 on failure or deadline.
 */
static int drive(struct tcp_tls *t, int fd, const char *send_text, const char *expect,
		 char *got, size_t gotsize)
{
	long end = now_ms() + DEADLINE_MS;
	size_t have = 0;
	int sent = 0;

	got[0] = 0;
	while (now_ms() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char buf[16384];
		ssize_t n;

		if (!tcp_tls_is_open(t)) {
			int r = tcp_tls_handshake(t);

			(void)flush_out(t, fd);
			if (r == TCP_TLS_ERROR)
				return -1;
		}
		if (tcp_tls_is_open(t)) {
			if (!sent && send_text) {
				assert_int_equal(tcp_tls_write(t, send_text, strlen(send_text)), 0);
				sent = 1;
			}
			if (flush_out(t, fd) != 0)
				return -1;
			while ((n = tcp_tls_read(t, got + have, gotsize - 1 - have)) > 0) {
				have += (size_t)n;
				got[have] = 0;
			}
			if (n < 0)
				return -1;
			if (expect && strstr(got, expect))
				return 0;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return -1;	/* the peer closed */
		if (tcp_tls_feed(t, buf, (size_t)n) != TCP_TLS_OK)
			return -1;
	}
	return -1;
}

static int connect_retry(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	long end = now_ms() + DEADLINE_MS;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (now_ms() < end) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		assert_true(fd >= 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		close(fd);
		usleep(20000);
	}
	return -1;
}

/* Our client against s_server -rev; with server_fill != 0x11 the keys differ. */
static void client_vs_s_server(enum tcp_psk_hash hash, uint8_t server_fill, int expect_ok)
{
	const char *suite = hash == TCP_PSK_HASH_SHA256 ? "TLS_AES_128_GCM_SHA256"
							: "TLS_AES_256_GCM_SHA384";
	char sessfile[64] = "";
	struct tcp_psk_tls psk, spsk;
	struct tcp_tls_config cfg = { .role = TCP_TLS_CLIENT };
	char hex[2 * TCP_PSK_MAX_LEN + 1], shex[2 * TCP_PSK_MAX_LEN + 1];
	char accept_arg[32], got[256], err[256];
	struct tcp_tls *t;
	pid_t pid;
	int fd, port, r;

	make_key(hash, 0x11, &psk, hex);
	make_key(hash, server_fill, &spsk, shex);
	port = free_port();
	snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%d", port);
	if (hash == TCP_PSK_HASH_SHA256) {
		char *argv[] = { openssl_path, "s_server", "-accept", accept_arg, "-naccept", "1",
				 "-tls1_3", "-nocert", "-psk", shex, "-psk_identity", psk.identity,
				 "-ciphersuites", (char *)suite, "-rev", NULL };

		pid = spawn(argv, -1, -1);
	} else {
		write_session(&spsk, sessfile, sizeof(sessfile));
		char *argv[] = { openssl_path, "s_server", "-accept", accept_arg, "-naccept", "1",
				 "-tls1_3", "-nocert", "-psk_session", sessfile,
				 "-psk_identity", psk.identity,
				 "-ciphersuites", (char *)suite, "-rev", NULL };

		pid = spawn(argv, -1, -1);
	}
	fd = connect_retry(port);
	if (fd < 0) {
		reap(pid);
		fail_msg("cannot reach openssl s_server on port %d", port);
	}
	cfg.psk = &psk;
	t = tcp_tls_new(&cfg, err, sizeof(err));
	assert_non_null(t);
	r = drive(t, fd, "hello nvme\n", "emvn olleh", got, sizeof(got));
	print_message("s_server: %s, %s\n", r == 0 ? "echoed" : "failed",
		      r == 0 ? tcp_tls_cipher(t) : tcp_tls_error(t));
	if (expect_ok) {
		if (r != 0)
			fail_msg("with s_server: %s", tcp_tls_error(t));
		assert_string_equal(tcp_tls_cipher(t), suite);
	} else {
		assert_int_equal(r, -1);
		assert_false(tcp_tls_is_open(t));
		assert_non_null(strstr(tcp_tls_error(t), "received alert"));
	}
	tcp_tls_free(t);
	close(fd);
	reap(pid);
	if (sessfile[0])
		unlink(sessfile);
	tcp_psk_tls_wipe(&psk);
	tcp_psk_tls_wipe(&spsk);
	memset(hex, 0, sizeof(hex));
	memset(shex, 0, sizeof(shex));
}

static void test_client_vs_s_server(void **state)
{
	if (!find_openssl())
		skip();
	client_vs_s_server(TCP_PSK_HASH_SHA256, 0x11, 1);
	client_vs_s_server(TCP_PSK_HASH_SHA384, 0x11, 1);
}

static void test_client_vs_s_server_wrong_key(void **state)
{
	if (!find_openssl())
		skip();
	client_vs_s_server(TCP_PSK_HASH_SHA256, 0x22, 0);
	client_vs_s_server(TCP_PSK_HASH_SHA384, 0x22, 0);
}

struct table {
	struct tcp_psk_tls key;
};

static int lookup(void *arg, const char *identity, struct tcp_psk_tls *out)
{
	struct table *tb = arg;

	if (strcmp(identity, tb->key.identity) != 0)
		return -1;
	*out = tb->key;
	return 0;
}

/* s_client against our server: a line each way. */
static void s_client_vs_server(enum tcp_psk_hash hash)
{
	const char *suite = hash == TCP_PSK_HASH_SHA256 ? "TLS_AES_128_GCM_SHA256"
							: "TLS_AES_256_GCM_SHA384";
	char sessfile[64] = "";
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct table tb;
	struct tcp_tls_config cfg = { .role = TCP_TLS_SERVER, .lookup = lookup,
				      .lookup_arg = &tb };
	char hex[2 * TCP_PSK_MAX_LEN + 1], connect_arg[32], got[256], err[256];
	char out[4096];
	size_t outlen = 0;
	int lfd, fd, in_pipe[2], out_pipe[2], r;
	struct pollfd pfd;
	struct tcp_tls *t;
	long end;
	pid_t pid;

	make_key(hash, 0x33, &tb.key, hex);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	snprintf(connect_arg, sizeof(connect_arg), "127.0.0.1:%d", ntohs(a.sin_port));
	assert_int_equal(pipe(in_pipe), 0);
	assert_int_equal(pipe(out_pipe), 0);
	if (hash == TCP_PSK_HASH_SHA256) {
		char *argv[] = { openssl_path, "s_client", "-connect", connect_arg, "-tls1_3",
				 "-psk", hex, "-psk_identity", tb.key.identity,
				 "-ciphersuites", (char *)suite, "-quiet", NULL };

		pid = spawn(argv, in_pipe[0], out_pipe[1]);
	} else {
		write_session(&tb.key, sessfile, sizeof(sessfile));
		char *argv[] = { openssl_path, "s_client", "-connect", connect_arg, "-tls1_3",
				 "-psk_session", sessfile, "-psk_identity", tb.key.identity,
				 "-ciphersuites", (char *)suite, "-quiet", NULL };

		pid = spawn(argv, in_pipe[0], out_pipe[1]);
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	assert_int_equal(write(in_pipe[1], "ping from s_client\n", 19), 19);

	pfd.fd = lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, DEADLINE_MS) != 1) {
		reap(pid);
		fail_msg("openssl s_client did not connect");
	}
	fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	t = tcp_tls_new(&cfg, err, sizeof(err));
	assert_non_null(t);
	r = drive(t, fd, NULL, "ping from s_client\n", got, sizeof(got));
	if (r != 0) {
		reap(pid);
		fail_msg("with s_client: %s", tcp_tls_error(t));
	}
	assert_string_equal(tcp_tls_cipher(t), suite);
	assert_int_equal(tcp_tls_write(t, "pong from engine\n", 17), 0);
	assert_int_equal(flush_out(t, fd), 0);

	/* s_client prints what it received */
	end = now_ms() + DEADLINE_MS;
	out[0] = 0;
	while (!strstr(out, "pong from engine") && now_ms() < end && outlen < sizeof(out) - 1) {
		ssize_t n;

		pfd.fd = out_pipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(out_pipe[0], out + outlen, sizeof(out) - 1 - outlen);
		if (n <= 0)
			break;
		outlen += (size_t)n;
		out[outlen] = 0;
	}
	print_message("s_client printed: %s", out);
	assert_non_null(strstr(out, "pong from engine"));

	tcp_tls_free(t);
	close(fd);
	close(lfd);
	close(in_pipe[1]);
	close(out_pipe[0]);
	reap(pid);
	if (sessfile[0])
		unlink(sessfile);
	tcp_psk_tls_wipe(&tb.key);
	memset(hex, 0, sizeof(hex));
}

static void test_s_client_vs_server(void **state)
{
	if (!find_openssl())
		skip();
	s_client_vs_server(TCP_PSK_HASH_SHA256);
	s_client_vs_server(TCP_PSK_HASH_SHA384);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_vs_s_server),
		cmocka_unit_test(test_client_vs_s_server_wrong_key),
		cmocka_unit_test(test_s_client_vs_server),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
