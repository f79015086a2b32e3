/*
 * nvmf-target against hostile or careless hosts (the black-box findings of
 * helper-93's report): KATO rounding at the top of its range; in-capsule
 * data at an SGL offset (SGLS bit 20); commands bound to fail are failed
 * before their data is solicited.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/endian.h>

#include "tcp/pdu.h"
#include "th.h"

static struct tf F;

/* nsid 3: a read-only RAM namespace. */
static void add_ro_ns(struct tf *f, void *arg)
{
	struct ctl_ns *ns;
	char msg[256];

	if (ctl_ns_open(&ns, "ram:1M", 9, true, msg, sizeof(msg)) < 0)
		abort();
	ctl_subsys_attach_ns(f->s, ns, 3);
}

static int setup(void **state)
{
	tf_start(&F, 9, add_ro_ns, NULL);
	return 0;
}

static int teardown(void **state)
{
	tf_stop(&F);
	return 0;
}

static uint32_t get_kato(struct th *h)
{
	struct th_cqe cqe;
	uint8_t sqe[64];

	th_sqe(sqe, NVMF_ADM_GET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_KEEP_ALIVE);
	assert_int_equal(th_cmd(h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	return cqe.dw0;
}

/*
 * A KATO within 100 of 2^32 rounds up to the 100 ms granularity without
 * wrapping: Connect's rounding made 0xFFFFFFF0 4 ms, and the host that
 * asked for the longest timeout was dropped at once. Connect and Set
 * Features round alike, saturating at FFFFFFFFh.
 */
static void test_kato_round_saturates(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t sqe[64];

	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0xFFFFFFF0u), 0);
	assert_int_equal(get_kato(&h), 0xFFFFFFFFu);
	/* Still there well past 4 ms (two periods of it would have dropped it). */
	usleep(300 * 1000);
	assert_int_equal(get_kato(&h), 0xFFFFFFFFu);
	/* Set Features: the same rounding, exact multiples kept. */
	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_KEEP_ALIVE);
	nvmf_put_le32(sqe + 44, 0xFFFFFFFEu);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(get_kato(&h), 0xFFFFFFFFu);
	nvmf_put_le32(sqe + 44, 4294967200u);	/* a multiple of 100 */
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(get_kato(&h), 4294967200u);
	nvmf_put_le32(sqe + 44, 4294967201u);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(get_kato(&h), 0xFFFFFFFFu);
	nvmf_put_le32(sqe + 44, 1);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(get_kato(&h), 100);
	nvmf_put_le32(sqe + 44, 0);
	assert_int_equal(th_cmd(&h, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(get_kato(&h), 0);
	th_close(&h);
}

/*
 * A Write of nlb blocks at slba whose in-capsule data starts off bytes into
 * the capsule's datal bytes (SGL Data Block, Offset subtype, Address off);
 * the header and the data in two writes apart when split (the data then
 * lands through the framer's destination, not in place).
 */
static void icd_write_at(struct th *h, uint64_t slba, uint32_t nlb, uint64_t off,
			 const uint8_t *cap, uint32_t datal, bool split, struct th_cqe *cqe)
{
	uint8_t sqe[64], hdr[TCP_PDU_HDR_BUF], dg[4];
	uint16_t cid = h->cid++;
	size_t n;

	th_sqe(sqe, NVMF_NVM_WRITE, 1);
	nvmf_put_le64(sqe + 40, slba);
	nvmf_put_le32(sqe + 48, nlb - 1);
	nvmf_put_le16(sqe + 2, cid);
	sqe[1] |= 0x40;		/* PSDT: SGL */
	nvmf_put_le64(sqe + 24, off);
	nvmf_put_le32(sqe + 32, nlb * 512);
	sqe[39] = NVMF_SGL_ID_ICD;
	n = tcp_build_capsule_cmd(hdr, &h->p, sqe, datal);
	assert_int_equal(th_send(h, hdr, n), 0);
	if (split)
		usleep(50 * 1000);
	assert_int_equal(th_send(h, cap, datal), 0);
	if (h->p.ddgst) {
		tcp_put_digest(dg, tcp_crc32c(cap, datal));
		assert_int_equal(th_send(h, dg, 4), 0);
	}
	assert_int_equal(th_recv_pdu(h), 0);
	assert_int_equal(h->hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	memset(cqe, 0, sizeof(*cqe));
	cqe->status = (nvmf_get_le16(h->hdr.rsp.cqe + 14) >> 1) & 0x7FF;
	assert_int_equal(nvmf_get_le16(h->hdr.rsp.cqe + 12), cid);
}

/*
 * Identify's SGLS sets bit 20 (SGL Offset: the Address of a Data Block
 * descriptor may give an offset), so in-capsule data at an offset is taken
 * from there: the target refused any Address but 0 with SGL Offset Invalid.
 * An offset past the capsule's data is still that; one that leaves less
 * than the SGL's length, SGL Data Length Invalid.
 */
static void test_icd_sgl_offset(void **state)
{
	struct th a, io;
	struct th_cqe cqe;
	uint8_t id[4096], cap[16 + 1024], back[1024];

	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_identify(&a, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(nvmf_get_le32(id + TH_IDC(sgls)) & (1u << 20), 1u << 20);
	for (int pass = 0; pass < 4; pass++) {
		bool digests = pass & 1, split = pass & 2;

		assert_int_equal(th_open(&io, F.port), 0);
		assert_int_equal(th_icreq(&io, 0, digests, digests), 0);
		memcpy(io.hostid, a.hostid, sizeof(io.hostid));
		assert_int_equal(th_connect(&io, (uint16_t)(pass + 1), 31, 0, a.cntlid, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
		assert_int_equal(cqe.status, 0);

		memset(cap, 0xEE, 16);		/* not data: before the offset */
		for (unsigned i = 0; i < 1024; i++)
			cap[16 + i] = (uint8_t)(i * 7 + pass);
		icd_write_at(&io, 8, 2, 16, cap, sizeof(cap), split, &cqe);
		assert_int_equal(cqe.status, 0);
		assert_int_equal(th_read(&io, 1, 8, 2, back, sizeof(back), &cqe), 0);
		assert_int_equal(cqe.status, 0);
		assert_memory_equal(back, cap + 16, sizeof(back));
		/* Offset 0 as before. */
		icd_write_at(&io, 8, 2, 0, cap + 16, 1024, split, &cqe);
		assert_int_equal(cqe.status, 0);
		/* Past the capsule's data; leaving 1008 bytes of 1024. */
		icd_write_at(&io, 8, 2, 2048, cap, sizeof(cap), split, &cqe);
		assert_int_equal(cqe.status, NVMF_SC_SGL_INVALID_OFFSET);
		icd_write_at(&io, 8, 2, 16, cap, 1024, split, &cqe);
		assert_int_equal(cqe.status, NVMF_SC_SGL_INVALID_DATA_LEN);
		/* Nothing of those two reached the namespace. */
		assert_int_equal(th_read(&io, 1, 8, 2, back, sizeof(back), &cqe), 0);
		assert_memory_equal(back, cap + 16, sizeof(back));
		th_close(&io);
	}
	th_close(&a);
}

/*
 * sqe with len bytes to move host to controller through R2T (SGL Transport
 * Data Block): the answer must be its CapsuleResp with status want, no R2T.
 */
static void fails_without_r2t(struct th *h, uint8_t *sqe, uint32_t len, uint16_t want)
{
	uint8_t hdr[TCP_PDU_HDR_BUF];
	uint16_t cid = h->cid++;
	size_t n;

	nvmf_put_le16(sqe + 2, cid);
	sqe[1] |= 0x40;		/* PSDT: SGL */
	memset(sqe + 24, 0, 16);
	nvmf_put_le32(sqe + 32, len);
	sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
	n = tcp_build_capsule_cmd(hdr, &h->p, sqe, 0);
	assert_int_equal(th_send(h, hdr, n), 0);
	assert_int_equal(th_recv_pdu(h), 0);
	assert_int_equal(h->hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(h->hdr.rsp.cqe + 12), cid);
	assert_int_equal((nvmf_get_le16(h->hdr.rsp.cqe + 14) >> 1) & 0x7FF, want);
	assert_true(nvmf_get_le16(h->hdr.rsp.cqe + 14) & 0x8000);	/* DNR */
}

static void write_sqe(uint8_t *sqe, uint8_t opc, uint32_t nsid, uint64_t slba, uint32_t nlb)
{
	th_sqe(sqe, opc, nsid);
	nvmf_put_le64(sqe + 40, slba);
	nvmf_put_le32(sqe + 48, nlb - 1);
}

/*
 * A write-type command the controller is going to fail is answered before
 * any R2T: the target solicited its data (up to MDTS, held in the buffer
 * budget for up to the data deadline) and failed it only once it came.
 */
static void test_no_r2t_for_failing_commands(void **state)
{
	struct th a, io;
	struct th_cqe cqe;
	uint8_t sqe[64], buf[4096];

	memset(buf, 0x5A, sizeof(buf));
	assert_int_equal(th_admin_up(&a, F.port, TH_SUBNQN, 0), 0);
	/* Admin: an unsupported opcode (Namespace Management), a vendor one. */
	th_sqe(sqe, 0x0D, 0);
	fails_without_r2t(&a, sqe, 262144, NVMF_SC_INVALID_OPCODE);
	th_sqe(sqe, 0xC1, 0);
	fails_without_r2t(&a, sqe, 4096, NVMF_SC_INVALID_OPCODE);
	/* A supported one still gets its data (Host Behavior through R2T). */
	memset(buf, 0, 512);
	assert_int_equal(th_set_host_behavior(&a, buf, 512, &cqe), 0);
	assert_int_equal(cqe.status, 0);

	assert_int_equal(th_io_up(&io, F.port, &a, 1, 0), 0);
	/* Past the end, no such namespace, read-only, unknown opcode. */
	write_sqe(sqe, NVMF_NVM_WRITE, 1, 1ull << 40, 512);
	fails_without_r2t(&io, sqe, 262144, NVMF_SC_LBA_OUT_OF_RANGE);
	write_sqe(sqe, NVMF_NVM_WRITE, 0xFFFFFFFEu, 0, 8);
	fails_without_r2t(&io, sqe, 4096, NVMF_SC_INVALID_NS);
	write_sqe(sqe, NVMF_NVM_WRITE, 7, 0, 8);
	fails_without_r2t(&io, sqe, 4096, NVMF_SC_INVALID_NS);
	write_sqe(sqe, NVMF_NVM_WRITE, 3, 0, 8);
	fails_without_r2t(&io, sqe, 4096, NVMF_SC_WRITE_TO_RO_RANGE);
	write_sqe(sqe, NVMF_NVM_WRITE, 1, 0, 8);
	fails_without_r2t(&io, sqe, 8192, NVMF_SC_SGL_INVALID_DATA_LEN);
	write_sqe(sqe, NVMF_NVM_COMPARE, 1, (4u << 20) / 512 - 4, 8);
	fails_without_r2t(&io, sqe, 4096, NVMF_SC_LBA_OUT_OF_RANGE);
	th_sqe(sqe, NVMF_NVM_DSM, 3);
	nvmf_put_le32(sqe + 44, NVMF_DSM_AD);
	fails_without_r2t(&io, sqe, 16, NVMF_SC_WRITE_TO_RO_RANGE);
	th_sqe(sqe, 0x0D, 1);		/* Reservation Register: not supported */
	fails_without_r2t(&io, sqe, 28, NVMF_SC_INVALID_OPCODE);
	/* Well-formed ones still move their data. */
	memset(buf, 0x5A, sizeof(buf));
	assert_int_equal(th_write(&io, 1, 0, 8, buf, 4096, false, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_sqe(sqe, NVMF_NVM_DSM, 3);	/* hints only: nothing to refuse */
	memset(buf, 0, 16);
	assert_int_equal(th_cmd(&io, sqe, buf, 16, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_close(&io);
	th_close(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kato_round_saturates),
		cmocka_unit_test(test_icd_sgl_offset),
		cmocka_unit_test(test_no_r2t_for_failing_commands),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
