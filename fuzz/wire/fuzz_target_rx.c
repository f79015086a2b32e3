/*
 * nvmf-target's receive and command path (issue 16): bytes from a host into
 * the controller side of NVMe/TCP (src/tcp/ctrl), the controller-role queue
 * pairs (src/transport/ctrl) and the controller (src/controller): ICReq,
 * Fabrics Connect of an admin and an I/O queue, Property Get/Set, Identify,
 * Get Log Page, Read, Write, Flush, Dataset Management, Compare, Write
 * Zeroes, H2CData after R2T, and whatever else the bytes say.
 *
 * A target with a subsystem of three RAM namespaces (which complete on the
 * loop: no threadpool, backend.c), one whose host must authenticate
 * (DH-HMAC-CHAP with SHA-256 and the NULL group) and the discovery
 * subsystem; per input up to two connections made in process
 * (tcp_cconn_open_sink), all they send going to sink(). Byte 0 of the
 * input: bit 0 lets the target use C2HData SUCCESS, bits 3:1 make the Nth
 * write that finishes fail (0: none); the rest are reads (wire.h), bit 7 of
 * a chunk's control byte naming the connection (0: the admin queue in the
 * seeds, 1: an I/O queue), which is made at its first read. Before each
 * read, the write in flight on each connection is finished.
 *
 * Checked: what the target sends passes the host side of the framer
 * (headers, layout, digests); nothing is sent on a closed connection; once
 * both connections are closed and the loop turned, every connection,
 * request and controller is gone and no command is counted in flight or
 * holding data buffers.
 */
#include "fuzz.h"
#include "wire.h"

#include <stdio.h>

#include "controller/ctl.h"
#include "tcp/ctrl/conn.h"

#define SUBNQN "nqn.2014-08.io.libnvmf:fuzz"
/* A subsystem whose one host authenticates (DH-HMAC-CHAP): its Connect
 * starts the AUTH_Send/AUTH_Receive exchange (src/controller/auth.c). */
#define AUTHNQN "nqn.2014-08.io.libnvmf:fuzz-auth"
#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:6b1e5c3a-4f3e-4a57-9d7a-1f0c2b3d4e5f"

static uv_loop_t loop;
static struct ctl_target target;
static struct xp_listener *listener;

/*
 * What the target sends must pass the host side of our own framer (the
 * role a host plays, tcp/rx.h): one checker per connection, its parameters
 * those the connection negotiated once the ICResp is out.
 */
struct checker {
	struct tcp_rx rx;
	struct tcp_cconn *c;
};

static struct checker checkers[2];
static uint8_t *scratch;	/* where C2HData lands: at most MDTS bytes */
static size_t scratch_len;

static int chk_hdr(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		   const struct tcp_rx_layout *lay, void **dst, struct tcp_err *err)
{
	(void)arg;
	(void)err;
	if (hdr->ch.pdu_type == NVMF_TCP_C2H_DATA || hdr->ch.pdu_type == NVMF_TCP_R2T) {
		if (lay->datal > scratch_len)
			abort();	/* more than MDTS in one PDU */
		*dst = scratch;
	}
	return 0;
}

static int chk_pdu(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		   const struct tcp_rx_layout *lay, void *data, bool ddgst_ok,
		   struct tcp_err *err)
{
	struct checker *k = arg;

	(void)lay;
	(void)data;
	(void)err;
	if (!ddgst_ok)
		abort();	/* a data digest the target computed wrongly */
	if (hdr->ch.pdu_type == NVMF_TCP_ICRESP) {
		struct tcp_params p;

		memset(&p, 0, sizeof(p));
		p.role = TCP_ROLE_HOST;
		p.hdgst = k->c->params.hdgst;
		p.ddgst = k->c->params.ddgst;
		p.rx_pda = k->c->params.tx_pda;
		tcp_rx_set_params(&k->rx, &p);
	}
	return 0;
}

static const struct tcp_rx_ops chk_ops = { .on_hdr = chk_hdr, .on_pdu = chk_pdu };

static int sink(void *arg, const uv_buf_t *iov, unsigned iovcnt)
{
	struct checker *k = arg;
	size_t n = 0;

	if (k->c->closed)
		abort();
	for (unsigned i = 0; i < iovcnt; i++) {
		n += iov[i].len;
		if (tcp_rx_feed(&k->rx, iov[i].base, iov[i].len) != 0)
			abort();	/* a PDU a host must refuse */
	}
	return n > 0 ? 0 : UV_EINVAL;
}

static void checker_start(struct checker *k, struct tcp_cconn *c)
{
	struct tcp_params p;

	memset(&p, 0, sizeof(p));
	p.role = TCP_ROLE_HOST;
	tcp_rx_free(&k->rx);
	if (tcp_rx_init(&k->rx, &p, 4096, &chk_ops, k) != 0)
		abort();
	k->c = c;
}

static void add_ns(struct ctl_subsys *s, const char *backing, uint32_t shift, bool ro,
		   uint32_t nsid)
{
	struct ctl_ns *ns;
	char msg[256];

	if (ctl_ns_open(&ns, backing, shift, ro, msg, sizeof(msg)) != 0 ||
	    ctl_subsys_attach_ns(s, ns, nsid) != 0) {
		fprintf(stderr, "fuzz_target_rx: namespace %s: %s\n", backing, msg);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct xp_listen_opts o;
	struct ctl_secret secret;
	struct ctl_subsys *s;

	(void)argc;
	(void)argv;
	if (uv_loop_init(&loop) != 0)
		abort();
	ctl_target_init(&target, &loop);
	target.opts.verbose = -1;	/* not even warnings: no output per input */
	s = ctl_subsys_add(&target, SUBNQN);
	if (!s)
		abort();
	add_ns(s, "ram:1M", 9, false, 1);
	add_ns(s, "ram:256K", 12, false, 2);
	add_ns(s, "ram:64K", 9, true, 3);
	/* SHA-256 and the NULL group only: no modular exponentiation, whose
	 * milliseconds per input would leave little time for the parsers. */
	s = ctl_subsys_add(&target, AUTHNQN);
	if (!s || ctl_subsys_allow_host(s, HOSTNQN) != 0)
		abort();
	memset(&secret, 0, sizeof(secret));
	secret.len = 32;
	for (int i = 0; i < 32; i++)
		secret.key[i] = (uint8_t)(i * 3 + 1);
	if (ctl_subsys_set_secrets(s, HOSTNQN, &secret, &secret) != 0)
		abort();
	s->auth.nhash = 1;
	s->auth.hash[0] = 1;
	s->auth.ndh = 1;
	s->auth.dh[0] = 0;
	add_ns(s, "ram:64K", 9, false, 1);
	if (ctl_target_add_listener(&target, "127.0.0.1", 4420, true) != 0)
		abort();
	ctl_listen_opts(&target, &o);
	o.tp.tcp.tls = XP_TLS_NONE;
	o.tp.tcp.stage_size = 16 * 1024;
	if (xp_listener_create("tcp", &loop, &o, &ctl_xp_ops, &target, &listener) != 0)
		abort();
	scratch_len = o.max_xfer;
	scratch = malloc(scratch_len);
	if (!scratch)
		abort();
	return 0;
}

/* Still allocated (closing or not): in the listener's list. */
static bool alive(const struct tcp_cconn *c)
{
	if (!c)
		return false;
	for (struct tcp_cconn *x = tcp_srv_of(listener)->conns; x; x = tcp_cconn_next(x))
		if (x == c)
			return true;
	return false;
}

/*
 * What a loop turn does after polling: the listener's check handle sends
 * what each connection queued (listen.c). Called directly: a loop turn
 * would poll the loop's own signal pipe, a system call per read; the loop
 * runs once per input, for the close callbacks.
 */
static void flush(void)
{
	uv_check_t *h = &tcp_srv_of(listener)->flush;

	h->check_cb(h);
}

/*
 * The write in flight on c is through, or, if it is the one byte 0 bits 3:1
 * name (the first, second... write finished in this input), failed as when
 * the host resets the connection.
 */
static unsigned writes_done, write_fails;

static void write_done(struct tcp_cconn *c)
{
	struct tcp_tx *tx = tcp_cconn_tx(c);

	if (!tx->inflight)
		return;
	tcp_tx_sink_done(tx, ++writes_done == write_fails ? UV_ECONNRESET : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct tcp_cconn *conn[2];
	struct wire_chunk ch;

	if (size < 1)
		return 0;
	/* Every input starts from the same target: CNTLIDs from 1 again. */
	target.next_cntlid = 1;
	listener->opts.c2h_success = (p[0] & 1) != 0;
	writes_done = 0;
	write_fails = (p[0] >> 1) & 7;
	p++;
	conn[0] = conn[1] = NULL;
	while (wire_next_chunk(&p, end, &ch)) {
		struct tcp_cconn *c;

		/* A connection is made when its first read comes. */
		if (!conn[ch.flag]) {
			if (tcp_cconn_open_sink(listener, true, sink, NULL, &conn[ch.flag]) != 0)
				abort();
			checker_start(&checkers[ch.flag], conn[ch.flag]);
			tcp_tx_set_sink(tcp_cconn_tx(conn[ch.flag]), sink, &checkers[ch.flag]);
		}
		c = conn[ch.flag];
		for (int i = 0; i < 2; i++)
			if (alive(conn[i]))
				write_done(conn[i]);
		if (alive(c) && !c->closed && !c->linger)
			tcp_cconn_input(c, ch.data, ch.len);
		flush();
	}
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 2; i++)
			if (alive(conn[i]))
				write_done(conn[i]);
		flush();
	}
	for (int i = 0; i < 2; i++) {
		if (!alive(conn[i]))
			continue;
		tcp_cconn_close(conn[i], "end of input");
		if (alive(conn[i]))
			tcp_tx_sink_done(tcp_cconn_tx(conn[i]), UV_ECANCELED);
	}
	uv_run(&loop, UV_RUN_NOWAIT);	/* close callbacks free them */
	if (tcp_srv_of(listener)->conns != NULL || target.ctrls != NULL || target.inflight != 0 ||
	    target.data_bytes != 0)
		abort();
	return 0;
}
