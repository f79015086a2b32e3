/*
 * nvme+tcp URIs (src/host/uri.c): the parser alone, then into a struct
 * nvmf_opts, whose strings must come back NUL-terminated and in bounds.
 */
#include "fuzz.h"

#include <nvmf/nvmf.h>

/* nvmf_opts_init() reads /etc/nvme/hostnqn and hostid: once, not per input. */
static struct nvmf_opts base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	nvmf_opts_init(&base);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvmf_uri u;
	struct nvmf_opts o = base;
	char *s = fuzz_cstring(data, size);

	if (!s)
		return 0;
	if (nvmf_uri_parse(s, &u) == 0) {
		/* Parsed fields are C strings within their arrays. */
		if (strnlen(u.host, sizeof(u.host)) == sizeof(u.host) ||
		    strnlen(u.port, sizeof(u.port)) == sizeof(u.port) ||
		    strnlen(u.subnqn, sizeof(u.subnqn)) == sizeof(u.subnqn))
			abort();
	}
	if (nvmf_opts_set_uri(&o, s) == 0) {
		if (strnlen(o.traddr, sizeof(o.traddr)) == sizeof(o.traddr) ||
		    strnlen(o.subnqn, sizeof(o.subnqn)) == sizeof(o.subnqn))
			abort();
	}
	free(s);
	return 0;
}
