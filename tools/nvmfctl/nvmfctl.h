/*
 * nvmfctl: the administrator's command line for libnvmf.
 *
 * One file per command group:
 *   main.c      dispatch, help, version, gen-hostnqn, show-hostnqn
 *   common.c    option values, target options, errors, output helpers
 *   opts.c      the Fabrics options of discover, connect, connect-all
 *   discover.c  discover (and /etc/nvme/discovery.conf), connect-all
 *   inspect.c   the options of id-ctrl, id-ns, list-ns, get-log
 *   identify.c  id-ctrl, id-ns, list-ns
 *   logpage.c   get-log (smart, error, discovery, any other as hex)
 *   records.c   nvmf-fuse's state records in the runtime directory
 *   connect.c   connect (starting nvmf-fuse)
 *   disconnect.c disconnect, disconnect-all, list
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

#include <json-c/json.h>
#include <nvmf/nvmf.h>

#include "escape.h"	/* tools/common: tc_escape() */

/* Exit statuses: 0 success, 1 the operation failed, 2 bad command line. */
#define CTL_EXIT_OK    0
#define CTL_EXIT_FAIL  1
#define CTL_EXIT_USAGE 2

enum ctl_fmt {
	CTL_FMT_NORMAL = 0,
	CTL_FMT_JSON   = 1,
	CTL_FMT_BINARY = 2,
};

/* Name of the running command, for messages ("discover"). */
extern const char *ctl_cmd;
/* Where the arguments being parsed come from when not the command line
 * ("/etc/nvme/discovery.conf line 3"), else NULL: prefixes messages. */
extern const char *ctl_where;
/* argv[0] of nvmfctl, to find nvmf-fuse beside it. */
extern const char *ctl_argv0;

/* A command: name, handler (argc/argv start at the command name), summary. */
struct ctl_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* ---- Messages ------------------------------------------------------------ */

/* "nvmfctl: <cmd>: <message>\n" on stderr. The whole line is escaped
 * (tc_escape): messages may quote what a target sent. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As ctl_err(), then "Try 'nvmfctl <cmd> --help'." and returns CTL_EXIT_USAGE. */
int ctl_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Unknown option / missing argument reported by getopt_long. */
int ctl_getopt_err(int c, int optopt_val, char **argv);

/*
 * One line for a failed library call: what was attempted (e.g.
 * "cannot connect to 127.0.0.1:4420"), what happened (from r,
 * nvmf_get_error() and nvmf_get_status()) and what to check. Returns
 * CTL_EXIT_FAIL.
 */
int ctl_lib_fail(const char *what, int r);
/* The same for a failure of nvmf_connect()/nvmf_discover(): Fabrics status
 * codes are then read as Connect's. */
int ctl_connect_fail(const char *what, int r);
/* The same for a failure known only by its text (nvmf-fuse's message). */
int ctl_text_fail(const char *what, const char *text);
/* nvmf_status_str(), with Connect's own name of a Fabrics command specific
 * status (NVMe over Fabrics 1.1, Figure 21) when connect is true. */
const char *ctl_status_name(uint16_t status, bool connect);

/* ---- Values -------------------------------------------------------------- */

/* Parse an unsigned integer (decimal, 0x hex) in [lo, hi]; on error print
 * "<opt>: '<s>' is not ..." and return -1. */
int ctl_parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int ctl_parse_int(const char *opt, const char *s, int lo, int hi, int *out);
/* -o / --output-format: "normal", "json" (and "binary" when allowed). */
int ctl_parse_fmt(const char *s, bool binary_ok, enum ctl_fmt *out);

/* ---- Target options (shared by every command that talks to a target) ----- */

struct ctl_target {
	struct nvmf_opts o;
	const char *uri;	/* positional URI, if any */
	bool have_traddr;
	bool have_trsvcid;
	bool have_nqn;
};

/* nvmf_opts_init() plus nvmfctl's defaults (kato 0 for one-shot commands). */
void ctl_target_init(struct ctl_target *t);
/* Option setters: print the error and return -1 on bad values. */
int ctl_set_transport(const char *s);
int ctl_set_traddr(struct ctl_target *t, const char *s);
int ctl_set_trsvcid(struct ctl_target *t, const char *s);
int ctl_set_nqn(struct ctl_target *t, const char *opt, const char *s);
int ctl_set_hostnqn(struct ctl_target *t, const char *s);
int ctl_set_hostid(struct ctl_target *t, const char *s);
/*
 * Combine a positional URI and the long options into t->o. discovery: the
 * command defaults to the discovery controller (port 8009). Returns 0 or
 * CTL_EXIT_USAGE after printing why.
 */
int ctl_target_finish(struct ctl_target *t, bool discovery);
/* "ADDR:PORT" ("[v6]:PORT") for messages. */
const char *ctl_target_str(const struct nvmf_opts *o, char *buf, size_t len);
/* Connect for an inspection command (admin queue only); error printed. */
int ctl_connect_admin(struct ctl_target *t, struct nvmf_ctrl **out);

/* Monotonic seconds; sleep (EINTR-proof). */
double ctl_now(void);
void ctl_sleep_ms(long ms);

/* ---- Output helpers ------------------------------------------------------ */

/* A JSON string of text from a target (or derived from it), escaped:
 * raw bytes that are not UTF-8 would make the document invalid. */
json_object *ctl_json_str(const char *s);
/* Print a JSON object the way nvme-cli does (pretty, tab indented) and free it. */
void ctl_json_print(json_object *o);
/* Unsigned 64-bit and 128-bit little-endian counters as JSON numbers. */
json_object *ctl_json_u64(uint64_t v);
json_object *ctl_json_u128(const uint8_t le[16]);
/* 128-bit little-endian counter in decimal (with thousands separators when
 * sep). */
char *ctl_u128_str(const uint8_t le[16], bool sep, char *buf, size_t len);
/* Hex dump in nvme-cli's layout ("       0  1  2 ..."). */
void ctl_hexdump(const void *buf, size_t len);
/* Write len bytes to stdout (binary output); 0 or -1 with an error printed. */
int ctl_write_binary(const void *buf, size_t len);
/* Copy a space/NUL padded field into a trimmed C string. */
void ctl_trim(char *out, size_t outsz, const char *field, size_t fieldlen);

/* ---- Commands -------------------------------------------------------------- */

int cmd_discover(int argc, char **argv);
int cmd_connect_all(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_disconnect(int argc, char **argv);
int cmd_disconnect_all(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_id_ctrl(int argc, char **argv);
int cmd_id_ns(int argc, char **argv);
int cmd_list_ns(int argc, char **argv);
int cmd_get_log(int argc, char **argv);

/* ---- Discovery log printing (discover.c; get-log discovery uses it) ------- */

json_object *ctl_disc_json(const struct nvmf_disc_list *log);
void ctl_disc_print(const struct nvmf_disc_list *log);
/* Raw discovery log (header + entries, wire layout) rebuilt from the parsed
 * list, for --raw. *out is malloc()ed. */
int ctl_disc_raw(const struct nvmf_disc_list *log, uint8_t **out, size_t *len);

/* ---- Connections (connect.c), used by connect-all ------------------------ */

struct ctl_conn_opts {
	struct ctl_target t;
	const char *mountpoint;	/* NULL: nvmf-fuse's default */
	const char *name;	/* NULL: nvmf-fuse's default nvmfN */
	bool duplicate;		/* -D */
	bool read_only;
	enum ctl_fmt fmt;
	bool quiet_dup;		/* connect-all: "already connected" is not an error */
};
/*
 * Start nvmf-fuse for c->t.o, wait until it serves, print the result (or,
 * when jarr is not NULL, append the connection's JSON object to that
 * array). Returns CTL_EXIT_OK, or CTL_EXIT_FAIL after printing why;
 * *skipped is set when an existing connection made it a no-op (connect-all
 * without -D).
 */
int ctl_connect_one(const struct ctl_conn_opts *c, bool *skipped, json_object *jarr);

/* ---- Fabrics options of discover, connect, connect-all (opts.c) ---------- */

#define FAB_DISCOVER    0x1u
#define FAB_CONNECT     0x2u
#define FAB_CONNECT_ALL 0x4u

struct ctl_fab_args {
	unsigned cmd;			/* FAB_* */
	struct ctl_conn_opts c;		/* target, host options, connect options */
	const char *raw;		/* discover --raw FILE */
	bool have_fmt;
	bool have_hostnqn, have_hostid, have_nr_io_queues, have_queue_size;
	bool have_kato, have_connect_timeout, have_io_timeout;
};

void ctl_fab_init(struct ctl_fab_args *a, unsigned cmd);
/* Parse argv (argv[0] is the command): 0, -1 when --help was printed, or an
 * exit status after printing the error. A positional URI goes to c.t.uri. */
int ctl_fab_parse(int argc, char **argv, struct ctl_fab_args *a, const char *help);
/* Restart getopt_long for a new argument vector. */
void ctl_getopt_reset(void);
/* Connection name for nvmf-fuse --name: 1-63 of [A-Za-z0-9._-], no leading
 * dot. 0 or -1. */
int ctl_check_name(const char *name);

/* ---- Options of the inspection commands (inspect.c) ---------------------- */

#define INSP_ID_CTRL 1u
#define INSP_ID_NS   2u
#define INSP_LIST_NS 3u
#define INSP_GET_LOG 4u

struct ctl_inspect {
	unsigned cmd;			/* INSP_* */
	struct ctl_target t;
	enum ctl_fmt fmt;		/* -o, -b/--raw-binary */
	uint32_t nsid;			/* -n, or the URI's /NSID */
	bool have_nsid;
	int log_id;			/* get-log -i, -1 if none */
	uint32_t log_len;		/* get-log -l, 0 = the log's natural size */
	uint64_t lpo;			/* get-log -L offset */
	uint8_t lsp;			/* get-log -s */
	bool rae;			/* get-log -r */
};

void ctl_inspect_init(struct ctl_inspect *x, unsigned cmd);
/* 0, -1 when --help was printed, or an exit status after an error. The
 * target is finished (ctl_target_finish) on success. */
int ctl_inspect_parse(int argc, char **argv, struct ctl_inspect *x, const char *help);
/* "smart", "error", "discovery"... or a number: 0 or -1 (printed). */
int ctl_log_id(const char *s, int *lid);

/* ---- State records (records.c) ------------------------------------------- */

struct ctl_ns_rec {
	uint32_t nsid;
	char     file[4096];
	uint64_t size;
	uint32_t lba_size;
	bool     read_only;
};

/*
 * A record's address, port, NQNs, URI, state and transport are loaded
 * escaped (tc_escape): the address and the NQN may come from a target's
 * discovery record (connect-all). Compare them with escaped values.
 */
struct ctl_record {
	char     path[4096];	/* the record file */
	char     name[64];
	int      pid;
	bool     alive;		/* pid exists and is an nvmf-fuse process */
	char     state[16];	/* live, failed, connecting, stale */
	char     mountpoint[4096];
	char     transport[16];
	char     address[TC_ESC_SIZE(NVMF_TRADDR_FIELD_LEN)];
	char     port[TC_ESC_SIZE(NVMF_TRSVCID_FIELD_LEN)];
	char     subnqn[TC_ESC_SIZE(NVMF_NQN_FIELD_LEN)];
	char     hostnqn[TC_ESC_SIZE(NVMF_NQN_FIELD_LEN)];
	char     uri[TC_ESC_SIZE(1400)];
	int      cntlid;
	bool     read_only;
	int      nr_ns;
	struct ctl_ns_rec *ns;	/* nr_ns entries */
};

/*
 * The runtime directory exactly as nvmf-fuse computes it ($NVMF_RUNTIME_DIR,
 * /run/nvmf for root, $XDG_RUNTIME_DIR/nvmf). Does not create it. 0 or -1
 * with a message printed.
 */
int ctl_rundir(char *buf, size_t len);
/* Every record in the runtime directory, sorted by name. *out malloc()ed;
 * free with ctl_records_free(). Returns the count or -1 (message printed).
 * A missing directory is no record. */
int ctl_records_load(struct ctl_record **out);
/* Load one record file; 0 or -1 (unreadable, not ours). */
int ctl_record_load(const char *path, struct ctl_record *r);
void ctl_record_release(struct ctl_record *r);
void ctl_records_free(struct ctl_record *list, int n);
/* Is pid an nvmf-fuse process (where the system tells)? */
bool ctl_pid_is_fuse(int pid);
json_object *ctl_record_json(const struct ctl_record *r);

#endif
