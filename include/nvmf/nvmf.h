/*
 * libnvmf - userland NVMe over Fabrics host (NVMe/TCP).
 *
 * The public API. Modelled after libnbd: an asynchronous core with
 * synchronous wrappers, a 64-bit cookie per asynchronous command, a
 * completion callback carrying a user pointer plus a free hook called
 * exactly once, negative errno returns and a thread-local error message.
 *
 * Quick start (synchronous, the library runs its own I/O thread):
 *
 *	struct nvmf_opts o;
 *	struct nvmf_ctrl *c;
 *	nvmf_opts_init(&o);
 *	if (nvmf_opts_set_uri(&o, "nvme+tcp://127.0.0.1/nqn.2014-08.org.example:disk") < 0 ||
 *	    nvmf_connect(&o, &c) < 0)
 *		errx(1, "%s", nvmf_get_error());
 *	nvmf_read(c, 1, buf, 0, 1, 0);
 *	nvmf_disconnect(c);
 *
 * THREADING
 *  Two modes, chosen by nvmf_opts.loop:
 *  - loop == NULL (default): the controller runs on a libnvmf I/O thread,
 *    a thread running a libuv loop. Every call below may be made from any
 *    thread, concurrently, except nvmf_disconnect() which must be the last
 *    call on the handle and must not race with other calls on it.
 *    I/O threads. The process has a pool of them, shared by its
 *    controllers as SPDK's poll groups share cores: at most
 *    nvmf_get_io_threads() threads (LIBNVMF_IO_THREADS in the environment,
 *    or nvmf_set_io_threads(), else the number of online CPUs). nvmf_connect()
 *    places the controller, with all its queues, on the pool thread with
 *    the fewest controllers (starting a new thread while the pool is not
 *    full); it stays there until nvmf_disconnect(), through every
 *    reconnect. A thread ends with its last controller. With
 *    nvmf_opts.private_thread the controller gets a thread of its own
 *    instead (each controller its own thread: 0.4's behaviour). One
 *    controller's work is thus never spread over several threads: a
 *    controller uses one core at most, and several controllers (one per
 *    queue, say) spread over as many cores.
 *    Submissions from other threads go through the I/O thread's lock-free
 *    queue and one coalesced wake-up of it. Ordering: commands a thread
 *    submits to one controller reach its queues in the order submitted
 *    (they may complete in any order, as NVMe allows); nothing orders
 *    commands of different controllers or different submitting threads.
 *    Callbacks: a command's completion callback, its free hook, the
 *    controller's event callbacks and its descriptor watches' callbacks
 *    (nvmf_watch_fd()) run on the controller's I/O thread, one
 *    at a time (never two of the same controller at once, and never
 *    concurrently with another controller's on the same thread). They must
 *    not block, and must not make synchronous calls to any controller:
 *    that could wait for the very thread that runs the callback, so every
 *    synchronous call (nvmf_connect() and nvmf_disconnect() included) made
 *    on an I/O thread fails with -EDEADLK without doing anything. They may
 *    submit asynchronous commands, to any controller. A reconnect
 *    (OUTAGES) runs on the controller's thread like everything else of it,
 *    so holding, replaying or failing its I/O needs no other thread to
 *    stop; the other controllers of that thread go on meanwhile.
 *    The I/O threads block SIGPIPE: a write to a connection the peer has
 *    closed fails (the connection is lost) instead of ending the process.
 *  - loop != NULL: everything runs on the caller's libuv loop. All calls
 *    must be made from the thread running that loop. Asynchronous calls
 *    return at once; their callbacks run from uv_run(). Synchronous calls
 *    (nvmf_connect() and nvmf_disconnect() included) run the loop
 *    themselves until their command completes, so they must not be called
 *    from inside any callback of that loop (libuv forbids a nested
 *    uv_run()); from libnvmf's own callbacks this is detected (-EDEADLK).
 *    Sockets are written from that thread: ignore or block SIGPIPE there.
 *  Functions that touch no controller (options, URI parsing, status
 *  strings, error accessors, logging set-up) are safe from any thread.
 *
 * ERRORS
 *  Functions return 0 (or a cookie, or a count) on success and a negative
 *  errno on failure. The failing thread's nvmf_get_error() then returns a
 *  message naming what failed, and nvmf_get_errno() the positive errno.
 *  A command the controller completed with an error status yields -EIO;
 *  its NVMe status (SCT, SC, DNR...) is kept in struct nvmf_completion and,
 *  for synchronous calls, in nvmf_get_status(). nvmf_status_str() gives its
 *  text. Timeouts are -ETIMEDOUT, a lost connection -ECONNRESET, commands
 *  flushed by nvmf_disconnect() -ECANCELED.
 *
 *  A failed asynchronous command's text ("Read failed: queue 1: C2HData:
 *  DATAO 2560, expected 2048 (data out of order)") is
 *  nvmf_completion_errmsg() during its completion callback.
 *
 * DEBUG LOG
 *  The library prints nothing by itself: every failure already reaches the
 *  caller as above, and the caller decides what to show. Two ways turn the
 *  library's log on:
 *  - LIBNVMF_DEBUG set to anything but "" or "0" in the environment (read
 *    once, when the library first logs) prints every message, errors to
 *    debug traces, to stderr as "libnvmf: error: text" ("warning", "info",
 *    "debug");
 *  - nvmf_set_log_callback() hands every message, of every level, to a
 *    function instead, whatever LIBNVMF_DEBUG says; it filters by level.
 *    It runs on whichever thread logs (an I/O thread, the caller's loop,
 *    the thread of a failing call) and must not block. A libnvmf call it
 *    makes that fails does not call it again, and leaves the thread's last
 *    error as it was before the callback; a synchronous call from it on a
 *    controller fails with -EDEADLK wherever that would wait for an I/O
 *    thread or run a caller's loop (THREADING).
 *  Levels: ERROR, something failed that the caller may not hear of otherwise
 *  (a queue's connection lost); WARN, the library carries on without
 *  something (namespace notices); INFO, facts (fewer I/O queues granted);
 *  DEBUG, traces. An orderly nvmf_disconnect() logs no ERROR or WARN, even
 *  when the controller closes its connections once shut down: what the
 *  teardown reports is DEBUG.
 */
#ifndef NVMF_NVMF_H
#define NVMF_NVMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nvmf/endian.h>
#include <nvmf/nvme.h>
#include <nvmf/nvme_tcp.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NVMF_BUILDING_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define NVMF_API __attribute__((visibility("default")))
#else
#define NVMF_API
#endif

/* ---- Constants ------------------------------------------------------------ */

/* NVMF_DISCOVERY_NQN, NVMF_CNTLID_DYNAMIC and the wire layouts come from
 * <nvmf/nvme.h>. Buffer sizes of the strings below, NUL included. The
 * names avoid libnvme's NVMF_TRADDR_SIZE and NVMF_TRSVCID_SIZE (<nvme/types.h>,
 * with other values), so an application may include both libraries. */
#define NVMF_NQN_BUFSZ     (NVMF_NQN_FIELD_LEN + 1)
#define NVMF_TRADDR_BUFSZ  (NVMF_TRADDR_FIELD_LEN + 1)
#define NVMF_TRSVCID_BUFSZ (NVMF_TRSVCID_FIELD_LEN + 1)
/* A TLS PSK in the interchange format: "NVMeTLSkey-1:02:" + 72 Base64 + ":". */
#define NVMF_TLS_KEY_BUFSZ 96
#define NVMF_PATH_BUFSZ    1024
/* A DH-HMAC-CHAP secret: "DHHC-1:03:" + 92 Base64 + ":". */
#define NVMF_DHCHAP_KEY_BUFSZ 112

/* ---- Library information, errors, logging --------------------------------- */

/* The version of the library loaded, as "MAJOR.MINOR.PATCH". */
NVMF_API const char *nvmf_version(void);

/* Message of the last failure on this thread ("" if none). Valid until the
 * next libnvmf call on this thread. */
NVMF_API const char *nvmf_get_error(void);
/* Positive errno of the last failure on this thread, 0 if none. */
NVMF_API int nvmf_get_errno(void);
/* NVMe status (see below) of the last failed synchronous command on this
 * thread, 0 if the last failure was not an NVMe status. */
NVMF_API uint16_t nvmf_get_status(void);

enum nvmf_log_level {
	NVMF_LOG_ERROR = 0,
	NVMF_LOG_WARN  = 1,
	NVMF_LOG_INFO  = 2,
	NVMF_LOG_DEBUG = 3,
};
typedef void (*nvmf_log_cb)(void *user, enum nvmf_log_level level, const char *msg);
/* Send every message, whatever its level, to cb (any thread may call it;
 * msg is valid during the call). NULL restores the default: nothing, or
 * stderr when LIBNVMF_DEBUG asks (see DEBUG LOG above). Set it before
 * connecting. */
NVMF_API void nvmf_set_log_callback(nvmf_log_cb cb, void *user);

/* ---- NVMe status ---------------------------------------------------------- */
/*
 * The 15-bit Status Field of a completion queue entry (CQE DW3 bits 31:17,
 * NVMe Base 2.0, 4.6.1), shifted down by one so bit 0 is SC bit 0:
 *   bits 7:0 SC, 10:8 SCT, 12:11 CRD, 13 MORE, 14 DNR.
 * This is what struct nvmf_completion.status, nvmf_get_status() and the
 * functions below carry; the NVMF_SF_ ("status field") macros read it.
 * nvme.h's NVMF_CQE_STATUS_* and nvmf_cqe_status_*() are for the other
 * encoding, the raw status word of a CQE with its phase tag.
 */
#define NVMF_SF_SC(s)   ((uint8_t)((s) & 0xff))
#define NVMF_SF_SCT(s)  ((uint8_t)(((s) >> 8) & 0x7))
#define NVMF_SF_CRD(s)  ((uint8_t)(((s) >> 11) & 0x3))
#define NVMF_SF_MORE(s) ((((s) >> 13) & 1) != 0)
#define NVMF_SF_DNR(s)  ((((s) >> 14) & 1) != 0)
#define NVMF_SF(sct, sc, dnr) \
	((uint16_t)(((sc) & 0xff) | (((sct) & 7) << 8) | ((dnr) ? 0x4000 : 0)))
/* The names of release 0.1, deprecated, removed in the next release. */
#define NVMF_SC(s)   NVMF_SF_SC(s)
#define NVMF_SCT(s)  NVMF_SF_SCT(s)
#define NVMF_CRD(s)  NVMF_SF_CRD(s)
#define NVMF_MORE(s) NVMF_SF_MORE(s)
#define NVMF_DNR(s)  NVMF_SF_DNR(s)
#define NVMF_STATUS(sct, sc, dnr) NVMF_SF(sct, sc, dnr)

/* Name of the status code ("Invalid Field in Command"), never NULL. */
NVMF_API const char *nvmf_status_str(uint16_t status);
/* Full text "Invalid Field in Command (SCT 0h SC 02h, DNR)" into buf;
 * returns buf. */
NVMF_API char *nvmf_status_format(uint16_t status, char *buf, size_t len);

/* ---- Host options and URIs ------------------------------------------------ */

struct uv_loop_s;		/* libuv's uv_loop_t */
struct nvmf_ctrl;		/* a connected controller */
struct nvmf_event;

typedef void (*nvmf_event_cb)(void *user, const struct nvmf_event *ev);

/*
 * Connection options. Always start with nvmf_opts_init(), which fills the
 * defaults, then change fields. Times are seconds, as nvme-cli takes them.
 *
 * ABI policy. This struct grows: every feature (reconnect, TLS,
 * authentication, polling) adds options. New members are only ever
 * appended, and `size` records how large the struct was in the program
 * that filled it: nvmf_opts_init() is a macro passing sizeof(*o), and the
 * library reads and writes only the first o->size bytes, taking its
 * defaults for anything newer. A program built against an older header
 * therefore keeps working with a newer library without recompiling. A
 * program built against a newer header works with an older library as
 * long as it leaves the newer members at their nvmf_opts_init() values:
 * members added after 0.2 default to 0, and nvmf_connect() refuses
 * (-E2BIG, naming it) a non-zero member the library does not have rather
 * than ignore it. A struct not filled by nvmf_opts_init() (size 0) is
 * -EINVAL. Never set `size` by hand, and never copy an nvmf_opts from one
 * build into another's. The structs the library fills for the caller (nvmf_ctrl_info,
 * nvmf_ns_info, nvmf_uri, nvmf_ctrl_state_info) change only with the
 * library's soname; struct nvmf_event, which only the library creates,
 * gains members at its end.
 */
struct nvmf_opts {
	uint32_t size;			/* set by nvmf_opts_init(): see above */
	char     traddr[NVMF_TRADDR_BUFSZ];	/* host name, IPv4 or IPv6 address */
	char     trsvcid[NVMF_TRSVCID_BUFSZ];	/* port; "" = 4420, or 8009 for discovery */
	char     subnqn[NVMF_NQN_BUFSZ];		/* "" = the discovery NQN */
	char     hostnqn[NVMF_NQN_BUFSZ];	/* default: /etc/nvme/hostnqn, else derived */
	uint8_t  hostid[16];			/* default: /etc/nvme/hostid, else derived */
	uint32_t nsid;		/* URI's /nsid: restrict a consumer to it; 0 = all */
	int      nr_io_queues;	/* default: online CPUs; 0 = admin queue only (so
				 * always for discovery and administrative
				 * controllers, which have no I/O queues) */
	int      queue_size;	/* entries per I/O queue, default 128 (capped by CAP.MQES+1) */
	int      kato;		/* keep-alive timeout s, default 5; -1 = 5, or 0 for discovery */
	int      io_timeout;	/* per-command timeout s, default 30 */
	int      connect_timeout; /* s, default 10: TCP connect, ICReq, Connect, CSTS.RDY */
	bool     hdr_digest;	/* ask for header digests (NVMe/TCP 1.0, 3.6.2.2) */
	bool     data_digest;	/* ask for data digests */
	bool     disable_sqflow; /* ask to disable SQ flow control (Connect CATTR
				  * bit 2): saves the SQ head bookkeeping and lets
				  * the controller end reads with C2HData SUCCESS */
	uint16_t cntlid;	/* default NVMF_CNTLID_DYNAMIC */
	struct uv_loop_s *loop;	/* NULL: library I/O thread; else caller's loop */
	nvmf_event_cb event_cb;	/* namespace changes, connection loss; may be NULL */
	void    *event_user;
	/* Since 0.2: what to do when the connection is lost (see OUTAGES below),
	 * with nvme-cli's names and defaults. */
	int      reconnect_delay;	/* s between attempts, default 10 (>= 1) */
	int      ctrl_loss_tmo;		/* s before giving up, default 600; -1 = never
					 * give up; 0 = do not reconnect at all */
	int      fast_io_fail_tmo;	/* s after the loss at which held I/O fails
					 * while reconnecting goes on; -1 = off (default) */
	/* Since 0.3: TLS 1.3 with a pre-shared key (see TLS below). */
	bool     tls;			/* encrypt every queue (implied by tls_key) */
	bool     tls_compat;		/* derive the TLS PSK as nvme-cli 2.15 and
					 * older do (libnvme < 1.16; nvme-cli's
					 * --compat), for peers configured by them */
	int      tls_identity;		/* PSK identity version: 0 (default) or 1;
					 * -1: a key file's entry of any version,
					 * version 1 first as Linux (with tls_key:
					 * version 0) */
	char     tls_key[NVMF_TLS_KEY_BUFSZ];	/* configured PSK, "NVMeTLSkey-1:..."
						 * (nvme-cli's --tls-key); "" = from
						 * tls_key_file. Wiped by the library
						 * from its copy at disconnect. */
	char     tls_key_file[NVMF_PATH_BUFSZ];	/* "" = /etc/nvme/tls-keys */
	/* Since 0.3: DH-HMAC-CHAP in-band authentication (see AUTHENTICATION).
	 * Wiped by the library from its copy at disconnect. */
	char     dhchap_secret[NVMF_DHCHAP_KEY_BUFSZ];	/* host secret, "DHHC-1:..."
							 * (nvme-cli's -S) */
	char     dhchap_ctrl_secret[NVMF_DHCHAP_KEY_BUFSZ];	/* controller secret: the
								 * controller must prove
								 * it too (-C) */
	/* Since 0.4: polling (see POLLING below). */
	int      poll_us;		/* 0 (default): the I/O thread sleeps when
					 * idle; N (1..1000000): it polls its
					 * sockets without sleeping until N us pass
					 * with nothing done */
	/* Since 0.5: the I/O thread (THREADING above). */
	bool     private_thread;	/* false (default): a thread of the
					 * process's pool; true: one of its own */
	/* Since 0.6. Each version's members start past the previous
	 * version's size, padding included (here: a union with 8 bytes), or
	 * an older library would take them for its padding and ignore them
	 * instead of refusing them (see size above). */
	union {
		bool     discovery;	/* subnqn names a discovery controller
					 * although it is not the well-known
					 * discovery NQN: a unique discovery NQN
					 * (NVMe-oF TP 8013; nvme-cli's
					 * --discovery). Implied by the well-known
					 * NQN and by nvmf_discover(). Without it,
					 * nvmf_connect() refuses a controller that
					 * reports CNTRLTYPE 2 (discovery) with
					 * -EPROTO, naming this option; with it
					 * (and in nvmf_discover()), one that
					 * reports 1 or 3 (I/O, administrative)
					 * is refused with -EPROTO. */
		uint64_t reserved_06;
	};
};

/*
 * POLLING
 *  With poll_us > 0 (and loop == NULL: the library's own I/O thread), the
 *  I/O thread does not sleep in epoll/kqueue while there is work: it turns
 *  its loop with a zero timeout, picking up what the sockets brought and
 *  what other threads submitted (which then skip the wake-up they would
 *  otherwise send), and goes back to sleeping once poll_us microseconds
 *  pass in which no command was submitted or completed. A busy controller
 *  thus costs a core and saves every wake-up; an idle one costs nothing.
 *  Only the application's work counts (its commands, their completions,
 *  its nvmf_watch_fd() callbacks): the library's own traffic, Keep Alive
 *  every kato/2, the Asynchronous Event Request, and its timers wake the
 *  thread for a moment but do not keep it polling.
 *  The same in a URI: ?poll_us=N. Ignored with a caller's loop.
 *  On a pool thread shared with other controllers (THREADING) the thread
 *  polls while any of its controllers asks to, with the longest poll_us
 *  among them, and so polls their sockets too; give a polling controller
 *  private_thread to keep it apart.
 */

/*
 * The size of the pool of I/O threads (THREADING): n threads at most for
 * the controllers connected from now on (1..256; 0: the default, which is
 * LIBNVMF_IO_THREADS, else the number of online CPUs). Controllers already
 * placed stay where they are. 0 or -EINVAL.
 */
NVMF_API int nvmf_set_io_threads(int n);
/* The pool's size, as nvmf_set_io_threads() or the default made it. */
NVMF_API int nvmf_get_io_threads(void);

/*
 * TLS
 *  With tls set (or a tls_key given) every connection of the controller,
 *  admin and I/O queues, every reconnect included, runs TLS 1.3 with an
 *  external PSK before its ICReq, as NVMe/TCP 1.0 amended by TP 8011 and
 *  Linux (nvme-tcp with tlshd) and SPDK do: TLS_AES_128_GCM_SHA256 for a
 *  SHA-256 key, TLS_AES_256_GCM_SHA384 for a SHA-384 one, no certificates.
 *  The key is a configured PSK in the interchange format nvme-cli's
 *  gen-tls-key prints ("NVMeTLSkey-1:01:<base64>:"), from tls_key or from
 *  the key file's entry for hostnqn and subnqn (nvme-cli's `tls-key
 *  --export` format; nvmfctl gen-tls-key --insert writes one). The library
 *  derives the retained PSK, the identity ("NVMe0R01 <hostnqn> <subnqn>",
 *  or version 1 with the key's digest) and the TLS PSK from it; the target
 *  must hold the same configured key for that host, or, for a Linux
 *  target, the key nvme-cli derived into its keyring (then set tls_compat
 *  if that nvme-cli is older than 2.16). Errors: -EACCES when the handshake
 *  fails (the message says whether the peer refused the identity or the
 *  key, or closed the connection, which is how Linux's tlshd refuses),
 *  -EINVAL for a malformed key, -ENOENT for no key in the file, -ETIMEDOUT
 *  when the handshake does not finish within connect_timeout, -ENOTSUP
 *  when the library was built without OpenSSL. Every reconnect (OUTAGES)
 *  shakes hands anew and reads the key file anew, so a corrected key takes
 *  effect at the next attempt; a handshake that fails during an outage is a
 *  failed attempt like any other. The library never logs a key (it wipes
 *  its copies); nvmf_ctrl_get_tls() says whether a controller is encrypted.
 */

/*
 * AUTHENTICATION
 *  A controller that requires in-band authentication (its Connect response
 *  sets AUTHREQ.ATR; NVMe Base 2.0, 8.13.5) gets DH-HMAC-CHAP on every
 *  queue, at connect and at every reconnect, with dhchap_secret, a secret
 *  in nvme-cli's "DHHC-1:hh:<base64>:" form (gen-dhchap-key makes one; the
 *  target holds the same secret for this host NQN). The host offers
 *  SHA-256, -384 and -512 and the NULL group and ffdhe2048 to ffdhe8192;
 *  the controller picks. With dhchap_ctrl_secret the controller must prove
 *  it holds that secret too (bidirectional); one that cannot, or (an I/O
 *  controller) that does not ask for authentication at all, is refused.
 *  Errors: -EACCES when authentication fails: the controller refused our
 *  response (AUTH_Failure1, whose reason the message names), closed the
 *  connection after our reply (which is how Linux's nvmet refuses), failed
 *  to prove the controller secret or (an I/O controller) did not
 *  authenticate although dhchap_ctrl_secret was given, or no secret was
 *  given; -EPROTO for a
 *  malformed exchange (we answer it with AUTH_Failure2); -EIO when the
 *  controller fails an authentication command with a status it allows
 *  retrying (no DNR); -EINVAL for a malformed secret; -ENOTSUP without
 *  OpenSSL. A failed authentication (-EACCES) is permanent (OUTAGES:
 *  reconnecting stops). Secrets never appear in a
 *  message or a log.
 */

/* Fill the defaults described above. Reads /etc/nvme/hostnqn,
 * /etc/nvme/hostid and the machine id; never fails. size is the caller's
 * sizeof(struct nvmf_opts): use the macro. */
NVMF_API void nvmf_opts_init_size(struct nvmf_opts *o, size_t size);
#define nvmf_opts_init(o) nvmf_opts_init_size((o), sizeof(*(o)))

/*
 * Default host NQN and host ID. nvme-cli's files when present, else stable
 * values derived from /etc/machine-id (Linux) or /etc/hostid and
 * kern.hostuuid (FreeBSD): "nqn.2014-08.org.nvmexpress:uuid:<uuid>".
 * Return 0 or a negative errno (-ENOENT if no machine identity exists).
 */
NVMF_API int nvmf_default_hostnqn(char *buf, size_t len);
NVMF_API int nvmf_default_hostid(uint8_t hostid[16]);

/* A host ID as text, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (nvme-cli's
 * --hostid and /etc/nvme/hostid form). _parse accepts either case and only
 * white space after the 36 characters: 0, or -EINVAL with nvmf_get_error()
 * naming the string (hostid is then undefined). _format writes lower case
 * and a NUL into out. */
NVMF_API int nvmf_hostid_parse(const char *s, uint8_t hostid[16]);
NVMF_API void nvmf_hostid_format(const uint8_t hostid[16], char out[37]);

/* A parsed nvme+tcp:// URI. */
struct nvmf_uri {
	char     host[NVMF_TRADDR_BUFSZ];	/* without IPv6 brackets */
	char     port[NVMF_TRSVCID_BUFSZ];	/* explicit or default */
	char     subnqn[NVMF_NQN_BUFSZ];		/* percent-decoded */
	uint32_t nsid;				/* 0 if absent */
	bool     discovery;			/* subnqn is the discovery NQN */
};

/*
 * Parse "nvme+tcp://host[:port][/subnqn[/nsid]][?query]". host may be a
 * name, an IPv4 address or an IPv6 address in brackets; subnqn is
 * percent-decoded; port defaults to 4420, or 8009 when the NQN is absent (it
 * then becomes the discovery NQN) or is the discovery NQN. The query holds
 * connection options under nvme-cli's names, each at most once:
 * ctrl_loss_tmo=-1..4000000, reconnect_delay=1..4000000,
 * fast_io_fail_tmo=-1..4000000 (seconds; see OUTAGES), poll_us=0..1000000
 * (see POLLING). nvmf_uri_parse()
 * checks them (struct nvmf_uri does not carry them). Returns 0 or -EINVAL
 * with nvmf_get_error() naming the bad part (an unknown parameter, a value
 * out of range).
 */
NVMF_API int nvmf_uri_parse(const char *uri, struct nvmf_uri *out);
/* Parse a URI into traddr, trsvcid, subnqn and nsid of o, and the query's
 * parameters into their members; members the query does not name are left
 * as they are. A parameter whose member is beyond o->size (a program built
 * against an older header: the ABI policy above) is -EINVAL. o is unchanged
 * on any error. */
NVMF_API int nvmf_opts_set_uri(struct nvmf_opts *o, const char *uri);

/* ---- Controller lifecycle -------------------------------------------------- */

/*
 * Connect: TCP + ICReq to the admin queue, Fabrics Connect, CAP/VS, enable
 * the controller, Identify, the I/O queues, the namespace scan,
 * asynchronous event set-up and keep-alive. Synchronous (in loop mode it
 * runs the caller's loop). On success *out is the handle. A controller
 * that requires in-band authentication is authenticated with the options'
 * DH-HMAC-CHAP secret (AUTHENTICATION below); without one, or if it fails,
 * nvmf_connect() fails with -EACCES, also when the controller said so with
 * the Connect status Authentication Required (nvmf_get_status() then has
 * SCT 1h SC 91h). A controller whose Identify Controller SUBNQN is not the
 * subnqn connected to is refused with -EPROTO, as Linux refuses it; only a
 * discovery controller connected by the well-known discovery NQN may
 * report its own (unique) discovery NQN.
 */
NVMF_API int nvmf_connect(const struct nvmf_opts *o, struct nvmf_ctrl **out);

/*
 * First the commands submitted before the call complete, for at most 5 s
 * (a controller answers what reaches it after CC.SHN with Command Sequence
 * Error; not waited for: a retry delay ending later, I/O held through an
 * outage); new submissions, from callbacks too, fail with -ESHUTDOWN from
 * the call's start. Then orderly shutdown (CC.SHN normal, bounded wait
 * for CSTS.SHST complete), close every queue, fail commands still
 * outstanding with -ECANCELED (their callbacks and free hooks run before
 * this returns) and free the handle. Returns 0, or a negative errno if the
 * shutdown did not complete cleanly (the handle is freed anyway). From a
 * completion or event callback of the same controller it fails with
 * -EDEADLK and leaves the handle untouched and usable: disconnect it later,
 * outside the callbacks.
 */
NVMF_API int nvmf_disconnect(struct nvmf_ctrl *c);

/*
 * OUTAGES
 *  A controller handle outlives its connections. When a queue's connection
 *  fails (a socket error, a TermReq or protocol error from either side, a
 *  command timeout, Keep Alive timing out or failing, CSTS.CFS, read every
 *  keep-alive period) or nvmf_reconnect() is called, the controller leaves
 *  LIVE:
 *
 *    LIVE -> RESETTING      every queue pair closed; CONN_LOST (or FATAL) event
 *    RESETTING -> CONNECTING  attempt n of m: admin queue, Connect, enable
 *                           (Keep Alive from CSTS.RDY on), Identify, I/O
 *                           queues, namespace check, AER; RECONNECTING event
 *                           per attempt. The first attempt starts at once,
 *                           later ones reconnect_delay after the previous
 *                           one failed.
 *    CONNECTING -> LIVE     NS_CHANGED if a namespace changed, RECONNECTED,
 *                           then held I/O resubmitted
 *    CONNECTING -> DEAD     m attempts failed (m = ctrl_loss_tmo /
 *                           reconnect_delay rounded up, as Linux counts; each
 *                           attempt is bounded by connect_timeout, so giving
 *                           up may take longer than ctrl_loss_tmo), or a
 *                           Connect was refused with DNR, or authentication
 *                           is required, or another subsystem answers;
 *                           held I/O fails, then the GAVE_UP event
 *    any -> DELETING        nvmf_disconnect(), once the commands submitted
 *                           before it completed (at most 5 s)
 *
 *  ctrl_loss_tmo 0 turns this off: the controller goes straight to DEAD
 *  (GAVE_UP) and what was in flight fails with its connection's error
 *  (-ECONNRESET, -ECONNABORTED, -ETIMEDOUT, -EPROTO), as in release 0.1.
 *
 *  During an outage, reads, writes, flushes, write zeroes and deallocates
 *  -- those in flight when the connection failed and those submitted
 *  since -- are held, not failed. They are resubmitted in submission order
 *  on the new queues (and, like any commands in flight together, may then
 *  complete in any order), each at most 5 times. A write in flight when the
 *  connection failed may or may not have reached the medium; it is
 *  replayed as the same write, so the data after recovery is what the
 *  caller wrote. Held I/O fails with -ECONNRESET when the controller is
 *  given up or when fast_io_fail_tmo expires, and with -EINVAL when the
 *  controller came back with a transfer limit (MDTS) below its length. Only connection failures are
 *  ridden out here; a command the controller completes with an error status
 *  is RETRIES' business. Admin and passthrough commands are never replayed (the
 *  library cannot know what they do twice): those in flight fail with
 *  their connection's error, and new ones fail at once with -ECONNRESET
 *  until LIVE again (nvmf_rescan() included).
 *
 *  The subsystem must be the same after reconnecting (SUBNQN), and each
 *  namespace the same one: its NGUID, EUI-64 and UUID in every scan, its
 *  LBA format in every scan once it was usable (a live Format NVM would
 *  change the block size under the caller's buffers), and across an outage
 *  also its size; the I/O queue count and
 *  the controller ID may differ. A namespace whose identity changed is
 *  marked unsupported with the reason and stays so for the life of the
 *  handle (connect again to use what is there now): its held I/O fails
 *  with -ENODEV, new I/O with -EOPNOTSUPP, and NS_CHANGED names it. A
 *  namespace whose Identify Namespace fails or reports size 0 is
 *  unavailable meanwhile, not forgotten: it is listed unsupported with that
 *  reason, its I/O fails the same way, and the next scan that reads it is
 *  compared with what it was before the failures, across outages too. A
 *  different subsystem gives the controller up.
 *
 * RETRIES
 *  Since 0.6: a read, write, flush, write zeroes or deallocate that the
 *  controller completes with an error status without DNR (Do Not Retry:
 *  Command Interrupted from a controller short of buffers, a transient
 *  transport error, a data digest error) is submitted again, up to 5
 *  times, as Linux's block layer does; then it fails with -EIO and the
 *  last status, the text saying which attempt that was ("... (attempt 6;
 *  retried for a status without DNR)"). A controller that advertises
 *  Command Retry Delay times (CRDT1-3 in Identify Controller) is asked to
 *  use them (Host Behavior Support, ACRE), and each retry then waits the
 *  time its status's CRD field picks, at most the command's io_timeout.
 *  A status with DNR fails at once. Admin and passthrough commands are
 *  never retried, the caller knows best. LIBNVMF_DEBUG logs each retry.
 */
enum nvmf_ctrl_state {
	NVMF_CTRL_LIVE       = 1,	/* connected, commands flow */
	NVMF_CTRL_RESETTING  = 2,	/* connection lost, queue pairs closing */
	NVMF_CTRL_CONNECTING = 3,	/* attempt under way or waiting for the next */
	NVMF_CTRL_DELETING   = 4,	/* nvmf_disconnect() under way */
	NVMF_CTRL_DEAD       = 5,	/* given up: commands fail; nvmf_reconnect() revives */
};
/* "live", "resetting", "connecting", "deleting", "dead"; "unknown". */
NVMF_API const char *nvmf_ctrl_state_str(enum nvmf_ctrl_state s);

struct nvmf_ctrl_state_info {
	enum nvmf_ctrl_state state;
	unsigned attempt;	/* attempts made in the current (or last) outage */
	unsigned max_attempts;	/* limit from ctrl_loss_tmo (before any outage: the next one's); 0 = none */
	int      error;		/* negative errno of the last outage's latest failure, 0 if none */
	char     msg[256];	/* its text, "" if none */
	uint64_t outages;	/* times the controller left LIVE */
	uint64_t reconnects;	/* times it came back */
	unsigned held;		/* I/O commands waiting for the connection now */
	uint64_t state_ms;	/* milliseconds spent in the current state */
};
/* A snapshot of the controller's state; any thread. */
NVMF_API int nvmf_ctrl_get_state(struct nvmf_ctrl *c, struct nvmf_ctrl_state_info *st);
/*
 * Reconnect now, without waiting for the outcome: a LIVE controller is reset
 * (its connections closed and made again, held I/O replayed), one waiting
 * for its next attempt tries at once, and a DEAD one starts over with a
 * fresh ctrl_loss_tmo (even with ctrl_loss_tmo 0: one attempt). Returns 0, or
 * -EBUSY while an attempt is already under way, -ESHUTDOWN while
 * disconnecting. Watch the events or nvmf_ctrl_get_state() for the result.
 */
NVMF_API int nvmf_reconnect(struct nvmf_ctrl *c);

/* Controller facts from CAP, VS and Identify Controller (strings trimmed). */
struct nvmf_ctrl_info {
	char     sn[21];
	char     mn[41];
	char     fr[9];
	char     subnqn[NVMF_NQN_BUFSZ];
	uint16_t cntlid;
	uint16_t vid;
	uint32_t vs;		/* VS register: major << 16 | minor << 8 | tertiary */
	uint64_t cap;		/* CAP register */
	uint32_t nn;		/* number of namespaces (highest NSID) */
	uint16_t oncs;		/* optional NVM command support */
	uint8_t  vwc;		/* volatile write cache present (bit 0) */
	uint32_t max_xfer;	/* largest transfer in bytes (MDTS), 0 = no limit */
	uint32_t ioccsz;	/* I/O command capsule size, 16-byte units */
	uint16_t kas;		/* keep-alive granularity, 100 ms units */
	uint8_t  cntrltype;	/* 1 I/O, 2 discovery, 3 administrative */
	int      nr_io_queues;	/* I/O queues actually connected */
	int      queue_size;	/* entries per I/O queue actually used */
	bool     discovery;	/* connected to a discovery controller */
	bool     hdr_digest, data_digest;
};
NVMF_API int nvmf_ctrl_get_info(struct nvmf_ctrl *c, struct nvmf_ctrl_info *info);

/*
 * Since 0.3: 1 if the controller's connections run TLS (its cipher suite's
 * name, e.g. "TLS_AES_128_GCM_SHA256", into cipher), 0 if plaintext (cipher
 * ""), or a negative errno. cipher may be NULL.
 */
NVMF_API int nvmf_ctrl_get_tls(struct nvmf_ctrl *c, char *cipher, size_t len);

/* ---- Namespaces ----------------------------------------------------------- */

struct nvmf_ns_info {
	uint32_t nsid;
	uint64_t nsze;		/* size in logical blocks */
	uint64_t ncap;		/* capacity in logical blocks */
	uint32_t lba_size;	/* bytes per logical block */
	uint64_t size;		/* nsze * lba_size bytes */
	bool     write_zeroes;	/* ONCS bit 3 */
	bool     deallocate;	/* ONCS bit 2, Dataset Management */
	bool     dealloc_zeroes;	/* DLFEAT: deallocated blocks read as zeroes */
	bool     write_zeroes_deac;	/* DLFEAT bit 3: Write Zeroes may deallocate */
	bool     vwc;		/* volatile write cache: flush matters */
	bool     read_only;	/* NSATTR write protected */
	bool     supported;	/* the host can serve it; else see reason */
	char     reason[96];	/* why unsupported, "" otherwise */
	uint8_t  nguid[16];
	uint8_t  eui64[8];
};

/*
 * Snapshot of the active namespaces (sorted by NSID, unsupported ones
 * included with supported == false). *list is malloc()ed: release it with
 * nvmf_free(). Returns the number of entries or a negative errno.
 */
NVMF_API int nvmf_get_namespaces(struct nvmf_ctrl *c, struct nvmf_ns_info **list);
/* One namespace by NSID: 0, or -ENOENT if not active. */
NVMF_API int nvmf_get_ns_info(struct nvmf_ctrl *c, uint32_t nsid, struct nvmf_ns_info *info);
/* Rescan the namespaces now (also done on namespace attribute notices). */
NVMF_API int nvmf_rescan(struct nvmf_ctrl *c);

/* free() for memory the library returned. */
NVMF_API void nvmf_free(void *p);

/* ---- Events --------------------------------------------------------------- */

enum nvmf_event_type {
	NVMF_EVENT_NS_CHANGED = 1,	/* namespace attribute notice handled, list rescanned */
	NVMF_EVENT_AEN        = 2,	/* another asynchronous event (dw0 has it) */
	/* The controller left LIVE (see OUTAGES): once per outage, with the
	 * first failure's reason. Commands are held (or fail, with
	 * ctrl_loss_tmo 0). */
	NVMF_EVENT_CONN_LOST  = 3,
	/* Like CONN_LOST, when the controller itself reported the failure:
	 * CSTS.CFS, or Keep Alive completed with an error status. */
	NVMF_EVENT_FATAL      = 4,
	/* Since 0.2. An attempt starts: attempt of max_attempts (0 = no
	 * limit); error and msg say why the previous attempt failed, or why
	 * the connection was lost before the first. */
	NVMF_EVENT_RECONNECTING = 5,
	/* LIVE again after attempt attempts; held I/O is being resubmitted. */
	NVMF_EVENT_RECONNECTED  = 6,
	/* DEAD: error and msg say why it was given up; held I/O failed. */
	NVMF_EVENT_GAVE_UP      = 7,
};

/* Only the library creates events (members may be added at the end). */
struct nvmf_event {
	enum nvmf_event_type type;
	uint32_t        aen_dw0;	/* AER completion DW0 (NS_CHANGED, AEN) */
	uint32_t        nr_nsids;	/* NS_CHANGED: NSIDs changed (0 = unknown/all) */
	const uint32_t *nsids;		/* valid during the callback only */
	int             error;		/* CONN_LOST, FATAL, RECONNECTING, GAVE_UP, and
					 * NS_CHANGED whose rescan failed: negative errno */
	/* What happened ("queue 1: controller closed the connection (2
	 * commands outstanding)"), valid during the callback only; "" when
	 * there is nothing to say. Never NULL. */
	const char     *msg;
	unsigned        attempt;	/* RECONNECTING, RECONNECTED, GAVE_UP */
	unsigned        max_attempts;	/* 0 = no limit */
};

/* ---- Asynchronous commands ------------------------------------------------- */

struct nvmf_completion {
	int      result;	/* 0, or negative errno (-EIO: see status) */
	uint16_t status;	/* NVMe status field as above; 0 on success */
	uint32_t dw0;		/* CQE DW0, command specific */
	uint32_t dw1;		/* CQE DW1 */
};

/*
 * Called once per command, on the I/O thread (or the caller's loop). cookie
 * is the value the submitting call returned. The callback may submit new
 * asynchronous commands.
 */
typedef void (*nvmf_completion_cb)(void *user, uint64_t cookie,
				   const struct nvmf_completion *cpl);
/*
 * What went wrong with a failed command, as nvmf_get_error() says it for
 * the synchronous calls: "Read failed: LBA Out of Range (SCT 0h SC 80h,
 * DNR)", "Write failed: queue 2: controller closed the connection (3
 * commands outstanding)", "Flush canceled: the controller is disconnecting".
 * cpl must be the pointer the completion callback received, and the text is
 * valid until that callback returns (copy it to keep it). "" for a command
 * that succeeded and for any other pointer, a copy of *cpl included. Never
 * NULL.
 */
NVMF_API const char *nvmf_completion_errmsg(const struct nvmf_completion *cpl);
/* Called exactly once per submission attempt that was given this struct,
 * after the completion callback, or without it if the submission failed. */
typedef void (*nvmf_free_cb)(void *user);

struct nvmf_callback {
	nvmf_completion_cb cb;	/* may be NULL */
	void              *user;
	nvmf_free_cb       free;	/* may be NULL */
};

/* Flags of I/O commands. */
#define NVMF_IO_FUA      0x1u	/* force unit access (read, write, write zeroes) */
#define NVMF_IO_DEAC     0x2u	/* write zeroes: may deallocate (DLFEAT bit 3) */

/* Data direction of a passthrough command. */
enum nvmf_dir {
	NVMF_DIR_NONE = 0,
	NVMF_DIR_TO_CTRL = 1,	/* host to controller (write) */
	NVMF_DIR_FROM_CTRL = 2,	/* controller to host (read) */
};

/*
 * The aio calls return a cookie (> 0) or a negative errno; on a negative
 * return the completion callback is not called (the free hook is). Buffers
 * must stay valid until the completion. Block counts are 1-based here.
 */
NVMF_API int64_t nvmf_aio_read(struct nvmf_ctrl *c, uint32_t nsid, void *buf, uint64_t slba,
			       uint32_t nlb, unsigned flags, struct nvmf_callback cb);
NVMF_API int64_t nvmf_aio_write(struct nvmf_ctrl *c, uint32_t nsid, const void *buf,
				uint64_t slba, uint32_t nlb, unsigned flags,
				struct nvmf_callback cb);
NVMF_API int64_t nvmf_aio_flush(struct nvmf_ctrl *c, uint32_t nsid, struct nvmf_callback cb);
NVMF_API int64_t nvmf_aio_write_zeroes(struct nvmf_ctrl *c, uint32_t nsid, uint64_t slba,
				       uint32_t nlb, unsigned flags, struct nvmf_callback cb);
/* Dataset Management with the Deallocate attribute, one range. */
NVMF_API int64_t nvmf_aio_deallocate(struct nvmf_ctrl *c, uint32_t nsid, uint64_t slba,
				     uint32_t nlb, struct nvmf_callback cb);

/*
 * Raw 64-byte submission queue entries. The library sets CID and the data
 * pointer (SGL); everything else is sent as given (little-endian). dir and
 * len must be what the opcode transfers (NVMe Base 2.0, the opcode's data
 * transfer bits): a controller that moves no data for it (SPDK's target
 * decides from the opcode) but reports success leaves a
 * NVMF_DIR_FROM_CTRL buffer unfilled, and the library, which accepts a
 * successful read only with every byte of it, then fails the queue. A len
 * above the controller's transfer limit (MDTS, nvmf_ctrl_info.max_xfer)
 * is refused with -EINVAL, as Linux refuses such a passthrough.
 */
NVMF_API int64_t nvmf_aio_admin_passthru(struct nvmf_ctrl *c, const void *sqe64, void *buf,
					 uint32_t len, enum nvmf_dir dir,
					 struct nvmf_callback cb);
NVMF_API int64_t nvmf_aio_io_passthru(struct nvmf_ctrl *c, const void *sqe64, void *buf,
				      uint32_t len, enum nvmf_dir dir, struct nvmf_callback cb);

/* Identify (CNS, CNTID, CSI in cdw10/cdw11), 4096 bytes into buf. */
NVMF_API int64_t nvmf_aio_identify(struct nvmf_ctrl *c, uint8_t cns, uint32_t nsid,
				   uint16_t cntid, uint8_t csi, void *buf,
				   struct nvmf_callback cb);
/* Get Log Page: lid, lsp, rae (retain asynchronous event), byte offset
 * (multiple of 4), len (multiple of 4). One command: a len above the
 * controller's transfer limit (MDTS) is refused with -EINVAL; the
 * synchronous nvmf_get_log_page() reads such a page in several. */
NVMF_API int64_t nvmf_aio_get_log_page(struct nvmf_ctrl *c, uint8_t lid, uint32_t nsid,
				       uint8_t lsp, bool rae, uint64_t offset, void *buf,
				       uint32_t len, struct nvmf_callback cb);
/* Get/Set Features; the feature's result is the completion's dw0. */
NVMF_API int64_t nvmf_aio_get_features(struct nvmf_ctrl *c, uint8_t fid, uint32_t nsid,
				       uint8_t sel, uint32_t cdw11, void *buf, uint32_t len,
				       struct nvmf_callback cb);
NVMF_API int64_t nvmf_aio_set_features(struct nvmf_ctrl *c, uint8_t fid, uint32_t nsid,
				       bool save, uint32_t cdw11, uint32_t cdw12,
				       const void *buf, uint32_t len, struct nvmf_callback cb);

/* Commands submitted and not yet completed (any thread; approximate). */
NVMF_API unsigned nvmf_aio_in_flight(struct nvmf_ctrl *c);

/* ---- Watching a descriptor (since 0.6) -------------------------------------- */
/*
 * An application that takes its work from a descriptor (a FUSE device, a
 * socket, a pipe) can have the controller's thread watch it: cb(user, fd)
 * runs on the controller's I/O thread (or the caller's loop) whenever fd is
 * readable, and the commands it submits leave with that loop turn's others,
 * without the hand-over to another thread and its wake-up that a submission
 * from the application's own thread costs. cb runs as a completion callback
 * does (THREADING): it must not block and may submit asynchronous commands.
 * It is called again while fd stays readable (level-triggered): it may read
 * a bounded batch and leave the rest for the next call. A descriptor at
 * end of file or hung up stays readable, so cb keeps being called until it
 * is unwatched. If polling fd fails (an error condition on it), cb is
 * called once more and fd is then no longer polled, though still watched
 * until nvmf_unwatch_fd(): the application's read tells it what happened.
 *
 * nvmf_watch_fd() makes fd non-blocking; -EEXIST if fd is watched already,
 * or is in use by another handle of the same loop (another controller's
 * watch on a shared pool thread or caller's loop, a connection's socket,
 * the application's own handle on its loop): libuv allows one per
 * descriptor. -EPERM for a regular file or a directory (always readable:
 * there is nothing to wait for), -EBADF for one that is not open, -ESHUTDOWN once
 * nvmf_disconnect() has started.
 * nvmf_unwatch_fd() stops watching fd (-ENOENT if it is not watched): when
 * it returns, cb is not running on another thread and will not be called
 * again, and the application may close fd. Both may be called from any
 * thread (on a controller with the caller's loop, only from the thread
 * running it, as every call) and from the callbacks run by the
 * controller's own thread (cb itself too), where they take effect at
 * once; from a callback on another I/O thread they fail with -EDEADLK, as
 * synchronous calls do.
 * nvmf_disconnect() stops every watch when it closes the queues; the
 * library never closes fd.
 */
typedef void (*nvmf_fd_cb)(void *user, int fd);
NVMF_API int nvmf_watch_fd(struct nvmf_ctrl *c, int fd, nvmf_fd_cb cb, void *user);
NVMF_API int nvmf_unwatch_fd(struct nvmf_ctrl *c, int fd);

/* ---- Synchronous commands -------------------------------------------------- */
/* Same semantics; return 0 or a negative errno. cpl (may be NULL) receives
 * the completion of the passthrough calls and the features calls. */

NVMF_API int nvmf_read(struct nvmf_ctrl *c, uint32_t nsid, void *buf, uint64_t slba,
		       uint32_t nlb, unsigned flags);
NVMF_API int nvmf_write(struct nvmf_ctrl *c, uint32_t nsid, const void *buf, uint64_t slba,
			uint32_t nlb, unsigned flags);
NVMF_API int nvmf_flush(struct nvmf_ctrl *c, uint32_t nsid);
NVMF_API int nvmf_write_zeroes(struct nvmf_ctrl *c, uint32_t nsid, uint64_t slba,
			       uint32_t nlb, unsigned flags);
NVMF_API int nvmf_deallocate(struct nvmf_ctrl *c, uint32_t nsid, uint64_t slba, uint32_t nlb);
NVMF_API int nvmf_admin_passthru(struct nvmf_ctrl *c, const void *sqe64, void *buf,
				 uint32_t len, enum nvmf_dir dir, struct nvmf_completion *cpl);
NVMF_API int nvmf_io_passthru(struct nvmf_ctrl *c, const void *sqe64, void *buf, uint32_t len,
			      enum nvmf_dir dir, struct nvmf_completion *cpl);
NVMF_API int nvmf_identify(struct nvmf_ctrl *c, uint8_t cns, uint32_t nsid, uint16_t cntid,
			   uint8_t csi, void *buf4096);
/* Get Log Page of any length: above the transfer limit (MDTS) the page is
 * read in MDTS-sized pieces at increasing offsets, every piece but the last
 * with RAE set, as libnvme does; the first piece that fails ends it. */
NVMF_API int nvmf_get_log_page(struct nvmf_ctrl *c, uint8_t lid, uint32_t nsid, uint8_t lsp,
			       bool rae, uint64_t offset, void *buf, uint32_t len);
/* SMART / Health Information (02h, 512 bytes) and Error Information (01h,
 * 64 bytes per entry) log pages, controller-wide. */
NVMF_API int nvmf_get_smart_log(struct nvmf_ctrl *c, void *buf512);
NVMF_API int nvmf_get_error_log(struct nvmf_ctrl *c, void *buf, uint32_t nr_entries);
NVMF_API int nvmf_get_features(struct nvmf_ctrl *c, uint8_t fid, uint32_t nsid, uint8_t sel,
			       uint32_t cdw11, void *buf, uint32_t len, uint32_t *result);
NVMF_API int nvmf_set_features(struct nvmf_ctrl *c, uint8_t fid, uint32_t nsid, bool save,
			       uint32_t cdw11, uint32_t cdw12, const void *buf, uint32_t len,
			       uint32_t *result);

/* ---- Discovery ------------------------------------------------------------- */

/* One discovery log entry (NVMe Base 2.0, Figure 294), strings trimmed. */
struct nvmf_disc_rec {
	uint8_t  trtype;	/* 3 = TCP, 1 = RDMA, 2 = FC, 254 = loop */
	uint8_t  adrfam;	/* 1 = IPv4, 2 = IPv6, 3 = IB, 4 = FC */
	uint8_t  subtype;	/* 1 = referral, 2 = NVM subsystem, 3 = current discovery */
	uint8_t  treq;
	uint16_t portid;
	uint16_t cntlid;
	uint16_t asqsz;
	uint16_t eflags;
	char     trsvcid[NVMF_TRSVCID_BUFSZ];
	char     subnqn[NVMF_NQN_BUFSZ];
	char     traddr[NVMF_TRADDR_BUFSZ];
	uint8_t  tsas[256];
};

/*
 * The whole log: nr_entries records at entries. Returned as one malloc()ed
 * block (the records follow the header), released with one nvmf_free();
 * entries points into that block, so a copy of the struct is only valid
 * while the original is.
 */
struct nvmf_disc_list {
	uint64_t genctr;
	uint64_t numrec;
	uint16_t recfmt;
	uint32_t nr_entries;
	struct nvmf_disc_rec *entries;	/* nr_entries records; NULL if none */
};

/*
 * Fetch the whole discovery log from a connected discovery controller:
 * header first, then the entries in pages of at most the transfer limit,
 * then the header again; repeated while GENCTR changed (bounded). *log is
 * malloc()ed, release it with nvmf_free(). (Not nvmf_get_discovery_log:
 * libnvme exports a function of that name.)
 */
NVMF_API int nvmf_discovery_log_get(struct nvmf_ctrl *c, struct nvmf_disc_list **log);
/* Connect to o's discovery controller (subnqn "" = well known; another NQN
 * is taken as a unique discovery NQN, as if o->discovery were set), fetch
 * the log, disconnect. */
NVMF_API int nvmf_discover(const struct nvmf_opts *o, struct nvmf_disc_list **log);
/*
 * The log page as received, for a list nvmf_discover() or
 * nvmf_discovery_log_get() returned: the header of 1024 bytes and
 * nr_entries records of 1024, unparsed (padding, reserved bytes and all),
 * *len bytes, kept in the list's block after the records. A copy of the
 * struct (valid while the original is) finds them when it has records
 * (from entries); a list of no records (entries NULL) must be given as
 * the pointer the library returned. Valid until the list is released.
 * NULL for NULL.
 */
NVMF_API const void *nvmf_disc_list_raw(const struct nvmf_disc_list *log, size_t *len);
/* "tcp", "ipv4", "nvme subsystem"...: names of the coded fields of a
 * record, never NULL ("unknown"). The nvmf_disc_ prefix keeps them apart
 * from libnvme's nvmf_trtype_str() and friends. */
NVMF_API const char *nvmf_disc_trtype_str(uint8_t trtype);
NVMF_API const char *nvmf_disc_adrfam_str(uint8_t adrfam);
NVMF_API const char *nvmf_disc_subtype_str(uint8_t subtype);

#ifdef __cplusplus
}
#endif

#endif /* NVMF_NVMF_H */
