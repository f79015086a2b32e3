/*
 * nvmf-target: I/O commands checked against the backing file, digests,
 * PDU alignment, the C2HData SUCCESS flag, MDTS, error statuses, many
 * hosts at once.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/endian.h>

#include "th.h"
#include "tcp/ctrl/conn.h"
#include "tcp/ctrl/tcp_ctrl.h"

static struct tf F;
static uint32_t SHIFT;

static void add_ro(struct tf *f, void *arg)
{
	struct ctl_ns *ns;
	char msg[128];

	assert_int_equal(ctl_ns_open(&ns, "ram:64K", SHIFT, true, msg, sizeof(msg)), 0);
	ctl_subsys_attach_ns(f->s, ns, 3);
}

static int setup512(void **state)
{
	SHIFT = 9;
	tf_start(&F, 9, add_ro, NULL);
	return 0;
}

static int setup4k(void **state)
{
	SHIFT = 12;
	tf_start(&F, 12, add_ro, NULL);
	return 0;
}

static int teardown(void **state)
{
	tf_stop(&F);
	return 0;
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static void file_read(uint64_t off, void *buf, size_t len)
{
	int fd = open(F.path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

struct conn2 {
	struct th a, q;
};

static void up(struct conn2 *c, bool hdgst, bool ddgst, uint8_t hpda, uint8_t cattr)
{
	struct th_cqe cqe;

	assert_int_equal(th_admin_up(&c->a, F.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_open(&c->q, F.port), 0);
	memcpy(c->q.hostid, c->a.hostid, 16);
	assert_int_equal(th_icreq(&c->q, hpda, hdgst, ddgst), 0);
	assert_int_equal(c->q.p.hdgst, hdgst);
	assert_int_equal(c->q.p.ddgst, ddgst);
	assert_int_equal(th_connect(&c->q, 1, 127, 0, c->a.cntlid, TH_SUBNQN, TH_HOSTNQN, cattr,
				    &cqe), 0);
	assert_int_equal(cqe.status, 0);
}

static void down(struct conn2 *c)
{
	th_close(&c->q);
	th_close(&c->a);
}

static void test_write_read_file(void **state)
{
	struct conn2 c;
	struct th_cqe cqe;
	uint32_t bs = 1u << SHIFT;
	size_t big = 64 * 1024;
	uint8_t *w = malloc(big), *r = malloc(big), *f = malloc(big);

	up(&c, false, false, 0, 0);
	/* Through R2T/H2CData. */
	fill(w, big, 1);
	assert_int_equal(th_write(&c.q, 1, 8, (uint32_t)(big / bs), w, (uint32_t)big, false, &cqe),
			 0);
	assert_int_equal(cqe.status, 0);
	file_read(8ull * bs, f, big);
	assert_memory_equal(w, f, big);
	memset(r, 0, big);
	assert_int_equal(th_read(&c.q, 1, 8, (uint32_t)(big / bs), r, (uint32_t)big, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_memory_equal(w, r, big);
	/* In-capsule data: one 4 KiB write. */
	fill(w, 4096, 2);
	assert_int_equal(th_write(&c.q, 1, 0, 4096 / bs, w, 4096, true, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	file_read(0, f, 4096);
	assert_memory_equal(w, f, 4096);
	/* RAM namespace. */
	fill(w, 8192, 3);
	assert_int_equal(th_write(&c.q, 2, 2, 8192 / bs, w, 8192, false, &cqe), 0);
	assert_int_equal(th_read(&c.q, 2, 2, 8192 / bs, r, 8192, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_memory_equal(w, r, 8192);
	/* Flush one namespace and all. */
	{
		uint8_t sqe[64];

		th_sqe(sqe, NVMF_NVM_FLUSH, 1);
		assert_int_equal(th_cmd(&c.q, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
		assert_int_equal(cqe.status, 0);
		th_sqe(sqe, NVMF_NVM_FLUSH, 0xFFFFFFFFu);
		assert_int_equal(th_cmd(&c.q, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
		assert_int_equal(cqe.status, 0);
	}
	down(&c);
	free(w);
	free(r);
	free(f);
}

static void test_errors(void **state)
{
	struct conn2 c;
	struct th_cqe cqe;
	uint32_t bs = 1u << SHIFT;
	uint64_t nblocks = (4u << 20) >> SHIFT;
	uint32_t mdts = 4096u << F.t.opts.mdts;
	uint8_t *w = calloc(1, mdts + 4096), sqe[64];

	up(&c, false, false, 0, 0);
	/* LBA range. */
	assert_int_equal(th_write(&c.q, 1, nblocks - 1, 2, w, 2 * bs, false, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_LBA_OUT_OF_RANGE);
	assert_true(cqe.dnr);
	assert_int_equal(th_read(&c.q, 1, ~0ull - 1, 4, w, 4 * bs, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_LBA_OUT_OF_RANGE);
	/* SGL length not matching NLB. */
	assert_int_equal(th_read(&c.q, 1, 0, 2, w, bs, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_SGL_INVALID_DATA_LEN);
	/* Invalid namespace. */
	assert_int_equal(th_read(&c.q, 9, 0, 1, w, bs, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_NS);
	assert_int_equal(th_read(&c.q, 0, 0, 1, w, bs, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_NS);
	/* MDTS: exactly MDTS is fine, one block more is Invalid Field. */
	assert_int_equal(th_write(&c.q, 1, 0, mdts / bs, w, mdts, false, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_write(&c.q, 1, 0, mdts / bs + 1, w, mdts + bs, false, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	assert_int_equal(th_read(&c.q, 1, 0, mdts / bs + 1, w, mdts + bs, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_FIELD);
	/* Read-only namespace. */
	assert_int_equal(th_write(&c.q, 3, 0, 1, w, bs, false, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_WRITE_TO_RO_RANGE);
	th_sqe(sqe, NVMF_NVM_WRITE_ZEROES, 3);
	assert_int_equal(th_cmd(&c.q, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_WRITE_TO_RO_RANGE);
	assert_int_equal(th_read(&c.q, 3, 0, 1, w, bs, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	/* Unknown I/O opcode. */
	th_sqe(sqe, 0x7E, 1);
	assert_int_equal(th_cmd(&c.q, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_INVALID_OPCODE);
	/* A read whose SGL claims in-capsule data: SGL Descriptor Type Invalid. */
	th_sqe(sqe, NVMF_NVM_READ, 1);
	sqe[1] = 0x40;
	nvmf_put_le16(sqe + 2, 4321);
	nvmf_put_le32(sqe + 32, bs);
	sqe[39] = NVMF_SGL_ID_ICD;
	{
		uint8_t hdr[TCP_PDU_HDR_BUF];
		size_t n = tcp_build_capsule_cmd(hdr, &c.q.p, sqe, 0);

		assert_int_equal(th_send(&c.q, hdr, n), 0);
		assert_int_equal(th_recv_pdu(&c.q), 0);
		assert_int_equal(c.q.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
		assert_int_equal((nvmf_get_le16(c.q.hdr.rsp.cqe + 14) >> 1) & 0x7FF,
				 NVMF_SC_SGL_INVALID_TYPE);
	}
	/* A Keyed Data Block (RDMA's) whatever its key: SGL Descriptor Type
	 * Invalid with DNR, not an MDTS error read from key and length. */
	for (int k = 0; k < 2; k++) {
		uint8_t hdr[TCP_PDU_HDR_BUF];
		size_t n;

		th_sqe(sqe, NVMF_NVM_READ, 1);
		sqe[1] = 0x40;
		nvmf_put_le16(sqe + 2, (uint16_t)(4400 + k));
		nvmf_put_le32(sqe + 32, bs);		/* 24-bit length ... */
		sqe[35] = k ? 0x34 : 0x00;		/* ... then the key's low byte */
		nvmf_put_le32(sqe + 36, 0x12);		/* key's upper bytes 12h... */
		sqe[39] = NVMF_SGL_ID(NVMF_SGL_TYPE_KEYED_DATA_BLOCK, 0);
		n = tcp_build_capsule_cmd(hdr, &c.q.p, sqe, 0);
		assert_int_equal(th_send(&c.q, hdr, n), 0);
		assert_int_equal(th_recv_pdu(&c.q), 0);
		assert_int_equal(c.q.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
		assert_int_equal((nvmf_get_le16(c.q.hdr.rsp.cqe + 14) >> 1) & 0x7FF,
				 NVMF_SC_SGL_INVALID_TYPE);
		assert_int_not_equal(nvmf_get_le16(c.q.hdr.rsp.cqe + 14) & 0x8000, 0);
	}
	down(&c);
	free(w);
}

static bool punch_supported(void)
{
#ifdef FALLOC_FL_PUNCH_HOLE
	char p[] = "/tmp/nvmf-punch-XXXXXX";
	int fd = mkstemp(p);
	bool ok;

	if (fd < 0)
		return false;
	ok = ftruncate(fd, 65536) == 0 &&
	     fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
	close(fd);
	unlink(p);
	return ok;
#else
	return false;	/* the target writes zeroes instead */
#endif
}

static uint64_t file_blocks(void)
{
	struct stat st;

	assert_int_equal(stat(F.path, &st), 0);
	return (uint64_t)st.st_blocks;
}

static void test_zeroes_dealloc_compare(void **state)
{
	struct conn2 c;
	struct th_cqe cqe;
	uint32_t bs = 1u << SHIFT;
	size_t len = 256 * 1024;
	uint8_t *w = malloc(len), *f = malloc(len), sqe[64], ranges[32];
	uint64_t slba = (1u << 20) >> SHIFT;	/* at 1 MiB */
	uint32_t nlb = (uint32_t)(len / bs);
	uint64_t before;

	up(&c, false, false, 0, 0);
	fill(w, len, 7);
	assert_int_equal(th_write(&c.q, 1, slba, nlb, w, (uint32_t)len, false, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	/* Compare: equal, then one byte off. */
	th_sqe(sqe, NVMF_NVM_COMPARE, 1);
	nvmf_put_le64(sqe + 40, slba);
	nvmf_put_le32(sqe + 48, 0);
	assert_int_equal(th_cmd(&c.q, sqe, w, bs, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	w[5] ^= 0xFF;
	th_sqe(sqe, NVMF_NVM_COMPARE, 1);
	nvmf_put_le64(sqe + 40, slba);
	assert_int_equal(th_cmd(&c.q, sqe, w, bs, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_COMPARE_FAILURE);
	/* Write Zeroes without DEAC on the first 16 KiB. */
	th_sqe(sqe, NVMF_NVM_WRITE_ZEROES, 1);
	nvmf_put_le64(sqe + 40, slba);
	nvmf_put_le32(sqe + 48, (16384 / bs) - 1);
	assert_int_equal(th_cmd(&c.q, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	file_read(slba * bs, f, 16384);
	assert_true(all_zero(f, 16384));
	file_read(slba * bs + 16384, f, 4096);
	assert_memory_equal(f, w + 16384, 4096);
	/* Write Zeroes with DEAC over the next 64 KiB: zeroes and, where the
	 * file system can punch holes, fewer allocated blocks. */
	before = file_blocks();
	th_sqe(sqe, NVMF_NVM_WRITE_ZEROES, 1);
	nvmf_put_le64(sqe + 40, slba + 16384 / bs);
	nvmf_put_le32(sqe + 48, ((65536 / bs) - 1) | (1u << 25));
	assert_int_equal(th_cmd(&c.q, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	file_read(slba * bs + 16384, f, 65536);
	assert_true(all_zero(f, 65536));
	if (punch_supported())
		assert_true(file_blocks() < before);
	/* DSM deallocate two ranges: they read back as zeroes (DLFEAT). */
	memset(ranges, 0, sizeof(ranges));
	nvmf_put_le32(ranges + 4, 8192 / bs);
	nvmf_put_le64(ranges + 8, slba + 131072 / bs);
	nvmf_put_le32(ranges + 16 + 4, 4096 / bs);
	nvmf_put_le64(ranges + 16 + 8, slba + 200704 / bs);
	th_sqe(sqe, NVMF_NVM_DSM, 1);
	nvmf_put_le32(sqe + 40, 1);		/* NR: two ranges */
	nvmf_put_le32(sqe + 44, 1u << 2);	/* AD */
	assert_int_equal(th_cmd(&c.q, sqe, ranges, 32, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_read(&c.q, 1, slba, nlb, f, (uint32_t)len, &cqe), 0);
	assert_true(all_zero(f + 131072, 8192));
	assert_true(all_zero(f + 200704, 4096));
	assert_memory_equal(f + 139264, w + 139264, 200704 - 139264);
	assert_memory_equal(f + 204800, w + 204800, len - 204800);
	/* A range beyond the namespace: LBA Out of Range, nothing changed. */
	nvmf_put_le64(ranges + 8, ~0ull - 4);
	th_sqe(sqe, NVMF_NVM_DSM, 1);
	nvmf_put_le32(sqe + 40, 0);
	nvmf_put_le32(sqe + 44, 1u << 2);
	assert_int_equal(th_cmd(&c.q, sqe, ranges, 16, false, NULL, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_LBA_OUT_OF_RANGE);
	down(&c);
	free(w);
	free(f);
}

static void test_digests_alignment(void **state)
{
	struct conn2 c;
	struct th_cqe cqe;
	uint32_t bs = 1u << SHIFT;
	uint8_t *w = malloc(32768), *r = malloc(32768);

	/* Both digests, HPDA 7 (32-byte alignment of C2HData). */
	up(&c, true, true, 7, 0);
	fill(w, 32768, 9);
	assert_int_equal(th_write(&c.q, 1, 64, 32768 / bs, w, 32768, false, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_write(&c.q, 1, 200, 4096 / bs, w, 4096, true, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	memset(r, 0, 32768);
	assert_int_equal(th_read(&c.q, 1, 64, 32768 / bs, r, 32768, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_memory_equal(w, r, 32768);
	/* th_cmd checks every digest; the C2HData was the PDU before the
	 * response: its PDO honoured HPDA. */
	assert_int_equal(th_read(&c.q, 1, 64, 1, r, bs, &cqe), 0);
	down(&c);
	/* HPDA alone, checked on a C2HData header directly. */
	up(&c, false, false, 7, 0);
	{
		uint8_t sqe[64], hdr[TCP_PDU_HDR_BUF];
		size_t n;

		th_sqe(sqe, NVMF_NVM_READ, 1);
		sqe[1] = 0x40;
		nvmf_put_le32(sqe + 32, bs);
		sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
		nvmf_put_le16(sqe + 2, 77);
		n = tcp_build_capsule_cmd(hdr, &c.q.p, sqe, 0);
		assert_int_equal(th_send(&c.q, hdr, n), 0);
		assert_int_equal(th_recv_pdu(&c.q), 0);
		assert_int_equal(c.q.hdr.ch.pdu_type, NVMF_TCP_C2H_DATA);
		assert_int_equal(c.q.hdr.ch.pdo % 32, 0);
		assert_int_equal(c.q.hdr.ch.pdo, 32);
		assert_int_equal(th_recv_pdu(&c.q), 0);
		assert_int_equal(c.q.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	}
	down(&c);
	free(w);
	free(r);
}

static void test_success_flag(void **state)
{
	struct conn2 c;
	struct th_cqe cqe;
	uint32_t bs = 1u << SHIFT;
	uint8_t r[4096];

	/* SQ flow control on: every read ends with a CapsuleResp. */
	up(&c, false, false, 0, 0);
	assert_int_equal(th_read(&c.q, 1, 0, 1, r, bs, &cqe), 0);
	assert_false(c.q.saw_success_flag);
	assert_int_equal(th_write(&c.q, 1, 0, 1, r, bs, false, &cqe), 0);
	assert_int_not_equal(cqe.sqhd, 0xFFFF);
	down(&c);
	/* Disabled at Connect: SUCCESS in the last C2HData, SQHD FFFFh. */
	up(&c, false, false, 0, NVMF_CONNECT_CATTR_DISABLE_SQFC);
	assert_int_equal(th_read(&c.q, 1, 0, 1, r, bs, &cqe), 0);
	assert_true(c.q.saw_success_flag);
	assert_int_equal(th_write(&c.q, 1, 0, 1, r, bs, false, &cqe), 0);
	assert_int_equal(cqe.sqhd, 0xFFFF);
	down(&c);
}

static void test_pipelined(void **state)
{
	struct conn2 c;
	uint32_t bs = 1u << SHIFT;
	uint8_t sqe[64], hdr[TCP_PDU_HDR_BUF];
	int n = 64, got_resp = 0;
	bool seen[64] = { false };

	up(&c, false, false, 0, 0);
	/* 64 reads back to back without waiting: all answered. */
	for (int i = 0; i < n; i++) {
		size_t k;

		th_sqe(sqe, NVMF_NVM_READ, 2);
		sqe[1] = 0x40;
		nvmf_put_le16(sqe + 2, (uint16_t)(1000 + i));
		nvmf_put_le64(sqe + 40, (uint64_t)i);
		nvmf_put_le32(sqe + 32, bs);
		sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
		k = tcp_build_capsule_cmd(hdr, &c.q.p, sqe, 0);
		assert_int_equal(th_send(&c.q, hdr, k), 0);
	}
	while (got_resp < n) {
		assert_int_equal(th_recv_pdu(&c.q), 0);
		if (c.q.hdr.ch.pdu_type == NVMF_TCP_CAPSULE_RESP) {
			uint16_t cid = nvmf_get_le16(c.q.hdr.rsp.cqe + 12);

			assert_true(cid >= 1000 && cid < 1000 + n);
			assert_false(seen[cid - 1000]);
			seen[cid - 1000] = true;
			assert_int_equal(nvmf_get_le16(c.q.hdr.rsp.cqe + 14) >> 1, 0);
			got_resp++;
		} else {
			assert_int_equal(c.q.hdr.ch.pdu_type, NVMF_TCP_C2H_DATA);
		}
	}
	down(&c);
}

/* What the target keeps for reuse, read on its loop thread. */
struct kept {
	unsigned reqs, conns, conns_live, bufs_small, bufs_mdts;
};

static void read_kept(struct tf *f, void *arg)
{
	struct kept *k = arg;
	struct tcp_srv *srv = tcp_srv_of(f->srv);

	k->reqs = srv->nfree_reqs;
	k->conns = srv->nconn_cache;
	k->conns_live = srv->nconns;
	k->bufs_small = f->t.pool[0].n;
	k->bufs_mdts = f->t.pool[1].n;
}

static struct kept kept_now(void)
{
	struct kept k;

	tf_call(&F, read_kept, &k);
	return k;
}

/* Waits (bounded) until the target has no connection left. */
static struct kept kept_idle(void)
{
	struct kept k;

	for (int i = 0; i < 500 && (k = kept_now()).conns_live > 0; i++)
		usleep(10000);
	assert_int_equal(k.conns_live, 0);
	return k;
}

/*
 * Commands and connections leave their memory to the next ones
 * (src/tcp/ctrl/conn_mem.c, ctl_target.pool): commands one at a time reuse
 * the same request objects and data buffers, so what is kept stops
 * growing; a closed connection's memory is kept and the next one takes it.
 */
static void test_memory_reuse(void **state)
{
	struct conn2 c;
	struct th_cqe cqe;
	uint32_t bs = 1u << SHIFT;
	uint8_t *w = malloc(65536), *r = malloc(65536);
	struct kept k0, k1 = { 0 }, k2;

	(void)state;
	kept_idle();
	up(&c, false, false, 0, 0);
	for (int i = 0; i < 200; i++) {
		uint32_t len = i & 1 ? 4096 : 65536;

		if (i == 10)
			k1 = kept_now();
		fill(w, len, (unsigned)i);
		assert_int_equal(th_write(&c.q, 2, 0, len / bs, w, len, false, &cqe), 0);
		assert_int_equal(cqe.status, 0);
		assert_int_equal(th_read(&c.q, 2, 0, len / bs, r, len, &cqe), 0);
		assert_int_equal(cqe.status, 0);
		assert_memory_equal(w, r, len);
	}
	k2 = kept_now();
	assert_true(k1.reqs >= 1 && k1.bufs_small >= 1 && k1.bufs_mdts >= 1);
	assert_int_equal(k2.reqs, k1.reqs);
	assert_int_equal(k2.bufs_small, k1.bufs_small);
	assert_int_equal(k2.bufs_mdts, k1.bufs_mdts);
	down(&c);
	k0 = kept_idle();
	assert_true(k0.conns >= 2);	/* at least the admin and the I/O queue's */
	up(&c, true, true, 0, 0);
	k1 = kept_now();
	assert_int_equal(k1.conns, k0.conns - 2);	/* both taken again */
	fill(w, 4096, 7);
	assert_int_equal(th_write(&c.q, 2, 8, 4096 / bs, w, 4096, true, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(th_read(&c.q, 2, 8, 4096 / bs, r, 4096, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_memory_equal(w, r, 4096);
	down(&c);
	free(w);
	free(r);
}

#define NHOSTS 32

struct hostarg {
	int idx;
	int failures;
};

static void *host_thread(void *arg)
{
	struct hostarg *a = arg;
	struct conn2 c;
	struct th_cqe cqe;
	uint32_t bs = 1u << SHIFT;
	uint32_t len = 16384;
	uint8_t *w = malloc(len), *r = malloc(len);
	char hostnqn[64];
	uint64_t slba = ((uint64_t)a->idx * 2 * len) >> SHIFT;

	snprintf(hostnqn, sizeof(hostnqn), "nqn.2024-01.org.libnvmf:host-%d", a->idx);
	if (th_open(&c.a, F.port) || th_icreq(&c.a, 0, false, false) ||
	    th_connect(&c.a, 0, 31, 0, 0xFFFF, TH_SUBNQN, hostnqn, 0, &cqe) || cqe.status ||
	    th_prop_set(&c.a, NVMF_PROP_CC, 1u | (6u << 16) | (4u << 20), &cqe) ||
	    th_open(&c.q, F.port) || (memcpy(c.q.hostid, c.a.hostid, 16), 0) ||
	    th_icreq(&c.q, 0, a->idx & 1, a->idx & 2) ||
	    th_connect(&c.q, 1, 63, 0, c.a.cntlid, TH_SUBNQN, hostnqn, 0, &cqe) || cqe.status) {
		a->failures++;
		goto out;
	}
	for (int round = 0; round < 8; round++) {
		fill(w, len, (unsigned)(a->idx * 100 + round));
		/* Odd rounds: the first half in-capsule, the second solicited. */
		if ((round & 1) && (th_write(&c.q, 1, slba, 8192 / bs, w, 8192, true, &cqe) ||
				    cqe.status ||
				    th_write(&c.q, 1, slba + 8192 / bs, 8192 / bs, w + 8192, 8192,
					     false, &cqe) || cqe.status))
			a->failures++;
		if (!(round & 1) && (th_write(&c.q, 1, slba, len / bs, w, len, false, &cqe) ||
				     cqe.status))
			a->failures++;
		if (th_read(&c.q, 1, slba, len / bs, r, len, &cqe) || cqe.status ||
		    memcmp(w, r, len) != 0)
			a->failures++;
	}
out:
	th_close(&c.q);
	th_close(&c.a);
	free(w);
	free(r);
	return NULL;
}

static void test_many_hosts(void **state)
{
	pthread_t t[NHOSTS];
	struct hostarg a[NHOSTS];
	uint8_t *f = malloc(16384);

	for (int i = 0; i < NHOSTS; i++) {
		a[i].idx = i;
		a[i].failures = 0;
		pthread_create(&t[i], NULL, host_thread, &a[i]);
	}
	for (int i = 0; i < NHOSTS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].failures, 0);
	}
	/* The last round of each host is in the file. */
	for (int i = 0; i < NHOSTS; i++) {
		uint8_t *w = malloc(16384);

		fill(w, 16384, (unsigned)(i * 100 + 7));
		file_read((uint64_t)i * 2 * 16384, f, 16384);
		assert_memory_equal(w, f, 16384);
		free(w);
	}
	free(f);
}

/*
 * What a read completed goes out before the next read, not once per loop
 * turn (tcp/ctrl/conn.c, read_cb): that is what lets a host overlap its
 * next commands with our work on the rest of a batch. With a 4 KiB staging
 * buffer, a batch of in-capsule writes that is all in the socket before
 * the target looks takes several reads in one loop turn; their responses
 * must leave in more than one write (one write per turn makes one).
 */
#define BATCH     16
#define BATCH_LEN 1024

static atomic_int hold_started;

static size_t queued_bytes(struct tf *f)
{
	size_t n = 0;

	for (struct tcp_cconn *c = tcp_srv_of(f->srv)->conns; c; c = tcp_cconn_next(c)) {
		uv_os_fd_t fd;
		int k = 0;

		if (uv_fileno((uv_handle_t *)&c->sock, &fd) == 0 && ioctl(fd, FIONREAD, &k) == 0 &&
		    k > 0)
			n += (size_t)k;
	}
	return n;
}

/* On the loop thread: no reading until the whole batch is in the socket
 * (at most 10 s). */
static void hold_loop(struct tf *f, void *arg)
{
	size_t want = *(size_t *)arg;

	atomic_store(&hold_started, 1);
	for (int i = 0; i < 10000 && queued_bytes(f) < want; i++)
		usleep(1000);
}

struct hold_arg {
	size_t want;
};

static void *hold_thread(void *arg)
{
	tf_call(&F, hold_loop, &((struct hold_arg *)arg)->want);
	return NULL;
}

static void count_writes(struct tf *f, void *arg)
{
	uint64_t *n = arg;

	*n = 0;
	for (struct tcp_cconn *c = tcp_srv_of(f->srv)->conns; c; c = tcp_cconn_next(c))
		*n += c->tx.writes;
}

static void test_flush_per_read(void **state)
{
	struct conn2 c;
	struct th_cqe cqe;
	struct hold_arg ha = { 0 };
	uint8_t hdr[BATCH][TCP_PDU_HDR_BUF], sqe[64];
	uint8_t *w = malloc(BATCH * BATCH_LEN), *r = malloc(BATCH_LEN);
	size_t hl[BATCH];
	uint64_t before, after;
	pthread_t t;
	int got = 0;

	assert_non_null(w);
	assert_non_null(r);
	up(&c, false, false, 0, 0);
	fill(w, BATCH * BATCH_LEN, 5);
	for (int i = 0; i < BATCH; i++) {
		th_sqe(sqe, NVMF_NVM_WRITE, 2);
		sqe[1] = 0x40;
		nvmf_put_le16(sqe + 2, (uint16_t)(2000 + i));
		nvmf_put_le64(sqe + 40, (uint64_t)i * (BATCH_LEN >> SHIFT));
		nvmf_put_le32(sqe + 48, (BATCH_LEN >> SHIFT) - 1);
		nvmf_put_le32(sqe + 32, BATCH_LEN);
		sqe[39] = NVMF_SGL_ID_ICD;
		hl[i] = tcp_build_capsule_cmd(hdr[i], &c.q.p, sqe, BATCH_LEN);
		ha.want += hl[i] + BATCH_LEN;
	}
	/* Bigger than four staging buffers, small enough for the socket. */
	assert_true(ha.want > 4 * 4096 && ha.want < 32 * 1024);
	tf_call(&F, count_writes, &before);
	atomic_store(&hold_started, 0);
	assert_int_equal(pthread_create(&t, NULL, hold_thread, &ha), 0);
	for (int i = 0; i < 10000 && !atomic_load(&hold_started); i++)
		usleep(1000);
	assert_true(atomic_load(&hold_started));
	for (int i = 0; i < BATCH; i++) {
		assert_int_equal(th_send(&c.q, hdr[i], hl[i]), 0);
		assert_int_equal(th_send(&c.q, w + (size_t)i * BATCH_LEN, BATCH_LEN), 0);
	}
	pthread_join(t, NULL);
	while (got < BATCH) {
		assert_int_equal(th_recv_pdu(&c.q), 0);
		assert_int_equal(c.q.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
		assert_int_equal(nvmf_get_le16(c.q.hdr.rsp.cqe + 14) >> 1, 0);
		got++;
	}
	tf_call(&F, count_writes, &after);
	assert_true(after - before >= 2);
	assert_true(after - before <= BATCH);
	for (int i = 0; i < BATCH; i++) {
		assert_int_equal(th_read(&c.q, 2, (uint64_t)i * (BATCH_LEN >> SHIFT), BATCH_LEN >> SHIFT,
					 r, BATCH_LEN, &cqe), 0);
		assert_int_equal(cqe.status, 0);
		assert_memory_equal(r, w + (size_t)i * BATCH_LEN, BATCH_LEN);
	}
	down(&c);
	free(w);
	free(r);
}

static void small_stage(struct tf *f, void *arg)
{
	add_ro(f, arg);
	f->lopts.tp.tcp.stage_size = 4096;	/* TCP_RX_STAGE_MIN */
}

static int setup_small_stage(void **state)
{
	SHIFT = 9;
	tf_start(&F, 9, small_stage, NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_zeroes_dealloc_compare),
		cmocka_unit_test(test_digests_alignment),
		cmocka_unit_test(test_success_flag),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_memory_reuse),
		cmocka_unit_test(test_many_hosts),
	};
	int rc = cmocka_run_group_tests_name("512-byte blocks", tests, setup512, teardown);

	rc |= cmocka_run_group_tests_name("4096-byte blocks", tests, setup4k, teardown);
	{
		const struct CMUnitTest staged[] = {
			cmocka_unit_test(test_flush_per_read),
		};

		rc |= cmocka_run_group_tests_name("4 KiB staging buffer", staged, setup_small_stage,
						  teardown);
	}
	return rc;
}
