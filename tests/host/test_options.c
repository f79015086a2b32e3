/* Host NQN / host ID defaults and option defaults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/host.h"

static char dir[64];

static void put(const char *name, const char *text)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm(const char *name)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

static struct host_id_paths paths(void)
{
	static char a[128], b[128], m[128], m2[128];

	snprintf(a, sizeof(a), "%s/hostnqn", dir);
	snprintf(b, sizeof(b), "%s/hostid", dir);
	snprintf(m, sizeof(m), "%s/machine-id", dir);
	snprintf(m2, sizeof(m2), "%s/machine-id2", dir);
	return (struct host_id_paths){ .hostnqn = a, .hostid = b, .machine_id = m,
				       .machine_id2 = m2 };
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/nvmf-host-opts-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rm("hostnqn");
	rm("hostid");
	rm("machine-id");
	rm("machine-id2");
	return rmdir(dir);
}

static void test_files(void **state)
{
	struct host_id_paths p = paths();
	char nqn[256];
	uint8_t id[16];

	(void)state;
	put("hostnqn", "nqn.2014-08.org.nvmexpress:uuid:0f8e3c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6\n");
	put("hostid", "12345678-9abc-def0-1234-56789abcdef0\n");
	assert_int_equal(host_default_hostnqn_from(&p, nqn, sizeof(nqn)), 0);
	assert_string_equal(nqn, "nqn.2014-08.org.nvmexpress:uuid:0f8e3c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6");
	assert_int_equal(host_default_hostid_from(&p, id), 0);
	assert_int_equal(id[0], 0x12);
	assert_int_equal(id[15], 0xf0);

	/* No hostid file: the UUID inside the hostnqn is used (nvme-cli does). */
	rm("hostid");
	assert_int_equal(host_default_hostid_from(&p, id), 0);
	assert_int_equal(id[0], 0x0f);
	assert_int_equal(id[15], 0xf6);
	rm("hostnqn");
}

static void test_machine_id(void **state)
{
	struct host_id_paths p = paths();
	char nqn[256], nqn2[256], us[37];
	uint8_t id[16], id2[16];

	(void)state;
	/* Nothing at all: a clear error. */
	assert_int_equal(host_default_hostnqn_from(&p, nqn, sizeof(nqn)), -ENOENT);
	assert_non_null(strstr(nvmf_get_error(), "machine ID"));

	put("machine-id", "3f1c5a8e0b7d4a2c9e6f1b0a2d4c6e8f\n");
	assert_int_equal(host_default_hostnqn_from(&p, nqn, sizeof(nqn)), 0);
	assert_int_equal(host_default_hostid_from(&p, id), 0);
	nvmf_hostid_format(id, us);
	/* Stable, consistent, a UUID NQN with version 8 and the RFC variant. */
	assert_int_equal(strncmp(nqn, "nqn.2014-08.org.nvmexpress:uuid:", 32), 0);
	assert_string_equal(nqn + 32, us);
	assert_int_equal(id[6] >> 4, 8);
	assert_int_equal(id[8] & 0xc0, 0x80);
	assert_int_equal(host_default_hostnqn_from(&p, nqn2, sizeof(nqn2)), 0);
	assert_string_equal(nqn, nqn2);
	/* The machine ID itself does not show. */
	assert_null(strstr(nqn, "3f1c5a8e"));

	/* Another machine, another identity; the fallback file is read. */
	rm("machine-id");
	put("machine-id2", "00000000000000000000000000000001");
	assert_int_equal(host_default_hostid_from(&p, id2), 0);
	assert_memory_not_equal(id, id2, 16);
	rm("machine-id2");

	/* A garbage hostnqn file is ignored. */
	put("hostnqn", "garbage\n");
	put("machine-id", "3f1c5a8e0b7d4a2c9e6f1b0a2d4c6e8f");
	assert_int_equal(host_default_hostnqn_from(&p, nqn2, sizeof(nqn2)), 0);
	assert_string_equal(nqn, nqn2);
	rm("hostnqn");
	rm("machine-id");
}

static void test_uuid_parse(void **state)
{
	uint8_t id[16];
	char s[37];

	(void)state;
	assert_int_equal(nvmf_hostid_parse("12345678-9ABC-def0-1234-56789abcdef0", id), 0);
	nvmf_hostid_format(id, s);
	assert_string_equal(s, "12345678-9abc-def0-1234-56789abcdef0");
	assert_int_equal(nvmf_hostid_parse("12345678-9abc-def0-1234-56789abcdef", id), -EINVAL);
	assert_int_equal(nvmf_hostid_parse("12345678x9abc-def0-1234-56789abcdef0", id), -EINVAL);
	assert_int_equal(nvmf_hostid_parse("12345678-9abc-def0-1234-56789abcdef0zz", id), -EINVAL);
}

static void test_opts_defaults(void **state)
{
	struct nvmf_opts o;

	(void)state;
	nvmf_opts_init(&o);
	assert_int_equal(o.nr_io_queues, sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(o.queue_size, 128);
	assert_int_equal(o.kato, -1);
	assert_int_equal(o.io_timeout, 30);
	assert_int_equal(o.connect_timeout, 10);
	assert_int_equal(o.cntlid, NVMF_CNTLID_DYNAMIC);
	assert_false(o.hdr_digest);
	assert_null(o.loop);
	/* This machine has a machine ID or nvme-cli files. */
	assert_int_equal(strncmp(o.hostnqn, "nqn.", 4), 0);
}

/*
 * nvmf_opts.trsvcid: what a URI takes as its port (host_port_num), checked
 * by nvmf_connect() before any connection; anything else -EINVAL naming
 * the value. It used to go to getaddrinfo, which took "85999" as port
 * 20463 (85999 - 65536) and " 20463" as 20463. A port that passes shows as
 * the poll_us refusal that follows its check: no test connects anywhere.
 */
static void connect_opts(struct nvmf_opts *o, const char *port)
{
	nvmf_opts_init(o);
	snprintf(o->traddr, sizeof(o->traddr), "127.0.0.1");
	snprintf(o->hostnqn, sizeof(o->hostnqn), "nqn.2014-08.org.example:host");
	snprintf(o->trsvcid, sizeof(o->trsvcid), "%s", port);
	o->connect_timeout = 1;
}

static void test_connect_trsvcid(void **state)
{
	static const char *const bad[] = {
		"85999", " 20463", "20463 ", "0", "000", "65536", "99999", "100000",
		"1000000000000000", "+80", "-1", "0x1a0a", "44 20", "4420a", "nvme",
	};
	static const char *const good[] = { "1", "4420", "04420", "0004420", "65535", "065535" };
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	struct nvmf_uri u;
	char want[96], uri[96];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		connect_opts(&o, bad[i]);
		c = (void *)1;
		assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
		assert_null(c);
		snprintf(want, sizeof(want), "trsvcid \"%s\": not a TCP port number (1-65535)",
			 bad[i]);
		if (!strstr(nvmf_get_error(), want))
			fail_msg("trsvcid \"%s\": \"%s\"", bad[i], nvmf_get_error());
		/* The URI refuses the same port. */
		snprintf(uri, sizeof(uri), "nvme+tcp://127.0.0.1:%s/nqn.2014-08.org.example:x",
			 bad[i]);
		assert_int_equal(nvmf_uri_parse(uri, &u), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		connect_opts(&o, good[i]);
		o.poll_us = -1;
		assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
		if (!strstr(nvmf_get_error(), "poll_us"))
			fail_msg("trsvcid \"%s\": \"%s\"", good[i], nvmf_get_error());
		snprintf(uri, sizeof(uri), "nvme+tcp://127.0.0.1:%s/nqn.2014-08.org.example:x",
			 good[i]);
		assert_int_equal(nvmf_uri_parse(uri, &u), 0);
		assert_int_equal(atoi(u.port), atoi(good[i]));
	}
	/* Empty: the default port, as before. */
	connect_opts(&o, "");
	o.poll_us = -1;
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "poll_us"));

	/* Shown printable and cut: the caller's bytes, perhaps no string. */
	connect_opts(&o, "44\n20");
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "trsvcid \"44?20\": not a TCP port number"));
	connect_opts(&o, "");
	memset(o.trsvcid, '1', sizeof(o.trsvcid));	/* no NUL */
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "trsvcid \"1111111111111111...\": not a TCP port"));
}

/*
 * traddr, subnqn and hostnqn end within their buffers, or the options are
 * refused: an unterminated traddr used to run on into trsvcid, and the
 * connect went to the address "<traddr bytes>4420".
 */
static void test_connect_unterminated(void **state)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c;

	(void)state;
	connect_opts(&o, "4420");
	o.poll_us = -1;
	memset(o.traddr, '1', sizeof(o.traddr));
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	if (!strstr(nvmf_get_error(), "traddr is not NUL-terminated"))
		fail_msg("unterminated traddr: \"%s\"", nvmf_get_error());
	connect_opts(&o, "4420");
	o.poll_us = -1;
	memset(o.subnqn, 'q', sizeof(o.subnqn));
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	if (!strstr(nvmf_get_error(), "subnqn is not NUL-terminated"))
		fail_msg("unterminated subnqn: \"%s\"", nvmf_get_error());
	connect_opts(&o, "4420");
	o.poll_us = -1;
	memset(o.hostnqn, 'q', sizeof(o.hostnqn));
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	if (!strstr(nvmf_get_error(), "hostnqn is not NUL-terminated"))
		fail_msg("unterminated hostnqn: \"%s\"", nvmf_get_error());
	/* The last byte free for the NUL: on to the next check. */
	connect_opts(&o, "4420");
	o.poll_us = -1;
	memset(o.traddr, '1', sizeof(o.traddr) - 1);
	assert_int_equal(nvmf_connect(&o, &c), -EINVAL);
	assert_non_null(strstr(nvmf_get_error(), "poll_us"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_machine_id),
		cmocka_unit_test(test_uuid_parse),
		cmocka_unit_test(test_opts_defaults),
		cmocka_unit_test(test_connect_trsvcid),
		cmocka_unit_test(test_connect_unterminated),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
