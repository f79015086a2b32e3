/*
 * A byte queue as an OpenSSL BIO: what the TLS engine (tcp/tls.c) runs over
 * instead of BIO_s_mem().
 *
 * Why not the memory BIO: OpenSSL's BIO_s_mem() zeroes the room it grows
 * into on every write (BUF_MEM_grow_clean), moves the unread rest to the
 * front before each write after a read, and zeroes the whole buffer on
 * reset; a profile of 128 KiB reads over TLS spent more time there (memset,
 * memmove, page faults of buffers reallocated past glibc's mmap threshold)
 * than in AES-GCM. This queue keeps one buffer that only grows, appends at
 * the tail, reads from the head, and starts over at offset 0 whenever it
 * runs empty, which under NVMe/TCP's request/response traffic is almost
 * every time; it moves bytes to the front only when an append would not fit
 * otherwise.
 *
 * Reading an empty queue is "retry" (never end of file): the peer's bytes
 * simply have not come yet. Ciphertext is not secret, so nothing is wiped.
 *
 * Internal (prefix tcp_tls_bio_), compiled only with OpenSSL.
 */
#ifndef NVMF_TCP_TLS_BIO_H
#define NVMF_TCP_TLS_BIO_H

#include <stddef.h>

#include <openssl/bio.h>

/* A new queue BIO with room for initial bytes (it grows as needed). */
BIO *tcp_tls_bio_new(size_t initial);

/* Bytes waiting in the queue. */
size_t tcp_tls_bio_pending(BIO *b);
/* The waiting bytes in one piece (NULL if none); valid until the next write. */
const void *tcp_tls_bio_peek(BIO *b, size_t *len);
/* Drop the first n waiting bytes. */
void tcp_tls_bio_consume(BIO *b, size_t n);
/* Append len bytes: 0, or -1 out of memory. */
int tcp_tls_bio_append(BIO *b, const void *buf, size_t len);

/*
 * Zero-copy input: room for at least want bytes at the tail (*p, *len),
 * then tcp_tls_bio_produced() with what was written there (a socket read).
 * 0, or -1 out of memory.
 */
int  tcp_tls_bio_space(BIO *b, size_t want, void **p, size_t *len);
void tcp_tls_bio_produced(BIO *b, size_t n);

/*
 * Zero-copy output: every waiting byte, handed over with the buffer that
 * holds it (NULL if none); the queue goes on in a spare buffer, so the
 * taken one stays untouched, whatever is appended, until it is given back
 * with tcp_tls_bio_give_back(). One buffer may be out at a time.
 */
void *tcp_tls_bio_take(BIO *b, size_t *len);
void tcp_tls_bio_give_back(BIO *b, void *buf);

#endif /* NVMF_TCP_TLS_BIO_H */
