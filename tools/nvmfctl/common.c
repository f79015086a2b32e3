/*
 * nvmfctl: option values, target options, error lines, output helpers.
 */
#include "nvmfctl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef NVMF_WITH_TLS
#include "auth/auth.h"		/* auth_strerror() */
#include "auth/auth_secret.h"	/* the library's DHHC-1 parser, compiled in */
#include "tcp/tls_psk.h"	/* the library's interchange-key parser */
#endif

const char *nc_cmd = "";
const char *nc_where;
const char *nc_argv0;

int nc_stdout_errno;

int nc_flush_stdout(void)
{
	if (fflush(stdout) == 0)
		return 0;
	/* glibc drops the buffer of a failed flush: a later flush succeeds, and
	 * main()'s check would know only that something went wrong, not what. */
	if (!nc_stdout_errno)
		nc_stdout_errno = errno;
	return -1;
}

/* ---- Messages --------------------------------------------------------------- */

/* One line on stderr, escaped whole: the library's messages and ours quote
 * addresses and NQNs, which may be a target's bytes (discovery records). */
static void vmsg(const char *fmt, va_list ap)
{
	char msg[2048], esc[TC_ESC_SIZE(sizeof(msg))];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	nc_flush_stdout();
	if (nc_cmd[0])
		fprintf(stderr, "nvmfctl: %s: ", nc_cmd);
	else
		fprintf(stderr, "nvmfctl: ");
	if (nc_where)
		fprintf(stderr, "%s: ", tc_escape(esc, sizeof(esc), nc_where));
	fprintf(stderr, "%s\n", tc_escape(esc, sizeof(esc), msg));
}

void nc_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int nc_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	if (nc_where)
		return NC_EXIT_USAGE;	/* a configuration file's line, not the command line */
	if (nc_cmd[0])
		fprintf(stderr, "Try 'nvmfctl %s --help'.\n", nc_cmd);
	else
		fprintf(stderr, "Try 'nvmfctl help'.\n");
	return NC_EXIT_USAGE;
}

int nc_getopt_err(int c, int opt, char **argv)
{
	/* getopt_long leaves the offending word at argv[optind - 1]. */
	extern int optind;
	const char *word = optind > 0 ? argv[optind - 1] : "?";

	/*
	 * A long option: opt is then its value in the option table (for
	 * "--flag=x" given to a flag, or a missing value), not a letter to
	 * print. Named up to its '=': what follows may be a key.
	 */
	if (word[0] == '-' && word[1] == '-') {
		size_t n = strcspn(word, "=");

		if (c == ':')
			return nc_usage_err("option '%.*s' needs a value", (int)n, word);
		if (word[n] == '=' && opt)
			return nc_usage_err("option '%.*s' takes no value", (int)n, word);
		if (!opt)
			return nc_usage_err("unknown option '%.*s'", (int)n, word);
		/* Else a letter of the next word, a cluster ("-Zv") getopt
		 * has not stepped past: the word before it is not the one. */
	}
	if (c == ':') {
		if (opt > ' ' && opt < 127)
			return nc_usage_err("option '-%c' needs a value", opt);
		return nc_usage_err("option '%s' needs a value", word);
	}
	if (opt > ' ' && opt < 127)
		return nc_usage_err("unknown option '-%c'", opt);
	return nc_usage_err("unknown option '%s'", word);
}

const char *nc_status_name(uint16_t status, bool connect)
{
	return tc_status_name(status, connect);
}

/* The hints are tools/common's (hints.c), shared with nvmf-fuse. */
static void report(const char *what, int e, uint16_t st, const char *text, bool connecting,
		   const struct nvmf_opts *o)
{
	char line[2048];

	nc_err("%s: %s", what, tc_fail_line(line, sizeof(line), e, st, text, connecting, true, o));
}

int nc_lib_fail(const char *what, int r)
{
	uint16_t st = nvmf_get_status();
	int e = r < 0 ? -r : r;

	report(what, e, e == EIO ? st : 0, nvmf_get_error(), false, NULL);
	return NC_EXIT_FAIL;
}

int nc_connect_fail(const char *what, int r, const struct nvmf_opts *o)
{
	uint16_t st = nvmf_get_status();
	int e = r < 0 ? -r : r;

	report(what, e, e == EIO ? st : 0, nvmf_get_error(), true, o);
	return NC_EXIT_FAIL;
}

int nc_text_fail(const char *what, const char *text, const struct nvmf_opts *o)
{
	report(what, 0, 0, text, true, o);
	return NC_EXIT_FAIL;
}

/* ---- Values ----------------------------------------------------------------- */

int nc_parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char err[512];

	if (tc_parse_u64(opt, s, lo, hi, out, err, sizeof(err)) < 0) {
		nc_usage_err("%s", err);
		return -1;
	}
	return 0;
}

int nc_parse_int(const char *opt, const char *s, int lo, int hi, int *out)
{
	uint64_t v;

	if (nc_parse_u64(opt, s, (uint64_t)lo, (uint64_t)hi, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

int nc_parse_fmt(const char *s, bool binary_ok, enum nc_fmt *out)
{
	if (!strcmp(s, "normal")) {
		*out = NC_FMT_NORMAL;
		return 0;
	}
	if (!strcmp(s, "json")) {
		*out = NC_FMT_JSON;
		return 0;
	}
	if (binary_ok && !strcmp(s, "binary")) {
		*out = NC_FMT_BINARY;
		return 0;
	}
	nc_usage_err("-o/--output-format: '%s' is not one of normal, json%s", s,
		      binary_ok ? ", binary" : "");
	return -1;
}

/* ---- Target options ------------------------------------------------------------ */

void nc_target_init(struct nc_target *t)
{
	memset(t, 0, sizeof(*t));
	nvmf_opts_init(&t->o);
	/* Inspection is a handful of admin commands: no I/O queues, and keep-
	 * alive only matters for connections that outlive the command. Admin
	 * commands are never replayed, so reconnecting behind one is no use. */
	t->o.nr_io_queues = 0;
	t->o.ctrl_loss_tmo = 0;
}

/*
 * "ADDR:PORT" or "[IPV6]:PORT" in -a/--traddr: a port where nvme-cli's
 * options keep it apart. The shared parser calls that "not an IPv6
 * address", which misleads for 127.0.0.1:8019; say where the port goes.
 * 0 when arg is not of that form (the shared parser judges it).
 */
static int port_in_addr(const struct tc_conn_opt *opt, const char *arg, bool letters)
{
	const char *colon = strrchr(arg, ':');
	const struct tc_conn_opt *svc = tc_conn_find(TC_CO_TRSVCID, TC_CO_BIT(TC_CO_TRSVCID), false);
	char label[64], slabel[64], host[NVMF_TRADDR_BUFSZ];
	size_t hlen;

	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return 0;
	hlen = (size_t)(colon - arg);
	if (hlen == 0 || hlen >= sizeof(host))
		return 0;
	memcpy(host, arg, hlen);
	host[hlen] = '\0';
	/* fe80::1:4420 is an IPv6 address; [fe80::1]:4420 and host:4420 have a port. */
	if (!(host[0] == '[' && host[hlen - 1] == ']') && memchr(host, ':', hlen))
		return 0;
	if (!svc)
		return 0;
	tc_conn_label(opt, letters, label, sizeof(label));
	tc_conn_label(svc, letters, slabel, sizeof(slabel));
	return nc_usage_err("%s: '%s' has a port in it: use %.*s for the service (port): "
			    "%.*s %s %.*s %s", label, arg, (int)strcspn(slabel, "/"), slabel,
			    (int)strcspn(label, "/"), label, host, (int)strcspn(slabel, "/"),
			    slabel, colon + 1);
}

int nc_conn_opt(struct nc_target *t, const struct tc_conn_opt *opt, const char *arg,
		bool letters)
{
	char err[1024];
	int r;

	if (opt->id == TC_CO_TRADDR && (r = port_in_addr(opt, arg, letters)))
		return r;
	if (tc_conn_set(opt, arg, letters, &t->o, err, sizeof(err)) < 0)
		return nc_usage_err("%s", err);
	t->given |= TC_CO_BIT(opt->id);
	t->letters = letters;
	return 0;
}

#ifdef NVMF_WITH_TLS
/* Where a secret came from, for the message: the option, else the file
 * option, else the environment variable. */
static const char *secret_source(const struct nc_target *t, int opt, int file_opt,
				 const char *env, char *buf, size_t len)
{
	const struct tc_conn_opt *co = NULL;

	if (t->given & TC_CO_BIT(opt))
		co = tc_conn_find(opt, TC_CO_BIT(opt), false);
	else if (file_opt >= 0 && (t->given & TC_CO_BIT(file_opt)))
		co = tc_conn_find(file_opt, TC_CO_BIT(file_opt), false);
	return co ? tc_conn_label(co, t->letters, buf, len) : env;
}

/*
 * The TLS key and the DH-HMAC-CHAP secrets, checked with the library's own
 * parsers before any connection: a malformed one otherwise surfaced as a
 * failed connection ("cannot connect ... TLS failed", or "Invalid argument"
 * after the TCP connection was made), exit 1 as if the target were at
 * fault. 0, or NC_EXIT_USAGE after a message naming the source.
 */
static int check_secrets(const struct nc_target *t)
{
	struct tcp_psk psk;
	struct auth_secret s;
	char label[64];
	int r;

	/* The strerror()s name the form ("PSK interchange key: ...",
	 * "DH-HMAC-CHAP secret: ..."); none holds key material. */
	if (t->o.tls_key[0]) {
		r = tcp_psk_parse(t->o.tls_key, &psk);
		tcp_psk_wipe(&psk);
		if (r != TCP_PSK_OK)
			return nc_usage_err("%s: %s", secret_source(t, TC_CO_TLS_KEY, -1,
					    TC_TLS_KEY_ENV, label, sizeof(label)),
					    tcp_psk_strerror(r));
	}
	if (t->o.dhchap_secret[0]) {
		r = auth_secret_parse(t->o.dhchap_secret, &s);
		auth_secret_wipe(&s);
		if (r != 0)
			return nc_usage_err("%s: %s", secret_source(t, TC_CO_DHCHAP_SECRET,
					    TC_CO_DHCHAP_SECRET_FILE, TC_DHCHAP_SECRET_ENV,
					    label, sizeof(label)), auth_strerror(r));
	}
	if (t->o.dhchap_ctrl_secret[0]) {
		r = auth_secret_parse(t->o.dhchap_ctrl_secret, &s);
		auth_secret_wipe(&s);
		if (r != 0)
			return nc_usage_err("%s: %s", secret_source(t, TC_CO_DHCHAP_CTRL_SECRET,
					    TC_CO_DHCHAP_CTRL_SECRET_FILE,
					    TC_DHCHAP_CTRL_SECRET_ENV, label, sizeof(label)),
					    auth_strerror(r));
	}
	return 0;
}
#else
/* Without OpenSSL the library does neither TLS nor DH-HMAC-CHAP: it says so
 * at connect, whatever the secret. */
static int check_secrets(const struct nc_target *t)
{
	(void)t;
	return 0;
}
#endif

int nc_target_finish(struct nc_target *t, bool discovery)
{
	char terr[256];
	int r;

	if (tc_conn_secrets_env(&t->o, t->given, terr, sizeof(terr)) < 0)
		return nc_usage_err("%s", terr);
	r = check_secrets(t);
	if (r)
		return r;
	if (t->uri) {
		struct nvmf_uri u;

		if (t->given & (TC_CO_BIT(TC_CO_TRADDR) | TC_CO_BIT(TC_CO_TRSVCID) |
				TC_CO_BIT(TC_CO_NQN)))
			return nc_usage_err("give the target either as a URI or with "
					     "--traddr/--trsvcid/--nqn, not both");
		char err[1600];

		if (nvmf_uri_parse(t->uri, &u) < 0)
			return nc_usage_err("%s", tc_uri_error(err, sizeof(err), t->uri,
							       nvmf_get_error()));
		/* ?ctrl_loss_tmo=...: the options the URI's query names. */
		if (tc_conn_uri_params(&t->o, t->uri, t->given, true, err, sizeof(err)) < 0)
			return nc_usage_err("%s", err);
		snprintf(t->o.traddr, sizeof(t->o.traddr), "%s", u.host);
		snprintf(t->o.trsvcid, sizeof(t->o.trsvcid), "%s", u.port);
		snprintf(t->o.subnqn, sizeof(t->o.subnqn), "%s", u.discovery ? "" : u.subnqn);
		t->o.nsid = u.nsid;
		return 0;
	}
	if (!nc_given(t, TC_CO_TRADDR))
		return nc_usage_err("no target: give a URI (nvme+tcp://HOST[:PORT]/SUBNQN) or "
				     "--traddr ADDR");
	if (!nc_given(t, TC_CO_TRSVCID))
		snprintf(t->o.trsvcid, sizeof(t->o.trsvcid), "%s",
			 discovery || !t->o.subnqn[0] ? "8009" : "4420");
	if (!strcmp(t->o.subnqn, NVMF_DISCOVERY_NQN))
		t->o.subnqn[0] = '\0';
	return 0;
}

const char *nc_target_str(const struct nvmf_opts *o, char *buf, size_t len)
{
	const char *port = o->trsvcid[0] ? o->trsvcid : (o->subnqn[0] ? "4420" : "8009");

	if (strchr(o->traddr, ':'))
		snprintf(buf, len, "[%s]:%s", o->traddr, port);
	else
		snprintf(buf, len, "%s:%s", o->traddr, port);
	return buf;
}

int nc_connect_admin(struct nc_target *t, struct nvmf_ctrl **out)
{
	char where[NVMF_TRADDR_BUFSZ + 16], what[NVMF_TRADDR_BUFSZ + NVMF_NQN_BUFSZ + 64];
	int r;

	r = nvmf_connect(&t->o, out);
	if (r < 0) {
		snprintf(what, sizeof(what), "cannot connect to %s (%s)",
			 nc_target_str(&t->o, where, sizeof(where)),
			 t->o.subnqn[0] ? t->o.subnqn : NVMF_DISCOVERY_NQN);
		return nc_connect_fail(what, r, &t->o);
	}
	return 0;
}

/* ---- Time ------------------------------------------------------------------------ */

double nc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void nc_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- Children -------------------------------------------------------------------- */

static volatile sig_atomic_t wait_signal;

static void on_wait_signal(int sig)
{
	wait_signal = sig;
}

/* SIGINT, SIGTERM and SIGHUP taken (install) or given back (restore)
 * around the wait for a child. */
static void wait_signals(bool install, struct sigaction old[3])
{
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wait_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++) {
		if (!install) {
			sigaction(sigs[i], &old[i], NULL);
			continue;
		}
		sigaction(sigs[i], NULL, &old[i]);
		/* One ignored when nvmfctl started (nohup) stays ignored. */
		if (old[i].sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

static int wait_loop(pid_t pid, double deadline, int *status, void (*tick)(void *), void *arg)
{
	int sig = 0, turn = 0;
	bool told = false;

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		/* A Ctrl-C reaches the child too (one process group): it may
		 * be gone before the flag is looked at. */
		if (w == pid)
			return told || wait_signal ? -EINTR : sig ? -ETIMEDOUT : 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (wait_signal && !told) {
			told = true;
			kill(pid, SIGTERM);
			sig = SIGTERM;
			deadline = nc_now() + NC_STOP_GRACE_MS / 1000.0;
		}
		if (nc_now() > deadline) {
			/* SIGTERM lets it clean up; SIGKILL if it will not.
			 * A process that outlives SIGKILL (stuck in the
			 * kernel) is left unreaped rather than waited for. */
			if (sig == SIGKILL)
				return told ? -EINTR : -ETIMEDOUT;
			sig = sig ? SIGKILL : SIGTERM;
			kill(pid, sig);
			deadline = nc_now() + NC_STOP_GRACE_MS / 1000.0;
		}
		if (tick && turn++ % 5 == 0)
			tick(arg);
		nc_sleep_ms(20);
	}
}

int nc_wait_child(pid_t pid, double timeout_s, int *status)
{
	return nc_wait_child_tick(pid, timeout_s, status, NULL, NULL);
}

int nc_wait_child_tick(pid_t pid, double timeout_s, int *status, void (*tick)(void *),
		       void *arg)
{
	struct sigaction old[3];
	int r;

	/*
	 * Interrupted (Ctrl-C, a supervisor's SIGTERM), nvmfctl must not
	 * leave the child behind to go on alone (nvmf-fuse would mount a
	 * connection the user gave up on) nor its own temporary files: the
	 * child is told to end, as the wait running out tells it, and the
	 * caller cleans up, then dies of the signal (nc_die_of_signal).
	 */
	wait_signal = 0;
	wait_signals(true, old);
	r = wait_loop(pid, nc_now() + timeout_s, status, tick, arg);
	wait_signals(false, old);
	return r;
}

void nc_die_of_signal(void)
{
	int sig = wait_signal;

	if (!sig)
		return;
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* ---- Output -------------------------------------------------------------------- */

json_object *nc_json_str(const char *s)
{
	char esc[TC_ESC_SIZE(NVMF_NQN_FIELD_LEN + 1400)];

	return json_object_new_string(tc_escape(esc, sizeof(esc), s));
}

void nc_json_print(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						      JSON_C_TO_STRING_PRETTY_TAB |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

json_object *nc_json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* Divide the 128-bit little-endian number in w[4] (32-bit words) by 10. */
static unsigned div10(uint32_t w[4])
{
	uint64_t rem = 0;

	for (int i = 3; i >= 0; i--) {
		uint64_t cur = (rem << 32) | w[i];

		w[i] = (uint32_t)(cur / 10);
		rem = cur % 10;
	}
	return (unsigned)rem;
}

char *nc_u128_str(const uint8_t le[16], bool sep, char *buf, size_t len)
{
	uint32_t w[4];
	char tmp[64];
	int n = 0, digits = 0;
	size_t o = 0;

	for (int i = 0; i < 4; i++)
		w[i] = nvmf_get_le32(le + 4 * i);
	do {
		if (sep && digits && digits % 3 == 0)
			tmp[n++] = ',';
		tmp[n++] = (char)('0' + div10(w));
		digits++;
	} while (w[0] || w[1] || w[2] || w[3]);
	while (n > 0 && o + 1 < len)
		buf[o++] = tmp[--n];
	buf[o] = '\0';
	return buf;
}

json_object *nc_json_u128(const uint8_t le[16])
{
	char buf[64];

	if (nvmf_get_le64(le + 8) == 0)
		return json_object_new_uint64(nvmf_get_le64(le));
	/* Beyond 64 bits: json-c serializes the decimal text as given, so the
	 * number stays exact for parsers with big integers. */
	nc_u128_str(le, false, buf, sizeof(buf));
	return json_object_new_double_s(0.0, buf);
}

void nc_hexdump(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	printf("       0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f\n");
	for (size_t i = 0; i < len; i += 16) {
		printf("%04zx:", i);
		for (size_t j = 0; j < 16; j++) {
			if (i + j < len)
				printf(" %02x", p[i + j]);
			else
				printf("   ");
		}
		printf(" \"");
		for (size_t j = 0; j < 16 && i + j < len; j++)
			putchar(isprint(p[i + j]) ? p[i + j] : '.');
		printf("\"\n");
	}
}

int nc_write_binary(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	nc_flush_stdout();
	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			nc_err("cannot write to standard output: %s", strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void nc_trim(char *out, size_t outsz, const char *field, size_t fieldlen)
{
	size_t n = strnlen(field, fieldlen);

	while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\0'))
		n--;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, field, n);
	out[n] = '\0';
}
