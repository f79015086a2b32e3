/*
 * nvmfctl: gen-dhchap-key and check-dhchap-key, nvme-cli 2.x's commands for
 * DH-HMAC-CHAP secrets (NVMe in-band authentication, issue 14), with
 * nvme-cli's options and output:
 *
 *   gen-dhchap-key    prints a new secret, "DHHC-1:hh:<Base64>:", random or
 *                     from --secret; for hh 01..03 the key printed is
 *                     already transformed once with the host NQN, as
 *                     nvme-cli 2.x does (src/auth/auth_secret.h, "generate");
 *   check-dhchap-key  checks one and prints
 *                     "Key is valid (HMAC h, length n, CRC xxxxxxxx)".
 *
 * The format, the transformation and the checks are src/auth/auth_secret.c's
 * (compiled into nvmfctl: libnvmf exports none of src/auth). Where nvme-cli
 * is laxer or echoes what it was given, nvmfctl is strict and says only
 * what is wrong: a key or secret never appears in an error or warning line.
 * A key or secret on the command line works but draws a warning (others can
 * read argv); "-" reads it from standard input instead, and the argv copy is
 * wiped as soon as it is read.
 */
#include "nvmfctl.h"

int cmd_gen_dhchap_key(int argc, char **argv);
int cmd_check_dhchap_key(int argc, char **argv);

#ifndef NVMF_WITH_TLS

/* The commands are listed everywhere; without OpenSSL they only say so. */
int cmd_gen_dhchap_key(int argc, char **argv)
{
	nc_err("built without OpenSSL");
	return NC_EXIT_FAIL;
}

int cmd_check_dhchap_key(int argc, char **argv)
{
	nc_err("built without OpenSSL");
	return NC_EXIT_FAIL;
}

#else /* NVMF_WITH_TLS */

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "auth/auth_secret.h"
#include "keyfmt/keyfmt.h"

static const char gen_help[] =
	"Usage: nvmfctl gen-dhchap-key [-m 0|1|2|3] [-l 32|48|64] [-s HEX|-] [-n NQN]\n"
	"Print a new DH-HMAC-CHAP secret for NVMe in-band authentication in the\n"
	"DHHC-1 representation, as 'nvme gen-dhchap-key' does.\n\n"
	"  -m, --hmac 0..3            hash the secret is transformed with: 0 none (default),\n"
	"                             1 SHA-256, 2 SHA-384, 3 SHA-512\n"
	"  -l, --key-length 32|48|64  bytes of the secret (default 32 for -m 0, else the\n"
	"                             hash's length, the only one allowed)\n"
	"  -s, --secret HEX|-         the secret instead of a random one: twice the key\n"
	"                             length of hex digits; '-' reads them from standard\n"
	"                             input\n"
	"  -n, --nqn NQN              host NQN the secret is transformed with for -m 1..3\n"
	"                             (default for -s: nvmfctl show-hostnqn); as nvme-cli,\n"
	"                             the key printed is then already transformed once\n"
	"  -o, --output-format FMT    normal or json\n"
	"  -v, --verbose              accepted, no effect\n"
	"  -h, --help                 this text\n";

static const char check_help[] =
	"Usage: nvmfctl check-dhchap-key [-k KEY|-]\n"
	"Check a DH-HMAC-CHAP secret in the DHHC-1 representation (hash id, length,\n"
	"Base64, CRC-32) and print what 'nvme check-dhchap-key' prints.\n\n"
	"  -k, --key KEY|-            the key (default, or '-': a line of standard input)\n"
	"  -o, --output-format FMT    normal or json\n"
	"  -v, --verbose              accepted, no effect\n"
	"  -h, --help                 this text\n";

static const struct option gen_opts[] = {
	{ "secret",        required_argument, NULL, 's' },
	{ "key-length",    required_argument, NULL, 'l' },
	{ "nqn",           required_argument, NULL, 'n' },
	{ "hmac",          required_argument, NULL, 'm' },
	{ "output-format", required_argument, NULL, 'o' },
	{ "verbose",       no_argument,       NULL, 'v' },
	{ "help",          no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option check_opts[] = {
	{ "key",           required_argument, NULL, 'k' },
	{ "output-format", required_argument, NULL, 'o' },
	{ "verbose",       no_argument,       NULL, 'v' },
	{ "help",          no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Room for any key or secret and then some: longer input is refused whole. */
#define TEXT_MAX 512

struct args {
	bool gen;		/* gen-dhchap-key, else check-dhchap-key */
	int hmac;		/* gen: 0..3 */
	int key_len;		/* gen: 0 (default), 32, 48, 64 */
	const char *nqn;	/* gen: -n, or NULL */
	bool given;		/* -s / -k given */
	bool from_stdin;	/* ... as '-' (check: or not given) */
	bool too_long;		/* the argv value did not fit text */
	size_t argv_len;	/* its length */
	char text[TEXT_MAX];	/* a copy of the argv value */
	enum nc_fmt fmt;
};

static void args_wipe(struct args *a)
{
	OPENSSL_cleanse(a->text, sizeof(a->text));
}

/*
 * A key or secret on argv: copy it, wipe argv's copy, warn. argv is
 * readable by every user (ps, /proc/PID/cmdline) until then, and stays in
 * shell history: the warning says so and names the way in without it.
 */
static void take_argv_value(struct args *a, char *arg)
{
	size_t len = strlen(arg);

	OPENSSL_cleanse(a->text, sizeof(a->text));
	a->given = true;
	a->too_long = false;
	if (!strcmp(arg, "-")) {
		a->from_stdin = true;
		return;
	}
	a->from_stdin = false;
	a->argv_len = len;
	a->too_long = len >= sizeof(a->text);
	if (!a->too_long)
		memcpy(a->text, arg, len + 1);
	OPENSSL_cleanse(arg, len);
	nc_err("warning: %s on the command line is visible to other users; %s reads it "
	       "from standard input", a->gen ? "-s/--secret" : "the key",
	       a->gen ? "--secret=-" : "--key=-");
}

/*
 * getopt_long's complaint without the word it was about when that word may
 * hold a key: "--secert=HEX" or "--ky=DHHC-1:..." name only the option.
 */
static int opt_err(int c, char **argv)
{
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	size_t n;

	if (optopt)
		return nc_getopt_err(c, optopt, argv);
	n = strcspn(word, "=");
	if (c == ':')
		return nc_usage_err("option '%.*s' needs a value", (int)n, word);
	return nc_usage_err("unknown option '%.*s'", (int)n, word);
}

static int one_opt(struct args *a, int c, char *arg)
{
	switch (c) {
	case 's':
	case 'k':
		take_argv_value(a, arg);
		return 0;
	case 'm':
		return nc_parse_int("-m/--hmac", arg, 0, 3, &a->hmac) < 0 ? NC_EXIT_USAGE : 0;
	case 'l':
		/* The accepted values, whatever was given: a range ("a number
		 * from 0 to 64") would suggest that 40 goes too. 0 is
		 * nvme-cli's "not given". */
		if (strcmp(arg, "0") && strcmp(arg, "32") && strcmp(arg, "48") && strcmp(arg, "64"))
			return nc_usage_err("-l/--key-length: '%s' is not 32, 48 or 64 (bytes)", arg);
		a->key_len = atoi(arg);
		return 0;
	case 'n':
		a->nqn = arg;
		return 0;
	case 'o':
		return nc_parse_fmt(arg, false, &a->fmt) < 0 ? NC_EXIT_USAGE : 0;
	case 'v':
		return 0;
	}
	return nc_usage_err("internal error: option %d", c);
}

/* 0, -1 after --help, or an exit status after an error. */
static int parse(int argc, char **argv, struct args *a)
{
	const struct option *lo = a->gen ? gen_opts : check_opts;
	const char *so = a->gen ? ":s:l:n:m:o:vh" : ":k:o:vh";
	bool positional = false;
	int c, r;

	tc_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			fputs(a->gen ? gen_help : check_help, stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return opt_err(c, argv);
		r = one_opt(a, c, optarg);
		if (r)
			return r;
	}
	/* A stray word may be a key typed without -k: never echoed, wiped. */
	for (int i = optind; i < argc; i++) {
		OPENSSL_cleanse(argv[i], strlen(argv[i]));
		positional = true;
	}
	if (positional)
		return nc_usage_err("unexpected argument%s (not shown; %s)",
				    argc - optind > 1 ? "s" : "",
				    a->gen ? "a secret is given with -s/--secret" :
					     "the key is given with -k/--key or on standard input");
	if (!a->gen && !a->given)
		a->from_stdin = true;
	return 0;
}

/*
 * One line of standard input into a->text, without its line end: 0 or an
 * exit status (printed). Unbuffered, so that no copy stays in stdio's buffer.
 */
static int read_stdin(struct args *a, const char *what)
{
	size_t len;

	setvbuf(stdin, NULL, _IONBF, 0);
	if (!fgets(a->text, (int)sizeof(a->text), stdin)) {
		nc_err("no %s on standard input", what);
		return NC_EXIT_FAIL;
	}
	len = strcspn(a->text, "\r\n");
	if (a->text[len] == '\0' && len == sizeof(a->text) - 1) {
		args_wipe(a);
		nc_err("%s on standard input: line too long", what);
		return NC_EXIT_FAIL;
	}
	a->text[len] = '\0';
	a->argv_len = len;
	return 0;
}

/* A JSON string; the values are keys (no json-c: its copies of a key would
 * be freed unwiped) and fixed words. */
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

/* ---- gen-dhchap-key ------------------------------------------------------------- */

/*
 * The hash and length, checked as nvme-cli does before it reads the secret:
 * 0 or an exit status (printed).
 */
static int gen_length(const struct args *a, size_t *len)
{
	size_t hlen = auth_hash_len((uint8_t)a->hmac);

	if (a->hmac == AUTH_HASH_NONE) {
		*len = a->key_len ? (size_t)a->key_len : 32;
		return 0;
	}
	if (a->key_len && (size_t)a->key_len != hlen)
		return nc_usage_err("-l/--key-length %d does not fit -m/--hmac %d (SHA-%zu: "
				    "%zu-byte keys)", a->key_len, a->hmac, hlen * 8, hlen);
	*len = hlen;
	return 0;
}

/* --secret (argv or stdin) into raw: exactly 2 * len hex digits. */
static int gen_secret(struct args *a, size_t len, uint8_t *raw)
{
	size_t n;
	int r;

	if (a->from_stdin) {
		r = read_stdin(a, "secret");
		if (r)
			return r;
	}
	n = a->too_long ? a->argv_len : strlen(a->text);
	if (n != 2 * len) {
		args_wipe(a);
		return nc_usage_err("-s/--secret: %zu hex digits expected for a %zu-byte key, "
				    "got %zu characters", 2 * len, len, n);
	}
	r = auth_secret_from_hex(a->text, len, raw);
	args_wipe(a);
	if (r != AUTH_OK)
		return nc_usage_err("-s/--secret: not hexadecimal digits");
	return 0;
}

int cmd_gen_dhchap_key(int argc, char **argv)
{
	struct args a = { .gen = true };
	uint8_t raw[AUTH_SECRET_MAX_LEN];
	char hostnqn[NVMF_NQN_BUFSZ];
	char text[AUTH_SECRET_TEXT_MAX];
	const char *nqn = NULL;
	struct auth_secret s;
	size_t len = 0;
	int r = parse(argc, argv, &a);

	memset(&s, 0, sizeof(s));
	memset(raw, 0, sizeof(raw));
	memset(text, 0, sizeof(text));
	if (r) {
		r = r < 0 ? 0 : r;
		goto out;
	}
	r = gen_length(&a, &len);
	if (r == 0 && a.given)
		r = gen_secret(&a, len, raw);
	if (r)
		goto out;

	/*
	 * The NQN the key is transformed with, for hh 01..03 (nvme-cli ignores
	 * it for 00). A random secret needs none: transformed or not it is as
	 * random, so without -n the host NQN is not looked up for it.
	 */
	if (a.hmac != AUTH_HASH_NONE) {
		nqn = a.nqn;
		if (!nqn && a.given) {
			r = nvmf_default_hostnqn(hostnqn, sizeof(hostnqn));
			if (r < 0) {
				nc_err("no host NQN to transform the secret with: %s; give "
				       "-n/--nqn", nvmf_get_error()[0] ? nvmf_get_error() :
				       strerror(-r));
				r = NC_EXIT_FAIL;
				goto out;
			}
			nqn = hostnqn;
		}
	}
	r = auth_secret_generate((uint8_t)a.hmac, len, a.given ? raw : NULL, nqn, &s);
	if (r == AUTH_ERR_NQN) {
		r = nc_usage_err("-n/--nqn: %s", auth_strerror(r));
		goto out;
	}
	if (r == AUTH_OK)
		r = auth_secret_format(&s, text, sizeof(text));
	if (r != AUTH_OK) {
		nc_err("cannot make the key: %s", auth_strerror(r));
		r = NC_EXIT_FAIL;
		goto out;
	}
	if (a.fmt == NC_FMT_JSON) {
		printf("{\n");
		json_str("key", text, true);
		printf("}\n");
	} else {
		printf("%s\n", text);
	}
	nc_flush_stdout();
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(text, sizeof(text));
	auth_secret_wipe(&s);
	args_wipe(&a);
	return r;
}

/* ---- check-dhchap-key ------------------------------------------------------------ */

int cmd_check_dhchap_key(int argc, char **argv)
{
	struct args a = { .gen = false };
	struct auth_secret s;
	uint32_t crc;
	int r = parse(argc, argv, &a);

	memset(&s, 0, sizeof(s));
	if (r) {
		args_wipe(&a);
		return r < 0 ? 0 : r;
	}
	if (a.from_stdin) {
		r = read_stdin(&a, "key");
		if (r)
			goto out;
	}
	/* an argv key too long for the buffer is too long for any key */
	r = a.too_long ? AUTH_ERR_LENGTH : auth_secret_parse(a.text, &s);
	args_wipe(&a);
	if (r != AUTH_OK) {
		nc_err("%s", auth_strerror(r));
		r = NC_EXIT_FAIL;
		goto out;
	}
	crc = keyfmt_crc32(s.key, s.len);
	if (a.fmt == NC_FMT_JSON) {
		char crcs[9];

		/* as check-tls-key -o json: the CRC as nvme-cli prints it */
		snprintf(crcs, sizeof(crcs), "%08x", crc);
		printf("{\n\t\"hmac\": %d,\n\t\"length\": %zu,\n", (int)s.hash, s.len);
		json_str("crc", crcs, true);
		printf("}\n");
	} else {
		printf("Key is valid (HMAC %d, length %zu, CRC %08x)\n", (int)s.hash, s.len, crc);
	}
	nc_flush_stdout();
out:
	args_wipe(&a);
	auth_secret_wipe(&s);
	return r;
}

#endif /* NVMF_WITH_TLS */
