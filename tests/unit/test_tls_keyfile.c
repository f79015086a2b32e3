/*
 * NVMe/TCP TLS key files (src/tcp/tls_keyfile.c): nvme-cli's
 * /etc/nvme/tls-keys read, looked up and written.
 *
 * Where the expected values come from:
 *  [nvme-cli-2.16] nvme-cli 2.16 with libnvme 1.16.2 (Debian sid packages
 *                  unpacked with dpkg -x and run with their own loader, never
 *                  installed; see tls_psk_vectors.sh), in a throwaway session
 *                  keyring (keyctl session -; keyctl newring nvmfvec @s):
 *                    nvme gen-tls-key -s 000102...1f -n nqn.host -c nqn.sub
 *                         -i -k nvmfvec -t user [-I 1] -f FILE
 *                    nvme check-tls-key -d KEY -n nqn.host -c nqn.sub
 *                         -i -k nvmfvec -t user [-I 1 -C] -f FILE
 *                  FILE is what those four runs appended (mode 0600); the key
 *                  bytes are what `keyctl pipe` read back from the keyring.
 *                  `nvme tls-key --import` of that file failed on its two
 *                  NVMeTLSkey-0 lines ("Failed to import key in line 0/2").
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tcp/tls_keyfile.h"

/* [nvme-cli-2.16] the file, byte for byte */
static const char nvme_cli_file[] =
	"NVMe0R01 nqn.host nqn.sub "
	"NVMeTLSkey-0:01:F9Be2EJXzaSbjGMSuXy0IwqjA7utVUsMmUgho4WBNGEYKlLL:\n"
	"NVMe1R01 nqn.host nqn.sub gEqCzkl04JXNNRhlec5POtT02lIVWjYjIzXBKFW3oOw= "
	"NVMeTLSkey-1:01:7JNBthLAjkIDLPyIkiiGkvrBvNZJGv9bf2i4W5pB0ceokDyy:\n"
	"NVMe0R02 nqn.host nqn.sub "
	"NVMeTLSkey-0:02:UwmWWyXWsYnuZNtIqdjHzGSgfX9HJoVsKp6F6ukJHl89juI6GZzDK9O15+nP/hC35l6pFg==:\n"
	"NVMe1R01 nqn.host nqn.sub 6fvSfHpRrEYkTqcBT/UrIzuCy+POrVQVh5/TxGzCOYg= "
	"NVMeTLSkey-1:01:0yiltoMndMXkPVKjvlpVKb0iZO6T8SVYkTdaip5jf6ZIWBJr:\n";

/* ... and what each line came from: configured key, version, KDF, and the
 * TLS PSK in the keyring */
static const struct {
	const char *configured;
	int version;
	enum tcp_psk_kdf kdf;
	const char *identity;
	const char *tls_psk;
} nvme_cli_entries[] = {
	{ "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
	  0, TCP_PSK_KDF_RFC8446, "NVMe0R01 nqn.host nqn.sub",
	  "17d05ed84257cda49b8c6312b97cb4230aa303bbad554b0c994821a385813461" },
	{ "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
	  1, TCP_PSK_KDF_RFC8446,
	  "NVMe1R01 nqn.host nqn.sub gEqCzkl04JXNNRhlec5POtT02lIVWjYjIzXBKFW3oOw=",
	  "ec9341b612c08e42032cfc8892288692fac1bcd6491aff5b7f68b85b9a41d1c7" },
	{ "NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:",
	  0, TCP_PSK_KDF_RFC8446, "NVMe0R02 nqn.host nqn.sub",
	  "5309965b25d6b189ee64db48a9d8c7cc64a07d7f4726856c2a9e85eae9091e5f"
	  "3d8ee23a199cc32bd3b5e7e9cffe10b7" },
	{ "NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:",
	  1, TCP_PSK_KDF_COMPAT,
	  "NVMe1R01 nqn.host nqn.sub 6fvSfHpRrEYkTqcBT/UrIzuCy+POrVQVh5/TxGzCOYg=",
	  "d328a5b6832774c5e43d52a3be5a5529bd2264ee93f1255891375a8a9e637fa6" },
};
#define N_CLI (sizeof(nvme_cli_entries) / sizeof(nvme_cli_entries[0]))

/* The Base64 of the first entry's key, which no message may contain. */
#define KEY1_B64 "F9Be2EJXzaSbjGMSuXy0IwqjA7utVUsMmUgho4WBNGEYKlLL"

static char tmpdir[64];

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

static const char *tpath(const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *read_file(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int parse(struct tcp_keyfile *kf, const char *text)
{
	return tcp_keyfile_parse(kf, "keys", text, strlen(text));
}

/* Entry i of the nvme-cli file holds what the keyring held. */
static void check_nvme_cli_entries(const struct tcp_keyfile *kf)
{
	assert_int_equal(tcp_keyfile_count(kf), N_CLI);
	for (size_t i = 0; i < N_CLI; i++) {
		struct tcp_psk_tls got;
		uint8_t want[TCP_PSK_MAX_LEN];
		size_t len = strlen(nvme_cli_entries[i].tls_psk) / 2;

		assert_string_equal(tcp_keyfile_identity(kf, i), nvme_cli_entries[i].identity);
		assert_int_equal(tcp_keyfile_lookup_identity(kf, nvme_cli_entries[i].identity,
							     &got), 0);
		unhex(nvme_cli_entries[i].tls_psk, want, len);
		assert_string_equal(got.identity, nvme_cli_entries[i].identity);
		assert_int_equal(got.len, len);
		assert_int_equal(got.hash, len == 32 ? TCP_PSK_HASH_SHA256 : TCP_PSK_HASH_SHA384);
		assert_memory_equal(got.key, want, len);
		tcp_psk_tls_wipe(&got);
	}
}

/* ---- nvme-cli's file ------------------------------------------------------------ */

static void test_nvme_cli_file(void **state)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();

	assert_non_null(kf);
	assert_int_equal(parse(kf, nvme_cli_file), 0);
	assert_string_equal(tcp_keyfile_error(kf), "");
	assert_int_equal(tcp_keyfile_warning_count(kf), 0);
	check_nvme_cli_entries(kf);
	tcp_keyfile_free(kf);
}

/* The entries are the TLS PSKs tls_psk.c derives from the configured keys:
 * what a host configured with the key itself would use. */
static void test_nvme_cli_derivation(void **state)
{
	for (size_t i = 0; i < N_CLI; i++) {
		struct tcp_psk psk;
		struct tcp_psk_tls tls;
		uint8_t want[TCP_PSK_MAX_LEN];
		size_t len = strlen(nvme_cli_entries[i].tls_psk) / 2;

		assert_int_equal(tcp_psk_parse(nvme_cli_entries[i].configured, &psk), 0);
		assert_int_equal(tcp_psk_derive(&psk, "nqn.host", "nqn.sub",
						nvme_cli_entries[i].version,
						nvme_cli_entries[i].kdf, &tls), 0);
		unhex(nvme_cli_entries[i].tls_psk, want, len);
		assert_string_equal(tls.identity, nvme_cli_entries[i].identity);
		assert_memory_equal(tls.key, want, len);
		tcp_psk_wipe(&psk);
		tcp_psk_tls_wipe(&tls);
	}
}

/* ---- Files on disk, permissions ---------------------------------------------- */

static void test_load(void **state)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();
	const char *w;

	write_file(tpath("keys"), nvme_cli_file, 0600);
	assert_int_equal(tcp_keyfile_load(kf, tpath("keys")), 0);
	assert_int_equal(tcp_keyfile_warning_count(kf), 0);
	check_nvme_cli_entries(kf);

	/* group or other bits: loaded, with one warning naming file and mode */
	tcp_keyfile_free(kf);
	kf = tcp_keyfile_new();
	assert_int_equal(chmod(tpath("keys"), 0644), 0);
	assert_int_equal(tcp_keyfile_load(kf, tpath("keys")), 0);
	check_nvme_cli_entries(kf);
	assert_int_equal(tcp_keyfile_warning_count(kf), 1);
	w = tcp_keyfile_warning(kf, 0);
	assert_non_null(strstr(w, tpath("keys")));
	assert_non_null(strstr(w, "group or others"));
	assert_non_null(strstr(w, "0644"));
	assert_null(strstr(w, "NVMeTLSkey"));
	assert_null(strstr(w, KEY1_B64));
	assert_null(tcp_keyfile_warning(kf, 1));
	assert_int_equal(chmod(tpath("keys"), 0640), 0);
	assert_int_equal(tcp_keyfile_load(kf, tpath("keys")), 0);
	assert_int_equal(tcp_keyfile_warning_count(kf), 1);
	assert_int_equal(chmod(tpath("keys"), 0602), 0);
	assert_int_equal(tcp_keyfile_load(kf, tpath("keys")), 0);
	assert_int_equal(tcp_keyfile_warning_count(kf), 1);
	assert_int_equal(tcp_keyfile_count(kf), N_CLI);	/* loaded again: same set */

	/* no file, a directory */
	assert_int_equal(tcp_keyfile_load(kf, tpath("none")), -ENOENT);
	assert_non_null(strstr(tcp_keyfile_error(kf), tpath("none")));
	assert_int_equal(tcp_keyfile_load(kf, tmpdir), -EINVAL);
	assert_non_null(strstr(tcp_keyfile_error(kf), "not a regular file"));
	assert_int_equal(tcp_keyfile_count(kf), N_CLI);
	unlink(tpath("keys"));
	tcp_keyfile_free(kf);
}

/* Comments, blank lines, CRLF, tabs, no newline at the end: as one set. */
static void test_layout(void **state)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();
	static const char text[] =
		"# written by hand\r\n"
		"\r\n"
		"   \t\n"
		"  # indented comment\n"
		"NVMe0R01 nqn.host nqn.sub "
		"NVMeTLSkey-0:01:F9Be2EJXzaSbjGMSuXy0IwqjA7utVUsMmUgho4WBNGEYKlLL:\r\n"
		"  NVMe1R01 nqn.host nqn.sub gEqCzkl04JXNNRhlec5POtT02lIVWjYjIzXBKFW3oOw=\t "
		"NVMeTLSkey-1:01:7JNBthLAjkIDLPyIkiiGkvrBvNZJGv9bf2i4W5pB0ceokDyy:  \r\n"
		"NVMe0R02 nqn.host nqn.sub   "
		"NVMeTLSkey-1:02:UwmWWyXWsYnuZNtIqdjHzGSgfX9HJoVsKp6F6ukJHl89juI6GZzDK9O15+nP/hC35l6pFg==:\n"
		"NVMe1R01 nqn.host nqn.sub 6fvSfHpRrEYkTqcBT/UrIzuCy+POrVQVh5/TxGzCOYg= "
		"NVMeTLSkey-1:01:0yiltoMndMXkPVKjvlpVKb0iZO6T8SVYkTdaip5jf6ZIWBJr:";

	assert_int_equal(parse(kf, text), 0);
	check_nvme_cli_entries(kf);
	/* empty and comment-only files hold nothing */
	tcp_keyfile_free(kf);
	kf = tcp_keyfile_new();
	assert_int_equal(parse(kf, ""), 0);
	assert_int_equal(parse(kf, "# nothing\n\n"), 0);
	assert_int_equal(tcp_keyfile_count(kf), 0);
	tcp_keyfile_free(kf);
}

/* ---- Malformed lines -------------------------------------------------------------- */

static void expect_bad(const char *line, const char *want)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();
	char text[1024], wantpos[16];
	const char *err;

	/* a good line first: a failure adds nothing, not even that one */
	snprintf(text, sizeof(text), "# comment\n"
		 "NVMe0R01 nqn.host nqn.sub "
		 "NVMeTLSkey-0:01:F9Be2EJXzaSbjGMSuXy0IwqjA7utVUsMmUgho4WBNGEYKlLL:\n"
		 "%s\n", line);
	assert_int_equal(parse(kf, text), -EINVAL);
	assert_int_equal(tcp_keyfile_count(kf), 0);
	err = tcp_keyfile_error(kf);
	snprintf(wantpos, sizeof(wantpos), "keys:3: ");
	if (strncmp(err, wantpos, strlen(wantpos)) || !strstr(err, want))
		fail_msg("line %s: error \"%s\", want \"%s...%s\"", line, err, wantpos, want);
	/* never the key, of this line or another */
	assert_null(strstr(err, "NVMeTLSkey-1:0"));
	assert_null(strstr(err, "NVMeTLSkey-0:0"));
	assert_null(strstr(err, KEY1_B64));
	assert_null(strstr(err, "AAECAwQF"));
	tcp_keyfile_free(kf);
}

static void test_bad_lines(void **state)
{
	char longid[700];

	expect_bad("NVMe0R01", "expected an identity, a space and a key");
	expect_bad("NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		   "expected an identity");
	expect_bad("NVMe0R03 nqn.host nqn.sub "
		   "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		   "not an NVMe/TCP PSK identity");
	expect_bad("NVMe1R01 nqn.host nqn.sub "
		   "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		   "not an NVMe/TCP PSK identity");	/* v1 without digest */
	expect_bad("NVMe0R01 nqn.host "
		   "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		   "not an NVMe/TCP PSK identity");
	expect_bad("NVMe0R01 nqn.host nqn.sub "
		   "NVMeTLSkey-2:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		   "does not start with \"NVMeTLSkey-1:\"");
	expect_bad("NVMe0R01 nqn.host nqn.sub DHHC-1:01:AAECAwQF:", "does not start with");
	expect_bad("NVMe0R01 nqn.host nqn.sub nqn.other", "does not start with");
	/* damaged: one character changed, CRC no longer matches */
	expect_bad("NVMe0R01 nqn.host nqn.sub "
		   "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaS:",
		   "CRC-32 mismatch");
	expect_bad("NVMe0R01 nqn.host nqn.sub "
		   "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+Kfia:",
		   "Base64");
	expect_bad("NVMe0R01 nqn.host nqn.sub NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXG",
		   "closing ':'");
	expect_bad("NVMe0R01 nqn.host nqn.sub NVMeTLSkey-1:01:"
		   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vcSEgBQ==:",
		   "wrong key length");
	/* the key's hash is not the identity's */
	expect_bad("NVMe0R02 nqn.host nqn.sub "
		   "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		   "not the identity's (02, SHA-384)");
	expect_bad("NVMe0R01 nqn.host nqn.sub "
		   "NVMeTLSkey-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:",
		   "not the identity's (01, SHA-256)");
	memset(longid, 'a', 600);
	longid[600] = '\0';
	memcpy(longid, "NVMe0R01 ", 9);
	strcat(longid, " k");
	expect_bad(longid, "too long");

	/* a NUL byte (parse_text takes lengths, not C strings) */
	{
		struct tcp_keyfile *kf = tcp_keyfile_new();
		static const char nul[] = "NVMe0R01 nqn.host\0nqn.sub NVMeTLSkey-1:01:x:\n";

		assert_int_equal(tcp_keyfile_parse(kf, "nul", nul, sizeof(nul) - 1), -EINVAL);
		assert_string_equal(tcp_keyfile_error(kf), "nul:1: a NUL byte in the line");
		tcp_keyfile_free(kf);
	}
}

/* A failed load leaves what was held before, and a good one adds to it. */
static void test_all_or_nothing(void **state)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();

	assert_int_equal(parse(kf, nvme_cli_file), 0);
	assert_int_equal(parse(kf, "NVMe0R01 nqn.host nqn.other "
			       "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:\n"
			       "garbage\n"), -EINVAL);
	check_nvme_cli_entries(kf);
	assert_int_equal(parse(kf, "NVMe0R01 nqn.host nqn.other "
			       "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:\n"),
			 0);
	assert_string_equal(tcp_keyfile_error(kf), "");
	assert_int_equal(tcp_keyfile_count(kf), N_CLI + 1);
	assert_string_equal(tcp_keyfile_identity(kf, N_CLI), "NVMe0R01 nqn.host nqn.other");
	assert_null(tcp_keyfile_identity(kf, N_CLI + 1));
	tcp_keyfile_free(kf);
}

/* ---- Duplicates ------------------------------------------------------------------- */

static void test_duplicates(void **state)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();
	struct tcp_psk_tls got;
	uint8_t first[32];
	static const char same[] =
		"NVMe0R01 nqn.host nqn.sub "
		"NVMeTLSkey-0:01:F9Be2EJXzaSbjGMSuXy0IwqjA7utVUsMmUgho4WBNGEYKlLL:\n"
		"NVMe0R01 nqn.host nqn.sub "
		"NVMeTLSkey-1:01:F9Be2EJXzaSbjGMSuXy0IwqjA7utVUsMmUgho4WBNGEYKlLL:\n";
	/* a key rotated with gen-tls-key --insert --keyfile: appended again */
	static const char rotated[] =
		"NVMe0R01 nqn.host nqn.sub "
		"NVMeTLSkey-0:01:F9Be2EJXzaSbjGMSuXy0IwqjA7utVUsMmUgho4WBNGEYKlLL:\n"
		"NVMe0R01 nqn.host nqn.other "
		"NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:\n"
		"NVMe0R01 nqn.host nqn.sub "
		"NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:\n";

	assert_int_equal(parse(kf, same), 0);
	assert_int_equal(tcp_keyfile_count(kf), 1);
	assert_int_equal(tcp_keyfile_warning_count(kf), 0);
	tcp_keyfile_free(kf);

	kf = tcp_keyfile_new();
	assert_int_equal(parse(kf, rotated), 0);
	assert_int_equal(tcp_keyfile_count(kf), 2);
	assert_int_equal(tcp_keyfile_warning_count(kf), 1);
	assert_string_equal(tcp_keyfile_warning(kf, 0),
			    "keys:3: identity also on line 1 with another key; line 3 is used");
	/* the later line's key, in the earlier line's place */
	assert_string_equal(tcp_keyfile_identity(kf, 0), "NVMe0R01 nqn.host nqn.sub");
	assert_int_equal(tcp_keyfile_lookup_identity(kf, "NVMe0R01 nqn.host nqn.sub", &got), 0);
	for (int i = 0; i < 32; i++)
		first[i] = (uint8_t)i;
	assert_memory_equal(got.key, first, 32);
	tcp_psk_tls_wipe(&got);
	tcp_keyfile_free(kf);
}

/* ---- Lookups ---------------------------------------------------------------------- */

/* Add the entry a configured key gives for (H, S, version, hash). */
static void add_derived(struct tcp_keyfile *kf, const char *h, const char *s, int version,
			enum tcp_psk_hash hash, uint8_t fill)
{
	struct tcp_psk psk = { .hash = hash, .len = tcp_psk_hash_len(hash) };
	struct tcp_psk_tls tls;

	memset(psk.key, fill, psk.len);
	assert_int_equal(tcp_psk_derive(&psk, h, s, version, TCP_PSK_KDF_RFC8446, &tls), 0);
	assert_int_equal(tcp_keyfile_add(kf, &tls), 0);
	tcp_psk_tls_wipe(&tls);
}

static void expect_lookup(const struct tcp_keyfile *kf, int version, enum tcp_psk_hash hash,
			  const char *prefix)
{
	struct tcp_psk_tls got;

	assert_int_equal(tcp_keyfile_lookup(kf, "nqn.h", "nqn.s", version, hash, &got), 0);
	if (strncmp(got.identity, prefix, strlen(prefix)))
		fail_msg("version %d hash %d: got \"%s\", want \"%s...\"", version, hash,
			 got.identity, prefix);
	assert_int_equal(got.len, tcp_psk_hash_len(got.hash));
	tcp_psk_tls_wipe(&got);
}

static void test_lookup(void **state)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();
	struct tcp_psk_tls got, want;
	char digest[TCP_PSK_DIGEST_MAX + 1];
	uint8_t gen[48];

	/* a generated (TP 8018) PSK's entry: the lowest rank of all */
	memset(gen, 0x5a, sizeof(gen));
	assert_int_equal(tcp_psk_digest(TCP_PSK_HASH_SHA384, gen, 48, "nqn.h", "nqn.s",
					digest, sizeof(digest)), 0);
	memset(&want, 0, sizeof(want));
	assert_int_equal(tcp_psk_identity(1, 'G', TCP_PSK_HASH_SHA384, "nqn.h", "nqn.s", digest,
					  want.identity, sizeof(want.identity)), 0);
	want.hash = TCP_PSK_HASH_SHA384;
	want.len = 48;
	memcpy(want.key, gen, 48);
	assert_int_equal(tcp_keyfile_add(kf, &want), 0);
	expect_lookup(kf, -1, TCP_PSK_HASH_NONE, "NVMe1G02 ");

	add_derived(kf, "nqn.h", "nqn.s", 0, TCP_PSK_HASH_SHA256, 1);
	expect_lookup(kf, -1, TCP_PSK_HASH_NONE, "NVMe0R01 ");
	add_derived(kf, "nqn.h", "nqn.s", 0, TCP_PSK_HASH_SHA384, 2);
	expect_lookup(kf, -1, TCP_PSK_HASH_NONE, "NVMe0R02 ");
	add_derived(kf, "nqn.h", "nqn.s", 1, TCP_PSK_HASH_SHA256, 3);
	expect_lookup(kf, -1, TCP_PSK_HASH_NONE, "NVMe1R01 ");
	add_derived(kf, "nqn.h", "nqn.s", 1, TCP_PSK_HASH_SHA384, 4);
	expect_lookup(kf, -1, TCP_PSK_HASH_NONE, "NVMe1R02 ");
	/* other NQNs are never taken */
	add_derived(kf, "nqn.h", "nqn.s2", 1, TCP_PSK_HASH_SHA384, 5);
	add_derived(kf, "nqn.h2", "nqn.s", 1, TCP_PSK_HASH_SHA384, 6);
	assert_int_equal(tcp_keyfile_count(kf), 7);

	expect_lookup(kf, 0, TCP_PSK_HASH_NONE, "NVMe0R02 ");
	expect_lookup(kf, 0, TCP_PSK_HASH_SHA256, "NVMe0R01 ");
	expect_lookup(kf, -1, TCP_PSK_HASH_SHA256, "NVMe1R01 ");
	expect_lookup(kf, 1, TCP_PSK_HASH_SHA384, "NVMe1R02 nqn.h nqn.s ");

	/* the controller side: exactly the identity sent */
	assert_int_equal(tcp_keyfile_lookup_identity(kf, want.identity, &got), 0);
	assert_memory_equal(&got, &want, sizeof(got));
	assert_int_equal(tcp_keyfile_tls_lookup(kf, want.identity, &got), 0);
	assert_memory_equal(got.key, gen, 48);
	assert_int_equal(tcp_keyfile_lookup_identity(kf, "NVMe0R01 nqn.h nqn.s", &got), 0);
	assert_int_equal(got.hash, TCP_PSK_HASH_SHA256);

	/* misses */
	assert_int_equal(tcp_keyfile_lookup(kf, "nqn.h", "nqn.x", -1, TCP_PSK_HASH_NONE, &got),
			 -ENOENT);
	assert_int_equal(got.len, 0);
	assert_int_equal(tcp_keyfile_lookup(kf, "nqn.s", "nqn.h", -1, TCP_PSK_HASH_NONE, &got),
			 -ENOENT);
	assert_int_equal(tcp_keyfile_lookup_identity(kf, "NVMe0R01 nqn.h nqn.s ", &got), -ENOENT);
	assert_int_equal(tcp_keyfile_lookup_identity(kf, "NVMe0R01 nqn.h", &got), -ENOENT);
	assert_int_equal(tcp_keyfile_tls_lookup(kf, "NVMe0R02 nqn.x nqn.s", &got), -1);
	assert_int_equal(tcp_keyfile_lookup(kf, "nqn.h", "nqn.s", 2, TCP_PSK_HASH_NONE, &got),
			 -EINVAL);
	assert_int_equal(tcp_keyfile_lookup(kf, "nqn.h", "nqn.s", -1, (enum tcp_psk_hash)3, &got),
			 -EINVAL);
	assert_int_equal(tcp_keyfile_lookup(kf, NULL, "nqn.s", -1, TCP_PSK_HASH_NONE, &got),
			 -EINVAL);
	assert_int_equal(tcp_keyfile_lookup(NULL, "nqn.h", "nqn.s", -1, TCP_PSK_HASH_NONE, &got),
			 -EINVAL);

	/* an empty set */
	tcp_keyfile_free(kf);
	kf = tcp_keyfile_new();
	assert_int_equal(tcp_keyfile_lookup(kf, "nqn.h", "nqn.s", -1, TCP_PSK_HASH_NONE, &got),
			 -ENOENT);
	tcp_psk_tls_wipe(&want);
	tcp_keyfile_free(kf);
}

/* ---- Writing ---------------------------------------------------------------------- */

static void test_add_errors(void **state)
{
	struct tcp_keyfile *kf = tcp_keyfile_new();
	struct tcp_psk_tls t;
	char line[TCP_KEYFILE_LINE_MAX];

	memset(&t, 0, sizeof(t));
	strcpy(t.identity, "NVMe0R01 nqn.h nqn.s");
	t.hash = TCP_PSK_HASH_SHA384;	/* not the identity's */
	t.len = 48;
	assert_int_equal(tcp_keyfile_add(kf, &t), -EINVAL);
	t.hash = TCP_PSK_HASH_SHA256;
	assert_int_equal(tcp_keyfile_add(kf, &t), -EINVAL);	/* length */
	t.len = 32;
	strcpy(t.identity, "NVMe0R01 nqn.h");
	assert_int_equal(tcp_keyfile_add(kf, &t), -EINVAL);
	assert_int_equal(tcp_keyfile_format_line(&t, line, sizeof(line)), -EINVAL);
	assert_string_equal(line, "");
	strcpy(t.identity, "NVMe0R01 nqn.h nqn.s");
	assert_int_equal(tcp_keyfile_format_line(&t, line, sizeof(line) - 1), -EINVAL);
	assert_int_equal(tcp_keyfile_format_line(&t, line, sizeof(line)), 0);
	assert_string_equal(line, "NVMe0R01 nqn.h nqn.s NVMeTLSkey-1:01:"
			    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACtVQoZ:\n");
	assert_int_equal(tcp_keyfile_add(kf, &t), 0);
	assert_int_equal(tcp_keyfile_count(kf), 1);
	assert_int_equal(tcp_keyfile_add(kf, &t), 0);	/* same identity: replaced */
	assert_int_equal(tcp_keyfile_count(kf), 1);
	assert_int_equal(tcp_keyfile_add(kf, NULL), -EINVAL);
	assert_int_equal(tcp_keyfile_add(NULL, &t), -EINVAL);
	tcp_keyfile_free(kf);
}

/* nvme-cli's file written back: same lines, "NVMeTLSkey-1:" throughout. */
static void test_round_trip(void **state)
{
	struct tcp_keyfile *kf = tcp_keyfile_new(), *again = tcp_keyfile_new();
	char want[sizeof(nvme_cli_file)], *p;

	strcpy(want, nvme_cli_file);
	while ((p = strstr(want, "NVMeTLSkey-0:")))
		p[11] = '1';
	assert_int_equal(parse(kf, nvme_cli_file), 0);
	write_file(tpath("out"), "old\n", 0644);
	assert_int_equal(tcp_keyfile_write(kf, tpath("out")), 0);
	assert_string_equal(read_file(tpath("out")), want);
	assert_int_equal(file_mode(tpath("out")), 0600);
	assert_int_equal(tcp_keyfile_load(again, tpath("out")), 0);
	assert_int_equal(tcp_keyfile_warning_count(again), 0);
	check_nvme_cli_entries(again);

	/* nowhere to write: message, no file left behind */
	assert_int_equal(tcp_keyfile_write(kf, tpath("no/such/dir")), -ENOENT);
	assert_non_null(strstr(tcp_keyfile_error(kf), tpath("no/such/dir")));
	unlink(tpath("out"));
	tcp_keyfile_free(kf);
	tcp_keyfile_free(again);
}

static void test_append(void **state)
{
	struct tcp_keyfile *src = tcp_keyfile_new(), *kf = tcp_keyfile_new();
	struct tcp_keyfile *back = tcp_keyfile_new();
	struct tcp_psk_tls e[N_CLI];
	const char *text;

	assert_int_equal(parse(src, nvme_cli_file), 0);
	for (size_t i = 0; i < N_CLI; i++)
		assert_int_equal(tcp_keyfile_lookup_identity(src, nvme_cli_entries[i].identity,
							     &e[i]), 0);

	/* a new file: created 0600, one line */
	unlink(tpath("app"));
	assert_int_equal(tcp_keyfile_append(kf, tpath("app"), &e[0]), 0);
	assert_int_equal(tcp_keyfile_warning_count(kf), 0);
	assert_int_equal(file_mode(tpath("app")), 0600);
	assert_int_equal(tcp_keyfile_count(kf), 1);
	assert_int_equal(tcp_keyfile_append(kf, tpath("app"), &e[1]), 0);
	text = read_file(tpath("app"));
	assert_non_null(strstr(text, "NVMe0R01 nqn.host nqn.sub NVMeTLSkey-1:01:" KEY1_B64 ":\n"
				     "NVMe1R01 "));

	/* an existing file, 0644, last line without newline: both fixed */
	write_file(tpath("app"), "# keys\n"
		   "NVMe0R01 nqn.host nqn.sub "
		   "NVMeTLSkey-0:01:F9Be2EJXzaSbjGMSuXy0IwqjA7utVUsMmUgho4WBNGEYKlLL:", 0644);
	for (size_t i = 1; i < N_CLI; i++)
		assert_int_equal(tcp_keyfile_append(kf, tpath("app"), &e[i]), 0);
	assert_int_equal(file_mode(tpath("app")), 0600);
	assert_int_equal(tcp_keyfile_load(back, tpath("app")), 0);
	check_nvme_cli_entries(back);
	/* the warning came with the first append only */
	assert_int_equal(tcp_keyfile_warning_count(kf), 0);
	write_file(tpath("app"), "", 0660);
	assert_int_equal(tcp_keyfile_append(kf, tpath("app"), &e[0]), 0);
	assert_int_equal(tcp_keyfile_warning_count(kf), 1);
	assert_non_null(strstr(tcp_keyfile_warning(kf, 0), "0660"));
	assert_null(strstr(tcp_keyfile_warning(kf, 0), KEY1_B64));

	/* an identity appended twice: both lines stay, the later one wins */
	assert_int_equal(tcp_keyfile_append(kf, tpath("app"), &e[0]), 0);
	assert_int_equal(tcp_keyfile_load(back, tpath("app")), 0);
	assert_int_equal(tcp_keyfile_warning_count(back), 0);	/* same key */

	/* errors */
	assert_int_equal(tcp_keyfile_append(kf, tpath("no/such/dir"), &e[0]), -ENOENT);
	assert_non_null(strstr(tcp_keyfile_error(kf), "no/such/dir"));
	assert_int_equal(tcp_keyfile_append(kf, tmpdir, &e[0]), -EISDIR);
	e[0].hash = TCP_PSK_HASH_SHA384;
	assert_int_equal(tcp_keyfile_append(kf, tpath("app"), &e[0]), -EINVAL);
	assert_null(strstr(tcp_keyfile_error(kf), "NVMeTLSkey"));

	for (size_t i = 0; i < N_CLI; i++)
		tcp_psk_tls_wipe(&e[i]);
	unlink(tpath("app"));
	tcp_keyfile_free(src);
	tcp_keyfile_free(kf);
	tcp_keyfile_free(back);
}

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/nvmf-keyfile-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvme_cli_file),
		cmocka_unit_test(test_nvme_cli_derivation),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_add_errors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_append),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
