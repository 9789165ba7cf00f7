/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE_AUTH (RFC 7296 1.2, 2.15) with pre-shared keys or certificates (the
 * signature work in ike/auth/auth_sig.c), the connection the peer means,
 * and the first CHILD SA.
 *   HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi, TSr}  -->
 *                        <--  HDR, SK {IDr, [CERT,] AUTH, SAr2, TSi, TSr} */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"
#include "ike/ike_pki.h"

/* Our identity; without one configured, the subject of the certificate
 * we send, or our IP address. */
static void own_id(const struct ike_sa *sa, const struct ike_cred *cr, struct ike_id *id)
{
	*id = sa->conn->cfg.local_id;
	if (id->type || (cr && ike_cred_id(cr, id) == 0))
		return;
	id->type = sa->local.family == 4 ? IKEV2_ID_IPV4_ADDR : IKEV2_ID_IPV6_ADDR;
	id->len = sa->local.family == 4 ? 4 : 16;
	memcpy(id->data, sa->local.a, id->len);
}

/* The ID payload body is what AUTH covers (RestOfIDPayload). */
static size_t id_body(const struct ike_id *id, uint8_t *out)
{
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	return 4u + id->len;
}

/* Our AUTH payload over our ID payload body: signed with the certificate's
 * key, or the PSK's MAC. */
static int write_auth(const struct ike_sa *sa, bool initiator, const struct ike_cred *cr,
		      const uint8_t *body, size_t blen, struct ikev2_writer *w)
{
	uint8_t auth[IKE_MAX_PRF_LEN];
	size_t alen;
	int r;

	if (cr)
		return ikev2_sig_auth_write(sa, initiator, cr, body, blen, w);
	r = ikev2_psk_auth(sa, initiator, body, blen, auth, &alen);
	if (r == 0)
		ikev2_w_auth(w, IKEV2_AUTH_PSK, auth, alen);
	ike_wipe(auth, sizeof(auth));
	return r;
}

/* Our certificate for this peer when the connection signs; -ENOENT if it
 * signs and has none. */
static int local_cred(const struct ike_sa *sa, const struct ike_cred **cr)
{
	*cr = NULL;
	if (sa->conn->cfg.local_auth != IKE_AUTHBY_PUBKEY)
		return 0;
	*cr = ikev2_cred_choose(sa);
	return *cr ? 0 : -ENOENT;
}

static bool id_matches(const struct ike_id *want, const struct ike_id *got)
{
	return !want->type || ike_pki_id_eq(want, got);
}

static void established(struct ike_sa *sa, const struct ikev2_chain *c)
{
	struct ikev2_ntf n;
	char a[256];

	ike_sa_set_state(sa, IKE_S_ESTABLISHED);
	ike_sa_log(sa, IKE_LOG_INFO, "IKE SA established (%s%s)",
		   ike_algs_str(&sa->algs, true, a, sizeof(a)), sa->natt ? ", NAT-T" : "");
	ike_emit_sa(sa, IKE_EV_IKE_UP, NULL);
	ike_sa_schedule(sa);
	ike_conn_sa_up(sa);
	if (ikev2_find_notify(c, IKEV2_N_INITIAL_CONTACT, &n))
		ike_sa_initial_contact(sa);
}

int ikev2_auth_start(struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ikev2_out *o;
	const struct ike_cred *cr;
	uint8_t body[4 + IKE_MAX_ID];
	size_t blen;
	struct ike_id id;
	int r = local_cred(sa, &cr);

	if (r < 0 || !(o = malloc(sizeof(*o))))
		return r < 0 ? r : -ENOMEM;
	own_id(sa, cr, &id);
	blen = id_body(&id, body);
	sa->child_spi = ike_spi_alloc(sa->e);
	ikev2_out_init(o, sa, IKEV2_EXCH_IKE_AUTH, false);
	ikev2_w_id(&o->w, IKEV2_PL_IDI, &id);
	if (cr)
		ikev2_cert_write(&o->w, cr);
	if (cfg->remote_auth != IKE_AUTHBY_PSK)
		ikev2_certreq_write(sa, &o->w);
	if (cfg->remote_id.type)
		ikev2_w_id(&o->w, IKEV2_PL_IDR, &cfg->remote_id);
	r = write_auth(sa, true, cr, body, blen, &o->w);
	if (ike_sa_first_contact(sa))
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	if (cfg->n_children)
		ikev2_child_write_offer(sa, &o->w,
					sa->own_child ? sa->own_child : &cfg->children[0],
					sa->child_spi, false, NULL, 0, NULL);
	if (r == 0)
		r = ikev2_send_request(sa, o, REQ_AUTH);
	free(o);
	if (r == 0)
		ike_sa_set_state(sa, IKE_S_AUTH_SENT);
	return r;
}

/* Whether the negotiated algorithms are among p's. */
static bool algs_offered(const struct ike_proposal *p, const struct ike_algs *a)
{
	bool e = false, f = false, i = !a->integ, d = false;

	for (unsigned k = 0; k < p->n_encr; k++)
		e |= p->encr[k].id == a->encr && p->encr[k].keybits == a->encr_keybits;
	for (unsigned k = 0; k < p->n_prf; k++)
		f |= p->prf[k] == a->prf;
	for (unsigned k = 0; k < p->n_integ; k++)
		i |= p->integ[k] == a->integ;
	for (unsigned k = 0; k < p->n_dh; k++)
		d |= p->dh[k] == a->dh;
	return e && f && i && d;
}

/* A connection the peer may mean: our address, the peer's address
 * accepted (exactly or by prefix), the negotiated IKE algorithms offered. */
static bool conn_candidate(const struct ike_conn *k, const struct ike_sa *sa)
{
	const struct ike_conn_cfg *c = &k->cfg;
	bool algs = false;

	if (!ike_addr_ip_eq(&c->local, &sa->local) ||
	    (c->remote_is_prefix ? !ike_addr_in_prefix(&c->remote, c->remote_plen, &sa->remote)
				 : !ike_addr_ip_eq(&c->remote, &sa->remote)))
		return false;
	for (unsigned i = 0; i < c->n_proposals && !algs; i++)
		algs = algs_offered(&c->proposals[i], &sa->algs);
	return algs;
}

/* The peer's PSK AUTH: 0, or -EACCES when the keys differ. */
static int verify_psk(struct ike_sa *sa, bool peer_is_initiator, const struct ikev2_pl *id_pl,
		      const struct ike_id *id, const struct ikev2_auth *au, char *why, size_t wlen)
{
	uint8_t expect[IKE_MAX_PRF_LEN];
	size_t elen;
	char s1[300];
	bool ok;

	if (ikev2_psk_auth(sa, peer_is_initiator, id_pl->body, id_pl->len, expect, &elen) < 0) {
		snprintf(why, wlen, "AUTH computation failed");
		return -EIO;
	}
	ok = au->len == elen && ike_memeq_ct(au->data, expect, elen);
	ike_wipe(expect, sizeof(expect));
	if (ok)
		return 0;
	snprintf(why, wlen, "AUTH payload of '%s' does not verify: pre-shared keys differ",
		 ike_id_text(id, s1, sizeof(s1)));
	return -EACCES;
}

/* Whether the connection accepts the peer's kind of AUTH: -EACCES with a
 * line saying what each side wants otherwise. */
static int method_allowed(const struct ike_sa *sa, const struct ike_id *id, uint8_t method,
			  char *why, size_t wlen)
{
	uint8_t want = sa->conn->cfg.remote_auth;
	bool psk = method == IKEV2_AUTH_PSK;
	char s1[300];

	if (want == IKE_AUTHBY_ANY || (want == IKE_AUTHBY_PSK) == psk)
		return 0;
	snprintf(why, wlen, "peer '%s' authenticates with %s (method %u), this connection %s",
		 ike_id_text(id, s1, sizeof(s1)), psk ? "a pre-shared key" : "a signature", method,
		 want == IKE_AUTHBY_PSK ? "uses a pre-shared key (2)" : "requires a certificate");
	return -EACCES;
}

/* With id_is_source: the claimed identity is the address it came from. */
static int id_source_ok(const struct ike_sa *sa, const struct ike_id *id, char *why, size_t wlen)
{
	bool v4 = sa->remote.family == 4;
	char s1[300], s2[64];

	if (!sa->conn->cfg.id_is_source ||
	    (id->type == (v4 ? IKEV2_ID_IPV4_ADDR : IKEV2_ID_IPV6_ADDR) &&
	     id->len == (v4 ? 4 : 16) && memcmp(id->data, sa->remote.a, id->len) == 0))
		return 0;
	snprintf(why, wlen, "peer identity '%s' is not its source address %s",
		 ike_id_text(id, s1, sizeof(s1)), ike_addr_str(&sa->remote, s2, sizeof(s2)));
	return -EPERM;
}

/* Verifies the peer's AUTH payload; 0 or a reason in why. */
static int verify_peer(struct ike_sa *sa, const struct ikev2_chain *c, bool peer_is_initiator,
		       char *why, size_t wlen)
{
	const struct ikev2_pl *id_pl = ikev2_chain_find(c, peer_is_initiator ? IKEV2_PL_IDI
									     : IKEV2_PL_IDR);
	const struct ikev2_pl *au_pl = ikev2_chain_find(c, IKEV2_PL_AUTH);
	const struct ike_id *want = &sa->conn->cfg.remote_id;
	struct ikev2_auth au;
	struct ike_id id;
	char s1[300], s2[300];
	int r;

	if (!id_pl || !au_pl || ikev2_id_parse(id_pl->body, id_pl->len, &id) < 0 ||
	    ikev2_auth_parse(au_pl->body, au_pl->len, &au) < 0) {
		snprintf(why, wlen, "missing or malformed ID/AUTH payload");
		return -EBADMSG;
	}
	if (!id_matches(want, &id)) {
		snprintf(why, wlen,
			 "peer identity '%s' does not match the configured remote_id '%s'",
			 ike_id_text(&id, s1, sizeof(s1)), ike_id_text(want, s2, sizeof(s2)));
		return -EPERM;
	}
	if ((r = method_allowed(sa, &id, au.method, why, wlen)) < 0 ||
	    (r = id_source_ok(sa, &id, why, wlen)) < 0)
		return r;
	r = au.method == IKEV2_AUTH_PSK
		    ? verify_psk(sa, peer_is_initiator, id_pl, &id, &au, why, wlen)
		    : ikev2_sig_auth_verify(sa, peer_is_initiator, c, &id, id_pl->body, id_pl->len,
					    &au, why, wlen);
	if (r == 0)
		ike_sa_set_peer_id(sa, &id);
	return r;
}

/* The connection the peer means (as strongSwan picks a peer config):
 * connections may share the addresses and differ only in the peer's
 * identity and key, a concentrator's per-user PSKs. The one chosen at
 * IKE_SA_INIT is tried first, then the other candidates in order; the
 * first whose remote_id matches IDi and whose key verifies AUTH is taken.
 * On failure, the reason given (and the connection the log line names)
 * is that of a connection whose identity matched, if one did: it says
 * more than a mismatch. */
static int select_and_verify(struct ike_sa *sa, const struct ikev2_chain *c, char *why, size_t wlen)
{
	struct ike_conn *first = sa->conn, *best = first;
	bool id_ok;
	char w[512];
	int r = verify_peer(sa, c, true, why, wlen);

	id_ok = r != -EPERM;
	for (struct ike_conn *k = ike_conn_next_for(sa->e, &sa->local, &sa->remote, NULL);
	     r == -EPERM || r == -EACCES;
	     k = ike_conn_next_for(sa->e, &sa->local, &sa->remote, k)) {
		if (!k) {
			sa->conn = best; /* the log line names the one that said most */
			return r;
		}
		if (k == first || !conn_candidate(k, sa))
			continue;
		sa->conn = k;
		r = verify_peer(sa, c, true, w, sizeof(w));
		if (r == 0 || (r != -EPERM && !id_ok)) {
			snprintf(why, wlen, "%s", w);
			id_ok = r != -EPERM;
			best = k;
		}
	}
	if (r == 0 && sa->conn != first)
		ike_sa_log(sa, IKE_LOG_INFO, "peer's identity and key select connection %s",
			   sa->conn->cfg.name);
	if (r == -EINPROGRESS)
		sa->conn = first; /* chosen again when the answer is in */
	return r;
}

static void child_failed_log(struct ike_sa *sa, const char *exch, uint16_t err, bool by_peer)
{
	ike_sa_log(sa, IKE_LOG_ERR, "%s: CHILD_SA not created: %s %s", exch,
		   by_peer ? "peer answered" : "we answered", ikev2_notify_name(err));
}

/* AUTHENTICATION_FAILED answered (2.21.2), the SA gone. */
static void refuse_auth(struct ike_sa *sa, const char *why)
{
	struct ikev2_out *o = malloc(sizeof(*o));

	ike_sa_log(sa, IKE_LOG_ERR, "IKE_AUTH failed: AUTHENTICATION_FAILED: %s", why);
	if (o) {
		ikev2_out_init(o, sa, IKEV2_EXCH_IKE_AUTH, true);
		ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
		ikev2_send_response(sa, o, sa->msgid_in);
		free(o);
	}
	ike_emit_sa(sa, IKE_EV_FAILED, why);
	ike_sa_kill(sa, "authentication failed");
}

/* Our IDr, [CERT,] AUTH in the response. */
static int respond_auth(struct ike_sa *sa, struct ikev2_writer *w)
{
	const struct ike_cred *cr;
	uint8_t body[4 + IKE_MAX_ID];
	size_t blen;
	struct ike_id id;
	int r = local_cred(sa, &cr);

	if (r < 0)
		return r;
	own_id(sa, cr, &id);
	blen = id_body(&id, body);
	ikev2_w_id(w, IKEV2_PL_IDR, &id);
	if (cr)
		ikev2_cert_write(w, cr);
	return write_auth(sa, false, cr, body, blen, w);
}

void ikev2_auth_request(struct ike_sa *sa, const struct ikev2_chain *c)
{
	struct ikev2_out *o;
	struct ikev2_child_req rq;
	struct ike_child *child = NULL;
	char why[512];
	int r;

	ikev2_cert_peer_read(sa, c); /* its CERTREQ: which of our certificates */
	if ((r = select_and_verify(sa, c, why, sizeof(why))) == -EINPROGRESS) {
		/* Unanswered: its retransmission finds the answer cached. */
		ike_sa_log(sa, IKE_LOG_INFO, "IKE_AUTH: %s", why);
		return;
	}
	if (r < 0) {
		refuse_auth(sa, why);
		return;
	}
	if (!(o = malloc(sizeof(*o))))
		return;
	ikev2_out_init(o, sa, IKEV2_EXCH_IKE_AUTH, true);
	if ((r = respond_auth(sa, &o->w)) < 0) {
		free(o);
		refuse_auth(sa, r == -ENOENT ? "we have no certificate for this connection"
					     : "our AUTH could not be computed (see log)");
		return;
	}
	ikev2_child_req_init(&rq, c, "IKE_AUTH", sa->ni, sa->ni_len, sa->nr, sa->nr_len);
	if (ikev2_chain_find(c, IKEV2_PL_SA)) {
		int err = ikev2_child_respond(sa, &rq, &o->w, &child);
		if (err > 0) {
			ikev2_w_notify(&o->w, 0, NULL, 0, (uint16_t)err, NULL, 0);
			child_failed_log(sa, "IKE_AUTH", (uint16_t)err, false);
		}
	}
	/* Up before the response leaves: the initiator may send on the CHILD
	 * SA as soon as it has the response. */
	if (r == 0) {
		established(sa, c);
		if (child) {
			ike_keylog_child(sa, child);
			ike_emit_child(sa, IKE_EV_CHILD_UP, child, NULL);
		}
		r = ikev2_send_response(sa, o, sa->msgid_in);
	}
	free(o);
	if (r < 0) {
		ike_sa_kill(sa, "cannot send IKE_AUTH response");
		return;
	}
	ike_sa_free_nego(sa);
}

/* 2.21.2: the responder's authentication refused, the responder still
 * thinks the IKE SA is up; an INFORMATIONAL with AUTHENTICATION_FAILED
 * (sent once, the SA goes at once) lets it drop the SA and its CHILD SA. */
static void tell_auth_failed(struct ike_sa *sa)
{
	struct ikev2_out *o = malloc(sizeof(*o));

	if (!o)
		return;
	ikev2_out_init(o, sa, IKEV2_EXCH_INFORMATIONAL, false);
	ikev2_w_notify(&o->w, 0, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
	ikev2_send_request(sa, o, REQ_DPD);
	free(o);
}

bool ikev2_auth_response_waits(struct ike_sa *sa, const struct ikev2_chain *c,
			       struct ikev2_auth_verdict *v)
{
	if (sa->state != IKE_S_AUTH_SENT || !ikev2_chain_find(c, IKEV2_PL_AUTH))
		return false;
	v->r = verify_peer(sa, c, false, v->why, sizeof(v->why));
	v->checked = v->r != -EINPROGRESS;
	if (v->checked)
		return false;
	/* The request stays outstanding: our retransmission fetches the
	 * cached answer again, by which time the status is known. */
	ike_sa_log(sa, IKE_LOG_INFO, "IKE_AUTH: %s", v->why);
	return true;
}

/* 1.3.1: the connection's other CHILD SAs, one CREATE_CHILD_SA each. */
static void queue_other_children(struct ike_sa *sa)
{
	if (sa->own_child)
		return;
	for (unsigned i = 1; i < sa->conn->cfg.n_children; i++)
		ike_sa_queue(sa, IKE_ACT_CREATE_CHILD, i);
}

void ikev2_auth_response(struct ike_sa *sa, const struct ikev2_chain *c,
			 const struct ikev2_auth_verdict *v)
{
	struct ikev2_child_req rq;
	struct ike_child *child = NULL;
	char why[512];
	uint16_t err;

	if (sa->state != IKE_S_AUTH_SENT)
		return;
	err = ikev2_error_notify(c);
	if (!ikev2_chain_find(c, IKEV2_PL_AUTH)) {
		snprintf(why, sizeof(why), "peer answered %s%s",
			 err ? ikev2_notify_name(err) : "without AUTH payload",
			 err == IKEV2_N_AUTHENTICATION_FAILED
				 ? " (it rejected our authentication or identity)"
				 : "");
		ike_sa_log(sa, IKE_LOG_ERR, "IKE_AUTH failed: %s", why);
		ike_emit_sa(sa, IKE_EV_FAILED, why);
		ike_sa_kill(sa, why);
		return;
	}
	if (v->checked)
		snprintf(why, sizeof(why), "%s", v->why);
	if ((v->checked ? v->r : verify_peer(sa, c, false, why, sizeof(why))) < 0) {
		ike_sa_log(sa, IKE_LOG_ERR, "IKE_AUTH failed: AUTHENTICATION_FAILED: %s", why);
		tell_auth_failed(sa);
		ike_emit_sa(sa, IKE_EV_FAILED, why);
		ike_sa_kill(sa, why);
		return;
	}
	established(sa, c);
	queue_other_children(sa);
	if (!sa->conn->cfg.n_children || err) {
		if (err) {
			/* The IKE SA stands; the event says the tunnel is not up. */
			snprintf(why, sizeof(why), "CHILD_SA refused by peer: %s",
				 ikev2_notify_name(err));
			child_failed_log(sa, "IKE_AUTH", err, true);
			ike_emit_sa(sa, IKE_EV_FAILED, why);
		}
		ike_sa_free_nego(sa);
		return;
	}
	ikev2_child_req_init(&rq, c, "IKE_AUTH", sa->ni, sa->ni_len, sa->nr, sa->nr_len);
	rq.cfg = sa->own_child ? sa->own_child : &sa->conn->cfg.children[0];
	if (ikev2_child_complete(sa, &rq, sa->child_spi, &child) == 0) {
		ike_keylog_child(sa, child);
		ike_emit_child(sa, IKE_EV_CHILD_UP, child, NULL);
	} else {
		ike_emit_sa(sa, IKE_EV_FAILED, "CHILD_SA answer not acceptable (see log)");
	}
	ike_sa_free_nego(sa);
}
