/* SPDX-License-Identifier: BSD-3-Clause */
/* Which SA an operator's command acts on (struct ike_sel). Only
 * established IKE SAs are candidates: anyone can make a half-open SA
 * with one spoofed IKE_SA_INIT, and it must never take the place of the
 * authenticated SA an operator means. */
#include <errno.h>
#include <string.h>

#include "ike/core/ike_priv.h"

static bool child_named(const struct ike_child *ch, const struct ike_sel *sel)
{
	if (sel->id && ch->info.id != sel->id)
		return false;
	return !sel->spi || ch->info.spi_in == sel->spi || ch->info.spi_out == sel->spi;
}

/* The CHILD SA of sa that sel's id or spi names (installed only), or
 * with neither the first installed one. */
struct ike_child *ike_sel_child(struct ike_sa *sa, const struct ike_sel *sel)
{
	struct ike_sel s = *sel;

	if (s.id == sa->id)
		s.id = 0; /* the IKE SA's id: any of its CHILD SAs */
	for (struct ike_child *ch = sa->children; ch; ch = ch->next)
		if (ch->state == CHILD_INSTALLED && child_named(ch, &s))
			return ch;
	return NULL;
}

static bool has_child(const struct ike_sa *sa, const struct ike_sel *sel)
{
	for (const struct ike_child *ch = sa->children; ch; ch = ch->next)
		if (child_named(ch, sel))
			return true;
	return false;
}

static bool sa_matches(const struct ike_sa *sa, const struct ike_sel *sel)
{
	struct ike_sel kids = { .id = sel->id, .spi = sel->spi };

	if (sa->state != IKE_S_ESTABLISHED)
		return false;
	if (sel->conn && strcmp(sa->conn->cfg.name, sel->conn) != 0)
		return false;
	if (sel->peer && !ike_addr_ip_eq(&sa->remote, sel->peer))
		return false;
	/* By the hash INITIAL_CONTACT compares too: the identity itself is
	 * not kept per SA (memory per SA). */
	if (sel->peer_id && sa->peer_id_hash != ike_id_hash(sel->peer_id))
		return false;
	if (sel->id == sa->id)
		kids.id = 0;
	return (!kids.id && !kids.spi) || has_child(sa, &kids);
}

bool ike_sel_empty(const struct ike_sel *sel)
{
	return !sel->conn && !sel->id && !sel->peer && !sel->peer_id && !sel->spi;
}

/* The newest (highest id) established IKE SA sel matches. */
struct ike_sa *ike_sel_sa(struct ike_engine *e, const struct ike_sel *sel)
{
	struct ike_sa *best = NULL;

	if (ike_sel_empty(sel))
		return NULL;
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa_matches(sa, sel) && (!best || sa->id > best->id))
			best = sa;
	return best;
}
