/*
 * Controller initialization and shutdown over Fabrics (NVMe Base 2.0,
 * 3.5.2 "Memory-based/Message-based controller initialization"; NVMe over
 * Fabrics 1.1, 3.3 "Connect"):
 *
 *   admin queue transport connect, Fabrics Connect (KATO), Property Get
 *   CAP and VS, CC set-up then CC.EN = 1, CSTS.RDY within CAP.TO (CFS
 *   detected), Identify Controller, Set Features Number of Queues, one
 *   connection per I/O queue with Connect naming the admin queue's CNTLID,
 *   namespace scan, Asynchronous Event Configuration, AERs; Keep Alive
 *   from CSTS.RDY on.
 *
 * The sequence is straight-line code on the connecting thread built from
 * synchronous steps; the steps themselves run on the loop thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/ctrl.h"

#define ADMIN_QSIZE NVMF_ADMIN_QUEUE_MIN_ENTRIES

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- Fabrics commands ------------------------------------------------------- */

static int prop_get(struct nvmf_ctrl *c, uint32_t ofst, bool eight, uint64_t *val)
{
	struct host_req *req = host_req_new(c, true, "Property Get");
	/* Fabrics 1.1, 3.4 (Property Get): the SQE in the command's own layout. */
	struct nvmf_prop_get_cmd cmd = {
		.opcode = NVMF_ADM_FABRICS,
		.fctype = NVMF_FCTYPE_PROPERTY_GET,
		.attrib = eight ? NVMF_PROP_ATTRIB_SIZE_8 : NVMF_PROP_ATTRIB_SIZE_4,
		.ofst = nvmf_htole32(ofst),
	};
	struct nvmf_completion cpl;
	int r;

	if (!req)
		return host_err(ENOMEM, "out of memory");
	memcpy(&req->sqe, &cmd, sizeof(req->sqe));
	req->q = &c->admin;
	req->timeout_ms = (uint32_t)c->opts.connect_timeout * 1000u;
	r = host_sync_cmd(c, req, &cpl);
	if (r < 0)
		return r;
	*val = eight ? ((uint64_t)cpl.dw1 << 32 | cpl.dw0) : cpl.dw0;
	return 0;
}

static int prop_set(struct nvmf_ctrl *c, uint32_t ofst, uint32_t val)
{
	struct host_req *req = host_req_new(c, true, "Property Set");
	/* Fabrics 1.1, 3.5 (Property Set): a 4-byte property. */
	struct nvmf_prop_set_cmd cmd = {
		.opcode = NVMF_ADM_FABRICS,
		.fctype = NVMF_FCTYPE_PROPERTY_SET,
		.attrib = NVMF_PROP_ATTRIB_SIZE_4,
		.ofst = nvmf_htole32(ofst),
		.value = nvmf_htole64(val),
	};

	if (!req)
		return host_err(ENOMEM, "out of memory");
	memcpy(&req->sqe, &cmd, sizeof(req->sqe));
	req->q = &c->admin;
	req->timeout_ms = (uint32_t)c->opts.connect_timeout * 1000u;
	return host_sync_cmd(c, req, NULL);
}

static void open_fn(struct host_call *call)
{
	host_queue_open(call->arg, call);
}

/*
 * Copy of the thread's message about a failed Connect in which a status name
 * shared by NVM and Fabrics commands ("NVM name / Connect name", 80h-83h)
 * keeps only Connect's part.
 */
static void connect_msg(uint16_t status, char *msg, size_t len)
{
	const char *full = nvmf_status_str(status);
	const char *slash = strstr(full, " / ");
	const char *err = nvmf_get_error();
	const char *at = slash ? strstr(err, full) : NULL;

	if (at)
		snprintf(msg, len, "%.*s%s%s", (int)(at - err), err, slash + 3, at + strlen(full));
	else
		snprintf(msg, len, "%s", err);
}

/*
 * A failed Connect: add what the status code's command specific fields say
 * (NVMe over Fabrics 1.1, 3.3 and Figure 21). The thread's message is copied
 * first because it is both the format's argument and its destination.
 */
static int connect_failed(const struct nvmf_completion *cpl, int r)
{
	char msg[512];

	if (cpl->result != -EIO || NVMF_SF_SCT(cpl->status) != 1)
		return r;
	connect_msg(cpl->status, msg, sizeof(msg));
	switch (NVMF_SF_SC(cpl->status)) {
	case 0x82:	/* Connect Invalid Parameters: IPO and IATTR in DW0 */
		return host_err_status(r, cpl->status, "%s (the invalid parameter is at offset "
				       "%u of the %s)", msg, nvmf_connect_rsp_ipo(cpl->dw0),
				       (nvmf_connect_rsp_iattr(cpl->dw0) &
					NVMF_CONNECT_IATTR_IN_DATA) ? "Connect data" : "command");
	case 0x91:	/* Authentication Required */
		/* -EACCES like an AUTHREQ in a successful response; the
		 * status stays available from nvmf_get_status(). */
		return host_err_status(EACCES, cpl->status, "%s: the controller requires in-band "
				       "authentication (DH-HMAC-CHAP), which this host does not "
				       "support", msg);
	default:
		return host_err_set(r, cpl->status, msg);
	}
}

static void queue_ready_fn(struct host_call *call)
{
	struct host_queue *q = call->arg;

	if (q->failed || q->closing || !q->qp) {
		host_call_fail(call, ENOTCONN, "queue %u: connection lost right after Connect%s%s",
			       q->qid, q->errmsg[0] ? ": " : "", q->errmsg);
		return;
	}
	q->ready = true;
	host_call_done(call, 0);
}

/* Whether an orderly shutdown can be attempted, decided on the loop thread:
 * the admin queue's state is the loop's to read (c->failed alone is atomic). */
static void admin_usable_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;

	host_call_done(call, !c->failed && c->admin.ready && c->admin.qp && !c->admin.closing);
}

/* Transport connect plus Fabrics Connect of one queue (NVMe-oF 1.1, 3.3). */
static int queue_connect(struct nvmf_ctrl *c, struct host_queue *q, uint16_t cntlid)
{
	struct nvmf_connect_payload *data;
	struct nvmf_connect_cmd cmd;	/* Fabrics 1.1, 3.3 */
	struct nvmf_completion cpl;
	struct host_call call;
	struct host_req *req;
	char what[48];
	int r;

	r = host_call(c, open_fn, q, &call);
	if (r < 0)
		return r;

	data = calloc(1, sizeof(*data));
	req = host_req_new(c, q->qid == 0, "Connect");
	if (!data || !req) {
		free(data);
		free(req);
		return host_err(ENOMEM, "out of memory");
	}
	memcpy(data->hostid, c->opts.hostid, sizeof(data->hostid));
	data->cntlid = nvmf_htole16(cntlid);
	/* NQNs were checked to be at most 223 bytes: they fit NUL-terminated. */
	memcpy(data->subnqn, c->opts.subnqn, strlen(c->opts.subnqn));
	memcpy(data->hostnqn, c->opts.hostnqn, strlen(c->opts.hostnqn));

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = NVMF_ADM_FABRICS;
	cmd.fctype = NVMF_FCTYPE_CONNECT;
	cmd.recfmt = nvmf_htole16(NVMF_CONNECT_RECFMT);
	cmd.qid = nvmf_htole16(q->qid);
	cmd.sqsize = nvmf_htole16((uint16_t)(q->qsize - 1));
	/* SQ flow control on by default: SQHD then bounds what is outstanding. */
	cmd.cattr = c->opts.disable_sqflow ? NVMF_CONNECT_CATTR_DISABLE_SQFC : 0;
	/* KATO applies to the controller and is given on the admin queue only. */
	cmd.kato = nvmf_htole32(q->qid == 0 ? c->kato_ms : 0);
	memcpy(&req->sqe, &cmd, sizeof(req->sqe));
	req->buf = data;
	req->len = sizeof(*data);
	req->dir = XP_DIR_H2C;
	req->q = q;
	req->timeout_ms = (uint32_t)c->opts.connect_timeout * 1000u;
	snprintf(what, sizeof(what), "queue %u Connect", q->qid);
	req->what = what;
	r = host_sync_cmd(c, req, &cpl);
	free(data);
	if (r < 0)
		return connect_failed(&cpl, r);
	if (nvmf_connect_rsp_authreq(cpl.dw0) != 0)
		return host_err(EACCES, "queue %u Connect: authentication required: the "
				"controller asks for in-band authentication (AUTHREQ %04xh in the "
				"Connect response), which this host does not support", q->qid,
				nvmf_connect_rsp_authreq(cpl.dw0));
	if (q->qid == 0)
		c->info.cntlid = nvmf_connect_rsp_cntlid(cpl.dw0);
	/* Marked ready on the loop thread, which alone reads and writes the
	 * queue's state (it may have been lost since Connect completed). */
	return host_call(c, queue_ready_fn, q, &call);
}

static int identify_sync(struct nvmf_ctrl *c, uint8_t cns, uint32_t nsid, void *buf)
{
	return nvmf_identify(c, cns, nsid, 0, 0, buf);
}

/* CC set-up then CC.EN = 1, CSTS.RDY awaited (Base 2.0, 3.5.2). */
static int enable_ctrl(struct nvmf_ctrl *c)
{
	unsigned mps = nvmf_cap_mpsmin(c->cap), css, to_ms, wait = 1;
	uint64_t csts, deadline;
	uint32_t cc;
	int r;

	/* CSS: every I/O command set if the controller has them, else NVM;
	 * admin-only controllers need neither (CAP.CSS bit 7, Figure 36). */
	if (nvmf_cap_css(c->cap) & NVMF_CAP_CSS_IOCS)
		css = NVMF_CC_CSS_ALL_IOCS;
	else if ((nvmf_cap_css(c->cap) & (NVMF_CAP_CSS_NO_IO | NVMF_CAP_CSS_NVM)) == NVMF_CAP_CSS_NO_IO)
		css = NVMF_CC_CSS_ADMIN_ONLY;
	else
		css = NVMF_CC_CSS_NVM;
	cc = (css << NVMF_CC_CSS_SHIFT) | (mps << NVMF_CC_MPS_SHIFT) |
	     (6u << NVMF_CC_IOSQES_SHIFT) | (4u << NVMF_CC_IOCQES_SHIFT);
	r = prop_set(c, NVMF_PROP_CC, cc);
	if (r < 0)
		return r;
	r = prop_set(c, NVMF_PROP_CC, cc | NVMF_CC_EN);
	if (r < 0)
		return r;
	/* CAP.TO: worst-case time to become ready, 500 ms units (Figure 36). */
	to_ms = nvmf_cap_to(c->cap) * 500u;
	if (to_ms < 500)
		to_ms = 500;
	deadline = mono_ms() + to_ms;
	for (;;) {
		r = prop_get(c, NVMF_PROP_CSTS, false, &csts);
		if (r < 0)
			return r;
		if (csts & NVMF_CSTS_CFS)
			return host_err(EIO, "controller fatal status (CSTS.CFS) set while enabling "
					"(CSTS %08llxh)", (unsigned long long)csts);
		if (csts & NVMF_CSTS_RDY)
			return 0;
		if (mono_ms() >= deadline)
			return host_err(ETIMEDOUT, "controller not ready (CSTS.RDY 0) %u ms after "
					"CC.EN = 1 (CAP.TO)", to_ms);
		sleep_ms(wait);
		if (wait < 100)
			wait *= 2;
	}
}

static int set_num_queues(struct nvmf_ctrl *c, int want, int *got)
{
	uint32_t dw0 = 0, n;
	int r;

	r = nvmf_set_features(c, NVMF_FID_NUM_QUEUES, 0, false,
			      nvmf_num_queues_cdw11((uint16_t)want, (uint16_t)want), 0, NULL, 0, &dw0);
	if (r < 0)
		return r;
	n = nvmf_num_queues_nsqa(dw0);
	if (nvmf_num_queues_ncqa(dw0) < n)
		n = nvmf_num_queues_ncqa(dw0);
	*got = (int)n < want ? (int)n : want;
	if ((int)n < want)
		host_log(NVMF_LOG_INFO, "controller grants %u I/O queues of %d asked", n, want);
	return 0;
}

static void close_all_fn(struct host_call *call);

static void ka_start_fn(struct host_call *call)
{
	host_ka_start(call->c);
	host_call_done(call, 0);
}

static int host_ctrl_setup(struct nvmf_ctrl *c)
{
	struct host_call call;
	uint64_t vs;
	uint8_t *id;
	int r, nq = 0, qsize;

	/* Admin queue: transport, Connect with KATO (Fabrics 1.1, 3.3). */
	c->admin.c = c;
	c->admin.qid = 0;
	c->admin.qsize = ADMIN_QSIZE;
	r = queue_connect(c, &c->admin, c->opts.cntlid);
	if (r < 0)
		return r;
	r = prop_get(c, NVMF_PROP_CAP, true, &c->cap);
	if (r < 0)
		return r;
	r = prop_get(c, NVMF_PROP_VS, false, &vs);
	if (r < 0)
		return r;
	c->vs = (uint32_t)vs;
	c->info.cap = c->cap;
	c->info.vs = c->vs;
	r = enable_ctrl(c);
	if (r < 0)
		return r;
	/*
	 * Keep-alive from here on: the controller's KATO timer runs from the
	 * admin Connect's completion (Base 2.0, 3.9.4), and Keep Alive, an
	 * admin command, is accepted once the controller is enabled. Identify,
	 * the I/O queue connections and the namespace scan may together take
	 * longer than KATO (Linux moved its start here for the same reason).
	 */
	r = host_call(c, ka_start_fn, NULL, &call);
	if (r < 0)
		return r;

	id = malloc(HOST_IDENTIFY_LEN);
	if (!id)
		return host_err(ENOMEM, "out of memory");
	r = identify_sync(c, NVMF_CNS_CTRL, 0, id);
	if (r == 0) {
		struct nvmf_id_ctrl *ic = (struct nvmf_id_ctrl *)id;

		r = host_parse_id_ctrl(id, &c->info);
		c->mdts = ic->mdts;
		c->oaes = nvmf_le32toh(ic->oaes);
		c->ctratt = nvmf_le32toh(ic->ctratt);
		c->rtd3e = nvmf_le32toh(ic->rtd3e);
	}
	free(id);
	if (r < 0)
		return r;
	c->info.max_xfer = host_mdts_bytes(c->mdts, c->cap);
	if (c->info.discovery)
		return 0;

	/* I/O queues: count, size, then one connection each (Fabrics 1.1, 3.3). */
	c->icd_max = c->info.ioccsz * 16u - 64u;
	qsize = c->opts.queue_size;
	if (qsize > (int)nvmf_cap_mqes(c->cap) + 1)
		qsize = (int)nvmf_cap_mqes(c->cap) + 1;
	if (qsize > XP_QSIZE_MAX)
		qsize = XP_QSIZE_MAX;
	if (qsize < XP_QSIZE_MIN)
		return host_err(EINVAL, "queue size %d is too small (minimum %d)", qsize,
				XP_QSIZE_MIN);
	if (c->opts.nr_io_queues > 0) {
		r = set_num_queues(c, c->opts.nr_io_queues, &nq);
		if (r < 0)
			return r;
	}
	c->io = calloc((size_t)(nq ? nq : 1), sizeof(*c->io));
	if (!c->io)
		return host_err(ENOMEM, "out of memory");
	for (int i = 0; i < nq; i++) {
		struct host_queue *q = &c->io[i];

		q->c = c;
		q->qid = (uint16_t)(i + 1);
		q->qsize = (uint16_t)qsize;
		c->nr_io = i + 1;
		r = queue_connect(c, q, c->info.cntlid);
		if (r < 0)
			return r;
	}
	c->info.nr_io_queues = nq;
	c->info.queue_size = qsize;

	/* Namespaces, then asynchronous events and keep-alive. */
	r = nvmf_rescan(c);
	if (r < 0)
		return r;
	if (c->oaes & NVMF_OAES_NS_ATTR) {
		/* Off by default (Base 2.0, 5.27.1.7): ask for namespace notices. */
		r = nvmf_set_features(c, NVMF_FID_ASYNC_EVENT, 0, false, NVMF_AEC_NS_ATTR, 0,
				      NULL, 0, NULL);
		if (r < 0)
			host_log(NVMF_LOG_WARN, "cannot enable namespace notices: %s",
				 nvmf_get_error());
		else
			c->aer_enabled = true;
	}
	return 0;
}

static void start_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;

	if (c->aer_enabled)
		host_aer_start(c);
	host_call_done(call, 0);
}

static void ctrl_free(struct nvmf_ctrl *c)
{
	struct host_ns_table *t = atomic_load(&c->nstab);

	free(t);
	while (c->retired) {
		t = c->retired;
		c->retired = t->retired_next;
		free(t);
	}
	free(c->io);
	free(c);
}

static int check_opts(const struct nvmf_opts *o)
{
	if (!o->traddr[0])
		return host_err(EINVAL, "no transport address (traddr) given");
	if (!o->hostnqn[0])
		return host_err(EINVAL, "no host NQN: set hostnqn or create /etc/nvme/hostnqn");
	if (strlen(o->hostnqn) > NVMF_NQN_MAX_LEN || strlen(o->subnqn) > NVMF_NQN_MAX_LEN)
		return host_err(EINVAL, "NQN longer than %d bytes", NVMF_NQN_MAX_LEN);
	if (o->nr_io_queues < 0 || o->nr_io_queues > 0xFFFE)
		return host_err(EINVAL, "number of I/O queues %d out of range 0-65534",
				o->nr_io_queues);
	if (o->queue_size < XP_QSIZE_MIN || o->queue_size > XP_QSIZE_MAX)
		return host_err(EINVAL, "queue size %d out of range %d-%d", o->queue_size,
				XP_QSIZE_MIN, XP_QSIZE_MAX);
	if (o->kato < -1 || o->kato > 4000000)
		return host_err(EINVAL, "keep-alive timeout %d s out of range", o->kato);
	if (o->io_timeout < 1 || o->io_timeout > 4000000)
		return host_err(EINVAL, "I/O timeout %d s out of range", o->io_timeout);
	if (o->connect_timeout < 1 || o->connect_timeout > 4000000)
		return host_err(EINVAL, "connect timeout %d s out of range", o->connect_timeout);
	return 0;
}

int nvmf_connect(const struct nvmf_opts *o, struct nvmf_ctrl **out)
{
	struct nvmf_ctrl *c;
	struct host_call call;
	int r;

	host_err_clear();
	if (!o || !out)
		return host_err(EINVAL, "nvmf_connect: NULL argument");
	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return host_err(ENOMEM, "out of memory");
	host_opts_import(&c->opts, o);
	r = check_opts(&c->opts);
	if (r < 0) {
		free(c);
		return r;
	}
	if (!c->opts.subnqn[0])
		snprintf(c->opts.subnqn, sizeof(c->opts.subnqn), "%s", NVMF_DISCOVERY_NQN);
	c->info.discovery = strcmp(c->opts.subnqn, NVMF_DISCOVERY_NQN) == 0;
	if (!c->opts.trsvcid[0])
		snprintf(c->opts.trsvcid, sizeof(c->opts.trsvcid), "%d",
			 c->info.discovery ? NVMF_TCP_DISC_PORT : NVMF_TCP_IO_PORT);
	/* Keep-alive: 5 s by default, none on discovery controllers (Fabrics
	 * 1.1, 3.3: a discovery controller may be connected without KATO). */
	if (c->opts.kato < 0)
		c->opts.kato = c->info.discovery ? 0 : 5;
	c->kato_ms = (uint32_t)c->opts.kato * 1000u;
	c->info.hdr_digest = o->hdr_digest;
	c->info.data_digest = o->data_digest;
	atomic_init(&c->nstab, NULL);
	atomic_init(&c->inbox, NULL);
	atomic_init(&c->next_cookie, 1);
	atomic_init(&c->in_flight, 0);
	atomic_init(&c->failed, false);
	atomic_init(&c->stopping, false);
	atomic_init(&c->last_completion_ms, 0);

	r = host_loop_start(c);
	if (r < 0) {
		ctrl_free(c);
		return r;
	}
	r = host_ctrl_setup(c);
	if (r == 0)
		r = host_call(c, start_fn, NULL, &call);
	if (r < 0) {
		char msg[512];
		int e = nvmf_get_errno();
		uint16_t st = nvmf_get_status();

		snprintf(msg, sizeof(msg), "%s", nvmf_get_error());
		c->stopping = true;
		host_call(c, close_all_fn, NULL, &call);
		host_loop_stop(c);
		ctrl_free(c);
		return host_err_set(e ? e : -r, st, msg);
	}
	host_dbg("connected to %s port %s, %s, cntlid %u, %d I/O queues of %d", c->opts.traddr,
		 c->opts.trsvcid, c->opts.subnqn, c->info.cntlid, c->info.nr_io_queues,
		 c->info.queue_size);
	*out = c;
	return 0;
}

/* ---- Shutdown ------------------------------------------------------------------- */

/* Normal shutdown: CC.SHN = 01b, wait for CSTS.SHST = 10b (Base 2.0, 3.6.1). */
static int shutdown_ctrl(struct nvmf_ctrl *c)
{
	uint64_t cc, csts, deadline;
	unsigned limit_ms, wait = 1;
	int r;

	r = prop_get(c, NVMF_PROP_CC, false, &cc);
	if (r < 0)
		return r;
	cc &= ~(uint64_t)NVMF_CC_SHN_MASK;
	cc |= NVMF_CC_SHN_NORMAL << NVMF_CC_SHN_SHIFT;
	r = prop_set(c, NVMF_PROP_CC, (uint32_t)cc);
	if (r < 0)
		return r;
	/* RTD3E (us) is the controller's own estimate; bound it to 5-60 s. */
	limit_ms = c->rtd3e / 1000u;
	if (limit_ms < 5000)
		limit_ms = 5000;
	if (limit_ms > 60000)
		limit_ms = 60000;
	deadline = mono_ms() + limit_ms;
	for (;;) {
		r = prop_get(c, NVMF_PROP_CSTS, false, &csts);
		if (r < 0)
			return r;
		if (nvmf_csts_shst((uint32_t)csts) == NVMF_CSTS_SHST_COMPLETE)
			return 0;
		if (mono_ms() >= deadline)
			return host_err(ETIMEDOUT, "shutdown not complete (CSTS.SHST %u) after %u ms",
					nvmf_csts_shst((uint32_t)csts), limit_ms);
		sleep_ms(wait);
		if (wait < 100)
			wait *= 2;
	}
}

static void close_check(struct nvmf_ctrl *c, struct host_call *call);

static void close_timer_cb(uv_timer_t *t)
{
	struct host_call *call = t->data;

	close_check(call->c, call);
}

static void close_timer_closed(uv_handle_t *h)
{
	struct host_call *call = h->data;

	free(h);
	host_call_done(call, 0);
}

static void close_check(struct nvmf_ctrl *c, struct host_call *call)
{
	uv_timer_t *t = call->arg;

	if (c->open_qpairs > 0)
		return;
	uv_timer_stop(t);
	uv_close((uv_handle_t *)t, close_timer_closed);
}

/* Close every queue pair; finish when all reported on_closed. */
static void close_all_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;
	uv_timer_t *t;

	c->stopping = true;
	host_ka_stop(c);
	for (int i = 0; i < c->nr_io; i++)
		host_queue_close(&c->io[i], -ECANCELED);
	host_queue_close(&c->admin, -ECANCELED);
	/* Fail what still waits for a free request. */
	for (int k = 0; k < 2; k++) {
		while (c->waitq[k]) {
			struct host_req *req = c->waitq[k];
			char msg[HOST_MSG_MAX];

			c->waitq[k] = req->next;
			snprintf(msg, sizeof(msg), "%s canceled: the controller is disconnecting",
				 req->what);
			host_req_fail(req, -ECANCELED, msg);
		}
	}
	t = malloc(sizeof(*t));
	if (!t) {
		host_call_done(call, 0);
		return;
	}
	/* Poll for the closes: on_closed arrives from the loop. */
	uv_timer_init(c->loop, t);
	t->data = call;
	call->arg = t;
	uv_timer_start(t, close_timer_cb, 0, 1);
}

int nvmf_disconnect(struct nvmf_ctrl *c)
{
	struct host_call call;
	char msg[512] = "";
	int r = 0, e = 0;

	host_err_clear();
	if (!c)
		return 0;
	/*
	 * Refused before anything is touched: on the controller's own I/O
	 * thread (a completion or event callback) it would free the loop that
	 * is running it and join its own thread, and the callback's caller
	 * would then use the freed handle; in the caller's loop mode a callback
	 * cannot run that loop again (libuv forbids a nested uv_run()). The
	 * handle stays valid; the application disconnects it later from outside
	 * its callbacks. Checked here because every later step assumes it may
	 * wait for the loop.
	 */
	if (host_on_loop_thread(c) && (c->own_thread || c->in_cb > 0))
		return host_err(EDEADLK, "nvmf_disconnect() from a libnvmf callback would free "
				"the controller while its callback runs; call it outside the "
				"callbacks");
	if (!host_on_loop_thread(c) && !c->own_thread)
		return host_err(EINVAL, "controller uses the caller's loop: call nvmf_disconnect() "
				"from that loop's thread");
	/*
	 * Stopping before the shutdown, not after: a controller may close its
	 * connections as soon as it reports CSTS.SHST complete (NVMe Base 2.0,
	 * 3.6.2, the association ends), and that loss is then expected, not a
	 * failure to log or an event for the application. A shutdown that
	 * does fail is this function's return value. Keep Alive goes on until
	 * close_all_fn: the CSTS poll may outlast KATO, and without
	 * traffic-based keep alive a Property Get does not reset the
	 * controller's timer (Base 2.0, 3.9.4).
	 */
	c->stopping = true;
	if (host_call(c, admin_usable_fn, NULL, &call) > 0) {
		r = shutdown_ctrl(c);
		if (r < 0) {
			/* Keep the reason: closing below would overwrite it. */
			e = nvmf_get_errno();
			snprintf(msg, sizeof(msg), "%s", nvmf_get_error());
			host_log(NVMF_LOG_WARN, "orderly shutdown failed: %s", msg);
		}
	}
	host_call(c, close_all_fn, NULL, &call);
	host_loop_stop(c);
	ctrl_free(c);
	if (r < 0)
		return host_err_set(e, 0, msg);
	host_err_clear();
	return 0;
}

int nvmf_ctrl_get_info(struct nvmf_ctrl *c, struct nvmf_ctrl_info *info)
{
	if (!c || !info)
		return host_err(EINVAL, "nvmf_ctrl_get_info: NULL argument");
	*info = c->info;
	return 0;
}
