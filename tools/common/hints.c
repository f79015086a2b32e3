/*
 * The tools' error lines: what happened and what to check, from a failed
 * call's errno, NVMe status and message (tools/common/hints.h).
 */
#include "hints.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * Name of a status. The library's table names the Fabrics command specific
 * values (SCT 1h; NVMe over Fabrics 1.1, Figure 21) too; where a code means
 * one thing for NVM commands and another for Connect (80h-83h) it gives
 * "NVM name / Connect name", and the context picks the part that applies.
 */
const char *tc_status_name(uint16_t status, bool connect)
{
	const char *n = nvmf_status_str(status);
	const char *p;

	if (NVMF_SF_SCT(status) == 1 && (p = strstr(n, " / ")) != NULL)
		return connect ? p + 3 : n;
	return n;
}

static const char *connect_hint(uint8_t sc, bool L)
{
	switch (sc) {
	case 0x80: return "the target does not accept this Connect format";
	case 0x81: return "the controller is busy: try again later";
	case 0x82: return L ? "check the subsystem NQN (-n/--nqn), host ID and queue options"
			    : "check the URI's subsystem NQN, the host ID and the queue options";
	case 0x83: return "the subsystem moved: run 'nvmfctl discover' again";
	case 0x84: return L ? "check that the target allows this host NQN (-q/--hostnqn; "
			      "see 'nvmfctl show-hostnqn')"
			    : "check that the target allows this host NQN (--hostnqn; "
			      "see 'nvmfctl show-hostnqn')";
	case 0x90: return "the discovery log changed: run 'nvmfctl discover' again";
	case 0x91: return "the target requires DH-HMAC-CHAP authentication: give the "
			  "secret (--dhchap-secret, --dhchap-secret-file, NVMF_DHCHAP_SECRET)";
	default: return "check the target's configuration";
	}
}

static bool has(const char *msg, const char *word)
{
	return msg && strstr(msg, word) != NULL;
}

/*
 * Classify a failure from its errno (0 if unknown), NVMe status (0 if none)
 * and message text: *kind says what happened, the return value what to
 * check (NULL if nothing useful). buf receives a decoded status.
 */
static const char *classify(int e, uint16_t st, const char *msg, bool connecting, bool L,
			    const char **kind, char *buf, size_t len)
{
	unsigned sct, sc;
	const char *p;

	/* A status the library formatted into the text ("... (SCT 1h SC 84h"). */
	if (!st && (p = strstr(msg, "SCT ")) && sscanf(p, "SCT %xh SC %xh", &sct, &sc) == 2)
		st = NVMF_SF(sct, sc, strstr(p, "DNR") != NULL);
	if (st) {
		/* While connecting, SCT 1h SC 80h-84h, 90h, 91h are Connect's own
		 * (Fabrics 1.1, Figure 21); other commands give them other meanings. */
		uint8_t c = NVMF_SF_SC(st);
		bool conn = has(msg, "Connect") ||
			    (connecting && NVMF_SF_SCT(st) == 1 &&
			     ((c >= 0x80 && c <= 0x84) || c == 0x90 || c == 0x91));

		/* Authentication Required says what happened in the same words
		 * as an AUTHREQ in a successful response (below). */
		snprintf(buf, len, "%s%s (SCT %xh SC %02xh%s)",
			 !conn ? "" : NVMF_SF_SCT(st) == 1 && c == 0x91 ?
			 "authentication required: Connect rejected: " : "Connect rejected: ",
			 tc_status_name(st, conn), NVMF_SF_SCT(st), NVMF_SF_SC(st),
			 NVMF_SF_DNR(st) ? ", DNR" : "");
		*kind = buf;
		if (conn)
			return connect_hint(NVMF_SF_SC(st), L);
		return "the controller refused the command";
	}
	if (has(msg, "resolve")) {
		*kind = "name resolution failed";
		return L ? "check the address (-a/--traddr or the URI) and the resolver"
			 : "check the URI's host and the resolver";
	}
	/* Before the TLS check: the text may say the answer was a TLS record. */
	if (has(msg, "does not speak NVMe/TCP")) {
		*kind = "not an NVMe/TCP target";
		return L ? "check the port (-s/--trsvcid or the URI): another service answers there"
			 : "check the URI's port: another service answers there";
	}
	/* Before authentication: its -EACCES is the TLS handshake's too. */
	if (e != ETIMEDOUT &&
	    (has(msg, "TLS handshake") || has(msg, "TLS key") || has(msg, "TLS:"))) {
		*kind = "TLS failed";
		return "check the TLS key on both ends (--tls-key, --tls-key-file, "
		       "NVMF_TLS_KEY), --tls-compat for keys made by nvme-cli before 2.16, "
		       "and that the target has TLS (the target's log says more)";
	}
	if (has(msg, "no DH-HMAC-CHAP secret")) {
		*kind = "authentication required";
		return "the target requires DH-HMAC-CHAP authentication: give the secret "
		       "(--dhchap-secret, --dhchap-secret-file, NVMF_DHCHAP_SECRET)";
	}
	/*
	 * By errno, not by the text: the library fails a refused secret with
	 * -EACCES (the TLS handshake's, taken above), while a timeout or a
	 * malformed message during authentication says nothing of the secrets,
	 * and the text may hold the target's own words (an NQN holding
	 * "authentication"). Only a message without an errno is read.
	 */
	if (e == EACCES || (e == 0 && has(msg, "authentication failed"))) {
		*kind = "authentication failed";
		return "check the DH-HMAC-CHAP secrets on both ends (--dhchap-secret and "
		       "--dhchap-ctrl-secret here, the host's entry on the target; its log "
		       "says more)";
	}
	if (has(msg, "CFS") || has(msg, "fatal status")) {
		*kind = "controller fatal status";
		return "the controller reported a fatal error (CSTS.CFS): check the target";
	}
	/* The library names the ICResp field it refused ("ICResp: PFV 1 ..."). */
	if (has(msg, "ICResp:")) {
		*kind = "ICResp rejected";
		return L ? "the target's NVMe/TCP parameters are not acceptable "
			   "(digests: -g/-G), or it is not an NVMe/TCP target"
			 : "the target's NVMe/TCP parameters are not acceptable (digests: "
			   "--hdr-digest, --data-digest), or it is not an NVMe/TCP target";
	}
	if (e == ETIMEDOUT || has(msg, "timed out") || has(msg, "timeout")) {
		*kind = "timed out";
		return "check the address, the port and the target's health; "
		       "--connect-timeout S waits longer";
	}
	if (e == ECONNRESET || e == EPIPE || e == ECONNABORTED || has(msg, "closed")) {
		*kind = "connection lost";
		return "the target closed the connection: check its log";
	}
	if (e == ECONNREFUSED || has(msg, "refused")) {
		*kind = "connection refused";
		return L ? "check that a target listens on that address and port (-s/--trsvcid)"
			 : "check that a target listens on the URI's address and port";
	}
	if (e == ENETUNREACH || e == EHOSTUNREACH || has(msg, "unreachable")) {
		*kind = "no route to the target";
		return L ? "check the address (-a/--traddr) and the network"
			 : "check the URI's host and the network";
	}
	if (e == EPROTO || e == EBADMSG) {
		*kind = "protocol error";
		return "the target broke the NVMe/TCP protocol: check its log";
	}
	*kind = e ? strerror(e) : "failed";
	return NULL;
}

/*
 * The target has no subsystem of o's NQN at o's port: read the discovery
 * log there (a discovery port, or a port that serves both) to say where
 * the NQN is, or which subsystems there are. NULL if the log cannot be
 * read: the port then serves no discovery controller either.
 */
static const char *where_served(const struct nvmf_opts *o, char *buf, size_t len)
{
	struct nvmf_disc_list *log = NULL;
	struct nvmf_opts d = *o;
	size_t n = 0;
	int shown = 0, rc;

	d.subnqn[0] = '\0';
	/* The failure is already known: bound the look a little more. */
	if (d.connect_timeout > 3 || d.connect_timeout <= 0)
		d.connect_timeout = 3;
	if (d.io_timeout > 3 || d.io_timeout <= 0)
		d.io_timeout = 3;
	d.ctrl_loss_tmo = 0;
	/* A look of its own: on the library's thread, with none of the
	 * caller's event callbacks (a loss here is not the caller's loss). */
	d.loop = NULL;
	d.event_cb = NULL;
	d.event_user = NULL;
	rc = nvmf_discover(&d, &log);
	/* d held the caller's secrets: not left on the stack. */
	for (volatile unsigned char *w = (volatile unsigned char *)&d;
	     w < (volatile unsigned char *)(&d + 1); w++)
		*w = 0;
	if (rc < 0)
		return NULL;
	for (uint32_t i = 0; i < log->nr_entries; i++) {
		const struct nvmf_disc_rec *r = &log->entries[i];

		if (r->subtype == 2 && !strcmp(r->subnqn, o->subnqn) &&
		    strcmp(r->trsvcid, o->trsvcid) != 0) {
			snprintf(buf, len, "port %s is a discovery port: the target serves %s at "
				 "port %s", o->trsvcid, o->subnqn, r->trsvcid);
			nvmf_free(log);
			return buf;
		}
	}
	n = (size_t)snprintf(buf, len, "the target's discovery log lists");
	for (uint32_t i = 0; i < log->nr_entries && n < len; i++) {
		const struct nvmf_disc_rec *r = &log->entries[i];

		if (r->subtype != 2)
			continue;
		if (shown == 3) {
			n += (size_t)snprintf(buf + n, len - n, ", ...");
			break;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s %s", shown ? "," : "", r->subnqn);
		shown++;
	}
	if (!shown && n < len)
		snprintf(buf + n, len - n, " no NVM subsystem");
	nvmf_free(log);
	return buf;
}

char *tc_fail_line(char *out, size_t len, int e, uint16_t st, const char *text,
		   bool connecting, bool letters, const struct nvmf_opts *o)
{
	char msg[1024], buf[160], kbuf[NVMF_NQN_BUFSZ + 96], where[NVMF_NQN_BUFSZ * 4];
	const char *kind, *hint;
	char *nl;

	while (*text == ' ' || *text == '\t')
		text++;
	snprintf(msg, sizeof(msg), "%s", text);
	/* One line, whatever the message said. */
	while ((nl = strchr(msg, '\n')) != NULL)
		*nl = ' ';
	if (!msg[0])
		snprintf(msg, sizeof(msg), "%s", strerror(e ? e : EIO));
	hint = classify(e, st, msg, connecting, letters, &kind, buf, sizeof(buf));
	/* Connect refused SUBNQN (the library's words, bringup.c). */
	if (connecting && has(msg, "has no subsystem")) {
		bool disc = o && (!o->subnqn[0] || !strcmp(o->subnqn, NVMF_DISCOVERY_NQN));

		if (disc) {
			kind = "Connect rejected: the target has no discovery subsystem at this port";
			hint = "the port may serve I/O only: discovery is usually at port 8009";
		} else {
			snprintf(kbuf, sizeof(kbuf), "Connect rejected: the target has no "
				 "subsystem %s at this port", o ? o->subnqn : "of that NQN");
			kind = kbuf;
			hint = o ? where_served(o, where, sizeof(where)) : NULL;
			if (!hint)
				hint = letters ? "check the subsystem NQN (-n/--nqn or the URI); "
						 "'nvmfctl discover' lists the target's subsystems"
					       : "check the URI's subsystem NQN; 'nvmfctl discover' "
						 "lists the target's subsystems";
		}
	}
	if (hint)
		snprintf(out, len, "%s; %s [%s]", kind, hint, msg);
	else
		snprintf(out, len, "%s [%s]", kind, msg);
	return out;
}

char *tc_uri_error(char *out, size_t len, const char *uri, const char *msg)
{
	size_t n = strlen(uri);

	/* The library's messages start "URI ", "URI: " or "URI query...". */
	if (!strncmp(msg, "URI: ", 5))
		msg += 5;
	else if (!strncmp(msg, "URI ", 4))
		msg += 4;
	snprintf(out, len, "URI '%.*s%s': %s", (int)(n > 300 ? 300 : n), uri,
		 n > 300 ? "..." : "", msg);
	return out;
}
