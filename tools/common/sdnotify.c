/*
 * tools/common: sd_notify(3)'s protocol (see sdnotify.h).
 */
#include "sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0		/* datagram sockets raise no SIGPIPE anyway */
#endif

/* The socket address of NOTIFY_SOCKET's value s: its length, or -errno. */
static int notify_addr(const char *s, struct sockaddr_un *sa, socklen_t *salen)
{
	size_t n = strlen(s);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (s[0] != '/' && s[0] != '@')
		return -EINVAL;	/* e.g. systemd 254's "vsock:" addresses */
	if (n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, s, n);
	if (s[0] == '@') {
#ifdef __linux__
		/* Abstract namespace (unix(7)): a leading NUL, and the length
		 * counts exactly the name's bytes, no terminator. */
		sa->sun_path[0] = '\0';
		*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		return 0;
#else
		return -EAFNOSUPPORT;
#endif
	}
	*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int tc_sd_notify(const char *state)
{
	const char *s = getenv(TC_NOTIFY_SOCKET_ENV);
	struct sockaddr_un sa;
	socklen_t salen = 0;
	ssize_t sent;
	int fd, r;

	if (!s || !*s)
		return 0;
	r = notify_addr(s, &sa, &salen);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	/* Set with fcntl(), not SOCK_CLOEXEC / MSG_DONTWAIT, which FreeBSD
	 * hides under _POSIX_C_SOURCE. A full receive queue must not stall
	 * the daemon: the message is then lost, as systemd's own is. */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	do
		sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
			      (const struct sockaddr *)&sa, salen);
	while (sent < 0 && errno == EINTR);
	r = sent < 0 ? -errno : 1;
	close(fd);
	if (r == 1 && (size_t)sent != strlen(state))
		r = -EMSGSIZE;	/* a datagram is sent whole or not at all */
	return r;
}

const char *tc_sd_notify_strerror(int r, char *buf, size_t len)
{
	const char *s = getenv(TC_NOTIFY_SOCKET_ENV);
	const char *why;

	switch (r) {
	case -EINVAL:
		why = "not a socket path or an '@' abstract name";
		break;
	case -ENAMETOOLONG:
		why = "the path is too long for a socket address";
		break;
	case -EAFNOSUPPORT:
		why = "abstract sockets ('@') exist on Linux only";
		break;
	default:
		why = strerror(-r);
		break;
	}
	snprintf(buf, len, "cannot notify the service manager (%s=%.200s): %s",
		 TC_NOTIFY_SOCKET_ENV, s ? s : "", why);
	return buf;
}
