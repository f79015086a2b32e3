/*
 * nvmf-perf: a small fio-like benchmark of libnvmf, with spdk_nvme_perf's
 * option letters so that numbers can be compared side by side.
 *
 *   nvmf-perf -r nvme+tcp://HOST[:PORT]/SUBNQN[/NSID] -q QD -o IO_SIZE
 *             -w read|write|randread|randwrite -t SECONDS [-i IO_QUEUES]
 *   nvmf-perf -R [-r tcp://127.0.0.1:PORT] -q QD -o IO_SIZE -w ... -t S [-i CONNS]
 *   nvmf-perf -S PORT
 *
 * -q is the total queue depth (split over the queues or connections).
 * -R is the raw-TCP mode: the same request and response sizes and queue
 * depth over plain TCP connections, no NVMe framing, against a server
 * started with -S (or, without -r, one forked on a loopback port). It
 * measures what the machine's TCP stack allows, the bound for NVMe/TCP.
 * One summary line: IOPS, MiB/s, average, p50, p99, p99.9 latency.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <nvmf/nvmf.h>

/* ---- Options ------------------------------------------------------------------ */

enum pattern { P_READ, P_WRITE, P_RANDREAD, P_RANDWRITE };

struct opts {
	const char *uri;
	int qd;
	uint32_t io_size;
	enum pattern pat;
	double seconds;
	int queues;
	bool raw;
	int serve_port;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: nvmf-perf -r URI -q QD -o IO_SIZE -w read|write|randread|randwrite -t SECONDS [-i QUEUES]\n"
		"       nvmf-perf -R [-r tcp://127.0.0.1:PORT] -q QD -o IO_SIZE -w PATTERN -t SECONDS [-i CONNS]\n"
		"       nvmf-perf -S PORT\n");
	exit(2);
}

static long num(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || (*end != '\0' && strcmp(end, "k") != 0 && strcmp(end, "K") != 0)) {
		fprintf(stderr, "nvmf-perf: %s \"%s\" is not a number\n", what, s);
		exit(2);
	}
	if (*end)
		v *= 1024;
	if (v < lo || v > hi) {
		fprintf(stderr, "nvmf-perf: %s %ld out of range %ld-%ld\n", what, v, lo, hi);
		exit(2);
	}
	return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->qd = 1;
	o->io_size = 4096;
	o->pat = P_RANDREAD;
	o->seconds = 10;
	o->queues = 1;
	o->serve_port = -1;
	while ((c = getopt(argc, argv, "r:q:o:w:t:i:RS:h")) != -1) {
		switch (c) {
		case 'r': o->uri = optarg; break;
		case 'q': o->qd = (int)num(optarg, "queue depth", 1, 4096); break;
		case 'o': o->io_size = (uint32_t)num(optarg, "I/O size", 512, 16 << 20); break;
		case 't': o->seconds = (double)num(optarg, "run time", 1, 86400); break;
		case 'i': o->queues = (int)num(optarg, "queues", 1, 256); break;
		case 'R': o->raw = true; break;
		case 'S': o->serve_port = (int)num(optarg, "port", 0, 65535); break;
		case 'w':
			if (!strcmp(optarg, "read")) o->pat = P_READ;
			else if (!strcmp(optarg, "write")) o->pat = P_WRITE;
			else if (!strcmp(optarg, "randread")) o->pat = P_RANDREAD;
			else if (!strcmp(optarg, "randwrite")) o->pat = P_RANDWRITE;
			else {
				fprintf(stderr, "nvmf-perf: unknown pattern \"%s\"\n", optarg);
				exit(2);
			}
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (o->qd < o->queues)
		o->queues = o->qd;
}

static const char *pat_name(enum pattern p)
{
	static const char *n[] = { "read", "write", "randread", "randwrite" };

	return n[p];
}

static bool is_write(enum pattern p) { return p == P_WRITE || p == P_RANDWRITE; }
static bool is_rand(enum pattern p) { return p == P_RANDREAD || p == P_RANDWRITE; }

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Latency histogram: 64 sub-buckets per power of two of nanoseconds ------ */

#define SUB 64
#define HBUCKETS (40 * SUB)

struct hist {
	uint64_t n, sum_ns;
	uint64_t b[HBUCKETS];
};

static unsigned bucket(uint64_t ns)
{
	unsigned e;

	if (ns < SUB)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);	/* ns >= 2^e */
	{
		unsigned idx = (e - 5) * SUB + (unsigned)((ns >> (e - 6)) & (SUB - 1));

		return idx < HBUCKETS ? idx : HBUCKETS - 1;
	}
}

static uint64_t bucket_value(unsigned idx)
{
	unsigned e;

	if (idx < SUB)
		return idx;
	e = idx / SUB + 5;
	return ((uint64_t)1 << e) + ((uint64_t)(idx % SUB) << (e - 6));
}

static void hist_add(struct hist *h, uint64_t ns)
{
	h->n++;
	h->sum_ns += ns;
	h->b[bucket(ns)]++;
}

static void hist_merge(struct hist *to, const struct hist *from)
{
	to->n += from->n;
	to->sum_ns += from->sum_ns;
	for (int i = 0; i < HBUCKETS; i++)
		to->b[i] += from->b[i];
}

static double hist_pct(const struct hist *h, double p)
{
	uint64_t want = (uint64_t)(p * (double)h->n), seen = 0;

	for (int i = 0; i < HBUCKETS; i++) {
		seen += h->b[i];
		if (seen > want)
			return (double)bucket_value((unsigned)i) / 1000.0;
	}
	return 0;
}

static void report(const char *mode, const struct opts *o, const struct hist *h, double secs)
{
	double iops = (double)h->n / secs;

	printf("nvmf-perf: %s %s, %u B, qd %d, %d %s, %.2f s: IOPS %.1f, MiB/s %.2f, "
	       "avg %.1f us, p50 %.1f us, p99 %.1f us, p99.9 %.1f us\n",
	       mode, pat_name(o->pat), o->io_size, o->qd, o->queues,
	       o->raw ? "connections" : "queues", secs, iops,
	       iops * o->io_size / (1024.0 * 1024.0),
	       h->n ? (double)h->sum_ns / (double)h->n / 1000.0 : 0.0, hist_pct(h, 0.50),
	       hist_pct(h, 0.99), hist_pct(h, 0.999));
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* ---- NVMe mode ------------------------------------------------------------------ */

struct job;

struct slot {
	struct job *job;
	uint8_t *buf;
	uint64_t t0;
	uint64_t rng;
};

struct job {
	struct nvmf_ctrl *c;
	const struct opts *o;
	uint32_t nsid;
	uint32_t nlb;
	uint64_t nr_ios;	/* I/O-size units in the namespace */
	uint64_t next;		/* sequential position (I/O thread only) */
	atomic_bool stop;
	atomic_int active;
	int errors;
	char err[256];
	struct hist h;		/* I/O thread only */
};

static void nv_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl);

static int nv_submit(struct slot *s)
{
	struct job *j = s->job;
	uint64_t unit = is_rand(j->o->pat) ? xorshift(&s->rng) % j->nr_ios : j->next++ % j->nr_ios;
	struct nvmf_callback cb = { nv_done, s, NULL };
	int64_t r;

	s->t0 = now_ns();
	if (is_write(j->o->pat))
		r = nvmf_aio_write(j->c, j->nsid, s->buf, unit * j->nlb, j->nlb, 0, cb);
	else
		r = nvmf_aio_read(j->c, j->nsid, s->buf, unit * j->nlb, j->nlb, 0, cb);
	if (r < 0) {
		snprintf(j->err, sizeof(j->err), "%s", nvmf_get_error());
		return -1;
	}
	return 0;
}

static void nv_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct slot *s = user;
	struct job *j = s->job;

	(void)cookie;
	if (cpl->result != 0) {
		if (!j->errors++)
			snprintf(j->err, sizeof(j->err), "I/O failed: %s",
				 cpl->status ? nvmf_status_str(cpl->status) : strerror(-cpl->result));
		atomic_store(&j->stop, true);
	} else {
		hist_add(&j->h, now_ns() - s->t0);
	}
	if (atomic_load(&j->stop) || nv_submit(s) < 0)
		atomic_fetch_sub(&j->active, 1);
}

static int run_nvme(const struct opts *o)
{
	struct nvmf_opts no;
	struct nvmf_ns_info ns;
	struct job j;
	struct slot *slots;
	uint64_t t0, t1;
	int rc = 0;

	memset(&j, 0, sizeof(j));
	j.o = o;
	nvmf_opts_init(&no);
	no.nr_io_queues = o->queues;
	if (o->qd / o->queues + 1 > no.queue_size)
		no.queue_size = o->qd / o->queues + 1 > 1024 ? 1024 : o->qd / o->queues + 1;
	if (nvmf_opts_set_uri(&no, o->uri) < 0 || nvmf_connect(&no, &j.c) < 0) {
		fprintf(stderr, "nvmf-perf: %s\n", nvmf_get_error());
		return 1;
	}
	j.nsid = no.nsid ? no.nsid : 1;
	if (nvmf_get_ns_info(j.c, j.nsid, &ns) < 0 || !ns.supported ||
	    o->io_size % ns.lba_size != 0 || ns.size < o->io_size) {
		fprintf(stderr, "nvmf-perf: namespace %u cannot take %u-byte I/O: %s\n", j.nsid,
			o->io_size, ns.supported ? nvmf_get_error() : ns.reason);
		nvmf_disconnect(j.c);
		return 1;
	}
	j.nlb = o->io_size / ns.lba_size;
	j.nr_ios = ns.nsze / j.nlb;
	slots = calloc((size_t)o->qd, sizeof(*slots));
	for (int i = 0; i < o->qd; i++) {
		slots[i].job = &j;
		slots[i].buf = aligned_alloc(4096, (o->io_size + 4095) & ~4095u);
		memset(slots[i].buf, 0xa5 ^ i, o->io_size);
		slots[i].rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
	}
	atomic_store(&j.active, o->qd);
	t0 = now_ns();
	for (int i = 0; i < o->qd; i++)
		if (nv_submit(&slots[i]) < 0) {
			atomic_store(&j.stop, true);
			atomic_fetch_sub(&j.active, 1);
		}
	while (!atomic_load(&j.stop) && now_ns() - t0 < (uint64_t)(o->seconds * 1e9))
		usleep(10000);
	atomic_store(&j.stop, true);
	while (atomic_load(&j.active) > 0)
		usleep(1000);
	t1 = now_ns();
	if (j.err[0]) {
		fprintf(stderr, "nvmf-perf: %s\n", j.err);
		rc = 1;
	}
	report("nvme", o, &j.h, (double)(t1 - t0) / 1e9);
	if (nvmf_disconnect(j.c) < 0)
		fprintf(stderr, "nvmf-perf: %s\n", nvmf_get_error());
	for (int i = 0; i < o->qd; i++)
		free(slots[i].buf);
	free(slots);
	return rc;
}

/* ---- Raw TCP mode ----------------------------------------------------------------- */

/* Request/response header: op (0 read, 1 write), length, tag. */
struct raw_hdr {
	uint32_t op;
	uint32_t len;
	uint64_t tag;
};

static int full_io(int fd, void *buf, size_t len, bool wr)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = wr ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *raw_serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);
	struct raw_hdr h;

	while (full_io(fd, &h, sizeof(h), false) == 0) {
		if (h.len > (16u << 20))
			break;
		if (h.len > cap) {
			cap = h.len;
			buf = realloc(buf, cap);
		}
		if (h.op == 1 && full_io(fd, buf, h.len, false) < 0)
			break;
		if (full_io(fd, &h, sizeof(h), true) < 0)
			break;
		if (h.op == 0 && full_io(fd, buf, h.len, true) < 0)
			break;
	}
	free(buf);
	close(fd);
	return NULL;
}

static int raw_listen(int port, int *bound)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);	/* loopback only */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
		perror("nvmf-perf: listen");
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&a, &l);
	*bound = ntohs(a.sin_port);
	return fd;
}

static int raw_serve(int lfd)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL), one = 1;
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_create(&t, NULL, raw_serve_conn, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

struct raw_conn {
	const struct opts *o;
	int port;
	int qd;
	uint64_t t_end;
	struct hist h;
	int err;
	pthread_t thr;
};

static void *raw_drive(void *arg)
{
	struct raw_conn *rc = arg;
	const struct opts *o = rc->o;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)rc->port) };
	uint64_t *t0 = calloc((size_t)rc->qd, sizeof(*t0));
	uint8_t *buf = calloc(1, o->io_size);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, out = 0;
	struct raw_hdr h;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		rc->err = errno;
		goto done;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < rc->qd; i++) {
		struct raw_hdr q = { is_write(o->pat) ? 1 : 0, o->io_size, (uint64_t)i };

		t0[i] = now_ns();
		if (full_io(fd, &q, sizeof(q), true) < 0 ||
		    (q.op == 1 && full_io(fd, buf, o->io_size, true) < 0)) {
			rc->err = EPIPE;
			goto done;
		}
		out++;
	}
	while (out > 0) {
		if (full_io(fd, &h, sizeof(h), false) < 0 || h.tag >= (uint64_t)rc->qd ||
		    (h.op == 0 && full_io(fd, buf, h.len, false) < 0)) {
			rc->err = EPROTO;
			break;
		}
		out--;
		hist_add(&rc->h, now_ns() - t0[h.tag]);
		if (now_ns() < rc->t_end) {
			t0[h.tag] = now_ns();
			if (full_io(fd, &h, sizeof(h), true) < 0 ||
			    (h.op == 1 && full_io(fd, buf, o->io_size, true) < 0)) {
				rc->err = EPIPE;
				break;
			}
			out++;
		}
	}
done:
	close(fd);
	free(t0);
	free(buf);
	return NULL;
}

static int run_raw(const struct opts *o)
{
	struct raw_conn *conns = calloc((size_t)o->queues, sizeof(*conns));
	struct hist *total = calloc(1, sizeof(*total));
	pid_t child = -1;
	uint64_t t0, t1;
	int port = 0, rc = 0;

	if (o->uri) {
		const char *p = strrchr(o->uri, ':');

		if (strncmp(o->uri, "tcp://127.0.0.1:", 16) != 0 || !p) {
			fprintf(stderr, "nvmf-perf: raw mode takes -r tcp://127.0.0.1:PORT (loopback only)\n");
			return 2;
		}
		port = (int)num(p + 1, "port", 1, 65535);
	} else {
		int lfd = raw_listen(0, &port);

		if (lfd < 0)
			return 1;
		child = fork();
		if (child == 0)
			_exit(raw_serve(lfd));
		close(lfd);
	}
	t0 = now_ns();
	for (int i = 0; i < o->queues; i++) {
		conns[i].o = o;
		conns[i].port = port;
		conns[i].qd = o->qd / o->queues + (i < o->qd % o->queues);
		conns[i].t_end = t0 + (uint64_t)(o->seconds * 1e9);
		pthread_create(&conns[i].thr, NULL, raw_drive, &conns[i]);
	}
	for (int i = 0; i < o->queues; i++) {
		pthread_join(conns[i].thr, NULL);
		hist_merge(total, &conns[i].h);
		if (conns[i].err) {
			fprintf(stderr, "nvmf-perf: connection %d: %s\n", i, strerror(conns[i].err));
			rc = 1;
		}
	}
	t1 = now_ns();
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	report("raw-tcp", o, total, (double)(t1 - t0) / 1e9);
	free(conns);
	free(total);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;

	parse(argc, argv, &o);
	if (o.serve_port >= 0) {
		int port, lfd = raw_listen(o.serve_port, &port);

		if (lfd < 0)
			return 1;
		printf("port %d\n", port);
		fflush(stdout);
		return raw_serve(lfd);
	}
	if (o.raw)
		return run_raw(&o);
	if (!o.uri)
		usage();
	return run_nvme(&o);
}
