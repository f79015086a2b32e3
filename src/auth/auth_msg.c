/*
 * DH-HMAC-CHAP message codecs (see auth_msg.h for the layouts and the
 * rules). Byte offsets are spelled out rather than overlaid with packed
 * structs: the buffers come from the transport at any alignment, and every
 * multi-byte field goes through nvmf_get_le* / nvmf_put_le*.
 */
#include <string.h>

#include "auth/auth_msg.h"

/* Common header */
#define OFF_TYPE   0
#define OFF_ID     1
#define OFF_TID    4
/* Negotiate */
#define OFF_SCC    6
#define OFF_NAPD   7
#define OFF_DESC   8
#define D_AUTHID   0
#define D_HALEN    2
#define D_DHLEN    3
#define D_HASHES   4
#define D_GROUPS   (D_HASHES + AUTH_MAX_IDS)
/* Challenge, Reply, Success1 */
#define OFF_HL     6
#define OFF_HASHID 8		/* Challenge */
#define OFF_DHGID  9		/* Challenge */
#define OFF_CVALID 8		/* Reply */
#define OFF_RVALID 8		/* Success1 */
#define OFF_DHVLEN 10		/* Challenge, Reply */
#define OFF_SEQNUM 12		/* Challenge, Reply */
/* Failure */
#define OFF_RCODE  6
#define OFF_REXP   7

/* ---- Common ---------------------------------------------------------------- */

/* The AUTH_Type each AUTH_Id comes with; -1 for an undefined id. */
static int type_of(uint8_t id)
{
	switch (id) {
	case AUTH_MSG_NEGOTIATE:
	case AUTH_MSG_FAILURE1:
	case AUTH_MSG_FAILURE2:
		return AUTH_TYPE_COMMON;
	case AUTH_MSG_CHALLENGE:
	case AUTH_MSG_REPLY:
	case AUTH_MSG_SUCCESS1:
	case AUTH_MSG_SUCCESS2:
		return AUTH_TYPE_DHCHAP;
	default:
		return -1;
	}
}

int auth_msg_peek(const void *buf, size_t len, uint8_t *type, uint8_t *id,
		  uint16_t *t_id)
{
	const uint8_t *b = buf;

	if (!b)
		return AUTH_ERR_INVAL;
	if (len < AUTH_FAILURE_LEN)	/* the shortest message */
		return AUTH_ERR_MSG_SHORT;
	if (type_of(b[OFF_ID]) != b[OFF_TYPE])
		return AUTH_ERR_MSG_TYPE;
	if (type)
		*type = b[OFF_TYPE];
	if (id)
		*id = b[OFF_ID];
	if (t_id)
		*t_id = nvmf_get_le16(b + OFF_TID);
	return AUTH_OK;
}

/* Header checks of a parse: at least min bytes, then the expected message. */
static int expect(const uint8_t *b, size_t len, size_t min, uint8_t id)
{
	if (!b)
		return AUTH_ERR_INVAL;
	if (len < min)
		return AUTH_ERR_MSG_SHORT;
	if (b[OFF_TYPE] != type_of(id) || b[OFF_ID] != id)
		return AUTH_ERR_MSG_TYPE;
	return AUTH_OK;
}

/* Zero a builder's output and write its header. */
static void put_header(uint8_t *b, size_t len, uint8_t id, uint16_t t_id)
{
	memset(b, 0, len);
	b[OFF_TYPE] = (uint8_t)type_of(id);
	b[OFF_ID] = id;
	nvmf_put_le16(b + OFF_TID, t_id);
}

/* DHVLEN for a group: 0 for NULL, else 1..the group's size (a peer may
 * leave out leading zero bytes). exact: only the group's size (ours). */
static int dhvlen_check(uint8_t group, size_t dhvlen, bool exact)
{
	size_t max = auth_dhgroup_len(group);

	if (group == AUTH_DHGROUP_NULL)
		return dhvlen == 0 ? AUTH_OK : AUTH_ERR_MSG_DHVLEN;
	if (max == 0)
		return AUTH_ERR_MSG_DHGROUP;
	if (dhvlen == 0 || dhvlen > max || (exact && dhvlen != max))
		return AUTH_ERR_MSG_DHVLEN;
	return AUTH_OK;
}

static bool hash_known(uint8_t id)
{
	return auth_hash_len(id) != 0;
}

static bool group_known(uint8_t id)
{
	return auth_dhgroup_name(id) != NULL;
}

/* ---- AUTH_Negotiate -------------------------------------------------------- */

int auth_negotiate_build(const struct auth_negotiate *m, void *buf, size_t size)
{
	uint8_t *b = buf, *d;

	if (!m || !b)
		return AUTH_ERR_INVAL;
	if (m->sc_c > AUTH_SCC_REPLACETLSPSK)
		return AUTH_ERR_MSG_SCC;
	if (m->nhash == 0 || m->nhash > AUTH_MAX_IDS ||
	    m->ndh == 0 || m->ndh > AUTH_MAX_IDS)
		return AUTH_ERR_MSG_IDLIST;
	for (size_t i = 0; i < m->nhash; i++)
		if (!hash_known(m->hash[i]))
			return AUTH_ERR_MSG_HASH;
	for (size_t i = 0; i < m->ndh; i++)
		if (!group_known(m->dh[i]))
			return AUTH_ERR_MSG_DHGROUP;
	if (size < AUTH_NEGOTIATE_LEN)
		return AUTH_ERR_NOSPACE;

	put_header(b, AUTH_NEGOTIATE_LEN, AUTH_MSG_NEGOTIATE, m->t_id);
	b[OFF_SCC] = m->sc_c;
	b[OFF_NAPD] = 1;
	d = b + OFF_DESC;
	d[D_AUTHID] = AUTH_AUTHID_DHCHAP;
	d[D_HALEN] = m->nhash;
	d[D_DHLEN] = m->ndh;
	memcpy(d + D_HASHES, m->hash, m->nhash);
	memcpy(d + D_GROUPS, m->dh, m->ndh);
	return AUTH_NEGOTIATE_LEN;
}

int auth_negotiate_parse(const void *buf, size_t len, struct auth_negotiate *m)
{
	const uint8_t *b = buf, *d;
	int err;

	if (!m)
		return AUTH_ERR_INVAL;
	memset(m, 0, sizeof(*m));
	err = expect(b, len, OFF_DESC, AUTH_MSG_NEGOTIATE);
	if (err)
		return err;
	if (b[OFF_SCC] > AUTH_SCC_REPLACETLSPSK)
		return AUTH_ERR_MSG_SCC;
	if (b[OFF_NAPD] != 1)
		return AUTH_ERR_MSG_NAPD;
	if (len < AUTH_NEGOTIATE_LEN)
		return AUTH_ERR_MSG_SHORT;
	d = b + OFF_DESC;
	if (d[D_AUTHID] != AUTH_AUTHID_DHCHAP)
		return AUTH_ERR_MSG_AUTHID;
	if (d[D_HALEN] > AUTH_MAX_IDS || d[D_DHLEN] > AUTH_MAX_IDS)
		return AUTH_ERR_MSG_IDLIST;
	if (d[D_HALEN] == 0)
		return AUTH_ERR_MSG_HASH;
	if (d[D_DHLEN] == 0)
		return AUTH_ERR_MSG_DHGROUP;

	m->t_id = nvmf_get_le16(b + OFF_TID);
	m->sc_c = b[OFF_SCC];
	m->nhash = d[D_HALEN];
	memcpy(m->hash, d + D_HASHES, m->nhash);
	m->ndh = d[D_DHLEN];
	memcpy(m->dh, d + D_GROUPS, m->ndh);
	return AUTH_OK;
}

static bool offered(const uint8_t *list, size_t n, uint8_t id)
{
	return memchr(list, id, n) != NULL;
}

int auth_negotiate_pick(const struct auth_negotiate *m,
			const uint8_t *hash_pref, size_t nhash_pref,
			const uint8_t *dh_pref, size_t ndh_pref,
			uint8_t *hash, uint8_t *dhgroup)
{
	size_t i, j;

	if (!m || !hash || !dhgroup || (nhash_pref && !hash_pref) ||
	    (ndh_pref && !dh_pref) || m->nhash > AUTH_MAX_IDS || m->ndh > AUTH_MAX_IDS)
		return AUTH_ERR_INVAL;
	for (i = 0; i < nhash_pref; i++)
		if (hash_known(hash_pref[i]) && offered(m->hash, m->nhash, hash_pref[i]))
			break;
	if (i == nhash_pref)
		return AUTH_ERR_MSG_HASH;
	for (j = 0; j < ndh_pref; j++)
		if (group_known(dh_pref[j]) && offered(m->dh, m->ndh, dh_pref[j]))
			break;
	if (j == ndh_pref)
		return AUTH_ERR_MSG_DHGROUP;
	*hash = hash_pref[i];
	*dhgroup = dh_pref[j];
	return AUTH_OK;
}

/* ---- DH-HMAC-CHAP_Challenge ------------------------------------------------ */

int auth_challenge_build(const struct auth_challenge *m, void *buf, size_t size)
{
	uint8_t *b = buf;
	size_t hl, total;
	int err;

	if (!m || !b || !m->c1)
		return AUTH_ERR_INVAL;
	hl = auth_hash_len(m->hash);
	if (hl == 0)
		return AUTH_ERR_MSG_HASH;
	if (!group_known(m->dhgroup))
		return AUTH_ERR_MSG_DHGROUP;
	err = dhvlen_check(m->dhgroup, m->dhvlen, true);
	if (err)
		return err;
	if (m->dhvlen && !m->dhv)
		return AUTH_ERR_INVAL;
	if (m->seqnum == 0)
		return AUTH_ERR_MSG_SEQNUM;
	total = AUTH_HDR_LEN + hl + m->dhvlen;
	if (size < total)
		return AUTH_ERR_NOSPACE;

	put_header(b, AUTH_HDR_LEN, AUTH_MSG_CHALLENGE, m->t_id);
	b[OFF_HL] = (uint8_t)hl;
	b[OFF_HASHID] = m->hash;
	b[OFF_DHGID] = m->dhgroup;
	nvmf_put_le16(b + OFF_DHVLEN, m->dhvlen);
	nvmf_put_le32(b + OFF_SEQNUM, m->seqnum);
	memcpy(b + AUTH_HDR_LEN, m->c1, hl);
	if (m->dhvlen)
		memcpy(b + AUTH_HDR_LEN + hl, m->dhv, m->dhvlen);
	return (int)total;
}

int auth_challenge_parse(const void *buf, size_t len, struct auth_challenge *m)
{
	const uint8_t *b = buf;
	size_t hl;
	uint16_t dhvlen;
	int err;

	if (!m)
		return AUTH_ERR_INVAL;
	memset(m, 0, sizeof(*m));
	err = expect(b, len, AUTH_HDR_LEN, AUTH_MSG_CHALLENGE);
	if (err)
		return err;
	hl = auth_hash_len(b[OFF_HASHID]);
	if (hl == 0 || b[OFF_HL] != hl)
		return AUTH_ERR_MSG_HASH;
	if (!group_known(b[OFF_DHGID]))
		return AUTH_ERR_MSG_DHGROUP;
	dhvlen = nvmf_get_le16(b + OFF_DHVLEN);
	err = dhvlen_check(b[OFF_DHGID], dhvlen, false);
	if (err)
		return err;
	if (len < AUTH_HDR_LEN + hl + dhvlen)
		return AUTH_ERR_MSG_SHORT;
	if (nvmf_get_le32(b + OFF_SEQNUM) == 0)
		return AUTH_ERR_MSG_SEQNUM;

	m->t_id = nvmf_get_le16(b + OFF_TID);
	m->hash = b[OFF_HASHID];
	m->dhgroup = b[OFF_DHGID];
	m->seqnum = nvmf_get_le32(b + OFF_SEQNUM);
	m->c1 = b + AUTH_HDR_LEN;
	m->dhvlen = dhvlen;
	m->dhv = dhvlen ? b + AUTH_HDR_LEN + hl : NULL;
	return AUTH_OK;
}

/* ---- DH-HMAC-CHAP_Reply ---------------------------------------------------- */

int auth_reply_build(const struct auth_reply *m, void *buf, size_t size)
{
	uint8_t *b = buf;
	size_t hl, total;
	int err;

	if (!m || !b || !m->r1)
		return AUTH_ERR_INVAL;
	hl = auth_hash_len(m->hash);
	if (hl == 0)
		return AUTH_ERR_MSG_HASH;
	if (!group_known(m->dhgroup))
		return AUTH_ERR_MSG_DHGROUP;
	err = dhvlen_check(m->dhgroup, m->dhvlen, true);
	if (err)
		return err;
	if ((m->dhvlen && !m->dhv) || (m->cvalid && !m->c2))
		return AUTH_ERR_INVAL;
	if (!m->cvalid && m->seqnum != 0)
		return AUTH_ERR_MSG_SEQNUM;
	total = AUTH_HDR_LEN + 2 * hl + m->dhvlen;
	if (size < total)
		return AUTH_ERR_NOSPACE;

	put_header(b, total, AUTH_MSG_REPLY, m->t_id);
	b[OFF_HL] = (uint8_t)hl;
	b[OFF_CVALID] = m->cvalid ? 1 : 0;
	nvmf_put_le16(b + OFF_DHVLEN, m->dhvlen);
	nvmf_put_le32(b + OFF_SEQNUM, m->seqnum);
	memcpy(b + AUTH_HDR_LEN, m->r1, hl);
	if (m->cvalid)
		memcpy(b + AUTH_HDR_LEN + hl, m->c2, hl);
	if (m->dhvlen)
		memcpy(b + AUTH_HDR_LEN + 2 * hl, m->dhv, m->dhvlen);
	return (int)total;
}

int auth_reply_parse(const void *buf, size_t len, uint8_t hash, uint8_t dhgroup,
		     struct auth_reply *m)
{
	const uint8_t *b = buf;
	size_t hl = auth_hash_len(hash);
	uint16_t dhvlen;
	uint32_t seqnum;
	int err;

	if (!m)
		return AUTH_ERR_INVAL;
	memset(m, 0, sizeof(*m));
	if (hl == 0 || !group_known(dhgroup))
		return AUTH_ERR_INVAL;	/* the caller's own values */
	err = expect(b, len, AUTH_HDR_LEN, AUTH_MSG_REPLY);
	if (err)
		return err;
	if (b[OFF_HL] != hl)
		return AUTH_ERR_MSG_HASH;
	if (b[OFF_CVALID] > 1)
		return AUTH_ERR_MSG_FLAG;
	dhvlen = nvmf_get_le16(b + OFF_DHVLEN);
	err = dhvlen_check(dhgroup, dhvlen, false);
	if (err)
		return err;
	if (len < AUTH_HDR_LEN + 2 * hl + dhvlen)
		return AUTH_ERR_MSG_SHORT;
	/* Without C2 the SEQNUM means nothing, and Linux hosts since 2023
	 * ("nvme-auth: always set valid seq_num in dhchap reply") send one
	 * anyway: accepted, and m->seqnum reports 0 then. */
	seqnum = b[OFF_CVALID] ? nvmf_get_le32(b + OFF_SEQNUM) : 0;

	m->t_id = nvmf_get_le16(b + OFF_TID);
	m->hash = hash;
	m->dhgroup = dhgroup;
	m->cvalid = b[OFF_CVALID] == 1;
	m->seqnum = seqnum;
	m->r1 = b + AUTH_HDR_LEN;
	m->c2 = m->cvalid ? b + AUTH_HDR_LEN + hl : NULL;
	m->dhvlen = dhvlen;
	m->dhv = dhvlen ? b + AUTH_HDR_LEN + 2 * hl : NULL;
	return AUTH_OK;
}

/* ---- DH-HMAC-CHAP_Success1 ------------------------------------------------- */

int auth_success1_build(const struct auth_success1 *m, void *buf, size_t size)
{
	uint8_t *b = buf;
	size_t hl, total;

	if (!m || !b || (m->rvalid && !m->r2))
		return AUTH_ERR_INVAL;
	hl = auth_hash_len(m->hash);
	if (hl == 0)
		return AUTH_ERR_MSG_HASH;
	total = AUTH_HDR_LEN + (m->rvalid ? hl : 0);
	if (size < total)
		return AUTH_ERR_NOSPACE;

	put_header(b, AUTH_HDR_LEN, AUTH_MSG_SUCCESS1, m->t_id);
	b[OFF_HL] = (uint8_t)hl;	/* set without R2 too, as nvmet does */
	b[OFF_RVALID] = m->rvalid ? 1 : 0;
	if (m->rvalid)
		memcpy(b + AUTH_HDR_LEN, m->r2, hl);
	return (int)total;
}

int auth_success1_parse(const void *buf, size_t len, uint8_t hash, bool want_r2,
			struct auth_success1 *m)
{
	const uint8_t *b = buf;
	size_t hl = auth_hash_len(hash);
	int err;

	if (!m)
		return AUTH_ERR_INVAL;
	memset(m, 0, sizeof(*m));
	if (hl == 0)
		return AUTH_ERR_INVAL;
	err = expect(b, len, AUTH_HDR_LEN, AUTH_MSG_SUCCESS1);
	if (err)
		return err;
	if (b[OFF_HL] != hl)
		return AUTH_ERR_MSG_HASH;
	if (b[OFF_RVALID] > 1 || (b[OFF_RVALID] == 1) != want_r2)
		return AUTH_ERR_MSG_FLAG;
	if (want_r2 && len < AUTH_HDR_LEN + hl)
		return AUTH_ERR_MSG_SHORT;

	m->t_id = nvmf_get_le16(b + OFF_TID);
	m->hash = hash;
	m->rvalid = want_r2;
	m->r2 = want_r2 ? b + AUTH_HDR_LEN : NULL;
	return AUTH_OK;
}

/* ---- DH-HMAC-CHAP_Success2 ------------------------------------------------- */

int auth_success2_build(uint16_t t_id, void *buf, size_t size)
{
	if (!buf)
		return AUTH_ERR_INVAL;
	if (size < AUTH_HDR_LEN)
		return AUTH_ERR_NOSPACE;
	put_header(buf, AUTH_HDR_LEN, AUTH_MSG_SUCCESS2, t_id);
	return AUTH_HDR_LEN;
}

int auth_success2_parse(const void *buf, size_t len, uint16_t *t_id)
{
	int err = expect(buf, len, AUTH_HDR_LEN, AUTH_MSG_SUCCESS2);

	if (err)
		return err;
	if (t_id)
		*t_id = nvmf_get_le16((const uint8_t *)buf + OFF_TID);
	return AUTH_OK;
}

/* ---- AUTH_Failure1 / AUTH_Failure2 ----------------------------------------- */

int auth_failure_build(uint8_t id, uint16_t t_id, uint8_t explanation,
		       void *buf, size_t size)
{
	uint8_t *b = buf;

	if (!b || (id != AUTH_MSG_FAILURE1 && id != AUTH_MSG_FAILURE2) ||
	    explanation < AUTH_FAILURE_FAILED ||
	    explanation > AUTH_FAILURE_INCORRECT_MESSAGE)
		return AUTH_ERR_INVAL;
	if (size < AUTH_FAILURE_LEN)
		return AUTH_ERR_NOSPACE;
	put_header(b, AUTH_FAILURE_LEN, id, t_id);
	b[OFF_RCODE] = AUTH_FAILURE_REASON_FAILED;
	b[OFF_REXP] = explanation;
	return AUTH_FAILURE_LEN;
}

int auth_failure_parse(const void *buf, size_t len, uint8_t id,
		       struct auth_failure_msg *m)
{
	const uint8_t *b = buf;
	int err;

	if (!m || (id != AUTH_MSG_FAILURE1 && id != AUTH_MSG_FAILURE2))
		return AUTH_ERR_INVAL;
	memset(m, 0, sizeof(*m));
	err = expect(b, len, AUTH_FAILURE_LEN, id);
	if (err)
		return err;
	m->t_id = nvmf_get_le16(b + OFF_TID);
	m->reason = b[OFF_RCODE];
	m->explanation = b[OFF_REXP];
	return AUTH_OK;
}
