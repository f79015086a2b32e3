/*
 * nvmfctl: the Fabrics options of discover, connect and connect-all.
 *
 * nvme-cli's names and letters (its NVMF_OPTS): the connection options
 * (-t -a -s -n -q -I -i -Q -k -g -G -c -l -F, --connect-timeout,
 * --io-timeout, --name) come from tools/common/connopts.c, the table
 * nvmf-fuse uses too;
 * nvmfctl's own are -D/--duplicate-connect, -o/--output-format, -r/--raw,
 * -m/--mountpoint and --read-only, and autoconnect's --dry-run,
 * --instance-dir and --timeout. An option a command has no use for is
 * refused rather than ignored, so a typo never silently changes nothing.
 */
#include "nvmfctl.h"

#include <getopt.h>
#include <string.h>

enum {
	O_READ_ONLY = 256,
	O_DRY_RUN,
	O_INSTANCE_DIR,
	O_TIMEOUT,
};

/* nvmfctl's own options; the connection options are added in front. */
static const struct option own_opts[] = {
	{ "duplicate-connect", no_argument,       NULL, 'D' },
	{ "output-format",     required_argument, NULL, 'o' },
	{ "raw",               required_argument, NULL, 'r' },
	{ "mountpoint",        required_argument, NULL, 'm' },
	{ "read-only",         no_argument,       NULL, O_READ_ONLY },
	{ "dry-run",           no_argument,       NULL, O_DRY_RUN },
	{ "instance-dir",      required_argument, NULL, O_INSTANCE_DIR },
	{ "timeout",           required_argument, NULL, O_TIMEOUT },
	{ "help",              no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
#define NOWN (sizeof(own_opts) / sizeof(own_opts[0]))

static struct option long_opts[TC_CO_COUNT + NOWN];
static char short_opts[64];

static void build_tables(void)
{
	tc_conn_table(long_opts, NC_FAB_CONN, true, own_opts);
	if (short_opts[0])
		return;
	short_opts[0] = ':';
	tc_conn_shortopts(short_opts + 1, sizeof(short_opts) - 1, NC_FAB_CONN);
	strncat(short_opts, "Do:r:m:h", sizeof(short_opts) - strlen(short_opts) - 1);
}

/* Which command may use which option (c: getopt's value). */
static unsigned allowed_for(int c)
{
	const struct tc_conn_opt *co = tc_conn_find(c, NC_FAB_CONN, true);

	switch (co ? co->id : c) {
	case TC_CO_TRANSPORT: case TC_CO_TRADDR: case TC_CO_TRSVCID: case TC_CO_NQN:
	case TC_CO_HOSTNQN: case TC_CO_HOSTID: case TC_CO_HDR_DIGEST: case TC_CO_DATA_DIGEST:
	case TC_CO_KATO: case TC_CO_CONNECT_TIMEOUT: case 'h':
	case TC_CO_TLS: case TC_CO_TLS_KEY: case TC_CO_TLS_KEY_FILE: case TC_CO_TLS_IDENTITY:
	case TC_CO_TLS_COMPAT: case TC_CO_DHCHAP_SECRET: case TC_CO_DHCHAP_CTRL_SECRET:
	case TC_CO_DHCHAP_SECRET_FILE: case TC_CO_DHCHAP_CTRL_SECRET_FILE:
		return FAB_DISCOVER | FAB_CONNECT | FAB_CONNECT_ALL | FAB_AUTOCONNECT;
	case 'o':
		return FAB_DISCOVER | FAB_CONNECT | FAB_CONNECT_ALL;
	/* discover takes the reconnect options as nvme-cli does: a line of
	 * /etc/nvme/discovery.conf serves connect-all too, where they go to
	 * the connections. A one-shot discovery never reconnects. */
	case TC_CO_RECONNECT_DELAY: case TC_CO_CTRL_LOSS_TMO: case TC_CO_FAST_IO_FAIL_TMO:
		return FAB_DISCOVER | FAB_CONNECT | FAB_CONNECT_ALL | FAB_AUTOCONNECT;
	case TC_CO_NR_IO_QUEUES: case TC_CO_QUEUE_SIZE: case TC_CO_IO_TIMEOUT: case O_READ_ONLY:
		return FAB_CONNECT | FAB_CONNECT_ALL | FAB_AUTOCONNECT;
	case 'D':
		return FAB_CONNECT | FAB_CONNECT_ALL;
	case O_DRY_RUN: case O_INSTANCE_DIR: case O_TIMEOUT:
		return FAB_AUTOCONNECT;
	case 'r':
		return FAB_DISCOVER;
	case 'm': case TC_CO_NAME:
		return FAB_CONNECT;
	default:
		return 0;
	}
}

static const char *opt_name(int c, char *buf, size_t len)
{
	for (const struct option *o = long_opts; o->name; o++) {
		if (o->val == c) {
			if (c < 256)
				snprintf(buf, len, "-%c/--%s", c, o->name);
			else
				snprintf(buf, len, "--%s", o->name);
			return buf;
		}
	}
	snprintf(buf, len, "-%c", c);
	return buf;
}

void nc_fab_init(struct nc_fab_args *a, unsigned cmd)
{
	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	nvmf_opts_init(&a->c.t.o);
	a->c.fmt = NC_FMT_NORMAL;
	a->timeout_s = -1;
}

static int one(struct nc_fab_args *a, int c, const char *arg)
{
	const struct tc_conn_opt *co = tc_conn_find(c, NC_FAB_CONN, true);
	char nbuf[48];
	int r;

	if (!(allowed_for(c) & a->cmd))
		return nc_usage_err("%s does not apply to %s", opt_name(c, nbuf, sizeof(nbuf)),
				    nc_cmd);
	if (co) {
		r = nc_conn_opt(&a->c.t, co, arg, true);
		if (r == 0 && co->id == TC_CO_NAME)
			a->c.name = arg;
		return r;
	}
	switch (c) {
	case 'D':
		a->c.duplicate = true;
		return 0;
	case O_READ_ONLY:
		a->c.read_only = true;
		return 0;
	case 'o':
		a->have_fmt = true;
		return nc_parse_fmt(arg, a->cmd == FAB_DISCOVER, &a->c.fmt) < 0 ?
			NC_EXIT_USAGE : 0;
	case 'r':
		if (!*arg)
			return nc_usage_err("-r/--raw: empty file name");
		a->raw = arg;
		return 0;
	case 'm':
		if (!*arg)
			return nc_usage_err("-m/--mountpoint: empty path");
		a->c.mountpoint = arg;
		return 0;
	case O_DRY_RUN:
		a->dry_run = true;
		return 0;
	case O_INSTANCE_DIR:
		if (arg[0] != '/')
			return nc_usage_err("--instance-dir: '%s' is not an absolute path", arg);
		a->instance_dir = arg;
		return 0;
	case O_TIMEOUT:
		return nc_parse_int("--timeout", arg, 0, 86400, &a->timeout_s) < 0 ?
			NC_EXIT_USAGE : 0;
	default:
		return nc_usage_err("unexpected option");
	}
}

int nc_fab_parse(int argc, char **argv, struct nc_fab_args *a, const char *help)
{
	int c, r;

	build_tables();
	tc_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return nc_getopt_err(c, optopt, argv);
		r = one(a, c, optarg);
		if (r)
			return r;
	}
	for (; optind < argc; optind++) {
		if (a->c.t.uri)
			return nc_usage_err("unexpected argument '%s'", argv[optind]);
		/* nvmf-fuse's order (MOUNTPOINT URI) typed to connect. */
		if ((a->cmd & FAB_CONNECT) && !strstr(argv[optind], "://") &&
		    strchr(argv[optind], '/'))
			return nc_usage_err("unexpected argument '%s': a mount point is given "
					    "with -m/--mountpoint DIR (connect URI -m DIR)",
					    argv[optind]);
		if (!strstr(argv[optind], "://"))
			return nc_usage_err("unexpected argument '%s' (a target is a URI "
					    "nvme+tcp://HOST[:PORT]/SUBNQN, or -a ADDR)",
					    argv[optind]);
		a->c.t.uri = argv[optind];
	}
	return 0;
}
