/*
 * Process figures for bench/nvmf-scale. Linux: /proc/self/status (VmRSS,
 * Threads) and /proc/self/fd. FreeBSD: the kern.proc.pid sysctl's
 * kinfo_proc (ki_rssize pages, ki_numthreads) and kern.proc.nfds.
 * Elsewhere: getrusage()'s peak RSS, labelled as such, and no thread count.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef __FreeBSD__
#include <sys/sysctl.h>
#include <sys/user.h>
#endif

#include "scale_proc.h"

static void rss_from_rusage(struct scale_proc *p)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		p->rss_why = strerror(errno);
		return;
	}
#ifdef __APPLE__
	p->rss_kib = (long)(ru.ru_maxrss / 1024);	/* bytes there */
#else
	p->rss_kib = (long)ru.ru_maxrss;		/* KiB on Linux and the BSDs */
#endif
	p->rss_kind = "max RSS";
}

#ifdef __linux__
/*
 * Held from the first reading on: when the controllers have taken every
 * descriptor the limit allows (what a run at the edge measures), opening
 * /proc/self/status then would fail. The spare descriptor is given up for
 * the moment /proc/self/fd is listed, as libuv does for accept().
 */
static int status_fd = -1, spare_fd = -1;

static long status_field(const char *name)
{
	static char text[4096];
	size_t len = strlen(name);
	ssize_t n;

	if (status_fd < 0)
		status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (status_fd < 0 || (n = pread(status_fd, text, sizeof(text) - 1, 0)) <= 0)
		return -1;
	text[n] = '\0';
	for (char *line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			return strtol(line + len + 1, NULL, 10);
	}
	return -1;
}

/* Open descriptors, less the directory's own and this file's two. */
static long count_fds(void)
{
	DIR *d;
	struct dirent *e;
	long n = 0, ours = 1;

	if (spare_fd >= 0) {
		close(spare_fd);
		spare_fd = -1;
	}
	d = opendir("/proc/self/fd");
	if (d) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
	}
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!d)
		return -1;
	if (status_fd >= 0)
		ours++;
	return n - ours;
}

void scale_proc_read(struct scale_proc *p)
{
	memset(p, 0, sizeof(*p));
	p->rss_kib = status_field("VmRSS");
	p->rss_kind = "VmRSS";
	if (p->rss_kib < 0) {
		p->rss_why = "no VmRSS in /proc/self/status";
		rss_from_rusage(p);
	}
	p->threads = status_field("Threads");
	p->threads_why = "no Threads in /proc/self/status";
	p->fds = count_fds();
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}
#elif defined(__FreeBSD__)
void scale_proc_read(struct scale_proc *p)
{
	struct kinfo_proc kp;
	size_t len = sizeof(kp);
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)getpid() };
	int nfds_mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_NFDS, 0 };
	int nfds;

	memset(p, 0, sizeof(*p));
	p->rss_kib = p->threads = p->fds = -1;
	if (sysctl(mib, 4, &kp, &len, NULL, 0) == 0 && len == sizeof(kp)) {
		p->rss_kib = (long)kp.ki_rssize * (getpagesize() / 1024);
		p->rss_kind = "resident";
		p->threads = kp.ki_numthreads;
	} else {
		p->rss_why = p->threads_why = "sysctl kern.proc.pid failed";
		rss_from_rusage(p);
	}
	len = sizeof(nfds);
	if (sysctl(nfds_mib, 4, &nfds, &len, NULL, 0) == 0)
		p->fds = nfds;
}
#else
void scale_proc_read(struct scale_proc *p)
{
	memset(p, 0, sizeof(*p));
	p->rss_kib = p->threads = p->fds = -1;
	p->rss_why = "getrusage failed";
	rss_from_rusage(p);
	p->threads_why = "no thread count on this system";
}
#endif

static void print_rlimit(const char *label, int res, long unit)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) != 0)
		return;
	if (rl.rlim_cur == RLIM_INFINITY)
		printf("%-22s unlimited\n", label);
	else
		printf("%-22s %llu%s\n", label, (unsigned long long)rl.rlim_cur / (unsigned long long)unit,
		       unit == 1024 ? " KiB" : "");
}

void scale_proc_limits(void)
{
	print_rlimit("processes per user", RLIMIT_NPROC, 1);
	/* A thread's stack is reserved (virtual), not resident: libuv sizes
	 * it from this limit, so it bounds address space, not RSS. */
	print_rlimit("stack size limit", RLIMIT_STACK, 1024);
#ifdef __linux__
	long tmax = read_long("/proc/sys/kernel/threads-max");
	long pmax = read_long("/proc/sys/kernel/pid_max");

	if (tmax > 0 && pmax > 0)
		printf("%-22s %ld (threads-max), pid_max %ld\n", "system thread cap", tmax, pmax);
#endif
}
