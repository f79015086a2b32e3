/*
 * The fio engine on libnvmf (tools/fio/README.md): the parts that know no fio.
 *
 * conn.c turns the engine's options into struct nvmf_opts and keeps the
 * connected controllers: one per job and target (on the job's own libuv
 * loop, the library's caller's-loop mode), or, with nvmf_share=1 and
 * thread=1, one per target for every job of the process (the library's own
 * I/O thread, since several threads submit), refcounted under a lock.
 * engine.c and queue.c (engine.h) are the fio side: they include fio's
 * headers, which this file must not (they redefine much of libc's
 * namespace).
 *
 * Errors: a negative errno and a one-line message in the caller's buffer,
 * which the engine hands to fio's log.
 */
#ifndef NVMF_FIO_H
#define NVMF_FIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nvmf/nvmf.h>

/* The engine's options as fio stores them: strings (NULL when not given)
 * and booleans. The first member must be a pointer: fio keeps its own
 * pointer in the first slot of every engine's option struct. */
struct nf_options {
	void *fio_reserved;
	char *nr_io_queues, *queue_size, *keep_alive_tmo, *connect_timeout, *io_timeout;
	char *reconnect_delay, *ctrl_loss_tmo, *fast_io_fail_tmo;
	char *hostnqn, *hostid;
	char *tls_key, *tls_key_file, *tls_identity;
	char *dhchap_secret, *dhchap_ctrl_secret, *dhchap_secret_file, *dhchap_ctrl_secret_file;
	unsigned int hdr_digest, data_digest, disable_sqflow, tls, tls_compat;
	unsigned int share;
};

/*
 * struct nvmf_opts for one filename= URI (which must name a namespace: its
 * NSID into *nsid) and the options; loop is the job's loop or NULL (shared).
 * 0, or -EINVAL with the message in err.
 */
int nf_opts_build(const char *uri, const struct nf_options *eo, struct uv_loop_s *loop,
		  struct nvmf_opts *o, uint32_t *nsid, char *err, size_t errlen);

/* A connected controller, shared by the files (and, shared, the jobs) that
 * reach the same target with the same options. */
struct nf_ctrl {
	struct nvmf_ctrl *ctrl;
	struct nf_ctrl *next;
	unsigned refs;
	const void *owner;	/* the job (its own loop), or NULL when shared */
	struct nvmf_opts opts;	/* the key: what it was connected with */
	/* The controller's transfer limit in bytes (MDTS, 0: none) as last
	 * read: at connect, and again when the library refuses a command
	 * for it (nf_ctrl_xfer_refresh()), since a reconnect may bring the
	 * controller back with a smaller one (nvmf.h, OUTAGES). Atomic: the
	 * jobs sharing the controller read it on their threads, completions
	 * may refresh it on the library's. */
	uint32_t max_xfer;
};

/* The transfer limit as last read: no lock, no call into the library. */
static inline uint32_t nf_ctrl_xfer(struct nf_ctrl *nc)
{
	return __atomic_load_n(&nc->max_xfer, __ATOMIC_RELAXED);
}

/* The transfer limit read again from the library: the new value, and in
 * *was the one it replaced (the same unless it changed). Any thread. */
uint32_t nf_ctrl_xfer_refresh(struct nf_ctrl *nc, uint32_t *was);

/*
 * The controller for o, connected now unless the owner (NULL: any job of the
 * process) already holds one for the same target and options. 0 with *out
 * referenced, or a negative errno with the library's message in err.
 */
int nf_ctrl_get(const struct nvmf_opts *o, const void *owner, struct nf_ctrl **out,
		char *err, size_t errlen);
/* Drop a reference; the last one disconnects (and wipes the secrets). */
void nf_ctrl_put(struct nf_ctrl *nc);

/* The namespace's size and block size, from a short-lived admin-only
 * connection (fio asks for the size before a job's process or thread runs,
 * so that the job's own connection cannot serve it). 0 or a negative errno. */
int nf_probe_ns(const struct nvmf_opts *o, const char *uri, uint32_t nsid,
		struct nvmf_ns_info *ns, char *err, size_t errlen);
/* The namespace nsid of c, checked usable: 0 or a negative errno. */
int nf_ns_check(struct nvmf_ctrl *c, const char *uri, uint32_t nsid, struct nvmf_ns_info *ns,
		char *err, size_t errlen);

#endif
