/*
 * The pool of I/O threads (nvmf.h, THREADING; src/host/iopool.c):
 * controllers are placed on the least loaded of at most nvmf_get_io_threads()
 * threads and private_thread ones on their own; a thread ends with its last
 * controller; one controller leaving does not disturb the others of its
 * thread; a polling controller and a sleeping one share a thread; every
 * synchronous call made on an I/O thread, to any controller, is refused
 * with -EDEADLK; the size's bounds and environment variable are checked.
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

#define NR 5

static struct fake_ctrl *start_fake(struct nvmf_opts *o)
{
	struct fake_ctrl *fc = fake_host_start(FAKE_GOOD, o);

	assert_non_null(fc);
	return fc;
}

/* Reads on each controller, from this thread, all at once. */
static void read_all(struct nvmf_ctrl **c, int n)
{
	uint8_t buf[4096];

	for (int k = 0; k < 20; k++)
		for (int i = 0; i < n; i++)
			if (c[i])
				assert_int_equal(nvmf_read(c[i], 1, buf, (uint64_t)k * 8, 8, 0), 0);
}

static void test_placement(void **state)
{
	struct fake_ctrl *fc[NR + 1];
	struct nvmf_ctrl *c[NR + 1];
	struct nvmf_opts o;

	(void)state;
	assert_int_equal(nvmf_set_io_threads(2), 0);
	assert_int_equal(nvmf_get_io_threads(), 2);
	assert_int_equal(host_pool_threads(), 0);
	for (int i = 0; i < NR; i++) {
		fc[i] = start_fake(&o);
		assert_int_equal(nvmf_connect(&o, &c[i]), 0);
	}
	/* Two threads, the controllers alternating between them. */
	assert_int_equal(host_pool_threads(), 2);
	assert_ptr_not_equal(c[0]->hl, c[1]->hl);
	for (int i = 2; i < NR; i++)
		assert_ptr_equal(c[i]->hl, c[i % 2]->hl);
	assert_int_equal(c[0]->hl->members, 3);
	assert_int_equal(c[1]->hl->members, 2);
	/* A private thread is nobody else's and not the pool's. */
	fc[NR] = start_fake(&o);
	o.private_thread = true;
	assert_int_equal(nvmf_connect(&o, &c[NR]), 0);
	assert_int_equal(c[NR]->hl->slot, -1);
	assert_int_equal(c[NR]->hl->members, 1);
	assert_int_equal(host_pool_threads(), 2);
	read_all(c, NR + 1);

	/* Leaving: the others of the thread go on; a new controller goes to
	 * the emptier thread. */
	assert_int_equal(nvmf_disconnect(c[1]), 0);
	c[1] = NULL;
	read_all(c, NR + 1);
	assert_int_equal(nvmf_disconnect(c[3]), 0);
	c[3] = NULL;
	/* c[0]'s thread holds 3, the other none: it has ended. */
	assert_int_equal(host_pool_threads(), 1);
	read_all(c, NR + 1);
	o.private_thread = false;
	assert_int_equal(nvmf_connect(&o, &c[1]), 0);	/* fc[NR] again */
	assert_ptr_not_equal(c[1]->hl, c[0]->hl);
	assert_int_equal(host_pool_threads(), 2);
	read_all(c, NR + 1);
	for (int i = 0; i <= NR; i++)
		if (c[i])
			assert_int_equal(nvmf_disconnect(c[i]), 0);
	assert_int_equal(host_pool_threads(), 0);
	for (int i = 0; i <= NR; i++)
		fake_ctrl_stop(fc[i], NULL);
	assert_int_equal(nvmf_set_io_threads(0), 0);
}

/* ---- -EDEADLK from a callback, whatever the controller ---------------------- */

struct deadlk {
	struct nvmf_ctrl *other;	/* a controller on another thread */
	struct nvmf_opts o;
	int read_r, connect_r, disconnect_r, aio_r;
	char msg[256];
	uint8_t buf[4096];
	int done;
};

static void nop_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	int *n = user;

	(void)cookie;
	__atomic_fetch_add(n, cpl->result == 0 ? 1 : 1000, __ATOMIC_RELEASE);
}

static int aio_done;

static void deadlk_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct deadlk *d = user;
	struct nvmf_ctrl *nc = NULL;
	uint8_t buf[512];
	struct nvmf_callback cb = { nop_cb, &aio_done, NULL };

	(void)cookie;
	(void)cpl;
	d->read_r = nvmf_read(d->other, 1, buf, 0, 1, 0);
	snprintf(d->msg, sizeof(d->msg), "%s", nvmf_get_error());
	d->connect_r = nvmf_connect(&d->o, &nc);
	d->disconnect_r = nvmf_disconnect(d->other);
	/* Asynchronous ones are fine, to any controller. */
	d->aio_r = (int)(nvmf_aio_read(d->other, 1, d->buf, 0, 1, 0, cb) > 0 ? 0 : -1);
	__atomic_store_n(&d->done, 1, __ATOMIC_RELEASE);
}

static void test_deadlk(void **state)
{
	struct fake_ctrl *f1, *f2;
	struct nvmf_ctrl *c1, *c2;
	struct nvmf_opts o;
	struct deadlk d = { 0 };
	uint8_t buf[4096];
	struct nvmf_callback cb = { deadlk_cb, &d, NULL };
	uint64_t deadline;

	(void)state;
	assert_int_equal(nvmf_set_io_threads(2), 0);
	f1 = start_fake(&o);
	assert_int_equal(nvmf_connect(&o, &c1), 0);
	f2 = start_fake(&o);
	d.o = o;
	assert_int_equal(nvmf_connect(&o, &c2), 0);
	assert_ptr_not_equal(c1->hl, c2->hl);
	d.other = c2;
	assert_true(nvmf_aio_read(c1, 1, buf, 0, 1, 0, cb) > 0);
	deadline = uv_hrtime() + 10ull * 1000000000ull;
	while (!__atomic_load_n(&d.done, __ATOMIC_ACQUIRE)) {
		assert_true(uv_hrtime() < deadline);
		uv_sleep(1);
	}
	assert_int_equal(d.read_r, -EDEADLK);
	assert_non_null(strstr(d.msg, "I/O thread"));
	assert_int_equal(d.connect_r, -EDEADLK);
	assert_int_equal(d.disconnect_r, -EDEADLK);
	assert_int_equal(d.aio_r, 0);
	while (__atomic_load_n(&aio_done, __ATOMIC_ACQUIRE) == 0) {
		assert_true(uv_hrtime() < deadline);
		uv_sleep(1);
	}
	assert_int_equal(aio_done, 1);
	/* Both still work after the refusals. */
	assert_int_equal(nvmf_read(c2, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_read(c1, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c1), 0);
	assert_int_equal(nvmf_disconnect(c2), 0);
	fake_ctrl_stop(f1, NULL);
	fake_ctrl_stop(f2, NULL);
	assert_int_equal(nvmf_set_io_threads(0), 0);
}

/* ---- Polling beside sleeping on one thread ---------------------------------- */

static void test_mixed_poll(void **state)
{
	struct fake_ctrl *f1, *f2;
	struct nvmf_ctrl *c[2];
	struct nvmf_opts o;
	uint64_t deadline;
	bool slept = false;

	(void)state;
	assert_int_equal(nvmf_set_io_threads(1), 0);
	f1 = start_fake(&o);
	assert_int_equal(nvmf_connect(&o, &c[0]), 0);
	assert_int_equal(atomic_load(&c[0]->hl->poll_us), 0);
	f2 = start_fake(&o);
	o.poll_us = 300;
	assert_int_equal(nvmf_connect(&o, &c[1]), 0);
	assert_ptr_equal(c[0]->hl, c[1]->hl);
	assert_int_equal(atomic_load(&c[0]->hl->poll_us), 300);
	read_all(c, 2);
	/* Idle: the shared thread sleeps again within a bound. */
	deadline = uv_hrtime() + 10ull * 1000000000ull;
	while (uv_hrtime() < deadline && !slept) {
		slept = !atomic_load(&c[0]->hl->polling);
		uv_sleep(1);
	}
	assert_true(slept);
	read_all(c, 2);
	/* The polling one leaves: the window goes back to 0 and the other
	 * still works (a push skipped while polling would time out here). */
	assert_int_equal(nvmf_disconnect(c[1]), 0);
	c[1] = NULL;
	assert_int_equal(atomic_load(&c[0]->hl->poll_us), 0);
	read_all(c, 1);
	assert_int_equal(nvmf_disconnect(c[0]), 0);
	fake_ctrl_stop(f1, NULL);
	fake_ctrl_stop(f2, NULL);
	assert_int_equal(nvmf_set_io_threads(0), 0);
}

/* ---- Bounds ---------------------------------------------------------------------- */

static void test_size(void **state)
{
	(void)state;
	assert_int_equal(nvmf_set_io_threads(-1), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "nvmf_set_io_threads"));
	assert_int_equal(nvmf_set_io_threads(257), -EINVAL);
	assert_int_equal(nvmf_set_io_threads(256), 0);
	assert_int_equal(nvmf_get_io_threads(), 256);
	setenv("LIBNVMF_IO_THREADS", "3", 1);
	assert_int_equal(nvmf_set_io_threads(0), 0);
	assert_int_equal(nvmf_get_io_threads(), 3);
	/* Malformed: the number of CPUs, as without it. */
	setenv("LIBNVMF_IO_THREADS", "3x", 1);
	assert_int_equal(nvmf_set_io_threads(0), 0);
	unsetenv("LIBNVMF_IO_THREADS");
	{
		int bad = nvmf_get_io_threads();

		assert_int_equal(nvmf_set_io_threads(0), 0);
		assert_int_equal(nvmf_get_io_threads(), bad);
		assert_true(bad >= 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_deadlk),
		cmocka_unit_test(test_mixed_poll),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
