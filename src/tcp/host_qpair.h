/*
 * NVMe/TCP host queue pair on libuv (NVMe/TCP 1.0, 3.3-3.6).
 *
 * One TCP connection per queue pair. struct tcp_host_qpair embeds struct
 * xp_qpair first (see transport/xport.h); the host layer only uses the
 * xp_ API. Internal split:
 *   conn.c        name resolution, TCP connect (every resolved address in
 *                 turn), optional source bind;
 *   host_tls.c    TLS, when asked for: the PSK from the options, the
 *                 handshake before ICReq, the receive path's decryption
 *                 (tcp/tls_io.h);
 *   host_qpair.c  ICReq/ICResp, the receive path (rx framer callbacks:
 *                 C2HData into the caller's buffer, CapsuleResp, R2T,
 *                 C2HTermReq), protocol errors (H2CTermReq) and life
 *                 cycle;
 *   host_send.c   the send path: capsules and H2CData emitted into the
 *                 connection's batches (tcp/tx.h, shared with the
 *                 controller role), completions held for the write that
 *                 reads their data.
 */
#ifndef NVMF_TCP_HOST_QPAIR_H
#define NVMF_TCP_HOST_QPAIR_H

#include <netdb.h>

#include "tcp/pdu.h"
#include "tcp/rx.h"
#include "tcp/tls_io.h"
#include "tcp/tls_psk.h"
#include "tcp/tx.h"
#include "transport/xport.h"

/* Size of the receive staging buffer (small PDUs, headers). */
#define TCP_HOST_RX_STAGE   (64 * 1024)
/* Send batch limits: header/digest bytes and iovecs in one uv_write. */
#define TCP_HOST_TX_ARENA   (64 * 1024)
#define TCP_HOST_TX_IOV     512
/* MAXR2T we announce, 0's based: one R2T outstanding per command (3.6.2.2). */
#define TCP_HOST_MAXR2T     0

struct tcp_host_req {
	struct xp_req base;		/* first: embedded-base pattern */
	struct tcp_tx_item txi;		/* on the send queue */
	bool     capsule_pending;	/* CapsuleCmd not yet put in a batch */
	bool     icd;			/* data travels in the capsule */
	bool     ddgst_err;		/* a C2HData of this command failed its digest */
	bool     done_pending;		/* completion deferred until the write ends */
	bool     r2t_active;		/* an R2T is being served */
	uint16_t ttag;			/* transfer tag of the R2T being served */
	uint32_t h2c_off;		/* next H2CData offset to send */
	uint32_t h2c_end;		/* end of the R2T's range */
	uint32_t r2t_next;		/* offset the next R2T must start at */
	uint32_t c2h_next;		/* offset the next C2HData must start at */
	bool     c2h_last;		/* the C2HData with LAST_PDU arrived */
	uint64_t tx_seq;		/* last batch that referenced its data (tcp_tx_batch) */
	struct tcp_host_req *done_next;	/* deferred completion list */
	int      done_status;		/* deferred: status, or INT_MIN: use done_cqe */
	struct nvmf_cqe done_cqe;
};

struct tcp_host_qpair {
	struct xp_qpair base;		/* first: embedded-base pattern */

	/* Connection (conn.c) */
	uv_tcp_t tcp;
	bool     tcp_open;		/* tcp handle initialized and not closing */
	uv_getaddrinfo_t gai;
	bool     gai_pending;
	struct addrinfo *ai_list, *ai_next;	/* ai_list: getaddrinfo's, to free */
	struct addrinfo lit_ai;		/* a literal address: the one entry (conn.c) */
	struct sockaddr_storage lit_addr;
	uv_connect_t conn_req;
	char     traddr[XP_TRADDR_MAX];	/* as given (no IPv6 brackets): resolved, named */
	char     trsvcid[XP_TRSVCID_MAX];
	char     peer[64];		/* numeric address connected to */
	int      last_conn_err;		/* last connect error (libuv code) */

	/* TLS (host_tls.c): on when opts.tp.tcp.tls */
	bool     tls;
	struct tcp_psk_tls psk;		/* derived at connect, wiped once the engine has it */
	struct tcp_tls_io tio;

	/* Initialize Connection (host_qpair.c) */
	struct tcp_ic_request icreq;
	uint8_t  icreq_buf[TCP_PDU_HDR_BUF];
	uv_write_t icreq_wr;
	bool     ic_done;
	struct tcp_params params;
	uint8_t  cpda;
	uint64_t r2ts;			/* R2Ts served (xp_tcp_info) */

	/* Receive */
	struct tcp_rx rx;
	bool     rx_init;

	/* Send (over tcp/tx.h) */
	struct tcp_tx tx;
	uv_prepare_t prep;
	bool     prep_open;
	bool     prep_active;
	struct tcp_host_req *done_head;	/* completions held for the write in flight */
	uint8_t  term_buf[TCP_PDU_HDR_BUF + NVMF_TCP_TERM_DATA_MAX];
};

static inline struct tcp_host_qpair *tcp_hq(struct xp_qpair *qp)
{
	return (struct tcp_host_qpair *)qp;
}

/* conn.c */
int  tcp_conn_start(struct tcp_host_qpair *hq, const char *traddr, const char *trsvcid);
void tcp_conn_close(struct tcp_host_qpair *hq);
/* In process (tcp_host_set_sink): no socket, the ICReq into the sink. */
int  tcp_conn_start_sink(struct tcp_host_qpair *hq, const char *traddr, const char *trsvcid);
/* host_qpair.c: the TCP connection is up; start TLS or ICReq/ICResp. */
void tcp_host_connected(struct tcp_host_qpair *hq);
void tcp_host_conn_failed(struct tcp_host_qpair *hq, int uverr);
/* host_qpair.c: send ICReq (3.6.2.2), through TLS if it is on. 0 or a
 * libuv error. */
int  tcp_host_send_icreq(struct tcp_host_qpair *hq);
/* host_qpair.c: what the framer returned for received bytes (0, -EPROTO
 * with rx.err, another errno): fail the queue pair unless 0. */
void tcp_host_rx_result(struct tcp_host_qpair *hq, int rc);
bool tcp_host_live(void *hq);

/*
 * In-process seam (fuzzers, tests without sockets), after xp_qpair_create()
 * and before xp_qpair_connect(): the connect makes no socket, the ICReq and
 * everything after it go to sink (tcp/tx.h: a batch is in flight until
 * tcp_tx_sink_done(&hq->tx, status)), and received bytes are fed as hq_read
 * does: tcp_rx_get_buf(), tcp_rx_commit(), tcp_host_rx_result(). Plaintext
 * only. 0 or -EINVAL.
 */
int  tcp_host_set_sink(struct xp_qpair *qp, tcp_tx_sink_fn sink, void *arg);

/* host_send.c: the send path. */
int  tcp_host_tx_init(struct tcp_host_qpair *hq);
void tcp_host_tx_fini(struct tcp_host_qpair *hq);
/* The connection is closing: drop what is queued and held. */
void tcp_host_tx_close(struct tcp_host_qpair *hq);
/* Queue req's PDUs (its capsule, or the H2CData an R2T asked for). */
void tcp_host_tx_enqueue(struct tcp_host_qpair *hq, struct tcp_host_req *req);
void tcp_host_tx_dequeue(struct tcp_host_qpair *hq, struct tcp_host_req *req);
/* A read was parsed: send what its completions submitted now. */
void tcp_host_tx_after_read(struct tcp_host_qpair *hq);

/* host_tls.c */
/* At connect: the TLS PSK and identity from the options, into hq->psk.
 * 0, or a negative errno with the queue pair's error set. */
int  tcp_host_tls_prepare(struct tcp_host_qpair *hq);
/* TCP is up: start the handshake. 0 or a negative errno (error set). */
int  tcp_host_tls_start(struct tcp_host_qpair *hq);
/* Ciphertext read from the socket: handshake, then ICReq, then PDUs. */
void tcp_host_tls_input(struct tcp_host_qpair *hq, const void *data, size_t n);
/* End of file: the message for it, which says when it happened. */
const char *tcp_host_tls_eof(struct tcp_host_qpair *hq);
void tcp_host_tls_fini(struct tcp_host_qpair *hq);

#endif /* NVMF_TCP_HOST_QPAIR_H */
