/*
 * The host library through nvmf-fault-proxy against nvmf-target (the
 * fixture's target.env, NVMF_TEST_ENV): pass-through and delay move
 * checked data; a flipped byte with digests on never comes back as data nor
 * lands on the namespace; reset, close-random and blackhole end in errors
 * within the host's own timeouts. Each test asserts from the proxy's summary
 * that its fault fired, so a proxy that injects nothing fails it.
 * argv[1] is the nvmf-fault-proxy executable.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "integration/integ_common.h"
#include "pxy_client.h"

static const char *PROXY_BIN;
static struct integ_target T;

/* Namespace 1's region the tests use: 1 MiB from 1 MiB on. */
#define REGION_OFF	(1u << 20)
#define REGION_LEN	(1u << 20)


/* ---- Host side ---------------------------------------------------------------------- */

static atomic_int lost_events;

static void on_event(void *user, const struct nvmf_event *ev)
{
	(void)user;
	if (ev->type == NVMF_EVENT_CONN_LOST || ev->type == NVMF_EVENT_FATAL) {
		print_message("  event %d: %s\n", (int)ev->type, ev->msg);
		atomic_fetch_add(&lost_events, 1);
	}
}

/* One I/O queue, so connection 1 is the admin queue and 2 the I/O queue. */
static void host_opts(struct nvmf_opts *o, int port, bool hdgst, bool ddgst)
{
	integ_opts(&T, o, 1);
	if (port)
		snprintf(o->trsvcid, sizeof(o->trsvcid), "%d", port);
	o->hdr_digest = hdgst;
	o->data_digest = ddgst;
	o->io_timeout = 3;
	o->connect_timeout = 5;
	o->kato = 2;
	o->event_cb = on_event;
	/* How each fault reaches the caller, without reconnecting (release
	 * 0.1's behaviour); riding outages out is tested elsewhere. */
	o->ctrl_loss_tmo = 0;
}

static struct nvmf_ctrl *host_connect(int port, bool hdgst, bool ddgst)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c = NULL;

	host_opts(&o, port, hdgst, ddgst);
	if (nvmf_connect(&o, &c) != 0)
		fail_msg("connect through port %d: %s", port, nvmf_get_error());
	return c;
}

static uint8_t *expect_buf;	/* what the region holds, as far as the test knows */

/* Writes a fresh pattern over the whole region, directly (no proxy). */
static void region_fill(uint64_t seed)
{
	struct nvmf_ctrl *c = host_connect(0, false, false);

	integ_fill(expect_buf, REGION_LEN, seed);
	for (uint32_t off = 0; off < REGION_LEN; off += 128 * 1024)
		assert_int_equal(nvmf_write(c, T.nsid, expect_buf + off,
					    (REGION_OFF + off) / T.lba, 128 * 1024 / T.lba, 0), 0);
	assert_int_equal(nvmf_flush(c, T.nsid), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
}

/* The sizes the I/O loops cycle through, in blocks of 512 bytes: in-capsule
 * and R2T writes, one and several C2HData PDUs. */
static const uint32_t sizes[] = { 1, 8, 64, 3, 32, 256, 16 };

struct io_result {
	unsigned ok, failed, wrong;
	int first_err;
	char first_msg[256];
};

static void note_failure(struct io_result *r, int rc, const char *what, uint64_t off)
{
	if (r->failed++ == 0) {
		r->first_err = rc;
		snprintf(r->first_msg, sizeof(r->first_msg), "%s at %" PRIu64 ": %s", what, off,
			 nvmf_get_error());
	}
}

/*
 * Reads the region through c, in varied sizes, until about `total` bytes
 * were asked for, checking each successful read against expect_buf. A
 * timed-out read ends the loop (every later one would wait as long).
 */
static void read_loop(struct nvmf_ctrl *c, uint64_t total, struct io_result *r)
{
	uint8_t *buf = malloc(256 * 512);
	uint64_t done = 0, off = 0;

	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; done < total; i++) {
		uint32_t len = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))] * 512;
		int rc;

		if (off + len > REGION_LEN)
			off = 0;
		memset(buf, 0xee, len);
		rc = nvmf_read(c, T.nsid, buf, (REGION_OFF + off) / T.lba, len / T.lba, 0);
		if (rc == 0 && memcmp(buf, expect_buf + off, len) != 0) {
			size_t k = 0;

			while (buf[k] == expect_buf[off + k])
				k++;
			print_message("  BUG: read at region offset %" PRIu64 " (%u bytes) succeeded "
				      "with wrong data: byte %zu is 0x%02x, expected 0x%02x\n", off,
				      len, k, buf[k], expect_buf[off + k]);
			r->wrong++;
		} else if (rc == 0) {
			r->ok++;
		} else {
			note_failure(r, rc, "read", off);
			if (rc == -ETIMEDOUT)
				break;
		}
		done += len;
		off += len;
	}
	free(buf);
}

/* Checks the region read back directly (no proxy) against expect_buf. */
static unsigned region_check(const char *what)
{
	struct nvmf_ctrl *c = host_connect(0, false, false);
	uint8_t *buf = malloc(REGION_LEN);
	unsigned bad = 0;

	for (uint32_t off = 0; off < REGION_LEN; off += 128 * 1024)
		assert_int_equal(nvmf_read(c, T.nsid, buf + off, (REGION_OFF + off) / T.lba,
					   128 * 1024 / T.lba, 0), 0);
	assert_int_equal(nvmf_disconnect(c), 0);
	for (uint32_t off = 0; off < REGION_LEN; off += 512) {
		if (memcmp(buf + off, expect_buf + off, 512) != 0) {
			if (bad++ < 4)
				print_message("  BUG (%s): block at region offset %u differs from "
					      "what the host was told\n", what, off);
		}
	}
	free(buf);
	return bad;
}

/*
 * Writes a new pattern (seed) through c in varied sizes. A successful write
 * updates expect_buf; a failed one may or may not have reached the
 * namespace, so each of its blocks is afterwards accepted as old or new:
 * pending[] keeps the new data of failed writes for region_settle().
 */
struct pending {
	uint32_t off, len;
	uint8_t *data;
};

static void write_loop(struct nvmf_ctrl *c, uint64_t seed, uint64_t total, struct io_result *r,
		       struct pending *pend, unsigned *npend, unsigned maxpend)
{
	uint8_t *buf = malloc(256 * 512);
	uint64_t done = 0, off = 0;

	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; done < total; i++) {
		uint32_t len = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))] * 512;
		int rc;

		if (off + len > REGION_LEN)
			off = 0;
		integ_fill(buf, len, seed * 1000003 + i);
		rc = nvmf_write(c, T.nsid, buf, (REGION_OFF + off) / T.lba, len / T.lba, 0);
		if (rc == 0) {
			r->ok++;
			memcpy(expect_buf + off, buf, len);
		} else {
			note_failure(r, rc, "write", off);
			if (*npend < maxpend) {
				pend[*npend].off = (uint32_t)off;
				pend[*npend].len = len;
				pend[*npend].data = malloc(len);
				memcpy(pend[*npend].data, buf, len);
				(*npend)++;
			}
			if (rc == -ETIMEDOUT)
				break;
		}
		done += len;
		off += len;
	}
	free(buf);
}

/* Reads back the blocks of failed writes directly: each must hold the old
 * or the new data, never anything else; expect_buf follows what is there. */
static unsigned region_settle(struct pending *pend, unsigned npend)
{
	struct nvmf_ctrl *c = host_connect(0, false, false);
	uint8_t blk[512];
	unsigned bad = 0;

	for (unsigned i = 0; i < npend; i++) {
		for (uint32_t k = 0; k < pend[i].len; k += 512) {
			uint32_t off = pend[i].off + k;

			assert_int_equal(nvmf_read(c, T.nsid, blk, (REGION_OFF + off) / T.lba,
						   512 / T.lba, 0), 0);
			if (memcmp(blk, pend[i].data + k, 512) == 0) {
				memcpy(expect_buf + off, blk, 512);
			} else if (memcmp(blk, expect_buf + off, 512) != 0) {
				if (bad++ < 4)
					print_message("  BUG: block at region offset %u of a failed "
						      "write holds neither the old nor the new data\n",
						      off);
				memcpy(expect_buf + off, blk, 512);
			}
		}
		free(pend[i].data);
	}
	assert_int_equal(nvmf_disconnect(c), 0);
	return bad;
}

/* ---- Tests --------------------------------------------------------------------------- */

/* Pass-through: data written and read through the proxy is right, and the
 * traffic really went through it. */
static void test_pass(void **state)
{
	struct pxy x;
	struct nvmf_ctrl *c;
	struct io_result w, r;
	struct pending pend[4];
	unsigned npend = 0;

	(void)state;
	region_fill(1);
	pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "pass", NULL);
	c = host_connect(x.port, true, true);
	write_loop(c, 1, REGION_LEN, &w, pend, &npend, 4);
	read_loop(c, REGION_LEN, &r);
	assert_int_equal(nvmf_disconnect(c), 0);
	pxy_stop(&x);
	assert_int_equal(w.failed, 0);
	assert_int_equal(r.failed, 0);
	assert_int_equal(r.wrong, 0);
	assert_int_equal(region_check("pass"), 0);
	assert_true(x.conns >= 2);
	assert_true(x.up > REGION_LEN && x.down > REGION_LEN);
	assert_int_equal(x.fired, 0);
}

/* Delay: every chunk of both streams of the I/O queue 20 ms late; data is
 * still right (nothing here asserts on time). */
static void test_delay(void **state)
{
	struct pxy x;
	struct nvmf_ctrl *c;
	struct io_result r;

	(void)state;
	region_fill(2);
	pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "delay", "--delay-ms", "20", "--conn", "2", NULL);
	c = host_connect(x.port, false, true);
	read_loop(c, 256 * 1024, &r);
	assert_int_equal(nvmf_disconnect(c), 0);
	pxy_stop(&x);
	assert_int_equal(r.failed, 0);
	assert_int_equal(r.wrong, 0);
	assert_int_equal(x.fired, 2);	/* both streams of connection 2 */
}

/*
 * Stream offsets of the I/O queue's connection at which to flip a byte: past
 * ICResp (128 bytes) and the Connect response (down), or past ICReq and
 * the Connect capsule with its 1 KiB of data (up), then spread over PDU
 * headers, header digests, data and data digests of the following
 * commands.
 */
static const unsigned flip_down[] = { 160, 170, 185, 200, 300, 700, 4200, 4230, 4290,
				       8400, 12345, 20000, 33000, 70001, 131000 };
static const unsigned flip_up[] = { 1240, 1250, 1270, 1300, 1400, 2000, 2100, 5000,
				     9000, 16000, 33333, 70001, 131000 };

static void flip_down_run(bool hdgst)
{
	unsigned wrong = 0, fired = 0, failed = 0;

	region_fill(3);
	for (size_t i = 0; i < sizeof(flip_down) / sizeof(flip_down[0]); i++) {
		char at[24];
		struct pxy x;
		struct nvmf_ctrl *c;
		struct io_result r;

		snprintf(at, sizeof(at), "%u", flip_down[i]);
		pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "flip", "--dir", "down", "--conn", "2", "--after", at, NULL);
		c = host_connect(x.port, hdgst, true);
		read_loop(c, 3 * flip_down[i] + 64 * 1024, &r);
		nvmf_disconnect(c);
		pxy_stop(&x);
		print_message("  flip down at %u (hdgst %d): %u reads ok, %u failed%s%s, %u wrong\n",
			      flip_down[i], hdgst, r.ok, r.failed, r.failed ? ", first: " : "",
			      r.failed ? r.first_msg : "", r.wrong);
		wrong += r.wrong;
		fired += x.fired;
		failed += r.failed;
	}
	assert_int_equal(wrong, 0);
	assert_int_equal(fired, sizeof(flip_down) / sizeof(flip_down[0]));
	/* A flip the digests did not catch would leave every read successful. */
	assert_true(failed > 0);
}

/* A byte flipped from target to host, digests on: every read returns the
 * right data or fails. */
static void test_flip_down(void **state)
{
	(void)state;
	flip_down_run(true);
}

/* The same with data digests only, as the option that protects data. */
static void test_flip_down_ddgst_only(void **state)
{
	(void)state;
	flip_down_run(false);
}

/* A byte flipped from host to target on writes, digests on: a write fails
 * or the data read back afterwards (directly) is what was written. */
static void test_flip_up(void **state)
{
	unsigned bad = 0, fired = 0, failed = 0;

	(void)state;
	region_fill(4);
	for (size_t i = 0; i < sizeof(flip_up) / sizeof(flip_up[0]); i++) {
		char at[24];
		struct pxy x;
		struct nvmf_ctrl *c;
		struct io_result w;
		struct pending pend[64];
		unsigned npend = 0;

		snprintf(at, sizeof(at), "%u", flip_up[i]);
		pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "flip", "--dir", "up", "--conn", "2", "--after", at, NULL);
		c = host_connect(x.port, true, true);
		write_loop(c, 100 + i, 3 * flip_up[i] + 64 * 1024, &w, pend, &npend, 64);
		nvmf_disconnect(c);
		pxy_stop(&x);
		bad += region_settle(pend, npend);
		bad += region_check("flip up");
		print_message("  flip up at %u: %u writes ok, %u failed%s%s\n", flip_up[i], w.ok,
			      w.failed, w.failed ? ", first: " : "", w.failed ? w.first_msg : "");
		fired += x.fired;
		failed += w.failed;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(fired, sizeof(flip_up) / sizeof(flip_up[0]));
	assert_true(failed > 0);
}

/* Reset of the I/O queue's connection mid-stream, each way: the host fails
 * the I/O (no hang, no wrong data) and the proxy did reset it. */
static void test_reset(void **state)
{
	static const char *const dirs[] = { "down", "up" };

	(void)state;
	region_fill(5);
	for (int d = 0; d < 2; d++) {
		struct pxy x;
		struct nvmf_ctrl *c;
		struct io_result r;
		struct pending pend[64];
		unsigned npend = 0;

		pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "reset", "--dir", dirs[d], "--conn", "2", "--after", "20000",
			  NULL);
		c = host_connect(x.port, false, true);
		if (d == 0)
			read_loop(c, 512 * 1024, &r);
		else
			write_loop(c, 6, 512 * 1024, &r, pend, &npend, 64);
		nvmf_disconnect(c);
		pxy_stop(&x);
		print_message("  reset %s: %u ok, %u failed (%s)\n", dirs[d], r.ok, r.failed,
			      r.first_msg);
		assert_int_equal(x.fired, 1);
		assert_true(r.failed > 0);
		assert_int_equal(r.wrong, 0);
		if (d == 1)
			assert_int_equal(region_settle(pend, npend) + region_check("reset"), 0);
	}
}

/* Close at a seeded random point of the I/O queue's down stream. */
static void test_close_random(void **state)
{
	(void)state;
	region_fill(7);
	for (int seed = 1; seed <= 3; seed++) {
		char s[16];
		struct pxy x;
		struct nvmf_ctrl *c;
		struct io_result r;

		snprintf(s, sizeof(s), "%d", seed);
		pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "close-random", "--dir", "down", "--conn", "2",
			  "--after", "100000", "--seed", s, NULL);
		c = host_connect(x.port, false, true);
		read_loop(c, 512 * 1024, &r);
		nvmf_disconnect(c);
		pxy_stop(&x);
		print_message("  close-random seed %d: %u ok, %u failed (%s)\n", seed, r.ok,
			      r.failed, r.first_msg);
		assert_int_equal(x.fired, 1);
		assert_true(r.failed > 0);
		assert_int_equal(r.wrong, 0);
	}
}

/* Blackhole on the I/O queue: the read in flight times out (io_timeout). */
static void test_blackhole_io(void **state)
{
	struct pxy x;
	struct nvmf_ctrl *c;
	struct io_result r;

	(void)state;
	region_fill(8);
	pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "blackhole", "--dir", "down", "--conn", "2", "--after", "20000",
		  NULL);
	c = host_connect(x.port, false, true);
	read_loop(c, 512 * 1024, &r);
	nvmf_disconnect(c);
	pxy_stop(&x);
	print_message("  blackhole I/O: %u ok, %u failed (%s)\n", r.ok, r.failed, r.first_msg);
	assert_int_equal(x.fired, 1);
	assert_true(r.failed > 0);
	assert_int_equal(r.wrong, 0);
}

/*
 * Blackhole on the admin queue once the host is connected: keep-alive must
 * notice (a CONN_LOST or FATAL event) and disconnecting must not hang. The
 * admin stream's size up to the end of connect is measured first, through
 * a pass-through proxy; the blackhole starts right after it, so it swallows
 * the first keep-alive.
 */
static void test_blackhole_admin(void **state)
{
	struct pxy x;
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	char at[24];
	int waited;

	(void)state;
	pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "pass", NULL);
	host_opts(&o, x.port, false, false);
	o.nr_io_queues = 0;
	o.kato = 30;		/* no keep-alive during the measurement */
	assert_int_equal(nvmf_connect(&o, &c), 0);
	pxy_stop(&x);		/* the proxy closes the connection: only connect counted */
	nvmf_disconnect(c);
	snprintf(at, sizeof(at), "%" PRIu64, x.up);

	atomic_store(&lost_events, 0);
	pxy_start(&x, PROXY_BIN, T.trsvcid, "--mode", "blackhole", "--dir", "up", "--conn", "1", "--after", at, NULL);
	host_opts(&o, x.port, false, false);
	o.nr_io_queues = 0;
	o.kato = 1;
	assert_int_equal(nvmf_connect(&o, &c), 0);
	for (waited = 0; waited < 30000 && atomic_load(&lost_events) == 0; waited += 100)
		usleep(100000);
	nvmf_disconnect(c);
	pxy_stop(&x);
	assert_int_equal(x.fired, 1);
	assert_true(atomic_load(&lost_events) > 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_flip_down),
		cmocka_unit_test(test_flip_down_ddgst_only),
		cmocka_unit_test(test_flip_up),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_close_random),
		cmocka_unit_test(test_blackhole_io),
		cmocka_unit_test(test_blackhole_admin),
	};
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s NVMF_FAULT_PROXY\n", argv[0]);
		return 2;
	}
	PROXY_BIN = argv[1];
	signal(SIGPIPE, SIG_IGN);
	integ_load(&T);
	if (T.lba != 512)
		fail_msg("the proxy tests expect 512-byte blocks (NVMF_TEST_LBA %u)", T.lba);
	expect_buf = malloc(REGION_LEN);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(expect_buf);
	integ_free(&T);
	return rc;
}
