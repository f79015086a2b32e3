/*
 * The host stack against the fake controller (tests/fake), part 3:
 * namespaces and their scans (Identify Namespace refused, failing or
 * changed live, namespace notices, the replaced tables freed). Part 1 is
 * test_fake.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"
#include "host/ctrl.h"
#include "fake_test_util.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identify_bad_lbads),
		cmocka_unit_test(test_ns_list_dup),
		cmocka_unit_test(test_ns_notices_back_to_back),
		cmocka_unit_test(test_ns_lba_format_changes_live),
		cmocka_unit_test(test_ns_notice_flood),
		cmocka_unit_test(test_ns_format_made_usable),
		cmocka_unit_test(test_ns_tables_freed),
		cmocka_unit_test(test_ns_identity_after_failed_identify),
		cmocka_unit_test(test_ns_identity_after_zero_identify),
		cmocka_unit_test(test_ns_desc_list_fails_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
