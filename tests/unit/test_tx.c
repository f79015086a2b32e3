/*
 * The send path's volatile data (src/tcp/tx.c, tcp_tx_push_data_volatile):
 * bytes that may change once tcp_tx_flush() returns are either in the
 * kernel by then or copied into their bounce buffer, and what the peer
 * receives is what they were at the flush, digest included.
 *
 * The stream is one end of an AF_UNIX socketpair opened as a uv_pipe; the
 * test reads the other end itself, after the flush, while the loop writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "tcp/pdu.h"
#include "tcp/tx.h"

#define HDR_LEN  24
#define IOV_MAX_ 8

struct fix {
	uv_loop_t loop;
	uv_pipe_t pipe;
	int peer;			/* the other end: the test reads it */
	struct tcp_params params;
	struct tcp_tx tx;
	struct tcp_tx_item item;
	uint8_t *data, *bounce;		/* the volatile bytes and their bounce */
	uint32_t len;
	bool split_last;		/* emit: data in two halves, the second last */
	int written;			/* written() calls */
	int status;
	/* What a sink was given. */
	uint8_t *sunk;
	size_t nsunk;
};

static bool emit(struct tcp_tx *tx, struct tcp_tx_item *it)
{
	struct fix *f = tx->arg;
	uint8_t *h = tcp_tx_hdr_space(tx);

	(void)it;
	memset(h, 0xA5, HDR_LEN);
	tcp_tx_push_hdr(tx, HDR_LEN);
	if (f->split_last) {
		/* As C2HData with SUCCESS and no data digest ends a batch: two
		 * volatile entries, the second the batch's very last bytes. */
		uint32_t half = f->len / 2;

		tcp_tx_push_data_volatile(tx, f->data, half, f->bounce);
		tcp_tx_push_data_volatile(tx, f->data + half, f->len - half, f->bounce + half);
		return true;
	}
	tcp_tx_push_data_volatile(tx, f->data, f->len, f->bounce);
	/* A trailer, as a CapsuleResp would follow the data. */
	h = tcp_tx_hdr_space(tx);
	memset(h, 0x5A, HDR_LEN);
	tcp_tx_push_hdr(tx, HDR_LEN);
	return true;
}

static void written(struct tcp_tx *tx, int status)
{
	struct fix *f = tx->arg;

	f->written++;
	f->status = status;
}

static const struct tcp_tx_ops ops = { .emit = emit, .written = written };

static void fix_init(struct fix *f, uint32_t len, bool ddgst, int sndbuf)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (sndbuf > 0) {
		assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
		assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf)), 0);
	}
	f->peer = sv[1];
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(uv_pipe_init(&f->loop, &f->pipe, 0), 0);
	assert_int_equal(uv_pipe_open(&f->pipe, sv[0]), 0);
	f->params.role = TCP_ROLE_CTRL;
	f->params.ddgst = ddgst;
	assert_int_equal(tcp_tx_init(&f->tx, (uv_stream_t *)&f->pipe, &f->params, 4096, IOV_MAX_,
				     &ops, f), 0);
	f->len = len;
	f->data = malloc(len);
	f->bounce = calloc(1, len);
	assert_non_null(f->data);
	assert_non_null(f->bounce);
	for (uint32_t i = 0; i < len; i++)
		f->data[i] = (uint8_t)(i * 7 + (i >> 11));
}

static void fix_fini(struct fix *f)
{
	tcp_tx_fini(&f->tx);
	uv_close((uv_handle_t *)&f->pipe, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	close(f->peer);
	free(f->data);
	free(f->bounce);
	free(f->sunk);
}

/* Read n bytes from the peer, running the loop whenever the peer is dry
 * so that the write in flight goes on. */
static void read_all(struct fix *f, uint8_t *out, size_t n)
{
	size_t got = 0;

	assert_int_equal(fcntl(f->peer, F_SETFL, O_NONBLOCK), 0);
	while (got < n) {
		ssize_t r = read(f->peer, out + got, n - got);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		assert_true(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		uv_run(&f->loop, UV_RUN_NOWAIT);
	}
	while (f->written == 0)
		uv_run(&f->loop, UV_RUN_ONCE);
}

/* Check the peer got header, the data as it was (o, len bytes), digest
 * if on, trailer. */
static void check_stream(struct fix *f, const uint8_t *o)
{
	size_t n = (f->split_last ? 1 : 2) * HDR_LEN + f->len +
		   (f->params.ddgst ? NVMF_TCP_DIGEST_LEN : 0);
	uint8_t *got = malloc(n);

	assert_non_null(got);
	read_all(f, got, n);
	assert_int_equal(f->status, 0);
	for (size_t i = 0; i < HDR_LEN; i++) {
		assert_int_equal(got[i], 0xA5);
		if (!f->split_last)
			assert_int_equal(got[n - HDR_LEN + i], 0x5A);
	}
	assert_memory_equal(got + HDR_LEN, o, f->len);
	if (f->params.ddgst) {
		struct iovec v = { .iov_base = (void *)o, .iov_len = f->len };
		uint8_t d[NVMF_TCP_DIGEST_LEN];

		tcp_put_digest(d, tcp_data_digest(&v, 1));
		assert_memory_equal(got + HDR_LEN + f->len, d, sizeof(d));
	}
	free(got);
}

/* Flush, then scribble over the volatile bytes as the next Write would. */
static uint8_t *flush_and_scribble(struct fix *f)
{
	uint8_t *orig = malloc(f->len);

	assert_non_null(orig);
	memcpy(orig, f->data, f->len);
	tcp_tx_enqueue(&f->tx, &f->item);
	assert_int_equal(tcp_tx_flush(&f->tx), 0);
	memset(f->data, 0xEE, f->len);
	return orig;
}

/* The peer got the bytes of the flush (orig); then tear the fixture down. */
static void check_and_finish(struct fix *f, uint8_t *orig)
{
	check_stream(f, orig);
	free(orig);
	fix_fini(f);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* A socket with room for everything: the kernel takes the data at the
 * flush, and the bounce buffer is never written (no copy at all). */
static void test_room_no_copy(void **state)
{
	struct fix f;
	uint8_t *orig;

	(void)state;
	fix_init(&f, 64 * 1024, false, 1 << 20);
	orig = flush_and_scribble(&f);
	assert_true(all_zero(f.bounce, f.len));
	/* Done before the flush returned: no write left for the loop. */
	assert_int_equal(f.written, 1);
	assert_false(f.tx.inflight);
	check_and_finish(&f, orig);
}

/* A small socket buffer: what the kernel did not take is bounced; the
 * peer still gets the bytes of the flush, with their digest. */
static void test_full_socket_bounces(void **state)
{
	struct fix f;
	uint8_t *orig;

	(void)state;
	fix_init(&f, 1024 * 1024, true, 16 * 1024);
	orig = flush_and_scribble(&f);
	/* The kernel cannot hold 1 MiB here: the tail went to the bounce
	 * buffer, and the rest is in flight. */
	assert_memory_equal(f.bounce + f.len - 4096, orig + f.len - 4096, 4096);
	assert_int_equal(f.written, 0);
	assert_true(f.tx.inflight);
	check_and_finish(&f, orig);
}

/* Two volatile entries, the second the batch's last bytes, through a small
 * socket buffer: the entry the kernel stopped in is bounced from there on. */
static void test_last_entry_volatile(void **state)
{
	struct fix f;
	uint8_t *orig;

	(void)state;
	fix_init(&f, 512 * 1024, false, 16 * 1024);
	f.split_last = true;
	orig = flush_and_scribble(&f);
	assert_int_equal(f.bounce[f.len - 1], orig[f.len - 1]);
	check_and_finish(&f, orig);
}

/* A small batch (a 4 KiB read with its digest) costs no copy either. */
static void test_small_no_copy(void **state)
{
	struct fix f;
	uint8_t *orig;

	(void)state;
	fix_init(&f, 4096, true, 0);
	orig = flush_and_scribble(&f);
	assert_true(all_zero(f.bounce, f.len));
	assert_int_equal(f.written, 1);
	check_and_finish(&f, orig);
}

/* A sink (fuzzers, in-process tests) keeps the iovecs until it is done:
 * it must be given the bounce buffer, whatever the size. */
static int sink(void *arg, const uv_buf_t *iov, unsigned iovcnt)
{
	struct fix *f = arg;

	for (unsigned i = 0; i < iovcnt; i++) {
		if (iov[i].len == f->len) {
			assert_ptr_equal(iov[i].base, f->bounce);
			f->sunk = malloc(iov[i].len);
			assert_non_null(f->sunk);
			memcpy(f->sunk, iov[i].base, iov[i].len);
			f->nsunk = iov[i].len;
		} else {
			assert_ptr_not_equal(iov[i].base, f->data);
		}
	}
	return 0;
}

static void test_sink_bounced(void **state)
{
	struct fix f;
	uint8_t *orig;

	(void)state;
	fix_init(&f, 256 * 1024, false, 0);
	tcp_tx_set_sink(&f.tx, sink, &f);
	orig = flush_and_scribble(&f);
	assert_int_equal(f.nsunk, f.len);
	assert_memory_equal(f.sunk, orig, f.len);
	tcp_tx_sink_done(&f.tx, 0);
	assert_int_equal(f.written, 1);
	free(orig);
	fix_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_room_no_copy),
		cmocka_unit_test(test_full_socket_bounces),
		cmocka_unit_test(test_last_entry_volatile),
		cmocka_unit_test(test_small_no_copy),
		cmocka_unit_test(test_sink_bounced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
