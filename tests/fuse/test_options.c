/*
 * Unit tests of nvmf-fuse's command line (tools/nvmf-fuse/options.c):
 * options before, between and after the positional arguments (the parser
 * permutes argv itself, so this holds on FreeBSD too), the host options,
 * -o handling, and a clear message for every bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "options.h"

#define URI "nvme+tcp://127.0.0.1:4421/nqn.2014-08.org.example:disk"
#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static char err[512];

static int parse(int argc, char **argv, struct fo_config *cfg)
{
	int r = fo_parse(argc, argv, cfg, err, sizeof(err));

	if (r < 0)
		print_message("  error: %s\n", err);
	return r;
}

static void test_basic(void **state)
{
	char *argv[] = { "nvmf-fuse", "/mnt/x", URI, NULL };
	struct fo_config c;

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &c), FO_RUN);
	assert_string_equal(c.mountpoint, "/mnt/x");
	assert_string_equal(c.uri, URI);
	assert_string_equal(c.nv.traddr, "127.0.0.1");
	assert_string_equal(c.nv.trsvcid, "4421");
	assert_string_equal(c.nv.subnqn, "nqn.2014-08.org.example:disk");
	assert_int_equal(c.nv.nsid, 0);
	assert_false(c.foreground);
	assert_false(c.read_only);
	assert_null(c.pidfile);
	assert_string_equal(c.name, "");
	fo_release(&c);
}

static void test_options_after_positionals(void **state)
{
	char *argv[] = { "nvmf-fuse", "/mnt/x", URI "/2", "-f", "--nr-io-queues", "3",
			 "-o", "allow_other,direct_io,max_read=65536", "--name=conn-1",
			 "-P", "/run/p.pid", "--queue-size=64", "--hdr-digest", NULL };
	struct fo_config c;

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &c), FO_RUN);
	assert_string_equal(c.mountpoint, "/mnt/x");
	assert_int_equal(c.nv.nsid, 2);
	assert_true(c.foreground);
	assert_int_equal(c.nv.nr_io_queues, 3);
	assert_int_equal(c.nv.queue_size, 64);
	assert_true(c.nv.hdr_digest);
	assert_false(c.nv.data_digest);
	assert_true(c.allow_other);
	assert_true(c.direct_io);
	assert_string_equal(c.name, "conn-1");
	assert_string_equal(c.pidfile, "/run/p.pid");
	/* direct_io is ours; the others go to FUSE. */
	assert_int_equal(c.nr_fuse_opts, 2);
	assert_string_equal(c.fuse_opts[0], "allow_other");
	assert_string_equal(c.fuse_opts[1], "max_read=65536");
	fo_release(&c);
}

/* A relative pidfile is made absolute at once: the server removes it from
 * "/" (it runs there), which would otherwise be another file. */
static void test_pidfile_relative(void **state)
{
	char *argv[] = { "nvmf-fuse", "/mnt/x", URI, "-P", "sub/p.pid", NULL };
	char cwd[1024], want[1100];
	struct fo_config c;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/sub/p.pid", strcmp(cwd, "/") ? cwd : "");
	assert_int_equal(parse(ARGC(argv), argv, &c), FO_RUN);
	assert_string_equal(c.pidfile, want);
	fo_release(&c);
}

static void test_options_interleaved(void **state)
{
	char *argv[] = { "nvmf-fuse", "-r", "/mnt/y", "--hostnqn", "nqn.2014-08.org.example:h",
			 "--hostid", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", URI,
			 "--keep-alive-tmo", "7", "--io-timeout", "9", "--data-digest", "-fd",
			 NULL };
	static const unsigned char id[16] = { 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
					      0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0 };
	struct fo_config c;

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &c), FO_RUN);
	assert_true(c.read_only);
	assert_string_equal(c.mountpoint, "/mnt/y");
	assert_string_equal(c.uri, URI);
	assert_string_equal(c.nv.hostnqn, "nqn.2014-08.org.example:h");
	assert_memory_equal(c.nv.hostid, id, 16);
	assert_int_equal(c.nv.kato, 7);
	assert_int_equal(c.nv.io_timeout, 9);
	assert_true(c.nv.data_digest);
	assert_true(c.debug);
	assert_true(c.foreground);
	fo_release(&c);
}

/* nvme-cli's reconnect options, long names only (no letters in nvmf-fuse). */
static void test_reconnect_options(void **state)
{
	char *a1[] = { "nvmf-fuse", "/mnt/x", URI, NULL };
	char *a2[] = { "nvmf-fuse", "--ctrl-loss-tmo", "-1", "/mnt/x", URI, "--reconnect-delay",
		       "2", "--fast_io_fail_tmo=5", NULL };
	char *a3[] = { "nvmf-fuse", "/mnt/x", URI "/3?ctrl_loss_tmo=0&reconnect_delay=1",
		       "--fast_io_fail_tmo", "0", NULL };
	struct fo_config c;

	(void)state;
	assert_int_equal(parse(ARGC(a1), a1, &c), FO_RUN);
	assert_int_equal(c.nv.reconnect_delay, 10);
	assert_int_equal(c.nv.ctrl_loss_tmo, 600);
	assert_int_equal(c.nv.fast_io_fail_tmo, -1);
	fo_release(&c);
	/* "-1" is the option's value, not an option. */
	assert_int_equal(parse(ARGC(a2), a2, &c), FO_RUN);
	assert_int_equal(c.nv.ctrl_loss_tmo, -1);
	assert_int_equal(c.nv.reconnect_delay, 2);
	assert_int_equal(c.nv.fast_io_fail_tmo, 5);
	assert_string_equal(c.mountpoint, "/mnt/x");
	fo_release(&c);
	/* The URI's query sets them too. */
	assert_int_equal(parse(ARGC(a3), a3, &c), FO_RUN);
	assert_int_equal(c.nv.ctrl_loss_tmo, 0);
	assert_int_equal(c.nv.reconnect_delay, 1);
	assert_int_equal(c.nv.fast_io_fail_tmo, 0);
	assert_int_equal(c.nv.nsid, 3);
	assert_string_equal(c.nv.subnqn, "nqn.2014-08.org.example:disk");
	fo_release(&c);
}

static void test_dashdash_and_uri_only(void **state)
{
	char *a1[] = { "nvmf-fuse", "-f", "--", "-odd-dir", URI, NULL };
	char *a2[] = { "nvmf-fuse", URI, "--name", "n7", NULL };
	struct fo_config c;

	(void)state;
	assert_int_equal(parse(ARGC(a1), a1, &c), FO_RUN);
	assert_string_equal(c.mountpoint, "-odd-dir");
	assert_true(c.foreground);
	fo_release(&c);
	/* Without a MOUNTPOINT: <runtime dir>/<name>/ is used. */
	assert_int_equal(parse(ARGC(a2), a2, &c), FO_RUN);
	assert_null(c.mountpoint);
	assert_string_equal(c.uri, URI);
	assert_string_equal(c.name, "n7");
	fo_release(&c);
}

static void test_permute(void **state)
{
	char *argv[] = { "p", "A", "-o", "x", "B", "-fP", "pf", "--name", "n", "--io-timeout=3",
			 "-oy", "--", "-C", NULL };
	char *out[ARGC(argv) + 1];
	const char *want[] = { "p", "-o", "x", "-fP", "pf", "--name", "n", "--io-timeout=3",
			       "-oy", "--", "A", "B", "-C" };
	int n;

	(void)state;
	n = fo_permute(ARGC(argv), argv, out);
	assert_int_equal(n, ARGC(argv));
	for (int i = 0; i < n; i++)
		assert_string_equal(out[i], want[i]);
	assert_null(out[n]);
}

static void test_ro_option_and_help(void **state)
{
	char *a1[] = { "nvmf-fuse", "-o", "ro", "/m", URI, NULL };
	char *a2[] = { "nvmf-fuse", "/m", "--help", NULL };
	char *a3[] = { "nvmf-fuse", "-V", NULL };
	struct fo_config c;

	(void)state;
	assert_int_equal(parse(ARGC(a1), a1, &c), FO_RUN);
	assert_true(c.read_only);
	assert_int_equal(c.nr_fuse_opts, 1);
	fo_release(&c);
	assert_int_equal(parse(ARGC(a2), a2, &c), FO_HELP);
	fo_release(&c);
	assert_int_equal(parse(ARGC(a3), a3, &c), FO_VERSION);
	fo_release(&c);
}

/* Each bad command line fails with -EINVAL and a message naming the culprit. */
static void expect_error(const char *needle, int argc, char **argv)
{
	struct fo_config c;
	int r = fo_parse(argc, argv, &c, err, sizeof(err));

	if (r != -EINVAL || !strstr(err, needle))
		fail_msg("expected -EINVAL mentioning '%s', got %d: '%s'", needle, r, err);
}

static void test_errors(void **state)
{
	(void)state;
	{ char *a[] = { "p", "-s", "/m", URI, NULL }; expect_error("-s", 4, a); }
	{ char *a[] = { "p", "--bogus", "/m", URI, NULL }; expect_error("--bogus", 4, a); }
	{ char *a[] = { "p", "/m", URI, "--name", NULL }; expect_error("needs an argument", 4, a); }
	{ char *a[] = { "p", "/m", URI, "--name", "a/b", NULL }; expect_error("a/b", 5, a); }
	{ char *a[] = { "p", "/m", URI, "--name", ".x", NULL }; expect_error(".x", 5, a); }
	{ char *a[] = { "p", "/m", URI, "--queue-size", "1", NULL };
	  expect_error("--queue-size", 5, a); }
	{ char *a[] = { "p", "/m", URI, "--nr-io-queues", "0", NULL };
	  expect_error("--nr-io-queues", 5, a); }
	{ char *a[] = { "p", "/m", URI, "--io-timeout", "5s", NULL }; expect_error("5s", 5, a); }
	{ char *a[] = { "p", "/m", URI, "--hostid", "1234", NULL }; expect_error("1234", 5, a); }
	{ char *a[] = { "p", "/m", URI, "--hostnqn", "", NULL }; expect_error("--hostnqn", 5, a); }
	{ char *a[] = { "p", "-f", NULL }; expect_error("missing URI", 2, a); }
	{ char *a[] = { "p", "/m", NULL }; expect_error("missing URI", 2, a); }
	{ char *a[] = { "p", "/m", URI, "extra", NULL }; expect_error("extra", 4, a); }
	{ char *a[] = { "p", "/m", "nvme+tcp://127.0.0.1", NULL };
	  expect_error("discovery", 3, a); }
	{ char *a[] = { "p", "/m", "nvme+tcp://[::1/nqn.x", NULL }; expect_error("URI", 3, a); }
	{ char *a[] = { "p", "/m", "http://127.0.0.1/nqn.x", NULL };
	  expect_error("http://", 3, a); }
	{ char *a[] = { "p", "/m", URI, "-o", "", NULL }; expect_error("-o", 5, a); }
	{ char *a[] = { "p", "/m", URI, "-P", "", NULL }; expect_error("pidfile", 5, a); }
	/* A flag given a value: named as typed, not as its table value. */
	{ char *a[] = { "p", "/m", URI, "--read-only=1", NULL };
	  expect_error("option '--read-only' takes no value", 4, a); }
	{ char *a[] = { "p", "/m", URI, "--direct-io=yes", NULL };
	  expect_error("option '--direct-io' takes no value", 4, a); }
	{ char *a[] = { "p", "/m", URI, "--reconnect-delay", "0", NULL };
	  expect_error("--reconnect-delay: '0' is not a number from 1", 5, a); }
	{ char *a[] = { "p", "/m", URI, "--ctrl-loss-tmo", "-5", NULL };
	  expect_error("--ctrl-loss-tmo: '-5'", 5, a); }
	{ char *a[] = { "p", "/m", URI, "--fast_io_fail_tmo", "x", NULL };
	  expect_error("--fast_io_fail_tmo: 'x'", 5, a); }
	{ char *a[] = { "p", "/m", URI, "-c", "5", NULL }; expect_error("-c", 5, a); }
	{ char *a[] = { "p", "/m", URI "?ctrl_loss_tmo=-1", "--ctrl-loss-tmo", "5", NULL };
	  expect_error("--ctrl-loss-tmo and the URI's ctrl_loss_tmo=-1 both given", 5, a); }
	{ char *a[] = { "p", "/m", URI "?ctrl_loss_tmo=forever", NULL };
	  expect_error("ctrl_loss_tmo=forever", 3, a); }
	/* The URI's port: decimal only, named as given (0x1a0a was "out of
	 * range", 004420 too), --trsvcid not an option here (FUSE's -s). */
	{ char *a[] = { "p", "/m", "nvme+tcp://127.0.0.1:0x1a0a/nqn.x", NULL };
	  expect_error("port \"0x1a0a\" is not a number: a port is a decimal number from 1 to "
		       "65535", 3, a); }
	{ char *a[] = { "p", "/m", "nvme+tcp://127.0.0.1:0065536/nqn.x", NULL };
	  expect_error("port \"0065536\" is out of range 1-65535", 3, a); }
	{ char *a[] = { "p", "/m", URI, "--trsvcid", "4420", NULL };
	  expect_error("--trsvcid", 5, a); }
}

/* A port with leading zeros is the same decimal port. */
static void test_uri_port_decimal(void **state)
{
	char *argv[] = { "nvmf-fuse", "/mnt/x", "nvme+tcp://127.0.0.1:004421/nqn.x", NULL };
	struct fo_config c;

	(void)state;
	assert_int_equal(parse(ARGC(argv), argv, &c), FO_RUN);
	assert_string_equal(c.nv.trsvcid, "4421");
	fo_release(&c);
}

static bool all_zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* The secrets: taken from argv (its copy overwritten), wiped by fo_release(). */
static void test_release_wipes_secrets(void **state)
{
	static const char tls[] = "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:";
	static const char hs[] = "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:";
	char a_tls[sizeof(tls)], a_hs[sizeof(hs)], a_cs[sizeof(hs)];
	char *argv[] = { "nvmf-fuse", "/m", URI, "--tls-key", a_tls, "--dhchap-secret", a_hs,
			 "--dhchap-ctrl-secret", a_cs, NULL };
	struct fo_config c;

	(void)state;
	memcpy(a_tls, tls, sizeof(tls));
	memcpy(a_hs, hs, sizeof(hs));
	memcpy(a_cs, hs, sizeof(hs));
	assert_int_equal(parse(ARGC(argv), argv, &c), FO_RUN);
	assert_string_equal(c.nv.tls_key, tls);
	assert_string_equal(c.nv.dhchap_secret, hs);
	assert_string_equal(c.nv.dhchap_ctrl_secret, hs);
	assert_null(strstr(a_tls, "NVMeTLSkey"));
	assert_null(strstr(a_hs, "DHHC"));
	fo_release(&c);
	assert_true(all_zero(c.nv.tls_key, sizeof(c.nv.tls_key)));
	assert_true(all_zero(c.nv.dhchap_secret, sizeof(c.nv.dhchap_secret)));
	assert_true(all_zero(c.nv.dhchap_ctrl_secret, sizeof(c.nv.dhchap_ctrl_secret)));
	assert_string_equal(c.nv.traddr, "127.0.0.1");	/* nothing else */
}

static void test_uuid(void **state)
{
	unsigned char id[16];

	(void)state;
	assert_int_equal(nvmf_hostid_parse("00112233-4455-6677-8899-AABBCCDDEEFF", id), 0);
	assert_int_equal(id[0], 0x00);
	assert_int_equal(id[15], 0xff);
	assert_int_equal(nvmf_hostid_parse("00112233-4455-6677-8899-AABBCCDDEEF", id), -EINVAL);
	assert_int_equal(nvmf_hostid_parse("00112233x4455-6677-8899-AABBCCDDEEFF", id), -EINVAL);
	assert_int_equal(nvmf_hostid_parse("0011223g-4455-6677-8899-AABBCCDDEEFF", id), -EINVAL);
	assert_int_equal(tc_check_name("nvmf0"), 0);
	assert_int_equal(tc_check_name(""), -EINVAL);
	assert_int_equal(tc_check_name("a b"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_release_wipes_secrets),
		cmocka_unit_test(test_options_after_positionals),
		cmocka_unit_test(test_pidfile_relative),
		cmocka_unit_test(test_options_interleaved),
		cmocka_unit_test(test_reconnect_options),
		cmocka_unit_test(test_dashdash_and_uri_only),
		cmocka_unit_test(test_permute),
		cmocka_unit_test(test_ro_option_and_help),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_uri_port_decimal),
		cmocka_unit_test(test_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
