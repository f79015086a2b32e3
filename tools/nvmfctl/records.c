/*
 * nvmfctl: nvmf-fuse's state records, read with tools/common/record_read.c
 * (record.c writes them: the one definition of the record), and their JSON
 * form in nvmfctl's output (connect, list).
 */
#include "nvmfctl.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __FreeBSD__
#include <sys/types.h>
#include <sys/sysctl.h>
#endif

int nc_rundir(char *buf, size_t len)
{
	char err[256];

	if (tc_rundir(buf, len, err, sizeof(err)) < 0) {
		nc_err("%s", err);
		return -1;
	}
	return 0;
}

/* tc_records_load_ex()'s bad: one warning per file, counted, with how to
 * remove it (corrupt.c). */
static void bad_record(void *arg, const char *path, const char *why, int err)
{
	const char *base = strrchr(path, '/');
	int *bad = arg;

	base = base ? base + 1 : path;
	if (tc_record_err_corrupt(err))
		nc_err("warning: %s: not a state record: %s; skipped ('nvmfctl disconnect "
		       "%.*s' removes it)", path, why, (int)strlen(base) - 5, base);
	else
		nc_err("warning: %s: cannot be read: %s; skipped", path, why);
	(*bad)++;
}

int nc_records_load(struct tc_record **out, int *bad)
{
	if (bad)
		*bad = 0;
	return nc_records_load_ex(out, bad ? bad_record : NULL, bad);
}

int nc_records_load_ex(struct tc_record **out, tc_record_bad_fn bad, void *arg)
{
	char dir[TC_PATH_MAX];
	int n;

	*out = NULL;
	if (nc_rundir(dir, sizeof(dir)) < 0)
		return -1;
	n = tc_records_load_ex(dir, out, bad, arg);
	if (n < 0) {
		nc_err("cannot read %s: %s", dir, strerror(-n));
		return -1;
	}
	return n;
}

bool nc_record_matches(const struct tc_record *r, const char *arg)
{
	char real[PATH_MAX];

	if (!strcmp(r->name, arg) || !strcmp(r->path, arg))
		return true;
	if (r->mountpoint[0] && !strcmp(r->mountpoint, arg))
		return true;
	/* A mount point given another way (relative, trailing slash). */
	return r->mountpoint[0] && realpath(arg, real) && !strcmp(real, r->mountpoint);
}

const char *nc_record_state(const struct tc_record *r, char *buf, size_t len)
{
	bool trying = !strcmp(r->state, "connecting") || !strcmp(r->state, "resetting");

	if (r->alive && trying && r->attempt && r->max_attempts)
		snprintf(buf, len, "%s (attempt %u of %u)", r->state, r->attempt, r->max_attempts);
	else if (r->alive && trying && r->attempt)
		snprintf(buf, len, "%s (attempt %u)", r->state, r->attempt);
	else if (r->alive && !strcmp(r->state, "dead") && r->attempt)
		snprintf(buf, len, "dead (gave up after %u attempt%s)", r->attempt,
			 r->attempt == 1 ? "" : "s");
	else
		snprintf(buf, len, "%s", r->state);
	return buf;
}

/* ---- A record only claimed ---------------------------------------------------- */

#define ARGS_MAX 8192
#define ARGV_MAX 128

/* The server's argument strings, NUL-separated, into buf: their length, or
 * 0 if unreadable (another user's process, no procfs). */
static size_t proc_args(int pid, char *buf, size_t len)
{
#ifdef __FreeBSD__
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_ARGS, pid };
	size_t n = len - 1;

	if (sysctl(mib, 4, buf, &n, NULL, 0) < 0)
		return 0;
	buf[n] = '\0';
	return n;
#else
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
#endif
}

/* Whether nvmf-fuse's option opt ("--name", "-P") is followed by its value
 * as the next argument: its own options, and the connection options. */
static bool takes_value(const char *opt)
{
	static const char *const own[] = { "-o", "-P", "--pidfile", "--name" };
	struct option lo[TC_CO_COUNT + 1];
	size_t n;

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(opt, own[i]))
			return true;
	if (strncmp(opt, "--", 2) || strchr(opt, '='))
		return false;
	n = tc_conn_longopts(lo, ~0u, false);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(opt + 2, lo[i].name))
			return lo[i].has_arg == required_argument;
	return false;
}

/*
 * nvmf-fuse writes its record's address, NQN and mount point once
 * connected: during the first connection (which may last many connect
 * timeouts) the record holds only its pid and "connecting", and list showed
 * an empty address. The server's command line has what it was given
 * ([OPTIONS] [MOUNTPOINT] URI): fill the empty fields from it. The default
 * mount point is <rundir>/<name>, as nvmf-fuse makes it.
 */
static void fill_claimed(struct tc_record *r)
{
	char args[ARGS_MAX], dir[TC_PATH_MAX], mp[TC_PATH_MAX];
	const char *argv[ARGV_MAX], *pos[2] = { NULL, NULL }, *hostnqn = NULL;
	size_t len;
	int argc = 0, npos = 0;
	struct nvmf_uri u;

	if (!r->alive || strcmp(r->state, "connecting") || r->address[0] || r->mountpoint[0])
		return;
	len = proc_args(r->pid, args, sizeof(args));
	for (size_t i = 0; i < len && argc < ARGV_MAX; i += strlen(args + i) + 1)
		argv[argc++] = args + i;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			if (!strcmp(argv[i], "--"))
				continue;
			if (!strncmp(argv[i], "--hostnqn=", 10))
				hostnqn = argv[i] + 10;
			else if (!strcmp(argv[i], "--hostnqn") && i + 1 < argc)
				hostnqn = argv[i + 1];
			if (takes_value(argv[i]))
				i++;
			continue;
		}
		if (npos == 2)
			pos[0] = pos[1], npos = 1;
		pos[npos++] = argv[i];
	}
	/* The URI is the last positional argument, a mount point before it. */
	if (npos == 0 || nvmf_uri_parse(pos[npos - 1], &u) < 0)
		return;
	tc_escape(r->address, sizeof(r->address), u.host);
	tc_escape(r->port, sizeof(r->port), u.port);
	tc_escape(r->subnqn, sizeof(r->subnqn), u.subnqn);
	tc_escape(r->uri, sizeof(r->uri), pos[npos - 1]);
	if (!r->transport[0])
		snprintf(r->transport, sizeof(r->transport), "tcp");
	/* Without --hostnqn, nvmf-fuse uses the default one, as list's caller would. */
	if (hostnqn)
		tc_escape(r->hostnqn, sizeof(r->hostnqn), hostnqn);
	else if (nvmf_default_hostnqn(mp, sizeof(mp)) == 0)
		tc_escape(r->hostnqn, sizeof(r->hostnqn), mp);
	if (npos == 2) {
		tc_escape(r->mountpoint, sizeof(r->mountpoint), pos[0]);
	} else if (tc_rundir(dir, sizeof(dir), mp, sizeof(mp)) == 0) {
		snprintf(mp, sizeof(mp), "%.3900s/%s", dir, r->name);
		tc_escape(r->mountpoint, sizeof(r->mountpoint), mp);
	}
}

void nc_records_fill_claimed(struct tc_record *list, int n)
{
	for (int i = 0; i < n; i++)
		fill_claimed(&list[i]);
}

json_object *nc_record_json(const struct tc_record *r)
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
	/* Outages: the current or last one's attempts, and counts since start. */
	json_object_object_add(o, "attempt", json_object_new_int64(r->attempt));
	json_object_object_add(o, "max_attempts", json_object_new_int64(r->max_attempts));
	json_object_object_add(o, "last_error", json_object_new_string(r->last_error));
	json_object_object_add(o, "outages", nc_json_u64(r->outages));
	json_object_object_add(o, "reconnects", nc_json_u64(r->reconnects));
	json_object_object_add(o, "tls", json_object_new_string(r->tls[0] ? r->tls : "none"));
	for (int i = 0; i < r->nr_ns; i++) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "nsid", json_object_new_int64(r->ns[i].nsid));
		json_object_object_add(n, "file", json_object_new_string(r->ns[i].file));
		json_object_object_add(n, "size", nc_json_u64(r->ns[i].size));
		json_object_object_add(n, "lba_size", json_object_new_int64(r->ns[i].lba_size));
		json_object_object_add(n, "read_only",
				       json_object_new_boolean(r->ns[i].read_only));
		json_object_array_add(arr, n);
	}
	json_object_object_add(o, "namespaces", arr);
	json_object_object_add(o, "record", json_object_new_string(r->path));
	return o;
}
