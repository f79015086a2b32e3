/*
 * DH-HMAC-CHAP messages (NVMe Base 2.0, 8.13.5; src/auth/auth_msg.c), as
 * the host reads what a controller sent and the controller what a host
 * sent. Input: byte 0 picks the message, byte 1 the context the reader
 * has from earlier messages (the negotiated hash and DH group, whether R2
 * was asked for), the rest is the payload of Authentication Send/Receive
 * as it came (its exact length, so reads past it are ASan reports).
 *   0 auth_msg_peek (host: Failure1 or what it waits for)
 *   1 AUTH_Negotiate, then the controller's pick    (controller)
 *   2 DH-HMAC-CHAP_Challenge                        (host)
 *   3 DH-HMAC-CHAP_Reply                            (controller)
 *   4 DH-HMAC-CHAP_Success1                         (host)
 *   5 DH-HMAC-CHAP_Success2                         (controller)
 *   6 AUTH_Failure1                                 (host)
 *   7 AUTH_Failure2                                 (controller)
 * What parses is checked: lengths as the spec says, pointers inside the
 * message, and a Negotiate or Challenge built again from its fields reads
 * back the same.
 */
#include "parse_util.h"

#include "auth/auth_msg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static const uint8_t *msg_end;

/* Reads every byte of [p, p+n): must lie in the message (ASan checks the
 * bound of the input, this the pointer's origin). */
static unsigned touch(const uint8_t *base, const uint8_t *p, size_t n)
{
	unsigned sum = 0;

	if (n && (!p || p < base || p + n > msg_end))
		abort();
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

static void negotiate(const uint8_t *b, size_t len)
{
	static const uint8_t hashes[] = { AUTH_HASH_SHA512, AUTH_HASH_SHA384, AUTH_HASH_SHA256 };
	static const uint8_t groups[] = { AUTH_DHGROUP_8192, AUTH_DHGROUP_6144, AUTH_DHGROUP_4096,
					  AUTH_DHGROUP_3072, AUTH_DHGROUP_2048, AUTH_DHGROUP_NULL };
	struct auth_negotiate m, m2;
	uint8_t buf[AUTH_NEGOTIATE_LEN], hash, group;

	if (auth_negotiate_parse(b, len, &m) < 0)
		return;
	if (m.nhash < 1 || m.nhash > AUTH_MAX_IDS || m.ndh < 1 || m.ndh > AUTH_MAX_IDS)
		abort();
	if (auth_negotiate_pick(&m, hashes, sizeof(hashes), groups, sizeof(groups), &hash,
				&group) == 0 && (auth_hash_len(hash) == 0 || group > AUTH_DHGROUP_8192))
		abort();
	/* The builder refuses unknown ids, which a parser keeps. */
	if (auth_negotiate_build(&m, buf, sizeof(buf)) == AUTH_NEGOTIATE_LEN &&
	    (auth_negotiate_parse(buf, sizeof(buf), &m2) < 0 || m2.t_id != m.t_id ||
	     m2.sc_c != m.sc_c || m2.nhash != m.nhash || m2.ndh != m.ndh ||
	     memcmp(m2.hash, m.hash, m.nhash) || memcmp(m2.dh, m.dh, m.ndh)))
		abort();
}

static void challenge(const uint8_t *b, size_t len)
{
	struct auth_challenge m, m2;
	uint8_t buf[AUTH_MSG_MAX];
	size_t hl;
	int n;

	if (auth_challenge_parse(b, len, &m) < 0)
		return;
	hl = auth_hash_len(m.hash);
	if (hl == 0 || m.dhvlen > auth_dhgroup_len(m.dhgroup))
		abort();
	touch(b, m.c1, hl);
	touch(b, m.dhv, m.dhvlen);
	n = auth_challenge_build(&m, buf, sizeof(buf));
	if (n > 0 && (auth_challenge_parse(buf, (size_t)n, &m2) < 0 || m2.t_id != m.t_id ||
		      m2.hash != m.hash || m2.dhgroup != m.dhgroup || m2.seqnum != m.seqnum ||
		      m2.dhvlen != m.dhvlen || memcmp(m2.c1, m.c1, hl) ||
		      (m.dhvlen && memcmp(m2.dhv, m.dhv, m.dhvlen))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *b = data + 2;
	size_t len;
	uint8_t ctx, type, id, hash, group;
	uint16_t t_id;

	if (size < 2)
		return 0;
	len = size - 2;
	ctx = data[1];
	msg_end = b + len;
	/* The context as the state machine holds it: a known hash and group. */
	hash = (uint8_t)(AUTH_HASH_SHA256 + ctx % 3);
	group = (uint8_t)((ctx >> 2) % 6);
	switch (data[0] % 8) {
	case 0:
		if (auth_msg_peek(b, len, &type, &id, &t_id) == 0 && len < 8)
			abort();
		break;
	case 1:
		negotiate(b, len);
		break;
	case 2:
		challenge(b, len);
		break;
	case 3: {
		struct auth_reply m;

		if (auth_reply_parse(b, len, hash, group, &m) == 0) {
			touch(b, m.r1, auth_hash_len(hash));
			if (m.cvalid)
				touch(b, m.c2, auth_hash_len(hash));
			touch(b, m.dhv, m.dhvlen);
			if (m.dhvlen > auth_dhgroup_len(group))
				abort();
		}
		break;
	}
	case 4: {
		struct auth_success1 m;
		bool want_r2 = ctx & 0x80;

		if (auth_success1_parse(b, len, hash, want_r2, &m) == 0) {
			if (m.rvalid != want_r2)
				abort();
			if (m.rvalid)
				touch(b, m.r2, auth_hash_len(hash));
		}
		break;
	}
	case 5:
		(void)auth_success2_parse(b, len, &t_id);
		break;
	case 6:
	case 7: {
		struct auth_failure_msg m;

		if (auth_failure_parse(b, len, data[0] % 8 == 6 ? AUTH_MSG_FAILURE1 :
				       AUTH_MSG_FAILURE2, &m) == 0 && len < AUTH_FAILURE_LEN)
			abort();
		break;
	}
	}
	return 0;
}
