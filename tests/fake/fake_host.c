/*
 * The host side's options for a fake controller: what every host test that
 * connects to one starts from.
 */
#include <stdio.h>

#include <nvmf/nvmf.h>

#include "fake/fake_ctrl.h"

void fake_host_opts(const struct fake_ctrl *fc, struct nvmf_opts *o)
{
	nvmf_opts_init(o);
	snprintf(o->traddr, sizeof(o->traddr), "127.0.0.1");
	snprintf(o->trsvcid, sizeof(o->trsvcid), "%u", fake_ctrl_port(fc));
	snprintf(o->subnqn, sizeof(o->subnqn), "nqn.2014-08.org.nvmexpress:fake");
	snprintf(o->hostnqn, sizeof(o->hostnqn), "nqn.2014-08.org.example:host-test");
	o->nr_io_queues = 1;
	o->io_timeout = 5;
	o->connect_timeout = 5;
}

struct fake_ctrl *fake_host_start(enum fake_scenario s, struct nvmf_opts *o)
{
	struct fake_opts fo = { .scenario = s };
	struct fake_ctrl *fc;

	if (fake_ctrl_start(&fo, &fc) != 0)
		return NULL;
	fake_host_opts(fc, o);
	o->ctrl_loss_tmo = 0;
	return fc;
}
