/*
 * nvmf-perf: what the NVMe mode (nvmf-perf.c) and the raw-TCP mode
 * (perf_raw.c) share: options, the latency histogram and the report.
 */
#ifndef NVMF_PERF_H
#define NVMF_PERF_H

#include <stdbool.h>
#include <stdint.h>

enum pattern { P_READ, P_WRITE, P_RANDREAD, P_RANDWRITE };

struct opts {
	const char *uri;
	int qd;
	uint32_t io_size;
	enum pattern pat;
	double seconds;
	int queues;
	int ctrls;		/* -c: controllers (NVMe mode) */
	bool raw;
	int serve_port;
	uint64_t span;		/* -z (with -S): the server's bytes read and written at random */
	int poll_us;		/* -p: the client polls (libnvmf's POLLING; raw: poll()
				 * with a zero timeout) until this long idle */
};

/* ---- Latency histogram: 64 sub-buckets per power of two of nanoseconds ------ */

#define SUB 64
#define HBUCKETS (40 * SUB)

struct hist {
	uint64_t n, sum_ns;
	uint64_t b[HBUCKETS];
};

long perf_num(const char *s, const char *what, long lo, long hi);
bool perf_is_write(enum pattern p);
bool perf_is_rand(enum pattern p);
uint64_t perf_now_ns(void);
void perf_hist_add(struct hist *h, uint64_t ns);
/* The summary line: IOPS, MiB/s, average, p50, p99, p99.9 latency. */
void perf_report(const char *mode, const struct opts *o, const struct hist *h, double secs);

/* Raw-TCP mode: run the client (forking a server unless o->uri names
 * one), or serve on a loopback port forever (-S). Exit statuses. */
int perf_run_raw(const struct opts *o);
int perf_raw_serve(int port, uint64_t span_bytes);

#endif /* NVMF_PERF_H */
