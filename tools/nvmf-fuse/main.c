/*
 * nvmf-fuse: serve the namespaces of an NVMe/TCP controller as files.
 *
 * Start-up order matters. Without -f the process forks first, before the
 * library creates its I/O thread (threads do not survive fork), and the
 * parent waits on a pipe until the child reports that the mount serves or
 * why it could not; so `nvmf-fuse ... && use-the-files` works and failures
 * reach the terminal. The library's I/O thread serves the FUSE session
 * (session.c); SIGINT, SIGTERM and SIGHUP, blocked in every thread, end it
 * through the main thread's sigwait(), and `fusermount3 -u` ends it too.
 * Shutdown then stops reading requests, waits for the answers of
 * requests still in flight, flushes volatile write caches, unmounts, shuts
 * the controller down (CC.SHN, NVMe Base 2.0, 3.6.2) and exits 0.
 *
 * Under systemd (Type=notify, with -f) it tells the service manager
 * READY=1 once the mount serves, where it would tell the parent, and
 * STOPPING=1 when the session ends (tools/common/sdnotify.h).
 *
 * SIGUSR1 asks for a reconnect now (nvmf_reconnect(): a live connection is
 * made again, one waiting for its next attempt tries at once, one given up
 * starts over); `nvmfctl reconnect NAME` sends it. It is blocked in every
 * thread from the start, and one thread takes it with sigwait(): the
 * library is never called from a signal handler. A signal, not a control
 * socket: there is one request and no answer to carry (the state record
 * tells the outcome), and the record already names the pid to send it to.
 */
#include "nvmf_fuse.h"

#include "escape.h"
#include "hints.h"
#include "proctitle.h"
#include "sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERRLEN 1024

struct startup {
	int  ready_fd;		/* write end of the pipe to the parent, -1 with -f */
	bool made_mountpoint;
};

/* Report to the parent (or stderr) and close the pipe: status 0 (serving)
 * or the exit status of a failed start (1, or 2 for options FUSE refused),
 * one digit ahead of the message. The message is escaped: the library's
 * text may quote what the target sent. */
static void report(struct startup *su, int status, const char *raw)
{
	char msg[ERRLEN];

	if (status)
		tc_escape(msg, sizeof(msg), raw);
	if (su->ready_fd < 0) {
		if (status)
			fprintf(stderr, "nvmf-fuse: %s\n", msg);
		return;
	}
	if (!status) {
		if (write(su->ready_fd, "0", 1) != 1)
			(void)0;	/* the parent is gone: nothing to tell */
	} else {
		char buf[ERRLEN + 2];
		int n = snprintf(buf, sizeof(buf), "%d%s", status == 2 ? 2 : 1, msg);

		if (write(su->ready_fd, buf, (size_t)n) != n)
			(void)0;
	}
	close(su->ready_fd);
	su->ready_fd = -1;
}

/* A stop signal the parent took while it waited (parent_wait()). */
static volatile sig_atomic_t parent_stop;

static void parent_sig(int sig)
{
	parent_stop = sig;
}

static const int parent_stops[] = { SIGINT, SIGTERM, SIGHUP };

/*
 * SIGINT, SIGTERM and SIGHUP caught for the parent's wait, and blocked but
 * in pselect(), so that none is missed between a check and the wait; set
 * before the fork, so that none comes in between either. Those ignored at
 * start (nohup) stay ignored, as the server does. *caught gets the ones
 * changed, *old the mask before.
 */
static void parent_catch(sigset_t *caught, sigset_t *old)
{
	sigemptyset(caught);
	for (size_t i = 0; i < sizeof(parent_stops) / sizeof(parent_stops[0]); i++) {
		struct sigaction sa;

		if (sigaction(parent_stops[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = parent_sig;
		sigemptyset(&sa.sa_mask);
		sigaction(parent_stops[i], &sa, NULL);
		sigaddset(caught, parent_stops[i]);
	}
	sigprocmask(SIG_BLOCK, caught, old);
}

/* In the child: the signals as they were before parent_catch(); the server
 * then blocks them itself (nf_session_block_signals()). One that came in
 * between is taken now, by its default action: the server had not begun. */
static void parent_uncatch(const sigset_t *caught, const sigset_t *old)
{
	for (size_t i = 0; i < sizeof(parent_stops) / sizeof(parent_stops[0]); i++)
		if (sigismember(caught, parent_stops[i]) == 1)
			signal(parent_stops[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
}

/*
 * The parent was told to stop before the server reported (nvmfctl
 * connect's bound ran out, ^C): left alone, the server would finish its
 * start and serve a mount nobody waits for any more. It is told to stop as
 * well (SIGTERM: while it connects it dies of it at once, having removed
 * its record; later it unmounts if it got that far), and the parent dies
 * of its signal, as it would have.
 */
static void parent_stopped(pid_t child, int sig, const sigset_t *old)
{
	/* The server first: a write to a closed stderr may end the parent. */
	kill(child, SIGTERM);
	fprintf(stderr, "nvmf-fuse: stopped by signal %d while the server (pid %ld) was "
		"starting; it was told to stop too\n", sig, (long)child);
	signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	raise(sig);
	_exit(128 + sig);
}

/* old: the signal mask to wait with (parent_catch()). */
static int parent_wait(pid_t child, int fd, const sigset_t *old)
{
	char buf[ERRLEN + 2];
	size_t got = 0;
	ssize_t n = 0;
	int status;

	while (got < sizeof(buf) - 1) {
		fd_set rd;

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		if (pselect(fd + 1, &rd, NULL, NULL, NULL, old) < 0) {
			if (errno != EINTR)
				break;
			if (parent_stop)
				parent_stopped(child, parent_stop, old);
			continue;
		}
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	if (got > 0 && buf[0] == '0')
		return 0;
	if (got <= 1) {
		fprintf(stderr, "nvmf-fuse: the server exited during start-up");
		if (waitpid(child, &status, 0) == child && WIFSIGNALED(status))
			fprintf(stderr, " (signal %d)", WTERMSIG(status));
		fputc('\n', stderr);
		return 1;
	}
	/* The child's exit status (report) comes first, then its message. */
	fprintf(stderr, "nvmf-fuse: %s\n", buf + 1);
	waitpid(child, &status, 0);
	return buf[0] == '2' ? 2 : 1;
}

/* Readiness for a service manager; a failure is logged, never fatal (the
 * mount serves either way; systemd then times the start out). */
static void notify(const char *state)
{
	char msg[320];
	int r = tc_sd_notify(state);

	if (r < 0)
		fprintf(stderr, "nvmf-fuse: %s\n", tc_sd_notify_strerror(r, msg, sizeof(msg)));
}

static void notify_ready(const struct nf_ctx *x)
{
	char state[PATH_MAX + 2200], uri[2048];

	tc_escape(uri, sizeof(uri), x->cfg->uri);
	snprintf(state, sizeof(state), "READY=1\nSTATUS=serving %s on %s as %s", uri,
		 x->mountpoint, x->name);
	notify(state);
}

/* SIGUSR1, blocked in every thread for good (before any thread starts):
 * only sig_main() takes it. */
static void block_sigusr1(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *sig_main(void *arg)
{
	struct nf_ctx *x = arg;
	sigset_t set;
	int sig, r;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (atomic_load(&x->sig_stop))
			break;
		r = nvmf_reconnect(x->ctrl);
		if (r == 0)
			fprintf(stderr, "nvmf-fuse: reconnect requested (SIGUSR1)\n");
		else if (r == -EBUSY)
			fprintf(stderr, "nvmf-fuse: reconnect requested (SIGUSR1): an attempt is "
				"already under way\n");
		else
			fprintf(stderr, "nvmf-fuse: reconnect requested (SIGUSR1): %s\n",
				nvmf_get_error()[0] ? nvmf_get_error() : strerror(-r));
		nf_ns_poke(x);	/* the record shows the new state */
	}
	return NULL;
}

static int sig_thread_start(struct nf_ctx *x)
{
	int r = pthread_create(&x->sig_thread, NULL, sig_main, x);

	if (r)
		return -r;
	x->sig_started = true;
	return 0;
}

static void sig_thread_stop(struct nf_ctx *x)
{
	if (!x->sig_started)
		return;
	atomic_store(&x->sig_stop, true);
	pthread_kill(x->sig_thread, SIGUSR1);
	pthread_join(x->sig_thread, NULL);
	x->sig_started = false;
}

/* Flush at shutdown only while connected: during an outage a flush would
 * wait for the reconnect (up to ctrl_loss_tmo), and a dead controller
 * fails it anyway. */
static void flush_at_exit(struct nf_ctx *x)
{
	struct nvmf_ctrl_state_info st;

	if (nvmf_ctrl_get_state(x->ctrl, &st) == 0 && st.state != NVMF_CTRL_LIVE) {
		fprintf(stderr, "nvmf-fuse: not flushing at shutdown: the controller is %s\n",
			nvmf_ctrl_state_str(st.state));
		return;
	}
	if (nf_io_flush_all(x) < 0)
		fprintf(stderr, "nvmf-fuse: flush at shutdown failed: %s\n", nvmf_get_error());
}

static bool ctrl_live(struct nf_ctx *x)
{
	struct nvmf_ctrl_state_info st;

	return nvmf_ctrl_get_state(x->ctrl, &st) == 0 && st.state == NVMF_CTRL_LIVE;
}

static int ctx_init(struct nf_ctx *x, struct fo_config *cfg)
{
	memset(x, 0, sizeof(*x));
	x->cfg = cfg;
	x->tls_requested = cfg->nv.tls || cfg->nv.tls_key[0];
	x->uid = getuid();
	x->gid = getgid();
	atomic_init(&x->sig_stop, false);
	atomic_init(&x->ctrl_xfer, 0);
	atomic_init(&x->xfer_said, 0);
	if (pthread_rwlock_init(&x->ns_lock, NULL) || pthread_mutex_init(&x->ops_mu, NULL) ||
	    pthread_cond_init(&x->ops_cv, NULL) || pthread_mutex_init(&x->ev_mu, NULL) ||
	    pthread_cond_init(&x->ev_cv, NULL) || pthread_mutex_init(&x->eng.credit_mu, NULL) ||
	    pthread_mutex_init(&x->eng.report_mu, NULL) || pthread_mutex_init(&x->state_mu, NULL))
		return -ENOMEM;
	return 0;
}

/* How a user unmounts a FUSE mount here, for the messages below. */
#if defined(__linux__)
#define NF_UNMOUNT_CMD "fusermount3 -u"
#else
#define NF_UNMOUNT_CMD "umount"
#endif

/* What to append to a mount point's error: its FUSE server is gone. */
static const char *dead_mount_hint(int e)
{
	return e == ENOTCONN ? " (a FUSE mount whose server is gone: unmount it with "
			       NF_UNMOUNT_CMD ")" : "";
}

/*
 * A directory that is already a mount point (its device differs from its
 * parent's, or it is its own parent, "/"): a second FUSE mount would
 * silently hide the first. stat() finds it, so FreeBSD has it too; Linux's
 * statvfs() then tells a dead FUSE mount (FreeBSD's answers for a dead
 * server too, so there it gets the general message).
 */
static int check_not_mounted(const char *path, char *err)
{
	char parent[PATH_MAX + 4];
	struct stat st, pst;
	struct statvfs sv;

	snprintf(parent, sizeof(parent), "%s/..", path);
	if (stat(path, &st) < 0 || stat(parent, &pst) < 0)
		return 0;	/* the caller's stat() says why */
	if (st.st_dev == pst.st_dev && st.st_ino != pst.st_ino)
		return 0;
	/* stat() may still answer from the kernel's cache for a mount whose
	 * server was killed; statvfs() asks the server. */
	if (statvfs(path, &sv) < 0 && errno == ENOTCONN) {
		snprintf(err, ERRLEN, "mountpoint %.400s: %s%s", path, strerror(ENOTCONN),
			 dead_mount_hint(ENOTCONN));
		return -ENOTCONN;
	}
	snprintf(err, ERRLEN, "mountpoint %.400s is already a mount point (nvmf-fuse running "
		 "there? 'nvmfctl list' shows it): unmount it first (" NF_UNMOUNT_CMD ") or "
		 "choose another directory", path);
	return -EBUSY;
}

static int setup_mountpoint(struct nf_ctx *x, struct startup *su, char *err)
{
	struct stat st;

	if (x->cfg->mountpoint) {
		if (!realpath(x->cfg->mountpoint, x->mountpoint)) {
			int e = errno;

			/* A FUSE mount whose server died answers so. */
			snprintf(err, ERRLEN, "mountpoint %.400s: %s%s", x->cfg->mountpoint,
				 strerror(e), dead_mount_hint(e));
			return -e;
		}
	} else {
		snprintf(x->mountpoint, sizeof(x->mountpoint), "%.3900s/%s", x->rundir, x->name);
		if (mkdir(x->mountpoint, 0700) == 0)
			su->made_mountpoint = true;
		else if (errno != EEXIST) {
			snprintf(err, ERRLEN, "cannot create mountpoint %.400s: %s", x->mountpoint,
				 strerror(errno));
			return -errno;
		}
	}
	if (stat(x->mountpoint, &st) < 0) {
		int e = errno;

		/* realpath() may pass a dead FUSE mount; stat() does not. */
		snprintf(err, ERRLEN, "mountpoint %.400s: %s%s", x->mountpoint, strerror(e),
			 dead_mount_hint(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, ERRLEN, "mountpoint %.400s is not a directory", x->mountpoint);
		return -ENOTDIR;
	}
	return check_not_mounted(x->mountpoint, err);
}

static int add_arg(struct fuse_args *args, const char *a, char *err)
{
	if (fuse_opt_add_arg(args, a) < 0) {
		snprintf(err, ERRLEN, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int add_opt(struct fuse_args *args, const char *opt, char *err)
{
	int r = add_arg(args, "-o", err);

	return r ? r : add_arg(args, opt, err);
}

static int make_session(struct nf_ctx *x, char *err)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char fsname[NVMF_TRADDR_BUFSZ + 32];
	int r = add_arg(&args, "nvmf-fuse", err);

	/* fsname shows in mount(8); commas would split the option. */
	snprintf(fsname, sizeof(fsname), "fsname=nvmf@%s,subtype=nvmf", x->cfg->nv.traddr);
	for (char *p = fsname + 7; *p && *p != ','; p++)
		if (*p == '\\')
			*p = '_';
	if (!r)
		r = add_opt(&args, fsname, err);
	for (int i = 0; !r && i < x->cfg->nr_fuse_opts; i++)
		r = add_opt(&args, x->cfg->fuse_opts[i], err);
	if (!r && x->cfg->allow_other)
		r = add_opt(&args, "default_permissions", err);
	/* -r is -o ro: a read-only mount too, which mount(8) and statvfs()
	 * show (given twice, the flag is only set once). */
	if (!r && x->cfg->read_only)
		r = add_opt(&args, "ro", err);
	if (!r && x->cfg->debug)
		r = add_arg(&args, "-d", err);
	if (r) {
		fuse_opt_free_args(&args);
		return r;
	}
	x->se = fuse_session_new(&args, &nf_ops, sizeof(nf_ops), x);
	fuse_opt_free_args(&args);
	if (!x->se) {
		snprintf(err, ERRLEN, "FUSE refused the mount options (see above)");
		return -EINVAL;
	}
	return 0;
}

static int connect_ctrl(struct nf_ctx *x, char *err)
{
	struct nvmf_opts o = x->cfg->nv;
	int r;

	o.event_cb = nf_ns_event;
	o.event_user = x;
	r = nvmf_connect(&o, &x->ctrl);
	if (r < 0) {
		char line[600];
		int e = -r;

		/* nvmfctl's hints (tools/common/hints.c); nvmfctl connect
		 * prints this line after its own "cannot connect to". */
		tc_fail_line(line, sizeof(line), e, e == EIO ? nvmf_get_status() : 0,
			     nvmf_get_error(), true, false, &o);
		snprintf(err, ERRLEN, "cannot connect to %.400s: %.599s", x->cfg->uri, line);
		x->ctrl = NULL;
	}
	/* The controller keeps its own copy of the secrets for reconnecting:
	 * nvmf-fuse has no use for its own (nothing reads them after this). */
	tc_conn_secrets_wipe(&o);
	tc_conn_secrets_wipe(&x->cfg->nv);
	if (r < 0)
		return r;
	nvmf_ctrl_get_info(x->ctrl, &x->info);
	if (x->info.nr_io_queues < 1) {
		snprintf(err, ERRLEN, "%s: the controller granted no I/O queue", x->cfg->uri);
		return -ENOTSUP;
	}
	nf_xfer_refresh(x);
	atomic_store(&x->xfer_said, atomic_load(&x->ctrl_xfer));
	r = nf_ns_load(x);
	if (r < 0) {
		snprintf(err, ERRLEN, "%s: cannot list namespaces: %s", x->cfg->uri,
			 nvmf_get_error());
		return r;
	}
	if (x->cfg->nv.nsid && !nf_ns_live(x, x->cfg->nv.nsid, NULL)) {
		snprintf(err, ERRLEN, "%s: namespace %u is not active or not supported",
			 x->cfg->uri, x->cfg->nv.nsid);
		return -ENOENT;
	}
	return 0;
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* What a stop signal during the connect leaves behind: the state record,
 * and the mount point if the start-up made it. */
struct connect_undo {
	struct nf_ctx *x;
	struct startup *su;
};

static void connect_undo(void *arg)
{
	struct connect_undo *u = arg;

	nf_state_remove(u->x);
	if (u->su->made_mountpoint)
		rmdir(u->x->mountpoint);
}

/* The server proper: in the child, or in the only process with -f. */
static int serve(struct fo_config *cfg, struct startup *su)
{
	char err[ERRLEN] = "";
	struct nf_ctx x;
	bool mounted = false, guarded;
	int r, rc = 1, fail = 1;

	nf_session_block_signals();
	block_sigusr1();
	signal(SIGPIPE, SIG_IGN);
	if (ctx_init(&x, cfg) < 0) {
		report(su, 1, "out of memory");
		return 1;
	}
	r = nf_state_rundir(x.rundir, sizeof(x.rundir), err, sizeof(err));
	if (!r)
		r = nf_state_claim(&x, err, sizeof(err));
	if (!r)
		r = setup_mountpoint(&x, su, err);
	if (!r) {
		struct connect_undo u = { &x, su };

		guarded = nf_session_guard_start(connect_undo, &u) == 0;
		r = connect_ctrl(&x, err);
		if (guarded)
			nf_session_guard_stop();
	}
	if (!r && (r = nf_io_init(&x)) < 0)
		snprintf(err, sizeof(err), "out of memory");
	if (!r && (r = make_session(&x, err)) == -EINVAL)
		fail = 2;	/* FUSE refused the options: so would it next time */
	if (!r) {
		if (fuse_session_mount(x.se, x.mountpoint) < 0) {
			snprintf(err, sizeof(err), "cannot mount on %.400s (see above)", x.mountpoint);
			r = -EIO;
		} else {
			mounted = true;
		}
	}
	if (!r && (r = nf_ns_thread_start(&x)) < 0)
		snprintf(err, sizeof(err), "cannot start a thread: %s", strerror(-r));
	if (!r && (r = sig_thread_start(&x)) < 0)
		snprintf(err, sizeof(err), "cannot start a thread: %s", strerror(-r));
	if (!r)
		r = nf_state_write(&x);
	/* Serving starts before the parent hears of success, so that a
	 * failure here is its exit status and message, not a silent exit of
	 * a detached child; requests queued meanwhile just wait. */
	if (!r && (r = nf_session_start(&x)) < 0)
		snprintf(err, sizeof(err), "cannot serve %.400s: %s", x.mountpoint,
			 nvmf_get_error());
	/* Success only once FUSE took the mount's INIT: libfuse may refuse
	 * it (mount options that contradict ours), and the mount is gone. */
	if (!r && (r = nf_session_wait_init(&x)) < 0)
		snprintf(err, sizeof(err), "FUSE %s the mount at %.400s%s",
			 r == -ETIMEDOUT ? "did not initialize" : "refused to initialize",
			 x.mountpoint, r == -ETIMEDOUT ? "" : " (see above for why)");
	/* Last: the pidfile says the mount serves (nvmf-fuse.1), with its
	 * state record written and FUSE initialized, as nbdfuse's -P does. */
	if (!r && cfg->pidfile)
		r = nf_pidfile_write(cfg->pidfile, err, sizeof(err));
	if (r) {
		if (!err[0])
			snprintf(err, sizeof(err), "start-up failed: %s", strerror(-r));
		report(su, fail, err);
		rc = fail;
		goto out;
	}
	report(su, 0, NULL);
	notify_ready(&x);
	if (!cfg->foreground) {
		if (chdir("/") < 0)
			(void)0;
		detach_stdio();
	}
	r = nf_session_wait(&x);
	notify("STOPPING=1");
	nf_session_stop(&x);
	rc = r < 0 ? 1 : 0;
	/* Requests already taken from the kernel still get their answer,
	 * while the controller is there to give it: held through an outage
	 * they would wait for a reconnect that told-to-end has no use for
	 * (nvme-cli's disconnect ends a reconnecting controller at once). */
	if (nf_ops_drain_while(&x, cfg->nv.io_timeout + 5, ctrl_live) == 0) {
		flush_at_exit(&x);
	} else {
		/* Held through an outage: disconnecting fails them (EIO), and
		 * the answers reach their callers while the mount stands. An
		 * unmount first would end them with ECONNABORTED instead. The
		 * threads that use the controller stop first. */
		fprintf(stderr, "nvmf-fuse: requests still unanswered at shutdown: failing them\n");
		sig_thread_stop(&x);
		nf_ns_thread_stop(&x);
		if (nvmf_disconnect(x.ctrl) < 0 && rc == 0)
			fprintf(stderr, "nvmf-fuse: controller shutdown: %s\n", nvmf_get_error());
		x.ctrl = NULL;
		if (nf_ops_drain(&x, 5) < 0)
			fprintf(stderr, "nvmf-fuse: requests still unanswered after the disconnect\n");
	}
out:
	nf_session_stop(&x);
	sig_thread_stop(&x);
	nf_ns_thread_stop(&x);
	if (mounted)
		fuse_session_unmount(x.se);
	if (x.ctrl && nvmf_disconnect(x.ctrl) < 0 && rc == 0)
		fprintf(stderr, "nvmf-fuse: controller shutdown: %s\n", nvmf_get_error());
	x.ctrl = NULL;
	if (x.se)
		fuse_session_destroy(x.se);
	nf_session_fini(&x);
	nf_io_fini(&x);
	nf_state_remove(&x);
	if (cfg->pidfile && mounted)
		unlink(cfg->pidfile);
	if (su->made_mountpoint)
		rmdir(x.mountpoint);
	nf_ns_free(&x);
	return rc;
}

int main(int argc, char *argv[])
{
	struct startup su = { .ready_fd = -1 };
	struct fo_config cfg;
	char err[ERRLEN];
	int r, pfd[2];
	sigset_t caught, oldmask;
	pid_t pid;

	r = fo_parse(argc, argv, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "nvmf-fuse: %s\n", err[0] ? err : strerror(-r));
		/* 2: the command line is wrong, and will be next time too
		 * (nvmf-fuse@.service does not restart it); 1: what may pass,
		 * such as a secret file not there yet, or memory. */
		return r == -EINVAL ? 2 : 1;
	}
	if (r == FO_HELP) {
		fo_usage(stdout, "nvmf-fuse");
		return 0;
	}
	if (r == FO_VERSION) {
		printf("nvmf-fuse (libnvmf) %s\n", nvmf_version());
		return 0;
	}
	tc_argv_republish(argc, argv);	/* keys in it are wiped by now */
	if (cfg.foreground) {
		r = serve(&cfg, &su);
		fo_release(&cfg);
		return r;
	}
	if (pipe(pfd) < 0) {
		perror("nvmf-fuse: pipe");
		return 1;
	}
	fflush(NULL);
	parent_catch(&caught, &oldmask);
	pid = fork();
	if (pid < 0) {
		perror("nvmf-fuse: fork");
		return 1;
	}
	if (pid > 0) {
		close(pfd[1]);
		r = parent_wait(pid, pfd[0], &oldmask);
		fo_release(&cfg);
		return r;
	}
	parent_uncatch(&caught, &oldmask);
	close(pfd[0]);
	fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
	su.ready_fd = pfd[1];
	setsid();
	r = serve(&cfg, &su);
	fo_release(&cfg);
	return r;
}
