/*
 * The fio engine's own state (tools/fio/README.md), shared by its two fio
 * sides: engine.c (options, jobs and their files: setup and teardown, the
 * ioengine_ops fio loads) and queue.c (the I/O path: io_us cut into
 * commands, completions back to fio). Both include fio's headers; what
 * knows no fio is nvmf_fio.h's (conn.c).
 */
#ifndef NVMF_FIO_ENGINE_H
#define NVMF_FIO_ENGINE_H

#include "fio.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "nvmf_fio.h"

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
	/* Commands counted for submission (nf_send(), nf_recut() count those
	 * of a cut before sending them) whose callback has not run yet, or
	 * that were counted but not sent (nf_unsent() takes those back). Once
	 * orphaned
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

/* queue.c: the I/O path. */
void nf_job_free(struct nf_job *j);
enum fio_q_status nf_queue(struct thread_data *td, struct io_u *io_u);
int nf_getevents(struct thread_data *td, unsigned int min, unsigned int max,
		 const struct timespec *t);
struct io_u *nf_event(struct thread_data *td, int event);
/* The controller's transfer limit read again from the library (any thread,
 * a callback's too); a change is logged once. */
uint32_t nf_xfer_refresh(struct nf_ctrl *nc);

#endif
