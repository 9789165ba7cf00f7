/* SPDX-License-Identifier: BSD-3-Clause */
/* Symmetric crypto for IKE over OpenSSL 3 EVP: randomness, HMAC PRFs and
 * prf+ (RFC 7296 2.13), truncated HMAC integrity (RFC 4868, RFC 2404),
 * AES-GCM-16 (RFC 5282), ChaCha20-Poly1305 (RFC 7634) and AES-CBC (RFC 3602).
 *
 * Algorithm objects are fetched once and kept in static variables: the IKE
 * engine is single-threaded, and a fetch costs a locked method-store lookup. */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>

#include "ike/crypto/ike_crypto.h"
#include "ike/v2/ikev2_wire.h"

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

/* Public values (nonces, SPIs, IVs, jitter) come from a per-thread pool
 * refilled from the same DRBG in 4 KiB blocks: under OpenSSL 3 each
 * RAND_bytes call is dear (locks and a getpid(); docs/performance.md), and
 * a responder needs five such values per handshake. Secrets (the cookie
 * secret; DH private keys, which OpenSSL draws itself) keep ike_random().
 * A forked child drops its copy so parent and child never hand out the
 * same bytes. */
#define RAND_POOL_SIZE 4096u

static _Thread_local struct {
	uint8_t buf[RAND_POOL_SIZE];
	size_t pos; /* bytes used; RAND_POOL_SIZE = empty */
	int ready;
} rand_pool;
static pthread_once_t rand_pool_once = PTHREAD_ONCE_INIT;

static void rand_pool_drop(void)
{
	ike_wipe(rand_pool.buf, sizeof(rand_pool.buf));
	rand_pool.pos = RAND_POOL_SIZE;
}

static void rand_pool_atfork(void)
{
	pthread_atfork(NULL, NULL, rand_pool_drop);
}

int ike_random_public(uint8_t *buf, size_t len)
{
	if (len > RAND_POOL_SIZE / 4)
		return ike_random(buf, len);
	if (!rand_pool.ready) {
		pthread_once(&rand_pool_once, rand_pool_atfork);
		rand_pool.pos = RAND_POOL_SIZE;
		rand_pool.ready = 1;
	}
	if (RAND_POOL_SIZE - rand_pool.pos < len) {
		if (ike_random(rand_pool.buf, RAND_POOL_SIZE) < 0)
			return -EIO;
		rand_pool.pos = 0;
	}
	memcpy(buf, rand_pool.buf + rand_pool.pos, len);
	/* handed out once only: a later copy of this memory holds no value
	 * still to be used or already on the wire next to its SA */
	memset(rand_pool.buf + rand_pool.pos, 0, len);
	rand_pool.pos += len;
	return 0;
}

int ike_memeq_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

/* The fast path wipes with explicit_bzero too; the guard keeps (NULL, 0)
 * legal for embedders, which explicit_bzero's nonnull attribute does not. */
void ike_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		explicit_bzero(p, len);
}

/* ---- HMAC ---- */

enum hmac_hash { H_SHA1, H_SHA256, H_SHA384, H_SHA512, H_COUNT };

static const struct hmac_hash_info {
	const char *name;
	size_t len;
	size_t block;
} hash_info[H_COUNT] = {
	[H_SHA1] = { "SHA1", 20, 64 },
	[H_SHA256] = { "SHA256", 32, 64 },
	[H_SHA384] = { "SHA384", 48, 128 },
	[H_SHA512] = { "SHA512", 64, 128 },
};

/* HMAC (RFC 2104) is built here on EVP digests rather than on EVP_MAC:
 * OpenSSL 3's HMAC provider allocates and frees three digest contexts and
 * walks parameter lists for every key, which made MACs the largest cost of
 * a PSK responder after Diffie-Hellman. Digests are fetched once; the
 * digest contexts are per thread and reused, so a MAC allocates nothing. */
static EVP_MD *md_cache[H_COUNT];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch_all(void)
{
	for (int h = 0; h < H_COUNT; h++)
		md_cache[h] = EVP_MD_fetch(NULL, hash_info[h].name, NULL);
}

static const EVP_MD *md_get(enum hmac_hash h)
{
	pthread_once(&md_once, md_fetch_all);
	return md_cache[h];
}

/* Per-thread digest contexts: the inner and outer keyed states, and the
 * two that prf+ copies them into for each block. */
enum { CTX_IN, CTX_OUT, CTX_WIN, CTX_WOUT, CTX_COUNT };
static _Thread_local EVP_MD_CTX *tl_ctx[CTX_COUNT];

static EVP_MD_CTX *tl_get(int which)
{
	if (tl_ctx[which] == NULL)
		tl_ctx[which] = EVP_MD_CTX_new();
	return tl_ctx[which];
}

/* Keyed state: in = H(K ^ ipad ...), out = H(K ^ opad ...), ready for the
 * message and for the inner hash respectively. */
static int hmac_key(enum hmac_hash h, const uint8_t *key, size_t klen, EVP_MD_CTX *in,
		    EVP_MD_CTX *out)
{
	const EVP_MD *md = md_get(h);
	size_t bl = hash_info[h].block;
	uint8_t k[128], ipad[128], opad[128];
	int ok;

	if (md == NULL || in == NULL || out == NULL)
		return -EIO;
	memset(k, 0, bl);
	if (klen > bl) {
		unsigned int kl = 0;

		ok = EVP_DigestInit_ex2(in, md, NULL) && EVP_DigestUpdate(in, key, klen) &&
		     EVP_DigestFinal_ex(in, k, &kl);
		if (!ok)
			return -EIO;
	} else if (klen) {
		memcpy(k, key, klen);
	}
	for (size_t i = 0; i < bl; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	ok = EVP_DigestInit_ex2(in, md, NULL) && EVP_DigestUpdate(in, ipad, bl) &&
	     EVP_DigestInit_ex2(out, md, NULL) && EVP_DigestUpdate(out, opad, bl);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
	return ok ? 0 : -EIO;
}

/* Finishes a MAC whose inner context has taken the message: out gets the
 * hash length bytes. Consumes both contexts' states. */
static int hmac_final(enum hmac_hash h, EVP_MD_CTX *in, EVP_MD_CTX *out, uint8_t *mac)
{
	uint8_t ih[IKE_MAX_PRF_LEN];
	unsigned int il = 0, ol = 0;
	int ok = EVP_DigestFinal_ex(in, ih, &il) && il == hash_info[h].len &&
		 EVP_DigestUpdate(out, ih, il) && EVP_DigestFinal_ex(out, mac, &ol) &&
		 ol == hash_info[h].len;

	OPENSSL_cleanse(ih, sizeof(ih));
	return ok ? 0 : -EIO;
}

/* One MAC over the concatenation of n pieces (a NULL piece ends early). */
static int hmac_v(enum hmac_hash h, const uint8_t *key, size_t klen, const uint8_t *const data[],
		  const size_t dlen[], unsigned n, uint8_t *mac)
{
	EVP_MD_CTX *in = tl_get(CTX_IN), *out = tl_get(CTX_OUT);
	int rc = hmac_key(h, key, klen, in, out);

	for (unsigned i = 0; rc == 0 && i < n && data[i] != NULL; i++)
		if (dlen[i] && !EVP_DigestUpdate(in, data[i], dlen[i]))
			rc = -EIO;
	return rc ? rc : hmac_final(h, in, out, mac);
}

/* ---- PRF ---- */

static int prf_hash(uint16_t prf)
{
	switch (prf) {
	case IKEV2_PRF_HMAC_SHA1: return H_SHA1;
	case IKEV2_PRF_HMAC_SHA2_256: return H_SHA256;
	case IKEV2_PRF_HMAC_SHA2_384: return H_SHA384;
	case IKEV2_PRF_HMAC_SHA2_512: return H_SHA512;
	default: return -1;
	}
}

size_t ike_prf_len(uint16_t prf)
{
	int h = prf_hash(prf);

	return h < 0 ? 0 : hash_info[h].len;
}

int ike_prf_v(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *const data[],
	      const size_t dlen[], unsigned n, uint8_t *out)
{
	int h = prf_hash(prf);

	if (h < 0 || (klen > 0 && key == NULL))
		return -EINVAL;
	return hmac_v(h, key, klen, data, dlen, n, out);
}

int ike_prf(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
	    uint8_t *out)
{
	const uint8_t *const d[1] = { data };
	const size_t l[1] = { dlen };

	return ike_prf_v(prf, key, klen, d, l, data ? 1 : 0, out);
}

/* T(i) = prf(K, T(i-1) | S | i) with i one octet from 0x01 (RFC 7296 2.13).
 * The key is expanded into the pads once; each block copies that state. */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *seed, size_t slen,
		 uint8_t *out, size_t outlen)
{
	int h = prf_hash(prf);
	uint8_t t[IKE_MAX_PRF_LEN];
	EVP_MD_CTX *kin = tl_get(CTX_IN), *kout = tl_get(CTX_OUT);
	EVP_MD_CTX *win = tl_get(CTX_WIN), *wout = tl_get(CTX_WOUT);
	size_t hlen, tlen = 0, done = 0;
	int rc;

	if (h < 0 || (klen > 0 && key == NULL) || (slen > 0 && seed == NULL))
		return -EINVAL;
	hlen = hash_info[h].len;
	if (outlen > 255 * hlen)
		return -EINVAL;
	if (outlen == 0)
		return 0;
	if (win == NULL || wout == NULL)
		return -EIO;
	rc = hmac_key(h, key, klen, kin, kout);
	for (unsigned i = 1; rc == 0 && done < outlen; i++) {
		uint8_t ctr = (uint8_t)i;
		size_t take = outlen - done < hlen ? outlen - done : hlen;

		if (!EVP_MD_CTX_copy_ex(win, kin) || !EVP_MD_CTX_copy_ex(wout, kout) ||
		    (tlen && !EVP_DigestUpdate(win, t, tlen)) ||
		    (slen && !EVP_DigestUpdate(win, seed, slen)) ||
		    !EVP_DigestUpdate(win, &ctr, 1)) {
			rc = -EIO;
			break;
		}
		rc = hmac_final(h, win, wout, t);
		tlen = hlen;
		memcpy(out + done, t, take);
		done += take;
	}
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
	{ IKEV2_INTEG_HMAC_SHA1_96, H_SHA1, 20, 12 },
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

int ike_integ(uint16_t integ, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
	      uint8_t *icv)
{
	const struct integ_info *ii = integ_find(integ);
	const uint8_t *const d[1] = { data };
	uint8_t full[IKE_MAX_PRF_LEN];
	int rc;

	if (ii == NULL || klen != ii->keylen || key == NULL || (dlen > 0 && data == NULL))
		return -EINVAL;
	rc = hmac_v(ii->hash, key, klen, d, &dlen, dlen ? 1 : 0, full);
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
	{ IKEV2_ENCR_AES_CBC, 128, "AES-128-CBC" },
	{ IKEV2_ENCR_AES_CBC, 192, "AES-192-CBC" },
	{ IKEV2_ENCR_AES_CBC, 256, "AES-256-CBC" },
	{ IKEV2_ENCR_AES_GCM_16, 128, "AES-128-GCM" },
	{ IKEV2_ENCR_AES_GCM_16, 192, "AES-192-GCM" },
	{ IKEV2_ENCR_AES_GCM_16, 256, "AES-256-GCM" },
	{ IKEV2_ENCR_CHACHA20_POLY1305, 256, "ChaCha20-Poly1305" },
};
#define N_CIPHERS (sizeof(cipher_table) / sizeof(cipher_table[0]))
static EVP_CIPHER *cipher_cache[N_CIPHERS];

/* RFC 5282 (AES-GCM) and RFC 7634 (ChaCha20-Poly1305) alike: a 4-byte salt
 * after the key, an 8-byte IV and a 16-byte ICV. */
static void aead_layout(struct ike_encr_info *ei, uint16_t keybits)
{
	ei->keybits = keybits;
	ei->keylen = (uint8_t)(keybits / 8 + 4);
	ei->saltlen = 4;
	ei->ivlen = 8;
	ei->blocklen = 1;
	ei->icvlen = 16;
	ei->aead = 1;
}

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
		aead_layout(&ei, keybits);
		break;
	case IKEV2_ENCR_CHACHA20_POLY1305:
		if (keybits != 0 && keybits != 256)
			return -EINVAL;
		aead_layout(&ei, 256);
		break;
	default: /* ENCR_NULL and the rest are not for IKE SAs */ return -EINVAL;
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
	    ref.keybits != ei->keybits || ref.keylen != ei->keylen || ref.saltlen != ei->saltlen ||
	    ref.ivlen != ei->ivlen || ref.icvlen != ei->icvlen || ref.aead != ei->aead ||
	    ref.aead != aead)
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
static int aead_init(EVP_CIPHER_CTX *ctx, const struct ike_encr_info *ei, const EVP_CIPHER *c,
		     const uint8_t *key, const uint8_t *iv, int enc)
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

static int aead_args_ok(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t aadlen,
			const uint8_t *in, size_t len, const uint8_t *out, const uint8_t *tag)
{
	return key && iv && tag && (aadlen == 0 || aad) && (len == 0 || (in && out)) &&
	       aadlen <= INT_MAX && len <= INT_MAX;
}

/* One pass over a ctx set up by aead_init: the tag goes in before the data
 * when opening and comes out after it when sealing. */
static int aead_pass(EVP_CIPHER_CTX *ctx, int icvlen, const uint8_t *aad, size_t aadlen,
		     const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag, int enc)
{
	int n = 0, fin = 0;

	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, icvlen, tag) != 1)
		return -EIO;
	if (aadlen > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		return -EIO;
	n = 0;
	if (len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		return -EIO;
	if (EVP_CipherFinal_ex(ctx, out + n, &fin) != 1)
		return enc ? -EIO : -EBADMSG;
	if ((size_t)n + (size_t)fin != len)
		return -EIO;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, icvlen, tag) != 1)
		return -EIO;
	return 0;
}

/* Seals (enc) or opens one message; tag is written when sealing, only read
 * when opening. */
static int aead_crypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		      const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t len,
		      uint8_t *out, uint8_t *tag, int enc)
{
	const EVP_CIPHER *c = cipher_get(ei, 1);
	EVP_CIPHER_CTX *ctx;
	int rc = -EIO;

	if (c == NULL || !aead_args_ok(key, iv, aad, aadlen, in, len, out, tag))
		return -EINVAL;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -ENOMEM;
	if (aead_init(ctx, ei, c, key, iv, enc))
		rc = aead_pass(ctx, ei->icvlen, aad, aadlen, in, len, out, tag, enc);
	/* Never hand out plaintext that did not authenticate. */
	if (rc != 0 && !enc && len > 0)
		OPENSSL_cleanse(out, len);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int ike_aead_encrypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		     const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t len, uint8_t *ct,
		     uint8_t *tag)
{
	return aead_crypt(ei, key, iv, aad, aadlen, pt, len, ct, tag, 1);
}

int ike_aead_decrypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		     const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t len,
		     const uint8_t *tag, uint8_t *pt)
{
	/* SET_TAG takes a non-const pointer but copies the tag. */
	return aead_crypt(ei, key, iv, aad, aadlen, ct, len, pt, (uint8_t *)tag, 0);
}

static int cbc_crypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		     const uint8_t *in, size_t len, uint8_t *out, int enc)
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

int ike_cbc_encrypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		    const uint8_t *in, size_t len, uint8_t *out)
{
	return cbc_crypt(ei, key, iv, in, len, out, 1);
}

int ike_cbc_decrypt(const struct ike_encr_info *ei, const uint8_t *key, const uint8_t *iv,
		    const uint8_t *in, size_t len, uint8_t *out)
{
	return cbc_crypt(ei, key, iv, in, len, out, 0);
}
