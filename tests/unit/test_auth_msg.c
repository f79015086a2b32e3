/*
 * DH-HMAC-CHAP message codecs (src/auth/auth_msg.c) and the Authentication
 * Send / Receive command fields (src/auth/auth.c).
 *
 * The expected bytes are written out here from the layouts of Linux's
 * include/linux/nvme.h (struct nvmf_auth_dhchap_*_data) and what Linux's
 * host and nvmet put in them (host/auth.c nvme_auth_set_dhchap_negotiate_
 * data: HALEN 3, DHLEN 6, the DH ids from idlist[30]; target/fabrics-cmd-
 * auth.c: Success1 with HL set and no R2, Receive data padded with zeroes
 * to AL), not produced by the builders under test. Every parser is fed
 * truncated buffers, out-of-range lengths and ids, and random bytes.
 * The last test runs the whole exchange between the two roles.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth/auth_chap.h"
#include "auth/auth_dh.h"
#include "auth/auth_msg.h"

#define NQN_H "nqn.2014-08.org.nvmexpress:uuid:2cd2c43b-a90a-45c1-a8cd-86b33ab273b5"
#define NQN_C "nqn.2026-11.org.example:disk"

static void fill(uint8_t *buf, size_t len, uint8_t start)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(start + i);
}

/* Every shorter prefix of a valid message is refused as short. */
#define EXPECT_SHORT_PREFIXES(total, call)				\
	for (size_t cut = 0; cut < (total); cut++) {			\
		size_t n = cut;						\
		assert_int_equal((call), AUTH_ERR_MSG_SHORT);		\
	}

/* ---- AUTH_Negotiate -------------------------------------------------------- */

/* What Linux's host sends (T_ID 0x0102): SHA-256/384/512, NULL and all
 * five FFDHE groups. */
static const uint8_t linux_negotiate[AUTH_NEGOTIATE_LEN] = {
	0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x01,		/* hdr, SC_C, NAPD */
	0x01, 0x00, 0x03, 0x06,					/* AUTHID, HALEN, DHLEN */
	0x01, 0x02, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* hash ids (30) */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* DH ids (30) */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static const struct auth_negotiate linux_neg = {
	.t_id = 0x0102, .sc_c = 0,
	.nhash = 3, .hash = { 1, 2, 3 },
	.ndh = 6, .dh = { 0, 1, 2, 3, 4, 5 },
};

static void test_negotiate(void **state)
{
	uint8_t buf[AUTH_NEGOTIATE_LEN + 100];
	struct auth_negotiate m;

	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(auth_negotiate_build(&linux_neg, buf, sizeof(buf)), AUTH_NEGOTIATE_LEN);
	assert_memory_equal(buf, linux_negotiate, sizeof(linux_negotiate));
	assert_int_equal(buf[AUTH_NEGOTIATE_LEN], 0xEE);	/* nothing past it */

	assert_int_equal(auth_negotiate_parse(linux_negotiate, sizeof(linux_negotiate), &m),
			 AUTH_OK);
	assert_memory_equal(&m, &linux_neg, sizeof(m));
	/* padding after the message is fine */
	memcpy(buf, linux_negotiate, sizeof(linux_negotiate));
	memset(buf + AUTH_NEGOTIATE_LEN, 0, 100);
	assert_int_equal(auth_negotiate_parse(buf, sizeof(buf), &m), AUTH_OK);

	assert_int_equal(auth_negotiate_build(&linux_neg, buf, AUTH_NEGOTIATE_LEN - 1),
			 AUTH_ERR_NOSPACE);
}

static void expect_negotiate(const uint8_t *msg, size_t len, int err)
{
	struct auth_negotiate m;

	memset(&m, 0xA5, sizeof(m));
	assert_int_equal(auth_negotiate_parse(msg, len, &m), err);
	if (err)
		assert_int_equal(m.nhash, 0);	/* cleared on failure */
}

static void test_negotiate_hostile(void **state)
{
	uint8_t b[AUTH_NEGOTIATE_LEN];
	struct auth_negotiate m;

#define MUT(off, val, err) do {						\
		memcpy(b, linux_negotiate, sizeof(b));			\
		b[off] = (val);						\
		expect_negotiate(b, sizeof(b), err);			\
	} while (0)

	EXPECT_SHORT_PREFIXES(AUTH_NEGOTIATE_LEN, auth_negotiate_parse(linux_negotiate, n, &m));
	MUT(0, 0x01, AUTH_ERR_MSG_TYPE);	/* AUTH_Type DH-HMAC-CHAP */
	MUT(1, 0x01, AUTH_ERR_MSG_TYPE);	/* a Challenge's id */
	MUT(1, 0xF1, AUTH_ERR_MSG_TYPE);	/* a Failure1 */
	MUT(6, 0x04, AUTH_ERR_MSG_SCC);
	MUT(6, 0x03, AUTH_OK);			/* REPLACETLSPSK: defined */
	MUT(7, 0x00, AUTH_ERR_MSG_NAPD);
	MUT(7, 0x02, AUTH_ERR_MSG_NAPD);
	MUT(7, 0xFF, AUTH_ERR_MSG_NAPD);
	MUT(8, 0x02, AUTH_ERR_MSG_AUTHID);
	MUT(8, 0x00, AUTH_ERR_MSG_AUTHID);
	MUT(10, 31, AUTH_ERR_MSG_IDLIST);	/* HALEN above 30 */
	MUT(10, 255, AUTH_ERR_MSG_IDLIST);
	MUT(11, 31, AUTH_ERR_MSG_IDLIST);	/* DHLEN */
	MUT(10, 30, AUTH_OK);			/* 30 is the limit */
	MUT(11, 30, AUTH_OK);
	MUT(10, 0, AUTH_ERR_MSG_HASH);		/* nothing offered */
	MUT(11, 0, AUTH_ERR_MSG_DHGROUP);
	MUT(12, 0x77, AUTH_OK);			/* unknown ids are kept */
	assert_int_equal(auth_negotiate_parse(b, sizeof(b), &m), AUTH_OK);
	assert_int_equal(m.hash[0], 0x77);
	assert_int_equal(auth_negotiate_parse(NULL, sizeof(b), &m), AUTH_ERR_INVAL);
	assert_int_equal(auth_negotiate_parse(b, sizeof(b), NULL), AUTH_ERR_INVAL);
#undef MUT
}

static void test_negotiate_build_errors(void **state)
{
	struct auth_negotiate m = linux_neg;
	uint8_t b[AUTH_NEGOTIATE_LEN];

	m.nhash = 0;
	assert_int_equal(auth_negotiate_build(&m, b, sizeof(b)), AUTH_ERR_MSG_IDLIST);
	m.nhash = 31;
	assert_int_equal(auth_negotiate_build(&m, b, sizeof(b)), AUTH_ERR_MSG_IDLIST);
	m = linux_neg;
	m.ndh = 0;
	assert_int_equal(auth_negotiate_build(&m, b, sizeof(b)), AUTH_ERR_MSG_IDLIST);
	m = linux_neg;
	m.hash[1] = 4;
	assert_int_equal(auth_negotiate_build(&m, b, sizeof(b)), AUTH_ERR_MSG_HASH);
	m = linux_neg;
	m.dh[5] = 6;
	assert_int_equal(auth_negotiate_build(&m, b, sizeof(b)), AUTH_ERR_MSG_DHGROUP);
	m = linux_neg;
	m.sc_c = 4;
	assert_int_equal(auth_negotiate_build(&m, b, sizeof(b)), AUTH_ERR_MSG_SCC);
}

static void test_negotiate_pick(void **state)
{
	static const uint8_t hp[] = { AUTH_HASH_SHA384, AUTH_HASH_SHA512 };
	static const uint8_t dp[] = { AUTH_DHGROUP_3072, AUTH_DHGROUP_4096 };
	static const uint8_t bogus[] = { 0x00, 0x09 };
	struct auth_negotiate m = {
		.nhash = 2, .hash = { AUTH_HASH_SHA256, AUTH_HASH_SHA512 },
		.ndh = 3, .dh = { AUTH_DHGROUP_NULL, AUTH_DHGROUP_2048, AUTH_DHGROUP_4096 },
	};
	uint8_t h = 0, g = 0;

	assert_int_equal(auth_negotiate_pick(&m, hp, 2, dp, 2, &h, &g), AUTH_OK);
	assert_int_equal(h, AUTH_HASH_SHA512);
	assert_int_equal(g, AUTH_DHGROUP_4096);
	assert_int_equal(auth_negotiate_pick(&m, hp, 1, dp, 2, &h, &g), AUTH_ERR_MSG_HASH);
	assert_int_equal(auth_negotiate_pick(&m, hp, 2, dp, 1, &h, &g), AUTH_ERR_MSG_DHGROUP);
	/* an id the host sent but that is not defined is never chosen */
	m.hash[0] = 0x09;
	assert_int_equal(auth_negotiate_pick(&m, bogus, 2, dp, 2, &h, &g), AUTH_ERR_MSG_HASH);
	assert_int_equal(auth_negotiate_pick(&m, hp, 2, NULL, 0, &h, &g), AUTH_ERR_MSG_DHGROUP);
}

/* ---- DH-HMAC-CHAP_Challenge ------------------------------------------------ */

static uint8_t c1_32[32], dhv256[256], big[AUTH_RECV_AL];

static void test_challenge(void **state)
{
	struct auth_challenge in = {
		.t_id = 0xABCD, .hash = AUTH_HASH_SHA256, .dhgroup = AUTH_DHGROUP_2048,
		.seqnum = 0x11223344, .c1 = c1_32, .dhv = dhv256, .dhvlen = 256,
	}, m;
	static const uint8_t hdr[16] = {
		0x01, 0x01, 0x00, 0x00, 0xCD, 0xAB, 0x20, 0x00,
		0x01, 0x01, 0x00, 0x01, 0x44, 0x33, 0x22, 0x11,
	};

	fill(c1_32, sizeof(c1_32), 0x40);
	fill(dhv256, sizeof(dhv256), 0x90);
	memset(big, 0xEE, sizeof(big));
	assert_int_equal(auth_challenge_build(&in, big, sizeof(big)), 16 + 32 + 256);
	assert_memory_equal(big, hdr, sizeof(hdr));
	assert_memory_equal(big + 16, c1_32, 32);
	assert_memory_equal(big + 48, dhv256, 256);
	assert_int_equal(big[304], 0xEE);

	/* as nvmet returns it: AL bytes, zeroes after the message */
	memset(big + 304, 0, sizeof(big) - 304);
	assert_int_equal(auth_challenge_parse(big, sizeof(big), &m), AUTH_OK);
	assert_int_equal(m.t_id, 0xABCD);
	assert_int_equal(m.hash, AUTH_HASH_SHA256);
	assert_int_equal(m.dhgroup, AUTH_DHGROUP_2048);
	assert_int_equal(m.seqnum, 0x11223344);
	assert_ptr_equal(m.c1, big + 16);
	assert_ptr_equal(m.dhv, big + 48);
	assert_int_equal(m.dhvlen, 256);
	EXPECT_SHORT_PREFIXES(304, auth_challenge_parse(big, n, &m));

	/* the NULL group: no DH value */
	in.dhgroup = AUTH_DHGROUP_NULL;
	in.dhv = NULL;
	in.dhvlen = 0;
	in.hash = AUTH_HASH_SHA512;
	in.c1 = big + 1000;
	assert_int_equal(auth_challenge_build(&in, big, 16 + 64), 16 + 64);
	assert_int_equal(big[6], 64);
	assert_int_equal(auth_challenge_parse(big, 16 + 64, &m), AUTH_OK);
	assert_null(m.dhv);
	assert_int_equal(m.dhvlen, 0);
	assert_int_equal(auth_challenge_build(&in, big, 16 + 63), AUTH_ERR_NOSPACE);

	/* builder refusals */
	in.seqnum = 0;
	assert_int_equal(auth_challenge_build(&in, big, sizeof(big)), AUTH_ERR_MSG_SEQNUM);
	in.seqnum = 1;
	in.hash = 0;
	assert_int_equal(auth_challenge_build(&in, big, sizeof(big)), AUTH_ERR_MSG_HASH);
	in.hash = AUTH_HASH_SHA256;
	in.dhvlen = 1;
	assert_int_equal(auth_challenge_build(&in, big, sizeof(big)), AUTH_ERR_MSG_DHVLEN);
	in.dhgroup = AUTH_DHGROUP_2048;
	in.dhv = dhv256;
	in.dhvlen = 255;	/* ours are always padded */
	assert_int_equal(auth_challenge_build(&in, big, sizeof(big)), AUTH_ERR_MSG_DHVLEN);
	in.dhgroup = 7;
	assert_int_equal(auth_challenge_build(&in, big, sizeof(big)), AUTH_ERR_MSG_DHGROUP);
}

static void test_challenge_hostile(void **state)
{
	struct auth_challenge in = {
		.t_id = 7, .hash = AUTH_HASH_SHA256, .dhgroup = AUTH_DHGROUP_2048,
		.seqnum = 9, .c1 = c1_32, .dhv = dhv256, .dhvlen = 256,
	}, m;
	uint8_t good[304], b[sizeof(big)];

	assert_int_equal(auth_challenge_build(&in, good, sizeof(good)), 304);
#define MUT(off, val, err) do {						\
		memset(b, 0, sizeof(b));				\
		memcpy(b, good, sizeof(good));				\
		b[off] = (val);						\
		assert_int_equal(auth_challenge_parse(b, sizeof(b), &m), err); \
	} while (0)
	MUT(0, 0x00, AUTH_ERR_MSG_TYPE);
	MUT(1, 0x02, AUTH_ERR_MSG_TYPE);		/* a Reply */
	MUT(1, 0x09, AUTH_ERR_MSG_TYPE);
	MUT(8, 0x00, AUTH_ERR_MSG_HASH);		/* HashID */
	MUT(8, 0x04, AUTH_ERR_MSG_HASH);
	MUT(8, 0x02, AUTH_ERR_MSG_HASH);		/* SHA-384 with HL 32 */
	MUT(6, 48, AUTH_ERR_MSG_HASH);			/* HL */
	MUT(6, 255, AUTH_ERR_MSG_HASH);
	MUT(6, 0, AUTH_ERR_MSG_HASH);
	MUT(9, 0x06, AUTH_ERR_MSG_DHGROUP);
	MUT(9, 0xFF, AUTH_ERR_MSG_DHGROUP);
	MUT(9, 0x00, AUTH_ERR_MSG_DHVLEN);		/* NULL group with a value */
	MUT(9, 0x05, AUTH_OK);				/* 256 <= 1024: fine */
	MUT(10, 0x01, AUTH_ERR_MSG_DHVLEN);		/* DHVLEN 257 */
	MUT(11, 0x00, AUTH_ERR_MSG_DHVLEN);		/* DHVLEN 0 */
	MUT(11, 0xFF, AUTH_ERR_MSG_DHVLEN);		/* 65280 */
	MUT(10, 0xFF, AUTH_ERR_MSG_DHVLEN);		/* 511 */
	MUT(11, 0x00, AUTH_ERR_MSG_DHVLEN);
	b[10] = 0xFF;					/* 255: unpadded, allowed */
	assert_int_equal(auth_challenge_parse(b, sizeof(b), &m), AUTH_OK);
	assert_int_equal(m.dhvlen, 255);
	for (int i = 12; i < 16; i++)
		b[i] = 0;
	assert_int_equal(auth_challenge_parse(b, sizeof(b), &m), AUTH_ERR_MSG_SEQNUM);
	/* a DHVLEN within the group but past the buffer */
	memcpy(b, good, sizeof(good));
	b[9] = AUTH_DHGROUP_8192;
	b[10] = 0x00;
	b[11] = 0x04;					/* 1024 */
	assert_int_equal(auth_challenge_parse(b, sizeof(good), &m), AUTH_ERR_MSG_SHORT);
	assert_int_equal(auth_challenge_parse(b, 16 + 32 + 1024, &m), AUTH_OK);
	assert_int_equal(auth_challenge_parse(NULL, 100, &m), AUTH_ERR_INVAL);
#undef MUT
}

/* ---- DH-HMAC-CHAP_Reply ---------------------------------------------------- */

static void test_reply(void **state)
{
	uint8_t r1[48], c2[48], dhv[384], b[16 + 96 + 384 + 8];
	struct auth_reply in = {
		.t_id = 0x0201, .hash = AUTH_HASH_SHA384, .dhgroup = AUTH_DHGROUP_3072,
		.cvalid = true, .seqnum = 0xCAFEF00D, .r1 = r1, .c2 = c2,
		.dhv = dhv, .dhvlen = 384,
	}, m;
	static const uint8_t hdr[16] = {
		0x01, 0x02, 0x00, 0x00, 0x01, 0x02, 0x30, 0x00,
		0x01, 0x00, 0x80, 0x01, 0x0D, 0xF0, 0xFE, 0xCA,
	};
	size_t total = 16 + 96 + 384;

	fill(r1, 48, 0x10);
	fill(c2, 48, 0x60);
	fill(dhv, 384, 0xA0);
	assert_int_equal(auth_reply_build(&in, b, sizeof(b)), (int)total);
	assert_memory_equal(b, hdr, 16);
	assert_memory_equal(b + 16, r1, 48);
	assert_memory_equal(b + 64, c2, 48);
	assert_memory_equal(b + 112, dhv, 384);
	assert_int_equal(auth_reply_parse(b, total, AUTH_HASH_SHA384, AUTH_DHGROUP_3072, &m),
			 AUTH_OK);
	assert_int_equal(m.t_id, 0x0201);
	assert_true(m.cvalid);
	assert_int_equal(m.seqnum, 0xCAFEF00D);
	assert_ptr_equal(m.r1, b + 16);
	assert_ptr_equal(m.c2, b + 64);
	assert_ptr_equal(m.dhv, b + 112);
	assert_int_equal(m.dhvlen, 384);
	EXPECT_SHORT_PREFIXES(total, auth_reply_parse(b, n, AUTH_HASH_SHA384,
						      AUTH_DHGROUP_3072, &m));

	/* unidirectional, as Linux sends it: CVALID 0, SEQNUM 0, C2's place
	 * zeroed but present */
	in.cvalid = false;
	in.seqnum = 0;
	in.c2 = NULL;
	memset(b, 0xEE, sizeof(b));
	assert_int_equal(auth_reply_build(&in, b, sizeof(b)), (int)total);
	assert_int_equal(b[8], 0);
	assert_int_equal(nvmf_get_le32(b + 12), 0);
	for (size_t i = 64; i < 112; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(auth_reply_parse(b, total, AUTH_HASH_SHA384, AUTH_DHGROUP_3072, &m),
			 AUTH_OK);
	assert_false(m.cvalid);
	assert_null(m.c2);

	/* builder refusals */
	in.seqnum = 5;		/* a sequence number without a challenge */
	assert_int_equal(auth_reply_build(&in, b, sizeof(b)), AUTH_ERR_MSG_SEQNUM);
	in.seqnum = 0;
	in.dhvlen = 256;
	assert_int_equal(auth_reply_build(&in, b, sizeof(b)), AUTH_ERR_MSG_DHVLEN);
	in.dhvlen = 384;
	assert_int_equal(auth_reply_build(&in, b, total - 1), AUTH_ERR_NOSPACE);
	in.cvalid = true;	/* C2 missing */
	assert_int_equal(auth_reply_build(&in, b, sizeof(b)), AUTH_ERR_INVAL);
}

static void test_reply_hostile(void **state)
{
	uint8_t r1[32] = {1}, good[16 + 64], b[16 + 64 + 300];
	struct auth_reply in = {
		.t_id = 1, .hash = AUTH_HASH_SHA256, .dhgroup = AUTH_DHGROUP_NULL, .r1 = r1,
	}, m;

	assert_int_equal(auth_reply_build(&in, good, sizeof(good)), (int)sizeof(good));
#define MUT(off, val, err) do {						\
		memset(b, 0, sizeof(b));				\
		memcpy(b, good, sizeof(good));				\
		b[off] = (val);						\
		assert_int_equal(auth_reply_parse(b, sizeof(b), AUTH_HASH_SHA256, \
						  AUTH_DHGROUP_NULL, &m), err); \
	} while (0)
	MUT(0, 0x00, AUTH_ERR_MSG_TYPE);
	MUT(1, 0x01, AUTH_ERR_MSG_TYPE);
	MUT(6, 48, AUTH_ERR_MSG_HASH);		/* HL not the negotiated hash's */
	MUT(6, 0, AUTH_ERR_MSG_HASH);
	MUT(8, 2, AUTH_ERR_MSG_FLAG);		/* CVALID */
	MUT(8, 0xFF, AUTH_ERR_MSG_FLAG);
	MUT(8, 1, AUTH_OK);			/* C2 with S2 0: allowed (TLS PSK) */
	MUT(12, 1, AUTH_OK);			/* S2 without C2: Linux hosts send one */
	MUT(10, 1, AUTH_ERR_MSG_DHVLEN);	/* a DH value for the NULL group */
	/* with a group: DHVLEN 0 and above its size are refused */
	memcpy(b, good, sizeof(good));
	assert_int_equal(auth_reply_parse(b, sizeof(b), AUTH_HASH_SHA256, AUTH_DHGROUP_2048, &m),
			 AUTH_ERR_MSG_DHVLEN);
	nvmf_put_le16(b + 10, 257);
	assert_int_equal(auth_reply_parse(b, sizeof(b), AUTH_HASH_SHA256, AUTH_DHGROUP_2048, &m),
			 AUTH_ERR_MSG_DHVLEN);
	nvmf_put_le16(b + 10, 256);
	assert_int_equal(auth_reply_parse(b, 16 + 64 + 255, AUTH_HASH_SHA256, AUTH_DHGROUP_2048,
					  &m), AUTH_ERR_MSG_SHORT);
	assert_int_equal(auth_reply_parse(b, 16 + 64 + 256, AUTH_HASH_SHA256, AUTH_DHGROUP_2048,
					  &m), AUTH_OK);
	assert_ptr_equal(m.dhv, b + 80);
	/* the caller's own values are checked too */
	assert_int_equal(auth_reply_parse(good, sizeof(good), 0, AUTH_DHGROUP_NULL, &m),
			 AUTH_ERR_INVAL);
	assert_int_equal(auth_reply_parse(good, sizeof(good), AUTH_HASH_SHA256, 9, &m),
			 AUTH_ERR_INVAL);
#undef MUT
}

/* ---- Success1, Success2 ---------------------------------------------------- */

static void test_success(void **state)
{
	uint8_t r2[64], b[AUTH_RECV_AL];
	struct auth_success1 in = { .t_id = 3, .hash = AUTH_HASH_SHA512, .rvalid = true, .r2 = r2 };
	struct auth_success1 m;
	static const uint8_t nvmet_s1[16] = {	/* nvmet without R2: HL set */
		0x01, 0x03, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00,
		0x00, 0, 0, 0, 0, 0, 0, 0,
	};
	uint16_t t_id = 0;

	fill(r2, sizeof(r2), 0x33);
	assert_int_equal(auth_success1_build(&in, b, sizeof(b)), 16 + 64);
	assert_int_equal(b[6], 64);
	assert_int_equal(b[8], 1);
	assert_memory_equal(b + 16, r2, 64);
	assert_int_equal(auth_success1_parse(b, 80, AUTH_HASH_SHA512, true, &m), AUTH_OK);
	assert_ptr_equal(m.r2, b + 16);
	assert_int_equal(m.t_id, 3);
	EXPECT_SHORT_PREFIXES(80, auth_success1_parse(b, n, AUTH_HASH_SHA512, true, &m));
	/* R2 when none was asked for, and none when it was */
	assert_int_equal(auth_success1_parse(b, 80, AUTH_HASH_SHA512, false, &m),
			 AUTH_ERR_MSG_FLAG);
	memset(b, 0, sizeof(b));
	memcpy(b, nvmet_s1, sizeof(nvmet_s1));
	assert_int_equal(auth_success1_parse(b, sizeof(b), AUTH_HASH_SHA512, false, &m), AUTH_OK);
	assert_null(m.r2);
	assert_int_equal(auth_success1_parse(b, sizeof(b), AUTH_HASH_SHA512, true, &m),
			 AUTH_ERR_MSG_FLAG);
	assert_int_equal(auth_success1_parse(b, sizeof(b), AUTH_HASH_SHA256, false, &m),
			 AUTH_ERR_MSG_HASH);
	in.rvalid = false;
	assert_int_equal(auth_success1_build(&in, b, 16), 16);
	assert_memory_equal(b, nvmet_s1, 16);
	b[8] = 2;
	assert_int_equal(auth_success1_parse(b, 16, AUTH_HASH_SHA512, false, &m),
			 AUTH_ERR_MSG_FLAG);
	b[8] = 0;
	b[1] = AUTH_MSG_SUCCESS2;
	assert_int_equal(auth_success1_parse(b, 16, AUTH_HASH_SHA512, false, &m),
			 AUTH_ERR_MSG_TYPE);

	assert_int_equal(auth_success2_build(0xBEEF, b, sizeof(b)), 16);
	assert_int_equal(b[0], 0x01);
	assert_int_equal(b[1], 0x04);
	assert_int_equal(b[4], 0xEF);
	assert_int_equal(b[5], 0xBE);
	assert_int_equal(auth_success2_parse(b, 16, &t_id), AUTH_OK);
	assert_int_equal(t_id, 0xBEEF);
	EXPECT_SHORT_PREFIXES(16, auth_success2_parse(b, n, &t_id));
	b[1] = AUTH_MSG_SUCCESS1;
	assert_int_equal(auth_success2_parse(b, 16, &t_id), AUTH_ERR_MSG_TYPE);
	assert_int_equal(auth_success2_build(1, b, 15), AUTH_ERR_NOSPACE);
}

/* ---- Failure1/2, peek ------------------------------------------------------ */

static void test_failure(void **state)
{
	uint8_t b[AUTH_FAILURE_LEN + 4];
	static const uint8_t f1[8] = { 0x00, 0xF1, 0x00, 0x00, 0x34, 0x12, 0x01, 0x06 };
	static const uint8_t f2[8] = { 0x00, 0xF0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x04 };
	struct auth_failure_msg m;

	assert_int_equal(auth_failure_build(AUTH_MSG_FAILURE1, 0x1234,
					    AUTH_FAILURE_INCORRECT_PAYLOAD, b, sizeof(b)), 8);
	assert_memory_equal(b, f1, 8);
	assert_int_equal(auth_failure_build(AUTH_MSG_FAILURE2, 1, AUTH_FAILURE_HASH_UNUSABLE,
					    b, sizeof(b)), 8);
	assert_memory_equal(b, f2, 8);

	assert_int_equal(auth_failure_parse(f1, 8, AUTH_MSG_FAILURE1, &m), AUTH_OK);
	assert_int_equal(m.t_id, 0x1234);
	assert_int_equal(m.reason, AUTH_FAILURE_REASON_FAILED);
	assert_int_equal(m.explanation, AUTH_FAILURE_INCORRECT_PAYLOAD);
	assert_int_equal(auth_failure_parse(f1, 8, AUTH_MSG_FAILURE2, &m), AUTH_ERR_MSG_TYPE);
	EXPECT_SHORT_PREFIXES(8, auth_failure_parse(f1, n, AUTH_MSG_FAILURE1, &m));
	/* undefined codes are passed on: the message is a failure anyway */
	memcpy(b, f1, 8);
	b[6] = 0x09;
	b[7] = 0x42;
	assert_int_equal(auth_failure_parse(b, 8, AUTH_MSG_FAILURE1, &m), AUTH_OK);
	assert_int_equal(m.explanation, 0x42);
	assert_string_equal(auth_failure_name(0x42), "unknown reason");
	b[0] = AUTH_TYPE_DHCHAP;
	assert_int_equal(auth_failure_parse(b, 8, AUTH_MSG_FAILURE1, &m), AUTH_ERR_MSG_TYPE);

	assert_int_equal(auth_failure_build(AUTH_MSG_FAILURE1, 1, 0, b, sizeof(b)), AUTH_ERR_INVAL);
	assert_int_equal(auth_failure_build(AUTH_MSG_FAILURE1, 1, 8, b, sizeof(b)), AUTH_ERR_INVAL);
	assert_int_equal(auth_failure_build(0xF2, 1, 1, b, sizeof(b)), AUTH_ERR_INVAL);
	assert_int_equal(auth_failure_build(AUTH_MSG_FAILURE2, 1, 1, b, 7), AUTH_ERR_NOSPACE);
	assert_int_equal(auth_failure_parse(f1, 8, AUTH_MSG_CHALLENGE, &m), AUTH_ERR_INVAL);
}

static void test_peek(void **state)
{
	static const struct { uint8_t type, id; int err; } v[] = {
		{ 0x00, 0x00, AUTH_OK }, { 0x01, 0x01, AUTH_OK }, { 0x01, 0x02, AUTH_OK },
		{ 0x01, 0x03, AUTH_OK }, { 0x01, 0x04, AUTH_OK }, { 0x00, 0xF0, AUTH_OK },
		{ 0x00, 0xF1, AUTH_OK },
		{ 0x01, 0x00, AUTH_ERR_MSG_TYPE }, { 0x00, 0x01, AUTH_ERR_MSG_TYPE },
		{ 0x01, 0xF1, AUTH_ERR_MSG_TYPE }, { 0x01, 0x05, AUTH_ERR_MSG_TYPE },
		{ 0x00, 0xF2, AUTH_ERR_MSG_TYPE }, { 0x02, 0x00, AUTH_ERR_MSG_TYPE },
		{ 0xFF, 0xFF, AUTH_ERR_MSG_TYPE },
	};
	uint8_t b[8] = {0}, type, id;
	uint16_t t_id;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		b[0] = v[i].type;
		b[1] = v[i].id;
		b[4] = 0x78;
		b[5] = 0x56;
		assert_int_equal(auth_msg_peek(b, sizeof(b), &type, &id, &t_id), v[i].err);
		if (!v[i].err) {
			assert_int_equal(type, v[i].type);
			assert_int_equal(id, v[i].id);
			assert_int_equal(t_id, 0x5678);
		}
	}
	EXPECT_SHORT_PREFIXES(8, auth_msg_peek(b, n, &type, &id, &t_id));
}

/* Random bytes into every parser: no crash, no read past the buffer (the
 * ASan build checks), nothing but defined results. */
static void test_random_input(void **state)
{
	uint8_t *b;
	uint32_t x = 0x12345678;

	for (int round = 0; round < 20000; round++) {
		struct auth_negotiate n;
		struct auth_challenge c;
		struct auth_reply r;
		struct auth_success1 s;
		struct auth_failure_msg f;
		size_t len, i;
		int e[6];

		x = x * 1103515245u + 12345u;
		len = (x >> 8) % 1200;
		b = malloc(len ? len : 1);	/* exact size: ASan sees overreads */
		assert_non_null(b);
		for (i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			b[i] = (uint8_t)(x >> 16);
		}
		/* plausible headers more often than chance would give */
		if (len >= 12 && (round & 1)) {
			static const uint8_t ids[] = { 0, 1, 2, 3, 4, 0xF0, 0xF1 };
			uint8_t id = ids[round % 7];

			b[0] = id == 0 || id >= 0xF0 ? 0 : 1;
			b[1] = id;
			b[6] = (uint8_t)(round % 3 ? 32 : 64);
			b[7] = 1;
			b[8] = (uint8_t)(round % 4);
			b[9] = (uint8_t)(round % 6);
			b[10] = (uint8_t)(x >> 24);
			b[11] = (uint8_t)(round % 5);
		}
		e[0] = auth_negotiate_parse(b, len, &n);
		e[1] = auth_challenge_parse(b, len, &c);
		e[2] = auth_reply_parse(b, len, AUTH_HASH_SHA256, (uint8_t)(round % 6), &r);
		e[3] = auth_success1_parse(b, len, AUTH_HASH_SHA256, round & 2, &s);
		e[4] = auth_failure_parse(b, len, AUTH_MSG_FAILURE1, &f);
		e[5] = auth_msg_peek(b, len, NULL, NULL, NULL);
		for (i = 0; i < 6; i++)
			assert_true(e[i] <= 0 && e[i] >= AUTH_ERR_MSG_SEQNUM);
		if (!e[1])
			assert_true(c.c1 >= b && c.c1 + auth_hash_len(c.hash) + c.dhvlen <= b + len);
		if (!e[2])
			assert_true(r.r1 + 2 * 32 + r.dhvlen <= b + len);
		free(b);
	}
}

/* ---- Commands and failure reasons ------------------------------------------ */

static void test_commands(void **state)
{
	struct nvmf_auth_send_cmd s;
	struct nvmf_auth_recv_cmd r;
	uint8_t raw[64];
	uint32_t len = 0;

	auth_cmd_send_init(&s, 72);
	memcpy(raw, &s, 64);
	assert_int_equal(raw[0], 0x7F);		/* Fabrics */
	assert_int_equal(raw[4], 0x05);		/* Authentication Send */
	assert_int_equal(raw[41], 0x01);	/* SPSP0 */
	assert_int_equal(raw[42], 0x01);	/* SPSP1 */
	assert_int_equal(raw[43], 0xE9);	/* SECP */
	assert_int_equal(nvmf_get_le32(raw + 44), 72);
	assert_int_equal(auth_cmd_check(raw, &len), 0);
	assert_int_equal(len, 72);

	auth_cmd_recv_init(&r, AUTH_RECV_AL);
	memcpy(raw, &r, 64);
	assert_int_equal(raw[4], 0x06);		/* Authentication Receive */
	assert_int_equal(raw[43], 0xE9);
	assert_int_equal(nvmf_get_le32(raw + 44), 4096);
	assert_int_equal(auth_cmd_check(raw, &len), 0);
	assert_int_equal(len, 4096);

	/* the bad field's offset, nvmet's error location */
	raw[43] = 0xEA;
	assert_int_equal(auth_cmd_check(raw, &len), 43);
	raw[43] = 0xE9;
	raw[41] = 0x00;
	assert_int_equal(auth_cmd_check(raw, &len), 41);
	raw[41] = 0x01;
	raw[42] = 0x02;
	assert_int_equal(auth_cmd_check(raw, &len), 42);
	raw[42] = 0x01;
	nvmf_put_le32(raw + 44, 0);
	assert_int_equal(auth_cmd_check(raw, &len), 44);
	assert_int_equal(auth_cmd_check(NULL, &len), AUTH_ERR_INVAL);
}

static void test_failure_of(void **state)
{
	assert_int_equal(auth_failure_of(AUTH_ERR_MSG_TYPE), AUTH_FAILURE_INCORRECT_MESSAGE);
	assert_int_equal(auth_failure_of(AUTH_ERR_MSG_HASH), AUTH_FAILURE_HASH_UNUSABLE);
	assert_int_equal(auth_failure_of(AUTH_ERR_MSG_DHGROUP), AUTH_FAILURE_DHGROUP_UNUSABLE);
	assert_int_equal(auth_failure_of(AUTH_ERR_MSG_SCC), AUTH_FAILURE_CONCAT_MISMATCH);
	assert_int_equal(auth_failure_of(AUTH_ERR_MSG_AUTHID), AUTH_FAILURE_NOT_USABLE);
	assert_int_equal(auth_failure_of(AUTH_ERR_MSG_SHORT), AUTH_FAILURE_INCORRECT_PAYLOAD);
	assert_int_equal(auth_failure_of(AUTH_ERR_MSG_DHVLEN), AUTH_FAILURE_INCORRECT_PAYLOAD);
	assert_int_equal(auth_failure_of(AUTH_ERR_DH_PUBLIC), AUTH_FAILURE_INCORRECT_PAYLOAD);
	assert_int_equal(auth_failure_of(AUTH_ERR_CRYPTO), AUTH_FAILURE_FAILED);
	assert_int_equal(auth_failure_of(AUTH_ERR_CRC), AUTH_FAILURE_FAILED);
	for (uint8_t e = 1; e <= 7; e++)
		assert_string_not_equal(auth_failure_name(e), "unknown reason");
	/* ids and names */
	assert_int_equal(auth_hash_from_name("hmac(sha384)"), AUTH_HASH_SHA384);
	assert_int_equal(auth_hash_from_name("sha512"), AUTH_HASH_SHA512);
	assert_int_equal(auth_hash_from_name("SHA-256"), AUTH_HASH_SHA256);
	assert_int_equal(auth_hash_from_name("md5"), -1);
	assert_string_equal(auth_hash_name(AUTH_HASH_SHA256), "sha256");
	assert_null(auth_hash_name(4));
	assert_int_equal(auth_dhgroup_from_name("ffdhe6144"), AUTH_DHGROUP_6144);
	assert_int_equal(auth_dhgroup_from_name("null"), AUTH_DHGROUP_NULL);
	assert_int_equal(auth_dhgroup_from_name("ffdhe1024"), -1);
	assert_string_equal(auth_dhgroup_name(AUTH_DHGROUP_8192), "ffdhe8192");
	assert_null(auth_dhgroup_name(6));
}

/* ---- The exchange, both roles ---------------------------------------------- */

struct side {
	struct auth_secret host_key, ctrl_key;	/* what this side was given */
};

/*
 * One transaction through the codecs, DH and responses, the controller
 * choosing hash and group from the host's Negotiate. Returns where it
 * stopped: 0 success, 1 the controller refused R1, 2 the host refused R2.
 */
static int exchange(const struct side *host, const struct side *ctrl, uint8_t hash,
		    uint8_t group, bool bidir)
{
	static uint8_t msg[AUTH_RECV_AL], hpub[AUTH_DH_MAX_LEN], cpub[AUTH_DH_MAX_LEN];
	static uint8_t hz[AUTH_DH_MAX_LEN], cz[AUTH_DH_MAX_LEN];
	uint8_t c1[64], c2[64], r1[64], r2[64], check[64];
	struct auth_negotiate neg = linux_neg, nrx;
	struct auth_challenge ch = {0}, crx;
	struct auth_reply rp = {0}, rrx;
	struct auth_success1 s1 = {0}, srx;
	struct auth_chap_input in;
	struct auth_dh *hdh = NULL, *cdh = NULL;
	uint8_t sel_hash, sel_group;
	size_t size = auth_dhgroup_len(group), hl = auth_hash_len(hash);
	uint16_t t_id = 0;
	int n, result = 0;

	/* host: Negotiate */
	neg.t_id = 0x0042;
	n = auth_negotiate_build(&neg, msg, sizeof(msg));
	assert_int_equal(n, AUTH_NEGOTIATE_LEN);
	/* controller: picks, makes its key pair and C1, Challenge */
	assert_int_equal(auth_negotiate_parse(msg, (size_t)n, &nrx), AUTH_OK);
	assert_int_equal(auth_negotiate_pick(&nrx, &hash, 1, &group, 1, &sel_hash, &sel_group),
			 AUTH_OK);
	ch.t_id = nrx.t_id;
	ch.hash = sel_hash;
	ch.dhgroup = sel_group;
	assert_int_equal(auth_random_seqnum(&ch.seqnum), AUTH_OK);
	assert_int_equal(auth_random(c1, hl), AUTH_OK);
	ch.c1 = c1;
	if (group) {
		assert_int_equal(auth_dh_new(group, &cdh), AUTH_OK);
		assert_int_equal(auth_dh_public(cdh, cpub, sizeof(cpub)), AUTH_OK);
		ch.dhv = cpub;
		ch.dhvlen = (uint16_t)size;
	}
	n = auth_challenge_build(&ch, msg, sizeof(msg));
	assert_true(n > 0);
	memset(msg + n, 0, sizeof(msg) - (size_t)n);		/* AL bytes */

	/* host: Challenge -> DH, R1, Reply */
	assert_int_equal(auth_msg_peek(msg, sizeof(msg), NULL, NULL, &t_id), AUTH_OK);
	assert_int_equal(t_id, 0x0042);
	assert_int_equal(auth_challenge_parse(msg, sizeof(msg), &crx), AUTH_OK);
	in = (struct auth_chap_input){
		.hash = crx.hash, .challenge = crx.c1, .seqnum = crx.seqnum, .t_id = crx.t_id,
		.hostnqn = NQN_H, .subnqn = NQN_C,
	};
	if (crx.dhgroup) {
		assert_int_equal(auth_dh_new(crx.dhgroup, &hdh), AUTH_OK);
		assert_int_equal(auth_dh_public(hdh, hpub, sizeof(hpub)), AUTH_OK);
		assert_int_equal(auth_dh_shared(hdh, crx.dhv, crx.dhvlen, hz, sizeof(hz)), AUTH_OK);
		in.skey = hz;
		in.skey_len = size;
	}
	assert_int_equal(auth_host_response(&host->host_key, &in, r1), AUTH_OK);
	rp = (struct auth_reply){
		.t_id = crx.t_id, .hash = crx.hash, .dhgroup = crx.dhgroup, .r1 = r1,
		.dhv = crx.dhgroup ? hpub : NULL, .dhvlen = (uint16_t)size,
	};
	if (bidir) {
		rp.cvalid = true;
		rp.c2 = c2;
		assert_int_equal(auth_random(c2, hl), AUTH_OK);
		assert_int_equal(auth_random_seqnum(&rp.seqnum), AUTH_OK);
	}
	n = auth_reply_build(&rp, msg, sizeof(msg));
	assert_true(n > 0);

	/* controller: Reply -> shared secret, check R1, Success1 (+R2) */
	assert_int_equal(auth_reply_parse(msg, (size_t)n, sel_hash, sel_group, &rrx), AUTH_OK);
	in = (struct auth_chap_input){
		.hash = sel_hash, .challenge = c1, .seqnum = ch.seqnum, .t_id = ch.t_id,
		.hostnqn = NQN_H, .subnqn = NQN_C,
	};
	if (group) {
		assert_int_equal(auth_dh_shared(cdh, rrx.dhv, rrx.dhvlen, cz, sizeof(cz)), AUTH_OK);
		assert_memory_equal(cz, hz, size);
		in.skey = cz;
		in.skey_len = size;
	}
	assert_int_equal(auth_host_response(&ctrl->host_key, &in, check), AUTH_OK);
	if (!auth_response_equal(check, rrx.r1, hl)) {
		n = auth_failure_build(AUTH_MSG_FAILURE1, ch.t_id, AUTH_FAILURE_FAILED,
				       msg, sizeof(msg));
		assert_int_equal(n, AUTH_FAILURE_LEN);
		result = 1;
		goto out;
	}
	s1 = (struct auth_success1){ .t_id = ch.t_id, .hash = sel_hash };
	if (rrx.cvalid) {
		in.challenge = rrx.c2;
		in.seqnum = rrx.seqnum;
		assert_int_equal(auth_ctrl_response(&ctrl->ctrl_key, &in, r2), AUTH_OK);
		s1.rvalid = true;
		s1.r2 = r2;
	}
	n = auth_success1_build(&s1, msg, sizeof(msg));
	assert_true(n > 0);

	/* host: Success1 -> check R2, Success2 */
	assert_int_equal(auth_success1_parse(msg, (size_t)n, crx.hash, bidir, &srx), AUTH_OK);
	if (bidir) {
		in = (struct auth_chap_input){
			.hash = crx.hash, .challenge = c2, .seqnum = rp.seqnum, .t_id = crx.t_id,
			.hostnqn = NQN_H, .subnqn = NQN_C, .skey = group ? hz : NULL,
			.skey_len = group ? size : 0,
		};
		assert_int_equal(auth_ctrl_response(&host->ctrl_key, &in, check), AUTH_OK);
		if (!auth_response_equal(check, srx.r2, hl)) {
			n = auth_failure_build(AUTH_MSG_FAILURE2, crx.t_id, AUTH_FAILURE_FAILED,
					       msg, sizeof(msg));
			assert_int_equal(n, AUTH_FAILURE_LEN);
			result = 2;
			goto out;
		}
		n = auth_success2_build(crx.t_id, msg, sizeof(msg));
		assert_int_equal(auth_success2_parse(msg, (size_t)n, &t_id), AUTH_OK);
		assert_int_equal(t_id, 0x0042);
	}
out:
	auth_dh_free(hdh);
	auth_dh_free(cdh);
	return result;
}

static void test_exchange(void **state)
{
	static const struct { uint8_t hash, group; bool bidir; } v[] = {
		{ AUTH_HASH_SHA256, AUTH_DHGROUP_NULL, true },
		{ AUTH_HASH_SHA384, AUTH_DHGROUP_2048, false },
		{ AUTH_HASH_SHA512, AUTH_DHGROUP_3072, true },
		{ AUTH_HASH_SHA256, AUTH_DHGROUP_8192, true },
	};
	struct side host, ctrl, wrong;

	assert_int_equal(auth_secret_generate(AUTH_HASH_SHA256, 0, NULL, NULL, &host.host_key),
			 AUTH_OK);
	assert_int_equal(auth_secret_generate(AUTH_HASH_NONE, 48, NULL, NULL, &host.ctrl_key),
			 AUTH_OK);
	ctrl = host;
	wrong = host;
	wrong.host_key.key[5] ^= 0x10;
	wrong.ctrl_key.key[7] ^= 0x01;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(exchange(&host, &ctrl, v[i].hash, v[i].group, v[i].bidir), 0);
		/* the controller does not know the host's real secret */
		struct side c2 = ctrl;

		c2.host_key = wrong.host_key;
		assert_int_equal(exchange(&host, &c2, v[i].hash, v[i].group, v[i].bidir), 1);
		/* the host does not accept a controller with another secret */
		c2 = ctrl;
		c2.ctrl_key = wrong.ctrl_key;
		assert_int_equal(exchange(&host, &c2, v[i].hash, v[i].group, v[i].bidir),
				 v[i].bidir ? 2 : 0);
	}
	auth_secret_wipe(&host.host_key);
	auth_secret_wipe(&host.ctrl_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_negotiate_hostile),
		cmocka_unit_test(test_negotiate_build_errors),
		cmocka_unit_test(test_negotiate_pick),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_challenge_hostile),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_reply_hostile),
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_failure),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_random_input),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_failure_of),
		cmocka_unit_test(test_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
