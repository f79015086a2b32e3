/*
 * DH-HMAC-CHAP secrets (see auth_secret.h for the format and where the
 * rules come from). The Base64 and CRC-32 here are the same algorithms as
 * src/tcp/tls_psk.c's; src/auth does not call into src/tcp (it sits beside
 * the transports, not on them), so it carries its own small copies.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/auth_crypto.h"
#include "auth/auth_secret.h"

#define SECRET_PREFIX     "DHHC-1:"
#define SECRET_PREFIX_LEN (sizeof(SECRET_PREFIX) - 1)
#define SECRET_CRC_LEN    4
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

uint32_t auth_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xFFFFFFFFu;

	/* Bitwise: it only ever sees a key of at most 64 bytes. */
	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static bool nqn_ok(const char *nqn)
{
	size_t len;

	if (!nqn)
		return false;
	len = strlen(nqn);
	return len > 0 && len <= NVMF_NQN_MAX_LEN;
}

/* ---- Base64 (RFC 4648 section 4, with padding) ---------------------------- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encodes len bytes into out: 4 * ceil(len / 3) characters, then a NUL. */
static size_t b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		size_t n = len - i;
		uint32_t v = (uint32_t)in[i] << 16 |
			     (n > 1 ? (uint32_t)in[i + 1] << 8 : 0) |
			     (n > 2 ? (uint32_t)in[i + 2] : 0);

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = n > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = n > 2 ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

/*
 * Canonical Base64 only: whole groups of four characters, '=' only as the
 * last one or two, and the bits padding drops must be zero, so that a key
 * has exactly one text. Returns the byte count, or -1. With out NULL it
 * only validates and counts.
 */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t size)
{
	size_t o = 0;

	if (len == 0 || len % 4 != 0 || len > 4 * 64)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		unsigned pad = 0;
		uint32_t w = 0;

		for (size_t k = 0; k < 4; k++) {
			char c = in[i + k];
			int v;

			if (c == '=' && last && k >= 2) {
				pad++;
				w <<= 6;
				continue;
			}
			v = pad ? -1 : b64_value(c);	/* nothing after '=' */
			if (v < 0)
				return -1;
			w = w << 6 | (uint32_t)v;
		}
		if ((pad == 1 && (w & 0xFF)) || (pad == 2 && (w & 0xFFFF)))
			return -1;
		if (out) {
			if (o + 3 - pad > size)
				return -1;
			out[o] = (uint8_t)(w >> 16);
			if (pad < 2)
				out[o + 1] = (uint8_t)(w >> 8);
			if (pad < 1)
				out[o + 2] = (uint8_t)w;
		}
		o += 3 - pad;
	}
	return (int)o;
}

/* ---- The DHHC-1 text ------------------------------------------------------- */

int auth_secret_parse(const char *text, struct auth_secret *out)
{
	uint8_t raw[AUTH_SECRET_MAX_LEN + SECRET_CRC_LEN];
	const char *b64, *end;
	size_t b64_len, klen;
	uint8_t hash;
	int n, err;

	if (!out)
		return AUTH_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (!text)
		return AUTH_ERR_INVAL;

	if (strncmp(text, SECRET_PREFIX, SECRET_PREFIX_LEN) != 0)
		return AUTH_ERR_PREFIX;
	text += SECRET_PREFIX_LEN;

	/* hh: nvme-cli prints "%02x"; only 00..03 are defined */
	if (text[0] != '0' || text[1] < '0' || text[1] > '3' || text[2] != ':')
		return AUTH_ERR_HASH_ID;
	hash = (uint8_t)(text[1] - '0');

	b64 = text + 3;
	end = strchr(b64, ':');
	if (!end)
		return AUTH_ERR_TRUNCATED;
	if (end[1] != '\0')
		return AUTH_ERR_TRAILING;
	b64_len = (size_t)(end - b64);

	/* an empty key is valid Base64 of nothing: a length error */
	if (b64_len == 0)
		return AUTH_ERR_LENGTH;
	n = b64_decode(b64, b64_len, NULL, 0);
	if (n < 0) {
		/* too long to be any key is a length error, not a Base64 one */
		return b64_len > 4 * 64 && b64_len % 4 == 0 ? AUTH_ERR_LENGTH :
							      AUTH_ERR_BASE64;
	}
	if ((size_t)n < SECRET_CRC_LEN + 1)
		return AUTH_ERR_LENGTH;
	klen = (size_t)n - SECRET_CRC_LEN;
	if (!length_ok(hash, klen))
		return AUTH_ERR_LENGTH;
	if (b64_decode(b64, b64_len, raw, sizeof(raw)) != n) {
		err = AUTH_ERR_BASE64;
		goto fail;
	}
	if (nvmf_get_le32(raw + klen) != auth_crc32(raw, klen)) {
		err = AUTH_ERR_CRC;
		goto fail;
	}
	out->hash = hash;
	out->len = klen;
	memcpy(out->key, raw, klen);
	OPENSSL_cleanse(raw, sizeof(raw));
	return AUTH_OK;
fail:
	OPENSSL_cleanse(raw, sizeof(raw));
	return err;
}

int auth_secret_format(const struct auth_secret *s, char *buf, size_t size)
{
	uint8_t raw[AUTH_SECRET_MAX_LEN + SECRET_CRC_LEN];
	char tmp[AUTH_SECRET_TEXT_MAX];
	size_t o;

	if (!buf || !auth_secret_valid(s))
		return AUTH_ERR_INVAL;
	if (size < AUTH_SECRET_TEXT_MAX)
		return AUTH_ERR_NOSPACE;

	memcpy(raw, s->key, s->len);
	nvmf_put_le32(raw + s->len, auth_crc32(s->key, s->len));
	memcpy(tmp, SECRET_PREFIX, SECRET_PREFIX_LEN);
	o = SECRET_PREFIX_LEN;
	tmp[o++] = '0';
	tmp[o++] = (char)('0' + s->hash);
	tmp[o++] = ':';
	o += b64_encode(raw, s->len + SECRET_CRC_LEN, tmp + o);
	tmp[o++] = ':';
	tmp[o] = '\0';
	memcpy(buf, tmp, o + 1);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(tmp, sizeof(tmp));
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
