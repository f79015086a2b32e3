/*
 * A subsystem that requires DH-HMAC-CHAP: the host does not implement
 * in-band authentication yet, so the connect must fail at once with a
 * message saying so (Connect response AUTHREQ, Base 2.0, 6.3), not hang or
 * pretend to be connected.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "integ_common.h"

static void test_auth_required(void **state)
{
	struct integ_target t;
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	const char *auth;

	(void)state;
	integ_load(&t);
	auth = interop_env_get(&t.env, "NVMF_TEST_AUTH");
	if (!auth || strcmp(auth, "1") != 0)
		fail_msg("%s: NVMF_TEST_AUTH is not 1: this target does not require authentication",
			 t.env.path);
	integ_opts(&t, &o, 1);
	assert_int_equal(integ_connect(&o, &c), -EACCES);
	assert_null(c);
	assert_non_null(strstr(nvmf_get_error(), "authentication"));
	integ_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_required),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
