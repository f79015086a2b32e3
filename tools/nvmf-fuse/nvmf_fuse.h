/*
 * nvmf-fuse: shared state of the FUSE server.
 *
 * Threads: libfuse's worker threads run the operations; the library's I/O
 * thread runs completion and event callbacks and answers most requests
 * (fuse_reply_* is safe from any thread); one "notify" thread turns
 * controller events into FUSE cache invalidations, which must not be sent
 * from the I/O thread (the kernel may need I/O to finish them), and into
 * state record rewrites; one "signal" thread waits for SIGUSR1 (blocked in
 * every thread) and asks the library to reconnect.
 *
 * Outages: the library holds reads and writes while it reconnects (nvmf.h,
 * OUTAGES), so FUSE requests simply wait and then complete; nothing here
 * fails them. Files stay open. Only a controller given up (GAVE_UP) fails
 * them, with EIO (op_errno()).
 */
#ifndef NVMF_FUSE_H
#define NVMF_FUSE_H

/* libfuse 3.2's API: the low-level session calls session.c drives by hand
 * (fuse_session_receive_buf(), fuse_session_process_buf()) are in every
 * libfuse 3. */
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 32
#endif

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <nvmf/nvmf.h>

#include "fuse_conn.h"	/* NF_MAX_IO */
#include "options.h"
#include "pool.h"
#include "rangelock.h"
#include "record.h"	/* tools/common: the state record nvmfctl reads */

/* Largest Read/Write command: MDTS if smaller. Cutting a 1 MiB request in
 * four spreads it over the I/O queues. */
#define NF_MAX_CMD (256u << 10)
/* Bytes in flight, all namespaces together. A slow controller (a Linux
 * target under emulation moves 10-20 MB/s) must get through the window
 * well within the keep-alive timeout: while it works through a deep
 * backlog it receives no new command, and a traffic-based keep-alive
 * (NVMe Base 2.0, 3.9.5) host sends no Keep Alive either. */
#define NF_MAX_INFLIGHT (16u << 20)
/* Write Zeroes and Read/Write carry a 16-bit 0's based NLB (NVMe Base 2.0,
 * NVM Command Set 1.0, 3.2.8 / 3.3.4 / 3.3.6). */
#define NF_MAX_NLB 65536u
/* What one read of /dev/fuse may bring: the kernel refuses a read with
 * less room than max_write plus a write's headers (fuse_dev_do_read()),
 * and libfuse reads with a page for them (FUSE_BUFFER_HEADER_SIZE). */
#define NF_RBUF_LEN (NF_MAX_IO + 4096u)
/* Writes of at least this many bytes keep their data in the buffer the
 * request was read into (nf_session_take_buf()) instead of copying it;
 * below it the copy costs less than a receive buffer's turn. */
#define NF_TAKE_MIN (32u << 10)

/* One namespace file. Entries live until exit (a namespace that goes away
 * is marked absent) so in-flight requests may keep pointers to them. */
struct nf_ns {
	uint32_t nsid;
	bool     present;
	/* Incarnation: 1, then one more each time the NSID is served again
	 * after it went away. It is part of the inode number (nf_ns_ino()),
	 * so that a descriptor opened on a namespace that went away never
	 * reaches the one the controller attaches at its NSID later. Only an
	 * NSID that left the controller's list counts: one the library found
	 * unusable for a while (an Identify that failed) and then the same
	 * again keeps its inode. */
	uint32_t gen;
	bool     gone;		/* absent because the controller no longer lists it */
	/* gen while present, 0 while not: read without the table's lock
	 * before every command (op.c), written under it. */
	atomic_uint live_gen;
	uint64_t size;		/* bytes */
	uint32_t lba_size;
	bool     read_only;	/* namespace write protected, or -r */
	bool     write_zeroes, write_zeroes_deac, deallocate, dealloc_zeroes, vwc;
	struct rl_table locks;	/* blocks held by writes */
};

/* Room for the library's text of a failure. */
#define NF_WHY_MAX 512

struct op;

/*
 * The op engine's state (op.c): one per server, in struct nf_ctx, reached
 * from a request through fuse_req_userdata() and from an op through op->x.
 */
struct nf_engine {
	/* Zeroes for fallocate where Write Zeroes is missing (NF_MAX_CMD
	 * bytes); an op on larger blocks brings its own (io.c). */
	char            *zero_buf;
	size_t           zero_len;

	/* Credits: commands the I/O queues can hold; ops waiting for one. */
	pthread_mutex_t  credit_mu;
	long             credits;
	struct op       *starved_head, *starved_tail;

	/* Ops and their buffers, recycled (pool.c). */
	struct nf_pool   pool;
	bool             pool_ready;

	/* Failure lines: the last text printed, and how often it recurred since. */
	pthread_mutex_t  report_mu;
	char             report_last[NF_WHY_MAX];
	unsigned         report_repeats;
	time_t           report_time;
};

struct nf_ctx {
	struct fo_config    *cfg;
	struct nvmf_ctrl    *ctrl;
	struct nvmf_ctrl_info info;
	struct fuse_session *se;
	/* The controller's transfer limit (MDTS) in bytes, 0 = none, as of its
	 * latest connection: a reconnect may change it (nf_xfer_refresh()).
	 * Read on the I/O path without a lock (nf_xfer_cmd()). */
	atomic_uint          ctrl_xfer;
	atomic_uint          xfer_said;	/* the limit last reported (ns.c) */
	bool                 tls_requested;	/* the options asked for TLS (the key
						 * itself is wiped once connected) */
	uid_t                uid;
	gid_t                gid;
	time_t               start_time;	/* the files' times */
	char                 mountpoint[4096];	/* absolute */

	/* Namespace table, sorted by NSID. */
	pthread_rwlock_t     ns_lock;
	struct nf_ns       **ns;
	int                  nr_ns;

	/* Requests being served (their replies not yet sent). */
	pthread_mutex_t      ops_mu;
	pthread_cond_t       ops_cv;
	unsigned             ops;

	/* Controller events, handled on the notify thread. */
	pthread_mutex_t      ev_mu;
	pthread_cond_t       ev_cv;
	pthread_t            ev_thread;
	bool                 ev_started;
	bool                 ev_rescan;
	bool                 ev_stop;

	/* SIGUSR1: reconnect now (main.c). */
	pthread_t            sig_thread;
	bool                 sig_started;
	atomic_bool          sig_stop;

	/* The FUSE session, read on the library's I/O thread (session.c). */
	pthread_t            main_thread;	/* woken by SIGUSR2 when it ends */
	int                  session_fd;	/* /dev/fuse */
	int                  watch_fd;		/* what is watched: session_fd, or
						 * on FreeBSD a kqueue of it */
	bool                 session_watched;	/* main thread only */
	char                *rbuf;		/* what /dev/fuse is read into
						 * (NF_RBUF_LEN); I/O thread only */
	atomic_bool          session_done;	/* ended on the I/O thread */
	bool                 init_called;	/* nf_init() ran (I/O thread) */
	atomic_bool          init_ok;		/* and libfuse took the INIT */
	atomic_int           session_err;	/* 0, or why reading failed */
	atomic_uint          requests;		/* reads of /dev/fuse (I/O thread) */

	/* The data path (op.c). */
	struct nf_engine     eng;

	/* State record (tools/common/record.h), rewritten under state_mu. */
	pthread_mutex_t      state_mu;
	char                 rundir[TC_PATH_MAX];
	char                 name[TC_NAME_MAX];
	bool                 claimed;	/* <rundir>/<name>.json is ours */
};

/* ns.c: namespace table and change handling. */
int  nf_ns_load(struct nf_ctx *x);		/* initial table from the library */
/* A namespace's inode: NSID + 1 in the low 32 bits (the root is 1), its
 * incarnation - 1 above them (so the first one's is NSID + 1). */
static inline fuse_ino_t nf_ns_ino(uint32_t nsid, uint32_t gen)
{
	return ((fuse_ino_t)(gen - 1) << 32) | ((fuse_ino_t)nsid + 1);
}
/* Copy of the namespace behind an inode (nf_ns_ino()); NULL if absent, or
 * if the inode is of an earlier incarnation. The pointer stays valid until
 * exit. */
struct nf_ns *nf_ns_get(struct nf_ctx *x, fuse_ino_t ino, struct nf_ns *copy);
struct nf_ns *nf_ns_by_name(struct nf_ctx *x, const char *name, struct nf_ns *copy);
/* The same for the NSID's present incarnation, whatever it is. */
struct nf_ns *nf_ns_live(struct nf_ctx *x, uint32_t nsid, struct nf_ns *copy);
/* Fill out with the present namespaces (malloc()ed copies); count or -errno. */
int  nf_ns_list(struct nf_ctx *x, struct nf_ns **out);
/* nvmf event_cb: logs every transition of the controller (one line on
 * stderr each) and wakes the notify thread, which rescans and rewrites the
 * state record. */
void nf_ns_event(void *user, const struct nvmf_event *ev);
/* Wake the notify thread as an event would (SIGUSR1 handled). */
void nf_ns_poke(struct nf_ctx *x);
int  nf_ns_thread_start(struct nf_ctx *x);
void nf_ns_thread_stop(struct nf_ctx *x);
void nf_ns_free(struct nf_ctx *x);
void nf_ns_stat(const struct nf_ctx *x, const struct nf_ns *ns, struct stat *st);

/* session.c: the FUSE session served from the library's I/O thread. */
/* SIGINT, SIGTERM, SIGHUP and SIGUSR2 blocked (before any thread starts:
 * only nf_session_wait() takes them). */
void nf_session_block_signals(void);
/* Around the connect (after nf_session_block_signals()): a stop signal
 * runs undo(arg) and ends the process by that signal (session.c). */
int  nf_session_guard_start(void (*undo)(void *), void *arg);
void nf_session_guard_stop(void);
/* Have the I/O thread read /dev/fuse (mounted already); 0 or -errno. */
int  nf_session_start(struct nf_ctx *x);
/* Wait for a signal or the end of the session; 0 or why reading failed. */
int  nf_session_wait(struct nf_ctx *x);
/* Wait until the kernel's INIT was answered (at mount; bounded): 0, or
 * -EPROTO when libfuse refused it and the session ended. */
int  nf_session_wait_init(struct nf_ctx *x);
/* Stop reading requests (main thread); the replies of those taken go on. */
void nf_session_stop(struct nf_ctx *x);
/* Give back the request buffer, once stopped. */
void nf_session_fini(struct nf_ctx *x);
/*
 * A write's data is len bytes at data, in the request just read: if that
 * is the session's buffer, the caller takes the buffer (*rbuf, given back
 * with nf_pool_rbuf_put()) and keeps the data where it is, and the next
 * request is read into another. false: the data is not there (copy it).
 * Only from an operation the session runs (the I/O thread).
 */
bool nf_session_take_buf(struct nf_ctx *x, const char *data, size_t len, char **rbuf);

/* fs.c: the FUSE operations table. */
extern const struct fuse_lowlevel_ops nf_ops;
void nf_op_begin(struct nf_ctx *x);
void nf_op_end(struct nf_ctx *x);
/* Wait until no request is being served, at most timeout_s; 0 or -ETIMEDOUT. */
int  nf_ops_drain(struct nf_ctx *x, int timeout_s);
int  nf_ops_drain_ms(struct nf_ctx *x, long timeout_ms);
/* The same while go_on(x) holds: -EAGAIN once it does not. */
int  nf_ops_drain_while(struct nf_ctx *x, int timeout_s, bool (*go_on)(struct nf_ctx *x));

/* op.c: the transfer limit. nf_xfer_refresh() reads it from the library
 * (at connect, at each reconnect, when a submission was refused) and
 * returns nf_xfer_cmd(): the bytes of a Read or Write command now, the
 * limit or NF_MAX_CMD if smaller (a single block may still be larger,
 * where no limit stands in its way). */
uint32_t nf_xfer_refresh(struct nf_ctx *x);
uint32_t nf_xfer_cmd(struct nf_ctx *x);

/* io.c and op.c: data path. */
void nf_io_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void nf_io_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		 struct fuse_file_info *fi);
void nf_io_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void nf_io_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		     struct fuse_file_info *fi);
/* Flush every namespace with a volatile write cache (synchronous). */
int  nf_io_flush_all(struct nf_ctx *x);
/* The engine's credits, zero buffer and pool, once connected (x->eng's
 * mutexes are set up with the context); nf_io_fini() reports what is left
 * to report and frees, once no op is left. */
int  nf_io_init(struct nf_ctx *x);
void nf_io_fini(struct nf_ctx *x);

/* state.c: runtime directory, connection name, state record, pidfile. */
/* The runtime directory (tc_rundir()), created if missing. */
int  nf_state_rundir(char *buf, size_t len, char *err, size_t errlen);
/* Claim cfg->name (or the smallest free nvmfN) in x->rundir. */
int  nf_state_claim(struct nf_ctx *x, char *err, size_t errlen);
/* (Re)write the record atomically, with the controller's state now. */
int  nf_state_write(struct nf_ctx *x);
void nf_state_remove(struct nf_ctx *x);
int  nf_pidfile_write(const char *path, char *err, size_t errlen);

#endif
