/*
 * Fake controller: command emulation (Fabrics, admin, NVM I/O on the RAM
 * namespace) and the scenarios' misbehaviour (see README.md).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nvmf/endian.h>
#include <nvmf/nvme.h>

#include "fake/fake_int.h"

/* ---- Commands ------------------------------------------------------------------- */

static void put_str(uint8_t *dst, const char *s, size_t width)
{
	size_t n = strlen(s);

	memset(dst, ' ', width);
	memcpy(dst, s, n < width ? n : width);
}

static unsigned admin_connects(struct fake_conn *c)
{
	unsigned n;

	pthread_mutex_lock(&c->fc->lock);
	n = c->fc->st.admin_connects;
	pthread_mutex_unlock(&c->fc->lock);
	return n;
}

/* Bytes per block of the namespace's I/O (opts.lbads). */
static uint32_t fake_lba(const struct fake_ctrl *fc)
{
	return 1u << (fc->o.lbads ? fc->o.lbads : 9);
}

static void identify_ctrl(struct fake_conn *c, uint8_t *d)
{
	uint32_t ioccsz = c->fc->o.ioccsz ? c->fc->o.ioccsz : 260;
	const char *subnqn;

	if (c->fc->o.scenario == FAKE_IDENTIFY_BAD_IOCCSZ)
		ioccsz = 2;	/* less than the 64-byte SQE itself */
	memset(d, 0, 4096);
	nvmf_put_le16(d + 0, 0x1b36);
	put_str(d + 4, "FAKE0001", 20);
	put_str(d + 24, "nvmf fake controller", 40);
	put_str(d + 64, "1.0", 8);
	/* MDTS: 2^5 pages, 128 KiB, unless told (0: no limit); mdts2: another
	 * after a reconnect */
	d[77] = c->fc->o.mdts ? (uint8_t)(c->fc->o.mdts - 1) : 5;
	if (c->fc->o.mdts2 && admin_connects(c) > 1)
		d[77] = (uint8_t)(c->fc->o.mdts2 - 1);
	if (c->fc->o.scenario == FAKE_IO_INTERRUPTED)
		nvmf_put_le16(d + 128, 1);	/* CRDT1: 100 ms */
	if (c->fc->o.scenario == FAKE_IO_INTERRUPTED_SLOW)
		nvmf_put_le16(d + 128, 600);	/* CRDT1: 60 s */
	nvmf_put_le16(d + 78, c->fc->o.scenario == FAKE_IDENTIFY_CNTLID ? FAKE_CNTLID + 1
									: FAKE_CNTLID);
	if (c->fc->o.scenario == FAKE_NS_NOTICE_TWICE || c->fc->o.scenario == FAKE_IO_LOST_AT_AEC ||
	    c->fc->o.scenario == FAKE_NS_LBA_CHANGES || c->fc->o.scenario == FAKE_NS_NOTICE_FLOOD ||
	    c->fc->o.scenario == FAKE_NS_FORMAT_USABLE || c->fc->o.scenario == FAKE_NS_GROWS)
		nvmf_put_le32(d + 92, 1u << 8);	/* OAES: namespace attribute notices */
	nvmf_put_le32(d + 80, 0x00010400);	/* VER 1.4 */
	/* CNTRLTYPE: I/O controller, or a discovery controller where the host
	 * connected to the discovery NQN (as nvmet) or the scenario is one */
	d[111] = c->fc->o.scenario == FAKE_DISCOVERY_UNIQUE ||
		 c->fc->o.scenario == FAKE_DISCOVERY_OWN_NQN ||
		 strcmp(c->subnqn, NVMF_DISCOVERY_NQN) == 0 ? 2 : 1;
	if (c->fc->o.scenario == FAKE_DISCOVERY_OWN_NQN_OLD)
		d[111] = 0;			/* before NVMe 1.4: not reported */
	if (c->fc->o.scenario == FAKE_ADMIN_CTRL)
		d[111] = 3;			/* administrative controller */
	d[259] = 3;				/* AERL */
	nvmf_put_le16(d + 320, 10);		/* KAS: 1 s units of 100 ms */
	d[512] = 0x66;				/* SQES */
	d[513] = 0x44;				/* CQES */
	nvmf_put_le16(d + 514, 128);		/* MAXCMD */
	nvmf_put_le32(d + 516, 1);		/* NN */
	nvmf_put_le16(d + 520, c->fc->o.no_zeroes ? 0 : 0x000c);	/* ONCS: write zeroes, DSM */
	d[525] = 0;				/* VWC */
	nvmf_put_le32(d + 536, 0x00100005);	/* SGLS: supported, keyed, offsets */
	/* SUBNQN: the NQN the host connected to, as nvmet and nvmf-target
	 * answer (a host checks it against the one it asked for). */
	subnqn = c->subnqn[0] ? c->subnqn : "nqn.2014-08.org.nvmexpress:fake";
	if ((c->fc->o.scenario == FAKE_SUBSYS_CHANGES && admin_connects(c) > 1) ||
	    c->fc->o.scenario == FAKE_SUBNQN_OTHER) {
		fake_trigger(c);
		subnqn = "nqn.2014-08.org.nvmexpress:fake-other";
	}
	if (c->fc->o.scenario == FAKE_DISCOVERY_OWN_NQN ||
	    c->fc->o.scenario == FAKE_DISCOVERY_OWN_NQN_OLD) {
		fake_trigger(c);
		subnqn = "nqn.2014-08.org.nvmexpress:fake-disc";
	}
	memcpy(d + 768, subnqn, strlen(subnqn));
	nvmf_put_le32(d + 1792, ioccsz);
	nvmf_put_le32(d + 1796, 1);		/* IORCSZ */
	if (c->fc->o.scenario == FAKE_ADMIN_CTRL) {
		/* No I/O queues: what describes them is 0, and so is NN. */
		d[512] = d[513] = 0;
		nvmf_put_le32(d + 516, 0);
		nvmf_put_le32(d + 1792, 0);
		nvmf_put_le32(d + 1796, 0);
	}
}

static void identify_ns(struct fake_conn *c, uint8_t *d)
{
	/* ns-lba-changes: formatted to 4096-byte blocks once the notice went;
	 * ns-format-usable: 4096-byte blocks with 8 bytes of metadata until then;
	 * ns-reformatted: 4096-byte blocks from the reconnect on */
	bool big = (c->fc->o.scenario == FAKE_NS_LBA_CHANGES && c->aers > 0) ||
		   (c->fc->o.scenario == FAKE_NS_FORMAT_USABLE && c->aers == 0) ||
		   (c->fc->o.scenario == FAKE_NS_REFORMATTED && admin_connects(c) > 1);
	uint64_t blocks = c->fc->disk_len / (big ? 4096 : fake_lba(c->fc));

	if (c->fc->o.scenario == FAKE_NS_GROWS)
		blocks -= 20 - (c->aers < 20 ? c->aers : 20);

	if (c->fc->o.scenario == FAKE_NS_HUGE) {
		fake_trigger(c);
		blocks = 1ull << 54;
	}
	memset(d, 0, 4096);
	nvmf_put_le64(d + 0, blocks);
	nvmf_put_le64(d + 8, blocks);
	nvmf_put_le64(d + 16, blocks);
	d[25] = 0;				/* NLBAF: one format */
	d[26] = 0;				/* FLBAS */
	d[33] = c->fc->o.no_zeroes ? 0 : 0x09;	/* DLFEAT: deallocated reads zeroes */
	d[130] = c->fc->o.scenario == FAKE_IDENTIFY_BAD_LBADS ? 3 : big ? 12
			: (uint8_t)(c->fc->o.lbads ? c->fc->o.lbads : 9);
	if (c->fc->o.scenario == FAKE_NS_FORMAT_USABLE && c->aers == 0)
		nvmf_put_le16(d + 128, 8);
	/* NGUID (bytes 119:104): the association's number under this scenario,
	 * else constant. */
	memset(d + 104, 0x5a, 16);
	if (c->fc->o.scenario == FAKE_NS_ID_FLAP || c->fc->o.scenario == FAKE_NS_ID_ZERO) {
		unsigned n;

		STAT(c, n = c->fc->st.id_ns_cmds);
		if (n == 2 && c->fc->o.scenario == FAKE_NS_ID_ZERO) {
			fake_trigger(c);
			memset(d, 0, 24);	/* NSZE, NCAP, NUSE */
			memset(d + 104, 0, 16);	/* NGUID */
			return;
		}
		if (n >= 3) {
			d[104] = 0xa5;
			nvmf_put_le64(d + 0, blocks / 2);
			nvmf_put_le64(d + 8, blocks / 2);
			nvmf_put_le64(d + 16, blocks / 2);
		}
	}
	if (c->fc->o.scenario == FAKE_NS_IDENTITY_CHANGES ||
	    c->fc->o.scenario == FAKE_NS_IDENTITY_CHANGES_SLOW) {
		d[104] = (uint8_t)admin_connects(c);
		if (admin_connects(c) > 1)
			fake_trigger(c);
	}
}

/* Sends data to the host, then the response (or SUCCESS). */
static int reply_data(struct fake_conn *c, uint16_t cid, const uint8_t *data, uint32_t len,
		      uint32_t dw0)
{
	if (len > 0 && fake_send_c2h(c, cid, data, 0, len, true, false, false) != 0)
		return -1;
	return fake_send_resp(c, cid, 0, dw0, 0);
}

static void close_all(struct fake_ctrl *fc)
{
	unsigned i;

	pthread_mutex_lock(&fc->lock);
	for (i = 0; i < fc->nconns; i++)
		if (fc->conns[i] != NULL && fc->conns[i]->fd >= 0)
			shutdown(fc->conns[i]->fd, SHUT_RDWR);
	pthread_mutex_unlock(&fc->lock);
}

static int fabrics_cmd(struct fake_conn *c, const uint8_t *sqe, uint16_t cid,
		       const uint8_t *icd, uint32_t icd_len, uint32_t sgl_len)
{
	struct fake_ctrl *fc = c->fc;
	uint8_t fctype = sqe[4];
	uint32_t ofst = nvmf_get_le32(sqe + 44);
	uint64_t v = 0;

	switch (fctype) {
	case 0x01: /* Connect (NVMe-oF 1.1, 3.3) */
		if (icd_len == 0 && sgl_len > 0 && fake_get_h2c(c, cid, c->xfer, sgl_len) != 0)
			return -1;
		c->qid = nvmf_get_le16(sqe + 42);
		c->sqsize = nvmf_get_le16(sqe + 44);
		c->sqfc_off = (sqe[46] & 0x04) != 0;
		c->sqhd = 1;
		if (c->qid == 0) {
			/* Connect data: SUBNQN at bytes 511:256 (Fabrics 1.1, Figure 20). */
			const uint8_t *cd = icd_len >= 1024 ? icd :
					    icd_len == 0 && sgl_len >= 1024 ? c->xfer : NULL;

			if (cd) {
				memcpy(c->subnqn, cd + 256, 256);
				c->subnqn[256] = '\0';
			}
		}
		STAT(c, fc->st.connects++; fc->st.connect_sqfc_disabled = c->sqfc_off;
		     fc->st.admin_connects += c->qid == 0);
		if (fc->o.scenario == FAKE_RECONNECT_REFUSED_GENERIC && c->qid == 0 &&
		    admin_connects(c) > 1) {
			/* SCT 0h SC 02h Invalid Field in Command, DNR. */
			fake_trigger(c);
			return fake_send_resp(c, cid, 0x4000 | 0x02, 0, 0);
		}
		if (fc->o.scenario == FAKE_RECONNECT_REFUSED && c->qid == 0 &&
		    admin_connects(c) > 1) {
			fake_trigger(c);
			return fake_send_resp(c, cid, 0x4000 | 0x100 | 0x82, 256u | (1u << 16), 0);
		}
		if (fc->o.scenario == FAKE_AUTH_REQUIRED) {
			/* SCT 1h SC 91h Authentication Required, DNR (Fabrics 1.1,
			 * Figure 21). */
			fake_trigger(c);
			return fake_send_resp(c, cid, 0x4000 | 0x100 | 0x91, 0, 0);
		}
		if (fc->o.scenario == FAKE_AUTHREQ_ATR) {
			/* Success, but AUTHREQ (DW0 31:16) has ATR (bit 17 of DW0):
			 * an authentication transaction is required (Base 2.0, 6.3). */
			fake_trigger(c);
			return fake_send_resp(c, cid, 0, FAKE_CNTLID | (1u << 17), 0);
		}
		if (fc->o.scenario == FAKE_CONNECT_INVALID_PARAM) {
			/* SCT 1h SC 82h, DNR; DW0: IPO 256 (SUBNQN) in 15:0, IATTR
			 * bit 0 set (the offset is in the Connect data) at 16. */
			fake_trigger(c);
			return fake_send_resp(c, cid, 0x4000 | 0x100 | 0x82, 256u | (1u << 16), 0);
		}
		/* DH-HMAC-CHAP required (fake_auth.c): AUTHREQ.ATR. */
		if (fake_auth_connect(c, icd_len >= 1024 ? icd :
				      icd_len == 0 && sgl_len >= 1024 ? c->xfer : NULL))
			return fake_send_resp(c, cid, 0, FAKE_CNTLID | (1u << 17), 0);
		if (fc->o.scenario == FAKE_ADMIN_CTRL && c->qid > 0) {
			/* SCT 0h SC 02h Invalid Field in Command, DNR: an
			 * administrative controller has no I/O queues. */
			fake_trigger(c);
			return fake_send_resp(c, cid, 0x4000 | 0x02, 0, 0);
		}
		if (fc->o.scenario == FAKE_CNTLID_RESERVED && c->qid == 0) {
			fake_trigger(c);
			return fake_send_resp(c, cid, 0, 0xFFFF, 0);
		}
		return fake_send_resp(c, cid, 0, FAKE_CNTLID, 0);
	case 0x05: /* Authentication Send */
	case 0x06: /* Authentication Receive */
		return fake_auth_cmd(c, sqe, cid, icd, icd_len, sgl_len);
	case 0x04: /* Property Get */
		pthread_mutex_lock(&fc->lock);
		switch (ofst) {
		case 0x00: /* CAP: MQES 127, CQR, TO 10 s (csts-never-ready: 3 s), CSS NVM */
			v = 127 | (1ull << 16) | (1ull << 37) |
			    ((fc->o.scenario == FAKE_CSTS_NEVER_READY ? 6ull : 20ull) << 24);
			break;
		case 0x08:
			v = 0x00010400;
			break;
		case 0x14:
			v = fc->cc;
			break;
		case 0x1c: /* CSTS: RDY follows CC.EN, SHST complete after CC.SHN */
			v = fc->o.scenario == FAKE_CSTS_NEVER_READY ? 0 : fc->cc & 1;
			if ((fc->cc >> 14) & 3)
				v |= 2u << 2;
			if (fc->o.scenario == FAKE_CSTS_CFS)
				v |= 2;
			/* Fatal once the first association is under way; the
			 * next one (a reset) is healthy. */
			if (fc->o.scenario == FAKE_CFS_LATER && fc->st.admin_connects == 1 &&
			    fc->st.keep_alives > 0) {
				v |= 2;
				fc->st.triggered++;
			}
			break;
		}
		pthread_mutex_unlock(&fc->lock);
		if (fake_send_resp(c, cid, 0, (uint32_t)v, (uint32_t)(v >> 32)) != 0)
			return -1;
		if (fc->o.scenario == FAKE_CLOSE_AFTER_SHN && ofst == 0x1c && (v & 0xc) == 8) {
			/* As some targets do once shut down: drop every connection. */
			fake_trigger(c);
			close_all(fc);
		}
		return 0;
	case 0x00: /* Property Set */
		if (ofst == 0x14)
			STAT(c, fc->cc = nvmf_get_le32(sqe + 48));
		return fake_send_resp(c, cid, 0, 0, 0);
	case 0x08: /* Disconnect */
		return fake_send_resp(c, cid, 0, 0, 0);
	default:
		return fake_send_resp(c, cid, 0x01, 0, 0);
	}
}

/*
 * ns-notice-twice: the second Changed Namespace List read (LID 04h) answers
 * both, the data in the wrong order for a host with one shared log buffer:
 * NSID 2 for the second, then NSID 1 for the first, then both responses.
 */
static int changed_log_twice(struct fake_conn *c, uint16_t cid, uint32_t len)
{
	uint8_t *d = c->xfer;

	if (!c->log_held) {
		c->log_held = true;
		c->log_held_cid = cid;
		return 0;
	}
	fake_trigger(c);
	memset(d, 0, 2 * len);
	nvmf_put_le32(d, 2);
	nvmf_put_le32(d + len, 1);
	if (fake_send_c2h(c, cid, d, 0, len, true, false, false) != 0 ||
	    fake_send_c2h(c, c->log_held_cid, d + len, 0, len, true, false, false) != 0)
		return -1;
	if (fake_send_resp(c, c->log_held_cid, 0, 0, 0) != 0)
		return -1;
	c->log_held = false;
	return fake_send_resp(c, cid, 0, 0, 0);
}

static int admin_cmd(struct fake_conn *c, const uint8_t *sqe, uint16_t cid, const uint8_t *icd,
		     uint32_t icd_len, uint32_t sgl_len)
{
	uint32_t cdw10 = nvmf_get_le32(sqe + 40), cdw11 = nvmf_get_le32(sqe + 44);
	enum fake_scenario s = c->fc->o.scenario;
	uint32_t len;

	switch (sqe[0]) {
	case 0x06: /* Identify */
		if (s == FAKE_IDENTIFY_SLOW) {
			fake_trigger(c);
			usleep(300 * 1000);
		}
		if (s == FAKE_NS_NOTICE_FLOOD && (cdw10 & 0xff) == 0x02)
			usleep(20 * 1000);
		if (s == FAKE_NS_IDENTITY_CHANGES_SLOW && (cdw10 & 0xff) == 0x01 &&
		    admin_connects(c) > 1)
			usleep(3000 * 1000);
		switch (cdw10 & 0xff) {
		case 0x01:
			identify_ctrl(c, c->xfer);
			break;
		case 0x00: {
			unsigned n;

			STAT(c, n = ++c->fc->st.id_ns_cmds);
			if ((s == FAKE_NS_ID_FLAP || s == FAKE_NS_ID_BLIP) && n == 2) {
				fake_trigger(c);
				return fake_send_resp(c, cid, 0x4000 | 0x06, 0, 0);
			}
			identify_ns(c, c->xfer);
			break;
		}
		case 0x03: { /* descriptor list (ns-desc-flap: a UUID, NIDT 03h) */
			unsigned n;

			STAT(c, n = ++c->fc->st.ns_desc_cmds);
			memset(c->xfer, 0, 4096);
			if (s == FAKE_NS_DESC_FLAP) {
				if (n == 2) {
					fake_trigger(c);
					return fake_send_resp(c, cid, 0x4000 | 0x06, 0, 0);
				}
				c->xfer[0] = 0x03;
				c->xfer[1] = 16;
				memset(c->xfer + 4, 0xc3, 16);
			}
			break;
		}
		case 0x02: /* active namespace list: NSID 1 (ns-list-dup: twice;
			    * admin-ctrl: refused, an administrative controller
			    * need not list any) */
			if (s == FAKE_ADMIN_CTRL) {
				fake_trigger(c);
				return fake_send_resp(c, cid, 0x4000 | 0x02, 0, 0);
			}
			memset(c->xfer, 0, 4096);
			nvmf_put_le32(c->xfer, 1);
			if (s == FAKE_NS_LIST_DUP)
				nvmf_put_le32(c->xfer + 4, 1);
			break;
		default:
			memset(c->xfer, 0, 4096);
			break;
		}
		return reply_data(c, cid, c->xfer, sgl_len < 4096 ? sgl_len : 4096, 0);
	case 0x09: /* Set Features */
		if (s == FAKE_IO_LOST_AT_AEC && (cdw10 & 0xff) == 0x0b) {
			/* The I/O connections die while Asynchronous Event
			 * Configuration, the bring-up's last command, waits. */
			struct fake_ctrl *fc = c->fc;

			fake_trigger(c);
			pthread_mutex_lock(&fc->lock);
			for (unsigned i = 0; i < fc->nconns; i++)
				if (fc->conns[i] && fc->conns[i]->fd >= 0 && fc->conns[i]->qid > 0)
					shutdown(fc->conns[i]->fd, SHUT_RDWR);
			pthread_mutex_unlock(&fc->lock);
			return 0;	/* never answered */
		}
		if ((cdw10 & 0xff) == 0x16) {
			/* Host Behavior Support: 512 bytes, ACRE in byte 0. */
			if (sgl_len != 512 || (icd_len != 0 && icd_len != 512))
				return fake_send_resp(c, cid, 0x4000 | 0x02, 0, 0);
			if (icd_len == 0 && fake_get_h2c(c, cid, c->xfer, 512) != 0)
				return -1;
			STAT(c, c->fc->st.acre = ((icd_len ? icd : c->xfer)[0] & 1) != 0);
			return fake_send_resp(c, cid, 0, 0, 0);
		}
		if (s == FAKE_ADMIN_CTRL && (cdw10 & 0xff) == 0x07) {
			fake_trigger(c);	/* Number of Queues: none to give */
			return fake_send_resp(c, cid, 0x4000 | 0x02, 0, 0);
		}
		/* fall through */
	case 0x0a: /* Get Features */
		return fake_send_resp(c, cid, 0, (cdw10 & 0xff) == 0x07 ? 0x00030003 : 0, 0);
	case 0x18: /* Keep Alive */
		STAT(c, c->fc->st.keep_alives++);
		if (s == FAKE_KA_BLACKHOLE) {
			/* A partition from here on: this one is not answered either. */
			fake_trigger(c);
			STAT(c, c->fc->blackhole = true);
			return 0;
		}
		return fake_send_resp(c, cid, 0, 0, 0);
	case 0x0c: /* Asynchronous Event Request: held */
		/* ns-notice-twice: the first two complete at once with a notice
		 * (type 2h, info 00h namespace attribute changed, LID 04h). */
		if (s == FAKE_NS_NOTICE_TWICE && c->aers++ < 2)
			return fake_send_resp(c, cid, 0, 0x00040002, 0);
		if (s == FAKE_NS_NOTICE_FLOOD && c->aers++ < 40) {
			if (c->aers == 1)
				fake_trigger(c);
			return fake_send_resp(c, cid, 0, 0x00040002, 0);
		}
		if (s == FAKE_NS_GROWS && c->aers++ < 20) {
			if (c->aers == 1)
				fake_trigger(c);
			return fake_send_resp(c, cid, 0, 0x00040002, 0);
		}
		if ((s == FAKE_NS_LBA_CHANGES || s == FAKE_NS_FORMAT_USABLE) && c->aers++ < 1) {
			fake_trigger(c);
			return fake_send_resp(c, cid, 0, 0x00040002, 0);
		}
		return 0;
	case 0x02: /* Get Log Page: zeroes */
		if (s == FAKE_LOG_NO_ANSWER) {
			fake_trigger(c);
			return 0;
		}
		len = ((((cdw11 & 0xffff) << 16) | (cdw10 >> 16)) + 1) * 4;
		if (len > sgl_len)
			len = sgl_len;
		if (len > FAKE_XFER_MAX)
			len = FAKE_XFER_MAX;
		if ((cdw10 & 0xff) == 0x04)
			STAT(c, c->fc->st.changed_log_reads++);
		STAT(c, c->fc->st.log_reads++; c->fc->st.log_rae += (cdw10 >> 15) & 1;
		     c->fc->st.log_last_lpo = (uint64_t)nvmf_get_le32(sqe + 52) << 32 |
					      nvmf_get_le32(sqe + 48));
		if (s == FAKE_NS_NOTICE_TWICE && (cdw10 & 0xff) == 0x04 && len <= FAKE_XFER_MAX / 2)
			return changed_log_twice(c, cid, len);
		memset(c->xfer, 0, len);
		return reply_data(c, cid, c->xfer, len, 0);
	default:
		return fake_send_resp(c, cid, 0x01, 0, 0);
	}
}

/* A read the scenario says to get wrong. Returns 1 if handled. */
static int read_misbehave(struct fake_conn *c, uint16_t cid, const uint8_t *data, uint32_t len)
{
	enum fake_scenario s = c->fc->o.scenario;
	size_t h;

	if (s == FAKE_READS_HANG_FIRST) {
		if (admin_connects(c) > 1)
			return 0;
		fake_trigger(c);
		return 1;
	}
	if (c->triggered && s != FAKE_C2H_SUCCESS)
		return 0;
	switch (s) {
	case FAKE_HDGST_ERROR:
		fake_trigger(c);
		if (fake_send_c2h(c, cid, data, 0, len, true, false, false) != 0)
			return -1;
		h = tcp_build_capsule_resp(c->obuf, &c->p, (uint8_t[16]){ [8] = 0xff, [9] = 0xff,
					   [12] = (uint8_t)cid, [13] = (uint8_t)(cid >> 8) });
		c->obuf[NVMF_TCP_CAPSULE_RESP_HLEN] ^= 0x5a;	/* the digest */
		return fake_wr_full(c->fd, c->obuf, h) == 0 ? 1 : -1;
	case FAKE_DDGST_ERROR:
		fake_trigger(c);
		if (fake_send_c2h(c, cid, data, 0, len, true, false, true) != 0)
			return -1;
		return fake_send_resp(c, cid, 0, 0, 0) == 0 ? 1 : -1;
	case FAKE_UNKNOWN_CID:
		fake_trigger(c);
		return fake_send_resp(c, (uint16_t)(cid + 7), 0, 0, 0) == 0 ? 1 : -1;
	case FAKE_C2H_UNKNOWN_CID:
		fake_trigger(c);
		return fake_send_c2h(c, (uint16_t)(cid + 7), data, 0, len, true, false, false) == 0 ?
		       1 : -1;
	case FAKE_C2H_BEYOND:
		fake_trigger(c);
		h = tcp_build_c2h_data(c->obuf, &c->p, cid, 0, len + 512, true, false);
		return fake_send_pdu(c, h, c->fc->disk, len + 512, false) == 0 ? 1 : -1;
	case FAKE_C2H_OVERLAP:
		fake_trigger(c);
		if (fake_send_c2h(c, cid, data, 0, len / 2, false, false, false) != 0 ||
		    fake_send_c2h(c, cid, data, len / 2 - 512, len / 2 + 512, true, false, false) != 0)
			return -1;
		return 1;
	case FAKE_C2H_OUT_OF_ORDER:
		fake_trigger(c);
		return fake_send_c2h(c, cid, data, len / 2, len - len / 2, true, false, false) == 0 ?
		       1 : -1;
	case FAKE_SUCCESS_NO_LAST:
		fake_trigger(c);
		h = tcp_build_c2h_data(c->obuf, &c->p, cid, 0, len / 2, false, false);
		c->obuf[1] |= NVMF_TCP_F_DATA_SUCCESS;
		fake_fix_hdgst(c, c->obuf);
		return fake_send_pdu(c, h, data, len / 2, false) == 0 ? 1 : -1;
	case FAKE_C2H_SUCCESS:
		fake_trigger(c);
		return fake_send_c2h(c, cid, data, 0, len, true, true, false) == 0 ? 1 : -1;
	case FAKE_R2T_FOR_READ:
		fake_trigger(c);
		h = tcp_build_r2t(c->obuf, &c->p, cid, 1, 0, len);
		return fake_send_pdu(c, h, NULL, 0, false) == 0 ? 1 : -1;
	case FAKE_C2H_TERM:
		fake_trigger(c);
		h = tcp_build_term_req(c->obuf, TCP_ROLE_CTRL, NVMF_TCP_FES_PDU_SEQ_ERR, 0x10,
				       NULL, 0);
		fake_wr_full(c->fd, c->obuf, h);
		fake_conn_shutdown(c);
		return -1;
	case FAKE_CLOSE_MID_TRANSFER:
		fake_trigger(c);
		h = tcp_build_c2h_data(c->obuf, &c->p, cid, 0, len, true, false);
		memcpy(c->obuf + h, data, len / 2);
		fake_wr_full(c->fd, c->obuf, h + len / 2);
		fake_conn_shutdown(c);
		return -1;
	case FAKE_STALL_MID_DATA:
		fake_trigger(c);
		h = tcp_build_c2h_data(c->obuf, &c->p, cid, 0, len, true, false);
		memcpy(c->obuf + h, data, len / 2);
		return fake_wr_full(c->fd, c->obuf, h + len / 2) == 0 ? 1 : -1;
	case FAKE_STALL_MID_HEADER: {
		uint8_t cqe[16] = { 0 };

		fake_trigger(c);
		nvmf_put_le16(cqe + 12, cid);
		tcp_build_capsule_resp(c->obuf, &c->p, cqe);
		return fake_wr_full(c->fd, c->obuf, 5) == 0 ? 1 : -1;
	}
	case FAKE_NO_ANSWER:
		fake_trigger(c);
		return 1;
	case FAKE_BAD_HLEN:
		/* A CapsuleResp claiming HLEN 100: the CH is refused, so the
		 * host's TermReq may carry only those 8 bytes (NVMe/TCP 1.0,
		 * 3.6.2.4; the rest was never read). */
		fake_trigger(c);
		h = tcp_build_capsule_resp(c->obuf, &c->p, (uint8_t[16]){ [8] = 0xff, [9] = 0xff,
					   [12] = (uint8_t)cid, [13] = (uint8_t)(cid >> 8) });
		c->obuf[2] = 100;
		return fake_wr_full(c->fd, c->obuf, h) == 0 ? 1 : -1;
	case FAKE_C2H_SHORT_RESP:
		fake_trigger(c);
		if (fake_send_c2h(c, cid, data, 0, len / 2, false, false, false) != 0)
			return -1;
		return fake_send_resp(c, cid, 0, 0, 0) == 0 ? 1 : -1;
	case FAKE_RESP_NO_DATA:
		fake_trigger(c);
		return fake_send_resp(c, cid, 0, 0, 0) == 0 ? 1 : -1;
	case FAKE_SUCCESS_SHORT:
		fake_trigger(c);
		return fake_send_c2h(c, cid, data, 0, len / 2, true, true, false) == 0 ? 1 : -1;
	case FAKE_C2H_NO_LAST:
		fake_trigger(c);
		if (fake_send_c2h(c, cid, data, 0, len, false, false, false) != 0)
			return -1;
		return fake_send_resp(c, cid, 0, 0, 0) == 0 ? 1 : -1;
	default:
		return 0;
	}
}

/* io-interrupted*: the status word of Command Interrupted (21h, no DNR;
 * CRD 1 once the host set ACRE) for this read or write, or 0. */
static uint16_t interrupted(struct fake_conn *c)
{
	struct fake_ctrl *fc = c->fc;
	uint16_t st = 0;

	if (fc->o.scenario != FAKE_IO_INTERRUPTED && fc->o.scenario != FAKE_IO_INTERRUPTED_ALWAYS &&
	    fc->o.scenario != FAKE_IO_INTERRUPTED_SLOW)
		return 0;
	pthread_mutex_lock(&fc->lock);
	if (fc->o.scenario == FAKE_IO_INTERRUPTED_ALWAYS ||
	    fc->st.interrupted < (fc->o.scenario == FAKE_IO_INTERRUPTED ? 3u : 2u)) {
		fc->st.interrupted++;
		fc->st.acre_crd += fc->st.acre;
		st = (uint16_t)(0x21 | (fc->st.acre ? 1u << 11 : 0));
	}
	pthread_mutex_unlock(&fc->lock);
	return st;
}

static int io_cmd(struct fake_conn *c, const uint8_t *sqe, uint16_t cid, const uint8_t *icd,
		  uint32_t icd_len, uint32_t sgl_len)
{
	struct fake_ctrl *fc = c->fc;
	uint64_t slba = nvmf_get_le64(sqe + 40);
	uint32_t len = ((nvmf_get_le32(sqe + 48) & 0xffff) + 1) * fake_lba(fc);
	uint64_t off = slba * fake_lba(fc);
	uint16_t st;
	int rc;

	switch (sqe[0]) {
	case 0x02: /* Read */
	case 0x01: /* Write */
		/* Invalid Field, LBA Out of Range: DNR, as real controllers. */
		if (len != sgl_len || len > FAKE_XFER_MAX)
			return fake_send_resp(c, cid, 0x4000 | 0x02, 0, 0);
		if (off > fc->disk_len || len > fc->disk_len - off)
			return fake_send_resp(c, cid, 0x4000 | 0x80, 0, 0);
		if ((st = interrupted(c)) != 0)
			/* Its data, if any, is not fetched (no R2T). */
			return fake_send_resp(c, cid, st, 0, 0);
		if (fc->o.scenario == FAKE_IO_SLOW) {
			uint32_t cc;

			pthread_mutex_lock(&fc->lock);
			cc = fc->cc;
			pthread_mutex_unlock(&fc->lock);
			/* Received once shut down: not ready (Base 2.0, 3.6.1). */
			if ((cc >> 14) & 3)
				return fake_send_resp(c, cid, 0x0c, 0, 0);
			fake_trigger(c);
			usleep(200 * 1000);
		}
		if (sqe[0] == 0x02) {
			STAT(c, memcpy(c->xfer, fc->disk + off, len));
			rc = read_misbehave(c, cid, c->xfer, len);
			if (rc != 0)
				return rc < 0 ? -1 : 0;
			return reply_data(c, cid, c->xfer, len, 0);
		}
		if (!c->triggered && (fc->o.scenario == FAKE_R2T_FOR_ICD ||
				      fc->o.scenario == FAKE_C2H_FOR_WRITE)) {
			size_t h;

			fake_trigger(c);
			if (fc->o.scenario == FAKE_R2T_FOR_ICD)
				h = tcp_build_r2t(c->obuf, &c->p, cid, 1, 0, len);
			else
				h = tcp_build_c2h_data(c->obuf, &c->p, cid, 0, len, true, false);
			return fake_send_pdu(c, h, fc->disk, fc->o.scenario == FAKE_R2T_FOR_ICD ? 0 : len,
					false) == 0 ? 0 : -1;
		}
		if (!c->triggered && icd_len == 0 && (fc->o.scenario == FAKE_WRITE_RESP_NO_R2T ||
						      fc->o.scenario == FAKE_WRITE_RESP_HALF_R2T)) {
			fake_trigger(c);
			if (fc->o.scenario == FAKE_WRITE_RESP_HALF_R2T &&
			    fake_get_h2c(c, cid, c->xfer, len / 2) != 0)
				return -1;
			return fake_send_resp(c, cid, 0, 0, 0);	/* "written" */
		}
		if (icd_len > 0) {
			if (icd_len != len)
				return fake_send_resp(c, cid, 0x02, 0, 0);
			memcpy(c->xfer, icd, len);
		} else if (fake_get_h2c(c, cid, c->xfer, len) != 0) {
			return -1;
		}
		STAT(c, memcpy(fc->disk + off, c->xfer, len));
		return fake_send_resp(c, cid, 0, 0, 0);
	case 0x00: /* Flush */
	case 0x09: /* Dataset Management */
		return fake_send_resp(c, cid, 0, 0, 0);
	case 0x08: /* Write Zeroes */
		if (off <= fc->disk_len && len <= fc->disk_len - off)
			STAT(c, memset(fc->disk + off, 0, len));
		return fake_send_resp(c, cid, 0, 0, 0);
	default:
		return fake_send_resp(c, cid, 0x01, 0, 0);
	}
}

int fake_handle_capsule(struct fake_conn *c, const struct fake_pdu *pdu)
{
	const uint8_t *sqe = pdu->buf + 8;
	uint16_t cid = nvmf_get_le16(sqe + 2);
	uint32_t sgl_len = nvmf_get_le32(sqe + 32);
	uint32_t icd_len = pdu->data != NULL ? pdu->datal : 0;

	bool blackhole;

	STAT(c, c->fc->st.cmds++;
	     if (icd_len > 0) { c->fc->st.icd_cmds++; c->fc->st.icd_bytes += icd_len; };
	     blackhole = c->fc->blackhole);
	if (blackhole)
		return 0;	/* ka-blackhole: read and dropped, the connection stays */
	if (c->qid >= 0 && !c->sqfc_off && c->fc->o.scenario != FAKE_SQHD_STUCK)
		c->sqhd = (uint16_t)((c->sqhd + 1) % ((uint32_t)c->sqsize + 1));
	if (fake_auth_pending(c) && c->qid >= 0 &&
	    !(sqe[0] == 0x7f && (sqe[4] == 0x01 || sqe[4] == 0x05 || sqe[4] == 0x06))) {
		/* Not authenticated yet: SCT 1h SC 91h Authentication Required
		 * (nvmet's answer), DNR. Its data, if it had any, is not fetched. */
		STAT(c, c->fc->st.auth_unauth_cmds++);
		return fake_send_resp(c, cid, 0x4000 | 0x100 | 0x91, 0, 0);
	}
	if (sqe[0] == 0x7f)
		return fabrics_cmd(c, sqe, cid, pdu->data, icd_len, sgl_len);
	if (c->qid == 0)
		return admin_cmd(c, sqe, cid, pdu->data, icd_len, sgl_len);
	return io_cmd(c, sqe, cid, pdu->data, icd_len, sgl_len);
}

