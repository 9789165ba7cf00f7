/* SPDX-License-Identifier: BSD-3-Clause */
/* X.509 certificates and signature authentication for IKEv2 (ike/pki/).
 *
 * A credential store (struct ike_creds) holds the trust anchors, the
 * intermediates and our own certificates with their private keys. The app
 * builds one, loads files into it, then publishes it; from then on it is
 * read-only and may be used by several threads at once. On reload the app
 * builds a new store and swaps it in: whoever still uses the old one holds a
 * reference (ike_creds_ref) and drops it when done, so no SA is dropped.
 * A local credential (struct ike_cred) lives as long as its store.
 *
 * OpenSSL types appear as their struct tags only (struct x509_st is X509,
 * struct X509_name_st is X509_NAME), so that this header needs no OpenSSL
 * header; the engine's IKE_AUTH code can use DER bytes and these handles.
 *
 * Functions return 0 or a negative errno unless said otherwise; those with
 * err/errlen write one line that names the file or certificate and the
 * problem. */
#ifndef IKE_PKI_H
#define IKE_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ike/ike.h"

struct x509_st;
struct X509_name_st;

#define IKE_PKI_SHA1_LEN 20u   /* a CERTREQ hash: SHA-1 of a CA's SubjectPublicKeyInfo */
#define IKE_PKI_MAX_AUTH 1200u /* AUTH data of a signature method (RSA-8192 + AlgId) */

/* ---- credential store ---- */
struct ike_creds;
struct ike_cred;

struct ike_creds *ike_creds_new(void);
struct ike_creds *ike_creds_ref(struct ike_creds *c); /* returns c */
void ike_creds_unref(struct ike_creds *c);            /* frees on the last reference */

/* Trust anchors: a PEM file (one or more certificates), a DER file, or a
 * directory of such files (every regular file not starting with '.').
 * Any certificate loaded here is trusted, self-signed or not. */
int ike_creds_load_ca(struct ike_creds *c, const char *path, char *err, size_t errlen);
/* Intermediates (not trusted): used to build paths, ours and peers'. */
int ike_creds_load_intermediate(struct ike_creds *c, const char *path, char *err, size_t errlen);
/* Our certificate and private key. cert_path may hold the end entity
 * followed by its intermediates (PEM). The key (PEM or DER; PKCS#1, SEC1,
 * PKCS#8, encrypted PKCS#8) must not be readable by group or others; an
 * encrypted key needs pass_path, a file whose first line is the passphrase
 * (same permission rule). The key must match the certificate. *out, when
 * not NULL, receives the credential. */
int ike_creds_load_local(struct ike_creds *c, const char *cert_path, const char *key_path,
			 const char *pass_path, const struct ike_cred **out, char *err,
			 size_t errlen);

unsigned ike_creds_local_count(const struct ike_creds *c);
const struct ike_cred *ike_creds_local_at(const struct ike_creds *c, unsigned i);
const char *ike_cred_source(const struct ike_cred *cr); /* the certificate's path */
struct x509_st *ike_cred_cert(const struct ike_cred *cr);

/* Every certificate of the store, for listing: kind is "ca",
 * "intermediate" or "local"; source is the file it came from. */
typedef void (*ike_creds_visit_fn)(void *arg, const char *kind, struct x509_st *cert,
				   const char *source);
void ike_creds_foreach(const struct ike_creds *c, ike_creds_visit_fn fn, void *arg);

/* The CA certificate of the store (a trust anchor or an intermediate) that
 * `ca` names: a certificate file (PEM or DER) whose first certificate is
 * one of them, or a DN pattern (ike_pki_dn_match) that exactly one of them
 * matches. NULL with a line in err (unknown CA, several match). */
struct x509_st *ike_creds_find_ca(const struct ike_creds *c, const char *ca, char *err,
				  size_t errlen);
/* A CRL file (PEM or DER) issued by a CA of the store, its signature
 * checked with that CA's key: 0, or -EINVAL with a line naming the file. */
int ike_creds_check_crl(const struct ike_creds *c, const char *path, char *err, size_t errlen);
/* Whether url is an OCSP responder we can ask: http://host[:port][/path]
 * (plain HTTP, as RFC 6960 A.1 and every AIA in practice). */
int ike_pki_ocsp_url_check(const char *url, char *err, size_t errlen);

/* ---- CERTREQ (RFC 7296 3.7) ---- */
/* The hashes of our trust anchors, 20 bytes each, concatenated: the body of
 * our CERTREQ after its encoding byte. Returns the byte count (0: none);
 * -ENOSPC when cap is too small. */
int ike_creds_certreq(const struct ike_creds *c, uint8_t *out, size_t cap);
/* Whether cr's chain goes through a CA whose hash is in hashes (hlen bytes,
 * a multiple of 20; a trailing partial hash is ignored). */
bool ike_cred_requested(const struct ike_cred *cr, const uint8_t *hashes, size_t hlen);
/* Of the candidates, the first one that chains to a requested CA; the first
 * candidate when none was requested or none matches. NULL when n == 0. */
const struct ike_cred *ike_pki_select(const struct ike_cred *const cands[], unsigned n,
				      const uint8_t *hashes, size_t hlen);
/* The certificates to send in CERT payloads (encoding 4): i == 0 is the
 * end entity, then the intermediates (no self-signed root). DER bytes owned
 * by the credential. Returns the count; *der and *len set for i < count. */
unsigned ike_cred_cert_der(const struct ike_cred *cr, unsigned i, const uint8_t **der, size_t *len);
/* Our default identity: ID_DER_ASN1_DN with the subject's DER bytes.
 * -E2BIG when the DN is longer than IKE_MAX_ID. */
int ike_cred_id(const struct ike_cred *cr, struct ike_id *id);

/* ---- the peer's certificates and chain verification ---- */
struct ike_pki_chain; /* what a peer sent: end entity first, then intermediates */

struct ike_pki_chain *ike_pki_chain_new(void);
void ike_pki_chain_free(struct ike_pki_chain *ch);
/* Adds one CERT payload's DER certificate; the first added is the end entity. */
int ike_pki_chain_add_der(struct ike_pki_chain *ch, const uint8_t *der, size_t len, char *err,
			  size_t errlen);
struct x509_st *ike_pki_chain_leaf(const struct ike_pki_chain *ch); /* NULL when empty */

enum ike_pki_result {
	IKE_PKI_OK = 0,
	IKE_PKI_NO_CERT,            /* nothing to verify */
	IKE_PKI_UNKNOWN_CA,         /* no path to a trust anchor */
	IKE_PKI_EXPIRED,            /* a certificate of the chain */
	IKE_PKI_NOT_YET_VALID,      /* a certificate of the chain */
	IKE_PKI_BAD_SIGNATURE,      /* on a certificate of the chain */
	IKE_PKI_BAD_USAGE,          /* key usage, basic constraints, purpose */
	IKE_PKI_PATH_LENGTH,        /* a CA's pathLenConstraint */
	IKE_PKI_CA_CONSTRAINT,      /* the chain misses the CA the connection requires */
	IKE_PKI_REVOKED,            /* said so by the revocation hook */
	IKE_PKI_REVOCATION_UNKNOWN, /* the hook could not tell, and its policy refuses */
	IKE_PKI_PENDING,            /* the hook is fetching: verify again later */
	IKE_PKI_INVALID,            /* anything else OpenSSL refuses */
};
const char *ike_pki_result_name(enum ike_pki_result r); /* "unknown CA", ... */

/* Revocation status of one chain element, as the revocation module (CRL,
 * OCSP; ike/pki/revocation) answers for a connection's policy. */
enum ike_pki_rev {
	IKE_PKI_REV_NOT_CHECKED = 0,
	IKE_PKI_REV_GOOD,
	IKE_PKI_REV_REVOKED,
	IKE_PKI_REV_UNKNOWN, /* refuse: the policy wants an answer and has none */
	IKE_PKI_REV_PENDING, /* a fetch runs; the exchange waits and verifies again */
};
/* Called for every certificate of a verified chain but the trust anchor,
 * leaf first, with its issuer; writes a reason for REVOKED/UNKNOWN. */
typedef enum ike_pki_rev (*ike_pki_revocation_fn)(void *arg, struct x509_st *cert,
						  struct x509_st *issuer, char *reason,
						  size_t rlen);

struct ike_pki_verify_opts {
	time_t now; /* wall-clock time to check validity at */
	/* CA constraints (optional): the chain must go through this CA
	 * certificate, and/or a CA whose subject matches this DN pattern. */
	struct x509_st *ca_cert;
	const char *ca_dn;
	ike_pki_revocation_fn revocation; /* NULL: not checked */
	void *revocation_arg;
};
/* Verifies the peer's end entity to one of c's trust anchors, with the
 * intermediates the peer sent and those of c (X509_STORE_CTX): validity at
 * o->now, signatures, basic constraints, key usage (keyCertSign for CAs,
 * digitalSignature or nonRepudiation for the end entity when it has the
 * extension), path length; then the CA constraint and revocation. reason
 * receives one line for an operator. */
enum ike_pki_result ike_pki_verify(const struct ike_creds *c, const struct ike_pki_chain *ch,
				   const struct ike_pki_verify_opts *o, char *reason, size_t rlen);
/* A path verified once is kept with the certificates the peer sent, while
 * every element of it is valid (ike/pki/pki_vcache.c); the CA constraint
 * and revocation are checked at every call. How often it answered. */
void ike_creds_verify_stats(const struct ike_creds *c, unsigned long *hits, unsigned long *misses);

/* ---- identities ---- */
/* Whether the certificate carries the identity: ID_DER_ASN1_DN equal to
 * the subject (DER, or the same name in canonical form) or to a directoryName
 * subjectAltName; FQDN, RFC822 (ASCII case-insensitive), IPv4/IPv6 address
 * equal to a dNSName, rfc822Name, iPAddress subjectAltName; KEY_ID equal to
 * the subjectKeyIdentifier. */
bool ike_pki_id_matches(struct x509_st *cert, const struct ike_id *id);
/* strongSwan-style DN pattern ("C=CH, O=Example, CN=*", or "/C=CH/O=..."):
 * the same attributes in the same order, each value equal (ASCII case
 * ignored) or "*" for any value. */
bool ike_pki_dn_match(const char *pattern, const struct X509_name_st *name);
/* The DN in the same text form ("C=CH, O=Example, CN=gw"); returns buf. */
const char *ike_pki_dn_str(const struct X509_name_st *name, char *buf, size_t len);
/* An ID_DER_ASN1_DN from its text form, for configuration. */
int ike_pki_id_from_dn(const char *text, struct ike_id *id);
/* Whether two identities are the same: of one type, and equal bytes or,
 * for ID_DER_ASN1_DN, the same name in canonical form (string types and
 * case aside), as a configured remote_id must match a peer's IDi/IDr. */
bool ike_pki_id_eq(const struct ike_id *a, const struct ike_id *b);
/* An ID_DER_ASN1_DN identity as DN text; "(bad DN)" when it does not decode. */
const char *ike_pki_id_dn_str(const struct ike_id *id, char *buf, size_t len);
/* What the certificate holds for messages: "subject \"...\", SANs: a, b". */
const char *ike_pki_cert_ids_str(struct x509_st *cert, char *buf, size_t len);

/* ---- signatures for the AUTH payload (RFC 7296 2.15, RFC 7427, RFC 8420) ---- */
enum ike_pki_auth_method { /* the signature AUTH methods (IANA "IKEv2 Authentication Method") */
			   IKE_PKI_AUTH_RSA_SIG = 1,            /* RSASSA-PKCS1-v1_5 with SHA-1 */
			   IKE_PKI_AUTH_ECDSA_256 = 9,          /* RFC 4754: P-256, SHA-256, r||s */
			   IKE_PKI_AUTH_ECDSA_384 = 10,         /* P-384, SHA-384 */
			   IKE_PKI_AUTH_ECDSA_521 = 11,         /* P-521, SHA-512 */
			   IKE_PKI_AUTH_DIGITAL_SIGNATURE = 14, /* RFC 7427 */
};
enum ike_pki_hash { /* RFC 7427 4, IANA "Hash Algorithms" */
		    IKE_PKI_HASH_SHA1 = 1,
		    IKE_PKI_HASH_SHA256 = 2,
		    IKE_PKI_HASH_SHA384 = 3,
		    IKE_PKI_HASH_SHA512 = 4,
		    IKE_PKI_HASH_IDENTITY = 5,
};
#define IKE_PKI_HASH_BIT(h) (1u << (h))
enum ike_pki_sig { /* the signature algorithm of an RFC 7427 AlgorithmIdentifier */
		   IKE_PKI_SIG_RSA_PKCS1 = 1,
		   IKE_PKI_SIG_RSA_PSS,
		   IKE_PKI_SIG_ECDSA,
		   IKE_PKI_SIG_ED25519,
		   IKE_PKI_SIG_ED448,
};
struct ike_pki_sigalg {
	uint8_t sig;  /* enum ike_pki_sig */
	uint8_t hash; /* enum ike_pki_hash; IDENTITY for EdDSA */
	/* RSASSA-PSS only (RFC 4055): MGF1's hash and the salt length */
	uint8_t mgf1_hash;
	uint16_t salt_len;
};
/* What to sign with: an AUTH method (1, 9, 10, 11, 14) and, for 14, the
 * algorithm written in the AUTH data. */
struct ike_pki_scheme {
	uint8_t method;
	struct ike_pki_sigalg alg;
};

/* Parse errors: negative, named by ike_pki_perr_str(). */
enum ike_pki_perr {
	IKE_PKI_E_TRUNCATED = -1, /* a length runs past the end */
	IKE_PKI_E_DER = -2,       /* not the DER structure expected */
	IKE_PKI_E_TRAILING = -3,  /* bytes after the structure */
	IKE_PKI_E_ALG = -4,       /* an algorithm we do not support */
	IKE_PKI_E_PARAMS = -5,    /* unsupported or inconsistent parameters */
	IKE_PKI_E_ODD = -6,       /* a hash list of odd length */
	IKE_PKI_E_EMPTY = -7,     /* an empty list or signature */
	IKE_PKI_E_SPACE = -8,     /* the output buffer is too small */
};
const char *ike_pki_perr_str(int e);

/* SIGNATURE_HASH_ALGORITHMS notify data: 16-bit hash IDs. *bits gets
 * IKE_PKI_HASH_BIT(id) for each ID below 32 (others are ignored). */
int ike_pki_hashes_parse(const uint8_t *buf, size_t len, uint32_t *bits);
/* Writes the IDs in bits (ascending); returns the byte count or IKE_PKI_E_SPACE. */
int ike_pki_hashes_encode(uint32_t bits, uint8_t *out, size_t cap);
/* What we announce: SHA2-256, SHA2-384, SHA2-512, Identity. */
uint32_t ike_pki_hashes_ours(void);

/* An RFC 7427 AlgorithmIdentifier (DER, the whole SEQUENCE). */
int ike_pki_algid_parse(const uint8_t *buf, size_t len, struct ike_pki_sigalg *alg);
/* Returns the byte count or a negative error. PSS: salt = hash length, MGF1
 * with the same hash when mgf1_hash/salt_len are 0. */
int ike_pki_algid_encode(const struct ike_pki_sigalg *alg, uint8_t *out, size_t cap);
/* Method 14's AUTH data: length byte, AlgorithmIdentifier, signature. */
int ike_pki_auth14_parse(const uint8_t *buf, size_t len, struct ike_pki_sigalg *alg,
			 const uint8_t **sig, size_t *siglen);
const char *ike_pki_sigalg_str(const struct ike_pki_sigalg *alg, char *buf, size_t len);

/* The scheme to sign with, as strongSwan chooses: with peer_hashes (the
 * bits the peer announced, 0 when it sent no SIGNATURE_HASH_ALGORITHMS),
 * method 14 with the hash that suits our key (the curve's for ECDSA, then
 * the others; SHA-256 first for RSA; Identity for EdDSA), RSASSA-PSS when
 * pss is set; else, or when no hash is shared, the classic method for the
 * key (RSA 1, P-256 9, P-384 10, P-521 11). EdDSA has no classic method:
 * method 14 when the peer announced nothing, -ENOTSUP when it announced
 * hashes without Identity; an RSA-PSS key needs a SHA-2 announced. */
int ike_cred_scheme(const struct ike_cred *cr, uint32_t peer_hashes, bool pss,
		    struct ike_pki_scheme *s);
/* Signs the signed octets; writes the AUTH payload's data (after the method
 * byte and reserved bytes) to auth, at most *alen bytes, and sets *alen. */
int ike_cred_sign(const struct ike_cred *cr, const struct ike_pki_scheme *s, const uint8_t *octets,
		  size_t olen, uint8_t *auth, size_t *alen);
/* Verifies a peer's AUTH data for method with the end entity's public key.
 * 0 when it verifies; -EBADMSG bad signature, -EINVAL malformed, -ENOTSUP
 * method or algorithm unsupported or not for this key; reason gets a line. */
int ike_pki_verify_auth(struct x509_st *cert, uint8_t method, const uint8_t *auth, size_t alen,
			const uint8_t *octets, size_t olen, char *reason, size_t rlen);

/* ---- for operators ---- */
struct ike_pki_cert_info {
	char subject[256], issuer[256];
	char sans[512];                     /* "a.example.org, 192.0.2.1, ..." ("" if none) */
	char not_before[32], not_after[32]; /* "2026-12-07 10:00:00 UTC" */
	char key[48];                       /* "EC 256 bits", "RSA 3072 bits", "ED25519 253 bits" */
};
void ike_pki_cert_info(struct x509_st *cert, struct ike_pki_cert_info *out);

#endif
