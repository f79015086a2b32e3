/*
 * nvmfctl reconnect (FreeBSD nvmecontrol's command): make a connection
 * again, now.
 *
 * The connection is an nvmf-fuse process: reconnect finds it by its state
 * record, as disconnect does, sends it SIGUSR1 (nvmf-fuse then calls
 * nvmf_reconnect(): a live connection is made anew, one waiting for its
 * next attempt tries at once, one given up starts over), and watches the
 * record for the outcome: its "reconnects" count going up. Only a running
 * nvmf-fuse whose record shows that it takes SIGUSR1 is ever signalled: to
 * an older nvmf-fuse the signal would be fatal.
 */
#include "nvmfctl.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECONNECT_TIMEOUT_S 30

static const char reconnect_help[] =
	"Usage: nvmfctl reconnect [--timeout S] NAME|MOUNTPOINT...\n"
	"Make a connection made by 'nvmfctl connect' again, now: a live connection is\n"
	"closed and made anew (its I/O held and replayed), one waiting for its next\n"
	"attempt tries at once, one given up (dead) starts over with a fresh\n"
	"ctrl-loss-tmo. Open files stay open. nvmf-fuse is sent SIGUSR1; nvmfctl\n"
	"then waits until the connection is back (its reconnect count goes up).\n\n"
	"      --timeout S            wait at most S seconds (default 30; 0: do not wait)\n"
	"  -h, --help                 this text\n";

/* The record again, by its file: 0, or -1 once it is gone. */
static int reload(const struct tc_record *r, struct tc_record *out)
{
	if (tc_record_load(r->path, out) < 0)
		return -1;
	if (out->pid != r->pid) {	/* another server took the name */
		tc_record_release(out);
		return -1;
	}
	return 0;
}

/* Wait for the outcome; NC_EXIT_OK once reconnected. */
static int wait_outcome(const struct tc_record *r, int timeout_s)
{
	double deadline = nc_now() + timeout_s;
	char state[64];
	struct tc_record now;
	bool left_dead = false;

	for (;;) {
		if (reload(r, &now) < 0 || !now.alive) {
			nc_err("%s: nvmf-fuse (pid %d) exited", r->name, r->pid);
			return NC_EXIT_FAIL;
		}
		if (now.reconnects > r->reconnects) {
			printf("reconnected %s (cntlid %d, %llu reconnect%s since start)\n", r->name,
			       now.cntlid, (unsigned long long)now.reconnects,
			       now.reconnects == 1 ? "" : "s");
			tc_record_release(&now);
			return NC_EXIT_OK;
		}
		/* Given up (again) after the attempts this request started. */
		if (strcmp(now.state, "dead"))
			left_dead = true;
		else if (left_dead || strcmp(r->state, "dead")) {
			nc_err("%s: reconnect failed: %s%s%s", r->name,
			       nc_record_state(&now, state, sizeof(state)),
			       now.last_error[0] ? ": " : "", now.last_error);
			tc_record_release(&now);
			return NC_EXIT_FAIL;
		}
		if (nc_now() > deadline) {
			nc_err("%s: not reconnected within %d s: %s%s%s (see 'nvmfctl list')",
			       r->name, timeout_s, nc_record_state(&now, state, sizeof(state)),
			       now.last_error[0] ? ": " : "", now.last_error);
			tc_record_release(&now);
			return NC_EXIT_FAIL;
		}
		tc_record_release(&now);
		nc_sleep_ms(50);
	}
}

static int reconnect_record(const struct tc_record *r, int timeout_s)
{
	if (!r->alive) {
		nc_err("%s: stale record: nvmf-fuse (pid %d) no longer runs ('nvmfctl disconnect %s' "
		       "removes the record)", r->name, r->pid, r->name);
		return NC_EXIT_FAIL;
	}
	if (!r->can_reconnect) {
		if (!strcmp(r->state, "connecting") && !r->mountpoint[0])
			nc_err("%s: nvmf-fuse (pid %d) is still making its first connection",
			       r->name, r->pid);
		else
			nc_err("%s: nvmf-fuse (pid %d) does not take reconnect requests (its record "
			       "has no reconnect count: an older nvmf-fuse, which SIGUSR1 would end); "
			       "disconnect and connect again instead", r->name, r->pid);
		return NC_EXIT_FAIL;
	}
	if (kill(r->pid, SIGUSR1) < 0) {
		if (errno == ESRCH)
			nc_err("%s: stale record: nvmf-fuse (pid %d) no longer runs", r->name, r->pid);
		else if (errno == EPERM)
			nc_err("%s: cannot signal nvmf-fuse (pid %d): %s (it runs as another user: "
			       "run nvmfctl as that user, or as root)", r->name, r->pid,
			       strerror(errno));
		else
			nc_err("%s: cannot signal nvmf-fuse (pid %d): %s", r->name, r->pid,
			       strerror(errno));
		return NC_EXIT_FAIL;
	}
	if (timeout_s == 0) {
		printf("reconnect requested for %s (nvmf-fuse pid %d)\n", r->name, r->pid);
		return NC_EXIT_OK;
	}
	return wait_outcome(r, timeout_s);
}

int cmd_reconnect(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "timeout", required_argument, NULL, 'T' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tc_record *list = NULL;
	int c, n, timeout_s = RECONNECT_TIMEOUT_S, rc = NC_EXIT_OK;

	tc_getopt_reset();
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (nc_parse_int("--timeout", optarg, 0, 3600, &timeout_s) < 0)
				return NC_EXIT_USAGE;
			break;
		case 'h':
			fputs(reconnect_help, stdout);
			return 0;
		default:
			return nc_getopt_err(c, optopt, argv);
		}
	}
	if (optind >= argc)
		return nc_usage_err("give a connection NAME or MOUNTPOINT (see 'nvmfctl list')");
	n = nc_records_load(&list, NULL);
	if (n < 0)
		return NC_EXIT_FAIL;
	for (int k = optind; k < argc; k++) {
		bool found = false;

		for (int i = 0; i < n && !found; i++) {
			if (!nc_record_matches(&list[i], argv[k]))
				continue;
			found = true;
			if (reconnect_record(&list[i], timeout_s))
				rc = NC_EXIT_FAIL;
		}
		if (!found) {
			nc_err("no connection named or mounted at '%s' (see 'nvmfctl list')",
			       argv[k]);
			rc = NC_EXIT_FAIL;
		}
	}
	tc_records_free(list, n);
	return rc;
}
