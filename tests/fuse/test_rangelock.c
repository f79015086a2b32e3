/*
 * Unit tests of nvmf-fuse's asynchronous range-lock table
 * (tools/nvmf-fuse/rangelock.c): grants, queueing, arrival order among
 * overlapping requests, and mutual exclusion under concurrent use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>

#include "rangelock.h"

static int grants;

static void count_grant(struct rl_entry *e)
{
	(void)e;
	grants++;
}

static void set(struct rl_entry *e, uint64_t s, uint64_t end)
{
	memset(e, 0, sizeof(*e));
	e->start = s;
	e->end = end;
	e->grant = count_grant;
}

static void test_disjoint_granted(void **state)
{
	struct rl_table t;
	struct rl_entry a, b, c;

	(void)state;
	assert_int_equal(rl_init(&t), 0);
	set(&a, 0, 10);
	set(&b, 10, 20);
	set(&c, 30, 31);
	assert_true(rl_lock(&t, &a));
	assert_true(rl_lock(&t, &b));	/* adjacent is not overlapping */
	assert_true(rl_lock(&t, &c));
	unsigned h, w;
	rl_counts(&t, &h, &w);
	assert_int_equal(h, 3);
	assert_int_equal(w, 0);
	rl_unlock(&t, &b);
	rl_unlock(&t, &a);
	rl_unlock(&t, &c);
	rl_counts(&t, &h, &w);
	assert_int_equal(h, 0);
	rl_destroy(&t);
}

static void test_overlap_waits(void **state)
{
	struct rl_table t;
	struct rl_entry a, b;

	(void)state;
	grants = 0;
	rl_init(&t);
	set(&a, 0, 10);
	set(&b, 9, 12);
	assert_true(rl_lock(&t, &a));
	assert_false(rl_lock(&t, &b));
	assert_int_equal(grants, 0);
	rl_unlock(&t, &a);
	assert_int_equal(grants, 1);
	assert_true(b.held);
	rl_unlock(&t, &b);
	assert_int_equal(grants, 1);
	rl_destroy(&t);
}

static void test_empty_range(void **state)
{
	struct rl_table t;
	struct rl_entry a, e;

	(void)state;
	rl_init(&t);
	set(&a, 0, 100);
	set(&e, 50, 50);
	assert_true(rl_lock(&t, &a));
	assert_true(rl_lock(&t, &e));
	rl_unlock(&t, &e);
	rl_unlock(&t, &a);
	rl_destroy(&t);
}

/* A request overlapping an earlier waiter waits behind it even if its own
 * blocks are free: no starvation of large writes. */
static void test_fifo_among_overlapping(void **state)
{
	struct rl_table t;
	struct rl_entry a, b, c, d;

	(void)state;
	grants = 0;
	rl_init(&t);
	set(&a, 0, 10);
	set(&b, 5, 15);
	set(&c, 12, 20);
	set(&d, 40, 50);
	assert_true(rl_lock(&t, &a));
	assert_false(rl_lock(&t, &b));
	assert_false(rl_lock(&t, &c));	/* free blocks, but behind b */
	assert_true(rl_lock(&t, &d));	/* unrelated: not held up */
	rl_unlock(&t, &a);
	assert_true(b.held);
	assert_false(c.held);
	assert_int_equal(grants, 1);
	rl_unlock(&t, &b);
	assert_true(c.held);
	assert_int_equal(grants, 2);
	rl_unlock(&t, &c);
	rl_unlock(&t, &d);
	rl_destroy(&t);
}

/* One release may grant several waiters at once. */
static void test_multiple_grants(void **state)
{
	struct rl_table t;
	struct rl_entry a, w[4];

	(void)state;
	grants = 0;
	rl_init(&t);
	set(&a, 0, 100);
	assert_true(rl_lock(&t, &a));
	for (int i = 0; i < 4; i++) {
		set(&w[i], (uint64_t)i * 10, (uint64_t)i * 10 + 5);
		assert_false(rl_lock(&t, &w[i]));
	}
	rl_unlock(&t, &a);
	assert_int_equal(grants, 4);
	for (int i = 0; i < 4; i++) {
		assert_true(w[i].held);
		rl_unlock(&t, &w[i]);
	}
	rl_destroy(&t);
}

/* A grant function that finishes at once (releases its range). */
static struct rl_table *chain_table;

static void release_in_grant(struct rl_entry *e)
{
	grants++;
	rl_unlock(chain_table, e);
}

static void test_release_inside_grant(void **state)
{
	struct rl_table t;
	struct rl_entry a, b, c;

	(void)state;
	grants = 0;
	rl_init(&t);
	chain_table = &t;
	set(&a, 0, 10);
	set(&b, 0, 10);
	set(&c, 0, 10);
	b.grant = release_in_grant;
	c.grant = release_in_grant;
	assert_true(rl_lock(&t, &a));
	assert_false(rl_lock(&t, &b));
	assert_false(rl_lock(&t, &c));
	rl_unlock(&t, &a);
	assert_int_equal(grants, 2);
	unsigned h, w;
	rl_counts(&t, &h, &w);
	assert_int_equal(h, 0);
	assert_int_equal(w, 0);
	rl_destroy(&t);
}

/* ---- Concurrency: holders of overlapping ranges never coexist ------------------- */

#define SPACE   64
#define THREADS 4
#define ROUNDS  3000

static struct rl_table stress;
static pthread_mutex_t own_mu = PTHREAD_MUTEX_INITIALIZER;
static int owner[SPACE];
static int violations;

struct waiter {
	struct rl_entry e;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             granted;
};

static void wake(struct rl_entry *e)
{
	struct waiter *w = e->user;

	pthread_mutex_lock(&w->mu);
	w->granted = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *stress_thread(void *arg)
{
	int id = (int)(intptr_t)arg + 1;
	unsigned seed = (unsigned)id * 7919u;
	struct waiter w;

	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t s = (uint64_t)(rand_r(&seed) % SPACE);
		uint64_t n = 1 + (uint64_t)(rand_r(&seed) % 8);

		if (s + n > SPACE)
			n = SPACE - s;
		memset(&w.e, 0, sizeof(w.e));
		w.e.start = s;
		w.e.end = s + n;
		w.e.grant = wake;
		w.e.user = &w;
		w.granted = 0;
		if (!rl_lock(&stress, &w.e)) {
			pthread_mutex_lock(&w.mu);
			while (!w.granted)
				pthread_cond_wait(&w.cv, &w.mu);
			pthread_mutex_unlock(&w.mu);
		}
		pthread_mutex_lock(&own_mu);
		for (uint64_t i = s; i < s + n; i++) {
			if (owner[i])
				violations++;
			owner[i] = id;
		}
		pthread_mutex_unlock(&own_mu);
		sched_yield();
		pthread_mutex_lock(&own_mu);
		for (uint64_t i = s; i < s + n; i++)
			owner[i] = 0;
		pthread_mutex_unlock(&own_mu);
		rl_unlock(&stress, &w.e);
	}
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return NULL;
}

static void test_concurrent_exclusion(void **state)
{
	pthread_t th[THREADS];

	(void)state;
	rl_init(&stress);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, stress_thread, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(violations, 0);
	unsigned h, w;
	rl_counts(&stress, &h, &w);
	assert_int_equal(h, 0);
	assert_int_equal(w, 0);
	rl_destroy(&stress);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disjoint_granted),
		cmocka_unit_test(test_overlap_waits),
		cmocka_unit_test(test_empty_range),
		cmocka_unit_test(test_fifo_among_overlapping),
		cmocka_unit_test(test_multiple_grants),
		cmocka_unit_test(test_release_inside_grant),
		cmocka_unit_test(test_concurrent_exclusion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
