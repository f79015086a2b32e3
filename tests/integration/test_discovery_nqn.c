/*
 * A unique discovery NQN (TP 8013) on the Linux kernel target: nvmet
 * renamed through configfs (discovery_nqn, Linux 6.2 and later, so the
 * auth configuration's 6.12 guest), then read by nvmf_discover() and by
 * nvmf_connect() with nvmf_opts.discovery. nvmet answers under both the
 * unique and the well-known NQN (core.c, nvmet_find_get_subsys), so this
 * changes nothing for the other tests of the fixture; the name is put back
 * at the end, failed or not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "integ_common.h"

/* Before Linux commit 4db3d750 ("nvmet: Don't overflow subsysnqn"), any
 * new name overflowed the old one's allocation (a 256-byte memset over a
 * copy of the well-known NQN). The 6.12 kernel of the auth fixture has it:
 * its store function calls kstrndup. */
#define UNIQUE_NQN "nqn.2014-08.org.libnvmf:disc"

static struct integ_target t;
static bool renamed;

/* The guest's discovery NQN after the control command (trailing newline cut). */
static void discovery_nqn(const char *set, char *out, size_t outlen)
{
	int rc;

	out[0] = '\0';
	if (set)
		rc = interop_ctl(&t.env, out, outlen, "discovery-nqn", "--set", set, NULL);
	else
		rc = interop_ctl(&t.env, out, outlen, "discovery-nqn", NULL);
	if (rc != 0) {
		interop_env_dump_console(&t.env, 20);
		fail_msg("discovery-nqn%s%s: status %d: %s", set ? " --set " : "", set ? set : "", rc,
			 out);
	}
	out[strcspn(out, "\r\n")] = '\0';
}

static int setup(void **state)
{
	(void)state;
	integ_load(&t);
	return 0;
}

static int teardown(void **state)
{
	char out[512] = "";

	(void)state;
	if (renamed &&
	    (interop_ctl(&t.env, out, sizeof(out), "discovery-nqn", "--set", NVMF_DISCOVERY_NQN,
			 NULL) != 0 ||
	     strncmp(out, NVMF_DISCOVERY_NQN, strlen(NVMF_DISCOVERY_NQN)) != 0)) {
		fprintf(stderr, "could not give the discovery subsystem its NQN back: %s\n", out);
		return -1;
	}
	integ_free(&t);
	return 0;
}

/* The log read through nvmf_discover() under subnqn: the fixture's
 * subsystem is in it, and the entry for the discovery subsystem itself,
 * where nvmet lists one, carries the unique NQN. */
static void check_log(const struct nvmf_disc_list *d)
{
	bool found = false;

	for (uint32_t i = 0; i < d->nr_entries; i++) {
		const struct nvmf_disc_rec *e = &d->entries[i];

		print_message("entry %u: %s %s:%s %s\n", i, nvmf_disc_subtype_str(e->subtype),
			      e->traddr, e->trsvcid, e->subnqn);
		if (e->subtype == NVMF_DISC_SUBTYPE_NVME && strcmp(e->subnqn, t.subnqn) == 0)
			found = true;
		if (e->subtype == NVMF_DISC_SUBTYPE_CURRENT)
			assert_string_equal(e->subnqn, UNIQUE_NQN);
	}
	if (!found)
		fail_msg("%s is not in the discovery log (%u entries)", t.subnqn, d->nr_entries);
}

static void test_unique_discovery_nqn(void **state)
{
	char out[512];
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	struct nvmf_ctrl_info ci;
	struct nvmf_disc_list *d;
	int rc;

	(void)state;
	discovery_nqn(NULL, out, sizeof(out));
	assert_string_equal(out, NVMF_DISCOVERY_NQN);
	renamed = true;
	discovery_nqn(UNIQUE_NQN, out, sizeof(out));
	assert_string_equal(out, UNIQUE_NQN);

	/* nvmet serves discovery on every port: the I/O port here. */
	integ_opts(&t, &o, 0);
	snprintf(o.subnqn, sizeof(o.subnqn), "%s", UNIQUE_NQN);

	/* The one-shot form takes any NQN as a discovery NQN. */
	rc = nvmf_discover(&o, &d);
	if (rc != 0)
		fail_msg("nvmf_discover(%s): %d: %s", UNIQUE_NQN, rc, nvmf_get_error());
	check_log(d);
	nvmf_free(d);

	/* nvmf_connect() without nvmf_opts.discovery expects an I/O
	 * controller: nvmet's CNTRLTYPE 2 is refused, naming the option. */
	rc = integ_connect(&o, &c);
	assert_int_equal(rc, -EPROTO);
	assert_non_null(strstr(nvmf_get_error(), "CNTRLTYPE 2"));
	assert_non_null(strstr(nvmf_get_error(), "nvmf_opts.discovery"));

	o.discovery = true;
	rc = integ_connect(&o, &c);
	if (rc != 0)
		fail_msg("nvmf_connect(%s, discovery): %d: %s", UNIQUE_NQN, rc, nvmf_get_error());
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_true(ci.discovery);
	assert_int_equal(ci.cntrltype, 2);
	assert_string_equal(ci.subnqn, UNIQUE_NQN);
	assert_int_equal(nvmf_discovery_log_get(c, &d), 0);
	check_log(d);
	nvmf_free(d);
	assert_int_equal(nvmf_disconnect(c), 0);

	/* The well-known NQN still reaches the same discovery subsystem. */
	o.discovery = false;
	o.subnqn[0] = '\0';
	rc = nvmf_discover(&o, &d);
	if (rc != 0)
		fail_msg("nvmf_discover(well-known NQN): %d: %s", rc, nvmf_get_error());
	check_log(d);
	nvmf_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unique_discovery_nqn),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
