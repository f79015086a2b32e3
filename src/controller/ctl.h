/*
 * Userland NVMe over Fabrics controller: transport-neutral logic.
 *
 * Internal to nvmf-target (prefix ctl_). The model is the dynamic
 * controller model of NVMe over Fabrics 1.1, 3.3: a host's admin queue
 * Connect with CNTLID FFFFh creates a controller, its I/O queue Connects
 * name that controller's CNTLID. The controller is the owner of
 * controller-role queue pairs (transport/xport_ctrl.h): a ctl_queue extends
 * a transport's struct xp_cqueue, a ctl_req its struct xp_creq, and the
 * transport calls the controller through ctl_xp_ops (xport.c); the
 * controller names no transport. Everything runs on one libuv loop; file
 * I/O goes to the libuv threadpool.
 */
#ifndef NVMF_CTL_H
#define NVMF_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include <nvmf/nvme.h>
#include <nvmf/nvmf.h>

#include "transport/xport_ctrl.h"

/*
 * Wire formats: SQEs, CQEs, Fabrics capsules and the data structures the
 * controller returns are <nvmf/nvme.h>'s. The controller keeps commands as
 * the bytes the transport received (ctl_req.sqe/cqe, req->data) and reaches
 * their fields with offsetof() on nvme.h's structs and the little-endian
 * accessors of <nvmf/endian.h>: in-capsule data need not be aligned.
 *
 * Status: a ctl status value is an enum nvmf_status_code, (SCT << 8) | SC,
 * with CTL_DNR or-ed in when the host must not retry; 0 is success.
 * ctl_req_complete() turns it into the CQE's status field.
 */
#define CTL_DNR           0x8000u	/* or-ed into a ctl status value */
/*
 * Command Retry Delay, or-ed into a ctl status value at the bits the CQE's
 * status word carries it (13:12, Base 2.0, 4.6.1): 1..3 pick CRDT1..3 of
 * Identify Controller. Only for a controller whose host set ACRE
 * (ctl_retry_status()): without it the field is reserved.
 */
#define CTL_CRD(n)        ((uint16_t)((unsigned)(n) << NVMF_CQE_STATUS_CRD_SHIFT))

/* Names tools/nvmf-target uses; the controller spells them as nvme.h does. */
#define CTL_NQN_MAX       NVMF_NQN_MAX_LEN
#define CTL_DISC_NQN      NVMF_DISCOVERY_NQN

#define CTL_MAX_NS        1024	/* namespaces per subsystem (NN) */
#define CTL_MAX_HOSTS     64	/* allow-list entries per subsystem */
#define CTL_MAX_IOQ       64	/* I/O queues per controller */
#define CTL_MQES          127	/* CAP.MQES: entries - 1 of any queue */
#define CTL_MAX_AER       4	/* AERL + 1 */
/* The largest DH-HMAC-CHAP transfer taken: a Reply with an ffdhe8192
 * value is about 1.2 KiB, and Linux's host receives into 4 KiB. */
#define CTL_AUTH_XFER_MAX 8192u
#define CTL_MAX_LISTENERS 8
#define CTL_ERRLOG_SLOTS  16
#define CTL_MPS           4096	/* CAP.MPSMIN: MDTS is in units of this */
#define CTL_BUDGET_WARN_MS 5000	/* at most one budget warning per this */
#define CTL_POOL_MAX      128	/* cached I/O buffers of each size class */
#define CTL_POOL_MIN_LEN  16384	/* smaller transfers use buffers of this size,
				 * larger ones MDTS-sized buffers */

struct ctl_target;
struct ctl_subsys;
struct ctl_ctrl;
struct ctl_queue;
struct ctl_req;
struct ctl_auth;

/*
 * Logging, with the library's severities (enum nvmf_log_level, nvmf.h):
 * errors and warnings always, INFO from verbosity 1 (-v), DEBUG from 2.
 */
void ctl_log(struct ctl_target *t, enum nvmf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum ctl_backend_type { CTL_BE_FILE, CTL_BE_BDEV, CTL_BE_RAM };

/* A namespace (NVM Command Set 1.0, 2.1). Reference counted: in-flight
 * I/O keeps a removed namespace's backend open until it completes. */
struct ctl_ns {
	uint32_t nsid;
	enum ctl_backend_type type;
	int      fd;			/* file and block device */
	uint8_t *ram;			/* ram:SIZE */
	uint64_t ram_id;		/* ram: random, in the NGUID (backend.c) */
	uint64_t born;			/* file: its birth time in ns, 0 unknown
					 * (in the NGUID, backend.c) */
	uint64_t size;			/* bytes */
	uint64_t unserved;		/* bytes of the file or device past its
					 * last whole block (not served) */
	uint32_t lba_shift;		/* 9 or 12 */
	bool     ro;
	bool     punch;			/* hole punching works (cleared on EOPNOTSUPP) */
	uint8_t  nguid[16];
	char     path[256];
	uint64_t fsid;			/* file: its file system (statvfs f_fsid,
					 * else st_dev), for the NGUID */
	dev_t    dev;			/* file and block device: what it is, */
	ino_t    ino;			/* for ctl_ns_same_backing() and the NGUID */
	unsigned refs;
	bool     removed;
};

/*
 * DH-HMAC-CHAP (NVMe Base 2.0, 8.13.5; auth.c). A secret as its
 * "DHHC-1:hh:...:" text carries it: hh, and 32, 48 or 64 key bytes (the
 * layout of src/auth's struct auth_secret, kept here so that this header
 * needs no OpenSSL). len 0: no secret. The tools parse and check the text;
 * the controller only copies, uses and wipes.
 */
#define CTL_SECRET_MAX 64
struct ctl_secret {
	uint8_t  hash;			/* hh: 0 none, 1 SHA-256, 2 SHA-384, 3 SHA-512 */
	uint8_t  len;
	uint8_t  key[CTL_SECRET_MAX];
};

/*
 * What the controller accepts in an AUTH_Negotiate, in its order of
 * preference: HashIDs (01h SHA-256 .. 03h SHA-512) and DHgroupIDs (00h null,
 * 01h ffdhe2048 .. 05h ffdhe8192). A subsystem's empty list means the
 * target's; ctl_target_init() sets the target's to Linux nvmet's choice
 * first (SHA-256, the null group), then the rest (see auth.c).
 */
#define CTL_AUTH_NHASH 3
#define CTL_AUTH_NDH   6
struct ctl_auth_policy {
	uint8_t  nhash;
	uint8_t  hash[CTL_AUTH_NHASH];
	uint8_t  ndh;
	uint8_t  dh[CTL_AUTH_NDH];
};

/* One line of an allow-list or subsystem description. */
struct ctl_subsys {
	struct ctl_subsys *next;
	struct ctl_target *target;
	char     nqn[NVMF_NQN_MAX_LEN + 1];
	char     serial[21];
	bool     any_host;		/* empty allow-list */
	unsigned nhosts;
	char     hosts[CTL_MAX_HOSTS][NVMF_NQN_MAX_LEN + 1];
	/* DH-HMAC-CHAP secrets of the listed hosts, by index of hosts[]:
	 * the host's (it must authenticate) and the controller's (for
	 * bidirectional authentication); len 0 when none. */
	struct ctl_secret host_secret[CTL_MAX_HOSTS];
	struct ctl_secret ctrl_secret[CTL_MAX_HOSTS];
	struct ctl_auth_policy auth;	/* empty lists: the target's */
	struct ctl_ns *ns[CTL_MAX_NS + 1];	/* by nsid, [0] unused */
	bool     removed;
	/* Set while ctl_subsys_remove() drops the controllers: a drop may
	 * free a controller at once, and that must not free the subsystem
	 * under the loop; ctl_subsys_remove() frees it after. */
	bool     removing;
};

/* An address the target listens on, for the discovery log page. */
struct ctl_listener {
	int      adrfam;		/* NVMF_DISC_ADRFAM_* */
	char     traddr[64];
	char     trsvcid[16];
	uint16_t portid;
	bool     io;			/* I/O subsystems reachable here */
};

/* Tunables; ctl_target_init() sets defaults. */
struct ctl_opts {
	uint8_t  mdts;			/* 2^mdts * CTL_MPS bytes per command */
	uint16_t max_ioq;		/* I/O queues granted per controller */
	uint32_t io_icd;		/* in-capsule data bytes on I/O queues */
	bool     c2h_success;		/* use C2HData SUCCESS when allowed */
	unsigned max_ctrls;
	uint64_t max_data_bytes;	/* command buffers allocated at once */
	/* Identify CRDT1, 100 ms units: how long a host that set ACRE waits
	 * before it retries a command refused for the buffer budget (CRD 1).
	 * 0: no delay advertised, the host does not set ACRE. */
	uint16_t crdt1;
	int      verbose;
	/* The listeners' secure channel (enum xp_tls_mode), for the
	 * discovery log's TREQ and TSAS (NVMe/TCP 1.0 as TP 8011 amends it). */
	int      tls;
};

struct ctl_target {
	uv_loop_t *loop;
	struct ctl_opts opts;
	struct ctl_subsys *subsys;	/* I/O subsystems */
	struct ctl_subsys disc;		/* the discovery subsystem */
	struct ctl_ctrl *ctrls;		/* every live controller */
	unsigned nctrls;
	uint16_t next_cntlid;
	uint64_t genctr;		/* discovery log generation */
	unsigned nlisteners;
	struct ctl_listener listeners[CTL_MAX_LISTENERS];
	struct ctl_auth_policy auth;	/* DH-HMAC-CHAP policy of subsystems
					 * without their own */
	uint64_t inflight;		/* commands being executed */
	uint64_t data_bytes;		/* command data buffers allocated now */
	/* Budget refusals: the last warning (ctrl.c), those since. */
	bool     budget_warned;
	uint64_t budget_warn_at;
	uint64_t budget_refusals;
	/* Command data buffers kept for reuse, so that a command allocates
	 * nothing once warm (and large ones are not mapped and unmapped every
	 * command: glibc's mmap threshold is 128 KiB). pool[0]: buffers of
	 * CTL_POOL_MIN_LEN bytes, pool[1]: MDTS-sized ones. */
	struct ctl_bufpool {
		void    *buf[CTL_POOL_MAX];
		unsigned n;
	} pool[2];
};

/*
 * One queue: the controller's part of a controller-role queue pair. The
 * transport's part (x) carries what both need: peer and local address,
 * whether I/O subsystems are reachable, and the QID, SQSIZE and SQ flow
 * control setting that Connect establishes (x.connected once it succeeded).
 */
struct ctl_queue {
	struct xp_cqueue x;		/* first: the transport allocates us */
	struct ctl_target *target;
	struct ctl_ctrl *ctrl;		/* NULL until Connect */
	uint16_t sqhd;
	/* DH-HMAC-CHAP (auth.c): the transaction, from a Connect that set
	 * AUTHREQ.ATR; NULL when the queue needs no authentication. Until
	 * authenticated, only Fabrics commands are executed. */
	struct ctl_auth *auth;
	bool     authenticated;
};

/* Whether the queue may run other than Fabrics commands (nvmet's
 * nvmet_check_auth_status). */
static inline bool ctl_queue_auth_ok(const struct ctl_queue *q)
{
	return !q->auth || q->authenticated;
}

/* A controller (Base 2.0, 3.1; Fabrics 1.1, 3.3). */
struct ctl_ctrl {
	struct ctl_ctrl *next;
	struct ctl_target *target;
	struct ctl_subsys *subsys;
	bool     discovery;
	uint16_t cntlid;
	char     hostnqn[NVMF_NQN_MAX_LEN + 1];
	uint8_t  hostid[NVMF_HOSTID_LEN];
	/* The host's DH-HMAC-CHAP secrets, copied from the allow-list at the
	 * admin Connect (and again at each re-authentication of the admin
	 * queue): every queue of a controller with a host secret
	 * authenticates. Wiped when the controller goes. */
	struct ctl_secret host_secret, ctrl_secret;
	uint32_t cc, csts;
	uint32_t kato_ms;
	uv_timer_t ka_timer;
	bool     ka_seen;		/* a command arrived since the last check */
	bool     dying;
	uint16_t nioq;			/* I/O queues granted (Number of Queues) */
	bool     nioq_set;
	struct ctl_queue *queues[CTL_MAX_IOQ + 1];
	uint32_t aen_cfg;
	/* Host Behavior Support (FID 16h) as the host set it: ACRE, ETDAS,
	 * LBAFEE, 0 or 1 each (admin.c). */
	uint8_t  host_behavior[3];
	struct ctl_req *aers[CTL_MAX_AER];
	unsigned naer;
	uint32_t aen_pending[8];	/* DW0s waiting for an AER slot */
	unsigned naen_pending;
	bool     ns_aen_masked;		/* notice sent, log not read with RAE 0 */
	bool     disc_aen_masked;
	uint32_t changed_ns[NVMF_NS_LIST_MAX];
	unsigned nchanged;		/* > NVMF_NS_LIST_MAX: overflowed */
	uint64_t errcount;
	uint8_t  errlog[CTL_ERRLOG_SLOTS][sizeof(struct nvmf_error_log_entry)];
	uint64_t units_read, units_written, host_reads, host_writes;
	uint64_t start_ms;
};

/*
 * One command. The transport allocates it and owns its memory; x holds the
 * SQE as received, the CQE as sent, the direction and SGL length prepare
 * decided and the data buffer prepare allocated (x.data).
 */
struct ctl_req {
	struct xp_creq x;		/* first: the transport allocates us */
	struct ctl_queue *q;		/* x.q as the controller's queue */
	struct ctl_ns *ns;		/* held during I/O */
	uv_work_t work;
	int      werr;			/* backend result (negative errno) */
	uint8_t *aux;			/* compare buffer, flush-all namespace list */
	uint8_t  aux_pool;		/* aux from pool[aux_pool - 1]; 0: none or the heap's */
	uint64_t io_off, io_len;	/* byte range of a read/write/zeroes */
	bool     deac;			/* Write Zeroes: deallocate */
	bool     aer_pending;
	bool     executing;
	uint8_t  pool;			/* data from pool[pool - 1]; 0: the heap's */
	uint32_t charged;		/* bytes counted in target->data_bytes */
	struct ctl_req *aer_next;
};

/* ---- target.c: configuration objects ------------------------------------ */
void ctl_target_init(struct ctl_target *t, uv_loop_t *loop);
void ctl_target_fini(struct ctl_target *t);
struct ctl_subsys *ctl_subsys_add(struct ctl_target *t, const char *nqn);
struct ctl_subsys *ctl_subsys_find(struct ctl_target *t, const char *nqn);
void ctl_subsys_remove(struct ctl_target *t, struct ctl_subsys *s);
int  ctl_subsys_allow_host(struct ctl_subsys *s, const char *hostnqn);
bool ctl_subsys_host_allowed(const struct ctl_subsys *s, const char *hostnqn);
/* Empty the allow-list (any host allowed), wiping its secrets. */
void ctl_subsys_clear_hosts(struct ctl_subsys *s);
/* The DH-HMAC-CHAP secrets of a listed host (either may be NULL for
 * none): 0, or -ENOENT if hostnqn is not on the allow-list. */
int  ctl_subsys_set_secrets(struct ctl_subsys *s, const char *hostnqn,
			    const struct ctl_secret *host, const struct ctl_secret *ctrl);
/* Copies the secrets a Connect from hostnqn must authenticate with into
 * host and ctrl; true if there is a host secret. As nvmet_setup_auth: never
 * for the discovery subsystem nor with any host allowed. */
bool ctl_subsys_secrets(const struct ctl_subsys *s, const char *hostnqn,
			struct ctl_secret *host, struct ctl_secret *ctrl);
/* Zero a secret (stores that the compiler keeps). */
void ctl_secret_wipe(struct ctl_secret *k);
/* HOSTNQN for log lines: SPDK's host sends an empty one (fabrics.c). */
static inline const char *ctl_host_name(const char *hostnqn)
{
	return hostnqn[0] ? hostnqn : "empty HOSTNQN";
}
int  ctl_target_add_listener(struct ctl_target *t, const char *traddr, int port, bool io);
/* Validates an NQN (Base 2.0, 4.5): at most 223 bytes, "nqn." and a name,
 * printable, no spaces. */
bool ctl_nqn_valid(const char *nqn);

/* ---- backend.c: namespaces ---------------------------------------------- */
/* Opens BACKING (a path or "ram:SIZE" with K/M/G/T suffix) as a namespace of
 * 2^lba_shift byte blocks. Returns 0 or a negative errno with msg filled. */
int  ctl_ns_open(struct ctl_ns **out, const char *backing, uint32_t lba_shift, bool ro,
		 char *msg, size_t msglen);
void ctl_ns_put(struct ctl_ns *ns);
/* Whether a and b serve the same file or device (never for ram:): two
 * namespaces on one backing would be two disks to a host that are one. */
bool ctl_ns_same_backing(const struct ctl_ns *a, const struct ctl_ns *b);
/* Whether path (a backing as ctl_ns_open takes it) still names the file or
 * device ns serves; true for ram: and for a path that cannot be looked at. */
bool ctl_ns_backing_is(const struct ctl_ns *ns, const char *path);
int  ctl_parse_size(const char *s, uint64_t *out);
/* Attach/detach/resize a namespace at run time: raise the notices. */
int  ctl_subsys_attach_ns(struct ctl_subsys *s, struct ctl_ns *ns, uint32_t nsid);
void ctl_subsys_detach_ns(struct ctl_subsys *s, uint32_t nsid);
/* Re-reads the size of nsid's backend; notices if it changed. */
void ctl_subsys_ns_changed(struct ctl_subsys *s, uint32_t nsid);
/* Backend operations, run in the threadpool; complete the request. */
void ctl_backend_submit(struct ctl_req *req);
/* A second buffer in req->aux (len <= MDTS), pooled as data buffers are;
 * NULL when out of memory. Given back by ctl_req_aux_put() or at release. */
void *ctl_req_aux_get(struct ctl_req *req, uint32_t len);
void ctl_req_aux_put(struct ctl_req *req);
/* ramcopy.c: memcpy into a RAM namespace, writing around the cache. */
void ctl_ram_store(uint8_t *dst, const uint8_t *src, size_t n);

/* ---- ctrl.c: queues, controllers, dispatch ------------------------------ */
void ctl_queue_init(struct ctl_queue *q, struct ctl_target *t);
/* The connection is gone: fail held AERs (their completions go to the
 * transport, which frees them) and detach from the controller. In-flight
 * I/O completes normally later. */
void ctl_queue_destroy(struct ctl_queue *q);
/*
 * Decode a freshly received command: direction and length from the SGL
 * and opcode; bounds the length (MDTS, data structure sizes) and allocates
 * req->data. Returns 0, or an NVMe status (cqe filled) if the command must
 * fail without a data transfer.
 */
uint16_t ctl_req_prepare(struct ctl_req *req);
/* Execute (data of a host-to-controller command is in req->data). */
void ctl_req_execute(struct ctl_req *req);
/* Copy lent in-capsule data (x.icd) into x.data and forget it. */
void ctl_req_take_icd(struct ctl_req *req);
/* A retryable status (no DNR) with CRD 1, the host's wait CRDT1, when the
 * controller's host enabled retry delays (ACRE); sc alone otherwise. */
uint16_t ctl_retry_status(const struct ctl_queue *q, uint16_t sc);
/* Fill the CQE and call the transport. */
void ctl_req_complete(struct ctl_req *req, uint16_t status, uint32_t dw0, uint32_t dw1);
/* Release what prepare allocated; the transport calls it before freeing. */
void ctl_req_release(struct ctl_req *req);

/* ---- xport.c: the controller as owner of controller-role queue pairs ---- */
extern const struct xp_cqueue_ops ctl_xp_ops;
/* Listener options from the target's (queue and request sizes, MDTS,
 * in-capsule data, C2HData SUCCESS, MQES); transport-specific ones are the
 * caller's to add. Listen with xp_listener_create(..., &ctl_xp_ops, t, ...). */
void ctl_listen_opts(const struct ctl_target *t, struct xp_listen_opts *o);
void ctl_ctrl_touch(struct ctl_ctrl *c);
/* A namespace of a subsystem changed: changed-NS log and AEN. */
void ctl_ns_notice(struct ctl_subsys *s, uint32_t nsid);
/* The discovery log changed: GENCTR and AEN to discovery controllers. */
void ctl_disc_notice(struct ctl_target *t);

struct ctl_ctrl *ctl_ctrl_create(struct ctl_queue *q, struct ctl_subsys *s, const char *hostnqn,
				 const uint8_t hostid[NVMF_HOSTID_LEN], uint32_t kato_ms);
struct ctl_ctrl *ctl_ctrl_find(struct ctl_target *t, struct ctl_subsys *s, uint16_t cntlid);
/* A KATO as Connect or Set Features gives it, rounded up to the KAS
 * granularity (100 ms, Base 2.0, Keep Alive Timer), saturating at
 * FFFFFFFFh. Both commands round with it. */
uint32_t ctl_kato_round(uint32_t kato_ms);
void ctl_ctrl_set_kato(struct ctl_ctrl *c, uint32_t kato_ms);
/* Controller fatal status (CSTS.CFS, nvmet_ctrl_fatal_error): every queue
 * of the controller is closed once its queued responses are out. */
void ctl_ctrl_fatal(struct ctl_ctrl *c, const char *why);
/* Queue an asynchronous event; completes a held AER if there is one. */
void ctl_aen_post(struct ctl_ctrl *c, uint32_t dw0);
/* Complete every held AER with Command Aborted due to SQ Deletion (the
 * admin queue goes, or a Controller Level Reset). */
void ctl_aer_abort_all(struct ctl_ctrl *c);
/* Hold an Asynchronous Event Request. */
void ctl_aer_submit(struct ctl_req *req);
/* Record a failed command in the error log (Base 2.0, 5.16.1.2). */
void ctl_errlog_add(struct ctl_ctrl *c, const struct ctl_req *req, uint16_t status);
uint64_t ctl_now_ms(struct ctl_target *t);
void ctl_subsys_free(struct ctl_subsys *s);

/* ---- auth.c: DH-HMAC-CHAP, the controller's side ------------------------ */
/*
 * After a successful Connect (q->ctrl set): if the controller has a host
 * secret, start the queue's authentication and its deadline (q->auth set:
 * the Connect response gets AUTHREQ.ATR). 0, or -ENOMEM.
 */
int  ctl_auth_queue_init(struct ctl_queue *q);
/* The queue is gone: wipe and free its transaction. */
void ctl_auth_queue_fini(struct ctl_queue *q);
/* Authentication Send / Receive (Fabrics 6.2, 6.1). Without OpenSSL:
 * Invalid Command Opcode, as nvmet without CONFIG_NVME_TARGET_AUTH. */
void ctl_auth_send(struct ctl_req *req);
void ctl_auth_recv(struct ctl_req *req);
/* The default policy (nvmet's preference first). */
void ctl_auth_policy_default(struct ctl_auth_policy *p);

/* ---- fabrics.c, admin.c, logpage.c, io.c -------------------------------- */
void ctl_fabrics_exec(struct ctl_req *req);
void ctl_admin_exec(struct ctl_req *req);
void ctl_io_exec(struct ctl_req *req);
/* Whether ctl_admin_exec() runs admin opcode opc on controller c. */
bool ctl_admin_opcode_ok(const struct ctl_ctrl *c, uint8_t opc);
/* The checks of an I/O command that need no data (opcode, namespace, LBA
 * range, the SGL's length len against NLB, write protection): 0, or the
 * status it fails with. *nsp: its namespace, NULL for a Flush of all. */
uint16_t ctl_io_check(struct ctl_queue *q, const uint8_t *sqe, uint32_t len, struct ctl_ns **nsp);
void ctl_get_log_page(struct ctl_req *req);

#endif /* NVMF_CTL_H */
