/*
 * The fio engine's connections: its options into struct nvmf_opts, and the
 * registry of connected controllers (nvmf_fio.h).
 *
 * The options go through tools/common's tc_conn_set_value(), so their
 * ranges and checks are those of nvmfctl and nvmf-fuse (nvme-cli's); only
 * the label in a message changes to the fio option's name.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connopts.h"
#include "nvmf_fio.h"

static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -e;
}

/* fio option name -> the tools' connection option. */
struct nf_map {
	const char *name;
	int id;
	size_t off;	/* of the char * in struct nf_options */
};

#define NF_STR(n, id) { #n, id, offsetof(struct nf_options, n) }
static const struct nf_map str_opts[] = {
	NF_STR(nr_io_queues, TC_CO_NR_IO_QUEUES),
	NF_STR(queue_size, TC_CO_QUEUE_SIZE),
	NF_STR(keep_alive_tmo, TC_CO_KATO),
	NF_STR(connect_timeout, TC_CO_CONNECT_TIMEOUT),
	NF_STR(io_timeout, TC_CO_IO_TIMEOUT),
	NF_STR(reconnect_delay, TC_CO_RECONNECT_DELAY),
	NF_STR(ctrl_loss_tmo, TC_CO_CTRL_LOSS_TMO),
	NF_STR(fast_io_fail_tmo, TC_CO_FAST_IO_FAIL_TMO),
	NF_STR(hostnqn, TC_CO_HOSTNQN),
	NF_STR(hostid, TC_CO_HOSTID),
	NF_STR(tls_key, TC_CO_TLS_KEY),
	NF_STR(tls_key_file, TC_CO_TLS_KEY_FILE),
	NF_STR(tls_identity, TC_CO_TLS_IDENTITY),
	NF_STR(dhchap_secret, TC_CO_DHCHAP_SECRET),
	NF_STR(dhchap_ctrl_secret, TC_CO_DHCHAP_CTRL_SECRET),
	NF_STR(dhchap_secret_file, TC_CO_DHCHAP_SECRET_FILE),
	NF_STR(dhchap_ctrl_secret_file, TC_CO_DHCHAP_CTRL_SECRET_FILE),
};

/* The boolean options, which the tools' messages name too (relabel()). */
static const struct nf_map bool_opts[] = {
	{ "hdr_digest", TC_CO_HDR_DIGEST, 0 },
	{ "data_digest", TC_CO_DATA_DIGEST, 0 },
	{ "tls", TC_CO_TLS, 0 },
	{ "tls_compat", TC_CO_TLS_COMPAT, 0 },
};

static const unsigned all_opts = TC_CO_TARGET | TC_CO_HOST | TC_CO_QUEUES | TC_CO_RECONNECT |
				 TC_CO_SECURITY | TC_CO_AUTH;

/* The tools' "--ctrl-loss-tmo" in a message of tools/common becomes the
 * fio option's "option ctrl_loss_tmo", in place. */
static void relabel(char *msg, size_t len)
{
	const size_t ns = sizeof(str_opts) / sizeof(str_opts[0]);
	const size_t nb = sizeof(bool_opts) / sizeof(bool_opts[0]);

	for (size_t i = 0; i < ns + nb; i++) {
		const struct nf_map *m = i < ns ? &str_opts[i] : &bool_opts[i - ns];
		const struct tc_conn_opt *opt = tc_conn_find(m->id, all_opts, false);
		char from[48], to[48], *p;
		size_t fl, tl, ml;

		if (!opt)
			continue;
		snprintf(from, sizeof(from), "--%s", opt->name);
		snprintf(to, sizeof(to), "option %s", m->name);
		fl = strlen(from);
		tl = strlen(to);
		for (p = strstr(msg, from); p; p = strstr(p + tl, from)) {
			/* Whole names only: --tls-key is not the start of --tls-key-file. */
			if (p[fl] == '-' || (p[fl] >= 'a' && p[fl] <= 'z')) {
				p += fl - tl;
				continue;
			}
			ml = strlen(msg);
			if (ml - fl + tl >= len)
				break;
			memmove(p + tl, p + fl, ml - (size_t)(p - msg) - fl + 1);
			memcpy(p, to, tl);
		}
	}
}

/* One option: tc_conn_set_value() with its message relabelled "option NAME: ...". */
static int set_one(const char *name, int id, const char *arg, struct nvmf_opts *o, char *err,
		   size_t errlen)
{
	const struct tc_conn_opt *opt = tc_conn_find(id, all_opts, false);
	char msg[512];
	const char *rest;
	int r;

	if (!opt)
		return fail(err, errlen, EINVAL, "option %s: this libnvmf has no such option",
			    name);
	/* fio's job option, not argv: read again for the job's next file
	 * (and the size probe before the open), so a key is not overwritten. */
	r = tc_conn_set_value(opt, arg, o, msg, sizeof(msg));
	if (r == 0)
		return 0;
	/* "--queue-size: 'x' is not..." -> "option queue_size: 'x' is not..." */
	rest = strncmp(msg, "--", 2) == 0 ? strchr(msg, ':') : NULL;
	if (!rest)
		relabel(msg, sizeof(msg));
	return fail(err, errlen, -r, "option %s%s%s", name, rest ? "" : ": ", rest ? rest : msg);
}

int nf_opts_build(const char *uri, const struct nf_options *eo, struct uv_loop_s *loop,
		  struct nvmf_opts *o, uint32_t *nsid, char *err, size_t errlen)
{
	struct nvmf_opts t;
	unsigned given = 0;
	char msg[512];
	int r;

	/* Zeroed first: the registry compares whole structs. */
	memset(&t, 0, sizeof(t));
	nvmf_opts_init(&t);
	/* One submitting thread per job: one I/O queue unless told otherwise
	 * (the library's default is one per CPU). */
	t.nr_io_queues = 1;
	/* fio's filename= splits at every ':' not written "\:" (fio's HOWTO,
	 * filename): what reaches us then is "nvme+tcp" alone. */
	if (strcmp(uri, "nvme+tcp") == 0 || strncmp(uri, "//", 2) == 0)
		return fail(err, errlen, EINVAL, "filename '%s' is part of a URI that fio split "
			    "at ':': write each ':' of the URI as '\\:' (filename=nvme+tcp\\://"
			    "127.0.0.1\\:4420/nqn...\\:disk/1)", uri);
	if (strncmp(uri, "nvme+tcp://", 11) != 0)
		return fail(err, errlen, EINVAL, "filename '%s' is not an nvme+tcp:// URI "
			    "(nvme+tcp://HOST[:PORT]/SUBNQN/NSID, each ':' written '\\:')", uri);
	if (nvmf_opts_set_uri(&t, uri) < 0)
		return fail(err, errlen, nvmf_get_errno() ? nvmf_get_errno() : EINVAL,
			    "filename '%s': %s", uri, nvmf_get_error());
	if (!t.subnqn[0] || strcmp(t.subnqn, NVMF_DISCOVERY_NQN) == 0)
		return fail(err, errlen, EINVAL, "filename '%s' names a discovery controller, "
			    "which has no namespaces: give the subsystem NQN and NSID", uri);
	if (t.nsid == 0)
		return fail(err, errlen, EINVAL, "filename '%s' names no namespace: end it with "
			    "/NSID (nvme+tcp://HOST[:PORT]/SUBNQN/NSID)", uri);
	*nsid = t.nsid;
	t.nsid = 0;	/* one controller serves every namespace of the target */

	for (size_t i = 0; i < sizeof(str_opts) / sizeof(str_opts[0]); i++) {
		const char *arg = *(char *const *)((const char *)eo + str_opts[i].off);

		if (!arg)
			continue;
		r = set_one(str_opts[i].name, str_opts[i].id, arg, &t, err, errlen);
		if (r < 0)
			return r;
		given |= TC_CO_BIT(str_opts[i].id);
	}
	t.hdr_digest = t.hdr_digest || eo->hdr_digest;
	t.data_digest = t.data_digest || eo->data_digest;
	t.disable_sqflow = t.disable_sqflow || eo->disable_sqflow;
	t.tls = t.tls || eo->tls;
	t.tls_compat = t.tls_compat || eo->tls_compat;
	/* A URI's ?ctrl_loss_tmo=... and the option of the same name must not
	 * disagree silently: both given is refused. */
	r = tc_conn_uri_params(&t, uri, given, false, msg, sizeof(msg));
	if (r < 0) {
		relabel(msg, sizeof(msg));
		return fail(err, errlen, -r, "filename '%s': %s", uri, msg);
	}
	/* Secrets may come from the environment instead (a job file, like a
	 * command line, is often readable by others). */
	r = tc_conn_secrets_env(&t, given, msg, sizeof(msg));
	if (r < 0) {
		/* "--tls-key-file ... need --tls": the engine's names. */
		relabel(msg, sizeof(msg));
		return fail(err, errlen, -r, "%s", msg);
	}
	t.loop = loop;
	*o = t;
	return 0;
}

/* ---- Registry ------------------------------------------------------------------------ */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nf_ctrl *reg_head;

/* Same target, same options, same loop (event callback and user aside,
 * which the engine sets alike for all). */
static bool same_opts(const struct nvmf_opts *a, const struct nvmf_opts *b)
{
	struct nvmf_opts x = *a, y = *b;
	bool same;

	x.event_user = y.event_user = NULL;
	same = memcmp(&x, &y, sizeof(x)) == 0;
	tc_wipe(&x, sizeof(x));	/* copies of the secrets */
	tc_wipe(&y, sizeof(y));
	return same;
}

int nf_ctrl_get(const struct nvmf_opts *o, const void *owner, struct nf_ctrl **out, char *err,
		size_t errlen)
{
	struct nvmf_ctrl_info ci;
	struct nvmf_opts co;
	struct nf_ctrl *nc;
	int r;

	pthread_mutex_lock(&reg_lock);
	for (nc = reg_head; nc; nc = nc->next)
		if (nc->owner == owner && same_opts(&nc->opts, o))
			break;
	if (nc) {
		nc->refs++;
		pthread_mutex_unlock(&reg_lock);
		*out = nc;
		return 0;
	}
	nc = calloc(1, sizeof(*nc));
	if (!nc) {
		pthread_mutex_unlock(&reg_lock);
		return fail(err, errlen, ENOMEM, "out of memory");
	}
	/* Connecting under the lock: jobs sharing a target wait for the one
	 * connection rather than racing to make several. Its events come with
	 * nc (engine.c: a reconnect may change the transfer limit). */
	co = *o;
	co.event_user = nc;
	r = nvmf_connect(&co, &nc->ctrl);
	tc_wipe(&co, sizeof(co));	/* secrets */
	if (r < 0) {
		pthread_mutex_unlock(&reg_lock);
		free(nc);
		return fail(err, errlen, -r, "connecting to %s:%s (%s) failed: %s", o->traddr,
			    o->trsvcid, o->subnqn, nvmf_get_error());
	}
	r = nvmf_ctrl_get_info(nc->ctrl, &ci);
	if (r < 0) {
		pthread_mutex_unlock(&reg_lock);
		fail(err, errlen, -r, "%s:%s (%s): %s", o->traddr, o->trsvcid, o->subnqn,
		     nvmf_get_error());
		(void)nvmf_disconnect(nc->ctrl);
		free(nc);
		return r;
	}
	nc->max_xfer = ci.max_xfer;
	nc->refs = 1;
	nc->owner = owner;
	nc->opts = *o;
	nc->next = reg_head;
	reg_head = nc;
	pthread_mutex_unlock(&reg_lock);
	*out = nc;
	return 0;
}

uint32_t nf_ctrl_xfer_refresh(struct nf_ctrl *nc, uint32_t *was)
{
	struct nvmf_ctrl_info ci;

	/* A copy under the library's lock: no more than a refusal costs. */
	if (nvmf_ctrl_get_info(nc->ctrl, &ci) < 0) {
		*was = nf_ctrl_xfer(nc);
		return *was;
	}
	/* Exchanged: of the threads that see the same change, one is told. */
	*was = __atomic_exchange_n(&nc->max_xfer, ci.max_xfer, __ATOMIC_RELAXED);
	return ci.max_xfer;
}

void nf_ctrl_put(struct nf_ctrl *nc)
{
	struct nf_ctrl **pp;

	pthread_mutex_lock(&reg_lock);
	if (--nc->refs > 0) {
		pthread_mutex_unlock(&reg_lock);
		return;
	}
	for (pp = &reg_head; *pp; pp = &(*pp)->next)
		if (*pp == nc) {
			*pp = nc->next;
			break;
		}
	pthread_mutex_unlock(&reg_lock);
	/* An error here (a shutdown that did not complete) changes nothing for
	 * the I/O fio measured; the handle is freed either way. */
	(void)nvmf_disconnect(nc->ctrl);
	tc_wipe(&nc->opts, sizeof(nc->opts));	/* secrets */
	free(nc);
}

/* ---- Namespaces ---------------------------------------------------------------------- */

int nf_ns_check(struct nvmf_ctrl *c, const char *uri, uint32_t nsid, struct nvmf_ns_info *ns,
		char *err, size_t errlen)
{
	int r = nvmf_get_ns_info(c, nsid, ns);

	if (r == -ENOENT)
		return fail(err, errlen, ENOENT, "filename '%s': the controller has no active "
			    "namespace %u", uri, nsid);
	if (r < 0)
		return fail(err, errlen, -r, "filename '%s': namespace %u: %s", uri, nsid,
			    nvmf_get_error());
	if (!ns->supported)
		return fail(err, errlen, EOPNOTSUPP, "filename '%s': namespace %u cannot be "
			    "used: %s", uri, nsid, ns->reason);
	if (ns->lba_size == 0 || (ns->lba_size & (ns->lba_size - 1)))
		return fail(err, errlen, EOPNOTSUPP, "filename '%s': namespace %u has a block "
			    "size of %u bytes, not a power of two", uri, nsid, ns->lba_size);
	return 0;
}

int nf_probe_ns(const struct nvmf_opts *o, const char *uri, uint32_t nsid,
		struct nvmf_ns_info *ns, char *err, size_t errlen)
{
	struct nvmf_opts t = *o;
	struct nvmf_ctrl *c;
	int r;

	/* The library's own thread (this may be fio's main thread, before the
	 * job's loop exists), and no I/O queues: only Identify is needed. */
	t.loop = NULL;
	t.nr_io_queues = 0;
	t.event_cb = NULL;
	r = nvmf_connect(&t, &c);
	tc_wipe(&t, sizeof(t));	/* secrets */
	if (r < 0)
		return fail(err, errlen, -r, "connecting to %s:%s (%s) failed: %s", o->traddr,
			    o->trsvcid, o->subnqn, nvmf_get_error());
	r = nf_ns_check(c, uri, nsid, ns, err, errlen);
	(void)nvmf_disconnect(c);
	return r;
}
