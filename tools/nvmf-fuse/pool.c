/*
 * nvmf-fuse: recycled buffers for the data path.
 *
 * Every FUSE read and write needs a buffer for the blocks it covers, and
 * its op needs one too. Taken from malloc each time, a buffer of 128 KiB
 * or more is a fresh mmap(): each of its pages costs a page fault on first
 * touch (the socket read or the copy into it) and munmap() at free, which
 * was a good part of nvmf-fuse's CPU time at 128 KiB. Buffers are instead
 * kept on free lists by size class (powers of two, 4 KiB to 1 MiB) and
 * handed out again with their pages still mapped.
 *
 * Ops (about 1 KiB each) are kept the same way on a list of their own,
 * at most NF_POOL_MAX_OBJS of them, and so are the buffers /dev/fuse is
 * read into (session.c), which a large write's op keeps as its data
 * buffer, at most NF_POOL_MAX_RBUFS.
 *
 * Buffers are taken and given back on the library's I/O thread, which
 * serves the FUSE requests (session.c), and at exit on the main thread,
 * which also trims the lists once the mount is idle (nf_pool_trim()): one
 * mutex guards the lists, held for a few pointer moves, and contended
 * while serving only by a trim that begins as requests come back. The bytes kept are bounded (NF_POOL_MAX_KEPT); past that,
 * and for sizes above 1 MiB (a 1 MiB request not aligned to blocks), plain
 * malloc and free. A free buffer's first bytes link it into its list.
 */
#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Under AddressSanitizer a kept buffer is poisoned (all but its link), so
 * that a use after op_free() is still reported as with free(). */
#if defined(__SANITIZE_ADDRESS__)
#define NF_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NF_POOL_ASAN 1
#endif
#endif
#ifdef NF_POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((char *)(p) + sizeof(struct nf_pool_node), \
						 (n) - sizeof(struct nf_pool_node))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The class of len, or -1 for a size the pool does not keep. */
static int size_class(size_t len)
{
	int c = 0;

	if (len > ((size_t)1 << NF_POOL_MAX_SHIFT))
		return -1;
	while (((size_t)1 << (NF_POOL_MIN_SHIFT + c)) < len)
		c++;
	return c;
}

static void list_init(struct nf_pool_list *l, size_t size, unsigned max)
{
	l->head = NULL;
	l->n = 0;
	l->max = max;
	l->size = size < sizeof(struct nf_pool_node) ? sizeof(struct nf_pool_node) : size;
}

static void list_fini(struct nf_pool_list *l)
{
	while (l->head) {
		struct nf_pool_node *n = l->head;

		l->head = n->next;
		UNPOISON(n, l->size);
		free(n);
	}
	l->n = 0;
}

int nf_pool_init(struct nf_pool *p, size_t obj_size, size_t obj_zeroed, size_t rbuf_len)
{
	for (int c = 0; c < NF_POOL_CLASSES; c++)
		p->free[c] = NULL;
	p->kept = 0;
	list_init(&p->objs, obj_size, NF_POOL_MAX_OBJS);
	p->obj_zeroed = obj_zeroed < obj_size ? obj_zeroed : obj_size;
	list_init(&p->rbufs, rbuf_len, NF_POOL_MAX_RBUFS);
	return pthread_mutex_init(&p->mu, NULL) ? -ENOMEM : 0;
}

void nf_pool_fini(struct nf_pool *p)
{
	for (int c = 0; c < NF_POOL_CLASSES; c++) {
		while (p->free[c]) {
			struct nf_pool_node *n = p->free[c];

			p->free[c] = n->next;
			UNPOISON(n, (size_t)1 << (NF_POOL_MIN_SHIFT + c));
			free(n);
		}
	}
	list_fini(&p->objs);
	list_fini(&p->rbufs);
	p->kept = 0;
	pthread_mutex_destroy(&p->mu);
}

void *nf_pool_get(struct nf_pool *p, size_t len)
{
	int c = size_class(len);
	struct nf_pool_node *n;

	if (c < 0)
		return malloc(len);
	pthread_mutex_lock(&p->mu);
	n = p->free[c];
	if (n) {
		p->free[c] = n->next;
		p->kept -= (size_t)1 << (NF_POOL_MIN_SHIFT + c);
	}
	pthread_mutex_unlock(&p->mu);
	if (!n)
		return malloc((size_t)1 << (NF_POOL_MIN_SHIFT + c));
	UNPOISON(n, (size_t)1 << (NF_POOL_MIN_SHIFT + c));
	return n;
}

void nf_pool_put(struct nf_pool *p, void *buf, size_t len)
{
	int c = size_class(len);
	size_t sz;

	if (!buf)
		return;
	if (c < 0) {
		free(buf);
		return;
	}
	sz = (size_t)1 << (NF_POOL_MIN_SHIFT + c);
	pthread_mutex_lock(&p->mu);
	if (p->kept + sz <= NF_POOL_MAX_KEPT) {
		struct nf_pool_node *n = buf;

		n->next = p->free[c];
		p->free[c] = n;
		p->kept += sz;
		POISON(n, sz);
		buf = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	free(buf);
}

/* A kept object of l (contents undefined), or NULL. */
static void *list_get(struct nf_pool *p, struct nf_pool_list *l)
{
	struct nf_pool_node *n;

	pthread_mutex_lock(&p->mu);
	n = l->head;
	if (n) {
		l->head = n->next;
		l->n--;
	}
	pthread_mutex_unlock(&p->mu);
	if (n)
		UNPOISON(n, l->size);
	return n;
}

static void list_put(struct nf_pool *p, struct nf_pool_list *l, void *obj)
{
	if (!obj)
		return;
	pthread_mutex_lock(&p->mu);
	if (l->n < l->max) {
		struct nf_pool_node *n = obj;

		n->next = l->head;
		l->head = n;
		l->n++;
		POISON(n, l->size);
		obj = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	free(obj);
}

void *nf_pool_obj_get(struct nf_pool *p)
{
	void *o = list_get(p, &p->objs);

	if (!o)
		return calloc(1, p->objs.size);
	memset(o, 0, p->obj_zeroed);
	return o;
}

void nf_pool_obj_put(struct nf_pool *p, void *obj)
{
	list_put(p, &p->objs, obj);
}

void *nf_pool_rbuf_get(struct nf_pool *p)
{
	void *b = list_get(p, &p->rbufs);

	return b ? b : malloc(p->rbufs.size);
}

void nf_pool_rbuf_put(struct nf_pool *p, void *buf)
{
	list_put(p, &p->rbufs, buf);
}

size_t nf_pool_trim(struct nf_pool *p, unsigned keep_rbufs, size_t keep_bytes)
{
	struct nf_pool_node *rb = NULL, *cls[NF_POOL_CLASSES] = { NULL };
	size_t freed = 0, rbuf_size;

	/* Unlinked under the mutex, freed after it: the I/O thread may be
	 * taking buffers meanwhile. */
	pthread_mutex_lock(&p->mu);
	rbuf_size = p->rbufs.size;
	while (p->rbufs.n > keep_rbufs) {
		struct nf_pool_node *n = p->rbufs.head;

		p->rbufs.head = n->next;
		p->rbufs.n--;
		n->next = rb;
		rb = n;
	}
	for (int c = NF_POOL_CLASSES - 1; c >= 0 && p->kept > keep_bytes; c--) {
		size_t sz = (size_t)1 << (NF_POOL_MIN_SHIFT + c);

		while (p->free[c] && p->kept > keep_bytes) {
			struct nf_pool_node *n = p->free[c];

			p->free[c] = n->next;
			p->kept -= sz;
			n->next = cls[c];
			cls[c] = n;
		}
	}
	pthread_mutex_unlock(&p->mu);
	while (rb) {
		struct nf_pool_node *n = rb;

		rb = n->next;
		UNPOISON(n, rbuf_size);
		free(n);
		freed += rbuf_size;
	}
	for (int c = 0; c < NF_POOL_CLASSES; c++) {
		size_t sz = (size_t)1 << (NF_POOL_MIN_SHIFT + c);

		while (cls[c]) {
			struct nf_pool_node *n = cls[c];

			cls[c] = n->next;
			UNPOISON(n, sz);
			free(n);
			freed += sz;
		}
	}
	return freed;
}
