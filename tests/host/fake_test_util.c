/* Helpers shared by the parts of the host-against-fake test (test_fake*.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_test_util.h"

struct fake_ctrl *start_fake(enum fake_scenario s, struct nvmf_opts *o, int nq)
{
	/* These scenarios test how a failure reaches the caller: no
	 * reconnect (release 0.1's behaviour, fake_host_start's
	 * ctrl_loss_tmo 0); test_reconnect.c rides out outages. */
	struct fake_ctrl *fc = fake_host_start(s, o);

	assert_non_null(fc);
	o->nr_io_queues = nq;
	return fc;
}

void result_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	(void)cookie;
	__atomic_store_n((int *)user, cpl->result, __ATOMIC_RELEASE);
}
