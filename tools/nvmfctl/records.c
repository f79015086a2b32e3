/*
 * nvmfctl: nvmf-fuse's state records, read with tools/common/record.c (the
 * one definition of the record, its place and its keys), and their JSON
 * form in nvmfctl's output (connect, list).
 */
#include "nvmfctl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

int nc_rundir(char *buf, size_t len)
{
	char err[256];

	if (tc_rundir(buf, len, err, sizeof(err)) < 0) {
		nc_err("%s", err);
		return -1;
	}
	return 0;
}

/* tc_records_load_ex()'s bad: one warning per file, counted. */
static void bad_record(void *arg, const char *path, const char *why)
{
	int *bad = arg;

	nc_err("warning: %s: not a state record: %s; skipped", path, why);
	(*bad)++;
}

int nc_records_load(struct tc_record **out, int *bad)
{
	char dir[TC_PATH_MAX];
	int n;

	*out = NULL;
	if (nc_rundir(dir, sizeof(dir)) < 0)
		return -1;
	if (bad)
		*bad = 0;
	n = tc_records_load_ex(dir, out, bad ? bad_record : NULL, bad);
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
