/*
 * NVMe/TCP TLS pre-shared keys: the PSK interchange format, the retained PSK,
 * the PSK digest, PSK identities and the TLS PSK handed to TLS 1.3.
 *
 * Internal to libnvmf (prefix tcp_psk_), compiled only with OpenSSL
 * (NVMF_WITH_TLS). It does no I/O and knows nothing of sockets: the TLS
 * layer and the tools call it.
 *
 * Where the definitions come from (NVMe TCP Transport Specification 1.0/1.1,
 * 3.6.1.3 and 3.6.1.4, as TP 8011 and TP 8018 wrote them; RFC 5869 HKDF;
 * RFC 8446 7.1 HKDF-Expand-Label), checked against Linux
 * drivers/nvme/common/auth.c (nvme_auth_generate_digest,
 * nvme_auth_derive_tls_psk), libnvme src/nvme/linux.c (derive_retained_key,
 * derive_psk_digest, derive_tls_key, gen_tls_identity, the
 * export/import_tls_key functions) and SPDK include/spdk_internal/nvme_tcp.h:
 *
 *   interchange  "NVMeTLSkey-1:" hh ":" Base64(PSK || CRC-32(PSK) as LE32) ":"
 *                hh: 00 the configured PSK is the retained PSK (32 or 48
 *                bytes), 01 transform with SHA-256 (32 bytes), 02 with
 *                SHA-384 (48 bytes). CRC-32 is the IEEE 802.3 one (zlib's).
 *   retained     hh 00: the configured PSK itself; else, with hh's hash,
 *                PRK = HKDF-Extract(0, configured PSK),
 *                retained = HKDF-Expand-Label(PRK, "HostNQN", NQNh, len).
 *   digest       Base64(HMAC(retained, NQNh " " NQNc " NVMe-over-Fabrics"))
 *                with the cipher suite's hash: 44 or 64 characters.
 *   identity     version 0: "NVMe0R" hh " " NQNh " " NQNc
 *                version 1: "NVMe1R" hh " " NQNh " " NQNc " " digest
 *                (TP 8018 generated PSKs: "NVMe1G" hh ...). hh here is the
 *                cipher suite's hash: 01 TLS_AES_128_GCM_SHA256, 02
 *                TLS_AES_256_GCM_SHA384; for an interchange hh of 00 it
 *                follows the key's length.
 *   TLS PSK      PRK = HKDF-Extract(0, retained or generated PSK),
 *                TLS PSK = HKDF-Expand-Label(PRK, "nvme-tls-psk", context, len)
 *                where context is the whole identity for version 0 and
 *                hh " " digest for version 1.
 *
 * Two encodings of HKDF-Expand-Label's info are in use (enum tcp_psk_kdf):
 * RFC 8446's HkdfLabel (Linux's nvme_auth_derive_tls_psk, SPDK, nvme-cli 2.16
 * with libnvme 1.16) and the one libnvme used before it was fixed in 2025
 * (nvme-cli 2.13 with libnvme 1.13, as Debian 13 ships them; nvme-cli 2.16's
 * --compat). They give different retained PSKs, digests and TLS PSKs; see
 * tcp_psk_kdf.
 *
 * Keys: every buffer that held key material is wiped (OPENSSL_cleanse)
 * before it is released, error paths included; on failure the outputs hold
 * no partial key. No function prints, and tcp_psk_strerror() messages never
 * contain key material.
 */
#ifndef NVMF_TCP_TLS_PSK_H
#define NVMF_TCP_TLS_PSK_H

#include <stddef.h>
#include <stdint.h>

#include <nvmf/nvme.h>

/* The interchange format's hh and the identity's hh (same numbering). */
enum tcp_psk_hash {
	TCP_PSK_HASH_NONE   = 0,	/* interchange only: no transform */
	TCP_PSK_HASH_SHA256 = 1,
	TCP_PSK_HASH_SHA384 = 2,
};

/*
 * How HKDF-Expand-Label's info is laid out.
 *
 * TCP_PSK_KDF_RFC8446: RFC 8446 7.1 HkdfLabel, as the specification says:
 *   uint16 length (big-endian) | uint8 len | "tls13 " label | uint8 len | context
 * TCP_PSK_KDF_COMPAT: what libnvme 1.13 computes (nvme-cli 2.13; nvme-cli
 *   2.16's --compat):
 *   uint16 length (little-endian) | "tls13 " label | context   (no length bytes)
 * Keys that such an nvme-cli put in a kernel keyring, and so what a Linux peer
 * configured that way uses, are the COMPAT ones.
 */
enum tcp_psk_kdf {
	TCP_PSK_KDF_RFC8446 = 0,
	TCP_PSK_KDF_COMPAT  = 1,
};

/* Errors: negative, distinct, not errno values. tcp_psk_strerror() names them. */
enum tcp_psk_err {
	TCP_PSK_OK = 0,
	TCP_PSK_ERR_PREFIX    = -1,	/* does not start with "NVMeTLSkey-1:" */
	TCP_PSK_ERR_HASH      = -2,	/* hash id not 00, 01 or 02 */
	TCP_PSK_ERR_TRUNCATED = -3,	/* no ':' after the key */
	TCP_PSK_ERR_BASE64    = -4,	/* the key is not valid Base64 */
	TCP_PSK_ERR_LENGTH    = -5,	/* key length wrong for the hash id */
	TCP_PSK_ERR_CRC       = -6,	/* CRC-32 does not match the key */
	TCP_PSK_ERR_TRAILING  = -7,	/* characters after the closing ':' */
	TCP_PSK_ERR_INVAL     = -8,	/* bad argument (NULL, version, ...) */
	TCP_PSK_ERR_NQN       = -9,	/* NQN empty, too long, or has a space */
	TCP_PSK_ERR_TOOLONG   = -10,	/* context too long for an HkdfLabel (255) */
	TCP_PSK_ERR_IDENTITY  = -11,	/* not a valid NVMe PSK identity */
	TCP_PSK_ERR_NOSPACE   = -12,	/* output buffer too small */
	TCP_PSK_ERR_CRYPTO    = -13,	/* OpenSSL failed (RNG, HMAC, HKDF) */
};

/* A fixed string for the error; it never contains key material. */
const char *tcp_psk_strerror(int err);

#define TCP_PSK_MAX_LEN        48	/* bytes of a SHA-384 PSK */
#define TCP_PSK_DIGEST_MAX     64	/* Base64 of a SHA-384 HMAC */
/* "NVMeTLSkey-1:hh:" + Base64 of 52 bytes + ":" + NUL */
#define TCP_PSK_INTERCHANGE_MAX (16 + 72 + 1 + 1)
/* "NVMe1R02 " NQNh " " NQNc " " digest NUL */
#define TCP_PSK_IDENTITY_MAX   (9 + NVMF_NQN_MAX_LEN + 1 + NVMF_NQN_MAX_LEN + 1 + \
				TCP_PSK_DIGEST_MAX + 1)

/* A configured PSK as the interchange format carries it. */
struct tcp_psk {
	enum tcp_psk_hash hash;		/* hh: how it becomes the retained PSK */
	size_t  len;			/* 32 or 48 */
	uint8_t key[TCP_PSK_MAX_LEN];
};

/* Wipe a key (OPENSSL_cleanse); the struct is all zeroes afterwards. */
void tcp_psk_wipe(struct tcp_psk *psk);

/* Bytes of a PSK for a hash: 32 for SHA-256, 48 for SHA-384, 0 otherwise. */
size_t tcp_psk_hash_len(enum tcp_psk_hash hash);

/*
 * The hash of the cipher suite a configured PSK goes with (the identity's
 * hh): its own hh, or for hh 00 the one its length implies. NONE if the
 * struct is not a valid PSK.
 */
enum tcp_psk_hash tcp_psk_cipher_hash(const struct tcp_psk *psk);

/*
 * Parse an interchange key. The string must be exactly the key: no
 * surrounding white space or line end (the caller strips those). Returns 0,
 * or the first error met, in the order prefix, hash id, closing ':',
 * trailing characters, Base64, length, CRC. On failure *out is zeroed.
 */
int tcp_psk_parse(const char *text, struct tcp_psk *out);

/* Write psk in the interchange format; buf needs TCP_PSK_INTERCHANGE_MAX. */
int tcp_psk_format(const struct tcp_psk *psk, char *buf, size_t size);

/*
 * A new random key (OpenSSL RAND_bytes) with hash id hash; len 0 means the
 * hash's length, and for TCP_PSK_HASH_NONE 32 or 48 must be given.
 */
int tcp_psk_generate(enum tcp_psk_hash hash, size_t len, struct tcp_psk *out);

/*
 * The retained PSK (configured->len bytes) for a host NQN: a copy of the key
 * for hh 00, else HKDF with hh's hash.
 */
int tcp_psk_retained(const struct tcp_psk *configured, const char *hostnqn,
		     enum tcp_psk_kdf kdf, uint8_t *retained);

/*
 * The PSK digest of a retained (or generated) PSK of len bytes, with hash
 * (the cipher suite's, SHA-256 or SHA-384): NUL-terminated Base64, 44 or 64
 * characters, into digest (size >= TCP_PSK_DIGEST_MAX + 1).
 */
int tcp_psk_digest(enum tcp_psk_hash hash, const uint8_t *psk, size_t len,
		   const char *hostnqn, const char *subnqn, char *digest, size_t size);

/*
 * A PSK identity. type is 'R' (retained PSK) or 'G' (TP 8018 generated PSK,
 * version 1 only); hash is the cipher suite's; digest is needed for version
 * 1 and must be NULL for version 0.
 */
int tcp_psk_identity(int version, char type, enum tcp_psk_hash hash,
		     const char *hostnqn, const char *subnqn, const char *digest,
		     char *buf, size_t size);

struct tcp_psk_identity {
	int  version;			/* 0 or 1 */
	char type;			/* 'R' or 'G' */
	enum tcp_psk_hash hash;		/* SHA256 or SHA384 */
	char hostnqn[NVMF_NQN_MAX_LEN + 1];
	char subnqn[NVMF_NQN_MAX_LEN + 1];
	char digest[TCP_PSK_DIGEST_MAX + 1];	/* "" for version 0 */
};

/* Split an identity (as a TLS peer sends it) into its fields. */
int tcp_psk_identity_parse(const char *identity, struct tcp_psk_identity *out);

/*
 * The TLS PSK (len bytes) for an identity from the input PSK (retained or
 * generated) it names. len must be the identity hash's length. In RFC 8446
 * mode a version 0 identity longer than 255 bytes cannot be encoded
 * (TCP_PSK_ERR_TOOLONG): NQNs that long need version 1 or COMPAT.
 */
int tcp_psk_tls_key(const uint8_t *input, size_t len, const char *identity,
		    enum tcp_psk_kdf kdf, uint8_t *tls_psk);

/* What TLS gets: the external PSK and its identity. */
struct tcp_psk_tls {
	enum tcp_psk_hash hash;		/* SHA256: TLS_AES_128_GCM_SHA256,
					 * SHA384: TLS_AES_256_GCM_SHA384 */
	size_t  len;
	uint8_t key[TCP_PSK_MAX_LEN];
	char    identity[TCP_PSK_IDENTITY_MAX];
};

/*
 * The whole chain for a configured PSK: retained PSK, digest (version 1),
 * identity of the given version, TLS PSK. The retained PSK is wiped.
 */
int tcp_psk_derive(const struct tcp_psk *configured, const char *hostnqn,
		   const char *subnqn, int version, enum tcp_psk_kdf kdf,
		   struct tcp_psk_tls *out);

/* Wipe a derived TLS PSK (key and identity). */
void tcp_psk_tls_wipe(struct tcp_psk_tls *tls);

#endif /* NVMF_TCP_TLS_PSK_H */
