/*
 * fuse-null: the bound the kernel's FUSE driver sets for nvmf-fuse, as
 * nvmf-perf -R is the bound TCP sets for nvmf-perf.
 *
 * One file, "n1", of the size asked for, in a FUSE mount with nvmf-fuse's
 * connection settings (fuse_conn.h: asynchronous direct I/O, 1 MiB requests, 64
 * background requests) and its thread structure (one thread reads
 * /dev/fuse and writes every reply), but no NVMe behind it: a read is
 * answered at once from a zeroed buffer, a write is taken and dropped.
 * fio on n1 then measures what FUSE alone costs per request on this
 * machine: two system calls on /dev/fuse and the kernel's wake-ups,
 * without the network, the target or the library. bench/run reports fio on
 * nvmf-fuse against fio on this mount, in the same run.
 *
 *   fuse-null [-s SIZE_MIB] [-t THREADS] MOUNTPOINT   (foreground; unmount to stop)
 *
 * -t N serves with up to N libfuse worker threads (libfuse starts one
 * more while all are busy), each with a /dev/fuse descriptor of its own
 * (clone_fd), instead of one thread: what FUSE allows when its own
 * hand-overs between threads are bought with cores. Needs libfuse 3.12
 * (the loop configuration calls); the build leaves fuse-null out before.
 */
#define FUSE_USE_VERSION 312	/* FUSE_MAKE_VERSION(3, 12): the loop config API */
#include <fuse_lowlevel.h>

#include "fuse_conn.h"	/* nvmf-fuse's connection settings */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NULL_MAX_IO NF_MAX_IO
#define NULL_INO 2

static const char null_name[] = "n1";
static off_t null_size = 1024L * 1024 * 1024;
static char *null_zero;	/* NULL_MAX_IO zero bytes, every read's reply */

static void null_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	nf_fuse_conn_want(conn);	/* what nvmf-fuse's nf_init() asks for */
}

static void null_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (ino == NULL_INO) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = null_size;
		st->st_blksize = 4096;
		st->st_blocks = null_size / 512;
	} else {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	}
}

static void null_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	if (parent != FUSE_ROOT_ID || strcmp(name, null_name) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = NULL_INO;
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	null_stat(NULL_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void null_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != NULL_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	null_stat(ino, &st);
	fuse_reply_attr(req, &st, 1.0);
}

static void null_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	char buf[256];
	struct stat st;
	size_t n = 0;

	(void)fi;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	memset(&st, 0, sizeof(st));
	/* Entries ".", "..", "n1" at offsets 1, 2, 3. */
	static const char *names[] = { ".", "..", null_name };
	for (off_t i = off; i < 3; i++) {
		size_t want;

		st.st_ino = i == 2 ? NULL_INO : FUSE_ROOT_ID;
		st.st_mode = i == 2 ? S_IFREG : S_IFDIR;
		want = fuse_add_direntry(req, buf + n, sizeof(buf) - n, names[i], &st, i + 1);
		if (want > sizeof(buf) - n || n + want > size)
			break;
		n += want;
	}
	fuse_reply_buf(req, buf, n);
}

static void null_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != NULL_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void null_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	if (off >= null_size)
		size = 0;
	else if ((off_t)size > null_size - off)
		size = (size_t)(null_size - off);
	if (size > NULL_MAX_IO)
		size = NULL_MAX_IO;
	fuse_reply_buf(req, null_zero, size);
}

static void null_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	(void)buf;
	(void)fi;
	if (off >= null_size) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	if ((off_t)size > null_size - off)
		size = (size_t)(null_size - off);
	fuse_reply_write(req, size);
}

static const struct fuse_lowlevel_ops null_ops = {
	.init = null_init,
	.lookup = null_lookup,
	.getattr = null_getattr,
	.readdir = null_readdir,
	.open = null_open,
	.read = null_read,
	.write = null_write,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: fuse-null [-s SIZE_MIB] [-t THREADS] MOUNTPOINT\n"
		   "  serves MOUNTPOINT/n1 (reads zeros, writes dropped) until unmounted\n");
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;
	const char *mnt;
	long threads = 1;
	int opt, r;

	while ((opt = getopt(argc, argv, "s:t:h")) != -1) {
		char *end;
		long long mib;

		switch (opt) {
		case 's':
			errno = 0;
			mib = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || mib <= 0 || mib > (1LL << 30)) {
				fprintf(stderr, "fuse-null: -s '%s': a size in MiB, 1 or more\n", optarg);
				return 2;
			}
			null_size = (off_t)mib * 1024 * 1024;
			break;
		case 't':
			errno = 0;
			threads = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || threads < 1 || threads > 64) {
				fprintf(stderr, "fuse-null: -t '%s': a thread count, 1 to 64\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	mnt = argv[optind];
	null_zero = calloc(1, NULL_MAX_IO);
	if (!null_zero) {
		fprintf(stderr, "fuse-null: out of memory\n");
		return 1;
	}
	if (fuse_opt_add_arg(&args, "fuse-null") != 0 ||
	    fuse_opt_add_arg(&args, "-o") != 0 ||
	    fuse_opt_add_arg(&args, "fsname=fuse-null,subtype=fuse-null") != 0) {
		fprintf(stderr, "fuse-null: out of memory\n");
		return 1;
	}
	se = fuse_session_new(&args, &null_ops, sizeof(null_ops), NULL);
	if (!se) {
		fuse_opt_free_args(&args);
		free(null_zero);
		return 1;	/* libfuse said why */
	}
	if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, mnt) != 0) {
		fuse_session_destroy(se);
		fuse_opt_free_args(&args);
		free(null_zero);
		return 1;
	}
	/* One thread reads a request, answers it and reads the next, as
	 * nvmf-fuse's I/O thread does (without its batching); or workers. */
	if (threads == 1) {
		r = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *cfg = fuse_loop_cfg_create();

		if (!cfg) {
			fprintf(stderr, "fuse-null: out of memory\n");
			r = -1;
		} else {
			fuse_loop_cfg_set_clone_fd(cfg, 1);
			fuse_loop_cfg_set_max_threads(cfg, (unsigned)threads);
			fuse_loop_cfg_set_idle_threads(cfg, (unsigned)threads);
			r = fuse_session_loop_mt(se, cfg);
			fuse_loop_cfg_destroy(cfg);
		}
	}
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	free(null_zero);
	return r < 0 ? 1 : 0;
}
