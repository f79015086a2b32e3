/*
 * connect-all's walk of discovery logs (nc_disc_walk; autoconnect's too):
 * each NVM subsystem entry it can honour goes to the caller's function,
 * the others are skipped with a message, and referrals to other discovery
 * services are followed. Each service is read once (by its address text,
 * or numeric address, and port number), at most MAX_REFERRAL_DEPTH
 * referrals deep and MAX_SERVICES services in all, so that hostile or
 * broken services naming ever new ones cannot keep the walk going.
 */
#include "nvmfctl.h"

#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REFERRAL_DEPTH 4
#define MAX_SERVICES       1024

/* A discovery service the walk read (or is reading). */
struct service {
	char addr[NVMF_TRADDR_BUFSZ];
	char port[NVMF_TRSVCID_BUFSZ];	/* the number, without leading zeros */
	struct addrinfo *ai;		/* addr as a numeric address; NULL for a name */
};

struct walk {
	struct nc_fab_args *a;
	nc_entry_fn entry;		/* what to do with each NVM subsystem */
	void *user;
	struct service *svc;		/* the services read, grown as needed */
	int nsvc, cap;
	bool full_said;			/* the MAX_SERVICES message printed */
	int connected, skipped, failed;
};

/*
 * addr as a numeric address (inet_aton's IPv4 spellings, IPv6 with its
 * zone), or NULL for a host name: AI_NUMERICHOST, never a name service
 * lookup. One address exactly when not NULL.
 */
static struct addrinfo *numeric_addr(const char *addr, const char *pnum)
{
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(addr, pnum, &hints, &res) != 0)
		return NULL;
	return res;
}

/*
 * Was the service at addr:port read already? The same port number and
 * either the same address text, or both numeric addresses and the same
 * address (127.1, 2130706433, 0x7f.1 and 127.0.0.1 are one service,
 * 016010 and 16010 one port). *pnum gets the port as recorded, *ai addr's
 * numeric address (the caller's, NULL if addr is a name).
 *
 * Host names are not resolved: a name is its own spelling. A lookup
 * blocks (getaddrinfo() is bounded by no --connect-timeout) and a walk may
 * meet thousands of referrals; and a name may stand for several addresses
 * (round robin), which would make it neither equal to one of them nor
 * safely comparable without both address sets. What this leaves is sound:
 * referrals that repeat a name are caught by its text, and a loop through
 * differently spelled names stays bounded by MAX_REFERRAL_DEPTH and
 * MAX_SERVICES. The text is compared first; the numeric parse (no I/O)
 * only when no service has that text.
 */
static bool seen(const struct walk *w, const char *addr, const char *port,
		 char pnum[NVMF_TRSVCID_BUFSZ], struct addrinfo **ai)
{
	long pn = tc_port_num(port);

	*ai = NULL;
	if (pn > 0)
		snprintf(pnum, NVMF_TRSVCID_BUFSZ, "%ld", pn);
	else
		snprintf(pnum, NVMF_TRSVCID_BUFSZ, "%s", port);
	for (int i = 0; i < w->nsvc; i++)
		if (!strcmp(w->svc[i].port, pnum) && !strcmp(w->svc[i].addr, addr))
			return true;
	if (pn <= 0 || !(*ai = numeric_addr(addr, pnum)))
		return false;
	for (int i = 0; i < w->nsvc; i++) {
		const struct service *v = &w->svc[i];

		/* One address each: sharing one is being equal. */
		if (v->ai && !strcmp(v->port, pnum) && nc_share_addr(*ai, v->ai))
			return true;
	}
	return false;
}

/* Record a service seen() did not know; ai becomes the walk's (or is freed).
 * 0, or -1 when MAX_SERVICES are recorded already. */
static int record(struct walk *w, const char *addr, const char *pnum, struct addrinfo *ai)
{
	if (w->nsvc == w->cap && w->nsvc < MAX_SERVICES) {
		int cap = w->cap ? 2 * w->cap : 16;
		struct service *n = realloc(w->svc, (size_t)cap * sizeof(*n));

		if (n) {
			w->svc = n;
			w->cap = cap;
		}
	}
	if (w->nsvc >= w->cap) {	/* MAX_SERVICES, or no memory for more */
		if (ai)
			freeaddrinfo(ai);
		return -1;
	}
	snprintf(w->svc[w->nsvc].addr, sizeof(w->svc[0].addr), "%s", addr);
	snprintf(w->svc[w->nsvc].port, sizeof(w->svc[0].port), "%s", pnum);
	w->svc[w->nsvc++].ai = ai;
	return 0;
}

static void visited_free(struct walk *w)
{
	for (int i = 0; i < w->nsvc; i++)
		if (w->svc[i].ai)
			freeaddrinfo(w->svc[i].ai);
	free(w->svc);
	w->svc = NULL;
	w->nsvc = w->cap = 0;
}

static void skip(struct walk *w, const struct nvmf_disc_rec *e, const char *why)
{
	nc_err("skipping %s at %s:%s: %s", e->subnqn[0] ? e->subnqn : "(no NQN)", e->traddr,
		e->trsvcid, why);
	w->skipped++;
}

static void walk_log(struct walk *w, const struct nc_target *disc, int depth);

/* An entry that offers no TLS: none of the TLS options apply to it. */
static void plaintext(struct nvmf_opts *o)
{
	o->tls = false;
	o->tls_compat = false;
	o->tls_identity = 0;
	memset(o->tls_key, 0, sizeof(o->tls_key));
	o->tls_key_file[0] = '\0';
}

/*
 * TLS (NVMe-oF 1.1, Figure 38 TREQ, and TSAS as TP 8011 amends them), for
 * an NVM subsystem entry and a referral alike (as libnvme's
 * nvmf_connect_disc_entry() does): where it is required, and where it is
 * offered and the command line asked for TLS anyway. The PSK comes from
 * --tls-key (a configured PSK derives for any subsystem) or from the key
 * file's entry for the record's subsystem.
 */
static void entry_tls(struct nvmf_opts *o, const struct nvmf_disc_rec *e)
{
	if ((e->treq & NVMF_DISC_TREQ_SECURE_MASK) == NVMF_DISC_TREQ_SECURE_REQUIRED)
		o->tls = true;
	else if (e->tsas[0] != NVMF_DISC_SECTYPE_TLS13)
		plaintext(o);
}

static void connect_entry(struct walk *w, const struct nvmf_disc_rec *e)
{
	struct nc_conn_opts c = w->a->c;
	int r;

	c.t.uri = NULL;
	snprintf(c.t.o.traddr, sizeof(c.t.o.traddr), "%s", e->traddr);
	snprintf(c.t.o.trsvcid, sizeof(c.t.o.trsvcid), "%s", e->trsvcid[0] ? e->trsvcid : "4420");
	snprintf(c.t.o.subnqn, sizeof(c.t.o.subnqn), "%s", e->subnqn);
	entry_tls(&c.t.o, e);
	c.quiet_dup = true;
	c.name = NULL;
	c.mountpoint = NULL;
	r = w->entry(w->user, &c);
	tc_conn_secrets_wipe(&c.t.o);	/* a copy, per entry */
	if (r < 0)
		w->failed++;
	else if (r > 0)
		w->skipped++;
	else
		w->connected++;
}

static void follow_referral(struct walk *w, const struct nvmf_disc_rec *e, int depth)
{
	const char *port = e->trsvcid[0] ? e->trsvcid : "8009";
	char pnum[NVMF_TRSVCID_BUFSZ];
	struct addrinfo *ai;
	struct nc_target t;

	if (seen(w, e->traddr, port, pnum, &ai)) {
		if (ai)
			freeaddrinfo(ai);
		return;		/* read already: referrals may point back */
	}
	if (depth >= MAX_REFERRAL_DEPTH) {
		if (ai)
			freeaddrinfo(ai);
		skip(w, e, "referral not followed: more than 4 levels deep");
		return;
	}
	if (record(w, e->traddr, pnum, ai) < 0) {
		if (!w->full_said)
			nc_err("referrals not followed from here on: %d discovery services were "
			       "read, the most one walk reads", w->nsvc);
		w->full_said = true;
		w->skipped++;
		return;
	}
	t = w->a->c.t;
	t.uri = NULL;
	snprintf(t.o.traddr, sizeof(t.o.traddr), "%s", e->traddr);
	snprintf(t.o.trsvcid, sizeof(t.o.trsvcid), "%s", pnum);
	snprintf(t.o.subnqn, sizeof(t.o.subnqn), "%s",
		 strcmp(e->subnqn, NVMF_DISCOVERY_NQN) ? e->subnqn : "");
	entry_tls(&t.o, e);
	walk_log(w, &t, depth + 1);
	tc_conn_secrets_wipe(&t.o);	/* the copy's */
}

/*
 * Is a record's TRADDR, TRSVCID and SUBNQN what a connection can be made
 * of? They go into nvmf-fuse's URI and autoconnect's instance files: a
 * TRSVCID "4420/nqn.y" or TRADDR "127.0.0.1/nqn.x?" would name another
 * target there, and a byte the library showed as '?' (a control byte) is
 * not the target's. The SUBNQN is percent-encoded in the URI, as connect -n
 * takes it: only a control byte (looked for in the record as received, raw,
 * where the library's '?' is told from a '?') refuses it. NULL, or why not
 * (the field named) in why.
 */
static const char *record_bad(const struct nvmf_disc_rec *e, const char *raw_nqn,
			      char *why, size_t len)
{
	const char *bad = nc_traddr_bad(e->traddr);

	if (bad) {
		snprintf(why, len, "TRADDR \"%s\" %s", e->traddr, bad);
		return why;
	}
	if (e->trsvcid[0] && tc_port_num(e->trsvcid) < 0) {
		snprintf(why, len, "TRSVCID \"%s\" is not a port number (1 to 65535)",
			 e->trsvcid);
		return why;
	}
	if (e->subtype == NVMF_DISC_SUBTYPE_NVME && !e->subnqn[0]) {
		snprintf(why, len, "SUBNQN is empty");
		return why;
	}
	if (e->subtype == NVMF_DISC_SUBTYPE_NVME && !strcmp(e->subnqn, NVMF_DISCOVERY_NQN)) {
		snprintf(why, len, "SUBNQN is the discovery NQN, not an NVM subsystem's");
		return why;
	}
	for (size_t i = 0; i < NVMF_NQN_FIELD_LEN && raw_nqn[i]; i++) {
		unsigned char c = (unsigned char)raw_nqn[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(why, len, "SUBNQN \"%s\" has a control byte (shown as '?'), which "
				 "no NQN holds", e->subnqn);
			return why;
		}
	}
	return NULL;
}

static void walk_log(struct walk *w, const struct nc_target *disc, int depth)
{
	struct nvmf_disc_list *log = NULL;
	const char *raw;

	if (nc_disc_fetch(disc, &log)) {
		w->failed++;
		return;
	}
	/* The page as received (bytes: no alignment assumed); the records
	 * follow the header. */
	raw = (const char *)nvmf_disc_list_raw(log, NULL) + sizeof(struct nvmf_disc_log_hdr);
	for (uint32_t i = 0; i < log->nr_entries; i++) {
		const struct nvmf_disc_rec *e = &log->entries[i];
		char why[NVMF_TRADDR_BUFSZ + 128];

		if (e->subtype == NVMF_DISC_SUBTYPE_CURRENT)
			continue;	/* the discovery service itself */
		if (e->trtype != NVMF_DISC_TRTYPE_TCP) {
			snprintf(why, sizeof(why), "transport %s is not supported",
				 nc_trtype_str(e->trtype));
			skip(w, e, why);
			continue;
		}
		if (!e->traddr[0]) {
			skip(w, e, "the entry has no transport address");
			continue;
		}
		if ((e->subtype == NVMF_DISC_SUBTYPE_REFERRAL ||
		     e->subtype == NVMF_DISC_SUBTYPE_NVME) &&
		    record_bad(e, raw + (size_t)i * sizeof(struct nvmf_disc_entry) +
			       offsetof(struct nvmf_disc_entry, subnqn), why, sizeof(why))) {
			char where[NVMF_TRADDR_BUFSZ + 16];

			nc_err("skipping record %u of the discovery log of %s: %s", i,
			       nc_target_str(&disc->o, where, sizeof(where)), why);
			w->skipped++;
			continue;
		}
		if (e->subtype != NVMF_DISC_SUBTYPE_REFERRAL && e->subtype != NVMF_DISC_SUBTYPE_NVME) {
			skip(w, e, "unknown subsystem type");
			continue;
		}
		if (e->tsas[0] == NVMF_DISC_SECTYPE_TLS12 ||
		    e->tsas[0] > NVMF_DISC_SECTYPE_TLS13) {
			snprintf(why, sizeof(why), "its secure channel (TSAS sectype %u) is not "
				 "TLS 1.3", e->tsas[0]);
			skip(w, e, why);
			continue;
		}
#ifndef NVMF_WITH_TLS
		/* entry_tls() would turn TLS on, which this build cannot do: the
		 * library would blame "TLS options given", which the user did not. */
		if ((e->treq & NVMF_DISC_TREQ_SECURE_MASK) == NVMF_DISC_TREQ_SECURE_REQUIRED) {
			skip(w, e, "its TREQ requires a secure channel (TLS), and this build has "
			     "none (built without OpenSSL)");
			continue;
		}
#endif
		if (e->subtype == NVMF_DISC_SUBTYPE_REFERRAL)
			follow_referral(w, e, depth);
		else
			connect_entry(w, e);
	}
	nvmf_free(log);
}

void nc_disc_walk(struct nc_fab_args *a, nc_entry_fn entry, void *user, struct nc_walk_count *n)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	w.a = a;
	w.entry = entry;
	w.user = user;
	{
		char pnum[NVMF_TRSVCID_BUFSZ];
		struct addrinfo *ai;

		if (!seen(&w, a->c.t.o.traddr, a->c.t.o.trsvcid, pnum, &ai))
			record(&w, a->c.t.o.traddr, pnum, ai);
	}
	walk_log(&w, &a->c.t, 0);
	visited_free(&w);
	n->done = w.connected;
	n->skipped = w.skipped;
	n->failed = w.failed;
}
