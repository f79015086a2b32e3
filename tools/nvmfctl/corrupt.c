/*
 * nvmfctl disconnect of a corrupt state record: a <name>.json that is not
 * a record (cut short, garbled: a crash, a full disk, a hand edit) still
 * holds its name and may stand for a server whose mount is there, so
 * disconnect NAME (or -d NAME, or disconnect-all) removes it.
 *
 * Nothing in it is trusted: a pid it shows may be anyone's by now, so no
 * process is signalled. What its name tells is the default mount point
 * <rundir>/<name>: an nvmf-fuse mount there that no live connection's
 * record names is unmounted the ordinary way (disconnect.c's), refused
 * while in use unless -f, which detaches it lazily (a live connection's -f
 * signals its server instead, whose pid is known); a server behind it
 * sees its session end and exits as on SIGTERM. A mount point of its own
 * (-m) is not known. What is read from the file is only trusted to say it
 * is corrupt: a file that cannot be read now (EACCES, EIO...) is kept.
 */
#include "nvmfctl.h"
#include "mount.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* nc_records_load_ex()'s bad: every corrupt file kept, without a warning
 * (one not named is not this command's business). One that cannot be read
 * now (err not tc_record_err_corrupt()) is kept too: named, it gets
 * nc_remove_corrupt()'s "cannot read the record ...: it is kept" rather
 * than "no connection named". */
void nc_add_corrupt(void *arg, const char *path, const char *why, int err)
{
	struct nc_corrupt_list *cl = arg;
	const char *base = strrchr(path, '/');
	struct nc_corrupt *v, *c;

	if (!base)
		return;	/* then named, it is "no connection named": nothing is touched */
	v = realloc(cl->v, (size_t)(cl->n + 1) * sizeof(*v));
	if (!v)
		return;	/* the same */
	cl->v = v;
	c = &v[cl->n++];
	memset(c, 0, sizeof(*c));
	/* "<dir>/<name>.json": the only files tc_records_load_ex() reads. */
	snprintf(c->r.name, sizeof(c->r.name), "%.*s", (int)strlen(base + 1) - 5, base + 1);
	snprintf(c->r.path, sizeof(c->r.path), "%s", path);
	snprintf(c->r.mountpoint, sizeof(c->r.mountpoint), "%.*s/%s", (int)(base - path), path,
		 c->r.name);
	snprintf(c->r.state, sizeof(c->r.state), "corrupt");
	c->r.cntlid = -1;
	snprintf(c->why, sizeof(c->why), "%s", why);
	(void)err;
}

/* Is path still no record? 1 (corrupt: empty, not a record's JSON, or too
 * large), 0 (a record now: its server wrote it whole meanwhile), -ENOENT
 * (gone), or another negative errno: it cannot be read now (EACCES, EIO,
 * EMFILE, ENOMEM...), which says nothing of what it holds, so it is not to
 * be removed; why then says what failed. */
static int still_corrupt(const char *path, char *why, size_t len)
{
	struct tc_record r;
	int e = tc_record_load_why(path, &r, why, len);

	if (e == 0)
		tc_record_release(&r);
	return tc_record_err_corrupt(e) ? 1 : e;
}

/* The live connection of list mounted at mp, if any. */
static const struct tc_record *live_at(const struct tc_record *list, int n, const char *mp)
{
	for (int i = 0; i < n; i++)
		if (list[i].alive && !strcmp(list[i].mountpoint, mp))
			return &list[i];
	return NULL;
}

/*
 * Unmount the default mount point of the corrupt record r, as the file's
 * header says; what was done into done. 0; NC_EXIT_FAIL after a message
 * (the record is kept); -EINTR after a message when interrupted.
 */
static int unmount_corrupt(const struct tc_record *list, int n, const struct tc_record *r,
			   bool force, char *done, size_t len)
{
	const struct tc_record *other = live_at(list, n, r->mountpoint);
	char why[TC_PATH_MAX + 600] = "";
	int e;

	if (!tc_nvmf_mounted(r->mountpoint)) {
		snprintf(done, len, "%s was not mounted (a mount point given with -m cannot be "
			 "read from it)", r->mountpoint);
		return 0;
	}
	if (other) {
		snprintf(done, len, "%s, connection %s's mount, is left mounted", r->mountpoint,
			 other->name);
		return 0;
	}
	nc_flush_stdout();	/* a failure is kept for main()'s final check */
	fflush(NULL);
	if (force) {
		tc_set_detach_wait(nc_detach_wait);
		e = tc_nvmf_detach(r->mountpoint);
	} else {
		e = nc_unmount_checked(r->mountpoint, why, sizeof(why));
	}
	if (e == -EINTR) {
		nc_err("%s: interrupted while unmounting %s: stopped %s; the corrupt record %s is "
		       "kept", r->name, r->mountpoint, force ? TC_DETACH_CMD : "fusermount3 -u",
		       r->path);
		return -EINTR;
	}
	if (e == -ETIMEDOUT)
		snprintf(why, sizeof(why), TC_DETACH_CMD " did not finish within %d s: stopped "
			 "it", TC_DETACH_TIMEOUT_S);
	if (force && e == -EBUSY) {
		snprintf(why, sizeof(why), "still mounted after " TC_DETACH_CMD);
		e = -EIO;
	}
	if (e < 0) {
		nc_unmount_err(r, e, why);
		return NC_EXIT_FAIL;
	}
	snprintf(done, len, "%s %s", force ? "detached" : "unmounted", r->mountpoint);
	return 0;
}

/*
 * Remove the corrupt record c with what its name tells (the file's header),
 * under <rundir>/.claim.lock, held by whoever removes a record that is not
 * their own, and only while the file is still no record. NC_EXIT_OK, or
 * NC_EXIT_FAIL after a message; interrupted, it dies of the signal.
 */
int nc_remove_corrupt(const struct tc_record *list, int n, const struct nc_corrupt *c,
			  bool force)
{
	const struct tc_record *r = &c->r;
	char lock[TC_RECORD_PATH_MAX + 16], done[TC_PATH_MAX + 160], why[160];
	const char *file = "removed it";
	int fd, e;

	snprintf(lock, sizeof(lock), "%.*s/.claim.lock", (int)(strrchr(r->path, '/') - r->path),
		 r->path);
	fd = tc_lock_take(lock, 30);
	if (fd == -ETIMEDOUT) {
		nc_err("%s: another process has held .claim.lock for 30 s; the corrupt record "
		       "%s is kept: try again", r->name, r->path);
		return NC_EXIT_FAIL;
	}
	/* Otherwise a lock that cannot be made: on unlocked, as a stale cleanup. */
	e = still_corrupt(r->path, why, sizeof(why));
	if (e <= 0) {
		tc_lock_release(fd, lock);
		if (e == 0)
			nc_err("%s: %s is a valid record again (its server rewrote it): run "
			       "disconnect again", r->name, r->path);
		else if (e == -ENOENT)
			nc_err("%s: the corrupt record %s was removed meanwhile", r->name, r->path);
		else
			nc_err("%s: cannot read the record %s (%s): it is kept", r->name, r->path,
			       why);
		return NC_EXIT_FAIL;
	}
	e = unmount_corrupt(list, n, r, force, done, sizeof(done));
	/* A server behind the mount may have removed the file as it exited
	 * (or written it whole just before): the file is checked again. */
	if (e == 0) {
		int left = still_corrupt(r->path, why, sizeof(why));

		if (left == 1 && unlink(r->path) < 0 && errno != ENOENT) {
			nc_err("%s: cannot remove the corrupt record %s: %s", r->name, r->path,
			       strerror(errno));
			e = NC_EXIT_FAIL;
		} else if (left < 0 && left != -ENOENT) {
			nc_err("%s: cannot read the record %s (%s) after the unmount: it is kept",
			       r->name, r->path, why);
			e = NC_EXIT_FAIL;
		}
		file = left == 0 ? "its server wrote it whole again before it ended" :
		       left == -ENOENT ? "its server removed it as it ended" : file;
	}
	if (e == 0)
		rmdir(r->mountpoint);	/* the default mount point, if left empty */
	tc_lock_release(fd, lock);
	if (e == -EINTR)
		nc_die_of_signal();
	if (e)
		return NC_EXIT_FAIL;
	fprintf(stderr, "nvmfctl: %s: %s: the record %s was corrupt (%s): %s; %s; no "
		"process was signalled (the pid of a corrupt record is not to be trusted)\n",
		nc_cmd, r->name, r->path, c->why, file, done);
	return NC_EXIT_OK;
}
