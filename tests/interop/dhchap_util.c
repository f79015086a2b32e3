/* Helpers of the DH-HMAC-CHAP interop tests: see dhchap_util.h. */
#include "interop/dhchap_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <nvmf/nvmf.h>

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static size_t base64(const uint8_t *in, size_t len, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		size_t n = len - i;
		uint32_t v = (uint32_t)in[i] << 16 | (n > 1 ? (uint32_t)in[i + 1] << 8 : 0) |
			     (n > 2 ? (uint32_t)in[i + 2] : 0);

		out[o++] = a[(v >> 18) & 63];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = n > 1 ? a[(v >> 6) & 63] : '=';
		out[o++] = n > 2 ? a[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

void dhchap_format(int hh, const uint8_t *key, size_t len, char out[DHCHAP_TEXT_MAX])
{
	uint8_t buf[64 + 4];
	char b64[96];
	uint32_t crc;

	if (len > 64)
		len = 64;
	memcpy(buf, key, len);
	crc = crc32_ieee(key, len);
	buf[len] = (uint8_t)crc;
	buf[len + 1] = (uint8_t)(crc >> 8);
	buf[len + 2] = (uint8_t)(crc >> 16);
	buf[len + 3] = (uint8_t)(crc >> 24);
	base64(buf, len + 4, b64);
	snprintf(out, DHCHAP_TEXT_MAX, "DHHC-1:%02x:%s:", (unsigned)hh & 0xffu, b64);
}

void dhchap_random(int hh, size_t len, char out[DHCHAP_TEXT_MAX])
{
	uint8_t key[64];
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(key + got, len - got, 0);

		if (n > 0)
			got += (size_t)n;
	}
	dhchap_format(hh, key, len, out);
}

/* ---- the library's log ---------------------------------------------------- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char *log_buf;
static size_t log_len, log_cap;

static void log_cb(void *user, enum nvmf_log_level level, const char *msg)
{
	size_t n = strlen(msg);

	(void)user;
	(void)level;
	pthread_mutex_lock(&log_mu);
	if (log_len + n + 2 > log_cap) {
		size_t cap = (log_cap ? log_cap : 65536);
		char *p;

		while (log_len + n + 2 > cap)
			cap *= 2;
		p = realloc(log_buf, cap);
		if (!p) {
			pthread_mutex_unlock(&log_mu);
			return;
		}
		log_buf = p;
		log_cap = cap;
	}
	memcpy(log_buf + log_len, msg, n);
	log_len += n;
	log_buf[log_len++] = '\n';
	log_buf[log_len] = '\0';
	pthread_mutex_unlock(&log_mu);
}

void dhchap_log_start(void)
{
	nvmf_set_log_callback(log_cb, NULL);
}

void dhchap_log_clear(void)
{
	pthread_mutex_lock(&log_mu);
	log_len = 0;
	if (log_buf)
		log_buf[0] = '\0';
	pthread_mutex_unlock(&log_mu);
}

char *dhchap_log_text(void)
{
	char *s;

	pthread_mutex_lock(&log_mu);
	s = strdup(log_buf ? log_buf : "");
	pthread_mutex_unlock(&log_mu);
	return s;
}

int dhchap_log_count(const char *needle)
{
	char *s = dhchap_log_text();
	int n = 0;

	for (const char *p = s ? strstr(s, needle) : NULL; p; p = strstr(p + 1, needle))
		n++;
	free(s);
	return n;
}

/* ---- checks ------------------------------------------------------------------ */

bool dhchap_leaks(const char *text, const char *secret)
{
	const char *b64;
	char part[DHCHAP_TEXT_MAX];
	size_t n;

	if (!text || !secret || !*secret)
		return false;
	if (strstr(text, secret))
		return true;
	/* "DHHC-1:hh:" then the Base64 part up to the last ':' */
	b64 = strlen(secret) > 10 ? secret + 10 : secret;
	snprintf(part, sizeof(part), "%s", b64);
	n = strlen(part);
	if (n && part[n - 1] == ':')
		part[--n] = '\0';
	if (n && strstr(text, part))
		return true;
	if (n > 12) {
		part[12] = '\0';
		if (strstr(text, part))
			return true;
	}
	return false;
}

bool dhchap_msg_whole(const char *msg)
{
	int paren = 0, bracket = 0;

	for (const char *p = msg; *p; p++) {
		paren += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		bracket += *p == '[' ? 1 : *p == ']' ? -1 : 0;
	}
	return paren == 0 && bracket == 0;
}

double dhchap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
