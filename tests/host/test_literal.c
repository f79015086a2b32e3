/*
 * A literal address needs no lookup (src/tcp/conn.c, conn_literal): a
 * connect to "127.0.0.1" or "::1" with a numeric port does not call
 * getaddrinfo, so libuv's threadpool (four threads) is not started for it;
 * a host name still goes through getaddrinfo, with the same result as
 * before.
 *
 * getaddrinfo is this program's own (below), which libuv's calls reach
 * (the executable's definition comes first in the dynamic lookup): it
 * counts, then calls the C library's.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"

static int lookups;

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static gai_fn real;

	__atomic_fetch_add(&lookups, 1, __ATOMIC_RELAXED);
	if (!real)
		real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
	if (!real)
		return EAI_FAIL;
	return real(node, service, hints, res);
}

static int lookups_now(void)
{
	return __atomic_load_n(&lookups, __ATOMIC_RELAXED);
}

/* Connect to the fake controller at traddr, read a block, disconnect:
 * how many getaddrinfo calls it took. */
static int connect_counting(struct fake_ctrl *fc, const char *traddr, const char *trsvcid)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	uint8_t buf[4096];
	int before = lookups_now();

	fake_host_opts(fc, &o);
	o.ctrl_loss_tmo = 0;
	snprintf(o.traddr, sizeof(o.traddr), "%s", traddr);
	if (trsvcid)
		snprintf(o.trsvcid, sizeof(o.trsvcid), "%s", trsvcid);
	if (nvmf_connect(&o, &c) != 0)
		fail_msg("connect to %s: %s", traddr, nvmf_get_error());
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	return lookups_now() - before;
}

static void test_literal_and_names(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct fake_ctrl *fc;
	struct nvmf_opts o;

	(void)state;
	assert_int_equal(fake_ctrl_start(&fo, &fc), 0);
	/* Literal: no lookup, for the admin queue nor the I/O queue. */
	assert_int_equal(connect_counting(fc, "127.0.0.1", NULL), 0);
	/* A host name: looked up (admin and I/O queue), and connected all the
	 * same. (This also shows the interposition works: the test can fail.)
	 * Not "127.1": glibc's getaddrinfo reads it, others need not. */
	assert_true(connect_counting(fc, "localhost", NULL) >= 2);
	/* A wrong literal fails as before, naming the address. */
	fake_host_opts(fc, &o);
	o.ctrl_loss_tmo = 0;
	o.connect_timeout = 2;
	snprintf(o.traddr, sizeof(o.traddr), "127.0.0.1");
	snprintf(o.trsvcid, sizeof(o.trsvcid), "1");
	{
		struct nvmf_ctrl *c;
		int before = lookups_now();

		assert_int_equal(nvmf_connect(&o, &c), -ECONNREFUSED);
		assert_non_null(strstr(nvmf_get_error(), "127.0.0.1"));
		assert_int_equal(lookups_now() - before, 0);
	}
	fake_ctrl_stop(fc, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
