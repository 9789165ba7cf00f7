/* SPDX-License-Identifier: BSD-3-Clause */
/* A connection taken out at run time (a configuration reload): its IKE SAs
 * are deleted through IKE, and it is forgotten once the last of them is
 * freed. Until then it stays allocated off the engine's list, because
 * SAs point at it (sa->conn) and their CHILD SAs at its CHILD SA
 * configurations; marked removed, so that no restart, retry or trap
 * follows the end of those SAs, and out of e->conns, so that no new SA,
 * ours or a peer's, takes it and a connection of the same name can be
 * added at once (a changed connection: removed, then added). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

/* An established SA tells the peer (Delete, answered or timed out); one
 * not yet authenticated has nothing to tell and just ends. SAs already
 * on their way out (rekeyed, deleting, dead) finish as they would. */
static void end_sa(struct ike_sa *sa)
{
	switch (sa->state) {
	case IKE_S_ESTABLISHED:
		if (ike_sa_queue(sa, IKE_ACT_DELETE_IKE, 0) == 0)
			ike_sa_run_pending(sa);
		break;
	case IKE_S_NEW:
	case IKE_S_INIT_SENT:
	case IKE_S_AUTH_SENT:
	case IKE_S_HALF_OPEN:
		ike_sa_end(sa, IKE_END_LOCAL, "connection removed before establishment");
		break;
	default: return;
	}
	ike_timer_touch(sa);
}

int ike_engine_remove_conn(struct ike_engine *e, const char *name, uint64_t now_ms)
{
	struct ike_conn *c = ike_conn_find(e, name);

	e->now = now_ms;
	if (!c)
		return -ENOENT;
	ike_conn_unlink(e, c);
	ike_conn_restart_cancel(e, c);
	c->removed = true;
	/* It authenticates no one again, and its certificates and CA point
	 * into a store a reload frees with the old configuration while the
	 * SAs still end: nothing may reach them (test_remove_cert_conn). */
	memset(c->cfg.local_creds, 0, sizeof(c->cfg.local_creds));
	c->cfg.n_local_creds = 0;
	c->cfg.remote_ca = NULL;
	c->next = e->retired;
	e->retired = c;
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa->conn == c)
			end_sa(sa);
	ike_engine_reap(e);
	ike_conns_free_retired(e, false);
	return 0;
}

static bool conn_in_use(const struct ike_engine *e, const struct ike_conn *c)
{
	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa->conn == c)
			return true;
	return false;
}

void ike_conns_free_retired(struct ike_engine *e, bool all)
{
	struct ike_conn **pp = &e->retired;

	while (*pp) {
		struct ike_conn *c = *pp;

		if (!all && conn_in_use(e, c)) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		ike_wipe(c, sizeof(*c));
		free(c);
	}
}

bool ike_engine_conn_removing(struct ike_engine *e, const char *name)
{
	for (const struct ike_conn *c = e->retired; c; c = c->next)
		if (strcmp(c->cfg.name, name) == 0)
			return true;
	return false;
}
