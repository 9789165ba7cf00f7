/* SPDX-License-Identifier: BSD-3-Clause */
/* What a connection does when its IKE SA ends (strongSwan's dpd_action,
 * close_action and keyingtries): a tunnel whose peer went silent or deleted
 * it is set up again when the connection says restart, or left to the
 * first packet that needs it when it says trap (the embedder's trap
 * policies call ike_engine_acquire()), and a failed attempt
 * of ours is tried again after a growing delay until keyingtries attempts
 * have failed. Nothing happens while another IKE SA of the connection is
 * alive (a rekey's successor, a peer's new one), for an SA deleted on
 * request, for per-SA load-generator SAs, or for a connection without one
 * peer address to initiate to. */
#include <errno.h>
#include <string.h>

#include "ike/core/ike_priv.h"

/* Delay before attempt n+1 after n failed: 1 s, doubling, at most 60 s,
 * less up to a quarter at random so that peers restarting together do not
 * stay in step. */
#define RETRY_FIRST_MS 1000u
#define RETRY_MAX_MS   60000u

static uint64_t retry_delay(uint32_t failed)
{
	uint64_t d = RETRY_FIRST_MS;

	while (--failed && d < RETRY_MAX_MS)
		d *= 2;
	if (d > RETRY_MAX_MS)
		d = RETRY_MAX_MS;
	return ike_jitter(d, d / 4);
}

/* Another IKE SA of the connection carries on: an established one, or an
 * attempt of ours under way. A rekeyed predecessor waiting for its delete
 * does not (it goes within 30 s), nor a responder's half-open SA that
 * anyone could start with a forged address. */
static bool other_alive(const struct ike_sa *sa)
{
	for (const struct ike_sa *o = sa->e->sas; o; o = o->next)
		if (o != sa && o->conn == sa->conn &&
		    (o->state == IKE_S_ESTABLISHED || o->state == IKE_S_INIT_SENT ||
		     o->state == IKE_S_AUTH_SENT))
			return true;
	return false;
}

/* c restarts at `at`, on the engine's list once. */
static void queue_restart(struct ike_engine *e, struct ike_conn *c, uint64_t at)
{
	c->restart_at = at;
	if (!c->restart_queued) {
		c->rnext = e->restarts;
		e->restarts = c;
		c->restart_queued = true;
	}
}

static void unqueue_restart(struct ike_engine *e, struct ike_conn *c)
{
	struct ike_conn **p = &e->restarts;

	while (*p && *p != c)
		p = &(*p)->rnext;
	if (*p)
		*p = c->rnext;
	c->restart_queued = false;
}

static void schedule(struct ike_sa *sa, uint64_t delay, const char *why)
{
	struct ike_conn *c = sa->conn;
	struct ike_engine *e = sa->e;

	queue_restart(e, c, e->now + delay);
	ike_sa_log(sa, IKE_LOG_INFO, "connection %s: %s; initiating again in %llu ms", c->cfg.name,
		   why, (unsigned long long)delay);
}

/* One of our attempts failed before the IKE SA was up. */
static void attempt_failed(struct ike_sa *sa)
{
	struct ike_conn *c = sa->conn;
	uint32_t max = c->cfg.keyingtries ? c->cfg.keyingtries : 1;
	char why[64];

	c->tries++;
	if (c->tries >= max) { /* IKE_KEYINGTRIES_FOREVER: 2^32 - 1 attempts */
		if (max > 1)
			ike_sa_log(sa, IKE_LOG_ERR,
				   "connection %s: giving up after %u attempts (keyingtries)",
				   c->cfg.name, c->tries);
		c->tries = 0;
		return;
	}
	snprintf(why, sizeof(why), "attempt %u failed", c->tries);
	schedule(sa, retry_delay(c->tries), why);
}

/* The embedder puts the connection's policies back to trap: no restart
 * now, an acquire when traffic wants the tunnel. */
static void trap(struct ike_sa *sa, const char *why)
{
	struct ike_event ev;

	ike_sa_log(sa, IKE_LOG_INFO, "connection %s: %s; its policies go back to trap",
		   sa->conn->cfg.name, why);
	ike_event_init(&ev, sa, IKE_EV_TRAP, why);
	ike_emit(sa->e, &ev);
}

void ike_conn_sa_ended(struct ike_sa *sa, enum ike_end why, bool was_up)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	enum ike_conn_action act;

	if (sa->conn->removed || cfg->remote_is_prefix || sa->own_child || why == IKE_END_LOCAL ||
	    why == IKE_END_REPLACED || other_alive(sa))
		return;
	if (!was_up) {
		if (sa->initiator)
			attempt_failed(sa);
		return;
	}
	act = why == IKE_END_PEER ? cfg->close_action : cfg->dpd_action;
	if (act == IKE_ACTION_RESTART)
		schedule(sa, 0,
			 why == IKE_END_PEER ? "peer deleted the IKE SA (close_action restart)"
					     : "IKE SA lost (dpd_action restart)");
	else if (act == IKE_ACTION_TRAP)
		trap(sa, why == IKE_END_PEER ? "peer deleted the IKE SA (close_action trap)"
					     : "IKE SA lost (dpd_action trap)");
}

void ike_conn_sa_up(struct ike_sa *sa)
{
	sa->conn->tries = 0;
}

bool ike_conn_restart_cancel(struct ike_engine *e, struct ike_conn *c)
{
	if (!c->restart_queued)
		return false;
	unqueue_restart(e, c);
	c->tries = 0;
	return true;
}

void ike_restarts_run(struct ike_engine *e, uint64_t now)
{
	struct ike_conn *c = e->restarts, *next;

	for (; c; c = next) {
		next = c->rnext;
		if (c->restart_at > now)
			continue;
		unqueue_restart(e, c);
		/* -EALREADY: the peer set one up meanwhile. -EBUSY: an SA of
		 * the connection is being set up, maybe only half-open on our
		 * responder side: look again in a second. */
		if (ike_engine_initiate(e, c->cfg.name, now) == -EBUSY)
			queue_restart(e, c, now + RETRY_FIRST_MS);
	}
}

uint64_t ike_restarts_next(const struct ike_engine *e)
{
	uint64_t t = UINT64_MAX;

	for (const struct ike_conn *c = e->restarts; c; c = c->rnext)
		if (c->restart_at < t)
			t = c->restart_at;
	return t;
}
