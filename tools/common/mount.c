/*
 * Shared by the tools: nvmf-fuse mounts in the mount table, and detaching
 * a dead server's mount (see mount.h).
 */
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__FreeBSD__)
#include <sys/param.h>
#include <sys/ucred.h>
#include <sys/mount.h>
#endif

#define DETACH_TIMEOUT_MS (TC_DETACH_TIMEOUT_S * 1000)

static tc_child_wait_fn detach_wait;

void tc_set_detach_wait(tc_child_wait_fn wait)
{
	detach_wait = wait;
}

/*
 * nvmf-fuse mounts with subtype=nvmf: type "fuse.nvmf" on Linux; FreeBSD's
 * table names fusefs (with the subtype after a dot when the kernel keeps it).
 */
#if defined(__FreeBSD__)
bool tc_nvmf_mounted(const char *path)
{
	struct statfs *m;
	int n = getmntinfo(&m, MNT_NOWAIT);

	for (int i = 0; i < n; i++)
		if (!strcmp(m[i].f_mntonname, path) && !strncmp(m[i].f_fstypename, "fusefs", 6))
			return true;
	return false;
}
#else
static int octal_digit(char c)
{
	return c >= '0' && c <= '7' ? c - '0' : -1;
}

/*
 * The kernel writes a mount point's space, tab, newline and backslash in
 * /proc/self/mounts as \040, \011, \012 and \134 (the fields are space
 * separated): decode them in place, or a mount point holding one never
 * compares equal to its path and is taken for not mounted.
 */
static void unescape_mnt(char *s)
{
	char *out = s;

	while (*s) {
		int a, b, c;

		if (s[0] == '\\' && (a = octal_digit(s[1])) >= 0 &&
		    (b = octal_digit(s[2])) >= 0 && (c = octal_digit(s[3])) >= 0) {
			*out++ = (char)(a * 64 + b * 8 + c);
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

bool tc_nvmf_mounted(const char *path)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[8192], dev[4096], mnt[4096], type[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s %4095s %255s", dev, mnt, type) != 3 ||
		    strcmp(type, "fuse.nvmf"))
			continue;
		unescape_mnt(mnt);
		found = !strcmp(mnt, path);
	}
	fclose(f);
	return found;
}
#endif

static void exec_detach(const char *path)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
#if defined(__FreeBSD__)
	execlp("umount", "umount", "-f", path, (char *)NULL);
#else
	execlp("fusermount3", "fusermount3", "-u", "-z", path, (char *)NULL);
	execlp("umount", "umount", "-l", path, (char *)NULL);
#endif
	_exit(127);
}

/* A lazy unmount returns at once; one that hangs (a dead mount's server
 * is gone, but the kernel may still be stuck) is not waited for longer. */
static void wait_briefly(pid_t pid)
{
	for (int ms = 0; ms < DETACH_TIMEOUT_MS; ms += 10) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
}

int tc_nvmf_detach(const char *path)
{
	pid_t pid;

	if (!tc_nvmf_mounted(path))
		return 0;
	pid = fork();
	if (pid == 0)
		exec_detach(path);
	if (pid > 0 && detach_wait) {
		int r = detach_wait(pid, TC_DETACH_TIMEOUT_S);

		/* Stopped: the caller says so (and keeps the record, the
		 * only handle on a mount that may still be there). */
		if (r == -ETIMEDOUT || r == -EINTR)
			return r;
	} else if (pid > 0) {
		wait_briefly(pid);
	}
	return tc_nvmf_mounted(path) ? -EBUSY : 0;
}
