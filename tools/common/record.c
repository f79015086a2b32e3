/*
 * The state record of a connection (see record.h): written by nvmf-fuse,
 * read by nvmfctl (record_read.c). The JSON keys appear in these two files
 * and nowhere else.
 */
#include "record.h"
#include "mount.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>	/* flock(): Linux and the BSDs */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__FreeBSD__)
#include <sys/param.h>
#include <sys/sysctl.h>
#include <sys/proc.h>	/* SZOMB */
#include <sys/user.h>	/* struct kinfo_proc */
#endif

int tc_rundir(char *buf, size_t len, char *err, size_t errlen)
{
	const char *env = getenv("NVMF_RUNTIME_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	/* Absolute only: nvmf-fuse's server runs in "/", and nvmfctl must
	 * find the records from anywhere (the XDG spec ignores a relative
	 * XDG_RUNTIME_DIR; a relative NVMF_RUNTIME_DIR is refused). */
	if (env && *env && env[0] != '/') {
		snprintf(err, errlen, "NVMF_RUNTIME_DIR '%.200s' is not an absolute path", env);
		return -EINVAL;
	}
	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
#if defined(__FreeBSD__)
		n = snprintf(buf, len, "/var/run/nvmf");	/* hier(7); cleared at boot */
#else
		n = snprintf(buf, len, "/run/nvmf");
#endif
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/nvmf", xdg);
	else {
		snprintf(err, errlen, "XDG_RUNTIME_DIR is not set (or not an absolute path): no "
			 "runtime directory for the state records (set it, or NVMF_RUNTIME_DIR)");
		return -ENOENT;
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "runtime directory path is too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

static int mkdir_p(char *path, mode_t mode)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int tc_rundir_make(char *buf, size_t len, char *err, size_t errlen)
{
	int r = tc_rundir(buf, len, err, errlen);

	if (r < 0)
		return r;
	r = mkdir_p(buf, geteuid() == 0 ? 0755 : 0700);
	if (r < 0)
		snprintf(err, errlen, "cannot create runtime directory %s: %s", buf, strerror(-r));
	return r;
}

int tc_record_path(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.json", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- Processes ------------------------------------------------------------------------ */

#if defined(__FreeBSD__)
/* FreeBSD has no procfs by default: the kernel's process table (sysctl
 * kern.proc.pid) gives the name (ki_comm) and the state (ki_stat). */
static bool proc_info(int pid, struct kinfo_proc *kp)
{
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, pid };
	size_t len = sizeof(*kp);

	return sysctl(mib, 4, kp, &len, NULL, 0) == 0 && len == sizeof(*kp);
}

static bool is_zombie(int pid)
{
	struct kinfo_proc kp;

	return proc_info(pid, &kp) && kp.ki_stat == SZOMB;
}

/* The process name of pid ("self" for ours); false if there is none. */
static bool pid_comm(const char *pid, char *comm, size_t len)
{
	struct kinfo_proc kp;

	if (!proc_info(strcmp(pid, "self") ? atoi(pid) : (int)getpid(), &kp))
		return false;
	snprintf(comm, len, "%s", kp.ki_comm);
	return true;
}
#else
/* An exited process nobody reaped yet (no init to reap it, in some
 * containers) still answers kill(pid, 0): procfs tells it is a zombie. */
static bool is_zombie(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the name may hold spaces and parentheses */
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* The process name procfs gives for pid ("self" for ours); false where
 * there is no procfs to ask. */
static bool pid_comm(const char *pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(comm, 1, len - 1, f);
	fclose(f);
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	return true;
}
#endif

static bool pid_exists(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/*
 * pid exists and, where procfs tells the process name, runs program
 * (zombie or not): a pid reused by another program is recognised.
 */
static bool pid_runs(int pid, const char *program)
{
	char id[16], comm[64];

	if (!pid_exists(pid))
		return false;
	snprintf(id, sizeof(id), "%d", pid);
	return !pid_comm(id, comm, sizeof(comm)) || strcmp(comm, program) == 0;
}

bool tc_pid_is_fuse(int pid)
{
	return pid_runs(pid, "nvmf-fuse") && !is_zombie(pid);
}

/* pid of an existing record, 0 if unreadable (or gone). */
static int record_pid(const char *path)
{
	json_object *o = json_object_from_file(path), *p;
	int pid = 0;

	if (o && json_object_object_get_ex(o, "pid", &p))
		pid = json_object_get_int(p);
	if (o)
		json_object_put(o);
	return pid;
}

/*
 * <dir>/.claim.lock, the directory being the record's (path's): held
 * (flock) by whoever removes a stale record, nvmf-fuse taking its name
 * over or nvmfctl disconnect, from the check that the record still names
 * the dead server to the record's removal. The holder removes the file (no
 * lock file is left in the runtime directory); a waiter that then gets the
 * lock of a removed file opens it again. -1 when it cannot be made (the
 * caller goes on unlocked, as before there was a lock); -2 when another
 * holds it past STALE_LOCK_WAIT_S (a holder stopped, ^Z, in its detach):
 * the record is then left alone (-EAGAIN). The
 * wait polls rather than blocks, since nvmf-fuse waits with its stop
 * signals blocked: a blocking flock() would make it unkillable but by
 * SIGKILL.
 */
#define STALE_LOCK_WAIT_S 30

int tc_lock_take(const char *path, int wait_s)
{
	struct timespec start, now;
	struct stat a, b;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600), e;

		if (fd < 0)
			return -errno;
		while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK && errno != EINTR) {
				e = errno;
				close(fd);
				return -e;
			}
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec >= wait_s) {
				close(fd);
				return -ETIMEDOUT;
			}
			nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
		}
		/* The file locked is still the one of that name (a holder
		 * before removed it): the lock holds. */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return fd;
		close(fd);
	}
}

void tc_lock_release(int fd, const char *path)
{
	if (fd < 0)
		return;
	unlink(path);
	flock(fd, LOCK_UN);
	close(fd);
}

/* The stale lock for the record at record_path: tc_lock_take()'s fd, -1
 * when it cannot be made (the caller goes on unlocked), -2 when held
 * past STALE_LOCK_WAIT_S. */
static int stale_lock(const char *record_path, char *lock, size_t len)
{
	const char *slash = strrchr(record_path, '/');
	int fd;

	if (!slash || snprintf(lock, len, "%.*s/.claim.lock", (int)(slash - record_path),
			       record_path) >= (int)len)
		return -1;
	/* Held only around a check and a detach (bounded by its 10 s),
	 * never while a live process is waited for. */
	fd = tc_lock_take(lock, STALE_LOCK_WAIT_S);
	return fd >= 0 ? fd : fd == -ETIMEDOUT ? -2 : -1;
}

/* The default mount point of the record at path, <dir>/<name> for
 * <dir>/<name>.json, is mountpoint: remove it if left behind empty (a
 * crashed server's; fails harmlessly unless empty). Under the lock, before
 * the record goes: while the record is there nobody claims the name, so
 * the directory cannot be a new server's yet. */
static void rmdir_default(const char *path, const char *mountpoint)
{
	size_t n = strlen(path);

	if (n > 5 && !strcmp(path + n - 5, ".json") && strlen(mountpoint) == n - 5 &&
	    !strncmp(path, mountpoint, n - 5))
		rmdir(mountpoint);
}

int tc_record_remove_stale(const struct tc_record *list, int n, const struct tc_record *r,
			   int dead_pid, const struct tc_record **other)
{
	char lock[TC_RECORD_PATH_MAX + 16];
	int fd = stale_lock(r->path, lock, sizeof(lock)), pid, ret;

	*other = NULL;
	/*
	 * Two processes may have seen the same dead pid: the first removes the
	 * record and may claim the name and mount; the second must then touch
	 * neither. So, under the lock, the record must still name the dead
	 * server, which must still not run.
	 */
	if (fd == -2)
		return -EAGAIN;	/* another holds the lock: the record stays */
	pid = record_pid(r->path);
	if (pid != dead_pid || tc_pid_is_fuse(pid)) {
		ret = 1;
	} else {
		ret = tc_record_detach_stale(list, n, r, other);
		if (ret == 0 && !*other)
			rmdir_default(r->path, r->mountpoint);
		if (ret == 0 && unlink(r->path) < 0 && errno != ENOENT)
			ret = -errno;
	}
	tc_lock_release(fd, lock);
	return ret;
}

int tc_record_detach_stale(const struct tc_record *list, int n, const struct tc_record *r,
			   const struct tc_record **other)
{
	const char *mp = r->mountpoint;

	*other = NULL;
	if (!mp[0] || !tc_nvmf_mounted(mp))
		return 0;
	for (int i = 0; i < n; i++)
		if (&list[i] != r && list[i].alive && !strcmp(list[i].mountpoint, mp)) {
			*other = &list[i];
			return 0;
		}
	return tc_nvmf_detach(mp);
}

/* ---- Writing (nvmf-fuse) ------------------------------------------------------------ */

/* The claim written in place: O_EXCL, then the content. */
static int create_claim_direct(const char *path, const char *buf, int n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n) {
		int e = errno ? errno : EIO;

		close(fd);
		unlink(path);
		return -e;
	}
	close(fd);
	return 0;
}

/*
 * Create path exclusively with the claim's content; 0 or -errno. The claim
 * is written to a file of its own first and linked to path whole (link()
 * fails with EEXIST as O_EXCL would): a record is never seen empty or half
 * written, so a competitor can tell a dead claim from one being written
 * without guessing how long a write may take (the 100 ms wait below then
 * only ever meets a crash's leftovers).
 */
static int create_claim(const char *path)
{
	const char *slash = strrchr(path, '/');
	char buf[64], tmp[TC_RECORD_PATH_MAX + 32];
	int fd, n, e = 0;

	if (!slash || snprintf(tmp, sizeof(tmp), "%.*s/.%s.claim.%d", (int)(slash - path), path,
			       slash + 1, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "{ \"pid\": %d, \"state\": \"connecting\" }\n",
		     (int)getpid());
	if (write(fd, buf, (size_t)n) != n)
		e = errno ? errno : EIO;
	close(fd);
	if (e == 0 && link(tmp, path) < 0)
		e = errno;
	unlink(tmp);
	if (e == EPERM || e == EOPNOTSUPP || e == ENOTSUP)
		return create_claim_direct(path, buf, n);	/* no hard links here */
	return -e;
}

/*
 * The record at path (of name in dir) held by dead_pid is stale: detach
 * the mount its dead server left, as nvmfctl disconnect would, before the
 * record goes. A record dropped with its mount still there would leave
 * that mount without a handle (disconnect finds nothing to clean up) and
 * its mount point unusable ("Transport endpoint is not connected") for
 * every later claim of the name. 0 (record removed, or no longer dead_pid's:
 * the caller tries again) or -EBUSY (the mount stays: record kept).
 */
static int take_over_stale(const char *dir, const char *path, int dead_pid)
{
	struct tc_record *list = NULL;
	const struct tc_record *other = NULL;
	int n = tc_records_load(dir, &list), r = 0;
	bool found = false;

	for (int i = 0; i < n && !found; i++) {
		if (strcmp(list[i].path, path))
			continue;
		found = true;
		fflush(NULL);
		/* It also removes the default mount point <dir>/<name> left
		 * behind empty; the new server makes (and removes) its own. */
		r = tc_record_remove_stale(list, n, &list[i], dead_pid, &other);
	}
	if (n > 0)
		tc_records_free(list, n);
	if (!found) {
		/* Not loadable as a record (a claim being written, garbage): the
		 * same check under the lock, with nothing to detach. */
		struct tc_record bare = { .mountpoint = "" };

		snprintf(bare.path, sizeof(bare.path), "%s", path);
		r = tc_record_remove_stale(NULL, 0, &bare, dead_pid, &other);
	}
	return r < 0 ? r : 0;
}

/*
 * A name is taken while its record's nvmf-fuse exists: a server that was
 * killed but not yet reaped (a zombie) still holds it, so its mount point,
 * which may still be mounted, is not handed out again. Readers call such a
 * record stale all the same (tc_pid_is_fuse). A pid reused by another
 * program holds nothing.
 */
int tc_record_claim(const char *dir, const char *name, int *holder)
{
	char path[TC_RECORD_PATH_MAX];
	int r = tc_record_path(dir, name, path, sizeof(path));

	char self[64];

	if (r < 0)
		return r;
	/* Records are claimed by one program (nvmf-fuse): a holder runs it. */
	if (!pid_comm("self", self, sizeof(self)))
		self[0] = '\0';
	*holder = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		int pid;

		r = create_claim(path);
		if (r != -EEXIST)
			return r;
		pid = record_pid(path);
		if (pid == 0) {
			/* Being written right now by its owner, or garbage:
			 * a brand-new record is never empty for long. */
			struct stat st;

			if (stat(path, &st) == 0 && st.st_size > 0) {
				unlink(path);
				continue;
			}
			nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
			pid = record_pid(path);
			if (pid == 0) {
				unlink(path);
				continue;
			}
		}
		*holder = pid;
		if (self[0] ? pid_runs(pid, self) : pid_exists(pid))
			return -EEXIST;
		r = take_over_stale(dir, path, pid);
		if (r < 0)
			return r;
	}
	/* Recreated three times by others meanwhile: *holder is the last. */
	return -EEXIST;
}

/* Target strings: escaped (idempotent, see record.h). */
static json_object *esc_string(const char *s)
{
	char esc[TC_ESC_SIZE(TC_PATH_MAX)];

	return json_object_new_string(tc_escape(esc, sizeof(esc), s));
}

static json_object *ns_array(const struct tc_record *r)
{
	json_object *arr = json_object_new_array();

	for (int i = 0; i < r->nr_ns; i++) {
		const struct tc_record_ns *ns = &r->ns[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "nsid", json_object_new_int64(ns->nsid));
		json_object_object_add(o, "file", json_object_new_string(ns->file));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)ns->size));
		json_object_object_add(o, "lba_size", json_object_new_int64(ns->lba_size));
		json_object_object_add(o, "read_only", json_object_new_boolean(ns->read_only));
		json_object_array_add(arr, o);
	}
	return arr;
}

int tc_record_write(const char *dir, const struct tc_record *r)
{
	char path[TC_RECORD_PATH_MAX], tmp[TC_RECORD_PATH_MAX + 8];
	const char *text;
	json_object *o;
	char *end;
	long port;
	int fd, e = 0;
	size_t len;

	if (tc_record_path(dir, r->name, path, sizeof(path)) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", dir, r->name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "mountpoint", json_object_new_string(r->mountpoint));
	json_object_object_add(o, "transport", json_object_new_string(r->transport));
	json_object_object_add(o, "address", esc_string(r->address));
	/* The port as a number where it is one. */
	port = strtol(r->port[0] ? r->port : "4420", &end, 10);
	json_object_object_add(o, "port", *end ? esc_string(r->port)
					       : json_object_new_int((int)port));
	json_object_object_add(o, "subnqn", esc_string(r->subnqn));
	json_object_object_add(o, "hostnqn", esc_string(r->hostnqn));
	json_object_object_add(o, "cntlid", json_object_new_int(r->cntlid));
	json_object_object_add(o, "state", json_object_new_string(r->state));
	json_object_object_add(o, "uri", esc_string(r->uri));
	json_object_object_add(o, "read_only", json_object_new_boolean(r->read_only));
	json_object_object_add(o, "attempt", json_object_new_int64(r->attempt));
	json_object_object_add(o, "max_attempts", json_object_new_int64(r->max_attempts));
	json_object_object_add(o, "last_error", esc_string(r->last_error));
	json_object_object_add(o, "outages", json_object_new_int64((int64_t)r->outages));
	json_object_object_add(o, "reconnects", json_object_new_int64((int64_t)r->reconnects));
	json_object_object_add(o, "tls", json_object_new_string(r->tls[0] ? r->tls : "none"));
	json_object_object_add(o, "namespaces", ns_array(r));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = -errno;
	} else {
		if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
			e = -EIO;
		if (close(fd) < 0 && !e)
			e = -errno;
		if (!e && rename(tmp, path) < 0)
			e = -errno;
		if (e)
			unlink(tmp);
	}
	json_object_put(o);
	return e;
}

void tc_record_remove(const char *dir, const char *name)
{
	char path[TC_RECORD_PATH_MAX];

	if (tc_record_path(dir, name, path, sizeof(path)) == 0)
		unlink(path);
}
