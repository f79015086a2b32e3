/*
 * A byte queue as an OpenSSL BIO (see tls_bio.h).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tls_bio.h"

struct queue {
	unsigned char *buf;
	size_t cap;
	size_t head, tail;	/* waiting bytes: buf[head, tail) */
	/* tcp_tls_bio_take(): the buffer out, and a spare to go on with. */
	unsigned char *taken, *spare;
	size_t taken_cap, spare_cap;
};

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static struct queue *q_of(BIO *b)
{
	return BIO_get_data(b);
}

/* Room for len more bytes at the tail: move to the front, or grow. */
static int reserve(struct queue *q, size_t len)
{
	size_t used = q->tail - q->head, cap;
	unsigned char *p;

	if (q->cap - q->tail >= len)
		return 0;
	if (q->cap - used >= len && used <= q->cap / 2) {
		memmove(q->buf, q->buf + q->head, used);
		q->head = 0;
		q->tail = used;
		return 0;
	}
	for (cap = q->cap ? q->cap : 4096; cap - used < len; cap *= 2)
		if (cap > SIZE_MAX / 2)
			return -1;
	p = malloc(cap);
	if (p == NULL)
		return -1;
	if (used)
		memcpy(p, q->buf + q->head, used);
	free(q->buf);
	q->buf = p;
	q->cap = cap;
	q->head = 0;
	q->tail = used;
	return 0;
}

int tcp_tls_bio_append(BIO *b, const void *buf, size_t len)
{
	struct queue *q = q_of(b);

	if (len == 0)
		return 0;
	if (reserve(q, len) != 0)
		return -1;
	memcpy(q->buf + q->tail, buf, len);
	q->tail += len;
	return 0;
}

size_t tcp_tls_bio_pending(BIO *b)
{
	const struct queue *q = q_of(b);

	return q->tail - q->head;
}

const void *tcp_tls_bio_peek(BIO *b, size_t *len)
{
	struct queue *q = q_of(b);

	*len = q->tail - q->head;
	return *len ? q->buf + q->head : NULL;
}

void tcp_tls_bio_consume(BIO *b, size_t n)
{
	struct queue *q = q_of(b);

	if (n > q->tail - q->head)
		n = q->tail - q->head;
	q->head += n;
	if (q->head == q->tail)
		q->head = q->tail = 0;	/* empty: start over at the front */
}

int tcp_tls_bio_space(BIO *b, size_t want, void **p, size_t *len)
{
	struct queue *q = q_of(b);

	if (reserve(q, want) != 0)
		return -1;
	*p = q->buf + q->tail;
	*len = q->cap - q->tail;
	return 0;
}

void tcp_tls_bio_produced(BIO *b, size_t n)
{
	struct queue *q = q_of(b);

	if (n > q->cap - q->tail)
		n = q->cap - q->tail;
	q->tail += n;
}

void *tcp_tls_bio_take(BIO *b, size_t *len)
{
	struct queue *q = q_of(b);
	unsigned char *out;

	*len = q->tail - q->head;
	if (*len == 0 || q->taken != NULL)
		return NULL;
	out = q->buf + q->head;
	q->taken = q->buf;
	q->taken_cap = q->cap;
	/* Go on in the spare (or in nothing: the next append allocates). */
	q->buf = q->spare;
	q->cap = q->spare_cap;
	q->spare = NULL;
	q->spare_cap = 0;
	q->head = q->tail = 0;
	return out;
}

void tcp_tls_bio_give_back(BIO *b, void *buf)
{
	struct queue *q = q_of(b);

	(void)buf;	/* points into q->taken */
	if (q->taken == NULL)
		return;
	if (q->spare == NULL) {
		q->spare = q->taken;
		q->spare_cap = q->taken_cap;
	} else {
		free(q->taken);
	}
	q->taken = NULL;
	q->taken_cap = 0;
}

static int q_write(BIO *b, const char *buf, int len)
{
	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (tcp_tls_bio_append(b, buf, (size_t)len) != 0)
		return -1;
	return len;
}

static int q_read(BIO *b, char *buf, int len)
{
	struct queue *q = q_of(b);
	size_t n = q->tail - q->head;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (n == 0) {
		BIO_set_retry_read(b);	/* not yet: never end of file */
		return -1;
	}
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, q->buf + q->head, n);
	tcp_tls_bio_consume(b, n);
	return (int)n;
}

static long q_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct queue *q = q_of(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_PENDING: {
		size_t n = q->tail - q->head;

		return n > LONG_MAX ? LONG_MAX : (long)n;
	}
	case BIO_CTRL_WPENDING:
		return 0;
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_RESET:
		q->head = q->tail = 0;
		return 1;
	case BIO_CTRL_EOF:
		return 0;
	default:
		return 0;
	}
}

static int q_create(BIO *b)
{
	struct queue *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return 0;
	BIO_set_data(b, q);
	BIO_set_init(b, 1);
	return 1;
}

static int q_destroy(BIO *b)
{
	struct queue *q = b ? q_of(b) : NULL;

	if (q == NULL)
		return 0;
	free(q->buf);
	free(q->taken);
	free(q->spare);
	free(q);
	BIO_set_data(b, NULL);
	return 1;
}

static void method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				     "nvmf TLS byte queue");

	if (m == NULL)
		return;
	if (!BIO_meth_set_write(m, q_write) || !BIO_meth_set_read(m, q_read) ||
	    !BIO_meth_set_ctrl(m, q_ctrl) || !BIO_meth_set_create(m, q_create) ||
	    !BIO_meth_set_destroy(m, q_destroy)) {
		BIO_meth_free(m);
		return;
	}
	method = m;
}

BIO *tcp_tls_bio_new(size_t initial)
{
	BIO *b;

	pthread_once(&method_once, method_init);
	if (method == NULL)
		return NULL;
	b = BIO_new(method);
	if (b == NULL)
		return NULL;
	if (initial && reserve(q_of(b), initial) != 0) {
		BIO_free(b);
		return NULL;
	}
	return b;
}
