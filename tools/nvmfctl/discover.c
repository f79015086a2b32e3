/*
 * nvmfctl discover and connect-all.
 *
 * discover prints a discovery controller's log page (NVMe Base 2.0,
 * 5.16.1.23) in nvme-cli's layout and field names; with no address it
 * reads /etc/nvme/discovery.conf as nvme-cli does: one line of discover
 * options per discovery controller, '#' starting a comment line.
 * connect-all discovers, then connects every NVM subsystem entry it can
 * honour (with TLS where the entry requires it), following referrals to
 * other discovery services (walk.c's nc_disc_walk, which serves
 * autoconnect too).
 */
#include "nvmfctl.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DISCOVERY_CONF   "/etc/nvme/discovery.conf"
#define MAX_CONF_ARGS    64

static const char discover_help[] =
	"Usage: nvmfctl discover -t tcp -a ADDR [-s PORT] [OPTIONS]\n"
	"       nvmfctl discover nvme+tcp://HOST[:PORT] [OPTIONS]\n"
	"       nvmfctl discover [OPTIONS]      (every controller of /etc/nvme/discovery.conf)\n"
	"Print the discovery log page of an NVMe/TCP discovery controller.\n\n"
	"  -t, --transport tcp        transport (only tcp)\n"
	"  -a, --traddr ADDR          discovery controller address (name, IPv4, IPv6)\n"
	"  -s, --trsvcid PORT         port (default 8009)\n"
	"  -n, --nqn NQN              discovery subsystem NQN (default the well-known one)\n"
	"  -q, --hostnqn NQN          host NQN (default: nvmfctl show-hostnqn)\n"
	"  -I, --hostid UUID          host ID\n"
	"  -k, --keep-alive-tmo S     keep-alive timeout in seconds\n"
	"  -g, --hdr-digest           ask for header digests\n"
	"  -G, --data-digest          ask for data digests\n"
	"  -o, --output-format FMT    normal, json or binary (the raw log page)\n"
	"  -r, --raw FILE             save the raw log page to FILE ('-': standard output,\n"
	"                             not a terminal)\n"
	"      --connect-timeout S    give up connecting after S seconds (default 10)\n"
	"  -c, -l, -F                 reconnect options: accepted (discovery.conf lines\n"
	"                             serve connect-all too), no effect on discover\n"
	"      --tls                  TLS 1.3 with a pre-shared key (see nvmfctl(8), TLS)\n"
	"      --tls-key KEY          configured PSK, NVMeTLSkey-1:...; implies --tls\n"
	"                             (visible to other users: prefer NVMF_TLS_KEY)\n"
	"      --tls-key-file FILE    key file (default /etc/nvme/tls-keys)\n"
	"      --tls-identity -1|0|1  PSK identity version (default 0; -1: either)\n"
	"      --tls-compat           derive the TLS PSK as nvme-cli 2.15 and older do\n"
	"  -S, --dhchap-secret KEY    DH-HMAC-CHAP host secret (DHHC-1:...; argv is public)\n"
	"  -C, --dhchap-ctrl-secret KEY  controller secret: bidirectional authentication\n"
	"      --dhchap-secret-file FILE, --dhchap-ctrl-secret-file FILE  the same from files\n"
	"                             (or NVMF_DHCHAP_SECRET, NVMF_DHCHAP_CTRL_SECRET)\n"
	"  -h, --help                 this text\n"
	"NVMF_TLS_KEY in the environment gives the key when --tls-key does not.\n";

static const char connect_all_help[] =
	"Usage: nvmfctl connect-all -t tcp -a ADDR [-s PORT] [OPTIONS]\n"
	"       nvmfctl connect-all nvme+tcp://HOST[:PORT] [OPTIONS]\n"
	"       nvmfctl connect-all [OPTIONS]   (every controller of /etc/nvme/discovery.conf)\n"
	"Discover, then connect every NVM subsystem of the discovery log (nvmf-fuse,\n"
	"one connection each), following referrals. An entry whose TREQ requires a\n"
	"secure channel is connected with TLS, one that offers TLS 1.3 (sectype tls13)\n"
	"with TLS if --tls or a key was given, one without TLS in plaintext.\n"
	"Entries that cannot be honoured (another transport, TLS 1.2 only) are skipped\n"
	"with a message; subsystems already connected are skipped unless -D.\n\n"
	"  -t, --transport tcp        transport (only tcp)\n"
	"  -a, --traddr ADDR          discovery controller address\n"
	"  -s, --trsvcid PORT         port (default 8009)\n"
	"  -n, --nqn NQN              discovery subsystem NQN (default the well-known one)\n"
	"  -q, --hostnqn NQN          host NQN\n"
	"  -I, --hostid UUID          host ID\n"
	"  -i, --nr-io-queues N       I/O queues per connection\n"
	"  -Q, --queue-size N         entries per I/O queue\n"
	"  -k, --keep-alive-tmo S     keep-alive timeout in seconds\n"
	"  -g, --hdr-digest           ask for header digests\n"
	"  -G, --data-digest          ask for data digests\n"
	"  -D, --duplicate-connect    connect even where a connection already exists\n"
	"      --read-only            read-only namespace files (a read-only mount)\n"
	"  -o, --output-format FMT    normal or json\n"
	"      --connect-timeout S    give up connecting after S seconds (default 10)\n"
	"      --io-timeout S         per-command timeout of the connections (default 30)\n"
	"  -c, --reconnect-delay S    seconds between reconnect attempts (default 10)\n"
	"  -l, --ctrl-loss-tmo S      give up reconnecting after S seconds (default 600;\n"
	"                             -1 never gives up, 0 never reconnects)\n"
	"  -F, --fast_io_fail_tmo S   fail held I/O S seconds into an outage (default -1: off)\n"
	"      --tls                  TLS 1.3 with a pre-shared key (see nvmfctl(8), TLS)\n"
	"      --tls-key KEY          configured PSK, NVMeTLSkey-1:...; implies --tls\n"
	"                             (visible to other users: prefer NVMF_TLS_KEY)\n"
	"      --tls-key-file FILE    key file (default /etc/nvme/tls-keys)\n"
	"      --tls-identity -1|0|1  PSK identity version (default 0; -1: either)\n"
	"      --tls-compat           derive the TLS PSK as nvme-cli 2.15 and older do\n"
	"  -S, --dhchap-secret KEY    DH-HMAC-CHAP host secret (DHHC-1:...; argv is public)\n"
	"  -C, --dhchap-ctrl-secret KEY  controller secret: bidirectional authentication\n"
	"      --dhchap-secret-file FILE, --dhchap-ctrl-secret-file FILE  the same from files\n"
	"                             (or NVMF_DHCHAP_SECRET, NVMF_DHCHAP_CTRL_SECRET)\n"
	"  -h, --help                 this text\n"
	"The TLS options apply to the discovery connections too (a referral's TREQ\n"
	"and TSAS decide its TLS as an entry's do); NVMF_TLS_KEY in the environment\n"
	"gives the key when --tls-key does not.\n";

/* ---- Field names, as nvme-cli prints them ---------------------------------------- */

const char *nc_trtype_str(uint8_t t)
{
	switch (t) {
	case 1: return "rdma";
	case 2: return "fc";
	case 3: return "tcp";
	case 254: return "loop";
	default: return "unrecognized";
	}
}

static const char *adrfam_str(uint8_t a)
{
	switch (a) {
	case 0: return "pci";
	case 1: return "ipv4";
	case 2: return "ipv6";
	case 3: return "infiniband";
	case 4: return "fibre-channel";
	case 254: return "loop";
	default: return "unrecognized";
	}
}

static const char *subtype_str(uint8_t s)
{
	switch (s) {
	case NVMF_DISC_SUBTYPE_REFERRAL: return "discovery subsystem referral";
	case NVMF_DISC_SUBTYPE_NVME: return "nvme subsystem";
	case NVMF_DISC_SUBTYPE_CURRENT: return "current discovery subsystem";
	default: return "unrecognized";
	}
}

/* TREQ: secure channel in bits 1:0, SQ flow control disable in bit 2. */
static const char *treq_str(uint8_t treq, char *buf, size_t len)
{
	static const char *const secure[] = { "not specified", "required", "not required",
					      "reserved" };

	snprintf(buf, len, "%s%s", secure[treq & NVMF_DISC_TREQ_SECURE_MASK],
		 (treq & NVMF_DISC_TREQ_SQFC_DISABLE_OK) ? ", sq flow control disable supported"
							 : "");
	return buf;
}

static const char *eflags_str(uint16_t e, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (e & NVMF_DISC_EFLAG_DUPRETINFO)
		o += (size_t)snprintf(buf + o, len - o, "%sduplicate returned information",
				      o ? ", " : "");
	if ((e & NVMF_DISC_EFLAG_EPCSD) && o < len)
		o += (size_t)snprintf(buf + o, len - o, "%sexplicit discovery connections",
				      o ? ", " : "");
	if ((e & NVMF_DISC_EFLAG_NCC) && o < len)
		o += (size_t)snprintf(buf + o, len - o, "%sno cdc connectivity", o ? ", " : "");
	if (o == 0)
		snprintf(buf, len, "none");
	return buf;
}

/* TSAS byte 0 for TCP (NVMe/TCP 1.0, 7.4.1). */
static const char *sectype_str(uint8_t s)
{
	switch (s) {
	case NVMF_DISC_SECTYPE_NONE: return "none";
	case NVMF_DISC_SECTYPE_TLS12: return "tls";
	case NVMF_DISC_SECTYPE_TLS13: return "tls13";
	default: return "unrecognized";
	}
}

/*
 * A record's strings are the target's bytes, not always NUL-padded ASCII:
 * printed escaped (tc_escape), in text and in JSON.
 */
void nc_disc_print(const struct nvmf_disc_list *log)
{
	char b1[96], b2[128], esc[TC_ESC_SIZE(NVMF_NQN_FIELD_LEN)];

	printf("\nDiscovery Log Number of Records %u, Generation counter %llu\n",
	       log->nr_entries, (unsigned long long)log->genctr);
	for (uint32_t i = 0; i < log->nr_entries; i++) {
		const struct nvmf_disc_rec *e = &log->entries[i];

		printf("=====Discovery Log Entry %u======\n", i);
		printf("trtype:  %s\n", nc_trtype_str(e->trtype));
		printf("adrfam:  %s\n", e->traddr[0] ? adrfam_str(e->adrfam) : "");
		printf("subtype: %s\n", subtype_str(e->subtype));
		printf("treq:    %s\n", treq_str(e->treq, b1, sizeof(b1)));
		printf("portid:  %u\n", e->portid);
		printf("trsvcid: %s\n", tc_escape(esc, sizeof(esc), e->trsvcid));
		printf("subnqn:  %s\n", tc_escape(esc, sizeof(esc), e->subnqn));
		printf("traddr:  %s\n", tc_escape(esc, sizeof(esc), e->traddr));
		printf("eflags:  %s\n", eflags_str(e->eflags, b2, sizeof(b2)));
		if (e->trtype == NVMF_DISC_TRTYPE_TCP)
			printf("sectype: %s\n", sectype_str(e->tsas[0]));
		printf("cntlid:  %u\n", e->cntlid);
		printf("asqsz:   %u\n", e->asqsz);
	}
}

json_object *nc_disc_json(const struct nvmf_disc_list *log)
{
	json_object *root = json_object_new_object(), *recs = json_object_new_array();
	char b1[96], b2[128];

	json_object_object_add(root, "genctr", nc_json_u64(log->genctr));
	json_object_object_add(root, "records", recs);
	for (uint32_t i = 0; i < log->nr_entries; i++) {
		const struct nvmf_disc_rec *e = &log->entries[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "trtype", json_object_new_string(nc_trtype_str(e->trtype)));
		json_object_object_add(o, "adrfam", json_object_new_string(adrfam_str(e->adrfam)));
		json_object_object_add(o, "subtype",
				       json_object_new_string(subtype_str(e->subtype)));
		json_object_object_add(o, "treq",
				       json_object_new_string(treq_str(e->treq, b1, sizeof(b1))));
		json_object_object_add(o, "portid", json_object_new_int(e->portid));
		json_object_object_add(o, "trsvcid", nc_json_str(e->trsvcid));
		json_object_object_add(o, "subnqn", nc_json_str(e->subnqn));
		json_object_object_add(o, "traddr", nc_json_str(e->traddr));
		json_object_object_add(o, "eflags",
				       json_object_new_string(eflags_str(e->eflags, b2,
									 sizeof(b2))));
		if (e->trtype == NVMF_DISC_TRTYPE_TCP)
			json_object_object_add(o, "sectype",
					       json_object_new_string(sectype_str(e->tsas[0])));
		json_object_object_add(o, "cntlid", json_object_new_int(e->cntlid));
		json_object_object_add(o, "asqsz", json_object_new_int(e->asqsz));
		json_object_array_add(recs, o);
	}
	return root;
}

/* The log page as the controller sent it (nvmf_disc_list_raw()), as
 * nvme-cli's --raw saves it: padding, reserved bytes and all. */
int nc_disc_raw(const struct nvmf_disc_list *log, uint8_t **out, size_t *len)
{
	const void *raw = nvmf_disc_list_raw(log, len);
	uint8_t *buf = raw ? malloc(*len) : NULL;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, raw, *len);
	*out = buf;
	return 0;
}

/*
 * --raw FILE: the log page as nvme-cli's --raw saves it (the bytes
 * received: header and entries), then "Discovery log is saved to FILE". "-" is
 * standard output, the bytes alone: nc_disc_run() refused it on a terminal.
 */
static int save_raw(const char *path, const struct nvmf_disc_list *log)
{
	uint8_t *buf;
	size_t len, off = 0;
	int fd, r = 0;

	if (nc_disc_raw(log, &buf, &len) < 0) {
		nc_err("out of memory");
		return NC_EXIT_FAIL;
	}
	if (!strcmp(path, "-")) {
		r = nc_write_binary(buf, len) < 0 ? NC_EXIT_FAIL : NC_EXIT_OK;
		free(buf);
		return r;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		nc_err("cannot open %s: %s", path, strerror(errno));
		free(buf);
		return NC_EXIT_FAIL;
	}
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? errno : EIO;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && !r)
		r = errno;
	free(buf);
	if (r) {
		nc_err("cannot write %s: %s", path, strerror(r));
		return NC_EXIT_FAIL;
	}
	printf("Discovery log is saved to %s\n", path);
	return NC_EXIT_OK;
}

/* ---- discover -------------------------------------------------------------------- */

/*
 * discovery.conf's controllers give one output, not one per line: the JSON
 * objects of the lines that ask for JSON go into one array, printed once
 * (concatenated objects are not a JSON document), and connect-all's counts
 * add up to one summary line. Set by from_conf() while it reads the file.
 */
static struct {
	bool active;
	json_object *json;		/* the per-controller objects */
	struct nc_walk_count total;	/* connect-all's text-mode counts */
	bool text;			/* a connect-all line wanted text */
} conf_out;

/* A controller's JSON object: printed, or collected with members naming the
 * controller (as list -o json names a connection's). */
static void json_out(json_object *o, const struct nc_target *t)
{
	if (!conf_out.active) {
		nc_json_print(o);
		return;
	}
	json_object_object_add(o, "traddr", nc_json_str(t->o.traddr));
	json_object_object_add(o, "trsvcid", nc_json_str(t->o.trsvcid));
	json_object_object_add(o, "subnqn", nc_json_str(t->o.subnqn[0] ? t->o.subnqn
								     : NVMF_DISCOVERY_NQN));
	json_object_array_add(conf_out.json, o);
}

/* The end of discovery.conf: one controller keeps its object as a command
 * line's would be (unnamed), more give the array. */
static void conf_out_flush(unsigned cmd, int controllers)
{
	size_t n = json_object_array_length(conf_out.json);

	if (controllers == 1 && n == 1) {
		json_object *o = json_object_get(json_object_array_get_idx(conf_out.json, 0));

		json_object_object_del(o, "traddr");
		json_object_object_del(o, "trsvcid");
		json_object_object_del(o, "subnqn");
		nc_json_print(o);
	} else if (n > 0) {
		nc_json_print(json_object_get(conf_out.json));
	}
	if (cmd == FAB_CONNECT_ALL && conf_out.text)
		printf("connect-all: %d connected, %d skipped, %d failed\n", conf_out.total.done,
		       conf_out.total.skipped, conf_out.total.failed);
	json_object_put(conf_out.json);
	memset(&conf_out, 0, sizeof(conf_out));
}

int nc_disc_fetch(const struct nc_target *t, struct nvmf_disc_list **log)
{
	char where[NVMF_TRADDR_BUFSZ + 16], what[NVMF_TRADDR_BUFSZ + 64];
	int r = nvmf_discover(&t->o, log);

	if (r < 0) {
		snprintf(what, sizeof(what), "cannot discover from %s",
			 nc_target_str(&t->o, where, sizeof(where)));
		return nc_connect_fail(what, r, &t->o);
	}
	return 0;
}

static int discover_one(struct nc_fab_args *a)
{
	struct nvmf_disc_list *log = NULL;
	int r = nc_disc_fetch(&a->c.t, &log);

	if (r)
		return r;
	if (a->raw) {
		r = save_raw(a->raw, log);
	} else if (a->c.fmt == NC_FMT_JSON) {
		json_out(nc_disc_json(log), &a->c.t);
	} else if (a->c.fmt == NC_FMT_BINARY) {
		uint8_t *buf;
		size_t len;

		if (nc_disc_raw(log, &buf, &len) < 0) {
			nc_err("out of memory");
			r = NC_EXIT_FAIL;
		} else {
			r = nc_write_binary(buf, len) < 0 ? NC_EXIT_FAIL : 0;
			free(buf);
		}
	} else {
		nc_disc_print(log);
	}
	nvmf_free(log);
	return r;
}

static const char *conf_path(void)
{
	const char *p = getenv("NVMF_DISCOVERY_CONF");

	return p && *p ? p : DISCOVERY_CONF;
}

/*
 * One line of discovery.conf: one discovery controller, its options parsed
 * like the command line's on top of base (host NQN, output format...).
 * line is cut into the words *a points to. 0 with *a ready (the target
 * finished), 1 for a blank or comment line, else the exit status after
 * printing why, or the help for a line with --help. The caller sets
 * nc_where, so that the message names the line.
 */
int nc_conf_line(char *line, const struct nc_fab_args *base, const char *help,
		 struct nc_fab_args *a)
{
	char *argv[MAX_CONF_ARGS + 2], *save = NULL, *tok;
	int argc = 1, r;

	tok = line + strspn(line, " \t");
	if (*tok == '#' || *tok == '\n' || *tok == '\0')
		return 1;
	argv[0] = (char *)nc_cmd;
	for (tok = strtok_r(line, " =\t\r\n", &save); tok && argc <= MAX_CONF_ARGS;
	     tok = strtok_r(NULL, " =\t\r\n", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (tok)
		return nc_usage_err("more than %d words on the line", MAX_CONF_ARGS);
	*a = *base;
	r = nc_fab_parse(argc, argv, a, help);
	if (r == 0 && !nc_given(&a->c.t, TC_CO_TRADDR) && !a->c.t.uri)
		r = nc_usage_err("no -a/--traddr");
	if (r == 0)
		r = nc_target_finish(&a->c.t, true);
	/* --help on a line printed the help: not a target, a failed line. */
	return r < 0 ? NC_EXIT_USAGE : r;
}

/*
 * One discovery controller per line (nc_conf_line); a bad line is
 * reported with its number and skipped.
 */
static int from_conf(const struct nc_fab_args *base, unsigned cmd, const char *help,
		     disc_fn fn)
{
	const char *path = conf_path();
	FILE *f = fopen(path, "r");
	char line[4096], where[4200];
	int lineno = 0, done = 0, failed = 0;

	if (!f) {
		if (errno == ENOENT)
			return nc_usage_err("no address given (-a/--traddr or a URI) and no %s",
					     path);
		nc_err("cannot read %s: %s", path, strerror(errno));
		return NC_EXIT_FAIL;
	}
	/* A line may carry a secret (-S, --tls-key): unbuffered, so that no
	 * copy stays in stdio's buffer, which fclose() frees unwiped. */
	setvbuf(f, NULL, _IONBF, 0);
	conf_out.active = true;
	conf_out.json = json_object_new_array();
	while (fgets(line, sizeof(line), f)) {
		struct nc_fab_args a;
		int r;

		lineno++;
		snprintf(where, sizeof(where), "%s line %d", path, lineno);
		nc_where = where;
		r = nc_conf_line(line, base, help, &a);
		nc_where = NULL;
		if (r == 0) {
			done++;
			if (fn(&a))
				failed++;
		} else if (r != 1) {
			failed++;
		}
		/* This line's copy of the secrets; and the line, which still
		 * holds one when it was refused before its key was taken (a
		 * shorter next line would not overwrite it all). */
		tc_conn_secrets_wipe(&a.c.t.o);
		tc_wipe(line, sizeof(line));
	}
	fclose(f);
	conf_out_flush(cmd, done);
	if (done == 0 && failed == 0)
		return nc_usage_err("no address given and %s names no discovery controller",
				     path);
	return failed ? NC_EXIT_FAIL : NC_EXIT_OK;
}

int nc_disc_run(int argc, char **argv, unsigned cmd, const char *help, disc_fn fn)
{
	struct nc_fab_args a;
	int r;

	nc_fab_init(&a, cmd);
	r = nc_fab_parse(argc, argv, &a, help);
	if (r)
		return r < 0 ? 0 : r;
	if (a.raw && a.have_fmt)
		return nc_usage_err("--raw and -o/--output-format exclude each other");
	/* Before connecting: binary bytes would garble the terminal. */
	if (a.raw && !strcmp(a.raw, "-") && isatty(STDOUT_FILENO))
		return nc_usage_err("-r/--raw -: standard output is a terminal and the raw log "
				    "page is binary: redirect it (> FILE) or give -r FILE");
	if (!nc_given(&a.c.t, TC_CO_TRADDR) && !a.c.t.uri) {
		if (nc_given(&a.c.t, TC_CO_TRSVCID) || nc_given(&a.c.t, TC_CO_NQN))
			return nc_usage_err("-s/--trsvcid and -n/--nqn need -a/--traddr");
		return from_conf(&a, cmd, help, fn);
	}
	r = nc_target_finish(&a.c.t, true);
	if (r)
		return r;
	return fn(&a);
}

int cmd_discover(int argc, char **argv)
{
	return nc_disc_run(argc, argv, FAB_DISCOVER, discover_help, discover_one);
}

/* ---- connect-all ------------------------------------------------------------------- */

/* connect-all's entry: an nvmf-fuse connection (-o json: into the array). */
static int connect_cb(void *user, const struct nc_conn_opts *c)
{
	bool dup = false;

	if (nc_connect_one(c, &dup, user))
		return -1;
	return dup ? 1 : 0;
}

static int connect_all_one(struct nc_fab_args *a)
{
	json_object *jout = a->c.fmt == NC_FMT_JSON ? json_object_new_array() : NULL;
	struct nc_walk_count n;

	nc_disc_walk(a, connect_cb, jout, &n);
	if (jout) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "connections", jout);
		json_object_object_add(o, "connected", json_object_new_int(n.done));
		json_object_object_add(o, "skipped", json_object_new_int(n.skipped));
		json_object_object_add(o, "failed", json_object_new_int(n.failed));
		json_out(o, &a->c.t);
	} else if (conf_out.active) {
		conf_out.text = true;
		conf_out.total.done += n.done;
		conf_out.total.skipped += n.skipped;
		conf_out.total.failed += n.failed;
	} else {
		printf("connect-all: %d connected, %d skipped, %d failed\n", n.done, n.skipped,
		       n.failed);
	}
	return n.failed ? NC_EXIT_FAIL : NC_EXIT_OK;
}

int cmd_connect_all(int argc, char **argv)
{
	return nc_disc_run(argc, argv, FAB_CONNECT_ALL, connect_all_help, connect_all_one);
}
