/*
 * nvmfctl: nvmf-fuse's state records.
 *
 * While it serves, nvmf-fuse keeps <runtime dir>/<name>.json (written to a
 * temporary file and renamed, so a reader never sees half a record; just
 * claimed, it holds only pid and state "connecting"). The runtime
 * directory is $NVMF_RUNTIME_DIR, else /run/nvmf for root, else
 * $XDG_RUNTIME_DIR/nvmf: computed here exactly as nvmf-fuse does. A record
 * whose process is gone (or is no longer nvmf-fuse: pids are reused) is
 * stale and never reported as live.
 */
#include "nvmfctl.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ctl_rundir(char *buf, size_t len)
{
	const char *env = getenv("NVMF_RUNTIME_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/run/nvmf");
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/nvmf", xdg);
	else {
		ctl_err("XDG_RUNTIME_DIR is not set: cannot find nvmf-fuse's state records "
			"(set it, or NVMF_RUNTIME_DIR)");
		return -1;
	}
	if (n < 0 || (size_t)n >= len) {
		ctl_err("runtime directory path is too long");
		return -1;
	}
	return 0;
}

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

bool ctl_pid_is_fuse(int pid)
{
	char path[64], comm[64];
	FILE *f;
	size_t n;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	/* Where procfs tells the process name, a reused pid is recognised. */
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	n = fread(comm, 1, sizeof(comm) - 1, f);
	fclose(f);
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	if (strncmp(comm, "nvmf-fuse", 9) != 0)
		return false;
	return !is_zombie(pid);
}

static void get_str(json_object *o, const char *key, char *out, size_t len)
{
	json_object *v;

	out[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && v)
		snprintf(out, len, "%s", json_object_get_string(v));
}

/* The same, escaped (see struct ctl_record). */
static void get_str_esc(json_object *o, const char *key, char *out, size_t len)
{
	json_object *v;

	out[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && v)
		tc_escape(out, len, json_object_get_string(v));
}

static int64_t get_int(json_object *o, const char *key, int64_t def)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return def;
	return json_object_get_int64(v);
}

static bool get_bool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v && json_object_get_boolean(v);
}

static void load_ns(json_object *o, struct ctl_record *r)
{
	json_object *arr;
	size_t n;

	if (!json_object_object_get_ex(o, "namespaces", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	n = json_object_array_length(arr);
	if (n == 0 || n > 65536)
		return;
	r->ns = calloc(n, sizeof(*r->ns));
	if (!r->ns)
		return;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct ctl_ns_rec *ns = &r->ns[r->nr_ns];

		if (!e || !json_object_is_type(e, json_type_object))
			continue;
		ns->nsid = (uint32_t)get_int(e, "nsid", 0);
		get_str(e, "file", ns->file, sizeof(ns->file));
		ns->size = (uint64_t)get_int(e, "size", 0);
		ns->lba_size = (uint32_t)get_int(e, "lba_size", 0);
		ns->read_only = get_bool(e, "read_only");
		r->nr_ns++;
	}
}

int ctl_record_load(const char *path, struct ctl_record *r)
{
	json_object *o;
	const char *base;
	size_t blen;

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", path);
	o = json_object_from_file(path);
	if (!o || !json_object_is_type(o, json_type_object)) {
		if (o)
			json_object_put(o);
		return -1;
	}
	r->pid = (int)get_int(o, "pid", 0);
	get_str(o, "name", r->name, sizeof(r->name));
	if (!r->name[0]) {
		/* A record just claimed has no name yet: the file name is it. */
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		blen = strlen(base);
		if (blen > 5 && !strcmp(base + blen - 5, ".json"))
			blen -= 5;
		snprintf(r->name, sizeof(r->name), "%.*s", (int)blen, base);
	}
	get_str_esc(o, "state", r->state, sizeof(r->state));
	get_str(o, "mountpoint", r->mountpoint, sizeof(r->mountpoint));
	get_str_esc(o, "transport", r->transport, sizeof(r->transport));
	get_str_esc(o, "address", r->address, sizeof(r->address));
	get_str_esc(o, "port", r->port, sizeof(r->port));
	get_str_esc(o, "subnqn", r->subnqn, sizeof(r->subnqn));
	get_str_esc(o, "hostnqn", r->hostnqn, sizeof(r->hostnqn));
	get_str_esc(o, "uri", r->uri, sizeof(r->uri));
	r->cntlid = (int)get_int(o, "cntlid", -1);
	r->read_only = get_bool(o, "read_only");
	load_ns(o, r);
	json_object_put(o);
	r->alive = ctl_pid_is_fuse(r->pid);
	if (!r->alive)
		snprintf(r->state, sizeof(r->state), "stale");
	else if (!r->state[0])
		snprintf(r->state, sizeof(r->state), "unknown");
	return 0;
}

void ctl_record_release(struct ctl_record *r)
{
	free(r->ns);
	r->ns = NULL;
	r->nr_ns = 0;
}

void ctl_records_free(struct ctl_record *list, int n)
{
	for (int i = 0; i < n; i++)
		ctl_record_release(&list[i]);
	free(list);
}

/* nvmf2 before nvmf10. */
static int natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long va = strtoul(a, &ea, 10), vb = strtoul(b, &eb, 10);

			if (va != vb)
				return va < vb ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int rec_cmp(const void *x, const void *y)
{
	const struct ctl_record *a = x, *b = y;

	return natcmp(a->name, b->name);
}

int ctl_records_load(struct ctl_record **out)
{
	char dir[4096], path[4400];
	struct ctl_record *list = NULL;
	struct dirent *d;
	DIR *dp;
	int n = 0, cap = 0;

	*out = NULL;
	if (ctl_rundir(dir, sizeof(dir)) < 0)
		return -1;
	dp = opendir(dir);
	if (!dp) {
		if (errno == ENOENT)
			return 0;
		ctl_err("cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		size_t len = strlen(d->d_name);

		/* "<name>.json"; ".<name>.json.tmp" files are being written. */
		if (d->d_name[0] == '.' || len <= 5 || strcmp(d->d_name + len - 5, ".json"))
			continue;
		if (n == cap) {
			struct ctl_record *nl;

			cap = cap ? cap * 2 : 8;
			nl = realloc(list, (size_t)cap * sizeof(*list));
			if (!nl) {
				closedir(dp);
				ctl_records_free(list, n);
				ctl_err("out of memory");
				return -1;
			}
			list = nl;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (ctl_record_load(path, &list[n]) == 0)
			n++;
	}
	closedir(dp);
	if (n > 1)
		qsort(list, (size_t)n, sizeof(*list), rec_cmp);
	*out = list;
	return n;
}

json_object *ctl_record_json(const struct ctl_record *r)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "state", json_object_new_string(r->state));
	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "transport", json_object_new_string(r->transport[0] ?
								       r->transport : "tcp"));
	json_object_object_add(o, "traddr", json_object_new_string(r->address));
	json_object_object_add(o, "trsvcid", json_object_new_string(r->port));
	json_object_object_add(o, "subnqn", json_object_new_string(r->subnqn));
	json_object_object_add(o, "hostnqn", json_object_new_string(r->hostnqn));
	json_object_object_add(o, "cntlid", json_object_new_int(r->cntlid));
	json_object_object_add(o, "mountpoint", json_object_new_string(r->mountpoint));
	json_object_object_add(o, "uri", json_object_new_string(r->uri));
	json_object_object_add(o, "read_only", json_object_new_boolean(r->read_only));
	for (int i = 0; i < r->nr_ns; i++) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "nsid", json_object_new_int64(r->ns[i].nsid));
		json_object_object_add(n, "file", json_object_new_string(r->ns[i].file));
		json_object_object_add(n, "size", ctl_json_u64(r->ns[i].size));
		json_object_object_add(n, "lba_size", json_object_new_int64(r->ns[i].lba_size));
		json_object_object_add(n, "read_only",
				       json_object_new_boolean(r->ns[i].read_only));
		json_object_array_add(arr, n);
	}
	json_object_object_add(o, "namespaces", arr);
	json_object_object_add(o, "record", json_object_new_string(r->path));
	return o;
}
