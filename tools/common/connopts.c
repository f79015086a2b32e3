/*
 * The connection options of nvmfctl and nvmf-fuse (see connopts.h).
 */
#include "connopts.h"
#include "hints.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct tc_conn_opt table[] = {
	{ TC_CO_TRANSPORT,       "transport",       't', true,  0, 0 },
	{ TC_CO_TRADDR,          "traddr",          'a', true,  0, 0 },
	{ TC_CO_TRSVCID,         "trsvcid",         's', true,  1, 65535 },
	{ TC_CO_NQN,             "nqn",             'n', true,  0, 0 },
	{ TC_CO_HOSTNQN,         "hostnqn",         'q', true,  0, 0 },
	{ TC_CO_HOSTID,          "hostid",          'I', true,  0, 0 },
	/* A connection with files needs I/O queues: 0 (admin only) is not
	 * offered; nvmfctl's inspection commands set 0 themselves. */
	{ TC_CO_NR_IO_QUEUES,    "nr-io-queues",    'i', true,  1, 1024 },
	/* NVMe Base 2.0, 3.3.1: a queue has at least 2 entries, at most 64 Ki. */
	{ TC_CO_QUEUE_SIZE,      "queue-size",      'Q', true,  2, 1024 },	/* XP_QSIZE_MAX */
	{ TC_CO_KATO,            "keep-alive-tmo",  'k', true,  0, 65535 },
	{ TC_CO_HDR_DIGEST,      "hdr-digest",      'g', false, 0, 0 },
	{ TC_CO_DATA_DIGEST,     "data-digest",     'G', false, 0, 0 },
	{ TC_CO_CONNECT_TIMEOUT, "connect-timeout", 0,   true,  1, 3600 },
	{ TC_CO_IO_TIMEOUT,      "io-timeout",      0,   true,  1, 3600 },
	/* nvme-cli's letters: -1 is "forever" (ctrl-loss-tmo) and "off"
	 * (fast_io_fail_tmo, the default). The upper bound is nvmf_connect()'s
	 * (src/host/connect.c), as for the other times. */
	{ TC_CO_RECONNECT_DELAY, "reconnect-delay", 'c', true,  1, 4000000 },
	{ TC_CO_CTRL_LOSS_TMO,   "ctrl-loss-tmo",   'l', true,  -1, 4000000 },
	{ TC_CO_FAST_IO_FAIL_TMO, "fast_io_fail_tmo", 'F', true, -1, 4000000 },
	/* TLS: nvme-cli's --tls; its key option, in the spelling nvme-cli's
	 * documentation and this project's issues use; no letters (nvme-cli
	 * has none for them). */
	{ TC_CO_TLS,             "tls",             0,   false, 0, 0 },
	{ TC_CO_TLS_KEY,         "tls-key",         0,   true,  0, 0 },
	{ TC_CO_TLS_KEY_FILE,    "tls-key-file",    0,   true,  0, 0 },
	{ TC_CO_TLS_IDENTITY,    "tls-identity",    0,   true,  -1, 1 },
	{ TC_CO_TLS_COMPAT,      "tls-compat",      0,   false, 0, 0 },
	/* DH-HMAC-CHAP: nvme-cli's -S/--dhchap-secret and -C/--dhchap-ctrl-secret,
	 * and files holding them (a command line is public). */
	{ TC_CO_DHCHAP_SECRET,   "dhchap-secret",   'S', true,  0, 0 },
	{ TC_CO_DHCHAP_CTRL_SECRET, "dhchap-ctrl-secret", 'C', true, 0, 0 },
	{ TC_CO_DHCHAP_SECRET_FILE, "dhchap-secret-file", 0, true, 0, 0 },
	{ TC_CO_DHCHAP_CTRL_SECRET_FILE, "dhchap-ctrl-secret-file", 0, true, 0, 0 },
	{ TC_CO_NAME,            "name",            0,   true,  0, 0 },
};

#define NOPTS (sizeof(table) / sizeof(table[0]))

static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -e;
}

/* ---- The table -------------------------------------------------------------------- */

static int val_of(const struct tc_conn_opt *o, bool letters)
{
	return letters && o->letter ? o->letter : o->id;
}

const struct tc_conn_opt *tc_conn_find(int val, unsigned set, bool letters)
{
	for (size_t i = 0; i < NOPTS; i++)
		if ((set & TC_CO_BIT(table[i].id)) && val_of(&table[i], letters) == val)
			return &table[i];
	return NULL;
}

size_t tc_conn_longopts(struct option *out, unsigned set, bool letters)
{
	size_t n = 0;

	for (size_t i = 0; i < NOPTS; i++) {
		if (!(set & TC_CO_BIT(table[i].id)))
			continue;
		out[n++] = (struct option){ table[i].name,
					    table[i].arg ? required_argument : no_argument, NULL,
					    val_of(&table[i], letters) };
	}
	return n;
}

void tc_conn_table(struct option *out, unsigned set, bool letters, const struct option *own)
{
	size_t n;

	if (out[0].name)
		return;
	n = tc_conn_longopts(out, set, letters);
	do
		out[n++] = *own;
	while ((own++)->name);
}

void tc_conn_shortopts(char *out, size_t len, unsigned set)
{
	size_t n = 0;

	for (size_t i = 0; i < NOPTS && n + 3 <= len; i++) {
		if (!(set & TC_CO_BIT(table[i].id)) || !table[i].letter)
			continue;
		out[n++] = table[i].letter;
		if (table[i].arg)
			out[n++] = ':';
	}
	if (len)
		out[n < len ? n : len - 1] = '\0';
}

const char *tc_conn_label(const struct tc_conn_opt *opt, bool letters, char *buf, size_t len)
{
	if (letters && opt->letter)
		snprintf(buf, len, "-%c/--%s", opt->letter, opt->name);
	else
		snprintf(buf, len, "--%s", opt->name);
	return buf;
}

/* ---- Values ----------------------------------------------------------------------- */

int tc_parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
		 char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		goto bad;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		goto bad;
	*out = v;
	return 0;
bad:
	return fail(err, errlen, EINVAL, "%s: '%s' is not a number from %" PRIu64 " to %" PRIu64,
		    opt, s ? s : "", lo, hi);
}

int tc_parse_int(const char *opt, const char *s, int lo, int hi, int *out, char *err,
		 size_t errlen)
{
	long long v;
	char *end;

	errno = 0;
	if (!s || !*s || isspace((unsigned char)*s))
		goto bad;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		goto bad;
	*out = (int)v;
	return 0;
bad:
	return fail(err, errlen, EINVAL, "%s: '%s' is not a number from %d to %d", opt,
		    s ? s : "", lo, hi);
}

int tc_check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= TC_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

/* NVMe Base 2.0, 4.5: an NQN is at most 223 bytes of UTF-8. */
/* A blank or control character, which no NQN may hold, or NULL. */
static const char *nqn_bad_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f)
			return s;
	return NULL;
}

bool tc_nqn_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= NVMF_NQN_MAX_LEN && !nqn_bad_char(s);
}

static int check_nqn(const char *label, const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);

	if (n == 0 || n > NVMF_NQN_MAX_LEN)
		return fail(err, errlen, EINVAL, "%s: '%s' must be 1 to %d bytes", label, s,
			    NVMF_NQN_MAX_LEN);
	if (nqn_bad_char(s))
		return fail(err, errlen, EINVAL,
			    "%s: '%s' contains a space or control character", label, s);
	return 0;
}

/* Is s (n bytes) an IPv6 literal, with a "%zone" perhaps? Host names and
 * IPv4 addresses have no colon: with one, s is that or a mistake. */
static bool ipv6_literal(const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a;
	size_t len = strcspn(s, "%");

	if (len > n)
		len = n;
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

static int set_traddr(const char *label, const char *s, bool letters, struct nvmf_opts *o,
		      char *err, size_t errlen)
{
	size_t n = strlen(s);
	const char *colon;

	/* nvme-cli takes IPv6 addresses bare; accept [brackets] too. */
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(o->traddr))
		return fail(err, errlen, EINVAL, "%s: '%s' must be 1 to %zu characters", label, s,
			    sizeof(o->traddr) - 1);
	for (size_t i = 0; i < n; i++)
		if (isspace((unsigned char)s[i]) || !isprint((unsigned char)s[i]))
			return fail(err, errlen, EINVAL,
				    "%s: '%.*s' contains a space or control character", label,
				    (int)n, s);
	/* "host:4420" or "[::1]:4420": a port glued to the address, as a URI
	 * or ssh would take it; nvme-cli's options keep it apart. */
	colon = memchr(s, ':', n);
	if (colon && !ipv6_literal(s, n)) {
		const char *port = s + n;
		const char *svc = letters ? "-s" : "--trsvcid";

		while (port > s && isdigit((unsigned char)port[-1]))
			port--;
		if (port > s + 1 && port < s + n && port[-1] == ':')
			return fail(err, errlen, EINVAL, "%s: '%.*s' is not an IPv6 address; use "
				    "%s for the service (port): %.*s %.*s %s %.*s", label, (int)n, s,
				    svc, (int)strcspn(label, "/"), label, (int)(port - 1 - s), s,
				    svc, (int)(s + n - port), port);
		return fail(err, errlen, EINVAL, "%s: '%.*s' is not an IPv6 address; use %s "
			    "for the service (port)", label, (int)n, s, svc);
	}
	memcpy(o->traddr, s, n);
	o->traddr[n] = '\0';
	return 0;
}

/*
 * The service (port): a decimal number from 1 to 65535, as nvme-cli passes
 * it on and a URI writes it. Not C notation (tc_parse_u64's): 017523 was
 * read as octal (port 8019), 0x1f53 taken. Leading zeros stay decimal.
 */
long tc_port_num(const char *s)
{
	size_t n = strlen(s);
	const char *p = s;
	unsigned long v;

	while (p[0] == '0' && p[1])
		p++;
	if (n == 0 || strspn(s, "0123456789") != n || strlen(p) > 5)
		return -1;
	v = strtoul(p, NULL, 10);
	return v >= 1 && v <= 65535 ? (long)v : -1;
}

static int set_port(const char *label, const char *s, struct nvmf_opts *o, char *err,
		    size_t errlen)
{
	long v = tc_port_num(s);

	if (v < 0)
		return fail(err, errlen, EINVAL,
			    "%s: '%s' is not a port: a decimal number from 1 to 65535", label, s);
	snprintf(o->trsvcid, sizeof(o->trsvcid), "%ld", v);
	return 0;
}

void tc_wipe(void *p, size_t len)
{
	volatile unsigned char *w = p;

	for (size_t i = 0; i < len; i++)
		w[i] = 0;
}

void tc_conn_secrets_wipe(struct nvmf_opts *o)
{
	tc_wipe(o->tls_key, sizeof(o->tls_key));
	tc_wipe(o->dhchap_secret, sizeof(o->dhchap_secret));
	tc_wipe(o->dhchap_ctrl_secret, sizeof(o->dhchap_ctrl_secret));
}

/*
 * A secret from the command line (argv: warned about, and argv's copy wiped
 * once taken, the strings being the process's own) or from a file. Never
 * echoed, not even a malformed one.
 */
static int set_secret(const char *label, const char *arg, char *field, size_t size,
		      bool from_argv, char *err, size_t errlen)
{
	/* An empty key (an unset shell variable, most likely) must not mean
	 * "no key": the connection would go on unencrypted or unauthenticated. */
	if (!arg[0])
		return fail(err, errlen, EINVAL, "%s: the key is empty (an unset variable?); "
			    "give the key, or leave the option out", label);
	if (strlen(arg) >= size)
		return fail(err, errlen, EINVAL, "%s: longer than such a key can be", label);
	memcpy(field, arg, strlen(arg) + 1);
	if (from_argv) {
		volatile char *w = (volatile char *)(uintptr_t)arg;

		fprintf(stderr, "warning: %s: a key on the command line is visible to other "
			"users of this machine (ps, /proc); prefer a file or the environment "
			"(nvmfctl(8), ENVIRONMENT)\n", label);
		for (size_t i = 0; w[i]; i++)
			w[i] = 'x';
	}
	return 0;
}

/* The file's first line is the secret (white space around it dropped). */
static int read_secret_file(const char *label, const char *path, char *field, size_t size,
			    char *err, size_t errlen)
{
	char line[256];
	FILE *f = fopen(path, "r");
	size_t n;
	int r;

	if (f == NULL) {
		int e = errno ? errno : EIO;

		/* errno, not EINVAL: a file that is missing or unreadable now
		 * may be there later (nvmf-fuse exits 1 for it, not 2, and
		 * its unit retries). */
		return fail(err, errlen, e, "%s: %s: %s", label, path, strerror(e));
	}
	/* Unbuffered: stdio's buffer would keep a copy of the secret, and
	 * fclose() frees it unwiped. */
	setvbuf(f, NULL, _IONBF, 0);
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	if (line[0] == '\0')
		r = fail(err, errlen, EINVAL, "%s: %s: empty (one line, the key)", label, path);
	else
		r = set_secret(label, line + strspn(line, " \t"), field, size, false, err,
			       errlen);
	tc_wipe(line, sizeof(line));
	return r;
}

/* The integer field of an integer option. */
static int *int_field(int id, struct nvmf_opts *o)
{
	switch (id) {
	case TC_CO_NR_IO_QUEUES:    return &o->nr_io_queues;
	case TC_CO_QUEUE_SIZE:      return &o->queue_size;
	case TC_CO_KATO:            return &o->kato;
	case TC_CO_CONNECT_TIMEOUT: return &o->connect_timeout;
	case TC_CO_IO_TIMEOUT:      return &o->io_timeout;
	case TC_CO_RECONNECT_DELAY: return &o->reconnect_delay;
	case TC_CO_CTRL_LOSS_TMO:   return &o->ctrl_loss_tmo;
	case TC_CO_FAST_IO_FAIL_TMO: return &o->fast_io_fail_tmo;
	case TC_CO_TLS_IDENTITY:    return &o->tls_identity;
	default:                    return NULL;
	}
}

/* tc_conn_set and tc_conn_set_value: argv says whether arg is the
 * process's argv (a key there is warned about and overwritten). */
static int conn_set(const struct tc_conn_opt *opt, const char *arg, bool letters, bool argv,
		    struct nvmf_opts *o, char *err, size_t errlen)
{
	char label[48];
	uint64_t v;
	int *field, r;

	tc_conn_label(opt, letters, label, sizeof(label));
	field = int_field(opt->id, o);
	if (field && opt->lo < 0)	/* -1 has a meaning; decimal only */
		return tc_parse_int(label, arg, opt->lo, opt->hi, field, err, errlen);
	if (field) {
		r = tc_parse_u64(label, arg, (uint64_t)opt->lo, (uint64_t)opt->hi, &v, err, errlen);
		if (r == 0)
			*field = (int)v;
		return r;
	}
	switch (opt->id) {
	case TC_CO_TRANSPORT:
		if (strcmp(arg, "tcp"))
			return fail(err, errlen, EINVAL,
				    "%s: '%s' is not supported (libnvmf speaks tcp only)", label,
				    arg);
		return 0;
	case TC_CO_TRADDR:
		return set_traddr(label, arg, letters, o, err, errlen);
	case TC_CO_TRSVCID:
		return set_port(label, arg, o, err, errlen);
	case TC_CO_NQN:
	case TC_CO_HOSTNQN:
		r = check_nqn(label, arg, err, errlen);
		if (r == 0 && opt->id == TC_CO_NQN)
			snprintf(o->subnqn, sizeof(o->subnqn), "%s", arg);
		else if (r == 0)
			snprintf(o->hostnqn, sizeof(o->hostnqn), "%s", arg);
		return r;
	case TC_CO_HOSTID:
		if (nvmf_hostid_parse(arg, o->hostid) < 0)
			return fail(err, errlen, EINVAL, "%s: '%s' is not a UUID "
				    "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", label, arg);
		return 0;
	case TC_CO_HDR_DIGEST:
		o->hdr_digest = true;
		return 0;
	case TC_CO_DATA_DIGEST:
		o->data_digest = true;
		return 0;
	case TC_CO_TLS:
		o->tls = true;
		return 0;
	case TC_CO_TLS_COMPAT:
		o->tls_compat = true;
		return 0;
	case TC_CO_TLS_KEY:
		return set_secret(label, arg, o->tls_key, sizeof(o->tls_key), argv, err, errlen);
	case TC_CO_DHCHAP_SECRET:
	case TC_CO_DHCHAP_CTRL_SECRET:
		return set_secret(label, arg, opt->id == TC_CO_DHCHAP_SECRET ? o->dhchap_secret
			: o->dhchap_ctrl_secret, NVMF_DHCHAP_KEY_BUFSZ, argv, err, errlen);
	case TC_CO_DHCHAP_SECRET_FILE:
	case TC_CO_DHCHAP_CTRL_SECRET_FILE:
		return read_secret_file(label, arg, opt->id == TC_CO_DHCHAP_SECRET_FILE
			? o->dhchap_secret : o->dhchap_ctrl_secret, NVMF_DHCHAP_KEY_BUFSZ, err, errlen);
	case TC_CO_TLS_KEY_FILE:
		/* Absolute: the file is read again at every reconnect, and
		 * nvmf-fuse's server runs in "/" (a relative name would stop
		 * resolving once it is a daemon). */
		if (tc_abs_path(arg, o->tls_key_file, sizeof(o->tls_key_file)) < 0)
			return fail(err, errlen, EINVAL, "%s: '%s' must be a file name of 1 to "
				    "%zu characters (with the current directory)", label, arg,
				    sizeof(o->tls_key_file) - 1);
		return 0;
	case TC_CO_NAME:
		if (tc_check_name(arg) < 0)
			return fail(err, errlen, EINVAL, "%s: '%s' is not a valid connection name "
				    "(1-%d of A-Z a-z 0-9 . _ -, not starting with '.')", label,
				    arg, TC_NAME_MAX - 1);
		return 0;
	default:
		return fail(err, errlen, EINVAL, "%s: not a connection option", label);
	}
}

int tc_conn_set(const struct tc_conn_opt *opt, const char *arg, bool letters,
		struct nvmf_opts *o, char *err, size_t errlen)
{
	return conn_set(opt, arg, letters, true, o, err, errlen);
}

int tc_conn_set_value(const struct tc_conn_opt *opt, const char *arg, struct nvmf_opts *o,
		      char *err, size_t errlen)
{
	return conn_set(opt, arg, false, false, o, err, errlen);
}

/* ---- Back to a command line --------------------------------------------------------- */

void tc_conn_args(const struct nvmf_opts *o, unsigned set,
		  void (*add)(void *user, const char *opt, const char *val), void *user)
{
	struct nvmf_opts d;
	char opt[48], val[40];

	nvmf_opts_init(&d);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct tc_conn_opt *e = &table[i];
		int *f = int_field(e->id, (struct nvmf_opts *)o), *df = int_field(e->id, &d);

		if (!(set & TC_CO_BIT(e->id)))
			continue;
		snprintf(opt, sizeof(opt), "--%s", e->name);
		if (f) {
			if (*f == *df || (e->id == TC_CO_NR_IO_QUEUES && *f <= 0))
				continue;
			snprintf(val, sizeof(val), "%d", *f);
			add(user, opt, val);
			continue;
		}
		switch (e->id) {
		case TC_CO_TRADDR:
			if (strcmp(o->traddr, d.traddr))
				add(user, opt, o->traddr);
			break;
		case TC_CO_TRSVCID:
			if (strcmp(o->trsvcid, d.trsvcid))
				add(user, opt, o->trsvcid);
			break;
		case TC_CO_NQN:
			if (strcmp(o->subnqn, d.subnqn))
				add(user, opt, o->subnqn);
			break;
		case TC_CO_HOSTNQN:
			if (strcmp(o->hostnqn, d.hostnqn))
				add(user, opt, o->hostnqn);
			break;
		case TC_CO_HOSTID:
			if (memcmp(o->hostid, d.hostid, sizeof(d.hostid))) {
				nvmf_hostid_format(o->hostid, val);
				add(user, opt, val);
			}
			break;
		case TC_CO_HDR_DIGEST:
			if (o->hdr_digest)
				add(user, opt, NULL);
			break;
		case TC_CO_DATA_DIGEST:
			if (o->data_digest)
				add(user, opt, NULL);
			break;
		case TC_CO_TLS:
			if (o->tls)
				add(user, opt, NULL);
			break;
		case TC_CO_TLS_COMPAT:
			if (o->tls_compat)
				add(user, opt, NULL);
			break;
		case TC_CO_TLS_KEY_FILE:
			if (o->tls_key_file[0])
				add(user, opt, o->tls_key_file);
			break;
		default:	/* transport (tcp only), name, the TLS key */
			break;
		}
	}
}

/* Copy a secret out of the environment once, wiping it where it lay
 * (/proc/PID/environ shows the process's original environment block,
 * unsetenv or not) and unsetting it. */
static void env_take(const char *name, char *saved, size_t size)
{
	const char *k = getenv(name);

	if (k != NULL) {
		size_t n = strlen(k), m = n < size ? n : size - 1;
		volatile char *w = (volatile char *)(uintptr_t)k;

		/* saved holds one byte more than the option's field: a value
		 * cut here is still too long for it, and refused by env_give. */
		memcpy(saved, k, m);
		saved[m] = '\0';
		for (size_t i = 0; i < n; i++)
			w[i] = 0;
	}
	unsetenv(name);
}

static int env_give(const char *name, const char *saved, char *field, size_t size,
		    char *err, size_t errlen)
{
	if (strlen(saved) >= size)
		return fail(err, errlen, EINVAL, "%s: longer than such a key can be", name);
	memcpy(field, saved, strlen(saved) + 1);
	return 0;
}

/* Read once and kept: a tool may finish several targets' options (nvmfctl
 * discover with /etc/nvme/discovery.conf, one per line), and the fio engine
 * finishes each job's on its own thread, at once. */
static char env_tls[NVMF_TLS_KEY_BUFSZ + 1], env_hs[NVMF_DHCHAP_KEY_BUFSZ + 1],
	    env_cs[NVMF_DHCHAP_KEY_BUFSZ + 1];
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void env_take_all(void)
{
	env_take(TC_TLS_KEY_ENV, env_tls, sizeof(env_tls));
	env_take(TC_DHCHAP_SECRET_ENV, env_hs, sizeof(env_hs));
	env_take(TC_DHCHAP_CTRL_SECRET_ENV, env_cs, sizeof(env_cs));
}

int tc_conn_secrets_env(struct nvmf_opts *o, unsigned given, char *err, size_t errlen)
{
	const char *tls = env_tls, *hs = env_hs, *cs = env_cs;
	int r = 0;

	pthread_once(&env_once, env_take_all);
	if (tls[0] && !(given & TC_CO_BIT(TC_CO_TLS_KEY)))
		r = env_give(TC_TLS_KEY_ENV, tls, o->tls_key, sizeof(o->tls_key), err, errlen);
	if (r == 0 && hs[0] && !(given & (TC_CO_BIT(TC_CO_DHCHAP_SECRET) |
					  TC_CO_BIT(TC_CO_DHCHAP_SECRET_FILE))))
		r = env_give(TC_DHCHAP_SECRET_ENV, hs, o->dhchap_secret,
			     sizeof(o->dhchap_secret), err, errlen);
	if (r == 0 && cs[0] && !(given & (TC_CO_BIT(TC_CO_DHCHAP_CTRL_SECRET) |
					  TC_CO_BIT(TC_CO_DHCHAP_CTRL_SECRET_FILE))))
		r = env_give(TC_DHCHAP_CTRL_SECRET_ENV, cs, o->dhchap_ctrl_secret,
			     sizeof(o->dhchap_ctrl_secret), err, errlen);
	if (r < 0)
		return r;
	/* What libnvmf would refuse at connect (host/connect.c), named as
	 * the options the user typed. */
	if (!o->tls && !o->tls_key[0] &&
	    (o->tls_identity != 0 ||
	     (given & (TC_CO_BIT(TC_CO_TLS_COMPAT) | TC_CO_BIT(TC_CO_TLS_KEY_FILE)))))
		return fail(err, errlen, EINVAL, "--tls-identity, --tls-compat and --tls-key-file "
			    "need --tls (or a TLS key: --tls-key, %s)", TC_TLS_KEY_ENV);
	if (o->dhchap_ctrl_secret[0] && !o->dhchap_secret[0])
		return fail(err, errlen, EINVAL, "a DH-HMAC-CHAP controller secret "
			    "(--dhchap-ctrl-secret) needs the host's too (--dhchap-secret, %s): "
			    "bidirectional authentication", TC_DHCHAP_SECRET_ENV);
	return 0;
}

/* ---- URI query parameters ------------------------------------------------------------ */

int tc_conn_uri_params(struct nvmf_opts *o, const char *uri, unsigned given, bool letters,
		       char *err, size_t errlen)
{
	static const struct { int id; const char *key; } params[] = {
		{ TC_CO_RECONNECT_DELAY,  "reconnect_delay" },
		{ TC_CO_CTRL_LOSS_TMO,    "ctrl_loss_tmo" },
		{ TC_CO_FAST_IO_FAIL_TMO, "fast_io_fail_tmo" },
	};
	struct nvmf_opts t = *o;
	char label[48], line[1024];

	/* A URI carries no secret: this copy needs none of o's, and would
	 * leave them on the stack. */
	tc_conn_secrets_wipe(&t);
	/* nvmf_opts_set_uri() writes only the parameters the URI names:
	 * what it leaves at INT_MIN was not given. */
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		*int_field(params[i].id, &t) = INT_MIN;
	t.poll_us = INT_MIN;
	if (nvmf_opts_set_uri(&t, uri) < 0)
		return fail(err, errlen, EINVAL, "%s", tc_uri_error(line, sizeof(line), uri,
								    nvmf_get_error()));
	/* Polling (nvmf.h, POLLING) has no option of its own in the tools:
	 * the URI's value, if it gives one. */
	if (t.poll_us != INT_MIN)
		o->poll_us = t.poll_us;
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		int v = *int_field(params[i].id, &t);

		if (v == INT_MIN)
			continue;
		if (given & TC_CO_BIT(params[i].id))
			return fail(err, errlen, EINVAL, "%s and the URI's %s=%d both given: "
				    "give one", tc_conn_label(tc_conn_find(
				    params[i].id, ~0u, false), letters, label, sizeof(label)),
				    params[i].key, v);
		*int_field(params[i].id, o) = v;
	}
	return 0;
}

/* ---- getopt ------------------------------------------------------------------------- */

#if !defined(__GLIBC__)
extern int optreset;		/* BSD; hidden by _POSIX_C_SOURCE in some headers */
#endif

void tc_getopt_reset(void)
{
#if defined(__GLIBC__)
	optind = 0;		/* glibc: full re-initialisation */
#else
	optreset = 1;
	optind = 1;
#endif
}

int tc_abs_path(const char *name, char *buf, size_t len)
{
	char cwd[NVMF_PATH_BUFSZ];
	size_t cl = 0, nl = strlen(name);

	if (!nl)
		return -EINVAL;
	if (name[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return errno == ERANGE ? -ENAMETOOLONG : -errno;
		cl = strcmp(cwd, "/") ? strlen(cwd) : 0;
	}
	if (cl + (cl ? 1 : 0) + nl >= len)
		return -ENAMETOOLONG;
	if (cl) {
		memcpy(buf, cwd, cl);
		buf[cl++] = '/';
	} else if (name[0] != '/') {
		buf[cl++] = '/';	/* the current directory is "/" */
		if (cl + nl >= len)
			return -ENAMETOOLONG;
	}
	memcpy(buf + cl, name, nl + 1);
	return 0;
}
