/*
 * nvmf-fuse: command line.
 *
 *   nvmf-fuse [OPTIONS] [MOUNTPOINT] URI
 *
 * The connection options (--hostnqn, --hostid, --nr-io-queues,
 * --queue-size, --keep-alive-tmo, --hdr-digest, --data-digest,
 * --io-timeout, --connect-timeout, --reconnect-delay, --ctrl-loss-tmo,
 * --fast_io_fail_tmo, --name) are tools/common/connopts.c's,
 * shared with nvmfctl: nvme-cli's long names, without its short letters.
 * The rest follow FUSE's conventions (-f, -d, -o, plus nbdfuse's -r and -P). Options may appear
 * before or after the positional arguments on every platform: the parser
 * moves them to the front itself rather than relying on GNU getopt's
 * permutation, which FreeBSD's getopt_long lacks.
 */
#ifndef NVMF_FUSE_OPTIONS_H
#define NVMF_FUSE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <nvmf/nvmf.h>

#include "connopts.h"	/* tools/common: the connection options, TC_NAME_MAX */

#define FO_MAX_FUSE_OPTS 32

struct fo_config {
	struct nvmf_opts nv;		/* host options, URI applied */
	const char *uri;
	const char *mountpoint;		/* NULL: <runtime dir>/<name>/ */
	const char *pidfile;		/* NULL, or pidfile_buf */
	char        pidfile_buf[NVMF_PATH_BUFSZ];	/* absolute: the server runs in "/" */
	char        name[TC_NAME_MAX];	/* "" = nvmfN, the smallest free N */
	unsigned    given;		/* TC_CO_BIT()s of the connection options given */
	bool        foreground;
	bool        debug;
	bool        read_only;
	bool        direct_io;
	bool        allow_other;	/* implies default_permissions */
	unsigned    max_read;		/* -o max_read=N (0: not given) */
	/* -o values FUSE should see, split at commas, ours removed. */
	const char *fuse_opts[FO_MAX_FUSE_OPTS];
	int         nr_fuse_opts;
	/* Storage for the split -o values. */
	char       *fuse_opt_buf[FO_MAX_FUSE_OPTS];
	int         nr_fuse_opt_buf;
};

enum fo_result {
	FO_RUN = 0,
	FO_HELP = 1,		/* --help: usage printed, exit 0 */
	FO_VERSION = 2,		/* --version: printed, exit 0 */
};

/*
 * Parse argv into cfg (nvmf_opts_init() is called first). Does not reorder
 * argv; a secret given in it (--tls-key, --dhchap-secret...) is overwritten
 * there once copied. Returns an fo_result, or -EINVAL with err holding a
 * message that names the bad argument (-ENOMEM likewise).
 */
int fo_parse(int argc, char *const argv[], struct fo_config *cfg, char *err, size_t errlen);
/* The same on top of defaults (a struct nvmf_opts from nvmf_opts_init(),
 * which reads /etc/nvme/hostnqn and hostid: a caller parsing many command
 * lines reads them once); NULL: nvmf_opts_init(). */
int fo_parse_from(const struct nvmf_opts *defaults, int argc, char *const argv[],
		  struct fo_config *cfg, char *err, size_t errlen);
/* Frees what fo_parse() allocated and wipes the secrets in cfg->nv. */
void fo_release(struct fo_config *cfg);
void fo_usage(FILE *f, const char *prog);

/*
 * Reorder argv into out (argc + 1 slots): options and their arguments
 * first, in their original order, then "--" if one was given, then the
 * positional arguments. Exposed for tests. Returns the new argc.
 */
int fo_permute(int argc, char *const argv[], char **out);

#endif
