/*
 * The controller's lifecycle: every state and what moves it, in one place
 * (nvmf.h, OUTAGES, is the user's view of the same machine).
 *
 *   (nvmf_connect) CONNECTING --bring-up done--> LIVE
 *   LIVE --queue lost, TermReq, timeout, Keep Alive, CSTS.CFS,
 *          nvmf_reconnect()--> RESETTING            host_ctrl_failed()
 *   RESETTING --every queue pair closed--> CONNECTING (attempt 1 at once)
 *                                      or  DEAD (ctrl_loss_tmo 0)
 *   CONNECTING --bring-up done--> LIVE (held I/O replayed)
 *   CONNECTING --attempt failed--> CONNECTING (next after reconnect_delay)
 *                              or  DEAD (attempts used up, or refused for good)
 *   DEAD --nvmf_reconnect()--> CONNECTING
 *   any --nvmf_disconnect()--> DELETING (connect.c)
 *
 * Everything here runs on the loop thread; the fields that
 * nvmf_ctrl_get_state() reports from other threads change under st_mu.
 * Linux's host has the same shape (nvme_tcp_error_recovery_work,
 * nvme_tcp_reconnect_ctrl_work, max_reconnects = ctrl_loss_tmo /
 * reconnect_delay).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/ctrl.h"

enum after_close {
	AFTER_NONE = 0,
	AFTER_ATTEMPT,		/* then try (again) after c->rc_delay_ms */
	AFTER_DEAD,		/* then give up */
};

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

const char *nvmf_ctrl_state_str(enum nvmf_ctrl_state s)
{
	switch (s) {
	case NVMF_CTRL_LIVE:       return "live";
	case NVMF_CTRL_RESETTING:  return "resetting";
	case NVMF_CTRL_CONNECTING: return "connecting";
	case NVMF_CTRL_DELETING:   return "deleting";
	case NVMF_CTRL_DEAD:       return "dead";
	}
	return "unknown";
}

void host_state_init(struct nvmf_ctrl *c)
{
	pthread_mutex_init(&c->st_mu, NULL);
	c->state = NVMF_CTRL_CONNECTING;
	c->state_since = now_ms();
	atomic_init(&c->nr_held, 0);
}

/* Record why the controller is not LIVE (for the state and the events). */
static void set_reason(struct nvmf_ctrl *c, int err, const char *msg)
{
	pthread_mutex_lock(&c->st_mu);
	c->last_err = err;
	snprintf(c->last_msg, sizeof(c->last_msg), "%s", msg ? msg : "");
	pthread_mutex_unlock(&c->st_mu);
}

void host_state_note(struct nvmf_ctrl *c, int err, const char *msg)
{
	if (c->state != NVMF_CTRL_LIVE && !c->stopping)
		set_reason(c, err, msg);
}

void host_state_set(struct nvmf_ctrl *c, enum nvmf_ctrl_state s)
{
	if (c->state == s)
		return;
	host_log(NVMF_LOG_INFO, "controller %.255s port %s: %s -> %s", c->opts.traddr,
		 c->opts.trsvcid, nvmf_ctrl_state_str(c->state), nvmf_ctrl_state_str(s));
	pthread_mutex_lock(&c->st_mu);
	c->state = s;
	c->state_since = now_ms();
	pthread_mutex_unlock(&c->st_mu);
	/* Submitters on other threads read this one. */
	atomic_store(&c->failed, s != NVMF_CTRL_LIVE);
}

static void ev_send(struct nvmf_ctrl *c, enum nvmf_event_type type, int err, const char *msg)
{
	struct nvmf_event ev = {
		.type = type,
		.error = err,
		.msg = msg,
		.attempt = c->attempt,
		.max_attempts = c->max_attempts,
	};

	if (!c->stopping)
		host_event(c, &ev);
}

bool host_state_holds_io(struct nvmf_ctrl *c)
{
	return c->reconnecting && !c->fast_failed && !c->stopping &&
	       (c->state == NVMF_CTRL_RESETTING || c->state == NVMF_CTRL_CONNECTING);
}

/* Attempts allowed per outage: ctrl_loss_tmo / reconnect_delay rounded up
 * (Linux's max_reconnects); 0 = no limit. */
static unsigned attempts_allowed(const struct nvmf_ctrl *c)
{
	int tmo = c->opts.ctrl_loss_tmo, delay = c->opts.reconnect_delay;

	if (tmo < 0)
		return 0;
	if (tmo == 0)
		return 1;	/* only when forced by nvmf_reconnect() */
	return (unsigned)((tmo + delay - 1) / delay);
}

static void rc_timer_cb(uv_timer_t *t);

static void rc_arm(struct nvmf_ctrl *c, uint64_t delay_ms)
{
	if (!c->rc_init) {
		uv_timer_init(c->loop, &c->rc_timer);	/* cannot fail on a live loop */
		c->rc_timer.data = c;
		c->rc_init = true;
	}
	uv_timer_start(&c->rc_timer, rc_timer_cb, delay_ms, 0);
}

/* ---- DEAD ------------------------------------------------------------------------ */

static void go_dead(struct nvmf_ctrl *c)
{
	char msg[HOST_MSG_MAX];

	if (c->rc_init)
		uv_timer_stop(&c->rc_timer);
	if (c->fio_init)
		uv_timer_stop(&c->fio_timer);
	if (!c->reconnecting)
		snprintf(msg, sizeof(msg), "not reconnecting (ctrl_loss_tmo 0): %.400s",
			 c->last_msg);
	else if (c->permanent)
		snprintf(msg, sizeof(msg), "reconnecting stopped after attempt %u: %.400s",
			 c->attempt, c->last_msg);
	else
		snprintf(msg, sizeof(msg), "gave up after %u attempts (ctrl_loss_tmo %d s): %.400s",
			 c->attempt, c->opts.ctrl_loss_tmo, c->last_msg);
	set_reason(c, c->last_err ? c->last_err : -ECONNRESET, msg);
	host_state_set(c, NVMF_CTRL_DEAD);
	c->forced = false;
	host_log(NVMF_LOG_ERROR, "%s", msg);
	/* Before the event: a callback that revives the controller starts
	 * from an empty held list. */
	host_held_fail(c, -ECONNRESET, msg);
	ev_send(c, NVMF_EVENT_GAVE_UP, c->last_err, msg);
}

/* ---- CONNECTING ---------------------------------------------------------------------- */

static void attempt_done(struct nvmf_ctrl *c, int r, const char *msg);

static void start_attempt(struct nvmf_ctrl *c)
{
	char last[HOST_MSG_MAX];
	int r;

	pthread_mutex_lock(&c->st_mu);
	c->attempt++;
	pthread_mutex_unlock(&c->st_mu);
	host_state_set(c, NVMF_CTRL_CONNECTING);
	snprintf(last, sizeof(last), "%s", c->last_msg);
	if (c->max_attempts)
		host_log(NVMF_LOG_INFO, "reconnecting: attempt %u of %u", c->attempt,
			 c->max_attempts);
	else
		host_log(NVMF_LOG_INFO, "reconnecting: attempt %u", c->attempt);
	ev_send(c, NVMF_EVENT_RECONNECTING, c->last_err, last);
	if (c->stopping || c->state != NVMF_CTRL_CONNECTING)
		return;		/* the event callback disconnected or reconnected */
	r = host_bringup_start(c, true, attempt_done);
	if (r < 0)
		attempt_done(c, r, nvmf_get_error());
}

/* After the queue pairs of the outage or of a failed attempt closed. */
static void after_close(struct nvmf_ctrl *c)
{
	int what = c->after_close;

	c->after_close = AFTER_NONE;
	if (c->stopping)
		return;
	if (what == AFTER_DEAD)
		go_dead(c);
	else if (what == AFTER_ATTEMPT)
		rc_arm(c, c->rc_delay_ms);
}

static void rc_timer_cb(uv_timer_t *t)
{
	struct nvmf_ctrl *c = t->data;

	if (c->stopping || c->bu || c->open_qpairs > 0)
		return;
	if (c->state == NVMF_CTRL_RESETTING || c->state == NVMF_CTRL_CONNECTING)
		start_attempt(c);
}

void host_state_queues_closed(struct nvmf_ctrl *c)
{
	if (c->after_close != AFTER_NONE)
		/* From the transport's close callback: go on from the loop. */
		after_close(c);
}

/* Close what an outage or a failed attempt left open, then what. */
static void close_then(struct nvmf_ctrl *c, int what, uint64_t delay_ms, const char *why)
{
	c->after_close = what;
	c->rc_delay_ms = delay_ms;
	host_queues_close_all(c, -ECONNRESET, why);
	if (c->open_qpairs == 0)
		after_close(c);
}

static void go_live(struct nvmf_ctrl *c)
{
	if (c->fio_init)
		uv_timer_stop(&c->fio_timer);
	c->fast_failed = false;
	c->forced = false;
	pthread_mutex_lock(&c->st_mu);
	c->reconnects++;
	pthread_mutex_unlock(&c->st_mu);
	host_state_set(c, NVMF_CTRL_LIVE);
	host_log(NVMF_LOG_INFO, "reconnected after %u attempt%s; %u command%s to resubmit",
		 c->attempt, c->attempt == 1 ? "" : "s", atomic_load(&c->nr_held),
		 atomic_load(&c->nr_held) == 1 ? "" : "s");
	if (c->aer_enabled)
		host_aer_start(c);
	/* What the scan found changed, before anything else can rescan. */
	if (c->nr_changed) {
		struct nvmf_event ev = {
			.type = NVMF_EVENT_NS_CHANGED,
			.nr_nsids = c->nr_changed <= 64 ? c->nr_changed : 0,
			.nsids = c->changed,
		};

		c->nr_changed = 0;
		if (!c->stopping)
			host_event(c, &ev);
	}
	if (c->state == NVMF_CTRL_LIVE)
		ev_send(c, NVMF_EVENT_RECONNECTED, 0, "");
	/* A callback may have asked for another reset: the held commands then
	 * wait for that one, without spending a resubmission. */
	if (c->state == NVMF_CTRL_LIVE && !c->stopping)
		host_held_replay(c);
}

static void attempt_done(struct nvmf_ctrl *c, int r, const char *msg)
{
	if (c->stopping)
		return;		/* nvmf_disconnect() closes what is left */
	if (r == 0) {
		go_live(c);
		return;
	}
	set_reason(c, r, msg);
	host_log(NVMF_LOG_INFO, "reconnect attempt %u failed: %s", c->attempt, msg);
	host_ka_stop(c);
	if (c->permanent || (c->max_attempts && c->attempt >= c->max_attempts))
		close_then(c, AFTER_DEAD, 0, msg);
	else
		close_then(c, AFTER_ATTEMPT, (uint64_t)c->opts.reconnect_delay * 1000u, msg);
}

/* ---- Leaving LIVE -------------------------------------------------------------------- */

static void fio_timer_cb(uv_timer_t *t)
{
	struct nvmf_ctrl *c = t->data;
	char msg[HOST_MSG_MAX];

	if (c->stopping || c->state == NVMF_CTRL_LIVE || c->state == NVMF_CTRL_DEAD)
		return;
	c->fast_failed = true;
	snprintf(msg, sizeof(msg), "the controller is reconnecting and fast_io_fail_tmo "
		 "(%d s) has passed: %.400s", c->opts.fast_io_fail_tmo, c->last_msg);
	host_log(NVMF_LOG_INFO, "%s", msg);
	host_held_fail(c, -ECONNRESET, msg);
}

/* fast_io_fail_tmo runs from the loss (or from nvmf_reconnect() reviving). */
static void fio_arm(struct nvmf_ctrl *c)
{
	if (!c->reconnecting || c->opts.fast_io_fail_tmo < 0)
		return;
	if (!c->fio_init) {
		uv_timer_init(c->loop, &c->fio_timer);	/* cannot fail on a live loop */
		c->fio_timer.data = c;
		c->fio_init = true;
	}
	uv_timer_start(&c->fio_timer, fio_timer_cb, (uint64_t)c->opts.fast_io_fail_tmo * 1000u, 0);
}

/*
 * Start an outage: record why, tell the user, stop Keep Alive, move what
 * waits for a queue entry to the held list (I/O) or fail it, and close every
 * queue pair; their in-flight I/O comes back as held (dispatch.c). Once all
 * are closed, the first attempt starts at once.
 */
static void begin_outage(struct nvmf_ctrl *c, int err, const char *msg, bool fatal)
{
	c->reconnecting = c->opts.ctrl_loss_tmo != 0 || c->forced;
	c->fast_failed = false;
	c->loss_at = uv_now(c->loop);
	pthread_mutex_lock(&c->st_mu);
	c->outages++;
	c->attempt = 0;
	c->max_attempts = attempts_allowed(c);
	pthread_mutex_unlock(&c->st_mu);
	set_reason(c, err, msg);
	host_state_set(c, NVMF_CTRL_RESETTING);
	host_ka_stop(c);
	if (c->forced && !fatal)
		/* nvmf_reconnect() on a live controller (forced is set only
		 * there while LIVE): nothing failed, so no ERROR. */
		host_log(NVMF_LOG_INFO, "%s: closing the connections to connect again", msg);
	else if (c->reconnecting && c->opts.ctrl_loss_tmo < 0)
		host_log(NVMF_LOG_ERROR, "%s: %s; reconnecting (ctrl_loss_tmo -1: for ever)",
			 fatal ? "controller failed" : "connection lost", msg);
	else if (c->reconnecting)
		host_log(NVMF_LOG_ERROR, "%s: %s; reconnecting (ctrl_loss_tmo %d s)",
			 fatal ? "controller failed" : "connection lost", msg,
			 c->opts.ctrl_loss_tmo);
	else
		host_log(NVMF_LOG_ERROR, "%s: %s", fatal ? "controller failed" : "connection lost",
			 msg);
	ev_send(c, fatal ? NVMF_EVENT_FATAL : NVMF_EVENT_CONN_LOST, err, msg);
	if (c->stopping || c->state != NVMF_CTRL_RESETTING)
		return;
	fio_arm(c);
	host_hold_waiting(c, -ECONNRESET, msg);
	close_then(c, c->reconnecting ? AFTER_ATTEMPT : AFTER_DEAD, 0, msg);
}

void host_ctrl_failed(struct nvmf_ctrl *c, int err, const char *msg, bool fatal)
{
	/* Once per outage: while connecting, the bring-up's own failure says
	 * it (its command or connect fails with the queue). */
	if (c->stopping || c->state != NVMF_CTRL_LIVE)
		return;
	begin_outage(c, err, msg, fatal);
}

/* ---- The public calls ----------------------------------------------------------------- */

static int reconnect_now(struct nvmf_ctrl *c)
{
	if (c->draining || c->stopping)
		return host_err(ESHUTDOWN, "nvmf_reconnect: the controller is disconnecting");
	switch (c->state) {
	case NVMF_CTRL_LIVE:
		c->forced = true;
		begin_outage(c, -ECONNRESET, "reconnect requested", false);
		return 0;
	case NVMF_CTRL_DEAD:
		/* A fresh round, as after a new loss (FreeBSD's `nvmecontrol
		 * reconnect` revives a dead association the same way). */
		c->forced = true;
		c->reconnecting = true;
		c->fast_failed = false;
		c->loss_at = uv_now(c->loop);
		pthread_mutex_lock(&c->st_mu);
		c->attempt = 0;
		c->max_attempts = attempts_allowed(c);
		pthread_mutex_unlock(&c->st_mu);
		host_state_set(c, NVMF_CTRL_CONNECTING);
		fio_arm(c);
		c->rc_delay_ms = 0;
		if (c->open_qpairs > 0)
			c->after_close = AFTER_ATTEMPT;
		else
			rc_arm(c, 0);
		return 0;
	case NVMF_CTRL_CONNECTING:
		if (c->bu || c->open_qpairs > 0)
			return host_err(EBUSY, "nvmf_reconnect: attempt %u is under way",
					c->attempt);
		/* Waiting for reconnect_delay: try now. */
		if (c->max_attempts && c->attempt >= c->max_attempts) {
			pthread_mutex_lock(&c->st_mu);
			c->max_attempts = c->attempt + 1;
			pthread_mutex_unlock(&c->st_mu);
		}
		rc_arm(c, 0);
		return 0;
	case NVMF_CTRL_RESETTING:
		return host_err(EBUSY, "nvmf_reconnect: the controller is resetting");
	case NVMF_CTRL_DELETING:
		break;
	}
	return host_err(ESHUTDOWN, "nvmf_reconnect: the controller is disconnecting");
}

static void reconnect_fn(struct host_call *call)
{
	int r = reconnect_now(call->c);

	if (r < 0)
		host_call_fail(call, r, "%s", nvmf_get_error());
	else
		host_call_done(call, 0);
}

int nvmf_reconnect(struct nvmf_ctrl *c)
{
	struct host_call call;

	host_err_clear();
	if (!c)
		return host_err(EINVAL, "nvmf_reconnect: NULL controller");
	/* From a callback on the loop thread: at once, nothing to wait for. */
	if (host_on_loop_thread(c))
		return reconnect_now(c);
	return host_call(c, reconnect_fn, NULL, &call);
}

int nvmf_ctrl_get_state(struct nvmf_ctrl *c, struct nvmf_ctrl_state_info *st)
{
	host_err_clear();
	if (!c || !st)
		return host_err(EINVAL, "nvmf_ctrl_get_state: NULL argument");
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&c->st_mu);
	st->state = c->state;
	st->attempt = c->attempt;
	/* Before the first outage: the limit the next one will have (none
	 * with ctrl_loss_tmo 0, which does not reconnect unless told to). */
	st->max_attempts = c->outages || c->opts.ctrl_loss_tmo == 0 ? c->max_attempts
								    : attempts_allowed(c);
	st->error = c->last_err;
	snprintf(st->msg, sizeof(st->msg), "%.*s", (int)sizeof(st->msg) - 1, c->last_msg);
	st->outages = c->outages;
	st->reconnects = c->reconnects;
	st->state_ms = now_ms() - c->state_since;
	pthread_mutex_unlock(&c->st_mu);
	st->held = atomic_load(&c->nr_held);
	return 0;
}

void host_state_close(struct nvmf_ctrl *c)
{
	if (c->rc_init)
		host_close_handle(c, (uv_handle_t *)&c->rc_timer);
	c->rc_init = false;
	if (c->fio_init)
		host_close_handle(c, (uv_handle_t *)&c->fio_timer);
	c->fio_init = false;
	if (c->bu_timer_init)
		host_close_handle(c, (uv_handle_t *)&c->bu_timer);
	c->bu_timer_init = false;
}
