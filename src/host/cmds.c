/*
 * The command API: I/O (NVM Command Set 1.0, 3.2), admin (Base 2.0, 5) and
 * passthrough, each as an asynchronous call returning a cookie and as a
 * synchronous one. A builder validates the arguments and prepares the
 * request; the aio form submits it, the sync form waits for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

/* Build failures in the aio form still owe the free hook its one call. */
static int64_t aio_fail(struct nvmf_callback cb, int r)
{
	if (cb.free)
		cb.free(cb.user);
	return r;
}

static int64_t aio_go(struct host_req *req, int r, struct nvmf_callback cb)
{
	if (r < 0) {
		host_req_free(req->c, req);
		return aio_fail(cb, r);
	}
	req->cb = cb;
	return host_submit(req);
}

static int sync_go(struct nvmf_ctrl *c, struct host_req *req, int r,
		   struct nvmf_completion *cpl)
{
	if (r < 0) {
		host_req_free(c, req);
		return r;
	}
	return host_sync_cmd(c, req, cpl);
}

static struct host_req *new_req(struct nvmf_ctrl *c, bool admin, const char *what, int *r)
{
	struct host_req *req;

	host_err_clear();
	if (!c) {
		*r = host_err(EINVAL, "%s: NULL controller", what);
		return NULL;
	}
	req = host_req_new(c, admin, what);
	*r = req ? 0 : host_err(ENOMEM, "out of memory");
	return req;
}

/* What the checks of an I/O command need of its namespace's entry: a copy,
 * as the entry may be freed once a rescan replaced its table (ns.c). */
struct io_ns {
	uint32_t nsid;
	uint32_t lba_size;
	uint64_t nsze;
	bool     read_only;
	bool     write_zeroes;
	bool     deallocate;
};

/* The namespace an I/O command targets: active and servable. */
static int io_ns(struct nvmf_ctrl *c, struct host_req *req, uint32_t nsid, struct io_ns *out)
{
	const struct nvmf_ns_info *ns;
	/* The loop thread is the one that frees tables: no need to count. */
	bool guard = !host_on_loop_thread(c);
	int r = 0;

	if (guard)
		host_ns_enter(c);
	/* The table's gen is remembered: if a scan replaces it before the
	 * request reaches the loop, dispatch.c checks the namespace again. */
	ns = host_ns_lookup_gen(c, nsid, &req->nsgen);
	if (!ns)
		r = host_err(ENOENT, "%s: namespace %u is not active", req->what, nsid);
	else if (!ns->supported)
		r = host_err(EOPNOTSUPP, "%s: namespace %u is not supported: %s", req->what,
			     nsid, ns->reason);
	else
		*out = (struct io_ns){ .nsid = nsid, .lba_size = ns->lba_size, .nsze = ns->nsze,
				       .read_only = ns->read_only,
				       .write_zeroes = ns->write_zeroes,
				       .deallocate = ns->deallocate };
	if (guard)
		host_ns_exit(c);
	return r;
}

static int check_range(const struct io_ns *ns, uint64_t slba, uint64_t nlb,
		       const char *what)
{
	if (nlb == 0)
		return host_err(EINVAL, "%s: zero blocks", what);
	if (slba >= ns->nsze || nlb > ns->nsze - slba)
		return host_err(EINVAL, "%s: blocks %llu+%llu beyond namespace %u's %llu blocks",
				what, (unsigned long long)slba, (unsigned long long)nlb, ns->nsid,
				(unsigned long long)ns->nsze);
	return 0;
}

/*
 * flags of a Read, Write or Write Zeroes: only the bits the command has.
 * FUA is in all three; DEAC only in Write Zeroes (NVM Command Set 1.0,
 * 3.2.8; Read and Write have no such bit). Anything else is refused, not
 * dropped: the caller asked for something the command would not do.
 */
static int check_io_flags(const struct host_req *req, unsigned flags, bool deac)
{
	unsigned unknown = flags & ~(NVMF_IO_FUA | NVMF_IO_DEAC);

	if (unknown)
		return host_err(EINVAL, "%s: flags 0x%x: unknown bits 0x%x (known: "
				"NVMF_IO_FUA 0x%x, NVMF_IO_DEAC 0x%x)", req->what, flags,
				unknown, NVMF_IO_FUA, NVMF_IO_DEAC);
	if ((flags & NVMF_IO_DEAC) && !deac)
		return host_err(EINVAL, "%s: flags 0x%x: NVMF_IO_DEAC applies to Write Zeroes "
				"only", req->what, flags);
	return 0;
}

/*
 * A transfer above the controller's MDTS (Base 2.0, 5.17.2.1) is refused
 * here, naming the limit, rather than sent to be refused as an Invalid
 * Field that names nothing; Linux refuses such a passthrough the same way
 * (the request queue's max_hw_sectors, admin queue included).
 */
static int check_xfer(const struct host_req *req, uint64_t len)
{
	uint32_t max_xfer = atomic_load_explicit(&req->c->max_xfer, memory_order_relaxed);

	if (len > UINT32_MAX || (max_xfer && len > max_xfer))
		return host_err(EINVAL, "%s: %llu bytes exceed the controller's transfer limit "
				"(MDTS %u bytes)", req->what, (unsigned long long)len,
				max_xfer);
	return 0;
}

static int build_rw(struct nvmf_ctrl *c, struct host_req *req, uint32_t nsid, void *buf,
		    uint64_t slba, uint32_t nlb, unsigned flags, bool write)
{
	struct io_ns ns;
	uint64_t len;
	int r;

	r = io_ns(c, req, nsid, &ns);
	if (r < 0)
		return r;
	r = check_io_flags(req, flags, false);
	if (r < 0)
		return r;
	if (!buf)
		return host_err(EINVAL, "%s: NULL buffer", req->what);
	if (nlb > NVMF_NLB_MAX)
		return host_err(EINVAL, "%s: %u blocks exceed the %u a command can carry",
				req->what, nlb, NVMF_NLB_MAX);
	r = check_range(&ns, slba, nlb, req->what);
	if (r < 0)
		return r;
	if (write && ns.read_only)
		return host_err(EROFS, "%s: namespace %u is write protected", req->what, nsid);
	len = (uint64_t)nlb * ns.lba_size;
	r = check_xfer(req, len);
	if (r < 0)
		return r;
	host_sqe_init(&req->xc.sqe, write ? NVMF_NVM_WRITE : NVMF_NVM_READ, nsid);
	req->xc.sqe.cdw10 = nvmf_htole32((uint32_t)slba);
	req->xc.sqe.cdw11 = nvmf_htole32((uint32_t)(slba >> 32));
	req->xc.sqe.cdw12 = nvmf_htole32((nlb - 1) | ((flags & NVMF_IO_FUA) ? NVMF_RW_FUA : 0));
	req->xc.buf = buf;
	req->xc.len = (uint32_t)len;
	req->xc.dir = write ? XP_DIR_H2C : XP_DIR_C2H;
	/* nvmf.h, OUTAGES: held and replayed through an outage. */
	req->replayable = true;
	return 0;
}

static int build_flush(struct nvmf_ctrl *c, struct host_req *req, uint32_t nsid)
{
	struct io_ns ns;
	int r = io_ns(c, req, nsid, &ns);

	if (r < 0)
		return r;
	host_sqe_init(&req->xc.sqe, NVMF_NVM_FLUSH, nsid);
	/* nvmf.h, OUTAGES: held and replayed through an outage. */
	req->replayable = true;
	return 0;
}

static int build_wz(struct nvmf_ctrl *c, struct host_req *req, uint32_t nsid, uint64_t slba,
		    uint32_t nlb, unsigned flags)
{
	struct io_ns ns;
	int r = io_ns(c, req, nsid, &ns);

	if (r < 0)
		return r;
	r = check_io_flags(req, flags, true);
	if (r < 0)
		return r;
	if (!ns.write_zeroes)
		return host_err(EOPNOTSUPP, "%s: the controller does not support Write Zeroes "
				"(ONCS bit 3)", req->what);
	if (ns.read_only)
		return host_err(EROFS, "%s: namespace %u is write protected", req->what, nsid);
	if (nlb > NVMF_NLB_MAX)
		return host_err(EINVAL, "%s: %u blocks exceed the %u a command can carry",
				req->what, nlb, NVMF_NLB_MAX);
	r = check_range(&ns, slba, nlb, req->what);
	if (r < 0)
		return r;
	host_sqe_init(&req->xc.sqe, NVMF_NVM_WRITE_ZEROES, nsid);
	req->xc.sqe.cdw10 = nvmf_htole32((uint32_t)slba);
	req->xc.sqe.cdw11 = nvmf_htole32((uint32_t)(slba >> 32));
	/* CDW12: NLB 15:0 (0's based), DEAC 25, FUA 30 (NVM Command Set 1.0, 3.2.8). */
	req->xc.sqe.cdw12 = nvmf_htole32((nlb - 1) | ((flags & NVMF_IO_DEAC) ? (1u << 25) : 0) |
				   ((flags & NVMF_IO_FUA) ? NVMF_RW_FUA : 0));
	/* nvmf.h, OUTAGES: held and replayed through an outage. */
	req->replayable = true;
	return 0;
}

static int build_dealloc(struct nvmf_ctrl *c, struct host_req *req, uint32_t nsid,
			 uint64_t slba, uint32_t nlb)
{
	struct io_ns ns;
	int r = io_ns(c, req, nsid, &ns);

	if (r < 0)
		return r;
	if (!ns.deallocate)
		return host_err(EOPNOTSUPP, "%s: the controller does not support Dataset "
				"Management (ONCS bit 2)", req->what);
	if (ns.read_only)
		return host_err(EROFS, "%s: namespace %u is write protected", req->what, nsid);
	r = check_range(&ns, slba, nlb, req->what);
	if (r < 0)
		return r;
	/* One range: context attributes, length in blocks (1's based), SLBA
	 * (NVM Command Set 1.0, 3.2.3, Figure 39); CDW10 NR 0's based, CDW11 AD. */
	host_sqe_init(&req->xc.sqe, NVMF_NVM_DSM, nsid);
	req->xc.sqe.cdw10 = nvmf_htole32(0);
	req->xc.sqe.cdw11 = nvmf_htole32(1u << 2);
	memset(req->inline_data, 0, 16);
	nvmf_put_le32(req->inline_data + 4, nlb);
	nvmf_put_le64(req->inline_data + 8, slba);
	req->xc.buf = req->inline_data;
	req->xc.len = 16;
	req->xc.dir = XP_DIR_H2C;
	/* nvmf.h, OUTAGES: held and replayed through an outage. */
	req->replayable = true;
	return 0;
}

static int build_passthru(struct host_req *req, const void *sqe, void *buf, uint32_t len,
			  enum nvmf_dir dir)
{
	if (!sqe)
		return host_err(EINVAL, "%s: NULL submission queue entry", req->what);
	if ((dir == NVMF_DIR_NONE) != (len == 0) || (len && !buf))
		return host_err(EINVAL, "%s: data direction, buffer and length disagree",
				req->what);
	if (dir != NVMF_DIR_NONE && dir != NVMF_DIR_TO_CTRL && dir != NVMF_DIR_FROM_CTRL)
		return host_err(EINVAL, "%s: bad data direction %d", req->what, (int)dir);
	if (check_xfer(req, len) < 0)
		return -EINVAL;
	memcpy(&req->xc.sqe, sqe, sizeof(req->xc.sqe));
	req->xc.buf = buf;
	req->xc.len = len;
	req->xc.dir = dir == NVMF_DIR_TO_CTRL ? XP_DIR_H2C :
		   dir == NVMF_DIR_FROM_CTRL ? XP_DIR_C2H : XP_DIR_NONE;
	return 0;
}

static int build_identify(struct host_req *req, uint8_t cns, uint32_t nsid, uint16_t cntid,
			  uint8_t csi, void *buf)
{
	if (!buf)
		return host_err(EINVAL, "%s: NULL buffer", req->what);
	host_sqe_init(&req->xc.sqe, NVMF_ADM_IDENTIFY, nsid);
	req->xc.sqe.cdw10 = nvmf_htole32(nvmf_identify_cdw10(cns, cntid));
	req->xc.sqe.cdw11 = nvmf_htole32((uint32_t)csi << 24);
	req->xc.buf = buf;
	req->xc.len = HOST_IDENTIFY_LEN;
	req->xc.dir = XP_DIR_C2H;
	return 0;
}

static int build_log(struct host_req *req, uint8_t lid, uint32_t nsid, uint8_t lsp, bool rae,
		     uint64_t offset, void *buf, uint32_t len)
{
	uint32_t numd;

	if (!buf || len == 0 || (len & 3) || (offset & 3))
		return host_err(EINVAL, "%s: buffer, length (%u) and offset (%llu) must be "
				"non-zero dword multiples", req->what, len,
				(unsigned long long)offset);
	if (check_xfer(req, len) < 0)
		return -EINVAL;
	numd = len / 4 - 1;
	host_sqe_init(&req->xc.sqe, NVMF_ADM_GET_LOG_PAGE, nsid);
	req->xc.sqe.cdw10 = nvmf_htole32(nvmf_get_log_cdw10(lid, lsp, rae, numd));
	req->xc.sqe.cdw11 = nvmf_htole32(nvmf_get_log_cdw11(numd, 0));
	req->xc.sqe.cdw12 = nvmf_htole32((uint32_t)offset);
	req->xc.sqe.cdw13 = nvmf_htole32((uint32_t)(offset >> 32));
	req->xc.buf = buf;
	req->xc.len = len;
	req->xc.dir = XP_DIR_C2H;
	return 0;
}

static int build_feat(struct host_req *req, bool set, uint8_t fid, uint32_t nsid,
		      uint32_t cdw10_extra, uint32_t cdw11, uint32_t cdw12, void *buf,
		      uint32_t len)
{
	if ((len != 0) != (buf != NULL))
		return host_err(EINVAL, "%s: buffer and length disagree", req->what);
	host_sqe_init(&req->xc.sqe, set ? NVMF_ADM_SET_FEATURES : NVMF_ADM_GET_FEATURES, nsid);
	req->xc.sqe.cdw10 = nvmf_htole32(fid | cdw10_extra);
	req->xc.sqe.cdw11 = nvmf_htole32(cdw11);
	req->xc.sqe.cdw12 = nvmf_htole32(cdw12);
	req->xc.buf = buf;
	req->xc.len = len;
	req->xc.dir = len == 0 ? XP_DIR_NONE : set ? XP_DIR_H2C : XP_DIR_C2H;
	return 0;
}

/* ---- Asynchronous ------------------------------------------------------------------ */

#define AIO_BEGIN(admin, what)						\
	int r;								\
	struct host_req *req = new_req(c, admin, what, &r);		\
	if (!req)							\
		return aio_fail(cb, r)

int64_t nvmf_aio_read(struct nvmf_ctrl *c, uint32_t nsid, void *buf, uint64_t slba,
		      uint32_t nlb, unsigned flags, struct nvmf_callback cb)
{
	AIO_BEGIN(false, "Read");
	return aio_go(req, build_rw(c, req, nsid, buf, slba, nlb, flags, false), cb);
}

int64_t nvmf_aio_write(struct nvmf_ctrl *c, uint32_t nsid, const void *buf, uint64_t slba,
		       uint32_t nlb, unsigned flags, struct nvmf_callback cb)
{
	AIO_BEGIN(false, "Write");
	return aio_go(req, build_rw(c, req, nsid, (void *)buf, slba, nlb, flags, true), cb);
}

int64_t nvmf_aio_flush(struct nvmf_ctrl *c, uint32_t nsid, struct nvmf_callback cb)
{
	AIO_BEGIN(false, "Flush");
	return aio_go(req, build_flush(c, req, nsid), cb);
}

int64_t nvmf_aio_write_zeroes(struct nvmf_ctrl *c, uint32_t nsid, uint64_t slba, uint32_t nlb,
			      unsigned flags, struct nvmf_callback cb)
{
	AIO_BEGIN(false, "Write Zeroes");
	return aio_go(req, build_wz(c, req, nsid, slba, nlb, flags), cb);
}

int64_t nvmf_aio_deallocate(struct nvmf_ctrl *c, uint32_t nsid, uint64_t slba, uint32_t nlb,
			    struct nvmf_callback cb)
{
	AIO_BEGIN(false, "Deallocate");
	return aio_go(req, build_dealloc(c, req, nsid, slba, nlb), cb);
}

int64_t nvmf_aio_admin_passthru(struct nvmf_ctrl *c, const void *sqe64, void *buf, uint32_t len,
				enum nvmf_dir dir, struct nvmf_callback cb)
{
	AIO_BEGIN(true, "admin passthrough");
	return aio_go(req, build_passthru(req, sqe64, buf, len, dir), cb);
}

int64_t nvmf_aio_io_passthru(struct nvmf_ctrl *c, const void *sqe64, void *buf, uint32_t len,
			     enum nvmf_dir dir, struct nvmf_callback cb)
{
	AIO_BEGIN(false, "I/O passthrough");
	return aio_go(req, build_passthru(req, sqe64, buf, len, dir), cb);
}

int64_t nvmf_aio_identify(struct nvmf_ctrl *c, uint8_t cns, uint32_t nsid, uint16_t cntid,
			  uint8_t csi, void *buf, struct nvmf_callback cb)
{
	AIO_BEGIN(true, "Identify");
	return aio_go(req, build_identify(req, cns, nsid, cntid, csi, buf), cb);
}

int64_t nvmf_aio_get_log_page(struct nvmf_ctrl *c, uint8_t lid, uint32_t nsid, uint8_t lsp,
			      bool rae, uint64_t offset, void *buf, uint32_t len,
			      struct nvmf_callback cb)
{
	AIO_BEGIN(true, "Get Log Page");
	return aio_go(req, build_log(req, lid, nsid, lsp, rae, offset, buf, len), cb);
}

int64_t nvmf_aio_get_features(struct nvmf_ctrl *c, uint8_t fid, uint32_t nsid, uint8_t sel,
			      uint32_t cdw11, void *buf, uint32_t len, struct nvmf_callback cb)
{
	AIO_BEGIN(true, "Get Features");
	return aio_go(req, build_feat(req, false, fid, nsid, (uint32_t)(sel & 7) << 8, cdw11, 0,
				      buf, len), cb);
}

int64_t nvmf_aio_set_features(struct nvmf_ctrl *c, uint8_t fid, uint32_t nsid, bool save,
			      uint32_t cdw11, uint32_t cdw12, const void *buf, uint32_t len,
			      struct nvmf_callback cb)
{
	AIO_BEGIN(true, "Set Features");
	return aio_go(req, build_feat(req, true, fid, nsid, save ? NVMF_FEAT_SV : 0, cdw11, cdw12,
				      (void *)buf, len), cb);
}

unsigned nvmf_aio_in_flight(struct nvmf_ctrl *c)
{
	return c ? atomic_load(&c->in_flight) : 0;
}

/* ---- Synchronous ------------------------------------------------------------------- */

#define SYNC_BEGIN(admin, what)						\
	int r;								\
	struct host_req *req = new_req(c, admin, what, &r);		\
	if (!req)							\
		return r

int nvmf_read(struct nvmf_ctrl *c, uint32_t nsid, void *buf, uint64_t slba, uint32_t nlb,
	      unsigned flags)
{
	SYNC_BEGIN(false, "Read");
	return sync_go(c, req, build_rw(c, req, nsid, buf, slba, nlb, flags, false), NULL);
}

int nvmf_write(struct nvmf_ctrl *c, uint32_t nsid, const void *buf, uint64_t slba,
	       uint32_t nlb, unsigned flags)
{
	SYNC_BEGIN(false, "Write");
	return sync_go(c, req, build_rw(c, req, nsid, (void *)buf, slba, nlb, flags, true), NULL);
}

int nvmf_flush(struct nvmf_ctrl *c, uint32_t nsid)
{
	SYNC_BEGIN(false, "Flush");
	return sync_go(c, req, build_flush(c, req, nsid), NULL);
}

int nvmf_write_zeroes(struct nvmf_ctrl *c, uint32_t nsid, uint64_t slba, uint32_t nlb,
		      unsigned flags)
{
	SYNC_BEGIN(false, "Write Zeroes");
	return sync_go(c, req, build_wz(c, req, nsid, slba, nlb, flags), NULL);
}

int nvmf_deallocate(struct nvmf_ctrl *c, uint32_t nsid, uint64_t slba, uint32_t nlb)
{
	SYNC_BEGIN(false, "Deallocate");
	return sync_go(c, req, build_dealloc(c, req, nsid, slba, nlb), NULL);
}

int nvmf_admin_passthru(struct nvmf_ctrl *c, const void *sqe64, void *buf, uint32_t len,
			enum nvmf_dir dir, struct nvmf_completion *cpl)
{
	SYNC_BEGIN(true, "admin passthrough");
	return sync_go(c, req, build_passthru(req, sqe64, buf, len, dir), cpl);
}

int nvmf_io_passthru(struct nvmf_ctrl *c, const void *sqe64, void *buf, uint32_t len,
		     enum nvmf_dir dir, struct nvmf_completion *cpl)
{
	SYNC_BEGIN(false, "I/O passthrough");
	return sync_go(c, req, build_passthru(req, sqe64, buf, len, dir), cpl);
}

int nvmf_identify(struct nvmf_ctrl *c, uint8_t cns, uint32_t nsid, uint16_t cntid, uint8_t csi,
		  void *buf4096)
{
	SYNC_BEGIN(true, "Identify");
	return sync_go(c, req, build_identify(req, cns, nsid, cntid, csi, buf4096), NULL);
}

static int get_log_one(struct nvmf_ctrl *c, uint8_t lid, uint32_t nsid, uint8_t lsp, bool rae,
		       uint64_t offset, void *buf, uint32_t len)
{
	SYNC_BEGIN(true, "Get Log Page");
	return sync_go(c, req, build_log(req, lid, nsid, lsp, rae, offset, buf, len), NULL);
}

/*
 * One Get Log Page carries at most MDTS bytes (Base 2.0, 5.17.2.1), so a
 * longer page is read in pieces at increasing offsets (LPO, 5.16), as
 * libnvme's nvme_get_log() does: each piece but the last retains the
 * asynchronous event (RAE), which only the read that ends the page may
 * clear. A piece that fails ends the read with its error.
 */
int nvmf_get_log_page(struct nvmf_ctrl *c, uint8_t lid, uint32_t nsid, uint8_t lsp, bool rae,
		      uint64_t offset, void *buf, uint32_t len)
{
	uint32_t max = c ? atomic_load_explicit(&c->max_xfer, memory_order_relaxed) & ~3u : 0;
	uint32_t done, n;
	int r;

	/* Within the limit, or arguments build_log() refuses: one command. */
	if (max == 0 || len <= max || !buf || (len & 3) || (offset & 3))
		return get_log_one(c, lid, nsid, lsp, rae, offset, buf, len);
	for (done = 0; done < len; done += n) {
		n = len - done < max ? len - done : max;
		r = get_log_one(c, lid, nsid, lsp, done + n == len ? rae : true, offset + done,
				(uint8_t *)buf + done, n);
		if (r < 0 && done > 0) {
			/* Say which piece: the ones before it were read. */
			uint16_t st = nvmf_get_status();
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", nvmf_get_error());
			return host_err_status(-r, st, "%s (the piece of %u bytes at offset %llu; "
					       "the %u bytes before it were read)", msg, n,
					       (unsigned long long)(offset + done), done);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int nvmf_get_smart_log(struct nvmf_ctrl *c, void *buf512)
{
	return nvmf_get_log_page(c, NVMF_LID_SMART, NVMF_NSID_ALL, 0, false, 0, buf512, 512);
}

int nvmf_get_error_log(struct nvmf_ctrl *c, void *buf, uint32_t nr_entries)
{
	if (nr_entries == 0 || nr_entries > 256)
		return host_err(EINVAL, "error log: %u entries out of range 1-256", nr_entries);
	return nvmf_get_log_page(c, NVMF_LID_ERROR, NVMF_NSID_ALL, 0, false, 0, buf,
				 nr_entries * 64u);
}

int nvmf_get_features(struct nvmf_ctrl *c, uint8_t fid, uint32_t nsid, uint8_t sel,
		      uint32_t cdw11, void *buf, uint32_t len, uint32_t *result)
{
	struct nvmf_completion cpl = { 0 };
	SYNC_BEGIN(true, "Get Features");
	r = sync_go(c, req, build_feat(req, false, fid, nsid, (uint32_t)(sel & 7) << 8, cdw11, 0,
				       buf, len), &cpl);
	if (r == 0 && result)
		*result = cpl.dw0;
	return r;
}

int nvmf_set_features(struct nvmf_ctrl *c, uint8_t fid, uint32_t nsid, bool save,
		      uint32_t cdw11, uint32_t cdw12, const void *buf, uint32_t len,
		      uint32_t *result)
{
	struct nvmf_completion cpl = { 0 };
	SYNC_BEGIN(true, "Set Features");
	r = sync_go(c, req, build_feat(req, true, fid, nsid, save ? NVMF_FEAT_SV : 0, cdw11, cdw12,
				       (void *)buf, len), &cpl);
	if (r == 0 && result)
		*result = cpl.dw0;
	return r;
}
