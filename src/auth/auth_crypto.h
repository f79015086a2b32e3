/*
 * The hashing src/auth does with OpenSSL, in one place: digests and HMACs
 * with the DH-HMAC-CHAP hash ids, over data given in pieces.
 *
 * Private to src/auth. One-shot EVP_Digest() and HMAC() only: they exist
 * unchanged in OpenSSL 1.1.1 and 3.x, where HMAC_CTX is deprecated. The
 * pieces are gathered in a stack buffer (every DH-HMAC-CHAP HMAC input is
 * small: at most a challenge, 7 bytes, a 10-character label and two NQNs),
 * which is wiped afterwards.
 */
#ifndef NVMF_AUTH_AUTH_CRYPTO_H
#define NVMF_AUTH_AUTH_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* One piece of a message to hash. */
struct auth_piece {
	const void *p;
	size_t      len;
};

/* Largest input auth_hmac() takes, all pieces together. */
#define AUTH_HMAC_INPUT_MAX 1024

/*
 * out = HMAC-H(key, piece[0] || ... || piece[n-1]) with H the hash id
 * (01h..03h); out has auth_hash_len(hash) bytes. AUTH_ERR_INVAL for an
 * unknown hash or an input above AUTH_HMAC_INPUT_MAX.
 */
int auth_hmac(uint8_t hash, const void *key, size_t key_len,
	      const struct auth_piece *piece, size_t n, uint8_t *out);

/* out = H(data); out has auth_hash_len(hash) bytes. */
int auth_digest(uint8_t hash, const void *data, size_t len, uint8_t *out);

#endif /* NVMF_AUTH_AUTH_CRYPTO_H */
