/* SPDX-License-Identifier: BSD-3-Clause */
/* Results of revocation checks: their one-line messages, and the policy
 * that turns a status into a verdict (strongSwan's strict/ifuri/relaxed). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "ike/pki/revocation.h"

static void rr_subject(X509 *cert, char *buf, size_t len)
{
	X509_NAME_oneline(X509_get_subject_name(cert), buf, (int)len);
}

/* Hex serial as `openssl x509 -serial` prints it. */
static void rr_serial(X509 *cert, char *buf, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	snprintf(buf, len, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

void ike_rev_result_init(struct ike_rev_result *r, X509 *cert)
{
	memset(r, 0, sizeof(*r));
	r->status = IKE_REV_UNKNOWN;
	r->reason = -1;
	rr_serial(cert, r->serial, sizeof(r->serial));
}

time_t ike_rev_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

void ike_rev_time_str(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "?");
}

const char *ike_rev_reason_str(int reason)
{
	static const char *const names[] = {
		"unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
		"superseded",    "cessationOfOperation", "certificateHold", "unspecified (7)",
		"removeFromCRL", "privilegeWithdrawn",   "aACompromise",
	};

	if (reason < 0 || reason >= (int)(sizeof(names) / sizeof(names[0])))
		return "unspecified";
	return names[reason];
}

void ike_rev_set_revoked(struct ike_rev_result *r, X509 *cert, int reason, time_t when,
			 const char *source)
{
	char subj[256], date[40];

	rr_subject(cert, subj, sizeof(subj));
	ike_rev_time_str(when, date, sizeof(date));
	r->status = IKE_REV_REVOKED;
	r->reason = reason;
	r->rev_time = when;
	snprintf(r->source, sizeof(r->source), "%s", source);
	snprintf(r->msg, sizeof(r->msg), "certificate '%s' serial %s revoked on %s (%s) by %s",
		 subj, r->serial, date, ike_rev_reason_str(reason), source);
}

void ike_rev_set_good(struct ike_rev_result *r, X509 *cert, const char *source, time_t until)
{
	char subj[256], date[40];

	rr_subject(cert, subj, sizeof(subj));
	r->status = IKE_REV_GOOD;
	snprintf(r->source, sizeof(r->source), "%s", source);
	if (until) {
		ike_rev_time_str(until, date, sizeof(date));
		snprintf(r->msg, sizeof(r->msg),
			 "certificate '%s' serial %s not revoked (%s, next update %s)", subj,
			 r->serial, source, date);
	} else {
		snprintf(r->msg, sizeof(r->msg), "certificate '%s' serial %s not revoked (%s)",
			 subj, r->serial, source);
	}
}

void ike_rev_set_unknown(struct ike_rev_result *r, X509 *cert, const char *why)
{
	char subj[256];

	rr_subject(cert, subj, sizeof(subj));
	r->status = IKE_REV_UNKNOWN;
	snprintf(r->msg, sizeof(r->msg), "revocation status of '%s' serial %s unknown: %s", subj,
		 r->serial, why);
}

const char *ike_rev_policy_name(enum ike_rev_policy p)
{
	switch (p) {
	case IKE_REV_STRICT: return "strict";
	case IKE_REV_IFURI: return "ifuri";
	case IKE_REV_RELAXED: return "relaxed";
	}
	return "?";
}

int ike_rev_policy_parse(const char *s, enum ike_rev_policy *p)
{
	for (int i = IKE_REV_STRICT; i <= IKE_REV_RELAXED; i++)
		if (strcasecmp(s, ike_rev_policy_name((enum ike_rev_policy)i)) == 0) {
			*p = (enum ike_rev_policy)i;
			return 0;
		}
	return -1;
}

static bool rr_unknown_passes(enum ike_rev_policy p, bool has_source)
{
	switch (p) {
	case IKE_REV_STRICT: return false;
	case IKE_REV_IFURI: return !has_source;
	case IKE_REV_RELAXED: return true;
	}
	return false;
}

void ike_rev_apply_policy(enum ike_rev_policy p, struct ike_rev_result *r)
{
	size_t n;

	if (r->status != IKE_REV_UNKNOWN) {
		r->pass = r->status == IKE_REV_GOOD;
		return;
	}
	r->pass = rr_unknown_passes(p, r->has_source);
	n = strlen(r->msg);
	snprintf(r->msg + n, sizeof(r->msg) - n, "; %s under %s", r->pass ? "accepted" : "refused",
		 ike_rev_policy_name(p));
}
