/*
 * DH-HMAC-CHAP in-band authentication: the vocabulary both roles share.
 *
 * Internal to libnvmf (prefix auth_), compiled only with OpenSSL
 * (NVMF_WITH_TLS). src/auth is transport-neutral and does no I/O: the host
 * (src/host) and the controller (src/controller) run the exchange over
 * Authentication Send / Receive and call these pure functions to make,
 * check and compute what goes in each message. The module is split by
 * concern:
 *
 *   auth.h         ids and their names, error codes, failure reason codes,
 *                  the Authentication Send / Receive command fields
 *   auth_secret.h  DH-HMAC-CHAP secrets ("DHHC-1:hh:...:") and the
 *                  transformed secret
 *   auth_dh.h      ephemeral FFDHE key pairs and the shared secret
 *   auth_chap.h    augmented challenge, the responses R1 and R2
 *   auth_msg.h     the AUTH_Negotiate and DH-HMAC-CHAP_* message codecs
 *
 * The exchange (NVMe Base 2.0 8.13.5, 2.1 and later 8.3.4.5; Fabrics
 * commands Authentication Send 6.2 and Receive 6.1), as Linux and SPDK run
 * it; H is the hash the controller picks, hl its length:
 *
 *   host                                          controller
 *   Connect                          ->
 *                                    <-  Connect response, AUTHREQ.ATR set
 *   AUTH_Negotiate (Send)            ->  T_ID, SC_C, hash and DH group lists
 *   (Receive)                        <-  DH-HMAC-CHAP_Challenge: H, DH group,
 *                                        S1, C1 (hl bytes), g^x mod p
 *   DH-HMAC-CHAP_Reply (Send)        ->  R1, g^y mod p, and for
 *                                        bidirectional authentication C2, S2
 *   (Receive)                        <-  DH-HMAC-CHAP_Success1 (R2 if asked)
 *   DH-HMAC-CHAP_Success2 (Send)     ->  only after a checked R2
 *
 * Either side may end it with AUTH_Failure1 (controller) or AUTH_Failure2
 * (host), carrying a reason code explanation (enum auth_failure).
 *
 * Errors: what can fail returns a negative enum auth_err (not errno
 * values), and 0 or, for the message builders, the message's length on
 * success; auth_strerror() names the errors and never contains key
 * material. auth_failure_of() maps an error to the reason code explanation
 * a Failure message carries.
 *
 * Threads: no state is shared; every function may be called from any
 * thread (OpenSSL 1.1.1 and later are thread-safe without set-up).
 */
#ifndef NVMF_AUTH_AUTH_H
#define NVMF_AUTH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <nvmf/nvme.h>

/* Hash function identifiers (HashID in the messages, hh of a secret but
 * for 00h). Linux NVME_AUTH_HASH_*, SPDK SPDK_NVMF_DHCHAP_HASH_*. */
enum auth_hash {
	AUTH_HASH_NONE   = 0x00,	/* secrets only: no transformation */
	AUTH_HASH_SHA256 = 0x01,
	AUTH_HASH_SHA384 = 0x02,
	AUTH_HASH_SHA512 = 0x03,
};

#define AUTH_HASH_MAX_LEN 64		/* bytes of a SHA-512 digest */

/* DH group identifiers (DHgroupID): RFC 7919 FFDHE groups. Linux
 * NVME_AUTH_DHGROUP_*. */
enum auth_dhgroup {
	AUTH_DHGROUP_NULL = 0x00,	/* no Diffie-Hellman: plain CHAP */
	AUTH_DHGROUP_2048 = 0x01,	/* ffdhe2048, 256-byte values */
	AUTH_DHGROUP_3072 = 0x02,	/* ffdhe3072, 384 bytes */
	AUTH_DHGROUP_4096 = 0x03,	/* ffdhe4096, 512 bytes */
	AUTH_DHGROUP_6144 = 0x04,	/* ffdhe6144, 768 bytes */
	AUTH_DHGROUP_8192 = 0x05,	/* ffdhe8192, 1024 bytes */
};

#define AUTH_DH_MAX_LEN 1024		/* bytes of an ffdhe8192 value */

/* Bytes of a digest: 32, 48, 64; 0 for NONE and unknown ids. */
size_t auth_hash_len(uint8_t hash);
/* "sha256", "sha384", "sha512" (Linux's digest names, SPDK's too), "none"
 * for 00h; NULL for an unknown id. */
const char *auth_hash_name(uint8_t hash);
/* The id of "sha256", "hmac(sha256)" (nvmet's configfs dhchap_hash),
 * "SHA-256", ... for the three hashes; -1 for anything else. */
int auth_hash_from_name(const char *name);

/* Bytes of a group's public values and shared secret (the size of p):
 * 256 ... 1024; 0 for the NULL group and unknown ids. */
size_t auth_dhgroup_len(uint8_t group);
/* "null", "ffdhe2048", ... "ffdhe8192" (Linux and SPDK names, the RFC 7919
 * and OpenSSL group names); NULL for an unknown id. */
const char *auth_dhgroup_name(uint8_t group);
/* The id of one of those names; -1 for anything else. */
int auth_dhgroup_from_name(const char *name);

/* ---- Errors ---------------------------------------------------------------- */

enum auth_err {
	AUTH_OK = 0,
	/* secrets ("DHHC-1:hh:base64:") */
	AUTH_ERR_PREFIX       = -1,	/* does not start with "DHHC-1:" */
	AUTH_ERR_HASH_ID      = -2,	/* hh not 00, 01, 02 or 03 */
	AUTH_ERR_TRUNCATED    = -3,	/* no ':' after the key */
	AUTH_ERR_BASE64       = -4,	/* the key is not valid Base64 */
	AUTH_ERR_LENGTH       = -5,	/* key length wrong for its hh */
	AUTH_ERR_CRC          = -6,	/* CRC-32 does not match the key */
	AUTH_ERR_TRAILING     = -7,	/* characters after the closing ':' */
	AUTH_ERR_HEX          = -8,	/* a hex secret: not hex, or wrong length */
	/* arguments, crypto */
	AUTH_ERR_INVAL        = -9,	/* bad argument */
	AUTH_ERR_NQN          = -10,	/* NQN empty or longer than 223 bytes */
	AUTH_ERR_NOSPACE      = -11,	/* output buffer too small */
	AUTH_ERR_CRYPTO       = -12,	/* OpenSSL failed (RNG, digest, DH) */
	AUTH_ERR_DHGROUP      = -13,	/* no such DH group (or NULL where one
					 * is needed) */
	AUTH_ERR_DH_PUBLIC    = -14,	/* peer's DH value: length, range or
					 * subgroup */
	/* messages */
	AUTH_ERR_MSG_SHORT    = -15,	/* shorter than the header or than its
					 * own length fields say */
	AUTH_ERR_MSG_TYPE     = -16,	/* AUTH_Type / AUTH_Id not the message
					 * expected */
	AUTH_ERR_MSG_HASH     = -17,	/* unknown HashID, HL not its length,
					 * or an empty hash list */
	AUTH_ERR_MSG_DHGROUP  = -18,	/* unknown DHgroupID, or an empty list */
	AUTH_ERR_MSG_DHVLEN   = -19,	/* DHVLEN wrong for the DH group */
	AUTH_ERR_MSG_NAPD     = -20,	/* NAPD not 1 */
	AUTH_ERR_MSG_AUTHID   = -21,	/* protocol descriptor not DH-HMAC-CHAP */
	AUTH_ERR_MSG_IDLIST   = -22,	/* HALEN or DHLEN above 30 */
	AUTH_ERR_MSG_SCC      = -23,	/* SC_C not a defined value */
	AUTH_ERR_MSG_FLAG     = -24,	/* CVALID / RVALID not 0 or 1, or not
					 * what the exchange asked for */
	AUTH_ERR_MSG_SEQNUM   = -25,	/* SEQNUM 0 in a Challenge; building a Reply:
					 * one set without C2 */
};

/* A fixed string for the error; it never contains key material. */
const char *auth_strerror(int err);

/* ---- Failure messages ------------------------------------------------------ */

/* Reason code (AUTH_Failure1/2 byte 6): the only one defined. */
#define AUTH_FAILURE_REASON_FAILED 0x01

/* Reason code explanations (byte 7), Linux NVME_AUTH_DHCHAP_FAILURE_*. */
enum auth_failure {
	AUTH_FAILURE_FAILED            = 0x01,	/* authentication failed */
	AUTH_FAILURE_NOT_USABLE        = 0x02,	/* protocol not usable */
	AUTH_FAILURE_CONCAT_MISMATCH   = 0x03,	/* secure channel concatenation
						 * mismatch */
	AUTH_FAILURE_HASH_UNUSABLE     = 0x04,	/* hash function not usable */
	AUTH_FAILURE_DHGROUP_UNUSABLE  = 0x05,	/* DH group not usable */
	AUTH_FAILURE_INCORRECT_PAYLOAD = 0x06,
	AUTH_FAILURE_INCORRECT_MESSAGE = 0x07,	/* incorrect protocol message */
};

/* "authentication failed", ...; "unknown reason" for others. */
const char *auth_failure_name(uint8_t explanation);

/*
 * The explanation a Failure message should carry for an error from this
 * module: unexpected message -> INCORRECT_MESSAGE; hash -> HASH_UNUSABLE;
 * DH group -> DHGROUP_UNUSABLE; SC_C -> CONCAT_MISMATCH; descriptor not
 * DH-HMAC-CHAP -> NOT_USABLE; other message and DH value errors ->
 * INCORRECT_PAYLOAD; anything else -> FAILED.
 */
uint8_t auth_failure_of(int err);

/* ---- Authentication Send / Receive ---------------------------------------- */

/*
 * include/nvmf/nvme.h has the commands (struct nvmf_auth_send_cmd,
 * nvmf_auth_recv_cmd; NVMF_FCTYPE_AUTH_SEND 05h, NVMF_FCTYPE_AUTH_RECV 06h;
 * NVMF_AUTH_SECP_NVME E9h) and the Connect response's AUTHREQ bits
 * (NVMF_CONNECT_AUTHREQ_ATR, _ASCR). DH-HMAC-CHAP sends SPSP0 = SPSP1 = 01h
 * (Linux nvme_auth_submit, SPDK nvme_auth_submit_request; nvmet rejects
 * anything else with Invalid Field). TL is the Send payload's length, AL
 * the Receive buffer's; the controller returns AL bytes, the message first
 * and zeroes after it (nvmet), so a received message may be followed by
 * padding: the parsers accept that.
 */
#define AUTH_SPSP0 0x01u
#define AUTH_SPSP1 0x01u
/* What Linux and SPDK give AL for every Receive: room for any message. */
#define AUTH_RECV_AL 4096u

/* Fill an Authentication Send SQE (opcode, fctype, SECP, SPSP0/1, TL); the
 * rest is zeroed. The caller sets CID and the data pointer, the transport
 * PSDT, as for every Fabrics command. */
void auth_cmd_send_init(struct nvmf_auth_send_cmd *cmd, uint32_t tl);
/* Fill an Authentication Receive SQE (AL instead of TL). */
void auth_cmd_recv_init(struct nvmf_auth_recv_cmd *cmd, uint32_t al);

/*
 * The controller's check of a received Authentication Send or Receive SQE
 * (64 bytes; the two share the layout of bytes 40..51): SECP E9h, SPSP0 and SPSP1 01h,
 * TL/AL not 0, checked in nvmet's order. Returns 0 with *len = TL or AL, or
 * the byte offset in the SQE of the first bad field (43 SECP, 41 SPSP0,
 * 42 SPSP1, 44 TL/AL): the Invalid Field completion's error location, as
 * nvmet reports it; AUTH_ERR_INVAL (negative) for a NULL sqe.
 */
int auth_cmd_check(const void *sqe, uint32_t *len);

/* ---- Randomness ------------------------------------------------------------ */

/* len random bytes (OpenSSL RAND_bytes), for challenges. */
int auth_random(void *buf, size_t len);
/* A random sequence number that is not 0 (0 means "none" in a Reply). */
int auth_random_seqnum(uint32_t *seqnum);

#endif /* NVMF_AUTH_AUTH_H */
