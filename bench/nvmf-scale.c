/*
 * nvmf-scale: what many controllers cost one process.
 *
 *   nvmf-scale [-n N] [-i IO_QUEUES] [-q QUEUE_SIZE] [-r] [-w SECONDS] URI...
 *
 * Connects N controllers (default 1), spread round-robin over the URIs
 * (nvme+tcp://HOST[:PORT]/SUBNQN, as nvmf_opts_set_uri() takes them), one
 * after the other with the public API, then reports how many connected,
 * the namespaces they see, the connect time (total, per controller, the
 * slowest), the process's resident memory (and its growth per controller),
 * its threads and open descriptors, and the CPU time it used. With -r it
 * then reads 4 KiB at LBA 0 of every namespace of every controller, to
 * show they all serve I/O. With -w it holds them connected that long and
 * reports the CPU time the idle controllers cost (keep-alive, timers).
 * Last, it disconnects them all and times that.
 *
 * The open-file soft limit is raised to the hard one first: every queue
 * is a socket, and the library's I/O threads hold descriptors of their
 * own. When even the hard limit is too low for N controllers it says so.
 *
 * Connecting stops at the first controller that fails (what follows would
 * likely fail alike, each after its connect timeout); the figures are then
 * those of the controllers that did connect. Every failure names the
 * controller's index, its URI and the library's message, and makes the
 * exit status 1. Usage errors are 2.
 *
 * Output: a readable block, then one line for scripts:
 *   nvmf-scale: ctrls=C/N namespaces=NS ... status=ok|failed
 * of space-separated key=value pairs (times in seconds or milliseconds as
 * their key says, memory in KiB).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <nvmf/nvmf.h>

#include "scale_proc.h"

struct ctrl {
	struct nvmf_ctrl *c;
	const char *uri;
	double connect_s;
	int nr_ns;
};

struct opts {
	long n;
	long io_queues;
	long queue_size;	/* 0: the library's default */
	bool read;
	long wait_s;
	char **uris;
	int nr_uris;
};

static int failures;

static void usage(void)
{
	fprintf(stderr,
		"usage: nvmf-scale [-n CONTROLLERS] [-i IO_QUEUES] [-q QUEUE_SIZE] [-r] [-w S] URI...\n"
		"  -n N   controllers to connect, round-robin over the URIs (default 1)\n"
		"  -i N   I/O queues per controller (default 1)\n"
		"  -q N   entries per I/O queue (default: the library's)\n"
		"  -r     read 4 KiB from every namespace of every controller\n"
		"  -w S   hold the controllers connected S seconds, idle, before disconnecting\n"
		"URI: nvme+tcp://HOST[:PORT]/SUBNQN[?...], as nvmf_opts_set_uri() takes it\n");
	exit(2);
}

static long num(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno) {
		fprintf(stderr, "nvmf-scale: %s \"%s\" is not a number\n", what, s);
		exit(2);
	}
	if (v < lo || v > hi) {
		fprintf(stderr, "nvmf-scale: %s %ld out of range %ld-%ld\n", what, v, lo, hi);
		exit(2);
	}
	return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->n = 1;
	o->io_queues = 1;
	while ((ch = getopt(argc, argv, "n:i:q:rw:h")) != -1) {
		switch (ch) {
		case 'n': o->n = num(optarg, "-n (controllers)", 1, 100000); break;
		case 'i': o->io_queues = num(optarg, "-i (I/O queues)", 0, 1024); break;
		case 'q': o->queue_size = num(optarg, "-q (queue size)", 2, 65536); break;
		case 'r': o->read = true; break;
		case 'w': o->wait_s = num(optarg, "-w (seconds)", 0, 86400); break;
		default: usage();
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "nvmf-scale: no target URI\n");
		usage();
	}
	o->uris = argv + optind;
	o->nr_uris = argc - optind;
	for (int i = 0; i < o->nr_uris; i++) {
		struct nvmf_uri u;

		if (nvmf_uri_parse(o->uris[i], &u) < 0) {
			fprintf(stderr, "nvmf-scale: %s: %s\n", o->uris[i], nvmf_get_error());
			exit(2);
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void fail(long idx, const char *uri, const char *what, int rc)
{
	const char *msg = nvmf_get_error();

	fprintf(stderr, "nvmf-scale: controller %ld (%s): %s: %s\n", idx, uri, what,
		msg[0] ? msg : strerror(-rc));
	failures++;
}

/*
 * Each controller holds 1 + io_queues sockets, and today's library gives
 * each its own I/O thread whose libuv loop holds five descriptors more
 * (counted on Linux with libuv 1.44: two anonymous inodes, the epoll
 * descriptor and the wake-up eventfd; a pipe pair, the signal pipe every
 * loop opens for its child watcher; one /dev/null). Raise the soft limit
 * to the hard one, and say when that looks too low.
 */
static void raise_nofile(const struct opts *o)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)o->n * (rlim_t)(o->io_queues + 1 + 5) + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "nvmf-scale: warning: getrlimit(RLIMIT_NOFILE): %s\n",
			strerror(errno));
		return;
	}
	if (rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			fprintf(stderr, "nvmf-scale: warning: cannot raise the open-file limit to "
				"its hard limit %llu: %s\n", (unsigned long long)rl.rlim_max,
				strerror(errno));
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	printf("open-file limit        %llu (raised to the hard limit)\n",
	       (unsigned long long)rl.rlim_cur);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		fprintf(stderr, "nvmf-scale: warning: the open-file limit %llu is below the "
			"about %llu descriptors %ld controllers with %ld I/O queue(s) need: "
			"connects past it fail with EMFILE (raise the hard limit: ulimit -Hn)\n",
			(unsigned long long)rl.rlim_cur, (unsigned long long)want, o->n,
			o->io_queues);
}

static int connect_one(const struct opts *o, long i, struct ctrl *ct)
{
	struct nvmf_opts no;
	int rc;

	ct->uri = o->uris[i % o->nr_uris];
	nvmf_opts_init(&no);
	rc = nvmf_opts_set_uri(&no, ct->uri);
	if (rc < 0) {
		fail(i, ct->uri, "URI", rc);
		return rc;
	}
	no.nr_io_queues = (int)o->io_queues;
	if (o->queue_size)
		no.queue_size = (int)o->queue_size;
	double t0 = now();
	rc = nvmf_connect(&no, &ct->c);
	ct->connect_s = now() - t0;
	if (rc < 0) {
		ct->c = NULL;
		fail(i, ct->uri, "connect", rc);
		return rc;
	}
	struct nvmf_ns_info *list = NULL;

	rc = nvmf_get_namespaces(ct->c, &list);
	if (rc < 0) {
		fail(i, ct->uri, "namespace list", rc);
		return 0;	/* connected: counted, and disconnected later */
	}
	ct->nr_ns = rc;
	nvmf_free(list);
	return 0;
}

/* One 4 KiB read at LBA 0 of every supported namespace: returns the reads
 * that succeeded, counting the attempted ones into *tried. */
static long read_all(struct ctrl *ct, long n, long *tried)
{
	static unsigned char buf[4096];
	long ok = 0;

	*tried = 0;
	for (long i = 0; i < n; i++) {
		struct nvmf_ns_info *list = NULL;
		int nr = nvmf_get_namespaces(ct[i].c, &list);

		if (nr < 0) {
			fail(i, ct[i].uri, "namespace list", nr);
			continue;
		}
		for (int k = 0; k < nr; k++) {
			char what[64];
			uint32_t lbs = list[k].lba_size;

			if (!list[k].supported || lbs == 0 || lbs > sizeof(buf) ||
			    list[k].size < sizeof(buf))
				continue;
			(*tried)++;
			int rc = nvmf_read(ct[i].c, list[k].nsid, buf, 0,
					   (uint32_t)(sizeof(buf) / lbs), 0);

			if (rc < 0) {
				snprintf(what, sizeof(what), "read of nsid %u", list[k].nsid);
				fail(i, ct[i].uri, what, rc);
			} else {
				ok++;
			}
		}
		nvmf_free(list);
	}
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* What a run measured. */
struct run {
	long connected, namespaces, reads_ok, reads_tried;
	double connect_s, connect_p50, connect_max, connect_cpu, idle_cpu, disconnect_s;
	long rss_per;		/* KiB per controller, -1 unknown */
	struct scale_proc before, after, io;
};

static void connect_all(const struct opts *o, struct ctrl *ct, struct run *r)
{
	double cpu0 = cpu_seconds(), t0 = now();

	scale_proc_read(&r->before);
	for (long i = 0; i < o->n; i++) {
		if (connect_one(o, i, &ct[i]) < 0)
			break;	/* see the head comment */
		r->connected++;
		r->namespaces += ct[i].nr_ns;
	}
	r->connect_s = now() - t0;
	r->connect_cpu = cpu_seconds() - cpu0;
	scale_proc_read(&r->after);

	double *lat = calloc((size_t)(r->connected ? r->connected : 1), sizeof(*lat));

	if (lat && r->connected) {
		for (long i = 0; i < r->connected; i++)
			lat[i] = ct[i].connect_s;
		qsort(lat, (size_t)r->connected, sizeof(*lat), cmp_double);
		r->connect_p50 = lat[r->connected / 2];
		r->connect_max = lat[r->connected - 1];
	}
	free(lat);
	r->rss_per = -1;
	if (r->connected && r->after.rss_kib >= 0 && r->before.rss_kib >= 0)
		r->rss_per = (r->after.rss_kib - r->before.rss_kib) / r->connected;
}

static double per_ctrl_ms(double s, long n)
{
	return n ? s * 1e3 / (double)n : 0;
}

static void print_mem(const char *label, const struct scale_proc *p)
{
	if (p->rss_kib < 0)
		printf("%-22s unknown (%s)\n", label, p->rss_why);
	else
		printf("%-22s %.1f MiB (%s)\n", label, (double)p->rss_kib / 1024, p->rss_kind);
}

static void print_connected(const struct opts *o, const struct run *r)
{
	printf("controllers            %ld of %ld (%d URI%s, %ld I/O queue%s each)\n",
	       r->connected, o->n, o->nr_uris, o->nr_uris == 1 ? "" : "s", o->io_queues,
	       o->io_queues == 1 ? "" : "s");
	printf("namespaces             %ld\n", r->namespaces);
	printf("connect time           %.3f s total, %.2f ms per controller "
	       "(median %.2f, slowest %.2f)\n", r->connect_s,
	       per_ctrl_ms(r->connect_s, r->connected), r->connect_p50 * 1e3,
	       r->connect_max * 1e3);
	printf("connect CPU time       %.3f s\n", r->connect_cpu);
	print_mem("memory before", &r->before);
	print_mem("memory connected", &r->after);
	if (r->rss_per >= 0)
		printf("memory per controller  %ld KiB\n", r->rss_per);
	if (r->after.threads >= 0)
		printf("threads                %ld (%ld before connecting)\n", r->after.threads,
		       r->before.threads);
	else
		printf("threads                unknown (%s)\n", r->after.threads_why);
	if (r->after.fds >= 0)
		printf("open descriptors       %ld (%ld before connecting)\n", r->after.fds,
		       r->before.fds);
	fflush(stdout);
}

static void hold_idle(long secs, struct run *r)
{
	double c0 = cpu_seconds();
	struct timespec ts = { .tv_sec = secs };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	r->idle_cpu = cpu_seconds() - c0;
	printf("idle CPU time          %.3f s in %ld s (%.2f%% of one core)\n", r->idle_cpu, secs,
	       r->idle_cpu * 100 / (double)secs);
}

static void disconnect_all(const struct opts *o, struct ctrl *ct, struct run *r)
{
	double t0 = now();

	for (long i = 0; i < o->n; i++) {
		if (!ct[i].c)
			continue;
		int rc = nvmf_disconnect(ct[i].c);

		ct[i].c = NULL;
		if (rc < 0)
			fail(i, ct[i].uri, "disconnect", rc);
	}
	r->disconnect_s = now() - t0;
	printf("disconnect time        %.3f s total, %.2f ms per controller\n", r->disconnect_s,
	       per_ctrl_ms(r->disconnect_s, r->connected));
}

/* One line of key=value pairs without spaces in values, for scripts. */
static void print_summary(const struct opts *o, const struct run *r)
{
	const char *kind = r->after.rss_kib < 0 ? "unknown" :
			   strcmp(r->after.rss_kind, "max RSS") == 0 ? "max_rss" : r->after.rss_kind;

	printf("nvmf-scale: ctrls=%ld/%ld uris=%d io_queues=%ld namespaces=%ld connect_s=%.3f "
	       "connect_ms_per_ctrl=%.3f connect_ms_p50=%.3f connect_ms_max=%.3f "
	       "connect_cpu_s=%.3f rss_kib=%ld rss_kind=%s rss_kib_per_ctrl=%ld "
	       "rss_io_kib=%ld threads=%ld fds=%ld reads=%ld/%ld idle_cpu_s=%.3f "
	       "disconnect_s=%.3f failures=%d status=%s\n",
	       r->connected, o->n, o->nr_uris, o->io_queues, r->namespaces, r->connect_s,
	       per_ctrl_ms(r->connect_s, r->connected), r->connect_p50 * 1e3,
	       r->connect_max * 1e3, r->connect_cpu, r->after.rss_kib, kind, r->rss_per,
	       r->io.rss_kib, r->after.threads, r->after.fds, r->reads_ok, r->reads_tried,
	       r->idle_cpu, r->disconnect_s, failures, failures ? "failed" : "ok");
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run r = { .io = { .rss_kib = -1 } };
	struct ctrl *ct;

	parse(argc, argv, &o);
	ct = calloc((size_t)o.n, sizeof(*ct));
	if (!ct) {
		fprintf(stderr, "nvmf-scale: out of memory for %ld controllers\n", o.n);
		return 1;
	}
	raise_nofile(&o);
	scale_proc_limits();

	connect_all(&o, ct, &r);
	print_connected(&o, &r);
	if (o.read && r.connected) {
		double t0 = now();

		r.reads_ok = read_all(ct, r.connected, &r.reads_tried);
		printf("4 KiB reads            %ld of %ld succeeded in %.3f s\n", r.reads_ok,
		       r.reads_tried, now() - t0);
		/* The first I/O on each queue allocates what connecting did not. */
		scale_proc_read(&r.io);
		print_mem("memory after reads", &r.io);
	}
	if (o.wait_s && r.connected)
		hold_idle(o.wait_s, &r);
	disconnect_all(&o, ct, &r);

	if (r.connected < o.n && failures == 0)
		failures++;	/* cannot happen: a short count always has a failure */
	print_summary(&o, &r);
	free(ct);
	return failures ? 1 : 0;
}
