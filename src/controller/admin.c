/*
 * Admin commands (NVMe Base 2.0, 5): Identify, Set/Get Features, Keep
 * Alive, Asynchronous Event Request, Abort. Get Log Page is in logpage.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <nvmf/endian.h>

#include "controller/ctl.h"

/* ASCII fields of Identify are space padded, not NUL terminated. */
static void put_str(uint8_t *dst, size_t len, const char *s)
{
	size_t n = strlen(s);

	memset(dst, ' ', len);
	memcpy(dst, s, n < len ? n : len);
}

/* Returns up to len bytes of a C2H data structure: the host may give a
 * shorter SGL than the structure, never a longer transfer than asked. */
/*
 * A data structure into the command's buffer. An SGL longer than the
 * structure is filled to its end with zeroes, as nvmet does for the
 * discovery log and FreeBSD's target for log pages: a host may not accept a
 * successful command that moved less data than its SGL describes
 * (NVMe/TCP 1.0, 3.6.2.9; ours does not).
 */
static void reply_data(struct ctl_req *req, const void *buf, uint32_t len)
{
	uint32_t n = req->x.xfer_len < len ? req->x.xfer_len : len;

	memcpy(req->x.data, buf, n);
	memset(req->x.data + n, 0, req->x.xfer_len - n);
	ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
}

/* Byte offset of a field of Identify Controller (Base 2.0, Figure 275). */
#define IDC(f) offsetof(struct nvmf_id_ctrl, f)

static void identify_ctrl(struct ctl_req *req, uint8_t *id)
{
	struct ctl_ctrl *c = req->q->ctrl;
	struct ctl_target *t = c->target;

	nvmf_put_le16(id + IDC(vid), 0);
	put_str(id + IDC(sn), 20, c->subsys->serial);
	put_str(id + IDC(mn), 40, "nvmf-target");
	put_str(id + IDC(fr), 8, "0.1.0");
	id[IDC(rab)] = 6;
	id[IDC(mdts)] = t->opts.mdts;
	nvmf_put_le16(id + IDC(cntlid), c->cntlid);
	/*
	 * Version 1.3 (as Property Get's VS, fabrics.c), although CRDT1-3
	 * (bytes 133:128), the Host Behavior Support feature (16h) and the
	 * CQE's CRD (ctl_retry_status), like CNTRLTYPE, came with NVMe 1.4
	 * (TP 4033, Enhanced Command Retry): SPDK's target reported 1.3 with
	 * the same three (Linux's nvmet has neither CRDT nor FID 16h), and
	 * hosts read them whatever the version (Linux: nvme_init_identify,
	 * and nvme_configure_acre on CRDT1 alone; libnvmf: bringup.c). 1.4
	 * would claim its other mandatory parts, which this controller has
	 * not been checked against.
	 */
	nvmf_put_le32(id + IDC(ver), NVMF_VS(1, 3, 0));
	id[IDC(acl)] = 3;
	id[IDC(aerl)] = CTL_MAX_AER - 1;
	id[IDC(lpa)] = NVMF_LPA_EXTENDED;	/* Get Log Page offsets */
	id[IDC(elpe)] = CTL_ERRLOG_SLOTS - 1;
	nvmf_put_le16(id + IDC(kas), 1);	/* 100 ms granularity */
	nvmf_put_le16(id + IDC(maxcmd), CTL_MQES + 1);
	/* SGLs supported (bits 1:0), and SGL Offset (bit 20): the Address
	 * of a Data Block descriptor may give an offset, which for
	 * in-capsule data the transport honours (tcp/ctrl/conn.c), as
	 * nvmet and SPDK's target advertise it when they take in-capsule
	 * data (Linux's RDMA host sends in-capsule data only then). */
	nvmf_put_le32(id + IDC(sgls), 1u | NVMF_SGLS_OFFSET);
	memcpy(id + IDC(subnqn), c->subsys->nqn, strlen(c->subsys->nqn));
	if (c->discovery) {
		id[IDC(cntrltype)] = NVMF_CNTRLTYPE_DISCOVERY;
		nvmf_put_le32(id + IDC(oaes), NVMF_OAES_DISC_LOG_CHANGE);
		nvmf_put_le32(id + IDC(ioccsz), 4);
		nvmf_put_le32(id + IDC(iorcsz), 1);
		return;
	}
	id[IDC(cntrltype)] = NVMF_CNTRLTYPE_IO;
	/* Command Retry Delay Time 1 (Base 2.0, Figure 275), for the CRD 1 of
	 * a budget refusal (ctl_retry_status). CRDT2 and CRDT3 stay 0: no
	 * status asks for them. */
	nvmf_put_le16(id + IDC(crdt1), t->opts.crdt1);
	id[IDC(cmic)] = NVMF_CTRL_CMIC_MULTI_CTRL;	/* may have several controllers */
	nvmf_put_le32(id + IDC(oaes), NVMF_OAES_NS_ATTR);
	id[IDC(frmw)] = 0x03;		/* one slot, read only */
	nvmf_put_le16(id + IDC(wctemp), 0x157);
	nvmf_put_le16(id + IDC(cctemp), 0x175);
	id[IDC(sqes)] = 0x66;
	id[IDC(cqes)] = 0x44;
	nvmf_put_le32(id + IDC(nn), CTL_MAX_NS);
	/* Compare, Dataset Management, Write Zeroes. */
	nvmf_put_le16(id + IDC(oncs), NVMF_ONCS_COMPARE | NVMF_ONCS_DSM | NVMF_ONCS_WRITE_ZEROES);
	/* Volatile write cache present (Flush reaches the disk through
	 * fdatasync); Flush with NSID FFFFFFFFh supported. */
	id[IDC(vwc)] = NVMF_VWC_PRESENT | NVMF_VWC_FLUSH_BCAST_YES;
	/* IOCCSZ counts 16-byte units of SQE plus in-capsule data
	 * (Fabrics 1.1, 4.1). */
	nvmf_put_le32(id + IDC(ioccsz), (NVMF_SQE_SIZE + t->opts.io_icd) / 16);
	nvmf_put_le32(id + IDC(iorcsz), 1);
	nvmf_put_le16(id + IDC(icdoff), 0);
	id[IDC(fcatt)] = 0;		/* dynamic controller model */
	id[IDC(msdbd)] = 1;
}

static struct ctl_ns *ns_lookup(struct ctl_ctrl *c, uint32_t nsid)
{
	if (nsid == 0 || nsid > CTL_MAX_NS)
		return NULL;
	return c->subsys->ns[nsid];
}

/* Byte offset of a field of Identify Namespace (NVM Command Set 1.0, Figure 97). */
#define IDN(f) offsetof(struct nvmf_id_ns, f)

static uint16_t identify_ns(struct ctl_ctrl *c, uint32_t nsid, uint8_t *id)
{
	struct ctl_ns *ns;
	uint64_t nlb;

	if (nsid == 0 || nsid > CTL_MAX_NS)
		return NVMF_SC_INVALID_NS | CTL_DNR;
	ns = ns_lookup(c, nsid);
	if (!ns)
		return 0;	/* inactive: a zero-filled structure (5.17.2.1) */
	nlb = ns->size >> ns->lba_shift;
	nvmf_put_le64(id + IDN(nsze), nlb);
	nvmf_put_le64(id + IDN(ncap), nlb);
	nvmf_put_le64(id + IDN(nuse), nlb);
	id[IDN(nlbaf)] = 0;
	id[IDN(flbas)] = 0;
	id[IDN(nmic)] = NVMF_NMIC_SHARED;	/* may be attached to several controllers */
	/*
	 * DLFEAT: deallocated blocks read as zeroes (001b) and Write Zeroes
	 * honours DEAC (bit 3). It is true for every backend: a hole punch
	 * where the file system supports it, explicit zeroes elsewhere
	 * (backend.c), so deallocate never leaves stale data.
	 */
	id[IDN(dlfeat)] = NVMF_DLFEAT_WZ_DEAC | NVMF_DLFEAT_READ_ZEROES;
	id[IDN(nsattr)] = ns->ro ? 1 : 0;
	memcpy(id + IDN(nguid), ns->nguid, 16);
	id[IDN(lbaf[0].lbads)] = (uint8_t)ns->lba_shift;
	return 0;
}

static void exec_identify(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	uint8_t id[NVMF_IDENTIFY_DATA_LEN];
	uint32_t cdw10 = nvmf_get_le32(req->x.sqe + offsetof(struct nvmf_sqe, cdw10));
	uint32_t nsid = nvmf_get_le32(req->x.sqe + offsetof(struct nvmf_sqe, nsid));
	uint8_t cns = cdw10 & 0xFF;
	uint16_t st = 0;
	unsigned n = 0;

	if (!req->x.data || req->x.dir != XP_DIR_C2H) {
		ctl_req_complete(req, NVMF_SC_SGL_INVALID_DATA_LEN | CTL_DNR, 0, 0);
		return;
	}
	memset(id, 0, sizeof(id));
	if (c->discovery && cns != NVMF_CNS_CTRL) {
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	switch (cns) {
	case NVMF_CNS_CTRL:
		identify_ctrl(req, id);
		break;
	case NVMF_CNS_NS:
		st = identify_ns(c, nsid, id);
		break;
	case NVMF_CNS_ACTIVE_NS_LIST:
		/* Active NSIDs greater than NSID, ascending (5.17.2.2). */
		if (nsid >= 0xFFFFFFFEu) {
			st = NVMF_SC_INVALID_NS | CTL_DNR;
			break;
		}
		for (uint32_t i = nsid + 1; i <= CTL_MAX_NS && n < NVMF_NS_LIST_MAX; i++)
			if (c->subsys->ns[i])
				nvmf_put_le32(id + 4 * n++, i);
		break;
	case NVMF_CNS_NS_DESC_LIST: {
		struct ctl_ns *ns = ns_lookup(c, nsid);

		if (!ns) {
			st = NVMF_SC_INVALID_NS | CTL_DNR;
			break;
		}
		/* NGUID descriptor then Command Set Identifier (Figure 281). */
		uint8_t *d = id;

		d[offsetof(struct nvmf_ns_id_desc, nidt)] = NVMF_NIDT_NGUID;
		d[offsetof(struct nvmf_ns_id_desc, nidl)] = 16;
		memcpy(d + sizeof(struct nvmf_ns_id_desc), ns->nguid, 16);
		d += sizeof(struct nvmf_ns_id_desc) + 16;
		d[offsetof(struct nvmf_ns_id_desc, nidt)] = NVMF_NIDT_CSI;
		d[offsetof(struct nvmf_ns_id_desc, nidl)] = 1;
		d[sizeof(struct nvmf_ns_id_desc)] = 0;	/* NVM command set */
		break;
	}
	default:
		st = NVMF_SC_INVALID_FIELD | CTL_DNR;
		break;
	}
	if (st) {
		ctl_req_complete(req, st, 0, 0);
		return;
	}
	reply_data(req, id, sizeof(id));
}

/*
 * Host Behavior Support (FID 16h; Base 2.0, Set Features, Host Behavior
 * Support): a 512-byte structure, per controller, not saveable. Of the
 * fields Base 2.0 defines, ACRE (byte 0: honour CRD, ctl_retry_status),
 * ETDAS (1) and LBAFEE (2) are 0 or 1; the host's choice is kept and read
 * back, only ACRE changes what the controller does. Anything else in a
 * field, a reserved byte that is not 0 or a transfer that is not the
 * 512 bytes is Invalid Field, as SPDK's target answers
 * (nvmf_ctrlr_set_features_host_behavior_support).
 */
static uint16_t set_host_behavior(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	const uint8_t *d = req->x.data;

	if (c->discovery || !d || req->x.dir != XP_DIR_H2C ||
	    req->x.xfer_len != NVMF_HOST_BEHAVIOR_LEN)
		return NVMF_SC_INVALID_FIELD | CTL_DNR;
	for (unsigned i = 0; i < NVMF_HOST_BEHAVIOR_LEN; i++)
		if (d[i] > (i < sizeof(c->host_behavior) ? 1 : 0))
			return NVMF_SC_INVALID_FIELD | CTL_DNR;
	memcpy(c->host_behavior, d, sizeof(c->host_behavior));
	return 0;
}

/* Get Features of FID 16h: the current value, or for the default (and, as
 * nothing is saved, the saved one) all zero; dw0 for SEL 011b. */
static void get_host_behavior(struct ctl_req *req, uint8_t sel)
{
	struct ctl_ctrl *c = req->q->ctrl;
	uint8_t hb[NVMF_HOST_BEHAVIOR_LEN];
	uint32_t n;

	if (c->discovery || !req->x.data || req->x.dir != XP_DIR_C2H ||
	    req->x.xfer_len < NVMF_HOST_BEHAVIOR_LEN || sel > NVMF_FEAT_SEL_SUPPORTED) {
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	memset(hb, 0, sizeof(hb));
	if (sel == NVMF_FEAT_SEL_CURRENT)
		memcpy(hb, c->host_behavior, sizeof(c->host_behavior));
	n = sel == NVMF_FEAT_SEL_SUPPORTED ? 0 : sizeof(hb);
	memcpy(req->x.data, hb, n);
	memset(req->x.data + n, 0, req->x.xfer_len - n);
	/* Supported capabilities: changeable, not saveable, not per namespace. */
	ctl_req_complete(req, NVMF_SC_SUCCESS, sel == NVMF_FEAT_SEL_SUPPORTED ? 0x4 : 0, 0);
}

static void exec_set_features(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	uint32_t cdw10 = nvmf_get_le32(req->x.sqe + offsetof(struct nvmf_sqe, cdw10));
	uint32_t cdw11 = nvmf_get_le32(req->x.sqe + offsetof(struct nvmf_sqe, cdw11));
	uint8_t fid = cdw10 & 0xFF;

	if (cdw10 & NVMF_FEAT_SV) {
		ctl_req_complete(req, NVMF_SC_FEATURE_NOT_SAVEABLE | CTL_DNR, 0, 0);
		return;
	}
	switch (fid) {
	case NVMF_FID_NUM_QUEUES: {
		uint32_t nsq = (cdw11 & 0xFFFF) + 1, ncq = (cdw11 >> 16) + 1, n;

		if (c->discovery || (cdw11 & 0xFFFF) == 0xFFFF || (cdw11 >> 16) == 0xFFFF) {
			ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
			return;
		}
		for (unsigned i = 1; i <= CTL_MAX_IOQ; i++) {
			if (c->queues[i]) {
				/* Queues exist: the count may not change (5.27.1.5). */
				ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
				return;
			}
		}
		if (nsq > c->target->opts.max_ioq)
			nsq = c->target->opts.max_ioq;
		if (ncq > c->target->opts.max_ioq)
			ncq = c->target->opts.max_ioq;
		n = nsq < ncq ? nsq : ncq;
		c->nioq = (uint16_t)n;
		c->nioq_set = true;
		ctl_req_complete(req, NVMF_SC_SUCCESS, ((n - 1) << 16) | (n - 1), 0);
		return;
	}
	case NVMF_FID_ASYNC_EVENT:
		c->aen_cfg = cdw11 & (c->discovery ? NVMF_AEC_DISC_LOG_CHANGE : NVMF_AEC_NS_ATTR);
		ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
		return;
	case NVMF_FID_KEEP_ALIVE:
		ctl_ctrl_set_kato(c, ctl_kato_round(cdw11));
		ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
		return;
	case NVMF_FID_VOLATILE_WC:
		if (!c->discovery) {
			ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
			return;
		}
		break;
	case NVMF_FID_HOST_BEHAVIOR:
		ctl_req_complete(req, set_host_behavior(req), 0, 0);
		return;
	default:
		break;
	}
	ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
}

static void exec_get_features(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	uint32_t cdw10 = nvmf_get_le32(req->x.sqe + offsetof(struct nvmf_sqe, cdw10));
	uint8_t fid = cdw10 & 0xFF, sel = (cdw10 >> 8) & 7;
	/* Nothing is saved: the saved value is the default. */
	bool dflt = sel == NVMF_FEAT_SEL_DEFAULT || sel == NVMF_FEAT_SEL_SAVED;
	uint32_t v;
	uint16_t maxq = c->target->opts.max_ioq;

	if (fid == NVMF_FID_HOST_BEHAVIOR) {
		get_host_behavior(req, sel);
		return;
	}
	switch (fid) {
	case NVMF_FID_NUM_QUEUES:
		if (c->discovery)
			goto bad;
		v = dflt ? ((uint32_t)(maxq - 1) << 16) | (maxq - 1u)
			 : ((uint32_t)(c->nioq - 1) << 16) | (c->nioq - 1u);
		break;
	case NVMF_FID_ASYNC_EVENT:
		v = dflt ? 0 : c->aen_cfg;
		break;
	case NVMF_FID_KEEP_ALIVE:
		v = dflt ? 0 : c->kato_ms;
		break;
	case NVMF_FID_VOLATILE_WC:
		if (c->discovery)
			goto bad;
		v = 1;
		break;
	default:
		goto bad;
	}
	if (sel == NVMF_FEAT_SEL_SUPPORTED)
		v = 0x4;	/* changeable, not saveable, not per namespace */
	else if (sel > NVMF_FEAT_SEL_SUPPORTED)
		goto bad;
	ctl_req_complete(req, NVMF_SC_SUCCESS, v, 0);
	return;
bad:
	ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
}

bool ctl_admin_opcode_ok(const struct ctl_ctrl *c, uint8_t opc)
{
	switch (opc) {
	case NVMF_ADM_IDENTIFY:
	case NVMF_ADM_GET_LOG_PAGE:
	case NVMF_ADM_SET_FEATURES:
	case NVMF_ADM_GET_FEATURES:
	case NVMF_ADM_KEEP_ALIVE:
	case NVMF_ADM_ASYNC_EVENT:
		return true;
	case NVMF_ADM_ABORT:
		return !c->discovery;
	default:
		return false;
	}
}

void ctl_admin_exec(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	uint8_t opc = req->x.sqe[offsetof(struct nvmf_sqe, opcode)];

	if (!ctl_admin_opcode_ok(c, opc))
		goto unsupported;
	switch (opc) {
	case NVMF_ADM_IDENTIFY:
		exec_identify(req);
		return;
	case NVMF_ADM_GET_LOG_PAGE:
		ctl_get_log_page(req);
		return;
	case NVMF_ADM_SET_FEATURES:
		exec_set_features(req);
		return;
	case NVMF_ADM_GET_FEATURES:
		exec_get_features(req);
		return;
	case NVMF_ADM_KEEP_ALIVE:
		ctl_ctrl_touch(c);
		ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
		return;
	case NVMF_ADM_ASYNC_EVENT:
		ctl_aer_submit(req);
		return;
	case NVMF_ADM_ABORT:
		/* Commands run to completion quickly: report "not aborted". */
		if (!c->discovery) {
			ctl_req_complete(req, NVMF_SC_SUCCESS, 1, 0);
			return;
		}
		break;
	default:
		break;
	}
unsupported:
	ctl_log(c->target, NVMF_LOG_INFO, "%s: admin opcode %#x not supported", req->q->x.peer, opc);
	ctl_req_complete(req, NVMF_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
}
