/*
 * Work the host does on its own on the loop thread: the namespace scan,
 * Asynchronous Event Requests and Keep Alive.
 *
 * Namespace scan: Identify active namespace list (CNS 02h) then Identify
 * Namespace (CNS 00h) for each (Base 2.0, 5.17.2). A namespace whose data
 * is impossible or whose format the host cannot serve stays in the list,
 * marked unsupported with the reason.
 *
 * Asynchronous events (Base 2.0, 5.2): one AER is kept outstanding. A
 * namespace attribute notice makes the host read the Changed Namespace List
 * log with RAE cleared (otherwise the controller keeps that event type
 * masked and no later notice arrives), rescan, and report the change.
 *
 * Keep Alive (Base 2.0, 3.9): a command every KATO/2 so the controller's
 * timer never expires; with traffic-based keep alive (CTRATT.TBKAS) an
 * interval with completed commands needs none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

struct host_scan {
	struct nvmf_ctrl *c;
	void (*done)(struct nvmf_ctrl *, int, void *);
	void *arg;
	uint8_t buf[HOST_IDENTIFY_LEN];
	uint32_t nsids[NVMF_NS_LIST_MAX];
	int n, i;
	struct host_ns_table *tab;
};

static void scan_next(struct host_scan *s);

static void scan_finish(struct host_scan *s, int r)
{
	struct nvmf_ctrl *c = s->c;

	if (r == 0) {
		struct host_ns_table *old;

		s->tab->n = s->n;
		old = atomic_exchange(&c->nstab, s->tab);
		if (old) {
			old->retired_next = c->retired;
			c->retired = old;
		}
		s->tab = NULL;
	}
	if (s->done)
		s->done(c, r, s->arg);
	free(s->tab);
	free(s);
}

static int scan_submit(struct host_scan *s, uint8_t cns, uint32_t nsid, nvmf_completion_cb cb)
{
	struct host_req *req = host_req_new(s->c, true, "Identify");
	int64_t r;

	if (!req)
		return -ENOMEM;
	host_sqe_init(&req->sqe, NVMF_ADM_IDENTIFY, nsid);
	req->sqe.cdw10 = nvmf_htole32(nvmf_identify_cdw10(cns, 0));
	req->buf = s->buf;
	req->len = HOST_IDENTIFY_LEN;
	req->dir = XP_DIR_C2H;
	req->cb.cb = cb;
	req->cb.user = s;
	r = host_submit(req);
	return r < 0 ? (int)r : 0;
}

/*
 * Namespace Identification Descriptors (Base 2.0, 5.17.2.3, Figure 280):
 * NIDT, NIDL, 2 reserved bytes, NIDL bytes of NID; NIDT 04h is the Command
 * Set Identifier. A namespace of another command set (zoned, key value)
 * must not be used as a plain NVM namespace. Older controllers may not
 * support the list: then the namespace is taken as NVM.
 */
static void scan_desc_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct host_scan *s = user;
	struct nvmf_ns_info *ns = &s->tab->ns[s->i];

	(void)cookie;
	if (cpl->result < 0 && cpl->result != -EIO) {
		scan_finish(s, cpl->result);
		return;
	}
	for (size_t off = 0; cpl->result == 0 && off + 4 <= HOST_IDENTIFY_LEN;) {
		uint8_t nidt = s->buf[off], nidl = s->buf[off + 1];

		if (nidt == 0 || off + 4 + nidl > HOST_IDENTIFY_LEN)
			break;
		if (nidt == NVMF_NIDT_CSI && nidl == 1 && s->buf[off + 4] != 0) {
			ns->supported = false;
			snprintf(ns->reason, sizeof(ns->reason),
				 "command set %u is not the NVM command set", s->buf[off + 4]);
			host_dbg("namespace %u unsupported: %s", ns->nsid, ns->reason);
		}
		off += 4u + nidl;
	}
	s->i++;
	scan_next(s);
}

static void scan_ns_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct host_scan *s = user;
	struct nvmf_ns_info *ns = &s->tab->ns[s->i];
	uint32_t nsid = s->nsids[s->i];
	char st[128];

	(void)cookie;
	if (cpl->result < 0 && cpl->result != -EIO) {
		scan_finish(s, cpl->result);
		return;
	}
	if (cpl->result == -EIO) {
		memset(ns, 0, sizeof(*ns));
		ns->nsid = nsid;
		snprintf(ns->reason, sizeof(ns->reason), "Identify Namespace failed: %s",
			 nvmf_status_format(cpl->status, st, sizeof(st)));
	} else if (host_parse_id_ns(s->buf, nsid, &s->c->info, ns) < 0) {
		ns->supported = false;
		host_log(NVMF_LOG_WARN, "%s", nvmf_get_error());
	}
	if (ns->supported) {
		/* Which command set? (Namespace Identification Descriptor list). */
		int r = scan_submit(s, NVMF_CNS_NS_DESC_LIST, nsid, scan_desc_done);

		if (r < 0)
			scan_finish(s, r);
		return;
	}
	host_dbg("namespace %u unsupported: %s", nsid, ns->reason);
	s->i++;
	scan_next(s);
}

static void scan_next(struct host_scan *s)
{
	int r;

	if (s->i >= s->n) {
		scan_finish(s, 0);
		return;
	}
	r = scan_submit(s, NVMF_CNS_NS, s->nsids[s->i], scan_ns_done);
	if (r < 0)
		scan_finish(s, r);
}

static void scan_list_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct host_scan *s = user;
	int n;

	(void)cookie;
	if (cpl->result < 0) {
		char st[128];

		if (cpl->result == -EIO)
			host_log(NVMF_LOG_ERROR, "Identify active namespace list failed: %s",
				 nvmf_status_format(cpl->status, st, sizeof(st)));
		scan_finish(s, cpl->result);
		return;
	}
	n = host_parse_ns_list(s->buf, s->nsids, NVMF_NS_LIST_MAX);
	if (n < 0) {
		scan_finish(s, n);
		return;
	}
	s->n = n;
	s->tab = calloc(1, sizeof(*s->tab) + (size_t)n * sizeof(s->tab->ns[0]));
	if (!s->tab) {
		scan_finish(s, -ENOMEM);
		return;
	}
	scan_next(s);
}

void host_rescan_start(struct nvmf_ctrl *c, void (*done)(struct nvmf_ctrl *, int, void *),
		       void *arg)
{
	struct host_scan *s = calloc(1, sizeof(*s));
	int r;

	if (!s) {
		if (done)
			done(c, -ENOMEM, arg);
		return;
	}
	s->c = c;
	s->done = done;
	s->arg = arg;
	r = scan_submit(s, NVMF_CNS_ACTIVE_NS_LIST, 0, scan_list_done);
	if (r < 0)
		scan_finish(s, r);
}

/* ---- nvmf_rescan and the namespace accessors -------------------------------------- */

static void rescan_call_done(struct nvmf_ctrl *c, int r, void *arg)
{
	struct host_call *call = arg;

	(void)c;
	if (r < 0)
		host_call_fail(call, r, "namespace scan failed: %s", strerror(-r));
	else
		host_call_done(call, 0);
}

static void rescan_fn(struct host_call *call)
{
	host_rescan_start(call->c, rescan_call_done, call);
}

int nvmf_rescan(struct nvmf_ctrl *c)
{
	struct host_call call;

	host_err_clear();
	if (!c)
		return host_err(EINVAL, "nvmf_rescan: NULL controller");
	if (c->info.discovery)
		return 0;
	return host_call(c, rescan_fn, NULL, &call);
}

const struct nvmf_ns_info *host_ns_lookup(struct nvmf_ctrl *c, uint32_t nsid)
{
	struct host_ns_table *t = atomic_load_explicit(&c->nstab, memory_order_acquire);
	int lo = 0, hi;

	if (!t)
		return NULL;
	hi = t->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (t->ns[mid].nsid == nsid)
			return &t->ns[mid];
		if (t->ns[mid].nsid < nsid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

int nvmf_get_namespaces(struct nvmf_ctrl *c, struct nvmf_ns_info **list)
{
	struct host_ns_table *t;
	int n;

	host_err_clear();
	if (!c || !list)
		return host_err(EINVAL, "nvmf_get_namespaces: NULL argument");
	t = atomic_load_explicit(&c->nstab, memory_order_acquire);
	n = t ? t->n : 0;
	*list = malloc(sizeof(**list) * (size_t)(n ? n : 1));
	if (!*list)
		return host_err(ENOMEM, "out of memory");
	if (n)
		memcpy(*list, t->ns, sizeof(**list) * (size_t)n);
	return n;
}

int nvmf_get_ns_info(struct nvmf_ctrl *c, uint32_t nsid, struct nvmf_ns_info *info)
{
	const struct nvmf_ns_info *ns;

	host_err_clear();
	if (!c || !info)
		return host_err(EINVAL, "nvmf_get_ns_info: NULL argument");
	ns = host_ns_lookup(c, nsid);
	if (!ns)
		return host_err(ENOENT, "namespace %u is not active on the controller", nsid);
	*info = *ns;
	return 0;
}

/* ---- Asynchronous events ------------------------------------------------------------- */

/*
 * One namespace notice being handled. The Changed Namespace List is read into
 * the notice's own buffer: the AER is re-armed before the log is read, so a
 * second notice (a hostile or merely busy controller) can have its read in
 * flight at the same time, and two transfers must never share a buffer.
 */
struct aen_ctx {
	struct nvmf_ctrl *c;
	uint32_t dw0;
	uint32_t n;
	uint32_t nsids[NVMF_NS_LIST_MAX];
	uint8_t  log[NVMF_NS_LIST_MAX * 4];	/* Changed Namespace List, Figure 202 */
};

static void aer_submit(struct nvmf_ctrl *c);

static void aen_rescan_done(struct nvmf_ctrl *c, int r, void *arg)
{
	struct aen_ctx *x = arg;
	struct nvmf_event ev = {
		.type = NVMF_EVENT_NS_CHANGED,
		.aen_dw0 = x->dw0,
		.nr_nsids = x->n,
		.nsids = x->nsids,
		.error = r,
	};

	if (!c->stopping)
		host_event(c, &ev);
	free(x);
}

static void changed_log_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct aen_ctx *x = user;
	struct nvmf_ctrl *c = x->c;

	(void)cookie;
	if (cpl->result < 0) {
		/* While disconnecting, whatever ends it is the teardown. */
		if (cpl->result != -ECANCELED && !c->stopping)
			host_log(NVMF_LOG_WARN, "%s", nvmf_completion_errmsg(cpl));
		free(x);
		return;
	}
	/* FFFFFFFFh first: more than 1024 changed, rescan everything (Figure 202). */
	x->n = 0;
	for (uint32_t i = 0; i < NVMF_NS_LIST_MAX; i++) {
		uint32_t v = nvmf_get_le32(x->log + 4 * i);

		if (v == 0 || v == NVMF_NSID_ALL)
			break;
		x->nsids[x->n++] = v;
	}
	host_rescan_start(c, aen_rescan_done, x);
}

static void read_changed_log(struct nvmf_ctrl *c, uint32_t dw0)
{
	struct aen_ctx *x = calloc(1, sizeof(*x));
	struct host_req *req;

	if (!x)
		return;
	x->c = c;
	x->dw0 = dw0;
	req = host_req_new(c, true, "Get Log Page (Changed Namespace List)");
	if (!req) {
		free(x);
		return;
	}
	host_sqe_init(&req->sqe, NVMF_ADM_GET_LOG_PAGE, NVMF_NSID_ALL);
	/* RAE = 0: reading the log re-arms namespace notices. */
	req->sqe.cdw10 = nvmf_htole32(nvmf_get_log_cdw10(NVMF_LID_CHANGED_NS, 0, 0,
						      sizeof(x->log) / 4 - 1));
	req->buf = x->log;
	req->len = sizeof(x->log);
	req->dir = XP_DIR_C2H;
	req->cb.cb = changed_log_done;
	req->cb.user = x;
	if (host_submit(req) < 0)
		free(x);
}

static void aer_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct nvmf_ctrl *c = user;
	struct nvmf_event ev = { .type = NVMF_EVENT_AEN };

	(void)cookie;
	c->aer_outstanding = false;
	if (cpl->result < 0) {
		/* A controller being shut down may end the AER it holds with
		 * an abort status: only outside nvmf_disconnect() is it news. */
		if (cpl->result == -EIO && !c->stopping)
			host_log(NVMF_LOG_WARN, "%s", nvmf_completion_errmsg(cpl));
		return;	/* connection lost or shutting down */
	}
	if (c->stopping)
		return;
	aer_submit(c);
	host_dbg("asynchronous event %08x (type %u info %02x log %02xh)", cpl->dw0,
		 nvmf_aer_type(cpl->dw0), nvmf_aer_info(cpl->dw0), nvmf_aer_lid(cpl->dw0));
	if (nvmf_aer_type(cpl->dw0) == NVMF_AER_TYPE_NOTICE &&
	    nvmf_aer_info(cpl->dw0) == NVMF_AER_NOTICE_NS_CHANGED) {
		read_changed_log(c, cpl->dw0);
		return;
	}
	ev.aen_dw0 = cpl->dw0;
	host_event(c, &ev);
}

static void aer_submit(struct nvmf_ctrl *c)
{
	struct host_req *req;

	if (c->aer_outstanding || c->stopping || c->failed)
		return;
	req = host_req_new(c, true, "Asynchronous Event Request");
	if (!req)
		return;
	host_sqe_init(&req->sqe, NVMF_ADM_ASYNC_EVENT, 0);
	req->timeout_ms = 0;	/* completes only when an event occurs */
	req->cb.cb = aer_done;
	req->cb.user = c;
	req->internal = true;
	if (host_submit(req) >= 0)
		c->aer_outstanding = true;
}

void host_aer_start(struct nvmf_ctrl *c)
{
	aer_submit(c);
}

/* ---- Keep Alive ------------------------------------------------------------------------ */

static void ka_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct nvmf_ctrl *c = user;

	(void)cookie;
	c->ka_outstanding = false;
	if (cpl->result == -ETIMEDOUT && !c->stopping && !c->failed && c->admin.qp &&
	    xp_qpair_state(c->admin.qp) == XP_QP_READY) {
		/* Held KATO long without a free admin entry (a timeout on the wire
		 * fails the queue pair before this runs): the controller's timer
		 * has expired by now (Base 2.0, 3.9.4), the association is over.
		 * host_queue_lost logs it. */
		host_queue_lost(&c->admin, -ETIMEDOUT, nvmf_completion_errmsg(cpl));
		return;
	}
	if (cpl->result == -EIO && !c->stopping) {
		struct nvmf_event ev = { .type = NVMF_EVENT_FATAL, .error = -EIO,
					 .msg = nvmf_completion_errmsg(cpl) };

		host_log(NVMF_LOG_ERROR, "%s", ev.msg);
		host_event(c, &ev);
	}
}

static void ka_tick(uv_timer_t *t)
{
	struct nvmf_ctrl *c = t->data;
	struct host_req *req;
	uint64_t now = uv_now(c->loop);

	/* Not c->stopping: Keep Alive goes on through the orderly shutdown
	 * (nvmf_disconnect); close_all_fn stops the timer. */
	if (c->ka_outstanding || c->failed)
		return;
	/* Traffic-based keep alive (CTRATT bit 6): completions count as traffic. */
	if ((c->ctratt & NVMF_CTRATT_TBKAS) &&
	    atomic_load(&c->last_completion_ms) + c->kato_ms / 2 > now)
		return;
	req = host_req_new(c, true, "Keep Alive");
	if (!req)
		return;
	host_sqe_init(&req->sqe, NVMF_ADM_KEEP_ALIVE, 0);
	req->timeout_ms = c->kato_ms;
	req->cb.cb = ka_done;
	req->cb.user = c;
	req->internal = true;
	req->urgent = true;
	if (host_submit(req) >= 0)
		c->ka_outstanding = true;
}

void host_ka_start(struct nvmf_ctrl *c)
{
	uint64_t period;

	if (c->kato_ms == 0 || c->ka_init)
		return;
	if (uv_timer_init(c->loop, &c->ka_timer) < 0)
		return;
	c->ka_init = true;
	c->ka_timer.data = c;
	period = c->kato_ms / 2;
	if (period == 0)
		period = 1;
	uv_timer_start(&c->ka_timer, ka_tick, period, period);
}

void host_ka_stop(struct nvmf_ctrl *c)
{
	if (c->ka_init)
		uv_timer_stop(&c->ka_timer);
}
