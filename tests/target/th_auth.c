/*
 * The test host's side of DH-HMAC-CHAP (see th_auth.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/endian.h>

#include "th_auth.h"

void tha_gen_secret(uint8_t hh, struct auth_secret *s, char *text, size_t len)
{
	if (auth_secret_generate(hh, 0, NULL, NULL, s) != AUTH_OK)
		abort();
	if (text && auth_secret_format(s, text, len) < 0)
		abort();
}

void tha_ctl_secret(const struct auth_secret *s, struct ctl_secret *out)
{
	memset(out, 0, sizeof(*out));
	out->hash = s->hash;
	out->len = (uint8_t)s->len;
	memcpy(out->key, s->key, s->len);
}

void tha_init(struct tha *a, struct th *h, const char *hostnqn, const char *subnqn,
	      const struct auth_secret *key, const struct auth_secret *ckey, uint8_t hash,
	      uint8_t dhgroup)
{
	memset(a, 0, sizeof(*a));
	a->h = h;
	a->hostnqn = hostnqn;
	a->subnqn = subnqn;
	a->key = *key;
	if (ckey)
		a->ckey = *ckey;
	a->nhash = 1;
	a->hash[0] = hash;
	a->ndh = 1;
	a->dh[0] = dhgroup;
	a->t_id = 0x1234;
}

int tha_send_raw(struct th *h, const void *msg, uint32_t len, struct th_cqe *cqe)
{
	struct nvmf_auth_send_cmd cmd;

	auth_cmd_send_init(&cmd, len);
	return th_cmd(h, (uint8_t *)&cmd, msg, len, true, NULL, 0, cqe);
}

int tha_recv_raw(struct th *h, void *buf, uint32_t al, struct th_cqe *cqe)
{
	struct nvmf_auth_recv_cmd cmd;

	memset(buf, 0xEE, al);
	auth_cmd_recv_init(&cmd, al);
	return th_cmd(h, (uint8_t *)&cmd, NULL, 0, false, buf, al, cqe);
}

static int send_msg(struct tha *a, const void *msg, uint32_t len)
{
	int rc = tha_send_raw(a->h, msg, len, &a->cqe);

	if (rc == 0 && a->cqe.status)
		rc = -EPROTO;
	return rc;
}

/* A Receive: 0 with the data in rbuf, THA_FAILURE1(x) for a Failure1. */
static int recv_msg(struct tha *a, uint8_t want)
{
	uint8_t type, id;
	uint16_t t_id;
	struct auth_failure_msg f;
	int rc = tha_recv_raw(a->h, a->rbuf, sizeof(a->rbuf), &a->cqe);

	if (rc < 0)
		return rc;
	if (a->cqe.status || auth_msg_peek(a->rbuf, sizeof(a->rbuf), &type, &id, &t_id) != AUTH_OK)
		return -EPROTO;
	if (id == AUTH_MSG_FAILURE1 &&
	    auth_failure_parse(a->rbuf, sizeof(a->rbuf), AUTH_MSG_FAILURE1, &f) == AUTH_OK)
		return THA_FAILURE1(f.explanation);
	return id == want ? 0 : -EPROTO;
}

int tha_negotiate(struct tha *a)
{
	uint8_t b[AUTH_NEGOTIATE_LEN];

	/* Built by hand: the test offers ids src/auth's builder refuses. */
	memset(b, 0, sizeof(b));
	b[0] = AUTH_TYPE_COMMON;
	b[1] = AUTH_MSG_NEGOTIATE;
	nvmf_put_le16(b + 4, a->t_id);
	b[7] = 1;			/* NAPD */
	b[8] = AUTH_AUTHID_DHCHAP;
	b[10] = a->nhash;
	b[11] = a->ndh;
	memcpy(b + 12, a->hash, a->nhash);
	memcpy(b + 12 + AUTH_MAX_IDS, a->dh, a->ndh);
	return send_msg(a, b, sizeof(b));
}

int tha_challenge(struct tha *a)
{
	struct auth_challenge m;
	int rc = recv_msg(a, AUTH_MSG_CHALLENGE);

	if (rc != 0)
		return rc;
	if (auth_challenge_parse(a->rbuf, sizeof(a->rbuf), &m) != AUTH_OK || m.t_id != a->t_id)
		return -EPROTO;
	a->sel_hash = m.hash;
	a->sel_dh = m.dhgroup;
	a->s1 = m.seqnum;
	memcpy(a->c1, m.c1, auth_hash_len(m.hash));
	a->ctrl_publen = m.dhvlen;
	if (m.dhvlen)
		memcpy(a->ctrl_pub, m.dhv, m.dhvlen);
	return 0;
}

int tha_reply(struct tha *a, int fault)
{
	size_t hl = auth_hash_len(a->sel_hash), dl = auth_dhgroup_len(a->sel_dh);
	uint8_t r1[AUTH_HASH_MAX_LEN], pub[AUTH_DH_MAX_LEN], msg[AUTH_MSG_MAX];
	struct auth_chap_input in;
	struct auth_reply m;
	struct auth_dh *dh = NULL;
	int n;

	a->skey_len = 0;
	if (dl) {
		if (auth_dh_new(a->sel_dh, &dh) != AUTH_OK ||
		    auth_dh_public(dh, pub, sizeof(pub)) != AUTH_OK ||
		    auth_dh_shared(dh, a->ctrl_pub, a->ctrl_publen, a->skey, sizeof(a->skey)) != AUTH_OK) {
			auth_dh_free(dh);
			return -EPROTO;
		}
		auth_dh_free(dh);
		a->skey_len = dl;
	}
	memset(&in, 0, sizeof(in));
	in.hash = a->sel_hash;
	in.challenge = a->c1;
	in.seqnum = a->s1;
	in.t_id = a->t_id;
	in.hostnqn = a->hostnqn;
	in.subnqn = a->subnqn;
	in.skey = a->skey_len ? a->skey : NULL;
	in.skey_len = a->skey_len;
	if (auth_host_response(&a->key, &in, r1) != AUTH_OK)
		return -EPROTO;
	if (fault == THA_BAD_R1)
		r1[0] ^= 0x01;
	memset(&m, 0, sizeof(m));
	m.t_id = fault == THA_TID ? (uint16_t)(a->t_id + 1) : a->t_id;
	m.hash = a->sel_hash;
	m.dhgroup = a->sel_dh;
	m.r1 = r1;
	if (a->ckey.len) {
		auth_random(a->c2, hl);
		auth_random_seqnum(&a->s2);
		m.cvalid = true;
		m.seqnum = a->s2;
		m.c2 = a->c2;
	}
	m.dhv = dl ? pub : NULL;
	m.dhvlen = (uint16_t)dl;
	n = auth_reply_build(&m, msg, sizeof(msg));
	if (n < 0)
		return -EPROTO;
	return send_msg(a, msg, (uint32_t)(fault == THA_SHORT ? n - 1 : n));
}

int tha_success1(struct tha *a)
{
	struct auth_success1 m;
	int rc = recv_msg(a, AUTH_MSG_SUCCESS1);

	if (rc != 0)
		return rc;
	if (auth_success1_parse(a->rbuf, sizeof(a->rbuf), a->sel_hash, a->ckey.len != 0, &m) !=
	    AUTH_OK || m.t_id != a->t_id)
		return -EPROTO;
	if (a->ckey.len) {
		struct auth_chap_input in;
		uint8_t r2[AUTH_HASH_MAX_LEN];

		memset(&in, 0, sizeof(in));
		in.hash = a->sel_hash;
		in.challenge = a->c2;
		in.seqnum = a->s2;
		in.t_id = a->t_id;
		in.hostnqn = a->hostnqn;
		in.subnqn = a->subnqn;
		in.skey = a->skey_len ? a->skey : NULL;
		in.skey_len = a->skey_len;
		if (auth_ctrl_response(&a->ckey, &in, r2) != AUTH_OK ||
		    !auth_response_equal(r2, m.r2, auth_hash_len(a->sel_hash)))
			return -EACCES;		/* the controller is not who it says */
	}
	return 0;
}

int tha_success2(struct tha *a)
{
	uint8_t b[AUTH_HDR_LEN];

	auth_success2_build(a->t_id, b, sizeof(b));
	return send_msg(a, b, sizeof(b));
}

int tha_run(struct tha *a)
{
	int rc = tha_negotiate(a);

	if (rc == 0)
		rc = tha_challenge(a);
	if (rc == 0)
		rc = tha_reply(a, 0);
	if (rc == 0)
		rc = tha_success1(a);
	if (rc == 0 && a->ckey.len)
		rc = tha_success2(a);
	return rc;
}

int tha_expect_failure1(struct tha *a)
{
	int rc = recv_msg(a, AUTH_MSG_FAILURE1);

	return rc >= 0x100 ? rc & 0xFF : -1;
}

int tha_admin_up(struct tha *a, int port)
{
	struct th_cqe cqe;
	uint64_t csts = 0;
	int rc = th_open(a->h, port);

	if (rc == 0)
		rc = th_icreq(a->h, 0, false, false);
	if (rc == 0)
		rc = th_connect(a->h, 0, 31, 0, 0xFFFF, a->subnqn, a->hostnqn, 0, &cqe);
	if (rc == 0 && (cqe.status || !(cqe.dw0 & NVMF_CONNECT_AUTHREQ_ATR)))
		rc = -EACCES;
	if (rc == 0)
		rc = tha_run(a);
	if (rc == 0)
		rc = th_prop_set(a->h, NVMF_PROP_CC, 1u | (6u << 16) | (4u << 20), &cqe);
	if (rc == 0)
		rc = th_prop_get(a->h, NVMF_PROP_CSTS, false, &csts, &cqe);
	if (rc == 0 && !(csts & 1))
		rc = -EIO;
	return rc;
}

int tha_io_up(struct tha *a, int port, const struct th *admin, uint16_t qid)
{
	struct th_cqe cqe;
	int rc = th_open(a->h, port);

	if (rc == 0) {
		memcpy(a->h->hostid, admin->hostid, 16);
		rc = th_icreq(a->h, 0, false, false);
	}
	if (rc == 0)
		rc = th_connect(a->h, qid, 127, 0, admin->cntlid, a->subnqn, a->hostnqn, 0, &cqe);
	if (rc == 0 && (cqe.status || !(cqe.dw0 & NVMF_CONNECT_AUTHREQ_ATR)))
		rc = -EACCES;
	if (rc == 0)
		rc = tha_run(a);
	return rc;
}
