/*
 * The nvmf-target daemon: command line, the "listening on" line, the
 * separate discovery port, pidfile, SIGHUP reload with an asynchronous
 * event, SIGTERM drain and exit status, errors on bad arguments.
 * argv[1] is the nvmf-target executable.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/endian.h>

#include "th.h"

static const char *BIN;

struct proc {
	pid_t pid;
	int out;		/* stdout pipe */
	int err;		/* stderr pipe (spawn_err), else -1 */
	int port, dport;
	char line[256];
};

static int spawn_fds(struct proc *p, char *const argv[], bool err)
{
	int fds[2], efds[2] = { -1, -1 };

	if (pipe(fds) < 0)
		return -errno;
	if (err && pipe(efds) < 0)
		return -errno;
	p->pid = fork();
	if (p->pid == 0) {
#if defined(__linux__)
		/* A failed assertion ends the test without its kill: the
		 * target goes with it instead of lingering. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (err) {
			dup2(efds[1], 2);
			close(efds[0]);
			close(efds[1]);
		}
		execv(BIN, argv);
		_exit(127);
	}
	close(fds[1]);
	p->out = fds[0];
	p->err = efds[0];
	if (err)
		close(efds[1]);
	return 0;
}

static int spawn(struct proc *p, char *const argv[])
{
	return spawn_fds(p, argv, false);
}

/* As spawn, with the target's log (stderr) readable: read_err_line(). */
static int spawn_err(struct proc *p, char *const argv[])
{
	return spawn_fds(p, argv, true);
}

/* Reads fd up to the first newline (or EOF) within the timeout. */
static int read_fd_line(struct proc *p, int fd)
{
	size_t n = 0;

	while (n < sizeof(p->line) - 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&pfd, 1, TH_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		k = read(fd, p->line + n, 1);
		if (k <= 0)
			break;
		if (p->line[n] == '\n')
			break;
		n++;
	}
	p->line[n] = 0;
	return n ? 0 : -EIO;
}

static int read_line(struct proc *p)
{
	return read_fd_line(p, p->out);
}

/* The target's log up to a line holding needle (at most 100 lines). */
static bool log_has(struct proc *p, const char *needle)
{
	for (int i = 0; i < 100; i++) {
		if (read_fd_line(p, p->err) < 0)
			return false;
		if (strstr(p->line, needle))
			return true;
	}
	return false;
}

/* waitpid with a timeout; returns the exit status or -1. */
static int wait_exit(struct proc *p, int timeout_ms)
{
	int st;

	for (int t = 0; t < timeout_ms; t += 50) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);

		if (r == p->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(50000);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	return -1;
}

static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* Whole or not at all (a new file renamed over the old): a reload may read
 * the file at any moment. */
static void write_file(const char *path, const char *text)
{
	char tmp[256];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

#define CFG_NQN "nqn.2024-01.org.libnvmf:cfg"

static void test_daemon(void **state)
{
	char img[] = "/tmp/nvmf-daemon-img-XXXXXX", cfg[] = "/tmp/nvmf-daemon-cfg-XXXXXX";
	char pidf[64], dp[16], text[512], ip[64];
	struct proc p;
	struct th d, a;
	struct th_cqe cqe;
	uint8_t *log = calloc(1, 4096), sqe[64], buf[4096], id[4096];
	int fd, dport = free_port();
	FILE *f;
	long pid;

	fd = mkstemp(img);
	assert_true(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	close(fd);
	fd = mkstemp(cfg);
	close(fd);
	snprintf(text, sizeof(text),
		 "# test configuration\nsubsystem %s\n  host %s\n  namespace ram:1M\n", CFG_NQN,
		 TH_HOSTNQN);
	write_file(cfg, text);
	snprintf(pidf, sizeof(pidf), "/tmp/nvmf-daemon-%d.pid", (int)getpid());
	snprintf(dp, sizeof(dp), "%d", dport);
	{
		char *argv[] = { (char *)BIN, "-p", "0", "-P", dp, "-n", TH_SUBNQN, "-c", cfg,
				 "--pidfile", pidf, img, NULL };

		assert_int_equal(spawn_err(&p, argv), 0);
	}
	assert_int_equal(read_line(&p), 0);
	assert_int_equal(sscanf(p.line, "listening on %63[0-9.]:%d (discovery %*[0-9.]:%d)", ip,
				&p.port, &p.dport), 3);
	assert_string_equal(ip, "127.0.0.1");
	assert_int_equal(p.dport, dport);
	assert_true(p.port > 0);
	f = fopen(pidf, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_int_equal(pid, p.pid);

	/* Discovery port: both subsystems, each at the real I/O port. */
	assert_int_equal(th_admin_up(&d, p.dport, NVMF_DISCOVERY_NQN, 0), 0);
	assert_int_equal(th_get_log(&d, NVMF_LID_DISCOVERY, false, 0, log, 3072, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(nvmf_get_le64(log + 8), 2);
	for (int i = 0; i < 2; i++) {
		char svc[33];

		memcpy(svc, log + 1024 * (i + 1) + TH_DLE(trsvcid), 32);
		svc[32] = 0;
		assert_int_equal(atoi(svc), p.port);
	}
	th_close(&d);
	/* The discovery port serves no I/O subsystem. */
	assert_int_equal(th_open(&d, p.dport), 0);
	assert_int_equal(th_icreq(&d, 0, false, false), 0);
	assert_int_equal(th_connect(&d, 0, 31, 0, 0xFFFF, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_CONNECT_INVALID_PARAMS);
	th_close(&d);

	/* The file namespace: a write lands in the image. */
	assert_int_equal(th_admin_up(&a, p.port, TH_SUBNQN, 0), 0);
	{
		/* Without --icd: 128 KiB of in-capsule data (IOCCSZ with the SQE). */
		assert_int_equal(th_identify(&a, NVMF_CNS_CTRL, 0, id, &cqe), 0);
		assert_int_equal(nvmf_get_le32(id + TH_IDC(ioccsz)), (64 + 131072) / 16);
	}
	{
		struct th q;

		memset(buf, 0x3C, 4096);
		assert_int_equal(th_io_up(&q, p.port, &a, 1, 0), 0);
		assert_int_equal(th_write(&q, 1, 8, 8, buf, 4096, false, &cqe), 0);
		assert_int_equal(cqe.status, 0);
		th_close(&q);
		fd = open(img, O_RDONLY);
		memset(buf, 0, 4096);
		assert_int_equal(pread(fd, buf, 4096, 4096), 4096);
		close(fd);
		for (int i = 0; i < 4096; i++)
			assert_int_equal(buf[i], 0x3C);
	}
	th_close(&a);

	/* SIGHUP: the config gains a namespace; an enabled AER completes. */
	assert_int_equal(th_admin_up(&a, p.port, CFG_NQN, 0), 0);
	th_sqe(sqe, NVMF_ADM_SET_FEATURES, 0);
	nvmf_put_le32(sqe + 40, NVMF_FID_ASYNC_EVENT);
	nvmf_put_le32(sqe + 44, NVMF_AEC_NS_ATTR);
	assert_int_equal(th_cmd(&a, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	{
		uint8_t b[TCP_PDU_HDR_BUF];
		size_t n;

		th_sqe(sqe, NVMF_ADM_ASYNC_EVENT, 0);
		sqe[1] = 0x40;
		sqe[39] = NVMF_SGL_ID_TCP_TRANSPORT;
		nvmf_put_le16(sqe + 2, 4000);
		n = tcp_build_capsule_cmd(b, &a.p, sqe, 0);
		assert_int_equal(th_send(&a, b, n), 0);
	}
	snprintf(text, sizeof(text),
		 "subsystem %s\n  host %s\n  namespace ram:1M\n  namespace ram:2M nsid=4 bs=4096\n",
		 CFG_NQN, TH_HOSTNQN);
	write_file(cfg, text);
	kill(p.pid, SIGHUP);
	assert_int_equal(th_recv_pdu(&a), 0);
	assert_int_equal(a.hdr.ch.pdu_type, NVMF_TCP_CAPSULE_RESP);
	assert_int_equal(nvmf_get_le16(a.hdr.rsp.cqe + 12), 4000);
	assert_int_equal(th_get_log(&a, NVMF_LID_CHANGED_NS, false, 0, log, 4096, &cqe), 0);
	assert_int_equal(nvmf_get_le32(log), 4);
	assert_int_equal(th_identify(&a, NVMF_CNS_NS, 4, id, &cqe), 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), 512);
	assert_int_equal(id[TH_IDN(lbaf[0].lbads)], 12);
	/* A broken config is refused and the old one kept. */
	write_file(cfg, "subsystem not-an-nqn\n");
	kill(p.pid, SIGHUP);
	if (!log_has(&p, "'not-an-nqn' is not a valid subsystem NQN"))
		fail_msg("no refusal of not-an-nqn in the log (last line: %s)", p.line);
	assert_int_equal(th_identify(&a, NVMF_CNS_NS, 4, id, &cqe), 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), 512);
	/* So is one that parses but names a backing that cannot be opened:
	 * nothing of it is applied (the namespaces it leaves out stay, the
	 * subsystem it adds is not added). */
	snprintf(text, sizeof(text),
		 "subsystem %s\n  host %s\n  namespace /nonexistent/nvmf-daemon-test\n"
		 "subsystem nqn.2014-08.org.libnvmf:daemon-other\n  namespace ram:1M\n",
		 CFG_NQN, TH_HOSTNQN);
	write_file(cfg, text);
	kill(p.pid, SIGHUP);
	/* Done when it says so, naming the line. */
	if (!log_has(&p, ":3: /nonexistent/nvmf-daemon-test"))
		fail_msg("no refusal naming line 3 and the backing in the log (last line: %s)",
			 p.line);
	if (!strstr(p.line, "keeping the current configuration"))
		fail_msg("the reload was not refused: %s", p.line);
	assert_int_equal(th_identify(&a, NVMF_CNS_NS, 4, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), 512);
	assert_int_equal(th_identify(&a, NVMF_CNS_NS, 1, id, &cqe), 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), 2048);
	assert_int_equal(th_admin_up(&d, p.dport, NVMF_DISCOVERY_NQN, 0), 0);
	assert_int_equal(th_get_log(&d, NVMF_LID_DISCOVERY, false, 0, log, 3072, &cqe), 0);
	assert_int_equal(nvmf_get_le64(log + 8), 2);
	th_close(&d);
	/* The subsystem leaves the config: its hosts are disconnected and
	 * the discovery log shrinks. */
	write_file(cfg, "# no subsystems\n");
	kill(p.pid, SIGHUP);
	assert_true(th_wait_closed(&a, TH_TIMEOUT_MS));
	th_close(&a);
	assert_int_equal(th_admin_up(&d, p.dport, NVMF_DISCOVERY_NQN, 0), 0);
	assert_int_equal(th_get_log(&d, NVMF_LID_DISCOVERY, false, 0, log, 2048, &cqe), 0);
	assert_int_equal(nvmf_get_le64(log + 8), 1);
	th_close(&d);

	/* SIGTERM: drained, exit 0, pidfile removed. */
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 15000), 0);
	assert_int_equal(access(pidf, F_OK), -1);
	close(p.out);
	close(p.err);
	unlink(img);
	unlink(cfg);
	free(log);
}

static int run_expect(char *const argv[], const char *what)
{
	struct proc p;

	assert_int_equal(spawn(&p, argv), 0);
	close(p.out);
	return wait_exit(&p, 10000);
	(void)what;
}

/*
 * Runs nvmf-target to its exit: the exit status (-1: still running after
 * 10 s, killed), with its standard output and error in out and err (each
 * up to len - 1 bytes, NUL-terminated).
 */
static int run_capture(char *const argv[], char *out, size_t outlen, char *err, size_t errlen)
{
	struct proc p;
	size_t n[2] = { 0, 0 }, len[2] = { outlen, errlen };
	char *buf[2] = { out, err };
	bool open_[2] = { true, true };

	assert_int_equal(spawn_err(&p, argv), 0);
	while (open_[0] || open_[1]) {
		struct pollfd pfd[2] = { { .fd = open_[0] ? p.out : -1, .events = POLLIN },
					 { .fd = open_[1] ? p.err : -1, .events = POLLIN } };

		if (poll(pfd, 2, 10000) <= 0)
			break;
		for (int i = 0; i < 2; i++) {
			char tmp[512];
			ssize_t k;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = read(i ? p.err : p.out, tmp, sizeof(tmp));
			if (k <= 0) {
				open_[i] = false;
				continue;
			}
			for (ssize_t j = 0; j < k && n[i] < len[i] - 1; j++)
				buf[i][n[i]++] = tmp[j];
		}
	}
	out[n[0]] = 0;
	err[n[1]] = 0;
	close(p.out);
	close(p.err);
	return wait_exit(&p, 10000);
}

/* A usage error: exit 2, one message on stderr holding each of the
 * NULL-terminated needles (the option and its value), nothing on stdout. */
static void usage_error(char *const argv[], ...)
{
	char out[1024], err[4096];
	const char *needle;
	va_list ap;
	int rc = run_capture(argv, out, sizeof(out), err, sizeof(err));

	if (rc != 2 || out[0])
		fail_msg("%s %s %s: exit %d, stdout '%s', stderr '%s'", argv[1], argv[2] ? argv[2] :
			 "", argv[2] && argv[3] ? argv[3] : "", rc, out, err);
	va_start(ap, argv);
	while ((needle = va_arg(ap, const char *)) != NULL)
		if (!strstr(err, needle))
			fail_msg("%s %s: stderr does not name '%s': %s", argv[1],
				 argv[2] ? argv[2] : "", needle, err);
	va_end(ap);
}

/*
 * Bad option values: exit 2 with a message naming the option and the
 * value (quoted when it is empty or has blanks); a port is digits only.
 */
static void test_option_values(void **state)
{
	(void)state;
	{
		char *a[] = { (char *)BIN, "-a", "", "-p", "0", "-P", "0", "ram:1M", NULL };
		char *b[] = { (char *)BIN, "-a", "bogus", "-p", "0", "-P", "0", "ram:1M", NULL };
		char *c[] = { (char *)BIN, "-a", "127.0.0.1:4420", "-p", "0", "ram:1M", NULL };

		usage_error(a, "-a ''", "not an IPv4 or IPv6 address", NULL);
		usage_error(b, "-a bogus", NULL);
		usage_error(c, "-a 127.0.0.1:4420", NULL);
	}
	{
		char *a[] = { (char *)BIN, "-p", " 4601", "-P", "0", "ram:1M", NULL };
		char *b[] = { (char *)BIN, "-p", "4601 ", "-P", "0", "ram:1M", NULL };
		char *c[] = { (char *)BIN, "-p", "+4601", "-P", "0", "ram:1M", NULL };
		char *d[] = { (char *)BIN, "-p", "-0", "-P", "0", "ram:1M", NULL };
		char *e[] = { (char *)BIN, "-p", "", "-P", "0", "ram:1M", NULL };
		char *f[] = { (char *)BIN, "-p", "65536", "-P", "0", "ram:1M", NULL };
		char *g[] = { (char *)BIN, "-p", "0", "-P", " 8009", "ram:1M", NULL };
		char *h[] = { (char *)BIN, "-p", "0", "-P", "0x10", "ram:1M", NULL };

		usage_error(a, "-p ' 4601'", "digits only", NULL);
		usage_error(b, "-p '4601 '", "digits only", NULL);
		usage_error(c, "-p +4601", NULL);
		usage_error(d, "-p -0", NULL);
		usage_error(e, "-p ''", NULL);
		usage_error(f, "-p 65536", "0..65535", NULL);
		usage_error(g, "-P ' 8009'", NULL);
		usage_error(h, "-P 0x10", NULL);
	}
	{
		char *a[] = { (char *)BIN, "-n", "", "-p", "0", "ram:1M", NULL };
		char *b[] = { (char *)BIN, "-H", "", "-p", "0", "ram:1M", NULL };
		char *c[] = { (char *)BIN, "-c", "", "-p", "0", NULL };
		char *d[] = { (char *)BIN, "--cpda", " 1", "-p", "0", "ram:1M", NULL };
		char *e[] = { (char *)BIN, "--max-connections", "+8", "-p", "0", "ram:1M", NULL };

		usage_error(a, "-n ''", NULL);
		usage_error(b, "-H ''", NULL);
		usage_error(c, "-c ''", NULL);
		usage_error(d, "--cpda ' 1'", NULL);
		usage_error(e, "--max-connections +8", NULL);
	}
	{
		/* A configuration file that is not there: -c and the file. */
		char *a[] = { (char *)BIN, "-p", "0", "-c", "/nonexistent/nvmf-target.conf", NULL };
		char out[256], err[1024];

		assert_int_equal(run_capture(a, out, sizeof(out), err, sizeof(err)), 1);
		if (!strstr(err, "-c: /nonexistent/nvmf-target.conf"))
			fail_msg("-c of a missing file: %s", err);
	}
	{
		/* --version (and -V): "nvmf-target X.Y.Z", exit 0. */
		char *a[] = { (char *)BIN, "--version", NULL };
		char *b[] = { (char *)BIN, "-V", NULL };
		char out[256], err[256];
		unsigned x, y, z;

		assert_int_equal(run_capture(a, out, sizeof(out), err, sizeof(err)), 0);
		assert_int_equal(sscanf(out, "nvmf-target %u.%u.%u\n", &x, &y, &z), 3);
		assert_string_equal(err, "");
		assert_int_equal(run_capture(b, out, sizeof(out), err, sizeof(err)), 0);
		assert_int_equal(sscanf(out, "nvmf-target %u.%u.%u\n", &x, &y, &z), 3);
	}
}

/*
 * --tls required with no key anywhere: no host could ever connect. Without
 * a configuration file nothing can add one: refused, naming both key
 * options. With a file that has no tls-key= yet (a reload may add some):
 * served, with a warning saying why no host can connect meanwhile.
 */
static void test_tls_required_keys(void **state)
{
	char *a[] = { (char *)BIN, "--tls", "required", "-p", "0", "-P", "0", "ram:1M", NULL };

	(void)state;
#ifdef NVMF_WITH_TLS
	usage_error(a, "--tls required", "--tls-key", "--tls-key-file", NULL);
	{
		char cfg[] = "/tmp/nvmf-daemon-tlscfg-XXXXXX";
		int fd = mkstemp(cfg);
		char *b[] = { (char *)BIN, "--tls", "required", "-p", "0", "-P", "0", "-c", cfg,
			      NULL };
		struct proc p;

		assert_true(fd >= 0);
		close(fd);
		write_file(cfg, "subsystem " CFG_NQN "\n  namespace ram:1M\n");
		assert_int_equal(spawn_err(&p, b), 0);
		assert_int_equal(read_line(&p), 0);
		assert_non_null(strstr(p.line, "listening on"));
		if (!log_has(&p, "no host can connect"))
			fail_msg("no warning about the missing TLS keys (last line: %s)", p.line);
		assert_non_null(strstr(p.line, cfg));
		kill(p.pid, SIGTERM);
		assert_int_equal(wait_exit(&p, 15000), 0);
		close(p.out);
		close(p.err);
		unlink(cfg);
	}
#else
	usage_error(a, "--tls", "without OpenSSL", NULL);
#endif
}

/*
 * A backing file that is not a whole number of blocks: served rounded
 * down, with a warning naming the file, its size and the bytes not served;
 * one smaller than a block is refused, naming the file.
 */
static void test_backing_tail(void **state)
{
	char img[] = "/tmp/nvmf-daemon-tail-XXXXXX", small[] = "/tmp/nvmf-daemon-small-XXXXXX";
	char *a[] = { (char *)BIN, "-p", "0", "-P", "0", "-n", TH_SUBNQN, img, NULL };
	char *b[] = { (char *)BIN, "-p", "0", "-P", "0", small, NULL };
	char *c[] = { (char *)BIN, "-p", "0", "-P", "0", "-b", "4096", img, NULL };
	char want[256], out[256], err[1024];
	struct proc p;
	struct th t;
	struct th_cqe cqe;
	uint8_t *id = calloc(1, 4096);
	int fd = mkstemp(img), sfd = mkstemp(small);

	(void)state;
	assert_true(fd >= 0 && sfd >= 0);
	assert_int_equal(ftruncate(fd, 1000), 0);
	assert_int_equal(ftruncate(sfd, 100), 0);
	close(fd);
	close(sfd);
	assert_int_equal(spawn_err(&p, a), 0);
	assert_int_equal(read_line(&p), 0);
	assert_int_equal(sscanf(p.line, "listening on 127.0.0.1:%d", &p.port), 1);
	snprintf(want, sizeof(want), "%s: 1000 bytes, not a multiple of the 512-byte block: "
		 "the last 488 bytes are not served", img);
	if (!log_has(&p, want))
		fail_msg("no warning '%s' (last line: %s)", want, p.line);
	/* Served: one block. */
	assert_int_equal(th_admin_up(&t, p.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_identify(&t, NVMF_CNS_NS, 1, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(nvmf_get_le64(id + TH_IDN(nsze)), 1);
	th_close(&t);
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 15000), 0);
	close(p.out);
	close(p.err);

	/* Smaller than a block: refused, naming the file. */
	assert_int_equal(run_capture(b, out, sizeof(out), err, sizeof(err)), 1);
	snprintf(want, sizeof(want), "%s: smaller than one block", small);
	if (!strstr(err, want))
		fail_msg("a 100-byte backing: %s", err);
	assert_int_equal(run_capture(c, out, sizeof(out), err, sizeof(err)), 1);
	snprintf(want, sizeof(want), "%s: smaller than one block", img);
	if (!strstr(err, want))
		fail_msg("a 1000-byte backing with 4096-byte blocks: %s", err);
	unlink(img);
	unlink(small);
	free(id);
}

/* Start nvmf-target and read its port from the "listening on" line. */
static void spawn_listening(struct proc *p, char *const argv[])
{
	assert_int_equal(spawn(p, argv), 0);
	assert_int_equal(read_line(p), 0);
	assert_int_equal(sscanf(p->line, "listening on 127.0.0.1:%d", &p->port), 1);
}

static void test_bad_arguments(void **state)
{
	char *a1[] = { (char *)BIN, "-b", "1000", "ram:1M", NULL };
	char *a2[] = { (char *)BIN, "-p", "0", "/nonexistent/file", NULL };
	char *a3[] = { (char *)BIN, "-p", "70000", "ram:1M", NULL };
	char *a4[] = { (char *)BIN, NULL };
	char *a5[] = { (char *)BIN, "-p", "0", "ram:12Q", NULL };
	char *a6[] = { (char *)BIN, "-n", "bad nqn", "-p", "0", "ram:1M", NULL };

	assert_int_equal(run_expect(a1, "block size"), 2);
	assert_int_equal(run_expect(a2, "missing file"), 1);
	assert_int_equal(run_expect(a3, "port"), 2);
	assert_int_equal(run_expect(a4, "nothing"), 2);
	assert_int_equal(run_expect(a5, "ram size"), 1);
	assert_int_equal(run_expect(a6, "nqn"), 2);
	{
		/* "nqn." with a space, or nothing after it. */
		char *a15[] = { (char *)BIN, "-n", "nqn.2024-01.org.x:a b", "-p", "0", "ram:1M", NULL };
		char *a16[] = { (char *)BIN, "-n", "nqn.", "-p", "0", "ram:1M", NULL };

		assert_int_equal(run_expect(a15, "nqn with a space"), 2);
		assert_int_equal(run_expect(a16, "nqn. alone"), 2);
	}
	{
		/* One file as two namespaces (two disks to a host that are
		 * one): on the command line, or in a config file. */
		char img[] = "/tmp/nvmf-daemon-same-XXXXXX", cfg[] = "/tmp/nvmf-daemon-samec-XXXXXX";
		char text[256];
		int fd = mkstemp(img), cfd = mkstemp(cfg);
		char *a17[] = { (char *)BIN, "-p", "0", "-P", "0", img, "ram:1M", img, NULL };
		char *a18[] = { (char *)BIN, "-p", "0", "-P", "0", "-c", cfg, NULL };

		assert_true(fd >= 0 && cfd >= 0 && ftruncate(fd, 1 << 20) == 0);
		close(fd);
		close(cfd);
		assert_int_equal(run_expect(a17, "one file twice on the command line"), 2);
		snprintf(text, sizeof(text), "subsystem %s\n  namespace %s\nsubsystem %s-2\n"
			 "  namespace %s\n", CFG_NQN, img, CFG_NQN, img);
		write_file(cfg, text);
		assert_int_equal(run_expect(a18, "one file in two subsystems"), 1);
		unlink(img);
		unlink(cfg);
	}
	{
		/* -n X and a config file with subsystem X: the file would have
		 * replaced the command line's namespaces, silently. */
		char cfg[] = "/tmp/nvmf-daemon-dup-XXXXXX";
		int fd = mkstemp(cfg);
		char *a14[] = { (char *)BIN, "-p", "0", "-P", "0", "-n", CFG_NQN, "-c", cfg,
				"ram:1M", NULL };

		assert_true(fd >= 0);
		close(fd);
		write_file(cfg, "subsystem " CFG_NQN "\n  namespace ram:2M\n");
		assert_int_equal(run_expect(a14, "-n and -c name one subsystem"), 2);
		unlink(cfg);
	}
	{
		char *a9[] = { (char *)BIN, "--max-connections", "0", "ram:1M", NULL };
		char *a10[] = { (char *)BIN, "--max-controllers", "x", "ram:1M", NULL };

		assert_int_equal(run_expect(a9, "max-connections 0"), 2);
		assert_int_equal(run_expect(a10, "max-controllers x"), 2);
	}
	{
		char *a11[] = { (char *)BIN, "--icd", "100", "ram:1M", NULL };
		char *a12[] = { (char *)BIN, "--icd", "262160", "ram:1M", NULL };
		char *a13[] = { (char *)BIN, "--icd", "-16", "ram:1M", NULL };

		assert_int_equal(run_expect(a11, "icd not a multiple of 16"), 2);
		assert_int_equal(run_expect(a12, "icd past MDTS"), 2);
		assert_int_equal(run_expect(a13, "icd negative"), 2);
	}
	/* A port in use: exit 1 with a message. */
	{
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t len = sizeof(sin);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char port[16];

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
		assert_int_equal(listen(fd, 1), 0);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
		snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
		{
			char *a7[] = { (char *)BIN, "-p", port, "-P", "0", "ram:1M", NULL };
			char *a8[] = { (char *)BIN, "-p", "0", "-P", port, "ram:1M", NULL };

			assert_int_equal(run_expect(a7, "port in use"), 1);
			assert_int_equal(run_expect(a8, "discovery port in use"), 1);
		}
		close(fd);
	}
}

static void test_discovery_on_io_port(void **state)
{
	char *argv[] = { (char *)BIN, "-p", "0", "-P", "0", "ram:1M", NULL };
	struct proc p;
	struct th d;
	struct th_cqe cqe;
	uint8_t *log = calloc(1, 2048);

	assert_int_equal(spawn(&p, argv), 0);
	assert_int_equal(read_line(&p), 0);
	assert_int_equal(sscanf(p.line, "listening on 127.0.0.1:%d (discovery 127.0.0.1:%d)",
				&p.port, &p.dport), 2);
	assert_int_equal(p.port, p.dport);
	assert_int_equal(th_admin_up(&d, p.port, NVMF_DISCOVERY_NQN, 0), 0);
	assert_int_equal(th_get_log(&d, NVMF_LID_DISCOVERY, false, 0, log, 2048, &cqe), 0);
	assert_int_equal(nvmf_get_le64(log + 8), 1);
	/* The default subsystem NQN is a uuid NQN. */
	assert_memory_equal(log + 1024 + TH_DLE(subnqn), "nqn.2014-08.org.nvmexpress:uuid:", 32);
	/* SIGTERM with a connection open and a command just sent: the command
	 * is answered or never read, the connection is closed, exit 0. */
	{
		uint8_t sqe[64], b[TCP_PDU_HDR_BUF];
		size_t n;

		th_sqe(sqe, NVMF_ADM_KEEP_ALIVE, 0);
		sqe[1] = 0x40;
		n = tcp_build_capsule_cmd(b, &d.p, sqe, 0);
		assert_int_equal(th_send(&d, b, n), 0);
		kill(p.pid, SIGTERM);
		assert_true(th_wait_closed(&d, TH_TIMEOUT_MS));
	}
	th_close(&d);
	assert_int_equal(wait_exit(&p, 15000), 0);
	close(p.out);
	free(log);
}

/*
 * --max-connections: connections past the limit are accepted and closed at
 * once (before any PDU is read), and served again once one has gone;
 * --max-controllers: a Connect past that limit is refused.
 */
static void test_limits(void **state)
{
	char *argv[] = { (char *)BIN, "-p", "0", "-P", "0", "--max-connections", "2",
			 "--max-controllers", "1", "ram:1M", NULL };
	struct proc p;
	struct th a, b, c;
	struct th_cqe cqe;

	(void)state;
	spawn_listening(&p, argv);
	assert_int_equal(th_admin_up(&a, p.port, NVMF_DISCOVERY_NQN, 0), 0);
	/* The second connection is within the limit, but its controller
	 * would be the second. */
	assert_int_equal(th_open(&b, p.port), 0);
	assert_int_equal(th_icreq(&b, 0, false, false), 0);
	assert_int_equal(th_connect(&b, 0, 31, 0, 0xFFFF, NVMF_DISCOVERY_NQN, TH_HOSTNQN, 0,
				    &cqe), 0);
	assert_int_not_equal(cqe.status, 0);
	/* The third connection is past the limit: closed unanswered. */
	assert_int_equal(th_open(&c, p.port), 0);
	assert_true(th_wait_closed(&c, TH_TIMEOUT_MS));
	th_close(&c);
	/* One gone: a new one is served (once the target has seen it go). */
	th_close(&b);
	{
		bool served = false;

		for (int i = 0; i < 100 && !served; i++) {
			assert_int_equal(th_open(&c, p.port), 0);
			served = th_icreq(&c, 0, false, false) == 0;
			th_close(&c);
			if (!served)
				usleep(20000);
		}
		assert_true(served);
	}
	th_close(&a);
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 15000), 0);
	close(p.out);
}

/*
 * --icd: Identify Controller announces it (IOCCSZ, 16-byte units with the
 * 64-byte SQE), a write of that size goes in the capsule, and one block
 * more is refused (a C2HTermReq, Data Transfer Limit Exceeded).
 */
static void test_icd(void **state)
{
	char *argv[] = { (char *)BIN, "-p", "0", "-P", "0", "-n", TH_SUBNQN,
			 "--icd", "4096", "ram:1M", NULL };
	uint8_t *id = calloc(1, 4096), *buf = calloc(1, 8192);
	struct proc p;
	struct th a, q;
	struct th_cqe cqe;

	(void)state;
	spawn_listening(&p, argv);
	assert_int_equal(th_admin_up(&a, p.port, TH_SUBNQN, 0), 0);
	assert_int_equal(th_identify(&a, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(nvmf_get_le32(id + TH_IDC(ioccsz)), (64 + 4096) / 16);
	assert_int_equal(th_io_up(&q, p.port, &a, 1, 0), 0);
	memset(buf, 0x3C, 8192);
	assert_int_equal(th_write(&q, 1, 0, 8, buf, 4096, true, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	memset(buf, 0, 8192);
	assert_int_equal(th_read(&q, 1, 0, 8, buf, 4096, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	assert_int_equal(buf[0], 0x3C);
	assert_int_equal(buf[4095], 0x3C);
	/* 4608 bytes in the capsule: past the limit. */
	assert_int_not_equal(th_write(&q, 1, 0, 9, buf, 4608, true, &cqe), 0);
	assert_int_equal(q.hdr.ch.pdu_type, NVMF_TCP_C2H_TERM_REQ);
	assert_int_equal(nvmf_le16toh(q.hdr.term.fes), NVMF_TCP_FES_DATA_LIMIT_EXCEEDED);
	th_close(&q);
	th_close(&a);
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 15000), 0);
	close(p.out);
	free(id);
	free(buf);
}

/* Namespace nsid's NGUID, as Identify Namespace reports it. */
static void ns_nguid(struct th *a, uint32_t nsid, uint8_t nguid[16])
{
	uint8_t *id = calloc(1, 4096);
	struct th_cqe cqe;

	assert_non_null(id);
	assert_int_equal(th_identify(a, NVMF_CNS_NS, nsid, id, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	memcpy(nguid, id + TH_IDN(nguid), 16);
	free(id);
}

static void make_image(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	close(fd);
}

/* Writes the configuration (nsid 2 on backing), sends SIGHUP and waits for
 * the reload to be done. */
static void reload_with(struct proc *p, const char *cfg, const char *backing)
{
	char text[512];

	snprintf(text, sizeof(text), "subsystem %s\n  host %s\n  namespace %s nsid=2\n", CFG_NQN,
		 TH_HOSTNQN, backing);
	write_file(cfg, text);
	kill(p->pid, SIGHUP);
	if (!log_has(p, "configuration reloaded"))
		fail_msg("no reload in the log (last line: %s)", p->line);
}

static void spawn_cfg(struct proc *p, const char *cfg)
{
	char *argv[] = { (char *)BIN, "-p", "0", "-P", "0", "-c", (char *)cfg, NULL };

	assert_int_equal(spawn_err(p, argv), 0);
	assert_int_equal(read_line(p), 0);
	assert_int_equal(sscanf(p->line, "listening on 127.0.0.1:%d", &p->port), 1);
}

/*
 * A namespace's NGUID follows the file behind it: a reload that points its
 * NSID at another file, or finds a new file renamed over the served one's
 * path, changes it (a host must not take the new disk for the old one);
 * a reload that keeps the file (under its name or another link to it) and
 * a restart with the same configuration keep it.
 */
static void test_reload_identity(void **state)
{
	char dir[] = "/tmp/nvmf-nguid-XXXXXX", c2[64], c3[64], link2[64], tmp[64], cfg[64];
	uint8_t g2[16], g[16], g3[16], g3new[16];
	struct proc p;
	struct th a;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(c2, sizeof(c2), "%s/c2.img", dir);
	snprintf(c3, sizeof(c3), "%s/c3.img", dir);
	snprintf(link2, sizeof(link2), "%s/c2-link.img", dir);
	snprintf(tmp, sizeof(tmp), "%s/c3.img.new", dir);
	snprintf(cfg, sizeof(cfg), "%s/target.conf", dir);
	make_image(c2);
	make_image(c3);
	assert_int_equal(link(c2, link2), 0);
	{
		char text[512];

		snprintf(text, sizeof(text), "subsystem %s\n  host %s\n  namespace %s nsid=2\n",
			 CFG_NQN, TH_HOSTNQN, c2);
		write_file(cfg, text);
	}
	spawn_cfg(&p, cfg);
	assert_int_equal(th_admin_up(&a, p.port, CFG_NQN, 0), 0);
	ns_nguid(&a, 2, g2);

	/* The same file: the same NGUID, by its name or another link. */
	reload_with(&p, cfg, c2);
	ns_nguid(&a, 2, g);
	assert_memory_equal(g, g2, 16);
	reload_with(&p, cfg, link2);
	ns_nguid(&a, 2, g);
	assert_memory_equal(g, g2, 16);

	/* Another file under nsid 2: another NGUID. */
	reload_with(&p, cfg, c3);
	ns_nguid(&a, 2, g3);
	if (memcmp(g3, g2, 16) == 0)
		fail_msg("nsid 2 moved from c2.img to c3.img and kept its NGUID");

	/* A new file renamed over c3.img: another disk, another NGUID. */
	make_image(tmp);
	assert_int_equal(rename(tmp, c3), 0);
	reload_with(&p, cfg, c3);
	ns_nguid(&a, 2, g3new);
	if (memcmp(g3new, g3, 16) == 0 || memcmp(g3new, g2, 16) == 0)
		fail_msg("a new file renamed over c3.img kept an NGUID seen before");
	th_close(&a);

	/* A restart with the same configuration: the same NGUID. */
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 15000), 0);
	close(p.out);
	close(p.err);
	spawn_cfg(&p, cfg);
	assert_int_equal(th_admin_up(&a, p.port, CFG_NQN, 0), 0);
	ns_nguid(&a, 2, g);
	assert_memory_equal(g, g3new, 16);
	th_close(&a);
	kill(p.pid, SIGTERM);
	assert_int_equal(wait_exit(&p, 15000), 0);
	close(p.out);
	close(p.err);
	unlink(c2);
	unlink(link2);
	unlink(c3);
	unlink(cfg);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_discovery_on_io_port),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_icd),
		cmocka_unit_test(test_option_values),
		cmocka_unit_test(test_tls_required_keys),
		cmocka_unit_test(test_backing_tail),
		cmocka_unit_test(test_reload_identity),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-nvmf-target\n", argv[0]);
		return 2;
	}
	BIN = argv[1];
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
