/* SPDX-License-Identifier: BSD-3-Clause */
/* The peer's certificates: path building and checks by X509_STORE_CTX, then
 * what OpenSSL leaves to the application (the end entity's key usage, the
 * connection's CA constraint, revocation), each failure told in one line. */
#include <errno.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/pki/pki_priv.h"

struct ike_pki_chain {
	STACK_OF(X509) * certs; /* [0] the end entity */
};

struct ike_pki_chain *ike_pki_chain_new(void)
{
	struct ike_pki_chain *ch = calloc(1, sizeof(*ch));

	if (ch && !(ch->certs = sk_X509_new_null())) {
		free(ch);
		return NULL;
	}
	return ch;
}

void ike_pki_chain_free(struct ike_pki_chain *ch)
{
	if (!ch)
		return;
	sk_X509_pop_free(ch->certs, X509_free);
	free(ch);
}

int ike_pki_chain_add_der(struct ike_pki_chain *ch, const uint8_t *der, size_t len, char *err,
			  size_t errlen)
{
	X509 *x = pki_cache_d2i(der, len);

	if (!x) {
		pki_err(err, errlen, "certificate %d of %zu bytes is not DER X.509",
			sk_X509_num(ch->certs) + 1, len);
		return -EINVAL;
	}
	if (!sk_X509_push(ch->certs, x)) {
		X509_free(x);
		return -ENOMEM;
	}
	return 0;
}

X509 *ike_pki_chain_leaf(const struct ike_pki_chain *ch)
{
	return sk_X509_num(ch->certs) > 0 ? sk_X509_value(ch->certs, 0) : NULL;
}

const char *ike_pki_result_name(enum ike_pki_result r)
{
	static const char *const names[] = {
		[IKE_PKI_OK] = "ok",
		[IKE_PKI_NO_CERT] = "no certificate",
		[IKE_PKI_UNKNOWN_CA] = "unknown CA",
		[IKE_PKI_EXPIRED] = "expired",
		[IKE_PKI_NOT_YET_VALID] = "not yet valid",
		[IKE_PKI_BAD_SIGNATURE] = "bad signature in chain",
		[IKE_PKI_BAD_USAGE] = "certificate not for this use",
		[IKE_PKI_PATH_LENGTH] = "path length exceeded",
		[IKE_PKI_CA_CONSTRAINT] = "not issued by the required CA",
		[IKE_PKI_REVOKED] = "revoked",
		[IKE_PKI_REVOCATION_UNKNOWN] = "revocation status unknown",
		[IKE_PKI_PENDING] = "revocation check pending",
		[IKE_PKI_INVALID] = "invalid certificate",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* "2021-01-01 00:00:00 UTC" */
const char *pki_time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "(bad time)");
	return buf;
}

static const char *subj(X509 *x, char *buf, size_t len)
{
	return x ? ike_pki_dn_str(X509_get_subject_name(x), buf, len) : "?";
}

static void why_validity(X509 *x, bool expired, time_t now, char *reason, size_t rlen)
{
	char s[256], a[32], b[32], n[32];
	ASN1_TIME *t = ASN1_TIME_set(NULL, now);

	pki_err(reason, rlen, "certificate \"%s\" %s: valid from %s to %s, now %s",
		subj(x, s, sizeof(s)), expired ? "expired" : "is not yet valid",
		pki_time_str(X509_get0_notBefore(x), a, sizeof(a)),
		pki_time_str(X509_get0_notAfter(x), b, sizeof(b)), pki_time_str(t, n, sizeof(n)));
	ASN1_TIME_free(t);
}

static enum ike_pki_result why_unknown_ca(X509 *x, int e, char *reason, size_t rlen)
{
	char s[256], i[256];

	subj(x, s, sizeof(s));
	ike_pki_dn_str(X509_get_issuer_name(x), i, sizeof(i));
	if (e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
	    e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
		pki_err(reason, rlen, "unknown CA \"%s\": self-signed, not a trusted CA", i);
	else
		pki_err(reason, rlen, "unknown CA \"%s\" (issuer of \"%s\"): not trusted", i, s);
	return IKE_PKI_UNKNOWN_CA;
}

static enum ike_pki_result classify(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED: return IKE_PKI_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID: return IKE_PKI_NOT_YET_VALID;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: return IKE_PKI_BAD_SIGNATURE;
	case X509_V_ERR_INVALID_CA:
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
	case X509_V_ERR_INVALID_NON_CA: return IKE_PKI_BAD_USAGE;
	case X509_V_ERR_PATH_LENGTH_EXCEEDED: return IKE_PKI_PATH_LENGTH;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return IKE_PKI_UNKNOWN_CA;
	default: return IKE_PKI_INVALID;
	}
}

/* The failure X509_verify_cert() left in ctx, in words. */
static enum ike_pki_result explain(X509_STORE_CTX *ctx, time_t now, char *reason, size_t rlen)
{
	int e = X509_STORE_CTX_get_error(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	enum ike_pki_result r = classify(e);
	char s[256];

	if (r == IKE_PKI_UNKNOWN_CA && x)
		return why_unknown_ca(x, e, reason, rlen);
	if ((r == IKE_PKI_EXPIRED || r == IKE_PKI_NOT_YET_VALID) && x)
		why_validity(x, r == IKE_PKI_EXPIRED, now, reason, rlen);
	else if (r == IKE_PKI_BAD_SIGNATURE)
		pki_err(reason, rlen, "bad signature on certificate \"%s\" (depth %d)",
			subj(x, s, sizeof(s)), X509_STORE_CTX_get_error_depth(ctx));
	else
		pki_err(reason, rlen, "certificate \"%s\" (depth %d): %s", subj(x, s, sizeof(s)),
			X509_STORE_CTX_get_error_depth(ctx), X509_verify_cert_error_string(e));
	return r;
}

/* RFC 4945 5.1.3.2: an end entity that states its key usage must allow
 * digitalSignature or nonRepudiation. OpenSSL checks the leaf's key usage
 * only for a purpose, and IKE has none it knows. */
static enum ike_pki_result leaf_usage(X509 *leaf, char *reason, size_t rlen)
{
	char s[256];

	if (!(X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) ||
	    (X509_get_key_usage(leaf) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		return IKE_PKI_OK;
	pki_err(reason, rlen,
		"certificate \"%s\": key usage lacks digitalSignature and nonRepudiation",
		subj(leaf, s, sizeof(s)));
	return IKE_PKI_BAD_USAGE;
}

static enum ike_pki_result ca_constraint(STACK_OF(X509) * path, const struct ike_pki_verify_opts *o,
					 char *reason, size_t rlen)
{
	bool cert_ok = !o->ca_cert, dn_ok = !o->ca_dn;
	char s[256], ca[256];

	for (int i = 1; i < sk_X509_num(path); i++) {
		X509 *x = sk_X509_value(path, i);
		cert_ok = cert_ok || X509_cmp(x, o->ca_cert) == 0;
		dn_ok = dn_ok || ike_pki_dn_match(o->ca_dn, X509_get_subject_name(x));
	}
	if (cert_ok && dn_ok)
		return IKE_PKI_OK;
	pki_err(reason, rlen, "certificate \"%s\" is not issued through the required CA \"%s\"",
		subj(sk_X509_value(path, 0), s, sizeof(s)),
		!dn_ok ? o->ca_dn
		       : ike_pki_dn_str(X509_get_subject_name(o->ca_cert), ca, sizeof(ca)));
	return IKE_PKI_CA_CONSTRAINT;
}

/* Revocation of every element but the anchor; the hook is the revocation
 * module's (ike/pki/revocation), which applies the connection's policy. */
static enum ike_pki_result revocation(STACK_OF(X509) * path, const struct ike_pki_verify_opts *o,
				      char *reason, size_t rlen)
{
	static const enum ike_pki_result map[] = {
		[IKE_PKI_REV_NOT_CHECKED] = IKE_PKI_OK,
		[IKE_PKI_REV_GOOD] = IKE_PKI_OK,
		[IKE_PKI_REV_REVOKED] = IKE_PKI_REVOKED,
		[IKE_PKI_REV_UNKNOWN] = IKE_PKI_REVOCATION_UNKNOWN,
		[IKE_PKI_REV_PENDING] = IKE_PKI_PENDING,
	};

	if (!o->revocation)
		return IKE_PKI_OK;
	for (int i = 0; i + 1 < sk_X509_num(path); i++) {
		enum ike_pki_rev s = o->revocation(o->revocation_arg, sk_X509_value(path, i),
						   sk_X509_value(path, i + 1), reason, rlen);
		enum ike_pki_result r = (unsigned)s < sizeof(map) / sizeof(map[0])
						? map[s]
						: IKE_PKI_REVOCATION_UNKNOWN;
		if (r != IKE_PKI_OK)
			return r;
	}
	return IKE_PKI_OK;
}

/* What depends on the connection and on the time, checked on the path at
 * every verification, cached or not. */
static enum ike_pki_result path_checks(STACK_OF(X509) * path, const struct ike_pki_verify_opts *o,
				       char *reason, size_t rlen)
{
	enum ike_pki_result r = ca_constraint(path, o, reason, rlen);

	return r == IKE_PKI_OK ? revocation(path, o, reason, rlen) : r;
}

static STACK_OF(X509) * untrusted(const struct ike_creds *c, const struct ike_pki_chain *ch)
{
	STACK_OF(X509) *u = sk_X509_new_reserve(NULL, sk_X509_num(ch->certs) + (int)c->inters.n);

	for (int i = 1; u && i < sk_X509_num(ch->certs); i++)
		sk_X509_push(u, sk_X509_value(ch->certs, i));
	for (unsigned i = 0; u && i < c->inters.n; i++)
		sk_X509_push(u, c->inters.v[i].x);
	return u;
}

/* X509_verify_cert() and the leaf's key usage; on success *path is the
 * path built (a new reference). */
static enum ike_pki_result build_path(const struct ike_creds *c, const struct ike_pki_chain *ch,
				      time_t now, STACK_OF(X509) * *path, char *reason, size_t rlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *u = untrusted(c, ch);
	enum ike_pki_result r = IKE_PKI_INVALID;

	if (!ctx || !u || !X509_STORE_CTX_init(ctx, c->store, ike_pki_chain_leaf(ch), u)) {
		pki_err(reason, rlen, "out of memory");
	} else {
		/* any CA we load is an anchor, as in strongSwan's cacerts */
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
		r = X509_verify_cert(ctx) == 1 ? IKE_PKI_OK : explain(ctx, now, reason, rlen);
	}
	if (r == IKE_PKI_OK)
		r = leaf_usage(ike_pki_chain_leaf(ch), reason, rlen);
	if (r == IKE_PKI_OK && !(*path = X509_chain_up_ref(X509_STORE_CTX_get0_chain(ctx)))) {
		pki_err(reason, rlen, "out of memory");
		r = IKE_PKI_INVALID;
	}
	X509_STORE_CTX_free(ctx);
	sk_X509_free(u);
	return r;
}

enum ike_pki_result ike_pki_verify(const struct ike_creds *c, const struct ike_pki_chain *ch,
				   const struct ike_pki_verify_opts *o, char *reason, size_t rlen)
{
	STACK_OF(X509) * path;
	enum ike_pki_result r = IKE_PKI_OK;

	pki_err(reason, rlen, "ok");
	if (!ch || !ike_pki_chain_leaf(ch)) {
		pki_err(reason, rlen, "no certificate to verify");
		return IKE_PKI_NO_CERT;
	}
	path = pki_vcache_get(c->vcache, ch->certs, o->now);
	if (!path && (r = build_path(c, ch, o->now, &path, reason, rlen)) == IKE_PKI_OK)
		pki_vcache_put(c->vcache, ch->certs, path);
	if (r == IKE_PKI_OK)
		r = path_checks(path, o, reason, rlen);
	sk_X509_pop_free(path, X509_free);
	return r;
}

void ike_creds_verify_stats(const struct ike_creds *c, unsigned long *hits, unsigned long *misses)
{
	*hits = *misses = 0;
	if (c && c->vcache)
		pki_vcache_stats(c->vcache, hits, misses);
}
