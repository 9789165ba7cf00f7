/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE_SA_INIT (RFC 7296 1.2), both roles, with cookies (2.6), the
 * INVALID_KE_PAYLOAD retry (1.2) and NAT detection (2.23).
 *   HDR, SAi1, KEi, Ni, N(NAT_D_SRC), N(NAT_D_DST)  -->
 *                   <--  HDR, SAr1, KEr, Nr, N(NAT_D_SRC), N(NAT_D_DST) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"

#define MAX_INIT_RETRIES 3
#define COOKIE_LEN       17

static int dup_msg(uint8_t **dst, size_t *dlen, const uint8_t *src, size_t len)
{
	free(*dst);
	*dst = malloc(len);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, len);
	*dlen = len;
	return 0;
}

/* The keys from g^ir (2.14) and a copy of IKE_SA_INIT message idx (0 the
 * request, 1 the response), which the AUTH payloads sign (2.15); g^ir is
 * wiped either way. */
static int keys_from_init(struct ike_sa *sa, uint8_t shared[IKE_MAX_DH_SHARED], size_t slen,
			  int idx, const uint8_t *msg, size_t len)
{
	int r = 0;

	if (ikev2_derive_ike_keys(sa, shared, slen, NULL) < 0 ||
	    dup_msg(&sa->init_msg[idx], &sa->init_len[idx], msg, len) < 0)
		r = -1;
	ike_wipe(shared, IKE_MAX_DH_SHARED);
	return r;
}

/* Our NAT_DETECTION_SOURCE_IP: the real hash, or random bytes when UDP
 * encapsulation is forced, which makes the peer believe we are behind a NAT
 * (what strongSwan does for encap=yes). */
static void write_natd(struct ike_sa *sa, struct ikev2_writer *w, uint64_t spi_r)
{
	uint8_t hsrc[20], hdst[20];

	ikev2_natd_hash(sa->spi_i, spi_r, &sa->local, hsrc);
	if (sa->conn->cfg.force_encap)
		ike_random_public(hsrc, sizeof(hsrc));
	ikev2_natd_hash(sa->spi_i, spi_r, &sa->remote, hdst);
	ikev2_w_notify(w, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, hsrc, 20);
	ikev2_w_notify(w, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, hdst, 20);
}

/* RFC 7383 2.3: both ends announce fragmentation in IKE_SA_INIT; the
 * responder only in answer to an initiator that did. */
static bool peer_fragments(const struct ike_engine *e, const struct ikev2_chain *c)
{
	struct ikev2_ntf n;

	return e->cfg.fragmentation &&
	       ikev2_find_notify(c, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, &n) != NULL;
}

static void write_frag_supported(struct ikev2_writer *w)
{
	ikev2_w_notify(w, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
}

/* Checks the peer's NAT-D notifies; returns false when it sent none. */
static bool check_natd(struct ike_sa *sa, const struct ikev2_chain *c, uint64_t spi_r)
{
	uint8_t h[20];
	bool src_seen = false, src_match = false, dst_match = false, dst_seen = false;

	for (unsigned i = 0; i < c->n; i++) {
		struct ikev2_ntf n;
		if (c->pl[i].type != IKEV2_PL_NOTIFY ||
		    ikev2_notify_parse(c->pl[i].body, c->pl[i].len, &n) < 0 || n.dlen != 20)
			continue;
		if (n.type == IKEV2_N_NAT_DETECTION_SOURCE_IP) {
			src_seen = true;
			ikev2_natd_hash(sa->spi_i, spi_r, &sa->remote, h);
			src_match |= memcmp(h, n.data, 20) == 0;
		} else if (n.type == IKEV2_N_NAT_DETECTION_DESTINATION_IP) {
			dst_seen = true;
			ikev2_natd_hash(sa->spi_i, spi_r, &sa->local, h);
			dst_match |= memcmp(h, n.data, 20) == 0;
		}
	}
	if (!src_seen || !dst_seen)
		return false;
	sa->nat_remote = !src_match;
	sa->nat_local = !dst_match;
	if (sa->nat_local || sa->nat_remote)
		ike_sa_log(sa, IKE_LOG_INFO, "NAT detected:%s%s",
			   sa->nat_local ? " in front of us" : "",
			   sa->nat_remote ? " in front of the peer" : "");
	return true;
}

static void cookie_compute(struct ike_engine *e, const ike_addr_t *remote, uint64_t spi_i,
			   const uint8_t *ni, size_t ni_len, uint8_t out[COOKIE_LEN])
{
	uint8_t spi[8], h[32];
	const uint8_t *d[4] = { ni, remote->a, spi, e->cookie_secret };
	size_t l[4] = { ni_len, remote->family == 4 ? 4u : 16u, 8, sizeof(e->cookie_secret) };

	ikev2_put64(spi, spi_i);
	ike_sha256(d, l, 4, h);
	out[0] = 0; /* secret version, for rotation */
	memcpy(out + 1, h, COOKIE_LEN - 1);
}

int ikev2_sa_init_start(struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ikev2_prop props[IKE_MAX_PROPOSALS];
	uint8_t pub[IKE_MAX_DH_PUB];
	size_t publen;
	struct ikev2_out *o;
	int r;

	if (!sa->dh) {
		if (!sa->local.family)
			sa->local = cfg->local;
		sa->remote = cfg->remote;
		sa->ke_group = cfg->proposals[0].dh[0];
		sa->dh = ike_dh_new(sa->ke_group);
		sa->ni_len = IKE_NONCE_LEN;
		if (!sa->dh || ike_random_public(sa->ni, sa->ni_len) < 0)
			return -ENOMEM;
	}
	publen = ike_dh_publen(sa->ke_group);
	if (ike_dh_pub(sa->dh, pub, sizeof(pub)) < 0)
		return -EIO;
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	ikev2_out_init(o, NULL, IKEV2_EXCH_IKE_SA_INIT, false);
	if (sa->cookie_len)
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_COOKIE, sa->cookie, sa->cookie_len);
	ikev2_props_from_cfg(cfg->proposals, cfg->n_proposals, IKEV2_PROTO_IKE, NULL, 0, true,
			     props);
	ikev2_w_sa(&o->w, props, cfg->n_proposals);
	ikev2_w_ke(&o->w, sa->ke_group, pub, publen);
	ikev2_w_nonce(&o->w, sa->ni, sa->ni_len);
	write_natd(sa, &o->w, 0);
	ikev2_cert_init_write(sa, &o->w, false);
	if (sa->e->cfg.fragmentation)
		write_frag_supported(&o->w);
	sa->msgid_out = 0;
	r = ikev2_send_request(sa, o, REQ_SA_INIT);
	if (r == 0)
		r = dup_msg(&sa->init_msg[0], &sa->init_len[0], sa->req_buf, sa->req_len);
	free(o);
	if (r == 0)
		ike_sa_set_state(sa, IKE_S_INIT_SENT);
	return r;
}

static void init_fail(struct ike_sa *sa, const char *why)
{
	ike_sa_log(sa, IKE_LOG_ERR, "IKE_SA_INIT failed: %s", why);
	ike_emit_sa(sa, IKE_EV_FAILED, why);
	ike_sa_kill(sa, why);
}

static bool group_offered(const struct ike_conn_cfg *cfg, uint16_t g)
{
	for (unsigned i = 0; i < cfg->n_proposals; i++)
		for (unsigned k = 0; k < cfg->proposals[i].n_dh; k++)
			if (cfg->proposals[i].dh[k] == g)
				return true;
	return false;
}

/* COOKIE or INVALID_KE_PAYLOAD: restart with what the responder asked. */
static bool handle_retry(struct ike_sa *sa, const struct ikev2_chain *c)
{
	struct ikev2_ntf n;
	char why[256], offered[512];

	if (ikev2_find_notify(c, IKEV2_N_COOKIE, &n)) {
		if (n.dlen < 1 || n.dlen > IKE_MAX_COOKIE || sa->ke_retries++ >= MAX_INIT_RETRIES) {
			init_fail(sa, "responder keeps demanding cookies");
			return true;
		}
		memcpy(sa->cookie, n.data, n.dlen);
		sa->cookie_len = n.dlen;
		ike_sa_log(sa, IKE_LOG_INFO, "responder demands a cookie, retrying IKE_SA_INIT");
	} else if (ikev2_find_notify(c, IKEV2_N_INVALID_KE_PAYLOAD, &n)) {
		uint16_t g = n.dlen == 2 ? ikev2_get16(n.data) : 0;

		if (!group_offered(&sa->conn->cfg, g) || g == sa->ke_group ||
		    sa->ke_retries++ >= MAX_INIT_RETRIES) {
			snprintf(
				why, sizeof(why),
				"peer answered INVALID_KE_PAYLOAD asking for %s, which we did not offer (offered: %s)",
				ike_dh_name(g),
				ike_cfg_props_str(sa->conn->cfg.proposals,
						  sa->conn->cfg.n_proposals, offered,
						  sizeof(offered)));
			init_fail(sa, why);
			return true;
		}
		ike_sa_log(sa, IKE_LOG_INFO, "peer wants DH group %s instead of %s, retrying",
			   ike_dh_name(g), ike_dh_name(sa->ke_group));
		ike_dh_free(sa->dh);
		sa->ke_group = g;
		sa->dh = ike_dh_new(g);
		if (!sa->dh) {
			init_fail(sa, "cannot create DH key");
			return true;
		}
	} else {
		return false;
	}
	ikev2_request_done(sa);
	if (ikev2_sa_init_start(sa) < 0)
		init_fail(sa, "cannot rebuild IKE_SA_INIT");
	return true;
}

static int dh_compute(struct ike_dh *dh, const struct ikev2_ke *ke, uint8_t *out, size_t *len)
{
	*len = IKE_MAX_DH_SHARED;
	return ike_dh_shared(dh, ke->data, ke->len, out, len);
}

/* Moves both ends to the NAT-T port when a NAT is seen or encapsulation is
 * forced; the peer follows because our messages then carry the marker. */
static void maybe_float(struct ike_sa *sa)
{
	if (sa->nat_local || sa->nat_remote || sa->conn->cfg.force_encap) {
		sa->natt = true;
		sa->local.port = sa->e->cfg.natt_port;
		sa->remote.port = sa->e->cfg.natt_port;
	}
}

void ikev2_sa_init_response(struct ike_sa *sa, const uint8_t *msg, size_t len,
			    const struct ikev2_hdr *h, const struct ikev2_chain *c)
{
	struct ikev2_prop prop;
	struct ikev2_ke ke;
	const struct ikev2_pl *sa_pl, *ke_pl, *n_pl;
	uint8_t shared[IKE_MAX_DH_SHARED];
	size_t slen;
	unsigned np;
	uint16_t err;
	char why[1024], ours[512], theirs[512];

	if (sa->state != IKE_S_INIT_SENT || handle_retry(sa, c))
		return;
	if ((err = ikev2_error_notify(c)) != 0) {
		snprintf(why, sizeof(why), "peer answered %s to our proposals [%s]",
			 ikev2_notify_name(err),
			 ike_cfg_props_str(sa->conn->cfg.proposals, sa->conn->cfg.n_proposals, ours,
					   sizeof(ours)));
		init_fail(sa, why);
		return;
	}
	sa_pl = ikev2_chain_find(c, IKEV2_PL_SA);
	ke_pl = ikev2_chain_find(c, IKEV2_PL_KE);
	n_pl = ikev2_chain_find(c, IKEV2_PL_NONCE);
	if (!sa_pl || !ke_pl || !n_pl || h->spi_r == 0) {
		init_fail(sa, "response lacks SA, KE or Nonce payload");
		return;
	}
	if (ikev2_sa_parse(sa_pl->body, sa_pl->len, &prop, 1, &np) < 0 || np != 1 ||
	    ikev2_props_accept(sa->conn->cfg.proposals, sa->conn->cfg.n_proposals, &prop,
			       IKEV2_PROTO_IKE, true, &sa->algs) < 0) {
		snprintf(why, sizeof(why), "responder chose [%s], which is not one we offered [%s]",
			 ikev2_props_str(&prop, np ? 1 : 0, theirs, sizeof(theirs)),
			 ike_cfg_props_str(sa->conn->cfg.proposals, sa->conn->cfg.n_proposals, ours,
					   sizeof(ours)));
		init_fail(sa, why);
		return;
	}
	if (ikev2_ke_parse(ke_pl->body, ke_pl->len, &ke) < 0 || ke.group != sa->ke_group ||
	    sa->algs.dh != sa->ke_group) {
		init_fail(sa, "responder's KE group differs from the negotiated group");
		return;
	}
	if (ikev2_nonce_parse(n_pl->body, n_pl->len) < 0) {
		init_fail(sa, "responder nonce has an invalid length");
		return;
	}
	if (dh_compute(sa->dh, &ke, shared, &slen) < 0) {
		init_fail(sa, "responder's KE public value is invalid (RFC 6989 check)");
		return;
	}
	sa->spi_r = h->spi_r;
	memcpy(sa->nr, n_pl->body, n_pl->len);
	sa->nr_len = n_pl->len;
	if (keys_from_init(sa, shared, slen, 1, msg, len) < 0) {
		init_fail(sa, "key derivation failed");
		return;
	}
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	if (check_natd(sa, c, sa->spi_r))
		maybe_float(sa);
	ikev2_cert_peer_read(sa, c);
	sa->frag_ok = peer_fragments(sa->e, c);
	ike_keylog_ike(sa);
	ikev2_request_done(sa);
	if (ikev2_auth_start(sa) < 0)
		init_fail(sa, "cannot build IKE_AUTH request");
}

/* ---- responder ---- */

static void send_plain_notify(struct ike_engine *e, const ike_addr_t *local,
			      const ike_addr_t *remote, const struct ikev2_hdr *h, uint16_t type,
			      const uint8_t *data, size_t dlen)
{
	struct ikev2_out *o = malloc(sizeof(*o));

	if (!o)
		return;
	ikev2_out_init(o, NULL, IKEV2_EXCH_IKE_SA_INIT, true);
	ikev2_w_notify(&o->w, 0, NULL, 0, type, data, dlen);
	if (ikev2_out_seal(NULL, o, h->spi_i, 0, 0) == 0)
		ikev2_send_raw(e, local, remote, o->wire, o->wire_len);
	free(o);
}

/* Returns true when the request may proceed; otherwise a cookie was sent. */
static bool cookie_ok(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
		      const struct ikev2_hdr *h, const struct ikev2_chain *c,
		      const struct ikev2_pl *n_pl)
{
	uint8_t want[COOKIE_LEN];
	struct ikev2_ntf n;

	if (!e->cfg.force_cookies && e->half_open < e->cfg.cookie_threshold)
		return true;
	cookie_compute(e, remote, h->spi_i, n_pl->body, n_pl->len, want);
	if (c->n && c->pl[0].type == IKEV2_PL_NOTIFY &&
	    ikev2_notify_parse(c->pl[0].body, c->pl[0].len, &n) == 0 && n.type == IKEV2_N_COOKIE &&
	    n.dlen == COOKIE_LEN && ike_memeq_ct(n.data, want, COOKIE_LEN))
		return true;
	e->stats.cookies_sent++;
	send_plain_notify(e, local, remote, h, IKEV2_N_COOKIE, want, COOKIE_LEN);
	return false;
}

static void refuse(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
		   const struct ikev2_hdr *h, uint16_t type, const char *why)
{
	char a[64];

	e->stats.ike_failed++;
	/* Anyone can send one: warning at most, rate-limited. */
	ike_log_unauth(e, NULL,
		       type == IKEV2_N_INVALID_SYNTAX ? IKE_LOGK_MALFORMED : IKE_LOGK_INIT_REFUSED,
		       type == IKEV2_N_INVALID_SYNTAX ? IKE_LOG_INFO : IKE_LOG_WARN,
		       "IKE_SA_INIT from %s %016llx_i refused with %s: %s",
		       ike_addr_str(remote, a, sizeof(a)), (unsigned long long)h->spi_i,
		       ikev2_notify_name(type), why);
	send_plain_notify(e, local, remote, h, type, NULL, 0);
}

/* Negotiates the proposal and group; 0 to go on, or the refusal was sent. */
static int negotiate(struct ike_engine *e, struct ike_conn *conn, const ike_addr_t *local,
		     const ike_addr_t *remote, const struct ikev2_hdr *h,
		     const struct ikev2_pl *sa_pl, const struct ikev2_ke *ke, struct ike_algs *algs,
		     uint8_t *num)
{
	struct ikev2_prop props[IKE_MAX_PROPOSALS * 2];
	unsigned np = 0;
	int k;
	char why[1400], ours[512], theirs[768];

	if (ikev2_sa_parse(sa_pl->body, sa_pl->len, props, IKE_MAX_PROPOSALS * 2, &np) < 0) {
		refuse(e, local, remote, h, IKEV2_N_INVALID_SYNTAX, "malformed SA payload");
		return -1;
	}
	k = ikev2_props_select(conn->cfg.proposals, conn->cfg.n_proposals, props, np,
			       IKEV2_PROTO_IKE, true, algs);
	if (k < 0) {
		snprintf(why, sizeof(why), "connection '%s': peer offered [%s], we accept [%s]",
			 conn->cfg.name, ikev2_props_str(props, np, theirs, sizeof(theirs)),
			 ike_cfg_props_str(conn->cfg.proposals, conn->cfg.n_proposals, ours,
					   sizeof(ours)));
		refuse(e, local, remote, h, IKEV2_N_NO_PROPOSAL_CHOSEN, why);
		return -1;
	}
	*num = props[k].num;
	if (ke->group != algs->dh) {
		uint8_t g[2];
		char a[64];

		ikev2_put16(g, algs->dh);
		ike_log_unauth(
			e, NULL, IKE_LOGK_INIT_REFUSED, IKE_LOG_INFO,
			"IKE_SA_INIT from %s: peer sent KE for %s, asking for %s (INVALID_KE_PAYLOAD)",
			ike_addr_str(remote, a, sizeof(a)), ike_dh_name(ke->group),
			ike_dh_name(algs->dh));
		send_plain_notify(e, local, remote, h, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
		return -1;
	}
	return 0;
}

static int respond_init(struct ike_sa *sa, uint8_t num, const uint8_t *pub, size_t publen)
{
	struct ikev2_out *o = malloc(sizeof(*o));
	struct ikev2_prop prop;
	int r;

	if (!o)
		return -ENOMEM;
	ikev2_out_init(o, NULL, IKEV2_EXCH_IKE_SA_INIT, true);
	ikev2_prop_from_algs(&sa->algs, num, IKEV2_PROTO_IKE, NULL, 0, &prop);
	ikev2_w_sa(&o->w, &prop, 1);
	ikev2_w_ke(&o->w, sa->algs.dh, pub, publen);
	ikev2_w_nonce(&o->w, sa->nr, sa->nr_len);
	write_natd(sa, &o->w, sa->spi_r);
	ikev2_cert_init_write(sa, &o->w, true);
	if (sa->frag_ok)
		write_frag_supported(&o->w);
	r = ikev2_send_response(sa, o, 0);
	if (r == 0)
		r = dup_msg(&sa->init_msg[1], &sa->init_len[1], sa->resp_buf, sa->resp_len);
	free(o);
	return r;
}

void ikev2_sa_init_request(struct ike_engine *e, const ike_addr_t *local, const ike_addr_t *remote,
			   const uint8_t *msg, size_t len, const struct ikev2_hdr *h,
			   const struct ikev2_chain *c)
{
	const struct ikev2_pl *sa_pl = ikev2_chain_find(c, IKEV2_PL_SA);
	const struct ikev2_pl *ke_pl = ikev2_chain_find(c, IKEV2_PL_KE);
	const struct ikev2_pl *n_pl = ikev2_chain_find(c, IKEV2_PL_NONCE);
	struct ike_conn *conn = ike_conn_for(e, local, remote);
	struct ike_algs algs;
	struct ikev2_ke ke;
	struct ike_sa *sa;
	uint8_t num = 1, shared[IKE_MAX_DH_SHARED], pub[IKE_MAX_DH_PUB];
	size_t slen;

	if (!sa_pl || !ke_pl || !n_pl || ikev2_ke_parse(ke_pl->body, ke_pl->len, &ke) < 0 ||
	    ikev2_nonce_parse(n_pl->body, n_pl->len) < 0) {
		refuse(e, local, remote, h, IKEV2_N_INVALID_SYNTAX,
		       "missing or malformed SA, KE or Nonce");
		return;
	}
	if (!conn) {
		refuse(e, local, remote, h, IKEV2_N_NO_PROPOSAL_CHOSEN,
		       "no connection is configured for this pair of addresses");
		return;
	}
	if (!cookie_ok(e, local, remote, h, c, n_pl))
		return;
	if (!ike_half_open_allowed(e, remote)) {
		/* Silently: answering would amplify a flood. Counted in stats. */
		e->stats.init_dropped++;
		return;
	}
	if (negotiate(e, conn, local, remote, h, sa_pl, &ke, &algs, &num) < 0)
		return;
	sa = ike_sa_new(e, conn, false);
	if (!sa)
		return;
	sa->spi_i = h->spi_i;
	ike_sa_phash_add(e, sa);
	sa->local = *local;
	sa->remote = *remote;
	sa->algs = algs;
	sa->ni_len = n_pl->len;
	memcpy(sa->ni, n_pl->body, n_pl->len);
	sa->nr_len = IKE_NONCE_LEN;
	sa->dh = ike_dh_new(algs.dh);
	if (!sa->dh || ike_random_public(sa->nr, sa->nr_len) < 0 ||
	    ike_dh_pub(sa->dh, pub, sizeof(pub)) < 0) {
		ike_sa_kill(sa, "out of resources");
		return;
	}
	if (dh_compute(sa->dh, &ke, shared, &slen) < 0) {
		ike_log_unauth(e, sa, IKE_LOGK_MALFORMED, IKE_LOG_WARN,
			       "IKE_SA_INIT refused: peer's %s public value is invalid (RFC 6989)",
			       ike_dh_name(algs.dh));
		send_plain_notify(e, local, remote, h, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		ike_sa_kill(sa, "invalid KE");
		return;
	}
	if (keys_from_init(sa, shared, slen, 0, msg, len) < 0) {
		ike_sa_kill(sa, "key derivation failed");
		return;
	}
	check_natd(sa, c, 0);
	ikev2_cert_peer_read(sa, c);
	sa->frag_ok = peer_fragments(e, c);
	sa->msgid_in = 0;
	if (respond_init(sa, num, pub, ike_dh_publen(algs.dh)) < 0) {
		ike_sa_kill(sa, "cannot send IKE_SA_INIT response");
		return;
	}
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	ike_keylog_ike(sa);
	ike_sa_set_state(sa, IKE_S_HALF_OPEN);
}

void ikev2_sa_init_unsupported(struct ike_engine *e, const ike_addr_t *local,
			       const ike_addr_t *remote, const struct ikev2_hdr *h, uint8_t type)
{
	char a[64];

	ike_log_unauth(e, NULL, IKE_LOGK_MALFORMED, IKE_LOG_WARN,
		       "IKE_SA_INIT from %s: unsupported critical payload type %u",
		       ike_addr_str(remote, a, sizeof(a)), type);
	send_plain_notify(e, local, remote, h, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &type, 1);
}
