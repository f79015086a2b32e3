/*
 * Helpers of the DH-HMAC-CHAP interop tests (integ_auth, interop_auth_matrix):
 * secrets of our own making, the library's log collected in memory, and
 * the checks every refusal gets (no secret in any output, a whole message).
 *
 * The secrets are made here, not by libnvmf (its generator is under test
 * elsewhere): "DHHC-1:hh:" Base64(key || CRC-32(key), little-endian) ":",
 * NVMe Base 2.0 8.13.5.8, the form nvme-cli's gen-dhchap-key prints and
 * Linux's nvme_auth_extract_key() reads.
 */
#ifndef NVMF_TESTS_INTEROP_DHCHAP_UTIL_H
#define NVMF_TESTS_INTEROP_DHCHAP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "DHHC-1:hh:" + Base64 of 68 bytes (92) + ":" + NUL: 104, rounded up */
#define DHCHAP_TEXT_MAX 128

/* The text of len key bytes (32, 48 or 64) with hash indicator hh (0..3). */
void dhchap_format(int hh, const uint8_t *key, size_t len, char out[DHCHAP_TEXT_MAX]);
/* A fresh random secret (getrandom). */
void dhchap_random(int hh, size_t len, char out[DHCHAP_TEXT_MAX]);

/*
 * The library's log (every level, nvmf_set_log_callback) into a buffer:
 * dhchap_log_start() installs the callback, dhchap_log_clear() empties the
 * buffer, dhchap_log_text() returns what was logged since (a copy the
 * caller frees), dhchap_log_count() how often a string occurs in it.
 */
void dhchap_log_start(void);
void dhchap_log_clear(void);
char *dhchap_log_text(void);
int dhchap_log_count(const char *needle);

/*
 * Whether text holds a secret: the whole "DHHC-1:..." string or its Base64
 * part (the key and CRC as the representation carries them), or the first
 * 12 characters of that part.
 */
bool dhchap_leaks(const char *text, const char *secret);

/* Parentheses and brackets that open and never close: a message cut short. */
bool dhchap_msg_whole(const char *msg);

/* Monotonic seconds. */
double dhchap_now(void);

#endif
