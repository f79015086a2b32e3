/*
 * libnvmf's side of the TLS PSK comparison with nvme-cli 2.13 (interop_tls_derive):
 * what src/tcp/tls_psk.c derives, printed in the form tls_derive.py compares
 * with what nvme-cli put in the guest's keyring.
 *
 *   psk_derive derive KEY HOSTNQN SUBNQN VERSION [rfc8446|compat]
 *       tcp_psk_parse(KEY), tcp_psk_derive(..., VERSION, kdf): prints
 *           identity <the PSK identity>
 *           psk <the TLS PSK in lower-case hex>
 *       kdf defaults to compat (TCP_PSK_KDF_COMPAT: libnvme 1.13's
 *       HKDF-Expand-Label info, the encoding nvme-cli 2.13 uses).
 *   psk_derive format HMAC SECRET_HEX
 *       tcp_psk_format of the configured PSK SECRET with hash id HMAC
 *       (0, 1, 2): prints the interchange key "NVMeTLSkey-1:0H:...:".
 *
 * Exit status 0, or 1 with the tcp_psk_strerror() message on stderr
 * (2 for a usage error). Test keys only: it prints key material.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tls_psk.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: psk_derive derive KEY HOSTNQN SUBNQN VERSION [rfc8446|compat]\n"
		"       psk_derive format HMAC SECRET_HEX\n");
	return 2;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int derive(int argc, char **argv)
{
	enum tcp_psk_kdf kdf = TCP_PSK_KDF_COMPAT;
	struct tcp_psk key;
	struct tcp_psk_tls tls;
	char *end;
	long version;
	size_t i;
	int err;

	if (argc < 6 || argc > 7)
		return usage();
	version = strtol(argv[5], &end, 10);
	if (*argv[5] == '\0' || *end != '\0' || (version != 0 && version != 1))
		return usage();
	if (argc == 7) {
		if (strcmp(argv[6], "rfc8446") == 0)
			kdf = TCP_PSK_KDF_RFC8446;
		else if (strcmp(argv[6], "compat") != 0)
			return usage();
	}
	err = tcp_psk_parse(argv[2], &key);
	if (err == 0)
		err = tcp_psk_derive(&key, argv[3], argv[4], (int)version, kdf, &tls);
	tcp_psk_wipe(&key);
	if (err != 0) {
		fprintf(stderr, "psk_derive: %s\n", tcp_psk_strerror(err));
		return 1;
	}
	printf("identity %s\npsk ", tls.identity);
	for (i = 0; i < tls.len; i++)
		printf("%02x", tls.key[i]);
	printf("\n");
	tcp_psk_tls_wipe(&tls);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int format(int argc, char **argv)
{
	char buf[TCP_PSK_INTERCHANGE_MAX];
	struct tcp_psk key;
	size_t n, i;
	int err, hi, lo;

	if (argc != 4 || strlen(argv[2]) != 1 || argv[2][0] < '0' || argv[2][0] > '2')
		return usage();
	memset(&key, 0, sizeof(key));
	key.hash = (enum tcp_psk_hash)(argv[2][0] - '0');
	n = strlen(argv[3]);
	if (n % 2 != 0 || n / 2 > sizeof(key.key))
		return usage();
	for (i = 0; i < n / 2; i++) {
		hi = hexval(argv[3][2 * i]);
		lo = hexval(argv[3][2 * i + 1]);
		if (hi < 0 || lo < 0)
			return usage();
		key.key[i] = (uint8_t)(hi << 4 | lo);
	}
	key.len = n / 2;
	err = tcp_psk_format(&key, buf, sizeof(buf));
	tcp_psk_wipe(&key);
	if (err != 0) {
		fprintf(stderr, "psk_derive: %s\n", tcp_psk_strerror(err));
		return 1;
	}
	printf("%s\n", buf);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "derive") == 0)
		return derive(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "format") == 0)
		return format(argc, argv);
	return usage();
}
