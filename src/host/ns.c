/*
 * Namespaces: the scan, the table submitters read, and the identity check
 * after a reconnect.
 *
 * Namespace scan: Identify active namespace list (CNS 02h) then Identify
 * Namespace (CNS 00h) and the Namespace Identification Descriptor list
 * (CNS 03h) for each (Base 2.0, 5.17.2). A namespace whose data is
 * impossible or whose format the host cannot serve stays in the list,
 * marked unsupported with the reason.
 *
 * A namespace already known must be the same one in every scan: same NGUID,
 * EUI-64 and UUID (Base 2.0, 4.7.1: the namespace's globally unique
 * identifiers), and after a reconnect also the same size and block size. One
 * that is not stays in the list, unsupported, saying why, so its I/O fails
 * rather than landing on another namespace's blocks (nvmf.h, OUTAGES).
 *
 * What it is known to be is the identity of its last good Identify
 * Namespace, carried from table to table. A scan whose Identify Namespace
 * fails or reports NSZE 0 (an inactive NSID's data is zero filled, Base
 * 2.0, 5.17) learns nothing: the namespace is unavailable meanwhile
 * (unsupported, with the reason) but not forgotten, and the next good scan
 * is compared with the identity from before. Likewise a failed descriptor
 * list leaves the UUID unknown, not absent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctrl.h"

struct host_scan {
	struct nvmf_ctrl *c;
	bool reconnect;		/* the bring-up's scan after an outage */
	void (*done)(struct nvmf_ctrl *, int, void *);
	void *arg;
	uint8_t buf[HOST_IDENTIFY_LEN];
	uint32_t nsids[NVMF_NS_LIST_MAX];
	int n, i;
	struct host_ns_table *tab;
};

/*
 * What one namespace of a table is known to be (see the top): kept after
 * the table's UUIDs, in the same block (ns_ids()), so the table's layout
 * outside ns.c is that of ctrl.h. The UUID itself is t->uuid[i].
 */
struct ns_ident {
	uint64_t nsze;
	uint32_t lba_size;
	uint8_t  nguid[16];
	uint8_t  eui64[8];
	bool     known;		/* from a good Identify Namespace, this scan or an earlier one */
	bool     uuid_known;	/* t->uuid[i] is from a descriptor list that was read */
	bool     usable;	/* it was supported then: its LBA format must not change */
	bool     outage;	/* an outage passed since: the size must match too */
	bool     changed;	/* not the same namespace: for the life of the handle */
};

static struct ns_ident *ns_ids(const struct host_ns_table *t)
{
	return (struct ns_ident *)(void *)(t->uuid + t->n);
}

static void scan_next(struct host_scan *s);

static void changed_add(struct nvmf_ctrl *c, uint32_t nsid)
{
	if (c->nr_changed < sizeof(c->changed) / sizeof(c->changed[0]))
		c->changed[c->nr_changed] = nsid;
	c->nr_changed++;
}

static const struct nvmf_ns_info *table_find(const struct host_ns_table *t, uint32_t nsid,
					     int *idx)
{
	for (int i = 0; t && i < t->n; i++)
		if (t->ns[i].nsid == nsid) {
			*idx = i;
			return &t->ns[i];
		}
	return NULL;
}

/*
 * What differs between what a namespace was known to be and what this scan
 * found, or NULL: its identifiers (Base 2.0, 4.7.1) and the LBA format
 * always; after an outage also the size, which a live controller may change
 * in place (a resize is announced by a namespace notice) but which must not
 * differ across one. A live LBA format change (Format NVM) of a namespace
 * that was usable is refused too: the caller sized its buffers in blocks of
 * the old size, and a read of nlb blocks would bring nlb blocks of the new
 * one into them. One that was not usable (metadata, say) may be formatted
 * into a usable one: nobody sized anything for it. A UUID is compared only
 * when both lists were read: a failed read says nothing about it.
 */
static const char *identity_diff(const struct ns_ident *o, const uint8_t ou[16],
				 const struct ns_ident *n, const uint8_t nu[16], bool reconnect)
{
	bool outage = reconnect || o->outage;

	if (memcmp(o->nguid, n->nguid, sizeof(o->nguid)) != 0)
		return "NGUID";
	if (memcmp(o->eui64, n->eui64, sizeof(o->eui64)) != 0)
		return "EUI-64";
	if (o->uuid_known && n->uuid_known && memcmp(ou, nu, 16) != 0)
		return "UUID";
	/* The LBA format first: NSZE counts blocks, so a new format of the
	 * same bytes changes the size too. */
	if ((outage || o->usable) && o->lba_size != n->lba_size)
		return "LBA format";
	if (outage && o->nsze != n->nsze)
		return "size";
	return NULL;
}

#define NOT_SAME "not the same namespace"

/* The new table's entry ni takes over what the old one's oi was known to be. */
static void ident_carry(const struct host_ns_table *ot, int oi, struct host_ns_table *nt, int ni)
{
	ns_ids(nt)[ni] = ns_ids(ot)[oi];
	memcpy(nt->uuid[ni], ot->uuid[oi], 16);
}

/*
 * A namespace of the old table that is back under the same NSID must be the
 * same namespace. One that changed is kept unsupported with the reason, and
 * stays so in every later scan (its new identity is never adopted: the
 * host's I/O meant for the old one must not reach it). A scan that learned
 * nothing (Identify failed, NSZE 0) keeps what was known, so a different
 * namespace is still caught by the next good one, across outages too; a
 * UUID not read keeps the one known. c->changed lists what changed, added
 * and removed ones included, for the event after a reconnect.
 */
static void check_identity(struct nvmf_ctrl *c, const struct host_ns_table *ot,
			   struct host_ns_table *nt, bool reconnect)
{
	int oi, ni;

	c->nr_changed = 0;
	for (ni = 0; ni < nt->n; ni++) {
		struct nvmf_ns_info *n = &nt->ns[ni];
		struct ns_ident *nid = &ns_ids(nt)[ni];
		const struct ns_ident *oid;
		const char *what;

		if (!table_find(ot, n->nsid, &oi)) {
			changed_add(c, n->nsid);
			continue;
		}
		oid = &ns_ids(ot)[oi];
		if (oid->changed) {
			n->supported = false;
			snprintf(n->reason, sizeof(n->reason), "%s", ot->ns[oi].reason);
			ident_carry(ot, oi, nt, ni);
			continue;
		}
		if (!nid->known) {
			/* Unavailable for now, not forgotten. */
			ident_carry(ot, oi, nt, ni);
			if (reconnect)
				nid->outage = nid->known;
			continue;
		}
		if (!oid->known)
			continue;	/* its first good Identify: nothing to compare */
		what = identity_diff(oid, ot->uuid[oi], nid, nt->uuid[ni], reconnect);
		if (!what) {
			if (!nid->uuid_known && oid->uuid_known) {
				nid->uuid_known = true;
				memcpy(nt->uuid[ni], ot->uuid[oi], 16);
			}
			continue;
		}
		n->supported = false;
		snprintf(n->reason, sizeof(n->reason), NOT_SAME " %s (its %s changed)",
			 reconnect ? "after the reconnect" : "as before", what);
		host_log(NVMF_LOG_WARN, "namespace %u: %s: %llu blocks of %u bytes, now %llu of %u",
			 n->nsid, n->reason, (unsigned long long)oid->nsze, oid->lba_size,
			 (unsigned long long)nid->nsze, nid->lba_size);
		changed_add(c, n->nsid);
		/* Still the old one it is compared with, never this one. */
		ident_carry(ot, oi, nt, ni);
		nid->changed = true;
	}
	for (oi = 0; ot && oi < ot->n; oi++)
		if (!table_find(nt, ot->ns[oi].nsid, &ni))
			changed_add(c, ot->ns[oi].nsid);
}

static bool ident_equal(const struct ns_ident *a, const struct ns_ident *b)
{
	return a->nsze == b->nsze && a->lba_size == b->lba_size &&
	       memcmp(a->nguid, b->nguid, sizeof(a->nguid)) == 0 &&
	       memcmp(a->eui64, b->eui64, sizeof(a->eui64)) == 0 && a->known == b->known &&
	       a->uuid_known == b->uuid_known && a->usable == b->usable &&
	       a->outage == b->outage && a->changed == b->changed;
}

/* Same entries and identifiers: nothing to publish. */
static bool table_equal(const struct host_ns_table *a, const struct host_ns_table *b)
{
	if (!a || !b || a->n != b->n ||
	    memcmp(a->ns, b->ns, sizeof(a->ns[0]) * (size_t)a->n) != 0 ||
	    memcmp(a->uuid, b->uuid, 16 * (size_t)a->n) != 0)
		return false;
	for (int i = 0; i < a->n; i++)
		if (!ident_equal(&ns_ids(a)[i], &ns_ids(b)[i]))
			return false;
	return true;
}

/*
 * Free the replaced tables no reader can still be looking at. A reader
 * counts itself in ns_readers before it loads the table pointer and out
 * after its last use of an entry (host_ns_enter/exit). The new table was
 * published before this load of the count (both sequentially consistent),
 * so a reader that came in since sees the new one; a count of zero means
 * every reader that may have loaded an old one is gone. A nonzero count
 * leaves the tables for the next try: the next scan, and every Keep Alive
 * tick (keepalive.c), or the disconnect. Loop thread only.
 */
void host_ns_reap(struct nvmf_ctrl *c)
{
	if (!c->retired || atomic_load(&c->ns_readers) != 0)
		return;
	while (c->retired) {
		struct host_ns_table *t = c->retired;

		c->retired = t->retired_next;
		free(t);
	}
}

static void scan_finish(struct host_scan *s, int r)
{
	struct nvmf_ctrl *c = s->c;

	if (r == 0) {
		struct host_ns_table *old = atomic_load(&c->nstab);

		s->tab->n = s->n;
		check_identity(c, old, s->tab, s->reconnect);
		/* An unchanged scan (every reconnect of a flapping path)
		 * publishes nothing. A request checked against an older table
		 * is checked again at dispatch (its gen differs). */
		if (!table_equal(old, s->tab)) {
			s->tab->gen = ++c->ns_gen;
			old = atomic_exchange(&c->nstab, s->tab);
			if (old) {
				old->retired_next = c->retired;
				c->retired = old;
			}
			s->tab = NULL;
		}
		host_ns_reap(c);
	}
	if (s->done)
		s->done(c, r, s->arg);
	free(s->tab);
	free(s);
}

static int scan_submit(struct host_scan *s, uint8_t cns, uint32_t nsid, nvmf_completion_cb cb)
{
	struct host_req *req = host_req_new(s->c, true, "Identify");
	int64_t r;

	if (!req)
		return -ENOMEM;
	/* Aimed at the admin queue: the scan is also a step of the bring-up,
	 * while other admin commands are refused. */
	req->q = &s->c->admin;
	req->internal = true;
	host_sqe_init(&req->xc.sqe, NVMF_ADM_IDENTIFY, nsid);
	req->xc.sqe.cdw10 = nvmf_htole32(nvmf_identify_cdw10(cns, 0));
	req->xc.buf = s->buf;
	req->xc.len = HOST_IDENTIFY_LEN;
	req->xc.dir = XP_DIR_C2H;
	req->cb.cb = cb;
	req->cb.user = s;
	r = host_submit(req);
	return r < 0 ? (int)r : 0;
}

/*
 * Namespace Identification Descriptors (Base 2.0, 5.17.2.3, Figure 280):
 * NIDT, NIDL, 2 reserved bytes, NIDL bytes of NID; NIDT 04h is the Command
 * Set Identifier. A namespace of another command set (zoned, key value)
 * must not be used as a plain NVM namespace. Older controllers may not
 * support the list: then the namespace is taken as NVM.
 */
static void scan_desc_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct host_scan *s = user;
	struct nvmf_ns_info *ns = &s->tab->ns[s->i];

	(void)cookie;
	if (cpl->result < 0 && cpl->result != -EIO) {
		snprintf(s->c->scan_msg, sizeof(s->c->scan_msg), "%s", nvmf_completion_errmsg(cpl));
		scan_finish(s, cpl->result);
		return;
	}
	/* An error status: the UUID stays unknown (uuid_known false), which
	 * is not "no UUID" (Base 2.0, 4.7.1: a namespace's identifiers do not
	 * change; 5.17.2.3: the list is where a UUID is reported). */
	if (cpl->result == 0) {
		int csi = host_parse_ns_desc(s->buf, HOST_IDENTIFY_LEN, s->tab->uuid[s->i]);

		ns_ids(s->tab)[s->i].uuid_known = true;
		if (csi > 0) {
			ns->supported = false;
			ns_ids(s->tab)[s->i].usable = false;
			snprintf(ns->reason, sizeof(ns->reason),
				 "command set %d is not the NVM command set", csi);
			host_dbg("namespace %u unsupported: %s", ns->nsid, ns->reason);
		}
	}
	s->i++;
	scan_next(s);
}

/*
 * What a good Identify Namespace says the namespace is. Impossible data
 * (host_parse_id_ns() failed) and NSZE 0 (the zeroes of an inactive NSID)
 * say nothing: the identity stays unknown for this scan.
 */
static void ident_learn(struct ns_ident *id, const struct nvmf_ns_info *ns)
{
	id->known = true;
	id->nsze = ns->nsze;
	id->lba_size = ns->lba_size;
	id->usable = ns->supported;
	memcpy(id->nguid, ns->nguid, sizeof(id->nguid));
	memcpy(id->eui64, ns->eui64, sizeof(id->eui64));
}

static void scan_ns_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct host_scan *s = user;
	struct nvmf_ns_info *ns = &s->tab->ns[s->i];
	uint32_t nsid = s->nsids[s->i];
	char st[128];

	(void)cookie;
	if (cpl->result < 0 && cpl->result != -EIO) {
		snprintf(s->c->scan_msg, sizeof(s->c->scan_msg), "%s", nvmf_completion_errmsg(cpl));
		scan_finish(s, cpl->result);
		return;
	}
	if (cpl->result == -EIO) {
		memset(ns, 0, sizeof(*ns));
		ns->nsid = nsid;
		snprintf(ns->reason, sizeof(ns->reason), "Identify Namespace failed: %s",
			 nvmf_status_format(cpl->status, st, sizeof(st)));
	} else if (host_parse_id_ns(s->buf, nsid, &s->c->info, ns) < 0) {
		ns->supported = false;
		host_log(NVMF_LOG_WARN, "%s", nvmf_get_error());
	} else if (ns->nsze != 0) {
		ident_learn(&ns_ids(s->tab)[s->i], ns);
	}
	if (ns->supported) {
		/* Which command set? (Namespace Identification Descriptor list). */
		int r = scan_submit(s, NVMF_CNS_NS_DESC_LIST, nsid, scan_desc_done);

		if (r < 0)
			scan_finish(s, r);
		return;
	}
	host_dbg("namespace %u unsupported: %s", nsid, ns->reason);
	s->i++;
	scan_next(s);
}

static void scan_next(struct host_scan *s)
{
	int r;

	if (s->i >= s->n) {
		scan_finish(s, 0);
		return;
	}
	r = scan_submit(s, NVMF_CNS_NS, s->nsids[s->i], scan_ns_done);
	if (r < 0)
		scan_finish(s, r);
}

static void scan_list_done(void *user, uint64_t cookie, const struct nvmf_completion *cpl)
{
	struct host_scan *s = user;
	int n;

	(void)cookie;
	if (cpl->result < 0) {
		char st[128];

		if (cpl->result == -EIO)
			host_log(NVMF_LOG_ERROR, "Identify active namespace list failed: %s",
				 nvmf_status_format(cpl->status, st, sizeof(st)));
		snprintf(s->c->scan_msg, sizeof(s->c->scan_msg), "%s", nvmf_completion_errmsg(cpl));
		scan_finish(s, cpl->result);
		return;
	}
	n = host_parse_ns_list(s->buf, s->nsids, NVMF_NS_LIST_MAX);
	if (n < 0) {
		snprintf(s->c->scan_msg, sizeof(s->c->scan_msg), "%s", nvmf_get_error());
		scan_finish(s, n);
		return;
	}
	s->n = n;
	/* The UUIDs follow the entries in the same block, then what each
	 * namespace is known to be (ns_ids()). */
	s->tab = calloc(1, sizeof(*s->tab) + (size_t)n * (sizeof(s->tab->ns[0]) + 16 +
							  sizeof(struct ns_ident)));
	if (!s->tab) {
		scan_finish(s, -ENOMEM);
		return;
	}
	s->tab->n = n;
	s->tab->uuid = (uint8_t (*)[16])(void *)(s->tab->ns + n);
	scan_next(s);
}

void host_rescan_start(struct nvmf_ctrl *c, bool reconnect,
		       void (*done)(struct nvmf_ctrl *, int, void *), void *arg)
{
	struct host_scan *s = calloc(1, sizeof(*s));
	int r;

	if (!s) {
		if (done)
			done(c, -ENOMEM, arg);
		return;
	}
	c->scan_msg[0] = '\0';
	s->c = c;
	s->reconnect = reconnect;
	s->done = done;
	s->arg = arg;
	r = scan_submit(s, NVMF_CNS_ACTIVE_NS_LIST, 0, scan_list_done);
	if (r < 0)
		scan_finish(s, r);
}

/* ---- nvmf_rescan and the namespace accessors -------------------------------------- */

static void rescan_call_done(struct nvmf_ctrl *c, int r, void *arg)
{
	struct host_call *call = arg;

	if (r < 0)
		host_call_fail(call, r, "namespace scan failed: %.400s",
			       c->scan_msg[0] ? c->scan_msg : strerror(-r));
	else
		host_call_done(call, 0);
}

static void rescan_fn(struct host_call *call)
{
	struct nvmf_ctrl *c = call->c;

	/* Only a live controller: the bring-up scans by itself, and its scan
	 * is the one that checks the namespaces after an outage. */
	if (c->state != NVMF_CTRL_LIVE) {
		host_call_fail(call, -ECONNRESET, "nvmf_rescan: the controller is %s: %.400s",
			       nvmf_ctrl_state_str(c->state), c->last_msg);
		return;
	}
	host_rescan_start(c, false, rescan_call_done, call);
}

int nvmf_rescan(struct nvmf_ctrl *c)
{
	struct host_call call;
	bool discovery;

	host_err_clear();
	if (!c)
		return host_err(EINVAL, "nvmf_rescan: NULL controller");
	/* c->info is the I/O thread's: a reconnect may be rewriting it. */
	pthread_mutex_lock(&c->st_mu);
	discovery = c->info.discovery;
	pthread_mutex_unlock(&c->st_mu);
	if (discovery)
		return 0;
	return host_call(c, rescan_fn, NULL, &call);
}

void host_ns_enter(struct nvmf_ctrl *c)
{
	atomic_fetch_add(&c->ns_readers, 1);
}

void host_ns_exit(struct nvmf_ctrl *c)
{
	atomic_fetch_sub_explicit(&c->ns_readers, 1, memory_order_release);
}

const struct nvmf_ns_info *host_ns_lookup(struct nvmf_ctrl *c, uint32_t nsid)
{
	return host_ns_lookup_gen(c, nsid, NULL);
}

const struct nvmf_ns_info *host_ns_lookup_gen(struct nvmf_ctrl *c, uint32_t nsid,
					      uint64_t *gen)
{
	struct host_ns_table *t = atomic_load(&c->nstab);
	int lo = 0, hi;

	if (gen)
		*gen = t ? t->gen : 0;
	if (!t)
		return NULL;
	hi = t->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;

		if (t->ns[mid].nsid == nsid)
			return &t->ns[mid];
		if (t->ns[mid].nsid < nsid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

void host_ns_free_all(struct nvmf_ctrl *c)
{
	free(atomic_exchange(&c->nstab, NULL));
	while (c->retired) {
		struct host_ns_table *t = c->retired;

		c->retired = t->retired_next;
		free(t);
	}
}

static void retired_fn(struct host_call *call)
{
	int n = 0;

	for (struct host_ns_table *t = call->c->retired; t; t = t->retired_next)
		n++;
	host_call_done(call, n);
}

int host_ns_retired(struct nvmf_ctrl *c)
{
	struct host_call call;

	return host_call(c, retired_fn, NULL, &call);
}

int nvmf_get_namespaces(struct nvmf_ctrl *c, struct nvmf_ns_info **list)
{
	struct host_ns_table *t;
	int n;

	host_err_clear();
	if (!c || !list)
		return host_err(EINVAL, "nvmf_get_namespaces: NULL argument");
	host_ns_enter(c);
	t = atomic_load(&c->nstab);
	n = t ? t->n : 0;
	*list = malloc(sizeof(**list) * (size_t)(n ? n : 1));
	if (*list && n)
		memcpy(*list, t->ns, sizeof(**list) * (size_t)n);
	host_ns_exit(c);
	if (!*list)
		return host_err(ENOMEM, "out of memory");
	return n;
}

int nvmf_get_ns_info(struct nvmf_ctrl *c, uint32_t nsid, struct nvmf_ns_info *info)
{
	const struct nvmf_ns_info *ns;

	host_err_clear();
	if (!c || !info)
		return host_err(EINVAL, "nvmf_get_ns_info: NULL argument");
	host_ns_enter(c);
	ns = host_ns_lookup(c, nsid);
	if (ns)
		*info = *ns;
	host_ns_exit(c);
	if (!ns)
		return host_err(ENOENT, "namespace %u is not active on the controller", nsid);
	return 0;
}
