/*
 * integ_auth: a subsystem that requires DH-HMAC-CHAP (the auth fixture:
 * nvmet 6.12, hmac(sha256), ffdhe2048, a host and a controller secret for
 * NVMF_TEST_HOSTNQN). The host authenticates every queue (nvmf.h,
 * AUTHENTICATION):
 *
 *   - the host secret (unidirectional) and both secrets (bidirectional):
 *     nvmf_connect with one I/O queue succeeds, both queues authenticate
 *     (the log says so per queue), sha256 and ffdhe2048 were used; 16 KiB
 *     are written, flushed, read back and found in the backing image;
 *   - a wrong host secret: -EACCES at once, the message says the
 *     authentication failed and names the DH-HMAC-CHAP secret;
 *   - a wrong controller secret: the controller cannot prove it, the host
 *     refuses it: -EACCES, the message says so;
 *   - no secret: -EACCES, "authentication required", naming the option; a
 *     controller secret without the host secret, and a secret whose CRC is
 *     wrong: -EINVAL before connecting.
 *
 * No secret may appear in nvmf_get_error() or in any message of the
 * library's log (collected at every level). Every refusal is printed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "integ_common.h"
#include "interop/dhchap_util.h"

/* A well-formed secret nobody configured (the key is bytes 0..31). */
static const char *const WRONG_KEY = "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:";

static struct integ_target t;
static const char *host_key, *ctrl_key;

static const char *need(const char *key)
{
	const char *v = interop_env_get(&t.env, key);

	if (!v || !*v)
		fail_msg("%s: %s is missing (is this the auth fixture?)", t.env.path, key);
	return v;
}

static int setup(void **state)
{
	(void)state;
	integ_load(&t);
	if (strcmp(need("NVMF_TEST_AUTH"), "1") != 0)
		fail_msg("%s: NVMF_TEST_AUTH is not 1: this target does not require authentication",
			 t.env.path);
	host_key = need("NVMF_TEST_DHCHAP_KEY");
	ctrl_key = need("NVMF_TEST_DHCHAP_CTRL_KEY");
	assert_string_equal(need("NVMF_TEST_DHCHAP_HASH"), "hmac(sha256)");
	assert_string_equal(need("NVMF_TEST_DHCHAP_DHGROUP"), "ffdhe2048");
	dhchap_log_start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nvmf_set_log_callback(NULL, NULL);
	integ_free(&t);
	return 0;
}

static void opts(struct nvmf_opts *o, const char *hs, const char *cs)
{
	integ_opts(&t, o, 1);
	o->ctrl_loss_tmo = 0;
	if (hs)
		snprintf(o->dhchap_secret, sizeof(o->dhchap_secret), "%s", hs);
	if (cs)
		snprintf(o->dhchap_ctrl_secret, sizeof(o->dhchap_ctrl_secret), "%s", cs);
}

/* No secret of the fixture (nor the wrong one) in text; fails naming where. */
static void no_secret_in(const char *where, const char *text)
{
	const char *keys[] = { host_key, ctrl_key, WRONG_KEY };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (dhchap_leaks(text, keys[i]))
			fail_msg("%s holds a DH-HMAC-CHAP secret", where);
}

static void no_secret_logged(void)
{
	char *log = dhchap_log_text();

	no_secret_in("the library's log", log);
	free(log);
}

static void connect_and_io(const char *cs, uint64_t off)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	const size_t len = 16384;
	uint8_t *out = malloc(len), *in = malloc(len), *img = malloc(len);
	uint64_t slba = off / t.lba;
	double t0 = dhchap_now();
	char want[128];
	int r;

	assert_non_null(out);
	assert_non_null(in);
	assert_non_null(img);
	integ_fill(out, len, off + (cs ? 1 : 0));
	dhchap_log_clear();
	opts(&o, host_key, cs);
	r = integ_connect(&o, &c);
	if (r != 0) {
		interop_env_dump_console(&t.env, 20);
		fail_msg("nvmf_connect (%s): %d %s", cs ? "bidirectional" : "unidirectional", r,
			 nvmf_get_error());
	}
	print_message("%s: connected in %.2f s\n", cs ? "bidirectional" : "unidirectional",
		      dhchap_now() - t0);
	/* Both queues authenticated, with what nvmet was told to use. */
	assert_int_equal(dhchap_log_count("queue 0: authenticated"), 1);
	assert_int_equal(dhchap_log_count("queue 1: authenticated"), 1);
	snprintf(want, sizeof(want), "DH-HMAC-CHAP: sha256, ffdhe2048%s",
		 cs ? ", bidirectional" : "\n");
	assert_int_equal(dhchap_log_count(want), 2);
	assert_int_equal(nvmf_write(c, t.nsid, out, slba, (uint32_t)(len / t.lba), 0), 0);
	assert_int_equal(nvmf_flush(c, t.nsid), 0);
	memset(in, 0, len);
	assert_int_equal(nvmf_read(c, t.nsid, in, slba, (uint32_t)(len / t.lba), 0), 0);
	assert_memory_equal(in, out, len);
	assert_int_equal(nvmf_disconnect(c), 0);
	integ_image_read(&t, off, img, len);
	assert_memory_equal(img, out, len);
	no_secret_logged();
	free(out);
	free(in);
	free(img);
}

static void test_unidirectional(void **state)
{
	(void)state;
	connect_and_io(NULL, 48u << 20);
}

static void test_bidirectional(void **state)
{
	(void)state;
	connect_and_io(ctrl_key, (48u << 20) + (1u << 20));
}

/* One refused connect: -EACCES, no handle, the words of want in the message,
 * which is whole and holds no secret; the log holds none either. */
static void refused(const char *what, const char *hs, const char *cs, const char *const *want)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	double t0 = dhchap_now();
	const char *msg;
	int r;

	dhchap_log_clear();
	opts(&o, hs, cs);
	r = integ_connect(&o, &c);
	msg = nvmf_get_error();
	print_message("%s: %d (%s) after %.2f s: %s\n", what, r, r < 0 ? strerror(-r) : "-",
		      dhchap_now() - t0, msg);
	if (r == 0) {
		nvmf_disconnect(c);
		fail_msg("%s: connected", what);
	}
	assert_null(c);
	assert_int_equal(r, -EACCES);
	assert_int_equal(nvmf_get_errno(), EACCES);
	for (; *want; want++)
		if (!strstr(msg, *want))
			fail_msg("%s: the message does not say \"%s\"", what, *want);
	assert_true(dhchap_msg_whole(msg));
	no_secret_in("nvmf_get_error()", msg);
	no_secret_logged();
}

static void test_wrong_host_secret(void **state)
{
	/* nvmet 6.12 answers with AUTH_Failure1 ("host response mismatch" on its
	 * console); older ones closed the connection: the message says
	 * "authentication failed" either way. */
	static const char *const want[] = { "authentication failed", "DH-HMAC-CHAP", NULL };

	(void)state;
	refused("wrong host secret", WRONG_KEY, NULL, want);
	refused("wrong host secret, bidirectional", WRONG_KEY, ctrl_key, want);
}

static void test_wrong_ctrl_secret(void **state)
{
	static const char *const want[] = { "authentication failed", "controller secret",
					    NULL };

	(void)state;
	/* The host key is right: nvmet accepts it, then its R2 cannot match. */
	refused("wrong controller secret", host_key, WRONG_KEY, want);
	/* The host secret given as controller secret: a well-formed key the
	 * controller does not hold as its own. */
	refused("host secret as controller secret", host_key, host_key, want);
}

static void test_no_secret(void **state)
{
	static const char *const want[] = { "authentication required", "DH-HMAC-CHAP",
					    "dhchap_secret", NULL };

	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	int r;

	(void)state;
	refused("no secret", NULL, NULL, want);
	/* A controller secret alone: refused before any connection, as a usage
	 * error (bidirectional authentication needs the host secret). */
	dhchap_log_clear();
	opts(&o, NULL, ctrl_key);
	r = nvmf_connect(&o, &c);
	print_message("controller secret only: %d (%s): %s\n", r, r < 0 ? strerror(-r) : "-",
		      nvmf_get_error());
	if (r == 0) {
		nvmf_disconnect(c);
		fail_msg("controller secret only: connected");
	}
	assert_null(c);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "host secret"));
	no_secret_in("nvmf_get_error()", nvmf_get_error());
	no_secret_logged();
}

/* A malformed secret (its CRC does not match): -EINVAL before any
 * connection, and the message does not echo it. */
static void test_malformed_secret(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	char bad[128];
	size_t n;
	int r;

	(void)state;
	snprintf(bad, sizeof(bad), "%s", host_key);
	n = strlen(bad);
	assert_true(n > 20);
	bad[n - 6] = bad[n - 6] == 'A' ? 'B' : 'A';	/* in the CRC's characters */
	dhchap_log_clear();
	opts(&o, bad, NULL);
	r = nvmf_connect(&o, &c);
	print_message("malformed secret: %d (%s): %s\n", r, r < 0 ? strerror(-r) : "-",
		      nvmf_get_error());
	if (r == 0) {
		nvmf_disconnect(c);
		fail_msg("malformed secret: connected");
	}
	assert_null(c);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "DH-HMAC-CHAP host secret"));
	assert_false(dhchap_leaks(nvmf_get_error(), bad));
	no_secret_in("nvmf_get_error()", nvmf_get_error());
	no_secret_logged();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unidirectional),
		cmocka_unit_test(test_bidirectional),
		cmocka_unit_test(test_wrong_host_secret),
		cmocka_unit_test(test_wrong_ctrl_secret),
		cmocka_unit_test(test_no_secret),
		cmocka_unit_test(test_malformed_secret),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
