/*
 * tools/common/hints.c: the error lines both tools print (issue 17's
 * friction points): URIs named once, a peer that is not NVMe/TCP, an
 * unknown subsystem, the option names of each tool.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hints.h"

static char line[2048];

static void has(const char *s, const char *word)
{
	if (!strstr(s, word))
		fail_msg("\"%s\" does not say \"%s\"", s, word);
}

static void test_uri_error(void **state)
{
	char uri[400];

	(void)state;
	assert_string_equal(tc_uri_error(line, sizeof(line), "nvme+tcp://h:/n",
					 "URI port is empty"), "URI 'nvme+tcp://h:/n': port is empty");
	assert_string_equal(tc_uri_error(line, sizeof(line), "x", "URI: fragments ('#') are "
					 "not supported"), "URI 'x': fragments ('#') are not supported");
	memset(uri, 'a', sizeof(uri) - 1);
	uri[sizeof(uri) - 1] = '\0';
	tc_uri_error(line, sizeof(line), uri, "URI host is longer than 255 bytes");
	/* Cut at 300 bytes, and marked so. */
	has(line, "aaa...': host is longer");
	assert_int_equal(strlen(line), strlen("URI '...': host is longer than 255 bytes") + 300);
}

static void test_not_nvme(void **state)
{
	const char *text = "queue 0: connecting to 127.0.0.1 port 80: the peer does not speak "
			   "NVMe/TCP: it answered ICReq with \"HTTP/1.1\" (PDU type 0x48 is not "
			   "defined)";

	(void)state;
	tc_fail_line(line, sizeof(line), EPROTO, 0, text, true, true, NULL);
	has(line, "not an NVMe/TCP target; check the port (-s/--trsvcid or the URI)");
	has(line, "[queue 0: connecting");
	tc_fail_line(line, sizeof(line), EPROTO, 0, text, true, false, NULL);
	has(line, "not an NVMe/TCP target; check the URI's port");
}

static void test_option_names(void **state)
{
	(void)state;
	tc_fail_line(line, sizeof(line), ECONNREFUSED, 0, "connection refused", true, true, NULL);
	has(line, "connection refused; check that a target listens on that address and port "
		  "(-s/--trsvcid)");
	tc_fail_line(line, sizeof(line), ECONNREFUSED, 0, "connection refused", true, false, NULL);
	has(line, "the URI's address and port");
	tc_fail_line(line, sizeof(line), EIO, NVMF_SF(1, 0x84, 1), "queue 0 Connect failed: "
		     "Connect Invalid Host (SCT 1h SC 84h, DNR)", true, false, NULL);
	has(line, "Connect rejected: Connect Invalid Host (SCT 1h SC 84h, DNR); check that the "
		  "target allows this host NQN (--hostnqn;");
}

static void test_no_subsystem(void **state)
{
	const char *text = "queue 0 Connect failed: Connect Invalid Parameters (SCT 1h SC 82h, "
			   "DNR): the target has no subsystem nqn.x:y at this port (SUBNQN, at "
			   "offset 256 of the Connect data)";
	struct nvmf_opts o;

	(void)state;
	tc_fail_line(line, sizeof(line), EIO, NVMF_SF(1, 0x82, 1), text, true, true, NULL);
	has(line, "Connect rejected: the target has no subsystem of that NQN at this port; "
		  "check the subsystem NQN (-n/--nqn or the URI)");
	has(line, "SC 82h");
	/* The discovery NQN: no look at the discovery log, the port is named. */
	nvmf_opts_init(&o);
	snprintf(o.traddr, sizeof(o.traddr), "127.0.0.1");
	snprintf(o.trsvcid, sizeof(o.trsvcid), "4420");
	tc_fail_line(line, sizeof(line), EIO, NVMF_SF(1, 0x82, 1), text, true, false, &o);
	has(line, "no discovery subsystem at this port; the port may serve I/O only: discovery "
		  "is usually at port 8009");
}

/*
 * Authentication by errno: only a refusal (-EACCES) points at the secrets.
 * A timeout during the exchange is a timeout, and text the target chose (an
 * NQN holding "authentication") must not pick the hint (helper-94).
 */
static void test_auth_by_errno(void **state)
{
	(void)state;
	tc_fail_line(line, sizeof(line), EACCES, 0, "queue 0: authentication failed: the "
		     "controller refused it (authentication failed; reason code 01h, "
		     "explanation 01h)", true, true, NULL);
	has(line, "authentication failed; check the DH-HMAC-CHAP secrets");
	tc_fail_line(line, sizeof(line), ETIMEDOUT, 0, "queue 0: authentication: Authentication "
		     "Receive (Challenge): command CID 3 (opcode 0x7f) got no completion within "
		     "its 3000 ms timeout; closing the connection", true, true, NULL);
	has(line, "timed out; ");
	if (strstr(line, "check the DH-HMAC-CHAP"))
		fail_msg("a timeout blamed on the secrets: \"%s\"", line);
	tc_fail_line(line, sizeof(line), EPROTO, 0, "the controller is not the subsystem "
		     "connected to: Identify Controller reports SUBNQN "
		     "nqn.2026-12.org.example:no-authentication-here", true, true, NULL);
	has(line, "protocol error; ");
	if (strstr(line, "check the DH-HMAC-CHAP"))
		fail_msg("the target's NQN picked the hint: \"%s\"", line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_error),
		cmocka_unit_test(test_not_nvme),
		cmocka_unit_test(test_option_names),
		cmocka_unit_test(test_no_subsystem),
		cmocka_unit_test(test_auth_by_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
