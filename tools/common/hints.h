/*
 * Shared by the tools (nvmfctl, nvmf-fuse): one line for a failed library
 * call, saying what happened and what to check, so both tools give the
 * same hints for the same failure.
 */
#ifndef NVMF_TOOLS_HINTS_H
#define NVMF_TOOLS_HINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nvmf/nvmf.h>

/*
 * nvmf_status_str(), with Connect's own name of a Fabrics command specific
 * status (NVMe over Fabrics 1.1, Figure 21) when connect is true.
 */
const char *tc_status_name(uint16_t status, bool connect);

/*
 * "KIND; HINT [TEXT]" (or "KIND [TEXT]" when there is nothing to check)
 * into out: e is the errno (0 if unknown), st the NVMe status (0 if none),
 * text the library's message (made one line). connecting: Fabrics status
 * codes are Connect's. letters: name options as nvmfctl does ("-q/
 * --hostnqn", the target by -a/-s/-n or a URI); else as nvmf-fuse does
 * ("--hostnqn", the target by its URI). o, if not NULL, is the target that
 * failed: when it has no subsystem of that NQN at that port, its discovery
 * log is read (a short extra connection) to say where the NQN is served.
 * Returns out.
 */
char *tc_fail_line(char *out, size_t len, int e, uint16_t st, const char *text,
		   bool connecting, bool letters, const struct nvmf_opts *o);

/*
 * "URI 'URI': what" for a message of nvmf_uri_parse() or nvmf_opts_set_uri()
 * ("URI port is empty" gives "URI '...': port is empty"): the URI once,
 * whole, or cut with "..." past 300 bytes. Returns out.
 */
char *tc_uri_error(char *out, size_t len, const char *uri, const char *msg);

#endif
