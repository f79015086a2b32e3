/*
 * nvmf-target against hostile or careless hosts (the black-box findings of
 * helper-93's report): KATO rounding at the top of its range.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/endian.h>

#include "th.h"

static struct tf F;

static int setup(void **state)
{
	tf_start(&F, 9, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	tf_stop(&F);
	return 0;
}

static uint32_t get_kato(struct th *h)
{
	struct th_cqe cqe;
	uint8_t sqe[64];

	th_sqe(sqe, NVMF_ADM_GET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_KEEP_ALIVE);
	assert_int_equal(th_cmd(h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	return cqe.dw0;
}

/*
 * A KATO within 100 of 2^32 rounds up to the 100 ms granularity without
 * wrapping: Connect's rounding made 0xFFFFFFF0 4 ms, and the host that
 * asked for the longest timeout was dropped at once. Connect and Set
 * Features round alike, saturating at FFFFFFFFh.
 */
static void test_kato_round_saturates(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t sqe[64];

	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0xFFFFFFF0u), 0);
	assert_int_equal(get_kato(&h), 0xFFFFFFFFu);
	/* Still there well past 4 ms (two periods of it would have dropped it). */
	usleep(300 * 1000);
	assert_int_equal(get_kato(&h), 0xFFFFFFFFu);
	/* Set Features: the same rounding, exact multiples kept. */
	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_KEEP_ALIVE);
	nvmf_put_le32(sqe + 44, 0xFFFFFFFEu);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(get_kato(&h), 0xFFFFFFFFu);
	nvmf_put_le32(sqe + 44, 4294967200u);	/* a multiple of 100 */
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(get_kato(&h), 4294967200u);
	nvmf_put_le32(sqe + 44, 4294967201u);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(get_kato(&h), 0xFFFFFFFFu);
	nvmf_put_le32(sqe + 44, 1);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(get_kato(&h), 100);
	nvmf_put_le32(sqe + 44, 0);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(get_kato(&h), 0);
	th_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kato_round_saturates),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
