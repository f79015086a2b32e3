/*
 * src/tcp/tls_bio.c: the byte queue the TLS engine runs over. The
 * zero-copy forms keep their promises: a taken buffer is left untouched by
 * any later append, space/produced add exactly what was read, order holds
 * across growth and moves to the front, and an empty queue reads as
 * "retry", never as end of file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tls_bio.h"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static void test_fifo_and_retry(void **state)
{
	BIO *b = tcp_tls_bio_new(16);
	unsigned char in[10000], out[10000];
	int n;

	(void)state;
	assert_non_null(b);
	/* Empty: retry, not end of file. */
	n = BIO_read(b, out, 10);
	assert_true(n <= 0);
	assert_true(BIO_should_retry(b));
	assert_true(BIO_should_read(b));
	fill(in, sizeof(in), 3);
	/* Past the initial room: it grows and keeps the order. */
	assert_int_equal(BIO_write(b, in, 6000), 6000);
	assert_int_equal(BIO_read(b, out, 1000), 1000);
	assert_int_equal(BIO_write(b, in + 6000, 4000), 4000);
	assert_int_equal(BIO_ctrl_pending(b), 9000);
	assert_int_equal(BIO_read(b, out + 1000, 9000), 9000);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(tcp_tls_bio_pending(b), 0);
	BIO_free(b);
}

static void test_take_survives_appends(void **state)
{
	BIO *b = tcp_tls_bio_new(64);
	unsigned char a[300], c[5000], copy[300];
	size_t len;
	void *p;

	(void)state;
	fill(a, sizeof(a), 1);
	fill(c, sizeof(c), 9);
	assert_int_equal(tcp_tls_bio_append(b, a, sizeof(a)), 0);
	p = tcp_tls_bio_take(b, &len);
	assert_non_null(p);
	assert_int_equal(len, sizeof(a));
	memcpy(copy, p, len);
	/* A second take while one is out: refused. */
	assert_int_equal(tcp_tls_bio_append(b, c, 10), 0);
	assert_null(tcp_tls_bio_take(b, &len));
	/* Appends (growth included) go elsewhere: the taken bytes stay. */
	assert_int_equal(tcp_tls_bio_append(b, c + 10, sizeof(c) - 10), 0);
	assert_memory_equal(p, copy, sizeof(copy));
	assert_memory_equal(p, a, sizeof(a));
	tcp_tls_bio_give_back(b, p);
	p = tcp_tls_bio_take(b, &len);
	assert_non_null(p);
	assert_int_equal(len, sizeof(c));
	assert_memory_equal(p, c, sizeof(c));
	tcp_tls_bio_give_back(b, p);
	assert_null(tcp_tls_bio_take(b, &len));
	assert_int_equal(len, 0);
	BIO_free(b);	/* frees spare buffers too (ASan checks) */
}

static void test_space_produced(void **state)
{
	BIO *b = tcp_tls_bio_new(0);
	unsigned char in[70000], out[70000];
	size_t len, got = 0;
	void *p;

	(void)state;
	fill(in, sizeof(in), 5);
	/* As a socket would: room for 64 KiB, 40000 read into it. */
	assert_int_equal(tcp_tls_bio_space(b, 65536, &p, &len), 0);
	assert_true(len >= 65536);
	memcpy(p, in, 40000);
	tcp_tls_bio_produced(b, 40000);
	assert_int_equal(BIO_read(b, out, 30000), 30000);
	got = 30000;
	/* The next read: the unread 10000 bytes must precede it. */
	assert_int_equal(tcp_tls_bio_space(b, 65536, &p, &len), 0);
	memcpy(p, in + 40000, 30000);
	tcp_tls_bio_produced(b, 30000);
	assert_int_equal(tcp_tls_bio_pending(b), 40000);
	while (got < sizeof(out)) {
		int n = BIO_read(b, out + got, 7000);

		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_memory_equal(in, out, sizeof(in));
	BIO_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_and_retry),
		cmocka_unit_test(test_take_survives_appends),
		cmocka_unit_test(test_space_produced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
