/*
 * The whole host stack (src/host over src/transport and src/tcp) against
 * the scripted fake controller of tests/fake on loopback, part 1: the
 * Fabrics bring-up and what it checks (CSTS, CNTLID, Identify sizes, the
 * Connect statuses, authentication demanded, subsystem NQNs, Keep Alive
 * from its start), the connection refused or unresolved, and discovery.
 * The other parts: test_fake_io.c, test_fake_ns.c, test_fake_disconnect.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"
#include "fake_test_util.h"

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

/*
 * nvmf_get_log_page() above MDTS (8 KiB here): 20 KiB go as three Get Log
 * Page commands of 8, 8 and 4 KiB at offsets 0, 8192 and 16384, RAE set on
 * the first two whatever the caller asked (only the read that ends the page
 * may clear the event), the caller's RAE (clear here) on the last; the
 * asynchronous call, one command, refuses the length naming the limit.
 */
static void test_log_pieces(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD, .mdts = 2 };
	struct nvmf_callback cb = { 0 };
	static uint8_t buf[20480];
	struct fake_stats st;
	struct fake_ctrl *fc;
	struct nvmf_opts o;
	struct nvmf_ctrl *c;

	(void)state;
	assert_int_equal(fake_ctrl_start(&fo, &fc), 0);
	fake_host_opts(fc, &o);
	o.ctrl_loss_tmo = 0;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	memset(buf, 0xAA, sizeof(buf));
	assert_int_equal(nvmf_get_log_page(c, NVMF_LID_SMART, NVMF_NSID_ALL, 0, false, 0, buf,
					   sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != 0)
			fail_msg("byte %zu of the log not read (%02x)", i, buf[i]);
	assert_int_equal(nvmf_aio_get_log_page(c, NVMF_LID_SMART, NVMF_NSID_ALL, 0, false, 0,
					       buf, sizeof(buf), cb), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "transfer limit (MDTS 8192 bytes)"));
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	assert_int_equal(st.log_reads, 3);
	assert_int_equal(st.log_rae, 2);
	assert_int_equal(st.log_last_lpo, 16384);
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
 * controller for them, nor for its namespaces, as Linux), and I/O fails at
 * once naming why. Before, the zero IOCCSZ failed the connect.
 */
static void test_admin_controller(void **state)
{
	struct nvmf_opts o;
	struct fake_ctrl *fc = start_fake(FAKE_ADMIN_CTRL, &o, 2);
	struct nvmf_ns_info *ns = NULL;
	struct nvmf_ctrl_info ci;
	struct fake_stats st;
	struct nvmf_ctrl *c;
	uint8_t id[4096], buf[512], sqe[64];

	(void)state;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_int_equal(ci.cntrltype, 3);
	assert_int_equal(ci.nr_io_queues, 0);
	assert_int_equal(nvmf_identify(c, NVMF_CNS_CTRL, 0, 0, 0, id), 0);
	assert_int_equal(id[111], 3);
	assert_int_equal(nvmf_get_namespaces(c, &ns), 0);	/* not scanned */
	nvmf_free(ns);
	/* A Read (opcode 02h) of NSID 1, block 0, one block. */
	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x02;
	sqe[4] = 1;
	assert_true(nvmf_io_passthru(c, sqe, buf, sizeof(buf), NVMF_DIR_FROM_CTRL, NULL) < 0);
	assert_non_null(strstr(nvmf_get_error(), "no I/O queues (an administrative controller"));
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, &st);
	/* No Number of Queues, I/O Connect or namespace list asked for. */
	assert_int_equal(st.triggered, 0);
	assert_int_equal(st.connects, st.admin_connects);
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
		cmocka_unit_test(test_csts_cfs),
		cmocka_unit_test(test_csts_never_ready),
		cmocka_unit_test(test_cntlid_reserved),
		cmocka_unit_test(test_identify_cntlid),
		cmocka_unit_test(test_log_pieces),
		cmocka_unit_test(test_identify_bad_ioccsz),
		cmocka_unit_test(test_admin_controller),
		cmocka_unit_test(test_admin_lost_during_io_connect),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_icresp_rejected),
		cmocka_unit_test(test_auth_required_status),
		cmocka_unit_test(test_authreq_atr),
		cmocka_unit_test(test_connect_invalid_param),
		cmocka_unit_test(test_connect_invalid_param_discovery),
		cmocka_unit_test(test_long_traddr),
		cmocka_unit_test(test_keep_alive_during_connect),
		cmocka_unit_test(test_sqflow_disabled),
		cmocka_unit_test(test_discover_empty),
		cmocka_unit_test(test_discover_unique_nqn),
		cmocka_unit_test(test_discover_io_subsystem),
		cmocka_unit_test(test_subnqn_other_refused),
		cmocka_unit_test(test_discovery_own_nqn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
