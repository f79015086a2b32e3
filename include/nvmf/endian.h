/*
 * libnvmf - explicit little-endian conversion.
 *
 * Every multi-byte field on the NVMe and NVMe/TCP wire is little-endian
 * (NVMe Base 2.0, 1.4.1 "Byte, word, dword and qword relationships").
 * The wire structures in <nvmf/nvme.h> and <nvmf/nvme_tcp.h> store raw
 * little-endian values; these helpers convert to and from CPU order so the
 * same code is right on big-endian hosts. They rely on the compiler's
 * __BYTE_ORDER__ (gcc, clang) rather than <endian.h> or <sys/endian.h>,
 * which differ between Linux and FreeBSD.
 */
#ifndef NVMF_ENDIAN_H
#define NVMF_ENDIAN_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "libnvmf needs a compiler that defines __BYTE_ORDER__ (gcc or clang)"
#endif

/* Compile-time layout checks usable from C11 and C++11 headers. */
#if defined(__cplusplus)
#define NVMF_STATIC_ASSERT static_assert
#else
#define NVMF_STATIC_ASSERT _Static_assert
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline uint16_t nvmf_htole16(uint16_t v) { return v; }
static inline uint32_t nvmf_htole32(uint32_t v) { return v; }
static inline uint64_t nvmf_htole64(uint64_t v) { return v; }
#else
static inline uint16_t nvmf_htole16(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t nvmf_htole32(uint32_t v) { return __builtin_bswap32(v); }
static inline uint64_t nvmf_htole64(uint64_t v) { return __builtin_bswap64(v); }
#endif

/* Conversion is its own inverse. */
static inline uint16_t nvmf_le16toh(uint16_t v) { return nvmf_htole16(v); }
static inline uint32_t nvmf_le32toh(uint32_t v) { return nvmf_htole32(v); }
static inline uint64_t nvmf_le64toh(uint64_t v) { return nvmf_htole64(v); }

/* Unaligned loads and stores of little-endian values at any address. */
static inline uint16_t nvmf_get_le16(const void *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return nvmf_le16toh(v);
}

static inline uint32_t nvmf_get_le32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return nvmf_le32toh(v);
}

static inline uint64_t nvmf_get_le64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return nvmf_le64toh(v);
}

static inline void nvmf_put_le16(void *p, uint16_t v)
{
	v = nvmf_htole16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void nvmf_put_le32(void *p, uint32_t v)
{
	v = nvmf_htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void nvmf_put_le64(void *p, uint64_t v)
{
	v = nvmf_htole64(v);
	memcpy(p, &v, sizeof(v));
}

#ifdef __cplusplus
}
#endif

#endif /* NVMF_ENDIAN_H */
