/*
 * Memory of the controller side that outlives what used it: request objects
 * of finished commands and closed connections (with their buffers) are
 * kept by the listener and handed to the next command or connection, so
 * that a command allocates nothing once warm and a connection that comes
 * and goes (reconnects, hosts by the hundred) costs no allocation either.
 * While kept, all but the free-list link is poisoned for AddressSanitizer
 * (transport/xp_poison.h): a stale pointer into it still trips it.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp/ctrl/conn.h"
#include "transport/xp_poison.h"

/* ---- Request objects ----------------------------------------------------------- */

static size_t creq_size(const struct tcp_srv *srv)
{
	return offsetof(struct tcp_creq, x) + srv->base.opts.req_size;
}

/* A zeroed request object: from the listener's pool, else the heap. */
struct tcp_creq *tcp_creq_get(struct tcp_srv *srv)
{
	struct tcp_creq *r = srv->free_reqs;

	if (!r)
		return calloc(1, creq_size(srv));
	srv->free_reqs = r->pool_next;
	srv->nfree_reqs--;
	xp_unpoison(r, creq_size(srv));
	memset(r, 0, creq_size(srv));
	return r;
}

void tcp_creq_put(struct tcp_srv *srv, struct tcp_creq *r)
{
	if (srv->nfree_reqs >= TCP_CREQ_POOL_MAX) {
		free(r);
		return;
	}
	r->pool_next = srv->free_reqs;
	srv->free_reqs = r;
	srv->nfree_reqs++;
	xp_poison((char *)r + sizeof(r->pool_next), creq_size(srv) - sizeof(r->pool_next));
}

void tcp_srv_free_reqs(struct tcp_srv *srv)
{
	while (srv->free_reqs) {
		struct tcp_creq *r = srv->free_reqs;

		srv->free_reqs = r->pool_next;
		xp_unpoison(r, creq_size(srv));
		free(r);
	}
	srv->nfree_reqs = 0;
}

/* ---- Connections ----------------------------------------------------------------- */

/* Sizes of a connection's memory: fixed by the listener's options. */
static size_t conn_size(const struct tcp_srv *srv)
{
	return offsetof(struct tcp_cconn, q) + srv->base.opts.queue_size;
}

static size_t stage_size(const struct tcp_srv *srv)
{
	return srv->base.opts.tp.tcp.stage_size;
}

static size_t iov_size(void)
{
	return tcp_tx_iov_bytes(TCP_CTRL_TX_IOV);
}

static size_t discard_size(const struct tcp_srv *srv)
{
	uint32_t icd = srv->base.opts.max_icd;

	return icd > NVMF_TCP_ADMIN_ICD_MAX ? icd : NVMF_TCP_ADMIN_ICD_MAX;
}

unsigned tcp_cconn_nslots(const struct tcp_srv *srv)
{
	/* Twice the largest queue: see tcp_cconn.slots. */
	return 2u * srv->base.opts.max_qsize;
}

static size_t slots_size(const struct tcp_srv *srv)
{
	/* The slots and the stack of freed ones, in one allocation. */
	return tcp_cconn_nslots(srv) * (sizeof(struct tcp_creq *) + sizeof(uint16_t));
}

/*
 * What the memory of a kept connection holds: this header, readable, and
 * behind it poisoned bytes. The buffers' addresses are here rather than in
 * the poisoned struct so that LeakSanitizer, which does not look into
 * poisoned memory, still finds them.
 */
struct conn_kept {
	struct conn_kept *next;
	struct tcp_cconn_bufs b;
};

static void bufs_poison(const struct tcp_srv *srv, const struct tcp_cconn_bufs *b, bool on)
{
	struct { void *p; size_t n; } m[] = {
		{ b->stage, stage_size(srv) },
		{ b->arena, TCP_CTRL_TX_ARENA },
		{ b->iov, iov_size() },
		{ b->slots, slots_size(srv) },
		{ b->discard, discard_size(srv) },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (on)
			xp_poison(m[i].p, m[i].n);
		else
			xp_unpoison(m[i].p, m[i].n);
	}
}

static void bufs_free(struct tcp_cconn_bufs *b)
{
	free(b->stage);
	free(b->arena);
	free(b->iov);
	free(b->slots);
	free(b->discard);
	memset(b, 0, sizeof(*b));
}

struct tcp_cconn *tcp_cconn_mem_get(struct tcp_srv *srv, struct tcp_cconn_bufs *b)
{
	struct conn_kept *k = srv->conn_cache;
	struct tcp_cconn *c;

	if (k) {
		srv->conn_cache = k->next;
		srv->nconn_cache--;
		*b = k->b;
		xp_unpoison(k, conn_size(srv));
		bufs_poison(srv, b, false);
		c = (struct tcp_cconn *)(void *)k;
		memset(c, 0, conn_size(srv));
		memset(b->slots, 0, tcp_cconn_nslots(srv) * sizeof(struct tcp_creq *));
		return c;
	}
	c = calloc(1, conn_size(srv));
	b->stage = malloc(stage_size(srv));
	b->arena = malloc(TCP_CTRL_TX_ARENA);
	b->iov = malloc(iov_size());
	b->slots = calloc(1, slots_size(srv));
	b->discard = malloc(discard_size(srv));
	if (!c || !b->stage || !b->arena || !b->iov || !b->slots || !b->discard) {
		free(c);
		bufs_free(b);
		return NULL;
	}
	return c;
}

/*
 * A closed connection's memory goes to the listener's cache (at most
 * TCP_CONN_CACHE) to be the next one's: hosts that connect and disconnect
 * in a loop (reconnects, controllers by the hundred) cost no allocation.
 */
void tcp_cconn_mem_put(struct tcp_srv *srv, struct tcp_cconn *c)
{
	struct conn_kept *k = (struct conn_kept *)(void *)c;
	struct tcp_cconn_bufs b = {
		.stage = c->rx.stage,
		.arena = c->tx.arena,
		.iov = c->tx.iov,
		.slots = c->slots,
		.discard = c->discard,
	};

	if (srv->nconn_cache >= TCP_CONN_CACHE || srv->closing) {
		bufs_free(&b);
		free(c);
		return;
	}
	bufs_poison(srv, &b, true);
	k->b = b;
	k->next = srv->conn_cache;
	srv->conn_cache = k;
	srv->nconn_cache++;
	xp_poison((char *)k + sizeof(*k), conn_size(srv) - sizeof(*k));
}

void tcp_srv_free_conn_cache(struct tcp_srv *srv)
{
	while (srv->conn_cache) {
		struct conn_kept *k = srv->conn_cache;

		srv->conn_cache = k->next;
		bufs_poison(srv, &k->b, false);
		bufs_free(&k->b);
		xp_unpoison(k, conn_size(srv));
		free(k);
	}
	srv->nconn_cache = 0;
}
