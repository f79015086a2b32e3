/*
 * Scripted fake NVMe/TCP controller (see fake_ctrl.h and README.md).
 *
 * Deliberately simple: blocking sockets, one thread per connection, one
 * command served at a time (capsules that arrive while a write waits for
 * its H2CData are queued and served afterwards). Correct PDUs are built
 * with the codec's builders; misbehaviour patches them afterwards and
 * recomputes the header digest where the point is not the digest.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nvmf/endian.h>

#include "fake/fake_int.h"

static const char *const scenario_names[FAKE_SCENARIO_COUNT] = {
	[FAKE_GOOD] = "good",
	[FAKE_ICRESP_BAD_PFV] = "icresp-bad-pfv",
	[FAKE_ICRESP_CPDA_32] = "icresp-cpda-32",
	[FAKE_ICRESP_MAXH2C_SMALL] = "icresp-maxh2c-small",
	[FAKE_ICRESP_MAXH2C_UNALIGNED] = "icresp-maxh2c-unaligned",
	[FAKE_ICRESP_DIGEST_UNREQUESTED] = "icresp-digest-unrequested",
	[FAKE_ICRESP_DIGEST_DECLINED] = "icresp-digest-declined",
	[FAKE_ICRESP_NEVER] = "icresp-never",
	[FAKE_CLOSE_AT_ICREQ] = "close-at-icreq",
	[FAKE_HDGST_ERROR] = "hdgst-error",
	[FAKE_DDGST_ERROR] = "ddgst-error",
	[FAKE_UNKNOWN_CID] = "unknown-cid",
	[FAKE_C2H_UNKNOWN_CID] = "c2h-unknown-cid",
	[FAKE_C2H_BEYOND] = "c2h-beyond",
	[FAKE_C2H_OVERLAP] = "c2h-overlap",
	[FAKE_C2H_OUT_OF_ORDER] = "c2h-out-of-order",
	[FAKE_SUCCESS_NO_LAST] = "success-no-last",
	[FAKE_C2H_SUCCESS] = "c2h-success",
	[FAKE_R2T_FOR_READ] = "r2t-for-read",
	[FAKE_C2H_TERM] = "c2h-term",
	[FAKE_CLOSE_MID_TRANSFER] = "close-mid-transfer",
	[FAKE_STALL_MID_DATA] = "stall-mid-data",
	[FAKE_STALL_MID_HEADER] = "stall-mid-header",
	[FAKE_NO_ANSWER] = "no-answer",
	[FAKE_R2T_OUT_OF_RANGE] = "r2t-out-of-range",
	[FAKE_R2T_TWICE] = "r2t-twice",
	[FAKE_R2T_FOR_ICD] = "r2t-for-icd",
	[FAKE_C2H_FOR_WRITE] = "c2h-for-write",
	[FAKE_WRITE_RESP_NO_R2T] = "write-resp-no-r2t",
	[FAKE_WRITE_RESP_HALF_R2T] = "write-resp-half-r2t",
	[FAKE_CSTS_CFS] = "csts-cfs",
	[FAKE_SQHD_STUCK] = "sqhd-stuck",
	[FAKE_IDENTIFY_BAD_LBADS] = "identify-bad-lbads",
	[FAKE_IDENTIFY_BAD_IOCCSZ] = "identify-bad-ioccsz",
	[FAKE_NS_LIST_DUP] = "ns-list-dup",
	[FAKE_AUTH_REQUIRED] = "auth-required",
	[FAKE_AUTHREQ_ATR] = "authreq-atr",
	[FAKE_CONNECT_INVALID_PARAM] = "connect-invalid-param",
	[FAKE_BAD_HLEN] = "bad-hlen",
	[FAKE_C2H_SHORT_RESP] = "c2h-short-resp",
	[FAKE_RESP_NO_DATA] = "resp-no-data",
	[FAKE_SUCCESS_SHORT] = "success-short",
	[FAKE_C2H_NO_LAST] = "c2h-no-last",
	[FAKE_CLOSE_AFTER_SHN] = "close-after-shn",
	[FAKE_KA_BLACKHOLE] = "ka-blackhole",
	[FAKE_LOG_NO_ANSWER] = "log-no-answer",
	[FAKE_NS_IDENTITY_CHANGES] = "ns-identity-changes",
	[FAKE_SUBSYS_CHANGES] = "subsys-changes",
	[FAKE_RECONNECT_REFUSED] = "reconnect-refused",
	[FAKE_CFS_LATER] = "cfs-later",
	[FAKE_IO_LOST_AT_AEC] = "io-lost-at-aec",
	[FAKE_RECONNECT_REFUSED_GENERIC] = "reconnect-refused-generic",
	[FAKE_NS_IDENTITY_CHANGES_SLOW] = "ns-identity-changes-slow",
	[FAKE_NS_HUGE] = "ns-huge",
	[FAKE_CNTLID_RESERVED] = "cntlid-reserved",
	[FAKE_CSTS_NEVER_READY] = "csts-never-ready",
	[FAKE_IDENTIFY_CNTLID] = "identify-cntlid",
	[FAKE_IO_INTERRUPTED] = "io-interrupted",
	[FAKE_IO_INTERRUPTED_ALWAYS] = "io-interrupted-always",
	[FAKE_IO_INTERRUPTED_SLOW] = "io-interrupted-slow",
	[FAKE_IDENTIFY_SLOW] = "identify-slow",
	[FAKE_NS_NOTICE_TWICE] = "ns-notice-twice",
	[FAKE_NS_LBA_CHANGES] = "ns-lba-changes",
	[FAKE_NS_NOTICE_FLOOD] = "ns-notice-flood",
	[FAKE_NS_FORMAT_USABLE] = "ns-format-usable",
	[FAKE_NS_GROWS] = "ns-grows",
	[FAKE_DISCOVERY_UNIQUE] = "discovery-unique",
	[FAKE_ADMIN_LOST_AT_IO_ICREQ] = "admin-lost-at-io-icreq",
	[FAKE_AUTH_FAIL_CLOSE] = "auth-fail-close",
	[FAKE_AUTH_FAILURE1_AT_CHALLENGE] = "auth-failure1-at-challenge",
	[FAKE_AUTH_CHALLENGE_HL] = "auth-challenge-hl",
	[FAKE_AUTH_CHALLENGE_DHVLEN] = "auth-challenge-dhvlen",
	[FAKE_AUTH_CHALLENGE_SHORT] = "auth-challenge-short",
	[FAKE_AUTH_HASH_UNKNOWN] = "auth-hash-unknown",
	[FAKE_AUTH_DHGROUP_UNKNOWN] = "auth-dhgroup-unknown",
	[FAKE_AUTH_HASH_NOT_OFFERED] = "auth-hash-not-offered",
	[FAKE_AUTH_DHGROUP_NOT_OFFERED] = "auth-dhgroup-not-offered",
	[FAKE_AUTH_DH_ZERO] = "auth-dh-zero",
	[FAKE_AUTH_DH_ONE] = "auth-dh-one",
	[FAKE_AUTH_DH_P_MINUS_1] = "auth-dh-p-minus-1",
	[FAKE_AUTH_DH_FF] = "auth-dh-ff",
	[FAKE_AUTH_CHALLENGE_TID] = "auth-challenge-tid",
	[FAKE_AUTH_SUCCESS1_TID] = "auth-success1-tid",
	[FAKE_AUTH_SUCCESS1_NO_R2] = "auth-success1-no-r2",
	[FAKE_AUTH_SUCCESS1_R2_UNASKED] = "auth-success1-r2-unasked",
	[FAKE_AUTH_SUCCESS1_BAD_R2] = "auth-success1-bad-r2",
	[FAKE_AUTH_SUCCESS1_FIRST] = "auth-success1-first",
	[FAKE_AUTH_RECV_GARBAGE] = "auth-recv-garbage",
	[FAKE_AUTH_SEND_ERROR] = "auth-send-error",
	[FAKE_AUTH_RECV_ERROR] = "auth-recv-error",
	[FAKE_AUTH_NO_ANSWER] = "auth-no-answer",
	[FAKE_AUTH_DH_UNPADDED] = "auth-dh-unpadded",
	[FAKE_IO_SLOW] = "io-slow",
	[FAKE_READS_HANG_FIRST] = "reads-hang-first",
	[FAKE_NS_ID_FLAP] = "ns-id-flap",
	[FAKE_NS_ID_ZERO] = "ns-id-zero",
	[FAKE_NS_DESC_FLAP] = "ns-desc-flap",
	[FAKE_NS_REFORMATTED] = "ns-reformatted",
	[FAKE_NS_ID_BLIP] = "ns-id-blip",
	[FAKE_SUBNQN_OTHER] = "subnqn-other",
	[FAKE_DISCOVERY_OWN_NQN] = "discovery-own-nqn",
	[FAKE_DISCOVERY_OWN_NQN_OLD] = "discovery-own-nqn-old",
	[FAKE_ADMIN_CTRL] = "admin-ctrl",
};

int fake_scenario_parse(const char *name, enum fake_scenario *out)
{
	int i;

	for (i = 0; i < FAKE_SCENARIO_COUNT; i++) {
		if (scenario_names[i] != NULL && strcmp(name, scenario_names[i]) == 0) {
			*out = (enum fake_scenario)i;
			return 0;
		}
	}
	return -ENOENT;
}

const char *fake_scenario_name(enum fake_scenario s)
{
	return (unsigned)s < FAKE_SCENARIO_COUNT ? scenario_names[s] : "?";
}

uint8_t fake_pattern(uint64_t off)
{
	return (uint8_t)((off * 7 + (off >> 9) * 13 + 3) & 0xff);
}
/* ---- Connection ------------------------------------------------------------- */

static int do_icreq(struct fake_conn *c, const struct fake_pdu *pdu)
{
	struct fake_ctrl *fc = c->fc;
	const struct nvmf_tcp_icreq *req = (const void *)pdu->buf;
	uint32_t maxh2c = fc->o.maxh2cdata ? fc->o.maxh2cdata : 131072;
	struct tcp_err err;
	uint8_t dgst;
	size_t n;

	if (pdu->type != NVMF_TCP_ICREQ)
		return -1;
	STAT(c, fc->st.icreqs++; fc->st.icreq_hpda = req->hpda; fc->st.icreq_dgst = req->dgst);
	if (fc->o.scenario == FAKE_ADMIN_LOST_AT_IO_ICREQ && c != fc->conns[0]) {
		/* Leave this ICReq unanswered, drop the first connection. */
		fake_trigger(c);
		pthread_mutex_lock(&fc->lock);
		if (fc->conns[0]->fd >= 0)
			shutdown(fc->conns[0]->fd, SHUT_RDWR);
		pthread_mutex_unlock(&fc->lock);
		return 0;
	}
	if (fc->o.scenario == FAKE_CLOSE_AT_ICREQ || fc->o.scenario == FAKE_ICRESP_NEVER) {
		fake_trigger(c);
		if (fc->o.scenario == FAKE_CLOSE_AT_ICREQ)
			return -1;
		return 0;
	}
	if (tcp_check_icreq(req, fc->o.cpda, maxh2c, 8192, &c->p, &err) != 0)
		return -1;
	dgst = req->dgst & 3;
	n = tcp_build_icresp(c->obuf, fc->o.cpda, dgst & 1, (dgst & 2) != 0, maxh2c);
	switch (fc->o.scenario) {
	case FAKE_ICRESP_BAD_PFV:
		nvmf_put_le16(c->obuf + 8, 1);
		break;
	case FAKE_ICRESP_CPDA_32:
		c->obuf[10] = 32;
		break;
	case FAKE_ICRESP_MAXH2C_SMALL:
		nvmf_put_le32(c->obuf + 12, 2048);
		break;
	case FAKE_ICRESP_MAXH2C_UNALIGNED:
		nvmf_put_le32(c->obuf + 12, 4098);
		break;
	case FAKE_ICRESP_DIGEST_UNREQUESTED:
		c->obuf[11] = 3;	/* both, whatever was asked */
		if (dgst == 3)
			c->obuf[11] = 0;
		break;
	case FAKE_ICRESP_DIGEST_DECLINED:
		c->obuf[11] = 0;
		break;
	default:
		break;
	}
	if (fc->o.scenario >= FAKE_ICRESP_BAD_PFV && fc->o.scenario <= FAKE_ICRESP_DIGEST_DECLINED)
		fake_trigger(c);
	return fake_wr_full(c->fd, c->obuf, n);
}

static void *conn_main(void *arg)
{
	struct fake_conn *c = arg;
	struct fake_pdu pdu;

	c->qid = -1;
	c->p.role = TCP_ROLE_CTRL;
	if (fake_read_pdu(c, c->rbuf, &pdu) != 0 || do_icreq(c, &pdu) != 0)
		goto out;
	for (;;) {
		bool pending = c->npend > 0;
		int rc;

		if (pending) {
			pdu = c->pend[c->pend_head];
			c->pend_head = (c->pend_head + 1) % FAKE_MAX_PENDING;
			c->npend--;
		} else if (fake_read_pdu(c, c->rbuf, &pdu) != 0) {
			break;
		}
		if (!c->p.maxh2cdata) {
			/* No ICResp was sent (icresp-never): only wait for the close. */
			rc = 0;
		} else if (pdu.type == NVMF_TCP_CAPSULE_CMD) {
			rc = fake_handle_capsule(c, &pdu);
		} else if (pdu.type == NVMF_TCP_H2C_TERM_REQ) {
			fake_record_term(c, pdu.buf);
			rc = -1;
		} else {
			rc = -1;
		}
		if (pending)
			free(pdu.buf);
		if (rc != 0)
			break;
	}
out:
	while (c->npend > 0) {
		free(c->pend[c->pend_head].buf);
		c->pend_head = (c->pend_head + 1) % FAKE_MAX_PENDING;
		c->npend--;
	}
	pthread_mutex_lock(&c->fc->lock);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	pthread_mutex_unlock(&c->fc->lock);
	return NULL;
}

static void conn_free(struct fake_conn *c)
{
	fake_auth_conn_free(c);
	free(c->rbuf);
	free(c->obuf);
	free(c->xfer);
	free(c);
}

static void *accept_main(void *arg)
{
	struct fake_ctrl *fc = arg;

	for (;;) {
		int fd = accept(fc->lfd, NULL, NULL);
		struct fake_conn *c;
		int one = 1;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		pthread_mutex_lock(&fc->lock);
		if (fc->stopping || fc->nconns == FAKE_MAX_CONNS) {
			pthread_mutex_unlock(&fc->lock);
			close(fd);
			continue;
		}
		pthread_mutex_unlock(&fc->lock);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fc = fc;
		c->fd = fd;
		c->rbuf = malloc(FAKE_PDU_MAX);
		c->obuf = malloc(FAKE_PDU_MAX);
		c->xfer = malloc(FAKE_XFER_MAX);
		if (c->rbuf == NULL || c->obuf == NULL || c->xfer == NULL) {
			close(fd);
			conn_free(c);
			continue;
		}
		pthread_mutex_lock(&fc->lock);
		fc->conns[fc->nconns++] = c;
		fc->st.conns++;
		pthread_mutex_unlock(&fc->lock);
		if (pthread_create(&c->thr, NULL, conn_main, c) != 0) {
			pthread_mutex_lock(&fc->lock);
			fc->nconns--;
			close(c->fd);
			pthread_mutex_unlock(&fc->lock);
			conn_free(c);
		}
	}
	return NULL;
}

/*
 * fake_opts.restartable: binds lfd to a random free port in [20000, the
 * first port of ip_local_port_range) and returns 1; returns 0 with ss's port
 * back at 0 if there is no room below the range (or no such file: not Linux)
 * or none of 50 tries was free, lfd then to be bound as usual; -errno on
 * another bind failure.
 */
static int bind_below_ephemeral(int lfd, struct sockaddr_storage *ss, socklen_t sl)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned int low = 0, seed = (unsigned int)getpid() ^ (unsigned int)time(NULL) ^
				     (unsigned int)(uintptr_t)ss;

	if (f) {
		if (fscanf(f, "%u", &low) != 1)
			low = 0;
		fclose(f);
	}
	/* From 20000, as tests/lib/nvmf_testlib.py free_port(): the QEMU
	 * guests' forwarded ports are 10000-19999. */
	for (int t = 0; low > 22000 && low <= 65535 && t < 50; t++) {
		uint16_t port = htons((uint16_t)(20000 + (unsigned int)rand_r(&seed) % (low - 20000)));

		if (ss->ss_family == AF_INET6)
			((struct sockaddr_in6 *)ss)->sin6_port = port;
		else
			((struct sockaddr_in *)ss)->sin_port = port;
		if (bind(lfd, (struct sockaddr *)ss, sl) == 0)
			return 1;
		if (errno != EADDRINUSE)
			return -errno;
	}
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	else
		((struct sockaddr_in *)ss)->sin_port = 0;
	return 0;
}

int fake_ctrl_start(const struct fake_opts *opts, struct fake_ctrl **out)
{
	struct fake_ctrl *fc = calloc(1, sizeof(*fc));
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, i;

	if (fc == NULL)
		return -ENOMEM;
	fc->o = *opts;
	fc->disk_len = (size_t)(opts->ns_blocks ? opts->ns_blocks : 8192) * 512;
	fc->disk = malloc(fc->disk_len);
	if (fc->disk == NULL) {
		free(fc);
		return -ENOMEM;
	}
	for (i = 0; (size_t)i < fc->disk_len; i++)
		fc->disk[i] = fake_pattern((uint64_t)i);
	i = fake_auth_init(fc);
	if (i != 0) {
		free(fc->disk);
		free(fc);
		return i;
	}
	pthread_mutex_init(&fc->lock, NULL);

	memset(&ss, 0, sizeof(ss));
	if (opts->ipv6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(opts->port);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_port = htons(opts->port);
		sl = sizeof(*s4);
	}
	fc->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fc->lfd < 0)
		goto fail;
	setsockopt(fc->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	i = opts->restartable && opts->port == 0 ? bind_below_ephemeral(fc->lfd, &ss, sl) : 0;
	if (i < 0) {
		errno = -i;
		goto fail;
	}
	if ((i == 0 && bind(fc->lfd, (struct sockaddr *)&ss, sl) != 0) || listen(fc->lfd, 16) != 0)
		goto fail;
	sl = sizeof(ss);
	getsockname(fc->lfd, (struct sockaddr *)&ss, &sl);
	fc->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						  : ((struct sockaddr_in *)&ss)->sin_port);
	if (pthread_create(&fc->accept_thr, NULL, accept_main, fc) != 0)
		goto fail;
	*out = fc;
	return 0;
fail:
	i = -errno;
	if (fc->lfd >= 0)
		close(fc->lfd);
	fake_auth_fini(fc);
	pthread_mutex_destroy(&fc->lock);
	free(fc->disk);
	free(fc);
	return i != 0 ? i : -EIO;
}

uint16_t fake_ctrl_port(const struct fake_ctrl *fc)
{
	return fc->port;
}

uint8_t *fake_ctrl_disk(struct fake_ctrl *fc)
{
	return fc->disk;
}

void fake_ctrl_stats(struct fake_ctrl *fc, struct fake_stats *st)
{
	pthread_mutex_lock(&fc->lock);
	*st = fc->st;
	pthread_mutex_unlock(&fc->lock);
}

void fake_ctrl_stop(struct fake_ctrl *fc, struct fake_stats *final_stats)
{
	unsigned i;

	pthread_mutex_lock(&fc->lock);
	fc->stopping = true;
	shutdown(fc->lfd, SHUT_RDWR);
	pthread_mutex_unlock(&fc->lock);
	pthread_join(fc->accept_thr, NULL);
	close(fc->lfd);

	pthread_mutex_lock(&fc->lock);
	for (i = 0; i < fc->nconns; i++)
		if (fc->conns[i]->fd >= 0)
			shutdown(fc->conns[i]->fd, SHUT_RDWR);
	pthread_mutex_unlock(&fc->lock);
	for (i = 0; i < fc->nconns; i++) {
		pthread_join(fc->conns[i]->thr, NULL);
		conn_free(fc->conns[i]);
	}
	if (final_stats != NULL)
		*final_stats = fc->st;
	pthread_mutex_destroy(&fc->lock);
	fake_auth_fini(fc);
	free(fc->disk);
	free(fc);
}

void fake_ctrl_drop(struct fake_ctrl *fc)
{
	pthread_mutex_lock(&fc->lock);
	for (unsigned i = 0; i < fc->nconns; i++)
		if (fc->conns[i]->fd >= 0)
			shutdown(fc->conns[i]->fd, SHUT_RDWR);
	pthread_mutex_unlock(&fc->lock);
}
