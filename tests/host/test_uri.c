/* nvme+tcp:// URI parsing, good and bad inputs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"

static void test_defaults(void **state)
{
	struct nvmf_uri u;

	(void)state;
	assert_int_equal(nvmf_uri_parse("nvme+tcp://127.0.0.1/nqn.2014-08.org.example:disk", &u), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "4420");
	assert_string_equal(u.subnqn, "nqn.2014-08.org.example:disk");
	assert_int_equal(u.nsid, 0);
	assert_false(u.discovery);

	/* No NQN: the discovery subsystem on 8009. */
	assert_int_equal(nvmf_uri_parse("nvme+tcp://localhost", &u), 0);
	assert_string_equal(u.host, "localhost");
	assert_string_equal(u.port, "8009");
	assert_string_equal(u.subnqn, NVMF_DISCOVERY_NQN);
	assert_true(u.discovery);
	assert_int_equal(nvmf_uri_parse("nvme+tcp://localhost/", &u), 0);
	assert_string_equal(u.port, "8009");

	/* Explicit discovery NQN: 8009 too; explicit port wins. */
	assert_int_equal(nvmf_uri_parse("nvme+tcp://h/nqn.2014-08.org.nvmexpress.discovery", &u), 0);
	assert_string_equal(u.port, "8009");
	assert_int_equal(nvmf_uri_parse("nvme+tcp://h:4421/nqn.2014-08.org.nvmexpress.discovery", &u), 0);
	assert_string_equal(u.port, "4421");
}

static void test_ipv6_port_nsid(void **state)
{
	struct nvmf_uri u;

	(void)state;
	assert_int_equal(nvmf_uri_parse("nvme+tcp://[::1]:4430/nqn.a:b/7", &u), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "4430");
	assert_string_equal(u.subnqn, "nqn.a:b");
	assert_int_equal(u.nsid, 7);
	assert_int_equal(nvmf_uri_parse("nvme+tcp://[fe80::1%25eth0]/nqn.a:b/", &u), 0);
	assert_string_equal(u.host, "fe80::1%eth0");
	assert_int_equal(u.nsid, 0);
	assert_int_equal(nvmf_uri_parse("NVME+TCP://[2001:db8::5]/nqn.a:b", &u), 0);
	assert_string_equal(u.host, "2001:db8::5");
	/* Leading zeros are decimal, as nvmfctl's -s takes them (004420 was
	 * "out of range" for its six digits). */
	assert_int_equal(nvmf_uri_parse("nvme+tcp://[::1]:04420/nqn.a:b", &u), 0);
	assert_string_equal(u.port, "4420");
	assert_int_equal(nvmf_uri_parse("nvme+tcp://h:00065535/nqn.a:b", &u), 0);
	assert_string_equal(u.port, "65535");
}

static void test_percent(void **state)
{
	struct nvmf_uri u;

	(void)state;
	assert_int_equal(nvmf_uri_parse("nvme+tcp://h/nqn.2014-08.org%3Aweird%2Fname%21x/3", &u), 0);
	assert_string_equal(u.subnqn, "nqn.2014-08.org:weird/name!x");
	assert_int_equal(u.nsid, 3);
	/* Decoded, a space or control character is still not an NQN's. */
	assert_int_equal(nvmf_uri_parse("nvme+tcp://h/nqn.2014-08.org%3Aa%20b", &u), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "contains a space or control character (%20)"));
	assert_int_equal(nvmf_uri_parse("nvme+tcp://h/nqn.2014-08.org%3Aa%0Ab", &u), -EINVAL);
}

static void bad(const char *uri, const char *needle)
{
	struct nvmf_uri u;

	assert_int_equal(nvmf_uri_parse(uri, &u), -EINVAL);
	assert_int_equal(nvmf_get_errno(), EINVAL);
	if (!strstr(nvmf_get_error(), needle))
		fail_msg("\"%s\": error \"%s\" does not mention \"%s\"", uri, nvmf_get_error(),
			 needle);
}

static void test_bad(void **state)
{
	char longnqn[400];

	(void)state;
	bad("nvme://h/x", "nvme+tcp://");
	bad("nvme+tcp://", "no host");
	bad("nvme+tcp:///nqn.x", "no host");
	bad("nvme+tcp://h:/nqn.x", "port is empty");
	bad("nvme+tcp://h:0/nqn.x", "out of range");
	bad("nvme+tcp://h:65536/nqn.x", "out of range");
	bad("nvme+tcp://h:44a/nqn.x", "not a number");
	/* Decimal only, named as given: 0x1a0a was "out of range" (its length). */
	bad("nvme+tcp://h:0x1a0a/nqn.x", "port \"0x1a0a\" is not a number: a port is a decimal "
	    "number from 1 to 65535");
	bad("nvme+tcp://h:+4420/nqn.x", "port \"+4420\" is not a number");
	bad("nvme+tcp://h:0004420x/nqn.x", "port \"0004420x\" is not a number");
	bad("nvme+tcp://h:0065536/nqn.x", "port \"0065536\" is out of range 1-65535");
	bad("nvme+tcp://h:000000/nqn.x", "port \"000000\" is out of range");
	bad("nvme+tcp://h:1234567/nqn.x", "port \"1234567\" is out of range");
	bad("nvme+tcp://[::1/nqn.x", "closing ']'");
	bad("nvme+tcp://[::g]/nqn.x", "not an IPv6 address");
	bad("nvme+tcp://[::1]x/nqn.x", "after ']'");
	bad("nvme+tcp://::1/nqn.x", "brackets");
	bad("nvme+tcp://h/nqn.x/0", "out of range");
	bad("nvme+tcp://h/nqn.x/4294967295", "out of range");
	bad("nvme+tcp://h/nqn.x/12a", "not a number");
	bad("nvme+tcp://h/nqn.x/1/2", "more than two parts");
	bad("nvme+tcp://h/nqn.x%2", "truncated");
	bad("nvme+tcp://h/nqn.x%zz", "bad percent");
	bad("nvme+tcp://h/nqn.x%00y", "%00");
	bad("nvme+tcp://h/nqn x", "control or space");
	bad("nvme+tcp://h/nqn.x?hdgst=1", "unknown parameter \"hdgst\"");
	bad("nvme+tcp://h/nqn.x#frag", "fragments");
	bad("nvme+tcp://user@h/nqn.x", "user information");
	bad("nvme+tcp://h//5", "without a subsystem NQN");
	bad("nvme+tcp://h/nqn.2014-08.org.nvmexpress.discovery/1", "discovery");
	bad("nvme+tcp://h$x/nqn", "not allowed");
	memset(longnqn, 'a', sizeof(longnqn));
	memcpy(longnqn, "nvme+tcp://h/", 13);
	longnqn[sizeof(longnqn) - 1] = '\0';
	bad(longnqn, "longer than");
	assert_int_equal(nvmf_uri_parse(NULL, &(struct nvmf_uri){ 0 }), -EINVAL);
}

static void test_opts_set_uri(void **state)
{
	struct nvmf_opts o;

	(void)state;
	nvmf_opts_init(&o);
	assert_int_equal(nvmf_opts_set_uri(&o, "nvme+tcp://[::1]:9/nqn.a:b/4"), 0);
	assert_string_equal(o.traddr, "::1");
	assert_string_equal(o.trsvcid, "9");
	assert_string_equal(o.subnqn, "nqn.a:b");
	assert_int_equal(o.nsid, 4);
	assert_int_equal(nvmf_opts_set_uri(&o, "bogus"), -EINVAL);
}

/* ?ctrl_loss_tmo=-1&reconnect_delay=2&fast_io_fail_tmo=5 (nvme-cli's names). */
static void test_query(void **state)
{
	struct nvmf_opts o;
	struct nvmf_uri u;

	(void)state;
	/* Accepted by the parser, which has no room for them: the rest as before. */
	assert_int_equal(nvmf_uri_parse("nvme+tcp://[::1]:9/nqn.a:b/4?ctrl_loss_tmo=-1"
					"&reconnect_delay=2&fast_io_fail_tmo=5", &u), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "9");
	assert_string_equal(u.subnqn, "nqn.a:b");
	assert_int_equal(u.nsid, 4);
	assert_int_equal(nvmf_uri_parse("nvme+tcp://h?ctrl_loss_tmo=0", &u), 0);
	assert_true(u.discovery);
	assert_string_equal(u.port, "8009");
	assert_int_equal(nvmf_uri_parse("nvme+tcp://h/nqn.a:b/?reconnect_delay=4000000", &u), 0);
	assert_string_equal(u.subnqn, "nqn.a:b");
	assert_int_equal(u.nsid, 0);

	/* Applied by nvmf_opts_set_uri(); absent ones keep their values. */
	nvmf_opts_init(&o);
	o.fast_io_fail_tmo = 7;
	assert_int_equal(nvmf_opts_set_uri(&o, "nvme+tcp://h/nqn.a:b/2?ctrl_loss_tmo=-1"
					   "&reconnect_delay=2"), 0);
	assert_int_equal(o.ctrl_loss_tmo, -1);
	assert_int_equal(o.reconnect_delay, 2);
	assert_int_equal(o.fast_io_fail_tmo, 7);
	assert_int_equal(o.nsid, 2);
	assert_string_equal(o.subnqn, "nqn.a:b");
	assert_int_equal(nvmf_opts_set_uri(&o, "nvme+tcp://h/nqn.a:b?fast_io_fail_tmo=-1"
					   "&ctrl_loss_tmo=0"), 0);
	assert_int_equal(o.fast_io_fail_tmo, -1);
	assert_int_equal(o.ctrl_loss_tmo, 0);
	assert_int_equal(o.reconnect_delay, 2);

	/* Bad ones: -EINVAL naming the parameter and the value. */
	bad("nvme+tcp://h/nqn.x?", "query is empty");
	bad("nvme+tcp://h/nqn.x?ctrl_loss_tmo=1&", "empty parameter");
	bad("nvme+tcp://h/nqn.x?&ctrl_loss_tmo=1", "empty parameter");
	bad("nvme+tcp://h/nqn.x?ctrl-loss-tmo=1", "unknown parameter \"ctrl-loss-tmo\"");
	bad("nvme+tcp://h/nqn.x?ctrl_loss_tmo", "ctrl_loss_tmo has no value");
	bad("nvme+tcp://h/nqn.x?ctrl_loss_tmo=", "ctrl_loss_tmo=: not -1");
	bad("nvme+tcp://h/nqn.x?ctrl_loss_tmo=-2", "ctrl_loss_tmo=-2: not -1 (reconnect forever)");
	bad("nvme+tcp://h/nqn.x?ctrl_loss_tmo=-", "ctrl_loss_tmo=-:");
	bad("nvme+tcp://h/nqn.x?ctrl_loss_tmo=1e3", "ctrl_loss_tmo=1e3");
	bad("nvme+tcp://h/nqn.x?ctrl_loss_tmo=99999999999", "ctrl_loss_tmo=99999999999");
	bad("nvme+tcp://h/nqn.x?ctrl_loss_tmo=4000001", "ctrl_loss_tmo=4000001");
	bad("nvme+tcp://h/nqn.x?reconnect_delay=0", "reconnect_delay=0: not a number of "
	    "seconds from 1 to 4000000");
	bad("nvme+tcp://h/nqn.x?reconnect_delay=%31", "reconnect_delay=%31");
	bad("nvme+tcp://h/nqn.x?fast_io_fail_tmo=off", "fast_io_fail_tmo=off: not -1 (off)");
	bad("nvme+tcp://h/nqn.x?reconnect_delay=1&reconnect_delay=2", "reconnect_delay is given "
	    "twice");
	bad("nvme+tcp://h/nqn x?reconnect_delay=1", "control or space");

	/* A bad query leaves the options alone. */
	nvmf_opts_init(&o);
	assert_int_equal(nvmf_opts_set_uri(&o, "nvme+tcp://other/nqn.c:d?ctrl_loss_tmo=-1"
					   "&bogus=1"), -EINVAL);
	assert_int_equal(o.ctrl_loss_tmo, 600);
	assert_string_equal(o.traddr, "");
}

/*
 * nvmf.h's ABI policy: a caller built against an older header has a
 * shorter struct (o->size says how long); the members beyond it are never
 * written, and a query parameter with no member to go to is refused, not
 * dropped.
 */
static void test_query_abi(void **state)
{
	struct nvmf_opts o;

	(void)state;
	nvmf_opts_init_size(&o, offsetof(struct nvmf_opts, reconnect_delay) + sizeof(int));
	assert_int_equal(o.size, offsetof(struct nvmf_opts, reconnect_delay) + sizeof(int));
	o.ctrl_loss_tmo = 12345;	/* "beyond the caller's struct" */
	o.fast_io_fail_tmo = 12345;
	assert_int_equal(nvmf_opts_set_uri(&o, "nvme+tcp://h/nqn.a:b?reconnect_delay=3"), 0);
	assert_int_equal(o.reconnect_delay, 3);
	assert_int_equal(o.ctrl_loss_tmo, 12345);
	assert_int_equal(nvmf_opts_set_uri(&o, "nvme+tcp://h2/nqn.a:b?reconnect_delay=4"
					   "&ctrl_loss_tmo=-1"), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "ctrl_loss_tmo"));
	assert_int_equal(o.ctrl_loss_tmo, 12345);
	assert_int_equal(o.reconnect_delay, 3);	/* nothing applied */
	assert_string_equal(o.traddr, "h");
	assert_int_equal(nvmf_opts_set_uri(&o, "nvme+tcp://h/nqn.a:b?fast_io_fail_tmo=1"),
			 -EINVAL);
	assert_int_equal(o.fast_io_fail_tmo, 12345);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ipv6_port_nsid),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_opts_set_uri),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_query_abi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
