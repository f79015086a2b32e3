/*
 * nvmfctl's command lines (nvme-cli's options: -t -a -s -n -q -I -i -Q -k
 * -g -G -c -l -F -S -C, --tls..., tools/common/connopts.c through
 * tools/nvmfctl/opts.c and inspect.c). The input is the argument vector,
 * NUL-separated, after argv[0]; byte 0 picks the command:
 *   0 discover  1 connect  2 connect-all  (then the target is finished
 *   as the command does: URI or options, defaults, secrets)
 *   3 id-ctrl  4 id-ns  5 list-ns  6 get-log
 *   7 nvmf-fuse's command line (tools/nvmf-fuse/options.c: the same
 *     connection options without letters, FUSE's -o, the URI and mount
 *     point), when nvmf-fuse is built
 * The parsers reset getopt for each vector (tc_getopt_reset), so inputs
 * replay. What parses must leave NUL-terminated strings in nvmf_opts.
 *
 * --dhchap-secret-file and --dhchap-ctrl-secret-file read their file
 * while parsing: an input naming them (or an abbreviation getopt would
 * take for them) is skipped, since a path from the fuzzer could name a
 * FIFO or a terminal.
 */
#include "parse_util.h"

#include "nvmfctl.h"
#ifdef FUZZ_WITH_FUSE
#include "options.h"
#endif

static struct nc_fab_args fab_base[3];
static struct nc_inspect insp_base[4];
static struct nvmf_opts fuse_base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const unsigned fab[] = { FAB_DISCOVER, FAB_CONNECT, FAB_CONNECT_ALL };
	static const unsigned insp[] = { INSP_ID_CTRL, INSP_ID_NS, INSP_LIST_NS, INSP_GET_LOG };

	fuzz_quiet_stdio();
	/* nvmf_opts_init() reads /etc/nvme/hostnqn: once, here. */
	for (int i = 0; i < 3; i++)
		nc_fab_init(&fab_base[i], fab[i]);
	for (int i = 0; i < 4; i++)
		nc_inspect_init(&insp_base[i], insp[i]);
	nvmf_opts_init(&fuse_base);
	return 0;
}

/* Would getopt_long take arg for an option that reads a file? */
static bool reads_file(const char *arg)
{
	static const char *const files[] = { "dhchap-secret-file", "dhchap-ctrl-secret-file" };
	static const char *const exact[] = { "dhchap-secret", "dhchap-ctrl-secret" };
	size_t n;

	if (strncmp(arg, "--", 2) != 0)
		return false;
	arg += 2;
	n = strcspn(arg, "=");
	if (n == 0)
		return false;
	for (size_t i = 0; i < 2; i++)
		if (strlen(exact[i]) == n && !strncmp(arg, exact[i], n))
			return false;
	for (size_t i = 0; i < 2; i++)
		if (n <= strlen(files[i]) && !strncmp(arg, files[i], n))
			return true;
	return false;
}

static void check_opts(const struct nvmf_opts *o)
{
	if (strnlen(o->traddr, sizeof(o->traddr)) == sizeof(o->traddr) ||
	    strnlen(o->trsvcid, sizeof(o->trsvcid)) == sizeof(o->trsvcid) ||
	    strnlen(o->subnqn, sizeof(o->subnqn)) == sizeof(o->subnqn) ||
	    strnlen(o->hostnqn, sizeof(o->hostnqn)) == sizeof(o->hostnqn) ||
	    strnlen(o->tls_key, sizeof(o->tls_key)) == sizeof(o->tls_key) ||
	    strnlen(o->tls_key_file, sizeof(o->tls_key_file)) == sizeof(o->tls_key_file))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char prog[] = "nvmfctl";
	char *argv[FUZZ_MAX_ARGS + 1], *store;
	unsigned cmd;
	int argc;

	if (size < 1)
		return 0;
	cmd = data[0] % 8;
	argc = fuzz_argv(data + 1, size - 1, prog, argv, &store);
	for (int i = 1; i < argc; i++) {
		if (reads_file(argv[i])) {
			free(store);
			return 0;
		}
	}
	if (cmd < 3) {
		struct nc_fab_args a = fab_base[cmd];

		if (nc_fab_parse(argc, argv, &a, "help\n") == 0 &&
		    (nc_given(&a.c.t, TC_CO_TRADDR) || a.c.t.uri) &&
		    nc_target_finish(&a.c.t, cmd != 1) == 0)
			check_opts(&a.c.t.o);
	} else if (cmd < 7) {
		struct nc_inspect x = insp_base[cmd - 3];

		if (nc_inspect_parse(argc, argv, &x, "help\n") == 0)
			check_opts(&x.t.o);
	} else {
#ifdef FUZZ_WITH_FUSE
		static struct fo_config fc;
		char err[512];

		if (fo_parse_from(&fuse_base, argc, argv, &fc, err, sizeof(err)) >= 0) {
			check_opts(&fc.nv);
			if (strnlen(fc.name, sizeof(fc.name)) == sizeof(fc.name))
				abort();
			fo_release(&fc);
		} else if (!err[0]) {
			abort();	/* an error says why */
		}
#endif
	}
	free(store);
	return 0;
}
