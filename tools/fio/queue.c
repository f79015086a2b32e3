/*
 * The fio engine's I/O path (engine.c says the whole): an io_u queued goes
 * to the controller as one command or several (nf_queue(), nf_send()), its
 * commands' completions come back through the job's command table
 * (nf_completed()), and getevents hands the finished io_us to fio, running
 * the job's loop or waiting for the library's thread (nf_getevents()).
 */
#include "fio.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "engine.h"

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

/* ---- Completions ---------------------------------------------------------------------- */

void nf_job_free(struct nf_job *j)
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
uint32_t nf_xfer_refresh(struct nf_ctrl *nc)
{
	uint32_t was, now = nf_ctrl_xfer_refresh(nc, &was);

	if (now != was)
		log_info("nvmf: %s:%s (%s): the controller's transfer limit (MDTS) is now %u "
			 "bytes (it was %u): I/O is cut by it\n", nc->opts.traddr,
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

enum fio_q_status nf_queue(struct thread_data *td, struct io_u *io_u)
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

int nf_getevents(struct thread_data *td, unsigned int min, unsigned int max,
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

struct io_u *nf_event(struct thread_data *td, int event)
{
	struct nf_job *j = td->io_ops_data;
	struct io_u *io_u = NULL;

	pthread_mutex_lock(&j->lock);
	if (event >= 0 && (unsigned)event < j->reaped)
		io_u = j->done[event];
	pthread_mutex_unlock(&j->lock);
	return io_u;
}
