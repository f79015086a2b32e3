/*
 * The whole host stack (src/host over src/transport and src/tcp) against
 * the scripted fake controller of tests/fake on loopback: the Fabrics
 * bring-up, I/O and admin commands in both threading modes, and the
 * host-layer misbehaviours (CSTS.CFS, impossible identify sizes, a
 * controller that stops answering, nothing listening).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"
#include "host/ctrl.h"

static struct fake_ctrl *start_fake(enum fake_scenario s, struct nvmf_opts *o, int nq)
{
	/* These scenarios test how a failure reaches the caller: no
	 * reconnect (release 0.1's behaviour, fake_host_start's
	 * ctrl_loss_tmo 0); test_reconnect.c rides out outages. */
	struct fake_ctrl *fc = fake_host_start(s, o);

	assert_non_null(fc);
	o->nr_io_queues = nq;
	return fc;
}

/* Written on the I/O thread; freed is the release/acquire flag that hands
 * the rest to the thread that waits for it. */
struct counts {
	int done, freed, errors;
	uint64_t last_cookie;
};

static void count_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct counts *k = user;

	k->done++;
	if (cpl->result != 0)
		k->errors++;
	k->last_cookie = cookie;
}

static void count_free(void *user)
{
	__atomic_fetch_add(&((struct counts *)user)->freed, 1, __ATOMIC_RELEASE);
}

static void test_good(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 2);
	struct nvmf_ctrl *c;
	struct nvmf_ctrl_info ci;
	struct nvmf_ns_info *ns;
	struct nvmf_completion cpl;
	struct fake_stats st;
	uint8_t *buf = malloc(65536), *rbuf = malloc(65536), id[4096], sqe[64];
	uint32_t dw0;
	int n;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_string_equal(ci.sn, "FAKE0001");
	assert_string_equal(ci.mn, "nvmf fake controller");
	assert_int_equal(ci.nr_io_queues, 2);
	assert_int_equal(ci.queue_size, 128);
	assert_int_equal(ci.max_xfer, 128 * 1024);
	assert_false(ci.discovery);

	n = nvmf_get_namespaces(c, &ns);
	assert_int_equal(n, 1);
	assert_int_equal(ns[0].nsid, 1);
	assert_int_equal(ns[0].lba_size, 512);
	assert_int_equal(ns[0].nsze, 8192);
	assert_true(ns[0].supported);
	assert_true(ns[0].write_zeroes);
	assert_true(ns[0].deallocate);
	assert_true(ns[0].dealloc_zeroes);
	nvmf_free(ns);

	/* Write, read back, and check the controller's own copy. */
	for (int i = 0; i < 65536; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(nvmf_write(c, 1, buf, 100, 128, 0), 0);
	memset(rbuf, 0, 65536);
	assert_int_equal(nvmf_read(c, 1, rbuf, 100, 128, 0), 0);
	assert_memory_equal(buf, rbuf, 65536);
	assert_memory_equal(fake_ctrl_disk(fc) + 100 * 512, buf, 65536);
	/* Small write travels in capsule. */
	assert_int_equal(nvmf_write(c, 1, buf, 7, 1, NVMF_IO_FUA), 0);
	assert_memory_equal(fake_ctrl_disk(fc) + 7 * 512, buf, 512);
	assert_int_equal(nvmf_flush(c, 1), 0);
	assert_int_equal(nvmf_write_zeroes(c, 1, 0, 8, 0), 0);
	assert_int_equal(nvmf_deallocate(c, 1, 8, 8), 0);

	/* Bad arguments: clear errors, nothing sent. */
	assert_int_equal(nvmf_read(c, 2, rbuf, 0, 1, 0), -ENOENT);
	assert_non_null(strstr(nvmf_get_error(), "namespace 2"));
	assert_int_equal(nvmf_read(c, 1, rbuf, 8190, 4, 0), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "beyond"));
	assert_int_equal(nvmf_read(c, 1, rbuf, 0, 0, 0), -EINVAL);
	assert_int_equal(nvmf_read(c, 1, rbuf, 0, 512, 0), -EINVAL);	/* 256 KiB > MDTS */
	assert_non_null(strstr(nvmf_get_error(), "MDTS"));

	/* Admin. */
	assert_int_equal(nvmf_identify(c, 1, 0, 0, 0, id), 0);
	assert_memory_equal(id + 4, "FAKE0001", 8);
	assert_int_equal(nvmf_get_smart_log(c, id), 0);
	assert_int_equal(nvmf_get_features(c, 7, 0, 0, 0, NULL, 0, &dw0), 0);
	assert_int_equal(dw0, 0x00030003);
	assert_int_equal(nvmf_set_features(c, 0x0b, 0, false, 0x100, 0, NULL, 0, NULL), 0);
	assert_int_equal(nvmf_get_log_page(c, 2, 0, 0, false, 0, id, 6), -EINVAL);

	/* An opcode the controller rejects: -EIO with the NVMe status kept. */
	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0xc0;
	assert_int_equal(nvmf_admin_passthru(c, sqe, NULL, 0, NVMF_DIR_NONE, &cpl), -EIO);
	assert_int_equal(cpl.result, -EIO);
	assert_int_equal(NVMF_SF_SC(cpl.status), 0x01);
	assert_int_equal(NVMF_SF_SC(nvmf_get_status()), 0x01);
	assert_non_null(strstr(nvmf_get_error(), "Invalid Command Opcode"));
	assert_int_equal(nvmf_admin_passthru(c, sqe, NULL, 8, NVMF_DIR_NONE, &cpl), -EINVAL);

	/* I/O passthrough: a Read of block 100. */
	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x02;
	nvmf_put_le32(sqe + 4, 1);
	nvmf_put_le32(sqe + 40, 100);
	assert_int_equal(nvmf_io_passthru(c, sqe, rbuf, 512, NVMF_DIR_FROM_CTRL, &cpl), 0);
	assert_memory_equal(rbuf, buf, 512);
	/* Above MDTS: refused naming the limit, not sent (as Linux refuses a
	 * passthrough above max_hw_sectors). */
	{
		uint8_t *big;

		big = calloc(1, (size_t)ci.max_xfer + 512);
		assert_non_null(big);
		nvmf_put_le32(sqe + 48, (ci.max_xfer + 512) / 512 - 1);
		assert_int_equal(nvmf_io_passthru(c, sqe, big, ci.max_xfer + 512,
						  NVMF_DIR_FROM_CTRL, &cpl), -EINVAL);
		assert_non_null(strstr(nvmf_get_error(), "MDTS"));
		nvmf_put_le32(sqe + 48, 0);
		free(big);
	}

	assert_int_equal(nvmf_rescan(c), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.connects, 3);	/* admin + 2 I/O queues */
	assert_false(st.connect_sqfc_disabled);
	free(buf);
	free(rbuf);
}

/*
 * flags of the I/O calls: a bit the library does not know, and DEAC where
 * the command has no such bit (Read, Write), are refused with -EINVAL
 * naming them, in the sync and the aio forms, before anything is sent.
 * They used to be dropped: the command went out without them.
 */
static void test_io_flags(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct counts k = { 0 };
	struct nvmf_callback cb = { count_cb, &k, count_free };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t buf[4096] = { 0 };
	unsigned before;

	(void)state;
	o.kato = 0;	/* no Keep Alive nor CSTS check among the commands counted */
	assert_int_equal(nvmf_connect(&o, &c), 0);
	fake_ctrl_stats(fc, &st);
	before = st.cmds - st.keep_alives;

	assert_int_equal(nvmf_read(c, 1, buf, 0, 1, 0x80), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Read: flags 0x80: unknown bits 0x80"));
	assert_int_equal(nvmf_write(c, 1, buf, 0, 1, NVMF_IO_FUA | 0x100), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Write: flags 0x101: unknown bits 0x100"));
	assert_int_equal(nvmf_write_zeroes(c, 1, 0, 8, 0x80000000u), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(),
			       "Write Zeroes: flags 0x80000000: unknown bits 0x80000000"));
	assert_int_equal(nvmf_read(c, 1, buf, 0, 1, NVMF_IO_DEAC), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(),
			       "Read: flags 0x2: NVMF_IO_DEAC applies to Write Zeroes only"));
	assert_int_equal(nvmf_write(c, 1, buf, 0, 1, NVMF_IO_DEAC | NVMF_IO_FUA), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(),
			       "Write: flags 0x3: NVMF_IO_DEAC applies to Write Zeroes only"));

	/* The aio forms: refused at the call, the free hook run, no completion. */
	assert_int_equal(nvmf_aio_read(c, 1, buf, 0, 1, 0x4, cb), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Read: flags 0x4: unknown bits 0x4"));
	assert_int_equal(nvmf_aio_write(c, 1, buf, 0, 1, NVMF_IO_DEAC, cb), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Write: flags 0x2: NVMF_IO_DEAC"));
	assert_int_equal(nvmf_aio_write_zeroes(c, 1, 0, 8, 0x10, cb), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "Write Zeroes: flags 0x10: unknown bits 0x10"));
	assert_int_equal(__atomic_load_n(&k.freed, __ATOMIC_ACQUIRE), 3);
	assert_int_equal(k.done, 0);

	/* Nothing reached the controller (keep-alives aside). */
	fake_ctrl_stats(fc, &st);
	assert_int_equal(st.cmds - st.keep_alives, before);

	/* What each command has still goes. */
	assert_int_equal(nvmf_read(c, 1, buf, 0, 1, NVMF_IO_FUA), 0);
	assert_int_equal(nvmf_write(c, 1, buf, 0, 1, NVMF_IO_FUA), 0);
	assert_int_equal(nvmf_write_zeroes(c, 1, 0, 8, NVMF_IO_DEAC | NVMF_IO_FUA), 0);

	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

static void test_aio_many(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 2);
	struct nvmf_ctrl *c;
	struct counts k = { 0 };
	struct nvmf_callback cb = { count_cb, &k, count_free };
	uint8_t *buf = malloc(64 * 4096);
	int64_t ck, prev = 0;

	(void)state;
	o.queue_size = 16;	/* 64 in flight on 2 x 15: the host holds the rest */
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 64 * 4096; i++)
		buf[i] = (uint8_t)(i ^ (i >> 9));
	for (int i = 0; i < 64; i++) {
		ck = nvmf_aio_write(c, 1, buf + i * 4096, (uint64_t)i * 8, 8, 0, cb);
		assert_true(ck > prev);
		prev = ck;
	}
	while (__atomic_load_n(&k.freed, __ATOMIC_ACQUIRE) < 64)
		uv_sleep(1);
	assert_int_equal(k.done, 64);
	assert_int_equal(k.errors, 0);
	assert_int_equal(nvmf_aio_in_flight(c), 0);
	assert_memory_equal(fake_ctrl_disk(fc), buf, 64 * 4096);

	/* A failing submission: no completion, the free hook exactly once. */
	k = (struct counts){ 0 };
	assert_true(nvmf_aio_read(c, 9, buf, 0, 1, 0, cb) < 0);
	assert_int_equal(k.done, 0);
	assert_int_equal(k.freed, 1);
	assert_true(nvmf_aio_read(NULL, 1, buf, 0, 1, 0, cb) < 0);
	assert_int_equal(k.freed, 2);

	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
	free(buf);
}

/*
 * A failed asynchronous command carries its text to the callback, as the
 * synchronous calls do through nvmf_get_error(): the NVMe status by name,
 * or what the transport found wrong. Only during the callback and only for
 * the pointer it received.
 */
struct errmsg_ctx {
	int done;
	int result;
	char msg[512];
	bool copy_empty;	/* the accessor on a copy of the completion */
};

static void errmsg_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct errmsg_ctx *x = user;
	struct nvmf_completion copy = *cpl;

	(void)cookie;
	x->result = cpl->result;
	snprintf(x->msg, sizeof(x->msg), "%s", nvmf_completion_errmsg(cpl));
	x->copy_empty = nvmf_completion_errmsg(&copy)[0] == '\0';
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
}

static void wait_done(struct errmsg_ctx *x)
{
	for (int i = 0; i < 10000 && !__atomic_load_n(&x->done, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	assert_true(__atomic_load_n(&x->done, __ATOMIC_ACQUIRE));
}

/* The connection-lost event says why as well. */
struct lost_ctx {
	int n;
	int error;
	bool null_msg;		/* an event without its text (checked off the I/O thread) */
	char msg[512];
};

static void lost_cb(void *user, const struct nvmf_event *ev)
{
	struct lost_ctx *l = user;

	if (!ev->msg)
		l->null_msg = true;
	if (ev->type != NVMF_EVENT_CONN_LOST || !ev->msg)
		return;
	l->error = ev->error;
	snprintf(l->msg, sizeof(l->msg), "%s", ev->msg);
	__atomic_fetch_add(&l->n, 1, __ATOMIC_ACQ_REL);
}

static void test_aio_errmsg(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_C2H_OUT_OF_ORDER, &o, 1);
	struct nvmf_completion mine = { .result = -EIO };
	struct errmsg_ctx x = { 0 };
	struct lost_ctx lost = { 0 };
	struct nvmf_ctrl *c;
	uint8_t buf[4096], sqe[64];

	(void)state;
	o.event_cb = lost_cb;
	o.event_user = &lost;
	assert_int_equal(nvmf_connect(&o, &c), 0);

	/* Success: no text. */
	assert_true(nvmf_aio_identify(c, 1, 0, 0, 0, buf,
				      (struct nvmf_callback){ errmsg_cb, &x, NULL }) > 0);
	wait_done(&x);
	assert_int_equal(x.result, 0);
	assert_string_equal(x.msg, "");

	/* An NVMe status: the command and the status by name. */
	x = (struct errmsg_ctx){ 0 };
	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0xc0;
	assert_true(nvmf_aio_admin_passthru(c, sqe, NULL, 0, NVMF_DIR_NONE,
					    (struct nvmf_callback){ errmsg_cb, &x, NULL }) > 0);
	wait_done(&x);
	assert_int_equal(x.result, -EIO);
	assert_string_equal(x.msg,
			    "admin passthrough failed: Invalid Command Opcode (SCT 0h SC 01h)");
	assert_true(x.copy_empty);

	/* A transport error: C2HData from the middle of the transfer. */
	x = (struct errmsg_ctx){ 0 };
	assert_true(nvmf_aio_read(c, 1, buf, 0, 8, 0,
				  (struct nvmf_callback){ errmsg_cb, &x, NULL }) > 0);
	wait_done(&x);
	assert_int_equal(x.result, -EPROTO);
	if (!strstr(x.msg, "Read failed: queue 1: ") || !strstr(x.msg, "DATAO 2048, expected 0") ||
	    !strstr(x.msg, "out of order"))
		fail_msg("completion text: \"%s\"", x.msg);
	assert_true(x.copy_empty);

	/* The queue failed with it: the event carries the same text. */
	for (int i = 0; i < 10000 && !__atomic_load_n(&lost.n, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	assert_int_equal(__atomic_load_n(&lost.n, __ATOMIC_ACQUIRE), 1);
	assert_false(lost.null_msg);
	assert_int_equal(lost.error, -EPROTO);
	if (!strstr(lost.msg, "queue 1: ") || !strstr(lost.msg, "DATAO 2048, expected 0"))
		fail_msg("connection-lost event text: \"%s\"", lost.msg);

	/* Outside a callback, and for a completion the library did not deliver. */
	assert_string_equal(nvmf_completion_errmsg(&mine), "");
	assert_string_equal(nvmf_completion_errmsg(NULL), "");

	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/* ---- Caller's loop ------------------------------------------------------------- */

struct loop_ctx {
	struct nvmf_ctrl *c;
	int done;
	int deadlock;
};

static void loop_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct loop_ctx *x = user;
	uint8_t b[512];

	(void)cookie;
	assert_int_equal(cpl->result, 0);
	/* A synchronous call from a callback would deadlock: refused. */
	x->deadlock = nvmf_read(x->c, 1, b, 0, 1, 0);
	x->done++;
}

static void test_caller_loop(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct loop_ctx x = { 0 };
	uv_loop_t loop;
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	assert_int_equal(nvmf_connect(&o, &x.c), 0);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(nvmf_write(x.c, 1, buf, 3, 8, 0), 0);
	assert_true(nvmf_aio_read(x.c, 1, buf, 3, 8, 0,
				  (struct nvmf_callback){ loop_cb, &x, NULL }) > 0);
	while (!x.done)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(x.deadlock, -EDEADLK);
	assert_int_equal(nvmf_disconnect(x.c), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Two controllers on one caller's loop: a callback of either one runs that
 * loop, so a synchronous call on the other (or a connect on that loop)
 * would nest uv_run() and re-enter the receive path under the callback.
 * Refused with -EDEADLK; a synchronous call on a controller of another
 * loop (its own I/O thread) is fine and goes through.
 */
struct loop2_ctx {
	struct nvmf_ctrl *b, *other;
	struct nvmf_opts *ob;
	int read_b, disc_b, connect_b, read_other;
	int done;
};

static void loop2_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct loop2_ctx *x = user;
	struct nvmf_ctrl *c3 = NULL;
	uint8_t b[512];

	(void)cookie;
	assert_int_equal(cpl->result, 0);
	x->read_b = nvmf_read(x->b, 1, b, 0, 1, 0);
	x->disc_b = nvmf_disconnect(x->b);
	x->connect_b = nvmf_connect(x->ob, &c3);
	assert_null(c3);
	x->read_other = nvmf_read(x->other, 1, b, 0, 1, 0);
	x->done++;
}

static void test_caller_loop_shared(void **state)
{
	struct nvmf_opts oa, ob, oc;
	struct fake_ctrl *fa = start_fake(FAKE_GOOD, &oa, 1);
	struct fake_ctrl *fb = start_fake(FAKE_GOOD, &ob, 1);
	struct fake_ctrl *fo = start_fake(FAKE_GOOD, &oc, 1);
	struct loop2_ctx x = { .ob = &ob };
	struct nvmf_ctrl *a;
	uv_loop_t loop;
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	oa.loop = &loop;
	ob.loop = &loop;
	assert_int_equal(nvmf_connect(&oa, &a), 0);
	assert_int_equal(nvmf_connect(&ob, &x.b), 0);
	assert_int_equal(nvmf_connect(&oc, &x.other), 0);
	assert_true(nvmf_aio_read(a, 1, buf, 0, 8, 0,
				  (struct nvmf_callback){ loop2_cb, &x, NULL }) > 0);
	while (!x.done)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(x.read_b, -EDEADLK);
	assert_int_equal(x.disc_b, -EDEADLK);
	assert_int_equal(x.connect_b, -EDEADLK);
	assert_int_equal(x.read_other, 0);
	/* Outside the callbacks all of it works. */
	assert_int_equal(nvmf_read(x.b, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(x.b), 0);
	assert_int_equal(nvmf_disconnect(a), 0);
	assert_int_equal(nvmf_disconnect(x.other), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fa, NULL);
	fake_ctrl_stop(fb, NULL);
	fake_ctrl_stop(fo, NULL);
}

/*
 * The log callback. A libnvmf call in it that fails logs its own error: that
 * used to reach the callback again, recursing until the stack ran out, and
 * the inner error replaced the caller's. On a caller's loop, a synchronous
 * call from the callback ran that loop inside whatever was logging (here the
 * connect of a second controller on the loop, whose state changes are
 * logged from the loop's callbacks): refused with -EDEADLK, as from a
 * completion callback.
 */
struct logcb_ctx {
	struct nvmf_ctrl *a;	/* synchronous reads on it, if set */
	int depth, max_depth, calls;
	int sync_calls, sync_deadlock, sync_other;
};

static void logcb_reenter(void *user, enum nvmf_log_level lvl, const char *msg)
{
	struct logcb_ctx *x = user;
	uint8_t b[512];
	int r;

	(void)lvl;
	(void)msg;
	x->calls++;
	if (++x->depth > x->max_depth)
		x->max_depth = x->depth;
	/* A NULL controller: fails, and logs its error. */
	assert_int_equal(nvmf_read(NULL, 1, b, 0, 1, 0), -EINVAL);
	if (x->a) {
		r = nvmf_read(x->a, 1, b, 0, 1, 0);
		x->sync_calls++;
		if (r == -EDEADLK)
			x->sync_deadlock++;
		else
			x->sync_other++;
	}
	x->depth--;
}

static void test_log_callback_reentry(void **state)
{
	struct nvmf_opts oa, ob;
	struct fake_ctrl *fa = start_fake(FAKE_GOOD, &oa, 1);
	struct fake_ctrl *fb = start_fake(FAKE_GOOD, &ob, 1);
	struct logcb_ctx x = { 0 };
	struct nvmf_ctrl *a, *b;
	char want[512];
	uv_loop_t loop;
	uint8_t buf[512];

	(void)state;
	/* The message a failing call leaves, without a callback. */
	assert_int_equal(nvmf_write(NULL, 1, buf, 0, 1, 0), -EINVAL);
	snprintf(want, sizeof(want), "%s", nvmf_get_error());
	assert_true(want[0] != '\0');
	nvmf_set_log_callback(logcb_reenter, &x);
	assert_int_equal(nvmf_write(NULL, 1, buf, 0, 1, 0), -EINVAL);
	nvmf_set_log_callback(NULL, NULL);
	assert_int_equal(x.calls, 1);
	assert_int_equal(x.max_depth, 1);
	assert_string_equal(nvmf_get_error(), want);
	assert_int_equal(nvmf_get_errno(), EINVAL);

	assert_int_equal(uv_loop_init(&loop), 0);
	oa.loop = &loop;
	ob.loop = &loop;
	assert_int_equal(nvmf_connect(&oa, &a), 0);
	memset(&x, 0, sizeof(x));
	x.a = a;
	nvmf_set_log_callback(logcb_reenter, &x);
	assert_int_equal(nvmf_connect(&ob, &b), 0);
	nvmf_set_log_callback(NULL, NULL);
	assert_int_equal(x.max_depth, 1);
	assert_true(x.sync_calls > 0);
	if (x.sync_other)
		fail_msg("%d of %d synchronous reads from the log callback were not refused",
			 x.sync_other, x.sync_calls);
	assert_int_equal(x.sync_deadlock, x.sync_calls);
	/* Outside the callback they work. */
	assert_int_equal(nvmf_read(a, 1, buf, 0, 1, 0), 0);
	assert_int_equal(nvmf_disconnect(b), 0);
	assert_int_equal(nvmf_disconnect(a), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fa, NULL);
	fake_ctrl_stop(fb, NULL);
}

/*
 * nvmf_disconnect() from a completion callback or an event callback, on the
 * controller's own I/O thread: it would free the loop it runs on and join
 * its own thread. Refused with -EDEADLK before anything is touched, also
 * when the controller has failed; the handle stays usable and is
 * disconnected later from the application's thread.
 */
struct disc_ctx {
	struct nvmf_ctrl *c;	/* __atomic: the callbacks run on the I/O thread */
	int cb_result;		/* nvmf_disconnect() inside the completion callback */
	int ev_result;		/* ... inside the connection-lost event callback */
	int done, events;
};

static void disc_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct disc_ctx *x = user;

	(void)cookie;
	(void)cpl;
	x->cb_result = nvmf_disconnect(__atomic_load_n(&x->c, __ATOMIC_ACQUIRE));
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
}

static void disc_ev(void *user, const struct nvmf_event *ev)
{
	struct disc_ctx *x = user;

	if (ev->type != NVMF_EVENT_CONN_LOST)
		return;
	x->ev_result = nvmf_disconnect(__atomic_load_n(&x->c, __ATOMIC_ACQUIRE));
	__atomic_fetch_add(&x->events, 1, __ATOMIC_ACQ_REL);
}

static void test_disconnect_in_callback(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct disc_ctx x = { 0 };
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(nvmf_connect(&o, &x.c), 0);
	assert_true(nvmf_aio_read(x.c, 1, buf, 0, 8, 0,
				  (struct nvmf_callback){ disc_cb, &x, NULL }) > 0);
	for (int i = 0; i < 10000 && !__atomic_load_n(&x.done, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	assert_true(__atomic_load_n(&x.done, __ATOMIC_ACQUIRE));
	assert_int_equal(x.cb_result, -EDEADLK);
	/* The handle is untouched: it still works, and disconnects cleanly. */
	assert_int_equal(nvmf_read(x.c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(x.c), 0);
	fake_ctrl_stop(fc, NULL);

	/* From the event callback of a failed admin queue (c->failed set): the
	 * controller closed the connections under the host. */
	fc = start_fake(FAKE_GOOD, &o, 0);
	x = (struct disc_ctx){ 0 };
	o.event_cb = disc_ev;
	o.event_user = &x;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	/* Published before the connections close: nothing else orders this
	 * thread's store with the event callback's load. */
	__atomic_store_n(&x.c, c, __ATOMIC_RELEASE);
	fake_ctrl_stop(fc, NULL);	/* closes the admin connection */
	for (int i = 0; i < 10000 && !__atomic_load_n(&x.events, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	assert_int_equal(__atomic_load_n(&x.events, __ATOMIC_ACQUIRE), 1);
	assert_int_equal(x.ev_result, -EDEADLK);
	assert_int_equal(nvmf_disconnect(x.c), 0);
}

/*
 * A queue that is being failed takes no new command: a write submitted from
 * the callback of a command its failure completes goes to the other I/O queue
 * and succeeds. Queue 1's first read is never answered (its timeout fails the
 * queue) or answered with a C2HTermReq; the rotor points at queue 1 again
 * when the callback runs (a write went to queue 2 in between).
 */
struct retry_ctx {
	struct nvmf_ctrl *c;
	uint8_t buf[4096];
	int first;		/* the failed read's result */
	int64_t retry;		/* nvmf_aio_write() inside its callback */
	int retry_result;
	bool retry_done, b_done;
};

static void retry_done_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct retry_ctx *x = user;

	(void)cookie;
	x->retry_result = cpl->result;
	x->retry_done = true;
}

static void retry_first_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct retry_ctx *x = user;

	(void)cookie;
	x->first = cpl->result;
	x->retry = nvmf_aio_write(x->c, 1, x->buf, 16, 8, 0,
				  (struct nvmf_callback){ retry_done_cb, x, NULL });
}

static void b_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct retry_ctx *x = user;

	(void)cookie;
	/* On the other queue: done, or closed by the reset that follows. */
	assert_true(cpl->result == 0 || cpl->result == -ECONNRESET);
	x->b_done = true;
}

static void io_avoids_failing_queue(enum fake_scenario s, int first_err)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(s, &o, 2);
	struct retry_ctx *x = calloc(1, sizeof(*x));
	uv_loop_t loop;

	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	o.io_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &x->c), 0);
	/* Caller's loop: both are dispatched now, the read to queue 1. */
	assert_true(nvmf_aio_read(x->c, 1, x->buf, 0, 8, 0,
				  (struct nvmf_callback){ retry_first_cb, x, NULL }) > 0);
	assert_true(nvmf_aio_write(x->c, 1, x->buf, 8, 8, 0,
				   (struct nvmf_callback){ b_cb, x, NULL }) > 0);
	/* Bounded: the keep-alive timer (2.5 s) wakes the loop at least. */
	for (uint64_t end = uv_hrtime() + 10000000000ull;
	     !(x->retry_done && x->b_done) && x->retry >= 0 && uv_hrtime() < end;)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(x->first, first_err);
	if (x->retry < 0)
		fail_msg("write from the callback refused: %s", nvmf_get_error());
	assert_true(x->retry_done);
	/* Sent to queue 2, not to the failing queue 1 (whose error it would
	 * carry); then ended by the reset that queue 1's loss starts, with
	 * reconnecting off in these tests. */
	assert_int_equal(x->retry_result, -ECONNRESET);
	nvmf_disconnect(x->c);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, NULL);
	free(x);
}

static void test_io_avoids_failing_queue(void **state)
{
	(void)state;
	io_avoids_failing_queue(FAKE_NO_ANSWER, -ETIMEDOUT);
	io_avoids_failing_queue(FAKE_C2H_TERM, -EPROTO);
}

/* ---- Misbehaviours --------------------------------------------------------------- */

static void test_csts_cfs(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_CSTS_CFS, &o, 1);
	struct nvmf_ctrl *c = (void *)1;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), -EIO);
	assert_null(c);
	assert_non_null(strstr(nvmf_get_error(), "CSTS.CFS"));
	fake_ctrl_stop(fc, NULL);
}

static void test_csts_never_ready(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_CSTS_NEVER_READY, &o, 1);
	struct nvmf_ctrl *c = (void *)1;

	(void)state;
	/* CAP.TO allows 3 s; connect_timeout (1 s) bounds the wait too. */
	o.connect_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &c), -ETIMEDOUT);
	assert_null(c);
	assert_non_null(strstr(nvmf_get_error(), "CSTS.RDY 0) 1000 ms after CC.EN = 1 "
				 "(connect_timeout; its CAP.TO allows 3000 ms)"));
	fake_ctrl_stop(fc, NULL);
	/* With more time to spare, CAP.TO is the bound. */
	fc = start_fake(FAKE_CSTS_NEVER_READY, &o, 1);
	o.connect_timeout = 10;
	assert_int_equal(nvmf_connect(&o, &c), -ETIMEDOUT);
	assert_non_null(strstr(nvmf_get_error(), "3000 ms after CC.EN = 1 (CAP.TO)"));
	fake_ctrl_stop(fc, NULL);
}

static void test_cntlid_reserved(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_CNTLID_RESERVED, &o, 1);
	struct nvmf_ctrl *c = (void *)1;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), -EPROTO);
	assert_null(c);
	assert_non_null(strstr(nvmf_get_error(), "CNTLID FFFFh, a reserved value"));
	fake_ctrl_stop(fc, NULL);
}

static void test_identify_cntlid(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IDENTIFY_CNTLID, &o, 1);
	struct nvmf_ctrl *c = (void *)1;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), -EPROTO);
	assert_null(c);
	assert_non_null(strstr(nvmf_get_error(), "Identify Controller says CNTLID 0002h, the "
				 "admin queue's Connect response 0001h"));
	fake_ctrl_stop(fc, NULL);
}

static void test_identify_bad_ioccsz(void **state)
{
	struct nvmf_opts o;
	struct fake_opts fo = { .scenario = FAKE_IDENTIFY_BAD_IOCCSZ };
	struct fake_ctrl *fc;
	struct nvmf_ctrl *c;

	(void)state;
	fc = start_fake(FAKE_IDENTIFY_BAD_IOCCSZ, &o, 1);
	(void)fo;
	assert_int_equal(nvmf_connect(&o, &c), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "IOCCSZ"));
	fake_ctrl_stop(fc, NULL);
}

/*
 * An administrative controller (CNTRLTYPE 3) has no I/O queues, and the
 * Identify fields that size them are 0: the host connects with the admin
 * queue alone (asked for 2 I/O queues, it sets up none, and never asks the
 * controller for them), and I/O fails at once naming why. Before, the zero
 * IOCCSZ failed the connect.
 */
static void test_admin_controller(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_ADMIN_CTRL, &o, 2);
	struct nvmf_ctrl_info ci;
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t id[4096], buf[512];

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_int_equal(ci.cntrltype, 3);
	assert_int_equal(ci.nr_io_queues, 0);
	assert_int_equal(nvmf_identify(c, NVMF_CNS_CTRL, 0, 0, 0, id), 0);
	assert_int_equal(id[111], 3);
	assert_true(nvmf_read(c, 1, buf, 0, 1, 0) < 0);
	assert_non_null(strstr(nvmf_get_error(), "no I/O queues (an administrative controller"));
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.triggered, 0);	/* no Number of Queues, no I/O Connect */
	assert_int_equal(st.connects, st.admin_connects);
}

static void test_identify_bad_lbads(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IDENTIFY_BAD_LBADS, &o, 1);
	struct nvmf_ctrl *c;
	struct nvmf_ns_info ni;
	uint8_t buf[512];

	(void)state;
	/* The controller is usable; the namespace is listed as unsupported. */
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	assert_non_null(strstr(ni.reason, "LBADS 3"));
	assert_int_equal(nvmf_read(c, 1, buf, 0, 1, 0), -EOPNOTSUPP);
	assert_non_null(strstr(nvmf_get_error(), "LBADS"));
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/* An active namespace list that is not ascending fails the connect, and
 * the message says what was wrong with the list, not just "Protocol error". */
static void test_ns_list_dup(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_NS_LIST_DUP, &o, 1);
	struct nvmf_ctrl *c;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), -EPROTO);
	if (!strstr(nvmf_get_error(), "namespace scan failed: active namespace list: NSID 1 "
				      "at entry 1 is not ascending"))
		fail_msg("connect: %s", nvmf_get_error());
	fake_ctrl_stop(fc, NULL);
}

static void test_no_answer(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_NO_ANSWER, &o, 1);
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	o.io_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -ETIMEDOUT);
	assert_non_null(strstr(nvmf_get_error(), "Read"));
	/* A command timeout resets the controller (nvmf.h, OUTAGES); without
	 * reconnect it is dead, says why, and still closes cleanly. */
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -ECONNRESET);
	assert_int_equal(nvmf_identify(c, 1, 0, 0, 0, buf), -ECONNRESET);
	{
		struct nvmf_ctrl_state_info st;

		assert_int_equal(nvmf_ctrl_get_state(c, &st), 0);
		assert_int_equal(st.state, NVMF_CTRL_DEAD);
		if (!strstr(st.msg, "ctrl_loss_tmo 0") || !strstr(st.msg, "timeout"))
			fail_msg("state message: %s", st.msg);
	}
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
}

/*
 * A data digest error fails one command with Transient Transport Error
 * (NVMe/TCP 1.0, 3.6.2.1) and the message says it was the digest, not
 * just the status the transport made up for it; the queue goes on.
 */
static void test_ddgst_error_message(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_DDGST_ERROR, &o, 1);
	struct nvmf_ctrl *c;
	struct nvmf_completion cpl;
	struct fake_stats st;
	uint8_t buf[4096], sqe[64] = { 0x02 };

	(void)state;
	o.data_digest = true;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	/* A passthrough command is the caller's to retry (dispatch.c). */
	nvmf_put_le32(sqe + 4, 1);
	nvmf_put_le64(sqe + 40, 0);
	nvmf_put_le32(sqe + 48, 7);
	assert_int_equal(nvmf_io_passthru(c, sqe, buf, sizeof(buf), NVMF_DIR_FROM_CTRL, &cpl),
			 -EIO);
	assert_int_equal(NVMF_SF_SC(nvmf_get_status()), NVMF_SC_TRANSIENT_TRANSPORT);
	if (strstr(nvmf_get_error(), "Transient Transport Error") == NULL ||
	    strstr(nvmf_get_error(), "data digest error in C2HData") == NULL)
		fail_msg("error '%s' does not name the status and the digest", nvmf_get_error());
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
	/* A read is retried: the status has no DNR. */
	fc = start_fake(FAKE_DDGST_ERROR, &o, 1);
	o.data_digest = true;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(buf[0], fake_pattern(0));
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.triggered, 1);
}

/*
 * A status without DNR: I/O is submitted again, up to 5 times, after the
 * delay CRD picks (CRDT1, which the host enabled with ACRE); data intact.
 */
static void test_io_interrupted(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_INTERRUPTED, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t wbuf[8192], rbuf[8192];
	uint64_t t0;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = (uint8_t)(i * 7 + 1);
	/* 8 KiB: beyond the fake's 4 KiB in-capsule data, by R2T. Three
	 * times interrupted, each CRD 1: 100 ms at least before each retry
	 * (a lower bound, which a loaded machine only lengthens). */
	t0 = uv_hrtime();
	assert_int_equal(nvmf_write(c, 1, wbuf, 64, 16, 0), 0);
	assert_true(uv_hrtime() - t0 >= 300 * 1000000ull);
	assert_int_equal(nvmf_read(c, 1, rbuf, 64, 16, 0), 0);
	assert_memory_equal(rbuf, wbuf, sizeof(wbuf));
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 3);
	assert_true(st.acre);
	assert_int_equal(st.acre_crd, 3);

	/* Never anything else: the 6th answer is the caller's. */
	fc = start_fake(FAKE_IO_INTERRUPTED_ALWAYS, &o, 1);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, rbuf, 0, 8, 0), -EIO);
	assert_int_equal(NVMF_SF_SC(nvmf_get_status()), NVMF_SC_CMD_INTERRUPTED);
	if (strstr(nvmf_get_error(), "Command Interrupted") == NULL ||
	    strstr(nvmf_get_error(), "(attempt 6; retried for a status without DNR)") == NULL)
		fail_msg("error '%s' does not name the status and the attempts", nvmf_get_error());
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 6);
	assert_false(st.acre);	/* no CRDT: not asked for */
}

static void result_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	(void)cookie;
	__atomic_store_n((int *)user, cpl->result, __ATOMIC_RELEASE);
}

/*
 * Commands waiting for a free queue entry go on when a retried command
 * gives its entry back: 12 reads on one queue of 4 entries (3 usable),
 * the first 3 interrupted. Before, the waiting ones stalled until an
 * unrelated completion (Keep Alive, KATO/2 later) or their timeout.
 */
static void test_io_interrupted_waitq(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_INTERRUPTED, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t rbuf[12][4096];
	int result[12];

	(void)state;
	o.queue_size = 4;
	o.kato = 60;		/* no Keep Alive completion to unstick it */
	o.io_timeout = 20;	/* the stall failed them with -ETIMEDOUT */
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 12; i++) {
		result[i] = 1;
		assert_true(nvmf_aio_read(c, 1, rbuf[i], (uint64_t)i * 8, 8, 0,
					  (struct nvmf_callback){ result_cb, &result[i], NULL }) >= 0);
	}
	for (int i = 0; i < 12; i++) {
		for (int w = 0; w < 1000 && __atomic_load_n(&result[i], __ATOMIC_ACQUIRE) == 1; w++)
			usleep(10000);
		assert_int_equal(__atomic_load_n(&result[i], __ATOMIC_ACQUIRE), 0);
		assert_int_equal(rbuf[i][0], fake_pattern((uint64_t)i * 4096));
	}
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 3);
}

/*
 * A retry delay is bounded by the command's timeout (CRDT1 60 s here,
 * io_timeout 1 s), and a command waiting for its retry is canceled by
 * nvmf_disconnect() like one in flight.
 */
static void test_io_interrupted_slow(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_INTERRUPTED_SLOW, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t rbuf[4096];
	int result = 1;

	(void)state;
	o.io_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, rbuf, 0, 8, 0), 0);
	assert_int_equal(rbuf[0], fake_pattern(0));
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 2);
	assert_int_equal(st.acre_crd, 2);

	fc = start_fake(FAKE_IO_INTERRUPTED_SLOW, &o, 1);
	o.io_timeout = 30;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_true(nvmf_aio_read(c, 1, rbuf, 0, 8, 0,
				  (struct nvmf_callback){ result_cb, &result, NULL }) >= 0);
	/* Its first answer came: it waits for its retry (30 s). */
	for (int i = 0; i < 1000; i++) {
		fake_ctrl_stats(fc, &st);
		if (st.interrupted >= 1)
			break;
		usleep(10000);
	}
	assert_int_equal(st.interrupted, 1);
	assert_int_equal(__atomic_load_n(&result, __ATOMIC_ACQUIRE), 1);
	nvmf_disconnect(c);
	assert_int_equal(__atomic_load_n(&result, __ATOMIC_ACQUIRE), -ECANCELED);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.interrupted, 1);
}

/*
 * Reads submitted before nvmf_disconnect() complete before the shutdown:
 * the fake answers each 200 ms late, and one that reached it after CC.SHN
 * would get Command Sequence Error. Before, the shutdown went out at once
 * and the reads were canceled (-ECANCELED) when the queues closed; with a
 * real controller, some failed with that error status (-EIO).
 */
static void test_disconnect_drains(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_SLOW, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t rbuf[3][4096];
	int result[3] = { 1, 1, 1 };

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 3; i++)
		assert_true(nvmf_aio_read(c, 1, rbuf[i], (uint64_t)i * 8, 8, 0,
					  (struct nvmf_callback){ result_cb, &result[i], NULL }) >= 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(result[i], 0);
		assert_int_equal(rbuf[i][0], fake_pattern((uint64_t)i * 4096));
	}
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.triggered, 3);
}

/*
 * No event once nvmf_disconnect() has begun (nvmf_events(3)): the
 * connections dropped during its drain used to send CONN_LOST from inside
 * the call.
 *
 * The drop comes once the drain has begun, whatever the threads' timing:
 * each read's completion submits it again until a submission is refused
 * with -ESHUTDOWN, which says the drain has begun (nothing new is taken
 * then, callbacks' resubmissions included), and only that lets the drop
 * thread go. So reads are in flight when the drain begins, however late the
 * main thread gets there, and the drop never comes before it (a CONN_LOST
 * then would be no late event).
 */
struct quiet_ctx {
	int disconnecting;	/* __atomic: set before nvmf_disconnect() */
	int late_events;	/* __atomic: events after that */
	int drain_seen;		/* __atomic: a resubmission was refused with -ESHUTDOWN */
	int disconnected;	/* __atomic: nvmf_disconnect() has returned */
	int other_refusal;	/* __atomic: a resubmission refused otherwise (its error) */
	struct nvmf_ctrl *c;
	struct fake_ctrl *fc;
	uint8_t rbuf[10][4096];
	int result[10];
};

struct quiet_read {
	struct quiet_ctx *x;
	int i;
};

static void quiet_ev(void *user, const struct nvmf_event *ev)
{
	struct quiet_ctx *x = user;

	(void)ev;
	if (__atomic_load_n(&x->disconnecting, __ATOMIC_ACQUIRE))
		__atomic_fetch_add(&x->late_events, 1, __ATOMIC_ACQ_REL);
}

static int64_t quiet_submit(struct quiet_read *r);

/* On the I/O thread, which nvmf_disconnect() waits for: x->c is valid. */
static void quiet_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct quiet_read *r = user;
	struct quiet_ctx *x = r->x;
	int64_t n;

	(void)cookie;
	if (__atomic_load_n(&x->drain_seen, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&x->result[r->i], cpl->result, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&x->result[r->i], 1, __ATOMIC_RELEASE);
	n = quiet_submit(r);
	if (n >= 0)
		return;
	__atomic_store_n(&x->result[r->i], cpl->result, __ATOMIC_RELEASE);
	if (n == -ESHUTDOWN)
		__atomic_store_n(&x->drain_seen, 1, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&x->other_refusal, (int)n, __ATOMIC_RELEASE);
}

static int64_t quiet_submit(struct quiet_read *r)
{
	return nvmf_aio_read(r->x->c, 1, r->x->rbuf[r->i], (uint64_t)r->i * 8, 8, 0,
			     (struct nvmf_callback){ quiet_done, r, NULL });
}

static void quiet_drop(void *arg)
{
	struct quiet_ctx *x = arg;

	/* Inside the drain, which lasts as long as the reads in flight (200 ms
	 * each, one after the other: 2 s). */
	while (!__atomic_load_n(&x->drain_seen, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&x->disconnected, __ATOMIC_ACQUIRE))
		uv_sleep(1);
	fake_ctrl_drop(x->fc);
}

static void test_disconnect_no_events(void **state)
{
	struct nvmf_opts o;
	static struct quiet_ctx x;
	struct quiet_read rd[10];
	uv_thread_t t;

	(void)state;
	memset(&x, 0, sizeof(x));
	x.fc = start_fake(FAKE_IO_SLOW, &o, 1);
	o.event_cb = quiet_ev;
	o.event_user = &x;
	assert_int_equal(nvmf_connect(&o, &x.c), 0);
	for (int i = 0; i < 10; i++) {
		rd[i] = (struct quiet_read){ &x, i };
		x.result[i] = 1;
		assert_true(quiet_submit(&rd[i]) >= 0);
	}
	__atomic_store_n(&x.disconnecting, 1, __ATOMIC_RELEASE);
	assert_int_equal(uv_thread_create(&t, quiet_drop, &x), 0);
	(void)nvmf_disconnect(x.c);	/* its shutdown may fail: the connections dropped */
	__atomic_store_n(&x.disconnected, 1, __ATOMIC_RELEASE);
	assert_int_equal(uv_thread_join(&t), 0);
	assert_int_equal(__atomic_load_n(&x.other_refusal, __ATOMIC_ACQUIRE), 0);
	assert_true(__atomic_load_n(&x.drain_seen, __ATOMIC_ACQUIRE));	/* dropped while draining */
	assert_int_equal(__atomic_load_n(&x.late_events, __ATOMIC_ACQUIRE), 0);
	for (int i = 0; i < 10; i++)
		assert_true(__atomic_load_n(&x.result[i], __ATOMIC_ACQUIRE) != 1);	/* each completed */
	fake_ctrl_stop(x.fc, NULL);
}

/*
 * The drain in the caller's-loop mode, the loop not run for 5.5 s before
 * nvmf_disconnect(): its deadline counts from the call, not from the
 * loop's last turn (the time libuv had cached). Before, it had passed at
 * once and the reads were canceled (-ECANCELED).
 */
static void test_disconnect_drains_loop(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IO_SLOW, &o, 1);
	struct nvmf_ctrl *c;
	uv_loop_t loop;
	static uint8_t rbuf[3][4096];
	int result[3] = { 1, 1, 1 };

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	o.loop = &loop;
	o.io_timeout = 30;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 3; i++)
		assert_true(nvmf_aio_read(c, 1, rbuf[i], (uint64_t)i * 8, 8, 0,
					  (struct nvmf_callback){ result_cb, &result[i], NULL }) >= 0);
	usleep(5500 * 1000);	/* the application busy elsewhere */
	assert_int_equal(nvmf_disconnect(c), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(result[i], 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Completion callbacks that resubmit (an application's I/O loop) while
 * nvmf_disconnect() drains: their submissions are refused (-ESHUTDOWN), so
 * the drain ends with what was submitted before; every callback still
 * runs once. Before, each resubmission was taken and the drain ran its 5 s
 * out ("... still in flight after 5000 ms").
 */
struct resub {
	struct nvmf_ctrl *c;
	uint8_t buf[8][4096];
	unsigned done;		/* __atomic: completions */
	unsigned refused;	/* ... resubmissions refused with -ESHUTDOWN */
	unsigned other;		/* ... refused otherwise */
	unsigned late_msgs;	/* "still in flight" log messages */
};

static struct resub *resub_log;

static void resub_log_cb(void *user, enum nvmf_log_level lvl, const char *msg)
{
	(void)user;
	(void)lvl;
	if (strstr(msg, "still in flight"))
		__atomic_add_fetch(&resub_log->late_msgs, 1, __ATOMIC_RELAXED);
}

static void resub_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl);

static int64_t resub_submit(struct resub *x, unsigned i)
{
	return nvmf_aio_read(x->c, 1, x->buf[i], (uint64_t)i * 8, 8, 0,
			     (struct nvmf_callback){ resub_cb, (void *)(uintptr_t)i, NULL });
}

static void resub_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct resub *x = resub_log;
	int64_t r;

	(void)cookie;
	(void)cpl;
	__atomic_add_fetch(&x->done, 1, __ATOMIC_RELAXED);
	r = resub_submit(x, (unsigned)(uintptr_t)user);
	if (r == -ESHUTDOWN)
		__atomic_add_fetch(&x->refused, 1, __ATOMIC_RELAXED);
	else if (r < 0)
		__atomic_add_fetch(&x->other, 1, __ATOMIC_RELAXED);
}

static void test_disconnect_refuses_resubmits(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	static struct resub x;

	(void)state;
	memset(&x, 0, sizeof(x));
	resub_log = &x;
	assert_int_equal(nvmf_connect(&o, &x.c), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_true(resub_submit(&x, i) >= 0);
	for (int i = 0; i < 1000 && __atomic_load_n(&x.done, __ATOMIC_RELAXED) < 200; i++)
		usleep(10000);
	assert_true(__atomic_load_n(&x.done, __ATOMIC_RELAXED) >= 200);
	nvmf_set_log_callback(resub_log_cb, NULL);
	assert_int_equal(nvmf_disconnect(x.c), 0);
	nvmf_set_log_callback(NULL, NULL);
	/* The 8 loops each ended with one refused resubmission. */
	assert_int_equal(x.refused, 8);
	assert_int_equal(x.other, 0);
	assert_int_equal(x.late_msgs, 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * The admin queue is lost while an I/O queue's transport connect is under
 * way (its ICReq unanswered): nvmf_connect fails, promptly and with the
 * cause, instead of waiting for a connect the closed queue pair will never
 * report. Before the fix it never returned.
 */
static void test_admin_lost_during_io_connect(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_ADMIN_LOST_AT_IO_ICREQ, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c = NULL;

	(void)state;
	o.connect_timeout = 30;	/* far beyond what the test may take */
	assert_true(nvmf_connect(&o, &c) < 0);
	assert_null(c);
	if (strstr(nvmf_get_error(), "admin queue") == NULL)
		fail_msg("error '%s' does not say the admin queue was lost", nvmf_get_error());
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.triggered, 1);
}

static void test_refused(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct nvmf_ctrl *c;

	(void)state;
	fake_ctrl_stop(fc, NULL);	/* nothing listens on the port now */
	assert_true(nvmf_connect(&o, &c) < 0);
	assert_non_null(strstr(nvmf_get_error(), "127.0.0.1"));
	/* Option checks. */
	o.queue_size = 1;
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "queue size"));
}

/* SQ flow control disabled: Connect says so and reads may end with SUCCESS. */
static void test_sqflow_disabled(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_C2H_SUCCESS, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	o.disable_sqflow = true;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(buf[0], fake_pattern(0));
	assert_int_equal(nvmf_read(c, 1, buf, 8, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	assert_true(st.connect_sqfc_disabled);
}

/* The log callback receives the library's debug messages. */
static int log_connected;

static void log_cb(void *user, enum nvmf_log_level lvl, const char *msg)
{
	(void)user;
	if (lvl == NVMF_LOG_DEBUG && strstr(msg, "connected to 127.0.0.1") && strstr(msg, "I/O queues of"))
		log_connected++;
}

static void test_log_callback(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct nvmf_ctrl *c;

	(void)state;
	nvmf_set_log_callback(log_cb, NULL);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	nvmf_set_log_callback(NULL, NULL);
	assert_int_equal(log_connected, 1);
	fake_ctrl_stop(fc, NULL);
}

/*
 * An orderly disconnect is quiet: a controller that drops every connection
 * once it reported shutdown complete (CSTS.SHST 10b after CC.SHN, NVMe Base
 * 2.0, 3.6.2) ends nothing the host still needs, so neither the host nor the
 * transport under it may report an error or a warning, and nvmf_disconnect()
 * succeeds. Checked through the log callback, which sees every message.
 */
struct log_tally {
	int bad;		/* ERROR and WARN messages */
	char first[512];	/* the first of them */
};

static void tally_cb(void *user, enum nvmf_log_level lvl, const char *msg)
{
	struct log_tally *t = user;

	if (lvl > NVMF_LOG_WARN)
		return;
	if (__atomic_fetch_add(&t->bad, 1, __ATOMIC_ACQ_REL) == 0)
		snprintf(t->first, sizeof(t->first), "%s: %s", lvl == NVMF_LOG_ERROR ? "error"
			 : "warning", msg);
}

static void test_close_after_shn_quiet(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_CLOSE_AFTER_SHN, &o, 2);
	struct log_tally t = { 0 };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	nvmf_set_log_callback(tally_cb, &t);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_write(c, 1, buf, 8, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	nvmf_set_log_callback(NULL, NULL);
	fake_ctrl_stop(fc, &st);
	/* The fake did close the connections: else this checks nothing. */
	assert_true(st.triggered >= 1);
	if (t.bad)
		fail_msg("%d error/warning message(s) during an orderly disconnect, first: %s",
			 t.bad, t.first);
}

/* Keep Alive goes out by itself while the host is idle (KATO 1 s: every 500 ms). */
static void test_keep_alive(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;
	unsigned before;

	(void)state;
	o.kato = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	fake_ctrl_stats(fc, &st);
	before = st.cmds;
	for (int i = 0; i < 1000 && st.cmds < before + 2; i++) {
		uv_sleep(10);
		fake_ctrl_stats(fc, &st);
	}
	assert_true(st.cmds >= before + 2);	/* bounded wait, not a timing check */
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * A command held for lack of a free submission queue entry has a bound: with
 * SQ flow control on and a controller whose SQHD never advances, the I/O
 * queue of 8 entries takes 7 commands (Connect's entry consumed, the head
 * stuck at 1) and never another; the
 * ones held behind them fail with -ETIMEDOUT after io_timeout, not never.
 */
struct held_ctx {
	int done, ok, timedout, other;
	char msg[512];
};

static void held_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct held_ctx *x = user;

	(void)cookie;
	if (cpl->result == 0)
		x->ok++;
	else if (cpl->result == -ETIMEDOUT) {
		if (x->timedout++ == 0)
			snprintf(x->msg, sizeof(x->msg), "%s", nvmf_completion_errmsg(cpl));
	} else
		x->other++;
	__atomic_fetch_add(&x->done, 1, __ATOMIC_ACQ_REL);
}

static void test_held_command_times_out(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_SQHD_STUCK, &o, 1);
	struct held_ctx x = { 0 };
	struct nvmf_ctrl *c;
	uint8_t *buf = malloc(12 * 4096);

	(void)state;
	o.queue_size = 8;
	o.io_timeout = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 12; i++)
		assert_true(nvmf_aio_read(c, 1, buf + i * 4096, (uint64_t)i * 8, 8, 0,
					  (struct nvmf_callback){ held_cb, &x, NULL }) > 0);
	for (int i = 0; i < 10000 && __atomic_load_n(&x.done, __ATOMIC_ACQUIRE) < 12; i++)
		uv_sleep(1);
	assert_int_equal(__atomic_load_n(&x.done, __ATOMIC_ACQUIRE), 12);
	assert_int_equal(x.other, 0);
	assert_int_equal(x.ok, 7);
	assert_int_equal(x.timedout, 5);
	if (!strstr(x.msg, "Read timed out") || !strstr(x.msg, "submission queue entry"))
		fail_msg("completion text: \"%s\"", x.msg);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
	free(buf);
}

/*
 * Losing the admin queue ends the association (keep-alive timeout: the
 * controller has given the host up, NVMe Base 2.0, 3.9): the I/O queues stop
 * with it. A command in flight on an I/O queue fails at once, not after
 * io_timeout (30 s here), and so does new I/O. The fake stops answering
 * anything from the first Keep Alive on, as a silent partition would.
 */
struct admin_lost_ctx {
	int admin_lost;
	int done, result;
	char msg[512];
};

static void admin_lost_ev(void *user, const struct nvmf_event *ev)
{
	struct admin_lost_ctx *x = user;

	if (ev->type == NVMF_EVENT_CONN_LOST && strstr(ev->msg, "the admin queue was lost: Keep Alive got no answer") != NULL)
		__atomic_store_n(&x->admin_lost, 1, __ATOMIC_RELEASE);
}

static void admin_lost_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct admin_lost_ctx *x = user;

	(void)cookie;
	x->result = cpl->result;
	snprintf(x->msg, sizeof(x->msg), "%s", nvmf_completion_errmsg(cpl));
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
}

static bool wait_flag(int *flag, unsigned ms)
{
	for (unsigned i = 0; i < ms && !__atomic_load_n(flag, __ATOMIC_ACQUIRE); i++)
		uv_sleep(1);
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

static void test_admin_lost_stops_io(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_KA_BLACKHOLE, &o, 1);
	struct admin_lost_ctx x = { 0 }, y = { 0 };
	struct fake_stats st = { 0 };
	struct nvmf_ctrl *c;
	uint8_t buf[4096];
	int64_t r;

	(void)state;
	o.kato = 1;
	o.io_timeout = 30;
	o.event_cb = admin_lost_ev;
	o.event_user = &x;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 5000 && st.triggered == 0; i++) {
		uv_sleep(1);
		fake_ctrl_stats(fc, &st);
	}
	assert_true(st.triggered >= 1);		/* the partition began */
	/* In flight on the I/O queue when the keep-alive timeout hits. */
	assert_true(nvmf_aio_read(c, 1, buf, 0, 8, 0,
				  (struct nvmf_callback){ admin_lost_cb, &x, NULL }) > 0);
	assert_true(wait_flag(&x.admin_lost, 5000));
	assert_true(wait_flag(&x.done, 5000));
	assert_true(x.result < 0);
	if (!strstr(x.msg, "admin queue"))
		fail_msg("completion text: \"%s\"", x.msg);
	/* New I/O fails at once too. */
	r = nvmf_aio_read(c, 1, buf, 0, 8, 0, (struct nvmf_callback){ admin_lost_cb, &y, NULL });
	if (r > 0) {
		assert_true(wait_flag(&y.done, 5000));
		assert_true(y.result < 0);
	}
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Keep Alive is never held behind a burst of admin commands: 40 Get Log Page
 * commands the controller never answers fill the admin queue (31 entries)
 * and wait, yet Keep Alive still reaches the controller within its KATO (1 s),
 * before the commands' own timeout (3 s) ends the burst. An entry of the admin
 * queue is kept for it, as Linux reserves one (NVMF_RESERVED_TAGS).
 */
static void test_keep_alive_not_held(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_LOG_NO_ANSWER, &o, 1);
	struct held_ctx x = { 0 };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	static uint8_t logs[40][512];
	unsigned before;

	(void)state;
	o.kato = 1;
	o.io_timeout = 3;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	fake_ctrl_stats(fc, &st);
	before = st.keep_alives;
	for (int i = 0; i < 40; i++)
		assert_true(nvmf_aio_get_log_page(c, 2, NVMF_NSID_ALL, 0, false, 0, logs[i], 512,
						  (struct nvmf_callback){ held_cb, &x, NULL }) > 0);
	for (int i = 0; i < 2500 && st.keep_alives == before; i++) {
		uv_sleep(1);
		fake_ctrl_stats(fc, &st);
	}
	assert_true(st.keep_alives > before);
	nvmf_disconnect(c);
	fake_ctrl_stop(fc, NULL);
	assert_int_equal(x.done, 40);
}

/*
 * Keep-alive starts as soon as the controller is enabled, not after the
 * namespace scan: KATO runs from the Connect command's completion (Base
 * 2.0, 3.9.4), and here the four Identify commands of the bring-up take 1.2 s
 * against a KATO of 1 s. Keep Alive must have reached the controller by the
 * time nvmf_connect() returns.
 */
static void test_keep_alive_during_connect(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_IDENTIFY_SLOW, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c;

	(void)state;
	o.kato = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	fake_ctrl_stats(fc, &st);
	assert_true(st.triggered >= 4);		/* the slow Identify commands */
	assert_true(st.keep_alives >= 1);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * Two namespace notices back to back: each Changed Namespace List read has
 * its own buffer. The fake holds the first read until the second arrives and
 * sends the second's data (NSID 2) before the first's (NSID 1): each event
 * must carry its own list, {1} and {2}, not the last data received twice.
 */
struct notice_ctx {
	int n;
	uint32_t nsid[2], count[2];
};

static void notice_ev(void *user, const struct nvmf_event *ev)
{
	struct notice_ctx *x = user;
	int i = __atomic_load_n(&x->n, __ATOMIC_ACQUIRE);

	if (ev->type != NVMF_EVENT_NS_CHANGED || i >= 2)
		return;
	x->count[i] = ev->nr_nsids;
	x->nsid[i] = ev->nr_nsids ? ev->nsids[0] : 0;
	__atomic_store_n(&x->n, i + 1, __ATOMIC_RELEASE);
}

static void test_ns_notices_back_to_back(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_NS_NOTICE_TWICE, &o, 1);
	struct notice_ctx x = { 0 };
	struct fake_stats st;
	struct nvmf_ctrl *c;

	(void)state;
	o.event_cb = notice_ev;
	o.event_user = &x;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 5000 && __atomic_load_n(&x.n, __ATOMIC_ACQUIRE) < 2; i++)
		uv_sleep(1);
	assert_int_equal(__atomic_load_n(&x.n, __ATOMIC_ACQUIRE), 2);
	assert_int_equal(x.count[0], 1);
	assert_int_equal(x.count[1], 1);
	if (!((x.nsid[0] == 1 && x.nsid[1] == 2) || (x.nsid[0] == 2 && x.nsid[1] == 1)))
		fail_msg("the two notices reported NSID %u and NSID %u, not 1 and 2", x.nsid[0],
			 x.nsid[1]);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.triggered, 1);
}

/*
 * A live Format NVM: after a namespace notice, Identify Namespace reports
 * 4096-byte blocks where it reported 512. The application sized its
 * buffers in 512-byte blocks, so the namespace must not be used with the
 * new size (a one-block read would bring 4096 bytes into 512): it becomes
 * unsupported, naming the LBA format, and a read is refused.
 */
static void test_ns_lba_format_changes_live(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_NS_LBA_CHANGES, &o, 1);
	struct nvmf_ns_info ni = { 0 };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t *buf = malloc(512);

	(void)state;
	assert_non_null(buf);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
		if (!ni.supported)
			break;
		uv_sleep(1);
	}
	assert_false(ni.supported);
	assert_int_equal(ni.lba_size, 4096);	/* what the controller says now */
	if (!strstr(ni.reason, "not the same namespace") || !strstr(ni.reason, "LBA format"))
		fail_msg("reason: %s", ni.reason);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 1, 0), -EOPNOTSUPP);
	assert_non_null(strstr(nvmf_get_error(), "LBA format"));
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.triggered, 1);
	free(buf);
}

/* A namespace unusable for its metadata, reformatted live without: it
 * becomes usable (nobody sized buffers for it), as it would after a
 * reconnect. */
static void test_ns_format_made_usable(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_NS_FORMAT_USABLE, &o, 1);
	struct nvmf_ns_info ni = { 0 };
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
		if (ni.supported)
			break;
		uv_sleep(1);
	}
	if (!ni.supported)
		fail_msg("still unsupported after the reformat: %s", ni.reason);
	assert_int_equal(ni.lba_size, 512);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * 40 namespace notices as fast as the AER can be re-armed, rescans slower
 * (each active-list Identify 20 ms late): the host handles at most a few
 * at once and takes the rest up as they end, so it reads the Changed
 * Namespace List fewer times than notices came (each read it makes still
 * ends in one NS_CHANGED event), the last notice is not lost (a read
 * follows it), and the controller stays usable.
 */
struct flood_ctx {
	unsigned events;
};

static void flood_ev(void *user, const struct nvmf_event *ev)
{
	struct flood_ctx *x = user;

	if (ev->type == NVMF_EVENT_NS_CHANGED)
		__atomic_add_fetch(&x->events, 1, __ATOMIC_RELEASE);
}

static void test_ns_notice_flood(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_NS_NOTICE_FLOOD, &o, 1);
	struct flood_ctx x = { 0 };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t buf[4096];
	unsigned reads = 0, events = 0;

	(void)state;
	o.event_cb = flood_ev;
	o.event_user = &x;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	/* Until the 40 AERs were answered and every read's event came, and
	 * that stays so for 200 ms (a missed notice is read after the others). */
	for (int i = 0, still = 0; i < 20000 && still < 200; i++) {
		fake_ctrl_stats(fc, &st);
		events = __atomic_load_n(&x.events, __ATOMIC_ACQUIRE);
		if (st.changed_log_reads == reads && events == reads && reads > 0)
			still++;
		else
			still = 0;
		reads = st.changed_log_reads;
		uv_sleep(1);
	}
	assert_true(reads > 0);
	assert_int_equal(events, reads);
	if (reads >= 40)
		fail_msg("%u Changed Namespace List reads for 40 notices: none taken together",
			 reads);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.triggered, 1);
}

/*
 * A namespace that grows at every notice: each rescan publishes a new table,
 * and the replaced ones are freed at once when no reader is inside, else at
 * the next Keep Alive tick, not kept until the disconnect, so a controller
 * that keeps changing its namespaces does not grow the host's memory.
 */
struct ns_reader {
	struct nvmf_ctrl *c;
	int stop;		/* __atomic */
	int errors;
	uv_thread_t t;
};

/* Reads (each checking the namespace in the current table) while the
 * tables are being replaced: ASan sees a table freed under a reader. */
static void ns_reader_main(void *arg)
{
	struct ns_reader *w = arg;
	uint8_t buf[4096];
	struct nvmf_ns_info ni;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		if (nvmf_read(w->c, 1, buf, 0, 8, 0) < 0 || nvmf_get_ns_info(w->c, 1, &ni) < 0)
			w->errors++;
	}
}

static void test_ns_tables_freed(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_NS_GROWS, &o, 1);
	struct nvmf_ns_info ni;
	struct nvmf_ctrl *c;
	struct ns_reader w[2];
	const struct nvmf_ns_info *held;
	uint64_t held_nsze;
	uint8_t buf[4096];

	(void)state;
	o.kato = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	/* A reader inside (as a submitter between its lookup and its last use
	 * of the entry) keeps the tables it may be looking at. */
	host_ns_enter(c);
	held = host_ns_lookup(c, 1);
	assert_non_null(held);
	held_nsze = held->nsze;
	for (int i = 0; i < 2; i++) {
		w[i] = (struct ns_reader){ .c = c };
		assert_int_equal(uv_thread_create(&w[i].t, ns_reader_main, &w[i]), 0);
	}
	/* The fake's default disk: 8192 blocks, reported 20 fewer at first. */
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
		if (ni.nsze == 8192)
			break;
		uv_sleep(1);
	}
	for (int i = 0; i < 2; i++) {
		__atomic_store_n(&w[i].stop, 1, __ATOMIC_RELEASE);
		uv_thread_join(&w[i].t);
		assert_int_equal(w[i].errors, 0);
	}
	assert_int_equal(ni.nsze, 8192);
	if (held_nsze < 8192) {
		/* Replaced since: kept, and still readable (ASan). */
		assert_true(host_ns_retired(c) > 0);
		assert_int_equal(held->nsze, held_nsze);
	} else {
		print_message("every notice was handled before the lookup: nothing held\n");
	}
	host_ns_exit(c);
	/* No scan comes any more: the next Keep Alive tick (KATO 1 s: every
	 * 500 ms) frees them. */
	for (int i = 0; i < 200 && host_ns_retired(c) > 0; i++)
		uv_sleep(50);
	assert_int_equal(host_ns_retired(c), 0);
	assert_int_equal(nvmf_read(c, 1, buf, ni.nsze - 8, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/* Synchronous calls from several threads at once share the I/O thread. */
struct worker {
	struct nvmf_ctrl *c;
	int id;
	int errors;
	uv_thread_t t;
};

static void worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[4096], rbuf[4096];

	for (int i = 0; i < 50; i++) {
		uint64_t lba = (uint64_t)(w->id * 400 + i * 8);

		memset(buf, w->id * 50 + i, sizeof(buf));
		if (nvmf_write(w->c, 1, buf, lba, 8, 0) < 0 ||
		    nvmf_read(w->c, 1, rbuf, lba, 8, 0) < 0 || memcmp(buf, rbuf, sizeof(buf)))
			w->errors++;
	}
}

static void test_threads(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 2);
	struct worker w[4];
	struct nvmf_ctrl *c;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .c = c, .id = i };
		assert_int_equal(uv_thread_create(&w[i].t, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		uv_thread_join(&w[i].t);
		assert_int_equal(w[i].errors, 0);
	}
	assert_int_equal(nvmf_aio_in_flight(c), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/* lower-cased copy, for case-blind checks of messages */
static const char *lower(const char *s)
{
	static char buf[1024];
	size_t i;

	for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	buf[i] = '\0';
	return buf;
}

/* A refused ICResp is a protocol error, not a refused TCP connection. */
static void test_icresp_rejected(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_ICRESP_BAD_PFV, &o, 1);
	struct nvmf_ctrl *c = (void *)1;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), -EPROTO);
	assert_null(c);
	assert_int_equal(nvmf_get_errno(), EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "ICResp: PFV 1"));
	assert_null(strstr(nvmf_get_error(), "refused"));
	fake_ctrl_stop(fc, NULL);
}

/* Connect status Authentication Required (SCT 1h SC 91h): -EACCES, said
 * plainly, the status kept. */
static void test_auth_required_status(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_AUTH_REQUIRED, &o, 1);
	struct nvmf_ctrl *c = (void *)1;
	struct fake_stats st;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), -EACCES);
	assert_null(c);
	assert_int_equal(nvmf_get_errno(), EACCES);
	assert_int_equal(nvmf_get_status(), NVMF_SF(1, 0x91, 1));
	assert_non_null(strstr(nvmf_get_error(), "Authentication Required (SCT 1h SC 91h, DNR)"));
	assert_non_null(strstr(lower(nvmf_get_error()), "requires in-band authentication"));
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.connects, 1);
}

/* A successful Connect whose AUTHREQ has ATR set: the same, by -EACCES. */
static void test_authreq_atr(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_AUTHREQ_ATR, &o, 1);
	struct nvmf_ctrl *c = (void *)1;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), -EACCES);
	assert_null(c);
	assert_non_null(strstr(lower(nvmf_get_error()), "authentication required"));
	assert_non_null(strstr(nvmf_get_error(), "AUTHREQ 0002h"));
	fake_ctrl_stop(fc, NULL);
}

/* Connect Invalid Parameters: the status text, what SUBNQN means and the offset. */
static void test_connect_invalid_param(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_CONNECT_INVALID_PARAM, &o, 1);
	struct nvmf_ctrl *c = (void *)1;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), -EIO);
	assert_null(c);
	assert_int_equal(nvmf_get_status(), NVMF_SF(1, 0x82, 1));
	/* Connect's name of 82h alone, not the NVM one ("Attempted Write to
	 * Read Only Range") that shares the code. */
	assert_non_null(strstr(nvmf_get_error(), "queue 0 Connect failed: Connect Invalid "
			       "Parameters (SCT 1h SC 82h, DNR)"));
	/* IPO 256 in the data is SUBNQN: said in words, the offset kept. */
	assert_non_null(strstr(nvmf_get_error(), "the target has no subsystem "));
	assert_non_null(strstr(nvmf_get_error(), o.subnqn));
	assert_non_null(strstr(nvmf_get_error(), "(SUBNQN, at offset 256 of the Connect data)"));
	fake_ctrl_stop(fc, NULL);
}

/* The same refusal of the discovery NQN: the port may serve I/O only. */
static void test_connect_invalid_param_discovery(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_CONNECT_INVALID_PARAM, &o, 0);
	struct nvmf_ctrl *c = (void *)1;

	(void)state;
	snprintf(o.subnqn, sizeof(o.subnqn), "%s", NVMF_DISCOVERY_NQN);
	assert_int_equal(nvmf_connect(&o, &c), -EIO);
	assert_null(c);
	assert_non_null(strstr(nvmf_get_error(), "the target has no subsystem "
			       NVMF_DISCOVERY_NQN " at this port (an I/O-only port?"));
	fake_ctrl_stop(fc, NULL);
}

/*
 * A 200-character host name is taken whole (names may have 255
 * characters) and fails in the resolver, named once in full. The empty
 * label makes the resolver refuse it without any DNS query.
 */
static void test_long_traddr(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = (void *)1;
	char *p = o.traddr;
	const char *m, *at;

	(void)state;
	nvmf_opts_init(&o);
	memset(p, 'a', 63), p += 63, *p++ = '.';
	memset(p, 'b', 63), p += 63, *p++ = '.';
	memset(p, 'c', 63), p += 63;
	strcpy(p, "..invalid");
	assert_int_equal(strlen(o.traddr), 200);
	snprintf(o.trsvcid, sizeof(o.trsvcid), "4420");
	snprintf(o.subnqn, sizeof(o.subnqn), "nqn.2014-08.org.nvmexpress:fake");
	o.connect_timeout = 5;
	assert_int_equal(nvmf_connect(&o, &c), -EHOSTUNREACH);
	assert_null(c);
	m = nvmf_get_error();
	assert_non_null(strstr(m, "cannot resolve address"));
	assert_null(strstr(m, "too long"));
	at = strstr(m, o.traddr);
	assert_non_null(at);
	assert_null(strstr(at + 1, o.traddr));	/* once */
	/* The resolver's reason made it to the end of the message. */
	assert_non_null(strstr(m, "port '4420': "));
}

/* The discovery path over a controller with an empty log. */
static void test_discover_empty(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct nvmf_disc_list *d = NULL;

	(void)state;
	o.subnqn[0] = '\0';
	assert_int_equal(nvmf_discover(&o, &d), 0);
	assert_non_null(d);
	assert_int_equal(d->nr_entries, 0);
	nvmf_free(d);
	fake_ctrl_stop(fc, NULL);
}

/*
 * nvmf_discover() given an I/O subsystem's NQN (taken for a unique
 * discovery NQN) reaches an I/O controller: refused at Identify Controller
 * with the reason, as nvmf_connect() with nvmf_opts.discovery is.
 */
static void test_discover_io_subsystem(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_GOOD, &o, 1);
	struct nvmf_disc_list *d = NULL;
	struct nvmf_ctrl *c;

	(void)state;
	assert_int_equal(nvmf_discover(&o, &d), -EPROTO);
	assert_null(d);
	if (!strstr(nvmf_get_error(), "CNTRLTYPE 1 (an I/O controller)") ||
	    !strstr(nvmf_get_error(), "is not a discovery subsystem"))
		fail_msg("error: %s", nvmf_get_error());
	o.discovery = true;
	o.nr_io_queues = 0;
	assert_int_equal(nvmf_connect(&o, &c), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "CNTRLTYPE 1"));
	fake_ctrl_stop(fc, NULL);
}

/*
 * A unique discovery NQN (TP 8013): a discovery controller under an NQN of
 * its own. nvmf_discover() reads it; nvmf_connect() does with discovery
 * set, and refuses it without (CNTRLTYPE 2 for what it took for an I/O
 * subsystem), naming the option.
 */
static void test_discover_unique_nqn(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_DISCOVERY_UNIQUE, &o, 1);
	struct nvmf_disc_list *d = NULL;
	struct nvmf_ctrl_info ci;
	struct nvmf_ctrl *c;

	(void)state;
	snprintf(o.subnqn, sizeof(o.subnqn), "nqn.2014-08.org.libnvmf:fake-discovery");
	assert_int_equal(nvmf_connect(&o, &c), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "CNTRLTYPE 2"));
	assert_non_null(strstr(nvmf_get_error(), "nvmf_opts.discovery"));
	assert_int_equal(nvmf_discover(&o, &d), 0);
	assert_non_null(d);
	assert_int_equal(d->nr_entries, 0);
	nvmf_free(d);
	o.discovery = true;
	o.nr_io_queues = 0;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_true(ci.discovery);
	assert_int_equal(ci.cntrltype, 2);
	assert_int_equal(nvmf_discovery_log_get(c, &d), 0);
	assert_int_equal(d->nr_entries, 0);
	nvmf_free(d);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/*
 * One Identify Namespace that fails (ns-id-flap) or reads zeroes
 * (ns-id-zero) must not make the host forget what the namespace was: the
 * next scan finds another NGUID and half the blocks, and that is another
 * namespace, not the first one's identity (nvmf.h, OUTAGES). Meanwhile the
 * namespace is unavailable: unsupported with the reason, I/O refused.
 */
static void ns_identity_flap(enum fake_scenario sc, const char *meanwhile)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(sc, &o, 1);
	struct nvmf_ns_info ni = { 0 };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_true(ni.supported);
	assert_int_equal(ni.nsze, 8192);

	assert_int_equal(nvmf_rescan(c), 0);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	if (!strstr(ni.reason, meanwhile))
		fail_msg("while Identify fails, reason: '%s'", ni.reason);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -EOPNOTSUPP);

	assert_int_equal(nvmf_rescan(c), 0);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	if (ni.supported || !strstr(ni.reason, "not the same namespace") ||
	    !strstr(ni.reason, "NGUID"))
		fail_msg("another namespace after a failed scan: supported %d, reason '%s'",
			 ni.supported, ni.reason);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -EOPNOTSUPP);
	/* And for the life of the handle. */
	assert_int_equal(nvmf_rescan(c), 0);
	assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
	assert_false(ni.supported);
	assert_non_null(strstr(ni.reason, "NGUID"));
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.id_ns_cmds, 4);
}

static void test_ns_identity_after_failed_identify(void **state)
{
	(void)state;
	ns_identity_flap(FAKE_NS_ID_FLAP, "Identify Namespace failed: Internal Error");
}

static void test_ns_identity_after_zero_identify(void **state)
{
	(void)state;
	ns_identity_flap(FAKE_NS_ID_ZERO, "zero size");
}

/*
 * A descriptor list that fails once says nothing about the UUID: the
 * namespace stays the same one, usable, in that scan and the next (whose
 * list has the UUID again).
 */
static void test_ns_desc_list_fails_once(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_NS_DESC_FLAP, &o, 1);
	struct nvmf_ns_info ni = { 0 };
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t buf[4096];

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int scan = 1; scan <= 3; scan++) {
		if (scan > 1)
			assert_int_equal(nvmf_rescan(c), 0);
		assert_int_equal(nvmf_get_ns_info(c, 1, &ni), 0);
		if (!ni.supported)
			fail_msg("scan %d: namespace 1 unsupported: '%s'", scan, ni.reason);
		assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	}
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.ns_desc_cmds, 3);
	assert_int_equal(st.triggered, 1);
}

/*
 * A controller whose Identify Controller names another subsystem than the
 * Connect did is refused on the first connect too, as Linux refuses it
 * ("controller returned incorrect NQN"): the message quotes both NQNs.
 */
static void test_subnqn_other_refused(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_SUBNQN_OTHER, &o, 1);
	struct fake_stats st;
	struct nvmf_ctrl *c = NULL;

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), -EPROTO);
	assert_null(c);
	if (!strstr(nvmf_get_error(), "'nqn.2014-08.org.nvmexpress:fake'") ||
	    !strstr(nvmf_get_error(), "'nqn.2014-08.org.nvmexpress:fake-other'"))
		fail_msg("message: %s", nvmf_get_error());
	fake_ctrl_stop(fc, &st);
	assert_true(st.triggered >= 1);
}

/*
 * A discovery controller with a unique discovery NQN answers the
 * well-known one with its own: accepted (TP 8013). Connected by another
 * NQN, which it does not name back, it is refused like any other.
 */
static void test_discovery_own_nqn(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_DISCOVERY_OWN_NQN, &o, 0);
	struct nvmf_disc_list *d = NULL;
	struct nvmf_ctrl_info ci;
	struct nvmf_ctrl *c;

	(void)state;
	snprintf(o.subnqn, sizeof(o.subnqn), "%s", NVMF_DISCOVERY_NQN);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_true(ci.discovery);
	assert_string_equal(ci.subnqn, "nqn.2014-08.org.nvmexpress:fake-disc");
	assert_int_equal(nvmf_disconnect(c), 0);
	assert_int_equal(nvmf_discover(&o, &d), 0);
	nvmf_free(d);
	snprintf(o.subnqn, sizeof(o.subnqn), "nqn.2014-08.org.libnvmf:fake-discovery");
	o.discovery = true;
	assert_int_equal(nvmf_connect(&o, &c), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "fake-disc"));
	fake_ctrl_stop(fc, NULL);

	/* A discovery controller older than NVMe 1.4 does not report its type
	 * (CNTRLTYPE 0): reached by the well-known NQN, it is one all the same. */
	fc = start_fake(FAKE_DISCOVERY_OWN_NQN_OLD, &o, 0);
	snprintf(o.subnqn, sizeof(o.subnqn), "%s", NVMF_DISCOVERY_NQN);
	o.discovery = false;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_string_equal(ci.subnqn, "nqn.2014-08.org.nvmexpress:fake-disc");
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_io_flags),
		cmocka_unit_test(test_aio_many),
		cmocka_unit_test(test_aio_errmsg),
		cmocka_unit_test(test_caller_loop),
		cmocka_unit_test(test_caller_loop_shared),
		cmocka_unit_test(test_log_callback_reentry),
		cmocka_unit_test(test_disconnect_in_callback),
		cmocka_unit_test(test_io_avoids_failing_queue),
		cmocka_unit_test(test_csts_cfs),
		cmocka_unit_test(test_csts_never_ready),
		cmocka_unit_test(test_cntlid_reserved),
		cmocka_unit_test(test_identify_cntlid),
		cmocka_unit_test(test_io_interrupted),
		cmocka_unit_test(test_io_interrupted_slow),
		cmocka_unit_test(test_disconnect_drains),
		cmocka_unit_test(test_disconnect_no_events),
		cmocka_unit_test(test_disconnect_drains_loop),
		cmocka_unit_test(test_disconnect_refuses_resubmits),
		cmocka_unit_test(test_io_interrupted_waitq),
		cmocka_unit_test(test_identify_bad_ioccsz),
		cmocka_unit_test(test_admin_controller),
		cmocka_unit_test(test_identify_bad_lbads),
		cmocka_unit_test(test_ns_list_dup),
		cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_ddgst_error_message),
		cmocka_unit_test(test_admin_lost_during_io_connect),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_icresp_rejected),
		cmocka_unit_test(test_auth_required_status),
		cmocka_unit_test(test_authreq_atr),
		cmocka_unit_test(test_connect_invalid_param),
		cmocka_unit_test(test_connect_invalid_param_discovery),
		cmocka_unit_test(test_long_traddr),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_held_command_times_out),
		cmocka_unit_test(test_admin_lost_stops_io),
		cmocka_unit_test(test_keep_alive_not_held),
		cmocka_unit_test(test_keep_alive_during_connect),
		cmocka_unit_test(test_ns_notices_back_to_back),
		cmocka_unit_test(test_ns_lba_format_changes_live),
		cmocka_unit_test(test_ns_notice_flood),
		cmocka_unit_test(test_ns_format_made_usable),
		cmocka_unit_test(test_ns_tables_freed),
		cmocka_unit_test(test_sqflow_disabled),
		cmocka_unit_test(test_log_callback),
		cmocka_unit_test(test_close_after_shn_quiet),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_discover_empty),
		cmocka_unit_test(test_discover_unique_nqn),
		cmocka_unit_test(test_discover_io_subsystem),
		cmocka_unit_test(test_ns_identity_after_failed_identify),
		cmocka_unit_test(test_ns_identity_after_zero_identify),
		cmocka_unit_test(test_ns_desc_list_fails_once),
		cmocka_unit_test(test_subnqn_other_refused),
		cmocka_unit_test(test_discovery_own_nqn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
