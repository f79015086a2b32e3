/*
 * nvmf-fuse: an asynchronous byte-range lock table.
 *
 * Writes take the range of logical blocks they touch. A sub-block write is a
 * read-modify-write of its first and last blocks: if another write to the
 * same blocks ran between the read and the write, one of the two updates
 * would be lost. Holding the block range across the whole sequence
 * serializes overlapping writes; writes to disjoint blocks run in parallel.
 *
 * The lock never blocks a thread: completion callbacks run on the library's
 * I/O thread, which must not sleep. A request that conflicts is queued and
 * its grant function is called later, from the thread that released the
 * conflicting range. Waiters are granted in arrival order among those that
 * overlap, so a stream of small writes cannot starve a large one.
 */
#ifndef NVMF_FUSE_RANGELOCK_H
#define NVMF_FUSE_RANGELOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct rl_entry;
typedef void (*rl_grant_fn)(struct rl_entry *e);

struct rl_entry {
	uint64_t         start;	/* first unit (block) */
	uint64_t         end;	/* one past the last unit */
	rl_grant_fn      grant;	/* called when a queued entry is granted */
	void            *user;
	struct rl_entry *next;	/* internal */
	struct rl_entry *prev;	/* internal */
	struct rl_entry *gnext;	/* internal: grants to run after unlocking */
	bool             held;	/* internal */
};

struct rl_table {
	pthread_mutex_t  mu;
	struct rl_entry *held;		/* granted ranges, unordered */
	struct rl_entry *wait_head;	/* waiters in arrival order */
	struct rl_entry *wait_tail;
	unsigned         nr_held;
	unsigned         nr_waiting;
};

int rl_init(struct rl_table *t);
/* The table must be empty (no holder, no waiter). */
void rl_destroy(struct rl_table *t);

/*
 * Ask for [e->start, e->end). Returns true if granted at once (e->grant is
 * not called), false if queued (e->grant will be called once it is held).
 * An empty range (start >= end) is always granted at once.
 */
bool rl_lock(struct rl_table *t, struct rl_entry *e);
/* Release a held range; grants the waiters it was blocking (their grant
 * functions run on this thread, after the table's mutex is dropped). */
void rl_unlock(struct rl_table *t, struct rl_entry *e);

/* Counts, for tests and the state record. */
void rl_counts(struct rl_table *t, unsigned *held, unsigned *waiting);

#endif
