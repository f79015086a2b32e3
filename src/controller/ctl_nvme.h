/*
 * Controller-side NVMe constants: opcodes, status codes, register and data
 * structure offsets the userland target reads and writes.
 *
 * The controller handles SQEs, CQEs and the data structures it returns as
 * byte arrays with explicit little-endian accessors (<nvmf/endian.h>), so
 * it needs only byte offsets here. Offsets follow NVMe Base 2.0 and NVMe
 * over Fabrics 1.1; section numbers are given beside each group.
 */
#ifndef NVMF_CTL_NVME_H
#define NVMF_CTL_NVME_H

/* ---- Submission queue entry (Base 2.0, 4.2, Figure 88) ---------------- */
#define CTL_SQE_OPC        0
#define CTL_SQE_FLAGS      1	/* FUSE 1:0, PSDT 7:6 */
#define CTL_SQE_CID        2
#define CTL_SQE_NSID       4
#define CTL_SQE_FCTYPE     4	/* Fabrics commands: FCTYPE (Fabrics 1.1, 2.1) */
#define CTL_SQE_SGL        24	/* SGL1: address(8) length(4) rsvd(3) type(1) */
#define CTL_SQE_SGL_LEN    32
#define CTL_SQE_SGL_TYPE   39
#define CTL_SQE_CDW10      40
#define CTL_SQE_CDW11      44
#define CTL_SQE_CDW12      48
#define CTL_SQE_CDW13      52
#define CTL_SQE_CDW14      56
#define CTL_SQE_CDW15      60

/* SGL descriptor types (Base 2.0, 4.1.2): type in bits 7:4, subtype 3:0. */
#define CTL_SGL_DATA_OFFSET  0x01	/* Data Block, Offset: in-capsule data */
#define CTL_SGL_TRANSPORT_A  0x5A	/* Transport SGL Data Block, NVMe/TCP */

/* ---- Completion queue entry (Base 2.0, 4.6) --------------------------- */
#define CTL_CQE_DW0        0
#define CTL_CQE_DW1        4
#define CTL_CQE_SQHD       8
#define CTL_CQE_SQID       10
#define CTL_CQE_CID        12
#define CTL_CQE_STATUS     14	/* P 0, SC 8:1, SCT 11:9, CRD, M, DNR 15 */

/* Status: (SCT << 8) | SC, DNR as a separate flag (shifted when stored). */
#define CTL_SC(sct, sc)    ((uint16_t)(((sct) << 8) | (sc)))
#define CTL_DNR            0x8000u	/* or-ed into a ctl status value */

enum ctl_status {
	CTL_SC_SUCCESS            = CTL_SC(0, 0x00),
	CTL_SC_INVALID_OPCODE     = CTL_SC(0, 0x01),
	CTL_SC_INVALID_FIELD      = CTL_SC(0, 0x02),
	CTL_SC_DATA_XFER_ERROR    = CTL_SC(0, 0x04),
	CTL_SC_INTERNAL           = CTL_SC(0, 0x06),
	CTL_SC_ABORTED_SQ_DELETE  = CTL_SC(0, 0x08),
	CTL_SC_INVALID_NS         = CTL_SC(0, 0x0B),
	CTL_SC_CMD_SEQ_ERROR      = CTL_SC(0, 0x0C),
	CTL_SC_SGL_LEN_INVALID    = CTL_SC(0, 0x0F),
	CTL_SC_SGL_TYPE_INVALID   = CTL_SC(0, 0x11),
	CTL_SC_SGL_OFFSET_INVALID = CTL_SC(0, 0x16),
	CTL_SC_INTERRUPTED        = CTL_SC(0, 0x21),
	CTL_SC_TRANSIENT_XPORT    = CTL_SC(0, 0x22),
	CTL_SC_LBA_RANGE          = CTL_SC(0, 0x80),
	CTL_SC_CAP_EXCEEDED       = CTL_SC(0, 0x81),
	CTL_SC_NS_NOT_READY       = CTL_SC(0, 0x82),
	/* Command specific (SCT 1) */
	CTL_SC_INVALID_QID        = CTL_SC(1, 0x01),
	CTL_SC_AER_LIMIT          = CTL_SC(1, 0x05),
	CTL_SC_INVALID_LOG_PAGE   = CTL_SC(1, 0x09),
	CTL_SC_FEAT_NOT_SAVEABLE  = CTL_SC(1, 0x0D),
	CTL_SC_FEAT_NOT_CHANGEABLE = CTL_SC(1, 0x0E),
	CTL_SC_WRITE_RO           = CTL_SC(1, 0x82),
	/* Fabrics (SCT 1, Fabrics 1.1, Figure 15) */
	CTL_SC_CONNECT_FORMAT     = CTL_SC(1, 0x80),
	CTL_SC_CONNECT_BUSY       = CTL_SC(1, 0x81),
	CTL_SC_CONNECT_INVALID    = CTL_SC(1, 0x82),
	CTL_SC_CONNECT_RESTART    = CTL_SC(1, 0x83),
	CTL_SC_CONNECT_INVALID_HOST = CTL_SC(1, 0x84),
	/* Media and data integrity (SCT 2) */
	CTL_SC_WRITE_FAULT        = CTL_SC(2, 0x80),
	CTL_SC_READ_ERROR         = CTL_SC(2, 0x81),
	CTL_SC_COMPARE_FAILURE    = CTL_SC(2, 0x85),
};

/* ---- Opcodes ----------------------------------------------------------- */
enum ctl_admin_opc {
	CTL_ADM_GET_LOG_PAGE = 0x02,
	CTL_ADM_IDENTIFY     = 0x06,
	CTL_ADM_ABORT        = 0x08,
	CTL_ADM_SET_FEATURES = 0x09,
	CTL_ADM_GET_FEATURES = 0x0A,
	CTL_ADM_AER          = 0x0C,
	CTL_ADM_KEEP_ALIVE   = 0x18,
	CTL_FABRICS          = 0x7F,
};

enum ctl_io_opc {
	CTL_IO_FLUSH        = 0x00,
	CTL_IO_WRITE        = 0x01,
	CTL_IO_READ         = 0x02,
	CTL_IO_COMPARE      = 0x05,
	CTL_IO_WRITE_ZEROES = 0x08,
	CTL_IO_DSM          = 0x09,
};

/* Fabrics command types (Fabrics 1.1, Figure 10). */
enum ctl_fctype {
	CTL_FCT_PROP_SET   = 0x00,
	CTL_FCT_CONNECT    = 0x01,
	CTL_FCT_PROP_GET   = 0x04,
	CTL_FCT_DISCONNECT = 0x08,
};

/* Connect SQE fields (Fabrics 1.1, 3.3, Figure 20) and data (Figure 21). */
#define CTL_CONN_RECFMT     40
#define CTL_CONN_QID        42
#define CTL_CONN_SQSIZE     44
#define CTL_CONN_CATTR      46
#define CTL_CONN_KATO       48
#define CTL_CONN_CATTR_NO_SQFLOW 0x04
#define CTL_CONN_DATA_LEN   1024
#define CTL_CD_HOSTID       0
#define CTL_CD_CNTLID       16
#define CTL_CD_SUBNQN       256
#define CTL_CD_HOSTNQN      512
/* Connect Invalid Parameters: DW0 IATTR (bit 16 = offset is in the data)
 * and IPO (byte offset of the bad field), Fabrics 1.1, Figure 22. */
#define CTL_IPO_SQE(off)    ((uint32_t)(off))
#define CTL_IPO_DATA(off)   ((uint32_t)(1u << 16) | (uint32_t)(off))

/* Property Get/Set (Fabrics 1.1, 3.4/3.5). */
#define CTL_PROP_ATTRIB     40	/* bits 2:0 size: 0 = 4 bytes, 1 = 8 bytes */
#define CTL_PROP_OFST       44
#define CTL_PROP_VALUE      48

/* Controller properties (Base 2.0, 3.1.3). */
#define CTL_REG_CAP   0x00
#define CTL_REG_VS    0x08
#define CTL_REG_CC    0x14
#define CTL_REG_CSTS  0x1C
#define CTL_CC_EN          0x1u
#define CTL_CC_SHN_SHIFT   14
#define CTL_CC_SHN_MASK    (3u << 14)
#define CTL_CC_IOSQES(cc)  (((cc) >> 16) & 0xF)
#define CTL_CC_IOCQES(cc)  (((cc) >> 20) & 0xF)
#define CTL_CC_MPS(cc)     (((cc) >> 7) & 0xF)
#define CTL_CC_CSS(cc)     (((cc) >> 4) & 0x7)
#define CTL_CC_AMS(cc)     (((cc) >> 11) & 0x7)
#define CTL_CSTS_RDY       0x1u
#define CTL_CSTS_CFS       0x2u
#define CTL_CSTS_SHST_DONE (2u << 2)

/* Identify (Base 2.0, 5.17). */
enum ctl_cns {
	CTL_CNS_NS          = 0x00,
	CTL_CNS_CTRL        = 0x01,
	CTL_CNS_NS_LIST     = 0x02,
	CTL_CNS_NS_DESC     = 0x03,
};
#define CTL_ID_LEN 4096
/* Identify Controller offsets (Figure 275). */
#define CTL_IDC_VID     0
#define CTL_IDC_SSVID   2
#define CTL_IDC_SN      4
#define CTL_IDC_MN      24
#define CTL_IDC_FR      64
#define CTL_IDC_RAB     72
#define CTL_IDC_CMIC    76
#define CTL_IDC_MDTS    77
#define CTL_IDC_CNTLID  78
#define CTL_IDC_VER     80
#define CTL_IDC_OAES    92
#define CTL_IDC_CTRATT  96
#define CTL_IDC_CNTRLTYPE 111
#define CTL_IDC_OACS    256
#define CTL_IDC_ACL     258
#define CTL_IDC_AERL    259
#define CTL_IDC_FRMW    260
#define CTL_IDC_LPA     261
#define CTL_IDC_ELPE    262
#define CTL_IDC_WCTEMP  266
#define CTL_IDC_CCTEMP  268
#define CTL_IDC_KAS     320
#define CTL_IDC_SQES    512
#define CTL_IDC_CQES    513
#define CTL_IDC_MAXCMD  514
#define CTL_IDC_NN      516
#define CTL_IDC_ONCS    520
#define CTL_IDC_VWC     525
#define CTL_IDC_SGLS    536
#define CTL_IDC_MNAN    540
#define CTL_IDC_SUBNQN  768
#define CTL_IDC_IOCCSZ  1792
#define CTL_IDC_IORCSZ  1796
#define CTL_IDC_ICDOFF  1800
#define CTL_IDC_FCATT   1802
#define CTL_IDC_MSDBD   1803
/* Identify Namespace offsets (NVM Command Set 1.0, Figure 97). */
#define CTL_IDN_NSZE    0
#define CTL_IDN_NCAP    8
#define CTL_IDN_NUSE    16
#define CTL_IDN_NSFEAT  24
#define CTL_IDN_NLBAF   25
#define CTL_IDN_FLBAS   26
#define CTL_IDN_NMIC    30
#define CTL_IDN_DLFEAT  33
#define CTL_IDN_NSATTR  99
#define CTL_IDN_NGUID   104
#define CTL_IDN_EUI64   120
#define CTL_IDN_LBAF0   128

/* Features (Base 2.0, 5.27.1). */
enum ctl_fid {
	CTL_FID_VWC        = 0x06,
	CTL_FID_NUM_QUEUES = 0x07,
	CTL_FID_ASYNC_CFG  = 0x0B,
	CTL_FID_KATO       = 0x0F,
};
#define CTL_AEN_CFG_NS_ATTR   (1u << 8)
#define CTL_AEN_CFG_DISC_LOG  (1u << 31)

/* Log pages (Base 2.0, 5.16). */
enum ctl_lid {
	CTL_LID_ERROR      = 0x01,
	CTL_LID_SMART      = 0x02,
	CTL_LID_FW_SLOT    = 0x03,
	CTL_LID_CHANGED_NS = 0x04,
	CTL_LID_DISCOVERY  = 0x70,
};

/* Asynchronous event completion DW0 (Base 2.0, Figure 150). */
#define CTL_AEN_TYPE_NOTICE     0x2
#define CTL_AEN_INFO_NS_CHANGED 0x00
#define CTL_AEN_INFO_DISC_CHANGED 0xF0
#define CTL_AEN_DW0(type, info, lid) \
	((uint32_t)(type) | ((uint32_t)(info) << 8) | ((uint32_t)(lid) << 16))

/* Discovery log page (Fabrics 1.1, 5.3, Figures 34/35). */
#define CTL_DLP_HDR_LEN     1024
#define CTL_DLP_ENTRY_LEN   1024
#define CTL_DLP_GENCTR      0
#define CTL_DLP_NUMREC      8
#define CTL_DLP_RECFMT      16
#define CTL_DLE_TRTYPE      0
#define CTL_DLE_ADRFAM      1
#define CTL_DLE_SUBTYPE     2
#define CTL_DLE_TREQ        3
#define CTL_DLE_PORTID      4
#define CTL_DLE_CNTLID      6
#define CTL_DLE_ASQSZ       8
#define CTL_DLE_TRSVCID     32
#define CTL_DLE_SUBNQN      256
#define CTL_DLE_TRADDR      512
#define CTL_DLE_TSAS        768
#define CTL_TRTYPE_TCP      3
#define CTL_ADRFAM_IPV4     1
#define CTL_ADRFAM_IPV6     2
#define CTL_SUBTYPE_NVME    2
#define CTL_TREQ_NOT_REQUIRED 0x2	/* secure channel not required */
#define CTL_TREQ_NO_SQFLOW  0x4	/* SQ flow control disable supported */

#define CTL_DISC_NQN "nqn.2014-08.org.nvmexpress.discovery"
#define CTL_NQN_MAX  223	/* NQN characters, without the NUL (Base 2.0, 4.5) */

#endif /* NVMF_CTL_NVME_H */
