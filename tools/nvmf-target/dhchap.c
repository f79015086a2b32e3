/*
 * nvmf-target: DH-HMAC-CHAP secrets and policy for the controller's
 * in-band authentication (src/controller/auth.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dhchap.h"
#ifdef NVMF_WITH_TLS
#include <stdint.h>

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "auth/auth_secret.h"
#endif

#define NO_OPENSSL "nvmf-target was built without OpenSSL"

int tgt_dhchap_parse(const char *text, struct ctl_secret *out, char *err, size_t errlen)
{
	ctl_secret_wipe(out);
#ifdef NVMF_WITH_TLS
	struct auth_secret s;
	int rc = auth_secret_parse(text, &s);

	if (rc != AUTH_OK) {
		/* auth_strerror() never quotes the key. */
		snprintf(err, errlen, "%s", auth_strerror(rc));
		auth_secret_wipe(&s);
		return -EINVAL;
	}
	out->hash = s.hash;
	out->len = (uint8_t)s.len;
	memcpy(out->key, s.key, s.len);
	auth_secret_wipe(&s);
	return 0;
#else
	(void)text;
	snprintf(err, errlen, NO_OPENSSL);
	return -ENOTSUP;
#endif
}

int tgt_dhchap_list(const char *list, bool groups, struct ctl_auth_policy *p, char *err,
		    size_t errlen)
{
#ifdef NVMF_WITH_TLS
	uint8_t ids[CTL_AUTH_NDH];
	size_t n = 0, max = groups ? CTL_AUTH_NDH : CTL_AUTH_NHASH;
	const char *s = list;

	if (!*list) {
		snprintf(err, errlen, "empty list");
		return -EINVAL;
	}
	while (*s) {
		char name[32];
		size_t len = strcspn(s, ",");
		int id;

		if (len == 0 || len >= sizeof(name)) {
			snprintf(err, errlen, len ? "'%.20s...' is not a %s" : "empty entry in '%.60s'",
				 len ? s : list, groups ? "DH group" : "hash");
			return -EINVAL;
		}
		memcpy(name, s, len);
		name[len] = 0;
		id = groups ? auth_dhgroup_from_name(name) : auth_hash_from_name(name);
		if (id < 0) {
			snprintf(err, errlen, groups ? "unknown DH group '%s' (null, ffdhe2048, ffdhe3072, "
				 "ffdhe4096, ffdhe6144, ffdhe8192)"
				 : "unknown hash '%s' (sha256, sha384, sha512)", name);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			if (ids[i] == id) {
				snprintf(err, errlen, "'%s' listed twice", name);
				return -EINVAL;
			}
		if (n >= max) {
			snprintf(err, errlen, "too many entries");
			return -EINVAL;
		}
		ids[n++] = (uint8_t)id;
		s += len;
		if (*s == ',' && !*++s) {
			snprintf(err, errlen, "empty entry at the end of '%.60s'", list);
			return -EINVAL;
		}
	}
	if (groups) {
		p->ndh = (uint8_t)n;
		memcpy(p->dh, ids, n);
	} else {
		p->nhash = (uint8_t)n;
		memcpy(p->hash, ids, n);
	}
	return 0;
#else
	(void)list;
	(void)groups;
	(void)p;
	snprintf(err, errlen, NO_OPENSSL);
	return -ENOTSUP;
#endif
}

bool tgt_dhchap_given(const struct tgt_dhchap *o)
{
	return o->secret || o->ctrl_secret || o->secret_file || o->ctrl_secret_file;
}

#ifdef NVMF_WITH_TLS
/* One key from a file: the file's only word (white space around it is
 * ignored). Warns if others may read the file. 0 or -1, message printed. */
static int read_key_file(const char *opt, const char *path, struct ctl_secret *out)
{
	char buf[512], err[160], *p, *e;
	struct stat st;
	size_t n;
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		fprintf(stderr, "nvmf-target: %s %s: %s\n", opt, path, strerror(errno));
		return -1;
	}
	/* Unbuffered: stdio's buffer would keep a copy of the key, and
	 * fclose() frees it unwiped. */
	setvbuf(f, NULL, _IONBF, 0);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	rc = ferror(f) ? -1 : 0;
	if (rc == 0 && fgetc(f) != EOF)
		rc = -2;	/* longer than any key */
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
		fprintf(stderr, "nvmf-target: warning: %s %s: the file holds a DH-HMAC-CHAP secret "
			"and is accessible to %s (mode %03o): chmod 600 it\n", opt, path,
			(st.st_mode & S_IRWXO) ? "every user" : "its group",
			(unsigned)(st.st_mode & 0777));
	fclose(f);
	buf[n] = 0;
	for (p = buf; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
		;
	for (e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
					  e[-1] == '\r'); e--)
		e[-1] = 0;
	if (rc == 0 && (!*p || strpbrk(p, " \t\r\n")))
		rc = -2;
	if (rc == 0)
		rc = tgt_dhchap_parse(p, out, err, sizeof(err));
	else
		snprintf(err, sizeof(err), rc == -1 ? "read error"
			 : "the file must hold exactly one DH-HMAC-CHAP secret");
	/* Not memset(): stores to a buffer never read again may be optimised away. */
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0) {
		fprintf(stderr, "nvmf-target: %s %s: %s\n", opt, path, err);
		return -1;
	}
	return 0;
}

/*
 * A key given on the command line: checked, with the warning. Parsed once,
 * so argv's copy is wiped then, as nvmfctl does (the strings are the
 * process's own): /proc/PID/cmdline shows it only until the target starts.
 */
static int cli_key(const char *opt, const char *text, struct ctl_secret *out)
{
	char err[160];
	int rc = tgt_dhchap_parse(text, out, err, sizeof(err));

	OPENSSL_cleanse((char *)(uintptr_t)text, strlen(text));
	if (rc < 0) {
		fprintf(stderr, "nvmf-target: %s: %s\n", opt, err);
		return -1;
	}
	fprintf(stderr, "nvmf-target: warning: %s: a secret on the command line is visible to "
		"other users of this machine (ps, /proc); prefer %s-file or the configuration "
		"file\n", opt, opt);
	return 0;
}
#endif

int tgt_dhchap_setup(const struct tgt_dhchap *o, struct ctl_subsys *s, const char *const *hosts,
		     unsigned nhosts)
{
	if (!tgt_dhchap_given(o))
		return 0;
#ifndef NVMF_WITH_TLS
	(void)s;
	(void)hosts;
	(void)nhosts;
	fprintf(stderr, "nvmf-target: %s: " NO_OPENSSL "\n",
		o->secret ? "--dhchap-secret" : o->secret_file ? "--dhchap-secret-file"
		: o->ctrl_secret ? "--dhchap-ctrl-secret" : "--dhchap-ctrl-secret-file");
	return -1;
#else
	struct ctl_secret host, ctrl;
	int rc = 0;

	if ((o->secret && o->secret_file) || (o->ctrl_secret && o->ctrl_secret_file)) {
		fprintf(stderr, "nvmf-target: give a secret either on the command line or in a "
			"file, not both\n");
		return -1;
	}
	if (!o->secret && !o->secret_file) {
		fprintf(stderr, "nvmf-target: --dhchap-ctrl-secret%s needs --dhchap-secret or "
			"--dhchap-secret-file: the controller proves itself only to a host that "
			"authenticates\n", o->ctrl_secret_file ? "-file" : "");
		return -1;
	}
	if (!s || nhosts == 0) {
		/* nvmet authenticates only the hosts of an allow-list. */
		fprintf(stderr, "nvmf-target: DH-HMAC-CHAP secrets need -H HOSTNQN (and BACKING "
			"namespaces): only hosts on an allow-list authenticate\n");
		return -1;
	}
	ctl_secret_wipe(&ctrl);
	if (o->secret)
		rc = cli_key("--dhchap-secret", o->secret, &host);
	else
		rc = read_key_file("--dhchap-secret-file", o->secret_file, &host);
	if (rc == 0 && o->ctrl_secret)
		rc = cli_key("--dhchap-ctrl-secret", o->ctrl_secret, &ctrl);
	else if (rc == 0 && o->ctrl_secret_file)
		rc = read_key_file("--dhchap-ctrl-secret-file", o->ctrl_secret_file, &ctrl);
	for (unsigned i = 0; rc == 0 && i < nhosts; i++)
		ctl_subsys_set_secrets(s, hosts[i], &host, ctrl.len ? &ctrl : NULL);
	ctl_secret_wipe(&host);
	ctl_secret_wipe(&ctrl);
	return rc;
#endif
}
