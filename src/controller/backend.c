/*
 * Namespace backends: a regular file, a block device or memory.
 *
 * File and block device I/O runs on the libuv threadpool (uv_queue_work)
 * so a slow disk never stalls the event loop that serves every
 * connection; memory namespaces are served inline. Deallocation punches
 * holes where the file system can, and writes zeroes where it cannot, so
 * that "deallocated blocks read as zeroes" (DLFEAT) is true everywhere.
 */
#ifdef __linux__
#define _GNU_SOURCE 1	/* fallocate() */
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <uv.h>
#ifdef __linux__
#include <linux/falloc.h>
#endif

#include <nvmf/endian.h>

#include "controller/ctl.h"

int ctl_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 0: break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: return -EINVAL;
	}
	if (*end && !(toupper((unsigned char)*end) == 'B' && !end[1]) &&
	    !(toupper((unsigned char)end[0]) == 'I' && toupper((unsigned char)end[1]) == 'B' && !end[2]))
		return -EINVAL;
	if (shift && v > (~0ull >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static int backend_size(int fd, uint64_t *size)
{
	struct stat st;
	off_t end;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	end = lseek(fd, 0, SEEK_END);	/* block devices on Linux and FreeBSD */
	if (end < 0)
		return -errno;
	*size = (uint64_t)end;
	return 0;
}


/*
 * A RAM namespace is read and written at random: with 4 KiB pages every
 * I/O to a cold spot costs a TLB miss, and the first touch of each page a
 * fault. Transparent huge pages (Linux, where the system leaves them to
 * madvise) cut both by 512 on the 2 MiB-aligned interior; elsewhere, or if
 * the kernel says no, the namespace works the same with small pages.
 */
static void ram_hugepages(struct ctl_ns *ns)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = 2u << 20;
	uintptr_t lo = ((uintptr_t)ns->ram + huge - 1) & ~(huge - 1);
	uintptr_t hi = ((uintptr_t)ns->ram + ns->size) & ~(huge - 1);

	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)ns;
#endif
}

/*
 * A namespace's NGUID names the disk behind it, so that a host (which
 * compares NGUIDs across reconnects and rescans, Base 2.0, 4.7.1) can tell
 * when the NSID now leads to another one.
 *
 * A RAM namespace's contents are born with it: one made anew (nvmf-target
 * restarted, or a reload that replaced it) is another namespace, and must
 * not pass for the old one under the same NSID, or a host reconnecting
 * after a restart would carry on with zeroes where its data was. So its
 * NGUID mixes in a random number drawn here.
 *
 * A file or device outlives the process: its NGUID is derived from the NQN,
 * the NSID and what the backing is (file_identity()), not from its path, so
 * that the same file keeps its NGUID across reloads and restarts, while
 * another one under the same NSID gets another, be it another path or a
 * new file renamed over the old one's path (a reload or a restart would
 * otherwise let a host write what it meant for the old disk into the new).
 */
static void ram_identity(struct ctl_ns *ns)
{
	if (uv_random(NULL, NULL, &ns->ram_id, sizeof(ns->ram_id), 0, NULL) != 0)
		ns->ram_id = (uint64_t)uv_hrtime() ^ ((uint64_t)getpid() << 32) ^
			     (uint64_t)(uintptr_t)ns->ram;
}

/*
 * What a file or device is: the device (st_rdev) for a device, and for a
 * file its file system (st_dev), its inode number and, where the file
 * system records one, its birth time, stable across reboots: an inode
 * number freed and given to a new file while nvmf-target was down is
 * another file then. (A file system whose device number changes at boot
 * makes its files new namespaces after a reboot: the safe side.)
 */
static void file_identity(struct ctl_ns *ns, const struct stat *st)
{
	struct statvfs vfs;

	ns->dev = S_ISREG(st->st_mode) ? st->st_dev : st->st_rdev;
	ns->ino = S_ISREG(st->st_mode) ? st->st_ino : 0;
	ns->born = 0;
	ns->fsid = (uint64_t)ns->dev;
	if (!S_ISREG(st->st_mode))
		return;
	/* The file system's ID where it has one of its own (ext4 and btrfs
	 * derive it from their UUID, UFS from its superblock): st_dev may be
	 * another after a reboot (LVM, btrfs subvolumes), and a host would
	 * then take the same file for another disk. */
	if (fstatvfs(ns->fd, &vfs) == 0 && vfs.f_fsid != 0)
		ns->fsid = (uint64_t)vfs.f_fsid;
#if defined(__linux__) && defined(STATX_BTIME)
	{
		struct statx stx;

		if (statx(ns->fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) == 0 &&
		    (stx.stx_mask & STATX_BTIME))
			ns->born = (uint64_t)stx.stx_btime.tv_sec * 1000000000u +
				   stx.stx_btime.tv_nsec;
	}
#elif defined(__FreeBSD__) || defined(__NetBSD__)
	if (st->st_birthtim.tv_sec > 0)
		ns->born = (uint64_t)st->st_birthtim.tv_sec * 1000000000u +
			   (uint64_t)st->st_birthtim.tv_nsec;
#elif defined(__APPLE__)
	if (st->st_birthtimespec.tv_sec > 0)
		ns->born = (uint64_t)st->st_birthtimespec.tv_sec * 1000000000u +
			   (uint64_t)st->st_birthtimespec.tv_nsec;
#endif
}

int ctl_ns_open(struct ctl_ns **out, const char *backing, uint32_t lba_shift, bool ro,
		char *msg, size_t msglen)
{
	struct ctl_ns *ns;
	struct stat st;
	int rc;

	if (lba_shift != 9 && lba_shift != 12) {
		snprintf(msg, msglen, "block size must be 512 or 4096");
		return -EINVAL;
	}
	ns = calloc(1, sizeof(*ns));
	if (!ns) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	ns->fd = -1;
	ns->refs = 1;
	ns->ro = ro;
	ns->lba_shift = lba_shift;
	snprintf(ns->path, sizeof(ns->path), "%s", backing);
	if (strncmp(backing, "ram:", 4) == 0) {
		ns->type = CTL_BE_RAM;
		if (ctl_parse_size(backing + 4, &ns->size) < 0 || ns->size == 0) {
			snprintf(msg, msglen, "%s: bad size (want ram:SIZE with a K, M, G or T suffix)", backing);
			free(ns);
			return -EINVAL;
		}
		if (ns->size & ((1u << lba_shift) - 1)) {
			snprintf(msg, msglen, "%s: size is not a multiple of the %u-byte block",
				 backing, 1u << lba_shift);
			free(ns);
			return -EINVAL;
		}
		ns->ram = calloc(1, ns->size);
		if (!ns->ram) {
			snprintf(msg, msglen, "%s: cannot allocate %llu bytes", backing,
				 (unsigned long long)ns->size);
			free(ns);
			return -ENOMEM;
		}
		ram_hugepages(ns);
		ns->punch = true;
		ram_identity(ns);
		*out = ns;
		return 0;
	}
	ns->fd = open(backing, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (ns->fd < 0) {
		rc = -errno;
		/* Writable refused: read-only may be what was meant. */
		snprintf(msg, msglen, "%s: %s%s", backing[0] ? backing : "''", strerror(errno),
			 !ro && (errno == EACCES || errno == EROFS || errno == EPERM) ?
			 " (a read-only backing is served read-only with -r, or ro in a "
			 "configuration file)" : "");
		free(ns);
		return rc;
	}
	if (fstat(ns->fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) &&
				       !S_ISCHR(st.st_mode))) {
		snprintf(msg, msglen, "%s: not a regular file or block device", backing);
		close(ns->fd);
		free(ns);
		return -EINVAL;
	}
	ns->type = S_ISREG(st.st_mode) ? CTL_BE_FILE : CTL_BE_BDEV;
	file_identity(ns, &st);
	rc = backend_size(ns->fd, &ns->size);
	if (rc < 0 || (ns->size >> lba_shift) == 0) {
		snprintf(msg, msglen, "%s: %s", backing,
			 rc < 0 ? strerror(-rc) : "smaller than one block");
		close(ns->fd);
		free(ns);
		return rc < 0 ? rc : -EINVAL;
	}
	ns->unserved = ns->size & ((1u << lba_shift) - 1);
	ns->size -= ns->unserved;
	ns->punch = true;
	*out = ns;
	return 0;
}

bool ctl_ns_same_backing(const struct ctl_ns *a, const struct ctl_ns *b)
{
	return a->type != CTL_BE_RAM && a->type == b->type && a->dev == b->dev &&
	       a->ino == b->ino;
}

bool ctl_ns_backing_is(const struct ctl_ns *ns, const char *path)
{
	struct stat st;

	if (ns->type == CTL_BE_RAM || stat(path, &st) < 0)
		return true;
	if (ns->type == CTL_BE_FILE)
		return S_ISREG(st.st_mode) && st.st_dev == ns->dev && st.st_ino == ns->ino;
	return (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)) && st.st_rdev == ns->dev;
}

void ctl_ns_put(struct ctl_ns *ns)
{
	if (--ns->refs)
		return;
	if (ns->fd >= 0)
		close(ns->fd);
	free(ns->ram);
	free(ns);
}

/* FNV-1a over v's 8 bytes. */
static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 1099511628211ull;
	return h;
}

static void make_nguid(struct ctl_subsys *s, uint32_t nsid, const struct ctl_ns *ns,
		       uint8_t nguid[16])
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = s->nqn; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ nsid) * 1099511628211ull;
	if (ns->type == CTL_BE_RAM) {
		h = (h ^ ns->ram_id) * 1099511628211ull;
	} else {
		h = fnv_u64(h, ns->type == CTL_BE_FILE ? 'f' : 'b');
		h = fnv_u64(h, ns->fsid);
		h = fnv_u64(h, (uint64_t)ns->ino);
		h = fnv_u64(h, ns->born);
	}
	nvmf_put_le64(nguid, h);
	nvmf_put_le64(nguid + 8, (h ^ 0x9e3779b97f4a7c15ull) * 1099511628211ull);
}

int ctl_subsys_attach_ns(struct ctl_subsys *s, struct ctl_ns *ns, uint32_t nsid)
{
	if (nsid == 0 || nsid > CTL_MAX_NS)
		return -EINVAL;
	if (s->ns[nsid])
		return -EEXIST;
	ns->nsid = nsid;
	make_nguid(s, nsid, ns, ns->nguid);
	s->ns[nsid] = ns;
	ctl_ns_notice(s, nsid);
	return 0;
}

void ctl_subsys_detach_ns(struct ctl_subsys *s, uint32_t nsid)
{
	struct ctl_ns *ns;

	if (nsid == 0 || nsid > CTL_MAX_NS || !(ns = s->ns[nsid]))
		return;
	s->ns[nsid] = NULL;
	ns->removed = true;
	ctl_ns_put(ns);
	ctl_ns_notice(s, nsid);
}

void ctl_subsys_ns_changed(struct ctl_subsys *s, uint32_t nsid)
{
	struct ctl_ns *ns = nsid && nsid <= CTL_MAX_NS ? s->ns[nsid] : NULL;
	uint64_t size, tail;

	if (!ns || ns->type == CTL_BE_RAM)
		return;
	if (backend_size(ns->fd, &size) < 0)
		return;
	tail = size & ((1u << ns->lba_shift) - 1);
	size -= tail;
	if (size == ns->size || size == 0)
		return;
	ctl_log(s->target, NVMF_LOG_INFO, "%s nsid %u: size %llu -> %llu bytes", s->nqn, nsid,
		(unsigned long long)ns->size, (unsigned long long)size);
	ns->size = size;
	ns->unserved = tail;
	ctl_ns_notice(s, nsid);
}

/* ---- I/O -------------------------------------------------------------------- */

static int full_pread(int fd, uint8_t *buf, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			/* Past the end of a file that shrank: zeroes. */
			memset(buf, 0, len);
			return 0;
		}
		buf += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int full_pwrite(int fd, const uint8_t *buf, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int write_zero_bytes(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zero[65536];

	while (len) {
		uint64_t n = len < sizeof(zero) ? len : sizeof(zero);
		int rc = full_pwrite(fd, zero, n, off);

		if (rc < 0)
			return rc;
		off += n;
		len -= n;
	}
	return 0;
}

/* Zero a range, deallocating it if asked and possible. Runs in a worker. */
static int zero_range(struct ctl_ns *ns, uint64_t off, uint64_t len, bool dealloc)
{
#ifdef __linux__
	/* ns->punch is only ever cleared, and a stale true merely costs one
	 * more failed fallocate, so the unlocked read is harmless. */
	if (dealloc && ns->punch) {
		if (fallocate(ns->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)off, (off_t)len) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
			return -errno;
		ns->punch = false;
	}
	if (fallocate(ns->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off,
		      (off_t)len) == 0)
		return 0;
#else
	(void)dealloc;
#endif
	return write_zero_bytes(ns->fd, off, len);
}

static void be_work(uv_work_t *w)
{
	struct ctl_req *req = w->data;
	struct ctl_ns *ns = req->ns;
	uint8_t opc = req->x.sqe[offsetof(struct nvmf_sqe, opcode)];
	int rc = 0;

	switch (opc) {
	case NVMF_NVM_READ:
		rc = full_pread(ns->fd, req->x.data, req->io_len, req->io_off);
		break;
	case NVMF_NVM_COMPARE:
		rc = full_pread(ns->fd, req->aux, req->io_len, req->io_off);
		break;
	case NVMF_NVM_WRITE:
		rc = full_pwrite(ns->fd, req->x.data, req->io_len, req->io_off);
		if (rc == 0 &&
		    (nvmf_get_le32(req->x.sqe + offsetof(struct nvmf_sqe, cdw12)) & NVMF_RW_FUA))
			rc = fdatasync(ns->fd) < 0 ? -errno : 0;
		break;
	case NVMF_NVM_FLUSH:
		if (req->aux) {
			/* NSID FFFFFFFFh: every namespace, listed in aux. */
			struct ctl_ns **list = (struct ctl_ns **)(void *)req->aux;

			for (; *list; list++)
				if ((*list)->fd >= 0 && fdatasync((*list)->fd) < 0 && errno != EINVAL)
					rc = -errno;
		} else if (fdatasync(ns->fd) < 0 && errno != EINVAL) {
			rc = -errno;
		}
		break;
	case NVMF_NVM_WRITE_ZEROES:
		rc = zero_range(ns, req->io_off, req->io_len, req->deac);
		break;
	case NVMF_NVM_DSM: {
		uint32_t cdw10 = nvmf_get_le32(req->x.sqe + offsetof(struct nvmf_sqe, cdw10));
		uint32_t nr = (cdw10 & 0xFF) + 1;

		for (uint32_t i = 0; i < nr && rc == 0; i++) {
			const uint8_t *r = req->x.data + sizeof(struct nvmf_dsm_range) * i;
			uint64_t nlb = nvmf_get_le32(r + offsetof(struct nvmf_dsm_range, nlb));
			uint64_t slba = nvmf_get_le64(r + offsetof(struct nvmf_dsm_range, slba));

			if (nlb)
				rc = zero_range(ns, slba << ns->lba_shift, nlb << ns->lba_shift, true);
		}
		break;
	}
	default:
		rc = -EINVAL;
		break;
	}
	req->werr = rc;
}

/* Map a backend errno to an NVMe status (Base 2.0, Figures 102-106). */
static uint16_t errno_status(int err, uint8_t opc)
{
	switch (err) {
	case 0:
		return NVMF_SC_SUCCESS;
	case -ENOSPC:
	case -EDQUOT:
		return NVMF_SC_CAPACITY_EXCEEDED;
	case -EROFS:
	case -EBADF:
	case -EPERM:
	case -EACCES:
		return NVMF_SC_WRITE_TO_RO_RANGE | CTL_DNR;
	case -ENXIO:
	case -ENODEV:
		return NVMF_SC_NS_NOT_READY;
	case -EIO:
		return opc == NVMF_NVM_READ || opc == NVMF_NVM_COMPARE ? NVMF_SC_UNRECOVERED_READ
								   : NVMF_SC_WRITE_FAULT;
	default:
		return NVMF_SC_INTERNAL_ERROR;
	}
}

static void be_done(struct ctl_req *req)
{
	uint8_t opc = req->x.sqe[offsetof(struct nvmf_sqe, opcode)];
	uint16_t st = errno_status(req->werr, opc);

	if (req->werr)
		ctl_log(req->q->target, NVMF_LOG_WARN, "%s nsid %u: I/O opcode %#x failed: %s",
			req->ns ? req->ns->path : "?", req->ns ? req->ns->nsid : 0, opc,
			strerror(-req->werr));
	if (!st && opc == NVMF_NVM_COMPARE && memcmp(req->aux, req->x.data, req->io_len) != 0)
		st = NVMF_SC_COMPARE_FAILURE | CTL_DNR;
	if (req->aux && opc == NVMF_NVM_FLUSH) {
		for (struct ctl_ns **l = (struct ctl_ns **)(void *)req->aux; *l; l++)
			ctl_ns_put(*l);
		ctl_req_aux_put(req);
	}
	ctl_req_complete(req, st, 0, 0);
}

static void be_after(uv_work_t *w, int status)
{
	struct ctl_req *req = w->data;

	if (status == UV_ECANCELED)
		req->werr = -ECANCELED;
	be_done(req);
}

static void ram_exec(struct ctl_req *req)
{
	struct ctl_ns *ns = req->ns;
	uint8_t opc = req->x.sqe[offsetof(struct nvmf_sqe, opcode)];

	req->werr = 0;
	switch (opc) {
	case NVMF_NVM_READ:
		/* No copy here: the transport sends the namespace's bytes as they
		 * are when it writes the response (a Write received meanwhile is
		 * concurrent with this Read, which may return either data), or
		 * copies them into the request's buffer first (xp_creq.bounce).
		 * The namespace stays referenced until the request is released. */
		req->x.bounce = req->x.data;
		req->x.data = ns->ram + req->io_off;
		break;
	case NVMF_NVM_COMPARE:
		memcpy(req->aux, ns->ram + req->io_off, req->io_len);
		break;
	case NVMF_NVM_WRITE:
		/* From where the transport received it, if it lent it: one
		 * copy fewer (xp_creq.icd). */
		ctl_ram_store(ns->ram + req->io_off, req->x.icd ? req->x.icd : req->x.data,
			      req->io_len);
		req->x.icd = NULL;
		break;
	case NVMF_NVM_WRITE_ZEROES:
		memset(ns->ram + req->io_off, 0, req->io_len);
		break;
	case NVMF_NVM_DSM: {
		uint32_t cdw10 = nvmf_get_le32(req->x.sqe + offsetof(struct nvmf_sqe, cdw10));
		uint32_t nr = (cdw10 & 0xFF) + 1;

		for (uint32_t i = 0; i < nr; i++) {
			const uint8_t *r = req->x.data + sizeof(struct nvmf_dsm_range) * i;
			uint64_t nlb = nvmf_get_le32(r + offsetof(struct nvmf_dsm_range, nlb));
			uint64_t slba = nvmf_get_le64(r + offsetof(struct nvmf_dsm_range, slba));

			memset(ns->ram + (slba << ns->lba_shift), 0, nlb << ns->lba_shift);
		}
		break;
	}
	default:
		break;
	}
	be_done(req);
}

/*
 * What runs on the loop at once, with nothing to wait for: any command on a
 * RAM namespace (Compare included, whose read buffer is in aux too), and a
 * flush of every namespace (no req->ns, its list in aux) when the list is
 * empty, since RAM namespaces are left out of it. The threadpool's work
 * reads ns->fd, which a RAM namespace does not have.
 */
static bool runs_inline(const struct ctl_req *req)
{
	if (req->ns)
		return req->ns->type == CTL_BE_RAM;
	return !req->aux || !((struct ctl_ns *const *)(const void *)req->aux)[0];
}

void ctl_backend_submit(struct ctl_req *req)
{
	int rc;

	if (runs_inline(req)) {
		ram_exec(req);
		return;
	}
	ctl_req_take_icd(req);	/* the work runs after the lender moved on */
	req->work.data = req;
	rc = uv_queue_work(req->q->target->loop, &req->work, be_work, be_after);
	if (rc < 0) {
		req->werr = -EIO;
		be_done(req);
	}
}
