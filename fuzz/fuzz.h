/*
 * What every harness shares. A harness is in process and deterministic: no
 * sockets, threads or timers (issue 16), so that libFuzzer's coverage and
 * its replay of a saved input mean something.
 */
#ifndef NVMF_FUZZ_H
#define NVMF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a NUL-terminated string (parsers of text take C strings); NULL
 * when it holds a NUL itself, since no caller could pass such a string. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s;

	if (memchr(data, 0, size))
		return NULL;
	s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

#endif
