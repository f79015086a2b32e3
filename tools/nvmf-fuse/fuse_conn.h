/*
 * nvmf-fuse: what it asks of the FUSE connection at init. A header of its
 * own so that bench/fuse-null, FUSE's bound for nvmf-fuse, is measured with
 * exactly these settings. Include after <fuse_lowlevel.h>.
 */
#ifndef NF_FUSE_CONN_H
#define NF_FUSE_CONN_H

/* Largest FUSE read/write: 1 MiB moves large sequential I/O in few requests
 * (the kernel's FUSE_MAX_MAX_PAGES is 256 pages). */
#define NF_MAX_IO (1u << 20)

static inline void nf_fuse_conn_want(struct fuse_conn_info *conn)
{
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_ASYNC_DIO)
		conn->want |= FUSE_CAP_ASYNC_DIO;
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
	/* Large requests and enough of them in flight to keep several I/O
	 * queues busy: the kernel defaults (12 background requests) starve
	 * a network device. Reads are 1 MiB too: libfuse derives max_pages
	 * from max_write (256 pages), and max_read is left to the mount
	 * option, unset, so unlimited (libfuse refuses an init() whose
	 * max_read differs from it). A 4 MiB O_DIRECT read or write arrives
	 * as four 1 MiB requests.
	 *
	 * No splice (FUSE_CAP_SPLICE_READ/WRITE/MOVE): measured with fio,
	 * it did not win. Replies from memory with fuse_reply_data() go
	 * through a pipe (written, then spliced: a copy more than writev) and
	 * cost 128 KiB reads 8-13% of their IOPS; splice read costs every
	 * request a pipe read and did not make 128 KiB writes faster, even
	 * with write_buf taking the data from the pipe straight into the op's
	 * buffer. */
	conn->max_write = NF_MAX_IO;
	conn->max_readahead = NF_MAX_IO;
	conn->max_background = 64;
	conn->congestion_threshold = 48;
}

#endif /* NF_FUSE_CONN_H */
