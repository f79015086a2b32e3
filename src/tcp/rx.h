/*
 * NVMe/TCP receive framing: turns a byte stream into validated PDUs.
 *
 * One instance per connection. It reads into a staging buffer and parses
 * as many PDUs as one read brought; when a PDU's data is large, it hands
 * the reader the destination buffer itself so the bytes land in place
 * (tcp_rx_get_buf for libuv's alloc callback, tcp_rx_commit after the read).
 * No allocation after tcp_rx_init().
 */
#ifndef NVMF_TCP_RX_H
#define NVMF_TCP_RX_H

#include "tcp/pdu.h"

struct tcp_rx;

struct tcp_rx_ops {
	/*
	 * A PDU's header arrived and passed tcp_check_ch/tcp_check_hdr. If the
	 * PDU carries data (lay->datal > 0; TermReq data excepted, which the
	 * framer keeps itself), set *dst to where the datal bytes go (for
	 * C2HData the command's buffer at DATAO, after tcp_check_data_range),
	 * or to lay->inplace when that is set and the data is consumed (or
	 * copied) before on_pdu returns: the bytes are then not copied at all.
	 * Called for every PDU, TermReqs and data-less PDUs included (*dst is
	 * then ignored). Leaving *dst NULL for data fails with -EINVAL.
	 * Return 0, or -EPROTO with err filled to fail the connection.
	 */
	int (*on_hdr)(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		      const struct tcp_rx_layout *lay, void **dst, struct tcp_err *err);
	/*
	 * The whole PDU is in: data (at *dst, or the framer's copy for a
	 * TermReq) and its digest. ddgst_ok is false on a data digest mismatch:
	 * fail that one command (not fatal). Return 0 or -EPROTO with err.
	 * The callee may call tcp_rx_set_params() here (after ICResp/ICReq).
	 */
	int (*on_pdu)(void *arg, const union nvmf_tcp_pdu_hdr *hdr,
		      const struct tcp_rx_layout *lay, void *data, bool ddgst_ok,
		      struct tcp_err *err);
};

enum tcp_rx_state {
	TCP_RX_CH,		/* collecting the 8-byte common header */
	TCP_RX_HDR,		/* collecting the rest of the header and its digest */
	TCP_RX_PAD,		/* skipping PAD up to PDO */
	TCP_RX_DATA,		/* data into the destination */
	TCP_RX_DDGST,		/* data digest */
	TCP_RX_DEAD,		/* a fatal error was reported; nothing more is parsed */
};

struct tcp_rx {
	const struct tcp_rx_ops *ops;
	void    *arg;
	struct tcp_params params;
	bool     ic_done;		/* the IC PDU has been received */
	enum tcp_rx_state state;
	union nvmf_tcp_pdu_hdr hdr;	/* current header (aligned copy) */
	uint8_t  hbuf[NVMF_TCP_HLEN_MAX + NVMF_TCP_DIGEST_LEN];
	uint32_t have;			/* bytes of the current section received */
	struct tcp_rx_layout lay;
	uint8_t *dst;			/* data destination */
	bool     inplace;		/* dst points into the bytes being parsed */
	uint8_t  term_data[NVMF_TCP_TERM_DATA_MAX];
	uint8_t  ddgst[NVMF_TCP_DIGEST_LEN];
	uint8_t *stage;			/* staging buffer for reads */
	size_t   stage_size;
	size_t   stage_pos, stage_len;	/* unparsed bytes in stage */
	bool     direct;		/* last buffer handed out was dst itself */
	bool     bulk;			/* the last data PDU was large: short staging reads */
	struct tcp_err err;		/* set when a call returns -EPROTO */
};

/* Staging size must be at least 4 KiB; 64 KiB suits throughput. */
#define TCP_RX_STAGE_MIN  4096
int  tcp_rx_init(struct tcp_rx *rx, const struct tcp_params *p, size_t stage_size,
		 const struct tcp_rx_ops *ops, void *arg);
/* As tcp_rx_init(), with a staging buffer the caller allocated (malloc):
 * rx owns it once this returns 0 (tcp_rx_free frees it). */
int  tcp_rx_init_with(struct tcp_rx *rx, const struct tcp_params *p, uint8_t *stage,
		      size_t stage_size, const struct tcp_rx_ops *ops, void *arg);
void tcp_rx_free(struct tcp_rx *rx);
void tcp_rx_set_params(struct tcp_rx *rx, const struct tcp_params *p);

/* Where the next read should land and how much it may bring. */
void tcp_rx_get_buf(struct tcp_rx *rx, void **buf, size_t *len);
/* n bytes were read into the last tcp_rx_get_buf() buffer: parse them.
 * Returns 0 or a negative errno; -EPROTO leaves rx->err with FES/FEI. */
int  tcp_rx_commit(struct tcp_rx *rx, size_t n);
/* Copy-in form (tests, fake peers): feed any number of bytes. */
int  tcp_rx_feed(struct tcp_rx *rx, const void *data, size_t n);

/*
 * After -EPROTO: the bytes of the offending PDU's header that arrived, for
 * the data of the TermReq (3.6.2.4): the 8-byte CH when the CH itself was
 * refused (its HLEN is not to be trusted), else HLEN bytes, at most
 * NVMF_TCP_TERM_DATA_MAX. Returns the length and sets *hdr.
 */
size_t tcp_rx_err_hdr(const struct tcp_rx *rx, const void **hdr);

/*
 * For a timeout's message: whether the connection stopped inside a PDU,
 * and where ("a CapsuleResp PDU: 5 of its 24 header bytes"), into buf.
 * Returns 0 (buf untouched) between PDUs.
 */
size_t tcp_rx_partial(const struct tcp_rx *rx, char *buf, size_t len);

#endif /* NVMF_TCP_RX_H */
