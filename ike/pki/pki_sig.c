/* SPDX-License-Identifier: BSD-3-Clause */
/* Signature AUTH methods (RFC 7296 2.15, RFC 4754, RFC 7427, RFC 8420):
 * signing the signed octets with our key and verifying the peer's with its
 * certificate's key, through EVP_DigestSign/EVP_DigestVerify. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <string.h>

#include "ike/pki/pki_priv.h"

/* By the key's type number, not its name: EVP_PKEY_is_a() goes through
 * the provider's name map, a cost on every signature. */
enum pki_key pki_key_type(EVP_PKEY *k)
{
	char g[64];
	int nid;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA: return PKI_KEY_RSA;
	case EVP_PKEY_RSA_PSS: return PKI_KEY_RSA_PSS;
	case EVP_PKEY_ED25519: return PKI_KEY_ED25519;
	case EVP_PKEY_ED448: return PKI_KEY_ED448;
	case EVP_PKEY_EC: break;
	default: return PKI_KEY_NONE;
	}
	if (!EVP_PKEY_get_group_name(k, g, sizeof(g), NULL))
		return PKI_KEY_NONE;
	nid = OBJ_txt2nid(g);
	return nid == NID_X9_62_prime256v1 ? PKI_KEY_P256
	       : nid == NID_secp384r1      ? PKI_KEY_P384
	       : nid == NID_secp521r1      ? PKI_KEY_P521
					   : PKI_KEY_NONE;
}

static bool is_ec(enum pki_key k)
{
	return k == PKI_KEY_P256 || k == PKI_KEY_P384 || k == PKI_KEY_P521;
}

/* The classic method of a key and what it stands for; 0 if none. */
static uint8_t classic(enum pki_key k, struct ike_pki_sigalg *a)
{
	static const struct {
		enum pki_key key;
		uint8_t method, sig, hash;
	} t[] = {
		{ PKI_KEY_RSA, IKE_PKI_AUTH_RSA_SIG, IKE_PKI_SIG_RSA_PKCS1, IKE_PKI_HASH_SHA1 },
		{ PKI_KEY_P256, IKE_PKI_AUTH_ECDSA_256, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA256 },
		{ PKI_KEY_P384, IKE_PKI_AUTH_ECDSA_384, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA384 },
		{ PKI_KEY_P521, IKE_PKI_AUTH_ECDSA_521, IKE_PKI_SIG_ECDSA, IKE_PKI_HASH_SHA512 },
	};

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].key == k) {
			a->sig = t[i].sig;
			a->hash = t[i].hash;
			return t[i].method;
		}
	return 0;
}

static uint8_t method_alg(uint8_t method, struct ike_pki_sigalg *a)
{
	static const enum pki_key of[] = {
		[IKE_PKI_AUTH_RSA_SIG] = PKI_KEY_RSA,
		[IKE_PKI_AUTH_ECDSA_256] = PKI_KEY_P256,
		[IKE_PKI_AUTH_ECDSA_384] = PKI_KEY_P384,
		[IKE_PKI_AUTH_ECDSA_521] = PKI_KEY_P521,
	};

	return method < sizeof(of) / sizeof(of[0]) && of[method] ? classic(of[method], a) : 0;
}

/* Whether the key can make or check this signature. */
static bool key_fits(enum pki_key k, const struct ike_pki_sigalg *a)
{
	switch (a->sig) {
	case IKE_PKI_SIG_RSA_PKCS1: return k == PKI_KEY_RSA;
	case IKE_PKI_SIG_RSA_PSS: return k == PKI_KEY_RSA || k == PKI_KEY_RSA_PSS;
	case IKE_PKI_SIG_ECDSA: return is_ec(k);
	case IKE_PKI_SIG_ED25519: return k == PKI_KEY_ED25519;
	case IKE_PKI_SIG_ED448: return k == PKI_KEY_ED448;
	default: return false;
	}
}

/* ---- choosing ---- */

static uint8_t pick_hash(enum pki_key k, uint32_t peer)
{
	/* the curve's own hash first (RFC 4754 pairs), then the others */
	static const uint8_t order[][3] = {
		[PKI_KEY_P256] = { IKE_PKI_HASH_SHA256, IKE_PKI_HASH_SHA384, IKE_PKI_HASH_SHA512 },
		[PKI_KEY_P384] = { IKE_PKI_HASH_SHA384, IKE_PKI_HASH_SHA256, IKE_PKI_HASH_SHA512 },
		[PKI_KEY_P521] = { IKE_PKI_HASH_SHA512, IKE_PKI_HASH_SHA384, IKE_PKI_HASH_SHA256 },
		[PKI_KEY_RSA] = { IKE_PKI_HASH_SHA256, IKE_PKI_HASH_SHA384, IKE_PKI_HASH_SHA512 },
		[PKI_KEY_RSA_PSS] = { IKE_PKI_HASH_SHA256, IKE_PKI_HASH_SHA384,
				      IKE_PKI_HASH_SHA512 },
	};

	for (int i = 0; i < 3; i++)
		if (order[k][i] && (peer & IKE_PKI_HASH_BIT(order[k][i])))
			return order[k][i];
	return 0;
}

static int scheme14(enum pki_key k, uint32_t peer, bool pss, struct ike_pki_sigalg *a)
{
	memset(a, 0, sizeof(*a));
	if (k == PKI_KEY_ED25519 || k == PKI_KEY_ED448) {
		if (peer && !(peer & IKE_PKI_HASH_BIT(IKE_PKI_HASH_IDENTITY)))
			return -ENOTSUP;
		a->sig = k == PKI_KEY_ED25519 ? IKE_PKI_SIG_ED25519 : IKE_PKI_SIG_ED448;
		a->hash = IKE_PKI_HASH_IDENTITY;
		return 0;
	}
	if (!(a->hash = pick_hash(k, peer)))
		return -ENOTSUP;
	a->sig = is_ec(k)                      ? IKE_PKI_SIG_ECDSA
		 : pss || k == PKI_KEY_RSA_PSS ? IKE_PKI_SIG_RSA_PSS
					       : IKE_PKI_SIG_RSA_PKCS1;
	return 0;
}

int ike_cred_scheme(const struct ike_cred *cr, uint32_t peer_hashes, bool pss,
		    struct ike_pki_scheme *s)
{
	enum pki_key k = pki_key_type(cr->key);
	bool eddsa = k == PKI_KEY_ED25519 || k == PKI_KEY_ED448;

	memset(s, 0, sizeof(*s));
	if ((peer_hashes || eddsa) && scheme14(k, peer_hashes, pss, &s->alg) == 0) {
		s->method = IKE_PKI_AUTH_DIGITAL_SIGNATURE;
		return 0;
	}
	s->method = classic(k, &s->alg);
	return s->method ? 0 : -ENOTSUP;
}

/* ---- EVP ---- */

static const char *md_name(uint8_t hash)
{
	switch (hash) {
	case IKE_PKI_HASH_SHA1: return "SHA1";
	case IKE_PKI_HASH_SHA256: return "SHA256";
	case IKE_PKI_HASH_SHA384: return "SHA384";
	case IKE_PKI_HASH_SHA512: return "SHA512";
	default: return NULL; /* EdDSA: the message itself */
	}
}

/* The digests fetched once: fetching by name on every signature took a
 * third of the time of an ECDSA P-256 sign (docs/performance.md). */
static EVP_MD *mds[IKE_PKI_HASH_SHA512 + 1];
static pthread_once_t mds_once = PTHREAD_ONCE_INIT;

static void mds_fetch(void)
{
	for (uint8_t h = IKE_PKI_HASH_SHA1; h <= IKE_PKI_HASH_SHA512; h++)
		mds[h] = EVP_MD_fetch(NULL, md_name(h), NULL);
}

/* NULL for EdDSA (and if a fetch failed: the sign or verify init fails) */
static const EVP_MD *md_of(uint8_t hash)
{
	pthread_once(&mds_once, mds_fetch);
	return hash >= IKE_PKI_HASH_SHA1 && hash <= IKE_PKI_HASH_SHA512 ? mds[hash] : NULL;
}

static int pss_setup(EVP_PKEY_CTX *p, const struct ike_pki_sigalg *a)
{
	int salt = a->salt_len ? a->salt_len : RSA_PSS_SALTLEN_DIGEST;
	const char *mgf = md_name(a->mgf1_hash ? a->mgf1_hash : a->hash);

	if (EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(p, salt) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(p, mgf, NULL) <= 0)
		return -EINVAL;
	return 0;
}

/* A digest-sign or digest-verify context for the algorithm. */
static EVP_MD_CTX *evp_ctx(EVP_PKEY *k, const struct ike_pki_sigalg *a, bool sign)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *p = NULL;
	const EVP_MD *md = md_of(a->hash);
	int ok;

	if (!ctx || (!md && a->hash != IKE_PKI_HASH_IDENTITY)) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	ok = sign ? EVP_DigestSignInit(ctx, &p, md, NULL, k)
		  : EVP_DigestVerifyInit(ctx, &p, md, NULL, k);
	if (ok == 1 && a->sig == IKE_PKI_SIG_RSA_PSS && pss_setup(p, a) < 0)
		ok = 0;
	if (ok != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int evp_sign(EVP_PKEY *k, const struct ike_pki_sigalg *a, const uint8_t *m, size_t mlen,
		    uint8_t *sig, size_t *slen)
{
	EVP_MD_CTX *ctx = evp_ctx(k, a, true);
	size_t need = 0;
	int r = -EIO;

	if (!ctx)
		return -EINVAL;
	if (EVP_DigestSign(ctx, NULL, &need, m, mlen) == 1) {
		r = need > *slen                                   ? -ENOSPC
		    : EVP_DigestSign(ctx, sig, slen, m, mlen) == 1 ? 0
								   : -EIO;
	}
	EVP_MD_CTX_free(ctx);
	return r;
}

static int evp_verify(EVP_PKEY *k, const struct ike_pki_sigalg *a, const uint8_t *m, size_t mlen,
		      const uint8_t *sig, size_t slen)
{
	EVP_MD_CTX *ctx = evp_ctx(k, a, false);
	int r;

	if (!ctx)
		return -ENOTSUP;
	r = EVP_DigestVerify(ctx, sig, slen, m, mlen) == 1 ? 0 : -EBADMSG;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

/* ---- RFC 4754: ECDSA signatures as r || s, each the field's size ---- */

static size_t ec_half(enum pki_key k)
{
	return k == PKI_KEY_P256 ? 32 : k == PKI_KEY_P384 ? 48 : 66;
}

static int der_to_rs(const uint8_t *der, size_t dlen, size_t half, uint8_t *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	int r = -EIO;

	if (s && BN_bn2binpad(ECDSA_SIG_get0_r(s), out, (int)half) == (int)half &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(s), out + half, (int)half) == (int)half)
		r = 0;
	ECDSA_SIG_free(s);
	return r;
}

/* DER for EVP from r || s; returns its length or -EINVAL. */
static int rs_to_der(const uint8_t *rs, size_t len, size_t half, uint8_t *der, size_t cap)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)half, NULL), *sv = BN_bin2bn(rs + half, (int)half, NULL);
	unsigned char *p = der;
	int n = -EINVAL;

	if (len == 2 * half && s && r && sv && ECDSA_SIG_set0(s, r, sv)) {
		r = sv = NULL; /* owned by s */
		n = i2d_ECDSA_SIG(s, NULL);
		n = n > 0 && (size_t)n <= cap ? i2d_ECDSA_SIG(s, &p) : -EINVAL;
	}
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	return n;
}

/* ---- signing ---- */

static int sign_classic(EVP_PKEY *k, const struct ike_pki_sigalg *a, const uint8_t *m, size_t mlen,
			uint8_t *out, size_t *olen)
{
	enum pki_key kt = pki_key_type(k);
	uint8_t der[160];
	size_t dlen = sizeof(der);
	int r;

	if (a->sig != IKE_PKI_SIG_ECDSA)
		return evp_sign(k, a, m, mlen, out, olen);
	if (2 * ec_half(kt) > *olen)
		return -ENOSPC;
	if ((r = evp_sign(k, a, m, mlen, der, &dlen)) < 0 ||
	    (r = der_to_rs(der, dlen, ec_half(kt), out)) < 0)
		return r;
	*olen = 2 * ec_half(kt);
	return 0;
}

int ike_cred_sign(const struct ike_cred *cr, const struct ike_pki_scheme *s, const uint8_t *octets,
		  size_t olen, uint8_t *auth, size_t *alen)
{
	enum pki_key k = pki_key_type(cr->key);
	struct ike_pki_sigalg a;
	size_t slen;
	int n, r;

	if (s->method != IKE_PKI_AUTH_DIGITAL_SIGNATURE) {
		if (method_alg(s->method, &a) == 0 || !key_fits(k, &a) ||
		    (a.sig == IKE_PKI_SIG_ECDSA && classic(k, &a) != s->method))
			return -ENOTSUP;
		return sign_classic(cr->key, &a, octets, olen, auth, alen);
	}
	if (!key_fits(k, &s->alg) || *alen < 1)
		return -ENOTSUP;
	if ((n = ike_pki_algid_encode(&s->alg, auth + 1, *alen - 1)) < 0)
		return n == IKE_PKI_E_SPACE ? -ENOSPC : -ENOTSUP;
	auth[0] = (uint8_t)n;
	slen = *alen - 1 - (size_t)n;
	if ((r = evp_sign(cr->key, &s->alg, octets, olen, auth + 1 + n, &slen)) < 0)
		return r;
	*alen = 1 + (size_t)n + slen;
	return 0;
}

/* ---- verifying ---- */

static int verify_classic(EVP_PKEY *k, uint8_t method, const uint8_t *auth, size_t alen,
			  const uint8_t *m, size_t mlen, struct ike_pki_sigalg *a)
{
	enum pki_key kt = pki_key_type(k);
	uint8_t der[160];
	int n;

	if (method_alg(method, a) == 0 || !key_fits(kt, a))
		return -ENOTSUP;
	if (a->sig != IKE_PKI_SIG_ECDSA)
		return evp_verify(k, a, m, mlen, auth, alen);
	struct ike_pki_sigalg mine;
	if (classic(kt, &mine) != method) /* RFC 4754: the method names the curve */
		return -ENOTSUP;
	if ((n = rs_to_der(auth, alen, ec_half(kt), der, sizeof(der))) < 0)
		return -EINVAL;
	return evp_verify(k, a, m, mlen, der, (size_t)n);
}

static int verify_14(EVP_PKEY *k, const uint8_t *auth, size_t alen, const uint8_t *m, size_t mlen,
		     struct ike_pki_sigalg *a, char *reason, size_t rlen)
{
	const uint8_t *sig;
	size_t slen;
	int e = ike_pki_auth14_parse(auth, alen, a, &sig, &slen);

	if (e < 0) {
		pki_err(reason, rlen, "AUTH data of method 14: %s", ike_pki_perr_str(e));
		return e == IKE_PKI_E_ALG || e == IKE_PKI_E_PARAMS ? -ENOTSUP : -EINVAL;
	}
	if (!key_fits(pki_key_type(k), a))
		return -ENOTSUP;
	return evp_verify(k, a, m, mlen, sig, slen);
}

static void why_verify(int r, X509 *cert, uint8_t method, const struct ike_pki_sigalg *a,
		       EVP_PKEY *k, char *reason, size_t rlen)
{
	char dn[256], alg[96];

	ike_pki_dn_str(X509_get_subject_name(cert), dn, sizeof(dn));
	ike_pki_sigalg_str(a, alg, sizeof(alg));
	if (r == -EBADMSG)
		pki_err(reason, rlen,
			"bad signature: AUTH method %u (%s) does not verify with "
			"the key of \"%s\"",
			method, alg, dn);
	else if (r == -ENOTSUP)
		pki_err(reason, rlen,
			"unsupported signature: AUTH method %u (%s) with the %s key "
			"of \"%s\"",
			method, a->sig ? alg : "unknown", EVP_PKEY_get0_type_name(k), dn);
	else
		pki_err(reason, rlen, "malformed AUTH data of method %u from \"%s\"", method, dn);
}

int ike_pki_verify_auth(X509 *cert, uint8_t method, const uint8_t *auth, size_t alen,
			const uint8_t *octets, size_t olen, char *reason, size_t rlen)
{
	EVP_PKEY *k = cert ? X509_get0_pubkey(cert) : NULL;
	struct ike_pki_sigalg a = { 0 };
	int r;

	pki_err(reason, rlen, "ok");
	if (!k) {
		pki_err(reason, rlen, "no public key to verify AUTH with");
		return -EINVAL;
	}
	if (method == IKE_PKI_AUTH_DIGITAL_SIGNATURE) {
		r = verify_14(k, auth, alen, octets, olen, &a, reason, rlen);
		if (r == -EINVAL || (r == -ENOTSUP && !a.sig))
			return r; /* the parser said what was wrong */
	} else {
		r = verify_classic(k, method, auth, alen, octets, olen, &a);
	}
	if (r < 0)
		why_verify(r, cert, method, &a, k, reason, rlen);
	return r;
}
