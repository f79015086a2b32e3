/*
 * Loader of the interop fixture's target.env and small socket helpers for
 * the tests that talk to the QEMU-hosted Linux target (see interop_env.h).
 */
#include "interop/interop_env.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void env_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, a, b);
}

/* Strips the newline and, when present, the single quotes sh quoting added. */
static char *env_value(char *v)
{
	size_t n = strcspn(v, "\r\n");

	v[n] = '\0';
	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
		v[n - 1] = '\0';
		v++;
	}
	return v;
}

int interop_env_load(struct interop_env *env, const char *path, char *err, size_t errlen)
{
	char line[4096];
	FILE *f;

	memset(env, 0, sizeof(*env));
	if (!path)
		path = getenv("NVMF_TEST_ENV");
	if (!path || !*path) {
		env_err(err, errlen, "NVMF_TEST_ENV is not set: run this test through ctest, which "
			"attaches it to an interop fixture%s%s", "", "");
		return -EINVAL;
	}
	snprintf(env->path, sizeof(env->path), "%s", path);
	f = fopen(path, "r");
	if (!f) {
		env_err(err, errlen, "cannot read %s (%s): the interop target did not start; "
			"see the output of its interop-setup-* test", path, strerror(errno));
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');

		if (line[0] == '#' || !eq)
			continue;
		if (env->count == INTEROP_ENV_MAX)
			break;
		*eq = '\0';
		env->key[env->count] = strdup(line);
		env->val[env->count] = strdup(env_value(eq + 1));
		if (!env->key[env->count] || !env->val[env->count]) {
			fclose(f);
			interop_env_free(env);
			env_err(err, errlen, "out of memory reading %s%s", path, "");
			return -ENOMEM;
		}
		env->count++;
	}
	fclose(f);
	if (!interop_env_get(env, "NVMF_TEST_TRSVCID")) {
		env_err(err, errlen, "%s has no NVMF_TEST_TRSVCID%s", path, "");
		interop_env_free(env);
		return -EINVAL;
	}
	return 0;
}

void interop_env_free(struct interop_env *env)
{
	for (int i = 0; i < env->count; i++) {
		free(env->key[i]);
		free(env->val[i]);
	}
	env->count = 0;
}

const char *interop_env_get(const struct interop_env *env, const char *key)
{
	for (int i = 0; i < env->count; i++)
		if (strcmp(env->key[i], key) == 0)
			return env->val[i];
	return NULL;
}

void interop_env_dump_console(const struct interop_env *env, int lines)
{
	const char *path = interop_env_get(env, "NVMF_TEST_CONSOLE_LOG");
	static char tail[16384];
	size_t n, start;
	FILE *f;
	int seen = 0;

	if (!path || !(f = fopen(path, "r")))
		return;
	/* The end of the file is enough: the log is small. */
	if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > (long)sizeof(tail) - 1)
		fseek(f, -(long)(sizeof(tail) - 1), SEEK_END);
	else
		rewind(f);
	n = fread(tail, 1, sizeof(tail) - 1, f);
	fclose(f);
	tail[n] = '\0';
	start = n;
	while (start > 0 && seen <= lines)
		if (tail[--start] == '\n')
			seen++;
	fprintf(stderr, "---- guest console (%s, last %d lines) ----\n%s\n", path, lines,
		tail + start + (tail[start] == '\n'));
}

uint16_t interop_env_port(const struct interop_env *env, const char *key)
{
	const char *v = interop_env_get(env, key);
	char *end;
	long p;

	if (!v || !*v)
		return 0;
	p = strtol(v, &end, 10);
	return (*end || p <= 0 || p > 65535) ? 0 : (uint16_t)p;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int interop_connect(uint16_t port, int timeout_ms, int retry_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	long end = now_ms() + retry_ms;
	int one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int e;

		if (fd < 0)
			return -errno;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
		e = errno;
		close(fd);
		if ((e != ECONNREFUSED && e != ECONNRESET && e != EAGAIN) || now_ms() > end)
			return -e;
		usleep(100 * 1000);
	}
}

int interop_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

int interop_write_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = send(fd, (const char *)buf + put, len - put, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
		}
		put += (size_t)n;
	}
	return 0;
}

int interop_ctl(const struct interop_env *env, char *out, size_t outlen, const char *arg, ...)
{
	const char *ctl = interop_env_get(env, "NVMF_TEST_CTL");
	const char *argv[32];
	int argc = 0, pfd[2], status;
	size_t got = 0;
	va_list ap;
	pid_t pid;

	if (!ctl || !*ctl)
		return -EINVAL;
	argv[argc++] = ctl;
	va_start(ap, arg);
	for (const char *a = arg; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	if (pipe(pfd) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execv(ctl, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char sink[512];
		char *dst = (out && got + 1 < outlen) ? out + got : sink;
		size_t room = (out && got + 1 < outlen) ? outlen - 1 - got : sizeof(sink);
		ssize_t n = read(pfd[0], dst, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			got += (size_t)n;
	}
	close(pfd[0]);
	if (out && outlen)
		out[got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
