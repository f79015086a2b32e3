/*
 * The host's receive path (issue 16): bytes from a target into the NVMe/TCP
 * framer (src/tcp/rx.c, pdu.c), the host queue pair (src/tcp/host_qpair.c)
 * and the transport layer above it (src/transport/qpair.c), with the
 * commands one connection would have in flight: reads landing in caller
 * buffers, admin reads (Identify, Get Log Page), writes in the capsule and
 * writes the controller asks for with R2T, a command without data.
 *
 * One queue pair per input, connected in process (tcp_host_set_sink): the
 * ICReq and every batch the host sends go to sink(). Byte 0 of the input
 * picks the digests the ICReq asks for (bit 0 header, bit 1 data), the
 * HPDA (bits 4:2), whether SQ flow control is to be off (bit 5) and
 * whether a command that succeeded is submitted again, once, with the next
 * generation of its CID (bit 6: 0400h + i), and whether the first write
 * that a read finishes fails (bit 7); the rest are reads (wire.h), bit 7 of a chunk's control byte finishing the
 * write in flight first, so completions that wait for a write
 * (host_send.c, "Buffer lifetime") happen too. Commands are submitted
 * when the ICResp is accepted; their CIDs are 0 to NCMDS - 1, in table
 * order.
 *
 * Checked: every command completes exactly once (at the latest when the
 * queue pair is closed); a write that succeeds handed all its data to the
 * sink first (a controller's answer cannot make unsent data written, even
 * one for a command whose capsule is still queued); no byte outside a
 * command's buffer changes; data
 * the host sends comes from the buffer of a command that writes, within it,
 * in PDUs the controller side of the framer accepts (headers, layout,
 * digests, H2CData within MAXH2CDATA); nothing is sent once the queue pair
 * failed, and a failed queue pair has nothing outstanding.
 */
#include "fuzz.h"
#include "wire.h"

#include <nvmf/endian.h>

#include "tcp/host_qpair.h"
#include "transport/xport.h"

#define GUARD 64

struct cmd {
	uint8_t  opc;
	enum xp_dir dir;
	uint32_t len;
	uint32_t cdw10;
};

/* CID i is cmds[i]: the pool hands out slots in index order. */
static const struct cmd cmds[] = {
	{ 0x06, XP_DIR_C2H, 4096, 0x01 },		/* Identify Controller */
	{ 0x02, XP_DIR_C2H, 512, (127u << 16) | 0x02 },	/* Get Log Page, SMART */
	{ 0x02, XP_DIR_C2H, 1024, 0 },			/* Read, 2 blocks */
	{ 0x02, XP_DIR_C2H, 512, 0 },			/* Read, 1 block */
	{ 0x01, XP_DIR_H2C, 2048, 0 },			/* Write: R2T (above icd_max) */
	{ 0x01, XP_DIR_H2C, 512, 0 },			/* Write: in-capsule */
	{ 0x00, XP_DIR_NONE, 0, 0 },			/* Flush */
	{ 0x01, XP_DIR_H2C, 8192, 0 },			/* Write: R2T, H2CData of MAXH2CDATA */
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static uv_loop_t loop;
static uint8_t *arena;		/* [GUARD | buffer | GUARD] per command */
static uint8_t *pristine;	/* what arena held before the input */
static size_t arena_len;
static size_t off[NCMDS];	/* of each buffer in arena */
/* [i][gen]: a command is submitted again once (gen 1) when byte 0 says so. */
static unsigned completions[NCMDS][2];
static bool submitted[NCMDS][2];
/* Bytes of command i's buffer handed to the sink since it was (re)submitted. */
static size_t sent[NCMDS];
static bool resubmit;
static bool write_fails;
static bool closed;
static struct xp_qpair *cur;

static uint8_t fill_byte(size_t i)
{
	return (uint8_t)(0xa5 ^ i);
}

static void submit(struct xp_qpair *qp, size_t i, unsigned gen);

static void cmd_cb(struct xp_qpair *qp, const struct xp_cpl *cpl, int status, void *arg)
{
	size_t i = (size_t)(uintptr_t)arg & 0xff;
	unsigned gen = (unsigned)((uintptr_t)arg >> 8);

	if (i >= NCMDS || gen > 1 || !submitted[i][gen] || ++completions[i][gen] > 1 ||
	    cpl == NULL)
		abort();
	if (status == 0 && cmds[i].dir == XP_DIR_H2C && sent[i] < cmds[i].len)
		abort();	/* "written", yet not all of it left */
	/* The slot comes back with the next generation of its CID: answers
	 * for the old one must now be refused (transport/qpair.c). */
	if (resubmit && gen == 0 && status == 0 && xp_qpair_state(qp) == XP_QP_READY)
		submit(qp, i, 1);
}

static void submit(struct xp_qpair *qp, size_t i, unsigned gen)
{
	struct xp_cmd c;

	memset(&c, 0, sizeof(c));
	c.sqe.opcode = cmds[i].opc;
	c.sqe.nsid = nvmf_htole32(cmds[i].opc == 0x06 || cmds[i].opc == 0x02 ? 0 : 1);
	c.sqe.cdw10 = nvmf_htole32(cmds[i].cdw10);
	if (cmds[i].dir != XP_DIR_NONE && cmds[i].opc != 0x06)
		c.sqe.cdw12 = nvmf_htole32(cmds[i].len / 512 - 1);
	c.buf = cmds[i].len ? arena + off[i] : NULL;
	c.len = cmds[i].len;
	c.dir = cmds[i].dir;
	c.cb = cmd_cb;
	c.arg = (void *)(uintptr_t)(i | gen << 8);
	sent[i] = 0;
	if (xp_submit(qp, &c) != 0)
		abort();	/* a queue pair of 32 entries takes all 8, twice */
	submitted[i][gen] = true;
}

static void on_connect(struct xp_qpair *qp, int status, void *arg)
{
	(void)arg;
	if (status != 0)
		return;
	for (size_t i = 0; i < NCMDS; i++)
		submit(qp, i, 0);
}

static void on_closed(struct xp_qpair *qp, void *arg)
{
	(void)qp;
	(void)arg;
	closed = true;
}

/*
 * What the host sends must pass the controller side of our own framer,
 * with the parameters the host negotiated once the ICResp is accepted.
 */
static struct tcp_rx checker;
static uint8_t scratch[16384];	/* where data lands: the largest command is 8 KiB */

static int chk_hdr(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		   const struct tcp_rx_layout *lay, void **dst, struct tcp_err *err)
{
	(void)arg;
	(void)hdr;
	(void)err;
	if (lay->datal > sizeof(scratch))
		abort();
	*dst = scratch;
	return 0;
}

static int chk_pdu(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		   const struct tcp_rx_layout *lay, void *data, bool ddgst_ok,
		   struct tcp_err *err)
{
	(void)arg;
	(void)hdr;
	(void)lay;
	(void)data;
	(void)err;
	if (!ddgst_ok)
		abort();	/* a data digest the host computed wrongly */
	return 0;
}

static const struct tcp_rx_ops chk_ops = { .on_hdr = chk_hdr, .on_pdu = chk_pdu };

/* What the host sends: nothing once failed; data only from a writer's
 * buffer; PDUs a controller accepts. */
static int sink(void *arg, const uv_buf_t *iov, unsigned iovcnt)
{
	enum xp_qpair_state st = xp_qpair_state(cur);
	struct tcp_host_qpair *hq = tcp_hq(cur);

	(void)arg;
	if (st == XP_QP_FAILED || st == XP_QP_CLOSING)
		abort();
	if (hq->ic_done && !checker.params.max_icd) {
		struct tcp_params p;

		memset(&p, 0, sizeof(p));
		p.role = TCP_ROLE_CTRL;
		p.hdgst = hq->params.hdgst;
		p.ddgst = hq->params.ddgst;
		p.rx_pda = hq->cpda;
		p.maxh2cdata = hq->params.maxh2cdata;
		p.max_icd = 1024;	/* the queue pair's icd_max */
		tcp_rx_set_params(&checker, &p);
	}
	for (unsigned k = 0; k < iovcnt; k++)
		if (tcp_rx_feed(&checker, iov[k].base, iov[k].len) != 0)
			abort();	/* a PDU a controller must refuse */
	for (unsigned k = 0; k < iovcnt; k++) {
		const uint8_t *b = (const uint8_t *)iov[k].base;
		bool ok = false;

		if (b < arena || b >= arena + arena_len)
			continue;	/* a header in the send arena */
		for (size_t i = 0; i < NCMDS && !ok; i++) {
			ok = cmds[i].dir == XP_DIR_H2C && b >= arena + off[i] &&
			     b + iov[k].len <= arena + off[i] + cmds[i].len;
			if (ok)
				sent[i] += iov[k].len;
		}
		if (!ok)
			abort();
	}
	return 0;
}

static void checker_start(void)
{
	struct tcp_params p;

	memset(&p, 0, sizeof(p));
	p.role = TCP_ROLE_CTRL;
	tcp_rx_free(&checker);
	if (tcp_rx_init(&checker, &p, 4096, &chk_ops, NULL) != 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t pos = 0;

	(void)argc;
	(void)argv;
	if (uv_loop_init(&loop) != 0)
		abort();
	for (size_t i = 0; i < NCMDS; i++) {
		off[i] = pos + GUARD;
		pos += GUARD + cmds[i].len;
	}
	arena_len = pos + GUARD;
	arena = malloc(arena_len);
	pristine = malloc(arena_len);
	if (!arena || !pristine)
		abort();
	for (size_t i = 0; i < arena_len; i++)
		arena[i] = fill_byte(i);
	memcpy(pristine, arena, arena_len);
	return 0;
}

/*
 * What the loop would do before it polls: the prepare handle sends what was
 * queued (host_send.c). Called directly: a loop turn would poll the loop's
 * own signal pipe, a system call per read; the loop runs once per input,
 * for the close callbacks.
 */
static void flush(struct tcp_host_qpair *hq)
{
	if (hq->prep_active)
		hq->prep.prepare_cb(&hq->prep);
}

/* Bytes a read brings, as hq_read hands them on. False once the queue pair
 * takes no more. */
static bool feed(struct tcp_host_qpair *hq, const uint8_t *p, size_t n)
{
	while (n > 0) {
		void *buf;
		size_t len;

		if (xp_qpair_state(&hq->base) != XP_QP_CONNECTING &&
		    xp_qpair_state(&hq->base) != XP_QP_READY)
			return false;
		tcp_rx_get_buf(&hq->rx, &buf, &len);
		if (len > n)
			len = n;
		memcpy(buf, p, len);
		p += len;
		n -= len;
		tcp_host_rx_result(hq, tcp_rx_commit(&hq->rx, len));
		if (tcp_host_live(hq))
			tcp_host_tx_after_read(hq);
	}
	return true;
}

/* Guards unchanged, and writers' buffers too: the host only reads what it
 * sends. Readers' buffers may hold anything the target sent. */
static void check_buffers(void)
{
	size_t pos = 0;

	for (size_t i = 0; i <= NCMDS; i++) {
		if (memcmp(arena + pos, pristine + pos, GUARD) != 0)
			abort();
		if (i == NCMDS)
			break;
		if (cmds[i].dir == XP_DIR_H2C &&
		    memcmp(arena + off[i], pristine + off[i], cmds[i].len) != 0)
			abort();
		pos = off[i] + cmds[i].len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct xp_qpair_opts o;
	struct xp_qpair_cbs cbs;
	struct tcp_host_qpair *hq;
	struct wire_chunk ch;
	struct xp_qpair *qp;

	if (size < 1)
		return 0;
	memset(completions, 0, sizeof(completions));
	memset(submitted, 0, sizeof(submitted));
	memset(sent, 0, sizeof(sent));
	closed = false;
	memset(&o, 0, sizeof(o));
	o.qid = 1;
	o.qsize = 32;
	o.icd_max = 1024;
	o.tp.tcp.hdgst = (p[0] & 1) != 0;
	o.tp.tcp.ddgst = (p[0] & 2) != 0;
	o.tp.tcp.hpda = (p[0] >> 2) & 7;
	p++;
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_connect = on_connect;
	cbs.on_closed = on_closed;
	if (xp_qpair_create("tcp", &loop, &o, &cbs, NULL, &qp) != 0)
		abort();
	cur = qp;
	hq = tcp_hq(qp);
	checker_start();
	/* As a Connect with CATTR bit 2 would: the controller may complete
	 * reads with C2HData SUCCESS and report SQHD FFFFh. */
	xp_qpair_set_sqfc_disable(qp, (data[0] & 0x20) != 0);
	resubmit = (data[0] & 0x40) != 0;
	write_fails = (data[0] & 0x80) != 0;
	if (tcp_host_set_sink(qp, sink, NULL) != 0 || xp_qpair_connect(qp, "fuzz", "4420") != 0)
		abort();

	while (wire_next_chunk(&p, end, &ch)) {
		if (ch.flag) {
			/* Byte 0 bit 7: the first write that finishes fails, as
			 * when the controller resets the connection. */
			tcp_tx_sink_done(&hq->tx, write_fails && hq->tx.inflight ? UV_ECONNRESET : 0);
			if (hq->tx.writes > 0)
				write_fails = false;
		}
		if (!feed(hq, ch.data, ch.len))
			break;
		flush(hq);
	}
	/* The rest goes out and is written, as a loop would go on. */
	for (int k = 0; k < 3 && xp_qpair_state(qp) == XP_QP_READY; k++) {
		tcp_tx_sink_done(&hq->tx, 0);
		flush(hq);
	}
	if (xp_qpair_state(qp) == XP_QP_FAILED && xp_qpair_inflight(qp) != 0)
		abort();	/* failed, yet commands outstanding */
	xp_qpair_close(qp, 0);
	tcp_tx_sink_done(&hq->tx, UV_ECANCELED);
	uv_run(&loop, UV_RUN_NOWAIT);	/* close callbacks free it */
	if (!closed)
		abort();
	for (size_t i = 0; i < NCMDS; i++)
		for (unsigned gen = 0; gen < 2; gen++)
			if (submitted[i][gen] != (completions[i][gen] == 1))
				abort();
	check_buffers();
	return 0;
}
