/*
 * DH-HMAC-CHAP computations (src/auth/auth_chap.c): the augmented challenge
 * and the responses R1 and R2, against values computed without src/auth.
 *
 * Where each expected value comes from:
 *  [python]      tests/unit/vectors/auth_vectors.py: Python's hashlib and
 *                hmac, the byte layouts of Linux's nvme_auth_augmented_
 *                challenge, nvme_auth_dhchap_setup_host_response /
 *                _setup_ctrl_response and nvmet_auth_host_hash /
 *                _ctrl_hash written out in Python.
 *  [linux-kunit] Linux drivers/nvme/common/tests/auth_kunit.c: the
 *                generated PSK HMAC(KS, C1 || C2) for SHA-256/384/512.
 * The shared secrets of the ffdhe4096 and ffdhe8192 cases are made here
 * with src/auth/auth_dh.c from [python]'s fixed private keys;
 * test_auth_dh.c checks those against [python] (their SHA-256 is checked
 * again below).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "auth/auth_chap.h"
#include "auth/auth_dh.h"

#define NQN_H "nqn.2014-08.org.nvmexpress:uuid:2cd2c43b-a90a-45c1-a8cd-86b33ab273b5"
#define NQN_C "nqn.2026-11.org.example:disk"

/* [python] */
static const uint8_t ffdhe2048_shared[256] = {
	0x00, 0xf3, 0x39, 0x75, 0x7e, 0x92, 0xd6, 0x3c, 0xad, 0x61, 0xc8, 0x09,
	0x65, 0x46, 0x02, 0x02, 0xd5, 0x40, 0x36, 0xb7, 0xf2, 0xcb, 0x4c, 0x5b,
	0xf5, 0xa3, 0x96, 0xc9, 0x92, 0xf5, 0x48, 0xe5, 0x73, 0xde, 0x86, 0x90,
	0xfc, 0x43, 0xbf, 0x06, 0xc7, 0xb5, 0x73, 0x81, 0xe8, 0x31, 0x5e, 0xea,
	0x8f, 0x7a, 0x45, 0xad, 0x11, 0x63, 0xe3, 0xf9, 0x99, 0x38, 0x36, 0x6c,
	0xa3, 0x52, 0xa2, 0x84, 0x52, 0x36, 0xdc, 0xe5, 0xbf, 0xbe, 0x43, 0x90,
	0xaf, 0xc8, 0x09, 0xe2, 0xd9, 0xe3, 0xa1, 0xc6, 0x8d, 0xb0, 0xf8, 0xf0,
	0x17, 0x35, 0x80, 0x94, 0xc8, 0x2e, 0x79, 0x0a, 0x37, 0xb6, 0x51, 0x39,
	0xb9, 0xe3, 0x14, 0xd4, 0x67, 0x41, 0x7f, 0x0b, 0x2d, 0x4a, 0xf5, 0x78,
	0xda, 0xd8, 0x5b, 0x16, 0xda, 0x7f, 0xb8, 0xc5, 0x3c, 0x20, 0x99, 0x0b,
	0xd7, 0x9d, 0x13, 0xda, 0xb9, 0x8e, 0x0b, 0xa8, 0x6e, 0x67, 0x4a, 0x91,
	0x43, 0xba, 0xe9, 0x1b, 0x33, 0x8d, 0xf6, 0xbb, 0xb3, 0x38, 0x04, 0xaf,
	0xa4, 0xaf, 0x87, 0xd2, 0x40, 0x04, 0x34, 0xcd, 0x86, 0x0a, 0x60, 0xd8,
	0x49, 0xe7, 0xf3, 0x25, 0xa1, 0xf1, 0xdc, 0x44, 0x65, 0xe7, 0x30, 0x6d,
	0x93, 0xde, 0xcd, 0xa1, 0x54, 0x82, 0x31, 0x36, 0x22, 0xc3, 0x9d, 0x51,
	0x3e, 0xe9, 0x93, 0xbd, 0x0b, 0xba, 0x2c, 0x22, 0x25, 0x3d, 0x6f, 0x37,
	0xcf, 0x96, 0x6c, 0x2e, 0xa3, 0x13, 0xe7, 0x0c, 0xef, 0x18, 0x4c, 0x1c,
	0x43, 0x0c, 0x95, 0xc3, 0x40, 0x51, 0x37, 0x25, 0x21, 0xbf, 0xe9, 0x45,
	0xfb, 0xea, 0xe5, 0xcb, 0x83, 0xa0, 0x62, 0xaf, 0xe7, 0xc7, 0x04, 0x07,
	0x9b, 0x6a, 0xfc, 0xf7, 0x19, 0xaa, 0xfd, 0xa9, 0x83, 0x88, 0x4e, 0x61,
	0xe9, 0x71, 0x06, 0x1a, 0xd1, 0x9e, 0x9f, 0x9c, 0x9a, 0x57, 0x34, 0xa1,
	0xfa, 0x6a, 0xe5, 0xe8,
};

/* [python] x_h, x_c of ffdhe4096 and ffdhe8192, SHA-256 of the shared secret */
static const struct {
	uint8_t group;
	const char *xh, *xc, *shared;
} dh_keys[] = {
	{ 3, "6351fff070f17ca6086404248757f8abac63c15879ca32d807461d2e912a383e",
	  "0223b93fb45b07f55ae3c63bd90a164d6b6382e1e766ec3f5e8dec502846e5e5",
	  "6d4902b6e23aa3b69bc23f89260fa919b42d0a749b569e83939d08f82f4d51af" },
	{ 5, "d6f572062adbe4786064870424f87b9567d01e810e9b2f4c9557b8b644bc1420",
	  "e18c49f611a65feeb891eed3071f321f172b8b249f00af3e7a3514a7709bcf7e",
	  "e56a9804846ba3f4e44b4d8700913ec0b086c9c1fddd52dcd4889694e560a296" },
};

/* [python] Ca = HMAC-H(H(ffdhe2048_shared), C) with C = 00 01 02 ... */
static const struct {
	uint8_t hash;
	const char *ca;
} aug[] = {
	{ 1, "3ec417cbc49278e3c9e30f1b6d0befbfa2d4c3861dcb5d92bfc7504901f94c9b" },
	{ 2, "a0257bcd4d8efba0184dddd7232aa432f9851938b8318150c632797d14568940"
	  "6b7d78adb61db404d815fa8c514ab749" },
	{ 3, "7faf10fa5e54752a3c790fb930279405ae0978423de3b46080ab8503c009be0b"
	  "7d3d12c79885a66823f22dcf33a1d81b531da43a2cb32bcefacf8cce23bfb50c" },
};

/* [python] R1 and R2: host key 00 01 02 ..., controller key 80 81 82 ...,
 * C1 = 40 41 ..., C2 = c0 c1 ... (hl bytes); NQN_H, NQN_C */
static const struct {
	uint8_t hash, group;
	const char *host_key, *ctrl_key;
	uint32_t s1, s2;
	uint16_t t_id;
	uint8_t sc_c;
	const char *r1, *r2;
} resp[] = {
	{ 1, 0, "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
	  "DHHC-1:00:gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp9vmVbU:",
	  0x01020304, 0x0a0b0c0d, 0x1234, 0,
	  "a8672e2ba332718fe7c94d621178322bb4568579fd48e17cecad4536b04e6c3a",
	  "80f2ede6e0eb85928386c404c6f0c5d6d1f496cb0807ad7560275756efd23121" },
	{ 2, 1, "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
	  "DHHC-1:02:gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp+goaKjpKWmp6ipqqusra6vkk6Jzw==:",
	  0xdeadbeef, 0x00000001, 0x0001, 0,
	  "4abd2513305fd52a7ed0102f3b6d6532a9a171b60b4ebfce7dd4fa6f70b0e500"
	  "0c7fb4f2eec351907e3294c5ff3f699a",
	  "d4d62ce8abc3a38660d27f534f9b086683a19c533d10c54d7f5fd1d8790016b7"
	  "4845bc42031ef931f8a5449023187f47" },
	{ 3, 3, "DHHC-1:03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
	  "KissLS4vMDEyMzQ1Njc4OTo7PD0+P4zODhA=:",
	  "DHHC-1:00:gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp+goaKjpKWmp6ipqqusra6vkk6Jzw==:",
	  0x7fffffff, 0xfffffffe, 0xffff, 2,
	  "5eca2c8997b4df8153e1ea75f443fe588f141871a0d8e33142375a3f887cdb10"
	  "ba4f93d8202f006d0729aa37d0f33be639fee6b045f5194b336d088f34720f80",
	  "1297ee4810f1af309c2e801e41e3273cbd34375ffb6ad82e382d61a317b40ef4"
	  "f2200ff8591d13c71b56d63d89bf167649ca753353bd4a6d00445a637ff79b26" },
	{ 1, 5, "DHHC-1:03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
	  "KissLS4vMDEyMzQ1Njc4OTo7PD0+P4zODhA=:",
	  "DHHC-1:01:gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5ydnp9vmVbU:",
	  0x00000100, 0x80000000, 0x0100, 0,
	  "b3a3acaaf38e6f4c9e9bb52b69e94e2bdd9b7db56d0a5b4a504dd521f39c7673",
	  "77f074683344449884d7a0e217ae504a65a1f7507dd491f511f1f5fae0eed515" },
};

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

static void fill(uint8_t *buf, size_t len, uint8_t start)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(start + i);
}

/* The shared secret of a group for the [python] keys, into z. */
static size_t shared_of(uint8_t group, uint8_t *z)
{
	static uint8_t pub[AUTH_DH_MAX_LEN];
	size_t size = auth_dhgroup_len(group);

	if (group == AUTH_DHGROUP_2048) {
		memcpy(z, ffdhe2048_shared, sizeof(ffdhe2048_shared));
		return sizeof(ffdhe2048_shared);
	}
	for (size_t i = 0; i < sizeof(dh_keys) / sizeof(dh_keys[0]); i++) {
		struct auth_dh *h, *c;
		uint8_t xh[32], xc[32], md[32], want[32];
		unsigned int md_len = 0;

		if (dh_keys[i].group != group)
			continue;
		unhex(dh_keys[i].xh, xh, 32);
		unhex(dh_keys[i].xc, xc, 32);
		assert_int_equal(auth_dh_new_private(group, xh, 32, &h), AUTH_OK);
		assert_int_equal(auth_dh_new_private(group, xc, 32, &c), AUTH_OK);
		assert_int_equal(auth_dh_public(c, pub, sizeof(pub)), AUTH_OK);
		assert_int_equal(auth_dh_shared(h, pub, size, z, size), AUTH_OK);
		assert_int_equal(EVP_Digest(z, size, md, &md_len, EVP_sha256(), NULL), 1);
		unhex(dh_keys[i].shared, want, 32);
		assert_memory_equal(md, want, 32);
		auth_dh_free(h);
		auth_dh_free(c);
		return size;
	}
	fail_msg("no keys for group %u", group);
	return 0;
}

static void test_augmented_challenge(void **state)
{
	for (size_t i = 0; i < sizeof(aug) / sizeof(aug[0]); i++) {
		size_t hl = auth_hash_len(aug[i].hash);
		uint8_t c[64], ca[64], want[64];

		fill(c, hl, 0);
		unhex(aug[i].ca, want, hl);
		assert_int_equal(auth_augmented_challenge(aug[i].hash, ffdhe2048_shared,
							  sizeof(ffdhe2048_shared), c, ca), AUTH_OK);
		assert_memory_equal(ca, want, hl);
		/* the padding byte is part of what is hashed: without it, the
		 * result differs */
		assert_int_equal(ffdhe2048_shared[0], 0);
		assert_int_equal(auth_augmented_challenge(aug[i].hash, ffdhe2048_shared + 1,
							  sizeof(ffdhe2048_shared) - 1, c, ca),
				 AUTH_OK);
		assert_memory_not_equal(ca, want, hl);
	}
}

static void test_responses(void **state)
{
	static uint8_t z[AUTH_DH_MAX_LEN];

	for (size_t i = 0; i < sizeof(resp) / sizeof(resp[0]); i++) {
		size_t hl = auth_hash_len(resp[i].hash), zlen = 0;
		struct auth_secret hk, ck;
		uint8_t c1[64], c2[64], r[64], want1[64], want2[64];
		struct auth_chap_input in = {
			.hash = resp[i].hash, .t_id = resp[i].t_id, .sc_c = resp[i].sc_c,
			.hostnqn = NQN_H, .subnqn = NQN_C,
		};

		if (resp[i].group != AUTH_DHGROUP_NULL)
			zlen = shared_of(resp[i].group, z);
		in.skey = zlen ? z : NULL;
		in.skey_len = zlen;
		fill(c1, hl, 0x40);
		fill(c2, hl, 0xc0);
		unhex(resp[i].r1, want1, hl);
		unhex(resp[i].r2, want2, hl);
		assert_int_equal(auth_secret_parse(resp[i].host_key, &hk), AUTH_OK);
		assert_int_equal(auth_secret_parse(resp[i].ctrl_key, &ck), AUTH_OK);

		in.challenge = c1;
		in.seqnum = resp[i].s1;
		assert_int_equal(auth_host_response(&hk, &in, r), AUTH_OK);
		assert_memory_equal(r, want1, hl);
		assert_true(auth_response_equal(r, want1, hl));

		in.challenge = c2;
		in.seqnum = resp[i].s2;
		assert_int_equal(auth_ctrl_response(&ck, &in, r), AUTH_OK);
		assert_memory_equal(r, want2, hl);

		/* each field counts: a different T_ID, SC_C, sequence number,
		 * NQN, challenge, secret or shared secret gives another R2 */
		in.t_id ^= 1;
		assert_int_equal(auth_ctrl_response(&ck, &in, r), AUTH_OK);
		assert_memory_not_equal(r, want2, hl);
		in.t_id ^= 1;
		in.sc_c ^= 1;
		assert_int_equal(auth_ctrl_response(&ck, &in, r), AUTH_OK);
		assert_memory_not_equal(r, want2, hl);
		in.sc_c ^= 1;
		in.seqnum ^= 0x100;
		assert_int_equal(auth_ctrl_response(&ck, &in, r), AUTH_OK);
		assert_memory_not_equal(r, want2, hl);
		in.seqnum ^= 0x100;
		in.hostnqn = NQN_C;
		assert_int_equal(auth_ctrl_response(&ck, &in, r), AUTH_OK);
		assert_memory_not_equal(r, want2, hl);
		in.hostnqn = NQN_H;
		c2[hl - 1] ^= 1;
		assert_int_equal(auth_ctrl_response(&ck, &in, r), AUTH_OK);
		assert_memory_not_equal(r, want2, hl);
		c2[hl - 1] ^= 1;
		ck.key[0] ^= 1;
		assert_int_equal(auth_ctrl_response(&ck, &in, r), AUTH_OK);
		assert_memory_not_equal(r, want2, hl);
		ck.key[0] ^= 1;
		if (zlen) {
			z[zlen - 1] ^= 1;
			assert_int_equal(auth_ctrl_response(&ck, &in, r), AUTH_OK);
			assert_memory_not_equal(r, want2, hl);
			z[zlen - 1] ^= 1;
		}
		/* and the role: R1's formula with the controller's inputs */
		assert_int_equal(auth_host_response(&ck, &in, r), AUTH_OK);
		assert_memory_not_equal(r, want2, hl);
		assert_int_equal(auth_ctrl_response(&ck, &in, r), AUTH_OK);
		assert_memory_equal(r, want2, hl);

		auth_secret_wipe(&hk);
		auth_secret_wipe(&ck);
	}
}

/* The low-level pieces give the same R1: transform, augment, HMAC. */
static void test_response_pieces(void **state)
{
	static uint8_t z[AUTH_DH_MAX_LEN];
	size_t i = 1, hl = auth_hash_len(resp[1].hash), klen = 0;	/* SHA-384, ffdhe2048 */
	uint8_t key[AUTH_SECRET_MAX_LEN], c1[64], ca[64], r[64], want[64];
	size_t zlen = shared_of(resp[i].group, z);
	struct auth_secret hk;

	fill(c1, hl, 0x40);
	unhex(resp[i].r1, want, hl);
	assert_int_equal(auth_secret_parse(resp[i].host_key, &hk), AUTH_OK);
	assert_int_equal(auth_secret_transform(&hk, NQN_H, key, &klen), AUTH_OK);
	assert_int_equal(auth_augmented_challenge(resp[i].hash, z, zlen, c1, ca), AUTH_OK);
	assert_int_equal(auth_response(AUTH_ROLE_HOST, resp[i].hash, key, klen, ca, resp[i].s1,
				       resp[i].t_id, resp[i].sc_c, NQN_H, NQN_C, r), AUTH_OK);
	assert_memory_equal(r, want, hl);
	/* without the augmentation (as if the NULL group) it differs */
	assert_int_equal(auth_response(AUTH_ROLE_HOST, resp[i].hash, key, klen, c1, resp[i].s1,
				       resp[i].t_id, resp[i].sc_c, NQN_H, NQN_C, r), AUTH_OK);
	assert_memory_not_equal(r, want, hl);
	auth_secret_wipe(&hk);
}

static void test_generated_psk(void **state)
{
	/* [linux-kunit] skey[i] = 'A' + i (hash length), c1[i] = i,
	 * c2[i] = 0xff - i */
	static const struct { uint8_t hash; const char *psk; } v[] = {
		{ AUTH_HASH_SHA256,
		  "1733c59fa7f48fcf37f5f26fc4ff0268ad4f78e030f4f3b0bfd1d47e7bb1447a" },
		{ AUTH_HASH_SHA384,
		  "f14b2dd3234c459694d3bc63f8968bd6b37c2c6de849e22e118749001ce4bbe8"
		  "640b9e3a748cb11ce4b1d71d359cce39" },
		{ AUTH_HASH_SHA512,
		  "9c9f089a618b47d2d75f4b6c28070424487b445dd96e70c4c09b55e8b6000152"
		  "a3363c3454043f38f0b85036ded40655350aa87b8b6a282b5c1acae16233dd5b" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t hl = auth_hash_len(v[i].hash);
		uint8_t skey[64], c1[64], c2[64], psk[64], want[64];

		for (size_t k = 0; k < 64; k++) {
			skey[k] = (uint8_t)('A' + k);
			c1[k] = (uint8_t)k;
			c2[k] = (uint8_t)(0xff - k);
		}
		unhex(v[i].psk, want, hl);
		assert_int_equal(auth_generated_psk(v[i].hash, skey, hl, c1, c2, psk), AUTH_OK);
		assert_memory_equal(psk, want, hl);
	}
}

static void test_errors(void **state)
{
	struct auth_secret k;
	uint8_t c[64] = {0}, r[64], key[32] = {1};
	char nqn[NVMF_NQN_MAX_LEN + 2];
	struct auth_chap_input in = {
		.hash = AUTH_HASH_SHA256, .challenge = c, .seqnum = 1,
		.hostnqn = NQN_H, .subnqn = NQN_C,
	};

	assert_int_equal(auth_secret_parse(resp[0].host_key, &k), AUTH_OK);
	assert_int_equal(auth_host_response(&k, &in, r), AUTH_OK);

	memset(nqn, 'q', sizeof(nqn) - 1);
	nqn[sizeof(nqn) - 1] = '\0';		/* 224 bytes */
	in.subnqn = nqn;
	assert_int_equal(auth_host_response(&k, &in, r), AUTH_ERR_NQN);
	in.subnqn = "";
	assert_int_equal(auth_host_response(&k, &in, r), AUTH_ERR_NQN);
	in.subnqn = NQN_C;
	in.hostnqn = NULL;
	assert_int_equal(auth_host_response(&k, &in, r), AUTH_ERR_NQN);
	in.hostnqn = NQN_H;
	in.hash = 0;
	assert_int_equal(auth_host_response(&k, &in, r), AUTH_ERR_INVAL);
	in.hash = 4;
	assert_int_equal(auth_host_response(&k, &in, r), AUTH_ERR_INVAL);
	in.hash = AUTH_HASH_SHA256;
	in.challenge = NULL;
	assert_int_equal(auth_host_response(&k, &in, r), AUTH_ERR_INVAL);
	in.challenge = c;
	assert_int_equal(auth_host_response(NULL, &in, r), AUTH_ERR_INVAL);
	assert_int_equal(auth_host_response(&k, NULL, r), AUTH_ERR_INVAL);
	k.len = 40;
	assert_int_equal(auth_host_response(&k, &in, r), AUTH_ERR_INVAL);

	assert_int_equal(auth_response(2, AUTH_HASH_SHA256, key, sizeof(key), c, 1, 1, 0,
				       NQN_H, NQN_C, r), AUTH_ERR_INVAL);
	assert_int_equal(auth_response(AUTH_ROLE_HOST, AUTH_HASH_SHA256, key, 0, c, 1, 1, 0,
				       NQN_H, NQN_C, r), AUTH_ERR_INVAL);
	assert_int_equal(auth_augmented_challenge(AUTH_HASH_SHA256, key, 0, c, r), AUTH_ERR_INVAL);
	assert_int_equal(auth_augmented_challenge(9, key, sizeof(key), c, r), AUTH_ERR_INVAL);
	assert_int_equal(auth_generated_psk(AUTH_HASH_NONE, key, sizeof(key), c, c, r),
			 AUTH_ERR_INVAL);

	assert_false(auth_response_equal(c, key, 32));
	assert_true(auth_response_equal(c, c, 32));
	assert_false(auth_response_equal(NULL, c, 32));
	auth_secret_wipe(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_augmented_challenge),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_response_pieces),
		cmocka_unit_test(test_generated_psk),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
