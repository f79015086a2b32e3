/*
 * nvmf-perf's raw-TCP mode: the bound NVMe/TCP runs against.
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "perf.h"

/* ---- Raw TCP mode ----------------------------------------------------------------- */
/*
 * The physical limit: the same message sizes in the same directions as
 * NVMe/TCP, with a 16-byte header instead of the PDUs and no NVMe state.
 *   read:  client sends a header, server answers header + IO_SIZE bytes
 *          (NVMe: 72-byte CapsuleCmd; C2HData + data, CapsuleResp);
 *   write: client sends header + IO_SIZE bytes, server answers a header
 *          (NVMe: CapsuleCmd with in-capsule data, or R2T + H2CData;
 *          CapsuleResp).
 * To be a fair bound for libnvmf the thread structure is the same too:
 * libnvmf serves every queue of a controller from one event-loop thread
 * and nvmf-target every connection from one, so here one client thread
 * drives all the connections with poll() and non-blocking sockets, and
 * the server is one poll() thread in another process. Writes are batched
 * with writev(), what a read completed is sent before the next read, and
 * reads land directly in the payload buffer, as the library does, so the
 * bound is not lowered by naive system calls.
 */

#define RAW_MAGIC   0x4e564d46u	/* "NVMF" */
#define RAW_MAX_LEN (16u << 20)
#define RAW_STAGE   (64u << 10)
#define RAW_IOV     64
#define RAW_BIG     (16u << 10)	/* payloads read without read-ahead */
#define RAW_FILL    0x5a
#define RAW_STALL_NS (10ull * 1000000000ull)	/* no progress for 10 s: give up */

/* Request/response header: op (0 read, 1 write), length, tag. */
struct raw_hdr {
	uint32_t magic;
	uint16_t op;
	uint16_t tag;
	uint32_t len;
	uint32_t pad;
};

/* One message waiting to be sent: a header and, unless data is NULL, the
 * h.len bytes at data. */
struct raw_msg {
	struct raw_hdr h;
	const uint8_t *data;
};

struct raw_conn {
	int fd;
	bool server;
	/* Receive: a staging buffer for headers (and whatever data arrives
	 * with them), the payload read straight into rx_buf. */
	uint8_t *stage;
	size_t s_beg, s_end;
	size_t ahead;		/* how much to read beyond the current message */
	bool in_payload;
	struct raw_hdr rh;
	size_t rx_got;
	uint8_t *rx_buf;
	size_t rx_cap;
	/* Transmit: a ring of messages, tx_off bytes of the first one sent. */
	struct raw_msg *txq;
	unsigned tx_head, tx_n, tx_cap;
	size_t tx_off;
	const uint8_t *tx_data;	/* payload source, RAW_FILL bytes */
	/* Client side. */
	int qd, out;
	uint64_t *t0;
	bool *busy;
};

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int raw_conn_init(struct raw_conn *c, int fd, bool server, const uint8_t *fill)
{
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->server = server;
	c->tx_data = fill;
	c->tx_cap = 64;
	c->ahead = RAW_STAGE;
	c->stage = malloc(RAW_STAGE);
	c->txq = calloc(c->tx_cap, sizeof(*c->txq));
	if (!c->stage || !c->txq)
		return -ENOMEM;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return set_nonblock(fd) < 0 ? -errno : 0;
}

static void raw_conn_free(struct raw_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->stage);
	free(c->txq);
	free(c->rx_buf);
	free(c->t0);
	free(c->busy);
	c->stage = NULL;
	c->txq = NULL;
	c->rx_buf = NULL;
	c->t0 = NULL;
	c->busy = NULL;
}

static int raw_enqueue(struct raw_conn *c, uint16_t op, uint16_t tag, uint32_t len,
		       const uint8_t *data)
{
	if (c->tx_n == c->tx_cap) {
		unsigned ncap = c->tx_cap * 2;
		struct raw_msg *q = calloc(ncap, sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (unsigned i = 0; i < c->tx_n; i++)
			q[i] = c->txq[(c->tx_head + i) % c->tx_cap];
		free(c->txq);
		c->txq = q;
		c->tx_head = 0;
		c->tx_cap = ncap;
	}
	c->txq[(c->tx_head + c->tx_n) % c->tx_cap] = (struct raw_msg){
		{ RAW_MAGIC, op, tag, len, 0 }, data
	};
	c->tx_n++;
	return 0;
}

/* Send as much of the queue as the socket takes: 0, or -errno. */
static int raw_flush(struct raw_conn *c)
{
	while (c->tx_n) {
		struct iovec iov[RAW_IOV];
		int n = 0;
		size_t skip = c->tx_off;
		ssize_t w;

		for (unsigned i = 0; i < c->tx_n && n + 2 <= RAW_IOV; i++) {
			struct raw_msg *m = &c->txq[(c->tx_head + i) % c->tx_cap];
			size_t hl = sizeof(m->h), dl = m->data ? m->h.len : 0;

			if (skip < hl) {
				iov[n++] = (struct iovec){ (uint8_t *)&m->h + skip, hl - skip };
				skip = 0;
			} else {
				skip -= hl;
			}
			if (dl) {
				iov[n++] = (struct iovec){ (void *)(m->data + skip), dl - skip };
				skip = 0;
			}
		}
		w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		c->tx_off += (size_t)w;
		while (c->tx_n) {
			struct raw_msg *m = &c->txq[c->tx_head];
			size_t ml = sizeof(m->h) + (m->data ? m->h.len : 0);

			if (c->tx_off < ml)
				break;
			c->tx_off -= ml;
			c->tx_head = (c->tx_head + 1) % c->tx_cap;
			c->tx_n--;
		}
	}
	return 0;
}

/* Does a message with this header carry a payload? Requests of writes and
 * responses of reads do. */
static bool raw_has_data(const struct raw_conn *c, const struct raw_hdr *h)
{
	return c->server ? h->op == 1 : h->op == 0;
}

typedef int (*raw_msg_cb)(struct raw_conn *c, const struct raw_hdr *h, void *arg);

/*
 * Receive what the socket has and call cb for every complete message
 * (header plus payload): 1 if bytes arrived, 0 if none, -errno on error
 * or end of stream. It also ends with RAW_MORE when it is about to read
 * again while messages that this call's messages made are queued (a
 * server's answers, a client's next requests): the caller sends them and
 * calls again. libnvmf sends what each read completed on both sides
 * (tcp/ctrl/conn.c read_cb, tcp/host_send.c tcp_host_tx_after_read), so
 * the bound gets the same overlap.
 */
#define RAW_MORE 2

static int raw_receive(struct raw_conn *c, raw_msg_cb cb, void *arg)
{
	int progress = 0, done = 0;
	bool drained = false;	/* the last read came back short: the socket is empty */

	for (;;) {
		ssize_t r;
		size_t want;

		if (!c->in_payload) {
			if (c->s_end - c->s_beg >= sizeof(c->rh)) {
				memcpy(&c->rh, c->stage + c->s_beg, sizeof(c->rh));
				c->s_beg += sizeof(c->rh);
				if (c->rh.magic != RAW_MAGIC || c->rh.op > 1 || c->rh.len == 0 ||
				    c->rh.len > RAW_MAX_LEN)
					return -EPROTO;
				c->in_payload = raw_has_data(c, &c->rh);
				c->rx_got = 0;
				/* Large payloads: read ahead only the next header,
				 * so the payload is never read into the staging
				 * buffer and copied again. */
				if (c->in_payload)
					c->ahead = c->rh.len >= RAW_BIG ? sizeof(c->rh) : RAW_STAGE;
				if (c->in_payload && c->rx_cap < c->rh.len) {
					free(c->rx_buf);
					c->rx_buf = malloc(c->rh.len);
					if (!c->rx_buf)
						return -ENOMEM;
					c->rx_cap = c->rh.len;
				}
				if (!c->in_payload) {
					int e = (done++, cb(c, &c->rh, arg));

					if (e < 0)
						return e;
				}
				continue;
			}
			/* Compact, then read more headers, unless the socket
			 * was just found empty (libuv's rule too: a short read
			 * means drained, poll() says when more arrives). */
			if (drained)
				return progress;
			if (done && c->tx_n)
				return RAW_MORE;
			memmove(c->stage, c->stage + c->s_beg, c->s_end - c->s_beg);
			c->s_end -= c->s_beg;
			c->s_beg = 0;
			want = c->ahead - c->s_end;	/* s_end < 16 */
			r = recv(c->fd, c->stage + c->s_end, want, 0);
			if (r > 0)
				c->s_end += (size_t)r;
			drained = r >= 0 && (size_t)r < want;
		} else {
			size_t have = c->s_end - c->s_beg;

			want = c->rh.len - c->rx_got;

			if (have) {
				size_t n = have < want ? have : want;

				memcpy(c->rx_buf + c->rx_got, c->stage + c->s_beg, n);
				c->s_beg += n;
				c->rx_got += n;
			} else {
				/* Payload straight into its buffer, the next headers
				 * into the staging buffer. */
				struct iovec iov[2] = {
					{ c->rx_buf + c->rx_got, want },
					{ c->stage, c->ahead },
				};

				if (drained)
					return progress;
				if (done && c->tx_n)
					return RAW_MORE;
				c->s_beg = c->s_end = 0;
				r = readv(c->fd, iov, 2);
				drained = r >= 0 && (size_t)r < want + c->ahead;
				if (r > 0) {
					size_t n = (size_t)r < want ? (size_t)r : want;

					c->rx_got += n;
					c->s_end = (size_t)r - n;
				}
				goto check;
			}
			if (c->rx_got == c->rh.len) {
				int e;

				c->in_payload = false;
				e = (done++, cb(c, &c->rh, arg));
				if (e < 0)
					return e;
			}
			continue;
		}
check:
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return progress;
			return -errno;
		}
		progress = 1;
		if (c->in_payload && c->rx_got == c->rh.len) {
			int e;

			c->in_payload = false;
			e = (done++, cb(c, &c->rh, arg));
			if (e < 0)
				return e;
		}
	}
}

/* ---- Raw TCP server: one poll() thread for every connection ---- */

/*
 * With -z SIZE the server keeps SIZE bytes, as a RAM namespace does, and
 * answers each read from a random offset of them (a multiple of the
 * length): the bound then pays, as nvmf-target does for a namespace read
 * at random, for data that is not in the cache. Without it every read is
 * sent from one buffer, always hot. Writes are the same either way: their
 * payload lands in one buffer (a copy into the span would be a second
 * copy, which nvmf-target makes with streaming stores, so the bound
 * would depend on how that copy is written).
 */
static uint8_t *span;
static uint64_t span_len, span_rng = 0x9E3779B97F4A7C15ull;

static uint8_t *span_pick(uint32_t len)
{
	uint64_t slots = span_len / len;

	/* xorshift64: cheap, and uniform enough to spread the offsets. */
	span_rng ^= span_rng << 13;
	span_rng ^= span_rng >> 7;
	span_rng ^= span_rng << 17;
	return span + (span_rng % slots) * len;
}

static int raw_serve_msg(struct raw_conn *c, const struct raw_hdr *h, void *arg)
{
	(void)arg;
	/* Answer: a read gets its data, a write its status. */
	if (h->op != 0)
		return raw_enqueue(c, h->op, h->tag, h->len, NULL);
	return raw_enqueue(c, h->op, h->tag, h->len,
			   span && h->len <= span_len ? span_pick(h->len) : c->tx_data);
}

static int raw_listen(int port, int *bound)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0) {
		perror("nvmf-perf: socket");
		return -1;
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);	/* loopback only */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) < 0) {
		perror("nvmf-perf: listen");
		close(fd);
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

#define RAW_MAX_CONNS 256

static int raw_serve(int lfd)
{
	static struct raw_conn conns[RAW_MAX_CONNS];
	struct pollfd pfd[RAW_MAX_CONNS + 1];
	uint8_t *fill = malloc(RAW_MAX_LEN);
	int n = 0;

	if (!fill)
		return 1;
	memset(fill, RAW_FILL, RAW_MAX_LEN);
	for (;;) {
		pfd[0] = (struct pollfd){ lfd, n < RAW_MAX_CONNS ? POLLIN : 0, 0 };
		for (int i = 0; i < n; i++)
			pfd[i + 1] = (struct pollfd){ conns[i].fd,
						      (short)(POLLIN | (conns[i].tx_n ? POLLOUT : 0)), 0 };
		if (poll(pfd, (nfds_t)n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (int i = n - 1; i >= 0; i--) {
			struct raw_conn *c = &conns[i];
			int r;

			if (!pfd[i + 1].revents)
				continue;
			while ((r = raw_receive(c, raw_serve_msg, NULL)) == RAW_MORE &&
			       (r = raw_flush(c)) == 0)
				;
			if (r < 0 || raw_flush(c) < 0) {
				/* A client that leaves or misbehaves loses only its
				 * own connection. */
				raw_conn_free(c);
				conns[i] = conns[--n];
			}
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);

			if (fd >= 0 && raw_conn_init(&conns[n], fd, true, fill) == 0)
				n++;
			else if (fd >= 0)
				raw_conn_free(&conns[n]);
		}
	}
}

/* ---- Raw TCP client ---- */

struct raw_run {
	const struct opts *o;
	uint64_t t_end;
	struct hist h;
	char err[128];
};

static int raw_issue(struct raw_conn *c, const struct opts *o, uint16_t tag)
{
	bool wr = perf_is_write(o->pat);

	c->busy[tag] = true;
	c->out++;
	c->t0[tag] = perf_now_ns();
	return raw_enqueue(c, wr ? 1 : 0, tag, o->io_size, wr ? c->tx_data : NULL);
}

static int raw_complete(struct raw_conn *c, const struct raw_hdr *h, void *arg)
{
	struct raw_run *run = arg;
	const struct opts *o = run->o;
	uint16_t op = perf_is_write(o->pat) ? 1 : 0;
	uint64_t t = perf_now_ns();

	/* Count an I/O only when it is the answer to one outstanding request,
	 * of the right kind and size, with all its data. */
	if (h->tag >= c->qd || !c->busy[h->tag] || h->op != op || h->len != o->io_size)
		return -EPROTO;
	if (op == 0 && (c->rx_buf[0] != RAW_FILL || c->rx_buf[h->len - 1] != RAW_FILL))
		return -EBADMSG;
	c->busy[h->tag] = false;
	c->out--;
	perf_hist_add(&run->h, t - c->t0[h->tag]);
	if (t < run->t_end)
		return raw_issue(c, o, h->tag);
	return 0;
}

static int raw_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static int raw_drive(const struct opts *o, int port, struct raw_run *run, uint64_t *t0, uint64_t *t1)
{
	struct raw_conn *conns = calloc((size_t)o->queues, sizeof(*conns));
	struct pollfd *pfd = calloc((size_t)o->queues, sizeof(*pfd));
	uint8_t *fill = malloc(o->io_size);
	uint64_t last = 0;
	int rc = 0, nc = 0, out;

	if (!conns || !pfd || !fill) {
		snprintf(run->err, sizeof(run->err), "out of memory");
		rc = -ENOMEM;
		goto done;
	}
	memset(fill, RAW_FILL, o->io_size);
	/* Connect everything first: set-up is not part of the measurement,
	 * as nvmf_connect() is not in NVMe mode. */
	for (nc = 0; nc < o->queues; nc++) {
		struct raw_conn *c = &conns[nc];
		int fd = raw_connect(port);

		if (fd < 0 || raw_conn_init(c, fd, false, fill) < 0) {
			snprintf(run->err, sizeof(run->err), "connection %d to 127.0.0.1:%d: %s", nc,
				 port, strerror(fd < 0 ? -fd : errno));
			if (fd >= 0)
				raw_conn_free(c);
			rc = -ECONNREFUSED;
			goto done;
		}
		c->qd = o->qd / o->queues + (nc < o->qd % o->queues);
		c->t0 = calloc((size_t)c->qd, sizeof(*c->t0));
		c->busy = calloc((size_t)c->qd, sizeof(*c->busy));
		if (!c->t0 || !c->busy) {
			nc++;
			rc = -ENOMEM;
			goto done;
		}
	}
	*t0 = last = perf_now_ns();
	run->t_end = *t0 + (uint64_t)(o->seconds * 1e9);
	for (int i = 0; i < nc && !rc; i++)
		for (int t = 0; t < conns[i].qd && !rc; t++)
			rc = raw_issue(&conns[i], o, (uint16_t)t);
	do {
		int r;

		out = 0;
		for (int i = 0; i < nc && !rc; i++) {
			if ((r = raw_flush(&conns[i])) < 0)
				rc = r;
			pfd[i] = (struct pollfd){ conns[i].fd,
						  (short)(POLLIN | (conns[i].tx_n ? POLLOUT : 0)), 0 };
		}
		if (rc)
			break;
		/* -p: no sleeping in poll() until poll_us pass without progress,
		 * as libnvmf's polling mode does. */
		if (poll(pfd, (nfds_t)nc,
			 o->poll_us && perf_now_ns() - last < (uint64_t)o->poll_us * 1000u ? 0 : 1000) < 0 &&
		    errno != EINTR) {
			rc = -errno;
			break;
		}
		for (int i = 0; i < nc && !rc; i++) {
			if (pfd[i].revents) {
				while ((r = raw_receive(&conns[i], raw_complete, run)) == RAW_MORE &&
				       (rc = raw_flush(&conns[i])) == 0)
					last = perf_now_ns();
				if (r < 0)
					rc = r;
				else if (r > 0)
					last = perf_now_ns();
			}
			out += conns[i].out;
		}
		if (!rc && perf_now_ns() - last > RAW_STALL_NS)
			rc = -ETIMEDOUT;
	} while (!rc && out > 0);
	*t1 = perf_now_ns();
	if (rc && !run->err[0])
		snprintf(run->err, sizeof(run->err), "%s", strerror(-rc));
done:
	for (int i = 0; i < nc; i++)
		raw_conn_free(&conns[i]);
	free(conns);
	free(pfd);
	free(fill);
	return rc;
}

int perf_run_raw(const struct opts *o)
{
	struct raw_run *run = calloc(1, sizeof(*run));
	pid_t child = -1;
	uint64_t t0 = 0, t1 = 0;
	int port = 0, rc = 0;

	if (!run)
		return 1;
	run->o = o;
	if (o->io_size > RAW_MAX_LEN || o->qd / o->queues + 1 > 65535) {
		fprintf(stderr, "nvmf-perf: raw mode takes at most %u-byte I/O and 65535 per connection\n",
			RAW_MAX_LEN);
		free(run);
		return 2;
	}
	if (o->uri) {
		const char *p = strrchr(o->uri, ':');

		if (strncmp(o->uri, "tcp://127.0.0.1:", 16) != 0 || !p) {
			fprintf(stderr, "nvmf-perf: raw mode takes -r tcp://127.0.0.1:PORT (loopback only)\n");
			free(run);
			return 2;
		}
		port = (int)perf_num(p + 1, "port", 1, 65535);
	} else {
		int lfd = raw_listen(0, &port);

		if (lfd < 0) {
			free(run);
			return 1;
		}
		child = fork();
		if (child == 0)
			_exit(raw_serve(lfd));
		close(lfd);
		if (child < 0) {
			perror("nvmf-perf: fork");
			free(run);
			return 1;
		}
	}
	if (raw_drive(o, port, run, &t0, &t1) < 0) {
		fprintf(stderr, "nvmf-perf: raw-tcp: %s\n", run->err);
		rc = 1;
	}
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	perf_report("raw-tcp", o, &run->h, t1 > t0 ? (double)(t1 - t0) / 1e9 : 1.0);
	free(run);
	return rc;
}

int perf_raw_serve(int port, uint64_t span_bytes)
{
	int bound, lfd;

	if (span_bytes) {
		void *p = NULL;

		/* 2 MiB-aligned, for the huge pages below. */
		if (posix_memalign(&p, 2u << 20, span_bytes) != 0)
			p = NULL;
		span = p;
		if (!span) {
			fprintf(stderr, "nvmf-perf: no memory for a %llu-byte span\n",
				(unsigned long long)span_bytes);
			return 1;
		}
		span_len = span_bytes;
#ifdef MADV_HUGEPAGE
		/* As nvmf-target's RAM namespaces (src/controller/backend.c). */
		(void)madvise(span, span_bytes, MADV_HUGEPAGE);
#endif
		/* Every byte touched now, not in the first runs; and what a
		 * client checks in a read's data (raw_complete). */
		memset(span, RAW_FILL, span_bytes);
	}
	lfd = raw_listen(port, &bound);
	if (lfd < 0)
		return 1;
	printf("port %d\n", bound);
	fflush(stdout);
	return raw_serve(lfd);
}
