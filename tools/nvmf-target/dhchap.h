/*
 * nvmf-target: DH-HMAC-CHAP secrets and policy (see nvmf-target.8,
 * AUTHENTICATION). Secrets are read from the configuration file, the
 * command line or a file holding one key, checked with src/auth (format,
 * length, CRC) and handed to the controller; no message ever contains one.
 * Built without OpenSSL, every entry point fails with "built without
 * OpenSSL".
 */
#ifndef NVMF_TARGET_DHCHAP_H
#define NVMF_TARGET_DHCHAP_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/ctl.h"

/* Parse "DHHC-1:hh:...:" into out. 0, or -EINVAL / -ENOTSUP with a message
 * in err that names no key material. */
int  tgt_dhchap_parse(const char *text, struct ctl_secret *out, char *err, size_t errlen);

/*
 * A policy directive's list, "sha256,sha512" (hashes: sha256, sha384,
 * sha512, also as hmac(sha256) or SHA-256) or "null,ffdhe2048" (groups:
 * null, ffdhe2048 ... ffdhe8192), in order of preference, into p's hash or
 * dh list. 0, or -EINVAL with err naming the bad entry.
 */
int  tgt_dhchap_list(const char *list, bool groups, struct ctl_auth_policy *p, char *err,
		     size_t errlen);

/* Command-line options for the -H hosts of the -n subsystem. */
struct tgt_dhchap {
	const char *secret;		/* --dhchap-secret */
	const char *ctrl_secret;	/* --dhchap-ctrl-secret */
	const char *secret_file;	/* --dhchap-secret-file */
	const char *ctrl_secret_file;	/* --dhchap-ctrl-secret-file */
};

/* Whether any of the options was given. */
bool tgt_dhchap_given(const struct tgt_dhchap *o);

/*
 * Check the options (warning about a key on the command line or a key file
 * others can read) and give each of the nhosts hosts of s its secrets.
 * 0, or -1 with a message printed.
 */
int  tgt_dhchap_setup(const struct tgt_dhchap *o, struct ctl_subsys *s, const char *const *hosts,
		      unsigned nhosts);

#endif /* NVMF_TARGET_DHCHAP_H */
