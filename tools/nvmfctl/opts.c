/*
 * nvmfctl: the Fabrics options of discover, connect and connect-all.
 *
 * nvme-cli's names and letters (its NVMF_OPTS): -t/--transport,
 * -a/--traddr, -s/--trsvcid, -n/--nqn, -q/--hostnqn, -I/--hostid,
 * -i/--nr-io-queues, -Q/--queue-size, -k/--keep-alive-tmo, -g/--hdr-digest,
 * -G/--data-digest, -D/--duplicate-connect, -o/--output-format, -r/--raw.
 * An option a command has no use for is refused rather than ignored, so a
 * typo never silently changes nothing.
 */
#include "nvmfctl.h"

#include <getopt.h>
#include <string.h>

enum {
	O_NAME = 256,
	O_READ_ONLY,
	O_CONNECT_TIMEOUT,
	O_IO_TIMEOUT,
	O_MOUNTPOINT_LONG,
};

static const struct option long_opts[] = {
	{ "transport",         required_argument, NULL, 't' },
	{ "traddr",            required_argument, NULL, 'a' },
	{ "trsvcid",           required_argument, NULL, 's' },
	{ "nqn",               required_argument, NULL, 'n' },
	{ "hostnqn",           required_argument, NULL, 'q' },
	{ "hostid",            required_argument, NULL, 'I' },
	{ "nr-io-queues",      required_argument, NULL, 'i' },
	{ "queue-size",        required_argument, NULL, 'Q' },
	{ "keep-alive-tmo",    required_argument, NULL, 'k' },
	{ "hdr-digest",        no_argument,       NULL, 'g' },
	{ "data-digest",       no_argument,       NULL, 'G' },
	{ "duplicate-connect", no_argument,       NULL, 'D' },
	{ "output-format",     required_argument, NULL, 'o' },
	{ "raw",               required_argument, NULL, 'r' },
	{ "mountpoint",        required_argument, NULL, 'm' },
	{ "ctrl-loss-tmo",     required_argument, NULL, 'c' },
	{ "reconnect-delay",   required_argument, NULL, 'l' },
	{ "name",              required_argument, NULL, O_NAME },
	{ "read-only",         no_argument,       NULL, O_READ_ONLY },
	{ "connect-timeout",   required_argument, NULL, O_CONNECT_TIMEOUT },
	{ "io-timeout",        required_argument, NULL, O_IO_TIMEOUT },
	{ "help",              no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Which command may use which option. */
static unsigned allowed_for(int c)
{
	switch (c) {
	case 't': case 'a': case 's': case 'n': case 'q': case 'I': case 'g': case 'G':
	case 'o': case 'k': case O_CONNECT_TIMEOUT: case 'h':
		return FAB_DISCOVER | FAB_CONNECT | FAB_CONNECT_ALL;
	case 'i': case 'Q': case 'D': case O_IO_TIMEOUT: case O_READ_ONLY:
		return FAB_CONNECT | FAB_CONNECT_ALL;
	case 'r':
		return FAB_DISCOVER;
	case 'm': case O_NAME:
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

#if !defined(__GLIBC__)
extern int optreset;		/* BSD; hidden by _POSIX_C_SOURCE in some headers */
#endif

void ctl_getopt_reset(void)
{
#if defined(__GLIBC__)
	optind = 0;		/* glibc: full re-initialisation */
#else
	optreset = 1;
	optind = 1;
#endif
}

void ctl_fab_init(struct ctl_fab_args *a, unsigned cmd)
{
	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	memset(&a->c.t, 0, sizeof(a->c.t));
	nvmf_opts_init(&a->c.t.o);
	a->c.fmt = CTL_FMT_NORMAL;
}

static int one(struct ctl_fab_args *a, int c, const char *arg)
{
	struct ctl_target *t = &a->c.t;
	char nbuf[48];

	if (!(allowed_for(c) & a->cmd)) {
		if (c == 'c' || c == 'l')
			return ctl_usage_err("%s: this version has no automatic reconnect "
					     "(a lost connection fails I/O with EIO after "
					     "--io-timeout)", opt_name(c, nbuf, sizeof(nbuf)));
		return ctl_usage_err("%s does not apply to %s", opt_name(c, nbuf, sizeof(nbuf)),
				     ctl_cmd);
	}
	switch (c) {
	case 't':
		return ctl_set_transport(arg) < 0 ? CTL_EXIT_USAGE : 0;
	case 'a':
		return ctl_set_traddr(t, arg) < 0 ? CTL_EXIT_USAGE : 0;
	case 's':
		return ctl_set_trsvcid(t, arg) < 0 ? CTL_EXIT_USAGE : 0;
	case 'n':
		return ctl_set_nqn(t, "-n/--nqn", arg) < 0 ? CTL_EXIT_USAGE : 0;
	case 'q':
		a->have_hostnqn = true;
		return ctl_set_hostnqn(t, arg) < 0 ? CTL_EXIT_USAGE : 0;
	case 'I':
		a->have_hostid = true;
		return ctl_set_hostid(t, arg) < 0 ? CTL_EXIT_USAGE : 0;
	case 'i':
		a->have_nr_io_queues = true;
		return ctl_parse_int("-i/--nr-io-queues", arg, 1, 1024, &t->o.nr_io_queues) < 0 ?
			CTL_EXIT_USAGE : 0;
	case 'Q':
		a->have_queue_size = true;
		/* NVMe Base 2.0, 3.3.1: at least 2 entries, at most 64 Ki. */
		return ctl_parse_int("-Q/--queue-size", arg, 2, 65536, &t->o.queue_size) < 0 ?
			CTL_EXIT_USAGE : 0;
	case 'k':
		a->have_kato = true;
		return ctl_parse_int("-k/--keep-alive-tmo", arg, 0, 65535, &t->o.kato) < 0 ?
			CTL_EXIT_USAGE : 0;
	case O_CONNECT_TIMEOUT:
		a->have_connect_timeout = true;
		return ctl_parse_int("--connect-timeout", arg, 1, 3600, &t->o.connect_timeout) < 0 ?
			CTL_EXIT_USAGE : 0;
	case O_IO_TIMEOUT:
		a->have_io_timeout = true;
		return ctl_parse_int("--io-timeout", arg, 1, 3600, &t->o.io_timeout) < 0 ?
			CTL_EXIT_USAGE : 0;
	case 'g':
		t->o.hdr_digest = true;
		return 0;
	case 'G':
		t->o.data_digest = true;
		return 0;
	case 'D':
		a->c.duplicate = true;
		return 0;
	case O_READ_ONLY:
		a->c.read_only = true;
		return 0;
	case 'o':
		a->have_fmt = true;
		return ctl_parse_fmt(arg, a->cmd == FAB_DISCOVER, &a->c.fmt) < 0 ?
			CTL_EXIT_USAGE : 0;
	case 'r':
		if (!*arg)
			return ctl_usage_err("-r/--raw: empty file name");
		a->raw = arg;
		return 0;
	case 'm':
		if (!*arg)
			return ctl_usage_err("-m/--mountpoint: empty path");
		a->c.mountpoint = arg;
		return 0;
	case O_NAME:
		if (ctl_check_name(arg) < 0)
			return ctl_usage_err("--name: '%s' is not a valid connection name (1-63 of "
					     "A-Z a-z 0-9 . _ -, not starting with '.')", arg);
		a->c.name = arg;
		return 0;
	default:
		return ctl_usage_err("unexpected option");
	}
}

int ctl_fab_parse(int argc, char **argv, struct ctl_fab_args *a, const char *help)
{
	int c, r;

	ctl_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:a:s:n:q:I:i:Q:k:gGDo:r:m:c:l:h", long_opts,
				NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return ctl_getopt_err(c, optopt, argv);
		r = one(a, c, optarg);
		if (r)
			return r;
	}
	for (; optind < argc; optind++) {
		if (a->c.t.uri)
			return ctl_usage_err("unexpected argument '%s'", argv[optind]);
		if (!strstr(argv[optind], "://"))
			return ctl_usage_err("unexpected argument '%s' (a target is a URI "
					     "nvme+tcp://HOST[:PORT]/SUBNQN, or -a ADDR)",
					     argv[optind]);
		a->c.t.uri = argv[optind];
	}
	return 0;
}

int ctl_check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63 || name[0] == '.')
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return -1;
	}
	return 0;
}
