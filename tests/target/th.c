/*
 * Test host and target fixture for the nvmf-target tests (see th.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <nvmf/endian.h>

#include "th.h"

/* ---- Target fixture ------------------------------------------------------- */

static void tf_async_cb(uv_async_t *a)
{
	struct tf *f = a->data;

	pthread_mutex_lock(&f->mu);
	if (f->fn && !f->fn_done) {
		f->fn(f, f->fn_arg);
		f->fn_done = true;
		pthread_cond_broadcast(&f->cv);
	}
	if (f->stop) {
		xp_listener_close(f->srv);
		uv_close((uv_handle_t *)&f->async, NULL);
	}
	pthread_mutex_unlock(&f->mu);
}

static void *tf_main(void *arg)
{
	struct tf *f = arg;
	sigset_t set;

	/* As nvmf-target ignores SIGPIPE: a host that closes while the target
	 * still writes must not end the test process. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void tf_start(struct tf *f, uint32_t shift, void (*setup)(struct tf *, void *), void *arg)
{
	struct ctl_ns *ns;
	char msg[256] = "cannot create the listener";
	int fd, rc;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (uv_loop_init(&f->loop) != 0)
		abort();
	ctl_target_init(&f->t, &f->loop);
	f->t.opts.verbose = getenv("TH_VERBOSE") ? 2 : -1;
	f->s = ctl_subsys_add(&f->t, TH_SUBNQN);
	snprintf(f->path, sizeof(f->path), "/tmp/nvmf-target-test-XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0 || ftruncate(fd, 4 << 20) < 0)
		abort();
	close(fd);
	rc = ctl_ns_open(&ns, f->path, shift, false, msg, sizeof(msg));
	if (rc < 0) {
		fprintf(stderr, "%s\n", msg);
		abort();
	}
	ctl_subsys_attach_ns(f->s, ns, 1);
	rc = ctl_ns_open(&ns, "ram:1M", shift, false, msg, sizeof(msg));
	if (rc < 0)
		abort();
	ctl_subsys_attach_ns(f->s, ns, 2);
	ctl_listen_opts(&f->t, &f->lopts);
	if (setup) {
		/* A setup function may change the target's options and the
		 * listener's own (connection limit, set-up timeout, TCP's); the
		 * ones derived from the target's are derived again after it. */
		struct xp_listen_opts own;

		setup(f, arg);
		own = f->lopts;
		ctl_listen_opts(&f->t, &f->lopts);
		f->lopts.max_conns = own.max_conns;
		f->lopts.connect_timeout_ms = own.connect_timeout_ms;
		f->lopts.data_timeout_ms = own.data_timeout_ms;
		f->lopts.send_timeout_ms = own.send_timeout_ms;
		f->lopts.tp = own.tp;
	}
	if (xp_listener_create("tcp", &f->loop, &f->lopts, &ctl_xp_ops, &f->t, &f->srv) < 0 ||
	    xp_listen(f->srv, "127.0.0.1", 0, true, &f->port, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "%s\n", msg);
		abort();
	}
	ctl_target_add_listener(&f->t, "127.0.0.1", f->port, true);
	uv_async_init(&f->loop, &f->async, tf_async_cb);
	f->async.data = f;
	pthread_create(&f->thread, NULL, tf_main, f);
}

void tf_call(struct tf *f, void (*fn)(struct tf *, void *), void *arg)
{
	pthread_mutex_lock(&f->mu);
	f->fn = fn;
	f->fn_arg = arg;
	f->fn_done = false;
	uv_async_send(&f->async);
	while (!f->fn_done)
		pthread_cond_wait(&f->cv, &f->mu);
	f->fn = NULL;
	pthread_mutex_unlock(&f->mu);
}

void tf_stop(struct tf *f)
{
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	uv_async_send(&f->async);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	/* Controllers' timers and anything else still open. */
	uv_walk(&f->loop, close_walk, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	ctl_target_fini(&f->t);
	uv_loop_close(&f->loop);
	unlink(f->path);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
}

/* ---- Socket I/O ------------------------------------------------------------ */

int th_open(struct th *h, int port)
{
	return th_open_rcvbuf(h, port, 0);
}

int th_open_rcvbuf(struct th *h, int port, int rcvbuf)
{
	struct sockaddr_in sin;
	int one = 1;

	memset(h, 0, sizeof(*h));
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (h->fd < 0)
		return -errno;
	if (rcvbuf > 0 && setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) {
		int e = -errno;

		close(h->fd);
		h->fd = -1;
		return e;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(h->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = -errno;

		close(h->fd);
		h->fd = -1;
		return e;
	}
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < 16; i++)
		h->hostid[i] = (uint8_t)(0xA0 + i);
	h->p.role = TCP_ROLE_HOST;
	h->p.maxh2cdata = 4096;
	h->cid = 1;
	return 0;
}

void th_close(struct th *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	free(h->data);
	h->data = NULL;
}

int th_send(struct th *h, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (h->tap)
		h->tap(h->tap_arg, 0, buf, len);
	while (len) {
		ssize_t n = send(h->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_all(struct th *h, void *buf, size_t len, int timeout_ms)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
		int rc = poll(&pfd, 1, timeout_ms);
		ssize_t n;

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0)
			return -ETIMEDOUT;
		n = recv(h->fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ECONNRESET;
		if (h->tap)
			h->tap(h->tap_arg, 1, p, (size_t)n);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int th_recv_pdu(struct th *h)
{
	uint8_t raw[TCP_PDU_HDR_BUF];
	uint32_t plen, hl, pdo, dd;
	uint8_t *rest;
	int rc;

	rc = recv_all(h, raw, 8, TH_TIMEOUT_MS);
	if (rc < 0)
		return rc;
	plen = nvmf_get_le32(raw + 4);
	if (plen < 8 || plen > (64u << 20))
		return -EPROTO;
	rest = malloc(plen);
	if (!rest)
		return -ENOMEM;
	memcpy(rest, raw, 8);
	rc = recv_all(h, rest + 8, plen - 8, TH_TIMEOUT_MS);
	if (rc < 0) {
		free(rest);
		return rc;
	}
	hl = rest[2];
	pdo = rest[3];
	memset(&h->hdr, 0, sizeof(h->hdr));
	memcpy(h->hdr.raw, rest, hl < sizeof(h->hdr.raw) ? hl : sizeof(h->hdr.raw));
	h->hdgst_ok = true;
	if (rest[1] & NVMF_TCP_F_HDGST)
		h->hdgst_ok = nvmf_get_le32(rest + hl) == tcp_crc32c(rest, hl);
	free(h->data);
	h->data = NULL;
	h->datal = 0;
	h->ddgst_ok = true;
	dd = (rest[1] & NVMF_TCP_F_DDGST) ? 4 : 0;
	if (rest[0] == NVMF_TCP_C2H_TERM_REQ && plen > hl) {
		h->datal = plen - hl;
		h->data = malloc(h->datal);
		memcpy(h->data, rest + hl, h->datal);
	} else if (pdo && plen > pdo + dd) {
		h->datal = plen - pdo - dd;
		h->data = malloc(h->datal);
		memcpy(h->data, rest + pdo, h->datal);
		if (dd)
			h->ddgst_ok = nvmf_get_le32(rest + pdo + h->datal) ==
				      tcp_crc32c(h->data, h->datal);
	}
	free(rest);
	return 0;
}

bool th_wait_closed(struct th *h, int timeout_ms)
{
	uint8_t buf[4096];
	int waited = 0;

	while (waited < timeout_ms) {
		struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
		int rc = poll(&pfd, 1, 100);

		waited += 100;
		if (rc <= 0)
			continue;
		ssize_t n = recv(h->fd, buf, sizeof(buf), 0);

		if (n <= 0)
			return true;
	}
	return false;
}

/* ---- Protocol ---------------------------------------------------------------- */

int th_icreq(struct th *h, uint8_t hpda, bool hdgst, bool ddgst)
{
	uint8_t buf[TCP_PDU_HDR_BUF];
	struct tcp_ic_request req = { .hpda = hpda, .hdgst = hdgst, .ddgst = ddgst };
	struct tcp_err err;
	size_t n = tcp_build_icreq(buf, hpda, hdgst, ddgst, 3);
	int rc = th_send(h, buf, n);

	if (rc < 0)
		return rc;
	rc = th_recv_pdu(h);
	if (rc < 0)
		return rc;
	if (h->hdr.ch.pdu_type != NVMF_TCP_ICRESP)
		return -EPROTO;
	if (tcp_check_icresp(&h->hdr.icresp, &req, &h->p, &err) != 0) {
		fprintf(stderr, "ICResp: %s\n", err.msg);
		return -EPROTO;
	}
	return 0;
}

void th_sqe(uint8_t *sqe, uint8_t opc, uint32_t nsid)
{
	memset(sqe, 0, 64);
	sqe[0] = opc;
	nvmf_put_le32(sqe + 4, nsid);
}

static void parse_cqe(const uint8_t *c, struct th_cqe *cqe)
{
	uint16_t sf = nvmf_get_le16(c + 14);

	cqe->dw0 = nvmf_get_le32(c);
	cqe->dw1 = nvmf_get_le32(c + 4);
	cqe->sqhd = nvmf_get_le16(c + 8);
	cqe->sqid = nvmf_get_le16(c + 10);
	cqe->cid = nvmf_get_le16(c + 12);
	cqe->status = (sf >> 1) & 0x7FF;
	cqe->crd = (uint8_t)((sf >> 12) & 3);
	cqe->dnr = (sf & 0x8000) != 0;
}

static int send_data_pdu(struct th *h, uint8_t *hdr, size_t n, const void *data, uint32_t len)
{
	uint8_t dg[4];
	int rc = th_send(h, hdr, n);

	if (rc == 0 && len)
		rc = th_send(h, data, len);
	if (rc == 0 && len && h->p.ddgst) {
		tcp_put_digest(dg, tcp_crc32c(data, len));
		rc = th_send(h, dg, 4);
	}
	return rc;
}

int th_cmd(struct th *h, uint8_t *sqe, const void *wdata, uint32_t wlen, bool icd,
	   void *rbuf, uint32_t rlen, struct th_cqe *cqe)
{
	uint8_t hdr[TCP_PDU_HDR_BUF];
	uint16_t cid = h->cid++;
	size_t n;
	int rc;

	if (h->cid == 0xFFFF)
		h->cid = 1;
	h->c2h_bytes = 0;
	nvmf_put_le16(sqe + 2, cid);
	sqe[1] |= 0x40;		/* PSDT: SGL */
	memset(sqe + 24, 0, 16);
	if (wlen) {
		nvmf_put_le32(sqe + 32, wlen);
		sqe[39] = icd ? NVMF_SGL_ID_ICD : NVMF_SGL_ID_TCP_TRANSPORT;
	} else {
		nvmf_put_le32(sqe + 32, rlen);
		sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
	}
	n = tcp_build_capsule_cmd(hdr, &h->p, sqe, icd ? wlen : 0);
	rc = send_data_pdu(h, hdr, n, wdata, icd ? wlen : 0);
	if (rc < 0)
		return rc;
	memset(cqe, 0, sizeof(*cqe));
	for (;;) {
		rc = th_recv_pdu(h);
		if (rc < 0)
			return rc;
		if (!h->hdgst_ok || !h->ddgst_ok)
			return -EBADMSG;
		switch (h->hdr.ch.pdu_type) {
		case NVMF_TCP_R2T: {
			uint32_t off = nvmf_le32toh(h->hdr.r2t.r2to), len = nvmf_le32toh(h->hdr.r2t.r2tl);
			uint16_t ttag = nvmf_le16toh(h->hdr.r2t.ttag);

			if (off + len > wlen || len == 0)
				return -ERANGE;
			while (len) {
				uint32_t k = len < h->p.maxh2cdata ? len : h->p.maxh2cdata;

				n = tcp_build_h2c_data(hdr, &h->p, cid, ttag, off, k, k == len);
				rc = send_data_pdu(h, hdr, n, (const uint8_t *)wdata + off, k);
				if (rc < 0)
					return rc;
				off += k;
				len -= k;
			}
			break;
		}
		case NVMF_TCP_C2H_DATA: {
			uint32_t off = nvmf_le32toh(h->hdr.c2h.datao);

			if (!rbuf || off + h->datal > rlen)
				return -ERANGE;
			memcpy((uint8_t *)rbuf + off, h->data, h->datal);
			h->c2h_bytes += h->datal;
			if (h->hdr.ch.flags & NVMF_TCP_F_DATA_SUCCESS) {
				h->saw_success_flag = true;
				cqe->cid = cid;
				return 0;
			}
			break;
		}
		case NVMF_TCP_CAPSULE_RESP:
			parse_cqe(h->hdr.rsp.cqe, cqe);
			if (cqe->cid != cid)
				return -EPROTO;
			return 0;
		default:
			return -EPROTO;
		}
	}
}

int th_connect(struct th *h, uint16_t qid, uint16_t sqsize, uint32_t kato, uint16_t cntlid,
	       const char *subnqn, const char *hostnqn, uint8_t cattr, struct th_cqe *cqe)
{
	uint8_t sqe[64], data[1024];
	int rc;

	th_sqe(sqe, NVMF_ADM_FABRICS, 0);
	sqe[4] = NVMF_FCTYPE_CONNECT;
	nvmf_put_le16(sqe + 42, qid);
	nvmf_put_le16(sqe + 44, sqsize);
	sqe[46] = cattr;
	nvmf_put_le32(sqe + 48, kato);
	memset(data, 0, sizeof(data));
	memcpy(data, h->hostid, 16);
	nvmf_put_le16(data + 16, cntlid);
	snprintf((char *)data + 256, 256, "%s", subnqn);
	snprintf((char *)data + 512, 256, "%s", hostnqn);
	rc = th_cmd(h, sqe, data, sizeof(data), true, NULL, 0, cqe);
	if (rc == 0 && cqe->status == 0)
		h->cntlid = (uint16_t)cqe->dw0;
	return rc;
}

int th_prop_get(struct th *h, uint32_t ofst, bool eight, uint64_t *v, struct th_cqe *cqe)
{
	uint8_t sqe[64];
	int rc;

	th_sqe(sqe, NVMF_ADM_FABRICS, 0);
	sqe[4] = NVMF_FCTYPE_PROPERTY_GET;
	sqe[40] = eight ? 1 : 0;
	nvmf_put_le32(sqe + 44, ofst);
	rc = th_cmd(h, sqe, NULL, 0, false, NULL, 0, cqe);
	if (rc == 0 && v)
		*v = cqe->dw0 | ((uint64_t)cqe->dw1 << 32);
	return rc;
}

int th_prop_set(struct th *h, uint32_t ofst, uint32_t v, struct th_cqe *cqe)
{
	uint8_t sqe[64];

	th_sqe(sqe, NVMF_ADM_FABRICS, 0);
	sqe[4] = NVMF_FCTYPE_PROPERTY_SET;
	nvmf_put_le32(sqe + 44, ofst);
	nvmf_put_le64(sqe + 48, v);
	return th_cmd(h, sqe, NULL, 0, false, NULL, 0, cqe);
}

int th_admin_up(struct th *h, int port, const char *subnqn, uint32_t kato)
{
	return th_admin_up_as(h, port, subnqn, TH_HOSTNQN, kato);
}

int th_admin_up_as(struct th *h, int port, const char *subnqn, const char *hostnqn,
		   uint32_t kato)
{
	struct th_cqe cqe;
	uint64_t csts = 0;
	int rc;

	rc = th_open(h, port);
	if (rc == 0)
		rc = th_icreq(h, 0, false, false);
	if (rc == 0)
		rc = th_connect(h, 0, 31, kato, 0xFFFF, subnqn, hostnqn, 0, &cqe);
	if (rc == 0 && cqe.status)
		rc = -EACCES;
	/* CC: EN, IOSQES 6, IOCQES 4 */
	if (rc == 0)
		rc = th_prop_set(h, NVMF_PROP_CC, 1u | (6u << 16) | (4u << 20), &cqe);
	if (rc == 0)
		rc = th_prop_get(h, NVMF_PROP_CSTS, false, &csts, &cqe);
	if (rc == 0 && !(csts & 1))
		rc = -EIO;
	return rc;
}

int th_io_up(struct th *h, int port, const struct th *admin, uint16_t qid, uint8_t cattr)
{
	struct th_cqe cqe;
	int rc = th_open(h, port);

	if (rc == 0) {
		memcpy(h->hostid, admin->hostid, 16);
		rc = th_icreq(h, 0, false, false);
	}
	if (rc == 0)
		rc = th_connect(h, qid, 127, 0, admin->cntlid, TH_SUBNQN, TH_HOSTNQN, cattr, &cqe);
	if (rc == 0 && cqe.status)
		rc = -EACCES;
	return rc;
}

int th_write(struct th *h, uint32_t nsid, uint64_t slba, uint32_t nlb, const void *buf,
	     uint32_t len, bool icd, struct th_cqe *cqe)
{
	uint8_t sqe[64];

	th_sqe(sqe, NVMF_NVM_WRITE, nsid);
	nvmf_put_le64(sqe + 40, slba);
	nvmf_put_le32(sqe + 48, nlb - 1);
	return th_cmd(h, sqe, buf, len, icd, NULL, 0, cqe);
}

int th_read(struct th *h, uint32_t nsid, uint64_t slba, uint32_t nlb, void *buf, uint32_t len,
	    struct th_cqe *cqe)
{
	uint8_t sqe[64];

	th_sqe(sqe, NVMF_NVM_READ, nsid);
	nvmf_put_le64(sqe + 40, slba);
	nvmf_put_le32(sqe + 48, nlb - 1);
	return th_cmd(h, sqe, NULL, 0, false, buf, len, cqe);
}

int th_get_log(struct th *h, uint8_t lid, bool rae, uint64_t off, void *buf, uint32_t len,
	       struct th_cqe *cqe)
{
	uint8_t sqe[64];
	uint32_t numd = len / 4 - 1;

	th_sqe(sqe, NVMF_ADM_GET_LOG_PAGE, 0xFFFFFFFFu);
	nvmf_put_le32(sqe + 40, lid | (rae ? 1u << 15 : 0) | ((numd & 0xFFFF) << 16));
	nvmf_put_le32(sqe + 44, numd >> 16);
	nvmf_put_le64(sqe + 48, off);
	return th_cmd(h, sqe, NULL, 0, false, buf, len, cqe);
}

int th_identify(struct th *h, uint8_t cns, uint32_t nsid, void *buf, struct th_cqe *cqe)
{
	uint8_t sqe[64];

	th_sqe(sqe, NVMF_ADM_IDENTIFY, nsid);
	nvmf_put_le32(sqe + 40, cns);
	return th_cmd(h, sqe, NULL, 0, false, buf, 4096, cqe);
}

int th_set_host_behavior(struct th *h, const void *data, uint32_t len, struct th_cqe *cqe)
{
	uint8_t sqe[64];

	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_HOST_BEHAVIOR);
	return th_cmd(h, sqe, data, len, false, NULL, 0, cqe);
}

int th_get_host_behavior(struct th *h, uint8_t sel, void *buf, uint32_t len, struct th_cqe *cqe)
{
	uint8_t sqe[64];

	th_sqe(sqe, NVMF_ADM_GET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_HOST_BEHAVIOR | ((uint32_t)sel << 8));
	return th_cmd(h, sqe, NULL, 0, false, buf, len, cqe);
}
