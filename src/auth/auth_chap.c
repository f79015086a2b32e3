/*
 * Augmented challenge and responses (see auth_chap.h for the formulas and
 * their sources).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "auth/auth_chap.h"
#include "auth/auth_crypto.h"

#define LABEL_HOST "HostHost"
#define LABEL_CTRL "Controller"

static bool nqn_ok(const char *nqn)
{
	size_t len;

	if (!nqn)
		return false;
	len = strlen(nqn);
	return len > 0 && len <= NVMF_NQN_MAX_LEN;
}

int auth_augmented_challenge(uint8_t hash, const uint8_t *skey, size_t skey_len,
			     const uint8_t *c, uint8_t *ca)
{
	uint8_t hashed[AUTH_HASH_MAX_LEN];
	size_t hl = auth_hash_len(hash);
	struct auth_piece in = { c, hl };
	int err;

	if (hl == 0 || !skey || skey_len == 0 || !c || !ca)
		return AUTH_ERR_INVAL;
	/* Written as Linux computes it. HMAC itself hashes a key longer than
	 * the hash's block size (64 or 128 bytes), so for every FFDHE secret
	 * (256 bytes and more) this equals HMAC-H(skey, c). */
	err = auth_digest(hash, skey, skey_len, hashed);
	if (!err)
		err = auth_hmac(hash, hashed, hl, &in, 1, ca);
	OPENSSL_cleanse(hashed, sizeof(hashed));
	return err;
}

int auth_response(enum auth_role role, uint8_t hash, const uint8_t *key,
		  size_t key_len, const uint8_t *ca, uint32_t seqnum,
		  uint16_t t_id, uint8_t sc_c, const char *hostnqn,
		  const char *subnqn, uint8_t *out)
{
	static const uint8_t zero = 0;
	size_t hl = auth_hash_len(hash);
	uint8_t seq[4], tid[2];
	const char *label, *first, *second;

	if (hl == 0 || !key || key_len == 0 || !ca || !out ||
	    (role != AUTH_ROLE_HOST && role != AUTH_ROLE_CTRL))
		return AUTH_ERR_INVAL;
	if (!nqn_ok(hostnqn) || !nqn_ok(subnqn))
		return AUTH_ERR_NQN;
	if (role == AUTH_ROLE_HOST) {
		label = LABEL_HOST;
		first = hostnqn;
		second = subnqn;
	} else {
		label = LABEL_CTRL;
		first = subnqn;
		second = hostnqn;
	}
	nvmf_put_le32(seq, seqnum);
	nvmf_put_le16(tid, t_id);
	{
		const struct auth_piece in[] = {
			{ ca, hl },
			{ seq, sizeof(seq) },
			{ tid, sizeof(tid) },
			{ &sc_c, 1 },
			{ label, strlen(label) },
			{ first, strlen(first) },
			{ &zero, 1 },
			{ second, strlen(second) },
		};

		return auth_hmac(hash, key, key_len, in, sizeof(in) / sizeof(in[0]), out);
	}
}

/* Transform, augment, HMAC; nqn_key is the NQN the secret is transformed
 * with (NQNh for R1, NQNc for R2). */
static int response_of(enum auth_role role, const struct auth_secret *secret,
		       const char *nqn_key, const struct auth_chap_input *in,
		       uint8_t *out)
{
	uint8_t key[AUTH_SECRET_MAX_LEN], ca[AUTH_HASH_MAX_LEN];
	const uint8_t *chal;
	size_t key_len = 0;
	int err;

	if (!in || !out || !in->challenge || auth_hash_len(in->hash) == 0)
		return AUTH_ERR_INVAL;
	err = auth_secret_transform(secret, nqn_key, key, &key_len);
	if (err)
		goto out;
	chal = in->challenge;
	if (in->skey) {
		err = auth_augmented_challenge(in->hash, in->skey, in->skey_len,
					       in->challenge, ca);
		if (err)
			goto out;
		chal = ca;
	}
	err = auth_response(role, in->hash, key, key_len, chal, in->seqnum,
			    in->t_id, in->sc_c, in->hostnqn, in->subnqn, out);
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(ca, sizeof(ca));
	return err;
}

int auth_host_response(const struct auth_secret *host_secret,
		       const struct auth_chap_input *in, uint8_t *r1)
{
	return response_of(AUTH_ROLE_HOST, host_secret, in ? in->hostnqn : NULL,
			   in, r1);
}

int auth_ctrl_response(const struct auth_secret *ctrl_secret,
		       const struct auth_chap_input *in, uint8_t *r2)
{
	return response_of(AUTH_ROLE_CTRL, ctrl_secret, in ? in->subnqn : NULL,
			   in, r2);
}

bool auth_response_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return a && b && CRYPTO_memcmp(a, b, len) == 0;
}

int auth_generated_psk(uint8_t hash, const uint8_t *skey, size_t skey_len,
		       const uint8_t *c1, const uint8_t *c2, uint8_t *psk)
{
	size_t hl = auth_hash_len(hash);
	const struct auth_piece in[] = { { c1, hl }, { c2, hl } };

	if (hl == 0 || !skey || skey_len == 0 || !c1 || !c2 || !psk)
		return AUTH_ERR_INVAL;
	return auth_hmac(hash, skey, skey_len, in, 2, psk);
}
