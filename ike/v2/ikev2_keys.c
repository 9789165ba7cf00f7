/* SPDX-License-Identifier: BSD-3-Clause */
/* Key derivation (RFC 7296 2.14, 2.17, 2.18) and NAT detection hashes
 * (2.23). */
#include <errno.h>
#include <string.h>

#include "ike/core/ike_priv.h"

void ike_sa_wipe_keys(struct ike_sa *sa)
{
	ike_wipe(sa->sk_d, sizeof(sa->sk_d));
	ike_wipe(sa->sk_pi, sizeof(sa->sk_pi));
	ike_wipe(sa->sk_pr, sizeof(sa->sk_pr));
	ike_wipe(sa->sk_ai, sizeof(sa->sk_ai));
	ike_wipe(sa->sk_ar, sizeof(sa->sk_ar));
	ike_wipe(sa->sk_ei, sizeof(sa->sk_ei));
	ike_wipe(sa->sk_er, sizeof(sa->sk_er));
}

/* Sets the sizes that follow from the negotiated algorithms. */
static int sa_sizes(struct ike_sa *sa)
{
	if (ike_encr_info(sa->algs.encr, sa->algs.encr_keybits, &sa->ei) < 0)
		return -EINVAL;
	sa->prf_len = ike_prf_len(sa->algs.prf);
	sa->integ_len = sa->algs.integ ? ike_integ_keylen(sa->algs.integ) : 0;
	sa->icv_len = sa->ei.aead ? sa->ei.icvlen : ike_integ_icvlen(sa->algs.integ);
	if (!sa->prf_len || (!sa->ei.aead && !sa->integ_len))
		return -EINVAL;
	return 0;
}

/* SKEYSEED = prf(Ni | Nr, g^ir)                       (initial, 2.14)
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)     (rekey, 2.18)
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *         = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr) */
int ikev2_derive_ike_keys(struct ike_sa *sa, const uint8_t *shared, size_t slen,
			  const struct ike_sa *old)
{
	uint8_t skeyseed[IKE_MAX_PRF_LEN], seed[2 * IKE_MAX_NONCE + 16];
	uint8_t km[3 * IKE_MAX_PRF_LEN + 4 * IKE_MAX_KEY_LEN];
	size_t seedlen = 0, need, off = 0;
	int r;

	if (sa_sizes(sa) < 0)
		return -EINVAL;
	memcpy(seed, sa->ni, sa->ni_len);
	seedlen += sa->ni_len;
	memcpy(seed + seedlen, sa->nr, sa->nr_len);
	seedlen += sa->nr_len;
	if (old) {
		const uint8_t *d[3] = { shared, sa->ni, sa->nr };
		const size_t l[3] = { slen, sa->ni_len, sa->nr_len };
		r = ike_prf_v(old->algs.prf, old->sk_d, old->prf_len, d, l, 3, skeyseed);
	} else {
		r = ike_prf(sa->algs.prf, seed, seedlen, shared, slen, skeyseed);
	}
	ikev2_put64(seed + seedlen, sa->spi_i);
	ikev2_put64(seed + seedlen + 8, sa->spi_r);
	seedlen += 16;
	need = 3 * sa->prf_len + 2 * sa->integ_len + 2 * sa->ei.keylen;
	if (r == 0) /* SKEYSEED is as long as the output of the PRF that made it */
		r = ike_prf_plus(sa->algs.prf, skeyseed, old ? old->prf_len : sa->prf_len, seed,
				 seedlen, km, need);
	if (r == 0) {
		memcpy(sa->sk_d, km + off, sa->prf_len);
		off += sa->prf_len;
		memcpy(sa->sk_ai, km + off, sa->integ_len);
		off += sa->integ_len;
		memcpy(sa->sk_ar, km + off, sa->integ_len);
		off += sa->integ_len;
		memcpy(sa->sk_ei, km + off, sa->ei.keylen);
		off += sa->ei.keylen;
		memcpy(sa->sk_er, km + off, sa->ei.keylen);
		off += sa->ei.keylen;
		memcpy(sa->sk_pi, km + off, sa->prf_len);
		off += sa->prf_len;
		memcpy(sa->sk_pr, km + off, sa->prf_len);
	}
	ike_wipe(skeyseed, sizeof(skeyseed));
	ike_wipe(km, sizeof(km));
	return r;
}

/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr); the initiator-to-responder
 * keys come first: encr_i, integ_i, encr_r, integ_r (2.17). */
int ikev2_child_keys(struct ike_sa *sa, struct ike_child *c, bool we_initiated,
		     const uint8_t *shared, size_t slen, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len)
{
	struct ike_child_info *ci = &c->info;
	struct ike_encr_info ei;
	uint8_t seed[IKE_MAX_DH_SHARED + 2 * IKE_MAX_NONCE];
	uint8_t km[4 * IKE_MAX_KEY_LEN];
	size_t seedlen = 0, el, il;
	uint8_t *ei_k, *ii_k, *er_k, *ir_k;
	int r;

	if (ci->algs.encr == IKEV2_ENCR_NULL) {
		memset(&ei, 0, sizeof(ei));
	} else if (ike_encr_info(ci->algs.encr, ci->algs.encr_keybits, &ei) < 0) {
		return -EINVAL;
	}
	el = ei.keylen;
	il = ci->algs.integ ? ike_integ_keylen(ci->algs.integ) : 0;
	if (slen > IKE_MAX_DH_SHARED || ni_len > IKE_MAX_NONCE || nr_len > IKE_MAX_NONCE)
		return -EINVAL;
	if (slen) {
		memcpy(seed, shared, slen);
		seedlen = slen;
	}
	memcpy(seed + seedlen, ni, ni_len);
	seedlen += ni_len;
	memcpy(seed + seedlen, nr, nr_len);
	seedlen += nr_len;
	r = ike_prf_plus(sa->algs.prf, sa->sk_d, sa->prf_len, seed, seedlen, km, 2 * (el + il));
	if (r == 0) {
		/* Our inbound keys are the ones the peer encrypts with. */
		ei_k = km;
		ii_k = km + el;
		er_k = km + el + il;
		ir_k = km + 2 * el + il;
		ci->enc_key_len = (uint8_t)el;
		ci->integ_key_len = (uint8_t)il;
		memcpy(ci->enc_out, we_initiated ? ei_k : er_k, el);
		memcpy(ci->integ_out, we_initiated ? ii_k : ir_k, il);
		memcpy(ci->enc_in, we_initiated ? er_k : ei_k, el);
		memcpy(ci->integ_in, we_initiated ? ir_k : ii_k, il);
	}
	ike_wipe(seed, sizeof(seed));
	ike_wipe(km, sizeof(km));
	return r;
}

/* SHA-1(SPIi | SPIr | IP | Port) */
void ikev2_natd_hash(uint64_t spi_i, uint64_t spi_r, const ike_addr_t *a, uint8_t out[20])
{
	uint8_t spis[16], port[2];
	const uint8_t *d[3] = { spis, a->a, port };
	size_t l[3] = { 16, a->family == 4 ? 4u : 16u, 2 };

	ikev2_put64(spis, spi_i);
	ikev2_put64(spis + 8, spi_r);
	ikev2_put16(port, a->port);
	if (ike_sha1(d, l, 3, out) < 0)
		memset(out, 0, 20);
}
