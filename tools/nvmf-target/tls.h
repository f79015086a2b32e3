/*
 * nvmf-target: TLS 1.3 with pre-shared keys on its listeners (see
 * nvmf-target.8, TLS).
 */
#ifndef NVMF_TARGET_TLS_H
#define NVMF_TARGET_TLS_H

#include <stdbool.h>

#include "config.h"
#include "transport/xport_ctrl.h"

struct tgt_tls {
	enum xp_tls_mode mode;		/* --tls */
	const char *key;		/* --tls-key: every host of the -n subsystem */
	const char *key_file;		/* --tls-key-file (nvme-cli's tls-key format) */
	bool     compat;		/* --tls-compat */
	const char *cli_subnqn;		/* the -n subsystem */
	const struct cfg *cfg;		/* per-host keys of the configuration file */
};

/* --tls MODE: "none", "allowed" or "required". 0 or -1 (message printed). */
int  tgt_tls_mode(struct tgt_tls *tt, const char *arg);
/* After option parsing: check the keys (never printing them), warn about a
 * key on the command line or a key file others can read, and set the
 * listener's options. 0 or -1 (message printed). */
int  tgt_tls_setup(struct tgt_tls *tt, struct xp_listen_opts *lo);

#endif /* NVMF_TARGET_TLS_H */
