/* SPDX-License-Identifier: BSD-3-Clause */
/* CHILD SA negotiation shared by IKE_AUTH and CREATE_CHILD_SA: proposal and
 * selector choice, KEYMAT, and the child list of an IKE SA. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

struct ike_child *ike_child_find_in(struct ike_sa *sa, uint32_t spi_in)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->info.spi_in == spi_in)
			return c;
	return NULL;
}

struct ike_child *ike_child_find_out(struct ike_sa *sa, uint32_t spi_out)
{
	for (struct ike_child *c = sa->children; c; c = c->next)
		if (c->info.spi_out == spi_out)
			return c;
	return NULL;
}

void ike_child_remove(struct ike_sa *sa, struct ike_child *c, const char *reason, bool emit)
{
	for (struct ike_child **pp = &sa->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (emit)
		ike_emit_child(sa, IKE_EV_CHILD_DOWN, c, reason);
	ike_wipe(c, sizeof(*c));
	free(c);
}

void ike_child_schedule(struct ike_sa *sa, struct ike_child *c)
{
	const struct ike_child_cfg *cfg = c->cfg;
	uint64_t now = sa->e->now, life;

	c->rekey_at = c->expire_at = 0;
	if (cfg->rekey_time_s)
		c->rekey_at = now +
			      ike_jitter(cfg->rekey_time_s * 1000ull, cfg->rand_time_s * 1000ull);
	life = cfg->life_time_s ? cfg->life_time_s * 1000ull : cfg->rekey_time_s * 1100ull;
	if (life)
		c->expire_at = now + life;
}

void ikev2_child_write_offer(struct ike_sa *sa, struct ikev2_writer *w,
			     const struct ike_child_cfg *cfg, uint32_t spi, bool pfs,
			     const uint8_t *nonce, size_t nonce_len, struct ike_dh *dh)
{
	struct ikev2_prop props[IKE_MAX_PROPOSALS];
	uint8_t s[4], pub[IKE_MAX_DH_PUB];

	(void)sa;
	ikev2_put32(s, spi);
	if (cfg->mode == IKE_MODE_TRANSPORT)
		ikev2_w_notify(w, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	ikev2_props_from_cfg(cfg->proposals, cfg->n_proposals, IKEV2_PROTO_ESP, s, 4, pfs, props);
	ikev2_w_sa(w, props, cfg->n_proposals);
	if (nonce)
		ikev2_w_nonce(w, nonce, nonce_len);
	if (dh && ike_dh_pub(dh, pub, sizeof(pub)) == 0)
		ikev2_w_ke(w, ike_dh_group(dh), pub, ike_dh_publen(ike_dh_group(dh)));
	ikev2_w_ts(w, IKEV2_PL_TSI, cfg->local_ts, cfg->n_local_ts);
	ikev2_w_ts(w, IKEV2_PL_TSR, cfg->remote_ts, cfg->n_remote_ts);
}

void ikev2_child_req_init(struct ikev2_child_req *rq, const struct ikev2_chain *c, const char *exch,
			  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	memset(rq, 0, sizeof(*rq));
	rq->c = c;
	rq->exch = exch;
	rq->ni = ni;
	rq->ni_len = ni_len;
	rq->nr = nr;
	rq->nr_len = nr_len;
}

struct child_payloads {
	struct ikev2_prop props[IKE_MAX_PROPOSALS * 2];
	unsigned np, ntsi, ntsr;
	struct ike_ts tsi[IKE_MAX_TS], tsr[IKE_MAX_TS];
	bool transport;
	bool has_ke;
	struct ikev2_ke ke;
};

static int parse_child(const struct ikev2_chain *c, struct child_payloads *p)
{
	const struct ikev2_pl *sa = ikev2_chain_find(c, IKEV2_PL_SA);
	const struct ikev2_pl *tsi = ikev2_chain_find(c, IKEV2_PL_TSI);
	const struct ikev2_pl *tsr = ikev2_chain_find(c, IKEV2_PL_TSR);
	const struct ikev2_pl *ke = ikev2_chain_find(c, IKEV2_PL_KE);
	struct ikev2_ntf n;

	if (!sa || !tsi || !tsr ||
	    ikev2_sa_parse(sa->body, sa->len, p->props, IKE_MAX_PROPOSALS * 2, &p->np) < 0 ||
	    ikev2_ts_parse(tsi->body, tsi->len, p->tsi, IKE_MAX_TS, &p->ntsi) < 0 ||
	    ikev2_ts_parse(tsr->body, tsr->len, p->tsr, IKE_MAX_TS, &p->ntsr) < 0)
		return IKEV2_N_INVALID_SYNTAX;
	p->has_ke = ke && ikev2_ke_parse(ke->body, ke->len, &p->ke) == 0;
	p->transport = ikev2_find_notify(c, IKEV2_N_USE_TRANSPORT_MODE, &n) != NULL;
	return 0;
}

static struct ike_child *child_new(struct ike_sa *sa, const struct ike_child_cfg *cfg,
				   const struct ike_algs *algs, uint32_t spi_in, uint32_t spi_out,
				   bool transport)
{
	struct ike_child *ch = calloc(1, sizeof(*ch));
	struct ike_child_info *ci;

	if (!ch)
		return NULL;
	ch->cfg = cfg;
	ch->made = sa->e->now;
	ci = &ch->info;
	ci->conn = sa->conn->cfg.name;
	ci->child = cfg->name;
	ci->id = ike_next_id(sa->e);
	ci->ike_id = sa->id;
	ci->ike_spi_i = sa->spi_i;
	ci->ike_spi_r = sa->spi_r;
	ci->spi_in = spi_in;
	ci->spi_out = spi_out;
	ci->local = sa->local;
	ci->remote = sa->remote;
	ci->encap = sa->natt;
	ci->mode = transport ? IKE_MODE_TRANSPORT : IKE_MODE_TUNNEL;
	ci->if_id = cfg->if_id;
	ci->algs = *algs;
	return ch;
}

static void child_link(struct ike_sa *sa, struct ike_child *ch, const struct ikev2_child_req *rq)
{
	memcpy(ch->min_nonce, memcmp(rq->ni, rq->nr, sizeof(ch->min_nonce)) < 0 ? rq->ni : rq->nr,
	       sizeof(ch->min_nonce));
	ch->next = sa->children;
	sa->children = ch;
	ike_child_schedule(sa, ch);
}

/* Which child config fits: proposals and selectors both. */
struct child_choice {
	const struct ike_child_cfg *cfg;
	struct ike_algs algs;
	int prop;
	unsigned ntsi, ntsr;
	struct ike_ts tsi[IKE_MAX_TS], tsr[IKE_MAX_TS];
};

static int choose(struct ike_sa *sa, const struct ikev2_child_req *rq,
		  const struct child_payloads *p, struct child_choice *ch)
{
	const struct ike_conn_cfg *cc = &sa->conn->cfg;
	bool any_prop = false;
	char ours[512], theirs[768], a[512], b[512];

	for (unsigned i = 0; i < cc->n_children; i++) {
		const struct ike_child_cfg *cfg = &cc->children[i];

		if (rq->cfg && rq->cfg != cfg)
			continue;
		ch->prop = ikev2_props_select(cfg->proposals, cfg->n_proposals, p->props, p->np,
					      IKEV2_PROTO_ESP, rq->pfs_allowed, &ch->algs);
		if (ch->prop < 0)
			continue;
		any_prop = true;
		ch->ntsi = ikev2_ts_narrow(cfg->remote_ts, cfg->n_remote_ts, p->tsi, p->ntsi,
					   ch->tsi);
		ch->ntsr = ikev2_ts_narrow(cfg->local_ts, cfg->n_local_ts, p->tsr, p->ntsr,
					   ch->tsr);
		if (ch->ntsi && ch->ntsr) {
			ch->cfg = cfg;
			return 0;
		}
	}
	if (!any_prop) {
		const struct ike_child_cfg *cfg = rq->cfg ? rq->cfg : &cc->children[0];
		ike_sa_log(sa, IKE_LOG_ERR,
			   "%s: CHILD_SA NO_PROPOSAL_CHOSEN: peer offered [%s], we accept [%s]",
			   rq->exch, ikev2_props_str(p->props, p->np, theirs, sizeof(theirs)),
			   ike_cfg_props_str(cfg->proposals, cfg->n_proposals, ours, sizeof(ours)));
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	ike_sa_log(sa, IKE_LOG_ERR,
		   "%s: CHILD_SA TS_UNACCEPTABLE: peer proposed TSi %s TSr %s, "
		   "none of our children's selectors intersect them",
		   rq->exch, ikev2_ts_list_str(p->tsi, p->ntsi, a, sizeof(a)),
		   ikev2_ts_list_str(p->tsr, p->ntsr, b, sizeof(b)));
	return IKEV2_N_TS_UNACCEPTABLE;
}

static int child_dh(struct ike_sa *sa, const struct child_payloads *p, uint16_t group,
		    struct ike_dh **dh, uint8_t *shared, size_t *slen)
{
	if (!p->has_ke || p->ke.group != group)
		return IKEV2_N_INVALID_KE_PAYLOAD;
	*dh = ike_dh_new(group);
	*slen = IKE_MAX_DH_SHARED;
	if (!*dh || ike_dh_shared(*dh, p->ke.data, p->ke.len, shared, slen) < 0) {
		ike_sa_log(sa, IKE_LOG_ERR, "CREATE_CHILD_SA: peer's %s KE value is invalid",
			   ike_dh_name(group));
		return IKEV2_N_INVALID_SYNTAX;
	}
	return 0;
}

int ikev2_child_respond(struct ike_sa *sa, const struct ikev2_child_req *rq, struct ikev2_writer *w,
			struct ike_child **out)
{
	struct child_payloads *p = calloc(1, sizeof(*p));
	struct child_choice *ch = calloc(1, sizeof(*ch));
	struct ike_dh *dh = NULL;
	struct ike_child *child = NULL;
	struct ikev2_prop reply;
	uint8_t shared[IKE_MAX_DH_SHARED], spi[4], pub[IKE_MAX_DH_PUB];
	size_t slen = 0;
	bool transport;
	int err;

	*out = NULL;
	err = !p || !ch ? IKEV2_N_TEMPORARY_FAILURE : parse_child(rq->c, p);
	if (!err)
		err = choose(sa, rq, p, ch);
	if (!err && p->props[ch->prop].spi_size != 4)
		err = IKEV2_N_INVALID_SYNTAX;
	if (!err && ch->algs.dh)
		err = child_dh(sa, p, ch->algs.dh, &dh, shared, &slen);
	if (err == IKEV2_N_INVALID_KE_PAYLOAD) {
		uint8_t g[2];
		ikev2_put16(g, ch->algs.dh);
		ikev2_w_notify(w, 0, NULL, 0, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
		err = -1;
	}
	if (err)
		goto done;
	transport = p->transport && ch->cfg->mode == IKE_MODE_TRANSPORT;
	if (p->transport && !transport)
		ike_sa_log(sa, IKE_LOG_INFO,
			   "CHILD_SA %s: the initiator asked for transport mode, ours is tunnel "
			   "mode: tunnel",
			   ch->cfg->name);
	child = child_new(sa, ch->cfg, &ch->algs, ike_spi_alloc(sa->e),
			  ikev2_get32(p->props[ch->prop].spi), transport);
	if (!child || ikev2_child_keys(sa, child, false, dh ? shared : NULL, slen, rq->ni,
				       rq->ni_len, rq->nr, rq->nr_len) < 0) {
		err = IKEV2_N_TEMPORARY_FAILURE;
		goto done;
	}
	memcpy(child->info.local_ts, ch->tsr, sizeof(ch->tsr));
	memcpy(child->info.remote_ts, ch->tsi, sizeof(ch->tsi));
	child->info.n_local_ts = (uint8_t)ch->ntsr;
	child->info.n_remote_ts = (uint8_t)ch->ntsi;
	ikev2_put32(spi, child->info.spi_in);
	if (transport)
		ikev2_w_notify(w, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	ikev2_prop_from_algs(&ch->algs, p->props[ch->prop].num, IKEV2_PROTO_ESP, spi, 4, &reply);
	ikev2_w_sa(w, &reply, 1);
	if (rq->write_nonce)
		ikev2_w_nonce(w, rq->nr, rq->nr_len);
	if (dh && ike_dh_pub(dh, pub, sizeof(pub)) == 0)
		ikev2_w_ke(w, ch->algs.dh, pub, ike_dh_publen(ch->algs.dh));
	ikev2_w_ts(w, IKEV2_PL_TSI, ch->tsi, ch->ntsi);
	ikev2_w_ts(w, IKEV2_PL_TSR, ch->tsr, ch->ntsr);
	child_link(sa, child, rq);
	*out = child;
	child = NULL;
done:
	free(child);
	ike_dh_free(dh);
	ike_wipe(shared, sizeof(shared));
	free(p);
	free(ch);
	return err;
}

/* Every selector the responder chose must lie inside what we proposed. */
static bool ts_within(const struct ike_ts *ours, unsigned n_ours, const struct ike_ts *got,
		      unsigned n)
{
	struct ike_ts tmp[IKE_MAX_TS];

	for (unsigned i = 0; i < n; i++)
		if (ikev2_ts_narrow(ours, n_ours, &got[i], 1, tmp) != 1 ||
		    memcmp(&tmp[0], &got[i], sizeof(tmp[0])) != 0)
			return false;
	return n > 0;
}

int ikev2_child_complete(struct ike_sa *sa, const struct ikev2_child_req *rq, uint32_t our_spi,
			 struct ike_child **out)
{
	const struct ike_child_cfg *cfg = rq->cfg;
	struct child_payloads *p = calloc(1, sizeof(*p));
	struct ike_child *child = NULL;
	struct ike_algs algs;
	uint8_t shared[IKE_MAX_DH_SHARED];
	size_t slen = 0;
	char why[256] = "", a[512];
	int err = -1;

	*out = NULL;
	if (!p || parse_child(rq->c, p) != 0 || p->np != 1 || p->props[0].spi_size != 4) {
		snprintf(why, sizeof(why), "missing or malformed SA/TS payloads");
	} else if (ikev2_props_accept(cfg->proposals, cfg->n_proposals, &p->props[0],
				      IKEV2_PROTO_ESP, rq->dh != NULL, &algs) < 0) {
		snprintf(why, sizeof(why), "responder chose [%s], which we did not offer",
			 ikev2_props_str(&p->props[0], 1, a, sizeof(a)));
	} else if (!ts_within(cfg->local_ts, cfg->n_local_ts, p->tsi, p->ntsi) ||
		   !ts_within(cfg->remote_ts, cfg->n_remote_ts, p->tsr, p->ntsr)) {
		snprintf(why, sizeof(why), "responder's traffic selectors are not within ours");
	} else if (rq->dh && (!p->has_ke || p->ke.group != ike_dh_group(rq->dh) ||
			      (slen = IKE_MAX_DH_SHARED,
			       ike_dh_shared(rq->dh, p->ke.data, p->ke.len, shared, &slen) < 0))) {
		snprintf(why, sizeof(why), "responder's KE payload is missing or invalid");
	} else {
		child = child_new(sa, cfg, &algs, our_spi, ikev2_get32(p->props[0].spi),
				  p->transport && cfg->mode == IKE_MODE_TRANSPORT);
		if (child && ikev2_child_keys(sa, child, true, rq->dh ? shared : NULL, slen, rq->ni,
					      rq->ni_len, rq->nr, rq->nr_len) == 0)
			err = 0;
		else
			snprintf(why, sizeof(why), "key derivation failed");
		if (!err && cfg->mode == IKE_MODE_TRANSPORT && !p->transport)
			ike_sa_log(sa, IKE_LOG_INFO,
				   "CHILD_SA %s: we asked for transport mode, the responder chose "
				   "tunnel mode (no USE_TRANSPORT_MODE in its answer)",
				   cfg->name);
	}
	ike_wipe(shared, sizeof(shared));
	if (err) {
		ike_sa_log(sa, IKE_LOG_ERR, "%s: CHILD_SA '%s' not created: %s", rq->exch,
			   cfg->name, why);
		free(child);
		free(p);
		return err;
	}
	memcpy(child->info.local_ts, p->tsi, sizeof(p->tsi));
	memcpy(child->info.remote_ts, p->tsr, sizeof(p->tsr));
	child->info.n_local_ts = (uint8_t)p->ntsi;
	child->info.n_remote_ts = (uint8_t)p->ntsr;
	child_link(sa, child, rq);
	*out = child;
	free(p);
	return 0;
}
