/*
 * Fabrics commands through a queue pair against the fake controller: the
 * Connect command with its 1024-byte data in the capsule, Property Get/Set
 * and Identify, as the host layer issues them. Checks the fake is usable
 * for host-layer tests, and SQ head tracking with flow control on and off
 * (NVMe-oF 1.1, 3.3: Connect CATTR bit 2; SQHD 0xffff when disabled).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <nvmf/endian.h>

#include "transport/harness.h"

struct acmd {
	bool done;
	int status;
	struct xp_cpl cpl;
};

static void acb(struct xp_qpair *qp, const struct xp_cpl *cpl, int status, void *arg)
{
	struct acmd *a = arg;

	(void)qp;
	a->done = true;
	a->status = status;
	a->cpl = *cpl;
}

static int run_cmd(struct th *t, const uint8_t sqe[64], void *buf, uint32_t len,
		   enum xp_dir dir, struct xp_cpl *cpl)
{
	struct acmd a;
	struct xp_cmd c;

	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	memcpy(&c.sqe, sqe, sizeof(c.sqe));
	c.buf = buf;
	c.len = len;
	c.dir = dir;
	c.cb = acb;
	c.arg = &a;
	assert_int_equal(xp_submit(t->qp, &c), 0);
	th_wait(t, &a.done);
	if (cpl != NULL)
		*cpl = a.cpl;
	return a.status;
}

static int connect_q(struct th *t, uint16_t qid, uint16_t sqsize, bool disable_sqfc,
		     struct xp_cpl *cpl)
{
	uint8_t sqe[64], data[1024];

	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x7f;
	sqe[4] = 0x01;				/* Connect */
	nvmf_put_le16(sqe + 42, qid);		/* QID */
	nvmf_put_le16(sqe + 44, sqsize);	/* SQSIZE, 0's based */
	sqe[46] = disable_sqfc ? 0x04 : 0;	/* CATTR */
	nvmf_put_le32(sqe + 48, 5000);		/* KATO */
	memset(data, 0, sizeof(data));
	nvmf_put_le16(data + 16, 0xffff);
	strcpy((char *)data + 256, "nqn.2014-08.org.nvmexpress:fake");
	strcpy((char *)data + 512, "nqn.2014-08.org.nvmexpress:uuid:test");
	xp_qpair_set_sqfc_disable(t->qp, disable_sqfc);
	return run_cmd(t, sqe, data, sizeof(data), XP_DIR_H2C, cpl);
}

static int connect_cmd(struct th *t, bool disable_sqfc, struct xp_cpl *cpl)
{
	return connect_q(t, 0, 31, disable_sqfc, cpl);
}

static int prop_get(struct th *t, uint32_t ofst, bool eight, uint64_t *val)
{
	uint8_t sqe[64];
	struct xp_cpl cpl;
	int rc;

	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x7f;
	sqe[4] = 0x04;
	sqe[40] = eight ? 1 : 0;
	nvmf_put_le32(sqe + 44, ofst);
	rc = run_cmd(t, sqe, NULL, 0, XP_DIR_NONE, &cpl);
	*val = cpl.dw0 | (uint64_t)cpl.dw1 << 32;
	return rc;
}

static int prop_set(struct th *t, uint32_t ofst, uint32_t val)
{
	uint8_t sqe[64];

	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x7f;
	sqe[4] = 0x00;
	nvmf_put_le32(sqe + 44, ofst);
	nvmf_put_le64(sqe + 48, val);
	return run_cmd(t, sqe, NULL, 0, XP_DIR_NONE, NULL);
}

static void bring_up(bool disable_sqfc)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct xp_qpair_opts qo = th_qopts();
	struct xp_qpair_info info;
	struct xp_cpl cpl;
	uint8_t sqe[64], id[4096];
	uint64_t v;
	struct th t;
	int i;

	qo.qid = 0;
	qo.qsize = 32;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(connect_cmd(&t, disable_sqfc, &cpl), 0);
	assert_int_equal(cpl.dw0 & 0xffff, 1);		/* CNTLID */
	assert_int_equal(prop_get(&t, 0x00, true, &v), 0);
	assert_int_equal(v & 0xffff, 127);			/* CAP.MQES */
	assert_int_equal(prop_set(&t, 0x14, 0x00460001), 0);	/* CC.EN */
	assert_int_equal(prop_get(&t, 0x1c, false, &v), 0);
	assert_int_equal(v & 1, 1);				/* CSTS.RDY */

	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x06;
	nvmf_put_le32(sqe + 40, 1);				/* CNS 1 */
	assert_int_equal(run_cmd(&t, sqe, id, sizeof(id), XP_DIR_C2H, &cpl), 0);
	assert_memory_equal(id + 24, "nvmf fake controller", 20);

	xp_qpair_get_info(t.qp, &info);
	if (disable_sqfc) {
		assert_int_equal(cpl.sqhd, 0xffff);
		assert_false(info.sq_flow_control);
	} else {
		/* Connect, 3 properties, Identify: the head moved past 5 entries. */
		assert_int_equal(cpl.sqhd, 5);
		assert_true(info.sq_flow_control);
		assert_int_equal(info.sq_head, 5);
		/* Wrap around the 32-entry SQ a few times. */
		for (i = 0; i < 70; i++)
			assert_int_equal(prop_get(&t, 0x08, false, &v), 0);
		xp_qpair_get_info(t.qp, &info);
		assert_int_equal(info.sq_head, (5 + 70) % 32);
	}
	th_teardown(&t);
	assert_int_equal(t.st.connects, 1);
	assert_int_equal(t.st.connect_sqfc_disabled, disable_sqfc);
	assert_int_equal(t.st.icd_cmds, 1);	/* the Connect data went in the capsule */
}

static void bring_up_sqfc_on(void **state)
{
	(void)state;
	bring_up(false);
}

static void bring_up_sqfc_off(void **state)
{
	(void)state;
	bring_up(true);
}

/*
 * SQ flow control on: the host may not fill the SQ past the controller's
 * reported head (NVMe Base 2.0, 4.1.1), even with no command outstanding.
 */
static void sq_full_with_stuck_head(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_SQHD_STUCK };
	struct xp_qpair_opts qo = th_qopts();
	struct xp_cmd c;
	uint64_t v;
	struct th t;
	int i;

	(void)state;
	qo.qid = 0;
	qo.qsize = 8;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(connect_cmd(&t, false, NULL), 0);	/* tail 1, head 1 */
	for (i = 0; i < 7; i++)					/* tail 2..7, 0 */
		assert_int_equal(prop_get(&t, 0x08, false, &v), 0);
	assert_int_equal(xp_qpair_inflight(t.qp), 0);
	memset(&c, 0, sizeof(c));
	c.sqe.opcode = NVMF_ADM_FABRICS;
	((uint8_t *)&c.sqe)[offsetof(struct nvmf_fabrics_cmd, fctype)] = NVMF_FCTYPE_PROPERTY_GET;
	assert_int_equal(xp_submit(t.qp, &c), -EAGAIN);	/* tail + 1 == head */
	th_teardown(&t);
}

/*
 * A controller that completes reads with C2HData SUCCESS although SQ flow
 * control is on (SPDK's target by default) reports no SQ head for them: the
 * host derives it from each command's slot, so many more reads than the SQ
 * holds go through, and a later CQE's SQHD still fits (never backwards).
 */
static void success_reads_past_sq_size(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_C2H_SUCCESS };
	struct xp_qpair_opts qo = th_qopts();
	struct xp_qpair_info info;
	struct xp_cpl cpl;
	uint8_t sqe[64], buf[4 * 512];
	struct tcmd tc[4];
	struct th t;
	int round, i;

	(void)state;
	qo.qid = 1;
	qo.qsize = 8;
	assert_int_equal(th_start(&t, &fo, &qo), 0);
	assert_int_equal(connect_q(&t, 1, 7, false, &cpl), 0);	/* tail 1, head 1 */
	assert_int_equal(cpl.sqhd, 1);
	/* 10 rounds of 4 reads in flight: 40 commands through an 8-entry SQ. */
	for (round = 0; round < 10; round++) {
		for (i = 0; i < 4; i++)
			assert_int_equal(th_rw(&t, false, (uint64_t)i, 1, buf + i * 512,
					       &tc[i], 0), 0);
		for (i = 0; i < 4; i++) {
			th_wait(&t, &tc[i].done);
			assert_int_equal(tc[i].status, 0);
			assert_true(th_pattern_ok(buf + i * 512, (uint64_t)i * 512, 512));
		}
	}
	xp_qpair_get_info(t.qp, &info);
	assert_true(info.sq_flow_control);
	assert_int_equal(info.sq_head, (1 + 40) % 8);
	/* A Flush answered by a CQE: its SQHD (the fake's real head) agrees. */
	memset(sqe, 0, sizeof(sqe));
	nvmf_put_le32(sqe + 4, 1);
	assert_int_equal(run_cmd(&t, sqe, NULL, 0, XP_DIR_NONE, &cpl), 0);
	assert_int_equal(cpl.sqhd, (1 + 41) % 8);
	xp_qpair_get_info(t.qp, &info);
	assert_int_equal(info.sq_head, (1 + 41) % 8);
	th_teardown(&t);
	assert_int_equal(t.st.triggered, 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bring_up_sqfc_on),
		cmocka_unit_test(bring_up_sqfc_off),
		cmocka_unit_test(sq_full_with_stuck_head),
		cmocka_unit_test(success_reads_past_sq_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
