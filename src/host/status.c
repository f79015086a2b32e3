/*
 * Text for NVMe status codes (NVMe Base 2.0, 4.6.1.2, Figures 100-105;
 * NVMe over Fabrics 1.1, Figure 21 for the Fabrics command specific codes)
 * and for the coded fields of discovery log entries.
 */
#include <stdio.h>

#include "host/host.h"

struct sc_name {
	uint8_t     sc;
	const char *name;
};

/* SCT 0h: Generic Command Status (Figure 102). */
static const struct sc_name generic[] = {
	{ 0x00, "Successful Completion" },
	{ 0x01, "Invalid Command Opcode" },
	{ 0x02, "Invalid Field in Command" },
	{ 0x03, "Command ID Conflict" },
	{ 0x04, "Data Transfer Error" },
	{ 0x05, "Commands Aborted due to Power Loss Notification" },
	{ 0x06, "Internal Error" },
	{ 0x07, "Command Abort Requested" },
	{ 0x08, "Command Aborted due to SQ Deletion" },
	{ 0x09, "Command Aborted due to Failed Fused Command" },
	{ 0x0a, "Command Aborted due to Missing Fused Command" },
	{ 0x0b, "Invalid Namespace or Format" },
	{ 0x0c, "Command Sequence Error" },
	{ 0x0d, "Invalid SGL Segment Descriptor" },
	{ 0x0e, "Invalid Number of SGL Descriptors" },
	{ 0x0f, "Data SGL Length Invalid" },
	{ 0x10, "Metadata SGL Length Invalid" },
	{ 0x11, "SGL Descriptor Type Invalid" },
	{ 0x12, "Invalid Use of Controller Memory Buffer" },
	{ 0x13, "PRP Offset Invalid" },
	{ 0x14, "Atomic Write Unit Exceeded" },
	{ 0x15, "Operation Denied" },
	{ 0x16, "SGL Offset Invalid" },
	{ 0x18, "Host Identifier Inconsistent Format" },
	{ 0x19, "Keep Alive Timer Expired" },
	{ 0x1a, "Keep Alive Timeout Invalid" },
	{ 0x1b, "Command Aborted due to Preempt and Abort" },
	{ 0x1c, "Sanitize Failed" },
	{ 0x1d, "Sanitize In Progress" },
	{ 0x1e, "SGL Data Block Granularity Invalid" },
	{ 0x1f, "Command Not Supported for Queue in CMB" },
	{ 0x20, "Namespace is Write Protected" },
	{ 0x21, "Command Interrupted" },
	{ 0x22, "Transient Transport Error" },
	{ 0x23, "Command Prohibited by Command and Feature Lockdown" },
	{ 0x24, "Admin Command Media Not Ready" },
	{ 0x80, "LBA Out of Range" },
	{ 0x81, "Capacity Exceeded" },
	{ 0x82, "Namespace Not Ready" },
	{ 0x83, "Reservation Conflict" },
	{ 0x84, "Format In Progress" },
	{ 0, NULL },
};

/*
 * SCT 1h: Command Specific Status (Figure 103, NVM Command Set Figure 31,
 * Fabrics Figure 21). 80h-83h mean different things for NVM I/O commands
 * and for Fabrics commands; without the opcode both names are given as
 * "NVM name / Fabrics name" (the part after " / " is Connect's).
 */
static const struct sc_name specific[] = {
	{ 0x00, "Completion Queue Invalid" },
	{ 0x01, "Invalid Queue Identifier" },
	{ 0x02, "Invalid Queue Size" },
	{ 0x03, "Abort Command Limit Exceeded" },
	{ 0x05, "Asynchronous Event Request Limit Exceeded" },
	{ 0x06, "Invalid Firmware Slot" },
	{ 0x07, "Invalid Firmware Image" },
	{ 0x08, "Invalid Interrupt Vector" },
	{ 0x09, "Invalid Log Page" },
	{ 0x0a, "Invalid Format" },
	{ 0x0b, "Firmware Activation Requires Conventional Reset" },
	{ 0x0c, "Invalid Queue Deletion" },
	{ 0x0d, "Feature Identifier Not Saveable" },
	{ 0x0e, "Feature Not Changeable" },
	{ 0x0f, "Feature Not Namespace Specific" },
	{ 0x10, "Firmware Activation Requires NVM Subsystem Reset" },
	{ 0x11, "Firmware Activation Requires Controller Level Reset" },
	{ 0x12, "Firmware Activation Requires Maximum Time Violation" },
	{ 0x13, "Firmware Activation Prohibited" },
	{ 0x14, "Overlapping Range" },
	{ 0x15, "Namespace Insufficient Capacity" },
	{ 0x16, "Namespace Identifier Unavailable" },
	{ 0x18, "Namespace Already Attached" },
	{ 0x19, "Namespace Is Private" },
	{ 0x1a, "Namespace Not Attached" },
	{ 0x1b, "Thin Provisioning Not Supported" },
	{ 0x1c, "Controller List Invalid" },
	{ 0x1d, "Device Self-test In Progress" },
	{ 0x1e, "Boot Partition Write Prohibited" },
	{ 0x1f, "Invalid Controller Identifier" },
	{ 0x20, "Invalid Secondary Controller State" },
	{ 0x21, "Invalid Number of Controller Resources" },
	{ 0x22, "Invalid Resource Identifier" },
	{ 0x23, "Sanitize Prohibited While Persistent Memory Region is Enabled" },
	{ 0x24, "ANA Group Identifier Invalid" },
	{ 0x25, "ANA Attach Failed" },
	{ 0x80, "Conflicting Attributes / Connect Incompatible Format" },
	{ 0x81, "Invalid Protection Information / Connect Controller Busy" },
	{ 0x82, "Attempted Write to Read Only Range / Connect Invalid Parameters" },
	{ 0x83, "Command Size Limit Exceeded / Connect Restart Discovery" },
	{ 0x84, "Connect Invalid Host" },
	{ 0x85, "Invalid Queue Type" },
	/* Fabrics 1.1 Figure 21 and Base 2.0 Figure 103 put these two at
	 * 90h and 91h, after a gap (libnvme: NVME_SC_DISCOVERY_RESTART,
	 * NVME_SC_AUTH_REQUIRED). */
	{ 0x90, "Discover Restart" },
	{ 0x91, "Authentication Required" },
	{ 0, NULL },
};

/* SCT 2h: Media and Data Integrity Errors (Figure 104). */
static const struct sc_name media[] = {
	{ 0x80, "Write Fault" },
	{ 0x81, "Unrecovered Read Error" },
	{ 0x82, "End-to-end Guard Check Error" },
	{ 0x83, "End-to-end Application Tag Check Error" },
	{ 0x84, "End-to-end Reference Tag Check Error" },
	{ 0x85, "Compare Failure" },
	{ 0x86, "Access Denied" },
	{ 0x87, "Deallocated or Unwritten Logical Block" },
	{ 0x88, "End-to-End Storage Tag Check Error" },
	{ 0, NULL },
};

/* SCT 3h: Path Related Status (Figure 105). */
static const struct sc_name path[] = {
	{ 0x00, "Internal Path Error" },
	{ 0x01, "Asymmetric Access Persistent Loss" },
	{ 0x02, "Asymmetric Access Inaccessible" },
	{ 0x03, "Asymmetric Access Transition" },
	{ 0x60, "Controller Pathing Error" },
	{ 0x70, "Host Pathing Error" },
	{ 0x71, "Command Aborted By Host" },
	{ 0, NULL },
};

static const char *lookup(const struct sc_name *t, uint8_t sc)
{
	for (; t->name; t++)
		if (t->sc == sc)
			return t->name;
	return NULL;
}

const char *nvmf_status_str(uint16_t status)
{
	uint8_t sc = NVMF_SF_SC(status);
	const char *n = NULL;

	switch (NVMF_SF_SCT(status)) {
	case 0: n = lookup(generic, sc); break;
	case 1: n = lookup(specific, sc); break;
	case 2: n = lookup(media, sc); break;
	case 3: n = lookup(path, sc); break;
	case 7: return "Vendor Specific";
	default: break;
	}
	return n ? n : "Unknown Status";
}

/*
 * SCT 1h codes 80h-83h mean one thing for a Fabrics command (Fabrics 1.1,
 * Figure 21: Connect Incompatible Format...) and another for an I/O
 * command (Base 2.0, Figure 103: Conflicting Attributes...):
 * nvmf_status_str(), not knowing the command, names both.
 */
static const char *const fabrics_80[] = {
	"Connect Incompatible Format", "Connect Controller Busy",
	"Connect Invalid Parameters", "Connect Restart Discovery",
};
static const char *const io_80[] = {
	"Conflicting Attributes", "Invalid Protection Information",
	"Attempted Write to Read Only Range", "Command Size Limit Exceeded",
};

static const char *status_name(uint16_t status, int fabrics)
{
	uint8_t sc = NVMF_SF_SC(status);

	if (fabrics >= 0 && NVMF_SF_SCT(status) == 1 && sc >= 0x80 && sc <= 0x83)
		return fabrics ? fabrics_80[sc - 0x80] : io_80[sc - 0x80];
	return nvmf_status_str(status);
}

static char *format(uint16_t status, int fabrics, char *buf, size_t len)
{
	if (!buf || len == 0)
		return buf;
	snprintf(buf, len, "%s (SCT %xh SC %02xh%s%s)", status_name(status, fabrics),
		 NVMF_SF_SCT(status), NVMF_SF_SC(status),
		 NVMF_SF_MORE(status) ? ", MORE" : "",
		 NVMF_SF_DNR(status) ? ", DNR" : "");
	return buf;
}

char *nvmf_status_format(uint16_t status, char *buf, size_t len)
{
	return format(status, -1, buf, len);
}

char *host_status_format(uint16_t status, uint8_t opcode, char *buf, size_t len)
{
	return format(status, opcode == NVMF_ADM_FABRICS, buf, len);
}

/* Discovery log entry fields (Base 2.0, Figure 294). */
const char *nvmf_disc_trtype_str(uint8_t t)
{
	switch (t) {
	case 1: return "rdma";
	case 2: return "fc";
	case 3: return "tcp";
	case 254: return "loop";
	default: return "unknown";
	}
}

const char *nvmf_disc_adrfam_str(uint8_t a)
{
	switch (a) {
	case 1: return "ipv4";
	case 2: return "ipv6";
	case 3: return "ib";
	case 4: return "fc";
	case 254: return "loop";
	default: return "unknown";
	}
}

const char *nvmf_disc_subtype_str(uint8_t s)
{
	switch (s) {
	case 1: return "referral";
	case 2: return "nvme subsystem";
	case 3: return "current discovery subsystem";
	default: return "unknown";
	}
}
