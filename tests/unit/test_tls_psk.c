/*
 * NVMe/TCP TLS PSK key material (src/tcp/tls_psk.c): the interchange format,
 * the retained PSK, the PSK digest, identities and the TLS PSK, checked
 * byte for byte against values that other implementations produced.
 *
 * Where each expected value comes from:
 *  [libnvme-test]  libnvme's own unit test, test/psk.c (linux-nvme/libnvme):
 *                  the interchange strings of its 32- and 48-byte test key and
 *                  its version 1 identities, RFC 8446 and "compat".
 *  [linux-kunit]   Linux drivers/nvme/common/tests/auth_kunit.c: PSK digest
 *                  and TLS PSK of a TP 8018 generated PSK, SHA-256 and SHA-384.
 *  [nvme-cli-2.3]  Debian 12's nvme-cli 2.3 (libnvme 1.3) run on the
 *                  development machine: `nvme gen-tls-key --hmac=N` output and
 *                  the CRC that `nvme check-tls-key --key=K` reported for it.
 *                  2.3 derives nothing (no --identity, no --insert) and its
 *                  --secret option never accepts a key (it stops reading hex
 *                  after key-length / 2 bytes).
 *  [nvme-cli-2.16] nvme-cli 2.16 with libnvme 1.16.2 (Debian sid packages,
 *                  unpacked with dpkg -x and run with their own loader, never
 *                  installed), RFC 8446 by default and with --compat:
 *                    identity: nvme check-tls-key --keydata=K --hostnqn=H
 *                              --subsysnqn=S --identity=V [--compat]
 *                    TLS PSK:  the same with --insert --keyring=nvmfvec
 *                              --keytype=user in a throwaway session keyring
 *                              (keyctl session -; keyctl newring nvmfvec @s),
 *                              read back with keyctl pipe.
 *                  nvme-cli 2.13 / libnvme 1.13 (Debian 13) gave the --compat
 *                  values for every case without any option.
 *                  tests/unit/tls_psk_vectors.sh repeats those runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "keyfmt/keyfmt.h"
#include "tcp/tls_psk.h"

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

/* ---- Interchange format --------------------------------------------------- */

/* [libnvme-test] test/psk.c's configured PSK: 32 bytes, and 48 bytes
 * (the last 16 of the 32 repeated). */
static const uint8_t libnvme_key48[48] = {
	0x55, 0x12, 0xDB, 0xB6, 0x73, 0x7D, 0x01, 0x06,
	0xF6, 0x59, 0x75, 0xB7, 0x73, 0xDF, 0xB0, 0x11,
	0xFF, 0xC3, 0x44, 0xBC, 0xF4, 0x42, 0xE2, 0xDD,
	0x6D, 0x8B, 0xC4, 0x87, 0x0B, 0x5D, 0x5B, 0x03,
	0xFF, 0xC3, 0x44, 0xBC, 0xF4, 0x42, 0xE2, 0xDD,
	0x6D, 0x8B, 0xC4, 0x87, 0x0B, 0x5D, 0x5B, 0x03,
};

#define KEY_LIBNVME_00 "NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
#define KEY_LIBNVME_01 "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
#define KEY_LIBNVME_02 "NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/" \
		       "w0S89ELi3W2LxIcLXVsDn8kXZQ==:"
/* [nvme-cli-2.16] gen-tls-key --hmac=1 --secret=000102...1f and
 * --hmac=2 --secret=000102...2f (2.13 prints the same); the 00 form of the
 * 48-byte one is the same bytes with hh 00 (gen-tls-key refuses --hmac=0,
 * check-tls-key accepts the result). */
#define KEY_COUNT32_01 "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
#define KEY_COUNT48_02 "NVMeTLSkey-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj" \
		       "JCUmJygpKissLS4vcSEgBQ==:"
#define KEY_COUNT48_00 "NVMeTLSkey-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj" \
		       "JCUmJygpKissLS4vcSEgBQ==:"

static void check_roundtrip(const char *text, enum tcp_psk_hash hash,
			    const uint8_t *key, size_t len)
{
	struct tcp_psk psk;
	char buf[TCP_PSK_INTERCHANGE_MAX];

	assert_int_equal(tcp_psk_parse(text, &psk), TCP_PSK_OK);
	assert_int_equal(psk.hash, hash);
	assert_int_equal(psk.len, len);
	if (key)
		assert_memory_equal(psk.key, key, len);
	assert_int_equal(tcp_psk_format(&psk, buf, sizeof(buf)), TCP_PSK_OK);
	assert_string_equal(buf, text);
	tcp_psk_wipe(&psk);
}

static void test_crc32(void **state)
{
	/* The CRC-32/ISO-HDLC check value (zlib's crc32 of "123456789"). */
	assert_int_equal(keyfmt_crc32("123456789", 9), 0xCBF43926u);
	assert_int_equal(keyfmt_crc32("", 0), 0);
}

static void test_interchange_libnvme(void **state)
{
	check_roundtrip(KEY_LIBNVME_00, TCP_PSK_HASH_NONE, libnvme_key48, 32);
	check_roundtrip(KEY_LIBNVME_01, TCP_PSK_HASH_SHA256, libnvme_key48, 32);
	check_roundtrip(KEY_LIBNVME_02, TCP_PSK_HASH_SHA384, libnvme_key48, 48);
}

static void test_interchange_nvme_cli(void **state)
{
	/* [nvme-cli-2.3] gen-tls-key output and check-tls-key's CRC. */
	static const struct {
		const char *text;
		enum tcp_psk_hash hash;
		size_t len;
		uint32_t crc;
	} v[] = {
		{ "NVMeTLSkey-1:01:ZLJI31i3hswzmV33dk5JDLox9uKSg2CheaiBUraRugoLGe1v:",
		  TCP_PSK_HASH_SHA256, 32, 0x6fed190b },
		{ "NVMeTLSkey-1:02:hWahcMNBQ4IVhjCm/AuubjLkvuNlnKNmwF8Emb36J1zODRCg"
		  "jpHndPSB+XnIvzdvNrVYxg==:", TCP_PSK_HASH_SHA384, 48, 0xc658b536 },
		{ "NVMeTLSkey-1:01:FTq1IfZftiafK/77IDuh5jlbJ92xx1xPadPiQwlfK7MB7e2W:",
		  TCP_PSK_HASH_SHA256, 32, 0x96eded01 },
		{ "NVMeTLSkey-1:02:tWcYcF2rXjVP/+Txqj3iwa75fPg2Vmh7rTACr9X71tDMJuRV"
		  "gaoL+ut5CwYcMw/OU+kLJw==:", TCP_PSK_HASH_SHA384, 48, 0x270be953 },
	};
	uint8_t count[48];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tcp_psk psk;

		check_roundtrip(v[i].text, v[i].hash, NULL, v[i].len);
		assert_int_equal(tcp_psk_parse(v[i].text, &psk), TCP_PSK_OK);
		assert_int_equal(keyfmt_crc32(psk.key, psk.len), v[i].crc);
		tcp_psk_wipe(&psk);
	}

	/* [nvme-cli-2.3] check-tls-key's CRC of the strings below */
	assert_int_equal(keyfmt_crc32(libnvme_key48, 32), 0xd9baf45f);
	assert_int_equal(keyfmt_crc32(libnvme_key48, 48), 0x6517c99f);

	/* [nvme-cli-2.16] --secret: keys 00 01 02 ... */
	for (int i = 0; i < 48; i++)
		count[i] = (uint8_t)i;
	check_roundtrip(KEY_COUNT32_01, TCP_PSK_HASH_SHA256, count, 32);
	assert_int_equal(keyfmt_crc32(count, 32), 0x91267e8a);	/* [nvme-cli-2.3] */
	check_roundtrip(KEY_COUNT48_02, TCP_PSK_HASH_SHA384, count, 48);
	check_roundtrip(KEY_COUNT48_00, TCP_PSK_HASH_NONE, count, 48);
}

static void expect_parse(const char *text, int err)
{
	struct tcp_psk psk;

	memset(&psk, 0xA5, sizeof(psk));
	assert_int_equal(tcp_psk_parse(text, &psk), err);
	if (err) {
		/* nothing of the key is left behind on failure */
		struct tcp_psk zero;

		memset(&zero, 0, sizeof(zero));
		assert_memory_equal(&psk, &zero, sizeof(psk));
	}
}

static void test_parse_errors(void **state)
{
	char buf[160];

	expect_parse(KEY_LIBNVME_01, TCP_PSK_OK);

	/* prefix */
	expect_parse("", TCP_PSK_ERR_PREFIX);
	expect_parse("NVMeTLSkey-2:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_PREFIX);
	expect_parse("nvmetlskey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_PREFIX);
	expect_parse(" NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_PREFIX);
	expect_parse("DHHC-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_PREFIX);

	/* hash id */
	expect_parse("NVMeTLSkey-1:03:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_HASH);
	expect_parse("NVMeTLSkey-1:1:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_HASH);
	expect_parse("NVMeTLSkey-1:001:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_HASH);
	expect_parse("NVMeTLSkey-1:", TCP_PSK_ERR_HASH);

	/* closing ':' */
	expect_parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ",
		     TCP_PSK_ERR_TRUNCATED);
	expect_parse("NVMeTLSkey-1:01:", TCP_PSK_ERR_TRUNCATED);

	/* trailing garbage, a line end included (callers strip those) */
	expect_parse(KEY_LIBNVME_01 "\n", TCP_PSK_ERR_TRAILING);
	expect_parse(KEY_LIBNVME_01 "\r", TCP_PSK_ERR_TRAILING);
	expect_parse(KEY_LIBNVME_01 " ", TCP_PSK_ERR_TRAILING);
	expect_parse(KEY_LIBNVME_01 ":", TCP_PSK_ERR_TRAILING);
	expect_parse(KEY_LIBNVME_01 "x", TCP_PSK_ERR_TRAILING);

	/* Base64 */
	expect_parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9Lr*:",
		     TCP_PSK_ERR_BASE64);
	expect_parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9L:",
		     TCP_PSK_ERR_BASE64);	/* not whole quanta */
	expect_parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvE=twdWwNf9LrZ:",
		     TCP_PSK_ERR_BASE64);	/* '=' inside */
	expect_parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9-wEf_DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_BASE64);	/* base64url alphabet */
	expect_parse("NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/"
		     "w0S89ELi3W2LxIcLXVsDn8kXZR==:", TCP_PSK_ERR_BASE64);	/* non-zero pad bits */

	/* length: valid Base64 of the wrong size for the hash id */
	expect_parse("NVMeTLSkey-1:01::", TCP_PSK_ERR_LENGTH);
	expect_parse("NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_LENGTH);	/* a 32-byte key said to be SHA-384 */
	memcpy(buf, KEY_LIBNVME_02, sizeof(KEY_LIBNVME_02));
	buf[14] = '1';
	expect_parse(buf, TCP_PSK_ERR_LENGTH);	/* a 48-byte key said to be SHA-256 */
	expect_parse("NVMeTLSkey-1:00:AAAA:", TCP_PSK_ERR_LENGTH);
	expect_parse("NVMeTLSkey-1:00:AA==:", TCP_PSK_ERR_LENGTH);
	snprintf(buf, sizeof(buf), "NVMeTLSkey-1:00:%s:",
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	expect_parse(buf, TCP_PSK_ERR_LENGTH);	/* 84 bytes */

	/* CRC: one bit of the key flipped, and one of the CRC */
	expect_parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwJf9LrZ:",
		     TCP_PSK_ERR_CRC);
	expect_parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrY:",
		     TCP_PSK_ERR_CRC);
	expect_parse("NVMeTLSkey-1:01:WRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
		     TCP_PSK_ERR_CRC);

	assert_int_equal(tcp_psk_parse(NULL, &(struct tcp_psk){0}), TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_parse(KEY_LIBNVME_01, NULL), TCP_PSK_ERR_INVAL);
}

static void test_format_errors(void **state)
{
	struct tcp_psk psk;
	char buf[TCP_PSK_INTERCHANGE_MAX];

	assert_int_equal(tcp_psk_parse(KEY_LIBNVME_02, &psk), TCP_PSK_OK);
	assert_int_equal(tcp_psk_format(&psk, buf, sizeof(buf) - 1), TCP_PSK_ERR_NOSPACE);
	psk.hash = TCP_PSK_HASH_SHA256;		/* 48 bytes with hh 01 */
	assert_int_equal(tcp_psk_format(&psk, buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	psk.hash = (enum tcp_psk_hash)3;
	assert_int_equal(tcp_psk_format(&psk, buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	psk.hash = TCP_PSK_HASH_NONE;
	psk.len = 40;
	assert_int_equal(tcp_psk_format(&psk, buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_format(NULL, buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	tcp_psk_wipe(&psk);
}

static void test_generate(void **state)
{
	static const struct {
		enum tcp_psk_hash hash;
		size_t len, want;
	} v[] = {
		{ TCP_PSK_HASH_SHA256, 0, 32 }, { TCP_PSK_HASH_SHA384, 0, 48 },
		{ TCP_PSK_HASH_SHA256, 32, 32 }, { TCP_PSK_HASH_NONE, 32, 32 },
		{ TCP_PSK_HASH_NONE, 48, 48 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tcp_psk a, b, back;
		char text[TCP_PSK_INTERCHANGE_MAX];

		assert_int_equal(tcp_psk_generate(v[i].hash, v[i].len, &a), TCP_PSK_OK);
		assert_int_equal(tcp_psk_generate(v[i].hash, v[i].len, &b), TCP_PSK_OK);
		assert_int_equal(a.len, v[i].want);
		assert_int_equal(a.hash, v[i].hash);
		assert_memory_not_equal(a.key, b.key, a.len);
		assert_int_equal(tcp_psk_format(&a, text, sizeof(text)), TCP_PSK_OK);
		assert_int_equal(strlen(text), a.len == 32 ? 65 : 89);
		assert_int_equal(tcp_psk_parse(text, &back), TCP_PSK_OK);
		assert_memory_equal(&back, &a, sizeof(a));
		tcp_psk_wipe(&a);
		tcp_psk_wipe(&b);
		tcp_psk_wipe(&back);
	}

	{
		struct tcp_psk p;

		assert_int_equal(tcp_psk_generate(TCP_PSK_HASH_NONE, 0, &p), TCP_PSK_ERR_INVAL);
		assert_int_equal(tcp_psk_generate(TCP_PSK_HASH_SHA256, 48, &p), TCP_PSK_ERR_INVAL);
		assert_int_equal(tcp_psk_generate(TCP_PSK_HASH_NONE, 16, &p), TCP_PSK_ERR_INVAL);
		assert_int_equal(tcp_psk_generate((enum tcp_psk_hash)3, 0, &p), TCP_PSK_ERR_INVAL);
	}
}

static void test_wipe(void **state)
{
	struct tcp_psk psk, zero;
	struct tcp_psk_tls tls, tzero;

	memset(&zero, 0, sizeof(zero));
	memset(&tzero, 0, sizeof(tzero));
	assert_int_equal(tcp_psk_parse(KEY_LIBNVME_02, &psk), TCP_PSK_OK);
	assert_int_equal(tcp_psk_derive(&psk, "nqn.psk-test-host", "nqn.psk-test-subsys", 1,
					TCP_PSK_KDF_RFC8446, &tls), TCP_PSK_OK);
	tcp_psk_wipe(&psk);
	tcp_psk_tls_wipe(&tls);
	assert_memory_equal(&psk, &zero, sizeof(psk));
	assert_memory_equal(&tls, &tzero, sizeof(tls));
	tcp_psk_wipe(NULL);
	tcp_psk_tls_wipe(NULL);
}

/* ---- Derivations ---------------------------------------------------------- */

#define HOST_T "nqn.psk-test-host"
#define SUB_T  "nqn.psk-test-subsys"
/* the NQNs of the NVMe/TCP specification's example (SPDK's tests use them) */
#define HOST_S "nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define SUB_S  "nqn.2014-08.org.nvmexpress:uuid:36ebf5a9-1df9-47b3-a6d0-e9ba32e428a2"

/* [libnvme-test] version 1 identities of test/psk.c (hh 01 and 02). */
static void test_identity_v1_libnvme(void **state)
{
	static const struct {
		const char *key;
		enum tcp_psk_kdf kdf;
		const char *identity;
	} v[] = {
		{ KEY_LIBNVME_01, TCP_PSK_KDF_RFC8446, "NVMe1R01 " HOST_T " " SUB_T
		  " iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU=" },
		{ KEY_LIBNVME_02, TCP_PSK_KDF_RFC8446, "NVMe1R02 " HOST_T " " SUB_T
		  " QhW2+Rp6RzHlNtCslyRxMnwJ11tKKhz8JCAQpQ+XUD8f9td1VeH5h53yz2wKJG1a" },
		{ KEY_LIBNVME_01, TCP_PSK_KDF_COMPAT, "NVMe1R01 " HOST_T " " SUB_T
		  " 66GuqV08TsAGII39teWUfwQwizjv06Jy8jOcX3NAAzM=" },
		{ KEY_LIBNVME_02, TCP_PSK_KDF_COMPAT, "NVMe1R02 " HOST_T " " SUB_T
		  " RsKmYJ3nAn1ApjjMloJFbAkLPivONDAX/xW327YBUsn2eGShXSjCZvBaOxscLqmz" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tcp_psk psk;
		struct tcp_psk_tls tls;

		assert_int_equal(tcp_psk_parse(v[i].key, &psk), TCP_PSK_OK);
		assert_int_equal(tcp_psk_derive(&psk, HOST_T, SUB_T, 1, v[i].kdf, &tls),
				 TCP_PSK_OK);
		assert_string_equal(tls.identity, v[i].identity);
		tcp_psk_wipe(&psk);
		tcp_psk_tls_wipe(&tls);
	}
}

/* [nvme-cli-2.16] identities and TLS PSKs (the keys' interchange strings
 * are the ones above). */
static const struct {
	const char *key, *hostnqn, *subnqn;
	int version;
	enum tcp_psk_kdf kdf;
	const char *prefix, *digest;	/* identity = prefix H S [digest] */
	const char *tls_psk;		/* hex */
} cli_vectors[] = {
	/* sid-rfc.txt */
	{ KEY_LIBNVME_00, HOST_T, SUB_T, 0, TCP_PSK_KDF_RFC8446,
	  "NVMe0R01", NULL,
	  "ec85300ba827726bd3bc4fc07f3a34aec5fe7c8ccac05fefc2f021c74e0df9ef" },
	{ KEY_LIBNVME_00, HOST_T, SUB_T, 1, TCP_PSK_KDF_RFC8446,
	  "NVMe1R01", "quJVUJjp/BImWR0UQay/MjSfEgyAr6TyBOWybS/B404=",
	  "a45d08ee4639c7570729bb3e57e905e466a49a15ece5401af906830c4d3bdb0b" },
	{ KEY_LIBNVME_00, HOST_S, SUB_S, 0, TCP_PSK_KDF_RFC8446,
	  "NVMe0R01", NULL,
	  "464d9438c6d8b3c9f0a426b780872e3fc456bf43410e9d3f2de4c95684e0e48b" },
	{ KEY_LIBNVME_00, HOST_S, SUB_S, 1, TCP_PSK_KDF_RFC8446,
	  "NVMe1R01", "RpiNKd8UlCSBGTzGFVEBu9IiqBKf/JTSITbYKb4VBIc=",
	  "ded362bde1576f3914a5f0291a703e67eb8fd11e52b20cdf03b40c48a8a55d33" },
	{ KEY_LIBNVME_01, HOST_T, SUB_T, 0, TCP_PSK_KDF_RFC8446,
	  "NVMe0R01", NULL,
	  "05c6503551ad136e6ee32e6eeb3f6d500b69701d84ec71e328f65c7f51566f68" },
	{ KEY_LIBNVME_01, HOST_T, SUB_T, 1, TCP_PSK_KDF_RFC8446,
	  "NVMe1R01", "iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU=",
	  "8fc3c0badfd4c0c66fa3ca33aadd0314f85536cc9bc47338b60f3e6e563786ca" },
	{ KEY_LIBNVME_01, HOST_S, SUB_S, 0, TCP_PSK_KDF_RFC8446,
	  "NVMe0R01", NULL,
	  "8e981666c96a88ef69f6e6a0460ff77ba9039e3d38cbdeee264c4de09d75d246" },
	{ KEY_LIBNVME_01, HOST_S, SUB_S, 1, TCP_PSK_KDF_RFC8446,
	  "NVMe1R01", "E7SfPmB1H5RQCPDO/jPElNLoNkv7agzvJauAf6yCO9E=",
	  "5a21fd02f19a9eaec7b166edabff907304b7625b7927d7398f9d654dff4087f7" },
	{ KEY_LIBNVME_02, HOST_T, SUB_T, 0, TCP_PSK_KDF_RFC8446,
	  "NVMe0R02", NULL,
	  "f42ba63824cdfe421914c582921f85b5b5b7e2d4df084caeedc9be20b212e8bb0fe8a23e9d59a1c8fc6449da4970a78d" },
	{ KEY_LIBNVME_02, HOST_T, SUB_T, 1, TCP_PSK_KDF_RFC8446,
	  "NVMe1R02", "QhW2+Rp6RzHlNtCslyRxMnwJ11tKKhz8JCAQpQ+XUD8f9td1VeH5h53yz2wKJG1a",
	  "a2b2f943f479fc682555cec89857c80ed004ce92f32a973d5764155bb7e36b17a85368a0666d250afac9282dda2e62ca" },
	{ KEY_LIBNVME_02, HOST_S, SUB_S, 0, TCP_PSK_KDF_RFC8446,
	  "NVMe0R02", NULL,
	  "051e9924174204ffcd2c29216827b8714da37a8734e483aff6ba9d821371a91f4c1536cf74514848c7a19d478a627af1" },
	{ KEY_LIBNVME_02, HOST_S, SUB_S, 1, TCP_PSK_KDF_RFC8446,
	  "NVMe1R02", "VBVoKmkv4uYslaZD4DgAzhaFB3IRHvt+41ckH4rG0i3lgYK4XjkIjIED+k5sCf9u",
	  "c93e6ca8ea4b0ec73d66f852fb33c6ba40543dc5bae088408968ffcca01e1eb763d32c3325aaa76747ec1fef8f85d4d9" },
	{ KEY_COUNT48_00, HOST_T, SUB_T, 0, TCP_PSK_KDF_RFC8446,
	  "NVMe0R02", NULL,
	  "39af8716d11ae9e9240e59faccd777c618d0d4738169e3e90cc0dd2735d986319bd1fc1acc01f84a1ed6c6e14ab8a1e6" },
	{ KEY_COUNT48_00, HOST_T, SUB_T, 1, TCP_PSK_KDF_RFC8446,
	  "NVMe1R02", "tdEzx3Mp7LlGYUOz1g9wfwUNBfPWR5ZxewacLmlpMkc1YESkveSH56NzMo1rHGIg",
	  "239bc4e3cd6563363b670a8ca0780f23645c41f948b72e3f1709facfcae676f3294d80cba2b26ac7d9742c5ee1800f72" },
	{ KEY_COUNT48_00, HOST_S, SUB_S, 0, TCP_PSK_KDF_RFC8446,
	  "NVMe0R02", NULL,
	  "bfb8aefdc155ad8c060fafb217f08da9f2bb4c43520d8b75ccf409a69606fd2109f295730d8aebdbac0c856186f89e7c" },
	{ KEY_COUNT48_00, HOST_S, SUB_S, 1, TCP_PSK_KDF_RFC8446,
	  "NVMe1R02", "jKlYLfUK3Ddiokg44gDmfPUQJHUk51tmV6Xa/nHjbMPDB0B5LEvnV5oIgmBs1xgj",
	  "36f4ae7d8d840a2b517c579e6a4e24a1b3f5e00e4b2056895cef5d9afcb41d48285e82149ed6795667a1ef073bcd139f" },
	/* sid-compat.txt */
	{ KEY_LIBNVME_00, HOST_T, SUB_T, 0, TCP_PSK_KDF_COMPAT,
	  "NVMe0R01", NULL,
	  "e2b16189378b34adba9fec995ab479040cedec0bc7c6b47728ee4d8de6ff52ba" },
	{ KEY_LIBNVME_00, HOST_T, SUB_T, 1, TCP_PSK_KDF_COMPAT,
	  "NVMe1R01", "quJVUJjp/BImWR0UQay/MjSfEgyAr6TyBOWybS/B404=",
	  "d50f6d3dd79345b6e8217744524df5ac0dc66964ff70cc5fd18e1b9d57ce7fcf" },
	{ KEY_LIBNVME_00, HOST_S, SUB_S, 0, TCP_PSK_KDF_COMPAT,
	  "NVMe0R01", NULL,
	  "20fdf2adc72954248703a82ebda5655882c3f907b5028a3c5a4ad161cee6bf8a" },
	{ KEY_LIBNVME_00, HOST_S, SUB_S, 1, TCP_PSK_KDF_COMPAT,
	  "NVMe1R01", "RpiNKd8UlCSBGTzGFVEBu9IiqBKf/JTSITbYKb4VBIc=",
	  "83c2537a348e54d5f41a309ece38ed9d3a2ed2752d95a3c256d71f8a02fc12ee" },
	{ KEY_LIBNVME_01, HOST_T, SUB_T, 0, TCP_PSK_KDF_COMPAT,
	  "NVMe0R01", NULL,
	  "09fb1983ac6d6d0353e7cae4f23daddd651c367fa347c59d9cf6936f5a83eafb" },
	{ KEY_LIBNVME_01, HOST_T, SUB_T, 1, TCP_PSK_KDF_COMPAT,
	  "NVMe1R01", "66GuqV08TsAGII39teWUfwQwizjv06Jy8jOcX3NAAzM=",
	  "b9f5ab2a41ba6e72a23a12066302a2f775fa6c0942c8e0b18ca8ac07edf305e2" },
	{ KEY_LIBNVME_01, HOST_S, SUB_S, 0, TCP_PSK_KDF_COMPAT,
	  "NVMe0R01", NULL,
	  "be4ef89f73206dc2b64f95a33f73318a0064758aa0dab40f38f269c336b359c5" },
	{ KEY_LIBNVME_01, HOST_S, SUB_S, 1, TCP_PSK_KDF_COMPAT,
	  "NVMe1R01", "784yr0+Smfy2PtrzNKX2MKuuRLLE5iehfelFUZozXoM=",
	  "c730c74e327cc78140397f570a5613d8437bbec49a56e4b9cd9e889325b65f0c" },
	{ KEY_LIBNVME_02, HOST_T, SUB_T, 0, TCP_PSK_KDF_COMPAT,
	  "NVMe0R02", NULL,
	  "2ee4754186a625b28a3936ef4a40d839c3ad958b2e017562ee07e2501f172ce999dc9c29033ea7ee33f814f192c13f47" },
	{ KEY_LIBNVME_02, HOST_T, SUB_T, 1, TCP_PSK_KDF_COMPAT,
	  "NVMe1R02", "RsKmYJ3nAn1ApjjMloJFbAkLPivONDAX/xW327YBUsn2eGShXSjCZvBaOxscLqmz",
	  "fcefe2e2a2e682b1447dcabf1ec268f78f08c63cd075753abcc8bda2c5c34d48d3014aa8d76ad80107e4f5c9f27e2149" },
	{ KEY_LIBNVME_02, HOST_S, SUB_S, 0, TCP_PSK_KDF_COMPAT,
	  "NVMe0R02", NULL,
	  "1d893f1708d9ae897cf9c6a525a037f4e9bebfdd8b49e50ddd5f236bb2cd432fb626ce7e585a79c17ac3581a051fa7f6" },
	{ KEY_LIBNVME_02, HOST_S, SUB_S, 1, TCP_PSK_KDF_COMPAT,
	  "NVMe1R02", "bzy8LaZWQ5y/SB0yDkTqdOG0TkI8FS9BtYEJv6vItoqZ27VBHJLjI4C2IohWRnuv",
	  "6ed253fdbaee15d85a5535fadeecb9057d6626af6e1525fa60319596b6df1864d3ae9d7b7c824cd5dcd088c68491c8f4" },
	{ KEY_COUNT48_00, HOST_T, SUB_T, 0, TCP_PSK_KDF_COMPAT,
	  "NVMe0R02", NULL,
	  "13433bcd411cfad04c8825f93d1b06e201e04e5e154320c13b5756127e685595dc45a23e15c3b01862b0a27433316978" },
	{ KEY_COUNT48_00, HOST_T, SUB_T, 1, TCP_PSK_KDF_COMPAT,
	  "NVMe1R02", "tdEzx3Mp7LlGYUOz1g9wfwUNBfPWR5ZxewacLmlpMkc1YESkveSH56NzMo1rHGIg",
	  "36105b6e12bcc5191686f0f9735c494a4974281939d3cf0eed16054798e2f6760b4fc39613e3afc85dd0dfd3b56d30f3" },
	{ KEY_COUNT48_00, HOST_S, SUB_S, 0, TCP_PSK_KDF_COMPAT,
	  "NVMe0R02", NULL,
	  "be3179e0f5346c6e97294c9dad1bd20cca4904c548266717426a8ce60dcf9b19ba19cac980be8af010966f598925cf8b" },
	{ KEY_COUNT48_00, HOST_S, SUB_S, 1, TCP_PSK_KDF_COMPAT,
	  "NVMe1R02", "jKlYLfUK3Ddiokg44gDmfPUQJHUk51tmV6Xa/nHjbMPDB0B5LEvnV5oIgmBs1xgj",
	  "95125d0e9c7f7803366258ba607a4b419473cba018a4d001410a53f268149fee8abc6fe47cb4a4cb6d7ce8af2a9ca34d" },
};

static void test_derive_nvme_cli(void **state)
{
	for (size_t i = 0; i < sizeof(cli_vectors) / sizeof(cli_vectors[0]); i++) {
		struct tcp_psk psk;
		struct tcp_psk_tls tls;
		char want_id[TCP_PSK_IDENTITY_MAX];
		uint8_t want[TCP_PSK_MAX_LEN], retained[TCP_PSK_MAX_LEN], key[TCP_PSK_MAX_LEN];
		size_t len = strlen(cli_vectors[i].tls_psk) / 2;

		snprintf(want_id, sizeof(want_id), "%s %s %s%s%s", cli_vectors[i].prefix,
			 cli_vectors[i].hostnqn, cli_vectors[i].subnqn,
			 cli_vectors[i].digest ? " " : "",
			 cli_vectors[i].digest ? cli_vectors[i].digest : "");
		unhex(cli_vectors[i].tls_psk, want, len);

		assert_int_equal(tcp_psk_parse(cli_vectors[i].key, &psk), TCP_PSK_OK);
		assert_int_equal(tcp_psk_derive(&psk, cli_vectors[i].hostnqn,
						cli_vectors[i].subnqn, cli_vectors[i].version,
						cli_vectors[i].kdf, &tls), TCP_PSK_OK);
		assert_string_equal(tls.identity, want_id);
		assert_int_equal(tls.len, len);
		assert_int_equal(tls.hash, len == 32 ? TCP_PSK_HASH_SHA256 : TCP_PSK_HASH_SHA384);
		assert_memory_equal(tls.key, want, len);

		/* the pieces give the same: retained PSK, then the TLS PSK of
		 * the identity (as a target does with the identity it receives) */
		assert_int_equal(tcp_psk_retained(&psk, cli_vectors[i].hostnqn,
						  cli_vectors[i].kdf, retained), TCP_PSK_OK);
		assert_int_equal(tcp_psk_tls_key(retained, len, want_id, cli_vectors[i].kdf,
						 key), TCP_PSK_OK);
		assert_memory_equal(key, want, len);
		if (cli_vectors[i].digest) {
			char digest[TCP_PSK_DIGEST_MAX + 1];

			assert_int_equal(tcp_psk_digest(tls.hash, retained, len,
							cli_vectors[i].hostnqn,
							cli_vectors[i].subnqn, digest,
							sizeof(digest)), TCP_PSK_OK);
			assert_string_equal(digest, cli_vectors[i].digest);
		}
		tcp_psk_wipe(&psk);
		tcp_psk_tls_wipe(&tls);
	}
}

/*
 * [linux-kunit] A generated PSK (TP 8018; the kernel makes it from a DH-HMAC-
 * CHAP session key) with host NQN "hostnqn" and subsystem NQN "subsysnqn":
 * its digest, and the TLS PSK for the version 1 identity. The kernel derives
 * with RFC 8446 labels only.
 */
static void test_linux_kunit(void **state)
{
	static const struct {
		enum tcp_psk_hash hash;
		const char *psk, *digest, *tls_psk;
	} v[] = {
		{ TCP_PSK_HASH_SHA256,
		  "1733c59fa7f48fcf37f5f26fc4ff0268ad4f78e030f4f3b0bfd1d47e7bb1447a",
		  "OldoKuTfKddMuyCznAZojkWD7P4D9/AtzDzLimtOxqI=",
		  "3c17da628474a04d2247c4cab47968c915388193f7c071bd9489cc3666cd7cc8" },
		{ TCP_PSK_HASH_SHA384,
		  "f14b2dd3234c459694d3bc63f8968bd6b37c2c6de849e22e118749001ce4bbe8"
		  "640b9e3a748cb11ce4b1d71d359cce39",
		  "cffMWk8TSS7HOQebjgYEIkrPrjWPV4JE5cdPB8WhEvY4JBW5YynKyv66XscN4A9n",
		  "2774753233537b3fa50eb7d16a8e43457d85f4906c005b2236616c5d80939d08"
		  "98fff15bb8b77119d2be0aac423e7590" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = tcp_psk_hash_len(v[i].hash);
		uint8_t psk[TCP_PSK_MAX_LEN], want[TCP_PSK_MAX_LEN], got[TCP_PSK_MAX_LEN];
		char digest[TCP_PSK_DIGEST_MAX + 1], id[TCP_PSK_IDENTITY_MAX];

		unhex(v[i].psk, psk, len);
		unhex(v[i].tls_psk, want, len);
		assert_int_equal(tcp_psk_digest(v[i].hash, psk, len, "hostnqn", "subsysnqn",
						digest, sizeof(digest)), TCP_PSK_OK);
		assert_string_equal(digest, v[i].digest);
		assert_int_equal(tcp_psk_identity(1, 'G', v[i].hash, "hostnqn", "subsysnqn",
						  digest, id, sizeof(id)), TCP_PSK_OK);
		assert_int_equal(tcp_psk_tls_key(psk, len, id, TCP_PSK_KDF_RFC8446, got),
				 TCP_PSK_OK);
		assert_memory_equal(got, want, len);
		/* the retained-PSK identity has the same context */
		assert_int_equal(tcp_psk_identity(1, 'R', v[i].hash, "hostnqn", "subsysnqn",
						  digest, id, sizeof(id)), TCP_PSK_OK);
		assert_int_equal(tcp_psk_tls_key(psk, len, id, TCP_PSK_KDF_RFC8446, got),
				 TCP_PSK_OK);
		assert_memory_equal(got, want, len);
	}
}

/* ---- Identities ----------------------------------------------------------- */

static void test_identity_build(void **state)
{
#define D256 "iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU="
	char buf[TCP_PSK_IDENTITY_MAX], small[20];
	const char *d256 = D256;

	assert_int_equal(tcp_psk_identity(0, 'R', TCP_PSK_HASH_SHA384, HOST_T, SUB_T, NULL,
					  buf, sizeof(buf)), TCP_PSK_OK);
	assert_string_equal(buf, "NVMe0R02 " HOST_T " " SUB_T);
	assert_int_equal(tcp_psk_identity(1, 'R', TCP_PSK_HASH_SHA256, HOST_T, SUB_T, d256,
					  buf, sizeof(buf)), TCP_PSK_OK);
	assert_string_equal(buf, "NVMe1R01 " HOST_T " " SUB_T " " D256);

	assert_int_equal(tcp_psk_identity(0, 'R', TCP_PSK_HASH_SHA256, HOST_T, SUB_T, NULL,
					  small, sizeof(small)), TCP_PSK_ERR_NOSPACE);
	assert_string_equal(small, "");
	assert_int_equal(tcp_psk_identity(2, 'R', TCP_PSK_HASH_SHA256, HOST_T, SUB_T, NULL,
					  buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_identity(0, 'G', TCP_PSK_HASH_SHA256, HOST_T, SUB_T, NULL,
					  buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_identity(0, 'R', TCP_PSK_HASH_SHA256, HOST_T, SUB_T, d256,
					  buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_identity(1, 'R', TCP_PSK_HASH_SHA256, HOST_T, SUB_T, NULL,
					  buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	/* a SHA-256 digest with hash 02 */
	assert_int_equal(tcp_psk_identity(1, 'R', TCP_PSK_HASH_SHA384, HOST_T, SUB_T, d256,
					  buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_identity(0, 'R', TCP_PSK_HASH_NONE, HOST_T, SUB_T, NULL,
					  buf, sizeof(buf)), TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_identity(0, 'R', TCP_PSK_HASH_SHA256, "a host", SUB_T, NULL,
					  buf, sizeof(buf)), TCP_PSK_ERR_NQN);
	assert_int_equal(tcp_psk_identity(0, 'R', TCP_PSK_HASH_SHA256, HOST_T, "", NULL,
					  buf, sizeof(buf)), TCP_PSK_ERR_NQN);
}

static void test_identity_parse(void **state)
{
	struct tcp_psk_identity id;
	const char *d384 = "QhW2+Rp6RzHlNtCslyRxMnwJ11tKKhz8JCAQpQ+XUD8f9td1VeH5h53yz2wKJG1a";
	const char *d256 = "iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU=";
	static const char *bad[] = {
		"", "NVMe0R01", "NVMe0R01 " HOST_T, "NVMe0R01 " HOST_T " ",
		"NVMe0R01  " HOST_T " " SUB_T, "NVMe0R01 " HOST_T "  " SUB_T,
		"NVMe0R01 " HOST_T " " SUB_T " ", "NVMe0R01 " HOST_T " " SUB_T " x",
		"NVMe0R03 " HOST_T " " SUB_T, "NVMe0R00 " HOST_T " " SUB_T,
		"NVMe2R01 " HOST_T " " SUB_T, "NVMe0X01 " HOST_T " " SUB_T,
		"NVMe0G01 " HOST_T " " SUB_T, "nvme0R01 " HOST_T " " SUB_T,
		"NVMe1R01 " HOST_T " " SUB_T,
		"NVMe1R02 " HOST_T " " SUB_T " iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU=",
		"NVMe1R01 " HOST_T " " SUB_T " iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU",
		"NVMe1R01 " HOST_T " " SUB_T " iSbjiStwJ/1TrTvDlt2fjFmzvsytOJelidNnA+X5lEU= x",
	};

	assert_int_equal(tcp_psk_identity_parse("NVMe0R01 " HOST_S " " SUB_S, &id), TCP_PSK_OK);
	assert_int_equal(id.version, 0);
	assert_int_equal(id.type, 'R');
	assert_int_equal(id.hash, TCP_PSK_HASH_SHA256);
	assert_string_equal(id.hostnqn, HOST_S);
	assert_string_equal(id.subnqn, SUB_S);
	assert_string_equal(id.digest, "");

	assert_int_equal(tcp_psk_identity_parse("NVMe1G02 hostnqn subsysnqn cffMWk8TSS7HOQe"
		"bjgYEIkrPrjWPV4JE5cdPB8WhEvY4JBW5YynKyv66XscN4A9n", &id), TCP_PSK_OK);
	assert_int_equal(id.version, 1);
	assert_int_equal(id.type, 'G');
	assert_int_equal(id.hash, TCP_PSK_HASH_SHA384);
	assert_string_equal(id.hostnqn, "hostnqn");
	assert_string_equal(id.subnqn, "subsysnqn");

	{
		char s[TCP_PSK_IDENTITY_MAX];

		snprintf(s, sizeof(s), "NVMe1R02 %s %s %s", HOST_T, SUB_T, d384);
		assert_int_equal(tcp_psk_identity_parse(s, &id), TCP_PSK_OK);
		assert_string_equal(id.digest, d384);
		snprintf(s, sizeof(s), "NVMe1R01 %s %s %s", HOST_T, SUB_T, d256);
		assert_int_equal(tcp_psk_identity_parse(s, &id), TCP_PSK_OK);
		assert_string_equal(id.digest, d256);
	}

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&id, 0x5A, sizeof(id));
		assert_int_equal(tcp_psk_identity_parse(bad[i], &id), TCP_PSK_ERR_IDENTITY);
		assert_int_equal(id.version, 0);
		assert_string_equal(id.hostnqn, "");
	}
	assert_int_equal(tcp_psk_identity_parse(NULL, &id), TCP_PSK_ERR_INVAL);
}

/* NQNs at the 223-byte limit: version 0 in RFC 8446 mode cannot be encoded. */
static void test_long_nqns(void **state)
{
	char host[NVMF_NQN_MAX_LEN + 2], sub[NVMF_NQN_MAX_LEN + 1];
	struct tcp_psk psk;
	struct tcp_psk_tls tls;
	uint8_t retained[TCP_PSK_MAX_LEN];

	memset(host, 'h', NVMF_NQN_MAX_LEN);
	host[NVMF_NQN_MAX_LEN] = '\0';
	memset(sub, 's', NVMF_NQN_MAX_LEN);
	sub[NVMF_NQN_MAX_LEN] = '\0';
	memcpy(host, "nqn.", 4);
	memcpy(sub, "nqn.", 4);
	assert_int_equal(tcp_psk_parse(KEY_LIBNVME_01, &psk), TCP_PSK_OK);

	assert_int_equal(tcp_psk_derive(&psk, host, sub, 0, TCP_PSK_KDF_RFC8446, &tls),
			 TCP_PSK_ERR_TOOLONG);
	assert_int_equal(tls.len, 0);
	assert_int_equal(tls.identity[0], '\0');
	assert_int_equal(tcp_psk_derive(&psk, host, sub, 1, TCP_PSK_KDF_RFC8446, &tls),
			 TCP_PSK_OK);
	assert_int_equal(strlen(tls.identity), 9 + 223 + 1 + 223 + 1 + 44);
	assert_int_equal(tcp_psk_derive(&psk, host, sub, 0, TCP_PSK_KDF_COMPAT, &tls),
			 TCP_PSK_OK);
	assert_int_equal(strlen(tls.identity), 9 + 223 + 1 + 223);

	/* one byte more is not an NQN */
	host[NVMF_NQN_MAX_LEN] = 'h';
	host[NVMF_NQN_MAX_LEN + 1] = '\0';
	assert_int_equal(tcp_psk_derive(&psk, host, sub, 1, TCP_PSK_KDF_RFC8446, &tls),
			 TCP_PSK_ERR_NQN);
	assert_int_equal(tcp_psk_retained(&psk, host, TCP_PSK_KDF_RFC8446, retained),
			 TCP_PSK_ERR_NQN);
	tcp_psk_wipe(&psk);
	tcp_psk_tls_wipe(&tls);
}

static void test_derive_errors(void **state)
{
	struct tcp_psk psk;
	struct tcp_psk_tls tls;
	uint8_t buf[TCP_PSK_MAX_LEN];
	char digest[TCP_PSK_DIGEST_MAX + 1];

	assert_int_equal(tcp_psk_parse(KEY_LIBNVME_01, &psk), TCP_PSK_OK);
	assert_int_equal(tcp_psk_derive(&psk, HOST_T, SUB_T, 2, TCP_PSK_KDF_RFC8446, &tls),
			 TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_derive(&psk, HOST_T, SUB_T, 0, (enum tcp_psk_kdf)7, &tls),
			 TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_derive(&psk, NULL, SUB_T, 0, TCP_PSK_KDF_RFC8446, &tls),
			 TCP_PSK_ERR_NQN);
	assert_int_equal(tcp_psk_derive(&psk, HOST_T, "a b", 0, TCP_PSK_KDF_RFC8446, &tls),
			 TCP_PSK_ERR_NQN);
	/* a TLS PSK whose length is not the identity hash's */
	assert_int_equal(tcp_psk_tls_key(psk.key, 32, "NVMe0R02 " HOST_T " " SUB_T,
					 TCP_PSK_KDF_RFC8446, buf), TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_tls_key(psk.key, 32, "NVMe0R01 " HOST_T,
					 TCP_PSK_KDF_RFC8446, buf), TCP_PSK_ERR_IDENTITY);
	assert_int_equal(tcp_psk_digest(TCP_PSK_HASH_SHA384, psk.key, 32, HOST_T, SUB_T,
					digest, sizeof(digest)), TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_digest(TCP_PSK_HASH_SHA256, psk.key, 32, HOST_T, SUB_T,
					digest, 44), TCP_PSK_ERR_NOSPACE);
	psk.len = 48;		/* no longer a valid hh 01 key */
	assert_int_equal(tcp_psk_retained(&psk, HOST_T, TCP_PSK_KDF_RFC8446, buf),
			 TCP_PSK_ERR_INVAL);
	assert_int_equal(tcp_psk_cipher_hash(&psk), TCP_PSK_HASH_NONE);
	tcp_psk_wipe(&psk);
}

static void test_strerror(void **state)
{
	for (int e = TCP_PSK_ERR_CRYPTO; e <= TCP_PSK_OK; e++) {
		const char *m = tcp_psk_strerror(e);

		assert_non_null(m);
		assert_string_not_equal(m, "unknown PSK error");
		for (int f = e + 1; f <= TCP_PSK_OK; f++)
			assert_string_not_equal(m, tcp_psk_strerror(f));
	}
	assert_string_equal(tcp_psk_strerror(-100), "unknown PSK error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_interchange_libnvme),
		cmocka_unit_test(test_interchange_nvme_cli),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_identity_v1_libnvme),
		cmocka_unit_test(test_derive_nvme_cli),
		cmocka_unit_test(test_linux_kunit),
		cmocka_unit_test(test_identity_build),
		cmocka_unit_test(test_identity_parse),
		cmocka_unit_test(test_long_nqns),
		cmocka_unit_test(test_derive_errors),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
