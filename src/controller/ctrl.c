/*
 * Controllers and queues: command decoding and dispatch, completion,
 * keep-alive enforcement and asynchronous events.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>

#include "controller/ctl.h"
#include "transport/xp_poison.h"

uint64_t ctl_now_ms(struct ctl_target *t)
{
	return uv_now(t->loop);
}

void ctl_queue_init(struct ctl_queue *q, struct ctl_target *t)
{
	/* The transport zeroed q and set its own part (q->x). */
	q->target = t;
	q->ctrl = NULL;
	/* Until Connect sets it, one command (the Connect) may be in flight. */
	q->x.sqsize = 0;
}

/* ---- Controller lifetime ------------------------------------------------- */

static void ka_timer_cb(uv_timer_t *tm)
{
	struct ctl_ctrl *c = tm->data;

	/*
	 * Keep Alive Timer (Base 2.0, 3.9.5): the host must send a command
	 * within KATO. Any command restarts the timer here (as with Traffic
	 * Based Keep Alive), so a busy host that relies on I/O traffic is not
	 * dropped; a silent one is, after at most two periods.
	 */
	if (c->ka_seen) {
		c->ka_seen = false;
		return;
	}
	ctl_log(c->target, NVMF_LOG_WARN, "controller %u (%s): keep-alive timeout (%u ms), dropping host",
		c->cntlid, ctl_host_name(c->hostnqn), c->kato_ms);
	uv_timer_stop(&c->ka_timer);
	c->dying = true;
	for (unsigned i = 0; i <= CTL_MAX_IOQ; i++)
		if (c->queues[i])
			xp_cqueue_drop(&c->queues[i]->x, "keep-alive timeout");
}

void ctl_ctrl_fatal(struct ctl_ctrl *c, const char *why)
{
	/* As nvmet_ctrl_fatal_error: CSTS.CFS, then the association goes
	 * (the transport closes each queue once its responses are out). */
	c->csts |= NVMF_CSTS_CFS;
	c->dying = true;
	uv_timer_stop(&c->ka_timer);
	for (unsigned i = 0; i <= CTL_MAX_IOQ; i++)
		if (c->queues[i])
			xp_cqueue_drop(&c->queues[i]->x, why);
}

uint32_t ctl_kato_round(uint32_t kato_ms)
{
	uint32_t up = kato_ms % 100 ? 100 - kato_ms % 100 : 0;

	/* Saturating: near 2^32 the next multiple of 100 does not fit, and
	 * wrapping would turn the longest timeout into a few milliseconds. */
	return kato_ms > UINT32_MAX - up ? UINT32_MAX : kato_ms + up;
}

void ctl_ctrl_set_kato(struct ctl_ctrl *c, uint32_t kato_ms)
{
	c->kato_ms = kato_ms;
	c->ka_seen = false;
	if (kato_ms)
		uv_timer_start(&c->ka_timer, ka_timer_cb, kato_ms, kato_ms);
	else
		uv_timer_stop(&c->ka_timer);
}

void ctl_ctrl_touch(struct ctl_ctrl *c)
{
	c->ka_seen = true;
}

static uint16_t alloc_cntlid(struct ctl_target *t)
{
	/* CNTLIDs 1..FFEFh are valid (Base 2.0, 5.17.2.1); keep them unique
	 * across the target so a stale one never aliases a new controller. */
	for (unsigned tries = 0; tries < 0xFFEF; tries++) {
		uint16_t id = t->next_cntlid;
		bool used = false;

		t->next_cntlid = id >= 0xFFEF ? 1 : id + 1;
		for (struct ctl_ctrl *c = t->ctrls; c; c = c->next)
			if (c->cntlid == id)
				used = true;
		if (!used)
			return id;
	}
	return 0;
}

struct ctl_ctrl *ctl_ctrl_create(struct ctl_queue *q, struct ctl_subsys *s, const char *hostnqn,
				 const uint8_t hostid[16], uint32_t kato_ms)
{
	struct ctl_target *t = q->target;
	struct ctl_ctrl *c;
	uint16_t id;

	if (t->nctrls >= t->opts.max_ctrls)
		return NULL;
	id = alloc_cntlid(t);
	if (!id)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->target = t;
	c->subsys = s;
	c->discovery = (s == &t->disc);
	c->cntlid = id;
	snprintf(c->hostnqn, sizeof(c->hostnqn), "%s", hostnqn);
	memcpy(c->hostid, hostid, 16);
	c->nioq = c->discovery ? 0 : t->opts.max_ioq;
	c->start_ms = ctl_now_ms(t);
	uv_timer_init(t->loop, &c->ka_timer);
	c->ka_timer.data = c;
	c->queues[0] = q;
	c->next = t->ctrls;
	t->ctrls = c;
	t->nctrls++;
	ctl_ctrl_set_kato(c, kato_ms);
	return c;
}

struct ctl_ctrl *ctl_ctrl_find(struct ctl_target *t, struct ctl_subsys *s, uint16_t cntlid)
{
	for (struct ctl_ctrl *c = t->ctrls; c; c = c->next)
		if (c->subsys == s && c->cntlid == cntlid && !c->dying)
			return c;
	return NULL;
}

static void ctrl_closed(uv_handle_t *h)
{
	free(h->data);
}

static void ctrl_free(struct ctl_ctrl *c)
{
	struct ctl_target *t = c->target;
	struct ctl_ctrl **pp;
	struct ctl_subsys *s = c->subsys;
	bool used = false;

	for (pp = &t->ctrls; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	t->nctrls--;
	ctl_log(t, NVMF_LOG_INFO, "controller %u (%s) freed", c->cntlid, ctl_host_name(c->hostnqn));
	ctl_secret_wipe(&c->host_secret);
	ctl_secret_wipe(&c->ctrl_secret);
	uv_timer_stop(&c->ka_timer);
	uv_close((uv_handle_t *)&c->ka_timer, ctrl_closed);
	if (s->removed && !s->removing) {
		for (struct ctl_ctrl *o = t->ctrls; o; o = o->next)
			if (o->subsys == s)
				used = true;
		if (!used)
			ctl_subsys_free(s);
	}
}

void ctl_queue_destroy(struct ctl_queue *q)
{
	struct ctl_ctrl *c = q->ctrl;

	ctl_auth_queue_fini(q);
	if (!c)
		return;
	q->ctrl = NULL;
	if (q->x.qid != 0 && c->queues[q->x.qid] == q)
		c->queues[q->x.qid] = NULL;
	if (q->x.qid == 0) {
		/* Held AERs end with the admin queue (Base 2.0, 5.2). */
		ctl_aer_abort_all(c);
		/* Losing the admin queue ends the association: its I/O queues go
		 * too (Fabrics 1.1, 3.3). */
		c->dying = true;
		/* A drop may close its queue at once (the transport's shutdown
		 * failed: the peer is gone), which destroys that queue inside
		 * this loop. The admin queue stays in queues[0] until the loop
		 * is done, so that nested call never frees the controller: it
		 * is freed once, below. */
		for (unsigned i = 1; i <= CTL_MAX_IOQ; i++)
			if (c->queues[i])
				xp_cqueue_drop(&c->queues[i]->x, "admin queue closed");
		if (c->queues[0] == q)
			c->queues[0] = NULL;
	}
	for (unsigned i = 0; i <= CTL_MAX_IOQ; i++)
		if (c->queues[i])
			return;
	ctrl_free(c);
}

/* ---- Commands -------------------------------------------------------------- */

/* The opcode, or for a Fabrics command its FCTYPE. */
static uint8_t cmd_code(const uint8_t *sqe)
{
	uint8_t opc = sqe[offsetof(struct nvmf_sqe, opcode)];

	return opc == NVMF_ADM_FABRICS ? sqe[offsetof(struct nvmf_fabrics_cmd, fctype)] : opc;
}

static enum xp_dir cmd_dir(const uint8_t *sqe)
{
	/* Bits 1:0 of the opcode (or FCTYPE) give the data direction
	 * (Base 2.0, 5.1, Figure 140; Fabrics 1.1, Figure 10). */
	switch (nvmf_opcode_xfer(cmd_code(sqe))) {
	case NVMF_XFER_H2C: return XP_DIR_H2C;
	case NVMF_XFER_C2H: return XP_DIR_C2H;
	default: return XP_DIR_NONE;
	}
}

/*
 * Data buffers, from the target's pools by size class (ctl_target.pool).
 * I/O data is written in full before it is read (by the backend for a
 * read, by the host for a write): no zeroing. NULL data: out of memory.
 */
/* A buffer of at least len bytes (len <= MDTS); *pool its class + 1. */
static void *pool_get(struct ctl_target *t, uint32_t len, uint8_t *pool)
{
	unsigned cls = len >= CTL_POOL_MIN_LEN;
	size_t size = cls ? (size_t)CTL_MPS << t->opts.mdts : CTL_POOL_MIN_LEN;
	struct ctl_bufpool *p = &t->pool[cls];
	void *b;

	if (p->n) {
		b = p->buf[--p->n];
		xp_unpoison(b, size);
	} else {
		b = malloc(size);
	}
	*pool = b ? (uint8_t)(cls + 1) : 0;
	return b;
}

static void pool_put(struct ctl_target *t, void *b, uint8_t pool)
{
	struct ctl_bufpool *p = pool ? &t->pool[pool - 1] : NULL;

	if (p && b && p->n < CTL_POOL_MAX) {
		xp_poison(b, pool == 1 ? CTL_POOL_MIN_LEN : (size_t)CTL_MPS << t->opts.mdts);
		p->buf[p->n++] = b;
	} else {
		free(b);
	}
}

static void buf_put(struct ctl_target *t, struct ctl_req *req)
{
	if (req->x.bounce) {
		/* data was the namespace's: the buffer is the bounce buffer. */
		req->x.data = req->x.bounce;
		req->x.bounce = NULL;
	}
	pool_put(t, req->x.data, req->pool);
	req->x.data = NULL;
	req->pool = 0;
}

/* A second buffer for a command (Compare's read, Flush's namespace list),
 * from the same pools: no allocation per command once warm. */
void *ctl_req_aux_get(struct ctl_req *req, uint32_t len)
{
	req->aux = pool_get(req->q->target, len, &req->aux_pool);
	return req->aux;
}

void ctl_req_aux_put(struct ctl_req *req)
{
	pool_put(req->q->target, req->aux, req->aux_pool);
	req->aux = NULL;
	req->aux_pool = 0;
}

/*
 * The buffer budget (opts.max_data_bytes) bounds the command buffers all
 * hosts hold at once: commands waiting for their data, responses not yet
 * taken by the socket (the transport bounds both: a host that sends no data
 * or reads nothing for its deadlines loses the connection, xport_ctrl.h).
 * An I/O command beyond it is refused with the retryable Command
 * Interrupted, asking a host that enabled retry delays
 * to wait CRDT1 first (ctl_retry_status). Admin commands may use a
 * sixteenth more, so that while I/O fills the budget hosts still
 * identify, read logs and keep alive; a queue's Connect (its 1 KiB, once
 * per connection, so bounded by the connection limit) is never refused for
 * it, so a new host can always associate.
 */
static bool is_connect(const uint8_t *sqe)
{
	return sqe[offsetof(struct nvmf_sqe, opcode)] == NVMF_ADM_FABRICS &&
	       sqe[offsetof(struct nvmf_fabrics_cmd, fctype)] == NVMF_FCTYPE_CONNECT;
}

static bool budget_allows(const struct ctl_queue *q, const uint8_t *sqe, uint32_t len)
{
	const struct ctl_target *t = q->target;
	uint64_t limit = t->opts.max_data_bytes;

	/* The queue's first command, the only Connect it may send
	 * (ctl_req_prepare), of exactly its 1024 bytes (fabrics.c). */
	if (q->ctrl == NULL && is_connect(sqe) && len == NVMF_CONNECT_DATA_LEN)
		return true;
	if (q->x.qid == 0)
		limit += limit / 16;
	return t->data_bytes + len <= limit;
}

/*
 * A refusal is what the operator must hear of: hosts see retryable errors
 * and, after their retries, I/O errors. A warning, at most one per
 * CTL_BUDGET_WARN_MS with the count of those in between (a full budget
 * refuses commands by the thousand); the rest at INFO.
 */
static void budget_refused(const struct ctl_queue *q, const uint8_t *sqe, uint32_t len)
{
	struct ctl_target *t = q->target;
	uint64_t now = ctl_now_ms(t);
	bool warn = !t->budget_warned || now - t->budget_warn_at >= CTL_BUDGET_WARN_MS;

	ctl_log(t, warn ? NVMF_LOG_WARN : NVMF_LOG_INFO, "%s (host %s, queue %u): cid %u: %u bytes "
		"over the %llu-byte buffer budget (%llu bytes held by all hosts); refused with "
		"Command Interrupted", q->x.peer, q->ctrl ? ctl_host_name(q->ctrl->hostnqn) : "?",
		q->x.qid, nvmf_get_le16(sqe + offsetof(struct nvmf_sqe, cid)), len,
		(unsigned long long)t->opts.max_data_bytes, (unsigned long long)t->data_bytes);
	if (warn && t->budget_refusals)
		ctl_log(t, NVMF_LOG_WARN, "%llu more commands were refused for the buffer budget in "
			"the %llu ms before", (unsigned long long)t->budget_refusals,
			(unsigned long long)(now - t->budget_warn_at));
	if (warn) {
		t->budget_warned = true;
		t->budget_warn_at = now;
		t->budget_refusals = 0;
	} else {
		t->budget_refusals++;
	}
}

/*
 * Advanced Command Retry (NVMe 1.4, TP 4033; Base 2.0, 4.6.1 and Host
 * Behavior Support): once the host set ACRE, a retryable status may ask it
 * to wait CRDTn first, CRD n; before, CRD must be 0. A refusal for the
 * budget asks for CRDT1: the buffers come back as other commands complete,
 * and a host that retries at once, five times (Linux's nvme_retry_req, our
 * dispatch.c), has given up before that.
 */
uint16_t ctl_retry_status(const struct ctl_queue *q, uint16_t sc)
{
	const struct ctl_ctrl *c = q->ctrl;

	if (c && c->host_behavior[offsetof(struct nvmf_feat_host_behavior, acre)] &&
	    q->target->opts.crdt1)
		return sc | CTL_CRD(1);
	return sc;
}

/*
 * A command that is bound to fail, failed before a buffer is given or its
 * data solicited (an R2T of up to MDTS, held for up to the transport's
 * data deadline): an unsupported admin opcode, an I/O command for no
 * namespace, past its end, writing a read-only one, an unknown I/O
 * opcode. nvmet does the same (nvmet_req_init parses the command before
 * the transport fetches its data). Only once the controller is ready:
 * before, execute() answers Command Sequence Error first. execute()
 * checks again, since the namespace may change while the data comes.
 */
static uint16_t precheck(struct ctl_req *req, uint32_t len)
{
	struct ctl_queue *q = req->q;
	struct ctl_ctrl *c = q->ctrl;
	const uint8_t *sqe = req->x.sqe;
	uint8_t opc = sqe[offsetof(struct nvmf_sqe, opcode)];
	struct ctl_ns *ns;

	if (opc == NVMF_ADM_FABRICS || !c || !(c->cc & NVMF_CC_EN) || !(c->csts & NVMF_CSTS_RDY))
		return 0;
	if (q->x.qid == 0)
		return ctl_admin_opcode_ok(c, opc) ? 0 : NVMF_SC_INVALID_OPCODE | CTL_DNR;
	return ctl_io_check(q, sqe, len, &ns);
}

uint16_t ctl_req_prepare(struct ctl_req *req)
{
	struct ctl_queue *q = req->q;
	const uint8_t *sqe = req->x.sqe;
	uint32_t len = nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, dptr.sgl.length));
	uint32_t max = (uint32_t)CTL_MPS << q->target->opts.mdts;
	unsigned psdt = nvmf_sqe_psdt(sqe[offsetof(struct nvmf_sqe, flags)]);
	uint8_t code = cmd_code(sqe);
	uint16_t st;

	memset(req->x.cqe, 0, sizeof(req->x.cqe));
	req->x.dir = cmd_dir(sqe);
	req->x.xfer_len = 0;
	req->x.data = NULL;
	req->x.bounce = NULL;
	req->x.icd = NULL;
	req->pool = 0;
	if (q->ctrl && !q->x.sqfc_disabled)
		q->sqhd = (uint16_t)((q->sqhd + 1) % ((uint32_t)q->x.sqsize + 1));

	if (is_connect(sqe) != (q->ctrl == NULL)) {
		/* Connect first, and once (Fabrics 1.1, 3.3): anything else
		 * is refused here, before a buffer is given or its data
		 * solicited, so a host cannot hold buffers on a queue that
		 * never connects (ctl_req_execute would refuse it too, only
		 * later). */
		ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		return NVMF_SC_CMD_SEQ_ERROR;
	}
	if (!ctl_queue_auth_ok(q) && sqe[offsetof(struct nvmf_sqe, opcode)] != NVMF_ADM_FABRICS) {
		/* The same for a queue that has not authenticated yet. */
		ctl_req_complete(req, NVMF_SC_AUTH_REQUIRED | CTL_DNR, 0, 0);
		return NVMF_SC_AUTH_REQUIRED;
	}
	if (nvmf_opcode_xfer(code) == NVMF_XFER_BIDIR) {
		ctl_req_complete(req, NVMF_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
		return NVMF_SC_INVALID_OPCODE;
	}
	if (req->x.dir == XP_DIR_NONE)
		return 0;
	/* NVMe/TCP carries data only through SGLs (NVMe/TCP 1.0, 2.1). */
	if (psdt == NVMF_PSDT_PRP) {
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return NVMF_SC_INVALID_FIELD;
	}
	if (len != 0 && sqe[offsetof(struct nvmf_sqe, dptr.sgl.id)] != NVMF_SGL_ID_ICD &&
	    sqe[offsetof(struct nvmf_sqe, dptr.sgl.id)] != NVMF_SGL_ID_TCP_TRANSPORT) {
		/* Only these two descriptors describe data on a fabric without
		 * memory keys (NVMe/TCP 1.0, 3.3): anything else is refused
		 * before its length is read, which other types lay out
		 * differently (a Keyed Data Block's is 24 bits, then the key). */
		ctl_log(q->target, NVMF_LOG_DEBUG, "%s: cid %u: SGL descriptor type %02xh",
			q->x.peer, nvmf_get_le16(sqe + offsetof(struct nvmf_sqe, cid)),
			sqe[offsetof(struct nvmf_sqe, dptr.sgl.id)]);
		ctl_req_complete(req, NVMF_SC_SGL_INVALID_TYPE | CTL_DNR, 0, 0);
		return NVMF_SC_SGL_INVALID_TYPE;
	}
	if (len > max) {
		/* MDTS (Base 2.0, 5.17.2.1): larger transfers are Invalid Field. */
		ctl_log(q->target, NVMF_LOG_INFO, "%s: cid %u: transfer of %u bytes exceeds MDTS (%u)",
			q->x.peer, nvmf_get_le16(sqe + offsetof(struct nvmf_sqe, cid)), len, max);
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return NVMF_SC_INVALID_FIELD;
	}
	if (len == 0)
		return 0;
	if (len > CTL_AUTH_XFER_MAX && sqe[offsetof(struct nvmf_sqe, opcode)] == NVMF_ADM_FABRICS &&
	    (sqe[offsetof(struct nvmf_fabrics_cmd, fctype)] == NVMF_FCTYPE_AUTH_SEND ||
	     sqe[offsetof(struct nvmf_fabrics_cmd, fctype)] == NVMF_FCTYPE_AUTH_RECV)) {
		/* No DH-HMAC-CHAP message is that long: a larger transfer,
		 * which a host may send before it authenticated, would only
		 * hold buffers. */
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return NVMF_SC_INVALID_FIELD;
	}
	st = precheck(req, len);
	if (st) {
		/* It arrived: as execute() would, it counts for keep-alive. */
		ctl_ctrl_touch(q->ctrl);
		ctl_req_complete(req, st, 0, 0);
		return st;
	}
	if (!budget_allows(q, sqe, len)) {
		/* Retryable, no DNR (Base 2.0, Command Interrupted); CRD 1
		 * if the host set ACRE. */
		budget_refused(q, sqe, len);
		ctl_req_complete(req, ctl_retry_status(q, NVMF_SC_CMD_INTERRUPTED), 0, 0);
		return NVMF_SC_CMD_INTERRUPTED;
	}
	req->x.data = pool_get(q->target, len, &req->pool);
	/* Admin commands may fill less than they move (a log page shorter
	 * than asked for, Identify fields left out): the rest reads as zero. */
	if (req->x.data && q->x.qid == 0)
		memset(req->x.data, 0, len);
	if (!req->x.data) {
		ctl_req_complete(req, NVMF_SC_INTERNAL_ERROR, 0, 0);
		return NVMF_SC_INTERNAL_ERROR;
	}
	req->x.xfer_len = len;
	req->charged = len;
	q->target->data_bytes += len;
	return 0;
}

void ctl_req_take_icd(struct ctl_req *req)
{
	if (req->x.icd == NULL)
		return;
	memcpy(req->x.data, req->x.icd, req->x.xfer_len);
	req->x.icd = NULL;
}

void ctl_req_execute(struct ctl_req *req)
{
	struct ctl_queue *q = req->q;
	struct ctl_ctrl *c = q->ctrl;

	q->target->inflight++;
	req->executing = true;
	/* Lent in-capsule data (xport_ctrl.h): only a Write on an I/O queue
	 * takes it as it is (ctl_backend_submit); everything else reads its
	 * data later or from more places, so it gets its copy now. */
	if (req->x.icd != NULL && (q->x.qid == 0 ||
				   req->x.sqe[offsetof(struct nvmf_sqe, opcode)] != NVMF_NVM_WRITE))
		ctl_req_take_icd(req);
	if (req->x.sqe[offsetof(struct nvmf_sqe, opcode)] == NVMF_ADM_FABRICS) {
		ctl_fabrics_exec(req);
		return;
	}
	if (!c) {
		/* Connect must be the first command on a queue (Fabrics 1.1, 3.3). */
		ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		return;
	}
	ctl_ctrl_touch(c);
	if (!ctl_queue_auth_ok(q)) {
		/* Before any other check, as nvmet_parse_admin_cmd and
		 * nvmet_parse_io_cmd do: only Fabrics commands (Connect,
		 * Property Get/Set, Authentication Send/Receive) run on a queue
		 * that has not authenticated yet (Base 2.0, 8.13.5.1). */
		ctl_req_complete(req, NVMF_SC_AUTH_REQUIRED | CTL_DNR, 0, 0);
		return;
	}
	if (!(c->cc & NVMF_CC_EN) || !(c->csts & NVMF_CSTS_RDY)) {
		/* Only Fabrics commands before CC.EN = 1 and CSTS.RDY = 1. */
		ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR, 0, 0);
		return;
	}
	if (q->x.qid == 0)
		ctl_admin_exec(req);
	else
		ctl_io_exec(req);
}

void ctl_errlog_add(struct ctl_ctrl *c, const struct ctl_req *req, uint16_t status)
{
	uint8_t *e = c->errlog[c->errcount % CTL_ERRLOG_SLOTS];

	/* An Error Information Log entry (Base 2.0, 5.16.1.2). */
#define ERR(f) offsetof(struct nvmf_error_log_entry, f)
	c->errcount++;
	memset(e, 0, sizeof(c->errlog[0]));
	nvmf_put_le64(e + ERR(error_count), c->errcount);
	nvmf_put_le16(e + ERR(sqid), req->q->x.qid);
	memcpy(e + ERR(cid), req->x.sqe + offsetof(struct nvmf_sqe, cid), 2);
	nvmf_put_le16(e + ERR(status), nvmf_cqe_status_make(status, (status & CTL_DNR) != 0) |
				       (status & NVMF_CQE_STATUS_CRD_MASK));
	nvmf_put_le16(e + ERR(pel), 0xFFFF);	/* parameter location not given */
	memcpy(e + ERR(nsid), req->x.sqe + offsetof(struct nvmf_sqe, nsid), 4);
#undef ERR
}

void ctl_req_complete(struct ctl_req *req, uint16_t status, uint32_t dw0, uint32_t dw1)
{
	struct ctl_queue *q = req->q;
	uint8_t *cqe = req->x.cqe;

	req->x.icd = NULL;	/* lent only for the execute call */
	/* inflight was raised by ctl_req_execute; a failure from prepare
	 * never got there. */
	if (req->executing) {
		req->executing = false;
		q->target->inflight--;
	}
	nvmf_put_le32(cqe + offsetof(struct nvmf_cqe, dw0), dw0);
	nvmf_put_le32(cqe + offsetof(struct nvmf_cqe, dw1), dw1);
	nvmf_put_le16(cqe + offsetof(struct nvmf_cqe, sqhd),
		      q->x.sqfc_disabled ? NVMF_SQHD_FLOW_CONTROL_OFF : q->sqhd);
	nvmf_put_le16(cqe + offsetof(struct nvmf_cqe, sqid), q->x.qid);
	memcpy(cqe + offsetof(struct nvmf_cqe, cid), req->x.sqe + offsetof(struct nvmf_sqe, cid), 2);
	/* Status field: SC in bits 8:1, SCT 11:9, CRD 13:12 (CTL_CRD), DNR 15
	 * (Base 2.0, 4.6.1). */
	nvmf_put_le16(cqe + offsetof(struct nvmf_cqe, status),
		      nvmf_cqe_status_make(status, (status & CTL_DNR) != 0) |
		      (status & NVMF_CQE_STATUS_CRD_MASK));
	if ((status & 0x7FF) && q->ctrl && status != NVMF_SC_ABORT_SQ_DELETED)
		ctl_errlog_add(q->ctrl, req, status);
	if ((status & 0x7FF) && status != NVMF_SC_ABORT_SQ_DELETED)
		/* What a host did wrong, for whoever debugs it (-vv): a host
		 * sees only the status. Not the AERs a closing queue ends. */
		ctl_log(q->target, NVMF_LOG_DEBUG, "%s: queue %u cid %u opcode %02xh%s: status "
			"SCT %xh SC %02xh%s%s", q->x.peer, q->x.qid,
			nvmf_get_le16(req->x.sqe + offsetof(struct nvmf_sqe, cid)),
			req->x.sqe[offsetof(struct nvmf_sqe, opcode)],
			req->x.sqe[offsetof(struct nvmf_sqe, opcode)] == NVMF_ADM_FABRICS ?
			" (Fabrics)" : "", (status >> 8) & 7, status & 0xFF,
			status & CTL_DNR ? ", DNR" : "", status & CTL_CRD(1) ? ", CRD 1" : "");
	/* Data still in the namespace (xp_creq.bounce) keeps it until release. */
	if (req->ns && !req->x.bounce) {
		ctl_ns_put(req->ns);
		req->ns = NULL;
	}
	xp_creq_complete(&req->x);
}

void ctl_req_release(struct ctl_req *req)
{
	struct ctl_target *t = req->q->target;

	t->data_bytes -= req->charged;
	req->charged = 0;
	buf_put(t, req);
	ctl_req_aux_put(req);
	if (req->ns) {
		ctl_ns_put(req->ns);
		req->ns = NULL;
	}
}

/* ---- Asynchronous events (Base 2.0, 5.2) --------------------------------- */

void ctl_aen_post(struct ctl_ctrl *c, uint32_t dw0)
{
	if (c->naer) {
		struct ctl_req *r = c->aers[--c->naer];

		r->aer_pending = false;
		ctl_req_complete(r, NVMF_SC_SUCCESS, dw0, 0);
		return;
	}
	if (c->naen_pending < sizeof(c->aen_pending) / sizeof(c->aen_pending[0]))
		c->aen_pending[c->naen_pending++] = dw0;
}

void ctl_aer_abort_all(struct ctl_ctrl *c)
{
	while (c->naer) {
		struct ctl_req *r = c->aers[--c->naer];

		r->aer_pending = false;
		ctl_req_complete(r, NVMF_SC_ABORT_SQ_DELETED, 0, 0);
	}
}

void ctl_aer_submit(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;

	if (c->naen_pending) {
		uint32_t dw0 = c->aen_pending[0];

		memmove(c->aen_pending, c->aen_pending + 1,
			--c->naen_pending * sizeof(c->aen_pending[0]));
		ctl_req_complete(req, NVMF_SC_SUCCESS, dw0, 0);
		return;
	}
	if (c->naer >= CTL_MAX_AER) {
		ctl_req_complete(req, NVMF_SC_AER_LIMIT_EXCEEDED | CTL_DNR, 0, 0);
		return;
	}
	req->aer_pending = true;
	c->aers[c->naer++] = req;
	/* A held AER is not in-flight work: draining must not wait for it. */
	if (req->executing) {
		req->executing = false;
		req->q->target->inflight--;
	}
}

static void changed_ns_add(struct ctl_ctrl *c, uint32_t nsid)
{
	if (c->nchanged > NVMF_NS_LIST_MAX)
		return;
	for (unsigned i = 0; i < c->nchanged; i++)
		if (c->changed_ns[i] == nsid)
			return;
	if (c->nchanged == NVMF_NS_LIST_MAX) {
		c->nchanged = NVMF_NS_LIST_MAX + 1;	/* overflow: the log reports FFFFFFFFh */
		return;
	}
	c->changed_ns[c->nchanged++] = nsid;
}

void ctl_ns_notice(struct ctl_subsys *s, uint32_t nsid)
{
	for (struct ctl_ctrl *c = s->target->ctrls; c; c = c->next) {
		if (c->subsys != s || c->dying)
			continue;
		changed_ns_add(c, nsid);
		/* One notice until the host reads log 04h with RAE cleared. */
		if ((c->aen_cfg & NVMF_AEC_NS_ATTR) && !c->ns_aen_masked) {
			c->ns_aen_masked = true;
			ctl_aen_post(c, nvmf_aer_dw0(NVMF_AER_TYPE_NOTICE,
						     NVMF_AER_NOTICE_NS_CHANGED,
						     NVMF_LID_CHANGED_NS));
		}
	}
}

void ctl_disc_notice(struct ctl_target *t)
{
	t->genctr++;
	for (struct ctl_ctrl *c = t->ctrls; c; c = c->next) {
		if (!c->discovery || c->dying)
			continue;
		if ((c->aen_cfg & NVMF_AEC_DISC_LOG_CHANGE) && !c->disc_aen_masked) {
			c->disc_aen_masked = true;
			ctl_aen_post(c, nvmf_aer_dw0(NVMF_AER_TYPE_NOTICE,
						     NVMF_AER_NOTICE_DISC_CHANGED,
						     NVMF_LID_DISCOVERY));
		}
	}
}
