/*
 * Copying written data into a RAM namespace.
 *
 * A RAM namespace is far larger than the caches and written at random, so
 * each Write's destination is cold: an ordinary copy first reads every
 * destination line into the cache (read for ownership) only to overwrite
 * it, and evicts data the loop will need again (socket buffers, requests).
 * Streaming (non-temporal) stores write around the cache. On this project's
 * 2-core benchmark VM, into a 1 GiB store at random offsets, memcpy took
 * 0.45 us per 4 KiB and 8.0 us per 128 KiB, streaming stores 0.25 and
 * 4.9 us; for 128 KiB writes the copy was 41% of nvmf-target's time
 * (BENCHMARKS.md, profiles). Against nvmf-perf (pinned, medians of four
 * interleaved rounds) nvmf-target's CPU per I/O went from 24.8 to 21.9 us
 * for 128 KiB writes at QD8 and from 1.91 to 1.65 us for 4 KiB random
 * writes at QD32. SSE2 is part of x86-64, so no CPU check is needed; other
 * machines use memcpy.
 */
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#endif

#include "controller/ctl.h"

/* Below this a copy is a few cache lines: not worth the fence. */
#define RAM_STREAM_MIN 512

void ctl_ram_store(uint8_t *dst, const uint8_t *src, size_t n)
{
#if defined(__x86_64__) || defined(_M_X64)
	size_t head = (16 - ((uintptr_t)dst & 15)) & 15;

	if (n < RAM_STREAM_MIN) {
		memcpy(dst, src, n);
		return;
	}
	/* Streaming stores want 16-byte aligned destinations; LBAs are, but
	 * the first bytes of an odd one go the ordinary way. */
	memcpy(dst, src, head);
	dst += head;
	src += head;
	n -= head;
	for (; n >= 64; n -= 64, dst += 64, src += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)src);
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + 32));
		__m128i d = _mm_loadu_si128((const __m128i *)(const void *)(src + 48));

		_mm_stream_si128((__m128i *)(void *)dst, a);
		_mm_stream_si128((__m128i *)(void *)(dst + 16), b);
		_mm_stream_si128((__m128i *)(void *)(dst + 32), c);
		_mm_stream_si128((__m128i *)(void *)(dst + 48), d);
	}
	memcpy(dst, src, n);
	/* Streaming stores are weakly ordered: fence them before the
	 * command completes and a Read on this loop sends these bytes. */
	_mm_sfence();
#else
	memcpy(dst, src, n);
#endif
}
