/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE SA rekey (RFC 7296 1.3.2, 2.18), both roles, and the simultaneous
 * rekey of 2.8.2:
 *   HDR, SK {SA, Ni, KEi}  -->  <--  HDR, SK {SA, Nr, KEr}
 * When both ends rekey at once, each answers the other normally. The new SA
 * made by the exchange holding the lowest of the four nonces is redundant
 * and deleted by its initiator; the other takes the CHILD SAs, and its
 * initiator deletes the old IKE SA. Until our own exchange settles which,
 * the SA made by the peer's waits unannounced (state REKEYED, on the old
 * SA's `collide`). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

static void min_nonce(const uint8_t *a, const uint8_t *b, uint8_t out[IKE_MIN_NONCE])
{
	memcpy(out, memcmp(a, b, IKE_MIN_NONCE) < 0 ? a : b, IKE_MIN_NONCE);
}

int ikev2_rekey_ike_start(struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_exch_ctx *x = &sa->req_ctx;
	struct ikev2_prop props[IKE_MAX_PROPOSALS];
	uint8_t spi[8], pub[IKE_MAX_DH_PUB];
	struct ikev2_out *o = malloc(sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	memset(x, 0, sizeof(*x));
	/* Offer the group in use first: the peer already accepted it. */
	x->dh_group = sa->algs.dh;
	x->dh = ike_dh_new(x->dh_group);
	r = ikev2_new_nonce(x->nonce, &x->nonce_len);
	while (r == 0 && !x->new_ike_spi)
		r = ike_random_public((uint8_t *)&x->new_ike_spi, 8);
	if (r == 0 && (!x->dh || ike_dh_pub(x->dh, pub, sizeof(pub)) < 0))
		r = -ENOMEM;
	if (r == 0) {
		ikev2_out_init(o, sa, IKEV2_EXCH_CREATE_CHILD_SA, false);
		ikev2_put64(spi, x->new_ike_spi);
		ikev2_props_from_cfg(cfg->proposals, cfg->n_proposals, IKEV2_PROTO_IKE, spi, 8,
				     true, props);
		ikev2_w_sa(&o->w, props, cfg->n_proposals);
		ikev2_w_nonce(&o->w, x->nonce, x->nonce_len);
		ikev2_w_ke(&o->w, x->dh_group, pub, ike_dh_publen(x->dh_group));
		r = ikev2_send_request(sa, o, REQ_IKE_REKEY);
	}
	free(o);
	if (r < 0) {
		ike_dh_free(x->dh);
		memset(x, 0, sizeof(*x));
		return r;
	}
	ike_sa_log(sa, IKE_LOG_INFO, "rekeying IKE SA");
	return 0;
}

/* Moves the CHILD SAs and control state of old onto its replacement. */
static void ike_sa_takeover(struct ike_sa *old, struct ike_sa *nsa)
{
	struct ike_event ev;

	nsa->children = old->children;
	old->children = NULL;
	nsa->own_child = old->own_child; /* the children point at it */
	old->own_child = NULL;
	for (struct ike_child *c = nsa->children; c; c = c->next) {
		c->info.ike_id = nsa->id;
		c->info.ike_spi_i = nsa->spi_i;
		c->info.ike_spi_r = nsa->spi_r;
	}
	nsa->local = old->local;
	nsa->remote = old->remote;
	nsa->natt = old->natt;
	nsa->nat_local = old->nat_local;
	nsa->nat_remote = old->nat_remote;
	nsa->last_rx = old->last_rx;
	nsa->peer_id_hash = old->peer_id_hash;
	nsa->peer_id_txt = old->peer_id_txt ? strdup(old->peer_id_txt) : NULL;
	ike_sa_queue_move(nsa, old);
	ike_sa_set_state(nsa, IKE_S_ESTABLISHED);
	nsa->delete_at = 0; /* it may have waited for a collision to settle */
	ike_sa_set_state(old, IKE_S_REKEYED);
	old->delete_at = old->e->now + 30000;
	ike_sa_schedule(nsa);
	ike_keylog_ike(nsa);
	ike_event_init(&ev, nsa, IKE_EV_IKE_REKEYED, NULL);
	ev.old_spi_i = old->spi_i;
	ev.old_spi_r = old->spi_r;
	ev.old_ike_id = old->id;
	ev.algs = nsa->algs;
	ike_emit(nsa->e, &ev);
	ike_sa_log(nsa, IKE_LOG_INFO, "IKE SA rekeyed, replaces %016llx_i %016llx_r",
		   (unsigned long long)old->spi_i, (unsigned long long)old->spi_r);
}

/* Builds the replacement IKE SA once both nonces and g^ir are known. */
static struct ike_sa *rekeyed_sa(struct ike_sa *old, bool initiator, uint64_t spi_i, uint64_t spi_r,
				 const struct ike_algs *algs, const uint8_t *ni, size_t ni_len,
				 const uint8_t *nr, size_t nr_len, const uint8_t *shared,
				 size_t slen)
{
	struct ike_sa *nsa = ike_sa_new(old->e, old->conn, initiator);

	if (!nsa)
		return NULL;
	ike_sa_rehash(nsa, initiator ? spi_i : spi_r);
	/* Addresses now: a redundant one (2.8.2) is deleted without a takeover. */
	nsa->local = old->local;
	nsa->remote = old->remote;
	nsa->natt = old->natt;
	nsa->frag_ok = old->frag_ok; /* RFC 7383 2.5: negotiated once, kept */
	nsa->spi_i = spi_i;
	nsa->spi_r = spi_r;
	nsa->algs = *algs;
	memcpy(nsa->ni, ni, ni_len);
	nsa->ni_len = ni_len;
	memcpy(nsa->nr, nr, nr_len);
	nsa->nr_len = nr_len;
	if (ikev2_derive_ike_keys(nsa, shared, slen, old) < 0) {
		ike_sa_kill(nsa, "key derivation failed");
		return NULL;
	}
	ike_sa_free_nego(nsa);
	return nsa;
}

/* ---- 2.8.2 ---- */

/* The peer's new SA waiting on sa, NULL if none (or the peer deleted it). */
static struct ike_sa *parked(const struct ike_sa *sa)
{
	struct ike_sa *p;

	if (!sa->collide)
		return NULL;
	p = ike_sa_lookup(sa->e, sa->collide->spi);
	return p && p->state == IKE_S_REKEYED && p->conn == sa->conn ? p : NULL;
}

static struct ike_sa *unpark(struct ike_sa *sa)
{
	struct ike_sa *p = parked(sa);

	free(sa->collide);
	sa->collide = NULL;
	return p;
}

static void park(struct ike_sa *sa, struct ike_sa *nsa, const uint8_t mn[IKE_MIN_NONCE])
{
	sa->collide->spi = ike_sa_our_spi(nsa);
	memcpy(sa->collide->min_nonce, mn, IKE_MIN_NONCE);
	ike_sa_set_state(nsa, IKE_S_REKEYED);
	nsa->delete_at = sa->e->now + 30000; /* if nothing settles it */
	ike_sa_log(sa, IKE_LOG_INFO,
		   "simultaneous IKE SA rekey: answered the peer's while ours is in flight; "
		   "the lowest nonce decides which new SA stays (2.8.2)");
}

bool ikev2_ike_rekey_adopt(struct ike_sa *sa)
{
	struct ike_sa *p = unpark(sa);

	if (!p)
		return false;
	ike_sa_log(sa, IKE_LOG_INFO,
		   "simultaneous IKE SA rekey: ours did not complete, the peer's replaces the IKE "
		   "SA (2.8.2)");
	ike_sa_takeover(sa, p);
	return true;
}

void ikev2_ike_rekey_drop(struct ike_sa *sa)
{
	struct ike_sa *p = unpark(sa);

	if (p)
		ike_sa_end(p, IKE_END_REPLACED, "the IKE SA it would replace is gone");
}

/* Our rekey completed with ours, its nonces' lower one mn. If the peer's
 * crossing rekey made the other new SA, the exchange with the lowest nonce
 * lost: when it is ours, the peer's SA takes over and we delete ours (true);
 * otherwise the peer deletes its own, and ours goes on as usual (false). */
static bool lost_collision(struct ike_sa *sa, struct ike_sa *ours, const uint8_t mn[IKE_MIN_NONCE])
{
	uint8_t theirs[IKE_MIN_NONCE];
	struct ike_sa *p;

	if (!sa->collide)
		return false;
	memcpy(theirs, sa->collide->min_nonce, sizeof(theirs));
	p = unpark(sa);
	if (!p)
		return false; /* the peer deleted its redundant SA already */
	if (memcmp(mn, theirs, IKE_MIN_NONCE) >= 0) {
		ike_sa_log(sa, IKE_LOG_INFO,
			   "simultaneous IKE SA rekey won (2.8.2): the peer deletes its redundant "
			   "%016llx_i %016llx_r",
			   (unsigned long long)p->spi_i, (unsigned long long)p->spi_r);
		return false;
	}
	ike_sa_log(sa, IKE_LOG_INFO,
		   "simultaneous IKE SA rekey lost (2.8.2): the peer's new IKE SA takes over; "
		   "deleting our redundant %016llx_i %016llx_r",
		   (unsigned long long)ours->spi_i, (unsigned long long)ours->spi_r);
	ike_sa_takeover(sa, p);
	ike_sa_set_state(ours, IKE_S_REKEYED);
	if (ikev2_delete_ike_start(ours) < 0)
		ours->delete_at = sa->e->now + 30000;
	return true;
}

/* ---- responder ---- */

/* Writes the answer (or an error notify) into o; returns the new SA. */
static struct ike_sa *respond_ike_rekey(struct ike_sa *sa, const struct ikev2_chain *c,
					struct ikev2_out *o, uint8_t mn[IKE_MIN_NONCE])
{
	const struct ikev2_pl *sa_pl = ikev2_chain_find(c, IKEV2_PL_SA);
	const struct ikev2_pl *ke_pl = ikev2_chain_find(c, IKEV2_PL_KE);
	const struct ikev2_pl *n_pl = ikev2_chain_find(c, IKEV2_PL_NONCE);
	struct ikev2_prop props[IKE_MAX_PROPOSALS * 2], reply;
	struct ike_algs algs;
	struct ikev2_ke ke;
	struct ike_dh *dh = NULL;
	struct ike_sa *nsa = NULL;
	uint8_t nr[IKE_MAX_NONCE], shared[IKE_MAX_DH_SHARED], pub[IKE_MAX_DH_PUB], spi[8];
	size_t nr_len, slen = IKE_MAX_DH_SHARED;
	uint64_t spi_r = 0;
	unsigned np = 0;
	int k = -1;
	char ours[512], theirs[768];

	if (ke_pl && n_pl && ikev2_ke_parse(ke_pl->body, ke_pl->len, &ke) == 0 &&
	    ikev2_nonce_parse(n_pl->body, n_pl->len) == 0 &&
	    ikev2_sa_parse(sa_pl->body, sa_pl->len, props, IKE_MAX_PROPOSALS * 2, &np) == 0)
		k = ikev2_props_select(sa->conn->cfg.proposals, sa->conn->cfg.n_proposals, props,
				       np, IKEV2_PROTO_IKE, true, &algs);
	if (k < 0 || props[k].spi_size != 8) {
		ike_sa_log(
			sa, IKE_LOG_ERR,
			"IKE SA rekey refused: NO_PROPOSAL_CHOSEN: peer offered [%s], we accept [%s]",
			ikev2_props_str(props, np, theirs, sizeof(theirs)),
			ike_cfg_props_str(sa->conn->cfg.proposals, sa->conn->cfg.n_proposals, ours,
					  sizeof(ours)));
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return NULL;
	}
	if (ke.group != algs.dh) {
		uint8_t g[2];
		ikev2_put16(g, algs.dh);
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
		return NULL;
	}
	dh = ike_dh_new(algs.dh);
	while (!spi_r)
		if (ike_random_public((uint8_t *)&spi_r, 8) < 0)
			break;
	if (!dh || ikev2_new_nonce(nr, &nr_len) < 0 || ike_dh_pub(dh, pub, sizeof(pub)) < 0 ||
	    ike_dh_shared(dh, ke.data, ke.len, shared, &slen) < 0 ||
	    !(nsa = rekeyed_sa(sa, false, ikev2_get64(props[k].spi), spi_r, &algs, n_pl->body,
			       n_pl->len, nr, nr_len, shared, slen))) {
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		ike_sa_log(sa, IKE_LOG_ERR, "IKE SA rekey refused: invalid KE or out of resources");
	} else {
		ikev2_put64(spi, spi_r);
		ikev2_prop_from_algs(&algs, props[k].num, IKEV2_PROTO_IKE, spi, 8, &reply);
		ikev2_w_sa(&o->w, &reply, 1);
		ikev2_w_nonce(&o->w, nr, nr_len);
		ikev2_w_ke(&o->w, algs.dh, pub, ike_dh_publen(algs.dh));
		min_nonce(n_pl->body, nr, mn);
	}
	ike_dh_free(dh);
	ike_wipe(shared, sizeof(shared));
	return nsa;
}

void ikev2_ike_rekey_respond(struct ike_sa *sa, const struct ikev2_chain *c, struct ikev2_out *o)
{
	bool crossing = sa->req_kind == REQ_IKE_REKEY;
	uint8_t mn[IKE_MIN_NONCE];
	struct ike_sa *nsa;

	if (crossing && !(sa->collide = calloc(1, sizeof(*sa->collide)))) {
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		ikev2_send_response(sa, o, sa->msgid_in);
		return;
	}
	nsa = respond_ike_rekey(sa, c, o, mn);
	if (ikev2_send_response(sa, o, sa->msgid_in) < 0 || !nsa) {
		if (nsa)
			ike_sa_kill(nsa, "cannot answer rekey");
		free(sa->collide);
		sa->collide = NULL;
	} else if (crossing) {
		park(sa, nsa, mn);
	} else {
		ike_sa_takeover(sa, nsa);
	}
}

/* ---- initiator: the response ---- */

int ikev2_ike_rekey_done(struct ike_sa *sa, struct ike_exch_ctx *x, const struct ikev2_chain *c)
{
	const struct ikev2_pl *sa_pl = ikev2_chain_find(c, IKEV2_PL_SA);
	const struct ikev2_pl *ke_pl = ikev2_chain_find(c, IKEV2_PL_KE);
	const struct ikev2_pl *n_pl = ikev2_chain_find(c, IKEV2_PL_NONCE);
	struct ikev2_prop prop;
	struct ike_algs algs;
	struct ikev2_ke ke;
	struct ike_sa *nsa = NULL;
	uint8_t shared[IKE_MAX_DH_SHARED];
	size_t slen = IKE_MAX_DH_SHARED;
	unsigned np = 0;
	uint8_t mn[IKE_MIN_NONCE];

	if (sa_pl && ke_pl && n_pl && ikev2_sa_parse(sa_pl->body, sa_pl->len, &prop, 1, &np) == 0 &&
	    np == 1 && prop.spi_size == 8 && ikev2_ke_parse(ke_pl->body, ke_pl->len, &ke) == 0 &&
	    ikev2_nonce_parse(n_pl->body, n_pl->len) == 0 &&
	    ikev2_props_accept(sa->conn->cfg.proposals, sa->conn->cfg.n_proposals, &prop,
			       IKEV2_PROTO_IKE, true, &algs) == 0 &&
	    algs.dh == x->dh_group && ke.group == x->dh_group &&
	    ike_dh_shared(x->dh, ke.data, ke.len, shared, &slen) == 0)
		nsa = rekeyed_sa(sa, true, x->new_ike_spi, ikev2_get64(prop.spi), &algs, x->nonce,
				 x->nonce_len, n_pl->body, n_pl->len, shared, slen);
	ike_wipe(shared, sizeof(shared));
	if (!nsa) {
		ike_sa_log(sa, IKE_LOG_ERR, "IKE SA rekey failed: invalid response");
		return -EBADMSG;
	}
	min_nonce(x->nonce, n_pl->body, mn);
	if (lost_collision(sa, nsa, mn))
		return 0;
	ike_sa_takeover(sa, nsa);
	/* The rekey initiator deletes the old IKE SA (2.18). */
	sa->delete_at = 0;
	ikev2_delete_ike_start(sa);
	return 0;
}
