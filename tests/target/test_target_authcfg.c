/*
 * nvmf-target's DH-HMAC-CHAP configuration (issue 14), through the daemon:
 * configuration-file grammar errors name the file and line and never echo
 * a key; a file with secrets that others can read draws a warning; the
 * command-line options (--dhchap-secret, --dhchap-ctrl-secret and their
 * -file forms) for the -H hosts; SIGHUP reloads secrets and policy.
 * argv[1] is the nvmf-target executable.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "th_auth.h"

static const char *BIN;
static char DIR_[64];
static struct auth_secret KEY, KEY2, CKEY;
static char KEYT[AUTH_SECRET_TEXT_MAX], KEY2T[AUTH_SECRET_TEXT_MAX], CKEYT[AUTH_SECRET_TEXT_MAX];

#define SUB  "nqn.2024-01.org.libnvmf:authcfg"

struct proc {
	pid_t pid;
	int out;		/* stdout pipe */
	int port;
	char err[160];		/* stderr goes to this file */
};

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", DIR_, name);
}

static void write_file(const char *name, mode_t mode, const char *text)
{
	char p[128];
	int fd;

	path(p, sizeof(p), name);
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Run BIN with args (NULL-terminated) after the program name. */
static void spawn(struct proc *p, const char *const *args)
{
	char *argv[32];
	int fds[2], n = 0;
	static int seq;

	argv[n++] = (char *)BIN;
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	snprintf(p->err, sizeof(p->err), "%s/stderr.%d", DIR_, seq++);
	assert_int_equal(pipe(fds), 0);
	p->pid = fork();
	if (p->pid == 0) {
		int e = open(p->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fds[1], 1);
		dup2(e, 2);
		close(fds[0]);
		close(fds[1]);
		execv(BIN, argv);
		_exit(127);
	}
	close(fds[1]);
	p->out = fds[0];
}

static int wait_exit(struct proc *p, int timeout_ms)
{
	int st;

	for (int t = 0; t < timeout_ms; t += 20) {
		if (waitpid(p->pid, &st, WNOHANG) == p->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(20000);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	return -1;
}

/* The "listening on" line: the I/O port, or -1 if the daemon exited. */
static int listening(struct proc *p)
{
	char line[256];
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		struct pollfd pfd = { .fd = p->out, .events = POLLIN };

		if (poll(&pfd, 1, TH_TIMEOUT_MS) <= 0 || read(p->out, line + n, 1) != 1)
			return -1;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	if (sscanf(line, "listening on 127.0.0.1:%d", &p->port) != 1)
		return -1;
	return p->port;
}

static void stop(struct proc *p)
{
	kill(p->pid, SIGTERM);
	assert_int_equal(wait_exit(p, 15000), 0);
	close(p->out);
}

/* What the daemon wrote on stderr so far. */
static char *err_text(const struct proc *p)
{
	static char buf[8192];
	int fd = open(p->err, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

/* No key text, nor a long piece of one, in s. */
static void no_key(const char *s)
{
	const char *keys[] = { KEYT, KEY2T, CKEYT };

	for (int i = 0; i < 3; i++) {
		char piece[17];

		/* The Base64 part starts after "DHHC-1:hh:". */
		memcpy(piece, keys[i] + 10, 16);
		piece[16] = 0;
		if (strstr(s, piece)) {
			fprintf(stderr, "key material in: %s\n", s);
			fail();
		}
	}
}

/* The daemon refuses CONFIG with exit 1 and a message holding want. */
static void refused(const char *config, const char *want)
{
	char cfg[128];
	const char *args[] = { "-p", "0", "-P", "0", "-c", cfg, NULL };
	struct proc p;
	char *e;

	write_file("bad.conf", 0600, config);
	path(cfg, sizeof(cfg), "bad.conf");
	spawn(&p, args);
	assert_int_equal(wait_exit(&p, 10000), 1);
	close(p.out);
	e = err_text(&p);
	if (!strstr(e, want)) {
		fprintf(stderr, "want \"%s\", got: %s\n", want, e);
		fail();
	}
	no_key(e);
}

/* The command line /proc shows for pid, NULs as spaces; NULL without /proc
 * (FreeBSD's procfs is seldom mounted). */
static const char *cmdline_of(pid_t pid)
{
	static char buf[4096];
	char p[64];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = 0;
	return buf;
}

static void test_grammar_errors(void **state)
{
	char text[1024], bad[AUTH_SECRET_TEXT_MAX];

	(void)state;
	/* A corrupted secret: CRC (or Base64) error, on line 3. */
	snprintf(bad, sizeof(bad), "%s", KEYT);
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	snprintf(text, sizeof(text), "# x\nsubsystem %s\nhost %s dhchap-secret=%s\nnamespace ram:1M\n",
		 SUB, TH_HOSTNQN, bad);
	refused(text, "bad.conf:3: dhchap-secret: DH-HMAC-CHAP secret");
	/* A key where an option belongs: not echoed. */
	snprintf(text, sizeof(text), "subsystem %s\nhost %s %s\n", SUB, TH_HOSTNQN, KEYT);
	refused(text, "bad.conf:2: unexpected word after the host NQN");
	snprintf(text, sizeof(text), "subsystem %s\nhost %s dhchap-key=%s\n", SUB, TH_HOSTNQN, KEYT);
	refused(text, "bad.conf:2: unknown host option 'dhchap-key='");
	/* A controller secret alone; twice the same option; a host twice. */
	snprintf(text, sizeof(text), "subsystem %s\nhost %s dhchap-ctrl-secret=%s\n", SUB,
		 TH_HOSTNQN, CKEYT);
	refused(text, "bad.conf:2: dhchap-ctrl-secret needs dhchap-secret");
	snprintf(text, sizeof(text), "subsystem %s\nhost %s dhchap-secret=%s dhchap-secret=%s\n",
		 SUB, TH_HOSTNQN, KEYT, KEY2T);
	refused(text, "bad.conf:2: dhchap-secret given twice");
	snprintf(text, sizeof(text), "subsystem %s\nhost %s dhchap-secret=%s\nhost %s\n", SUB,
		 TH_HOSTNQN, KEYT, TH_HOSTNQN);
	refused(text, "bad.conf:3: host " TH_HOSTNQN " listed twice");
	/* A line too long for the parser is refused, not read as two. */
	{
		static char line[1100];

		memset(line, 'x', sizeof(line) - 2);
		line[0] = '#';
		line[sizeof(line) - 2] = '\n';
		refused(line, "bad.conf:1: line longer than 1023 characters");
	}
	/* Policy directives. */
	refused("dhchap-hash sha256,sha1\n", "bad.conf:1: dhchap-hash: unknown hash 'sha1'");
	refused("dhchap-hash sha256\ndhchap-hash sha512\n",
		"bad.conf:2: dhchap-hash given twice before the first subsystem");
	snprintf(text, sizeof(text), "dhchap-dhgroup null\nsubsystem %s\n"
		 "dhchap-dhgroup ffdhe2048,ffdhe2048\n", SUB);
	refused(text, "bad.conf:3: dhchap-dhgroup: 'ffdhe2048' listed twice");
	refused("dhchap-dhgroup ffdhe1024\n", "bad.conf:1: dhchap-dhgroup: unknown DH group");
	refused("dhchap-hash sha256,\n", "bad.conf:1: dhchap-hash: empty entry");
	refused("dhchap-hash\n", "bad.conf:1: dhchap-hash: empty list");
}

/* Connect as TH_HOSTNQN with key (and ckey), the exchange's result. */
static int auth_as(int port, const struct auth_secret *key, const struct auth_secret *ckey,
		   uint8_t hash, uint8_t group)
{
	struct th h;
	struct tha a;
	int rc;

	tha_init(&a, &h, TH_HOSTNQN, SUB, key, ckey, hash, group);
	rc = tha_admin_up(&a, port);
	th_close(&h);
	return rc;
}

static void test_config_and_reload(void **state)
{
	char text[1024], cfg[128];
	const char *args[] = { "-p", "0", "-P", "0", "-c", cfg, NULL };
	struct proc p;
	char *e;

	(void)state;
	/* Readable by others: the warning, the key not echoed, and it runs. */
	snprintf(text, sizeof(text),
		 "dhchap-hash sha384,sha256\n"
		 "subsystem %s\n"
		 "  dhchap-dhgroup ffdhe2048,null\n"
		 "  host %s dhchap-secret=%s dhchap-ctrl-secret=%s\n"
		 "  namespace ram:1M\n", SUB, TH_HOSTNQN, KEYT, CKEYT);
	write_file("auth.conf", 0644, text);
	path(cfg, sizeof(cfg), "auth.conf");
	spawn(&p, args);
	assert_true(listening(&p) > 0);
	e = err_text(&p);
	assert_non_null(strstr(e, "holds DH-HMAC-CHAP secrets and is accessible to every user "
				  "(mode 644)"));
	no_key(e);
	/* Bidirectional, with the policy's hash preference. */
	assert_int_equal(auth_as(p.port, &KEY, &CKEY, AUTH_HASH_SHA256, AUTH_DHGROUP_2048), 0);
	assert_int_equal(auth_as(p.port, &KEY2, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_NULL),
			 THA_FAILURE1(AUTH_FAILURE_FAILED));
	/* SIGHUP: a new secret, a policy without SHA-256. */
	snprintf(text, sizeof(text),
		 "dhchap-hash sha512\n"
		 "subsystem %s\n"
		 "  host %s dhchap-secret=%s\n"
		 "  namespace ram:1M\n", SUB, TH_HOSTNQN, KEY2T);
	write_file("auth.conf", 0600, text);
	kill(p.pid, SIGHUP);
	for (int i = 0; i < 100 && !strstr(err_text(&p), "SIGHUP: configuration reloaded"); i++)
		usleep(20000);
	assert_int_equal(auth_as(p.port, &KEY2, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_NULL),
			 THA_FAILURE1(AUTH_FAILURE_HASH_UNUSABLE));
	assert_int_equal(auth_as(p.port, &KEY, NULL, AUTH_HASH_SHA512, AUTH_DHGROUP_NULL),
			 THA_FAILURE1(AUTH_FAILURE_FAILED));
	assert_int_equal(auth_as(p.port, &KEY2, NULL, AUTH_HASH_SHA512, AUTH_DHGROUP_8192), 0);
	/* No controller secret any more: bidirectional fails. */
	assert_int_equal(auth_as(p.port, &KEY2, &CKEY, AUTH_HASH_SHA512, AUTH_DHGROUP_NULL),
			 THA_FAILURE1(AUTH_FAILURE_FAILED));
	/* A broken reload keeps the secrets in force, and says where. */
	write_file("auth.conf", 0600, "subsystem " SUB "\nhost " TH_HOSTNQN " dhchap-secret=x\n");
	kill(p.pid, SIGHUP);
	for (int i = 0; i < 100 && !strstr(err_text(&p), "keeping the current"); i++)
		usleep(20000);
	e = err_text(&p);
	assert_non_null(strstr(e, "auth.conf:2: dhchap-secret:"));
	assert_int_equal(auth_as(p.port, &KEY2, NULL, AUTH_HASH_SHA512, AUTH_DHGROUP_NULL), 0);
	/* The log: one line per authentication, one per failure, no key. */
	stop(&p);
	e = err_text(&p);
	no_key(e);
}

static void test_command_line(void **state)
{
	char kf[128], ckf[128], badf[128];
	struct proc p;
	char *e;

	(void)state;
	/* --dhchap-secret on argv: the warning, not the key; it works for
	 * each -H host; once taken, argv's copy is wiped. */
	{
		const char *args[] = { "-p", "0", "-P", "0", "-n", SUB, "-H", TH_HOSTNQN,
				       "--dhchap-secret", KEYT, "ram:1M", NULL };
		const char *cmd;

		spawn(&p, args);
		assert_true(listening(&p) > 0);
		cmd = cmdline_of(p.pid);
		if (cmd) {
			assert_non_null(strstr(cmd, "--dhchap-secret"));
			no_key(cmd);
		}
		assert_int_equal(auth_as(p.port, &KEY, NULL, AUTH_HASH_SHA256, AUTH_DHGROUP_NULL), 0);
		assert_int_equal(auth_as(p.port, &KEY2, NULL, AUTH_HASH_SHA256,
					 AUTH_DHGROUP_NULL), THA_FAILURE1(AUTH_FAILURE_FAILED));
		stop(&p);
		e = err_text(&p);
		assert_non_null(strstr(e, "--dhchap-secret: a secret on the command line is visible "
					  "to other users"));
		no_key(e);
	}
	/* The -file forms: one key a file, white space around it ignored; a
	 * private file draws no warning. */
	snprintf(kf, sizeof(kf), "%s/host.key", DIR_);
	snprintf(ckf, sizeof(ckf), "%s/ctrl.key", DIR_);
	{
		char text[256];

		snprintf(text, sizeof(text), "%s\n", KEYT);
		write_file("host.key", 0600, text);
		snprintf(text, sizeof(text), "  %s \n\n", CKEYT);
		write_file("ctrl.key", 0640, text);
	}
	{
		const char *args[] = { "-p", "0", "-P", "0", "-n", SUB, "-H", TH_HOSTNQN,
				       "--dhchap-secret-file", kf, "--dhchap-ctrl-secret-file", ckf,
				       "ram:1M", NULL };

		spawn(&p, args);
		assert_true(listening(&p) > 0);
		assert_int_equal(auth_as(p.port, &KEY, &CKEY, AUTH_HASH_SHA512, AUTH_DHGROUP_2048), 0);
		stop(&p);
		e = err_text(&p);
		assert_null(strstr(e, "host.key: the file holds"));
		assert_non_null(strstr(e, "ctrl.key: the file holds a DH-HMAC-CHAP secret and is "
					  "accessible to its group"));
		assert_null(strstr(e, "visible to other users"));
		no_key(e);
	}
	/* Refusals: exit 2, a message, no key. */
	snprintf(badf, sizeof(badf), "%s/bad.key", DIR_);
	{
		char text[256];

		snprintf(text, sizeof(text), "%s %s\n", KEYT, KEY2T);
		write_file("bad.key", 0600, text);
	}
	{
		struct {
			const char *args[16];
			const char *want;
		} cases[] = {
			{ { "-p", "0", "-n", SUB, "--dhchap-secret", KEYT, "ram:1M", NULL },
			  "need -H HOSTNQN" },
			{ { "-p", "0", "-n", SUB, "-H", TH_HOSTNQN, "--dhchap-ctrl-secret", CKEYT,
			    "ram:1M", NULL }, "--dhchap-ctrl-secret needs --dhchap-secret" },
			{ { "-p", "0", "-n", SUB, "-H", TH_HOSTNQN, "--dhchap-secret", KEYT,
			    "--dhchap-secret-file", kf, "ram:1M", NULL }, "not both" },
			{ { "-p", "0", "-n", SUB, "-H", TH_HOSTNQN, "--dhchap-secret-file", badf,
			    "ram:1M", NULL }, "bad.key: the file must hold exactly one" },
			{ { "-p", "0", "-n", SUB, "-H", TH_HOSTNQN, "--dhchap-secret",
			    "DHHC-1:01:notakey:", "ram:1M", NULL }, "--dhchap-secret: DH-HMAC-CHAP" },
			{ { "-p", "0", "-n", SUB, "-H", TH_HOSTNQN, "--dhchap-secret-file",
			    "/nonexistent/key", "ram:1M", NULL }, "/nonexistent/key: No such file" },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			spawn(&p, cases[i].args);
			assert_int_equal(wait_exit(&p, 10000), 2);
			close(p.out);
			e = err_text(&p);
			if (!strstr(e, cases[i].want)) {
				fprintf(stderr, "case %zu: want \"%s\", got: %s\n", i, cases[i].want, e);
				fail();
			}
			no_key(e);
		}
	}
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(DIR_, sizeof(DIR_), "/tmp/nvmf-authcfg-XXXXXX");
	if (!mkdtemp(DIR_))
		return -1;
	tha_gen_secret(AUTH_HASH_SHA256, &KEY, KEYT, sizeof(KEYT));
	tha_gen_secret(AUTH_HASH_SHA512, &KEY2, KEY2T, sizeof(KEY2T));
	tha_gen_secret(AUTH_HASH_NONE, &CKEY, CKEYT, sizeof(CKEYT));
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", DIR_);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grammar_errors),
		cmocka_unit_test(test_config_and_reload),
		cmocka_unit_test(test_command_line),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-nvmf-target\n", argv[0]);
		return 2;
	}
	BIN = argv[1];
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
