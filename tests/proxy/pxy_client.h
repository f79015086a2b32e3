/*
 * The tests' side of nvmf-fault-proxy (README.md): start it towards an
 * upstream port with its options, read its port, stop it and read its
 * summary line. Shared by the programs of tests/proxy; cmocka asserts.
 */
#ifndef NVMF_TESTS_PXY_CLIENT_H
#define NVMF_TESTS_PXY_CLIENT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pxy {
	pid_t pid;
	int in;			/* its stdin: closing it stops it (--stdin-eof) */
	int out;		/* its stdout */
	int port;		/* where it listens */
	unsigned conns, fired;	/* from its summary line */
	uint64_t up, down;
	char buf[1024];
	size_t len;
};

/* Starts bin towards 127.0.0.1:upstream with the given options (NULL-ended). */
void pxy_start(struct pxy *x, const char *bin, const char *upstream, ...);
/* Stops it (stdin EOF) and reads its summary line into x. */
void pxy_stop(struct pxy *x);
/* One line of its stdout: 0, or -1 at EOF or after 10 s. */
int pxy_line(struct pxy *x, char *line, size_t max);

#endif
