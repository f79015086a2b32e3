/*
 * The Fabrics Connect of each queue during the bring-up (NVMe over Fabrics
 * 1.1, 3.3 "Connect"): the command with its Connect data, the text of a
 * refused one (its command specific status, Figure 21), and what a
 * successful one's response asks for: the CNTLID the I/O queues name, and
 * in-band authentication (AUTHREQ; NVMe Base 2.0, 8.13.5) through auth.c,
 * before the queue is ready. Apart from bringup.c, which runs the sequence
 * of steps (host_bu_next) and calls these at the ADMIN_CONNECT and
 * IO_CONNECT steps, because a queue's Connect is the one step with outcomes
 * of its own and is the same for the admin and the I/O queues.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "host/ctrl.h"

/*
 * The text of a failed Connect: a status name shared by NVM and Fabrics
 * commands ("NVM name / Connect name", 80h-83h) keeps only Connect's part,
 * and the command specific fields say more (Fabrics 1.1, 3.3, Figure 21).
 */
void host_bu_connect_failed(struct host_bringup *b, const struct nvmf_completion *cpl,
			    const char *text)
{
	struct nvmf_ctrl *c = b->c;
	const char *full = nvmf_status_str(cpl->status);
	const char *slash = strstr(full, " / ");
	const char *at = slash ? strstr(text, full) : NULL;
	char msg[HOST_MSG_MAX];

	if (cpl->result == -EIO && NVMF_SF_DNR(cpl->status)) {
		/* Refused for good: retrying would be refused again (nvmf.h,
		 * OUTAGES), whatever the status code type. */
		c->permanent = true;
		c->last_status = cpl->status;
	}
	if (cpl->result != -EIO || NVMF_SF_SCT(cpl->status) != 1) {
		host_bu_failf(b, cpl->result, "%s", text);
		return;
	}
	if (at)
		snprintf(msg, sizeof(msg), "%.*s%s%s", (int)(at - text), text, slash + 3,
			 at + strlen(full));
	else
		snprintf(msg, sizeof(msg), "%s", text);
	c->last_status = cpl->status;
	switch (NVMF_SF_SC(cpl->status)) {
	case 0x82:	/* Connect Invalid Parameters: IPO and IATTR in DW0 */
		if ((nvmf_connect_rsp_iattr(cpl->dw0) & NVMF_CONNECT_IATTR_IN_DATA) &&
		    nvmf_connect_rsp_ipo(cpl->dw0) ==
		    offsetof(struct nvmf_connect_payload, subnqn)) {
			/* SUBNQN refused: the target has no such subsystem,
			 * at least not at this port. */
			host_bu_failf(b, cpl->result, "%s: the target has no subsystem %s at this "
				      "port%s (SUBNQN, at offset %u of the Connect data)", msg,
				      c->opts.subnqn, c->info.discovery ?
				      " (an I/O-only port? discovery is usually at port 8009)" : "",
				      nvmf_connect_rsp_ipo(cpl->dw0));
			return;
		}
		host_bu_failf(b, cpl->result, "%s (the invalid parameter is at offset %u of the "
			      "%s)", msg, nvmf_connect_rsp_ipo(cpl->dw0),
			      (nvmf_connect_rsp_iattr(cpl->dw0) & NVMF_CONNECT_IATTR_IN_DATA)
			      ? "Connect data" : "command");
		return;
	case 0x91:	/* Authentication Required */
		/* -EACCES like an AUTHREQ in a successful response; the
		 * status stays available from nvmf_get_status(). */
		c->permanent = true;
		host_bu_failf(b, -EACCES, "%s: the controller requires in-band authentication "
			      "(DH-HMAC-CHAP), which this host does not support", msg);
		return;
	default:
		host_bu_failf(b, cpl->result, "%s", msg);
		return;
	}
}

/* Fabrics Connect of one queue (NVMe-oF 1.1, 3.3). */
void host_bu_connect(struct host_bringup *b, struct host_queue *q)
{
	struct nvmf_ctrl *c = b->c;
	struct nvmf_connect_cmd cmd;
	struct host_req *req;

	snprintf(b->what, sizeof(b->what), "queue %u Connect", q->qid);
	req = host_bu_req(b, q->qid == 0, b->what);
	if (!req)
		return;
	memset(&b->data, 0, sizeof(b->data));
	memcpy(b->data.hostid, c->opts.hostid, sizeof(b->data.hostid));
	b->data.cntlid = nvmf_htole16(q->qid == 0 ? c->opts.cntlid : c->info.cntlid);
	/* NQNs were checked to be at most 223 bytes: they fit NUL-terminated. */
	memcpy(b->data.subnqn, c->opts.subnqn, strlen(c->opts.subnqn));
	memcpy(b->data.hostnqn, c->opts.hostnqn, strlen(c->opts.hostnqn));

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = NVMF_ADM_FABRICS;
	cmd.fctype = NVMF_FCTYPE_CONNECT;
	cmd.recfmt = nvmf_htole16(NVMF_CONNECT_RECFMT);
	cmd.qid = nvmf_htole16(q->qid);
	cmd.sqsize = nvmf_htole16((uint16_t)(q->qsize - 1));
	/* SQ flow control on by default: SQHD then bounds what is outstanding. */
	cmd.cattr = c->opts.disable_sqflow ? NVMF_CONNECT_CATTR_DISABLE_SQFC : 0;
	/* KATO applies to the controller and is given on the admin queue only. */
	cmd.kato = nvmf_htole32(q->qid == 0 ? c->kato_ms : 0);
	memcpy(&req->xc.sqe, &cmd, sizeof(req->xc.sqe));
	req->xc.buf = &b->data;
	req->xc.len = sizeof(b->data);
	req->xc.dir = XP_DIR_H2C;
	req->connect = true;	/* the one command a queue takes before it is ready */
	host_bu_submit(b, q, req);
}

static void connect_ready(struct host_bringup *b, struct host_queue *q);

/* DH-HMAC-CHAP on the queue ended (auth.c). */
static void auth_done(void *arg, int r, const char *msg)
{
	struct host_bringup *b = arg;
	struct host_queue *q = b->auth_q;

	b->auth_q = NULL;
	if (b->aborted) {
		host_bu_finish(b, -ECANCELED, "the controller is disconnecting");
		return;
	}
	if (r < 0) {
		host_bu_failf(b, r, "%s", msg);
		return;
	}
	host_dbg("queue %u: authenticated", q->qid);
	connect_ready(b, q);
}

void host_bu_connect_done(struct host_bringup *b, struct host_queue *q,
			  const struct nvmf_completion *cpl)
{
	struct nvmf_ctrl *c = b->c;

	if (q->qid == 0) {
		b->cntlid = nvmf_connect_rsp_cntlid(cpl->dw0);
		/* FFF0h-FFFFh are not controller IDs (Base 2.0, 5.17.2.1,
		 * CNTLID; Fabrics 1.1, Connect data): FFFFh and FFFEh in the
		 * I/O queues' Connect would ask for any controller, not this
		 * one. */
		if (b->cntlid >= 0xFFF0) {
			host_bu_failf(b, -EPROTO, "admin queue Connect: the controller answered "
				      "CNTLID %04Xh, a reserved value (FFF0h-FFFFh)", b->cntlid);
			return;
		}
	}
	if (cpl->dw0 & NVMF_CONNECT_AUTHREQ_ASCR) {
		/* Secure channel concatenation (a TLS PSK generated by the
		 * authentication): not offered. */
		c->permanent = true;
		host_bu_failf(b, -EACCES, "queue %u Connect: the controller asks for secure "
			      "channel concatenation (AUTHREQ.ASCR), which this host does not "
			      "support", q->qid);
		return;
	}
	if (cpl->dw0 & NVMF_CONNECT_AUTHREQ_ATR) {
		/* NVMe Base 2.0, 8.13.5: authenticate this queue before it
		 * takes any other command. */
		if (q->failed || q->closing || !q->qp) {
			host_bu_failf(b, -ENOTCONN, "queue %u: connection lost right after "
				      "Connect%s%.300s", q->qid, q->errmsg[0] ? ": " : "",
				      q->errmsg);
			return;
		}
		if (!c->opts.dhchap_secret[0]) {
			c->permanent = true;
			host_bu_failf(b, -EACCES, "queue %u Connect: authentication required: "
				      "the controller asks for in-band authentication (AUTHREQ "
				      "%04xh in the Connect response) and no DH-HMAC-CHAP secret "
				      "was given (dhchap_secret; the tools' --dhchap-secret)",
				      q->qid, nvmf_connect_rsp_authreq(cpl->dw0));
			return;
		}
		b->auth_q = q;
		if (host_auth_start(c, q, (uint32_t)c->opts.connect_timeout * 1000u, auth_done,
				    b) < 0) {
			b->auth_q = NULL;
			if (nvmf_get_errno() == EACCES)
				c->permanent = true;
			host_bu_failf(b, -nvmf_get_errno(), "%s", nvmf_get_error());
		}
		return;
	}
	if (c->opts.dhchap_ctrl_secret[0] && !c->info.discovery) {
		/* Bidirectional authentication was asked for: an I/O
		 * controller that does not authenticate the queue never proves
		 * it holds the controller secret, so it may be anyone (Base
		 * 2.0, 8.13.5.5: the controller's response R2). Discovery
		 * controllers seldom authenticate (nvmet, nvmf-target): the
		 * tools pass the same options to them, and what a rogue one
		 * names must still pass this check itself. */
		c->permanent = true;
		host_bu_failf(b, -EACCES, "queue %u Connect: the controller does not ask "
			      "for authentication (AUTHREQ.ATR clear in the Connect response), "
			      "so it cannot prove it holds the controller secret that was given "
			      "(dhchap_ctrl_secret; the tools' --dhchap-ctrl-secret): refused",
			      q->qid);
		return;
	}
	connect_ready(b, q);
}

static void connect_ready(struct host_bringup *b, struct host_queue *q)
{
	struct nvmf_ctrl *c = b->c;

	if (q->failed || q->closing || !q->qp) {
		host_bu_failf(b, -ENOTCONN, "queue %u: connection lost right after Connect%s%.300s",
			      q->qid, q->errmsg[0] ? ": " : "", q->errmsg);
		return;
	}
	q->ready = true;
	if (q->qid == 0) {
		struct xp_qpair_info qi;

		xp_qpair_get_info(q->qp, &qi);
		pthread_mutex_lock(&c->st_mu);
		c->info.cntlid = b->cntlid;
		snprintf(c->tls_cipher, sizeof(c->tls_cipher), "%s",
			 qi.tp.tcp.tls ? qi.tp.tcp.tls_cipher : "");
		pthread_mutex_unlock(&c->st_mu);
		host_bu_next(b, BU_CAP);
		return;
	}
	b->qi++;
	host_bu_next(b, BU_IO_OPEN);
}
