/*
 * nvmf-perf: a small fio-like benchmark of libnvmf, with spdk_nvme_perf's
 * option letters so that numbers can be compared side by side.
 *
 *   nvmf-perf -r nvme+tcp://HOST[:PORT]/SUBNQN[/NSID] -q QD -o IO_SIZE
 *             -w read|write|randread|randwrite -t SECONDS [-i IO_QUEUES]
 *   nvmf-perf -R [-r tcp://127.0.0.1:PORT] -q QD -o IO_SIZE -w ... -t S [-i CONNS]
 *   nvmf-perf -S PORT [-z SIZE]
 *   -z SIZE (with -S): the server answers reads from random offsets of SIZE
 *         bytes (K, M, G), as a RAM namespace of that size read at random,
 *         instead of from one buffer that stays in the cache
 *   -p US (either mode): the client polls its sockets instead of sleeping
 *         until US microseconds pass idle (libnvmf's nvmf_opts.poll_us)
 *   -c N (NVMe mode): N controllers of the URI, each with -i queues, the
 *         queue depth split over them: they spread over libnvmf's pool of
 *         I/O threads (LIBNVMF_IO_THREADS sets its size)
 *
 * -q is the total queue depth (split over the queues or connections).
 * -R is the raw-TCP mode: the same request and response sizes, in the
 * same directions, at the same queue depth over as many connections, with
 * one client thread and one server thread as libnvmf and nvmf-target have,
 * but no NVMe framing, against a server started with -S (or, without -r,
 * one forked on a loopback port). It measures what the machine's TCP stack
 * allows, the bound for NVMe/TCP.
 * An I/O is counted only once it completed successfully (NVMe status, or
 * the raw answer to an outstanding request with all its bytes); the first
 * failure stops the run and makes the exit status 1.
 * One summary line: IOPS, MiB/s, average, p50, p99, p99.9 latency, over
 * the whole run including the drain of the last I/Os, and the CPU time
 * the process used (connecting included) as a share of one core over the
 * run and per I/O.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <nvmf/nvmf.h>

#include "perf.h"

/* ---- Options ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: nvmf-perf -r URI -q QD -o IO_SIZE -w read|write|randread|randwrite -t SECONDS [-i QUEUES]\n"
		"                 [-c CONTROLLERS] [-p POLL_US]\n"
		"       nvmf-perf -R [-r tcp://127.0.0.1:PORT] -q QD -o IO_SIZE -w PATTERN -t SECONDS [-i CONNS]\n"
		"                 [-p POLL_US]\n"
		"       nvmf-perf -S PORT [-z SIZE]\n");
	exit(2);
}

long perf_num(const char *s, const char *what, long lo, long hi)
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

/* A size with an optional K, M or G suffix (binary). */
static uint64_t perf_size(const char *s, const char *what)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = 0;

	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (*s < '0' || *s > '9' || (shift && end[1] != '\0') || (!shift && *end != '\0') ||
	    v == 0 || v > (64ull << 30) >> shift) {
		fprintf(stderr, "nvmf-perf: %s \"%s\" is not a size from 1 to 64G "
			"(a number with K, M or G)\n", what, s);
		exit(2);
	}
	return (uint64_t)v << shift;
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
	o->ctrls = 1;
	while ((c = getopt(argc, argv, "r:q:o:w:t:i:c:RS:p:z:h")) != -1) {
		switch (c) {
		case 'r': o->uri = optarg; break;
		case 'q': o->qd = (int)perf_num(optarg, "queue depth", 1, 4096); break;
		case 'o': o->io_size = (uint32_t)perf_num(optarg, "I/O size", 512, 16 << 20); break;
		case 't': o->seconds = (double)perf_num(optarg, "run time", 1, 86400); break;
		case 'i': o->queues = (int)perf_num(optarg, "queues", 1, 256); break;
		case 'c': o->ctrls = (int)perf_num(optarg, "controllers", 1, 256); break;
		case 'R': o->raw = true; break;
		case 'p': o->poll_us = (int)perf_num(optarg, "polling time (us)", 0, 1000000); break;
		case 'S': o->serve_port = (int)perf_num(optarg, "port", 0, 65535); break;
		case 'z': o->span = perf_size(optarg, "span"); break;
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
	if (o->span && o->serve_port < 0) {
		fprintf(stderr, "nvmf-perf: -z is the raw server's (-S)\n");
		exit(2);
	}
	if (o->qd < o->queues)
		o->queues = o->qd;
}

static const char *pat_name(enum pattern p)
{
	static const char *n[] = { "read", "write", "randread", "randwrite" };

	return n[p];
}

bool perf_is_write(enum pattern p) { return p == P_WRITE || p == P_RANDWRITE; }
bool perf_is_rand(enum pattern p) { return p == P_RANDREAD || p == P_RANDWRITE; }

uint64_t perf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Latency histogram: 64 sub-buckets per power of two of nanoseconds ------ */

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

void perf_hist_add(struct hist *h, uint64_t ns)
{
	h->n++;
	h->sum_ns += ns;
	h->b[bucket(ns)]++;
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

/* CPU time of this process so far (every thread; not the raw mode's
 * forked server), in seconds. */
static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void perf_report(const char *mode, const struct opts *o, const struct hist *h, double secs)
{
	double iops = (double)h->n / secs, cpu = cpu_seconds();
	char ctrls[48] = "";

	if (!o->raw && o->ctrls > 1)
		snprintf(ctrls, sizeof(ctrls), " on each of %d controllers", o->ctrls);
	printf("nvmf-perf: %s %s, %u B, qd %d, %d %s%s%s, %.2f s: IOPS %.1f, MiB/s %.2f, "
	       "avg %.1f us, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, "
	       "cpu %.0f%% of a core, %.2f us per I/O\n",
	       mode, pat_name(o->pat), o->io_size, o->qd, o->queues,
	       o->raw ? "connections" : "queues", ctrls, o->poll_us ? ", polling" : "", secs, iops,
	       iops * o->io_size / (1024.0 * 1024.0),
	       h->n ? (double)h->sum_ns / (double)h->n / 1000.0 : 0.0, hist_pct(h, 0.50),
	       hist_pct(h, 0.99), hist_pct(h, 0.999), cpu / secs * 100.0,
	       h->n ? cpu * 1e6 / (double)h->n : 0.0);
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
	_Atomic uint64_t next;	/* sequential position: the first submissions
				 * come from the main thread, the others from
				 * the I/O thread */
	atomic_bool stop;
	atomic_int active;
	atomic_int errors;
	char err[768];		/* the first error, written once */
	struct hist h;		/* I/O thread only */
};

/* Record the first error (main or I/O thread) and stop the run. */
__attribute__((format(printf, 2, 3)))
static void job_fail(struct job *j, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&j->errors, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(j->err, sizeof(j->err), fmt, ap);
		va_end(ap);
	}
	atomic_store(&j->stop, true);
}

static void nv_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl);

static int nv_submit(struct slot *s)
{
	struct job *j = s->job;
	uint64_t unit = perf_is_rand(j->o->pat) ? xorshift(&s->rng) % j->nr_ios
						: atomic_fetch_add(&j->next, 1) % j->nr_ios;
	struct nvmf_callback cb = { nv_done, s, NULL };
	int64_t r;

	s->t0 = perf_now_ns();
	if (perf_is_write(j->o->pat))
		r = nvmf_aio_write(j->c, j->nsid, s->buf, unit * j->nlb, j->nlb, 0, cb);
	else
		r = nvmf_aio_read(j->c, j->nsid, s->buf, unit * j->nlb, j->nlb, 0, cb);
	if (r < 0) {
		job_fail(j, "submission failed: %s", nvmf_get_error());
		return -1;
	}
	return 0;
}

static void nv_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct slot *s = user;
	struct job *j = s->job;

	(void)cookie;
	/* An I/O counts only when the controller reported success; any
	 * failure ends the run (and its exit status) rather than letting it
	 * go on at a lower queue depth. The library prints nothing: its text
	 * of the failure goes in brackets, as nvmfctl does. */
	if (cpl->result != 0)
		job_fail(j, "I/O failed: %s [%s]",
			 cpl->status ? nvmf_status_str(cpl->status) : strerror(-cpl->result),
			 nvmf_completion_errmsg(cpl));
	else
		perf_hist_add(&j->h, perf_now_ns() - s->t0);
	if (atomic_load(&j->stop) || nv_submit(s) < 0)
		atomic_fetch_sub(&j->active, 1);
}

/* Connect job j's controller and check its namespace: 0, or 1 with a message. */
static int job_connect(struct job *j, const struct opts *o)
{
	struct nvmf_opts no;
	struct nvmf_ns_info ns;

	j->o = o;
	nvmf_opts_init(&no);
	no.nr_io_queues = o->queues;
	/* TLS: the key from the environment, as the tools take it (never argv). */
	if (getenv("NVMF_TLS_KEY")) {
		snprintf(no.tls_key, sizeof(no.tls_key), "%s", getenv("NVMF_TLS_KEY"));
		no.tls = true;
	}
	if (o->qd / o->queues + 1 > no.queue_size)
		no.queue_size = o->qd / o->queues + 1 > 1024 ? 1024 : o->qd / o->queues + 1;
	if (o->poll_us)
		no.poll_us = o->poll_us;
	if (nvmf_opts_set_uri(&no, o->uri) < 0 || nvmf_connect(&no, &j->c) < 0) {
		fprintf(stderr, "nvmf-perf: %s\n", nvmf_get_error());
		return 1;
	}
	j->nsid = no.nsid ? no.nsid : 1;
	memset(&ns, 0, sizeof(ns));
	if (nvmf_get_ns_info(j->c, j->nsid, &ns) < 0 || !ns.supported ||
	    o->io_size % ns.lba_size != 0 || ns.size < o->io_size) {
		const char *why = nvmf_get_error();
		char buf[64];

		if (ns.nsid && !ns.supported)
			why = ns.reason;
		else if (ns.nsid) {
			snprintf(buf, sizeof(buf), "not a multiple of the %u-byte LBA or beyond "
				 "its %llu bytes", ns.lba_size, (unsigned long long)ns.size);
			why = buf;
		}
		fprintf(stderr, "nvmf-perf: namespace %u cannot take %u-byte I/O: %s\n", j->nsid,
			o->io_size, why);
		nvmf_disconnect(j->c);
		j->c = NULL;
		return 1;
	}
	j->nlb = o->io_size / ns.lba_size;
	j->nr_ios = ns.nsze / j->nlb;
	return 0;
}

static void hist_merge(struct hist *to, const struct hist *from)
{
	to->n += from->n;
	to->sum_ns += from->sum_ns;
	for (unsigned i = 0; i < HBUCKETS; i++)
		to->b[i] += from->b[i];
}

/*
 * -c N: N controllers of the same URI, the queue depth split over them
 * (slot i goes to controller i % N), each with its own histogram (it is
 * written by that controller's I/O thread only), merged at the end.
 */
static int run_nvme(const struct opts *o)
{
	int nj = o->ctrls < o->qd ? o->ctrls : o->qd;
	struct job *jobs = calloc((size_t)nj, sizeof(*jobs));
	struct slot *slots = calloc((size_t)o->qd, sizeof(*slots));
	static struct hist all;
	uint64_t t0, t1;
	bool stop = false;
	int rc = 0;

	if (!jobs || !slots) {
		fprintf(stderr, "nvmf-perf: out of memory\n");
		return 1;
	}
	for (int k = 0; k < nj; k++) {
		if (job_connect(&jobs[k], o) != 0) {
			while (k-- > 0)
				nvmf_disconnect(jobs[k].c);
			free(jobs);
			free(slots);
			return 1;
		}
	}
	for (int i = 0; i < o->qd; i++) {
		slots[i].job = &jobs[i % nj];
		slots[i].buf = aligned_alloc(4096, (o->io_size + 4095) & ~4095u);
		if (!slots[i].buf) {
			fprintf(stderr, "nvmf-perf: out of memory\n");
			exit(1);
		}
		memset(slots[i].buf, 0xa5 ^ i, o->io_size);
		slots[i].rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		atomic_fetch_add(&slots[i].job->active, 1);
	}
	t0 = perf_now_ns();
	for (int i = 0; i < o->qd; i++)
		if (nv_submit(&slots[i]) < 0)
			atomic_fetch_sub(&slots[i].job->active, 1);
	while (!stop && perf_now_ns() - t0 < (uint64_t)(o->seconds * 1e9)) {
		usleep(10000);
		for (int k = 0; k < nj; k++)
			stop = stop || atomic_load(&jobs[k].stop);
	}
	for (int k = 0; k < nj; k++)
		atomic_store(&jobs[k].stop, true);
	for (int k = 0; k < nj; k++)
		while (atomic_load(&jobs[k].active) > 0)
			usleep(1000);
	t1 = perf_now_ns();
	for (int k = 0; k < nj; k++) {
		if (jobs[k].err[0]) {
			fprintf(stderr, "nvmf-perf: %s%s\n", nj > 1 ? "controller: " : "",
				jobs[k].err);
			rc = 1;
		}
		hist_merge(&all, &jobs[k].h);
	}
	perf_report("nvme", o, &all, (double)(t1 - t0) / 1e9);
	for (int k = 0; k < nj; k++)
		if (nvmf_disconnect(jobs[k].c) < 0)
			fprintf(stderr, "nvmf-perf: %s\n", nvmf_get_error());
	for (int i = 0; i < o->qd; i++)
		free(slots[i].buf);
	free(slots);
	free(jobs);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;

	parse(argc, argv, &o);
	if (o.serve_port >= 0) {
		return perf_raw_serve(o.serve_port, o.span);
	}
	if (o.raw)
		return perf_run_raw(&o);
	if (!o.uri)
		usage();
	return run_nvme(&o);
}
