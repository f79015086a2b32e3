/*
 * nvmf-fuse: the FUSE session, served from the library's I/O thread.
 *
 * /dev/fuse is not read by threads of our own: the library watches it on
 * the controller's I/O thread (nvmf_watch_fd()), which reads every request
 * the kernel has queued, runs its operation (fs.c, io.c), and so submits
 * the commands of a whole batch from the thread that sends them, in one
 * write per queue at the end of the loop turn; the replies are written
 * from the same thread as the commands complete. With worker threads of
 * our own each batch also cost a hand-over to the I/O thread and, often, a
 * wake-up of it, on top of the worker's own wake-up for every request.
 * Measured with fio (libaio, direct, one I/O queue, 4 s runs, old and new
 * build alternating, medians of 3) against two libfuse workers with
 * clone_fd: 4 KiB random read QD32 103211 -> 131383 IOPS, 128 KiB read QD8
 * 16673 -> 21597, 128 KiB write QD8 19388 -> 18865 (within the runs'
 * spread, 17321-21264). None of the operations blocks: the data path is
 * asynchronous (op.c), the range locks queue (rangelock.c), and everything
 * that waits (namespace rescans, reconnect on SIGUSR1, shutdown) runs on
 * threads of its own.
 *
 * FreeBSD's /dev/fuse takes no FIONBIO (it has no ioctl handler: ENODEV),
 * so libuv cannot watch it (uv_poll_init() makes a descriptor
 * non-blocking). There a kqueue of our own watches it and is watched
 * instead (a kqueue descriptor can be polled). The descriptor is read only
 * while the device's EVFILT_READ says a request is queued (kn_data), asked
 * again before every read: a request whose caller is interrupted leaves the
 * queue unread, so an earlier count may be stale. It is also made
 * non-blocking if it can be (FreeBSD sets the flag before the driver
 * refuses FIONBIO), so that a read of an empty queue returns EAGAIN.
 *
 * The main thread only waits, with sigtimedwait(), for SIGINT, SIGTERM or
 * SIGHUP (those not ignored when nvmf-fuse started), or for SIGUSR2 from
 * the I/O thread when the session ended there
 * (unmounted: the device read fails with ENODEV; or a read error). All of
 * them stay blocked in every thread, so none is ever handled
 * asynchronously. Every NF_IDLE_TICK_S it also checks whether the mount
 * is idle (idle_tick()).
 */
#include "nvmf_fuse.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__FreeBSD__)
#include <sys/types.h>
#include <sys/event.h>
#include <sys/filio.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>
#endif

/* Requests read per call: the watch is level-triggered, so what is left
 * comes next loop turn, after this turn's commands went out. */
#define NF_SESSION_BATCH 64
/* sizeof(struct fuse_in_header), a header libfuse does not export. */
#define NF_FUSE_IN_HEADER_LEN 40

#if defined(__FreeBSD__)
/* A kqueue with EVFILT_READ on /dev/fuse (level-triggered), or -errno. */
static int watch_open(struct nf_ctx *x)
{
	struct kevent ev;
	int kq = kqueue(), on = 1;

	if (kq < 0)
		return -errno;
	(void)ioctl(x->session_fd, FIONBIO, &on);	/* ENODEV, flag set: see above */
	EV_SET(&ev, x->session_fd, EVFILT_READ, EV_ADD, 0, 0, NULL);
	if (kevent(kq, &ev, 1, NULL, 0, NULL) < 0) {
		int e = errno;

		close(kq);
		return -e;
	}
	return kq;
}

/* Whether a read now finds a request queued, or the mount gone (the read
 * then ends the session). */
static bool watch_ready(struct nf_ctx *x)
{
	static const struct timespec now = { 0, 0 };
	struct kevent ev;

	if (kevent(x->watch_fd, NULL, 0, &ev, 1, &now) <= 0)
		return false;
	return ev.data > 0 || (ev.flags & EV_EOF);
}

static void watch_close(struct nf_ctx *x)
{
	if (x->watch_fd >= 0)
		close(x->watch_fd);
	x->watch_fd = -1;
}
#else
/* Linux: /dev/fuse itself, non-blocking (libuv made it so): read until
 * EAGAIN, a batch at most. */
static int watch_open(struct nf_ctx *x)
{
	return x->session_fd;
}

static bool watch_ready(struct nf_ctx *x)
{
	(void)x;
	return true;
}

static void watch_close(struct nf_ctx *x)
{
	x->watch_fd = -1;
}
#endif

/* The session is over: stop reading (in place: this is the I/O thread) and
 * wake the main thread. */
static void session_end(struct nf_ctx *x, int err)
{
	atomic_store(&x->session_err, err);
	fuse_session_exit(x->se);
	/* The main thread's nf_session_stop() then finds it unwatched. */
	(void)nvmf_unwatch_fd(x->ctrl, x->watch_fd);
	atomic_store(&x->session_done, true);
	pthread_kill(x->main_thread, SIGUSR2);
}

/*
 * One request from /dev/fuse into x->rbuf, read as libfuse's
 * fuse_session_receive_buf() reads one when it does not splice, but into
 * a buffer of ours: a large write's op takes the buffer with its data
 * (nf_session_take_buf()) instead of copying the data out, and the next
 * request goes into another buffer from the pool. The request's length;
 * 0 when the mount is gone (ENODEV: unmounted, or the connection aborted;
 * the session is then exited); -EAGAIN when none is queued, -EINTR when
 * the kernel dropped an interrupted one (ENOENT); else -errno.
 */
static ssize_t session_read(struct nf_ctx *x)
{
	ssize_t n;

	if (!x->rbuf) {
		x->rbuf = nf_pool_rbuf_get(&x->eng.pool);
		if (!x->rbuf)
			return -ENOMEM;
	}
	n = read(x->session_fd, x->rbuf, NF_RBUF_LEN);
	if (n < 0) {
		int e = errno;

		if (e == ENOENT)
			return -EINTR;
		if (e == ENODEV) {
			fuse_session_exit(x->se);
			return 0;
		}
		return -e;
	}
	/* The kernel writes whole requests, each with its 40-byte struct
	 * fuse_in_header (FUSE protocol 7.x): libfuse trusts its fields. */
	if (n < NF_FUSE_IN_HEADER_LEN)
		return -EIO;
	/* For the main thread's idle check (nf_session_wait()): this thread
	 * alone writes it, so no atomic read-modify-write is needed. */
	atomic_store_explicit(&x->requests,
			      atomic_load_explicit(&x->requests, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	return n;
}

bool nf_session_take_buf(struct nf_ctx *x, const char *data, size_t len, char **rbuf)
{
	uintptr_t b = (uintptr_t)x->rbuf, d = (uintptr_t)data;

	if (!x->rbuf || d < b || len > NF_RBUF_LEN || d - b > NF_RBUF_LEN - len)
		return false;
	*rbuf = x->rbuf;
	x->rbuf = NULL;
	return true;
}

/* On the I/O thread, while /dev/fuse has requests. */
static void session_readable(void *user, int fd)
{
	struct nf_ctx *x = user;

	(void)fd;
	for (int i = 0; i < NF_SESSION_BATCH && watch_ready(x); i++) {
		ssize_t r = session_read(x);
		struct fuse_buf fb;
		bool init;

		if (r == -EAGAIN || r == -EINTR)
			return;
		if (r <= 0 || fuse_session_exited(x->se)) {
			if (r < 0)
				fprintf(stderr, "nvmf-fuse: reading /dev/fuse: %s\n",
					strerror((int)-r));
			session_end(x, r < 0 ? (int)r : 0);
			return;
		}
		memset(&fb, 0, sizeof(fb));
		fb.mem = x->rbuf;
		fb.size = (size_t)r;
		init = !x->init_called;
		fuse_session_process_buf(x->se, &fb);
		init = init && x->init_called;
		if (fuse_session_exited(x->se)) {
			/* libfuse refused the INIT (it said why on stderr) and
			 * answered it with an error: the mount is unusable. */
			session_end(x, init ? -EPROTO : 0);
			return;
		}
		if (init)
			atomic_store(&x->init_ok, true);
	}
}

/* The kernel queues INIT as the mount is made; it is answered on the
 * first loop turn of the I/O thread. */
#define NF_INIT_WAIT_MS 10000

int nf_session_wait_init(struct nf_ctx *x)
{
	for (int ms = 0; ms < NF_INIT_WAIT_MS; ms += 10) {
		if (atomic_load(&x->init_ok))
			return 0;
		if (atomic_load(&x->session_done))
			return -EPROTO;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return -ETIMEDOUT;
}

/* The signals the main thread waits for, blocked in every thread: set
 * once, before any thread starts. */
static sigset_t session_set;

void nf_session_block_signals(void)
{
	static const int stop[] = { SIGINT, SIGTERM, SIGHUP };

	sigemptyset(&session_set);
	/* One the invoking shell ignored (nohup; '&' in a script ignores
	 * SIGINT) stays ignored, as libfuse's handlers left it: blocked, it
	 * would be queued and taken by sigwait() all the same. */
	for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++) {
		struct sigaction sa;

		if (sigaction(stop[i], NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			continue;
		sigaddset(&session_set, stop[i]);
	}
	/* The I/O thread's wake-up must never be discarded: a blocked
	 * signal whose action is "ignore" may be (POSIX leaves it open;
	 * FreeBSD does), so an inherited SIG_IGN is reset first. */
	signal(SIGUSR2, SIG_DFL);
	sigaddset(&session_set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &session_set, NULL);
}

int nf_session_start(struct nf_ctx *x)
{
	int r;

	x->main_thread = pthread_self();
	x->session_fd = fuse_session_fd(x->se);
	x->watch_fd = watch_open(x);
	if (x->watch_fd < 0) {
		r = x->watch_fd;
		x->watch_fd = -1;
		return r;
	}
	r = nvmf_watch_fd(x->ctrl, x->watch_fd, session_readable, x);
	if (r < 0) {
		watch_close(x);
		return r;
	}
	x->session_watched = true;
	return 0;
}

/*
 * nvmf_connect() cannot be interrupted, and the stop signals are blocked in
 * every thread: without this, ^C in the foreground waited for the connect
 * to succeed or time out (--connect-timeout). While the main thread
 * connects, a thread of its own takes them: one that comes removes what
 * the start-up made so far (undo) and ends the process by that signal, as
 * if it had not been blocked. One taken as the connect ends is sent again
 * for nf_session_wait().
 */
struct guard {
	pthread_t       thread;
	pthread_mutex_t mu;
	bool            over;	/* the connect ended: no dying any more */
	int             sig;	/* taken once it was over */
	void          (*undo)(void *);
	void           *arg;
};

static struct guard guard = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void *guard_main(void *arg)
{
	sigset_t stops = session_set, one;
	int sig;

	(void)arg;
	/* SIGUSR2 too: nf_session_guard_stop() wakes the thread with it (one
	 * from elsewhere changes nothing, as in nf_session_wait()). */
	for (;;) {
		pthread_mutex_lock(&guard.mu);
		if (guard.over) {
			pthread_mutex_unlock(&guard.mu);
			return NULL;
		}
		pthread_mutex_unlock(&guard.mu);
		/* No timeout: nf_session_guard_stop() sets over, then sends
		 * SIGUSR2, which waits pending if it comes before this. */
		if (sigwait(&stops, &sig) != 0 || sig == SIGUSR2)
			continue;
		pthread_mutex_lock(&guard.mu);
		if (guard.over) {
			guard.sig = sig;
			pthread_mutex_unlock(&guard.mu);
			return NULL;
		}
		fprintf(stderr, "nvmf-fuse: %s while connecting: stopping\n", strsignal(sig));
		guard.undo(guard.arg);
		signal(sig, SIG_DFL);
		sigemptyset(&one);
		sigaddset(&one, sig);
		pthread_sigmask(SIG_UNBLOCK, &one, NULL);
		raise(sig);
		_exit(128 + sig);	/* not reached */
	}
}

int nf_session_guard_start(void (*undo)(void *), void *arg)
{
	int r;

	guard.over = false;
	guard.sig = 0;
	guard.undo = undo;
	guard.arg = arg;
	r = pthread_create(&guard.thread, NULL, guard_main, NULL);
	return r ? -r : 0;
}

void nf_session_guard_stop(void)
{
	pthread_mutex_lock(&guard.mu);
	guard.over = true;
	pthread_mutex_unlock(&guard.mu);
	pthread_kill(guard.thread, SIGUSR2);	/* out of its sigwait() */
	pthread_join(guard.thread, NULL);
	if (guard.sig)
		kill(getpid(), guard.sig);	/* pending again, for nf_session_wait() */
}

/*
 * An idle mount gives back what a burst left in its pool. 1 MiB requests
 * at the kernel's 64 in the background take up to NF_POOL_MAX_RBUFS
 * receive buffers and NF_POOL_MAX_KEPT of op buffers, about 100 MiB held
 * for good although an idle mount needs a couple of buffers; nbdfuse's
 * memory goes back down after a burst, and so should ours. Once a whole
 * tick passed without a request read (the count, bumped on the I/O
 * thread, unchanged), the free lists are cut to NF_IDLE_KEEP_RBUFS and
 * NF_IDLE_KEEP_BYTES, and glibc's heap is trimmed (a freed 1 MiB block may
 * sit in the heap, not unmapped, once glibc raised its mmap threshold).
 * Buffers in use are not touched; a burst after it allocates again. The
 * trim thus comes 2 to 4 s after the last request.
 */
#define NF_IDLE_TICK_S      2
#define NF_IDLE_KEEP_RBUFS  2
#define NF_IDLE_KEEP_BYTES  ((size_t)2 << 20)

struct idle {
	unsigned seen;		/* requests read, at the last tick */
	bool     trimmed;	/* since the last request */
};

static void idle_tick(struct nf_ctx *x, struct idle *d)
{
	unsigned now = atomic_load_explicit(&x->requests, memory_order_relaxed);

	if (now != d->seen) {
		d->seen = now;
		d->trimmed = false;
		return;
	}
	if (d->trimmed || !x->eng.pool_ready)
		return;
	d->trimmed = true;
	(void)nf_pool_trim(&x->eng.pool, NF_IDLE_KEEP_RBUFS, NF_IDLE_KEEP_BYTES);
#ifdef __GLIBC__
	/* Also when the lists were already short: buffers freed during the
	 * burst because the pool was full may sit in the heap too. */
	malloc_trim(0);
#endif
}

int nf_session_wait(struct nf_ctx *x)
{
	const struct timespec tick = { NF_IDLE_TICK_S, 0 };
	struct idle d = { atomic_load(&x->requests), false };
	int sig;

	while (!atomic_load(&x->session_done)) {
		sig = sigtimedwait(&session_set, NULL, &tick);
		if (sig < 0) {
			if (errno == EAGAIN)
				idle_tick(x, &d);
			continue;
		}
		/* SIGUSR2: the I/O thread's word, or someone else's signal,
		 * which changes nothing; the others end the session. */
		if (sig != SIGUSR2)
			break;
	}
	return atomic_load(&x->session_err);
}

void nf_session_stop(struct nf_ctx *x)
{
	/* When this returns, no request is read any more: what remains is
	 * answering those already taken (nf_ops_drain()). */
	if (x->session_watched && x->ctrl) {
		int r = nvmf_unwatch_fd(x->ctrl, x->watch_fd);

		if (r < 0 && r != -ENOENT)
			fprintf(stderr, "nvmf-fuse: %s\n", nvmf_get_error());
		x->session_watched = false;
		watch_close(x);
	}
	if (x->se)
		fuse_session_exit(x->se);
}

void nf_session_fini(struct nf_ctx *x)
{
	if (x->eng.pool_ready)
		nf_pool_rbuf_put(&x->eng.pool, x->rbuf);
	else
		free(x->rbuf);
	x->rbuf = NULL;
}
