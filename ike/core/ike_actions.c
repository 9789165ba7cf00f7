/* SPDX-License-Identifier: BSD-3-Clause */
/* Control actions: what an operator or embedder asks of a connection or of
 * one IKE SA, queued until the SA's request window is free, and the views
 * for listing and statistics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

int ike_engine_initiate(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	struct ike_conn *c = ike_conn_find(e, conn);
	struct ike_sa *sa;
	int r;

	e->now = now_ms;
	if (!c)
		return -ENOENT;
	if (c->cfg.remote_is_prefix)
		return -EDESTADDRREQ; /* responder-only: no single peer address */
	sa = ike_conn_sa_any(e, c);
	if (sa)
		return sa->state == IKE_S_ESTABLISHED ? -EALREADY : -EBUSY;
	sa = ike_sa_new(e, c, true);
	if (!sa)
		return -ENOMEM;
	r = ikev2_sa_init_start(sa);
	if (r < 0)
		ike_sa_kill(sa, "could not start IKE_SA_INIT");
	ike_engine_reap(e);
	return r;
}

/* Queues action k on sa and starts it if the request window is free;
 * the entry points' common ending (timers re-armed, dead SAs freed). */
static int pend(struct ike_engine *e, struct ike_sa *sa, enum ike_act k, uint32_t spi)
{
	int r = ike_sa_queue(sa, k, spi);

	if (r < 0)
		return r;
	ike_sa_run_pending(sa);
	ike_timer_touch(sa);
	ike_engine_reap(e);
	return 0;
}

static int sa_command(struct ike_engine *e, enum ike_cmd cmd, struct ike_sa *sa,
		      const struct ike_sel *sel, uint32_t *acted)
{
	static const enum ike_act act[] = {
		[IKE_CMD_REKEY_IKE] = IKE_ACT_REKEY_IKE,
		[IKE_CMD_DELETE_IKE] = IKE_ACT_DELETE_IKE,
		[IKE_CMD_DPD] = IKE_ACT_DPD,
		[IKE_CMD_REKEY_CHILD] = IKE_ACT_REKEY_CHILD,
		[IKE_CMD_DELETE_CHILD] = IKE_ACT_DELETE_CHILD,
	};
	struct ike_child *ch;

	if (cmd != IKE_CMD_REKEY_CHILD && cmd != IKE_CMD_DELETE_CHILD) {
		if (cmd == IKE_CMD_DELETE_IKE)
			ike_conn_restart_cancel(e, sa->conn); /* an operator's delete */
		if (acted)
			*acted = sa->id;
		return pend(e, sa, act[cmd], 0);
	}
	ch = ike_sel_child(sa, sel);
	if (!ch)
		return -ENOENT;
	if (acted)
		*acted = ch->info.id;
	return pend(e, sa, act[cmd], ch->info.spi_in);
}

int ike_engine_command(struct ike_engine *e, enum ike_cmd cmd, const struct ike_sel *sel,
		       uint64_t now_ms, uint32_t *acted)
{
	struct ike_sa *sa;

	e->now = now_ms;
	if (ike_sel_empty(sel) || (unsigned)cmd > IKE_CMD_DELETE_CHILD)
		return -EINVAL;
	sa = ike_sel_sa(e, sel);
	return sa ? sa_command(e, cmd, sa, sel, acted) : -ENOENT;
}

static int conn_command(struct ike_engine *e, const char *conn, uint64_t now, enum ike_cmd cmd)
{
	struct ike_sel sel = { .conn = conn };

	return ike_engine_command(e, cmd, &sel, now, NULL);
}

int ike_engine_rekey_child(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	return conn_command(e, conn, now_ms, IKE_CMD_REKEY_CHILD);
}

int ike_engine_rekey_ike(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	return conn_command(e, conn, now_ms, IKE_CMD_REKEY_IKE);
}

int ike_engine_delete_child(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	return conn_command(e, conn, now_ms, IKE_CMD_DELETE_CHILD);
}

/* With no established SA, one we are initiating is forgotten (nothing
 * authenticated to tell the peer); a half-open SA the peer started is
 * left alone: anyone can start one with the peer's address. */
int ike_engine_delete_ike(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	struct ike_conn *c = ike_conn_find(e, conn);
	struct ike_sa *sa;
	bool cancelled;

	e->now = now_ms;
	if (!c)
		return -ENOENT;
	if (ike_conn_sa(e, c))
		return conn_command(e, conn, now_ms, IKE_CMD_DELETE_IKE);
	cancelled = ike_conn_restart_cancel(e, c);
	sa = ike_conn_sa_any(e, c);
	if (!sa || !sa->initiator)
		return cancelled ? 0 : -ENOENT;
	ike_sa_end(sa, IKE_END_LOCAL, "deleted locally before establishment");
	ike_timer_touch(sa);
	ike_engine_reap(e);
	return 0;
}

int ike_engine_initiate_ex(struct ike_engine *e, const char *conn,
			   const struct ike_initiate_opts *o, uint64_t now_ms, uint64_t *spi_i)
{
	struct ike_conn *c = ike_conn_find(e, conn);
	struct ike_sa *sa;
	int r = 0;

	e->now = now_ms;
	if (!c)
		return -ENOENT;
	if (c->cfg.remote_is_prefix || !c->cfg.n_children)
		return -EDESTADDRREQ;
	sa = ike_sa_new(e, c, true);
	if (!sa)
		return -ENOMEM;
	if (o && o->local)
		sa->local = *o->local;
	if (o && o->local_ts && o->remote_ts) {
		sa->own_child = malloc(sizeof(*sa->own_child));
		if (!sa->own_child) {
			r = -ENOMEM;
		} else {
			*sa->own_child = c->cfg.children[0];
			sa->own_child->n_local_ts = sa->own_child->n_remote_ts = 1;
			sa->own_child->local_ts[0] = *o->local_ts;
			sa->own_child->remote_ts[0] = *o->remote_ts;
		}
	}
	if (r == 0)
		r = ikev2_sa_init_start(sa);
	if (r < 0)
		ike_sa_kill(sa, "could not start IKE_SA_INIT");
	else if (spi_i)
		*spi_i = sa->spi_i;
	ike_engine_reap(e);
	return r;
}

static struct ike_sa *sa_by_spi(struct ike_engine *e, uint64_t spi, uint64_t now)
{
	struct ike_sa *sa = ike_sa_lookup(e, spi);

	e->now = now;
	return sa && sa->state == IKE_S_ESTABLISHED ? sa : NULL;
}

int ike_engine_delete_sa(struct ike_engine *e, uint64_t our_spi, uint64_t now_ms)
{
	struct ike_sa *sa = sa_by_spi(e, our_spi, now_ms);

	if (!sa)
		return -ENOENT;
	ike_conn_restart_cancel(e, sa->conn); /* e.g. at shutdown */
	return pend(e, sa, IKE_ACT_DELETE_IKE, 0);
}

/* Ended SAs are freed only by the reap at the end, so the walk is safe. A
 * rekeyed SA is left to the delete already due for it. */
unsigned ike_engine_delete_all(struct ike_engine *e, uint64_t now_ms)
{
	unsigned n = 0;

	e->now = now_ms;
	for (struct ike_conn *c = e->conns; c; c = c->next)
		ike_conn_restart_cancel(e, c);
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		if (sa->state == IKE_S_ESTABLISHED) {
			n += ike_sa_queue(sa, IKE_ACT_DELETE_IKE, 0) == 0;
			ike_sa_run_pending(sa);
		} else if (sa->state != IKE_S_DEAD && sa->state != IKE_S_DELETING &&
			   sa->state != IKE_S_REKEYED) {
			ike_sa_end(sa, IKE_END_LOCAL, "shutting down");
		}
		ike_timer_touch(sa);
	}
	ike_engine_reap(e);
	return n;
}

int ike_engine_rekey_child_sa(struct ike_engine *e, uint64_t our_spi, uint64_t now_ms)
{
	struct ike_sa *sa = sa_by_spi(e, our_spi, now_ms);

	if (!sa || !sa->children)
		return -ENOENT;
	return pend(e, sa, IKE_ACT_REKEY_CHILD, sa->children->info.spi_in);
}

/* Queued on the CHILD SA's IKE SA whatever that is doing: an exchange in
 * flight, a rekey of the IKE SA (the queue moves to the new SA) or of the
 * CHILD SA itself (the action is moot once the CHILD SA is replaced). */
static int child_action(struct ike_engine *e, uint32_t spi_in, uint64_t now, enum ike_act k)
{
	e->now = now;
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		if (sa->state == IKE_S_DEAD || !ike_child_find_in(sa, spi_in))
			continue;
		return pend(e, sa, k, spi_in);
	}
	return -ENOENT;
}

int ike_engine_rekey_child_spi(struct ike_engine *e, uint32_t spi_in, uint64_t now_ms)
{
	return child_action(e, spi_in, now_ms, IKE_ACT_REKEY_CHILD);
}

int ike_engine_delete_child_spi(struct ike_engine *e, uint32_t spi_in, uint64_t now_ms)
{
	return child_action(e, spi_in, now_ms, IKE_ACT_DELETE_CHILD);
}

int ike_engine_dpd(struct ike_engine *e, const char *conn, uint64_t now_ms)
{
	return conn_command(e, conn, now_ms, IKE_CMD_DPD);
}

/* CHILD SA number idx of the connection is up on sa (a rekeyed one's
 * successor is up, or its rekey is under way), being created, or queued. */
static bool child_wanted(const struct ike_sa *sa, unsigned idx)
{
	const struct ike_child_cfg *cfg = &sa->conn->cfg.children[idx];

	for (const struct ike_child *ch = sa->children; ch; ch = ch->next)
		if (ch->cfg == cfg && ch->state == CHILD_INSTALLED)
			return true;
	if (sa->req_kind == REQ_CHILD_NEW && sa->req_ctx.child_cfg == cfg)
		return true;
	for (unsigned i = 0; i < sa->n_act; i++)
		if (sa->act[i].kind == IKE_ACT_CREATE_CHILD && sa->act[i].spi == idx)
			return true;
	return false;
}

static int acquire_initiate(struct ike_engine *e, struct ike_conn *c, unsigned idx)
{
	int r = ike_engine_initiate(e, c->cfg.name, e->now);

	if (r == 0)
		ike_log(e, IKE_LOG_INFO, "connection %s: acquire for CHILD_SA %s: initiating",
			c->cfg.name, c->cfg.children[idx].name);
	return r == -EBUSY ? -EALREADY : r;
}

int ike_engine_acquire(struct ike_engine *e, const char *conn, unsigned child, uint64_t now_ms)
{
	struct ike_conn *c = ike_conn_find(e, conn);
	struct ike_sa *sa;

	e->now = now_ms;
	if (!c)
		return -ENOENT;
	if (child >= c->cfg.n_children)
		return -EINVAL;
	if (c->cfg.remote_is_prefix)
		return -EDESTADDRREQ;
	if (c->restart_queued) /* a retry of ours is waiting: it will do */
		return -EALREADY;
	sa = ike_conn_sa_any(e, c);
	if (!sa)
		return acquire_initiate(e, c, child);
	if (sa->state != IKE_S_ESTABLISHED || child_wanted(sa, child)) {
		ike_log(e, IKE_LOG_DEBUG, "connection %s: acquire for CHILD_SA %s: under way",
			c->cfg.name, c->cfg.children[child].name);
		return -EALREADY;
	}
	ike_sa_log(sa, IKE_LOG_INFO, "connection %s: acquire for CHILD_SA %s: creating it",
		   c->cfg.name, c->cfg.children[child].name);
	return pend(e, sa, IKE_ACT_CREATE_CHILD, child);
}

void ike_engine_stats(const struct ike_engine *e, struct ike_stats *s)
{
	*s = e->stats;
	s->half_open = e->half_open;
	s->established = 0;
	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next)
		s->established += sa->state == IKE_S_ESTABLISHED;
}

int ike_engine_sa_active(struct ike_engine *e, uint64_t spi_i, uint64_t spi_r, uint64_t now_ms)
{
	struct ike_sa *sa = ike_sa_lookup(e, spi_i);

	if (!sa || sa->spi_i != spi_i || sa->spi_r != spi_r)
		sa = ike_sa_lookup(e, spi_r);
	if (!sa || sa->spi_i != spi_i || sa->spi_r != spi_r || sa->state == IKE_S_DEAD)
		return -ENOENT;
	sa->last_traffic = now_ms;
	return 0;
}
