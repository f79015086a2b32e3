/*
 * Wire layout of <nvmf/nvme.h>.
 *
 * Three kinds of checks:
 *  - every structure's size and field offsets against the numbers of the
 *    specification (NVMe Base 2.0, NVM Command Set 1.0), written out here by
 *    hand so that a misplaced field shows up even where the header's own
 *    static assertions do not reach;
 *  - the same structures and constants against libnvme's <nvme/types.h>,
 *    an independent transcription of the same specification (Linux only:
 *    built when the header exists, see CMakeLists.txt);
 *  - the helpers, decoding hand-made byte buffers into known values.
 * Including both headers in this one translation unit is itself the check
 * that an application can use them together.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#ifdef NVMF_HAVE_LIBNVME_TYPES
#include <stdbool.h>
#include <nvme/types.h>
#endif
#include <nvmf/nvme.h>
#include <nvmf/nvme_tcp.h>

#define FSIZE(T, f) sizeof(((T *)0)->f)

struct field_check {
	const char *name;
	size_t off, want_off;
	size_t size, want_size;
};

/* A field against its specification offset and size. */
#define SPEC(T, f, o, s) { #T "." #f, offsetof(T, f), (o), FSIZE(T, f), (s) }
/* The size of a whole structure. */
#define SIZE(T, s) { "sizeof " #T, 0, 0, sizeof(T), (s) }
/* A field against the libnvme field of another name. */
#define LIB(T, f, LT, lf) { #T "." #f " vs " #LT "." #lf, offsetof(T, f), offsetof(LT, lf), \
			    FSIZE(T, f), FSIZE(LT, lf) }
/* Same field name on both sides. */
#define LIBS(T, LT, f) LIB(T, f, LT, f)
#define LIBSIZE(T, LT) { "sizeof " #T " vs " #LT, 0, 0, sizeof(T), sizeof(LT) }

/* Reports every mismatch of a table, then fails if there was one. */
static void check_table(const char *what, const struct field_check *t, size_t n)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		if (t[i].off != t[i].want_off || t[i].size != t[i].want_size) {
			print_error("%s: %s at %zu size %zu, expected at %zu size %zu\n", what,
				    t[i].name, t[i].off, t[i].size, t[i].want_off, t[i].want_size);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

#define CHECK_TABLE(t) check_table(__func__, t, sizeof(t) / sizeof((t)[0]))

typedef struct nvmf_sqe sqe_t;
typedef struct nvmf_cqe cqe_t;
typedef struct nvmf_sgl_desc sgl_t;
typedef struct nvmf_keyed_sgl_desc ksgl_t;
typedef struct nvmf_connect_cmd conn_t;
typedef struct nvmf_connect_payload cdata_t;
typedef struct nvmf_prop_set_cmd pset_t;
typedef struct nvmf_prop_get_cmd pget_t;
typedef struct nvmf_disconnect_cmd disc_cmd_t;
typedef struct nvmf_auth_send_cmd asend_t;
typedef struct nvmf_auth_recv_cmd arecv_t;
typedef struct nvmf_fabrics_cmd fab_t;
typedef struct nvmf_id_ctrl idc_t;
typedef struct nvmf_id_ns idn_t;
typedef struct nvmf_id_psd psd_t;
typedef struct nvmf_lbaf lbaf_t;
typedef struct nvmf_error_log_entry err_t;
typedef struct nvmf_smart_log smart_t;
typedef struct nvmf_fw_slot_log fw_t;
typedef struct nvmf_disc_log_hdr dhdr_t;
typedef struct nvmf_disc_entry dent_t;
typedef struct nvmf_dsm_range dsm_t;
typedef struct nvmf_ns_id_desc nid_t;

/* ---- against the specification ---------------------------------------- */

/* NVMe Base 2.0 Figure 88 (SQE), Figure 90 (CQE), 4.1.2 (SGL descriptors). */
static void test_spec_sqe_cqe(void **state)
{
	static const struct field_check t[] = {
		SIZE(sqe_t, 64),
		SPEC(sqe_t, opcode, 0, 1), SPEC(sqe_t, flags, 1, 1), SPEC(sqe_t, cid, 2, 2),
		SPEC(sqe_t, nsid, 4, 4), SPEC(sqe_t, cdw2, 8, 4), SPEC(sqe_t, cdw3, 12, 4),
		SPEC(sqe_t, mptr, 16, 8), SPEC(sqe_t, dptr, 24, 16),
		SPEC(sqe_t, dptr.sgl.addr, 24, 8), SPEC(sqe_t, dptr.sgl.length, 32, 4),
		SPEC(sqe_t, dptr.sgl.id, 39, 1), SPEC(sqe_t, dptr.prp.prp2, 32, 8),
		SPEC(sqe_t, cdw10, 40, 4), SPEC(sqe_t, cdw11, 44, 4), SPEC(sqe_t, cdw12, 48, 4),
		SPEC(sqe_t, cdw13, 52, 4), SPEC(sqe_t, cdw14, 56, 4), SPEC(sqe_t, cdw15, 60, 4),
		SIZE(sgl_t, 16), SPEC(sgl_t, addr, 0, 8), SPEC(sgl_t, length, 8, 4), SPEC(sgl_t, id, 15, 1),
		SIZE(ksgl_t, 16), SPEC(ksgl_t, length, 8, 3), SPEC(ksgl_t, key, 11, 4), SPEC(ksgl_t, id, 15, 1),
		SIZE(cqe_t, 16),
		SPEC(cqe_t, dw0, 0, 4), SPEC(cqe_t, dw1, 4, 4), SPEC(cqe_t, sqhd, 8, 2),
		SPEC(cqe_t, sqid, 10, 2), SPEC(cqe_t, cid, 12, 2), SPEC(cqe_t, status, 14, 2),
		SIZE(dsm_t, 16), SPEC(dsm_t, cattr, 0, 4), SPEC(dsm_t, nlb, 4, 4), SPEC(dsm_t, slba, 8, 8),
	};
	(void)state;
	CHECK_TABLE(t);
}

/* NVMe Base 2.0 section 6: Fabrics command capsules and Connect data. */
static void test_spec_fabrics(void **state)
{
	static const struct field_check t[] = {
		SIZE(fab_t, 64), SPEC(fab_t, fctype, 4, 1), SPEC(fab_t, dptr, 24, 16), SPEC(fab_t, fcs, 40, 24),
		SIZE(conn_t, 64),
		SPEC(conn_t, opcode, 0, 1), SPEC(conn_t, cid, 2, 2), SPEC(conn_t, fctype, 4, 1),
		SPEC(conn_t, dptr, 24, 16), SPEC(conn_t, recfmt, 40, 2), SPEC(conn_t, qid, 42, 2),
		SPEC(conn_t, sqsize, 44, 2), SPEC(conn_t, cattr, 46, 1), SPEC(conn_t, kato, 48, 4),
		SIZE(cdata_t, 1024),
		SPEC(cdata_t, hostid, 0, 16), SPEC(cdata_t, cntlid, 16, 2),
		SPEC(cdata_t, subnqn, 256, 256), SPEC(cdata_t, hostnqn, 512, 256),
		SIZE(pset_t, 64),
		SPEC(pset_t, fctype, 4, 1), SPEC(pset_t, attrib, 40, 1), SPEC(pset_t, ofst, 44, 4),
		SPEC(pset_t, value, 48, 8),
		SIZE(pget_t, 64),
		SPEC(pget_t, fctype, 4, 1), SPEC(pget_t, attrib, 40, 1), SPEC(pget_t, ofst, 44, 4),
		SIZE(disc_cmd_t, 64), SPEC(disc_cmd_t, fctype, 4, 1), SPEC(disc_cmd_t, recfmt, 40, 2),
		SIZE(asend_t, 64),
		SPEC(asend_t, dptr, 24, 16), SPEC(asend_t, spsp0, 41, 1), SPEC(asend_t, spsp1, 42, 1),
		SPEC(asend_t, secp, 43, 1), SPEC(asend_t, tl, 44, 4),
		SIZE(arecv_t, 64),
		SPEC(arecv_t, dptr, 24, 16), SPEC(arecv_t, spsp0, 41, 1), SPEC(arecv_t, spsp1, 42, 1),
		SPEC(arecv_t, secp, 43, 1), SPEC(arecv_t, al, 44, 4),
	};
	(void)state;
	CHECK_TABLE(t);
}

/* NVMe Base 2.0 Figure 275 (Identify Controller). */
static void test_spec_id_ctrl(void **state)
{
	static const struct field_check t[] = {
		SIZE(idc_t, 4096), SIZE(psd_t, 32),
		SPEC(idc_t, vid, 0, 2), SPEC(idc_t, ssvid, 2, 2), SPEC(idc_t, sn, 4, 20),
		SPEC(idc_t, mn, 24, 40), SPEC(idc_t, fr, 64, 8), SPEC(idc_t, rab, 72, 1),
		SPEC(idc_t, ieee, 73, 3), SPEC(idc_t, cmic, 76, 1), SPEC(idc_t, mdts, 77, 1),
		SPEC(idc_t, cntlid, 78, 2), SPEC(idc_t, ver, 80, 4), SPEC(idc_t, rtd3r, 84, 4),
		SPEC(idc_t, rtd3e, 88, 4), SPEC(idc_t, oaes, 92, 4), SPEC(idc_t, ctratt, 96, 4),
		SPEC(idc_t, rrls, 100, 2), SPEC(idc_t, cntrltype, 111, 1), SPEC(idc_t, fguid, 112, 16),
		SPEC(idc_t, crdt1, 128, 2), SPEC(idc_t, crdt3, 132, 2), SPEC(idc_t, nvmsr, 253, 1),
		SPEC(idc_t, vwci, 254, 1), SPEC(idc_t, mec, 255, 1),
		SPEC(idc_t, oacs, 256, 2), SPEC(idc_t, acl, 258, 1), SPEC(idc_t, aerl, 259, 1),
		SPEC(idc_t, frmw, 260, 1), SPEC(idc_t, lpa, 261, 1), SPEC(idc_t, elpe, 262, 1),
		SPEC(idc_t, npss, 263, 1), SPEC(idc_t, avscc, 264, 1), SPEC(idc_t, apsta, 265, 1),
		SPEC(idc_t, wctemp, 266, 2), SPEC(idc_t, cctemp, 268, 2), SPEC(idc_t, mtfa, 270, 2),
		SPEC(idc_t, hmpre, 272, 4), SPEC(idc_t, hmmin, 276, 4), SPEC(idc_t, tnvmcap, 280, 16),
		SPEC(idc_t, unvmcap, 296, 16), SPEC(idc_t, rpmbs, 312, 4), SPEC(idc_t, edstt, 316, 2),
		SPEC(idc_t, dsto, 318, 1), SPEC(idc_t, fwug, 319, 1), SPEC(idc_t, kas, 320, 2),
		SPEC(idc_t, hctma, 322, 2), SPEC(idc_t, sanicap, 328, 4), SPEC(idc_t, hmminds, 332, 4),
		SPEC(idc_t, hmmaxd, 336, 2), SPEC(idc_t, nsetidmax, 338, 2), SPEC(idc_t, endgidmax, 340, 2),
		SPEC(idc_t, anatt, 342, 1), SPEC(idc_t, anacap, 343, 1), SPEC(idc_t, anagrpmax, 344, 4),
		SPEC(idc_t, nanagrpid, 348, 4), SPEC(idc_t, pels, 352, 4), SPEC(idc_t, domainid, 356, 2),
		SPEC(idc_t, megcap, 368, 16),
		SPEC(idc_t, sqes, 512, 1), SPEC(idc_t, cqes, 513, 1), SPEC(idc_t, maxcmd, 514, 2),
		SPEC(idc_t, nn, 516, 4), SPEC(idc_t, oncs, 520, 2), SPEC(idc_t, fuses, 522, 2),
		SPEC(idc_t, fna, 524, 1), SPEC(idc_t, vwc, 525, 1), SPEC(idc_t, awun, 526, 2),
		SPEC(idc_t, awupf, 528, 2), SPEC(idc_t, icsvscc, 530, 1), SPEC(idc_t, nwpc, 531, 1),
		SPEC(idc_t, acwu, 532, 2), SPEC(idc_t, ocfs, 534, 2), SPEC(idc_t, sgls, 536, 4),
		SPEC(idc_t, mnan, 540, 4), SPEC(idc_t, maxdna, 544, 16), SPEC(idc_t, maxcna, 560, 4),
		SPEC(idc_t, subnqn, 768, 256),
		SPEC(idc_t, ioccsz, 1792, 4), SPEC(idc_t, iorcsz, 1796, 4), SPEC(idc_t, icdoff, 1800, 2),
		SPEC(idc_t, fcatt, 1802, 1), SPEC(idc_t, msdbd, 1803, 1), SPEC(idc_t, ofcs, 1804, 2),
		SPEC(idc_t, dctype, 1806, 1),
		SPEC(idc_t, psd, 2048, 1024), SPEC(idc_t, psd[1], 2080, 32), SPEC(idc_t, vs, 3072, 1024),
		SPEC(psd_t, mp, 0, 2), SPEC(psd_t, flags, 3, 1), SPEC(psd_t, enlat, 4, 4),
		SPEC(psd_t, exlat, 8, 4), SPEC(psd_t, rrt, 12, 1), SPEC(psd_t, idlp, 16, 2),
		SPEC(psd_t, ips, 18, 1), SPEC(psd_t, actp, 20, 2), SPEC(psd_t, apws, 22, 1),
	};
	(void)state;
	CHECK_TABLE(t);
}

/* NVM Command Set 1.0 Figure 97 (Identify Namespace), 98 (LBA format). */
static void test_spec_id_ns(void **state)
{
	static const struct field_check t[] = {
		SIZE(idn_t, 4096), SIZE(lbaf_t, 4), SIZE(nid_t, 4),
		SPEC(idn_t, nsze, 0, 8), SPEC(idn_t, ncap, 8, 8), SPEC(idn_t, nuse, 16, 8),
		SPEC(idn_t, nsfeat, 24, 1), SPEC(idn_t, nlbaf, 25, 1), SPEC(idn_t, flbas, 26, 1),
		SPEC(idn_t, mc, 27, 1), SPEC(idn_t, dpc, 28, 1), SPEC(idn_t, dps, 29, 1),
		SPEC(idn_t, nmic, 30, 1), SPEC(idn_t, rescap, 31, 1), SPEC(idn_t, fpi, 32, 1),
		SPEC(idn_t, dlfeat, 33, 1), SPEC(idn_t, nawun, 34, 2), SPEC(idn_t, nawupf, 36, 2),
		SPEC(idn_t, nacwu, 38, 2), SPEC(idn_t, nabsn, 40, 2), SPEC(idn_t, nabo, 42, 2),
		SPEC(idn_t, nabspf, 44, 2), SPEC(idn_t, noiob, 46, 2), SPEC(idn_t, nvmcap, 48, 16),
		SPEC(idn_t, npwg, 64, 2), SPEC(idn_t, npwa, 66, 2), SPEC(idn_t, npdg, 68, 2),
		SPEC(idn_t, npda, 70, 2), SPEC(idn_t, nows, 72, 2), SPEC(idn_t, mssrl, 74, 2),
		SPEC(idn_t, mcl, 76, 4), SPEC(idn_t, msrc, 80, 1), SPEC(idn_t, nulbaf, 82, 1),
		SPEC(idn_t, anagrpid, 92, 4), SPEC(idn_t, nsattr, 99, 1), SPEC(idn_t, nvmsetid, 100, 2),
		SPEC(idn_t, endgid, 102, 2), SPEC(idn_t, nguid, 104, 16), SPEC(idn_t, eui64, 120, 8),
		SPEC(idn_t, lbaf, 128, 256), SPEC(idn_t, lbaf[1], 132, 4), SPEC(idn_t, lbaf[63], 380, 4),
		SPEC(idn_t, vs, 384, 3712),
		SPEC(lbaf_t, ms, 0, 2), SPEC(lbaf_t, lbads, 2, 1), SPEC(lbaf_t, rp, 3, 1),
		SPEC(nid_t, nidt, 0, 1), SPEC(nid_t, nidl, 1, 1),
	};
	(void)state;
	CHECK_TABLE(t);
}

/* NVMe Base 2.0 Figures 198 (error), 207 (SMART), 208 (FW slot), 5.16.1.23 (discovery). */
static void test_spec_logs(void **state)
{
	static const struct field_check t[] = {
		SIZE(err_t, 64),
		SPEC(err_t, error_count, 0, 8), SPEC(err_t, sqid, 8, 2), SPEC(err_t, cid, 10, 2),
		SPEC(err_t, status, 12, 2), SPEC(err_t, pel, 14, 2), SPEC(err_t, lba, 16, 8),
		SPEC(err_t, nsid, 24, 4), SPEC(err_t, vsia, 28, 1), SPEC(err_t, trtype, 29, 1),
		SPEC(err_t, csi, 32, 8), SPEC(err_t, ttsi, 40, 2),
		SIZE(smart_t, 512),
		SPEC(smart_t, critical_warning, 0, 1), SPEC(smart_t, temperature, 1, 2),
		SPEC(smart_t, avail_spare, 3, 1), SPEC(smart_t, spare_thresh, 4, 1),
		SPEC(smart_t, percent_used, 5, 1), SPEC(smart_t, endu_grp_crit_warn, 6, 1),
		SPEC(smart_t, data_units_read, 32, 16), SPEC(smart_t, data_units_written, 48, 16),
		SPEC(smart_t, host_reads, 64, 16), SPEC(smart_t, host_writes, 80, 16),
		SPEC(smart_t, ctrl_busy_time, 96, 16), SPEC(smart_t, power_cycles, 112, 16),
		SPEC(smart_t, power_on_hours, 128, 16), SPEC(smart_t, unsafe_shutdowns, 144, 16),
		SPEC(smart_t, media_errors, 160, 16), SPEC(smart_t, num_err_log_entries, 176, 16),
		SPEC(smart_t, warning_temp_time, 192, 4), SPEC(smart_t, critical_comp_time, 196, 4),
		SPEC(smart_t, temp_sensor, 200, 16), SPEC(smart_t, thm_temp1_trans_count, 216, 4),
		SPEC(smart_t, thm_temp2_trans_count, 220, 4), SPEC(smart_t, thm_temp1_total_time, 224, 4),
		SPEC(smart_t, thm_temp2_total_time, 228, 4),
		SIZE(fw_t, 512), SPEC(fw_t, afi, 0, 1), SPEC(fw_t, frs, 8, 56), SPEC(fw_t, frs[6], 56, 8),
		SIZE(struct nvmf_changed_ns_log, 4096),
		SIZE(dhdr_t, 1024),
		SPEC(dhdr_t, genctr, 0, 8), SPEC(dhdr_t, numrec, 8, 8), SPEC(dhdr_t, recfmt, 16, 2),
		SIZE(dent_t, 1024),
		SPEC(dent_t, trtype, 0, 1), SPEC(dent_t, adrfam, 1, 1), SPEC(dent_t, subtype, 2, 1),
		SPEC(dent_t, treq, 3, 1), SPEC(dent_t, portid, 4, 2), SPEC(dent_t, cntlid, 6, 2),
		SPEC(dent_t, asqsz, 8, 2), SPEC(dent_t, eflags, 10, 2), SPEC(dent_t, trsvcid, 32, 32),
		SPEC(dent_t, subnqn, 256, 256), SPEC(dent_t, traddr, 512, 256),
		SPEC(dent_t, tsas, 768, 256), SPEC(dent_t, tsas.tcp.sectype, 768, 1),
		SPEC(dent_t, tsas.rdma.pkey, 776, 2),
	};
	(void)state;
	CHECK_TABLE(t);
}

/* ---- against libnvme --------------------------------------------------- */
#ifdef NVMF_HAVE_LIBNVME_TYPES

static void test_lib_id_ctrl(void **state)
{
	typedef struct nvme_id_ctrl L;
	static const struct field_check t[] = {
		LIBSIZE(idc_t, L), LIBSIZE(psd_t, struct nvme_id_psd),
		LIBS(idc_t, L, vid), LIBS(idc_t, L, ssvid), LIBS(idc_t, L, sn), LIBS(idc_t, L, mn),
		LIBS(idc_t, L, fr), LIBS(idc_t, L, rab), LIBS(idc_t, L, ieee), LIBS(idc_t, L, cmic),
		LIBS(idc_t, L, mdts), LIBS(idc_t, L, cntlid), LIBS(idc_t, L, ver), LIBS(idc_t, L, rtd3r),
		LIBS(idc_t, L, rtd3e), LIBS(idc_t, L, oaes), LIBS(idc_t, L, ctratt), LIBS(idc_t, L, rrls),
		LIBS(idc_t, L, cntrltype), LIBS(idc_t, L, fguid), LIBS(idc_t, L, crdt1),
		LIBS(idc_t, L, crdt2), LIBS(idc_t, L, crdt3), LIBS(idc_t, L, nvmsr), LIBS(idc_t, L, vwci),
		LIBS(idc_t, L, mec), LIBS(idc_t, L, oacs), LIBS(idc_t, L, acl), LIBS(idc_t, L, aerl),
		LIBS(idc_t, L, frmw), LIBS(idc_t, L, lpa), LIBS(idc_t, L, elpe), LIBS(idc_t, L, npss),
		LIBS(idc_t, L, avscc), LIBS(idc_t, L, apsta), LIBS(idc_t, L, wctemp),
		LIBS(idc_t, L, cctemp), LIBS(idc_t, L, mtfa), LIBS(idc_t, L, hmpre), LIBS(idc_t, L, hmmin),
		LIBS(idc_t, L, tnvmcap), LIBS(idc_t, L, unvmcap), LIBS(idc_t, L, rpmbs),
		LIBS(idc_t, L, edstt), LIBS(idc_t, L, dsto), LIBS(idc_t, L, fwug), LIBS(idc_t, L, kas),
		LIBS(idc_t, L, hctma), LIBS(idc_t, L, mntmt), LIBS(idc_t, L, mxtmt),
		LIBS(idc_t, L, sanicap), LIBS(idc_t, L, hmminds), LIBS(idc_t, L, hmmaxd),
		LIBS(idc_t, L, nsetidmax), LIBS(idc_t, L, endgidmax), LIBS(idc_t, L, anatt),
		LIBS(idc_t, L, anacap), LIBS(idc_t, L, anagrpmax), LIBS(idc_t, L, nanagrpid),
		LIBS(idc_t, L, pels), LIBS(idc_t, L, domainid), LIBS(idc_t, L, megcap),
		LIBS(idc_t, L, sqes), LIBS(idc_t, L, cqes), LIBS(idc_t, L, maxcmd), LIBS(idc_t, L, nn),
		LIBS(idc_t, L, oncs), LIBS(idc_t, L, fuses), LIBS(idc_t, L, fna), LIBS(idc_t, L, vwc),
		LIBS(idc_t, L, awun), LIBS(idc_t, L, awupf), LIBS(idc_t, L, icsvscc),
		LIBS(idc_t, L, nwpc), LIBS(idc_t, L, acwu), LIBS(idc_t, L, ocfs), LIBS(idc_t, L, sgls),
		LIBS(idc_t, L, mnan), LIBS(idc_t, L, maxdna), LIBS(idc_t, L, maxcna),
		LIBS(idc_t, L, subnqn), LIBS(idc_t, L, ioccsz), LIBS(idc_t, L, iorcsz),
		LIBS(idc_t, L, icdoff), LIBS(idc_t, L, fcatt), LIBS(idc_t, L, msdbd),
		LIBS(idc_t, L, ofcs), LIBS(idc_t, L, dctype), LIBS(idc_t, L, psd), LIBS(idc_t, L, vs),
		LIBS(psd_t, struct nvme_id_psd, mp), LIBS(psd_t, struct nvme_id_psd, flags),
		LIBS(psd_t, struct nvme_id_psd, enlat), LIBS(psd_t, struct nvme_id_psd, exlat),
		LIBS(psd_t, struct nvme_id_psd, rrt), LIBS(psd_t, struct nvme_id_psd, rrl),
		LIBS(psd_t, struct nvme_id_psd, rwt), LIBS(psd_t, struct nvme_id_psd, rwl),
		LIBS(psd_t, struct nvme_id_psd, idlp), LIBS(psd_t, struct nvme_id_psd, ips),
		LIBS(psd_t, struct nvme_id_psd, actp), LIBS(psd_t, struct nvme_id_psd, apws),
	};
	(void)state;
	CHECK_TABLE(t);
}

static void test_lib_id_ns(void **state)
{
	typedef struct nvme_id_ns L;
	static const struct field_check t[] = {
		LIBSIZE(idn_t, L), LIBSIZE(lbaf_t, struct nvme_lbaf),
		LIBSIZE(nid_t, struct nvme_ns_id_desc),
		LIBS(idn_t, L, nsze), LIBS(idn_t, L, ncap), LIBS(idn_t, L, nuse), LIBS(idn_t, L, nsfeat),
		LIBS(idn_t, L, nlbaf), LIBS(idn_t, L, flbas), LIBS(idn_t, L, mc), LIBS(idn_t, L, dpc),
		LIBS(idn_t, L, dps), LIBS(idn_t, L, nmic), LIBS(idn_t, L, rescap), LIBS(idn_t, L, fpi),
		LIBS(idn_t, L, dlfeat), LIBS(idn_t, L, nawun), LIBS(idn_t, L, nawupf),
		LIBS(idn_t, L, nacwu), LIBS(idn_t, L, nabsn), LIBS(idn_t, L, nabo),
		LIBS(idn_t, L, nabspf), LIBS(idn_t, L, noiob), LIBS(idn_t, L, nvmcap),
		LIBS(idn_t, L, npwg), LIBS(idn_t, L, npwa), LIBS(idn_t, L, npdg), LIBS(idn_t, L, npda),
		LIBS(idn_t, L, nows), LIBS(idn_t, L, mssrl), LIBS(idn_t, L, mcl), LIBS(idn_t, L, msrc),
		LIBS(idn_t, L, nulbaf), LIBS(idn_t, L, anagrpid), LIBS(idn_t, L, nsattr),
		LIBS(idn_t, L, nvmsetid), LIBS(idn_t, L, endgid), LIBS(idn_t, L, nguid),
		LIBS(idn_t, L, eui64), LIBS(idn_t, L, lbaf),
		/* libnvme 1.3 names bytes 384..391 LBSTM; NVM Command Set 1.0 leaves them vendor specific */
		{ "nvmf_id_ns.vs vs nvme_id_ns.lbstm", offsetof(idn_t, vs), offsetof(L, lbstm), 0, 0 },
		LIBS(lbaf_t, struct nvme_lbaf, ms), LIB(lbaf_t, lbads, struct nvme_lbaf, ds),
		LIBS(lbaf_t, struct nvme_lbaf, rp),
		LIBS(nid_t, struct nvme_ns_id_desc, nidt), LIBS(nid_t, struct nvme_ns_id_desc, nidl),
	};
	(void)state;
	CHECK_TABLE(t);
}

static void test_lib_logs(void **state)
{
	typedef struct nvme_error_log_page E;
	typedef struct nvme_smart_log S;
	typedef struct nvmf_disc_log_entry D;
	typedef struct nvmf_discovery_log H;
	typedef struct nvme_feat_host_behavior B;
	static const struct field_check t[] = {
		LIBSIZE(struct nvmf_feat_host_behavior, B),
		LIB(struct nvmf_feat_host_behavior, acre, B, acre),
		LIBSIZE(err_t, E),
		LIBS(err_t, E, error_count), LIBS(err_t, E, sqid), LIB(err_t, cid, E, cmdid),
		LIB(err_t, status, E, status_field), LIB(err_t, pel, E, parm_error_location),
		LIBS(err_t, E, lba), LIBS(err_t, E, nsid), LIB(err_t, vsia, E, vs),
		LIBS(err_t, E, trtype), LIB(err_t, csi, E, cs), LIB(err_t, ttsi, E, trtype_spec_info),
		LIBSIZE(smart_t, S),
		LIBS(smart_t, S, critical_warning), LIBS(smart_t, S, temperature),
		LIBS(smart_t, S, avail_spare), LIBS(smart_t, S, spare_thresh),
		LIBS(smart_t, S, percent_used), LIB(smart_t, endu_grp_crit_warn, S, endu_grp_crit_warn_sumry),
		LIBS(smart_t, S, data_units_read), LIBS(smart_t, S, data_units_written),
		LIBS(smart_t, S, host_reads), LIBS(smart_t, S, host_writes),
		LIBS(smart_t, S, ctrl_busy_time), LIBS(smart_t, S, power_cycles),
		LIBS(smart_t, S, power_on_hours), LIBS(smart_t, S, unsafe_shutdowns),
		LIBS(smart_t, S, media_errors), LIBS(smart_t, S, num_err_log_entries),
		LIBS(smart_t, S, warning_temp_time), LIBS(smart_t, S, critical_comp_time),
		LIBS(smart_t, S, temp_sensor), LIBS(smart_t, S, thm_temp1_trans_count),
		LIBS(smart_t, S, thm_temp2_trans_count), LIBS(smart_t, S, thm_temp1_total_time),
		LIBS(smart_t, S, thm_temp2_total_time),
		LIBSIZE(fw_t, struct nvme_firmware_slot), LIBS(fw_t, struct nvme_firmware_slot, afi),
		LIBS(fw_t, struct nvme_firmware_slot, frs),
		LIBSIZE(struct nvmf_changed_ns_log, struct nvme_ns_list),
		LIB(struct nvmf_changed_ns_log, nsid, struct nvme_ns_list, ns),
		LIBSIZE(dhdr_t, H),
		LIBS(dhdr_t, H, genctr), LIBS(dhdr_t, H, numrec), LIBS(dhdr_t, H, recfmt),
		LIBSIZE(dent_t, D),
		LIBS(dent_t, D, trtype), LIBS(dent_t, D, adrfam), LIBS(dent_t, D, subtype),
		LIBS(dent_t, D, treq), LIBS(dent_t, D, portid), LIBS(dent_t, D, cntlid),
		LIBS(dent_t, D, asqsz), LIBS(dent_t, D, eflags), LIBS(dent_t, D, trsvcid),
		LIBS(dent_t, D, subnqn), LIBS(dent_t, D, traddr), LIBS(dent_t, D, tsas),
		LIBS(dent_t, D, tsas.tcp.sectype), LIBS(dent_t, D, tsas.rdma.qptype),
		LIBS(dent_t, D, tsas.rdma.prtype), LIBS(dent_t, D, tsas.rdma.cms),
		LIBS(dent_t, D, tsas.rdma.pkey),
		LIBSIZE(cdata_t, struct nvmf_connect_data),
		LIBS(cdata_t, struct nvmf_connect_data, hostid),
		LIBS(cdata_t, struct nvmf_connect_data, cntlid),
		LIB(cdata_t, subnqn, struct nvmf_connect_data, subsysnqn),
		LIBS(cdata_t, struct nvmf_connect_data, hostnqn),
		LIBSIZE(dsm_t, struct nvme_dsm_range),
		LIBS(dsm_t, struct nvme_dsm_range, cattr), LIBS(dsm_t, struct nvme_dsm_range, nlb),
		LIBS(dsm_t, struct nvme_dsm_range, slba),
	};
	(void)state;
	CHECK_TABLE(t);
}

/* Constants: ours against libnvme's. */
struct const_check {
	const char *name;
	unsigned long long v, want;
};
#define K(a, b) { #a " vs " #b, (unsigned long long)(a), (unsigned long long)(b) }

static void test_lib_constants(void **state)
{
	static const struct const_check t[] = {
		K(NVMF_ADM_GET_LOG_PAGE, nvme_admin_get_log_page), K(NVMF_ADM_IDENTIFY, nvme_admin_identify),
		K(NVMF_ADM_ABORT, nvme_admin_abort_cmd), K(NVMF_ADM_SET_FEATURES, nvme_admin_set_features),
		K(NVMF_ADM_GET_FEATURES, nvme_admin_get_features),
		K(NVMF_ADM_ASYNC_EVENT, nvme_admin_async_event), K(NVMF_ADM_KEEP_ALIVE, nvme_admin_keep_alive),
		K(NVMF_ADM_FABRICS, nvme_admin_fabrics), K(NVMF_ADM_FORMAT_NVM, nvme_admin_format_nvm),
		K(NVMF_ADM_SECURITY_SEND, nvme_admin_security_send),
		K(NVMF_ADM_SANITIZE, nvme_admin_sanitize_nvm), K(NVMF_ADM_NS_ATTACH, nvme_admin_ns_attach),
		K(NVMF_NVM_FLUSH, nvme_cmd_flush), K(NVMF_NVM_WRITE, nvme_cmd_write),
		K(NVMF_NVM_READ, nvme_cmd_read), K(NVMF_NVM_WRITE_UNCOR, nvme_cmd_write_uncor),
		K(NVMF_NVM_COMPARE, nvme_cmd_compare), K(NVMF_NVM_WRITE_ZEROES, nvme_cmd_write_zeroes),
		K(NVMF_NVM_DSM, nvme_cmd_dsm), K(NVMF_NVM_VERIFY, nvme_cmd_verify),
		K(NVMF_FCTYPE_PROPERTY_SET, nvme_fabrics_type_property_set),
		K(NVMF_FCTYPE_CONNECT, nvme_fabrics_type_connect),
		K(NVMF_FCTYPE_PROPERTY_GET, nvme_fabrics_type_property_get),
		K(NVMF_FCTYPE_AUTH_SEND, nvme_fabrics_type_auth_send),
		K(NVMF_FCTYPE_AUTH_RECV, nvme_fabrics_type_auth_receive),
		K(NVMF_FCTYPE_DISCONNECT, nvme_fabrics_type_disconnect),
		K(NVMF_PROP_CAP, NVME_REG_CAP), K(NVMF_PROP_VS, NVME_REG_VS), K(NVMF_PROP_CC, NVME_REG_CC),
		K(NVMF_PROP_CSTS, NVME_REG_CSTS), K(NVMF_PROP_NSSR, NVME_REG_NSSR),
		K(NVMF_CC_CSS_SHIFT, NVME_CC_CSS_SHIFT), K(NVMF_CC_MPS_SHIFT, NVME_CC_MPS_SHIFT),
		K(NVMF_CC_AMS_SHIFT, NVME_CC_AMS_SHIFT), K(NVMF_CC_SHN_SHIFT, NVME_CC_SHN_SHIFT),
		K(NVMF_CC_IOSQES_SHIFT, NVME_CC_IOSQES_SHIFT), K(NVMF_CC_IOCQES_SHIFT, NVME_CC_IOCQES_SHIFT),
		K(NVMF_CSTS_SHST_SHIFT, NVME_CSTS_SHST_SHIFT),
		K(NVMF_CNS_NS, NVME_IDENTIFY_CNS_NS), K(NVMF_CNS_CTRL, NVME_IDENTIFY_CNS_CTRL),
		K(NVMF_CNS_ACTIVE_NS_LIST, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST),
		K(NVMF_CNS_NS_DESC_LIST, NVME_IDENTIFY_CNS_NS_DESC_LIST),
		K(NVMF_LID_ERROR, NVME_LOG_LID_ERROR), K(NVMF_LID_SMART, NVME_LOG_LID_SMART),
		K(NVMF_LID_FW_SLOT, NVME_LOG_LID_FW_SLOT), K(NVMF_LID_CHANGED_NS, NVME_LOG_LID_CHANGED_NS),
		K(NVMF_LID_ANA, NVME_LOG_LID_ANA), K(NVMF_LID_DISCOVERY, NVME_LOG_LID_DISCOVER),
		K(NVMF_FID_ARBITRATION, NVME_FEAT_FID_ARBITRATION),
		K(NVMF_FID_VOLATILE_WC, NVME_FEAT_FID_VOLATILE_WC),
		K(NVMF_FID_NUM_QUEUES, NVME_FEAT_FID_NUM_QUEUES),
		K(NVMF_FID_ASYNC_EVENT, NVME_FEAT_FID_ASYNC_EVENT), K(NVMF_FID_KEEP_ALIVE, NVME_FEAT_FID_KATO),
		K(NVMF_FID_TIMESTAMP, NVME_FEAT_FID_TIMESTAMP), K(NVMF_FID_HOST_ID, NVME_FEAT_FID_HOST_ID),
		K(NVMF_FID_HOST_BEHAVIOR, NVME_FEAT_FID_HOST_BEHAVIOR),
		K(NVMF_AEC_NS_ATTR, 1u << NVME_FEAT_AE_NAN_SHIFT), K(NVMF_AEC_ANA_CHANGE, 1u << NVME_FEAT_AE_ANA_SHIFT),
		K(NVMF_AER_TYPE_NOTICE, NVME_AER_NOTICE), K(NVMF_AER_TYPE_SMART, NVME_AER_SMART),
		K(NVMF_AER_NOTICE_NS_CHANGED, NVME_AER_NOTICE_NS_CHANGED),
		K(NVMF_AER_NOTICE_ANA_CHANGE, NVME_AER_NOTICE_ANA),
		K(NVMF_AER_NOTICE_DISC_CHANGED, NVME_AER_NOTICE_DISC_CHANGED),
		K(NVMF_ONCS_COMPARE, NVME_CTRL_ONCS_COMPARE), K(NVMF_ONCS_WRITE_UNCOR, NVME_CTRL_ONCS_WRITE_UNCORRECTABLE),
		K(NVMF_ONCS_DSM, NVME_CTRL_ONCS_DSM), K(NVMF_ONCS_WRITE_ZEROES, NVME_CTRL_ONCS_WRITE_ZEROES),
		K(NVMF_ONCS_VERIFY, NVME_CTRL_ONCS_VERIFY), K(NVMF_ONCS_COPY, NVME_CTRL_ONCS_COPY),
		K(NVMF_DLFEAT_READ_MASK, NVME_NS_DLFEAT_RB), K(NVMF_DLFEAT_READ_ZEROES, NVME_NS_DLFEAT_RB_ALL_0S),
		K(NVMF_DLFEAT_WZ_DEAC, NVME_NS_DLFEAT_WRITE_ZEROES), K(NVMF_DLFEAT_GUARD_CRC, NVME_NS_DLFEAT_CRC_GUARD),
		K(NVMF_FLBAS_LOWER_MASK, NVME_NS_FLBAS_LOWER_MASK), K(NVMF_FLBAS_EXTENDED, NVME_NS_FLBAS_META_EXT),
		K(NVMF_FLBAS_UPPER_MASK, NVME_NS_FLBAS_HIGHER_MASK),
		K(NVMF_DSM_IDR, NVME_DSMGMT_IDR), K(NVMF_DSM_IDW, NVME_DSMGMT_IDW), K(NVMF_DSM_AD, NVME_DSMGMT_AD),
		K(NVMF_DISC_TRTYPE_RDMA, NVMF_TRTYPE_RDMA), K(NVMF_DISC_TRTYPE_TCP, NVMF_TRTYPE_TCP),
		K(NVMF_DISC_TRTYPE_INTRA_HOST, NVMF_TRTYPE_LOOP),
		K(NVMF_DISC_ADRFAM_IPV4, NVMF_ADDR_FAMILY_IP4), K(NVMF_DISC_ADRFAM_IPV6, NVMF_ADDR_FAMILY_IP6),
		K(NVMF_DISC_SUBTYPE_REFERRAL, NVME_NQN_DISC), K(NVMF_DISC_SUBTYPE_NVME, NVME_NQN_NVME),
		K(NVMF_DISC_SUBTYPE_CURRENT, NVME_NQN_CURR),
		K(NVMF_DISC_TREQ_SECURE_REQUIRED, NVMF_TREQ_REQUIRED),
		K(NVMF_DISC_TREQ_SECURE_NOT_REQUIRED, NVMF_TREQ_NOT_REQUIRED),
		K(NVMF_DISC_TREQ_SQFC_DISABLE_OK, NVMF_TREQ_DISABLE_SQFLOW),
		K(NVMF_DISC_SECTYPE_NONE, NVMF_TCP_SECTYPE_NONE), K(NVMF_DISC_SECTYPE_TLS12, NVMF_TCP_SECTYPE_TLS),
		K(NVMF_DISC_SECTYPE_TLS13, NVMF_TCP_SECTYPE_TLS13),
		K(NVMF_DISC_EFLAG_DUPRETINFO, NVMF_DISC_EFLAGS_DUPRETINFO),
		K(NVMF_DISC_EFLAG_EPCSD, NVMF_DISC_EFLAGS_EPCSD), K(NVMF_DISC_EFLAG_NCC, NVMF_DISC_EFLAGS_NCC),
		K(NVMF_NQN_MAX_LEN, NVMF_NQN_SIZE), K(NVMF_NQN_FIELD_LEN, NVME_NQN_LENGTH),
		K(NVMF_TRADDR_FIELD_LEN, NVMF_TRADDR_SIZE),
		K(NVMF_TRSVCID_FIELD_LEN, NVMF_TRSVCID_SIZE),
		/* libnvme keeps status codes without the phase bit, SC and SCT apart. */
		K(NVMF_CQE_STATUS_DNR >> 1, NVME_SC_DNR), K(NVMF_CQE_STATUS_MORE >> 1, NVME_SC_MORE),
		K(NVMF_CQE_STATUS_CRD_MASK >> 1, NVME_SC_CRD),
		K(NVMF_SC_INVALID_OPCODE, NVME_SC_INVALID_OPCODE), K(NVMF_SC_INVALID_FIELD, NVME_SC_INVALID_FIELD),
		K(NVMF_SC_CID_CONFLICT, NVME_SC_CMDID_CONFLICT), K(NVMF_SC_DATA_XFER_ERROR, NVME_SC_DATA_XFER_ERROR),
		K(NVMF_SC_INTERNAL_ERROR, NVME_SC_INTERNAL), K(NVMF_SC_ABORT_REQUESTED, NVME_SC_ABORT_REQ),
		K(NVMF_SC_NS_WRITE_PROTECTED, NVME_SC_NS_WRITE_PROTECTED),
		K(NVMF_SC_TRANSIENT_TRANSPORT, NVME_SC_TRAN_TPORT_ERROR),
		K(NVMF_SC_LBA_OUT_OF_RANGE, NVME_SC_LBA_RANGE), K(NVMF_SC_CAPACITY_EXCEEDED, NVME_SC_CAP_EXCEEDED),
		K(NVMF_SC_NS_NOT_READY, NVME_SC_NS_NOT_READY),
		K(NVMF_SC_WRITE_TO_RO_RANGE, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_READ_ONLY),
		K(NVMF_SC_CONNECT_INCOMPATIBLE_FMT, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_CONNECT_FORMAT),
		K(NVMF_SC_CONTROLLER_BUSY, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_CONNECT_CTRL_BUSY),
		K(NVMF_SC_CONNECT_INVALID_PARAMS, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_CONNECT_INVALID_PARAM),
		K(NVMF_SC_CONNECT_RESTART_DISC, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_CONNECT_RESTART_DISC),
		K(NVMF_SC_CONNECT_INVALID_HOST, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_CONNECT_INVALID_HOST),
		K(NVMF_SC_INVALID_QUEUE_TYPE, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_DISCONNECT_INVALID_QTYPE),
		K(NVMF_SC_DISCOVER_RESTART, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_DISCOVERY_RESTART),
		K(NVMF_SC_AUTH_REQUIRED, (NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | NVME_SC_AUTH_REQUIRED),
	};
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].v != t[i].want) {
			print_error("%s: 0x%llx, libnvme has 0x%llx\n", t[i].name, t[i].v, t[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}
#endif /* NVMF_HAVE_LIBNVME_TYPES */

/* ---- helpers on hand-made bytes ---------------------------------------- */

static void test_endian_accessors(void **state)
{
	static const uint8_t b[9] = { 0xAA, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	uint8_t out[9];

	(void)state;
	/* Unaligned on purpose: one byte in. */
	assert_int_equal(nvmf_get_le16(b + 1), 0x0201);
	assert_int_equal(nvmf_get_le32(b + 1), 0x04030201u);
	assert_true(nvmf_get_le64(b + 1) == 0x0807060504030201ull);
	memset(out, 0, sizeof(out));
	out[0] = 0xAA;
	nvmf_put_le64(out + 1, 0x0807060504030201ull);
	assert_memory_equal(out, b, sizeof(b));
	nvmf_put_le32(out + 1, 0xDDCCBBAAu);
	assert_int_equal(out[1], 0xAA);
	assert_int_equal(out[4], 0xDD);
	nvmf_put_le16(out + 1, 0x1234);
	assert_int_equal(out[1], 0x34);
	assert_int_equal(out[2], 0x12);
	assert_int_equal(nvmf_le16toh(nvmf_htole16(0xBEEF)), 0xBEEF);
	assert_int_equal(nvmf_le32toh(nvmf_htole32(0xDEADBEEFu)), 0xDEADBEEFu);
}

/* A Connect Invalid Parameters completion, as a controller would send it. */
static void test_cqe_status_decode(void **state)
{
	/* dw0 = IPO 0x0100, IATTR 1 (in Connect data); SQHD 0x0010, SQID 0, CID 0xBEEF;
	 * status word: P=1, SC=82h, SCT=1, CRD=2, More=0, DNR=1 -> 0xA305. */
	static const uint8_t wire[16] = {
		0x00, 0x01, 0x01, 0x00,  0x00, 0x00, 0x00, 0x00,
		0x10, 0x00, 0x00, 0x00,  0xEF, 0xBE, 0x05, 0xA3,
	};
	struct nvmf_cqe cqe;
	uint16_t s;

	(void)state;
	memcpy(&cqe, wire, sizeof(cqe));
	s = nvmf_cqe_status(&cqe);
	assert_int_equal(s, 0xA305);
	assert_int_equal(nvmf_cqe_status_p(s), 1);
	assert_int_equal(nvmf_cqe_status_sc(s), 0x82);
	assert_int_equal(nvmf_cqe_status_sct(s), NVMF_SCT_CMD_SPECIFIC);
	assert_int_equal(nvmf_cqe_status_crd(s), 2);
	assert_int_equal(nvmf_cqe_status_more(s), 0);
	assert_int_equal(nvmf_cqe_status_dnr(s), 1);
	assert_int_equal(nvmf_cqe_status_code(s), NVMF_SC_CONNECT_INVALID_PARAMS);
	assert_false(nvmf_cqe_status_ok(s));
	assert_int_equal(nvmf_le16toh(cqe.sqhd), 0x0010);
	assert_int_equal(nvmf_le16toh(cqe.cid), 0xBEEF);
	assert_int_equal(nvmf_connect_rsp_ipo(nvmf_le32toh(cqe.dw0)), 0x0100);
	assert_int_equal(nvmf_connect_rsp_iattr(nvmf_le32toh(cqe.dw0)), NVMF_CONNECT_IATTR_IN_DATA);
	/* The DW0 a controller builds: HOSTNQN (data offset 512), SQSIZE (SQE offset 44). */
	assert_int_equal(nvmf_connect_rsp_invalid(NVMF_CONNECT_IATTR_IN_DATA,
						  offsetof(struct nvmf_connect_payload, hostnqn)),
			 0x00010200u);
	assert_int_equal(nvmf_connect_rsp_invalid(0, offsetof(struct nvmf_connect_cmd, sqsize)), 44);

	/* Transient Transport Error (SCT 0, SC 22h), More set, retryable, phase 0. */
	s = 0x4044;
	assert_int_equal(nvmf_cqe_status_code(s), NVMF_SC_TRANSIENT_TRANSPORT);
	assert_int_equal(nvmf_cqe_status_sct(s), NVMF_SCT_GENERIC);
	assert_int_equal(nvmf_cqe_status_more(s), 1);
	assert_int_equal(nvmf_cqe_status_dnr(s), 0);
	assert_int_equal(nvmf_cqe_status_p(s), 0);

	/* Success with the phase bit set is still success. */
	assert_true(nvmf_cqe_status_ok(0x0001));
	/* Building a status word gives back what was put in. */
	s = nvmf_cqe_status_make(NVMF_SC_LBA_OUT_OF_RANGE, 1);
	assert_int_equal(s, 0x8100);
	assert_int_equal(nvmf_cqe_status_code(s), NVMF_SC_LBA_OUT_OF_RANGE);
	assert_int_equal(nvmf_cqe_status_dnr(s), 1);
	s = nvmf_cqe_status_make(NVMF_SC_AUTH_REQUIRED, 0);
	assert_int_equal(nvmf_cqe_status_sct(s), 1);
	assert_int_equal(nvmf_cqe_status_sc(s), 0x91);
}

/* Connect response on success, and a Property Get response carrying CAP. */
static void test_cqe_results(void **state)
{
	static const uint8_t connect_ok[16] = {
		0x05, 0x00, 0x02, 0x00,  0, 0, 0, 0,  0xFF, 0xFF, 0, 0,  1, 0, 0, 0,
	};
	/* CAP: MQES 7Fh, CQR, TO 0Fh, CSS NVM (bit 37), MPSMIN 0, MPSMAX 4. */
	static const uint8_t prop_get[16] = {
		0x7F, 0x00, 0x01, 0x0F,  0x20, 0x00, 0x40, 0x00,  0, 0, 0, 0,  2, 0, 0, 0,
	};
	struct nvmf_cqe cqe;
	uint32_t dw0;
	uint64_t cap;

	(void)state;
	memcpy(&cqe, connect_ok, sizeof(cqe));
	dw0 = nvmf_le32toh(cqe.dw0);
	assert_int_equal(nvmf_connect_rsp_cntlid(dw0), 5);
	assert_int_equal(nvmf_connect_rsp_authreq(dw0), 0x0002);
	assert_true(dw0 & NVMF_CONNECT_AUTHREQ_ATR);
	assert_false(dw0 & NVMF_CONNECT_AUTHREQ_ASCR);
	assert_int_equal(nvmf_le16toh(cqe.sqhd), NVMF_SQHD_FLOW_CONTROL_OFF);

	memcpy(&cqe, prop_get, sizeof(cqe));
	cap = nvmf_cqe_result64(&cqe);
	assert_true(cap == 0x004000200F01007Full);
	assert_int_equal(nvmf_cap_mqes(cap), 0x7F);
	assert_int_equal(nvmf_cap_cqr(cap), 1);
	assert_int_equal(nvmf_cap_ams(cap), 0);
	assert_int_equal(nvmf_cap_to(cap), 0x0F);
	assert_int_equal(nvmf_cap_css(cap), NVMF_CAP_CSS_NVM);
	assert_int_equal(nvmf_cap_mpsmin(cap), 0);
	assert_int_equal(nvmf_cap_mpsmax(cap), 4);
	assert_int_equal(nvmf_cap_dstrd(cap), 0);
	assert_int_equal(nvmf_cap_nssrs(cap), 0);
}

/* A Read SQE: the bytes a host puts on the wire, then decoded back. */
static void test_sqe_read_bytes(void **state)
{
	static const uint8_t wire[64] = {
		/* opcode Read, PSDT 01b, CID 1234h, NSID 1 */
		0x02, 0x40, 0x34, 0x12,  0x01, 0x00, 0x00, 0x00,
		0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
		/* SGL: Transport Data Block, transport specific, length 4096 */
		0, 0, 0, 0,  0, 0, 0, 0,  0x00, 0x10, 0x00, 0x00,  0, 0, 0, 0x5A,
		/* SLBA 0x123456789, NLB 7 (8 blocks) with FUA */
		0x89, 0x67, 0x45, 0x23,  0x01, 0x00, 0x00, 0x00,  0x07, 0x00, 0x00, 0x40,
		0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
	};
	struct nvmf_sqe sqe;

	(void)state;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVMF_NVM_READ;
	sqe.flags = NVMF_SQE_FLAGS_SGL;
	sqe.cid = nvmf_htole16(0x1234);
	sqe.nsid = nvmf_htole32(1);
	sqe.dptr.sgl.length = nvmf_htole32(4096);
	sqe.dptr.sgl.id = NVMF_SGL_ID_TCP_TRANSPORT;
	nvmf_sqe_set_slba(&sqe, 0x123456789ull);
	sqe.cdw12 = nvmf_htole32(nvmf_rw_cdw12(8, NVMF_RW_FUA));
	assert_memory_equal(&sqe, wire, sizeof(wire));

	memset(&sqe, 0, sizeof(sqe));
	memcpy(&sqe, wire, sizeof(sqe));
	assert_int_equal(nvmf_sqe_psdt(sqe.flags), NVMF_PSDT_SGL_MPTR_CONTIG);
	assert_true(nvmf_sqe_slba(&sqe) == 0x123456789ull);
	assert_int_equal(nvmf_sqe_nblocks(&sqe), 8);
	assert_true(nvmf_le32toh(sqe.cdw12) & NVMF_RW_FUA);
	assert_int_equal(nvmf_sgl_type_of(sqe.dptr.sgl.id), NVMF_SGL_TYPE_TRANSPORT_DATA_BLOCK);
	assert_int_equal(nvmf_sgl_subtype_of(sqe.dptr.sgl.id), NVMF_SGL_SUBTYPE_TRANSPORT);
	assert_int_equal(nvmf_opcode_xfer(sqe.opcode), NVMF_XFER_C2H);
	assert_int_equal(nvmf_opcode_xfer(NVMF_NVM_WRITE), NVMF_XFER_H2C);
	assert_int_equal(NVMF_SGL_ID_ICD, 0x01);

	/* NLB edge values: 1 block is 0, 65536 blocks is FFFFh. */
	assert_int_equal(nvmf_rw_cdw12(1, 0), 0);
	assert_int_equal(nvmf_rw_cdw12(NVMF_NLB_MAX, 0), 0xFFFF);
	assert_int_equal(nvmf_rw_nblocks(0xFFFF), NVMF_NLB_MAX);
	assert_int_equal(nvmf_rw_cdw12(1, NVMF_WZ_DEAC), 0x02000000u);
}

/* Connect command and data built through the structures, checked by byte. */
static void test_connect_bytes(void **state)
{
	struct nvmf_connect_cmd c;
	struct nvmf_connect_payload d;
	const uint8_t *p = (const uint8_t *)&c;
	const uint8_t *q = (const uint8_t *)&d;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.opcode = NVMF_ADM_FABRICS;
	c.fctype = NVMF_FCTYPE_CONNECT;
	c.qid = nvmf_htole16(3);
	c.sqsize = nvmf_htole16(127);
	c.cattr = NVMF_CONNECT_CATTR_DISABLE_SQFC;
	c.kato = nvmf_htole32(120000);
	assert_int_equal(p[0], 0x7F);
	assert_int_equal(p[4], 0x01);
	assert_int_equal(nvmf_get_le16(p + 42), 3);
	assert_int_equal(nvmf_get_le16(p + 44), 127);
	assert_int_equal(p[46], 0x04);
	assert_int_equal(nvmf_get_le32(p + 48), 120000);

	memset(&d, 0, sizeof(d));
	d.hostid[0] = 0xA5;
	d.cntlid = nvmf_htole16(NVMF_CNTLID_DYNAMIC);
	memcpy(d.subnqn, NVMF_DISCOVERY_NQN, sizeof(NVMF_DISCOVERY_NQN));
	memcpy(d.hostnqn, "nqn.2014-08.org.nvmexpress:uuid:x", 34);
	assert_int_equal(q[0], 0xA5);
	assert_int_equal(nvmf_get_le16(q + 16), 0xFFFF);
	assert_string_equal((const char *)q + 256, "nqn.2014-08.org.nvmexpress.discovery");
	assert_string_equal((const char *)q + 512, "nqn.2014-08.org.nvmexpress:uuid:x");
	assert_true(sizeof(NVMF_DISCOVERY_NQN) - 1 <= NVMF_NQN_MAX_LEN);
}

static void test_property_and_admin_dwords(void **state)
{
	struct nvmf_prop_set_cmd ps;
	struct nvmf_sqe sqe;
	const uint8_t *p = (const uint8_t *)&ps;

	(void)state;
	memset(&ps, 0, sizeof(ps));
	ps.attrib = NVMF_PROP_ATTRIB_SIZE_4;
	ps.ofst = nvmf_htole32(NVMF_PROP_CC);
	ps.value = nvmf_htole64(nvmf_cc_make(NVMF_CC_CSS_NVM, 0, 0, 6, 4));
	assert_int_equal(nvmf_get_le32(p + 44), 0x14);
	assert_int_equal(nvmf_get_le32(p + 48), 0x00460001u);

	assert_int_equal(nvmf_cc_iosqes(0x00460001u), 6);
	assert_int_equal(nvmf_cc_iocqes(0x00460001u), 4);
	assert_int_equal(nvmf_cc_en(0x00460001u), 1);
	assert_int_equal(nvmf_cc_shn(NVMF_CC_SHN_NORMAL << NVMF_CC_SHN_SHIFT), NVMF_CC_SHN_NORMAL);
	assert_int_equal(nvmf_csts_rdy(0x9), 1);
	assert_int_equal(nvmf_csts_shst(0x9), NVMF_CSTS_SHST_COMPLETE);
	assert_int_equal(nvmf_csts_cfs(0x2), 1);
	assert_int_equal(nvmf_vs_major(NVMF_VS(2, 0, 1)), 2);
	assert_int_equal(nvmf_vs_tertiary(NVMF_VS(2, 0, 1)), 1);
	assert_int_equal(NVMF_VS(1, 4, 0), 0x00010400u);

	/* Discovery log header with RAE: 1024 bytes is NUMD 255. */
	memset(&sqe, 0, sizeof(sqe));
	nvmf_sqe_get_log_page(&sqe, NVMF_LID_DISCOVERY, 0, 1, 1024, 0x100000000ull + 2048);
	assert_int_equal(sqe.opcode, 0x02);
	assert_int_equal(nvmf_le32toh(sqe.cdw10), 0x00FF8070u);
	assert_int_equal(nvmf_le32toh(sqe.cdw11), 0);
	assert_int_equal(nvmf_le32toh(sqe.cdw12), 2048);
	assert_int_equal(nvmf_le32toh(sqe.cdw13), 1);
	/* NUMD over 16 bits splits into NUMDU. */
	assert_int_equal(nvmf_get_log_cdw10(NVMF_LID_CHANGED_NS, 0, 0, 0x12345), 0x23450004u);
	assert_int_equal(nvmf_get_log_cdw11(0x12345, 0), 1);

	assert_int_equal(nvmf_identify_cdw10(NVMF_CNS_CTRL, 0), 1);
	assert_int_equal(nvmf_identify_cdw10(NVMF_CNS_NS_DESC_LIST, 7), 0x00070003u);
	assert_int_equal(nvmf_set_features_cdw10(NVMF_FID_KEEP_ALIVE, 1), 0x8000000Fu);
	assert_int_equal(nvmf_get_features_cdw10(NVMF_FID_NUM_QUEUES, NVMF_FEAT_SEL_SUPPORTED), 0x307);
	assert_int_equal(nvmf_num_queues_cdw11(4, 4), 0x00030003u);
	assert_int_equal(nvmf_num_queues_nsqa(0x0001000Fu), 16);
	assert_int_equal(nvmf_num_queues_ncqa(0x0001000Fu), 2);
	assert_int_equal(nvmf_abort_cdw10(2, 0x55), 0x00550002u);

	/* AER: notice, namespace attribute changed, read log 04h. */
	assert_int_equal(nvmf_aer_type(0x00040002u), NVMF_AER_TYPE_NOTICE);
	assert_int_equal(nvmf_aer_info(0x00040002u), NVMF_AER_NOTICE_NS_CHANGED);
	assert_int_equal(nvmf_aer_lid(0x00040002u), NVMF_LID_CHANGED_NS);
	assert_int_equal(nvmf_aer_info(0x0070F002u), NVMF_AER_NOTICE_DISC_CHANGED);
	assert_int_equal(nvmf_aer_lid(0x0070F002u), NVMF_LID_DISCOVERY);
	/* ... and the DW0s a controller builds for them. */
	assert_int_equal(nvmf_aer_dw0(NVMF_AER_TYPE_NOTICE, NVMF_AER_NOTICE_NS_CHANGED,
				      NVMF_LID_CHANGED_NS), 0x00040002u);
	assert_int_equal(nvmf_aer_dw0(NVMF_AER_TYPE_NOTICE, NVMF_AER_NOTICE_DISC_CHANGED,
				      NVMF_LID_DISCOVERY), 0x0070F002u);
}

static void test_id_ns_helpers(void **state)
{
	static struct nvmf_id_ns ns;
	uint8_t *raw = (uint8_t *)&ns;

	(void)state;
	memset(&ns, 0, sizeof(ns));
	/* FLBAS 02h, LBAF2 = 4096-byte blocks with 8 bytes of metadata (bytes 136..139). */
	raw[26] = 0x02;
	raw[136] = 0x08;
	raw[138] = 12;
	assert_int_equal(nvmf_id_ns_flbas_index(ns.flbas), 2);
	assert_int_equal(nvmf_id_ns_block_size(&ns), 4096);
	assert_int_equal(nvmf_id_ns_ms(&ns), 8);
	/* Index 17 uses the upper FLBAS bits: 01h | (1 << 5). */
	raw[26] = 0x21;
	raw[128 + 17 * 4 + 2] = 9;
	assert_int_equal(nvmf_id_ns_flbas_index(ns.flbas), 17);
	assert_int_equal(nvmf_id_ns_block_size(&ns), 512);
	/* An unusable LBADS gives 0 rather than a bogus shift. */
	raw[128 + 17 * 4 + 2] = 0;
	assert_int_equal(nvmf_id_ns_block_size(&ns), 0);
	raw[128 + 17 * 4 + 2] = 64;
	assert_int_equal(nvmf_id_ns_block_size(&ns), 0);
	/* NSZE read through the structure. */
	nvmf_put_le64(raw, 0x1122334455667788ull);
	assert_true(nvmf_le64toh(ns.nsze) == 0x1122334455667788ull);
	assert_int_equal(nvmf_qes_min(0x64), 4);
	assert_int_equal(nvmf_qes_max(0x64), 6);
}

/* One discovery log entry as a controller would send it, read through the structure. */
static void test_disc_entry_bytes(void **state)
{
	static uint8_t raw[1024];
	struct nvmf_disc_entry e;

	(void)state;
	memset(raw, 0, sizeof(raw));
	raw[0] = 3;             /* TCP */
	raw[1] = 1;             /* IPv4 */
	raw[2] = 2;             /* NVM subsystem */
	raw[3] = 0x06;          /* secure channel not required, SQ flow control disable OK */
	raw[4] = 0x02; raw[5] = 0x01;   /* PORTID 0102h */
	raw[6] = 0xFF; raw[7] = 0xFF;   /* CNTLID dynamic */
	raw[8] = 0x20; raw[9] = 0x00;   /* ASQSZ 32 */
	memset(raw + 32, ' ', 32);
	memcpy(raw + 32, "4420", 4);
	memcpy(raw + 256, "nqn.2024-01.io.example:sub", 26);
	memset(raw + 512, ' ', 256);
	memcpy(raw + 512, "127.0.0.1", 9);
	raw[768] = NVMF_DISC_SECTYPE_TLS13;
	memcpy(&e, raw, sizeof(e));
	assert_int_equal(e.trtype, NVMF_DISC_TRTYPE_TCP);
	assert_int_equal(e.adrfam, NVMF_DISC_ADRFAM_IPV4);
	assert_int_equal(e.subtype, NVMF_DISC_SUBTYPE_NVME);
	assert_int_equal(e.treq & NVMF_DISC_TREQ_SECURE_MASK, NVMF_DISC_TREQ_SECURE_NOT_REQUIRED);
	assert_true(e.treq & NVMF_DISC_TREQ_SQFC_DISABLE_OK);
	assert_int_equal(nvmf_le16toh(e.portid), 0x0102);
	assert_int_equal(nvmf_le16toh(e.cntlid), NVMF_CNTLID_DYNAMIC);
	assert_int_equal(nvmf_le16toh(e.asqsz), 32);
	assert_memory_equal(e.trsvcid, "4420    ", 8);
	assert_string_equal(e.subnqn, "nqn.2024-01.io.example:sub");
	assert_memory_equal(e.traddr, "127.0.0.1 ", 10);
	assert_int_equal(e.tsas.tcp.sectype, NVMF_DISC_SECTYPE_TLS13);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_sqe_cqe),
		cmocka_unit_test(test_spec_fabrics),
		cmocka_unit_test(test_spec_id_ctrl),
		cmocka_unit_test(test_spec_id_ns),
		cmocka_unit_test(test_spec_logs),
#ifdef NVMF_HAVE_LIBNVME_TYPES
		cmocka_unit_test(test_lib_id_ctrl),
		cmocka_unit_test(test_lib_id_ns),
		cmocka_unit_test(test_lib_logs),
		cmocka_unit_test(test_lib_constants),
#endif
		cmocka_unit_test(test_endian_accessors),
		cmocka_unit_test(test_cqe_status_decode),
		cmocka_unit_test(test_cqe_results),
		cmocka_unit_test(test_sqe_read_bytes),
		cmocka_unit_test(test_connect_bytes),
		cmocka_unit_test(test_property_and_admin_dwords),
		cmocka_unit_test(test_id_ns_helpers),
		cmocka_unit_test(test_disc_entry_bytes),
	};

	return cmocka_run_group_tests_name("wire_layout", tests, NULL, NULL);
}
