/*
 * The payloads of Authentication Send / Receive for DH-HMAC-CHAP: builders
 * and parsers of AUTH_Negotiate, DH-HMAC-CHAP_Challenge, _Reply, _Success1,
 * _Success2 and AUTH_Failure1/2.
 *
 * Internal to libnvmf (prefix auth_), OpenSSL builds only (with the rest of
 * src/auth). The host builds Negotiate, Reply, Success2 and Failure2 and
 * parses Challenge, Success1 and Failure1; the controller the other way
 * round. Every multi-byte field is little-endian on the wire and converted
 * explicitly; the parsers take what a possibly hostile peer sent and check
 * every length and id before reading past a header. Layouts (NVMe Base 2.0
 * 8.13.5.x; Linux include/linux/nvme.h struct nvmf_auth_dhchap_*_data):
 *
 *   every message   0 AUTH_Type  1 AUTH_Id  2..3 reserved  4..5 T_ID
 *   Negotiate       (type 00h, id 00h) 6 SC_C  7 NAPD  8.. NAPD descriptors
 *                   of 64 bytes: 0 AUTHID (01h DH-HMAC-CHAP)  1 reserved
 *                   2 HALEN  3 DHLEN  4..33 hash ids  34..63 DH group ids
 *                   (the DH ids start at byte 34 of the descriptor whatever
 *                   HALEN is: Linux writes idlist[30], nvmet reads
 *                   idlist[i + 30]). 72 bytes with one descriptor.
 *   Challenge       (01h, 01h) 6 HL  7 reserved  8 HashID  9 DHgroupID
 *                   10..11 DHVLEN  12..15 SEQNUM  16.. C1 (HL bytes), then
 *                   the DH value (DHVLEN bytes)
 *   Reply           (01h, 02h) 6 HL  7 reserved  8 CVALID  9 reserved
 *                   10..11 DHVLEN  12..15 SEQNUM (S2)  16.. R1 (HL), C2 (HL,
 *                   present even when CVALID is 0: zeroes then), DH value
 *   Success1        (01h, 03h) 6 HL  7 reserved  8 RVALID  9..15 reserved
 *                   16.. R2 (HL bytes) when RVALID
 *   Success2        (01h, 04h) 6..15 reserved: 16 bytes
 *   Failure1/2      (00h, F1h from the controller / F0h from the host)
 *                   6 reason code (01h)  7 reason code explanation: 8 bytes
 *
 * Rules the parsers enforce (and the builders, for what we send), with the
 * implementations that agree:
 *   - the buffer holds the whole message; bytes after it are allowed (nvmet
 *     returns AL bytes, zero after the message) and ignored;
 *   - Negotiate: SC_C 00h..03h; NAPD 1 and AUTHID 01h (nvmet requires both);
 *     HALEN and DHLEN 1..30 (nvmet: at most 30); unknown ids in the lists
 *     are kept, the controller picks among those it knows;
 *   - Challenge: HashID 01h..03h and HL its length; DHgroupID 00h..05h;
 *     DHVLEN 0 for the NULL group, else 1..the group's size (Linux host);
 *     SEQNUM not 0 (SPDK host);
 *   - Reply: HL the negotiated hash's length; CVALID 0 or 1; SEQNUM is
 *     ignored when CVALID is 0 (Linux hosts since 2023 send one anyway,
 *     SPDK sends 0; we send 0); DHVLEN as for the Challenge, with the
 *     negotiated group;
 *   - Success1: HL the negotiated hash's length (the Linux host checks it
 *     even without R2); RVALID 0 or 1 and equal to what the host asked for.
 * T_ID is reported, not judged: the state machine compares it.
 */
#ifndef NVMF_AUTH_AUTH_MSG_H
#define NVMF_AUTH_AUTH_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

/* AUTH_Type */
#define AUTH_TYPE_COMMON 0x00	/* AUTH_Negotiate, AUTH_Failure1/2 */
#define AUTH_TYPE_DHCHAP 0x01	/* DH-HMAC-CHAP_* */

/* AUTH_Id */
enum auth_msg_id {
	AUTH_MSG_NEGOTIATE = 0x00,
	AUTH_MSG_CHALLENGE = 0x01,
	AUTH_MSG_REPLY     = 0x02,
	AUTH_MSG_SUCCESS1  = 0x03,
	AUTH_MSG_SUCCESS2  = 0x04,
	AUTH_MSG_FAILURE2  = 0xF0,	/* host to controller */
	AUTH_MSG_FAILURE1  = 0xF1,	/* controller to host */
};

/* Protocol descriptor AUTHID */
#define AUTH_AUTHID_DHCHAP 0x01

/* SC_C: secure channel concatenation (Linux NVME_AUTH_SECP_*) */
enum auth_scc {
	AUTH_SCC_NONE        = 0x00,
	AUTH_SCC_SC          = 0x01,
	AUTH_SCC_NEWTLSPSK   = 0x02,
	AUTH_SCC_REPLACETLSPSK = 0x03,
};

#define AUTH_MAX_IDS       30	/* hash ids, and DH group ids, per descriptor */
#define AUTH_HDR_LEN       16	/* Challenge, Reply, Success1, Success2 */
#define AUTH_DESC_LEN      64
#define AUTH_NEGOTIATE_LEN (8 + AUTH_DESC_LEN)
#define AUTH_FAILURE_LEN   8
/* The largest message: a Reply with SHA-512 and ffdhe8192. */
#define AUTH_MSG_MAX (AUTH_HDR_LEN + 2 * AUTH_HASH_MAX_LEN + AUTH_DH_MAX_LEN)

/*
 * Which message a buffer holds: AUTH_Type, AUTH_Id and T_ID, after checking
 * that the pair is one of the seven messages and the buffer holds at least
 * the 8 bytes every message has. The host uses it to tell a Failure1 from
 * the Challenge or Success1 it waits for.
 */
int auth_msg_peek(const void *buf, size_t len, uint8_t *type, uint8_t *id,
		  uint16_t *t_id);

/* ---- AUTH_Negotiate (host -> controller) ----------------------------------- */

struct auth_negotiate {
	uint16_t t_id;
	uint8_t  sc_c;
	uint8_t  nhash;			/* HALEN */
	uint8_t  hash[AUTH_MAX_IDS];
	uint8_t  ndh;			/* DHLEN */
	uint8_t  dh[AUTH_MAX_IDS];
};

/* Returns the message's length (AUTH_NEGOTIATE_LEN) or an error. The lists
 * must hold 1..30 known ids each. */
int auth_negotiate_build(const struct auth_negotiate *m, void *buf, size_t size);
int auth_negotiate_parse(const void *buf, size_t len, struct auth_negotiate *m);

/*
 * The controller's choice: the first hash of hash_pref, and the first group
 * of dh_pref, that the host offered. AUTH_ERR_MSG_HASH or _MSG_DHGROUP when
 * there is none.
 */
int auth_negotiate_pick(const struct auth_negotiate *m,
			const uint8_t *hash_pref, size_t nhash_pref,
			const uint8_t *dh_pref, size_t ndh_pref,
			uint8_t *hash, uint8_t *dhgroup);

/* ---- DH-HMAC-CHAP_Challenge (controller -> host) --------------------------- */

struct auth_challenge {
	uint16_t       t_id;
	uint8_t        hash;		/* HashID; HL is its length */
	uint8_t        dhgroup;
	uint32_t       seqnum;		/* S1 */
	const uint8_t *c1;		/* HL bytes */
	const uint8_t *dhv;		/* DHVLEN bytes; NULL for the NULL group */
	uint16_t       dhvlen;
};

/* Returns the message's length or an error. For a DH group, dhvlen must be
 * the group's size (our values are always padded to it). */
int auth_challenge_build(const struct auth_challenge *m, void *buf, size_t size);
/* Pointers in *m point into buf. */
int auth_challenge_parse(const void *buf, size_t len, struct auth_challenge *m);

/* ---- DH-HMAC-CHAP_Reply (host -> controller) ------------------------------- */

struct auth_reply {
	uint16_t       t_id;
	uint8_t        hash;		/* the negotiated hash (HL) */
	uint8_t        dhgroup;		/* the negotiated group (DHVLEN) */
	bool           cvalid;		/* C2 and S2 valid: bidirectional */
	uint32_t       seqnum;		/* S2, 0 without C2 */
	const uint8_t *r1;		/* HL bytes */
	const uint8_t *c2;		/* HL bytes, NULL when !cvalid */
	const uint8_t *dhv;
	uint16_t       dhvlen;
};

/* Returns the message's length or an error; m->hash and m->dhgroup say
 * what the message is for. */
int auth_reply_build(const struct auth_reply *m, void *buf, size_t size);
/* hash and dhgroup are those of the Challenge sent. */
int auth_reply_parse(const void *buf, size_t len, uint8_t hash, uint8_t dhgroup,
		     struct auth_reply *m);

/* ---- DH-HMAC-CHAP_Success1 (controller -> host) ---------------------------- */

struct auth_success1 {
	uint16_t       t_id;
	uint8_t        hash;		/* the negotiated hash (HL) */
	bool           rvalid;
	const uint8_t *r2;		/* HL bytes when rvalid, else NULL */
};

int auth_success1_build(const struct auth_success1 *m, void *buf, size_t size);
/* want_r2: whether the host's Reply asked for R2 (CVALID with S2 != 0). */
int auth_success1_parse(const void *buf, size_t len, uint8_t hash, bool want_r2,
			struct auth_success1 *m);

/* ---- DH-HMAC-CHAP_Success2 (host -> controller) ---------------------------- */

int auth_success2_build(uint16_t t_id, void *buf, size_t size);
int auth_success2_parse(const void *buf, size_t len, uint16_t *t_id);

/* ---- AUTH_Failure1 (controller -> host), AUTH_Failure2 (host -> controller) */

struct auth_failure_msg {
	uint16_t t_id;
	uint8_t  reason;		/* 01h; reported as received */
	uint8_t  explanation;		/* enum auth_failure; as received */
};

/* id is AUTH_MSG_FAILURE1 or AUTH_MSG_FAILURE2; explanation one of enum
 * auth_failure. Returns AUTH_FAILURE_LEN or an error. */
int auth_failure_build(uint8_t id, uint16_t t_id, uint8_t explanation,
		       void *buf, size_t size);
/* The reason and explanation are passed on as they are, undefined values
 * included: whatever they say, the message is a failure. */
int auth_failure_parse(const void *buf, size_t len, uint8_t id,
		       struct auth_failure_msg *m);

#endif /* NVMF_AUTH_AUTH_MSG_H */
