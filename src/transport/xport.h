/*
 * Transport-neutral queue pairs (prefix xp_).
 *
 * A queue pair is one NVMe submission/completion queue pair carried over one
 * fabric connection (NVMe over Fabrics 1.1, 2.1 and 3.3; for TCP one TCP
 * connection per queue pair, NVMe/TCP 1.0, 2.1). The host layer (src/host/)
 * prepares 64-byte submission queue entries and hands them here with a data
 * buffer; the transport allocates the command identifier, fills the data
 * pointer (an SGL: fabrics always use SGLs, NVMe-oF 1.1, 2.3.1), moves the
 * data and calls back with the completion. This header is the host role;
 * the controller role, which nvmf-target's controller logic uses, is
 * xport_ctrl.h, and a transport implements both on one framing and one
 * send path (src/tcp).
 *
 * Design points:
 *  - A queue pair is a replaceable part. It knows nothing of the controller
 *    that owns it: it reports to the callbacks and the opaque argument given
 *    at creation, so a controller can drop a failed queue pair, create a new
 *    one with the same callbacks and replay the I/O it held.
 *  - Embedded-base pattern: every transport defines its queue pair as a
 *    struct whose first member is struct xp_qpair (e.g. struct
 *    tcp_host_qpair in src/tcp/host_qpair.h), and its requests likewise
 *    start with struct xp_req. Code above this header only sees xp_ types.
 *  - Requests come from a pool allocated once at creation (qsize - 1
 *    entries); no allocation per command. The request's pool index is its
 *    command identifier (CID).
 *  - Everything runs on the caller's uv_loop_t and on its thread: no call
 *    here is thread-safe. Callbacks run on that loop.
 *  - Completion callbacks are never called from inside xp_submit(): a
 *    command is always completed later, from the loop (or from inside
 *    xp_qpair_close(), which completes everything outstanding at once).
 *
 * Status convention used by every completion:
 *     0      success;
 *    > 0     NVMe status field of the CQE (NVMe Base 2.0, 4.6.1, Figure 92):
 *            CQE dword 3 bits 31:17, i.e. SC in bits 7:0, SCT in 10:8,
 *            CRD in 12:11, More in 13, DNR in 14 (nvmf.h's NVMF_SF_SC(),
 *            NVMF_SF_SCT(), NVMF_SF_DNR()); a data digest error is reported so, as
 *            Transient Transport Error (SCT 0h, SC 22h, NVMe/TCP 1.0, 3.6.2.1);
 *    < 0     negative errno: the command did not complete on the controller,
 *            or the transport gave up on it:
 *              -ETIMEDOUT    its per-command timeout (or the connect timeout) fired
 *              -ECONNRESET   the connection was lost (peer closed, socket error)
 *              -EPROTO       the controller violated the protocol (the queue
 *                            pair sent H2CTermReq and is closed), or sent C2HTermReq
 *              -ECONNABORTED the queue pair was torn down because another
 *                            command on it timed out (see xp_submit)
 *              -ECANCELED    the owner closed the queue pair
 *            The queue pair's error text (xp_qpair_errmsg) says what happened.
 */
#ifndef NVMF_TRANSPORT_XPORT_H
#define NVMF_TRANSPORT_XPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include <nvmf/nvme.h>
#include <nvmf/nvmf.h>

struct xp_qpair;
struct xp_req;

/*
 * Sizes of the address strings, NUL included: a host name may be 255
 * characters (RFC 1035, 2.3.4, less the root label) and the Fabrics
 * address fields are 256 bytes (NVMe over Fabrics 1.1, Figure 37) and the
 * service field 32. The error text has room for such a name and the reason.
 */
#define XP_TRADDR_MAX   257
#define XP_TRSVCID_MAX  33
#define XP_ERRMSG_MAX   512

/* Queue sizes the pool accepts (1's based SQ entries, NVMe Base 2.0 CAP.MQES + 1). */
#define XP_QSIZE_MIN 2
#define XP_QSIZE_MAX 1024

/* ---- Completion ---------------------------------------------------------- */

/*
 * A completion queue entry in CPU byte order (NVMe Base 2.0, 4.6, Figure 90).
 * For transport errors (status < 0) only cid and sqid are meaningful, the
 * rest is zero. For a read completed by C2HData with the SUCCESS flag
 * (NVMe/TCP 1.0, 3.3.2), the transport synthesizes a CQE: DW0 and DW1 zero,
 * and sqhd the head the host derives from the command's own SQ position (the
 * controller fetched it, so the head is past it), or 0xffff when Connect
 * asked to disable SQ flow control.
 */
struct xp_cpl {
	uint32_t dw0;		/* command specific */
	uint32_t dw1;		/* command specific */
	uint16_t sqhd;		/* SQ head pointer; 0xffff: SQ flow control disabled */
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;	/* the status field, bits 31:17 of dword 3 (phase dropped) */
};

/*
 * Called once per submitted command, on the loop thread. status follows the
 * convention above. cpl is never NULL and only valid during the call. The
 * request has already been returned to the pool, so the callback may submit
 * again or close the queue pair.
 */
typedef void (*xp_cmd_cb)(struct xp_qpair *qp, const struct xp_cpl *cpl, int status,
			  void *arg);

/* Direction of a command's data transfer. */
enum xp_dir {
	XP_DIR_NONE = 0,	/* no data */
	XP_DIR_H2C  = 1,	/* host to controller (write, Connect data, Set Features with data) */
	XP_DIR_C2H  = 2,	/* controller to host (read, Identify, Get Log Page) */
};

/* One command to submit. Copied by xp_submit(); need not outlive the call. */
struct xp_cmd {
	/*
	 * The submission queue entry as it goes on the wire (little-endian),
	 * prepared by the host layer. The transport overwrites CID, PSDT
	 * (flags bits 7:6, set to 01b: SGL) and the data pointer (SGL1);
	 * everything else is sent as given.
	 */
	struct nvmf_sqe sqe;
	/*
	 * Data buffer: must stay valid and untouched until the callback.
	 * For XP_DIR_C2H the controller's data lands directly in it. len may
	 * be 0 only with XP_DIR_NONE.
	 */
	void       *buf;
	uint32_t    len;
	enum xp_dir dir;
	/* Timeout in milliseconds; 0 = the queue pair's default (opts). */
	uint32_t    timeout_ms;
	xp_cmd_cb   cb;
	void       *arg;
};

/* ---- Queue pair options and callbacks ------------------------------------ */

/*
 * A transport's own parameters live in its own struct, one member of the
 * unions in xp_qpair_opts and xp_qpair_info (as FreeBSD's libnvmf keeps
 * them); code above the transport fills them, generic code never reads them.
 */

/* NVMe/TCP's Initialize Connection request (NVMe/TCP 1.0, 3.6.2.2). */
struct xp_tcp_opts {
	bool     hdgst;			/* ask for header digests */
	bool     ddgst;			/* ask for data digests */
	uint8_t  hpda;			/* host PDU data alignment, 0's based dwords (0..31) */
	/*
	 * TLS 1.3 with a pre-shared key (NVMe/TCP 1.0 as TP 8011 amends it,
	 * 3.6.1.3): the PSK derives from the configured one in tls_key
	 * (interchange form; identity version tls_identity, 0 or 1, -1
	 * meaning 0 there;
	 * tls_compat derives as libnvme before 1.16 did, src/tcp/tls_psk.h)
	 * or, when that is NULL, is tls_key_file's TLS PSK for the two NQNs
	 * (NULL: /etc/nvme/tls-keys; nvme-cli's format, derived keys) of
	 * identity version tls_identity, or -1: any, in Linux's order. The strings are read during xp_qpair_connect()
	 * only and not kept; the derived key is wiped after the handshake.
	 */
	bool     tls;
	bool     tls_compat;
	int8_t   tls_identity;
	const char *tls_key;
	const char *tls_key_file;
	const char *tls_hostnqn;
	const char *tls_subnqn;
};

/* What NVMe/TCP negotiated (ICResp, 3.6.2.3) and counts of its own. */
struct xp_tcp_info {
	bool     hdgst;
	bool     ddgst;
	uint8_t  cpda;			/* controller PDU data alignment, 0's based */
	uint8_t  hpda;
	uint32_t maxh2cdata;		/* largest H2CData PDU data */
	uint64_t r2ts;			/* R2Ts served */
	bool     tls;			/* the connection runs over TLS */
	char     tls_cipher[48];	/* its cipher suite (TLS 1.3) */
};

struct xp_qpair_opts {
	uint16_t qid;			/* 0 = admin queue */
	uint16_t qsize;			/* SQ entries, 1's based (XP_QSIZE_MIN..MAX);
					 * at most qsize - 1 commands are outstanding */
	union {
		struct xp_tcp_opts tcp;
	} tp;				/* the transport's own (by trtype) */
	/*
	 * In-capsule data limit in bytes: writes up to this length travel
	 * inside the command capsule. Admin queue: 8192 (NVMe/TCP 1.0, 3.3.1
	 * fixes it); I/O queues: IOCCSZ * 16 - 64 from Identify Controller,
	 * settable later with xp_qpair_set_icd_max(). 0 disables in-capsule data.
	 */
	uint32_t icd_max;
	uint32_t connect_timeout_ms;	/* TCP connect + ICReq/ICResp; 0 = 10000 */
	uint32_t default_timeout_ms;	/* per-command default; 0 = no timeout */
	/*
	 * Optional source address to bind (host_traddr in nvme-cli terms),
	 * NULL for any. Copied.
	 */
	const char *host_traddr;
};


/*
 * What a queue pair reports to its owner. Every callback is optional and
 * receives the owner's opaque arg given at creation. None of them may free
 * the queue pair other than through xp_qpair_close().
 */
struct xp_qpair_cbs {
	/*
	 * xp_qpair_connect() finished: status 0 means the transport connection
	 * is up (for TCP: connected and ICResp accepted) and commands can be
	 * submitted, starting with the Fabrics Connect command. A negative
	 * errno means it failed (xp_qpair_errmsg says why); the queue pair is
	 * then in XP_QP_FAILED and the owner should close it.
	 */
	void (*on_connect)(struct xp_qpair *qp, int status, void *arg);
	/*
	 * The connection failed after on_connect(0): protocol error or
	 * C2HTermReq (-EPROTO), peer closed or socket error (-ECONNRESET),
	 * a command timeout (-ETIMEDOUT); msg is the explanation. Called after every outstanding command
	 * has been completed with an error. The queue pair is XP_QP_FAILED:
	 * submissions return -ENOTCONN; the owner closes it.
	 */
	void (*on_lost)(struct xp_qpair *qp, int err, const char *msg, void *arg);
	/*
	 * The queue pair's handles are closed; after this returns the memory
	 * is freed. Always called exactly once after xp_qpair_close().
	 */
	void (*on_closed)(struct xp_qpair *qp, void *arg);
	/* Diagnostic text (errors, and debug traces if the owner wants them),
	 * with the library's one severity scheme (enum nvmf_log_level). */
	void (*log)(void *arg, enum nvmf_log_level level, const char *msg);
};

enum xp_qpair_state {
	XP_QP_IDLE = 0,		/* created, not connecting yet */
	XP_QP_CONNECTING,	/* resolving, connecting, exchanging ICReq/ICResp */
	XP_QP_READY,		/* commands may be submitted */
	XP_QP_FAILED,		/* connection failed or lost; only close is useful */
	XP_QP_CLOSING,		/* xp_qpair_close() called; waiting for handles */
};

/* Cheap counters, maintained on the fast path. */
struct xp_stats {
	uint64_t cmds_submitted;
	uint64_t cmds_completed;	/* every completion, whatever the status */
	uint64_t cmds_failed;		/* status != 0 */
	uint64_t bytes_tx;		/* bytes handed to the socket */
	uint64_t bytes_rx;		/* bytes read from the socket */
	uint64_t pdus_tx;
	uint64_t pdus_rx;
	uint64_t writes;		/* socket writes (one per batch in plaintext, under
					 * TLS one per piece the kernel took): gathering
					 * shows here */
	uint64_t timeouts;
	uint32_t inflight;		/* commands outstanding now */
	uint32_t inflight_max;		/* high-water mark */
};

/* What the connection negotiated and where it goes. */
struct xp_qpair_info {
	union {
		struct xp_tcp_info tcp;
	} tp;				/* the transport's own (by trtype) */
	uint32_t icd_max;		/* current in-capsule data limit */
	bool     sq_flow_control;	/* SQ flow control in effect */
	uint16_t sq_head;		/* SQ head: reported by a CQE or derived */
	char     traddr[XP_TRADDR_MAX];	/* peer address actually connected to */
	char     trsvcid[XP_TRSVCID_MAX];
};

/* ---- Transport operations (embedded-base pattern) ------------------------ */

/*
 * Implemented by each transport. Generic code (src/transport/qpair.c) owns
 * the request pool, CIDs, SQ head accounting and the per-command timer and
 * calls these for what is transport-specific.
 */
struct xp_ops {
	const char *name;		/* trtype: "tcp" */
	size_t      qpair_size;		/* sizeof the transport's qpair (xp_qpair first) */
	size_t      req_size;		/* sizeof the transport's request (xp_req first) */
	/* Set up transport state after the generic part is initialized. */
	int  (*init)(struct xp_qpair *qp);
	/* Start the asynchronous connect; report with xp_connect_done(). */
	int  (*connect)(struct xp_qpair *qp, const char *traddr, const char *trsvcid);
	/* Send a request whose SQE has CID set (SGL still to be filled). */
	int  (*submit)(struct xp_qpair *qp, struct xp_req *req);
	/*
	 * Tear down: stop I/O and uv_close the transport's handles. Must be
	 * idempotent (called on failure and again on close). Every handle or
	 * request the transport opened counts in qp->open_handles and calls
	 * xp_handle_closed() from its last callback. Returns 0.
	 */
	int  (*close)(struct xp_qpair *qp);
	/* Free transport memory (after every handle is closed). */
	void (*fini)(struct xp_qpair *qp);
	void (*get_info)(struct xp_qpair *qp, struct xp_qpair_info *info);
	/* Optional: where the peer stopped when it stopped inside one of the
	 * transport's units (a PDU), into buf for a timeout's message; 0
	 * when it stopped between them. */
	size_t (*rx_partial)(struct xp_qpair *qp, char *buf, size_t len);
};

/* The transports built in. */
extern const struct xp_ops tcp_host_xp_ops;

/* ---- Generic queue pair and request (transports embed these) ------------- */

struct xp_req {
	struct xp_req *next;		/* free list / generic lists */
	struct xp_qpair *qp;
	uint16_t    cid;
	bool        busy;
	uint64_t    sq_seq;		/* its place in the SQ: sq_tail_seq when sent */
	struct nvmf_sqe sqe;		/* wire order */
	void       *buf;
	uint32_t    len;
	enum xp_dir dir;
	uint64_t    deadline;		/* uv_now() ms; 0 = none */
	uint32_t    timeout_ms;
	xp_cmd_cb   cb;
	void       *arg;
};

struct xp_qpair {
	const struct xp_ops *ops;
	uv_loop_t  *loop;
	struct xp_qpair_opts opts;
	struct xp_qpair_cbs cbs;
	void       *cb_arg;
	enum xp_qpair_state state;
	char       *host_traddr;	/* owned copy of opts.host_traddr */

	/* Request pool: nreqs = qsize - 1 objects of ops->req_size bytes. */
	uint8_t    *pool;
	uint16_t    nreqs;
	struct xp_req *free_list;

	/* SQ head accounting (NVMe Base 2.0, 4.1; NVMe-oF 1.1, 3.3.1.1). */
	bool        sqfc_disable_requested;	/* Connect asked to disable SQ flow control */
	bool        sqfc;		/* flow control in effect */
	/*
	 * Counted in entries since the queue pair was created, so they never
	 * wrap (the ring index is the count modulo qsize): a command's own
	 * position stays meaningful however often the ring turns while it is
	 * outstanding.
	 */
	uint64_t    sq_head_seq;	/* entries the controller has consumed */
	uint64_t    sq_tail_seq;	/* entries sent */

	/* One timer per queue pair for every command's timeout and the connect. */
	uv_timer_t  timer;
	uint64_t    timer_due;		/* armed for this uv_now() time; 0 = idle */
	uint64_t    connect_deadline;
	/* What the connect is waiting for, set by the transport as it goes
	 * ("the TCP connection", "the TLS handshake", "ICResp"): the connect
	 * timeout's message names it. */
	const char *connect_phase;

	int         open_handles;	/* uv handles not yet closed */
	bool        in_callback;	/* re-entrancy guard */
	struct xp_stats stats;
	char        errmsg[XP_ERRMSG_MAX];
};

/* ---- API for the host layer ---------------------------------------------- */

/*
 * Create a queue pair of transport trtype ("tcp") on loop. Nothing happens
 * on the network until xp_qpair_connect(). Returns 0 and *out, or -EINVAL
 * (qsize outside XP_QSIZE_MIN..MAX, a transport parameter out of range, no
 * loop), -ENOMEM,
 * -EPROTONOSUPPORT (unknown trtype). After a failure nothing needs closing
 * (memory of a half-built queue pair is released on the loop's next turn).
 */
int xp_qpair_create(const char *trtype, uv_loop_t *loop, const struct xp_qpair_opts *opts,
		    const struct xp_qpair_cbs *cbs, void *cb_arg, struct xp_qpair **out);

/*
 * Connect asynchronously to traddr (IPv4, IPv6 literal without brackets,
 * or a host name resolved with uv_getaddrinfo; every address is tried in
 * order) and trsvcid (port number or service name). The connect timeout
 * covers resolution, TCP connect and the Initialize Connection exchange.
 * Result through cbs->on_connect: 0; -EHOSTUNREACH (resolution failed);
 * the TCP connect's error (-ECONNREFUSED ...); -EPROTO (the controller's
 * ICResp was refused: a protocol matter, the message names the field);
 * -ECONNRESET (closed before ICResp); -ETIMEDOUT. traddr may be up to
 * XP_TRADDR_MAX - 1 characters (a 255-character host name fits). Returns 0,
 * or -EINVAL / -EALREADY synchronously (no callback then).
 */
int xp_qpair_connect(struct xp_qpair *qp, const char *traddr, const char *trsvcid);

/*
 * Submit a command. Its PDU is queued and sent, gathered with every other
 * PDU queued in the same loop turn, by one socket write made from a
 * uv_prepare handle (so just before the loop polls), or, when submitted
 * from a completion callback that a read ran, right after that read.
 *
 * Timeouts: when a command's timeout expires it completes with -ETIMEDOUT
 * and the queue pair fails (on_lost(-ETIMEDOUT)); the others complete with
 * -ECONNABORTED. The transport cannot reclaim a command the controller may
 * still answer or still send data for (its CID and its buffer), so a
 * timeout is fatal to the connection, as in other NVMe-oF hosts; recovery
 * (reconnect, replay) belongs to the owner.
 *
 * Returns 0 (the callback will be called exactly once),
 * or without calling the callback:
 *   -ENOTCONN  queue pair not READY (still connecting, failed, closing)
 *   -EAGAIN    no free request or the SQ is full (flow control): retry
 *              after a completion
 *   -EINVAL    bad buffer/length/direction combination
 */
int xp_submit(struct xp_qpair *qp, const struct xp_cmd *cmd);

/*
 * Tell the queue pair whether the Fabrics Connect command the host is about
 * to send sets the "disable SQ flow control" bit (NVMe-oF 1.1, 3.3, Connect
 * CATTR bit 2). Call before submitting Connect. With it set, the controller
 * may complete reads with C2HData SUCCESS (NVMe/TCP 1.0, 3.3.2) and reports
 * SQHD 0xffff; without it, a SUCCESS flag is a protocol error and the SQ
 * head is tracked to throttle submissions.
 */
void xp_qpair_set_sqfc_disable(struct xp_qpair *qp, bool disable);

/* Change the in-capsule data limit (I/O queues: IOCCSZ * 16 - 64). */
void xp_qpair_set_icd_max(struct xp_qpair *qp, uint32_t icd_max);

/*
 * Close: completes every outstanding command at once with err (negative
 * errno; 0 means -ECANCELED), from inside this call, then closes the
 * connection; cbs->on_closed follows from the loop and the memory is freed
 * after it. Safe from any callback of this queue pair. Idempotent.
 */
void xp_qpair_close(struct xp_qpair *qp, int err);

enum xp_qpair_state xp_qpair_state(const struct xp_qpair *qp);
/* Last error text ("" if none). Valid until the next error or close. */
const char *xp_qpair_errmsg(const struct xp_qpair *qp);
/* Commands outstanding. */
unsigned xp_qpair_inflight(const struct xp_qpair *qp);
/* Whether a command with a timeout is outstanding on a ready queue pair:
 * then the queue either moves on (a completion) or fails at that command's
 * deadline. A scan of the requests: not for the I/O path. */
bool xp_qpair_timed_inflight(struct xp_qpair *qp);
void xp_qpair_get_stats(const struct xp_qpair *qp, struct xp_stats *st);
void xp_qpair_get_info(struct xp_qpair *qp, struct xp_qpair_info *info);

/* ---- API for transports (src/transport/qpair.c) --------------------------- */

/* Record the error text, log it at NVMF_LOG_ERROR. */
void xp_set_error(struct xp_qpair *qp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void xp_log(struct xp_qpair *qp, enum nvmf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The request with this CID if it is outstanding, else NULL. */
struct xp_req *xp_req_lookup(struct xp_qpair *qp, uint16_t cid);
/*
 * The controller consumed this request's SQ entry although no CQE will say
 * so (C2HData SUCCESS, NVMe/TCP 1.0, 3.3.2; SPDK's target sends it even with
 * SQ flow control on): the SQ head moves past the entry, never backwards.
 */
void xp_req_sq_consumed(struct xp_req *req);
/* Complete a request with a CQE (wire order) from the controller. */
void xp_req_complete_cqe(struct xp_req *req, const struct nvmf_cqe *cqe);
/*
 * Complete a request without a CQE: status > 0 NVMe status, < 0 errno, or 0:
 * success reported without a CQE (C2HData SUCCESS, NVMe/TCP 1.0, 3.3.2).
 */
void xp_req_complete(struct xp_req *req, int status);
/* The connect finished (0 or negative errno, error text set beforehand). */
void xp_connect_done(struct xp_qpair *qp, int status);
/*
 * The connection failed: completes every outstanding command with err,
 * closes nothing yet, moves to FAILED, calls on_lost (or on_connect if
 * still connecting). Error text set beforehand.
 */
void xp_fail(struct xp_qpair *qp, int err);
/* A transport handle finished closing. */
void xp_handle_closed(struct xp_qpair *qp);
/* Iterate over outstanding requests (for transports that need it). */
struct xp_req *xp_req_at(struct xp_qpair *qp, uint16_t idx);

#endif /* NVMF_TRANSPORT_XPORT_H */
