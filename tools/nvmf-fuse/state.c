/*
 * nvmf-fuse: the state record nvmfctl reads, and the pidfile.
 *
 * While it serves, nvmf-fuse keeps <runtime dir>/<name>.json describing its
 * connection: /run/nvmf/ for root, $XDG_RUNTIME_DIR/nvmf/ for others
 * ($NVMF_RUNTIME_DIR overrides both, for tests). The name is --name or the
 * smallest free "nvmfN"; a name is free when no record holds it or the
 * record's pid is gone (a crashed server's leftover). The record is
 * rewritten (write to a temporary file, rename) on every change, so a
 * reader never sees half of one, and removed on exit.
 */
#include "nvmf_fuse.h"

#include "escape.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER;

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

int nf_state_rundir(char *buf, size_t len, char *err, size_t errlen)
{
	const char *env = getenv("NVMF_RUNTIME_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n, r;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/run/nvmf");
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/nvmf", xdg);
	else {
		snprintf(err, errlen, "XDG_RUNTIME_DIR is not set: no place for the state record "
			 "(set it, or NVMF_RUNTIME_DIR)");
		return -ENOENT;
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "runtime directory path is too long");
		return -ENAMETOOLONG;
	}
	r = mkdir_p(buf, geteuid() == 0 ? 0755 : 0700);
	if (r < 0)
		snprintf(err, errlen, "cannot create runtime directory %s: %s", buf, strerror(-r));
	return r;
}

/* pid of an existing record, 0 if unreadable. */
static pid_t record_pid(const char *path)
{
	json_object *o = json_object_from_file(path), *p;
	pid_t pid = 0;

	if (o && json_object_object_get_ex(o, "pid", &p))
		pid = (pid_t)json_object_get_int(p);
	if (o)
		json_object_put(o);
	return pid;
}

static bool pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Create path exclusively; a stale record (dead pid) is replaced.
 * 0, -EEXIST (held by a live server: *holder says who) or -errno. */
static int claim_path(const char *path, pid_t *holder)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		char buf[64];
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		pid_t pid;

		if (fd >= 0) {
			int n = snprintf(buf, sizeof(buf), "{ \"pid\": %d, \"state\": \"connecting\" }\n",
					 (int)getpid());

			if (write(fd, buf, (size_t)n) != n) {
				int e = errno;

				close(fd);
				unlink(path);
				return -e;
			}
			close(fd);
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
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
		if (pid_alive(pid)) {
			*holder = pid;
			return -EEXIST;
		}
		unlink(path);
	}
	return -EEXIST;
}

int nf_state_claim(struct nf_ctx *x, char *err, size_t errlen)
{
	pid_t holder = 0;
	int r;

	if (x->cfg->name[0]) {
		snprintf(x->name, sizeof(x->name), "%s", x->cfg->name);
		snprintf(x->record, sizeof(x->record), "%s/%s.json", x->rundir, x->name);
		r = claim_path(x->record, &holder);
		if (r == -EEXIST)
			snprintf(err, errlen, "connection name '%s' is in use (nvmf-fuse pid %d)",
				 x->name, (int)holder);
		else if (r < 0)
			snprintf(err, errlen, "cannot create %s: %s", x->record, strerror(-r));
		if (r < 0)
			x->record[0] = '\0';
		return r;
	}
	for (int i = 0; i < 100000; i++) {
		snprintf(x->name, sizeof(x->name), "nvmf%d", i);
		snprintf(x->record, sizeof(x->record), "%s/%s.json", x->rundir, x->name);
		r = claim_path(x->record, &holder);
		if (r == 0)
			return 0;
		if (r != -EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", x->record, strerror(-r));
			x->record[0] = '\0';
			return r;
		}
	}
	snprintf(err, errlen, "no free connection name nvmfN in %s", x->rundir);
	x->record[0] = '\0';
	return -EEXIST;
}

/*
 * The connection's address, port, NQN and URI may be a target's bytes
 * (nvmfctl connect-all copies them from discovery records): written
 * escaped, so the record stays valid JSON (UTF-8) and nvmfctl list prints
 * nothing raw. Escaping is idempotent, nvmfctl compares escaped values.
 */
static json_object *esc_string(const char *s)
{
	char esc[TC_ESC_SIZE(4096)];

	return json_object_new_string(tc_escape(esc, sizeof(esc), s));
}

static json_object *ns_array(struct nf_ctx *x)
{
	json_object *arr = json_object_new_array();
	struct nf_ns *list = NULL;
	int n = nf_ns_list(x, &list);

	for (int i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		char file[4200];

		snprintf(file, sizeof(file), "%s/n%u", x->mountpoint, list[i].nsid);
		json_object_object_add(o, "nsid", json_object_new_int64(list[i].nsid));
		json_object_object_add(o, "file", json_object_new_string(file));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)list[i].size));
		json_object_object_add(o, "lba_size", json_object_new_int64(list[i].lba_size));
		json_object_object_add(o, "read_only", json_object_new_boolean(list[i].read_only));
		json_object_array_add(arr, o);
	}
	free(list);
	return arr;
}

int nf_state_write(struct nf_ctx *x)
{
	const struct nvmf_opts *nv = &x->cfg->nv;
	json_object *o;
	char tmp[4300];
	const char *text;
	char *end;
	long port;
	int fd, r = 0;
	size_t len;

	if (!x->record[0])
		return 0;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(x->name));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "mountpoint", json_object_new_string(x->mountpoint));
	json_object_object_add(o, "transport", json_object_new_string("tcp"));
	json_object_object_add(o, "address", esc_string(nv->traddr));
	port = strtol(nv->trsvcid[0] ? nv->trsvcid : "4420", &end, 10);
	json_object_object_add(o, "port", *end ? esc_string(nv->trsvcid)
					       : json_object_new_int((int)port));
	json_object_object_add(o, "subnqn", esc_string(nv->subnqn));
	json_object_object_add(o, "hostnqn", esc_string(nv->hostnqn));
	json_object_object_add(o, "cntlid", json_object_new_int(x->info.cntlid));
	json_object_object_add(o, "state",
			       json_object_new_string(atomic_load(&x->failed) ? "failed" : "live"));
	json_object_object_add(o, "uri", esc_string(x->cfg->uri));
	json_object_object_add(o, "read_only", json_object_new_boolean(x->cfg->read_only));
	json_object_object_add(o, "namespaces", ns_array(x));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);

	pthread_mutex_lock(&state_mu);
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", x->rundir, x->name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
	} else {
		if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
			r = -EIO;
		if (close(fd) < 0 && !r)
			r = -errno;
		if (!r && rename(tmp, x->record) < 0)
			r = -errno;
		if (r)
			unlink(tmp);
	}
	pthread_mutex_unlock(&state_mu);
	json_object_put(o);
	if (r)
		fprintf(stderr, "nvmf-fuse: cannot write state record %s: %s\n", x->record,
			strerror(-r));
	return r;
}

void nf_state_remove(struct nf_ctx *x)
{
	pthread_mutex_lock(&state_mu);
	if (x->record[0])
		unlink(x->record);
	x->record[0] = '\0';
	pthread_mutex_unlock(&state_mu);
}

int nf_pidfile_write(const char *path, char *err, size_t errlen)
{
	char tmp[4200], buf[32];
	int fd, n, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(-r));
		return r;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(-r));
	}
	return r;
}
