/*
 * The text form NVMe gives a secret so that people and tools can hand it
 * over: prefix, a two-digit hash id, the key and its CRC-32 in Base64.
 *
 *   prefix "hh:" Base64(key || CRC-32(key) as LE32) ":"
 *
 * Two users, one layout:
 *   DH-HMAC-CHAP secrets, prefix "DHHC-1:" (NVMe Base 2.0 8.13.5, the
 *     secret representation; src/auth/auth_secret.c);
 *   NVMe/TCP TLS PSKs, prefix "NVMeTLSkey-1:" (NVMe TCP Transport 1.0
 *     3.6.1.5, the PSK interchange format; src/tcp/tls_psk.c).
 * Each user says which hash ids and key lengths it takes; the rest (the
 * Base64, the CRC, the order in which errors are reported) is here, so that
 * both read a damaged key the same way.
 *
 * Internal to libnvmf (prefix keyfmt_), compiled with OpenSSL only (it
 * wipes with OPENSSL_cleanse). It sits below src/auth and src/tcp and calls
 * neither. The Base64 is RFC 4648 section 4 with padding, canonical only:
 * a key has exactly one text. The CRC-32 is the IEEE 802.3 one (reflected
 * 0xEDB88320, zlib's crc32()).
 */
#ifndef NVMF_KEYFMT_KEYFMT_H
#define NVMF_KEYFMT_KEYFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Errors, negative. The values are those of enum auth_err and enum
 * tcp_psk_err for the same conditions (both headers check it), so that a
 * user returns them unchanged.
 */
enum keyfmt_err {
	KEYFMT_OK            = 0,
	KEYFMT_ERR_PREFIX    = -1,	/* does not start with the prefix */
	KEYFMT_ERR_HASH      = -2,	/* hh not two digits, or above the most */
	KEYFMT_ERR_TRUNCATED = -3,	/* no ':' after the key */
	KEYFMT_ERR_BASE64    = -4,	/* the key is not canonical Base64 */
	KEYFMT_ERR_LENGTH    = -5,	/* key length wrong for its hh */
	KEYFMT_ERR_CRC       = -6,	/* CRC-32 does not match the key */
	KEYFMT_ERR_TRAILING  = -7,	/* characters after the closing ':' */
};

/* The longest key either user has (a SHA-512 DH-HMAC-CHAP secret). */
#define KEYFMT_KEY_MAX   64
#define KEYFMT_CRC_LEN   4

/* What one user of the format takes. */
struct keyfmt_spec {
	const char *prefix;		/* "DHHC-1:", "NVMeTLSkey-1:" */
	uint8_t     max_hash;		/* hh from 00 to this */
	/* Whether a key of len bytes may have hash id hh. */
	bool      (*length_ok)(uint8_t hh, size_t len);
};

/* Base64 of len bytes into out: 4 * ceil(len / 3) characters, then a NUL.
 * Returns the characters written without the NUL. */
size_t keyfmt_b64_encode(const uint8_t *in, size_t len, char *out);

/*
 * Decode len characters of canonical Base64 only: whole groups of four,
 * '=' only as the last one or two, and the bits padding drops zero, so that
 * a key has exactly one text; at most 4 * KEYFMT_KEY_MAX characters.
 * Returns the byte count, or -1 (invalid, or more than size bytes). With
 * out NULL it only validates and counts.
 */
int keyfmt_b64_decode(const char *in, size_t len, uint8_t *out, size_t size);

/* CRC-32 of buf (bitwise: it only ever sees a key). */
uint32_t keyfmt_crc32(const void *buf, size_t len);

/*
 * Parse text, which must be exactly the key (no white space or line end
 * around it). On success *hh is its hash id, key[0..*len) the key
 * (key has KEYFMT_KEY_MAX bytes). Otherwise the first error in the order
 * prefix, hash id, closing ':', trailing characters, Base64, length, CRC,
 * and *hh, *len and key are zeroed.
 */
int keyfmt_parse(const struct keyfmt_spec *spec, const char *text,
		 uint8_t *hh, uint8_t *key, size_t *len);

/*
 * Write key (len bytes, at most KEYFMT_KEY_MAX) with hash id hh as text
 * into buf: strlen(prefix) + 4 + 4 * ceil((len + 4) / 3) bytes with the
 * NUL. Returns the length written without the NUL. The caller checks hh,
 * len and the size of buf first.
 */
size_t keyfmt_format(const struct keyfmt_spec *spec, uint8_t hh,
		     const uint8_t *key, size_t len, char *buf);

#endif
