/*
 * The host library's own-thread mode driven from many threads at once,
 * against nvmf-target running in-process on its own loop thread (with its
 * file backend on libuv's thread pool). scripts/test builds and runs this
 * with ThreadSanitizer (label tsan), so a data race on any of these paths
 * fails the run; the data checks catch what a race would corrupt.
 *
 * - Any-thread submission: NTHR threads submit asynchronous writes, each
 *   completion callback (on the I/O thread) chains the read of the same
 *   blocks, whose callback checks the data; Identify and Flush are mixed in.
 * - Synchronous calls from NTHR threads at once: writes, reads, Identify,
 *   Get Features, the SMART log, namespace and state snapshots, and a read
 *   beyond the end whose error must stay with the thread that made it.
 * - Namespace notices: the target adds and removes a namespace (the host
 *   rescans on its I/O thread) while threads read the namespace list.
 * - Outages under load: the target fails the controller twice, then the
 *   host is reset (nvmf_reconnect), while threads write and read; their
 *   commands are held and replayed, none fails.
 * - Controllers connected, used and disconnected by NTHR threads at once.
 *
 * Workers never call cmocka (its asserts longjmp on the main thread only):
 * they count what went wrong and the main thread judges. Every wait is
 * bounded by WAIT_MS; the library's own waits by io_timeout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <nvmf/nvmf.h>

#include "th.h"

#define NTHR     8		/* application threads */
#define SPAN     512u		/* blocks each thread owns on nsid 1 (4 MiB = 8192 blocks) */
#define NLB      8u		/* blocks per command */
#define DEPTH    16		/* commands each thread keeps submitted */
#define ROUNDS   8
#define WAIT_MS  30000

static struct tf F;

static int setup(void **state)
{
	(void)state;
	tf_start(&F, 9, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tf_stop(&F);
	return 0;
}

static void opts(struct nvmf_opts *o)
{
	nvmf_opts_init(o);
	snprintf(o->traddr, sizeof(o->traddr), "127.0.0.1");
	snprintf(o->trsvcid, sizeof(o->trsvcid), "%d", F.port);
	snprintf(o->subnqn, sizeof(o->subnqn), "%s", TH_SUBNQN);
	snprintf(o->hostnqn, sizeof(o->hostnqn), "%s", TH_HOSTNQN);
	o->nr_io_queues = 2;
	o->queue_size = 32;	/* NTHR x DEPTH > 2 x 31: the host holds some */
	o->io_timeout = 10;
	o->kato = 5;
}

/* The byte at offset i of block lba as written in round r by thread t. */
static uint8_t pattern(int t, uint64_t lba, int r, size_t i)
{
	return (uint8_t)(lba * 131 + i * 7 + (size_t)t * 29 + (size_t)r * 61 + (i >> 9));
}

static void fill(uint8_t *buf, int t, uint64_t slba, uint32_t nlb, int r)
{
	for (uint32_t b = 0; b < nlb; b++)
		for (size_t i = 0; i < 512; i++)
			buf[b * 512 + i] = pattern(t, slba + b, r, i);
}

/* Sleeps until *v reaches want or WAIT_MS pass; true if it did. */
static bool wait_count(atomic_int *v, int want)
{
	for (int ms = 0; ms < WAIT_MS; ms++) {
		if (atomic_load(v) >= want)
			return true;
		uv_sleep(1);
	}
	return atomic_load(v) >= want;
}

/* One application thread; its I/O thread callbacks report through it too. */
struct worker {
	uv_thread_t tid;
	int id;
	struct nvmf_ctrl *c;
	atomic_int finished;
	atomic_int errors;	/* anything that went wrong, counted */
	atomic_int claimed;	/* first[] taken by one thread (worker or I/O thread) */
	char first[256];	/* the first thing that went wrong */
	void *arg;
};

static void fail_w(struct worker *w, const char *fmt, ...)
{
	int zero = 0;
	va_list ap;

	if (atomic_compare_exchange_strong(&w->claimed, &zero, 1)) {
		va_start(ap, fmt);
		vsnprintf(w->first, sizeof(w->first), fmt, ap);
		va_end(ap);
	}
	atomic_fetch_add(&w->errors, 1);
}

/* Joins every worker before judging any: a failure must not leave threads
 * running into the next test. A worker stuck past WAIT_MS is a hang. */
static void join_workers(struct worker *w)
{
	for (int i = 0; i < NTHR; i++) {
		assert_true(wait_count(&w[i].finished, 1));
		uv_thread_join(&w[i].tid);
	}
	for (int i = 0; i < NTHR; i++)
		if (atomic_load(&w[i].errors))
			fail_msg("thread %d: %d errors, first: %s", i, atomic_load(&w[i].errors),
				 w[i].first);
}

/* Starts NTHR workers running fn, then joins and judges them. */
static void run_workers(struct worker *w, struct nvmf_ctrl *c, void (*fn)(void *), void *arg)
{
	for (int i = 0; i < NTHR; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].c = c;
		w[i].arg = arg;
		assert_int_equal(uv_thread_create(&w[i].tid, fn, &w[i]), 0);
	}
	join_workers(w);
}

/* ---- Any-thread asynchronous submission ------------------------------------ */

enum op_kind { OP_WRITE, OP_READ, OP_IDENTIFY, OP_FLUSH };

/* One command of one worker; reused for the read that follows its write. */
struct op {
	struct worker *w;
	enum op_kind kind;
	uint64_t slba;
	uint8_t wbuf[NLB * 512];
	uint8_t rbuf[NLB * 512];
};

struct aio_worker {
	atomic_int done;	/* slots released: the chain's last free hook ran */
	struct op ops[DEPTH];
};

static struct aio_worker aw[NTHR];

/* The free hook of a chain's last command: the slot may be reused after it
 * (the library is done with the buffers, and with op, once it has run). */
static void op_free(void *user)
{
	struct op *op = user;

	atomic_fetch_add(&aw[op->w->id].done, 1);
}

static void op_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl);

/* A write's read follows from its callback: the write itself has no free hook. */
static struct nvmf_callback op_callback(struct op *op)
{
	return (struct nvmf_callback){ op_cb, op, op->kind == OP_WRITE ? NULL : op_free };
}

/* On the I/O thread: check the result, chain the read after a write. */
static void op_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct op *op = user;
	struct worker *w = op->w;
	const struct nvmf_id_ctrl *id = (const void *)op->rbuf;
	int64_t ck;

	(void)cookie;
	if (cpl->result != 0) {
		fail_w(w, "op %d at %llu: %s", op->kind, (unsigned long long)op->slba,
		       nvmf_completion_errmsg(cpl));
		if (op->kind == OP_WRITE)	/* no read follows, no free hook */
			atomic_fetch_add(&aw[w->id].done, 1);
		return;
	}
	switch (op->kind) {
	case OP_WRITE:
		/* Submitting from a completion callback is allowed. */
		op->kind = OP_READ;
		memset(op->rbuf, 0xee, sizeof(op->rbuf));
		ck = nvmf_aio_read(w->c, 1, op->rbuf, op->slba, NLB, 0, op_callback(op));
		if (ck <= 0)	/* its free hook ran: the slot is released */
			fail_w(w, "chained read: %s", nvmf_get_error());
		return;
	case OP_READ:
		if (memcmp(op->rbuf, op->wbuf, sizeof(op->wbuf)) != 0)
			fail_w(w, "read at %llu differs from what was written",
			       (unsigned long long)op->slba);
		break;
	case OP_IDENTIFY:
		if (strncmp(id->subnqn, TH_SUBNQN, sizeof(id->subnqn)) != 0)
			fail_w(w, "Identify Controller: SUBNQN %.64s", id->subnqn);
		break;
	case OP_FLUSH:
		break;
	}
}

static void aio_main(void *arg)
{
	struct worker *w = arg;
	struct aio_worker *a = &aw[w->id];
	uint64_t base = (uint64_t)w->id * SPAN;
	int64_t ck;
	int want = 0;

	for (int r = 0; r < ROUNDS; r++) {
		for (int j = 0; j < DEPTH; j++) {
			struct op *op = &a->ops[j];

			op->w = w;
			/* One slot per round does an Identify or a Flush instead. */
			if (j == r) {
				op->kind = r % 2 ? OP_FLUSH : OP_IDENTIFY;
				if (op->kind == OP_FLUSH)
					ck = nvmf_aio_flush(w->c, 1, op_callback(op));
				else
					ck = nvmf_aio_identify(w->c, NVMF_CNS_CTRL, 0, 0, 0,
							       op->rbuf, op_callback(op));
			} else {
				op->kind = OP_WRITE;
				op->slba = base + (uint64_t)((j + r * 5) % (SPAN / NLB)) * NLB;
				fill(op->wbuf, w->id, op->slba, NLB, r);
				ck = nvmf_aio_write(w->c, 1, op->wbuf, op->slba, NLB, 0,
						    op_callback(op));
			}
			want++;
			if (ck <= 0) {
				fail_w(w, "submission: %s", nvmf_get_error());
				if (op->kind == OP_WRITE)	/* no free hook */
					atomic_fetch_add(&a->done, 1);
			}
		}
		/* The round's buffers are reused: wait for every chain first. */
		if (!wait_count(&a->done, want)) {
			fail_w(w, "round %d: %d of %d chains done after %d ms", r,
			       atomic_load(&a->done), want, WAIT_MS);
			break;
		}
		/* The callbacks' view of the data, seen from this thread too. */
		for (int j = 0; j < DEPTH; j++)
			if (a->ops[j].kind == OP_READ &&
			    memcmp(a->ops[j].rbuf, a->ops[j].wbuf, sizeof(a->ops[j].wbuf)))
				fail_w(w, "round %d: slot %d differs on the submitting thread", r, j);
	}
	atomic_store(&w->finished, 1);
}

static void test_any_thread_aio(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	struct worker w[NTHR];

	(void)state;
	opts(&o);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	memset(aw, 0, sizeof(aw));
	run_workers(w, c, aio_main, NULL);
	for (int i = 0; i < NTHR; i++)
		assert_int_equal(atomic_load(&aw[i].done), ROUNDS * DEPTH);
	assert_int_equal(nvmf_aio_in_flight(c), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
}

/* ---- Synchronous calls from many threads ----------------------------------- */

#define SYNC_ITERS 24

/* A Read beyond namespace 1's end as a raw SQE: the host does not check
 * it, the controller fails it with LBA Out of Range (Base 2.0, 4.2.3). */
static int read_beyond_end(struct nvmf_ctrl *c, void *buf)
{
	struct nvmf_sqe sqe;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVMF_NVM_READ;
	sqe.nsid = 1;
	sqe.cdw10 = (4u << 20) / 512;	/* SLBA: one past the last block */
	return nvmf_io_passthru(c, &sqe, buf, 512, NVMF_DIR_FROM_CTRL, NULL);
}

static void sync_main(void *arg)
{
	struct worker *w = arg;
	uint64_t base = (uint64_t)w->id * SPAN;
	uint8_t *wb = malloc(NLB * 512 * 4), *rb = malloc(4096 * 2);
	struct nvmf_ns_info ns;
	struct nvmf_ctrl_state_info st;
	struct nvmf_ctrl_info info;
	const struct nvmf_id_ctrl *id = (const void *)rb;
	uint32_t res;
	int rc;

	if (!wb || !rb) {
		fail_w(w, "out of memory");
		goto out;
	}
	for (int it = 0; it < SYNC_ITERS; it++) {
		uint64_t slba = base + (uint64_t)(it * 3 % (SPAN / (NLB * 4))) * NLB * 4;

		fill(wb, w->id, slba, NLB * 2, it);
		if ((rc = nvmf_write(w->c, 1, wb, slba, NLB * 2, 0)) < 0)
			fail_w(w, "write: %s", nvmf_get_error());
		memset(rb, 0, NLB * 512 * 2);
		if ((rc = nvmf_read(w->c, 1, rb, slba, NLB * 2, 0)) < 0)
			fail_w(w, "read: %s", nvmf_get_error());
		else if (memcmp(rb, wb, NLB * 512 * 2) != 0)
			fail_w(w, "iteration %d: read at %llu differs", it, (unsigned long long)slba);

		switch ((it + w->id) % 4) {
		case 0:
			memset(rb, 0, 4096);
			if (nvmf_identify(w->c, NVMF_CNS_CTRL, 0, 0, 0, rb) < 0)
				fail_w(w, "identify: %s", nvmf_get_error());
			else if (strncmp(id->subnqn, TH_SUBNQN, sizeof(id->subnqn)) != 0)
				fail_w(w, "identify: SUBNQN %.64s", id->subnqn);
			break;
		case 1:
			/* Number of Queues (07h): the 0's-based counts granted. */
			if (nvmf_get_features(w->c, 0x07, 0, 0, 0, NULL, 0, &res) < 0)
				fail_w(w, "get features: %s", nvmf_get_error());
			else if ((res & 0xffff) < 1 || (res >> 16) < 1)
				fail_w(w, "get features: Number of Queues %#x", res);
			break;
		case 2:
			if (nvmf_get_smart_log(w->c, rb) < 0)
				fail_w(w, "SMART log: %s", nvmf_get_error());
			if (nvmf_flush(w->c, 1) < 0)
				fail_w(w, "flush: %s", nvmf_get_error());
			break;
		case 3:
			/* Failures: their message and errno belong to this thread
			 * only. One the host finds, one the controller reports. */
			rc = nvmf_read(w->c, 1, rb, (4u << 20) / 512, 1, 0);
			if (rc != -EINVAL || nvmf_get_errno() != EINVAL ||
			    !strstr(nvmf_get_error(), "beyond namespace 1"))
				fail_w(w, "read beyond the end: %d, \"%s\"", rc, nvmf_get_error());
			rc = read_beyond_end(w->c, rb);
			if (rc != -EIO || nvmf_get_errno() != EIO ||
			    (nvmf_get_status() & 0x7ff) != NVMF_SC_LBA_OUT_OF_RANGE ||
			    !strstr(nvmf_get_error(), "LBA Out of Range"))
				fail_w(w, "passthrough read beyond the end: %d, \"%s\"", rc,
				       nvmf_get_error());
			break;
		}
		if (nvmf_get_ns_info(w->c, 1, &ns) < 0 || ns.size != 4u << 20)
			fail_w(w, "namespace 1: %s", nvmf_get_error());
		if (nvmf_ctrl_get_state(w->c, &st) < 0 || st.state != NVMF_CTRL_LIVE)
			fail_w(w, "state: %s", nvmf_ctrl_state_str(st.state));
		if (nvmf_ctrl_get_info(w->c, &info) < 0 || info.nr_io_queues != 2)
			fail_w(w, "info: %s", nvmf_get_error());
		(void)nvmf_aio_in_flight(w->c);
	}
out:
	free(wb);
	free(rb);
	atomic_store(&w->finished, 1);
}

static void test_sync_many_threads(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	struct worker w[NTHR];

	(void)state;
	opts(&o);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	run_workers(w, c, sync_main, NULL);
	assert_int_equal(nvmf_aio_in_flight(c), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
}

/* ---- Namespace notices while threads read the namespace list ---------------- */

struct ns_watch {
	atomic_int changed;	/* NS_CHANGED events */
	atomic_int stop;
};

static void on_event(void *user, const struct nvmf_event *ev)
{
	struct ns_watch *nw = user;

	if (ev->type == NVMF_EVENT_NS_CHANGED)
		atomic_fetch_add(&nw->changed, 1);
}

static void lister_main(void *arg)
{
	struct worker *w = arg;
	struct ns_watch *nw = w->arg;
	struct nvmf_ns_info *list;
	uint8_t buf[512];
	int n, loops = 0;

	while (!atomic_load(&nw->stop) && loops++ < 100000) {
		n = nvmf_get_namespaces(w->c, &list);
		if (n < 2 || list[0].nsid != 1 || list[1].nsid != 2)
			fail_w(w, "namespace list: %d entries", n);
		if (n > 0)
			nvmf_free(list);
		if (nvmf_read(w->c, 2, buf, (uint64_t)w->id, 1, 0) < 0)
			fail_w(w, "read of namespace 2: %s", nvmf_get_error());
		/* Rescans asked for by threads, racing the notices' own. */
		if (loops % 8 == w->id && nvmf_rescan(w->c) < 0)
			fail_w(w, "rescan: %s", nvmf_get_error());
		uv_sleep(1);
	}
	atomic_store(&w->finished, 1);
}

static void hot_add(struct tf *f, void *arg)
{
	struct ctl_ns *ns;
	char msg[128];

	(void)arg;
	assert_int_equal(ctl_ns_open(&ns, "ram:1M", 9, false, msg, sizeof(msg)), 0);
	assert_int_equal(ctl_subsys_attach_ns(f->s, ns, 7), 0);
}

static void hot_remove(struct tf *f, void *arg)
{
	(void)arg;
	ctl_subsys_detach_ns(f->s, 7);
}

static void test_ns_notices_while_listing(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	struct ns_watch nw = { 0 };
	struct worker w[NTHR];
	struct nvmf_ns_info info;

	(void)state;
	opts(&o);
	o.event_cb = on_event;
	o.event_user = &nw;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < NTHR; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].c = c;
		w[i].arg = &nw;
		assert_int_equal(uv_thread_create(&w[i].tid, lister_main, &w[i]), 0);
	}
	for (int k = 0; k < 3; k++) {
		tf_call(&F, hot_add, NULL);
		assert_true(wait_count(&nw.changed, 2 * k + 1));
		/* The rescan may still be under way after the event: bounded retry. */
		for (int ms = 0; ms < WAIT_MS && nvmf_get_ns_info(c, 7, &info) < 0; ms++)
			uv_sleep(1);
		assert_int_equal(nvmf_get_ns_info(c, 7, &info), 0);
		assert_int_equal(info.size, 1u << 20);
		tf_call(&F, hot_remove, NULL);
		assert_true(wait_count(&nw.changed, 2 * k + 2));
	}
	atomic_store(&nw.stop, 1);
	join_workers(w);
	assert_int_equal(nvmf_disconnect(c), 0);
}

/* ---- Controllers connected and dropped from many threads at once ----------- */

/* Each thread its own controller (digests on every other one), twice over:
 * the library's process-wide state (log set-up, CRC32C, error texts) and
 * the target's accept path, concurrently. */
static void conn_main(void *arg)
{
	struct worker *w = arg;
	uint64_t slba = (uint64_t)w->id * SPAN;
	uint8_t wb[NLB * 512], rb[NLB * 512];
	struct nvmf_disc_list *log = NULL;
	struct nvmf_ns_info *list;
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	int n;

	for (int k = 0; k < 2; k++) {
		opts(&o);
		o.hdr_digest = o.data_digest = (w->id + k) % 2;
		if (w->id == 0 && k == 1) {	/* one discovery among them */
			snprintf(o.subnqn, sizeof(o.subnqn), "%s", "");
			o.nr_io_queues = 0;
			o.kato = 0;
			if (nvmf_discover(&o, &log) < 0)
				fail_w(w, "discover: %s", nvmf_get_error());
			nvmf_free(log);
			continue;
		}
		if (nvmf_connect(&o, &c) < 0) {
			fail_w(w, "connect %d: %s", k, nvmf_get_error());
			break;
		}
		fill(wb, w->id, slba, NLB, k);
		if (nvmf_write(c, 1, wb, slba, NLB, 0) < 0 || nvmf_read(c, 1, rb, slba, NLB, 0) < 0)
			fail_w(w, "I/O: %s", nvmf_get_error());
		else if (memcmp(rb, wb, sizeof(wb)) != 0)
			fail_w(w, "connection %d: read differs", k);
		n = nvmf_get_namespaces(c, &list);
		if (n < 2)
			fail_w(w, "namespaces: %d", n);
		else
			nvmf_free(list);
		if (nvmf_disconnect(c) < 0)
			fail_w(w, "disconnect: %s", nvmf_get_error());
	}
	atomic_store(&w->finished, 1);
}

static void test_connect_many_threads(void **state)
{
	struct worker w[NTHR];

	(void)state;
	run_workers(w, NULL, conn_main, NULL);
}

/* ---- Outages while threads do I/O ------------------------------------------ */

struct outage_ctx {
	atomic_int stop;
	atomic_int logged;	/* log lines through the callback */
	atomic_int reconnected;	/* RECONNECTED events */
	atomic_int lost;	/* CONN_LOST and FATAL events */
	atomic_int ios[NTHR];	/* verified write+read pairs per thread */
};

static void outage_event(void *user, const struct nvmf_event *ev)
{
	struct outage_ctx *x = user;

	if (ev->type == NVMF_EVENT_RECONNECTED)
		atomic_fetch_add(&x->reconnected, 1);
	else if (ev->type == NVMF_EVENT_CONN_LOST || ev->type == NVMF_EVENT_FATAL)
		atomic_fetch_add(&x->lost, 1);
}

/* The library logs the outages from its I/O thread while the test thread
 * swaps the callback (nvmf_set_log_callback is safe from any thread). */
static void outage_log(void *user, enum nvmf_log_level level, const char *msg)
{
	struct outage_ctx *x = user;

	(void)level;
	if (msg[0])
		atomic_fetch_add(&x->logged, 1);
}

static void outage_log_quiet(void *user, enum nvmf_log_level level, const char *msg)
{
	(void)user;
	(void)level;
	(void)msg;
}

/* Writes and reads back its own blocks until told to stop; commands caught
 * by an outage are held and replayed, so none may fail. */
static void outage_main(void *arg)
{
	struct worker *w = arg;
	struct outage_ctx *x = w->arg;
	uint64_t base = (uint64_t)w->id * SPAN;
	uint8_t wb[NLB * 512], rb[NLB * 512];

	for (int it = 0; !atomic_load(&x->stop) && it < 100000; it++) {
		uint64_t slba = base + (uint64_t)(it % (SPAN / NLB)) * NLB;

		fill(wb, w->id, slba, NLB, it);
		if (nvmf_write(w->c, 1, wb, slba, NLB, 0) < 0) {
			fail_w(w, "write at %llu: %s", (unsigned long long)slba, nvmf_get_error());
			break;
		}
		if (nvmf_read(w->c, 1, rb, slba, NLB, 0) < 0) {
			fail_w(w, "read at %llu: %s", (unsigned long long)slba, nvmf_get_error());
			break;
		}
		if (memcmp(rb, wb, sizeof(wb)) != 0)
			fail_w(w, "iteration %d: read at %llu differs", it, (unsigned long long)slba);
		atomic_fetch_add(&x->ios[w->id], 1);
	}
	atomic_store(&w->finished, 1);
}

/* On the target's loop: the controller fails (CSTS.CFS) and its queues close. */
static void drop_ctrl(struct tf *f, void *arg)
{
	struct ctl_ctrl *cc = ctl_ctrl_find(&f->t, f->s, *(uint16_t *)arg);

	assert_non_null(cc);
	ctl_ctrl_fatal(cc, "test: outage under load");
}

/* Bounded wait until every worker has done some I/O since snap. */
static bool all_progress(struct outage_ctx *x, const int *snap)
{
	for (int ms = 0; ms < WAIT_MS; ms++) {
		int i;

		for (i = 0; i < NTHR && atomic_load(&x->ios[i]) > snap[i] + 2; i++)
			;
		if (i == NTHR)
			return true;
		uv_sleep(1);
	}
	return false;
}

static void test_outages_under_load(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	struct outage_ctx x = { 0 };
	struct worker w[NTHR];
	struct nvmf_ctrl_info info;
	int snap[NTHR] = { 0 };

	(void)state;
	opts(&o);
	o.event_cb = outage_event;
	o.event_user = &x;
	o.reconnect_delay = 1;
	o.ctrl_loss_tmo = 60;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (int i = 0; i < NTHR; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].c = c;
		w[i].arg = &x;
		assert_int_equal(uv_thread_create(&w[i].tid, outage_main, &w[i]), 0);
	}
	/* Two outages the target causes, one reset the host asks for. */
	for (int k = 0; k < 3; k++) {
		bool ok = all_progress(&x, snap);

		nvmf_set_log_callback(k % 2 ? outage_log_quiet : outage_log, &x);

		if (ok && k < 2) {
			ok = nvmf_ctrl_get_info(c, &info) == 0;
			if (ok)
				tf_call(&F, drop_ctrl, &info.cntlid);
		} else if (ok) {
			ok = nvmf_reconnect(c) == 0;
		}
		if (ok)
			ok = wait_count(&x.reconnected, k + 1);
		for (int i = 0; i < NTHR; i++)
			snap[i] = atomic_load(&x.ios[i]);
		if (!ok) {
			atomic_store(&x.stop, 1);
			join_workers(w);
			fail_msg("outage %d: no progress or no reconnect within %d ms", k, WAIT_MS);
		}
	}
	/* Everyone gets going again after the last one. */
	assert_true(all_progress(&x, snap));
	atomic_store(&x.stop, 1);
	join_workers(w);
	nvmf_set_log_callback(NULL, NULL);
	assert_true(atomic_load(&x.logged) > 0);
	assert_int_equal(atomic_load(&x.reconnected), 3);
	assert_int_equal(nvmf_aio_in_flight(c), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_any_thread_aio),
		cmocka_unit_test(test_sync_many_threads),
		cmocka_unit_test(test_ns_notices_while_listing),
		cmocka_unit_test(test_outages_under_load),
		cmocka_unit_test(test_connect_many_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
