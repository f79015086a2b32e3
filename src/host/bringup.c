/*
 * The connect sequence, as one asynchronous machine on the loop thread
 * (NVMe Base 2.0, 3.5.2 "Controller initialization"; NVMe over Fabrics
 * 1.1, 3.3 "Connect"). The same steps bring a controller up in
 * nvmf_connect() and bring it back after an outage (state.c):
 *
 *   ADMIN_OPEN     transport connect of the admin queue (ICReq/ICResp)
 *   ADMIN_CONNECT  Fabrics Connect with KATO, dynamic or given CNTLID
 *   CAP, VS        Property Get
 *   CC, CC_EN      Property Set: CC set up, then CC.EN = 1
 *   CSTS           Property Get until CSTS.RDY (CFS fails it), CAP.TO bound;
 *                  Keep Alive starts here (KATO runs from Connect)
 *   ID_CTRL        Identify Controller (after an outage: the same SUBNQN)
 *   ACRE           Set Features Host Behavior Support, ACRE, if CRDTn are set
 *   NUM_QUEUES     Set Features Number of Queues
 *   IO_OPEN/IO_CONNECT  per I/O queue, Connect naming the admin's CNTLID
 *   SCAN           namespace scan (after an outage: the same namespaces)
 *   AEC            Set Features Asynchronous Event Configuration
 *
 * Every step is bounded: commands by connect_timeout, the transport
 * connect by connect_timeout, the CSTS.RDY wait by CAP.TO and
 * connect_timeout, whichever is shorter. The commands
 * name their queue (host_req.q), so they pass while the controller is not
 * LIVE, when other commands are held or refused (dispatch.c, outage.c).
 *
 * Each queue's Fabrics Connect, its command and what its response asks
 * for (CNTLID, authentication), is in bringup_connect.c; this file runs
 * the steps and their state (struct host_bringup, ctrl.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

#define ADMIN_QSIZE NVMF_ADMIN_QUEUE_MIN_ENTRIES

static void bu_step(struct host_bringup *b);

static bool q_ready(const struct host_queue *q)
{
	return q->ready && q->qp && !q->failed && !q->closing;
}

/* Every queue the bring-up connected is still up. */
static bool queues_ready(const struct nvmf_ctrl *c)
{
	if (!q_ready(&c->admin))
		return false;
	for (int i = 0; i < c->nr_io; i++)
		if (!q_ready(&c->io[i]))
			return false;
	return true;
}

void host_bu_finish(struct host_bringup *b, int r, const char *msg)
{
	struct nvmf_ctrl *c = b->c;

	if (b->aborted && r == 0) {
		r = -ECANCELED;
		msg = "the controller is disconnecting";
	}
	if (r == 0 && !queues_ready(c)) {
		/* A connection failed after its last command: not LIVE. */
		r = -ECONNRESET;
		msg = c->last_msg[0] ? c->last_msg : "a queue's connection was lost during the bring-up";
	}
	c->bu = NULL;
	if (r == 0)
		host_dbg("bring-up done");
	else
		host_dbg("bring-up failed: %s", msg ? msg : strerror(-r));
	b->done(c, r, msg ? msg : strerror(-r));
	free(b);
}

void host_bu_failf(struct host_bringup *b, int r, const char *fmt, ...)
{
	char msg[HOST_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	host_bu_finish(b, r < 0 ? r : -r, msg);
}

/* Move on: the next step, or the end if the bring-up was aborted meanwhile. */
void host_bu_next(struct host_bringup *b, enum bu_step next)
{
	if (b->aborted) {
		host_bu_finish(b, -ECANCELED, "the controller is disconnecting");
		return;
	}
	b->step = next;
	bu_step(b);
}

/* ---- Commands ---------------------------------------------------------------------- */

static void bu_cmd_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl);

/* A command of the sequence on queue q; its completion runs bu_cmd_done. */
void host_bu_submit(struct host_bringup *b, struct host_queue *q, struct host_req *req)
{
	int64_t r;

	req->q = q;
	req->internal = true;
	req->xc.timeout_ms = (uint32_t)b->c->opts.connect_timeout * 1000u;
	req->cb.cb = bu_cmd_done;
	req->cb.user = b;
	r = host_submit(req);	/* on the loop thread: dispatched now */
	if (r < 0)
		host_bu_failf(b, (int)r, "%s", nvmf_get_error());
}

struct host_req *host_bu_req(struct host_bringup *b, bool admin, const char *what)
{
	struct host_req *req = host_req_new(b->c, admin, what);

	if (!req)
		host_bu_failf(b, -ENOMEM, "%s: out of memory", what);
	return req;
}

/* Fabrics 1.1, 3.4 (Property Get) and 3.5 (Property Set). */
static void bu_prop(struct host_bringup *b, bool set, uint32_t ofst, bool eight, uint32_t val)
{
	struct host_req *req = host_bu_req(b, true, set ? "Property Set" : "Property Get");

	if (!req)
		return;
	if (set) {
		struct nvmf_prop_set_cmd cmd = {
			.opcode = NVMF_ADM_FABRICS,
			.fctype = NVMF_FCTYPE_PROPERTY_SET,
			.attrib = NVMF_PROP_ATTRIB_SIZE_4,
			.ofst = nvmf_htole32(ofst),
			.value = nvmf_htole64(val),
		};
		memcpy(&req->xc.sqe, &cmd, sizeof(req->xc.sqe));
	} else {
		struct nvmf_prop_get_cmd cmd = {
			.opcode = NVMF_ADM_FABRICS,
			.fctype = NVMF_FCTYPE_PROPERTY_GET,
			.attrib = eight ? NVMF_PROP_ATTRIB_SIZE_8 : NVMF_PROP_ATTRIB_SIZE_4,
			.ofst = nvmf_htole32(ofst),
		};
		memcpy(&req->xc.sqe, &cmd, sizeof(req->xc.sqe));
	}
	host_bu_submit(b, &b->c->admin, req);
}

/* Set Features (Base 2.0, 5.27) without data. */
static void bu_set_feature(struct host_bringup *b, uint8_t fid, uint32_t cdw11, const char *what)
{
	struct host_req *req = host_bu_req(b, true, what);

	if (!req)
		return;
	host_sqe_init(&req->xc.sqe, NVMF_ADM_SET_FEATURES, 0);
	req->xc.sqe.cdw10 = nvmf_htole32(fid);
	req->xc.sqe.cdw11 = nvmf_htole32(cdw11);
	host_bu_submit(b, &b->c->admin, req);
}

/*
 * Whether the SUBNQN Identify Controller reports is the subsystem that was
 * connected to. A controller describes its own subsystem (SUBNQN, Base 2.0,
 * Figure 275), so any other NQN means the Connect reached someone else, as
 * Linux says ("controller returned incorrect NQN", nvmf_create_ctrl());
 * nvmet and nvmf-target answer with the NQN the host connected with. One
 * exception: a discovery controller with a unique discovery NQN also
 * answers the well-known one (TP 8013) and may report its own NQN then;
 * one older than NVMe 1.4 reports CNTRLTYPE 0 (not reported), and the
 * well-known NQN connected to says what it is.
 */
static bool subnqn_matches(const struct nvmf_ctrl *c, const struct nvmf_ctrl_info *info)
{
	if (strcmp(info->subnqn, c->opts.subnqn) == 0)
		return true;
	return c->info.discovery && (info->cntrltype == 2 || info->cntrltype == 0) &&
	       strcmp(c->opts.subnqn, NVMF_DISCOVERY_NQN) == 0;
}

/* Identify Controller: the facts, the subsystem that was asked for, and after
 * an outage, the same subsystem. */
static void id_ctrl_done(struct host_bringup *b)
{
	struct nvmf_ctrl *c = b->c;
	struct nvmf_id_ctrl *ic = (struct nvmf_id_ctrl *)b->id;
	struct nvmf_ctrl_info info = c->info;

	if (host_parse_id_ctrl(b->id, &info) < 0) {
		host_bu_failf(b, -EPROTO, "%s", nvmf_get_error());
		return;
	}
	if (b->reconnect && strcmp(info.subnqn, c->info.subnqn) != 0) {
		/* nvmf.h, OUTAGES: another subsystem answers at this address. */
		c->permanent = true;
		host_bu_failf(b, -ESTALE, "the controller is not the same subsystem: SUBNQN was "
			      "'%.220s', is now '%.220s'", c->info.subnqn, info.subnqn);
		return;
	}
	if (!subnqn_matches(c, &info)) {
		/* It will not answer otherwise on the next attempt. */
		c->permanent = true;
		host_bu_failf(b, -EPROTO, "the controller is not the subsystem connected to: "
			      "Connect named '%.220s', Identify Controller's SUBNQN is '%.220s'",
			      c->opts.subnqn, info.subnqn);
		return;
	}
	if (info.cntlid != c->info.cntlid) {
		/* Identify Controller describes the controller the admin
		 * Connect was answered by (Fabrics 1.1, 3.3; Linux refuses a
		 * mismatch too): another one's facts would be wrong for this
		 * association, and so would the I/O queues' Connect. */
		host_bu_failf(b, -EPROTO, "Identify Controller says CNTLID %04Xh, the admin "
			      "queue's Connect response %04Xh", info.cntlid, c->info.cntlid);
		return;
	}
	pthread_mutex_lock(&c->st_mu);
	c->info = info;
	c->mdts = ic->mdts;
	c->oaes = nvmf_le32toh(ic->oaes);
	c->ctratt = nvmf_le32toh(ic->ctratt);
	c->rtd3e = nvmf_le32toh(ic->rtd3e);
	c->crdt[0] = nvmf_le16toh(ic->crdt1);
	c->crdt[1] = nvmf_le16toh(ic->crdt2);
	c->crdt[2] = nvmf_le16toh(ic->crdt3);
	c->acre = false;
	c->info.max_xfer = host_mdts_bytes(c->mdts, c->cap);
	pthread_mutex_unlock(&c->st_mu);
	/* Read by submitters on any thread (cmds.c). */
	atomic_store(&c->max_xfer, c->info.max_xfer);
	if (c->info.discovery) {
		host_bu_next(b, BU_DONE);
		return;
	}
	host_bu_next(b, c->crdt[0] | c->crdt[1] | c->crdt[2] ? BU_ACRE : BU_NUM_QUEUES);
}

static void csts_done(struct host_bringup *b, uint32_t csts);

static void bu_cmd_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct host_bringup *b = user;
	struct nvmf_ctrl *c = b->c;
	const char *text = nvmf_completion_errmsg(cpl);
	uint32_t n;

	(void)cookie;
	if (b->aborted) {
		host_bu_finish(b, -ECANCELED, "the controller is disconnecting");
		return;
	}
	if (cpl->result < 0) {
		if (b->step == BU_ADMIN_CONNECT || b->step == BU_IO_CONNECT) {
			host_bu_connect_failed(b, cpl, text);
			return;
		}
		if (cpl->result == -EIO)
			c->last_status = cpl->status;
		if (b->step == BU_ACRE && cpl->result == -EIO) {
			/* Refused: retries go without the delays (dispatch.c). */
			c->last_status = 0;
			host_log(NVMF_LOG_WARN, "cannot enable the command retry delays: %s", text);
			host_bu_next(b, BU_NUM_QUEUES);
			return;
		}
		if (b->step == BU_AEC && cpl->result == -EIO) {
			/* Refused by the controller: not fatal, without
			 * notices the host still serves. (Its connection
			 * failing is: the attempt fails below.) */
			host_log(NVMF_LOG_WARN, "cannot enable namespace notices: %s", text);
			host_bu_next(b, BU_DONE);
			return;
		}
		host_bu_failf(b, cpl->result, "%s", text[0] ? text : strerror(-cpl->result));
		return;
	}
	switch (b->step) {
	case BU_ADMIN_CONNECT:
		host_bu_connect_done(b, &c->admin, cpl);
		return;
	case BU_IO_CONNECT:
		host_bu_connect_done(b, &c->io[b->qi], cpl);
		return;
	case BU_CAP:
		c->cap = (uint64_t)cpl->dw1 << 32 | cpl->dw0;
		pthread_mutex_lock(&c->st_mu);
		c->info.cap = c->cap;
		pthread_mutex_unlock(&c->st_mu);
		host_bu_next(b, BU_VS);
		return;
	case BU_VS:
		c->vs = cpl->dw0;
		pthread_mutex_lock(&c->st_mu);
		c->info.vs = c->vs;
		pthread_mutex_unlock(&c->st_mu);
		host_bu_next(b, BU_CC);
		return;
	case BU_CC:
		host_bu_next(b, BU_CC_EN);
		return;
	case BU_CC_EN:
		/* CAP.TO, in 500 ms units (Base 2.0, Figure 36), bounds the wait
		 * for CSTS.RDY, up to 127.5 s; connect_timeout bounds every step
		 * of connecting (nvmf.h), this one too. */
		b->to_ms = nvmf_cap_to(c->cap) * 500u;
		if (b->to_ms < 500)
			b->to_ms = 500;
		b->cap_to_ms = 0;
		if (b->to_ms > (unsigned)c->opts.connect_timeout * 1000u) {
			b->cap_to_ms = b->to_ms;
			b->to_ms = (unsigned)c->opts.connect_timeout * 1000u;
		}
		b->deadline = uv_now(c->loop) + b->to_ms;
		b->wait_ms = 1;
		host_bu_next(b, BU_CSTS);
		return;
	case BU_CSTS:
		csts_done(b, cpl->dw0);
		return;
	case BU_ID_CTRL:
		id_ctrl_done(b);
		return;
	case BU_ACRE:
		c->acre = true;
		host_bu_next(b, BU_NUM_QUEUES);
		return;
	case BU_NUM_QUEUES:
		n = nvmf_num_queues_nsqa(cpl->dw0);
		if (nvmf_num_queues_ncqa(cpl->dw0) < n)
			n = nvmf_num_queues_ncqa(cpl->dw0);
		b->nq = (int)n < c->opts.nr_io_queues ? (int)n : c->opts.nr_io_queues;
		if ((int)n < c->opts.nr_io_queues)
			host_log(NVMF_LOG_INFO, "controller grants %u I/O queues of %d asked", n,
				 c->opts.nr_io_queues);
		host_bu_next(b, BU_IO_OPEN);
		return;
	case BU_AEC:
		c->aer_enabled = true;
		host_bu_next(b, BU_DONE);
		return;
	default:
		host_bu_failf(b, -EPROTO, "bring-up: unexpected completion in step %d", b->step);
		return;
	}
}

/* ---- Steps --------------------------------------------------------------------------- */

static void csts_timer_cb(uv_timer_t *t)
{
	struct host_bringup *b = t->data;

	b->waiting = false;
	host_bu_next(b, BU_CSTS);
}

/* CSTS after CC.EN = 1 (Base 2.0, 3.5.2): ready, fatal, or poll again. */
static void csts_done(struct host_bringup *b, uint32_t csts)
{
	struct nvmf_ctrl *c = b->c;

	if (csts & NVMF_CSTS_CFS) {
		host_bu_failf(b, -EIO, "controller fatal status (CSTS.CFS) set while enabling "
			      "(CSTS %08xh)", csts);
		return;
	}
	if (csts & NVMF_CSTS_RDY) {
		/*
		 * Keep-alive from here on: the controller's KATO timer runs from
		 * the admin Connect's completion (Base 2.0, 3.9.4), and Keep
		 * Alive, an admin command, is accepted once the controller is
		 * enabled. Identify, the I/O queue connections and the namespace
		 * scan may together take longer than KATO.
		 */
		host_ka_start(c);
		host_bu_next(b, BU_ID_CTRL);
		return;
	}
	if (uv_now(c->loop) >= b->deadline) {
		if (b->cap_to_ms)
			host_bu_failf(b, -ETIMEDOUT, "controller not ready (CSTS.RDY 0) %u ms "
				      "after CC.EN = 1 (connect_timeout; its CAP.TO allows "
				      "%u ms)", b->to_ms, b->cap_to_ms);
		else
			host_bu_failf(b, -ETIMEDOUT, "controller not ready (CSTS.RDY 0) %u ms "
				      "after CC.EN = 1 (CAP.TO)", b->to_ms);
		return;
	}
	if (!c->bu_timer_init) {
		uv_timer_init(c->loop, &c->bu_timer);	/* cannot fail on a live loop */
		c->bu_timer_init = true;
	}
	c->bu_timer.data = b;
	b->waiting = true;
	uv_timer_start(&c->bu_timer, csts_timer_cb, b->wait_ms, 0);
	if (b->wait_ms < 100)
		b->wait_ms *= 2;
}

static void queue_opened(struct host_queue *q, int r, const char *msg)
{
	struct host_bringup *b = q->connect_arg;

	if (r < 0) {
		if (b->aborted)
			host_bu_finish(b, -ECANCELED, "the controller is disconnecting");
		else
			host_bu_failf(b, r, "%s", msg);
		return;
	}
	host_bu_next(b, q->qid == 0 ? BU_ADMIN_CONNECT : BU_IO_CONNECT);
}

static void scan_done(struct nvmf_ctrl *c, int r, void *arg)
{
	struct host_bringup *b = arg;

	if (r < 0) {
		host_bu_failf(b, r, "namespace scan failed: %s", c->scan_msg[0] ? c->scan_msg
									 : strerror(-r));
		return;
	}
	if (c->oaes & NVMF_OAES_NS_ATTR)
		host_bu_next(b, BU_AEC);
	else
		host_bu_next(b, BU_DONE);
}

/* The I/O queue slots for nq queues of qsize entries; after an outage the
 * old slots (all closed by now) are replaced, their count may differ. */
static int io_slots(struct host_bringup *b)
{
	struct nvmf_ctrl *c = b->c;
	int qsize = c->opts.queue_size;
	struct host_queue *io;

	if (qsize > (int)nvmf_cap_mqes(c->cap) + 1)
		qsize = (int)nvmf_cap_mqes(c->cap) + 1;
	if (qsize > XP_QSIZE_MAX)
		qsize = XP_QSIZE_MAX;
	if (qsize < XP_QSIZE_MIN && b->nq > 0) {
		/* CAP.MQES 0 is reserved (Base 2.0, Figure 36: at least 1). */
		if (nvmf_cap_mqes(c->cap) + 1 < XP_QSIZE_MIN)
			host_bu_failf(b, -EPROTO, "CAP.MQES %u: the controller allows queues of %u "
				      "entries, below the minimum of %d", nvmf_cap_mqes(c->cap),
				      nvmf_cap_mqes(c->cap) + 1, XP_QSIZE_MIN);
		else
			host_bu_failf(b, -EINVAL, "queue size %d is too small (minimum %d)", qsize,
				      XP_QSIZE_MIN);
		return -EINVAL;
	}
	io = calloc((size_t)(b->nq ? b->nq : 1), sizeof(*io));
	if (!io) {
		host_bu_failf(b, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < b->nq; i++) {
		io[i].c = c;
		io[i].qid = (uint16_t)(i + 1);
		io[i].qsize = (uint16_t)qsize;
	}
	free(c->io);
	c->io = io;
	c->nr_io = 0;
	c->rr = 0;
	pthread_mutex_lock(&c->st_mu);
	c->info.nr_io_queues = b->nq;
	c->info.queue_size = qsize;
	pthread_mutex_unlock(&c->st_mu);
	return 0;
}

static void bu_step(struct host_bringup *b)
{
	struct nvmf_ctrl *c = b->c;
	struct host_req *req;
	unsigned css, mps;

	switch (b->step) {
	case BU_ADMIN_OPEN:
		c->admin.c = c;
		c->admin.qid = 0;
		c->admin.qsize = ADMIN_QSIZE;
		if (host_queue_open(&c->admin, queue_opened, b) < 0)
			host_bu_failf(b, nvmf_get_errno() ? -nvmf_get_errno() : -EIO, "%s",
				      nvmf_get_error());
		return;
	case BU_ADMIN_CONNECT:
		host_bu_connect(b, &c->admin);
		return;
	case BU_CAP:
		bu_prop(b, false, NVMF_PROP_CAP, true, 0);
		return;
	case BU_VS:
		bu_prop(b, false, NVMF_PROP_VS, false, 0);
		return;
	case BU_CC:
		/* CSS: every I/O command set if the controller has them, else NVM;
		 * admin-only controllers need neither (CAP.CSS bit 7, Figure 36). */
		mps = nvmf_cap_mpsmin(c->cap);
		if (nvmf_cap_css(c->cap) & NVMF_CAP_CSS_IOCS)
			css = NVMF_CC_CSS_ALL_IOCS;
		else if ((nvmf_cap_css(c->cap) & (NVMF_CAP_CSS_NO_IO | NVMF_CAP_CSS_NVM)) ==
			 NVMF_CAP_CSS_NO_IO)
			css = NVMF_CC_CSS_ADMIN_ONLY;
		else
			css = NVMF_CC_CSS_NVM;
		b->cc = (css << NVMF_CC_CSS_SHIFT) | (mps << NVMF_CC_MPS_SHIFT) |
			(6u << NVMF_CC_IOSQES_SHIFT) | (4u << NVMF_CC_IOCQES_SHIFT);
		bu_prop(b, true, NVMF_PROP_CC, false, b->cc);
		return;
	case BU_CC_EN:
		bu_prop(b, true, NVMF_PROP_CC, false, b->cc | NVMF_CC_EN);
		return;
	case BU_CSTS:
		bu_prop(b, false, NVMF_PROP_CSTS, false, 0);
		return;
	case BU_ID_CTRL:
		req = host_bu_req(b, true, "Identify");
		if (!req)
			return;
		host_sqe_init(&req->xc.sqe, NVMF_ADM_IDENTIFY, 0);
		req->xc.sqe.cdw10 = nvmf_htole32(nvmf_identify_cdw10(NVMF_CNS_CTRL, 0));
		req->xc.buf = b->id;
		req->xc.len = HOST_IDENTIFY_LEN;
		req->xc.dir = XP_DIR_C2H;
		host_bu_submit(b, &c->admin, req);
		return;
	case BU_ACRE:
		/* The controller advertises Command Retry Delay times: ask it
		 * to use them (Base 2.0, Set Features, Host Behavior Support; the
		 * other fields stay 0, as Linux leaves them). The Identify
		 * buffer is free again. */
		req = host_bu_req(b, true, "Set Features (Host Behavior Support)");
		if (!req)
			return;
		memset(b->id, 0, NVMF_HOST_BEHAVIOR_LEN);
		((struct nvmf_feat_host_behavior *)b->id)->acre = NVMF_HOST_BEHAVIOR_ACRE;
		host_sqe_init(&req->xc.sqe, NVMF_ADM_SET_FEATURES, 0);
		req->xc.sqe.cdw10 = nvmf_htole32(NVMF_FID_HOST_BEHAVIOR);
		req->xc.buf = b->id;
		req->xc.len = NVMF_HOST_BEHAVIOR_LEN;
		req->xc.dir = XP_DIR_H2C;
		host_bu_submit(b, &c->admin, req);
		return;
	case BU_NUM_QUEUES:
		/* I/O queues: count, size, then one connection each (Fabrics 1.1, 3.3). */
		/* In-capsule data beyond the SQE (IOCCSZ, 16-byte units, >= 4
		 * for an I/O controller, parse.c; 0 for an administrative one). */
		c->icd_max = c->info.ioccsz >= 4 ? c->info.ioccsz * 16u - 64u : 0;
		if (c->info.cntrltype == NVMF_CNTRLTYPE_ADMIN && c->opts.nr_io_queues > 0 &&
		    !b->reconnect)
			host_log(NVMF_LOG_INFO, "%s is an administrative controller (CNTRLTYPE "
				 "3): no I/O queues, admin commands only", c->info.subnqn);
		if (c->opts.nr_io_queues == 0 || c->info.cntrltype == NVMF_CNTRLTYPE_ADMIN) {
			/* Base 2.0, 3.1.3.2: an administrative controller has none. */
			b->nq = 0;
			host_bu_next(b, BU_IO_OPEN);
			return;
		}
		bu_set_feature(b, NVMF_FID_NUM_QUEUES,
			       nvmf_num_queues_cdw11((uint16_t)c->opts.nr_io_queues,
						     (uint16_t)c->opts.nr_io_queues),
			       "Set Features (Number of Queues)");
		return;
	case BU_IO_OPEN:
		if (b->qi == 0 && c->nr_io == 0 && io_slots(b) < 0)
			return;
		if (b->qi >= b->nq) {
			host_bu_next(b, BU_SCAN);
			return;
		}
		c->nr_io = b->qi + 1;
		if (host_queue_open(&c->io[b->qi], queue_opened, b) < 0)
			host_bu_failf(b, nvmf_get_errno() ? -nvmf_get_errno() : -EIO, "%s",
				      nvmf_get_error());
		return;
	case BU_IO_CONNECT:
		host_bu_connect(b, &c->io[b->qi]);
		return;
	case BU_SCAN:
		/* An administrative controller does no I/O: there is nothing to
		 * scan for (nor does Linux, which scans only with I/O queues),
		 * and it may refuse the list. nvmf_rescan() still may. */
		if (c->info.cntrltype == NVMF_CNTRLTYPE_ADMIN) {
			host_bu_next(b, BU_DONE);
			return;
		}
		/* After an outage the scan also checks that each namespace is
		 * the same one (ns.c). */
		host_rescan_start(c, b->reconnect, scan_done, b);
		return;
	case BU_AEC:
		/* Off by default (Base 2.0, 5.27.1.7): ask for namespace notices. */
		bu_set_feature(b, NVMF_FID_ASYNC_EVENT, NVMF_AEC_NS_ATTR,
			       "Set Features (Asynchronous Event Configuration)");
		return;
	case BU_DONE:
		host_bu_finish(b, 0, NULL);
		return;
	}
}

int host_bringup_start(struct nvmf_ctrl *c, bool reconnect,
		       void (*done)(struct nvmf_ctrl *c, int r, const char *msg))
{
	struct host_bringup *b = calloc(1, sizeof(*b));

	if (!b)
		return host_err(ENOMEM, "out of memory");
	b->c = c;
	b->reconnect = reconnect;
	b->done = done;
	b->step = BU_ADMIN_OPEN;
	c->bu = b;
	c->permanent = false;
	c->last_status = 0;
	c->aer_enabled = false;
	c->nr_io = 0;
	bu_step(b);
	return 0;
}

void host_bringup_abort(struct nvmf_ctrl *c)
{
	struct host_bringup *b = c->bu;

	if (!b)
		return;
	b->aborted = true;
	if (b->waiting) {
		/* Nothing outstanding but the poll timer: end now. */
		uv_timer_stop(&c->bu_timer);
		b->waiting = false;
		host_bu_finish(b, -ECANCELED, "the controller is disconnecting");
	}
	/* Otherwise its command or transport connect fails as the queues
	 * close, and the completion ends it. */
}
