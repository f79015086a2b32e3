/*
 * The host library (libnvmf) against nvmf-target running in-process:
 * connect with and without digests, namespaces, verified I/O, write
 * zeroes, deallocate, discovery, a namespace hot-add reported as an
 * event, and a write the buffer budget refuses retried after the Command
 * Retry Delay.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/nvmf.h>

#include "th.h"

static struct tf F;

static int setup(void **state)
{
	tf_start(&F, 9, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	tf_stop(&F);
	return 0;
}

static void opts(struct nvmf_opts *o, const char *subnqn, bool digests)
{
	nvmf_opts_init(o);
	snprintf(o->traddr, sizeof(o->traddr), "127.0.0.1");
	snprintf(o->trsvcid, sizeof(o->trsvcid), "%d", F.port);
	snprintf(o->subnqn, sizeof(o->subnqn), "%s", subnqn);
	snprintf(o->hostnqn, sizeof(o->hostnqn), "%s", TH_HOSTNQN);
	o->nr_io_queues = 2;
	o->hdr_digest = digests;
	o->data_digest = digests;
	o->kato = 5;
}

static void test_host_io(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	struct nvmf_ctrl_info info;
	struct nvmf_ns_info *list = NULL;
	size_t len = 128 * 1024;
	uint8_t *w = malloc(len), *r = malloc(len), *f = malloc(len);
	int n, fd;

	for (int dg = 0; dg < 2; dg++) {
		opts(&o, TH_SUBNQN, dg);
		assert_int_equal(nvmf_connect(&o, &c), 0);
		assert_int_equal(nvmf_ctrl_get_info(c, &info), 0);
		assert_string_equal(info.subnqn, TH_SUBNQN);
		assert_int_equal(info.max_xfer, 4096u << F.t.opts.mdts);
		assert_int_equal(info.hdr_digest, dg);
		n = nvmf_get_namespaces(c, &list);
		assert_true(n >= 2);
		assert_int_equal(list[0].nsid, 1);
		assert_int_equal(list[0].lba_size, 512);
		assert_true(list[0].dealloc_zeroes);
		nvmf_free(list);

		for (size_t i = 0; i < len; i++)
			w[i] = (uint8_t)(i * 13 + dg);
		assert_int_equal(nvmf_write(c, 1, w, 16, (uint32_t)(len / 512), 0), 0);
		assert_int_equal(nvmf_read(c, 1, r, 16, (uint32_t)(len / 512), 0), 0);
		assert_memory_equal(w, r, len);
		assert_int_equal(nvmf_flush(c, 1), 0);
		fd = open(F.path, O_RDONLY);
		assert_int_equal(pread(fd, f, len, 16 * 512), (ssize_t)len);
		close(fd);
		assert_memory_equal(w, f, len);
		assert_int_equal(nvmf_write_zeroes(c, 1, 16, 8, NVMF_IO_DEAC), 0);
		assert_int_equal(nvmf_deallocate(c, 1, 32, 8), 0);
		assert_int_equal(nvmf_read(c, 1, r, 16, 32, 0), 0);
		for (int i = 0; i < 8 * 512; i++)
			assert_int_equal(r[i], 0);
		for (int i = 16 * 512; i < 24 * 512; i++)
			assert_int_equal(r[i], 0);
		assert_memory_equal(r + 8 * 512, w + 8 * 512, 8 * 512);
		/* Beyond the end: an NVMe error, not a crash. */
		assert_true(nvmf_read(c, 1, r, (4u << 20) / 512, 1, 0) < 0);
		assert_int_equal(nvmf_disconnect(c), 0);
	}
	free(w);
	free(r);
	free(f);
}

struct evstate {
	pthread_mutex_t mu;
	int ns_changed;
	uint32_t last_nsid;
};

static void on_event(void *user, const struct nvmf_event *ev)
{
	struct evstate *es = user;

	pthread_mutex_lock(&es->mu);
	if (ev->type == NVMF_EVENT_NS_CHANGED) {
		es->ns_changed++;
		if (ev->nr_nsids)
			es->last_nsid = ev->nsids[ev->nr_nsids - 1];
	}
	pthread_mutex_unlock(&es->mu);
}

static void hot_add(struct tf *f, void *arg)
{
	struct ctl_ns *ns;
	char msg[128];

	assert_int_equal(ctl_ns_open(&ns, "ram:3M", 9, false, msg, sizeof(msg)), 0);
	assert_int_equal(ctl_subsys_attach_ns(f->s, ns, 6), 0);
}

static void hot_remove(struct tf *f, void *arg)
{
	ctl_subsys_detach_ns(f->s, 6);
}

static int wait_events(struct evstate *es, int n)
{
	int got = 0;

	/* Bounded wait for the event; the verdict is on its content. */
	for (int i = 0; i < 200 && got < n; i++) {
		pthread_mutex_lock(&es->mu);
		got = es->ns_changed;
		pthread_mutex_unlock(&es->mu);
		if (got < n)
			usleep(50000);
	}
	return got;
}

static void test_host_aen(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	struct nvmf_ns_info info;
	struct evstate es = { .ns_changed = 0 };

	pthread_mutex_init(&es.mu, NULL);
	opts(&o, TH_SUBNQN, false);
	o.event_cb = on_event;
	o.event_user = &es;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	tf_call(&F, hot_add, NULL);
	assert_int_equal(wait_events(&es, 1), 1);
	assert_int_equal(es.last_nsid, 6);
	assert_int_equal(nvmf_get_ns_info(c, 6, &info), 0);
	assert_int_equal(info.size, 3u << 20);
	tf_call(&F, hot_remove, NULL);
	assert_int_equal(wait_events(&es, 2), 2);
	assert_int_equal(nvmf_disconnect(c), 0);
	pthread_mutex_destroy(&es.mu);
}

static void test_host_discovery(void **state)
{
	struct nvmf_opts o;
	struct nvmf_disc_list *log = NULL;

	opts(&o, "", false);
	o.nr_io_queues = 0;
	o.kato = 0;
	assert_int_equal(nvmf_discover(&o, &log), 0);
	assert_non_null(log);
	nvmf_free(log);
}

/*
 * A log page longer than the transfer limit. This target allows 8 KiB per
 * command (MDTS 1) and lists 12 subsystems besides the fixture's: a 14 KiB
 * discovery log page, which one command may not carry (the target refuses
 * it as exceeding MDTS). nvmf_get_log_page() reads it in two pieces, the
 * same bytes as 1 KiB reads of it; nvmf_aio_get_log_page(), one command,
 * refuses it naming the limit.
 */
static void small_mdts_many_subsys(struct tf *f, void *arg)
{
	f->t.opts.mdts = 1;
	for (int i = 0; i < 12; i++) {
		char nqn[64];

		snprintf(nqn, sizeof(nqn), "nqn.2014-08.org.libnvmf:logsplit%d", i);
		assert_non_null(ctl_subsys_add(&f->t, nqn));
	}
}

static void test_host_log_above_mdts(void **state)
{
	static struct tf G;
	struct nvmf_callback cb = { 0 };
	struct nvmf_ctrl_info info;
	struct nvmf_ctrl *c = NULL;
	struct nvmf_opts o;
	uint32_t len = 14 * 1024;
	uint8_t *whole = malloc(len), *pieces = malloc(len);

	assert_non_null(whole);
	assert_non_null(pieces);
	tf_start(&G, 9, small_mdts_many_subsys, NULL);
	opts(&o, NVMF_DISCOVERY_NQN, false);
	snprintf(o.trsvcid, sizeof(o.trsvcid), "%d", G.port);
	o.nr_io_queues = 0;
	o.kato = 0;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_ctrl_get_info(c, &info), 0);
	assert_int_equal(info.max_xfer, 8192);
	memset(whole, 0xAA, len);
	assert_int_equal(nvmf_get_log_page(c, NVMF_LID_DISCOVERY, 0, 0, true, 0, whole, len), 0);
	assert_int_equal(nvmf_get_le64(whole + offsetof(struct nvmf_disc_log_hdr, numrec)), 13);
	for (uint32_t off = 0; off < len; off += 1024)
		assert_int_equal(nvmf_get_log_page(c, NVMF_LID_DISCOVERY, 0, 0, true, off,
						   pieces + off, 1024), 0);
	assert_memory_equal(whole, pieces, len);
	assert_int_equal(nvmf_aio_get_log_page(c, NVMF_LID_DISCOVERY, 0, 0, true, 0, whole, len,
					       cb), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "transfer limit (MDTS 8192 bytes)"));
	nvmf_disconnect(c);
	tf_stop(&G);
	free(whole);
	free(pieces);
}

/*
 * The buffer budget refuses the host's write (Command Interrupted, no DNR):
 * the target advertises CRDT1, the host sets ACRE at connect, and the
 * refusal's CRD 1 makes it wait CRDT1 before each retry. Meanwhile the
 * budget frees up and a retry succeeds; retrying at once, five times, the
 * host would have failed with EIO first. The hog's data is sent as soon as
 * the first refusal is seen, not after a time: nothing here is a timing
 * verdict. CRDT1 is 1 s here (the target's default is 100 ms), so that
 * a loaded machine (sanitizers) has 5 s, not 0.5, to free the budget.
 */
struct hog {
	struct th a, q;
	uint16_t ttag;
	uint8_t *w;
	uint64_t errors;	/* the target's error log entries before */
};

static void set_budget(struct tf *f, void *arg)
{
	f->t.opts.max_data_bytes = *(const uint64_t *)arg;
}

static void set_crdt1(struct tf *f, void *arg)
{
	f->t.opts.crdt1 = *(const uint16_t *)arg;
}

static void count_errors(struct tf *f, void *arg)
{
	uint64_t n = 0;

	for (struct ctl_ctrl *c = f->t.ctrls; c; c = c->next)
		n += c->errcount;
	*(uint64_t *)arg = n;
}

static void *hog_release(void *arg)
{
	struct hog *h = arg;
	uint64_t n;
	uint8_t b[TCP_PDU_HDR_BUF];
	size_t len;

	/* Bounded (10 s): the host's first attempt is refused. */
	for (int i = 0; i < 10000; i++) {
		tf_call(&F, count_errors, &n);
		if (n != h->errors)
			break;
		usleep(1000);
	}
	len = tcp_build_h2c_data(b, &h->q.p, 1, h->ttag, 0, 65536, true);
	if (th_send(&h->q, b, len) == 0)
		th_send(&h->q, h->w, 65536);
	return NULL;
}

static void test_host_budget_retry(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	struct hog h;
	uint64_t budget = 64 * 1024, dflt = F.t.opts.max_data_bytes;
	uint16_t crdt1 = 10, crdt1_dflt = F.t.opts.crdt1;
	uint8_t sqe[64], b[TCP_PDU_HDR_BUF], w[4096], r[4096];
	pthread_t thr;
	size_t n;
	int rc, rd = -1;

	h.w = calloc(1, 65536);
	tf_call(&F, set_budget, &budget);
	/* Read by the host's bring-up (Identify Controller): before connecting. */
	tf_call(&F, set_crdt1, &crdt1);
	opts(&o, TH_SUBNQN, false);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	/* Another host holds the whole budget: a 64 KiB write whose data it
	 * has not sent (to the RAM namespace). */
	assert_int_equal(th_admin_up(&h.a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_io_up(&h.q, F.port, &h.a, 1, 0), 0);
	th_sqe(sqe, NVMF_NVM_WRITE, 2);
	sqe[1] = 0x40;
	nvmf_put_le16(sqe + 2, 1);
	nvmf_put_le32(sqe + 48, 65536 / 512 - 1);
	nvmf_put_le32(sqe + 32, 65536);
	sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
	n = tcp_build_capsule_cmd(b, &h.q.p, sqe, 0);
	assert_int_equal(th_send(&h.q, b, n), 0);
	assert_int_equal(th_recv_pdu(&h.q), 0);
	assert_int_equal(h.q.hdr.ch.pdu_type, NVMF_TCP_R2T);
	h.ttag = nvmf_le16toh(h.q.hdr.r2t.ttag);
	tf_call(&F, count_errors, &h.errors);
	for (size_t i = 0; i < sizeof(w); i++)
		w[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(pthread_create(&thr, NULL, hog_release, &h), 0);
	/* Verdicts once the thread is joined and the budget restored: a
	 * failed assertion must not leave it calling into a stopped loop. */
	rc = nvmf_write(c, 1, w, 64, 8, 0);
	pthread_join(thr, NULL);
	if (rc == 0)
		rd = nvmf_read(c, 1, r, 64, 8, 0);
	assert_int_equal(th_recv_pdu(&h.q), 0);
	assert_int_equal(h.q.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(h.q.hdr.rsp.cqe + 14) >> 1, 0);
	th_close(&h.q);
	th_close(&h.a);
	tf_call(&F, set_budget, &dflt);
	tf_call(&F, set_crdt1, &crdt1_dflt);
	free(h.w);
	assert_int_equal(nvmf_disconnect(c), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(rd, 0);
	assert_memory_equal(w, r, sizeof(w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_io),
		cmocka_unit_test(test_host_discovery),
		cmocka_unit_test(test_host_log_above_mdts),
		cmocka_unit_test(test_host_aen),
		cmocka_unit_test(test_host_budget_retry),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
