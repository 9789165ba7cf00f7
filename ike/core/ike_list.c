/* SPDX-License-Identifier: BSD-3-Clause */
/* Listings of SAs: whole (ike_engine_foreach_sa), in pages with filters
 * (ike_engine_list_sas) and as counts (ike_engine_count_sas). */
#include <string.h>

#include "ike/core/ike_priv.h"

static void fill(const struct ike_sa *sa, struct ike_sa_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->conn = sa->conn->cfg.name;
	s->id = sa->id;
	s->spi_i = sa->spi_i;
	s->spi_r = sa->spi_r;
	s->initiator = sa->initiator;
	s->state = ike_sa_state_name(sa->state);
	s->algs = sa->algs;
	s->local = sa->local;
	s->remote = sa->remote;
	s->nat_local = sa->nat_local;
	s->nat_remote = sa->nat_remote;
	s->peer_id = sa->peer_id_txt;
	s->established = sa->up_at;
	s->rekey_at = sa->rekey_at;
	for (const struct ike_child *c = sa->children; c && s->n_children < IKE_MAX_CHILDREN * 2;
	     c = c->next) {
		s->child_up[s->n_children] = c->made;
		s->child_rekey_at[s->n_children] = c->rekey_at;
		s->children[s->n_children++] = &c->info;
	}
}

void ike_engine_foreach_sa(struct ike_engine *e, ike_sa_visit_fn fn, void *arg)
{
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		struct ike_sa_summary s;

		if (sa->state == IKE_S_DEAD)
			continue;
		fill(sa, &s);
		fn(arg, &s);
	}
}

bool ike_sa_state_valid(const char *name)
{
	for (int st = IKE_S_NEW; st < IKE_S_DEAD; st++)
		if (strcmp(ike_sa_state_name((enum ike_sa_state)st), name) == 0)
			return true;
	return false;
}

static bool matches(const struct ike_sa *sa, const struct ike_sa_filter *f, uint64_t id_hash)
{
	if (sa->state == IKE_S_DEAD)
		return false;
	if (f->conn && strcmp(sa->conn->cfg.name, f->conn) != 0)
		return false;
	if (f->peer && !ike_addr_ip_eq(&sa->remote, f->peer))
		return false;
	if (f->peer_id && (!sa->peer_id_hash || sa->peer_id_hash != id_hash))
		return false;
	return !f->state || strcmp(ike_sa_state_name(sa->state), f->state) == 0;
}

/* Where a page resumes: right after SA #below if it is still there (its
 * SPI finds it), else at the first SA with a lower id. */
static struct ike_sa *resume(struct ike_engine *e, const struct ike_sa_cursor *cur)
{
	struct ike_sa *sa;

	if (!cur->below)
		return e->sas;
	sa = cur->hint ? ike_sa_lookup(e, cur->hint) : NULL;
	if (sa && sa->id == cur->below)
		return sa->next;
	for (sa = e->sas; sa && sa->id >= cur->below; sa = sa->next)
		;
	return sa;
}

unsigned ike_engine_list_sas(struct ike_engine *e, const struct ike_sa_filter *f,
			     struct ike_sa_cursor *cur, unsigned max_scan, ike_sa_page_fn fn,
			     void *arg)
{
	static const struct ike_sa_filter any;
	struct ike_sa *sa = resume(e, cur);
	unsigned n = 0;
	bool more = true;
	uint64_t id_hash;

	if (!f)
		f = &any;
	id_hash = f->peer_id ? ike_id_hash(f->peer_id) : 0;
	for (; sa && more && (!max_scan || n < max_scan); sa = sa->next) {
		struct ike_sa_summary s;

		n++;
		cur->below = sa->id;
		cur->hint = ike_sa_our_spi(sa);
		if (!matches(sa, f, id_hash))
			continue;
		fill(sa, &s);
		more = fn(arg, &s);
	}
	if (!sa)
		*cur = (struct ike_sa_cursor){ 0, 0 };
	return n;
}

void ike_engine_count_sas(struct ike_engine *e, ike_sa_count_fn fn, void *arg)
{
	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa->state != IKE_S_DEAD)
			fn(arg, sa->conn->cfg.name, ike_sa_state_name(sa->state));
}
