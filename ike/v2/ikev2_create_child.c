/* SPDX-License-Identifier: BSD-3-Clause */
/* CREATE_CHILD_SA (RFC 7296 1.3): new CHILD SA and CHILD SA rekey (1.3.3),
 * both roles, with PFS when the proposal has a DH group, the simultaneous-
 * rekey rule of 2.8.1 and the collisions of 2.25; the IKE SA rekey is in
 * ikev2_ike_rekey.c.
 *   HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr}  -->
 *                       <--  HDR, SK {SA, Nr, [KEr], TSi, TSr} */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

int ikev2_new_nonce(uint8_t *n, size_t *len)
{
	*len = IKE_NONCE_LEN;
	return ike_random_public(n, *len);
}

static uint16_t pfs_group(const struct ike_child_cfg *cfg)
{
	return cfg->n_proposals && cfg->proposals[0].n_dh ? cfg->proposals[0].dh[0] : 0;
}

/* CREATE_CHILD_SA { [N(REKEY_SA),] SA, Ni, [KEi,] TSi, TSr } --> for a new
 * CHILD SA of cfg, or the replacement of CHILD SA old_spi (0: none). */
static int child_request(struct ike_sa *sa, const struct ike_child_cfg *cfg, uint32_t old_spi,
			 enum ike_req_kind kind)
{
	struct ike_exch_ctx *x = &sa->req_ctx;
	struct ikev2_out *o = malloc(sizeof(*o));
	uint8_t s[4];
	uint16_t g;
	int r;

	if (!o)
		return -ENOMEM;
	memset(x, 0, sizeof(*x));
	x->old_spi_in = old_spi;
	x->child_cfg = cfg;
	x->new_spi = ike_spi_alloc(sa->e);
	g = pfs_group(cfg);
	x->dh = g ? ike_dh_new(g) : NULL;
	r = ikev2_new_nonce(x->nonce, &x->nonce_len);
	if (r == 0 && g && !x->dh)
		r = -ENOMEM;
	ikev2_out_init(o, sa, IKEV2_EXCH_CREATE_CHILD_SA, false);
	if (old_spi) {
		ikev2_put32(s, old_spi);
		ikev2_w_notify(&o->w, IKEV2_PROTO_ESP, s, 4, IKEV2_N_REKEY_SA, NULL, 0);
	}
	ikev2_child_write_offer(sa, &o->w, cfg, x->new_spi, g != 0, x->nonce, x->nonce_len, x->dh);
	if (r == 0)
		r = ikev2_send_request(sa, o, kind);
	free(o);
	if (r < 0) {
		ike_dh_free(x->dh);
		memset(x, 0, sizeof(*x));
	}
	return r;
}

int ikev2_rekey_child_start(struct ike_sa *sa, uint32_t spi_in)
{
	struct ike_child *old = ike_child_find_in(sa, spi_in);
	int r;

	if (!old || old->state != CHILD_INSTALLED)
		return -ENOENT;
	r = child_request(sa, old->cfg, spi_in, REQ_CHILD_REKEY);
	if (r == 0)
		ike_sa_log(sa, IKE_LOG_INFO, "rekeying CHILD_SA %s %08x_i %08x_o", old->info.child,
			   old->info.spi_in, old->info.spi_out);
	return r;
}

int ikev2_create_child_start(struct ike_sa *sa, const struct ike_child_cfg *cfg)
{
	int r = child_request(sa, cfg, 0, REQ_CHILD_NEW);

	if (r == 0)
		ike_sa_log(sa, IKE_LOG_INFO, "creating CHILD_SA %s", cfg->name);
	return r;
}

/* ---- responder ---- */

static void respond_child(struct ike_sa *sa, const struct ikev2_chain *c, struct ikev2_out *o)
{
	const struct ikev2_pl *n_pl = ikev2_chain_find(c, IKEV2_PL_NONCE);
	struct ikev2_ntf rn;
	struct ike_child *old = NULL, *child = NULL;
	struct ikev2_child_req rq;
	uint8_t nr[IKE_MAX_NONCE];
	size_t nr_len;
	int err;

	if (ikev2_find_notify(c, IKEV2_N_REKEY_SA, &rn)) {
		if (rn.proto != IKEV2_PROTO_ESP || rn.spi_size != 4 ||
		    !(old = ike_child_find_out(sa, ikev2_get32(rn.spi)))) {
			/* 2.25: it crossed our delete of that CHILD SA (or our
			 * rekey that replaced it): the answer lets the peer drop
			 * it. Unanswered, the peer would give the IKE SA up. */
			ikev2_w_notify(&o->w, IKEV2_PROTO_ESP, rn.spi, rn.spi_size == 4 ? 4 : 0,
				       IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0);
			ike_sa_log(sa, IKE_LOG_INFO,
				   "peer wants to rekey a CHILD_SA we no longer have: "
				   "CHILD_SA_NOT_FOUND");
			ikev2_send_response(sa, o, sa->msgid_in);
			return;
		}
		if (old->state != CHILD_INSTALLED) {
			/* 2.25.1: replaced by a rekey that completed (its delete
			 * is on its way) or being deleted. Answering normally
			 * would replace it twice, and the end whose rekey was late
			 * would keep a second CHILD SA nobody deletes. */
			ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
			ike_sa_log(sa, IKE_LOG_INFO,
				   "peer wants to rekey CHILD_SA %08x, already replaced or being "
				   "deleted: TEMPORARY_FAILURE",
				   old->info.spi_in);
			ikev2_send_response(sa, o, sa->msgid_in);
			return;
		}
	}
	if (!n_pl || ikev2_nonce_parse(n_pl->body, n_pl->len) < 0 ||
	    ikev2_new_nonce(nr, &nr_len) < 0) {
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		ikev2_send_response(sa, o, sa->msgid_in);
		return;
	}
	ikev2_child_req_init(&rq, c, "CREATE_CHILD_SA", n_pl->body, n_pl->len, nr, nr_len);
	rq.cfg = old ? old->cfg : NULL;
	rq.pfs_allowed = true;
	rq.write_nonce = true;
	err = ikev2_child_respond(sa, &rq, &o->w, &child);
	if (err > 0)
		ikev2_w_notify(&o->w, 0, NULL, 0, (uint16_t)err, NULL, 0);
	/* Announced before the response leaves: the initiator may send on
	 * the new SA as soon as it has the response, so the data plane must
	 * have our inbound SA by then. */
	if (child) {
		ike_keylog_child(sa, child);
		if (old) {
			child->info.old_spi_in = old->info.spi_in;
			old->state = CHILD_REKEYED;
		}
		ike_emit_child(sa, old ? IKE_EV_CHILD_REKEYED : IKE_EV_CHILD_UP, child, NULL);
	}
	ikev2_send_response(sa, o, sa->msgid_in);
}

/* A CREATE_CHILD_SA whose first proposal is for an IKE SA: a rekey of it. */
static bool is_ike_rekey(const struct ikev2_pl *sa_pl, struct ikev2_prop *first, unsigned *np)
{
	*np = 0;
	return ikev2_sa_parse(sa_pl->body, sa_pl->len, first, 1, np) == 0 &&
	       first->proto == IKEV2_PROTO_IKE;
}

void ikev2_create_child_request(struct ike_sa *sa, const struct ikev2_chain *c)
{
	const struct ikev2_pl *sa_pl = ikev2_chain_find(c, IKEV2_PL_SA);
	struct ikev2_out *o = malloc(sizeof(*o));
	struct ikev2_prop first;
	unsigned np = 0;
	bool ike_rekey = sa_pl && is_ike_rekey(sa_pl, &first, &np);

	if (!o)
		return;
	ikev2_out_init(o, sa, IKEV2_EXCH_CREATE_CHILD_SA, true);
	if (sa->state != IKE_S_ESTABLISHED || sa->req_kind == REQ_DELETE_IKE ||
	    (sa->req_kind == REQ_IKE_REKEY && !ike_rekey)) {
		/* A rekey or delete of this IKE SA is under way (2.25). */
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		ikev2_send_response(sa, o, sa->msgid_in);
	} else if (!sa_pl) {
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		ikev2_send_response(sa, o, sa->msgid_in);
	} else if (ike_rekey && sa->req_kind != REQ_NONE &&
		   (sa->req_kind != REQ_IKE_REKEY || sa->collide)) {
		/* An exchange of ours is in flight on this IKE SA: its answer
		 * would come to the old SA after the children had moved to the
		 * new one (a CHILD SA made there would die with it). The peer
		 * tries again after a short delay (2.25). A crossing IKE SA
		 * rekey is answered (2.8.2). */
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		ikev2_send_response(sa, o, sa->msgid_in);
	} else if (ike_rekey) {
		ikev2_ike_rekey_respond(sa, c, o);
	} else {
		respond_child(sa, c, o);
	}
	free(o);
}

/* ---- initiator: the response ---- */

/* The peer's replacement of old_spi made by its crossing rekey, if any. */
static struct ike_child *sibling(struct ike_sa *sa, const struct ike_child *ours, uint32_t old_spi)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c != ours && c->info.old_spi_in == old_spi)
			return c;
	return NULL;
}

/* 2.8.1: both ends rekeyed the same CHILD SA. The new SA made by the
 * exchange holding the lowest of the four nonces is redundant, and is
 * deleted by the end that initiated that exchange. Returns true if ours
 * lost (we delete our new SA; the peer deletes the old one). */
static bool lost_rekey_collision(struct ike_sa *sa, const struct ike_child *ours, uint32_t old_spi)
{
	const struct ike_child *c = sibling(sa, ours, old_spi);

	return c && memcmp(ours->min_nonce, c->min_nonce, sizeof(c->min_nonce)) < 0;
}

static void child_rekey_done(struct ike_sa *sa, struct ike_exch_ctx *x, struct ike_child *child)
{
	struct ike_child *old = ike_child_find_in(sa, x->old_spi_in), *sib;
	/* The old SA may be gone already: when our answer to the peer's rekey
	 * was lost, the peer can have settled the collision and deleted it
	 * before our retransmitted request got its answer; the peer's
	 * replacement still tells us there was a collision. */
	bool lost = (!old || old->state == CHILD_REKEYED) &&
		    lost_rekey_collision(sa, child, x->old_spi_in);

	child->info.old_spi_in = x->old_spi_in;
	child->info.redundant = lost;
	sib = lost ? NULL : sibling(sa, child, x->old_spi_in);
	child->info.redundant_in = sib ? sib->info.spi_in : 0;
	ike_keylog_child(sa, child);
	/* Announced even if redundant: the peer may already send on it. */
	ike_emit_child(sa, IKE_EV_CHILD_REKEYED, child, NULL);
	if (lost) {
		ike_sa_log(sa, IKE_LOG_INFO,
			   "simultaneous CHILD_SA rekey lost: deleting our redundant %08x",
			   child->info.spi_in);
		child->state = CHILD_REKEYED;
		ike_sa_queue(sa, IKE_ACT_DELETE_CHILD, child->info.spi_in);
		return;
	}
	if (old) {
		old->state = CHILD_REKEYED;
		ike_sa_queue(sa, IKE_ACT_DELETE_CHILD, old->info.spi_in);
	}
}

/* 2.25: a rekey refused with TEMPORARY_FAILURE (the peer is rekeying or
 * deleting the IKE SA: a crossing exchange) is tried again after a short
 * random delay; one refused otherwise after a longer one. Either way its
 * timer is armed again: an SA never stays without a rekey. */
#define RETRY_TEMP_MS  5000u /* 1-5 s */
#define RETRY_TEMP_RND 4000u
#define RETRY_FAIL_MS  60000u /* 30-60 s */
#define RETRY_FAIL_RND 30000u

static uint64_t retry_at(const struct ike_sa *sa, uint16_t err)
{
	bool temp = err == IKEV2_N_TEMPORARY_FAILURE;

	return sa->e->now + ike_jitter(temp ? RETRY_TEMP_MS : RETRY_FAIL_MS,
				       temp ? RETRY_TEMP_RND : RETRY_FAIL_RND);
}

/* 2.25: a CHILD SA the peer no longer has is created afresh, unless
 * another CHILD SA of its configuration is up (a crossing rekey left one). */
static void recreate(struct ike_sa *sa, const struct ike_child_cfg *cfg)
{
	const struct ike_conn_cfg *cc = &sa->conn->cfg;

	if (cfg < cc->children || cfg >= cc->children + cc->n_children)
		return; /* a load generator's own selectors */
	for (const struct ike_child *c = sa->children; c; c = c->next)
		if (c->cfg == cfg && c->state == CHILD_INSTALLED)
			return;
	ike_sa_queue(sa, IKE_ACT_CREATE_CHILD, (uint32_t)(cfg - cc->children));
}

static void retry_child_rekey(struct ike_sa *sa, const struct ike_exch_ctx *x, uint16_t err)
{
	/* Still on this IKE SA: an IKE rekey is refused while our exchange
	 * is in flight (ikev2_create_child_request()). */
	struct ike_child *c = ike_child_find_in(sa, x->old_spi_in);

	if (!c)
		return;
	if (err == IKEV2_N_CHILD_SA_NOT_FOUND) {
		const struct ike_child_cfg *cfg = c->cfg;

		ike_child_remove(sa, c, "peer does not know this CHILD_SA", true);
		recreate(sa, cfg);
		return;
	}
	if (c->state == CHILD_INSTALLED) {
		c->rekey_at = retry_at(sa, err);
		ike_timer_touch(sa);
	}
}

/* The rekey timer of what the failed request was for, armed again. */
static void rearm(struct ike_sa *sa, enum ike_req_kind kind, const struct ike_exch_ctx *x,
		  uint16_t err)
{
	/* A crossing rekey of the peer's that we answered replaces the SA. */
	if (kind == REQ_IKE_REKEY && sa->state == IKE_S_ESTABLISHED && !ikev2_ike_rekey_adopt(sa))
		sa->rekey_at = retry_at(sa, err);
	else if (kind == REQ_CHILD_REKEY)
		retry_child_rekey(sa, x, err);
}

static void refused(struct ike_sa *sa, enum ike_req_kind kind, const struct ike_exch_ctx *x,
		    uint16_t err)
{
	const char *what = kind == REQ_IKE_REKEY     ? "IKE rekey"
			   : kind == REQ_CHILD_REKEY ? "CHILD rekey"
						     : "new CHILD";
	bool temp = err == IKEV2_N_TEMPORARY_FAILURE;

	const char *next = kind == REQ_CHILD_NEW               ? ""
			   : err == IKEV2_N_CHILD_SA_NOT_FOUND ? "; removing the CHILD_SA"
			   : temp                              ? "; trying again in 1-5 s"
							       : "; trying again in 30-60 s";

	/* CHILD_SA_NOT_FOUND: the peer's delete crossed our rekey (charon
	 * also answers so when our request meets its own in flight): it is
	 * recovered below, not an error. */
	ike_sa_log(sa, temp || err == IKEV2_N_CHILD_SA_NOT_FOUND ? IKE_LOG_INFO : IKE_LOG_ERR,
		   "CREATE_CHILD_SA (%s) %s: peer answered %s%s", what,
		   temp ? "refused for now" : "failed", ikev2_notify_name(err), next);
	rearm(sa, kind, x, err);
}

void ikev2_create_child_response(struct ike_sa *sa, enum ike_req_kind kind, struct ike_exch_ctx *x,
				 const struct ikev2_chain *c)
{
	const struct ikev2_pl *n_pl = ikev2_chain_find(c, IKEV2_PL_NONCE);
	struct ike_child *child = NULL;
	struct ikev2_child_req rq;
	uint16_t err = ikev2_error_notify(c);

	if (err) {
		refused(sa, kind, x, err);
		return;
	}
	if (kind == REQ_IKE_REKEY) {
		if (ikev2_ike_rekey_done(sa, x, c) < 0)
			rearm(sa, kind, x, 0);
		return;
	}
	if (!n_pl || ikev2_nonce_parse(n_pl->body, n_pl->len) < 0) {
		ike_sa_log(sa, IKE_LOG_ERR, "CREATE_CHILD_SA response without a valid nonce");
		rearm(sa, kind, x, 0);
		return;
	}
	ikev2_child_req_init(&rq, c, "CREATE_CHILD_SA", x->nonce, x->nonce_len, n_pl->body,
			     n_pl->len);
	rq.cfg = x->child_cfg;
	rq.dh = x->dh;
	if (ikev2_child_complete(sa, &rq, x->new_spi, &child) < 0) {
		rearm(sa, kind, x, 0); /* logged there */
		return;
	}
	if (kind == REQ_CHILD_REKEY) {
		child_rekey_done(sa, x, child);
	} else {
		ike_keylog_child(sa, child);
		ike_emit_child(sa, IKE_EV_CHILD_UP, child, NULL);
	}
}
