/*
 * Ephemeral FFDHE key pairs and shared secrets (see auth_dh.h).
 *
 * Two implementations of the same four operations (new key pair, key pair
 * from a given private key, public value, shared secret): OpenSSL 3's
 * EVP_PKEY with named groups, and OpenSSL 1.1.1's DH API, whose functions
 * OpenSSL 3 deprecates. Defining NVMF_AUTH_DH_LEGACY builds the 1.1.1 one
 * against OpenSSL 3 too, with the deprecation warnings silenced, so that it
 * can be tested where 1.1.1 is not installed.
 */
#ifdef NVMF_AUTH_DH_LEGACY
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/opensslv.h>

#if OPENSSL_VERSION_NUMBER < 0x10101000L
#error "src/auth (DH-HMAC-CHAP) needs OpenSSL 1.1.1 or later for the RFC 7919 groups;" \
       " -DNVMF_WITH_TLS=OFF leaves it out"
#endif
#if OPENSSL_VERSION_NUMBER < 0x30000000L || defined(NVMF_AUTH_DH_LEGACY)
#define AUTH_DH_LEGACY 1
#else
#define AUTH_DH_LEGACY 0
#endif

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#if !AUTH_DH_LEGACY
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/param_build.h>
#endif

#include "auth/auth_dh.h"

struct auth_dh {
	uint8_t  group;
	size_t   size;		/* bytes of p */
	BIGNUM  *p;		/* the group's prime, for checking peers */
	BIGNUM  *q;		/* (p - 1) / 2, the order of g = 2 */
#if AUTH_DH_LEGACY
	DH      *dh;
#else
	EVP_PKEY *pkey;
#endif
};

void auth_dh_free(struct auth_dh *dh)
{
	if (!dh)
		return;
	BN_free(dh->p);
	BN_free(dh->q);
#if AUTH_DH_LEGACY
	DH_free(dh->dh);	/* clears the private key */
#else
	EVP_PKEY_free(dh->pkey);
#endif
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}

uint8_t auth_dh_group(const struct auth_dh *dh)
{
	return dh ? dh->group : AUTH_DHGROUP_NULL;
}

/* 1 < y < p - 1 for y as BIGNUM. */
static bool in_range(const BIGNUM *y, const BIGNUM *p)
{
	BIGNUM *pm1 = BN_dup(p);
	bool ok;

	if (!pm1 || !BN_sub_word(pm1, 1)) {
		BN_free(pm1);
		return false;
	}
	ok = BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, pm1) < 0;
	BN_free(pm1);
	return ok;
}

/* y^q mod p == 1: y is in the subgroup of order q that g generates. */
static int in_subgroup(const BIGNUM *y, const BIGNUM *p, const BIGNUM *q)
{
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *r = BN_new();
	int err = AUTH_ERR_CRYPTO;

	if (bn && r && BN_mod_exp(r, y, q, p, bn) == 1)
		err = BN_is_one(r) ? AUTH_OK : AUTH_ERR_DH_PUBLIC;
	BN_free(r);
	BN_CTX_free(bn);
	return err;
}

/* The peer's value as a BIGNUM, after the length, range and subgroup
 * checks. */
static int peer_value(const struct auth_dh *d, const uint8_t *peer, size_t len,
		      BIGNUM **out)
{
	BIGNUM *y;
	int err;

	*out = NULL;
	if (!peer || len == 0 || len > d->size)
		return AUTH_ERR_DH_PUBLIC;
	y = BN_bin2bn(peer, (int)len, NULL);
	if (!y)
		return AUTH_ERR_CRYPTO;
	err = in_range(y, d->p) ? in_subgroup(y, d->p, d->q) : AUTH_ERR_DH_PUBLIC;
	if (err) {
		BN_free(y);
		return err;
	}
	*out = y;
	return AUTH_OK;
}

/* q = (p - 1) / 2 once p is known (p is odd: a right shift). */
static int set_q(struct auth_dh *d)
{
	d->q = BN_new();
	return d->q && BN_rshift1(d->q, d->p) == 1 ? AUTH_OK : AUTH_ERR_CRYPTO;
}

/* pub = 2^x mod p, x treated as secret (constant-time exponentiation). */
static BIGNUM *public_of(const BIGNUM *x, const BIGNUM *p)
{
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *g = BN_new(), *y = BN_new();
	BIGNUM *xc = BN_dup(x);
	bool ok = false;

	if (bn && g && y && xc && BN_set_word(g, 2)) {
		BN_set_flags(xc, BN_FLG_CONSTTIME);
		ok = BN_mod_exp(y, g, xc, p, bn) == 1;
	}
	BN_clear_free(xc);
	BN_free(g);
	BN_CTX_free(bn);
	if (!ok) {
		BN_free(y);
		return NULL;
	}
	return y;
}

#if AUTH_DH_LEGACY

static int group_nid(uint8_t group)
{
	switch (group) {
	case AUTH_DHGROUP_2048: return NID_ffdhe2048;
	case AUTH_DHGROUP_3072: return NID_ffdhe3072;
	case AUTH_DHGROUP_4096: return NID_ffdhe4096;
	case AUTH_DHGROUP_6144: return NID_ffdhe6144;
	case AUTH_DHGROUP_8192: return NID_ffdhe8192;
	default: return NID_undef;
	}
}

/* A struct auth_dh with the group's parameters and no key yet. */
static int dh_alloc(uint8_t group, struct auth_dh **out)
{
	int nid = group_nid(group);
	struct auth_dh *d;

	*out = NULL;
	if (nid == NID_undef)
		return AUTH_ERR_DHGROUP;
	d = calloc(1, sizeof(*d));
	if (!d)
		return AUTH_ERR_CRYPTO;
	d->group = group;
	d->size = auth_dhgroup_len(group);
	d->dh = DH_new_by_nid(nid);
	if (!d->dh || !(d->p = BN_dup(DH_get0_p(d->dh))) ||
	    (size_t)BN_num_bytes(d->p) != d->size || set_q(d)) {
		auth_dh_free(d);
		return AUTH_ERR_CRYPTO;
	}
	*out = d;
	return AUTH_OK;
}

int auth_dh_new(uint8_t group, struct auth_dh **out)
{
	struct auth_dh *d;
	int err;

	if (!out)
		return AUTH_ERR_INVAL;
	*out = NULL;
	err = dh_alloc(group, &d);
	if (err)
		return err;
	if (DH_generate_key(d->dh) != 1) {
		auth_dh_free(d);
		return AUTH_ERR_CRYPTO;
	}
	*out = d;
	return AUTH_OK;
}

static int set_keys(struct auth_dh *d, BIGNUM *x)
{
	BIGNUM *y = public_of(x, d->p);

	if (!y || DH_set0_key(d->dh, y, x) != 1) {
		BN_free(y);
		BN_clear_free(x);
		return AUTH_ERR_CRYPTO;
	}
	return AUTH_OK;
}

static int get_public(const struct auth_dh *d, BIGNUM **pub)
{
	const BIGNUM *y = NULL;

	DH_get0_key(d->dh, &y, NULL);
	*pub = y ? BN_dup(y) : NULL;
	return *pub ? AUTH_OK : AUTH_ERR_CRYPTO;
}

static int derive(const struct auth_dh *d, BIGNUM *y, uint8_t *secret)
{
	int n = DH_compute_key_padded(secret, y, d->dh);

	return n == (int)d->size ? AUTH_OK : AUTH_ERR_CRYPTO;
}

#else /* OpenSSL 3 */

/* OSSL_PARAMs naming the group, plus the given keys (either may be NULL). */
static OSSL_PARAM *group_params(uint8_t group, const BIGNUM *x, const BIGNUM *y)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;

	if (bld &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    auth_dhgroup_name(group), 0) == 1 &&
	    (!x || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) == 1) &&
	    (!y || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) == 1))
		params = OSSL_PARAM_BLD_to_param(bld);
	OSSL_PARAM_BLD_free(bld);
	return params;
}

/* Free an OSSL_PARAM array after wiping its values (a private key may be
 * among them; OSSL_PARAM_clear_free() only exists from OpenSSL 3.2). */
static void params_free(OSSL_PARAM *params)
{
	if (!params)
		return;
	for (OSSL_PARAM *p = params; p->key; p++)
		if (p->data && p->data_size)
			OPENSSL_cleanse(p->data, p->data_size);
	OSSL_PARAM_free(params);
}

/* An EVP_PKEY of the group from data: parameters only, public, or pair. */
static EVP_PKEY *pkey_from(uint8_t group, int selection, const BIGNUM *x,
			   const BIGNUM *y)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	OSSL_PARAM *params = group_params(group, x, y);
	EVP_PKEY *pkey = NULL;

	if (!ctx || !params || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
		pkey = NULL;
	params_free(params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static int dh_alloc(uint8_t group, struct auth_dh **out)
{
	struct auth_dh *d;
	EVP_PKEY *params;

	*out = NULL;
	if (group == AUTH_DHGROUP_NULL || auth_dhgroup_len(group) == 0)
		return AUTH_ERR_DHGROUP;
	d = calloc(1, sizeof(*d));
	if (!d)
		return AUTH_ERR_CRYPTO;
	d->group = group;
	d->size = auth_dhgroup_len(group);
	params = pkey_from(group, EVP_PKEY_KEY_PARAMETERS, NULL, NULL);
	if (!params || EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &d->p) != 1 ||
	    (size_t)BN_num_bytes(d->p) != d->size || set_q(d)) {
		EVP_PKEY_free(params);
		auth_dh_free(d);
		return AUTH_ERR_CRYPTO;
	}
	EVP_PKEY_free(params);
	*out = d;
	return AUTH_OK;
}

int auth_dh_new(uint8_t group, struct auth_dh **out)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx;
	struct auth_dh *d;
	int err;

	if (!out)
		return AUTH_ERR_INVAL;
	*out = NULL;
	err = dh_alloc(group, &d);
	if (err)
		return err;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)auth_dhgroup_name(group), 0);
	params[1] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_params(ctx, params) != 1 ||
	    EVP_PKEY_generate(ctx, &d->pkey) != 1) {
		EVP_PKEY_CTX_free(ctx);
		auth_dh_free(d);
		return AUTH_ERR_CRYPTO;
	}
	EVP_PKEY_CTX_free(ctx);
	*out = d;
	return AUTH_OK;
}

static int set_keys(struct auth_dh *d, BIGNUM *x)
{
	BIGNUM *y = public_of(x, d->p);

	if (y)
		d->pkey = pkey_from(d->group, EVP_PKEY_KEYPAIR, x, y);
	BN_free(y);
	BN_clear_free(x);
	return d->pkey ? AUTH_OK : AUTH_ERR_CRYPTO;
}

static int get_public(const struct auth_dh *d, BIGNUM **pub)
{
	*pub = NULL;
	return EVP_PKEY_get_bn_param(d->pkey, OSSL_PKEY_PARAM_PUB_KEY, pub) == 1 ?
	       AUTH_OK : AUTH_ERR_CRYPTO;
}

static int derive(const struct auth_dh *d, BIGNUM *y, uint8_t *secret)
{
	EVP_PKEY *peer = pkey_from(d->group, EVP_PKEY_PUBLIC_KEY, NULL, y);
	EVP_PKEY_CTX *ctx = peer ? EVP_PKEY_CTX_new_from_pkey(NULL, d->pkey, NULL) : NULL;
	size_t len = d->size;
	int err = AUTH_ERR_CRYPTO;

	/* pad: the secret as the size of p, leading zeroes kept (Linux). The
	 * peer was validated by peer_value() with the same checks as
	 * EVP_PKEY_public_check(), so OpenSSL is not asked to repeat them. */
	if (ctx && EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_dh_pad(ctx, 1) == 1 &&
	    EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) == 1 &&
	    EVP_PKEY_derive(ctx, secret, &len) == 1 && len == d->size)
		err = AUTH_OK;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return err;
}

#endif /* AUTH_DH_LEGACY */

int auth_dh_new_private(uint8_t group, const uint8_t *x, size_t len,
			struct auth_dh **out)
{
	struct auth_dh *d;
	BIGNUM *bx;
	int err;

	if (!out)
		return AUTH_ERR_INVAL;
	*out = NULL;
	if (!x || len == 0)
		return AUTH_ERR_INVAL;
	err = dh_alloc(group, &d);
	if (err)
		return err;
	if (len > d->size) {
		auth_dh_free(d);
		return AUTH_ERR_INVAL;
	}
	bx = BN_secure_new();
	if (!bx || !BN_bin2bn(x, (int)len, bx)) {
		BN_clear_free(bx);
		auth_dh_free(d);
		return AUTH_ERR_CRYPTO;
	}
	if (!in_range(bx, d->p)) {
		BN_clear_free(bx);
		auth_dh_free(d);
		return AUTH_ERR_INVAL;
	}
	err = set_keys(d, bx);		/* takes bx */
	if (err) {
		auth_dh_free(d);
		return err;
	}
	*out = d;
	return AUTH_OK;
}

int auth_dh_public(const struct auth_dh *dh, uint8_t *buf, size_t size)
{
	BIGNUM *y;
	int err;

	if (!dh || !buf)
		return AUTH_ERR_INVAL;
	if (size < dh->size)
		return AUTH_ERR_NOSPACE;
	err = get_public(dh, &y);
	if (err)
		return err;
	if (BN_bn2binpad(y, buf, (int)dh->size) != (int)dh->size)
		err = AUTH_ERR_CRYPTO;
	BN_free(y);
	return err;
}

int auth_dh_check_public(uint8_t group, const uint8_t *peer, size_t len)
{
	struct auth_dh *d;
	BIGNUM *y;
	int err;

	err = dh_alloc(group, &d);
	if (err)
		return err;
	err = peer_value(d, peer, len, &y);
	BN_free(y);
	auth_dh_free(d);
	return err;
}

int auth_dh_shared(const struct auth_dh *dh, const uint8_t *peer, size_t len,
		   uint8_t *secret, size_t size)
{
	BIGNUM *y;
	int err;

	if (!dh || !secret)
		return AUTH_ERR_INVAL;
	if (size < dh->size)
		return AUTH_ERR_NOSPACE;
	err = peer_value(dh, peer, len, &y);
	if (!err) {
		err = derive(dh, y, secret);
		BN_free(y);
	}
	if (err)	/* whatever was there, no partial secret stays */
		OPENSSL_cleanse(secret, dh->size);
	return err;
}
