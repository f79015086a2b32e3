/*
 * How other threads reach a controller's loop: the MPSC inbox of its I/O
 * thread with one coalesced wake-up, and synchronous "calls" (a function
 * run on the loop thread while the caller waits). The I/O threads
 * themselves are iopool.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

bool host_on_loop_thread(struct nvmf_ctrl *c)
{
	uv_thread_t self = uv_thread_self();

	return uv_thread_equal(&self, &c->loop_tid) != 0;
}

/* ---- Callbacks into the application ---------------------------------------- */

/*
 * The loops whose libnvmf callbacks this thread is inside, innermost last.
 * A synchronous call runs its controller's loop until it is done; from a
 * callback of that same loop it would be a nested uv_run(), which libuv
 * forbids (it re-enters the receive path that is calling back: nvmf.h,
 * THREADING). The loop decides, not the controller: two controllers may
 * share a caller's loop. A callback of loop A may still make a synchronous
 * call on a controller of loop B; nesting deeper than the array holds counts
 * as inside every loop, refused rather than risked.
 */
#define HOST_CB_NEST 8
static _Thread_local uv_loop_t *tl_cb_loops[HOST_CB_NEST];
static _Thread_local unsigned tl_cb_depth;

static void cb_enter_loop(uv_loop_t *loop)
{
	if (tl_cb_depth < HOST_CB_NEST)
		tl_cb_loops[tl_cb_depth] = loop;
	tl_cb_depth++;
}

void host_cb_enter(struct nvmf_ctrl *c)
{
	cb_enter_loop(c->loop);
}

/* The log callback: it may run inside any loop's receive path, so it counts
 * as a callback of every loop (NULL matches all in host_in_cb_of). */
void host_cb_enter_all(void)
{
	cb_enter_loop(NULL);
}

void host_cb_exit(void)
{
	tl_cb_depth--;
}

bool host_in_cb_of(const uv_loop_t *loop)
{
	if (tl_cb_depth > HOST_CB_NEST)
		return true;
	for (unsigned i = 0; i < tl_cb_depth; i++)
		if (tl_cb_loops[i] == loop || !tl_cb_loops[i])
			return true;
	return false;
}

/* ---- Closing a controller's handles ---------------------------------------- */

/*
 * On a loop that other controllers go on using, the controller may be freed
 * only once libuv is done with each of its handles: a close callback is
 * libuv's last use of its handle, so the call that stops the controller
 * finishes in the last one.
 */
void host_handle_closed(struct nvmf_ctrl *c)
{
	if (--c->closing == 0 && c->stop_call) {
		struct host_call *call = c->stop_call;

		c->stop_call = NULL;
		host_call_done(call, 0);
	}
}

static void handle_closed(uv_handle_t *h)
{
	host_handle_closed(h->data);
}

void host_close_handle(struct nvmf_ctrl *c, uv_handle_t *h)
{
	h->data = c;
	c->closing++;
	uv_close(h, handle_closed);
}

void host_close_timers(struct nvmf_ctrl *c)
{
	if (c->ka_init)
		host_close_handle(c, (uv_handle_t *)&c->ka_timer);
	c->ka_init = false;
	if (c->held_init)
		host_close_handle(c, (uv_handle_t *)&c->held_timer);
	c->held_init = false;
	host_state_close(c);
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
	struct host_loop *hl = c->hl;
	struct host_req *old = atomic_load_explicit(&hl->inbox, memory_order_relaxed);

	do {
		req->next = old;
	} while (!atomic_compare_exchange_weak_explicit(&hl->inbox, &old, req,
							memory_order_release,
							memory_order_relaxed));
	/* Only the push that made the stack non-empty wakes the loop: the
	 * drain takes everything, so later pushes ride on the same wake-up.
	 * A polling loop needs none (iopool.c, run_loop: the fence orders the
	 * push before the look at the flag). */
	if (old == NULL) {
		if (atomic_load_explicit(&hl->poll_us, memory_order_relaxed) > 0) {
			atomic_thread_fence(memory_order_seq_cst);
			if (atomic_load(&hl->polling))
				return;
		}
		uv_async_send(&hl->wake);
	}
}

int host_call(struct nvmf_ctrl *c, host_call_fn fn, void *arg, struct host_call *call)
{
	memset(call, 0, sizeof(*call));
	call->c = c;
	call->fn = fn;
	call->arg = arg;
	atomic_init(&call->done, false);

	/* An I/O thread that waits for a call waits for itself, or for a
	 * thread that may be waiting for it: refused whatever the controller
	 * (nvmf.h, THREADING). */
	if (host_on_io_thread())
		return host_err(EDEADLK, "synchronous libnvmf call from a libnvmf I/O thread "
				"(a completion or event callback) would deadlock; use the "
				"nvmf_aio_* form");
	if (host_on_loop_thread(c)) {
		if (host_in_cb_of(c->loop))
			return host_err(EDEADLK, "synchronous libnvmf call from a libnvmf callback "
					"of the same loop would deadlock; use the nvmf_aio_* form");
		call->started = true;
		fn(call);
		while (!atomic_load(&call->done))
			uv_run(c->loop, UV_RUN_ONCE);
	} else if (c->own_thread) {
		struct host_req *req = host_req_alloc(c);

		if (!req && !atomic_exchange(&c->call_req_busy, true)) {
			req = &c->call_req;
			memset(req, 0, sizeof(*req));
		}
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

void host_loop_drain(struct host_loop *hl)
{
	struct host_req *list, *rev = NULL;
	bool app_work = false;

	list = atomic_exchange_explicit(&hl->inbox, NULL, memory_order_acquire);
	while (list) {		/* the stack is LIFO: reverse for submission order */
		struct host_req *n = list->next;

		/* The application's requests and calls count as a polling
		 * thread's work; the library's own do not (nvmf.h, POLLING). */
		if (list->kind == HOST_REQ_CALL || !list->internal)
			app_work = true;
		list->next = rev;
		rev = list;
		list = n;
	}
	if (app_work)
		hl->poll_work++;
	while (rev) {
		struct host_req *req = rev;
		int r;

		rev = rev->next;
		if (req->kind == HOST_REQ_CALL) {
			struct host_call *call = req->call;

			/* Back to the pool before the function runs: a call's
			 * caller may go on to free the controller once it is
			 * done. */
			if (req == &req->c->call_req)
				atomic_store(&req->c->call_req_busy, false);
			else
				host_req_free(req->c, req);
			call->started = true;
			call->fn(call);
			continue;
		}
		r = host_dispatch(req);
		if (r < 0)
			host_req_refuse(req, r);
	}
}
