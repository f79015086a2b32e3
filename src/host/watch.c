/*
 * Descriptors watched on a controller's loop (nvmf_watch_fd(), nvmf.h).
 *
 * An application that takes its work from a descriptor (nvmf-fuse's
 * /dev/fuse) would otherwise read it on a thread of its own and hand every
 * command over to the I/O thread: an inbox push, and a wake-up whenever
 * the I/O thread slept, for each batch. Watched here, the descriptor is
 * read on the controller's own thread, and what the callback submits joins
 * that loop turn's other commands in one write per queue (tcp/host_send.c).
 *
 * Each watch is a uv_poll_t on the controller's loop, in c->watches (loop
 * thread only). The callback runs like a completion callback: on the loop
 * thread, inside host_cb_enter() (no synchronous call from it), and as work
 * for a polling loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/ctrl.h"

struct host_watch {
	uv_poll_t          poll;
	struct nvmf_ctrl  *c;
	int                fd;
	nvmf_fd_cb         cb;
	void              *user;
	struct host_watch *next;
};

struct watch_args {
	int        fd;
	nvmf_fd_cb cb;
	void      *user;
};

static void poll_cb(uv_poll_t *h, int status, int events)
{
	struct host_watch *w = h->data;
	struct nvmf_ctrl *c = w->c;

	/* On an error condition of the descriptor (POLLERR) libuv has
	 * stopped the handle already (status < 0); the callback still runs,
	 * once, so that the application's own read finds out what happened.
	 * A hang-up or end of file leaves it readable: called again. */
	(void)status;
	(void)events;
	if (c->hl)
		c->hl->poll_work++;
	host_cb_enter(c);
	w->cb(w->user, w->fd);
	host_cb_exit();
}

static void watch_closed(uv_handle_t *h)
{
	struct host_watch *w = h->data;
	struct nvmf_ctrl *c = w->c;

	free(w);
	host_handle_closed(c);
}

/* Closing stops the poll at once (no callback after uv_close(); epoll
 * drops the descriptor then, kqueue at its close() or next event), so the
 * caller may close the descriptor as soon as it is told; the memory goes
 * in the close callback. */
static void watch_close(struct nvmf_ctrl *c, struct host_watch *w)
{
	c->closing++;
	uv_close((uv_handle_t *)&w->poll, watch_closed);
}

/* ---- On the loop thread ------------------------------------------------------- */

static int do_watch(struct nvmf_ctrl *c, const struct watch_args *a, char *msg, size_t len)
{
	struct host_watch *w;
	struct stat st;
	int r;

	/* Checked again here, on the loop thread: a disconnect that began
	 * after the caller's check has closed every watch already (close_all
	 * ran before this call), and a watch added now would outlive it. */
	if (atomic_load(&c->draining) || atomic_load(&c->stopping)) {
		snprintf(msg, len, "nvmf_watch_fd: the controller is disconnecting");
		return -ESHUTDOWN;
	}
	/* A regular file or directory is always readable: nothing to wait
	 * for. epoll refuses them (EPERM) but kqueue takes them, so the
	 * answer is the same on every system only if asked here. */
	if (fstat(a->fd, &st) < 0) {
		snprintf(msg, len, "nvmf_watch_fd: descriptor %d: %s", a->fd, strerror(errno));
		return -EBADF;
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		snprintf(msg, len, "nvmf_watch_fd: descriptor %d is a %s: always readable, "
			 "nothing to wait for", a->fd, S_ISREG(st.st_mode) ? "regular file" :
			 "directory");
		return -EPERM;
	}
	for (w = c->watches; w; w = w->next) {
		if (w->fd == a->fd) {
			snprintf(msg, len, "nvmf_watch_fd: descriptor %d is watched already", a->fd);
			return -EEXIST;
		}
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(msg, len, "nvmf_watch_fd: out of memory");
		return -ENOMEM;
	}
	/* libuv makes the descriptor non-blocking, and refuses one epoll or
	 * kqueue cannot watch. */
	r = uv_poll_init(c->loop, &w->poll, a->fd);
	if (r == UV_EEXIST) {
		/* libuv allows one handle per descriptor in a loop, and the
		 * loop may be shared (a pool thread, a caller's loop). */
		free(w);
		snprintf(msg, len, "nvmf_watch_fd: descriptor %d is in use on this controller's "
			 "loop already (another controller's watch, a connection, or a handle "
			 "of the application's)", a->fd);
		return -EEXIST;
	}
	if (r < 0) {
		free(w);
		snprintf(msg, len, "nvmf_watch_fd: cannot watch descriptor %d: %s", a->fd,
			 uv_strerror(r));
		return r;
	}
	w->poll.data = w;
	w->c = c;
	w->fd = a->fd;
	w->cb = a->cb;
	w->user = a->user;
	r = uv_poll_start(&w->poll, UV_READABLE, poll_cb);
	if (r < 0) {
		watch_close(c, w);
		snprintf(msg, len, "nvmf_watch_fd: cannot watch descriptor %d: %s", a->fd,
			 uv_strerror(r));
		return r;
	}
	w->next = c->watches;
	c->watches = w;
	return 0;
}

static int do_unwatch(struct nvmf_ctrl *c, int fd, char *msg, size_t len)
{
	for (struct host_watch **p = &c->watches; *p; p = &(*p)->next) {
		struct host_watch *w = *p;

		if (w->fd == fd) {
			*p = w->next;
			watch_close(c, w);
			return 0;
		}
	}
	snprintf(msg, len, "nvmf_unwatch_fd: descriptor %d is not watched", fd);
	return -ENOENT;
}

void host_watch_close_all(struct nvmf_ctrl *c)
{
	while (c->watches) {
		struct host_watch *w = c->watches;

		c->watches = w->next;
		watch_close(c, w);
	}
}

static void watch_fn(struct host_call *call)
{
	host_call_done(call, do_watch(call->c, call->arg, call->msg, sizeof(call->msg)));
}

static void unwatch_fn(struct host_call *call)
{
	const int *fd = call->arg;

	host_call_done(call, do_unwatch(call->c, *fd, call->msg, sizeof(call->msg)));
}

/* ---- The API -------------------------------------------------------------------- */

/*
 * Both finish on the loop thread at once: from that thread (a callback,
 * the watch callback itself included) they run in place, as nothing needs
 * waiting for; from another thread they are a call, which returns once the
 * poll is started or stopped.
 */
int nvmf_watch_fd(struct nvmf_ctrl *c, int fd, nvmf_fd_cb cb, void *user)
{
	struct watch_args a = { fd, cb, user };
	struct host_call call;
	char msg[HOST_MSG_MAX];
	int r;

	host_err_clear();
	if (!c || !cb)
		return host_err(EINVAL, "nvmf_watch_fd: NULL argument");
	if (fd < 0)
		return host_err(EBADF, "nvmf_watch_fd: %d is not a descriptor", fd);
	if (atomic_load(&c->draining) || atomic_load(&c->stopping))
		return host_err(ESHUTDOWN, "nvmf_watch_fd: the controller is disconnecting");
	if (!host_on_loop_thread(c))
		return host_call(c, watch_fn, &a, &call);
	r = do_watch(c, &a, msg, sizeof(msg));
	return r < 0 ? host_err_set(r, 0, msg) : 0;
}

int nvmf_unwatch_fd(struct nvmf_ctrl *c, int fd)
{
	struct host_call call;
	char msg[HOST_MSG_MAX];
	int r;

	host_err_clear();
	if (!c)
		return host_err(EINVAL, "nvmf_unwatch_fd: NULL argument");
	if (!host_on_loop_thread(c))
		return host_call(c, unwatch_fn, &fd, &call);
	r = do_unwatch(c, fd, msg, sizeof(msg));
	return r < 0 ? host_err_set(r, 0, msg) : 0;
}
