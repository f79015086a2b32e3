/*
 * Queue pair connect: ICResp validation (NVMe/TCP 1.0, 3.6.2.3) and
 * connection failures. Each bad ICResp must fail the connect with -EPROTO
 * and a message naming the field; the queue pair ends FAILED and closes
 * cleanly (the harness checks that every handle was closed).
 */
#include <errno.h>
#include <string.h>

#include "transport/harness.h"

static void expect_refused(enum fake_scenario s, bool hdgst, bool ddgst, const char *what)
{
	struct fake_opts fo = { .scenario = s };
	struct xp_qpair_opts qo = th_qopts();
	struct th t;
	int rc;

	qo.tp.tcp.hdgst = hdgst;
	qo.tp.tcp.ddgst = ddgst;
	rc = th_start(&t, &fo, &qo);
	assert_int_equal(rc, -EPROTO);
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_FAILED);
	if (strstr(xp_qpair_errmsg(t.qp), what) == NULL)
		fail_msg("error '%s' does not mention '%s'", xp_qpair_errmsg(t.qp), what);
	/* A protocol error, not a refused TCP connection. */
	if (strstr(xp_qpair_errmsg(t.qp), "refused") != NULL)
		fail_msg("error '%s' says refused", xp_qpair_errmsg(t.qp));
	assert_false(t.lost);		/* on_connect reports it, not on_lost */
	/* Submissions are refused without a callback. */
	{
		struct tcmd tc;
		uint8_t buf[512];

		assert_int_equal(th_rw(&t, false, 0, 1, buf, &tc, 0), -ENOTCONN);
		assert_false(tc.done);
	}
	th_teardown(&t);
	assert_int_equal(t.st.triggered, 1);
}

static void icresp_bad_pfv(void **state)
{
	(void)state;
	expect_refused(FAKE_ICRESP_BAD_PFV, false, false, "PFV");
}

static void icresp_cpda_32(void **state)
{
	(void)state;
	expect_refused(FAKE_ICRESP_CPDA_32, false, false, "CPDA 32");
}

static void icresp_maxh2c_small(void **state)
{
	(void)state;
	expect_refused(FAKE_ICRESP_MAXH2C_SMALL, false, false, "MAXH2CDATA 2048");
}

static void icresp_maxh2c_unaligned(void **state)
{
	(void)state;
	expect_refused(FAKE_ICRESP_MAXH2C_UNALIGNED, false, false, "MAXH2CDATA 4098");
}

static void icresp_digest_unrequested(void **state)
{
	(void)state;
	expect_refused(FAKE_ICRESP_DIGEST_UNREQUESTED, false, false,
		       "header digest enabled by the controller, not requested");
}

static void icresp_digest_declined(void **state)
{
	(void)state;
	expect_refused(FAKE_ICRESP_DIGEST_DECLINED, false, true,
		       "data digest declined by the controller, requested");
}

/* No ICResp at all: the connect timeout ends it. */
static void icresp_never(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_ICRESP_NEVER };
	struct xp_qpair_opts qo = th_qopts();
	struct th t;

	(void)state;
	qo.connect_timeout_ms = 200;
	assert_int_equal(th_start(&t, &fo, &qo), -ETIMEDOUT);
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_FAILED);
	assert_non_null(strstr(xp_qpair_errmsg(t.qp), "connect timed out after 200 ms"));
	th_teardown(&t);
}

static void close_at_icreq(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_CLOSE_AT_ICREQ };
	struct xp_qpair_opts qo = th_qopts();
	struct th t;

	(void)state;
	assert_int_equal(th_start(&t, &fo, &qo), -ECONNRESET);
	assert_non_null(strstr(xp_qpair_errmsg(t.qp), "closed the connection before ICResp"));
	th_teardown(&t);
}

/* Nothing listens on the port: connection refused, named. */
static void connect_refused(void **state)
{
	struct xp_qpair_opts qo = th_qopts();
	struct th t;
	int rc;

	(void)state;
	rc = th_start(&t, NULL, &qo);
	assert_int_equal(rc, -ECONNREFUSED);
	assert_non_null(strstr(xp_qpair_errmsg(t.qp), "cannot connect to 127.0.0.1 port 1"));
	th_teardown(&t);
}

/*
 * A 200-character host name (a name may have 255) is taken whole and
 * handed to the resolver, which fails it: the error is the resolution's,
 * naming the whole name. The empty label makes the resolver refuse it
 * before any DNS query could leave the machine.
 */
static void long_name_resolution(void **state)
{
	char name[201], *p = name;
	struct xp_qpair_opts qo = th_qopts();
	struct th t;
	int rc;

	(void)state;
	memset(p, 'a', 63), p += 63, *p++ = '.';
	memset(p, 'b', 63), p += 63, *p++ = '.';
	memset(p, 'c', 63), p += 63;
	strcpy(p, "..invalid");
	assert_int_equal(strlen(name), 200);
	rc = th_start_addr(&t, NULL, &qo, name);
	assert_int_equal(rc, -EHOSTUNREACH);
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_FAILED);
	assert_non_null(strstr(xp_qpair_errmsg(t.qp), "cannot resolve address"));
	assert_non_null(strstr(xp_qpair_errmsg(t.qp), name));
	assert_null(strstr(xp_qpair_errmsg(t.qp), "too long"));
	th_teardown(&t);
}

/* Longer than any Fabrics address field (256 bytes): refused up front. */
static void name_too_long(void **state)
{
	char name[300];
	struct xp_qpair_opts qo = th_qopts();
	struct xp_qpair *qp;
	uv_loop_t loop;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(xp_qpair_create("tcp", &loop, &qo, NULL, NULL, &qp), 0);
	assert_int_equal(xp_qpair_connect(qp, name, "4420"), -EINVAL);
	assert_non_null(strstr(xp_qpair_errmsg(qp), "traddr too long"));
	xp_qpair_close(qp, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Parameters out of range are refused at creation, nothing to close:
 * HPDA is 0's based dwords, 31 at most (NVMe/TCP 1.0, 3.6.2.2). */
static void bad_create_params(void **state)
{
	struct xp_qpair_opts qo = th_qopts();
	struct xp_qpair *qp = (struct xp_qpair *)&qo;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	qo.tp.tcp.hpda = 32;
	assert_int_equal(xp_qpair_create("tcp", &loop, &qo, NULL, NULL, &qp), -EINVAL);
	assert_null(qp);
	qo = th_qopts();
	qo.qsize = XP_QSIZE_MAX + 1;
	assert_int_equal(xp_qpair_create("tcp", &loop, &qo, NULL, NULL, &qp), -EINVAL);
	qo = th_qopts();
	assert_int_equal(xp_qpair_create("rdma", &loop, &qo, NULL, NULL, &qp), -EPROTONOSUPPORT);
	uv_run(&loop, UV_RUN_DEFAULT);	/* frees what a failed create left */
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Good ICResp: the negotiated parameters are what the controller said. */
static void connect_ok_params(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD, .cpda = 3, .maxh2cdata = 8192 };
	struct xp_qpair_opts qo = th_qopts();
	struct xp_qpair_info info;
	struct th t;

	(void)state;
	qo.tp.tcp.hdgst = true;
	qo.tp.tcp.ddgst = true;
	qo.tp.tcp.hpda = 2;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(xp_qpair_state(t.qp), XP_QP_READY);
	xp_qpair_get_info(t.qp, &info);
	assert_true(info.tp.tcp.hdgst);
	assert_true(info.tp.tcp.ddgst);
	assert_int_equal(info.tp.tcp.cpda, 3);
	assert_int_equal(info.tp.tcp.maxh2cdata, 8192);
	assert_string_equal(info.traddr, "127.0.0.1");
	th_teardown(&t);
	assert_int_equal(t.st.icreq_hpda, 2);
	assert_int_equal(t.st.icreq_dgst, 3);
}

/* A source address to bind (nvme-cli's host_traddr). */
static void connect_host_traddr(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct xp_qpair_opts qo = th_qopts();
	struct th t;

	(void)state;
	qo.host_traddr = "127.0.0.1";
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	th_teardown(&t);
}

static void connect_localhost_name(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct xp_qpair_opts qo = th_qopts();
	struct th t;

	(void)state;
	/* "localhost" may resolve to ::1 first; the fake listens on IPv4
	 * only, so this also exercises trying the next address. */
	assert_int_equal(th_start_addr(&t, &fo, &qo, "localhost"), 0);
	th_teardown(&t);
}

static void connect_ipv6(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD, .ipv6 = true };
	struct fake_ctrl *probe;
	struct xp_qpair_opts qo = th_qopts();
	struct th t;

	(void)state;
	if (fake_ctrl_start(&fo, &probe) != 0)
		skip();		/* no IPv6 loopback on this machine */
	fake_ctrl_stop(probe, NULL);
	assert_int_equal(th_start_addr(&t, &fo, &qo, "[::1]"), 0);
	th_teardown(&t);
}

/* Closing while connecting: no callback is lost, nothing leaks. */
static void close_while_connecting(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_ICRESP_NEVER };
	struct xp_qpair_opts qo = th_qopts();
	struct fake_ctrl *fc;
	struct th t;
	char port[16];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(fake_ctrl_start(&fo, &fc), 0);
	assert_int_equal(uv_loop_init(&t.loop), 0);
	snprintf(port, sizeof(port), "%u", fake_ctrl_port(fc));
	assert_int_equal(xp_qpair_create("tcp", &t.loop, &qo, NULL, NULL, &t.qp), 0);
	assert_int_equal(xp_qpair_connect(t.qp, "127.0.0.1", port), 0);
	assert_int_equal(xp_qpair_connect(t.qp, "127.0.0.1", port), -EALREADY);
	xp_qpair_close(t.qp, 0);
	uv_run(&t.loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&t.loop), 0);
	fake_ctrl_stop(fc, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(icresp_bad_pfv),
		cmocka_unit_test(icresp_cpda_32),
		cmocka_unit_test(icresp_maxh2c_small),
		cmocka_unit_test(icresp_maxh2c_unaligned),
		cmocka_unit_test(icresp_digest_unrequested),
		cmocka_unit_test(icresp_digest_declined),
		cmocka_unit_test(icresp_never),
		cmocka_unit_test(close_at_icreq),
		cmocka_unit_test(connect_refused),
		cmocka_unit_test(long_name_resolution),
		cmocka_unit_test(name_too_long),
		cmocka_unit_test(bad_create_params),
		cmocka_unit_test(connect_ok_params),
		cmocka_unit_test(connect_host_traddr),
		cmocka_unit_test(connect_localhost_name),
		cmocka_unit_test(connect_ipv6),
		cmocka_unit_test(close_while_connecting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
