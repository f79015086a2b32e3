/*
 * NVMe/TCP TLS key files: nvme-cli's /etc/nvme/tls-keys, read and written.
 *
 * Internal to libnvmf (prefix tcp_keyfile_), compiled only with OpenSSL
 * (NVMF_WITH_TLS). It reads and writes files and keeps their keys in memory;
 * it knows nothing of sockets. The keys themselves are tls_psk.h's.
 *
 * WHAT A LINE HOLDS
 * One entry per line, as nvme-cli 2.x writes them (`nvme tls-key --export`,
 * and `nvme gen-tls-key|check-tls-key --insert --keyfile F`, which append):
 *
 *   <identity> SP <key>
 *   NVMe0R01 nqn.host nqn.sub NVMeTLSkey-0:01:F9Be2EJX...:
 *   NVMe1R01 nqn.host nqn.sub gEqCzkl0...= NVMeTLSkey-1:01:7JNBthLA...:
 *
 * <identity> is the PSK identity exactly as a TLS client sends it (NVMe TCP
 * 3.6.1.4): "NVMe0R0h H S" or "NVMe1R0h H S digest" (also "NVMe1G0h ..." for
 * a TP 8018 generated PSK). It is the description of the key in the kernel's
 * .nvme keyring, which nvme-cli copies out.
 *
 * <key> is the TLS PSK of that identity: the derived key that TLS 1.3 uses
 * as its external PSK, not the configured PSK and not the retained PSK. It
 * is written in the interchange layout "NVMeTLSkey-v:hh:" Base64(key ||
 * CRC-32 LE) ":", where hh is the identity's hash (01 SHA-256, 32 bytes;
 * 02 SHA-384, 48 bytes) and v, as nvme-cli 2.x writes it, the identity's
 * version (0 or 1).
 * Sources: nvme-cli's __scan_tls_key() and append_keyfile() (nvme.c in
 * 2.x, the keys plugin later) read the key back from the keyring, where
 * libnvme's insert functions put the output of derive_nvme_keys(), and print
 * "%s %s\n": the key's description, and libnvme's
 * nvme_export_tls_key_versioned(ver, hmac, ...) with ver and hmac scanned
 * from that description; its import_key() splits each line at the last
 * space; its TLS.md says "the <PSK> is the derived TLS PSK and not the
 * retained nor the configured PSK". Checked by running nvme-cli 2.16 /
 * libnvme 1.16.2 with a throwaway keyring on the development machine: the
 * lines above are from its file (tests/unit/test_tls_keyfile.c holds it
 * whole) and the keyring held the same bytes.
 *
 * Reading accepts both "NVMeTLSkey-0:" and "NVMeTLSkey-1:" for either
 * identity version. Writing always puts "NVMeTLSkey-1:", the one version of
 * the interchange format: libnvme's import refuses any other, so nvme-cli
 * 2.x cannot import the version 0 lines it exported itself (seen with 2.16;
 * reported and fixed upstream later, linux-nvme/nvme-cli pull request 3887);
 * ours it can. The key's hh must be the identity's.
 *
 * Beyond nvme-cli (its importer would reject these lines one by one): blank
 * lines and lines whose first non-blank character is '#' are skipped, a
 * line may end in CRLF, white space around the line and between identity and
 * key is ignored. A malformed line fails the whole load with
 * "FILE:LINE: what" (never the key). An identity given twice: the later line
 * wins, as in nvme-cli's import (each line replaces the keyring's key of
 * that description), with a warning if the keys differ.
 *
 * Permissions: a file readable or writable by group or others draws a
 * warning at load (tcp_keyfile_warning()); appending creates the file 0600
 * and, as nvme-cli does, sets an existing one to 0600 (with a warning).
 *
 * Errors: every call returns 0 or a negative errno; for load, parse, append
 * and write the message stays in the struct (tcp_keyfile_error()), and so
 * do that call's warnings. Messages and warnings never contain key
 * material (identities and NQNs are not secret and may appear). Every copy
 * of a key the module makes is wiped with OPENSSL_cleanse before its memory
 * is released, the file's text included.
 *
 * Not thread-safe: one struct per thread, or the caller's lock; lookups on a
 * loaded struct that nobody changes may run concurrently.
 */
#ifndef NVMF_TCP_TLS_KEYFILE_H
#define NVMF_TCP_TLS_KEYFILE_H

#include <stddef.h>

#include "tcp/tls_psk.h"

/* nvme-cli's default key file (TLS.md; `nvme tls-key` has no default). */
#define TCP_KEYFILE_DEFAULT "/etc/nvme/tls-keys"

/* Longest line written: identity, space, key, newline, NUL. */
#define TCP_KEYFILE_LINE_MAX (TCP_PSK_IDENTITY_MAX + 1 + TCP_PSK_INTERCHANGE_MAX + 1)

/* Largest file read (a file of the longest entries holds about 1800). */
#define TCP_KEYFILE_SIZE_MAX (1024 * 1024)

struct tcp_keyfile;

/* An empty key set, or NULL (out of memory). */
struct tcp_keyfile *tcp_keyfile_new(void);

/* Wipe every key and free; NULL is fine. */
void tcp_keyfile_free(struct tcp_keyfile *kf);

/*
 * Read the file at path and add its entries (a later entry of an identity
 * already held replaces it). All or nothing: on failure no entry of the file
 * is added. -ENOENT if there is no file, another open or read errno,
 * -EINVAL for a malformed line or not a regular file, -EFBIG beyond
 * TCP_KEYFILE_SIZE_MAX, -ENOMEM.
 */
int tcp_keyfile_load(struct tcp_keyfile *kf, const char *path);

/*
 * The same for text already in memory (len bytes, NUL not needed); name is
 * what messages call it ("FILE:LINE: ..."). No permission check.
 */
int tcp_keyfile_parse(struct tcp_keyfile *kf, const char *name, const char *text,
		      size_t len);

/* The last failed call's message, "" if it succeeded. */
const char *tcp_keyfile_error(const struct tcp_keyfile *kf);

/* The last load, parse, append or write call's warnings (not errors). */
size_t tcp_keyfile_warning_count(const struct tcp_keyfile *kf);
const char *tcp_keyfile_warning(const struct tcp_keyfile *kf, size_t i);

/* How many entries are held, and the identity of entry i (file order). */
size_t tcp_keyfile_count(const struct tcp_keyfile *kf);
const char *tcp_keyfile_identity(const struct tcp_keyfile *kf, size_t i);

/*
 * The host side: the TLS PSK and identity to offer for (hostnqn, subnqn).
 * version 0 or 1 restricts the identity version, -1 takes any; hash
 * SHA256/SHA384 restricts the cipher suite, NONE takes any. Among several
 * matches the order is Linux's (nvme_tls_psk_default, drivers/nvme/common/
 * keyring.c): retained ('R') before generated ('G'), version 1 before 0,
 * SHA-384 before SHA-256; then the later line. 0 with *out filled (wipe it
 * with tcp_psk_tls_wipe), -ENOENT if none, -EINVAL for bad arguments.
 */
int tcp_keyfile_lookup(const struct tcp_keyfile *kf, const char *hostnqn,
		       const char *subnqn, int version, enum tcp_psk_hash hash,
		       struct tcp_psk_tls *out);

/*
 * The controller side: the entry whose identity is exactly the one a TLS
 * client sent. 0 with *out filled, -ENOENT, -EINVAL.
 */
int tcp_keyfile_lookup_identity(const struct tcp_keyfile *kf, const char *identity,
				struct tcp_psk_tls *out);

/*
 * tcp_keyfile_lookup_identity() in the shape of tls.h's tcp_tls_lookup_fn
 * (arg is the struct tcp_keyfile): 0, or -1 for an unknown identity.
 */
int tcp_keyfile_tls_lookup(void *arg, const char *identity, struct tcp_psk_tls *out);

/*
 * Hold a TLS PSK and its identity (replacing an entry of that identity).
 * -EINVAL if the identity does not parse or the key's hash or length is not
 * the identity's.
 */
int tcp_keyfile_add(struct tcp_keyfile *kf, const struct tcp_psk_tls *psk);

/*
 * One line as written ("identity NVMeTLSkey-1:hh:...:\n"), NUL-terminated,
 * into buf (size >= TCP_KEYFILE_LINE_MAX). Wipe buf after use.
 */
int tcp_keyfile_format_line(const struct tcp_psk_tls *psk, char *buf, size_t size);

/*
 * Append psk's line to the file at path (created 0600 if missing; an
 * existing file readable or writable by group or others is set to 0600, with
 * a warning; a missing newline at its end is supplied), then hold the entry
 * in kf as tcp_keyfile_add() does. The file is not read: an older line of
 * the same identity stays in it, and the new one wins at the next load.
 */
int tcp_keyfile_append(struct tcp_keyfile *kf, const char *path,
		       const struct tcp_psk_tls *psk);

/*
 * Write every entry held to path, replacing the file atomically (a new
 * 0600 file renamed over it). Comments of a file once loaded are not kept.
 */
int tcp_keyfile_write(struct tcp_keyfile *kf, const char *path);

#endif /* NVMF_TCP_TLS_KEYFILE_H */
