/*
 * DH-HMAC-CHAP: ids and names, errors, failure reasons, the Authentication
 * Send / Receive fields, randomness, and the digest/HMAC helpers of
 * auth_crypto.h. See auth.h.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth/auth.h"
#include "auth/auth_crypto.h"

/* ---- Ids and names --------------------------------------------------------- */

static const struct {
	uint8_t     id;
	size_t      len;
	const char *name;	/* Linux nvme_auth_digest_name(), SPDK */
	const char *hmac;	/* Linux nvme_auth_hmac_name(), nvmet configfs */
	const char *spec;	/* as the specification writes it */
} hashes[] = {
	{ AUTH_HASH_SHA256, 32, "sha256", "hmac(sha256)", "SHA-256" },
	{ AUTH_HASH_SHA384, 48, "sha384", "hmac(sha384)", "SHA-384" },
	{ AUTH_HASH_SHA512, 64, "sha512", "hmac(sha512)", "SHA-512" },
};

static const struct {
	uint8_t     id;
	size_t      len;
	const char *name;
} groups[] = {
	{ AUTH_DHGROUP_NULL,    0, "null" },
	{ AUTH_DHGROUP_2048,  256, "ffdhe2048" },
	{ AUTH_DHGROUP_3072,  384, "ffdhe3072" },
	{ AUTH_DHGROUP_4096,  512, "ffdhe4096" },
	{ AUTH_DHGROUP_6144,  768, "ffdhe6144" },
	{ AUTH_DHGROUP_8192, 1024, "ffdhe8192" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

size_t auth_hash_len(uint8_t hash)
{
	for (size_t i = 0; i < COUNT(hashes); i++)
		if (hashes[i].id == hash)
			return hashes[i].len;
	return 0;
}

const char *auth_hash_name(uint8_t hash)
{
	if (hash == AUTH_HASH_NONE)
		return "none";
	for (size_t i = 0; i < COUNT(hashes); i++)
		if (hashes[i].id == hash)
			return hashes[i].name;
	return NULL;
}

int auth_hash_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < COUNT(hashes); i++)
		if (!strcmp(name, hashes[i].name) || !strcmp(name, hashes[i].hmac) ||
		    !strcasecmp(name, hashes[i].spec))
			return hashes[i].id;
	return -1;
}

size_t auth_dhgroup_len(uint8_t group)
{
	for (size_t i = 0; i < COUNT(groups); i++)
		if (groups[i].id == group)
			return groups[i].len;
	return 0;
}

const char *auth_dhgroup_name(uint8_t group)
{
	for (size_t i = 0; i < COUNT(groups); i++)
		if (groups[i].id == group)
			return groups[i].name;
	return NULL;
}

int auth_dhgroup_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < COUNT(groups); i++)
		if (!strcmp(name, groups[i].name))
			return groups[i].id;
	return -1;
}

/* ---- Errors and failure reasons ------------------------------------------- */

const char *auth_strerror(int err)
{
	switch (err) {
	case AUTH_OK:
		return "success";
	case AUTH_ERR_PREFIX:
		return "not a DH-HMAC-CHAP secret (it must start with \"DHHC-1:\")";
	case AUTH_ERR_HASH_ID:
		return "DH-HMAC-CHAP secret: unknown hash id (want 00, 01, 02 or 03)";
	case AUTH_ERR_TRUNCATED:
		return "DH-HMAC-CHAP secret: missing the closing ':'";
	case AUTH_ERR_BASE64:
		return "DH-HMAC-CHAP secret: the key is not valid Base64";
	case AUTH_ERR_LENGTH:
		return "DH-HMAC-CHAP secret: wrong key length for its hash id "
		       "(00: 32, 48 or 64 bytes; 01: 32; 02: 48; 03: 64)";
	case AUTH_ERR_CRC:
		return "DH-HMAC-CHAP secret: CRC-32 mismatch (the secret is damaged)";
	case AUTH_ERR_TRAILING:
		return "DH-HMAC-CHAP secret: characters after the closing ':'";
	case AUTH_ERR_HEX:
		return "secret: want exactly two hexadecimal digits per key byte";
	case AUTH_ERR_INVAL:
		return "invalid argument";
	case AUTH_ERR_NQN:
		return "NQN empty or longer than 223 bytes";
	case AUTH_ERR_NOSPACE:
		return "output buffer too small";
	case AUTH_ERR_CRYPTO:
		return "OpenSSL failed (random numbers, digest or Diffie-Hellman)";
	case AUTH_ERR_DHGROUP:
		return "not a Diffie-Hellman group (ffdhe2048 ... ffdhe8192)";
	case AUTH_ERR_DH_PUBLIC:
		return "the peer's Diffie-Hellman value is invalid "
		       "(length, not 1 < y < p-1, or not in the group's subgroup)";
	case AUTH_ERR_MSG_SHORT:
		return "authentication message shorter than its fields say";
	case AUTH_ERR_MSG_TYPE:
		return "unexpected authentication message (AUTH_Type / AUTH_Id)";
	case AUTH_ERR_MSG_HASH:
		return "authentication message: hash function not usable "
		       "(unknown id, wrong HL, or none offered)";
	case AUTH_ERR_MSG_DHGROUP:
		return "authentication message: DH group not usable (unknown id or none offered)";
	case AUTH_ERR_MSG_DHVLEN:
		return "authentication message: DH value length wrong for the DH group";
	case AUTH_ERR_MSG_NAPD:
		return "AUTH_Negotiate: not exactly one protocol descriptor";
	case AUTH_ERR_MSG_AUTHID:
		return "AUTH_Negotiate: protocol descriptor is not DH-HMAC-CHAP";
	case AUTH_ERR_MSG_IDLIST:
		return "AUTH_Negotiate: more than 30 hash or DH group ids";
	case AUTH_ERR_MSG_SCC:
		return "AUTH_Negotiate: undefined secure channel concatenation value";
	case AUTH_ERR_MSG_FLAG:
		return "authentication message: CVALID/RVALID invalid or not as requested";
	case AUTH_ERR_MSG_SEQNUM:
		return "authentication message: invalid sequence number";
	default:
		return "unknown authentication error";
	}
}

const char *auth_failure_name(uint8_t explanation)
{
	switch (explanation) {
	case AUTH_FAILURE_FAILED:
		return "authentication failed";
	case AUTH_FAILURE_NOT_USABLE:
		return "authentication protocol not usable";
	case AUTH_FAILURE_CONCAT_MISMATCH:
		return "secure channel concatenation mismatch";
	case AUTH_FAILURE_HASH_UNUSABLE:
		return "hash function not usable";
	case AUTH_FAILURE_DHGROUP_UNUSABLE:
		return "DH group not usable";
	case AUTH_FAILURE_INCORRECT_PAYLOAD:
		return "incorrect payload";
	case AUTH_FAILURE_INCORRECT_MESSAGE:
		return "incorrect protocol message";
	default:
		return "unknown reason";
	}
}

uint8_t auth_failure_of(int err)
{
	switch (err) {
	case AUTH_ERR_MSG_TYPE:
		return AUTH_FAILURE_INCORRECT_MESSAGE;
	case AUTH_ERR_MSG_HASH:
		return AUTH_FAILURE_HASH_UNUSABLE;
	case AUTH_ERR_MSG_DHGROUP:
	case AUTH_ERR_DHGROUP:
		return AUTH_FAILURE_DHGROUP_UNUSABLE;
	case AUTH_ERR_MSG_SCC:
		return AUTH_FAILURE_CONCAT_MISMATCH;
	case AUTH_ERR_MSG_AUTHID:
		return AUTH_FAILURE_NOT_USABLE;
	case AUTH_ERR_MSG_SHORT:
	case AUTH_ERR_MSG_DHVLEN:
	case AUTH_ERR_MSG_NAPD:
	case AUTH_ERR_MSG_IDLIST:
	case AUTH_ERR_MSG_FLAG:
	case AUTH_ERR_MSG_SEQNUM:
	case AUTH_ERR_DH_PUBLIC:
		return AUTH_FAILURE_INCORRECT_PAYLOAD;
	default:
		return AUTH_FAILURE_FAILED;
	}
}

/* ---- Authentication Send / Receive ---------------------------------------- */

/* Bytes 40..51 of both commands (nvme.h's layout checks pin the offsets). */
#define OFF_SPSP0 41
#define OFF_SPSP1 42
#define OFF_SECP  43
#define OFF_LEN   44

void auth_cmd_send_init(struct nvmf_auth_send_cmd *cmd, uint32_t tl)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = NVMF_ADM_FABRICS;
	cmd->fctype = NVMF_FCTYPE_AUTH_SEND;
	cmd->secp = NVMF_AUTH_SECP_NVME;
	cmd->spsp0 = AUTH_SPSP0;
	cmd->spsp1 = AUTH_SPSP1;
	cmd->tl = nvmf_htole32(tl);
}

void auth_cmd_recv_init(struct nvmf_auth_recv_cmd *cmd, uint32_t al)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = NVMF_ADM_FABRICS;
	cmd->fctype = NVMF_FCTYPE_AUTH_RECV;
	cmd->secp = NVMF_AUTH_SECP_NVME;
	cmd->spsp0 = AUTH_SPSP0;
	cmd->spsp1 = AUTH_SPSP1;
	cmd->al = nvmf_htole32(al);
}

int auth_cmd_check(const void *sqe, uint32_t *len)
{
	const uint8_t *b = sqe;
	uint32_t l;

	if (!b)
		return AUTH_ERR_INVAL;
	/* nvmet's order: SECP, SPSP0, SPSP1, then the length */
	if (b[OFF_SECP] != NVMF_AUTH_SECP_NVME)
		return OFF_SECP;
	if (b[OFF_SPSP0] != AUTH_SPSP0)
		return OFF_SPSP0;
	if (b[OFF_SPSP1] != AUTH_SPSP1)
		return OFF_SPSP1;
	l = nvmf_get_le32(b + OFF_LEN);
	if (l == 0)
		return OFF_LEN;
	if (len)
		*len = l;
	return 0;
}

/* ---- Randomness ------------------------------------------------------------ */

int auth_random(void *buf, size_t len)
{
	if (!buf || len > INT32_MAX)
		return AUTH_ERR_INVAL;
	if (len && RAND_bytes(buf, (int)len) != 1)
		return AUTH_ERR_CRYPTO;
	return AUTH_OK;
}

int auth_random_seqnum(uint32_t *seqnum)
{
	uint32_t v = 0;

	if (!seqnum)
		return AUTH_ERR_INVAL;
	while (v == 0)
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			return AUTH_ERR_CRYPTO;
	*seqnum = v;
	return AUTH_OK;
}

/* ---- Digest and HMAC (auth_crypto.h) --------------------------------------- */

static const EVP_MD *hash_md(uint8_t hash)
{
	switch (hash) {
	case AUTH_HASH_SHA256:
		return EVP_sha256();
	case AUTH_HASH_SHA384:
		return EVP_sha384();
	case AUTH_HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

int auth_hmac(uint8_t hash, const void *key, size_t key_len,
	      const struct auth_piece *piece, size_t n, uint8_t *out)
{
	uint8_t msg[AUTH_HMAC_INPUT_MAX];
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	const EVP_MD *md = hash_md(hash);
	size_t o = 0;
	bool ok;

	if (!md || !key || !out || key_len > INT32_MAX || (n && !piece))
		return AUTH_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		if (piece[i].len > sizeof(msg) - o || (piece[i].len && !piece[i].p)) {
			OPENSSL_cleanse(msg, o);
			return AUTH_ERR_INVAL;
		}
		memcpy(msg + o, piece[i].p, piece[i].len);
		o += piece[i].len;
	}
	ok = HMAC(md, key, (int)key_len, msg, o, mac, &mac_len) != NULL &&
	     mac_len == auth_hash_len(hash);
	if (ok)
		memcpy(out, mac, mac_len);
	OPENSSL_cleanse(msg, o);
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok ? AUTH_OK : AUTH_ERR_CRYPTO;
}

int auth_digest(uint8_t hash, const void *data, size_t len, uint8_t *out)
{
	uint8_t md_out[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	const EVP_MD *md = hash_md(hash);
	bool ok;

	if (!md || (!data && len) || !out)
		return AUTH_ERR_INVAL;
	ok = EVP_Digest(data, len, md_out, &md_len, md, NULL) == 1 &&
	     md_len == auth_hash_len(hash);
	if (ok)
		memcpy(out, md_out, md_len);
	OPENSSL_cleanse(md_out, sizeof(md_out));
	return ok ? AUTH_OK : AUTH_ERR_CRYPTO;
}
