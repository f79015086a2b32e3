/*
 * nvmf-fake-ctrl: the scripted fake NVMe/TCP controller as a program, for
 * tests that drive the CLI or the library from another process.
 *
 *   nvmf-fake-ctrl --scenario NAME [--port N] [--ipv6] [--cpda N]
 *                  [--maxh2cdata N] [--c2h-chunk N] [--r2t-chunk N] [--list]
 *                  [--dhchap-secret KEY [--dhchap-ctrl-secret KEY]
 *                   [--auth-hash ID] [--auth-dhgroup ID] [--auth-from-qid N]]
 *                  [--lbads 9..20] [--mdts N] [--mdts2 N] [--no-zeroes]
 *
 * Prints "port N" on stdout once listening, then serves until SIGINT or
 * SIGTERM (or until stdin reaches EOF with --stdin-eof), and prints what it
 * observed on exit. SIGUSR1 drops every connection (fake_ctrl_drop()): an
 * outage the host reconnects from.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake/fake_ctrl.h"

static volatile sig_atomic_t stop_flag;
/* SIGUSR1 writes a byte here: fake_ctrl_drop() takes locks, so the main
 * loop calls it, woken by this pipe. */
static int drop_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_drop(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(drop_pipe[1], "d", 1) < 0) {
		/* full: a drop is pending anyway */
	}
	errno = saved;
}

/* Serve until a stop signal (or EOF on stdin with stdin_eof), dropping the
 * connections at each SIGUSR1. */
static void serve(struct fake_ctrl *fc, bool stdin_eof)
{
	struct pollfd p[2] = { { drop_pipe[0], POLLIN, 0 }, { 0, POLLIN, 0 } };
	char b[64];

	while (!stop_flag) {
		if (poll(p, stdin_eof ? 2 : 1, -1) < 0)
			continue;	/* EINTR: stop_flag tells */
		if (p[0].revents & POLLIN) {
			if (read(drop_pipe[0], b, sizeof(b)) > 0)
				fake_ctrl_drop(fc);
		}
		if (stdin_eof && (p[1].revents & (POLLIN | POLLHUP)) && read(0, b, sizeof(b)) <= 0)
			break;
	}
}

static void usage(FILE *f)
{
	int i;

	fprintf(f, "usage: nvmf-fake-ctrl --scenario NAME [--port N] [--ipv6] [--cpda N]\n"
		   "       [--maxh2cdata N] [--c2h-chunk N] [--r2t-chunk N] [--stdin-eof]\n"
		   "       [--dhchap-secret KEY [--dhchap-ctrl-secret KEY] [--auth-hash 1..3]\n"
		   "        [--auth-dhgroup 0..5] [--auth-from-qid N]]\n"
		   "       [--lbads 9..20] [--mdts N] [--mdts2 N] [--no-zeroes]\n"
		   "scenarios:");
	for (i = 0; i < FAKE_SCENARIO_COUNT; i++)
		fprintf(f, " %s", fake_scenario_name((enum fake_scenario)i));
	fprintf(f, "\n");
}

static int num(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || *s == '\0' || *out > max) {
		fprintf(stderr, "nvmf-fake-ctrl: %s: invalid value '%s' (0..%lu)\n", opt, s, max);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "cpda", required_argument, NULL, 'c' },
		{ "maxh2cdata", required_argument, NULL, 'm' },
		{ "c2h-chunk", required_argument, NULL, 'k' },
		{ "r2t-chunk", required_argument, NULL, 'r' },
		{ "stdin-eof", no_argument, NULL, 'e' },
		{ "list", no_argument, NULL, 'l' },
		{ "dhchap-secret", required_argument, NULL, 'S' },
		{ "dhchap-ctrl-secret", required_argument, NULL, 'C' },
		{ "auth-hash", required_argument, NULL, 'H' },
		{ "auth-dhgroup", required_argument, NULL, 'G' },
		{ "auth-from-qid", required_argument, NULL, 'Q' },
		{ "lbads", required_argument, NULL, 'B' },
		{ "mdts", required_argument, NULL, 'M' },
		{ "mdts2", required_argument, NULL, 'N' },
		{ "no-zeroes", no_argument, NULL, 'Z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fake_opts o;
	struct fake_ctrl *fc;
	struct fake_stats st;
	bool stdin_eof = false;
	unsigned long v;
	int c, rc;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "s:p:6c:m:k:r:elhS:C:H:G:Q:B:M:N:Z", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (fake_scenario_parse(optarg, &o.scenario) != 0) {
				fprintf(stderr, "nvmf-fake-ctrl: unknown scenario '%s'\n", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'p':
			if (num("--port", optarg, 65535, &v) != 0)
				return 2;
			o.port = (uint16_t)v;
			break;
		case '6':
			o.ipv6 = true;
			break;
		case 'c':
			if (num("--cpda", optarg, 31, &v) != 0)
				return 2;
			o.cpda = (uint8_t)v;
			break;
		case 'm':
			if (num("--maxh2cdata", optarg, 1u << 24, &v) != 0)
				return 2;
			o.maxh2cdata = (uint32_t)v;
			break;
		case 'k':
			if (num("--c2h-chunk", optarg, 1u << 21, &v) != 0)
				return 2;
			o.c2h_chunk = (uint32_t)v;
			break;
		case 'r':
			if (num("--r2t-chunk", optarg, 1u << 21, &v) != 0)
				return 2;
			o.r2t_chunk = (uint32_t)v;
			break;
		case 'e':
			stdin_eof = true;
			break;
		case 'S':
			o.dhchap_secret = optarg;
			break;
		case 'C':
			o.dhchap_ctrl_secret = optarg;
			break;
		case 'H':
			if (num("--auth-hash", optarg, 3, &v) != 0)
				return 2;
			o.auth_hash = (uint8_t)v;
			break;
		case 'G':
			if (num("--auth-dhgroup", optarg, 5, &v) != 0)
				return 2;
			o.auth_dhgroup = (uint8_t)v;
			break;
		case 'Q':
			if (num("--auth-from-qid", optarg, 65535, &v) != 0)
				return 2;
			o.auth_from_qid = (uint16_t)v;
			break;
		case 'B':
			/* 512 bytes to 1 MiB: each I/O fits FAKE_XFER_MAX, the
			 * 4 MiB disk holds a few blocks. */
			if (num("--lbads", optarg, 20, &v) != 0 || v < 9) {
				fprintf(stderr, "nvmf-fake-ctrl: --lbads: 9..20\n");
				return 2;
			}
			o.lbads = (uint8_t)v;
			break;
		case 'M':
			if (num("--mdts", optarg, 15, &v) != 0)
				return 2;
			o.mdts = (uint8_t)(v + 1);
			break;
		case 'N':
			if (num("--mdts2", optarg, 15, &v) != 0)
				return 2;
			o.mdts2 = (uint8_t)(v + 1);
			break;
		case 'Z':
			o.no_zeroes = true;
			break;
		case 'l':
			for (c = 0; c < FAKE_SCENARIO_COUNT; c++)
				printf("%s\n", fake_scenario_name((enum fake_scenario)c));
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (pipe(drop_pipe) != 0 || fcntl(drop_pipe[1], F_SETFL, O_NONBLOCK) != 0) {
		perror("nvmf-fake-ctrl: pipe");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_drop);
	signal(SIGPIPE, SIG_IGN);
	rc = fake_ctrl_start(&o, &fc);
	if (rc != 0) {
		if (rc == -EINVAL || rc == -ENOTSUP)
			fprintf(stderr, "nvmf-fake-ctrl: %s\n", rc == -EINVAL ?
				"malformed DH-HMAC-CHAP secret" :
				"DH-HMAC-CHAP needs a build with OpenSSL");
		else
			fprintf(stderr, "nvmf-fake-ctrl: cannot listen on port %u: %s\n", o.port,
				strerror(-rc));
		return 1;
	}
	printf("port %u\n", fake_ctrl_port(fc));
	fflush(stdout);
	serve(fc, stdin_eof);
	fake_ctrl_stop(fc, &st);
	printf("conns %u cmds %u connects %u triggered %u term %s fes 0x%x fei 0x%x\n",
	       st.conns, st.cmds, st.connects, st.triggered, st.term_received ? "yes" : "no",
	       st.term_fes, st.term_fei);
	if (st.auth_negotiates)
		printf("auth negotiates %u ok %u failure1 %u failure2 %u host-errors %u\n",
		       st.auth_negotiates, st.auth_ok, st.auth_failure1s, st.auth_failure2s,
		       st.auth_host_errors);
	return 0;
}
