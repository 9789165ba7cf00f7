/* SPDX-License-Identifier: BSD-3-Clause */
/* Authentication with certificates (RFC 7296 2.15, 3.6, 3.7; RFC 7427):
 * the octets a signature covers, what each end says for certificates in
 * IKE_SA_INIT, our CERT and AUTH payloads, and the peer's checked. The
 * X.509 and signature work is ike/pki's (ike/ike_pki.h).
 *   SignedOctets = RealMessage | NonceData | prf(SK_p, RestOfIDPayload) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/core/ike_priv.h"
#include "ike/ike_pki.h"
#include "ike/pki/pki_rev_link.h"
#include "ike/v2/ikev2_cert.h"

const char *ike_id_text(const struct ike_id *id, char *buf, size_t len)
{
	return id->type == IKEV2_ID_DER_ASN1_DN ? ike_pki_id_dn_str(id, buf, len)
						: ike_id_str(id, buf, len);
}

int ikev2_signed_octets(const struct ike_sa *sa, bool for_initiator, const uint8_t *id_body,
			size_t id_len, uint8_t **out, size_t *olen)
{
	unsigned idx = for_initiator ? 0 : 1;
	const uint8_t *n = for_initiator ? sa->nr : sa->ni;
	size_t nlen = for_initiator ? sa->nr_len : sa->ni_len;
	uint8_t *o;

	*out = NULL;
	if (!sa->init_msg[idx] || !n)
		return -EINVAL;
	*olen = sa->init_len[idx] + nlen + sa->prf_len;
	o = malloc(*olen);
	if (!o)
		return -ENOMEM;
	memcpy(o, sa->init_msg[idx], sa->init_len[idx]);
	memcpy(o + sa->init_len[idx], n, nlen);
	if (ike_prf(sa->algs.prf, for_initiator ? sa->sk_pi : sa->sk_pr, sa->prf_len, id_body,
		    id_len, o + sa->init_len[idx] + nlen) < 0) {
		free(o);
		return -EIO;
	}
	*out = o;
	return 0;
}

/* Our CAs (3.7), when we have any: the peer picks its certificate by them. */
void ikev2_certreq_write(const struct ike_sa *sa, struct ikev2_writer *w)
{
	uint8_t h[IKE_MAX_CERTREQ * IKE_PKI_SHA1_LEN];
	int n = sa->e->creds ? ike_creds_certreq(sa->e->creds, h, sizeof(h)) : 0;

	if (n > 0)
		ikev2_w_certreq(w, IKEV2_CERT_X509_SIG, h, (size_t)n / IKE_PKI_SHA1_LEN);
}

void ikev2_cert_init_write(const struct ike_sa *sa, struct ikev2_writer *w, bool response)
{
	uint8_t h[16];
	int n;

	if (!sa->e->creds)
		return;
	n = ike_pki_hashes_encode(ike_pki_hashes_ours(), h, sizeof(h));
	if (n > 0)
		ikev2_w_notify(w, 0, NULL, 0, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, h, (size_t)n);
	if (response)
		ikev2_certreq_write(sa, w);
}

/* The CAs of every X.509 CERTREQ payload, as many as fit. */
static void read_certreq(struct ike_sa *sa, const struct ikev2_chain *c)
{
	struct ike_nego *ng = sa->nego;

	for (unsigned i = 0; i < c->n; i++) {
		struct ikev2_certreq r;
		size_t room = sizeof(ng->certreq) - ng->certreq_len, take;

		if (c->pl[i].type != IKEV2_PL_CERTREQ ||
		    ikev2_certreq_parse(c->pl[i].body, c->pl[i].len, &r) < 0)
			continue;
		take = r.n * IKEV2_CERTREQ_HASH_LEN;
		if (take > room)
			take = room - room % IKEV2_CERTREQ_HASH_LEN;
		memcpy(ng->certreq + ng->certreq_len, r.hashes, take);
		ng->certreq_len = (uint16_t)(ng->certreq_len + take);
	}
}

void ikev2_cert_peer_read(struct ike_sa *sa, const struct ikev2_chain *c)
{
	struct ikev2_ntf n;

	if (!sa->nego)
		return;
	if (ikev2_find_notify(c, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, &n))
		ike_pki_hashes_parse(n.data, n.dlen, &sa->nego->peer_hashes);
	read_certreq(sa, c);
}

const struct ike_cred *ikev2_cred_choose(const struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;

	return ike_pki_select(cfg->local_creds, cfg->n_local_creds, sa->nego->certreq,
			      sa->nego->certreq_len);
}

void ikev2_cert_write(struct ikev2_writer *w, const struct ike_cred *cr)
{
	const uint8_t *der;
	size_t len;

	for (unsigned i = 0; i < ike_cred_cert_der(cr, i, &der, &len); i++)
		ikev2_w_cert(w, IKEV2_CERT_X509_SIG, der, len);
}

int ikev2_sig_auth_write(const struct ike_sa *sa, bool initiator, const struct ike_cred *cr,
			 const uint8_t *id_body, size_t id_len, struct ikev2_writer *w)
{
	struct ike_pki_scheme s;
	uint8_t auth[IKE_PKI_MAX_AUTH], *oct;
	size_t alen = sizeof(auth), olen;
	int r = ike_cred_scheme(cr, sa->nego->peer_hashes, sa->conn->cfg.sig_pss, &s);

	if (r < 0)
		return r;
	if ((r = ikev2_signed_octets(sa, initiator, id_body, id_len, &oct, &olen)) < 0)
		return r;
	r = ike_cred_sign(cr, &s, oct, olen, auth, &alen);
	free(oct);
	if (r == 0)
		ikev2_w_auth(w, s.method, auth, alen);
	return r;
}

/* The chain the peer sent: its CERT payloads in order, end entity first. */
static struct ike_pki_chain *peer_chain(const struct ikev2_chain *c, char *why, size_t wlen)
{
	struct ike_pki_chain *ch = ike_pki_chain_new();

	for (unsigned i = 0; ch && i < c->n; i++) {
		struct ikev2_cert cert;

		if (c->pl[i].type != IKEV2_PL_CERT ||
		    ikev2_cert_parse(c->pl[i].body, c->pl[i].len, &cert) < 0 ||
		    cert.encoding != IKEV2_CERT_X509_SIG)
			continue;
		if (ike_pki_chain_add_der(ch, cert.data, cert.len, why, wlen) < 0) {
			ike_pki_chain_free(ch);
			return NULL;
		}
	}
	if (ch && !ike_pki_chain_leaf(ch)) {
		snprintf(why, wlen, "no certificate sent, though this connection requires one");
		ike_pki_chain_free(ch);
		return NULL;
	}
	return ch;
}

/* The verifier's revocation hook: each element of the peer's chain under
 * the connection's policy. */
static enum ike_pki_rev rev_hook(void *arg, struct x509_st *cert, struct x509_st *issuer,
				 char *reason, size_t rlen)
{
	struct ike_sa *sa = arg;
	unsigned policy = sa->conn->cfg.revocation;
	struct ike_rev_ctx *ctx;

	if (policy == IKE_REVOCATION_NONE)
		return IKE_PKI_REV_NOT_CHECKED;
	if (!(ctx = ike_engine_rev(sa->e))) {
		snprintf(reason, rlen, "revocation checking is not available");
		return policy == IKE_REVOCATION_RELAXED ? IKE_PKI_REV_NOT_CHECKED
							: IKE_PKI_REV_UNKNOWN;
	}
	return ike_pki_rev_check(ctx, policy, cert, issuer, reason, rlen);
}

/* The chain verified to a trust anchor (and the connection's CA); -EINPROGRESS
 * while a revocation fetch runs. */
static int check_chain(struct ike_sa *sa, const struct ike_pki_chain *ch, const struct ike_id *id,
		       char *why, size_t wlen)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_pki_verify_opts o = { .now = time(NULL),
					 .ca_cert = cfg->remote_ca,
					 .ca_dn = cfg->remote_ca_dn[0] ? cfg->remote_ca_dn : NULL,
					 .revocation = rev_hook,
					 .revocation_arg = sa };
	char reason[400], who[300];
	enum ike_pki_result res = IKE_PKI_NO_CERT;

	if (sa->e->creds)
		res = ike_pki_verify(sa->e->creds, ch, &o, reason, sizeof(reason));
	if (res == IKE_PKI_OK)
		return 0;
	ike_id_text(id, who, sizeof(who)); /* for the line: only on failure */
	if (!sa->e->creds) {
		snprintf(why, wlen, "certificate of '%s' cannot be checked: no trust anchors", who);
		return -EACCES;
	}
	if (res == IKE_PKI_PENDING) {
		snprintf(why, wlen, "waiting for the revocation status of '%s'", who);
		return -EINPROGRESS;
	}
	snprintf(why, wlen, "certificate of '%s' not accepted: %s", who, reason);
	return -EACCES;
}

int ikev2_sig_auth_verify(struct ike_sa *sa, bool peer_is_initiator, const struct ikev2_chain *c,
			  const struct ike_id *id, const uint8_t *id_body, size_t id_len,
			  const struct ikev2_auth *au, char *why, size_t wlen)
{
	char who[300], held[600], reason[300];
	struct ike_pki_chain *ch = peer_chain(c, why, wlen);
	uint8_t *oct = NULL;
	size_t olen;
	int r = -EACCES;

	if (!ch)
		return -EACCES;
	if ((r = check_chain(sa, ch, id, why, wlen)) < 0)
		goto out;
	r = -EACCES;
	if (!ike_pki_id_matches(ike_pki_chain_leaf(ch), id)) {
		snprintf(why, wlen, "identity '%s' is not in its certificate (%s)",
			 ike_id_text(id, who, sizeof(who)),
			 ike_pki_cert_ids_str(ike_pki_chain_leaf(ch), held, sizeof(held)));
		goto out;
	}
	if ((r = ikev2_signed_octets(sa, peer_is_initiator, id_body, id_len, &oct, &olen)) < 0) {
		snprintf(why, wlen, "AUTH computation failed");
		goto out;
	}
	r = ike_pki_verify_auth(ike_pki_chain_leaf(ch), au->method, au->data, au->len, oct, olen,
				reason, sizeof(reason));
	if (r < 0) {
		snprintf(why, wlen, "AUTH signature of '%s' does not verify: %s",
			 ike_id_text(id, who, sizeof(who)), reason);
		r = -EACCES;
	}
out:
	free(oct);
	ike_pki_chain_free(ch);
	return r;
}
