/* Test harness for the queue pair tests (see harness.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>

#include "transport/harness.h"

#define TH_WATCHDOG_MS 60000

static int th_order;

static void th_on_connect(struct xp_qpair *qp, int status, void *arg)
{
	struct th *t = arg;

	(void)qp;
	t->connect_done = true;
	t->connect_status = status;
}

static void th_on_lost(struct xp_qpair *qp, int err, const char *msg, void *arg)
{
	struct th *t = arg;

	(void)qp;
	t->lost = true;
	t->lost_err = err;
	snprintf(t->lost_msg, sizeof(t->lost_msg), "%s", msg);
}

static void th_on_closed(struct xp_qpair *qp, void *arg)
{
	struct th *t = arg;

	(void)qp;
	t->closed = true;
}

static void th_log(void *arg, enum nvmf_log_level level, const char *msg)
{
	struct th *t = arg;
	size_t n = strlen(t->log);

	if (level > NVMF_LOG_WARN)
		return;
	snprintf(t->log + n, sizeof(t->log) - n, "%s\n", msg);
	if (getenv("TH_VERBOSE") != NULL)
		fprintf(stderr, "[qpair] %s\n", msg);
}

static const struct xp_qpair_cbs th_cbs = {
	.on_connect = th_on_connect,
	.on_lost = th_on_lost,
	.on_closed = th_on_closed,
	.log = th_log,
};

static void th_watchdog(uv_timer_t *w)
{
	struct th *t = w->data;

	t->watchdog_fired = true;
}

struct xp_qpair_opts th_qopts(void)
{
	struct xp_qpair_opts o;

	memset(&o, 0, sizeof(o));
	o.qid = 1;
	o.qsize = 128;
	o.icd_max = 8192;
	o.connect_timeout_ms = 20000;
	return o;
}

int th_start_addr(struct th *t, const struct fake_opts *fo, const struct xp_qpair_opts *qo,
		  const char *traddr)
{
	char port[16];
	int rc;

	memset(t, 0, sizeof(*t));
	th_order = 0;
	assert_int_equal(uv_loop_init(&t->loop), 0);
	uv_timer_init(&t->loop, &t->watchdog);
	t->watchdog.data = t;
	uv_timer_start(&t->watchdog, th_watchdog, TH_WATCHDOG_MS, 0);
	uv_unref((uv_handle_t *)&t->watchdog);
	if (fo != NULL) {
		rc = fake_ctrl_start(fo, &t->fc);
		assert_int_equal(rc, 0);
		snprintf(port, sizeof(port), "%u", fake_ctrl_port(t->fc));
	} else {
		snprintf(port, sizeof(port), "%u", 1);	/* nothing listens there */
	}
	rc = xp_qpair_create("tcp", &t->loop, qo, &th_cbs, t, &t->qp);
	assert_int_equal(rc, 0);
	rc = xp_qpair_connect(t->qp, traddr, port);
	assert_int_equal(rc, 0);
	th_wait(t, &t->connect_done);
	return t->connect_status;
}

int th_start(struct th *t, const struct fake_opts *fo, const struct xp_qpair_opts *qo)
{
	return th_start_addr(t, fo, qo, "127.0.0.1");
}

void th_wait(struct th *t, const bool *flag)
{
	while (!*flag) {
		if (t->watchdog_fired)
			fail_msg("test watchdog: the condition never came true");
		uv_ref((uv_handle_t *)&t->watchdog);
		uv_run(&t->loop, UV_RUN_ONCE);
		uv_unref((uv_handle_t *)&t->watchdog);
	}
}

static void th_cmd_cb(struct xp_qpair *qp, const struct xp_cpl *cpl, int status, void *arg)
{
	struct tcmd *tc = arg;

	(void)qp;
	assert_false(tc->done);		/* exactly once */
	tc->done = true;
	tc->status = status;
	tc->cpl = *cpl;
	tc->order = ++th_order;
}

int th_rw(struct th *t, bool write, uint64_t slba, uint32_t nblocks, void *buf,
	  struct tcmd *tc, uint32_t timeout_ms)
{
	struct xp_cmd c;

	memset(&c, 0, sizeof(c));
	memset(tc, 0, sizeof(*tc));
	c.sqe.opcode = write ? NVMF_NVM_WRITE : NVMF_NVM_READ;
	c.sqe.nsid = nvmf_htole32(1);
	c.sqe.cdw10 = nvmf_htole32((uint32_t)slba);
	c.sqe.cdw11 = nvmf_htole32((uint32_t)(slba >> 32));
	c.sqe.cdw12 = nvmf_htole32(nblocks - 1);
	c.buf = buf;
	c.len = nblocks * 512;
	c.dir = write ? XP_DIR_H2C : XP_DIR_C2H;
	c.timeout_ms = timeout_ms;
	c.cb = th_cmd_cb;
	c.arg = tc;
	return xp_submit(t->qp, &c);
}

void th_teardown(struct th *t)
{
	if (t->qp != NULL) {
		xp_qpair_close(t->qp, 0);
		th_wait(t, &t->closed);
		t->qp = NULL;
	}
	uv_close((uv_handle_t *)&t->watchdog, NULL);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	/* Every handle of the queue pair is closed: the loop closes cleanly. */
	assert_int_equal(uv_loop_close(&t->loop), 0);
	if (t->fc != NULL) {
		fake_ctrl_stop(t->fc, &t->st);
		t->fc = NULL;
	}
}

bool th_pattern_ok(const uint8_t *buf, uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != fake_pattern(off + i))
			return false;
	return true;
}
