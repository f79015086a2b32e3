/*
 * nvmfctl disconnect, disconnect-all and list.
 *
 * disconnect first unmounts a live connection the ordinary way, which the
 * kernel refuses while the mount is in use (a file open, a loop device on
 * a namespace file): the connection is then left as it is and the command
 * fails, where nvmf-fuse's own unmount at SIGTERM (libfuse's, lazy) would
 * detach it from under its users and lose what they had not written back.
 * Then it sends the server SIGTERM, on which it flushes, shuts the
 * controller down (CC.SHN) and removes its record, and waits for that;
 * -f/--force skips the check (the mount is detached lazily, in use or not). Only processes named by a record and still running
 * nvmf-fuse are ever signalled; records of dead processes are stale and
 * are only removed (with the dead server's mount detached).
 */
#include "nvmfctl.h"
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#if !defined(__linux__)
#include <sys/param.h>	/* before sys/mount.h on the BSDs */
#endif
#include <sys/mount.h>

#define DISCONNECT_TIMEOUT_S 90		/* nvmf-fuse drains for io-timeout + 5 s */

static const char disconnect_help[] =
	"Usage: nvmfctl disconnect NAME|MOUNTPOINT...\n"
	"       nvmfctl disconnect -n SUBNQN[,SUBNQN...]\n"
	"       nvmfctl disconnect -d NAME[,NAME...]\n"
	"End connections made by 'nvmfctl connect': the mount is unmounted (refused\n"
	"while in use, unless -f), nvmf-fuse flushes and exits; its state record goes\n"
	"away. Stale records (the process is gone) are removed. Only nvmf-fuse\n"
	"connections with a record are ever touched. A corrupt record (cut short,\n"
	"not JSON) is removed by its name; no process is signalled for it, and its\n"
	"default mount point is unmounted as a live one's.\n\n"
	"  -n, --nqn SUBNQN           every connection to these subsystems (none: exit 0)\n"
	"  -d, --device NAME          the connections called so (one missing: exit 1)\n"
	"  -f, --force                end it even while its mount is in use (a file open,\n"
	"                             a loop device on a namespace file): the mount is\n"
	"                             detached lazily, and unwritten data may be lost\n"
	"      --timeout S            wait at most S seconds per connection (default 90)\n"
	"  -h, --help                 this text\n";

static const char disconnect_all_help[] =
	"Usage: nvmfctl disconnect-all [-f]\n"
	"End every connection made by 'nvmfctl connect' (every nvmf-fuse state record)\n"
	"and remove stale and corrupt records. A connection whose mount is in use is left\n"
	"(exit 1).\n\n"
	"  -f, --force                end connections whose mount is in use too\n"
	"      --timeout S            wait at most S seconds per connection (default 90)\n"
	"  -h, --help                 this text\n";

static const char list_help[] =
	"Usage: nvmfctl list [-o normal|json]\n"
	"List the connections nvmf-fuse serves, from its state records: name, state,\n"
	"address, controller ID, subsystem NQN, mount point and namespace files.\n"
	"States: live; resetting and connecting (attempt N of M) while an outage\n"
	"lasts, I/O held; dead once given up (I/O fails); deleting; connecting\n"
	"before the first connection; stale when the process is gone. A connection\n"
	"not live shows its last error. A record file that cannot be read is named\n"
	"in a warning and skipped; the exit status is then 1.\n\n"
	"  -o, --output-format FMT    normal or json\n"
	"  -h, --help                 this text\n";

/* ---- disconnect ------------------------------------------------------------------ */

/*
 * tc_nvmf_detach()'s wait for its helper: bounded, the helper stopped
 * and reaped when it overstays (polled, it was left running and, once it
 * exited, a zombie), and a Ctrl-C ends the wait at once (SIGINT was not
 * caught: nvmfctl died and left the helper to itself).
 */
int nc_detach_wait(pid_t pid, int timeout_s)
{
	int status;

	return nc_wait_child(pid, timeout_s, &status);
}

/*
 * Remove the stale record r, held by dead_pid, and detach the mount its
 * server left (tc_record_remove_stale(), shared with nvmf-fuse's taking
 * over of a dead server's name, which checks under a lock that the record
 * is still that dead server's: one that took the name over meanwhile keeps
 * its record and mount); say what was left. 0 (removed), 1 (taken over
 * meanwhile: left alone) or -errno after a message; interrupted (Ctrl-C),
 * it dies of the signal.
 */
static int remove_stale(const struct tc_record *list, int n, const struct tc_record *r,
			int dead_pid)
{
	const struct tc_record *other = NULL;
	int e;

	nc_flush_stdout();	/* a failure is kept for main()'s final check */
	fflush(NULL);
	tc_set_detach_wait(nc_detach_wait);
	e = tc_record_remove_stale(list, n, r, dead_pid, &other);
	if (e == -EINTR) {
		/* The lock is released, the helper reaped: only the record is
		 * left, the handle on a mount that may still be there. */
		nc_err("%s: interrupted while detaching the dead server's mount %s: stopped "
		       TC_DETACH_CMD "; its record is kept", r->name, r->mountpoint);
		nc_die_of_signal();
	}
	if (e == -ETIMEDOUT)
		nc_err("%s: detaching the dead server's mount %s (" TC_DETACH_CMD ") did not "
		       "finish within %d s: stopped it; its record is kept (try again, or "
		       "detach it with " TC_DETACH_CMD ")", r->name, r->mountpoint,
		       TC_DETACH_TIMEOUT_S);
	else if (e == -EBUSY)
		nc_err("%s: the dead server's mount %s could not be detached (unmount it with "
		       TC_DETACH_CMD "); its record is kept", r->name, r->mountpoint);
	else if (e == -EAGAIN)
		nc_err("%s: another process has held .claim.lock for 30 s while removing this "
		       "stale record; its record is kept: try again", r->name);
	else if (e < 0)
		nc_err("%s: cannot remove stale record %s: %s", r->name, r->path, strerror(-e));
	else if (e == 1)
		fprintf(stderr, "nvmfctl: %s: %s: taken over by a new server meanwhile: left "
			"as it is\n", nc_cmd, r->name);
	else if (other)
		fprintf(stderr, "nvmfctl: %s: %s is now connection %s's mount: left "
			"mounted\n", r->name, r->mountpoint, other->name);
	return e;
}

/*
 * The loop device whose backing file lies in the mount at mp, if any
 * (Linux's /sys/block/loopN/loop/backing_file): the usual reason a
 * namespace file is busy with nothing open in a process. dev "" if none.
 */
static void loop_on(const char *mp, char *dev, size_t devlen, char *file, size_t filelen)
{
	size_t mplen = strlen(mp);
	struct dirent *d;
	DIR *dp = opendir("/sys/block");

	dev[0] = file[0] = '\0';
	if (!dp)
		return;
	while (!dev[0] && (d = readdir(dp)) != NULL) {
		char path[600], back[TC_PATH_MAX + 64];
		FILE *f;

		if (strncmp(d->d_name, "loop", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%.255s/loop/backing_file", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(back, sizeof(back), f) && !strncmp(back, mp, mplen) &&
		    back[mplen] == '/') {
			back[strcspn(back, "\n")] = '\0';
			snprintf(dev, devlen, "/dev/%.255s", d->d_name);
			snprintf(file, filelen, "%s", back);
		}
		fclose(f);
	}
	closedir(dp);
}

#if defined(__linux__)
/* How long fusermount3 -u may take: it unmounts or refuses at once. */
#define FUSERMOUNT_TIMEOUT_S 10

/*
 * Run "fusermount3 -u mp" (no -z: the kernel must refuse a busy mount),
 * its standard error kept in err (a line, the newline dropped); how it
 * exited in *status, 127 when it could not be run (err says why).
 * 0; -ETIMEDOUT when it did not finish within FUSERMOUNT_TIMEOUT_S, or
 * -EINTR when a Ctrl-C (SIGINT, SIGTERM, SIGHUP) came meanwhile: it was
 * stopped and reaped either way (nc_wait_child()); -errno when it could
 * not be started at all.
 */
static int run_fusermount(const char *mp, char *err, size_t errlen, int *status)
{
	int pfd[2], fd, r;
	ssize_t got;
	pid_t pid;

	err[0] = '\0';
	nc_flush_stdout();	/* a failure is kept for main()'s final check */
	fflush(NULL);
	if (pipe(pfd) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0)
			dup2(fd, 1);
		dup2(pfd[1], 2);
		setenv("LC_ALL", "C", 1);	/* its "busy" is matched below */
		execlp("fusermount3", "fusermount3", "-u", mp, (char *)NULL);
		dprintf(2, "fusermount3 could not be run: %s", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		int e = errno;

		close(pfd[0]);
		return -e;
	}
	*status = -1;
	r = nc_wait_child(pid, FUSERMOUNT_TIMEOUT_S, status);
	/* Read after the wait, without blocking: a few lines fit the pipe. */
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	got = read(pfd[0], err, errlen - 1);
	close(pfd[0]);
	err[got > 0 ? got : 0] = '\0';
	err[strcspn(err, "\n")] = '\0';
	return r == -ETIMEDOUT || r == -EINTR ? r : 0;
}

/*
 * Whether fusermount3's message ends in strerror(EBUSY) ("Device or resource
 * busy" in glibc, "Resource busy" in musl): only the text after the last
 * ": ", as the mount point named before it may hold "busy" itself.
 */
static bool said_busy(const char *err)
{
	const char *p, *last = err;

	while ((p = strstr(last, ": ")) != NULL)
		last = p + 2;
	return last != err && strstr(last, "busy") != NULL;
}

/*
 * A user's mount: fusermount3 -u. -EBUSY only when it said the mount is
 * busy; -EINTR when interrupted (the caller says so and dies of it); any
 * other failure (not installed, another user's mount, not finished in
 * time, ...) is described in why, with its exit status and message, and
 * -EPERM returned.
 */
static int unmount_user(const char *mp, char *why, size_t whylen)
{
	char err[512];
	int status, r = run_fusermount(mp, err, sizeof(err), &status);

	if (r == -ETIMEDOUT) {
		snprintf(why, whylen, "fusermount3 -u did not finish within %d s: stopped it%s%s",
			 FUSERMOUNT_TIMEOUT_S, err[0] ? ": " : "", err);
		return -EPERM;
	}
	if (r < 0)
		return r;
	if (!tc_nvmf_mounted(mp))
		return 0;
	if (said_busy(err))
		return -EBUSY;
	if (WIFEXITED(status))
		snprintf(why, whylen, "fusermount3 -u exited with status %d%s%s",
			 WEXITSTATUS(status), err[0] ? ": " : "", err);
	else
		snprintf(why, whylen, "fusermount3 -u did not finish%s%s",
			 err[0] ? ": " : "", err);
	return -EPERM;
}
#endif

/*
 * Unmount a live connection's mount the ordinary way, never lazily: the
 * kernel refuses (EBUSY) while a file in it is open or backs a loop
 * device, which must stop the disconnect rather than detach the mount
 * from under its users. Unmounted, the server sees its session end and
 * exits as on SIGTERM. 0 (unmounted, or not mounted), or -errno, with
 * why set when the errno alone does not say it (-EINTR: interrupted while
 * fusermount3 ran). Root unmounts itself; a user's mount on Linux goes
 * through fusermount3 -u.
 */
int nc_unmount_checked(const char *mp, char *why, size_t whylen)
{
	why[0] = '\0';
	if (!tc_nvmf_mounted(mp))
		return 0;
#if defined(__linux__)
	if (geteuid() != 0)
		return unmount_user(mp, why, whylen);
	return umount2(mp, UMOUNT_NOFOLLOW) < 0 ? -errno : 0;
#else
	/* FreeBSD and the other BSDs: unmount(2) (vfs.usermount lets a user). */
	return unmount(mp, 0) < 0 ? -errno : 0;
#endif
}

/* Why the mount of r could not be unmounted, with what the user can do. */
void nc_unmount_err(const struct tc_record *r, int e, const char *why)
{
	/* A corrupt record's (corrupt.c) is no connection we know of. */
	const char *left = strcmp(r->state, "corrupt") ? "the connection is left as it is"
						       : "the corrupt record is kept";
	char dev[300], file[TC_PATH_MAX + 64];

	if (e != -EBUSY) {
		nc_err("%s: cannot unmount %s: %s; %s", r->name, r->mountpoint,
		       why[0] ? why : strerror(-e), left);
		return;
	}
	loop_on(r->mountpoint, dev, sizeof(dev), file, sizeof(file));
	if (dev[0])
		nc_err("%s: %s is in use: %s backs loop device %s: unmount what is on it and "
		       "detach it first (losetup -d %s), or -f/--force to detach the mount "
		       "anyway; %s", r->name, r->mountpoint, file, dev, dev, left);
	else
		nc_err("%s: %s is in use (a file in it is open, or something is mounted on "
		       "it): close it first, or -f/--force to detach the mount anyway; %s",
		       r->name, r->mountpoint, left);
}

/* Interrupted (Ctrl-C) while fusermount3 -u ran, now stopped: say how the
 * connection was left, and die of the signal (nothing was signalled yet). */
static void interrupted_unmount(const struct tc_record *r)
{
	if (tc_nvmf_mounted(r->mountpoint))
		nc_err("%s: interrupted while unmounting %s: stopped fusermount3 -u; the "
		       "connection is left as it is", r->name, r->mountpoint);
	else
		nc_err("%s: interrupted: %s was unmounted already, so nvmf-fuse (pid %d) ends by "
		       "itself; its record goes with it", r->name, r->mountpoint, r->pid);
	nc_die_of_signal();
}

static bool gone(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 && errno == ENOENT;
}

static int disconnect_record(struct tc_record *list, int n, int i, int timeout_s, bool force)
{
	struct tc_record *r = &list[i];
	double deadline = nc_now() + timeout_s;
	int e;

	if (r->alive) {
		char why[TC_PATH_MAX + 600] = "";

		e = force ? 0 : nc_unmount_checked(r->mountpoint, why, sizeof(why));

		if (e == -EINTR)
			interrupted_unmount(r);
		if (e < 0) {
			nc_unmount_err(r, e, why);
			return NC_EXIT_FAIL;
		}
		if (kill(r->pid, SIGTERM) < 0 && errno != ESRCH) {
			nc_err("%s: cannot signal nvmf-fuse (pid %d): %s", r->name, r->pid,
				strerror(errno));
			return NC_EXIT_FAIL;
		}
		while (tc_pid_is_fuse(r->pid)) {
			if (nc_now() > deadline) {
				nc_err("%s: nvmf-fuse (pid %d) did not exit within %d s after "
					"SIGTERM; its I/O may be stuck (see 'nvmfctl list')", r->name,
					r->pid, timeout_s);
				return NC_EXIT_FAIL;
			}
			nc_sleep_ms(20);
		}
		/* It removes its record before it exits; a crash leaves it (and
		 * another server may take the name over at once). */
		if (!gone(r->path))
			(void)remove_stale(list, n, r, r->pid);
		return NC_EXIT_OK;
	}
	/* Stale: nothing runs; clean up what the dead server left. */
	e = remove_stale(list, n, r, r->pid);
	if (e < 0)
		return NC_EXIT_FAIL;	/* a mount left is kept with its record */
	if (e == 0) {
		fprintf(stderr, "nvmfctl: %s: %s: removed stale record (nvmf-fuse pid %d no "
			"longer runs)\n", nc_cmd, r->name, r->pid);
	}
	return NC_EXIT_OK;
}

#define MAX_NAMES 256

/* The connections named on the command line: -d values and positional names. */
struct names {
	const char *v[MAX_NAMES];
	int n;
	char *copies[MAX_NAMES];	/* strdup()ed -d lists, the items point into */
	int ncopies;
};

/*
 * Add v to nm: a -d value is a comma-separated list (nvme-cli's
 * disconnect -d splits it so), empty items skipped; a positional name is
 * taken whole (a mount point may hold a comma). The items are cut from a
 * copy, kept in nm->copies for the caller to free. 0, -1 (out of memory)
 * or -2 (more than MAX_NAMES names: refused, not cut short).
 */
static int add_names(struct names *nm, const char *v, bool split)
{
	char *copy, *rest, *item;

	if (!split) {
		if (nm->n == MAX_NAMES)
			return -2;
		nm->v[nm->n++] = v;
		return 0;
	}
	if (nm->ncopies == MAX_NAMES)
		return -2;
	copy = strdup(v);
	if (!copy)
		return -1;
	nm->copies[nm->ncopies++] = copy;
	rest = copy;
	while ((item = strsep(&rest, ",")) != NULL) {
		if (!item[0])
			continue;
		if (nm->n == MAX_NAMES)
			return -2;
		nm->v[nm->n++] = item;
	}
	return 0;
}

static void free_names(struct names *nm)
{
	for (int k = 0; k < nm->ncopies; k++)
		free(nm->copies[k]);
}

/*
 * The options of disconnect and disconnect-all. -d values are collected
 * here, in getopt's loop, so combined short options (-fdNAME, -fn NQN) are
 * parsed as getopt parses them; nm is NULL for disconnect-all.
 */
static int disc_opts(int argc, char **argv, const char *help, struct names *nm,
		     const char **nqn, int *timeout_s, bool *force)
{
	static const struct option lo[] = {
		{ "nqn",     required_argument, NULL, 'n' },
		{ "device",  required_argument, NULL, 'd' },
		{ "force",   no_argument,       NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	tc_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:d:fh", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			*force = true;
			break;
		case 'n':
			if (!nm)
				return nc_usage_err("-n/--nqn does not apply to disconnect-all");
			*nqn = optarg;
			break;
		case 'd':
			if (!nm)
				return nc_usage_err("-d/--device does not apply to disconnect-all");
			r = add_names(nm, optarg, true);
			if (r == -2)
				return nc_usage_err("more than %d connection names", MAX_NAMES);
			if (r < 0) {
				nc_err("out of memory");
				return NC_EXIT_FAIL;
			}
			break;
		case 'T':
			if (nc_parse_int("--timeout", optarg, 1, 3600, timeout_s) < 0)
				return NC_EXIT_USAGE;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return nc_getopt_err(c, optopt, argv);
		}
	}
	return 0;
}

/*
 * -n SUBNQN[,SUBNQN...]: every connection to any of them. As nvme-cli, one
 * line "NQN:<the list> disconnected N controller(s)", and exit 0 when none
 * matched (teardown scripts run it unconditionally); 1 only when ending a
 * matching connection failed.
 */
static int disconnect_nqns(struct tc_record *list, int n, const char *arg, int timeout_s,
			   bool force)
{
	char esc[TC_ESC_SIZE(NVMF_NQN_FIELD_LEN)], *copy = strdup(arg), *rest = copy, *item;
	int done = 0, rc = NC_EXIT_OK;

	if (!copy) {
		nc_err("out of memory");
		return NC_EXIT_FAIL;
	}
	while ((item = strsep(&rest, ",")) != NULL) {
		if (!item[0])
			continue;
		/* Records hold the NQN escaped; the user types what list printed. */
		tc_escape(esc, sizeof(esc), item);
		for (int i = 0; i < n; i++) {
			if (strcmp(list[i].subnqn, esc))
				continue;
			if (disconnect_record(list, n, i, timeout_s, force))
				rc = NC_EXIT_FAIL;
			else
				done++;
		}
	}
	free(copy);
	printf("NQN:%s disconnected %d controller(s)\n", tc_escape(esc, sizeof(esc), arg), done);
	return rc;
}

/* -d NAME[,NAME...] and names: each must name a connection, or a corrupt
 * record (exit 1 if not, as nvme-cli's -d for a device that does not
 * exist). */
static int disconnect_names(struct tc_record *list, int n, const struct nc_corrupt_list *cl,
			    const char **names, int nnames, int timeout_s, bool force)
{
	int rc = NC_EXIT_OK;

	for (int k = 0; k < nnames; k++) {
		bool found = false;

		for (int i = 0; i < n && !found; i++) {
			if (!nc_record_matches(&list[i], names[k]))
				continue;
			found = true;
			if (disconnect_record(list, n, i, timeout_s, force))
				rc = NC_EXIT_FAIL;
			else
				printf("disconnected %s (%s)\n", list[i].name,
				       list[i].subnqn[0] ? list[i].subnqn : "no NQN");
		}
		for (int j = 0; j < cl->n && !found; j++) {
			if (!nc_record_matches(&cl->v[j].r, names[k]))
				continue;
			found = true;
			if (nc_remove_corrupt(list, n, &cl->v[j], force))
				rc = NC_EXIT_FAIL;
			else
				printf("disconnected %s (corrupt record)\n", cl->v[j].r.name);
		}
		if (!found) {
			nc_err("no connection named or mounted at '%s' (see 'nvmfctl list')",
				names[k]);
			rc = NC_EXIT_FAIL;
		}
	}
	return rc;
}

int cmd_disconnect(int argc, char **argv)
{
	struct tc_record *list = NULL;
	struct nc_corrupt_list cl = { NULL, 0 };
	const char *nqn = NULL;
	struct names nm = { .n = 0 };
	int timeout_s = DISCONNECT_TIMEOUT_S, n, r, rc = NC_EXIT_OK;
	bool force = false;

	r = disc_opts(argc, argv, disconnect_help, &nm, &nqn, &timeout_s, &force);
	if (r) {
		rc = r < 0 ? 0 : r;
		goto out;
	}
	/* Positional names (getopt moved them after the options). */
	for (int i = optind; i < argc; i++) {
		if (add_names(&nm, argv[i], false) < 0) {
			rc = nc_usage_err("more than %d connection names", MAX_NAMES);
			goto out;
		}
	}
	if (!nqn && nm.n == 0) {
		rc = nc_usage_err("give a connection NAME or MOUNTPOINT, -d NAME or -n SUBNQN "
				  "(see 'nvmfctl list')");
		goto out;
	}
	if (nqn && nm.n) {
		rc = nc_usage_err("-n/--nqn and connection names exclude each other");
		goto out;
	}
	/* -n names subsystems: a corrupt record names none. */
	n = nc_records_load_ex(&list, nqn ? NULL : nc_add_corrupt, &cl);
	if (n < 0) {
		rc = NC_EXIT_FAIL;
		goto out;
	}
	if (nqn)
		rc = disconnect_nqns(list, n, nqn, timeout_s, force);
	else
		rc = disconnect_names(list, n, &cl, nm.v, nm.n, timeout_s, force);
	tc_records_free(list, n);
out:
	free(cl.v);
	free_names(&nm);
	return rc;
}

int cmd_disconnect_all(int argc, char **argv)
{
	struct tc_record *list = NULL;
	struct nc_corrupt_list cl = { NULL, 0 };
	int timeout_s = DISCONNECT_TIMEOUT_S, n, r, done = 0, rc = NC_EXIT_OK;
	const char *nqn = NULL;
	bool force = false;

	r = disc_opts(argc, argv, disconnect_all_help, NULL, &nqn, &timeout_s, &force);
	if (r)
		return r < 0 ? 0 : r;
	if (optind < argc)
		return nc_usage_err("unexpected argument '%s'", argv[optind]);
	n = nc_records_load_ex(&list, nc_add_corrupt, &cl);
	if (n < 0)
		return NC_EXIT_FAIL;
	for (int i = 0; i < n; i++) {
		if (disconnect_record(list, n, i, timeout_s, force))
			rc = NC_EXIT_FAIL;
		else
			done++;
	}
	for (int j = 0; j < cl.n; j++) {
		if (nc_remove_corrupt(list, n, &cl.v[j], force))
			rc = NC_EXIT_FAIL;
		else
			done++;
	}
	printf("disconnected %d connection(s)\n", done);
	tc_records_free(list, n);
	free(cl.v);
	return rc;
}

/* ---- list ---------------------------------------------------------------------- */

static void human_size(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	int u = 0;

	while (d >= 1024.0 && u < 5) {
		d /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, len, "%.2f %s", d, unit[u]);
}

static int width(int cur, const char *s)
{
	int l = (int)strlen(s);

	return l > cur ? l : cur;
}

int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output-format", required_argument, NULL, 'o' },
		{ "help",          no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum nc_fmt fmt = NC_FMT_NORMAL;
	struct tc_record *list = NULL;
	int c, n, bad = 0, wn = 4, ws = 5, wa = 7, wq = 13;
	char addr[sizeof(list->address) + sizeof(list->port) + 4], state[64];

	tc_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (nc_parse_fmt(optarg, false, &fmt) < 0)
				return NC_EXIT_USAGE;
			break;
		case 'h':
			fputs(list_help, stdout);
			return 0;
		default:
			return nc_getopt_err(c, optopt, argv);
		}
	}
	if (optind < argc)
		return nc_usage_err("unexpected argument '%s'", argv[optind]);
	/* A corrupt record is warned about and the others listed; the exit
	 * status says the list is not the whole story. */
	n = nc_records_load(&list, &bad);
	if (n < 0)
		return NC_EXIT_FAIL;
	nc_records_fill_claimed(list, n);
	if (fmt == NC_FMT_JSON) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();

		for (int i = 0; i < n; i++)
			json_object_array_add(arr, nc_record_json(&list[i]));
		json_object_object_add(o, "connections", arr);
		nc_json_print(o);
		tc_records_free(list, n);
		return bad ? NC_EXIT_FAIL : NC_EXIT_OK;
	}
	for (int i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), strchr(list[i].address, ':') ? "[%s]:%s" : "%s:%s",
			 list[i].address, list[i].port);
		wn = width(wn, list[i].name);
		ws = width(ws, nc_record_state(&list[i], state, sizeof(state)));
		wa = width(wa, addr);
		wq = width(wq, list[i].subnqn);
	}
	printf("%-*s %-*s %-*s %-6s %-*s %s\n", wn, "Name", ws, "State", wa, "Address", "Cntlid",
	       wq, "Subsystem NQN", "Mountpoint");
	for (int i = 0; i < n; i++) {
		const struct tc_record *r = &list[i];
		char cntlid[16];

		snprintf(addr, sizeof(addr), strchr(r->address, ':') ? "[%s]:%s" : "%s:%s",
			 r->address, r->port);
		if (r->cntlid >= 0)
			snprintf(cntlid, sizeof(cntlid), "%d", r->cntlid);
		else
			snprintf(cntlid, sizeof(cntlid), "-");
		printf("%-*s %-*s %-*s %-6s %-*s %s\n", wn, r->name, ws,
		       nc_record_state(r, state, sizeof(state)), wa, addr, cntlid, wq, r->subnqn,
		       r->mountpoint);
		for (int k = 0; k < r->nr_ns; k++) {
			char sz[32];

			human_size(r->ns[k].size, sz, sizeof(sz));
			printf("%*s n%u %s %s, %u-byte blocks%s\n", wn, "", r->ns[k].nsid,
			       r->ns[k].file, sz, r->ns[k].lba_size,
			       r->ns[k].read_only ? ", read-only" : "");
		}
		if (r->tls[0] && strcmp(r->tls, "none") != 0)
			printf("%*s %s%s\n", wn, "", strcmp(r->tls, "requested") ?
			       "encrypted: TLS 1.3, " : "TLS: ", r->tls);
		if (r->alive && strcmp(r->state, "live") && r->last_error[0])
			printf("%*s last error: %s\n", wn, "", r->last_error);
		if (!r->alive)
			printf("%*s (nvmf-fuse pid %d no longer runs: 'nvmfctl disconnect %s' "
			       "removes the record)\n", wn, "", r->pid, r->name);
	}
	tc_records_free(list, n);
	return bad ? NC_EXIT_FAIL : NC_EXIT_OK;
}
