/*
 * Shared helpers of the integration tests: the target described by the env
 * file (NVMF_TEST_ENV), host options for it, connecting with the retries a
 * QEMU-forwarded port needs, and the backing image for checks from the
 * host side.
 */
#ifndef NVMF_TESTS_INTEG_COMMON_H
#define NVMF_TESTS_INTEG_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include <nvmf/nvmf.h>
#include "interop/interop_env.h"

struct integ_target {
	struct interop_env env;
	const char *traddr;
	const char *trsvcid;
	const char *disc_trsvcid;	/* NULL if no discovery port */
	const char *subnqn;
	const char *guest_traddr;	/* address the target reports, if any */
	const char *image;		/* backing file of namespace 1 */
	uint32_t nsid;
	uint32_t lba;
	uint64_t disk_size;
	int image_fd;
};

/* Load the env file; fails the test with the loader's message if absent. */
void integ_load(struct integ_target *t);
void integ_free(struct integ_target *t);
/* Options for the target's I/O subsystem (host NQN/ID from the env). */
void integ_opts(const struct integ_target *t, struct nvmf_opts *o, int nr_io_queues);
/* nvmf_connect with retries on refused/reset connections. */
int integ_connect(const struct nvmf_opts *o, struct nvmf_ctrl **c);
/* Read the backing image at off (after a flush). */
void integ_image_read(struct integ_target *t, uint64_t off, void *buf, size_t len);
/* Deterministic pattern for (seed, byte offset). */
void integ_fill(uint8_t *buf, size_t len, uint64_t seed);

#endif
