/*
 * Unit tests of what nvmfctl and nvmf-fuse share (tools/common): the
 * connection-option table (connopts.c) and the state record (record.c).
 * The tools' own tests (cli_tests.py, tests/fuse) drive the same code
 * through the binaries; these pin the pieces down one by one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "connopts.h"
#include "record.h"

static char err[1024];

/* ---- Connection options ---------------------------------------------------------------- */

static const struct tc_conn_opt *find_name(const char *name, unsigned set)
{
	struct option tbl[TC_CO_END - TC_CO_TRANSPORT];
	size_t n = tc_conn_longopts(tbl, set, false);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(tbl[i].name, name))
			return tc_conn_find(tbl[i].val, set, false);
	return NULL;
}

static void test_table(void **state)
{
	struct option tbl[TC_CO_END - TC_CO_TRANSPORT];
	char shorts[64], label[48];
	const struct tc_conn_opt *o;
	size_t n;

	(void)state;
	/* With letters: getopt returns nvme-cli's letter; without, the id. */
	n = tc_conn_longopts(tbl, TC_CO_HOST, true);
	assert_int_equal(n, 2);
	assert_string_equal(tbl[0].name, "hostnqn");
	assert_int_equal(tbl[0].val, 'q');
	assert_int_equal(tbl[0].has_arg, required_argument);
	n = tc_conn_longopts(tbl, TC_CO_QUEUES, false);
	assert_int_equal(n, 7);
	for (size_t i = 0; i < n; i++)
		assert_true(tbl[i].val >= TC_CO_TRANSPORT && tbl[i].val < TC_CO_END);
	o = tc_conn_find('q', TC_CO_HOST, true);
	assert_non_null(o);
	assert_int_equal(o->id, TC_CO_HOSTNQN);
	assert_null(tc_conn_find('q', TC_CO_HOST, false));	/* no letters: no 'q' */
	assert_null(tc_conn_find('q', TC_CO_QUEUES, true));	/* not in the set */
	assert_string_equal(tc_conn_label(o, true, label, sizeof(label)), "-q/--hostnqn");
	assert_string_equal(tc_conn_label(o, false, label, sizeof(label)), "--hostnqn");
	/* Options without a letter keep their id with letters too. */
	o = find_name("io-timeout", TC_CO_QUEUES);
	assert_non_null(o);
	assert_ptr_equal(tc_conn_find(TC_CO_IO_TIMEOUT, TC_CO_QUEUES, true), o);
	assert_string_equal(tc_conn_label(o, true, label, sizeof(label)), "--io-timeout");
	/* nvmfctl's Fabrics letters, every one nvme-cli has. */
	tc_conn_shortopts(shorts, sizeof(shorts), TC_CO_TARGET | TC_CO_HOST | TC_CO_QUEUES |
			  TC_CO_RECONNECT | TC_CO_BIT(TC_CO_NAME));
	assert_string_equal(shorts, "t:a:s:n:q:I:i:Q:k:gGc:l:F:");
	/* nvme-cli's letters: -c is the delay, -l the loss timeout. */
	o = tc_conn_find('c', TC_CO_RECONNECT, true);
	assert_non_null(o);
	assert_int_equal(o->id, TC_CO_RECONNECT_DELAY);
	assert_string_equal(tc_conn_label(o, true, label, sizeof(label)), "-c/--reconnect-delay");
	o = tc_conn_find('l', TC_CO_RECONNECT, true);
	assert_non_null(o);
	assert_int_equal(o->id, TC_CO_CTRL_LOSS_TMO);
	assert_string_equal(tc_conn_label(o, true, label, sizeof(label)), "-l/--ctrl-loss-tmo");
	o = tc_conn_find('F', TC_CO_RECONNECT, true);
	assert_non_null(o);
	assert_string_equal(tc_conn_label(o, true, label, sizeof(label)), "-F/--fast_io_fail_tmo");
	assert_non_null(find_name("fast_io_fail_tmo", TC_CO_RECONNECT));
	tc_conn_shortopts(shorts, sizeof(shorts), TC_CO_BIT(TC_CO_NAME));
	assert_string_equal(shorts, "");
}

static int set(int id, const char *arg, bool letters, struct nvmf_opts *o)
{
	const struct tc_conn_opt *opt = tc_conn_find(id, ~0u, false);

	assert_non_null(opt);
	err[0] = '\0';
	return tc_conn_set(opt, arg, letters, o, err, sizeof(err));
}

static void expect_bad(int id, const char *arg, bool letters, int e, const char *needle)
{
	struct nvmf_opts o;

	nvmf_opts_init(&o);
	if (set(id, arg, letters, &o) != -e || !strstr(err, needle))
		fail_msg("option %#x '%s': expected -%d mentioning '%s', got '%s'", id, arg, e,
			 needle, err);
}

static void test_set(void **state)
{
	static const uint8_t id[16] = { 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
				        0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0 };
	struct nvmf_opts o;

	(void)state;
	nvmf_opts_init(&o);
	assert_int_equal(set(TC_CO_TRANSPORT, "tcp", true, &o), 0);
	assert_int_equal(set(TC_CO_TRADDR, "[::1]", true, &o), 0);
	assert_string_equal(o.traddr, "::1");
	assert_int_equal(set(TC_CO_TRSVCID, "4096", true, &o), 0);
	assert_string_equal(o.trsvcid, "4096");
	assert_int_equal(set(TC_CO_NQN, "nqn.2014-08.org.example:a", true, &o), 0);
	assert_string_equal(o.subnqn, "nqn.2014-08.org.example:a");
	assert_int_equal(set(TC_CO_HOSTNQN, "nqn.2014-08.org.example:h", false, &o), 0);
	assert_string_equal(o.hostnqn, "nqn.2014-08.org.example:h");
	assert_int_equal(set(TC_CO_HOSTID, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", false, &o), 0);
	assert_memory_equal(o.hostid, id, 16);
	assert_int_equal(set(TC_CO_NR_IO_QUEUES, "3", false, &o), 0);
	assert_int_equal(o.nr_io_queues, 3);
	assert_int_equal(set(TC_CO_QUEUE_SIZE, "1024", false, &o), 0);
	assert_int_equal(o.queue_size, 1024);
	/* The library's limit, as a usage error here, not at connect time. */
	assert_int_equal(set(TC_CO_QUEUE_SIZE, "1025", false, &o), -EINVAL);
	assert_int_equal(set(TC_CO_KATO, "0", false, &o), 0);
	assert_int_equal(o.kato, 0);
	assert_int_equal(set(TC_CO_CONNECT_TIMEOUT, "7", false, &o), 0);
	assert_int_equal(o.connect_timeout, 7);
	assert_int_equal(set(TC_CO_IO_TIMEOUT, "9", false, &o), 0);
	assert_int_equal(o.io_timeout, 9);
	assert_int_equal(set(TC_CO_HDR_DIGEST, NULL, false, &o), 0);
	assert_int_equal(set(TC_CO_DATA_DIGEST, NULL, false, &o), 0);
	assert_true(o.hdr_digest && o.data_digest);
	assert_int_equal(set(TC_CO_NAME, "conn-1.a_b", false, &o), 0);
	/* The reconnect options land in their own fields. */
	assert_int_equal(o.reconnect_delay, 10);
	assert_int_equal(o.ctrl_loss_tmo, 600);
	assert_int_equal(o.fast_io_fail_tmo, -1);
	assert_int_equal(set(TC_CO_RECONNECT_DELAY, "2", true, &o), 0);
	assert_int_equal(o.reconnect_delay, 2);
	assert_int_equal(o.ctrl_loss_tmo, 600);
	assert_int_equal(set(TC_CO_CTRL_LOSS_TMO, "-1", true, &o), 0);
	assert_int_equal(o.ctrl_loss_tmo, -1);
	assert_int_equal(o.reconnect_delay, 2);
	assert_int_equal(set(TC_CO_CTRL_LOSS_TMO, "0", false, &o), 0);
	assert_int_equal(o.ctrl_loss_tmo, 0);
	assert_int_equal(set(TC_CO_FAST_IO_FAIL_TMO, "5", true, &o), 0);
	assert_int_equal(o.fast_io_fail_tmo, 5);
	assert_int_equal(set(TC_CO_FAST_IO_FAIL_TMO, "-1", false, &o), 0);
	assert_int_equal(o.fast_io_fail_tmo, -1);

	/* Every bad value: -EINVAL, the option named as the tool offers it. */
	expect_bad(TC_CO_TRANSPORT, "rdma", true, EINVAL, "-t/--transport: 'rdma' is not supported");
	expect_bad(TC_CO_TRANSPORT, "rdma", false, EINVAL, "--transport: 'rdma'");
	expect_bad(TC_CO_TRADDR, "", true, EINVAL, "-a/--traddr");
	expect_bad(TC_CO_TRADDR, "a b", true, EINVAL, "space or control character");
	/* A port glued to the address: the hint names the option for it. */
	expect_bad(TC_CO_TRADDR, "10.0.0.1:4420", true, EINVAL, "-a/--traddr: '10.0.0.1:4420' is "
		   "not an IPv6 address; use -s for the service (port): -a 10.0.0.1 -s 4420");
	expect_bad(TC_CO_TRADDR, "[::1]:4420", true, EINVAL, "use -s for the service (port): "
		   "-a [::1] -s 4420");
	expect_bad(TC_CO_TRADDR, "host:4420", false, EINVAL, "--traddr: 'host:4420' is not an "
		   "IPv6 address; use --trsvcid for the service (port): --traddr host --trsvcid 4420");
	expect_bad(TC_CO_TRADDR, "fe80::zz", true, EINVAL, "use -s for the service (port)");
	assert_int_equal(set(TC_CO_TRADDR, "fe80::1%lo", true, &o), 0);
	assert_string_equal(o.traddr, "fe80::1%lo");
	assert_int_equal(set(TC_CO_TRADDR, "::ffff:10.0.0.1", true, &o), 0);
	assert_int_equal(set(TC_CO_TRADDR, "target.example", true, &o), 0);
	/* Decimal only, for every tool (nvmfctl, the fio engine): strtoull's
	 * base 0 took 0x1a0a, and 017523 as octal (port 8019). */
	expect_bad(TC_CO_TRSVCID, "0x1a0a", false, EINVAL, "--trsvcid: '0x1a0a' is not a port: "
		   "a decimal number from 1 to 65535");
	expect_bad(TC_CO_TRSVCID, "0X1F53", true, EINVAL, "-s/--trsvcid: '0X1F53'");
	expect_bad(TC_CO_TRSVCID, "+4420", true, EINVAL, "'+4420' is not a port");
	expect_bad(TC_CO_TRSVCID, "0", true, EINVAL, "'0' is not a port");
	expect_bad(TC_CO_TRSVCID, "000000", true, EINVAL, "'000000' is not a port");
	expect_bad(TC_CO_TRSVCID, "", true, EINVAL, "-s/--trsvcid: '' is not a port");
	assert_int_equal(set(TC_CO_TRSVCID, "017523", true, &o), 0);
	assert_string_equal(o.trsvcid, "17523");
	assert_int_equal(set(TC_CO_TRSVCID, "0004420", false, &o), 0);
	assert_string_equal(o.trsvcid, "4420");
	assert_int_equal(set(TC_CO_TRSVCID, "65535", false, &o), 0);
	assert_string_equal(o.trsvcid, "65535");
	expect_bad(TC_CO_TRSVCID, "70000", true, EINVAL, "-s/--trsvcid: '70000' is not a port: "
		   "a decimal number from 1 to 65535");
	expect_bad(TC_CO_TRSVCID, "http", true, EINVAL, "'http'");
	expect_bad(TC_CO_NQN, "a\tb", false, EINVAL, "--nqn");
	expect_bad(TC_CO_HOSTNQN, "", false, EINVAL, "--hostnqn: '' must be 1 to 223 bytes");
	expect_bad(TC_CO_HOSTID, "1234", true, EINVAL, "-I/--hostid: '1234' is not a UUID");
	expect_bad(TC_CO_NR_IO_QUEUES, "0", true, EINVAL, "-i/--nr-io-queues: '0'");
	expect_bad(TC_CO_NR_IO_QUEUES, "0", false, EINVAL, "--nr-io-queues: '0' is not a number "
		   "from 1 to 1024");
	expect_bad(TC_CO_QUEUE_SIZE, "1", false, EINVAL, "--queue-size");
	expect_bad(TC_CO_KATO, "-1", false, EINVAL, "--keep-alive-tmo");
	expect_bad(TC_CO_IO_TIMEOUT, "5s", false, EINVAL, "5s");
	expect_bad(TC_CO_CONNECT_TIMEOUT, "3601", false, EINVAL, "--connect-timeout");
	expect_bad(TC_CO_NAME, ".x", false, EINVAL, "--name: '.x' is not a valid connection name");
	expect_bad(TC_CO_NAME, "a/b", false, EINVAL, "a/b");
	expect_bad(TC_CO_RECONNECT_DELAY, "0", true, EINVAL,
		   "-c/--reconnect-delay: '0' is not a number from 1 to 4000000");
	expect_bad(TC_CO_RECONNECT_DELAY, "-1", false, EINVAL, "--reconnect-delay: '-1'");
	expect_bad(TC_CO_CTRL_LOSS_TMO, "-2", true, EINVAL,
		   "-l/--ctrl-loss-tmo: '-2' is not a number from -1 to 4000000");
	expect_bad(TC_CO_CTRL_LOSS_TMO, "10m", true, EINVAL, "'10m'");
	expect_bad(TC_CO_CTRL_LOSS_TMO, "", true, EINVAL, "-l/--ctrl-loss-tmo: ''");
	expect_bad(TC_CO_FAST_IO_FAIL_TMO, "off", false, EINVAL, "--fast_io_fail_tmo: 'off'");
	expect_bad(TC_CO_FAST_IO_FAIL_TMO, "99999999999", true, EINVAL, "-F/--fast_io_fail_tmo");
	expect_bad(TC_CO_CTRL_LOSS_TMO, "4000001", true, EINVAL, "'4000001'");

	assert_int_equal(tc_check_name("nvmf0"), 0);
	assert_int_equal(tc_check_name(""), -EINVAL);
	assert_int_equal(tc_check_name("a b"), -EINVAL);
	assert_int_equal(tc_check_name("0123456789012345678901234567890123456789012345678901234567890123"),
			 -EINVAL);	/* 64 characters */
}

/* tc_conn_args() collected into one string. */
static void collect(void *user, const char *opt, const char *val)
{
	char *s = user;

	strcat(s, " ");
	strcat(s, opt);
	if (val) {
		strcat(s, " ");
		strcat(s, val);
	}
}

static void test_args(void **state)
{
	char line[2048] = "", want[1024];
	struct nvmf_opts o, back, d;

	(void)state;
	nvmf_opts_init(&o);
	nvmf_opts_init(&d);
	tc_conn_args(&o, ~0u, collect, line);
	assert_string_equal(line, "");		/* the defaults: nothing */
	o.nr_io_queues = 0;			/* admin only: left to the tool */
	tc_conn_args(&o, ~0u, collect, line);
	assert_string_equal(line, "");
	snprintf(o.hostnqn, sizeof(o.hostnqn), "nqn.2014-08.org.example:h");
	nvmf_hostid_parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", o.hostid);
	o.nr_io_queues = d.nr_io_queues + 1;
	o.queue_size = 64;
	o.kato = 7;
	o.io_timeout = 9;
	o.data_digest = true;
	o.reconnect_delay = 2;
	o.ctrl_loss_tmo = -1;
	o.fast_io_fail_tmo = 0;
	/* Not in the set: not emitted. */
	tc_conn_args(&o, TC_CO_HOST | TC_CO_QUEUES, collect, line);
	snprintf(want, sizeof(want), " --hostnqn nqn.2014-08.org.example:h"
		 " --hostid 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 --nr-io-queues %d"
		 " --queue-size 64 --keep-alive-tmo 7 --data-digest --io-timeout 9",
		 d.nr_io_queues + 1);
	assert_string_equal(line, want);
	line[0] = '\0';
	tc_conn_args(&o, TC_CO_HOST | TC_CO_QUEUES | TC_CO_RECONNECT, collect, line);
	strcat(want, " --reconnect-delay 2 --ctrl-loss-tmo -1 --fast_io_fail_tmo 0");
	assert_string_equal(line, want);

	/* What tc_conn_args() writes, tc_conn_set() reads back the same. */
	nvmf_opts_init(&back);
	for (char *save = NULL, *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		const struct tc_conn_opt *opt = find_name(w + 2, ~0u);

		assert_non_null(opt);
		assert_int_equal(tc_conn_set(opt, opt->arg ? strtok_r(NULL, " ", &save) : NULL,
					     false, &back, err, sizeof(err)), 0);
	}
	assert_string_equal(back.hostnqn, o.hostnqn);
	assert_memory_equal(back.hostid, o.hostid, 16);
	assert_int_equal(back.nr_io_queues, o.nr_io_queues);
	assert_int_equal(back.queue_size, 64);
	assert_int_equal(back.kato, 7);
	assert_int_equal(back.io_timeout, 9);
	assert_true(back.data_digest && !back.hdr_digest);
	assert_int_equal(back.reconnect_delay, 2);
	assert_int_equal(back.ctrl_loss_tmo, -1);
	assert_int_equal(back.fast_io_fail_tmo, 0);
}

static void test_uri_params(void **state)
{
	struct nvmf_opts o;

	(void)state;
	nvmf_opts_init(&o);
	snprintf(o.traddr, sizeof(o.traddr), "keep");
	/* Only what the query names changes; not even the target. */
	assert_int_equal(tc_conn_uri_params(&o, "nvme+tcp://h/nqn.a:b?ctrl_loss_tmo=-1"
					    "&fast_io_fail_tmo=5", 0, true, err, sizeof(err)), 0);
	assert_int_equal(o.ctrl_loss_tmo, -1);
	assert_int_equal(o.fast_io_fail_tmo, 5);
	assert_int_equal(o.reconnect_delay, 10);
	assert_string_equal(o.traddr, "keep");
	assert_int_equal(tc_conn_uri_params(&o, "nvme+tcp://h/nqn.a:b", 0, true, err,
					    sizeof(err)), 0);
	assert_int_equal(o.ctrl_loss_tmo, -1);
	/* The same option given twice, on the command line and in the URI. */
	assert_int_equal(tc_conn_uri_params(&o, "nvme+tcp://h/nqn.a:b?reconnect_delay=3",
					    TC_CO_BIT(TC_CO_RECONNECT_DELAY), true, err,
					    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "-c/--reconnect-delay and the URI's reconnect_delay=3"));
	assert_int_equal(o.reconnect_delay, 10);
	assert_int_equal(tc_conn_uri_params(&o, "nvme+tcp://h/nqn.a:b?reconnect_delay=3",
					    TC_CO_BIT(TC_CO_CTRL_LOSS_TMO), false, err,
					    sizeof(err)), 0);
	assert_int_equal(o.reconnect_delay, 3);
	assert_int_equal(tc_conn_uri_params(&o, "nvme+tcp://h/nqn.a:b?ctrl_loss_tmo=x", 0, false,
					    err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ctrl_loss_tmo=x"));
	/* Polling has no option of the tools: the URI's value is taken. */
	assert_int_equal(o.poll_us, 0);
	assert_int_equal(tc_conn_uri_params(&o, "nvme+tcp://h/nqn.a:b?poll_us=100", 0, true, err,
					    sizeof(err)), 0);
	assert_int_equal(o.poll_us, 100);
	assert_int_equal(tc_conn_uri_params(&o, "nvme+tcp://h/nqn.a:b?poll_us=-1", 0, true, err,
					    sizeof(err)), -EINVAL);
	assert_int_equal(o.poll_us, 100);
}

/* ---- State records --------------------------------------------------------------------- */

static char dir[256];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/tools_common.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_rundir(void **state)
{
	char buf[64];

	(void)state;
	setenv("NVMF_RUNTIME_DIR", "/x/y", 1);
	assert_int_equal(tc_rundir(buf, sizeof(buf), err, sizeof(err)), 0);
	assert_string_equal(buf, "/x/y");
	setenv("NVMF_RUNTIME_DIR", "/a-path-longer-than-the-buffer-we-give-it-which-is-small", 1);
	assert_int_equal(tc_rundir(buf, 16, err, sizeof(err)), -ENAMETOOLONG);
	/* Relative: the daemon runs in "/", nvmfctl anywhere. */
	setenv("NVMF_RUNTIME_DIR", "run/nvmf", 1);
	assert_int_equal(tc_rundir(buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not an absolute path"));
	unsetenv("NVMF_RUNTIME_DIR");
	if (geteuid() != 0) {
		setenv("XDG_RUNTIME_DIR", "/run/user/1", 1);
		assert_int_equal(tc_rundir(buf, sizeof(buf), err, sizeof(err)), 0);
		assert_string_equal(buf, "/run/user/1/nvmf");
		unsetenv("XDG_RUNTIME_DIR");
		assert_int_equal(tc_rundir(buf, sizeof(buf), err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, "XDG_RUNTIME_DIR"));
	} else {
		assert_int_equal(tc_rundir(buf, sizeof(buf), err, sizeof(err)), 0);
#if defined(__FreeBSD__)
		assert_string_equal(buf, "/var/run/nvmf");
#else
		assert_string_equal(buf, "/run/nvmf");
#endif
	}
}

static void test_record_roundtrip(void **state)
{
	struct tc_record *w = calloc(1, sizeof(*w)), *r = calloc(1, sizeof(*r));
	struct tc_record_ns ns[2] = {
		{ .nsid = 1, .file = "/mnt/x/n1", .size = 8u << 20, .lba_size = 512 },
		{ .nsid = 2, .file = "/mnt/x/n2", .size = 1ull << 40, .lba_size = 4096,
		  .read_only = true },
	};
	char path[512];
	int holder = 0;

	(void)state;
	assert_non_null(w);
	assert_non_null(r);
	/* Claimed: the pid and "connecting", named by the file. */
	assert_int_equal(tc_record_claim(dir, "nvmf0", &holder), 0);
	/* Held by a live process (this one): in use, and who holds it. */
	assert_int_equal(tc_record_claim(dir, "nvmf0", &holder), -EEXIST);
	assert_int_equal(holder, getpid());
	tc_record_path(dir, "nvmf0", path, sizeof(path));
	assert_int_equal(tc_record_load(path, r), 0);
	assert_string_equal(r->name, "nvmf0");
	assert_int_equal(r->pid, getpid());
	/* Not an nvmf-fuse process: the reader calls it stale. */
	assert_false(r->alive);
	assert_false(r->can_reconnect);	/* only claimed: no counts yet */
	assert_string_equal(r->state, "stale");
	tc_record_release(r);

	/* Written whole, read back the same; target strings come back escaped. */
	snprintf(w->name, sizeof(w->name), "nvmf0");
	w->pid = getpid();
	snprintf(w->state, sizeof(w->state), "live");
	snprintf(w->mountpoint, sizeof(w->mountpoint), "/mnt/x");
	snprintf(w->transport, sizeof(w->transport), "tcp");
	snprintf(w->address, sizeof(w->address), "10.0.0.\033[31m1");
	snprintf(w->port, sizeof(w->port), "4420");
	snprintf(w->subnqn, sizeof(w->subnqn), "nqn.x:\xff\n");
	snprintf(w->hostnqn, sizeof(w->hostnqn), "nqn.h");
	snprintf(w->uri, sizeof(w->uri), "nvme+tcp://10.0.0.1/nqn.x");
	w->cntlid = 5;
	w->read_only = true;
	w->attempt = 3;
	w->max_attempts = 60;
	snprintf(w->last_error, sizeof(w->last_error), "queue 0: connection refused \033[2J");
	w->outages = 2;
	w->reconnects = 1ull << 40;
	w->nr_ns = 2;
	w->ns = ns;
	assert_int_equal(tc_record_write(dir, w), 0);
	assert_int_equal(tc_record_load(path, r), 0);
	assert_string_equal(r->name, "nvmf0");
	assert_int_equal(r->pid, getpid());
	assert_string_equal(r->mountpoint, "/mnt/x");
	assert_string_equal(r->transport, "tcp");
	assert_string_equal(r->address, "10.0.0.\\x1b[31m1");
	assert_string_equal(r->port, "4420");
	assert_string_equal(r->subnqn, "nqn.x:\\xff\\x0a");
	assert_string_equal(r->hostnqn, "nqn.h");
	assert_string_equal(r->uri, "nvme+tcp://10.0.0.1/nqn.x");
	assert_int_equal(r->cntlid, 5);
	assert_true(r->read_only);
	assert_int_equal(r->attempt, 3);
	assert_int_equal(r->max_attempts, 60);
	assert_string_equal(r->last_error, "queue 0: connection refused \\x1b[2J");
	assert_true(r->outages == 2);
	assert_true(r->reconnects == 1ull << 40);
	assert_true(r->can_reconnect);
	assert_int_equal(r->nr_ns, 2);
	assert_int_equal(r->ns[1].nsid, 2);
	assert_string_equal(r->ns[1].file, "/mnt/x/n2");
	assert_true(r->ns[1].size == 1ull << 40);
	assert_int_equal(r->ns[1].lba_size, 4096);
	assert_true(r->ns[1].read_only);
	assert_false(r->ns[0].read_only);
	tc_record_release(r);
	/* No temporary file is left behind. */
	snprintf(path, sizeof(path), "%s/.nvmf0.json.tmp", dir);
	assert_int_equal(access(path, F_OK), -1);

	tc_record_remove(dir, "nvmf0");
	tc_record_path(dir, "nvmf0", path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	free(w);
	free(r);
}

struct bad_seen {
	int count;
	char last[512];
	int last_err;
};

/* tc_records_load_ex()'s bad: what it said last, and how often. */
static void bad_record(void *arg, const char *path, const char *why, int e)
{
	struct bad_seen *b = arg;

	b->count++;
	b->last_err = e;
	snprintf(b->last, sizeof(b->last), "%s: %s", path, why);
}

static void test_records_list(void **state)
{
	struct tc_record *list;
	int holder = 0, n;

	(void)state;
	/* A process that is gone leaves a name free to claim again. */
	write_file("nvmf10.json", "{ \"pid\": 2147483000, \"name\": \"nvmf10\" }\n");
	write_file("nvmf2.json", "{ \"pid\": 2147483001, \"state\": \"live\" }\n");
	write_file(".nvmf3.json.tmp", "{ \"pid\": 1 }\n");	/* being written */
	write_file("junk.json", "not json");
	write_file("other.txt", "{}");
	n = tc_records_load(dir, &list);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "nvmf2");	/* nvmf2 before nvmf10 */
	assert_string_equal(list[1].name, "nvmf10");
	assert_string_equal(list[0].state, "stale");
	assert_int_equal(list[1].cntlid, -1);
	/* Records of an nvmf-fuse that predates reconnecting: no counts, and
	 * SIGUSR1 must not be sent. */
	assert_false(list[0].can_reconnect);
	assert_int_equal(list[0].attempt, 0);
	assert_string_equal(list[0].last_error, "");
	tc_records_free(list, n);
	/* The same with a word on each file left out: junk.json alone. */
	{
		struct bad_seen seen = { 0, "", 0 };

		n = tc_records_load_ex(dir, &list, bad_record, &seen);
		assert_int_equal(n, 2);
		assert_int_equal(seen.count, 1);
		if (!strstr(seen.last, "/junk.json: not JSON"))
			fail_msg("bad record reported as '%s'", seen.last);
		/* Corrupt, not merely unreadable now: disconnect may remove it. */
		assert_int_equal(seen.last_err, -EINVAL);
		assert_true(tc_record_err_corrupt(seen.last_err));
		assert_false(tc_record_err_corrupt(-EACCES));
		assert_false(tc_record_err_corrupt(-EIO));
		tc_records_free(list, n);
	}
	assert_int_equal(tc_record_claim(dir, "nvmf10", &holder), 0);
	/* A directory that does not exist holds no record. */
	assert_int_equal(tc_records_load("/nonexistent/nvmf", &list), 0);
	assert_null(list);
}

/* ---- Secrets ---------------------------------------------------------------------------- */

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/*
 * Keys in, and out again: argv's copy overwritten once taken, a file's key
 * read; tc_conn_uri_params() leaves them (it wipes only its own copy);
 * tc_conn_secrets_wipe() zeroes them and nothing else, tc_wipe() exactly
 * the bytes it is given.
 */
static void test_secrets(void **state)
{
	static const char tls[] = "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:";
	static const char hs[] = "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:";
	char argv_tls[sizeof(tls)], argv_hs[sizeof(hs)], path[512], buf[16];
	struct nvmf_opts o;

	(void)state;
	nvmf_opts_init(&o);
	snprintf(o.traddr, sizeof(o.traddr), "keep");
	memcpy(argv_tls, tls, sizeof(tls));
	memcpy(argv_hs, hs, sizeof(hs));
	assert_int_equal(set(TC_CO_TLS_KEY, argv_tls, false, &o), 0);
	assert_int_equal(set(TC_CO_DHCHAP_SECRET, argv_hs, true, &o), 0);
	assert_string_equal(o.tls_key, tls);
	assert_string_equal(o.dhchap_secret, hs);
	assert_int_equal(strspn(argv_tls, "x"), strlen(tls));
	assert_int_equal(strspn(argv_hs, "x"), strlen(hs));
	write_file("ctrl.key", "  DHHC-1:00:ctrl:\t\nsecond line\n");
	snprintf(path, sizeof(path), "%s/ctrl.key", dir);
	assert_int_equal(set(TC_CO_DHCHAP_CTRL_SECRET_FILE, path, false, &o), 0);
	assert_string_equal(o.dhchap_ctrl_secret, "DHHC-1:00:ctrl:");
	/* An empty key is refused, not taken as "no key" (no TLS, no auth). */
	assert_int_equal(set(TC_CO_TLS_KEY, (char[]){ "" }, false, &o), -EINVAL);
	assert_non_null(strstr(err, "the key is empty"));
	assert_int_equal(set(TC_CO_DHCHAP_SECRET, (char[]){ "" }, true, &o), -EINVAL);
	assert_int_equal(set(TC_CO_DHCHAP_CTRL_SECRET, (char[]){ "" }, true, &o), -EINVAL);
	assert_string_equal(o.tls_key, tls);
	assert_string_equal(o.dhchap_secret, hs);

	assert_int_equal(tc_conn_uri_params(&o, "nvme+tcp://h/nqn.a:b?reconnect_delay=3", 0,
					    false, err, sizeof(err)), 0);
	assert_int_equal(o.reconnect_delay, 3);
	assert_string_equal(o.tls_key, tls);
	assert_string_equal(o.dhchap_secret, hs);
	assert_string_equal(o.dhchap_ctrl_secret, "DHHC-1:00:ctrl:");

	tc_conn_secrets_wipe(&o);
	assert_true(all_zero(o.tls_key, sizeof(o.tls_key)));
	assert_true(all_zero(o.dhchap_secret, sizeof(o.dhchap_secret)));
	assert_true(all_zero(o.dhchap_ctrl_secret, sizeof(o.dhchap_ctrl_secret)));
	assert_string_equal(o.traddr, "keep");
	assert_int_equal(o.reconnect_delay, 3);

	memset(buf, 'k', sizeof(buf));
	tc_wipe(buf + 1, 10);
	assert_int_equal(buf[0], 'k');
	assert_true(all_zero(buf + 1, 10));
	assert_int_equal(buf[11], 'k');
}

/*
 * Secrets from the environment longer than their option's field: refused,
 * naming the variable. The copy used to overwrite its terminating NUL with a
 * marker, and the length check then read past the static buffer (ASan:
 * global-buffer-overflow in env_give, the sanitizer pass's failure). The
 * variables are read once per process: this is the only test that sets
 * them.
 */
static void test_secrets_env_long(void **state)
{
	static char big[NVMF_TLS_KEY_BUFSZ + NVMF_DHCHAP_KEY_BUFSZ + 64];
	struct nvmf_opts o;
	char msg[256];

	(void)state;
	memset(big, 'A', sizeof(big) - 1);
	assert_int_equal(setenv(TC_TLS_KEY_ENV, big, 1), 0);
	assert_int_equal(setenv(TC_DHCHAP_SECRET_ENV, big, 1), 0);
	assert_int_equal(setenv(TC_DHCHAP_CTRL_SECRET_ENV, big, 1), 0);
	nvmf_opts_init(&o);
	assert_int_equal(tc_conn_secrets_env(&o, 0, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, TC_TLS_KEY_ENV ": longer than"));
	assert_int_equal(tc_conn_secrets_env(&o, TC_CO_BIT(TC_CO_TLS_KEY), msg, sizeof(msg)),
			 -EINVAL);
	assert_non_null(strstr(msg, TC_DHCHAP_SECRET_ENV ": longer than"));
	assert_int_equal(tc_conn_secrets_env(&o, TC_CO_BIT(TC_CO_TLS_KEY) |
					     TC_CO_BIT(TC_CO_DHCHAP_SECRET), msg, sizeof(msg)),
			 -EINVAL);
	assert_non_null(strstr(msg, TC_DHCHAP_CTRL_SECRET_ENV ": longer than"));
	/* Read, wiped and unset. */
	assert_null(getenv(TC_TLS_KEY_ENV));
	assert_null(getenv(TC_DHCHAP_CTRL_SECRET_ENV));
	assert_int_equal(o.tls_key[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_uri_params),
		cmocka_unit_test(test_rundir),
		cmocka_unit_test_setup_teardown(test_record_roundtrip, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_records_list, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_secrets, setup_dir, teardown_dir),
		cmocka_unit_test(test_secrets_env_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
