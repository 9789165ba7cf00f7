/* SPDX-License-Identifier: BSD-3-Clause */
/* CRLs (RFC 5280 5): parsing (DER as served over HTTP, PEM as files often
 * are), the issuer's signature, and looking a certificate up. Delta CRLs
 * and indirect CRLs are refused: a delta alone would say "good" for what
 * its base revoked. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ike/pki/revocation.h"

X509_CRL *ike_rev_crl_parse(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	static const char pem[] = "-----BEGIN";
	const unsigned char *p = buf;
	X509_CRL *crl = NULL;

	if (len > 0x7fffffff) {
		snprintf(err, errlen, "CRL too large");
		return NULL;
	}
	if (len >= sizeof(pem) - 1 && memmem(buf, len < 256 ? len : 256, pem, sizeof(pem) - 1)) {
		BIO *b = BIO_new_mem_buf(buf, (int)len);

		crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	} else {
		crl = d2i_X509_CRL(NULL, &p, (long)len);
	}
	ERR_clear_error();
	if (!crl)
		snprintf(err, errlen, "not a CRL (DER or PEM)");
	return crl;
}

/* Extensions we must not ignore: a delta CRL, an indirect one, or one
 * whose scope leaves out end-entity certificates or some reasons (its
 * silence about a certificate would not mean "good"). */
static int rc_scope(X509_CRL *crl, char *err, size_t errlen)
{
	ISSUING_DIST_POINT *idp;
	const char *why = NULL;
	int crit;

	if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0) {
		snprintf(err, errlen, "delta CRLs are not supported");
		return -1;
	}
	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	if (idp && idp->indirectCRL)
		why = "indirect CRLs are not supported";
	else if (idp && (idp->onlyCA || idp->onlyattr || idp->onlysomereasons))
		why = "CRL covers only part of the certificates (issuingDistributionPoint)";
	ISSUING_DIST_POINT_free(idp);
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

int ike_rev_crl_verify(X509_CRL *crl, X509 *issuer, char *err, size_t errlen)
{
	EVP_PKEY *key = X509_get0_pubkey(issuer);
	X509_REVOKED *dummy;
	char want[256], got[256];
	int ok;

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
		X509_NAME_oneline(X509_CRL_get_issuer(crl), got, sizeof(got));
		X509_NAME_oneline(X509_get_subject_name(issuer), want, sizeof(want));
		snprintf(err, errlen, "CRL issued by '%s', not by '%s'", got, want);
		return -1;
	}
	if ((X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0) {
		snprintf(err, errlen, "issuer's key usage does not allow CRL signing");
		return -1;
	}
	ok = key && X509_CRL_verify(crl, key) == 1;
	ERR_clear_error();
	if (!ok) {
		snprintf(err, errlen, "CRL signature does not verify with the issuer's key");
		return -1;
	}
	if (rc_scope(crl, err, errlen) != 0)
		return -1;
	/* The first lookup sorts the entries (under the CRL's lock): do it
	 * here, on the fetch thread, not on the caller's. */
	X509_CRL_get0_by_serial(crl, &dummy, X509_get0_serialNumber(issuer));
	return 0;
}

static int rc_entry_reason(X509_REVOKED *rev)
{
	ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	int reason = e ? (int)ASN1_ENUMERATED_get(e) : -1;

	ASN1_ENUMERATED_free(e);
	return reason;
}

/* Allowed clock skew for thisUpdate in the future. */
#define RC_SKEW 300

void ike_rev_crl_lookup(X509_CRL *crl, X509 *cert, time_t now, const char *source,
			struct ike_rev_result *r)
{
	time_t this_up = ike_rev_time(X509_CRL_get0_lastUpdate(crl));
	time_t next_up = ike_rev_time(X509_CRL_get0_nextUpdate(crl));
	X509_REVOKED *rev = NULL;
	char why[400], date[40];

	if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(cert)) == 1 && rev) {
		ike_rev_set_revoked(r, cert, rc_entry_reason(rev),
				    ike_rev_time(X509_REVOKED_get0_revocationDate(rev)), source);
		return;
	}
	if (this_up > now + RC_SKEW) {
		ike_rev_time_str(this_up, date, sizeof(date));
		snprintf(why, sizeof(why), "%s is not valid before %s", source, date);
		ike_rev_set_unknown(r, cert, why);
		return;
	}
	if (next_up && next_up < now) {
		ike_rev_time_str(next_up, date, sizeof(date));
		snprintf(why, sizeof(why), "%s expired on %s (nextUpdate)", source, date);
		ike_rev_set_unknown(r, cert, why);
		return;
	}
	ike_rev_set_good(r, cert, source, next_up);
}
