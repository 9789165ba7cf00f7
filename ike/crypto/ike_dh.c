/* SPDX-License-Identifier: BSD-3-Clause */
/* Diffie-Hellman for IKE over OpenSSL 3 EVP_PKEY: MODP groups 14/15/16
 * (RFC 3526), ECP groups 19/20/21 (RFC 5903) and X25519/X448 (RFC 8031).
 * Peer values are checked as RFC 6989 asks before any shared secret is
 * returned. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "ike/crypto/ike_crypto.h"
#include "ike/v2/ikev2_wire.h"

enum dh_kind { DH_MODP, DH_ECP, DH_ECX };

static const struct dh_group {
	uint16_t id;
	uint8_t kind;
	const char *type; /* OpenSSL key type */
	const char *name; /* OpenSSL group name, or NULL for ECX */
	uint16_t publen;  /* wire length of the public value */
	uint16_t seclen;  /* shared secret length */
} dh_groups[] = {
	{ IKEV2_DH_MODP1536, DH_MODP, "DH", "modp_1536", 192, 192 }, /* weak: only when allowed */
	{ IKEV2_DH_MODP2048, DH_MODP, "DH", "modp_2048", 256, 256 },
	{ IKEV2_DH_MODP3072, DH_MODP, "DH", "modp_3072", 384, 384 },
	{ IKEV2_DH_MODP4096, DH_MODP, "DH", "modp_4096", 512, 512 },
	{ IKEV2_DH_ECP256, DH_ECP, "EC", "prime256v1", 64, 32 },
	{ IKEV2_DH_ECP384, DH_ECP, "EC", "secp384r1", 96, 48 },
	{ IKEV2_DH_ECP521, DH_ECP, "EC", "secp521r1", 132, 66 },
	{ IKEV2_DH_X25519, DH_ECX, "X25519", NULL, 32, 32 },
	{ IKEV2_DH_X448, DH_ECX, "X448", NULL, 56, 56 },
};
#define N_GROUPS (sizeof(dh_groups) / sizeof(dh_groups[0]))

/* Domain parameters per MODP/ECP group, built once from the group name;
 * for MODP also the prime, big-endian, for the RFC 6989 range check. */
static struct dh_cache {
	EVP_PKEY *params;
	uint8_t *prime;
	EVP_PKEY_CTX *gen; /* keygen context, initialised once: fetching the
			       * algorithm by name per key is dear (docs/performance.md) */
} dh_cache[N_GROUPS];

struct ike_dh {
	const struct dh_group *g;
	EVP_PKEY *key;
	uint8_t pub[]; /* g->publen bytes */
};

static const struct dh_group *group_find(uint16_t group, struct dh_cache **cache)
{
	for (size_t i = 0; i < N_GROUPS; i++) {
		if (dh_groups[i].id == group) {
			if (cache)
				*cache = &dh_cache[i];
			return &dh_groups[i];
		}
	}
	return NULL;
}

size_t ike_dh_publen(uint16_t group)
{
	const struct dh_group *g = group_find(group, NULL);

	return g ? g->publen : 0;
}

int ike_dh_is_weak(uint16_t group)
{
	switch (group) {
	case 1:
	case 2:
	case 5: /* MODP 768/1024/1536 */
	case 22:
	case 23:
	case 24: /* MODP with small subgroups (RFC 5114) */ return 1;
	default: return 0;
	}
}

uint16_t ike_dh_group(const struct ike_dh *dh)
{
	return dh ? dh->g->id : 0;
}

/* Builds a key of the group's type from params (utf8 group name, public key,
 * ...) with the given selection; NULL on failure. */
static EVP_PKEY *pkey_fromdata(const struct dh_group *g, OSSL_PARAM *params, int selection)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, g->type, NULL);
	EVP_PKEY *pk = NULL;

	if (ctx == NULL)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &pk, selection, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static int modp_cache_prime(const struct dh_group *g, struct dh_cache *c)
{
	BIGNUM *p = NULL;
	int ok;

	if (EVP_PKEY_get_bn_param(c->params, OSSL_PKEY_PARAM_FFC_P, &p) != 1)
		return 0;
	ok = BN_num_bytes(p) == g->publen && (c->prime = malloc(g->publen)) != NULL &&
	     BN_bn2binpad(p, c->prime, g->publen) == g->publen;
	BN_free(p);
	return ok;
}

/* Domain parameters for MODP/ECP groups, created on first use. */
static EVP_PKEY *group_params(const struct dh_group *g, struct dh_cache *c)
{
	OSSL_PARAM params[2];

	if (c->params != NULL)
		return c->params;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name,
						     0);
	params[1] = OSSL_PARAM_construct_end();
	if ((c->params = pkey_fromdata(g, params, EVP_PKEY_KEY_PARAMETERS)) == NULL)
		return NULL;
	if (g->kind == DH_MODP && !modp_cache_prime(g, c)) {
		EVP_PKEY_free(c->params);
		free(c->prime);
		c->params = NULL;
		c->prime = NULL;
	}
	return c->params;
}

static EVP_PKEY *keygen(const struct dh_group *g, struct dh_cache *c)
{
	EVP_PKEY *key = NULL;

	if (c->gen == NULL) {
		EVP_PKEY_CTX *ctx;

		if (g->kind == DH_ECX) {
			ctx = EVP_PKEY_CTX_new_from_name(NULL, g->type, NULL);
		} else {
			EVP_PKEY *params = group_params(g, c);

			ctx = params ? EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL) : NULL;
		}
		if (ctx == NULL)
			return NULL;
		if (EVP_PKEY_keygen_init(ctx) != 1) {
			EVP_PKEY_CTX_free(ctx);
			return NULL;
		}
		c->gen = ctx;
	}
	if (EVP_PKEY_generate(c->gen, &key) != 1)
		key = NULL;
	return key;
}

/* Our public value in wire form into dh->pub. */
static int export_pub(struct ike_dh *dh)
{
	const struct dh_group *g = dh->g;
	uint8_t pt[1 + 2 * 66];
	BIGNUM *y = NULL;
	size_t len = 0;
	int ok;

	switch (g->kind) {
	case DH_MODP:
		if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &y) != 1)
			return 0;
		ok = BN_bn2binpad(y, dh->pub, g->publen) == g->publen;
		BN_free(y);
		return ok;
	case DH_ECP:
		/* Uncompressed point 0x04 || x || y; RFC 5903 sends x || y. */
		if (EVP_PKEY_get_octet_string_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, pt,
						    sizeof(pt), &len) != 1 ||
		    len != 1u + g->publen || pt[0] != 0x04)
			return 0;
		memcpy(dh->pub, pt + 1, g->publen);
		return 1;
	default:
		len = g->publen;
		return EVP_PKEY_get_raw_public_key(dh->key, dh->pub, &len) == 1 && len == g->publen;
	}
}

struct ike_dh *ike_dh_new(uint16_t group)
{
	struct dh_cache *c = NULL;
	const struct dh_group *g = group_find(group, &c);
	struct ike_dh *dh;

	if (g == NULL || (dh = calloc(1, sizeof(*dh) + g->publen)) == NULL)
		return NULL;
	dh->g = g;
	if ((dh->key = keygen(g, c)) == NULL || !export_pub(dh)) {
		ike_dh_free(dh);
		return NULL;
	}
	return dh;
}

int ike_dh_pub(const struct ike_dh *dh, uint8_t *out, size_t outlen)
{
	if (dh == NULL || out == NULL || outlen < dh->g->publen)
		return -EINVAL;
	memcpy(out, dh->pub, dh->g->publen);
	return 0;
}

/* RFC 6989 2.1: for safe-prime MODP groups 1 < y < p-1. Big-endian values of
 * equal length compare like memcmp; p is odd, so p-1 differs in the last byte. */
static int modp_peer_ok(const struct dh_group *g, const uint8_t *prime, const uint8_t *y)
{
	size_t n = g->publen;
	uint8_t hi = 0;
	int cmp;

	for (size_t i = 0; i + 1 < n; i++)
		hi |= y[i];
	if (hi == 0 && y[n - 1] <= 1)
		return 0;
	cmp = memcmp(y, prime, n - 1);
	return cmp < 0 || (cmp == 0 && y[n - 1] < prime[n - 1] - 1);
}

static EVP_PKEY *peer_modp(const struct dh_group *g, const uint8_t *peer)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	BIGNUM *y = BN_bin2bn(peer, (int)g->publen, NULL);
	EVP_PKEY *pk = NULL;

	if (bld && y &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
		pk = pkey_fromdata(g, params, EVP_PKEY_PUBLIC_KEY);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(y);
	return pk;
}

/* OpenSSL decodes the point and refuses one that is not on the curve or has a
 * coordinate not below the field prime (RFC 6989 2.3). */
static EVP_PKEY *peer_ecp(const struct dh_group *g, const uint8_t *peer)
{
	uint8_t pt[1 + 2 * 66];
	OSSL_PARAM params[3];

	pt[0] = 0x04;
	memcpy(pt + 1, peer, g->publen);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name,
						     0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, 1u + g->publen);
	params[2] = OSSL_PARAM_construct_end();
	return pkey_fromdata(g, params, EVP_PKEY_PUBLIC_KEY);
}

static EVP_PKEY *peer_key(const struct dh_group *g, const struct dh_cache *c, const uint8_t *peer)
{
	switch (g->kind) {
	case DH_MODP: return modp_peer_ok(g, c->prime, peer) ? peer_modp(g, peer) : NULL;
	case DH_ECP: return peer_ecp(g, peer);
	default: return EVP_PKEY_new_raw_public_key_ex(NULL, g->type, NULL, peer, g->publen);
	}
}

/* Derives into sec (at most IKE_MAX_DH_SHARED bytes); returns the length or
 * 0 on failure. OpenSSL refuses a peer it finds invalid here too: for MODP
 * it checks y^q = 1, for X25519/X448 an all-zero result. */
static size_t derive(struct ike_dh *dh, EVP_PKEY *peer, uint8_t *sec)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	size_t len = 0;
	int ok;

	if (ctx == NULL)
		return 0;
	ok = EVP_PKEY_derive_init(ctx) == 1;
	if (ok && dh->g->kind == DH_MODP) {
		unsigned int pad = 1;
		OSSL_PARAM params[2] = {
			OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad),
			OSSL_PARAM_construct_end(),
		};

		ok = EVP_PKEY_CTX_set_params(ctx, params) == 1;
	}
	/* The peer was validated when it was built; skip OpenSSL's second,
	 * expensive public-key check. */
	ok = ok && EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) == 1 &&
	     EVP_PKEY_derive(ctx, NULL, &len) == 1 && len <= IKE_MAX_DH_SHARED &&
	     EVP_PKEY_derive(ctx, sec, &len) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? len : 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t peerlen, uint8_t *out,
		  size_t *outlen)
{
	uint8_t sec[IKE_MAX_DH_SHARED];
	const struct dh_group *g;
	struct dh_cache *c = NULL;
	EVP_PKEY *pk;
	size_t len;
	int rc = -EBADMSG;

	if (dh == NULL || out == NULL || outlen == NULL || (peerlen > 0 && peer == NULL))
		return -EINVAL;
	g = group_find(dh->g->id, &c);
	if (*outlen < g->seclen)
		return -EINVAL;
	if (peerlen != g->publen)
		return -EBADMSG;
	if ((pk = peer_key(g, c, peer)) == NULL)
		return -EBADMSG;
	len = derive(dh, pk, sec);
	EVP_PKEY_free(pk);
	if (len == 0 || len > g->seclen || all_zero(sec, len))
		goto done;
	/* Left-pad to the full length (MODP: prime length, RFC 7296 2.14). */
	memset(out, 0, g->seclen - len);
	memcpy(out + (g->seclen - len), sec, len);
	*outlen = g->seclen;
	rc = 0;
done:
	OPENSSL_cleanse(sec, sizeof(sec));
	return rc;
}

void ike_dh_free(struct ike_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->key); /* OpenSSL clears private key material */
	OPENSSL_cleanse(dh, sizeof(*dh) + dh->g->publen);
	free(dh);
}
