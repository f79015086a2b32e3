/*
 * NVM command set I/O commands (NVM Command Set 1.0, 3): Read, Write,
 * Compare, Flush, Write Zeroes, Dataset Management. This file validates
 * (namespace, LBA range, transfer length, write protection) and hands the
 * work to the backend (backend.c).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>

#include "controller/ctl.h"

/* SLBA + NLB within the namespace, without overflow. */
static bool lba_ok(const struct ctl_ns *ns, uint64_t slba, uint64_t nlb)
{
	uint64_t cap = ns->size >> ns->lba_shift;

	return slba <= cap && nlb <= cap - slba;
}

static void flush_all(struct ctl_req *req)
{
	struct ctl_subsys *s = req->q->ctrl->subsys;
	struct ctl_ns **list;
	unsigned n = 0;

	list = ctl_req_aux_get(req, (CTL_MAX_NS + 1) * sizeof(*list));
	if (!list) {
		ctl_req_complete(req, NVMF_SC_INTERNAL_ERROR, 0, 0);
		return;
	}
	for (uint32_t i = 1; i <= CTL_MAX_NS; i++) {
		if (s->ns[i] && !s->ns[i]->ro && s->ns[i]->type != CTL_BE_RAM) {
			s->ns[i]->refs++;
			list[n++] = s->ns[i];
		}
	}
	list[n] = NULL;		/* the end of the list (the buffer is not zeroed) */
	ctl_backend_submit(req);
}

uint16_t ctl_io_check(struct ctl_queue *q, const uint8_t *sqe, uint32_t len, struct ctl_ns **nsp)
{
	struct ctl_ctrl *c = q->ctrl;
	uint8_t opc = sqe[offsetof(struct nvmf_sqe, opcode)];
	uint32_t nsid = nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, nsid));
	uint64_t slba = nvmf_get_le64(sqe + offsetof(struct nvmf_sqe, cdw10));
	uint32_t cdw12 = nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, cdw12));
	uint64_t nlb = nvmf_rw_nblocks(cdw12);
	struct ctl_ns *ns;

	*nsp = NULL;
	if (opc == NVMF_NVM_FLUSH && nsid == NVMF_NSID_ALL)
		return 0;
	ns = nsid && nsid <= CTL_MAX_NS ? c->subsys->ns[nsid] : NULL;
	if (!ns)
		return NVMF_SC_INVALID_NS | CTL_DNR;
	*nsp = ns;
	switch (opc) {
	case NVMF_NVM_READ:
	case NVMF_NVM_WRITE:
	case NVMF_NVM_COMPARE:
		if (!lba_ok(ns, slba, nlb))
			return NVMF_SC_LBA_OUT_OF_RANGE | CTL_DNR;
		/* The SGL must describe exactly NLB blocks (Base 2.0, 4.1.2). */
		if (len != nlb << ns->lba_shift) {
			ctl_log(c->target, NVMF_LOG_INFO, "%s: cid %u: SGL length %u for %llu blocks of %u bytes",
				q->x.peer, nvmf_get_le16(sqe + offsetof(struct nvmf_sqe, cid)), len,
				(unsigned long long)nlb, 1u << ns->lba_shift);
			return NVMF_SC_SGL_INVALID_DATA_LEN | CTL_DNR;
		}
		if (opc == NVMF_NVM_WRITE && ns->ro)
			return NVMF_SC_WRITE_TO_RO_RANGE | CTL_DNR;
		return 0;
	case NVMF_NVM_FLUSH:
		return 0;
	case NVMF_NVM_WRITE_ZEROES:
		if (!lba_ok(ns, slba, nlb))
			return NVMF_SC_LBA_OUT_OF_RANGE | CTL_DNR;
		if (ns->ro)
			return NVMF_SC_WRITE_TO_RO_RANGE | CTL_DNR;
		return 0;
	case NVMF_NVM_DSM: {
		uint32_t nr = (nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, cdw10)) & 0xFF) + 1;
		uint32_t attr = nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, cdw11));

		if (len < nr * sizeof(struct nvmf_dsm_range))
			return NVMF_SC_SGL_INVALID_DATA_LEN | CTL_DNR;
		/* Only the integral read/write hints: nothing to do, even on a
		 * read-only namespace. The ranges are checked with the data. */
		if ((attr & NVMF_DSM_AD) && ns->ro)
			return NVMF_SC_WRITE_TO_RO_RANGE | CTL_DNR;
		return 0;
	}
	default:
		return NVMF_SC_INVALID_OPCODE | CTL_DNR;
	}
}

void ctl_io_exec(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	const uint8_t *sqe = req->x.sqe;
	uint8_t opc = sqe[offsetof(struct nvmf_sqe, opcode)];
	uint64_t slba = nvmf_get_le64(sqe + offsetof(struct nvmf_sqe, cdw10));
	uint32_t cdw12 = nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, cdw12));
	uint64_t nlb = nvmf_rw_nblocks(cdw12);
	struct ctl_ns *ns;
	uint16_t st;

	/* Checked again: the namespace may have changed since prepare. */
	st = ctl_io_check(req->q, sqe, req->x.xfer_len, &ns);
	if (!st && !req->x.data && opc != NVMF_NVM_FLUSH && opc != NVMF_NVM_WRITE_ZEROES)
		st = NVMF_SC_SGL_INVALID_DATA_LEN | CTL_DNR;
	if (st) {
		ctl_req_complete(req, st, 0, 0);
		return;
	}
	if (!ns) {
		flush_all(req);
		return;
	}
	switch (opc) {
	case NVMF_NVM_READ:
	case NVMF_NVM_WRITE:
	case NVMF_NVM_COMPARE:
		if (opc == NVMF_NVM_COMPARE) {
			if (!ctl_req_aux_get(req, req->x.xfer_len)) {
				ctl_req_complete(req, NVMF_SC_INTERNAL_ERROR, 0, 0);
				return;
			}
		}
		req->io_off = slba << ns->lba_shift;
		req->io_len = req->x.xfer_len;
		if (opc == NVMF_NVM_WRITE) {
			c->host_writes++;
			c->units_written += req->io_len >> 9;
		} else {
			c->host_reads++;
			c->units_read += req->io_len >> 9;
		}
		break;
	case NVMF_NVM_FLUSH:
		break;
	case NVMF_NVM_WRITE_ZEROES:
		req->io_off = slba << ns->lba_shift;
		req->io_len = nlb << ns->lba_shift;
		req->deac = (cdw12 & NVMF_WZ_DEAC) != 0;
		break;
	case NVMF_NVM_DSM: {
		uint32_t nr = (nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, cdw10)) & 0xFF) + 1;
		uint32_t attr = nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, cdw11));

		if (!(attr & NVMF_DSM_AD)) {
			/* Only the integral read/write hints: nothing to do. */
			ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
			return;
		}
		for (uint32_t i = 0; i < nr; i++) {
			const uint8_t *r = req->x.data + sizeof(struct nvmf_dsm_range) * i;

			if (!lba_ok(ns, nvmf_get_le64(r + offsetof(struct nvmf_dsm_range, slba)),
				    nvmf_get_le32(r + offsetof(struct nvmf_dsm_range, nlb)))) {
				ctl_req_complete(req, NVMF_SC_LBA_OUT_OF_RANGE | CTL_DNR, 0, 0);
				return;
			}
		}
		break;
	}
	default:
		/* ctl_io_check refused every other opcode. */
		ctl_req_complete(req, NVMF_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
		return;
	}
	ns->refs++;
	req->ns = ns;
	ctl_backend_submit(req);
}
