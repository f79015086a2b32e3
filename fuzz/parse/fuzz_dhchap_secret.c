/*
 * DH-HMAC-CHAP secrets (NVMe Base 2.0, 8.13.5.8; src/auth/auth_secret.c):
 * the "DHHC-1:hh:Base64(key || CRC-32):" form that --dhchap-secret,
 * nvmf-target's dhchap-secret= and nvmfctl check-dhchap-key read. The
 * first byte picks:
 *   even  the DHHC-1 text: a secret that parses is valid, formats, and
 *         parses back to the same key;
 *   odd   the hex form of gen-dhchap-key --secret, for a length taken from
 *         the byte (1 to 64, or one past to see it refused).
 */
#include "parse_util.h"

#include "auth/auth_secret.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void dhhc(const char *s)
{
	struct auth_secret k, k2;
	char text[AUTH_SECRET_TEXT_MAX];

	if (auth_secret_parse(s, &k) != AUTH_OK)
		return;
	if (!auth_secret_valid(&k))
		abort();
	if (auth_secret_format(&k, text, sizeof(text)) < 0)
		abort();
	if (auth_secret_parse(text, &k2) != AUTH_OK || k2.hash != k.hash || k2.len != k.len ||
	    memcmp(k2.key, k.key, k.len))
		abort();
}

static void hex(const char *s, size_t len)
{
	uint8_t out[AUTH_SECRET_MAX_LEN + 1];

	if (auth_secret_from_hex(s, len, out) == AUTH_OK && strlen(s) != 2 * len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = fuzz_cstring(data + 1, size - 1);
	if (!s)
		return 0;
	if (data[0] & 1)
		hex(s, (size_t)(data[0] >> 1) % (AUTH_SECRET_MAX_LEN + 1) + 1);
	else
		dhhc(s);
	free(s);
	return 0;
}
