/*
 * NVMe/TCP TLS key files (see tls_keyfile.h for the format and where it
 * comes from). The keys are checked and encoded by tls_psk.c; this file
 * splits lines, keeps the entries and does the file I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "tcp/tls_keyfile.h"

#define KEY_PREFIX      "NVMeTLSkey-"
#define KEY_PREFIX_LEN  (sizeof(KEY_PREFIX) - 1)
#define ERR_MAX         1024

struct entry {
	struct tcp_psk_tls psk;		/* hash, len, key and identity */
	struct tcp_psk_identity id;	/* the identity, parsed */
	unsigned line;			/* line it was read from, 0 if added */
};

struct tcp_keyfile {
	struct entry *ent;
	size_t n, cap;
	char **warn;
	size_t nwarn;
	char err[ERR_MAX];
};

/* ---- Messages --------------------------------------------------------------- */

static void set_err(struct tcp_keyfile *kf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(struct tcp_keyfile *kf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kf->err, sizeof(kf->err), fmt, ap);
	va_end(ap);
}

/* Warnings are best effort: one that cannot be stored is dropped. */
static void add_warning(struct tcp_keyfile *kf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_warning(struct tcp_keyfile *kf, const char *fmt, ...)
{
	char msg[ERR_MAX], **w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w = realloc(kf->warn, (kf->nwarn + 1) * sizeof(*w));
	if (!w)
		return;
	kf->warn = w;
	w[kf->nwarn] = strdup(msg);
	if (w[kf->nwarn])
		kf->nwarn++;
}

/* Every public call that reads or writes starts afresh. */
static void clear_msgs(struct tcp_keyfile *kf)
{
	for (size_t i = 0; i < kf->nwarn; i++)
		free(kf->warn[i]);
	free(kf->warn);
	kf->warn = NULL;
	kf->nwarn = 0;
	kf->err[0] = '\0';
}

const char *tcp_keyfile_error(const struct tcp_keyfile *kf)
{
	return kf ? kf->err : "";
}

size_t tcp_keyfile_warning_count(const struct tcp_keyfile *kf)
{
	return kf ? kf->nwarn : 0;
}

const char *tcp_keyfile_warning(const struct tcp_keyfile *kf, size_t i)
{
	return kf && i < kf->nwarn ? kf->warn[i] : NULL;
}

/* ---- Entries ---------------------------------------------------------------- */

struct tcp_keyfile *tcp_keyfile_new(void)
{
	return calloc(1, sizeof(struct tcp_keyfile));
}

/* Drop entries from index from on, wiping them. */
static void truncate_entries(struct tcp_keyfile *kf, size_t from)
{
	if (from < kf->n)
		OPENSSL_cleanse(kf->ent + from, (kf->n - from) * sizeof(*kf->ent));
	kf->n = from;
}

void tcp_keyfile_free(struct tcp_keyfile *kf)
{
	if (!kf)
		return;
	truncate_entries(kf, 0);
	free(kf->ent);
	clear_msgs(kf);
	free(kf);
}

/*
 * Room for need entries. Not realloc(): it may leave a copy of the keys in
 * memory it frees without wiping, so the old array is copied and wiped.
 */
static int reserve(struct tcp_keyfile *kf, size_t need)
{
	struct entry *p;
	size_t cap = kf->cap ? kf->cap : 8;

	if (need <= kf->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = calloc(cap, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (kf->n) {
		memcpy(p, kf->ent, kf->n * sizeof(*p));
		OPENSSL_cleanse(kf->ent, kf->n * sizeof(*p));
	}
	free(kf->ent);
	kf->ent = p;
	kf->cap = cap;
	return 0;
}

static struct entry *find(const struct tcp_keyfile *kf, const char *identity)
{
	for (size_t i = 0; i < kf->n; i++)
		if (!strcmp(kf->ent[i].psk.identity, identity))
			return &kf->ent[i];
	return NULL;
}

/*
 * Hold e (room reserved by the caller): it replaces an entry of the same
 * identity in place, else it goes last. *prev gets the replaced entry's line
 * (0 if none, or it was added), *differs whether its key was another.
 */
static void put(struct tcp_keyfile *kf, const struct entry *e, unsigned *prev, bool *differs)
{
	struct entry *old = find(kf, e->psk.identity);

	*prev = 0;
	*differs = false;
	if (old) {
		*prev = old->line;
		*differs = old->psk.len != e->psk.len ||
			   CRYPTO_memcmp(old->psk.key, e->psk.key, e->psk.len) != 0;
		OPENSSL_cleanse(old, sizeof(*old));
		*old = *e;
		return;
	}
	kf->ent[kf->n++] = *e;
}

size_t tcp_keyfile_count(const struct tcp_keyfile *kf)
{
	return kf ? kf->n : 0;
}

const char *tcp_keyfile_identity(const struct tcp_keyfile *kf, size_t i)
{
	return kf && i < kf->n ? kf->ent[i].psk.identity : NULL;
}

/* Check psk and fill *e from it; 0 or a fixed message. */
static const char *make_entry(const struct tcp_psk_tls *psk, struct entry *e)
{
	memset(e, 0, sizeof(*e));
	if (!psk || !memchr(psk->identity, '\0', sizeof(psk->identity)))
		return "no identity";
	if (tcp_psk_identity_parse(psk->identity, &e->id) != TCP_PSK_OK)
		return tcp_psk_strerror(TCP_PSK_ERR_IDENTITY);
	if (psk->hash != e->id.hash || psk->len != tcp_psk_hash_len(e->id.hash))
		return "the key's hash or length is not the identity's";
	e->psk = *psk;
	return NULL;
}

int tcp_keyfile_add(struct tcp_keyfile *kf, const struct tcp_psk_tls *psk)
{
	struct entry e;
	unsigned prev;
	bool differs;
	int r;

	if (!kf)
		return -EINVAL;
	if (make_entry(psk, &e))
		r = -EINVAL;
	else if ((r = reserve(kf, kf->n + 1)) == 0)
		put(kf, &e, &prev, &differs);
	OPENSSL_cleanse(&e, sizeof(e));
	return r;
}

/* ---- Lookups ---------------------------------------------------------------- */

/* Linux's preference (nvme_tls_psk_default): R before G, v1 before v0,
 * SHA-384 before SHA-256. */
static int rank(const struct entry *e)
{
	return (e->id.type == 'R') * 4 + e->id.version * 2 +
	       (e->id.hash == TCP_PSK_HASH_SHA384);
}

int tcp_keyfile_lookup(const struct tcp_keyfile *kf, const char *hostnqn,
		       const char *subnqn, int version, enum tcp_psk_hash hash,
		       struct tcp_psk_tls *out)
{
	const struct entry *best = NULL;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!kf || !hostnqn || !subnqn || !out || version < -1 || version > 1 ||
	    (hash != TCP_PSK_HASH_NONE && tcp_psk_hash_len(hash) == 0))
		return -EINVAL;
	for (size_t i = 0; i < kf->n; i++) {
		const struct entry *e = &kf->ent[i];

		if (strcmp(e->id.hostnqn, hostnqn) || strcmp(e->id.subnqn, subnqn))
			continue;
		if ((version >= 0 && e->id.version != version) ||
		    (hash != TCP_PSK_HASH_NONE && e->id.hash != hash))
			continue;
		/* >=: of two equal ranks the later line, the newer key */
		if (!best || rank(e) >= rank(best))
			best = e;
	}
	if (!best)
		return -ENOENT;
	*out = best->psk;
	return 0;
}

int tcp_keyfile_lookup_identity(const struct tcp_keyfile *kf, const char *identity,
				struct tcp_psk_tls *out)
{
	const struct entry *e;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!kf || !identity || !out)
		return -EINVAL;
	e = find(kf, identity);
	if (!e)
		return -ENOENT;
	*out = e->psk;
	return 0;
}

int tcp_keyfile_tls_lookup(void *arg, const char *identity, struct tcp_psk_tls *out)
{
	return tcp_keyfile_lookup_identity(arg, identity, out) == 0 ? 0 : -1;
}

/* ---- Parsing ---------------------------------------------------------------- */

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * The key of a line into e: "NVMeTLSkey-" 0|1 ":" hh ":" Base64 ":". The
 * version digit is read as 1 (nvme-cli 2.x writes the identity's version
 * there); tls_psk.c checks the rest. NULL or what is wrong.
 */
static const char *parse_key(const char *key, size_t len, struct entry *e)
{
	char buf[TCP_PSK_INTERCHANGE_MAX];
	struct tcp_psk psk;
	int r;

	if (len <= KEY_PREFIX_LEN + 2 || memcmp(key, KEY_PREFIX, KEY_PREFIX_LEN) != 0 ||
	    (key[KEY_PREFIX_LEN] != '0' && key[KEY_PREFIX_LEN] != '1') ||
	    key[KEY_PREFIX_LEN + 1] != ':')
		return "the key does not start with \"NVMeTLSkey-1:\" (or nvme-cli's "
		       "\"NVMeTLSkey-0:\")";
	if (len >= sizeof(buf))
		return tcp_psk_strerror(TCP_PSK_ERR_LENGTH);
	memcpy(buf, key, len);
	buf[len] = '\0';
	buf[KEY_PREFIX_LEN] = '1';
	r = tcp_psk_parse(buf, &psk);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r != TCP_PSK_OK)
		return tcp_psk_strerror(r);
	if (psk.hash != e->id.hash) {
		tcp_psk_wipe(&psk);
		return e->id.hash == TCP_PSK_HASH_SHA256 ?
		       "the key's hash id is not the identity's (01, SHA-256)" :
		       "the key's hash id is not the identity's (02, SHA-384)";
	}
	e->psk.hash = psk.hash;
	e->psk.len = psk.len;
	memcpy(e->psk.key, psk.key, psk.len);
	tcp_psk_wipe(&psk);
	return NULL;
}

/*
 * One line (without its '\n') into e. 0 for an entry, 1 for a line with
 * none (blank, comment), -EINVAL with the message set.
 */
static int parse_line(struct tcp_keyfile *kf, const char *name, unsigned lineno,
		      const char *s, size_t len, struct entry *e)
{
	const char *why;
	size_t k, idlen;

	memset(e, 0, sizeof(*e));
	while (len && blank(s[len - 1]))
		len--;
	while (len && blank(*s)) {
		s++;
		len--;
	}
	if (len == 0 || *s == '#')
		return 1;
	if (memchr(s, '\0', len)) {
		why = "a NUL byte in the line";
		goto bad;
	}
	/* nvme-cli splits at the last space: identities hold spaces, keys none */
	for (k = len; k > 0 && !blank(s[k - 1]); k--)
		;
	if (k == 0) {
		why = "expected an identity, a space and a key";
		goto bad;
	}
	for (idlen = k; idlen > 0 && blank(s[idlen - 1]); idlen--)
		;
	if (idlen >= sizeof(e->psk.identity)) {
		why = "the identity is too long";
		goto bad;
	}
	memcpy(e->psk.identity, s, idlen);
	e->psk.identity[idlen] = '\0';
	if (tcp_psk_identity_parse(e->psk.identity, &e->id) != TCP_PSK_OK) {
		why = "not an NVMe/TCP PSK identity (\"NVMe0R0h HOSTNQN SUBNQN\" or "
		      "\"NVMe1R0h HOSTNQN SUBNQN DIGEST\")";
		goto bad;
	}
	why = parse_key(s + k, len - k, e);
	if (why)
		goto bad;
	e->line = lineno;
	return 0;
bad:
	OPENSSL_cleanse(e, sizeof(*e));
	set_err(kf, "%s:%u: %s", name, lineno, why);
	return -EINVAL;
}

/*
 * Parse text into a scratch set, then move it into kf: a failure leaves kf
 * as it was. Messages go to kf; they are not cleared here.
 */
static int parse_text(struct tcp_keyfile *kf, const char *name, const char *text,
		      size_t len)
{
	struct tcp_keyfile tmp;
	struct entry e;
	unsigned lineno = 0, prev;
	bool differs;
	size_t pos = 0;
	int r = 0;

	memset(&tmp, 0, sizeof(tmp));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		lineno++;
		r = parse_line(kf, name, lineno, text + pos, end - pos, &e);
		pos = end + 1;
		if (r == 1) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		r = reserve(&tmp, tmp.n + 1);
		if (r < 0) {
			set_err(kf, "%s: out of memory", name);
			break;
		}
		put(&tmp, &e, &prev, &differs);
		if (differs)
			add_warning(kf, "%s:%u: identity also on line %u with another key; "
				    "line %u is used", name, lineno, prev, lineno);
		OPENSSL_cleanse(&e, sizeof(e));
	}
	OPENSSL_cleanse(&e, sizeof(e));
	if (r == 0 && (r = reserve(kf, kf->n + tmp.n)) < 0)
		set_err(kf, "%s: out of memory", name);
	if (r == 0)
		for (size_t i = 0; i < tmp.n; i++)
			put(kf, &tmp.ent[i], &prev, &differs);	/* room reserved */
	truncate_entries(&tmp, 0);
	free(tmp.ent);
	return r;
}

int tcp_keyfile_parse(struct tcp_keyfile *kf, const char *name, const char *text,
		      size_t len)
{
	if (!kf)
		return -EINVAL;
	clear_msgs(kf);
	if (!name || (!text && len)) {
		set_err(kf, "invalid argument");
		return -EINVAL;
	}
	return parse_text(kf, name, text ? text : "", len);
}

/* ---- Files ------------------------------------------------------------------ */

/*
 * The whole file (up to TCP_KEYFILE_SIZE_MAX) into *out, malloc()ed; the
 * caller wipes and frees it. A growing buffer is copied and wiped, never
 * realloc()ed.
 */
static int read_all(int fd, size_t hint, char **out, size_t *outlen)
{
	size_t cap = hint + 1, len = 0;
	char *buf = malloc(cap), *p;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > TCP_KEYFILE_SIZE_MAX) {
				n = -EFBIG;
				goto fail;
			}
			p = malloc(cap * 2);
			if (!p) {
				n = -ENOMEM;
				goto fail;
			}
			memcpy(p, buf, len);
			OPENSSL_cleanse(buf, len);
			free(buf);
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > TCP_KEYFILE_SIZE_MAX) {
		n = -EFBIG;
		goto fail;
	}
	*out = buf;
	*outlen = len;
	return 0;
fail:
	OPENSSL_cleanse(buf, len);
	free(buf);
	return (int)n;
}

/* Group or other bits: the key file is a secret. */
static bool too_open(mode_t mode)
{
	return (mode & (S_IRWXG | S_IRWXO)) != 0;
}

int tcp_keyfile_load(struct tcp_keyfile *kf, const char *path)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd, r;

	if (!kf)
		return -EINVAL;
	clear_msgs(kf);
	if (!path) {
		set_err(kf, "invalid argument");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		set_err(kf, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		set_err(kf, "%s: %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		set_err(kf, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > TCP_KEYFILE_SIZE_MAX) {
		r = -EFBIG;
		set_err(kf, "%s: larger than %d bytes, not a key file", path,
			TCP_KEYFILE_SIZE_MAX);
		goto out;
	}
	if (too_open(st.st_mode))
		add_warning(kf, "%s: readable or writable by group or others (mode %04o); "
			    "a key file should be 0600 (chmod 600 %s)", path,
			    (unsigned)(st.st_mode & 07777), path);
	r = read_all(fd, (size_t)st.st_size, &text, &len);
	if (r < 0) {
		set_err(kf, "%s: %s", path, r == -EFBIG ? "grew too large while read" :
			strerror(-r));
		goto out;
	}
	r = parse_text(kf, path, text, len);
	OPENSSL_cleanse(text, len);
	free(text);
out:
	close(fd);
	return r;
}

int tcp_keyfile_format_line(const struct tcp_psk_tls *psk, char *buf, size_t size)
{
	struct entry e;
	struct tcp_psk key;
	size_t idlen;
	int r = -EINVAL;

	if (!buf || size < TCP_KEYFILE_LINE_MAX)
		return -EINVAL;
	buf[0] = '\0';
	if (make_entry(psk, &e))
		goto out;
	idlen = strlen(e.psk.identity);
	memset(&key, 0, sizeof(key));
	key.hash = e.psk.hash;
	key.len = e.psk.len;
	memcpy(key.key, e.psk.key, e.psk.len);
	memcpy(buf, e.psk.identity, idlen);
	buf[idlen] = ' ';
	if (tcp_psk_format(&key, buf + idlen + 1, size - idlen - 1) == TCP_PSK_OK) {
		strcat(buf + idlen + 1, "\n");
		r = 0;
	} else {
		buf[0] = '\0';
	}
	tcp_psk_wipe(&key);
out:
	OPENSSL_cleanse(&e, sizeof(e));
	return r;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Close, keeping the first error (a failed close may be a lost write). */
static int close_keep(int fd, int r)
{
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int tcp_keyfile_append(struct tcp_keyfile *kf, const char *path,
		       const struct tcp_psk_tls *psk)
{
	char line[TCP_KEYFILE_LINE_MAX], last;
	struct stat st;
	int fd, r;

	if (!kf)
		return -EINVAL;
	clear_msgs(kf);
	if (!path || tcp_keyfile_format_line(psk, line, sizeof(line)) < 0) {
		set_err(kf, "cannot append: not a valid TLS PSK and identity");
		return -EINVAL;
	}
	/* 0600 from the start: the key is never readable by others, not even
	 * between open and chmod. Read access for the last byte (pread). */
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = -errno;
		set_err(kf, "%s: %s", path, strerror(-r));
		goto out;
	}
	r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && !S_ISREG(st.st_mode))
		r = -EINVAL;
	if (r == 0 && too_open(st.st_mode)) {
		/* as nvme-cli's append_keyfile() (chmod 0600 after each append) */
		if (fchmod(fd, 0600) < 0)
			r = -errno;
		else
			add_warning(kf, "%s: was readable or writable by group or others "
				    "(mode %04o); now 0600", path,
				    (unsigned)(st.st_mode & 07777));
	}
	/* a hand-edited file may lack its last newline */
	if (r == 0 && st.st_size > 0) {
		ssize_t n = pread(fd, &last, 1, st.st_size - 1);

		if (n < 0)
			r = -errno;
		else if (n == 1 && last != '\n')
			r = write_all(fd, "\n", 1);
	}
	if (r == 0)
		r = write_all(fd, line, strlen(line));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	r = close_keep(fd, r);
	if (r < 0) {
		set_err(kf, "%s: %s", path, r == -EINVAL ? "not a regular file" :
			strerror(-r));
		goto out;
	}
	r = tcp_keyfile_add(kf, psk);
	if (r < 0)
		set_err(kf, "%s: appended, but %s", path, strerror(-r));
out:
	OPENSSL_cleanse(line, sizeof(line));
	return r;
}

/* A new file beside path, "<path>.<12 hex digits>", mode 0600. */
static int open_temp(const char *path, char *tmp, size_t size)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned char rnd[6];
		int n, fd;

		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return -EIO;
		n = snprintf(tmp, size, "%s.%02x%02x%02x%02x%02x%02x", path, rnd[0], rnd[1],
			     rnd[2], rnd[3], rnd[4], rnd[5]);
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int tcp_keyfile_write(struct tcp_keyfile *kf, const char *path)
{
	char line[TCP_KEYFILE_LINE_MAX];
	char *tmp;
	size_t tlen;
	int fd, r = 0;

	if (!kf)
		return -EINVAL;
	clear_msgs(kf);
	if (!path) {
		set_err(kf, "invalid argument");
		return -EINVAL;
	}
	tlen = strlen(path) + 16;
	tmp = malloc(tlen);
	if (!tmp) {
		set_err(kf, "%s: out of memory", path);
		return -ENOMEM;
	}
	fd = open_temp(path, tmp, tlen);
	if (fd < 0) {
		r = fd;
		set_err(kf, "%s: cannot create a file beside it: %s", path, strerror(-r));
		free(tmp);
		return r;
	}
	for (size_t i = 0; i < kf->n && r == 0; i++) {
		r = tcp_keyfile_format_line(&kf->ent[i].psk, line, sizeof(line));
		if (r == 0)
			r = write_all(fd, line, strlen(line));
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	r = close_keep(fd, r);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		set_err(kf, "%s: %s", path, strerror(-r));
	}
	free(tmp);
	return r;
}
