// The public wire headers used from C++: they must compile as C++11, keep
// their C linkage and layouts, and their inline helpers must link and give
// the same answers as in C.
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
#include <cstring>
// cmocka 1.1 declares its functions without C linkage for C++.
extern "C" {
#include <cmocka.h>
}

#include <nvmf/endian.h>
#include <nvmf/nvme.h>
#include <nvmf/nvme_tcp.h>

static_assert(sizeof(nvmf_sqe) == 64, "SQE from C++");
static_assert(sizeof(nvmf_cqe) == 16, "CQE from C++");
static_assert(sizeof(nvmf_id_ctrl) == 4096, "Identify Controller from C++");
static_assert(sizeof(nvmf_id_ns) == 4096, "Identify Namespace from C++");
static_assert(sizeof(nvmf_connect_payload) == 1024, "Connect data from C++");
static_assert(sizeof(nvmf_disc_entry) == 1024, "discovery entry from C++");
static_assert(offsetof(nvmf_id_ctrl, subnqn) == 768, "id_ctrl.SUBNQN from C++");
static_assert(offsetof(nvmf_disc_entry, tsas) == 768, "discovery TSAS from C++");
static_assert(sizeof(nvmf_tcp_capsule_cmd) == 72, "CapsuleCmd from C++");

static void test_cxx_helpers(void **state)
{
	(void)state;
	const uint8_t status_le[2] = { 0x05, 0xA3 };
	nvmf_cqe cqe;
	std::memset(&cqe, 0, sizeof(cqe));
	std::memcpy(&cqe.status, status_le, 2);
	uint16_t s = nvmf_cqe_status(&cqe);
	assert_int_equal(nvmf_cqe_status_code(s), NVMF_SC_CONNECT_INVALID_PARAMS);
	assert_int_equal(nvmf_cqe_status_dnr(s), 1);

	nvmf_sqe sqe;
	std::memset(&sqe, 0, sizeof(sqe));
	nvmf_sqe_set_slba(&sqe, 0x0000000A00000001ull);
	sqe.cdw12 = nvmf_htole32(nvmf_rw_cdw12(16, NVMF_RW_FUA));
	const uint8_t *p = reinterpret_cast<const uint8_t *>(&sqe);
	assert_int_equal(nvmf_get_le32(p + 40), 1);
	assert_int_equal(nvmf_get_le32(p + 44), 10);
	assert_int_equal(nvmf_get_le32(p + 48), 0x4000000Fu);
	assert_int_equal(nvmf_sqe_nblocks(&sqe), 16);

	assert_int_equal(nvmf_cc_make(NVMF_CC_CSS_NVM, 0, 0, 6, 4), 0x00460001u);
	assert_int_equal(nvmf_aer_lid(0x00040002u), NVMF_LID_CHANGED_NS);
	assert_string_equal(NVMF_DISCOVERY_NQN, "nqn.2014-08.org.nvmexpress.discovery");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx_helpers),
	};
	return cmocka_run_group_tests_name("wire_cxx", tests, NULL, NULL);
}
