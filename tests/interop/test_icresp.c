/*
 * Readiness of the Linux NVMe/TCP target: libnvmf's codec builds ICReqs,
 * a plain socket carries them to the QEMU-hosted nvmet, and the codec
 * checks the ICResps (NVMe/TCP 1.0, 3.6.2.2 and 3.6.2.3). Needs nothing of
 * the host library but src/tcp/pdu.h, so it tells "the target is broken"
 * apart from "the host is broken".
 *
 * Linux nvmet enables exactly the digests the host asks for
 * (drivers/nvme/target/tcp.c, ICReq handling), which tcp_check_icresp()
 * insists on, so every digest combination must come back as requested.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tcp/pdu.h"
#include "interop/interop_env.h"

/* nvmet offers 4 MiB; anything past 64 MiB would be a decoding error. */
#define SANE_MAXH2CDATA_MAX (64u << 20)

static struct interop_env env;

static int setup(void **state)
{
	char err[512];

	if (interop_env_load(&env, NULL, err, sizeof(err)) != 0) {
		/* Not a skip: a missing target is a failure (cmocka reports it). */
		fprintf(stderr, "interop: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	interop_env_free(&env);
	return 0;
}

/* One ICReq/ICResp exchange on a fresh connection to the port named by key. */
static void exchange(const char *port_key, bool hdgst, bool ddgst, struct nvmf_tcp_icresp *resp,
		     struct tcp_params *params)
{
	uint8_t buf[TCP_PDU_HDR_BUF];
	struct tcp_ic_request req = { .hpda = 0, .hdgst = hdgst, .ddgst = ddgst };
	struct tcp_params ic = { .role = TCP_ROLE_HOST };
	struct tcp_rx_layout lay;
	struct tcp_err err;
	uint16_t port = interop_env_port(&env, port_key);
	size_t len;
	int fd, rc;

	if (port == 0)
		fail_msg("%s: no valid %s", env.path, port_key);
	len = tcp_build_icreq(buf, req.hpda, hdgst, ddgst, 0);
	assert_int_equal(len, NVMF_TCP_ICREQ_HLEN);

	fd = interop_connect(port, 10000, 5000);
	if (fd < 0) {
		interop_env_dump_console(&env, 30);
		fail_msg("connect to 127.0.0.1:%u: %s", port, strerror(-fd));
	}
	rc = interop_write_full(fd, buf, len);
	if (rc == 0)
		rc = interop_read_full(fd, resp, sizeof(*resp));
	close(fd);
	if (rc != 0) {
		interop_env_dump_console(&env, 30);
		fail_msg("ICReq to 127.0.0.1:%u (hdgst %d ddgst %d): no ICResp: %s", port, hdgst,
			 ddgst, strerror(-rc));
	}

	/* The common header, as the host's receive path would judge it. */
	if (tcp_check_ch(&resp->ch, &ic, false, &lay, &err) != 0)
		fail_msg("ICResp header refused: %s", err.msg);
	assert_int_equal(resp->ch.pdu_type, NVMF_TCP_ICRESP);
	assert_int_equal(resp->ch.hlen, NVMF_TCP_ICRESP_HLEN);
	assert_int_equal(nvmf_le32toh(resp->ch.plen), NVMF_TCP_ICRESP_HLEN);
	if (tcp_check_icresp(resp, &req, params, &err) != 0)
		fail_msg("ICResp refused: %s", err.msg);
}

static void check_common(const struct nvmf_tcp_icresp *resp, const struct tcp_params *p)
{
	uint32_t maxh2c = nvmf_le32toh(resp->maxh2cdata);

	assert_int_equal(nvmf_le16toh(resp->pfv), NVMF_TCP_PFV_1_0);
	assert_true(maxh2c >= NVMF_TCP_MIN_MAXH2CDATA);
	assert_int_equal(maxh2c % 4, 0);
	assert_true(maxh2c <= SANE_MAXH2CDATA_MAX);
	assert_int_equal(p->maxh2cdata, maxh2c);
	assert_true(resp->cpda <= NVMF_TCP_PDA_MAX);
	assert_int_equal(p->role, TCP_ROLE_HOST);
}

static void test_icresp_plain(void **state)
{
	struct nvmf_tcp_icresp resp;
	struct tcp_params p;

	exchange("NVMF_TEST_TRSVCID", false, false, &resp, &p);
	check_common(&resp, &p);
	assert_int_equal(resp.dgst, 0);
	assert_false(p.hdgst);
	assert_false(p.ddgst);

	/* The discovery port (8009 in the guest), where the fixture forwards one. */
	if (interop_env_port(&env, "NVMF_TEST_DISC_TRSVCID") != 0) {
		exchange("NVMF_TEST_DISC_TRSVCID", false, false, &resp, &p);
		check_common(&resp, &p);
		assert_int_equal(resp.dgst, 0);
	}
}

static void test_icresp_digests(void **state)
{
	struct nvmf_tcp_icresp resp;
	struct tcp_params p;

	exchange("NVMF_TEST_TRSVCID", true, true, &resp, &p);
	check_common(&resp, &p);
	assert_int_equal(resp.dgst, NVMF_TCP_HDGST_ENABLE | NVMF_TCP_DDGST_ENABLE);
	assert_true(p.hdgst);
	assert_true(p.ddgst);
}

static void test_icresp_header_digest_only(void **state)
{
	struct nvmf_tcp_icresp resp;
	struct tcp_params p;

	exchange("NVMF_TEST_TRSVCID", true, false, &resp, &p);
	check_common(&resp, &p);
	assert_int_equal(resp.dgst, NVMF_TCP_HDGST_ENABLE);
	assert_true(p.hdgst);
	assert_false(p.ddgst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icresp_plain),
		cmocka_unit_test(test_icresp_digests),
		cmocka_unit_test(test_icresp_header_digest_only),
	};

	return cmocka_run_group_tests_name("interop_icresp", tests, setup, teardown);
}
