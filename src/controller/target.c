/*
 * The target's configuration objects: subsystems, allow-lists, listeners.
 *
 * A target holds any number of NVM subsystems plus the discovery subsystem
 * (Fabrics 1.1, 5). Subsystems and namespaces may be added and removed at
 * run time (configuration reload); live controllers keep a pointer to
 * their subsystem, so a removed subsystem first drops its controllers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/ctl.h"
#include "transport/xp_poison.h"

void ctl_log(struct ctl_target *t, enum nvmf_log_level level, const char *fmt, ...)
{
	/* The verbosity (-v count) that shows each severity. */
	int need = level <= NVMF_LOG_WARN ? 0 : level == NVMF_LOG_INFO ? 1 : 2;
	va_list ap;

	if (t && need > t->opts.verbose)
		return;
	va_start(ap, fmt);
	fputs("nvmf-target: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void ctl_target_init(struct ctl_target *t, uv_loop_t *loop)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	t->opts.mdts = 6;		/* 256 KiB per command */
	t->opts.max_ioq = 16;
	/* Writes up to 128 KiB in the command capsule (IOCCSZ, Fabrics 1.1,
	 * 4.1): no R2T round trip for them (NVMe/TCP 1.0, 3.6.2.7), which at
	 * 128 KiB QD8 on loopback was worth +45% (12.6k to 18.0k IOPS). */
	t->opts.io_icd = 131072;
	t->opts.c2h_success = true;
	t->opts.max_ctrls = 512;
	t->opts.max_data_bytes = 1ull << 30;
	/* 100 ms: a budget refusal lasts until other commands complete,
	 * which at MDTS (256 KiB) takes well under that, and a host that
	 * retries five times (Linux, libnvmf) then waits half a second. */
	t->opts.crdt1 = 1;
	t->next_cntlid = 1;
	t->genctr = 1;
	t->disc.target = t;
	snprintf(t->disc.nqn, sizeof(t->disc.nqn), "%s", NVMF_DISCOVERY_NQN);
	t->disc.any_host = true;
	ctl_auth_policy_default(&t->auth);
}

void ctl_secret_wipe(struct ctl_secret *k)
{
	/* Through a volatile pointer: the stores must stay. */
	volatile uint8_t *p = (volatile uint8_t *)k;

	for (size_t i = 0; i < sizeof(*k); i++)
		p[i] = 0;
}

void ctl_subsys_free(struct ctl_subsys *s)
{
	ctl_subsys_clear_hosts(s);
	for (uint32_t i = 1; i <= CTL_MAX_NS; i++) {
		if (s->ns[i]) {
			s->ns[i]->removed = true;
			ctl_ns_put(s->ns[i]);
			s->ns[i] = NULL;
		}
	}
	free(s);
}

void ctl_target_fini(struct ctl_target *t)
{
	struct ctl_subsys *s, *n;

	for (s = t->subsys; s; s = n) {
		n = s->next;
		ctl_subsys_free(s);
	}
	t->subsys = NULL;
	for (int i = 0; i < 2; i++)
		while (t->pool[i].n) {
			void *b = t->pool[i].buf[--t->pool[i].n];

			xp_unpoison(b, i ? (size_t)CTL_MPS << t->opts.mdts : CTL_POOL_MIN_LEN);
			free(b);
		}
}

bool ctl_nqn_valid(const char *nqn)
{
	size_t n = strnlen(nqn, NVMF_NQN_MAX_LEN + 1);

	/* "nqn." and at least a name after it; no space or control
	 * character (a TLS PSK identity separates NQNs by spaces, NVMe TCP
	 * 3.6.1.4). */
	if (n <= 4 || n > NVMF_NQN_MAX_LEN || strncmp(nqn, "nqn.", 4) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)nqn[i] < 0x21 || (unsigned char)nqn[i] > 0x7e)
			return false;
	return true;
}

/* Serial numbers are ASCII, 20 bytes, space padded: derive one from the NQN
 * so that it is stable across restarts. */
static void make_serial(struct ctl_subsys *s)
{
	uint32_t h = 2166136261u;

	for (const char *p = s->nqn; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(s->serial, sizeof(s->serial), "%08x%08x", h, h ^ 0x5bd1e995u);
}

struct ctl_subsys *ctl_subsys_find(struct ctl_target *t, const char *nqn)
{
	if (strcmp(nqn, NVMF_DISCOVERY_NQN) == 0)
		return &t->disc;
	for (struct ctl_subsys *s = t->subsys; s; s = s->next)
		if (strcmp(s->nqn, nqn) == 0)
			return s;
	return NULL;
}

struct ctl_subsys *ctl_subsys_add(struct ctl_target *t, const char *nqn)
{
	struct ctl_subsys *s, **pp;

	if (!ctl_nqn_valid(nqn) || ctl_subsys_find(t, nqn))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->target = t;
	snprintf(s->nqn, sizeof(s->nqn), "%s", nqn);
	s->any_host = true;
	make_serial(s);
	for (pp = &t->subsys; *pp; pp = &(*pp)->next)
		;
	*pp = s;
	ctl_disc_notice(t);
	return s;
}

void ctl_subsys_remove(struct ctl_target *t, struct ctl_subsys *s)
{
	struct ctl_subsys **pp;

	for (pp = &t->subsys; *pp && *pp != s; pp = &(*pp)->next)
		;
	if (!*pp)
		return;
	*pp = s->next;
	/* Controllers of the subsystem lose their queues; they are freed when
	 * the transports report the queues destroyed. */
	s->removed = true;
	s->removing = true;
	for (struct ctl_ctrl *c = t->ctrls; c; c = c->next) {
		if (c->subsys != s)
			continue;
		c->dying = true;
		for (unsigned i = 0; i <= CTL_MAX_IOQ; i++)
			if (c->queues[i])
				xp_cqueue_drop(&c->queues[i]->x, "subsystem removed");
	}
	ctl_disc_notice(t);
	/* A controller freed inside the loop left the list; one still here
	 * frees the subsystem when it goes (ctrl.c). A freed controller's
	 * memory lasts until its timer's close callback, so c->next above
	 * stays readable. */
	s->removing = false;
	bool used = false;
	for (struct ctl_ctrl *c = t->ctrls; c; c = c->next)
		if (c->subsys == s)
			used = true;
	if (!used)
		ctl_subsys_free(s);
}

int ctl_subsys_allow_host(struct ctl_subsys *s, const char *hostnqn)
{
	if (!ctl_nqn_valid(hostnqn))
		return -EINVAL;
	if (s->nhosts >= CTL_MAX_HOSTS)
		return -ENOSPC;
	snprintf(s->hosts[s->nhosts++], NVMF_NQN_MAX_LEN + 1, "%s", hostnqn);
	s->any_host = false;
	return 0;
}

void ctl_subsys_clear_hosts(struct ctl_subsys *s)
{
	for (unsigned i = 0; i < CTL_MAX_HOSTS; i++) {
		ctl_secret_wipe(&s->host_secret[i]);
		ctl_secret_wipe(&s->ctrl_secret[i]);
	}
	s->nhosts = 0;
	s->any_host = true;
}

static int host_index(const struct ctl_subsys *s, const char *hostnqn)
{
	for (unsigned i = 0; i < s->nhosts; i++)
		if (strcmp(s->hosts[i], hostnqn) == 0)
			return (int)i;
	return -1;
}

int ctl_subsys_set_secrets(struct ctl_subsys *s, const char *hostnqn,
			   const struct ctl_secret *host, const struct ctl_secret *ctrl)
{
	int i = host_index(s, hostnqn);

	if (i < 0)
		return -ENOENT;
	ctl_secret_wipe(&s->host_secret[i]);
	ctl_secret_wipe(&s->ctrl_secret[i]);
	if (host)
		s->host_secret[i] = *host;
	if (ctrl)
		s->ctrl_secret[i] = *ctrl;
	return 0;
}

bool ctl_subsys_secrets(const struct ctl_subsys *s, const char *hostnqn,
			struct ctl_secret *host, struct ctl_secret *ctrl)
{
	int i;

	ctl_secret_wipe(host);
	ctl_secret_wipe(ctrl);
	/* nvmet_setup_auth: no authentication on the discovery subsystem nor
	 * where any host may connect; a listed host without a secret
	 * connects without it. */
	if (s == &s->target->disc || s->any_host)
		return false;
	i = host_index(s, hostnqn);
	if (i < 0 || !s->host_secret[i].len)
		return false;
	*host = s->host_secret[i];
	*ctrl = s->ctrl_secret[i];
	return true;
}

bool ctl_subsys_host_allowed(const struct ctl_subsys *s, const char *hostnqn)
{
	if (s->any_host)
		return true;
	for (unsigned i = 0; i < s->nhosts; i++)
		if (strcmp(s->hosts[i], hostnqn) == 0)
			return true;
	return false;
}

int ctl_target_add_listener(struct ctl_target *t, const char *traddr, int port, bool io)
{
	struct ctl_listener *l;

	if (t->nlisteners >= CTL_MAX_LISTENERS)
		return -ENOSPC;
	l = &t->listeners[t->nlisteners];
	memset(l, 0, sizeof(*l));
	l->adrfam = strchr(traddr, ':') ? NVMF_DISC_ADRFAM_IPV6 : NVMF_DISC_ADRFAM_IPV4;
	snprintf(l->traddr, sizeof(l->traddr), "%s", traddr);
	snprintf(l->trsvcid, sizeof(l->trsvcid), "%d", port);
	l->portid = (uint16_t)(t->nlisteners + 1);
	l->io = io;
	t->nlisteners++;
	ctl_disc_notice(t);
	return 0;
}
