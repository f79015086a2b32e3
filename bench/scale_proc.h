/*
 * What the process holds, for bench/nvmf-scale: resident memory, threads
 * and open descriptors, read the way each system allows (scale_proc.c).
 */
#ifndef NVMF_BENCH_SCALE_PROC_H
#define NVMF_BENCH_SCALE_PROC_H

struct scale_proc {
	long rss_kib;		/* -1: unknown, rss_why says why */
	const char *rss_kind;	/* "VmRSS", "resident" or "max RSS" (the peak) */
	const char *rss_why;
	long threads;		/* -1: unknown, threads_why says why */
	const char *threads_why;
	long fds;		/* -1: unknown */
};

void scale_proc_read(struct scale_proc *p);
/* Print the limits that bound threads: processes per user, the system's
 * thread cap, the stack each thread reserves. */
void scale_proc_limits(void);

#endif
