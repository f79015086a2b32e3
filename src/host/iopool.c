/*
 * The I/O threads (nvmf.h, THREADING): a process-wide pool of threads, each
 * running one libuv loop that carries the queue pairs, timers and callbacks
 * of the controllers placed on it, the way SPDK's poll groups carry qpairs.
 * A controller is placed once, at connect, on the pool thread with the
 * fewest controllers (a new thread while the pool is not full), and stays
 * there through every reconnect; with nvmf_opts.private_thread it gets a
 * thread of its own instead. A thread starts with its first controller and
 * ends with its last, so a process without controllers has no I/O thread.
 *
 * The pool's size is LIBNVMF_IO_THREADS, or nvmf_set_io_threads(), or the
 * number of online CPUs: a thread per core lets that many busy controllers
 * run in parallel, and no more threads than cores would help (each thread
 * runs its loop alone; more of them only add wake-ups and switches).
 *
 * The pool's lock covers placement and the member lists only: connect and
 * disconnect, never a command.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/ctrl.h"

#define POOL_MAX 256		/* bound of nvmf_set_io_threads() */

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct host_loop *pool[POOL_MAX];
static int pool_size;		/* 0: not chosen yet */

static _Thread_local bool on_io_thread;

bool host_on_io_thread(void)
{
	return on_io_thread;
}

/* ---- The thread --------------------------------------------------------------- */

/*
 * libuv writes to sockets with write()/writev(), which raise SIGPIPE in the
 * writing thread when the peer has gone (a target that failed the
 * controller and closed its queues while commands were still being sent).
 * Its default action ends the process, and the library must not decide
 * that for an application that never asked for signals: blocked on the I/O
 * thread, the signal stays pending there and the write fails with EPIPE,
 * which the queue reports as a lost connection like any other.
 */
static void block_sigpipe(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static bool inbox_pending(struct host_loop *hl)
{
	return atomic_load(&hl->inbox) != NULL;
}

static void wake_cb(uv_async_t *h)
{
	struct host_loop *hl = h->data;

	host_loop_drain(hl);
	/* The last member is gone (pool_leave): with the wake-up closed the
	 * loop has no handle left and uv_run() returns. */
	if (atomic_load(&hl->quit) && !uv_is_closing((uv_handle_t *)&hl->wake))
		uv_close((uv_handle_t *)&hl->wake, NULL);
}

static bool loop_done(struct host_loop *hl, int alive)
{
	return !alive && !uv_loop_alive(&hl->loop);
}

/*
 * One turn while polling (nvmf.h, POLLING): the loop turns with a zero
 * timeout while the application's work goes on (hl->poll_work: its
 * commands' completions, inbox drains of its requests, its descriptor
 * callbacks; not the library's own Keep Alive, AER and timers), and sleeps
 * as usual once the window passes with none done. While hl->polling is
 * set, submitters on other threads skip the wake-up (host_inbox_push): the
 * inbox is looked at every turn instead. The flag is cleared before the
 * last look and the sleep, and a submitter reads it after its push, both
 * sequentially consistent: either the submitter sees it clear and wakes
 * the loop, or the last look sees its request. Returns false once the loop
 * has ended.
 */
struct poll_state {
	uint64_t seen, busy_at;
};

static bool poll_turn(struct host_loop *hl, struct poll_state *ps, int window_us)
{
	int alive;

	atomic_store(&hl->polling, true);
	if (inbox_pending(hl))
		host_loop_drain(hl);
	alive = uv_run(&hl->loop, UV_RUN_NOWAIT);
	if (hl->poll_work != ps->seen) {
		ps->seen = hl->poll_work;
		ps->busy_at = uv_hrtime();
		return true;
	}
	if (loop_done(hl, alive))
		return false;
	if (uv_hrtime() - ps->busy_at < (uint64_t)window_us * 1000u)
		return true;
	atomic_store(&hl->polling, false);
	if (!inbox_pending(hl))
		alive = uv_run(&hl->loop, UV_RUN_ONCE);
	/* No new window here: whatever woke the thread starts one only if it
	 * was work (the next turn sees poll_work moved). A timer of the
	 * library's own (a queue's lapsed connect deadline, a Keep Alive
	 * tick) wakes it for one turn and it sleeps again. */
	return !loop_done(hl, alive);
}

static void run_loop(struct host_loop *hl)
{
	struct poll_state ps = { hl->poll_work, uv_hrtime() };

	for (;;) {
		int window_us = atomic_load_explicit(&hl->poll_us, memory_order_relaxed);

		if (window_us > 0) {
			if (!poll_turn(hl, &ps, window_us))
				break;
			continue;
		}
		/* The last polling member left: a submitter that saw the flag
		 * set skipped the wake-up, so look once more before sleeping. */
		if (atomic_load(&hl->polling)) {
			atomic_store(&hl->polling, false);
			if (inbox_pending(hl))
				host_loop_drain(hl);
		}
		if (loop_done(hl, uv_run(&hl->loop, UV_RUN_ONCE)))
			break;
	}
	atomic_store(&hl->polling, false);
}

struct thread_start {
	struct host_loop *hl;
	uv_sem_t sem;
};

static void thread_main(void *arg)
{
	struct thread_start *ts = arg;
	struct host_loop *hl = ts->hl;

	block_sigpipe();
	on_io_thread = true;
	hl->tid = uv_thread_self();
	uv_sem_post(&ts->sem);	/* ts is gone after this */
	run_loop(hl);
}

static int loop_new(int slot, struct host_loop **out)
{
	struct thread_start ts;
	struct host_loop *hl = calloc(1, sizeof(*hl));
	int r;

	if (!hl)
		return host_err(ENOMEM, "out of memory");
	hl->slot = slot;
	atomic_init(&hl->inbox, NULL);
	atomic_init(&hl->poll_us, 0);
	atomic_init(&hl->polling, false);
	atomic_init(&hl->quit, false);
	r = uv_loop_init(&hl->loop);
	if (r < 0) {
		free(hl);
		return host_err(r, "cannot create an I/O loop: %s", uv_strerror(r));
	}
	r = uv_async_init(&hl->loop, &hl->wake, wake_cb);
	if (r < 0) {
		uv_loop_close(&hl->loop);
		free(hl);
		return host_err(r, "cannot create the I/O loop's wake-up: %s", uv_strerror(r));
	}
	hl->wake.data = hl;
	ts.hl = hl;
	uv_sem_init(&ts.sem, 0);
	r = uv_thread_create(&hl->thread, thread_main, &ts);
	if (r < 0) {
		uv_sem_destroy(&ts.sem);
		uv_close((uv_handle_t *)&hl->wake, NULL);
		uv_run(&hl->loop, UV_RUN_DEFAULT);
		uv_loop_close(&hl->loop);
		free(hl);
		return host_err(r, "cannot start an I/O thread: %s", uv_strerror(r));
	}
	uv_sem_wait(&ts.sem);
	uv_sem_destroy(&ts.sem);
	*out = hl;
	return 0;
}

/* End hl's thread: it has no member left, and nothing can find it. */
static void loop_free(struct host_loop *hl)
{
	atomic_store(&hl->quit, true);
	uv_async_send(&hl->wake);
	uv_thread_join(&hl->thread);
	if (uv_loop_close(&hl->loop) != 0)
		host_log(NVMF_LOG_WARN, "I/O loop closed with handles still open");
	free(hl);
}

/* ---- Placement ---------------------------------------------------------------- */

static int size_from_env(void)
{
	const char *s = getenv("LIBNVMF_IO_THREADS");
	char *end;
	long v;

	if (!s || !*s)
		return 0;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > POOL_MAX) {
		host_log(NVMF_LOG_WARN, "LIBNVMF_IO_THREADS=%s: want 1..%d; using the number "
			 "of online CPUs", s, POOL_MAX);
		return 0;
	}
	return (int)v;
}

static int default_size(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int env = size_from_env();

	if (env > 0)
		return env;
	if (n < 1)
		return 1;
	return n > POOL_MAX ? POOL_MAX : (int)n;
}

int nvmf_set_io_threads(int n)
{
	host_err_clear();
	if (n < 0 || n > POOL_MAX)
		return host_err(EINVAL, "nvmf_set_io_threads(%d): want 0 (the default) to %d",
				n, POOL_MAX);
	pthread_mutex_lock(&pool_mu);
	pool_size = n > 0 ? n : default_size();
	pthread_mutex_unlock(&pool_mu);
	return 0;
}

int nvmf_get_io_threads(void)
{
	int n;

	pthread_mutex_lock(&pool_mu);
	if (pool_size == 0)
		pool_size = default_size();
	n = pool_size;
	pthread_mutex_unlock(&pool_mu);
	return n;
}

/* The slot with the fewest controllers, an empty one counting as none
 * (pool_mu held). Slots past a shrunk size only finish their members. */
static int pick_slot(void)
{
	int best = 0;

	if (pool_size == 0)
		pool_size = default_size();
	for (int i = 1; i < pool_size; i++) {
		int m = pool[i] ? pool[i]->members : 0;
		int b = pool[best] ? pool[best]->members : 0;

		if (m < b)
			best = i;
	}
	return best;
}

/* The largest poll_us of hl's members (pool_mu held). */
static void update_poll(struct host_loop *hl)
{
	int max = 0;

	for (struct nvmf_ctrl *m = hl->first; m; m = m->hl_next)
		if (m->opts.poll_us > max)
			max = m->opts.poll_us;
	atomic_store(&hl->poll_us, max);
	/* A sleeping thread picks the new window up at its next turn: wake it
	 * for that turn to come now. */
	uv_async_send(&hl->wake);
}

static void join(struct host_loop *hl, struct nvmf_ctrl *c)
{
	c->hl = hl;
	c->loop = &hl->loop;
	c->loop_tid = hl->tid;
	c->own_thread = true;
	c->hl_next = hl->first;
	hl->first = c;
	hl->members++;
	update_poll(hl);
}

int host_loop_start(struct nvmf_ctrl *c)
{
	struct host_loop *hl;
	int r, slot;

	if (c->opts.loop) {
		/* Caller's loop: the connecting thread is the loop's thread. */
		c->loop = (uv_loop_t *)c->opts.loop;
		c->loop_tid = uv_thread_self();
		return 0;
	}
	if (c->opts.private_thread) {
		r = loop_new(-1, &hl);
		if (r < 0)
			return r;
		pthread_mutex_lock(&pool_mu);
		join(hl, c);
		pthread_mutex_unlock(&pool_mu);
		return 0;
	}
	pthread_mutex_lock(&pool_mu);
	slot = pick_slot();
	if (!pool[slot]) {
		r = loop_new(slot, &pool[slot]);
		if (r < 0) {
			pthread_mutex_unlock(&pool_mu);
			return r;
		}
	}
	join(pool[slot], c);
	pthread_mutex_unlock(&pool_mu);
	return 0;
}

/* ---- Leaving ------------------------------------------------------------------ */

static void stop_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;

	c->stop_call = call;
	c->closing++;			/* not done before every close is asked */
	host_close_timers(c);
	if (--c->closing == 0) {
		c->stop_call = NULL;
		host_call_done(call, 0);
	}
}

/* Take c off hl: true when it was the last member, and hl is to end. */
static bool leave(struct host_loop *hl, struct nvmf_ctrl *c)
{
	bool last;

	pthread_mutex_lock(&pool_mu);
	for (struct nvmf_ctrl **p = &hl->first; *p; p = &(*p)->hl_next) {
		if (*p == c) {
			*p = c->hl_next;
			break;
		}
	}
	last = --hl->members == 0;
	if (last && hl->slot >= 0)
		pool[hl->slot] = NULL;	/* nobody else may join it now */
	else if (!last)
		update_poll(hl);
	pthread_mutex_unlock(&pool_mu);
	return last;
}

void host_loop_stop(struct nvmf_ctrl *c)
{
	struct host_call call;
	struct host_loop *hl = c->hl;

	if (hl) {
		/* On the thread, which goes on serving other controllers: the
		 * call returns once libuv let go of the last handle of c's. */
		host_call(c, stop_fn, NULL, &call);
		if (leave(hl, c))
			loop_free(hl);
		c->hl = NULL;
		c->own_thread = false;
		return;
	}
	host_close_timers(c);
	/* Let the close callbacks run so the caller's loop holds nothing of ours. */
	while (c->closing > 0)
		uv_run(c->loop, UV_RUN_NOWAIT);
}

/* For the tests: pool threads running now. */
int host_pool_threads(void)
{
	int n = 0;

	pthread_mutex_lock(&pool_mu);
	for (int i = 0; i < POOL_MAX; i++)
		n += pool[i] != NULL;
	pthread_mutex_unlock(&pool_mu);
	return n;
}
