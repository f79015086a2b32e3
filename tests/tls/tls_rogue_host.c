/*
 * tls_rogue_host: an NVMe/TCP host that completes TLS 1.3 with the PSK
 * identity of one host and then sends a Fabrics Connect naming another host
 * (or another subsystem): what libnvmf's host never does, since it derives
 * the identity from the very NQNs it connects with. Used by tls_tests.py
 * (tls_connect_other_host): nvmf-target must refuse that Connect with
 * Connect Invalid Host (NVMe/TCP 1.0 as TP 8011 amends it, 3.6.1.3: the PSK
 * vouches for the NQNs its identity names and no others).
 *
 *   tls_rogue_host ADDR PORT ID_HOSTNQN ID_SUBNQN CONNECT_HOSTNQN CONNECT_SUBNQN [VERSION]
 *
 * The configured PSK (interchange form) comes from the environment variable
 * TLS_ROGUE_KEY (never argv). The TLS engine (src/tcp/tls.h) and the PDU
 * builders (src/tcp/pdu.h) of libnvmf do the work over a blocking socket
 * with a receive timeout; alarm() bounds the whole run. Prints one line per
 * step ("tls: open ...", "icresp: ok", "connect: status 0x184 dnr 1 ..."),
 * never the key. Exit 0 once a Connect response arrived (whatever its
 * status), 1 on any other failure (the line says which step).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nvmf/endian.h>
#include <nvmf/nvme.h>
#include <nvmf/nvme_tcp.h>

#include "tcp/pdu.h"
#include "tcp/tls.h"
#include "tcp/tls_psk.h"

static int fd = -1;
static struct tcp_tls *tls;

static int die(const char *step, const char *why)
{
	printf("%s: failed: %s\n", step, why);
	fflush(stdout);
	exit(1);
}

static void send_all(const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("send", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

static void flush_out(void)
{
	const void *p;
	size_t len;

	while ((p = tcp_tls_out_peek(tls, &len)) != NULL && len) {
		send_all(p, len);
		tcp_tls_out_consume(tls, len);
	}
}

/* More ciphertext from the socket into the engine; dies at EOF or timeout. */
static void feed(const char *step)
{
	char buf[16384];
	ssize_t n;

	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		tcp_tls_peer_closed(tls);
		die(step, tcp_tls_error(tls)[0] ? tcp_tls_error(tls) : "the peer closed the connection");
	}
	if (n < 0)
		die(step, errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
	if (tcp_tls_feed(tls, buf, (size_t)n) != TCP_TLS_OK)
		die(step, tcp_tls_error(tls));
}

static void read_plain(const char *step, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = tcp_tls_read(tls, (char *)buf + got, len - got);

		flush_out();
		if (r > 0)
			got += (size_t)r;
		else if (r == 0)
			feed(step);
		else if (r == TCP_TLS_EOF)
			die(step, "the peer sent close_notify");
		else
			die(step, tcp_tls_error(tls));
	}
}

static void write_plain(const void *buf, size_t len)
{
	if (tcp_tls_write(tls, buf, len) != TCP_TLS_OK)
		die("write", tcp_tls_error(tls));
	flush_out();
}

/* One whole PDU: its common header, then the rest (plen bytes in all). */
static size_t read_pdu(const char *step, uint8_t *buf, size_t size)
{
	uint32_t plen;

	read_plain(step, buf, sizeof(struct nvmf_tcp_ch));
	plen = nvmf_get_le32(buf + 4);
	if (plen < sizeof(struct nvmf_tcp_ch) || plen > size)
		die(step, "PDU length out of range");
	read_plain(step, buf + sizeof(struct nvmf_tcp_ch), plen - sizeof(struct nvmf_tcp_ch));
	return plen;
}

static void tcp_open(const char *addr, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct timeval tv = { .tv_sec = 5 };
	int rc = getaddrinfo(addr, port, &hints, &ai);

	if (rc != 0)
		die("tcp", gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("tcp", strerror(errno));
	freeaddrinfo(ai);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void tls_open(const char *hostnqn, const char *subnqn, int version)
{
	const char *key = getenv("TLS_ROGUE_KEY");
	struct tcp_psk configured;
	struct tcp_psk_tls psk;
	struct tcp_tls_config cfg = { .role = TCP_TLS_CLIENT, .psk = &psk };
	char err[256];
	int rc;

	if (key == NULL)
		die("tls", "TLS_ROGUE_KEY is not set");
	rc = tcp_psk_parse(key, &configured);
	if (rc == 0)
		rc = tcp_psk_derive(&configured, hostnqn, subnqn, version, TCP_PSK_KDF_RFC8446, &psk);
	tcp_psk_wipe(&configured);
	if (rc != 0)
		die("tls", tcp_psk_strerror(rc));
	tls = tcp_tls_new(&cfg, err, sizeof(err));
	tcp_psk_tls_wipe(&psk);
	if (tls == NULL)
		die("tls", err);
	for (;;) {
		rc = tcp_tls_handshake(tls);
		flush_out();
		if (rc == TCP_TLS_OK)
			break;
		if (rc != TCP_TLS_WANT_INPUT)
			die("tls", tcp_tls_error(tls));
		feed("tls");
	}
	printf("tls: open %s identity '%s'\n", tcp_tls_cipher(tls), tcp_tls_identity(tls));
	fflush(stdout);
}

static void icreq(void)
{
	uint8_t buf[256];
	size_t n = tcp_build_icreq(buf, 0, false, false, 0);

	write_plain(buf, n);
	n = read_pdu("icresp", buf, sizeof(buf));
	if (buf[0] != NVMF_TCP_ICRESP) {
		char why[64];

		snprintf(why, sizeof(why), "PDU type 0x%02x instead of ICResp", buf[0]);
		die("icresp", why);
	}
	printf("icresp: ok\n");
	fflush(stdout);
}

static void connect_cmd(const char *hostnqn, const char *subnqn)
{
	struct tcp_params p = { .role = TCP_ROLE_HOST, .maxh2cdata = 4096 };
	uint8_t sqe[64], data[1024], hdr[TCP_PDU_HDR_BUF], rsp[512];
	uint16_t sf;
	size_t n;

	memset(sqe, 0, sizeof(sqe));
	sqe[0] = NVMF_ADM_FABRICS;
	sqe[1] = 0x40;				/* PSDT: SGL */
	nvmf_put_le16(sqe + 2, 1);		/* CID */
	sqe[4] = NVMF_FCTYPE_CONNECT;
	nvmf_put_le32(sqe + 32, sizeof(data));	/* SGL length */
	sqe[39] = NVMF_SGL_ID_ICD;
	nvmf_put_le16(sqe + 42, 0);		/* QID: admin */
	nvmf_put_le16(sqe + 44, 31);		/* SQSIZE */
	nvmf_put_le32(sqe + 48, 0);		/* KATO */
	memset(data, 0, sizeof(data));
	for (int i = 0; i < 16; i++)
		data[i] = (uint8_t)(0x5a + i);	/* HOSTID */
	nvmf_put_le16(data + 16, 0xFFFF);	/* CNTLID: dynamic */
	snprintf((char *)data + 256, 256, "%s", subnqn);
	snprintf((char *)data + 512, 256, "%s", hostnqn);
	n = tcp_build_capsule_cmd(hdr, &p, sqe, sizeof(data));
	if (tcp_tls_write(tls, hdr, n) != TCP_TLS_OK ||
	    tcp_tls_write(tls, data, sizeof(data)) != TCP_TLS_OK)
		die("connect", tcp_tls_error(tls));
	flush_out();
	n = read_pdu("connect", rsp, sizeof(rsp));
	if (rsp[0] != NVMF_TCP_CAPSULE_RESP || n < 24) {
		char why[64];

		snprintf(why, sizeof(why), "PDU type 0x%02x instead of CapsuleResp", rsp[0]);
		die("connect", why);
	}
	sf = nvmf_get_le16(rsp + 8 + 14);
	printf("connect: status 0x%03x dnr %d dw0 0x%08x\n", (sf >> 1) & 0x7FF,
	       (sf & 0x8000) != 0, nvmf_get_le32(rsp + 8));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int version = argc > 7 ? atoi(argv[7]) : 0;

	if (argc < 7) {
		fprintf(stderr, "usage: %s ADDR PORT ID_HOSTNQN ID_SUBNQN CONNECT_HOSTNQN "
			"CONNECT_SUBNQN [VERSION]   (key in $TLS_ROGUE_KEY)\n", argv[0]);
		return 2;
	}
	alarm(20);
	tcp_open(argv[1], argv[2]);
	tls_open(argv[3], argv[4], version);
	icreq();
	connect_cmd(argv[5], argv[6]);
	if (tcp_tls_close(tls) == TCP_TLS_OK)
		flush_out();
	tcp_tls_free(tls);
	close(fd);
	return 0;
}
