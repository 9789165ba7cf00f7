/* SPDX-License-Identifier: BSD-3-Clause */
/* What an operator reads about a certificate (ipsecgw-ctl list-certs). */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ike/pki/pki_priv.h"

static void time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(buf, len, "?");
}

static void key_str(X509 *x, char *buf, size_t len)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	const char *name = k ? EVP_PKEY_get0_type_name(k) : NULL;

	if (!k)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s %d bits", name ? name : "?", EVP_PKEY_get_bits(k));
}

void ike_pki_cert_info(struct x509_st *cert, struct ike_pki_cert_info *out)
{
	char ids[sizeof(out->sans) + 64];
	const char *sans;

	memset(out, 0, sizeof(*out));
	ike_pki_dn_str(X509_get_subject_name(cert), out->subject, sizeof(out->subject));
	ike_pki_dn_str(X509_get_issuer_name(cert), out->issuer, sizeof(out->issuer));
	time_str(X509_get0_notBefore(cert), out->not_before, sizeof(out->not_before));
	time_str(X509_get0_notAfter(cert), out->not_after, sizeof(out->not_after));
	key_str(cert, out->key, sizeof(out->key));
	/* "subject \"...\", SANs: a, b": the SAN part only */
	ike_pki_cert_ids_str(cert, ids, sizeof(ids));
	sans = strstr(ids, "SANs: ");
	snprintf(out->sans, sizeof(out->sans), "%s", sans ? sans + 6 : "");
}
