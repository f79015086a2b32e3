/*
 * Namespace attribute notices: the target adds then removes a namespace
 * (through NVMF_TEST_CTL) and the host must report each change after
 * rescanning. The second notice only arrives if the host read the Changed
 * Namespace List log with RAE cleared after the first.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include "integ_common.h"

#define TEST_NSID 7

static atomic_int ns_events;
static atomic_uint last_nsid;

static void on_event(void *user, const struct nvmf_event *ev)
{
	(void)user;
	if (ev->type != NVMF_EVENT_NS_CHANGED)
		return;
	if (ev->nr_nsids > 0)
		atomic_store(&last_nsid, ev->nsids[0]);
	atomic_fetch_add(&ns_events, 1);
}

static void wait_events(int n)
{
	for (int ms = 0; atomic_load(&ns_events) < n; ms += 10) {
		if (ms > 60000)
			fail_msg("no namespace change notice within 60 s (%d of %d)",
				 atomic_load(&ns_events), n);
		uv_sleep(10);
	}
}

static void test_ns_notices(void **state)
{
	struct integ_target t;
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	struct nvmf_ns_info ni;
	char out[4096], nsid[8];
	int r;

	(void)state;
	integ_load(&t);
	integ_opts(&t, &o, 1);
	o.event_cb = on_event;
	assert_int_equal(integ_connect(&o, &c), 0);
	assert_int_equal(nvmf_get_ns_info(c, TEST_NSID, &ni), -ENOENT);

	snprintf(nsid, sizeof(nsid), "%d", TEST_NSID);
	r = interop_ctl(&t.env, out, sizeof(out), "ns-add", t.subnqn, nsid, "--size", "8M", NULL);
	if (r != 0)
		fail_msg("ns-add failed (%d): %s", r, out);
	wait_events(1);
	assert_int_equal(atomic_load(&last_nsid), TEST_NSID);
	assert_int_equal(nvmf_get_ns_info(c, TEST_NSID, &ni), 0);
	assert_int_equal(ni.size, 8u << 20);

	r = interop_ctl(&t.env, out, sizeof(out), "ns-remove", t.subnqn, nsid, NULL);
	if (r != 0)
		fail_msg("ns-remove failed (%d): %s", r, out);
	wait_events(2);
	assert_int_equal(nvmf_get_ns_info(c, TEST_NSID, &ni), -ENOENT);
	assert_int_equal(nvmf_get_ns_info(c, t.nsid, &ni), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	integ_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_notices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
