/*
 * TLS pre-shared keys (NVMe/TCP 1.0, 3.6.1.3; src/tcp/tls_psk.c,
 * tls_keyfile.c): the first byte picks the parser, the rest is its input.
 *   0  the PSK interchange format "NVMeTLSkey-1:hh:Base64:" (--tls-key,
 *      nvmf-target's tls-key=): a key that parses is formatted and parsed
 *      again, and must come back the same;
 *   1  a PSK identity "NVMe1R01 HOSTNQN SUBNQN DIGEST" (what a peer's
 *      ClientHello names): one that parses and can be rebuilt from its
 *      fields must come back byte for byte;
 *   2  a key file, nvme-cli's /etc/nvme/tls-keys (raw bytes with their
 *      length, NULs included): every entry is then looked up by identity.
 */
#include "parse_util.h"

#include "tcp/tls_keyfile.h"
#include "tcp/tls_psk.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void psk(const char *s)
{
	struct tcp_psk k, k2;
	char text[TCP_PSK_INTERCHANGE_MAX];

	if (tcp_psk_parse(s, &k) != TCP_PSK_OK)
		return;
	if (k.len != 32 && k.len != 48)
		abort();
	if (tcp_psk_format(&k, text, sizeof(text)) < 0)
		abort();
	if (tcp_psk_parse(text, &k2) != TCP_PSK_OK || k2.hash != k.hash || k2.len != k.len ||
	    memcmp(k2.key, k.key, k.len))
		abort();
}

static void identity(const char *s)
{
	struct tcp_psk_identity id;
	char buf[TCP_PSK_IDENTITY_MAX];

	if (tcp_psk_identity_parse(s, &id) != TCP_PSK_OK)
		return;
	if ((id.version != 0 && id.version != 1) || (id.type != 'R' && id.type != 'G') ||
	    tcp_psk_hash_len(id.hash) == 0)
		abort();
	/* The parser takes any bytes but a space in an NQN (a peer's
	 * identity is only compared); the builder is stricter. What it
	 * builds from the fields is the identity itself, byte for byte. */
	if (tcp_psk_identity(id.version, id.type, id.hash, id.hostnqn, id.subnqn,
			     id.version ? id.digest : NULL, buf, sizeof(buf)) == TCP_PSK_OK &&
	    strcmp(buf, s) != 0)
		abort();
}

static void keyfile(const uint8_t *data, size_t size)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();
	struct tcp_psk_tls out;

	if (!kf)
		abort();
	if (tcp_keyfile_parse(kf, "tls-keys", (const char *)data, size) == 0) {
		for (size_t i = 0; i < tcp_keyfile_count(kf); i++)
			if (tcp_keyfile_lookup_identity(kf, tcp_keyfile_identity(kf, i),
							&out) != 0)
				abort();
	} else if (!tcp_keyfile_error(kf)) {
		abort();	/* a failure always says why */
	}
	tcp_keyfile_free(kf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	if (data[0] % 3 == 2) {
		keyfile(data + 1, size - 1);
		return 0;
	}
	s = fuzz_cstring(data + 1, size - 1);
	if (!s)
		return 0;
	if (data[0] % 3 == 0)
		psk(s);
	else
		identity(s);
	free(s);
	return 0;
}
