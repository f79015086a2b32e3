/*
 * libnvmf-fio: a fio external I/O engine on libnvmf (tools/fio/README.md).
 *
 *	ioengine=external:/usr/local/lib/libnvmf/libnvmf-fio.so
 *	filename=nvme+tcp\://127.0.0.1\:4420/nqn.2026-11.org.example\:disk/1
 *
 * Each io_u goes to the controller as it is queued, from fio's own buffer
 * (nvmf_aio_read/write take it as is: no copy here). A read or write larger
 * than one command may carry (the controller's MDTS, nvmf_ctrl_info.max_xfer,
 * and 65536 blocks) goes as several commands on consecutive LBA ranges of
 * that buffer, submitted together; the io_u completes when the last of them
 * has, with the first error among them (nf_slot). A reconnect may bring the
 * controller back with a smaller MDTS: a command the library then refuses
 * for its length, at submission or when it replays it after the outage, is
 * cut again to the new limit (nf_send(), nf_recut()). Trim is Dataset
 * Management with the Deallocate attribute (NVMe NVM Command Set 1.0,
 * 3.2.3), sync a Flush. Completions land in the job's list of finished
 * io_us, which getevents hands to fio.
 *
 * Two ways of running the library (nvmf.h, THREADING):
 *  - by default every job has its own controllers on its own libuv loop
 *    (the library's caller's-loop mode): getevents runs that loop until
 *    enough commands have completed or fio's timeout passes, so submission,
 *    the socket and the completions all stay on the job's thread;
 *  - with nvmf_share=1 (and thread=1) the jobs of the process share one
 *    controller per target, on the library's own I/O thread; completions
 *    arrive on that thread and getevents waits for them on a condition
 *    variable.
 *
 * Teardown: once fio stops a job with commands in flight, it reaps them
 * without a deadline and then frees their files and buffers. The engine
 * bounds that wait (nf_drain_expired()) and abandons what is left; each
 * completion reaches its job through a slot made at init, never through
 * the io_u, and an abandoned one touches nothing but the job's count, so
 * the job (and the I/O buffers, which the engine allocates for that
 * reason) live until cleanup and the last completion have both run.
 *
 * fio's headers must be those of the fio binary that loads this engine:
 * scripts/fio-src fetches the matching source, CMake's NVMF_FIO_SRC points
 * at it.
 */
#include "fio.h"
#include "optgroup.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "connopts.h"
#include "nvmf_fio.h"

/* After this many failed commands a job stops logging them: fio counts
 * and reports them anyway, and a dead target would flood the log. */
#define NF_MAX_LOGGED 8

/* Once fio is stopping a job (abort, an error) with commands in flight, it
 * waits for them with no deadline of its own: the engine gives them the
 * job's I/O timeout (by then each has completed, or its connection was
 * closed and it is held for a reconnect) plus this margin, then abandons
 * them. While waiting without a deadline, it looks every NF_TICK_MS
 * whether fio has started stopping. */
#define NF_DRAIN_MARGIN_S 5
#define NF_TICK_MS 100

/* A file of a job: one namespace of a connected controller. */
struct nf_file {
	struct nf_file *next;	/* the job's files */
	struct nf_ctrl *nc;
	uint32_t nsid;
	unsigned lba_shift;
	uint64_t size;
	bool deallocate;
};

struct nf_job;

/* The commands of the io_u of that index, made at init so that a
 * completion reaches its io_u's state without touching the io_u, which fio
 * may have freed once the job abandoned its command. left counts the
 * commands whose callback has not run, error is the first that failed (its
 * text logged then); the io_u completes with the last. Both under the
 * job's lock. The rest says where the commands go, set before the first is
 * sent and read by a re-cut (nf_recut()), which may not touch the io_u or
 * its file either. */
struct nf_slot {
	struct io_u *io_u;
	unsigned left;
	int error;
	struct nf_ctrl *nc;
	char *buf;		/* the io_u's buffer: its block 0 */
	uint64_t slba;		/* the io_u's first block */
	uint32_t nsid;
	unsigned lba_shift;
	enum fio_ddir ddir;
};

/*
 * A command's user pointer: an entry of the job's command table. Each slot
 * has one entry per block an io_u may span (nf_job.blocks), and the command
 * that starts at the io_u's block i uses entry i: the commands of an io_u,
 * however it is cut and cut again, never share one, and nothing is
 * allocated per command. pos, set at init, is the entry's index in the
 * table, which leads a completion back to the table's job (nf_cmd_job())
 * and to the slot; nlb is the command's length, which a re-cut needs.
 */
struct nf_cmd {
	uint32_t pos;
	uint32_t nlb;
};

struct nf_cmds {
	struct nf_job *j;
	struct nf_cmd cmd[];
};

/* A job's state (td->io_ops_data). */
struct nf_job {
	struct thread_data *td;
	bool shared;		/* library thread, else the job's own loop */
	bool loop_ready, timer_ready, timed_out;
	uv_loop_t loop;
	uv_timer_t timer;
	/* Finished io_us: [0, reaped) handed to fio by the last getevents,
	 * [reaped, n) waiting. lock/cond: completions come from the library's
	 * thread when shared (uncontended otherwise). */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct io_u **done;
	unsigned n, reaped, cap;
	unsigned logged;
	/* Commands submitted whose callback has not run yet. Once orphaned
	 * (fio stopped without them), their callbacks only count down, and
	 * the last of them frees the job if cleanup has already run (cleaned);
	 * else cleanup does. All under lock. */
	struct nf_slot *slots;
	unsigned nslots, inflight;
	bool orphaned, cleaned;
	/* Command table entries per slot: the most blocks of an io_u. */
	struct nf_cmds *cmds;
	uint32_t blocks;
	int io_timeout;			/* s, the longest of the job's controllers */
	/* fio's I/O buffers (iomem_alloc), kept past fio's iomem_free while
	 * abandoned commands may still move data into or out of them. */
	void *buf;
	uint64_t drain_until;		/* ms (uv_hrtime), 0 until fio stops the job */
	/* What init connected. fio frees its fio_files before calling
	 * cleanup, so the job, not the files, holds them. */
	struct nf_file *files;
};

/* ---- Options -------------------------------------------------------------------------- */

#define NF_OPT_STR(n, l, h) {						\
		.name = #n, .lname = l, .type = FIO_OPT_STR_STORE,	\
		.off1 = offsetof(struct nf_options, n), .help = h,	\
		.category = FIO_OPT_C_ENGINE, .group = FIO_OPT_G_INVALID }
#define NF_OPT_BOOL(n, l, h) {						\
		.name = #n, .lname = l, .type = FIO_OPT_BOOL,		\
		.off1 = offsetof(struct nf_options, n), .help = h, .def = "0", \
		.category = FIO_OPT_C_ENGINE, .group = FIO_OPT_G_INVALID }

static struct fio_option options[] = {
	NF_OPT_STR(nr_io_queues, "NVMe/TCP I/O queues",
		   "I/O queues (connections) of the controller, 1-1024 (default 1)"),
	NF_OPT_STR(queue_size, "NVMe/TCP queue size",
		   "Entries per I/O queue, 2-1024 (default 128, capped by CAP.MQES)"),
	NF_OPT_BOOL(hdr_digest, "NVMe/TCP header digest", "Ask for header digests (CRC32C)"),
	NF_OPT_BOOL(data_digest, "NVMe/TCP data digest", "Ask for data digests (CRC32C)"),
	NF_OPT_BOOL(disable_sqflow, "Disable SQ flow control",
		    "Ask the controller to disable SQ flow control"),
	NF_OPT_STR(hostnqn, "Host NQN", "Host NQN (default /etc/nvme/hostnqn, else derived)"),
	NF_OPT_STR(hostid, "Host ID", "Host ID, a UUID (default /etc/nvme/hostid, else derived)"),
	NF_OPT_STR(keep_alive_tmo, "Keep-alive timeout", "Keep-alive timeout in s (default 5)"),
	NF_OPT_STR(connect_timeout, "Connect timeout", "Connect timeout in s, 1-3600 (default 10)"),
	NF_OPT_STR(io_timeout, "I/O timeout", "Per-command timeout in s, 1-3600 (default 30)"),
	NF_OPT_STR(reconnect_delay, "Reconnect delay", "s between reconnect attempts (default 10)"),
	NF_OPT_STR(ctrl_loss_tmo, "Controller loss timeout",
		   "s before giving a lost controller up, -1 never, 0 no reconnect (default 600)"),
	NF_OPT_STR(fast_io_fail_tmo, "Fast I/O fail timeout",
		   "s after a loss at which held I/O fails, -1 off (default)"),
	NF_OPT_BOOL(tls, "TLS", "TLS 1.3 with a PSK from tls_key, NVMF_TLS_KEY or the key file"),
	NF_OPT_STR(tls_key, "TLS key", "Configured PSK NVMeTLSkey-1:... (better: NVMF_TLS_KEY)"),
	NF_OPT_STR(tls_key_file, "TLS key file", "Key file (default /etc/nvme/tls-keys)"),
	NF_OPT_STR(tls_identity, "TLS identity version", "PSK identity version 0 or 1, -1 any"),
	NF_OPT_BOOL(tls_compat, "TLS compat", "Derive the TLS PSK as nvme-cli 2.15 and older"),
	NF_OPT_STR(dhchap_secret, "DH-HMAC-CHAP secret",
		   "Host secret DHHC-1:... (better: NVMF_DHCHAP_SECRET)"),
	NF_OPT_STR(dhchap_ctrl_secret, "DH-HMAC-CHAP controller secret",
		   "Controller secret DHHC-1:... (better: NVMF_DHCHAP_CTRL_SECRET)"),
	NF_OPT_STR(dhchap_secret_file, "DH-HMAC-CHAP secret file", "File holding the host secret"),
	NF_OPT_STR(dhchap_ctrl_secret_file, "DH-HMAC-CHAP controller secret file",
		   "File holding the controller secret"),
	NF_OPT_BOOL(share, "Share the controller",
		    "Share one controller per target among the jobs (needs thread=1)"),
	{ .name = NULL },
};

/* ---- Completions ---------------------------------------------------------------------- */

static void nf_job_free(struct nf_job *j)
{
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	free(j->done);
	free(j->slots);
	free(j->cmds);
	free(j->buf);
	free(j);
}

static struct nf_job *nf_cmd_job(struct nf_cmd *c)
{
	struct nf_cmd *first = c - c->pos;

	return ((struct nf_cmds *)((char *)first - offsetof(struct nf_cmds, cmd)))->j;
}

static struct nf_cmd *nf_slot_cmds(struct nf_job *j, const struct nf_slot *s)
{
	return &j->cmds->cmd[(size_t)(s - j->slots) * j->blocks];
}

/* n commands of an io_u the job gave up on are over: counted down, and the
 * job freed with the last once cleanup has run. Called under j->lock,
 * which it releases. */
static void nf_orphans_done(struct nf_job *j, unsigned n)
{
	bool last;

	j->inflight -= n;
	last = j->cleaned && j->inflight == 0;
	pthread_mutex_unlock(&j->lock);
	if (last)
		nf_job_free(j);
}

/* Under j->lock. The list holds at most the io_us fio took with the last
 * getevents plus those completed since, each at most iodepth: init sized
 * it for both, so nothing is allocated per I/O. */
static void nf_push_locked(struct nf_job *j, struct io_u *io_u)
{
	if (j->n == j->cap) {
		log_err("nvmf: completion list full (%u): io_u lost\n", j->cap);
		return;
	}
	j->done[j->n++] = io_u;
	pthread_cond_signal(&j->cond);
}

static void nf_log_failure(struct nf_job *j, struct io_u *io_u, const char *what)
{
	unsigned n = __atomic_add_fetch(&j->logged, 1, __ATOMIC_RELAXED);

	if (n > NF_MAX_LOGGED)
		return;
	log_err("nvmf: %s: offset %llu, %llu bytes: %s%s\n", io_u->file->file_name,
		io_u->offset, io_u->xfer_buflen, what,
		n == NF_MAX_LOGGED ? " (further failures of this job are not logged)" : "");
}

/* The commands of the slot's io_u that were counted but will not be sent
 * (unsent) fail it with err, why logged if it is the first failure; it
 * completes here if nothing else of it is outstanding. */
static void nf_unsent(struct nf_job *j, struct nf_slot *s, unsigned unsent, int err,
		      const char *why)
{
	pthread_mutex_lock(&j->lock);
	if (j->orphaned) {
		nf_orphans_done(j, unsent);
		return;
	}
	j->inflight -= unsent;
	s->left -= unsent;
	if (!s->error) {
		s->error = err;
		nf_log_failure(j, s->io_u, why);
	}
	if (s->left == 0) {
		/* Those sent have all completed already (shared), or none was. */
		s->io_u->error = s->error;
		nf_push_locked(j, s->io_u);
	}
	pthread_mutex_unlock(&j->lock);
}

/* ---- Commands ------------------------------------------------------------------------- */

static void nf_completed(void *user, uint64_t cookie, const struct nvmf_completion *cpl);

/* Blocks one Read or Write may carry: max_xfer bytes (0: no limit) and
 * 65536 (NLB, 0's based, 16 bits), at least 1. */
static uint32_t nf_max_nlb(uint32_t max_xfer, unsigned lba_shift)
{
	uint32_t n = 65536;

	if (max_xfer && (max_xfer >> lba_shift) < n)
		n = max_xfer >> lba_shift;
	return n ? n : 1;
}

/* One command of the slot's io_u: its blocks [blk, blk + nlb), from or
 * into the same place of its buffer (reads and writes). */
static int64_t nf_submit(const struct nf_slot *s, uint64_t blk, uint32_t nlb,
			 struct nvmf_callback cb)
{
	struct nvmf_ctrl *c = s->nc->ctrl;

	switch (s->ddir) {
	case DDIR_READ:
		return nvmf_aio_read(c, s->nsid, s->buf + (blk << s->lba_shift), s->slba + blk,
				     nlb, 0, cb);
	case DDIR_WRITE:
		return nvmf_aio_write(c, s->nsid, s->buf + (blk << s->lba_shift), s->slba + blk,
				      nlb, 0, cb);
	case DDIR_TRIM:
		return nvmf_aio_deallocate(c, s->nsid, s->slba + blk, nlb, cb);
	default:
		/* DDIR_SYNC, DDIR_DATASYNC, DDIR_SYNC_FILE_RANGE (nf_queue
		 * checked): NVMe has no range flush, Flush commits the whole
		 * namespace. */
		return nvmf_aio_flush(c, s->nsid, cb);
	}
}

/* The controller's transfer limit read again from the library; a change
 * is said once (of the threads that see it, one is told). */
static uint32_t nf_xfer_refresh(struct nf_ctrl *nc)
{
	uint32_t was, now = nf_ctrl_xfer_refresh(nc, &was);

	if (now != was)
		log_info("nvmf: %s:%s (%s): the controller's transfer limit (MDTS) is now %u "
			 "bytes (it was %u): I/O is cut to it\n", nc->opts.traddr,
			 nc->opts.trsvcid, nc->opts.subnqn, now, was);
	return now;
}

/*
 * A Read or Write of n blocks of the slot's io_u that the library refused
 * with -EINVAL (why: its text). True if the controller's transfer limit,
 * read again, is now below it: a reconnect brought the controller back with
 * a smaller MDTS (nvmf.h, OUTAGES); *per is then the blocks a command may
 * carry. The cut that follows is smaller each time, so this ends: a single
 * block that does not fit cannot be cut, and fails, why saying so.
 */
static bool nf_shrunk(const struct nf_slot *s, uint32_t n, uint32_t *per, char *why,
		      size_t len)
{
	uint32_t max_xfer;
	size_t at;

	if (!ddir_rw(s->ddir))
		return false;
	max_xfer = nf_xfer_refresh(s->nc);
	if (max_xfer == 0 || ((uint64_t)n << s->lba_shift) <= max_xfer)
		return false;	/* refused for something else: why says what */
	if (n == 1) {
		at = strlen(why);
		snprintf(why + at, len - at, " (a single block of %u bytes, above the "
			 "controller's transfer limit of %u bytes: it cannot be cut smaller)",
			 1u << s->lba_shift, max_xfer);
		return false;
	}
	*per = nf_max_nlb(max_xfer, s->lba_shift);
	return true;
}

/*
 * Blocks [first, first + nlb) of the slot's io_u as commands of at most per
 * blocks each (a trim's range as one, a flush as one), counted by the
 * caller: counted of them, in s->left and j->inflight. A command refused
 * because the transfer limit shrank since it was read (nf_shrunk()) goes
 * again with the rest, cut to the new limit and counted anew. What cannot
 * be sent fails the io_u (nf_unsent()).
 */
static void nf_send(struct nf_job *j, struct nf_slot *s, uint64_t first, uint64_t nlb,
		    uint32_t per, unsigned counted)
{
	struct nf_cmd *cmd = nf_slot_cmds(j, s) + first;
	struct nvmf_callback cb = { .cb = nf_completed };
	uint64_t done = 0;
	unsigned sent = 0, more;
	char why[400];
	int64_t r;

	do {
		uint32_t n = (uint32_t)(nlb - done < per ? nlb - done : per);

		cmd[done].nlb = n;
		cb.user = &cmd[done];
		r = nf_submit(s, first + done, n, cb);
		if (r >= 0) {
			sent++;
			done += n;
			continue;
		}
		snprintf(why, sizeof(why), "%s", nvmf_get_error());
		if (r != -EINVAL || !nf_shrunk(s, n, &per, why, sizeof(why)))
			break;
		/* The rest, cut smaller, is more commands than were counted. */
		more = (unsigned)((nlb - done + per - 1) / per) - (counted - sent);
		pthread_mutex_lock(&j->lock);
		if (j->orphaned) {
			/* fio gave the io_u up meanwhile (shared: the job's
			 * drain ran out while the library's thread was here). */
			pthread_mutex_unlock(&j->lock);
			r = -ETIMEDOUT;
			break;
		}
		s->left += more;
		j->inflight += more;
		pthread_mutex_unlock(&j->lock);
		counted += more;
	} while (done < nlb);
	if (r < 0)
		nf_unsent(j, s, counted - sent, (int)-r, why);
}

/*
 * A command that completed with -EINVAL (why: its text): the library
 * refused it as it replayed it after an outage, the controller having come
 * back with a smaller MDTS (nvmf.h, OUTAGES). If the limit, read again, is
 * below the command (nf_shrunk()), its blocks go again as smaller commands,
 * which take its place in the count: true. Else false, why saying what
 * fails the command.
 */
static bool nf_recut(struct nf_job *j, struct nf_slot *s, struct nf_cmd *c, char *why,
		     size_t len)
{
	uint32_t per = c->nlb;
	unsigned cmds;

	if (!nf_shrunk(s, c->nlb, &per, why, len))
		return false;
	cmds = (c->nlb + per - 1) / per;
	pthread_mutex_lock(&j->lock);
	if (j->orphaned || s->error) {
		/* Given up, or failed already: nothing to save. */
		pthread_mutex_unlock(&j->lock);
		return false;
	}
	s->left += cmds - 1;
	j->inflight += cmds - 1;
	pthread_mutex_unlock(&j->lock);
	nf_send(j, s, c->pos % j->blocks, c->nlb, per, cmds);
	return true;
}

/* On the job's thread (own loop) or the library's (shared). */
static void nf_completed(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct nf_cmd *c = user;
	struct nf_job *j = nf_cmd_job(c);
	struct nf_slot *s = &j->slots[c->pos / j->blocks];
	const char *why = NULL;
	struct io_u *io_u;
	char msg[400];

	(void)cookie;
	if (cpl->result == -EINVAL) {
		/* Its text is valid only during this callback: copied. */
		snprintf(msg, sizeof(msg), "%s", nvmf_completion_errmsg(cpl));
		if (nf_recut(j, s, c, msg, sizeof(msg)))
			return;
		why = msg;
	}
	pthread_mutex_lock(&j->lock);
	if (j->orphaned) {
		/* fio has given this io_u up, and may have freed it, its file
		 * and its buffer: count down, and free the job if it is gone. */
		nf_orphans_done(j, 1);
		return;
	}
	j->inflight--;
	io_u = s->io_u;
	if (cpl->result < 0 && !s->error) {
		/* The first failure of the io_u wins; its text is valid only
		 * during this callback: logged now. */
		s->error = -cpl->result;
		nf_log_failure(j, io_u, why ? why : nvmf_completion_errmsg(cpl));
	}
	if (--s->left == 0) {
		io_u->error = s->error;
		nf_push_locked(j, io_u);
	}
	pthread_mutex_unlock(&j->lock);
}

/* ---- Queue ---------------------------------------------------------------------------- */

/* A transfer's blocks: 0, or an errno when it is not whole blocks. */
static int nf_blocks(struct nf_job *j, const struct nf_file *nf, struct io_u *io_u,
		     uint64_t *slba, uint64_t *nlb)
{
	uint64_t mask = (1ull << nf->lba_shift) - 1, nb;
	char msg[160];

	if ((io_u->offset & mask) || (io_u->xfer_buflen & mask) || io_u->xfer_buflen == 0) {
		snprintf(msg, sizeof(msg), "not whole blocks of the namespace's %u bytes "
			 "(make bs and offsets multiples of it)", 1u << nf->lba_shift);
		nf_log_failure(j, io_u, msg);
		return EINVAL;
	}
	nb = io_u->xfer_buflen >> nf->lba_shift;
	if (io_u->ddir == DDIR_TRIM && nb > UINT32_MAX) {
		/* A read or write is split (nf_queue()); a trim is one range. */
		nf_log_failure(j, io_u, "more blocks than one Dataset Management range "
			       "can carry");
		return EINVAL;
	}
	if (io_u->ddir != DDIR_TRIM && nb > j->blocks) {
		/* Its commands would run past the slot's entries (nf_cmd). */
		nf_log_failure(j, io_u, "more blocks than the job's largest block size "
			       "(bs) had when it started");
		return EINVAL;
	}
	*slba = io_u->offset >> nf->lba_shift;
	*nlb = nb;
	return 0;
}

static enum fio_q_status nf_queue(struct thread_data *td, struct io_u *io_u)
{
	struct nf_job *j = td->io_ops_data;
	struct nf_file *nf = FILE_ENG_DATA(io_u->file);
	uint64_t slba = 0, nlb = 0;
	unsigned cmds = 1;
	uint32_t per = 1;
	struct nf_slot *s;

	fio_ro_check(td, io_u);
	io_u->error = 0;
	if (!nf) {
		nf_log_failure(j, io_u, "the file is not connected");
		io_u->error = EBADF;
		return FIO_Q_COMPLETED;
	}
	if (io_u->index >= j->nslots) {
		nf_log_failure(j, io_u, "io_u index beyond the iodepth the job started with");
		io_u->error = EINVAL;
		return FIO_Q_COMPLETED;
	}
	if (!ddir_rw(io_u->ddir) && io_u->ddir != DDIR_TRIM && io_u->ddir != DDIR_SYNC &&
	    io_u->ddir != DDIR_DATASYNC && io_u->ddir != DDIR_SYNC_FILE_RANGE) {
		nf_log_failure(j, io_u, "this kind of I/O has no NVMe command");
		io_u->error = EINVAL;
		return FIO_Q_COMPLETED;
	}
	if (ddir_rw(io_u->ddir) || io_u->ddir == DDIR_TRIM) {
		io_u->error = nf_blocks(j, nf, io_u, &slba, &nlb);
		if (io_u->error)
			return FIO_Q_COMPLETED;
	}
	if (io_u->ddir == DDIR_TRIM && !nf->deallocate) {
		nf_log_failure(j, io_u, "trim: the namespace does not support Dataset "
			       "Management (ONCS bit 2 clear)");
		io_u->error = EOPNOTSUPP;
		return FIO_Q_COMPLETED;
	}
	if (ddir_rw(io_u->ddir)) {
		/* Above one command's limit: several, of per blocks each
		 * (the last may have fewer). The limit as last read: if a
		 * reconnect lowered it since, nf_send() finds out. */
		per = nf_max_nlb(nf_ctrl_xfer(nf->nc), nf->lba_shift);
		cmds = (unsigned)((nlb + per - 1) / per);
	} else if (io_u->ddir == DDIR_TRIM) {
		per = (uint32_t)nlb;
	}
	s = &j->slots[io_u->index];
	s->nc = nf->nc;
	s->buf = io_u->xfer_buf;
	s->slba = slba;
	s->nsid = nf->nsid;
	s->lba_shift = nf->lba_shift;
	s->ddir = io_u->ddir;
	/* Counted before the submission: shared, the completions may run on
	 * the library's thread before nvmf_aio_*() returns. */
	pthread_mutex_lock(&j->lock);
	if (j->orphaned) {
		/* The job already gave up on its commands: fio is stopping it. */
		pthread_mutex_unlock(&j->lock);
		io_u->error = ETIMEDOUT;
		return FIO_Q_COMPLETED;
	}
	s->io_u = io_u;
	s->left = cmds;
	s->error = 0;
	j->inflight += cmds;
	pthread_mutex_unlock(&j->lock);
	/* A failure completes the io_u through the list, as a command's would. */
	nf_send(j, s, 0, nlb, per, cmds);
	return FIO_Q_QUEUED;
}

/* ---- Getevents ------------------------------------------------------------------------ */

static void nf_timer_fired(uv_timer_t *t)
{
	struct nf_job *j = t->data;

	j->timed_out = true;
}

/* Only wakes uv_run() up, to look at nf_drain_expired() again. */
static void nf_tick(uv_timer_t *t)
{
	(void)t;
}

static uint64_t nf_ms(const struct timespec *t)
{
	/* Rounded up: a timeout of 10 us must still wait, not spin. */
	return (uint64_t)t->tv_sec * 1000 + ((uint64_t)t->tv_nsec + 999999) / 1000000;
}

/*
 * fio reaps without a deadline of its own (getevents, no timeout) both while
 * the job runs and once it stops it: at the end of do_io() and do_verify(),
 * and in cleanup_pending_aio() after an error, it asks for every io_u in
 * flight. That is the last the engine hears before fio frees the job's
 * files (close_and_free_files(); close_file is not called while an io_u
 * holds its file) and buffers (cleanup_io_u()); cleanup comes after both.
 * While the job runs, a command lasts as long as the library holds it (a
 * reconnect: up to ctrl_loss_tmo). Once fio stops it (aborted:
 * td->terminate; failed: td->error) the wait ends the job's I/O timeout plus
 * NF_DRAIN_MARGIN_S after the stop was first seen: true once past that.
 * The job's thread only.
 */
static bool nf_drain_expired(struct nf_job *j)
{
	uint64_t now;

	if (!j->td->terminate && !j->td->error)
		return false;
	now = uv_hrtime() / 1000000;
	if (!j->drain_until)
		j->drain_until = now + (uint64_t)(j->io_timeout + NF_DRAIN_MARGIN_S) * 1000;
	return now >= j->drain_until;
}

/* The drain ran out: what is still in flight is abandoned. Their
 * completions, whenever the library runs them, touch neither the io_us nor
 * (once cleanup ran) the job. Under j->lock. */
static int nf_abandon_locked(struct nf_job *j)
{
	if (!j->orphaned) {
		j->orphaned = true;
		if (j->inflight)
			log_err("nvmf: job %s stopping: %u command(s) still outstanding after "
				"%d s (io_timeout plus %d s): abandoned, their completions "
				"are ignored\n", j->td->o.name, j->inflight,
				j->io_timeout + NF_DRAIN_MARGIN_S, NF_DRAIN_MARGIN_S);
	}
	return -ETIMEDOUT;
}

/* Caller's loop: run the job's loop until min are done or the timeout. */
static int nf_wait_loop(struct nf_job *j, unsigned min, const struct timespec *t)
{
	int r = 0;

	if (j->n >= min) {
		/* Enough already (fio reaps one at a time by default:
		 * iodepth_batch_complete_max). The loop is left alone until
		 * the list runs dry, so that what fio queues meanwhile goes
		 * out in one write rather than one write each. A poll
		 * (min 0) with nothing finished looks without blocking. */
		if (j->n == 0)
			uv_run(&j->loop, UV_RUN_NOWAIT);
		return 0;
	}
	j->timed_out = false;
	if (t)
		uv_timer_start(&j->timer, nf_timer_fired, nf_ms(t), 0);
	else
		uv_timer_start(&j->timer, nf_tick, NF_TICK_MS, NF_TICK_MS);
	while (j->n < min && !j->timed_out) {
		if (!t && nf_drain_expired(j)) {
			pthread_mutex_lock(&j->lock);
			r = nf_abandon_locked(j);
			pthread_mutex_unlock(&j->lock);
			break;
		}
		if (uv_run(&j->loop, UV_RUN_ONCE) == 0 && j->n < min) {
			/* Nothing left on the loop that could complete them. */
			log_err("nvmf: %u commands outstanding but the controller's loop has "
				"nothing left to run\n", min - j->n);
			pthread_mutex_lock(&j->lock);
			r = nf_abandon_locked(j);
			pthread_mutex_unlock(&j->lock);
			r = -EIO;
			break;
		}
	}
	uv_timer_stop(&j->timer);
	return r;
}

/* CLOCK_MONOTONIC now plus sec and nsec (< 1 s), for the job's cond. */
static void nf_deadline(struct timespec *until, time_t sec, long nsec)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += sec;
	until->tv_nsec += nsec;
	if (until->tv_nsec >= 1000000000) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000;
	}
}

/* Shared controller: completions come from the library's thread. Under
 * j->lock. */
static int nf_wait_cond(struct nf_job *j, unsigned min, const struct timespec *t)
{
	struct timespec until;

	if (t)
		nf_deadline(&until, t->tv_sec, t->tv_nsec);
	while (j->n < min) {
		if (t) {
			if (pthread_cond_timedwait(&j->cond, &j->lock, &until) == ETIMEDOUT)
				break;
			continue;
		}
		if (nf_drain_expired(j))
			return nf_abandon_locked(j);
		nf_deadline(&until, 0, NF_TICK_MS * 1000000L);
		pthread_cond_timedwait(&j->cond, &j->lock, &until);
	}
	return 0;
}

static int nf_getevents(struct thread_data *td, unsigned int min, unsigned int max,
			const struct timespec *t)
{
	struct nf_job *j = td->io_ops_data;
	unsigned got;
	int r;

	pthread_mutex_lock(&j->lock);
	/* What fio took with event() last time is gone from the list. */
	memmove(j->done, j->done + j->reaped, (j->n - j->reaped) * sizeof(*j->done));
	j->n -= j->reaped;
	j->reaped = 0;
	if (j->orphaned && j->n < min) {
		/* Given up already: nothing more will be handed to fio. */
		r = -ETIMEDOUT;
	} else if (j->shared) {
		r = nf_wait_cond(j, min, t);
	} else {
		/* Completions are pushed from inside uv_run(), on this thread. */
		pthread_mutex_unlock(&j->lock);
		r = nf_wait_loop(j, min, t);
		pthread_mutex_lock(&j->lock);
	}
	got = j->n < max ? j->n : max;
	/* On an error fio takes none: they stay in the list. */
	j->reaped = r < 0 ? 0 : got;
	pthread_mutex_unlock(&j->lock);
	return r < 0 ? r : (int)got;
}

static struct io_u *nf_event(struct thread_data *td, int event)
{
	struct nf_job *j = td->io_ops_data;
	struct io_u *io_u = NULL;

	pthread_mutex_lock(&j->lock);
	if (event >= 0 && (unsigned)event < j->reaped)
		io_u = j->done[event];
	pthread_mutex_unlock(&j->lock);
	return io_u;
}

/* ---- Setup and teardown --------------------------------------------------------------- */

static void nf_event_cb(void *user, const struct nvmf_event *ev)
{
	(void)user;
	switch (ev->type) {
	case NVMF_EVENT_CONN_LOST:
	case NVMF_EVENT_FATAL:
		log_err("nvmf: connection lost: %s (I/O is held while reconnecting)\n", ev->msg);
		break;
	case NVMF_EVENT_RECONNECTED:
		log_info("nvmf: reconnected after %u attempt(s)\n", ev->attempt);
		break;
	case NVMF_EVENT_GAVE_UP:
		log_err("nvmf: controller given up: %s\n", ev->msg);
		break;
	default:
		break;
	}
}

static unsigned nf_shift(uint32_t lba_size)
{
	unsigned s = 0;

	while ((1u << s) < lba_size)
		s++;
	return s;
}

static int nf_fail(struct thread_data *td, int e, const char *msg)
{
	log_err("nvmf: %s\n", msg);
	td_verror(td, e, "nvmf");
	return 1;
}

static int nf_open_one(struct thread_data *td, struct nf_job *j, struct fio_file *f)
{
	struct nf_options *eo = td->eo;
	struct nvmf_ns_info ns;
	struct nvmf_opts o;
	struct nf_file *nf;
	char err[768];
	uint32_t nsid;
	int r;

	r = nf_opts_build(f->file_name, eo, j->shared ? NULL : &j->loop, &o, &nsid, err,
			  sizeof(err));
	if (r < 0)
		return nf_fail(td, -r, err);
	o.event_cb = nf_event_cb;
	if (o.io_timeout > j->io_timeout)
		j->io_timeout = o.io_timeout;
	nf = calloc(1, sizeof(*nf));
	if (!nf) {
		tc_wipe(&o, sizeof(o));	/* secrets */
		return nf_fail(td, ENOMEM, "out of memory");
	}
	r = nf_ctrl_get(&o, j->shared ? NULL : (const void *)j, &nf->nc, err, sizeof(err));
	tc_wipe(&o, sizeof(o));	/* secrets */
	if (r < 0) {
		free(nf);
		return nf_fail(td, -r, err);
	}
	r = nf_ns_check(nf->nc->ctrl, f->file_name, nsid, &ns, err, sizeof(err));
	if (r < 0) {
		nf_ctrl_put(nf->nc);
		free(nf);
		return nf_fail(td, -r, err);
	}
	nf->nsid = nsid;
	nf->lba_shift = nf_shift(ns.lba_size);
	nf->size = ns.size;
	nf->deallocate = ns.deallocate;
	nf->next = j->files;
	j->files = nf;
	FILE_SET_ENG_DATA(f, nf);
	return 0;
}

static void nf_release(struct thread_data *td, struct nf_job *j)
{
	struct fio_file *f;
	unsigned i;

	for_each_file(td, f, i)
		FILE_SET_ENG_DATA(f, NULL);
	while (j->files) {
		struct nf_file *nf = j->files;

		j->files = nf->next;
		/* The last reference disconnects, and commands still
		 * outstanding complete (-ECANCELED) before it returns: the
		 * job's own controllers always, a shared one when this was
		 * its last job. Else they complete later, on the library's
		 * thread (nf_completed()). */
		nf_ctrl_put(nf->nc);
		free(nf);
	}
	if (j->timer_ready) {
		uv_close((uv_handle_t *)&j->timer, NULL);
		j->timer_ready = false;
	}
	if (j->loop_ready) {
		/* Closing handles need their close callbacks run: a few turns
		 * of the loop, bounded in case something stayed active. */
		for (int k = 0; k < 100 && uv_run(&j->loop, UV_RUN_NOWAIT) != 0; k++)
			;
		if (uv_loop_close(&j->loop) != 0)
			log_err("nvmf: the job's loop still had handles open at the end\n");
		j->loop_ready = false;
	}
}

/*
 * fio has freed the job's files and buffers by now (the io_us still in
 * flight it leaves allocated, but will not use again): no wait here could
 * help them, it was getevents' (nf_drain_expired()). Commands still
 * outstanding, which only a path that skipped that wait leaves (fio reaps
 * nothing once td->done is set), are orphaned first; the job is freed here,
 * or by the last of their completions.
 */
static void nf_cleanup(struct thread_data *td)
{
	struct nf_job *j = td->io_ops_data;
	unsigned n = 0;
	bool last;

	if (!j)
		return;
	td->io_ops_data = NULL;
	pthread_mutex_lock(&j->lock);
	if (!j->orphaned && j->inflight) {
		j->orphaned = true;
		n = j->inflight;
	}
	pthread_mutex_unlock(&j->lock);
	if (n)
		log_err("nvmf: job %s ended with %u command(s) still outstanding: abandoned, "
			"their completions are ignored\n", td->o.name, n);
	nf_release(td, j);
	pthread_mutex_lock(&j->lock);
	j->cleaned = true;
	last = j->inflight == 0;
	pthread_mutex_unlock(&j->lock);
	if (last)
		nf_job_free(j);
}

/*
 * The command table (struct nf_cmd): per slot, one entry per block of the
 * job's largest read or write on the file of smallest blocks, 8 bytes for
 * each (for 512-byte blocks, 1/64 of what fio allocates for its buffers).
 * After the files: their block sizes are known then.
 */
static int nf_cmds_init(struct thread_data *td, struct nf_job *j)
{
	uint64_t bs = td->o.max_bs[DDIR_READ], blocks = 1, total;
	const struct nf_file *nf;

	if (td->o.max_bs[DDIR_WRITE] > bs)
		bs = td->o.max_bs[DDIR_WRITE];
	for (nf = j->files; nf; nf = nf->next) {
		uint64_t b = (bs + (1ull << nf->lba_shift) - 1) >> nf->lba_shift;

		if (b > blocks)
			blocks = b;
	}
	total = blocks * j->nslots;
	if (total > UINT32_MAX)
		return nf_fail(td, EINVAL, "iodepth times the blocks of the largest bs is "
			       "above 2^32: lower bs or iodepth");
	j->cmds = malloc(sizeof(*j->cmds) + total * sizeof(j->cmds->cmd[0]));
	if (!j->cmds)
		return nf_fail(td, ENOMEM, "out of memory");
	j->cmds->j = j;
	for (uint32_t i = 0; i < total; i++) {
		j->cmds->cmd[i].pos = i;
		j->cmds->cmd[i].nlb = 0;
	}
	j->blocks = (uint32_t)blocks;
	return 0;
}

static int nf_init(struct thread_data *td)
{
	struct nf_options *eo = td->eo;
	struct nf_job *j;
	pthread_condattr_t ca;
	struct fio_file *f;
	unsigned i;
	int r;

	if (eo->share && !td->o.use_thread)
		return nf_fail(td, EINVAL, "share=1 needs thread=1: jobs that are separate "
			       "processes cannot share a connection");
	j = calloc(1, sizeof(*j));
	if (!j)
		return nf_fail(td, ENOMEM, "out of memory");
	j->td = td;
	j->shared = eo->share != 0;
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* fio numbers its io_us 0 to iodepth - 1 (io_u->index). */
	j->nslots = td->o.iodepth ? td->o.iodepth : 1;
	j->slots = calloc(j->nslots, sizeof(*j->slots));
	j->cap = 2 * j->nslots;
	j->done = calloc(j->cap, sizeof(*j->done));
	td->io_ops_data = j;
	if (!j->done || !j->slots)
		return nf_fail(td, ENOMEM, "out of memory");
	if (!j->shared) {
		sigset_t pipe;

		/* The library's loop runs on this job's thread: a write to a
		 * connection the target just closed must fail with EPIPE (and
		 * the connection be reported lost), not kill fio (nvmf.h,
		 * THREADING). Only this thread: fio's others keep theirs. */
		sigemptyset(&pipe);
		sigaddset(&pipe, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe, NULL);
		r = uv_loop_init(&j->loop);
		if (r < 0) {
			log_err("nvmf: cannot create the job's event loop: %s\n", uv_strerror(r));
			td_verror(td, -r, "uv_loop_init");
			return 1;
		}
		j->loop_ready = true;
		uv_timer_init(&j->loop, &j->timer);
		j->timer.data = j;
		j->timer_ready = true;
	}
	for_each_file(td, f, i)
		if (nf_open_one(td, j, f))
			return 1;	/* fio calls cleanup, which releases the rest */
	return nf_cmds_init(td, j);
}

/*
 * The job's I/O buffers, the engine's so that they outlive commands it
 * abandoned: the library holds a command's buffer until its callback, and a
 * command held for a reconnect that succeeds after fio gave up on it (a
 * shared controller that another job keeps) is sent again, its data read
 * into or written from that buffer. fio frees them (cleanup_io_u()) before
 * the engine's cleanup. fio then refuses mem= for this engine.
 */
static int nf_iomem_alloc(struct thread_data *td, size_t total_mem)
{
	struct nf_job *j = td->io_ops_data;

	if (!j)
		return 1;
	if (posix_memalign(&j->buf, 4096, total_mem ? total_mem : 1) != 0) {
		j->buf = NULL;
		return 1;
	}
	td->orig_buffer = j->buf;
	return 0;
}

static void nf_iomem_free(struct thread_data *td)
{
	struct nf_job *j = td->io_ops_data;
	bool keep;

	td->orig_buffer = NULL;
	if (!j)
		return;
	/* fio is tearing the job down: whatever is still in flight now
	 * will be abandoned (by getevents already, or by cleanup). */
	pthread_mutex_lock(&j->lock);
	keep = j->inflight > 0;
	pthread_mutex_unlock(&j->lock);
	if (!keep) {
		/* Else nf_job_free() frees it, once the last is done. */
		free(j->buf);
		j->buf = NULL;
	}
}

/* fio asks for the size before the job runs (setup_files() in the main
 * process, with create_serialize, the default), so a short-lived
 * connection answers unless the job's own is already there. */
static int nf_get_file_size(struct thread_data *td, struct fio_file *f)
{
	struct nf_file *nf = FILE_ENG_DATA(f);
	struct nvmf_ns_info ns;
	struct nvmf_opts o;
	char err[768];
	uint32_t nsid;
	int r;

	if (fio_file_size_known(f))
		return 0;
	if (nf) {
		f->real_file_size = nf->size;
		fio_file_set_size_known(f);
		return 0;
	}
	r = nf_opts_build(f->file_name, td->eo, NULL, &o, &nsid, err, sizeof(err));
	if (r == 0)
		r = nf_probe_ns(&o, f->file_name, nsid, &ns, err, sizeof(err));
	tc_wipe(&o, sizeof(o));	/* secrets */
	/* fio takes ENOENT from here for a file yet to be created: it clears
	 * the error and goes on to init, which would fail and say it all again
	 * (a namespace the controller does not have). Any other errno ends the
	 * job here, said once. */
	if (r == -ENOENT)
		r = -ENXIO;
	if (r < 0)
		return nf_fail(td, -r, err);
	f->real_file_size = ns.size;
	fio_file_set_size_known(f);
	return 0;
}

/* Connections are made in init: opening a file only checks it has one. */
static int nf_open_file(struct thread_data *td, struct fio_file *f)
{
	if (!FILE_ENG_DATA(f))
		return nf_fail(td, EBADF, "file not connected (init failed?)");
	return 0;
}

static int nf_close_file(struct thread_data *td, struct fio_file *f)
{
	return 0;
}

/* There is no cache of ours to drop (invalidate=1, fio's default). */
static int nf_invalidate(struct thread_data *td, struct fio_file *f)
{
	return 0;
}

__attribute__((visibility("default"))) struct ioengine_ops ioengine = {
	.name			= "nvmf",
	.version		= FIO_IOOPS_VERSION,
	.flags			= FIO_DISKLESSIO | FIO_NOEXTEND | FIO_NODISKUTIL | FIO_RAWIO,
	.init			= nf_init,
	.cleanup		= nf_cleanup,
	.queue			= nf_queue,
	.getevents		= nf_getevents,
	.event			= nf_event,
	.open_file		= nf_open_file,
	.close_file		= nf_close_file,
	.invalidate		= nf_invalidate,
	.get_file_size		= nf_get_file_size,
	.iomem_alloc		= nf_iomem_alloc,
	.iomem_free		= nf_iomem_free,
	.options		= options,
	.option_struct_size	= sizeof(struct nf_options),
};
