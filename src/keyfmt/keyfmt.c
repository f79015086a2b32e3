/*
 * The NVMe text form of a secret (see keyfmt.h for the layout and its two
 * users).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "keyfmt/keyfmt.h"

/* No key of either user comes near this many Base64 characters. */
#define B64_MAX (4 * KEYFMT_KEY_MAX)

uint32_t keyfmt_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xFFFFFFFFu;

	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* ---- Base64 (RFC 4648 section 4, with padding) ---------------------------- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t keyfmt_b64_encode(const uint8_t *in, size_t len, char *out)
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

int keyfmt_b64_decode(const char *in, size_t len, uint8_t *out, size_t size)
{
	size_t o = 0;

	if (len == 0 || len % 4 != 0 || len > B64_MAX)
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

/* ---- The text --------------------------------------------------------------- */

static int parse(const struct keyfmt_spec *spec, const char *text,
		 uint8_t *hh, uint8_t *raw, size_t *len)
{
	size_t plen = strlen(spec->prefix), b64_len, klen;
	const char *b64, *end;
	uint32_t crc;
	int n;

	if (strncmp(text, spec->prefix, plen) != 0)
		return KEYFMT_ERR_PREFIX;
	text += plen;

	/* hh: both nvme-cli and libnvme print "%02x"; no id reaches 10 */
	if (text[0] != '0' || text[1] < '0' || text[1] > '0' + spec->max_hash ||
	    text[2] != ':')
		return KEYFMT_ERR_HASH;
	*hh = (uint8_t)(text[1] - '0');

	b64 = text + 3;
	end = strchr(b64, ':');
	if (!end)
		return KEYFMT_ERR_TRUNCATED;
	if (end[1] != '\0')
		return KEYFMT_ERR_TRAILING;
	b64_len = (size_t)(end - b64);

	/* an empty key is valid Base64 of nothing: a length error */
	if (b64_len == 0)
		return KEYFMT_ERR_LENGTH;
	n = keyfmt_b64_decode(b64, b64_len, NULL, 0);
	if (n < 0) {
		/* too long to be any key is a length error, not a Base64 one */
		return b64_len > B64_MAX && b64_len % 4 == 0 ? KEYFMT_ERR_LENGTH :
							       KEYFMT_ERR_BASE64;
	}
	if ((size_t)n < KEYFMT_CRC_LEN + 1)
		return KEYFMT_ERR_LENGTH;
	klen = (size_t)n - KEYFMT_CRC_LEN;
	if (klen > KEYFMT_KEY_MAX || !spec->length_ok(*hh, klen))
		return KEYFMT_ERR_LENGTH;
	if (keyfmt_b64_decode(b64, b64_len, raw, KEYFMT_KEY_MAX + KEYFMT_CRC_LEN) != n)
		return KEYFMT_ERR_BASE64;
	crc = (uint32_t)raw[klen] | (uint32_t)raw[klen + 1] << 8 |
	      (uint32_t)raw[klen + 2] << 16 | (uint32_t)raw[klen + 3] << 24;
	if (crc != keyfmt_crc32(raw, klen))
		return KEYFMT_ERR_CRC;
	*len = klen;
	return KEYFMT_OK;
}

int keyfmt_parse(const struct keyfmt_spec *spec, const char *text,
		 uint8_t *hh, uint8_t *key, size_t *len)
{
	uint8_t raw[KEYFMT_KEY_MAX + KEYFMT_CRC_LEN];
	int err;

	*hh = 0;
	*len = 0;
	err = parse(spec, text, hh, raw, len);
	if (err == KEYFMT_OK)
		memcpy(key, raw, *len);
	else
		*hh = 0;
	OPENSSL_cleanse(raw, sizeof(raw));
	return err;
}

size_t keyfmt_format(const struct keyfmt_spec *spec, uint8_t hh,
		     const uint8_t *key, size_t len, char *buf)
{
	uint8_t raw[KEYFMT_KEY_MAX + KEYFMT_CRC_LEN];
	uint32_t crc = keyfmt_crc32(key, len);
	size_t o = strlen(spec->prefix);

	memcpy(raw, key, len);
	raw[len + 0] = (uint8_t)crc;
	raw[len + 1] = (uint8_t)(crc >> 8);
	raw[len + 2] = (uint8_t)(crc >> 16);
	raw[len + 3] = (uint8_t)(crc >> 24);

	memcpy(buf, spec->prefix, o);
	buf[o++] = '0';
	buf[o++] = (char)('0' + hh);
	buf[o++] = ':';
	o += keyfmt_b64_encode(raw, len + KEYFMT_CRC_LEN, buf + o);
	buf[o++] = ':';
	buf[o] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return o;
}
