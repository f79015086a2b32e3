/*
 * nvmf-fuse's URI of a connection (connect, connect-all, autoconnect): the
 * address and port checked to be a URI's, the NQN percent-encoded where RFC
 * 3986 wants it, an IPv6 zone's '%' as "%25" (RFC 6874), the reconnect
 * options in the query.
 */
#include "nvmfctl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* NQN characters safe in the URI path without escaping (RFC 3986 pchar). */
static bool uri_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._~:@!$&'()*+,;=", c) != NULL;
}

/* RFC 3986's unreserved characters: all a zone (RFC 6874 ZoneID) keeps as is. */
static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

const char *nc_traddr_bad(const char *s)
{
	char plain[NVMF_TRADDR_BUFSZ];
	const char *pct = strchr(s, '%');
	struct in6_addr a6;

	if (!*s)
		return "is empty";
	/* Before the zone: a URI delimiter ('/', '?', '#', '[', '@'...), a
	 * blank, a control byte is no host name's or address's. */
	for (const unsigned char *p = (const unsigned char *)s; *p && *p != '%'; p++)
		if (!unreserved(*p) && *p != ':')
			return "has a character no host name or address holds";
	if (!strchr(s, ':')) {
		if (pct || strchr(s, '~'))
			return "is neither a host name, an IPv4 nor an IPv6 address";
		return NULL;
	}
	snprintf(plain, sizeof(plain), "%.*s", pct ? (int)(pct - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET6, plain, &a6) != 1)
		return "is not an IPv6 address";
	if (pct && !pct[1])
		return "has an empty IPv6 zone";
	/* The zone is an interface name, which nc_build_uri() percent-encodes:
	 * Linux's may hold '@', '+' and other punctuation (nvme-cli passes
	 * them), never a blank, '/' or ':'; '?' is how the library shows a
	 * record's control byte. */
	for (const unsigned char *p = pct ? (const unsigned char *)pct + 1 : NULL; p && *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("/:?", *p))
			return "has a character an IPv6 zone (an interface name) cannot hold";
	return NULL;
}

const char *nc_uri_why(const struct nvmf_opts *o, char *buf, size_t len)
{
	char esc[TC_ESC_SIZE(NVMF_TRADDR_FIELD_LEN)];
	const char *bad = nc_traddr_bad(o->traddr);

	if (bad)
		snprintf(buf, len, "the address \"%s\" %s",
			 tc_escape(esc, sizeof(esc), o->traddr), bad);
	else if (tc_port_num(o->trsvcid) < 0)
		snprintf(buf, len, "the port \"%s\" is not a port number (1 to 65535)",
			 tc_escape(esc, sizeof(esc), o->trsvcid));
	else
		snprintf(buf, len, "the address and NQN make a URI longer than nvmf-fuse takes");
	return buf;
}

/* Append s to buf at *n, the bytes keep() refuses percent-encoded; -1 when
 * it does not fit. */
static int put_enc(char *buf, size_t len, size_t *n, const char *s, bool (*keep)(unsigned char))
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*n + 4 >= len)
			return -1;
		if (keep(*p))
			buf[(*n)++] = (char)*p;
		else
			*n += (size_t)snprintf(buf + *n, len - *n, "%%%02X", *p);
	}
	return 0;
}

int nc_build_uri(const struct nvmf_opts *o, char *buf, size_t len)
{
	struct nvmf_opts d;
	char sep = '?';
	const char *zone = strchr(o->traddr, '%');
	size_t n;
	int w;

	/* What is pasted as is must be an address and a port: a record's
	 * "127.0.0.1/nqn.x?" or "4420/nqn.y" would name another target. */
	if (nc_traddr_bad(o->traddr) || tc_port_num(o->trsvcid) < 0)
		return -1;
	if (strchr(o->traddr, ':'))	/* the zone's '%' as "%25" (RFC 6874) */
		w = snprintf(buf, len, "nvme+tcp://[%.*s%s", zone ? (int)(zone - o->traddr)
				     : (int)strlen(o->traddr), o->traddr, zone ? "%25" : "");
	else
		w = snprintf(buf, len, "nvme+tcp://%s", o->traddr);
	if (w < 0 || (size_t)w >= len)
		return -1;
	n = (size_t)w;
	if (zone && put_enc(buf, len, &n, zone + 1, unreserved) < 0)
		return -1;
	w = snprintf(buf + n, len - n, "%s:%ld/", strchr(o->traddr, ':') ? "]" : "",
		     tc_port_num(o->trsvcid));
	if (w < 0 || (size_t)w >= len - n)
		return -1;
	n += (size_t)w;
	if (put_enc(buf, len, &n, o->subnqn, uri_safe) < 0)
		return -1;
	if (o->nsid) {
		w = snprintf(buf + n, len - n, "/%u", o->nsid);
		if (w < 0 || (size_t)w >= len - n)
			return -1;
		n += (size_t)w;
	}
	/* The reconnect options travel in the query (nvmf_opts_set_uri()), so
	 * the URI nvmf-fuse records, and 'nvmfctl list' shows, is the whole
	 * connection: those that differ from the defaults. */
	nvmf_opts_init(&d);
	for (int i = 0; i < 3; i++) {
		static const char *const key[] = { "reconnect_delay", "ctrl_loss_tmo",
						   "fast_io_fail_tmo" };
		const int have[] = { o->reconnect_delay, o->ctrl_loss_tmo, o->fast_io_fail_tmo };
		const int def[] = { d.reconnect_delay, d.ctrl_loss_tmo, d.fast_io_fail_tmo };

		if (have[i] == def[i])
			continue;
		w = snprintf(buf + n, len - n, "%c%s=%d", sep, key[i], have[i]);
		if (w < 0 || (size_t)w >= len - n)
			return -1;
		n += (size_t)w;
		sep = '&';
	}
	buf[n] = '\0';
	return 0;
}
