/*
 * Reading the state records of connections (see record.h): nvmfctl's side.
 * A record is nvmf-fuse's JSON (written in record.c, whose keys these are);
 * one that cannot be read or parsed is reported with the reason, never
 * taken for a connection.
 */
#include "record.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void get_str(json_object *o, const char *key, char *out, size_t len)
{
	json_object *v;

	out[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && v)
		snprintf(out, len, "%s", json_object_get_string(v));
}

/* The same, escaped (see record.h). */
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

static void load_ns(json_object *o, struct tc_record *r)
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
		struct tc_record_ns *ns = &r->ns[r->nr_ns];

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

/* A record's JSON object into r (memset first); -1 when it is not an object. */
static int from_json(json_object *o, const char *path, struct tc_record *r)
{
	const char *base;
	size_t blen;

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", path);
	if (!o || !json_object_is_type(o, json_type_object))
		return -1;
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
	r->attempt = (unsigned)get_int(o, "attempt", 0);
	r->max_attempts = (unsigned)get_int(o, "max_attempts", 0);
	get_str_esc(o, "last_error", r->last_error, sizeof(r->last_error));
	r->outages = (uint64_t)get_int(o, "outages", 0);
	r->reconnects = (uint64_t)get_int(o, "reconnects", 0);
	r->can_reconnect = json_object_object_get_ex(o, "reconnects", NULL);
	get_str_esc(o, "tls", r->tls, sizeof(r->tls));
	load_ns(o, r);
	return 0;
}

/* tc_record_parse() saying what is wrong (why, when whylen > 0): 0 or
 * -EINVAL. The first JSON value, as json_object_from_file() reads a file. */
static int parse_why(const char *text, size_t len, const char *path, struct tc_record *r,
		     char *why, size_t whylen)
{
	enum json_tokener_error jerr = json_tokener_success;
	json_tokener *tok = len <= INT_MAX ? json_tokener_new() : NULL;
	json_object *o = NULL;
	int rc;

	if (tok) {
		o = json_tokener_parse_ex(tok, text, (int)len);
		jerr = json_tokener_get_error(tok);
		json_tokener_free(tok);
	}
	rc = from_json(o, path, r);
	if (o)
		json_object_put(o);
	if (rc < 0 && whylen) {
		if (o)
			snprintf(why, whylen, "a JSON value that is not an object");
		else
			snprintf(why, whylen, "not JSON (%s)", !tok ? "cannot parse it" :
				 jerr == json_tokener_continue ? "cut short" :
				 json_tokener_error_desc(jerr));
	}
	/* No tokener: out of memory, which says nothing of the file. */
	if (rc < 0 && !tok && len <= INT_MAX) {
		if (whylen)
			snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	return rc < 0 ? -EINVAL : 0;
}

int tc_record_parse(const char *text, size_t len, const char *path, struct tc_record *r)
{
	return parse_why(text, len, path, r, NULL, 0) < 0 ? -1 : 0;
}

/* Records are a few KiB (a namespace is a line); past this a file is
 * not one. */
#define RECORD_FILE_MAX (64u << 20)

/* The whole of path into *text (malloc()ed, NUL-terminated), *len bytes:
 * 0 or -errno (-EFBIG past RECORD_FILE_MAX). */
static int read_file(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;
	size_t cap = 4096, n = 0;
	char *buf = NULL;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k;

		if (!buf || n + 1 >= cap) {
			char *nb;

			if (buf)
				cap *= 2;
			nb = cap > RECORD_FILE_MAX ? NULL : realloc(buf, cap);
			if (!nb) {
				e = cap > RECORD_FILE_MAX ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nb;
		}
		k = read(fd, buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			e = -errno;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (e < 0) {
		free(buf);
		return e;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* An empty file is a claim being written, or left so. */
int tc_record_load_why(const char *path, struct tc_record *r, char *why, size_t whylen)
{
	size_t len = 0;
	char *text = NULL;
	int rc = read_file(path, &text, &len);

	memset(r, 0, sizeof(*r));
	if (rc < 0) {
		snprintf(why, whylen, "%s", rc == -EFBIG ? "larger than 64 MiB" : strerror(-rc));
		return rc;
	}
	if (len == 0) {
		free(text);
		snprintf(why, whylen, "empty file");
		return -EAGAIN;
	}
	rc = parse_why(text, len, path, r, why, whylen);
	free(text);
	if (rc < 0)
		return rc;
	r->alive = tc_pid_is_fuse(r->pid);
	if (!r->alive)
		snprintf(r->state, sizeof(r->state), "stale");
	else if (!r->state[0])
		snprintf(r->state, sizeof(r->state), "unknown");
	return 0;
}

int tc_record_load(const char *path, struct tc_record *r)
{
	char why[160];

	return tc_record_load_why(path, r, why, sizeof(why)) < 0 ? -1 : 0;
}

void tc_record_release(struct tc_record *r)
{
	free(r->ns);
	r->ns = NULL;
	r->nr_ns = 0;
}

void tc_records_free(struct tc_record *list, int n)
{
	for (int i = 0; i < n; i++)
		tc_record_release(&list[i]);
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
	const struct tc_record *a = x, *b = y;

	return natcmp(a->name, b->name);
}

int tc_records_load(const char *dir, struct tc_record **out)
{
	return tc_records_load_ex(dir, out, NULL, NULL);
}

int tc_records_load_ex(const char *dir, struct tc_record **out, tc_record_bad_fn bad,
		       void *arg)
{
	char path[TC_RECORD_PATH_MAX];
	struct tc_record *list = NULL;
	char why[160];
	struct dirent *d;
	DIR *dp;
	int n = 0, cap = 0, rc;

	*out = NULL;
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dp)) != NULL) {
		size_t len = strlen(d->d_name);

		/* "<name>.json"; ".<name>.json.tmp" files are being written. */
		if (d->d_name[0] == '.' || len <= 5 || strcmp(d->d_name + len - 5, ".json"))
			continue;
		if (n == cap) {
			struct tc_record *nl;

			cap = cap ? cap * 2 : 8;
			nl = realloc(list, (size_t)cap * sizeof(*list));
			if (!nl) {
				closedir(dp);
				tc_records_free(list, n);
				return -ENOMEM;
			}
			list = nl;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		rc = tc_record_load_why(path, &list[n], why, sizeof(why));
		if (rc == -EAGAIN && bad) {
			/* A claim is written right after it is created
			 * (tc_record_claim()): give it that moment before
			 * calling it bad (only then: an empty file left by a
			 * crash must not slow every command down). */
			nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
			rc = tc_record_load_why(path, &list[n], why, sizeof(why));
		}
		if (rc == 0)
			n++;
		else if (rc != -ENOENT && bad)	/* gone: its server just exited */
			bad(arg, path, why, rc);
	}
	closedir(dp);
	if (n > 1)
		qsort(list, (size_t)n, sizeof(*list), rec_cmp);
	*out = list;
	return n;
}
