/*
 * nvmf-target: TLS 1.3 with pre-shared keys (NVMe/TCP 1.0 as TP 8011 amends
 * it, 3.6.1.3). The transport runs the handshake and derives the TLS PSK
 * from the identity the host sends. It looks first in the key file
 * (--tls-key-file: TLS PSKs by identity, as nvme-cli writes them), then asks
 * here for the configured PSK (interchange form) of the host and subsystem
 * the identity names: the configuration file's `host NQN tls-key=KEY` line
 * of that subsystem, else --tls-key for any host of the command line's
 * subsystem (and of the discovery subsystem, so a host can discover over
 * TLS with the same key).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tls.h"
#ifdef NVMF_WITH_TLS
#include "tcp/tls_keyfile.h"
#include "tcp/tls_psk.h"
#endif

int tgt_tls_mode(struct tgt_tls *tt, const char *arg)
{
	if (strcmp(arg, "none") == 0)
		tt->mode = XP_TLS_NONE;
	else if (strcmp(arg, "allowed") == 0)
		tt->mode = XP_TLS_ALLOWED;
	else if (strcmp(arg, "required") == 0)
		tt->mode = XP_TLS_REQUIRED;
	else {
		fprintf(stderr, "nvmf-target: --tls %s: want none, allowed or required\n", arg);
		return -1;
	}
	return 0;
}

#ifdef NVMF_WITH_TLS
static int copy_key(const char *key, char *out, size_t len)
{
	if (strlen(key) >= len)
		return -ENOSPC;
	snprintf(out, len, "%s", key);
	return 0;
}

/* xp_tls_key_fn: the configured PSK for the identity's two NQNs. */
static int tgt_tls_key(void *arg, const char *hostnqn, const char *subnqn, char *key,
		       size_t keylen)
{
	const struct tgt_tls *tt = arg;
	const struct cfg *c = tt->cfg;
	for (unsigned i = 0; c && i < c->nsubsys; i++) {
		const struct cfg_subsys *s = &c->subsys[i];

		if (strcmp(s->nqn, subnqn) != 0)
			continue;
		for (unsigned h = 0; h < s->nhosts; h++)
			if (strcmp(s->hosts[h].nqn, hostnqn) == 0 && s->hosts[h].key[0])
				return copy_key(s->hosts[h].key, key, keylen);
	}
	if (tt->key && tt->cli_subnqn &&
	    (strcmp(subnqn, tt->cli_subnqn) == 0 || strcmp(subnqn, NVMF_DISCOVERY_NQN) == 0))
		return copy_key(tt->key, key, keylen);
	return -ENOENT;
}
#endif

int tgt_tls_setup(struct tgt_tls *tt, struct xp_listen_opts *lo)
{
	bool any_key = tt->key || tt->key_file || tt->compat;

	if (tt->mode == XP_TLS_NONE) {
		if (any_key) {
			fprintf(stderr, "nvmf-target: TLS keys given without --tls allowed|required\n");
			return -1;
		}
		return 0;
	}
#ifndef NVMF_WITH_TLS
	(void)lo;
	fprintf(stderr, "nvmf-target: --tls: nvmf-target was built without OpenSSL\n");
	return -1;
#else
	/*
	 * A host's key comes from --tls-key, --tls-key-file or a tls-key=
	 * line of the configuration file (nvmf-target(8), TLS): with none of
	 * them, --tls required turns every host away at its handshake. No
	 * configuration file: nothing can add a key later, so refuse. One
	 * without keys: a reload (SIGHUP) may add them; say why no host can
	 * connect meanwhile.
	 */
	if (tt->mode == XP_TLS_REQUIRED && !tt->key && !tt->key_file) {
		if (!tt->cfg || !tt->cfg->path[0]) {
			fprintf(stderr, "nvmf-target: --tls required: no TLS key, so no host could "
				"connect: give --tls-key KEY or --tls-key-file FILE (or -c with "
				"host tls-key= lines)\n");
			return -1;
		}
		if (!tt->cfg->has_keys)
			fprintf(stderr, "nvmf-target: warning: --tls required without --tls-key or "
				"--tls-key-file, and %s has no tls-key= host line: no host can "
				"connect until one is added (SIGHUP reloads it)\n", tt->cfg->path);
	}
	if (tt->key) {
		struct tcp_psk psk;
		int rc = tcp_psk_parse(tt->key, &psk);

		tcp_psk_wipe(&psk);
		if (rc != 0) {
			fprintf(stderr, "nvmf-target: --tls-key: %s\n", tcp_psk_strerror(rc));
			return -1;
		}
		fprintf(stderr, "nvmf-target: warning: --tls-key: a key on the command line is "
			"visible to other users of this machine (ps, /proc); prefer "
			"--tls-key-file or the configuration file\n");
	}
	if (tt->key_file) {
		struct tcp_keyfile *kf = tcp_keyfile_new();
		int rc = kf ? tcp_keyfile_load(kf, tt->key_file) : -ENOMEM;

		for (size_t i = 0; kf && i < tcp_keyfile_warning_count(kf); i++)
			fprintf(stderr, "nvmf-target: warning: %s\n", tcp_keyfile_warning(kf, i));
		if (rc != 0)
			fprintf(stderr, "nvmf-target: --tls-key-file: %s\n",
				kf ? tcp_keyfile_error(kf) : strerror(ENOMEM));
		tcp_keyfile_free(kf);
		if (rc != 0)
			return -1;
		lo->tp.tcp.tls_key_file = tt->key_file;
	}
	lo->tp.tcp.tls = tt->mode;
	lo->tp.tcp.tls_compat = tt->compat;
	lo->tp.tcp.tls_key = tgt_tls_key;
	lo->tp.tcp.tls_key_arg = tt;
	return 0;
#endif
}
