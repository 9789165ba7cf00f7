/* SPDX-License-Identifier: BSD-3-Clause */
/* OCSP (RFC 6960): the request with its nonce, and the checks of the
 * response: our nonce, a signer that is the issuer or a responder the
 * issuer delegated (id-kp-OCSPSigning, 4.2.2.2), its signature, and the
 * SingleResponse for our certificate. OpenSSL's own chain building
 * (OCSP_basic_verify without NOVERIFY) is not used: the issuer is the only
 * anchor here, and we check the delegation ourselves. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ike/pki/revocation.h"

static int ro_fail(struct ike_rev_ocsp_answer *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int ro_fail(struct ike_rev_ocsp_answer *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, sizeof(a->err), fmt, ap);
	va_end(ap);
	a->status = -1;
	ERR_clear_error();
	return -1;
}

OCSP_REQUEST *ike_rev_ocsp_request(X509 *cert, X509 *issuer, uint8_t **der, size_t *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
	unsigned char *out = NULL;
	int n;

	if (!req || !id || !OCSP_request_add0_id(req, id))
		goto fail;
	id = NULL; /* owned by req now */
	if (!OCSP_request_add1_nonce(req, NULL, 16))
		goto fail;
	n = i2d_OCSP_REQUEST(req, &out);
	if (n <= 0)
		goto fail;
	*der = out;
	*len = (size_t)n;
	return req;
fail:
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	ERR_clear_error();
	return NULL;
}

static bool ro_valid_at(X509 *x, time_t now)
{
	return X509_cmp_time(X509_get0_notBefore(x), &now) < 0 &&
	       X509_cmp_time(X509_get0_notAfter(x), &now) > 0;
}

/* A delegated responder: issued and signed by the issuer, with the OCSP
 * signing EKU, valid now. */
static int ro_delegated(X509 *signer, X509 *issuer, time_t now, struct ike_rev_ocsp_answer *a)
{
	char subj[256];
	int ok;

	X509_NAME_oneline(X509_get_subject_name(signer), subj, sizeof(subj));
	ok = X509_check_issued(issuer, signer) == X509_V_OK &&
	     X509_verify(signer, X509_get0_pubkey(issuer)) == 1;
	if (!ok)
		return ro_fail(a, "OCSP response signed by '%s', not certified by the issuer",
			       subj);
	if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
		return ro_fail(a, "OCSP signer '%s' lacks the OCSPSigning extended key usage",
			       subj);
	if (!ro_valid_at(signer, now))
		return ro_fail(a, "OCSP signer '%s' is expired or not yet valid", subj);
	return 0;
}

/* Finds the signer (the issuer, or a certificate in the response),
 * checks the delegation and the signature. */
static int ro_signature(OCSP_BASICRESP *bs, X509 *issuer, time_t now, struct ike_rev_ocsp_answer *a)
{
	STACK_OF(X509) *extra = sk_X509_new_null();
	STACK_OF(X509) *only = sk_X509_new_null();
	X509 *signer = NULL;
	int rc = -1;

	if (!extra || !only || !sk_X509_push(extra, issuer)) {
		ro_fail(a, "out of memory");
		goto out;
	}
	if (OCSP_resp_get0_signer(bs, &signer, extra) != 1 || !signer) {
		ro_fail(a, "OCSP response signer is neither the issuer nor in the response");
		goto out;
	}
	if (X509_cmp(signer, issuer) != 0 && ro_delegated(signer, issuer, now, a) != 0)
		goto out;
	/* Only the signer we checked, and no chain: verify its signature. */
	if (!sk_X509_push(only, signer) ||
	    OCSP_basic_verify(bs, only, NULL, OCSP_NOINTERN | OCSP_NOVERIFY) != 1) {
		ro_fail(a, "OCSP response signature does not verify");
		goto out;
	}
	rc = 0;
out:
	sk_X509_free(extra);
	sk_X509_free(only);
	return rc;
}

static int ro_status(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer, struct ike_rev_ocsp_answer *a)
{
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
	ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
	int status = -1, reason = -1, found;

	found = id && OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisu, &nextu) == 1;
	OCSP_CERTID_free(id);
	if (!found)
		return ro_fail(a, "OCSP response has no status for the certificate");
	a->status = status;
	a->reason = status == V_OCSP_CERTSTATUS_REVOKED ? reason : -1;
	a->rev_time = ike_rev_time(rev);
	a->this_update = ike_rev_time(thisu);
	a->next_update = ike_rev_time(nextu);
	if (!a->this_update)
		return ro_fail(a, "OCSP response without a readable thisUpdate");
	return 0;
}

static int ro_basic(OCSP_RESPONSE *resp, OCSP_REQUEST *req, X509 *cert, X509 *issuer, time_t now,
		    struct ike_rev_ocsp_answer *a)
{
	OCSP_BASICRESP *bs;
	int st = OCSP_response_status(resp), rc = -1, nonce;

	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		return ro_fail(a, "OCSP responder answered %s", OCSP_response_status_str(st));
	bs = OCSP_response_get1_basic(resp);
	if (!bs)
		return ro_fail(a, "OCSP response is not a basic response");
	/* 0: both carry a nonce and they differ (a replay, or another
	 * request's answer); -1: the responder sent none (pre-signed). */
	nonce = OCSP_check_nonce(req, bs);
	if (nonce == 0)
		ro_fail(a, "OCSP response nonce differs from the request's");
	else if (ro_signature(bs, issuer, now, a) == 0)
		rc = ro_status(bs, cert, issuer, a);
	OCSP_BASICRESP_free(bs);
	ERR_clear_error();
	return rc;
}

int ike_rev_ocsp_check(OCSP_REQUEST *req, const uint8_t *der, size_t len, X509 *cert, X509 *issuer,
		       time_t now, struct ike_rev_ocsp_answer *a)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp;
	int rc;

	memset(a, 0, sizeof(*a));
	a->status = -1;
	a->reason = -1;
	if (len > 0x7fffffff)
		return ro_fail(a, "OCSP response too large");
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (!resp)
		return ro_fail(a, "not an OCSP response");
	rc = ro_basic(resp, req, cert, issuer, now, a);
	OCSP_RESPONSE_free(resp);
	return rc;
}

#define RO_SKEW 300

void ike_rev_ocsp_result(const struct ike_rev_ocsp_answer *a, X509 *cert, time_t now,
			 const char *source, struct ike_rev_result *r)
{
	char why[500], date[40];

	if (a->status < 0) {
		snprintf(why, sizeof(why), "%s: %s", source, a->err);
		ike_rev_set_unknown(r, cert, why);
	} else if (a->status == V_OCSP_CERTSTATUS_REVOKED) {
		/* A revocation stays, even in an old answer (as in a stale CRL). */
		ike_rev_set_revoked(r, cert, a->reason, a->rev_time, source);
	} else if (a->this_update > now + RO_SKEW) {
		ike_rev_time_str(a->this_update, date, sizeof(date));
		snprintf(why, sizeof(why), "%s answer is not valid before %s", source, date);
		ike_rev_set_unknown(r, cert, why);
	} else if (a->next_update && a->next_update < now) {
		ike_rev_time_str(a->next_update, date, sizeof(date));
		snprintf(why, sizeof(why), "%s answer expired on %s (nextUpdate)", source, date);
		ike_rev_set_unknown(r, cert, why);
	} else if (a->status == V_OCSP_CERTSTATUS_GOOD) {
		ike_rev_set_good(r, cert, source, a->next_update);
	} else {
		snprintf(why, sizeof(why), "%s does not know the certificate", source);
		ike_rev_set_unknown(r, cert, why);
	}
}
