/*
 * nvme+tcp:// URIs: "nvme+tcp://host[:port][/subnqn[/nsid]][?key=value&...]".
 *
 * host is a DNS name, an IPv4 address or an IPv6 address in brackets (RFC
 * 3986, 3.2.2; a zone is written %25zone, RFC 6874). The NQN is
 * percent-decoded. Without a port the IANA ports apply: 8009 for the
 * discovery service, 4420 otherwise (NVMe/TCP 1.0, 7.4.9.1). Without an NQN
 * the URI names the well-known discovery subsystem (Base 2.0, 4.5.3).
 *
 * The query holds connection options under nvme-cli's (and the Linux
 * kernel's) names: ctrl_loss_tmo, reconnect_delay, fast_io_fail_tmo, each
 * at most once, in seconds, validated here. struct nvmf_uri has no room
 * for them (its layout is fixed, nvmf.h's ABI policy): nvmf_uri_parse()
 * only checks them and nvmf_opts_set_uri() applies them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "host/host.h"

#define URI_SCHEME "nvme+tcp://"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * [s, s+n) for a message, cut to max bytes with "..." when longer: a cut
 * shows that it is one (the tools print the whole URI once beside it).
 */
static const char *cut(char *buf, size_t bufsz, const char *s, size_t n, size_t max)
{
	if (n > max)
		snprintf(buf, bufsz, "%.*s...", (int)max, s);
	else
		snprintf(buf, bufsz, "%.*s", (int)n, s);
	return buf;
}

/* Percent-decode [s, s+n) into out (size outsz). what names the part. */
static int pct_decode(const char *s, size_t n, char *out, size_t outsz, const char *what)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= n)
				return host_err(EINVAL, "URI %s: truncated percent escape", what);
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return host_err(EINVAL, "URI %s: bad percent escape \"%.3s\"", what,
						s + i);
			c = h * 16 + l;
			if (c == 0)
				return host_err(EINVAL, "URI %s: %%00 is not allowed", what);
			i += 2;
		} else if (c < 0x21 || c == 0x7f) {
			return host_err(EINVAL, "URI %s: control or space character at offset %zu",
					what, i);
		}
		if (o + 1 >= outsz)
			return host_err(EINVAL, "URI %s is longer than %zu bytes", what, outsz - 1);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int parse_host(const char *s, size_t n, struct nvmf_uri *u)
{
	size_t i;

	if (n == 0)
		return host_err(EINVAL, "URI has no host (write IPv6 addresses in [brackets])");
	if (s[0] == '[') {
		char addr[NVMF_TRADDR_BUFSZ], plain[NVMF_TRADDR_BUFSZ];
		struct in6_addr a6;
		char *pct;

		if (s[n - 1] != ']')
			return host_err(EINVAL, "URI host: IPv6 address without closing ']'");
		if (n - 2 == 0)
			return host_err(EINVAL, "URI host: empty IPv6 address");
		if (pct_decode(s + 1, n - 2, addr, sizeof(addr), "IPv6 address") < 0)
			return -EINVAL;
		memcpy(plain, addr, sizeof(plain));
		pct = strchr(plain, '%');	/* zone, RFC 6874 */
		if (pct)
			*pct = '\0';
		if (inet_pton(AF_INET6, plain, &a6) != 1)
			return host_err(EINVAL, "URI host: \"%s\" is not an IPv6 address", plain);
		memcpy(u->host, addr, sizeof(u->host));
		return 0;
	}
	if (n >= sizeof(u->host))
		return host_err(EINVAL, "URI host is longer than %zu bytes", sizeof(u->host) - 1);
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!isalnum(c) && c != '.' && c != '-' && c != '_')
			return host_err(EINVAL, "URI host: character '%c' not allowed (IPv6 needs [brackets])",
					isprint(c) ? c : '?');
	}
	memcpy(u->host, s, n);
	u->host[n] = '\0';
	return 0;
}

/*
 * A decimal number from 1 to 65535 (RFC 3986's port is digits; a URI has
 * no C notation: "0x1a0a" and "+80" are not ports). Leading zeros are
 * decimal and dropped ("04420", "004420" are 4420), as nvmfctl's -s takes
 * them. host_port_num is the rule, shared with nvmf_opts.trsvcid so that
 * nvmf_connect() takes the ports a URI does; the message names the port
 * as given.
 */
static int parse_port(const char *s, size_t n, struct nvmf_uri *u)
{
	char shown[24];
	int v;

	if (n == 0)
		return host_err(EINVAL, "URI port is empty");
	cut(shown, sizeof(shown), s, n, 16);
	v = host_port_num(s, n);
	if (v == -EINVAL)
		return host_err(EINVAL, "URI port \"%s\" is not a number: a port is a "
				"decimal number from 1 to 65535", shown);
	if (v < 0)
		return host_err(EINVAL, "URI port \"%s\" is out of range 1-65535", shown);
	snprintf(u->port, sizeof(u->port), "%d", v);
	return 0;
}

/* The query parameters: which were given, and their values. */
enum { QP_RECONNECT_DELAY, QP_CTRL_LOSS_TMO, QP_FAST_IO_FAIL_TMO, QP_POLL_US, QP_COUNT };

static const struct {
	const char *key;
	long        lo, hi;
	const char *range;	/* for messages */
} qparams[QP_COUNT] = {
	/* nvmf_connect()'s ranges (connect.c). */
	[QP_RECONNECT_DELAY]  = { "reconnect_delay", 1, 4000000,
				  "a number of seconds from 1 to 4000000" },
	[QP_CTRL_LOSS_TMO]    = { "ctrl_loss_tmo", -1, 4000000,
				  "-1 (reconnect forever) or a number of seconds from 0 to 4000000" },
	[QP_FAST_IO_FAIL_TMO] = { "fast_io_fail_tmo", -1, 4000000,
				  "-1 (off) or a number of seconds from 0 to 4000000" },
	[QP_POLL_US]          = { "poll_us", 0, 1000000,
				  "0 (sleep when idle) or microseconds of polling from 1 to 1000000" },
};

struct uri_query {
	bool given[QP_COUNT];
	int  value[QP_COUNT];
};

/* "key=value&key=value" ([s, s+n)): each known key at most once. */
static int parse_query(const char *s, size_t n, struct uri_query *q)
{
	const char *end = s + n;

	memset(q, 0, sizeof(*q));
	if (n == 0)
		return host_err(EINVAL, "URI query is empty (remove the '?')");
	while (s <= end) {
		const char *amp = memchr(s, '&', (size_t)(end - s)), *eq, *v;
		size_t len = amp ? (size_t)(amp - s) : (size_t)(end - s), klen, vlen;
		long long val = 0;
		char shown[72];
		int k;

		if (len == 0)
			return host_err(EINVAL, "URI query has an empty parameter ('&&', or '&' at "
					"an end)");
		eq = memchr(s, '=', len);
		klen = eq ? (size_t)(eq - s) : len;
		for (k = 0; k < QP_COUNT; k++)
			if (strlen(qparams[k].key) == klen && !memcmp(qparams[k].key, s, klen))
				break;
		if (k == QP_COUNT)
			return host_err(EINVAL, "URI query: unknown parameter \"%s\" (known: "
					"ctrl_loss_tmo, reconnect_delay, fast_io_fail_tmo, poll_us)",
					cut(shown, sizeof(shown), s, klen, 64));
		if (!eq)
			return host_err(EINVAL, "URI query: %s has no value (%s=N)", qparams[k].key,
					qparams[k].key);
		if (q->given[k])
			return host_err(EINVAL, "URI query: %s is given twice", qparams[k].key);
		v = eq + 1;
		vlen = len - klen - 1;
		/* Decimal, an optional '-', at most 10 digits. */
		if (vlen == 0 || vlen > 11)
			goto bad;
		for (size_t i = v[0] == '-' ? 1 : 0; i < vlen; i++) {
			if (!isdigit((unsigned char)v[i]))
				goto bad;
			val = val * 10 + (v[i] - '0');
		}
		if (v[0] == '-') {
			if (vlen == 1)
				goto bad;
			val = -val;
		}
		if (val < qparams[k].lo || val > qparams[k].hi)
			goto bad;
		q->given[k] = true;
		q->value[k] = (int)val;
		if (!amp)
			break;
		s = amp + 1;
		continue;
bad:
		return host_err(EINVAL, "URI query: %s=%s: not %s", qparams[k].key,
				cut(shown, sizeof(shown), v, vlen, 32), qparams[k].range);
	}
	return 0;
}

static int parse_nsid(const char *s, size_t n, struct nvmf_uri *u)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0)
		return 0;
	if (n > 10)
		return host_err(EINVAL, "URI namespace ID \"%.*s\" is out of range", (int)n, s);
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return host_err(EINVAL, "URI namespace ID \"%.*s\" is not a number",
					(int)n, s);
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	/* 0 and FFFFFFFFh (broadcast) are not namespace IDs (Base 2.0, 3.2.1.2). */
	if (v == 0 || v >= 0xffffffffULL)
		return host_err(EINVAL, "URI namespace ID %llu is out of range 1-4294967294", v);
	u->nsid = (uint32_t)v;
	return 0;
}

/* nvmf_uri_parse(), with the query's parameters into q. */
static int uri_parse(const char *uri, struct nvmf_uri *u, struct uri_query *q)
{
	const char *p, *auth, *auth_end, *path, *slash, *port = NULL, *query;
	char *copy;
	size_t n;
	int r;

	host_err_clear();
	if (!uri || !u)
		return host_err(EINVAL, "URI: NULL argument");
	memset(u, 0, sizeof(*u));
	memset(q, 0, sizeof(*q));
	n = strlen(URI_SCHEME);
	if (strncasecmp(uri, URI_SCHEME, n) != 0) {
		/* Not the URI again: callers print it beside the message. */
		const char *sep = strstr(uri, "://");
		char sch[24];

		if (sep && sep > uri)
			return host_err(EINVAL, "URI does not start with \"" URI_SCHEME "\" (its "
					"scheme is \"%s\")", cut(sch, sizeof(sch),
					uri, (size_t)(sep - uri), 16));
		return host_err(EINVAL, "URI does not start with \"" URI_SCHEME "\"");
	}
	if (strchr(uri, '#'))
		return host_err(EINVAL, "URI: fragments ('#') are not supported");
	/* The query ends the URI: parse it, then the rest without it. */
	query = strchr(uri + n, '?');
	if (query) {
		if (parse_query(query + 1, strlen(query + 1), q) < 0)
			return -EINVAL;
		copy = strndup(uri, (size_t)(query - uri));
		if (!copy)
			return host_err(ENOMEM, "URI: out of memory");
		r = uri_parse(copy, u, &(struct uri_query){ 0 });
		free(copy);
		return r;
	}
	auth = uri + n;
	if (strchr(auth, '@'))
		return host_err(EINVAL, "URI: user information ('@') is not supported");
	auth_end = strchr(auth, '/');
	if (!auth_end)
		auth_end = auth + strlen(auth);

	/* host or [v6], then an optional :port */
	if (*auth == '[') {
		const char *rb = memchr(auth, ']', (size_t)(auth_end - auth));

		if (!rb)
			return host_err(EINVAL, "URI host: IPv6 address without closing ']'");
		p = rb + 1;
		if (p < auth_end && *p != ':')
			return host_err(EINVAL, "URI: unexpected text after ']'");
	} else {
		p = memchr(auth, ':', (size_t)(auth_end - auth));
		if (!p)
			p = auth_end;
	}
	if (parse_host(auth, (size_t)(p - auth), u) < 0)
		return -EINVAL;
	if (p < auth_end) {
		port = p + 1;
		if (parse_port(port, (size_t)(auth_end - port), u) < 0)
			return -EINVAL;
	}

	/* /subnqn[/nsid] */
	path = *auth_end == '/' ? auth_end + 1 : auth_end;
	slash = strchr(path, '/');
	if (slash) {
		const char *s2 = strchr(slash + 1, '/');

		if (s2 && s2[1] != '\0')
			return host_err(EINVAL, "URI path has more than two parts (subnqn/nsid); "
				"write '/' inside an NQN as %%2F");
	}
	n = slash ? (size_t)(slash - path) : strlen(path);
	if (pct_decode(path, n, u->subnqn, sizeof(u->subnqn), "subsystem NQN") < 0)
		return -EINVAL;
	/* Decoded, it may hold what the URI may not: an NQN has no space or
	 * control character (a TLS PSK identity separates NQNs by spaces,
	 * NVMe TCP 3.6.1.4; the tools refuse them in -n too). */
	for (const char *c = u->subnqn; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c == 0x7f)
			return host_err(EINVAL, "URI subsystem NQN \"%.223s\" contains a space or "
					"control character (%%%02X)", u->subnqn, (unsigned char)*c);
	if (slash) {
		const char *ns = slash + 1;
		size_t nl = strcspn(ns, "/");

		if (u->subnqn[0] == '\0' && nl > 0)
			return host_err(EINVAL, "URI gives a namespace ID without a subsystem NQN");
		if (parse_nsid(ns, nl, u) < 0)
			return -EINVAL;
	}
	if (u->subnqn[0] == '\0')
		snprintf(u->subnqn, sizeof(u->subnqn), "%s", NVMF_DISCOVERY_NQN);
	u->discovery = strcmp(u->subnqn, NVMF_DISCOVERY_NQN) == 0;
	if (u->discovery && u->nsid)
		return host_err(EINVAL, "URI gives a namespace ID for the discovery subsystem");
	if (!port)
		snprintf(u->port, sizeof(u->port), "%d",
			 u->discovery ? NVMF_TCP_DISC_PORT : NVMF_TCP_IO_PORT);
	return 0;
}

int nvmf_uri_parse(const char *uri, struct nvmf_uri *u)
{
	struct uri_query q;

	return uri_parse(uri, u, &q);
}

/* The member of o a query parameter sets, if the caller's struct has it
 * (nvmf.h's ABI policy: never write beyond o->size). */
static int *qparam_field(struct nvmf_opts *o, int k)
{
	switch (k) {
	case QP_RECONNECT_DELAY:
		return HOST_OPTS_HAS(o, reconnect_delay) ? &o->reconnect_delay : NULL;
	case QP_CTRL_LOSS_TMO:
		return HOST_OPTS_HAS(o, ctrl_loss_tmo) ? &o->ctrl_loss_tmo : NULL;
	case QP_FAST_IO_FAIL_TMO:
		return HOST_OPTS_HAS(o, fast_io_fail_tmo) ? &o->fast_io_fail_tmo : NULL;
	case QP_POLL_US:
		return HOST_OPTS_HAS(o, poll_us) ? &o->poll_us : NULL;
	default:
		return NULL;
	}
}

/*
 * The target of the URI into o, and the options its query names; the
 * others keep their values. Nothing changes unless all of it applies: a
 * parameter the caller's (older) struct has no member for is -EINVAL, not
 * silently dropped.
 */
int nvmf_opts_set_uri(struct nvmf_opts *o, const char *uri)
{
	struct uri_query q;
	struct nvmf_uri u;
	int r;

	if (!o)
		return host_err(EINVAL, "nvmf_opts_set_uri: NULL options");
	r = uri_parse(uri, &u, &q);
	if (r < 0)
		return r;
	for (int k = 0; k < QP_COUNT; k++)
		if (q.given[k] && !qparam_field(o, k))
			return host_err(EINVAL, "URI query: %s: this program's nvmf_opts has no "
					"such member (built against an older libnvmf)",
					qparams[k].key);
	snprintf(o->traddr, sizeof(o->traddr), "%s", u.host);
	snprintf(o->trsvcid, sizeof(o->trsvcid), "%s", u.port);
	snprintf(o->subnqn, sizeof(o->subnqn), "%s", u.subnqn);
	o->nsid = u.nsid;
	for (int k = 0; k < QP_COUNT; k++)
		if (q.given[k])
			*qparam_field(o, k) = q.value[k];
	return 0;
}
