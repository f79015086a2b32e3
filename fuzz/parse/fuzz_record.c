/*
 * nvmf-fuse's state records as nvmfctl reads them (tools/common/record.c,
 * tc_record_parse; nvmfctl list, disconnect, reconnect, connect -o json):
 * the input is the record file's text. A record that parses has its
 * target-derived strings escaped (printable ASCII only, record.h), its
 * state as list prints it, and its JSON form (connect/list -o json) is
 * built (json-c's own printing of it is left out: not ours, and half the
 * time).
 */
#include "parse_util.h"

#include "nvmfctl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_stdio();
	return 0;
}

static void printable(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tc_record r;
	char state[128];
	json_object *j;

	if (tc_record_parse((const char *)data, size, "/run/nvmf/nvmf0.json", &r) < 0)
		return 0;
	printable(r.state, sizeof(r.state));
	printable(r.transport, sizeof(r.transport));
	printable(r.address, sizeof(r.address));
	printable(r.port, sizeof(r.port));
	printable(r.subnqn, sizeof(r.subnqn));
	printable(r.hostnqn, sizeof(r.hostnqn));
	printable(r.uri, sizeof(r.uri));
	printable(r.last_error, sizeof(r.last_error));
	printable(r.tls, sizeof(r.tls));
	if (strnlen(r.name, sizeof(r.name)) == sizeof(r.name) ||
	    strnlen(r.mountpoint, sizeof(r.mountpoint)) == sizeof(r.mountpoint))
		abort();
	nc_record_state(&r, state, sizeof(state));
	r.alive = true;		/* as list shows a live nvmf-fuse's record */
	nc_record_state(&r, state, sizeof(state));
	j = nc_record_json(&r);
	if (!j)
		abort();
	json_object_put(j);
	tc_record_release(&r);
	return 0;
}
