/*
 * Descriptors watched on the controller's loop (nvmf_watch_fd(), nvmf.h;
 * src/host/watch.c): the callback runs on the controller's I/O thread (or
 * the caller's loop) while the descriptor is readable, and what it submits
 * completes; after nvmf_unwatch_fd() it never runs again, whether called
 * from another thread or from the callback itself; a synchronous call from
 * the callback is refused; nvmf_disconnect() ends every watch and leaves
 * the descriptor open; bad arguments are named.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"
#include "host/ctrl.h"

#define NB 16			/* bytes written: one read each */

struct w {
	struct nvmf_ctrl *c;
	int        rfd;
	uint8_t    buf[NB][4096];
	int        taken;		/* bytes the callback read (loop thread) */
	int        calls;		/* callback runs */
	int        done;		/* reads completed (atomic) */
	int        failed;		/* reads failed (atomic) */
	int        sync_r;		/* a synchronous call's result in the callback */
	bool       self_unwatch;	/* unwatch from the callback at end of file */
	int        unwatch_r;
	bool       unwatched;		/* (atomic) */
	bool       wrong_thread;	/* or wrong descriptor */
};

static struct fake_ctrl *start_fake(struct nvmf_opts *o)
{
	struct fake_ctrl *fc = fake_host_start(FAKE_GOOD, o);

	assert_non_null(fc);
	return fc;
}

static void read_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct w *w = user;

	(void)cookie;
	__atomic_fetch_add(cpl->result == 0 ? &w->done : &w->failed, 1, __ATOMIC_RELEASE);
}

/* Reads what the pipe holds (a few bytes at most per call, to see the
 * level-triggered re-call), one 4 KiB read submitted per byte. */
static void on_readable(void *user, int fd)
{
	struct w *w = user;
	uint8_t b[3];
	ssize_t n;

	w->calls++;
	if (!host_on_loop_thread(w->c) || fd != w->rfd)
		w->wrong_thread = true;
	if (w->calls == 1) {
		uint8_t one[512];

		w->sync_r = nvmf_read(w->c, 1, one, 0, 1, 0);
	}
	n = read(fd, b, sizeof(b));
	if (n == 0 && w->self_unwatch) {
		w->unwatch_r = nvmf_unwatch_fd(w->c, fd);
		__atomic_store_n(&w->unwatched, true, __ATOMIC_RELEASE);
		return;
	}
	for (ssize_t i = 0; i < n && w->taken < NB; i++, w->taken++) {
		struct nvmf_callback cb = { read_done, w, NULL };

		if (nvmf_aio_read(w->c, 1, w->buf[w->taken], (uint64_t)w->taken * 8, 8, 0, cb) < 0)
			__atomic_fetch_add(&w->failed, 1, __ATOMIC_RELEASE);
	}
}

static void wait_done(struct w *w, int n)
{
	uint64_t deadline = uv_hrtime() + 10ull * 1000000000ull;

	while (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE) < n) {
		assert_int_equal(__atomic_load_n(&w->failed, __ATOMIC_ACQUIRE), 0);
		assert_true(uv_hrtime() < deadline);
		uv_sleep(1);
	}
}

static void test_watch_io(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(&o);
	struct w *w = calloc(1, sizeof(*w));
	uint8_t bytes[NB] = { 0 }, one[512], b;
	int p[2];

	(void)state;
	assert_non_null(w);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(nvmf_connect(&o, &w->c), 0);
	w->rfd = p[0];
	assert_int_equal(nvmf_watch_fd(w->c, p[0], on_readable, w), 0);
	/* Non-blocking now, as documented. */
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(write(p[1], bytes, NB), NB);
	wait_done(w, NB);
	/* Read 3 bytes a call: called again while readable. */
	assert_true(w->calls >= NB / 3);
	assert_false(w->wrong_thread);
	assert_int_equal(w->sync_r, -EDEADLK);

	/* Unwatched from this thread: a byte written now stays in the pipe
	 * through round trips of the loop that would have read it. */
	assert_int_equal(nvmf_unwatch_fd(w->c, p[0]), 0);
	assert_int_equal(write(p[1], bytes, 1), 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(nvmf_read(w->c, 1, one, 0, 1, 0), 0);
	assert_int_equal(read(p[0], &b, 1), 1);
	assert_int_equal(w->taken, NB);
	assert_int_equal(nvmf_unwatch_fd(w->c, p[0]), -ENOENT);
	assert_non_null(strstr(nvmf_get_error(), "not watched"));

	assert_int_equal(nvmf_disconnect(w->c), 0);
	close(p[0]);
	close(p[1]);
	fake_ctrl_stop(fc, NULL);
	free(w);
}

static void test_watch_self_unwatch(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(&o);
	struct w *w = calloc(1, sizeof(*w));
	uint8_t bytes[4] = { 0 }, one[512];
	int p[2], calls;

	(void)state;
	assert_non_null(w);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(nvmf_connect(&o, &w->c), 0);
	w->rfd = p[0];
	w->self_unwatch = true;
	assert_int_equal(nvmf_watch_fd(w->c, p[0], on_readable, w), 0);
	assert_int_equal(write(p[1], bytes, 4), 4);
	wait_done(w, 4);
	/* End of file: readable for good; the callback unwatches itself and
	 * is never called again. */
	close(p[1]);
	for (int i = 0; i < 10000 && !__atomic_load_n(&w->unwatched, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	assert_true(__atomic_load_n(&w->unwatched, __ATOMIC_ACQUIRE));
	assert_int_equal(w->unwatch_r, 0);
	assert_false(w->wrong_thread);
	calls = w->calls;
	for (int i = 0; i < 5; i++)
		assert_int_equal(nvmf_read(w->c, 1, one, 0, 1, 0), 0);
	assert_int_equal(w->calls, calls);
	assert_int_equal(nvmf_unwatch_fd(w->c, p[0]), -ENOENT);
	assert_int_equal(nvmf_disconnect(w->c), 0);
	close(p[0]);
	fake_ctrl_stop(fc, NULL);
	free(w);
}

/* Disconnected while watching: the watch ends, the descriptor stays
 * open (ASan's leak check sees the watch freed). */
static void test_watch_disconnect(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(&o);
	struct w *w = calloc(1, sizeof(*w));
	int p[2];

	(void)state;
	assert_non_null(w);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(nvmf_connect(&o, &w->c), 0);
	w->rfd = p[0];
	assert_int_equal(nvmf_watch_fd(w->c, p[0], on_readable, w), 0);
	assert_int_equal(nvmf_disconnect(w->c), 0);
	assert_true(fcntl(p[0], F_GETFD) >= 0);
	assert_int_equal(w->calls, 0);
	close(p[0]);
	close(p[1]);
	fake_ctrl_stop(fc, NULL);
	free(w);
}

static void nop_cb(void *user, int fd)
{
	(void)user;
	(void)fd;
}

static void test_watch_errors(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(&o);
	struct nvmf_ctrl *c;
	char path[] = "/tmp/nvmf-watch-XXXXXX";
	int p[2], f;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_watch_fd(NULL, p[0], nop_cb, NULL), -EINVAL);
	assert_int_equal(nvmf_watch_fd(c, p[0], NULL, NULL), -EINVAL);
	assert_int_equal(nvmf_watch_fd(c, -1, nop_cb, NULL), -EBADF);
	assert_non_null(strstr(nvmf_get_error(), "-1 is not a descriptor"));
	assert_int_equal(nvmf_watch_fd(c, p[0], nop_cb, NULL), 0);
	assert_int_equal(nvmf_watch_fd(c, p[0], nop_cb, NULL), -EEXIST);
	assert_non_null(strstr(nvmf_get_error(), "watched already"));
	/* A regular file or a directory is always readable: refused the
	 * same way everywhere (epoll would refuse them, kqueue would not). */
	f = mkstemp(path);
	assert_true(f >= 0);
	unlink(path);
	assert_int_equal(nvmf_watch_fd(c, f, nop_cb, NULL), -EPERM);
	assert_non_null(strstr(nvmf_get_error(), "is a regular file"));
	close(f);
	f = open("/", O_RDONLY);
	assert_true(f >= 0);
	assert_int_equal(nvmf_watch_fd(c, f, nop_cb, NULL), -EPERM);
	assert_non_null(strstr(nvmf_get_error(), "is a directory"));
	close(f);
	/* A closed descriptor. */
	assert_int_equal(nvmf_watch_fd(c, p[1], nop_cb, NULL), 0);
	assert_int_equal(nvmf_unwatch_fd(c, p[1]), 0);
	close(p[1]);
	assert_int_equal(nvmf_watch_fd(c, p[1], nop_cb, NULL), -EBADF);
	assert_int_equal(nvmf_unwatch_fd(NULL, p[0]), -EINVAL);
	assert_int_equal(nvmf_disconnect(c), 0);
	close(p[0]);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Two controllers on one caller's loop: a descriptor one of them watches is
 * refused to the other with -EEXIST (libuv allows one handle per descriptor
 * in a loop), with a message saying why; it used to read "cannot watch
 * descriptor 6: file already exists". Once unwatched, the other may take it.
 */
static void test_watch_shared_loop(void **state)
{
	struct nvmf_opts oa, ob;
	struct fake_ctrl *fa = start_fake(&oa);
	struct fake_ctrl *fb = start_fake(&ob);
	struct nvmf_ctrl *a, *b;
	uv_loop_t loop;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	oa.loop = &loop;
	ob.loop = &loop;
	assert_int_equal(nvmf_connect(&oa, &a), 0);
	assert_int_equal(nvmf_connect(&ob, &b), 0);
	assert_int_equal(nvmf_watch_fd(a, p[0], nop_cb, NULL), 0);
	assert_int_equal(nvmf_watch_fd(b, p[0], nop_cb, NULL), -EEXIST);
	if (!strstr(nvmf_get_error(), "in use on this controller's loop"))
		fail_msg("second watch: \"%s\"", nvmf_get_error());
	assert_int_equal(nvmf_unwatch_fd(b, p[0]), -ENOENT);
	assert_int_equal(nvmf_unwatch_fd(a, p[0]), 0);
	/* The unwatch closed the handle; its close callback runs in a later
	 * turn, and until then the descriptor counts as free already. */
	assert_int_equal(nvmf_watch_fd(b, p[0], nop_cb, NULL), 0);
	assert_int_equal(nvmf_disconnect(a), 0);
	assert_int_equal(nvmf_disconnect(b), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(p[0]);
	close(p[1]);
	fake_ctrl_stop(fa, NULL);
	fake_ctrl_stop(fb, NULL);
}

/* The caller's loop: the callback runs from uv_run(), and a synchronous
 * call from it is refused there too. */
static void test_watch_loop_mode(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(&o);
	struct w *w = calloc(1, sizeof(*w));
	uv_loop_t loop;
	uint8_t bytes[NB] = { 0 };
	uint64_t deadline;
	int p[2];

	(void)state;
	assert_non_null(w);
	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(nvmf_connect(&o, &w->c), 0);
	w->rfd = p[0];
	assert_int_equal(nvmf_watch_fd(w->c, p[0], on_readable, w), 0);
	assert_int_equal(write(p[1], bytes, NB), NB);
	deadline = uv_hrtime() + 10ull * 1000000000ull;
	while (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE) < NB) {
		assert_int_equal(w->failed, 0);
		assert_true(uv_hrtime() < deadline);
		uv_run(&loop, UV_RUN_ONCE);
	}
	assert_false(w->wrong_thread);
	assert_int_equal(w->sync_r, -EDEADLK);
	assert_int_equal(nvmf_unwatch_fd(w->c, p[0]), 0);
	assert_int_equal(nvmf_disconnect(w->c), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(p[0]);
	close(p[1]);
	fake_ctrl_stop(fc, NULL);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_io),
		cmocka_unit_test(test_watch_self_unwatch),
		cmocka_unit_test(test_watch_disconnect),
		cmocka_unit_test(test_watch_errors),
		cmocka_unit_test(test_watch_shared_loop),
		cmocka_unit_test(test_watch_loop_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
