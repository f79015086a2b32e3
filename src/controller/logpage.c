/*
 * Get Log Page (NVMe Base 2.0, 5.16): error information, SMART / health,
 * firmware slot, changed namespace list, and the discovery log page
 * (NVMe over Fabrics 1.1, 5.3). Offsets (LPO) and lengths (NUMD) are
 * honoured for every page; each page is built whole and the window copied.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>

#include "controller/ctl.h"

static void put_padded(uint8_t *dst, size_t len, const char *s)
{
	size_t n = strlen(s);

	memset(dst, ' ', len);
	memcpy(dst, s, n < len ? n : len);
}

/* Byte offset of a field of a discovery log entry (Base 2.0, 5.16.1.23). */
#define DLE(f) offsetof(struct nvmf_disc_entry, f)

/* Discovery log: one entry per I/O subsystem the host may use and per
 * address serving I/O. Returns a malloc'ed page and its size. */
static uint8_t *build_discovery(struct ctl_ctrl *c, const char *q_addr, size_t *len)
{
	struct ctl_target *t = c->target;
	uint64_t numrec = 0;
	uint8_t *p, *e;

	for (struct ctl_subsys *s = t->subsys; s; s = s->next)
		if (ctl_subsys_host_allowed(s, c->hostnqn))
			for (unsigned i = 0; i < t->nlisteners; i++)
				numrec += t->listeners[i].io;
	*len = sizeof(struct nvmf_disc_log_hdr) + numrec * sizeof(struct nvmf_disc_entry);
	p = calloc(1, *len);
	if (!p)
		return NULL;
	nvmf_put_le64(p + offsetof(struct nvmf_disc_log_hdr, genctr), t->genctr);
	nvmf_put_le64(p + offsetof(struct nvmf_disc_log_hdr, numrec), numrec);
	nvmf_put_le16(p + offsetof(struct nvmf_disc_log_hdr, recfmt), 0);
	e = p + sizeof(struct nvmf_disc_log_hdr);
	for (struct ctl_subsys *s = t->subsys; s; s = s->next) {
		if (!ctl_subsys_host_allowed(s, c->hostnqn))
			continue;
		for (unsigned i = 0; i < t->nlisteners; i++) {
			const struct ctl_listener *l = &t->listeners[i];

			if (!l->io)
				continue;
			e[DLE(trtype)] = NVMF_DISC_TRTYPE_TCP;
			e[DLE(adrfam)] = (uint8_t)l->adrfam;
			e[DLE(subtype)] = NVMF_DISC_SUBTYPE_NVME;
			/* TREQ: whether TLS is required (NVMe-oF 1.1, Figure
			 * 38 as TP 8011 amends it); TSAS: which TLS. */
			e[DLE(treq)] = (t->opts.tls == XP_TLS_REQUIRED
						? NVMF_DISC_TREQ_SECURE_REQUIRED
						: NVMF_DISC_TREQ_SECURE_NOT_REQUIRED) |
				       NVMF_DISC_TREQ_SQFC_DISABLE_OK;
			nvmf_put_le16(e + DLE(portid), l->portid);
			nvmf_put_le16(e + DLE(cntlid), NVMF_CNTLID_DYNAMIC);
			nvmf_put_le16(e + DLE(asqsz), 32);
			put_padded(e + DLE(trsvcid), NVMF_TRSVCID_FIELD_LEN, l->trsvcid);
			memcpy(e + DLE(subnqn), s->nqn, strlen(s->nqn));
			/* A wildcard listener is reported with the address this
			 * host reached, which is one it can use. */
			put_padded(e + DLE(traddr), NVMF_TRADDR_FIELD_LEN,
				   (strcmp(l->traddr, "0.0.0.0") == 0 || strcmp(l->traddr, "::") == 0) &&
				   q_addr[0] ? q_addr : l->traddr);
			e[DLE(tsas.tcp.sectype)] = t->opts.tls == XP_TLS_NONE
							   ? NVMF_DISC_SECTYPE_NONE
							   : NVMF_DISC_SECTYPE_TLS13;
			e += sizeof(struct nvmf_disc_entry);
		}
	}
	return p;
}

static uint8_t *build_error(struct ctl_ctrl *c, size_t *len)
{
	uint8_t *p;
	uint64_t n = c->errcount < CTL_ERRLOG_SLOTS ? c->errcount : CTL_ERRLOG_SLOTS;

	*len = sizeof(struct nvmf_error_log_entry) * CTL_ERRLOG_SLOTS;
	p = calloc(1, *len);
	if (!p)
		return NULL;
	/* Newest first (5.16.1.2). */
	for (uint64_t i = 0; i < n; i++)
		memcpy(p + sizeof(c->errlog[0]) * i,
		       c->errlog[(c->errcount - 1 - i) % CTL_ERRLOG_SLOTS], sizeof(c->errlog[0]));
	return p;
}

static void put_le128(uint8_t *p, uint64_t v)
{
	nvmf_put_le64(p, v);
	nvmf_put_le64(p + 8, 0);
}

static uint8_t *build_smart(struct ctl_ctrl *c, size_t *len)
{
	uint8_t *p;
	uint64_t hours = (ctl_now_ms(c->target) - c->start_ms) / 3600000u;

#define SMART(f) offsetof(struct nvmf_smart_log, f)
	*len = sizeof(struct nvmf_smart_log);
	p = calloc(1, *len);
	if (!p)
		return NULL;
	nvmf_put_le16(p + SMART(temperature), 0x13F);	/* 319 K: a plausible temperature */
	p[SMART(avail_spare)] = 100;			/* % */
	p[SMART(spare_thresh)] = 10;
	/* Data units are thousands of 512-byte units, rounded up. */
	put_le128(p + SMART(data_units_read), (c->units_read + 999) / 1000);
	put_le128(p + SMART(data_units_written), (c->units_written + 999) / 1000);
	put_le128(p + SMART(host_reads), c->host_reads);
	put_le128(p + SMART(host_writes), c->host_writes);
	put_le128(p + SMART(power_on_hours), hours);
	put_le128(p + SMART(num_err_log_entries), c->errcount);
	return p;
#undef SMART
}

static uint8_t *build_fw_slot(size_t *len)
{
	uint8_t *p;

	*len = sizeof(struct nvmf_fw_slot_log);
	p = calloc(1, *len);
	if (!p)
		return NULL;
	p[offsetof(struct nvmf_fw_slot_log, afi)] = 1;	/* slot 1 active */
	put_padded(p + offsetof(struct nvmf_fw_slot_log, frs), 8, "0.1.0");
	return p;
}

static uint8_t *build_changed_ns(struct ctl_ctrl *c, size_t *len)
{
	uint8_t *p;

	*len = sizeof(struct nvmf_changed_ns_log);
	p = calloc(1, *len);
	if (!p)
		return NULL;
	if (c->nchanged > NVMF_NS_LIST_MAX)
		nvmf_put_le32(p, 0xFFFFFFFFu);	/* more than 1024 changed */
	else
		for (unsigned i = 0; i < c->nchanged; i++)
			nvmf_put_le32(p + 4 * i, c->changed_ns[i]);
	return p;
}

void ctl_get_log_page(struct ctl_req *req)
{
	struct ctl_ctrl *c = req->q->ctrl;
	const uint8_t *sqe = req->x.sqe;
	uint32_t cdw10 = nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, cdw10));
	uint32_t cdw11 = nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, cdw11));
	uint64_t lpo = nvmf_get_le64(sqe + offsetof(struct nvmf_sqe, cdw12));
	uint32_t nsid = nvmf_get_le32(sqe + offsetof(struct nvmf_sqe, nsid));
	uint8_t lid = cdw10 & 0xFF;
	bool rae = (cdw10 & NVMF_GLP_RAE) != 0;
	uint64_t numd = ((uint64_t)(cdw11 & 0xFFFF) << 16 | (cdw10 >> 16)) + 1;
	uint64_t want = numd * 4;
	uint8_t *page = NULL;
	size_t size = 0, n;

	if (!req->x.data || req->x.dir != XP_DIR_C2H || want > req->x.xfer_len) {
		ctl_log(c->target, NVMF_LOG_INFO, "%s: Get Log Page %#x: %llu bytes asked, SGL has %u", req->q->x.peer,
			lid, (unsigned long long)want, req->x.xfer_len);
		ctl_req_complete(req, NVMF_SC_SGL_INVALID_DATA_LEN | CTL_DNR, 0, 0);
		return;
	}
	if (lpo & 3) {
		/* LPO must be dword aligned (5.16). */
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	if (c->discovery && lid != NVMF_LID_DISCOVERY) {
		ctl_req_complete(req, NVMF_SC_INVALID_LOG_PAGE | CTL_DNR, 0, 0);
		return;
	}
	switch (lid) {
	case NVMF_LID_DISCOVERY:
		if (!c->discovery) {
			ctl_req_complete(req, NVMF_SC_INVALID_LOG_PAGE | CTL_DNR, 0, 0);
			return;
		}
		page = build_discovery(c, req->q->x.local_addr, &size);
		if (page && !rae)
			c->disc_aen_masked = false;
		break;
	case NVMF_LID_ERROR:
		page = build_error(c, &size);
		break;
	case NVMF_LID_SMART:
		if (nsid != 0 && nsid != NVMF_NSID_ALL) {
			/* LPA bit 0 is clear: no per-namespace SMART data. */
			ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
			return;
		}
		page = build_smart(c, &size);
		break;
	case NVMF_LID_FW_SLOT:
		page = build_fw_slot(&size);
		break;
	case NVMF_LID_CHANGED_NS:
		page = build_changed_ns(c, &size);
		if (page) {
			/* Reading clears the list; RAE = 0 also re-arms the
			 * namespace attribute notice (5.16.1.5). */
			c->nchanged = 0;
			if (!rae)
				c->ns_aen_masked = false;
		}
		break;
	default:
		ctl_req_complete(req, NVMF_SC_INVALID_LOG_PAGE | CTL_DNR, 0, 0);
		return;
	}
	if (!page) {
		ctl_req_complete(req, NVMF_SC_INTERNAL_ERROR, 0, 0);
		return;
	}
	if (lpo > size) {
		free(page);
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	/* The window past the end of the page reads as zeroes, and so does
	 * an SGL longer than NUMD: all of it is sent (see reply_data in
	 * admin.c for why). */
	n = size - lpo < want ? size - lpo : want;
	memcpy(req->x.data, page + lpo, n);
	memset(req->x.data + n, 0, req->x.xfer_len - n);
	free(page);
	ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
}
