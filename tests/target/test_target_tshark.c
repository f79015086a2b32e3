/*
 * tshark judges an nvmf-target session: the test host records every byte
 * of two connections (admin and I/O queue, header and data digests, PDA 0)
 * into a pcap (tests/judge/pcapw), then Wireshark's NVMe/TCP dissector, with
 * digest checking on, must find no malformed PDU, no bad digest, and the
 * commands of the session. A missing tshark fails the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <nvmf/endian.h>

#include "judge/pcapw.h"
#include "th.h"

static struct tf F;

struct rec {
	struct tconv conv;
	int last_side;
};

/* Bytes of one direction become segments when the direction changes. */
static void tap(void *arg, int side, const void *buf, size_t len)
{
	struct rec *r = arg;

	if (r->last_side != side && r->last_side >= 0)
		tconv_flush(&r->conv, r->last_side);
	r->last_side = side;
	tconv_write(&r->conv, side == 0 ? TCONV_HOST : TCONV_CTRL, buf, len);
}

static void session(struct rec *ra, struct rec *rq)
{
	struct th a, q;
	struct th_cqe cqe;
	uint8_t *buf = malloc(65536), id[4096], sqe[64], ranges[16] = { 0 };

	assert_int_equal(th_open(&a, F.port), 0);
	a.tap = tap;
	a.tap_arg = ra;
	assert_int_equal(th_icreq(&a, 0, true, true), 0);
	assert_int_equal(th_connect(&a, 0, 31, 0, 0xFFFF, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(th_prop_set(&a, NVMF_PROP_CC, 1u | (6u << 16) | (4u << 20), &cqe), 0);
	assert_int_equal(th_prop_get(&a, NVMF_PROP_CSTS, false, NULL, &cqe), 0);
	assert_int_equal(th_identify(&a, NVMF_CNS_CTRL, 0, id, &cqe), 0);
	assert_int_equal(th_identify(&a, NVMF_CNS_NS, 1, id, &cqe), 0);
	assert_int_equal(th_get_log(&a, NVMF_LID_SMART, false, 0, buf, 512, &cqe), 0);

	assert_int_equal(th_open(&q, F.port), 0);
	q.tap = tap;
	q.tap_arg = rq;
	memcpy(q.hostid, a.hostid, 16);
	assert_int_equal(th_icreq(&q, 0, true, true), 0);
	assert_int_equal(th_connect(&q, 1, 127, 0, a.cntlid, TH_SUBNQN, TH_HOSTNQN, 0, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	memset(buf, 0xA5, 65536);
	assert_int_equal(th_write(&q, 1, 0, 8, buf, 4096, true, &cqe), 0);
	assert_int_equal(th_write(&q, 1, 8, 128, buf, 65536, false, &cqe), 0);
	assert_int_equal(th_read(&q, 1, 8, 128, buf, 65536, &cqe), 0);
	assert_int_equal(cqe.status, 0);
	th_sqe(sqe, NVMF_NVM_FLUSH, 1);
	assert_int_equal(th_cmd(&q, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	th_sqe(sqe, NVMF_NVM_WRITE_ZEROES, 1);
	nvmf_put_le32(sqe + 48, 7 | (1u << 25));
	assert_int_equal(th_cmd(&q, sqe, NULL, 0, false, NULL, 0, &cqe), 0);
	nvmf_put_le32(ranges + 4, 8);
	th_sqe(sqe, NVMF_NVM_DSM, 1);
	nvmf_put_le32(sqe + 44, 1u << 2);
	assert_int_equal(th_cmd(&q, sqe, ranges, 16, true, NULL, 0, &cqe), 0);
	/* An error status is a normal PDU too. */
	assert_int_equal(th_read(&q, 1, 1u << 30, 1, buf, 512, &cqe), 0);
	assert_int_equal(cqe.status, NVMF_SC_LBA_OUT_OF_RANGE);
	th_close(&q);
	th_close(&a);
	free(buf);
}

static int count(const char *out, const char *what)
{
	int n = 0;

	for (const char *p = out; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void test_tshark_session(void **state)
{
	char pcap[] = "/tmp/nvmf-target-tshark-XXXXXX", cmd[512];
	struct pcapw w;
	struct rec ra = { .last_side = -1 }, rq = { .last_side = -1 };
	char *out = calloc(1, 4 << 20);
	size_t n = 0;
	FILE *p;
	int fd = mkstemp(pcap);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pcapw_open(&w, pcap), 0);
	assert_int_equal(tconv_open(&ra.conv, &w, 40001, 4420, 1000, 2000), 0);
	assert_int_equal(tconv_open(&rq.conv, &w, 40002, 4420, 3000, 4000), 0);
	session(&ra, &rq);
	assert_int_equal(tconv_close(&ra.conv), 0);
	assert_int_equal(tconv_close(&rq.conv), 0);
	assert_int_equal(pcapw_close(&w), 0);

	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -o nvme-tcp.check_hdgst:TRUE -o nvme-tcp.check_ddgst:TRUE -V 2>&1",
		 pcap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < (4u << 20) - 1) {
		size_t k = fread(out + n, 1, (4u << 20) - 1 - n, p);

		if (k == 0)
			break;
		n += k;
	}
	out[n] = 0;
	if (pclose(p) != 0 || !strstr(out, "NVM Express"))
		fail_msg("tshark did not decode %s (is tshark installed?):\n%.2000s", pcap, out);
	if (count(out, "Malformed") || count(out, "[incorrect") || count(out, "Expert Info (Error"))
		fail_msg("tshark found a problem in %s:\n%.4000s", pcap,
			 strstr(out, "Malformed") ? strstr(out, "Malformed") - 200
			 : strstr(out, "[incorrect") ? strstr(out, "[incorrect") - 400
			 : strstr(out, "Expert Info (Error") - 400);
	/* Digests were checked: every PDU but the IC pair carries them. */
	assert_true(count(out, "PDU Header Digest: 0x") >= 30);
	assert_int_equal(count(out, "PDU Header Digest: 0x"),
			 count(out, "[correct]") - count(out, "PDU Data Digest: 0x"));
	assert_true(count(out, "PDU Data Digest: 0x") >= 6);
	/* Every PDU of the session was decoded as what it is. */
	assert_int_equal(count(out, "Pdu Type: ICResp (1)"), 2);
	assert_int_equal(count(out, "Pdu Type: CapsuleCommand (4)"), 14);
	assert_int_equal(count(out, "Pdu Type: CapsuleResponse (5)"), 14);
	assert_int_equal(count(out, "Pdu Type: Ready To Transfer (9)"), 1);
	assert_int_equal(count(out, "Pdu Type: H2CData (6)"), 1);
	assert_int_equal(count(out, "Pdu Type: C2HData (7)"), 4);
	if (!getenv("TH_KEEP_PCAP"))
		unlink(pcap);
	else
		print_message("pcap kept: %s\n", pcap);
	free(out);
}

static int setup(void **state)
{
	tf_start(&F, 9, NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	tf_stop(&F);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tshark_session),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
