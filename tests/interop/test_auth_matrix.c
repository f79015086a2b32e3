/*
 * interop_auth_matrix: libnvmf's DH-HMAC-CHAP host (nvmf.h, AUTHENTICATION)
 * against Linux's nvmet 6.12 (the auth fixture), through the public API.
 *
 * Every case has a host NQN of its own, put on the subsystem's allow-list
 * with its secrets, hash and DH group (guest/nvmet.sh host_add, host_allow:
 * all of them in one control request before the first case). nvmet picks
 * the hash and group its host entry names; the host offers all of them.
 *
 *   good   each hash (sha256, sha384, sha512) with null, ffdhe2048 and
 *          ffdhe8192, unidirectional and bidirectional (18 cases); the
 *          secrets take every form in turn: hh 00 with 32, 48 and 64
 *          bytes, 01 (32), 02 (48), 03 (64). One I/O queue: both queues
 *          authenticate (the log says so per queue, with the hash and group
 *          nvmet was given); 4 KiB written, read back and found in the
 *          backing image; the console shows a controller "with DH-HMAC-CHAP"
 *          for the case's NQN and no fatal error for it.
 *   wrong  a wrong host secret of each form (hh 00..03), the right key bytes
 *          with hh 00 where nvmet has them as 01 (the transformation
 *          differs): -EACCES, "authentication failed", nvmet logs "host
 *          response mismatch"; a wrong controller secret of each form: the
 *          host refuses the controller (-EACCES, "controller secret"), nvmet
 *          logs the fatal error that follows our AUTH_Failure2; a host that
 *          asks for bidirectional authentication of a controller without a
 *          controller secret: -EACCES, nvmet logs "no ctrl key".
 *
 * No secret may appear in nvmf_get_error() or the library's log. Every case
 * prints one line (verdict, parameters, seconds) and the run a summary;
 * failures are collected and the test fails at the end naming them.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/nvmf.h>
#include "interop/dhchap_util.h"
#include "interop/interop_env.h"

enum kind { GOOD, WRONG_HOST, WRONG_HH, WRONG_CTRL, NO_CTRL_KEY };

struct mcase {
	const char *hash;		/* nvmet's dhchap_hash without hmac() */
	const char *dh;			/* dhchap_dhgroup */
	int hh, hlen;			/* host secret form */
	int chh, clen;			/* controller secret form; clen 0: none */
	bool bidi;			/* the host gets a controller secret */
	enum kind kind;
	/* filled in */
	char name[64];
	char hostnqn[NVMF_NQN_BUFSZ];
	char key[DHCHAP_TEXT_MAX], ckey[DHCHAP_TEXT_MAX];	/* nvmet's */
	char hkey[DHCHAP_TEXT_MAX], hckey[DHCHAP_TEXT_MAX];	/* the host's */
	uint8_t raw[64];
};

static struct interop_env env;
static struct mcase cases[40];
static int ncases;
static char failures[8192];
static int nfail;

static const char *need(const char *key)
{
	const char *v = interop_env_get(&env, key);

	if (!v || !*v)
		fail_msg("%s: %s is missing (is this the auth fixture?)", env.path, key);
	return v;
}

static void add(enum kind kind, const char *hash, const char *dh, int hh, int hlen, int chh,
		int clen, bool bidi)
{
	struct mcase *m = &cases[ncases++];

	m->kind = kind;
	m->hash = hash;
	m->dh = dh;
	m->hh = hh;
	m->hlen = hlen;
	m->chh = chh;
	m->clen = clen;
	m->bidi = bidi;
}

static int hh_len(int hh, int i)
{
	static const int len0[] = { 32, 48, 64 };

	return hh == 0 ? len0[i % 3] : hh == 1 ? 32 : hh == 2 ? 48 : 64;
}

static void build_cases(void)
{
	static const char *const hashes[] = { "sha256", "sha384", "sha512" };
	static const char *const groups[] = { "null", "ffdhe2048", "ffdhe8192" };
	int i = 0;

	/* Every hash x group x direction; the secret forms rotate (host hh =
	 * i mod 4, controller hh = (i + 2) mod 4; hh 00 cycles its lengths). */
	for (int h = 0; h < 3; h++)
		for (int g = 0; g < 3; g++)
			for (int bidi = 0; bidi < 2; bidi++, i++)
				add(GOOD, hashes[h], groups[g], i % 4, hh_len(i % 4, i / 4),
				    bidi ? (i + 2) % 4 : 0, bidi ? hh_len((i + 2) % 4, i / 3) : 0,
				    bidi);
	/* A wrong host secret of each form (the last one with ffdhe8192). */
	add(WRONG_HOST, "sha256", "ffdhe2048", 0, 64, 0, 0, false);
	add(WRONG_HOST, "sha384", "null", 1, 32, 0, 0, false);
	add(WRONG_HOST, "sha512", "ffdhe2048", 2, 48, 3, 64, true);
	add(WRONG_HOST, "sha512", "ffdhe8192", 3, 64, 0, 0, false);
	/* The right bytes as hh 00 where nvmet holds them as hh 01. */
	add(WRONG_HH, "sha256", "ffdhe2048", 1, 32, 0, 0, false);
	/* A wrong controller secret of each form: the host must refuse. */
	add(WRONG_CTRL, "sha256", "ffdhe2048", 1, 32, 0, 48, true);
	add(WRONG_CTRL, "sha384", "null", 0, 32, 1, 32, true);
	add(WRONG_CTRL, "sha512", "ffdhe2048", 2, 48, 2, 48, true);
	add(WRONG_CTRL, "sha256", "ffdhe8192", 3, 64, 3, 64, true);
	/* Bidirectional asked of a controller that has no controller secret. */
	add(NO_CTRL_KEY, "sha384", "ffdhe2048", 0, 48, 0, 0, true);
}

static const char *kind_name(enum kind k)
{
	switch (k) {
	case GOOD: return "good";
	case WRONG_HOST: return "wrong host secret";
	case WRONG_HH: return "host secret as hh 00, nvmet has 01";
	case WRONG_CTRL: return "wrong controller secret";
	case NO_CTRL_KEY: return "bidirectional, nvmet has no controller secret";
	}
	return "?";
}

static void make_secrets(struct mcase *m, int idx, const char *tag)
{
	size_t got = 0;

	snprintf(m->name, sizeof(m->name), "%02d", idx);
	snprintf(m->hostnqn, sizeof(m->hostnqn), "nqn.2014-08.org.libnvmf:auth-mx-%s-%02d-%s-%s%s",
		 tag, idx, m->hash, m->dh, m->bidi ? "-bidi" : "");
	while (got < (size_t)m->hlen) {
		ssize_t n = getrandom(m->raw + got, (size_t)m->hlen - got, 0);

		if (n > 0)
			got += (size_t)n;
	}
	dhchap_format(m->hh, m->raw, (size_t)m->hlen, m->key);
	if (m->clen && m->kind != NO_CTRL_KEY)
		dhchap_random(m->chh, (size_t)m->clen, m->ckey);
	/* What the host is given. */
	switch (m->kind) {
	case WRONG_HOST:
		dhchap_random(m->hh, (size_t)m->hlen, m->hkey);
		break;
	case WRONG_HH:
		dhchap_format(0, m->raw, (size_t)m->hlen, m->hkey);
		break;
	default:
		snprintf(m->hkey, sizeof(m->hkey), "%s", m->key);
	}
	if (m->kind == WRONG_CTRL)
		dhchap_random(m->chh, (size_t)m->clen, m->hckey);
	else if (m->kind == NO_CTRL_KEY)
		dhchap_random(0, 32, m->hckey);
	else if (m->bidi)
		snprintf(m->hckey, sizeof(m->hckey), "%s", m->ckey);
}

/* One guest request: every case's host entry and allow-list link. The
 * first use of ffdhe8192 makes the guest's kernel instantiate (and
 * self-test) it: about 20 s under TCG, hence the long timeout. */
static void configure_guest(void)
{
	size_t cap = 65536, len = 0;
	char *script = malloc(cap), out[4096];
	const char *subnqn = need("NVMF_TEST_SUBNQN");
	double t0 = dhchap_now();
	int rc;

	assert_non_null(script);
	len += (size_t)snprintf(script + len, cap - len, ". /lib/nvmet.sh\nset -e\n");
	for (int i = 0; i < ncases; i++) {
		const struct mcase *m = &cases[i];

		len += (size_t)snprintf(script + len, cap - len,
					"host_add '%s' '%s' '%s' 'hmac(%s)' '%s'\nhost_allow '%s' '%s'\n",
					m->hostnqn, m->key, m->ckey, m->hash, m->dh, subnqn,
					m->hostnqn);
		assert_true(len < cap);
	}
	len += (size_t)snprintf(script + len, cap - len, "echo configured %d hosts\n", ncases);
	rc = interop_ctl(&env, out, sizeof(out), script, "--timeout", "240", NULL);
	free(script);
	print_message("guest: %s(exit %d) in %.1f s\n", out, rc, dhchap_now() - t0);
	if (rc != 0)
		fail_msg("configuring the hosts in the guest failed (%d): %s", rc, out);
}

/* ---- the guest's console ------------------------------------------------- */

static off_t console_size(void)
{
	struct stat st;

	return stat(need("NVMF_TEST_CONSOLE_LOG"), &st) == 0 ? st.st_size : 0;
}

static char *console_since(off_t from)
{
	const char *path = need("NVMF_TEST_CONSOLE_LOG");
	off_t end = console_size();
	size_t len = end > from ? (size_t)(end - from) : 0;
	char *buf = malloc(len + 1);
	int fd = open(path, O_RDONLY);
	ssize_t n = 0;

	assert_non_null(buf);
	if (fd >= 0 && len) {
		n = pread(fd, buf, len, from);
		if (n < 0)
			n = 0;
	}
	if (fd >= 0)
		close(fd);
	buf[n] = '\0';
	return buf;
}

/* The controller IDs nvmet created for hostnqn in text (up to max). */
static int console_ctrls(const char *text, const char *hostnqn, int *ids, int max)
{
	char tail[NVMF_NQN_BUFSZ + 64];
	int n = 0;

	snprintf(tail, sizeof(tail), " for NQN %s with DH-HMAC-CHAP.", hostnqn);
	for (const char *p = strstr(text, "creating nvm controller "); p && n < max;
	     p = strstr(p + 1, "creating nvm controller ")) {
		const char *eol = strchr(p, '\n');
		size_t linelen = eol ? (size_t)(eol - p) : strlen(p);
		const char *t = strstr(p, tail);

		if (t && (size_t)(t - p) < linelen)
			ids[n++] = atoi(p + strlen("creating nvm controller "));
	}
	return n;
}

static bool console_has(const char *text, int id, const char *what)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "nvmet: ctrl %d %s", id, what);
	return strstr(text, needle) != NULL;
}

/* Waits up to 5 s for nvmet's lines of the case: a controller for the NQN
 * and, for a refusal, the line that says why (want, or NULL). */
static char *console_wait(off_t from, const char *hostnqn, const char *want, int *id)
{
	double end = dhchap_now() + 5;
	char *text;

	for (;;) {
		int ids[8], n;

		text = console_since(from);
		n = console_ctrls(text, hostnqn, ids, 8);
		*id = n ? ids[n - 1] : -1;
		if (n && (!want || console_has(text, *id, want)))
			return text;
		if (dhchap_now() > end)
			return text;
		free(text);
		usleep(100 * 1000);
	}
}

/* ---- one case ------------------------------------------------------------- */

static void bad(const struct mcase *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bad(const struct mcase *m, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t used = strlen(failures);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_message("  BAD: %s\n", msg);
	if (used + 1 < sizeof(failures))
		snprintf(failures + used, sizeof(failures) - used, "  case %s (%s, %s, %s): %s\n",
			 m->name, kind_name(m->kind), m->hash, m->dh, msg);
	nfail++;
}

static void opts(const struct mcase *m, struct nvmf_opts *o)
{
	nvmf_opts_init(o);
	snprintf(o->traddr, sizeof(o->traddr), "%s", need("NVMF_TEST_TRADDR"));
	snprintf(o->trsvcid, sizeof(o->trsvcid), "%s", need("NVMF_TEST_TRSVCID"));
	snprintf(o->subnqn, sizeof(o->subnqn), "%s", need("NVMF_TEST_SUBNQN"));
	snprintf(o->hostnqn, sizeof(o->hostnqn), "%s", m->hostnqn);
	(void)getrandom(o->hostid, sizeof(o->hostid), 0);
	o->nr_io_queues = 1;
	o->kato = 30;
	o->io_timeout = 60;
	o->connect_timeout = 30;
	o->ctrl_loss_tmo = 0;
	snprintf(o->dhchap_secret, sizeof(o->dhchap_secret), "%.*s", (int)sizeof(o->dhchap_secret) - 1, m->hkey);
	if (m->hckey[0])
		snprintf(o->dhchap_ctrl_secret, sizeof(o->dhchap_ctrl_secret), "%.*s", (int)sizeof(o->dhchap_ctrl_secret) - 1,
			 m->hckey);
}

static void no_leak(const struct mcase *m, const char *where, const char *text)
{
	const char *keys[] = { m->key, m->ckey, m->hkey, m->hckey };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i][0] && dhchap_leaks(text, keys[i]))
			bad(m, "%s holds a DH-HMAC-CHAP secret", where);
}

static void io_check(const struct mcase *m, struct nvmf_ctrl *c, int idx)
{
	uint32_t lba = (uint32_t)strtoul(need("NVMF_TEST_LBA"), NULL, 10);
	uint32_t nsid = (uint32_t)strtoul(need("NVMF_TEST_NSID"), NULL, 10);
	uint64_t off = (40ull << 20) + (uint64_t)idx * 65536;	/* an area per case */
	uint8_t out[4096], in[4096], img[4096];
	int fd, r;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 31 + (unsigned)idx * 7 + (i >> 8));
	r = nvmf_write(c, nsid, out, off / lba, (uint32_t)(sizeof(out) / lba), 0);
	if (r == 0)
		r = nvmf_flush(c, nsid);
	if (r == 0)
		r = nvmf_read(c, nsid, in, off / lba, (uint32_t)(sizeof(in) / lba), 0);
	if (r != 0) {
		bad(m, "I/O on the authenticated queue: %d %s", r, nvmf_get_error());
		return;
	}
	if (memcmp(in, out, sizeof(out)) != 0)
		bad(m, "read back differs from what was written");
	fd = open(need("NVMF_TEST_IMAGE"), O_RDONLY);
	if (fd < 0 || pread(fd, img, sizeof(img), (off_t)off) != (ssize_t)sizeof(img) ||
	    memcmp(img, out, sizeof(out)) != 0)
		bad(m, "the write is not in the backing image at %llu", (unsigned long long)off);
	if (fd >= 0)
		close(fd);
}

static int connect_once(const struct nvmf_opts *o, struct nvmf_ctrl **c)
{
	int r = -EIO;

	/* QEMU's forwarded port has a backlog of 1: a refused or reset TCP
	 * connection (before any authentication) is retried. */
	for (int i = 0; i < 5; i++) {
		r = nvmf_connect(o, c);
		if (r == 0 || (r != -ECONNREFUSED && r != -ECONNRESET))
			break;
		print_message("  connect attempt %d: %s; retrying\n", i + 1, nvmf_get_error());
		usleep(500 * 1000);
	}
	return r;
}

static void run_case(struct mcase *m, int idx)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	off_t con0 = console_size();
	int before = nfail, r, id = -1;
	double t0, dt;
	char *log, *text = NULL, form[64], expect[96];
	char msg[1024];

	snprintf(form, sizeof(form), "host %02x/%d", m->hh, m->hlen);
	if (m->clen)
		snprintf(form + strlen(form), sizeof(form) - strlen(form), ", ctrl %02x/%d",
			 m->chh, m->clen);
	print_message("case %s: %s, %s, %s, %s, %s\n", m->name, kind_name(m->kind), m->hash,
		      m->dh, m->bidi ? "bidirectional" : "unidirectional", form);
	dhchap_log_clear();
	opts(m, &o);
	t0 = dhchap_now();
	r = connect_once(&o, &c);
	dt = dhchap_now() - t0;
	snprintf(msg, sizeof(msg), "%s", r < 0 ? nvmf_get_error() : "");
	if (m->kind == GOOD) {
		if (r != 0) {
			bad(m, "nvmf_connect: %d (%s): %s", r, strerror(-r), msg);
		} else {
			snprintf(expect, sizeof(expect), "DH-HMAC-CHAP: %s, %s%s", m->hash, m->dh,
				 m->bidi ? ", bidirectional\n" : "\n");
			if (dhchap_log_count("queue 0: authenticated") != 1 ||
			    dhchap_log_count("queue 1: authenticated") != 1)
				bad(m, "the log does not say that both queues authenticated");
			if (dhchap_log_count(expect) != 2)
				bad(m, "the log does not say \"%.*s\" for both queues",
				    (int)strcspn(expect, "\n"), expect);
			io_check(m, c, idx);
			if (nvmf_disconnect(c) != 0)
				bad(m, "nvmf_disconnect: %s", nvmf_get_error());
		}
		text = console_wait(con0, m->hostnqn, NULL, &id);
		if (id < 0)
			bad(m, "nvmet's console shows no controller \"with DH-HMAC-CHAP\" for %s",
			    m->hostnqn);
		else if (console_has(text, id, "fatal error"))
			bad(m, "nvmet's console shows a fatal error of controller %d", id);
	} else {
		static const char *const why[] = {
			[WRONG_HOST] = "qid 0 host response mismatch",
			[WRONG_HH] = "qid 0 host response mismatch",
			[WRONG_CTRL] = "fatal error",
			[NO_CTRL_KEY] = "qid 0 no ctrl key",
		};
		const char *want2 = m->kind == WRONG_CTRL ? "controller secret" : "DH-HMAC-CHAP";

		if (r == 0) {
			nvmf_disconnect(c);
			bad(m, "connected");
		} else {
			if (r != -EACCES)
				bad(m, "%d (%s), nvmf.h promises -EACCES", r, strerror(-r));
			if (nvmf_get_errno() != EACCES)
				bad(m, "nvmf_get_errno() %d", nvmf_get_errno());
			if (!strstr(msg, "authentication failed") || !strstr(msg, want2))
				bad(m, "the message does not say \"authentication failed\" and "
				    "\"%s\"", want2);
			if (!dhchap_msg_whole(msg))
				bad(m, "the message is cut short");
			if (c)
				bad(m, "a handle although the connect failed");
			no_leak(m, "nvmf_get_error()", msg);
		}
		text = console_wait(con0, m->hostnqn, why[m->kind], &id);
		if (id < 0 || !console_has(text, id, why[m->kind]))
			bad(m, "nvmet's console does not say \"ctrl %d %s\"", id, why[m->kind]);
		if (m->kind == WRONG_CTRL && id >= 0 &&
		    console_has(text, id, "qid 0 host response mismatch"))
			bad(m, "nvmet refused the host's (right) secret");
	}
	log = dhchap_log_text();
	no_leak(m, "the library's log", log);
	free(log);
	print_message("  %s in %.2f s (nvmet controller %d)%s%s\n", nfail == before ? "PASS" : "FAIL",
		      dt, id, msg[0] ? ": " : "", msg);
	if (nfail != before) {
		print_message("  console since the case began:\n%s\n", text ? text : "");
	}
	free(text);
}

static void test_matrix(void **state)
{
	uint8_t t[3];
	char tag[8];
	double t0 = dhchap_now(), tcfg;
	int pass = 0;

	(void)state;
	/* A tag per run: the host NQNs are new even when the fixture is reused. */
	(void)getrandom(t, sizeof(t), 0);
	snprintf(tag, sizeof(tag), "%02x%02x%02x", t[0], t[1], t[2]);
	build_cases();
	for (int i = 0; i < ncases; i++)
		make_secrets(&cases[i], i, tag);
	configure_guest();
	tcfg = dhchap_now() - t0;
	dhchap_log_start();
	for (int i = 0; i < ncases; i++) {
		int before = nfail;

		run_case(&cases[i], i);
		pass += nfail == before;
	}
	nvmf_set_log_callback(NULL, NULL);
	print_message("interop_auth_matrix: %d of %d cases pass; guest set-up %.1f s, cases %.1f "
		      "s\n", pass, ncases, tcfg, dhchap_now() - t0 - tcfg);
	if (nfail) {
		interop_env_dump_console(&env, 30);
		fail_msg("%d failure(s):\n%s", nfail, failures);
	}
}

static int setup(void **state)
{
	char err[512];

	(void)state;
	if (interop_env_load(&env, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "target env: %s\n", err);
		return -1;
	}
	if (!interop_env_get(&env, "NVMF_TEST_AUTH") ||
	    strcmp(interop_env_get(&env, "NVMF_TEST_AUTH"), "1") != 0) {
		fprintf(stderr, "%s: NVMF_TEST_AUTH is not 1 (the auth fixture is needed)\n",
			env.path);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	interop_env_free(&env);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
