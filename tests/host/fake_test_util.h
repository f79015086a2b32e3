/*
 * What the parts of the host-against-fake test (test_fake*.c) share: a
 * fake controller started for a scenario, and a completion callback that
 * only keeps the result.
 */
#ifndef NVMF_TESTS_HOST_FAKE_TEST_UTIL_H
#define NVMF_TESTS_HOST_FAKE_TEST_UTIL_H

#include <stdint.h>

#include <nvmf/nvmf.h>
#include "fake/fake_ctrl.h"

/* A fake controller for scenario s on loopback, o set up to reach it with
 * nq I/O queues and no reconnect; fails the test if it cannot start. */
struct fake_ctrl *start_fake(enum fake_scenario s, struct nvmf_opts *o, int nq);

/* Stores cpl->result in the int at user (release: read it with acquire). */
void result_cb(void *user, uint64_t cookie, const struct nvmf_completion *cpl);

#endif
