/*
 * nvmfctl: command dispatch, help, and the commands that need no target:
 * version, gen-hostnqn, show-hostnqn.
 *
 *   nvmfctl COMMAND [OPTIONS] [ARGUMENTS]
 */
#include "nvmfctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NVMFCTL_VERSION
#define NVMFCTL_VERSION "0.0.0"
#endif

static int cmd_version(int argc, char **argv);
static int cmd_gen_hostnqn(int argc, char **argv);
static int cmd_show_hostnqn(int argc, char **argv);
static int cmd_help(int argc, char **argv);
/* tlskey.c (they say "built without OpenSSL" in a build without it) */
int cmd_gen_tls_key(int argc, char **argv);
int cmd_check_tls_key(int argc, char **argv);
/* dhchapkey.c (the same without OpenSSL) */
int cmd_gen_dhchap_key(int argc, char **argv);
int cmd_check_dhchap_key(int argc, char **argv);

static const struct nc_command commands[] = {
	{ "discover",       cmd_discover,       "print the discovery log of a discovery controller" },
	{ "connect",        cmd_connect,        "connect to a subsystem: serve its namespaces as files (nvmf-fuse)" },
	{ "connect-all",    cmd_connect_all,    "discover, then connect to every NVM subsystem found" },
	{ "autoconnect",    cmd_autoconnect,    "discover, then start an nvmf-fuse@ systemd service per subsystem" },
	{ "disconnect",     cmd_disconnect,     "end connections by name, mount point or subsystem NQN" },
	{ "disconnect-all", cmd_disconnect_all, "end every nvmf-fuse connection" },
	{ "list",           cmd_list,           "list the connections nvmf-fuse serves" },
	{ "reconnect",      cmd_reconnect,      "make a connection again now (after an outage, or to reset it)" },
	{ "id-ctrl",        cmd_id_ctrl,        "print a remote controller's Identify Controller data" },
	{ "id-ns",          cmd_id_ns,          "print a remote namespace's Identify Namespace data" },
	{ "list-ns",        cmd_list_ns,        "print a remote controller's active namespace IDs" },
	{ "get-log",        cmd_get_log,        "read a log page (smart, error, discovery, or any by ID)" },
	{ "gen-tls-key",    cmd_gen_tls_key,    "generate a TLS PSK (interchange format); -i: into the key file" },
	{ "check-tls-key",  cmd_check_tls_key,  "check a TLS PSK, print its PSK identity; -i: into the key file" },
	{ "gen-dhchap-key", cmd_gen_dhchap_key, "generate a DH-HMAC-CHAP secret (DHHC-1) for in-band auth" },
	{ "check-dhchap-key", cmd_check_dhchap_key, "check a DH-HMAC-CHAP secret (DHHC-1)" },
	{ "gen-hostnqn",    cmd_gen_hostnqn,    "generate a random host NQN" },
	{ "show-hostnqn",   cmd_show_hostnqn,   "print the host NQN this machine uses" },
	{ "version",        cmd_version,        "print nvmfctl's and libnvmf's versions" },
	{ "help",           cmd_help,           "print this help, or a command's (help COMMAND)" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: nvmfctl COMMAND [OPTIONS] [ARGUMENTS]\n"
		   "NVMe over Fabrics (TCP) administration with libnvmf, in the manner of nvme-cli.\n\n"
		   "Commands:\n");
	for (const struct nc_command *c = commands; c->name; c++)
		fprintf(f, "  %-16s %s\n", c->name, c->summary);
	fprintf(f, "\nA target is a URI nvme+tcp://HOST[:PORT]/SUBNQN[/NSID] or, depending on the\n"
		   "command, -t tcp -a ADDR [-s PORT] -n SUBNQN (discover, connect) or\n"
		   "--traddr/--trsvcid/--nqn (inspection commands).\n"
		   "'nvmfctl COMMAND --help' describes a command; 'nvmfctl --version' (-V)\n"
		   "prints the version; see also nvmfctl(8).\n");
}

/* Commands without a target take only -o and --help. */
static int simple_opts(int argc, char **argv, const char *help, enum nc_fmt *fmt)
{
	static const struct option lo[] = {
		{ "output-format", required_argument, NULL, 'o' },
		{ "help",          no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*fmt = NC_FMT_NORMAL;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (nc_parse_fmt(optarg, false, fmt) < 0)
				return NC_EXIT_USAGE;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return nc_getopt_err(c, optopt, argv);
		}
	}
	if (optind < argc)
		return nc_usage_err("unexpected argument '%s'", argv[optind]);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	enum nc_fmt fmt;
	int r = simple_opts(argc, argv,
			    "Usage: nvmfctl version [-o normal|json]\n"
			    "Print the versions of nvmfctl and of the libnvmf library it runs with.\n"
			    "  -o, --output-format FMT  normal or json\n"
			    "  -h, --help               this text\n", &fmt);

	if (r)
		return r < 0 ? 0 : r;
	if (fmt == NC_FMT_JSON) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "nvmfctl", json_object_new_string(NVMFCTL_VERSION));
		json_object_object_add(o, "libnvmf", json_object_new_string(nvmf_version()));
		nc_json_print(o);
	} else {
		printf("nvmfctl version %s\n", NVMFCTL_VERSION);
		printf("libnvmf version %s\n", nvmf_version());
	}
	return 0;
}

/* 16 random bytes from the kernel's generator; 0 or -errno. */
static int random_bytes(uint8_t *buf, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return -e;
		}
		got += (size_t)n;
	}
	close(fd);
	return 0;
}

static int cmd_gen_hostnqn(int argc, char **argv)
{
	uint8_t id[16];
	char uuid[37];
	enum nc_fmt fmt;
	int r = simple_opts(argc, argv,
			    "Usage: nvmfctl gen-hostnqn [-o normal|json]\n"
			    "Print a new host NQN made of a random UUID (RFC 4122 version 4):\n"
			    "nqn.2014-08.org.nvmexpress:uuid:<uuid>. Nothing is written; save it to\n"
			    "/etc/nvme/hostnqn to make it this machine's host NQN.\n"
			    "  -o, --output-format FMT  normal or json\n"
			    "  -h, --help               this text\n", &fmt);

	if (r)
		return r < 0 ? 0 : r;
	r = random_bytes(id, sizeof(id));
	if (r < 0) {
		nc_err("cannot read /dev/urandom: %s", strerror(-r));
		return NC_EXIT_FAIL;
	}
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);	/* version 4 */
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	nvmf_hostid_format(id, uuid);
	if (fmt == NC_FMT_JSON) {
		json_object *o = json_object_new_object();
		char nqn[NVMF_NQN_BUFSZ];

		snprintf(nqn, sizeof(nqn), "%s%s", NVMF_HOSTNQN_UUID_PREFIX, uuid);
		json_object_object_add(o, "hostnqn", json_object_new_string(nqn));
		nc_json_print(o);
	} else {
		printf("%s%s\n", NVMF_HOSTNQN_UUID_PREFIX, uuid);
	}
	return 0;
}

static int cmd_show_hostnqn(int argc, char **argv)
{
	char nqn[NVMF_NQN_BUFSZ], uuid[37];
	uint8_t hostid[16];
	enum nc_fmt fmt;
	int r = simple_opts(argc, argv,
			    "Usage: nvmfctl show-hostnqn [-o normal|json]\n"
			    "Print the host NQN connections use by default: /etc/nvme/hostnqn when it\n"
			    "exists (as nvme-cli), else a stable NQN derived from the machine identity.\n"
			    "With -o json the default host ID is printed too.\n"
			    "  -o, --output-format FMT  normal or json\n"
			    "  -h, --help               this text\n", &fmt);

	if (r)
		return r < 0 ? 0 : r;
	r = nvmf_default_hostnqn(nqn, sizeof(nqn));
	if (r < 0) {
		nc_err("no host NQN: %s; create /etc/nvme/hostnqn (see 'nvmfctl gen-hostnqn')",
			nvmf_get_error()[0] ? nvmf_get_error() : strerror(-r));
		return NC_EXIT_FAIL;
	}
	if (fmt == NC_FMT_JSON) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "hostnqn", json_object_new_string(nqn));
		if (nvmf_default_hostid(hostid) == 0) {
			nvmf_hostid_format(hostid, uuid);
			json_object_object_add(o, "hostid", json_object_new_string(uuid));
		}
		nc_json_print(o);
	} else {
		printf("%s\n", nqn);
	}
	return 0;
}

static const struct nc_command *find(const char *name)
{
	for (const struct nc_command *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct nc_command *c;
	char *hargv[3];

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (argc > 2)
		return nc_usage_err("unexpected argument '%s'", argv[2]);
	c = find(argv[1]);
	if (!c || c->run == cmd_help) {
		nc_cmd = "";
		return nc_usage_err("unknown command '%s'", argv[1]);
	}
	nc_cmd = c->name;
	hargv[0] = (char *)c->name;
	hargv[1] = "--help";
	hargv[2] = NULL;
	return c->run(2, hargv);
}

/* Output to stdout is buffered: a full disk or a closed pipe shows only when
 * the buffer goes out, often at exit, after the command reported success. So
 * every command ends here: the buffer is flushed and stdout closed, and a
 * failure turns the exit status into 1 with a message (as coreutils'
 * close_stdout). An error seen earlier (a flush before fork) counts too. */
static int close_stdout(int rc)
{
	bool failed = ferror(stdout) != 0;
	int e = 0;

	errno = 0;
	if (fflush(stdout) != 0) {
		failed = true;
		e = errno;
	} else if (fclose(stdout) != 0 && errno != EBADF) {
		/* EBADF: stdout was closed and nothing was written to it. */
		failed = true;
		e = errno;
	}
	if (!failed)
		return rc;
	if (nc_stdout_errno)
		e = nc_stdout_errno;
	/* Not nc_err(): it flushes stdout, which may be closed by now. */
	fprintf(stderr, "nvmfctl: %s%scannot write to standard output%s%s\n",
		nc_cmd, nc_cmd[0] ? ": " : "", e ? ": " : "", e ? strerror(e) : "");
	return rc ? rc : NC_EXIT_FAIL;
}

static int run(int argc, char **argv)
{
	const struct nc_command *c;

	/* Every failure reaches the user as nvmfctl's one error line; the
	 * library prints nothing of its own unless LIBNVMF_DEBUG asks. */
	nc_argv0 = argv[0];
	if (argc < 2) {
		usage(stderr);
		return NC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("nvmfctl version %s\n", NVMFCTL_VERSION);
		return 0;
	}
	c = find(argv[1]);
	if (!c)
		return nc_usage_err("unknown command '%s'", argv[1]);
	nc_cmd = c->name;
	return c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	return close_stdout(run(argc, argv));
}
