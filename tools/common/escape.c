/*
 * Escaping of strings from a target before the tools print them (see
 * escape.h for why).
 */
#include "escape.h"

static int printable(unsigned char ch)
{
	return ch >= 0x20 && ch <= 0x7e;
}

char *tc_escape(char *dst, size_t dstsz, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)src;
	size_t o = 0;

	for (; *p; p++) {
		if (printable(*p)) {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = (char)*p;
			continue;
		}
		if (o + 4 >= dstsz)
			break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[*p >> 4];
		dst[o++] = hex[*p & 15];
	}
	dst[o] = '\0';
	return dst;
}
