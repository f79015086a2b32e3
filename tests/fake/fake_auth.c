/*
 * Fake controller: DH-HMAC-CHAP, the controller's side (NVMe Base 2.0,
 * 8.13.5), with src/auth as the controller uses it, and the auth-*
 * scenarios' misbehaviour (README.md).
 *
 * With a host secret (fake_opts.dhchap_secret) every Connect response sets
 * AUTHREQ.ATR and the queue takes nothing but Authentication Send and
 * Receive until a transaction ends authenticated:
 *
 *   Send     AUTH_Negotiate   parsed; hash and group picked from the options
 *   Receive  Challenge        S1, C1, our DH value (padded to the group)
 *   Send     Reply            R1 checked (wrong: the next Receive gets
 *                             AUTH_Failure1 "authentication failed")
 *   Receive  Success1         R2 from the controller secret when asked
 *   Send     Success2         when bidirectional
 *
 * AUTH_Failure2 is recorded whenever it comes. What the host sends is
 * checked with the same parsers; what is wrong is counted in
 * auth_host_errors (the first one as text) and answered with Failure1, as
 * nvmet does. Receives return AL bytes: the message, zeroes after it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>

#include "fake/fake_int.h"

#ifdef NVMF_WITH_TLS
#include <openssl/crypto.h>

#include "auth/auth.h"
#include "auth/auth_chap.h"
#include "auth/auth_dh.h"
#include "auth/auth_msg.h"
#include "auth/auth_secret.h"

struct fake_auth_keys {
	struct auth_secret host;
	struct auth_secret ctrl;
	bool have_ctrl;
};

enum fa_step {
	FA_NEGOTIATE,	/* waiting for the Negotiate (Send) */
	FA_CHALLENGE,	/* the next Receive gets the Challenge */
	FA_REPLY,	/* waiting for the Reply (Send) */
	FA_SUCCESS1,	/* the next Receive gets Success1 */
	FA_SUCCESS2,	/* waiting for Success2 (Send) */
	FA_FAILURE1,	/* the next Receive gets Failure1 */
	FA_DONE,	/* authenticated */
	FA_FAILED,	/* over, not authenticated */
};

struct fake_auth {
	enum fa_step step;
	bool     authenticated;
	bool     r1_wrong;		/* why we are in FA_FAILURE1 */
	uint8_t  fail_expl;
	uint16_t t_id;
	uint8_t  hash, dhgroup;
	size_t   hl;
	uint32_t s1, s2;
	bool     bidi;
	uint8_t  c1[AUTH_HASH_MAX_LEN], c2[AUTH_HASH_MAX_LEN];
	struct auth_dh *dh;
	uint8_t  skey[AUTH_DH_MAX_LEN];
	size_t   skey_len;
	uint8_t  offered_hash[AUTH_MAX_IDS], offered_dh[AUTH_MAX_IDS];
	uint8_t  noffered_hash, noffered_dh;
	char     hostnqn[257], subnqn[257];
	uint8_t  msg[AUTH_MSG_MAX];	/* a Send's payload (fetched by R2T) */
};

/* ffdhe2048's p (RFC 7919 appendix A.1), for the p - 1 scenario. */
static const uint8_t ffdhe2048_p[256] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xad, 0xf8, 0x54, 0x58,
	0xa2, 0xbb, 0x4a, 0x9a, 0xaf, 0xdc, 0x56, 0x20, 0x27, 0x3d, 0x3c, 0xf1,
	0xd8, 0xb9, 0xc5, 0x83, 0xce, 0x2d, 0x36, 0x95, 0xa9, 0xe1, 0x36, 0x41,
	0x14, 0x64, 0x33, 0xfb, 0xcc, 0x93, 0x9d, 0xce, 0x24, 0x9b, 0x3e, 0xf9,
	0x7d, 0x2f, 0xe3, 0x63, 0x63, 0x0c, 0x75, 0xd8, 0xf6, 0x81, 0xb2, 0x02,
	0xae, 0xc4, 0x61, 0x7a, 0xd3, 0xdf, 0x1e, 0xd5, 0xd5, 0xfd, 0x65, 0x61,
	0x24, 0x33, 0xf5, 0x1f, 0x5f, 0x06, 0x6e, 0xd0, 0x85, 0x63, 0x65, 0x55,
	0x3d, 0xed, 0x1a, 0xf3, 0xb5, 0x57, 0x13, 0x5e, 0x7f, 0x57, 0xc9, 0x35,
	0x98, 0x4f, 0x0c, 0x70, 0xe0, 0xe6, 0x8b, 0x77, 0xe2, 0xa6, 0x89, 0xda,
	0xf3, 0xef, 0xe8, 0x72, 0x1d, 0xf1, 0x58, 0xa1, 0x36, 0xad, 0xe7, 0x35,
	0x30, 0xac, 0xca, 0x4f, 0x48, 0x3a, 0x79, 0x7a, 0xbc, 0x0a, 0xb1, 0x82,
	0xb3, 0x24, 0xfb, 0x61, 0xd1, 0x08, 0xa9, 0x4b, 0xb2, 0xc8, 0xe3, 0xfb,
	0xb9, 0x6a, 0xda, 0xb7, 0x60, 0xd7, 0xf4, 0x68, 0x1d, 0x4f, 0x42, 0xa3,
	0xde, 0x39, 0x4d, 0xf4, 0xae, 0x56, 0xed, 0xe7, 0x63, 0x72, 0xbb, 0x19,
	0x0b, 0x07, 0xa7, 0xc8, 0xee, 0x0a, 0x6d, 0x70, 0x9e, 0x02, 0xfc, 0xe1,
	0xcd, 0xf7, 0xe2, 0xec, 0xc0, 0x34, 0x04, 0xcd, 0x28, 0x34, 0x2f, 0x61,
	0x91, 0x72, 0xfe, 0x9c, 0xe9, 0x85, 0x83, 0xff, 0x8e, 0x4f, 0x12, 0x32,
	0xee, 0xf2, 0x81, 0x83, 0xc3, 0xfe, 0x3b, 0x1b, 0x4c, 0x6f, 0xad, 0x73,
	0x3b, 0xb5, 0xfc, 0xbc, 0x2e, 0xc2, 0x20, 0x05, 0xc5, 0x8e, 0xf1, 0x83,
	0x7d, 0x16, 0x83, 0xb2, 0xc6, 0xf3, 0x4a, 0x26, 0xc1, 0xb2, 0xef, 0xfa,
	0x88, 0x6b, 0x42, 0x38, 0x61, 0x28, 0x5c, 0x97, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff,
};

int fake_auth_init(struct fake_ctrl *fc)
{
	struct fake_auth_keys *k;

	if (!fc->o.dhchap_secret)
		return fc->o.dhchap_ctrl_secret ? -EINVAL : 0;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	if (auth_secret_parse(fc->o.dhchap_secret, &k->host) != 0 ||
	    (fc->o.dhchap_ctrl_secret &&
	     auth_secret_parse(fc->o.dhchap_ctrl_secret, &k->ctrl) != 0)) {
		OPENSSL_cleanse(k, sizeof(*k));
		free(k);
		return -EINVAL;
	}
	k->have_ctrl = fc->o.dhchap_ctrl_secret != NULL;
	fc->auth_keys = k;
	/* The caller's strings are not kept. */
	fc->o.dhchap_secret = NULL;
	fc->o.dhchap_ctrl_secret = NULL;
	return 0;
}

void fake_auth_fini(struct fake_ctrl *fc)
{
	if (fc->auth_keys) {
		OPENSSL_cleanse(fc->auth_keys, sizeof(*fc->auth_keys));
		free(fc->auth_keys);
		fc->auth_keys = NULL;
	}
}

static void nqn_copy(char *dst, const uint8_t *src)
{
	memcpy(dst, src, 256);
	dst[256] = '\0';
}

bool fake_auth_connect(struct fake_conn *c, const uint8_t *data)
{
	struct fake_auth *a;

	if (!c->fc->auth_keys)
		return false;
	fake_auth_conn_free(c);
	a = calloc(1, sizeof(*a));
	if (!a)
		return true;	/* ATR without a transaction: every command is refused */
	a->step = FA_NEGOTIATE;
	if (data) {	/* else empty NQNs: R1 will not match */
		nqn_copy(a->subnqn, data + 256);
		nqn_copy(a->hostnqn, data + 512);
	}
	c->auth = a;
	return true;
}

bool fake_auth_pending(const struct fake_conn *c)
{
	return c->fc->auth_keys && (!c->auth || !c->auth->authenticated);
}

void fake_auth_conn_free(struct fake_conn *c)
{
	if (c->auth) {
		auth_dh_free(c->auth->dh);
		OPENSSL_cleanse(c->auth, sizeof(*c->auth));
		free(c->auth);
		c->auth = NULL;
	}
}

/* Whether this queue misbehaves as the scenario says. */
static bool misbehave(struct fake_conn *c, enum fake_scenario s)
{
	return c->fc->o.scenario == s && c->qid >= (int)c->fc->o.auth_from_qid;
}

static void host_error(struct fake_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Something the host sent is wrong: counted, the first one kept as text. */
static void host_error(struct fake_conn *c, const char *fmt, ...)
{
	struct fake_stats *st = &c->fc->st;
	char text[sizeof(st->auth_host_error)];
	va_list ap;
	int n;

	n = snprintf(text, sizeof(text), "queue %d: ", c->qid);
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	STAT(c, if (st->auth_host_errors++ == 0)
		memcpy(st->auth_host_error, text, sizeof(text)));
}

/* The transaction ends with Failure1 at the next Receive. */
static void fail1(struct fake_conn *c, uint8_t expl)
{
	c->auth->step = FA_FAILURE1;
	c->auth->fail_expl = expl;
}

static void authenticated(struct fake_conn *c)
{
	struct fake_ctrl *fc = c->fc;
	unsigned slot = (unsigned)c->qid < FAKE_AUTH_QIDS - 1 ? (unsigned)c->qid : FAKE_AUTH_QIDS - 1;

	c->auth->step = FA_DONE;
	c->auth->authenticated = true;
	auth_dh_free(c->auth->dh);
	c->auth->dh = NULL;
	OPENSSL_cleanse(c->auth->skey, sizeof(c->auth->skey));
	STAT(c, fc->st.auth_ok++; fc->st.auth_ok_qid[slot]++);
}

/* The first id of 0..255 (from) not in list. */
static uint8_t not_in(const uint8_t *list, size_t n, unsigned from)
{
	for (unsigned id = from; id < 256; id++)
		if (!memchr(list, (int)id, n))
			return (uint8_t)id;
	return 0xff;
}

/* ---- Sends ------------------------------------------------------------------------- */

static void on_negotiate(struct fake_conn *c, const uint8_t *buf, uint32_t len)
{
	struct fake_auth *a = c->auth;
	struct auth_negotiate m;
	uint8_t want_hash = c->fc->o.auth_hash ? c->fc->o.auth_hash : AUTH_HASH_SHA256;
	uint8_t want_dh = c->fc->o.auth_dhgroup;
	int rc;

	STAT(c, c->fc->st.auth_negotiates++);
	/* A new transaction, whatever came before (nvmet allows that too). */
	auth_dh_free(a->dh);
	a->dh = NULL;
	a->authenticated = false;
	a->bidi = false;
	a->r1_wrong = false;
	rc = auth_negotiate_parse(buf, len, &m);
	a->t_id = m.t_id;
	if (rc != 0) {
		host_error(c, "Negotiate: %s", auth_strerror(rc));
		fail1(c, auth_failure_of(rc));
		return;
	}
	if (m.sc_c != AUTH_SCC_NONE) {
		host_error(c, "Negotiate: %s", "SC_C not 00h");
		fail1(c, AUTH_FAILURE_CONCAT_MISMATCH);
		return;
	}
	memcpy(a->offered_hash, m.hash, m.nhash);
	a->noffered_hash = m.nhash;
	memcpy(a->offered_dh, m.dh, m.ndh);
	a->noffered_dh = m.ndh;
	/* The DH value scenarios need a group. */
	if (want_dh == AUTH_DHGROUP_NULL &&
	    (misbehave(c, FAKE_AUTH_DH_ZERO) || misbehave(c, FAKE_AUTH_DH_ONE) ||
	     misbehave(c, FAKE_AUTH_DH_P_MINUS_1) || misbehave(c, FAKE_AUTH_DH_FF)))
		want_dh = AUTH_DHGROUP_2048;
	rc = auth_negotiate_pick(&m, &want_hash, 1, &want_dh, 1, &a->hash, &a->dhgroup);
	if (rc != 0) {
		host_error(c, "Negotiate: %s", "the configured hash or group not offered");
		fail1(c, auth_failure_of(rc));
		return;
	}
	a->hl = auth_hash_len(a->hash);
	a->step = FA_CHALLENGE;
}

static void on_reply(struct fake_conn *c, const uint8_t *buf, uint32_t len)
{
	struct fake_auth *a = c->auth;
	struct fake_auth_keys *k = c->fc->auth_keys;
	struct auth_reply rep;
	struct auth_chap_input in;
	uint8_t r1[AUTH_HASH_MAX_LEN];
	int rc;

	rc = auth_reply_parse(buf, len, a->hash, a->dhgroup, &rep);
	if (rc != 0 || rep.t_id != a->t_id) {
		host_error(c, "Reply: %s", rc ? auth_strerror(rc) : "another T_ID");
		fail1(c, rc ? auth_failure_of(rc) : AUTH_FAILURE_INCORRECT_MESSAGE);
		return;
	}
	if (a->dhgroup != AUTH_DHGROUP_NULL) {
		rc = auth_dh_shared(a->dh, rep.dhv, rep.dhvlen, a->skey, sizeof(a->skey));
		if (rc != 0) {
			host_error(c, "Reply: DH value: %s", auth_strerror(rc));
			fail1(c, auth_failure_of(rc));
			return;
		}
		a->skey_len = auth_dhgroup_len(a->dhgroup);
	}
	memset(&in, 0, sizeof(in));
	in.hash = a->hash;
	in.challenge = a->c1;
	in.seqnum = a->s1;
	in.t_id = a->t_id;
	in.sc_c = AUTH_SCC_NONE;
	in.hostnqn = a->hostnqn;
	in.subnqn = a->subnqn;
	in.skey = a->skey_len ? a->skey : NULL;
	in.skey_len = a->skey_len;
	rc = auth_host_response(&k->host, &in, r1);
	a->bidi = rep.cvalid;
	STAT(c, c->fc->st.auth_bidi = rep.cvalid);
	if (rc != 0 || !auth_response_equal(r1, rep.r1, a->hl)) {
		OPENSSL_cleanse(r1, sizeof(r1));
		STAT(c, c->fc->st.auth_r1_wrong++);
		a->r1_wrong = true;
		fail1(c, AUTH_FAILURE_FAILED);
		return;
	}
	OPENSSL_cleanse(r1, sizeof(r1));
	if (a->bidi) {
		if (rep.seqnum == 0)
			host_error(c, "Reply: %s", "CVALID with S2 0");
		a->s2 = rep.seqnum;
		memcpy(a->c2, rep.c2, a->hl);
		if (!k->have_ctrl) {
			/* Asked to prove a secret we were not given (nvmet fails too). */
			fail1(c, AUTH_FAILURE_FAILED);
			return;
		}
	}
	a->step = FA_SUCCESS1;
}

static void on_failure2(struct fake_conn *c, const uint8_t *buf, uint32_t len)
{
	struct fake_auth *a = c->auth;
	struct fake_stats *st = &c->fc->st;
	struct auth_failure_msg f;

	if (auth_failure_parse(buf, len, AUTH_MSG_FAILURE2, &f) != 0) {
		host_error(c, "%s", "malformed Failure2");
		return;
	}
	if (f.reason != AUTH_FAILURE_REASON_FAILED)
		host_error(c, "Failure2: %s", "reason code not 01h");
	STAT(c, st->auth_failure2s++; st->auth_failure2_expl = f.explanation;
	     st->auth_failure2_tid_ok = f.t_id == a->t_id);
	if (a->authenticated) {
		/* After a unidirectional Success1: the host took it back. */
		unsigned slot = (unsigned)c->qid < FAKE_AUTH_QIDS - 1 ? (unsigned)c->qid :
				FAKE_AUTH_QIDS - 1;

		STAT(c, st->auth_ok--; st->auth_ok_qid[slot]--);
	}
	a->step = FA_FAILED;
	a->authenticated = false;
}

static void on_send(struct fake_conn *c, const uint8_t *buf, uint32_t len)
{
	struct fake_auth *a = c->auth;
	uint8_t type, id;
	uint16_t t_id;
	int rc;

	rc = auth_msg_peek(buf, len, &type, &id, &t_id);
	if (rc != 0) {
		host_error(c, "Send: %s", auth_strerror(rc));
		fail1(c, AUTH_FAILURE_INCORRECT_MESSAGE);
		return;
	}
	if (id == AUTH_MSG_FAILURE2) {
		on_failure2(c, buf, len);
		return;
	}
	if (id == AUTH_MSG_NEGOTIATE) {
		on_negotiate(c, buf, len);
		return;
	}
	if (id == AUTH_MSG_REPLY && a->step == FA_REPLY) {
		on_reply(c, buf, len);
		return;
	}
	if (id == AUTH_MSG_SUCCESS2 && a->step == FA_SUCCESS2) {
		rc = auth_success2_parse(buf, len, &t_id);
		if (rc == 0 && t_id != a->t_id) {
			host_error(c, "Success2: %s", "another T_ID");
			fail1(c, AUTH_FAILURE_INCORRECT_MESSAGE);
			return;
		}
		STAT(c, c->fc->st.auth_success2s++);
		authenticated(c);
		return;
	}
	host_error(c, "Send: %s", "a message out of order");
	fail1(c, AUTH_FAILURE_INCORRECT_MESSAGE);
}

/* ---- Receives ---------------------------------------------------------------------- */

/* The Challenge (or what the scenario sends instead) into b; its length,
 * or 0 for no answer at all, -1 for an internal failure. */
static int build_challenge(struct fake_conn *c, uint8_t *b, uint32_t al)
{
	struct fake_auth *a = c->auth;
	struct auth_challenge ch;
	uint8_t dhv[AUTH_DH_MAX_LEN];
	size_t glen = auth_dhgroup_len(a->dhgroup);
	uint8_t *v;
	int n;

	if (auth_random_seqnum(&a->s1) != 0 || auth_random(a->c1, a->hl) != 0)
		return -1;
	if (a->dhgroup != AUTH_DHGROUP_NULL &&
	    (auth_dh_new(a->dhgroup, &a->dh) != 0 || auth_dh_public(a->dh, dhv, sizeof(dhv)) != 0))
		return -1;
	/* auth-dh-unpadded: a key pair whose value has a leading zero byte
	 * (one in 256), to leave it out. */
	for (int i = 0; glen && misbehave(c, FAKE_AUTH_DH_UNPADDED) && dhv[0] != 0 && i < 8192;
	     i++) {
		auth_dh_free(a->dh);
		a->dh = NULL;
		if (auth_dh_new(a->dhgroup, &a->dh) != 0 ||
		    auth_dh_public(a->dh, dhv, sizeof(dhv)) != 0)
			return -1;
	}
	memset(&ch, 0, sizeof(ch));
	ch.t_id = a->t_id;
	ch.hash = a->hash;
	ch.dhgroup = a->dhgroup;
	ch.seqnum = a->s1;
	ch.c1 = a->c1;
	ch.dhv = glen ? dhv : NULL;
	ch.dhvlen = (uint16_t)glen;
	n = auth_challenge_build(&ch, b, al);
	OPENSSL_cleanse(dhv, sizeof(dhv));
	if (n < 0)
		return -1;
	v = b + AUTH_HDR_LEN + a->hl;	/* the DH value */
	if (misbehave(c, FAKE_AUTH_CHALLENGE_HL)) {
		fake_trigger(c);
		b[6] = a->hl == 32 ? 48 : 32;
	} else if (misbehave(c, FAKE_AUTH_CHALLENGE_DHVLEN)) {
		fake_trigger(c);
		nvmf_put_le16(b + 10, glen ? (uint16_t)(glen + 1) : 32);
		if (!glen)
			memset(v, 0xa5, 32);
		n = (int)(AUTH_HDR_LEN + a->hl + (glen ? glen + 1 : 32));
	} else if (misbehave(c, FAKE_AUTH_HASH_UNKNOWN)) {
		fake_trigger(c);
		b[8] = 0x07;
	} else if (misbehave(c, FAKE_AUTH_DHGROUP_UNKNOWN)) {
		fake_trigger(c);
		b[9] = 0x09;
	} else if (misbehave(c, FAKE_AUTH_HASH_NOT_OFFERED)) {
		fake_trigger(c);
		b[8] = not_in(a->offered_hash, a->noffered_hash, 1);
	} else if (misbehave(c, FAKE_AUTH_DHGROUP_NOT_OFFERED)) {
		fake_trigger(c);
		b[9] = not_in(a->offered_dh, a->noffered_dh, 0);
	} else if (misbehave(c, FAKE_AUTH_DH_ZERO)) {
		fake_trigger(c);
		memset(v, 0, glen);
	} else if (misbehave(c, FAKE_AUTH_DH_ONE)) {
		fake_trigger(c);
		memset(v, 0, glen);
		v[glen - 1] = 1;
	} else if (misbehave(c, FAKE_AUTH_DH_P_MINUS_1)) {
		fake_trigger(c);
		if (a->dhgroup == AUTH_DHGROUP_2048) {
			memcpy(v, ffdhe2048_p, glen);
			v[glen - 1] -= 1;	/* p ends in ff */
		} else {
			memset(v, 0xff, glen);	/* not p - 1: say so in the test */
		}
	} else if (misbehave(c, FAKE_AUTH_DH_FF)) {
		fake_trigger(c);
		memset(v, 0xff, glen);
	} else if (misbehave(c, FAKE_AUTH_CHALLENGE_TID)) {
		fake_trigger(c);
		nvmf_put_le16(b + 4, (uint16_t)(a->t_id + 1));
	} else if (misbehave(c, FAKE_AUTH_DH_UNPADDED) && glen && v[0] == 0) {
		size_t z = 0;

		fake_trigger(c);
		while (z < glen - 1 && v[z] == 0)
			z++;
		memmove(v, v + z, glen - z);
		memset(v + glen - z, 0, z);
		nvmf_put_le16(b + 10, (uint16_t)(glen - z));
		n -= (int)z;
	}
	return n;
}

static int build_success1(struct fake_conn *c, uint8_t *b, uint32_t al)
{
	struct fake_auth *a = c->auth;
	struct fake_auth_keys *k = c->fc->auth_keys;
	struct auth_success1 s;
	struct auth_chap_input in;
	uint8_t r2[AUTH_HASH_MAX_LEN];
	bool rvalid = a->bidi;
	int n;

	memset(r2, 0, sizeof(r2));
	if (a->bidi) {
		memset(&in, 0, sizeof(in));
		in.hash = a->hash;
		in.challenge = a->c2;
		in.seqnum = a->s2;
		in.t_id = a->t_id;
		in.sc_c = 0;	/* R2: 00h whatever was negotiated (auth_chap.h) */
		in.hostnqn = a->hostnqn;
		in.subnqn = a->subnqn;
		in.skey = a->skey_len ? a->skey : NULL;
		in.skey_len = a->skey_len;
		if (auth_ctrl_response(&k->ctrl, &in, r2) != 0)
			return -1;
	}
	if (misbehave(c, FAKE_AUTH_SUCCESS1_NO_R2) && a->bidi) {
		fake_trigger(c);
		rvalid = false;
	} else if (misbehave(c, FAKE_AUTH_SUCCESS1_R2_UNASKED) && !a->bidi) {
		fake_trigger(c);
		rvalid = true;
		auth_random(r2, a->hl);
	} else if (misbehave(c, FAKE_AUTH_SUCCESS1_BAD_R2) && a->bidi) {
		fake_trigger(c);
		r2[a->hl / 2] ^= 0x01;
	}
	memset(&s, 0, sizeof(s));
	s.t_id = a->t_id;
	if (misbehave(c, FAKE_AUTH_SUCCESS1_TID)) {
		fake_trigger(c);
		s.t_id = (uint16_t)(a->t_id + 1);
	}
	s.hash = a->hash;
	s.rvalid = rvalid;
	s.r2 = r2;
	n = auth_success1_build(&s, b, al);
	OPENSSL_cleanse(r2, sizeof(r2));
	return n;
}

/* Deterministic bytes that are no message (AUTH_Type 5Ch). */
static void garbage(uint8_t *b, uint32_t len)
{
	uint32_t x = 0x12345678;

	for (uint32_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t)x;
	}
	b[0] = 0x5c;
	b[1] = 0xa7;
}

static int send_data(struct fake_conn *c, uint16_t cid, const uint8_t *b, uint32_t len)
{
	if (len > 0 && fake_send_c2h(c, cid, b, 0, len, true, false, false) != 0)
		return -1;
	return fake_send_resp(c, cid, 0, 0, 0);
}

static int on_receive(struct fake_conn *c, uint16_t cid, uint32_t al)
{
	struct fake_auth *a = c->auth;
	uint8_t *b = c->xfer;
	int n;

	memset(b, 0, al);
	switch (a->step) {
	case FA_CHALLENGE:
		STAT(c, c->fc->st.auth_challenges++);
		if (misbehave(c, FAKE_AUTH_NO_ANSWER)) {
			fake_trigger(c);
			a->step = FA_FAILED;
			return 0;
		}
		if (misbehave(c, FAKE_AUTH_RECV_ERROR)) {
			fake_trigger(c);
			a->step = FA_FAILED;
			return fake_send_resp(c, cid, 0x06, 0, 0);	/* Internal Error */
		}
		if (misbehave(c, FAKE_AUTH_RECV_GARBAGE)) {
			fake_trigger(c);
			garbage(b, al);
			a->step = FA_FAILED;
			return send_data(c, cid, b, al);
		}
		if (misbehave(c, FAKE_AUTH_FAILURE1_AT_CHALLENGE)) {
			fake_trigger(c);
			fail1(c, AUTH_FAILURE_DHGROUP_UNUSABLE);
			break;	/* to Failure1 below */
		}
		if (misbehave(c, FAKE_AUTH_SUCCESS1_FIRST)) {
			struct auth_success1 s = { .t_id = a->t_id, .hash = a->hash };

			fake_trigger(c);
			if (auth_success1_build(&s, b, al) < 0)
				return -1;
			a->step = FA_FAILED;
			return send_data(c, cid, b, al);
		}
		n = build_challenge(c, b, al);
		if (n < 0)
			return -1;
		STAT(c, c->fc->st.auth_hash = b[8]; c->fc->st.auth_dhgroup = b[9]);
		a->step = FA_REPLY;
		if (misbehave(c, FAKE_AUTH_CHALLENGE_SHORT)) {
			/* Cut inside C1, then success: less than AL arrives. */
			fake_trigger(c);
			return send_data(c, cid, b, (uint32_t)(AUTH_HDR_LEN + a->hl / 2));
		}
		return send_data(c, cid, b, al);
	case FA_SUCCESS1:
		n = build_success1(c, b, al);
		if (n < 0)
			return -1;
		if (a->bidi)
			a->step = FA_SUCCESS2;
		else
			authenticated(c);
		return send_data(c, cid, b, al);
	default:
		break;
	}
	if (a->step != FA_FAILURE1) {
		host_error(c, "%s", "Receive out of order");
		fail1(c, AUTH_FAILURE_INCORRECT_MESSAGE);
	}
	if (a->r1_wrong && misbehave(c, FAKE_AUTH_FAIL_CLOSE)) {
		/* As Linux's nvmet: the connection goes, no Failure1. */
		fake_trigger(c);
		a->step = FA_FAILED;
		fake_conn_shutdown(c);
		return -1;
	}
	if (auth_failure_build(AUTH_MSG_FAILURE1, a->t_id, a->fail_expl, b, al) < 0)
		return -1;
	a->step = FA_FAILED;
	STAT(c, c->fc->st.auth_failure1s++);
	return send_data(c, cid, b, al);
}

int fake_auth_cmd(struct fake_conn *c, const uint8_t *sqe, uint16_t cid, const uint8_t *icd,
		  uint32_t icd_len, uint32_t sgl_len)
{
	bool send = sqe[4] == 0x05;
	uint32_t len = 0;
	int rc;

	if (!c->auth) {
		/* Not asked for (or no memory): Invalid Field in Command. */
		if (send && icd_len == 0 && sgl_len > 0 && sgl_len <= FAKE_XFER_MAX &&
		    fake_get_h2c(c, cid, c->xfer, sgl_len) != 0)
			return -1;
		return fake_send_resp(c, cid, 0x02, 0, 0);
	}
	rc = auth_cmd_check(sqe, &len);
	if (rc != 0 || len != sgl_len || len > (send ? sizeof(c->auth->msg) : 8192u)) {
		host_error(c, "%s", "Authentication Send/Receive SQE fields");
		if (send && icd_len == 0 && sgl_len > 0 && sgl_len <= FAKE_XFER_MAX &&
		    fake_get_h2c(c, cid, c->xfer, sgl_len) != 0)
			return -1;
		return fake_send_resp(c, cid, 0x4000 | 0x02, 0, 0);
	}
	if (!send)
		return on_receive(c, cid, len);
	if (icd_len > 0) {
		if (icd_len != len)
			return fake_send_resp(c, cid, 0x4000 | 0x02, 0, 0);
		memcpy(c->auth->msg, icd, len);
	} else if (fake_get_h2c(c, cid, c->auth->msg, len) != 0) {
		return -1;
	}
	if (c->auth->step == FA_NEGOTIATE && misbehave(c, FAKE_AUTH_SEND_ERROR)) {
		fake_trigger(c);
		c->auth->step = FA_FAILED;
		return fake_send_resp(c, cid, 0x4000 | 0x02, 0, 0);	/* Invalid Field, DNR */
	}
	on_send(c, c->auth->msg, len);
	return fake_send_resp(c, cid, 0, 0, 0);
}

#else /* !NVMF_WITH_TLS */

int fake_auth_init(struct fake_ctrl *fc)
{
	return fc->o.dhchap_secret || fc->o.dhchap_ctrl_secret ? -ENOTSUP : 0;
}

void fake_auth_fini(struct fake_ctrl *fc)
{
	(void)fc;
}

bool fake_auth_connect(struct fake_conn *c, const uint8_t *data)
{
	(void)c;
	(void)data;
	return false;
}

bool fake_auth_pending(const struct fake_conn *c)
{
	(void)c;
	return false;
}

int fake_auth_cmd(struct fake_conn *c, const uint8_t *sqe, uint16_t cid, const uint8_t *icd,
		  uint32_t icd_len, uint32_t sgl_len)
{
	(void)icd;
	if (sqe[4] == 0x05 && icd_len == 0 && sgl_len > 0 && sgl_len <= FAKE_XFER_MAX &&
	    fake_get_h2c(c, cid, c->xfer, sgl_len) != 0)
		return -1;
	return fake_send_resp(c, cid, 0x02, 0, 0);
}

void fake_auth_conn_free(struct fake_conn *c)
{
	(void)c;
}

#endif
