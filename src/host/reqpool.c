/*
 * The controller's pool of requests (struct host_req): no malloc or free
 * per command once the pool is warm (issue 15, item 2).
 *
 * Which thread touches the free list. A request is taken on the thread
 * that submits: any thread for nvmf_aio_* and the synchronous calls (the
 * MPSC inbox of loop.c then carries it to the loop), the loop thread for
 * the host's own commands and for commands submitted from a completion
 * callback (nvmf-perf and the fio engine's reaping resubmit there). It is
 * given back on the loop thread once its completion was delivered
 * (dispatch.c, req_finish) or its inbox entry ran (loop.c), and on the
 * submitting thread when it was refused before reaching the loop (cmds.c,
 * host_submit, host_sync_cmd). Both ends are therefore on any thread, so
 * a list owned by the loop thread alone would need a lock or a hand-back
 * queue on the submit side; instead the free list is a lock-free stack
 * (Treiber) whose head is one 64-bit word: the index of the top request
 * and a generation count bumped by every change. The count is what makes
 * a pop safe with several threads popping (the ABA problem: a thread that
 * read the top and its successor, then slept while others popped both and
 * pushed the top back, would install a successor that is in use; with the
 * count, its compare-and-swap fails). Indices rather than pointers keep
 * the word at 64 bits, so plain C11 atomics do it on every platform (no
 * double-width compare-and-swap). Requests live in chunks that are never
 * freed before the controller is, so reading the link of a request that
 * another thread has just taken is harmless (the link is an atomic of its
 * own, outside what is zeroed and poisoned; the stale value only makes the
 * compare-and-swap fail).
 *
 * Cost: one uncontended compare-and-swap to take and one to give back when
 * one thread does both (the loop thread); when a submitter thread takes and
 * the loop thread gives back, the head's cache line moves between their
 * cores, as the inbox's already does for every such command. No lock, no
 * system call. Taking a request also zeroes it (about 240 bytes): what
 * calloc gave, so no field leaks from one command into the next.
 *
 * Bound: HOST_REQ_CHUNKS chunks of HOST_REQ_CHUNK requests (2048 per
 * controller, about half a MiB at most; a controller that only runs
 * synchronous calls holds one chunk). Beyond it (more commands in the
 * inbox, waiting for a queue entry or held through an outage than that)
 * requests come from calloc and go back to free, as every one did before.
 *
 * Built with AddressSanitizer, a request is poisoned while it sits in the
 * free list, so a use after its completion is still reported.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"
#include "transport/xp_poison.h"


/* What is zeroed on reuse and poisoned in the free list: all but the
 * pool's own two fields at the start. */
#define REQ_BODY_OFF  offsetof(struct host_req, next)
#define REQ_BODY_LEN  (sizeof(struct host_req) - REQ_BODY_OFF)

static void *req_body(struct host_req *req)
{
	return (char *)req + REQ_BODY_OFF;
}

/* The request of index i (1-based, as in the head and the links). */
static struct host_req *req_at(struct host_req_pool *p, uint32_t i)
{
	struct host_req *chunk = atomic_load_explicit(&p->chunk[(i - 1) / HOST_REQ_CHUNK],
						      memory_order_acquire);

	return &chunk[(i - 1) % HOST_REQ_CHUNK];
}

static uint64_t head_make(uint64_t old, uint32_t i)
{
	return (((old >> 32) + 1) << 32) | i;
}

/* Push the chain first..last (linked through pool_next) onto the free list. */
static void push_chain(struct host_req_pool *p, struct host_req *first, struct host_req *last)
{
	uint64_t old = atomic_load_explicit(&p->head, memory_order_relaxed);

	do {
		atomic_store_explicit(&last->pool_next, (uint32_t)old, memory_order_relaxed);
	} while (!atomic_compare_exchange_weak_explicit(&p->head, &old,
							head_make(old, first->pool_idx),
							memory_order_release,
							memory_order_relaxed));
}

/*
 * The free list is empty: claim the next chunk, keep its first request and
 * put the others in the free list. Past the bound, or if the chunk cannot
 * be had, one request from calloc (pool_idx 0: free() takes it back).
 */
static struct host_req *pool_grow(struct host_req_pool *p)
{
	unsigned ci = atomic_load_explicit(&p->nr_chunks, memory_order_relaxed);
	struct host_req *ch;

	do {
		if (ci >= HOST_REQ_CHUNKS) {
			struct host_req *req = calloc(1, sizeof(struct host_req));

			if (req)
				atomic_fetch_add_explicit(&p->outside, 1, memory_order_relaxed);
			return req;
		}
	} while (!atomic_compare_exchange_weak_explicit(&p->nr_chunks, &ci, ci + 1,
							memory_order_relaxed,
							memory_order_relaxed));
	ch = calloc(HOST_REQ_CHUNK, sizeof(*ch));
	if (!ch)
		return NULL;	/* the slot stays empty: the bound shrinks by one chunk */
	for (uint32_t k = 0; k < HOST_REQ_CHUNK; k++) {
		ch[k].pool_idx = ci * HOST_REQ_CHUNK + k + 1;
		if (k >= 1 && k + 1 < HOST_REQ_CHUNK)
			atomic_init(&ch[k].pool_next, ch[k].pool_idx + 1);
		if (k >= 1)
			xp_poison(req_body(&ch[k]), REQ_BODY_LEN);
	}
	/* Published before any index of it can be seen in the head (release). */
	atomic_store_explicit(&p->chunk[ci], ch, memory_order_release);
	atomic_fetch_add_explicit(&p->made, HOST_REQ_CHUNK, memory_order_relaxed);
	if (HOST_REQ_CHUNK > 1)
		push_chain(p, &ch[1], &ch[HOST_REQ_CHUNK - 1]);
	return &ch[0];
}

struct host_req *host_req_alloc(struct nvmf_ctrl *c)
{
	struct host_req_pool *p = &c->reqpool;
	uint64_t old = atomic_load_explicit(&p->head, memory_order_acquire);
	struct host_req *req;

	for (;;) {
		uint32_t i = (uint32_t)old, next;

		if (i == 0) {
			req = pool_grow(p);
			if (!req)
				return NULL;
			if (req->pool_idx == 0)
				return req;	/* fresh from calloc */
			break;
		}
		req = req_at(p, i);
		next = atomic_load_explicit(&req->pool_next, memory_order_relaxed);
		if (atomic_compare_exchange_weak_explicit(&p->head, &old, head_make(old, next),
							  memory_order_acquire,
							  memory_order_acquire))
			break;
	}
	xp_unpoison(req_body(req), REQ_BODY_LEN);
	memset(req_body(req), 0, REQ_BODY_LEN);
	return req;
}

void host_req_free(struct nvmf_ctrl *c, struct host_req *req)
{
	if (req->pool_idx == 0) {
		atomic_fetch_sub_explicit(&c->reqpool.outside, 1, memory_order_relaxed);
		free(req);
		return;
	}
	xp_poison(req_body(req), REQ_BODY_LEN);
	push_chain(&c->reqpool, req, req);
}

void host_req_pool_stats(struct nvmf_ctrl *c, unsigned *made, unsigned *outside)
{
	if (made)
		*made = atomic_load_explicit(&c->reqpool.made, memory_order_relaxed);
	if (outside)
		*outside = atomic_load_explicit(&c->reqpool.outside, memory_order_relaxed);
}

void host_req_pool_fini(struct nvmf_ctrl *c)
{
	struct host_req_pool *p = &c->reqpool;

	for (unsigned ci = 0; ci < HOST_REQ_CHUNKS; ci++) {
		struct host_req *ch = atomic_load_explicit(&p->chunk[ci], memory_order_acquire);

		if (!ch)
			continue;
		/* Poisoned requests in it: free() must see the memory as the
		 * allocator left it. */
		xp_unpoison(ch, HOST_REQ_CHUNK * sizeof(*ch));
		free(ch);
		atomic_store_explicit(&p->chunk[ci], NULL, memory_order_relaxed);
	}
	atomic_store_explicit(&p->head, 0, memory_order_relaxed);
	atomic_store_explicit(&p->nr_chunks, 0, memory_order_relaxed);
	atomic_store_explicit(&p->made, 0, memory_order_relaxed);
}
