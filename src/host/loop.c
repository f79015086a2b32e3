/*
 * The loop thread and the way other threads reach it: an MPSC inbox of
 * requests with one coalesced wake-up, and synchronous "calls" (a function
 * run on the loop thread while the caller waits).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

/* ---- Loop thread ------------------------------------------------------------- */

bool host_on_loop_thread(struct nvmf_ctrl *c)
{
	uv_thread_t self = uv_thread_self();

	return uv_thread_equal(&self, &c->loop_tid) != 0;
}

static void host_drain_inbox(uv_async_t *h);

struct thread_start {
	struct nvmf_ctrl *c;
	uv_sem_t sem;
};

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

static bool inbox_pending(struct nvmf_ctrl *c)
{
	return atomic_load(&c->inbox) != NULL;
}

/*
 * Polling mode (nvmf.h, POLLING): turn the loop with a zero timeout while
 * anything happens, and sleep as usual once poll_us pass with nothing done.
 * While c->polling is set, submitters on other threads skip the wake-up
 * (host_inbox_push): the inbox is looked at every turn instead. The flag is
 * cleared before the last look and the sleep, and a submitter reads it
 * after its push, both sequentially consistent: either the submitter sees
 * it clear and wakes the loop, or the last look sees its request.
 */
static void poll_main(struct nvmf_ctrl *c)
{
	uint64_t window = (uint64_t)c->opts.poll_us * 1000u;
	uint64_t seen = c->poll_work, busy_at = uv_hrtime();
	int alive;

	atomic_store(&c->polling, true);
	for (;;) {
		if (inbox_pending(c))
			host_drain_inbox(&c->wake);
		alive = uv_run(c->loop, UV_RUN_NOWAIT);
		if (c->poll_work != seen) {
			seen = c->poll_work;
			busy_at = uv_hrtime();
		} else if (!alive && !uv_loop_alive(c->loop)) {
			break;		/* stopped: every handle closed */
		} else if (uv_hrtime() - busy_at >= window) {
			atomic_store(&c->polling, false);
			if (!inbox_pending(c))
				alive = uv_run(c->loop, UV_RUN_ONCE);
			atomic_store(&c->polling, true);
			busy_at = uv_hrtime();
			if (!alive && !uv_loop_alive(c->loop))
				break;
		}
	}
	atomic_store(&c->polling, false);
}

static void thread_main(void *arg)
{
	struct thread_start *ts = arg;
	struct nvmf_ctrl *c = ts->c;

	block_sigpipe();
	c->loop_tid = uv_thread_self();
	uv_sem_post(&ts->sem);	/* ts is gone after this */
	if (c->opts.poll_us > 0)
		poll_main(c);
	else
		uv_run(c->loop, UV_RUN_DEFAULT);
}

int host_loop_start(struct nvmf_ctrl *c)
{
	struct thread_start ts = { .c = c };
	int r;

	if (c->opts.loop) {
		/* Caller's loop: the connecting thread is the loop's thread. */
		c->loop = (uv_loop_t *)c->opts.loop;
		c->loop_tid = uv_thread_self();
		return 0;
	}
	r = uv_loop_init(&c->own_loop);
	if (r < 0)
		return host_err(r, "cannot create the I/O loop: %s", uv_strerror(r));
	c->loop = &c->own_loop;
	r = uv_async_init(c->loop, &c->wake, host_drain_inbox);
	if (r < 0) {
		uv_loop_close(c->loop);
		return host_err(r, "cannot create the I/O loop wake-up: %s", uv_strerror(r));
	}
	c->wake.data = c;
	c->wake_init = true;
	uv_sem_init(&ts.sem, 0);
	r = uv_thread_create(&c->thread, thread_main, &ts);
	if (r < 0) {
		uv_sem_destroy(&ts.sem);
		uv_close((uv_handle_t *)&c->wake, NULL);
		uv_run(c->loop, UV_RUN_DEFAULT);
		uv_loop_close(c->loop);
		return host_err(r, "cannot start the I/O thread: %s", uv_strerror(r));
	}
	uv_sem_wait(&ts.sem);
	uv_sem_destroy(&ts.sem);
	c->own_thread = true;
	return 0;
}

/* The controller's timers, closed on the loop thread. */
static void close_timers(struct nvmf_ctrl *c)
{
	if (c->ka_init)
		uv_close((uv_handle_t *)&c->ka_timer, NULL);
	c->ka_init = false;
	if (c->held_init)
		uv_close((uv_handle_t *)&c->held_timer, NULL);
	c->held_init = false;
	host_state_close(c);
}

static void stop_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;

	if (c->wake_init)
		uv_close((uv_handle_t *)&c->wake, NULL);
	close_timers(c);
	host_call_done(call, 0);
}

void host_loop_stop(struct nvmf_ctrl *c)
{
	struct host_call call;

	if (c->own_thread) {
		host_call(c, stop_fn, NULL, &call);
		c->wake_init = false;
		uv_thread_join(&c->thread);
		if (uv_loop_close(c->loop) != 0)
			host_log(NVMF_LOG_WARN, "I/O loop closed with handles still open");
		c->own_thread = false;
		return;
	}
	close_timers(c);
	/* Let the close callbacks run so the caller's loop holds nothing of ours. */
	uv_run(c->loop, UV_RUN_NOWAIT);
}

/* ---- Calls ---------------------------------------------------------------------- */

void host_call_done(struct host_call *call, int result)
{
	struct nvmf_ctrl *c = call->c;
	bool post = c->own_thread;

	call->result = result;
	atomic_store(&call->done, true);
	if (post)
		uv_sem_post(&call->sem);	/* call may be gone after this */
}

void host_call_fail(struct host_call *call, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(call->msg, sizeof(call->msg), fmt, ap);
	va_end(ap);
	host_call_done(call, err < 0 ? err : -err);
}

void host_inbox_push(struct nvmf_ctrl *c, struct host_req *req)
{
	struct host_req *old = atomic_load_explicit(&c->inbox, memory_order_relaxed);

	do {
		req->next = old;
	} while (!atomic_compare_exchange_weak_explicit(&c->inbox, &old, req,
							memory_order_release,
							memory_order_relaxed));
	/* Only the push that made the stack non-empty wakes the loop: the
	 * drain takes everything, so later pushes ride on the same wake-up.
	 * A polling loop needs none (poll_main: the fence orders the push
	 * before the look at the flag). */
	if (old == NULL) {
		if (c->opts.poll_us > 0) {
			atomic_thread_fence(memory_order_seq_cst);
			if (atomic_load(&c->polling))
				return;
		}
		uv_async_send(&c->wake);
	}
}

int host_call(struct nvmf_ctrl *c, host_call_fn fn, void *arg, struct host_call *call)
{
	memset(call, 0, sizeof(*call));
	call->c = c;
	call->fn = fn;
	call->arg = arg;
	atomic_init(&call->done, false);

	if (host_on_loop_thread(c)) {
		if (c->own_thread || c->in_cb > 0)
			return host_err(EDEADLK, "synchronous libnvmf call from a libnvmf callback "
					"would deadlock; use the nvmf_aio_* form");
		call->started = true;
		fn(call);
		while (!atomic_load(&call->done))
			uv_run(c->loop, UV_RUN_ONCE);
	} else if (c->own_thread) {
		struct host_req *req = host_req_alloc(c);

		if (!req)
			return host_err(ENOMEM, "out of memory");
		req->kind = HOST_REQ_CALL;
		req->c = c;
		req->call = call;
		uv_sem_init(&call->sem, 0);
		host_inbox_push(c, req);
		uv_sem_wait(&call->sem);
		uv_sem_destroy(&call->sem);
	} else {
		return host_err(EINVAL, "controller uses the caller's loop: call libnvmf from "
				"that loop's thread");
	}
	if (call->result < 0)
		return host_err_set(call->result, call->status,
				    call->msg[0] ? call->msg : strerror(-call->result));
	return call->result;
}

static void host_drain_inbox(uv_async_t *h)
{
	struct nvmf_ctrl *c = h->data;
	struct host_req *list, *rev = NULL;

	list = atomic_exchange_explicit(&c->inbox, NULL, memory_order_acquire);
	if (list)
		c->poll_work++;
	while (list) {		/* the stack is LIFO: reverse for submission order */
		struct host_req *n = list->next;

		list->next = rev;
		rev = list;
		list = n;
	}
	while (rev) {
		struct host_req *req = rev;
		int r;

		rev = rev->next;
		/* Back to the pool before the function runs: a call's caller
		 * may go on to free the controller once it is done. */
		if (req->kind == HOST_REQ_POST) {
			void (*post)(struct nvmf_ctrl *c) = req->post;

			host_req_free(c, req);
			post(c);
			continue;
		}
		if (req->kind == HOST_REQ_CALL) {
			struct host_call *call = req->call;

			host_req_free(c, req);
			call->started = true;
			call->fn(call);
			continue;
		}
		r = host_dispatch(req);
		if (r < 0)
			host_req_refuse(req, r);
	}
}

int host_post(struct nvmf_ctrl *c, void (*fn)(struct nvmf_ctrl *c))
{
	struct host_req *req;

	if (host_on_loop_thread(c)) {
		fn(c);
		return 0;
	}
	if (!c->own_thread)
		return host_err(EINVAL, "controller uses the caller's loop: call libnvmf from "
				"that loop's thread");
	req = host_req_alloc(c);
	if (!req)
		return host_err(ENOMEM, "out of memory");
	req->kind = HOST_REQ_POST;
	req->c = c;
	req->post = fn;
	host_inbox_push(c, req);
	return 0;
}
