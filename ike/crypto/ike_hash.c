/* SPDX-License-Identifier: BSD-3-Clause */
/* Plain hashes for IKE protocol fields (NAT detection, cookies). With
 * ike_crypto.c and ike_dh.c, one of the few files that include OpenSSL. */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "ike/core/ike_priv.h"

/* Digests are fetched once and the context is reused per thread: with
 * EVP_sha1() every init would look the algorithm up by name again (four
 * NAT-D hashes per handshake). */
static EVP_MD *md_sha1, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static _Thread_local EVP_MD_CTX *tl_ctx;

static void md_fetch(void)
{
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static int digest(EVP_MD **mdp, const uint8_t *const data[], const size_t len[], unsigned n,
		  uint8_t *out)
{
	int ok;

	pthread_once(&md_once, md_fetch);
	if (tl_ctx == NULL)
		tl_ctx = EVP_MD_CTX_new();
	ok = tl_ctx && *mdp && EVP_DigestInit_ex2(tl_ctx, *mdp, NULL);
	for (unsigned i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(tl_ctx, data[i], len[i]);
	ok = ok && EVP_DigestFinal_ex(tl_ctx, out, NULL);
	return ok ? 0 : -EIO;
}

int ike_sha1(const uint8_t *const data[], const size_t len[], unsigned n, uint8_t out[20])
{
	return digest(&md_sha1, data, len, n, out);
}

int ike_sha256(const uint8_t *const data[], const size_t len[], unsigned n, uint8_t out[32])
{
	return digest(&md_sha256, data, len, n, out);
}
