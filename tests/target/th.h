/*
 * Test host for nvmf-target tests: a minimal NVMe/TCP host written with
 * the codec (pdu.h builders) over a blocking loopback socket, able to send
 * well-formed and deliberately malformed PDUs. Plus a fixture running a
 * target (ctl + tcp/ctrl) on its own libuv loop in a thread.
 */
#ifndef NVMF_TESTS_TARGET_TH_H
#define NVMF_TESTS_TARGET_TH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <uv.h>

#include "controller/ctl.h"
#include "tcp/pdu.h"
#include "transport/xport_ctrl.h"

#define TH_SUBNQN  "nqn.2024-01.org.libnvmf:test"
#define TH_HOSTNQN "nqn.2024-01.org.libnvmf:host1"
#define TH_TIMEOUT_MS 10000

/* Byte offsets of fields of Identify Controller, Identify Namespace and a
 * discovery log entry (nvme.h's layouts). */
#define TH_IDC(f) offsetof(struct nvmf_id_ctrl, f)
#define TH_IDN(f) offsetof(struct nvmf_id_ns, f)
#define TH_DLE(f) offsetof(struct nvmf_disc_entry, f)

/* DW0 of Connect Invalid Parameters naming a field of the Connect data or of
 * the Connect SQE (IATTR and IPO, Base 2.0, 6.3). */
#define TH_IPO_DATA(f) \
	nvmf_connect_rsp_invalid(NVMF_CONNECT_IATTR_IN_DATA, offsetof(struct nvmf_connect_payload, f))
#define TH_IPO_SQE(f)  nvmf_connect_rsp_invalid(0, offsetof(struct nvmf_connect_cmd, f))

/* ---- Target fixture ------------------------------------------------------- */
struct tf {
	uv_loop_t loop;
	struct ctl_target t;
	struct xp_listen_opts lopts;	/* a setup function may change them */
	struct xp_listener *srv;
	struct ctl_subsys *s;
	uv_async_t async;
	pthread_t thread;
	int port;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void (*fn)(struct tf *, void *);
	void *fn_arg;
	bool fn_done;
	bool stop;
	char path[64];		/* file backing nsid 1 */
};

/* Starts a target with subsystem TH_SUBNQN, nsid 1 = a 4 MiB file (path
 * in tf->path) of 2^shift blocks, nsid 2 = ram:1M, listening on
 * 127.0.0.1:0. setup (may be NULL) runs on the loop before listening. */
void tf_start(struct tf *f, uint32_t shift, void (*setup)(struct tf *, void *), void *arg);
/* Runs fn on the target's loop thread and waits for it. */
void tf_call(struct tf *f, void (*fn)(struct tf *, void *), void *arg);
void tf_stop(struct tf *f);

/* ---- Test host -------------------------------------------------------------- */
struct th {
	int fd;
	struct tcp_params p;
	uint16_t cid;
	uint16_t cntlid;
	uint8_t hostid[16];
	/* last PDU received */
	union nvmf_tcp_pdu_hdr hdr;
	uint8_t *data;
	uint32_t datal;
	bool ddgst_ok, hdgst_ok;
	bool saw_success_flag;
	uint32_t c2h_bytes;	/* C2HData bytes the last th_cmd() received */
	/* Optional tap of every byte sent (side 0) and received (side 1),
	 * e.g. to write a pcap. */
	void (*tap)(void *arg, int side, const void *buf, size_t len);
	void *tap_arg;
};

struct th_cqe {
	uint32_t dw0, dw1;
	uint16_t sqhd, sqid, cid, status;	/* status: (SCT << 8) | SC, CRD and DNR dropped */
	uint8_t crd;				/* Command Retry Delay, 0..3 */
	bool dnr;
};

int  th_open(struct th *h, int port);
/* th_open() with a receive buffer of rcvbuf bytes (0: the default), set
 * before connect so that the window the host advertises stays that small. */
int  th_open_rcvbuf(struct th *h, int port, int rcvbuf);
void th_close(struct th *h);
int  th_send(struct th *h, const void *buf, size_t len);
/* Receives one PDU (any type) into h->hdr / h->data. 0, -ETIMEDOUT, or
 * -ECONNRESET when the peer closed. */
int  th_recv_pdu(struct th *h);
/* True if the target closes the connection (EOF/reset) within the timeout,
 * ignoring any PDUs before it. */
bool th_wait_closed(struct th *h, int timeout_ms);

int  th_icreq(struct th *h, uint8_t hpda, bool hdgst, bool ddgst);
void th_sqe(uint8_t *sqe, uint8_t opc, uint32_t nsid);
/*
 * Runs a command: wdata (wlen bytes) sent in-capsule if icd, else through
 * R2T/H2CData; rbuf receives C2H data (rlen max). Fills cqe (synthesized
 * when the C2HData SUCCESS flag ends the command). 0 or negative errno.
 */
int  th_cmd(struct th *h, uint8_t *sqe, const void *wdata, uint32_t wlen, bool icd,
	    void *rbuf, uint32_t rlen, struct th_cqe *cqe);
/* Fabrics helpers. */
int  th_connect(struct th *h, uint16_t qid, uint16_t sqsize, uint32_t kato, uint16_t cntlid,
		const char *subnqn, const char *hostnqn, uint8_t cattr, struct th_cqe *cqe);
int  th_prop_get(struct th *h, uint32_t ofst, bool eight, uint64_t *v, struct th_cqe *cqe);
int  th_prop_set(struct th *h, uint32_t ofst, uint32_t v, struct th_cqe *cqe);
/* ICReq + admin Connect + CC.EN = 1 and wait for CSTS.RDY. */
int  th_admin_up(struct th *h, int port, const char *subnqn, uint32_t kato);
/* The same with another HOSTNQN ("" for none, as SPDK's host sends). */
int  th_admin_up_as(struct th *h, int port, const char *subnqn, const char *hostnqn,
		    uint32_t kato);
/* ICReq + I/O queue Connect for the controller of admin. */
int  th_io_up(struct th *h, int port, const struct th *admin, uint16_t qid, uint8_t cattr);

/* I/O helpers (nsid, slba, nblocks with the namespace's block size). */
int  th_write(struct th *h, uint32_t nsid, uint64_t slba, uint32_t nlb, const void *buf,
	      uint32_t len, bool icd, struct th_cqe *cqe);
int  th_read(struct th *h, uint32_t nsid, uint64_t slba, uint32_t nlb, void *buf, uint32_t len,
	     struct th_cqe *cqe);
int  th_get_log(struct th *h, uint8_t lid, bool rae, uint64_t off, void *buf, uint32_t len,
		struct th_cqe *cqe);
int  th_identify(struct th *h, uint8_t cns, uint32_t nsid, void *buf, struct th_cqe *cqe);
/* Host Behavior Support (FID 16h): Set with len bytes of data (sent
 * through R2T), Get with SEL sel into len bytes. */
int  th_set_host_behavior(struct th *h, const void *data, uint32_t len, struct th_cqe *cqe);
int  th_get_host_behavior(struct th *h, uint8_t sel, void *buf, uint32_t len, struct th_cqe *cqe);

#endif
