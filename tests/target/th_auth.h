/*
 * The test host's side of DH-HMAC-CHAP (tests/target): src/auth makes and
 * checks the messages, th.c carries them in Authentication Send / Receive.
 * Each step is a call, so a test can stop, repeat or corrupt any of them.
 * OpenSSL builds only.
 */
#ifndef NVMF_TESTS_TARGET_TH_AUTH_H
#define NVMF_TESTS_TARGET_TH_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "th.h"
#include "auth/auth.h"
#include "auth/auth_chap.h"
#include "auth/auth_dh.h"
#include "auth/auth_msg.h"
#include "auth/auth_secret.h"

/* What a step returns besides 0 and negative errno values: a Failure1
 * received instead of the expected message (its explanation in the low
 * byte). */
#define THA_FAILURE1(expl) (0x100 | (expl))

struct tha {
	struct th *h;
	const char *hostnqn, *subnqn;
	struct auth_secret key;		/* the host's secret */
	struct auth_secret ckey;	/* the controller's: len 0 = unidirectional */
	uint8_t  nhash, hash[AUTH_MAX_IDS];	/* offered in the Negotiate */
	uint8_t  ndh, dh[AUTH_MAX_IDS];
	uint16_t t_id;
	/* from the Challenge */
	uint8_t  sel_hash, sel_dh;
	uint32_t s1;
	uint8_t  c1[AUTH_HASH_MAX_LEN];
	uint8_t  ctrl_pub[AUTH_DH_MAX_LEN];
	uint16_t ctrl_publen;
	/* ours */
	uint8_t  c2[AUTH_HASH_MAX_LEN];
	uint32_t s2;
	uint8_t  skey[AUTH_DH_MAX_LEN];
	size_t   skey_len;
	uint8_t  rbuf[AUTH_RECV_AL];	/* the last Receive's data */
	struct th_cqe cqe;		/* the last command's completion */
};

/* Secrets: a random one for hh (0..3), as text too (text may be NULL). */
void tha_gen_secret(uint8_t hh, struct auth_secret *s, char *text, size_t len);
/* The controller's form of a secret. */
void tha_ctl_secret(const struct auth_secret *s, struct ctl_secret *out);

/* Set up a for one hash and one group (ids), with key and optional ckey. */
void tha_init(struct tha *a, struct th *h, const char *hostnqn, const char *subnqn,
	      const struct auth_secret *key, const struct auth_secret *ckey, uint8_t hash,
	      uint8_t dhgroup);

/* Raw commands: TL / AL as given, the data in-capsule. 0 or -errno; the
 * completion in *cqe. */
int  tha_send_raw(struct th *h, const void *msg, uint32_t len, struct th_cqe *cqe);
int  tha_recv_raw(struct th *h, void *buf, uint32_t al, struct th_cqe *cqe);

/* Steps: 0, THA_FAILURE1(x), -EPROTO for a completion error or a bad
 * message, other -errno from the transport. */
int  tha_negotiate(struct tha *a);
int  tha_challenge(struct tha *a);
/* fault: 0, or THA_BAD_R1 (R1 from a flipped byte), THA_TID (T_ID + 1),
 * THA_SHORT (TL cut by one byte). */
#define THA_BAD_R1 1
#define THA_TID    2
#define THA_SHORT  3
int  tha_reply(struct tha *a, int fault);
int  tha_success1(struct tha *a);
int  tha_success2(struct tha *a);
/* The whole exchange. */
int  tha_run(struct tha *a);
/* A Receive that must return Failure1: its explanation, or -1. */
int  tha_expect_failure1(struct tha *a);

/* ICReq, Connect (ATR must be set), the exchange, then CC.EN; with h->
 * cntlid set. 0, THA_FAILURE1(x) or -errno. */
int  tha_admin_up(struct tha *a, int port);
/* ICReq, I/O queue Connect (ATR set), the exchange. */
int  tha_io_up(struct tha *a, int port, const struct th *admin, uint16_t qid);

#endif
