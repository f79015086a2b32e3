/*
 * What the wire harnesses share: how an input is cut into reads, and the
 * loop that runs without sockets.
 *
 * Input layout: byte 0 configures the harness; after it, chunks, each a
 * control byte then the bytes of one read:
 *   bits 5:0  length - 1 (1..64), times 128 when bit 6 is set (up to 8 KiB),
 *             so PDUs arrive whole, in pieces, or several in one read, and
 *             the framer's direct reads into data buffers (4 KiB and more
 *             missing) run too;
 *   bit 7     the harness's own use (host_rx: finish the write in flight
 *             before this read; target_rx: which of two connections).
 * A chunk longer than the rest of the input takes what is left.
 */
#ifndef FUZZ_WIRE_H
#define FUZZ_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire_chunk {
	const uint8_t *data;
	size_t   len;
	bool     flag;		/* bit 7 */
};

/* The next chunk of [*p, end): false when none is left. */
bool wire_next_chunk(const uint8_t **p, const uint8_t *end, struct wire_chunk *c);

#endif
