#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "integ_common.h"

static const char *need(const struct integ_target *t, const char *key)
{
	const char *v = interop_env_get(&t->env, key);

	if (!v || !*v)
		fail_msg("%s: %s is missing", t->env.path, key);
	return v;
}

void integ_load(struct integ_target *t)
{
	char err[512];
	const char *v;

	memset(t, 0, sizeof(*t));
	t->image_fd = -1;
	if (interop_env_load(&t->env, NULL, err, sizeof(err)) != 0)
		fail_msg("target env: %s", err);
	t->traddr = need(t, "NVMF_TEST_TRADDR");
	t->trsvcid = need(t, "NVMF_TEST_TRSVCID");
	t->subnqn = need(t, "NVMF_TEST_SUBNQN");
	v = interop_env_get(&t->env, "NVMF_TEST_DISC_TRSVCID");
	t->disc_trsvcid = v && *v ? v : NULL;
	t->guest_traddr = interop_env_get(&t->env, "NVMF_TEST_GUEST_TRADDR");
	t->image = interop_env_get(&t->env, "NVMF_TEST_IMAGE");
	t->nsid = (uint32_t)strtoul(need(t, "NVMF_TEST_NSID"), NULL, 10);
	t->lba = (uint32_t)strtoul(need(t, "NVMF_TEST_LBA"), NULL, 10);
	t->disk_size = strtoull(need(t, "NVMF_TEST_DISK_SIZE"), NULL, 10);
	if (t->image && *t->image) {
		t->image_fd = open(t->image, O_RDONLY);
		if (t->image_fd < 0)
			fail_msg("cannot open the backing image %s: %s", t->image, strerror(errno));
	}
}

void integ_free(struct integ_target *t)
{
	if (t->image_fd >= 0)
		close(t->image_fd);
	interop_env_free(&t->env);
}

void integ_opts(const struct integ_target *t, struct nvmf_opts *o, int nr_io_queues)
{
	const char *hostnqn = interop_env_get(&t->env, "NVMF_TEST_HOSTNQN");
	const char *hostid = interop_env_get(&t->env, "NVMF_TEST_HOSTID");

	nvmf_opts_init(o);
	snprintf(o->traddr, sizeof(o->traddr), "%s", t->traddr);
	snprintf(o->trsvcid, sizeof(o->trsvcid), "%s", t->trsvcid);
	snprintf(o->subnqn, sizeof(o->subnqn), "%s", t->subnqn);
	if (hostnqn && *hostnqn)
		snprintf(o->hostnqn, sizeof(o->hostnqn), "%s", hostnqn);
	if (hostid && strlen(hostid) == 36) {
		unsigned b[16];

		if (sscanf(hostid, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-%2x%2x%2x%2x%2x%2x",
			   &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7], &b[8], &b[9],
			   &b[10], &b[11], &b[12], &b[13], &b[14], &b[15]) == 16)
			for (int i = 0; i < 16; i++)
				o->hostid[i] = (uint8_t)b[i];
	}
	o->nr_io_queues = nr_io_queues;
	/* The emulated target is slow: generous, but bounded. */
	o->io_timeout = 60;
	o->connect_timeout = 20;
}

int integ_connect(const struct nvmf_opts *o, struct nvmf_ctrl **c)
{
	int r = -EIO;

	/* QEMU's forwarded port has a backlog of 1: retry refused/reset attempts. */
	for (int i = 0; i < 10; i++) {
		r = nvmf_connect(o, c);
		if (r == 0 || (r != -ECONNREFUSED && r != -ECONNRESET && r != -ETIMEDOUT))
			break;
		print_message("connect attempt %d: %s; retrying\n", i + 1, nvmf_get_error());
		uv_sleep(500);
	}
	return r;
}

void integ_image_read(struct integ_target *t, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	if (t->image_fd < 0)
		fail_msg("no backing image (NVMF_TEST_IMAGE) to check against");
	while (done < len) {
		ssize_t n = pread(t->image_fd, (uint8_t *)buf + done, len - done,
				  (off_t)(off + done));

		if (n <= 0)
			fail_msg("reading %s at %llu: %s", t->image,
				 (unsigned long long)(off + done), n == 0 ? "EOF" : strerror(errno));
		done += (size_t)n;
	}
}

void integ_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;

	for (size_t i = 0; i < len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, len - i < 8 ? len - i : 8);
	}
}
