/*
 * NVMe/TCP host: establishing the TCP connection of a queue pair.
 *
 * The address is resolved with uv_getaddrinfo (IPv4, IPv6, host names;
 * NVMe-oF 1.1, 5.4 leaves TRADDR as text) and every address it returns is
 * tried in order, as a TCP client should, until one connects. A literal
 * address with a numeric port is used as it is: getaddrinfo would return
 * just that, but from libuv's threadpool, whose threads (four) would start
 * in every process that connects. The connect timeout is the generic queue
 * pair timer: it covers all of it.
 *
 * Handle accounting: the getaddrinfo request and the uv_tcp_t each count as
 * one open handle of the queue pair until their last callback, so the
 * queue pair's memory outlives anything libuv may still call back into.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/host_qpair.h"

static void conn_try_next(struct tcp_host_qpair *hq);

static bool conn_live(const struct tcp_host_qpair *hq)
{
	return hq->base.state == XP_QP_CONNECTING;
}

/* Close callback of the TCP handle, after a failed attempt or for good. */
static void conn_tcp_closed(uv_handle_t *h)
{
	struct tcp_host_qpair *hq = h->data;

	if (conn_live(hq)) {
		/* A failed attempt: the handle is free for the next address. */
		hq->base.open_handles--;
		conn_try_next(hq);
		return;
	}
	xp_handle_closed(&hq->base);
}

static void conn_close_tcp(struct tcp_host_qpair *hq)
{
	if (!hq->tcp_open)
		return;
	hq->tcp_open = false;
	uv_close((uv_handle_t *)&hq->tcp, conn_tcp_closed);
}

static void conn_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	buf[0] = '\0';
	if (sa->sa_family == AF_INET)
		uv_ip4_name((const struct sockaddr_in *)sa, buf, len);
	else if (sa->sa_family == AF_INET6)
		uv_ip6_name((const struct sockaddr_in6 *)sa, buf, len);
}

static void conn_connected(uv_connect_t *creq, int status)
{
	struct tcp_host_qpair *hq = creq->data;

	if (status == UV_ECANCELED || !conn_live(hq))
		return;
	if (status < 0) {
		hq->last_conn_err = status;
		xp_log(&hq->base, NVMF_LOG_DEBUG, "connect to %s port %s: %s", hq->peer,
		       hq->trsvcid, uv_strerror(status));
		conn_close_tcp(hq);	/* conn_tcp_closed tries the next address */
		return;
	}
	if (hq->ai_list != NULL)
		freeaddrinfo(hq->ai_list);
	hq->ai_list = hq->ai_next = NULL;
	tcp_host_connected(hq);
}

/* Bind the source address if one was given; -EAFNOSUPPORT if its family
 * does not match this destination (the caller skips the address). */
static int conn_bind(struct tcp_host_qpair *hq, int family)
{
	const char *src = hq->base.host_traddr;
	struct sockaddr_storage ss;
	int rc;

	if (src == NULL)
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET)
		rc = uv_ip4_addr(src, 0, (struct sockaddr_in *)&ss);
	else
		rc = uv_ip6_addr(src, 0, (struct sockaddr_in6 *)&ss);
	if (rc != 0)
		return -EAFNOSUPPORT;
	return uv_tcp_bind(&hq->tcp, (const struct sockaddr *)&ss, 0);
}

static void conn_try_next(struct tcp_host_qpair *hq)
{
	struct xp_qpair *qp = &hq->base;
	int rc;

	while (hq->ai_next != NULL) {
		struct addrinfo *ai = hq->ai_next;

		hq->ai_next = ai->ai_next;
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		conn_addr_str(ai->ai_addr, hq->peer, sizeof(hq->peer));
		rc = uv_tcp_init(qp->loop, &hq->tcp);
		if (rc != 0) {
			hq->last_conn_err = rc;
			break;
		}
		hq->tcp.data = hq;
		hq->tcp_open = true;
		qp->open_handles++;
		rc = conn_bind(hq, ai->ai_family);
		if (rc == 0) {
			hq->conn_req.data = hq;
			rc = uv_tcp_connect(&hq->conn_req, &hq->tcp, ai->ai_addr, conn_connected);
		}
		if (rc == 0)
			return;
		if (rc != -EAFNOSUPPORT)
			hq->last_conn_err = rc;
		conn_close_tcp(hq);	/* continues from the close callback */
		return;
	}
	if (hq->last_conn_err == 0)
		hq->last_conn_err = UV_EADDRNOTAVAIL;
	xp_set_error(qp, "cannot connect to %s port %s: %s", hq->traddr, hq->trsvcid,
		     uv_strerror(hq->last_conn_err));
	xp_connect_done(qp, hq->last_conn_err < 0 ? hq->last_conn_err : -ECONNREFUSED);
}

/*
 * TRADDR an IPv4 address in dotted decimal or an IPv6 address without a
 * zone, TRSVCID a port number: hq->lit_ai becomes the one address to try.
 * Anything else (host names, zones, service names, the other forms
 * inet_aton takes) goes to getaddrinfo as before.
 */
static bool conn_literal(struct tcp_host_qpair *hq)
{
	struct addrinfo *ai = &hq->lit_ai;
	unsigned long port;
	char *end;

	if (hq->trsvcid[0] < '0' || hq->trsvcid[0] > '9')
		return false;
	port = strtoul(hq->trsvcid, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535 || strchr(hq->traddr, '%') != NULL)
		return false;
	memset(&hq->lit_addr, 0, sizeof(hq->lit_addr));
	memset(ai, 0, sizeof(*ai));
	if (uv_ip4_addr(hq->traddr, (int)port, (struct sockaddr_in *)&hq->lit_addr) == 0) {
		ai->ai_family = AF_INET;
		ai->ai_addrlen = sizeof(struct sockaddr_in);
	} else if (uv_ip6_addr(hq->traddr, (int)port, (struct sockaddr_in6 *)&hq->lit_addr) == 0) {
		ai->ai_family = AF_INET6;
		ai->ai_addrlen = sizeof(struct sockaddr_in6);
	} else {
		return false;
	}
	ai->ai_socktype = SOCK_STREAM;
	ai->ai_protocol = IPPROTO_TCP;
	ai->ai_addr = (struct sockaddr *)&hq->lit_addr;
	return true;
}

static void conn_resolved(uv_getaddrinfo_t *gai, int status, struct addrinfo *res)
{
	struct tcp_host_qpair *hq = gai->data;
	struct xp_qpair *qp = &hq->base;

	hq->gai_pending = false;
	if (!conn_live(hq)) {
		if (res != NULL)
			freeaddrinfo(res);
		xp_handle_closed(qp);
		return;
	}
	qp->open_handles--;	/* the timer keeps the count above zero */
	if (status < 0) {
		xp_set_error(qp, "cannot resolve address '%s' port '%s': %s", hq->traddr,
			     hq->trsvcid, uv_strerror(status));
		xp_connect_done(qp, -EHOSTUNREACH);
		return;
	}
	hq->ai_list = hq->ai_next = res;
	conn_try_next(hq);
}

int tcp_conn_start(struct tcp_host_qpair *hq, const char *traddr, const char *trsvcid)
{
	struct xp_qpair *qp = &hq->base;
	struct addrinfo hints;
	size_t n = strlen(traddr);
	int rc;

	/* Accept "[::1]" as well as "::1": URIs bracket IPv6 literals. */
	if (n >= 2 && traddr[0] == '[' && traddr[n - 1] == ']') {
		traddr++;
		n -= 2;
	}
	/* The Fabrics fields bound both (TRADDR 256 bytes, TRSVCID 32). */
	if (n >= sizeof(hq->traddr)) {
		xp_set_error(qp, "connect: traddr too long (%zu characters, at most %zu)", n,
			     sizeof(hq->traddr) - 1);
		return -EINVAL;
	}
	if (strlen(trsvcid) >= sizeof(hq->trsvcid)) {
		xp_set_error(qp, "connect: trsvcid too long (%zu characters, at most %zu)",
			     strlen(trsvcid), sizeof(hq->trsvcid) - 1);
		return -EINVAL;
	}
	memcpy(hq->traddr, traddr, n);
	hq->traddr[n] = '\0';
	snprintf(hq->trsvcid, sizeof(hq->trsvcid), "%s", trsvcid);

	if (conn_literal(hq)) {
		/* As conn_resolved would with this one address. conn_try_next
		 * ends synchronously only without an address to try or when
		 * uv_tcp_init fails, neither of which can happen here (one
		 * entry of a family it takes; libuv's init makes no socket);
		 * every other outcome comes from a callback. */
		qp->connect_phase = "the TCP connection";
		hq->ai_list = NULL;
		hq->ai_next = &hq->lit_ai;
		conn_try_next(hq);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hq->gai.data = hq;
	rc = uv_getaddrinfo(qp->loop, &hq->gai, conn_resolved, hq->traddr, hq->trsvcid, &hints);
	if (rc != 0) {
		xp_set_error(qp, "cannot resolve address '%s' port '%s': %s", hq->traddr,
			     hq->trsvcid, uv_strerror(rc));
		return -EINVAL;
	}
	hq->gai_pending = true;
	qp->open_handles++;
	qp->connect_phase = "the TCP connection";
	return 0;
}

void tcp_conn_close(struct tcp_host_qpair *hq)
{
	/* A cancelled lookup still calls back (UV_ECANCELED), which releases
	 * its handle count; one already running just finishes. */
	if (hq->gai_pending)
		uv_cancel((uv_req_t *)&hq->gai);
	conn_close_tcp(hq);
}

/*
 * In process: the TCP handle is initialized but never connected (no socket
 * is made), so closing it is as for a real one; bytes go to the sink and
 * come in through tcp_host_rx_result(tcp_rx_commit()) as hq_read does.
 */
int tcp_conn_start_sink(struct tcp_host_qpair *hq, const char *traddr, const char *trsvcid)
{
	struct xp_qpair *qp = &hq->base;
	int rc;

	snprintf(hq->traddr, sizeof(hq->traddr), "%s", traddr);
	snprintf(hq->trsvcid, sizeof(hq->trsvcid), "%s", trsvcid);
	snprintf(hq->peer, sizeof(hq->peer), "in-process");
	rc = uv_tcp_init(qp->loop, &hq->tcp);
	if (rc != 0)
		return rc;
	hq->tcp.data = hq;
	hq->tcp_open = true;
	qp->open_handles++;
	rc = tcp_host_send_icreq(hq);
	return rc != 0 ? -EPIPE : 0;
}

int tcp_host_set_sink(struct xp_qpair *qp, tcp_tx_sink_fn sink, void *arg)
{
	struct tcp_host_qpair *hq = tcp_hq(qp);

	if (qp->state != XP_QP_IDLE || qp->opts.tp.tcp.tls)
		return -EINVAL;
	tcp_tx_set_sink(&hq->tx, sink, arg);
	return 0;
}
