/*
 * DH-HMAC-CHAP secrets: the "DHHC-1" representation, generating one, and
 * the transformed secret the responses are keyed with.
 *
 * Internal to libnvmf (prefix auth_), OpenSSL builds only. Definitions
 * (NVMe Base 2.0 8.13.5, the DH-HMAC-CHAP secret representation) checked
 * against Linux drivers/nvme/common/auth.c (nvme_auth_parse_key,
 * nvme_auth_extract_key, nvme_auth_transform_key), libnvme
 * (nvme_gen_dhchap_key) and nvme-cli 2.3, 2.13 and 2.16 (gen-dhchap-key,
 * check-dhchap-key), which the unit test runs against:
 *
 *   text        "DHHC-1:" hh ":" Base64(key || CRC-32(key) as LE32) ":"
 *               hh two digits; Base64 with padding; CRC-32 the IEEE 802.3
 *               one (zlib's crc32()).
 *   hh, length  00 no transformation, 32, 48 or 64 bytes; 01 SHA-256, 32;
 *               02 SHA-384, 48; 03 SHA-512, 64. This is what nvme-cli's
 *               check-dhchap-key accepts ("Invalid key length for
 *               SHA(256)" otherwise) and what gen-dhchap-key makes. Linux
 *               and SPDK are laxer: they take 32, 48 or 64 bytes with any
 *               hh; a secret outside the table above is refused here.
 *   transform   hh 00: the key itself. Else, with hh's hash H,
 *               HMAC-H(key, NQN || "NVMe-over-Fabrics"): the NQN's bytes
 *               without its NUL, then those 17 characters (Linux
 *               nvme_auth_transform_key). The host's secret is transformed
 *               with the host NQN, the controller's with the subsystem NQN.
 *               Its length is H's, which with the table above is the key's.
 *   generate    nvme-cli gen-dhchap-key [--secret=HEX] [--key-length=N]
 *               [--hmac=hh] [--nqn=NQN]: the secret is --secret (exactly N
 *               bytes of hex, either case) or N random bytes; N defaults to
 *               32 for hh 00 and H's length otherwise, and must fit the
 *               table. For hh 00 the key is the secret; for hh != 00 the
 *               key printed is ALREADY TRANSFORMED once with --nqn (default
 *               the host's /etc/nvme/hostnqn) - and is transformed again
 *               when used. auth_secret_generate() reproduces this.
 *
 * Keys are wiped (OPENSSL_cleanse) before their buffers are released, on
 * error paths too; failing calls leave no partial key in their outputs.
 * Nothing prints, and auth_strerror() never contains key material.
 */
#ifndef NVMF_AUTH_AUTH_SECRET_H
#define NVMF_AUTH_AUTH_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

#define AUTH_SECRET_MAX_LEN 64
/* "DHHC-1:hh:" + Base64 of 68 bytes (92 characters) + ":" + NUL */
#define AUTH_SECRET_TEXT_MAX (10 + 92 + 1 + 1)

/* A secret as the DHHC-1 text carries it. */
struct auth_secret {
	uint8_t hash;			/* hh: enum auth_hash */
	size_t  len;			/* 32, 48 or 64 */
	uint8_t key[AUTH_SECRET_MAX_LEN];
};

/* Wipe a secret; the struct is all zeroes afterwards. */
void auth_secret_wipe(struct auth_secret *s);

/* Whether hh and length agree with the table above. */
bool auth_secret_valid(const struct auth_secret *s);

/*
 * Parse a DHHC-1 secret. The string must be exactly the secret (no
 * surrounding white space or line end). Returns 0, or the first error in
 * the order prefix, hash id, closing ':', trailing characters, Base64,
 * length, CRC. On failure *out is zeroed.
 */
int auth_secret_parse(const char *text, struct auth_secret *out);

/* Write a secret as DHHC-1 text; buf needs AUTH_SECRET_TEXT_MAX bytes. */
int auth_secret_format(const struct auth_secret *s, char *buf, size_t size);

/*
 * Read a secret given in hexadecimal (gen-dhchap-key --secret): exactly
 * 2 * len digits, upper or lower case, nothing else. AUTH_ERR_HEX otherwise;
 * out is zeroed on failure.
 */
int auth_secret_from_hex(const char *hex, size_t len, uint8_t *out);

/*
 * Make a secret as gen-dhchap-key does. hash is hh (00..03); len is 0 for
 * the default (32 for hh 00, else the hash's length) or 32/48/64 as the
 * table allows; raw is the secret's len bytes (--secret) or NULL for
 * random ones. For hh != 00 the key is HMAC-hh(raw, nqn ||
 * "NVMe-over-Fabrics"), the transformation nvme-cli applies: nqn is then
 * required for a given raw secret (AUTH_ERR_NQN without it); for a random
 * one it may be NULL, and the random bytes are the key.
 */
int auth_secret_generate(uint8_t hash, size_t len, const uint8_t *raw,
			 const char *nqn, struct auth_secret *out);

/*
 * The transformed secret for an NQN (the host's for the host secret, the
 * subsystem's for the controller secret): *out_len bytes into out (which
 * has AUTH_SECRET_MAX_LEN), the key itself for hh 00.
 */
int auth_secret_transform(const struct auth_secret *s, const char *nqn,
			  uint8_t *out, size_t *out_len);

#endif /* NVMF_AUTH_AUTH_SECRET_H */
