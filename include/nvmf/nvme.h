/*
 * libnvmf - NVMe wire definitions a Fabrics host and controller need.
 *
 * Submission and completion queue entries, the Fabrics command capsules,
 * controller properties, Identify, log pages and features, as defined by
 * NVMe Base 2.0 (which folds in NVMe over Fabrics 1.1) and the NVM Command
 * Set 1.0. Every structure is exactly its wire layout: naturally aligned
 * fields, no compiler padding, multi-byte fields stored little-endian (read
 * and write them with the accessors of <nvmf/endian.h>). Sizes and the
 * offsets of the fields that matter are checked at compile time.
 *
 * Every public name carries the nvmf_ / NVMF_ prefix and avoids the names
 * libnvme's <nvme/types.h> already uses in that namespace (nvmf_connect_data,
 * nvmf_disc_log_entry, nvmf_discovery_log, nvmf_tsas, NVMF_TRTYPE_*,
 * NVMF_ADDR_FAMILY_*, NVMF_TREQ_*, NVMF_TCP_SECTYPE_*, NVMF_NQN_SIZE ...),
 * so an application may include both.
 */
#ifndef NVMF_NVME_H
#define NVMF_NVME_H

#include <stddef.h>
#include <stdint.h>

#include <nvmf/endian.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Names and limits (NVMe Base 2.0, 4.5 "NVMe Qualified Names").
 */
#define NVMF_DISCOVERY_NQN     "nqn.2014-08.org.nvmexpress.discovery"
#define NVMF_HOSTNQN_UUID_PREFIX "nqn.2014-08.org.nvmexpress:uuid:"
#define NVMF_NQN_MAX_LEN       223   /* bytes of an NQN, without the NUL */
#define NVMF_NQN_FIELD_LEN     256   /* NQN fields are 256 bytes, NUL-terminated */
#define NVMF_HOSTID_LEN        16    /* 128-bit Host Identifier */
#define NVMF_TRSVCID_FIELD_LEN 32    /* discovery entry TRSVCID, space padded */
#define NVMF_TRADDR_FIELD_LEN  256   /* discovery entry TRADDR, space padded */
#define NVMF_SQE_SIZE          64
#define NVMF_CQE_SIZE          16
#define NVMF_IDENTIFY_DATA_LEN 4096
#define NVMF_CONNECT_DATA_LEN  1024
#define NVMF_NLB_MAX           65536u /* blocks one Read/Write can move (16-bit 0's based NLB) */

/* ------------------------------------------------------------------------
 * SGL descriptors (NVMe Base 2.0, 4.1.2 "Scatter Gather List").
 * Byte 15 is the SGL identifier: descriptor type in bits 7:4, subtype in 3:0.
 * NVMe/TCP (TCP 1.0, 3.3.2) uses two forms: Data Block + Offset for
 * in-capsule data (0x01), Transport Data Block + Transport specific for data
 * moved by H2CData/C2HData PDUs (0x5A).
 */
enum nvmf_sgl_type {
	NVMF_SGL_TYPE_DATA_BLOCK       = 0x0,
	NVMF_SGL_TYPE_BIT_BUCKET       = 0x1,
	NVMF_SGL_TYPE_SEGMENT          = 0x2,
	NVMF_SGL_TYPE_LAST_SEGMENT     = 0x3,
	NVMF_SGL_TYPE_KEYED_DATA_BLOCK = 0x4,
	NVMF_SGL_TYPE_TRANSPORT_DATA_BLOCK = 0x5,
	NVMF_SGL_TYPE_VENDOR           = 0xF,
};

enum nvmf_sgl_subtype {
	NVMF_SGL_SUBTYPE_ADDRESS       = 0x0,
	NVMF_SGL_SUBTYPE_OFFSET        = 0x1,
	NVMF_SGL_SUBTYPE_TRANSPORT     = 0xA,  /* transport specific */
};

#define NVMF_SGL_ID(type, subtype) ((uint8_t)((((type) & 0xF) << 4) | ((subtype) & 0xF)))
#define NVMF_SGL_ID_ICD            NVMF_SGL_ID(NVMF_SGL_TYPE_DATA_BLOCK, NVMF_SGL_SUBTYPE_OFFSET)
#define NVMF_SGL_ID_TCP_TRANSPORT  NVMF_SGL_ID(NVMF_SGL_TYPE_TRANSPORT_DATA_BLOCK, NVMF_SGL_SUBTYPE_TRANSPORT)

static inline unsigned nvmf_sgl_type_of(uint8_t id) { return (unsigned)id >> 4; }
static inline unsigned nvmf_sgl_subtype_of(uint8_t id) { return (unsigned)id & 0xFu; }

/* Unkeyed descriptors (Data Block, Transport Data Block, Segment ...). */
struct nvmf_sgl_desc {
	uint64_t addr;      /* address, or offset into in-capsule data (Offset subtype) */
	uint32_t length;
	uint8_t  rsvd12[3];
	uint8_t  id;        /* NVMF_SGL_ID(type, subtype) */
};

/* Keyed Data Block descriptor (RDMA): 3-byte length, 4-byte key. */
struct nvmf_keyed_sgl_desc {
	uint64_t addr;
	uint8_t  length[3];
	uint8_t  key[4];
	uint8_t  id;
};

struct nvmf_prp_pair {
	uint64_t prp1;
	uint64_t prp2;
};

/* Data pointer, SQE bytes 39:24. */
union nvmf_dptr {
	struct nvmf_sgl_desc       sgl;
	struct nvmf_keyed_sgl_desc ksgl;
	struct nvmf_prp_pair       prp;
	uint8_t                    raw[16];
};

/* ------------------------------------------------------------------------
 * Submission queue entry (NVMe Base 2.0, 4.2 "Submission Queue Entry").
 * flags: FUSE in bits 1:0, PSDT in bits 7:6. Fabrics commands and all
 * commands over NVMe/TCP use SGLs; Linux and SPDK send PSDT 01b.
 */
#define NVMF_SQE_FUSE_MASK        0x03u
#define NVMF_SQE_FUSE_FIRST       0x01u
#define NVMF_SQE_FUSE_SECOND      0x02u
#define NVMF_SQE_PSDT_SHIFT       6
#define NVMF_SQE_PSDT_MASK        0xC0u
#define NVMF_PSDT_PRP             0x0u
#define NVMF_PSDT_SGL_MPTR_CONTIG 0x1u  /* SGL for data, MPTR is a contiguous buffer */
#define NVMF_PSDT_SGL_MPTR_SGL    0x2u  /* SGL for data, MPTR points to an SGL */
#define NVMF_SQE_FLAGS_SGL        ((uint8_t)(NVMF_PSDT_SGL_MPTR_CONTIG << NVMF_SQE_PSDT_SHIFT))

struct nvmf_sqe {
	uint8_t  opcode;
	uint8_t  flags;
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2;
	uint32_t cdw3;
	uint64_t mptr;
	union nvmf_dptr dptr;
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
};

static inline unsigned nvmf_sqe_psdt(uint8_t flags)
{
	return ((unsigned)flags & NVMF_SQE_PSDT_MASK) >> NVMF_SQE_PSDT_SHIFT;
}

/* ------------------------------------------------------------------------
 * Completion queue entry (NVMe Base 2.0, 4.6 "Completion Queue Entry").
 * status: phase tag in bit 0, then the Status Field (4.6.1): SC 8:1,
 * SCT 11:9, CRD 13:12, More 14, DNR 15.
 */
struct nvmf_cqe {
	uint32_t dw0;       /* command specific result */
	uint32_t dw1;       /* command specific (upper half of Property Get value) */
	uint16_t sqhd;      /* 0xFFFF when SQ flow control is disabled */
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;
};

#define NVMF_SQHD_FLOW_CONTROL_OFF 0xFFFFu

#define NVMF_CQE_STATUS_P         0x0001u
#define NVMF_CQE_STATUS_SC_SHIFT  1
#define NVMF_CQE_STATUS_SC_MASK   0x01FEu
#define NVMF_CQE_STATUS_SCT_SHIFT 9
#define NVMF_CQE_STATUS_SCT_MASK  0x0E00u
#define NVMF_CQE_STATUS_CRD_SHIFT 12
#define NVMF_CQE_STATUS_CRD_MASK  0x3000u
#define NVMF_CQE_STATUS_MORE      0x4000u
#define NVMF_CQE_STATUS_DNR       0x8000u

/*
 * Two encodings of a status exist, and their names say which:
 *  - NVMF_CQE_STATUS_* and nvmf_cqe_status_*() take the CQE's status WORD,
 *    the upper half of DW3 as it is on the wire (in CPU order), phase tag
 *    in bit 0;
 *  - nvmf.h's NVMF_SF_*() take the status FIELD alone (DW3 bits 31:17,
 *    shifted down, no phase), as struct nvmf_completion and
 *    nvmf_get_status() carry it.
 * The helpers below take the 16-bit status word in CPU order, phase included.
 */
static inline unsigned nvmf_cqe_status_p(uint16_t s)    { return s & NVMF_CQE_STATUS_P; }
static inline unsigned nvmf_cqe_status_sc(uint16_t s)   { return (s & NVMF_CQE_STATUS_SC_MASK) >> NVMF_CQE_STATUS_SC_SHIFT; }
static inline unsigned nvmf_cqe_status_sct(uint16_t s)  { return (s & NVMF_CQE_STATUS_SCT_MASK) >> NVMF_CQE_STATUS_SCT_SHIFT; }
static inline unsigned nvmf_cqe_status_crd(uint16_t s)  { return (s & NVMF_CQE_STATUS_CRD_MASK) >> NVMF_CQE_STATUS_CRD_SHIFT; }
static inline unsigned nvmf_cqe_status_more(uint16_t s) { return (s & NVMF_CQE_STATUS_MORE) != 0; }
static inline unsigned nvmf_cqe_status_dnr(uint16_t s)  { return (s & NVMF_CQE_STATUS_DNR) != 0; }
/* SCT and SC together, (SCT << 8) | SC: compare with enum nvmf_status_code. */
static inline unsigned nvmf_cqe_status_code(uint16_t s) { return ((unsigned)s >> 1) & 0x7FFu; }
static inline int nvmf_cqe_status_ok(uint16_t s)        { return nvmf_cqe_status_code(s) == 0; }

/* Builds a status word (phase 0) from a (SCT << 8) | SC code and DNR. */
static inline uint16_t nvmf_cqe_status_make(unsigned code, int dnr)
{
	return (uint16_t)(((code & 0x7FFu) << 1) | (dnr ? NVMF_CQE_STATUS_DNR : 0u));
}

/*
 * The names of release 0.1, deprecated, removed in the next release: they
 * read like the status-field macros of nvmf.h but take the status word.
 */
#define NVMF_STATUS_P         NVMF_CQE_STATUS_P
#define NVMF_STATUS_SC_SHIFT  NVMF_CQE_STATUS_SC_SHIFT
#define NVMF_STATUS_SC_MASK   NVMF_CQE_STATUS_SC_MASK
#define NVMF_STATUS_SCT_SHIFT NVMF_CQE_STATUS_SCT_SHIFT
#define NVMF_STATUS_SCT_MASK  NVMF_CQE_STATUS_SCT_MASK
#define NVMF_STATUS_CRD_SHIFT NVMF_CQE_STATUS_CRD_SHIFT
#define NVMF_STATUS_CRD_MASK  NVMF_CQE_STATUS_CRD_MASK
#define NVMF_STATUS_MORE      NVMF_CQE_STATUS_MORE
#define NVMF_STATUS_DNR       NVMF_CQE_STATUS_DNR
#if defined(__GNUC__) || defined(__clang__)
#define NVMF_DEPRECATED_(msg) __attribute__((deprecated(msg)))
#else
#define NVMF_DEPRECATED_(msg)
#endif
NVMF_DEPRECATED_("use nvmf_cqe_status_p")
static inline unsigned nvmf_status_p(uint16_t s)    { return nvmf_cqe_status_p(s); }
NVMF_DEPRECATED_("use nvmf_cqe_status_sc")
static inline unsigned nvmf_status_sc(uint16_t s)   { return nvmf_cqe_status_sc(s); }
NVMF_DEPRECATED_("use nvmf_cqe_status_sct")
static inline unsigned nvmf_status_sct(uint16_t s)  { return nvmf_cqe_status_sct(s); }
NVMF_DEPRECATED_("use nvmf_cqe_status_crd")
static inline unsigned nvmf_status_crd(uint16_t s)  { return nvmf_cqe_status_crd(s); }
NVMF_DEPRECATED_("use nvmf_cqe_status_more")
static inline unsigned nvmf_status_more(uint16_t s) { return nvmf_cqe_status_more(s); }
NVMF_DEPRECATED_("use nvmf_cqe_status_dnr")
static inline unsigned nvmf_status_dnr(uint16_t s)  { return nvmf_cqe_status_dnr(s); }
NVMF_DEPRECATED_("use nvmf_cqe_status_code")
static inline unsigned nvmf_status_code(uint16_t s) { return nvmf_cqe_status_code(s); }
NVMF_DEPRECATED_("use nvmf_cqe_status_ok")
static inline int nvmf_status_ok(uint16_t s)        { return nvmf_cqe_status_ok(s); }
NVMF_DEPRECATED_("use nvmf_cqe_status_make")
static inline uint16_t nvmf_status_make(unsigned code, int dnr)
{
	return nvmf_cqe_status_make(code, dnr);
}

/* Status word of a CQE held in wire order. */
static inline uint16_t nvmf_cqe_status(const struct nvmf_cqe *cqe)
{
	return nvmf_le16toh(cqe->status);
}

/* The 64-bit result of Property Get spans DW0 and DW1. */
static inline uint64_t nvmf_cqe_result64(const struct nvmf_cqe *cqe)
{
	return (uint64_t)nvmf_le32toh(cqe->dw0) | ((uint64_t)nvmf_le32toh(cqe->dw1) << 32);
}

/* Status code types (4.6.1.1). */
enum nvmf_sct {
	NVMF_SCT_GENERIC      = 0x0,
	NVMF_SCT_CMD_SPECIFIC = 0x1,
	NVMF_SCT_MEDIA        = 0x2,
	NVMF_SCT_PATH         = 0x3,
	NVMF_SCT_VENDOR       = 0x7,
};

/*
 * Status codes as (SCT << 8) | SC. Command specific codes (SCT 1) are only
 * meaningful with the command that failed: the NVM I/O and the Fabrics
 * values at 80h-82h overlap.
 */
enum nvmf_status_code {
	/* Generic command status (4.6.1.2.1). */
	NVMF_SC_SUCCESS                = 0x000,
	NVMF_SC_INVALID_OPCODE         = 0x001,
	NVMF_SC_INVALID_FIELD          = 0x002,
	NVMF_SC_CID_CONFLICT           = 0x003,
	NVMF_SC_DATA_XFER_ERROR        = 0x004,
	NVMF_SC_POWER_LOSS_ABORT       = 0x005,
	NVMF_SC_INTERNAL_ERROR         = 0x006,
	NVMF_SC_ABORT_REQUESTED        = 0x007,
	NVMF_SC_ABORT_SQ_DELETED       = 0x008,
	NVMF_SC_ABORT_FUSED_FAIL       = 0x009,
	NVMF_SC_ABORT_FUSED_MISSING    = 0x00A,
	NVMF_SC_INVALID_NS             = 0x00B,
	NVMF_SC_CMD_SEQ_ERROR          = 0x00C,
	NVMF_SC_SGL_INVALID_LAST_SEG   = 0x00D,
	NVMF_SC_SGL_INVALID_COUNT      = 0x00E,
	NVMF_SC_SGL_INVALID_DATA_LEN   = 0x00F,
	NVMF_SC_SGL_INVALID_MD_LEN     = 0x010,
	NVMF_SC_SGL_INVALID_TYPE       = 0x011,
	NVMF_SC_INVALID_CMB_USE        = 0x012,
	NVMF_SC_PRP_INVALID_OFFSET     = 0x013,
	NVMF_SC_ATOMIC_WU_EXCEEDED     = 0x014,
	NVMF_SC_OPERATION_DENIED       = 0x015,
	NVMF_SC_SGL_INVALID_OFFSET     = 0x016,
	NVMF_SC_HOSTID_INCONSISTENT    = 0x018,
	NVMF_SC_KATO_EXPIRED           = 0x019,
	NVMF_SC_KATO_INVALID           = 0x01A,
	NVMF_SC_ABORT_PREEMPT          = 0x01B,
	NVMF_SC_SANITIZE_FAILED        = 0x01C,
	NVMF_SC_SANITIZE_IN_PROGRESS   = 0x01D,
	NVMF_SC_SGL_INVALID_GRANULARITY = 0x01E,
	NVMF_SC_CMD_NOT_SUP_CMB_QUEUE  = 0x01F,
	NVMF_SC_NS_WRITE_PROTECTED     = 0x020,
	NVMF_SC_CMD_INTERRUPTED        = 0x021,
	NVMF_SC_TRANSIENT_TRANSPORT    = 0x022,
	NVMF_SC_CMD_PROHIBITED_LOCKDOWN = 0x023,
	NVMF_SC_ADMIN_MEDIA_NOT_READY  = 0x024,
	/* Generic command status, NVM command set (NVM Command Set 1.0, 3.3). */
	NVMF_SC_LBA_OUT_OF_RANGE       = 0x080,
	NVMF_SC_CAPACITY_EXCEEDED      = 0x081,
	NVMF_SC_NS_NOT_READY           = 0x082,
	NVMF_SC_RESERVATION_CONFLICT   = 0x083,
	NVMF_SC_FORMAT_IN_PROGRESS     = 0x084,

	/* Command specific status (4.6.1.2.2). */
	NVMF_SC_INVALID_CQ             = 0x100,
	NVMF_SC_INVALID_QID            = 0x101,
	NVMF_SC_INVALID_QUEUE_SIZE     = 0x102,
	NVMF_SC_ABORT_LIMIT_EXCEEDED   = 0x103,
	NVMF_SC_AER_LIMIT_EXCEEDED     = 0x105,
	NVMF_SC_INVALID_FW_SLOT        = 0x106,
	NVMF_SC_INVALID_FW_IMAGE       = 0x107,
	NVMF_SC_INVALID_INT_VECTOR     = 0x108,
	NVMF_SC_INVALID_LOG_PAGE       = 0x109,
	NVMF_SC_INVALID_FORMAT         = 0x10A,
	NVMF_SC_INVALID_QUEUE_DELETION = 0x10C,
	NVMF_SC_FEATURE_NOT_SAVEABLE   = 0x10D,
	NVMF_SC_FEATURE_NOT_CHANGEABLE = 0x10E,
	NVMF_SC_FEATURE_NOT_NS_SPECIFIC = 0x10F,
	/* ... NVM command set specific (NVM Command Set 1.0, 3.3.2). */
	NVMF_SC_CONFLICTING_ATTRIBUTES = 0x180,
	NVMF_SC_INVALID_PROT_INFO      = 0x181,
	NVMF_SC_WRITE_TO_RO_RANGE      = 0x182,  /* Attempted Write to Read Only Range */
	NVMF_SC_CMD_SIZE_LIMIT_EXCEEDED = 0x183,
	/* ... Fabrics commands (4.6.1.2.2, Fabrics command status values). */
	NVMF_SC_CONNECT_INCOMPATIBLE_FMT = 0x180,
	NVMF_SC_CONTROLLER_BUSY        = 0x181,
	NVMF_SC_CONNECT_INVALID_PARAMS = 0x182,
	NVMF_SC_CONNECT_RESTART_DISC   = 0x183,
	NVMF_SC_CONNECT_INVALID_HOST   = 0x184,
	NVMF_SC_INVALID_QUEUE_TYPE     = 0x185,
	NVMF_SC_DISCOVER_RESTART       = 0x190,
	NVMF_SC_AUTH_REQUIRED          = 0x191,

	/* Media and data integrity errors (4.6.1.2.3). */
	NVMF_SC_WRITE_FAULT            = 0x280,
	NVMF_SC_UNRECOVERED_READ       = 0x281,
	NVMF_SC_GUARD_CHECK            = 0x282,
	NVMF_SC_APPTAG_CHECK           = 0x283,
	NVMF_SC_REFTAG_CHECK           = 0x284,
	NVMF_SC_COMPARE_FAILURE        = 0x285,
	NVMF_SC_ACCESS_DENIED          = 0x286,
	NVMF_SC_DEALLOCATED_OR_UNWRITTEN = 0x287,

	/* Path related status (4.6.1.2.4). */
	NVMF_SC_INTERNAL_PATH_ERROR    = 0x300,
	NVMF_SC_ANA_PERSISTENT_LOSS    = 0x301,
	NVMF_SC_ANA_INACCESSIBLE       = 0x302,
	NVMF_SC_ANA_TRANSITION         = 0x303,
	NVMF_SC_CTRL_PATH_ERROR        = 0x360,
	NVMF_SC_HOST_PATH_ERROR        = 0x370,
	NVMF_SC_HOST_ABORTED           = 0x371,
};

/* ------------------------------------------------------------------------
 * Opcodes (NVMe Base 2.0, 5 "Admin Command Set"; NVM Command Set 1.0, 3).
 */
enum nvmf_admin_opcode {
	NVMF_ADM_DELETE_IO_SQ     = 0x00,
	NVMF_ADM_CREATE_IO_SQ     = 0x01,
	NVMF_ADM_GET_LOG_PAGE     = 0x02,
	NVMF_ADM_DELETE_IO_CQ     = 0x04,
	NVMF_ADM_CREATE_IO_CQ     = 0x05,
	NVMF_ADM_IDENTIFY         = 0x06,
	NVMF_ADM_ABORT            = 0x08,
	NVMF_ADM_SET_FEATURES     = 0x09,
	NVMF_ADM_GET_FEATURES     = 0x0A,
	NVMF_ADM_ASYNC_EVENT      = 0x0C,
	NVMF_ADM_NS_MGMT          = 0x0D,
	NVMF_ADM_FW_COMMIT        = 0x10,
	NVMF_ADM_FW_DOWNLOAD      = 0x11,
	NVMF_ADM_DEV_SELF_TEST    = 0x14,
	NVMF_ADM_NS_ATTACH        = 0x15,
	NVMF_ADM_KEEP_ALIVE       = 0x18,
	NVMF_ADM_DIRECTIVE_SEND   = 0x19,
	NVMF_ADM_DIRECTIVE_RECV   = 0x1A,
	NVMF_ADM_FABRICS          = 0x7F,
	NVMF_ADM_FORMAT_NVM       = 0x80,
	NVMF_ADM_SECURITY_SEND    = 0x81,
	NVMF_ADM_SECURITY_RECV    = 0x82,
	NVMF_ADM_SANITIZE         = 0x84,
};

enum nvmf_nvm_opcode {
	NVMF_NVM_FLUSH            = 0x00,
	NVMF_NVM_WRITE            = 0x01,
	NVMF_NVM_READ             = 0x02,
	NVMF_NVM_WRITE_UNCOR      = 0x04,
	NVMF_NVM_COMPARE          = 0x05,
	NVMF_NVM_WRITE_ZEROES     = 0x08,
	NVMF_NVM_DSM              = 0x09,
	NVMF_NVM_VERIFY           = 0x0C,
	NVMF_NVM_RESV_REGISTER    = 0x0D,
	NVMF_NVM_RESV_REPORT      = 0x0E,
	NVMF_NVM_RESV_ACQUIRE     = 0x11,
	NVMF_NVM_RESV_RELEASE     = 0x15,
	NVMF_NVM_COPY             = 0x19,
	NVMF_IO_FABRICS           = 0x7F,  /* Fabrics commands on I/O queues (Connect) */
};

/*
 * Data direction is in the two low bits of an opcode (and of a Fabrics
 * FCTYPE): 01b host to controller, 10b controller to host (4.2, Figure 91).
 */
static inline unsigned nvmf_opcode_xfer(uint8_t opc) { return opc & 0x3u; }
#define NVMF_XFER_NONE     0x0u
#define NVMF_XFER_H2C      0x1u
#define NVMF_XFER_C2H      0x2u
#define NVMF_XFER_BIDIR    0x3u

/* Fabrics command types (NVMe Base 2.0, 6 "Fabrics Command Set"). */
enum nvmf_fctype {
	NVMF_FCTYPE_PROPERTY_SET  = 0x00,
	NVMF_FCTYPE_CONNECT       = 0x01,
	NVMF_FCTYPE_PROPERTY_GET  = 0x04,
	NVMF_FCTYPE_AUTH_SEND     = 0x05,
	NVMF_FCTYPE_AUTH_RECV     = 0x06,
	NVMF_FCTYPE_DISCONNECT    = 0x08,
};

/* ------------------------------------------------------------------------
 * Fabrics command capsules: overlays of the 64-byte SQE (NVMe Base 2.0, 6).
 */

/* Common Fabrics command layout (6.1, Figure 375). */
struct nvmf_fabrics_cmd {
	uint8_t  opcode;        /* NVMF_ADM_FABRICS */
	uint8_t  flags;
	uint16_t cid;
	uint8_t  fctype;
	uint8_t  rsvd5[19];
	union nvmf_dptr dptr;
	uint8_t  fcs[24];       /* Fabrics command specific */
};

/* Connect (6.3): bytes 40.. of the SQE. */
#define NVMF_CONNECT_RECFMT        0x0000
#define NVMF_CONNECT_CATTR_PRIO_MASK    0x03u  /* I/O queues: WRR priority class */
#define NVMF_CONNECT_CATTR_DISABLE_SQFC 0x04u  /* DISSQFC: host asks to disable SQ flow control */
#define NVMF_CONNECT_CATTR_INDIVIOQDELS 0x08u  /* host can delete I/O queues one by one (2.1) */
#define NVMF_CONNECT_CATTR_CONNENT      0x10u  /* connecting entity is a discovery controller (2.1) */
#define NVMF_ADMIN_QUEUE_MIN_ENTRIES 32       /* Fabrics admin SQ: at least 32 entries */
#define NVMF_CNTLID_DYNAMIC        0xFFFFu    /* Connect data CNTLID: any (dynamic model) */
#define NVMF_CNTLID_STATIC_ANY     0xFFFEu    /* any controller, static model */

struct nvmf_connect_cmd {
	uint8_t  opcode;
	uint8_t  flags;
	uint16_t cid;
	uint8_t  fctype;        /* NVMF_FCTYPE_CONNECT */
	uint8_t  rsvd5[19];
	union nvmf_dptr dptr;   /* the 1024-byte Connect data */
	uint16_t recfmt;
	uint16_t qid;
	uint16_t sqsize;        /* 0's based */
	uint8_t  cattr;
	uint8_t  rsvd47;
	uint32_t kato;          /* keep alive timeout in ms, admin queue only */
	uint8_t  rsvd52[12];
};

/* Connect data (6.3, Figure 380). */
struct nvmf_connect_payload {
	uint8_t  hostid[NVMF_HOSTID_LEN];
	uint16_t cntlid;
	uint8_t  rsvd18[238];
	char     subnqn[NVMF_NQN_FIELD_LEN];
	char     hostnqn[NVMF_NQN_FIELD_LEN];
	uint8_t  rsvd768[256];
};

/*
 * Connect response DW0 (6.3, Figure 381). On success: CNTLID in bits 15:0
 * and AUTHREQ in bits 31:16 (ATR bit 17: authentication transaction required;
 * ASCR bit 18: secure channel concatenation required). On Connect Invalid
 * Parameters: IPO (offset of the bad field) in 15:0, IATTR in 23:16, whose
 * bit 0 tells whether IPO is in the Connect data (1) or in the SQE (0).
 */
#define NVMF_CONNECT_AUTHREQ_ATR   (1u << 17)
#define NVMF_CONNECT_AUTHREQ_ASCR  (1u << 18)
#define NVMF_CONNECT_IATTR_IN_DATA 0x01u

static inline uint16_t nvmf_connect_rsp_cntlid(uint32_t dw0)  { return (uint16_t)(dw0 & 0xFFFFu); }
static inline uint16_t nvmf_connect_rsp_authreq(uint32_t dw0) { return (uint16_t)(dw0 >> 16); }
static inline uint16_t nvmf_connect_rsp_ipo(uint32_t dw0)     { return (uint16_t)(dw0 & 0xFFFFu); }
static inline uint8_t  nvmf_connect_rsp_iattr(uint32_t dw0)   { return (uint8_t)((dw0 >> 16) & 0xFFu); }

/* DW0 of a Connect Invalid Parameters completion naming the bad field: IPO is
 * an offset in the SQE (iattr 0) or, with NVMF_CONNECT_IATTR_IN_DATA, in the
 * Connect data. */
static inline uint32_t nvmf_connect_rsp_invalid(uint8_t iattr, uint16_t ipo)
{
	return (uint32_t)ipo | ((uint32_t)iattr << 16);
}

/* Property Get / Property Set (6.6, 6.7). ATTRIB bits 2:0 give the size. */
#define NVMF_PROP_ATTRIB_SIZE_4 0x0u
#define NVMF_PROP_ATTRIB_SIZE_8 0x1u

struct nvmf_prop_set_cmd {
	uint8_t  opcode;
	uint8_t  flags;
	uint16_t cid;
	uint8_t  fctype;        /* NVMF_FCTYPE_PROPERTY_SET */
	uint8_t  rsvd5[35];
	uint8_t  attrib;
	uint8_t  rsvd41[3];
	uint32_t ofst;          /* property offset */
	uint64_t value;
	uint8_t  rsvd56[8];
};

struct nvmf_prop_get_cmd {
	uint8_t  opcode;
	uint8_t  flags;
	uint16_t cid;
	uint8_t  fctype;        /* NVMF_FCTYPE_PROPERTY_GET */
	uint8_t  rsvd5[35];
	uint8_t  attrib;
	uint8_t  rsvd41[3];
	uint32_t ofst;
	uint8_t  rsvd48[16];
};

/* Disconnect (6.4): closes the queue the command is sent on. */
struct nvmf_disconnect_cmd {
	uint8_t  opcode;
	uint8_t  flags;
	uint16_t cid;
	uint8_t  fctype;        /* NVMF_FCTYPE_DISCONNECT */
	uint8_t  rsvd5[35];
	uint16_t recfmt;
	uint8_t  rsvd42[22];
};

/*
 * Authentication Send / Receive (6.1, 6.2): CDW10 holds SECP (31:24),
 * SPSP1 (23:16), SPSP0 (15:8); CDW11 the transfer (TL) or allocation (AL)
 * length. DH-HMAC-CHAP uses SECP E9h.
 */
#define NVMF_AUTH_SECP_NVME 0xE9u

struct nvmf_auth_send_cmd {
	uint8_t  opcode;
	uint8_t  flags;
	uint16_t cid;
	uint8_t  fctype;        /* NVMF_FCTYPE_AUTH_SEND */
	uint8_t  rsvd5[19];
	union nvmf_dptr dptr;
	uint8_t  rsvd40;
	uint8_t  spsp0;
	uint8_t  spsp1;
	uint8_t  secp;
	uint32_t tl;
	uint8_t  rsvd48[16];
};

struct nvmf_auth_recv_cmd {
	uint8_t  opcode;
	uint8_t  flags;
	uint16_t cid;
	uint8_t  fctype;        /* NVMF_FCTYPE_AUTH_RECV */
	uint8_t  rsvd5[19];
	union nvmf_dptr dptr;
	uint8_t  rsvd40;
	uint8_t  spsp0;
	uint8_t  spsp1;
	uint8_t  secp;
	uint32_t al;
	uint8_t  rsvd48[16];
};

/* ------------------------------------------------------------------------
 * Controller properties (NVMe Base 2.0, 3.1.3), read and written with
 * Property Get/Set over Fabrics. CAP is 8 bytes, the others 4.
 */
enum nvmf_prop_offset {
	NVMF_PROP_CAP   = 0x00,
	NVMF_PROP_VS    = 0x08,
	NVMF_PROP_INTMS = 0x0C,
	NVMF_PROP_INTMC = 0x10,
	NVMF_PROP_CC    = 0x14,
	NVMF_PROP_CSTS  = 0x1C,
	NVMF_PROP_NSSR  = 0x20,
};

#define NVMF_NSSR_RESET_VALUE 0x4E564D65u  /* "NVMe" starts an NVM subsystem reset */

/* CAP (3.1.3.1). */
static inline uint32_t nvmf_cap_mqes(uint64_t cap)   { return (uint32_t)(cap & 0xFFFFu); }  /* 0's based */
static inline unsigned nvmf_cap_cqr(uint64_t cap)    { return (unsigned)((cap >> 16) & 0x1u); }
static inline unsigned nvmf_cap_ams(uint64_t cap)    { return (unsigned)((cap >> 17) & 0x3u); }
static inline unsigned nvmf_cap_to(uint64_t cap)     { return (unsigned)((cap >> 24) & 0xFFu); } /* 500 ms units */
static inline unsigned nvmf_cap_dstrd(uint64_t cap)  { return (unsigned)((cap >> 32) & 0xFu); }
static inline unsigned nvmf_cap_nssrs(uint64_t cap)  { return (unsigned)((cap >> 36) & 0x1u); }
static inline unsigned nvmf_cap_css(uint64_t cap)    { return (unsigned)((cap >> 37) & 0xFFu); }
static inline unsigned nvmf_cap_mpsmin(uint64_t cap) { return (unsigned)((cap >> 48) & 0xFu); } /* 2^(12+n) bytes */
static inline unsigned nvmf_cap_mpsmax(uint64_t cap) { return (unsigned)((cap >> 52) & 0xFu); }
#define NVMF_CAP_CSS_NVM       0x01u  /* NVM command set */
#define NVMF_CAP_CSS_IOCS      0x40u  /* one or more I/O command sets */
#define NVMF_CAP_CSS_NO_IO     0x80u  /* admin only (discovery controllers) */

/* VS (3.1.3.2): major 31:16, minor 15:8, tertiary 7:0. */
#define NVMF_VS(maj, min, ter) ((uint32_t)(((uint32_t)(maj) << 16) | ((uint32_t)(min) << 8) | (uint32_t)(ter)))
static inline unsigned nvmf_vs_major(uint32_t vs)    { return vs >> 16; }
static inline unsigned nvmf_vs_minor(uint32_t vs)    { return (vs >> 8) & 0xFFu; }
static inline unsigned nvmf_vs_tertiary(uint32_t vs) { return vs & 0xFFu; }

/* CC (3.1.3.5). */
#define NVMF_CC_EN             (1u << 0)
#define NVMF_CC_CSS_SHIFT      4
#define NVMF_CC_CSS_MASK       (0x7u << 4)
#define NVMF_CC_CSS_NVM        0x0u
#define NVMF_CC_CSS_ALL_IOCS   0x6u
#define NVMF_CC_CSS_ADMIN_ONLY 0x7u
#define NVMF_CC_MPS_SHIFT      7
#define NVMF_CC_MPS_MASK       (0xFu << 7)
#define NVMF_CC_AMS_SHIFT      11
#define NVMF_CC_AMS_MASK       (0x7u << 11)
#define NVMF_CC_SHN_SHIFT      14
#define NVMF_CC_SHN_MASK       (0x3u << 14)
#define NVMF_CC_SHN_NONE       0x0u
#define NVMF_CC_SHN_NORMAL     0x1u
#define NVMF_CC_SHN_ABRUPT     0x2u
#define NVMF_CC_IOSQES_SHIFT   16
#define NVMF_CC_IOSQES_MASK    (0xFu << 16)
#define NVMF_CC_IOCQES_SHIFT   20
#define NVMF_CC_IOCQES_MASK    (0xFu << 20)
#define NVMF_CC_CRIME          (1u << 24)

static inline unsigned nvmf_cc_en(uint32_t cc)     { return cc & NVMF_CC_EN; }
static inline unsigned nvmf_cc_css(uint32_t cc)    { return (cc & NVMF_CC_CSS_MASK) >> NVMF_CC_CSS_SHIFT; }
static inline unsigned nvmf_cc_mps(uint32_t cc)    { return (cc & NVMF_CC_MPS_MASK) >> NVMF_CC_MPS_SHIFT; }
static inline unsigned nvmf_cc_ams(uint32_t cc)    { return (cc & NVMF_CC_AMS_MASK) >> NVMF_CC_AMS_SHIFT; }
static inline unsigned nvmf_cc_shn(uint32_t cc)    { return (cc & NVMF_CC_SHN_MASK) >> NVMF_CC_SHN_SHIFT; }
static inline unsigned nvmf_cc_iosqes(uint32_t cc) { return (cc & NVMF_CC_IOSQES_MASK) >> NVMF_CC_IOSQES_SHIFT; }
static inline unsigned nvmf_cc_iocqes(uint32_t cc) { return (cc & NVMF_CC_IOCQES_MASK) >> NVMF_CC_IOCQES_SHIFT; }

/* CC value a host writes to enable a controller: entry sizes as log2 (6 and 4). */
static inline uint32_t nvmf_cc_make(unsigned css, unsigned mps, unsigned ams,
				    unsigned iosqes, unsigned iocqes)
{
	return NVMF_CC_EN |
	       ((css & 0x7u) << NVMF_CC_CSS_SHIFT) |
	       ((mps & 0xFu) << NVMF_CC_MPS_SHIFT) |
	       ((ams & 0x7u) << NVMF_CC_AMS_SHIFT) |
	       ((iosqes & 0xFu) << NVMF_CC_IOSQES_SHIFT) |
	       ((iocqes & 0xFu) << NVMF_CC_IOCQES_SHIFT);
}

/* CSTS (3.1.3.6). */
#define NVMF_CSTS_RDY          (1u << 0)
#define NVMF_CSTS_CFS          (1u << 1)
#define NVMF_CSTS_SHST_SHIFT   2
#define NVMF_CSTS_SHST_MASK    (0x3u << 2)
#define NVMF_CSTS_SHST_NORMAL  0x0u  /* normal operation */
#define NVMF_CSTS_SHST_OCCURRING 0x1u
#define NVMF_CSTS_SHST_COMPLETE 0x2u
#define NVMF_CSTS_NSSRO        (1u << 4)
#define NVMF_CSTS_PP           (1u << 5)
#define NVMF_CSTS_ST           (1u << 6)

static inline unsigned nvmf_csts_rdy(uint32_t csts)  { return csts & NVMF_CSTS_RDY; }
static inline unsigned nvmf_csts_cfs(uint32_t csts)  { return (csts & NVMF_CSTS_CFS) >> 1; }
static inline unsigned nvmf_csts_shst(uint32_t csts) { return (csts & NVMF_CSTS_SHST_MASK) >> NVMF_CSTS_SHST_SHIFT; }

/* ------------------------------------------------------------------------
 * Identify (NVMe Base 2.0, 5.17). CDW10: CNS 7:0, CNTID 31:16;
 * CDW11: CNS specific identifier 15:0, CSI 31:24.
 */
enum nvmf_cns {
	NVMF_CNS_NS              = 0x00,
	NVMF_CNS_CTRL            = 0x01,
	NVMF_CNS_ACTIVE_NS_LIST  = 0x02,
	NVMF_CNS_NS_DESC_LIST    = 0x03,
	NVMF_CNS_NVMSET_LIST     = 0x04,
	NVMF_CNS_CSI_NS          = 0x05,
	NVMF_CNS_CSI_CTRL        = 0x06,
	NVMF_CNS_CSI_ACTIVE_NS_LIST = 0x07,
};

static inline uint32_t nvmf_identify_cdw10(uint8_t cns, uint16_t cntid)
{
	return (uint32_t)cns | ((uint32_t)cntid << 16);
}

#define NVMF_NS_LIST_MAX       1024   /* NSIDs in an active NS list / changed NS list */
#define NVMF_NSID_ALL          0xFFFFFFFFu

/* Namespace identification descriptor header (5.17.2.3, Figure 279). */
enum nvmf_nidt {
	NVMF_NIDT_EUI64 = 0x1,   /* NIDL 8 */
	NVMF_NIDT_NGUID = 0x2,   /* NIDL 16 */
	NVMF_NIDT_UUID  = 0x3,   /* NIDL 16 */
	NVMF_NIDT_CSI   = 0x4,   /* NIDL 1 */
};

struct nvmf_ns_id_desc {
	uint8_t nidt;
	uint8_t nidl;
	uint8_t rsvd2[2];
	/* NIDL bytes of identifier follow */
};

/* Power state descriptor (5.17.2.1, Figure 276). */
struct nvmf_id_psd {
	uint16_t mp;
	uint8_t  rsvd2;
	uint8_t  flags;
	uint32_t enlat;
	uint32_t exlat;
	uint8_t  rrt;
	uint8_t  rrl;
	uint8_t  rwt;
	uint8_t  rwl;
	uint16_t idlp;
	uint8_t  ips;
	uint8_t  rsvd19;
	uint16_t actp;
	uint8_t  apws;
	uint8_t  rsvd23[9];
};

/* Identify Controller data structure (5.17.2.1, Figure 275). */
struct nvmf_id_ctrl {
	/* Controller capabilities and features */
	uint16_t vid;
	uint16_t ssvid;
	char     sn[20];
	char     mn[40];
	char     fr[8];
	uint8_t  rab;
	uint8_t  ieee[3];
	uint8_t  cmic;
	uint8_t  mdts;          /* 2^n minimum pages, 0 = no limit */
	uint16_t cntlid;
	uint32_t ver;
	uint32_t rtd3r;
	uint32_t rtd3e;
	uint32_t oaes;
	uint32_t ctratt;
	uint16_t rrls;
	uint8_t  rsvd102[9];
	uint8_t  cntrltype;
	uint8_t  fguid[16];
	uint16_t crdt1;
	uint16_t crdt2;
	uint16_t crdt3;
	uint8_t  rsvd134[119];
	uint8_t  nvmsr;
	uint8_t  vwci;
	uint8_t  mec;
	/* Admin command set attributes and optional controller capabilities */
	uint16_t oacs;
	uint8_t  acl;           /* 0's based */
	uint8_t  aerl;          /* 0's based */
	uint8_t  frmw;
	uint8_t  lpa;
	uint8_t  elpe;          /* 0's based */
	uint8_t  npss;          /* 0's based */
	uint8_t  avscc;
	uint8_t  apsta;
	uint16_t wctemp;
	uint16_t cctemp;
	uint16_t mtfa;
	uint32_t hmpre;
	uint32_t hmmin;
	uint8_t  tnvmcap[16];
	uint8_t  unvmcap[16];
	uint32_t rpmbs;
	uint16_t edstt;
	uint8_t  dsto;
	uint8_t  fwug;
	uint16_t kas;           /* keep alive granularity, 100 ms units */
	uint16_t hctma;
	uint16_t mntmt;
	uint16_t mxtmt;
	uint32_t sanicap;
	uint32_t hmminds;
	uint16_t hmmaxd;
	uint16_t nsetidmax;
	uint16_t endgidmax;
	uint8_t  anatt;
	uint8_t  anacap;
	uint32_t anagrpmax;
	uint32_t nanagrpid;
	uint32_t pels;
	uint16_t domainid;
	uint8_t  rsvd358[10];
	uint8_t  megcap[16];
	uint8_t  rsvd384[128];
	/* NVM command set attributes */
	uint8_t  sqes;          /* max 7:4, required 3:0, log2 bytes */
	uint8_t  cqes;
	uint16_t maxcmd;
	uint32_t nn;
	uint16_t oncs;
	uint16_t fuses;
	uint8_t  fna;
	uint8_t  vwc;
	uint16_t awun;
	uint16_t awupf;
	uint8_t  icsvscc;
	uint8_t  nwpc;
	uint16_t acwu;
	uint16_t ocfs;
	uint32_t sgls;
	uint32_t mnan;
	uint8_t  maxdna[16];
	uint32_t maxcna;
	uint8_t  rsvd564[204];
	char     subnqn[NVMF_NQN_FIELD_LEN];
	uint8_t  rsvd1024[768];
	/* Fabrics (I/O command capsule sizes in 16-byte units, SQE included) */
	uint32_t ioccsz;
	uint32_t iorcsz;
	uint16_t icdoff;        /* in-capsule data offset, 16-byte units */
	uint8_t  fcatt;
	uint8_t  msdbd;
	uint16_t ofcs;
	uint8_t  dctype;
	uint8_t  rsvd1807[241];
	/* Power state descriptors */
	struct nvmf_id_psd psd[32];
	uint8_t  vs[1024];
};

/* CMIC. */
#define NVMF_CTRL_CMIC_MULTI_PORT  (1u << 0)
#define NVMF_CTRL_CMIC_MULTI_CTRL  (1u << 1)
#define NVMF_CTRL_CMIC_SRIOV       (1u << 2)
#define NVMF_CTRL_CMIC_ANA         (1u << 3)
/* CNTRLTYPE. */
enum nvmf_cntrltype {
	NVMF_CNTRLTYPE_UNREPORTED = 0,
	NVMF_CNTRLTYPE_IO         = 1,
	NVMF_CNTRLTYPE_DISCOVERY  = 2,
	NVMF_CNTRLTYPE_ADMIN      = 3,
};
/* CTRATT. */
#define NVMF_CTRATT_HOSTID_128     (1u << 0)
#define NVMF_CTRATT_NOPSPM         (1u << 1)
#define NVMF_CTRATT_NVM_SETS       (1u << 2)
#define NVMF_CTRATT_RRL            (1u << 3)
#define NVMF_CTRATT_ENDGRPS        (1u << 4)
#define NVMF_CTRATT_PLM            (1u << 5)
#define NVMF_CTRATT_TBKAS          (1u << 6)  /* traffic based keep alive */
#define NVMF_CTRATT_NSGRAN         (1u << 7)
#define NVMF_CTRATT_UUIDLIST       (1u << 9)
/* OACS. */
#define NVMF_OACS_SECURITY         (1u << 0)
#define NVMF_OACS_FORMAT           (1u << 1)
#define NVMF_OACS_FW               (1u << 2)
#define NVMF_OACS_NS_MGMT          (1u << 3)
#define NVMF_OACS_SELF_TEST        (1u << 4)
#define NVMF_OACS_DIRECTIVES       (1u << 5)
#define NVMF_OACS_NVME_MI          (1u << 6)
#define NVMF_OACS_VIRT_MGMT        (1u << 7)
#define NVMF_OACS_DBBUF            (1u << 8)
#define NVMF_OACS_LBA_STATUS       (1u << 9)
/* LPA. */
#define NVMF_LPA_SMART_PER_NS      (1u << 0)
#define NVMF_LPA_CMD_EFFECTS       (1u << 1)
#define NVMF_LPA_EXTENDED          (1u << 2)  /* extended Get Log Page (NUMDU, LPO) */
#define NVMF_LPA_TELEMETRY         (1u << 3)
#define NVMF_LPA_PERSIST_EVENT     (1u << 4)
/* ONCS (optional NVM commands). */
#define NVMF_ONCS_COMPARE          (1u << 0)
#define NVMF_ONCS_WRITE_UNCOR      (1u << 1)
#define NVMF_ONCS_DSM              (1u << 2)
#define NVMF_ONCS_WRITE_ZEROES     (1u << 3)
#define NVMF_ONCS_SAVE_FEATURES    (1u << 4)
#define NVMF_ONCS_RESERVATIONS     (1u << 5)
#define NVMF_ONCS_TIMESTAMP        (1u << 6)
#define NVMF_ONCS_VERIFY           (1u << 7)
#define NVMF_ONCS_COPY             (1u << 8)
/* FUSES. */
#define NVMF_FUSES_COMPARE_WRITE   (1u << 0)
/* FNA. */
#define NVMF_FNA_FMT_ALL_NS        (1u << 0)
#define NVMF_FNA_SEC_ALL_NS        (1u << 1)
#define NVMF_FNA_CRYPTO_ERASE      (1u << 2)
/* VWC: bit 0 present; bits 2:1 whether Flush with NSID FFFFFFFFh works. */
#define NVMF_VWC_PRESENT           (1u << 0)
#define NVMF_VWC_FLUSH_BCAST_MASK  (0x3u << 1)
#define NVMF_VWC_FLUSH_BCAST_NO    (0x2u << 1)
#define NVMF_VWC_FLUSH_BCAST_YES   (0x3u << 1)
/* SGLS. */
#define NVMF_SGLS_SUPPORT_MASK     0x3u       /* 01b any alignment, 10b dword aligned */
#define NVMF_SGLS_KEYED            (1u << 2)
#define NVMF_SGLS_BIT_BUCKET       (1u << 16)
#define NVMF_SGLS_MPTR_BYTE_ALIGN  (1u << 17)
#define NVMF_SGLS_OVERSIZE         (1u << 18)
#define NVMF_SGLS_MPTR_SGL         (1u << 19)
#define NVMF_SGLS_OFFSET           (1u << 20)
#define NVMF_SGLS_TRANSPORT_DB     (1u << 21)
/* FCATT. */
#define NVMF_FCATT_STATIC_MODEL    (1u << 0)
/* SQES / CQES: required size in bits 3:0, maximum in 7:4, as log2 bytes. */
static inline unsigned nvmf_qes_min(uint8_t qes) { return qes & 0xFu; }
static inline unsigned nvmf_qes_max(uint8_t qes) { return (unsigned)qes >> 4; }

/* LBA format (NVM Command Set 1.0, 4.1.5.1, Figure 98). */
struct nvmf_lbaf {
	uint16_t ms;            /* metadata bytes per block */
	uint8_t  lbads;         /* log2 of the block size; 0 = format unavailable */
	uint8_t  rp;            /* relative performance in bits 1:0 */
};

/* Identify Namespace, NVM command set (NVM Command Set 1.0, 4.1.5.1). */
struct nvmf_id_ns {
	uint64_t nsze;
	uint64_t ncap;
	uint64_t nuse;
	uint8_t  nsfeat;
	uint8_t  nlbaf;         /* 0's based */
	uint8_t  flbas;
	uint8_t  mc;
	uint8_t  dpc;
	uint8_t  dps;
	uint8_t  nmic;
	uint8_t  rescap;
	uint8_t  fpi;
	uint8_t  dlfeat;
	uint16_t nawun;
	uint16_t nawupf;
	uint16_t nacwu;
	uint16_t nabsn;
	uint16_t nabo;
	uint16_t nabspf;
	uint16_t noiob;
	uint8_t  nvmcap[16];
	uint16_t npwg;
	uint16_t npwa;
	uint16_t npdg;
	uint16_t npda;
	uint16_t nows;
	uint16_t mssrl;
	uint32_t mcl;
	uint8_t  msrc;
	uint8_t  rsvd81;
	uint8_t  nulbaf;
	uint8_t  rsvd83[9];
	uint32_t anagrpid;
	uint8_t  rsvd96[3];
	uint8_t  nsattr;
	uint16_t nvmsetid;
	uint16_t endgid;
	uint8_t  nguid[16];
	uint8_t  eui64[8];
	struct nvmf_lbaf lbaf[64];
	uint8_t  vs[3712];
};

/* NSFEAT. */
#define NVMF_NSFEAT_THIN           (1u << 0)
#define NVMF_NSFEAT_NSABP          (1u << 1)  /* NAWUN, NAWUPF, NACWU valid */
#define NVMF_NSFEAT_DAE            (1u << 2)  /* deallocated/unwritten error */
#define NVMF_NSFEAT_UIDREUSE       (1u << 3)
#define NVMF_NSFEAT_OPTPERF        (1u << 4)  /* NPWG, NPWA, NPDG, NPDA, NOWS valid */
/* FLBAS: format index bits 3:0 plus 6:5 (upper bits), bit 4 metadata inline. */
#define NVMF_FLBAS_LOWER_MASK      0x0Fu
#define NVMF_FLBAS_EXTENDED        (1u << 4)
#define NVMF_FLBAS_UPPER_MASK      0x60u
/* DLFEAT: what reading a deallocated block returns, and Write Zeroes DEAC. */
#define NVMF_DLFEAT_READ_MASK      0x07u
#define NVMF_DLFEAT_READ_UNKNOWN   0x0u
#define NVMF_DLFEAT_READ_ZEROES    0x1u
#define NVMF_DLFEAT_READ_ONES      0x2u
#define NVMF_DLFEAT_WZ_DEAC        (1u << 3)  /* Write Zeroes may deallocate */
#define NVMF_DLFEAT_GUARD_CRC      (1u << 4)
/* NMIC. */
#define NVMF_NMIC_SHARED           (1u << 0)

/* Index of the LBA format in use (NVM Command Set 1.0, Figure 97 FLBAS). */
static inline unsigned nvmf_id_ns_flbas_index(uint8_t flbas)
{
	return (flbas & NVMF_FLBAS_LOWER_MASK) | ((flbas & NVMF_FLBAS_UPPER_MASK) >> 1);
}

/* Block size in bytes of the format in use, 0 if LBADS is out of range. */
static inline uint32_t nvmf_id_ns_block_size(const struct nvmf_id_ns *ns)
{
	unsigned idx = nvmf_id_ns_flbas_index(ns->flbas);
	uint8_t lbads;

	if (idx > 63)
		return 0;
	lbads = ns->lbaf[idx].lbads;
	if (lbads < 9 || lbads > 31)   /* 512 bytes is the spec minimum */
		return 0;
	return (uint32_t)1 << lbads;
}

static inline uint16_t nvmf_id_ns_ms(const struct nvmf_id_ns *ns)
{
	return nvmf_le16toh(ns->lbaf[nvmf_id_ns_flbas_index(ns->flbas) & 63u].ms);
}

/* ------------------------------------------------------------------------
 * Log pages (NVMe Base 2.0, 5.16). Get Log Page: CDW10 LID 7:0, LSP 14:8,
 * RAE 15, NUMDL 31:16; CDW11 NUMDU 15:0, LSI 31:16; CDW12/13 LPOL/LPOU
 * (byte offset, dword aligned); CDW14 UUID 6:0, OT 23, CSI 31:24.
 * NUMD is the 0's based number of dwords.
 */
enum nvmf_log_id {
	NVMF_LID_ERROR            = 0x01,
	NVMF_LID_SMART            = 0x02,
	NVMF_LID_FW_SLOT          = 0x03,
	NVMF_LID_CHANGED_NS       = 0x04,
	NVMF_LID_CMD_EFFECTS      = 0x05,
	NVMF_LID_DEV_SELF_TEST    = 0x06,
	NVMF_LID_TELEMETRY_HOST   = 0x07,
	NVMF_LID_TELEMETRY_CTRL   = 0x08,
	NVMF_LID_ANA              = 0x0C,
	NVMF_LID_DISCOVERY        = 0x70,
	NVMF_LID_RESV_NOTIFY      = 0x80,
	NVMF_LID_SANITIZE         = 0x81,
};

#define NVMF_GLP_RAE (1u << 15)

static inline uint32_t nvmf_get_log_cdw10(uint8_t lid, uint8_t lsp, int rae, uint32_t numd)
{
	return (uint32_t)lid | ((uint32_t)(lsp & 0x7Fu) << 8) |
	       (rae ? NVMF_GLP_RAE : 0u) | ((numd & 0xFFFFu) << 16);
}

static inline uint32_t nvmf_get_log_cdw11(uint32_t numd, uint16_t lsi)
{
	return (numd >> 16) | ((uint32_t)lsi << 16);
}

/*
 * Fills opcode and dwords of a Get Log Page for len bytes (a multiple of 4;
 * less than 4 reads one dword) from byte offset ofs (a multiple of 4), in
 * wire order. NSID, CID and the data pointer are the caller's.
 */
static inline void nvmf_sqe_get_log_page(struct nvmf_sqe *sqe, uint8_t lid, uint8_t lsp,
					 int rae, uint32_t len, uint64_t ofs)
{
	uint32_t numd = len >= 4u ? (len / 4u) - 1u : 0u;

	sqe->opcode = NVMF_ADM_GET_LOG_PAGE;
	sqe->cdw10 = nvmf_htole32(nvmf_get_log_cdw10(lid, lsp, rae, numd));
	sqe->cdw11 = nvmf_htole32(nvmf_get_log_cdw11(numd, 0));
	sqe->cdw12 = nvmf_htole32((uint32_t)ofs);
	sqe->cdw13 = nvmf_htole32((uint32_t)(ofs >> 32));
}

/* Error information log entry (5.16.1.2, Figure 198). */
struct nvmf_error_log_entry {
	uint64_t error_count;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;        /* status field in 15:1, phase tag in bit 0 */
	uint16_t pel;           /* parameter error location: byte 7:0, bit 10:8 */
	uint64_t lba;
	uint32_t nsid;
	uint8_t  vsia;
	uint8_t  trtype;
	uint8_t  rsvd30[2];
	uint64_t csi;           /* command specific information */
	uint16_t ttsi;          /* transport type specific information */
	uint8_t  rsvd42[22];
};

/* SMART / Health information log (5.16.1.3, Figure 207). 128-bit counters are raw LE bytes. */
struct nvmf_smart_log {
	uint8_t  critical_warning;
	uint8_t  temperature[2];      /* composite, Kelvin, LE */
	uint8_t  avail_spare;
	uint8_t  spare_thresh;
	uint8_t  percent_used;
	uint8_t  endu_grp_crit_warn;
	uint8_t  rsvd7[25];
	uint8_t  data_units_read[16];
	uint8_t  data_units_written[16];
	uint8_t  host_reads[16];
	uint8_t  host_writes[16];
	uint8_t  ctrl_busy_time[16];
	uint8_t  power_cycles[16];
	uint8_t  power_on_hours[16];
	uint8_t  unsafe_shutdowns[16];
	uint8_t  media_errors[16];
	uint8_t  num_err_log_entries[16];
	uint32_t warning_temp_time;
	uint32_t critical_comp_time;
	uint16_t temp_sensor[8];
	uint32_t thm_temp1_trans_count;
	uint32_t thm_temp2_trans_count;
	uint32_t thm_temp1_total_time;
	uint32_t thm_temp2_total_time;
	uint8_t  rsvd232[280];
};

#define NVMF_SMART_CRIT_SPARE      (1u << 0)
#define NVMF_SMART_CRIT_TEMP       (1u << 1)
#define NVMF_SMART_CRIT_DEGRADED   (1u << 2)
#define NVMF_SMART_CRIT_READ_ONLY  (1u << 3)
#define NVMF_SMART_CRIT_VOLATILE   (1u << 4)
#define NVMF_SMART_CRIT_PMR_RO     (1u << 5)

/* Firmware slot information log (5.16.1.4, Figure 208). */
struct nvmf_fw_slot_log {
	uint8_t  afi;
	uint8_t  rsvd1[7];
	char     frs[7][8];
	uint8_t  rsvd64[448];
};

/* Changed namespace list log: up to 1024 NSIDs; FFFFFFFFh first = more changed. */
struct nvmf_changed_ns_log {
	uint32_t nsid[NVMF_NS_LIST_MAX];
};

/* ------------------------------------------------------------------------
 * Discovery log page (NVMe Base 2.0, 5.16.1.23). A 1024-byte header then
 * NUMREC 1024-byte entries. GENCTR changes whenever the log changes, so a
 * host re-reads the header after the entries and retries on a change.
 */
struct nvmf_disc_log_hdr {
	uint64_t genctr;
	uint64_t numrec;
	uint16_t recfmt;
	uint8_t  rsvd18[1006];
};

enum nvmf_disc_trtype {
	NVMF_DISC_TRTYPE_RDMA  = 1,
	NVMF_DISC_TRTYPE_FC    = 2,
	NVMF_DISC_TRTYPE_TCP   = 3,
	NVMF_DISC_TRTYPE_INTRA_HOST = 254,
};

enum nvmf_disc_adrfam {
	NVMF_DISC_ADRFAM_IPV4  = 1,
	NVMF_DISC_ADRFAM_IPV6  = 2,
	NVMF_DISC_ADRFAM_IB    = 3,
	NVMF_DISC_ADRFAM_FC    = 4,
	NVMF_DISC_ADRFAM_INTRA_HOST = 254,
};

enum nvmf_disc_subtype {
	NVMF_DISC_SUBTYPE_REFERRAL  = 1,  /* another discovery service */
	NVMF_DISC_SUBTYPE_NVME      = 2,  /* an NVM subsystem */
	NVMF_DISC_SUBTYPE_CURRENT   = 3,  /* the discovery subsystem answering */
};

/* TREQ: secure channel requirement in bits 1:0, SQ flow control disable bit 2. */
#define NVMF_DISC_TREQ_SECURE_MASK          0x3u
#define NVMF_DISC_TREQ_SECURE_UNSPECIFIED   0x0u
#define NVMF_DISC_TREQ_SECURE_REQUIRED      0x1u
#define NVMF_DISC_TREQ_SECURE_NOT_REQUIRED  0x2u
#define NVMF_DISC_TREQ_SQFC_DISABLE_OK      (1u << 2)

/* EFLAGS. */
#define NVMF_DISC_EFLAG_DUPRETINFO (1u << 0)
#define NVMF_DISC_EFLAG_EPCSD      (1u << 1)
#define NVMF_DISC_EFLAG_NCC        (1u << 2)

/* TSAS for TCP (NVMe/TCP 1.0, 7.4.1): security type in byte 0. */
enum nvmf_disc_tcp_sectype {
	NVMF_DISC_SECTYPE_NONE  = 0,
	NVMF_DISC_SECTYPE_TLS12 = 1,
	NVMF_DISC_SECTYPE_TLS13 = 2,
};

struct nvmf_disc_tsas_tcp {
	uint8_t sectype;
	uint8_t rsvd1[255];
};

struct nvmf_disc_tsas_rdma {
	uint8_t  qptype;
	uint8_t  prtype;
	uint8_t  cms;
	uint8_t  rsvd3[5];
	uint16_t pkey;
	uint8_t  rsvd10[246];
};

union nvmf_disc_tsas {
	uint8_t                    raw[256];
	struct nvmf_disc_tsas_tcp  tcp;
	struct nvmf_disc_tsas_rdma rdma;
};

struct nvmf_disc_entry {
	uint8_t  trtype;
	uint8_t  adrfam;
	uint8_t  subtype;
	uint8_t  treq;
	uint16_t portid;
	uint16_t cntlid;
	uint16_t asqsz;         /* admin max SQ size, 1's based */
	uint16_t eflags;
	uint8_t  rsvd12[20];
	char     trsvcid[NVMF_TRSVCID_FIELD_LEN];
	uint8_t  rsvd64[192];
	char     subnqn[NVMF_NQN_FIELD_LEN];
	char     traddr[NVMF_TRADDR_FIELD_LEN];
	union nvmf_disc_tsas tsas;
};

/* ------------------------------------------------------------------------
 * Features (NVMe Base 2.0, 5.27.1). Set Features CDW10: FID 7:0, SV 31;
 * Get Features CDW10: FID 7:0, SEL 10:8.
 */
enum nvmf_feature_id {
	NVMF_FID_ARBITRATION      = 0x01,
	NVMF_FID_POWER_MGMT       = 0x02,
	NVMF_FID_LBA_RANGE        = 0x03,
	NVMF_FID_TEMP_THRESH      = 0x04,
	NVMF_FID_ERR_RECOVERY     = 0x05,
	NVMF_FID_VOLATILE_WC      = 0x06,
	NVMF_FID_NUM_QUEUES       = 0x07,
	NVMF_FID_IRQ_COALESCE     = 0x08,
	NVMF_FID_IRQ_CONFIG       = 0x09,
	NVMF_FID_WRITE_ATOMIC     = 0x0A,
	NVMF_FID_ASYNC_EVENT      = 0x0B,
	NVMF_FID_AUTO_PST         = 0x0C,
	NVMF_FID_HOST_MEM_BUF     = 0x0D,
	NVMF_FID_TIMESTAMP        = 0x0E,
	NVMF_FID_KEEP_ALIVE       = 0x0F,
	NVMF_FID_HOST_BEHAVIOR    = 0x16,
	NVMF_FID_SW_PROGRESS      = 0x80,
	NVMF_FID_HOST_ID          = 0x81,
	NVMF_FID_RESV_MASK        = 0x82,
	NVMF_FID_RESV_PERSIST     = 0x83,
	NVMF_FID_WRITE_PROTECT    = 0x84,
};

/* Host Behavior Support (FID 16h) data (Base 2.0, Set Features). */
struct nvmf_feat_host_behavior {
	uint8_t  acre;			/* bit 0: Advanced Command Retry Enable */
	uint8_t  etdas;
	uint8_t  lbafee;
	uint8_t  rsvd3[509];
};
#define NVMF_HOST_BEHAVIOR_ACRE 0x01u
#define NVMF_HOST_BEHAVIOR_LEN  512u
NVMF_STATIC_ASSERT(sizeof(struct nvmf_feat_host_behavior) == NVMF_HOST_BEHAVIOR_LEN,
		   "Host Behavior Support is 512 bytes");

#define NVMF_FEAT_SV               (1u << 31)
enum nvmf_feature_sel {
	NVMF_FEAT_SEL_CURRENT   = 0,
	NVMF_FEAT_SEL_DEFAULT   = 1,
	NVMF_FEAT_SEL_SAVED     = 2,
	NVMF_FEAT_SEL_SUPPORTED = 3,
};

static inline uint32_t nvmf_set_features_cdw10(uint8_t fid, int save)
{
	return (uint32_t)fid | (save ? NVMF_FEAT_SV : 0u);
}

static inline uint32_t nvmf_get_features_cdw10(uint8_t fid, unsigned sel)
{
	return (uint32_t)fid | ((sel & 0x7u) << 8);
}

/*
 * Number of Queues (5.27.1.5): CDW11 and the completion DW0 carry the SQ
 * count in 15:0 and the CQ count in 31:16, both 0's based.
 */
static inline uint32_t nvmf_num_queues_cdw11(uint16_t nsq, uint16_t ncq)
{
	return (uint32_t)(uint16_t)(nsq - 1u) | ((uint32_t)(uint16_t)(ncq - 1u) << 16);
}
static inline uint32_t nvmf_num_queues_nsqa(uint32_t dw0) { return (dw0 & 0xFFFFu) + 1u; }
static inline uint32_t nvmf_num_queues_ncqa(uint32_t dw0) { return (dw0 >> 16) + 1u; }

/* Asynchronous Event Configuration (FID 0Bh) CDW11 bits (5.27.1.7). */
#define NVMF_AEC_SMART_MASK        0xFFu
#define NVMF_AEC_NS_ATTR           (1u << 8)
#define NVMF_AEC_FW_ACTIVATION     (1u << 9)
#define NVMF_AEC_TELEMETRY         (1u << 10)
#define NVMF_AEC_ANA_CHANGE        (1u << 11)
#define NVMF_AEC_PLEA              (1u << 12)
#define NVMF_AEC_LBA_STATUS        (1u << 13)
#define NVMF_AEC_EGEA              (1u << 14)
#define NVMF_AEC_NORMAL_SHUTDOWN   (1u << 15)
#define NVMF_AEC_ZONE_DESC         (1u << 27)
#define NVMF_AEC_DISC_LOG_CHANGE   (1u << 31)

/* Identify Controller OAES uses the same bit positions for notices. */
#define NVMF_OAES_NS_ATTR          NVMF_AEC_NS_ATTR
#define NVMF_OAES_ANA_CHANGE       NVMF_AEC_ANA_CHANGE
#define NVMF_OAES_DISC_LOG_CHANGE  NVMF_AEC_DISC_LOG_CHANGE

/* Volatile Write Cache (FID 06h) CDW11 bit 0 WCE; Host Identifier (81h) CDW11 bit 0 EXHID. */
#define NVMF_FEAT_VWC_WCE          (1u << 0)
#define NVMF_FEAT_HOSTID_EXHID     (1u << 0)

/*
 * Asynchronous Event Request completion DW0 (5.2.1): event type 2:0,
 * event information 15:8, log page to read 23:16.
 */
enum nvmf_aer_type {
	NVMF_AER_TYPE_ERROR       = 0,
	NVMF_AER_TYPE_SMART       = 1,
	NVMF_AER_TYPE_NOTICE      = 2,
	NVMF_AER_TYPE_IO_CMD_SET  = 6,
	NVMF_AER_TYPE_VENDOR      = 7,
};

enum nvmf_aer_notice_info {
	NVMF_AER_NOTICE_NS_CHANGED      = 0x00,
	NVMF_AER_NOTICE_FW_ACTIVATION   = 0x01,
	NVMF_AER_NOTICE_TELEMETRY       = 0x02,
	NVMF_AER_NOTICE_ANA_CHANGE      = 0x03,
	NVMF_AER_NOTICE_PLEA            = 0x04,
	NVMF_AER_NOTICE_LBA_STATUS      = 0x05,
	NVMF_AER_NOTICE_EGEA            = 0x06,
	NVMF_AER_NOTICE_NORMAL_SHUTDOWN = 0x07,
	NVMF_AER_NOTICE_ZONE_DESC       = 0xEF,
	NVMF_AER_NOTICE_DISC_CHANGED    = 0xF0,
};

static inline unsigned nvmf_aer_type(uint32_t dw0) { return dw0 & 0x7u; }
static inline unsigned nvmf_aer_info(uint32_t dw0) { return (dw0 >> 8) & 0xFFu; }
static inline unsigned nvmf_aer_lid(uint32_t dw0)  { return (dw0 >> 16) & 0xFFu; }

/* The completion DW0 a controller returns for an event. */
static inline uint32_t nvmf_aer_dw0(unsigned type, unsigned info, unsigned lid)
{
	return (type & 0x7u) | ((info & 0xFFu) << 8) | ((lid & 0xFFu) << 16);
}

/* Abort (5.1): CDW10 SQID 15:0, CID 31:16; DW0 bit 0 set = not aborted. */
static inline uint32_t nvmf_abort_cdw10(uint16_t sqid, uint16_t cid)
{
	return (uint32_t)sqid | ((uint32_t)cid << 16);
}
#define NVMF_ABORT_DW0_NOT_ABORTED (1u << 0)

/* ------------------------------------------------------------------------
 * NVM I/O command dwords (NVM Command Set 1.0, 3.2). Read, Write, Compare,
 * Write Zeroes, Verify: CDW10/11 SLBA; CDW12 NLB 15:0 (0's based) plus
 * flags; CDW13 dataset management hints.
 */
#define NVMF_RW_LR                 (1u << 31)  /* limited retry */
#define NVMF_RW_FUA                (1u << 30)
#define NVMF_RW_PRINFO_SHIFT       26
#define NVMF_RW_PRINFO_MASK        (0xFu << 26)
#define NVMF_WZ_DEAC               (1u << 25)  /* Write Zeroes: deallocate */
#define NVMF_RW_STC                (1u << 24)
#define NVMF_RW_DTYPE_SHIFT        20
#define NVMF_RW_DTYPE_MASK         (0xFu << 20)

/* CDW12 for nblocks (1..65536) with flags such as NVMF_RW_FUA. */
static inline uint32_t nvmf_rw_cdw12(uint32_t nblocks, uint32_t flags)
{
	return ((nblocks - 1u) & 0xFFFFu) | (flags & 0xFFFF0000u);
}

/* Block count (1's based) that a CDW12 in CPU order describes. */
static inline uint32_t nvmf_rw_nblocks(uint32_t cdw12)
{
	return (cdw12 & 0xFFFFu) + 1u;
}

static inline void nvmf_sqe_set_slba(struct nvmf_sqe *sqe, uint64_t slba)
{
	sqe->cdw10 = nvmf_htole32((uint32_t)slba);
	sqe->cdw11 = nvmf_htole32((uint32_t)(slba >> 32));
}

static inline uint64_t nvmf_sqe_slba(const struct nvmf_sqe *sqe)
{
	return (uint64_t)nvmf_le32toh(sqe->cdw10) | ((uint64_t)nvmf_le32toh(sqe->cdw11) << 32);
}

static inline uint32_t nvmf_sqe_nblocks(const struct nvmf_sqe *sqe)
{
	return nvmf_rw_nblocks(nvmf_le32toh(sqe->cdw12));
}

/*
 * Dataset Management (3.2.3): CDW10 NR 7:0 (0's based number of ranges,
 * at most 256); CDW11 attributes; the data is an array of 16-byte ranges
 * whose NLB is 1's based.
 */
#define NVMF_DSM_MAX_RANGES        256
#define NVMF_DSM_IDR               (1u << 0)
#define NVMF_DSM_IDW               (1u << 1)
#define NVMF_DSM_AD                (1u << 2)  /* deallocate */

struct nvmf_dsm_range {
	uint32_t cattr;
	uint32_t nlb;
	uint64_t slba;
};

/* ------------------------------------------------------------------------
 * Layout checks: every size and the offsets the protocol depends on.
 */
NVMF_STATIC_ASSERT(sizeof(struct nvmf_sgl_desc) == 16, "SGL descriptor is 16 bytes");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_sgl_desc, length) == 8, "SGL length");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_sgl_desc, id) == 15, "SGL identifier");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_keyed_sgl_desc) == 16, "keyed SGL descriptor");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_keyed_sgl_desc, key) == 11, "keyed SGL key");
NVMF_STATIC_ASSERT(sizeof(union nvmf_dptr) == 16, "DPTR");

NVMF_STATIC_ASSERT(sizeof(struct nvmf_sqe) == NVMF_SQE_SIZE, "SQE");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_sqe, cid) == 2, "SQE.CID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_sqe, nsid) == 4, "SQE.NSID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_sqe, cdw2) == 8, "SQE.CDW2");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_sqe, mptr) == 16, "SQE.MPTR");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_sqe, dptr) == 24, "SQE.DPTR");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_sqe, cdw10) == 40, "SQE.CDW10");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_sqe, cdw15) == 60, "SQE.CDW15");

NVMF_STATIC_ASSERT(sizeof(struct nvmf_cqe) == NVMF_CQE_SIZE, "CQE");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_cqe, sqhd) == 8, "CQE.SQHD");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_cqe, sqid) == 10, "CQE.SQID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_cqe, cid) == 12, "CQE.CID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_cqe, status) == 14, "CQE.STATUS");

NVMF_STATIC_ASSERT(sizeof(struct nvmf_fabrics_cmd) == 64, "Fabrics command");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_fabrics_cmd, fctype) == 4, "FCTYPE");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_fabrics_cmd, dptr) == 24, "Fabrics SGL1");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_fabrics_cmd, fcs) == 40, "Fabrics specific");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_connect_cmd) == 64, "Connect");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_connect_cmd, dptr) == 24, "Connect.SGL1");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_connect_cmd, recfmt) == 40, "Connect.RECFMT");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_connect_cmd, qid) == 42, "Connect.QID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_connect_cmd, sqsize) == 44, "Connect.SQSIZE");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_connect_cmd, cattr) == 46, "Connect.CATTR");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_connect_cmd, kato) == 48, "Connect.KATO");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_connect_payload) == NVMF_CONNECT_DATA_LEN, "Connect data");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_connect_payload, cntlid) == 16, "Connect data CNTLID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_connect_payload, subnqn) == 256, "Connect data SUBNQN");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_connect_payload, hostnqn) == 512, "Connect data HOSTNQN");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_prop_set_cmd) == 64, "Property Set");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_prop_set_cmd, attrib) == 40, "Property Set ATTRIB");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_prop_set_cmd, ofst) == 44, "Property Set OFST");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_prop_set_cmd, value) == 48, "Property Set VALUE");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_prop_get_cmd) == 64, "Property Get");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_prop_get_cmd, attrib) == 40, "Property Get ATTRIB");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_prop_get_cmd, ofst) == 44, "Property Get OFST");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_disconnect_cmd) == 64, "Disconnect");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disconnect_cmd, recfmt) == 40, "Disconnect RECFMT");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_auth_send_cmd) == 64, "Authentication Send");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_auth_send_cmd, spsp0) == 41, "Auth Send SPSP0");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_auth_send_cmd, secp) == 43, "Auth Send SECP");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_auth_send_cmd, tl) == 44, "Auth Send TL");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_auth_recv_cmd) == 64, "Authentication Receive");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_auth_recv_cmd, al) == 44, "Auth Receive AL");

NVMF_STATIC_ASSERT(sizeof(struct nvmf_id_psd) == 32, "power state descriptor");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_id_ctrl) == NVMF_IDENTIFY_DATA_LEN, "Identify Controller");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, sn) == 4, "id_ctrl.SN");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, mn) == 24, "id_ctrl.MN");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, fr) == 64, "id_ctrl.FR");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, mdts) == 77, "id_ctrl.MDTS");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, cntlid) == 78, "id_ctrl.CNTLID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, ver) == 80, "id_ctrl.VER");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, oaes) == 92, "id_ctrl.OAES");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, ctratt) == 96, "id_ctrl.CTRATT");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, cntrltype) == 111, "id_ctrl.CNTRLTYPE");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, fguid) == 112, "id_ctrl.FGUID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, crdt1) == 128, "id_ctrl.CRDT1");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, mec) == 255, "id_ctrl.MEC");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, oacs) == 256, "id_ctrl.OACS");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, aerl) == 259, "id_ctrl.AERL");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, lpa) == 261, "id_ctrl.LPA");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, npss) == 263, "id_ctrl.NPSS");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, kas) == 320, "id_ctrl.KAS");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, anagrpmax) == 344, "id_ctrl.ANAGRPMAX");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, megcap) == 368, "id_ctrl.MEGCAP");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, sqes) == 512, "id_ctrl.SQES");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, maxcmd) == 514, "id_ctrl.MAXCMD");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, nn) == 516, "id_ctrl.NN");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, oncs) == 520, "id_ctrl.ONCS");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, vwc) == 525, "id_ctrl.VWC");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, awupf) == 528, "id_ctrl.AWUPF");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, sgls) == 536, "id_ctrl.SGLS");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, mnan) == 540, "id_ctrl.MNAN");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, maxcna) == 560, "id_ctrl.MAXCNA");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, subnqn) == 768, "id_ctrl.SUBNQN");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, ioccsz) == 1792, "id_ctrl.IOCCSZ");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, iorcsz) == 1796, "id_ctrl.IORCSZ");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, icdoff) == 1800, "id_ctrl.ICDOFF");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, fcatt) == 1802, "id_ctrl.FCATT");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, msdbd) == 1803, "id_ctrl.MSDBD");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, ofcs) == 1804, "id_ctrl.OFCS");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, dctype) == 1806, "id_ctrl.DCTYPE");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, psd) == 2048, "id_ctrl.PSD0");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ctrl, vs) == 3072, "id_ctrl.VS");

NVMF_STATIC_ASSERT(sizeof(struct nvmf_lbaf) == 4, "LBA format");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_id_ns) == NVMF_IDENTIFY_DATA_LEN, "Identify Namespace");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, nuse) == 16, "id_ns.NUSE");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, nsfeat) == 24, "id_ns.NSFEAT");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, flbas) == 26, "id_ns.FLBAS");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, dlfeat) == 33, "id_ns.DLFEAT");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, nawun) == 34, "id_ns.NAWUN");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, noiob) == 46, "id_ns.NOIOB");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, nvmcap) == 48, "id_ns.NVMCAP");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, npwg) == 64, "id_ns.NPWG");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, mcl) == 76, "id_ns.MCL");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, anagrpid) == 92, "id_ns.ANAGRPID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, nsattr) == 99, "id_ns.NSATTR");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, nguid) == 104, "id_ns.NGUID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, eui64) == 120, "id_ns.EUI64");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, lbaf) == 128, "id_ns.LBAF0");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_id_ns, vs) == 384, "id_ns.VS");

NVMF_STATIC_ASSERT(sizeof(struct nvmf_ns_id_desc) == 4, "NS id descriptor header");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_error_log_entry) == 64, "error log entry");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_error_log_entry, status) == 12, "error log status");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_error_log_entry, lba) == 16, "error log LBA");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_error_log_entry, nsid) == 24, "error log NSID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_error_log_entry, trtype) == 29, "error log TRTYPE");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_error_log_entry, csi) == 32, "error log CSI");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_error_log_entry, ttsi) == 40, "error log TTSI");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_smart_log) == 512, "SMART log");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_smart_log, data_units_read) == 32, "SMART data units read");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_smart_log, media_errors) == 160, "SMART media errors");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_smart_log, warning_temp_time) == 192, "SMART WCTEMP time");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_smart_log, temp_sensor) == 200, "SMART temp sensors");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_smart_log, thm_temp2_total_time) == 228, "SMART TMT2 time");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_fw_slot_log) == 512, "firmware slot log");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_changed_ns_log) == 4096, "changed NS list log");

NVMF_STATIC_ASSERT(sizeof(struct nvmf_disc_log_hdr) == 1024, "discovery log header");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_log_hdr, numrec) == 8, "discovery NUMREC");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_log_hdr, recfmt) == 16, "discovery RECFMT");
NVMF_STATIC_ASSERT(sizeof(union nvmf_disc_tsas) == 256, "TSAS");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_disc_entry) == 1024, "discovery log entry");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_entry, portid) == 4, "discovery PORTID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_entry, cntlid) == 6, "discovery CNTLID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_entry, asqsz) == 8, "discovery ASQSZ");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_entry, eflags) == 10, "discovery EFLAGS");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_entry, trsvcid) == 32, "discovery TRSVCID");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_entry, subnqn) == 256, "discovery SUBNQN");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_entry, traddr) == 512, "discovery TRADDR");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_disc_entry, tsas) == 768, "discovery TSAS");
NVMF_STATIC_ASSERT(sizeof(struct nvmf_dsm_range) == 16, "DSM range");
NVMF_STATIC_ASSERT(offsetof(struct nvmf_dsm_range, slba) == 8, "DSM range SLBA");

#ifdef __cplusplus
}
#endif

#endif /* NVMF_NVME_H */
