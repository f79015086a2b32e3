/*
 * nvmf-fuse: the namespace table and how controller events change it.
 *
 * A namespace attribute notice (NVMe Base 2.0, 5.2 Asynchronous Event
 * Request, Notice 00h) makes the library rescan and report
 * NVMF_EVENT_NS_CHANGED; files then appear, vanish or change size. The
 * kernel caches lookups and attributes, so every change is followed by an
 * invalidation. Those are sent from a thread of our own: an invalidation
 * can make the kernel write back or wait on requests that only the
 * library's I/O thread, where events arrive, could complete.
 *
 * The outage events (CONN_LOST or FATAL, RECONNECTING, RECONNECTED,
 * GAVE_UP: nvmf.h, OUTAGES) each print one line on stderr and wake the
 * same thread, which rewrites the state record and rescans: a namespace
 * whose identity changed across a reconnect comes back unsupported, and
 * its file goes away like that of a namespace removed.
 */
#include "nvmf_fuse.h"

#include "escape.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum { CH_ADDED = 1, CH_REMOVED = 2, CH_RESIZED = 4 };

/* Room for why a namespace is not served. */
#define NS_WHY_MAX 160

struct ns_change {
	uint32_t nsid;
	fuse_ino_t ino;			/* of the incarnation concerned */
	int      what;
	char     reason[NS_WHY_MAX];	/* CH_REMOVED while still active: why not served */
};

/* Why a listed namespace cannot be a file here, or NULL if it can. */
static const char *unservable(struct nf_ctx *x, const struct nvmf_ns_info *ni, char *buf,
			      size_t len)
{
	uint32_t limit = atomic_load(&x->ctrl_xfer);

	if (!ni->supported)
		return ni->reason[0] ? ni->reason : "not supported";
	if (ni->lba_size == 0)
		return "no block size";
	/* Every Read and Write moves whole blocks, at most MDTS bytes (NVMe
	 * Base 2.0, 5.15.2.1; the library refuses a larger one): a block
	 * beyond it could never be read or written, each read failing EIO. */
	if (limit && ni->lba_size > limit) {
		snprintf(buf, len, "its block size, %u bytes, exceeds the controller's transfer "
			 "limit (MDTS), %u bytes", ni->lba_size, limit);
		return buf;
	}
	/* A file's size and offsets are off_t: 2^63 bytes or more would
	 * show as a negative size, which the kernel refuses (EIO on stat). */
	if (ni->size > (uint64_t)INT64_MAX) {
		snprintf(buf, len, "its size, %llu bytes, is beyond a file's (2^63 - 1)",
			 (unsigned long long)ni->size);
		return buf;
	}
	return NULL;
}

static bool wanted(struct nf_ctx *x, const struct nvmf_ns_info *ni)
{
	char buf[NS_WHY_MAX];

	if (x->cfg->nv.nsid && ni->nsid != x->cfg->nv.nsid)
		return false;
	return unservable(x, ni, buf, sizeof(buf)) == NULL;
}

static void fill(struct nf_ctx *x, struct nf_ns *ns, const struct nvmf_ns_info *ni)
{
	ns->nsid = ni->nsid;
	ns->present = true;
	ns->size = ni->size;
	ns->lba_size = ni->lba_size;
	ns->read_only = ni->read_only || x->cfg->read_only;
	ns->write_zeroes = ni->write_zeroes;
	ns->write_zeroes_deac = ni->write_zeroes_deac;
	ns->deallocate = ni->deallocate;
	ns->dealloc_zeroes = ni->dealloc_zeroes;
	ns->vwc = ni->vwc;
}

static struct nf_ns *find_locked(struct nf_ctx *x, uint32_t nsid)
{
	for (int i = 0; i < x->nr_ns; i++)
		if (x->ns[i]->nsid == nsid)
			return x->ns[i];
	return NULL;
}

static int insert_locked(struct nf_ctx *x, const struct nvmf_ns_info *ni)
{
	struct nf_ns **grown, *ns = calloc(1, sizeof(*ns));
	int i;

	if (!ns)
		return -ENOMEM;
	grown = realloc(x->ns, sizeof(*x->ns) * (size_t)(x->nr_ns + 1));
	if (!grown || rl_init(&ns->locks) < 0) {
		free(ns);
		if (grown)
			x->ns = grown;
		return -ENOMEM;
	}
	x->ns = grown;
	fill(x, ns, ni);
	ns->gen = 1;
	atomic_store(&ns->live_gen, ns->gen);
	for (i = x->nr_ns; i > 0 && x->ns[i - 1]->nsid > ni->nsid; i--)
		x->ns[i] = x->ns[i - 1];
	x->ns[i] = ns;
	x->nr_ns++;
	return 0;
}

/* Apply a fresh snapshot; records what changed in ch (at most max). */
static int apply(struct nf_ctx *x, const struct nvmf_ns_info *list, int n,
		 struct ns_change *ch, int max)
{
	int nch = 0;

	pthread_rwlock_wrlock(&x->ns_lock);
	for (int i = 0; i < x->nr_ns; i++) {
		struct nf_ns *ns = x->ns[i];
		const struct nvmf_ns_info *still = NULL;	/* listed, maybe unsupported */
		bool found = false;
		char buf[NS_WHY_MAX];

		for (int j = 0; j < n && !found; j++) {
			found = list[j].nsid == ns->nsid && wanted(x, &list[j]);
			if (list[j].nsid == ns->nsid)
				still = &list[j];
		}
		if (!found && ns->present) {
			ns->present = false;
			ns->gone = still == NULL;
			atomic_store(&ns->live_gen, 0);
			if (nch < max) {
				ch[nch] = (struct ns_change){ ns->nsid, nf_ns_ino(ns->nsid, ns->gen),
							      CH_REMOVED, "" };
				if (still && unservable(x, still, buf, sizeof(buf)))
					snprintf(ch[nch].reason, sizeof(ch[nch].reason), "%s",
						 unservable(x, still, buf, sizeof(buf)));
				nch++;
			}
		}
	}
	for (int j = 0; j < n; j++) {
		struct nf_ns *ns;

		if (!wanted(x, &list[j]))
			continue;
		ns = find_locked(x, list[j].nsid);
		if (!ns) {
			if (insert_locked(x, &list[j]) < 0)
				continue;
			if (nch < max)
				ch[nch++] = (struct ns_change){ list[j].nsid,
								nf_ns_ino(list[j].nsid, 1),
								CH_ADDED, "" };
		} else if (!ns->present || ns->size != list[j].size ||
			   ns->lba_size != list[j].lba_size ||
			   ns->read_only != (list[j].read_only || x->cfg->read_only)) {
			int what = ns->present ? CH_RESIZED : CH_ADDED;

			/* Back after it left the controller's list: whatever
			 * the controller now has at this NSID is served under
			 * a new inode, and the descriptors of the old one keep
			 * failing (Linux, too, makes a new block device of a
			 * namespace attached again). One that was only
			 * unusable for a while is the same namespace (the
			 * library compared its identity). */
			if (!ns->present && ns->gone)
				ns->gen++;
			ns->gone = false;
			fill(x, ns, &list[j]);
			atomic_store(&ns->live_gen, ns->gen);
			if (nch < max)
				ch[nch++] = (struct ns_change){ ns->nsid, nf_ns_ino(ns->nsid, ns->gen),
								what, "" };
		}
	}
	pthread_rwlock_unlock(&x->ns_lock);
	return nch;
}

int nf_ns_load(struct nf_ctx *x)
{
	struct nvmf_ns_info *list = NULL;
	struct ns_change ch[1];
	int n;

	if (!x->start_time)
		x->start_time = time(NULL);
	n = nvmf_get_namespaces(x->ctrl, &list);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		char buf[NS_WHY_MAX];
		const char *why = unservable(x, &list[i], buf, sizeof(buf));

		if (why && (!x->cfg->nv.nsid || list[i].nsid == x->cfg->nv.nsid))
			fprintf(stderr, "nvmf-fuse: namespace %u not served: %s\n", list[i].nsid,
				why);
	}
	apply(x, list, n, ch, 0);
	nvmf_free(list);
	return 0;
}

struct nf_ns *nf_ns_get(struct nf_ctx *x, fuse_ino_t ino, struct nf_ns *copy)
{
	struct nf_ns *ns;

	uint64_t low = ino & 0xffffffffu;

	if (ino <= FUSE_ROOT_ID || low < 2)
		return NULL;
	pthread_rwlock_rdlock(&x->ns_lock);
	ns = find_locked(x, (uint32_t)(low - 1));
	if (ns && (!ns->present || nf_ns_ino(ns->nsid, ns->gen) != ino))
		ns = NULL;
	if (ns && copy)
		memcpy(copy, ns, sizeof(*copy));
	pthread_rwlock_unlock(&x->ns_lock);
	return ns;
}

struct nf_ns *nf_ns_by_name(struct nf_ctx *x, const char *name, struct nf_ns *copy)
{
	unsigned long v;
	char *end;

	/* "n<NSID>", decimal, no leading zeros or signs. */
	if (name[0] != 'n' || name[1] < '1' || name[1] > '9')
		return NULL;
	errno = 0;
	v = strtoul(name + 1, &end, 10);
	if (errno || *end || v == 0 || v > UINT32_MAX)
		return NULL;
	return nf_ns_live(x, (uint32_t)v, copy);
}

struct nf_ns *nf_ns_live(struct nf_ctx *x, uint32_t nsid, struct nf_ns *copy)
{
	struct nf_ns *ns;

	pthread_rwlock_rdlock(&x->ns_lock);
	ns = find_locked(x, nsid);
	if (ns && !ns->present)
		ns = NULL;
	if (ns && copy)
		memcpy(copy, ns, sizeof(*copy));
	pthread_rwlock_unlock(&x->ns_lock);
	return ns;
}

int nf_ns_list(struct nf_ctx *x, struct nf_ns **out)
{
	int n = 0;

	pthread_rwlock_rdlock(&x->ns_lock);
	*out = calloc((size_t)(x->nr_ns ? x->nr_ns : 1), sizeof(**out));
	if (!*out) {
		pthread_rwlock_unlock(&x->ns_lock);
		return -ENOMEM;
	}
	for (int i = 0; i < x->nr_ns; i++)
		if (x->ns[i]->present)
			memcpy(&(*out)[n++], x->ns[i], sizeof(**out));
	pthread_rwlock_unlock(&x->ns_lock);
	return n;
}

void nf_ns_stat(const struct nf_ctx *x, const struct nf_ns *ns, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)nf_ns_ino(ns->nsid, ns->gen);
	st->st_mode = S_IFREG | (ns->read_only ? 0400 : 0600);
	st->st_nlink = 1;
	st->st_uid = x->uid;
	st->st_gid = x->gid;
	st->st_size = (off_t)ns->size;
	st->st_blksize = ns->lba_size < 4096 ? 4096 : (blksize_t)ns->lba_size;
	st->st_blocks = (blkcnt_t)(ns->size / 512);
	st->st_atime = st->st_mtime = st->st_ctime = x->start_time;
}

/* One line on stderr, escaped whole: the library's text may quote what the
 * target sent. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[1024], esc[TC_ESC_SIZE(1024)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "nvmf-fuse: %s\n", tc_escape(esc, sizeof(esc), line));
}

static const char *why(const struct nvmf_event *ev)
{
	if (ev->msg && ev->msg[0])
		return ev->msg;
	return ev->error ? strerror(-ev->error) : "no reason given";
}

/* " of 60", or "" without a limit. */
static const char *of_max(const struct nvmf_event *ev, char *buf, size_t len)
{
	if (ev->max_attempts)
		snprintf(buf, len, " of %u", ev->max_attempts);
	else
		buf[0] = '\0';
	return buf;
}

/* 131072 bytes, or "none". */
static const char *xfer_str(uint32_t limit, char *buf, size_t len)
{
	if (limit)
		snprintf(buf, len, "%u bytes", limit);
	else
		snprintf(buf, len, "none");
	return buf;
}

/*
 * Read the transfer limit of the new connection before the library replays
 * the held I/O and before the rescan this event starts, which stops serving
 * a namespace whose block no longer fits one command (unservable()); later
 * requests are cut to the new limit (op.c).
 */
static void xfer_changed(struct nf_ctx *x)
{
	uint32_t now, was;
	char a[32], b[32];

	/* Compared with the limit last reported, not ctrl_xfer: a refused
	 * submission may have refreshed that already (op.c). */
	nf_xfer_refresh(x);
	now = atomic_load(&x->ctrl_xfer);
	was = atomic_exchange(&x->xfer_said, now);
	if (now != was)
		say("the controller's transfer limit (MDTS) is now %s (it was %s)",
		    xfer_str(now, a, sizeof(a)), xfer_str(was, b, sizeof(b)));
}

void nf_ns_event(void *user, const struct nvmf_event *ev)
{
	struct nf_ctx *x = user;
	int tmo = x->cfg->nv.ctrl_loss_tmo;
	char of[32];

	/* Library I/O thread: no blocking beyond a short mutex and a line on
	 * stderr. The library prints nothing itself: these lines are how the
	 * user (-f) follows an outage; the state record keeps the rest. */
	switch (ev->type) {
	case NVMF_EVENT_CONN_LOST:
	case NVMF_EVENT_FATAL:
		if (tmo == 0)
			say("%s: %s; not reconnecting (ctrl_loss_tmo 0)",
			    ev->type == NVMF_EVENT_FATAL ? "controller failed" : "connection lost",
			    why(ev));
		else if (tmo < 0)
			say("%s: %s; reconnecting (ctrl_loss_tmo -1: for ever)",
			    ev->type == NVMF_EVENT_FATAL ? "controller failed" : "connection lost",
			    why(ev));
		else
			say("%s: %s; reconnecting (ctrl_loss_tmo %d s)",
			    ev->type == NVMF_EVENT_FATAL ? "controller failed" : "connection lost",
			    why(ev), tmo);
		break;
	case NVMF_EVENT_RECONNECTING:
		/* The first attempt's msg is the loss, said a line above. */
		if (ev->attempt <= 1)
			say("reconnecting: attempt %u%s", ev->attempt, of_max(ev, of, sizeof(of)));
		else
			say("reconnecting: attempt %u%s; attempt %u: %s", ev->attempt,
			    of_max(ev, of, sizeof(of)), ev->attempt - 1, why(ev));
		break;
	case NVMF_EVENT_RECONNECTED:
		say("reconnected after %u attempt%s", ev->attempt, ev->attempt == 1 ? "" : "s");
		xfer_changed(x);
		break;
	case NVMF_EVENT_GAVE_UP:
		say("gave up: %s; I/O fails with EIO (SIGUSR1 or 'nvmfctl reconnect' tries "
		    "again)", why(ev));
		break;
	default:
		break;
	}
	pthread_mutex_lock(&x->ev_mu);
	switch (ev->type) {
	case NVMF_EVENT_NS_CHANGED:
	case NVMF_EVENT_CONN_LOST:
	case NVMF_EVENT_FATAL:
	case NVMF_EVENT_RECONNECTING:
	case NVMF_EVENT_RECONNECTED:
	case NVMF_EVENT_GAVE_UP:
		x->ev_rescan = true;	/* rescan, rewrite the state record */
		break;
	default:
		break;
	}
	pthread_cond_signal(&x->ev_cv);
	pthread_mutex_unlock(&x->ev_mu);
}

void nf_ns_poke(struct nf_ctx *x)
{
	pthread_mutex_lock(&x->ev_mu);
	x->ev_rescan = true;
	pthread_cond_signal(&x->ev_cv);
	pthread_mutex_unlock(&x->ev_mu);
}

static void invalidate(struct nf_ctx *x, const struct ns_change *ch, int n)
{
	char name[16];

	if (!x->se)
		return;
	for (int i = 0; i < n; i++) {
		fuse_ino_t ino = ch[i].ino;

		snprintf(name, sizeof(name), "n%u", ch[i].nsid);
		if (ch[i].what & CH_REMOVED) {
			fuse_lowlevel_notify_delete(x->se, FUSE_ROOT_ID, ino, name, strlen(name));
			fuse_lowlevel_notify_inval_entry(x->se, FUSE_ROOT_ID, name, strlen(name));
		} else if (ch[i].what & CH_ADDED) {
			/* A negative lookup may be cached. */
			fuse_lowlevel_notify_inval_entry(x->se, FUSE_ROOT_ID, name, strlen(name));
			fuse_lowlevel_notify_inval_inode(x->se, ino, 0, 0);
		} else {
			/* New size: attributes and cached pages beyond it. */
			fuse_lowlevel_notify_inval_inode(x->se, ino, 0, 0);
		}
	}
	if (n)
		fuse_lowlevel_notify_inval_inode(x->se, FUSE_ROOT_ID, 0, 0);
}

static void *ev_main(void *arg)
{
	struct nf_ctx *x = arg;

	pthread_mutex_lock(&x->ev_mu);
	for (;;) {
		struct nvmf_ns_info *list = NULL;
		struct ns_change ch[64];
		int n, nch = 0;

		while (!x->ev_rescan && !x->ev_stop)
			pthread_cond_wait(&x->ev_cv, &x->ev_mu);
		if (x->ev_stop)
			break;
		x->ev_rescan = false;
		pthread_mutex_unlock(&x->ev_mu);
		n = nvmf_get_namespaces(x->ctrl, &list);
		if (n >= 0) {
			nch = apply(x, list, n, ch, (int)(sizeof(ch) / sizeof(ch[0])));
			nvmf_free(list);
		}
		/* Every change gets its line: a descriptor whose I/O fails
		 * has its reason on record. */
		for (int i = 0; i < nch; i++) {
			if ((ch[i].what & CH_REMOVED) && ch[i].reason[0])
				say("namespace %u removed: %s", ch[i].nsid, ch[i].reason);
			else if (ch[i].what & CH_REMOVED)
				say("namespace %u removed by the controller: n%u is gone and I/O "
				    "on it fails", ch[i].nsid, ch[i].nsid);
			else if ((ch[i].what & CH_ADDED) && (ch[i].ino >> 32))
				say("namespace %u attached again: a new n%u (descriptors of the "
				    "old one keep failing)", ch[i].nsid, ch[i].nsid);
			else if (ch[i].what & CH_ADDED)
				say("namespace %u added: n%u", ch[i].nsid, ch[i].nsid);
		}
		invalidate(x, ch, nch);
		nf_state_write(x);
		pthread_mutex_lock(&x->ev_mu);
	}
	pthread_mutex_unlock(&x->ev_mu);
	return NULL;
}

int nf_ns_thread_start(struct nf_ctx *x)
{
	int r = pthread_create(&x->ev_thread, NULL, ev_main, x);

	if (r)
		return -r;
	x->ev_started = true;
	return 0;
}

void nf_ns_thread_stop(struct nf_ctx *x)
{
	if (!x->ev_started)
		return;
	pthread_mutex_lock(&x->ev_mu);
	x->ev_stop = true;
	pthread_cond_signal(&x->ev_cv);
	pthread_mutex_unlock(&x->ev_mu);
	pthread_join(x->ev_thread, NULL);
	x->ev_started = false;
}

void nf_ns_free(struct nf_ctx *x)
{
	for (int i = 0; i < x->nr_ns; i++) {
		rl_destroy(&x->ns[i]->locks);
		free(x->ns[i]);
	}
	free(x->ns);
	x->ns = NULL;
	x->nr_ns = 0;
}
