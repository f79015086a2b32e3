/*
 * nvmf-target: a userland NVMe/TCP target.
 *
 *   nvmf-target [-a ADDR] [-p PORT] [-P DISCOVERY_PORT] [-n SUBNQN]
 *               [-H HOSTNQN]... [-b 512|4096] [-r] [-c CONFIG]
 *               [--pidfile FILE] [TLS and DH-HMAC-CHAP options] [-v] BACKING...
 *
 * Foreground, logs on stderr. Once listening it prints exactly one line,
 * "listening on ADDR:PORT (discovery ADDR:PORT)", on stdout, and tells a
 * service manager READY=1 (systemd's Type=notify; tools/common/sdnotify.h).
 * SIGTERM (and SIGINT) drain in-flight I/O (STOPPING=1) and exit 0; SIGHUP
 * reloads the config file.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "proctitle.h"
#include "sdnotify.h"
#include "dhchap.h"
#include "tls.h"
#include "controller/ctl.h"
#include "tcp/pdu.h"
#include "transport/xport_ctrl.h"

#define DRAIN_TIMEOUT_MS 10000

#ifndef NVMF_TARGET_VERSION
#define NVMF_TARGET_VERSION "0.0.0"
#endif

struct daemon {
	uv_loop_t *loop;
	struct ctl_target target;
	struct xp_listener *srv;
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t drain_timer;
	const char *config_path;
	struct cfg cfg;
	uint32_t lba_shift;
	const char *pidfile;
	struct tgt_tls tls;
	struct tgt_dhchap dhchap;
	int exit_code;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmf-target [-a ADDR] [-p PORT] [-P DISCOVERY_PORT] [-n SUBNQN]\n"
		"                   [-H HOSTNQN]... [-b 512|4096] [-r] [-c CONFIG]\n"
		"                   [--pidfile FILE] [--max-connections N] [--max-controllers N]\n"
		"                   [--cpda N] [--icd BYTES] [--no-c2h-success]\n"
		"                   [--tls none|allowed|required]\n"
		"                   [--tls-key KEY] [--tls-key-file FILE] [--tls-compat]\n"
		"                   [--dhchap-secret KEY | --dhchap-secret-file FILE]\n"
		"                   [--dhchap-ctrl-secret KEY | --dhchap-ctrl-secret-file FILE]\n"
		"                   [-v] BACKING...\n"
		"       nvmf-target --version\n"
		"  -a ADDR          listen address (default 127.0.0.1)\n"
		"  -p PORT          I/O port (default 4420; 0 = any free port)\n"
		"  -P PORT          discovery port (default 8009; 0 = I/O port only)\n"
		"  -n SUBNQN        subsystem NQN of the BACKING namespaces\n"
		"                   (default: a uuid NQN derived from the machine id)\n"
		"  -H HOSTNQN       allow this host (repeatable; default: any host)\n"
		"  -b 512|4096      logical block size (default 512)\n"
		"  -r               read-only namespaces\n"
		"  -c CONFIG        configuration file (more subsystems; reread on SIGHUP)\n"
		"  --pidfile FILE   write the process id once listening\n"
		"  --cpda N         controller PDU data alignment, 0..31 (default 0)\n"
		"  --no-c2h-success never use the C2HData SUCCESS flag\n"
		"  --icd BYTES      in-capsule data of I/O commands, 0..262144 in steps of 16\n"
		"                   (default 131072; larger writes are solicited with R2T)\n"
		"  --max-connections N  connections served at once, 1..65536 (default 256;\n"
		"                   the open-file limit is raised to match)\n"
		"  --max-controllers N  controllers at once, 1..65535 (default 512)\n"
		"  --tls MODE       none (default), allowed (TLS or plaintext) or required\n"
		"  --tls-key KEY    TLS PSK (NVMeTLSkey-1:...) of every host of -n\n"
		"  --tls-key-file F TLS PSKs per host and subsystem (nvme-cli's tls-key format)\n"
		"  --tls-compat     derive TLS PSKs as nvme-cli before 2.16 does\n"
		"  --dhchap-secret KEY, --dhchap-secret-file FILE\n"
		"                   every -H host authenticates with DH-HMAC-CHAP (DHHC-1:...)\n"
		"  --dhchap-ctrl-secret KEY, --dhchap-ctrl-secret-file FILE\n"
		"                   the controller's secret, for bidirectional authentication\n"
		"  -v               more log output (repeatable)\n"
		"  -V, --version    print the version and exit\n"
		"BACKING: a regular file, a block device or ram:SIZE (K, M, G, T suffixes);\n"
		"each becomes the next namespace (nsid 1, 2, ...).\n");
}

/* A stable uuid NQN for this machine: the machine id hashed with a salt
 * so that it differs from the host NQN other tools derive from it. */
static void default_nqn(char *out, size_t len)
{
	char id[128] = "";
	FILE *f = fopen("/etc/machine-id", "r");
	uint64_t h1 = 1469598103934665603ull, h2 = 0x9e3779b97f4a7c15ull;

	if (!f)
		f = fopen("/var/lib/dbus/machine-id", "r");
	if (f) {
		if (!fgets(id, sizeof(id), f))
			id[0] = 0;
		fclose(f);
	}
	if (!id[0])
		gethostname(id, sizeof(id) - 1);
	for (const char *p = "nvmf-target:"; *p; p++)
		h1 = (h1 ^ (unsigned char)*p) * 1099511628211ull;
	for (const char *p = id; *p && *p != '\n'; p++) {
		h1 = (h1 ^ (unsigned char)*p) * 1099511628211ull;
		h2 = (h2 ^ (unsigned char)*p) * 0x100000001b3ull + 7;
	}
	/* Version 4-style bits so the uuid is well formed. */
	snprintf(out, len,
		 "nqn.2014-08.org.nvmexpress:uuid:%08x-%04x-4%03x-%04x-%012llx",
		 (unsigned)(h1 >> 32), (unsigned)(h1 >> 16) & 0xFFFF, (unsigned)h1 & 0xFFF,
		 (unsigned)((h2 >> 48) & 0x3FFF) | 0x8000,
		 (unsigned long long)(h2 & 0xFFFFFFFFFFFFull));
}

/* A failure to notify is logged, never fatal: the target serves either way. */
static void notify(const char *state)
{
	char msg[320];
	int r = tc_sd_notify(state);

	if (r < 0)
		fprintf(stderr, "nvmf-target: warning: %s\n",
			tc_sd_notify_strerror(r, msg, sizeof(msg)));
}

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void drained(struct xp_listener *l, void *arg)
{
	struct daemon *d = (struct daemon *)((char *)arg - offsetof(struct daemon, target));

	(void)l;
	ctl_log(&d->target, NVMF_LOG_WARN, "drained, exiting");
	uv_stop(d->loop);
}

static void drain_timeout(uv_timer_t *t)
{
	struct daemon *d = t->data;

	ctl_log(&d->target, NVMF_LOG_WARN, "drain timed out after %d ms, closing connections",
		DRAIN_TIMEOUT_MS);
	xp_listener_close(d->srv);
	d->srv = NULL;
	uv_stop(d->loop);
}

static void on_term(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;

	if (d->srv == NULL || d->srv->draining)
		return;
	ctl_log(&d->target, NVMF_LOG_WARN, "%s: draining in-flight I/O", signum == SIGINT ? "SIGINT" : "SIGTERM");
	notify("STOPPING=1");
	uv_timer_start(&d->drain_timer, drain_timeout, DRAIN_TIMEOUT_MS, 0);
	xp_listener_drain(d->srv, drained);
}

static void on_hup(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;
	struct cfg next;
	char msg[256];
	int rc;

	/* Backing files and devices may have been resized. */
	for (struct ctl_subsys *ss = d->target.subsys; ss; ss = ss->next)
		for (uint32_t id = 1; id <= CTL_MAX_NS; id++)
			if (ss->ns[id])
				ctl_subsys_ns_changed(ss, id);
	if (!d->config_path) {
		ctl_log(&d->target, NVMF_LOG_WARN, "SIGHUP: sizes rechecked; no config file (-c) to reload");
		return;
	}
	if (cfg_load(d->config_path, d->lba_shift, &next, msg, sizeof(msg)) < 0) {
		ctl_log(&d->target, NVMF_LOG_WARN, "SIGHUP: %s; keeping the current configuration", msg);
		return;
	}
	if (cfg_has_subsys(&next, d->tls.cli_subnqn)) {
		ctl_log(&d->target, NVMF_LOG_WARN, "SIGHUP: %s: subsystem %s is the command line's "
			"(-n); keeping the current configuration", d->config_path, d->tls.cli_subnqn);
		cfg_free(&next);
		return;
	}
	rc = cfg_apply(&d->target, &d->cfg, &next, msg, sizeof(msg));
	if (rc > 0) {
		ctl_log(&d->target, NVMF_LOG_WARN, "SIGHUP: %s; configuration partly applied", msg);
	} else if (rc < 0) {
		/* Nothing of it was applied (cfg_apply). */
		ctl_log(&d->target, NVMF_LOG_WARN, "SIGHUP: %s; keeping the current configuration",
			msg);
		cfg_free(&next);
		return;
	} else {
		ctl_log(&d->target, NVMF_LOG_WARN, "SIGHUP: configuration reloaded from %s", d->config_path);
	}
	cfg_free(&d->cfg);
	d->cfg = next;
	if (d->cfg.warning[0])
		ctl_log(&d->target, NVMF_LOG_WARN, "SIGHUP: warning: %s", d->cfg.warning);
}

static bool is_loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0;
}

/*
 * Each connection is a socket: with more connections than the soft limit
 * of open files allows, accept fails and hosts are turned away with no
 * word why. Raise it to what max_conns needs (plus files, pipes and the
 * loop's own descriptors), as far as the hard limit lets, and say so when
 * that is not enough.
 */
static void raise_nofile(unsigned max_conns)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_conns + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		fprintf(stderr, "nvmf-target: warning: the open-file limit (%llu) is below "
			"--max-connections %u plus 64: connections past it fail to be accepted\n",
			(unsigned long long)rl.rlim_cur, max_conns);
}

/*
 * A decimal number in [lo, hi], digits only: strtol() alone would take
 * " 4601", "+5" or "-0", and a port or count typed so is a typo to point
 * out, not a value to guess at.
 */
static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

/* An option's value as messages show it: as it is (the style of every
 * message here), but quoted when empty or holding a blank or control
 * character, which would be invisible. For one message at a time. */
static const char *shown(const char *v)
{
	static char buf[260];
	bool plain = v[0] != '\0';

	for (const char *p = v; *p && plain; p++)
		plain = !isspace((unsigned char)*p) && !iscntrl((unsigned char)*p);
	if (plain)
		return v;
	snprintf(buf, sizeof(buf), "'%.250s'", v);
	return buf;
}

/* -a: what xp_listen() will take (uv_ip4_addr / uv_ip6_addr, a scope
 * "%if" included), checked now so that a typo is a usage error naming
 * the option, not a failure to listen. */
static bool valid_addr(const char *a)
{
	struct sockaddr_storage ss;

	if (strchr(a, ':'))
		return uv_ip6_addr(a, 0, (struct sockaddr_in6 *)&ss) == 0;
	return a[0] && uv_ip4_addr(a, 0, (struct sockaddr_in *)&ss) == 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "pidfile", required_argument, NULL, 1 },
		{ "cpda", required_argument, NULL, 2 },
		{ "no-c2h-success", no_argument, NULL, 3 },
		{ "tls", required_argument, NULL, 4 },
		{ "tls-key", required_argument, NULL, 5 },
		{ "tls-key-file", required_argument, NULL, 6 },
		{ "tls-compat", no_argument, NULL, 7 },
		{ "dhchap-secret", required_argument, NULL, 8 },
		{ "dhchap-ctrl-secret", required_argument, NULL, 9 },
		{ "dhchap-secret-file", required_argument, NULL, 10 },
		{ "dhchap-ctrl-secret-file", required_argument, NULL, 11 },
		{ "max-connections", required_argument, NULL, 12 },
		{ "max-controllers", required_argument, NULL, 13 },
		{ "icd", required_argument, NULL, 14 },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct daemon dd;
	struct daemon *d = &dd;
	const char *addr = "127.0.0.1", *subnqn = NULL, *hosts[CTL_MAX_HOSTS];
	long port = NVMF_TCP_IO_PORT, dport = NVMF_TCP_DISC_PORT, v;
	unsigned nhosts = 0;
	bool ro = false, c2h_success = true;
	int verbose = 0, opt, rport = 0, rdport = 0, cpda = 0;
	unsigned max_conns = 256, max_ctrls = 0;
	long icd = -1;
	struct xp_listen_opts lo;
	char nqn[CTL_NQN_MAX + 1], msg[512];
	struct ctl_subsys *s = NULL;
	bool any_host;

	d->lba_shift = 9;
	while ((opt = getopt_long(argc, argv, "a:p:P:n:H:b:rc:vhV", lopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			if (!valid_addr(optarg)) {
				fprintf(stderr, "nvmf-target: -a %s: not an IPv4 or IPv6 address\n",
					shown(optarg));
				return 2;
			}
			addr = optarg;
			break;
		case 'p':
		case 'P':
			v = parse_int(optarg, 0, 65535, opt == 'p' ? &port : &dport);
			if (v < 0) {
				fprintf(stderr, "nvmf-target: -%c %s: want a port 0..65535%s\n", opt,
					shown(optarg), v == -EINVAL ? ", in digits only (no sign "
					"or blanks)" : "");
				return 2;
			}
			break;
		case 'n': subnqn = optarg; break;
		case 'H':
			if (nhosts >= CTL_MAX_HOSTS || !ctl_nqn_valid(optarg)) {
				fprintf(stderr, "nvmf-target: -H %s: %s\n", shown(optarg),
					nhosts >= CTL_MAX_HOSTS ? "too many hosts" :
					"not a valid NQN (\"nqn.\" and a name, at most 223 characters, no spaces)");
				return 2;
			}
			hosts[nhosts++] = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "512") == 0) {
				d->lba_shift = 9;
			} else if (strcmp(optarg, "4096") == 0) {
				d->lba_shift = 12;
			} else {
				fprintf(stderr, "nvmf-target: -b %s: block size must be 512 or 4096\n",
					shown(optarg));
				return 2;
			}
			break;
		case 'r': ro = true; break;
		case 'c':
			if (!optarg[0]) {
				fprintf(stderr, "nvmf-target: -c '': no configuration file named\n");
				return 2;
			}
			d->config_path = optarg;
			break;
		case 'v': verbose++; break;
		case 1: d->pidfile = optarg; break;
		case 2:
			if (parse_int(optarg, 0, NVMF_TCP_PDA_MAX, &v) < 0) {
				fprintf(stderr, "nvmf-target: --cpda %s: want 0..31\n", shown(optarg));
				return 2;
			}
			cpda = (int)v;
			break;
		case 3: c2h_success = false; break;
		case 4:
			if (tgt_tls_mode(&d->tls, optarg) < 0)
				return 2;
			break;
		case 5: d->tls.key = optarg; break;
		case 6: d->tls.key_file = optarg; break;
		case 7: d->tls.compat = true; break;
		case 8: d->dhchap.secret = optarg; break;
		case 9: d->dhchap.ctrl_secret = optarg; break;
		case 10: d->dhchap.secret_file = optarg; break;
		case 11: d->dhchap.ctrl_secret_file = optarg; break;
		case 12:
			if (parse_int(optarg, 1, 65536, &v) < 0) {
				fprintf(stderr, "nvmf-target: --max-connections %s: want 1..65536\n",
					shown(optarg));
				return 2;
			}
			max_conns = (unsigned)v;
			break;
		case 13:
			if (parse_int(optarg, 1, 65535, &v) < 0) {
				fprintf(stderr, "nvmf-target: --max-controllers %s: want 1..65535\n",
					shown(optarg));
				return 2;
			}
			max_ctrls = (unsigned)v;
			break;
		case 14:
			/* IOCCSZ counts 16-byte units (Base 2.0, Identify Controller);
			 * at most one command's MDTS (256 KiB). */
			if (parse_int(optarg, 0, 262144, &icd) < 0 || icd % 16) {
				fprintf(stderr, "nvmf-target: --icd %s: want 0..262144, a multiple of 16\n",
					shown(optarg));
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("nvmf-target %s\n", NVMF_TARGET_VERSION);
			return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc && !d->config_path) {
		fprintf(stderr, "nvmf-target: no BACKING and no -c CONFIG: nothing to export\n");
		usage(stderr);
		return 2;
	}
	if (!getenv("UV_THREADPOOL_SIZE"))
		setenv("UV_THREADPOOL_SIZE", "8", 0);
	signal(SIGPIPE, SIG_IGN);

	d->loop = uv_default_loop();
	ctl_target_init(&d->target, d->loop);
	d->target.opts.verbose = verbose;
	d->target.opts.c2h_success = c2h_success;
	if (max_ctrls)
		d->target.opts.max_ctrls = max_ctrls;
	if (icd >= 0)
		d->target.opts.io_icd = (uint32_t)icd;
	raise_nofile(max_conns);

	if (optind < argc) {
		if (!subnqn) {
			default_nqn(nqn, sizeof(nqn));
			subnqn = nqn;
		}
		s = ctl_subsys_add(&d->target, subnqn);
		if (!s) {
			fprintf(stderr, "nvmf-target: -n %s: not a valid subsystem NQN (\"nqn.\" and a "
				"name, at most 223 characters, no spaces)\n", shown(subnqn));
			return 2;
		}
		for (unsigned i = 0; i < nhosts; i++)
			ctl_subsys_allow_host(s, hosts[i]);
		if (tgt_dhchap_setup(&d->dhchap, s, hosts, nhosts) < 0)
			return 2;
		for (int i = optind; i < argc; i++) {
			struct ctl_ns *ns;

			if (ctl_ns_open(&ns, argv[i], d->lba_shift, ro, msg, sizeof(msg)) < 0) {
				fprintf(stderr, "nvmf-target: %s\n", msg);
				return 1;
			}
			/* Two namespaces on one file would be two disks to a
			 * host that are one. */
			for (uint32_t id = 1; ns->type != CTL_BE_RAM && id <= CTL_MAX_NS; id++)
				if (s->ns[id] && ctl_ns_same_backing(s->ns[id], ns)) {
					fprintf(stderr, "nvmf-target: %s: the same file as namespace "
						"%u (%s)\n", argv[i], id, s->ns[id]->path);
					ctl_ns_put(ns);
					return 2;
				}
			if (ctl_subsys_attach_ns(s, ns, (uint32_t)(i - optind + 1)) < 0) {
				fprintf(stderr, "nvmf-target: %s: too many namespaces\n", argv[i]);
				return 2;
			}
			cfg_warn_tail(&d->target, ns, "");
		}
	} else if (subnqn || nhosts) {
		fprintf(stderr, "nvmf-target: -n/-H apply to BACKING namespaces; none given\n");
		return 2;
	} else if (tgt_dhchap_setup(&d->dhchap, NULL, hosts, 0) < 0) {
		return 2;	/* secrets without -H */
	}
	if (d->config_path) {
		if (cfg_load(d->config_path, d->lba_shift, &d->cfg, msg, sizeof(msg)) < 0) {
			/* msg names the file (and the line): -c, the option, too. */
			fprintf(stderr, "nvmf-target: -c: %s\n", msg);
			return 1;
		}
		/* One place per subsystem: the file would replace the command
		 * line's namespaces and hosts of it. */
		if (s && cfg_has_subsys(&d->cfg, s->nqn)) {
			fprintf(stderr, "nvmf-target: -n %s is also a subsystem of %s: give its "
				"namespaces and hosts in one place\n", s->nqn, d->config_path);
			return 2;
		}
		if (cfg_apply(&d->target, NULL, &d->cfg, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "nvmf-target: %s\n", msg);
			return 1;
		}
		if (d->cfg.warning[0])
			fprintf(stderr, "nvmf-target: warning: %s\n", d->cfg.warning);
	}

	ctl_listen_opts(&d->target, &lo);
	lo.tp.tcp.cpda = (uint8_t)cpda;
	lo.max_conns = max_conns;
	d->tls.cli_subnqn = s ? s->nqn : NULL;
	d->tls.cfg = &d->cfg;
	if (tgt_tls_setup(&d->tls, &lo) < 0)
		return 2;
	tc_argv_republish(argc, argv);	/* DH-HMAC-CHAP secrets wiped by now */
	d->target.opts.tls = d->tls.mode;
	if (xp_listener_create("tcp", d->loop, &lo, &ctl_xp_ops, &d->target, &d->srv) < 0) {
		fprintf(stderr, "nvmf-target: cannot create the listener\n");
		return 1;
	}
	if (xp_listen(d->srv, addr, (int)port, true, &rport, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "nvmf-target: %s\n", msg);
		return 1;
	}
	ctl_target_add_listener(&d->target, addr, rport, true);
	rdport = rport;
	if (dport != 0) {
		if (xp_listen(d->srv, addr, (int)dport, false, &rdport, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "nvmf-target: discovery: %s\n", msg);
			return 1;
		}
		ctl_target_add_listener(&d->target, addr, rdport, false);
	}
	any_host = s && s->any_host;
	for (struct ctl_subsys *o = d->target.subsys; o; o = o->next)
		any_host = any_host || o->any_host;
	if (!is_loopback(addr) && any_host)
		fprintf(stderr, "nvmf-target: warning: listening on %s with no host allow-list: "
			"any host that can reach it may read and write the namespaces (use -H)\n",
			addr);

	uv_signal_init(d->loop, &d->sigterm);
	uv_signal_init(d->loop, &d->sigint);
	uv_signal_init(d->loop, &d->sighup);
	uv_timer_init(d->loop, &d->drain_timer);
	d->sigterm.data = d->sigint.data = d->sighup.data = d->drain_timer.data = d;
	uv_signal_start(&d->sigterm, on_term, SIGTERM);
	uv_signal_start(&d->sigint, on_term, SIGINT);
	uv_signal_start(&d->sighup, on_hup, SIGHUP);

	if (d->pidfile) {
		FILE *f = fopen(d->pidfile, "w");

		if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
			fprintf(stderr, "nvmf-target: --pidfile %s: %s\n", d->pidfile, strerror(errno));
			return 1;
		}
	}
	if (strchr(addr, ':'))
		snprintf(msg, sizeof(msg), "listening on [%s]:%d (discovery [%s]:%d)", addr, rport,
			 addr, rdport);
	else
		snprintf(msg, sizeof(msg), "listening on %s:%d (discovery %s:%d)", addr, rport,
			 addr, rdport);
	printf("%s\n", msg);
	fflush(stdout);
	{
		/* Both listeners accept from here on: READY=1 means connectable. */
		char state[sizeof(msg) + 32];

		snprintf(state, sizeof(state), "READY=1\nSTATUS=%s", msg);
		notify(state);
	}
	ctl_log(&d->target, NVMF_LOG_INFO, "CRC32C: %s", tcp_crc32c_impl());

	uv_run(d->loop, UV_RUN_DEFAULT);

	/* Stopped by a drain (or its timeout): close what is left. */
	xp_listener_close(d->srv);
	d->srv = NULL;
	uv_walk(d->loop, close_walk, NULL);
	uv_run(d->loop, UV_RUN_DEFAULT);
	ctl_target_fini(&d->target);
	cfg_free(&d->cfg);
	uv_loop_close(d->loop);
	if (d->pidfile)
		unlink(d->pidfile);
	return d->exit_code;
}
