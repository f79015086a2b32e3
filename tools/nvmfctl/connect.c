/*
 * nvmfctl connect.
 *
 * A connection is an nvmf-fuse process: connect starts one (it forks a
 * server and exits 0 once the mount serves, or non-zero with the reason),
 * then finds the server's state record by the pid nvmf-fuse wrote to a
 * pidfile of ours. disconnect.c ends them.
 */
#include "nvmfctl.h"
#include "sdnotify.h"	/* tools/common: TC_NOTIFY_SOCKET_ENV */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char connect_help[] =
	"Usage: nvmfctl connect -t tcp -a ADDR [-s PORT] -n SUBNQN [OPTIONS]\n"
	"       nvmfctl connect nvme+tcp://HOST[:PORT]/SUBNQN[/NSID] [OPTIONS]\n"
	"Connect to an NVM subsystem over NVMe/TCP and serve each of its namespaces\n"
	"as a file n<NSID> (nvmf-fuse). Prints the connection's name, mount point and\n"
	"namespace files once it serves.\n\n"
	"  -t, --transport tcp        transport (only tcp)\n"
	"  -a, --traddr ADDR          controller address (name, IPv4, IPv6)\n"
	"  -s, --trsvcid PORT         port (default 4420)\n"
	"  -n, --nqn SUBNQN           subsystem NQN\n"
	"  -q, --hostnqn NQN          host NQN (default: nvmfctl show-hostnqn)\n"
	"  -I, --hostid UUID          host ID\n"
	"  -i, --nr-io-queues N       I/O queues (default: online CPUs)\n"
	"  -Q, --queue-size N         entries per I/O queue (default 128)\n"
	"  -k, --keep-alive-tmo S     keep-alive timeout in seconds (default 5)\n"
	"  -g, --hdr-digest           ask for header digests\n"
	"  -G, --data-digest          ask for data digests\n"
	"  -D, --duplicate-connect    allow a second connection to the same subsystem\n"
	"                             and address for the same host NQN\n"
	"  -m, --mountpoint DIR       mount point (default <runtime dir>/<name>/)\n"
	"      --name NAME            connection name (default nvmfN)\n"
	"      --read-only            read-only namespace files (a read-only mount)\n"
	"  -o, --output-format FMT    normal or json\n"
	"      --connect-timeout S    give up connecting after S seconds (default 10)\n"
	"      --io-timeout S         per-command timeout in seconds (default 30)\n"
	"  -c, --reconnect-delay S    seconds between reconnect attempts (default 10)\n"
	"  -l, --ctrl-loss-tmo S      give up reconnecting after S seconds (default 600;\n"
	"                             -1 never gives up, 0 never reconnects)\n"
	"  -F, --fast_io_fail_tmo S   fail held I/O S seconds into an outage while\n"
	"                             reconnecting goes on (default -1: off)\n"
	"      --tls                  TLS 1.3 with a pre-shared key (see nvmfctl(8), TLS)\n"
	"      --tls-key KEY          configured PSK, NVMeTLSkey-1:...; implies --tls\n"
	"                             (visible to other users: prefer NVMF_TLS_KEY)\n"
	"      --tls-key-file FILE    key file (default /etc/nvme/tls-keys)\n"
	"      --tls-identity -1|0|1  PSK identity version (default 0; -1: either)\n"
	"      --tls-compat           derive the TLS PSK as nvme-cli 2.15 and older do\n"
	"  -S, --dhchap-secret KEY    DH-HMAC-CHAP host secret (DHHC-1:...; argv is public)\n"
	"  -C, --dhchap-ctrl-secret KEY  controller secret: bidirectional authentication\n"
	"      --dhchap-secret-file FILE, --dhchap-ctrl-secret-file FILE  the same from files\n"
	"                             (or NVMF_DHCHAP_SECRET, NVMF_DHCHAP_CTRL_SECRET)\n"
	"  -h, --help                 this text\n"
	"While the connection is lost, I/O is held and replayed once reconnected; it\n"
	"fails with EIO when nvmf-fuse gives up (see nvmfctl(8), OUTAGES).\n"
	"NVMF_TLS_KEY in the environment gives the key when --tls-key does not; the key\n"
	"reaches nvmf-fuse in its environment, never on its command line.\n";

/* ---- Helpers ---------------------------------------------------------------------- */

/* nvmf-fuse: $NVMF_FUSE, beside nvmfctl (installed, or the build tree's
 * tools/nvmf-fuse/), else the PATH. */
static void find_fuse(char *out, size_t len)
{
	const char *env = getenv("NVMF_FUSE");
	char self[PATH_MAX], cand[PATH_MAX + 32], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0)
		self[n] = '\0';
	else if (nc_argv0 && strchr(nc_argv0, '/') && realpath(nc_argv0, self))
		n = (ssize_t)strlen(self);	/* no procfs (FreeBSD): argv[0] */
	if (n > 0) {
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/nvmf-fuse", self);
			if (access(cand, X_OK) == 0) {
				snprintf(out, len, "%s", cand);
				return;
			}
			snprintf(cand, sizeof(cand), "%s/../nvmf-fuse/nvmf-fuse", self);
			if (access(cand, X_OK) == 0) {
				snprintf(out, len, "%s", cand);
				return;
			}
		}
	}
	snprintf(out, len, "nvmf-fuse");
}

static bool read_line_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok;
}

/* The last non-empty line of nvmf-fuse's output, "nvmf-fuse: " removed. */
static void last_message(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[2048];

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		p[strcspn(p, "\r\n")] = '\0';
		if (!*p)
			continue;
		if (!strncmp(p, "nvmf-fuse: ", 11))
			p += 11;
		snprintf(buf, len, "%s", p);
	}
	fclose(f);
}

/*
 * nvmf-fuse words a failed connect as "cannot connect to URI: KIND; HINT
 * [TEXT]" with the same hints (tools/common/hints.c), but names options as
 * nvmf-fuse takes them: the library's TEXT alone is classified again here.
 */
static char *fuse_raw(char *msg)
{
	size_t n = strlen(msg);
	char *open = strstr(msg, " [");

	if (strncmp(msg, "cannot connect to ", 18) != 0 || !open || n < 2 || msg[n - 1] != ']')
		return msg;
	msg[n - 1] = '\0';
	return open + 2;
}

/* Arguments for nvmf-fuse: only what differs from its defaults. */
struct argv_buf {
	char *v[48];
	int n;
	char store[24][NVMF_PATH_BUFSZ];	/* option values (tc_conn_args()) */
	int ns;
	/* Secrets for the child's environment, never its argv. */
	const char *tls_key, *dhchap_secret, *dhchap_ctrl_secret;
};

static void add(struct argv_buf *a, const char *s)
{
	if (a->n < 47)
		a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

/* tc_conn_args()'s callback: the option, and a copy of its value. */
static void add_conn(void *user, const char *opt, const char *val)
{
	struct argv_buf *a = user;

	if (a->ns + 2 > 24)
		return;
	snprintf(a->store[a->ns], sizeof(a->store[0]), "%s", opt);
	add(a, a->store[a->ns++]);
	if (val) {
		snprintf(a->store[a->ns], sizeof(a->store[0]), "%s", val);
		add(a, a->store[a->ns++]);
	}
}

static void fuse_args(const struct nc_conn_opts *c, struct argv_buf *a, const char *exe,
		      const char *uri, const char *pidfile)
{
	add(a, exe);
	if (c->mountpoint)
		add(a, c->mountpoint);
	add(a, uri);
	add(a, "-P");
	add(a, pidfile);
	if (c->name) {
		add(a, "--name");
		add(a, c->name);
	}
	tc_conn_args(&c->t.o, NC_FUSE_CONN, add_conn, a);
	a->tls_key = c->t.o.tls_key[0] ? c->t.o.tls_key : NULL;
	a->dhchap_secret = c->t.o.dhchap_secret[0] ? c->t.o.dhchap_secret : NULL;
	a->dhchap_ctrl_secret = c->t.o.dhchap_ctrl_secret[0] ? c->t.o.dhchap_ctrl_secret : NULL;
	if (c->read_only)
		add(a, "--read-only");
}

/* Run nvmf-fuse (it daemonizes: its exit is its report); its exit status,
 * -ETIMEDOUT when it did not exit within timeout_s (it was stopped,
 * nc_wait_child()), or another negative value after a message. */
static int run_fuse(struct argv_buf *a, const char *errpath, double timeout_s,
		    void (*tick)(void *), void *arg)
{
	int status, fd, r;
	pid_t pid;

	nc_flush_stdout();	/* a failure is kept for main()'s final check */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		nc_err("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* nvmf-fuse tells NOTIFY_SOCKET it is ready; this one is not
		 * a service's main process (nvmfctl may run in one). */
		unsetenv(TC_NOTIFY_SOCKET_ENV);
		if (a->tls_key)
			setenv(TC_TLS_KEY_ENV, a->tls_key, 1);
		if (a->dhchap_secret)
			setenv(TC_DHCHAP_SECRET_ENV, a->dhchap_secret, 1);
		if (a->dhchap_ctrl_secret)
			setenv(TC_DHCHAP_CTRL_SECRET_ENV, a->dhchap_ctrl_secret, 1);
		if (strchr(a->v[0], '/'))
			execv(a->v[0], a->v);
		else
			execvp(a->v[0], a->v);
		fprintf(stderr, "nvmf-fuse: cannot run %s: %s (set NVMF_FUSE to its path)\n",
			a->v[0], strerror(errno));
		_exit(127);
	}
	r = nc_wait_child_tick(pid, timeout_s, &status, tick, arg);
	if (r == -ETIMEDOUT || r == -EINTR)
		return r;
	if (r < 0) {
		nc_err("waitpid: %s", strerror(-r));
		return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/*
 * How long connect waits for nvmf-fuse to report (nvmfctl(8), connect).
 * It bounds each step of the connection by the connect timeout: the admin
 * queue, its set-up and every I/O queue ("+ 3" for the admin queue's
 * steps); start-up and the mount get 3 connect timeouts more, at most 30 s
 * (the 30 s it always had with the default 10 s). A program that neither
 * exits nor reports (NVMF_FUSE naming the wrong one, a hung mount) is
 * stopped then, not waited for.
 */
static int fuse_wait_s(const struct nvmf_opts *o, int *steps, int *grace)
{
	int ct = o->connect_timeout > 0 ? o->connect_timeout : 10;

	*steps = (o->nr_io_queues > 0 ? o->nr_io_queues : 0) + 3;
	*grace = 3 * ct < 30 ? 3 * ct : 30;
	return ct * *steps + *grace;
}

/* The record of the server with this pid (written before it reports ready;
 * a moment's retry covers a slow rename). 0 or -1. A record only claimed
 * has no mount point yet; a written one may say "connecting" too, when the
 * connection was lost right after start-up. */
static int find_record(int pid, struct tc_record *out)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		struct tc_record *list;
		int n = nc_records_load(&list, NULL), found = -1;

		for (int i = 0; i < n; i++) {
			if (list[i].pid == pid && list[i].mountpoint[0]) {
				found = i;
				break;
			}
		}
		if (found >= 0) {
			*out = list[found];
			list[found].ns = NULL;
			tc_records_free(list, n);
			return 0;
		}
		if (n > 0)
			tc_records_free(list, n);
		nc_sleep_ms(20);
	}
	return -1;
}

static void print_conn(const struct tc_record *r)
{
	printf("device: %s\n", r->name);
	printf("mountpoint: %s\n", r->mountpoint);
	for (int i = 0; i < r->nr_ns; i++)
		printf("namespace %u: %s (%llu bytes, %u-byte blocks%s)\n", r->ns[i].nsid,
		       r->ns[i].file, (unsigned long long)r->ns[i].size, r->ns[i].lba_size,
		       r->ns[i].read_only ? ", read-only" : "");
	if (r->nr_ns == 0)
		printf("no namespace is active or supported\n");
}

/* ---- The same controller ----------------------------------------------------- */

/* An address without the [brackets] a URI or -a may give an IPv6 one. */
static void unbracket(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		snprintf(buf, len, "%.*s", (int)(n - 2), s + 1);
	else
		snprintf(buf, len, "%s", s);
}

/* The address of a resolved socket address, an IPv4-mapped IPv6 address
 * as the IPv4 address it is (::ffff:127.0.0.1 is 127.0.0.1). */
struct net_addr {
	int family;
	unsigned char a[16];
	uint32_t scope;
};

static bool net_addr_of(const struct sockaddr *sa, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			out->family = AF_INET;
			memcpy(out->a, s6->sin6_addr.s6_addr + 12, 4);
			return true;
		}
		out->family = AF_INET6;
		memcpy(out->a, &s6->sin6_addr, 16);
		out->scope = s6->sin6_scope_id;
		return true;
	}
	return false;
}

/* The addresses host resolves to (numeric service: no lookup of it). */
struct addrinfo *nc_resolve(const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return NULL;
	return res;
}

/* Does any address of a match any of b? */
bool nc_share_addr(const struct addrinfo *a, const struct addrinfo *b)
{
	for (; a; a = a->ai_next) {
		struct net_addr x, y;

		if (!net_addr_of(a->ai_addr, &x))
			continue;
		for (const struct addrinfo *p = b; p; p = p->ai_next)
			if (net_addr_of(p->ai_addr, &y) && x.family == y.family &&
			    x.scope == y.scope && !memcmp(x.a, y.a, sizeof(x.a)))
				return true;
	}
	return false;
}

/*
 * Is the record's address (escaped, as records hold it) the controller's
 * address o? The same text, brackets aside; else the same numeric address
 * once both are resolved: "localhost" and "127.0.0.1", "::1" and
 * "0:0:0:0:0:0:0:1" name one controller, and connecting to both made two
 * connections to it. *mine is o's resolution, made once (NULL until then;
 * freed by the caller). A name that does not resolve is only its text.
 */
static bool same_addr(const char *rec_addr, const struct nvmf_opts *o, const char *port,
		      struct addrinfo **mine, bool *mine_done)
{
	char a[sizeof(((struct tc_record *)0)->address)], b[TC_ESC_SIZE(NVMF_TRADDR_FIELD_LEN)];
	char esc[TC_ESC_SIZE(NVMF_TRADDR_FIELD_LEN)];
	struct addrinfo *theirs;
	bool same;

	unbracket(rec_addr, a, sizeof(a));
	unbracket(tc_escape(esc, sizeof(esc), o->traddr), b, sizeof(b));
	if (!strcmp(a, b))
		return true;
	/* A byte a record holds escaped ("\xHH") is no address's. */
	if (strchr(a, '\\') || strchr(b, '\\'))
		return false;
	if (!*mine_done) {
		*mine = nc_resolve(b, port);
		*mine_done = true;
	}
	if (!*mine)
		return false;
	theirs = nc_resolve(a, port);
	if (!theirs)
		return false;
	same = nc_share_addr(*mine, theirs);
	freeaddrinfo(theirs);
	return same;
}

/* The record's port is o's: the same number (the record holds it escaped;
 * one that is not a number is compared as text). */
static bool same_port(const char *rec_port, const struct nvmf_opts *o)
{
	char esc[TC_ESC_SIZE(NVMF_TRSVCID_FIELD_LEN)];
	long a = tc_port_num(rec_port), b = tc_port_num(o->trsvcid);

	if (a > 0 && b > 0)
		return a == b;
	return !strcmp(rec_port, tc_escape(esc, sizeof(esc), o->trsvcid));
}

/*
 * The record's host NQN is o's. nvme-cli makes a second connection to a
 * subsystem for another --hostnqn (libnvme's duplicate check compares
 * transport, traddr, trsvcid, subsysnqn, host_traddr, host_iface and
 * hostnqn; nvmfctl has only tcp, and neither host_traddr nor host_iface):
 * a target may grant each host NQN its own namespaces. A record without
 * one (a claim whose server's command line could not be read) counts as
 * the same: refused rather than connected twice.
 */
static bool same_hostnqn(const char *rec_hostnqn, const struct nvmf_opts *o)
{
	char esc[TC_ESC_SIZE(NVMF_NQN_FIELD_LEN)];

	return !rec_hostnqn[0] || !strcmp(rec_hostnqn, tc_escape(esc, sizeof(esc), o->hostnqn));
}

/* An existing live connection to the same subsystem at the same address
 * and port, for the same host NQN (records hold these escaped: compared
 * escaped). */
static int find_duplicate(const struct nvmf_opts *o, struct tc_record *out)
{
	char nqn[TC_ESC_SIZE(NVMF_NQN_FIELD_LEN)], port[16];
	struct addrinfo *mine = NULL;
	bool mine_done = false;
	struct tc_record *list;
	int n = nc_records_load(&list, NULL), found = -1;

	/* A connection still in its first connect counts too: its record
	 * only claimed, the address is the one its server was given. */
	nc_records_fill_claimed(list, n);
	tc_escape(nqn, sizeof(nqn), o->subnqn);
	snprintf(port, sizeof(port), "%ld", tc_port_num(o->trsvcid) > 0 ? tc_port_num(o->trsvcid) : 0);
	for (int i = 0; i < n; i++) {
		if (list[i].alive && !strcmp(list[i].subnqn, nqn) && same_port(list[i].port, o) &&
		    same_hostnqn(list[i].hostnqn, o) &&
		    same_addr(list[i].address, o, port, &mine, &mine_done)) {
			found = i;
			break;
		}
	}
	if (mine)
		freeaddrinfo(mine);
	if (found >= 0) {
		*out = list[found];
		list[found].ns = NULL;
	}
	if (n > 0)
		tc_records_free(list, n);
	return found >= 0 ? 0 : -1;
}

/* ---- One connect at a time, from the check to the claim ----------------------- */

/*
 * Two connects of the same controller at once both passed the duplicate
 * check before either nvmf-fuse had claimed its record: two connections.
 * So a connect holds <rundir>/.connect.lock (flock) from its check until
 * the record of the nvmf-fuse it started shows (claimed: find_duplicate()
 * sees it), or until that nvmf-fuse reported, whichever comes first; the
 * next connect's check then sees the first. Not held for the whole
 * connection: connects of other controllers wait only that moment.
 * The holder removes the file (no lock file is left in the runtime
 * directory); a waiter that then gets the lock of a removed file opens it
 * again.
 */
struct conn_lock {
	int fd;
	char path[TC_PATH_MAX + 32];
};

/*
 * Take the lock, waiting at most wait_s seconds: 0; 1 when there is no
 * runtime directory to hold it (nvmf-fuse then reports why; nothing to
 * lock against); or -1 after a message.
 */
static int conn_lock_take(struct conn_lock *l, const char *what, int wait_s)
{
	char dir[TC_PATH_MAX], err[256];

	l->fd = -1;
	if (tc_rundir_make(dir, sizeof(dir), err, sizeof(err)) < 0)
		return 1;
	snprintf(l->path, sizeof(l->path), "%s/.connect.lock", dir);
	l->fd = tc_lock_take(l->path, wait_s);
	if (l->fd == -ETIMEDOUT)
		nc_err("%s: another nvmfctl connect held %s for %d s; try again", what, l->path,
		       wait_s);
	else if (l->fd < 0)
		nc_err("%s: cannot lock %s: %s", what, l->path, strerror(-l->fd));
	if (l->fd < 0) {
		l->fd = -1;
		return -1;
	}
	return 0;
}

static void conn_lock_release(struct conn_lock *l)
{
	tc_lock_release(l->fd, l->path);
	l->fd = -1;
}

/* While nvmf-fuse starts: the lock goes once its record shows. */
struct claim_watch {
	struct conn_lock *lock;
	const struct nvmf_opts *o;
};

static void claim_tick(void *arg)
{
	struct claim_watch *w = arg;
	struct tc_record rec;

	if (w->lock->fd < 0 || find_duplicate(w->o, &rec) < 0)
		return;
	tc_record_release(&rec);
	conn_lock_release(w->lock);
}

int nc_connect_one(const struct nc_conn_opts *c, bool *skipped, json_object *jarr)
{
	char uri[1400], exe[PATH_MAX + 64], tmpl[PATH_MAX], pidfile[PATH_MAX + 16];
	char errpath[PATH_MAX + 16], msg[2048], line[64], where[NVMF_TRADDR_BUFSZ + 16];
	char what[NVMF_TRADDR_BUFSZ + NVMF_NQN_BUFSZ + 64];
	const char *tmp = getenv("TMPDIR");
	struct argv_buf a = { .n = 0 };
	struct conn_lock lock = { .fd = -1 };
	struct claim_watch watch = { &lock, &c->t.o };
	struct tc_record rec;
	int rc, pid, timeout, steps, grace;

	*skipped = false;
	snprintf(what, sizeof(what), "cannot connect to %s (%s)",
		 nc_target_str(&c->t.o, where, sizeof(where)), c->t.o.subnqn);
	timeout = fuse_wait_s(&c->t.o, &steps, &grace);
	/* Another connect's nvmf-fuse claims within its start-up; the bound
	 * is the longest it could take to report instead. */
	if (!c->duplicate && conn_lock_take(&lock, what, timeout + 5) < 0)
		return NC_EXIT_FAIL;
	if (!c->duplicate && find_duplicate(&c->t.o, &rec) == 0) {
		char theirs[sizeof(rec.address) + sizeof(rec.port) + 8];

		/* Where the existing one went: the same controller, perhaps
		 * by another name (localhost for 127.0.0.1). */
		snprintf(theirs, sizeof(theirs), strchr(rec.address, ':') ? "[%s]:%s" : "%s:%s",
			 rec.address, rec.port);
		conn_lock_release(&lock);
		if (c->quiet_dup) {
			nc_err("%s at %s is already connected as %s (at %s)", c->t.o.subnqn, where,
				rec.name, theirs);
			*skipped = true;
			tc_record_release(&rec);
			return NC_EXIT_OK;
		}
		nc_err("%s: already connected as %s at %s (mounted on %s); "
			"-D/--duplicate-connect makes a second connection", what, rec.name,
			theirs, rec.mountpoint);
		tc_record_release(&rec);
		return NC_EXIT_FAIL;
	}
	if (nc_build_uri(&c->t.o, uri, sizeof(uri)) < 0) {
		char why[NVMF_TRADDR_BUFSZ * 4 + 96];

		conn_lock_release(&lock);
		nc_err("%s: no URI for nvmf-fuse: %s", what, nc_uri_why(&c->t.o, why, sizeof(why)));
		return NC_EXIT_FAIL;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/nvmfctl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		conn_lock_release(&lock);
		nc_err("cannot create a temporary directory in %s: %s", tmp ? tmp : "/tmp",
			strerror(errno));
		return NC_EXIT_FAIL;
	}
	snprintf(pidfile, sizeof(pidfile), "%s/pid", tmpl);
	snprintf(errpath, sizeof(errpath), "%s/err", tmpl);
	find_fuse(exe, sizeof(exe));
	fuse_args(c, &a, exe, uri, pidfile);
	rc = run_fuse(&a, errpath, timeout, lock.fd >= 0 ? claim_tick : NULL, &watch);
	conn_lock_release(&lock);
	last_message(errpath, msg, sizeof(msg));
	pid = 0;
	if (rc == 0 && read_line_file(pidfile, line, sizeof(line)))
		pid = atoi(line);
	unlink(pidfile);
	unlink(errpath);
	rmdir(tmpl);
	if (rc == -EINTR) {
		nc_err("%s: interrupted: stopped %s", what, exe);
		nc_die_of_signal();
		return NC_EXIT_FAIL;
	}
	if (rc == -ETIMEDOUT) {
		nc_err("%s: %s did not report within %d s (--connect-timeout %d s for each of "
		       "its %d connection steps, and %d s to start and mount); stopped it", what,
		       exe, timeout, c->t.o.connect_timeout, steps, grace);
		return NC_EXIT_FAIL;
	}
	if (rc < 0)
		return NC_EXIT_FAIL;
	if (rc != 0) {
		if (!msg[0])
			snprintf(msg, sizeof(msg), "nvmf-fuse exited with status %d", rc);
		/* Not the connection's fault: nvmf-fuse's words as they are. */
		if (rc == 127 || !strncmp(msg, "mountpoint ", 11) ||
		    !strncmp(msg, "cannot create mountpoint ", 25))
			nc_err("%s: %s", what, msg);
		else
			nc_text_fail(what, fuse_raw(msg), &c->t.o);
		return NC_EXIT_FAIL;
	}
	if (pid <= 0 || find_record(pid, &rec) < 0) {
		nc_err("%s: nvmf-fuse reported success but its state record (pid %d) was not "
			"found", what, pid);
		return NC_EXIT_FAIL;
	}
	if (jarr)
		json_object_array_add(jarr, nc_record_json(&rec));
	else if (c->fmt == NC_FMT_JSON)
		nc_json_print(nc_record_json(&rec));
	else
		print_conn(&rec);
	tc_record_release(&rec);
	return NC_EXIT_OK;
}

int cmd_connect(int argc, char **argv)
{
	struct nc_fab_args a;
	bool skipped;
	int r;

	nc_fab_init(&a, FAB_CONNECT);
	r = nc_fab_parse(argc, argv, &a, connect_help);
	if (r)
		return r < 0 ? 0 : r;
	if (!a.c.t.uri) {
		if (!nc_given(&a.c.t, TC_CO_TRADDR))
			return nc_usage_err("required argument -a/--traddr (or a URI) not given");
		if (!nc_given(&a.c.t, TC_CO_NQN))
			return nc_usage_err("required argument -n/--nqn not given");
	}
	r = nc_target_finish(&a.c.t, false);
	if (r)
		return r;
	if (!a.c.t.o.subnqn[0])
		return nc_usage_err("%s is the discovery subsystem: connect needs an NVM "
				     "subsystem NQN (see 'nvmfctl discover')", NVMF_DISCOVERY_NQN);
	/* Before connecting: a missing directory is not a connection failure. */
	if (a.c.mountpoint) {
		struct stat st;

		if (stat(a.c.mountpoint, &st) < 0)
			return nc_usage_err("-m/--mountpoint %s: %s (create the directory first, "
					     "or leave -m out for one in the runtime directory)",
					     a.c.mountpoint, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return nc_usage_err("-m/--mountpoint %s is not a directory", a.c.mountpoint);
	}
	return nc_connect_one(&a.c, &skipped, NULL);
}
