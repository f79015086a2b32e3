/*
 * Discovery (NVMe Base 2.0, 3.1.3.3 and 5.16.1.23): the log of a discovery
 * controller, read with the GENCTR-checked paging of parse.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/ctrl.h"

/* Largest single Get Log Page read used for the discovery log. */
#define DISC_XFER_MAX (64u * 1024u)

static int disc_read(void *arg, uint64_t offset, void *buf, uint32_t len)
{
	/* RAE set: reading must not consume a discovery log change event. */
	return nvmf_get_log_page(arg, NVMF_LID_DISCOVERY, 0, 0, true, offset, buf, len);
}

int nvmf_discovery_log_get(struct nvmf_ctrl *c, struct nvmf_disc_list **log)
{
	uint32_t xfer = DISC_XFER_MAX, mx;

	host_err_clear();
	if (!c || !log)
		return host_err(EINVAL, "nvmf_discovery_log_get: NULL argument");
	mx = atomic_load(&c->max_xfer);
	if (mx && mx < xfer)
		xfer = mx;
	return host_fetch_discovery_log(disc_read, c, xfer, log);
}

/* nvmf_discover with d, the caller's options as this library has them. */
static int discover(struct nvmf_opts *d, struct nvmf_disc_list **log)
{
	struct nvmf_ctrl *c;
	int r;

	/* One-shot: a lost connection is this call's failure, not an outage. */
	d->ctrl_loss_tmo = 0;
	if (!d->subnqn[0])
		snprintf(d->subnqn, sizeof(d->subnqn), "%s", NVMF_DISCOVERY_NQN);
	/* Any other NQN: a unique discovery NQN (TP 8013). */
	d->discovery = true;
	d->nr_io_queues = 0;
	r = nvmf_connect(d, &c);
	if (r < 0)
		return r;
	r = nvmf_discovery_log_get(c, log);
	if (r < 0) {
		char msg[512];
		int e = nvmf_get_errno();

		snprintf(msg, sizeof(msg), "%s", nvmf_get_error());
		nvmf_disconnect(c);
		return host_err_set(e, 0, msg);
	}
	nvmf_disconnect(c);
	host_err_clear();
	return 0;
}

int nvmf_discover(const struct nvmf_opts *o, struct nvmf_disc_list **log)
{
	struct nvmf_opts d;
	int r;

	host_err_clear();
	if (!o || !log)
		return host_err(EINVAL, "nvmf_discover: NULL argument");
	*log = NULL;
	r = host_opts_import(&d, o);
	if (r == 0)
		r = discover(&d, log);
	/* The copy's secrets (TLS PSK, DH-HMAC-CHAP) go with it; the
	 * controller kept its own, and wiped them on disconnect. */
	host_opts_wipe(&d);
	return r;
}
