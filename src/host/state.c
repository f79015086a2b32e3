/*
 * The controller's lifecycle as named states (see OUTAGES in nvmf.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/ctrl.h"

const char *nvmf_ctrl_state_str(enum nvmf_ctrl_state s)
{
	switch (s) {
	case NVMF_CTRL_LIVE:       return "live";
	case NVMF_CTRL_RESETTING:  return "resetting";
	case NVMF_CTRL_CONNECTING: return "connecting";
	case NVMF_CTRL_DELETING:   return "deleting";
	case NVMF_CTRL_DEAD:       return "dead";
	}
	return "unknown";
}

int nvmf_ctrl_get_state(struct nvmf_ctrl *c, struct nvmf_ctrl_state_info *st)
{
	host_err_clear();
	if (!c || !st)
		return host_err(EINVAL, "nvmf_ctrl_get_state: NULL argument");
	memset(st, 0, sizeof(*st));
	st->state = atomic_load(&c->stopping) ? NVMF_CTRL_DELETING
		    : atomic_load(&c->failed) ? NVMF_CTRL_DEAD : NVMF_CTRL_LIVE;
	return 0;
}

int nvmf_reconnect(struct nvmf_ctrl *c)
{
	host_err_clear();
	if (!c)
		return host_err(EINVAL, "nvmf_reconnect: NULL controller");
	return host_err(ENOTSUP, "nvmf_reconnect: reconnecting arrives with the next commit");
}
