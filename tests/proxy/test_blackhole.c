/*
 * A silent partition (issue 12): the host's connections through
 * nvmf-fault-proxy stop carrying anything, both the admin queue's and the
 * I/O queue's, while reads are in flight. With keep-alive 2 s and
 * io_timeout 30 s the host must notice the loss through keep-alive,
 * reconnect (the proxy's new connections pass) and complete the held reads
 * successfully, none of them failing with -ETIMEDOUT.
 *
 * The test asserts the order of what happened (one sequence counter shared
 * by the event callback and the read completions), not wall-clock figures:
 *   CONN_LOST naming Keep Alive < RECONNECTING < RECONNECTED < the reads
 *   that were stuck complete, with the right data.
 *
 * The partition: the proxy blackholes every connection (--conn 0) at byte
 * 1 MiB of its down stream (target to host). A fresh connection carries far
 * less than that (the admin queue's connect is some 30 KiB, the replayed
 * reads a few hundred), so only the first two connections are cut, once
 * the test has pushed each of them past 1 MiB: the I/O queue with 20
 * reads of 64 KiB submitted at once (the last few are then stuck), the
 * admin queue with Identify commands, the last of which is stuck.
 *
 * Runs on the proxy tests' fixture (tests/proxy/CMakeLists.txt); its region
 * of namespace 1 (from 4 MiB on) is not the one test_proxy.c uses.
 * argv[1] is the nvmf-fault-proxy executable.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "integration/integ_common.h"
#include "pxy_client.h"

static const char *PROXY_BIN;
static struct integ_target T;

#define REGION_OFF	(4u << 20)
#define NR_READS	20
#define READ_LEN	(64u * 1024)
#define CUT_AT		"1048576"	/* down-stream byte at which each connection is cut */
#define WAIT_MS		60000		/* hang detector: beyond io_timeout (30 s) */

/* ---- What happened, in order ----------------------------------------------------------- */

static atomic_uint seq;		/* one counter for events and completions */

#define MAX_EV 64
struct ev_rec {
	unsigned seq;
	enum nvmf_event_type type;
	int error;
	unsigned attempt, max_attempts;
	char msg[256];
};
static struct ev_rec evs[MAX_EV];
static atomic_uint nr_evs;

static const char *ev_name(enum nvmf_event_type t)
{
	switch (t) {
	case NVMF_EVENT_NS_CHANGED: return "NS_CHANGED";
	case NVMF_EVENT_AEN: return "AEN";
	case NVMF_EVENT_CONN_LOST: return "CONN_LOST";
	case NVMF_EVENT_FATAL: return "FATAL";
	case NVMF_EVENT_RECONNECTING: return "RECONNECTING";
	case NVMF_EVENT_RECONNECTED: return "RECONNECTED";
	case NVMF_EVENT_GAVE_UP: return "GAVE_UP";
	}
	return "?";
}

static void on_event(void *user, const struct nvmf_event *ev)
{
	unsigned i = atomic_fetch_add(&nr_evs, 1);

	(void)user;
	if (i >= MAX_EV)
		return;
	evs[i].type = ev->type;
	evs[i].error = ev->error;
	evs[i].attempt = ev->attempt;
	evs[i].max_attempts = ev->max_attempts;
	snprintf(evs[i].msg, sizeof(evs[i].msg), "%s", ev->msg ? ev->msg : "");
	evs[i].seq = atomic_fetch_add(&seq, 1) + 1;	/* written last: the record is whole */
}

struct rd {
	uint8_t *buf;
	atomic_uint done_seq;	/* 0 while in flight */
	int result;
	char msg[256];
};
static struct rd rds[NR_READS];
static atomic_uint nr_done;

static void on_read(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct rd *r = user;

	(void)cookie;
	r->result = cpl->result;
	snprintf(r->msg, sizeof(r->msg), "%s", nvmf_completion_errmsg(cpl));
	atomic_store(&r->done_seq, atomic_fetch_add(&seq, 1) + 1);
	atomic_fetch_add(&nr_done, 1);
}

/* strcasestr() is not POSIX. */
static bool has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s; s++) {
		size_t k = 0;

		while (k < n && s[k] && tolower((unsigned char)s[k]) == tolower((unsigned char)w[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* The first event of a type, or NULL. */
static const struct ev_rec *first_ev(enum nvmf_event_type t)
{
	unsigned n = atomic_load(&nr_evs);

	for (unsigned i = 0; i < n && i < MAX_EV; i++)
		if (evs[i].type == t)
			return &evs[i];
	return NULL;
}

static void print_history(void)
{
	unsigned n = atomic_load(&nr_evs);

	for (unsigned i = 0; i < n && i < MAX_EV; i++)
		print_message("  #%u %s error %d attempt %u/%u: %s\n", evs[i].seq,
			      ev_name(evs[i].type), evs[i].error, evs[i].attempt,
			      evs[i].max_attempts, evs[i].msg);
	for (unsigned i = 0; i < NR_READS; i++)
		print_message("  read %u: %s #%u %s\n", i,
			      atomic_load(&rds[i].done_seq) ? (rds[i].result ? "failed" : "ok")
							    : "in flight",
			      atomic_load(&rds[i].done_seq), rds[i].msg);
}

/* ---- The test ------------------------------------------------------------------------ */

static uint8_t *expect;

static void region_fill(void)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	uint32_t len = NR_READS * READ_LEN;

	integ_opts(&T, &o, 1);
	assert_int_equal(nvmf_connect(&o, &c), 0);
	integ_fill(expect, len, 0xb1ac401e);
	for (uint32_t off = 0; off < len; off += 128 * 1024)
		assert_int_equal(nvmf_write(c, T.nsid, expect + off, (REGION_OFF + off) / T.lba,
					    128 * 1024 / T.lba, 0), 0);
	assert_int_equal(nvmf_flush(c, T.nsid), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
}

static void test_blackhole_keepalive_reconnect(void **state)
{
	struct pxy x;
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	struct nvmf_ctrl_state_info st;
	char port[16];
	uint8_t *idbuf;
	int i, waited, id_rc = 0;
	const struct ev_rec *lost, *fatal, *rcing, *rced, *gave;
	unsigned replayed = 0;

	(void)state;
	region_fill();
	idbuf = malloc(4096);
	assert_non_null(idbuf);

	pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "blackhole", "--dir", "down", "--conn", "0", "--after", CUT_AT,
		  NULL);
	integ_opts(&T, &o, 1);
	snprintf(port, sizeof(port), "%d", x.port);
	snprintf(o.trsvcid, sizeof(o.trsvcid), "%s", port);
	o.kato = 2;
	o.io_timeout = 30;
	o.connect_timeout = 5;
	o.reconnect_delay = 1;
	o.ctrl_loss_tmo = 60;
	o.event_cb = on_event;
	assert_int_equal(nvmf_connect(&o, &c), 0);

	/* The I/O queue: 20 reads of 64 KiB at once; those past its first MiB stay stuck. */
	for (i = 0; i < NR_READS; i++) {
		struct nvmf_callback cb = { .cb = on_read, .user = &rds[i] };

		rds[i].buf = malloc(READ_LEN);
		assert_non_null(rds[i].buf);
		memset(rds[i].buf, 0, READ_LEN);
		assert_true(nvmf_aio_read(c, T.nsid, rds[i].buf,
					  (REGION_OFF + (uint64_t)i * READ_LEN) / T.lba,
					  READ_LEN / T.lba, 0, cb) > 0);
	}
	/* The admin queue: Identify Controller until one does not come back. Its failure
	 * (an admin command is never replayed) comes with the loss of the connection. */
	for (i = 0; i < 1000; i++) {
		id_rc = nvmf_identify(c, 1, 0, 0, 0, idbuf);
		if (id_rc != 0)
			break;
	}
	print_message("  identify %d failed: %d (%s)\n", i, id_rc, nvmf_get_error());
	assert_true(i < 1000);	/* the admin queue was cut */

	/* Every read completes, or the hang detector ends the wait. */
	for (waited = 0; waited < WAIT_MS && atomic_load(&nr_done) < NR_READS; waited += 50)
		usleep(50000);
	/* A moment for a trailing event. */
	for (waited = 0; waited < 3000 && !first_ev(NVMF_EVENT_RECONNECTED) &&
	     atomic_load(&nr_done) == NR_READS; waited += 50)
		usleep(50000);
	assert_int_equal(nvmf_ctrl_get_state(c, &st), 0);
	print_message("  state %s, attempt %u, outages %" PRIu64 ", reconnects %" PRIu64 "\n",
		      nvmf_ctrl_state_str(st.state), st.attempt, st.outages, st.reconnects);
	print_history();

	lost = first_ev(NVMF_EVENT_CONN_LOST);
	fatal = first_ev(NVMF_EVENT_FATAL);
	rcing = first_ev(NVMF_EVENT_RECONNECTING);
	rced = first_ev(NVMF_EVENT_RECONNECTED);
	gave = first_ev(NVMF_EVENT_GAVE_UP);

	/* Every read finished, successfully, with the data written; none timed out. */
	assert_int_equal(atomic_load(&nr_done), NR_READS);
	for (i = 0; i < NR_READS; i++) {
		if (rds[i].result == -ETIMEDOUT)
			fail_msg("read %d failed with -ETIMEDOUT (io_timeout) instead of being "
				 "held across the reconnect: %s", i, rds[i].msg);
		if (rds[i].result != 0)
			fail_msg("read %d failed: %d %s", i, rds[i].result, rds[i].msg);
		if (memcmp(rds[i].buf, expect + (size_t)i * READ_LEN, READ_LEN) != 0)
			fail_msg("read %d returned wrong data", i);
	}

	/* The order: CONN_LOST naming Keep Alive, RECONNECTING, RECONNECTED, then the reads
	 * that were stuck. */
	if (!lost)
		fail_msg("no CONN_LOST event%s", fatal ? " (a FATAL one: the controller did not "
			 "report this failure, the silence did)" : "");
	/* Keep-alive's doing: each keep-alive tick sends Keep Alive (KATO as its
	 * timeout) and then reads CSTS (twice the KATO), so on a silent connection
	 * Keep Alive expires first and the host names it
	 * (src/host/keepalive.c, queues.c). Commands of the test's own do not
	 * qualify: its Identify (06h) and Read (02h) have io_timeout. */
	if (!has_word(lost->msg, "keep alive got no answer within kato"))
		fail_msg("CONN_LOST does not name Keep Alive: '%s'", lost->msg);
	assert_null(gave);
	if (!rcing)
		fail_msg("no RECONNECTING event after CONN_LOST");
	if (!rced)
		fail_msg("no RECONNECTED event");
	assert_true(lost->seq < rcing->seq);
	assert_true(rcing->seq < rced->seq);
	for (i = 0; i < NR_READS; i++) {
		unsigned s = atomic_load(&rds[i].done_seq);

		/* A read completes either before the loss was noticed (it got through
		 * before the cut) or after RECONNECTED (held, then replayed). */
		if (s > lost->seq && s < rced->seq)
			fail_msg("read %d completed (#%u) between CONN_LOST (#%u) and RECONNECTED "
				 "(#%u)", i, s, lost->seq, rced->seq);
		if (s > rced->seq)
			replayed++;
	}
	print_message("  %u reads were held and completed after RECONNECTED\n", replayed);
	assert_true(replayed > 0);	/* the cut did catch reads in flight */
	assert_int_equal(st.state, NVMF_CTRL_LIVE);
	assert_true(st.reconnects >= 1);

	assert_int_equal(nvmf_disconnect(c), 0);
	pxy_stop(&x);
	assert_true(x.fired >= 2);	/* the admin and the I/O connections were cut */
	for (i = 0; i < NR_READS; i++)
		free(rds[i].buf);
	free(idbuf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blackhole_keepalive_reconnect),
	};
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s NVMF_FAULT_PROXY\n", argv[0]);
		return 2;
	}
	PROXY_BIN = argv[1];
	signal(SIGPIPE, SIG_IGN);
	integ_load(&T);
	expect = malloc(NR_READS * READ_LEN);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(expect);
	integ_free(&T);
	return rc;
}
