/*
 * CRC32C as NVMe/TCP digests use it (NVMe/TCP 1.0, 3.6.1.1 -> RFC 3720, 12.1):
 * known-answer vectors of RFC 3720 appendix B.4, agreement of the build's
 * implementation (ISA-L when present) with the portable code over many
 * lengths and alignments, and chaining.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tcp/pdu.h"

static uint32_t portable(const void *buf, size_t len)
{
	return ~tcp_crc32c_portable_update(~0u, buf, len);
}

/* RFC 3720 B.4 lists the CRC as the bytes sent, i.e. little-endian. */
static void check_vector(const uint8_t *buf, size_t len, const uint8_t wire[4])
{
	uint32_t want = (uint32_t)wire[0] | (uint32_t)wire[1] << 8 |
			(uint32_t)wire[2] << 16 | (uint32_t)wire[3] << 24;
	uint8_t out[4];

	assert_int_equal(tcp_crc32c(buf, len), want);
	assert_int_equal(portable(buf, len), want);
	tcp_put_digest(out, tcp_crc32c(buf, len));
	assert_memory_equal(out, wire, 4);
}

static void test_rfc3720_zeros(void **state)
{
	static const uint8_t wire[4] = { 0xaa, 0x36, 0x91, 0x8a };
	uint8_t buf[32];

	memset(buf, 0, sizeof(buf));
	check_vector(buf, sizeof(buf), wire);
}

static void test_rfc3720_ones(void **state)
{
	static const uint8_t wire[4] = { 0x43, 0xab, 0xa8, 0x62 };
	uint8_t buf[32];

	memset(buf, 0xff, sizeof(buf));
	check_vector(buf, sizeof(buf), wire);
}

static void test_rfc3720_incrementing(void **state)
{
	static const uint8_t wire[4] = { 0x4e, 0x79, 0xdd, 0x46 };
	uint8_t buf[32];

	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	check_vector(buf, sizeof(buf), wire);
}

static void test_rfc3720_decrementing(void **state)
{
	static const uint8_t wire[4] = { 0x5c, 0xdb, 0x3f, 0x11 };
	uint8_t buf[32];

	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	check_vector(buf, sizeof(buf), wire);
}

static void test_rfc3720_iscsi_read(void **state)
{
	static const uint8_t pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	static const uint8_t wire[4] = { 0x56, 0x3a, 0x96, 0xd9 };

	check_vector(pdu, sizeof(pdu), wire);
}

static void test_empty(void **state)
{
	assert_int_equal(tcp_crc32c("", 0), 0);
	assert_int_equal(tcp_crc32c_update(0x12345678u, "", 0), 0x12345678u);
	assert_int_equal(tcp_crc32c_portable_update(0x12345678u, "", 0), 0x12345678u);
}

/* Well-known check value of CRC-32C ("123456789" -> E3069283h). */
static void test_check_value(void **state)
{
	assert_int_equal(tcp_crc32c("123456789", 9), 0xe3069283u);
	assert_int_equal(portable("123456789", 9), 0xe3069283u);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* The build's implementation and the portable one agree everywhere. */
static void test_impl_matches_portable(void **state)
{
	enum { MAX = 70000 };
	uint8_t *buf = malloc(MAX + 16);

	assert_non_null(buf);
	for (size_t i = 0; i < MAX + 16; i++)
		buf[i] = (uint8_t)rnd();
	for (size_t len = 0; len <= 300; len++)
		for (size_t al = 0; al < 16; al++)
			assert_int_equal(tcp_crc32c(buf + al, len), portable(buf + al, len));
	for (int i = 0; i < 300; i++) {
		size_t len = rnd() % MAX, al = rnd() % 16;
		uint32_t seed = rnd();

		assert_int_equal(tcp_crc32c_update(seed, buf + al, len),
				 tcp_crc32c_portable_update(seed, buf + al, len));
	}
	free(buf);
}

/* Update over pieces equals the whole, for both implementations. */
static void test_chaining(void **state)
{
	enum { LEN = 9000 };
	uint8_t *buf = malloc(LEN);
	struct iovec iov[4];

	assert_non_null(buf);
	for (size_t i = 0; i < LEN; i++)
		buf[i] = (uint8_t)rnd();
	uint32_t whole = tcp_crc32c(buf, LEN);

	for (int t = 0; t < 200; t++) {
		size_t a = rnd() % LEN, b = rnd() % LEN;

		if (a > b) {
			size_t x = a;
			a = b;
			b = x;
		}
		uint32_t c = tcp_crc32c_update(~0u, buf, a);
		c = tcp_crc32c_update(c, buf + a, b - a);
		c = tcp_crc32c_update(c, buf + b, LEN - b);
		assert_int_equal(~c, whole);
		c = tcp_crc32c_portable_update(~0u, buf, a);
		c = tcp_crc32c_portable_update(c, buf + a, b - a);
		c = tcp_crc32c_portable_update(c, buf + b, LEN - b);
		assert_int_equal(~c, whole);

		iov[0] = (struct iovec){ buf, a };
		iov[1] = (struct iovec){ buf + a, 0 };
		iov[2] = (struct iovec){ buf + a, b - a };
		iov[3] = (struct iovec){ buf + b, LEN - b };
		assert_int_equal(tcp_data_digest(iov, 4), whole);
	}
	/* Byte by byte too. */
	uint32_t c = ~0u;
	for (size_t i = 0; i < LEN; i++)
		c = tcp_crc32c_update(c, buf + i, 1);
	assert_int_equal(~c, whole);
	free(buf);
}

static void test_impl_name(void **state)
{
	const char *name = tcp_crc32c_impl();

#ifdef NVMF_HAVE_ISAL
	assert_string_equal(name, "isa-l");
#else
	assert_string_equal(name, "portable");
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3720_zeros),
		cmocka_unit_test(test_rfc3720_ones),
		cmocka_unit_test(test_rfc3720_incrementing),
		cmocka_unit_test(test_rfc3720_decrementing),
		cmocka_unit_test(test_rfc3720_iscsi_read),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_impl_matches_portable),
		cmocka_unit_test(test_chaining),
		cmocka_unit_test(test_impl_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
