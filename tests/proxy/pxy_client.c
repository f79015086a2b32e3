/*
 * The tests' side of nvmf-fault-proxy (pxy_client.h).
 */
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "pxy_client.h"

#define STOP_MS 10000


/* Reads one line of the proxy's stdout into line; 0, or -1 at EOF/timeout. */
int pxy_line(struct pxy *x, char *line, size_t max)
{
	for (;;) {
		char *nl = memchr(x->buf, '\n', x->len);
		struct pollfd pfd = { .fd = x->out, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t k = (size_t)(nl - x->buf);

			snprintf(line, max, "%.*s", (int)k, x->buf);
			memmove(x->buf, nl + 1, x->len - k - 1);
			x->len -= k + 1;
			return 0;
		}
		if (x->len == sizeof(x->buf) || poll(&pfd, 1, STOP_MS) <= 0)
			return -1;
		n = read(x->out, x->buf + x->len, sizeof(x->buf) - x->len);
		if (n <= 0)
			return -1;
		x->len += (size_t)n;
	}
}

void pxy_start(struct pxy *x, const char *bin, const char *upstream, ...)
{
	char *argv[32], up[16], line[256];
	int in[2], out[2], n = 0;
	va_list ap;

	memset(x, 0, sizeof(*x));
	argv[n++] = (char *)bin;
	argv[n++] = "--stdin-eof";
	argv[n++] = "--upstream";
	snprintf(up, sizeof(up), "%s", upstream);
	argv[n++] = up;
	va_start(ap, upstream);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	x->pid = fork();
	assert_true(x->pid >= 0);
	if (x->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execv(bin, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	x->in = in[1];
	x->out = out[0];
	if (pxy_line(x, line, sizeof(line)) != 0 || sscanf(line, "port %d", &x->port) != 1)
		fail_msg("nvmf-fault-proxy did not print its port (got '%s')", line);
}

/* Stops the proxy and reads its summary line. */
void pxy_stop(struct pxy *x)
{
	char line[256], mode[32];
	bool seen = false;
	int st = 0, t;

	close(x->in);
	while (pxy_line(x, line, sizeof(line)) == 0) {
		if (sscanf(line, "conns %u up %" SCNu64 " down %" SCNu64 " mode %31s fired %u",
			   &x->conns, &x->up, &x->down, mode, &x->fired) == 5) {
			print_message("  proxy: %s\n", line);
			seen = true;
		}
	}
	close(x->out);
	for (t = 0; t < STOP_MS && waitpid(x->pid, &st, WNOHANG) != x->pid; t += 20)
		usleep(20000);
	if (t >= STOP_MS) {
		kill(x->pid, SIGKILL);
		waitpid(x->pid, &st, 0);
		fail_msg("nvmf-fault-proxy did not exit after stdin EOF");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(seen);
}
