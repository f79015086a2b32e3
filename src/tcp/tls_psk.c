/*
 * NVMe/TCP TLS pre-shared keys (see tls_psk.h for the definitions and where
 * they come from). Written from the specification's text and the facts read
 * in the Linux, libnvme and SPDK sources; the unit test (tests/unit/
 * test_tls_psk.c) holds vectors from those implementations.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "keyfmt/keyfmt.h"
#include "tcp/tls_psk.h"

/* NVMe TCP 3.6.1.3: the digest's HMAC ends with these 17 characters. */
#define DIGEST_SEED     "NVMe-over-Fabrics"
/* RFC 8446 7.1: every HkdfLabel label starts with this. */
#define TLS13_PREFIX    "tls13 "
#define LABEL_RETAINED  "HostNQN"
#define LABEL_TLS_PSK   "nvme-tls-psk"
/* Largest HKDF info: 2 + 1 + 255 + 1 + 255 (RFC 8446), or 2 + label +
 * the longest identity (COMPAT). */
#define INFO_MAX        (2 + 1 + 255 + 1 + TCP_PSK_IDENTITY_MAX)

const char *tcp_psk_strerror(int err)
{
	switch (err) {
	case TCP_PSK_OK:
		return "success";
	case TCP_PSK_ERR_PREFIX:
		return "not a PSK interchange key (it must start with \"NVMeTLSkey-1:\")";
	case TCP_PSK_ERR_HASH:
		return "PSK interchange key: unknown hash id (want 00, 01 or 02)";
	case TCP_PSK_ERR_TRUNCATED:
		return "PSK interchange key: missing the closing ':'";
	case TCP_PSK_ERR_BASE64:
		return "PSK interchange key: the key is not valid Base64";
	case TCP_PSK_ERR_LENGTH:
		return "PSK interchange key: wrong key length for its hash id "
		       "(01: 32 bytes, 02: 48 bytes, 00: 32 or 48)";
	case TCP_PSK_ERR_CRC:
		return "PSK interchange key: CRC-32 mismatch (the key is damaged)";
	case TCP_PSK_ERR_TRAILING:
		return "PSK interchange key: characters after the closing ':'";
	case TCP_PSK_ERR_INVAL:
		return "invalid argument";
	case TCP_PSK_ERR_NQN:
		return "NQN empty, longer than 223 bytes, or containing a space";
	case TCP_PSK_ERR_TOOLONG:
		return "PSK identity too long for an RFC 8446 HKDF label "
		       "(255 bytes): use identity version 1";
	case TCP_PSK_ERR_IDENTITY:
		return "not a valid NVMe/TCP PSK identity";
	case TCP_PSK_ERR_NOSPACE:
		return "output buffer too small";
	case TCP_PSK_ERR_CRYPTO:
		return "OpenSSL failed while deriving or generating a key";
	default:
		return "unknown PSK error";
	}
}

void tcp_psk_wipe(struct tcp_psk *psk)
{
	if (psk)
		OPENSSL_cleanse(psk, sizeof(*psk));
}

void tcp_psk_tls_wipe(struct tcp_psk_tls *tls)
{
	if (tls)
		OPENSSL_cleanse(tls, sizeof(*tls));
}

size_t tcp_psk_hash_len(enum tcp_psk_hash hash)
{
	switch (hash) {
	case TCP_PSK_HASH_SHA256:
		return 32;
	case TCP_PSK_HASH_SHA384:
		return 48;
	default:
		return 0;
	}
}

static const EVP_MD *hash_md(enum tcp_psk_hash hash)
{
	switch (hash) {
	case TCP_PSK_HASH_SHA256:
		return EVP_sha256();
	case TCP_PSK_HASH_SHA384:
		return EVP_sha384();
	default:
		return NULL;
	}
}

/* A PSK is valid when its length is 32 or 48 and agrees with its hash id. */
static bool psk_valid(const struct tcp_psk *psk)
{
	if (!psk)
		return false;
	if (psk->hash == TCP_PSK_HASH_NONE)
		return psk->len == 32 || psk->len == 48;
	return tcp_psk_hash_len(psk->hash) != 0 && psk->len == tcp_psk_hash_len(psk->hash);
}

static bool psk_length_ok(uint8_t hh, size_t len)
{
	struct tcp_psk psk = { .hash = (enum tcp_psk_hash)hh, .len = len };

	return psk_valid(&psk);
}

/* NVMe TCP 1.0 3.6.1.5: "NVMeTLSkey-1:" hh 00 to 02. */
static const struct keyfmt_spec psk_fmt = {
	.prefix = "NVMeTLSkey-1:",
	.max_hash = TCP_PSK_HASH_SHA384,
	.length_ok = psk_length_ok,
};

_Static_assert(KEYFMT_KEY_MAX >= TCP_PSK_MAX_LEN, "keyfmt holds a PSK");
_Static_assert((int)KEYFMT_ERR_PREFIX == TCP_PSK_ERR_PREFIX &&
	       (int)KEYFMT_ERR_HASH == TCP_PSK_ERR_HASH &&
	       (int)KEYFMT_ERR_TRUNCATED == TCP_PSK_ERR_TRUNCATED &&
	       (int)KEYFMT_ERR_BASE64 == TCP_PSK_ERR_BASE64 &&
	       (int)KEYFMT_ERR_LENGTH == TCP_PSK_ERR_LENGTH &&
	       (int)KEYFMT_ERR_CRC == TCP_PSK_ERR_CRC &&
	       (int)KEYFMT_ERR_TRAILING == TCP_PSK_ERR_TRAILING,
	       "keyfmt's errors are tcp_psk's");

enum tcp_psk_hash tcp_psk_cipher_hash(const struct tcp_psk *psk)
{
	if (!psk_valid(psk))
		return TCP_PSK_HASH_NONE;
	if (psk->hash != TCP_PSK_HASH_NONE)
		return psk->hash;
	return psk->len == 32 ? TCP_PSK_HASH_SHA256 : TCP_PSK_HASH_SHA384;
}

/* ---- Interchange format --------------------------------------------------- */

int tcp_psk_parse(const char *text, struct tcp_psk *out)
{
	uint8_t hh;
	int err;

	if (!out)
		return TCP_PSK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (!text)
		return TCP_PSK_ERR_INVAL;
	/* enum keyfmt_err has enum tcp_psk_err's values */
	err = keyfmt_parse(&psk_fmt, text, &hh, out->key, &out->len);
	out->hash = (enum tcp_psk_hash)hh;
	return err;
}

int tcp_psk_format(const struct tcp_psk *psk, char *buf, size_t size)
{
	if (!buf || !psk_valid(psk))
		return TCP_PSK_ERR_INVAL;
	if (size < TCP_PSK_INTERCHANGE_MAX)
		return TCP_PSK_ERR_NOSPACE;
	keyfmt_format(&psk_fmt, (uint8_t)psk->hash, psk->key, psk->len, buf);
	return TCP_PSK_OK;
}

int tcp_psk_generate(enum tcp_psk_hash hash, size_t len, struct tcp_psk *out)
{
	if (!out)
		return TCP_PSK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (len == 0)
		len = tcp_psk_hash_len(hash);
	out->hash = hash;
	out->len = len;
	if (!psk_valid(out)) {
		memset(out, 0, sizeof(*out));
		return TCP_PSK_ERR_INVAL;
	}
	if (RAND_bytes(out->key, (int)len) != 1) {
		tcp_psk_wipe(out);
		return TCP_PSK_ERR_CRYPTO;
	}
	return TCP_PSK_OK;
}

/* ---- HKDF ----------------------------------------------------------------- */

static bool nqn_ok(const char *nqn)
{
	size_t len;

	if (!nqn)
		return false;
	len = strlen(nqn);
	return len > 0 && len <= NVMF_NQN_MAX_LEN && !strchr(nqn, ' ');
}

/*
 * The info argument of HKDF-Expand for HKDF-Expand-Label(label, context,
 * okm_len) in the chosen layout. The context may be given in two pieces
 * (ctx1 then ctx2) so that "hh digest" needs no copy. Returns the info's
 * length or a negative error.
 */
static int hkdf_label(enum tcp_psk_kdf kdf, const char *label, const char *ctx1,
		      const char *ctx2, size_t okm_len, uint8_t *info, size_t size)
{
	size_t llen = strlen(TLS13_PREFIX) + strlen(label);
	size_t c1 = strlen(ctx1), c2 = ctx2 ? strlen(ctx2) : 0;
	size_t o = 0;

	if (okm_len > 0xFFFF)
		return TCP_PSK_ERR_INVAL;
	if (kdf == TCP_PSK_KDF_RFC8446) {
		/* struct { uint16 length; opaque label<7..255>;
		 *          opaque context<0..255>; } HkdfLabel, TLS byte order */
		if (llen > 255 || c1 + c2 > 255)
			return TCP_PSK_ERR_TOOLONG;
		if (2 + 1 + llen + 1 + c1 + c2 > size)
			return TCP_PSK_ERR_TOOLONG;
		info[o++] = (uint8_t)(okm_len >> 8);
		info[o++] = (uint8_t)okm_len;
		info[o++] = (uint8_t)llen;
	} else if (kdf == TCP_PSK_KDF_COMPAT) {
		/* libnvme <= 1.13: host-order (little-endian) length, then the
		 * label and the context with no length bytes */
		if (2 + llen + c1 + c2 > size)
			return TCP_PSK_ERR_TOOLONG;
		info[o++] = (uint8_t)okm_len;
		info[o++] = (uint8_t)(okm_len >> 8);
	} else {
		return TCP_PSK_ERR_INVAL;
	}
	memcpy(info + o, TLS13_PREFIX, strlen(TLS13_PREFIX));
	o += strlen(TLS13_PREFIX);
	memcpy(info + o, label, strlen(label));
	o += strlen(label);
	if (kdf == TCP_PSK_KDF_RFC8446)
		info[o++] = (uint8_t)(c1 + c2);
	memcpy(info + o, ctx1, c1);
	o += c1;
	if (c2) {
		memcpy(info + o, ctx2, c2);
		o += c2;
	}
	return (int)o;
}

/*
 * okm = HKDF-Expand(HKDF-Extract(salt = none, ikm), info, okm_len): RFC 5869
 * with no salt, i.e. HashLen zero bytes (the kernel passes those; OpenSSL
 * and SPDK an empty salt, which HMAC treats the same). The info is handed
 * to OpenSSL in one call: OpenSSL 3.0 and 3.1 replace rather than append
 * on a second EVP_PKEY_CTX_add1_hkdf_info().
 */
static int hkdf(enum tcp_psk_hash hash, const uint8_t *ikm, size_t ikm_len,
		const uint8_t *info, size_t info_len, uint8_t *okm, size_t okm_len)
{
	const EVP_MD *md = hash_md(hash);
	EVP_PKEY_CTX *ctx;
	size_t out_len = okm_len;
	int ok;

	if (!md)
		return TCP_PSK_ERR_INVAL;
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	if (!ctx)
		return TCP_PSK_ERR_CRYPTO;
	ok = EVP_PKEY_derive_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_hkdf_md(ctx, md) == 1 &&
	     EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikm_len) == 1 &&
	     EVP_PKEY_CTX_add1_hkdf_info(ctx, info, (int)info_len) == 1 &&
	     EVP_PKEY_derive(ctx, okm, &out_len) == 1 && out_len == okm_len;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		OPENSSL_cleanse(okm, okm_len);
		return TCP_PSK_ERR_CRYPTO;
	}
	return TCP_PSK_OK;
}

int tcp_psk_retained(const struct tcp_psk *configured, const char *hostnqn,
		     enum tcp_psk_kdf kdf, uint8_t *retained)
{
	uint8_t info[INFO_MAX];
	int n, err;

	if (!psk_valid(configured) || !retained)
		return TCP_PSK_ERR_INVAL;
	if (!nqn_ok(hostnqn))
		return TCP_PSK_ERR_NQN;
	if (configured->hash == TCP_PSK_HASH_NONE) {
		/* 3.6.1.3: an entity may use the configured PSK as retained PSK */
		memcpy(retained, configured->key, configured->len);
		return TCP_PSK_OK;
	}
	n = hkdf_label(kdf, LABEL_RETAINED, hostnqn, NULL, configured->len,
		       info, sizeof(info));
	if (n < 0)
		return n;
	err = hkdf(configured->hash, configured->key, configured->len,
		   info, (size_t)n, retained, configured->len);
	OPENSSL_cleanse(info, sizeof(info));
	return err;
}

/* ---- Digest and identities ------------------------------------------------ */

int tcp_psk_digest(enum tcp_psk_hash hash, const uint8_t *psk, size_t len,
		   const char *hostnqn, const char *subnqn, char *digest, size_t size)
{
	/* NQNh " " NQNc " " "NVMe-over-Fabrics" */
	char msg[NVMF_NQN_MAX_LEN * 2 + 2 + sizeof(DIGEST_SEED)];
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	const EVP_MD *md = hash_md(hash);
	int n;

	if (!md || !psk || !digest || len != tcp_psk_hash_len(hash))
		return TCP_PSK_ERR_INVAL;
	if (!nqn_ok(hostnqn) || !nqn_ok(subnqn))
		return TCP_PSK_ERR_NQN;
	if (size < 4 * ((tcp_psk_hash_len(hash) + 2) / 3) + 1)
		return TCP_PSK_ERR_NOSPACE;

	n = snprintf(msg, sizeof(msg), "%s %s %s", hostnqn, subnqn, DIGEST_SEED);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return TCP_PSK_ERR_NQN;
	if (!HMAC(md, psk, (int)len, (const uint8_t *)msg, (size_t)n, mac, &mac_len) ||
	    mac_len != tcp_psk_hash_len(hash)) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return TCP_PSK_ERR_CRYPTO;
	}
	keyfmt_b64_encode(mac, mac_len, digest);
	OPENSSL_cleanse(mac, sizeof(mac));
	return TCP_PSK_OK;
}

/* A digest as an identity carries it: Base64 of 32 or 48 bytes. */
static bool digest_ok(enum tcp_psk_hash hash, const char *digest)
{
	uint8_t raw[TCP_PSK_MAX_LEN];
	size_t len = strlen(digest);
	int n;

	if (len != 4 * ((tcp_psk_hash_len(hash) + 2) / 3))
		return false;
	n = keyfmt_b64_decode(digest, len, raw, sizeof(raw));
	return n == (int)tcp_psk_hash_len(hash);
}

int tcp_psk_identity(int version, char type, enum tcp_psk_hash hash,
		     const char *hostnqn, const char *subnqn, const char *digest,
		     char *buf, size_t size)
{
	int n;

	if (!buf || tcp_psk_hash_len(hash) == 0 || (type != 'R' && type != 'G'))
		return TCP_PSK_ERR_INVAL;
	if (!nqn_ok(hostnqn) || !nqn_ok(subnqn))
		return TCP_PSK_ERR_NQN;
	if (version == 0) {
		/* TP 8018 generated PSKs only come with version 1 identities */
		if (digest || type != 'R')
			return TCP_PSK_ERR_INVAL;
		n = snprintf(buf, size, "NVMe0%c%02d %s %s", type, (int)hash,
			     hostnqn, subnqn);
	} else if (version == 1) {
		if (!digest || !digest_ok(hash, digest))
			return TCP_PSK_ERR_INVAL;
		n = snprintf(buf, size, "NVMe1%c%02d %s %s %s", type, (int)hash,
			     hostnqn, subnqn, digest);
	} else {
		return TCP_PSK_ERR_INVAL;
	}
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return TCP_PSK_ERR_NOSPACE;
	}
	return TCP_PSK_OK;
}

/* Copy the next space-separated field of *s into dst (at most max bytes). */
static bool take_field(const char **s, char *dst, size_t max, bool last)
{
	const char *p = *s, *sp = strchr(p, ' ');
	size_t len = sp ? (size_t)(sp - p) : strlen(p);

	if (len == 0 || len > max || (last ? sp != NULL : sp == NULL))
		return false;
	memcpy(dst, p, len);
	dst[len] = '\0';
	*s = sp ? sp + 1 : p + len;
	return true;
}

int tcp_psk_identity_parse(const char *identity, struct tcp_psk_identity *out)
{
	const char *s = identity;
	int version;

	if (!out)
		return TCP_PSK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (!identity)
		return TCP_PSK_ERR_INVAL;

	/* "NVMe" v type hh ' ' */
	if (strncmp(s, "NVMe", 4) != 0 || (s[4] != '0' && s[4] != '1') ||
	    (s[5] != 'R' && s[5] != 'G') || s[6] != '0' ||
	    (s[7] != '1' && s[7] != '2') || s[8] != ' ')
		goto bad;
	version = s[4] - '0';
	out->version = version;
	out->type = s[5];
	out->hash = (enum tcp_psk_hash)(s[7] - '0');
	if (version == 0 && out->type != 'R')
		goto bad;
	s += 9;
	if (!take_field(&s, out->hostnqn, NVMF_NQN_MAX_LEN, false) ||
	    !take_field(&s, out->subnqn, NVMF_NQN_MAX_LEN, version == 0))
		goto bad;
	if (version == 1 &&
	    (!take_field(&s, out->digest, TCP_PSK_DIGEST_MAX, true) ||
	     !digest_ok(out->hash, out->digest)))
		goto bad;
	return TCP_PSK_OK;
bad:
	memset(out, 0, sizeof(*out));
	return TCP_PSK_ERR_IDENTITY;
}

/* ---- TLS PSK -------------------------------------------------------------- */

int tcp_psk_tls_key(const uint8_t *input, size_t len, const char *identity,
		    enum tcp_psk_kdf kdf, uint8_t *tls_psk)
{
	struct tcp_psk_identity id;
	uint8_t info[INFO_MAX];
	char hh[4];
	int n, err;

	if (!input || !tls_psk)
		return TCP_PSK_ERR_INVAL;
	err = tcp_psk_identity_parse(identity, &id);
	if (err)
		return err;
	if (len != tcp_psk_hash_len(id.hash))
		return TCP_PSK_ERR_INVAL;

	/*
	 * Context: version 0 (TP 8011) the PSK identity itself; version 1
	 * (TP 8018) the identity's hash id, a space and the PSK digest.
	 */
	if (id.version == 0) {
		n = hkdf_label(kdf, LABEL_TLS_PSK, identity, NULL, len, info, sizeof(info));
	} else {
		snprintf(hh, sizeof(hh), "%02d ", (int)id.hash);
		n = hkdf_label(kdf, LABEL_TLS_PSK, hh, id.digest, len, info, sizeof(info));
	}
	if (n < 0)
		return n;
	err = hkdf(id.hash, input, len, info, (size_t)n, tls_psk, len);
	OPENSSL_cleanse(info, sizeof(info));
	return err;
}

int tcp_psk_derive(const struct tcp_psk *configured, const char *hostnqn,
		   const char *subnqn, int version, enum tcp_psk_kdf kdf,
		   struct tcp_psk_tls *out)
{
	uint8_t retained[TCP_PSK_MAX_LEN];
	char digest[TCP_PSK_DIGEST_MAX + 1];
	enum tcp_psk_hash hash;
	int err;

	if (!out)
		return TCP_PSK_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (!psk_valid(configured) || (version != 0 && version != 1))
		return TCP_PSK_ERR_INVAL;
	hash = tcp_psk_cipher_hash(configured);

	err = tcp_psk_retained(configured, hostnqn, kdf, retained);
	if (err)
		goto out;
	if (version == 1) {
		err = tcp_psk_digest(hash, retained, configured->len, hostnqn, subnqn,
				     digest, sizeof(digest));
		if (err)
			goto out;
	}
	err = tcp_psk_identity(version, 'R', hash, hostnqn, subnqn,
			       version == 1 ? digest : NULL,
			       out->identity, sizeof(out->identity));
	if (err)
		goto out;
	err = tcp_psk_tls_key(retained, configured->len, out->identity, kdf, out->key);
	if (err)
		goto out;
	out->hash = hash;
	out->len = configured->len;
out:
	OPENSSL_cleanse(retained, sizeof(retained));
	if (err)
		tcp_psk_tls_wipe(out);
	return err;
}
