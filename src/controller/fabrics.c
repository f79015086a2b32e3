/*
 * Fabrics commands (NVMe over Fabrics 1.1, 3): Connect, Property Get,
 * Property Set, Disconnect; Authentication Send and Receive go to auth.c.
 * As in nvmet, Fabrics commands run on a queue that has not authenticated
 * yet (ctrl.c refuses the others with Authentication Required).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <nvmf/endian.h>

#include "controller/ctl.h"

/* Byte offsets of the Connect SQE's fields and of the Connect data's
 * (Base 2.0, 6.3). */
#define CONN(f)  offsetof(struct nvmf_connect_cmd, f)
#define CDATA(f) offsetof(struct nvmf_connect_payload, f)

/* Connect Invalid Parameters DW0 naming a field of the data or of the SQE
 * (Fabrics 1.1, 3.3, Figure 22: IATTR/IPO). */
#define IPO_DATA(f) nvmf_connect_rsp_invalid(NVMF_CONNECT_IATTR_IN_DATA, CDATA(f))
#define IPO_SQE(f)  nvmf_connect_rsp_invalid(0, CONN(f))

/* Fail a Connect with Connect Invalid Parameters naming the field. */
static void connect_invalid(struct ctl_req *req, uint32_t ipo, const char *what)
{
	ctl_log(req->q->target, NVMF_LOG_WARN, "%s: Connect rejected: %s", req->q->x.peer, what);
	ctl_req_complete(req, NVMF_SC_CONNECT_INVALID_PARAMS | CTL_DNR, ipo, 0);
}

/* Copies a fixed 256-byte NQN field; false if it is not NUL terminated. */
static bool get_nqn(char *dst, const uint8_t *field)
{
	size_t n = strnlen((const char *)field, NVMF_NQN_FIELD_LEN);

	if (n >= NVMF_NQN_FIELD_LEN || n > NVMF_NQN_MAX_LEN)
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
	size_t n = strnlen(hostnqn, NVMF_NQN_MAX_LEN + 1);

	if (n > NVMF_NQN_MAX_LEN)
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
			ctl_log(t, NVMF_LOG_WARN, "%s: warning: empty HOSTNQN accepted on %s (any host allowed)",
				q->x.peer, s->nqn);
		return true;
	}
	if (!hostnqn[0])
		ctl_log(t, NVMF_LOG_WARN, "%s: Connect rejected: empty HOSTNQN, and %s allows only listed hosts",
			q->x.peer, s->nqn);
	else
		ctl_log(t, NVMF_LOG_WARN, "%s: host %s not allowed on %s", q->x.peer, hostnqn, s->nqn);
	ctl_req_complete(req, NVMF_SC_CONNECT_INVALID_HOST | CTL_DNR, 0, 0);
	return false;
}

static void exec_connect(struct ctl_req *req)
{
	struct ctl_queue *q = req->q;
	struct ctl_target *t = q->target;
	const uint8_t *sqe = req->x.sqe, *d = req->x.data;
	uint16_t recfmt = nvmf_get_le16(sqe + CONN(recfmt));
	uint16_t qid = nvmf_get_le16(sqe + CONN(qid));
	uint16_t sqsize = nvmf_get_le16(sqe + CONN(sqsize));
	uint8_t cattr = sqe[CONN(cattr)];
	uint32_t kato = nvmf_get_le32(sqe + CONN(kato));
	char subnqn[NVMF_NQN_MAX_LEN + 1], hostnqn[NVMF_NQN_MAX_LEN + 1];
	struct ctl_subsys *s;
	struct ctl_ctrl *c;
	uint16_t cntlid;
	int rc;

	if (q->ctrl) {
		ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		return;
	}
	if (req->x.dir != XP_DIR_H2C || req->x.xfer_len != NVMF_CONNECT_DATA_LEN || !d) {
		ctl_log(t, NVMF_LOG_WARN, "%s: Connect without its 1024-byte data (SGL length %u)",
			q->x.peer, req->x.xfer_len);
		ctl_req_complete(req, NVMF_SC_SGL_INVALID_DATA_LEN | CTL_DNR, 0, 0);
		return;
	}
	if (recfmt != NVMF_CONNECT_RECFMT) {
		ctl_log(t, NVMF_LOG_WARN, "%s: Connect record format %u not supported", q->x.peer, recfmt);
		ctl_req_complete(req, NVMF_SC_CONNECT_INCOMPATIBLE_FMT | CTL_DNR, 0, 0);
		return;
	}
	if (!get_nqn(subnqn, d + CDATA(subnqn)) || !ctl_nqn_valid(subnqn))
		return connect_invalid(req, IPO_DATA(subnqn), "malformed SUBNQN");
	/* An empty HOSTNQN is let through to the host check below: SPDK's
	 * host (spdk_nvme_perf, spdk_nvme_identify) sends one by default. */
	if (!get_nqn(hostnqn, d + CDATA(hostnqn)) || !hostnqn_acceptable(hostnqn))
		return connect_invalid(req, IPO_DATA(hostnqn), "malformed HOSTNQN");
	s = ctl_subsys_find(t, subnqn);
	if (!s || (s != &t->disc && !q->x.io_allowed))
		return connect_invalid(req, IPO_DATA(subnqn), "unknown SUBNQN");
	if (!check_host(req, s, hostnqn, qid))
		return;
	/* Over TLS the PSK vouches for the two NQNs its identity names and no
	 * others (NVMe/TCP 1.0 as TP 8011 amends it, 3.6.1.3). */
	if (q->x.tls && (strcmp(hostnqn, q->x.tls_hostnqn) != 0 ||
			 strcmp(subnqn, q->x.tls_subnqn) != 0)) {
		ctl_log(t, NVMF_LOG_WARN, "%s: Connect for host %s and %s refused: the TLS PSK "
			"identity names host %s and %s", q->x.peer, ctl_host_name(hostnqn), subnqn,
			q->x.tls_hostnqn, q->x.tls_subnqn);
		ctl_req_complete(req, NVMF_SC_CONNECT_INVALID_HOST | CTL_DNR, 0, 0);
		return;
	}
	/* SQSIZE is 0's based; 0 is invalid (Fabrics 1.1, 3.3). */
	if (sqsize == 0 || sqsize > CTL_MQES)
		return connect_invalid(req, IPO_SQE(sqsize), "SQSIZE out of range");
	cntlid = nvmf_get_le16(d + CDATA(cntlid));

	if (qid == 0) {
		/* Dynamic controller model: the host asks for any controller. */
		if (cntlid != NVMF_CNTLID_DYNAMIC)
			return connect_invalid(req, IPO_DATA(cntlid),
					       "CNTLID must be FFFFh (dynamic model)");
		/* Keep Alive Timeout granularity is KAS = 100 ms: round up. */
		kato = ctl_kato_round(kato);
		c = ctl_ctrl_create(q, s, hostnqn, d + CDATA(hostid), kato);
		if (!c) {
			ctl_log(t, NVMF_LOG_WARN, "%s: too many controllers", q->x.peer);
			ctl_req_complete(req, NVMF_SC_CONTROLLER_BUSY, 0, 0);
			return;
		}
		/* A host with a DH-HMAC-CHAP secret authenticates every queue of
		 * this controller (nvmet_setup_auth at the admin Connect). */
		ctl_subsys_secrets(s, hostnqn, &c->host_secret, &c->ctrl_secret);
		ctl_log(t, NVMF_LOG_INFO, "%s: controller %u created for %s on %s (KATO %u ms%s)",
			q->x.peer, c->cntlid, ctl_host_name(hostnqn), subnqn, kato,
			c->host_secret.len ? ", DH-HMAC-CHAP" : "");
	} else {
		if (s == &t->disc)
			return connect_invalid(req, IPO_SQE(qid),
					       "a discovery controller has no I/O queues");
		c = ctl_ctrl_find(t, s, cntlid);
		if (!c)
			return connect_invalid(req, IPO_DATA(cntlid), "unknown CNTLID");
		if (memcmp(c->hostid, d + CDATA(hostid), NVMF_HOSTID_LEN) != 0)
			return connect_invalid(req, IPO_DATA(hostid),
					       "HOSTID differs from the admin queue's");
		if (strcmp(c->hostnqn, hostnqn) != 0)
			return connect_invalid(req, IPO_DATA(hostnqn),
					       "HOSTNQN differs from the admin queue's");
		if (!(c->csts & NVMF_CSTS_RDY)) {
			ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR, 0, 0);
			return;
		}
		if (qid > c->nioq || qid > CTL_MAX_IOQ || c->queues[qid])
			return connect_invalid(req, IPO_SQE(qid),
					       "QID beyond the granted queues or in use");
		c->queues[qid] = q;
		ctl_ctrl_touch(c);
	}
	q->ctrl = c;
	q->x.qid = qid;
	q->x.sqsize = sqsize;
	q->sqhd = 1 % ((uint32_t)sqsize + 1);
	q->x.sqfc_disabled = (cattr & NVMF_CONNECT_CATTR_DISABLE_SQFC) != 0;
	q->x.connected = true;		/* the transport's set-up deadline ends */
	snprintf(q->x.hostnqn, sizeof(q->x.hostnqn), "%s", c->hostnqn);
	rc = ctl_auth_queue_init(q);
	if (rc < 0) {
		ctl_log(t, NVMF_LOG_WARN, "%s: cannot authenticate the queue: %s", q->x.peer,
			strerror(-rc));
		ctl_req_complete(req, NVMF_SC_INTERNAL_ERROR, 0, 0);
		xp_cqueue_drop(&q->x, "cannot authenticate");
		return;
	}
	/* AUTHREQ.ATR: the host must authenticate the queue before using it
	 * (Base 2.0, 6.3, Figure 381; nvmet_connect_result). The queue's own
	 * deadline (auth.c) replaces the transport's from here. */
	ctl_req_complete(req, NVMF_SC_SUCCESS,
			 c->cntlid | (q->auth ? NVMF_CONNECT_AUTHREQ_ATR : 0), 0);
}

static uint64_t cap_value(void)
{
	uint64_t cap = 0;

	cap |= CTL_MQES;		/* MQES */
	cap |= 1ull << 16;		/* CQR: contiguous queues required */
	cap |= 15ull << 24;		/* TO: 7.5 s */
	cap |= (uint64_t)NVMF_CAP_CSS_NVM << 37;	/* CSS: NVM command set */
	/* MPSMIN = MPSMAX = 0: 4 KiB pages. */
	return cap;
}

/* CSTS.SHST: shutdown processing complete. */
#define CSTS_SHST_COMPLETE (NVMF_CSTS_SHST_COMPLETE << NVMF_CSTS_SHST_SHIFT)

/*
 * The first CC field this controller cannot run with (Base 2.0, the CC property),
 * described into buf for the log, or NULL if CC is acceptable. CAP says
 * what is supported: 4 KiB pages only (MPSMIN = MPSMAX = 0), round robin
 * arbitration, the NVM command set; I/O queues of 64-byte SQ and 16-byte
 * CQ entries (over Fabrics the capsules carry exactly these), which a
 * discovery controller, having no I/O queues, need not be told.
 */
static const char *cc_bad_field(const struct ctl_ctrl *c, uint32_t cc, char *buf, size_t len)
{
	if (nvmf_cc_mps(cc) != 0)
		snprintf(buf, len, "CC.MPS %u: only 4 KiB pages (MPS 0) are supported",
			 nvmf_cc_mps(cc));
	else if (nvmf_cc_ams(cc) != 0)
		snprintf(buf, len, "CC.AMS %u: only round robin arbitration (AMS 0) is supported",
			 nvmf_cc_ams(cc));
	else if (nvmf_cc_css(cc) != 0)
		snprintf(buf, len, "CC.CSS %u: only the NVM command set (CSS 0) is supported",
			 nvmf_cc_css(cc));
	else if (!c->discovery && nvmf_cc_iosqes(cc) != 6)
		snprintf(buf, len, "CC.IOSQES %u: I/O submission queue entries are 64 bytes "
			 "(IOSQES 6)", nvmf_cc_iosqes(cc));
	else if (!c->discovery && nvmf_cc_iocqes(cc) != 4)
		snprintf(buf, len, "CC.IOCQES %u: I/O completion queue entries are 16 bytes "
			 "(IOCQES 4)", nvmf_cc_iocqes(cc));
	else
		return NULL;
	return buf;
}

/* CC write (Base 2.0, 3.6.1 enable, 3.6.2 shutdown). */
static void update_cc(struct ctl_ctrl *c, uint32_t cc)
{
	uint32_t old = c->cc;

	c->cc = cc;
	if ((cc & NVMF_CC_EN) && !(old & NVMF_CC_EN)) {
		char why[96];
		const char *bad = cc_bad_field(c, cc, why, sizeof(why));

		if (bad) {
			/* CSTS.CFS, as Linux's nvmet_start_ctrl does: the host
			 * sees a fatal status instead of waiting for RDY. */
			ctl_log(c->target, NVMF_LOG_WARN, "controller %u: CC %#x refused at enable: %s",
				c->cntlid, cc, bad);
			c->csts |= NVMF_CSTS_CFS;
		} else {
			c->csts |= NVMF_CSTS_RDY;
		}
	}
	if (!(cc & NVMF_CC_EN) && (old & NVMF_CC_EN)) {
		c->csts &= ~(NVMF_CSTS_RDY | NVMF_CSTS_CFS);
		c->cc = cc;
		/* Controller Level Reset (Base 2.0, 3.7.2): outstanding
		 * commands are aborted. The held AERs end as when the admin
		 * queue goes (ctl_queue_destroy), so that a host which
		 * enables the controller again on this queue can post new
		 * ones (they counted against AERL) and never gets stale
		 * completions for CIDs it reused. Linux's nvmet_clear_ctrl
		 * leaves them (its comment wonders whether to tear the queues
		 * down); Linux and SPDK hosts reconnect rather than re-enable,
		 * so nvmet gets away with it.
		 * Commands being executed complete as they would. */
		ctl_aer_abort_all(c);
	}
	if ((cc & NVMF_CC_SHN_MASK) && !(old & NVMF_CC_SHN_MASK)) {
		/* Nothing is cached in the target; data is in the backends, so
		 * the shutdown completes at once. */
		c->csts &= ~NVMF_CSTS_RDY;
		c->csts |= CSTS_SHST_COMPLETE;
	}
	if (!(cc & NVMF_CC_SHN_MASK) && (old & NVMF_CC_SHN_MASK))
		c->csts &= ~CSTS_SHST_COMPLETE;
}

static void exec_prop(struct ctl_req *req, bool set)
{
	struct ctl_queue *q = req->q;
	struct ctl_ctrl *c = q->ctrl;
	/* Property Get has Property Set's ATTRIB and OFST (bits 2:0 of ATTRIB
	 * give the size: 4 or 8 bytes). */
	uint8_t size = req->x.sqe[offsetof(struct nvmf_prop_set_cmd, attrib)] & 7;
	uint32_t ofst = nvmf_get_le32(req->x.sqe + offsetof(struct nvmf_prop_set_cmd, ofst));
	uint64_t v;

	if (!c) {
		ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		return;
	}
	if (q->x.qid != 0) {
		ctl_req_complete(req, NVMF_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
		return;
	}
	ctl_ctrl_touch(c);
	if (size > NVMF_PROP_ATTRIB_SIZE_8) {
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	if (set) {
		v = nvmf_get_le64(req->x.sqe + offsetof(struct nvmf_prop_set_cmd, value));
		if (ofst != NVMF_PROP_CC || size != NVMF_PROP_ATTRIB_SIZE_4) {
			ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
			return;
		}
		update_cc(c, (uint32_t)v);
		ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
		return;
	}
	/* Each property has one size (Fabrics 1.1, 3.5, Figure 34): CAP 8
	 * bytes, VS, CC and CSTS 4; an access of the other size is Invalid
	 * Field, as nvmet_execute_prop_get answers. */
	switch (ofst) {
	case NVMF_PROP_CAP:
		if (size != NVMF_PROP_ATTRIB_SIZE_8)
			goto bad;
		v = cap_value();
		break;
	case NVMF_PROP_VS:
		v = NVMF_VS(1, 3, 0);
		break;
	case NVMF_PROP_CC:
		v = c->cc;
		break;
	case NVMF_PROP_CSTS:
		v = c->csts;
		break;
	default:
		goto bad;
	}
	if (ofst != NVMF_PROP_CAP && size != NVMF_PROP_ATTRIB_SIZE_4)
		goto bad;
	ctl_req_complete(req, NVMF_SC_SUCCESS, (uint32_t)v, (uint32_t)(v >> 32));
	return;
bad:
	ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
}

void ctl_fabrics_exec(struct ctl_req *req)
{
	struct ctl_queue *q = req->q;

	switch (req->x.sqe[offsetof(struct nvmf_fabrics_cmd, fctype)]) {
	case NVMF_FCTYPE_CONNECT:
		exec_connect(req);
		break;
	case NVMF_FCTYPE_PROPERTY_GET:
		exec_prop(req, false);
		break;
	case NVMF_FCTYPE_PROPERTY_SET:
		exec_prop(req, true);
		break;
	case NVMF_FCTYPE_AUTH_SEND:
		ctl_auth_send(req);
		break;
	case NVMF_FCTYPE_AUTH_RECV:
		ctl_auth_recv(req);
		break;
	case NVMF_FCTYPE_DISCONNECT:
		if (!q->ctrl) {
			ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		} else if (q->x.qid == 0) {
			/* Disconnect is for I/O queues only: Invalid Queue Type
			 * (Fabrics 1.1, 3.4; SCT 1h SC 85h). Until the move to
			 * nvme.h's names this answered 190h, Discover Restart. */
			ctl_req_complete(req, NVMF_SC_INVALID_QUEUE_TYPE | CTL_DNR, 0, 0);
		} else {
			/* Complete, then the transport closes the queue once the
			 * response is out. */
			ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
			xp_cqueue_drop(&q->x, "Disconnect");
		}
		break;
	default:
		ctl_req_complete(req, NVMF_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
		break;
	}
}
