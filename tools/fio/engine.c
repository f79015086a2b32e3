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
 * This file: the options, the jobs and their files (setup, teardown, fio's
 * ioengine_ops); the I/O path is queue.c, their shared state engine.h.
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
#include "engine.h"
#include "nvmf_fio.h"

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

/* ---- Setup and teardown --------------------------------------------------------------- */

/* user: the struct nf_ctrl (conn.c). On the controller's thread. */
static void nf_event_cb(void *user, const struct nvmf_event *ev)
{
	switch (ev->type) {
	case NVMF_EVENT_CONN_LOST:
	case NVMF_EVENT_FATAL:
		log_err("nvmf: connection lost: %s (I/O is held while reconnecting)\n", ev->msg);
		break;
	case NVMF_EVENT_RECONNECTED:
		log_info("nvmf: reconnected after %u attempt(s)\n", ev->attempt);
		/* The transfer limit may have changed: a smaller one is also
		 * found when a command is refused for it (queue.c), a larger
		 * one only here, and the io_us after this are cut by it. */
		if (user)
			(void)nf_xfer_refresh(user);
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
