/*
 * nvmf-target: Connect validation, properties and the enable/shutdown
 * sequence, Identify, features (Host Behavior Support too), log pages, the
 * discovery controller.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/endian.h>

#include "th.h"

static struct tf F;

static void allow_list(struct tf *f, void *arg)
{
	ctl_subsys_allow_host(f->s, TH_HOSTNQN);
}

static int setup(void **state)
{
	tf_start(&F, 9, allow_list, NULL);
	return 0;
}

static int teardown(void **state)
{
	tf_stop(&F);
	return 0;
}

static void connect_expect(uint16_t qid, uint16_t sqsize, uint16_t cntlid, const char *sub,
			   const char *hostnqn, uint16_t want_status, uint32_t want_dw0)
{
	struct th h;
	struct th_cqe cqe;

	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	assert_int_equal(th_connect(&h, qid, sqsize, 0, cntlid, sub, hostnqn, 0, &cqe), 0);
	assert_int_equal(cqe.status, want_status);
	if (want_status)
		assert_true(cqe.dnr);
	if (want_dw0 != 0xFFFFFFFFu)
		assert_int_equal(cqe.dw0, want_dw0);
	th_close(&h);
}

static void test_connect_validation(void **state)
{
	/* Unknown subsystem: Connect Invalid Parameters, IPO = SUBNQN in data. */
	connect_expect(0, 31, 0xFFFF, "nqn.2024-01.org.libnvmf:nope", TH_HOSTNQN,
		       NVMF_SC_CONNECT_INVALID_PARAMS, TH_IPO_DATA(subnqn));
	/* Host not on the allow-list. */
	connect_expect(0, 31, 0xFFFF, TH_SUBNQN, "nqn.2024-01.org.libnvmf:intruder",
		       NVMF_SC_CONNECT_INVALID_HOST, 0xFFFFFFFFu);
	/* Malformed host NQN (a control character). */
	connect_expect(0, 31, 0xFFFF, TH_SUBNQN, "nqn.2024-01.org.libnvmf:\x01",
		       NVMF_SC_CONNECT_INVALID_PARAMS,
		       TH_IPO_DATA(hostnqn));
	/* No "nqn." prefix: a name like any other (see
	 * test_connect_hostnqn_without_prefix), just not on the allow-list. */
	connect_expect(0, 31, 0xFFFF, TH_SUBNQN, "not-an-nqn", NVMF_SC_CONNECT_INVALID_HOST,
		       0xFFFFFFFFu);
	/* Empty host NQN (SPDK's host) on a subsystem with an allow-list:
	 * no host is named, so none is allowed. */
	connect_expect(0, 31, 0xFFFF, TH_SUBNQN, "", NVMF_SC_CONNECT_INVALID_HOST, 0xFFFFFFFFu);
	/* Static CNTLID on the admin queue: the target is dynamic. */
	connect_expect(0, 31, 5, TH_SUBNQN, TH_HOSTNQN, NVMF_SC_CONNECT_INVALID_PARAMS,
		       TH_IPO_DATA(cntlid));
	/* SQSIZE 0 and above MQES. */
	connect_expect(0, 0, 0xFFFF, TH_SUBNQN, TH_HOSTNQN, NVMF_SC_CONNECT_INVALID_PARAMS,
		       TH_IPO_SQE(sqsize));
	connect_expect(0, CTL_MQES + 1, 0xFFFF, TH_SUBNQN, TH_HOSTNQN,
		       NVMF_SC_CONNECT_INVALID_PARAMS, TH_IPO_SQE(sqsize));
	/* I/O queue for a controller that does not exist. */
	connect_expect(1, 31, 0x1234, TH_SUBNQN, TH_HOSTNQN, NVMF_SC_CONNECT_INVALID_PARAMS,
		       TH_IPO_DATA(cntlid));
	/* Good one. */
	connect_expect(0, 31, 0xFFFF, TH_SUBNQN, TH_HOSTNQN, 0, 0xFFFFFFFFu);
}

/* Disconnect on the admin queue: Invalid Queue Type (Fabrics 1.1, 3.4), DNR;
 * the queue goes on. */
static void test_disconnect_admin_queue(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t sqe[64];

	(void)state;
	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	th_sqe(sqe, NVMF_ADM_FABRICS, 0);
	sqe[offsetof(struct nvmf_fabrics_cmd, fctype)] = NVMF_FCTYPE_DISCONNECT;
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_QUEUE_TYPE);
	assert_true(cqe.dnr);
	th_sqe(sqe, NVMF_ADM_KEEP_ALIVE, 0);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_close(&h);
}

/*
 * An SGL longer than the data structure: the whole SGL is sent, zeroes past
 * the structure, with success. Sending less would make a strict host (ours,
 * FreeBSD's) fail the queue (NVMe/TCP 1.0, 3.6.2.9).
 */
static void test_sgl_longer_than_data(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t sqe[64];
	uint8_t *buf = malloc(8192);
	uint32_t numd = 512 / 4 - 1;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	memset(buf, 0xee, 8192);
	th_sqe(sqe, NVMF_ADM_IDENTIFY, 0);
	nvmf_put_le32(sqe + 40, NVMF_CNS_CTRL);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, buf, 8192, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(h.c2h_bytes, 8192);
	assert_int_equal(buf[4096], 0);
	assert_int_equal(buf[8191], 0);
	/* Get Log Page (Error Information) with NUMD for 512 bytes, 4096 in the SGL. */
	memset(buf, 0xee, 8192);
	th_sqe(sqe, NVMF_ADM_GET_LOG_PAGE, 0xFFFFFFFFu);
	nvmf_put_le32(sqe + 40, NVMF_LID_ERROR | (numd << 16));
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, buf, 4096, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(h.c2h_bytes, 4096);
	assert_int_equal(buf[512], 0);
	assert_int_equal(buf[4095], 0);
	th_close(&h);
	free(buf);
}

static void test_recfmt_and_order(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t sqe[64], data[1024] = { 0 };

	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	/* A command before Connect: Command Sequence Error. */
	th_sqe(sqe, NVMF_ADM_KEEP_ALIVE, 0);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CMD_SEQ_ERROR);
	/* Property Get before Connect as well. */
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CAP, true, NULL, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CMD_SEQ_ERROR);
	/* RECFMT 1: Incompatible Format. */
	th_sqe(sqe, NVMF_ADM_FABRICS, 0);
	sqe[4] = NVMF_FCTYPE_CONNECT;
	nvmf_put_le16(sqe + 40, 1);
	nvmf_put_le16(sqe + 44, 31);
	snprintf((char *)data + 256, 256, "%s", TH_SUBNQN);
	snprintf((char *)data + 512, 256, "%s", TH_HOSTNQN);
	nvmf_put_le16(data + 16, 0xFFFF);
	assert_int_equal(th_cmd(&h, sqe, data, sizeof(data), true, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CONNECT_INCOMPATIBLE_FMT);
	/* Connect data shorter than 1024 bytes. */
	th_sqe(sqe, NVMF_ADM_FABRICS, 0);
	sqe[4] = NVMF_FCTYPE_CONNECT;
	nvmf_put_le16(sqe + 44, 31);
	assert_int_equal(th_cmd(&h, sqe, data, 512, true, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_SGL_INVALID_DATA_LEN);
	th_close(&h);
}

static void test_properties_enable_shutdown(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint64_t v;

	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	assert_int_equal(th_connect(&h, 0, 31, 0, 0xFFFF, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CAP, true, &v, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(v & 0xFFFF, CTL_MQES);
	assert_true(v & (1ull << 16));		/* CQR */
	assert_true(v & (1ull << 37));		/* NVM command set */
	assert_int_equal(th_prop_get(&h, NVMF_PROP_VS, false, &v, &cqe), 0);
	assert_int_equal(v, 0x00010300);
	/* 4-byte read of CAP, 8-byte reads of the 4-byte VS, CC and CSTS,
	 * and an unknown offset: Invalid Field. */
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CAP, false, &v, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_VS, true, &v, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CC, true, &v, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CSTS, true, &v, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	assert_int_equal(th_prop_get(&h, 0x50, false, &v, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	/* Before enable: admin commands are refused. */
	{
		uint8_t id[4096];

		assert_int_equal(th_identify(&h, NVMF_CNS_CTRL, 0, id, &cqe), 0);
		assert_int_equal(cqe.status, NVMF_SC_CMD_SEQ_ERROR);
	}
	/* Bad IOSQES at enable: CSTS.CFS, not RDY. */
	assert_int_equal(th_prop_set(&h, NVMF_PROP_CC, 1u | (7u << 16) | (4u << 20), &cqe), 0);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CSTS, false, &v, &cqe), 0);
	assert_int_equal(v & 3, NVMF_CSTS_CFS);
	assert_int_equal(th_prop_set(&h, NVMF_PROP_CC, 0, &cqe), 0);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CSTS, false, &v, &cqe), 0);
	assert_int_equal(v & 3, 0);
	/* Proper enable. */
	assert_int_equal(th_prop_set(&h, NVMF_PROP_CC, 1u | (6u << 16) | (4u << 20), &cqe), 0);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CSTS, false, &v, &cqe), 0);
	assert_int_equal(v & 3, NVMF_CSTS_RDY);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CC, false, &v, &cqe), 0);
	assert_int_equal(v & 1, 1);
	/* Normal shutdown: SHST complete. */
	assert_int_equal(th_prop_set(&h, NVMF_PROP_CC, 1u | (6u << 16) | (4u << 20) | (1u << 14),
				     &cqe), 0);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CSTS, false, &v, &cqe), 0);
	assert_int_equal((v >> 2) & 3, 2);
	/* Property Set of a read-only property. */
	assert_int_equal(th_prop_set(&h, NVMF_PROP_CSTS, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	th_close(&h);
}

/* stderr into a temporary file while the target logs (ctl_log writes there). */
struct capture {
	FILE *f;
	int   saved;
};

static void capture_begin(struct capture *cap)
{
	fflush(stderr);
	cap->f = tmpfile();
	assert_non_null(cap->f);
	cap->saved = dup(2);
	assert_true(cap->saved >= 0);
	assert_true(dup2(fileno(cap->f), 2) == 2);
}

/* Ends the capture; what was written, NUL-terminated, into buf. */
static void capture_end(struct capture *cap, char *buf, size_t len)
{
	size_t n;

	fflush(stderr);
	assert_true(dup2(cap->saved, 2) == 2);
	close(cap->saved);
	rewind(cap->f);
	n = fread(buf, 1, len - 1, cap->f);
	buf[n] = '\0';
	fclose(cap->f);
}

/* The target's verbosity, set on its own thread (tf_call). */
static void set_verbose(struct tf *f, void *arg)
{
	f->t.opts.verbose = *(int *)arg;
}

/* An enable with a CC field the controller cannot honour sets CSTS.CFS, and
 * the target's log names the field, its value and what is supported. */
static void test_cc_refused_names_field(void **state)
{
	static const struct {
		uint32_t    cc;
		const char *want;
	} cases[] = {
		{ 1u | (1u << 7) | (6u << 16) | (4u << 20), "CC.MPS 1: only 4 KiB pages" },
		{ 1u | (1u << 11) | (6u << 16) | (4u << 20), "CC.AMS 1: only round robin" },
		{ 1u | (1u << 4) | (6u << 16) | (4u << 20), "CC.CSS 1: only the NVM command set" },
		{ 1u | (7u << 16) | (4u << 20), "CC.IOSQES 7: I/O submission queue entries are 64" },
		{ 1u | (6u << 16) | (5u << 20), "CC.IOCQES 5: I/O completion queue entries are 16" },
	};
	struct th h;
	struct th_cqe cqe;
	uint64_t v;

	assert_int_equal(th_open(&h, F.port), 0);
	assert_int_equal(th_icreq(&h, 0, false, false), 0);
	assert_int_equal(th_connect(&h, 0, 31, 0, 0xFFFF, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	tf_call(&F, set_verbose, &(int){ 0 });		/* warnings on */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct capture cap;
		char log[1024];

		capture_begin(&cap);
		assert_int_equal(th_prop_set(&h, NVMF_PROP_CC, cases[i].cc, &cqe), 0);
		assert_int_equal(th_prop_get(&h, NVMF_PROP_CSTS, false, &v, &cqe), 0);
		capture_end(&cap, log, sizeof(log));
		assert_int_equal(v & 3, NVMF_CSTS_CFS);
		if (!strstr(log, cases[i].want))
			fail_msg("CC %#x: the log does not say \"%s\":\n%s", cases[i].cc,
				 cases[i].want, log);
		assert_int_equal(th_prop_set(&h, NVMF_PROP_CC, 0, &cqe), 0);
	}
	tf_call(&F, set_verbose, &(int){ getenv("TH_VERBOSE") ? 2 : -1 });
	th_close(&h);
}

static void test_identify_features(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t id[4096], sqe[64];

	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_identify(&h, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(nvmf_get_le16(id + TH_IDC(cntlid)), h.cntlid);
	assert_int_equal(id[TH_IDC(mdts)], F.t.opts.mdts);
	assert_int_equal(id[TH_IDC(cntrltype)], 1);
	assert_string_equal((char *)id + TH_IDC(subnqn), TH_SUBNQN);
	assert_int_equal(nvmf_get_le32(id + TH_IDC(ioccsz)), (64 + F.t.opts.io_icd) / 16);
	assert_int_equal(id[TH_IDC(sqes)], 0x66);
	assert_int_equal(id[TH_IDC(cqes)], 0x44);

	assert_int_equal(th_identify(&h, NVMF_CNS_NS, 1, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), (4u << 20) / 512);
	assert_int_equal(id[TH_IDN(lbaf[0].lbads)], 9);
	assert_int_equal(id[TH_IDN(dlfeat)] & 7, 1);
	/* Inactive NSID: zeroes; NSID 0: Invalid Namespace. */
	assert_int_equal(th_identify(&h, NVMF_CNS_NS, 7, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), 0);
	assert_int_equal(th_identify(&h, NVMF_CNS_NS, 0, id, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_NS);
	/* Active namespace list after NSID 1: just 2. */
	assert_int_equal(th_identify(&h, NVMF_CNS_ACTIVE_NS_LIST, 1, id, &cqe), 0);
	assert_int_equal(nvmf_get_le32(id), 2);
	assert_int_equal(nvmf_get_le32(id + 4), 0);
	/* Descriptor list: an NGUID then the CSI. */
	assert_int_equal(th_identify(&h, NVMF_CNS_NS_DESC_LIST, 1, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(id[0], 2);
	assert_int_equal(id[1], 16);
	assert_int_equal(id[20], 4);
	/* Unknown CNS. */
	assert_int_equal(th_identify(&h, 0x55, 0, id, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);

	/* Number of Queues: asked 100, granted the maximum. */
	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_NUM_QUEUES);
	nvmf_put_le32(sqe + 44, (99u << 16) | 99u);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(cqe.dw0 & 0xFFFF, F.t.opts.max_ioq - 1u);
	/* Keep Alive Timer set and read back. */
	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_KEEP_ALIVE);
	nvmf_put_le32(sqe + 44, 120000);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_sqe(sqe, NVMF_ADM_GET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_KEEP_ALIVE);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.dw0, 120000);
	/* Saving is not supported. */
	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_ASYNC_EVENT | (1u << 31));
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_FEATURE_NOT_SAVEABLE);
	/* Unknown feature and unknown opcode. */
	th_sqe(sqe, NVMF_ADM_GET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, 0x7E);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	th_sqe(sqe, 0xC5, 0);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_OPCODE);
	/* Keep Alive. */
	th_sqe(sqe, NVMF_ADM_KEEP_ALIVE, 0);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_close(&h);
}

/* A Set Features of Host Behavior Support refused as Invalid Field, DNR. */
static void hb_refused(struct th *h, const uint8_t *d, uint32_t len)
{
	struct th_cqe cqe;

	assert_int_equal(th_set_host_behavior(h, d, len, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	assert_true(cqe.dnr);
}

static void test_host_behavior(void **state)
{
	struct th h, h2, d;
	struct th_cqe cqe;
	uint8_t id[4096], hb[NVMF_HOST_BEHAVIOR_LEN], big[NVMF_HOST_BEHAVIOR_LEN + 1], r[1024];

	/* Command Retry Delay Time 1 advertised (100 ms), 2 and 3 not. */
	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_identify(&h, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(nvmf_get_le16(id + TH_IDC(crdt1)), 1);
	assert_int_equal(nvmf_get_le16(id + TH_IDC(crdt2)), 0);
	assert_int_equal(nvmf_get_le16(id + TH_IDC(crdt3)), 0);
	/* Host Behavior Support: all zero until set. */
	memset(r, 0xEE, sizeof(r));
	assert_int_equal(th_get_host_behavior(&h, NVMF_FEAT_SEL_CURRENT, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	memset(hb, 0, sizeof(hb));
	assert_memory_equal(r, hb, 512);
	/* ACRE set, read back; the default stays 0; changeable, not saveable. */
	hb[0] = NVMF_HOST_BEHAVIOR_ACRE;
	assert_int_equal(th_set_host_behavior(&h, hb, sizeof(hb), &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_get_host_behavior(&h, NVMF_FEAT_SEL_CURRENT, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_memory_equal(r, hb, 512);
	/* A longer buffer: the structure, then zeroes. */
	memset(r, 0xEE, sizeof(r));
	assert_int_equal(th_get_host_behavior(&h, NVMF_FEAT_SEL_CURRENT, r, 1024, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(r[0], 1);
	assert_int_equal(r[1023], 0);
	assert_int_equal(th_get_host_behavior(&h, NVMF_FEAT_SEL_DEFAULT, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(r[0], 0);
	assert_int_equal(th_get_host_behavior(&h, NVMF_FEAT_SEL_SUPPORTED, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(cqe.dw0, 0x4);
	/* Refused, the value unchanged: a transfer other than 512 bytes, a
	 * value other than 0 or 1 in ACRE, a reserved byte set; a Get into
	 * fewer than 512 bytes. */
	hb_refused(&h, hb, 511);
	memcpy(big, hb, sizeof(hb));
	big[sizeof(hb)] = 0;
	hb_refused(&h, big, sizeof(big));
	hb[0] = 2;
	hb_refused(&h, hb, sizeof(hb));
	hb[0] = 1;
	hb[100] = 1;
	hb_refused(&h, hb, sizeof(hb));
	hb[100] = 0;
	assert_int_equal(th_get_host_behavior(&h, NVMF_FEAT_SEL_CURRENT, r, 256, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	assert_true(cqe.dnr);
	assert_int_equal(th_get_host_behavior(&h, NVMF_FEAT_SEL_CURRENT, r, 512, &cqe), 0);
	assert_int_equal(r[0], 1);
	assert_int_equal(r[100], 0);
	/* Per controller: another one of the same host starts at 0. */
	assert_int_equal(th_admin_up(&h2, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_get_host_behavior(&h2, NVMF_FEAT_SEL_CURRENT, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(r[0], 0);
	th_close(&h2);
	/* Cleared again. */
	hb[0] = 0;
	assert_int_equal(th_set_host_behavior(&h, hb, sizeof(hb), &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_get_host_behavior(&h, NVMF_FEAT_SEL_CURRENT, r, 512, &cqe), 0);
	assert_int_equal(r[0], 0);
	th_close(&h);
	/* A discovery controller has no I/O to retry: neither. */
	assert_int_equal(th_admin_up(&d, F.port, NVMF_DISCOVERY_NQN, 0), 0);
	assert_int_equal(th_identify(&d, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(nvmf_get_le16(id + TH_IDC(crdt1)), 0);
	hb[0] = 1;
	hb_refused(&d, hb, sizeof(hb));
	assert_int_equal(th_get_host_behavior(&d, NVMF_FEAT_SEL_CURRENT, r, 512, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	th_close(&d);
}

static void test_log_pages(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t buf[4096], sqe[64];

	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	/* Make an error to log. */
	th_sqe(sqe, 0xC5, 0);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(th_get_log(&h, NVMF_LID_ERROR, false, 0, buf, 64, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_true(nvmf_get_le64(buf) >= 1);
	assert_int_equal((nvmf_get_le16(buf + 12) >> 1) & 0x7FF, NVMF_SC_INVALID_OPCODE);
	assert_int_equal(th_get_log(&h, NVMF_LID_SMART, false, 0, buf, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(buf[3], 100);
	/* Offsets: the SMART page's byte 3 read at offset 0 and 4 agree. */
	assert_int_equal(th_get_log(&h, NVMF_LID_SMART, false, 4, buf, 8, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(buf[0], 10);		/* spare threshold at byte 4 */
	/* Unaligned offset, offset past the end, unknown page, discovery page
	 * on an I/O controller. */
	assert_int_equal(th_get_log(&h, NVMF_LID_SMART, false, 2, buf, 8, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	assert_int_equal(th_get_log(&h, NVMF_LID_SMART, false, 4096, buf, 8, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	assert_int_equal(th_get_log(&h, 0x7A, false, 0, buf, 8, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_LOG_PAGE);
	assert_int_equal(th_get_log(&h, NVMF_LID_DISCOVERY, false, 0, buf, 1024, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_LOG_PAGE);
	th_close(&h);
}

static void test_discovery(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t *buf = calloc(1, 3072), id[4096];
	uint64_t gen;
	char port[16];

	assert_int_equal(th_admin_up(&h, F.port, NVMF_DISCOVERY_NQN, 0), 0);
	assert_int_equal(th_identify(&h, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(id[TH_IDC(cntrltype)], 2);
	assert_int_equal(th_get_log(&h, NVMF_LID_DISCOVERY, false, 0, buf, 2048, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	gen = nvmf_get_le64(buf);
	assert_int_equal(nvmf_get_le64(buf + 8), 1);	/* one subsystem, one port */
	assert_int_equal(buf[1024 + TH_DLE(trtype)], NVMF_DISC_TRTYPE_TCP);
	assert_int_equal(buf[1024 + TH_DLE(subtype)], NVMF_DISC_SUBTYPE_NVME);
	assert_memory_equal(buf + 1024 + TH_DLE(subnqn), TH_SUBNQN, strlen(TH_SUBNQN));
	snprintf(port, sizeof(port), "%d", F.port);
	assert_memory_equal(buf + 1024 + TH_DLE(trsvcid), port, strlen(port));
	assert_int_equal(buf[1024 + TH_DLE(trsvcid) + strlen(port)], ' ');
	assert_memory_equal(buf + 1024 + TH_DLE(traddr), "127.0.0.1 ", 10);
	/* The entry alone through an offset. */
	memset(buf, 0xEE, 1024);
	assert_int_equal(th_get_log(&h, NVMF_LID_DISCOVERY, false, 1024, buf, 1024, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_memory_equal(buf + TH_DLE(subnqn), TH_SUBNQN, strlen(TH_SUBNQN));
	/* Header again: same generation. */
	assert_int_equal(th_get_log(&h, NVMF_LID_DISCOVERY, false, 0, buf, 1024, &cqe), 0);
	assert_int_equal(nvmf_get_le64(buf), gen);
	/* A discovery controller has no I/O queues, no namespaces. */
	assert_int_equal(th_identify(&h, NVMF_CNS_NS, 1, id, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	th_close(&h);
	connect_expect(1, 31, 1, NVMF_DISCOVERY_NQN, TH_HOSTNQN, NVMF_SC_CONNECT_INVALID_PARAMS,
		       0xFFFFFFFFu);
	free(buf);
}

static void add_subsys(struct tf *f, void *arg)
{
	ctl_subsys_add(&f->t, "nqn.2024-01.org.libnvmf:second");
}

static void test_discovery_genctr(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t *buf = calloc(1, 4096), sqe[64], b[TCP_PDU_HDR_BUF];
	uint64_t gen;
	size_t n;

	assert_int_equal(th_admin_up(&h, F.port, NVMF_DISCOVERY_NQN, 0), 0);
	assert_int_equal(th_get_log(&h, NVMF_LID_DISCOVERY, false, 0, buf, 1024, &cqe), 0);
	gen = nvmf_get_le64(buf);
	/* Discovery log change notices on, an AER held. */
	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_ASYNC_EVENT);
	nvmf_put_le32(sqe + 44, NVMF_AEC_DISC_LOG_CHANGE);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_sqe(sqe, NVMF_ADM_ASYNC_EVENT, 0);
	sqe[1] = 0x40;
	sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
	nvmf_put_le16(sqe + 2, 777);
	n = tcp_build_capsule_cmd(b, &h.p, sqe, 0);
	assert_int_equal(th_send(&h, b, n), 0);
	tf_call(&F, add_subsys, NULL);
	assert_int_equal(th_recv_pdu(&h), 0);
	assert_int_equal(h.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(h.hdr.rsp.cqe + 12), 777);
	assert_int_equal(nvmf_get_le32(h.hdr.rsp.cqe),
			 nvmf_aer_dw0(NVMF_AER_TYPE_NOTICE, NVMF_AER_NOTICE_DISC_CHANGED,
				      NVMF_LID_DISCOVERY));
	assert_int_equal(th_get_log(&h, NVMF_LID_DISCOVERY, false, 0, buf, 3072, &cqe), 0);
	assert_true(nvmf_get_le64(buf) > gen);
	assert_int_equal(nvmf_get_le64(buf + 8), 2);
	th_close(&h);
	free(buf);
}

static void test_io_queue_connect(void **state)
{
	struct th a, q, bad;
	struct th_cqe cqe;
	uint8_t sqe[64];

	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_NUM_QUEUES);
	nvmf_put_le32(sqe + 44, (1u << 16) | 1u);	/* 2 queues */
	assert_int_equal(th_cmd(&a, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.dw0, (1u << 16) | 1u);
	assert_int_equal(th_io_up(&q, F.port, &a, 1, 0), 0);
	/* The same QID twice, a QID beyond the granted two, a wrong HOSTID,
	 * a wrong HOSTNQN. */
	assert_int_equal(th_open(&bad, F.port), 0);
	memcpy(bad.hostid, a.hostid, 16);
	assert_int_equal(th_icreq(&bad, 0, false, false), 0);
	assert_int_equal(th_connect(&bad, 1, 31, 0, a.cntlid, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CONNECT_INVALID_PARAMS);
	assert_int_equal(cqe.dw0, TH_IPO_SQE(qid));
	assert_int_equal(th_connect(&bad, 3, 31, 0, a.cntlid, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.dw0, TH_IPO_SQE(qid));
	bad.hostid[0] ^= 1;
	assert_int_equal(th_connect(&bad, 2, 31, 0, a.cntlid, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.dw0, TH_IPO_DATA(hostid));
	bad.hostid[0] ^= 1;
	/* Number of Queues may not change once I/O queues exist. */
	assert_int_equal(th_cmd(&a, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CMD_SEQ_ERROR);
	/* Property Get on an I/O queue is not allowed. */
	assert_int_equal(th_prop_get(&q, NVMF_PROP_CAP, true, NULL, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_OPCODE);
	th_close(&bad);
	th_close(&q);
	th_close(&a);
}

#define ANY_NQN "nqn.2024-01.org.libnvmf:anyhost"

static void add_any_host(struct tf *f, void *arg)
{
	assert_non_null(ctl_subsys_add(&f->t, ANY_NQN));
}

static void remove_any_host(struct tf *f, void *arg)
{
	ctl_subsys_remove(&f->t, ctl_subsys_find(&f->t, ANY_NQN));
}

/* An empty HOSTNQN, as SPDK's host sends by default: accepted where any host
 * is allowed, on the admin and the I/O queues; an I/O queue must then also
 * carry the empty HOSTNQN; the discovery log shows it no allow-listed
 * subsystem. */
static void test_connect_empty_hostnqn(void **state)
{
	struct th a, q, d;
	struct th_cqe cqe;
	uint8_t *buf = calloc(1, 4096);
	bool seen_any = false;
	uint64_t n;

	tf_call(&F, add_any_host, NULL);
	assert_int_equal(th_admin_up_as(&a, F.port, ANY_NQN, "", 10000), 0);
	assert_int_not_equal(a.cntlid, 0);
	assert_int_equal(th_open(&q, F.port), 0);
	memcpy(q.hostid, a.hostid, 16);
	assert_int_equal(th_icreq(&q, 0, false, false), 0);
	assert_int_equal(th_connect(&q, 1, CTL_MQES, 0, a.cntlid, ANY_NQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CONNECT_INVALID_PARAMS);
	assert_int_equal(cqe.dw0, TH_IPO_DATA(hostnqn));
	assert_int_equal(th_connect(&q, 1, CTL_MQES, 0, a.cntlid, ANY_NQN, "", 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(cqe.dw0, a.cntlid);

	assert_int_equal(th_admin_up_as(&d, F.port, NVMF_DISCOVERY_NQN, "", 0), 0);
	assert_int_equal(th_get_log(&d, NVMF_LID_DISCOVERY, false, 0, buf, 4096, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	n = nvmf_get_le64(buf + 8);
	assert_true(n >= 1 && n <= 3);
	for (uint64_t i = 0; i < n; i++) {
		const char *sub = (char *)buf + 1024 * (i + 1) + TH_DLE(subnqn);

		assert_true(strncmp(sub, TH_SUBNQN, 256) != 0);
		seen_any = seen_any || strncmp(sub, ANY_NQN, 256) == 0;
	}
	assert_true(seen_any);
	th_close(&d);
	th_close(&q);
	th_close(&a);
	tf_call(&F, remove_any_host, NULL);
	free(buf);
}

/*
 * A HOSTNQN without the "nqn." prefix (SPDK's hosts up to 20.10 sent
 * "2014-08.org.nvmexpress:uuid:...") is accepted where any host may connect,
 * as nvmet and SPDK's target do; one with a control character is not.
 */
static void test_connect_hostnqn_without_prefix(void **state)
{
	static const char old_spdk[] =
		"2014-08.org.nvmexpress:uuid:5c1d2a4e-8f0b-4e57-9d57-3b1e6a0f9c21";
	struct th a, b;
	struct th_cqe cqe;

	(void)state;
	tf_call(&F, add_any_host, NULL);
	assert_int_equal(th_admin_up_as(&a, F.port, ANY_NQN, old_spdk, 10000), 0);
	assert_int_not_equal(a.cntlid, 0);
	th_close(&a);

	/* ESC (0x1b) is no printable character: refused, naming HOSTNQN. */
	assert_int_equal(th_open(&b, F.port), 0);
	assert_int_equal(th_icreq(&b, 0, false, false), 0);
	assert_int_equal(th_connect(&b, 0, 31, 0, 0xffff, ANY_NQN,
				    "2014-08.org.nvmexpress:uuid:\x1b[2J", 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CONNECT_INVALID_PARAMS);
	assert_int_equal(cqe.dw0, TH_IPO_DATA(hostnqn));
	th_close(&b);
	tf_call(&F, remove_any_host, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_validation),
		cmocka_unit_test(test_disconnect_admin_queue),
		cmocka_unit_test(test_sgl_longer_than_data),
		cmocka_unit_test(test_recfmt_and_order),
		cmocka_unit_test(test_properties_enable_shutdown),
		cmocka_unit_test(test_cc_refused_names_field),
		cmocka_unit_test(test_identify_features),
		cmocka_unit_test(test_host_behavior),
		cmocka_unit_test(test_log_pages),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_discovery_genctr),
		cmocka_unit_test(test_io_queue_connect),
		cmocka_unit_test(test_connect_empty_hostnqn),
		cmocka_unit_test(test_connect_hostnqn_without_prefix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
