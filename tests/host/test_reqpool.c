/*
 * The controller's request pool (src/host/reqpool.c, issue 15 item 2): a
 * long run of commands reuses a small set of request objects, a reused
 * request is zeroed, the bound holds (calloc past it, nothing leaked), the
 * lock-free free list hands no request to two threads at once, and, in the
 * AddressSanitizer build, a request in the free list is poisoned. Then the
 * same through the public API against the fake controller.
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

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TEST_ASAN)
#define TEST_ASAN 1
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define BODY_OFF offsetof(struct host_req, next)

/* A controller with nothing but a pool: all the pool functions look at. */
static struct nvmf_ctrl *bare_ctrl(void)
{
	struct nvmf_ctrl *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	return c;
}

static void bare_free(struct nvmf_ctrl *c)
{
	host_req_pool_fini(c);
	free(c);
}

static bool body_is_zero(const struct host_req *req)
{
	const unsigned char *p = (const unsigned char *)req + BODY_OFF;

	for (size_t i = 0; i < sizeof(*req) - BODY_OFF; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* 10000 commands, at most 8 outstanding: one chunk made, every one reused. */
static void test_reuse(void **state)
{
	struct nvmf_ctrl *c = bare_ctrl();
	struct host_req *live[8] = { 0 }, *seen[64];
	unsigned nseen = 0, made = 0, outside = 1;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		int k = i % 8;
		struct host_req *req;
		unsigned j;

		if (live[k]) {
			/* As a finished command leaves it: every field set. */
			memset((char *)live[k] + BODY_OFF, 0xa5, sizeof(*live[k]) - BODY_OFF);
			host_req_free(c, live[k]);
		}
		req = host_req_alloc(c);
		assert_non_null(req);
		assert_true(body_is_zero(req));		/* what calloc gave */
		req->c = c;
		live[k] = req;
		for (j = 0; j < nseen && seen[j] != req; j++)
			;
		if (j == nseen) {
			assert_true(nseen < 64);
			seen[nseen++] = req;
		}
	}
	host_req_pool_stats(c, &made, &outside);
	assert_int_equal(made, HOST_REQ_CHUNK);
	assert_int_equal(outside, 0);
	assert_int_equal(nseen, 8);	/* LIFO: a freed request is the next one taken */
	for (int k = 0; k < 8; k++)
		host_req_free(c, live[k]);
	bare_free(c);
}

/* Past the bound: calloc and free; all of it freed at teardown (the
 * ASan build's leak check runs at exit). */
static void test_bound(void **state)
{
	struct nvmf_ctrl *c = bare_ctrl();
	unsigned n = HOST_REQ_CHUNK * HOST_REQ_CHUNKS + 5, made, outside;
	struct host_req **reqs = calloc(n, sizeof(*reqs));

	(void)state;
	assert_non_null(reqs);
	for (unsigned i = 0; i < n; i++) {
		reqs[i] = host_req_alloc(c);
		assert_non_null(reqs[i]);
		reqs[i]->c = c;
		reqs[i]->cookie = i;
	}
	host_req_pool_stats(c, &made, &outside);
	assert_int_equal(made, HOST_REQ_CHUNK * HOST_REQ_CHUNKS);
	assert_int_equal(outside, 5);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(reqs[i]->cookie, i);	/* no request handed out twice */
	/* Half back, so teardown finds some in the free list, some never
	 * taken again, and the calloc'd ones gone. */
	for (unsigned i = 0; i < n; i += 2)
		host_req_free(c, reqs[i]);
	for (unsigned i = 1; i < n; i += 2)
		host_req_free(c, reqs[i]);
	host_req_pool_stats(c, NULL, &outside);
	assert_int_equal(outside, 0);
	/* Warm: taking them all again makes nothing new. */
	for (unsigned i = 0; i < HOST_REQ_CHUNK * HOST_REQ_CHUNKS; i++)
		reqs[i] = host_req_alloc(c);
	host_req_pool_stats(c, &made, &outside);
	assert_int_equal(made, HOST_REQ_CHUNK * HOST_REQ_CHUNKS);
	assert_int_equal(outside, 0);
	for (unsigned i = 0; i < HOST_REQ_CHUNK * HOST_REQ_CHUNKS; i++)
		host_req_free(c, reqs[i]);
	bare_free(c);
	free(reqs);
}

/* Several threads taking and giving back at once (the submitters and the
 * loop thread): a request is never held by two of them. */
#define NTHREADS 4
#define ROUNDS 50000

struct worker {
	struct nvmf_ctrl *c;
	uint64_t id;
	int bad;
};

static void worker_main(void *arg)
{
	struct worker *w = arg;
	struct host_req *held[3] = { 0 };

	for (int i = 0; i < ROUNDS; i++) {
		int k = i % 3;

		if (held[k]) {
			if (held[k]->cookie != w->id * ROUNDS + (uint64_t)k)
				w->bad++;
			host_req_free(w->c, held[k]);
		}
		held[k] = host_req_alloc(w->c);
		if (!held[k]) {
			w->bad++;
			return;
		}
		if (!body_is_zero(held[k]))
			w->bad++;
		held[k]->c = w->c;
		held[k]->cookie = w->id * ROUNDS + (uint64_t)k;
		held[k]->what = "worker";
	}
	for (int k = 0; k < 3; k++)
		if (held[k])
			host_req_free(w->c, held[k]);
}

static void test_threads(void **state)
{
	struct nvmf_ctrl *c = bare_ctrl();
	struct worker w[NTHREADS];
	uv_thread_t t[NTHREADS];
	unsigned made, outside;

	(void)state;
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .c = c, .id = (uint64_t)i + 1 };
		assert_int_equal(uv_thread_create(&t[i], worker_main, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(uv_thread_join(&t[i]), 0);
		assert_int_equal(w[i].bad, 0);
	}
	host_req_pool_stats(c, &made, &outside);
	/* 12 live at most; threads that found the list empty together may
	 * each have made a chunk. */
	assert_true(made >= HOST_REQ_CHUNK && made <= NTHREADS * HOST_REQ_CHUNK);
	assert_int_equal(outside, 0);
	bare_free(c);
}

#ifdef TEST_ASAN
/* A request in the free list is poisoned (a use after completion is
 * reported), its pool link is not (other threads read it). */
static void test_poison(void **state)
{
	struct nvmf_ctrl *c = bare_ctrl();
	struct host_req *req = host_req_alloc(c), *again;

	(void)state;
	assert_non_null(req);
	assert_false(__asan_address_is_poisoned(&req->xc.sqe));
	req->c = c;
	host_req_free(c, req);
	assert_true(__asan_address_is_poisoned(&req->xc.sqe));
	assert_true(__asan_address_is_poisoned(&req->cookie));
	assert_true(__asan_address_is_poisoned(&req->next));
	assert_false(__asan_address_is_poisoned(&req->pool_idx));
	again = host_req_alloc(c);
	assert_ptr_equal(again, req);	/* LIFO */
	assert_false(__asan_address_is_poisoned(&req->xc.sqe));
	assert_false(__asan_address_is_poisoned(&req->inline_data[15]));
	host_req_free(c, again);
	bare_free(c);
}
#endif

/* ---- Through the public API ------------------------------------------------------ */

static struct fake_ctrl *start_fake(struct nvmf_opts *o)
{
	struct fake_ctrl *fc = fake_host_start(FAKE_GOOD, o);

	assert_non_null(fc);
	o->nr_io_queues = 2;
	return fc;
}

struct qd {
	int done, errors;	/* loop thread; read after the release below */
	int completed;		/* atomic */
};

static void qd_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct qd *q = user;

	(void)cookie;
	if (cpl->result != 0)
		q->errors++;
	q->done++;
	__atomic_fetch_add(&q->completed, 1, __ATOMIC_RELEASE);
}

/* 2000 synchronous reads, then 4000 asynchronous ones at queue depth 8
 * from this thread (allocated here, freed on the I/O thread): the pool
 * made one chunk (two if the threads found it empty at once), nothing
 * from calloc, and the disconnect frees it. */
static void test_ctrl(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(&o);
	struct nvmf_ctrl *c;
	struct qd q = { 0 };
	struct nvmf_callback cb = { qd_cb, &q, NULL };
	uint8_t *buf = malloc(8 * 4096);
	unsigned made, outside;
	uint64_t deadline;
	int sent = 0;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(nvmf_read(c, 1, buf, (uint64_t)(i % 1000) * 8, 8, 0), 0);
	deadline = uv_hrtime() + 30ull * 1000000000ull;
	while (__atomic_load_n(&q.completed, __ATOMIC_ACQUIRE) < 4000) {
		assert_true(uv_hrtime() < deadline);
		if (sent < 4000 && sent - __atomic_load_n(&q.completed, __ATOMIC_ACQUIRE) < 8) {
			int64_t r = nvmf_aio_read(c, 1, buf + (sent % 8) * 4096,
						  (uint64_t)(sent % 1000) * 8, 8, 0, cb);

			assert_true(r > 0);
			sent++;
		} else {
			uv_sleep(0);
		}
	}
	assert_int_equal(q.done, 4000);
	assert_int_equal(q.errors, 0);
	host_req_pool_stats(c, &made, &outside);
	assert_true(made >= HOST_REQ_CHUNK && made <= 2 * HOST_REQ_CHUNK);
	assert_int_equal(outside, 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
	free(buf);
}

#ifdef NVMF_TEST_WRAP_CALLOC
/*
 * Linked with --wrap=calloc (tests/host/CMakeLists.txt): while fail_reqs is
 * set, the pool can get no memory for a request, as when the system has
 * none left; every other calloc goes through.
 */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
static int fail_reqs;

void *__wrap_calloc(size_t n, size_t size)
{
	if (size == sizeof(struct host_req) && __atomic_load_n(&fail_reqs, __ATOMIC_ACQUIRE)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

/*
 * Out of requests (every pooled one taken, no memory for more): a command
 * fails with ENOMEM, and nvmf_disconnect still takes the controller down
 * (src/host/loop.c, host_call: nvmf_ctrl.call_req). Without that, the
 * calls that close the queues and the timers failed, and the disconnect
 * freed a controller whose handles the I/O thread still ran (or waited
 * for ever to join it).
 */
static void test_exhausted(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(&o);
	struct nvmf_ctrl *c;
	unsigned n = HOST_REQ_CHUNK * HOST_REQ_CHUNKS, made, outside, nheap = 0;
	struct host_req *heap[HOST_REQ_CHUNK];
	uint8_t buf[4096];
	int r;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	/* Every pooled request taken. The controller's own (AER, Keep
	 * Alive) hold some, so the last few of these come from calloc: kept
	 * aside and freed at the end (the pooled ones go with the pool). */
	for (unsigned i = 0; i < n; i++) {
		struct host_req *req = host_req_alloc(c);

		assert_non_null(req);
		if (req->pool_idx == 0) {
			assert_true(nheap < HOST_REQ_CHUNK);
			heap[nheap++] = req;
		}
	}
	host_req_pool_stats(c, &made, &outside);
	assert_int_equal(made, n);
	assert_true(outside >= nheap);
	__atomic_store_n(&fail_reqs, 1, __ATOMIC_RELEASE);
	/* A request in flight comes back to the pool when it completes: the
	 * first read's (given back on the loop thread after its completion
	 * woke this thread), a Keep Alive's. Take those too, and again if one
	 * came back between the taking and the read (a few times at most:
	 * only the controller's own commands are in flight). */
	for (int tries = 0;; tries++) {
		struct host_req *req;

		while ((req = host_req_alloc(c)) != NULL)
			assert_int_not_equal(req->pool_idx, 0);	/* calloc fails now */
		r = nvmf_read(c, 1, buf, 0, 8, 0);
		if (r != 0 || tries == 20)
			break;
	}
	assert_int_equal(r, -ENOMEM);
	assert_non_null(strstr(nvmf_get_error(), "out of memory"));
	/* The orderly shutdown needs commands, which fail; the teardown
	 * does not. */
	r = nvmf_disconnect(c);
	__atomic_store_n(&fail_reqs, 0, __ATOMIC_RELEASE);
	assert_true(r == 0 || r == -ENOMEM);
	for (unsigned i = 0; i < nheap; i++)
		free(heap[i]);
	fake_ctrl_stop(fc, NULL);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_threads),
#ifdef TEST_ASAN
		cmocka_unit_test(test_poison),
#endif
		cmocka_unit_test(test_ctrl),
#ifdef NVMF_TEST_WRAP_CALLOC
		cmocka_unit_test(test_exhausted),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
