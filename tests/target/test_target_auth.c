/*
 * nvmf-target authenticates hosts with DH-HMAC-CHAP (issue 14): the test
 * host runs the exchange with src/auth (th_auth.c) against the target in
 * this process. Every hash with the null, ffdhe2048 and ffdhe8192 groups;
 * bidirectional; every queue authenticates; a wrong secret, unusable hashes
 * and groups, messages out of order, a foreign T_ID, truncated messages and
 * the host's Failure2 end in AUTH_Failure1 with the right reason and the
 * controller's end; commands before authentication get Authentication
 * Required; a stalled exchange is bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/endian.h>

#include "th_auth.h"

#define HOST2   "nqn.2024-01.org.libnvmf:host2"	/* listed, no secret */
#define HOST3   "nqn.2024-01.org.libnvmf:host3"	/* not listed */
/* The listener's set-up deadline, which bounds authentication: short, for
 * the stall test, but long enough that ffdhe8192 on both sides of a loaded
 * 2-core machine fits (1 s did not always: a flake under the full suite). */
#define DEADLINE_MS 3000

static struct tf F;
static struct auth_secret KEY, CKEY, OTHER;

static void configure(struct tf *f, void *arg)
{
	struct ctl_secret k, c;

	(void)arg;
	f->lopts.connect_timeout_ms = DEADLINE_MS;
	ctl_subsys_allow_host(f->s, TH_HOSTNQN);
	ctl_subsys_allow_host(f->s, HOST2);
	tha_ctl_secret(&KEY, &k);
	tha_ctl_secret(&CKEY, &c);
	ctl_subsys_set_secrets(f->s, TH_HOSTNQN, &k, &c);
}

static int setup(void **state)
{
	(void)state;
	tha_gen_secret(AUTH_HASH_SHA256, &KEY, NULL, 0);
	tha_gen_secret(AUTH_HASH_SHA384, &CKEY, NULL, 0);
	tha_gen_secret(AUTH_HASH_SHA256, &OTHER, NULL, 0);
	tf_start(&F, 9, configure, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tf_stop(&F);
	return 0;
}

/* ---- Changing the target's configuration on its loop ---------------------- */

struct cfgchg {
	bool ctrl_secret;		/* keep the controller secret */
	struct ctl_auth_policy pol;	/* the subsystem's policy */
};

static void apply_cfg(struct tf *f, void *arg)
{
	struct cfgchg *c = arg;
	struct ctl_secret k, ck;

	tha_ctl_secret(&KEY, &k);
	tha_ctl_secret(&CKEY, &ck);
	ctl_subsys_set_secrets(f->s, TH_HOSTNQN, &k, c->ctrl_secret ? &ck : NULL);
	f->s->auth = c->pol;
}

static void set_cfg(bool ctrl_secret, const uint8_t *hashes, uint8_t nh, const uint8_t *dh,
		    uint8_t nd)
{
	struct cfgchg c;

	memset(&c, 0, sizeof(c));
	c.ctrl_secret = ctrl_secret;
	c.pol.nhash = nh;
	if (nh)
		memcpy(c.pol.hash, hashes, nh);
	c.pol.ndh = nd;
	if (nd)
		memcpy(c.pol.dh, dh, nd);
	tf_call(&F, apply_cfg, &c);
}

/* Connect only (no exchange): ATR expected. */
static void connect_admin(struct th *h, const char *hostnqn, bool atr)
{
	struct th_cqe cqe;

	assert_int_equal(th_open(h, F.port), 0);
	assert_int_equal(th_icreq(h, 0, false, false), 0);
	assert_int_equal(th_connect(h, 0, 31, 0, 0xFFFF, TH_SUBNQN, hostnqn, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal((cqe.dw0 & NVMF_CONNECT_AUTHREQ_ATR) != 0, atr);
	assert_int_equal(nvmf_connect_rsp_cntlid(cqe.dw0), h->cntlid);
}

static void identify_ok(struct th *h)
{
	uint8_t id[4096];
	struct th_cqe cqe;

	assert_int_equal(th_identify(h, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
}

/* ---- Success ----------------------------------------------------------------- */

static void test_each_hash_and_group(void **state)
{
	static const uint8_t hashes[] = { AUTH_HASH_SHA256, AUTH_HASH_SHA384, AUTH_HASH_SHA512 };
	static const uint8_t groups[] = { AUTH_DHGROUP_NULL, AUTH_DHGROUP_2048, AUTH_DHGROUP_8192 };

	(void)state;
	set_cfg(true, NULL, 0, NULL, 0);
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < 3; j++) {
			struct th h;
			struct tha a;

			tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, hashes[i], groups[j]);
			a.t_id = (uint16_t)(i * 3 + j);
			assert_int_equal(tha_admin_up(&a, F.port), 0);
			assert_int_equal(a.sel_hash, hashes[i]);
			assert_int_equal(a.sel_dh, groups[j]);
			assert_int_equal(a.ctrl_publen, auth_dhgroup_len(groups[j]));
			identify_ok(&h);
			th_close(&h);
		}
	}
}

static void test_default_policy_picks_as_nvmet(void **state)
{
	struct th h;
	struct tha a;

	(void)state;
	set_cfg(true, NULL, 0, NULL, 0);
	/* What Linux's host offers: every hash and every group. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_NULL);
	a.nhash = 3;
	a.hash[1] = AUTH_HASH_SHA384;
	a.hash[2] = AUTH_HASH_SHA512;
	a.ndh = 6;
	for (int i = 0; i < 6; i++)
		a.dh[i] = (uint8_t)i;
	assert_int_equal(tha_admin_up(&a, F.port), 0);
	assert_int_equal(a.sel_hash, AUTH_HASH_SHA256);
	assert_int_equal(a.sel_dh, AUTH_DHGROUP_NULL);
	th_close(&h);
	/* A policy's order is the preference. */
	{
		static const uint8_t ph[] = { AUTH_HASH_SHA512, AUTH_HASH_SHA256 };
		static const uint8_t pd[] = { AUTH_DHGROUP_4096, AUTH_DHGROUP_2048 };

		set_cfg(true, ph, 2, pd, 2);
		assert_int_equal(tha_admin_up(&a, F.port), 0);
		assert_int_equal(a.sel_hash, AUTH_HASH_SHA512);
		assert_int_equal(a.sel_dh, AUTH_DHGROUP_4096);
		th_close(&h);
	}
	set_cfg(true, NULL, 0, NULL, 0);
}

static void test_bidirectional_every_queue(void **state)
{
	struct th h, q;
	struct tha a, b;
	struct th_cqe cqe;
	uint8_t w[4096], r[4096];

	(void)state;
	set_cfg(true, NULL, 0, NULL, 0);
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, &CKEY, AUTH_HASH_SHA384, AUTH_DHGROUP_2048);
	assert_int_equal(tha_admin_up(&a, F.port), 0);
	identify_ok(&h);
	/* The I/O queue authenticates too (its own transaction). */
	tha_init(&b, &q, TH_HOSTNQN, TH_SUBNQN, &KEY, &CKEY, AUTH_HASH_SHA512, AUTH_DHGROUP_NULL);
	b.t_id = 7;
	assert_int_equal(tha_io_up(&b, F.port, &h, 1), 0);
	memset(w, 0xA5, sizeof(w));
	assert_int_equal(th_write(&q, 1, 0, 8, w, sizeof(w), true, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_read(&q, 1, 0, 8, r, sizeof(r), &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_memory_equal(w, r, sizeof(w));
	/* Re-authentication of the admin queue: the queue stays usable. */
	a.t_id = 99;
	assert_int_equal(tha_run(&a), 0);
	identify_ok(&h);
	th_close(&q);
	th_close(&h);
}

static void test_host_without_secret(void **state)
{
	struct th h;
	struct th_cqe cqe;

	(void)state;
	/* Listed without a secret where another host has one: no
	 * authentication (nvmet_setup_auth: "No authentication provided"). */
	assert_int_equal(th_admin_up_as(&h, F.port, TH_SUBNQN, HOST2, 0), 0);
	identify_ok(&h);
	th_close(&h);
	/* The discovery controller never asks. */
	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	assert_int_equal(th_connect(&h, 0, 31, 0, 0xFFFF, NVMF_DISCOVERY_NQN, TH_HOSTNQN, 0, &cqe),
			 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(cqe.dw0 & NVMF_CONNECT_AUTHREQ_ATR, 0);
	th_close(&h);
	/* Not listed: refused as before. */
	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	assert_int_equal(th_connect(&h, 0, 31, 0, 0xFFFF, TH_SUBNQN, HOST3, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CONNECT_INVALID_HOST);
	th_close(&h);
}

/* ---- Commands before authentication -------------------------------------- */

static void test_commands_before_auth(void **state)
{
	struct th h, q;
	struct tha a;
	struct th_cqe cqe;
	uint8_t id[4096], sqe[64], buf[512], b[TCP_PDU_HDR_BUF];
	uint64_t v;
	size_t n;

	(void)state;
	connect_admin(&h, TH_HOSTNQN, true);
	/* Admin commands: Authentication Required, DNR, even before CC.EN
	 * (nvmet_parse_admin_cmd checks it first). */
	assert_int_equal(th_identify(&h, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_AUTH_REQUIRED);
	assert_true(cqe.dnr);
	th_sqe(sqe, NVMF_ADM_KEEP_ALIVE, 0);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_AUTH_REQUIRED);
	/* Fabrics Property Get/Set run (as nvmet). */
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CAP, true, &v, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_prop_set(&h, NVMF_PROP_CC, 1u | (6u << 16) | (4u << 20), &cqe), 0);
	assert_int_equal(cqe.status, 0);
	/* Authentication Send with a bad SECP, or a TL the data does not
	 * have: Invalid Field / Data SGL Length Invalid, nothing changes. */
	{
		struct nvmf_auth_send_cmd cmd;

		memset(buf, 0, sizeof(buf));
		auth_cmd_send_init(&cmd, 72);
		cmd.secp = 0xEA;
		assert_int_equal(th_cmd(&h, (uint8_t *)&cmd, buf, 72, true, NULL, 0, &cqe), 0);
		assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
		auth_cmd_send_init(&cmd, 80);
		assert_int_equal(th_cmd(&h, (uint8_t *)&cmd, buf, 72, true, NULL, 0, &cqe), 0);
		assert_int_equal(cqe.status, NVMF_SC_SGL_INVALID_DATA_LEN);
		/* One of 64 KiB, by R2T: refused at once, no buffer held
		 * for it (no DH-HMAC-CHAP message is that long). */
		auth_cmd_send_init(&cmd, 65536);
		cmd.dptr.sgl.length = nvmf_htole32(65536);
		cmd.dptr.sgl.id = NVMF_SGL_ID_TCP_TRANSPORT;
		cmd.flags = 0x40;
		n = tcp_build_capsule_cmd(b, &h.p, (uint8_t *)&cmd, 0);
		assert_int_equal(th_send(&h, b, n), 0);
		assert_int_equal(th_recv_pdu(&h), 0);
		assert_int_equal(h.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
		assert_int_equal((nvmf_get_le16(h.hdr.rsp.cqe + 14) >> 1) & 0x7FF,
				 NVMF_SC_INVALID_FIELD);
	}
	/* An I/O queue of the unauthenticated controller: its commands too. */
	{
		assert_int_equal(th_open(&q, F.port), 0);
		memcpy(q.hostid, h.hostid, 16);
		assert_int_equal(th_icreq(&q, 0, false, false), 0);
		assert_int_equal(th_connect(&q, 1, 127, 0, h.cntlid, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
		assert_int_equal(cqe.status, 0);
		assert_true(cqe.dw0 & NVMF_CONNECT_AUTHREQ_ATR);
		assert_int_equal(th_read(&q, 1, 0, 1, buf, 512, &cqe), 0);
		assert_int_equal(cqe.status, NVMF_SC_AUTH_REQUIRED);
		assert_true(cqe.dnr);
		/* Property Get is an admin-queue command. */
		assert_int_equal(th_prop_get(&q, NVMF_PROP_CSTS, false, &v, &cqe), 0);
		assert_int_equal(cqe.status, NVMF_SC_INVALID_OPCODE);
		/* Authenticated, the I/O queue works. */
		tha_init(&a, &q, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256,
			 AUTH_DHGROUP_NULL);
		assert_int_equal(tha_run(&a), 0);
		assert_int_equal(th_read(&q, 1, 0, 1, buf, 512, &cqe), 0);
		assert_int_equal(cqe.status, 0);
		th_close(&q);
	}
	/* The admin queue after its own exchange. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_2048);
	assert_int_equal(tha_run(&a), 0);
	identify_ok(&h);
	th_close(&h);
}

/* ---- Failures ------------------------------------------------------------------ */

/* After a Failure1 the target closes the controller's queues. */
static void closed(struct th *h)
{
	assert_true(th_wait_closed(h, TH_TIMEOUT_MS));
	th_close(h);
}

static void test_wrong_secret(void **state)
{
	struct th h, q;
	struct tha a;

	(void)state;
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &OTHER, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_2048);
	assert_int_equal(tha_admin_up(&a, F.port), THA_FAILURE1(AUTH_FAILURE_FAILED));
	closed(&h);
	/* A flipped byte of R1, null group. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA512, AUTH_DHGROUP_NULL);
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a), 0);
	assert_int_equal(tha_challenge(&a), 0);
	assert_int_equal(tha_reply(&a, THA_BAD_R1), 0);	/* the Send completes */
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_FAILED);
	closed(&h);
	/* A failed I/O queue takes its controller down, admin queue too. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_NULL);
	assert_int_equal(tha_admin_up(&a, F.port), 0);
	{
		struct tha b;

		tha_init(&b, &q, TH_HOSTNQN, TH_SUBNQN, &OTHER, NULL, AUTH_HASH_SHA256,
			 AUTH_DHGROUP_NULL);
		assert_int_equal(tha_io_up(&b, F.port, &h, 1), THA_FAILURE1(AUTH_FAILURE_FAILED));
	}
	closed(&q);
	closed(&h);
}

static void test_bidirectional_without_ctrl_secret(void **state)
{
	struct th h;
	struct tha a;

	(void)state;
	set_cfg(false, NULL, 0, NULL, 0);
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, &CKEY, AUTH_HASH_SHA256, AUTH_DHGROUP_NULL);
	/* nvmet_auth_success1: no controller key, Failure1 "failed". */
	assert_int_equal(tha_admin_up(&a, F.port), THA_FAILURE1(AUTH_FAILURE_FAILED));
	closed(&h);
	/* Unidirectional still works. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_NULL);
	assert_int_equal(tha_admin_up(&a, F.port), 0);
	th_close(&h);
	set_cfg(true, NULL, 0, NULL, 0);
}

static void test_unusable_hash_or_group(void **state)
{
	struct th h;
	struct tha a;

	(void)state;
	/* Only hash ids nobody defines. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, 0x04, AUTH_DHGROUP_NULL);
	a.nhash = 2;
	a.hash[1] = 0xFE;
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a), 0);
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_HASH_UNUSABLE);
	closed(&h);
	/* Only unknown DH groups. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256, 0x06);
	assert_int_equal(tha_admin_up(&a, F.port), THA_FAILURE1(AUTH_FAILURE_DHGROUP_UNUSABLE));
	closed(&h);
	/* Known, but not what the policy allows. */
	{
		static const uint8_t ph[] = { AUTH_HASH_SHA512 };
		static const uint8_t pd[] = { AUTH_DHGROUP_2048 };

		set_cfg(true, ph, 1, pd, 1);
		tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256,
			 AUTH_DHGROUP_2048);
		assert_int_equal(tha_admin_up(&a, F.port), THA_FAILURE1(AUTH_FAILURE_HASH_UNUSABLE));
		closed(&h);
		tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA512,
			 AUTH_DHGROUP_NULL);
		assert_int_equal(tha_admin_up(&a, F.port),
				 THA_FAILURE1(AUTH_FAILURE_DHGROUP_UNUSABLE));
		closed(&h);
		set_cfg(true, NULL, 0, NULL, 0);
	}
}

static void test_out_of_order(void **state)
{
	struct th h;
	struct tha a;
	uint8_t b[AUTH_HDR_LEN];

	(void)state;
	/* A Receive before any Negotiate: Failure1 at once. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_NULL);
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_INCORRECT_MESSAGE);
	closed(&h);
	/* Success2 where the Reply is due. */
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a), 0);
	assert_int_equal(tha_challenge(&a), 0);
	assert_int_equal(tha_success2(&a), 0);
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_INCORRECT_MESSAGE);
	closed(&h);
	/* A Reply before the Challenge was read. */
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a), 0);
	a.sel_hash = AUTH_HASH_SHA256;
	a.sel_dh = AUTH_DHGROUP_NULL;
	assert_int_equal(tha_reply(&a, 0), 0);
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_INCORRECT_MESSAGE);
	closed(&h);
	/* A message the controller sends (a Challenge) sent by the host. */
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a), 0);
	memset(b, 0, sizeof(b));
	b[0] = AUTH_TYPE_DHCHAP;
	b[1] = AUTH_MSG_CHALLENGE;
	assert_int_equal(tha_send_raw(&h, b, sizeof(b), &a.cqe), 0);
	assert_int_equal(a.cqe.status, 0);
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_INCORRECT_MESSAGE);
	closed(&h);
	/* Success2 in a unidirectional exchange, after Success1. */
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_run(&a), 0);
	assert_int_equal(tha_success2(&a), 0);
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_INCORRECT_MESSAGE);
	closed(&h);
}

static void test_wrong_tid(void **state)
{
	struct th h;
	struct tha a;

	(void)state;
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_2048);
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a), 0);
	assert_int_equal(tha_challenge(&a), 0);
	assert_int_equal(tha_reply(&a, THA_TID), 0);
	/* nvmet: incorrect payload. The Failure1 names our transaction. */
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_INCORRECT_PAYLOAD);
	assert_int_equal(nvmf_get_le16(a.rbuf + 4), a.t_id);
	closed(&h);
}

static void test_truncated(void **state)
{
	struct th h;
	struct tha a;
	uint8_t b[AUTH_NEGOTIATE_LEN];

	(void)state;
	/* A Reply one byte short of its DH value. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA384, AUTH_DHGROUP_2048);
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a), 0);
	assert_int_equal(tha_challenge(&a), 0);
	assert_int_equal(tha_reply(&a, THA_SHORT), 0);
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_INCORRECT_PAYLOAD);
	closed(&h);
	/* A Negotiate without its protocol descriptor. */
	connect_admin(&h, TH_HOSTNQN, true);
	memset(b, 0, sizeof(b));
	b[7] = 1;
	assert_int_equal(tha_send_raw(&h, b, 20, &a.cqe), 0);
	assert_int_equal(a.cqe.status, 0);
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_INCORRECT_PAYLOAD);
	closed(&h);
	/* Shorter than any message. */
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_send_raw(&h, b, 4, &a.cqe), 0);
	assert_int_equal(tha_expect_failure1(&a), AUTH_FAILURE_INCORRECT_PAYLOAD);
	closed(&h);
	/* A Receive whose AL cannot hold the Challenge: Invalid Field, and
	 * the exchange goes on with a larger one. */
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_8192);
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a), 0);
	assert_int_equal(tha_recv_raw(&h, a.rbuf, 64, &a.cqe), 0);
	assert_int_equal(a.cqe.status, NVMF_SC_INVALID_FIELD);
	assert_int_equal(tha_challenge(&a), 0);
	assert_int_equal(tha_reply(&a, 0), 0);
	assert_int_equal(tha_success1(&a), 0);
	assert_int_equal(th_prop_set(&h, NVMF_PROP_CC, 1u | (6u << 16) | (4u << 20), &a.cqe), 0);
	identify_ok(&h);
	th_close(&h);
}

static void test_failure2(void **state)
{
	struct th h;
	struct tha a;
	uint8_t b[AUTH_FAILURE_LEN];

	(void)state;
	tha_init(&a, &h, TH_HOSTNQN, TH_SUBNQN, &KEY, &CKEY, AUTH_HASH_SHA256, AUTH_DHGROUP_NULL);
	connect_admin(&h, TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a), 0);
	assert_int_equal(tha_challenge(&a), 0);
	assert_int_equal(tha_reply(&a, 0), 0);
	assert_int_equal(tha_success1(&a), 0);
	/* The host refuses the controller (say R2 did not match). */
	assert_int_equal(auth_failure_build(AUTH_MSG_FAILURE2, a.t_id, AUTH_FAILURE_FAILED, b,
					    sizeof(b)), AUTH_FAILURE_LEN);
	assert_int_equal(tha_send_raw(&h, b, sizeof(b), &a.cqe), 0);
	assert_int_equal(a.cqe.status, 0);
	closed(&h);
}

/* ---- Deadline --------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The transport closes a queue dropped from a timer callback once the loop
 * next wakes, at the latest when its linger timer (TCP_LINGER_MS, 5 s)
 * fires: a queue failed by its deadline is closed within the deadline plus
 * that.
 */
#define CLOSE_WITHIN_MS (DEADLINE_MS + 5000 + 2000)

static void test_stall_bounded(void **state)
{
	struct th h[3];
	struct tha a[3];
	double t0;

	(void)state;
	/* Three stalls side by side: nothing after the Connect; nothing after
	 * the Challenge; a failure whose Failure1 is never read. */
	for (int i = 0; i < 3; i++)
		tha_init(&a[i], &h[i], TH_HOSTNQN, TH_SUBNQN, &KEY, NULL, AUTH_HASH_SHA256,
			 AUTH_DHGROUP_NULL);
	t0 = now_ms();
	connect_admin(&h[0], TH_HOSTNQN, true);
	connect_admin(&h[1], TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a[1]), 0);
	assert_int_equal(tha_challenge(&a[1]), 0);
	connect_admin(&h[2], TH_HOSTNQN, true);
	assert_int_equal(tha_negotiate(&a[2]), 0);
	assert_int_equal(tha_challenge(&a[2]), 0);
	assert_int_equal(tha_reply(&a[2], THA_BAD_R1), 0);
	for (int i = 0; i < 3; i++) {
		assert_true(th_wait_closed(&h[i], CLOSE_WITHIN_MS));
		th_close(&h[i]);
	}
	assert_true(now_ms() - t0 >= DEADLINE_MS - 100);
	/* Commands do not extend it: a host that keeps sending Identify
	 * (Authentication Required) is closed all the same. */
	connect_admin(&h[0], TH_HOSTNQN, true);
	t0 = now_ms();
	for (;;) {
		uint8_t id[4096];
		struct th_cqe cqe;

		if (th_identify(&h[0], NVMF_CNS_CTRL, 0, id, &cqe) != 0)
			break;
		assert_int_equal(cqe.status, NVMF_SC_AUTH_REQUIRED);
		assert_true(now_ms() - t0 < CLOSE_WITHIN_MS);
		usleep(100000);
	}
	assert_true(now_ms() - t0 >= DEADLINE_MS - 100);
	th_close(&h[0]);
	/* An authenticated queue has no deadline. */
	assert_int_equal(tha_admin_up(&a[0], F.port), 0);
	usleep((DEADLINE_MS + 500) * 1000);
	identify_ok(&h[0]);
	th_close(&h[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_hash_and_group),
		cmocka_unit_test(test_default_policy_picks_as_nvmet),
		cmocka_unit_test(test_bidirectional_every_queue),
		cmocka_unit_test(test_host_without_secret),
		cmocka_unit_test(test_commands_before_auth),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_bidirectional_without_ctrl_secret),
		cmocka_unit_test(test_unusable_hash_or_group),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_wrong_tid),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_failure2),
		cmocka_unit_test(test_stall_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
