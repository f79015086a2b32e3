/*
 * nvmf-fuse: the op engine behind the data path (see op.c).
 */
#ifndef NVMF_FUSE_OP_H
#define NVMF_FUSE_OP_H

#include "nvmf_fuse.h"

#define OP_WINDOW 32
#define MAX_SEGS  3
/* Deallocate ranges carry a 32-bit length (NVMe NVM Command Set 1.0,
 * 3.2.3); keep each command's share modest. */
#define DEALLOC_CHUNK (1u << 20)

enum seg_kind { SEG_READ, SEG_WRITE, SEG_WZ, SEG_DEALLOC, SEG_ZEROS, SEG_FLUSH };

struct seg {
	enum seg_kind kind;
	char         *buf;	/* READ, WRITE: advances with the cursor */
	uint64_t      slba;
	uint64_t      nblk;	/* FLUSH: 1 */
	unsigned      flags;
};

struct op;
typedef void (*op_step)(struct op *op);

/*
 * One command of an op, from its submission to its completion: what a
 * completion needs to send those blocks again, cut smaller, when the
 * controller came back from an outage with a smaller transfer limit
 * (op.c, sub_done()). Then `left` keeps the blocks from slba on that are
 * still to be transferred, and the slot sends them one command at a time.
 */
struct cmd {
	struct op     *op;
	enum seg_kind  kind;
	char          *buf;	/* READ, WRITE: the data of slba */
	uint64_t       slba;
	uint32_t       nlb;	/* the command in flight (FLUSH: 1) */
	uint32_t       left;	/* blocks from slba not yet transferred, >= nlb */
	unsigned       flags;
	bool           recut;	/* waiting to be sent again, cut smaller */
};

/* Room for the library's text of a failure. */
#define OP_WHY_MAX NF_WHY_MAX

struct op {
	struct nf_ctx  *x;
	fuse_req_t      req;
	const char     *what;		/* "read", "write", "fsync", "fallocate" */
	struct nf_ns   *ns;		/* for the lock table; lives until exit */
	struct nf_ns    nsc;		/* snapshot of size, LBA size, features */
	uint64_t        off;
	size_t          len;
	int             mode;		/* fallocate */
	uint64_t        sblk, eblk;	/* blocks covered */
	char           *buf;		/* covered blocks (read, write), from the pool */
	size_t          buf_len;
	char           *rbuf;		/* or, a large write's, in the request it
					 * came in: that receive buffer (session.c) */
	char           *scratch;	/* partial edge blocks, 2 x lba_size, from the pool */
	size_t          scratch_len;
	/* What SEG_ZEROS writes: the engine's zero buffer, or (zero_own)
	 * one block of zeroes from the pool where a block is larger. */
	const char     *zero;
	size_t          zero_len;
	bool            zero_own;
	bool            head_partial, tail_partial;
	struct rl_entry lk;
	bool            locked;

	pthread_mutex_t mu;
	struct seg      segs[MAX_SEGS];
	int             nsegs, cur;
	unsigned        inflight;
	/* Slots of the commands in flight and of those waiting to be cut
	 * again (recut of them); bit i of cmds_used: cmds[i] taken. At most
	 * OP_WINDOW: a slot in flight or waiting is one window place. */
	uint32_t        cmds_used;
	unsigned        recut;
	bool            submitting;
	int             err;		/* first failure, negative errno */
	uint16_t        status;
	char            why[OP_WHY_MAX];	/* the library's text of it ("" if local) */
	op_step         next;		/* after the current phase */
	struct op      *starved_next;	/* in the credit wait list */
	bool            starved;
	bool            phase_done;	/* the step after this phase ran (under mu) */
	atomic_int      refs;		/* owner + a credit_give() resuming it */
	/* Last, and not zeroed by op_new() (OP_ZEROED): 1.5 KiB that a
	 * request's first cache lines need not share, each slot filled when
	 * taken (cmd_take() and its caller). */
	struct cmd      cmds[OP_WINDOW];
};

/* The bytes of a new op that start zeroed: all but cmds[]. */
#define OP_ZEROED offsetof(struct op, cmds)

/* A new op (what: "read"...) for the namespace file ino, or NULL with the
 * request answered. */
struct op *op_new(fuse_req_t req, fuse_ino_t ino, const char *what);
/* The op's buffer for the covered blocks, and scratch for 2 edge blocks
 * (from the pool, given back by op_free()); 0 or -ENOMEM. */
int op_alloc_buf(struct op *op);
int op_alloc_scratch(struct op *op);
/* Set op->zero to at least one block of zeroes; 0 or -ENOMEM. */
int op_alloc_zero(struct op *op);
/* Drop a reference; the owner's goes with the reply. */
void op_free(struct op *op);
/* Answer the request with the op's error, report it on stderr (see
 * op.c) and free the op. */
void op_fail_reply(struct op *op);
/* Phases: reset, add up to MAX_SEGS segments, start; next runs when done. */
void phase_reset(struct op *op);
void op_add(struct op *op, enum seg_kind kind, char *buf, uint64_t slba, uint64_t nblk,
	    unsigned flags);
void phase_start(struct op *op, op_step next);
/* The byte range [off, off + len) and the blocks it covers. */
void op_cover(struct op *op, uint64_t off, size_t len);
/* Hold the covered blocks; step runs now or once they are granted. */
void op_lock(struct op *op, op_step step);

#endif
