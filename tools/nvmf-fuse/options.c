/*
 * nvmf-fuse: command line parsing (see options.h).
 */
#include "options.h"
#include "hints.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_DIRECT_IO = 256,
};

/*
 * No short option may mean something else to libfuse: its -s is
 * single-threaded, -h/-V/-d/-f/-o are the same as here. So the connection
 * options (tools/common/connopts.c, shared with nvmfctl) go without
 * nvme-cli's short letters (-q, -I, -i, -Q, -k, -g, -G).
 */
static const char short_opts[] = "+:hVfdo:rP:";

/* The connection options nvmf-fuse offers (the target is the URI). */
#define FO_CONN (TC_CO_HOST | TC_CO_QUEUES | TC_CO_RECONNECT | TC_CO_SECURITY | TC_CO_AUTH | \
		 TC_CO_BIT(TC_CO_NAME))

/* nvmf-fuse's own options; the connection options come first. */
static const struct option own_opts[] = {
	{ "help",            no_argument,       NULL, 'h' },
	{ "version",         no_argument,       NULL, 'V' },
	{ "foreground",      no_argument,       NULL, 'f' },
	{ "debug",           no_argument,       NULL, 'd' },
	{ "option",          required_argument, NULL, 'o' },
	{ "read-only",       no_argument,       NULL, 'r' },
	{ "pidfile",         required_argument, NULL, 'P' },
	{ "direct-io",       no_argument,       NULL, OPT_DIRECT_IO },
	{ NULL, 0, NULL, 0 },
};

static struct option long_opts[TC_CO_COUNT + sizeof(own_opts) / sizeof(own_opts[0])];

void fo_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTIONS] [MOUNTPOINT] URI\n"
		"Serve every namespace of an NVMe/TCP controller as a file n<NSID> under MOUNTPOINT.\n"
		"URI: nvme+tcp://HOST[:PORT]/SUBNQN[/NSID]\n"
		"\n"
		"  -f, --foreground         stay in the foreground\n"
		"  -d, --debug              FUSE debug output (implies -f)\n"
		"  -o OPT[,OPT...]          mount option passed to FUSE (allow_other, ro, direct_io...)\n"
		"  -r, --read-only          a read-only mount (-o ro)\n"
		"  -P, --pidfile FILE       write the server's pid to FILE once it serves\n"
		"      --name NAME          connection name for nvmfctl (default nvmfN)\n"
		"      --direct-io          bypass the page cache (FUSE direct_io)\n"
		"      --hostnqn NQN        host NQN\n"
		"      --hostid UUID        host identifier\n"
		"      --nr-io-queues N     I/O queues (default: online CPUs)\n"
		"      --queue-size N       entries per I/O queue (default 128)\n"
		"      --keep-alive-tmo S   keep-alive timeout in seconds (default 5)\n"
		"      --hdr-digest         ask for header digests\n"
		"      --data-digest        ask for data digests\n"
		"      --io-timeout S       per-command timeout in seconds (default 30)\n"
		"      --connect-timeout S  connection timeout in seconds (default 10)\n"
		"      --reconnect-delay S  seconds between reconnect attempts (default 10)\n"
		"      --ctrl-loss-tmo S    give up reconnecting after S seconds (default 600;\n"
		"                           -1 never gives up, 0 never reconnects)\n"
		"      --fast_io_fail_tmo S fail held I/O S seconds into an outage (default -1: off)\n"
		"      --tls                TLS 1.3 with a pre-shared key (key file entry unless\n"
		"                           a key is given)\n"
		"      --tls-key KEY        configured PSK, NVMeTLSkey-1:...; implies --tls\n"
		"                           (visible to other users: prefer NVMF_TLS_KEY)\n"
		"      --tls-key-file FILE  key file (default /etc/nvme/tls-keys)\n"
		"      --tls-identity 0|1   PSK identity version (default 0)\n"
		"      --tls-compat         derive the TLS PSK as nvme-cli 2.15 and older do\n"
		"      --dhchap-secret KEY  DH-HMAC-CHAP host secret (DHHC-1:...; argv is public)\n"
		"      --dhchap-ctrl-secret KEY  controller secret: bidirectional authentication\n"
		"      --dhchap-secret-file FILE, --dhchap-ctrl-secret-file FILE  from files\n"
		"                           (or NVMF_DHCHAP_SECRET, NVMF_DHCHAP_CTRL_SECRET)\n"
		"  -h, --help               this text\n"
		"  -V, --version            version\n"
		"The URI's query may set the reconnect options: ?ctrl_loss_tmo=-1&reconnect_delay=2.\n"
		"While the connection is lost, reads and writes wait and are replayed once it\n"
		"is back; they fail with EIO when nvmf-fuse gives up. SIGUSR1 reconnects now.\n"
		"NVMF_TLS_KEY in the environment gives the key when --tls-key does not.\n",
		prog);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- Permutation ------------------------------------------------------------------ */

static bool short_takes_arg(char c, bool *known)
{
	const char *p = strchr(short_opts + 2, c);

	*known = c != ':' && p != NULL;
	return *known && p[1] == ':';
}

/* Does "--name..." (without the dashes, up to '=') take a separate argument? */
static bool long_takes_arg(const char *name)
{
	size_t len = strcspn(name, "=");
	const struct option *match = NULL;
	int nmatch = 0;

	if (name[len] == '=')
		return false;	/* --opt=value carries its own argument */
	for (const struct option *o = long_opts; o->name; o++) {
		if (strncmp(o->name, name, len))
			continue;
		if (strlen(o->name) == len)
			return o->has_arg == required_argument;
		match = o;
		nmatch++;
	}
	/* Unknown or ambiguous: getopt_long will complain; consume nothing. */
	return nmatch == 1 && match->has_arg == required_argument;
}

/* As fo_permute(); *dangling names an option whose argument is missing (it
 * would otherwise take the first positional argument once moved). */
static int permute(int argc, char *const argv[], char **out, const char **dangling)
{
	char **pos;
	int n = 0, npos = 0, i;
	bool dashdash = false;

	if (argc < 1)
		return 0;
	tc_conn_table(long_opts, FO_CONN, false, own_opts);
	pos = calloc((size_t)argc, sizeof(*pos));
	if (!pos)
		return -ENOMEM;
	out[n++] = argv[0];
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			pos[npos++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		out[n++] = argv[i];
		if (a[1] == '-') {
			if (long_takes_arg(a + 2)) {
				if (i + 1 < argc)
					out[n++] = argv[++i];
				else
					*dangling = a;
			}
			continue;
		}
		for (int j = 1; a[j]; j++) {
			bool known;

			if (short_takes_arg(a[j], &known)) {
				if (!a[j + 1]) {
					if (i + 1 < argc)
						out[n++] = argv[++i];
					else
						*dangling = a;
				}
				break;	/* the rest of this word is the argument */
			}
		}
	}
	if (dashdash)
		out[n++] = "--";
	for (i = 0; i < npos; i++)
		out[n++] = pos[i];
	out[n] = NULL;
	free(pos);
	return n;
}

int fo_permute(int argc, char *const argv[], char **out)
{
	const char *dangling = NULL;

	return permute(argc, argv, out, &dangling);
}

/* ---- Values ----------------------------------------------------------------------- */

static int add_fuse_opt(struct fo_config *cfg, const char *opt, char *err, size_t errlen)
{
	if (cfg->nr_fuse_opts >= FO_MAX_FUSE_OPTS)
		return fail(err, errlen, "-o: more than %d mount options", FO_MAX_FUSE_OPTS);
	cfg->fuse_opts[cfg->nr_fuse_opts++] = opt;
	return 0;
}

/* -o a,b,c: keep what is ours, pass the rest to FUSE. */
static int parse_o(struct fo_config *cfg, const char *val, char *err, size_t errlen)
{
	char *copy, *save = NULL, *tok;
	int r = 0;

	if (!*val)
		return fail(err, errlen, "-o: empty mount option");
	if (cfg->nr_fuse_opt_buf >= FO_MAX_FUSE_OPTS)
		return fail(err, errlen, "-o: given more than %d times", FO_MAX_FUSE_OPTS);
	copy = strdup(val);
	if (!copy)
		return -ENOMEM;
	cfg->fuse_opt_buf[cfg->nr_fuse_opt_buf++] = copy;
	for (tok = strtok_r(copy, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "direct_io")) {
			cfg->direct_io = true;
		} else if (!strcmp(tok, "ro")) {
			cfg->read_only = true;
			r = add_fuse_opt(cfg, tok, err, errlen);
		} else if (!strcmp(tok, "allow_other")) {
			cfg->allow_other = true;
			r = add_fuse_opt(cfg, tok, err, errlen);
		} else if (!strncmp(tok, "max_read=", 9)) {
			/* FUSE's too (the kernel's limit), and the connection's:
			 * libfuse refuses an init() whose max_read differs from
			 * the mount's (fs.c, nf_init()). */
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(tok + 9, &end, 10);
			if (errno || end == tok + 9 || *end || tok[9] == '-' || v == 0 ||
			    v > UINT32_MAX)
				return fail(err, errlen, "-o %s: not a byte count from 1 to %u", tok,
					    UINT32_MAX);
			cfg->max_read = (unsigned)v;
			r = add_fuse_opt(cfg, tok, err, errlen);
		} else if (!strcmp(tok, "default_permissions")) {
			/* Added with allow_other; harmless alone. */
			r = add_fuse_opt(cfg, tok, err, errlen);
		} else {
			r = add_fuse_opt(cfg, tok, err, errlen);
		}
	}
	return r;
}

static int parse_positionals(struct fo_config *cfg, int n, char *const pos[], char *err,
			     size_t errlen)
{
	struct nvmf_uri u;
	char line[1024];

	if (n == 0)
		return fail(err, errlen, "missing URI (nvme+tcp://HOST[:PORT]/SUBNQN[/NSID])");
	if (n > 2)
		return fail(err, errlen, "unexpected argument '%s' (expected [MOUNTPOINT] URI)",
			    pos[2]);
	if (n == 1) {
		if (!strstr(pos[0], "://"))
			return fail(err, errlen, "missing URI after MOUNTPOINT '%s'", pos[0]);
		cfg->uri = pos[0];
	} else {
		if (!*pos[0])
			return fail(err, errlen, "MOUNTPOINT is empty");
		if (strstr(pos[0], "://") && !strstr(pos[1], "://"))
			return fail(err, errlen, "'%s' is a URI and '%s' is not: the mount point "
				    "comes first (nvmf-fuse MOUNTPOINT URI)", pos[0], pos[1]);
		cfg->mountpoint = pos[0];
		cfg->uri = pos[1];
	}
	if (nvmf_uri_parse(cfg->uri, &u) < 0)
		return fail(err, errlen, "%s", tc_uri_error(line, sizeof(line), cfg->uri,
							    nvmf_get_error()));
	if (u.discovery)
		return fail(err, errlen, "URI '%s' names a discovery controller; nvmf-fuse needs "
			    "an NVM subsystem NQN", cfg->uri);
	if (nvmf_opts_set_uri(&cfg->nv, cfg->uri) < 0)
		return fail(err, errlen, "%s", tc_uri_error(line, sizeof(line), cfg->uri,
							    nvmf_get_error()));
	/* The key may come in the environment (nvmfctl connect passes it so). */
	if (tc_conn_secrets_env(&cfg->nv, cfg->given, err, errlen) < 0)
		return -1;
	/* The reconnect options an option set too are refused in the query. */
	return tc_conn_uri_params(&cfg->nv, cfg->uri, cfg->given, false, err, errlen);
}

static int parse_one(struct fo_config *cfg, int c, const char *arg, const char *word,
		     char *err, size_t errlen)
{
	const struct tc_conn_opt *co = tc_conn_find(c, FO_CONN, false);

	if (co) {
		int r = tc_conn_set(co, arg, false, &cfg->nv, err, errlen);

		if (r == 0 && co->id == TC_CO_NAME)
			snprintf(cfg->name, sizeof(cfg->name), "%s", arg);
		if (r == 0)
			cfg->given |= TC_CO_BIT(co->id);
		return r;
	}
	switch (c) {
	case 'f':
		cfg->foreground = true;
		return 0;
	case 'd':
		cfg->debug = true;
		cfg->foreground = true;
		return 0;
	case 'o':
		return parse_o(cfg, arg, err, errlen);
	case 'r':
		cfg->read_only = true;
		return 0;
	case 'P':
		if (!*arg)
			return fail(err, errlen, "--pidfile: empty file name");
		/* Written and removed by the server, which runs in "/": a
		 * relative name would be removed from the wrong directory. */
		{
			int r = tc_abs_path(arg, cfg->pidfile_buf, sizeof(cfg->pidfile_buf));

			if (r == -ENAMETOOLONG)
				return fail(err, errlen, "--pidfile: '%s' is too long with the "
					    "current directory (at most %zu characters)", arg,
					    sizeof(cfg->pidfile_buf) - 1);
			if (r < 0)
				return fail(err, errlen, "--pidfile: '%s': cannot tell the current "
					    "directory: %s", arg, strerror(-r));
		}
		cfg->pidfile = cfg->pidfile_buf;
		return 0;
	case OPT_DIRECT_IO:
		cfg->direct_io = true;
		return 0;
	case ':':
		return fail(err, errlen, "option '%s' needs an argument", word);
	default:
		return fail(err, errlen, "unknown option '%s' (see --help)", word);
	}
}

int fo_parse(int argc, char *const argv[], struct fo_config *cfg, char *err, size_t errlen)
{
	return fo_parse_from(NULL, argc, argv, cfg, err, errlen);
}

int fo_parse_from(const struct nvmf_opts *defaults, int argc, char *const argv[],
		  struct fo_config *cfg, char *err, size_t errlen)
{
	const char *dangling = NULL;
	char **av;
	int ac, c, r = 0, result = FO_RUN;

	tc_conn_table(long_opts, FO_CONN, false, own_opts);
	memset(cfg, 0, sizeof(*cfg));
	if (defaults)
		cfg->nv = *defaults;
	else
		nvmf_opts_init(&cfg->nv);
	err[0] = '\0';
	if (argc < 1)
		return fail(err, errlen, "empty argument vector");
	av = calloc((size_t)argc + 2, sizeof(*av));
	if (!av)
		return -ENOMEM;
	ac = permute(argc, argv, av, &dangling);
	if (ac < 0) {
		free(av);
		return ac;
	}
	if (dangling) {
		free(av);
		return fail(err, errlen, "option '%s' needs an argument", dangling);
	}
	tc_getopt_reset();
	opterr = 0;
	for (;;) {
		int before = optind ? optind : 1;
		char word[64];

		c = getopt_long(ac, av, short_opts, long_opts, NULL);
		if (c == -1)
			break;
		/* The word getopt just looked at, for messages. */
		if (c == '?' || c == ':') {
			const char *w = av[optind > before ? optind - 1 : before];

			if (w && w[0] == '-' && w[1] == '-') {
				/* A long option, named up to its '=' (a key
				 * may follow); optopt is then no letter. */
				int n = (int)strcspn(w, "=");

				if (c == '?' && w[n] == '=' && optopt) {
					r = fail(err, errlen, "option '%.*s' takes no value",
						 n < 60 ? n : 60, w);
					break;
				}
				snprintf(word, sizeof(word), "%.*s", n < 60 ? n : 60, w);
			} else if (optopt > ' ' && optopt < 127) {
				snprintf(word, sizeof(word), "-%c", optopt);
			} else {
				snprintf(word, sizeof(word), "%.60s", w ? w : "?");
			}
		} else {
			word[0] = '\0';
		}
		if (c == 'h')
			result = FO_HELP;
		else if (c == 'V')
			result = FO_VERSION;
		else
			r = parse_one(cfg, c, optarg, word, err, errlen);
		if (r < 0)
			break;
	}
	if (r == 0 && result == FO_RUN)
		r = parse_positionals(cfg, ac - optind, av + optind, err, errlen);
	free(av);
	if (r < 0) {
		fo_release(cfg);
		return r;
	}
	return result;
}

void fo_release(struct fo_config *cfg)
{
	/* Done with the options, and with their secrets (a connected library
	 * holds its own copy). */
	tc_conn_secrets_wipe(&cfg->nv);
	for (int i = 0; i < cfg->nr_fuse_opt_buf; i++)
		free(cfg->fuse_opt_buf[i]);
	cfg->nr_fuse_opt_buf = 0;
	cfg->nr_fuse_opts = 0;
}
