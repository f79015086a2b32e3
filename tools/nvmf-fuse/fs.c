/*
 * nvmf-fuse: the file system's shape, on FUSE's low-level API.
 *
 * One directory (the mount point, inode 1) holding one regular file per
 * namespace, "n<NSID>", inode NSID + 1. A file behaves like the block
 * device it stands for: its size is the namespace's, it cannot grow or
 * shrink (truncating to the current size succeeds, to any other fails with
 * EINVAL; O_TRUNC at open is ignored thanks to FUSE_CAP_ATOMIC_O_TRUNC),
 * and it cannot be created, renamed or removed.
 */
#include "nvmf_fuse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

/* The kernel's attribute and entry caches: namespace changes invalidate
 * explicitly, the timeout only bounds what a missed notice could cost. */
#define NF_ATTR_TIMEOUT 1.0

static struct nf_ctx *fs_ctx(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* ---- Metadata --------------------------------------------------------------------- */

static void root_stat(const struct nf_ctx *x, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = FUSE_ROOT_ID;
	st->st_mode = S_IFDIR | 0700;
	if (x->cfg->allow_other)
		st->st_mode |= 0055;	/* others may list; files stay 0600 */
	st->st_nlink = 2;
	st->st_uid = x->uid;
	st->st_gid = x->gid;
}

static void nf_init(void *userdata, struct fuse_conn_info *conn)
{
	struct nf_ctx *x = userdata;

	nf_fuse_conn_want(conn);
	/* -o max_read=N: the mount has it, and libfuse ends the session if
	 * init() does not ask for the same (fuse_conn.h leaves it unset). */
	if (x->cfg->max_read)
		conn->max_read = x->cfg->max_read;
	x->init_called = true;
}

static void nf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct nf_ctx *x = fs_ctx(req);
	struct fuse_entry_param e;
	struct nf_ns ns;

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (!nf_ns_by_name(x, name, &ns)) {
		/* Negative entries are not cached: a namespace may appear. */
		memset(&e, 0, sizeof(e));
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = nf_ns_ino(ns.nsid, ns.gen);
	e.generation = 1;
	e.attr_timeout = NF_ATTR_TIMEOUT;
	e.entry_timeout = NF_ATTR_TIMEOUT;
	nf_ns_stat(x, &ns, &e.attr);
	fuse_reply_entry(req, &e);
}

static void nf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct nf_ctx *x = fs_ctx(req);
	struct stat st;
	struct nf_ns ns;

	(void)fi;
	if (ino == FUSE_ROOT_ID) {
		root_stat(x, &st);
	} else if (nf_ns_get(x, ino, &ns)) {
		nf_ns_stat(x, &ns, &st);
	} else {
		/* Only a descriptor still reaches an inode whose namespace
		 * went away: it fails as its I/O does (op_new()). */
		fuse_reply_err(req, EIO);
		return;
	}
	fuse_reply_attr(req, &st, NF_ATTR_TIMEOUT);
}

static void nf_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct nf_ctx *x = fs_ctx(req);
	struct stat st;
	struct nf_ns ns;

	(void)fi;
	if (ino == FUSE_ROOT_ID) {
		root_stat(x, &st);
	} else if (nf_ns_get(x, ino, &ns)) {
		nf_ns_stat(x, &ns, &st);
	} else {
		/* Only a descriptor still reaches an inode whose namespace
		 * went away: it fails as its I/O does (op_new()). */
		fuse_reply_err(req, EIO);
		return;
	}
	/* Owner and mode are fixed; setting them to what they are is a
	 * no-op, which succeeds, as POSIX has it for any file. */
	if (((to_set & FUSE_SET_ATTR_MODE) && (attr->st_mode & 07777) != (st.st_mode & 07777)) ||
	    ((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != st.st_uid) ||
	    ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != st.st_gid)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	/* Like a block device: the size is the namespace's. */
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (ino == FUSE_ROOT_ID) {
			fuse_reply_err(req, EISDIR);
			return;
		}
		if ((uint64_t)attr->st_size != ns.size) {
			fuse_reply_err(req, EINVAL);
			return;
		}
	}
	/* Times are accepted and forgotten (touch works). */
	fuse_reply_attr(req, &st, NF_ATTR_TIMEOUT);
}

static void nf_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fuse_reply_open(req, fi);
}

static void nf_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct nf_ctx *x = fs_ctx(req);
	struct nf_ns *list = NULL;
	char *buf;
	size_t used = 0;
	int n;

	(void)fi;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	n = nf_ns_list(x, &list);
	buf = nf_pool_get(&x->eng.pool, size ? size : 1);
	if (n < 0 || !buf) {
		free(list);
		nf_pool_put(&x->eng.pool, buf, size ? size : 1);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* Offsets: 1 ".", 2 "..", then 2 + NSID, so a namespace that comes
	 * or goes between calls does not shift the others. */
	for (int i = -2; i < n; i++) {
		struct stat st;
		char name[16];
		off_t next;
		size_t len;

		memset(&st, 0, sizeof(st));
		if (i < 0) {
			next = i + 3;
			st.st_ino = FUSE_ROOT_ID;
			st.st_mode = S_IFDIR;
			snprintf(name, sizeof(name), "%s", i == -2 ? "." : "..");
		} else {
			next = (off_t)list[i].nsid + 2;
			st.st_ino = (ino_t)nf_ns_ino(list[i].nsid, list[i].gen);
			st.st_mode = S_IFREG;
			snprintf(name, sizeof(name), "n%u", list[i].nsid);
		}
		if (next <= off)
			continue;
		len = fuse_add_direntry(req, buf + used, size - used, name, &st, next);
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	nf_pool_put(&x->eng.pool, buf, size ? size : 1);
	free(list);
}

static void nf_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct nf_ctx *x = fs_ctx(req);
	struct nf_ns ns;

	if (ino == FUSE_ROOT_ID) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (!nf_ns_get(x, ino, &ns)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY && ns.read_only) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* O_TRUNC is ignored: the size of a block device is fixed. */
	fi->direct_io = x->cfg->direct_io;
	fi->keep_cache = 0;	/* another host may have written meanwhile */
	fuse_reply_open(req, fi);
}

static void nf_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

/* close(2): writes were answered only once the controller completed them;
 * durability is fsync's business, as on a disk. */
static void nf_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void nf_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void nf_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct nf_ctx *x = fs_ctx(req);
	struct nf_ns *list = NULL;
	struct statvfs sv;
	uint64_t bytes = 0;
	int n = nf_ns_list(x, &list);

	(void)ino;
	for (int i = 0; i < n; i++)
		bytes += list[i].size;
	free(list);
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = 4096;
	sv.f_frsize = 4096;
	sv.f_blocks = (fsblkcnt_t)(bytes / 4096);
	sv.f_files = (fsfilcnt_t)(n > 0 ? n + 1 : 1);
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

static void nf_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)rdev;
	fuse_reply_err(req, EPERM);	/* files are namespaces, not made here */
}

static void nf_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)fi;
	fuse_reply_err(req, EPERM);
}

static void nf_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

/*
 * The directory's entries are the namespaces: nothing is made, removed,
 * renamed or linked here. Every such call fails as unlink() and create()
 * do, with EPERM; left out, libfuse would answer ENOSYS ("function not
 * implemented"), which reads as a missing feature, not a refusal.
 */
static void nf_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent;
	(void)name;
	(void)mode;
	fuse_reply_err(req, EPERM);
}

static void nf_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

static void nf_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

static void nf_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	fuse_reply_err(req, EPERM);
}

static void nf_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	(void)parent;
	(void)name;
	(void)newparent;
	(void)newname;
	(void)flags;
	fuse_reply_err(req, EPERM);
}

const struct fuse_lowlevel_ops nf_ops = {
	.init      = nf_init,
	.lookup    = nf_lookup,
	.getattr   = nf_getattr,
	.setattr   = nf_setattr,
	.mknod     = nf_mknod,
	.create    = nf_create,
	.unlink    = nf_unlink,
	.mkdir     = nf_mkdir,
	.rmdir     = nf_rmdir,
	.symlink   = nf_symlink,
	.link      = nf_link,
	.rename    = nf_rename,
	.opendir   = nf_opendir,
	.readdir   = nf_readdir,
	.fsyncdir  = nf_fsyncdir,
	.open      = nf_open,
	.release   = nf_release,
	.flush     = nf_flush,
	.fsync     = nf_io_fsync,
	.read      = nf_io_read,
	.write     = nf_io_write,
	.fallocate = nf_io_fallocate,
	.statfs    = nf_statfs,
};
