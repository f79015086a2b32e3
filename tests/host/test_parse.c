/* Identify and discovery log parsing, with fake data. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"

/* ---- Discovery log ----------------------------------------------------------- */

struct fake_log {
	uint8_t *data;
	size_t   len;
	unsigned reads;
	uint32_t max_len;
	unsigned bump_at;	/* after this many reads, GENCTR changes (0 = never) */
	unsigned bumps_left;
	int      fail_at;	/* read number that fails (0 = none) */
};

static void put_entry(uint8_t *e, int i, uint8_t subtype)
{
	char buf[64];

	memset(e, 0, HOST_DISC_ENTRY_LEN);
	e[0] = 3;		/* TCP */
	e[1] = 1;		/* IPv4 */
	e[2] = subtype;
	e[3] = 2;
	nvmf_put_le16(e + 4, (uint16_t)(i + 1));	/* portid */
	nvmf_put_le16(e + 6, 0xffff);
	nvmf_put_le16(e + 8, 32);
	/* Space padded fields (Base 2.0, Figure 294). */
	memset(e + 32, ' ', 32);
	memcpy(e + 32, "4420", 4);
	snprintf(buf, sizeof(buf), "nqn.2014-08.org.example:sub%d", i);
	memcpy(e + 256, buf, strlen(buf));
	memset(e + 512, ' ', 256);
	snprintf(buf, sizeof(buf), "10.0.0.%d", i);
	memcpy(e + 512, buf, strlen(buf));
}

static struct fake_log make_log(unsigned n, uint64_t genctr)
{
	struct fake_log l = { 0 };

	l.len = HOST_DISC_HDR_LEN + (size_t)n * HOST_DISC_ENTRY_LEN;
	l.data = calloc(1, l.len);
	nvmf_put_le64(l.data, genctr);
	nvmf_put_le64(l.data + 8, n);
	for (unsigned i = 0; i < n; i++)
		put_entry(l.data + HOST_DISC_HDR_LEN + i * HOST_DISC_ENTRY_LEN, (int)i,
			  i == 0 ? 1 : 2);
	return l;
}

static int fake_read(void *arg, uint64_t off, void *buf, uint32_t len)
{
	struct fake_log *l = arg;

	l->reads++;
	if (l->fail_at && (int)l->reads == l->fail_at)
		return host_err(EIO, "fake read failure");
	if (len > l->max_len)
		l->max_len = len;
	memset(buf, 0, len);
	if (off < l->len)
		memcpy(buf, l->data + off, l->len - off < len ? l->len - off : len);
	if (l->bump_at && l->reads == l->bump_at && l->bumps_left) {
		nvmf_put_le64(l->data, nvmf_get_le64(l->data) + 1);
		l->bumps_left--;
		l->bump_at += 3;
	}
	return 0;
}

static void test_disc_basic(void **state)
{
	struct fake_log l = make_log(3, 42);
	struct nvmf_disc_list *d;

	(void)state;
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 65536, &d), 0);
	assert_int_equal(d->genctr, 42);
	assert_int_equal(d->nr_entries, 3);
	assert_int_equal(d->entries[0].subtype, 1);	/* referral kept */
	assert_int_equal(d->entries[1].subtype, 2);
	assert_string_equal(d->entries[1].trsvcid, "4420");	/* trimmed */
	assert_string_equal(d->entries[2].traddr, "10.0.0.2");
	assert_string_equal(d->entries[2].subnqn, "nqn.2014-08.org.example:sub2");
	assert_int_equal(d->entries[2].portid, 3);
	assert_int_equal(d->entries[0].cntlid, 0xffff);
	assert_int_equal(l.reads, 3);	/* header, entries, header */
	/* One block: the records follow the header, aligned, and one
	 * nvmf_free() releases both (ASan would report a leak otherwise). */
	assert_true((const char *)d->entries >= (const char *)(d + 1));
	assert_int_equal((uintptr_t)d->entries % _Alignof(struct nvmf_disc_rec), 0);
	assert_true((const char *)d->entries - (const char *)d <
		    (ptrdiff_t)(sizeof(*d) + _Alignof(struct nvmf_disc_rec)));
	nvmf_free(d);
	free(l.data);
}

/* nvmf_disc_list_raw(): the page as read, reserved bytes and padding as
 * they came (nvmfctl discover --raw), paged or not, and for no records. */
static void test_disc_raw(void **state)
{
	struct fake_log l = make_log(5, 9);
	struct nvmf_disc_list *d;
	const uint8_t *raw;
	size_t len = 1;

	(void)state;
	l.data[100] = 0xa5;				/* header: reserved */
	l.data[HOST_DISC_HDR_LEN + 2 * HOST_DISC_ENTRY_LEN + 36] = 0;	/* NUL in TRSVCID */
	l.data[HOST_DISC_HDR_LEN + 4 * HOST_DISC_ENTRY_LEN + 1023] = 0x1b;	/* reserved */
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 4096, &d), 0);
	raw = nvmf_disc_list_raw(d, &len);
	assert_non_null(raw);
	assert_int_equal(len, l.len);
	assert_memory_equal(raw, l.data, l.len);
	assert_string_equal(d->entries[4].traddr, "10.0.0.4");	/* parsed as before */
	{
		/* A copy of the struct (valid while the original is): the same page. */
		struct nvmf_disc_list copy = *d;
		size_t clen = 0;

		assert_ptr_equal(nvmf_disc_list_raw(&copy, &clen), raw);
		assert_int_equal(clen, l.len);
	}
	nvmf_free(d);
	free(l.data);

	l = make_log(0, 3);
	l.data[1023] = 0x7f;
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 65536, &d), 0);
	assert_null(d->entries);
	raw = nvmf_disc_list_raw(d, &len);
	assert_int_equal(len, HOST_DISC_HDR_LEN);
	assert_memory_equal(raw, l.data, HOST_DISC_HDR_LEN);
	nvmf_free(d);
	free(l.data);
	assert_null(nvmf_disc_list_raw(NULL, &len));
	assert_int_equal(len, 0);
}

static void test_disc_paging(void **state)
{
	struct fake_log l = make_log(10, 7);
	struct nvmf_disc_list *d;

	(void)state;
	/* 4 KiB per read: header 1 read, 10 KiB of entries 3 reads, header 1. */
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 4096, &d), 0);
	assert_int_equal(d->nr_entries, 10);
	assert_true(l.max_len <= 4096);
	assert_int_equal(l.reads, 5);
	for (int i = 0; i < 10; i++)
		assert_int_equal(d->entries[i].portid, i + 1);
	nvmf_free(d);
	free(l.data);
}

static void test_disc_genctr_change(void **state)
{
	struct fake_log l = make_log(2, 1);
	struct nvmf_disc_list *d;

	(void)state;
	/* GENCTR moves during the first pass and the second: three passes. */
	l.bump_at = 2;
	l.bumps_left = 2;
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 65536, &d), 0);
	assert_int_equal(d->genctr, 3);
	assert_int_equal(l.reads, 9);
	nvmf_free(d);
	free(l.data);

	/* A log that never settles: a clear error, bounded. */
	l = make_log(2, 1);
	l.bump_at = 2;
	l.bumps_left = 1000;
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 65536, &d), -EAGAIN);
	assert_null(d);
	assert_non_null(strstr(nvmf_get_error(), "GENCTR"));
	free(l.data);
}

static void test_disc_bad(void **state)
{
	struct fake_log l = make_log(0, 5);
	struct nvmf_disc_list *d;

	(void)state;
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 65536, &d), 0);
	assert_int_equal(d->nr_entries, 0);
	assert_null(d->entries);
	nvmf_free(d);
	/* Absurd NUMREC. */
	nvmf_put_le64(l.data + 8, 1ull << 40);
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 65536, &d), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "NUMREC"));
	/* Unknown record format. */
	nvmf_put_le64(l.data + 8, 0);
	nvmf_put_le16(l.data + 16, 1);
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 65536, &d), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "record format"));
	free(l.data);
	/* A failing read is passed on. */
	l = make_log(1, 5);
	l.fail_at = 2;
	assert_int_equal(host_fetch_discovery_log(fake_read, &l, 65536, &d), -EIO);
	free(l.data);
}

/* ---- Identify ------------------------------------------------------------------ */

static void id_ctrl_good(uint8_t *id)
{
	memset(id, 0, HOST_IDENTIFY_LEN);
	nvmf_put_le16(id + 0, 0x1b36);
	memcpy(id + 4, "SN123               ", 20);
	memcpy(id + 24, "Model Name                              ", 40);
	memcpy(id + 64, "6.1     ", 8);
	id[77] = 5;			/* MDTS */
	nvmf_put_le16(id + 78, 3);	/* CNTLID */
	id[111] = 1;			/* CNTRLTYPE I/O */
	id[512] = 0x66;			/* SQES */
	id[513] = 0x44;			/* CQES */
	nvmf_put_le32(id + 516, 4);	/* NN */
	nvmf_put_le16(id + 520, 0x0c);	/* ONCS: DSM + Write Zeroes */
	id[525] = 1;			/* VWC */
	memcpy(id + 768, "nqn.test:sub", 12);
	nvmf_put_le32(id + 1792, 260);	/* IOCCSZ */
	nvmf_put_le32(id + 1796, 1);	/* IORCSZ */
}

static void test_id_ctrl(void **state)
{
	uint8_t id[HOST_IDENTIFY_LEN];
	struct nvmf_ctrl_info ci;

	(void)state;
	id_ctrl_good(id);
	memset(&ci, 0, sizeof(ci));
	assert_int_equal(host_parse_id_ctrl(id, &ci), 0);
	assert_string_equal(ci.sn, "SN123");
	assert_string_equal(ci.mn, "Model Name");
	assert_string_equal(ci.fr, "6.1");
	assert_string_equal(ci.subnqn, "nqn.test:sub");
	assert_int_equal(ci.nn, 4);
	assert_int_equal(ci.cntlid, 3);
	assert_int_equal(ci.ioccsz, 260);
	assert_int_equal(host_mdts_bytes(5, 0), 128 * 1024);
	assert_int_equal(host_mdts_bytes(0, 0), 0);
	assert_int_equal(host_mdts_bytes(200, 0), 0);

	/* Impossible sizes, each named. */
	id_ctrl_good(id);
	nvmf_put_le32(id + 1792, 3);
	assert_int_equal(host_parse_id_ctrl(id, &ci), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "IOCCSZ"));
	id_ctrl_good(id);
	nvmf_put_le32(id + 1792, 0xffffffffu);
	assert_int_equal(host_parse_id_ctrl(id, &ci), -EPROTO);
	id_ctrl_good(id);
	nvmf_put_le32(id + 1796, 0);
	assert_int_equal(host_parse_id_ctrl(id, &ci), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "IORCSZ"));
	id_ctrl_good(id);
	id[512] = 0x77;
	assert_int_equal(host_parse_id_ctrl(id, &ci), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "SQES"));
	id_ctrl_good(id);
	id[513] = 0x33;
	assert_int_equal(host_parse_id_ctrl(id, &ci), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "CQES"));
	id_ctrl_good(id);
	nvmf_put_le16(id + 1800, 1);
	assert_int_equal(host_parse_id_ctrl(id, &ci), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "ICDOFF"));

	/* A discovery controller has no I/O sizes to check, when the host
	 * asked for one (the discovery NQN); for an I/O subsystem's NQN it is
	 * refused, not left with unchecked I/O sizes. */
	id_ctrl_good(id);
	id[111] = 2;
	nvmf_put_le32(id + 1792, 0);
	ci.discovery = true;
	assert_int_equal(host_parse_id_ctrl(id, &ci), 0);
	ci.discovery = false;
	assert_int_equal(host_parse_id_ctrl(id, &ci), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "CNTRLTYPE 2"));
	assert_non_null(strstr(nvmf_get_error(), "not the discovery NQN"));

	/* The opposite: asked for as a discovery controller, an I/O (1) or
	 * administrative (3) controller is refused; one that does not say
	 * (0, before NVMe 1.4) is taken at its NQN's word. */
	for (uint8_t t = 0; t <= 3; t++) {
		id_ctrl_good(id);
		id[111] = t;
		ci.discovery = true;
		if (t == 0 || t == 2) {
			assert_int_equal(host_parse_id_ctrl(id, &ci), 0);
			continue;
		}
		assert_int_equal(host_parse_id_ctrl(id, &ci), -EPROTO);
		assert_non_null(strstr(nvmf_get_error(), t == 1 ? "CNTRLTYPE 1 (an I/O controller)"
								: "CNTRLTYPE 3"));
		assert_non_null(strstr(nvmf_get_error(), "not a discovery subsystem"));
	}
	ci.discovery = false;
}

static void id_ns_good(uint8_t *id)
{
	memset(id, 0, HOST_IDENTIFY_LEN);
	nvmf_put_le64(id + 0, 2048);	/* NSZE */
	nvmf_put_le64(id + 8, 2048);	/* NCAP */
	id[25] = 1;			/* NLBAF: two formats */
	id[26] = 1;			/* FLBAS: format 1 */
	id[33] = 0x09;			/* DLFEAT: reads zeroes, WZ DEAC */
	nvmf_put_le32(id + 128, 9 << 16);	/* LBAF0 512 */
	nvmf_put_le32(id + 132, 12 << 16);	/* LBAF1 4096 */
}

static void test_id_ns(void **state)
{
	uint8_t id[HOST_IDENTIFY_LEN];
	struct nvmf_ctrl_info ci = { .oncs = 0x0c, .vwc = 1 };
	struct nvmf_ns_info ns;

	(void)state;
	id_ns_good(id);
	assert_int_equal(host_parse_id_ns(id, 1, &ci, &ns), 0);
	assert_true(ns.supported);
	assert_int_equal(ns.lba_size, 4096);
	assert_int_equal(ns.size, 2048ull * 4096);
	assert_true(ns.write_zeroes);
	assert_true(ns.deallocate);
	assert_true(ns.dealloc_zeroes);
	assert_true(ns.write_zeroes_deac);
	assert_true(ns.vwc);
	assert_false(ns.read_only);

	/* Write protected. */
	id[99] = 1;
	assert_int_equal(host_parse_id_ns(id, 1, &ci, &ns), 0);
	assert_true(ns.read_only);

	/* Unsupported: listed with a reason, not an error. */
	id_ns_good(id);
	nvmf_put_le32(id + 132, (12 << 16) | 8);	/* 8 bytes metadata */
	assert_int_equal(host_parse_id_ns(id, 2, &ci, &ns), 0);
	assert_false(ns.supported);
	assert_non_null(strstr(ns.reason, "metadata"));
	id_ns_good(id);
	id[29] = 1;					/* PI type 1 */
	assert_int_equal(host_parse_id_ns(id, 2, &ci, &ns), 0);
	assert_false(ns.supported);
	assert_non_null(strstr(ns.reason, "protection"));

	/* All zeroes, as an inactive NSID's Identify is: zero size, not
	 * "LBADS 0" (format 0 of the zeroes) and not a protocol error. */
	memset(id, 0, sizeof(id));
	assert_int_equal(host_parse_id_ns(id, 4, &ci, &ns), 0);
	assert_false(ns.supported);
	assert_int_equal(ns.nsid, 4);
	if (!strstr(ns.reason, "zero size"))
		fail_msg("all-zero Identify: \"%s\"", ns.reason);
	/* NCAP without NSZE is impossible. */
	nvmf_put_le64(id + 8, 8);
	assert_int_equal(host_parse_id_ns(id, 4, &ci, &ns), -EPROTO);

	/* Impossible: FLBAS beyond NLBAF, LBADS out of range, NCAP > NSZE, overflow. */
	id_ns_good(id);
	id[26] = 2;
	assert_int_equal(host_parse_id_ns(id, 3, &ci, &ns), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "NLBAF"));
	assert_false(ns.supported);
	id_ns_good(id);
	nvmf_put_le32(id + 132, 3 << 16);
	assert_int_equal(host_parse_id_ns(id, 3, &ci, &ns), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "LBADS 3"));
	id_ns_good(id);
	nvmf_put_le32(id + 132, 40 << 16);
	assert_int_equal(host_parse_id_ns(id, 3, &ci, &ns), -EPROTO);
	id_ns_good(id);
	nvmf_put_le64(id + 8, 4096);
	assert_int_equal(host_parse_id_ns(id, 3, &ci, &ns), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "NCAP"));
	id_ns_good(id);
	nvmf_put_le64(id + 0, 1ull << 60);
	assert_int_equal(host_parse_id_ns(id, 3, &ci, &ns), -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "overflows"));
}

static void test_ns_list(void **state)
{
	uint8_t buf[4096] = { 0 };
	uint32_t ids[1024];

	(void)state;
	nvmf_put_le32(buf, 1);
	nvmf_put_le32(buf + 4, 2);
	nvmf_put_le32(buf + 8, 10);
	assert_int_equal(host_parse_ns_list(buf, ids, 1024), 3);
	assert_int_equal(ids[2], 10);
	nvmf_put_le32(buf + 12, 5);
	assert_int_equal(host_parse_ns_list(buf, ids, 1024), -EPROTO);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(host_parse_ns_list(buf, ids, 1024), 0);
}

static void test_trim(void **state)
{
	char out[8];

	(void)state;
	host_copy_trim(out, sizeof(out), "ab  \0\0\0", 7);
	assert_string_equal(out, "ab");
	host_copy_trim(out, sizeof(out), "abcdefghij", 10);
	assert_string_equal(out, "abcdefg");
	host_copy_trim(out, sizeof(out), "a\x01" "b", 3);
	assert_string_equal(out, "a?b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disc_basic),
		cmocka_unit_test(test_disc_paging),
		cmocka_unit_test(test_disc_raw),
		cmocka_unit_test(test_disc_genctr_change),
		cmocka_unit_test(test_disc_bad),
		cmocka_unit_test(test_id_ctrl),
		cmocka_unit_test(test_id_ns),
		cmocka_unit_test(test_ns_list),
		cmocka_unit_test(test_trim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
