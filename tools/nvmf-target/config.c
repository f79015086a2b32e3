/*
 * nvmf-target configuration file: parsing and applying it to a running
 * target (at start and on SIGHUP).
 *
 * Format, one directive per line, '#' starts a comment:
 *   dhchap-hash LIST                     (before any subsystem: every
 *   dhchap-dhgroup LIST                   subsystem's; after one: its own)
 *   subsystem NQN
 *   host HOSTNQN [tls-key=KEY] [dhchap-secret=KEY [dhchap-ctrl-secret=KEY]]
 *                                        (allow-list of the last subsystem,
 *                                         the host's TLS PSK and
 *                                         DH-HMAC-CHAP secrets)
 *   namespace BACKING [nsid=N] [bs=512|4096] [ro]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "dhchap.h"
#ifdef NVMF_WITH_TLS
#include "tcp/tls_psk.h"
#endif

/* Wiped through a volatile pointer: the stores must stay (keys, secrets). */
static void explicit_wipe(char *p, size_t n)
{
	volatile char *w = p;

	for (size_t i = 0; i < n; i++)
		w[i] = 0;
}

void cfg_free(struct cfg *c)
{
	for (unsigned i = 0; i < c->nsubsys; i++) {
		struct cfg_subsys *s = &c->subsys[i];

		if (s->hosts)
			explicit_wipe((char *)s->hosts, s->hosts_cap * sizeof(*s->hosts));
		free(s->hosts);
		free(c->subsys[i].ns);
	}
	free(c->subsys);
	c->subsys = NULL;
	c->nsubsys = 0;
	c->subsys_cap = 0;
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
	if (s->nns == s->ns_cap) {
		unsigned cap = s->ns_cap ? 2 * s->ns_cap : 4;
		struct cfg_ns *n;

		if (cap > CTL_MAX_NS)
			cap = CTL_MAX_NS;
		n = realloc(s->ns, cap * sizeof(*n));
		if (!n) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		s->ns = n;
		s->ns_cap = cap;
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
static int parse_tls_key(struct cfg *c, struct cfg_subsys *s, const char *key, char *err,
			 size_t errlen)
{
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
	snprintf(s->hosts[s->nhosts].key, sizeof(s->hosts[s->nhosts].key), "%s", key);
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

/* "dhchap-secret=KEY" or "dhchap-ctrl-secret=KEY": checked, never echoed. */
static int parse_secret(struct cfg *c, const char *opt, const char *key, struct ctl_secret *out,
			char *err, size_t errlen)
{
	char why[128];
	int rc;

	if (out->len) {
		snprintf(err, errlen, "%s given twice", opt);
		return -EINVAL;
	}
	rc = tgt_dhchap_parse(key, out, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", opt, why);
		return rc;
	}
	c->has_secrets = true;
	return 0;
}

/* The options after a host NQN, for host number s->nhosts. */
static int parse_host_opts(struct cfg *c, struct cfg_subsys *s, char *opts, char *err,
			   size_t errlen)
{
	struct ctl_secret *hs = &s->hosts[s->nhosts].secret, *cs = &s->hosts[s->nhosts].ctrl_secret;
	char *tok, *save = NULL;
	bool tls = false;
	int rc;

	ctl_secret_wipe(hs);
	ctl_secret_wipe(cs);
	for (tok = strtok_r(opts, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (strncmp(tok, "tls-key=", 8) == 0) {
			if (tls) {
				snprintf(err, errlen, "tls-key given twice");
				return -EINVAL;
			}
			tls = true;
			rc = parse_tls_key(c, s, tok + 8, err, errlen);
		} else if (strncmp(tok, "dhchap-secret=", 14) == 0) {
			rc = parse_secret(c, "dhchap-secret", tok + 14, hs, err, errlen);
		} else if (strncmp(tok, "dhchap-ctrl-secret=", 19) == 0) {
			rc = parse_secret(c, "dhchap-ctrl-secret", tok + 19, cs, err, errlen);
		} else {
			/* Echo a mistyped option's name, never its value: and
			 * only a name, since a stray word may be a key. */
			size_t n = strcspn(tok, "=");

			if (tok[n] == '=' && n <= 32 && strspn(tok, "abcdefghijklmnopqrstuvwxyz"
							       "0123456789-") == n)
				snprintf(err, errlen, "unknown host option '%.*s=' (tls-key=KEY, "
					 "dhchap-secret=KEY, dhchap-ctrl-secret=KEY)", (int)n, tok);
			else
				snprintf(err, errlen, "unexpected word after the host NQN (options: "
					 "tls-key=KEY, dhchap-secret=KEY, dhchap-ctrl-secret=KEY)");
			rc = -EINVAL;
		}
		if (rc < 0)
			goto bad;
	}
	if (cs->len && !hs->len) {
		snprintf(err, errlen, "dhchap-ctrl-secret needs dhchap-secret: the controller "
			 "proves itself only to a host that authenticates");
		rc = -EINVAL;
		goto bad;
	}
	return 0;
bad:
	ctl_secret_wipe(hs);
	ctl_secret_wipe(cs);
	explicit_wipe(s->hosts[s->nhosts].key, sizeof(s->hosts[s->nhosts].key));
	return rc;
}

/* dhchap-hash / dhchap-dhgroup LIST: into the subsystem's policy, or the
 * global one before any subsystem. */
static int parse_policy(struct cfg *c, struct cfg_subsys *cur, const char *kw, const char *arg,
			char *err, size_t errlen)
{
	struct ctl_auth_policy *p = cur ? &cur->auth : &c->auth;
	bool groups = strcmp(kw, "dhchap-dhgroup") == 0;
	char why[128];
	int rc;

	if (groups ? p->ndh : p->nhash) {
		snprintf(err, errlen, "%.20s given twice %s", kw, cur ? "for this subsystem"
			 : "before the first subsystem");
		return -EINVAL;
	}
	rc = tgt_dhchap_list(arg, groups, p, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "%.20s: %s", kw, why);
	return rc;
}

/* Secrets in a file others can read or write: say so (as ssh does). */
static void cfg_check_mode(const char *path, struct cfg *c)
{
	struct stat st;

	c->warning[0] = 0;
	if ((!c->has_keys && !c->has_secrets) || stat(path, &st) != 0 ||
	    !(st.st_mode & (S_IRWXG | S_IRWXO)))
		return;
	snprintf(c->warning, sizeof(c->warning), "%s holds %s and is accessible to %s "
		 "(mode %03o): chmod 600 it", path,
		 !c->has_secrets ? "TLS keys" : !c->has_keys ? "DH-HMAC-CHAP secrets"
		 : "TLS keys and DH-HMAC-CHAP secrets",
		 (st.st_mode & S_IRWXO) ? "every user" : "its group",
		 (unsigned)(st.st_mode & 0777));
}

/* Room for host number s->nhosts, zeroed. The old array holds keys: it is
 * copied and wiped, never realloc()ed. */
static int hosts_room(struct cfg_subsys *s, char *err, size_t errlen)
{
	unsigned cap;
	struct cfg_host *n;

	if (s->nhosts < s->hosts_cap)
		return 0;
	cap = s->hosts_cap ? 2 * s->hosts_cap : 4;
	if (cap > CTL_MAX_HOSTS)
		cap = CTL_MAX_HOSTS;
	n = calloc(cap, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (s->hosts) {
		memcpy(n, s->hosts, s->hosts_cap * sizeof(*n));
		explicit_wipe((char *)s->hosts, s->hosts_cap * sizeof(*n));
		free(s->hosts);
	}
	s->hosts = n;
	s->hosts_cap = cap;
	return 0;
}

/* One directive (comment and line end already cut off). 0 or -errno with err. */
static int parse_directive(char *p, uint32_t default_shift, struct cfg *out,
			   struct cfg_subsys **curp, char *err, size_t errlen)
{
	struct cfg_subsys *cur = *curp;
	char *kw, *arg, *e;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return 0;
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
			snprintf(err, errlen, "'%.60s' is not a valid subsystem NQN (\"nqn.\" and a "
				 "name, at most 223 characters, no spaces)", arg);
			return -EINVAL;
		}
		for (unsigned i = 0; i < out->nsubsys; i++) {
			if (strcmp(out->subsys[i].nqn, arg) == 0) {
				snprintf(err, errlen, "subsystem %.100s listed twice", arg);
				return -EINVAL;
			}
		}
		if (out->nsubsys == out->subsys_cap) {
			/* Doubling: each entry is tens of KiB to copy. */
			unsigned cap = out->subsys_cap ? 2 * out->subsys_cap : 2;

			n = realloc(out->subsys, cap * sizeof(*n));
			if (!n) {
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			out->subsys = n;
			out->subsys_cap = cap;
		}
		cur = *curp = &out->subsys[out->nsubsys++];
		memset(cur, 0, sizeof(*cur));
		snprintf(cur->nqn, sizeof(cur->nqn), "%s", arg);
		return 0;
	}
	if (strcmp(kw, "host") == 0) {
		char *opt = arg + strcspn(arg, " \t");
		int rc;

		if (*opt) {
			*opt++ = 0;
			opt += strspn(opt, " \t");
		}
		if (!cur || !ctl_nqn_valid(arg) || cur->nhosts >= CTL_MAX_HOSTS) {
			snprintf(err, errlen, !cur ? "host before any subsystem"
				 : cur->nhosts >= CTL_MAX_HOSTS ? "too many hosts"
				 : "invalid host NQN");
			return -EINVAL;
		}
		for (unsigned i = 0; i < cur->nhosts; i++) {
			if (strcmp(cur->hosts[i].nqn, arg) == 0) {
				snprintf(err, errlen, "host %.100s listed twice", arg);
				return -EINVAL;
			}
		}
		rc = hosts_room(cur, err, errlen);
		if (rc < 0)
			return rc;
		rc = parse_host_opts(out, cur, opt, err, errlen);
		if (rc < 0)
			return rc;
		snprintf(cur->hosts[cur->nhosts++].nqn, CTL_NQN_MAX + 1, "%s", arg);
		return 0;
	}
	if (strcmp(kw, "namespace") == 0) {
		if (!cur) {
			snprintf(err, errlen, "namespace before any subsystem");
			return -EINVAL;
		}
	{
		int rc = parse_ns(cur, arg, default_shift, err, errlen);

		if (rc == 0)
			cur->ns[cur->nns - 1].line = out->line;
		return rc;
	}
	}
	if (strcmp(kw, "dhchap-hash") == 0 || strcmp(kw, "dhchap-dhgroup") == 0)
		return parse_policy(out, cur, kw, arg, err, errlen);
	snprintf(err, errlen, "unknown directive '%.40s' (subsystem, host, namespace, "
		 "dhchap-hash, dhchap-dhgroup)", kw);
	return -EINVAL;
}

/* A line longer than this is refused rather than read as two. */
#define CFG_LINE_MAX 1023

int cfg_parse(const char *name, const char *text, size_t len, uint32_t default_shift,
	      struct cfg *out, char *msg, size_t msglen)
{
	char line[CFG_LINE_MAX + 1], err[200];
	struct cfg_subsys *cur = NULL;
	unsigned lineno = 0;
	size_t pos = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl ? (size_t)(nl - text) : len) - pos;
		char *e;

		lineno++;
		err[0] = 0;
		if (n > CFG_LINE_MAX) {
			snprintf(err, sizeof(err), "line longer than %d characters", CFG_LINE_MAX);
			rc = -EINVAL;
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = 0;
		pos += n + 1;
		if (strlen(line) != n) {
			snprintf(err, sizeof(err), "a NUL byte in the line");
			rc = -EINVAL;
			break;
		}
		if ((e = strchr(line, '#')))
			*e = 0;
		line[strcspn(line, "\r")] = 0;
		out->line = lineno;
		rc = parse_directive(line, default_shift, out, &cur, err, sizeof(err));
	}
	/* The line held a key or secret perhaps: wiped (cfg_free() wipes the rest). */
	{
		volatile char *w = line;

		for (size_t i = 0; i < sizeof(line); i++)
			w[i] = 0;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "%s:%u: %s", name, lineno, err);
		cfg_free(out);
	} else {
		snprintf(out->path, sizeof(out->path), "%s", name);
	}
	return rc;
}

/* The whole file, at most this big (a configuration is a few KiB). */
#define CFG_FILE_MAX (16u << 20)

int cfg_load(const char *path, uint32_t default_shift, struct cfg *out, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!f) {
		rc = -errno;
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return rc;
	}
	/* The file holds keys and secrets: unbuffered, fread() reads into
	 * text (wiped below), not into stdio's buffer, which fclose() frees
	 * unwiped. */
	setvbuf(f, NULL, _IONBF, 0);
	for (;;) {
		size_t got;

		if (len == cap) {
			char *n = cap >= CFG_FILE_MAX ? NULL : malloc(cap ? 2 * cap : 4096);

			if (!n) {
				fclose(f);
				if (text) {
					explicit_wipe(text, len);
					free(text);
				}
				snprintf(msg, msglen, "%s: %s", path, cap >= CFG_FILE_MAX ?
					 "larger than 16 MiB" : "out of memory");
				return cap >= CFG_FILE_MAX ? -EFBIG : -ENOMEM;
			}
			if (text) {
				memcpy(n, text, len);
				explicit_wipe(text, len);
				free(text);
			}
			text = n;
			cap = cap ? 2 * cap : 4096;
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (rc < 0)
		snprintf(msg, msglen, "%s: read error", path);
	else
		rc = cfg_parse(path, text, len, default_shift, out, msg, msglen);
	if (text) {
		explicit_wipe(text, len);
		free(text);
	}
	if (rc == 0)
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

bool cfg_has_subsys(const struct cfg *c, const char *nqn)
{
	return nqn && cfg_find(c, nqn) != NULL;
}

static const struct cfg_ns *cfg_find_ns(const struct cfg_subsys *s, uint32_t nsid)
{
	for (unsigned i = 0; s && i < s->nns; i++)
		if (s->ns[i].nsid == nsid)
			return &s->ns[i];
	return NULL;
}

/*
 * Whether namespace n of cs is served as it is (attached, configured the
 * same, and its path still names the file or device served): otherwise the
 * reload detaches what is attached under its NSID and opens n anew. A new
 * file renamed over the served one's path is another disk, with another
 * NGUID (backend.c), and the reload serves it.
 */
static bool ns_kept(const struct ctl_subsys *s, const struct cfg_subsys *old,
		    const struct cfg_ns *n)
{
	const struct cfg_ns *o = cfg_find_ns(old, n->nsid);

	return s && s->ns[n->nsid] &&
	       !(o && (strcmp(o->backing, n->backing) || o->lba_shift != n->lba_shift ||
		       o->ro != n->ro)) &&
	       ctl_ns_backing_is(s->ns[n->nsid], n->backing);
}

void cfg_warn_tail(struct ctl_target *t, const struct ctl_ns *ns, const char *where)
{
	if (ns->unserved == 0)
		return;
	ctl_log(t, NVMF_LOG_WARN, "warning: %s%s: %llu bytes, not a multiple of the %u-byte "
		"block: the last %llu bytes are not served", where, ns->path,
		(unsigned long long)(ns->size + ns->unserved), 1u << ns->lba_shift,
		(unsigned long long)ns->unserved);
}

/* Namespaces the reload opens, opened before anything changes. */
struct opened {
	unsigned si;		/* next->subsys[si] */
	uint32_t nsid;
	struct ctl_ns *ns;	/* NULL: attached */
};

static void apply_subsys(struct ctl_subsys *s, const struct cfg_subsys *cs, unsigned si,
			 struct opened *op, unsigned nop)
{
	/* Live controllers keep the secrets they connected with; new Connects
	 * and admin-queue re-authentications take these. */
	ctl_subsys_clear_hosts(s);
	for (unsigned i = 0; i < cs->nhosts; i++) {
		const struct cfg_host *h = &cs->hosts[i];

		ctl_subsys_allow_host(s, h->nqn);
		ctl_subsys_set_secrets(s, h->nqn, h->secret.len ? &h->secret : NULL,
				       h->ctrl_secret.len ? &h->ctrl_secret : NULL);
	}
	s->auth = cs->auth;
	/* Namespaces gone or changed: those cfg_apply opened anew (ns_kept
	 * asked once, as the file it looks at may change meanwhile). */
	for (uint32_t id = 1; id <= CTL_MAX_NS; id++) {
		bool reopened = false;

		if (!s->ns[id])
			continue;
		for (unsigned k = 0; k < nop && !reopened; k++)
			reopened = op[k].si == si && op[k].nsid == id && op[k].ns;
		if (!cfg_find_ns(cs, id) || reopened)
			ctl_subsys_detach_ns(s, id);
		else
			ctl_subsys_ns_changed(s, id);	/* resized backing file */
	}
	for (unsigned k = 0; k < nop; k++)
		if (op[k].si == si && op[k].ns) {
			ctl_subsys_attach_ns(s, op[k].ns, op[k].nsid);
			op[k].ns = NULL;
		}
}

/* Whether namespace nsid, attached to s, stays through this reload. */
static bool ns_stays(const struct cfg *prev, const struct cfg *next, const struct ctl_subsys *s,
		     uint32_t nsid)
{
	const struct cfg_subsys *cs = cfg_find(next, s->nqn), *old = cfg_find(prev, s->nqn);
	const struct cfg_ns *n;

	if (!cs)
		return !old;	/* not the file's (the -n one): untouched; else removed */
	n = cfg_find_ns(cs, nsid);
	return n && ns_kept(s, old, n);
}

/*
 * Namespace k of op, just opened: on a file or device that another namespace
 * serves (one that stays, or one opened before it)? Then the message says
 * which, and the reload is refused: two namespaces with their own NGUIDs on
 * one backing are two disks to a host that are one.
 */
static bool dup_backing(const struct ctl_target *t, const struct cfg *prev,
			const struct cfg *next, const struct opened *op, unsigned k,
			char *why, size_t len)
{
	/* ram: shares nothing; and a configuration of hundreds of them
	 * need not walk every subsystem's 1024 slots for each. */
	if (op[k].ns->type == CTL_BE_RAM)
		return false;
	for (const struct ctl_subsys *s = t->subsys; s; s = s->next)
		for (uint32_t id = 1; id <= CTL_MAX_NS; id++)
			if (s->ns[id] && ctl_ns_same_backing(s->ns[id], op[k].ns) &&
			    ns_stays(prev, next, s, id)) {
				snprintf(why, len, "%.100s: the same file as namespace %u of %.100s",
					 op[k].ns->path, id, s->nqn);
				return true;
			}
	for (unsigned j = 0; j < k; j++)
		if (ctl_ns_same_backing(op[j].ns, op[k].ns)) {
			snprintf(why, len, "%.100s: the same file as namespace %u of %.100s",
				 op[k].ns->path, op[j].nsid, next->subsys[op[j].si].nqn);
			return true;
		}
	return false;
}

/*
 * In two steps, so that a reload that cannot be done changes nothing (the
 * running configuration is kept, nvmf-target(8)): first every namespace to
 * open is opened (and checked against the files served); a failure there
 * closes those and returns its message ("file:line: backing: why"). Then
 * the rest (removals, new subsystems, hosts, detaching and attaching) is
 * done, where only adding a subsystem can fail, for want of memory.
 */
int cfg_apply(struct ctl_target *t, const struct cfg *prev, const struct cfg *next, char *msg,
	      size_t msglen)
{
	struct ctl_auth_policy def;
	struct opened *op;
	unsigned nop = 0, total = 0;
	int rc = 0;

	for (unsigned i = 0; i < next->nsubsys; i++)
		total += next->subsys[i].nns;
	op = calloc(total ? total : 1, sizeof(*op));
	if (!op) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < next->nsubsys && rc == 0; i++) {
		const struct cfg_subsys *cs = &next->subsys[i];
		const struct cfg_subsys *old = cfg_find(prev, cs->nqn);
		const struct ctl_subsys *s = ctl_subsys_find(t, cs->nqn);

		for (unsigned k = 0; k < cs->nns && rc == 0; k++) {
			const struct cfg_ns *n = &cs->ns[k];
			char why[512];

			if (ns_kept(s, old, n))
				continue;
			rc = ctl_ns_open(&op[nop].ns, n->backing, n->lba_shift, n->ro, why,
					 sizeof(why));
			if (rc == 0) {
				op[nop].si = i;
				op[nop].nsid = n->nsid;
				nop++;
				if (dup_backing(t, prev, next, op, nop - 1, why, sizeof(why)))
					rc = -EEXIST;
			}
			if (rc < 0) {
				snprintf(msg, msglen, "%s:%u: %s", next->path[0] ? next->path :
					 "configuration", n->line, why);
				break;
			}
		}
	}
	if (rc < 0) {
		for (unsigned k = 0; k < nop; k++)
			ctl_ns_put(op[k].ns);
		free(op);
		return rc;
	}

	for (unsigned k = 0; k < nop; k++) {
		const struct cfg_subsys *cs = &next->subsys[op[k].si];
		const struct cfg_ns *n = cfg_find_ns(cs, op[k].nsid);
		char where[300];

		snprintf(where, sizeof(where), "%.250s:%u: ", next->path[0] ? next->path :
			 "configuration", n ? n->line : 0);
		cfg_warn_tail(t, op[k].ns, where);
	}

	/* The global policy; a list it leaves out keeps the default. */
	ctl_auth_policy_default(&def);
	t->auth = def;
	if (next->auth.nhash) {
		t->auth.nhash = next->auth.nhash;
		memcpy(t->auth.hash, next->auth.hash, sizeof(t->auth.hash));
	}
	if (next->auth.ndh) {
		t->auth.ndh = next->auth.ndh;
		memcpy(t->auth.dh, next->auth.dh, sizeof(t->auth.dh));
	}
	for (unsigned i = 0; prev && i < prev->nsubsys; i++) {
		if (!cfg_find(next, prev->subsys[i].nqn)) {
			struct ctl_subsys *s = ctl_subsys_find(t, prev->subsys[i].nqn);

			if (s && s != &t->disc)
				ctl_subsys_remove(t, s);
		}
	}
	for (unsigned i = 0; i < next->nsubsys; i++) {
		const struct cfg_subsys *cs = &next->subsys[i];
		struct ctl_subsys *s = ctl_subsys_find(t, cs->nqn);

		if (!s && !(s = ctl_subsys_add(t, cs->nqn))) {
			/* Out of memory only: what is left unattached is freed. */
			snprintf(msg, msglen, "cannot add subsystem %s: out of memory", cs->nqn);
			rc = 1;
			continue;
		}
		apply_subsys(s, cs, i, op, nop);
	}
	for (unsigned k = 0; k < nop; k++)
		if (op[k].ns)
			ctl_ns_put(op[k].ns);
	free(op);
	return rc;
}
