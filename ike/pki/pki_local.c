/* SPDX-License-Identifier: BSD-3-Clause */
/* Our own certificates: the path each one sends in CERT payloads, worked
 * out once by OpenSSL's path building (not per handshake), and the choice
 * among several by the peer's CERTREQ. */
#include <errno.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "ike/pki/pki_priv.h"

static void der_free(struct ike_cred *cr)
{
	for (unsigned i = 0; i < cr->n_der; i++)
		OPENSSL_free(cr->der[i]);
	free(cr->der);
	free(cr->der_len);
	free(cr->path_sha1);
	cr->der = NULL;
	cr->der_len = NULL;
	cr->path_sha1 = NULL;
	cr->n_der = cr->n_path = 0;
}

void pki_local_free(struct ike_cred *cr)
{
	if (!cr)
		return;
	der_free(cr);
	X509_free(cr->cert);
	EVP_PKEY_free(cr->key); /* OpenSSL wipes the key's secret parts */
	sk_X509_pop_free(cr->bundle, X509_free);
	free(cr->source);
	free(cr);
}

/* The path OpenSSL builds from our certificate through the intermediates
 * (the file's bundle, then the store's) to an anchor, ignoring time: a
 * path that does not reach an anchor is kept as far as it got. */
static STACK_OF(X509) * build_path(struct ike_creds *c, struct ike_cred *cr)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_dup(cr->bundle), *path = NULL;

	for (unsigned i = 0; untrusted && i < c->inters.n; i++)
		sk_X509_push(untrusted, c->inters.v[i].x);
	if (ctx && untrusted && X509_STORE_CTX_init(ctx, c->store, cr->cert, untrusted)) {
		X509_STORE_CTX_set_flags(ctx,
					 X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
		(void)X509_verify_cert(ctx); /* our own path: send what we have */
		path = X509_STORE_CTX_get1_chain(ctx);
	}
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	return path;
}

static bool self_signed(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
}

static int path_add(struct ike_cred *cr, X509 *x, bool send)
{
	if (pki_spki_sha1(x, cr->path_sha1[cr->n_path]) < 0)
		return -EINVAL;
	cr->n_path++;
	if (!send)
		return 0;
	cr->der[cr->n_der] = NULL;
	int n = i2d_X509(x, &cr->der[cr->n_der]);
	if (n <= 0)
		return -ENOMEM;
	cr->der_len[cr->n_der++] = (size_t)n;
	return 0;
}

static int fill(struct ike_cred *cr, STACK_OF(X509) * path)
{
	unsigned n = (unsigned)sk_X509_num(path);
	int r;

	cr->der = calloc(n, sizeof(*cr->der));
	cr->der_len = calloc(n, sizeof(*cr->der_len));
	cr->path_sha1 = calloc(n, sizeof(*cr->path_sha1));
	if (!cr->der || !cr->der_len || !cr->path_sha1)
		return -ENOMEM;
	r = path_add(cr, cr->cert, true);
	cr->n_path = 0; /* the end entity's own key is no CA to request */
	for (unsigned i = 1; r == 0 && i < n; i++) {
		X509 *x = sk_X509_value(path, (int)i);
		/* a root is useless to the peer: it must have it to trust it */
		r = path_add(cr, x, !self_signed(x));
	}
	return r;
}

int pki_local_build(struct ike_creds *c, struct ike_cred *cr)
{
	STACK_OF(X509) *path = build_path(c, cr);
	int r;

	der_free(cr);
	if (!path)
		return -ENOMEM;
	r = fill(cr, path);
	sk_X509_pop_free(path, X509_free);
	return r;
}

unsigned ike_cred_cert_der(const struct ike_cred *cr, unsigned i, const uint8_t **der, size_t *len)
{
	if (i < cr->n_der) {
		*der = cr->der[i];
		*len = cr->der_len[i];
	}
	return cr->n_der;
}

bool ike_cred_requested(const struct ike_cred *cr, const uint8_t *hashes, size_t hlen)
{
	for (size_t o = 0; o + IKE_PKI_SHA1_LEN <= hlen; o += IKE_PKI_SHA1_LEN)
		for (unsigned i = 0; i < cr->n_path; i++)
			if (memcmp(hashes + o, cr->path_sha1[i], IKE_PKI_SHA1_LEN) == 0)
				return true;
	return false;
}

const struct ike_cred *ike_pki_select(const struct ike_cred *const cands[], unsigned n,
				      const uint8_t *hashes, size_t hlen)
{
	for (unsigned i = 0; i < n; i++)
		if (ike_cred_requested(cands[i], hashes, hlen))
			return cands[i];
	return n ? cands[0] : NULL;
}

int ike_cred_id(const struct ike_cred *cr, struct ike_id *id)
{
	const unsigned char *der;
	size_t len;

	if (!X509_NAME_get0_der(X509_get_subject_name(cr->cert), &der, &len))
		return -EINVAL;
	if (len > IKE_MAX_ID)
		return -E2BIG;
	id->type = IKEV2_ID_DER_ASN1_DN;
	id->len = (uint8_t)len;
	memcpy(id->data, der, len);
	return 0;
}
