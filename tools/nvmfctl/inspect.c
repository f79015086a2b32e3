/*
 * nvmfctl: the options of the inspection commands (id-ctrl, id-ns,
 * list-ns, get-log).
 *
 * These keep nvme-cli's per-command option letters (in id-ns -n is the
 * namespace ID, in get-log -i the log ID and -l its length), so the target
 * is a positional URI or long options only: --traddr, --trsvcid, --nqn,
 * --transport, --hostnqn, --hostid.
 */
#include "nvmfctl.h"

#include <getopt.h>
#include <string.h>

enum {
	I_TRADDR = 256,
	I_TRSVCID,
	I_NQN,
	I_TRANSPORT,
	I_HOSTNQN,
	I_HOSTID,
	I_CONNECT_TIMEOUT,
};

static const struct option long_opts[] = {
	{ "traddr",          required_argument, NULL, I_TRADDR },
	{ "trsvcid",         required_argument, NULL, I_TRSVCID },
	{ "nqn",             required_argument, NULL, I_NQN },
	{ "transport",       required_argument, NULL, I_TRANSPORT },
	{ "hostnqn",         required_argument, NULL, I_HOSTNQN },
	{ "hostid",          required_argument, NULL, I_HOSTID },
	{ "connect-timeout", required_argument, NULL, I_CONNECT_TIMEOUT },
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

int ctl_log_id(const char *s, int *lid)
{
	uint64_t v;

	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (!strcmp(s, log_names[i].name)) {
			*lid = log_names[i].lid;
			return 0;
		}
	}
	if (ctl_parse_u64("-i/--log-id", s, 0, 255, &v) < 0)
		return -1;
	*lid = (int)v;
	return 0;
}

void ctl_inspect_init(struct ctl_inspect *x, unsigned cmd)
{
	memset(x, 0, sizeof(*x));
	x->cmd = cmd;
	ctl_target_init(&x->t);
	x->fmt = CTL_FMT_NORMAL;
	x->log_id = -1;
}

static int one(struct ctl_inspect *x, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case I_TRADDR:
		return ctl_set_traddr(&x->t, arg) < 0 ? CTL_EXIT_USAGE : 0;
	case I_TRSVCID:
		return ctl_set_trsvcid(&x->t, arg) < 0 ? CTL_EXIT_USAGE : 0;
	case I_NQN:
		return ctl_set_nqn(&x->t, "--nqn", arg) < 0 ? CTL_EXIT_USAGE : 0;
	case I_TRANSPORT:
		return ctl_set_transport(arg) < 0 ? CTL_EXIT_USAGE : 0;
	case I_HOSTNQN:
		return ctl_set_hostnqn(&x->t, arg) < 0 ? CTL_EXIT_USAGE : 0;
	case I_HOSTID:
		return ctl_set_hostid(&x->t, arg) < 0 ? CTL_EXIT_USAGE : 0;
	case I_CONNECT_TIMEOUT:
		return ctl_parse_int("--connect-timeout", arg, 1, 3600,
				     &x->t.o.connect_timeout) < 0 ? CTL_EXIT_USAGE : 0;
	case 'o':
		return ctl_parse_fmt(arg, true, &x->fmt) < 0 ? CTL_EXIT_USAGE : 0;
	case 'b':
		x->fmt = CTL_FMT_BINARY;
		return 0;
	case 'n':
		/* 0 and FFFFFFFFh are not namespace IDs; list-ns starts after n. */
		if (ctl_parse_u64("-n/--namespace-id", arg, x->cmd == INSP_LIST_NS ? 0 : 1,
				  x->cmd == INSP_GET_LOG ? 0xffffffffu : 0xfffffffeu, &v) < 0)
			return CTL_EXIT_USAGE;
		x->nsid = (uint32_t)v;
		x->have_nsid = true;
		return 0;
	case 'i':
		return ctl_log_id(arg, &x->log_id) < 0 ? CTL_EXIT_USAGE : 0;
	case 'l':
		/* Get Log Page NUMD counts dwords: a multiple of 4, up to 1 MiB here. */
		if (ctl_parse_u64("-l/--log-len", arg, 4, 1u << 20, &v) < 0)
			return CTL_EXIT_USAGE;
		if (v % 4)
			return ctl_usage_err("-l/--log-len: %llu is not a multiple of 4",
					     (unsigned long long)v);
		x->log_len = (uint32_t)v;
		return 0;
	case 'L':
		if (ctl_parse_u64("-L/--lpo", arg, 0, UINT64_MAX, &x->lpo) < 0)
			return CTL_EXIT_USAGE;
		if (x->lpo % 4)
			return ctl_usage_err("-L/--lpo: %llu is not a multiple of 4",
					     (unsigned long long)x->lpo);
		return 0;
	case 's':
		if (ctl_parse_u64("-s/--lsp", arg, 0, 127, &v) < 0)
			return CTL_EXIT_USAGE;
		x->lsp = (uint8_t)v;
		return 0;
	case 'r':
		x->rae = true;
		return 0;
	default:
		return ctl_usage_err("unexpected option");
	}
}

int ctl_inspect_parse(int argc, char **argv, struct ctl_inspect *x, const char *help)
{
	int c, r;

	ctl_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts(x->cmd), long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return ctl_getopt_err(c, optopt, argv);
		if ((c == 'i' || c == 'l' || c == 'L' || c == 's' || c == 'r') &&
		    x->cmd != INSP_GET_LOG)
			return ctl_usage_err("unknown option '-%c'", c);
		if (c == 'n' && x->cmd == INSP_ID_CTRL)
			return ctl_usage_err("unknown option '-n'");
		r = one(x, c, optarg);
		if (r)
			return r;
	}
	for (; optind < argc; optind++) {
		const char *a = argv[optind];

		if (strstr(a, "://")) {
			if (x->t.uri)
				return ctl_usage_err("unexpected argument '%s'", a);
			x->t.uri = a;
		} else if (x->cmd == INSP_GET_LOG && x->log_id < 0) {
			if (ctl_log_id(a, &x->log_id) < 0)
				return CTL_EXIT_USAGE;
		} else {
			return ctl_usage_err("unexpected argument '%s' (the target is a URI "
					     "nvme+tcp://HOST[:PORT]/SUBNQN or --traddr ADDR)", a);
		}
	}
	r = ctl_target_finish(&x->t, false);
	if (r)
		return r;
	/* The URI's /NSID is the namespace unless -n says otherwise. */
	if (!x->have_nsid && x->t.o.nsid) {
		x->nsid = x->t.o.nsid;
		x->have_nsid = true;
	}
	return 0;
}
