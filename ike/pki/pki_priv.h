/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside ike/pki: the credential store's layout and helpers the files share.
 * pki_wire.c stays free of OpenSSL (the fuzz target builds it alone). */
#ifndef PKI_PRIV_H
#define PKI_PRIV_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ike/ike_pki.h"

/* A certificate as loaded, with where it came from and its CERTREQ hash. */
struct pki_cert {
	X509 *x;
	char *source;
	uint8_t spki_sha1[IKE_PKI_SHA1_LEN];
};

struct pki_certs {
	struct pki_cert *v;
	unsigned n, cap;
};

struct ike_cred {
	X509 *cert;
	EVP_PKEY *key;
	char *source;
	STACK_OF(X509) * bundle; /* intermediates from the certificate file */
	/* what goes in CERT payloads: DER of the end entity, then of the
	 * intermediates of its path (rebuilt when the store changes) */
	uint8_t **der;
	size_t *der_len;
	unsigned n_der;
	/* hashes of every CA on the path, for CERTREQ matching */
	uint8_t (*path_sha1)[IKE_PKI_SHA1_LEN];
	unsigned n_path;
};

struct ike_creds {
	int refs; /* atomic */
	X509_STORE *store;
	struct pki_certs cas, inters;
	struct ike_cred **locals;
	unsigned n_locals;
	struct pki_vcache *vcache; /* chains verified (pki_vcache.c) */
};

/* pki_store.c */
void pki_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int pki_spki_sha1(X509 *x, uint8_t out[IKE_PKI_SHA1_LEN]);
/* pki_load.c */
int pki_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen);
int pki_certs_from_file(const char *path, STACK_OF(X509) * *out, char *err, size_t errlen);
int pki_key_from_file(const char *key_path, const char *pass_path, EVP_PKEY **out, char *err,
		      size_t errlen);
/* pki_local.c */
int pki_local_build(struct ike_creds *c, struct ike_cred *cr);
void pki_local_free(struct ike_cred *cr);
/* pki_cache.c: the certificate in der (exactly len bytes), parsed, a new
 * reference; NULL when it is not one DER X.509 certificate. */
X509 *pki_cache_d2i(const uint8_t *der, size_t len);
/* pki_vcache.c: paths X509_verify_cert() built for the certificates a
 * peer sent (end entity first), kept while all of the path is valid; every
 * load into the store must clear it. get: a new reference, or NULL. */
struct pki_vcache;
struct pki_vcache *pki_vcache_new(void);
void pki_vcache_free(struct pki_vcache *v);
void pki_vcache_clear(struct pki_vcache *v);
STACK_OF(X509) * pki_vcache_get(struct pki_vcache *v, STACK_OF(X509) * sent, time_t now);
void pki_vcache_put(struct pki_vcache *v, STACK_OF(X509) * sent, STACK_OF(X509) * path);
void pki_vcache_stats(struct pki_vcache *v, unsigned long *hits, unsigned long *misses);
/* pki_verify.c */
const char *pki_time_str(const ASN1_TIME *t, char *buf, size_t len);
/* pki_sig.c */
enum pki_key {
	PKI_KEY_NONE = 0,
	PKI_KEY_RSA,
	PKI_KEY_RSA_PSS,
	PKI_KEY_P256,
	PKI_KEY_P384,
	PKI_KEY_P521,
	PKI_KEY_ED25519,
	PKI_KEY_ED448,
};
enum pki_key pki_key_type(EVP_PKEY *k);

#endif
