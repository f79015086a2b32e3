/*
 * Transport-neutral queue pairs, controller role (prefix xp_).
 *
 * The other half of xport.h: where a host submits commands on a queue
 * pair, a controller receives them. As in FreeBSD's libnvmf, one queue-pair
 * layer serves both roles and the transport (src/tcp) implements both on one
 * framing; the controller logic (src/controller) talks only to this API and
 * never sees a PDU, and the transport never sees an NVMe command beyond its
 * data pointer.
 *
 * The life of a command on a controller-role queue pair (struct xp_cqueue):
 *   1. the transport receives a command capsule and calls ops->prepare(req):
 *      the owner decodes the SQE, sets req->dir and req->xfer_len and
 *      allocates req->data; or it completes the command at once (an error
 *      status) with xp_creq_complete() and returns nonzero;
 *   2. for a host-to-controller transfer the transport moves the data into
 *      req->data (in-capsule, or solicited: NVMe/TCP 1.0, 3.3 and 3.6.2.7),
 *      or, for in-capsule data it received whole, lends it in req->icd;
 *   3. ops->execute(req): the owner runs the command, now or later; lent
 *      data (req->icd) is valid only until execute returns: the owner
 *      consumes or copies it into req->data before, and clears req->icd;
 *   4. the owner fills req->cqe (and, controller-to-host, req->data) and calls
 *      xp_creq_complete(req): the transport sends the data and the response
 *      and, once nothing references the request any more, calls
 *      ops->release(req) and frees it.
 * A data digest error (NVMe/TCP 1.0, 3.6.2.1) fails one command: the
 * transport has the owner complete it with Transient Transport Error
 * (ops->fail), without executing it.
 *
 * Memory: the transport allocates each queue and each request with room for
 * the owner's struct, which starts with struct xp_cqueue or struct xp_creq
 * (embedded-base pattern, sizes in xp_listen_opts), so no allocation is
 * needed beyond the transport's own. Everything runs on the listener's loop.
 */
#ifndef NVMF_TRANSPORT_XPORT_CTRL_H
#define NVMF_TRANSPORT_XPORT_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include <nvmf/nvme.h>
#include <nvmf/nvmf.h>

#include "transport/xport.h"

struct xp_listener;
struct xp_cqueue;
struct xp_creq;
struct xp_cops;

/* One accepted connection: one NVMe queue of some controller. */
struct xp_cqueue {
	const struct xp_cops *cops;	/* the transport's */
	struct xp_listener *listener;
	/* Set by the transport at accept. */
	char     peer[80];		/* host address and port, for log lines */
	char     local_addr[64];	/* address the host reached (discovery log) */
	bool     io_allowed;		/* reached through a port serving I/O subsystems */
	/*
	 * Set by the owner once a Fabrics Connect succeeded on the queue
	 * (NVMe over Fabrics 1.1, 3.3): until then only the Connect itself
	 * may be outstanding and the connection set-up deadline runs.
	 */
	bool     connected;
	uint16_t qid;
	uint16_t sqsize;		/* 0's based */
	bool     sqfc_disabled;		/* Connect CATTR: SQ flow control disabled */
	/* Set by the owner with connected: the host's NQN (empty if it sent
	 * none), for the transport's log lines. */
	char     hostnqn[NVMF_NQN_MAX_LEN + 1];
	/*
	 * Set by the transport when the connection runs over TLS with a PSK
	 * (NVMe/TCP 1.0 as TP 8011 amends it, 3.6.1.3): the NQNs its identity
	 * names. The owner refuses a Connect for any other host or subsystem:
	 * the key proves only these.
	 */
	bool     tls;
	char     tls_hostnqn[NVMF_NQN_MAX_LEN + 1];
	char     tls_subnqn[NVMF_NQN_MAX_LEN + 1];
} __attribute__((aligned(16)));

/* One command received. */
struct xp_creq {
	struct xp_cqueue *q;
	uint8_t  sqe[NVMF_SQE_SIZE];	/* as received, wire order */
	uint8_t  cqe[NVMF_CQE_SIZE];	/* filled by the owner, wire order */
	enum xp_dir dir;		/* set by ops->prepare */
	uint32_t xfer_len;		/* the SGL's length, set by ops->prepare */
	uint8_t *data;			/* xfer_len bytes, the owner's */
	/*
	 * Set by the owner with data (controller to host) that may change
	 * once control returns to the loop, such as a RAM namespace's own
	 * bytes: the transport sends them at once or copies them here
	 * (xfer_len bytes, the owner's, kept until ops->release) first.
	 */
	uint8_t *bounce;
	/*
	 * Set by the transport just before ops->execute: the in-capsule data
	 * (xfer_len bytes) where it was received, in place of a copy in data.
	 * Valid only until execute returns (step 3 above).
	 */
	const uint8_t *icd;
} __attribute__((aligned(16)));

/* What the owner (the controller logic) does for the transport. */
struct xp_cqueue_ops {
	/* A connection was accepted: set up the owner's part of q. */
	void (*accepted)(struct xp_cqueue *q, void *arg);
	/* Step 1 above. Return 0, or nonzero once req was completed. */
	int  (*prepare)(struct xp_creq *req);
	/* Step 3 above. */
	void (*execute)(struct xp_creq *req);
	/* Complete req with this status (enum nvmf_status_code, DNR or not)
	 * without executing it: its data could not be had (a data digest
	 * error) or its SGL does not fit the transport. */
	void (*fail)(struct xp_creq *req, uint16_t code, bool dnr);
	/* Free what prepare allocated; the request is about to be freed. */
	void (*release)(struct xp_creq *req);
	/* The connection is gone. Requests with the owner complete later. */
	void (*closed)(struct xp_cqueue *q);
	/* Draining: true while any command is still being executed. */
	bool (*busy)(void *arg);
	/* Diagnostics, with the library's severities. */
	void (*log)(void *arg, enum nvmf_log_level level, const char *msg);
};

/* Secure channel of a listener (NVMe/TCP 1.0 as TP 8011 amends it, 3.6.1.3;
 * the discovery log's TREQ says the same to hosts, NVMe-oF 1.1, 5.3). */
enum xp_tls_mode {
	XP_TLS_NONE     = 0,	/* plaintext only */
	XP_TLS_ALLOWED  = 1,	/* TLS or plaintext, as each host starts */
	XP_TLS_REQUIRED = 2,	/* TLS only: a plaintext ICReq is refused */
};

/*
 * The configured PSK (interchange form, "NVMeTLSkey-1:...") for a host and
 * subsystem that a TLS client's PSK identity names, written into key; 0, or
 * -ENOENT if there is none (the handshake fails). Runs on the loop.
 */
typedef int (*xp_tls_key_fn)(void *arg, const char *hostnqn, const char *subnqn, char *key,
			     size_t keylen);

/* NVMe/TCP's own listener parameters. */
struct xp_tcp_listen_opts {
	uint8_t  cpda;			/* controller PDU data alignment, 0's based (0..31) */
	size_t   stage_size;		/* receive staging buffer per connection; 0 = 64 KiB */
	enum xp_tls_mode tls;
	bool     tls_compat;		/* derive as libnvme before 1.16 (tcp/tls_psk.h) */
	/* Where PSKs come from, in this order: a key file of TLS PSKs by
	 * identity (nvme-cli's tls-key format, read at every handshake so
	 * edits apply at once; NULL: none), then the owner's configured PSKs. */
	const char *tls_key_file;
	xp_tls_key_fn tls_key;		/* NULL: none */
	void    *tls_key_arg;
};

struct xp_listen_opts {
	size_t   queue_size;		/* owner's queue struct (starts with xp_cqueue) */
	size_t   req_size;		/* owner's request struct (starts with xp_creq) */
	uint16_t max_qsize;		/* largest SQ the owner grants (CAP.MQES + 1) */
	uint32_t max_icd;		/* in-capsule data accepted on I/O queues */
	uint32_t max_xfer;		/* largest transfer (MDTS): TCP's MAXH2CDATA */
	/* Complete a successful read without a response capsule when the
	 * host disabled SQ flow control (NVMe/TCP 1.0, 3.6.2.9). */
	bool     c2h_success;
	unsigned max_conns;		/* connections beyond are refused; 0 = 256 */
	/* The most detailed level (enum nvmf_log_level) the owner's log()
	 * shows: messages past it are not even formatted. -1: none. */
	int      log_level;
	uint32_t connect_timeout_ms;	/* the IC exchange and Connect; 0 = 10000 */
	/* A connected queue's host must send all the data an R2T asked for
	 * within this (a host that never does would hold the buffer, and
	 * the target's buffer budget, for as long as it keeps the
	 * connection); 0 = 30000. */
	uint32_t data_timeout_ms;
	/* The other direction: while data for the host waits to be sent
	 * (responses hold their buffers, and the budget, until the socket
	 * took them), the socket must take some of it within this, or the
	 * connection is closed (a host that stopped reading would hold them
	 * for as long as it kept the connection); 0 = 30000. */
	uint32_t send_timeout_ms;
	union {
		struct xp_tcp_listen_opts tcp;
	} tp;				/* the transport's own (by trtype) */
};

/* The generic part of a listener; transports embed it first. */
struct xp_listener {
	const struct xp_cops *cops;
	uv_loop_t *loop;
	struct xp_listen_opts opts;
	const struct xp_cqueue_ops *ops;
	void    *arg;			/* the owner's, given to accepted/busy/log */
	bool     draining;
	void   (*drain_cb)(struct xp_listener *l, void *arg);
};

/* A transport's controller role (src/tcp/ctrl). */
struct xp_cops {
	const char *name;
	int  (*create)(uv_loop_t *loop, const struct xp_listen_opts *opts,
		       const struct xp_cqueue_ops *ops, void *arg, struct xp_listener **out);
	int  (*listen)(struct xp_listener *l, const char *addr, int port, bool io, int *real_port,
		       char *msg, size_t msglen);
	void (*drain)(struct xp_listener *l);
	void (*close)(struct xp_listener *l);
	void (*complete)(struct xp_creq *req);
	void (*drop)(struct xp_cqueue *q, const char *why);
};

extern const struct xp_cops tcp_ctrl_xp_cops;

/*
 * Create a listener of transport trtype ("tcp") on loop: nothing is
 * listening until xp_listen(). 0, -EPROTONOSUPPORT, -EINVAL, -ENOMEM.
 */
int  xp_listener_create(const char *trtype, uv_loop_t *loop, const struct xp_listen_opts *opts,
			const struct xp_cqueue_ops *ops, void *arg, struct xp_listener **out);
/*
 * Listen on ADDR:PORT (port 0: any free port, the real one in *real_port).
 * io: I/O subsystems are served there (else discovery only). 0 or a
 * negative errno with msg filled.
 */
int  xp_listen(struct xp_listener *l, const char *addr, int port, bool io, int *real_port,
	       char *msg, size_t msglen);
/*
 * Orderly stop: listen no more, read no new commands, let what is in flight
 * finish and its responses go out, close every connection, then cb.
 */
void xp_listener_drain(struct xp_listener *l, void (*cb)(struct xp_listener *l, void *arg));
/* Close everything now; the memory goes once the loop has run the closes. */
void xp_listener_close(struct xp_listener *l);

/* Step 4 above: send req's data (controller to host) and response. */
void xp_creq_complete(struct xp_creq *req);
/* The owner wants the queue's connection closed (keep-alive expiry,
 * Disconnect, controller teardown): queued responses go out first. When
 * the peer is already gone the queue may close before this returns: its
 * closed() callback runs, and requests completed before the call may be
 * freed; the caller touches none of them afterwards. */
void xp_cqueue_drop(struct xp_cqueue *q, const char *why);

#endif /* NVMF_TRANSPORT_XPORT_CTRL_H */
