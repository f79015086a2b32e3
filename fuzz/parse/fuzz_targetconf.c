/*
 * nvmf-target's configuration file (tools/nvmf-target/config.c,
 * cfg_parse: what cfg_load() does once it has read the file; nvmf-target.8,
 * CONFIGURATION FILE): subsystem, host with tls-key= and dhchap-secret=,
 * namespace, dhchap-hash, dhchap-dhgroup. The input is the file. What
 * parses must hold only what the target can apply: valid, unique NQNs,
 * NSIDs in range and unique per subsystem, hosts within the limit, each
 * host's TLS key and secrets as they were checked.
 */
#include "parse_util.h"

#include "config.h"
#include "tcp/tls_psk.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void check(const struct cfg *c)
{
	for (unsigned i = 0; i < c->nsubsys; i++) {
		const struct cfg_subsys *s = &c->subsys[i];

		if (!ctl_nqn_valid(s->nqn) || s->nhosts > CTL_MAX_HOSTS || s->nns > CTL_MAX_NS)
			abort();
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(c->subsys[j].nqn, s->nqn))
				abort();
		for (unsigned h = 0; h < s->nhosts; h++) {
			const struct cfg_host *ho = &s->hosts[h];
			struct tcp_psk psk;

			if (!ctl_nqn_valid(ho->nqn) || (ho->ctrl_secret.len && !ho->secret.len))
				abort();
			/* What was checked is what is kept: the array grows
			 * by copies. */
			if (ho->key[0] && tcp_psk_parse(ho->key, &psk) != TCP_PSK_OK)
				abort();
			if ((ho->secret.len && ho->secret.len != 32 && ho->secret.len != 48 &&
			     ho->secret.len != 64) || ho->secret.len > CTL_SECRET_MAX)
				abort();
		}
		for (unsigned n = 0; n < s->nns; n++) {
			if (s->ns[n].nsid == 0 || s->ns[n].nsid > CTL_MAX_NS || !s->ns[n].backing[0] ||
			    (s->ns[n].lba_shift != 9 && s->ns[n].lba_shift != 12))
				abort();
			for (unsigned m = 0; m < n; m++)
				if (s->ns[m].nsid == s->ns[n].nsid)
					abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg c;
	char msg[512];

	if (cfg_parse("nvmf-target.conf", (const char *)data, size, 9, &c, msg, sizeof(msg)) == 0) {
		check(&c);
		cfg_free(&c);
	} else if (!msg[0] || c.subsys) {
		abort();	/* an error says why, and frees what was parsed */
	}
	return 0;
}
