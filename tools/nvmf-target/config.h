/*
 * nvmf-target configuration file (see nvmf-target.8, CONFIGURATION FILE).
 */
#ifndef NVMF_TARGET_CONFIG_H
#define NVMF_TARGET_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "controller/ctl.h"

struct cfg_ns {
	uint32_t nsid;
	char     backing[256];
	uint32_t lba_shift;
	bool     ro;
	unsigned line;			/* of the file, for messages */
};

/* An allow-list entry: `host NQN [tls-key=KEY] [dhchap-secret=KEY
 * [dhchap-ctrl-secret=KEY]]`. */
struct cfg_host {
	char     nqn[CTL_NQN_MAX + 1];
	/* The host's configured TLS PSK, or "". */
	char     key[NVMF_TLS_KEY_BUFSZ];
	/* The DH-HMAC-CHAP secrets, parsed; len 0 when none. */
	struct ctl_secret secret;
	struct ctl_secret ctrl_secret;
};

struct cfg_subsys {
	char     nqn[CTL_NQN_MAX + 1];
	/* nhosts of up to CTL_MAX_HOSTS, malloc()ed (room for hosts_cap, the
	 * slots past nhosts zero), and nns namespaces of up to CTL_MAX_NS
	 * (room for ns_cap): fixed arrays of the maxima made every
	 * subsystem a quarter megabyte. */
	unsigned nhosts, hosts_cap;
	struct cfg_host *hosts;
	/* dhchap-hash / dhchap-dhgroup after `subsystem`: empty lists take
	 * the global ones. */
	struct ctl_auth_policy auth;
	unsigned nns, ns_cap;
	struct cfg_ns *ns;
};

struct cfg {
	unsigned nsubsys, subsys_cap;
	struct cfg_subsys *subsys;	/* array of nsubsys (room for subsys_cap) */
	bool     has_keys;		/* some host line has a TLS key */
	bool     has_secrets;		/* some host line has a DH-HMAC-CHAP secret */
	/* dhchap-hash / dhchap-dhgroup before any `subsystem`: the target's
	 * policy (empty lists: the defaults, ctl_auth_policy_default). */
	struct ctl_auth_policy auth;
	char     warning[320];		/* for the log: keys in a file others can read */
	char     path[256];		/* the file, for messages */
	unsigned line;			/* while parsing: the line */
};

/* Parses PATH (keys and secrets are checked, never echoed); default_shift is the block size of namespaces that do not
 * name one. Returns 0 or -errno with a "file:line: what" message. */
int  cfg_load(const char *path, uint32_t default_shift, struct cfg *out, char *msg, size_t msglen);
void cfg_free(struct cfg *c);
/* The same from the file's text (len bytes; name for messages): what
 * cfg_load() does after reading the file, without its mode check. */
int  cfg_parse(const char *name, const char *text, size_t len, uint32_t default_shift,
	       struct cfg *out, char *msg, size_t msglen);

/*
 * Makes the target's subsystems match the configuration: adds the new
 * ones, removes those no longer listed (only among the names in *prev,
 * the previous configuration), replaces allow-lists, attaches, detaches
 * or replaces namespaces, and notices resized backing files; sets the
 * DH-HMAC-CHAP secrets and policies (the global policy is the target's,
 * so it also covers the command line's subsystem). Returns 0; or -errno
 * with msg ("file:line: backing: why") when a namespace cannot be opened,
 * and then nothing was changed; or 1 with msg when a subsystem could not
 * be added (out of memory), and then the rest was applied.
 */
/* Whether c has a subsystem of this NQN. */
bool cfg_has_subsys(const struct cfg *c, const char *nqn);

int  cfg_apply(struct ctl_target *t, const struct cfg *prev, const struct cfg *next,
	       char *msg, size_t msglen);

/*
 * A file or device whose size is not a multiple of the namespace's block
 * size is served whole blocks only (ctl_ns_open() rounds down, as losetup
 * does): the bytes past the last block are out of the host's reach. Logs
 * a warning naming the backing (where: "" or "file:line: "), its size and
 * those bytes; nothing for ram: or a whole number of blocks.
 */
void cfg_warn_tail(struct ctl_target *t, const struct ctl_ns *ns, const char *where);

#endif /* NVMF_TARGET_CONFIG_H */
