/*
 * Internals of the fake controller (tests/fake): shared by fake_ctrl.c
 * (listener, connections, Initialize Connection), fake_io.c (PDU I/O,
 * R2T/H2CData) and fake_cmds.c (command emulation and misbehaviour).
 */
#ifndef NVMF_TESTS_FAKE_INT_H
#define NVMF_TESTS_FAKE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fake/fake_ctrl.h"
#include "tcp/pdu.h"

#define FAKE_MAX_CONNS   64
#define FAKE_MAX_PENDING 1024
#define FAKE_XFER_MAX    (2u * 1024 * 1024)
#define FAKE_PDU_MAX     (FAKE_XFER_MAX + 1024)
#define FAKE_CNTLID      1
struct fake_pdu {
	uint8_t  *buf;		/* whole PDU */
	uint32_t  plen;
	uint8_t   type, flags, hlen, pdo;
	uint8_t  *data;		/* NULL if none */
	uint32_t  datal;
};

struct fake_auth;		/* fake_auth.c: one queue's transaction */
struct fake_auth_keys;		/* fake_auth.c: the parsed secrets */

struct fake_conn {
	struct fake_ctrl *fc;
	int        fd;		/* -1 once closed (under fc->lock) */
	pthread_t  thr;
	struct tcp_params p;
	int        qid;		/* -1 until Connect */
	uint16_t   sqsize;	/* 0's based, from Connect */
	bool       sqfc_off;
	uint16_t   sqhd;
	bool       triggered;
	uint8_t   *rbuf;	/* PDU being handled */
	uint8_t   *obuf;	/* PDU being sent */
	uint8_t   *xfer;	/* command data */
	unsigned   aers;	/* AERs received (ns-notice-twice, ns-lba-changes) */
	bool       log_held;	/* a Changed Namespace List read is held */
	uint16_t   log_held_cid;
	char       subnqn[257];	/* the admin Connect's SUBNQN ("" before it) */
	struct fake_pdu pend[FAKE_MAX_PENDING];
	unsigned   npend, pend_head;
	struct fake_auth *auth;	/* DH-HMAC-CHAP state; NULL when not required */
};

struct fake_ctrl {
	struct fake_opts o;
	int        lfd;
	uint16_t   port;
	pthread_t  accept_thr;
	pthread_mutex_t lock;
	struct fake_stats st;
	uint8_t   *disk;
	size_t     disk_len;
	struct fake_conn *conns[FAKE_MAX_CONNS];
	unsigned   nconns;
	bool       stopping;
	bool       blackhole;	/* ka-blackhole: nothing is answered any more */
	uint32_t   cc;
	struct fake_auth_keys *auth_keys;	/* NULL: no authentication */
};

#define STAT(c, expr) do {			\
	pthread_mutex_lock(&(c)->fc->lock);	\
	expr;					\
	pthread_mutex_unlock(&(c)->fc->lock);	\
} while (0)

/* fake_io.c */
int  fake_rd_full(int fd, void *buf, size_t n);
int  fake_wr_full(int fd, const void *buf, size_t n);
void fake_conn_shutdown(struct fake_conn *c);
int  fake_read_pdu(struct fake_conn *c, uint8_t *buf, struct fake_pdu *pdu);
void fake_fix_hdgst(struct fake_conn *c, uint8_t *hdr);
int  fake_send_pdu(struct fake_conn *c, size_t hlen, const void *data, uint32_t datal,
		   bool corrupt_ddgst);
int  fake_send_resp(struct fake_conn *c, uint16_t cid, uint16_t status, uint32_t dw0,
		    uint32_t dw1);
int  fake_send_c2h(struct fake_conn *c, uint16_t cid, const uint8_t *data, uint32_t off,
		   uint32_t len, bool last, bool success, bool corrupt_ddgst);
void fake_trigger(struct fake_conn *c);
int  fake_queue_pending(struct fake_conn *c, const struct fake_pdu *pdu);
void fake_record_term(struct fake_conn *c, const uint8_t *buf);
void fake_drain(struct fake_conn *c, uint8_t *buf);
int  fake_get_h2c(struct fake_conn *c, uint16_t cid, uint8_t *dst, uint32_t len);

/* fake_auth.c: DH-HMAC-CHAP, the controller's side */
int  fake_auth_init(struct fake_ctrl *fc);	/* parse the secrets: 0, -EINVAL, -ENOTSUP */
void fake_auth_fini(struct fake_ctrl *fc);
/* A Connect was accepted on c (data: its 1024 bytes): start the queue's
 * authentication; returns whether the response must set AUTHREQ.ATR. */
bool fake_auth_connect(struct fake_conn *c, const uint8_t *data);
/* Whether c must still authenticate before taking other commands. */
bool fake_auth_pending(const struct fake_conn *c);
/* Authentication Send (fctype 05h) or Receive (06h). 0, or -1 to close. */
int  fake_auth_cmd(struct fake_conn *c, const uint8_t *sqe, uint16_t cid, const uint8_t *icd,
		   uint32_t icd_len, uint32_t sgl_len);
void fake_auth_conn_free(struct fake_conn *c);

/* fake_cmds.c */
int  fake_handle_capsule(struct fake_conn *c, const struct fake_pdu *pdu);

#endif
