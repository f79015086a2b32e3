/*
 * DH-HMAC-CHAP in-band authentication, the controller's side (NVMe Base
 * 2.0, 8.13.5; Fabrics commands Authentication Send 6.2 and Receive 6.1).
 * src/auth makes and checks the messages and does the cryptography; this
 * file runs the exchange on each queue, as Linux's nvmet does
 * (drivers/nvme/target/fabrics-cmd-auth.c, auth.c), with the differences
 * marked "nvmet:" below.
 *
 * Who authenticates: a host on a subsystem's allow-list that has a host
 * secret (ctl_subsys_secrets: never on the discovery subsystem, never with
 * any host allowed; a listed host without a secret connects without
 * authentication, as with nvmet). Every queue of its controller, admin and
 * I/O, gets AUTHREQ.ATR in its Connect response and must authenticate
 * before running anything but Fabrics commands (ctrl.c: Authentication
 * Required, DNR).
 *
 * One transaction per queue, in steps (enum step): each Send must carry
 * the message the step expects and the transaction's T_ID, each Receive
 * returns the message the step produces:
 *
 *   NEGOTIATE  --Send AUTH_Negotiate-->      CHALLENGE (hash and DH group
 *                                            picked by the policy)
 *   CHALLENGE  --Receive: Challenge-->       REPLY     (C1, S1, g^x mod p)
 *   REPLY      --Send Reply (R1 checked)-->  SUCCESS1
 *   SUCCESS1   --Receive: Success1-->        DONE, or SUCCESS2 with R2
 *                                            (bidirectional)
 *   SUCCESS2   --Send Success2-->            DONE
 *
 * A Negotiate restarts the transaction at any step (nvmet's "restart
 * negotiation"; on an authenticated queue it is a re-authentication, and
 * the admin queue's takes the configuration's current secrets, as
 * nvmet_setup_auth(ctrl, sq, true)). Any error moves to FAILURE1 with a
 * reason code explanation; the Send itself completes successfully and the
 * next Receive returns AUTH_Failure1, after which the controller is failed
 * (CSTS.CFS) and its queues closed, as nvmet_ctrl_fatal_error. nvmet: it
 * closes at once, without a Failure1, after a message of the wrong type or
 * step; here the host always gets its Failure1 first. A Receive when no
 * message is due returns Failure1 at once (nvmet: reason "failed"; here
 * "incorrect protocol message"). The host's AUTH_Failure2 ends it the same
 * way.
 *
 * Deadline: from the Connect (or, on an authenticated queue, from a
 * re-authentication's Negotiate) the transaction must succeed within the
 * listener's connect_timeout_ms, the bound the transport puts on ICReq and
 * Connect; else the controller is failed. A failed transaction waits for
 * its Receive no longer than that either. nvmet: its auth_expired_work
 * (KATO or 120 s) only resets the transaction.
 *
 * Logs: one INFO line per authenticated queue, one WARN line per failure
 * with its reason. No key, response or shared secret is ever logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>

#include "controller/ctl.h"

void ctl_auth_policy_default(struct ctl_auth_policy *p)
{
	/*
	 * nvmet's default for a host is hmac(sha256) and the null group
	 * (nvmet_hosts_make_group; dhchap_dhgroup zeroed): put them first,
	 * then every other hash and group, so that a host offering the usual
	 * lists gets what nvmet would pick. The ids are the HashIDs and
	 * DHgroupIDs of src/auth/auth.h.
	 */
	static const uint8_t hash[CTL_AUTH_NHASH] = { 0x01, 0x02, 0x03 };
	static const uint8_t dh[CTL_AUTH_NDH] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05 };

	memset(p, 0, sizeof(*p));
	p->nhash = CTL_AUTH_NHASH;
	memcpy(p->hash, hash, sizeof(hash));
	p->ndh = CTL_AUTH_NDH;
	memcpy(p->dh, dh, sizeof(dh));
}

#ifndef NVMF_WITH_TLS

/* Built without OpenSSL: the tools refuse secrets, so none is set. */
int ctl_auth_queue_init(struct ctl_queue *q)
{
	return q->ctrl && q->ctrl->host_secret.len ? -ENOTSUP : 0;
}

void ctl_auth_queue_fini(struct ctl_queue *q)
{
	(void)q;
}

void ctl_auth_send(struct ctl_req *req)
{
	ctl_req_complete(req, NVMF_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
}

void ctl_auth_recv(struct ctl_req *req)
{
	ctl_req_complete(req, NVMF_SC_INVALID_OPCODE | CTL_DNR, 0, 0);
}

#else /* NVMF_WITH_TLS */

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "auth/auth_chap.h"
#include "auth/auth_dh.h"
#include "auth/auth_msg.h"
#include "auth/auth_secret.h"

enum step {
	STEP_NEGOTIATE,		/* Send AUTH_Negotiate due */
	STEP_CHALLENGE,		/* Receive: the Challenge */
	STEP_REPLY,		/* Send DH-HMAC-CHAP_Reply due */
	STEP_SUCCESS1,		/* Receive: Success1 */
	STEP_SUCCESS2,		/* Send Success2 due (bidirectional) */
	STEP_FAILURE1,		/* Receive: Failure1, then the controller goes */
	STEP_DONE,		/* authenticated */
	STEP_CLOSING,		/* failed for good: the queues are closing */
};

struct ctl_auth {
	uv_timer_t timer;		/* the deadline; timer.data = this */
	struct ctl_queue *q;
	enum step step;
	uint8_t  failure;		/* explanation for Failure1 */
	uint16_t t_id;
	uint8_t  hash, dhgroup;		/* negotiated */
	uint32_t s1, s2;
	bool     bidi;			/* the host asked for R2 */
	bool     reauth;		/* the queue was authenticated before */
	uint32_t deadline_ms;
	struct auth_dh *dh;		/* our key pair, for the Challenge */
	uint8_t  c1[AUTH_HASH_MAX_LEN], c2[AUTH_HASH_MAX_LEN];
	uint8_t  skey[AUTH_DH_MAX_LEN];	/* shared secret g^xy mod p */
	size_t   skey_len;
};

static const char *step_name(enum step s)
{
	switch (s) {
	case STEP_NEGOTIATE: return "AUTH_Negotiate";
	case STEP_CHALLENGE: return "a Receive of the Challenge";
	case STEP_REPLY:     return "DH-HMAC-CHAP_Reply";
	case STEP_SUCCESS1:  return "a Receive of Success1";
	case STEP_SUCCESS2:  return "DH-HMAC-CHAP_Success2";
	case STEP_FAILURE1:  return "a Receive of AUTH_Failure1";
	case STEP_DONE:      return "no message (authenticated)";
	default:             return "no message (closing)";
	}
}

static const char *msg_name(uint8_t id)
{
	switch (id) {
	case AUTH_MSG_NEGOTIATE: return "AUTH_Negotiate";
	case AUTH_MSG_CHALLENGE: return "DH-HMAC-CHAP_Challenge";
	case AUTH_MSG_REPLY:     return "DH-HMAC-CHAP_Reply";
	case AUTH_MSG_SUCCESS1:  return "DH-HMAC-CHAP_Success1";
	case AUTH_MSG_SUCCESS2:  return "DH-HMAC-CHAP_Success2";
	case AUTH_MSG_FAILURE2:  return "AUTH_Failure2";
	case AUTH_MSG_FAILURE1:  return "AUTH_Failure1";
	default:                 return "an undefined message";
	}
}

/* "host H, queue Q" prefix of every log line, after the peer address. */
#define AUTH_LOG(a, level, fmt, ...)                                                   \
	ctl_log((a)->q->target, level, "%s: host %s, queue %u (controller %u): " fmt,   \
		(a)->q->x.peer, ctl_host_name((a)->q->ctrl->hostnqn), (a)->q->x.qid,     \
		(a)->q->ctrl->cntlid, __VA_ARGS__)

/* Forget the transaction's secrets (the queue's state stays). */
static void txn_wipe(struct ctl_auth *a)
{
	auth_dh_free(a->dh);
	a->dh = NULL;
	OPENSSL_cleanse(a->c1, sizeof(a->c1));
	OPENSSL_cleanse(a->c2, sizeof(a->c2));
	OPENSSL_cleanse(a->skey, sizeof(a->skey));
	a->skey_len = 0;
	a->s1 = a->s2 = 0;
	a->bidi = false;
}

static void deadline_cb(uv_timer_t *t)
{
	struct ctl_auth *a = t->data;
	struct ctl_ctrl *c = a->q->ctrl;

	if (a->step == STEP_CLOSING || c->dying)
		return;
	if (a->step == STEP_FAILURE1)
		AUTH_LOG(a, NVMF_LOG_WARN, "authentication failed and AUTH_Failure1 was not read "
			 "within %u ms; closing", a->deadline_ms);
	else
		AUTH_LOG(a, NVMF_LOG_WARN, "DH-HMAC-CHAP authentication failed: not completed "
			 "within %u ms (waiting for %s); closing", a->deadline_ms,
			 step_name(a->step));
	a->step = STEP_CLOSING;
	a->failure = AUTH_FAILURE_FAILED;
	a->q->authenticated = false;
	txn_wipe(a);
	ctl_ctrl_fatal(c, "authentication timed out");
}

static void deadline_start(struct ctl_auth *a)
{
	uv_timer_start(&a->timer, deadline_cb, a->deadline_ms, 0);
}

static struct ctl_auth *auth_new(struct ctl_queue *q)
{
	struct ctl_auth *a = calloc(1, sizeof(*a));
	uint32_t ms = q->x.listener ? q->x.listener->opts.connect_timeout_ms : 0;

	if (!a)
		return NULL;
	a->q = q;
	a->deadline_ms = ms ? ms : 10000;	/* the transport's default */
	uv_timer_init(q->target->loop, &a->timer);
	a->timer.data = a;
	q->auth = a;
	return a;
}

/*
 * A queue that needs no authentication, on the host's first Send or
 * Receive: it counts as authenticated (nvmet_check_auth_status with no host
 * key), so its commands keep running until the exchange fails.
 */
static struct ctl_auth *auth_lazy(struct ctl_queue *q)
{
	if (q->auth)
		return q->auth;
	if (!auth_new(q))
		return NULL;
	q->authenticated = true;
	return q->auth;
}

int ctl_auth_queue_init(struct ctl_queue *q)
{
	struct ctl_auth *a;

	q->authenticated = false;
	if (!q->ctrl->host_secret.len)
		return 0;
	a = auth_new(q);
	if (!a)
		return -ENOMEM;
	deadline_start(a);
	return 0;
}

static void auth_closed(uv_handle_t *h)
{
	free(h->data);
}

void ctl_auth_queue_fini(struct ctl_queue *q)
{
	struct ctl_auth *a = q->auth;

	if (!a)
		return;
	q->auth = NULL;
	txn_wipe(a);
	uv_timer_stop(&a->timer);
	uv_close((uv_handle_t *)&a->timer, auth_closed);
}

/* The transaction fails: Failure1 with this explanation on the next
 * Receive (bounded by the deadline). One WARN line, with the reason. */
static void fail(struct ctl_auth *a, uint8_t explanation, const char *why)
{
	AUTH_LOG(a, NVMF_LOG_WARN, "DH-HMAC-CHAP authentication failed: %s (AUTH_Failure1: %s)",
		 why, auth_failure_name(explanation));
	a->step = STEP_FAILURE1;
	a->failure = explanation;
	a->q->authenticated = false;
	txn_wipe(a);
	if (!uv_is_active((uv_handle_t *)&a->timer))
		deadline_start(a);
}

static void succeed(struct ctl_auth *a)
{
	AUTH_LOG(a, NVMF_LOG_INFO, "%s with DH-HMAC-CHAP (hash %s, DH group %s, %s)",
		 a->reauth ? "re-authenticated" : "authenticated", auth_hash_name(a->hash),
		 auth_dhgroup_name(a->dhgroup), a->bidi ? "bidirectional" : "unidirectional");
	a->step = STEP_DONE;
	a->q->authenticated = true;
	txn_wipe(a);
	uv_timer_stop(&a->timer);
}

/* The secret in src/auth's form; the caller wipes it. */
static void to_auth_secret(const struct ctl_secret *k, struct auth_secret *out)
{
	memset(out, 0, sizeof(*out));
	out->hash = k->hash;
	out->len = k->len;
	memcpy(out->key, k->key, k->len);
}

/* "sha256 sha512 0x09" for a log line: what the host offered. */
static void id_list(char *buf, size_t len, const uint8_t *ids, size_t n, bool groups)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && o + 1 < len; i++) {
		const char *name = groups ? auth_dhgroup_name(ids[i]) : auth_hash_name(ids[i]);
		int k = name && (groups || ids[i])
			? snprintf(buf + o, len - o, "%s%s", i ? " " : "", name)
			: snprintf(buf + o, len - o, "%s%#04x", i ? " " : "", ids[i]);

		if (k < 0 || (size_t)k >= len - o)
			break;
		o += (size_t)k;
	}
}

/* ---- Authentication Send ------------------------------------------------- */

static void on_negotiate(struct ctl_auth *a, const uint8_t *d, uint32_t tl, uint16_t t_id)
{
	struct ctl_queue *q = a->q;
	struct ctl_ctrl *c = q->ctrl;
	struct ctl_target *t = q->target;
	const struct ctl_auth_policy *sp = &c->subsys->auth;
	const uint8_t *hashes = sp->nhash ? sp->hash : t->auth.hash;
	const uint8_t *groups = sp->ndh ? sp->dh : t->auth.dh;
	size_t nhash = sp->nhash ? sp->nhash : t->auth.nhash;
	size_t ndh = sp->ndh ? sp->ndh : t->auth.ndh;
	struct auth_negotiate m;
	char why[224], offer[160];
	int rc;

	txn_wipe(a);
	a->reauth = q->authenticated;
	if (a->reauth)
		deadline_start(a);	/* a re-authentication gets its own */
	a->t_id = t_id;
	a->step = STEP_NEGOTIATE;
	/* The admin queue takes the configuration's current secrets (nvmet
	 * calls nvmet_setup_auth again on a Negotiate on queue 0). */
	if (q->x.qid == 0 && !c->subsys->removed)
		ctl_subsys_secrets(c->subsys, c->hostnqn, &c->host_secret, &c->ctrl_secret);
	rc = auth_negotiate_parse(d, tl, &m);
	if (rc != AUTH_OK)
		return fail(a, auth_failure_of(rc), auth_strerror(rc));
	/* Secure channel concatenation (a TLS PSK from the exchange) is not
	 * supported: nvmet without CONFIG_NVME_TARGET_TCP_TLS answers so. */
	if (m.sc_c != AUTH_SCC_NONE)
		return fail(a, AUTH_FAILURE_CONCAT_MISMATCH,
			    "secure channel concatenation is not supported");
	if (!c->host_secret.len)
		return fail(a, AUTH_FAILURE_FAILED,
			    "no DH-HMAC-CHAP secret is configured for this host");
	rc = auth_negotiate_pick(&m, hashes, nhash, groups, ndh, &a->hash, &a->dhgroup);
	if (rc == AUTH_ERR_MSG_HASH || rc == AUTH_ERR_MSG_DHGROUP) {
		bool h = rc == AUTH_ERR_MSG_HASH;

		id_list(offer, sizeof(offer), h ? m.hash : m.dh, h ? m.nhash : m.ndh, !h);
		snprintf(why, sizeof(why), "the host offers no %s the policy allows (offered: %s)",
			 h ? "hash function" : "DH group", offer);
		return fail(a, auth_failure_of(rc), why);
	}
	if (rc != AUTH_OK)
		return fail(a, AUTH_FAILURE_FAILED, auth_strerror(rc));
	a->step = STEP_CHALLENGE;
}

static void on_reply(struct ctl_auth *a, const uint8_t *d, uint32_t tl)
{
	struct ctl_ctrl *c = a->q->ctrl;
	size_t hl = auth_hash_len(a->hash);
	struct auth_reply m;
	struct auth_secret hs;
	struct auth_chap_input in;
	uint8_t r1[AUTH_HASH_MAX_LEN];
	char why[160];
	bool equal;
	int rc;

	rc = auth_reply_parse(d, tl, a->hash, a->dhgroup, &m);
	if (rc != AUTH_OK) {
		/* HL not the negotiated hash's length is a bad payload here,
		 * not an unusable hash. */
		snprintf(why, sizeof(why), "%s", auth_strerror(rc));
		return fail(a, rc == AUTH_ERR_MSG_HASH ? AUTH_FAILURE_INCORRECT_PAYLOAD
			    : auth_failure_of(rc), why);
	}
	if (a->dhgroup != AUTH_DHGROUP_NULL) {
		rc = auth_dh_shared(a->dh, m.dhv, m.dhvlen, a->skey, sizeof(a->skey));
		if (rc != AUTH_OK) {
			snprintf(why, sizeof(why), "the host's DH value: %s", auth_strerror(rc));
			/* nvmet: DH group not usable when the shared secret
			 * cannot be computed (nvmet_auth_ctrl_sesskey). */
			return fail(a, AUTH_FAILURE_DHGROUP_UNUSABLE, why);
		}
		a->skey_len = auth_dhgroup_len(a->dhgroup);
	}
	memset(&in, 0, sizeof(in));
	in.hash = a->hash;
	in.challenge = a->c1;
	in.seqnum = a->s1;
	in.t_id = a->t_id;
	in.sc_c = AUTH_SCC_NONE;
	in.hostnqn = c->hostnqn;
	in.subnqn = c->subsys->nqn;
	in.skey = a->skey_len ? a->skey : NULL;
	in.skey_len = a->skey_len;
	to_auth_secret(&c->host_secret, &hs);
	rc = auth_host_response(&hs, &in, r1);
	auth_secret_wipe(&hs);
	equal = rc == AUTH_OK && auth_response_equal(m.r1, r1, hl);	/* constant time */
	OPENSSL_cleanse(r1, sizeof(r1));
	if (rc != AUTH_OK)
		return fail(a, AUTH_FAILURE_FAILED, auth_strerror(rc));
	if (!equal)
		return fail(a, AUTH_FAILURE_FAILED,
			    "the host's response does not match its secret");
	/* Bidirectional: C2 with S2 != 0 (a C2 with S2 0 only feeds secure
	 * channel concatenation: nvmet then authenticates one way). */
	a->bidi = m.cvalid && m.seqnum != 0;
	if (a->bidi) {
		memcpy(a->c2, m.c2, hl);
		a->s2 = m.seqnum;
	}
	a->step = STEP_SUCCESS1;
}

void ctl_auth_send(struct ctl_req *req)
{
	struct ctl_queue *q = req->q;
	struct ctl_ctrl *c = q->ctrl;
	struct ctl_auth *a;
	const uint8_t *d = req->x.data;
	uint8_t type, id;
	uint16_t t_id;
	uint32_t tl = 0;
	char why[160];
	int rc;

	if (!c) {
		ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		return;
	}
	ctl_ctrl_touch(c);
	/* SECP E9h, SPSP0/1 01h, TL not 0; then TL is the data's length
	 * (nvmet_execute_auth_send, nvmet_check_transfer_len). */
	if (auth_cmd_check(req->x.sqe, &tl) != 0) {
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	if (req->x.dir != XP_DIR_H2C || req->x.xfer_len != tl || !d) {
		ctl_req_complete(req, NVMF_SC_SGL_INVALID_DATA_LEN | CTL_DNR, 0, 0);
		return;
	}
	if (!(a = auth_lazy(q))) {
		ctl_req_complete(req, NVMF_SC_INTERNAL_ERROR, 0, 0);
		return;
	}
	if (a->step == STEP_FAILURE1 || a->step == STEP_CLOSING) {
		/* The failure stands; the next Receive reports it. */
		ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
		return;
	}
	rc = auth_msg_peek(d, tl, &type, &id, &t_id);
	if (rc != AUTH_OK) {
		fail(a, rc == AUTH_ERR_MSG_SHORT ? AUTH_FAILURE_INCORRECT_PAYLOAD
		     : AUTH_FAILURE_INCORRECT_MESSAGE, auth_strerror(rc));
	} else if (id == AUTH_MSG_NEGOTIATE) {
		on_negotiate(a, d, tl, t_id);
	} else if (id == AUTH_MSG_FAILURE2) {
		struct auth_failure_msg f;

		rc = auth_failure_parse(d, tl, AUTH_MSG_FAILURE2, &f);
		AUTH_LOG(a, NVMF_LOG_WARN, "DH-HMAC-CHAP authentication failed: the host ended it "
			 "with AUTH_Failure2 (%s); closing",
			 rc == AUTH_OK ? auth_failure_name(f.explanation) : "unreadable");
		a->step = STEP_CLOSING;
		a->failure = AUTH_FAILURE_FAILED;
		q->authenticated = false;
		txn_wipe(a);
		uv_timer_stop(&a->timer);
		ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
		ctl_ctrl_fatal(c, "authentication failed (AUTH_Failure2)");
		return;
	} else if (!((a->step == STEP_REPLY && id == AUTH_MSG_REPLY) ||
		     (a->step == STEP_SUCCESS2 && id == AUTH_MSG_SUCCESS2))) {
		snprintf(why, sizeof(why), "%s received while waiting for %s", msg_name(id),
			 step_name(a->step));
		fail(a, AUTH_FAILURE_INCORRECT_MESSAGE, why);
	} else if (t_id != a->t_id) {
		/* nvmet: incorrect payload for a foreign T_ID. */
		snprintf(why, sizeof(why), "%s for transaction %u, not %u", msg_name(id), t_id,
			 a->t_id);
		fail(a, AUTH_FAILURE_INCORRECT_PAYLOAD, why);
	} else if (id == AUTH_MSG_REPLY) {
		on_reply(a, d, tl);
	} else {
		rc = auth_success2_parse(d, tl, NULL);
		if (rc != AUTH_OK)
			fail(a, auth_failure_of(rc), auth_strerror(rc));
		else
			succeed(a);
	}
	ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
}

/* ---- Authentication Receive ---------------------------------------------- */

/* The Challenge into buf (al bytes, zeroed): its length, or an auth_err. */
static int make_challenge(struct ctl_auth *a, uint8_t *buf, uint32_t al)
{
	size_t hl = auth_hash_len(a->hash), dl = auth_dhgroup_len(a->dhgroup);
	uint8_t pub[AUTH_DH_MAX_LEN];
	struct auth_challenge m;
	int rc;

	rc = auth_random(a->c1, hl);
	if (rc == AUTH_OK)
		rc = auth_random_seqnum(&a->s1);
	if (rc == AUTH_OK && dl) {
		auth_dh_free(a->dh);
		a->dh = NULL;
		rc = auth_dh_new(a->dhgroup, &a->dh);
		if (rc == AUTH_OK)
			rc = auth_dh_public(a->dh, pub, sizeof(pub));
	}
	if (rc != AUTH_OK)
		return rc;
	memset(&m, 0, sizeof(m));
	m.t_id = a->t_id;
	m.hash = a->hash;
	m.dhgroup = a->dhgroup;
	m.seqnum = a->s1;
	m.c1 = a->c1;
	m.dhv = dl ? pub : NULL;
	m.dhvlen = (uint16_t)dl;
	return auth_challenge_build(&m, buf, al);
}

/* Success1 (with R2 when the host asked) into buf: length or auth_err. */
static int make_success1(struct ctl_auth *a, uint8_t *buf, uint32_t al)
{
	struct ctl_ctrl *c = a->q->ctrl;
	struct auth_success1 m;
	uint8_t r2[AUTH_HASH_MAX_LEN];
	int rc = AUTH_OK;

	memset(&m, 0, sizeof(m));
	m.t_id = a->t_id;
	m.hash = a->hash;
	if (a->bidi) {
		struct auth_chap_input in;
		struct auth_secret cs;

		memset(&in, 0, sizeof(in));
		in.hash = a->hash;
		in.challenge = a->c2;
		in.seqnum = a->s2;
		in.t_id = a->t_id;
		in.sc_c = AUTH_SCC_NONE;	/* Linux hashes 00h into R2 */
		in.hostnqn = c->hostnqn;
		in.subnqn = c->subsys->nqn;
		in.skey = a->skey_len ? a->skey : NULL;
		in.skey_len = a->skey_len;
		to_auth_secret(&c->ctrl_secret, &cs);
		rc = auth_ctrl_response(&cs, &in, r2);
		auth_secret_wipe(&cs);
		m.rvalid = true;
		m.r2 = r2;
	}
	if (rc == AUTH_OK)
		rc = auth_success1_build(&m, buf, al);
	OPENSSL_cleanse(r2, sizeof(r2));
	return rc;
}

/* Complete a Receive with AUTH_Failure1, then fail the controller. */
static void send_failure1(struct ctl_req *req, struct ctl_auth *a, uint8_t *buf, uint32_t al)
{
	struct ctl_ctrl *c = a->q->ctrl;

	auth_failure_build(AUTH_MSG_FAILURE1, a->t_id, a->failure, buf, al);
	AUTH_LOG(a, NVMF_LOG_INFO, "AUTH_Failure1 (%s) returned; closing",
		 auth_failure_name(a->failure));
	a->step = STEP_CLOSING;
	uv_timer_stop(&a->timer);
	ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
	ctl_ctrl_fatal(c, "authentication failed");
}

void ctl_auth_recv(struct ctl_req *req)
{
	struct ctl_queue *q = req->q;
	struct ctl_ctrl *c = q->ctrl;
	struct ctl_auth *a;
	uint8_t *buf = req->x.data;
	uint32_t al = 0, need;
	size_t hl;
	char why[160];
	int rc;

	if (!c) {
		ctl_req_complete(req, NVMF_SC_CMD_SEQ_ERROR | CTL_DNR, 0, 0);
		return;
	}
	ctl_ctrl_touch(c);
	if (auth_cmd_check(req->x.sqe, &al) != 0) {
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	if (req->x.dir != XP_DIR_C2H || req->x.xfer_len != al || !buf) {
		ctl_req_complete(req, NVMF_SC_SGL_INVALID_DATA_LEN | CTL_DNR, 0, 0);
		return;
	}
	if (!(a = auth_lazy(q))) {
		ctl_req_complete(req, NVMF_SC_INTERNAL_ERROR, 0, 0);
		return;
	}
	/* AL bytes go back: the message, zeroes after it (nvmet). Pool
	 * buffers of large transfers are not zeroed. */
	memset(buf, 0, al);
	hl = auth_hash_len(a->hash);
	/* Room for what is due, else Invalid Field and no change: the host
	 * may ask again with a larger AL (nvmet_auth_receive_data_len). */
	switch (a->step) {
	case STEP_CHALLENGE:
		need = (uint32_t)(AUTH_HDR_LEN + hl + auth_dhgroup_len(a->dhgroup));
		break;
	case STEP_SUCCESS1:
		need = a->bidi && !c->ctrl_secret.len ? AUTH_FAILURE_LEN
		       : (uint32_t)(AUTH_HDR_LEN + (a->bidi ? hl : 0));
		break;
	default:
		need = AUTH_FAILURE_LEN;
		break;
	}
	if (al < need) {
		ctl_req_complete(req, NVMF_SC_INVALID_FIELD | CTL_DNR, 0, 0);
		return;
	}
	switch (a->step) {
	case STEP_CHALLENGE:
		rc = make_challenge(a, buf, al);
		if (rc < 0) {
			memset(buf, 0, al);
			fail(a, AUTH_FAILURE_FAILED, auth_strerror(rc));
			break;
		}
		a->step = STEP_REPLY;
		ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
		return;
	case STEP_SUCCESS1:
		if (a->bidi && !c->ctrl_secret.len) {
			/* nvmet_auth_success1: no controller key, Failure1. */
			fail(a, AUTH_FAILURE_FAILED, "the host asked for bidirectional "
			     "authentication and no controller secret is configured for it");
			break;
		}
		rc = make_success1(a, buf, al);
		if (rc < 0) {
			memset(buf, 0, al);
			fail(a, AUTH_FAILURE_FAILED, auth_strerror(rc));
			break;
		}
		if (a->bidi) {
			a->step = STEP_SUCCESS2;
			/* R2 is out; C2 and the shared secret are no longer
			 * needed. */
			OPENSSL_cleanse(a->c2, sizeof(a->c2));
			OPENSSL_cleanse(a->skey, sizeof(a->skey));
			a->skey_len = 0;
		} else {
			succeed(a);
		}
		ctl_req_complete(req, NVMF_SC_SUCCESS, 0, 0);
		return;
	case STEP_FAILURE1:
	case STEP_CLOSING:
		break;
	default:
		/* Nothing is due: a Receive out of order. */
		snprintf(why, sizeof(why), "Authentication Receive while waiting for %s",
			 step_name(a->step));
		fail(a, AUTH_FAILURE_INCORRECT_MESSAGE, why);
		break;
	}
	send_failure1(req, a, buf, al);
}

#endif /* NVMF_WITH_TLS */
