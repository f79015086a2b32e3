/*
 * The DH-HMAC-CHAP computations: the augmented challenge and the two
 * responses, R1 (the host proves it holds the host secret) and R2 (the
 * controller proves it holds the controller secret, when the host asks for
 * bidirectional authentication).
 *
 * Internal to libnvmf (prefix auth_), OpenSSL builds only. H is the hash
 * the controller chose in its Challenge (HashID), hl its length; it need
 * not be the hash a secret's hh names. Field order and constants as Linux
 * computes them (drivers/nvme/common/auth.c nvme_auth_augmented_challenge;
 * host/auth.c nvme_auth_dhchap_setup_host_response and _setup_ctrl_response;
 * target/auth.c nvmet_auth_host_hash and nvmet_auth_ctrl_hash), and SPDK
 * (lib/nvme/nvme_auth.c spdk_nvme_dhchap_calculate):
 *
 *   Ca  = HMAC-H(H(shared secret), C)      with a DH group: the secret is
 *                                          hashed as the group-sized,
 *                                          zero-padded bytes auth_dh_shared()
 *                                          gives; the HMAC key is H's output
 *                                          (hl bytes), its message C (hl).
 *         Ca = C                           with the NULL group.
 *   R1  = HMAC-H(Kh, Ca1 || S1 || T_ID || SC_C || "HostHost" ||
 *                NQNh || 00h || NQNc)
 *   R2  = HMAC-H(Kc, Ca2 || S2 || T_ID || SC_C || "Controller" ||
 *                NQNc || 00h || NQNh)
 *
 * Kh is the host secret transformed with NQNh, Kc the controller secret
 * transformed with NQNc (auth_secret_transform); S1, S2 little-endian 32
 * bits, T_ID little-endian 16 bits, SC_C one byte; the strings without
 * their NUL; NQNh the host NQN, NQNc the subsystem NQN, for both responses.
 *
 * SC_C: Linux hashes the negotiated SC_C into R1 and 00h into R2 whatever
 * was negotiated (both its host and its target); SPDK 00h into both (it
 * never asks for secure channel concatenation). Without concatenation SC_C
 * is 00h and all agree; with it, pass sc_c 0 for R2 to match Linux.
 */
#ifndef NVMF_AUTH_AUTH_CHAP_H
#define NVMF_AUTH_AUTH_CHAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "auth/auth_secret.h"

/* Ca = HMAC-H(H(skey), c): c and ca have auth_hash_len(hash) bytes. */
int auth_augmented_challenge(uint8_t hash, const uint8_t *skey, size_t skey_len,
			     const uint8_t *c, uint8_t *ca);

enum auth_role {
	AUTH_ROLE_HOST = 0,	/* R1: "HostHost", NQNh 00h NQNc */
	AUTH_ROLE_CTRL = 1,	/* R2: "Controller", NQNc 00h NQNh */
};

/*
 * One response with an already transformed key and an already augmented
 * challenge ca (hl bytes): out gets hl bytes. NQNs must be 1..223 bytes.
 */
int auth_response(enum auth_role role, uint8_t hash, const uint8_t *key,
		  size_t key_len, const uint8_t *ca, uint32_t seqnum,
		  uint16_t t_id, uint8_t sc_c, const char *hostnqn,
		  const char *subnqn, uint8_t *out);

/* What one response is computed from, besides the secret. */
struct auth_chap_input {
	uint8_t        hash;		/* HashID of the Challenge */
	const uint8_t *challenge;	/* C1 for R1, C2 for R2 (hl bytes) */
	uint32_t       seqnum;		/* S1 for R1, S2 for R2 */
	uint16_t       t_id;
	uint8_t        sc_c;		/* see above for R2 */
	const char    *hostnqn;
	const char    *subnqn;
	const uint8_t *skey;		/* shared DH secret; NULL for the NULL
					 * group */
	size_t         skey_len;
};

/*
 * R1 from the host secret: transform with NQNh, augment C1 when skey is
 * given, HMAC. The host computes it to send, the controller to compare.
 * r1 gets hl bytes. Intermediate keys are wiped.
 */
int auth_host_response(const struct auth_secret *host_secret,
		       const struct auth_chap_input *in, uint8_t *r1);

/* R2 from the controller secret, the same way with NQNc. */
int auth_ctrl_response(const struct auth_secret *ctrl_secret,
		       const struct auth_chap_input *in, uint8_t *r2);

/* Whether two responses are equal, in constant time (CRYPTO_memcmp). */
bool auth_response_equal(const uint8_t *a, const uint8_t *b, size_t len);

/*
 * The generated PSK of secure channel concatenation (NVMe Base 2.0
 * 8.13.5.9 as Linux's nvme_auth_generate_psk cites it): HMAC-H(skey, C1 || C2), hl
 * bytes into psk. Not used without concatenation; here because its known
 * answers (Linux's KUnit test) check this module's HMAC plumbing too.
 */
int auth_generated_psk(uint8_t hash, const uint8_t *skey, size_t skey_len,
		       const uint8_t *c1, const uint8_t *c2, uint8_t *psk);

#endif /* NVMF_AUTH_AUTH_CHAP_H */
