/*
 * Shared by the tools (nvmfctl, nvmf-fuse): the connection options.
 *
 * One table holds every option that says how to reach a controller and how
 * to talk to it, under nvme-cli's long names and short letters (its
 * NVMF_OPTS): which value it takes, its range, and how the value lands in
 * struct nvmf_opts. Each tool picks the entries it offers (a set of
 * TC_CO_BIT()s), builds its getopt_long() table from them next to its own
 * options, and hands every connection option getopt returns to
 * tc_conn_set(); nvmfctl connect turns the result back into nvmf-fuse's
 * command line with tc_conn_args(), so the two cannot drift apart.
 *
 * Short letters: nvmfctl's Fabrics commands use them; nvmf-fuse and
 * nvmfctl's inspection commands do not (FUSE's own -s, and per-command
 * letters such as id-ns -n, mean something else there). Messages name an
 * option the way the tool offers it: "-q/--hostnqn" with letters,
 * "--hostnqn" without.
 *
 * Errors: a negative errno, with a one-line message in the caller's buffer
 * (the tool adds its prefix and prints it).
 */
#ifndef NVMF_TOOLS_CONNOPTS_H
#define NVMF_TOOLS_CONNOPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nvmf/nvmf.h>

/* Option ids: getopt_long()'s value for an entry without a letter (or when
 * letters are not used). Above any value a tool gives its own options. */
enum tc_conn_id {
	TC_CO_TRANSPORT = 0x1000,	/* -t: "tcp" only */
	TC_CO_TRADDR,			/* -a */
	TC_CO_TRSVCID,			/* -s */
	TC_CO_NQN,			/* -n: subsystem NQN */
	TC_CO_HOSTNQN,			/* -q */
	TC_CO_HOSTID,			/* -I */
	TC_CO_NR_IO_QUEUES,		/* -i */
	TC_CO_QUEUE_SIZE,		/* -Q */
	TC_CO_KATO,			/* -k */
	TC_CO_HDR_DIGEST,		/* -g */
	TC_CO_DATA_DIGEST,		/* -G */
	TC_CO_CONNECT_TIMEOUT,
	TC_CO_IO_TIMEOUT,
	TC_CO_RECONNECT_DELAY,		/* -c */
	TC_CO_CTRL_LOSS_TMO,		/* -l */
	TC_CO_FAST_IO_FAIL_TMO,		/* -F (nvme-cli spells it with underscores) */
	TC_CO_TLS,			/* --tls (nvme-cli's) */
	TC_CO_TLS_KEY,			/* --tls-key KEY: never passed on by tc_conn_args() */
	TC_CO_TLS_KEY_FILE,		/* --tls-key-file FILE */
	TC_CO_TLS_IDENTITY,		/* --tls-identity 0|1 */
	TC_CO_TLS_COMPAT,		/* --tls-compat */
	TC_CO_DHCHAP_SECRET,		/* -S: never passed on by tc_conn_args() */
	TC_CO_DHCHAP_CTRL_SECRET,	/* -C: likewise */
	TC_CO_DHCHAP_SECRET_FILE,	/* --dhchap-secret-file FILE */
	TC_CO_DHCHAP_CTRL_SECRET_FILE,	/* --dhchap-ctrl-secret-file FILE */
	TC_CO_NAME,			/* nvmf-fuse's connection name (validated only) */
	TC_CO_END
};

#define TC_CO_BIT(id) (1u << ((id) - TC_CO_TRANSPORT))
/* Where the controller is. */
#define TC_CO_TARGET  (TC_CO_BIT(TC_CO_TRANSPORT) | TC_CO_BIT(TC_CO_TRADDR) | \
		       TC_CO_BIT(TC_CO_TRSVCID) | TC_CO_BIT(TC_CO_NQN))
/* Who the host is. */
#define TC_CO_HOST    (TC_CO_BIT(TC_CO_HOSTNQN) | TC_CO_BIT(TC_CO_HOSTID))
/* What a connection with I/O queues is made of (nvmf-fuse's options). */
#define TC_CO_QUEUES  (TC_CO_BIT(TC_CO_NR_IO_QUEUES) | TC_CO_BIT(TC_CO_QUEUE_SIZE) | \
		       TC_CO_BIT(TC_CO_KATO) | TC_CO_BIT(TC_CO_HDR_DIGEST) | \
		       TC_CO_BIT(TC_CO_DATA_DIGEST) | TC_CO_BIT(TC_CO_CONNECT_TIMEOUT) | \
		       TC_CO_BIT(TC_CO_IO_TIMEOUT))
/* What to do when the connection is lost (nvmf.h, OUTAGES). */
#define TC_CO_RECONNECT (TC_CO_BIT(TC_CO_RECONNECT_DELAY) | TC_CO_BIT(TC_CO_CTRL_LOSS_TMO) | \
			 TC_CO_BIT(TC_CO_FAST_IO_FAIL_TMO))

/* TLS with a pre-shared key (nvmf.h, TLS). */
#define TC_CO_SECURITY (TC_CO_BIT(TC_CO_TLS) | TC_CO_BIT(TC_CO_TLS_KEY) | \
			TC_CO_BIT(TC_CO_TLS_KEY_FILE) | TC_CO_BIT(TC_CO_TLS_IDENTITY) | \
			TC_CO_BIT(TC_CO_TLS_COMPAT))

/* DH-HMAC-CHAP (nvmf.h, AUTHENTICATION). */
#define TC_CO_AUTH (TC_CO_BIT(TC_CO_DHCHAP_SECRET) | TC_CO_BIT(TC_CO_DHCHAP_CTRL_SECRET) | \
		    TC_CO_BIT(TC_CO_DHCHAP_SECRET_FILE) | TC_CO_BIT(TC_CO_DHCHAP_CTRL_SECRET_FILE))

/*
 * The environment variables that may carry the secrets instead of the
 * options: a process's environment is readable only by its user, its
 * command line by everyone. nvmfctl connect hands them to nvmf-fuse so.
 */
#define TC_TLS_KEY_ENV            "NVMF_TLS_KEY"
#define TC_DHCHAP_SECRET_ENV      "NVMF_DHCHAP_SECRET"
#define TC_DHCHAP_CTRL_SECRET_ENV "NVMF_DHCHAP_CTRL_SECRET"

/*
 * After option parsing: take each secret from its variable unless its
 * option was given (given: TC_CO_BIT()s). The variables are read once per
 * process, wiped and unset, so that programs this one starts do not
 * inherit them by accident. Then the options that need another are
 * checked (the TLS options other than the key need --tls or a key; a
 * controller secret needs the host's), so that the tools report them as
 * usage errors, not as a failed connection. 0 or -EINVAL (message).
 */
int tc_conn_secrets_env(struct nvmf_opts *o, unsigned given, char *err, size_t errlen);

/*
 * Zero len bytes that held a secret (a key's text, a line of a file that
 * may carry one). Through a volatile pointer: a memset() of a buffer that
 * is not read again (a local about to go out of scope) may be optimised
 * away. OpenSSL or not, glibc or FreeBSD.
 */
void tc_wipe(void *p, size_t len);
/* Wipe o's secrets (tls_key, dhchap_secret, dhchap_ctrl_secret): for a
 * copy of the options that is done with. */
void tc_conn_secrets_wipe(struct nvmf_opts *o);

/* Longest connection name (state record, default mount point), NUL included. */
#define TC_NAME_MAX 64

struct tc_conn_opt {
	int         id;		/* TC_CO_* */
	const char *name;	/* long name, nvme-cli's */
	char        letter;	/* short letter, nvme-cli's; 0 if none */
	bool        arg;	/* takes a value */
	int         lo, hi;	/* integer options: the accepted range */
};

/* The entry for a value getopt_long() returned (a letter when letters, or
 * an id), if it is one of the connection options in set; else NULL. */
const struct tc_conn_opt *tc_conn_find(int val, unsigned set, bool letters);

/* How many connection options there are. */
#define TC_CO_COUNT (TC_CO_END - TC_CO_TRANSPORT)

/*
 * Append the entries of set to a getopt_long() table: out needs room for
 * one per bit; no terminator is written. val is the letter when letters
 * and the entry has one, else the id. Returns the number appended.
 */
size_t tc_conn_longopts(struct option *out, unsigned set, bool letters);
/*
 * A tool's whole getopt_long() table, once: the connection options of set
 * (tc_conn_longopts()), then the tool's own options (own, terminator
 * included). out has TC_CO_COUNT + the entries of own, terminator
 * included; it is filled only while empty (out[0].name NULL).
 */
void tc_conn_table(struct option *out, unsigned set, bool letters, const struct option *own);
/* The short letters of set in getopt's form ("t:a:s:...gG"), into out. */
void tc_conn_shortopts(char *out, size_t len, unsigned set);
/* "-q/--hostnqn" (letters and a letter) or "--hostnqn", into buf. */
const char *tc_conn_label(const struct tc_conn_opt *opt, bool letters, char *buf, size_t len);

/*
 * Apply one option's value to o: 0, or -EINVAL (bad value) with the
 * message in err, naming the option and the value. TC_CO_NAME is only
 * checked (tc_check_name): nvmf_opts has no place for it, the caller keeps
 * arg.
 */
int tc_conn_set(const struct tc_conn_opt *opt, const char *arg, bool letters,
		struct nvmf_opts *o, char *err, size_t errlen);
/*
 * The same for a value that is not the process's argv (a fio job option,
 * which is read again later): a key is copied as it is, with no warning
 * about the command line and without overwriting arg. Long option labels.
 */
int tc_conn_set_value(const struct tc_conn_opt *opt, const char *arg, struct nvmf_opts *o,
		      char *err, size_t errlen);

/*
 * The options of set whose value in o differs from nvmf_opts_init()'s, as
 * a command line for a tool that offers them (nvmf-fuse): add() is called
 * with "--long-name" and the value (NULL for a flag); the value's storage
 * is only valid during the call. nr_io_queues 0 (admin queue only) is
 * left out: a tool with I/O queues keeps its default. TC_CO_NAME is never
 * emitted, nor the TLS key and the DH-HMAC-CHAP secrets (a command line is
 * public: pass them in the TC_*_ENV variables).
 */
void tc_conn_args(const struct nvmf_opts *o, unsigned set,
		  void (*add)(void *user, const char *opt, const char *val), void *user);

/* A port: a decimal number from 1 to 65535 (leading zeros decimal, no C
 * notation: 017523 is 17523, 0x1f53 none), or -1. */
long tc_port_num(const char *s);
/* An unsigned number, decimal or 0x hex, in [lo, hi]: 0, or -EINVAL with
 * "<opt>: '<s>' is not a number from <lo> to <hi>" in err. */
int tc_parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
		 char *err, size_t errlen);
/* The same for a signed number in [lo, hi] (lo may be -1: "forever", "off"). */
int tc_parse_int(const char *opt, const char *s, int lo, int hi, int *out, char *err,
		 size_t errlen);

/*
 * The query parameters of a URI (?ctrl_loss_tmo=-1&reconnect_delay=2&
 * fast_io_fail_tmo=5, nvmf_opts_set_uri()) applied to o's reconnect
 * options; nothing else of o changes. A parameter whose option was also
 * given (given: TC_CO_BIT()s) is refused, so the two cannot disagree
 * silently. 0, or -EINVAL with the message in err (a bad URI: the
 * library's text).
 */
int tc_conn_uri_params(struct nvmf_opts *o, const char *uri, unsigned given, bool letters,
		       char *err, size_t errlen);

/* What the tools take for an NQN: 1 to NVMF_NQN_MAX_LEN bytes, no blank or
 * control character (what the library's TLS identity and Connect accept). */
bool tc_nqn_ok(const char *s);

/* A connection name: 1 to TC_NAME_MAX - 1 of [A-Za-z0-9._-], not starting
 * with '.' (it names a file in the runtime directory). 0 or -EINVAL. */
int tc_check_name(const char *name);

/*
 * name as an absolute path into buf (the current directory before a
 * relative one), for files a daemon uses after chdir("/"). 0, or -EINVAL
 * (empty) / -ENAMETOOLONG (it does not fit len) / a getcwd() errno.
 */
int tc_abs_path(const char *name, char *buf, size_t len);

/* Restart getopt_long() for a new argument vector (glibc and BSD differ). */
void tc_getopt_reset(void);

#endif
