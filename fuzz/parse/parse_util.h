/*
 * What the parser harnesses share beyond fuzz.h: silencing the tools' own
 * messages, and turning an input into an argument vector.
 */
#ifndef NVMF_FUZZ_PARSE_UTIL_H
#define NVMF_FUZZ_PARSE_UTIL_H

#include "fuzz.h"

#include <stdio.h>

/*
 * The tools print every error to stderr (and --help to stdout): per input
 * that is a write(2), which would cost most of a run's time. The library
 * calls fprintf(stderr, ...) through the stderr variable, which is
 * assignable in glibc and FreeBSD's libc; libFuzzer took its own copy of
 * the stream before main() and sanitizer reports go to fd 2 directly, so
 * only the code under test is silenced. A fully buffered /dev/null costs
 * one write per 64 KiB. Call once, from LLVMFuzzerInitialize.
 */
static inline void fuzz_quiet_stdio(void)
{
	static char obuf[1 << 16], ebuf[1 << 16];
	FILE *out = fopen("/dev/null", "w"), *err = fopen("/dev/null", "w");

	if (!out || !err)
		abort();
	setvbuf(out, obuf, _IOFBF, sizeof(obuf));
	setvbuf(err, ebuf, _IOFBF, sizeof(ebuf));
	stdout = out;
	stderr = err;
}

/*
 * ASan keeps 256 MiB of freed memory from reuse by default, so that a use
 * after free finds poison: at tens of thousands of inputs a second, each
 * allocating a few KiB, that is a fresh page (a page fault) for most
 * allocations, half the run's time. 16 MiB still outlasts any one input's
 * allocations many times over, which is the window a harness needs.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

/* At most this many arguments: more only repeats what fewer exercise. */
#define FUZZ_MAX_ARGS 64

/*
 * The input as argv: argv[0] is prog, then one argument per NUL-separated
 * piece (a trailing NUL ends the last one; an empty piece is an empty
 * argument). The pieces are copied into *store (free() it): writable, as
 * the tools may wipe an argument (a key given on the command line).
 * Returns argc.
 */
static inline int fuzz_argv(const uint8_t *data, size_t size, char *prog, char **argv,
			    char **store)
{
	char *s = malloc(size + 1);
	int argc = 1;
	size_t i = 0;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	argv[0] = prog;
	while (i < size && argc < FUZZ_MAX_ARGS) {
		argv[argc++] = s + i;
		i += strlen(s + i) + 1;
	}
	argv[argc] = NULL;
	*store = s;
	return argc;
}

#endif
