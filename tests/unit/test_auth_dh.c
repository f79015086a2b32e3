/*
 * Ephemeral Diffie-Hellman (src/auth/auth_dh.c): public values and shared
 * secrets of fixed private keys against values computed without OpenSSL,
 * random key pairs agreeing with each other in every group, and the
 * rejection of unusable peer values.
 *
 * [python] tests/unit/vectors/auth_vectors.py: Python's pow() with the RFC
 * 7919 primes rebuilt from the RFC's formula (and checked prime there);
 * SHA-256 of each value, padded big-endian to the group's size, keeps the
 * table short. The ffdhe2048 host key was chosen so that its public value
 * and the shared secret both start with a zero byte: the padding Linux
 * uses (mpi_write_to_sgl writes leading zeroes) is exercised, not assumed.
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

#include "auth/auth_dh.h"

/* [python] */
static const uint8_t ffdhe2048_p[256] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xad, 0xf8, 0x54, 0x58,
	0xa2, 0xbb, 0x4a, 0x9a, 0xaf, 0xdc, 0x56, 0x20, 0x27, 0x3d, 0x3c, 0xf1,
	0xd8, 0xb9, 0xc5, 0x83, 0xce, 0x2d, 0x36, 0x95, 0xa9, 0xe1, 0x36, 0x41,
	0x14, 0x64, 0x33, 0xfb, 0xcc, 0x93, 0x9d, 0xce, 0x24, 0x9b, 0x3e, 0xf9,
	0x7d, 0x2f, 0xe3, 0x63, 0x63, 0x0c, 0x75, 0xd8, 0xf6, 0x81, 0xb2, 0x02,
	0xae, 0xc4, 0x61, 0x7a, 0xd3, 0xdf, 0x1e, 0xd5, 0xd5, 0xfd, 0x65, 0x61,
	0x24, 0x33, 0xf5, 0x1f, 0x5f, 0x06, 0x6e, 0xd0, 0x85, 0x63, 0x65, 0x55,
	0x3d, 0xed, 0x1a, 0xf3, 0xb5, 0x57, 0x13, 0x5e, 0x7f, 0x57, 0xc9, 0x35,
	0x98, 0x4f, 0x0c, 0x70, 0xe0, 0xe6, 0x8b, 0x77, 0xe2, 0xa6, 0x89, 0xda,
	0xf3, 0xef, 0xe8, 0x72, 0x1d, 0xf1, 0x58, 0xa1, 0x36, 0xad, 0xe7, 0x35,
	0x30, 0xac, 0xca, 0x4f, 0x48, 0x3a, 0x79, 0x7a, 0xbc, 0x0a, 0xb1, 0x82,
	0xb3, 0x24, 0xfb, 0x61, 0xd1, 0x08, 0xa9, 0x4b, 0xb2, 0xc8, 0xe3, 0xfb,
	0xb9, 0x6a, 0xda, 0xb7, 0x60, 0xd7, 0xf4, 0x68, 0x1d, 0x4f, 0x42, 0xa3,
	0xde, 0x39, 0x4d, 0xf4, 0xae, 0x56, 0xed, 0xe7, 0x63, 0x72, 0xbb, 0x19,
	0x0b, 0x07, 0xa7, 0xc8, 0xee, 0x0a, 0x6d, 0x70, 0x9e, 0x02, 0xfc, 0xe1,
	0xcd, 0xf7, 0xe2, 0xec, 0xc0, 0x34, 0x04, 0xcd, 0x28, 0x34, 0x2f, 0x61,
	0x91, 0x72, 0xfe, 0x9c, 0xe9, 0x85, 0x83, 0xff, 0x8e, 0x4f, 0x12, 0x32,
	0xee, 0xf2, 0x81, 0x83, 0xc3, 0xfe, 0x3b, 0x1b, 0x4c, 0x6f, 0xad, 0x73,
	0x3b, 0xb5, 0xfc, 0xbc, 0x2e, 0xc2, 0x20, 0x05, 0xc5, 0x8e, 0xf1, 0x83,
	0x7d, 0x16, 0x83, 0xb2, 0xc6, 0xf3, 0x4a, 0x26, 0xc1, 0xb2, 0xef, 0xfa,
	0x88, 0x6b, 0x42, 0x38, 0x61, 0x28, 0x5c, 0x97, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff,
};

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

/* [python] x_h, x_c, SHA-256 of g^x_h, g^x_c and of the shared secret. */
static const struct {
	uint8_t group;
	const char *xh, *xc, *pub_h, *pub_c, *shared;
} kat[] = {
	{ 1, "0f9193d5ce6b3fb1ac5618cad800ebdfcb984227ef930032ec2dd400f9235b4e",
	  "616dd1228909d149e15c8fa1a0a18e0be8f6f55968abb017f3aaa48451d0e036",
	  "524a266b9747810bb52e51abd185f15dcd3e2c3a9d2b9234d773eeb7716f68da",
	  "83ae9bbbdb37a29e132509b2622aa2aada0a64fed83ff3109e2ed9e5c6d16f9c",
	  "2a34f323a9250785d8cc9e777da08051b4c40315249b06065f986719bb0b663f" },
	{ 2, "3277b0ed51451b1180cb24a6af4132f98814916a11a16af4e3fd521ee96c6f39",
	  "15c601b98f1be2def2dd2cf7fa339fa9c43965fe9db6a110d0380548520f692c",
	  "dc290b0451a1e0cd393d9aab794fbc6d615fdeea58047df8b7ada08ec58b2627",
	  "f194b7c4e677e1adee7065aaf98493747031f424afbc7da2563810b68d4a5d15",
	  "5c6a227140c4a1db83d1d5617962f7b011f9bd7f30e6ec699286edb1bae7d022" },
	{ 3, "6351fff070f17ca6086404248757f8abac63c15879ca32d807461d2e912a383e",
	  "0223b93fb45b07f55ae3c63bd90a164d6b6382e1e766ec3f5e8dec502846e5e5",
	  "5751a578be8db9e544b92c20cd1436955b5a8a7da9297eb8484f45026c17cd9d",
	  "ac5eb53d895bbd29bed31f07e0c197cf0cd4212b6be198f1bd8fbdd15ff3c009",
	  "6d4902b6e23aa3b69bc23f89260fa919b42d0a749b569e83939d08f82f4d51af" },
	{ 4, "fdae8df4156724c2d5748654ae059e3c4b1db4433f6787782fce0aa0516a8918",
	  "8648441aa3cd2fae18e00136ed6e9d1a2ab7a5c489b861042e5639eb3b6575d4",
	  "a056a929064b2f7597d0f5b3b0c722cec334da93dc45c8a7906a3192a98d8c44",
	  "e62fa2cf7c79324c6172c453098df3e80ee6dc5c14b3e213d4b73ff84bae50ee",
	  "be570e4dcc5afbd5a7cef64459cb93e3f66ae57f4aa58f71a4e10b74becfdc62" },
	{ 5, "d6f572062adbe4786064870424f87b9567d01e810e9b2f4c9557b8b644bc1420",
	  "e18c49f611a65feeb891eed3071f321f172b8b249f00af3e7a3514a7709bcf7e",
	  "4008108cc977f530b0b5d9d527b2f8e35d071bc1a8624b4c9bf28fe41e467401",
	  "f19d2b41e51eef7aa1454481f4ce6121307b97a5f8d225c68039539478ec9d42",
	  "e56a9804846ba3f4e44b4d8700913ec0b086c9c1fddd52dcd4889694e560a296" },
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

static void check_sha256(const uint8_t *data, size_t len, const char *want_hex)
{
	uint8_t md[32], want[32];
	unsigned int md_len = 0;

	unhex(want_hex, want, sizeof(want));
	assert_int_equal(EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL), 1);
	assert_int_equal(md_len, 32);
	assert_memory_equal(md, want, sizeof(md));
}

static const uint8_t all_groups[] = {
	AUTH_DHGROUP_2048, AUTH_DHGROUP_3072, AUTH_DHGROUP_4096,
	AUTH_DHGROUP_6144, AUTH_DHGROUP_8192,
};

static void test_sizes(void **state)
{
	static const size_t want[] = { 256, 384, 512, 768, 1024 };

	for (size_t i = 0; i < sizeof(all_groups); i++)
		assert_int_equal(auth_dhgroup_len(all_groups[i]), want[i]);
	assert_int_equal(auth_dhgroup_len(AUTH_DHGROUP_NULL), 0);
	assert_int_equal(auth_dhgroup_len(6), 0);
}

static void test_known_answers(void **state)
{
	static uint8_t pub_h[AUTH_DH_MAX_LEN], pub_c[AUTH_DH_MAX_LEN];
	static uint8_t z_h[AUTH_DH_MAX_LEN], z_c[AUTH_DH_MAX_LEN];

	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		size_t size = auth_dhgroup_len(kat[i].group);
		struct auth_dh *h, *c;
		uint8_t xh[32], xc[32];

		unhex(kat[i].xh, xh, sizeof(xh));
		unhex(kat[i].xc, xc, sizeof(xc));
		assert_int_equal(auth_dh_new_private(kat[i].group, xh, sizeof(xh), &h), AUTH_OK);
		assert_int_equal(auth_dh_new_private(kat[i].group, xc, sizeof(xc), &c), AUTH_OK);
		assert_int_equal(auth_dh_group(h), kat[i].group);

		assert_int_equal(auth_dh_public(h, pub_h, sizeof(pub_h)), AUTH_OK);
		assert_int_equal(auth_dh_public(c, pub_c, sizeof(pub_c)), AUTH_OK);
		check_sha256(pub_h, size, kat[i].pub_h);
		check_sha256(pub_c, size, kat[i].pub_c);

		/* both sides get the same secret, the one Python computed */
		assert_int_equal(auth_dh_shared(h, pub_c, size, z_h, sizeof(z_h)), AUTH_OK);
		assert_int_equal(auth_dh_shared(c, pub_h, size, z_c, sizeof(z_c)), AUTH_OK);
		assert_memory_equal(z_h, z_c, size);
		check_sha256(z_h, size, kat[i].shared);

		if (kat[i].group == AUTH_DHGROUP_2048) {
			/* padding: leading zero bytes kept in both values */
			assert_int_equal(pub_h[0], 0);
			assert_int_equal(z_h[0], 0);
			assert_memory_equal(z_h, ffdhe2048_shared, size);
			/* a peer that leaves the zero byte out (SPDK sends
			 * BN_bn2bin's unpadded bytes) gives the same secret */
			memset(z_c, 0xA5, size);
			assert_int_equal(auth_dh_shared(c, pub_h + 1, size - 1, z_c, size), AUTH_OK);
			assert_memory_equal(z_c, ffdhe2048_shared, size);
		}
		auth_dh_free(h);
		auth_dh_free(c);
	}
}

static void test_roundtrip_random(void **state)
{
	static uint8_t pa[AUTH_DH_MAX_LEN], pb[AUTH_DH_MAX_LEN];
	static uint8_t za[AUTH_DH_MAX_LEN], zb[AUTH_DH_MAX_LEN];

	for (size_t i = 0; i < sizeof(all_groups); i++) {
		uint8_t g = all_groups[i];
		size_t size = auth_dhgroup_len(g);
		struct auth_dh *a, *b;

		assert_int_equal(auth_dh_new(g, &a), AUTH_OK);
		assert_int_equal(auth_dh_new(g, &b), AUTH_OK);
		assert_int_equal(auth_dh_public(a, pa, size), AUTH_OK);
		assert_int_equal(auth_dh_public(b, pb, size), AUTH_OK);
		assert_memory_not_equal(pa, pb, size);
		assert_int_equal(auth_dh_check_public(g, pa, size), AUTH_OK);
		assert_int_equal(auth_dh_shared(a, pb, size, za, size), AUTH_OK);
		assert_int_equal(auth_dh_shared(b, pa, size, zb, size), AUTH_OK);
		assert_memory_equal(za, zb, size);
		/* not the trivial secrets */
		assert_memory_not_equal(za, pa, size);
		auth_dh_free(a);
		auth_dh_free(b);
	}
}

/* big-endian v + delta for a 256-byte number (delta small, no overflow) */
static void add_small(const uint8_t *v, int delta, uint8_t *out)
{
	int carry = delta;

	memcpy(out, v, 256);
	for (int i = 255; i >= 0 && carry; i--) {
		int x = out[i] + carry;

		carry = 0;
		if (x < 0) {
			x += 256;
			carry = -1;
		} else if (x > 255) {
			x -= 256;
			carry = 1;
		}
		out[i] = (uint8_t)x;
	}
}

static void expect_public(uint8_t group, const uint8_t *v, size_t len, int err)
{
	static uint8_t z[AUTH_DH_MAX_LEN], zero[AUTH_DH_MAX_LEN];
	struct auth_dh *d;

	assert_int_equal(auth_dh_check_public(group, v, len), err);
	assert_int_equal(auth_dh_new(group, &d), AUTH_OK);
	memset(z, 0xA5, sizeof(z));
	assert_int_equal(auth_dh_shared(d, v, len, z, sizeof(z)), err);
	if (err)	/* no partial secret left behind */
		assert_memory_equal(z, zero, auth_dhgroup_len(group));
	auth_dh_free(d);
}

static void test_bad_public(void **state)
{
	static uint8_t v[AUTH_DH_MAX_LEN + 1];
	static const uint8_t one = 1, two = 2, zero = 0;

	/* ffdhe2048: 1 < y < p - 1, and y^q = 1 */
	expect_public(AUTH_DHGROUP_2048, &zero, 1, AUTH_ERR_DH_PUBLIC);
	expect_public(AUTH_DHGROUP_2048, &one, 1, AUTH_ERR_DH_PUBLIC);
	expect_public(AUTH_DHGROUP_2048, &two, 1, AUTH_OK);		/* g itself */
	memset(v, 0, 256);
	v[255] = 1;
	expect_public(AUTH_DHGROUP_2048, v, 256, AUTH_ERR_DH_PUBLIC);	/* 1, padded */
	memset(v, 0, 256);
	expect_public(AUTH_DHGROUP_2048, v, 256, AUTH_ERR_DH_PUBLIC);	/* 0, padded */
	/* p - 2 is in range but (p-2)^q = p - 1: [python] not in the subgroup */
	add_small(ffdhe2048_p, -2, v);
	expect_public(AUTH_DHGROUP_2048, v, 256, AUTH_ERR_DH_PUBLIC);
	add_small(ffdhe2048_p, -1, v);
	expect_public(AUTH_DHGROUP_2048, v, 256, AUTH_ERR_DH_PUBLIC);	/* p - 1 */
	expect_public(AUTH_DHGROUP_2048, ffdhe2048_p, 256, AUTH_ERR_DH_PUBLIC);	/* p */
	add_small(ffdhe2048_p, 1, v);
	expect_public(AUTH_DHGROUP_2048, v, 256, AUTH_ERR_DH_PUBLIC);	/* p + 1 */

	/* lengths: empty, and longer than the group even with leading zeroes */
	expect_public(AUTH_DHGROUP_2048, &two, 0, AUTH_ERR_DH_PUBLIC);
	expect_public(AUTH_DHGROUP_2048, NULL, 256, AUTH_ERR_DH_PUBLIC);
	memset(v, 0, 257);
	v[256] = 2;
	expect_public(AUTH_DHGROUP_2048, v, 257, AUTH_ERR_DH_PUBLIC);

	/* every group: all ones (above p), one byte too long, 0, 1, 4 (= g^2,
	 * in the subgroup) and a small number outside it ([python]: y^q =
	 * p - 1 for 7 in ffdhe2048, 4096, 6144 and 5 in ffdhe3072, 6144,
	 * 8192) */
	static const uint8_t outside[] = { 7, 5, 7, 5, 5 };

	for (size_t i = 0; i < sizeof(all_groups); i++) {
		uint8_t g = all_groups[i];
		size_t size = auth_dhgroup_len(g);

		memset(v, 0xFF, size);
		expect_public(g, v, size, AUTH_ERR_DH_PUBLIC);
		memset(v, 0, size + 1);
		v[size] = 4;
		expect_public(g, v, size + 1, AUTH_ERR_DH_PUBLIC);	/* too long */
		expect_public(g, v, size, AUTH_ERR_DH_PUBLIC);		/* 0 */
		v[size - 1] = 1;
		expect_public(g, v, size, AUTH_ERR_DH_PUBLIC);		/* 1 */
		v[size - 1] = 4;
		expect_public(g, v, size, AUTH_OK);			/* 4 */
		expect_public(g, v + size - 1, 1, AUTH_OK);		/* 4, unpadded */
		v[size - 1] = outside[i];
		expect_public(g, v, size, AUTH_ERR_DH_PUBLIC);
	}
}

static void test_errors(void **state)
{
	static const uint8_t groups_bad[] = { AUTH_DHGROUP_NULL, 6, 0xFF };
	static uint8_t buf[AUTH_DH_MAX_LEN];
	static const uint8_t two = 2, one = 1;
	struct auth_dh *d = (struct auth_dh *)&d;	/* not NULL */
	uint8_t x[257];

	for (size_t i = 0; i < sizeof(groups_bad); i++) {
		assert_int_equal(auth_dh_new(groups_bad[i], &d), AUTH_ERR_DHGROUP);
		assert_null(d);
		assert_int_equal(auth_dh_new_private(groups_bad[i], &two, 1, &d), AUTH_ERR_DHGROUP);
		assert_int_equal(auth_dh_check_public(groups_bad[i], &two, 1), AUTH_ERR_DHGROUP);
	}
	assert_int_equal(auth_dh_new(AUTH_DHGROUP_2048, NULL), AUTH_ERR_INVAL);

	/* private keys outside 1 < x < p - 1, or longer than p */
	assert_int_equal(auth_dh_new_private(AUTH_DHGROUP_2048, &one, 1, &d), AUTH_ERR_INVAL);
	assert_null(d);
	assert_int_equal(auth_dh_new_private(AUTH_DHGROUP_2048, ffdhe2048_p, 256, &d),
			 AUTH_ERR_INVAL);
	memset(x, 0, sizeof(x));
	x[256] = 3;
	assert_int_equal(auth_dh_new_private(AUTH_DHGROUP_2048, x, 257, &d), AUTH_ERR_INVAL);
	assert_int_equal(auth_dh_new_private(AUTH_DHGROUP_2048, x, 0, &d), AUTH_ERR_INVAL);

	/* output buffers */
	assert_int_equal(auth_dh_new(AUTH_DHGROUP_3072, &d), AUTH_OK);
	assert_int_equal(auth_dh_public(d, buf, 383), AUTH_ERR_NOSPACE);
	assert_int_equal(auth_dh_public(d, buf, sizeof(buf)), AUTH_OK);
	assert_int_equal(auth_dh_shared(d, buf, 384, buf, 383), AUTH_ERR_NOSPACE);
	assert_int_equal(auth_dh_public(NULL, buf, sizeof(buf)), AUTH_ERR_INVAL);
	auth_dh_free(d);
	auth_dh_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_bad_public),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
