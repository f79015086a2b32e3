/*
 * nvmf-target configuration file: parsing and applying it to a running
 * target (at start and on SIGHUP).
 *
 * Format, one directive per line, '#' starts a comment:
 *   subsystem NQN
 *   host HOSTNQN [tls-key=KEY]           (allow-list of the last subsystem,
 *                                         the host's TLS PSK)
 *   namespace BACKING [nsid=N] [bs=512|4096] [ro]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#ifdef NVMF_WITH_TLS
#include "tcp/tls_psk.h"
#endif

void cfg_free(struct cfg *c)
{
	/* Wiped through a volatile pointer: the stores must stay. */
	for (unsigned i = 0; i < c->nsubsys; i++) {
		volatile char *k = (volatile char *)c->subsys[i].host_keys;

		for (size_t j = 0; j < sizeof(c->subsys[i].host_keys); j++)
			k[j] = 0;
	}
	free(c->subsys);
	c->subsys = NULL;
	c->nsubsys = 0;
}

static int parse_ns(struct cfg_subsys *s, char *args, uint32_t default_shift, char *err,
		    size_t errlen)
{
	struct cfg_ns *ns;
	char *tok, *save = NULL;
	uint32_t maxid = 0;

	if (s->nns >= CTL_MAX_NS) {
		snprintf(err, errlen, "more than %u namespaces", CTL_MAX_NS);
		return -ENOSPC;
	}
	ns = &s->ns[s->nns];
	memset(ns, 0, sizeof(*ns));
	ns->lba_shift = default_shift;
	tok = strtok_r(args, " \t", &save);
	if (!tok) {
		snprintf(err, errlen, "namespace needs a BACKING (file, block device or ram:SIZE)");
		return -EINVAL;
	}
	if (strlen(tok) >= sizeof(ns->backing)) {
		snprintf(err, errlen, "backing path too long");
		return -EINVAL;
	}
	snprintf(ns->backing, sizeof(ns->backing), "%s", tok);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *end;

		if (strncmp(tok, "nsid=", 5) == 0) {
			unsigned long v = strtoul(tok + 5, &end, 10);

			if (*end || v == 0 || v > CTL_MAX_NS) {
				snprintf(err, errlen, "nsid must be 1..%u", CTL_MAX_NS);
				return -EINVAL;
			}
			ns->nsid = (uint32_t)v;
		} else if (strcmp(tok, "bs=512") == 0) {
			ns->lba_shift = 9;
		} else if (strcmp(tok, "bs=4096") == 0) {
			ns->lba_shift = 12;
		} else if (strcmp(tok, "ro") == 0) {
			ns->ro = true;
		} else {
			snprintf(err, errlen, "unknown namespace option '%.40s' (nsid=N, bs=512|4096, ro)",
				 tok);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < s->nns; i++) {
		if (ns->nsid && s->ns[i].nsid == ns->nsid) {
			snprintf(err, errlen, "nsid %u used twice", ns->nsid);
			return -EINVAL;
		}
		if (s->ns[i].nsid > maxid)
			maxid = s->ns[i].nsid;
	}
	if (!ns->nsid) {
		/* Next free after the largest so far. */
		if (maxid >= CTL_MAX_NS) {
			snprintf(err, errlen, "no nsid left");
			return -ENOSPC;
		}
		ns->nsid = maxid + 1;
	}
	s->nns++;
	return 0;
}

/* "tls-key=KEY" after a host NQN: checked, kept, never echoed. */
static int parse_host_key(struct cfg *c, struct cfg_subsys *s, const char *opt, char *err,
			  size_t errlen)
{
	const char *key;

	if (!*opt)
		return 0;
	if (strncmp(opt, "tls-key=", 8) != 0) {
		snprintf(err, errlen, "unknown host option '%.40s' (tls-key=KEY)", opt);
		return -EINVAL;
	}
	key = opt + 8;
#ifdef NVMF_WITH_TLS
	{
		struct tcp_psk psk;
		int rc = tcp_psk_parse(key, &psk);

		tcp_psk_wipe(&psk);
		if (rc != 0) {
			snprintf(err, errlen, "tls-key: %s", tcp_psk_strerror(rc));
			return -EINVAL;
		}
	}
	snprintf(s->host_keys[s->nhosts], sizeof(s->host_keys[s->nhosts]), "%s", key);
	c->has_keys = true;
	return 0;
#else
	(void)c;
	(void)s;
	(void)key;
	snprintf(err, errlen, "tls-key: nvmf-target was built without OpenSSL");
	return -ENOTSUP;
#endif
}

/* Secrets in a file others can read or write: say so (as ssh does). */
static void cfg_check_mode(const char *path, struct cfg *c)
{
	struct stat st;

	c->warning[0] = 0;
	if (!c->has_keys || stat(path, &st) != 0 || !(st.st_mode & (S_IRWXG | S_IRWXO)))
		return;
	snprintf(c->warning, sizeof(c->warning), "%s holds TLS keys and is accessible to %s "
		 "(mode %03o): chmod 600 it", path,
		 (st.st_mode & S_IRWXO) ? "every user" : "its group",
		 (unsigned)(st.st_mode & 0777));
}

int cfg_load(const char *path, uint32_t default_shift, struct cfg *out, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "r");
	char line[1024], err[160];
	unsigned lineno = 0;
	struct cfg_subsys *cur = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!f) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *kw, *arg, *e;

		lineno++;
		err[0] = 0;
		if ((e = strchr(p, '#')))
			*e = 0;
		p[strcspn(p, "\r\n")] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			continue;
		kw = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		arg = p;
		for (e = arg + strlen(arg); e > arg && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = 0;
		if (strcmp(kw, "subsystem") == 0) {
			struct cfg_subsys *n;

			if (!ctl_nqn_valid(arg) || strcmp(arg, CTL_DISC_NQN) == 0) {
				snprintf(err, sizeof(err), "'%.60s' is not a valid subsystem NQN", arg);
				rc = -EINVAL;
				break;
			}
			for (unsigned i = 0; i < out->nsubsys; i++)
				if (strcmp(out->subsys[i].nqn, arg) == 0)
					snprintf(err, sizeof(err), "subsystem %.100s listed twice", arg);
			if (err[0]) {
				rc = -EINVAL;
				break;
			}
			n = realloc(out->subsys, (out->nsubsys + 1) * sizeof(*n));
			if (!n) {
				rc = -ENOMEM;
				snprintf(err, sizeof(err), "out of memory");
				break;
			}
			out->subsys = n;
			cur = &n[out->nsubsys++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->nqn, sizeof(cur->nqn), "%s", arg);
		} else if (strcmp(kw, "host") == 0) {
			char *opt = arg + strcspn(arg, " \t");

			if (*opt) {
				*opt++ = 0;
				opt += strspn(opt, " \t");
			}
			if (!cur || !ctl_nqn_valid(arg) || cur->nhosts >= CTL_MAX_HOSTS) {
				snprintf(err, sizeof(err), !cur ? "host before any subsystem"
					 : cur->nhosts >= CTL_MAX_HOSTS ? "too many hosts"
					 : "invalid host NQN");
				rc = -EINVAL;
				break;
			}
			rc = parse_host_key(out, cur, opt, err, sizeof(err));
			if (rc < 0)
				break;
			snprintf(cur->hosts[cur->nhosts++], CTL_NQN_MAX + 1, "%s", arg);
		} else if (strcmp(kw, "namespace") == 0) {
			if (!cur) {
				snprintf(err, sizeof(err), "namespace before any subsystem");
				rc = -EINVAL;
				break;
			}
			rc = parse_ns(cur, arg, default_shift, err, sizeof(err));
			if (rc < 0)
				break;
		} else {
			snprintf(err, sizeof(err), "unknown directive '%.40s' (subsystem, host, namespace)",
				 kw);
			rc = -EINVAL;
			break;
		}
	}
	fclose(f);
	if (rc < 0) {
		snprintf(msg, msglen, "%s:%u: %s", path, lineno, err);
		cfg_free(out);
		return rc;
	}
	cfg_check_mode(path, out);
	return rc;
}

static const struct cfg_subsys *cfg_find(const struct cfg *c, const char *nqn)
{
	for (unsigned i = 0; c && i < c->nsubsys; i++)
		if (strcmp(c->subsys[i].nqn, nqn) == 0)
			return &c->subsys[i];
	return NULL;
}

static const struct cfg_ns *cfg_find_ns(const struct cfg_subsys *s, uint32_t nsid)
{
	for (unsigned i = 0; s && i < s->nns; i++)
		if (s->ns[i].nsid == nsid)
			return &s->ns[i];
	return NULL;
}

static int apply_subsys(struct ctl_target *t, const struct cfg_subsys *old,
			const struct cfg_subsys *cs, char *msg, size_t msglen)
{
	struct ctl_subsys *s = ctl_subsys_find(t, cs->nqn);

	if (!s && !(s = ctl_subsys_add(t, cs->nqn))) {
		snprintf(msg, msglen, "cannot add subsystem %s", cs->nqn);
		return -EINVAL;
	}
	s->nhosts = 0;
	s->any_host = true;
	for (unsigned i = 0; i < cs->nhosts; i++)
		ctl_subsys_allow_host(s, cs->hosts[i]);
	/* Namespaces gone or changed. */
	for (uint32_t id = 1; id <= CTL_MAX_NS; id++) {
		const struct cfg_ns *n = cfg_find_ns(cs, id), *o = cfg_find_ns(old, id);

		if (!s->ns[id])
			continue;
		if (!n || (o && (strcmp(o->backing, n->backing) || o->lba_shift != n->lba_shift ||
				 o->ro != n->ro)))
			ctl_subsys_detach_ns(s, id);
		else
			ctl_subsys_ns_changed(s, id);	/* resized backing file */
	}
	for (unsigned i = 0; i < cs->nns; i++) {
		const struct cfg_ns *n = &cs->ns[i];
		struct ctl_ns *ns;
		int rc;

		if (s->ns[n->nsid])
			continue;
		rc = ctl_ns_open(&ns, n->backing, n->lba_shift, n->ro, msg, msglen);
		if (rc < 0)
			return rc;
		ctl_subsys_attach_ns(s, ns, n->nsid);
	}
	return 0;
}

int cfg_apply(struct ctl_target *t, const struct cfg *prev, const struct cfg *next, char *msg,
	      size_t msglen)
{
	for (unsigned i = 0; prev && i < prev->nsubsys; i++) {
		if (!cfg_find(next, prev->subsys[i].nqn)) {
			struct ctl_subsys *s = ctl_subsys_find(t, prev->subsys[i].nqn);

			if (s && s != &t->disc)
				ctl_subsys_remove(t, s);
		}
	}
	for (unsigned i = 0; i < next->nsubsys; i++) {
		int rc = apply_subsys(t, cfg_find(prev, next->subsys[i].nqn), &next->subsys[i], msg,
				      msglen);

		if (rc < 0)
			return rc;
	}
	return 0;
}
