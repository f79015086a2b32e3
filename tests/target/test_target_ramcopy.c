/*
 * ctl_ram_store() (src/controller/ramcopy.c), the copy of written data into
 * a RAM namespace: every length and every alignment of source and
 * destination gives memcpy's bytes, and nothing outside the destination
 * range changes (the streaming path has an unaligned head, 64-byte blocks
 * and a tail).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "controller/ctl.h"

#define GUARD 64
#define MAXLEN (128 * 1024 + 100)
/* aligned_alloc() wants a multiple of the alignment (C11; the sanitizers
 * abort otherwise). */
#define ROUND64(x) (((x) + 63) & ~(size_t)63)

static void check(uint8_t *dst, uint8_t *src, size_t doff, size_t soff, size_t len)
{
	uint8_t *d = dst + GUARD + doff;

	for (size_t i = 0; i < len; i++)
		src[soff + i] = (uint8_t)(i * 7 + soff + 1);
	memset(dst, 0xEE, GUARD + 32 + MAXLEN + GUARD);
	ctl_ram_store(d, src + soff, len);
	assert_memory_equal(d, src + soff, len);
	for (size_t i = 0; i < GUARD + doff; i++)
		assert_int_equal(dst[i], 0xEE);
	for (size_t i = GUARD + doff + len; i < GUARD + 32 + MAXLEN + GUARD; i++)
		assert_int_equal(dst[i], 0xEE);
}

static void test_lengths_and_alignments(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 63, 64, 65, 511, 512, 513, 575, 576,
				       1000, 4096, 4097, 4159, 65536, 131072, 131072 + 63 };
	uint8_t *dst = aligned_alloc(64, ROUND64(GUARD + 32 + MAXLEN + GUARD));
	uint8_t *src = aligned_alloc(64, ROUND64(32 + MAXLEN));

	(void)state;
	assert_non_null(dst);
	assert_non_null(src);
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (size_t doff = 0; doff < 20; doff++)
			for (size_t soff = 0; soff < 20; soff += 3)
				check(dst, src, doff, soff, lens[l]);
	free(dst);
	free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths_and_alignments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
