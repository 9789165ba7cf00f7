/* Plain hashes for IKE protocol fields (NAT detection, cookies). With
 * ike_crypto.c and ike_dh.c, one of the few files that include OpenSSL. */
#include <errno.h>
#include <openssl/evp.h>

#include "ike/ike_priv.h"

static int digest(const EVP_MD *md, const uint8_t *const data[], const size_t len[],
		  unsigned n, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL);

	for (unsigned i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, data[i], len[i]);
	ok = ok && EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int ike_sha1(const uint8_t *const data[], const size_t len[], unsigned n, uint8_t out[20])
{
	return digest(EVP_sha1(), data, len, n, out);
}

int ike_sha256(const uint8_t *const data[], const size_t len[], unsigned n, uint8_t out[32])
{
	return digest(EVP_sha256(), data, len, n, out);
}
