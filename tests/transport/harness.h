/*
 * Test harness for the queue pair tests: a fake controller (tests/fake), a
 * libuv loop with a watchdog so no test can hang, and a TCP queue pair
 * connected to the fake.
 */
#ifndef NVMF_TESTS_TRANSPORT_HARNESS_H
#define NVMF_TESTS_TRANSPORT_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include <uv.h>

#include <nvmf/nvme_tcp.h>

#include "fake/fake_ctrl.h"
#include "transport/xport.h"

struct th {
	uv_loop_t loop;
	uv_timer_t watchdog;
	bool     watchdog_fired;
	struct fake_ctrl *fc;
	struct fake_stats st;		/* filled by th_teardown */
	struct xp_qpair *qp;
	bool     connect_done;
	int      connect_status;
	bool     lost;
	int      lost_err;
	char     lost_msg[256];
	bool     closed;
	char     log[4096];		/* every error text the queue pair logged */
};

struct tcmd {
	bool     done;
	int      status;
	struct xp_cpl cpl;
	int      order;			/* completion order, from 1 */
};

/* Default queue pair options for tests. */
struct xp_qpair_opts th_qopts(void);
/* Start the fake and the loop; create and connect a queue pair and wait for
 * on_connect. Returns the connect status. */
int  th_start(struct th *t, const struct fake_opts *fo, const struct xp_qpair_opts *qo);
/* Same, connecting to the given address instead of 127.0.0.1. */
int  th_start_addr(struct th *t, const struct fake_opts *fo, const struct xp_qpair_opts *qo,
		   const char *traddr);
/* Run the loop until *flag (bounded by the watchdog). */
void th_wait(struct th *t, const bool *flag);
/* Read or write nblocks 512-byte blocks at slba (NVM Read/Write SQE). */
int  th_rw(struct th *t, bool write, uint64_t slba, uint32_t nblocks, void *buf,
	   struct tcmd *tc, uint32_t timeout_ms);
/* Close the queue pair, run the loop dry, stop the fake (stats in t->st),
 * check that every handle was closed. */
void th_teardown(struct th *t);
/* Compare buf with the fake's initial pattern at byte offset off. */
bool th_pattern_ok(const uint8_t *buf, uint64_t off, size_t len);

#endif
