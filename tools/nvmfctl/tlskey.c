/*
 * nvmfctl: gen-tls-key and check-tls-key, nvme-cli's commands for NVMe/TCP
 * TLS pre-shared keys (NVMe TCP Transport 3.6.1), with nvme-cli 2.x's
 * options and output:
 *
 *   gen-tls-key   prints a new configured PSK in the interchange format
 *                 ("NVMeTLSkey-1:01:...:"), random or from --secret;
 *   check-tls-key checks one; with --subsysnqn prints the PSK identity
 *                 that the key gives for the host and subsystem.
 *
 * --insert derives the TLS PSK of that identity and, where nvme-cli puts it
 * in the kernel's .nvme keyring, appends it to the key file (--keyfile,
 * default /etc/nvme/tls-keys) in the layout nvme-cli's --keyfile writes
 * (src/tcp/tls_keyfile.h). There is no keyring: --keyring and --keytype are
 * refused with a message saying so.
 *
 * Keys never appear in error or warning lines. A key or secret on the
 * command line works but draws a warning (others can read argv); each has a
 * way in through standard input instead, and the argv copy is wiped once
 * read. The code of src/tcp (keys, key files) is compiled into nvmfctl:
 * libnvmf exports none of it.
 */
#include "nvmfctl.h"

int cmd_gen_tls_key(int argc, char **argv);
int cmd_check_tls_key(int argc, char **argv);

#ifndef NVMF_WITH_TLS

/* The commands are listed everywhere; without OpenSSL they only say so. */
int cmd_gen_tls_key(int argc, char **argv)
{
	nc_err("built without OpenSSL");
	return NC_EXIT_FAIL;
}

int cmd_check_tls_key(int argc, char **argv)
{
	nc_err("built without OpenSSL");
	return NC_EXIT_FAIL;
}

#else /* NVMF_WITH_TLS */

#include <getopt.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tcp/tls_keyfile.h"
#include "keyfmt/keyfmt.h"
#include "tcp/tls_psk.h"

static const char gen_help[] =
	"Usage: nvmfctl gen-tls-key [-m 1|2] [-s HEX|-] [-i -c SUBNQN [OPTIONS]]\n"
	"Print a new TLS pre-shared key (the configured PSK) in the NVMe PSK\n"
	"interchange format, as 'nvme gen-tls-key' does; with -i also derive the TLS\n"
	"PSK for the host and subsystem and append it to the key file.\n\n"
	"  -m, --hmac 1|2             1: SHA-256, 32-byte key (default); 2: SHA-384, 48 bytes\n"
	"  -s, --secret HEX|-         the key instead of a random one: 64 (or 96) hex\n"
	"                             digits; '-' reads them from standard input\n"
	"  -i, --insert               append the derived TLS PSK to the key file\n"
	"  -c, --subsysnqn NQN        subsystem NQN (needed by -i)\n"
	"  -n, --hostnqn NQN          host NQN (default: nvmfctl show-hostnqn)\n"
	"  -I, --identity 0|1         PSK identity version (default 0)\n"
	"  -C, --compat               derive as libnvme <= 1.15 did (nvme-cli 2.16 --compat)\n"
	"  -f, --keyfile FILE         key file (default " TCP_KEYFILE_DEFAULT ")\n"
	"  -o, --output-format FMT    normal or json\n"
	"  -v, --verbose              accepted, no effect\n"
	"  -h, --help                 this text\n"
	"Without -i, -c, -n, -I, -C and -f have no effect (as in nvme-cli).\n";

static const char check_help[] =
	"Usage: nvmfctl check-tls-key [-d KEY] [-c SUBNQN [-n HOSTNQN] [-I 0|1] [-i]]\n"
	"Check a TLS pre-shared key in the NVMe PSK interchange format; with -c print\n"
	"the PSK identity it gives for the host and subsystem, as 'nvme check-tls-key'\n"
	"does; with -i also append the derived TLS PSK to the key file.\n\n"
	"  -d, --keydata KEY          the key (default: read a line from standard input;\n"
	"                             --key and -k KEY as in nvme-cli 2.3 work too)\n"
	"  -c, --subsysnqn NQN        subsystem NQN: print the identity\n"
	"  -n, --hostnqn NQN          host NQN (default: nvmfctl show-hostnqn)\n"
	"  -I, --identity 0|1         PSK identity version (default 0)\n"
	"  -C, --compat               derive as libnvme <= 1.15 did (nvme-cli 2.16 --compat)\n"
	"  -i, --insert               append the derived TLS PSK to the key file\n"
	"  -f, --keyfile FILE         key file (default " TCP_KEYFILE_DEFAULT ")\n"
	"  -o, --output-format FMT    normal or json\n"
	"  -v, --verbose              accepted, no effect\n"
	"  -h, --help                 this text\n";

enum {
	O_KEY = 256,		/* nvme-cli 2.3's check-tls-key --key */
};

static const struct option opts[] = {
	{ "hmac",          required_argument, NULL, 'm' },
	{ "secret",        required_argument, NULL, 's' },
	{ "keydata",       required_argument, NULL, 'd' },
	{ "key",           required_argument, NULL, O_KEY },
	{ "hostnqn",       required_argument, NULL, 'n' },
	{ "subsysnqn",     required_argument, NULL, 'c' },
	{ "identity",      required_argument, NULL, 'I' },
	{ "keyfile",       required_argument, NULL, 'f' },
	{ "insert",        no_argument,       NULL, 'i' },
	{ "compat",        no_argument,       NULL, 'C' },
	{ "keyring",       required_argument, NULL, 'k' },
	{ "keytype",       required_argument, NULL, 't' },
	{ "output-format", required_argument, NULL, 'o' },
	{ "verbose",       no_argument,       NULL, 'v' },
	{ "help",          no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	bool gen;		/* gen-tls-key, else check-tls-key */
	int hmac;		/* gen: 1 or 2 */
	char *secret;		/* gen: argv's string, or "-" */
	char *keydata;		/* check: argv's string, NULL for stdin */
	const char *hostnqn, *subnqn, *keyfile;
	int version;
	bool insert, compat;
	enum nc_fmt fmt;
};

static int refuse_keyring(const char *opt)
{
	return nc_usage_err("%s: nvmfctl has no kernel keyring; -i/--insert appends the "
			    "TLS PSK to a key file (-f/--keyfile, default %s)", opt,
			    TCP_KEYFILE_DEFAULT);
}

static int one_opt(struct args *a, int c, char *arg)
{
	switch (c) {
	case 'm':
		if (!a->gen)
			break;
		return nc_parse_int("-m/--hmac", arg, 1, 2, &a->hmac) < 0 ? NC_EXIT_USAGE : 0;
	case 's':
		if (!a->gen)
			break;
		a->secret = arg;
		return 0;
	case 'k':
		/* nvme-cli 2.3's check-tls-key -k KEY, 2.16's -k KEYRING */
		if (!a->gen && !strncmp(arg, "NVMeTLSkey-", 11)) {
			a->keydata = arg;
			return 0;
		}
		return refuse_keyring("-k/--keyring");
	case 't':
		return refuse_keyring("-t/--keytype");
	case 'd':
	case O_KEY:
		if (a->gen)
			break;
		a->keydata = arg;
		return 0;
	case 'n':
		a->hostnqn = arg;
		return 0;
	case 'c':
		a->subnqn = arg;
		return 0;
	case 'I':
		return nc_parse_int("-I/--identity", arg, 0, 1, &a->version) < 0 ?
			NC_EXIT_USAGE : 0;
	case 'f':
		if (!*arg)
			return nc_usage_err("-f/--keyfile: empty file name");
		a->keyfile = arg;
		return 0;
	case 'i':
		a->insert = true;
		return 0;
	case 'C':
		a->compat = true;
		return 0;
	case 'o':
		return nc_parse_fmt(arg, false, &a->fmt) < 0 ? NC_EXIT_USAGE : 0;
	case 'v':
		return 0;
	}
	return nc_usage_err("%s does not apply to %s", c == O_KEY ? "--key" :
			    c == 'd' ? "-d/--keydata" : c == 'm' ? "-m/--hmac" : "-s/--secret",
			    nc_cmd);
}

/* 0, -1 after --help, or an exit status after an error. */
static int parse(int argc, char **argv, struct args *a)
{
	int c, r;

	a->hmac = 1;
	a->keyfile = TCP_KEYFILE_DEFAULT;
	tc_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:s:d:n:c:I:f:iCk:t:o:vh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(a->gen ? gen_help : check_help, stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return nc_getopt_err(c, optopt, argv);
		r = one_opt(a, c, optarg);
		if (r)
			return r;
	}
	if (optind < argc)
		return nc_usage_err("unexpected argument '%s'", argv[optind]);
	if (a->insert && !a->subnqn)
		return nc_usage_err("-i/--insert needs -c/--subsysnqn");
	/* The NQNs an identity is made of, where one is derived (gen-tls-key
	 * -i, check-tls-key -c), checked before any key is made or printed:
	 * tcp_psk_derive() would refuse them only after. */
	if (a->gen ? !a->insert : !a->subnqn)
		return 0;
	if (!tc_nqn_ok(a->subnqn))
		return nc_usage_err("-c/--subsysnqn: '%s' is not an NQN (1 to %d bytes, no "
				    "blanks)", a->subnqn, NVMF_NQN_MAX_LEN);
	if (a->hostnqn && !tc_nqn_ok(a->hostnqn))
		return nc_usage_err("-n/--hostnqn: '%s' is not an NQN (1 to %d bytes, no "
				    "blanks)", a->hostnqn, NVMF_NQN_MAX_LEN);
	return 0;
}

/* ---- Key material in ------------------------------------------------------------ */

/* argv is readable by every user (ps, /proc/PID/cmdline): say so, once the
 * value is copied wipe it there (the window stays, and shell history). */
static void argv_warning(const char *what, const char *instead)
{
	nc_err("warning: %s on the command line is visible to other users; %s", what,
	       instead);
}

/*
 * One line of standard input, without its line end: 0 or -1 (printed).
 * Unbuffered, so that no copy of the key stays in stdio's buffer.
 */
static int read_stdin_line(const char *what, char *buf, size_t size)
{
	size_t len;

	setvbuf(stdin, NULL, _IONBF, 0);
	if (!fgets(buf, (int)size, stdin)) {
		OPENSSL_cleanse(buf, size);	/* a read error leaves part of a line */
		nc_err("no %s on standard input", what);
		return -1;
	}
	len = strcspn(buf, "\r\n");
	if (buf[len] == '\0' && len == size - 1) {
		OPENSSL_cleanse(buf, size);
		nc_err("%s on standard input: line too long", what);
		return -1;
	}
	buf[len] = '\0';
	return 0;
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

/*
 * --secret into psk->key: exactly 2 * len hex digits. Stricter than nvme-cli
 * 2.x, which drops digits past the key's length ("Skipping excess secret
 * bytes") and echoes a bad secret in its error message.
 */
static int secret_key(struct args *a, struct tcp_psk *psk)
{
	char buf[TCP_PSK_MAX_LEN * 2 + 8];
	const char *hex = a->secret;
	size_t n;
	int r = NC_EXIT_USAGE;

	if (!strcmp(a->secret, "-")) {
		if (read_stdin_line("secret", buf, sizeof(buf)) < 0)
			return NC_EXIT_FAIL;
		hex = buf;
	} else {
		argv_warning("-s/--secret", "--secret=- reads it from standard input");
	}
	n = strlen(hex);
	if (!strncmp(hex, "pin:", 4)) {
		nc_usage_err("-s/--secret: 'pin:' secrets are not supported");
	} else if (n != 2 * psk->len) {
		nc_usage_err("-s/--secret: %zu hex digits expected for -m/--hmac=%d, got %zu "
			     "characters", 2 * psk->len, a->hmac, n);
	} else {
		r = 0;
		for (size_t i = 0; i < psk->len && r == 0; i++) {
			int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

			if (hi < 0 || lo < 0)
				r = nc_usage_err("-s/--secret: not hexadecimal digits");
			else
				psk->key[i] = (uint8_t)(hi << 4 | lo);
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (hex == a->secret)
		OPENSSL_cleanse(a->secret, n);
	return r;
}

/* --keydata (or stdin) into *psk: 0 or an exit status (printed). */
static int read_key(struct args *a, struct tcp_psk *psk)
{
	char buf[TCP_PSK_INTERCHANGE_MAX + 64];
	const char *text = a->keydata;
	int r;

	if (!text) {
		if (read_stdin_line("key", buf, sizeof(buf)) < 0)
			return NC_EXIT_FAIL;
		text = buf;
	} else {
		argv_warning("the key", "without -d/--keydata it is read from standard input");
	}
	r = tcp_psk_parse(text, psk);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (text == a->keydata)
		OPENSSL_cleanse(a->keydata, strlen(a->keydata));
	if (r != TCP_PSK_OK) {
		nc_err("%s", tcp_psk_strerror(r));
		return NC_EXIT_FAIL;
	}
	return 0;
}

/* ---- Derivation, key file ------------------------------------------------------ */

/*
 * The TLS PSK and identity of psk for the host and subsystem. The host NQN
 * defaults as everywhere in nvmfctl (nvme-cli: /etc/nvme/hostnqn).
 */
static int derive(const struct args *a, const struct tcp_psk *psk, struct tcp_psk_tls *tls)
{
	char hostnqn[NVMF_NQN_BUFSZ];
	const char *h = a->hostnqn;
	int r;

	if (!h) {
		r = nvmf_default_hostnqn(hostnqn, sizeof(hostnqn));
		if (r < 0) {
			nc_err("no host NQN: %s; give -n/--hostnqn",
			       nvmf_get_error()[0] ? nvmf_get_error() : strerror(-r));
			return NC_EXIT_FAIL;
		}
		h = hostnqn;
	}
	r = tcp_psk_derive(psk, h, a->subnqn, a->version,
			   a->compat ? TCP_PSK_KDF_COMPAT : TCP_PSK_KDF_RFC8446, tls);
	if (r != TCP_PSK_OK) {
		nc_err("cannot derive the TLS PSK: %s", tcp_psk_strerror(r));
		return NC_EXIT_FAIL;
	}
	return 0;
}

/* Append tls to the key file; warnings and errors printed. */
static int insert(const struct args *a, const struct tcp_psk_tls *tls)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();
	int r;

	if (!kf) {
		nc_err("out of memory");
		return NC_EXIT_FAIL;
	}
	r = tcp_keyfile_append(kf, a->keyfile, tls);
	for (size_t i = 0; i < tcp_keyfile_warning_count(kf); i++)
		nc_err("warning: %s", tcp_keyfile_warning(kf, i));
	if (r < 0)
		nc_err("cannot insert the TLS PSK: %s", tcp_keyfile_error(kf));
	tcp_keyfile_free(kf);
	return r < 0 ? NC_EXIT_FAIL : 0;
}

/* ---- Output ------------------------------------------------------------------- */

/* A JSON string: the values are NQNs and keys (no json-c: its copies of a
 * key would be freed unwiped). */
static void json_str(const char *name, const char *s, bool last)
{
	printf("\t\"%s\": \"", name);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	printf("\"%s\n", last ? "" : ",");
}

static void inserted(const struct args *a, const char *identity)
{
	printf("Inserted TLS key \"%s\" into %s\n", identity, a->keyfile);
}

/* ---- Commands ----------------------------------------------------------------- */

int cmd_gen_tls_key(int argc, char **argv)
{
	struct args a = { .gen = true };
	char text[TCP_PSK_INTERCHANGE_MAX];
	struct tcp_psk psk;
	struct tcp_psk_tls tls;
	int r = parse(argc, argv, &a);

	if (r)
		return r < 0 ? 0 : r;
	memset(&tls, 0, sizeof(tls));
	memset(&psk, 0, sizeof(psk));
	/* nvme-cli: hh is the --hmac, the key its hash's length */
	psk.hash = a.hmac == 2 ? TCP_PSK_HASH_SHA384 : TCP_PSK_HASH_SHA256;
	psk.len = tcp_psk_hash_len(psk.hash);
	if (a.secret) {
		r = secret_key(&a, &psk);
	} else if (tcp_psk_generate(psk.hash, 0, &psk) != TCP_PSK_OK) {
		nc_err("cannot generate a key: %s", tcp_psk_strerror(TCP_PSK_ERR_CRYPTO));
		r = NC_EXIT_FAIL;
	}
	if (r == 0 && tcp_psk_format(&psk, text, sizeof(text)) != TCP_PSK_OK) {
		nc_err("cannot format the key");
		r = NC_EXIT_FAIL;
	}
	if (r)
		goto out;
	/* Everything that can fail comes first: a key printed by a command
	 * that then fails would be taken for one in the key file. */
	if (a.insert) {
		r = derive(&a, &psk, &tls);
		if (r == 0)
			r = insert(&a, &tls);
		if (r)
			goto out;
	}
	if (a.fmt == NC_FMT_NORMAL)
		printf("%s\n", text);
	if (a.fmt == NC_FMT_JSON) {
		printf("{\n");
		json_str("key", text, !a.insert);
		if (a.insert) {
			json_str("identity", tls.identity, false);
			json_str("keyfile", a.keyfile, true);
		}
		printf("}\n");
	} else if (a.insert) {
		inserted(&a, tls.identity);
	}
out:
	nc_flush_stdout();
	OPENSSL_cleanse(text, sizeof(text));
	tcp_psk_wipe(&psk);
	tcp_psk_tls_wipe(&tls);
	return r;
}

int cmd_check_tls_key(int argc, char **argv)
{
	struct args a = { .gen = false };
	struct tcp_psk psk;
	struct tcp_psk_tls tls;
	uint32_t crc;
	int r = parse(argc, argv, &a);

	if (r)
		return r < 0 ? 0 : r;
	memset(&tls, 0, sizeof(tls));
	r = read_key(&a, &psk);
	if (r)
		return r;
	crc = keyfmt_crc32(psk.key, psk.len);
	if (a.subnqn) {
		r = derive(&a, &psk, &tls);
		if (r == 0 && a.insert)
			r = insert(&a, &tls);
		if (r)
			goto out;
	}
	if (a.fmt == NC_FMT_JSON) {
		char crcs[9];

		/* the CRC as nvme-cli 2.3 prints it: 8 hex digits */
		snprintf(crcs, sizeof(crcs), "%08x", crc);
		printf("{\n\t\"hmac\": %d,\n\t\"length\": %zu,\n", (int)psk.hash, psk.len);
		json_str("crc", crcs, !a.subnqn);
		if (a.subnqn)
			json_str("identity", tls.identity, !a.insert);
		if (a.insert)
			json_str("keyfile", a.keyfile, true);
		printf("}\n");
	} else {
		/* 2.3 (no identities) checks only; 2.16 needs -c and prints the
		 * identity, or with --insert only that it inserted */
		if (!a.subnqn)
			printf("Key is valid (HMAC %d, length %zu, CRC %08x)\n", (int)psk.hash,
			       psk.len, crc);
		else if (!a.insert)
			printf("%s\n", tls.identity);
		else
			inserted(&a, tls.identity);
	}
out:
	nc_flush_stdout();
	tcp_psk_wipe(&psk);
	tcp_psk_tls_wipe(&tls);
	return r;
}

#endif /* NVMF_WITH_TLS */
