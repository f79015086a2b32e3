/*
 * Shared by the daemons (nvmf-target, nvmf-fuse): service readiness for a
 * service manager, the sd_notify(3) protocol without libsystemd.
 *
 * systemd starts a Type=notify service with NOTIFY_SOCKET naming an
 * AF_UNIX datagram socket (a path, or '@' for a Linux abstract socket);
 * the service sends newline-separated VAR=VALUE assignments there
 * ("READY=1" once it serves, "STOPPING=1" when it begins to shut down).
 * The protocol is one datagram per message, nothing to read back, which is
 * why a few lines replace a library dependency. Without NOTIFY_SOCKET (not
 * started by systemd, or on FreeBSD) every call is a no-op.
 */
#ifndef NVMF_TOOLS_SDNOTIFY_H
#define NVMF_TOOLS_SDNOTIFY_H

#include <stddef.h>

/* The variable systemd sets. */
#define TC_NOTIFY_SOCKET_ENV "NOTIFY_SOCKET"

/*
 * Send state ("READY=1", "STOPPING=1", "STATUS=...") to $NOTIFY_SOCKET.
 * Returns 1 when sent, 0 when NOTIFY_SOCKET is unset or empty (nothing to
 * tell), or -errno: -EINVAL for an address that is neither a path nor '@'
 * abstract, -ENAMETOOLONG when it does not fit sockaddr_un, -EAFNOSUPPORT
 * for an abstract socket where the system has none (not Linux), or the
 * socket()/sendto() error (-ENOENT, -ECONNREFUSED: no one listens).
 * Never blocks: the socket is non-blocking.
 */
int tc_sd_notify(const char *state);

/* "cannot notify the service manager (NOTIFY_SOCKET=...): reason" for a
 * tc_sd_notify() error r, into buf; returns buf. */
const char *tc_sd_notify_strerror(int r, char *buf, size_t len);

#endif
