/*
 * Polling mode (nvmf_opts.poll_us, nvmf.h POLLING; src/host/loop.c): I/O
 * submitted from another thread while the I/O thread polls (no wake-ups)
 * and while it sleeps (the wake-up again) all completes; an idle
 * controller's thread goes back to sleeping; a request pushed just as the
 * thread gives up polling is not lost; the option and its URI form are
 * checked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"
#include "host/ctrl.h"

static struct fake_ctrl *start_fake(struct nvmf_opts *o, int poll_us)
{
	struct fake_ctrl *fc = fake_host_start(FAKE_GOOD, o);

	assert_non_null(fc);
	o->poll_us = poll_us;
	return fc;
}

static void count_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	int *n = user;

	(void)cookie;
	if (cpl->result == 0)
		__atomic_fetch_add(n, 1, __ATOMIC_RELEASE);
	else
		__atomic_fetch_add(n, 1000000, __ATOMIC_RELEASE);
}

/* Waits (at most 10 s) for the I/O thread to leave polling for sleep. */
static bool sleeps_within_bound(struct nvmf_ctrl *c)
{
	for (int i = 0; i < 10000; i++) {
		if (!atomic_load(&c->hl->polling))
			return true;
		uv_sleep(1);
	}
	return false;
}

static void test_poll_io(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(&o, 2000);
	struct nvmf_ctrl *c;
	uint8_t *buf = malloc(8 * 4096);
	int done = 0, sent = 0;
	uint64_t deadline;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	/* Back to back: the thread polls throughout, submissions skip the
	 * wake-up. */
	for (int i = 0; i < 500; i++)
		assert_int_equal(nvmf_read(c, 1, buf, (uint64_t)i * 8, 8, 0), 0);
	deadline = uv_hrtime() + 30ull * 1000000000ull;
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < 4000) {
		int d = __atomic_load_n(&done, __ATOMIC_ACQUIRE);

		assert_true(d < 1000000);	/* no failure */
		assert_true(uv_hrtime() < deadline);
		if (sent < 4000 && sent - d < 8) {
			struct nvmf_callback cb = { count_cb, &done, NULL };

			assert_true(nvmf_aio_read(c, 1, buf + (sent % 8) * 4096,
						  (uint64_t)(sent % 1000) * 8, 8, 0, cb) > 0);
			sent++;
		} else {
			uv_sleep(0);
		}
	}
	assert_int_equal(done, 4000);
	/* Idle: the thread sleeps again, and a read after that wakes it. */
	assert_true(sleeps_within_bound(c));
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
	free(buf);
}

/*
 * Submissions just as the thread gives up polling: with a window of 200 us
 * and a pause of 0 to 400 us before each read, many land in the moment the
 * thread clears its flag and takes a last look before sleeping. A lost
 * request would make a read time out (io_timeout 5 s) instead of
 * succeeding.
 */
static void test_poll_edges(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(&o, 200);
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 400; i++) {
		struct timespec ts = { 0, (long)(i % 9) * 50000 };

		nanosleep(&ts, NULL);
		assert_int_equal(nvmf_read(c, 1, buf, (uint64_t)i, 8, 0), 0);
	}
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

static void test_poll_opts(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;

	(void)state;
	nvmf_opts_init(&o);
	assert_int_equal(o.poll_us, 0);
	snprintf(o.traddr, sizeof(o.traddr), "127.0.0.1");
	o.poll_us = -1;
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "poll_us"));
	o.poll_us = 1000001;
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	assert_null(c);

	nvmf_opts_init(&o);
	assert_int_equal(nvmf_opts_set_uri(&o, "nvme+tcp://127.0.0.1/nqn.2014-08.org.example:x"
					       "?poll_us=50"), 0);
	assert_int_equal(o.poll_us, 50);
	assert_true(nvmf_opts_set_uri(&o, "nvme+tcp://127.0.0.1/nqn.2014-08.org.example:x"
				      "?poll_us=2000000") < 0);
	assert_non_null(strstr(nvmf_get_error(), "poll_us"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_opts),
		cmocka_unit_test(test_poll_io),
		cmocka_unit_test(test_poll_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
