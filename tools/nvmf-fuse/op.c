/*
 * nvmf-fuse: the op engine of the data path.
 *
 * Every FUSE read, write, fsync and fallocate becomes an "op": a short
 * sequence of phases, each a list of segments (a kind of NVM command over a
 * block range) that is cut into commands no larger than the controller's
 * transfer limit now (MDTS, NVMe Base 2.0, 5.15.2.1; at most NF_MAX_CMD) and
 * submitted asynchronously, at most OP_WINDOW at a time. The library
 * spreads the commands over its I/O queues. Requests are read and
 * completions arrive on the library's I/O thread (session.c), which
 * submits, starts each next phase and finally sends the FUSE reply:
 * nothing ever waits for the network.
 *
 * Commands in flight are also bounded globally (credits): by the I/O
 * queues' total capacity, beyond which the library parks commands in one
 * shared wait list where they also delay its Keep Alive commands, and by
 * NF_MAX_INFLIGHT bytes, so that a slow controller does not let its
 * keep-alive timer expire while it works through our backlog.
 * An op that finds no credit waits in a list and is resumed, in order, as
 * commands complete.
 *
 * The engine's state (credits, wait list, zero buffer, failure report) is
 * the server's struct nf_engine (x->eng): no globals. It also counts the
 * ops in flight (nf_op_begin/end), so that an orderly unmount waits for
 * every reply (nf_ops_drain).
 */
#include "op.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"

/*
 * The transfer limit (MDTS, NVMe Base 2.0, 5.15.2.1) is the controller's at
 * its latest connection: a reconnect may find it smaller (another target
 * behind the address, a reconfigured one), and the library refuses any
 * larger Read or Write. The I/O path reads it per command, without a lock;
 * it is refreshed at connect, at each RECONNECTED event (ns.c), when a
 * submission is refused in the moment between (pump_locked()), and when a
 * command held through the outage is refused as it is replayed
 * (sub_done()). FUSE's
 * max_read/max_write, fixed at mount, are only an upper bound of a request:
 * each is cut into commands here.
 */
uint32_t nf_xfer_cmd(struct nf_ctx *x)
{
	uint32_t limit = atomic_load_explicit(&x->ctrl_xfer, memory_order_relaxed);

	return limit && limit < NF_MAX_CMD ? limit : NF_MAX_CMD;
}

uint32_t nf_xfer_refresh(struct nf_ctx *x)
{
	struct nvmf_ctrl_info ci;

	if (nvmf_ctrl_get_info(x->ctrl, &ci) == 0)
		atomic_store(&x->ctrl_xfer, ci.max_xfer);
	return nf_xfer_cmd(x);
}

int nf_io_init(struct nf_ctx *x)
{
	struct nf_engine *e = &x->eng;
	long qs = x->info.queue_size > 1 ? x->info.queue_size - 1 : 1;
	long by_bytes = (long)(NF_MAX_INFLIGHT / nf_xfer_cmd(x));

	e->credits = (long)(x->info.nr_io_queues > 0 ? x->info.nr_io_queues : 1) * qs;
	if (e->credits > by_bytes)
		e->credits = by_bytes > 0 ? by_bytes : 1;
	/* A SEG_ZEROS command never sends more than this (chunk_blocks());
	 * larger blocks take op_alloc_zero()'s own. */
	e->zero_len = NF_MAX_CMD;
	e->zero_buf = calloc(1, e->zero_len);
	if (!e->zero_buf)
		return -ENOMEM;
	if (nf_pool_init(&e->pool, sizeof(struct op), OP_ZEROED, NF_RBUF_LEN) < 0)
		return -ENOMEM;
	e->pool_ready = true;
	return 0;
}

static void report_flush(struct nf_engine *e);

void nf_io_fini(struct nf_ctx *x)
{
	report_flush(&x->eng);
	free(x->eng.zero_buf);
	x->eng.zero_buf = NULL;
	if (x->eng.pool_ready)
		nf_pool_fini(&x->eng.pool);
	x->eng.pool_ready = false;
}

/* ---- Op life cycle ---------------------------------------------------------------- */

/* ---- Request accounting (orderly shutdown waits for replies) --------------------- */

void nf_op_begin(struct nf_ctx *x)
{
	pthread_mutex_lock(&x->ops_mu);
	x->ops++;
	pthread_mutex_unlock(&x->ops_mu);
}

void nf_op_end(struct nf_ctx *x)
{
	pthread_mutex_lock(&x->ops_mu);
	if (--x->ops == 0)
		pthread_cond_broadcast(&x->ops_cv);
	pthread_mutex_unlock(&x->ops_mu);
}

int nf_ops_drain(struct nf_ctx *x, int timeout_s)
{
	return nf_ops_drain_ms(x, (long)timeout_s * 1000);
}

int nf_ops_drain_ms(struct nf_ctx *x, long timeout_ms)
{
	struct timespec ts;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&x->ops_mu);
	while (x->ops && r == 0)
		r = pthread_cond_timedwait(&x->ops_cv, &x->ops_mu, &ts);
	r = x->ops ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&x->ops_mu);
	return r;
}

int nf_ops_drain_while(struct nf_ctx *x, int timeout_s, bool (*go_on)(struct nf_ctx *x))
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_s;
	/* In slices, asking go_on between them: the reason to wait can end
	 * before the requests do. */
	for (;;) {
		if (nf_ops_drain_ms(x, 100) == 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return -ETIMEDOUT;
		if (!go_on(x))
			return -EAGAIN;
	}
}

struct op *op_new(fuse_req_t req, fuse_ino_t ino, const char *what)
{
	struct nf_ctx *x = fuse_req_userdata(req);
	struct op *op = nf_pool_obj_get(&x->eng.pool);

	if (!op) {
		fuse_reply_err(req, ENOMEM);
		return NULL;
	}
	op->x = x;
	op->req = req;
	op->what = what;
	op->ns = nf_ns_get(x, ino, &op->nsc);
	if (!op->ns) {
		/* A descriptor of a namespace that went away (or of an earlier
		 * incarnation of its NSID): its I/O fails, as a removed block
		 * device's does, with EIO (ENOENT is no error of read(2)). */
		nf_pool_obj_put(&x->eng.pool, op);
		fuse_reply_err(req, EIO);
		return NULL;
	}
	pthread_mutex_init(&op->mu, NULL);
	atomic_init(&op->refs, 1);
	nf_op_begin(x);
	return op;
}

/* Drop a reference; the last one frees. The owner's goes with the reply. */
void op_free(struct op *op)
{
	struct nf_ctx *x = op->x;

	if (atomic_fetch_sub(&op->refs, 1) != 1)
		return;

	if (op->locked)
		rl_unlock(&op->ns->locks, &op->lk);
	pthread_mutex_destroy(&op->mu);
	if (op->rbuf)
		nf_pool_rbuf_put(&x->eng.pool, op->rbuf);
	else
		nf_pool_put(&x->eng.pool, op->buf, op->buf_len);
	nf_pool_put(&x->eng.pool, op->scratch, op->scratch_len);
	if (op->zero_own)
		nf_pool_put(&x->eng.pool, (void *)op->zero, op->zero_len);
	nf_pool_obj_put(&x->eng.pool, op);
	nf_op_end(x);
}

int op_alloc_buf(struct op *op)
{
	op->buf_len = (size_t)(op->eblk - op->sblk) * op->nsc.lba_size;
	op->buf = nf_pool_get(&op->x->eng.pool, op->buf_len);
	return op->buf ? 0 : -ENOMEM;
}

int op_alloc_scratch(struct op *op)
{
	op->scratch_len = 2 * (size_t)op->nsc.lba_size;
	op->scratch = nf_pool_get(&op->x->eng.pool, op->scratch_len);
	return op->scratch ? 0 : -ENOMEM;
}

/*
 * The source of a SEG_ZEROS write must hold at least one whole block: a
 * command writes whole blocks, all of them from this buffer. The engine's
 * zero buffer (NF_MAX_CMD bytes) serves blocks up to that size; a larger
 * block (a namespace's LBADS may say 1 MiB or more) gets one zeroed block
 * of its own from the pool. Without it, a 1 MiB block was written from the
 * 256 KiB zero buffer and whatever lay past it on the heap.
 */
int op_alloc_zero(struct op *op)
{
	struct nf_engine *e = &op->x->eng;
	uint32_t lba = op->nsc.lba_size;
	char *z;

	if (op->zero)
		return 0;
	if (lba <= e->zero_len) {
		op->zero = e->zero_buf;
		op->zero_len = e->zero_len;
		return 0;
	}
	z = nf_pool_get(&e->pool, lba);
	if (!z)
		return -ENOMEM;
	memset(z, 0, lba);
	op->zero = z;
	op->zero_len = lba;
	op->zero_own = true;
	return 0;
}

/*
 * Map a failure to what a file system caller expects. A write-protected
 * namespace (NVMe Base 2.0, Figure 103, SC 20h) is EROFS; a lost connection,
 * a timeout or any other status is EIO, as from a disk.
 */
static int op_errno(const struct op *op)
{
	if (op->status && NVMF_SF_SCT(op->status) == 0 && NVMF_SF_SC(op->status) == 0x20)
		return EROFS;
	if (op->err == -ENOMEM)
		return ENOMEM;
	return EIO;
}

/*
 * Failure lines on stderr (the terminal with -f). The library prints
 * nothing, so this is where the user learns why a read returned EIO:
 * "nvmf-fuse: n1: read of 4096 bytes at offset 0 failed: Input/output error
 * [Read failed: queue 1: ...]". When a connection dies under a deep queue
 * every request fails for the same reason: a failure whose text is the one
 * printed last is counted, not printed, and the count follows with the
 * next different text, after REPORT_QUIET_S, or at exit. Escaped whole:
 * the library's text may quote what the target sent.
 */
#define REPORT_QUIET_S 10

static void report_line(const char *line)
{
	char esc[TC_ESC_SIZE(1024)];

	fprintf(stderr, "nvmf-fuse: %s\n", tc_escape(esc, sizeof(esc), line));
}

static void report_repeats_locked(struct nf_engine *e)
{
	char line[64];

	if (e->report_repeats == 0)
		return;
	snprintf(line, sizeof(line), "(%u more failure%s for the same reason)",
		 e->report_repeats, e->report_repeats == 1 ? "" : "s");
	report_line(line);
	e->report_repeats = 0;
}

static void report_failure(const struct op *op, int e)
{
	struct nf_engine *eng = &op->x->eng;
	const char *why = op->why[0] ? op->why : strerror(-op->err);
	time_t now = time(NULL);
	char line[1024];

	pthread_mutex_lock(&eng->report_mu);
	if (!strcmp(why, eng->report_last) && now - eng->report_time < REPORT_QUIET_S) {
		eng->report_repeats++;
		pthread_mutex_unlock(&eng->report_mu);
		return;
	}
	report_repeats_locked(eng);
	snprintf(eng->report_last, sizeof(eng->report_last), "%s", why);
	eng->report_time = now;
	if (op->len)
		snprintf(line, sizeof(line), "n%u: %s of %zu bytes at offset %llu failed: %s [%s]",
			 op->nsc.nsid, op->what, op->len, (unsigned long long)op->off, strerror(e),
			 why);
	else
		snprintf(line, sizeof(line), "n%u: %s failed: %s [%s]", op->nsc.nsid, op->what,
			 strerror(e), why);
	report_line(line);
	pthread_mutex_unlock(&eng->report_mu);
}

static void report_flush(struct nf_engine *e)
{
	pthread_mutex_lock(&e->report_mu);
	report_repeats_locked(e);
	pthread_mutex_unlock(&e->report_mu);
}

void op_fail_reply(struct op *op)
{
	int e = op_errno(op);

	report_failure(op, e);
	fuse_reply_err(op->req, e);
	op_free(op);
}

/* ---- Phases ----------------------------------------------------------------------- */

static void pump_locked(struct op *op);

/* Take a credit, or join the wait list (once). Called with op->mu held. */
static bool credit_take(struct op *op)
{
	struct nf_engine *e = &op->x->eng;
	bool ok;

	pthread_mutex_lock(&e->credit_mu);
	ok = e->credits > 0;
	if (ok) {
		e->credits--;
	} else if (!op->starved) {
		op->starved = true;
		op->starved_next = NULL;
		if (e->starved_tail)
			e->starved_tail->starved_next = op;
		else
			e->starved_head = op;
		e->starved_tail = op;
	}
	pthread_mutex_unlock(&e->credit_mu);
	return ok;
}

/* Leave the wait list (an op that finishes while waiting). op->mu held. */
static void credit_unwait(struct op *op)
{
	struct nf_engine *e = &op->x->eng;
	struct op **pp, *prev = NULL;

	pthread_mutex_lock(&e->credit_mu);
	for (pp = &e->starved_head; op->starved && *pp; prev = *pp, pp = &(*pp)->starved_next) {
		if (*pp != op)
			continue;
		*pp = op->starved_next;
		if (e->starved_tail == op)
			e->starved_tail = prev;
		op->starved = false;
		break;
	}
	pthread_mutex_unlock(&e->credit_mu);
}

/* Give a credit back and resume the first waiting op, if any. Called with
 * no op mutex held. */
static void credit_give(struct nf_engine *e)
{
	struct op *w;

	pthread_mutex_lock(&e->credit_mu);
	e->credits++;
	w = e->starved_head;
	if (w) {
		e->starved_head = w->starved_next;
		if (!e->starved_head)
			e->starved_tail = NULL;
		w->starved = false;
		/* Keep it alive: once popped, it may finish on another thread
		 * before we get its mutex. */
		atomic_fetch_add(&w->refs, 1);
	}
	pthread_mutex_unlock(&e->credit_mu);
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	if (w->submitting || w->phase_done) {
		pthread_mutex_unlock(&w->mu);	/* its submitter retries itself */
	} else {
		w->submitting = true;
		pump_locked(w);
	}
	op_free(w);
}

static uint32_t chunk_blocks(const struct op *op, enum seg_kind kind)
{
	uint32_t lba = op->nsc.lba_size, n;

	switch (kind) {
	case SEG_WZ:
		return NF_MAX_NLB;
	case SEG_DEALLOC:
		return DEALLOC_CHUNK;
	default:
		break;
	}
	/* A block larger than a command's share goes alone: a block cannot
	 * be split. */
	n = nf_xfer_cmd(op->x) / lba;
	if (n == 0)
		n = 1;
	/* Every block of a SEG_ZEROS command comes from op->zero: never more
	 * than it holds (op_alloc_zero() made it at least one block; 0 here
	 * fails the op rather than send what lies past it). */
	if (kind == SEG_ZEROS && n > op->zero_len / lba)
		n = (uint32_t)(op->zero_len / lba);
	return n > NF_MAX_NLB ? NF_MAX_NLB : n;
}

/*
 * A Read, Write or zeroes command of nlb blocks refused (r) because the
 * limit shrank since we last read it: the controller reconnected with a
 * smaller MDTS, and either the RECONNECTED event has not come yet (refused
 * at submission) or the command was held through the outage and replayed
 * by the library, which then fails it (nvmf.h, OUTAGES). Then the limit is
 * read again and the blocks are sent in smaller commands, not failed. A
 * lone block cannot shrink: it fails (and ns.c stops serving its
 * namespace).
 */
static bool xfer_shrunk(struct op *op, enum seg_kind kind, uint32_t nlb, int64_t r)
{
	if (r != -EINVAL || nlb < 2 ||
	    (kind != SEG_READ && kind != SEG_WRITE && kind != SEG_ZEROS))
		return false;
	return (uint64_t)nlb * op->nsc.lba_size > nf_xfer_refresh(op->x);
}

/* ---- Command slots ---------------------------------------------------------------- */

_Static_assert(OP_WINDOW <= 32, "op->cmds_used has a bit per command slot");

/* A free slot. Called with op->mu held and a window place checked: every
 * slot taken is in flight or waiting to be cut again. */
static struct cmd *cmd_take(struct op *op)
{
	uint32_t free_slots = ~op->cmds_used;
	unsigned i;

	if (OP_WINDOW < 32)
		free_slots &= (1u << (OP_WINDOW & 31)) - 1;
	if (!free_slots)
		return NULL;
	i = (unsigned)__builtin_ctz(free_slots);
	op->cmds_used |= 1u << i;
	op->cmds[i].op = op;
	return &op->cmds[i];
}

static void cmd_put(struct op *op, struct cmd *c)
{
	op->cmds_used &= ~(1u << (unsigned)(c - op->cmds));
}

/* The first slot waiting to be sent again (op->recut > 0). op->mu held. */
static struct cmd *cmd_recut_next(struct op *op)
{
	for (unsigned i = 0; i < OP_WINDOW; i++)
		if ((op->cmds_used & (1u << i)) && op->cmds[i].recut)
			return &op->cmds[i];
	return NULL;
}

static void cmd_wait_recut(struct op *op, struct cmd *c)
{
	c->recut = true;
	op->recut++;
}

/*
 * One command done. The decrement and the test of `submitting` happen
 * under one hold of the mutex: once we let go, the thread submitting may
 * see the phase over and free the op, so we must not touch it again.
 *
 * A command refused for its length (xfer_shrunk(): held through an outage,
 * then replayed by the library against a smaller limit) keeps its slot,
 * which sends the same blocks again, cut by the new limit (pump_locked()),
 * one command at a time: the slot moves on by what each transferred until
 * none is left, and only then gives its window place back. Before, the
 * request failed with EIO although nothing was wrong with its blocks.
 */
static void sub_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct cmd *c = user;
	struct op *op = c->op;
	struct nf_engine *e = &op->x->eng;	/* op may be gone when we give back */
	bool again;

	(void)cookie;
	/* Its kind and length are fixed while it is in flight. */
	again = cpl->result < 0 && xfer_shrunk(op, c->kind, c->nlb, cpl->result);
	pthread_mutex_lock(&op->mu);
	op->inflight--;
	if (again) {
		cmd_wait_recut(op, c);
	} else if (cpl->result < 0) {
		if (!op->err) {
			op->err = cpl->result;
			op->status = cpl->status;
			snprintf(op->why, sizeof(op->why), "%s", nvmf_completion_errmsg(cpl));
		}
		cmd_put(op, c);
	} else if (c->left > c->nlb) {
		/* One command of a slot cut smaller: on to the rest. */
		c->slba += c->nlb;
		if (c->buf)
			c->buf += (size_t)c->nlb * op->nsc.lba_size;
		c->left -= c->nlb;
		cmd_wait_recut(op, c);
	} else {
		cmd_put(op, c);
	}
	if (op->submitting) {
		pthread_mutex_unlock(&op->mu);
		credit_give(e);
		return;		/* the submitting thread sees our decrement */
	}
	op->submitting = true;
	pump_locked(op);	/* may finish and free op */
	credit_give(e);
}

static int64_t submit_one(struct op *op, struct cmd *cmd)
{
	struct nvmf_callback cb = { .cb = sub_done, .user = cmd, .free = NULL };
	struct nvmf_ctrl *c = op->x->ctrl;
	uint32_t nsid = op->nsc.nsid, nlb = cmd->nlb;

	switch (cmd->kind) {
	case SEG_READ:
		return nvmf_aio_read(c, nsid, cmd->buf, cmd->slba, nlb, cmd->flags, cb);
	case SEG_WRITE:
		return nvmf_aio_write(c, nsid, cmd->buf, cmd->slba, nlb, cmd->flags, cb);
	case SEG_ZEROS:
		return nvmf_aio_write(c, nsid, op->zero, cmd->slba, nlb, 0, cb);
	case SEG_WZ:
		return nvmf_aio_write_zeroes(c, nsid, cmd->slba, nlb, cmd->flags, cb);
	case SEG_DEALLOC:
		return nvmf_aio_deallocate(c, nsid, cmd->slba, nlb, cb);
	case SEG_FLUSH:
		return nvmf_aio_flush(c, nsid, cb);
	}
	return -EINVAL;
}

/*
 * Submit what the window allows; when the phase is over, run the next step.
 * Called with op->mu held and `submitting` set by the caller, which makes
 * this thread the only one submitting for the op (commands go out in
 * order) and the only one that may finish it. Returns with the mutex
 * released. Blocks waiting to be cut again (sub_done()) go before the
 * segments' rest; each such slot already holds a window place.
 */
static void pump_locked(struct op *op)
{
	for (;;) {
		struct seg *s = NULL;
		struct cmd *c = NULL;
		enum seg_kind kind;
		uint32_t nlb;
		bool retry;
		int64_t r;

		if (op->err || (op->cur >= op->nsegs && !op->recut)) {
			if (op->inflight)
				break;	/* the last completion finishes the phase */
			if (op->starved)
				credit_unwait(op);
			op->submitting = false;
			if (op->phase_done) {	/* a late resume: nothing left */
				pthread_mutex_unlock(&op->mu);
				return;
			}
			op->phase_done = true;
			pthread_mutex_unlock(&op->mu);
			op->next(op);
			return;
		}
		if (op->recut)
			c = cmd_recut_next(op);
		else
			s = &op->segs[op->cur];
		kind = c ? c->kind : s->kind;
		nlb = chunk_blocks(op, kind);
		if (nlb == 0) {
			/* Not one block fits the zero source: a bug, but
			 * failing beats sending whatever follows it. */
			op->err = -EIO;
			snprintf(op->why, sizeof(op->why),
				 "a block of %u bytes is larger than the %zu-byte zero buffer",
				 op->nsc.lba_size, op->zero_len);
			continue;
		}
		if (atomic_load_explicit(&op->ns->live_gen, memory_order_acquire) !=
		    op->nsc.gen) {
			/* The namespace went away while the op waited (for a
			 * range lock, credits, an earlier command): whatever is
			 * at its NSID now is not what the op was for. */
			op->err = -EIO;
			snprintf(op->why, sizeof(op->why), "namespace %u went away",
				 op->nsc.nsid);
			continue;
		}
		if (s && op->inflight >= OP_WINDOW)
			break;	/* a completion submits the rest */
		if (!credit_take(op))
			break;	/* credit_give() resumes us */
		if (c) {
			c->recut = false;
			op->recut--;
			c->nlb = c->left < nlb ? c->left : nlb;
		} else {
			if (s->kind == SEG_FLUSH || s->nblk < nlb)
				nlb = (uint32_t)s->nblk;
			c = cmd_take(op);	/* no recut: inflight slots taken */
			c->kind = s->kind;
			c->buf = s->buf;
			c->slba = s->slba;
			c->nlb = c->left = nlb;
			c->flags = s->flags;
			c->recut = false;
		}
		op->inflight++;
		pthread_mutex_unlock(&op->mu);
		/* c is the completion's from here; a refused one gets none. */
		r = submit_one(op, c);
		retry = r < 0 && xfer_shrunk(op, c->kind, c->nlb, r);
		pthread_mutex_lock(&op->mu);
		if (r < 0) {
			op->inflight--;
			if (!op->err && !retry) {
				op->err = (int)r;
				/* The submission failed on this thread: its error. */
				snprintf(op->why, sizeof(op->why), "%s", nvmf_get_error());
			}
			/* Cut again from the same blocks (retry), or fail. */
			if (s)
				cmd_put(op, c);
			else
				cmd_wait_recut(op, c);
			pthread_mutex_unlock(&op->mu);
			credit_give(&op->x->eng);
			pthread_mutex_lock(&op->mu);
			continue;
		}
		if (!s)
			continue;	/* the slot moves on in sub_done() */
		s->slba += nlb;
		if (s->buf)
			s->buf += (size_t)nlb * op->nsc.lba_size;
		s->nblk -= s->kind == SEG_FLUSH ? 1 : nlb;
		if (s->nblk == 0)
			op->cur++;
	}
	/* Here commands are in flight (inflight > 0, read under the mutex we
	 * still hold: a later completion sees `submitting` cleared and
	 * carries on), or the op waits for a credit, a re-cut slot's too
	 * with nothing in flight (credit_give() resumes it). */
	op->submitting = false;
	pthread_mutex_unlock(&op->mu);
}

void op_add(struct op *op, enum seg_kind kind, char *buf, uint64_t slba, uint64_t nblk,
		   unsigned flags)
{
	if (nblk == 0)
		return;
	op->segs[op->nsegs++] = (struct seg){ kind, buf, slba, nblk, flags };
}

void phase_start(struct op *op, op_step next)
{
	pthread_mutex_lock(&op->mu);
	op->cur = 0;
	/* Nothing is in flight between phases; slots a failed phase left
	 * waiting are dropped with it. */
	op->cmds_used = 0;
	op->recut = 0;
	op->next = next;
	op->phase_done = false;
	op->submitting = true;
	pump_locked(op);
}

void phase_reset(struct op *op)
{
	op->nsegs = 0;
	op->cur = 0;
}

/* Common checks and the covered block range [sblk, eblk). */
void op_cover(struct op *op, uint64_t off, size_t len)
{
	uint32_t lba = op->nsc.lba_size;

	op->off = off;
	op->len = len;
	op->sblk = off / lba;
	op->eblk = (off + len + lba - 1) / lba;
	op->head_partial = off % lba != 0;
	op->tail_partial = (off + len) % lba != 0;
}

/* Take the covered blocks; step runs now or when they are granted. */
static void lock_grant(struct rl_entry *e)
{
	struct op *op = e->user;

	op->next(op);
}

void op_lock(struct op *op, op_step step)
{
	op->lk.start = op->sblk;
	op->lk.end = op->eblk;
	op->lk.grant = lock_grant;
	op->lk.user = op;
	op->next = step;
	op->locked = true;
	if (rl_lock(&op->ns->locks, &op->lk))
		step(op);
}
