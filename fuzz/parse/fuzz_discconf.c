/*
 * /etc/nvme/discovery.conf as nvmfctl discover and connect-all read it
 * (tools/nvmfctl/discover.c, nc_conf_line): one discovery controller per
 * line, nvme-cli's options, '#' comments. The input is the file; it is
 * cut into lines as fgets() into the command's 4096-byte buffer cuts it,
 * and each line is parsed on top of the command line's options (byte 0:
 * discover or connect-all). Each target that parses must be complete.
 * Lines are independent (each starts from the command line's options): the
 * first 16 of an input are read, so that inputs stay short and many.
 */
#include "parse_util.h"

#include "nvmfctl.h"

static struct nc_fab_args base[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_stdio();
	/* nvmf_opts_init() reads /etc/nvme/hostnqn: once, here. */
	nc_fab_init(&base[0], FAB_DISCOVER);
	nc_fab_init(&base[1], FAB_CONNECT_ALL);
	nc_cmd = "discover";
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[4096];
	const struct nc_fab_args *b;
	size_t pos = 1;
	int lines = 0;

	if (size < 1)
		return 0;
	b = &base[data[0] & 1];
	while (pos < size && lines++ < 16) {
		struct nc_fab_args a;
		size_t n = 0;

		/* fgets: up to and including '\n', at most sizeof(line) - 1. */
		while (pos + n < size && n < sizeof(line) - 1) {
			line[n] = (char)data[pos + n];
			if (data[pos + n++] == '\n')
				break;
		}
		line[n] = 0;
		pos += n;
		if (nc_conf_line(line, b, "help\n", &a) == 0 &&
		    (!a.c.t.o.traddr[0] || !a.c.t.o.trsvcid[0] ||
		     strnlen(a.c.t.o.subnqn, sizeof(a.c.t.o.subnqn)) == sizeof(a.c.t.o.subnqn)))
			abort();
	}
	return 0;
}
