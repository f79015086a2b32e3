/*
 * nvmf-fuse: the state record nvmfctl reads, and the pidfile.
 *
 * The record, its place in the runtime directory, its name and its keys
 * are tools/common/record.c's, which nvmfctl reads with: here the server
 * claims its name (--name, or the smallest free "nvmfN"), fills the record
 * from its connection and rewrites it on every change.
 */
#include "nvmf_fuse.h"
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int nf_state_rundir(char *buf, size_t len, char *err, size_t errlen)
{
	return tc_rundir_make(buf, len, err, errlen);
}

static void claim_failed(struct nf_ctx *x, int r, char *err, size_t errlen)
{
	char path[TC_RECORD_PATH_MAX];

	tc_record_path(x->rundir, x->name, path, sizeof(path));
	snprintf(err, errlen, "cannot create %s: %s", path, strerror(-r));
}

/* The name's record is stale, but its dead server's mount could not be
 * detached (tc_record_claim() kept the record, the mount's only handle). */
static void stale_busy(struct nf_ctx *x, int holder, char *err, size_t errlen)
{
	snprintf(err, errlen, "connection name '%s' belongs to nvmf-fuse pid %d, which no "
		 "longer runs, and its mount could not be detached: unmount it with "
		 TC_DETACH_CMD ", then 'nvmfctl disconnect %s'", x->name, holder, x->name);
}

int nf_state_claim(struct nf_ctx *x, char *err, size_t errlen)
{
	int holder = 0, r;

	if (x->cfg->name[0]) {
		snprintf(x->name, sizeof(x->name), "%s", x->cfg->name);
		r = tc_record_claim(x->rundir, x->name, &holder);
		if (r == -EEXIST)
			snprintf(err, errlen, "connection name '%s' is in use (nvmf-fuse pid %d)",
				 x->name, holder);
		else if (r == -EBUSY)
			stale_busy(x, holder, err, errlen);
		else if (r == -EAGAIN)
			snprintf(err, errlen, "connection name '%s': another process has held "
				 ".claim.lock for 30 s while removing its stale record; try again",
				 x->name);
		else if (r < 0)
			claim_failed(x, r, err, errlen);
		x->claimed = r == 0;
		return r;
	}
	for (int i = 0; i < 100000; i++) {
		snprintf(x->name, sizeof(x->name), "nvmf%d", i);
		r = tc_record_claim(x->rundir, x->name, &holder);
		if (r == 0) {
			x->claimed = true;
			return 0;
		}
		if (r == -EBUSY) {
			/* The dead server's mount stays, and so does its record
			 * (the mount's handle): the next name is as good. */
			char why[2 * TC_NAME_MAX + 256];

			stale_busy(x, holder, why, sizeof(why));
			fprintf(stderr, "nvmf-fuse: warning: %s; trying the next name\n", why);
			continue;
		}
		if (r == -EAGAIN) {
			fprintf(stderr, "nvmf-fuse: warning: %s: another process has held "
				".claim.lock for 30 s while removing its stale record; trying "
				"the next name\n", x->name);
			continue;
		}
		if (r != -EEXIST) {
			claim_failed(x, r, err, errlen);
			return r;
		}
	}
	snprintf(err, errlen, "no free connection name nvmfN in %s", x->rundir);
	return -EEXIST;
}

/* The namespaces, as the record lists them (none if they cannot be
 * listed: the record is still worth writing). */
static void fill_ns(struct nf_ctx *x, struct tc_record *rec)
{
	struct nf_ns *list = NULL;
	int n = nf_ns_list(x, &list);

	if (n <= 0) {
		free(list);	/* allocated for no namespace too */
		return;
	}
	rec->ns = calloc((size_t)n, sizeof(*rec->ns));
	if (!rec->ns) {
		free(list);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct tc_record_ns *ns = &rec->ns[i];

		ns->nsid = list[i].nsid;
		snprintf(ns->file, sizeof(ns->file), "%s/n%u", x->mountpoint, list[i].nsid);
		ns->size = list[i].size;
		ns->lba_size = list[i].lba_size;
		ns->read_only = list[i].read_only;
	}
	rec->nr_ns = n;
	free(list);
}

int nf_state_write(struct nf_ctx *x)
{
	const struct nvmf_opts *nv = &x->cfg->nv;
	struct nvmf_ctrl_state_info st;
	struct tc_record *rec;
	int r;

	if (!x->claimed)
		return 0;
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	snprintf(rec->name, sizeof(rec->name), "%s", x->name);
	rec->pid = (int)getpid();
	/* The library's own account of the outages: the record says what
	 * nvmf_ctrl_get_state() says, whatever events were coalesced. */
	if (x->ctrl && nvmf_ctrl_get_state(x->ctrl, &st) == 0) {
		snprintf(rec->state, sizeof(rec->state), "%s", nvmf_ctrl_state_str(st.state));
		rec->attempt = st.attempt;
		rec->max_attempts = st.max_attempts;
		snprintf(rec->last_error, sizeof(rec->last_error), "%s",
			 st.msg[0] ? st.msg : st.error ? strerror(-st.error) : "");
		rec->outages = st.outages;
		rec->reconnects = st.reconnects;
	} else {
		snprintf(rec->state, sizeof(rec->state), "unknown");
	}
	snprintf(rec->mountpoint, sizeof(rec->mountpoint), "%s", x->mountpoint);
	snprintf(rec->transport, sizeof(rec->transport), "tcp");
	snprintf(rec->address, sizeof(rec->address), "%s", nv->traddr);
	snprintf(rec->port, sizeof(rec->port), "%s", nv->trsvcid);
	snprintf(rec->subnqn, sizeof(rec->subnqn), "%s", nv->subnqn);
	snprintf(rec->hostnqn, sizeof(rec->hostnqn), "%s", nv->hostnqn);
	snprintf(rec->uri, sizeof(rec->uri), "%s", x->cfg->uri);
	rec->cntlid = x->info.cntlid;
	{
		/* The controller ID may change with each reconnect. */
		struct nvmf_ctrl_info info;

		if (x->ctrl && !strcmp(rec->state, "live") &&
		    nvmf_ctrl_get_info(x->ctrl, &info) == 0)
			rec->cntlid = info.cntlid;
	}
	rec->read_only = x->cfg->read_only;
	if (!x->ctrl || nvmf_ctrl_get_tls(x->ctrl, rec->tls, sizeof(rec->tls)) <= 0)
		/* Not connected yet (or not now): what was asked for. */
		snprintf(rec->tls, sizeof(rec->tls), "%s",
			 x->tls_requested ? "requested" : "none");
	fill_ns(x, rec);
	pthread_mutex_lock(&x->state_mu);
	r = x->claimed ? tc_record_write(x->rundir, rec) : 0;
	pthread_mutex_unlock(&x->state_mu);
	tc_record_release(rec);
	free(rec);
	if (r)
		fprintf(stderr, "nvmf-fuse: cannot write state record %s/%s.json: %s\n", x->rundir,
			x->name, strerror(-r));
	return r;
}

void nf_state_remove(struct nf_ctx *x)
{
	pthread_mutex_lock(&x->state_mu);
	if (x->claimed)
		tc_record_remove(x->rundir, x->name);
	x->claimed = false;
	pthread_mutex_unlock(&x->state_mu);
}

int nf_pidfile_write(const char *path, char *err, size_t errlen)
{
	char tmp[4200], buf[32];
	int fd, n, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(-r));
		return r;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(-r));
	}
	return r;
}
