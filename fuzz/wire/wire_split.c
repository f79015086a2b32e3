/* Cutting a wire harness's input into reads (wire.h). */
#include "wire.h"

bool wire_next_chunk(const uint8_t **p, const uint8_t *end, struct wire_chunk *c)
{
	uint8_t ctl;
	size_t len;

	if (*p >= end)
		return false;
	ctl = *(*p)++;
	len = (size_t)(ctl & 0x3f) + 1;
	if (ctl & 0x40)
		len *= 128;
	if (len > (size_t)(end - *p))
		len = (size_t)(end - *p);
	c->data = *p;
	c->len = len;
	c->flag = (ctl & 0x80) != 0;
	*p += len;
	return true;
}

/*
 * Each input creates and frees a connection with its 64 KiB buffers. With
 * ASan's default 256 MiB quarantine every input then touches fresh pages
 * (page faults and the kernel's zeroing were most of the time per input);
 * 32 MiB still holds the memory of the last hundred inputs or so, which is
 * what a use after free within one input needs.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16:allocator_release_to_os_interval_ms=-1:max_malloc_fill_size=0";
}
