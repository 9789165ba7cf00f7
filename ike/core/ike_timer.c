/* SPDX-License-Identifier: BSD-3-Clause */
/* Timers: a binary min-heap with one entry per IKE SA keyed by the SA's
 * earliest deadline (retransmission, rekey, liveness, expiry). Anything that
 * may move a deadline marks the SA dirty; the engine re-arms dirty SAs once
 * at the end of each entry point, so no per-field bookkeeping is needed and
 * a tick never scans idle SAs. */
#include <stdlib.h>

#include "ike/core/ike_priv.h"
#include "ike/pki/pki_rev_link.h"

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
			return; /* keeps running without this timer; logged by caller's effects */
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

/* ---- what is due when ---- */

void ike_sa_schedule(struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	uint64_t now = sa->e->now;

	if (cfg->rekey_time_s)
		sa->rekey_at = now +
			       ike_jitter(cfg->rekey_time_s * 1000ull, cfg->rand_time_s * 1000ull);
	sa->dpd_at = 0;
	/* RFC 3948 4: keeps the NAT's mapping for us open while nothing else
	 * may flow (an idle tunnel); armed always, sent only behind a NAT. */
	sa->keepalive_at = sa->e->cfg.natt_keepalive_s ? now + sa->e->cfg.natt_keepalive_s * 1000ull
						       : 0;
}

static void child_timers(struct ike_sa *sa, uint64_t now)
{
	for (struct ike_child *c = sa->children; c; c = c->next) {
		if (c->expire_at && now >= c->expire_at) {
			ike_sa_log(sa, IKE_LOG_INFO, "CHILD_SA %s %08x hard lifetime expired",
				   c->info.child, c->info.spi_in);
			/* a full queue (more children than the bound): again in 1 s */
			c->expire_at = ike_sa_queue(sa, IKE_ACT_DELETE_CHILD, c->info.spi_in) == 0
					       ? 0
					       : now + 1000;
		} else if (c->rekey_at && now >= c->rekey_at && c->state == CHILD_INSTALLED) {
			c->rekey_at = ike_sa_queue(sa, IKE_ACT_REKEY_CHILD, c->info.spi_in) == 0
					      ? 0
					      : now + 1000;
		}
	}
}

/* Liveness check when the peer was silent for dpd_delay and we have no
 * request out (an outstanding request is itself a liveness check). */
/* The connection's dpd_delay, or else the engine's liveness_idle_s: an SA
 * whose peer is gone is found even where nobody configured DPD. */
static uint64_t dpd_interval(const struct ike_sa *sa)
{
	uint32_t s = sa->conn->cfg.dpd_delay_s;

	return (s ? s : sa->e->cfg.liveness_idle_s) * 1000ull;
}

/* Inbound IKE, or traffic on one of its CHILD SAs the data plane reported
 * (ike_engine_sa_active()), is life from the peer. */
static uint64_t dpd_due(const struct ike_sa *sa)
{
	uint64_t d = dpd_interval(sa), t;

	if (!d || sa->req_kind != REQ_NONE || sa->state != IKE_S_ESTABLISHED)
		return UINT64_MAX;
	t = (sa->last_rx > sa->last_traffic ? sa->last_rx : sa->last_traffic) + d;
	return t > sa->dpd_at ? t : sa->dpd_at;
}

/* RFC 3948 4: keeps the NAT's mapping for us open while nothing else may
 * flow (an idle tunnel); the keepalive is no IKE message and gets no
 * answer. */
static uint64_t keepalive_due(const struct ike_sa *sa)
{
	return sa->nat_local && sa->state == IKE_S_ESTABLISHED ? sa->keepalive_at : 0;
}

static void keepalive(struct ike_sa *sa, uint64_t now)
{
	static const uint8_t ka = 0xff;
	uint64_t due = keepalive_due(sa);

	if (!due || now < due)
		return;
	sa->e->ops.send(sa->e->ctx, &sa->local, &sa->remote, &ka, 1);
	sa->e->stats.keepalives++;
	sa->keepalive_at = now + sa->e->cfg.natt_keepalive_s * 1000ull;
}

static void sa_timers(struct ike_sa *sa, uint64_t now)
{
	if (sa->req_buf && sa->rtx_at && now >= sa->rtx_at)
		ikev2_retransmit(sa);
	if (sa->state == IKE_S_DEAD)
		return;
	ikev2_frag_expire(sa, now);
	if (sa->state == IKE_S_HALF_OPEN && now >= sa->created + 30000) {
		ike_sa_log(sa, IKE_LOG_INFO, "half-open IKE SA timed out waiting for IKE_AUTH");
		ike_sa_kill(sa, "half-open timeout");
		return;
	}
	if (sa->delete_at && now >= sa->delete_at) {
		ike_sa_end(sa, IKE_END_REPLACED, "rekeyed SA not deleted by peer");
		return;
	}
	if (sa->state != IKE_S_ESTABLISHED)
		return;
	if (sa->rekey_at && now >= sa->rekey_at) {
		sa->rekey_at = 0;
		ike_sa_queue(sa, IKE_ACT_REKEY_IKE, 0);
	}
	child_timers(sa, now);
	keepalive(sa, now);
	if (dpd_due(sa) <= now) {
		ike_sa_queue(sa, IKE_ACT_DPD, 0);
		sa->dpd_at = now + dpd_interval(sa);
	}
	ike_sa_run_pending(sa);
}

void ike_engine_tick(struct ike_engine *e, uint64_t now_ms)
{
	struct ike_sa *sa;

	e->now = now_ms;
	if (e->rev)
		ike_pki_rev_poll(e->rev);
	ike_restarts_run(e, now_ms);
	ike_log_limit_flush(e);
	while ((sa = ike_timer_pop_due(e, now_ms)) != NULL) {
		if (sa->state != IKE_S_DEAD)
			sa_timers(sa, now_ms);
		ike_timer_touch(sa);
	}
	ike_engine_reap(e);
}

static uint64_t min_nz(uint64_t a, uint64_t b)
{
	if (!b)
		return a;
	return b < a ? b : a;
}

uint64_t ike_sa_deadline(const struct ike_sa *sa)
{
	uint64_t t = UINT64_MAX;

	if (sa->req_buf)
		t = min_nz(t, sa->rtx_at);
	if (sa->state == IKE_S_HALF_OPEN)
		t = min_nz(t, sa->created + 30000);
	t = min_nz(t, sa->delete_at);
	t = min_nz(t, ikev2_frag_deadline(sa));
	if (sa->state != IKE_S_ESTABLISHED)
		return t;
	t = min_nz(t, sa->rekey_at);
	t = min_nz(t, dpd_due(sa));
	t = min_nz(t, keepalive_due(sa));
	for (const struct ike_child *c = sa->children; c; c = c->next) {
		t = min_nz(t, c->rekey_at);
		t = min_nz(t, c->expire_at);
	}
	if (sa->n_act && sa->req_kind == REQ_NONE)
		t = min_nz(t, sa->e->now);
	return t;
}

uint64_t ike_engine_next_timer(const struct ike_engine *e)
{
	uint64_t t = ike_timer_next(e), r = ike_restarts_next(e), l = ike_log_limit_next(e);

	if (l < t)
		t = l;

	/* Answers of revocation fetches are collected by the tick. */
	if (e->rev && ike_pki_rev_pending(e->rev) && e->now + 100 < t)
		t = e->now + 100;
	return r < t ? r : t;
}
