/*
 * nvmfctl: the administrator's command line for libnvmf.
 *
 * One file per command group:
 *   main.c      dispatch, help, version, gen-hostnqn, show-hostnqn
 *   common.c    option values, target options, errors, output helpers
 *   opts.c      the Fabrics options of discover, connect, connect-all
 *   discover.c  discover (and /etc/nvme/discovery.conf), connect-all
 *   autoconnect.c autoconnect (nvmf-fuse@ systemd services per subsystem)
 *   inspect.c   the options of id-ctrl, id-ns, list-ns, get-log
 *   identify.c  id-ctrl, id-ns, list-ns
 *   logpage.c   get-log (smart, error, discovery, any other as hex)
 *   records.c   nvmf-fuse's state records in the runtime directory
 *
 * What nvmfctl shares with nvmf-fuse lives in tools/common (prefix tc_):
 * the connection options (connopts.h), the state record (record.h),
 * escaping of target strings (escape.h), the hints of error lines
 * (hints.h). nvmfctl's own names are nc_.
 *   connect.c   connect (starting nvmf-fuse)
 *   uri.c       nvmf-fuse's URI of a connection
 *   disconnect.c disconnect, disconnect-all, list
 *   corrupt.c   disconnect of a corrupt state record
 *   reconnect.c reconnect (SIGUSR1 to nvmf-fuse)
 *
 * Option names, defaults and output field names follow nvme-cli where it
 * has the same command, because that is what an administrator types.
 */
#ifndef NVMFCTL_H
#define NVMFCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <nvmf/nvmf.h>

#include "connopts.h"	/* tools/common: the connection options */
#include "escape.h"	/* tools/common: tc_escape() */
#include "hints.h"	/* tools/common: the hints of error lines */
#include "record.h"	/* tools/common: nvmf-fuse's state records */

/* Exit statuses: 0 success, 1 the operation failed, 2 bad command line. */
#define NC_EXIT_OK    0
#define NC_EXIT_FAIL  1
#define NC_EXIT_USAGE 2

enum nc_fmt {
	NC_FMT_NORMAL = 0,
	NC_FMT_JSON   = 1,
	NC_FMT_BINARY = 2,
};

/* Name of the running command, for messages ("discover"). */
extern const char *nc_cmd;
/* Where the arguments being parsed come from when not the command line
 * ("/etc/nvme/discovery.conf line 3"), else NULL: prefixes messages. */
extern const char *nc_where;
/* argv[0] of nvmfctl, to find nvmf-fuse beside it. */
extern const char *nc_argv0;

/* A command: name, handler (argc/argv start at the command name), summary. */
struct nc_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* ---- Messages ------------------------------------------------------------ */

/* fflush(stdout), remembering the errno of the first failure in
 * nc_stdout_errno for main()'s final check (which reports it). */
int nc_flush_stdout(void);
extern int nc_stdout_errno;
/* "nvmfctl: <cmd>: <message>\n" on stderr. The whole line is escaped
 * (tc_escape): messages may quote what a target sent. */
void nc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As nc_err(), then "Try 'nvmfctl <cmd> --help'." and returns NC_EXIT_USAGE. */
int nc_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Unknown option / missing argument reported by getopt_long. */
int nc_getopt_err(int c, int optopt_val, char **argv);

/*
 * One line for a failed library call: what was attempted (e.g.
 * "cannot connect to 127.0.0.1:4420"), what happened (from r,
 * nvmf_get_error() and nvmf_get_status()) and what to check. Returns
 * NC_EXIT_FAIL.
 */
int nc_lib_fail(const char *what, int r);
/* The same for a failure of nvmf_connect()/nvmf_discover() of o: Fabrics
 * status codes are then read as Connect's. */
int nc_connect_fail(const char *what, int r, const struct nvmf_opts *o);
/* The same for a failure known only by its text (nvmf-fuse's message). */
int nc_text_fail(const char *what, const char *text, const struct nvmf_opts *o);
/* nvmf_status_str(), with Connect's own name of a Fabrics command specific
 * status (NVMe over Fabrics 1.1, Figure 21) when connect is true. */
const char *nc_status_name(uint16_t status, bool connect);

/* ---- Values -------------------------------------------------------------- */

/* Parse an unsigned integer (decimal, 0x hex) in [lo, hi]; on error print
 * "<opt>: '<s>' is not ..." and return -1. */
int nc_parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int nc_parse_int(const char *opt, const char *s, int lo, int hi, int *out);
/* -o / --output-format: "normal", "json" (and "binary" when allowed). */
int nc_parse_fmt(const char *s, bool binary_ok, enum nc_fmt *out);

/* ---- Target options (shared by every command that talks to a target) ----- */

struct nc_target {
	struct nvmf_opts o;
	const char *uri;	/* positional URI, if any */
	unsigned given;		/* TC_CO_BIT()s of the connection options given */
	bool letters;		/* options have nvme-cli's letters (-S...): for messages */
};

/* Was the connection option id (TC_CO_*) given? */
static inline bool nc_given(const struct nc_target *t, int id)
{
	return (t->given & TC_CO_BIT(id)) != 0;
}

/* nvmf_opts_init() plus nvmfctl's defaults (kato 0 for one-shot commands). */
void nc_target_init(struct nc_target *t);
/*
 * Apply a connection option (tools/common/connopts.h) to t: named
 * "-q/--hostnqn" when letters, else "--hostnqn". 0, or NC_EXIT_USAGE after
 * printing why.
 */
int nc_conn_opt(struct nc_target *t, const struct tc_conn_opt *opt, const char *arg,
		bool letters);
/*
 * Combine a positional URI and the long options into t->o. discovery: the
 * command defaults to the discovery controller (port 8009). Returns 0 or
 * NC_EXIT_USAGE after printing why.
 */
int nc_target_finish(struct nc_target *t, bool discovery);
/* "ADDR:PORT" ("[v6]:PORT") for messages. */
const char *nc_target_str(const struct nvmf_opts *o, char *buf, size_t len);
/* Connect for an inspection command (admin queue only); error printed. */
int nc_connect_admin(struct nc_target *t, struct nvmf_ctrl **out);

/* Monotonic seconds; sleep (EINTR-proof). */
double nc_now(void);
void nc_sleep_ms(long ms);

/* How long a child that overstayed its bound gets after SIGTERM before
 * SIGKILL (and after SIGKILL before it is given up on). */
#define NC_STOP_GRACE_MS 1000
/*
 * Wait for child pid to exit, at most timeout_s seconds: 0 with its wait
 * status in *status; -ETIMEDOUT once it overstayed and was stopped
 * (SIGTERM, then SIGKILL after NC_STOP_GRACE_MS; reaped unless it outlived
 * that too); -errno when waitpid() fails. Never waits without a bound.
 * SIGINT, SIGTERM or SIGHUP meanwhile tell the child to end (SIGTERM, then
 * SIGKILL as above): -EINTR once it did; the caller cleans up and calls
 * nc_die_of_signal().
 */
int nc_wait_child(pid_t pid, double timeout_s, int *status);
/* The same, calling tick(arg) every 100 ms or so while it waits. */
int nc_wait_child_tick(pid_t pid, double timeout_s, int *status, void (*tick)(void *),
		       void *arg);
/* After -EINTR from nc_wait_child(): die of that signal (exit 128 + it);
 * returns only if there was none. */
void nc_die_of_signal(void);

/* ---- Output helpers ------------------------------------------------------ */

/* A JSON string of text from a target (or derived from it), escaped:
 * raw bytes that are not UTF-8 would make the document invalid. */
json_object *nc_json_str(const char *s);
/* Print a JSON object the way nvme-cli does (pretty, tab indented) and free it. */
void nc_json_print(json_object *o);
/* Unsigned 64-bit and 128-bit little-endian counters as JSON numbers. */
json_object *nc_json_u64(uint64_t v);
json_object *nc_json_u128(const uint8_t le[16]);
/* 128-bit little-endian counter in decimal (with thousands separators when
 * sep). */
char *nc_u128_str(const uint8_t le[16], bool sep, char *buf, size_t len);
/* Hex dump in nvme-cli's layout ("       0  1  2 ..."). */
void nc_hexdump(const void *buf, size_t len);
/* Write len bytes to stdout (binary output); 0 or -1 with an error printed. */
int nc_write_binary(const void *buf, size_t len);
/* Copy a space/NUL padded field into a trimmed C string. */
void nc_trim(char *out, size_t outsz, const char *field, size_t fieldlen);

/* ---- Commands -------------------------------------------------------------- */

int cmd_discover(int argc, char **argv);
int cmd_connect_all(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_disconnect(int argc, char **argv);
int cmd_disconnect_all(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_reconnect(int argc, char **argv);
int cmd_id_ctrl(int argc, char **argv);
int cmd_id_ns(int argc, char **argv);
int cmd_list_ns(int argc, char **argv);
int cmd_get_log(int argc, char **argv);
int cmd_autoconnect(int argc, char **argv);

/* ---- Discovery log printing (discover.c; get-log discovery uses it) ------- */

json_object *nc_disc_json(const struct nvmf_disc_list *log);
void nc_disc_print(const struct nvmf_disc_list *log);
/* The discovery log page as received (header + entries: nvmf_disc_list_raw()
 * of a list the library returned), for --raw and -o binary. *out is
 * malloc()ed. */
int nc_disc_raw(const struct nvmf_disc_list *log, uint8_t **out, size_t *len);
/* nvme-cli's name of a TRTYPE ("tcp", "rdma"...; "unrecognized"). */
const char *nc_trtype_str(uint8_t t);

/* ---- Connections (connect.c), used by connect-all and autoconnect -------- */

struct nc_conn_opts {
	struct nc_target t;
	const char *mountpoint;	/* NULL: nvmf-fuse's default */
	const char *name;	/* NULL: nvmf-fuse's default nvmfN */
	bool duplicate;		/* -D */
	bool read_only;
	enum nc_fmt fmt;
	bool quiet_dup;		/* connect-all: "already connected" is not an error */
};
/*
 * Start nvmf-fuse for c->t.o, wait until it serves, print the result (or,
 * when jarr is not NULL, append the connection's JSON object to that
 * array). Returns NC_EXIT_OK, or NC_EXIT_FAIL after printing why;
 * *skipped is set when an existing connection made it a no-op (connect-all
 * without -D).
 */
int nc_connect_one(const struct nc_conn_opts *c, bool *skipped, json_object *jarr);
/* The connection options nvmf-fuse is given on its command line (the
 * target and the reconnect options travel in the URI, nc_build_uri()). */
#define NC_FUSE_CONN (TC_CO_HOST | TC_CO_QUEUES | TC_CO_SECURITY | TC_CO_AUTH)
/* nvmf-fuse's URI for o (uri.c): the NQN percent-encoded where RFC 3986 wants it,
 * an IPv6 zone's '%' as "%25" (RFC 6874), the reconnect options that differ
 * from the defaults in the query. 0, or -1 when it does not fit, or the
 * address or port cannot be a URI's (nc_traddr_bad(), tc_port_num()). */
int nc_build_uri(const struct nvmf_opts *o, char *buf, size_t len);
/* Why traddr cannot be a URI's host (a host name of letters, digits, '.',
 * '-', '_'; an IPv4 address; an IPv6 address with an optional %zone, an
 * interface name: printable, no blank, '/', ':' or '?'; percent-encoded in
 * the URI), or NULL when it can. */
const char *nc_traddr_bad(const char *traddr);
/* Why nc_build_uri() refused o (address, port, or length), into buf. */
const char *nc_uri_why(const struct nvmf_opts *o, char *buf, size_t len);
/* The addresses host resolves to, port numeric (getaddrinfo(), no name
 * service lookup of the port); NULL when it does not resolve. Freed with
 * freeaddrinfo(). */
struct addrinfo;
struct addrinfo *nc_resolve(const char *host, const char *port);
/* Does any address of a match any of b? An IPv4-mapped IPv6 address is the
 * IPv4 address it is; IPv6 scopes must match. connect's duplicate check. */
bool nc_share_addr(const struct addrinfo *a, const struct addrinfo *b);

/* ---- Disconnecting (disconnect.c, corrupt.c) ------------------------------ */

/* tc_nvmf_detach()'s wait for its helper (tc_set_detach_wait()):
 * nc_wait_child(), so bounded, stopped and reaped, and ended by Ctrl-C. */
int nc_detach_wait(pid_t pid, int timeout_s);
/* Unmount a connection's mount the ordinary way, refused (-EBUSY) while
 * in use: 0 (unmounted, or not mounted), or -errno with why set when the
 * errno alone does not say it; -EINTR when a Ctrl-C stopped fusermount3. */
int nc_unmount_checked(const char *mp, char *why, size_t whylen);
/* Why r's mount could not be unmounted (e, why), with what the user can do. */
void nc_unmount_err(const struct tc_record *r, int e, const char *why);

/* A file in the runtime directory that is not a record (corrupt.c). */
struct nc_corrupt {
	struct tc_record r;	/* name, path and default mount point only */
	char why[160];		/* what is wrong with it */
};
struct nc_corrupt_list {
	struct nc_corrupt *v;	/* malloc()ed */
	int n;
};
/* nc_records_load_ex()'s bad: each corrupt file into the list arg. */
void nc_add_corrupt(void *arg, const char *path, const char *why, int err);
/* Remove the corrupt record c (list: the valid records): NC_EXIT_OK, or
 * NC_EXIT_FAIL after a message; interrupted, it dies of the signal. */
int nc_remove_corrupt(const struct tc_record *list, int n, const struct nc_corrupt *c,
		      bool force);

/* ---- Fabrics options of discover, connect, connect-all (opts.c) ---------- */

#define FAB_DISCOVER    0x1u
#define FAB_CONNECT     0x2u
#define FAB_CONNECT_ALL 0x4u
#define FAB_AUTOCONNECT 0x8u

struct nc_fab_args {
	unsigned cmd;			/* FAB_* */
	struct nc_conn_opts c;		/* target, host options, connect options */
	const char *raw;		/* discover --raw FILE */
	bool have_fmt;
	bool dry_run;			/* autoconnect --dry-run */
	const char *instance_dir;	/* autoconnect --instance-dir DIR */
	int timeout_s;			/* autoconnect --timeout S, -1 if not given */
};

void nc_fab_init(struct nc_fab_args *a, unsigned cmd);
/* Parse argv (argv[0] is the command): 0, -1 when --help was printed, or an
 * exit status after printing the error. A positional URI goes to c.t.uri. */
int nc_fab_parse(int argc, char **argv, struct nc_fab_args *a, const char *help);
/* The connection options of the Fabrics commands (all of them, with
 * nvme-cli's letters; nvmf-fuse offers the TC_CO_QUEUES and TC_CO_HOST
 * ones and --name). */
#define NC_FAB_CONN (TC_CO_TARGET | TC_CO_HOST | TC_CO_QUEUES | TC_CO_RECONNECT | \
		     TC_CO_SECURITY | TC_CO_AUTH | TC_CO_BIT(TC_CO_NAME))

/* ---- Discovery walks (discover.c, walk.c), for connect-all and autoconnect */

/* Per-target work of a discovery command, given the finished options. */
typedef int (*disc_fn)(struct nc_fab_args *a);
/*
 * Parse argv for cmd, then run fn for the discovery controller given, or
 * for each line of /etc/nvme/discovery.conf ($NVMF_DISCOVERY_CONF) when
 * none is. The command's exit status.
 */
int nc_disc_run(int argc, char **argv, unsigned cmd, const char *help, disc_fn fn);
/*
 * An NVM subsystem entry of a discovery log, its options ready: the
 * target's address, port and NQN from the entry, TLS decided as
 * connect-all does, the rest from the command line or discovery.conf.
 * Returns 0 (done), 1 (skipped, e.g. already connected) or -1 (failed,
 * message printed).
 */
typedef int (*nc_entry_fn)(void *user, const struct nc_conn_opts *c);
struct nc_walk_count {
	int done, skipped, failed;
};
/* connect-all's walk of a->c.t's discovery log, referrals followed:
 * entry for each NVM subsystem it can honour, the others skipped with a
 * message; the counts into *n. */
void nc_disc_walk(struct nc_fab_args *a, nc_entry_fn entry, void *user,
		  struct nc_walk_count *n);
/* t's discovery log (nvmf_discover()): 0, or NC_EXIT_FAIL after printing why. */
int nc_disc_fetch(const struct nc_target *t, struct nvmf_disc_list **log);
/* One line of /etc/nvme/discovery.conf (discover.c) parsed into *a on top
 * of base: 0 (a target), 1 (a blank or comment line) or an exit status
 * after printing why. line is cut up; *a points into it. */
int nc_conf_line(char *line, const struct nc_fab_args *base, const char *help,
		 struct nc_fab_args *a);

/* ---- Options of the inspection commands (inspect.c) ---------------------- */

#define INSP_ID_CTRL 1u
#define INSP_ID_NS   2u
#define INSP_LIST_NS 3u
#define NC_LIST_NS_MAX 0xfffffffdu	/* list-ns -n: CNS 02h's highest NSID */
#define INSP_GET_LOG 4u

struct nc_inspect {
	unsigned cmd;			/* INSP_* */
	struct nc_target t;
	enum nc_fmt fmt;		/* -o, -b/--raw-binary */
	uint32_t nsid;			/* -n, or the URI's /NSID */
	bool have_nsid;
	int log_id;			/* get-log -i, -1 if none */
	uint32_t log_len;		/* get-log -l, 0 = the log's natural size */
	uint64_t lpo;			/* get-log -L offset */
	uint8_t lsp;			/* get-log -s */
	bool rae;			/* get-log -r */
};

void nc_inspect_init(struct nc_inspect *x, unsigned cmd);
/* 0, -1 when --help was printed, or an exit status after an error. The
 * target is finished (nc_target_finish) on success. */
int nc_inspect_parse(int argc, char **argv, struct nc_inspect *x, const char *help);
/* "smart", "error", "discovery"... or a number: 0 or -1 (printed). */
int nc_log_id(const char *s, int *lid);

/* ---- State records (records.c; the record itself: tools/common/record.h) -- */

/* The runtime directory (tc_rundir()); 0 or -1 with a message printed. */
int nc_rundir(char *buf, size_t len);
/* Every record in the runtime directory, sorted by name (tc_records_load()):
 * the count or -1 (message printed); free with tc_records_free(). With bad,
 * a file that is not a record (corrupt) draws a warning naming it and what
 * is wrong, and *bad counts them; without, such files are skipped silently
 * (the commands that look for one connection). */
int nc_records_load(struct tc_record **out, int *bad);
/* The same, bad (tc_records_load_ex()) told of each corrupt file instead. */
int nc_records_load_ex(struct tc_record **out, tc_record_bad_fn bad, void *arg);
/* For list: a record only claimed (first connection still under way) gets
 * its address, NQN and mount point from its server's command line. */
void nc_records_fill_claimed(struct tc_record *list, int n);
/* A record as nvmfctl's JSON (connect -o json, list -o json). */
json_object *nc_record_json(const struct tc_record *r);
/* Does arg name r: its name, record file or mount point (any spelling)? */
bool nc_record_matches(const struct tc_record *r, const char *arg);
/* The state as list shows it: "connecting (attempt 3 of 60)". */
const char *nc_record_state(const struct tc_record *r, char *buf, size_t len);

#endif
