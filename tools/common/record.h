/*
 * Shared by the tools: the state record of a connection in the runtime
 * directory. nvmf-fuse writes it, nvmfctl reads it; this is its one
 * definition (the file's place and name, its JSON keys, how it is written
 * and read).
 *
 * The runtime directory is $NVMF_RUNTIME_DIR, else /run/nvmf for root,
 * else $XDG_RUNTIME_DIR/nvmf. While it serves, nvmf-fuse keeps
 * <dir>/<name>.json there: first claimed (created exclusively, holding
 * only the pid and state "connecting"), then rewritten whole on every
 * change (written to <dir>/.<name>.json.tmp and renamed, so a reader never
 * sees half a record), and removed on exit. A record whose process is gone,
 * or is no longer nvmf-fuse (pids are reused), is stale: its name is free.
 *
 * state is the controller's (nvmf_ctrl_state_str(): live, resetting,
 * connecting, deleting, dead), or "connecting" in a record just claimed;
 * attempt and max_attempts count the reconnect attempts of the current (or
 * last) outage, last_error says why the latest attempt or connection
 * failed, outages and reconnects count since start; tls is the cipher suite
 * of an encrypted connection or "none" (never a key or identity). nvmf-fuse rewrites the
 * record on every transition. A record with "reconnects" comes from an
 * nvmf-fuse that reconnects on SIGUSR1 (nvmfctl reconnect); one without
 * must not be sent SIGUSR1, which would end an older nvmf-fuse.
 *
 * The address, port, NQNs, URI, state, last error and transport may hold a target's
 * bytes (nvmfctl connect-all copies them from discovery records): they are
 * written escaped (tc_escape), so the record stays valid JSON, and escaped
 * again when read (escaping is idempotent). Compare them with escaped
 * values.
 */
#ifndef NVMF_TOOLS_RECORD_H
#define NVMF_TOOLS_RECORD_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nvmf/nvmf.h>

#include "connopts.h"	/* TC_NAME_MAX */
#include "escape.h"

/* Room for a path in the runtime directory or below a mount point. */
#define TC_PATH_MAX 4096
/* Room for the path of a record file (a directory, a file name). */
#define TC_RECORD_PATH_MAX (TC_PATH_MAX + 300)

struct tc_record_ns {
	uint32_t nsid;
	char     file[TC_PATH_MAX + 32];	/* <mountpoint>/n<NSID> */
	uint64_t size;			/* bytes */
	uint32_t lba_size;
	bool     read_only;
};

struct tc_record {
	char     name[TC_NAME_MAX];
	int      pid;
	char     state[16];		/* nvmf_ctrl_state_str(), or connecting when claimed;
					 * reader: stale, unknown */
	char     mountpoint[TC_PATH_MAX];
	char     transport[16];
	char     address[TC_ESC_SIZE(NVMF_TRADDR_FIELD_LEN)];
	char     port[TC_ESC_SIZE(NVMF_TRSVCID_FIELD_LEN)];
	char     subnqn[TC_ESC_SIZE(NVMF_NQN_FIELD_LEN)];
	char     hostnqn[TC_ESC_SIZE(NVMF_NQN_FIELD_LEN)];
	char     uri[TC_ESC_SIZE(1400)];
	int      cntlid;		/* -1 when unknown */
	bool     read_only;
	int      nr_ns;
	struct tc_record_ns *ns;	/* nr_ns entries (malloc()ed when loaded) */
	/* Outages (nvmf_ctrl_get_state()). */
	unsigned attempt;		/* reconnect attempts in the current or last outage */
	unsigned max_attempts;		/* their limit from ctrl_loss_tmo; 0 = none */
	char     last_error[TC_ESC_SIZE(256)];	/* "" if none */
	uint64_t outages;		/* times the connection was lost */
	uint64_t reconnects;		/* times it came back */
	/* "tls": the TLS 1.3 cipher suite the connection runs, "requested"
	 * while not connected, "none" for plaintext ("" in a record from
	 * before TLS). */
	char     tls[48];
	/* Filled by the reader. */
	char     path[TC_RECORD_PATH_MAX];	/* the record file */
	bool     alive;		/* pid exists and is an nvmf-fuse process */
	bool     can_reconnect;	/* the record has "reconnects": SIGUSR1 reconnects */
};

/*
 * The runtime directory (not created): 0, or -ENOENT (XDG_RUNTIME_DIR
 * unset for a user other than root) or -ENAMETOOLONG with the message in
 * err.
 */
int tc_rundir(char *buf, size_t len, char *err, size_t errlen);
/* tc_rundir(), and the directory created (with its parents) if missing. */
int tc_rundir_make(char *buf, size_t len, char *err, size_t errlen);
/* <dir>/<name>.json */
int tc_record_path(const char *dir, const char *name, char *buf, size_t len);

/*
 * A lock file in the runtime directory (.connect.lock, .claim.lock): flock
 * on path, created if missing, polled (not a blocking wait, which a
 * process with its stop signals blocked could not leave) for at most
 * wait_s seconds. The holder removes the file on release, so none is left
 * behind; a waiter that then got the lock of a removed file opens the new
 * one. The fd, -ETIMEDOUT, or -errno.
 */
int tc_lock_take(const char *path, int wait_s);
void tc_lock_release(int fd, const char *path);

/*
 * Claim <dir>/<name>.json for this process (created exclusively, holding
 * the pid and state "connecting"); a stale record is replaced once the
 * mount its dead server left is detached (tc_record_detach_stale()). 0,
 * -EEXIST (held by a live nvmf-fuse: *holder is its pid), -EBUSY (stale,
 * held by dead pid *holder, whose mount could not be detached: the record
 * is kept, the only handle on that mount) or -errno.
 */
int tc_record_claim(const char *dir, const char *name, int *holder);
/*
 * Write r as <dir>/<r->name>.json, atomically (temporary file, rename).
 * The address, port, NQNs and URI are escaped on the way (give them as
 * they are). 0 or -errno.
 */
int tc_record_write(const char *dir, const struct tc_record *r);
/* Remove <dir>/<name>.json. */
void tc_record_remove(const char *dir, const char *name);

/* Load one record file: 0, or -1 (unreadable, not a record). Strings
 * escaped; a record just claimed takes its name from the file name; state
 * "stale" when its process is gone. Release with tc_record_release(). */
int tc_record_load(const char *path, struct tc_record *r);
/* The same saying why a file is not a record (what tc_records_load_ex()'s
 * bad is told): 0; -ENOENT (no such file: its server exited), -EAGAIN
 * (empty), -EINVAL (not a record) or another -errno, with why filled. */
int tc_record_load_why(const char *path, struct tc_record *r, char *why, size_t whylen);
/* Whether tc_record_load_why()'s err says the file holds no record (empty,
 * not a record's JSON, too large), not that it could not be read now
 * (EACCES, EIO, ENOMEM...), which says nothing of what it holds. */
static inline bool tc_record_err_corrupt(int err)
{
	return err == -EINVAL || err == -EAGAIN || err == -EFBIG;
}
void tc_record_release(struct tc_record *r);
/* The same from a record's text (len bytes, NUL-terminated or not): as
 * tc_record_load() but without asking whether the process lives (alive
 * false, state as recorded). path names the record (its file name is
 * the name of a record just claimed). 0 or -1. */
int tc_record_parse(const char *text, size_t len, const char *path, struct tc_record *r);
/*
 * Every record in dir, sorted by name (nvmf2 before nvmf10). *out
 * malloc()ed, free with tc_records_free(). Returns the count (0 when dir
 * does not exist) or -errno.
 */
int tc_records_load(const char *dir, struct tc_record **out);
/* The same, calling bad (when not NULL) for each <name>.json file that is
 * not a record, with its path, what is wrong with it ("not JSON
 * (unexpected character)", "empty file", a read error) and
 * tc_record_load_why()'s err: such a file is left out either way. A file
 * gone meanwhile (its server exited) is not bad; with bad, an empty one is
 * read again 100 ms later before it is called bad (a claim being written). */
typedef void (*tc_record_bad_fn)(void *arg, const char *path, const char *why, int err);
int tc_records_load_ex(const char *dir, struct tc_record **out, tc_record_bad_fn bad,
		       void *arg);
void tc_records_free(struct tc_record *list, int n);

/*
 * Detach the mount the dead server of the stale record r left
 * (tc_nvmf_detach()): only an nvmf-fuse mount, and only when no live
 * connection of another record in list (n records) is mounted there now
 * (the mount point may have been reused after the crash: unmounting would
 * end that connection; *other then names it). 0 (detached, or nothing to
 * detach) or -EBUSY (still mounted: keep the record, the only handle on
 * the mount); -ETIMEDOUT or -EINTR from a detach wait the tool set
 * (tc_set_detach_wait()), the record to be kept too. Flush stdio before:
 * a helper is forked.
 */
int tc_record_detach_stale(const struct tc_record *list, int n, const struct tc_record *r,
			   const struct tc_record **other);

/*
 * Remove the stale record r (in list), held by dead_pid, with the mount its
 * server left (tc_record_detach_stale()); under <rundir>/.claim.lock, taken
 * by everyone removing a stale record, and only when r's file still names
 * dead_pid and that process still does not run: another process that saw
 * the same dead pid may have removed the record already and claimed the
 * name (and mounted) since. An empty default mount point (<dir>/<name>) is
 * removed with the record, under the lock. 0 (removed), 1 (left: no longer
 * dead_pid's stale record), -EBUSY (the mount stays: record kept), -EAGAIN
 * (another held the lock for 30 s: record kept), -ETIMEDOUT or -EINTR
 * (the detach was stopped, tc_set_detach_wait(): record kept) or -errno.
 */
int tc_record_remove_stale(const struct tc_record *list, int n, const struct tc_record *r,
			   int dead_pid, const struct tc_record **other);

/* Is pid a live nvmf-fuse process (where the system tells the name)? */
bool tc_pid_is_fuse(int pid);

#endif
