/*
 * tools/common/sdnotify.c: the sd_notify(3) datagram, checked by a
 * receiving socket of the test's own, as systemd's would see it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "sdnotify.h"

struct rx {
	int fd;
	char dir[48];
	char path[80];
};

/* A datagram socket bound to a fresh path; NOTIFY_SOCKET names it. */
static void rx_open_path(struct rx *x)
{
	struct sockaddr_un sa;

	snprintf(x->dir, sizeof(x->dir), "/tmp/nvmf-sdnotify.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->path, sizeof(x->path), "%s/notify", x->dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", x->path);
	x->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(x->fd >= 0);
	assert_int_equal(bind(x->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setenv(TC_NOTIFY_SOCKET_ENV, x->path, 1), 0);
}

static void rx_close(struct rx *x)
{
	close(x->fd);
	if (x->path[0])
		unlink(x->path);
	if (x->dir[0])
		rmdir(x->dir);
	unsetenv(TC_NOTIFY_SOCKET_ENV);
}

/* The next datagram, waited for at most 5 s; its length or -1. */
static ssize_t rx_recv(struct rx *x, char *buf, size_t len)
{
	struct pollfd p = { .fd = x->fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 5000) != 1)
		return -1;
	n = recv(x->fd, buf, len - 1, 0);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Nothing pending on the socket (nothing was sent). */
static bool rx_empty(struct rx *x)
{
	struct pollfd p = { .fd = x->fd, .events = POLLIN };

	return poll(&p, 1, 50) == 0;
}

static void test_path_socket(void **state)
{
	struct rx x = { .fd = -1 };
	char buf[256];

	(void)state;
	rx_open_path(&x);
	assert_int_equal(tc_sd_notify("READY=1"), 1);
	assert_int_equal(rx_recv(&x, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "READY=1");
	/* Several assignments are one datagram, newline-separated. */
	assert_int_equal(tc_sd_notify("READY=1\nSTATUS=serving"), 1);
	assert_true(rx_recv(&x, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "READY=1\nSTATUS=serving");
	assert_int_equal(tc_sd_notify("STOPPING=1"), 1);
	assert_true(rx_recv(&x, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "STOPPING=1");
	rx_close(&x);
}

/* Not started by a service manager: nothing to do, no error. */
static void test_unset_is_noop(void **state)
{
	struct rx x = { .fd = -1 };

	(void)state;
	rx_open_path(&x);
	unsetenv(TC_NOTIFY_SOCKET_ENV);
	assert_int_equal(tc_sd_notify("READY=1"), 0);
	assert_int_equal(setenv(TC_NOTIFY_SOCKET_ENV, "", 1), 0);
	assert_int_equal(tc_sd_notify("READY=1"), 0);
	assert_true(rx_empty(&x));
	rx_close(&x);
}

static void test_abstract_socket(void **state)
{
	(void)state;
#ifdef __linux__
	struct sockaddr_un sa;
	char name[64], buf[64];
	struct rx x = { .fd = -1 };
	socklen_t len;

	/* "@name": the abstract namespace, the name's bytes only (unix(7)). */
	snprintf(name, sizeof(name), "@nvmf-sdnotify-test-%ld", (long)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, name + 1, strlen(name) - 1);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	x.fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(x.fd >= 0);
	assert_int_equal(bind(x.fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(setenv(TC_NOTIFY_SOCKET_ENV, name, 1), 0);
	assert_int_equal(tc_sd_notify("READY=1"), 1);
	assert_int_equal(rx_recv(&x, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "READY=1");
	rx_close(&x);
#else
	char buf[160];

	assert_int_equal(setenv(TC_NOTIFY_SOCKET_ENV, "@nvmf-sdnotify-test", 1), 0);
	assert_int_equal(tc_sd_notify("READY=1"), -EAFNOSUPPORT);
	assert_non_null(strstr(tc_sd_notify_strerror(-EAFNOSUPPORT, buf, sizeof(buf)),
			       "Linux only"));
	unsetenv(TC_NOTIFY_SOCKET_ENV);
#endif
}

/* Bad addresses are errors that say what is wrong, and nothing crashes. */
static void test_bad_addresses(void **state)
{
	char buf[400], longpath[300];

	(void)state;
	assert_int_equal(setenv(TC_NOTIFY_SOCKET_ENV, "relative/path", 1), 0);
	assert_int_equal(tc_sd_notify("READY=1"), -EINVAL);
	tc_sd_notify_strerror(-EINVAL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "NOTIFY_SOCKET=relative/path"));
	assert_non_null(strstr(buf, "not a socket path"));

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(setenv(TC_NOTIFY_SOCKET_ENV, longpath, 1), 0);
	assert_int_equal(tc_sd_notify("READY=1"), -ENAMETOOLONG);

	/* No one listens there. */
	assert_int_equal(setenv(TC_NOTIFY_SOCKET_ENV, "/nonexistent/nvmf-notify", 1), 0);
	assert_int_equal(tc_sd_notify("READY=1"), -ENOENT);
	tc_sd_notify_strerror(-ENOENT, buf, sizeof(buf));
	assert_non_null(strstr(buf, strerror(ENOENT)));
	unsetenv(TC_NOTIFY_SOCKET_ENV);
}

/* A socket that is gone: the daemon learns it, it is not blocked. */
static void test_receiver_gone(void **state)
{
	struct rx x = { .fd = -1 };
	int r;

	(void)state;
	rx_open_path(&x);
	close(x.fd);
	x.fd = -1;
	r = tc_sd_notify("READY=1");
	assert_true(r == -ECONNREFUSED || r == -ENOENT || r == -ENOTCONN);
	rx_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_unset_is_noop),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_receiver_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
