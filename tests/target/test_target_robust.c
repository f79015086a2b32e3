/*
 * nvmf-target against hostile or careless hosts (the black-box findings of
 * helper-93's report): KATO rounding at the top of its range; in-capsule
 * data at an SGL offset (SGLS bit 20); commands bound to fail are failed
 * before their data is solicited; a host that stops reading its socket
 * cannot hold the buffer budget (and so every other host's I/O) forever;
 * held AERs end with a Controller Level Reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <time.h>
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
/* sqe with an in-capsule SGL of len bytes at Address off, and the capsule's
 * datal bytes cap; the CapsuleResp's status in cqe. */
static void icd_cmd(struct th *h, uint8_t *sqe, uint64_t off, uint32_t len,
		    const uint8_t *cap, uint32_t datal, bool split, struct th_cqe *cqe)
{
	uint8_t hdr[TCP_PDU_HDR_BUF], dg[4];
	uint16_t cid = h->cid++;
	size_t n;

	nvmf_put_le16(sqe + 2, cid);
	sqe[1] |= 0x40;		/* PSDT: SGL */
	nvmf_put_le64(sqe + 24, off);
	nvmf_put_le32(sqe + 32, len);
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

static void icd_write_at(struct th *h, uint64_t slba, uint32_t nlb, uint64_t off,
			 const uint8_t *cap, uint32_t datal, bool split, struct th_cqe *cqe)
{
	uint8_t sqe[64];

	th_sqe(sqe, NVMF_NVM_WRITE, 1);
	nvmf_put_le64(sqe + 40, slba);
	nvmf_put_le32(sqe + 48, nlb - 1);
	icd_cmd(h, sqe, off, nlb * 512, cap, datal, split, cqe);
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
	/* All of the capsule's data before the offset, for a command that
	 * takes none (SGL length 0): refused. It was taken, with no buffer
	 * to copy into (UBSan: null pointer passed to memcpy, in the
	 * sanitizer build an abort of the whole target; helper-100). */
	{
		uint8_t sqe[64];

		th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
		nvmf_put_le32(sqe + 40, NVMF_FID_KEEP_ALIVE);
		nvmf_put_le32(sqe + 44, 60000);
		memset(cap, 0, 16);
		icd_cmd(&a, sqe, 16, 0, cap, 16, false, &cqe);
		assert_int_equal(cqe.status, NVMF_SC_SGL_INVALID_DATA_LEN);
	}
	th_close(&a);
}

/*
 * sqe with len bytes to move host to controller through R2T (SGL Transport
 * Data Block): the answer must be its CapsuleResp with status want, no R2T.
 */
/* sqe in a capsule without data, an SGL Transport Data Block of len bytes
 * (moved through R2T or C2HData); its CID returned, the answer not awaited. */
static uint16_t send_sgl(struct th *h, uint8_t *sqe, uint32_t len)
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
	return cid;
}

static void fails_without_r2t(struct th *h, uint8_t *sqe, uint32_t len, uint16_t want)
{
	uint16_t cid = send_sgl(h, sqe, len);

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

/* The next CapsuleResp: its CID, *status (SCT << 8) | SC. */
static uint16_t recv_resp(struct th *h, uint16_t *status)
{
	assert_int_equal(th_recv_pdu(h), 0);
	assert_int_equal(h->hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	*status = (nvmf_get_le16(h->hdr.rsp.cqe + 14) >> 1) & 0x7FF;
	return nvmf_get_le16(h->hdr.rsp.cqe + 12);
}

/*
 * Four AERs held (AERL + 1), then CC.EN 1 -> 0: a Controller Level Reset
 * aborts them (Command Aborted due to SQ Deletion, before the Property
 * Set's own response), and once enabled again on the same admin queue a
 * new AER is held. The old target kept the four, and refused the new one
 * with AER Limit Exceeded.
 */
static void test_reset_aborts_aers(void **state)
{
	struct th h;
	struct th_cqe cqe;
	uint8_t sqe[64];
	uint16_t aer[4], cid, st, set;
	uint64_t cc, csts = 0;
	unsigned seen = 0;

	assert_int_equal(th_admin_up(&h, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_prop_get(&h, NVMF_PROP_CC, false, &cc, &cqe), 0);
	assert_true(cc & NVMF_CC_EN);
	for (int i = 0; i < 4; i++) {
		th_sqe(sqe, NVMF_ADM_ASYNC_EVENT, 0);
		aer[i] = send_sgl(&h, sqe, 0);
	}
	/* Held: a Keep Alive is answered alone. */
	th_sqe(sqe, NVMF_ADM_KEEP_ALIVE, 0);
	cid = send_sgl(&h, sqe, 0);
	assert_int_equal(recv_resp(&h, &st), cid);
	assert_int_equal(st, 0);

	th_sqe(sqe, NVMF_ADM_FABRICS, 0);
	sqe[4] = NVMF_FCTYPE_PROPERTY_SET;
	nvmf_put_le32(sqe + 44, NVMF_PROP_CC);
	nvmf_put_le64(sqe + 48, cc & ~(uint64_t)NVMF_CC_EN);
	set = send_sgl(&h, sqe, 0);
	for (int k = 0; k < 5; k++) {
		cid = recv_resp(&h, &st);
		if (cid == set) {
			assert_int_equal(st, 0);
			assert_int_equal(seen, 0xF);	/* the AERs first */
			continue;
		}
		for (int i = 0; i < 4; i++) {
			if (cid == aer[i]) {
				assert_int_equal(st, NVMF_SC_ABORT_SQ_DELETED);
				seen |= 1u << i;
			}
		}
	}
	assert_int_equal(seen, 0xF);

	/* Enabled again: a new AER is held, not refused. */
	assert_int_equal(th_prop_set(&h, NVMF_PROP_CC, (uint32_t)cc, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	for (int i = 0; i < 50 && !(csts & NVMF_CSTS_RDY); i++)
		assert_int_equal(th_prop_get(&h, NVMF_PROP_CSTS, false, &csts, &cqe), 0);
	assert_true(csts & NVMF_CSTS_RDY);
	th_sqe(sqe, NVMF_ADM_ASYNC_EVENT, 0);
	send_sgl(&h, sqe, 0);
	th_sqe(sqe, NVMF_ADM_KEEP_ALIVE, 0);
	cid = send_sgl(&h, sqe, 0);
	assert_int_equal(recv_resp(&h, &st), cid);
	assert_int_equal(st, 0);
	th_close(&h);
}

/* ---- A host that stops reading ---------------------------------------------- */

#define STALL_BUDGET  (4u << 20)	/* 16 reads of 256 KiB */
#define STALL_MS      3000

static void stall_setup(struct tf *f, void *arg)
{
	f->t.opts.max_data_bytes = STALL_BUDGET;
	f->lopts.send_timeout_ms = STALL_MS;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reads whatever comes until EOF or an error: true then, false if the
 * connection is still open after timeout_ms of silence. */
static bool drained_to_eof(int fd, int timeout_ms)
{
	static uint8_t buf[65536];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return false;
		if (recv(fd, buf, sizeof(buf), 0) <= 0)
			return true;
	}
}

/*
 * A host queues reads of 256 KiB on a small receive buffer and reads
 * nothing: its responses fill the buffer budget (all hosts' command
 * buffers) and stay there, so another host's reads are refused with the
 * retryable Command Interrupted. Once the socket has taken nothing for
 * send_timeout_ms the stalled connection is closed, its buffers come back
 * and the other host's reads succeed again. The old target kept the
 * stalled connection, and the refusals, for as long as the host liked.
 */
static void test_stalled_reader_released(void **state)
{
	struct tf *g = calloc(1, sizeof(*g));
	struct th a, io, va, vio;
	struct th_cqe cqe;
	uint8_t sqe[64], hdr[TCP_PDU_HDR_BUF];
	static uint8_t buf[65536];
	bool refused = false, served = false;
	uint64_t t0, t_ok = 0;

	assert_non_null(g);
	tf_start(g, 9, stall_setup, NULL);
	assert_int_equal(th_admin_up(&a, g->port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_open_rcvbuf(&io, g->port, 4096), 0);
	assert_int_equal(th_icreq(&io, 0, false, false), 0);
	assert_int_equal(th_connect(&io, 1, 127, 0, a.cntlid, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_admin_up_as(&va, g->port, TH_SUBNQN, "nqn.2024-01.org.libnvmf:victim",
					0), 0);
	assert_int_equal(th_open(&vio, g->port), 0);
	assert_int_equal(th_icreq(&vio, 0, false, false), 0);
	assert_int_equal(th_connect(&vio, 1, 127, 0, va.cntlid, TH_SUBNQN,
				    "nqn.2024-01.org.libnvmf:victim", 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	/* The victim reads before the attack. */
	assert_int_equal(th_read(&vio, 1, 0, 8, buf, 4096, &cqe), 0);
	assert_int_equal(cqe.status, 0);

	/* Reads of 256 KiB, never read back: the first burst fills the
	 * kernel's buffers (the rest of it refused for the budget), the
	 * later ones take back what the kernel freed, until the socket takes
	 * nothing and the budget is all the attacker's. */
	/* Before the first read: the stall clock cannot start earlier. */
	t0 = mono_ms();
	for (unsigned i = 0; i < 120; i++) {
		size_t n;

		if (i >= 40 && i % 16 == 8)
			usleep(100 * 1000);
		th_sqe(sqe, NVMF_NVM_READ, 1);
		nvmf_put_le16(sqe + 2, (uint16_t)(i + 1));
		sqe[1] |= 0x40;
		nvmf_put_le64(sqe + 40, (uint64_t)(i % 16) * 512);
		nvmf_put_le32(sqe + 48, 511);
		nvmf_put_le32(sqe + 32, 262144);
		sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
		n = tcp_build_capsule_cmd(hdr, &io.p, sqe, 0);
		assert_int_equal(th_send(&io, hdr, n), 0);
	}
	usleep(100 * 1000);
	/* Refused while the attacker holds the budget (STALL_MS leaves the
	 * burst above seconds of slack on a loaded machine), served once its
	 * connection is gone: at STALL_MS and a tick, well within 15 s. */
	while (mono_ms() - t0 < 15000) {
		assert_int_equal(th_read(&vio, 1, 0, 128, buf, sizeof(buf), &cqe), 0);
		if (cqe.status == NVMF_SC_CMD_INTERRUPTED) {
			assert_false(cqe.dnr);
			refused = true;
		} else {
			assert_int_equal(cqe.status, 0);
			if (refused) {
				served = true;
				t_ok = mono_ms();
				break;
			}
		}
		usleep(50 * 1000);
	}
	assert_true(refused);
	assert_true(served);
	assert_true(t_ok - t0 >= STALL_MS);
	/* The stalled connection was closed (its queued bytes, then EOF). */
	assert_true(drained_to_eof(io.fd, 5000));
	/* The rest goes on: the attacker's admin queue, the victim's I/O. */
	assert_int_equal(th_identify(&a, NVMF_CNS_CTRL, 0, buf, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(th_read(&vio, 1, 0, 8, buf, 4096, &cqe), 0);
		assert_int_equal(cqe.status, 0);
	}
	th_close(&io);
	th_close(&vio);
	th_close(&va);
	th_close(&a);
	tf_stop(g);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kato_round_saturates),
		cmocka_unit_test(test_icd_sgl_offset),
		cmocka_unit_test(test_no_r2t_for_failing_commands),
		cmocka_unit_test(test_stalled_reader_released),
		cmocka_unit_test(test_reset_aborts_aers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
