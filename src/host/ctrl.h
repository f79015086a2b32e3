/*
 * The controller object of the host layer (struct nvmf_ctrl) and its
 * submission machinery. Internal to src/host/.
 *
 * Threading model: every queue pair, timer and callback of a controller
 * lives on one libuv loop, either the caller's or that of a libnvmf I/O
 * thread (iopool.c: a thread of the process-wide pool, shared with other
 * controllers, or one private to the controller). Other threads reach the
 * loop through the I/O thread's lock-free MPSC stack of requests (host_req)
 * and one uv_async_t that is signalled only when the stack goes from empty
 * to non-empty, so a burst of submissions costs one wake-up. Synchronous
 * operations are "calls": a function run on the loop thread that finishes
 * asynchronously while the caller waits on a semaphore (I/O thread) or
 * runs the caller's loop (loop mode).
 *
 * The controller outlives its queue pairs: a queue pair that fails is
 * closed and the controller leaves LIVE (state.c, OUTAGES in nvmf.h); the
 * bring-up sequence (bringup.c) then makes new ones while the I/O that was
 * in flight waits on the held list (outage.c) to be resubmitted.
 *
 * Files: iopool.c (the I/O threads), loop.c (inbox, calls), dispatch.c (requests),
 * outage.c (requests while not LIVE: the held list), queues.c
 * (queue pair slots), bringup.c (the connect sequence), bringup_connect.c
 * (its Fabrics Connect of each queue), state.c (the state
 * machine), connect.c (nvmf_connect/nvmf_disconnect), ns.c (namespaces),
 * aer.c (asynchronous events), keepalive.c, cmds.c (the command API),
 * reqpool.c (the pool the requests come from: no allocation per command),
 * watch.c (application descriptors read on the loop: nvmf_watch_fd()).
 */
#ifndef NVMF_HOST_CTRL_H
#define NVMF_HOST_CTRL_H

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "host/host.h"
#include "transport/xport.h"

/* Room for a message naming a 255-character host name and the reason (the
 * thread's error buffer of error.c is as large). */
#define HOST_MSG_MAX 512

struct host_call;
struct host_watch;
typedef void (*host_call_fn)(struct host_call *call);

/* A synchronous operation executed on the loop thread. */
struct host_call {
	struct nvmf_ctrl *c;
	host_call_fn fn;
	void     *arg;
	int       result;
	uint16_t  status;		/* NVMe status of a failed command */
	struct nvmf_completion cpl;
	char      msg[HOST_MSG_MAX];	/* error message when result < 0 */
	uv_sem_t  sem;			/* own-thread mode */
	atomic_bool done;
	bool      started;		/* fn was called */
};

enum host_req_kind {
	HOST_REQ_CMD = 0,		/* an NVMe command */
	HOST_REQ_CALL = 1,		/* run call->fn on the loop */
};

struct host_req {
	/* reqpool.c's own: kept when the rest is zeroed and poisoned. */
	_Atomic uint32_t pool_next;	/* free list link (index + 1; 0 ends it) */
	uint32_t  pool_idx;		/* index + 1 in the pool; 0: from calloc */
	struct host_req *next;		/* MPSC stack / wait list link (first after the pool's) */
	enum host_req_kind kind;
	struct nvmf_ctrl *c;
	struct host_call *call;		/* HOST_REQ_CALL */
	bool      admin;		/* admin queue, else an I/O queue */
	bool      internal;		/* host's own (AER, Keep Alive): not counted in flight */
	bool      urgent;		/* Keep Alive: the admin entry kept free, ahead of held ones */
	struct host_queue *q;		/* this queue only (Fabrics Connect), or NULL */
	/* The command as xp_submit() takes it, built here once: its SQE (wire
	 * order), buffer, length, direction and timeout (0 for AER); cb and
	 * arg are set at dispatch. The transport copies it into its own
	 * request (which gets the CID and SGL), so this one stays as built
	 * for a replay. */
	struct xp_cmd xc;
	uint64_t  cookie;
	struct nvmf_callback cb;
	const char *what;		/* command name for messages */
	uint64_t  held_deadline;	/* held (waitq): loop time it fails at; 0 = none */
	bool      replayable;		/* read, write, flush, write zeroes, deallocate */
	bool      connect;		/* Fabrics Connect: goes to a queue not yet ready */
	bool      dispatched;		/* reached a queue pair at least once */
	uint8_t   replays;		/* times resubmitted after an outage */
	uint8_t   retries;		/* times resubmitted for a status without DNR */
	uint64_t  retry_at;		/* on the retry list: loop time it goes again */
	uint64_t  nsgen;		/* I/O: the table its namespace was checked in (gen) */
	uint8_t   inline_data[16];	/* small payloads (a DSM range) */
};

/* reqpool.c: the controller's free list of requests (the comment there says
 * which threads touch it and why it needs no lock). */
#define HOST_REQ_CHUNK  32u
#define HOST_REQ_CHUNKS 64u
struct host_req_pool {
	_Atomic uint64_t head;		/* generation << 32 | index + 1 of the top; 0: empty */
	atomic_uint nr_chunks;		/* chunks claimed */
	atomic_uint made;		/* requests in the chunks */
	atomic_uint outside;		/* live requests from calloc (past the bound) */
	_Atomic(struct host_req *) chunk[HOST_REQ_CHUNKS];
};

/* One queue pair slot. */
struct host_queue {
	struct nvmf_ctrl *c;
	struct xp_qpair  *qp;		/* NULL once closed */
	uint16_t qid;
	uint16_t qsize;
	bool     ready;			/* transport up and Fabrics Connect done */
	bool     failed;
	bool     closing;
	/* The transport connect under way: told its outcome once. */
	void   (*connect_cb)(struct host_queue *q, int r, const char *msg);
	void    *connect_arg;
	char     errmsg[HOST_MSG_MAX];
};

struct host_scan;
struct host_bringup;

struct host_ns_table {
	struct host_ns_table *retired_next;
	uint64_t gen;			/* 1, 2, ... in publication order */
	int n;
	uint8_t (*uuid)[16];		/* n UUIDs (NIDT 03h), zero if none */
	struct nvmf_ns_info ns[];	/* ascending NSID */
};
/* The namespace's entry in the current table, or NULL. Off the loop thread
 * only between host_ns_enter() and host_ns_exit(), and the entry must not
 * be used after the exit (ns.c: a replaced table is then freed). */
const struct nvmf_ns_info *host_ns_lookup(struct nvmf_ctrl *c, uint32_t nsid);

/*
 * A libnvmf I/O thread (iopool.c): a libuv loop, the MPSC inbox of requests
 * for the controllers placed on it, and that inbox's one wake-up.
 */
struct host_loop {
	uv_loop_t  loop;
	uv_async_t wake;
	_Atomic(struct host_req *) inbox;	/* MPSC stack */
	/* Polling mode (opts.poll_us): poll_us is the largest of the members'
	 * (0: none polls; written under the pool's lock, read by the thread);
	 * polling is set while the thread turns its loop without sleeping, so
	 * a push needs no wake-up; poll_work counts the application's work it
	 * did (completions of its commands, inbox drains holding its requests
	 * or calls, descriptor callbacks; not the library's internal commands:
	 * loop thread only). */
	atomic_int  poll_us;
	atomic_bool polling;
	uint64_t   poll_work;
	atomic_bool quit;		/* last member gone: close the wake-up */
	uv_thread_t thread;
	uv_thread_t tid;
	int        slot;		/* index in the pool; -1: a private thread */
	int        members;		/* controllers placed here (pool lock) */
	struct nvmf_ctrl *first;	/* their list, through hl_next (pool lock) */
};

struct nvmf_ctrl {
	struct nvmf_opts opts;
	uv_loop_t *loop;
	struct host_loop *hl;		/* the I/O thread; NULL with a caller's loop */
	struct nvmf_ctrl *hl_next;	/* hl's members (pool lock) */
	bool       own_thread;		/* hl != NULL */
	uv_thread_t loop_tid;		/* thread running the loop */
	/* Handles of the controller being closed (loop.c): the controller is
	 * freed only after the last one's close callback, on a shared loop
	 * that goes on running. */
	int        closing;
	struct host_call *stop_call;
	struct host_req_pool reqpool;	/* reqpool.c */
	/* A request of its own for host_call when the pool has none to give
	 * (out of memory): so the calls that take a controller down, which
	 * nothing may skip, never fail for want of one. One at a time. */
	struct host_req call_req;
	atomic_bool call_req_busy;
	uv_timer_t close_timer;		/* close_all_fn's wait for the queue pairs,
					 * and before it the drain's (connect.c) */
	uint64_t   drain_until;		/* loop time the drain gives up at */

	struct host_queue admin;
	struct host_queue *io;
	int        nr_io;
	int        open_qpairs;		/* qpairs not yet on_closed */
	unsigned   rr;			/* I/O queue rotor */
	/* Held for lack of a free queue entry, per class [0] admin, [1] I/O:
	 * a Keep Alive must never wait behind I/O. */
	struct host_req *waitq[2], **waitq_tail[2];
	/* Bounds the wait of held commands: a controller whose SQHD stops
	 * advancing would otherwise hold them, and all behind them, forever. */
	uv_timer_t held_timer;
	bool       held_init;
	uint64_t   held_due;		/* when held_timer fires; 0 = not armed */
	/* I/O to resubmit after a status without DNR (dispatch.c), in the
	 * order it failed; held_timer runs them when their delay is over. */
	struct host_req *retryq, **retryq_tail;
	uint16_t   crdt[3];		/* Identify CRDT1-3, 100 ms units */
	bool       acre;		/* Host Behavior Support ACRE set: CRD means CRDTn */

	/* Rewritten by every bring-up (a reconnect too) under st_mu: other
	 * threads read it under st_mu, or read max_xfer below. */
	struct nvmf_ctrl_info info;
	char       tls_cipher[48];	/* admin queue's TLS suite, "" = plaintext (st_mu) */
	uint64_t   cap;
	uint32_t   vs;
	uint32_t   oaes;
	uint32_t   ctratt;
	uint32_t   rtd3e;
	uint8_t    mdts;
	uint32_t   icd_max;		/* I/O queue in-capsule data limit */
	uint32_t   kato_ms;
	atomic_uint max_xfer;		/* info.max_xfer, for submitters on any thread */

	/*
	 * Namespace table, read without locks by submitters on any thread,
	 * each inside host_ns_enter()/host_ns_exit() (ns_readers counts
	 * them): a rescan publishes a new table and retires the old one,
	 * freed as soon as no reader is inside (ns.c). Readers never wait.
	 */
	_Atomic(struct host_ns_table *) nstab;
	atomic_uint ns_readers;
	uint64_t   ns_gen;		/* the last table's gen (loop thread) */
	struct host_ns_table *retired;

	uv_timer_t ka_timer;
	bool       ka_init;
	bool       ka_outstanding;
	bool       csts_outstanding;	/* keepalive.c's CSTS.CFS check */
	bool       ka_timed_out;	/* Keep Alive expired: names the admin queue's loss */
	atomic_uint_fast64_t last_completion_ms;
	uint64_t   ka_last_ms;

	bool       aer_enabled;
	bool       aer_outstanding;
	/* Namespace notices being handled (aer.c), on the I/O thread only:
	 * at most HOST_AEN_MAX at once, their rescans one at a time in
	 * arrival order; a notice beyond that is taken up when one ends. */
	unsigned   aen_busy;
	bool       aen_scanning;
	bool       aen_missed;
	uint32_t   aen_missed_dw0;
	struct aen_ctx *aen_head, *aen_tail;	/* log read, waiting to rescan */

	atomic_uint_fast64_t next_cookie;
	atomic_uint in_flight;
	atomic_bool failed;		/* not LIVE: read by submitters */
	atomic_bool draining;		/* nvmf_disconnect() started: no new commands */
	atomic_bool stopping;		/* its drain is over: shutting down */

	/* ---- state.c: the lifecycle (loop thread; st_mu for readers) ---- */
	enum nvmf_ctrl_state state;
	pthread_mutex_t st_mu;		/* the fields below, for nvmf_ctrl_get_state() */
	unsigned   attempt, max_attempts;
	int        last_err;
	char       last_msg[HOST_MSG_MAX];
	uint64_t   outages, reconnects;
	uint64_t   state_since;		/* loop time the state was entered */
	bool       reconnecting;	/* this outage is ridden out (held I/O replayed) */
	bool       forced;		/* nvmf_reconnect(): attempts even with ctrl_loss_tmo 0 */
	bool       permanent;		/* the last attempt failed for good */
	bool       fast_failed;		/* fast_io_fail_tmo expired: I/O fails */
	uint64_t   loss_at;		/* loop time of the loss */
	int        after_close;		/* what to do once every queue pair closed */
	uint64_t   rc_delay_ms;		/* then wait this long before the attempt */
	uv_timer_t rc_timer;		/* next attempt; fast_io_fail_tmo */
	bool       rc_init;
	uv_timer_t fio_timer;
	bool       fio_init;
	struct host_bringup *bu;	/* the bring-up under way */
	uint16_t   last_status;		/* NVMe status of the bring-up's failed command */
	char       scan_msg[HOST_MSG_MAX];	/* why the last scan failed */
	uint32_t   changed[64];		/* NSIDs the last checking scan found changed */
	uint32_t   nr_changed;		/* > 64: more, the list says nothing */
	struct host_call *connect_call;	/* nvmf_connect() waiting for the first one */
	uv_timer_t bu_timer;		/* bring-up's CSTS polls */
	bool       bu_timer_init;
	/* I/O held through an outage, in submission (cookie) order. */
	struct host_req *held, *held_last;
	atomic_uint nr_held;		/* read by nvmf_ctrl_get_state() */

	struct host_watch *watches;	/* watch.c (loop thread) */
};

/* ---- iopool.c --------------------------------------------------------------- */
/* Place c on an I/O thread (the pool's, or a private one), or on the
 * caller's loop: sets c->loop, c->hl, c->loop_tid. */
int  host_loop_start(struct nvmf_ctrl *c);
/* Close c's timers and take it off its I/O thread (the last member of a
 * thread stops it). Every queue pair must be closed already. */
void host_loop_stop(struct nvmf_ctrl *c);
/* True on a libnvmf I/O thread (any controller's, pool or private). */
bool host_on_io_thread(void);
/* For the tests: pool threads running now (private ones not counted). */
int  host_pool_threads(void);

/* ---- loop.c ----------------------------------------------------------------- */
bool host_on_loop_thread(struct nvmf_ctrl *c);
/* Around every call of application code (completion, free hook, event,
 * watch): marks this thread as inside a callback of c's loop. */
void host_cb_enter(struct nvmf_ctrl *c);
/* True inside a libnvmf callback of loop, on this thread: a synchronous
 * call that runs loop would nest uv_run() (-EDEADLK). */
bool host_in_cb_of(const uv_loop_t *loop);
/* Run every request of hl's inbox (on hl's thread). */
void host_loop_drain(struct host_loop *hl);
/* Close a handle of c's (loop thread); host_loop_stop waits for it. */
void host_close_handle(struct nvmf_ctrl *c, uv_handle_t *h);
/* The close callback's part for a handle closed with another callback:
 * counted in c->closing before uv_close(). */
void host_handle_closed(struct nvmf_ctrl *c);
/* Close c's timers: counted in c->closing. */
void host_close_timers(struct nvmf_ctrl *c);
/* Run fn on the loop thread and wait for host_call_done(). */
int  host_call(struct nvmf_ctrl *c, host_call_fn fn, void *arg, struct host_call *call);
void host_call_done(struct host_call *call, int result);
/* Record an error message in a call (printf style) and finish it. */
void host_call_fail(struct host_call *call, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void host_inbox_push(struct nvmf_ctrl *c, struct host_req *req);

/* ---- watch.c ---------------------------------------------------------------- */
/* Stop watching every descriptor (loop thread; at disconnect). */
void host_watch_close_all(struct nvmf_ctrl *c);

/* ---- reqpool.c ------------------------------------------------------------- */
/* A zeroed request from c's pool (any thread), or NULL (out of memory). */
struct host_req *host_req_alloc(struct nvmf_ctrl *c);
/* Give req back to c's pool (any thread); nothing of it may be used after. */
void host_req_free(struct nvmf_ctrl *c, struct host_req *req);
/* Free the pool's memory: the controller is being freed, no request is live. */
void host_req_pool_fini(struct nvmf_ctrl *c);
/* For the tests: requests the pool made, and live ones from calloc. */
void host_req_pool_stats(struct nvmf_ctrl *c, unsigned *made, unsigned *outside);

/* ---- dispatch.c ------------------------------------------------------------- */
struct host_req *host_req_new(struct nvmf_ctrl *c, bool admin, const char *what);

/*
 * auth.c: DH-HMAC-CHAP on queue q, just connected with AUTHREQ.ATR, each
 * command bounded by timeout_ms; done(arg, r, msg) once, from the loop
 * (r 0, or a negative errno; -EACCES marks the controller permanent).
 * Returns 0, or a negative errno (nvmf_get_error()) when it cannot start:
 * done is then not called.
 */
int host_auth_start(struct nvmf_ctrl *c, struct host_queue *q, uint32_t timeout_ms,
		    void (*done)(void *arg, int r, const char *msg), void *arg);
/* Submit req from any thread: returns the cookie or a negative errno (then
 * the free hook has run and req is freed). */
int64_t host_submit(struct host_req *req);
/* On the loop thread: hand to a queue pair, or hold. 0 or negative errno. */
int  host_dispatch(struct host_req *req);
/* Complete req with err (its callbacks run now); msg is the completion's
 * text (nvmf_completion_errmsg). On the loop thread. */
void host_req_fail(struct host_req *req, int err, const char *msg);
/* Fail req with err and the thread's error message (what try_dispatch said). */
void host_req_refuse(struct host_req *req, int err);
/* Submit a command synchronously; fills call->cpl/msg. */
int  host_sync_cmd(struct nvmf_ctrl *c, struct host_req *req, struct nvmf_completion *cpl);
/* Dispatch what waits for a free queue entry. */
void host_drain_waitq(struct nvmf_ctrl *c);

/* ---- outage.c --------------------------------------------------------------- */
/* Outage: put req on the held list (cookie order); false if it may not be
 * (not replayable, replayed too often, not reconnecting): then the caller
 * fails it. failing: its queue pair is failing, the controller not yet. */
bool host_hold(struct host_req *req, bool failing);
/* Move what waits for a queue entry to the held list, failing what may not
 * be held with err/why. */
void host_hold_waiting(struct nvmf_ctrl *c, int err, const char *why);
/* Fail every held command with err; msg names why. */
void host_held_fail(struct nvmf_ctrl *c, int err, const char *msg);
/* LIVE again: resubmit the held commands in order. */
void host_held_replay(struct nvmf_ctrl *c);
/* A command not aimed at one queue while the controller is not LIVE: 1 if
 * held for the reconnect, else a negative errno with the thread's error
 * saying why it fails. */
int  host_outage_dispatch(struct host_req *req);
/* Append to msg (len bytes) that req, failed with its connection, was not
 * held because it was resubmitted after outages as often as allowed. */
void host_replay_limit_note(const struct host_req *req, char *msg, size_t len);

/* ---- queues.c --------------------------------------------------------------- */
/* Open q's queue pair; cb(q, r, msg) once the transport connect is done
 * (or failed: r < 0 with a message). 0, or negative errno (cb not called). */
int  host_queue_open(struct host_queue *q, void (*cb)(struct host_queue *, int, const char *),
		     void *arg);
void host_queue_close(struct host_queue *q, int err);
/* The queue is lost (err, msg): close it and tell the state machine. What
 * the transport's on_lost does, for the host's own findings too. */
void host_queue_lost(struct host_queue *q, int err, const char *msg);
/* Close every queue pair (marking them failed first). */
void host_queues_close_all(struct nvmf_ctrl *c, int err, const char *why);

/* Deliver an event to the user. */
void host_event(struct nvmf_ctrl *c, const struct nvmf_event *ev);

/* SQE building. */
void host_sqe_init(struct nvmf_sqe *sqe, uint8_t opc, uint32_t nsid);

/* ---- bringup.c -------------------------------------------------------------- */
/* Start the connect sequence on the loop; done(c, r, msg) at its end. With
 * reconnect, the subsystem and namespaces must match what was there. */
int  host_bringup_start(struct nvmf_ctrl *c, bool reconnect,
			void (*done)(struct nvmf_ctrl *c, int r, const char *msg));
/* Stop the bring-up under way (disconnecting): it ends with -ECANCELED. */
void host_bringup_abort(struct nvmf_ctrl *c);

/* The bring-up's steps and state, shared by bringup.c (the sequence) and
 * bringup_connect.c (each queue's Fabrics Connect). Loop thread only. */
enum bu_step {
	BU_ADMIN_OPEN, BU_ADMIN_CONNECT, BU_CAP, BU_VS, BU_CC, BU_CC_EN, BU_CSTS, BU_ID_CTRL,
	BU_ACRE, BU_NUM_QUEUES, BU_IO_OPEN, BU_IO_CONNECT, BU_SCAN, BU_AEC, BU_DONE,
};

struct host_bringup {
	struct nvmf_ctrl *c;
	enum bu_step step;
	bool     reconnect;
	bool     aborted;
	bool     waiting;		/* on the CSTS poll timer */
	int      qi;			/* I/O queue being connected */
	int      nq;			/* I/O queues granted */
	uint32_t cc;
	uint64_t deadline;		/* CSTS.RDY, loop time */
	unsigned to_ms, wait_ms;
	unsigned cap_to_ms;		/* what CAP.TO allows, when more than to_ms */
	void   (*done)(struct nvmf_ctrl *c, int r, const char *msg);
	char     what[48];
	struct nvmf_connect_payload data;
	uint16_t cntlid;		/* from the admin queue's Connect response */
	struct host_queue *auth_q;	/* authenticating (auth.c) */
	uint8_t  id[HOST_IDENTIFY_LEN];
};

/* bringup.c: end the bring-up with r (0 or a negative errno) and msg; b is
 * freed. */
void host_bu_finish(struct host_bringup *b, int r, const char *msg);
/* End it with r and a printf-style message. */
void host_bu_failf(struct host_bringup *b, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Go on to step next, or end the bring-up if it was aborted meanwhile. */
void host_bu_next(struct host_bringup *b, enum bu_step next);
/* A command of the sequence on queue q: its completion drives the steps. */
void host_bu_submit(struct host_bringup *b, struct host_queue *q, struct host_req *req);
/* A request for a command of the sequence, or NULL (the bring-up failed). */
struct host_req *host_bu_req(struct host_bringup *b, bool admin, const char *what);
/* bringup_connect.c: send queue q's Fabrics Connect; its completion comes
 * back to host_bu_connect_done(), or host_bu_connect_failed() (the
 * completion's text) when it failed. */
void host_bu_connect(struct host_bringup *b, struct host_queue *q);
void host_bu_connect_done(struct host_bringup *b, struct host_queue *q,
			  const struct nvmf_completion *cpl);
void host_bu_connect_failed(struct host_bringup *b, const struct nvmf_completion *cpl,
			    const char *text);

/* ---- state.c ---------------------------------------------------------------- */
void host_state_init(struct nvmf_ctrl *c);
void host_state_set(struct nvmf_ctrl *c, enum nvmf_ctrl_state s);
/* While not LIVE: the latest reason (a queue lost during a bring-up). */
void host_state_note(struct nvmf_ctrl *c, int err, const char *msg);
/* The controller failed (a queue lost, Keep Alive failed, a timeout):
 * leave LIVE. fatal: the controller said so itself (FATAL event). */
void host_ctrl_failed(struct nvmf_ctrl *c, int err, const char *msg, bool fatal);
/* Every queue pair has closed (queues.c). */
void host_state_queues_closed(struct nvmf_ctrl *c);
/* Whether a failed command may wait for the controller to come back. */
bool host_state_holds_io(struct nvmf_ctrl *c);
/* Close timers (loop stopping). */
void host_state_close(struct nvmf_ctrl *c);

/* ---- ns.c ------------------------------------------------------------------- */
/* Start an asynchronous namespace scan on the loop thread; done(c, r, arg)
 * is called when it finished (may be NULL). A namespace already known
 * under an NSID must keep its identifiers; with reconnect, also its size
 * and LBA format (ns.c). */
void host_rescan_start(struct nvmf_ctrl *c, bool reconnect,
		       void (*done)(struct nvmf_ctrl *, int, void *), void *arg);
/* The namespace's entry in the current table, or NULL; *gen (may be NULL)
 * receives that table's generation (0: no table yet). As host_ns_lookup(). */
const struct nvmf_ns_info *host_ns_lookup_gen(struct nvmf_ctrl *c, uint32_t nsid,
					      uint64_t *gen);
/* Around a lookup made off the loop thread, and every use of its entry. */
void host_ns_enter(struct nvmf_ctrl *c);
void host_ns_exit(struct nvmf_ctrl *c);
/* Free the replaced tables no reader may still be looking at (loop thread). */
void host_ns_reap(struct nvmf_ctrl *c);
/* Free the tables of c (disconnect: no reader is left). */
void host_ns_free_all(struct nvmf_ctrl *c);
/* For the tests: replaced tables not freed yet (from any thread but the loop's). */
int  host_ns_retired(struct nvmf_ctrl *c);

/* ---- aer.c, keepalive.c ----------------------------------------------------- */
void host_aer_start(struct nvmf_ctrl *c);
void host_ka_start(struct nvmf_ctrl *c);
void host_ka_stop(struct nvmf_ctrl *c);

#endif /* NVMF_HOST_CTRL_H */
