/*
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) for NVMe/TCP header
 * and data digests.
 *
 * NVMe/TCP 1.0, 3.6.1.1 (Digests) defines HDGST and DDGST as the CRC32C of
 * RFC 3720, 12.1: register seeded with all ones, bits processed LSB first,
 * final value complemented, stored little-endian.
 *
 * The register-level primitive is tcp_crc32c_update(): it takes and returns
 * the raw (uninverted) register, so callers chain pieces of a PDU by seeding
 * with ~0 and inverting once at the end. ISA-L's crc32_iscsi() has exactly
 * that convention (no pre- or post-inversion: SPDK's spdk_crc32c_update()
 * passes its register straight through), which the unit tests check against
 * the portable code and the RFC 3720 B.4 vectors.
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "tcp/pdu.h"

#ifdef NVMF_HAVE_ISAL
#include <isa-l/crc.h>
#endif

#define CRC32C_POLY_REFLECTED 0x82F63B78u

/*
 * Slicing-by-8 tables: tab[0] is the classic byte table; tab[k][b] is the
 * CRC of byte b followed by k zero bytes, so eight table look-ups advance the
 * register over eight input bytes at once. Built once, thread-safely.
 */
static uint32_t crc_tab[8][256];
static pthread_once_t crc_tab_once = PTHREAD_ONCE_INIT;

static void crc_tab_build(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = b;
		for (int i = 0; i < 8; i++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY_REFLECTED : 0);
		crc_tab[0][b] = c;
	}
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = crc_tab[0][b];
		for (int k = 1; k < 8; k++) {
			c = crc_tab[0][c & 0xff] ^ (c >> 8);
			crc_tab[k][b] = c;
		}
	}
}

uint32_t tcp_crc32c_portable_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&crc_tab_once, crc_tab_build);

	/* Bytes one at a time up to an 8-byte boundary of the address. */
	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		/* Load as little-endian so the result is right on any host. */
		uint32_t lo = nvmf_get_le32(p) ^ crc;
		uint32_t hi = nvmf_get_le32(p + 4);

		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		      crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		      crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		      crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#ifdef NVMF_HAVE_ISAL
uint32_t tcp_crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	/* crc32_iscsi() takes an int length and a non-const pointer (it
	 * never writes through it): feed it in pieces below INT_MAX. */
	while (len > 0) {
		size_t n = len > (size_t)(INT_MAX & ~63) ? (size_t)(INT_MAX & ~63) : len;

		crc = crc32_iscsi((unsigned char *)(uintptr_t)p, (int)n, crc);
		p += n;
		len -= n;
	}
	return crc;
}

const char *tcp_crc32c_impl(void)
{
	return "isa-l";
}
#else
uint32_t tcp_crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	return tcp_crc32c_portable_update(crc, buf, len);
}

const char *tcp_crc32c_impl(void)
{
	return "portable";
}
#endif

uint32_t tcp_crc32c(const void *buf, size_t len)
{
	return ~tcp_crc32c_update(~0u, buf, len);
}

uint32_t tcp_data_digest(const struct iovec *iov, int iovcnt)
{
	uint32_t crc = ~0u;

	for (int i = 0; i < iovcnt; i++)
		crc = tcp_crc32c_update(crc, iov[i].iov_base, iov[i].iov_len);
	return ~crc;
}
