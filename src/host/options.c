/*
 * Host options: defaults, and the host NQN and host ID.
 *
 * nvme-cli keeps the host's identity in /etc/nvme/hostnqn and
 * /etc/nvme/hostid; using the same files makes libnvmf appear to a target
 * as the same host as the kernel initiator (same ACL entries). Without them
 * a stable identity is derived from the machine ID so that reconnects and
 * reboots present the same host: a UUID-based NQN (Base 2.0, 4.5.1).
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __FreeBSD__
#include <sys/types.h>
#include <sys/sysctl.h>
#endif

#include "host/host.h"

#define UUID_NQN_PREFIX "nqn.2014-08.org.nvmexpress:uuid:"

static const struct host_id_paths default_paths = {
	.hostnqn = "/etc/nvme/hostnqn",
	.hostid = "/etc/nvme/hostid",
	.machine_id = "/etc/machine-id",
#ifdef __FreeBSD__
	.machine_id2 = "/etc/hostid",
#else
	.machine_id2 = "/var/lib/dbus/machine-id",
#endif
};

/* First line of a small file, whitespace trimmed; -ENOENT if absent or empty. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f;
	size_t n;

	if (!path)
		return -ENOENT;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -ENOENT;
	}
	fclose(f);
	n = strlen(buf);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (n == 0)
		return -ENOENT;
	return 0;
}

void nvmf_hostid_format(const uint8_t id[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], id[8], id[9],
		 id[10], id[11], id[12], id[13], id[14], id[15]);
}

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (case-insensitive). */
int nvmf_hostid_parse(const char *s, uint8_t id[16])
{
	int i, n = 0;

	if (!s)
		return host_err(EINVAL, "host ID: NULL string");
	for (i = 0; i < 36; i++) {
		int c = (unsigned char)s[i], v;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				goto bad;
			continue;
		}
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			goto bad;
		if (n % 2 == 0)
			id[n / 2] = (uint8_t)(v << 4);
		else
			id[n / 2] |= (uint8_t)v;
		n++;
	}
	if (s[36] == '\0' || isspace((unsigned char)s[36]))
		return 0;
bad:
	return host_err(EINVAL, "host ID '%.64s' is not a UUID "
			"(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s);
}

/* 64-bit FNV-1a, continued from h. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * The machine ID must not be exposed as is (machine-id(5) asks for an
 * application-specific derivation), so it is hashed with a fixed
 * libnvmf key into 128 bits and formatted as an RFC 9562 version 8
 * (custom) UUID. Whitespace is ignored so "abc\n" and "abc" agree.
 */
void host_hostid_from_machine_id(const char *machine_id, uint8_t id[16])
{
	char clean[128];
	size_t i, n = 0;
	uint64_t a, b;

	for (i = 0; machine_id[i] && n + 1 < sizeof(clean); i++)
		if (!isspace((unsigned char)machine_id[i]))
			clean[n++] = (char)tolower((unsigned char)machine_id[i]);
	clean[n] = '\0';
	a = fnv1a(fnv1a(0xcbf29ce484222325ULL, "libnvmf-hostid-a:"), clean);
	b = fnv1a(fnv1a(0xcbf29ce484222325ULL ^ a, "libnvmf-hostid-b:"), clean);
	/* A final mix so that similar IDs spread over all the bits. */
	a ^= a >> 33; a *= 0xff51afd7ed558ccdULL; a ^= a >> 33;
	b ^= b >> 33; b *= 0xc4ceb9fe1a85ec53ULL; b ^= b >> 33;
	for (i = 0; i < 8; i++) {
		id[i] = (uint8_t)(a >> (56 - 8 * i));
		id[8 + i] = (uint8_t)(b >> (56 - 8 * i));
	}
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x80);	/* version 8 */
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);	/* RFC variant */
}

static int machine_id(const struct host_id_paths *p, char *buf, size_t len)
{
	if (read_line(p->machine_id, buf, len) == 0)
		return 0;
	if (read_line(p->machine_id2, buf, len) == 0)
		return 0;
#ifdef __FreeBSD__
	if (p == &default_paths) {
		size_t l = len;

		if (sysctlbyname("kern.hostuuid", buf, &l, NULL, 0) == 0 && l > 1)
			return 0;
	}
#endif
	return -ENOENT;
}

int host_default_hostid_from(const struct host_id_paths *p, uint8_t id[16])
{
	char line[256];
	const char *u;

	if (read_line(p->hostid, line, sizeof(line)) == 0 && nvmf_hostid_parse(line, id) == 0)
		return 0;
	/* nvme-cli's hostnqn usually embeds the host ID: keep them consistent. */
	if (read_line(p->hostnqn, line, sizeof(line)) == 0 &&
	    (u = strstr(line, ":uuid:")) != NULL && nvmf_hostid_parse(u + 6, id) == 0)
		return 0;
	if (machine_id(p, line, sizeof(line)) == 0) {
		host_hostid_from_machine_id(line, id);
		return 0;
	}
	memset(id, 0, 16);
	return host_err(ENOENT, "no host ID: neither %s, %s nor a machine ID (%s) exists",
			p->hostid, p->hostnqn, p->machine_id);
}

int host_default_hostnqn_from(const struct host_id_paths *p, char *buf, size_t len)
{
	char line[256], us[37];
	uint8_t id[16];
	int r;

	if (read_line(p->hostnqn, line, sizeof(line)) == 0) {
		if (strncmp(line, "nqn.", 4) != 0 || strlen(line) > NVMF_NQN_MAX_LEN)
			host_log(NVMF_LOG_WARN, "%s: \"%s\" is not a valid NQN, ignored", p->hostnqn,
				 line);
		else if (strlen(line) >= len)
			return host_err(ENOSPC, "host NQN buffer too small");
		else {
			memcpy(buf, line, strlen(line) + 1);
			return 0;
		}
	}
	r = host_default_hostid_from(p, id);
	if (r < 0) {
		if (len > 0)
			buf[0] = '\0';
		return r;
	}
	nvmf_hostid_format(id, us);
	if ((size_t)snprintf(buf, len, "%s%s", UUID_NQN_PREFIX, us) >= len)
		return host_err(ENOSPC, "host NQN buffer too small");
	return 0;
}

int nvmf_default_hostnqn(char *buf, size_t len)
{
	if (!buf || len == 0)
		return host_err(EINVAL, "nvmf_default_hostnqn: no buffer");
	return host_default_hostnqn_from(&default_paths, buf, len);
}

int nvmf_default_hostid(uint8_t hostid[16])
{
	if (!hostid)
		return host_err(EINVAL, "nvmf_default_hostid: no buffer");
	return host_default_hostid_from(&default_paths, hostid);
}

int host_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/*
 * Defaults for the caller's struct of size bytes (the ABI policy of
 * nvmf.h): every byte zeroed first, so members this library does not know
 * (a program built against a newer header) are 0, which for members added
 * after 0.2 means "the default"; then the members this library knows.
 */
void nvmf_opts_init_size(struct nvmf_opts *o, size_t size)
{
	struct nvmf_opts d;

	if (!o || size < offsetof(struct nvmf_opts, reconnect_delay))
		return;
	memset(&d, 0, sizeof(d));
	(void)nvmf_default_hostnqn(d.hostnqn, sizeof(d.hostnqn));
	(void)nvmf_default_hostid(d.hostid);
	d.nr_io_queues = host_online_cpus();
	d.queue_size = 128;
	d.kato = -1;
	d.io_timeout = 30;
	d.connect_timeout = 10;
	d.cntlid = NVMF_CNTLID_DYNAMIC;
	d.reconnect_delay = 10;
	d.ctrl_loss_tmo = 600;
	d.fast_io_fail_tmo = -1;
	memset(o, 0, size);
	memcpy(o, &d, size < sizeof(d) ? size : sizeof(d));
	o->size = (uint32_t)size;
	host_err_clear();
}

/* The key in the library's copy of the options: gone when the controller is
 * (through a volatile pointer, so the compiler keeps the stores). */
static void wipe(char *buf, size_t len)
{
	volatile char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = 0;
}

void host_opts_wipe(struct nvmf_opts *o)
{
	wipe(o->tls_key, sizeof(o->tls_key));
	wipe(o->dhchap_secret, sizeof(o->dhchap_secret));
	wipe(o->dhchap_ctrl_secret, sizeof(o->dhchap_ctrl_secret));
}

/* 0.5's struct ended with private_thread, rounded up to its alignment: a
 * member added since must lie past it (nvmf.h, struct nvmf_opts). */
#define OPTS_05_END (offsetof(struct nvmf_opts, private_thread) + sizeof(bool))
#define OPTS_05_SIZE ((OPTS_05_END + _Alignof(struct nvmf_opts) - 1) / \
		      _Alignof(struct nvmf_opts) * _Alignof(struct nvmf_opts))
_Static_assert(offsetof(struct nvmf_opts, discovery) >= OPTS_05_SIZE,
	       "nvmf_opts.discovery must lie past 0.5's struct, padding included");

int host_opts_import(struct nvmf_opts *dst, const struct nvmf_opts *src)
{
	size_t size = src->size;

	if (size < offsetof(struct nvmf_opts, reconnect_delay))
		return host_err(EINVAL, "struct nvmf_opts has size %zu: fill it with "
				"nvmf_opts_init() first", size);
	/* A newer program's members this library does not have: refused if
	 * set, rather than silently ignored (as Linux's copy_struct_from_user). */
	for (size_t i = sizeof(*dst); i < size; i++)
		if (((const unsigned char *)src)[i] != 0)
			return host_err(E2BIG, "struct nvmf_opts sets an option at byte %zu that "
					"this libnvmf (%s, %zu-byte options) does not have",
					i, nvmf_version(), sizeof(*dst));
	nvmf_opts_init_size(dst, sizeof(*dst));
	memcpy(dst, src, size < sizeof(*dst) ? size : sizeof(*dst));
	dst->size = sizeof(*dst);
	return 0;
}

/*
 * Digits only, by hand rather than strtoul: strtoul takes leading spaces,
 * a sign and (base 0) 0x, and getaddrinfo, which is what a trsvcid went to,
 * reads " 20463" as a port and wraps 85999 to 20463. Leading zeros are
 * decimal and dropped ("04420" is 4420), as the tools' -s takes them.
 */
int host_port_num(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	while (n > 1 && s[0] == '0') {
		s++;
		n--;
	}
	/* Six significant digits are 100000 or more: no need to read on. */
	if (n > 5)
		return -ERANGE;
	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v == 0 || v > 65535 ? -ERANGE : (int)v;
}
