/*
 * Parsing of the data structures a host reads from a controller: Identify
 * Controller, Identify Namespace, the active namespace list and the
 * discovery log. Pure functions over byte buffers, so unit tests can feed
 * them anything; every field the host later relies on for sizes is checked
 * here, and impossible values are refused with a message naming the field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"

void host_copy_trim(char *dst, size_t dst_size, const void *src, size_t src_len)
{
	const char *s = src;
	size_t n = 0;

	if (dst_size == 0)
		return;
	/* Fields are NUL or space padded (Base 2.0, 1.5 "ASCII string"). */
	while (n < src_len && s[n] != '\0')
		n++;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	if (n >= dst_size)
		n = dst_size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	/* Keep messages printable whatever the controller sent. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] == 0x7f)
			dst[i] = '?';
}

int host_parse_id_ctrl(const uint8_t *raw, struct nvmf_ctrl_info *info)
{
	struct nvmf_id_ctrl id;
	uint32_t ioccsz, iorcsz;

	memcpy(&id, raw, sizeof(id));
	host_copy_trim(info->sn, sizeof(info->sn), id.sn, sizeof(id.sn));
	host_copy_trim(info->mn, sizeof(info->mn), id.mn, sizeof(id.mn));
	host_copy_trim(info->fr, sizeof(info->fr), id.fr, sizeof(id.fr));
	host_copy_trim(info->subnqn, sizeof(info->subnqn), id.subnqn, sizeof(id.subnqn));
	info->vid = nvmf_le16toh(id.vid);
	info->cntlid = nvmf_le16toh(id.cntlid);
	info->nn = nvmf_le32toh(id.nn);
	info->oncs = nvmf_le16toh(id.oncs);
	info->vwc = id.vwc;
	info->kas = nvmf_le16toh(id.kas);
	info->cntrltype = id.cntrltype;
	ioccsz = nvmf_le32toh(id.ioccsz);
	iorcsz = nvmf_le32toh(id.iorcsz);
	info->ioccsz = ioccsz;

	/*
	 * A discovery controller has no I/O queues (Base 2.0, 3.1.3.3): the
	 * I/O queue entry and capsule sizes do not apply to it. One that
	 * answers for an I/O subsystem's NQN would skip the checks below and
	 * then be given I/O queues sized from fields it need not fill.
	 */
	if (info->discovery) {
		/* CNTRLTYPE 1 (I/O) or 3 (administrative): no discovery log
		 * (Base 2.0, 3.1.3); 0 is an older controller, which does not
		 * say. As the opposite mismatch below, refused here with its
		 * reason, not at the Get Log Page with a status. */
		if (id.cntrltype == 1 || id.cntrltype == 3)
			return host_err(EPROTO, "Identify Controller: CNTRLTYPE %u (%s) for %s, "
					"connected to as a discovery controller (nvmf_discover(), "
					"nvmf_opts.discovery): it has no discovery log; %s is not "
					"a discovery subsystem", id.cntrltype,
					id.cntrltype == 1 ? "an I/O controller"
							  : "an administrative controller",
					info->subnqn, info->subnqn);
		return 0;
	}
	if (id.cntrltype == 2)
		return host_err(EPROTO, "Identify Controller: CNTRLTYPE 2 (a discovery "
				"controller) for %s, which is not the discovery NQN: it has no "
				"I/O queues or namespaces to use (a unique discovery NQN needs "
				"nvmf_opts.discovery, or nvmf_discover())", info->subnqn);
	/* An administrative controller has no I/O queues either (Base 2.0,
	 * 3.1.3.2), so the fields that size them may be 0: it is managed
	 * through its admin queue alone (bringup.c creates none), as Linux's
	 * host does (nvme_admin_ctrl()). */
	if (id.cntrltype == NVMF_CNTRLTYPE_ADMIN)
		return 0;
	/* SQES/CQES: the required (minimum) size must allow the 64-byte SQE and
	 * 16-byte CQE a Fabrics host uses (Base 2.0, Figure 275). */
	if (nvmf_qes_min(id.sqes) > 6 || nvmf_qes_max(id.sqes) < 6)
		return host_err(EPROTO, "Identify Controller: SQES %02xh does not allow 64-byte "
				"submission queue entries", id.sqes);
	if (nvmf_qes_min(id.cqes) > 4 || nvmf_qes_max(id.cqes) < 4)
		return host_err(EPROTO, "Identify Controller: CQES %02xh does not allow 16-byte "
				"completion queue entries", id.cqes);
	/* IOCCSZ counts 16-byte units and includes the SQE: at least 4
	 * (NVMe-oF 1.1, 4.1 / Base 2.0, Figure 275); IORCSZ at least 1. */
	if (ioccsz < 4 || ioccsz > 0x0fffffffu)
		return host_err(EPROTO, "Identify Controller: IOCCSZ %u is impossible (must be "
				">= 4 sixteen-byte units)", ioccsz);
	if (iorcsz < 1 || iorcsz > 0x0fffffffu)
		return host_err(EPROTO, "Identify Controller: IORCSZ %u is impossible (must be "
				">= 1)", iorcsz);
	/* NVMe/TCP does not support an in-capsule data offset (NVMe/TCP 1.0, 3.3.1). */
	if (nvmf_le16toh(id.icdoff) != 0)
		return host_err(EPROTO, "Identify Controller: ICDOFF %u is not supported over TCP",
				nvmf_le16toh(id.icdoff));
	if (info->nn == 0)
		host_log(NVMF_LOG_INFO, "Identify Controller: NN is 0, no namespaces");
	return 0;
}

/* The MDTS limit in bytes: 2^MDTS units of the minimum page size, 0 = none. */
uint32_t host_mdts_bytes(uint8_t mdts, uint64_t cap)
{
	unsigned shift;

	if (mdts == 0)
		return 0;
	shift = 12 + nvmf_cap_mpsmin(cap) + mdts;
	if (shift >= 31)
		return 0;
	return (uint32_t)1 << shift;
}

int host_parse_id_ns(const uint8_t *raw, uint32_t nsid, const struct nvmf_ctrl_info *ctrl,
		     struct nvmf_ns_info *info)
{
	struct nvmf_id_ns id;
	unsigned idx;
	uint8_t lbads;
	uint16_t ms;

	memcpy(&id, raw, sizeof(id));
	memset(info, 0, sizeof(*info));
	info->nsid = nsid;
	info->nsze = nvmf_le64toh(id.nsze);
	info->ncap = nvmf_le64toh(id.ncap);
	memcpy(info->nguid, id.nguid, sizeof(info->nguid));
	memcpy(info->eui64, id.eui64, sizeof(info->eui64));

	/*
	 * NSZE and NCAP 0: the zero-filled data an inactive NSID returns (Base
	 * 2.0, 5.17.2.1), e.g. a namespace detached between the active list and
	 * its Identify. Nothing else in it means anything (its LBA format 0
	 * has LBADS 0): unsupported, saying so, not a protocol error.
	 */
	if (info->nsze == 0 && info->ncap == 0) {
		info->supported = false;
		snprintf(info->reason, sizeof(info->reason),
			 "namespace has zero size (NSZE 0: inactive, or not yet formatted)");
		return 0;
	}

	/* FLBAS selects one of NLBAF+1 formats (NVM Command Set 1.0, Figure 97). */
	idx = nvmf_id_ns_flbas_index(id.flbas);
	if (idx > id.nlbaf || idx >= 64) {
		snprintf(info->reason, sizeof(info->reason),
			 "FLBAS selects LBA format %u but NLBAF allows 0-%u", idx, id.nlbaf);
		return host_err(EPROTO, "Identify Namespace %u: %s", nsid, info->reason);
	}
	lbads = id.lbaf[idx].lbads;
	ms = nvmf_le16toh(id.lbaf[idx].ms);
	if (lbads < 9 || lbads > 24) {
		snprintf(info->reason, sizeof(info->reason),
			 "LBADS %u is impossible (block size must be 512 B to 16 MiB)", lbads);
		return host_err(EPROTO, "Identify Namespace %u: %s", nsid, info->reason);
	}
	info->lba_size = (uint32_t)1 << lbads;
	if (info->ncap > info->nsze) {
		snprintf(info->reason, sizeof(info->reason),
			 "NCAP %llu exceeds NSZE %llu", (unsigned long long)info->ncap,
			 (unsigned long long)info->nsze);
		return host_err(EPROTO, "Identify Namespace %u: %s", nsid, info->reason);
	}
	if (info->nsze > (UINT64_MAX >> lbads)) {
		snprintf(info->reason, sizeof(info->reason),
			 "NSZE %llu blocks of %u bytes overflows 64 bits",
			 (unsigned long long)info->nsze, info->lba_size);
		return host_err(EPROTO, "Identify Namespace %u: %s", nsid, info->reason);
	}
	info->size = info->nsze << lbads;

	info->write_zeroes = (ctrl->oncs & NVMF_ONCS_WRITE_ZEROES) != 0;
	info->deallocate = (ctrl->oncs & NVMF_ONCS_DSM) != 0;
	info->dealloc_zeroes = (id.dlfeat & NVMF_DLFEAT_READ_MASK) == NVMF_DLFEAT_READ_ZEROES;
	info->write_zeroes_deac = (id.dlfeat & NVMF_DLFEAT_WZ_DEAC) != 0;
	info->vwc = (ctrl->vwc & NVMF_VWC_PRESENT) != 0;
	info->read_only = (id.nsattr & 1) != 0;	/* NSATTR bit 0: write protected */

	/*
	 * Formats the host cannot serve as plain blocks: metadata (separate
	 * or extended LBAs) and protection information would need buffers
	 * and checks this host does not provide (NVM Command Set 1.0, 5.2).
	 */
	info->supported = true;
	if (id.dps & 0x7) {
		info->supported = false;
		snprintf(info->reason, sizeof(info->reason),
			 "end-to-end protection information type %u", id.dps & 0x7);
	} else if (ms != 0) {
		info->supported = false;
		snprintf(info->reason, sizeof(info->reason), "%u bytes of metadata per block (%s)",
			 ms, (id.flbas & NVMF_FLBAS_EXTENDED) ? "extended LBA" : "separate buffer");
	}
	return 0;
}

int host_parse_ns_list(const uint8_t *list, uint32_t *nsids, int max)
{
	uint32_t prev = 0;
	int n = 0;

	/* Up to 1024 ascending NSIDs, zero-terminated (Base 2.0, 4.4.2). */
	for (int i = 0; i < NVMF_NS_LIST_MAX && n < max; i++) {
		uint32_t v = nvmf_get_le32(list + 4 * i);

		if (v == 0)
			break;
		if (v <= prev || v == NVMF_NSID_ALL)
			return host_err(EPROTO, "active namespace list: NSID %u at entry %d is not "
					"ascending or is invalid", v, i);
		nsids[n++] = v;
		prev = v;
	}
	return n;
}

int host_parse_ns_desc(const uint8_t *list, size_t len, uint8_t uuid[16])
{
	int csi = 0;

	/* Descriptors of 4 header bytes and NIDL bytes, until NIDT 0 (Base
	 * 2.0, Figure 280); one that would run past the list ends it. */
	for (size_t off = 0; off + 4 <= len;) {
		uint8_t nidt = list[off], nidl = list[off + 1];

		if (nidt == 0 || off + 4 + nidl > len)
			break;
		if (nidt == NVMF_NIDT_UUID && nidl == 16)
			memcpy(uuid, list + off + 4, 16);
		if (nidt == NVMF_NIDT_CSI && nidl == 1 && list[off + 4] != 0)
			csi = list[off + 4];	/* the last non-NVM one names it */
		off += 4u + nidl;
	}
	return csi;
}

void host_parse_disc_hdr(const uint8_t *hdr, uint64_t *genctr, uint64_t *numrec,
			 uint16_t *recfmt)
{
	*genctr = nvmf_get_le64(hdr + offsetof(struct nvmf_disc_log_hdr, genctr));
	*numrec = nvmf_get_le64(hdr + offsetof(struct nvmf_disc_log_hdr, numrec));
	*recfmt = nvmf_get_le16(hdr + offsetof(struct nvmf_disc_log_hdr, recfmt));
}

void host_parse_disc_entry(const uint8_t *raw, struct nvmf_disc_rec *e)
{
	struct nvmf_disc_entry d;

	memcpy(&d, raw, sizeof(d));
	memset(e, 0, sizeof(*e));
	e->trtype = d.trtype;
	e->adrfam = d.adrfam;
	e->subtype = d.subtype;
	e->treq = d.treq;
	e->portid = nvmf_le16toh(d.portid);
	e->cntlid = nvmf_le16toh(d.cntlid);
	e->asqsz = nvmf_le16toh(d.asqsz);
	e->eflags = nvmf_le16toh(d.eflags);
	host_copy_trim(e->trsvcid, sizeof(e->trsvcid), d.trsvcid, sizeof(d.trsvcid));
	host_copy_trim(e->traddr, sizeof(e->traddr), d.traddr, sizeof(d.traddr));
	host_copy_trim(e->subnqn, sizeof(e->subnqn), d.subnqn, sizeof(d.subnqn));
	memcpy(e->tsas, d.tsas.raw, sizeof(e->tsas));
}

/* More records than any real discovery service serves: refuse as corrupt. */
#define HOST_DISC_MAX_RECORDS 4096
#define HOST_DISC_MAX_TRIES   10

/* Read [offset, offset+len) in pieces of at most max_xfer bytes. */
static int read_paged(host_log_read_fn rd, void *arg, uint32_t max_xfer, uint64_t offset,
		      uint8_t *buf, size_t len)
{
	while (len > 0) {
		uint32_t n = len > max_xfer ? max_xfer : (uint32_t)len;
		int r = rd(arg, offset, buf, n);

		if (r < 0)
			return r;
		offset += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * The list header, its n records and the log page as received (header and
 * n records, wire layout: nvmf_disc_list_raw()) in one block, so that one
 * nvmf_free() releases them all: the records start at the first suitably
 * aligned offset after the header, the page follows the records. (A
 * pointer rather than a flexible array member keeps <nvmf/nvmf.h> valid
 * C++.)
 */
static size_t disc_list_raw_off(size_t n)
{
	const size_t align = _Alignof(struct nvmf_disc_rec);

	return (sizeof(struct nvmf_disc_list) + align - 1) / align * align +
	       n * sizeof(struct nvmf_disc_rec);
}

static struct nvmf_disc_list *disc_list_alloc(size_t n)
{
	const size_t align = _Alignof(struct nvmf_disc_rec);
	size_t off = (sizeof(struct nvmf_disc_list) + align - 1) / align * align;
	struct nvmf_disc_list *l;

	/* n is at most HOST_DISC_MAX_RECORDS: no overflow below. */
	if (n > HOST_DISC_MAX_RECORDS)
		return NULL;
	l = calloc(1, disc_list_raw_off(n) + HOST_DISC_HDR_LEN + n * HOST_DISC_ENTRY_LEN);
	if (!l)
		return NULL;
	l->nr_entries = (uint32_t)n;
	l->entries = n ? (struct nvmf_disc_rec *)((char *)l + off) : NULL;
	return l;
}

/*
 * The page follows the records: found from entries when there are records,
 * so that a copy of the struct (valid while the original is) finds it too.
 * A list of no records has no entries to find it from (NULL, as nvmf.h
 * says, and no field to spare without changing the struct): the page is
 * found from the struct's own address, which only the pointer the library
 * returned gives.
 */
const void *nvmf_disc_list_raw(const struct nvmf_disc_list *log, size_t *len)
{
	if (len)
		*len = log ? HOST_DISC_HDR_LEN + (size_t)log->nr_entries * HOST_DISC_ENTRY_LEN : 0;
	if (!log)
		return NULL;
	if (log->nr_entries && log->entries)
		return log->entries + log->nr_entries;
	return (const char *)log + disc_list_raw_off(0);
}

/*
 * The discovery log may change while it is read in pieces; GENCTR tells.
 * Read the header, the records, then the header again and start over if
 * GENCTR moved (Base 2.0, 5.16.1.23: "the host should re-read").
 */
int host_fetch_discovery_log(host_log_read_fn rd, void *arg, uint32_t max_xfer,
			     struct nvmf_disc_list **out)
{
	uint8_t hdr[HOST_DISC_HDR_LEN];
	uint8_t *raw = NULL;
	int tries, r;

	*out = NULL;
	max_xfer &= ~3u;	/* log page reads are dword granular */
	if (max_xfer < HOST_DISC_HDR_LEN)
		max_xfer = HOST_DISC_HDR_LEN;
	for (tries = 0; tries < HOST_DISC_MAX_TRIES; tries++) {
		uint64_t gen1, gen2, numrec, numrec2;
		uint16_t recfmt, recfmt2;
		struct nvmf_disc_list *l;
		size_t len;

		r = read_paged(rd, arg, max_xfer, 0, hdr, sizeof(hdr));
		if (r < 0)
			goto fail;
		host_parse_disc_hdr(hdr, &gen1, &numrec, &recfmt);
		if (recfmt != 0) {
			r = host_err(EPROTO, "discovery log: unknown record format %u", recfmt);
			goto fail;
		}
		if (numrec > HOST_DISC_MAX_RECORDS) {
			r = host_err(EPROTO, "discovery log: NUMREC %llu exceeds the limit of %d",
				     (unsigned long long)numrec, HOST_DISC_MAX_RECORDS);
			goto fail;
		}
		len = (size_t)numrec * HOST_DISC_ENTRY_LEN;
		free(raw);
		raw = len ? malloc(len) : NULL;
		if (len && !raw) {
			r = host_err(ENOMEM, "discovery log: no memory for %llu records",
				     (unsigned long long)numrec);
			goto fail;
		}
		if (len) {
			r = read_paged(rd, arg, max_xfer, HOST_DISC_HDR_LEN, raw, len);
			if (r < 0)
				goto fail;
		}
		r = read_paged(rd, arg, max_xfer, 0, hdr, sizeof(hdr));
		if (r < 0)
			goto fail;
		host_parse_disc_hdr(hdr, &gen2, &numrec2, &recfmt2);
		if (gen2 != gen1 || numrec2 != numrec) {
			host_dbg("discovery log changed while reading (GENCTR %llu -> %llu), again",
				 (unsigned long long)gen1, (unsigned long long)gen2);
			continue;
		}
		l = disc_list_alloc((size_t)numrec);
		if (!l) {
			r = host_err(ENOMEM, "discovery log: no memory");
			goto fail;
		}
		l->genctr = gen1;
		l->numrec = numrec;
		l->recfmt = recfmt;
		for (uint64_t i = 0; i < numrec; i++)
			host_parse_disc_entry(raw + i * HOST_DISC_ENTRY_LEN, &l->entries[i]);
		/* The page as received: the header of the last read (the one
		 * that confirmed GENCTR), the records. */
		memcpy((char *)l + disc_list_raw_off((size_t)numrec), hdr, HOST_DISC_HDR_LEN);
		if (len)
			memcpy((char *)l + disc_list_raw_off((size_t)numrec) + HOST_DISC_HDR_LEN, raw,
			       len);
		free(raw);
		*out = l;
		return 0;
	}
	r = host_err(EAGAIN, "discovery log: GENCTR changed on each of %d reads",
		     HOST_DISC_MAX_TRIES);
fail:
	free(raw);
	return r;
}
