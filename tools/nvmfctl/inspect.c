/*
 * nvmfctl: the options of the inspection commands (id-ctrl, id-ns,
 * list-ns, get-log).
 *
 * These keep nvme-cli's per-command option letters (in id-ns -n is the
 * namespace ID, in get-log -i the log ID and -l its length), so the target
 * is a positional URI or long options only: --traddr, --trsvcid, --nqn,
 * --transport, --hostnqn, --hostid, --connect-timeout (the connection
 * options of tools/common/connopts.c, without their letters).
 */
#include "nvmfctl.h"

#include <getopt.h>
#include <string.h>

/* The connection options, long names only (tools/common/connopts.c). */
#define INSP_CONN (TC_CO_TARGET | TC_CO_HOST | TC_CO_BIT(TC_CO_CONNECT_TIMEOUT) | TC_CO_SECURITY | \
		   TC_CO_AUTH)

/* The inspection commands' own options; the connection options are added
 * in front. */
static const struct option own_opts[] = {
	{ "output-format",   required_argument, NULL, 'o' },
	{ "raw-binary",      no_argument,       NULL, 'b' },
	{ "namespace-id",    required_argument, NULL, 'n' },
	{ "log-id",          required_argument, NULL, 'i' },
	{ "log-len",         required_argument, NULL, 'l' },
	{ "lpo",             required_argument, NULL, 'L' },
	{ "lsp",             required_argument, NULL, 's' },
	{ "rae",             no_argument,       NULL, 'r' },
	{ "help",            no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
#define NOWN (sizeof(own_opts) / sizeof(own_opts[0]))

static struct option long_opts[TC_CO_COUNT + NOWN];

static const char *shortopts(unsigned cmd)
{
	switch (cmd) {
	case INSP_ID_NS:
	case INSP_LIST_NS:
		return ":o:bn:h";
	case INSP_GET_LOG:
		return ":o:bn:i:l:L:s:rh";
	default:
		return ":o:bh";
	}
}

/* Log page names accepted by get-log -i (and as a positional word). */
static const struct {
	const char *name;
	uint8_t lid;
} log_names[] = {
	{ "error", NVMF_LID_ERROR },
	{ "smart", NVMF_LID_SMART },
	{ "fw-slot", NVMF_LID_FW_SLOT },
	{ "changed-ns", NVMF_LID_CHANGED_NS },
	{ "discovery", NVMF_LID_DISCOVERY },
};

int nc_log_id(const char *s, int *lid)
{
	uint64_t v;

	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (!strcmp(s, log_names[i].name)) {
			*lid = log_names[i].lid;
			return 0;
		}
	}
	if (nc_parse_u64("-i/--log-id", s, 0, 255, &v) < 0)
		return -1;
	*lid = (int)v;
	return 0;
}

void nc_inspect_init(struct nc_inspect *x, unsigned cmd)
{
	memset(x, 0, sizeof(*x));
	x->cmd = cmd;
	nc_target_init(&x->t);
	x->fmt = NC_FMT_NORMAL;
	x->log_id = -1;
}

static int one(struct nc_inspect *x, int c, const char *arg)
{
	const struct tc_conn_opt *co = tc_conn_find(c, INSP_CONN, false);
	uint64_t v;

	if (co)
		return nc_conn_opt(&x->t, co, arg, false);
	switch (c) {
	case 'o':
		return nc_parse_fmt(arg, true, &x->fmt) < 0 ? NC_EXIT_USAGE : 0;
	case 'b':
		x->fmt = NC_FMT_BINARY;
		return 0;
	case 'n':
		/* 0 and FFFFFFFFh are not namespace IDs; list-ns starts after n,
		 * and CNS 02h refuses FFFFFFFEh and FFFFFFFFh (NVMe Base 2.0,
		 * Identify CNS 02h): its bound is FFFFFFFDh. */
		if (nc_parse_u64("-n/--namespace-id", arg, x->cmd == INSP_LIST_NS ? 0 : 1,
				  x->cmd == INSP_GET_LOG ? 0xffffffffu :
				  x->cmd == INSP_LIST_NS ? NC_LIST_NS_MAX : 0xfffffffeu, &v) < 0)
			return NC_EXIT_USAGE;
		x->nsid = (uint32_t)v;
		x->have_nsid = true;
		return 0;
	case 'i':
		return nc_log_id(arg, &x->log_id) < 0 ? NC_EXIT_USAGE : 0;
	case 'l':
		/* Get Log Page NUMD counts dwords: a multiple of 4, up to 1 MiB here. */
		if (nc_parse_u64("-l/--log-len", arg, 4, 1u << 20, &v) < 0)
			return NC_EXIT_USAGE;
		if (v % 4)
			return nc_usage_err("-l/--log-len: %llu is not a multiple of 4",
					     (unsigned long long)v);
		x->log_len = (uint32_t)v;
		return 0;
	case 'L':
		if (nc_parse_u64("-L/--lpo", arg, 0, UINT64_MAX, &x->lpo) < 0)
			return NC_EXIT_USAGE;
		if (x->lpo % 4)
			return nc_usage_err("-L/--lpo: %llu is not a multiple of 4",
					     (unsigned long long)x->lpo);
		return 0;
	case 's':
		if (nc_parse_u64("-s/--lsp", arg, 0, 127, &v) < 0)
			return NC_EXIT_USAGE;
		x->lsp = (uint8_t)v;
		return 0;
	case 'r':
		x->rae = true;
		return 0;
	default:
		return nc_usage_err("unexpected option");
	}
}

int nc_inspect_parse(int argc, char **argv, struct nc_inspect *x, const char *help)
{
	int c, r;

	tc_conn_table(long_opts, INSP_CONN, false, own_opts);
	tc_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts(x->cmd), long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return nc_getopt_err(c, optopt, argv);
		if ((c == 'i' || c == 'l' || c == 'L' || c == 's' || c == 'r') &&
		    x->cmd != INSP_GET_LOG)
			return nc_usage_err("unknown option '-%c'", c);
		if (c == 'n' && x->cmd == INSP_ID_CTRL)
			return nc_usage_err("unknown option '-n'");
		r = one(x, c, optarg);
		if (r)
			return r;
	}
	for (; optind < argc; optind++) {
		const char *a = argv[optind];

		if (strstr(a, "://")) {
			if (x->t.uri)
				return nc_usage_err("unexpected argument '%s'", a);
			x->t.uri = a;
		} else if (x->cmd == INSP_GET_LOG && x->log_id < 0) {
			if (nc_log_id(a, &x->log_id) < 0)
				return NC_EXIT_USAGE;
		} else {
			return nc_usage_err("unexpected argument '%s' (the target is a URI "
					     "nvme+tcp://HOST[:PORT]/SUBNQN or --traddr ADDR)", a);
		}
	}
	r = nc_target_finish(&x->t, false);
	if (r)
		return r;
	/* The URI's /NSID is the namespace unless -n says otherwise. */
	if (!x->have_nsid && x->t.o.nsid) {
		x->nsid = x->t.o.nsid;
		x->have_nsid = true;
	}
	return 0;
}
