/*
 * The host library (libnvmf) against nvmf-target running in-process:
 * connect with and without digests, namespaces, verified I/O, write
 * zeroes, deallocate, discovery, and a namespace hot-add reported as an
 * event.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_io),
		cmocka_unit_test(test_host_discovery),
		cmocka_unit_test(test_host_aen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
