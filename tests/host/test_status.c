/* NVMe status text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#ifdef NVMF_HAVE_LIBNVME_TYPES
/* libnvme's transcription of the status codes, to compare with. First:
 * <nvmf/nvmf.h> defines nothing it has. */
#include <nvme/types.h>
#endif

#include "host/host.h"

static void test_status(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(nvmf_status_str(0), "Successful Completion");
	assert_string_equal(nvmf_status_str(NVMF_SF(0, 0x02, 0)), "Invalid Field in Command");
	assert_string_equal(nvmf_status_str(NVMF_SF(0, 0x80, 0)), "LBA Out of Range");
	assert_string_equal(nvmf_status_str(NVMF_SF(0, 0x22, 0)), "Transient Transport Error");
	assert_non_null(strstr(nvmf_status_str(NVMF_SF(1, 0x82, 1)), "Connect Invalid Parameters"));
	assert_string_equal(nvmf_status_str(NVMF_SF(2, 0x81, 0)), "Unrecovered Read Error");
	assert_string_equal(nvmf_status_str(NVMF_SF(3, 0x71, 0)), "Command Aborted By Host");
	assert_string_equal(nvmf_status_str(NVMF_SF(7, 0x10, 0)), "Vendor Specific");
	assert_string_equal(nvmf_status_str(NVMF_SF(0, 0x7f, 0)), "Unknown Status");
	assert_string_equal(nvmf_status_str(NVMF_SF(5, 0x00, 0)), "Unknown Status");

	assert_int_equal(NVMF_SF_SCT(NVMF_SF(1, 0x82, 1)), 1);
	assert_int_equal(NVMF_SF_SC(NVMF_SF(1, 0x82, 1)), 0x82);
	assert_true(NVMF_SF_DNR(NVMF_SF(1, 0x82, 1)));
	assert_false(NVMF_SF_DNR(NVMF_SF(1, 0x82, 0)));

	nvmf_status_format(NVMF_SF(0, 0x02, 1), buf, sizeof(buf));
	assert_string_equal(buf, "Invalid Field in Command (SCT 0h SC 02h, DNR)");
	nvmf_status_format(NVMF_SF(0, 0x80, 0) | 0x2000, buf, sizeof(buf));
	assert_string_equal(buf, "LBA Out of Range (SCT 0h SC 80h, MORE)");
	nvmf_status_format(NVMF_SF(0, 0x02, 1), buf, 8);
	assert_int_equal(strlen(buf), 7);
}

/*
 * Fabrics command specific status values (NVMe over Fabrics 1.1, Figure 21;
 * Base 2.0, Figure 103): 80h-85h, then Discover Restart 90h and
 * Authentication Required 91h; 86h and 87h are not defined.
 */
static void test_fabrics_status(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(nvmf_status_str(NVMF_SF(1, 0x90, 0)), "Discover Restart");
	assert_string_equal(nvmf_status_str(NVMF_SF(1, 0x91, 1)), "Authentication Required");
	assert_string_equal(nvmf_status_str(NVMF_SF(1, 0x86, 0)), "Unknown Status");
	assert_string_equal(nvmf_status_str(NVMF_SF(1, 0x87, 0)), "Unknown Status");
	assert_string_equal(nvmf_status_str(NVMF_SF(1, 0x84, 0)), "Connect Invalid Host");
	/* The shared codes give the NVM name, then Connect's after " / ". */
	assert_string_equal(nvmf_status_str(NVMF_SF(1, 0x83, 0)),
			    "Command Size Limit Exceeded / Connect Restart Discovery");
	nvmf_status_format(NVMF_SF(1, 0x91, 1), buf, sizeof(buf));
	assert_string_equal(buf, "Authentication Required (SCT 1h SC 91h, DNR)");
	/* A failed command's text knows which one applies (dispatch.c). */
	host_status_format(NVMF_SF(1, 0x82, 1), NVMF_NVM_WRITE, buf, sizeof(buf));
	assert_string_equal(buf, "Attempted Write to Read Only Range (SCT 1h SC 82h, DNR)");
	host_status_format(NVMF_SF(1, 0x82, 1), NVMF_ADM_FABRICS, buf, sizeof(buf));
	assert_string_equal(buf, "Connect Invalid Parameters (SCT 1h SC 82h, DNR)");
	host_status_format(NVMF_SF(1, 0x80, 0), NVMF_NVM_READ, buf, sizeof(buf));
	assert_string_equal(buf, "Conflicting Attributes (SCT 1h SC 80h)");
	host_status_format(NVMF_SF(1, 0x83, 0), NVMF_ADM_FABRICS, buf, sizeof(buf));
	assert_string_equal(buf, "Connect Restart Discovery (SCT 1h SC 83h)");
	host_status_format(NVMF_SF(1, 0x84, 0), NVMF_NVM_WRITE, buf, sizeof(buf));
	assert_string_equal(buf, "Connect Invalid Host (SCT 1h SC 84h)");
	host_status_format(NVMF_SF(0, 0x80, 0), NVMF_NVM_WRITE, buf, sizeof(buf));
	assert_string_equal(buf, "LBA Out of Range (SCT 0h SC 80h)");
#ifdef NVMF_HAVE_LIBNVME_TYPES
	assert_string_equal(nvmf_status_str(NVMF_SF(NVME_SCT_CMD_SPECIFIC,
							NVME_SC_DISCOVERY_RESTART, 0)),
			    "Discover Restart");
	assert_string_equal(nvmf_status_str(NVMF_SF(NVME_SCT_CMD_SPECIFIC,
							NVME_SC_AUTH_REQUIRED, 0)),
			    "Authentication Required");
	assert_non_null(strstr(nvmf_status_str(NVMF_SF(NVME_SCT_CMD_SPECIFIC,
							   NVME_SC_CONNECT_RESTART_DISC, 0)),
			       "Connect Restart Discovery"));
	assert_string_equal(nvmf_status_str(NVMF_SF(NVME_SCT_CMD_SPECIFIC,
							NVME_SC_CONNECT_INVALID_HOST, 0)),
			    "Connect Invalid Host");
#endif
}

static void test_disc_names(void **state)
{
	(void)state;
	assert_string_equal(nvmf_disc_trtype_str(3), "tcp");
	assert_string_equal(nvmf_disc_adrfam_str(2), "ipv6");
	assert_string_equal(nvmf_disc_subtype_str(1), "referral");
	assert_string_equal(nvmf_disc_subtype_str(9), "unknown");
}

/*
 * The status encodings' old names stay for one release as aliases of the
 * new ones: the word helpers (phase included) and the field macros.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void test_deprecated_status_names(void **state)
{
	/* A status word: phase 1, SCT 1h, SC 82h, DNR. */
	uint16_t w = (uint16_t)(1u | (0x82u << 1) | (1u << 9) | 0x8000u);
	uint16_t f = NVMF_SF(1, 0x82, 1);

	(void)state;
	assert_int_equal(nvmf_status_sc(w), nvmf_cqe_status_sc(w));
	assert_int_equal(nvmf_status_sct(w), nvmf_cqe_status_sct(w));
	assert_int_equal(nvmf_status_dnr(w), nvmf_cqe_status_dnr(w));
	assert_int_equal(nvmf_status_p(w), 1);
	assert_int_equal(nvmf_status_code(w), 0x182);
	assert_false(nvmf_status_ok(w));
	assert_int_equal(nvmf_status_make(0x182, 1), nvmf_cqe_status_make(0x182, 1));
	assert_int_equal(NVMF_STATUS_DNR, NVMF_CQE_STATUS_DNR);
	assert_int_equal(NVMF_STATUS(1, 0x82, 1), f);
	assert_int_equal(NVMF_SC(f), 0x82);
	assert_int_equal(NVMF_SCT(f), 1);
	assert_true(NVMF_DNR(f));
	/* The two encodings of the same status. */
	assert_int_equal(NVMF_SF_SC(f), nvmf_cqe_status_sc(w));
	assert_int_equal(NVMF_SF_SCT(f), nvmf_cqe_status_sct(w));
	assert_int_equal(NVMF_SF_DNR(f), nvmf_cqe_status_dnr(w));
	assert_int_equal(f, (uint16_t)(w >> 1));
}
#pragma GCC diagnostic pop

static void test_errors(void **state)
{
	(void)state;
	host_err_clear();
	assert_string_equal(nvmf_get_error(), "");
	assert_int_equal(nvmf_get_errno(), 0);
	assert_int_equal(host_err(5, "thing %d failed", 3), -5);
	assert_string_equal(nvmf_get_error(), "thing 3 failed");
	assert_int_equal(nvmf_get_errno(), 5);
	assert_int_equal(host_err_status(-5, 0x4002, "cmd"), -5);
	assert_int_equal(nvmf_get_status(), 0x4002);
	assert_string_equal(nvmf_version(), NVMF_TEST_PROJECT_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_fabrics_status),
		cmocka_unit_test(test_disc_names),
		cmocka_unit_test(test_deprecated_status_names),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
