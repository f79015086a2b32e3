/*
 * nvmf-fuse: recycled buffers for the data path (see pool.c).
 */
#ifndef NVMF_FUSE_POOL_H
#define NVMF_FUSE_POOL_H

#include <pthread.h>
#include <stddef.h>

/* Size classes: powers of two from 4 KiB to 1 MiB (NF_MAX_IO). */
#define NF_POOL_MIN_SHIFT 12
#define NF_POOL_MAX_SHIFT 20
#define NF_POOL_CLASSES   (NF_POOL_MAX_SHIFT - NF_POOL_MIN_SHIFT + 1)
/* Bytes kept on the free lists, all classes together; past it a returned
 * buffer goes back to malloc. */
#define NF_POOL_MAX_KEPT  (32u << 20)
/* Objects (ops) kept: more than the requests the kernel has in flight. */
#define NF_POOL_MAX_OBJS  256
/* Receive buffers kept (nf_pool_rbuf_get()): the largest number a write's
 * op holds at once, the kernel's background requests (fuse_conn.h), and
 * the session's own. Each is NF_RBUF_LEN of address space, resident only
 * as far as requests filled it. */
#define NF_POOL_MAX_RBUFS 72

struct nf_pool_node {
	struct nf_pool_node *next;
};

/* Free objects of one size, at most max of them. */
struct nf_pool_list {
	struct nf_pool_node *head;
	unsigned             n, max;
	size_t               size;
};

struct nf_pool {
	pthread_mutex_t      mu;
	struct nf_pool_node *free[NF_POOL_CLASSES];
	size_t               kept;	/* bytes on the free lists */
	struct nf_pool_list  objs;	/* ops (obj_size) */
	size_t               obj_zeroed;	/* of an object, zeroed when taken */
	struct nf_pool_list  rbufs;	/* receive buffers (rbuf_len) */
};

/* obj_size: the size of what nf_pool_obj_get() hands out (an op), whose
 * first obj_zeroed bytes it zeroes; rbuf_len: the size of
 * nf_pool_rbuf_get()'s buffers. */
int nf_pool_init(struct nf_pool *p, size_t obj_size, size_t obj_zeroed, size_t rbuf_len);
/* Free everything kept; no buffer may be out any more. */
void nf_pool_fini(struct nf_pool *p);
/* A buffer of at least len bytes (contents undefined), or NULL. */
void *nf_pool_get(struct nf_pool *p, size_t len);
/* Give back a buffer nf_pool_get(p, len) returned, with the same len. */
void nf_pool_put(struct nf_pool *p, void *buf, size_t len);
/* An object of obj_size bytes, its first obj_zeroed bytes zeroed (the
 * rest undefined), or NULL; give it back with nf_pool_obj_put(). */
void *nf_pool_obj_get(struct nf_pool *p);
void nf_pool_obj_put(struct nf_pool *p, void *obj);
/* A buffer of rbuf_len bytes (contents undefined), or NULL; give it back
 * with nf_pool_rbuf_put(). */
void *nf_pool_rbuf_get(struct nf_pool *p);
void nf_pool_rbuf_put(struct nf_pool *p, void *buf);
/* Give back to malloc what the free lists hold beyond keep_rbufs receive
 * buffers and keep_bytes of size-class buffers (the largest go first):
 * what a burst left that an idle mount has no use for. Any thread. The
 * bytes given back. */
size_t nf_pool_trim(struct nf_pool *p, unsigned keep_rbufs, size_t keep_bytes);

#endif
