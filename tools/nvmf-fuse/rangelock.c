/*
 * nvmf-fuse: asynchronous byte-range lock table (see rangelock.h).
 *
 * A handful of writes are in flight at a time (bounded by the kernel's
 * max_background and the op engine's credits), so plain lists beat a tree.
 */
#include "rangelock.h"

#include <assert.h>
#include <stddef.h>

static bool overlaps(const struct rl_entry *a, const struct rl_entry *b)
{
	return a->start < b->end && b->start < a->end;
}

static bool empty(const struct rl_entry *e)
{
	return e->start >= e->end;
}

int rl_init(struct rl_table *t)
{
	t->held = NULL;
	t->wait_head = t->wait_tail = NULL;
	t->nr_held = t->nr_waiting = 0;
	return -pthread_mutex_init(&t->mu, NULL);
}

void rl_destroy(struct rl_table *t)
{
	assert(!t->held && !t->wait_head);
	pthread_mutex_destroy(&t->mu);
}

static bool conflicts_held(struct rl_table *t, const struct rl_entry *e)
{
	for (const struct rl_entry *h = t->held; h; h = h->next)
		if (overlaps(h, e))
			return true;
	return false;
}

static void held_push(struct rl_table *t, struct rl_entry *e)
{
	e->held = true;
	e->prev = NULL;
	e->next = t->held;
	if (t->held)
		t->held->prev = e;
	t->held = e;
	t->nr_held++;
}

static void held_remove(struct rl_table *t, struct rl_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		t->held = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->next = e->prev = NULL;
	e->held = false;
	t->nr_held--;
}

static void wait_remove(struct rl_table *t, struct rl_entry *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		t->wait_head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		t->wait_tail = w->prev;
	w->next = w->prev = NULL;
	t->nr_waiting--;
}

bool rl_lock(struct rl_table *t, struct rl_entry *e)
{
	bool granted;

	e->next = e->prev = e->gnext = NULL;
	e->held = false;
	if (empty(e))
		return true;
	pthread_mutex_lock(&t->mu);
	/* Arrival order among overlapping requests: an earlier waiter on any
	 * of our blocks goes first, even if the blocks are free right now. */
	granted = !conflicts_held(t, e);
	for (const struct rl_entry *w = t->wait_head; granted && w; w = w->next)
		if (overlaps(w, e))
			granted = false;
	if (granted) {
		held_push(t, e);
	} else {
		e->prev = t->wait_tail;
		if (t->wait_tail)
			t->wait_tail->next = e;
		else
			t->wait_head = e;
		t->wait_tail = e;
		t->nr_waiting++;
	}
	pthread_mutex_unlock(&t->mu);
	return granted;
}

void rl_unlock(struct rl_table *t, struct rl_entry *e)
{
	struct rl_entry *grants = NULL, **gtail = &grants;
	struct rl_entry *w, *next;

	if (empty(e) || !e->held)
		return;
	pthread_mutex_lock(&t->mu);
	held_remove(t, e);
	for (w = t->wait_head; w; w = next) {
		bool ok = !conflicts_held(t, w);

		next = w->next;
		/* Not past an earlier waiter that overlaps and is still waiting. */
		for (const struct rl_entry *p = t->wait_head; ok && p != w; p = p->next)
			if (overlaps(p, w))
				ok = false;
		if (!ok)
			continue;
		wait_remove(t, w);
		held_push(t, w);
		w->gnext = NULL;
		*gtail = w;
		gtail = &w->gnext;
	}
	pthread_mutex_unlock(&t->mu);
	/* Grant functions may take or release other ranges: run them unlocked.
	 * Read gnext first: a grant may finish and free its entry at once. */
	for (w = grants; w; w = next) {
		next = w->gnext;
		w->grant(w);
	}
}

void rl_counts(struct rl_table *t, unsigned *held, unsigned *waiting)
{
	pthread_mutex_lock(&t->mu);
	if (held)
		*held = t->nr_held;
	if (waiting)
		*waiting = t->nr_waiting;
	pthread_mutex_unlock(&t->mu);
}
