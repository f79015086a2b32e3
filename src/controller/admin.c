/*
 * Admin commands (NVMe Base 2.0, 5): Identify, Set/Get Features, Keep
 * Alive, Asynchronous Event Request, Abort. Get Log Page is in logpage.c.
 */
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
static void reply_data(struct ctl_req *req, const void *buf, uint32_t len)
{
	if (req->xfer_len > len)
		req->xfer_len = len;
	memcpy(req->data, buf, req->xfer_len);
	ctl_req_complete(req, CTL_SC_SUCCESS, 0, 0);
}

static void identify_ctrl(struct ctl_req *req, uint8_t *id)
{
	struct ctl_ctrl *c = req->q->ctrl;
	struct ctl_target *t = c->target;

	nvmf_put_le16(id + CTL_IDC_VID, 0);
	put_str(id + CTL_IDC_SN, 20, c->subsys->serial);
	put_str(id + CTL_IDC_MN, 40, "nvmf-target");
	put_str(id + CTL_IDC_FR, 8, "0.1.0");
	id[CTL_IDC_RAB] = 6;
	id[CTL_IDC_MDTS] = t->opts.mdts;
	nvmf_put_le16(id + CTL_IDC_CNTLID, c->cntlid);
	nvmf_put_le32(id + CTL_IDC_VER, 0x00010300);
	id[CTL_IDC_ACL] = 3;
	id[CTL_IDC_AERL] = CTL_MAX_AER - 1;
	id[CTL_IDC_LPA] = 0x04;		/* extended data for Get Log Page (offsets) */
	id[CTL_IDC_ELPE] = CTL_ERRLOG_SLOTS - 1;
	nvmf_put_le16(id + CTL_IDC_KAS, 1);	/* 100 ms granularity */
	nvmf_put_le16(id + CTL_IDC_MAXCMD, CTL_MQES + 1);
	/* SGLs supported, with the Offset subtype for in-capsule data. */
	nvmf_put_le32(id + CTL_IDC_SGLS, 1u | (1u << 20));
	memcpy(id + CTL_IDC_SUBNQN, c->subsys->nqn, strlen(c->subsys->nqn));
	if (c->discovery) {
		id[CTL_IDC_CNTRLTYPE] = 2;
		nvmf_put_le32(id + CTL_IDC_OAES, 1u << 31);	/* discovery log change */
		nvmf_put_le32(id + CTL_IDC_IOCCSZ, 4);
		nvmf_put_le32(id + CTL_IDC_IORCSZ, 1);
		return;
	}
	id[CTL_IDC_CNTRLTYPE] = 1;
	id[CTL_IDC_CMIC] = 0x02;		/* may have several controllers */
	nvmf_put_le32(id + CTL_IDC_OAES, 1u << 8);	/* namespace attribute notices */
	id[CTL_IDC_FRMW] = 0x03;		/* one slot, read only */
	nvmf_put_le16(id + CTL_IDC_WCTEMP, 0x157);
	nvmf_put_le16(id + CTL_IDC_CCTEMP, 0x175);
	id[CTL_IDC_SQES] = 0x66;
	id[CTL_IDC_CQES] = 0x44;
	nvmf_put_le32(id + CTL_IDC_NN, CTL_MAX_NS);
	/* Compare, Dataset Management, Write Zeroes. */
	nvmf_put_le16(id + CTL_IDC_ONCS, 0x01 | 0x04 | 0x08);
	/* Volatile write cache present (Flush reaches the disk through
	 * fdatasync); Flush with NSID FFFFFFFFh supported. */
	id[CTL_IDC_VWC] = 0x07;
	/* IOCCSZ counts 16-byte units of SQE plus in-capsule data
	 * (Fabrics 1.1, 4.1). */
	nvmf_put_le32(id + CTL_IDC_IOCCSZ, (64 + t->opts.io_icd) / 16);
	nvmf_put_le32(id + CTL_IDC_IORCSZ, 1);
	nvmf_put_le16(id + CTL_IDC_ICDOFF, 0);
	id[CTL_IDC_FCATT] = 0;			/* dynamic controller model */
	id[CTL_IDC_MSDBD] = 1;
}

static struct ctl_ns *ns_lookup(struct ctl_ctrl *c, uint32_t nsid)
{
	if (nsid == 0 || nsid > CTL_MAX_NS)
		return NULL;
	return c->subsys->ns[nsid];
}

static uint16_t identify_ns(struct ctl_ctrl *c, uint32_t nsid, uint8_t *id)
{
	struct ctl_ns *ns;
	uint64_t nlb;

	if (nsid == 0 || nsid > CTL_MAX_NS)
		return CTL_SC_INVALID_NS | CTL_DNR;
	ns = ns_lookup(c, nsid);
	if (!ns)
		return 0;	/* inactive: a zero-filled structure (5.17.2.1) */
	nlb = ns->size >> ns->lba_shift;
	nvmf_put_le64(id + CTL_IDN_NSZE, nlb);
	nvmf_put_le64(id + CTL_IDN_NCAP, nlb);
	nvmf_put_le64(id + CTL_IDN_NUSE, nlb);
	id[CTL_IDN_NLBAF] = 0;
	id[CTL_IDN_FLBAS] = 0;
	id[CTL_IDN_NMIC] = 1;	/* may be attached to several controllers */
	/*
	 * DLFEAT: deallocated blocks read as zeroes (001b) and Write Zeroes
	 * honours DEAC (bit 3). It is true for every backend: a hole punch
	 * where the file system supports it, explicit zeroes elsewhere
	 * (backend.c), so deallocate never leaves stale data.
	 */
	id[CTL_IDN_DLFEAT] = 0x08 | 0x01;
	id[CTL_IDN_NSATTR] = ns->ro ? 1 : 0;
	memcpy(id + CTL_IDN_NGUID, ns->nguid, 16);
	id[CTL_IDN_LBAF0 + 2] = (uint8_t)ns->lba_shift;
	return 0;
}

static void exec_identify(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	uint8_t id[CTL_ID_LEN];
	uint32_t cdw10 = nvmf_get_le32(req->sqe + CTL_SQE_CDW10);
	uint32_t nsid = nvmf_get_le32(req->sqe + CTL_SQE_NSID);
	uint8_t cns = cdw10 & 0xFF;
	uint16_t st = 0;
	unsigned n = 0;

	if (!req->data || req->dir != CTL_DIR_C2H) {
		ctl_req_complete(req, CTL_SC_SGL_LEN_INVALID | CTL_DNR, 0, 0);
		return;
	}
	memset(id, 0, sizeof(id));
	if (c->discovery && cns != CTL_CNS_CTRL) {
		ctl_req_complete(req, CTL_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	switch (cns) {
	case CTL_CNS_CTRL:
		identify_ctrl(req, id);
		break;
	case CTL_CNS_NS:
		st = identify_ns(c, nsid, id);
		break;
	case CTL_CNS_NS_LIST:
		/* Active NSIDs greater than NSID, ascending (5.17.2.2). */
		if (nsid >= 0xFFFFFFFEu) {
			st = CTL_SC_INVALID_NS | CTL_DNR;
			break;
		}
		for (uint32_t i = nsid + 1; i <= CTL_MAX_NS && n < 1024; i++)
			if (c->subsys->ns[i])
				nvmf_put_le32(id + 4 * n++, i);
		break;
	case CTL_CNS_NS_DESC: {
		struct ctl_ns *ns = ns_lookup(c, nsid);

		if (!ns) {
			st = CTL_SC_INVALID_NS | CTL_DNR;
			break;
		}
		/* NGUID descriptor then Command Set Identifier (Figure 281). */
		id[0] = 2;
		id[1] = 16;
		memcpy(id + 4, ns->nguid, 16);
		id[20] = 4;
		id[21] = 1;
		id[24] = 0;	/* NVM command set */
		break;
	}
	default:
		st = CTL_SC_INVALID_FIELD | CTL_DNR;
		break;
	}
	if (st) {
		ctl_req_complete(req, st, 0, 0);
		return;
	}
	reply_data(req, id, sizeof(id));
}

static uint32_t round_kato(uint32_t kato)
{
	if (kato % 100 && kato < 0xFFFFFFFFu - 100)
		kato += 100 - kato % 100;
	return kato;
}

static void exec_set_features(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	uint32_t cdw10 = nvmf_get_le32(req->sqe + CTL_SQE_CDW10);
	uint32_t cdw11 = nvmf_get_le32(req->sqe + CTL_SQE_CDW11);
	uint8_t fid = cdw10 & 0xFF;

	if (cdw10 & (1u << 31)) {
		ctl_req_complete(req, CTL_SC_FEAT_NOT_SAVEABLE | CTL_DNR, 0, 0);
		return;
	}
	switch (fid) {
	case CTL_FID_NUM_QUEUES: {
		uint32_t nsq = (cdw11 & 0xFFFF) + 1, ncq = (cdw11 >> 16) + 1, n;

		if (c->discovery || (cdw11 & 0xFFFF) == 0xFFFF || (cdw11 >> 16) == 0xFFFF) {
			ctl_req_complete(req, CTL_SC_INVALID_FIELD | CTL_DNR, 0, 0);
			return;
		}
		for (unsigned i = 1; i <= CTL_MAX_IOQ; i++) {
			if (c->queues[i]) {
				/* Queues exist: the count may not change (5.27.1.5). */
				ctl_req_complete(req, CTL_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
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
		ctl_req_complete(req, CTL_SC_SUCCESS, ((n - 1) << 16) | (n - 1), 0);
		return;
	}
	case CTL_FID_ASYNC_CFG:
		c->aen_cfg = cdw11 & (c->discovery ? CTL_AEN_CFG_DISC_LOG : CTL_AEN_CFG_NS_ATTR);
		ctl_req_complete(req, CTL_SC_SUCCESS, 0, 0);
		return;
	case CTL_FID_KATO:
		ctl_ctrl_set_kato(c, round_kato(cdw11));
		ctl_req_complete(req, CTL_SC_SUCCESS, 0, 0);
		return;
	case CTL_FID_VWC:
		if (!c->discovery) {
			ctl_req_complete(req, CTL_SC_SUCCESS, 0, 0);
			return;
		}
		break;
	default:
		break;
	}
	ctl_req_complete(req, CTL_SC_INVALID_FIELD | CTL_DNR, 0, 0);
}

static void exec_get_features(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	uint32_t cdw10 = nvmf_get_le32(req->sqe + CTL_SQE_CDW10);
	uint8_t fid = cdw10 & 0xFF, sel = (cdw10 >> 8) & 7;
	uint32_t v;
	uint16_t maxq = c->target->opts.max_ioq;

	switch (fid) {
	case CTL_FID_NUM_QUEUES:
		if (c->discovery)
			goto bad;
		v = sel == 1 || sel == 2 ? ((uint32_t)(maxq - 1) << 16) | (maxq - 1u)
					 : ((uint32_t)(c->nioq - 1) << 16) | (c->nioq - 1u);
		break;
	case CTL_FID_ASYNC_CFG:
		v = sel == 1 || sel == 2 ? 0 : c->aen_cfg;
		break;
	case CTL_FID_KATO:
		v = sel == 1 || sel == 2 ? 0 : c->kato_ms;
		break;
	case CTL_FID_VWC:
		if (c->discovery)
			goto bad;
		v = 1;
		break;
	default:
		goto bad;
	}
	if (sel == 3)
		v = 0x4;	/* changeable, not saveable, not per namespace */
	else if (sel > 3)
		goto bad;
	ctl_req_complete(req, CTL_SC_SUCCESS, v, 0);
	return;
bad:
	ctl_req_complete(req, CTL_SC_INVALID_FIELD | CTL_DNR, 0, 0);
}

void ctl_admin_exec(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	uint8_t opc = req->sqe[CTL_SQE_OPC];

	switch (opc) {
	case CTL_ADM_IDENTIFY:
		exec_identify(req);
		return;
	case CTL_ADM_GET_LOG_PAGE:
		ctl_get_log_page(req);
		return;
	case CTL_ADM_SET_FEATURES:
		exec_set_features(req);
		return;
	case CTL_ADM_GET_FEATURES:
		exec_get_features(req);
		return;
	case CTL_ADM_KEEP_ALIVE:
		ctl_ctrl_touch(c);
		ctl_req_complete(req, CTL_SC_SUCCESS, 0, 0);
		return;
	case CTL_ADM_AER:
		ctl_aer_submit(req);
		return;
	case CTL_ADM_ABORT:
		/* Commands run to completion quickly: report "not aborted". */
		if (!c->discovery) {
			ctl_req_complete(req, CTL_SC_SUCCESS, 1, 0);
			return;
		}
		break;
	default:
		break;
	}
	ctl_log(c->target, 1, "%s: admin opcode %#x not supported", req->q->peer, opc);
	ctl_req_complete(req, CTL_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
}
