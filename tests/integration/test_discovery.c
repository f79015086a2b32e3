/* Discovery log of the target's discovery controller. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "integ_common.h"

/*
 * NVMF_TEST_PORTMAP "4420=40001,8009=40002": the host-side port that
 * reaches a target-side port. A target without NAT has no map: identity.
 */
static const char *map_port(const struct integ_target *t, const char *port)
{
	static char out[16];
	const char *map = interop_env_get(&t->env, "NVMF_TEST_PORTMAP");
	size_t n = strlen(port);

	if (!map || !*map)
		return port;
	for (const char *p = map; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (strncmp(p, port, n) == 0 && p[n] == '=') {
			snprintf(out, sizeof(out), "%.*s", (int)strcspn(p + n + 1, ","), p + n + 1);
			return out;
		}
	}
	fail_msg("discovery entry port %s is not forwarded (NVMF_TEST_PORTMAP %s)", port, map);
	return NULL;
}

static void test_discovery_log(void **state)
{
	struct integ_target t;
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	struct nvmf_ctrl_info ci;
	struct nvmf_disc_list *d;
	struct nvmf_opts via;
	bool found = false;

	(void)state;
	integ_load(&t);
	if (!t.disc_trsvcid)
		fail_msg("%s has no NVMF_TEST_DISC_TRSVCID: this configuration has no discovery port",
			 t.env.path);
	integ_opts(&t, &o, 0);
	snprintf(o.trsvcid, sizeof(o.trsvcid), "%s", t.disc_trsvcid);
	o.subnqn[0] = '\0';	/* the well-known discovery NQN */
	via = o;

	assert_int_equal(integ_connect(&o, &c), 0);
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_true(ci.discovery);
	assert_int_equal(nvmf_discovery_log_get(c, &d), 0);
	assert_true(d->nr_entries >= 1);
	for (uint32_t i = 0; i < d->nr_entries; i++) {
		const struct nvmf_disc_rec *e = &d->entries[i];

		print_message("entry %u: %s %s %s:%s %s\n", i, nvmf_disc_subtype_str(e->subtype),
			      nvmf_disc_trtype_str(e->trtype), e->traddr, e->trsvcid, e->subnqn);
		if (e->subtype == NVMF_DISC_SUBTYPE_NVME && strcmp(e->subnqn, t.subnqn) == 0) {
			found = true;
			assert_int_equal(e->trtype, NVMF_DISC_TRTYPE_TCP);
			assert_int_equal(e->adrfam, NVMF_DISC_ADRFAM_IPV4);
			/* The target reports its own address (behind QEMU's NAT, the
			 * guest's) and a port the port map forwards. */
			if (t.guest_traddr && *t.guest_traddr)
				assert_string_equal(e->traddr, t.guest_traddr);
			snprintf(via.trsvcid, sizeof(via.trsvcid), "%s", map_port(&t, e->trsvcid));
			snprintf(via.subnqn, sizeof(via.subnqn), "%s", e->subnqn);
		}
	}
	assert_true(found);
	nvmf_free(d);
	assert_int_equal(nvmf_disconnect(c), 0);

	/* The entry leads to the subsystem. */
	via.nr_io_queues = 1;
	assert_int_equal(integ_connect(&via, &c), 0);
	assert_int_equal(nvmf_ctrl_get_info(c, &ci), 0);
	assert_string_equal(ci.subnqn, t.subnqn);
	assert_int_equal(nvmf_disconnect(c), 0);

	/* The one-shot form. */
	assert_int_equal(nvmf_discover(&o, &d), 0);
	assert_true(d->nr_entries >= 1);
	nvmf_free(d);
	integ_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
