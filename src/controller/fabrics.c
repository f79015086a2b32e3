/*
 * Fabrics commands (NVMe over Fabrics 1.1, 3): Connect, Property Get,
 * Property Set, Disconnect.
 */
#include <stdio.h>
#include <string.h>

#include <nvmf/endian.h>

#include "controller/ctl.h"

#define CTL_SC_INVALID_QUEUE_TYPE CTL_SC(1, 0x90)

/* Fail a Connect with Connect Invalid Parameters naming the field
 * (Fabrics 1.1, 3.3, Figure 22: IATTR/IPO in DW0). */
static void connect_invalid(struct ctl_req *req, uint32_t ipo, const char *what)
{
	ctl_log(req->q->target, 0, "%s: Connect rejected: %s", req->q->peer, what);
	ctl_req_complete(req, CTL_SC_CONNECT_INVALID | CTL_DNR, ipo, 0);
}

/* Copies a fixed 256-byte NQN field; false if it is not NUL terminated. */
static bool get_nqn(char *dst, const uint8_t *field)
{
	size_t n = strnlen((const char *)field, 256);

	if (n >= 256 || n > CTL_NQN_MAX)
		return false;
	memcpy(dst, field, n);
	dst[n] = 0;
	return true;
}

/*
 * What a HOSTNQN may be (Base 2.0, 4.5 asks for "nqn." and at most 223
 * bytes): printable ASCII within the length, or empty. The "nqn." prefix is
 * not required: nvmet and SPDK's target check no format, and SPDK's hosts up
 * to 20.10 sent "2014-08.org.nvmexpress:uuid:..." without it. Such a name
 * cannot be on an allow-list (entries are checked in full), so the prefix
 * protects nothing; printable ASCII keeps the name safe to log.
 */
static bool hostnqn_acceptable(const char *hostnqn)
{
	size_t n = strnlen(hostnqn, CTL_NQN_MAX + 1);

	if (n > CTL_NQN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)hostnqn[i] < 0x20 || (unsigned char)hostnqn[i] > 0x7e)
			return false;
	return true;
}

/*
 * Host access (Fabrics 1.1, 3.3: a Connect from a host the subsystem does
 * not allow fails with Connect Invalid Host). An empty HOSTNQN names no
 * host, so it cannot be on an allow-list; with any host allowed it is
 * accepted as Linux nvmet and SPDK's target do (nvmet_host_allowed,
 * spdk_nvmf_subsystem_host_allowed), with a warning on the admin queue
 * because such hosts cannot be told apart. False once req is completed.
 */
static bool check_host(struct ctl_req *req, const struct ctl_subsys *s, const char *hostnqn,
		       uint16_t qid)
{
	struct ctl_queue *q = req->q;
	struct ctl_target *t = q->target;

	if (ctl_subsys_host_allowed(s, hostnqn)) {
		if (!hostnqn[0] && qid == 0)
			ctl_log(t, 0, "%s: warning: empty HOSTNQN accepted on %s (any host allowed)",
				q->peer, s->nqn);
		return true;
	}
	if (!hostnqn[0])
		ctl_log(t, 0, "%s: Connect rejected: empty HOSTNQN, and %s allows only listed hosts",
			q->peer, s->nqn);
	else
		ctl_log(t, 0, "%s: host %s not allowed on %s", q->peer, hostnqn, s->nqn);
	ctl_req_complete(req, CTL_SC_CONNECT_INVALID_HOST | CTL_DNR, 0, 0);
	return false;
}

static void exec_connect(struct ctl_req *req)
{
	struct ctl_queue *q = req->q;
	struct ctl_target *t = q->target;
	const uint8_t *sqe = req->sqe, *d = req->data;
	uint16_t recfmt = nvmf_get_le16(sqe + CTL_CONN_RECFMT);
	uint16_t qid = nvmf_get_le16(sqe + CTL_CONN_QID);
	uint16_t sqsize = nvmf_get_le16(sqe + CTL_CONN_SQSIZE);
	uint8_t cattr = sqe[CTL_CONN_CATTR];
	uint32_t kato = nvmf_get_le32(sqe + CTL_CONN_KATO);
	char subnqn[CTL_NQN_MAX + 1], hostnqn[CTL_NQN_MAX + 1];
	struct ctl_subsys *s;
	struct ctl_ctrl *c;
	uint16_t cntlid;

	if (q->ctrl) {
		ctl_req_complete(req, CTL_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		return;
	}
	if (req->dir != CTL_DIR_H2C || req->xfer_len < CTL_CONN_DATA_LEN || !d) {
		ctl_log(t, 0, "%s: Connect without its 1024-byte data (SGL length %u)",
			q->peer, req->xfer_len);
		ctl_req_complete(req, CTL_SC_SGL_LEN_INVALID | CTL_DNR, 0, 0);
		return;
	}
	if (recfmt != 0) {
		ctl_log(t, 0, "%s: Connect record format %u not supported", q->peer, recfmt);
		ctl_req_complete(req, CTL_SC_CONNECT_FORMAT | CTL_DNR, 0, 0);
		return;
	}
	if (!get_nqn(subnqn, d + CTL_CD_SUBNQN) || !ctl_nqn_valid(subnqn))
		return connect_invalid(req, CTL_IPO_DATA(CTL_CD_SUBNQN), "malformed SUBNQN");
	/* An empty HOSTNQN is let through to the host check below: SPDK's
	 * host (spdk_nvme_perf, spdk_nvme_identify) sends one by default. */
	if (!get_nqn(hostnqn, d + CTL_CD_HOSTNQN) || !hostnqn_acceptable(hostnqn))
		return connect_invalid(req, CTL_IPO_DATA(CTL_CD_HOSTNQN), "malformed HOSTNQN");
	s = ctl_subsys_find(t, subnqn);
	if (!s || (s != &t->disc && !q->io_allowed))
		return connect_invalid(req, CTL_IPO_DATA(CTL_CD_SUBNQN), "unknown SUBNQN");
	if (!check_host(req, s, hostnqn, qid))
		return;
	/* SQSIZE is 0's based; 0 is invalid (Fabrics 1.1, 3.3). */
	if (sqsize == 0 || sqsize > CTL_MQES)
		return connect_invalid(req, CTL_IPO_SQE(CTL_CONN_SQSIZE), "SQSIZE out of range");
	cntlid = nvmf_get_le16(d + CTL_CD_CNTLID);

	if (qid == 0) {
		/* Dynamic controller model: the host asks for any controller. */
		if (cntlid != 0xFFFF)
			return connect_invalid(req, CTL_IPO_DATA(CTL_CD_CNTLID),
					       "CNTLID must be FFFFh (dynamic model)");
		/* Keep Alive Timeout granularity is KAS = 100 ms: round up. */
		if (kato % 100)
			kato += 100 - kato % 100;
		c = ctl_ctrl_create(q, s, hostnqn, d + CTL_CD_HOSTID, kato);
		if (!c) {
			ctl_log(t, 0, "%s: too many controllers", q->peer);
			ctl_req_complete(req, CTL_SC_CONNECT_BUSY, 0, 0);
			return;
		}
		ctl_log(t, 1, "%s: controller %u created for %s on %s (KATO %u ms)", q->peer,
			c->cntlid, ctl_host_name(hostnqn), subnqn, kato);
	} else {
		if (s == &t->disc)
			return connect_invalid(req, CTL_IPO_SQE(CTL_CONN_QID),
					       "a discovery controller has no I/O queues");
		c = ctl_ctrl_find(t, s, cntlid);
		if (!c)
			return connect_invalid(req, CTL_IPO_DATA(CTL_CD_CNTLID), "unknown CNTLID");
		if (memcmp(c->hostid, d + CTL_CD_HOSTID, 16) != 0)
			return connect_invalid(req, CTL_IPO_DATA(CTL_CD_HOSTID),
					       "HOSTID differs from the admin queue's");
		if (strcmp(c->hostnqn, hostnqn) != 0)
			return connect_invalid(req, CTL_IPO_DATA(CTL_CD_HOSTNQN),
					       "HOSTNQN differs from the admin queue's");
		if (!(c->csts & CTL_CSTS_RDY)) {
			ctl_req_complete(req, CTL_SC_CMD_SEQ_ERROR, 0, 0);
			return;
		}
		if (qid > c->nioq || qid > CTL_MAX_IOQ || c->queues[qid])
			return connect_invalid(req, CTL_IPO_SQE(CTL_CONN_QID),
					       "QID beyond the granted queues or in use");
		c->queues[qid] = q;
		ctl_ctrl_touch(c);
	}
	q->ctrl = c;
	q->qid = qid;
	q->sqsize = sqsize;
	q->sqhd = 1 % ((uint32_t)sqsize + 1);
	q->no_sqflow = (cattr & CTL_CONN_CATTR_NO_SQFLOW) != 0;
	ctl_req_complete(req, CTL_SC_SUCCESS, c->cntlid, 0);
}

static uint64_t cap_value(void)
{
	uint64_t cap = 0;

	cap |= CTL_MQES;		/* MQES */
	cap |= 1ull << 16;		/* CQR: contiguous queues required */
	cap |= 15ull << 24;		/* TO: 7.5 s */
	cap |= 1ull << 37;		/* CSS: NVM command set */
	/* MPSMIN = MPSMAX = 0: 4 KiB pages. */
	return cap;
}

/* CC write (Base 2.0, 3.6.1 enable, 3.6.2 shutdown). */
static void update_cc(struct ctl_ctrl *c, uint32_t cc)
{
	uint32_t old = c->cc;

	c->cc = cc;
	if ((cc & CTL_CC_EN) && !(old & CTL_CC_EN)) {
		bool bad = CTL_CC_MPS(cc) != 0 || CTL_CC_AMS(cc) != 0 || CTL_CC_CSS(cc) != 0;

		if (!c->discovery && (CTL_CC_IOSQES(cc) != 6 || CTL_CC_IOCQES(cc) != 4))
			bad = true;
		if (bad) {
			ctl_log(c->target, 0, "controller %u: invalid CC %#x at enable", c->cntlid, cc);
			c->csts |= CTL_CSTS_CFS;
		} else {
			c->csts |= CTL_CSTS_RDY;
		}
	}
	if (!(cc & CTL_CC_EN) && (old & CTL_CC_EN)) {
		c->csts &= ~(CTL_CSTS_RDY | CTL_CSTS_CFS);
		c->cc = cc;
	}
	if ((cc & CTL_CC_SHN_MASK) && !(old & CTL_CC_SHN_MASK)) {
		/* Nothing is cached in the target; data is in the backends, so
		 * the shutdown completes at once. */
		c->csts &= ~CTL_CSTS_RDY;
		c->csts |= CTL_CSTS_SHST_DONE;
	}
	if (!(cc & CTL_CC_SHN_MASK) && (old & CTL_CC_SHN_MASK))
		c->csts &= ~CTL_CSTS_SHST_DONE;
}

static void exec_prop(struct ctl_req *req, bool set)
{
	struct ctl_queue *q = req->q;
	struct ctl_ctrl *c = q->ctrl;
	uint8_t size = req->sqe[CTL_PROP_ATTRIB] & 7;
	uint32_t ofst = nvmf_get_le32(req->sqe + CTL_PROP_OFST);
	uint64_t v;

	if (!c) {
		ctl_req_complete(req, CTL_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		return;
	}
	if (q->qid != 0) {
		ctl_req_complete(req, CTL_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
		return;
	}
	ctl_ctrl_touch(c);
	if (size > 1) {
		ctl_req_complete(req, CTL_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	if (set) {
		v = nvmf_get_le64(req->sqe + CTL_PROP_VALUE);
		if (ofst != CTL_REG_CC || size != 0) {
			ctl_req_complete(req, CTL_SC_INVALID_FIELD | CTL_DNR, 0, 0);
			return;
		}
		update_cc(c, (uint32_t)v);
		ctl_req_complete(req, CTL_SC_SUCCESS, 0, 0);
		return;
	}
	switch (ofst) {
	case CTL_REG_CAP:
		if (size != 1)
			goto bad;
		v = cap_value();
		break;
	case CTL_REG_VS:
		v = 0x00010300;		/* NVMe 1.3 */
		break;
	case CTL_REG_CC:
		v = c->cc;
		break;
	case CTL_REG_CSTS:
		v = c->csts;
		break;
	default:
		goto bad;
	}
	if (size == 0 && ofst != CTL_REG_CAP)
		v &= 0xFFFFFFFFu;
	ctl_req_complete(req, CTL_SC_SUCCESS, (uint32_t)v, (uint32_t)(v >> 32));
	return;
bad:
	ctl_req_complete(req, CTL_SC_INVALID_FIELD | CTL_DNR, 0, 0);
}

void ctl_fabrics_exec(struct ctl_req *req)
{
	struct ctl_queue *q = req->q;

	switch (req->sqe[CTL_SQE_FCTYPE]) {
	case CTL_FCT_CONNECT:
		exec_connect(req);
		break;
	case CTL_FCT_PROP_GET:
		exec_prop(req, false);
		break;
	case CTL_FCT_PROP_SET:
		exec_prop(req, true);
		break;
	case CTL_FCT_DISCONNECT:
		if (!q->ctrl) {
			ctl_req_complete(req, CTL_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		} else if (q->qid == 0) {
			ctl_req_complete(req, CTL_SC_INVALID_QUEUE_TYPE | CTL_DNR, 0, 0);
		} else {
			/* Complete, then the transport closes the queue once the
			 * response is out. */
			ctl_req_complete(req, CTL_SC_SUCCESS, 0, 0);
			q->ops->drop(q, "Disconnect");
		}
		break;
	default:
		ctl_req_complete(req, CTL_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
		break;
	}
}
