/* Symmetric crypto for IKE over OpenSSL 3 EVP: randomness, HMAC PRFs and
 * prf+ (RFC 7296 2.13), truncated HMAC integrity (RFC 4868, RFC 2404),
 * AES-GCM-16 (RFC 5282), ChaCha20-Poly1305 (RFC 7634) and AES-CBC (RFC 3602).
 *
 * Algorithm objects are fetched once and kept in static variables: the IKE
 * engine is single-threaded, and a fetch costs a locked method-store lookup. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ike/ike_crypto.h"
#include "ike/ikev2_wire.h"

/* ---- randomness and memory ---- */

int ike_random(uint8_t *buf, size_t len)
{
	while (len > 0) {
		int n = len > (1u << 30) ? (1 << 30) : (int)len;

		if (RAND_bytes(buf, n) != 1)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int ike_memeq_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void ike_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

/* ---- HMAC ---- */

enum hmac_hash { H_SHA1, H_SHA256, H_SHA384, H_SHA512, H_COUNT };

static const struct hmac_hash_info {
	const char *name;
	size_t len;
} hash_info[H_COUNT] = {
	[H_SHA1]   = { "SHA1",   20 },
	[H_SHA256] = { "SHA256", 32 },
	[H_SHA384] = { "SHA384", 48 },
	[H_SHA512] = { "SHA512", 64 },
};

static EVP_MAC *hmac_alg;
/* Per hash, an HMAC context with the digest set and an empty key; every MAC
 * starts as a dup of it, which avoids fetching the digest by name each time. */
static EVP_MAC_CTX *hmac_tmpl[H_COUNT];

static EVP_MAC_CTX *hmac_template(enum hmac_hash h)
{
	static const uint8_t nokey[1];
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;

	if (hmac_tmpl[h] != NULL)
		return hmac_tmpl[h];
	if (hmac_alg == NULL && (hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	if ((ctx = EVP_MAC_CTX_new(hmac_alg)) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)hash_info[h].name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, nokey, 0, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	hmac_tmpl[h] = ctx;
	return ctx;
}

/* A context keyed with key, ready for updates; NULL on failure. */
static EVP_MAC_CTX *hmac_start(enum hmac_hash h, const uint8_t *key, size_t klen)
{
	static const uint8_t nokey[1];
	EVP_MAC_CTX *tmpl = hmac_template(h), *ctx;

	if (tmpl == NULL || (ctx = EVP_MAC_CTX_dup(tmpl)) == NULL)
		return NULL;
	/* A NULL key would mean "keep the previous key" to EVP_MAC_init. */
	if (EVP_MAC_init(ctx, klen ? key : nokey, klen, NULL) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int hmac_update(EVP_MAC_CTX *ctx, const uint8_t *data, size_t len)
{
	return len == 0 || EVP_MAC_update(ctx, data, len) == 1;
}

/* Finishes into out (hash length bytes) and frees ctx. */
static int hmac_finish(EVP_MAC_CTX *ctx, enum hmac_hash h, uint8_t *out)
{
	size_t olen = 0;
	int ok = EVP_MAC_final(ctx, out, &olen, hash_info[h].len) == 1 &&
		 olen == hash_info[h].len;

	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/* ---- PRF ---- */

static int prf_hash(uint16_t prf)
{
	switch (prf) {
	case IKEV2_PRF_HMAC_SHA1:     return H_SHA1;
	case IKEV2_PRF_HMAC_SHA2_256: return H_SHA256;
	case IKEV2_PRF_HMAC_SHA2_384: return H_SHA384;
	case IKEV2_PRF_HMAC_SHA2_512: return H_SHA512;
	default:                      return -1;
	}
}

size_t ike_prf_len(uint16_t prf)
{
	int h = prf_hash(prf);

	return h < 0 ? 0 : hash_info[h].len;
}

int ike_prf_v(uint16_t prf, const uint8_t *key, size_t klen,
	      const uint8_t *const data[], const size_t dlen[], unsigned n, uint8_t *out)
{
	int h = prf_hash(prf);
	EVP_MAC_CTX *ctx;

	if (h < 0 || (klen > 0 && key == NULL))
		return -EINVAL;
	if ((ctx = hmac_start(h, key, klen)) == NULL)
		return -EIO;
	for (unsigned i = 0; i < n && data[i] != NULL; i++) {
		if (!hmac_update(ctx, data[i], dlen[i])) {
			EVP_MAC_CTX_free(ctx);
			return -EIO;
		}
	}
	return hmac_finish(ctx, h, out);
}

int ike_prf(uint16_t prf, const uint8_t *key, size_t klen,
	    const uint8_t *data, size_t dlen, uint8_t *out)
{
	const uint8_t *const d[1] = { data };
	const size_t l[1] = { dlen };

	return ike_prf_v(prf, key, klen, d, l, data ? 1 : 0, out);
}

/* T(i) = prf(K, T(i-1) | S | i) with i one octet from 0x01 (RFC 7296 2.13). */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen,
		 const uint8_t *seed, size_t slen, uint8_t *out, size_t outlen)
{
	int h = prf_hash(prf);
	uint8_t t[IKE_MAX_PRF_LEN];
	EVP_MAC_CTX *keyed, *ctx;
	size_t hlen, tlen = 0, done = 0;
	int rc = 0;

	if (h < 0 || (klen > 0 && key == NULL) || (slen > 0 && seed == NULL))
		return -EINVAL;
	hlen = hash_info[h].len;
	if (outlen > 255 * hlen)
		return -EINVAL;
	if (outlen == 0)
		return 0;
	if ((keyed = hmac_start(h, key, klen)) == NULL)
		return -EIO;
	for (unsigned i = 1; done < outlen; i++) {
		uint8_t ctr = (uint8_t)i;
		size_t take = outlen - done < hlen ? outlen - done : hlen;

		if ((ctx = EVP_MAC_CTX_dup(keyed)) == NULL) {
			rc = -EIO;
			break;
		}
		if (!hmac_update(ctx, t, tlen) || !hmac_update(ctx, seed, slen) ||
		    !hmac_update(ctx, &ctr, 1)) {
			EVP_MAC_CTX_free(ctx);
			rc = -EIO;
			break;
		}
		if ((rc = hmac_finish(ctx, h, t)) != 0)
			break;
		tlen = hlen;
		memcpy(out + done, t, take);
		done += take;
	}
	EVP_MAC_CTX_free(keyed);
	OPENSSL_cleanse(t, sizeof(t));
	if (rc != 0)
		OPENSSL_cleanse(out, outlen);
	return rc;
}

/* ---- integrity ---- */

static const struct integ_info {
	uint16_t id;
	uint8_t hash;
	uint8_t keylen;
	uint8_t icvlen;
} integ_table[] = {
	{ IKEV2_INTEG_HMAC_SHA1_96,      H_SHA1,   20, 12 },
	{ IKEV2_INTEG_HMAC_SHA2_256_128, H_SHA256, 32, 16 },
	{ IKEV2_INTEG_HMAC_SHA2_384_192, H_SHA384, 48, 24 },
	{ IKEV2_INTEG_HMAC_SHA2_512_256, H_SHA512, 64, 32 },
};

static const struct integ_info *integ_find(uint16_t integ)
{
	for (size_t i = 0; i < sizeof(integ_table) / sizeof(integ_table[0]); i++)
		if (integ_table[i].id == integ)
			return &integ_table[i];
	return NULL;
}

size_t ike_integ_keylen(uint16_t integ)
{
	const struct integ_info *ii = integ_find(integ);

	return ii ? ii->keylen : 0;
}

size_t ike_integ_icvlen(uint16_t integ)
{
	const struct integ_info *ii = integ_find(integ);

	return ii ? ii->icvlen : 0;
}

int ike_integ(uint16_t integ, const uint8_t *key, size_t klen,
	      const uint8_t *data, size_t dlen, uint8_t *icv)
{
	const struct integ_info *ii = integ_find(integ);
	uint8_t full[IKE_MAX_PRF_LEN];
	EVP_MAC_CTX *ctx;
	int rc;

	if (ii == NULL || klen != ii->keylen || key == NULL || (dlen > 0 && data == NULL))
		return -EINVAL;
	if ((ctx = hmac_start(ii->hash, key, klen)) == NULL)
		return -EIO;
	if (!hmac_update(ctx, data, dlen)) {
		EVP_MAC_CTX_free(ctx);
		return -EIO;
	}
	rc = hmac_finish(ctx, ii->hash, full);
	if (rc == 0)
		memcpy(icv, full, ii->icvlen);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

/* ---- encryption ---- */

static const struct cipher_def {
	uint16_t id;
	uint16_t keybits;
	const char *name;
} cipher_table[] = {
	{ IKEV2_ENCR_AES_CBC,           128, "AES-128-CBC" },
	{ IKEV2_ENCR_AES_CBC,           192, "AES-192-CBC" },
	{ IKEV2_ENCR_AES_CBC,           256, "AES-256-CBC" },
	{ IKEV2_ENCR_AES_GCM_16,        128, "AES-128-GCM" },
	{ IKEV2_ENCR_AES_GCM_16,        192, "AES-192-GCM" },
	{ IKEV2_ENCR_AES_GCM_16,        256, "AES-256-GCM" },
	{ IKEV2_ENCR_CHACHA20_POLY1305, 256, "ChaCha20-Poly1305" },
};
#define N_CIPHERS (sizeof(cipher_table) / sizeof(cipher_table[0]))
static EVP_CIPHER *cipher_cache[N_CIPHERS];

int ike_encr_info(uint16_t id, uint16_t keybits, struct ike_encr_info *info)
{
	struct ike_encr_info ei = { .id = id, .keybits = keybits };

	switch (id) {
	case IKEV2_ENCR_AES_CBC:
		if (keybits != 128 && keybits != 192 && keybits != 256)
			return -EINVAL;
		ei.keylen = (uint8_t)(keybits / 8);
		ei.ivlen = 16;
		ei.blocklen = 16;
		break;
	case IKEV2_ENCR_AES_GCM_16:
		if (keybits != 128 && keybits != 192 && keybits != 256)
			return -EINVAL;
		ei.keylen = (uint8_t)(keybits / 8 + 4);
		ei.saltlen = 4;
		ei.ivlen = 8;
		ei.blocklen = 1;
		ei.icvlen = 16;
		ei.aead = 1;
		break;
	case IKEV2_ENCR_CHACHA20_POLY1305:
		if (keybits != 0 && keybits != 256)
			return -EINVAL;
		ei.keybits = 256;
		ei.keylen = 36;
		ei.saltlen = 4;
		ei.ivlen = 8;
		ei.blocklen = 1;
		ei.icvlen = 16;
		ei.aead = 1;
		break;
	default:   /* ENCR_NULL and the rest are not for IKE SAs */
		return -EINVAL;
	}
	*info = ei;
	return 0;
}

/* The cipher for a descriptor from ike_encr_info, after checking that the
 * descriptor is self-consistent; NULL when it is not or the fetch fails. */
static const EVP_CIPHER *cipher_get(const struct ike_encr_info *ei, int aead)
{
	struct ike_encr_info ref;

	if (ei == NULL || ike_encr_info(ei->id, ei->keybits, &ref) != 0 ||
	    ref.keybits != ei->keybits || ref.keylen != ei->keylen ||
	    ref.saltlen != ei->saltlen || ref.ivlen != ei->ivlen ||
	    ref.icvlen != ei->icvlen || ref.aead != ei->aead || ref.aead != aead)
		return NULL;
	for (size_t i = 0; i < N_CIPHERS; i++) {
		if (cipher_table[i].id != ei->id || cipher_table[i].keybits != ei->keybits)
			continue;
		if (cipher_cache[i] == NULL)
			cipher_cache[i] = EVP_CIPHER_fetch(NULL, cipher_table[i].name, NULL);
		return cipher_cache[i];
	}
	return NULL;
}

/* Sets up ctx for an AEAD operation: key || salt from key, nonce salt || iv. */
static int aead_init(EVP_CIPHER_CTX *ctx, const struct ike_encr_info *ei,
		     const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv, int enc)
{
	size_t klen = (size_t)ei->keylen - ei->saltlen;
	uint8_t nonce[12];
	int ok;

	memcpy(nonce, key + klen, ei->saltlen);
	memcpy(nonce + ei->saltlen, iv, ei->ivlen);
	ok = EVP_CipherInit_ex2(ctx, c, key, nonce, enc, NULL) == 1;
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return ok;
}

static int aead_args_ok(const uint8_t *key, const uint8_t *iv, const uint8_t *aad,
			size_t aadlen, const uint8_t *in, size_t len, const uint8_t *out,
			const uint8_t *tag)
{
	return key && iv && tag && (aadlen == 0 || aad) && (len == 0 || (in && out)) &&
	       aadlen <= INT_MAX && len <= INT_MAX;
}

int ike_aead_encrypt(const struct ike_encr_info *ei, const uint8_t *key,
		     const uint8_t *iv, const uint8_t *aad, size_t aadlen,
		     const uint8_t *pt, size_t len, uint8_t *ct, uint8_t *tag)
{
	const EVP_CIPHER *c = cipher_get(ei, 1);
	EVP_CIPHER_CTX *ctx;
	int n = 0, fin = 0, rc = -EIO;

	if (c == NULL || !aead_args_ok(key, iv, aad, aadlen, pt, len, ct, tag))
		return -EINVAL;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	if (!aead_init(ctx, ei, c, key, iv, 1))
		goto done;
	if (aadlen > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto done;
	n = 0;
	if (len > 0 && EVP_EncryptUpdate(ctx, ct, &n, pt, (int)len) != 1)
		goto done;
	if (EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 || (size_t)n + (size_t)fin != len)
		goto done;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, ei->icvlen, tag) != 1)
		goto done;
	rc = 0;
done:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int ike_aead_decrypt(const struct ike_encr_info *ei, const uint8_t *key,
		     const uint8_t *iv, const uint8_t *aad, size_t aadlen,
		     const uint8_t *ct, size_t len, const uint8_t *tag, uint8_t *pt)
{
	const EVP_CIPHER *c = cipher_get(ei, 1);
	uint8_t tagbuf[16];
	EVP_CIPHER_CTX *ctx;
	int n = 0, fin = 0, rc = -EIO;

	if (c == NULL || !aead_args_ok(key, iv, aad, aadlen, ct, len, pt, tag))
		return -EINVAL;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	memcpy(tagbuf, tag, sizeof(tagbuf));   /* SET_TAG takes a non-const pointer */
	if (!aead_init(ctx, ei, c, key, iv, 0) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, ei->icvlen, tagbuf) != 1)
		goto done;
	if (aadlen > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto done;
	n = 0;
	if (len > 0 && EVP_DecryptUpdate(ctx, pt, &n, ct, (int)len) != 1)
		goto done;
	if (EVP_DecryptFinal_ex(ctx, pt + n, &fin) != 1) {
		rc = -EBADMSG;
		goto done;
	}
	rc = (size_t)n + (size_t)fin == len ? 0 : -EIO;
done:
	/* Never hand out plaintext that did not authenticate. */
	if (rc != 0 && len > 0 && pt != NULL)
		OPENSSL_cleanse(pt, len);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

static int cbc_crypt(const struct ike_encr_info *ei, const uint8_t *key,
		     const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out, int enc)
{
	const EVP_CIPHER *c = cipher_get(ei, 0);
	EVP_CIPHER_CTX *ctx;
	int n = 0, fin = 0, rc = -EIO;

	if (c == NULL || key == NULL || iv == NULL || len % 16 != 0 || len > INT_MAX ||
	    (len > 0 && (in == NULL || out == NULL)))
		return -EINVAL;
	if (len == 0)
		return 0;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	if (EVP_CipherInit_ex2(ctx, c, key, iv, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + n, &fin) != 1)
		goto done;
	rc = (size_t)n + (size_t)fin == len ? 0 : -EIO;
done:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int ike_cbc_encrypt(const struct ike_encr_info *ei, const uint8_t *key,
		    const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out)
{
	return cbc_crypt(ei, key, iv, in, len, out, 1);
}

int ike_cbc_decrypt(const struct ike_encr_info *ei, const uint8_t *key,
		    const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out)
{
	return cbc_crypt(ei, key, iv, in, len, out, 0);
}
