/*
 * DH-HMAC-CHAP secrets (src/auth/auth_secret.c): the DHHC-1 text, keys made
 * from a hex secret as nvme-cli makes them, and the transformed secret,
 * checked against values from other implementations.
 *
 * Where each expected value comes from:
 *  [nvme-cli]  nvme-cli 2.3 (Debian 12), 2.13 (Debian 13) and 2.16 (sid),
 *              run on the development machine; the three printed the same:
 *              `gen-dhchap-key --secret=HEX [--key-length=N] --hmac=hh
 *              [--nqn=NQN]` and `check-dhchap-key --key=K` (the CRC it
 *              reports, and what it refuses). tests/unit/vectors/
 *              auth_nvme_cli.sh repeats those runs.
 *  [python]    tests/unit/vectors/auth_vectors.py: Python's hmac, base64
 *              and zlib.crc32, nothing of src/auth or OpenSSL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth/auth_secret.h"
#include "keyfmt/keyfmt.h"

#define NQN_H "nqn.2014-08.org.nvmexpress:uuid:2cd2c43b-a90a-45c1-a8cd-86b33ab273b5"
#define NQN_C "nqn.2026-11.org.example:disk"

#define HEX32 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HEX48 HEX32 "202122232425262728292a2b2c2d2e2f"
#define HEX64 HEX48 "303132333435363738393a3b3c3d3e3f"

/* [nvme-cli] gen-dhchap-key --secret=HEXnn (--key-length=nn) --hmac=0 */
#define KEY00_32 "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define KEY00_48 "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp" \
		 "KissLS4vcSEgBQ==:"
#define KEY00_64 "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp" \
		 "KissLS4vMDEyMzQ1Njc4OTo7PD0+P4zODhA=:"
/* [nvme-cli] gen-dhchap-key --secret=HEXnn --hmac=hh --nqn=NQN_H */
#define KEY01 "DHHC-1:01:VJOOWUW4nLeZgshDDUaQQxaGjhwVFmVsJTYyuRKzlSMCMgIH:"
#define KEY02 "DHHC-1:02:KsDnCfllxWVfTQh1H0vcSeqCjR2eAaeedbVYrkFuV3hgAIFEgIn+bih/" \
	      "Tcl40VKvmdra3w==:"
#define KEY03 "DHHC-1:03:xW1eIfqsB9+NoQfoI5jLhiWQ7rG/TFInPnhmZfXjO3O0PjXgaZzna+Uy" \
	      "7bhuHtJEf9u54mlv5bQmHe5zv9bIsJh6un0=:"
/* [python] the same counting keys with hh 01/02/03 (no transformation in
 * the text): what the transform tests start from */
#define RAW01 "DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define RAW02 "DHHC-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp" \
	      "KissLS4vcSEgBQ==:"
#define RAW03 "DHHC-1:03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp" \
	      "KissLS4vMDEyMzQ1Njc4OTo7PD0+P4zODhA=:"

/* [python] HMAC-hh(00 01 02 ..., NQN || "NVMe-over-Fabrics") */
#define XF01_H "54938e5945b89cb79982c8430d46904316868e1c1516656c253632b912b39523"
#define XF02_H "2ac0e709f965c5655f4d08751f4bdc49ea828d1d9e01a79e75b558ae416e5778" \
	       "600081448089fe6e287f4dc978d152af"
#define XF03_H "c56d5e21faac07df8da107e82398cb862590eeb1bf4c52273e786665f5e33b73" \
	       "b43e35e0699ce76be532edb86e1ed2447fdbb9e2696fe5b4261dee73bfd6c8b0"
#define XF01_C "6cae816dd531f4048b6e082cf4f3d94cb4071265f7c3e0bd06a6ea6c08159e2f"

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

static void counting(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)i;
}

static void check_roundtrip(const char *text, uint8_t hash, const uint8_t *key, size_t len)
{
	struct auth_secret s;
	char buf[AUTH_SECRET_TEXT_MAX];

	assert_int_equal(auth_secret_parse(text, &s), AUTH_OK);
	assert_int_equal(s.hash, hash);
	assert_int_equal(s.len, len);
	if (key)
		assert_memory_equal(s.key, key, len);
	assert_int_equal(auth_secret_format(&s, buf, sizeof(buf)), AUTH_OK);
	assert_string_equal(buf, text);
	auth_secret_wipe(&s);
}

/* ---- CRC-32, text ---------------------------------------------------------- */

static void test_crc32(void **state)
{
	uint8_t count[64];

	/* CRC-32/ISO-HDLC check value (zlib's crc32 of "123456789") */
	assert_int_equal(keyfmt_crc32("123456789", 9), 0xCBF43926u);
	assert_int_equal(keyfmt_crc32("", 0), 0);
	/* [nvme-cli] check-dhchap-key's CRC of the counting keys */
	counting(count, sizeof(count));
	assert_int_equal(keyfmt_crc32(count, 32), 0x91267e8au);
	assert_int_equal(keyfmt_crc32(count, 48), 0x05202171u);
	assert_int_equal(keyfmt_crc32(count, 64), 0x100ece8cu);
}

static void test_text_nvme_cli(void **state)
{
	uint8_t count[64], key[64];

	counting(count, sizeof(count));
	/* [nvme-cli] hh 00: the key is the secret */
	check_roundtrip(KEY00_32, AUTH_HASH_NONE, count, 32);
	check_roundtrip(KEY00_48, AUTH_HASH_NONE, count, 48);
	check_roundtrip(KEY00_64, AUTH_HASH_NONE, count, 64);
	/* [nvme-cli] hh != 00: the key printed is the transformed secret,
	 * and its bytes are [python]'s HMAC of it */
	unhex(XF01_H, key, 32);
	check_roundtrip(KEY01, AUTH_HASH_SHA256, key, 32);
	unhex(XF02_H, key, 48);
	check_roundtrip(KEY02, AUTH_HASH_SHA384, key, 48);
	unhex(XF03_H, key, 64);
	check_roundtrip(KEY03, AUTH_HASH_SHA512, key, 64);
	/* [nvme-cli] check-dhchap-key accepts the counting key with hh 01 */
	check_roundtrip(RAW01, AUTH_HASH_SHA256, count, 32);
	check_roundtrip(RAW02, AUTH_HASH_SHA384, count, 48);
	check_roundtrip(RAW03, AUTH_HASH_SHA512, count, 64);
}

static void expect_parse(const char *text, int err)
{
	struct auth_secret s, zero;

	memset(&s, 0xA5, sizeof(s));
	assert_int_equal(auth_secret_parse(text, &s), err);
	if (err) {
		/* nothing of the key is left behind on failure */
		memset(&zero, 0, sizeof(zero));
		assert_memory_equal(&s, &zero, sizeof(s));
	}
}

static void test_parse_errors(void **state)
{
	char buf[400];

	expect_parse(KEY00_32, AUTH_OK);

	/* prefix */
	expect_parse("", AUTH_ERR_PREFIX);
	expect_parse("DHHC-2:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", AUTH_ERR_PREFIX);
	expect_parse("dhhc-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", AUTH_ERR_PREFIX);
	expect_parse(" " KEY00_32, AUTH_ERR_PREFIX);
	expect_parse("NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		     AUTH_ERR_PREFIX);
	expect_parse("DHHC-1", AUTH_ERR_PREFIX);

	/* hash id: [nvme-cli] check-dhchap-key: "Invalid HMAC identifier 4" */
	expect_parse("DHHC-1:04:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", AUTH_ERR_HASH_ID);
	expect_parse("DHHC-1:0:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", AUTH_ERR_HASH_ID);
	expect_parse("DHHC-1:000:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", AUTH_ERR_HASH_ID);
	expect_parse("DHHC-1:10:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", AUTH_ERR_HASH_ID);
	expect_parse("DHHC-1:ff:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", AUTH_ERR_HASH_ID);
	expect_parse("DHHC-1:", AUTH_ERR_HASH_ID);

	/* closing ':' */
	expect_parse("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR", AUTH_ERR_TRUNCATED);
	expect_parse("DHHC-1:00:", AUTH_ERR_TRUNCATED);

	/* trailing characters, a line end included (callers strip those) */
	expect_parse(KEY00_32 "\n", AUTH_ERR_TRAILING);
	expect_parse(KEY00_32 " ", AUTH_ERR_TRAILING);
	expect_parse(KEY00_32 ":", AUTH_ERR_TRAILING);
	expect_parse(KEY00_32 "x", AUTH_ERR_TRAILING);

	/* Base64 */
	expect_parse("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+Kfia*:", AUTH_ERR_BASE64);
	expect_parse("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+Kfi:", AUTH_ERR_BASE64);
	expect_parse("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx=dHh+KfiaR:", AUTH_ERR_BASE64);
	expect_parse("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-KfiaR:", AUTH_ERR_BASE64);
	/* non-zero bits under the padding (not the canonical text) */
	expect_parse("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
		     "KissLS4vcSEgBR==:", AUTH_ERR_BASE64);

	/* length: valid Base64 of the wrong size for hh */
	expect_parse("DHHC-1:00::", AUTH_ERR_LENGTH);
	expect_parse("DHHC-1:00:AAAA:", AUTH_ERR_LENGTH);
	expect_parse("DHHC-1:00:AAAAAA==:", AUTH_ERR_LENGTH);
	/* [nvme-cli] check-dhchap-key: "Invalid key length for SHA(256)" etc. */
	expect_parse("DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
		     "KissLS4vcSEgBQ==:", AUTH_ERR_LENGTH);
	expect_parse("DHHC-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", AUTH_ERR_LENGTH);
	expect_parse("DHHC-1:03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
		     "KissLS4vcSEgBQ==:", AUTH_ERR_LENGTH);
	expect_parse("DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
		     "KissLS4vMDEyMzQ1Njc4OTo7PD0+P4zODhA=:", AUTH_ERR_LENGTH);
	/* 40 bytes + CRC: no hh takes it */
	expect_parse("DHHC-1:00:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:",
		     AUTH_ERR_LENGTH);
	/* far too long for any key */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "DHHC-1:00:");
	memset(buf + 10, 'A', 300);
	strcat(buf, ":");
	expect_parse(buf, AUTH_ERR_LENGTH);

	/* CRC: [nvme-cli] "CRC mismatch (key 92267e8a, crc 91267e8a)", a bit of
	 * the key flipped, and one of the CRC */
	expect_parse("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaS:", AUTH_ERR_CRC);
	expect_parse("DHHC-1:00:AQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", AUTH_ERR_CRC);

	assert_int_equal(auth_secret_parse(NULL, &(struct auth_secret){0}), AUTH_ERR_INVAL);
	assert_int_equal(auth_secret_parse(KEY00_32, NULL), AUTH_ERR_INVAL);
}

static void test_format_errors(void **state)
{
	struct auth_secret s;
	char buf[AUTH_SECRET_TEXT_MAX];

	assert_int_equal(auth_secret_parse(KEY03, &s), AUTH_OK);
	/* the longest text fits AUTH_SECRET_TEXT_MAX exactly */
	assert_int_equal(auth_secret_format(&s, buf, sizeof(buf)), AUTH_OK);
	assert_int_equal(strlen(buf) + 1, AUTH_SECRET_TEXT_MAX);
	assert_int_equal(auth_secret_format(&s, buf, sizeof(buf) - 1), AUTH_ERR_NOSPACE);
	s.hash = AUTH_HASH_SHA256;		/* 64 bytes with hh 01 */
	assert_false(auth_secret_valid(&s));
	assert_int_equal(auth_secret_format(&s, buf, sizeof(buf)), AUTH_ERR_INVAL);
	s.hash = 4;
	assert_int_equal(auth_secret_format(&s, buf, sizeof(buf)), AUTH_ERR_INVAL);
	s.hash = AUTH_HASH_NONE;
	s.len = 40;
	assert_int_equal(auth_secret_format(&s, buf, sizeof(buf)), AUTH_ERR_INVAL);
	assert_int_equal(auth_secret_format(NULL, buf, sizeof(buf)), AUTH_ERR_INVAL);
	auth_secret_wipe(&s);
	assert_int_equal(s.len, 0);
}

/* ---- Generating ------------------------------------------------------------ */

static void expect_generate(const char *hex, size_t len, uint8_t hh, const char *nqn,
			    const char *want)
{
	uint8_t raw[64];
	struct auth_secret s;
	char buf[AUTH_SECRET_TEXT_MAX];

	assert_int_equal(auth_secret_from_hex(hex, strlen(hex) / 2, raw), AUTH_OK);
	assert_int_equal(auth_secret_generate(hh, len, raw, nqn, &s), AUTH_OK);
	assert_int_equal(auth_secret_format(&s, buf, sizeof(buf)), AUTH_OK);
	assert_string_equal(buf, want);
	auth_secret_wipe(&s);
}

static void test_generate_nvme_cli(void **state)
{
	/* [nvme-cli] gen-dhchap-key --secret=... as in auth_nvme_cli.sh */
	expect_generate(HEX32, 0, 0, NULL, KEY00_32);	/* default length 32 */
	expect_generate(HEX32, 32, 0, NQN_H, KEY00_32);	/* hh 00 ignores the NQN */
	expect_generate(HEX48, 48, 0, NULL, KEY00_48);
	expect_generate(HEX64, 64, 0, NULL, KEY00_64);
	expect_generate(HEX32, 0, 1, NQN_H, KEY01);	/* default: the hash's length */
	expect_generate(HEX48, 48, 2, NQN_H, KEY02);
	expect_generate(HEX64, 0, 3, NQN_H, KEY03);
	/* [nvme-cli] upper-case hex is the same secret */
	expect_generate("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
			32, 0, NULL, KEY00_32);
}

static void test_generate_errors(void **state)
{
	uint8_t raw[64], zero[64] = {0};
	struct auth_secret s, s0;

	counting(raw, sizeof(raw));
	/* [nvme-cli] refusals: --key-length=48 --hmac=1, --key-length=40, --hmac=4 */
	memset(&s0, 0, sizeof(s0));
	memset(&s, 0xA5, sizeof(s));
	assert_int_equal(auth_secret_generate(1, 48, raw, NQN_H, &s), AUTH_ERR_LENGTH);
	assert_memory_equal(&s, &s0, sizeof(s));	/* zeroed on failure */
	assert_int_equal(auth_secret_generate(0, 40, NULL, NULL, &s), AUTH_ERR_LENGTH);
	assert_int_equal(auth_secret_generate(2, 32, NULL, NULL, &s), AUTH_ERR_LENGTH);
	assert_int_equal(auth_secret_generate(3, 48, raw, NQN_H, &s), AUTH_ERR_LENGTH);
	assert_int_equal(auth_secret_generate(4, 0, NULL, NULL, &s), AUTH_ERR_HASH_ID);
	/* a given secret with hh != 00 needs the NQN it is transformed with */
	assert_int_equal(auth_secret_generate(1, 32, raw, NULL, &s), AUTH_ERR_NQN);
	assert_int_equal(auth_secret_generate(1, 32, raw, "", &s), AUTH_ERR_NQN);
	assert_int_equal(auth_secret_generate(0, 32, raw, NULL, NULL), AUTH_ERR_INVAL);

	/* [nvme-cli] --secret must be exactly key-length bytes of hex */
	assert_int_equal(auth_secret_from_hex(HEX32, 48, raw), AUTH_ERR_HEX);
	assert_int_equal(auth_secret_from_hex(HEX32 "00", 32, raw), AUTH_ERR_HEX);
	assert_int_equal(auth_secret_from_hex("zz0102030405060708090a0b0c0d0e0f"
					      "101112131415161718191a1b1c1d1e1f", 32, raw), AUTH_ERR_HEX);
	assert_int_equal(auth_secret_from_hex("0001", 32, raw), AUTH_ERR_HEX);
	assert_int_equal(auth_secret_from_hex(" 00102030405060708090a0b0c0d0e0f1"
					      "01112131415161718191a1b1c1d1e1f", 32, raw), AUTH_ERR_HEX);
	assert_int_equal(auth_secret_from_hex("000102030405060708090a0b0c0d0e0f"
					      "101112131415161718191a1b1c1d1e1g", 32, raw), AUTH_ERR_HEX);
	assert_memory_equal(raw, zero, 32);	/* wiped on failure */
	assert_int_equal(auth_secret_from_hex(HEX32, 0, raw), AUTH_ERR_INVAL);
	assert_int_equal(auth_secret_from_hex(HEX32, 65, raw), AUTH_ERR_INVAL);
}

static void test_generate_random(void **state)
{
	static const struct { uint8_t hh; size_t len, want; } v[] = {
		{ 0, 0, 32 }, { 0, 48, 48 }, { 0, 64, 64 },
		{ 1, 0, 32 }, { 2, 0, 48 }, { 3, 64, 64 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct auth_secret a, b, c;
		char text[AUTH_SECRET_TEXT_MAX];

		assert_int_equal(auth_secret_generate(v[i].hh, v[i].len, NULL, NULL, &a), AUTH_OK);
		assert_int_equal(auth_secret_generate(v[i].hh, v[i].len, NULL, NQN_H, &b), AUTH_OK);
		assert_int_equal(a.hash, v[i].hh);
		assert_int_equal(a.len, v[i].want);
		assert_int_equal(b.len, v[i].want);
		/* two random keys differ (2^-256 chance of a false failure) */
		assert_memory_not_equal(a.key, b.key, a.len);
		/* and the text of one parses back to it */
		assert_int_equal(auth_secret_format(&a, text, sizeof(text)), AUTH_OK);
		assert_int_equal(auth_secret_parse(text, &c), AUTH_OK);
		assert_memory_equal(&a, &c, sizeof(a));
		auth_secret_wipe(&a);
		auth_secret_wipe(&b);
		auth_secret_wipe(&c);
	}
}

/* ---- Transform ------------------------------------------------------------- */

static void expect_transform(const char *text, const char *nqn, const char *want_hex)
{
	struct auth_secret s;
	uint8_t out[AUTH_SECRET_MAX_LEN], want[AUTH_SECRET_MAX_LEN];
	size_t len = 0, want_len = strlen(want_hex) / 2;

	unhex(want_hex, want, want_len);
	assert_int_equal(auth_secret_parse(text, &s), AUTH_OK);
	assert_int_equal(auth_secret_transform(&s, nqn, out, &len), AUTH_OK);
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, len);
	auth_secret_wipe(&s);
}

static void test_transform(void **state)
{
	/* [python] */
	expect_transform(KEY00_32, NQN_H, HEX32);		/* hh 00: the key */
	expect_transform(KEY00_64, NQN_H, HEX64);
	expect_transform(RAW01, NQN_H, XF01_H);
	expect_transform(RAW02, NQN_H, XF02_H);
	expect_transform(RAW03, NQN_H, XF03_H);
	expect_transform(RAW01, NQN_C, XF01_C);			/* the NQN counts */
}

static void test_transform_errors(void **state)
{
	struct auth_secret s;
	uint8_t out[AUTH_SECRET_MAX_LEN];
	size_t len;
	char nqn[NVMF_NQN_MAX_LEN + 2];

	assert_int_equal(auth_secret_parse(RAW01, &s), AUTH_OK);
	memset(nqn, 'n', sizeof(nqn) - 1);
	nqn[sizeof(nqn) - 1] = '\0';			/* 224 bytes */
	assert_int_equal(auth_secret_transform(&s, nqn, out, &len), AUTH_ERR_NQN);
	nqn[NVMF_NQN_MAX_LEN] = '\0';			/* 223: fine */
	assert_int_equal(auth_secret_transform(&s, nqn, out, &len), AUTH_OK);
	assert_int_equal(auth_secret_transform(&s, "", out, &len), AUTH_ERR_NQN);
	assert_int_equal(auth_secret_transform(&s, NULL, out, &len), AUTH_ERR_NQN);
	assert_int_equal(auth_secret_transform(&s, NQN_H, NULL, &len), AUTH_ERR_INVAL);
	s.len = 48;					/* not valid for hh 01 */
	assert_int_equal(auth_secret_transform(&s, NQN_H, out, &len), AUTH_ERR_INVAL);
	auth_secret_wipe(&s);
}

/* ---- Messages -------------------------------------------------------------- */

static void test_strerror(void **state)
{
	/* every error has its own message, none of them the fallback, and
	 * none carries key material (they are constants: no key character
	 * sequence of the test keys appears in them) */
	for (int e = AUTH_ERR_PREFIX; e >= AUTH_ERR_MSG_SEQNUM; e--) {
		const char *m = auth_strerror(e);

		assert_string_not_equal(m, auth_strerror(1));
		assert_null(strstr(m, "AAECAwQF"));
		for (int f = e - 1; f >= AUTH_ERR_MSG_SEQNUM; f--)
			assert_string_not_equal(m, auth_strerror(f));
	}
	assert_string_equal(auth_strerror(AUTH_OK), "success");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_text_nvme_cli),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_generate_nvme_cli),
		cmocka_unit_test(test_generate_errors),
		cmocka_unit_test(test_generate_random),
		cmocka_unit_test(test_transform),
		cmocka_unit_test(test_transform_errors),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
