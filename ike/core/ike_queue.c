/* SPDX-License-Identifier: BSD-3-Clause */
/* The queue of local actions of one IKE SA (strongSwan's task queue in
 * small): rekeys, deletes and liveness checks wait here, in the order they
 * were asked for, until the request window (size one) is free. Every
 * action is taken: a second one for the same CHILD SA or of the same kind
 * merges with the first, a delete of the IKE SA supersedes everything, so
 * the queue is bounded by the SA's children and never refuses. */
#include <errno.h>
#include <string.h>

#include "ike/core/ike_priv.h"

static const char *act_name(enum ike_act k)
{
	switch (k) {
	case IKE_ACT_DELETE_IKE: return "delete IKE_SA";
	case IKE_ACT_REKEY_IKE: return "rekey IKE_SA";
	case IKE_ACT_DELETE_CHILD: return "delete CHILD_SA";
	case IKE_ACT_REKEY_CHILD: return "rekey CHILD_SA";
	case IKE_ACT_DPD: return "liveness check";
	case IKE_ACT_CREATE_CHILD: return "create CHILD_SA";
	}
	return "?";
}

static bool is_child_act(enum ike_act k)
{
	return k == IKE_ACT_DELETE_CHILD || k == IKE_ACT_REKEY_CHILD;
}

/* The queued action this one merges with: the same kind (and child), or a
 * child's other action, where a delete wins over a rekey. */
static struct ike_action *merge_with(struct ike_sa *sa, enum ike_act k, uint32_t spi)
{
	for (unsigned i = 0; i < sa->n_act; i++) {
		struct ike_action *a = &sa->act[i];

		if (a->kind == IKE_ACT_DELETE_IKE)
			return a;
		if (is_child_act(k) ? is_child_act(a->kind) && a->spi == spi
				    : a->kind == k && a->spi == spi)
			return a;
	}
	return NULL;
}

int ike_sa_queue(struct ike_sa *sa, enum ike_act k, uint32_t spi)
{
	struct ike_action *a;

	if (k == IKE_ACT_DELETE_IKE)
		sa->n_act = 0;
	a = merge_with(sa, k, spi);
	if (a) {
		if (k == IKE_ACT_DELETE_CHILD && a->kind == IKE_ACT_REKEY_CHILD)
			a->kind = (uint8_t)k;
		return 0;
	}
	if (sa->n_act == IKE_MAX_ACTIONS) { /* more children than the bound */
		ike_sa_log(sa, IKE_LOG_ERR, "action queue full: %s %08x not queued", act_name(k),
			   spi);
		return -ENOSPC;
	}
	sa->act[sa->n_act++] = (struct ike_action){ .kind = (uint8_t)k, .spi = spi };
	return 0;
}

void ike_sa_queue_move(struct ike_sa *to, struct ike_sa *from)
{
	for (unsigned i = 0; i < from->n_act; i++) {
		const struct ike_action *a = &from->act[i];

		/* The new SA has its own rekey time and has just been heard. */
		if (a->kind != IKE_ACT_REKEY_IKE && a->kind != IKE_ACT_DPD)
			ike_sa_queue(to, (enum ike_act)a->kind, a->spi);
	}
	from->n_act = 0;
}

static struct ike_action pop(struct ike_sa *sa)
{
	struct ike_action a = sa->act[0];

	memmove(sa->act, sa->act + 1, --sa->n_act * sizeof(sa->act[0]));
	return a;
}

static int start(struct ike_sa *sa, const struct ike_action *a)
{
	switch ((enum ike_act)a->kind) {
	case IKE_ACT_DELETE_IKE: return ikev2_delete_ike_start(sa);
	case IKE_ACT_REKEY_IKE: return ikev2_rekey_ike_start(sa);
	case IKE_ACT_DELETE_CHILD: return ikev2_delete_child_start(sa, a->spi);
	case IKE_ACT_REKEY_CHILD: return ikev2_rekey_child_start(sa, a->spi);
	case IKE_ACT_DPD: return ikev2_dpd_start(sa);
	case IKE_ACT_CREATE_CHILD:
		if (a->spi >= sa->conn->cfg.n_children)
			return -ENOENT;
		return ikev2_create_child_start(sa, &sa->conn->cfg.children[a->spi]);
	}
	return -EINVAL;
}

/* Starts queued actions in order until one holds the window. One that
 * cannot start (its CHILD SA was deleted or rekeyed meanwhile) is moot. */
void ike_sa_run_pending(struct ike_sa *sa)
{
	while (sa->n_act && sa->req_kind == REQ_NONE && sa->state == IKE_S_ESTABLISHED) {
		struct ike_action a = pop(sa);
		int r = start(sa, &a);

		if (r < 0)
			ike_sa_log(sa, r == -ENOENT ? IKE_LOG_DEBUG : IKE_LOG_WARN,
				   "queued %s %08x not started: %s", act_name((enum ike_act)a.kind),
				   a.spi, r == -ENOENT ? "no longer there" : strerror(-r));
	}
}

bool ike_sa_queued(const struct ike_sa *sa, enum ike_act k, uint32_t spi)
{
	for (unsigned i = 0; i < sa->n_act; i++)
		if (sa->act[i].kind == k && (!is_child_act(k) || sa->act[i].spi == spi))
			return true;
	return false;
}
