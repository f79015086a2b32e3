/*
 * A scripted fake NVMe/TCP controller for tests.
 *
 * It listens on a loopback port (127.0.0.1 or ::1, port 0 = any free one),
 * serves every connection on its own thread with blocking sockets, plays a
 * correct controller far enough for Fabrics Connect, Property Get/Set,
 * Identify, Set/Get Features, Keep Alive, Get Log Page and NVM Read/Write/
 * Flush on a RAM namespace, and then misbehaves as its scenario says (see
 * tests/fake/README.md for the list). It records what it saw (counters,
 * H2CTermReq received) so tests can check the host's side of the wire.
 *
 * Used as a library (tests/transport) and as the program nvmf-fake-ctrl.
 */
#ifndef NVMF_TESTS_FAKE_CTRL_H
#define NVMF_TESTS_FAKE_CTRL_H

#include <stdbool.h>
#include <stdint.h>

/* Slots of fake_stats.auth_ok_qid: QIDs 0..6, the last for any above. */
#define FAKE_AUTH_QIDS 8

enum fake_scenario {
	FAKE_GOOD = 0,
	/* Initialize Connection */
	FAKE_ICRESP_BAD_PFV,
	FAKE_ICRESP_CPDA_32,
	FAKE_ICRESP_MAXH2C_SMALL,
	FAKE_ICRESP_MAXH2C_UNALIGNED,
	FAKE_ICRESP_DIGEST_UNREQUESTED,
	FAKE_ICRESP_DIGEST_DECLINED,
	FAKE_ICRESP_NEVER,
	FAKE_CLOSE_AT_ICREQ,
	/* On the first I/O read */
	FAKE_HDGST_ERROR,
	FAKE_DDGST_ERROR,
	FAKE_UNKNOWN_CID,
	FAKE_C2H_UNKNOWN_CID,
	FAKE_C2H_BEYOND,
	FAKE_C2H_OVERLAP,
	FAKE_C2H_OUT_OF_ORDER,
	FAKE_SUCCESS_NO_LAST,
	FAKE_C2H_SUCCESS,
	FAKE_R2T_FOR_READ,
	FAKE_C2H_TERM,
	FAKE_CLOSE_MID_TRANSFER,
	/* first I/O read: C2HData header and half its data, then silence */
	FAKE_STALL_MID_DATA,
	/* first I/O read: 5 bytes of a CapsuleResp header, then silence */
	FAKE_STALL_MID_HEADER,
	FAKE_NO_ANSWER,
	/* On the first I/O write that needs R2T */
	FAKE_R2T_OUT_OF_RANGE,
	FAKE_R2T_TWICE,
	/* On the first I/O write, whatever its data path */
	FAKE_R2T_FOR_ICD,
	FAKE_C2H_FOR_WRITE,
	/* On the first I/O write whose data is not in the capsule: a successful
	 * CapsuleResp and no R2T at all */
	FAKE_WRITE_RESP_NO_R2T,
	/* On the first I/O write whose data is not in the capsule: an R2T for
	 * its first half, then, with that half received, a successful CapsuleResp */
	FAKE_WRITE_RESP_HALF_R2T,
	/* Admin side, for host-layer tests */
	FAKE_CSTS_CFS,
	FAKE_SQHD_STUCK,
	FAKE_IDENTIFY_BAD_LBADS,
	FAKE_IDENTIFY_BAD_IOCCSZ,
	/* The active namespace list is {1, 1}: not ascending */
	FAKE_NS_LIST_DUP,
	/* Connect: in-band authentication demanded (NVMe over Fabrics 1.1, 3.3;
	 * Base 2.0, 6.3): status Authentication Required, or AUTHREQ.ATR in a
	 * successful response */
	FAKE_AUTH_REQUIRED,
	FAKE_AUTHREQ_ATR,
	/* Connect: Connect Invalid Parameters naming the SUBNQN of the data */
	FAKE_CONNECT_INVALID_PARAM,
	/* On the first I/O read: a CapsuleResp whose CH has a wrong HLEN */
	FAKE_BAD_HLEN,
	/* On the first I/O read: half its data (no LAST_PDU), then a successful CapsuleResp */
	FAKE_C2H_SHORT_RESP,
	/* On the first I/O read: a successful CapsuleResp and no data at all */
	FAKE_RESP_NO_DATA,
	/* On the first I/O read: half its data with LAST_PDU and SUCCESS */
	FAKE_SUCCESS_SHORT,
	/* On the first I/O read: all its data, LAST_PDU on no PDU, then a CapsuleResp */
	FAKE_C2H_NO_LAST,
	/* Once CSTS has reported shutdown complete: every connection is closed */
	FAKE_CLOSE_AFTER_SHN,
	/* From the first Keep Alive on, no command on any connection is answered
	 * (the connections stay open): a silent network partition */
	FAKE_KA_BLACKHOLE,
	/* Get Log Page is never answered (the connection stays open); the rest is */
	FAKE_LOG_NO_ANSWER,
	/* Every Identify is answered 300 ms late */
	FAKE_IDENTIFY_SLOW,
	/* OAES announces namespace notices; the first two AERs complete at once
	 * with a namespace attribute notice; the first Changed Namespace List
	 * read is held until the second arrives, then the second's data (NSID 2)
	 * is sent before the first's (NSID 1), then both responses */
	FAKE_NS_NOTICE_TWICE,
	/* OAES announces namespace notices; the first AER completes at once
	 * with a namespace attribute notice, and from then on Identify
	 * Namespace reports 4096-byte blocks instead of 512 (a Format NVM) */
	FAKE_NS_LBA_CHANGES,
	/* OAES announces namespace notices; the first 40 AERs complete at once
	 * with a namespace attribute notice, and every Identify of the active
	 * namespace list is answered 20 ms late (rescans slower than notices) */
	FAKE_NS_NOTICE_FLOOD,
	/* As ns-lba-changes, but the namespace first has 4096-byte blocks with
	 * 8 bytes of metadata each (unusable), then 512-byte blocks without (a
	 * Format NVM that makes it usable) */
	FAKE_NS_FORMAT_USABLE,
	/* OAES announces namespace notices; the first 20 AERs complete at once
	 * with a namespace attribute notice, and Identify Namespace reports 20
	 * blocks fewer than the disk has, one more per AER received (a
	 * namespace that keeps growing: every rescan finds another table) */
	FAKE_NS_GROWS,
	/* Identify Controller reports CNTRLTYPE 2: a discovery controller,
	 * whatever NQN the host connected to (a unique discovery NQN) */
	FAKE_DISCOVERY_UNIQUE,
	/* The second connection's ICReq: the first (admin) connection is closed,
	 * the ICReq never answered (admin queue lost while an I/O queue connects) */
	FAKE_ADMIN_LOST_AT_IO_ICREQ,
	/* From the second admin Connect on (a reconnect), Identify Namespace
	 * reports another NGUID: not the same namespace */
	FAKE_NS_IDENTITY_CHANGES,
	/* From the second admin Connect on, Identify Controller reports
	 * another SUBNQN: not the same subsystem */
	FAKE_SUBSYS_CHANGES,
	/* The second admin Connect is refused: Connect Invalid Parameters, DNR */
	FAKE_RECONNECT_REFUSED,
	/* CSTS.CFS set after the first association's first Keep Alive */
	FAKE_CFS_LATER,
	/* OAES announces namespace notices; the Asynchronous Event
	 * Configuration Set Features is never answered and every I/O
	 * connection is shut down meanwhile */
	FAKE_IO_LOST_AT_AEC,
	/* The second admin Connect fails with SCT 0h SC 02h, DNR */
	FAKE_RECONNECT_REFUSED_GENERIC,
	/* As ns-identity-changes, and from the second association on every
	 * Identify Controller is answered 3 s late (a window a test on a stalled
	 * machine still sees the host in) */
	FAKE_NS_IDENTITY_CHANGES_SLOW,
	/* Identify Namespace reports 2^54 blocks of 512 bytes: 2^63 bytes,
	 * beyond a file's size (off_t) */
	FAKE_NS_HUGE,
	/* The admin Connect answers CNTLID FFFFh, a reserved value */
	FAKE_CNTLID_RESERVED,
	/* CAP.TO 3 s, and CSTS.RDY never follows CC.EN */
	FAKE_CSTS_NEVER_READY,
	/* Identify Controller says CNTLID 2, the Connect response 1 */
	FAKE_IDENTIFY_CNTLID,
	/* CRDT1 100 ms; the first 3 I/O reads and writes get Command
	 * Interrupted without DNR (CRD 1 once the host set ACRE) */
	FAKE_IO_INTERRUPTED,
	/* every I/O read and write gets Command Interrupted without DNR */
	FAKE_IO_INTERRUPTED_ALWAYS,
	/* io-interrupted with CRDT1 60 s (the host bounds it by io_timeout),
	 * the first 2 only */
	FAKE_IO_INTERRUPTED_SLOW,
	/*
	 * DH-HMAC-CHAP (fake_auth.c; with dhchap_secret set, OpenSSL builds
	 * only): the controller side misbehaves on every queue whose QID is at
	 * least auth_from_qid. "The Challenge" is the answer to the first
	 * Authentication Receive of a transaction, "Success1" to the second.
	 */
	FAKE_AUTH_FAIL_CLOSE,		/* a wrong R1: close instead of Failure1 (nvmet) */
	FAKE_AUTH_FAILURE1_AT_CHALLENGE,	/* Failure1 "DH group not usable" for the Challenge */
	FAKE_AUTH_CHALLENGE_HL,		/* HL not the hash's length */
	FAKE_AUTH_CHALLENGE_DHVLEN,	/* DHVLEN wrong for the group (257 / 32 for NULL) */
	FAKE_AUTH_CHALLENGE_SHORT,	/* the Receive's data cut inside C1, then success */
	FAKE_AUTH_HASH_UNKNOWN,		/* HashID 07h */
	FAKE_AUTH_DHGROUP_UNKNOWN,	/* DHgroupID 09h */
	FAKE_AUTH_HASH_NOT_OFFERED,	/* the first HashID the Negotiate did not list */
	FAKE_AUTH_DHGROUP_NOT_OFFERED,	/* the first DHgroupID the Negotiate did not list */
	FAKE_AUTH_DH_ZERO,		/* DH value 0 (ffdhe2048 at least) */
	FAKE_AUTH_DH_ONE,		/* DH value 1 */
	FAKE_AUTH_DH_P_MINUS_1,		/* DH value p - 1 */
	FAKE_AUTH_DH_FF,		/* DH value all ff bytes (above p) */
	FAKE_AUTH_CHALLENGE_TID,	/* the Challenge carries another T_ID */
	FAKE_AUTH_SUCCESS1_TID,		/* Success1 carries another T_ID */
	FAKE_AUTH_SUCCESS1_NO_R2,	/* Success1 without R2 although the host asked */
	FAKE_AUTH_SUCCESS1_R2_UNASKED,	/* Success1 with RVALID and an R2 nobody asked for */
	FAKE_AUTH_SUCCESS1_BAD_R2,	/* Success1 with a wrong R2 */
	FAKE_AUTH_SUCCESS1_FIRST,	/* Success1 instead of the Challenge */
	FAKE_AUTH_RECV_GARBAGE,		/* the Challenge's Receive returns garbage */
	FAKE_AUTH_SEND_ERROR,		/* the Negotiate's Send fails: Invalid Field, DNR */
	FAKE_AUTH_RECV_ERROR,		/* the Challenge's Receive fails: Internal Error */
	FAKE_AUTH_NO_ANSWER,		/* the Challenge's Receive is never answered */
	FAKE_AUTH_DH_UNPADDED,		/* not misbehaviour: a DH value with a leading zero
					 * byte sent without it, as SPDK's target does */
	/* Every I/O read and write is answered 200 ms late; one received
	 * after CC.SHN gets Command Sequence Error (not ready), as nvmet and
	 * nvmf-target answer */
	FAKE_IO_SLOW,
	/* Reads of the first association are never answered (writes are);
	 * from the second association on everything is: an outage that only
	 * the I/O timeout finds */
	FAKE_READS_HANG_FIRST,
	/* The second Identify Namespace fails with Internal Error (SCT 0h SC
	 * 06h, DNR); from the third on it reports another NGUID and half the
	 * blocks: another namespace behind a failed scan */
	FAKE_NS_ID_FLAP,
	/* As ns-id-flap, but the second Identify Namespace reports NSZE
	 * 0 and no NGUID instead of failing */
	FAKE_NS_ID_ZERO,
	/* The Namespace Identification Descriptor list carries a UUID; the
	 * second read of it fails with Internal Error (SCT 0h SC 06h, DNR) */
	FAKE_NS_DESC_FLAP,
	/* Identify Controller's SUBNQN is ...:fake-other on every association,
	 * whatever NQN the host connected to */
	FAKE_SUBNQN_OTHER,
	/* Identify Controller reports CNTRLTYPE 2 and SUBNQN ...:fake-disc (a
	 * unique discovery NQN) whatever NQN the host connected to, the
	 * well-known discovery NQN included */
	FAKE_DISCOVERY_OWN_NQN,
	/* As discovery-own-nqn, with CNTRLTYPE 0: a controller older than
	 * NVMe 1.4, which does not report its type */
	FAKE_DISCOVERY_OWN_NQN_OLD,
	/* From the second admin Connect on (a reconnect), the namespace has
	 * 4096-byte blocks: the same bytes in an eighth of the blocks */
	FAKE_NS_REFORMATTED,
	/* The second Identify Namespace fails with Internal Error (DNR); the
	 * ones before and after it describe the same namespace */
	FAKE_NS_ID_BLIP,
	/* Identify Controller reports CNTRLTYPE 3, an administrative
	 * controller (Base 2.0, 3.1.3.2): SQES, CQES, IOCCSZ, IORCSZ and NN
	 * 0, as it has no I/O queues; Set Features Number of Queues, an I/O
	 * queue's Connect and Identify's active namespace list are refused
	 * (Invalid Field, DNR) */
	FAKE_ADMIN_CTRL,
	FAKE_SCENARIO_COUNT
};

struct fake_opts {
	enum fake_scenario scenario;
	uint16_t port;		/* 0: any free port */
	/* port 0: a free port from 20000 to below the kernel's ephemeral
	 * range instead (as tests/lib/nvmf_testlib.py free_port(); the QEMU
	 * guests' forwarded ports are below 20000), for a fake that a test
	 * stops and starts again on the same port: while it is down, no other
	 * process's bind(0) or outgoing connection is given that port. */
	bool     restartable;
	bool     ipv6;		/* listen on ::1 instead of 127.0.0.1 */
	uint8_t  cpda;		/* CPDA to announce (0's based dwords) */
	uint32_t maxh2cdata;	/* MAXH2CDATA to announce; 0 = 131072 */
	uint32_t c2h_chunk;	/* largest C2HData DATAL sent; 0 = 131072 */
	uint32_t r2t_chunk;	/* largest R2TL per R2T; 0 = whole transfer */
	uint32_t ns_blocks;	/* namespace size in 512-byte blocks; 0 = 8192 (4 MiB) */
	uint32_t ioccsz;	/* Identify IOCCSZ (16-byte units); 0 = 260 (4 KiB ICD) */
	uint8_t  lbads;		/* I/O and Identify Namespace block size 2^lbads; 0 = 9 */
	uint8_t  mdts;		/* Identify MDTS plus one; 0 = MDTS 5 (128 KiB), 1 = none */
	uint8_t  mdts2;		/* the same from the second association on; 0 = as mdts */
	bool     no_zeroes;	/* ONCS 0 (no Write Zeroes, no DSM) and DLFEAT 0 */
	/*
	 * DH-HMAC-CHAP, the controller's side (fake_auth.c, with src/auth;
	 * OpenSSL builds only, else fake_ctrl_start() fails with -ENOTSUP).
	 * With a host secret every Connect response sets AUTHREQ.ATR and each
	 * queue must authenticate (Negotiate, Challenge, Reply, Success1,
	 * Success2 when bidirectional) before any other command, which is
	 * refused with Authentication Required until then. A wrong R1 gets
	 * AUTH_Failure1 "authentication failed". The strings are parsed by
	 * fake_ctrl_start() (-EINVAL if malformed) and not kept.
	 */
	const char *dhchap_secret;	/* the host's secret, "DHHC-1:hh:...:" */
	const char *dhchap_ctrl_secret;	/* ours, for R2 when the host asks (NULL: refuse) */
	uint8_t  auth_hash;		/* HashID the fake picks; 0 = SHA-256 (01h) */
	uint8_t  auth_dhgroup;		/* DH group the fake picks (00h NULL .. 05h) */
	uint16_t auth_from_qid;		/* auth scenarios misbehave on QID >= this only */
};

/* What the fake observed; read after fake_ctrl_stop() (or under no race). */
struct fake_stats {
	unsigned conns;		/* connections accepted */
	unsigned icreqs;
	uint8_t  icreq_hpda;
	uint8_t  icreq_dgst;
	unsigned cmds;		/* command capsules received */
	unsigned changed_log_reads;	/* Get Log Page, Changed Namespace List */
	unsigned log_reads;	/* Get Log Page, any log */
	unsigned log_rae;	/* ... of them with RAE set (CDW10 bit 15) */
	uint64_t log_last_lpo;	/* the last one's offset (LPOL, LPOU) */
	unsigned icd_cmds;	/* ... carrying in-capsule data */
	uint64_t icd_bytes;
	unsigned r2ts;		/* R2Ts sent */
	unsigned h2c_pdus;	/* H2CData received */
	uint32_t h2c_max_datal;
	unsigned h2c_bad_pdo;	/* H2CData whose PDO did not honour CPDA */
	unsigned c2h_pdus;	/* C2HData sent */
	unsigned hdgst_errors;	/* host PDUs with a wrong header digest */
	unsigned ddgst_errors;	/* host PDUs with a wrong data digest */
	unsigned triggered;	/* times the scenario's misbehaviour fired */
	unsigned max_pending;	/* most capsules queued while serving one */
	bool     term_received;	/* H2CTermReq received */
	uint16_t term_fes;
	uint32_t term_fei;
	uint32_t term_data_len;	/* bytes of the offending header it carried */
	uint8_t  term_data[128];	/* their first 128 */
	unsigned connects;	/* Fabrics Connect commands */
	unsigned admin_connects;	/* ... of them on queue 0 (associations) */
	unsigned keep_alives;	/* Keep Alive commands received */
	unsigned id_ns_cmds;	/* Identify Namespace (CNS 00h) received */
	unsigned ns_desc_cmds;	/* Identify, descriptor list (CNS 03h) received */
	bool     connect_sqfc_disabled;
	unsigned interrupted;	/* io-interrupted*: Command Interrupted sent */
	bool     acre;		/* Host Behavior Support set with ACRE */
	unsigned acre_crd;	/* Command Interrupted sent with CRD 1 */
	/* DH-HMAC-CHAP */
	unsigned auth_negotiates;	/* AUTH_Negotiate received */
	unsigned auth_challenges;	/* Challenges sent (or their misbehaviour) */
	unsigned auth_ok;		/* transactions that ended authenticated */
	unsigned auth_ok_qid[FAKE_AUTH_QIDS];	/* ... per QID (the last slot: beyond) */
	unsigned auth_r1_wrong;		/* Replies whose R1 was wrong */
	unsigned auth_failure1s;	/* AUTH_Failure1 sent */
	unsigned auth_failure2s;	/* AUTH_Failure2 received */
	uint8_t  auth_failure2_expl;	/* the last one's reason code explanation */
	bool     auth_failure2_tid_ok;	/* ... and its T_ID was the transaction's */
	unsigned auth_success2s;	/* Success2 received */
	unsigned auth_host_errors;	/* host messages the fake found wrong */
	char     auth_host_error[160];	/* the first of them */
	unsigned auth_unauth_cmds;	/* commands refused before authentication */
	uint8_t  auth_hash;		/* the last Challenge's HashID (as sent) */
	uint8_t  auth_dhgroup;		/* ... and DHgroupID */
	bool     auth_bidi;		/* the last Reply asked for R2 */
};

struct fake_ctrl;

int  fake_scenario_parse(const char *name, enum fake_scenario *out);
const char *fake_scenario_name(enum fake_scenario s);

/* Start listening and serving; returns 0 or a negative errno. */
int  fake_ctrl_start(const struct fake_opts *opts, struct fake_ctrl **out);
uint16_t fake_ctrl_port(const struct fake_ctrl *fc);
/* Snapshot of the counters (locked). */
void fake_ctrl_stats(struct fake_ctrl *fc, struct fake_stats *st);
/* The namespace's bytes (for checking writes), ns_blocks * 512 long. */
uint8_t *fake_ctrl_disk(struct fake_ctrl *fc);
/* Fill byte of the namespace's initial pattern at byte offset off. */
uint8_t fake_pattern(uint64_t off);
/* Shut down every open connection (the listener stays): an outage the
 * host rides out by reconnecting. */
void fake_ctrl_drop(struct fake_ctrl *fc);
/* Stop: close the listener and every connection, join the threads, free. */
void fake_ctrl_stop(struct fake_ctrl *fc, struct fake_stats *final_stats);

struct nvmf_opts;
/* nvmf_opts_init() and what reaches fc: its address and port, its NQN, a
 * test host NQN, one I/O queue, 5 s I/O and connect timeouts. */
void fake_host_opts(const struct fake_ctrl *fc, struct nvmf_opts *o);
/* Starts a fake controller playing scenario s and fills o for it as
 * fake_host_opts() does, with ctrl_loss_tmo 0: a lost connection fails at
 * once instead of reconnecting (test_reconnect.c sets its own). NULL if
 * the controller could not start. */
struct fake_ctrl *fake_host_start(enum fake_scenario s, struct nvmf_opts *o);

#endif /* NVMF_TESTS_FAKE_CTRL_H */
