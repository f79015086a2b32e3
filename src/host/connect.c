/*
 * The controller's life from the caller's side: nvmf_connect() (the
 * bring-up of bringup.c, waited for), nvmf_disconnect() (orderly shutdown,
 * NVMe Base 2.0, 3.6.1, then every queue pair closed) and the options'
 * checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/ctrl.h"
#ifdef NVMF_WITH_TLS
#include "auth/auth.h"
#include "auth/auth_secret.h"
#endif

#define ADMIN_QSIZE NVMF_ADMIN_QUEUE_MIN_ENTRIES

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- Fabrics commands ------------------------------------------------------- */

static int prop_get(struct nvmf_ctrl *c, uint32_t ofst, bool eight, uint64_t *val)
{
	struct host_req *req = host_req_new(c, true, "Property Get");
	/* Fabrics 1.1, 3.4 (Property Get): the SQE in the command's own layout. */
	struct nvmf_prop_get_cmd cmd = {
		.opcode = NVMF_ADM_FABRICS,
		.fctype = NVMF_FCTYPE_PROPERTY_GET,
		.attrib = eight ? NVMF_PROP_ATTRIB_SIZE_8 : NVMF_PROP_ATTRIB_SIZE_4,
		.ofst = nvmf_htole32(ofst),
	};
	struct nvmf_completion cpl;
	int r;

	if (!req)
		return host_err(ENOMEM, "out of memory");
	memcpy(&req->xc.sqe, &cmd, sizeof(req->xc.sqe));
	req->q = &c->admin;
	req->xc.timeout_ms = (uint32_t)c->opts.connect_timeout * 1000u;
	r = host_sync_cmd(c, req, &cpl);
	if (r < 0)
		return r;
	*val = eight ? ((uint64_t)cpl.dw1 << 32 | cpl.dw0) : cpl.dw0;
	return 0;
}

static int prop_set(struct nvmf_ctrl *c, uint32_t ofst, uint32_t val)
{
	struct host_req *req = host_req_new(c, true, "Property Set");
	/* Fabrics 1.1, 3.5 (Property Set): a 4-byte property. */
	struct nvmf_prop_set_cmd cmd = {
		.opcode = NVMF_ADM_FABRICS,
		.fctype = NVMF_FCTYPE_PROPERTY_SET,
		.attrib = NVMF_PROP_ATTRIB_SIZE_4,
		.ofst = nvmf_htole32(ofst),
		.value = nvmf_htole64(val),
	};

	if (!req)
		return host_err(ENOMEM, "out of memory");
	memcpy(&req->xc.sqe, &cmd, sizeof(req->xc.sqe));
	req->q = &c->admin;
	req->xc.timeout_ms = (uint32_t)c->opts.connect_timeout * 1000u;
	return host_sync_cmd(c, req, NULL);
}

/* Whether an orderly shutdown can be attempted, decided on the loop thread:
 * the admin queue's state is the loop's to read (c->failed alone is atomic). */
static void admin_usable_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;

	bool usable = !c->failed && c->admin.ready && c->admin.qp && !c->admin.closing;

	/* From here on the state says so; the shutdown's own commands name
	 * the admin queue and pass (dispatch.c). */
	host_state_set(c, NVMF_CTRL_DELETING);
	host_call_done(call, usable);
}

static void close_all_fn(struct host_call *call);

/* The first bring-up, for nvmf_connect() waiting on its call. */
static void initial_done(struct nvmf_ctrl *c, int r, const char *msg)
{
	struct host_call *call = c->connect_call;

	c->connect_call = NULL;
	if (r < 0) {
		call->status = c->last_status;
		host_call_fail(call, r, "%s", msg);
		return;
	}
	host_state_set(c, NVMF_CTRL_LIVE);
	if (c->aer_enabled)
		host_aer_start(c);
	host_call_done(call, 0);
}

static void connect_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;

	c->connect_call = call;
	if (host_bringup_start(c, false, initial_done) < 0) {
		c->connect_call = NULL;
		host_call_fail(call, -nvmf_get_errno(), "%s", nvmf_get_error());
	}
}

static void ctrl_free(struct nvmf_ctrl *c)
{
	host_ns_free_all(c);
	pthread_mutex_destroy(&c->st_mu);
	host_req_pool_fini(c);
	free(c->io);
	host_opts_wipe(&c->opts);
	free(c);
}

static int check_tls_opts(const struct nvmf_opts *o)
{
	bool tls = o->tls || o->tls_key[0] || o->tls_compat || o->tls_identity != 0 ||
		   o->tls_key_file[0];

	if (!tls)
		return 0;
#ifndef NVMF_WITH_TLS
	return host_err(ENOTSUP, "TLS options given, but libnvmf was built without OpenSSL");
#else
	if (!o->tls && !o->tls_key[0])
		return host_err(EINVAL, "TLS options (identity, key file, compat) given without "
				"tls or a tls_key");
	if (o->tls_identity < -1 || o->tls_identity > 1)
		return host_err(EINVAL, "TLS PSK identity version %d: must be 0, 1 or -1 (any)",
				o->tls_identity);
	/* Never echo the key: it is secret even when malformed. */
	if (strnlen(o->tls_key, sizeof(o->tls_key)) == sizeof(o->tls_key))
		return host_err(EINVAL, "TLS key is not NUL-terminated within %zu bytes",
				sizeof(o->tls_key));
	if (strnlen(o->tls_key_file, sizeof(o->tls_key_file)) == sizeof(o->tls_key_file))
		return host_err(EINVAL, "TLS key file name is not NUL-terminated within %zu bytes",
				sizeof(o->tls_key_file));
	return 0;
#endif
}

/* DH-HMAC-CHAP secrets: well formed, or refused now (never echoed). */
static int check_auth_opts(const struct nvmf_opts *o)
{
	static const struct { size_t off; const char *what; } keys[] = {
		{ offsetof(struct nvmf_opts, dhchap_secret), "DH-HMAC-CHAP host secret" },
		{ offsetof(struct nvmf_opts, dhchap_ctrl_secret), "DH-HMAC-CHAP controller secret" },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *k = (const char *)o + keys[i].off;

		if (!k[0])
			continue;
		if (strnlen(k, NVMF_DHCHAP_KEY_BUFSZ) == NVMF_DHCHAP_KEY_BUFSZ)
			return host_err(EINVAL, "%s is not NUL-terminated within %d bytes",
					keys[i].what, NVMF_DHCHAP_KEY_BUFSZ);
#ifdef NVMF_WITH_TLS
		{
			struct auth_secret s;
			int rc = auth_secret_parse(k, &s);

			auth_secret_wipe(&s);
			if (rc != 0)
				return host_err(EINVAL, "%s: %s", keys[i].what, auth_strerror(rc));
		}
#else
		return host_err(ENOTSUP, "%s given, but libnvmf was built without OpenSSL",
				keys[i].what);
#endif
	}
	if (o->dhchap_ctrl_secret[0] && !o->dhchap_secret[0])
		return host_err(EINVAL, "a DH-HMAC-CHAP controller secret needs the host secret "
				"too (bidirectional authentication)");
	return 0;
}

/*
 * trsvcid: empty (the default port, set by nvmf_connect) or a TCP port by
 * the URI's rule (host_port_num). Checked here because nothing after would
 * refuse it: the transport hands what is not a plain port to getaddrinfo,
 * which takes "85999" as port 20463 and " 4420" as 4420. The value shown is
 * cut and made printable: it is the caller's, possibly not a string at all.
 */
static int check_trsvcid(const char *s, size_t size)
{
	size_t n = strnlen(s, size);
	char shown[24];
	size_t i, k = 0;

	/* Unterminated (n == size): the copy made later would run past it. */
	if (n == 0 || (n < size && host_port_num(s, n) > 0))
		return 0;
	for (i = 0; i < n && i < 16; i++)
		shown[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n > 16) {
		memcpy(shown + k, "...", 3);
		k += 3;
	}
	shown[k] = '\0';
	return host_err(EINVAL, "trsvcid \"%s\": not a TCP port number (1-65535)", shown);
}

/* The caller's strings end within their buffers: read past one, traddr
 * would run on into trsvcid and connect somewhere else. */
static int check_strings(const struct nvmf_opts *o)
{
	static const struct { size_t off, size; const char *what; } strs[] = {
		{ offsetof(struct nvmf_opts, traddr), sizeof(o->traddr), "traddr" },
		{ offsetof(struct nvmf_opts, subnqn), sizeof(o->subnqn), "subnqn" },
		{ offsetof(struct nvmf_opts, hostnqn), sizeof(o->hostnqn), "hostnqn" },
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strnlen((const char *)o + strs[i].off, strs[i].size) == strs[i].size)
			return host_err(EINVAL, "%s is not NUL-terminated within %zu bytes",
					strs[i].what, strs[i].size);
	return 0;
}

static int check_opts(const struct nvmf_opts *o)
{
	int r;

	r = check_strings(o);
	if (r < 0)
		return r;
	if (!o->traddr[0])
		return host_err(EINVAL, "no transport address (traddr) given");
	r = check_trsvcid(o->trsvcid, sizeof(o->trsvcid));
	if (r < 0)
		return r;
	if (!o->hostnqn[0])
		return host_err(EINVAL, "no host NQN: set hostnqn or create /etc/nvme/hostnqn");
	if (strlen(o->hostnqn) > NVMF_NQN_MAX_LEN || strlen(o->subnqn) > NVMF_NQN_MAX_LEN)
		return host_err(EINVAL, "NQN longer than %d bytes", NVMF_NQN_MAX_LEN);
	if (o->nr_io_queues < 0 || o->nr_io_queues > 0xFFFE)
		return host_err(EINVAL, "number of I/O queues %d out of range 0-65534",
				o->nr_io_queues);
	if (o->queue_size < XP_QSIZE_MIN || o->queue_size > XP_QSIZE_MAX)
		return host_err(EINVAL, "queue size %d out of range %d-%d", o->queue_size,
				XP_QSIZE_MIN, XP_QSIZE_MAX);
	if (o->kato < -1 || o->kato > 4000000)
		return host_err(EINVAL, "keep-alive timeout %d s out of range", o->kato);
	if (o->io_timeout < 1 || o->io_timeout > 4000000)
		return host_err(EINVAL, "I/O timeout %d s out of range", o->io_timeout);
	if (o->connect_timeout < 1 || o->connect_timeout > 4000000)
		return host_err(EINVAL, "connect timeout %d s out of range", o->connect_timeout);
	if (o->reconnect_delay < 1 || o->reconnect_delay > 4000000)
		return host_err(EINVAL, "reconnect delay %d s out of range 1-4000000",
				o->reconnect_delay);
	if (o->ctrl_loss_tmo < -1 || o->ctrl_loss_tmo > 4000000)
		return host_err(EINVAL, "controller loss timeout %d s out of range (-1 = forever, "
				"0 = no reconnect)", o->ctrl_loss_tmo);
	if (o->fast_io_fail_tmo < -1 || o->fast_io_fail_tmo > 4000000)
		return host_err(EINVAL, "fast I/O fail timeout %d s out of range (-1 = off)",
				o->fast_io_fail_tmo);
	if (o->poll_us < 0 || o->poll_us > 1000000)
		return host_err(EINVAL, "poll_us %d out of range 0-1000000 (microseconds)",
				o->poll_us);
	r = check_tls_opts(o);
	return r < 0 ? r : check_auth_opts(o);
}

int nvmf_connect(const struct nvmf_opts *o, struct nvmf_ctrl **out)
{
	struct nvmf_ctrl *c;
	struct host_call call;
	int r;

	host_err_clear();
	if (!o || !out)
		return host_err(EINVAL, "nvmf_connect: NULL argument");
	*out = NULL;
	/* It waits for an I/O thread, possibly this one (nvmf.h, THREADING). */
	if (host_on_io_thread())
		return host_err(EDEADLK, "nvmf_connect() from a libnvmf I/O thread (a completion "
				"or event callback) would deadlock; connect outside the callbacks");
	c = calloc(1, sizeof(*c));
	if (!c)
		return host_err(ENOMEM, "out of memory");
	r = host_opts_import(&c->opts, o);
	if (r == 0)
		r = check_opts(&c->opts);
	/* On a caller's loop the connect runs that loop: not from inside one
	 * of its callbacks (a nested uv_run(); nvmf.h, THREADING). */
	if (r == 0 && c->opts.loop && host_in_cb_of(c->opts.loop))
		r = host_err(EDEADLK, "nvmf_connect() from a libnvmf callback of the same loop "
			     "would run that loop inside its own callback; connect outside "
			     "the callbacks");
	if (r < 0) {
		host_opts_wipe(&c->opts);
		free(c);
		return r;
	}
	if (c->opts.tls_key[0])
		c->opts.tls = true;
	if (!c->opts.subnqn[0])
		snprintf(c->opts.subnqn, sizeof(c->opts.subnqn), "%s", NVMF_DISCOVERY_NQN);
	c->info.discovery = c->opts.discovery || strcmp(c->opts.subnqn, NVMF_DISCOVERY_NQN) == 0;
	/* A given port in its plain form ("04420" as 4420, as a URI's port
	 * becomes): what the transport connects to and the messages name. */
	if (!c->opts.trsvcid[0])
		snprintf(c->opts.trsvcid, sizeof(c->opts.trsvcid), "%d",
			 c->info.discovery ? NVMF_TCP_DISC_PORT : NVMF_TCP_IO_PORT);
	else
		snprintf(c->opts.trsvcid, sizeof(c->opts.trsvcid), "%d",
			 host_port_num(c->opts.trsvcid, strlen(c->opts.trsvcid)));
	/* Keep-alive: 5 s by default, none on discovery controllers (Fabrics
	 * 1.1, 3.3: a discovery controller may be connected without KATO). */
	if (c->opts.kato < 0)
		c->opts.kato = c->info.discovery ? 0 : 5;
	c->kato_ms = (uint32_t)c->opts.kato * 1000u;
	c->info.hdr_digest = o->hdr_digest;
	c->info.data_digest = o->data_digest;
	atomic_init(&c->nstab, NULL);
	atomic_init(&c->ns_readers, 0);
	atomic_init(&c->next_cookie, 1);
	atomic_init(&c->in_flight, 0);
	atomic_init(&c->failed, false);
	atomic_init(&c->draining, false);
	atomic_init(&c->stopping, false);
	atomic_init(&c->call_req_busy, false);
	atomic_init(&c->last_completion_ms, 0);
	atomic_init(&c->max_xfer, 0);
	host_state_init(c);

	r = host_loop_start(c);
	if (r < 0) {
		ctrl_free(c);
		return r;
	}
	r = host_call(c, connect_fn, NULL, &call);
	if (r < 0) {
		char msg[512];
		int e = nvmf_get_errno();
		uint16_t st = nvmf_get_status();

		snprintf(msg, sizeof(msg), "%s", nvmf_get_error());
		c->stopping = true;
		host_call(c, close_all_fn, NULL, &call);
		host_loop_stop(c);
		ctrl_free(c);
		return host_err_set(e ? e : -r, st, msg);
	}
	if (host_log_enabled(NVMF_LOG_DEBUG)) {
		/* A copy under st_mu: the I/O thread may already be reconnecting. */
		struct nvmf_ctrl_info ci;

		nvmf_ctrl_get_info(c, &ci);
		host_dbg("connected to %s port %s, %s, cntlid %u, %d I/O queues of %d",
			 c->opts.traddr, c->opts.trsvcid, c->opts.subnqn, ci.cntlid,
			 ci.nr_io_queues, ci.queue_size);
	}
	*out = c;
	return 0;
}

/* ---- Shutdown ------------------------------------------------------------------- */

/* Normal shutdown: CC.SHN = 01b, wait for CSTS.SHST = 10b (Base 2.0, 3.6.1). */
static int shutdown_ctrl(struct nvmf_ctrl *c)
{
	uint64_t cc, csts, deadline;
	unsigned limit_ms, wait = 1;
	int r;

	r = prop_get(c, NVMF_PROP_CC, false, &cc);
	if (r < 0)
		return r;
	cc &= ~(uint64_t)NVMF_CC_SHN_MASK;
	cc |= NVMF_CC_SHN_NORMAL << NVMF_CC_SHN_SHIFT;
	r = prop_set(c, NVMF_PROP_CC, (uint32_t)cc);
	if (r < 0)
		return r;
	/* RTD3E (us) is the controller's own estimate; bound it to 5-60 s. */
	limit_ms = c->rtd3e / 1000u;
	if (limit_ms < 5000)
		limit_ms = 5000;
	if (limit_ms > 60000)
		limit_ms = 60000;
	deadline = mono_ms() + limit_ms;
	for (;;) {
		r = prop_get(c, NVMF_PROP_CSTS, false, &csts);
		if (r < 0)
			return r;
		if (nvmf_csts_shst((uint32_t)csts) == NVMF_CSTS_SHST_COMPLETE)
			return 0;
		if (mono_ms() >= deadline)
			return host_err(ETIMEDOUT, "shutdown not complete (CSTS.SHST %u) after %u ms",
					nvmf_csts_shst((uint32_t)csts), limit_ms);
		sleep_ms(wait);
		if (wait < 100)
			wait *= 2;
	}
}

/*
 * Before the shutdown, what the application submitted before calling
 * nvmf_disconnect() runs to its end. CC.SHN goes on the admin queue, a
 * connection of its own, in no order with the I/O queues' commands: a
 * controller that is shutting down (CSTS.RDY cleared, Base 2.0, 3.6.1)
 * may answer those that reach it after the Property Set with Command
 * Sequence Error, a write the application submitted in time then failing
 * as if the controller had refused it. So commands in flight (on the wire,
 * waiting for a queue entry or a short retry delay, handed over by other
 * threads) are waited for first, as Linux's controller removal waits for
 * its queues' requests; nothing new is taken meanwhile (c->draining:
 * host_submit() refuses it, the callbacks' resubmissions included). Bounded: HOST_DRAIN_MS, after which those left are
 * canceled (-ECANCELED) as nvmf.h says; and not at all while the
 * controller is not LIVE, whose held I/O cannot go anywhere.
 */
#define HOST_DRAIN_MS 5000

static void drain_closed(uv_handle_t *h)
{
	host_call_done(h->data, 0);
}

/* Nothing left that is on its way to the controller. A command waiting
 * for a retry delay (dispatch.c) that ends only after the drain's deadline
 * is not waited for (the delay may be as long as io_timeout): canceled. */
static bool drained(struct nvmf_ctrl *c)
{
	unsigned n = 0;

	if (c->state != NVMF_CTRL_LIVE)
		return true;
	for (const struct host_req *r = c->retryq; r; r = r->next)
		n += r->retry_at >= c->drain_until;
	return atomic_load(&c->in_flight) <= n;
}

static void drain_check(uv_timer_t *t)
{
	struct nvmf_ctrl *c = ((struct host_call *)t->data)->c;

	if (!drained(c) && uv_now(c->loop) < c->drain_until)
		return;
	if (!drained(c))
		host_log(NVMF_LOG_INFO, "disconnecting with %u commands still in flight after "
			 "%u ms: they are canceled", atomic_load(&c->in_flight), HOST_DRAIN_MS);
	uv_timer_stop(t);
	uv_close((uv_handle_t *)t, drain_closed);
}

static void drain_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;
	uv_timer_t *t = &c->close_timer;

	/* The loop's clock as of now: with the caller's loop it is the time
	 * of its last turn, which may be long ago. */
	uv_update_time(c->loop);
	c->drain_until = uv_now(c->loop) + HOST_DRAIN_MS;
	if (drained(c)) {
		host_call_done(call, 0);
		return;
	}
	uv_timer_init(c->loop, t);	/* cannot fail on a live loop */
	t->data = call;
	uv_timer_start(t, drain_check, 1, 1);
}

static void close_check(struct nvmf_ctrl *c, struct host_call *call);

static void close_timer_cb(uv_timer_t *t)
{
	struct host_call *call = t->data;

	close_check(call->c, call);
}

static void close_timer_closed(uv_handle_t *h)
{
	struct host_call *call = h->data;

	host_call_done(call, 0);
}

static void close_check(struct nvmf_ctrl *c, struct host_call *call)
{
	uv_timer_t *t = call->arg;

	if (c->open_qpairs > 0 || c->bu)
		return;
	uv_timer_stop(t);
	uv_close((uv_handle_t *)t, close_timer_closed);
}

/* Close every queue pair; finish when all reported on_closed. */
static void close_all_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;
	uv_timer_t *t;

	c->stopping = true;
	host_state_set(c, NVMF_CTRL_DELETING);
	/* Nothing more read for the application: what its watch callbacks
	 * would submit now could only be canceled. */
	host_watch_close_all(c);
	host_ka_stop(c);
	host_bringup_abort(c);
	host_queues_close_all(c, -ECANCELED, NULL);
	/* Fail what was held through an outage, and what still waits for a
	 * free queue entry. */
	host_held_fail(c, -ECANCELED, "the controller is disconnecting");
	for (int k = 0; k < 2; k++) {
		while (c->waitq[k]) {
			struct host_req *req = c->waitq[k];
			char msg[HOST_MSG_MAX];

			c->waitq[k] = req->next;
			snprintf(msg, sizeof(msg), "%s canceled: the controller is disconnecting",
				 req->what);
			host_req_fail(req, -ECANCELED, msg);
		}
	}
	/* Poll for the closes: on_closed arrives from the loop. The timer
	 * is the controller's own: with none (out of memory) the call would
	 * end before the queue pairs, which would then report on_closed to
	 * a freed controller. */
	t = &c->close_timer;
	uv_timer_init(c->loop, t);
	t->data = call;
	call->arg = t;
	uv_timer_start(t, close_timer_cb, 0, 1);
}

int nvmf_disconnect(struct nvmf_ctrl *c)
{
	struct host_call call;
	char msg[512] = "";
	int r = 0, e = 0;

	host_err_clear();
	if (!c)
		return 0;
	/*
	 * Refused before anything is touched: on an I/O thread (a completion
	 * or event callback) it would wait for that thread, possibly itself,
	 * or free the controller whose callback is running; in the caller's
	 * loop mode a callback
	 * cannot run that loop again (libuv forbids a nested uv_run()). The
	 * handle stays valid; the application disconnects it later from outside
	 * its callbacks. Checked here because every later step assumes it may
	 * wait for the loop.
	 */
	if (host_on_io_thread() || (host_on_loop_thread(c) && host_in_cb_of(c->loop)))
		return host_err(EDEADLK, "nvmf_disconnect() from a libnvmf callback would free "
				"the controller while its callback runs; call it outside the "
				"callbacks");
	if (!host_on_loop_thread(c) && !c->own_thread)
		return host_err(EINVAL, "controller uses the caller's loop: call nvmf_disconnect() "
				"from that loop's thread");
	/*
	 * Stopping before the shutdown, not after: a controller may close its
	 * connections as soon as it reports CSTS.SHST complete (NVMe Base 2.0,
	 * 3.6.2, the association ends), and that loss is then expected, not a
	 * failure to log or an event for the application. A shutdown that
	 * does fail is this function's return value. Keep Alive goes on until
	 * close_all_fn: the CSTS poll may outlast KATO, and without
	 * traffic-based keep alive a Property Get does not reset the
	 * controller's timer (Base 2.0, 3.9.4).
	 */
	c->draining = true;
	host_call(c, drain_fn, NULL, &call);
	c->stopping = true;
	if (host_call(c, admin_usable_fn, NULL, &call) > 0) {
		r = shutdown_ctrl(c);
		if (r < 0) {
			/* Keep the reason: closing below would overwrite it. */
			e = nvmf_get_errno();
			snprintf(msg, sizeof(msg), "%s", nvmf_get_error());
			host_log(NVMF_LOG_WARN, "orderly shutdown failed: %s", msg);
		}
	}
	host_call(c, close_all_fn, NULL, &call);
	host_loop_stop(c);
	ctrl_free(c);
	if (r < 0)
		return host_err_set(e, 0, msg);
	host_err_clear();
	return 0;
}

int nvmf_ctrl_get_tls(struct nvmf_ctrl *c, char *cipher, size_t len)
{
	int on;

	if (!c)
		return host_err(EINVAL, "nvmf_ctrl_get_tls: NULL argument");
	pthread_mutex_lock(&c->st_mu);
	on = c->tls_cipher[0] != '\0';
	if (cipher && len)
		snprintf(cipher, len, "%s", c->tls_cipher);
	pthread_mutex_unlock(&c->st_mu);
	return on;
}

int nvmf_ctrl_get_info(struct nvmf_ctrl *c, struct nvmf_ctrl_info *info)
{
	if (!c || !info)
		return host_err(EINVAL, "nvmf_ctrl_get_info: NULL argument");
	/* A reconnect may change the controller ID and the queues. */
	pthread_mutex_lock(&c->st_mu);
	*info = c->info;
	pthread_mutex_unlock(&c->st_mu);
	return 0;
}
