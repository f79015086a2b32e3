/*
 * Minimal classic-pcap writer for the independent judge: it frames byte
 * streams as a TCP/IPv4 conversation over Ethernet (LINKTYPE_ETHERNET) with
 * a three-way handshake, correct sequence and acknowledgement numbers,
 * IPv4 and TCP checksums and a FIN exchange, so that a dissector (tshark)
 * can reassemble and decode the NVMe/TCP PDUs carried in it.
 *
 * Test helper only: nothing here is part of libnvmf.
 */
#ifndef NVMF_TESTS_JUDGE_PCAPW_H
#define NVMF_TESTS_JUDGE_PCAPW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pcapw {
	FILE     *f;
	uint32_t  nframes;	/* frames written so far (tshark numbers from 1) */
	uint64_t  ts_us;	/* timestamp of the next frame */
	uint16_t  ip_id;
};

int pcapw_open(struct pcapw *w, const char *path);
int pcapw_close(struct pcapw *w);

/* Side 0 is the host (client), side 1 the controller (port 4420). */
enum { TCONV_HOST = 0, TCONV_CTRL = 1 };

#define TCONV_MSS 1460

/*
 * One TCP connection. Bytes written to a side are buffered until flushed;
 * a flush cuts them into segments (at most TCONV_MSS, or following the
 * segment-size pattern if one is set, so that PDU headers and data get
 * split across segments), then the peer acknowledges them.
 */
struct tconv {
	struct pcapw   *w;
	uint32_t        addr[2];	/* IPv4, host byte order */
	uint16_t        port[2];
	uint32_t        seq[2];		/* next sequence number each side sends */
	uint8_t        *buf[2];
	size_t          len[2], cap[2];
	/* PDU ends within the pending bytes, and where to store their frame */
	size_t          mark_off[2][64];
	uint32_t       *mark_frame[2][64];
	int             nmarks[2];
	const uint32_t *pattern;	/* segment sizes, cycled; NULL: MSS */
	size_t          npattern, pattern_i;
};

int tconv_open(struct tconv *c, struct pcapw *w, uint16_t host_port, uint16_t ctrl_port,
	       uint32_t host_isn, uint32_t ctrl_isn);
int tconv_write(struct tconv *c, int side, const void *data, size_t len);
/* Records that a PDU ends here: *frame receives the (1-based) frame number
 * of the segment that carries its last byte once it is flushed. */
int tconv_mark(struct tconv *c, int side, uint32_t *frame);
int tconv_flush(struct tconv *c, int side);
/* Flushes both sides, exchanges FINs and frees the buffers. */
int tconv_close(struct tconv *c);

#endif /* NVMF_TESTS_JUDGE_PCAPW_H */
