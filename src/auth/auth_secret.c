/*
 * DH-HMAC-CHAP secrets (see auth_secret.h for the format and where the
 * rules come from). The text itself (Base64, CRC-32) is src/keyfmt's, which
 * the TLS PSKs of src/tcp share.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/auth_crypto.h"
#include "auth/auth_secret.h"
#include "keyfmt/keyfmt.h"

/* The 17 characters that end the transformation's HMAC input. */
#define TRANSFORM_SEED    "NVMe-over-Fabrics"

void auth_secret_wipe(struct auth_secret *s)
{
	if (s)
		OPENSSL_cleanse(s, sizeof(*s));
}

static bool length_ok(uint8_t hash, size_t len)
{
	if (hash == AUTH_HASH_NONE)
		return len == 32 || len == 48 || len == 64;
	return auth_hash_len(hash) != 0 && len == auth_hash_len(hash);
}

bool auth_secret_valid(const struct auth_secret *s)
{
	return s && length_ok(s->hash, s->len);
}

/* NVMe Base 2.0 8.13.5: "DHHC-1:" hh 00 to 03. */
static const struct keyfmt_spec secret_fmt = {
	.prefix = "DHHC-1:",
	.max_hash = AUTH_HASH_SHA512,
	.length_ok = length_ok,
};

_Static_assert(KEYFMT_KEY_MAX >= AUTH_SECRET_MAX_LEN, "keyfmt holds a secret");
_Static_assert((int)KEYFMT_ERR_PREFIX == AUTH_ERR_PREFIX &&
	       (int)KEYFMT_ERR_HASH == AUTH_ERR_HASH_ID &&
	       (int)KEYFMT_ERR_TRUNCATED == AUTH_ERR_TRUNCATED &&
	       (int)KEYFMT_ERR_BASE64 == AUTH_ERR_BASE64 &&
	       (int)KEYFMT_ERR_LENGTH == AUTH_ERR_LENGTH &&
	       (int)KEYFMT_ERR_CRC == AUTH_ERR_CRC &&
	       (int)KEYFMT_ERR_TRAILING == AUTH_ERR_TRAILING,
	       "keyfmt's errors are auth's");

static bool nqn_ok(const char *nqn)
{
	size_t len;

	if (!nqn)
		return false;
	len = strlen(nqn);
	return len > 0 && len <= NVMF_NQN_MAX_LEN;
}

/* ---- The DHHC-1 text ------------------------------------------------------- */

int auth_secret_parse(const char *text, struct auth_secret *out)
{
	if (!out)
		return AUTH_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (!text)
		return AUTH_ERR_INVAL;
	/* enum keyfmt_err has enum auth_err's values */
	return keyfmt_parse(&secret_fmt, text, &out->hash, out->key, &out->len);
}

int auth_secret_format(const struct auth_secret *s, char *buf, size_t size)
{
	if (!buf || !auth_secret_valid(s))
		return AUTH_ERR_INVAL;
	if (size < AUTH_SECRET_TEXT_MAX)
		return AUTH_ERR_NOSPACE;
	keyfmt_format(&secret_fmt, s->hash, s->key, s->len, buf);
	return AUTH_OK;
}

/* ---- Generating ------------------------------------------------------------ */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int auth_secret_from_hex(const char *hex, size_t len, uint8_t *out)
{
	if (!hex || !out || len == 0 || len > AUTH_SECRET_MAX_LEN)
		return AUTH_ERR_INVAL;
	if (strlen(hex) != 2 * len) {
		OPENSSL_cleanse(out, len);
		return AUTH_ERR_HEX;
	}
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			OPENSSL_cleanse(out, len);
			return AUTH_ERR_HEX;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return AUTH_OK;
}

/* HMAC-hash(key, nqn || "NVMe-over-Fabrics"), auth_hash_len(hash) bytes. */
static int transform(uint8_t hash, const uint8_t *key, size_t len,
		     const char *nqn, uint8_t *out)
{
	const struct auth_piece in[] = {
		{ nqn, strlen(nqn) },
		{ TRANSFORM_SEED, sizeof(TRANSFORM_SEED) - 1 },
	};

	return auth_hmac(hash, key, len, in, 2, out);
}

int auth_secret_generate(uint8_t hash, size_t len, const uint8_t *raw,
			 const char *nqn, struct auth_secret *out)
{
	uint8_t rnd[AUTH_SECRET_MAX_LEN];
	const uint8_t *secret = raw;
	int err = AUTH_OK;

	if (!out)
		return AUTH_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (hash > AUTH_HASH_SHA512)
		return AUTH_ERR_HASH_ID;
	if (len == 0)
		len = hash == AUTH_HASH_NONE ? 32 : auth_hash_len(hash);
	if (!length_ok(hash, len))
		return AUTH_ERR_LENGTH;
	if (nqn && !nqn_ok(nqn))
		return AUTH_ERR_NQN;
	if (raw && hash != AUTH_HASH_NONE && !nqn)
		return AUTH_ERR_NQN;

	if (!raw) {
		if (RAND_bytes(rnd, (int)len) != 1) {
			err = AUTH_ERR_CRYPTO;
			goto out;
		}
		secret = rnd;
	}
	if (hash == AUTH_HASH_NONE || !nqn)
		memcpy(out->key, secret, len);
	else
		err = transform(hash, secret, len, nqn, out->key);
	if (!err) {
		out->hash = hash;
		out->len = len;
	}
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (err)
		auth_secret_wipe(out);
	return err;
}

int auth_secret_transform(const struct auth_secret *s, const char *nqn,
			  uint8_t *out, size_t *out_len)
{
	int err;

	if (!auth_secret_valid(s) || !out || !out_len)
		return AUTH_ERR_INVAL;
	if (!nqn_ok(nqn))
		return AUTH_ERR_NQN;
	if (s->hash == AUTH_HASH_NONE) {
		memcpy(out, s->key, s->len);
		*out_len = s->len;
		return AUTH_OK;
	}
	err = transform(s->hash, s->key, s->len, nqn, out);
	if (err) {
		OPENSSL_cleanse(out, AUTH_SECRET_MAX_LEN);
		return err;
	}
	*out_len = auth_hash_len(s->hash);
	return AUTH_OK;
}
