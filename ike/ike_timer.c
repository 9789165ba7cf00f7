/* Timers: a binary min-heap with one entry per IKE SA keyed by the SA's
 * earliest deadline (retransmission, rekey, liveness, expiry). Anything that
 * may move a deadline marks the SA dirty; the engine re-arms dirty SAs once
 * at the end of each entry point, so no per-field bookkeeping is needed and
 * a tick never scans idle SAs. */
#include <stdlib.h>

#include "ike/ike_priv.h"

static void swap(struct ike_engine *e, size_t a, size_t b)
{
	struct ike_sa *t = e->heap[a];

	e->heap[a] = e->heap[b];
	e->heap[b] = t;
	e->heap[a]->heap_idx = a + 1;
	e->heap[b]->heap_idx = b + 1;
}

static void sift_up(struct ike_engine *e, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (e->heap[p]->deadline <= e->heap[i]->deadline)
			break;
		swap(e, p, i);
		i = p;
	}
}

static void sift_down(struct ike_engine *e, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < e->heap_n && e->heap[l]->deadline < e->heap[m]->deadline)
			m = l;
		if (r < e->heap_n && e->heap[r]->deadline < e->heap[m]->deadline)
			m = r;
		if (m == i)
			return;
		swap(e, i, m);
		i = m;
	}
}

void ike_timer_remove(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	size_t i;

	if (!sa->heap_idx)
		return;
	i = sa->heap_idx - 1;
	sa->heap_idx = 0;
	e->heap_n--;
	if (i == e->heap_n)
		return;
	e->heap[i] = e->heap[e->heap_n];
	e->heap[i]->heap_idx = i + 1;
	sift_up(e, i);
	sift_down(e, e->heap[i]->heap_idx - 1);
}

static void arm(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	uint64_t d = sa->state == IKE_S_DEAD ? UINT64_MAX : ike_sa_deadline(sa);

	if (d == UINT64_MAX) {
		ike_timer_remove(sa);
		return;
	}
	if (sa->heap_idx) {
		size_t i = sa->heap_idx - 1;
		sa->deadline = d;
		sift_up(e, i);
		sift_down(e, sa->heap_idx - 1);
		return;
	}
	if (e->heap_n == e->heap_cap) {
		size_t cap = e->heap_cap ? e->heap_cap * 2 : 64;
		struct ike_sa **h = realloc(e->heap, cap * sizeof(*h));
		if (!h)
			return;   /* keeps running without this timer; logged by caller's effects */
		e->heap = h;
		e->heap_cap = cap;
	}
	sa->deadline = d;
	e->heap[e->heap_n] = sa;
	sa->heap_idx = ++e->heap_n;
	sift_up(e, e->heap_n - 1);
}

void ike_timer_touch(struct ike_sa *sa)
{
	if (sa->dirty)
		return;
	sa->dirty = true;
	sa->dirty_next = sa->e->dirty;
	sa->e->dirty = sa;
}

void ike_timer_flush(struct ike_engine *e)
{
	while (e->dirty) {
		struct ike_sa *sa = e->dirty;
		e->dirty = sa->dirty_next;
		sa->dirty = false;
		sa->dirty_next = NULL;
		arm(sa);
	}
}

struct ike_sa *ike_timer_pop_due(struct ike_engine *e, uint64_t now)
{
	struct ike_sa *sa;

	if (!e->heap_n || e->heap[0]->deadline > now)
		return NULL;
	sa = e->heap[0];
	ike_timer_remove(sa);
	return sa;
}

uint64_t ike_timer_next(const struct ike_engine *e)
{
	return e->heap_n ? e->heap[0]->deadline : UINT64_MAX;
}

void ike_timer_free(struct ike_engine *e)
{
	free(e->heap);
	e->heap = NULL;
	e->heap_n = e->heap_cap = 0;
}
