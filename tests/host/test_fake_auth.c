/*
 * DH-HMAC-CHAP (nvmf.h, AUTHENTICATION) of the whole host stack against the
 * fake controller, which runs the controller's side with src/auth
 * (tests/fake/fake_auth.c): every hash, the NULL group, ffdhe2048 and
 * ffdhe8192, unidirectional and bidirectional, every queue, reconnects;
 * then a wrong secret, a controller that closes instead of answering
 * Failure1, and a hostile controller (malformed or replayed messages,
 * values out of range, error statuses, silence). Every failure must be a
 * clean error with a message that says what happened and never a secret,
 * and where the host found a message malformed, the fake must have received
 * AUTH_Failure2 with a fitting reason. OpenSSL builds only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include <nvmf/nvmf.h>
#include "auth/auth.h"
#include "auth/auth_secret.h"
#include "fake/fake_ctrl.h"

#define WAIT_MS 15000

/* ---- Set-up ------------------------------------------------------------------------- */

struct env {
	struct fake_ctrl *fc;
	struct nvmf_opts o;
	struct fake_opts fo;
	char hkey[AUTH_SECRET_TEXT_MAX];	/* the host's secret (the host's copy) */
	char ckey[AUTH_SECRET_TEXT_MAX];	/* the controller's */
	char fake_hkey[AUTH_SECRET_TEXT_MAX];	/* what the fake holds for the host */
};

/* A random DHHC-1 secret of hh, of the length hh says (00: len). */
static void make_key(uint8_t hh, size_t len, char *out)
{
	struct auth_secret s;

	assert_int_equal(auth_secret_generate(hh, len, NULL, NULL, &s), 0);
	assert_int_equal(auth_secret_format(&s, out, AUTH_SECRET_TEXT_MAX), 0);
	auth_secret_wipe(&s);
}

/* The secret's hh for a hash: each hash gets another kind of key, 00h
 * (untransformed, 48 bytes) for SHA-384. */
static void key_for(uint8_t hash, char *out)
{
	if (hash == AUTH_HASH_SHA384)
		make_key(AUTH_HASH_NONE, 48, out);
	else
		make_key(hash, 0, out);
}

struct setup {
	enum fake_scenario scenario;
	uint8_t hash, dhgroup;
	bool    bidi;			/* the host gives a controller secret */
	bool    wrong_key;		/* the fake holds another host secret */
	int     nq;			/* I/O queues */
	uint16_t from_qid;
	uint16_t port;
};

static void env_start(struct env *e, const struct setup *s)
{
	int r;

	memset(e, 0, sizeof(*e));
	key_for(s->hash ? s->hash : AUTH_HASH_SHA256, e->hkey);
	make_key(AUTH_HASH_SHA512, 0, e->ckey);
	if (s->wrong_key)
		key_for(s->hash ? s->hash : AUTH_HASH_SHA256, e->fake_hkey);
	else
		memcpy(e->fake_hkey, e->hkey, sizeof(e->hkey));
	e->fo.scenario = s->scenario;
	e->fo.port = s->port;
	e->fo.dhchap_secret = e->fake_hkey;
	e->fo.dhchap_ctrl_secret = e->ckey;
	e->fo.auth_hash = s->hash;
	e->fo.auth_dhgroup = s->dhgroup;
	e->fo.auth_from_qid = s->from_qid;
	/* s->port 0: below the ephemeral range, so that no other test's bind(0) or
	 * connection takes it while a test that restarts the fake on it has it down
	 * (test_reconnect_refused_is_permanent); a restart waits a moment for a port
	 * held meanwhile by something else, and says so if it stays held. */
	e->fo.restartable = true;
	for (int t = 0; (r = fake_ctrl_start(&e->fo, &e->fc)) == -EADDRINUSE && s->port && t < 100; t++)
		uv_sleep(20);
	if (r != 0)
		fail_msg("fake controller (port %u): %s", s->port, strerror(-r));

	nvmf_opts_init(&e->o);
	snprintf(e->o.traddr, sizeof(e->o.traddr), "127.0.0.1");
	snprintf(e->o.trsvcid, sizeof(e->o.trsvcid), "%u", fake_ctrl_port(e->fc));
	snprintf(e->o.subnqn, sizeof(e->o.subnqn), "nqn.2014-08.org.nvmexpress:fake");
	snprintf(e->o.hostnqn, sizeof(e->o.hostnqn), "nqn.2014-08.org.example:host-auth");
	snprintf(e->o.dhchap_secret, sizeof(e->o.dhchap_secret), "%s", e->hkey);
	if (s->bidi)
		snprintf(e->o.dhchap_ctrl_secret, sizeof(e->o.dhchap_ctrl_secret), "%s", e->ckey);
	e->o.nr_io_queues = s->nq;
	e->o.io_timeout = 5;
	e->o.connect_timeout = 5;
	e->o.ctrl_loss_tmo = 0;
}

static struct fake_stats stats(struct env *e)
{
	struct fake_stats st;

	fake_ctrl_stats(e->fc, &st);
	return st;
}

/* Neither secret, nor a recognisable piece of one, in a message. */
static void assert_no_secret(const struct env *e, const char *msg)
{
	const char *keys[] = { e->hkey, e->ckey, e->fake_hkey };

	if (strstr(msg, "DHHC-1"))
		fail_msg("a secret in the message: \"%s\"", msg);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char piece[13];

		/* 12 characters of the Base64 body, after "DHHC-1:hh:". */
		memcpy(piece, keys[i] + 10, 12);
		piece[12] = '\0';
		if (strstr(msg, piece))
			fail_msg("a piece of a secret in the message: \"%s\"", msg);
	}
}

static void assert_msg_has(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", msg, want);
}

static void assert_msg_lacks(const char *msg, const char *bad)
{
	if (strstr(msg, bad))
		fail_msg("message \"%s\" says \"%s\"", msg, bad);
}

/* The fake found nothing wrong in what the host sent. */
static void assert_host_clean(const struct fake_stats *st)
{
	if (st->auth_host_errors)
		fail_msg("the fake found %u error(s) in the host's messages, first: %s",
			 st->auth_host_errors, st->auth_host_error);
	assert_int_equal(st->auth_unauth_cmds, 0);
}

/* ---- Success ------------------------------------------------------------------------ */

/* One authenticated connect with nq I/O queues; a read on the I/O queues
 * works; the fake saw the exchange we expect on every queue. */
static void connect_ok(uint8_t hash, uint8_t group, bool bidi, int nq)
{
	struct setup s = { .hash = hash, .dhgroup = group, .bidi = bidi, .nq = nq };
	struct env e;
	struct nvmf_ctrl *c;
	struct fake_stats st;
	uint8_t buf[4096];

	env_start(&e, &s);
	if (nvmf_connect(&e.o, &c) != 0)
		fail_msg("%s, %s, %s: connect: %s", auth_hash_name(hash), auth_dhgroup_name(group),
			 bidi ? "bidirectional" : "unidirectional", nvmf_get_error());
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(buf[5], fake_pattern(5));
	st = stats(&e);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(e.fc, NULL);

	assert_host_clean(&st);
	assert_int_equal(st.connects, 1 + nq);
	assert_int_equal(st.auth_negotiates, 1 + nq);
	assert_int_equal(st.auth_ok, 1 + nq);
	for (int q = 0; q <= nq; q++)
		assert_int_equal(st.auth_ok_qid[q], 1);
	assert_int_equal(st.auth_hash, hash);
	assert_int_equal(st.auth_dhgroup, group);
	assert_int_equal(st.auth_bidi, bidi);
	assert_int_equal(st.auth_success2s, bidi ? 1 + nq : 0);
	assert_int_equal(st.auth_r1_wrong, 0);
	assert_int_equal(st.auth_failure1s, 0);
	assert_int_equal(st.auth_failure2s, 0);
}

/* Every hash with the NULL group and ffdhe2048, one way and both ways. */
static void test_matrix(void **state)
{
	static const uint8_t hashes[] = { AUTH_HASH_SHA256, AUTH_HASH_SHA384, AUTH_HASH_SHA512 };
	static const uint8_t groups[] = { AUTH_DHGROUP_NULL, AUTH_DHGROUP_2048 };

	(void)state;
	for (size_t h = 0; h < sizeof(hashes); h++)
		for (size_t g = 0; g < sizeof(groups); g++)
			for (int bidi = 0; bidi < 2; bidi++)
				connect_ok(hashes[h], groups[g], bidi, 1);
}

/*
 * A controller that does not ask for authentication at all (no AUTHREQ.ATR):
 * with only a host secret the host connects (authentication is the
 * controller's to require); with a controller secret too it is refused, as
 * it never proves it holds that secret.
 */
static void test_bidi_controller_never_asks(void **state)
{
	struct fake_opts fo = { .scenario = FAKE_GOOD };
	struct fake_ctrl *fc;
	struct nvmf_ctrl *c;
	struct nvmf_opts o;
	char hkey[AUTH_SECRET_TEXT_MAX], ckey[AUTH_SECRET_TEXT_MAX];
	uint8_t buf[4096];

	(void)state;
	key_for(AUTH_HASH_SHA256, hkey);
	make_key(AUTH_HASH_SHA512, 0, ckey);
	assert_int_equal(fake_ctrl_start(&fo, &fc), 0);
	nvmf_opts_init(&o);
	snprintf(o.traddr, sizeof(o.traddr), "127.0.0.1");
	snprintf(o.trsvcid, sizeof(o.trsvcid), "%u", fake_ctrl_port(fc));
	snprintf(o.subnqn, sizeof(o.subnqn), "nqn.2014-08.org.nvmexpress:fake");
	snprintf(o.hostnqn, sizeof(o.hostnqn), "nqn.2014-08.org.example:host-auth");
	snprintf(o.dhchap_secret, sizeof(o.dhchap_secret), "%s", hkey);
	o.nr_io_queues = 1;
	o.connect_timeout = 5;
	o.ctrl_loss_tmo = 0;

	assert_int_equal(nvmf_connect(&o, &c), 0);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);

	snprintf(o.dhchap_ctrl_secret, sizeof(o.dhchap_ctrl_secret), "%s", ckey);
	assert_int_equal(nvmf_connect(&o, &c), -EACCES);
	assert_msg_has(nvmf_get_error(), "does not ask for authentication");
	assert_msg_has(nvmf_get_error(), "dhchap_ctrl_secret");
	/* A discovery controller is not held to it: they seldom authenticate,
	 * and the tools pass it the options of the I/O connections to come. */
	snprintf(o.subnqn, sizeof(o.subnqn), "%s", NVMF_DISCOVERY_NQN);
	o.nr_io_queues = 0;
	if (nvmf_connect(&o, &c) != 0)
		fail_msg("discovery with a controller secret: %s", nvmf_get_error());
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(fc, NULL);
}

/* The largest group, once: both sides compute 8192-bit values. */
static void test_ffdhe8192(void **state)
{
	(void)state;
	connect_ok(AUTH_HASH_SHA512, AUTH_DHGROUP_8192, true, 1);
}

/* Every I/O queue authenticates, once each. */
static void test_io_queues(void **state)
{
	(void)state;
	connect_ok(AUTH_HASH_SHA256, AUTH_DHGROUP_2048, true, 4);
}

/*
 * A DH value shorter than the group (its leading zero byte left out, as
 * SPDK's target sends it, auth_dh.h): accepted, and the shared secret is
 * the same on both sides (or R1 would not match).
 */
static void test_dh_value_unpadded(void **state)
{
	struct setup s = { .scenario = FAKE_AUTH_DH_UNPADDED, .hash = AUTH_HASH_SHA256,
			   .dhgroup = AUTH_DHGROUP_2048, .bidi = true, .nq = 1 };
	struct env e;
	struct nvmf_ctrl *c;
	struct fake_stats st;

	(void)state;
	env_start(&e, &s);
	if (nvmf_connect(&e.o, &c) != 0)
		fail_msg("connect: %s", nvmf_get_error());
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(e.fc, &st);
	assert_int_equal(st.triggered, 2);	/* both queues' values were short */
	assert_int_equal(st.auth_ok, 2);
	assert_int_equal(st.auth_r1_wrong, 0);
	assert_host_clean(&st);
}

/* ---- Events ------------------------------------------------------------------------- */

struct evlog {
	uv_mutex_t mu;
	int n;
	enum nvmf_event_type type[64];
	char msg[64][512];
};

static void ev_cb(void *user, const struct nvmf_event *ev)
{
	struct evlog *l = user;

	uv_mutex_lock(&l->mu);
	if (l->n < 64) {
		l->type[l->n] = ev->type;
		snprintf(l->msg[l->n], sizeof(l->msg[0]), "%s", ev->msg ? ev->msg : "");
		l->n++;
	}
	uv_mutex_unlock(&l->mu);
}

static int ev_find(struct evlog *l, int from, enum nvmf_event_type type)
{
	int r = -1;

	uv_mutex_lock(&l->mu);
	for (int i = from; i < l->n && r < 0; i++)
		if (l->type[i] == type)
			r = i;
	uv_mutex_unlock(&l->mu);
	return r;
}

static int ev_wait(struct evlog *l, int from, enum nvmf_event_type type)
{
	for (int t = 0; t < WAIT_MS && ev_find(l, from, type) < 0; t++)
		uv_sleep(1);
	if (ev_find(l, from, type) < 0)
		fail_msg("no event %d after event %d within %d ms", type, from, WAIT_MS);
	return ev_find(l, from, type);
}

static void ev_setup(struct env *e, struct evlog *l)
{
	memset(l, 0, sizeof(*l));
	uv_mutex_init(&l->mu);
	e->o.event_cb = ev_cb;
	e->o.event_user = l;
	e->o.ctrl_loss_tmo = -1;
	e->o.reconnect_delay = 1;
}

static struct nvmf_ctrl_state_info state_of(struct nvmf_ctrl *c)
{
	struct nvmf_ctrl_state_info st;

	assert_int_equal(nvmf_ctrl_get_state(c, &st), 0);
	return st;
}

/* ---- Reconnects --------------------------------------------------------------------- */

/* Every connection dropped: the reconnect authenticates every queue again. */
static void test_reconnect_authenticates(void **state)
{
	struct setup s = { .hash = AUTH_HASH_SHA384, .dhgroup = AUTH_DHGROUP_2048, .bidi = true,
			   .nq = 2 };
	struct env e;
	struct evlog l;
	struct nvmf_ctrl *c;
	struct fake_stats st;
	uint8_t buf[4096];
	int lost, back;

	(void)state;
	env_start(&e, &s);
	ev_setup(&e, &l);
	assert_int_equal(nvmf_connect(&e.o, &c), 0);
	st = stats(&e);
	assert_int_equal(st.auth_ok, 3);

	fake_ctrl_drop(e.fc);
	lost = ev_wait(&l, 0, NVMF_EVENT_CONN_LOST);
	back = ev_wait(&l, lost, NVMF_EVENT_RECONNECTED);
	assert_true(back > lost);
	assert_int_equal(state_of(c).state, NVMF_CTRL_LIVE);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);

	/* And once more, by request. */
	assert_int_equal(nvmf_reconnect(c), 0);
	ev_wait(&l, back + 1, NVMF_EVENT_RECONNECTED);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), 0);
	st = stats(&e);
	assert_int_equal(nvmf_disconnect(c), 0);
	fake_ctrl_stop(e.fc, NULL);
	uv_mutex_destroy(&l.mu);

	assert_host_clean(&st);
	assert_int_equal(st.admin_connects, 3);
	assert_int_equal(st.auth_ok, 9);
	for (int q = 0; q <= 2; q++)
		assert_int_equal(st.auth_ok_qid[q], 3);
	assert_int_equal(st.auth_success2s, 9);
	assert_int_equal(st.auth_failure1s + st.auth_failure2s, 0);
}

/*
 * The controller comes back holding another secret for this host (a
 * rotated key): the reconnect is refused with Failure1, which is
 * permanent: no further attempt, DEAD, GAVE_UP saying so.
 */
static void test_reconnect_refused_is_permanent(void **state)
{
	struct setup s = { .hash = AUTH_HASH_SHA256, .dhgroup = AUTH_DHGROUP_NULL, .nq = 1 };
	struct env e, e2;
	struct evlog l;
	struct nvmf_ctrl *c;
	struct nvmf_ctrl_state_info cs;
	struct fake_stats st;
	uint8_t buf[4096];
	int lost, gu;

	(void)state;
	env_start(&e, &s);
	ev_setup(&e, &l);
	assert_int_equal(nvmf_connect(&e.o, &c), 0);
	s.port = fake_ctrl_port(e.fc);
	fake_ctrl_stop(e.fc, NULL);
	lost = ev_wait(&l, 0, NVMF_EVENT_CONN_LOST);

	s.wrong_key = true;
	env_start(&e2, &s);
	gu = ev_wait(&l, lost, NVMF_EVENT_GAVE_UP);
	assert_msg_has(l.msg[gu], "reconnecting stopped after attempt");
	assert_msg_has(l.msg[gu], "refused");
	assert_msg_has(l.msg[gu], "authentication failed");
	assert_no_secret(&e, l.msg[gu]);
	cs = state_of(c);
	assert_int_equal(cs.state, NVMF_CTRL_DEAD);
	assert_int_equal(cs.error, -EACCES);
	assert_no_secret(&e, cs.msg);
	assert_int_equal(nvmf_read(c, 1, buf, 0, 8, 0), -ECONNRESET);
	/* No attempt after the refusal (reconnect_delay is 1 s). */
	uv_sleep(1500);
	st = stats(&e2);
	assert_int_equal(st.admin_connects, 1);
	assert_int_equal(st.auth_r1_wrong, 1);
	assert_int_equal(st.auth_failure1s, 1);
	assert_int_equal(st.auth_ok, 0);
	assert_int_equal(ev_find(&l, gu + 1, NVMF_EVENT_RECONNECTING), -1);
	nvmf_disconnect(c);
	fake_ctrl_stop(e2.fc, NULL);
	uv_mutex_destroy(&l.mu);
}

/* ---- Refusals ----------------------------------------------------------------------- */

/* The outcome of one failing connect. */
struct outcome {
	int      r;
	char     msg[1024];
	uint64_t ms;
	struct fake_stats st;
};

static void connect_fails(const struct setup *s, struct outcome *out, struct env *e)
{
	struct nvmf_ctrl *c = (void *)1;
	uint64_t t0;

	env_start(e, s);
	if (s->scenario == FAKE_AUTH_NO_ANSWER)
		e->o.connect_timeout = 1;
	t0 = uv_hrtime();
	out->r = nvmf_connect(&e->o, &c);
	out->ms = (uv_hrtime() - t0) / 1000000;
	snprintf(out->msg, sizeof(out->msg), "%s", nvmf_get_error());
	if (getenv("NVMF_TEST_SHOW"))
		fprintf(stderr, "%s: %d %llu ms: %s\n", fake_scenario_name(s->scenario), out->r,
			(unsigned long long)((uv_hrtime() - t0) / 1000000), out->msg);
	if (out->r == 0) {
		nvmf_disconnect(c);
		fake_ctrl_stop(e->fc, NULL);
		fail_msg("scenario %s: connected", fake_scenario_name(s->scenario));
	}
	assert_null(c);
	assert_int_equal(nvmf_get_errno(), -out->r);
	fake_ctrl_stop(e->fc, &out->st);
	assert_no_secret(e, out->msg);
	/* Bounded: the connect timeout (5 s, 1 s for no-answer) and no more. */
	if (out->ms > (uint64_t)e->o.connect_timeout * 1000 + 2000)
		fail_msg("scenario %s took %llu ms", fake_scenario_name(s->scenario),
			 (unsigned long long)out->ms);
}

/* The wrong host secret: Failure1 "failed", -EACCES, named, permanent. */
static void test_wrong_secret(void **state)
{
	struct setup s = { .hash = AUTH_HASH_SHA256, .dhgroup = AUTH_DHGROUP_2048,
			   .wrong_key = true, .nq = 1 };
	struct outcome out;
	struct env e;

	(void)state;
	connect_fails(&s, &out, &e);
	assert_int_equal(out.r, -EACCES);
	assert_msg_has(out.msg, "authentication failed");
	assert_msg_has(out.msg, "refused");
	/* The codes as received, named or not. */
	assert_msg_has(out.msg, "reason code 01h, explanation 01h");
	assert_msg_has(out.msg, "check the DH-HMAC-CHAP secret");
	assert_host_clean(&out.st);
	assert_int_equal(out.st.auth_r1_wrong, 1);
	assert_int_equal(out.st.auth_failure1s, 1);
	assert_int_equal(out.st.auth_failure2s, 0);
	assert_int_equal(out.st.auth_ok, 0);
	assert_int_equal(out.st.connects, 1);	/* the admin queue, and nothing after */
}

/* The same, against a controller that closes the connection instead (nvmet). */
static void test_wrong_secret_closed(void **state)
{
	struct setup s = { .scenario = FAKE_AUTH_FAIL_CLOSE, .hash = AUTH_HASH_SHA512,
			   .dhgroup = AUTH_DHGROUP_NULL, .bidi = true, .wrong_key = true, .nq = 1 };
	struct outcome out;
	struct env e;

	(void)state;
	connect_fails(&s, &out, &e);
	assert_int_equal(out.r, -EACCES);
	assert_msg_has(out.msg, "authentication failed, or the target closed the connection "
		       "during authentication");
	assert_int_equal(out.st.triggered, 1);
	assert_int_equal(out.st.auth_r1_wrong, 1);
	assert_int_equal(out.st.auth_failure1s, 0);
	assert_int_equal(out.st.auth_ok, 0);
	assert_host_clean(&out.st);
}

/* A controller that does not prove the controller secret: refused, Failure2. */
static void test_bad_r2(void **state)
{
	struct setup s = { .scenario = FAKE_AUTH_SUCCESS1_BAD_R2, .hash = AUTH_HASH_SHA256,
			   .dhgroup = AUTH_DHGROUP_2048, .bidi = true, .nq = 1 };
	struct outcome out;
	struct env e;

	(void)state;
	connect_fails(&s, &out, &e);
	assert_int_equal(out.r, -EACCES);
	assert_msg_has(out.msg, "did not prove");
	assert_int_equal(out.st.triggered, 1);
	assert_int_equal(out.st.auth_failure2s, 1);
	assert_int_equal(out.st.auth_failure2_expl, AUTH_FAILURE_FAILED);
	assert_true(out.st.auth_failure2_tid_ok);
	assert_int_equal(out.st.auth_success2s, 0);
	assert_int_equal(out.st.auth_ok, 0);
	assert_host_clean(&out.st);
}

/* The controller refuses the negotiation itself. */
static void test_failure1_at_challenge(void **state)
{
	struct setup s = { .scenario = FAKE_AUTH_FAILURE1_AT_CHALLENGE, .nq = 1 };
	struct outcome out;
	struct env e;

	(void)state;
	connect_fails(&s, &out, &e);
	assert_int_equal(out.r, -EACCES);
	assert_msg_has(out.msg, "refused");
	assert_msg_has(out.msg, "DH group not usable");
	assert_int_equal(out.st.auth_failure2s, 0);
	assert_host_clean(&out.st);
}

/* ---- A hostile controller ----------------------------------------------------------- */

struct hostile {
	enum fake_scenario scenario;
	uint8_t  dhgroup;
	bool     bidi;
	int      r;			/* the error */
	const char *has[3];		/* the message must say these */
	const char *lacks;		/* and not this */
	int      expl;			/* Failure2's explanation, -1 for none */
};

static void run_hostile(const struct hostile *h, uint16_t from_qid, int nq)
{
	struct setup s = { .scenario = h->scenario, .hash = AUTH_HASH_SHA256,
			   .dhgroup = h->dhgroup, .bidi = h->bidi, .nq = nq,
			   .from_qid = from_qid };
	struct outcome out;
	struct env e;

	connect_fails(&s, &out, &e);
	if (out.r != h->r)
		fail_msg("scenario %s: %d (%s), expected %d", fake_scenario_name(h->scenario),
			 out.r, out.msg, h->r);
	for (int i = 0; i < 3 && h->has[i]; i++)
		assert_msg_has(out.msg, h->has[i]);
	if (h->lacks)
		assert_msg_lacks(out.msg, h->lacks);
	if (out.st.triggered < 1)
		fail_msg("scenario %s never fired", fake_scenario_name(h->scenario));
	if (h->expl < 0) {
		assert_int_equal(out.st.auth_failure2s, 0);
	} else {
		if (out.st.auth_failure2s != 1)
			fail_msg("scenario %s: %u Failure2 received, expected 1 (%s)",
				 fake_scenario_name(h->scenario), out.st.auth_failure2s, out.msg);
		if (out.st.auth_failure2_expl != h->expl)
			fail_msg("scenario %s: Failure2 explanation %u, expected %d",
				 fake_scenario_name(h->scenario), out.st.auth_failure2_expl,
				 h->expl);
		assert_true(out.st.auth_failure2_tid_ok);
	}
	assert_int_equal(out.st.auth_ok, from_qid);	/* the queues before it did */
	assert_host_clean(&out.st);
}

#define CH "Challenge is not acceptable"
#define S1 "Success1 is not acceptable"

static const struct hostile hostile_challenge[] = {
	{ FAKE_AUTH_CHALLENGE_HL, AUTH_DHGROUP_NULL, false, -EPROTO,
	  { CH, "hash function not usable" }, NULL, AUTH_FAILURE_HASH_UNUSABLE },
	{ FAKE_AUTH_CHALLENGE_DHVLEN, AUTH_DHGROUP_NULL, false, -EPROTO,
	  { CH, "DH value length" }, NULL, AUTH_FAILURE_INCORRECT_PAYLOAD },
	{ FAKE_AUTH_CHALLENGE_DHVLEN, AUTH_DHGROUP_2048, false, -EPROTO,
	  { CH, "DH value length" }, NULL, AUTH_FAILURE_INCORRECT_PAYLOAD },
	{ FAKE_AUTH_HASH_UNKNOWN, AUTH_DHGROUP_NULL, false, -EPROTO,
	  { CH, "hash function not usable" }, NULL, AUTH_FAILURE_HASH_UNUSABLE },
	{ FAKE_AUTH_DHGROUP_UNKNOWN, AUTH_DHGROUP_2048, false, -EPROTO,
	  { CH, "DH group not usable" }, NULL, AUTH_FAILURE_DHGROUP_UNUSABLE },
	{ FAKE_AUTH_HASH_NOT_OFFERED, AUTH_DHGROUP_NULL, true, -EPROTO,
	  { CH, "hash function not usable" }, NULL, AUTH_FAILURE_HASH_UNUSABLE },
	{ FAKE_AUTH_DHGROUP_NOT_OFFERED, AUTH_DHGROUP_NULL, false, -EPROTO,
	  { CH, "DH group not usable" }, NULL, AUTH_FAILURE_DHGROUP_UNUSABLE },
	{ FAKE_AUTH_CHALLENGE_TID, AUTH_DHGROUP_2048, false, -EPROTO,
	  { CH, "another transaction ID" }, NULL, AUTH_FAILURE_INCORRECT_MESSAGE },
};

static const struct hostile hostile_dh[] = {
	{ FAKE_AUTH_DH_ZERO, AUTH_DHGROUP_2048, false, -EPROTO,
	  { "Diffie-Hellman (ffdhe2048)", "value is invalid" }, NULL,
	  AUTH_FAILURE_INCORRECT_PAYLOAD },
	{ FAKE_AUTH_DH_ONE, AUTH_DHGROUP_2048, false, -EPROTO,
	  { "Diffie-Hellman (ffdhe2048)", "value is invalid" }, NULL,
	  AUTH_FAILURE_INCORRECT_PAYLOAD },
	{ FAKE_AUTH_DH_P_MINUS_1, AUTH_DHGROUP_2048, true, -EPROTO,
	  { "Diffie-Hellman (ffdhe2048)", "value is invalid" }, NULL,
	  AUTH_FAILURE_INCORRECT_PAYLOAD },
	{ FAKE_AUTH_DH_FF, AUTH_DHGROUP_2048, false, -EPROTO,
	  { "Diffie-Hellman (ffdhe2048)", "value is invalid" }, NULL,
	  AUTH_FAILURE_INCORRECT_PAYLOAD },
};

static const struct hostile hostile_success1[] = {
	{ FAKE_AUTH_SUCCESS1_NO_R2, AUTH_DHGROUP_2048, true, -EPROTO,
	  { S1, "RVALID" }, NULL, AUTH_FAILURE_INCORRECT_PAYLOAD },
	{ FAKE_AUTH_SUCCESS1_R2_UNASKED, AUTH_DHGROUP_NULL, false, -EPROTO,
	  { S1, "RVALID" }, NULL, AUTH_FAILURE_INCORRECT_PAYLOAD },
};

static void test_hostile_challenge(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile_challenge) / sizeof(hostile_challenge[0]); i++)
		run_hostile(&hostile_challenge[i], 0, 1);
}

static void test_hostile_dh_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile_dh) / sizeof(hostile_dh[0]); i++)
		run_hostile(&hostile_dh[i], 0, 1);
}

static void test_hostile_success1(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile_success1) / sizeof(hostile_success1[0]); i++)
		run_hostile(&hostile_success1[i], 0, 1);
}

/*
 * A Success1 of another transaction: refused as such. The message must say
 * it is the transaction ID (as it does for the Challenge), not blame the
 * message type, which was right.
 */
static void test_success1_replayed_tid(void **state)
{
	static const struct hostile h = {
		FAKE_AUTH_SUCCESS1_TID, AUTH_DHGROUP_NULL, false, -EPROTO,
		{ S1, "transaction ID" }, NULL, AUTH_FAILURE_INCORRECT_MESSAGE,
	};

	(void)state;
	run_hostile(&h, 0, 1);
}

/*
 * Success1 where the Challenge belongs, and garbage: "unexpected message",
 * and nothing about a transaction ID (there is none to compare in garbage,
 * and the Success1 carried ours).
 */
static void test_out_of_order(void **state)
{
	static const struct hostile h = {
		FAKE_AUTH_SUCCESS1_FIRST, AUTH_DHGROUP_NULL, false, -EPROTO,
		{ CH, "unexpected authentication message" }, "transaction ID",
		AUTH_FAILURE_INCORRECT_MESSAGE,
	};

	(void)state;
	run_hostile(&h, 0, 1);
}

static void test_garbage(void **state)
{
	static const struct hostile h = {
		FAKE_AUTH_RECV_GARBAGE, AUTH_DHGROUP_NULL, false, -EPROTO,
		{ CH, "unexpected authentication message" }, "transaction ID",
		AUTH_FAILURE_INCORRECT_MESSAGE,
	};

	(void)state;
	run_hostile(&h, 0, 1);
}

/* Garbage on the second I/O queue only: the bring-up fails cleanly there. */
static void test_garbage_on_io_queue(void **state)
{
	static const struct hostile h = {
		FAKE_AUTH_RECV_GARBAGE, AUTH_DHGROUP_2048, true, -EPROTO,
		{ "queue 2: authentication", CH }, NULL, AUTH_FAILURE_INCORRECT_MESSAGE,
	};

	(void)state;
	run_hostile(&h, 2, 3);
}

/* The Challenge's data ends inside C1: the transport refuses the Receive. */
static void test_challenge_short(void **state)
{
	static const struct hostile h = {
		FAKE_AUTH_CHALLENGE_SHORT, AUTH_DHGROUP_NULL, false, -EPROTO,
		{ "queue 0", "Authentication Receive" }, NULL, -1,
	};

	(void)state;
	run_hostile(&h, 0, 1);
}

/* Error statuses on Send and Receive: the controller's refusal, by name; only a
 * refusal with DNR is permanent (-EACCES). */
static void test_error_status(void **state)
{
	static const struct hostile send = {
		FAKE_AUTH_SEND_ERROR, AUTH_DHGROUP_NULL, false, -EACCES,
		{ "refused our offer", "Invalid Field in Command" }, NULL, -1,
	};
	/* Internal Error without DNR: the controller allows a retry, so it is
	 * -EIO (not -EACCES, which would stop a reconnect for good). */
	static const struct hostile recv = {
		FAKE_AUTH_RECV_ERROR, AUTH_DHGROUP_NULL, false, -EIO,
		{ "refused", "Internal Error" }, NULL, -1,
	};

	(void)state;
	run_hostile(&send, 0, 1);
	assert_int_equal(nvmf_get_status(), NVMF_SF(0, 0x02, 1));
	run_hostile(&recv, 0, 1);
	assert_int_equal(nvmf_get_status(), NVMF_SF(0, 0x06, 0));
}

/* No answer to the Challenge's Receive: the connect timeout ends it. */
static void test_no_answer(void **state)
{
	struct setup s = { .scenario = FAKE_AUTH_NO_ANSWER, .nq = 1 };
	struct outcome out;
	struct env e;

	(void)state;
	connect_fails(&s, &out, &e);
	assert_int_equal(out.r, -ETIMEDOUT);
	assert_msg_has(out.msg, "authentication");
	assert_true(out.ms >= 900);
	assert_int_equal(out.st.triggered, 1);
	assert_int_equal(out.st.auth_ok, 0);
	assert_host_clean(&out.st);
}

/*
 * TLS set-up mistakes of the host's own (a missing key file, a malformed
 * key) fail the connect before any network I/O: the message says what
 * was wrong, names the queue once, and does not read as a network failure.
 */
static void tls_local_fails(const char *key, const char *file, int err, const char *want)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;
	const char *msg, *q;

	nvmf_opts_init(&o);
	snprintf(o.traddr, sizeof(o.traddr), "127.0.0.1");
	snprintf(o.trsvcid, sizeof(o.trsvcid), "1");
	snprintf(o.subnqn, sizeof(o.subnqn), "nqn.2014-08.org.nvmexpress:fake");
	o.tls = true;
	snprintf(o.tls_key, sizeof(o.tls_key), "%s", key);
	snprintf(o.tls_key_file, sizeof(o.tls_key_file), "%s", file);
	o.connect_timeout = 5;
	assert_int_equal(nvmf_connect(&o, &c), err);
	assert_null(c);
	msg = nvmf_get_error();
	assert_msg_has(msg, want);
	assert_msg_lacks(msg, "cannot connect");
	q = strstr(msg, "queue 0:");
	if (!q || strstr(q + 1, "queue 0:"))
		fail_msg("the queue named other than once: \"%s\"", msg);
}

static void test_tls_local_errors(void **state)
{
	(void)state;
	tls_local_fails("", "/nonexistent/tls-keys", -ENOENT,
			"queue 0: TLS: no key given and no key file /nonexistent/tls-keys");
	tls_local_fails("NVMeTLSkey-1:01:!!!!:", "", -EINVAL, "queue 0: TLS key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_bidi_controller_never_asks),
		cmocka_unit_test(test_ffdhe8192),
		cmocka_unit_test(test_io_queues),
		cmocka_unit_test(test_dh_value_unpadded),
		cmocka_unit_test(test_tls_local_errors),
		cmocka_unit_test(test_reconnect_authenticates),
		cmocka_unit_test(test_reconnect_refused_is_permanent),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_wrong_secret_closed),
		cmocka_unit_test(test_bad_r2),
		cmocka_unit_test(test_failure1_at_challenge),
		cmocka_unit_test(test_hostile_challenge),
		cmocka_unit_test(test_hostile_dh_values),
		cmocka_unit_test(test_hostile_success1),
		cmocka_unit_test(test_success1_replayed_tid),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_garbage_on_io_queue),
		cmocka_unit_test(test_challenge_short),
		cmocka_unit_test(test_error_status),
		cmocka_unit_test(test_no_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
