/*
 * The host library against a real target: connect with 1 and 3 I/O
 * queues, identify, write/read patterns of 512 B to 1 MiB at many LBAs
 * checked against the backing image from the host side, flush, write
 * zeroes, deallocate, digests on, and 64 commands in flight.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include "integ_common.h"

static struct integ_target T;

static int setup(void **state)
{
	(void)state;
	integ_load(&T);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	integ_free(&T);
	return 0;
}

static bool sqflow_off;	/* next connect_q() disables SQ flow control */

static struct nvmf_ctrl *connect_q(int nq, bool digests, struct nvmf_ns_info *ns)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	int r;

	integ_opts(&T, &o, nq);
	o.hdr_digest = digests;
	o.data_digest = digests;
	o.disable_sqflow = sqflow_off;
	r = integ_connect(&o, &c);
	if (r < 0)
		fail_msg("connect to %s:%s %s: %s", T.traddr, T.trsvcid, T.subnqn, nvmf_get_error());
	if (ns && nvmf_get_ns_info(c, T.nsid, ns) < 0)
		fail_msg("%s", nvmf_get_error());
	return c;
}

static void check_image(uint64_t off, const uint8_t *want, size_t len)
{
	uint8_t *img = malloc(len);

	integ_image_read(&T, off, img, len);
	if (memcmp(img, want, len) != 0) {
		size_t i = 0;

		while (img[i] == want[i])
			i++;
		fail_msg("backing image differs at byte %llu (offset %zu of %zu)",
			 (unsigned long long)(off + i), i, len);
	}
	free(img);
}

static void test_connect_identify(void **state)
{
	struct nvmf_ns_info ns, *list;
	struct nvmf_ctrl_info ci;
	struct nvmf_ctrl *c;
	uint8_t *id = malloc(4096);
	int n;

	(void)state;
	for (int nq = 1; nq <= 3; nq += 2) {
		c = connect_q(nq, false, &ns);
		assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
		assert_int_equal(ci.nr_io_queues, nq);
		assert_false(ci.discovery);
		assert_string_equal(ci.subnqn, T.subnqn);
		assert_true(ci.nn >= 1);
		print_message("%d queues: cntlid %u mn '%s' fr '%s' vs %06x mdts %u\n", nq, ci.cntlid,
			      ci.mn, ci.fr, ci.vs, ci.max_xfer);
		assert_true(ns.supported);
		assert_int_equal(ns.lba_size, T.lba);
		assert_int_equal(ns.size, T.disk_size);
		n = nvmf_get_namespaces(c, &list);
		assert_true(n >= 1);
		nvmf_free(list);

		/* Raw identify agrees with what the connect parsed. */
		assert_int_equal(nvmf_identify(c, 1, 0, 0, 0, id), 0);
		assert_int_equal(nvmf_get_le16(id + 78), ci.cntlid);
		assert_int_equal(nvmf_identify(c, 0, T.nsid, 0, 0, id), 0);
		assert_int_equal(nvmf_get_le64(id), ns.nsze);
		assert_int_equal(nvmf_get_smart_log(c, id), 0);
		assert_int_equal(nvmf_get_error_log(c, id, 1), 0);
		/* I/O on every queue. */
		for (int i = 0; i < 2 * nq; i++) {
			integ_fill(id, 4096, (uint64_t)i + 77);
			assert_int_equal(nvmf_write(c, T.nsid, id, (uint64_t)i * 4096 / T.lba,
						    4096 / T.lba, 0), 0);
		}
		assert_int_equal(nvmf_disconnect(c), 0);
	}
	free(id);
}

static void rw_check(struct nvmf_ctrl *c, const struct nvmf_ns_info *ns, uint64_t slba,
		     uint32_t len, uint64_t seed)
{
	uint8_t *w = malloc(len), *r = malloc(len);
	uint32_t nlb = len / ns->lba_size;

	integ_fill(w, len, seed);
	if (nvmf_write(c, ns->nsid, w, slba, nlb, 0) < 0)
		fail_msg("write %u bytes at LBA %llu: %s", len, (unsigned long long)slba,
			 nvmf_get_error());
	memset(r, 0xee, len);
	if (nvmf_read(c, ns->nsid, r, slba, nlb, 0) < 0)
		fail_msg("read %u bytes at LBA %llu: %s", len, (unsigned long long)slba,
			 nvmf_get_error());
	if (memcmp(w, r, len) != 0)
		fail_msg("read back of %u bytes at LBA %llu differs", len, (unsigned long long)slba);
	assert_int_equal(nvmf_flush(c, ns->nsid), 0);
	check_image(slba * ns->lba_size, w, len);
	free(w);
	free(r);
}

static void do_patterns(bool digests)
{
	/* Up to 128 KiB a write goes in the capsule to nvmf-target (its IOCCSZ);
	 * 256 KiB (its MDTS) takes the R2T/H2CData path. */
	static const uint32_t sizes[] = { 512, 4096, 8192, 12288, 65536, 131072, 262144, 1048576 };
	struct nvmf_ns_info ns;
	struct nvmf_ctrl *c = connect_q(2, digests, &ns);
	struct nvmf_ctrl_info ci;
	uint64_t x = 12345;

	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_int_equal(ci.hdr_digest, digests);
	assert_int_equal(ci.data_digest, digests);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t len = sizes[s];
		uint64_t nblocks = len / ns.lba_size, lbas[8];

		if (len % ns.lba_size)
			continue;
		if (ci.max_xfer && len > ci.max_xfer)
			continue;
		lbas[0] = 0;
		lbas[1] = ns.nsze - nblocks;	/* the very end */
		for (int k = 2; k < 8; k++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			lbas[k] = (x >> 20) % (ns.nsze - nblocks + 1);
		}
		for (int k = 0; k < 8; k++)
			rw_check(c, &ns, lbas[k], len, (uint64_t)len * 31 + (uint64_t)k + digests);
	}
	assert_int_equal(nvmf_disconnect(c), 0);
}

static void test_patterns(void **state)
{
	(void)state;
	do_patterns(false);
}

static void test_patterns_digests(void **state)
{
	(void)state;
	do_patterns(true);
}

/* SQ flow control disabled: the target may end reads with C2HData SUCCESS. */
static void test_patterns_sqflow_off(void **state)
{
	(void)state;
	sqflow_off = true;
	do_patterns(false);
	sqflow_off = false;
}

static void test_zeroes_dealloc(void **state)
{
	struct nvmf_ns_info ns;
	struct nvmf_ctrl *c = connect_q(1, false, &ns);
	uint32_t len = 65536, nlb = len / ns.lba_size;
	uint64_t slba = ns.nsze / 2;
	uint8_t *zero = calloc(1, len), *buf = malloc(len);

	(void)state;
	assert_true(ns.write_zeroes);
	rw_check(c, &ns, slba, len, 999);
	assert_int_equal(nvmf_write_zeroes(c, ns.nsid, slba, nlb, 0), 0);
	assert_int_equal(nvmf_read(c, ns.nsid, buf, slba, nlb, 0), 0);
	assert_memory_equal(buf, zero, len);
	assert_int_equal(nvmf_flush(c, ns.nsid), 0);
	check_image(slba * ns.lba_size, zero, len);

	/* Deallocate: only promises zeroes when DLFEAT says so. */
	if (ns.deallocate) {
		rw_check(c, &ns, slba, len, 1000);
		assert_int_equal(nvmf_deallocate(c, ns.nsid, slba, nlb), 0);
		assert_int_equal(nvmf_read(c, ns.nsid, buf, slba, nlb, 0), 0);
		if (ns.dealloc_zeroes)
			assert_memory_equal(buf, zero, len);
	} else {
		assert_int_equal(nvmf_deallocate(c, ns.nsid, slba, nlb), -EOPNOTSUPP);
	}
	/* Out of range: refused before reaching the wire. */
	assert_int_equal(nvmf_write_zeroes(c, ns.nsid, ns.nsze, 1, 0), -EINVAL);
	assert_int_equal(nvmf_disconnect(c), 0);
	free(zero);
	free(buf);
}

struct inflight {
	atomic_int done, errors, freed;
};

static void if_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct inflight *f = user;

	(void)cookie;
	if (cpl->result)
		atomic_fetch_add(&f->errors, 1);
	atomic_fetch_add(&f->done, 1);
}

static void if_free(void *user)
{
	atomic_fetch_add(&((struct inflight *)user)->freed, 1);
}

static void wait_all(struct inflight *f, int n)
{
	for (int ms = 0; atomic_load(&f->freed) < n; ms++) {
		if (ms > 120000)
			fail_msg("only %d of %d commands completed in 120 s", atomic_load(&f->done), n);
		uv_sleep(1);
	}
}

static void test_64_in_flight(void **state)
{
	enum { N = 64, LEN = 8192 };
	struct nvmf_ns_info ns;
	struct nvmf_ctrl *c = connect_q(2, false, &ns);
	struct inflight f = { 0 };
	struct nvmf_callback cb = { if_cb, &f, if_free };
	uint8_t *w = malloc((size_t)N * LEN), *r = malloc((size_t)N * LEN);
	uint64_t base = ns.nsze / 4;
	unsigned peak = 0;

	(void)state;
	integ_fill(w, (size_t)N * LEN, 64);
	for (int i = 0; i < N; i++) {
		assert_true(nvmf_aio_write(c, ns.nsid, w + (size_t)i * LEN,
					   base + (uint64_t)i * (LEN / ns.lba_size) * 3,
					   LEN / ns.lba_size, 0, cb) > 0);
		if (nvmf_aio_in_flight(c) > peak)
			peak = nvmf_aio_in_flight(c);
	}
	wait_all(&f, N);
	assert_int_equal(atomic_load(&f.errors), 0);
	assert_int_equal(atomic_load(&f.done), N);
	print_message("writes: peak %u in flight\n", peak);

	f = (struct inflight){ 0 };
	memset(r, 0, (size_t)N * LEN);
	for (int i = 0; i < N; i++)
		assert_true(nvmf_aio_read(c, ns.nsid, r + (size_t)i * LEN,
					  base + (uint64_t)i * (LEN / ns.lba_size) * 3,
					  LEN / ns.lba_size, 0, cb) > 0);
	wait_all(&f, N);
	assert_int_equal(atomic_load(&f.errors), 0);
	assert_memory_equal(w, r, (size_t)N * LEN);
	assert_int_equal(nvmf_flush(c, ns.nsid), 0);
	for (int i = 0; i < N; i += 9)
		check_image((base + (uint64_t)i * (LEN / ns.lba_size) * 3) * ns.lba_size,
			    w + (size_t)i * LEN, LEN);
	assert_int_equal(nvmf_aio_in_flight(c), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	free(w);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_identify),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_patterns_digests),
		cmocka_unit_test(test_patterns_sqflow_off),
		cmocka_unit_test(test_zeroes_dealloc),
		cmocka_unit_test(test_64_in_flight),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
