/*
 * nvmfctl autoconnect: connect at boot under systemd, one service per
 * subsystem.
 *
 * connect-all forks nvmf-fuse servers itself; run from a Type=oneshot unit
 * at boot, systemd would kill them when the unit finishes. autoconnect
 * walks the same discovery logs (discover.c's nc_disc_walk, from
 * /etc/nvme/discovery.conf as nvme-cli's nvmf-autoconnect does, or from
 * the controller given), writes for each NVM subsystem an instance file
 * NAME.conf that nvmf-fuse@.service reads as its EnvironmentFile=, then
 * has systemd start every nvmf-fuse@NAME.service in one `systemctl start`.
 * Each server is then a service of its own: restarted, stopped and logged
 * by systemd.
 *
 * The instance file (packaging/systemd/README, nvmfctl(8)):
 *   NVMF_URI=nvme+tcp://ADDR:PORT/SUBNQN[?reconnect options]
 *   NVMF_FUSE_ARGS=nvmf-fuse's connection options, split at spaces
 *   NVMF_TLS_KEY=, NVMF_DHCHAP_SECRET=, NVMF_DHCHAP_CTRL_SECRET= (if any;
 *   nvmf-fuse reads them from its environment, never its command line)
 * systemd parses it without a shell: the values written here contain no
 * blank, quote, backslash or '$', so nothing in them is reinterpreted.
 */
#include "nvmfctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where nvmf-fuse@.service looks (besides /etc/nvmf/fuse/): regenerated at
 * each boot, so a subsystem no longer discovered leaves nothing behind. */
#define INSTANCE_DIR  "/run/nvmf-autoconnect"
#define UNIT_PREFIX   "nvmf-fuse@"
#define UNIT_SUFFIX   ".service"
#define MAX_INSTANCES 256
/* systemd's UNIT_NAME_MAX is 256, the NUL included. */
#define UNIT_NAME_MAX 256
#define ENV_LINE_MAX  2048
/* How long `systemctl start` may take: a service that fails to connect is
 * restarted (Restart=on-failure) and its start job waits through that. */
#define START_TIMEOUT 120
/* systemctl --no-block queues jobs and returns: seconds it may take. */
#define NOBLOCK_TIMEOUT 60

static const char autoconnect_help[] =
	"Usage: nvmfctl autoconnect [OPTIONS]      (every controller of /etc/nvme/discovery.conf)\n"
	"       nvmfctl autoconnect -t tcp -a ADDR [-s PORT] [OPTIONS]\n"
	"       nvmfctl autoconnect nvme+tcp://HOST[:PORT] [OPTIONS]\n"
	"Discover as connect-all does, then start one systemd service\n"
	"nvmf-fuse@NAME.service per NVM subsystem found (the nvmf-fuse-autoconnect\n"
	"unit runs this at boot). The options of each are written to\n"
	"/run/nvmf-autoconnect/NAME.conf, read by nvmf-fuse@.service; NAME is the\n"
	"end of the subsystem NQN and a hash of NQN, address and port, so a\n"
	"subsystem keeps its name (and its mount point /run/nvmf/NAME) across boots.\n\n"
	"      --dry-run              write and start nothing: print each service\n"
	"                             and its instance file (secrets not shown)\n"
	"      --instance-dir DIR     instance files into DIR (default\n"
	"                             /run/nvmf-autoconnect, where the unit reads them)\n"
	"      --timeout S            wait at most S seconds for the services to serve\n"
	"                             (default 120; 0: start them and do not wait)\n"
	"  -t, -a, -s, -n, -q, -I, -k, -g, -G, --connect-timeout, --tls...,\n"
	"  -S, -C, --dhchap-...       as for connect-all (see nvmfctl connect-all --help)\n"
	"  -i, -Q, --io-timeout, -c, -l, -F, --read-only\n"
	"                             passed on to each nvmf-fuse service\n"
	"  -h, --help                 this text\n"
	"NVMF_SYSTEMCTL names the systemctl to run (default: systemctl in the PATH).\n";

struct instance {
	char name[TC_NAME_MAX];
	char unit[UNIT_NAME_MAX];
};

struct autoconnect {
	const struct nc_fab_args *a;
	const char *dir;
	struct instance inst[MAX_INSTANCES];
	int n;
};

/* ---- Names ------------------------------------------------------------------------ */

/* FNV-1a (64-bit) over the NUL-separated fields: stable across runs and
 * machines, so an instance keeps its name from one boot to the next. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h * 1099511628211ull;	/* the NUL: "ab","c" differs from "a","bc" */
}

/*
 * The connection name (tc_check_name: [A-Za-z0-9._-], at most 63): the
 * NQN's last ':'-separated part ("disk" of nqn.2026-11.org.example:disk)
 * with other bytes as '_', cut at 40, then '-' and 8 hex digits of the
 * hash of NQN, address and port (one subsystem reached at two addresses
 * is two connections).
 */
static void instance_name(const struct nvmf_opts *o, char *out, size_t len)
{
	const char *tail = strrchr(o->subnqn, ':');
	uint64_t h = 1469598103934665603ull;
	char label[41];
	size_t n = 0;

	tail = tail && tail[1] ? tail + 1 : o->subnqn;
	for (; *tail && n < sizeof(label) - 1; tail++) {
		unsigned char c = (unsigned char)*tail;

		label[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ? (char)c
											  : '_';
	}
	label[n] = '\0';
	if (n == 0 || label[0] == '.')
		label[0] = n ? '_' : '\0';
	h = fnv1a(fnv1a(fnv1a(h, o->subnqn), o->traddr), o->trsvcid);
	snprintf(out, len, "%s-%08x", label[0] ? label : "nvmf", (unsigned)(h ^ (h >> 32)));
}

/*
 * systemd-escape(1)'s rules for a string in a unit name (systemd.unit(5),
 * "STRING ESCAPING FOR INCLUSION IN UNIT NAMES"): '/' becomes '-'; ASCII
 * letters, digits, ':', '_' and '.' (but a leading '.') stay; every other
 * byte becomes "\xNN", lower-case hex. nvmf-fuse@.service's %I undoes it.
 * 0, or -1 when the result does not fit.
 */
static int systemd_escape(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (n + 5 > len)
			return -1;
		if (c == '/') {
			out[n++] = '-';
		} else if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == ':' || c == '_' || c == '.') &&
			   !(c == '.' && p == s)) {
			out[n++] = (char)c;
		} else {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (n + 1 > len)
		return -1;
	out[n] = '\0';
	return 0;
}

/* ---- The instance file -------------------------------------------------------------- */

/* A value systemd's EnvironmentFile= parser keeps as it is. */
static bool env_safe(const char *v)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c <= ' ' || c >= 0x7f || strchr("\"'\\$`", c))
			return false;
	}
	return true;
}

struct env {
	char args[ENV_LINE_MAX];	/* NVMF_FUSE_ARGS */
	size_t len;
	bool bad;			/* an option value env_safe() refused */
	char bad_what[160];
};

/* tc_conn_args()'s callback: appended to NVMF_FUSE_ARGS. */
static void add_arg(void *user, const char *opt, const char *val)
{
	struct env *e = user;
	int w;

	if (e->bad)
		return;
	if (val && !env_safe(val)) {
		e->bad = true;
		snprintf(e->bad_what, sizeof(e->bad_what), "the value of %s has a blank, a quote, "
			 "'\\' or '$', which an instance file cannot carry", opt);
		return;
	}
	w = snprintf(e->args + e->len, sizeof(e->args) - e->len, "%s%s%s%s", e->len ? " " : "",
		     opt, val ? " " : "", val ? val : "");
	if (w < 0 || (size_t)w >= sizeof(e->args) - e->len) {
		e->bad = true;
		snprintf(e->bad_what, sizeof(e->bad_what), "the nvmf-fuse options are too long");
		return;
	}
	e->len += (size_t)w;
}

/*
 * nc_build_uri() leaves RFC 3986's sub-delims '$' and '\'' as they are;
 * percent-encoded (the URI parser decodes them), the URI is env_safe().
 * 0, or -1 when it does not fit.
 */
static int env_uri(const char *uri, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = uri; *p; p++) {
		if (n + 4 > len)
			return -1;
		if (*p == '$' || *p == '\'')
			n += (size_t)snprintf(out + n, len - n, "%%%02X", (unsigned char)*p);
		else
			out[n++] = *p;
	}
	out[n] = '\0';
	return 0;
}

/*
 * The instance file's text for connection c into buf: secrets included
 * only when with_secrets (a dry run prints the file without them). 0, or
 * -1 with the reason in why.
 */
static int instance_text(const struct autoconnect *ac, const struct nc_conn_opts *c,
			 bool with_secrets, char *buf, size_t len, char *why, size_t whylen)
{
	const struct nvmf_opts *o = &c->t.o;
	char raw[1400], uri[4200];
	struct env e;
	size_t n;
	int w;

	memset(&e, 0, sizeof(e));
	if (nc_build_uri(o, raw, sizeof(raw)) < 0) {
		nc_uri_why(o, why, whylen);
		return -1;
	}
	if (env_uri(raw, uri, sizeof(uri)) < 0) {
		snprintf(why, whylen, "the address and NQN make a URI longer than an instance "
			 "file takes");
		return -1;
	}
	if (!env_safe(uri)) {	/* an address with a blank or a quote */
		snprintf(why, whylen, "its address has a character (quote, '\\', '$', blank) "
			 "that an instance file cannot carry");
		return -1;
	}
	tc_conn_args(o, NC_FUSE_CONN, add_arg, &e);
	if (!e.bad && ac->a->c.read_only)
		add_arg(&e, "--read-only", NULL);
	if (e.bad) {
		snprintf(why, whylen, "%s", e.bad_what);
		return -1;
	}
	w = snprintf(buf, len, "# nvmf-fuse@.service instance, written by nvmfctl autoconnect\n"
			       "NVMF_URI=%s\nNVMF_FUSE_ARGS=%s\n", uri, e.args);
	if (w < 0 || (size_t)w >= len)
		goto too_long;
	n = (size_t)w;
	for (int i = 0; i < 3; i++) {
		static const char *const var[] = { TC_TLS_KEY_ENV, TC_DHCHAP_SECRET_ENV,
						   TC_DHCHAP_CTRL_SECRET_ENV };
		const char *const val[] = { o->tls_key, o->dhchap_secret, o->dhchap_ctrl_secret };

		if (!val[i][0])
			continue;
		if (!env_safe(val[i])) {
			snprintf(why, whylen, "%s is not in the key format", var[i]);
			return -1;
		}
		w = snprintf(buf + n, len - n, "%s=%s\n", var[i],
			     with_secrets ? val[i] : "(secret, not shown)");
		if (w < 0 || (size_t)w >= len - n)
			goto too_long;
		n += (size_t)w;
	}
	return 0;
too_long:
	snprintf(why, whylen, "the instance file is too long");
	return -1;
}

/* dir/name.conf, mode 0600 (it may hold secrets), written whole or not at
 * all (a temporary file renamed over it). 0, or -1 (message printed). */
static int write_instance(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	size_t len = strlen(text), off = 0;
	int fd, e = 0;

	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		nc_err("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	/* The files hold secrets and root writes them at boot: a folder
	 * someone else owns or may write to could swap in a link or read them. */
	if (lstat(dir, &st) < 0) {
		nc_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		nc_err("%s: refused for the instance files (their secrets): it must be a "
		       "folder of this user's that no one else may write to", dir);
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.conf", dir, name) >= sizeof(path)) {
		nc_err("--instance-dir %s: the path is too long", dir);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* A new file of our own, never one that was there (or a link): its
	 * mode is then ours too. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		nc_err("cannot remove %s: %s", tmp, strerror(errno));
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		nc_err("cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	while (off < len && !e) {
		ssize_t n = write(fd, text + off, len - off);

		if (n > 0)
			off += (size_t)n;
		else if (n == 0 || errno != EINTR)
			e = n < 0 ? errno : EIO;
	}
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		nc_err("cannot write %s: %s", path, strerror(e));
		return -1;
	}
	return 0;
}

/* ---- Per subsystem, then systemctl ------------------------------------------------------ */

/* nc_disc_walk()'s entry: the instance file (or, --dry-run, its text). */
static int add_instance(void *user, const struct nc_conn_opts *c)
{
	struct autoconnect *ac = user;
	struct instance *in;
	char text[4096], why[200], esc[UNIT_NAME_MAX];
	int r = 0;

	if (ac->n >= MAX_INSTANCES) {
		nc_err("%s at %s:%s: more than %d subsystems, not started", c->t.o.subnqn,
		       c->t.o.traddr, c->t.o.trsvcid, MAX_INSTANCES);
		return -1;
	}
	in = &ac->inst[ac->n];
	instance_name(&c->t.o, in->name, sizeof(in->name));
	for (int i = 0; i < ac->n; i++)
		if (!strcmp(ac->inst[i].name, in->name))
			return 1;	/* reached again through a referral */
	if (systemd_escape(in->name, esc, sizeof(esc)) < 0 ||
	    (size_t)snprintf(in->unit, sizeof(in->unit), "%s%s%s", UNIT_PREFIX, esc,
			     UNIT_SUFFIX) >= sizeof(in->unit)) {
		nc_err("%s: the unit name is too long", in->name);	/* cannot happen: 63 */
		return -1;
	}
	if (instance_text(ac, c, !ac->a->dry_run, text, sizeof(text), why, sizeof(why)) < 0) {
		nc_err("%s at %s:%s: not started: %s", c->t.o.subnqn, c->t.o.traddr,
		       c->t.o.trsvcid, why);
		r = -1;
	} else if (ac->a->dry_run) {
		printf("%s\n", in->unit);
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
			if (line[0] != '#')
				printf("  %s\n", line);
	} else {
		r = write_instance(ac->dir, in->name, text);
	}
	/* The text holds the secrets (a failed one perhaps a part of them). */
	tc_wipe(text, sizeof(text));
	if (r < 0)
		return -1;
	ac->n++;
	return 0;
}

/*
 * `systemctl start UNIT...`: systemd starts them in parallel and answers
 * once each is ready (Type=notify) or has failed; with timeout_s 0,
 * --no-block: the jobs are queued and not waited for. A systemctl still
 * waiting after timeout_s is ended (the jobs stay queued in systemd).
 * NC_EXIT_OK or NC_EXIT_FAIL (message printed).
 */
static int systemctl_start(const struct autoconnect *ac, int timeout_s)
{
	const char *exe = getenv("NVMF_SYSTEMCTL");
	char *argv[MAX_INSTANCES + 5];
	int argc = 0, status, r;
	pid_t pid;

	if (!exe || !*exe)
		exe = "systemctl";
	argv[argc++] = (char *)exe;
	argv[argc++] = "start";
	if (timeout_s == 0)
		argv[argc++] = "--no-block";
	argv[argc++] = "--";
	for (int i = 0; i < ac->n; i++)
		argv[argc++] = (char *)ac->inst[i].unit;
	argv[argc] = NULL;
	nc_flush_stdout();	/* a failure is kept for main()'s final check */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		nc_err("cannot fork: %s", strerror(errno));
		return NC_EXIT_FAIL;
	}
	if (pid == 0) {
		if (strchr(exe, '/'))
			execv(exe, argv);
		else
			execvp(exe, argv);
		fprintf(stderr, "nvmfctl: autoconnect: cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	/* --no-block (--timeout 0) only queues the jobs: a bound all the same. */
	r = nc_wait_child(pid, timeout_s > 0 ? timeout_s : NOBLOCK_TIMEOUT, &status);
	if (r == -EINTR) {
		nc_err("interrupted: stopped %s", exe);
		nc_die_of_signal();
		return NC_EXIT_FAIL;
	}
	if (r == -ETIMEDOUT && timeout_s == 0) {
		nc_err("%s start --no-block did not return within %d s; stopped it", exe,
		       NOBLOCK_TIMEOUT);
		return NC_EXIT_FAIL;
	}
	if (r == -ETIMEDOUT) {
		nc_err("the services have not all started after %d s (one may be retrying "
		       "its connection); they go on starting: see 'systemctl list-units "
		       "nvmf-fuse@*' (--timeout)", timeout_s);
		return NC_EXIT_FAIL;
	}
	if (r < 0) {
		nc_err("waitpid: %s", strerror(-r));
		return NC_EXIT_FAIL;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NC_EXIT_OK;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return NC_EXIT_FAIL;	/* said above */
	nc_err("%s start failed (%s %d): see 'systemctl status nvmf-fuse@*' and "
	       "'journalctl -u nvmf-fuse@*'", exe, WIFEXITED(status) ? "status" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return NC_EXIT_FAIL;
}

static int autoconnect_one(struct nc_fab_args *a)
{
	static struct autoconnect ac;	/* 80 KiB: not on the stack */
	struct nc_walk_count n;
	int r = NC_EXIT_OK;

	memset(&ac, 0, sizeof(ac));
	ac.a = a;
	ac.dir = a->instance_dir ? a->instance_dir : INSTANCE_DIR;
	nc_disc_walk(a, add_instance, &ac, &n);
	if (!a->dry_run && ac.n > 0)
		r = systemctl_start(&ac, a->timeout_s >= 0 ? a->timeout_s : START_TIMEOUT);
	printf("autoconnect: %d service%s %s, %d skipped, %d failed\n", ac.n,
	       ac.n == 1 ? "" : "s", a->dry_run ? "would be started" :
	       r != NC_EXIT_OK ? "not all started" :
	       a->timeout_s == 0 ? "queued to start" : "started", n.skipped, n.failed);
	return n.failed || r ? NC_EXIT_FAIL : NC_EXIT_OK;
}

int cmd_autoconnect(int argc, char **argv)
{
	return nc_disc_run(argc, argv, FAB_AUTOCONNECT, autoconnect_help, autoconnect_one);
}
