/*
 * DH-HMAC-CHAP on one queue, the host's side (NVMe Base 2.0, 8.13.5;
 * Fabrics commands Authentication Send and Receive). The bring-up runs it
 * right after a Connect whose response set AUTHREQ.ATR, on that queue,
 * before the queue takes any other command; every queue authenticates, and
 * so does every reconnect (the bring-up runs again).
 *
 *   AUTH_Negotiate         Send     every hash and DH group we know, the
 *                                   full lists (nvmet refuses an offer of
 *                                   only the NULL group)
 *   Challenge              Receive  the controller's hash, group, S1, C1
 *                                   and its DH value
 *   Reply                  Send     R1; with a controller secret, C2 and S2
 *                                   (bidirectional)
 *   Success1               Receive  with R2 when asked: checked
 *   Success2               Send     only after a checked R2
 *
 * Either side may stop it: the controller with AUTH_Failure1 (we report its
 * reason), we with AUTH_Failure2 when its message is malformed or its R2 is
 * wrong. Linux's nvmet closes the connection after a failure instead of
 * answering the Receive, so a connection lost once our Reply is out is
 * reported as what it most likely is. Every command is bounded by the
 * connect timeout.
 *
 * Secrets are parsed from the options at each run and wiped with every
 * intermediate value (DH private key, shared secret, responses) when the run
 * ends, whichever way. A failed authentication is permanent for the
 * reconnect machine (nvmf.h, OUTAGES): retrying with the same secret would
 * fail again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

#ifdef NVMF_WITH_TLS
#include <openssl/crypto.h>

#include "auth/auth.h"
#include "auth/auth_chap.h"
#include "auth/auth_dh.h"
#include "auth/auth_msg.h"
#include "auth/auth_secret.h"

enum ha_step {
	HA_NEGOTIATE,		/* Send AUTH_Negotiate */
	HA_CHALLENGE,		/* Receive the Challenge */
	HA_REPLY,		/* Send the Reply */
	HA_SUCCESS1,		/* Receive Success1 */
	HA_SUCCESS2,		/* Send Success2 */
	HA_FAILURE2,		/* Send AUTH_Failure2, then report */
};

/* What we offer: all of it, strongest hash first as Linux does. */
static const uint8_t offer_hash[] = {
	AUTH_HASH_SHA256, AUTH_HASH_SHA384, AUTH_HASH_SHA512,
};
static const uint8_t offer_dh[] = {
	AUTH_DHGROUP_NULL, AUTH_DHGROUP_2048, AUTH_DHGROUP_3072, AUTH_DHGROUP_4096,
	AUTH_DHGROUP_6144, AUTH_DHGROUP_8192,
};

struct host_auth {
	struct nvmf_ctrl  *c;
	struct host_queue *q;
	void   (*done)(void *arg, int r, const char *msg);
	void    *arg;
	enum ha_step step;
	uint32_t timeout_ms;
	uint16_t t_id;
	uint8_t  hash, dhgroup;
	size_t   hl;
	bool     bidi;			/* we asked for R2 */
	bool     reply_sent;		/* our Reply is out: a loss now is a refusal */
	uint32_t s2;
	uint8_t  c2[AUTH_HASH_MAX_LEN];
	struct auth_secret host_secret, ctrl_secret;
	uint8_t  skey[AUTH_DH_MAX_LEN];	/* shared DH secret */
	size_t   skey_len;
	/* The failure to report once Failure2 is out. */
	int      fail_r;
	char     fail_msg[HOST_MSG_MAX];
	uint8_t  buf[AUTH_RECV_AL];	/* every message, both ways */
};

static void ha_free(struct host_auth *a)
{
	auth_secret_wipe(&a->host_secret);
	auth_secret_wipe(&a->ctrl_secret);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

static void ha_finish(struct host_auth *a, int r, const char *msg)
{
	void (*done)(void *, int, const char *) = a->done;
	void *arg = a->arg;
	char text[HOST_MSG_MAX];

	snprintf(text, sizeof(text), "%s", msg ? msg : "");
	if (r < 0)
		a->c->permanent = a->c->permanent || r == -EACCES;
	ha_free(a);
	done(arg, r, text);
}

static void ha_failf(struct host_auth *a, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ha_failf(struct host_auth *a, int r, const char *fmt, ...)
{
	char msg[HOST_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ha_finish(a, r, msg);
}

static void ha_cmd_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl);

/* One Authentication Send (len bytes of a->buf) or Receive (into a->buf). */
static void ha_submit(struct host_auth *a, bool send, uint32_t len, const char *what)
{
	struct host_req *req = host_req_new(a->c, a->q->qid == 0, what);
	int64_t r;

	if (!req) {
		ha_failf(a, -ENOMEM, "queue %u: %s: out of memory", a->q->qid, what);
		return;
	}
	if (send) {
		struct nvmf_auth_send_cmd cmd;

		auth_cmd_send_init(&cmd, len);
		memcpy(&req->xc.sqe, &cmd, sizeof(req->xc.sqe));
		req->xc.dir = XP_DIR_H2C;
	} else {
		struct nvmf_auth_recv_cmd cmd;

		auth_cmd_recv_init(&cmd, len);
		memcpy(&req->xc.sqe, &cmd, sizeof(req->xc.sqe));
		req->xc.dir = XP_DIR_C2H;
		memset(a->buf, 0, len);
	}
	req->xc.buf = a->buf;
	req->xc.len = len;
	req->q = a->q;
	req->connect = true;	/* the queue is not ready until this ends */
	req->internal = true;
	req->xc.timeout_ms = a->timeout_ms;
	req->cb.cb = ha_cmd_done;
	req->cb.user = a;
	r = host_submit(req);
	if (r < 0)
		ha_failf(a, (int)r, "queue %u: %s: %s", a->q->qid, what, nvmf_get_error());
}

/* We stop it: AUTH_Failure2 with the reason, then report r and msg. */
static void ha_refuse(struct host_auth *a, uint8_t explanation, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void ha_refuse(struct host_auth *a, uint8_t explanation, int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(a->fail_msg, sizeof(a->fail_msg), fmt, ap);
	va_end(ap);
	a->fail_r = r;
	n = auth_failure_build(AUTH_MSG_FAILURE2, a->t_id, explanation, a->buf, sizeof(a->buf));
	if (n < 0) {
		ha_finish(a, r, a->fail_msg);
		return;
	}
	a->step = HA_FAILURE2;
	ha_submit(a, true, (uint32_t)n, "Authentication Send (Failure2)");
}

static void ha_negotiate(struct host_auth *a)
{
	struct auth_negotiate m;
	int n;

	memset(&m, 0, sizeof(m));
	m.t_id = a->t_id;
	m.sc_c = AUTH_SCC_NONE;
	m.nhash = sizeof(offer_hash);
	memcpy(m.hash, offer_hash, sizeof(offer_hash));
	m.ndh = sizeof(offer_dh);
	memcpy(m.dh, offer_dh, sizeof(offer_dh));
	n = auth_negotiate_build(&m, a->buf, sizeof(a->buf));
	if (n < 0) {
		ha_failf(a, -EINVAL, "queue %u: authentication: %s", a->q->qid, auth_strerror(n));
		return;
	}
	a->step = HA_NEGOTIATE;
	ha_submit(a, true, (uint32_t)n, "Authentication Send (Negotiate)");
}

/* A Failure1 where we waited for another message: the controller's no. */
static bool ha_failure1(struct host_auth *a)
{
	struct auth_failure_msg f;
	uint8_t type, id;
	uint16_t t_id;

	if (auth_msg_peek(a->buf, sizeof(a->buf), &type, &id, &t_id) != 0 ||
	    id != AUTH_MSG_FAILURE1 || auth_failure_parse(a->buf, sizeof(a->buf), id, &f) != 0)
		return false;
	/* The codes as received too: an explanation this host has no name
	 * for is otherwise just "unknown reason" (Base 2.0, Figure 656). */
	ha_failf(a, -EACCES, "queue %u: authentication failed: the controller refused it "
		 "(%s; reason code %02xh, explanation %02xh)%s",
		 a->q->qid, auth_failure_name(f.explanation), f.reason, f.explanation,
		 f.explanation == AUTH_FAILURE_FAILED ? ": check the DH-HMAC-CHAP secret" : "");
	return true;
}

static bool offered(const uint8_t *list, size_t n, uint8_t id)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

/* The Challenge: our DH half, the shared secret, R1 and the Reply. */
static void ha_challenge(struct host_auth *a)
{
	struct nvmf_ctrl *c = a->c;
	struct auth_challenge ch;
	struct auth_chap_input in;
	struct auth_dh *dh = NULL;
	uint8_t r1[AUTH_HASH_MAX_LEN], dhv[AUTH_DH_MAX_LEN];
	size_t dhvlen = 0;
	struct auth_reply rep;
	bool other_tid;
	int rc, n;

	if (ha_failure1(a))
		return;
	rc = auth_challenge_parse(a->buf, sizeof(a->buf), &ch);
	other_tid = rc == 0 && ch.t_id != a->t_id;
	if (other_tid)
		rc = AUTH_ERR_MSG_TYPE;
	if (rc == 0 && !offered(offer_hash, sizeof(offer_hash), ch.hash))
		rc = AUTH_ERR_MSG_HASH;
	if (rc == 0 && !offered(offer_dh, sizeof(offer_dh), ch.dhgroup))
		rc = AUTH_ERR_MSG_DHGROUP;
	if (rc != 0) {
		ha_refuse(a, auth_failure_of(rc), -EPROTO, "queue %u: authentication: the "
			  "controller's Challenge is not acceptable: %s", a->q->qid,
			  other_tid ? "another transaction ID (a replayed or foreign message)"
				    : auth_strerror(rc));
		return;
	}
	a->hash = ch.hash;
	a->dhgroup = ch.dhgroup;
	a->hl = auth_hash_len(ch.hash);
	if (ch.dhgroup != AUTH_DHGROUP_NULL) {
		/* Both values are the group's size (auth_dh.h). */
		rc = auth_dh_new(ch.dhgroup, &dh);
		if (rc == 0)
			rc = auth_dh_public(dh, dhv, sizeof(dhv));
		if (rc == 0)
			rc = auth_dh_shared(dh, ch.dhv, ch.dhvlen, a->skey, sizeof(a->skey));
		if (rc == 0)
			dhvlen = a->skey_len = auth_dhgroup_len(ch.dhgroup);
		auth_dh_free(dh);
		if (rc != 0) {
			ha_refuse(a, auth_failure_of(rc), -EPROTO, "queue %u: authentication: "
				  "Diffie-Hellman (%s) with the controller's value failed: %s",
				  a->q->qid, auth_dhgroup_name(ch.dhgroup), auth_strerror(rc));
			return;
		}
	}
	memset(&in, 0, sizeof(in));
	in.hash = ch.hash;
	in.challenge = ch.c1;
	in.seqnum = ch.seqnum;
	in.t_id = a->t_id;
	in.sc_c = AUTH_SCC_NONE;
	in.hostnqn = c->opts.hostnqn;
	in.subnqn = c->opts.subnqn;
	in.skey = a->skey_len ? a->skey : NULL;
	in.skey_len = a->skey_len;
	rc = auth_host_response(&a->host_secret, &in, r1);
	if (rc == 0 && a->bidi) {
		rc = auth_random(a->c2, a->hl);
		if (rc == 0)
			rc = auth_random_seqnum(&a->s2);
	}
	if (rc != 0) {
		OPENSSL_cleanse(r1, sizeof(r1));
		ha_refuse(a, AUTH_FAILURE_FAILED, -EIO, "queue %u: authentication: computing "
			  "the response failed: %s", a->q->qid, auth_strerror(rc));
		return;
	}
	memset(&rep, 0, sizeof(rep));
	rep.t_id = a->t_id;
	rep.hash = ch.hash;
	rep.dhgroup = ch.dhgroup;
	rep.cvalid = a->bidi;
	rep.seqnum = a->bidi ? a->s2 : 0;
	rep.r1 = r1;
	rep.c2 = a->bidi ? a->c2 : NULL;
	rep.dhv = dhvlen ? dhv : NULL;
	rep.dhvlen = (uint16_t)dhvlen;
	/* ch points into a->buf: build into a copy first. */
	{
		uint8_t out[AUTH_MSG_MAX];

		n = auth_reply_build(&rep, out, sizeof(out));
		if (n > 0)
			memcpy(a->buf, out, (size_t)n);
		OPENSSL_cleanse(out, sizeof(out));
	}
	OPENSSL_cleanse(r1, sizeof(r1));
	OPENSSL_cleanse(dhv, sizeof(dhv));
	if (n < 0) {
		ha_refuse(a, AUTH_FAILURE_FAILED, -EIO, "queue %u: authentication: %s", a->q->qid,
			  auth_strerror(n));
		return;
	}
	host_dbg("queue %u: DH-HMAC-CHAP: %s, %s%s", a->q->qid, auth_hash_name(a->hash),
		 auth_dhgroup_name(a->dhgroup), a->bidi ? ", bidirectional" : "");
	a->step = HA_REPLY;
	a->reply_sent = true;
	ha_submit(a, true, (uint32_t)n, "Authentication Send (Reply)");
}

/* Success1: with R2 when we asked for it, checked before Success2. */
static void ha_success1(struct host_auth *a)
{
	struct nvmf_ctrl *c = a->c;
	struct auth_success1 s;
	struct auth_chap_input in;
	uint8_t r2[AUTH_HASH_MAX_LEN];
	bool ok, other_tid;
	int rc, n;

	if (ha_failure1(a))
		return;
	rc = auth_success1_parse(a->buf, sizeof(a->buf), a->hash, a->bidi, &s);
	other_tid = rc == 0 && s.t_id != a->t_id;
	if (other_tid)
		rc = AUTH_ERR_MSG_TYPE;
	if (rc != 0) {
		ha_refuse(a, auth_failure_of(rc), -EPROTO, "queue %u: authentication: the "
			  "controller's Success1 is not acceptable: %s", a->q->qid,
			  other_tid ? "another transaction ID (a replayed or foreign message)"
				    : auth_strerror(rc));
		return;
	}
	if (!a->bidi) {
		ha_finish(a, 0, NULL);
		return;
	}
	/* R2 is computed with SC_C 00h whatever was negotiated (Linux and
	 * SPDK, both roles). */
	memset(&in, 0, sizeof(in));
	in.hash = a->hash;
	in.challenge = a->c2;
	in.seqnum = a->s2;
	in.t_id = a->t_id;
	in.sc_c = 0;
	in.hostnqn = c->opts.hostnqn;
	in.subnqn = c->opts.subnqn;
	in.skey = a->skey_len ? a->skey : NULL;
	in.skey_len = a->skey_len;
	rc = auth_ctrl_response(&a->ctrl_secret, &in, r2);
	ok = rc == 0 && auth_response_equal(r2, s.r2, a->hl);
	OPENSSL_cleanse(r2, sizeof(r2));
	if (!ok) {
		ha_refuse(a, AUTH_FAILURE_FAILED, -EACCES, "queue %u: authentication failed: the "
			  "controller did not prove it holds the controller secret (its response "
			  "R2 is wrong): not trusted", a->q->qid);
		return;
	}
	n = auth_success2_build(a->t_id, a->buf, sizeof(a->buf));
	if (n < 0) {
		ha_failf(a, -EIO, "queue %u: authentication: %s", a->q->qid, auth_strerror(n));
		return;
	}
	a->step = HA_SUCCESS2;
	ha_submit(a, true, (uint32_t)n, "Authentication Send (Success2)");
}

static void ha_cmd_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct host_auth *a = user;
	const char *text = nvmf_completion_errmsg(cpl);

	(void)cookie;
	if (a->step == HA_FAILURE2) {
		/* Whatever became of our Failure2, the verdict stands. */
		ha_finish(a, a->fail_r, a->fail_msg);
		return;
	}
	if (cpl->result < 0) {
		if (cpl->result == -EIO) {
			/* Refused for good (DNR) is a failed authentication;
			 * a status the controller allows retrying is not
			 * permanent (-EIO): a reconnect may try again. */
			a->c->last_status = cpl->status;
			ha_failf(a, NVMF_SF_DNR(cpl->status) ? -EACCES : -EIO, "queue %u: "
				 "authentication failed: the controller refused %s: %s", a->q->qid,
				 a->step == HA_NEGOTIATE ? "our offer" : "a step of it", text);
			return;
		}
		if (a->reply_sent && cpl->result != -ECANCELED && cpl->result != -ETIMEDOUT) {
			/* nvmet closes the connection instead of Failure1. */
			ha_failf(a, -EACCES, "queue %u: authentication failed, or the target "
				 "closed the connection during authentication (Linux's nvmet "
				 "refuses so): check the DH-HMAC-CHAP secrets [%s]", a->q->qid,
				 text);
			return;
		}
		ha_failf(a, cpl->result, "queue %u: during authentication: %s", a->q->qid,
			 text[0] ? text : strerror(-cpl->result));
		return;
	}
	switch (a->step) {
	case HA_NEGOTIATE:
		a->step = HA_CHALLENGE;
		ha_submit(a, false, AUTH_RECV_AL, "Authentication Receive (Challenge)");
		return;
	case HA_CHALLENGE:
		ha_challenge(a);
		return;
	case HA_REPLY:
		a->step = HA_SUCCESS1;
		ha_submit(a, false, AUTH_RECV_AL, "Authentication Receive (Success1)");
		return;
	case HA_SUCCESS1:
		ha_success1(a);
		return;
	case HA_SUCCESS2:
		ha_finish(a, 0, NULL);
		return;
	case HA_FAILURE2:
		return;		/* handled above */
	}
}

int host_auth_start(struct nvmf_ctrl *c, struct host_queue *q, uint32_t timeout_ms,
		    void (*done)(void *arg, int r, const char *msg), void *arg)
{
	struct host_auth *a;
	uint16_t t_id;
	int rc;

	if (!c->opts.dhchap_secret[0])
		return host_err(EACCES, "queue %u: the controller requires in-band "
				"authentication (DH-HMAC-CHAP) and no secret was given "
				"(dhchap_secret, -S/--dhchap-secret)", q->qid);
	a = calloc(1, sizeof(*a));
	if (!a)
		return host_err(ENOMEM, "out of memory");
	a->c = c;
	a->q = q;
	a->done = done;
	a->arg = arg;
	a->timeout_ms = timeout_ms;
	rc = auth_secret_parse(c->opts.dhchap_secret, &a->host_secret);
	if (rc == 0 && c->opts.dhchap_ctrl_secret[0]) {
		rc = auth_secret_parse(c->opts.dhchap_ctrl_secret, &a->ctrl_secret);
		a->bidi = rc == 0;
	}
	if (rc != 0) {
		ha_free(a);
		return host_err(EINVAL, "DH-HMAC-CHAP secret: %s", auth_strerror(rc));
	}
	/* T_ID: a new transaction per queue and run (nvmet checks it). */
	if (auth_random(&t_id, sizeof(t_id)) != 0) {
		ha_free(a);
		return host_err(EIO, "cannot draw a transaction ID");
	}
	a->t_id = t_id;
	ha_negotiate(a);
	return 0;
}

#else /* !NVMF_WITH_TLS */

int host_auth_start(struct nvmf_ctrl *c, struct host_queue *q, uint32_t timeout_ms,
		    void (*done)(void *arg, int r, const char *msg), void *arg)
{
	(void)c;
	(void)timeout_ms;
	(void)done;
	(void)arg;
	return host_err(EACCES, "queue %u: the controller requires in-band authentication "
			"(DH-HMAC-CHAP), and libnvmf was built without OpenSSL", q->qid);
}

#endif
