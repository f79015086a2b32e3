/*
 * Ephemeral Diffie-Hellman for DH-HMAC-CHAP: the RFC 7919 FFDHE groups
 * ffdhe2048 ... ffdhe8192 (generator 2), with OpenSSL.
 *
 * Internal to libnvmf (prefix auth_), OpenSSL builds only. One key pair per
 * authentication transaction: the controller sends g^x mod p in its
 * Challenge, the host g^y mod p in its Reply, and each computes the shared
 * secret (g^xy mod p) from its private key and the other's value.
 *
 * Encoding, as Linux does it (crypto/dh.c through drivers/nvme/common/
 * auth.c: nvme_auth_gen_pubkey, nvme_auth_gen_shared_secret; the buffers are
 * crypto_kpp_maxsize() = the size of p): big-endian, left-padded with zero
 * bytes to the group's size (auth_dhgroup_len()), both the public values we
 * send and the shared secret, which is hashed as those padded bytes in the
 * augmented challenge. SPDK pads the shared secret (EVP_PKEY_CTX_set_dh_pad)
 * but sends its public value unpadded (BN_bn2bin), so a peer's value may be
 * shorter than the group's size; it may not be longer.
 *
 * The peer's value is checked before use: 1 < y < p - 1 and y^q mod p = 1
 * with q = (p - 1) / 2, i.e. y lies in the subgroup that g = 2 generates
 * (SP 800-56A 5.6.2.3.1 full public key validation). Linux's
 * dh_is_pubkey_valid() does the same in FIPS mode; outside it, only
 * 1 < y < p, so it takes p - 1 (shared secret 1 or p - 1) and the elements
 * of order 2q (which leak the private key's lowest bit). OpenSSL 3's
 * EVP_PKEY_public_check() for the named groups is the full check too. Every
 * honest peer sends g^x, which passes: Linux, SPDK and OpenSSL all do.
 *
 * OpenSSL 3: EVP_PKEY "DH" keys of the named groups (the group name is the
 * RFC 7919 one). OpenSSL 1.1.1: DH_new_by_nid() and DH_compute_key_padded().
 * Private keys and shared secrets are wiped; failing calls leave no partial
 * secret in their outputs.
 */
#ifndef NVMF_AUTH_AUTH_DH_H
#define NVMF_AUTH_AUTH_DH_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

/* A key pair of one group (opaque: it holds OpenSSL objects). */
struct auth_dh;

/* A new random key pair for group (AUTH_DHGROUP_2048 ... _8192;
 * AUTH_ERR_DHGROUP for NULL and unknown ids). */
int auth_dh_new(uint8_t group, struct auth_dh **out);

/*
 * A key pair from a given private exponent x (big-endian, 1 <= len <=
 * the group's size, 1 < x < p - 1): for known-answer tests against
 * independently computed values. Real exchanges use auth_dh_new().
 */
int auth_dh_new_private(uint8_t group, const uint8_t *x, size_t len,
			struct auth_dh **out);

/* Release a key pair (the private key is cleared). NULL is fine. */
void auth_dh_free(struct auth_dh *dh);

/* The key pair's group. */
uint8_t auth_dh_group(const struct auth_dh *dh);

/* Our public value g^x mod p: auth_dhgroup_len() bytes, big-endian,
 * zero-padded, into buf (size at least that). */
int auth_dh_public(const struct auth_dh *dh, uint8_t *buf, size_t size);

/*
 * Whether a peer's public value is usable for group: 1 <= len <= the
 * group's size (a shorter value is a big-endian number with its leading
 * zero bytes left out), 1 < y < p - 1 and y^q mod p = 1.
 * AUTH_ERR_DH_PUBLIC if not.
 */
int auth_dh_check_public(uint8_t group, const uint8_t *peer, size_t len);

/*
 * The shared secret with a peer's public value (checked as above):
 * auth_dhgroup_len() bytes, big-endian, zero-padded, into secret (size at
 * least that). The caller wipes it when done.
 */
int auth_dh_shared(const struct auth_dh *dh, const uint8_t *peer, size_t len,
		   uint8_t *secret, size_t size);

#endif /* NVMF_AUTH_AUTH_DH_H */
